/* Unit tests of fates.c: the trace field (added, read back), the pairing of what the origin wrote
 * with what the client read (by trace, by order where a proxy stripped it) and the fate of each
 * message: forwarded, late, held, dropped, made the final (kept or rewritten), altered, another
 * case's, the proxy's own; and the run-wide registry and link. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fates.h"
#include "util.h"

#define MS 1000000LL

/* ---- the trace field --------------------------------------------------------------------- */

static void test_trace_insert(void)
{
    static const char two[] = "HTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\n"
                              "Content-Length: 2\r\n\r\nok";
    buf_t out;
    buf_init(&out, 0);
    int seq = 0;
    CU_ASSERT_EQUAL(fates_trace_insert(two, sizeof two - 1, "c1-ab", &seq, &out), 2);
    CU_ASSERT_EQUAL(seq, 2);
    buf_append(&out, "", 1);
    CU_ASSERT_STRING_EQUAL(out.data, "HTTP/1.1 102 Processing\r\nH1xx-Trace: c1-ab.1\r\n\r\n"
                                     "HTTP/1.1 200 OK\r\nH1xx-Trace: c1-ab.2\r\n"
                                     "Content-Length: 2\r\n\r\nok");
    char tok[FATES_TOKEN_MAX];
    int n = 0;
    CU_ASSERT_TRUE(fates_trace_parse(out.data + 49, out.len - 49, tok, sizeof tok, &n));
    CU_ASSERT_STRING_EQUAL(tok, "c1-ab");
    CU_ASSERT_EQUAL(n, 2);
    buf_free(&out);

    /* a status line split across writes, a bare LF, a body: left as written */
    static const char *const left[] = {"HTTP/1.1 10", "HTTP/1.1 103 Early\n\n", "hello\r\n\r\n"};
    for (size_t i = 0; i < 3; i++) {
        buf_init(&out, 0);
        seq = 5;
        CU_ASSERT_EQUAL(fates_trace_insert(left[i], strlen(left[i]), "t", &seq, &out), 0);
        CU_ASSERT_EQUAL(seq, 5);
        CU_ASSERT_EQUAL(out.len, strlen(left[i]));
        CU_ASSERT_EQUAL(memcmp(out.data, left[i], out.len), 0);
        buf_free(&out);
    }
    CU_ASSERT_FALSE(fates_trace_parse("HTTP/1.1 200 OK\r\nX-H1xx-Trace: a.1\r\n\r\n", 37, tok,
                                      sizeof tok, &n)); /* at a line start only */
    CU_ASSERT_FALSE(fates_trace_parse("HTTP/1.1 200 OK\r\nh1xx-trace: a\r\n\r\n", 33, tok,
                                      sizeof tok, &n)); /* no sequence number */
}

static void test_field_diff(void)
{
    static const char w[] = "HTTP/1.1 103 Early Hints\r\nH1xx-Trace: t.1\r\nLink: </a>\r\n"
                            "X-Hop: 1\r\n\r\n";
    static const char g[] = "HTTP/1.1 103 Early Hints\r\nLink: </a>\r\nVia: 1.1 p\r\n\r\n";
    char d[200];
    fates_field_diff(w, sizeof w - 1, g, sizeof g - 1, d, sizeof d);
    CU_ASSERT_STRING_EQUAL(d, "added Via; removed X-Hop"); /* the trace is not a change */
    fates_field_diff(w, sizeof w - 1, w, sizeof w - 1, d, sizeof d);
    CU_ASSERT_STRING_EQUAL(d, "");
}

/* ---- classification ---------------------------------------------------------------------- */

#define H(s) s, sizeof s - 1

static const fate_write W[] = {
    {1, 102, 1, 101, 0 * MS, H("HTTP/1.1 102 Processing\r\nH1xx-Trace: me.1\r\n\r\n"), false},
    {2, 103, 1, 101, 10 * MS, H("HTTP/1.1 103 Early\r\nH1xx-Trace: me.2\r\n\r\n"), false},
    {3, 200, 1, 101, 20 * MS, H("HTTP/1.1 200 OK\r\nH1xx-Trace: me.3\r\n\r\n"), false},
};

