/* loop: see loop.h. A task parks in exactly one way at a time (a descriptor, a sleep, a wake,
 * a helper's job) and is made ready by the loop's thread alone; only the wake flags cross
 * threads, under the loop's mutex. */
#include "loop.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "coro.h"
#include "util.h"

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif
#ifndef RUNNING_ON_VALGRIND
#define RUNNING_ON_VALGRIND 0
#endif

/* ---- interruption -------------------------------------------------------------------------- */

static int interrupt_fd = -1;
static volatile sig_atomic_t interrupted_flag;

void loop_set_interrupt_fd(int fd)
{
    interrupt_fd = fd;
}

bool loop_interrupted(void)
{
    if (interrupted_flag)
        return true;
    if (interrupt_fd < 0)
        return false;
    struct pollfd p = {.fd = interrupt_fd, .events = POLLIN};
    if (poll(&p, 1, 0) > 0) {
        interrupted_flag = 1;
        return true;
    }
    return false;
}

/* ---- tasks and loops ----------------------------------------------------------------------- */

typedef enum wait_kind { W_NONE, W_FD, W_SLEEP, W_WAKE, W_BLOCKING } wait_kind;

#define NO_HEAP ((size_t)-1)
/* How long a task may keep its thread when it never has to wait (loop_share). */
#define LOOP_SLICE_NS 2000000

struct task {
    loop *l;
    coro *co;
    void (*fn)(void *);
    void *arg;
    wait_kind wait;
    int fd;
    int64_t deadline;
    int64_t resumed_ns; /* when the loop last resumed it (loop_share) */
    size_t heap_i;
    loop_status result;
    bool woken, queued; /* under l->mu: a wake is pending; the task is on l->remote */
    task *remote_next, *ready_next, *prev, *next;
};

struct loop {
    int ep, efd;
    coro_stack *stack;
    task *ready_head, *ready_tail;
    task **heap; /* deadlines, earliest first */
    size_t nheap, heap_cap;
    task *all; /* every live task (an interrupt wakes them all) */
    size_t live;
    bool intr_seen;
    pthread_mutex_t mu;
    task *remote; /* woken from other threads */
};

static _Thread_local task *running;
static char sentinel_efd, sentinel_intr;

/* ---- the timer heap ------------------------------------------------------------------------ */

static void heap_set(loop *l, size_t i, task *t)
{
    l->heap[i] = t;
    t->heap_i = i;
}

