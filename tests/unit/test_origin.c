/* Live tick-to-order side channel (ringside/origin.h): the origin table's
 * put/get/wrap rules and its allocation-free hot path. The engine that
 * carries origins through its stages is tested in test_runtime.c
 * (test_engine_t2o). */
#include <stdio.h>
#include <string.h>

#include "ringside/mem.h"
#include "ringside/origin.h"
#include "testutil.h"

static void test_origin_tab(void **s)
{
    (void)s;
    const uint32_t cap = 1u << 12;                      /* 4 KiB ring: 128 slots */
    assert_int_equal(rs_origin_tab_memsize(cap), 128 * sizeof(rs_origin_ent));
    static rs_origin_ent mem[128];
    memset(mem, 0xa5, sizeof mem);                      /* init must clear */
    rs_origin_tab t;
    rs_origin_tab_init(&t, mem, cap);
    assert_int_equal(t.mask, 127);
    for (uint64_t q = 1; q <= 128; q++)
        assert_int_equal(rs_origin_get(&t, q), 0);     /* never tagged */
    rs_origin_put(&t, 5, 1000);
    assert_int_equal(rs_origin_get(&t, 5), 1000);
    assert_int_equal(rs_origin_get(&t, 6), 0);
    /* a later record in the same slot: the old seq no longer resolves (0,
     * never the newer record's origin) */
    rs_origin_put(&t, 5 + 128, 2000);
    assert_int_equal(rs_origin_get(&t, 5), 0);
    assert_int_equal(rs_origin_get(&t, 5 + 128), 2000);

    /* the hot-path calls never allocate */
    uint64_t a0 = rs_mem_thread_allocated();
    int64_t sum = 0;
    for (uint64_t q = 1; q <= 1000000; q++) {
        rs_origin_put(&t, q, (int64_t)q);
        sum += rs_origin_get(&t, q - (q > 64 ? 64 : 0));
    }
    uint64_t a1 = rs_mem_thread_allocated();
    assert_true(sum > 0);
    if (a0 != UINT64_MAX)
        assert_int_equal(a1, a0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_origin_tab)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
