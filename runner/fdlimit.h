/* fdlimit: open-file limits. A run holds a socket or two for every case in flight, so -j 10000
 * needs over ten thousand descriptors: the soft limit is raised to the hard one at start, and a
 * run that would still not fit is refused before it starts (never EMFILE in the middle). */
#ifndef H1XX_FDLIMIT_H
#define H1XX_FDLIMIT_H

#include <stddef.h>

#include "case.h"

/* Raises the soft RLIMIT_NOFILE to the hard limit. */
void fdlimit_raise(void);
/* Descriptors a run of cases[0..n) with `jobs` in parallel may hold at once. */
long fdlimit_needed(const case_def *const *cases, size_t n, int jobs, unsigned mode);
/* 0 when that fits under the soft limit; else -1 with what to do in err. */
int fdlimit_check(const case_def *const *cases, size_t n, int jobs, unsigned mode, char *err,
                  size_t errsz);

#endif
