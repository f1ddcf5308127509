/* Unit tests for the scheduler's parts: coroutines (coro.c) keep their stacks across yields
 * while others run on the same run stack; the event loop (loop.c) wakes tasks in deadline
 * order, on a ready descriptor, on a wake from another thread, and after a helper's job. */
#include <CUnit/CUnit.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "coro.h"
#include "loop.h"
#include "util.h"

/* ---- coroutines ---------------------------------------------------------------------------- */

typedef struct stack_probe {
    int id;
    int steps;
    bool intact;
} stack_probe;

/* Fills a local array, yields, and checks it is still there when resumed. */
static void keep_locals(void *arg)
{
    stack_probe *p = arg;
    unsigned char local[3000];
    memset(local, (unsigned char)p->id, sizeof local);
    p->intact = true;
    for (int i = 0; i < 4; i++) {
        p->steps++;
        coro_yield();
        for (size_t k = 0; k < sizeof local; k++)
            if (local[k] != (unsigned char)p->id)
                p->intact = false;
    }
}

static void test_coro_stacks(void)
{
    coro_stack *s = coro_stack_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(s);
    stack_probe p[3] = {{.id = 1}, {.id = 2}, {.id = 3}};
    coro *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = coro_new(s, keep_locals, &p[i]);
    for (int round = 0; round < 5; round++)
        for (int i = 0; i < 3; i++) {
            CU_ASSERT_FALSE(coro_done(c[i]));
            coro_resume(c[i]);
        }
    for (int i = 0; i < 3; i++) {
        CU_ASSERT_TRUE(coro_done(c[i]));
        CU_ASSERT_EQUAL(p[i].steps, 4);
        CU_ASSERT_TRUE(p[i].intact);
        coro_free(c[i]);
    }
    CU_ASSERT_PTR_NULL(coro_current());
    coro_stack_free(s);
}

/* ---- the loop ------------------------------------------------------------------------------ */

typedef struct order {
    int seen[8];
    int n;
} order;

typedef struct sleeper {
    order *o;
    int id;
    int64_t until;
    loop_status st;
} sleeper;

static void sleep_task(void *arg)
{
    sleeper *s = arg;
    s->st = loop_sleep_until(s->until);
    s->o->seen[s->o->n++] = s->id;
}

static void test_loop_deadlines(void)
{
    loop *l = loop_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    order o = {.n = 0};
    int64_t now = clock_ns();
    /* spawned in one order, due in another */
    sleeper s[4] = {{&o, 0, now + 40000000, 9}, {&o, 1, now + 10000000, 9},
                    {&o, 2, now + 30000000, 9}, {&o, 3, now + 20000000, 9}};
    for (int i = 0; i < 4; i++)
        CU_ASSERT_EQUAL(loop_spawn(l, sleep_task, &s[i]), 0);
    loop_run(l);
    CU_ASSERT_EQUAL(o.n, 4);
    int want[4] = {1, 3, 2, 0};
    for (int i = 0; i < 4; i++) {
        CU_ASSERT_EQUAL(o.seen[i], want[i]);
        CU_ASSERT_EQUAL(s[i].st, LOOP_READY);
    }
    CU_ASSERT_TRUE(clock_ns() - now >= 40000000);
    loop_free(l);
}

typedef struct piped {
    int fds[2];
    loop_status reader, late;
    int64_t waited;
} piped;

static void pipe_reader(void *arg)
{
    piped *p = arg;
    int64_t t0 = clock_ns();
    p->reader = loop_wait_fd(p->fds[0], false, t0 + 2000000000);
    p->waited = clock_ns() - t0;
    /* nothing more will come: this wait times out */
    char b;
    CU_ASSERT_EQUAL(read(p->fds[0], &b, 1), 1);
    p->late = loop_wait_fd(p->fds[0], false, clock_ns() + 20000000);
}

static void pipe_writer(void *arg)
{
    piped *p = arg;
    loop_sleep_until(clock_ns() + 15000000);
    CU_ASSERT_EQUAL(write(p->fds[1], "x", 1), 1);
}

static void test_loop_fd(void)
{
    loop *l = loop_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    piped p = {.reader = 9, .late = 9};
    CU_ASSERT_EQUAL_FATAL(pipe(p.fds), 0);
    loop_spawn(l, pipe_reader, &p);
    loop_spawn(l, pipe_writer, &p);
    loop_run(l);
    CU_ASSERT_EQUAL(p.reader, LOOP_READY);
    CU_ASSERT_TRUE(p.waited >= 10000000 && p.waited < 1000000000);
    CU_ASSERT_EQUAL(p.late, LOOP_TIMEOUT);
    close(p.fds[0]);
    close(p.fds[1]);
    loop_free(l);
}

