/* Gate stage: every entry gate at its boundaries (exactly at threshold, NaN
 * inputs, empty history), exits, sizing, restartability on a full output and
 * no allocation on the hot path. Circuits: test_gate_risk.c. */
#include <errno.h>
#include <float.h>

#include "gate_harness.h"

#define PX 30000.0

static H *warm(const rs_gate_params *p)
{
    H *h = h_new(p);
    h_warm(h, 0, PX);
    h_clear(h);
    return h;
}

static void test_params(void **s)
{
    (void)s;
    rs_gate_params p;
    rs_gate_params_default(&p);
    assert_int_equal(rs_gate_params_check(&p), 0);
    rs_gate_params q = p;
    q.q_tail = 0.5;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "q_tail"));
    q = p;
    q.vote_min = q.vote_k + 1;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);
    q = p;
    q.guard_atr = 0;
    q.guard_pct = 0;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "guard"));
    q = p;
    q.reject_pause_k = 0;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);
    q = p;
    q.z_min = NAN;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);
    q = p;
    q.dd_recover = q.dd_limit * 2;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);
    q = p;
    q.lim.max_per_min = RS_RATE_CAP + 1;
    assert_int_equal(rs_gate_params_check(&q), -RS_EBADCFG);

    rs_universe u;
    h_universe(&u);
    size_t n = rs_gate_memsize(&p, &u);
    assert_true(n > 0);
    void *m = rs_mem_alloc(n, 64, "t");
    assert_int_equal(rs_gate_init(m, n - 8, &p, &u), -ENOSPC);
    assert_int_equal(rs_gate_init(m, n, &p, &u), 0);
    rs_mem_free(m);
    rs_universe e = {0};
    assert_int_equal(rs_gate_memsize(&q, &u), 0);
    m = rs_mem_alloc(n, 64, "t");
    assert_int_equal(rs_gate_init(m, n, &p, &e), -RS_EBADCFG);
    rs_mem_free(m);
}

static void test_decision_lists_every_gate(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    assert_int_equal(h_pred(h, 0, 60, 2, 1), RS_OK);
    const rs_ev_decision *d = h_dec(h);
    assert_int_equal(d->n, RS_GATE_COUNT - 1);
    assert_int_equal(d->h.len, sizeof(rs_ev_decision) + (RS_GATE_COUNT - 1) * sizeof(rs_gate_verdict));
    assert_string_equal(rs_gate_name(RS_GATE_FRESH_POS), "fresh_pos");
    assert_string_equal(rs_gate_name(RS_GATE_COUNT), "?");
    for (int i = 0; i < d->n; i++) {
        assert_int_equal(d->g[i].gate, i + 1);
        assert_string_not_equal(rs_gate_name(d->g[i].gate), "?");
        assert_true(d->g[i].pass);
    }
    assert_int_equal(d->action, RS_ACT_ENTER_LONG);
    assert_int_equal(d->reason, 0);
    const rs_ev_intent *in = h_intent(h, 0);
    assert_int_equal(in->kind, RS_INT_NEW);
    assert_int_equal(in->side, RS_SIDE_BUY);
    assert_int_equal(in->ord_type, RS_ORD_LIMIT);
    assert_int_equal(in->tif, 1);
    assert_int_equal(in->reduce_only, 0);
    assert_int_equal(in->client_id, (1ull << 40) | 1);
    /* limit price: ask * (1 + 5 bps), rounded up to the tick */
    assert_int_equal(in->px, (int64_t)ceil((PX + 0.5) * (1 + 5e-4) * 100 - 1e-9));
    assert_true(d->size > 0);
    h_free(h);
}

