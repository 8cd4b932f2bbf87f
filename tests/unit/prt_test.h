/* prt_test.h — the unit-test protocol shared by every test program.
 *
 * Each test case prints one line: "PASS <program>/<case>", "FAIL <program>/<case>: <why>" or
 * "SKIP <program>/<case>: <reason>". tests/run.sh counts those lines across the suite. A program
 * exits 1 when any case failed.
 *
 *   TEST(parse_int) { CHECK(prt_parse_int(PRT_STR_LIT("42"), &v) == PRT_OK); CHECK_EQ_I(v, 42); }
 *   int main(void) { RUN(parse_int); return test_summary(); }
 */
#ifndef PRT_TEST_H
#define PRT_TEST_H

#include <stdio.h>
#include <string.h>
#include <inttypes.h>

static int test_failed_now, test_failures;
static const char *test_program = __BASE_FILE__;
static const char *test_name_now = ""; /* the case RUN is running: helpers' failures name it */
static const char *test_skip_why;      /* set by a case that cannot run here: RUN says SKIP */

#define TEST(name) static void test_##name(void)

#define RUN(name) do { \
        test_failed_now = 0; \
        test_skip_why = NULL; \
        test_name_now = #name; \
        test_##name(); \
        if (test_failed_now) test_failures++; \
        else if (test_skip_why) SKIP(name, test_skip_why); \
        else printf("PASS %s/%s\n", test_prog(), #name); \
    } while (0)

#define SKIP(name, why) printf("SKIP %s/%s: %s\n", test_prog(), #name, why)

static inline const char *test_prog(void)
{
    const char *s = strrchr(test_program, '/');
    return s ? s + 1 : test_program;
}

#define TEST_FAIL(...) do { \
        if (!test_failed_now) printf("FAIL %s/%s: ", test_prog(), test_name_now); \
        else printf("     "); \
        printf(__VA_ARGS__); printf(" (%s:%d)\n", __FILE__, __LINE__); \
        test_failed_now = 1; \
    } while (0)

#define CHECK(c) do { if (!(c)) TEST_FAIL("check failed: %s", #c); } while (0)
#define CHECK_EQ_I(a, b) do { long long a_ = (long long)(a), b_ = (long long)(b); \
        if (a_ != b_) TEST_FAIL("%s == %lld, expected %lld", #a, a_, b_); } while (0)
#define CHECK_EQ_S(a, b) do { const char *a_ = (a), *b_ = (b); \
        if (!a_ || !b_ || strcmp(a_, b_) != 0) \
            TEST_FAIL("%s == \"%s\", expected \"%s\"", #a, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); } while (0)
/* compares a prt_str (pointer + length) with a C string */
#define CHECK_EQ_PS(a, b) do { prt_str a_ = (a); const char *b_ = (b); \
        if (a_.n != strlen(b_) || memcmp(a_.p, b_, a_.n) != 0) \
            TEST_FAIL("%s == \"%.*s\", expected \"%s\"", #a, (int)a_.n, a_.p, b_); } while (0)

static inline int test_summary(void) { return test_failures ? 1 : 0; }

#endif
