/* Report metrics against hand-computed values, and the report over a small
 * hand-built record sequence: day rows (with a day without events), fills
 * applied by cumulative quantity, a round trip, slippage against the mid,
 * an incident (kill until flat), drawdown depth and duration; edge cases:
 * no records, no trades, one day, zero volatility, bad records. */
#include <math.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/report.h"
#include "ringside/risk.h"
#include "testutil.h"

#define DAY RS_REPORT_DAY_NS
#define HOUR 3600000000000ll
#define T0 (20000ll * DAY)   /* 2024-10-04T00:00:00Z */
#define NEAR(a, b) assert_true(fabs((a) - (b)) <= 1e-12 * (1.0 + fabs(b)))

static void test_perf_hand(void **st)
{
    (void)st;
    /* r = 1 %, -2 %, 3 %: mean 2/300; deviations 1/300, -8/300, 7/300 ->
     * sample variance (1 + 64 + 49) / 90000 / 2 = 114/180000; downside
     * sqrt(0.02^2 / 3) */
    const double r[] = {0.01, -0.02, 0.03};
    rs_perf p;
    rs_report_perf(r, 3, &p);
    double mean = 0.02 / 3, sd = sqrt(114.0 / 180000.0), dn = sqrt(0.0004 / 3.0);
    assert_int_equal(p.n_days, 3);
    NEAR(p.total_return, 0.02);
    NEAR(p.mean_return, mean);
    NEAR(p.ann_return, mean * 365);
    NEAR(p.vol_ann, sd * sqrt(365.0));
    NEAR(p.sharpe, mean / sd * sqrt(365.0));
    NEAR(p.sortino, mean / dn * sqrt(365.0));
    /* the same figures written out: vol 0.48080, Sharpe 5.0610, Sortino 11.0303 */
    assert_true(fabs(p.vol_ann - 0.4807979) < 1e-6);
    assert_true(fabs(p.sharpe - 5.0610310) < 1e-6);
    assert_true(fabs(p.sortino - 11.0302614) < 1e-6);
}

static void test_perf_edges(void **st)
{
    (void)st;
    rs_perf p;
    rs_report_perf(NULL, 0, &p);   /* no days: nothing defined, nothing crashes */
    assert_int_equal(p.n_days, 0);
    assert_true(p.total_return == 0);
    assert_true(isnan(p.mean_return) && isnan(p.vol_ann) && isnan(p.sharpe) && isnan(p.sortino));
    const double one[] = {0.02};
    rs_report_perf(one, 1, &p);    /* one day: a mean, no spread */
    NEAR(p.ann_return, 0.02 * 365);
    assert_true(isnan(p.vol_ann) && isnan(p.sharpe) && isnan(p.sortino));
    const double flat[] = {0.01, 0.01, 0.01};
    rs_report_perf(flat, 3, &p);   /* zero volatility: Sharpe undefined; no losing day: Sortino undefined */
    assert_true(p.vol_ann == 0);
    assert_true(isnan(p.sharpe) && isnan(p.sortino));
    const double losing[] = {-0.01, -0.01};
    rs_report_perf(losing, 2, &p); /* zero volatility, but a downside */
    assert_true(isnan(p.sharpe));
    NEAR(p.sortino, -sqrt(365.0));
    const double zeros[] = {0, 0, 0, 0};
    rs_report_perf(zeros, 4, &p);
    assert_true(p.vol_ann == 0 && isnan(p.sharpe) && isnan(p.sortino));
    NEAR(rs_report_calmar(0.5, 0.1), 5.0);
    assert_true(isnan(rs_report_calmar(0.5, 0.0)));
    assert_true(isnan(rs_report_calmar(NAN, 0.1)));
    assert_true(isnan(rs_report_calmar(0.5, NAN)));
}

static void test_drawdown_hand(void **st)
{
    (void)st;
    rs_ddtrack d;
    rs_report_dd_init(&d, 100, 0);
    rs_report_dd_add(&d, 0, 100);
    rs_report_dd_add(&d, 1, 110);          /* new peak */
    rs_report_dd_add(&d, 2, 99);           /* 10 % under */
    NEAR(d.max_dd, 0.1);
    NEAR(rs_report_dd_current(&d, 99), 0.1);
    rs_report_dd_add(&d, 3, 104.5);
    rs_report_dd_add(&d, 4, 110);          /* back at the peak: a spell of 3 */
    assert_int_equal(rs_report_dd_max_duration(&d), 3);
    rs_report_dd_add(&d, 5, 90);           /* 20/110 */
    NEAR(d.max_dd, 20.0 / 110.0);
    rs_report_dd_add(&d, 6, 95);
    assert_int_equal(rs_report_dd_max_duration(&d), 3);   /* current spell 2 < 3 */
    rs_report_dd_add(&d, 10, 95);
    assert_int_equal(rs_report_dd_max_duration(&d), 6);   /* current spell counts */
    rs_report_dd_add(&d, 11, 200);
    assert_int_equal(rs_report_dd_max_duration(&d), 7);
    assert_true(rs_report_dd_current(&d, 200) == 0);
}