static void test_empty_history_and_warmup(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = h_new(&p);
    /* nothing seen: no bars, no marks, no history */
    assert_int_equal(h_pred(h, 0, 60, 2, 1), RS_OK);
    const rs_ev_decision *d = h_dec(h);
    assert_int_equal(d->action, RS_ACT_NONE);
    assert_int_equal(d->reason, RS_GATE_WARMUP);
    assert_false(h_v(d, RS_GATE_WARMUP)->pass);
    assert_false(h_v(d, RS_GATE_SIGMA)->pass);
    assert_true(isnan(h_v(d, RS_GATE_SIGMA)->value));
    assert_false(h_v(d, RS_GATE_FRESH_MD)->pass);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    /* 4 bars: one short of warmup_bars = 5 */
    for (int i = 0; i < 4; i++)
        h_next_bar(h, 0, PX);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    d = h_dec(h);
    assert_false(h_v(d, RS_GATE_WARMUP)->pass);
    assert_true(h_v(d, RS_GATE_WARMUP)->value == 4 && h_v(d, RS_GATE_WARMUP)->threshold == 5);
    h_next_bar(h, 0, PX);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    d = h_dec(h);
    assert_true(h_v(d, RS_GATE_WARMUP)->pass);
    assert_int_equal(d->action, RS_ACT_ENTER_LONG);
    h_free(h);
}

/* No RS_EV_BAR routed to the gate: it builds its own bars from the marks. */
static void test_bars_from_marks(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = h_new(&p);
    h->t = (H_T0 / H_BAR) * H_BAR;   /* bar aligned */
    for (int i = 0; i < 6 * 5; i++) {   /* 6 bars of one mark a minute */
        double px = PX * (1.0 + ((i % 5) - 2) * 0.001) * (i / 5 % 2 ? 1.002 : 0.998);
        h_mark(h, 0, px, px - 0.5, px + 0.5);
        h->t += H_BAR / 5;
    }
    h_clear(h);
    h_timer(h);   /* closes the 6th bar */
    h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
    h->bar_end = h->t - h->t % H_BAR;
    h_pred(h, 0, 60, 2, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_true(h_v(d, RS_GATE_WARMUP)->value == 6);
    assert_true(h_v(d, RS_GATE_WARMUP)->pass);
    assert_true(h_v(d, RS_GATE_SIGMA)->value > 10);
    assert_int_equal(d->action, RS_ACT_ENTER_LONG);
    /* once the features stage's bars arrive they are the only source */
    h->t += H_BAR;
    h_bar(h, 0, PX, PX + 10, PX - 10, PX);
    for (int i = 0; i < 10; i++) {
        h->t += H_BAR;
        h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
        h_timer(h);
    }
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_WARMUP)->value == 7);
    h_free(h);
}

static void test_ready_and_nan(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_pred(h, 0, 60, 2, 0);
    const rs_ev_decision *d = h_dec(h);
    assert_int_equal(d->reason, RS_GATE_READY);
    assert_int_equal(d->action, RS_ACT_NONE);
    h_clear(h);
    assert_int_equal(h_pred(h, 0, NAN, 2, 1), RS_OK);
    d = h_dec(h);
    assert_int_equal(d->reason, RS_GATE_READY);
    assert_false(h_v(d, RS_GATE_EV)->pass);
    assert_true(isnan(h_v(d, RS_GATE_READY)->value));
    h_clear(h);
    h_pred(h, 0, 60, NAN, 1);
    d = h_dec(h);
    assert_int_equal(d->reason, RS_GATE_READY);
    assert_false(h_v(d, RS_GATE_ZEDGE)->pass);
    h_clear(h);
    h_pred(h, 0, INFINITY, 2, 1);
    assert_int_equal(h_dec(h)->action, RS_ACT_NONE);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_free(h);
}

static void test_zedge_boundary(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.z_min = 1.5;
    H *h = warm(&p);
    h_pred(h, 0, -60, -1.5, 1);   /* exactly at the threshold: passes */
    const rs_ev_decision *d = h_dec(h);
    assert_true(h_v(d, RS_GATE_ZEDGE)->pass);
    assert_true(h_v(d, RS_GATE_ZEDGE)->value == 1.5 && h_v(d, RS_GATE_ZEDGE)->threshold == 1.5);
    assert_int_equal(d->action, RS_ACT_ENTER_SHORT);
    h_free(h);
    h = warm(&p);
    h_pred(h, 0, -60, -nextafter(1.5, 0), 1);
    d = h_dec(h);
    assert_false(h_v(d, RS_GATE_ZEDGE)->pass);
    assert_int_equal(d->reason, RS_GATE_ZEDGE);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_free(h);
}

