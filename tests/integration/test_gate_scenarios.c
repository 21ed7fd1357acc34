/* Gate stage incident scenarios, driven by scripted event sequences (no
 * threads, no network). Each scenario runs twice; the two transcripts of
 * output records must be byte-identical (ts_local excluded).
 *
 *  1. order-status events arrive but fill events do not: position stale, no
 *     new orders, reconciliation requested, resolved by the poll
 *  2. 228 consecutive rejects: paused after K = 5, nothing more sent
 *  3. kill switch while the venue rejects every cancel (and the flatten):
 *     bounded retries with backoff, one escalation, engine still responsive
 *  4. +100% surge against a short inside the OCO delay: the guard exits on
 *     that very event; later, no order on stale market data
 *  5. two close signals in the same microsecond: one closing order
 *  6. kill switch while the venue bans order traffic (418): the flatten is
 *     held unanswered for minutes; the switch waits without spending its
 *     retry budget, says so once, escalates once when the wait alone has
 *     lasted the whole budget, and completes when the ban ends
 *  7. the same ban, but the stop resting at the venue since before the kill
 *     (its cancel held too) fills inside it and closes the position: the
 *     held flatten is cancelled (it never reached the venue; sent after the
 *     ban it would open a position the other way on a spot venue) and the
 *     switch completes once the venue confirms the other child's cancel
 */
#include "../unit/gate_harness.h"

#define PX 30000.0
#define SEC 1000000000LL

static void base_params(rs_gate_params *p)
{
    h_params(p);
    p->lim.max_per_sec = 5;     /* the production throttle stays on */
    p->lim.max_per_min = 60;
    p->fill_timeout_ns = 2 * SEC;
    p->max_queries = 3;
    p->pos_period_ns = 60 * SEC;
}

static H *start(const rs_gate_params *p)
{
    H *h = h_new(p);
    h_warm(h, 0, PX);
    h_warm(h, 1, 2000.0);
    h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
    h_clear(h);
    return h;
}

/* Long 1 unit of symbol 0, its stop and take-profit resting at the venue;
 * the kill switch retries `retries` times, backing off from 0.5 s. */
static H *start_long_protected(uint32_t retries)
{
    rs_gate_params p;
    base_params(&p);
    p.kill_max_retries = retries;
    p.kill_backoff_ns = SEC / 2;
    H *h = start(&p);
    h_enter(h, 0, 1, PX);
    h_next_bar(h, 0, PX);
    return h;
}

/* "kill complete" records in the transcript since the last h_clear */
static int kill_completes(H *h)
{
    int n = 0;
    for (int i = 0;; i++) {
        const rs_ev_risk *r = (const rs_ev_risk *)h_nth(h, RS_EV_RISK, i);
        if (!r)
            return n;
        n += r->circuit == RS_CIRC_KILL && strstr(r->text, "kill complete") != NULL;
    }
}