static size_t classify(const fate_read *r, size_t nr, int64_t fwd_max, const bool *closed,
                       fate_out *out)
{
    fate_input in = {"me", W, 3, r, nr, fwd_max, closed, closed ? 3 : 0};
    return fates_classify(&in, out);
}

static void test_forwarded_late_held(void)
{
    fate_read r[] = {
        {102, true, 1, 1 * MS, H("HTTP/1.1 102 Processing\r\nH1xx-Trace: me.1\r\n\r\n")},
        {103, true, 1, 400 * MS, H("HTTP/1.1 103 Early\r\nH1xx-Trace: me.2\r\n\r\n")},
        {200, false, 1, 401 * MS, H("HTTP/1.1 200 OK\r\nH1xx-Trace: me.3\r\n\r\n")},
    };
    fate_out out[6];
    CU_ASSERT_EQUAL(classify(r, 3, 250 * MS, NULL, out), 3);
    CU_ASSERT_EQUAL(out[0].kind, FATE_FORWARDED);
    CU_ASSERT_EQUAL(out[0].t_read - out[0].t_write, 1 * MS);
    CU_ASSERT_EQUAL(out[1].kind, FATE_LATE); /* the final was written 10 ms after it: late */
    CU_ASSERT_EQUAL(out[2].kind, FATE_FORWARDED);
    /* without a bound (fwd_max 0) nothing is late */
    CU_ASSERT_EQUAL(classify(r, 3, 0, NULL, out), 3);
    CU_ASSERT_EQUAL(out[1].kind, FATE_FORWARDED);

    /* held: read together with the final, written long before it */
    fate_write w2[] = {W[0], W[2]};
    w2[1].t0 = 600 * MS;
    fate_read r2[] = {r[0], r[2]};
    r2[0].t = 601 * MS;
    r2[1].t = 602 * MS;
    fate_input in = {"me", w2, 2, r2, 2, 250 * MS, NULL, 0};
    CU_ASSERT_EQUAL(fates_classify(&in, out), 2);
    CU_ASSERT_EQUAL(out[0].kind, FATE_HELD);
    CU_ASSERT_EQUAL(out[1].kind, FATE_FORWARDED);
}

static void test_dropped_and_made_final(void)
{
    /* the 102 reached the client, then the connection closed: the 102 was taken as the final */
    fate_read r[] = {{102, true, 1, 1 * MS, H("HTTP/1.1 102 Processing\r\nH1xx-Trace: me.1\r\n"
                                              "Connection: close\r\n\r\n")}};
    bool closed[3] = {false, true, false};
    fate_out out[6];
    CU_ASSERT_EQUAL(classify(r, 1, 250 * MS, closed, out), 3);
    CU_ASSERT_EQUAL(out[0].kind, FATE_MADE_FINAL);
    CU_ASSERT_EQUAL(out[1].kind, FATE_DROPPED);
    CU_ASSERT_EQUAL(out[2].kind, FATE_DROPPED);
    CU_ASSERT_TRUE(out[2].after_1xx);
    /* the same with the connection still open: the 102 forwarded, the rest not read; the
     * final may still come (not lost), the 103 is late or dropped (unsettled) */
    closed[1] = false;
    classify(r, 1, 250 * MS, closed, out);
    CU_ASSERT_EQUAL(out[0].kind, FATE_FORWARDED);
    CU_ASSERT_EQUAL(out[1].kind, FATE_DROPPED);
    CU_ASSERT_TRUE(out[1].unsettled);
    CU_ASSERT_EQUAL(out[2].kind, FATE_DROPPED);
    CU_ASSERT_FALSE(out[2].after_1xx);
    /* a 103 missing while the final came after it: dropped for sure */
    fate_read r3[] = {r[0], {200, false, 1, 30 * MS,
                             H("HTTP/1.1 200 OK\r\nH1xx-Trace: me.3\r\n\r\n")}};
    classify(r3, 2, 250 * MS, closed, out);
    CU_ASSERT_EQUAL(out[1].kind, FATE_DROPPED);
    CU_ASSERT_FALSE(out[1].unsettled);

    /* after a 101 that reached the client the rest is another protocol's: no lost final */
#define SWITCH H("HTTP/1.1 101 Switching\r\nH1xx-Trace: me.1\r\n\r\n")
    fate_write w101[] = {{1, 101, 1, 101, 0, SWITCH, false}, W[2]};
    fate_read r101[] = {{101, true, 1, 1 * MS, SWITCH}};
#undef SWITCH
    bool gone[3] = {false, true, false};
    fate_input in101 = {"me", w101, 2, r101, 1, 250 * MS, gone, 3};
    fates_classify(&in101, out);
    CU_ASSERT_EQUAL(out[1].kind, FATE_DROPPED);
    CU_ASSERT_FALSE(out[1].after_1xx);

    /* rewritten: the 102's trace on a final 200 */
    fate_read r2[] = {{200, false, 1, 1 * MS, H("HTTP/1.1 200 OK\r\nH1xx-Trace: me.1\r\n\r\n")}};
    classify(r2, 1, 250 * MS, NULL, out);
    CU_ASSERT_EQUAL(out[0].kind, FATE_MADE_FINAL);
    CU_ASSERT_EQUAL(out[0].got_status, 200);
    CU_ASSERT_EQUAL(out[2].kind, FATE_DROPPED);
}