static void test_ev_boundary(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.ev_margin_bps = 2;
    H *h = warm(&p);
    /* binance round trip 20 bps + 2 margin: exactly 22 does not exceed */
    h_pred(h, 0, 22, 2, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_EV)->pass);
    assert_true(h_v(d, RS_GATE_EV)->threshold == 22);
    assert_int_equal(d->reason, RS_GATE_EV);
    h_clear(h);
    h_pred(h, 0, nextafter(22, 100), 2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_EV)->pass);
    h_free(h);
    /* per-venue cost: futures 12 bps */
    p.cost_bps[RS_VENUE_BINANCE] = 12;
    h = warm(&p);
    h_pred(h, 0, 15, 2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_EV)->pass);
    h_free(h);
}

static void test_quantile_gate(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.q_tail = 0.25;
    p.q_window = 10;
    p.q_min_count = 5;
    H *h = warm(&p);
    /* empty history: fails with the count as value */
    h_pred(h, 0, 100, 2, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_QUANTILE)->pass);
    assert_true(h_v(d, RS_GATE_QUANTILE)->value == 0 && h_v(d, RS_GATE_QUANTILE)->threshold == 5);
    /* history now {100}; add 10,20,30,40 -> {10,20,30,40,100}: Q(0.75) = 40 */
    double xs[] = {10, 20, 30, 40};
    for (int i = 0; i < 4; i++)
        h_pred(h, 0, xs[i], 0.1, 1);
    h_clear(h);
    h_pred(h, 0, 40, 2, 1);   /* exactly at the upper quantile: passes */
    d = h_dec(h);
    assert_true(h_v(d, RS_GATE_QUANTILE)->pass);
    assert_true(h_v(d, RS_GATE_QUANTILE)->threshold == 40.0);
    h_clear(h);
    /* {10,20,30,40,40,100}: Q(0.75) = 40; 39.999 is below */
    h_pred(h, 0, 39.999, 2, 1);
    d = h_dec(h);
    assert_false(h_v(d, RS_GATE_QUANTILE)->pass);
    assert_int_equal(d->reason, RS_GATE_QUANTILE);
    /* a short must be in the lower tail */
    h_clear(h);
    h_pred(h, 0, -25, -2, 1);
    d = h_dec(h);
    assert_true(h_v(d, RS_GATE_QUANTILE)->pass);
    assert_true(h_v(d, RS_GATE_QUANTILE)->threshold > -25);
    /* NaN predictions never enter the window */
    h_clear(h);
    h_pred(h, 0, NAN, 2, 1);
    h_clear(h);
    h_pred(h, 0, 200, 2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_QUANTILE)->pass);
    h_free(h);
}

static double sigma_seen(const rs_gate_params *p)
{
    H *h = warm(p);
    h_pred(h, 0, 60, 2, 1);
    double v = h_v(h_dec(h), RS_GATE_SIGMA)->value;
    h_free(h);
    return v;
}

static void test_sigma_floor_boundary(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    double sig = sigma_seen(&p);
    assert_true(sig > 10 && sig < 100);
    p.sigma_floor_bps = sig;   /* exactly at the floor passes (same input, same sigma) */
    H *h = warm(&p);
    h_pred(h, 0, 60, 2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_SIGMA)->pass);
    h_free(h);
    p.sigma_floor_bps = nextafter(sig, 1e9);
    h = warm(&p);
    h_pred(h, 0, 60, 2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_SIGMA)->pass);
    assert_int_equal(h_dec(h)->reason, RS_GATE_SIGMA);
    h_free(h);
}

static void test_vote(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.vote_k = 3;
    p.vote_min = 3;
    H *h = warm(&p);
    h_pred(h, 0, 60, 2, 1);   /* empty history: 1 of 3 seen */
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_VOTE)->pass);
    assert_int_equal(d->reason, RS_GATE_VOTE);
    h_clear(h);
    h_pred(h, 0, -60, -2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_VOTE)->value == 0);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);   /* +,-,+ */
    assert_true(h_v(h_dec(h), RS_GATE_VOTE)->value == 2);
    assert_false(h_v(h_dec(h), RS_GATE_VOTE)->pass);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);   /* +,+,+ */
    d = h_dec(h);
    assert_true(h_v(d, RS_GATE_VOTE)->pass);
    assert_true(h_v(d, RS_GATE_VOTE)->value == 3);
    assert_int_equal(d->action, RS_ACT_ENTER_LONG);
    h_free(h);
}