/* 1 ------------------------------------------------------------------------ */
static H *sc_status_without_fill(void)
{
    rs_gate_params p;
    base_params(&p);
    H *h = start(&p);
    h_pred(h, 0, 60, 2, 1);
    const rs_ev_intent *in = h_intent(h, -1);
    assert_int_equal(in->purpose, RS_PUR_ENTRY);
    uint64_t id = in->client_id;
    int64_t q = in->qty;
    h->t += 1000000;
    h_exec(h, id, 0, RS_OS_ACKED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    /* the status stream says FILLED; the fill itself never arrives (the exec
     * stage reports cum_qty = the fills it has seen: 0) */
    h->t += 1000000;
    h_exec(h, id, 0, RS_OS_FILLED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    assert_true(rs_gate_pos_stale(h->g, 0));
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    /* strategy keeps predicting: no order while the position is stale */
    h_clear(h);
    for (int i = 0; i < 5; i++) {
        h->t += 200000000;
        h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
        h_timer(h);
        h_pred(h, 0, i % 2 ? 60 : -60, i % 2 ? 2 : -2, 1);
        const rs_ev_decision *d = h_dec(h);
        assert_false(h_v(d, RS_GATE_FRESH_POS)->pass);
        assert_true(h_v(d, RS_GATE_FRESH_POS)->value == 1);
    }
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 0);
    /* the other symbol trades normally */
    h_mark(h, 1, 2000, 1999.9, 2000.1);
    h_pred(h, 1, 60, 2, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_ENTRY), 1);
    uint64_t id1 = h_intent(h, -1)->client_id;
    h_exec(h, id1, 1, RS_OS_EXPIRED, RS_SIDE_BUY, 0, 0, 0, 0, 0);
    /* the first timer after the status report journaled why it is stale */
    assert_int_equal(h_count_risk(h, RS_CIRC_FILL_HEALTH, RS_RISK_INFO), 1);
    /* after T the fill-health circuit asks the polling path */
    h_clear(h);
    h->t += 2 * SEC;
    h_timer(h);
    assert_int_equal(h_count_intents(h, RS_INT_QUERY, RS_PUR_RECONCILE), 1);
    assert_int_equal(h_intent(h, -1)->target_id, id);
    /* the REST poll answers with the fill */
    h_clear(h);
    h->t += 50000000;
    h_exec(h, id, 0, RS_OS_FILLED, RS_SIDE_BUY, 1, PX + 1, q, q, 1);
    assert_false(rs_gate_pos_stale(h->g, 0));
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, q);
    assert_int_equal(h_count(h, RS_EV_POSITION), 1);
    /* and the late websocket fill changes nothing */
    h_exec(h, id, 0, RS_OS_FILLED, RS_SIDE_BUY, 1, PX + 1, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, q);
    return h;
}

/* 2 ------------------------------------------------------------------------ */
static H *sc_228_rejects(void)
{
    rs_gate_params p;
    base_params(&p);
    H *h = start(&p);
    int sent = 0, decisions = 0;
    for (int i = 0; i < 228; i++) {
        h_clear(h);
        h->t += SEC;
        h_mark(h, 0, PX, PX - 0.5, PX + 0.5);
        h_pred(h, 0, 60, 2, 1);
        decisions += h_count(h, RS_EV_DECISION);
        const rs_ev_intent *in = h_intent(h, -1);
        if (in) {
            sent++;
            h->t += 1000;
            h_exec(h, in->client_id, 0, RS_OS_REJECTED, in->side, 0, 0, 0, 0, 0);
        } else {
            /* the venue keeps rejecting whatever it sees (not ours): unknown */
            assert_true(rs_gate_paused(h->g));
            assert_int_equal(h_dec(h)->reason, RS_GATE_RISK);
        }
        h_timer(h);
    }
    assert_int_equal(sent, 5);
    assert_int_equal(decisions, 228);
    assert_true(rs_gate_paused(h->g));
    assert_int_equal(rs_gate_get_stats(h->g)->rejects, 5);
    assert_int_equal(rs_gate_get_stats(h->g)->intents, 5);
    return h;
}

