/* Unit tests of fwd_stats (nearest-rank percentiles per interim code, per case id) and of the
 * forwarding samples' way through results.json and back (h1xx merge and matrix read them). */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fwd_stats.h"
#include "report.h"
#include "result_load.h"
#include "util.h"

static void init_case(case_result *c, const char *id)
{
    memset(c, 0, sizeof *c);
    c->id = xstrdup(id);
}

static void test_nearest_rank(void)
{
    case_result c;
    init_case(&c, "a/one");
    for (int i = 100; i >= 1; i--) /* 1..100 ms, in reverse: the order must not matter */
        result_fwd(&c, 102, (int64_t)i * 1000000);
    const case_result *cs[] = {&c};
    fwd_stats s;
    fwd_stats_of(cs, 1, &s);
    CU_ASSERT_EQUAL(s.samples, 100);
    CU_ASSERT_EQUAL(s.g[2].n, 100);
    CU_ASSERT_STRING_EQUAL(s.g[2].name, "102");
    CU_ASSERT_EQUAL(s.g[2].p50_ns, 50000000); /* ceil(0.50 * 100) = 50th */
    CU_ASSERT_EQUAL(s.g[2].p99_ns, 99000000); /* ceil(0.99 * 100) = 99th */
    CU_ASSERT_EQUAL(s.g[2].max_ns, 100000000);
    CU_ASSERT_EQUAL(s.g[0].n + s.g[0].dropped, 0);
    case_result_free(&c);

    init_case(&c, "a/three"); /* 10, 20, 30: p50 is the 2nd, p99 the 3rd */
    result_fwd(&c, 100, 30);
    result_fwd(&c, 100, 10);
    result_fwd(&c, 100, 20);
    fwd_stats_of(cs, 1, &s);
    CU_ASSERT_EQUAL(s.g[0].p50_ns, 20);
    CU_ASSERT_EQUAL(s.g[0].p99_ns, 30);
    CU_ASSERT_EQUAL(s.g[0].max_ns, 30);
    case_result_free(&c);

    init_case(&c, "a/single"); /* repeat 1: one delay is every figure */
    result_fwd(&c, 103, 777);
    fwd_stats_of(cs, 1, &s);
    CU_ASSERT_EQUAL(s.g[3].n, 1);
    CU_ASSERT_EQUAL(s.g[3].p50_ns, 777);
    CU_ASSERT_EQUAL(s.g[3].p99_ns, 777);
    CU_ASSERT_EQUAL(s.g[3].max_ns, 777);
    case_result_free(&c);
}

static void test_groups_and_dropped(void)
{
    case_result c;
    init_case(&c, "a/mixed");
    result_fwd(&c, 150, 5);
    result_fwd(&c, 199, 7);
    result_fwd(&c, 104, -1);
    result_fwd(&c, 101, 3);
    result_fwd(&c, 100, -1);
    const case_result *cs[] = {&c};
    fwd_stats s;
    fwd_stats_of(cs, 1, &s);
    CU_ASSERT_EQUAL(s.samples, 5);
    CU_ASSERT_STRING_EQUAL(s.g[4].name, "other-1xx");
    CU_ASSERT_EQUAL(s.g[4].n, 2);
    CU_ASSERT_EQUAL(s.g[4].dropped, 1);
    CU_ASSERT_EQUAL(s.g[4].max_ns, 7);
    CU_ASSERT_EQUAL(s.g[1].n, 1);
    CU_ASSERT_EQUAL(s.g[0].n, 0);
    CU_ASSERT_EQUAL(s.g[0].dropped, 1);
    CU_ASSERT_EQUAL(s.g[0].p50_ns, 0);
    CU_ASSERT_STRING_EQUAL(fwd_group_name(199), "other-1xx");
    CU_ASSERT_STRING_EQUAL(fwd_group_name(102), "102");
    buf_t b;
    buf_init(&b, 0);
    fwd_group_text(&b, &s.g[4]);
    CU_ASSERT_STRING_EQUAL(b.data, "n=2 p50=0.000ms p99=0.000ms max=0.000ms dropped=1");
    buf_free(&b);
    case_result_free(&c);
}

