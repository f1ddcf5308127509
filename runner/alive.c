/* alive: see alive.h. */
#include "alive.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char last_case[256]; /* the last case that connected; "" before any */
static char gone_after[256]; /* while the server is gone: the case it was gone after */
static bool said;           /* the stderr line was printed (once per run) */

void alive_connected(const char *case_id)
{
    pthread_mutex_lock(&mu);
    snprintf(last_case, sizeof last_case, "%s", case_id);
    gone_after[0] = '\0';
    pthread_mutex_unlock(&mu);
}

/* conn_open and libcurl both put curl's own words for CURLE_COULDNT_CONNECT in the message of a
 * refused (or unroutable) connect; a timeout or a TLS failure says something else. */
static bool is_refusal(const char *errmsg)
{
    return errmsg && strstr(errmsg, curl_easy_strerror(CURLE_COULDNT_CONNECT)) != NULL;
}

bool alive_refused(const char *errmsg, int64_t run_start_ns, char *why, size_t whysz)
{
    if (!is_refusal(errmsg))
        return false;
    pthread_mutex_lock(&mu);
    bool gone = last_case[0] != '\0';
    if (gone && !gone_after[0]) {
        snprintf(gone_after, sizeof gone_after, "%s", last_case);
        if (!said) {
            said = true;
            fprintf(stderr, "h1xx: the server stopped accepting connections after %s at "
                    "+%.3fs\n", gone_after, (double)(clock_ns() - run_start_ns) / 1e9);
        }
    }
    if (gone)
        snprintf(why, whysz, "not run against a live server: the server stopped accepting "
                 "connections after %s", gone_after);
    pthread_mutex_unlock(&mu);
    return gone;
}

void alive_reset(void)
{
    pthread_mutex_lock(&mu);
    last_case[0] = gone_after[0] = '\0';
    said = false;
    pthread_mutex_unlock(&mu);
}