/* 3 ------------------------------------------------------------------------ */
static H *sc_kill_cancel_rejected(void)
{
    H *h = start_long_protected(4);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_STOP), 1);
    uint64_t children[2] = {0, 0};
    for (int i = 0, k = 0; h_intent(h, i); i++)
        if (h_intent(h, i)->kind == RS_INT_NEW && h_intent(h, i)->purpose != RS_PUR_ENTRY && k < 2)
            children[k++] = h_intent(h, i)->client_id;
    h_clear(h);
    h_ctl(h, RS_CTL_KILL, 0xffff);
    int cancel_alls = 0, flattens = 0, handled = 0, escalations = 0, alarms = 0;
    for (int step = 0; step < 3000; step++) {   /* 5 minutes of 100 ms timers */
        /* The venue refuses every cancel and every flatten. As the exec stage
         * reports it: a refused cancel is a report for the live order with a
         * reject code; a refused order is REJECTED. */
        size_t off = 0;
        const rs_rec *r;
        uint64_t ids[16];
        int32_t codes[16];
        uint8_t states[16];
        int n = 0;
        while ((r = rs_emit_buf_next(&h->eb, &off)) && n < 12)
            if (r->type == RS_EV_INTENT) {
                const rs_ev_intent *in = (const rs_ev_intent *)r;
                if (in->kind == RS_INT_CANCEL_ALL) {
                    cancel_alls++;
                    for (int c = 0; c < 2; c++) {
                        ids[n] = children[c], codes[n] = -2011, states[n++] = RS_OS_ACKED;
                    }
                } else if (in->kind == RS_INT_CANCEL) {
                    ids[n] = in->target_id, codes[n] = -2011, states[n++] = RS_OS_ACKED;
                } else if (in->kind == RS_INT_NEW) {
                    flattens += in->purpose == RS_PUR_KILL;
                    ids[n] = in->client_id, codes[n] = -2010, states[n++] = RS_OS_REJECTED;
                }
            }
        escalations += h_count_risk(h, RS_CIRC_KILL, RS_RISK_ESCALATE);
        alarms += h_count(h, RS_EV_ALARM);
        h_clear(h);
        for (int i = 0; i < n; i++) {
            h->t += 1000;
            assert_int_equal(h_exec_rc(h, ids[i], 0, states[i], RS_SIDE_SELL, 0, 0, 0, 0, 0, codes[i]), RS_OK);
            handled++;
        }
        h->t += 100000000;
        assert_int_equal(h_timer(h), RS_OK);
        if (step % 50 == 0) {
            /* still responsive: marks and predictions get answers */
            assert_int_equal(h_mark(h, 0, PX, PX - 0.5, PX + 0.5), RS_OK);
            assert_int_equal(h_pred(h, 0, 60, 2, 1), RS_OK);
            assert_int_equal(h_dec(h)->reason, RS_GATE_RISK);
        }
    }
    assert_int_equal(rs_gate_killed(h->g), 1);
    assert_int_equal(cancel_alls, 5);   /* first attempt + 4 retries, then no more */
    assert_int_equal(flattens, 5);
    assert_true(handled >= 10);
    assert_int_equal(escalations, 1);
    /* kill start, the reject pause (the flattens are rejected too), escalation */
    assert_int_equal(alarms, 3);
    /* 2 children refused on each of 5 cancel-alls + the 2 child cancels sent
     * with the first flatten */
    assert_int_equal(rs_gate_get_stats(h->g)->cancel_rejects, 12);
    assert_int_equal(rs_gate_get_stats(h->g)->rejects, 5);
    return h;
}

/* 4 ------------------------------------------------------------------------ */
static H *sc_surge_against_short(void)
{
    rs_gate_params p;
    base_params(&p);
    p.guard_atr = 6;
    p.guard_pct = 0.10;
    H *h = start(&p);
    h_enter(h, 0, -1, PX);
    /* still inside the OCO delay: no children yet */
    h_clear(h);
    h->t += 1000000;
    h_mark(h, 0, PX * 2, PX * 2 - 1, PX * 2 + 1);   /* +100% */
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_GUARD), 1);
    const rs_ev_intent *x = h_intent(h, -1);
    assert_int_equal(x->side, RS_SIDE_BUY);
    assert_int_equal(x->reduce_only, 1);
    assert_int_equal(x->ord_type, RS_ORD_MARKET);
    assert_int_equal(x->qty, -rs_gate_portfolio(h->g)->pos[0].qty);
    assert_int_equal(h_count_risk(h, RS_CIRC_GUARD, -1), 1);
    uint64_t gid = x->client_id;
    int64_t q = x->qty;
    h_exec(h, gid, 0, RS_OS_FILLED, RS_SIDE_BUY, 1, PX * 2, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    assert_true(rs_gate_portfolio(h->g)->pos[0].realized < 0);
    /* market data goes quiet; timers keep coming: no order on stale data */
    h_clear(h);
    for (int i = 0; i < 100; i++) {
        h->t += 100000000;
        h_timer(h);
    }
    h->t += H_BAR;
    h->bar_end = h->t;
    h_pred(h, 0, -80, -3, 1);
    const rs_ev_decision *d = h_dec(h);
    assert_false(h_v(d, RS_GATE_FRESH_MD)->pass);
    assert_int_equal(h_count(h, RS_EV_INTENT), 0);
    return h;
}

