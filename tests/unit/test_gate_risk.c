/* Gate stage risk circuits, each on its own: reject pause, freshness
 * (market data and position), flip detection, duplicate-close guard, fill
 * health, drawdown, limits (size, notional, position, gross, collar, rate),
 * kill switch. Scenario-level sequences: tests/integration/test_gate_scenarios.c. */
#include "gate_harness.h"

#define PX 30000.0

static H *warm(const rs_gate_params *p)
{
    H *h = h_new(p);
    h_warm(h, 0, PX);
    h_clear(h);
    return h;
}

static uint64_t entry_id(H *h)
{
    const rs_ev_intent *in = h_intent(h, -1);
    assert_non_null(in);
    assert_int_equal(in->purpose, RS_PUR_ENTRY);
    return in->client_id;
}

static void test_reject_pause(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    for (int i = 0; i < 4; i++) {
        h_clear(h);
        h_pred(h, 0, 60, 2, 1);
        h_exec(h, entry_id(h), 0, RS_OS_REJECTED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    }
    assert_false(rs_gate_paused(h->g));
    /* an ack resets the consecutive count */
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    uint64_t id = entry_id(h);
    h_exec(h, id, 0, RS_OS_ACKED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    h_exec(h, id, 0, RS_OS_EXPIRED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    for (int i = 0; i < 4; i++) {
        h_clear(h);
        h_pred(h, 0, 60, 2, 1);
        h_exec(h, entry_id(h), 0, RS_OS_REJECTED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    }
    assert_false(rs_gate_paused(h->g));
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    h_exec(h, entry_id(h), 0, RS_OS_REJECTED, RS_SIDE_BUY, 0, 0, 0, 0, 0);   /* 5th in a row */
    assert_true(rs_gate_paused(h->g));
    assert_int_equal(h_count_risk(h, RS_CIRC_REJECTS, RS_RISK_PAUSE), 1);
    assert_int_equal(h_count(h, RS_EV_ALARM), 1);
    assert_int_equal(((const rs_ev_alarm *)h_nth(h, RS_EV_ALARM, 0))->code, RS_CIRC_REJECTS);
    const rs_ev_risk *r = (const rs_ev_risk *)h_nth(h, RS_EV_RISK, -1);
    assert_true(r->value == 5 && r->limit == 5);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    assert_int_equal(h_dec(h)->reason, RS_GATE_RISK);
    assert_true(h_v(h_dec(h), RS_GATE_RISK)->value == RS_GATE_RISK_PAUSED);
    /* manual resume */
    h_clear(h);
    h_ctl(h, RS_CTL_RESUME, 0xffff);
    assert_false(rs_gate_paused(h->g));
    h_pred(h, 0, 60, 2, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_ENTRY), 1);
    h_free(h);
}

/* As the exec stage reports them: a refused cancel is a live order with a
 * reject code (not a reject, does not reset the streak); REJECTED after an
 * ack answers a cancel of a gone order (not a refused placement). */
static void test_exec_style_rejects(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    for (int i = 0; i < 4; i++) {
        h_clear(h);
        h_pred(h, 0, 60, 2, 1);
        h_exec(h, entry_id(h), 0, RS_OS_REJECTED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    }
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    uint64_t id = entry_id(h);
    h_exec_rc(h, id, 0, RS_OS_ACKED, RS_SIDE_BUY, 0, 0, 0, 0, 0, -2011);
    assert_int_equal(rs_gate_get_stats(h->g)->cancel_rejects, 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_CANCEL_REJECT, RS_RISK_INFO), 1);
    h_exec(h, id, 0, RS_OS_REJECTED, RS_SIDE_BUY, 0, 0, 0, 0, 0);   /* after an ack */
    assert_false(rs_gate_paused(h->g));
    assert_int_equal(rs_gate_get_stats(h->g)->rejects, 4);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    h_exec(h, entry_id(h), 0, RS_OS_REJECTED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    assert_true(rs_gate_paused(h->g));   /* the streak of 5 placements survived */
    h_free(h);
}

static void test_freshness_md(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.md_max_age_ns = 2000000000LL;
    H *h = warm(&p);
    h->t += 2000000000LL;   /* exactly at the max age: fresh */
    h_pred(h, 0, 60, 2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_FRESH_MD)->pass);
    assert_true(h_v(h_dec(h), RS_GATE_FRESH_MD)->value == 2000.0);
    h_free(h);
    h = warm(&p);
    h->t += 2000000001LL;
    h_pred(h, 0, 60, 2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_FRESH_MD)->pass);
    assert_int_equal(h_dec(h)->reason, RS_GATE_FRESH_MD);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    /* a fresh mark clears it; a feed STALE state blocks again */
    h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
    h_fresh(h, 0xffff, RS_FRESH_DISCONNECTED);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_FRESH_MD)->pass);
    assert_true(isinf(h_v(h_dec(h), RS_GATE_FRESH_MD)->value));
    h_fresh(h, 0xffff, RS_FRESH_OK);
    /* two connections: one recovering does not clear the other's outage */
    rs_ev_freshness f2;
    memset(&f2, 0, sizeof f2);
    f2.sym = 0xffff;
    f2.conn = 2;
    f2.state = RS_FRESH_STALE;
    h_send(h, &f2.h, RS_EV_FRESHNESS, sizeof f2, RS_STREAM_MARK);
    h_fresh(h, 0xffff, RS_FRESH_OK);   /* conn 0 */
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_FRESH_MD)->pass);
    f2.state = RS_FRESH_OK;
    h_send(h, &f2.h, RS_EV_FRESHNESS, sizeof f2, RS_STREAM_MARK);
    h_fresh(h, 0, RS_FRESH_GAP);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_FRESH_MD)->pass);
    h_fresh(h, 0, RS_FRESH_OK);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_int_equal(h_dec(h)->action, RS_ACT_ENTER_LONG);
    h_free(h);
}