static void heap_up(loop *l, size_t i)
{
    task *t = l->heap[i];
    while (i > 0 && l->heap[(i - 1) / 2]->deadline > t->deadline) {
        heap_set(l, i, l->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(l, i, t);
}

static void heap_down(loop *l, size_t i)
{
    task *t = l->heap[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= l->nheap)
            break;
        if (c + 1 < l->nheap && l->heap[c + 1]->deadline < l->heap[c]->deadline)
            c++;
        if (l->heap[c]->deadline >= t->deadline)
            break;
        heap_set(l, i, l->heap[c]);
        i = c;
    }
    heap_set(l, i, t);
}

static void heap_add(loop *l, task *t, int64_t deadline)
{
    grow_array((void **)&l->heap, &l->heap_cap, l->nheap, sizeof *l->heap);
    t->deadline = deadline;
    l->heap[l->nheap++] = t;
    heap_up(l, l->nheap - 1);
}

static void heap_remove(loop *l, task *t)
{
    size_t i = t->heap_i;
    if (i == NO_HEAP)
        return;
    t->heap_i = NO_HEAP;
    task *last = l->heap[--l->nheap];
    if (i == l->nheap)
        return;
    heap_set(l, i, last);
    heap_up(l, i);
    heap_down(l, last->heap_i);
}

/* ---- readiness ----------------------------------------------------------------------------- */

static void make_ready(loop *l, task *t, loop_status st)
{
    heap_remove(l, t);
    if (t->wait == W_FD)
        epoll_ctl(l->ep, EPOLL_CTL_DEL, t->fd, NULL);
    t->wait = W_NONE;
    t->result = st;
    t->ready_next = NULL;
    if (l->ready_tail)
        l->ready_tail->ready_next = t;
    else
        l->ready_head = t;
    l->ready_tail = t;
}

/* The run was interrupted: every parked task wakes (but not one whose helper still works on its
 * behalf), and the pipe leaves the epoll set, which it would otherwise keep waking. */
static void on_interrupt(loop *l)
{
    interrupted_flag = 1;
    if (l->intr_seen)
        return;
    l->intr_seen = true;
    if (interrupt_fd >= 0)
        epoll_ctl(l->ep, EPOLL_CTL_DEL, interrupt_fd, NULL);
    for (task *t = l->all; t; t = t->next)
        if (t->wait == W_FD || t->wait == W_SLEEP || t->wait == W_WAKE)
            make_ready(l, t, LOOP_INTR);
}

static void take_remote(loop *l)
{
    pthread_mutex_lock(&l->mu);
    task *r = l->remote;
    l->remote = NULL;
    for (task *t = r; t; t = t->remote_next) {
        t->queued = false;
        if (t->wait == W_WAKE || t->wait == W_BLOCKING) {
            t->woken = false;
            make_ready(l, t, LOOP_READY);
        }
    }
    pthread_mutex_unlock(&l->mu);
}

static void expire_timers(loop *l)
{
    int64_t now = clock_ns();
    while (l->nheap && l->heap[0]->deadline <= now) {
        task *t = l->heap[0];
        make_ready(l, t, t->wait == W_SLEEP ? LOOP_READY : LOOP_TIMEOUT);
    }
}

/* Waits for descriptors until the earliest deadline (not at all when tasks are ready). */
static void poll_events(loop *l)
{
    struct epoll_event ev[256];
    int64_t wait_ns = -1;
    if (l->ready_head)
        wait_ns = 0;
    else if (l->nheap) {
        wait_ns = l->heap[0]->deadline - clock_ns();
        if (wait_ns < 0)
            wait_ns = 0;
    }
    int n = -1;
#if defined(__GLIBC__) && defined(__GLIBC_PREREQ)
#if __GLIBC_PREREQ(2, 35)
    /* nanosecond timeouts (Linux 5.11); valgrind does not know the call */
    static _Atomic int no_pwait2 = -1;
    if (no_pwait2 < 0)
        no_pwait2 = RUNNING_ON_VALGRIND ? 1 : 0;
    struct timespec ts = {wait_ns / 1000000000, wait_ns % 1000000000};
    if (!no_pwait2)
        n = epoll_pwait2(l->ep, ev, 256, wait_ns < 0 ? NULL : &ts, NULL);
    if (n < 0 && errno == ENOSYS)
        no_pwait2 = 1;
    if (no_pwait2)
#endif
#endif
        n = epoll_wait(l->ep, ev, 256,
                       wait_ns < 0 ? -1 : (int)((wait_ns + 999999) / 1000000));
    for (int i = 0; i < n; i++) {
        void *p = ev[i].data.ptr;
        if (p == &sentinel_efd) {
            uint64_t v;
            ssize_t r = read(l->efd, &v, sizeof v);
            (void)r;
        } else if (p == &sentinel_intr) {
            on_interrupt(l);
        } else {
            task *t = p;
            if (t->wait == W_FD)
                make_ready(l, t, LOOP_READY);
        }
    }
}

loop *loop_new(void)
{
    loop *l = xcalloc(1, sizeof *l);
    l->ep = epoll_create1(EPOLL_CLOEXEC);
    l->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    l->stack = coro_stack_new();
    pthread_mutex_init(&l->mu, NULL);
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &sentinel_efd};
    if (l->ep < 0 || l->efd < 0 || !l->stack || epoll_ctl(l->ep, EPOLL_CTL_ADD, l->efd, &e)) {
        loop_free(l);
        return NULL;
    }
    e.data.ptr = &sentinel_intr;
    if (interrupt_fd >= 0)
        epoll_ctl(l->ep, EPOLL_CTL_ADD, interrupt_fd, &e);
    return l;
}

void loop_free(loop *l)
{
    if (!l)
        return;
    if (l->ep >= 0)
        close(l->ep);
    if (l->efd >= 0)
        close(l->efd);
    coro_stack_free(l->stack);
    pthread_mutex_destroy(&l->mu);
    free(l->heap);
    free(l);
}

static void task_main(void *arg)
{
    task *t = arg;
    t->fn(t->arg);
}