/* ---- records ---------------------------------------------------------------- */

static void uni(rs_universe *u)
{
    memset(u, 0, sizeof *u);
    rs_instrument b = {.symbol = "BTCUSDT", .px_exp = 2, .qty_exp = 3, .tick = 1, .lot = 1};
    rs_universe_add(u, &b);
}

#define P(x) ((int64_t)llround((x) * 100))
#define Q(x) ((int64_t)llround((x) * 1000))

static rs_ev_mark marks[16];
static rs_ev_exec_report reps[16];
static rs_ev_risk risks[4];
static int nm, nr, nk;

static const rs_rec *mark(int64_t ts, double last, double bid, double ask)
{
    rs_ev_mark *m = &marks[nm++];
    memset(m, 0, sizeof *m);
    m->h = (rs_rec){sizeof *m, RS_EV_MARK, RS_STREAM_MARK, (uint64_t)nm, ts, ts};
    m->last_px = P(last), m->bid_px = P(bid), m->ask_px = P(ask);
    return &m->h;
}

static const rs_rec *fill(int64_t ts, uint64_t cid, uint8_t side, double px, double qty, double cum, double fee)
{
    rs_ev_exec_report *x = &reps[nr++];
    memset(x, 0, sizeof *x);
    x->h = (rs_rec){sizeof *x, RS_EV_EXEC_REPORT, RS_STREAM_EXEC, (uint64_t)nr, ts, ts};
    x->is_fill = 1, x->side = side, x->client_id = cid, x->state = RS_OS_FILLED;
    x->last_px = P(px), x->last_qty = Q(qty), x->cum_qty = Q(cum), x->fee = fee;
    return &x->h;
}

static const rs_rec *kill(int64_t ts)
{
    rs_ev_risk *k = &risks[nk++];
    memset(k, 0, sizeof *k);
    k->h = (rs_rec){sizeof *k, RS_EV_RISK, RS_STREAM_INTENT, (uint64_t)nk, ts, ts};
    k->circuit = RS_CIRC_KILL, k->sym = 0xffff, k->action = RS_RISK_KILL;
    return &k->h;
}

static rs_report *mk(double capital)
{
    rs_universe u;
    uni(&u);
    rs_report_opts o = {.capital = capital};
    rs_report *r;
    assert_int_equal(rs_report_create(&r, &u, &o), 0);
    nm = nr = nk = 0;
    return r;
}