static void test_cooldown(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.cooldown_bars = 2;
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h_ctl(h, RS_CTL_FLATTEN, 0xffff);
    const rs_ev_intent *x = h_intent(h, -1);
    assert_int_equal(x->purpose, RS_PUR_EXIT);
    assert_int_equal(x->reduce_only, 1);
    h_exec(h, x->client_id, 0, RS_OS_FILLED, x->side, 1, PX, x->qty, x->qty, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_COOLDOWN)->pass);
    assert_true(h_v(d, RS_GATE_COOLDOWN)->value == 0);
    h_next_bar(h, 0, PX);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_COOLDOWN)->pass);
    h_next_bar(h, 0, PX);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);   /* exactly cooldown_bars later: passes */
    d = h_dec(h);
    assert_true(h_v(d, RS_GATE_COOLDOWN)->pass);
    assert_int_equal(d->action, RS_ACT_ENTER_LONG);
    h_free(h);
}

static void test_oco_delay_and_children(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    /* same bar: no children yet, only the guard protects */
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_STOP), 0);
    h_clear(h);
    h_mark(h, 0, PX - 1, PX - 1.5, PX - 0.5);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_next_bar(h, 0, PX);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_STOP), 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_TAKE_PROFIT), 1);
    const rs_ev_intent *st = NULL, *tp = NULL;
    for (int i = 0; h_intent(h, i); i++) {
        if (h_intent(h, i)->purpose == RS_PUR_STOP)
            st = h_intent(h, i);
        if (h_intent(h, i)->purpose == RS_PUR_TAKE_PROFIT)
            tp = h_intent(h, i);
    }
    assert_int_equal(st->ord_type, RS_ORD_STOP);
    assert_int_equal(st->side, RS_SIDE_SELL);
    assert_int_equal(st->reduce_only, 1);
    assert_true(st->px < 3000000 && tp->px > 3000000);
    assert_int_equal(st->qty, rs_gate_portfolio(h->g)->pos[0].qty);
    /* a later bar does not arm again */
    h_clear(h);
    h_next_bar(h, 0, PX);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 0);
    /* the stop fills: OCO cancels the take-profit */
    uint64_t sid = st->client_id, tid = tp->client_id;
    int64_t q = st->qty;
    h_clear(h);
    h_exec(h, sid, 0, RS_OS_FILLED, RS_SIDE_SELL, 1, PX - 100, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    assert_int_equal(h_count_intents(h, RS_INT_CANCEL, 0), 1);
    assert_int_equal(h_intent(h, 0)->target_id, tid);
    assert_true(rs_gate_portfolio(h->g)->pos[0].realized < 0);
    h_free(h);
}

static void test_timed_exit(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.max_hold_bars = 3;
    p.stop_atr = 0;
    p.tp_atr = 0;
    H *h = warm(&p);
    h_enter(h, 0, -1, PX);
    h_clear(h);
    h_next_bar(h, 0, PX);
    h_next_bar(h, 0, PX);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_next_bar(h, 0, PX);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_TIMED_EXIT), 1);
    const rs_ev_intent *x = h_intent(h, -1);
    assert_int_equal(x->side, RS_SIDE_BUY);
    assert_int_equal(x->ord_type, RS_ORD_MARKET);
    h_free(h);
}

static void test_trailing_and_guard(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.trail_atr = 1.0;
    p.guard_atr = 0;
    p.guard_pct = 0.05;
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    h_next_bar(h, 0, PX);   /* arms children and trailing */
    h_clear(h);
    h_mark(h, 0, PX + 500, PX + 499, PX + 501);   /* new high */
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_mark(h, 0, PX + 10, PX + 9, PX + 11);       /* gave back 490 > 1 ATR (~180) */
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_STOP), 1);
    assert_int_equal(h_count_intents(h, RS_INT_CANCEL, 0), 2);   /* children */
    h_free(h);

    /* guard by percentage: exactly 5% adverse exits at once, before arming */
    h = warm(&p);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h_mark(h, 0, PX * 0.95 + 0.01, PX * 0.95, PX * 0.95 + 1);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_mark(h, 0, PX * 0.95, PX * 0.95, PX * 0.95 + 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_GUARD), 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_GUARD, -1), 1);
    /* further ticks do not send another close while one is in flight */
    h_mark(h, 0, PX * 0.90, PX * 0.90, PX * 0.90 + 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 1);
    h_free(h);
}

