/* alive: notices a target that stops accepting connections during the run (it crashed on one
 * case, say). Each successful connect is recorded with its case; a refused connect after at
 * least one success means the server is gone. The first such refusal prints one line on
 * stderr ("the server stopped accepting connections after CASE at +T s"), and every case
 * refused from then on ends as error with the same reason, instead of a mix of "Couldn't
 * connect" errors that read like separate faults. A later successful connect (the server came
 * back) ends the outage. Thread-safe; process-wide, like the run. */
#ifndef H1XX_ALIVE_H
#define H1XX_ALIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Case case_id connected to the target. */
void alive_connected(const char *case_id);

/* A connect failed with errmsg (as conn_open or libcurl says it). When it is a refusal and an
 * earlier case connected fine, returns true with the case's error message in why ("not run
 * against a live server: ..."); run_start_ns dates the one stderr line. Otherwise false. */
bool alive_refused(const char *errmsg, int64_t run_start_ns, char *why, size_t whysz);

/* Forgets everything (the unit tests; a second run in one process). */
void alive_reset(void);

#endif
