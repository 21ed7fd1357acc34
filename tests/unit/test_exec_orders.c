/* Order table and fill de-duplication set: capacity, eviction, probing
 * correctness under deletion. */
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/exec_orders.h"
#include "testutil.h"

static void test_table(void **st)
{
    (void)st;
    enum { MAX = 100 };
    void *mem = calloc(1, rs_orders_memsize(MAX));
    rs_order_table t;
    rs_orders_init(&t, mem, MAX);
    for (uint64_t i = 1; i <= MAX; i++) {
        rs_order *o = rs_orders_insert(&t, (7ull << 40) | i, 0, 0);
        assert_non_null(o);
        o->state = RS_OS_ACKED;
        o->updated_ts = (int64_t)i;
    }
    assert_null(rs_orders_insert(&t, 5, 0, 0));                 /* full of live orders */
    assert_null(rs_orders_insert(&t, (7ull << 40) | 3, 0, 0));  /* duplicate */
    assert_null(rs_orders_insert(&t, 0, 0, 0));
    /* terminal orders become evictable, oldest first, after keep_ns */
    rs_orders_find(&t, (7ull << 40) | 10)->state = RS_OS_FILLED;
    rs_orders_find(&t, (7ull << 40) | 20)->state = RS_OS_CANCELLED;
    assert_null(rs_orders_insert(&t, 5, 15, 100)); /* too recent */
    assert_non_null(rs_orders_insert(&t, 5, 1000, 100));
    assert_null(rs_orders_find(&t, (7ull << 40) | 10));
    assert_non_null(rs_orders_find(&t, (7ull << 40) | 20));
    /* remove half, everything else still found (backward-shift deletion) */
    for (uint64_t i = 1; i <= MAX; i += 2) {
        rs_order *o = rs_orders_find(&t, (7ull << 40) | i);
        if (o)
            rs_orders_remove(&t, o);
    }
    for (uint64_t i = 2; i <= MAX; i += 2)
        if (i != 10)
            assert_non_null(rs_orders_find(&t, (7ull << 40) | i));
    assert_non_null(rs_orders_find(&t, 5));
    uint32_t it = 0, n = 0;
    while (rs_orders_next(&t, &it))
        n++;
    assert_int_equal(n, t.n);
    rs_orders_find(&t, 5)->venue_order_id = 99;
    rs_orders_find(&t, 5)->sym = 2;
    assert_non_null(rs_orders_find_venue(&t, 2, 99));
    assert_null(rs_orders_find_venue(&t, 1, 99));
    assert_string_equal(rs_ord_state_name(RS_OS_UNKNOWN), "unknown");
    free(mem);
}

static void test_fillset(void **st)
{
    (void)st;
    enum { MAX = 1000 };
    void *mem = calloc(1, rs_fillset_memsize(MAX));
    rs_fill_set s;
    rs_fillset_init(&s, mem, MAX);
    for (uint64_t i = 0; i < MAX; i++)
        assert_int_equal(rs_fillset_add(&s, 1, 0, 1000 + i), RS_OK);
    for (uint64_t i = 0; i < MAX; i++)
        assert_int_equal(rs_fillset_add(&s, 1, 0, 1000 + i), RS_SKIP);
    /* same trade id on another symbol or venue is a different fill */
    assert_int_equal(rs_fillset_has(&s, 1, 1, 1000), 0);
    assert_int_equal(rs_fillset_has(&s, 2, 0, 1000), 0);
    /* FIFO eviction: adding MAX/2 more forgets the oldest MAX/2 */
    for (uint64_t i = 0; i < MAX / 2; i++)
        assert_int_equal(rs_fillset_add(&s, 1, 0, 50000 + i), RS_OK);
    for (uint64_t i = 0; i < MAX; i++)
        assert_int_equal(rs_fillset_has(&s, 1, 0, 1000 + i), i >= MAX / 2);
    for (uint64_t i = 0; i < MAX / 2; i++)
        assert_int_equal(rs_fillset_has(&s, 1, 0, 50000 + i), 1);
    /* long churn keeps exactly the last MAX keys */
    for (uint64_t i = 0; i < 20 * MAX; i++)
        rs_fillset_add(&s, 3, 7, 900000 + i);
    assert_int_equal(s.n, MAX);
    for (uint64_t i = 19 * MAX; i < 20 * MAX; i++)
        assert_int_equal(rs_fillset_has(&s, 3, 7, 900000 + i), 1);
    assert_int_equal(rs_fillset_has(&s, 3, 7, 900000 + 19 * MAX - 1), 0);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest t[] = {cmocka_unit_test(test_table), cmocka_unit_test(test_fillset)};
    return cmocka_run_group_tests(t, NULL, NULL);
}
