/* h1xx client-mode driver for libcurl (the library h1xx itself links), built by `make
 * build/libcurl-driver`:
 *
 *     h1xx client -- build/libcurl-driver {url} {method} {body} {upgrade} {headers} {url2}
 *     build/libcurl-driver --version        # libcurl's version, for suite/interop.py
 *
 * One transfer with the easy interface. An upload (a non-empty {body}) is CURLOPT_UPLOAD with
 * its size known, so libcurl itself chooses whether to send `Expect: 100-continue` and how long
 * to wait for the 100 (nothing here overrides either: that is what is being tested). The final
 * response's body goes to stdout and its fields to {headers}, only once libcurl reports success
 * with a final status; exit 0 then, whatever the code. Exit 1 when libcurl reports an error or
 * hands over a 1xx as the response, 2 on a usage error. With a non-empty {url2} a GET of it
 * follows on the same easy handle, which keeps the connection for it (libcurl's reuse), and both
 * bodies are printed in order. */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BODY_CAP (16u << 20) /* the cases' bodies are tokens; a runaway stream is an error */
#define HEAD_CAP (256u << 10)

struct buf {
    char *data;
    size_t len;
    size_t cap;
    int overflow;
};

/* Appends n bytes, growing up to limit; past it the buffer is marked and keeps what it has. */
static int buf_add(struct buf *b, const char *p, size_t n, size_t limit)
{
    if (b->len + n > limit) {
        b->overflow = 1;
        return -1;
    }
    if (b->len + n > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    return buf_add(ud, p, size * n, BODY_CAP) ? 0 : size * n;
}

/* libcurl calls this for every head line, interim heads included: a status line starts a new
 * head, so only the last head's fields remain (the final response's, after a success). */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    struct buf *b = ud;
    size_t len = size * n;
    if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
        b->len = 0;
        return len;
    }
    while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        len--;
    if (len == 0)
        return size * n;
    if (buf_add(b, p, len, HEAD_CAP) || buf_add(b, "\n", 1, HEAD_CAP))
        return 0;
    return size * n;
}

static int write_file(const char *path, const struct buf *b)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = b->len ? fwrite(b->data, 1, b->len, f) : 0;
    return (fclose(f) == 0 && w == b->len) ? 0 : -1;
}

struct request {
    const char *url, *method, *body, *upgrade, *headers, *url2;
};

/* One transfer on h; 0 when it ended with a final response, else 1 (said on stderr). */
static int perform(CURL *h, const struct buf *body)
{
    CURLcode res = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    if (res != CURLE_OK) {
        fprintf(stderr, "libcurl_get: %s (CURLcode %d, status %ld)%s\n", curl_easy_strerror(res),
                (int)res, status, body->overflow ? ", body over 16 MiB" : "");
        return 1;
    }
    if (status < 200) {
        fprintf(stderr, "libcurl_get: libcurl returned interim %ld as the response\n", status);
        return 1;
    }
    return 0;
}

/* The second request ({url2}): a GET without content on the same handle. */
static int perform_second(CURL *h, const struct request *rq, const struct buf *body)
{
    curl_easy_setopt(h, CURLOPT_URL, rq->url2);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 0L);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    return perform(h, body);
}

/* Sets up the upload of rq->body; *in is the open file (the caller closes it). */
static int setup_upload(CURL *h, const struct request *rq, FILE **in)
{
    *in = fopen(rq->body, "rb");
    if (!*in) {
        perror(rq->body);
        return -1;
    }
    if (fseek(*in, 0, SEEK_END) != 0) {
        perror(rq->body);
        return -1;
    }
    long size = ftell(*in);
    rewind(*in);
    if (size <= 0)
        return 0; /* an empty file: no upload */
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_READDATA, *in);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)size);
    return 0;
}

static int run(const struct request *rq)
{
    int rc = 1;
    FILE *in = NULL;
    struct curl_slist *fields = NULL;
    struct buf body = {0}, head = {0};
    CURL *h = curl_easy_init();
    if (!h)
        goto out;
    curl_easy_setopt(h, CURLOPT_URL, rq->url);
    curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, rq->method);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    if (rq->body[0] && setup_upload(h, rq, &in))
        goto out;
    if (rq->upgrade[0]) {
        char line[256];
        int n = snprintf(line, sizeof line, "Upgrade: %s", rq->upgrade);
        if (n < 0 || (size_t)n >= sizeof line)
            goto out;
        fields = curl_slist_append(fields, line);
        fields = curl_slist_append(fields, "Connection: upgrade");
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, fields);
    }
    if (perform(h, &body) || (rq->url2[0] && perform_second(h, rq, &body)))
        goto out;
    if (rq->headers[0] && write_file(rq->headers, &head))
        perror(rq->headers);
    if (body.len && fwrite(body.data, 1, body.len, stdout) != body.len)
        goto out;
    rc = 0;
out:
    if (in)
        fclose(in);
    curl_slist_free_all(fields);
    curl_easy_cleanup(h);
    free(body.data);
    free(head.data);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        printf("libcurl %s\n", curl_version_info(CURLVERSION_NOW)->version);
        return 0;
    }
    if (argc < 2 || argc > 7) {
        fprintf(stderr, "usage: %s URL [METHOD] [BODY] [UPGRADE] [HEADERS] [URL2]\n", argv[0]);
        return 2;
    }
    struct request rq = {argv[1], argc > 2 && argv[2][0] ? argv[2] : "GET",
                         argc > 3 ? argv[3] : "", argc > 4 ? argv[4] : "",
                         argc > 5 ? argv[5] : "", argc > 6 ? argv[6] : ""};
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    int rc = run(&rq);
    curl_global_cleanup();
    return rc;
}