/* 5 ------------------------------------------------------------------------ */
static H *sc_two_closes_same_us(void)
{
    rs_gate_params p;
    base_params(&p);
    H *h = start(&p);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h->t += 1000;   /* both arrive at the same microsecond */
    h_pred(h, 0, -60, -2, 1);
    h_pred(h, 0, -70, -2.5, 1);
    h_ctl(h, RS_CTL_FLATTEN, 0);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 1);
    assert_int_equal(h_count_risk(h, RS_CIRC_DUP_CLOSE, RS_RISK_BLOCK), 2);
    assert_int_equal(((const rs_ev_decision *)h_nth(h, RS_EV_DECISION, 0))->action, RS_ACT_EXIT);
    assert_int_equal(((const rs_ev_decision *)h_nth(h, RS_EV_DECISION, 1))->action, RS_ACT_HOLD);
    return h;
}

/* 6 ------------------------------------------------------------------------ */
static H *sc_kill_held_through_ban(void)
{
    rs_gate_params p;
    base_params(&p);
    p.kill_max_retries = 5;
    p.kill_backoff_ns = SEC / 2;   /* budget: 0.5+1+2+4+8+16 s = 31.5 s */
    H *h = start(&p);
    h_enter(h, 0, 1, PX);
    h_clear(h);
    h_ctl(h, RS_CTL_KILL, 0xffff);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, RS_PUR_KILL), 1);
    const rs_ev_intent *fl = NULL;
    for (int i = 0; h_intent(h, i); i++)
        if (h_intent(h, i)->kind == RS_INT_NEW && h_intent(h, i)->purpose == RS_PUR_KILL)
            fl = h_intent(h, i);
    uint64_t fid = fl->client_id;
    int64_t q = fl->qty;
    h_clear(h);
    /* a 3-minute ban: the exec stage holds the flatten, nothing is answered */
    int flattens = 0, cancel_alls = 0, waiting = 0, escalations = 0;
    int64_t esc_at = 0, t0 = h->t;
    for (int step = 0; step < 1800; step++) {
        h->t += 100000000;
        assert_int_equal(h_timer(h), RS_OK);
        flattens += h_count_intents(h, RS_INT_NEW, RS_PUR_KILL);
        cancel_alls += h_count_intents(h, RS_INT_CANCEL_ALL, RS_PUR_KILL);
        for (int i = 0;; i++) {
            const rs_ev_risk *r = (const rs_ev_risk *)h_nth(h, RS_EV_RISK, i);
            if (!r)
                break;
            if (r->circuit == RS_CIRC_KILL && r->action == RS_RISK_INFO && strstr(r->text, "waiting"))
                waiting++;
            if (r->circuit == RS_CIRC_KILL && r->action == RS_RISK_ESCALATE) {
                escalations++;
                esc_at = h->t - t0;
            }
        }
        h_clear(h);
    }
    assert_int_equal(flattens, 0);      /* the held flatten is not cancelled and re-sent */
    assert_int_equal(waiting, 1);       /* told once */
    assert_int_equal(escalations, 1);   /* escalated once, after the budget's worth of waiting */
    assert_true(esc_at >= 31 * SEC && esc_at <= 31 * SEC + 64 * SEC);
    assert_int_equal(rs_gate_killed(h->g), 1);
    /* the ban ends: the held flatten goes out and fills; the switch completes */
    h_exec(h, fid, 0, RS_OS_ACKED, RS_SIDE_SELL, 0, 0, 0, 0, 0);
    h_exec(h, fid, 0, RS_OS_FILLED, RS_SIDE_SELL, 1, PX, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    h->t += 100000000;
    h_timer(h);
    int complete = kill_completes(h);
    (void)cancel_alls;
    assert_int_equal(complete, 1);
    return h;
}