static void test_fill_health(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.fill_timeout_ns = 1000000000LL;
    p.max_queries = 2;
    p.md_max_age_ns = 3600000000000LL;
    H *h = warm(&p);
    h_pred(h, 0, 60, 2, 1);
    uint64_t id = entry_id(h);
    int64_t q = h_intent(h, -1)->qty;
    h_exec(h, id, 0, RS_OS_ACKED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    h->t += 1000000000LL;   /* exactly T: not yet overdue */
    h_clear(h);
    h_timer(h);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    assert_false(rs_gate_pos_stale(h->g, 0));
    h->t += 1;
    h_timer(h);
    assert_true(rs_gate_pos_stale(h->g, 0));
    assert_int_equal(h_count_intents(h, RS_INT_QUERY, RS_PUR_RECONCILE), 1);
    assert_int_equal(h_intent(h, -1)->target_id, id);
    assert_int_equal(h_count_risk(h, RS_CIRC_FILL_HEALTH, RS_RISK_INFO), 1);
    /* no new orders while stale (other symbol too? only this one) */
    h_clear(h);
    h_pred(h, 0, -60, -2, 1);
    assert_false(h_v(h_dec(h), RS_GATE_FRESH_POS)->pass);
    /* backoff: the next query waits 2T; then escalates once */
    h->t += 1000000000LL;
    h_clear(h);
    h_timer(h);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h->t += 1000000001LL;
    h_timer(h);
    assert_int_equal(h_count_intents(h, RS_INT_QUERY, 0), 1);
    h->t += 10000000000LL;
    h_clear(h);
    h_timer(h);
    h_timer(h);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    assert_int_equal(h_count_risk(h, RS_CIRC_FILL_HEALTH, RS_RISK_ESCALATE), 1);
    /* the poll answers: filled; the position is reconciled and fresh */
    h_clear(h);
    h_exec(h, id, 0, RS_OS_FILLED, RS_SIDE_BUY, 0, PX, 0, q, 1);
    assert_false(rs_gate_pos_stale(h->g, 0));
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, q);
    assert_int_equal(h_count_risk(h, RS_CIRC_RECONCILED, -1), 1);
    /* the late websocket fill is a duplicate: not applied twice */
    h_exec(h, id, 0, RS_OS_FILLED, RS_SIDE_BUY, 1, PX, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, q);
    h_free(h);
}

static void test_flip(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    int64_t q = rs_gate_portfolio(h->g)->pos[0].qty;
    h_clear(h);
    h_ctl(h, RS_CTL_FLATTEN, 0);
    const rs_ev_intent *x = h_intent(h, -1);
    /* the venue overfills the close: the position flips short */
    h_exec(h, x->client_id, 0, RS_OS_FILLED, RS_SIDE_SELL, 1, PX, 2 * q, 2 * q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, -q);
    assert_int_equal(h_count_risk(h, RS_CIRC_FLIP, RS_RISK_PAUSE), 1);
    h_clear(h);
    h_pred(h, 0, -60, -2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_RISK)->value == RS_GATE_RISK_SYM_PAUSED);
    /* a signal exit is held by the symbol pause, protective exits are not */
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_EXIT), 0);
    h_ctl(h, RS_CTL_FLATTEN, 0);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_EXIT), 1);
    h_free(h);
}