static void test_cap(void)
{
    case_result c;
    init_case(&c, "a/cap");
    for (int i = 0; i < RESULT_FWD_MAX + 10; i++)
        result_fwd(&c, 102, i);
    CU_ASSERT_EQUAL(c.nfwd, RESULT_FWD_MAX);
    case_result_free(&c);
}

/* Three ids, the first repeated and interleaved; one without samples is left out. */
static void make_run(run_result *r)
{
    memset(r, 0, sizeof *r);
    r->ncases = 5;
    r->cases = xcalloc(r->ncases, sizeof *r->cases);
    const char *ids[] = {"b/second", "a/first", "c/none", "b/second", "a/first"};
    for (size_t i = 0; i < r->ncases; i++)
        init_case(&r->cases[i], ids[i]);
    result_fwd(&r->cases[0], 102, 1000);
    result_fwd(&r->cases[1], 103, 2000);
    result_fwd(&r->cases[3], 102, 3000);
    result_fwd(&r->cases[3], 102, -1);
    result_fwd(&r->cases[4], 103, 4000);
}

static void test_by_id(void)
{
    run_result r;
    make_run(&r);
    fwd_case_stats *ids;
    size_t n = fwd_stats_by_id(&r, &ids);
    CU_ASSERT_EQUAL_FATAL(n, 2);
    CU_ASSERT_STRING_EQUAL(ids[0].id, "b/second"); /* order of first appearance */
    CU_ASSERT_EQUAL(ids[0].first, 0);
    CU_ASSERT_EQUAL(ids[0].copies, 2);
    CU_ASSERT_EQUAL(ids[0].s.g[2].n, 2);
    CU_ASSERT_EQUAL(ids[0].s.g[2].dropped, 1);
    CU_ASSERT_EQUAL(ids[0].s.g[2].p50_ns, 1000);
    CU_ASSERT_EQUAL(ids[0].s.g[2].max_ns, 3000);
    CU_ASSERT_STRING_EQUAL(ids[1].id, "a/first");
    CU_ASSERT_EQUAL(ids[1].first, 1);
    CU_ASSERT_EQUAL(ids[1].s.g[3].p99_ns, 4000);
    free(ids);
    fwd_stats s;
    fwd_stats_run(&r, &s);
    CU_ASSERT_EQUAL(s.samples, 5);
    CU_ASSERT_EQUAL(s.g[2].n + s.g[3].n, 4);
    result_free(&r);
}

/* Samples written to results.json come back the same, a dropped one included. */
static void test_json_round_trip(void)
{
    run_result r, back;
    make_run(&r);
    r.version = xstrdup("test");
    r.target = xstrdup("http://127.0.0.1:1/");
    r.mode = xstrdup("reverse-proxy");
    char path[] = "/tmp/h1xx-fwd-unit-XXXXXX";
    int fd = mkstemp(path);
    CU_ASSERT_FATAL(fd >= 0);
    close(fd);
    char err[256] = "";
    CU_ASSERT_EQUAL_FATAL(report_json_write(&r, path, NULL, err, sizeof err), 0);
    int rc = result_load_json(path, &back, err, sizeof err);
    unlink(path);
    CU_ASSERT_EQUAL_FATAL(rc, 0);
    CU_ASSERT_EQUAL_FATAL(back.ncases, r.ncases);
    for (size_t i = 0; i < r.ncases; i++) {
        CU_ASSERT_EQUAL_FATAL(back.cases[i].nfwd, r.cases[i].nfwd);
        for (size_t k = 0; k < r.cases[i].nfwd; k++) {
            CU_ASSERT_EQUAL(back.cases[i].fwd[k].status, r.cases[i].fwd[k].status);
            CU_ASSERT_EQUAL(back.cases[i].fwd[k].delay_ns, r.cases[i].fwd[k].delay_ns);
        }
    }
    result_free(&back);
    result_free(&r);
}

void register_fwd_stats_tests(void)
{
    CU_pSuite s = CU_add_suite("fwd_stats", NULL, NULL);
    CU_add_test(s, "nearest rank: p50, p99, max; n = 1", test_nearest_rank);
    CU_add_test(s, "groups: other 1xx together; dropped counted apart", test_groups_and_dropped);
    CU_add_test(s, "samples past the cap are dropped", test_cap);
    CU_add_test(s, "per case id: copies together, order of first appearance", test_by_id);
    CU_add_test(s, "results.json round trip of the samples", test_json_round_trip);
}
