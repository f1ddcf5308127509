/* Unit tests of util's number parsing: durations (units, fractions, and the bounds a case file
 * or a flag cannot get past: the fuzzer once found "333333331m" overflowing) and integers. */
#include <CUnit/CUnit.h>
#include <stdint.h>

#include "util.h"

static int64_t dur(const char *s)
{
    int64_t ns = -12345;
    return parse_duration_ns(s, &ns) == 0 ? ns : -1;
}

static void test_durations(void)
{
    CU_ASSERT_EQUAL(dur("250ms"), 250000000);
    CU_ASSERT_EQUAL(dur("2s"), 2000000000);
    CU_ASSERT_EQUAL(dur("2"), 2000000000);
    CU_ASSERT_EQUAL(dur("1.5s"), 1500000000);
    CU_ASSERT_EQUAL(dur("1.5m"), 90000000000LL);
    CU_ASSERT_EQUAL(dur("0.000000001s"), 1);
    CU_ASSERT_EQUAL(dur("1.9999999999999s"), 1999999999); /* digits past ns are dropped */
    CU_ASSERT_EQUAL(dur("1.999999999m"), 119999999940LL);
    CU_ASSERT_EQUAL(dur("0.5ms"), 500000);
    CU_ASSERT_EQUAL(dur("7us"), 7000);
    CU_ASSERT_EQUAL(dur(".5s"), 500000000);
    CU_ASSERT_EQUAL(dur("100000000s"), DURATION_MAX_NS);
    CU_ASSERT_EQUAL(dur("100000000.1s"), -1);
    CU_ASSERT_EQUAL(dur("333333331m"), -1);
    CU_ASSERT_EQUAL(dur("153722867m"), -1);
    CU_ASSERT_EQUAL(dur("999999999999999999999s"), -1);
    CU_ASSERT_EQUAL(dur("1666666.666666666m"), 99999999999999960LL);
    CU_ASSERT_EQUAL(dur(""), -1);
    CU_ASSERT_EQUAL(dur("s"), -1);
    CU_ASSERT_EQUAL(dur("-1s"), -1);
    CU_ASSERT_EQUAL(dur("1h"), -1);
    CU_ASSERT_EQUAL(dur("1 s"), -1);
    CU_ASSERT_EQUAL(dur(NULL), -1);
}

static void test_longs(void)
{
    long v = 0;
    CU_ASSERT_EQUAL(parse_long("42", 0, 100, &v), 0);
    CU_ASSERT_EQUAL(v, 42);
    CU_ASSERT_EQUAL(parse_long("101", 0, 100, &v), -1);
    CU_ASSERT_EQUAL(parse_long("99999999999999999999999", 0, 100, &v), -1);
    CU_ASSERT_EQUAL(parse_long("4x", 0, 100, &v), -1);
    CU_ASSERT_EQUAL(parse_long("", 0, 100, &v), -1);
}

void register_util_tests(void)
{
    CU_pSuite s = CU_add_suite("util", NULL, NULL);
    if (!s)
        return;
    CU_add_test(s, "durations: units, fractions, bounds", test_durations);
    CU_add_test(s, "integers: range and junk", test_longs);
}