static void test_dup_close(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h_ctl(h, RS_CTL_FLATTEN, 0xffff);
    h_ctl(h, RS_CTL_FLATTEN, 0);
    h_pred(h, 0, -60, -2, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_DUP_CLOSE, RS_RISK_BLOCK), 2);
    assert_int_equal(h_dec(h)->action, RS_ACT_HOLD);
    assert_int_equal(h_dec(h)->reason, RS_GATE_POSITION);
    /* the close is rejected: the guard lets the next one through */
    const rs_ev_intent *x = h_intent(h, 0);
    h_exec(h, x->client_id, 0, RS_OS_REJECTED, x->side, 0, 0, 0, 0, 0);
    h_clear(h);
    h_ctl(h, RS_CTL_FLATTEN, 0);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 1);
    h_free(h);
}

static void test_drawdown(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.dd_limit = 0.01;     /* 100 quote on 10000 */
    p.dd_recover = 0.005;
    p.dd_cut = 0.5;
    p.guard_pct = 0.5;
    p.guard_atr = 0;
    p.max_weight = 1;
    p.lim.max_pos_notional = 10000;
    p.lim.max_order_notional = 10000;
    p.edge_cap = 10;
    p.risk_frac = 1;
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    int64_t q = rs_gate_portfolio(h->g)->pos[0].qty;
    double units = (double)q / 1e5;
    assert_true(units * PX > 1000);
    /* a loss just short of the limit: nothing */
    double px1 = PX - 99.0 / units;
    h_clear(h);
    h_mark(h, 0, px1, px1 - 1, px1 + 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_DRAWDOWN, -1), 0);
    double px2 = PX - 150.0 / units;
    h_mark(h, 0, px2, px2 - 1, px2 + 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_DRAWDOWN, RS_RISK_CUT), 1);
    const rs_ev_intent *x = h_intent(h, -1);
    assert_int_equal(x->purpose, RS_PUR_DRAWDOWN);
    assert_int_equal(x->reduce_only, 1);
    assert_int_equal(x->qty, q / 2);
    /* new entries are scaled down while active */
    h_exec(h, x->client_id, 0, RS_OS_FILLED, x->side, 1, px2, x->qty, x->qty, 0);
    h_clear(h);
    /* recovery */
    h_mark(h, 0, PX + 200, PX + 199, PX + 201);
    assert_int_equal(h_count_risk(h, RS_CIRC_DRAWDOWN, RS_RISK_RESUME), 1);
    h_free(h);
}

static void test_limits(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    /* collar: ask far above the last trade */
    H *h = warm(&p);
    h_mark(h, 0, PX, PX - 1, PX * 1.01);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_LIMITS)->pass);
    assert_int_equal(d->reason, RS_GATE_LIMITS);
    assert_true(h_v(d, RS_GATE_LIMITS)->threshold == 50);
    assert_int_equal(h_count_risk(h, RS_CIRC_COLLAR, RS_RISK_BLOCK), 1);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_free(h);
    /* rate: 2 per second, event time */
    h_params(&p);
    p.lim.max_per_sec = 2;
    p.lim.max_per_min = 3;
    h = warm(&p);
    for (int i = 0; i < 3; i++) {
        h_pred(h, 0, 60, 2, 1);
        const rs_ev_intent *in = h_intent(h, -1);
        if (in)
            h_exec(h, in->client_id, 0, RS_OS_EXPIRED, in->side, 0, 0, 0, 0, 0);
    }
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 2);
    assert_int_equal(h_count_risk(h, RS_CIRC_RATE_SEC, RS_RISK_BLOCK), 1);
    h->t += 1000000000LL;
    h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
    h_clear(h);
    h_pred(h, 0, 60, 2, 1);
    h_exec(h, h_intent(h, -1)->client_id, 0, RS_OS_EXPIRED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    h_pred(h, 0, 60, 2, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_RATE_MIN, RS_RISK_BLOCK), 1);
    h_free(h);
    /* gross exposure: a position on sym 0 leaves no room on sym 1 */
    h_params(&p);
    p.lim.max_gross_notional = 1500;
    h = warm(&p);
    h_warm(h, 1, 2000.0);
    h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h_pred(h, 1, 60, 2, 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_GROSS, RS_RISK_BLOCK), 1);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    h_free(h);
}