static void test_report_session(void **st)
{
    (void)st;
    rs_report *r = mk(1000);
    /* added out of time order (as the recorder interleaves streams): the
     * report orders by ts */
    const rs_rec *in[] = {
        mark(T0 + 12 * HOUR, 110, 109.9, 110.1),
        mark(T0, 100, 99.5, 100.1),
        fill(T0 + 1 * HOUR, 1, RS_SIDE_BUY, 100, 1, 1, 0.1),
        fill(T0 + 2 * HOUR, 1, RS_SIDE_BUY, 100, 1, 1, 0.1),   /* duplicate: same cum_qty */
        mark(T0 + DAY + 6 * HOUR, 95, 94.9, 95.3),
        kill(T0 + DAY + 7 * HOUR),
        fill(T0 + DAY + 8 * HOUR, 2, RS_SIDE_SELL, 95, 1, 1, 0.1),
        mark(T0 + 3 * DAY, 96, 95.9, 96.1),                     /* day 2 has no event */
    };
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++)
        assert_int_equal(rs_report_add(r, in[i], 100 - i), 0);
    assert_int_equal(rs_report_finish(r), 0);
    size_t n;
    const rs_report_row *d = rs_report_days(r, &n);
    assert_int_equal(n, 4);
    assert_int_equal(d[0].day, 20000);
    assert_int_equal(d[3].day, 20003);
    /* day 0: long 1 @ 100 (fee 0.1), marked at 110 */
    NEAR(d[0].equity, 1009.9);
    NEAR(d[0].pnl, 9.9);
    NEAR(d[0].ret, 0.0099);
    NEAR(d[0].fees, 0.1);
    NEAR(d[0].turnover, 0.1);
    NEAR(d[0].slippage, 0.2);                  /* bought at 100, mid 99.8 */
    assert_int_equal(d[0].fills, 1);
    assert_int_equal(d[0].trades, 0);
    assert_true(isnan(d[0].hit_rate) && isnan(d[0].avg_hold_s));
    assert_true(isnan(d[0].sharpe));           /* one day */
    /* day 1: closed at 95 under a kill: realised -5, fees 0.2 in all */
    NEAR(d[1].equity, 994.8);
    NEAR(d[1].pnl, -15.1);
    NEAR(d[1].cum_ret, -0.0052);
    assert_int_equal(d[1].trades, 1);
    NEAR(d[1].hit_rate, 0.0);
    NEAR(d[1].avg_hold_s, 31.0 * 3600);
    NEAR(d[1].slippage, 0.1);                  /* sold at 95, mid 95.1 */
    NEAR(d[1].incident_pnl, -0.1);             /* the kill's exit fee */
    NEAR(d[1].strategy_pnl, -15.0);
    double r0 = 0.0099, r1 = -0.0151, mean = (r0 + r1) / 2, sd = fabs(r0 - r1) / sqrt(2.0);
    NEAR(d[1].sharpe, mean / sd * sqrt(365.0));
    NEAR(d[1].sortino, mean / sqrt(r1 * r1 / 2) * sqrt(365.0));
    /* day 2: no events, the equity carries */
    NEAR(d[2].equity, 994.8);
    assert_true(d[2].pnl == 0 && d[2].fills == 0);
    NEAR(d[3].equity, 994.8);
    /* peak 1009.9 at day 0 12:00, trough 994.8, still under water at the end */
    NEAR(d[3].max_dd, 15.1 / 1009.9);
    NEAR(d[3].max_dd_days, 2.5);
    NEAR(d[0].max_dd, 0.1 / 1000);             /* the entry fee, before the mark up */
    NEAR(d[0].max_dd_days, 0.5);               /* peak at 00:00 (the capital), back at 12:00 */
    const rs_report_row *t = rs_report_total(r);
    NEAR(t->pnl, -5.2);
    NEAR(t->ret, -0.0052);
    assert_int_equal(t->trades, 1);
    assert_int_equal(t->fills, 2);
    NEAR(t->fees, 0.2);
    NEAR(t->gross_pnl, -5.0);
    NEAR(t->incident_pnl, -0.1);
    NEAR(t->calmar, (-0.0052 / 4 * 365) / (15.1 / 1009.9));
    const rs_report_row *s = rs_report_strategy(r);
    NEAR(s->pnl, -5.1);
    assert_int_equal(s->trades, 0);            /* the only trade was under the kill */
    assert_int_equal(s->fills, 1);
    size_t nt, ni;
    const rs_report_trade *tr = rs_report_trades(r, &nt);
    assert_int_equal(nt, 1);
    assert_int_equal(tr[0].dir, 1);
    assert_int_equal(tr[0].open, 0);
    assert_int_equal(tr[0].incident, 1);
    NEAR(tr[0].pnl, -5.2);
    NEAR(tr[0].ret, -0.052);
    NEAR(tr[0].fees, 0.2);
    const rs_report_incident *ic = rs_report_incidents(r, &ni);
    assert_int_equal(ni, 1);
    assert_int_equal(ic[0].kill, 1);
    assert_int_equal(ic[0].open, 0);
    assert_int_equal(ic[0].end_ts, T0 + DAY + 8 * HOUR);
    assert_string_equal(ic[0].end_reason, "flat");
    NEAR(ic[0].pnl, -0.1);
    const rs_report_counts *c = rs_report_get_counts(r);
    assert_int_equal(c->fills, 2);
    assert_int_equal(c->dup_fills, 1);
    assert_int_equal(c->marks, 4);
    rs_report_destroy(r);
}

static void test_report_empty_and_one_day(void **st)
{
    (void)st;
    rs_report *r = mk(1000);
    assert_int_equal(rs_report_finish(r), 0);   /* no records at all */
    size_t n;
    rs_report_days(r, &n);
    assert_int_equal(n, 0);
    const rs_report_row *t = rs_report_total(r);
    assert_true(t->pnl == 0 && t->trades == 0 && t->equity == 1000);
    assert_true(isnan(t->sharpe) && isnan(t->hit_rate) && isnan(t->calmar));
    rs_report_destroy(r);

    r = mk(1000);   /* marks only, one day: no trades, zero returns */
    rs_report_add(r, mark(T0 + HOUR, 100, 99, 101), 1);
    rs_report_add(r, mark(T0 + 2 * HOUR, 105, 104, 106), 2);
    assert_int_equal(rs_report_finish(r), 0);
    const rs_report_row *d = rs_report_days(r, &n);
    assert_int_equal(n, 1);
    assert_true(d[0].pnl == 0 && d[0].max_dd == 0 && d[0].max_dd_days == 0);
    assert_true(isnan(d[0].vol_ann) && isnan(d[0].sharpe) && isnan(d[0].calmar));
    rs_report_destroy(r);
}

