/* Portfolio accounting: average price, partial and full closes, flips,
 * fees, mark to market, totals, peak equity, bad input. */
#include <math.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/portfolio.h"
#include "testutil.h"

static void uni(rs_universe *u)
{
    memset(u, 0, sizeof *u);
    rs_instrument b = {.symbol = "BTCUSDT", .px_exp = 2, .qty_exp = 3, .tick = 1, .lot = 1};
    rs_instrument e = {.symbol = "ETHUSDT", .px_exp = 2, .qty_exp = 3, .tick = 1, .lot = 1};
    rs_universe_add(u, &b);
    rs_universe_add(u, &e);
}

#define Q(x) ((int64_t)((x) * 1000))
#define P(x) ((int64_t)((x) * 100))

static void test_long_cycle(void **s)
{
    (void)s;
    rs_universe u;
    uni(&u);
    static rs_portfolio p;
    rs_portfolio_init(&p, &u, 1000);
    assert_int_equal(rs_portfolio_fill(&p, 0, RS_SIDE_BUY, P(100), Q(1), 0.1), RS_OK);
    assert_int_equal(rs_portfolio_fill(&p, 0, RS_SIDE_BUY, P(110), Q(1), 0.1), RS_OK);
    assert_int_equal(p.pos[0].qty, Q(2));
    assert_true(p.pos[0].avg_px == 105.0);
    rs_portfolio_mark(&p, 0, 120);
    assert_true(p.pos[0].unrealized == 30.0);
    assert_true(p.equity == 1000 + 30 - 0.2);
    assert_true(p.gross == 240.0);
    /* partial close keeps the average */
    rs_portfolio_fill(&p, 0, RS_SIDE_SELL, P(120), Q(0.5), 0.05);
    assert_true(p.pos[0].avg_px == 105.0);
    assert_true(p.pos[0].realized == 7.5);
    /* flip: closes 1.5 at 90, opens 0.5 short at 90 */
    rs_portfolio_fill(&p, 0, RS_SIDE_SELL, P(90), Q(2), 0);
    assert_int_equal(p.pos[0].qty, -Q(0.5));
    assert_true(p.pos[0].avg_px == 90.0);
    assert_true(p.pos[0].realized == 7.5 - 22.5);
    rs_portfolio_mark(&p, 0, 80);
    assert_true(p.pos[0].unrealized == 5.0);
    rs_portfolio_fill(&p, 0, RS_SIDE_BUY, P(80), Q(0.5), 0);
    assert_int_equal(p.pos[0].qty, 0);
    assert_true(p.pos[0].avg_px == 0);
    assert_true(p.pos[0].unrealized == 0);
    assert_true(p.realized == -10.0);
    assert_true(fabs(p.fees - 0.25) < 1e-12);
    assert_true(fabs(p.equity - (1000 - 10 - 0.25)) < 1e-9);
    assert_true(p.peak_equity >= 1029.8 - 1e-9);
    assert_int_equal(p.pos[0].n_fills, 5);
    rs_ev_position r;
    rs_portfolio_record(&p, 0xffff, &r);
    assert_true(r.realized == -10.0 && r.qty == 0 && r.equity == p.equity);
}

static void test_short_and_totals(void **s)
{
    (void)s;
    rs_universe u;
    uni(&u);
    static rs_portfolio p;
    rs_portfolio_init(&p, &u, 0 + 500);
    rs_portfolio_fill(&p, 0, RS_SIDE_SELL, P(100), Q(1), 0);
    rs_portfolio_fill(&p, 1, RS_SIDE_BUY, P(10), Q(3), 0);
    rs_portfolio_mark(&p, 0, 200);   /* +100% against the short */
    rs_portfolio_mark(&p, 1, 11);
    assert_true(p.pos[0].unrealized == -100.0);
    assert_true(p.unrealized == -97.0);
    assert_true(p.gross == 233.0);
    assert_true(rs_portfolio_notional(&p, 0) == -200.0);
    assert_true(rs_portfolio_units(&p, 1) == 3.0);
    assert_true(p.peak_equity == 500.0);
}

static void test_bad(void **s)
{
    (void)s;
    rs_universe u;
    uni(&u);
    static rs_portfolio p;
    rs_portfolio_init(&p, &u, 1);
    assert_int_equal(rs_portfolio_fill(&p, 5, RS_SIDE_BUY, 1, 1, 0), RS_BAD);
    assert_int_equal(rs_portfolio_fill(&p, 0, 0, 1, 1, 0), RS_BAD);
    assert_int_equal(rs_portfolio_fill(&p, 0, RS_SIDE_BUY, 0, 1, 0), RS_BAD);
    assert_int_equal(rs_portfolio_fill(&p, 0, RS_SIDE_BUY, 1, 0, 0), RS_BAD);
    assert_int_equal(rs_portfolio_fill(&p, 0, RS_SIDE_BUY, 1, 1, NAN), RS_BAD);
    assert_int_equal(rs_portfolio_mark(&p, 0, NAN), RS_BAD);
    assert_int_equal(rs_portfolio_mark(&p, 0, -1), RS_BAD);
    assert_int_equal(p.pos[0].n_fills, 0);
    assert_true(p.equity == 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_long_cycle), cmocka_unit_test(test_short_and_totals), cmocka_unit_test(test_bad),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