static void test_sizing(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_pred(h, 0, 60, 2, 1);
    const rs_ev_intent *in = h_intent(h, 0);
    double sig = h_v(h_dec(h), RS_GATE_SIGMA)->value;
    double k = (60.0 - 20.0) / sig;
    k = k < p.edge_cap ? k : p.edge_cap;
    double lp = ceil((PX + 0.5) * (1 + 5e-4) * 100 - 1e-9) / 100;   /* the entry's limit price */
    double units = p.capital * p.risk_frac * k / lp;
    assert_int_equal(in->qty, (int64_t)floor(units * 1e5 + 1e-9));
    h_free(h);

    /* capped at the max position notional and weight */
    p.lim.max_pos_notional = 300;
    h = warm(&p);
    h_pred(h, 0, 200, 5, 1);
    in = h_intent(h, 0);
    assert_true((double)in->qty / 1e5 * (double)in->px / 100 <= 300.0);
    assert_true((double)in->qty / 1e5 * (double)in->px / 100 > 299.0);
    h_free(h);
    h_params(&p);
    p.max_weight = 0.01;   /* 100 quote */
    h = warm(&p);
    h_pred(h, 0, 200, 5, 1);
    in = h_intent(h, 0);
    assert_true((double)in->qty / 1e5 * (double)in->px / 100 <= 100.0);
    h_free(h);

    /* below the minimum trade: SIZE fails */
    h_params(&p);
    p.min_trade_notional = 5000;
    h = warm(&p);
    h_pred(h, 0, 60, 2, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_SIZE)->pass);
    assert_int_equal(d->reason, RS_GATE_SIZE);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_free(h);
    /* per-symbol max order quantity clips the size */
    h_params(&p);
    p.max_order_qty[0] = 0.001;
    h = warm(&p);
    h_pred(h, 0, 60, 2, 1);
    assert_int_equal(h_intent(h, 0)->qty, 100);
    h_free(h);
}

static void test_exit_on_signal(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h_pred(h, 0, 30, 2, 1);   /* same direction: hold */
    assert_int_equal(h_dec(h)->action, RS_ACT_HOLD);
    assert_int_equal(h_dec(h)->reason, RS_GATE_POSITION);
    h_clear(h);
    h_pred(h, 0, -30, -2, 1);
    assert_int_equal(h_dec(h)->action, RS_ACT_EXIT);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_EXIT), 1);
    h_free(h);
}

/* Output full mid-call: RS_FULL, then the retry delivers the rest without
 * applying the input twice. */
static void test_restartable(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    uint8_t small[256];
    rs_emit_buf tiny;
    rs_emit_buf_init(&tiny, small, sizeof small, RS_STREAM_INTENT);
    rs_ev_prediction pr;
    memset(&pr, 0, sizeof pr);
    pr.h.len = sizeof pr;
    pr.h.type = RS_EV_PREDICTION;
    pr.h.seq = 999;
    pr.h.ts = h->t;
    pr.ready = 1;
    pr.bar_end_ns = h->bar_end;
    pr.weighted_bps = 60;
    pr.z_edge = 2;
    /* the intent (88 bytes) fits, the decision (408) that follows it does not */
    assert_int_equal(rs_gate_on_event(h->g, &pr.h, &tiny.e), RS_FULL);
    assert_int_equal(tiny.count, 1);
    size_t off = 0;
    assert_int_equal(rs_emit_buf_next(&tiny, &off)->type, RS_EV_INTENT);
    assert_int_equal(rs_gate_on_event(h->g, &pr.h, &tiny.e), RS_FULL);
    assert_int_equal(tiny.count, 1);
    uint8_t big[1024];
    rs_emit_buf_init(&tiny, big, sizeof big, RS_STREAM_INTENT);
    assert_int_equal(rs_gate_on_event(h->g, &pr.h, &tiny.e), RS_OK);
    assert_int_equal(tiny.count, 1);
    off = 0;
    assert_int_equal(rs_emit_buf_next(&tiny, &off)->type, RS_EV_DECISION);
    /* a new input after a completed flush is processed normally */
    pr.h.seq = 1000;
    rs_emit_buf_reset(&tiny);
    assert_int_equal(rs_gate_on_event(h->g, &pr.h, &tiny.e), RS_OK);
    assert_int_equal(tiny.count, 1);
    assert_int_equal(rs_gate_get_stats(h->g)->predictions, 2);
    assert_int_equal(rs_gate_get_stats(h->g)->entries, 1);
    h_free(h);
}