static void test_report_bad_and_open(void **st)
{
    (void)st;
    rs_report *r = mk(1000);
    const rs_rec *m = mark(T0, 100, 99, 101);
    rs_ev_mark bad = marks[0];
    bad.sym = 7;                          /* not in the universe */
    rs_ev_exec_report short_rep = {0};
    short_rep.h = (rs_rec){40, RS_EV_EXEC_REPORT, RS_STREAM_EXEC, 9, T0 + 1, 0};   /* truncated */
    rs_report_add(r, m, 1);
    rs_report_add(r, &bad.h, 2);
    rs_report_add(r, &short_rep.h, 3);
    rs_report_add(r, fill(T0 + HOUR, 5, RS_SIDE_SELL, 100, 2, 0, 0.2), 4);   /* cum 0: last_qty counts */
    rs_report_add(r, fill(T0 + HOUR, 6, 9, 100, 1, 1, 0.0), 5);               /* bad side */
    rs_report_add(r, mark(T0 + 2 * HOUR, 90, 89, 91), 6);
    assert_int_equal(rs_report_finish(r), 0);
    const rs_report_counts *c = rs_report_get_counts(r);
    assert_int_equal(c->bad, 3);
    assert_int_equal(c->fills, 1);
    size_t nt;
    const rs_report_trade *t = rs_report_trades(r, &nt);
    assert_int_equal(nt, 1);
    assert_int_equal(t[0].open, 1);       /* still short at the end: marked, not counted */
    assert_int_equal(t[0].dir, -1);
    NEAR(t[0].pnl, 20 - 0.2);
    assert_int_equal(rs_report_total(r)->trades, 0);
    NEAR(rs_report_total(r)->pnl, 19.8);
    rs_report_destroy(r);

    rs_universe u;
    uni(&u);
    rs_report_opts o = {.capital = 0};
    assert_true(rs_report_create(&r, &u, &o) < 0);
    assert_null(r);
}

static void test_report_flip(void **st)
{
    (void)st;
    /* long 1 @ 100, then sell 3 @ 110 (flip to short 2), buy 2 @ 105: two
     * trades; the flipping fill's fee 0.3 splits 1/3 to the first, 2/3 to
     * the second */
    rs_report *r = mk(1000);
    rs_report_add(r, mark(T0, 100, 99, 101), 1);
    rs_report_add(r, fill(T0 + HOUR, 1, RS_SIDE_BUY, 100, 1, 1, 0.1), 2);
    rs_report_add(r, fill(T0 + 2 * HOUR, 2, RS_SIDE_SELL, 110, 3, 3, 0.3), 3);
    rs_report_add(r, fill(T0 + 4 * HOUR, 3, RS_SIDE_BUY, 105, 2, 2, 0.2), 4);
    assert_int_equal(rs_report_finish(r), 0);
    size_t nt;
    const rs_report_trade *t = rs_report_trades(r, &nt);
    assert_int_equal(nt, 2);
    assert_int_equal(t[0].dir, 1);
    NEAR(t[0].pnl, 10 - 0.1 - 0.1);
    NEAR(t[0].fees, 0.2);
    assert_int_equal(t[0].close_ts, T0 + 2 * HOUR);
    assert_int_equal(t[1].dir, -1);
    NEAR(t[1].pnl, 10 - 0.2 - 0.2);
    NEAR(t[1].entry_notional, 220.0);
    NEAR(t[1].ret, 9.6 / 220);
    assert_int_equal(t[1].close_ts - t[1].open_ts, 2 * HOUR);
    const rs_report_row *tot = rs_report_total(r);
    NEAR(tot->pnl, 19.4);
    assert_int_equal(tot->trades, 2);
    NEAR(tot->hit_rate, 1.0);
    NEAR(tot->avg_hold_s, 1.5 * 3600);
    NEAR(tot->turnover, (100 + 330 + 210) / 1000.0);
    rs_report_destroy(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perf_hand),
        cmocka_unit_test(test_perf_edges),
        cmocka_unit_test(test_drawdown_hand),
        cmocka_unit_test(test_report_session),
        cmocka_unit_test(test_report_empty_and_one_day),
        cmocka_unit_test(test_report_bad_and_open),
        cmocka_unit_test(test_report_flip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