static void test_altered_reordered(void)
{
    fate_read r[] = {
        {103, true, 1, 1 * MS, H("HTTP/1.1 103 Early\r\nH1xx-Trace: me.2\r\n\r\n")},
        {103, true, 1, 2 * MS, H("HTTP/1.1 103 Early\r\nH1xx-Trace: me.1\r\n\r\n")},
        {200, false, 1, 21 * MS, H("HTTP/1.1 200 OK\r\nH1xx-Trace: me.3\r\n\r\n")},
    };
    fate_out out[6];
    classify(r, 3, 250 * MS, NULL, out);
    CU_ASSERT_EQUAL(out[0].kind, FATE_ALTERED); /* the 102 came as a 103 */
    CU_ASSERT_EQUAL(out[0].got_status, 103);
    CU_ASSERT_TRUE(out[0].reordered == false);
    CU_ASSERT_TRUE(out[1].reordered); /* message 2 arrived before message 1 */
}

static void test_by_order_other_unwritten(void)
{
    /* no traces (stripped): paired by order and status; a 100 nobody wrote; another case's 103 */
    fate_read r[] = {
        {100, true, 1, 1 * MS, H("HTTP/1.1 100 Continue\r\n\r\n")},
        {102, true, 1, 2 * MS, H("HTTP/1.1 102 Processing\r\n\r\n")},
        {103, true, 1, 12 * MS, H("HTTP/1.1 103 Early\r\n\r\n")},
        {103, true, 1, 13 * MS, H("HTTP/1.1 103 Early\r\nH1xx-Trace: c9-x.4\r\n\r\n")},
        {200, false, 1, 22 * MS, H("HTTP/1.1 200 OK\r\n\r\n")},
    };
    fate_out out[8];
    CU_ASSERT_EQUAL(classify(r, 5, 250 * MS, NULL, out), 5);
    CU_ASSERT_EQUAL(out[0].kind, FATE_FORWARDED);
    CU_ASSERT_EQUAL(out[0].read_index, 1);
    CU_ASSERT_EQUAL(out[1].read_index, 2);
    CU_ASSERT_EQUAL(out[2].read_index, 4);
    CU_ASSERT_EQUAL(out[3].kind, FATE_UNWRITTEN);
    CU_ASSERT_EQUAL(out[3].got_status, 100);
    CU_ASSERT_EQUAL(out[4].kind, FATE_FROM_OTHER);
    CU_ASSERT_STRING_EQUAL(out[4].other_token, "c9-x");
    CU_ASSERT_EQUAL(out[4].other_seq, 4);
}