static void test_kill(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.kill_backoff_ns = 1000000000LL;
    p.kill_max_retries = 2;
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    h_next_bar(h, 0, PX);   /* children resting */
    h_clear(h);
    h_ctl(h, RS_CTL_KILL, 0xffff);
    assert_int_equal(rs_gate_killed(h->g), 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_KILL, RS_RISK_KILL), 1);
    assert_int_equal(h_count_intents(h, RS_INT_CANCEL_ALL, RS_PUR_KILL), 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_KILL), 1);
    const rs_ev_intent *fl = h_intent(h, -1);
    assert_int_equal(fl->reduce_only, 1);
    assert_int_equal(fl->side, RS_SIDE_SELL);
    uint64_t fid = fl->client_id;
    int64_t q = fl->qty;
    /* entries are blocked, the engine still answers */
    h_clear(h);
    h_pred(h, 0, -60, -2, 1);
    assert_true(h_v(h_dec(h), RS_GATE_RISK)->value >= RS_GATE_RISK_KILLED);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    /* flatten fills, the venue cancels everything: kill completes */
    h_exec(h, fid, 0, RS_OS_FILLED, RS_SIDE_SELL, 1, PX, q, q, 0);
    for (uint64_t id = 1; id < 20; id++)
        h_exec(h, (1ull << 40) | id, 0, RS_OS_CANCELLED, 0, 0, 0, 0, 0, 0);
    h_clear(h);
    h_timer(h);
    assert_int_equal(rs_gate_killed(h->g), 2);
    assert_int_equal(h_count_risk(h, RS_CIRC_KILL, RS_RISK_INFO), 1);
    /* resume does not undo a kill */
    h_ctl(h, RS_CTL_RESUME, 0xffff);
    assert_int_equal(rs_gate_killed(h->g), 2);
    h_free(h);

    /* kill from the config */
    h_params(&p);
    p.kill_on_start = 1;
    h = h_new(&p);
    h_timer(h);
    assert_int_equal(rs_gate_killed(h->g), 2);   /* nothing to cancel or flatten */
    assert_int_equal(h_count_risk(h, RS_CIRC_KILL, RS_RISK_KILL), 1);
    h_free(h);
}

static void test_unknown_order(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    H *h = warm(&p);
    h_exec(h, 12345, 0, RS_OS_FILLED, RS_SIDE_BUY, 1, PX, 100, 100, 0);
    assert_int_equal(h_count_risk(h, RS_CIRC_UNKNOWN_ORDER, -1), 1);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 100);
    assert_int_equal(rs_gate_get_stats(h->g)->unknown_orders, 1);
    h_free(h);
}

static void test_position_records(void **s)
{
    (void)s;
    rs_gate_params p;
    h_params(&p);
    p.pos_period_ns = 60000000000LL;
    H *h = warm(&p);
    h_enter(h, 0, 1, PX);
    assert_int_equal(h_count(h, RS_EV_POSITION), 1);   /* on the fill */
    h->t += 60000000000LL;
    h_clear(h);
    h_timer(h);
    assert_int_equal(h_count(h, RS_EV_POSITION), 2);   /* sym 0 + total */
    const rs_ev_position *t = (const rs_ev_position *)h_nth(h, RS_EV_POSITION, -1);
    assert_int_equal(t->sym, 0xffff);
    assert_true(t->equity > 0 && t->peak_equity >= t->equity);
    h_clear(h);
    h->t += 1;
    h_timer(h);
    assert_int_equal(h_count(h, RS_EV_POSITION), 0);
    h_free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reject_pause),   cmocka_unit_test(test_exec_style_rejects),
        cmocka_unit_test(test_freshness_md),
        cmocka_unit_test(test_fill_health),    cmocka_unit_test(test_flip),
        cmocka_unit_test(test_dup_close),      cmocka_unit_test(test_drawdown),
        cmocka_unit_test(test_limits),         cmocka_unit_test(test_kill),
        cmocka_unit_test(test_unknown_order),  cmocka_unit_test(test_position_records),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