int loop_spawn(loop *l, void (*fn)(void *), void *arg)
{
    task *t = xcalloc(1, sizeof *t);
    t->l = l;
    t->fn = fn;
    t->arg = arg;
    t->heap_i = NO_HEAP;
    t->co = coro_new(l->stack, task_main, t);
    if (!t->co) {
        free(t);
        return -1;
    }
    t->next = l->all;
    if (l->all)
        l->all->prev = t;
    l->all = t;
    l->live++;
    make_ready(l, t, LOOP_READY);
    return 0;
}

static void task_end(loop *l, task *t)
{
    pthread_mutex_lock(&l->mu); /* a late wake may still have it queued */
    for (task **p = &l->remote; *p; p = &(*p)->remote_next)
        if (*p == t) {
            *p = t->remote_next;
            break;
        }
    pthread_mutex_unlock(&l->mu);
    if (t->prev)
        t->prev->next = t->next;
    else
        l->all = t->next;
    if (t->next)
        t->next->prev = t->prev;
    l->live--;
    coro_free(t->co);
    free(t);
}

void loop_run(loop *l)
{
    while (l->live) {
        /* the tasks ready now, once each: one that gives way (loop_share) goes to the next
         * round, after the loop has looked at the descriptors and timers again */
        task *t = l->ready_head;
        l->ready_head = l->ready_tail = NULL;
        while (t) {
            task *next = t->ready_next;
            running = t;
            t->resumed_ns = clock_ns();
            coro_resume(t->co);
            running = NULL;
            if (coro_done(t->co))
                task_end(l, t);
            t = next;
        }
        if (!l->live)
            break;
        poll_events(l);
        take_remote(l);
        expire_timers(l);
    }
}

/* ---- waiting ------------------------------------------------------------------------------- */

task *loop_self(void)
{
    return running;
}

/* Outside a task: poll the descriptor (or nothing) and the interrupt pipe. */
static loop_status block_on(int fd, short events, int64_t deadline_ns)
{
    for (;;) {
        if (loop_interrupted())
            return LOOP_INTR;
        int64_t left = deadline_ns - clock_ns();
        if (left <= 0)
            return LOOP_TIMEOUT;
        struct pollfd p[2] = {{.fd = interrupt_fd, .events = POLLIN}, {.fd = fd, .events = events}};
        int ms = (int)((left + 999999) / 1000000);
        int rc = poll(p, fd >= 0 ? 2 : 1, ms);
        if (rc < 0 && errno != EINTR)
            return LOOP_READY; /* let the caller's own call report the error */
        if (rc > 0 && fd >= 0 && p[1].revents)
            return LOOP_READY;
    }
}

/* Parks the running task until make_ready; the deadline (if any) is on the heap. */
static loop_status park(task *t, wait_kind w, int64_t deadline_ns, bool timed)
{
    t->wait = w;
    if (timed)
        heap_add(t->l, t, deadline_ns);
    coro_yield();
    return t->result;
}

void loop_share(void)
{
    task *t = running;
    if (!t || clock_ns() - t->resumed_ns < LOOP_SLICE_NS)
        return;
    make_ready(t->l, t, LOOP_READY); /* to the back of the queue */
    coro_yield();
}

loop_status loop_wait_fd(int fd, bool out, int64_t deadline_ns)
{
    task *t = running;
    if (!t)
        return block_on(fd, out ? POLLOUT : POLLIN, deadline_ns);
    if (loop_interrupted())
        return LOOP_INTR;
    if (clock_ns() >= deadline_ns)
        return LOOP_TIMEOUT;
    struct epoll_event e = {.events = out ? EPOLLOUT : EPOLLIN, .data.ptr = t};
    if (epoll_ctl(t->l->ep, EPOLL_CTL_ADD, fd, &e) != 0 &&
        (errno != EEXIST || epoll_ctl(t->l->ep, EPOLL_CTL_MOD, fd, &e) != 0))
        return LOOP_READY; /* not pollable: the caller's call will say why */
    t->fd = fd;
    return park(t, W_FD, deadline_ns, true);
}

