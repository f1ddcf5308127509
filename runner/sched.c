/* sched: see sched.h. One worker thread per core, each running an event loop (loop.h); the
 * `jobs` slots are spread over the workers as tasks, and each task takes the next case index
 * under a mutex until none is left. Nothing else is shared but the done callback, which also
 * runs under the mutex. */
#include "sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "loop.h"
#include "util.h"

typedef struct pool {
    const case_def *const *cases;
    size_t n, next;
    const run_ctx *ctx;
    case_result *results;
    sched_done_fn done;
    void *arg;
    pthread_mutex_t lock;
} pool;

typedef struct worker {
    pool *p;
    int slots; /* cases this worker runs at once */
    pthread_t th;
} worker;

static void mark_not_run(const case_def *c, const run_ctx *ctx, case_result *r, const char *why)
{
    memset(r, 0, sizeof *r);
    case_describe(c, ctx->cat, r);
    r->verdict = VERDICT_NOTRUN;
    r->message = xstrdup(why);
}

/* One slot: cases one after another (a task on a loop, or plain code when there is none). */
static void slot(void *p_)
{
    pool *p = p_;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        size_t i = p->next++;
        pthread_mutex_unlock(&p->lock);
        if (i >= p->n)
            break;
        case_result *r = &p->results[i];
        if (conn_interrupted())
            mark_not_run(p->cases[i], p->ctx, r, "not run: interrupted");
        else if (p->ctx->run_deadline_ns && clock_ns() >= p->ctx->run_deadline_ns)
            mark_not_run(p->cases[i], p->ctx, r, "not run: the run deadline (--deadline) was reached");
        else
            case_run(p->cases[i], p->ctx, r);
        pthread_mutex_lock(&p->lock);
        if (p->done)
            p->done(p->arg, r);
        pthread_mutex_unlock(&p->lock);
    }
}

static void *worker_main(void *w_)
{
    worker *w = w_;
    loop *l = loop_new();
    int spawned = 0;
    for (int i = 0; l && i < w->slots; i++)
        if (loop_spawn(l, slot, w->p) == 0)
            spawned++;
    if (spawned)
        loop_run(l);
    else /* no loop: this thread runs the cases itself, one at a time */
        slot(w->p);
    loop_free(l);
    return NULL;
}

int sched_workers(int jobs)
{
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    if (cores < 1)
        cores = 1;
    return jobs < cores ? jobs : (int)cores;
}

void sched_run(const case_def *const *cases, size_t n, const run_ctx *ctx, int jobs,
               case_result *results, sched_done_fn done, void *arg)
{
    pool p = {.cases = cases, .n = n, .ctx = ctx, .results = results, .done = done, .arg = arg};
    pthread_mutex_init(&p.lock, NULL);
    if (jobs < 1)
        jobs = 1;
    if ((size_t)jobs > n)
        jobs = n ? (int)n : 1;
    int nw = sched_workers(jobs);
    worker *w = xcalloc((size_t)nw, sizeof *w);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    int started = 0;
    for (int i = 0; i < nw; i++) {
        w[i].p = &p;
        w[i].slots = jobs / nw + (i < jobs % nw ? 1 : 0);
        if (pthread_create(&w[i].th, &attr, worker_main, &w[i]) == 0)
            started++;
        else
            break;
    }
    pthread_attr_destroy(&attr);
    if (started == 0) { /* no threads at all: run on this one */
        w[0].slots = jobs;
        worker_main(&w[0]);
    }
    for (int i = 0; i < started; i++)
        pthread_join(w[i].th, NULL);
    loop_helpers_stop();
    free(w);
    pthread_mutex_destroy(&p.lock);
}