typedef struct waker {
    task *t; /* the waiting task, set before the waking task runs */
    loop_status st;
    int64_t waited;
} waker;

/* On a helper thread (loop_blocking): wakes the other task from outside its loop's thread. */
static void wake_from_helper(void *arg)
{
    waker *w = arg;
    usleep(20000);
    loop_wake(w->t);
}

static void wake_task(void *arg)
{
    waker *w = arg;
    w->t = loop_self();
    int64_t t0 = clock_ns();
    w->st = loop_wait_wake(t0 + 2000000000);
    w->waited = clock_ns() - t0;
}

static void waking_task(void *arg)
{
    loop_blocking(wake_from_helper, arg);
}

static void test_loop_wake(void)
{
    loop *l = loop_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    waker *w = xcalloc(1, sizeof *w); /* the helper reads it while both tasks are parked */
    w->st = 9;
    loop_spawn(l, wake_task, w);
    loop_spawn(l, waking_task, w);
    loop_run(l);
    CU_ASSERT_EQUAL(w->st, LOOP_READY);
    CU_ASSERT_TRUE(w->waited >= 15000000 && w->waited < 1000000000);
    free(w);
    loop_free(l);
    loop_helpers_stop();
}

static void slow_job(void *arg)
{
    usleep(20000);
    *(int *)arg = 42;
}

typedef struct blocking_case {
    int *result; /* on the heap: the job runs while the task is parked */
    int ticks;   /* another task ran meanwhile */
} blocking_case;

static void blocking_task(void *arg)
{
    blocking_case *b = arg;
    loop_blocking(slow_job, b->result);
}

static void ticking_task(void *arg)
{
    blocking_case *b = arg;
    for (int i = 0; i < 5; i++) {
        loop_sleep_until(clock_ns() + 1000000);
        b->ticks++;
    }
}

static void test_loop_blocking(void)
{
    loop *l = loop_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    blocking_case b = {.result = xcalloc(1, sizeof(int))};
    loop_spawn(l, blocking_task, &b);
    loop_spawn(l, ticking_task, &b);
    loop_run(l);
    CU_ASSERT_EQUAL(*b.result, 42);
    CU_ASSERT_EQUAL(b.ticks, 5);
    free(b.result);
    loop_free(l);
    loop_helpers_stop();
    /* outside a task the same calls simply block */
    int r = 0;
    loop_blocking(slow_job, &r);
    CU_ASSERT_EQUAL(r, 42);
    CU_ASSERT_EQUAL(loop_sleep_until(clock_ns() + 1000000), LOOP_READY);
    CU_ASSERT_PTR_NULL(loop_self());
}

typedef struct fair {
    int64_t t0, busy_until, woke;
} fair;

/* Never waits (a flood of bytes always ready), but gives way now and then. */
static void busy_task(void *arg)
{
    fair *f = arg;
    while (clock_ns() < f->busy_until)
        loop_share();
}

static void short_sleeper(void *arg)
{
    fair *f = arg;
    loop_sleep_until(f->t0 + 5000000);
    f->woke = clock_ns();
}

static void test_loop_share(void)
{
    loop *l = loop_new();
    CU_ASSERT_PTR_NOT_NULL_FATAL(l);
    fair f = {.t0 = clock_ns()};
    f.busy_until = f.t0 + 60000000;
    loop_spawn(l, busy_task, &f);
    loop_spawn(l, short_sleeper, &f);
    loop_run(l);
    /* woken near its 5 ms, not after the other task's 60 ms */
    CU_ASSERT_TRUE(f.woke - f.t0 < 40000000);
    loop_free(l);
}

void register_loop_tests(void)
{
    CU_pSuite s = CU_add_suite("loop", NULL, NULL);
    CU_add_test(s, "coroutines keep their stacks across yields", test_coro_stacks);
    CU_add_test(s, "sleeps end in deadline order", test_loop_deadlines);
    CU_add_test(s, "a ready descriptor wakes its task; a silent one times out", test_loop_fd);
    CU_add_test(s, "a wake from another thread", test_loop_wake);
    CU_add_test(s, "a helper's job while the loop runs other tasks", test_loop_blocking);
    CU_add_test(s, "a task that never waits still gives way", test_loop_share);
}
