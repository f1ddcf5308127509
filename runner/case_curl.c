/* case_curl: what a real client experiences. libcurl (the client most programs upload with)
 * sends an upload to the target while its debug callback timestamps every chunk it writes and
 * reads, so the case can measure, e.g., how long libcurl holds the body back waiting for a
 * 100 Continue (its expect timeout is 1 s). The transcript shows connection 0 ("libcurl"). */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alive.h"
#include "case_int.h"
#include "util.h"

typedef struct upload {
    runner *R;
    long left;           /* body bytes still to hand to libcurl */
    int64_t t_head_out;  /* request head written */
    int64_t t_body_out;  /* first body byte written */
    int64_t t_first_in;  /* first response byte read */
} upload;

static size_t read_body(char *p, size_t size, size_t nmemb, void *arg)
{
    upload *u = arg;
    size_t n = size * nmemb;
    if ((long)n > u->left)
        n = (size_t)u->left;
    memset(p, 'x', n);
    u->left -= (long)n;
    return n;
}

static size_t discard(char *p, size_t size, size_t nmemb, void *arg)
{
    (void)p, (void)arg;
    return size * nmemb;
}

static int on_debug(CURL *h, curl_infotype type, char *data, size_t len, void *arg)
{
    (void)h;
    upload *u = arg;
    int64_t now = clock_ns();
    tx_kind k;
    switch (type) {
    case CURLINFO_HEADER_OUT:
        if (!u->t_head_out)
            u->t_head_out = now;
        k = TX_SENT;
        break;
    case CURLINFO_DATA_OUT:
        if (!u->t_body_out)
            u->t_body_out = now;
        k = TX_SENT;
        break;
    case CURLINFO_HEADER_IN:
    case CURLINFO_DATA_IN:
        if (!u->t_first_in)
            u->t_first_in = now;
        k = TX_RECV;
        break;
    case CURLINFO_TEXT:
        k = TX_NOTE;
        break;
    default:
        return 0;
    }
    /* libcurl's own notes end in a newline; keep the transcript tidy. */
    size_t n = (k == TX_NOTE && len && data[len - 1] == '\n') ? len - 1 : len;
    result_tx(u->R->r, k, 0, runner_rel(u->R, now), data, n);
    return 0;
}

static int on_progress(void *arg, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
    (void)arg, (void)a, (void)b, (void)c, (void)d;
    return conn_interrupted() ? 1 : 0;
}

static char *target_url(const target *t, const char *path)
{
    if (t->scheme == TARGET_UNIX)
        return xasprintf("http://localhost%s", path);
    bool v6 = strchr(t->host, ':') != NULL;
    return xasprintf("%s://%s%s%s:%d%s", t->scheme == TARGET_HTTPS ? "https" : "http",
                     v6 ? "[" : "", t->host, v6 ? "]" : "", t->port, path);
}

static void set_upload_options(CURL *h, runner *R, const step *st, upload *u, const char *url,
                               struct curl_slist *hdrs, int64_t ms)
{
    const target *t = R->ctx->tgt;
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROXY, "");
    curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, st->method);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)st->bytes);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_body);
    curl_easy_setopt(h, CURLOPT_READDATA, u);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
    curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, on_debug);
    curl_easy_setopt(h, CURLOPT_DEBUGDATA, u);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(ms > 0 ? ms : 1));
    if (t->scheme == TARGET_UNIX)
        curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, t->unix_path);
    if (t->scheme == TARGET_HTTPS) {
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, R->ctx->copts.insecure ? 0L : 1L);
        curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, R->ctx->copts.insecure ? 0L : 2L);
        if (R->ctx->copts.cacert)
            curl_easy_setopt(h, CURLOPT_CAINFO, R->ctx->copts.cacert);
    }
}

/* The request's extra headers: Expect as the step says (libcurl would decide by size
 * otherwise), plus the user's -H lines. */
static struct curl_slist *upload_headers(runner *R, const step *st)
{
    struct curl_slist *h = curl_slist_append(NULL, st->expect100 ? "Expect: 100-continue"
                                                                 : "Expect:");
    for (size_t i = 0; i < R->ctx->nheaders; i++)
        h = curl_slist_append(h, R->ctx->headers[i]);
    return h;
}