static void test_failed_write(void)
{
    fate_write w[] = {W[0], W[2]};
    w[1].failed = true;
    fate_read r[] = {{200, false, 1, 30 * MS, H("HTTP/1.1 200 OK\r\n\r\n")}}; /* a proxy's own */
    fate_out out[4];
    fate_input in = {"me", w, 2, r, 1, 0, NULL, 0};
    CU_ASSERT_EQUAL(fates_classify(&in, out), 3);
    CU_ASSERT_EQUAL(out[1].kind, FATE_DROPPED); /* never paired: it never left the origin */
    CU_ASSERT_PTR_NOT_NULL(strstr(out[1].detail, "write failed"));
    CU_ASSERT_EQUAL(out[2].kind, FATE_UNWRITTEN);
}

/* ---- the registry and the link after the run ------------------------------------------- */

static void test_link(void)
{
    fates_reset();
    fates_register("c1-aa", "interim/writer");
    fates_register("c2-bb", "processing/reader");
    CU_ASSERT_STRING_EQUAL(fates_case_of("c1-aa"), "interim/writer");
    CU_ASSERT_PTR_NULL(fates_case_of("c3-cc"));
    run_result rr;
    memset(&rr, 0, sizeof rr);
    rr.ncases = 2;
    rr.cases = xcalloc(2, sizeof *rr.cases);
    case_result *w = &rr.cases[0], *r = &rr.cases[1];
    w->id = xstrdup("interim/writer");
    r->id = xstrdup("processing/reader");
    w->verdict = VERDICT_PASS;
    r->verdict = VERDICT_FAIL;
    fate_record made = {FATE_DROPPED, 2, 103, 0, 101, 0, 5 * MS, -1, NULL, NULL};
    result_fate(w, &made);
    fate_record got = {FATE_FROM_OTHER, 2, 0, 103, 0, 1, -1, 9 * MS, "interim/writer", NULL};
    result_fate(r, &got);
    CU_ASSERT_EQUAL(fates_link(&rr), 1);
    CU_ASSERT_EQUAL(w->fates[0].kind, FATE_TO_OTHER);
    CU_ASSERT_STRING_EQUAL(w->fates[0].other, "processing/reader");
    CU_ASSERT_EQUAL(w->verdict, VERDICT_FAIL);
    CU_ASSERT_STRING_EQUAL(w->failed_require, FATES_CROSS_REQ);
    CU_ASSERT_PTR_NOT_NULL(strstr(w->message, "processing/reader"));
    CU_ASSERT_EQUAL(fates_link(&rr), 0); /* once */
    result_free(&rr);
    fates_reset();
}

static void test_kind_names(void)
{
    for (int k = 0; k < FATE_COUNT; k++)
        CU_ASSERT_EQUAL(fate_kind_parse(fate_kind_name((fate_kind)k)), k);
    CU_ASSERT_EQUAL(fate_kind_parse("lost"), -1);
}

void register_fates_tests(void)
{
    CU_pSuite s = CU_add_suite("fates", NULL, NULL);
    CU_add_test(s, "trace field: added after each whole status line, read back", test_trace_insert);
    CU_add_test(s, "field names added and removed (the trace left out)", test_field_diff);
    CU_add_test(s, "forwarded, late past fwd_max, held until the final", test_forwarded_late_held);
    CU_add_test(s, "dropped; a 1xx made the final (kept, rewritten)", test_dropped_and_made_final);
    CU_add_test(s, "altered status; reordered", test_altered_reordered);
    CU_add_test(s, "by order without traces; unwritten; another case's", test_by_order_other_unwritten);
    CU_add_test(s, "a failed origin write is never paired", test_failed_write);
    CU_add_test(s, "registry; after the run the writer is failed naming the reader", test_link);
    CU_add_test(s, "fate names round trip", test_kind_names);
}
