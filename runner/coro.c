/* coro: see coro.h. makecontext starts a coroutine; on a stack of its own swapcontext
 * switches, and on the shared run stack _setjmp/_longjmp do (a jmp_buf is a fifth of a
 * ucontext_t, and 10,000 parked coroutines keep one each), with only the live part of each
 * suspended coroutine's stack kept. */
#undef _FORTIFY_SOURCE /* its longjmp check takes a jump to another stack for an overflow */
#include "coro.h"

#include <setjmp.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "util.h"

#if defined(__SANITIZE_ADDRESS__)
#define CORO_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CORO_ASAN 1
#endif
#endif

#ifdef CORO_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#define CORO_VALGRIND 1
#endif
#endif
#ifndef CORO_VALGRIND
#define RUNNING_ON_VALGRIND 0
#define VALGRIND_STACK_REGISTER(lo, hi) 0u
#define VALGRIND_STACK_DEREGISTER(id) (void)(id)
#endif

/* A coroutine's own stack, when stacks are not copied (sanitizers, valgrind). */
#define OWN_STACK (256 * 1024)

/* The shared run stack: deep enough for libcurl, OpenSSL and printf under a case's own calls. */
#define RUN_STACK (512 * 1024)
/* Below the address taken in coro_yield: the rest of its frame (48 bytes with gcc -O2 on
 * x86-64); the _setjmp/_longjmp calls below it are dead when the coroutine resumes. */
#define YIELD_MARGIN 128
/* A kept stack shrinks when it is this much larger than the live part: a case's deepest yield
 * (connecting: 1.6 KiB) need not set what it keeps through its long waits (1 KiB). */
#define SAVE_SLACK 256

struct coro_stack {
    bool own;   /* each coroutine on a stack of its own (ASan, valgrind): no copying */
    char *base; /* the mapping, guard page first */
    size_t size;
    char *lo, *top; /* usable range */
    ucontext_t sched; /* the thread's own context, resumed at each yield (own stacks) */
    ucontext_t boot;  /* run stack: where a coroutine starts (used once per coroutine) */
    jmp_buf sched_jb; /* run stack: the thread's own context, resumed at each yield */
    const void *sched_lo; /* ASan: the thread's stack */
    size_t sched_size;
};

struct coro {
    ucontext_t *ctx; /* own stack: its context (malloc'd) */
    jmp_buf jb;      /* run stack: where it yielded */
    coro_stack *s;
    void (*fn)(void *);
    void *arg;
    bool started, done;
    char *sp;       /* an address in coro_yield's frame at the last yield */
    char *save;     /* copied stack: the live part while suspended */
    size_t save_len, save_cap;
    char *own;      /* own stack mapping, guard page first (s->own) */
    unsigned vg_id; /* valgrind's id for it */
#ifdef CORO_ASAN
    void *fake;     /* ASan's fake stack of the coroutine while it is switched out */
    void *fake_sched;
#endif
};

static _Thread_local coro *current;

