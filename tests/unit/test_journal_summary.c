/* Journal summary counting rules (tools/journal_summary.c), shared by `run`
 * and `replay --what-if`: decisions by reason, fills/rejects, new orders vs
 * every request, round trips from position records (close and flip), risk
 * trips vs info/resume, PnL and fees from each symbol's last position, JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/journal_summary.h"
#include "ringside/risk.h"
#include "testutil.h"

static void pos(rs_jsummary *s, uint16_t sym, int64_t qty, double realized, double unrealized, double fees)
{
    rs_ev_position p;
    memset(&p, 0, sizeof p);
    p.h.len = sizeof p;
    p.h.type = RS_EV_POSITION;
    p.sym = sym;
    p.qty = qty;
    p.realized = realized;
    p.unrealized = unrealized;
    p.fees = fees;
    rs_jsummary_add(s, &p.h);
}

static void test_counts(void **st)
{
    (void)st;
    rs_jsummary s;
    rs_jsummary_init(&s);
    rs_ev_decision d;
    memset(&d, 0, sizeof d);
    d.h.len = sizeof d;
    d.h.type = RS_EV_DECISION;
    d.reason = 4;   /* zedge */
    rs_jsummary_add(&s, &d.h);
    rs_jsummary_add(&s, &d.h);
    d.reason = 0;
    rs_jsummary_add(&s, &d.h);
    d.reason = 200;  /* out of range: counted in the last bucket, not lost */
    rs_jsummary_add(&s, &d.h);

    rs_ev_order o;
    memset(&o, 0, sizeof o);
    o.h.len = sizeof o;
    o.h.type = RS_EV_ORDER;
    o.kind = RS_INT_NEW;
    rs_jsummary_add(&s, &o.h);
    o.kind = RS_INT_QUERY;
    rs_jsummary_add(&s, &o.h);

    rs_ev_exec_report x;
    memset(&x, 0, sizeof x);
    x.h.len = sizeof x;
    x.h.type = RS_EV_EXEC_REPORT;
    x.is_fill = 1;
    x.state = RS_OS_FILLED;
    rs_jsummary_add(&s, &x.h);
    x.is_fill = 0;
    x.state = RS_OS_REJECTED;
    rs_jsummary_add(&s, &x.h);

    rs_ev_risk k;
    memset(&k, 0, sizeof k);
    k.h.len = sizeof k;
    k.h.type = RS_EV_RISK;
    k.action = RS_RISK_INFO;
    rs_jsummary_add(&s, &k.h);
    k.action = RS_RISK_PAUSE;
    rs_jsummary_add(&s, &k.h);
    k.action = RS_RISK_RESUME;
    rs_jsummary_add(&s, &k.h);
    k.action = RS_RISK_BLOCK;
    rs_jsummary_add(&s, &k.h);

    /* sym 0: long, add, close (1 trip), short, flip to long (2nd trip), close (3rd) */
    pos(&s, 0, 10, 0, 1, 0.1);
    pos(&s, 0, 20, 0, 2, 0.2);
    pos(&s, 0, 0, 5, 0, 0.3);
    pos(&s, 0, -5, 5, -1, 0.4);
    pos(&s, 0, 5, 4, 0, 0.5);
    pos(&s, 0, 0, 6, 0, 0.6);
    /* sym 3: opened, still open at the end (no trip); unrealised counts in pnl */
    pos(&s, 3, 7, 1, 2.5, 0.05);
    rs_jsummary_finish(&s);
    rs_jsummary_finish(&s);   /* idempotent */

    assert_int_equal(s.per_type[RS_EV_DECISION], 4);
    assert_int_equal(s.decisions_by_reason[4], 2);
    assert_int_equal(s.decisions_by_reason[0], 1);
    assert_int_equal(s.decisions_by_reason[RS_JSUM_REASONS - 1], 1);
    assert_int_equal(s.per_type[RS_EV_ORDER], 2);
    assert_int_equal(s.new_orders, 1);
    assert_int_equal(s.fills, 1);
    assert_int_equal(s.rejects, 1);
    assert_int_equal(s.per_type[RS_EV_RISK], 4);
    assert_int_equal(s.risk_trips, 2);
    assert_int_equal(s.trades, 3);
    assert_true(s.pnl > 9.5 - 1e-9 && s.pnl < 9.5 + 1e-9);        /* 6 + (1 + 2.5) */
    assert_true(s.realized > 7 - 1e-9 && s.realized < 7 + 1e-9);
    assert_true(s.fees > 0.65 - 1e-9 && s.fees < 0.65 + 1e-9);
    assert_int_equal(s.records, 4 + 2 + 2 + 4 + 7);
    assert_string_equal(rs_jsummary_reason_name(0), "all passed");
    assert_string_equal(rs_jsummary_reason_name(4), "zedge");
    assert_string_equal(rs_jsummary_reason_name(99), "?");

    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    rs_jsummary_write_json(f, &s);
    fclose(f);
    assert_non_null(strstr(buf, "\"decisions_by_reason\":{\"all passed\":1,\"zedge\":2,"));
    assert_non_null(strstr(buf, "\"trades\":3"));
    assert_non_null(strstr(buf, "\"new_orders\":1"));
    assert_non_null(strstr(buf, "\"pnl\":9.500000"));
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_counts)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
