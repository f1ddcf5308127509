/* sched: see sched.h. Workers take the next case index under a mutex; nothing else is shared
 * but the done callback, which also runs under the mutex. */
#include "sched.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void mark_not_run(const case_def *c, const run_ctx *ctx, case_result *r, const char *why)
{
    memset(r, 0, sizeof *r);
    case_describe(c, ctx->cat, r);
    r->verdict = VERDICT_NOTRUN;
    r->message = xstrdup(why);
}

static void *worker(void *p_)
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
    return NULL;
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
    pthread_t *t = xcalloc((size_t)jobs, sizeof *t);
    int started = 0;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 1024 * 1024);
    for (int i = 0; i < jobs; i++)
        if (pthread_create(&t[i], &attr, worker, &p) == 0)
            started++;
        else
            break;
    pthread_attr_destroy(&attr);
    if (started == 0) /* no threads at all: run on this one */
        worker(&p);
    for (int i = 0; i < started; i++)
        pthread_join(t[i], NULL);
    free(t);
    pthread_mutex_destroy(&p.lock);
}