static char *map_stack(size_t size)
{
    long page = sysconf(_SC_PAGESIZE);
    char *p = mmap(NULL, size + (size_t)page, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    mprotect(p, (size_t)page, PROT_NONE); /* an overflow faults instead of corrupting */
    return p;
}

static void unmap_stack(char *p, size_t size)
{
    if (p)
        munmap(p, size + (size_t)sysconf(_SC_PAGESIZE));
}

coro_stack *coro_stack_new(void)
{
    coro_stack *s = xcalloc(1, sizeof *s);
#ifdef CORO_ASAN
    s->own = true; /* ASan's shadow of a copied stack would be another coroutine's */
#endif
    if (RUNNING_ON_VALGRIND)
        s->own = true; /* memcheck marks a stack's dead frames unaddressable: no copying in */
    if (s->own)
        return s;
    s->size = RUN_STACK;
    s->base = map_stack(s->size);
    if (!s->base) {
        free(s);
        return NULL;
    }
    s->lo = s->base + sysconf(_SC_PAGESIZE);
    s->top = s->lo + s->size;
    return s;
}

void coro_stack_free(coro_stack *s)
{
    if (!s)
        return;
    unmap_stack(s->base, s->size);
    free(s);
}

coro *coro_new(coro_stack *s, void (*fn)(void *), void *arg)
{
    coro *c = xcalloc(1, sizeof *c);
    c->s = s;
    c->fn = fn;
    c->arg = arg;
    if (s->own) {
        c->own = map_stack(OWN_STACK);
        if (!c->own) {
            free(c);
            return NULL;
        }
        c->ctx = xcalloc(1, sizeof *c->ctx);
        char *lo = c->own + sysconf(_SC_PAGESIZE);
        c->vg_id = VALGRIND_STACK_REGISTER(lo, lo + OWN_STACK);
    }
    return c;
}

void coro_free(coro *c)
{
    if (!c)
        return;
    if (c->own) {
        VALGRIND_STACK_DEREGISTER(c->vg_id);
        unmap_stack(c->own, OWN_STACK);
    }
    free(c->ctx);
    free(c->save);
    free(c);
}

bool coro_done(const coro *c)
{
    return c->done;
}

coro *coro_current(void)
{
    return current;
}

size_t coro_saved_bytes(const coro *c)
{
    return c->save_len;
}

/* The first frame on the coroutine's stack; it never returns (there is nothing to return to). */
static void entry(void)
{
    coro *c = current;
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(NULL, &c->s->sched_lo, &c->s->sched_size);
#endif
    c->fn(c->arg);
    c->done = true;
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(NULL, c->s->sched_lo, c->s->sched_size);
#endif
    if (c->own)
        setcontext(&c->s->sched);
    _longjmp(c->s->sched_jb, 1);
}

static void start(coro *c, ucontext_t *uc)
{
    getcontext(uc);
    uc->uc_stack.ss_sp = c->own ? c->own + sysconf(_SC_PAGESIZE) : c->s->lo;
    uc->uc_stack.ss_size = c->own ? OWN_STACK : c->s->size;
    uc->uc_link = NULL;
    makecontext(uc, entry, 0);
    c->started = true;
}

/* After a yield: keeps the coroutine's live stack, from just below coro_yield's frame to the
 * top, so the run stack is free for the next coroutine. */
static void save_stack(coro *c)
{
    char *from = c->sp - YIELD_MARGIN;
    if (from < c->s->lo)
        from = c->s->lo;
    size_t n = (size_t)(c->s->top - from);
    if (n > c->save_cap || n + SAVE_SLACK < c->save_cap) {
        free(c->save);
        c->save = xmalloc(n);
        c->save_cap = n;
    }
    memcpy(c->save, from, n);
    c->save_len = n;
}

/* On the run stack: into c, back here at its next yield or its end. */
static void resume_copied(coro *c)
{
    if (_setjmp(c->s->sched_jb) != 0)
        return;
    if (!c->started) {
        start(c, &c->s->boot);
        setcontext(&c->s->boot);
    }
    if (c->save_len) /* its stack back where it was */
        memcpy(c->s->top - c->save_len, c->save, c->save_len);
    _longjmp(c->jb, 1);
}

void coro_resume(coro *c)
{
    if (c->done)
        return;
    current = c;
    if (!c->own) {
        resume_copied(c);
        if (!c->done)
            save_stack(c);
        current = NULL;
        return;
    }
    if (!c->started)
        start(c, c->ctx);
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(&c->fake_sched, c->own + sysconf(_SC_PAGESIZE), OWN_STACK);
#endif
    swapcontext(&c->s->sched, c->ctx);
#ifdef CORO_ASAN
    __sanitizer_finish_switch_fiber(c->fake_sched, NULL, NULL);
#endif
    current = NULL;
}

void coro_yield(void)
{
    coro *c = current;
    if (!c)
        return;
    volatile char marker = 0;
    c->sp = (char *)&marker;
    if (!c->own) {
        if (_setjmp(c->jb) == 0)
            _longjmp(c->s->sched_jb, 1);
        return;
    }
#ifdef CORO_ASAN
    __sanitizer_start_switch_fiber(&c->fake, c->s->sched_lo, c->s->sched_size);
    swapcontext(c->ctx, &c->s->sched);
    __sanitizer_finish_switch_fiber(c->fake, &c->s->sched_lo, &c->s->sched_size);
#else
    swapcontext(c->ctx, &c->s->sched);
#endif
    (void)marker;
}
