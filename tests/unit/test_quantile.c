/* Rolling exact quantile: agrees with a brute-force sort of the window on
 * random data with many ties, across evictions; boundaries (empty, window 1,
 * NaN refused, p outside [0,1]). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/mem.h"
#include "ringside/quantile.h"
#include "testutil.h"

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double brute_at(const double *sorted, uint32_t n, double p)
{
    double h = (double)(n - 1) * p, fl = floor(h);
    uint32_t lo = (uint32_t)fl;
    if (lo + 1 >= n)
        return sorted[lo];
    return sorted[lo] + (h - fl) * (sorted[lo + 1] - sorted[lo]);
}

static rs_quantile *mk(uint32_t w)
{
    size_t n = rs_quantile_memsize(w);
    assert_true(n > 0);
    rs_quantile *q = rs_mem_alloc(n, 8, "q");
    assert_int_equal(rs_quantile_init(q, w), 0);
    return q;
}

static void test_vs_brute(void **s)
{
    (void)s;
    uint32_t windows[] = {1, 2, 3, 7, 64, 288};
    uint64_t x = 88172645463325252ull;
    for (size_t wi = 0; wi < RS_ARRAY_LEN(windows); wi++) {
        uint32_t w = windows[wi];
        rs_quantile *q = mk(w);
        double *hist = calloc(5000, sizeof(double));
        double *sorted = calloc(w, sizeof(double));
        uint32_t nsteps = (uint32_t)(3000 * rs_test_scale()) + 50;
        for (uint32_t i = 0; i < nsteps; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            double v = (double)(x % 50) - 25.0;   /* many ties */
            hist[i] = v;
            assert_int_equal(rs_quantile_push(q, v), RS_OK);
            uint32_t n = i + 1 < w ? i + 1 : w;
            assert_int_equal(rs_quantile_count(q), n);
            memcpy(sorted, hist + (i + 1 - n), n * sizeof(double));
            qsort(sorted, n, sizeof(double), cmp);
            for (uint32_t k = 0; k < n; k++)
                assert_true(rs_quantile_kth(q, k) == sorted[k]);
            double ps[] = {0, 0.05, 0.2, 0.5, 0.8, 0.95, 1};
            for (size_t j = 0; j < RS_ARRAY_LEN(ps); j++)
                assert_true(rs_quantile_at(q, ps[j]) == brute_at(sorted, n, ps[j]));
            uint32_t lt = 0, le = 0;
            for (uint32_t k = 0; k < n; k++) {
                lt += sorted[k] < 3.0;
                le += sorted[k] <= 3.0;
            }
            assert_int_equal(rs_quantile_count_lt(q, 3.0), lt);
            assert_int_equal(rs_quantile_count_le(q, 3.0), le);
            if (i == 4999)
                break;
        }
        free(hist);
        free(sorted);
        rs_mem_free(q);
    }
}

static void test_edges(void **s)
{
    (void)s;
    assert_int_equal(rs_quantile_memsize(0), 0);
    assert_int_equal(rs_quantile_memsize(RS_QUANTILE_MAX_WINDOW + 1), 0);
    rs_quantile *q = mk(4);
    assert_true(isnan(rs_quantile_at(q, 0.5)));   /* empty */
    assert_true(isnan(rs_quantile_kth(q, 0)));
    assert_int_equal(rs_quantile_count_lt(q, 1), 0);
    assert_int_equal(rs_quantile_push(q, NAN), RS_BAD);
    assert_int_equal(rs_quantile_push(q, INFINITY), RS_BAD);
    assert_int_equal(rs_quantile_count(q), 0);
    rs_quantile_push(q, 5);
    assert_true(rs_quantile_at(q, 0.3) == 5);
    assert_true(isnan(rs_quantile_at(q, -0.1)));
    assert_true(isnan(rs_quantile_at(q, 1.1)));
    assert_true(isnan(rs_quantile_at(q, NAN)));
    for (int i = 0; i < 10; i++)
        rs_quantile_push(q, i);
    assert_int_equal(rs_quantile_count(q), 4);
    assert_true(rs_quantile_kth(q, 0) == 6 && rs_quantile_kth(q, 3) == 9);
    rs_quantile_reset(q);
    assert_int_equal(rs_quantile_count(q), 0);
    rs_mem_free(q);
}

static void test_no_alloc(void **s)
{
    (void)s;
    rs_quantile *q = mk(1024);
    uint64_t a0 = rs_mem_thread_allocated();
    for (int i = 0; i < 100000; i++) {
        rs_quantile_push(q, (double)((i * 7919) % 1000));
        (void)rs_quantile_at(q, 0.9);
    }
    uint64_t a1 = rs_mem_thread_allocated();
    rs_mem_free(q);
    if (a0 == UINT64_MAX) {
        print_message("allocation counter unavailable in this build (sanitizer): not checked\n");
        return;
    }
    assert_int_equal(a0, a1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vs_brute), cmocka_unit_test(test_edges), cmocka_unit_test(test_no_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