static void record_upload(runner *R, const upload *u, CURL *h, CURLcode rc)
{
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    case_result *r = R->r;
    result_metric(r, "curl-status", status, false);
    if (u->t_head_out && u->t_body_out)
        result_metric(r, "body-stall", u->t_body_out - u->t_head_out, true);
    if (u->t_head_out)
        result_metric(r, "curl-total", clock_ns() - u->t_head_out, true);
    const metric_record *stall = result_get_metric(r, "body-stall");
    if (stall)
        result_note(r, "libcurl held the body back %lld.%03lld ms after sending the head; "
                       "final status %ld", (long long)(stall->value / 1000000),
                    (long long)(stall->value % 1000000 / 1000), status);
    else
        result_note(r, "libcurl sent no body (final status %ld before it)", status);
    if (rc != CURLE_OK)
        result_note(r, "libcurl: %s", curl_easy_strerror(rc));
}

/* A case that got no HTTP response cannot pass. A timeout is the server's failure to answer;
 * any other libcurl error with no status at all (a refused connect, TLS trouble, bytes libcurl
 * would not take as HTTP: an SSH banner, TLS on a plain port) means the case could not run:
 * error, with libcurl's reason. An error after a status (a reset, bytes libcurl refused after
 * a 100) leaves the stall unmeasured: inconclusive, a skip; other cases judge that breakage. */
static void judge_upload(runner *R, CURL *h, CURLcode rc, const char *detail, int64_t want,
                         int64_t ns)
{
    long status = 0;
    curl_off_t connected = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(h, CURLINFO_CONNECT_TIME_T, &connected);
    if (connected > 0)
        alive_connected(R->c->id);
    char what[CURL_ERROR_SIZE + 128];
    if (!detail[0] || strstr(detail, curl_easy_strerror(rc)))
        snprintf(what, sizeof what, "%s", detail[0] ? detail : curl_easy_strerror(rc));
    else
        snprintf(what, sizeof what, "%s: %s", curl_easy_strerror(rc), detail);
    char gone[512];
    if (conn_interrupted())
        runner_end(R, VERDICT_NOTRUN, "interrupted");
    else if (rc == CURLE_OPERATION_TIMEDOUT) {
        if (!runner_cut(R, want))
            runner_fail(R, true, "GEN-4", /* a request left without its final response */
                        "expected libcurl's upload to get a final response within %lldms, got "
                        "none", (long long)(ns / 1000000));
    } else if (rc == CURLE_COULDNT_CONNECT &&
               alive_refused(what, R->ctx->run_start_ns, gone, sizeof gone))
        runner_end(R, VERDICT_ERROR, "%s", gone);
    else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_SSL_CONNECT_ERROR)
        runner_end(R, VERDICT_ERROR, "libcurl could not connect: %s", what);
    else if (status < 100)
        runner_end(R, VERDICT_ERROR, "libcurl got no HTTP response: %s", what);
    else if (rc != CURLE_OK) /* the other cases judge what broke the exchange */
        runner_end(R, VERDICT_SKIP, "inconclusive: libcurl's upload broke off after %s %ld (%s), "
                   "so its stall was not measured to the end", status < 200 ? "interim" : "final",
                   status, what);
}

void step_curl(runner *R, const step *st)
{
    int64_t ns = runner_duration(R, st->within, "${long}");
    if (R->stop)
        return;
    int64_t want = clock_ns() + ns;
    int64_t ms = (runner_bounded(R, want) - clock_ns()) / 1000000;
    char *path = runner_expand(R, st->arg, NULL);
    char *url = target_url(R->ctx->tgt, path);
    upload u = {.R = R, .left = st->bytes};
    struct curl_slist *hdrs = upload_headers(R, st);
    CURL *h = curl_easy_init();
    if (!h) {
        runner_end(R, VERDICT_ERROR, "libcurl could not make a handle");
        goto out;
    }
    set_upload_options(h, R, st, &u, url, hdrs, ms);
    char detail[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, detail);
    CURLcode rc = curl_easy_perform(h);
    record_upload(R, &u, h, rc);
    judge_upload(R, h, rc, detail, want, ns);
    curl_easy_cleanup(h);
out:
    curl_slist_free_all(hdrs);
    free(url);
    free(path);
}
