/* fdlimit: see fdlimit.h. */
#include "fdlimit.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "sched.h"

/* Descriptors that are not a case's: stdio, the interrupt pipe, the embedded origin's listener
 * and wake pipe, libcurl's, reports being written, and room for a proxy's idle connections. */
#define FD_RESERVE 64

void fdlimit_raise(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

/* A case keeps its connections open until it ends: the first, one per "open" step, and one
 * per further request (a request after a close goes on a new connection). */
static long case_conns(const case_def *c)
{
    long opens = 0, requests = 0;
    for (size_t i = 0; i < c->nsteps; i++) {
        const step *st = &c->steps[i];
        if (st->kind == STEP_OPEN)
            opens++;
        if (st->kind == STEP_SEND && st->nlines && st->lines[0].crlf &&
            strstr(st->lines[0].text, " HTTP/"))
            requests++;
    }
    return 1 + opens + (requests > 1 ? requests - 1 : 0);
}

long fdlimit_needed(const case_def *const *cases, size_t n, int jobs, unsigned mode)
{
    long most = 1;
    for (size_t i = 0; i < n; i++) {
        long k = case_conns(cases[i]) + (mode != MODE_ORIGIN && cases[i]->uses_origin ? 1 : 0);
        if (mode == MODE_CLIENT) /* the driver's stdout, stderr and upload content files */
            k += 3;
        if (k > most)
            most = k;
    }
    long at_once = (size_t)jobs < n ? jobs : (long)n;
    return FD_RESERVE + 3L * sched_workers(jobs) + at_once * most;
}

int fdlimit_check(const case_def *const *cases, size_t n, int jobs, unsigned mode, char *err,
                  size_t errsz)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
        return 0;
    long need = fdlimit_needed(cases, n, jobs, mode);
    if ((rlim_t)need <= rl.rlim_cur)
        return 0;
    long at_once = (size_t)jobs < n ? jobs : (long)n;
    snprintf(err, errsz,
             "%ld cases at once (-j %d) may hold %ld open files, but this process may open %llu "
             "(hard limit %llu): lower -j, or raise the limit (`ulimit -Hn %ld; ulimit -n %ld` "
             "as root, or LimitNOFILE=%ld for a systemd service, nofile in "
             "/etc/security/limits.conf)",
             at_once, jobs, need, (unsigned long long)rl.rlim_cur,
             (unsigned long long)rl.rlim_max, need, need, need);
    return -1;
}