/* 7 ------------------------------------------------------------------------ */
static H *sc_kill_stop_fills_in_ban(void)
{
    H *h = start_long_protected(5);
    int64_t q = rs_gate_portfolio(h->g)->pos[0].qty;
    uint64_t stop = 0, tp = 0;
    for (int i = 0; h_intent(h, i); i++) {
        const rs_ev_intent *in = h_intent(h, i);
        if (in->kind == RS_INT_NEW && in->purpose == RS_PUR_STOP)
            stop = in->client_id;
        else if (in->kind == RS_INT_NEW && in->purpose != RS_PUR_ENTRY)
            tp = in->client_id;
    }
    assert_true(stop && tp);
    h_exec(h, stop, 0, RS_OS_ACKED, RS_SIDE_SELL, 0, 0, 0, 0, 0);
    h_exec(h, tp, 0, RS_OS_ACKED, RS_SIDE_SELL, 0, 0, 0, 0, 0);
    h_clear(h);
    /* banned: the kill's cancel-all and flatten are held by the exec stage */
    h_ctl(h, RS_CTL_KILL, 0xffff);
    assert_int_equal(h_count_intents(h, RS_INT_CANCEL_ALL, RS_PUR_KILL), 1);
    uint64_t fid = 0;
    for (int i = 0; h_intent(h, i); i++)
        if (h_intent(h, i)->kind == RS_INT_NEW && h_intent(h, i)->purpose == RS_PUR_KILL)
            fid = h_intent(h, i)->client_id;
    assert_true(fid != 0);
    for (int step = 0; step < 50; step++) {
        h->t += 100000000;
        h_timer(h);
    }
    h_clear(h);
    /* the stop fills inside the ban: flat; the held flatten is cancelled */
    h->t += 1000;
    h_exec(h, stop, 0, RS_OS_FILLED, RS_SIDE_SELL, 1, PX - 50, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    int cancels = 0;
    for (int i = 0; h_intent(h, i); i++)
        cancels += h_intent(h, i)->kind == RS_INT_CANCEL && h_intent(h, i)->target_id == fid;
    assert_int_equal(cancels, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 0);
    /* the exec stage cancels it locally (it never left); the ban ends, the
     * take-profit's held cancel goes out and is confirmed */
    h_exec(h, fid, 0, RS_OS_CANCELLED, RS_SIDE_SELL, 0, 0, 0, 0, 0);
    h->t += 60 * SEC;
    h_exec(h, tp, 0, RS_OS_CANCELLED, RS_SIDE_SELL, 0, 0, 0, 0, 0);
    h_clear(h);
    h->t += 100000000;
    h_timer(h);
    int complete = kill_completes(h);
    assert_int_equal(complete, 1);
    assert_int_equal(h_count_intents(h, RS_INT_NEW, 0), 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[0].qty, 0);
    return h;
}

static void run_twice(H *(*sc)(void))
{
    H *a = sc(), *b = sc();
    assert_true(a->log_len > 0);
    assert_int_equal(a->log_len, b->log_len);
    assert_memory_equal(a->log, b->log, a->log_len);
    h_free(a);
    h_free(b);
}

static void test_status_without_fill(void **s) { (void)s; run_twice(sc_status_without_fill); }
static void test_228_rejects(void **s) { (void)s; run_twice(sc_228_rejects); }
static void test_kill_cancel_rejected(void **s) { (void)s; run_twice(sc_kill_cancel_rejected); }
static void test_surge_against_short(void **s) { (void)s; run_twice(sc_surge_against_short); }
static void test_two_closes_same_us(void **s) { (void)s; run_twice(sc_two_closes_same_us); }
static void test_kill_held_through_ban(void **s) { (void)s; run_twice(sc_kill_held_through_ban); }
static void test_kill_stop_fills_in_ban(void **s) { (void)s; run_twice(sc_kill_stop_fills_in_ban); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_without_fill), cmocka_unit_test(test_228_rejects),
        cmocka_unit_test(test_kill_cancel_rejected), cmocka_unit_test(test_surge_against_short),
        cmocka_unit_test(test_two_closes_same_us), cmocka_unit_test(test_kill_held_through_ban),
        cmocka_unit_test(test_kill_stop_fills_in_ban),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
