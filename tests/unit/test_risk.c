/* Stateless pre-trade checks: each limit exactly at and past its value,
 * NaN failing closed, reduce-only exemptions, the event-time rate ring. */
#include <math.h>
#include <string.h>

#include "ringside/risk.h"
#include "testutil.h"

static rs_limits L(void)
{
    rs_limits l = {.max_order_notional = 1000, .max_pos_notional = 2000, .max_gross_notional = 3000,
                   .collar_bps = 50, .max_per_sec = 2, .max_per_min = 3};
    return l;
}

static void test_order(void **s)
{
    (void)s;
    rs_limits l = L();
    double v, lim;
    rs_order_check c = {.qty = 10, .px = 100, .last_px = 100, .pos_after = 1000, .gross_after = 1000, .has_px = 1};
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_NONE);   /* notional exactly 1000 */
    c.qty = 10.01;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_ORDER_NOTIONAL);
    assert_true(lim == 1000 && v > 1000);
    c.qty = 1;
    c.max_qty = 0.5;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_ORDER_QTY);
    c.max_qty = 1;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_NONE);
    c.pos_after = 2000.5;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_POSITION);
    c.pos_after = 10;
    c.gross_after = 3001;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_GROSS);
    c.gross_after = NAN;   /* NaN fails closed */
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_GROSS);
    c.gross_after = 10;
    c.px = 100.5;          /* exactly 50 bps */
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_NONE);
    c.px = 100.51;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_COLLAR);
    c.px = 100;
    c.last_px = 0;         /* no last trade: cannot collar, fails */
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_COLLAR);
    c.last_px = NAN;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_COLLAR);
    /* reduce-only skips size/position/gross, not the collar */
    rs_order_check r = {.qty = 1e6, .px = 100, .last_px = 100, .pos_after = 1e9, .gross_after = 1e9,
                        .reduce_only = 1};
    assert_int_equal(rs_risk_check_order(&l, &r, &v, &lim), RS_CIRC_NONE);
    r.qty = NAN;
    assert_int_equal(rs_risk_check_order(&l, &r, &v, &lim), RS_CIRC_ORDER_QTY);
    r.qty = 0;
    assert_int_equal(rs_risk_check_order(&l, &r, &v, &lim), RS_CIRC_ORDER_QTY);
    c.px = NAN;
    c.last_px = 100;
    assert_int_equal(rs_risk_check_order(&l, &c, &v, &lim), RS_CIRC_ORDER_NOTIONAL);
    /* limits at 0 are off */
    rs_limits off = {0};
    rs_order_check big = {.qty = 1e9, .px = 1e9, .last_px = 1, .pos_after = 1e18, .gross_after = 1e18, .has_px = 1};
    assert_int_equal(rs_risk_check_order(&off, &big, &v, &lim), RS_CIRC_NONE);
    assert_string_equal(rs_circuit_name(RS_CIRC_COLLAR), "collar");
    assert_string_equal(rs_circuit_name(999), "?");
    assert_string_equal(rs_risk_action_name(RS_RISK_BLOCK), "block");
    assert_string_equal(rs_risk_action_name(99), "?");
}

static void test_rate(void **s)
{
    (void)s;
    rs_limits l = L();
    static rs_rate r;
    rs_rate_init(&r);
    double v, lim;
    int64_t t = 1000000000000LL;
    assert_int_equal(rs_risk_check_rate(&l, &r, t, &v, &lim), RS_CIRC_NONE);
    rs_rate_add(&r, t);
    rs_rate_add(&r, t + 10);
    assert_int_equal(rs_risk_check_rate(&l, &r, t + 20, &v, &lim), RS_CIRC_RATE_SEC);
    assert_true(v == 3 && lim == 2);
    /* exactly one second after the first send it has left the window */
    assert_int_equal(rs_risk_check_rate(&l, &r, t + 1000000000LL, &v, &lim), RS_CIRC_NONE);
    rs_rate_add(&r, t + 1000000000LL);
    assert_int_equal(rs_risk_check_rate(&l, &r, t + 2000000000LL, &v, &lim), RS_CIRC_RATE_MIN);
    assert_int_equal(rs_rate_count(&r, t + 60000000000LL, 60000000000LL), 2);
    assert_int_equal(rs_risk_check_rate(&l, &r, t + 61000000000LL, &v, &lim), RS_CIRC_NONE);
    /* the ring wraps without losing the newest */
    for (uint32_t i = 0; i < 3 * RS_RATE_CAP; i++)
        rs_rate_add(&r, t + 100000000000LL + i);
    assert_int_equal(rs_rate_count(&r, t + 100000000000LL + 3 * RS_RATE_CAP, 1000000000LL), RS_RATE_CAP);
}

/* rs_rate_reached(k) is rs_rate_count() >= k, on random non-decreasing send
 * times (bursts, gaps, ring wraps) and every k around the count. */
static void test_rate_reached(void **s)
{
    (void)s;
    static rs_rate r;
    rs_rate_init(&r);
    uint64_t x = 88172645463325252ull;
    int64_t t = 1000000000000LL;
    for (int step = 0; step < 5000; step++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        t += (int64_t)(x % 8 == 0 ? x % 3000000000ull : x % 50000000ull);   /* mostly < 50 ms, sometimes s */
        if (x % 4 != 0)
            rs_rate_add(&r, t);
        int64_t w = (x >> 20) % 2 ? 1000000000LL : 60000000000LL;
        uint32_t c = rs_rate_count(&r, t + 1, w);
        for (uint32_t k = c > 2 ? c - 2 : 0; k <= c + 2 && k <= RS_RATE_CAP + 1; k++)
            assert_int_equal(rs_rate_reached(&r, t + 1, w, k), c >= k);
        assert_int_equal(rs_rate_reached(&r, t + 1, w, RS_RATE_CAP + 1), false);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_order), cmocka_unit_test(test_rate),
                                       cmocka_unit_test(test_rate_reached)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