static void test_bad_input(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    assert_int_equal(h_pred(h, 7, 60, 2, 1), RS_BAD);
    assert_int_equal(h_mark(h, 9, 1, 1, 1), RS_BAD);
    assert_int_equal(h_mark(h, 0, 0, 0, 0), RS_BAD);
    assert_int_equal(h_bar(h, 0, 1, NAN, 1, 1), RS_BAD);
    assert_int_equal(h_exec(h, 1, 0, 77, 1, 0, 0, 0, 0, 0), RS_BAD);
    rs_ev_mark m;
    memset(&m, 0, sizeof m);
    assert_int_equal(h_send(h, &m.h, RS_EV_MARK, 40, RS_STREAM_MARK), RS_BAD);
    assert_int_equal(h_count_risk(h, RS_CIRC_BAD_INPUT, -1), 6);
    assert_int_equal(rs_gate_get_stats(h->g)->bad_input, 6);
    rs_rec r = {0};
    assert_int_equal(h_send(h, &r, RS_EV_TRADE, sizeof r, RS_STREAM_MD), RS_SKIP);
    h_free(h);
}

static void test_no_alloc(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.q_tail = 0.2;
    p.q_min_count = 5;
    H *h = warm(&p);
    uint64_t a0 = rs_mem_thread_allocated();
    h->alloc_bytes = 0;
    for (int i = 0; i < 2000; i++) {
        h->t += 1000000;
        h_mark(h, 0, PX + (i % 7), PX - 1, PX + 1);
        h_pred(h, 0, (i % 11) * 10 - 40, 2, 1);
        const rs_ev_intent *in = h_intent(h, -1);
        if (in && in->kind == RS_INT_NEW)
            h_exec(h, in->client_id, 0, RS_OS_REJECTED, in->side, 0, 0, 0, 0, 0);
        h_timer(h);
        if (i % 100 == 0)
            h_ctl(h, RS_CTL_RESUME, 0xffff);
        h_clear(h);
    }
    if (a0 == UINT64_MAX) {
        /* not rs_test_skip: that would mark the whole binary skipped */
        print_message("allocation counter unavailable in this build (sanitizer): not checked\n");
        h_free(h);
        return;
    }
    assert_true(rs_gate_get_stats(h->g)->intents > 10);
    assert_int_equal(h->alloc_bytes, 0);   /* measured around each rs_gate_on_event */
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params),
        cmocka_unit_test(test_decision_lists_every_gate),
        cmocka_unit_test(test_empty_history_and_warmup),
        cmocka_unit_test(test_ready_and_nan),
        cmocka_unit_test(test_bars_from_marks),
        cmocka_unit_test(test_zedge_boundary),
        cmocka_unit_test(test_ev_boundary),
        cmocka_unit_test(test_quantile_gate),
        cmocka_unit_test(test_sigma_floor_boundary),
        cmocka_unit_test(test_vote),
        cmocka_unit_test(test_cooldown),
        cmocka_unit_test(test_oco_delay_and_children),
        cmocka_unit_test(test_timed_exit),
        cmocka_unit_test(test_trailing_and_guard),
        cmocka_unit_test(test_sizing),
        cmocka_unit_test(test_exit_on_signal),
        cmocka_unit_test(test_restartable),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_no_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