loop_status loop_sleep_until(int64_t deadline_ns)
{
    task *t = running;
    if (!t) {
        loop_status s = block_on(-1, 0, deadline_ns);
        return s == LOOP_TIMEOUT ? LOOP_READY : s;
    }
    if (loop_interrupted())
        return LOOP_INTR;
    if (clock_ns() >= deadline_ns)
        return LOOP_READY;
    return park(t, W_SLEEP, deadline_ns, true);
}

loop_status loop_wait_wake(int64_t deadline_ns)
{
    task *t = running;
    if (!t) {
        loop_status s = block_on(-1, 0, deadline_ns);
        return s == LOOP_INTR ? s : LOOP_TIMEOUT;
    }
    if (loop_interrupted())
        return LOOP_INTR;
    pthread_mutex_lock(&t->l->mu);
    bool pending = t->woken;
    t->woken = false;
    pthread_mutex_unlock(&t->l->mu);
    if (pending)
        return LOOP_READY;
    if (clock_ns() >= deadline_ns)
        return LOOP_TIMEOUT;
    return park(t, W_WAKE, deadline_ns, true);
}

void loop_wake(task *t)
{
    loop *l = t->l;
    pthread_mutex_lock(&l->mu);
    t->woken = true;
    if (!t->queued) {
        t->queued = true;
        t->remote_next = l->remote;
        l->remote = t;
    }
    /* still under the lock: once the loop takes the task, it may end and the loop with it */
    uint64_t one = 1;
    ssize_t r = write(l->efd, &one, sizeof one);
    (void)r;
    pthread_mutex_unlock(&l->mu);
}

/* ---- helper threads ------------------------------------------------------------------------ */

#define MAX_HELPERS 64

typedef struct job {
    void (*fn)(void *);
    void *arg;
    task *t;
    struct job *next;
} job;

static pthread_mutex_t helpers_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t helpers_cv = PTHREAD_COND_INITIALIZER;
static job *jobs_head, *jobs_tail;
static size_t njobs;
static pthread_t helper_th[MAX_HELPERS];
static int helpers, helpers_idle;
static bool helpers_quit;

/* Takes jobs until loop_helpers_stop. */
static void *helper(void *unused)
{
    (void)unused;
    pthread_mutex_lock(&helpers_mu);
    for (;;) {
        while (!jobs_head && !helpers_quit) {
            helpers_idle++;
            pthread_cond_wait(&helpers_cv, &helpers_mu);
            helpers_idle--;
        }
        if (!jobs_head) /* quitting, and nothing left to do */
            break;
        job *j = jobs_head;
        jobs_head = j->next;
        if (!jobs_head)
            jobs_tail = NULL;
        njobs--;
        pthread_mutex_unlock(&helpers_mu);
        j->fn(j->arg);
        loop_wake(j->t);
        free(j);
        pthread_mutex_lock(&helpers_mu);
    }
    pthread_mutex_unlock(&helpers_mu);
    return NULL;
}

void loop_helpers_stop(void)
{
    pthread_mutex_lock(&helpers_mu);
    helpers_quit = true;
    pthread_cond_broadcast(&helpers_cv);
    int n = helpers;
    pthread_mutex_unlock(&helpers_mu);
    for (int i = 0; i < n; i++)
        pthread_join(helper_th[i], NULL);
    pthread_mutex_lock(&helpers_mu);
    helpers = 0;
    helpers_quit = false;
    pthread_mutex_unlock(&helpers_mu);
}

void loop_blocking(void (*fn)(void *), void *arg)
{
    task *t = running;
    pthread_mutex_lock(&helpers_mu);
    if (t && njobs >= (size_t)helpers_idle && helpers < MAX_HELPERS &&
        pthread_create(&helper_th[helpers], NULL, helper, NULL) == 0)
        helpers++;
    if (!t || helpers == 0) { /* outside a task, or no thread at all: run it here */
        pthread_mutex_unlock(&helpers_mu);
        fn(arg);
        return;
    }
    job *j = xcalloc(1, sizeof *j);
    *j = (job){fn, arg, t, NULL};
    if (jobs_tail)
        jobs_tail->next = j;
    else
        jobs_head = j;
    jobs_tail = j;
    njobs++;
    pthread_cond_signal(&helpers_cv);
    pthread_mutex_unlock(&helpers_mu);
    park(t, W_BLOCKING, 0, false);
}
