/* Basics every layer relies on: error messages, histogram percentiles, the
 * emit buffer, record names. */
#include <math.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/event.h"
#include "ringside/hist.h"
#include "ringside/stage.h"
#include "testutil.h"

static void test_err(void **s)
{
    (void)s;
    int rc = rs_err_set(RS_EBADCFG, "bad %s at line %d", "key", 7);
    assert_int_equal(rc, -RS_EBADCFG);
    assert_string_equal(rs_err_msg(), "bad key at line 7");
    assert_string_equal(rs_err_name(rc), "EBADCFG");
}

static void test_hist(void **s)
{
    (void)s;
    static rs_hist h;
    rs_hist_init(&h);
    for (uint64_t v = 1; v <= 100000; v++)
        rs_hist_add(&h, v);
    uint64_t p50 = rs_hist_pct(&h, 50), p99 = rs_hist_pct(&h, 99);
    assert_true(fabs((double)p50 - 50000.0) / 50000.0 < 0.02);
    assert_true(fabs((double)p99 - 99000.0) / 99000.0 < 0.02);
    assert_int_equal(rs_hist_pct(&h, 100), 100000);
    assert_int_equal(h.min, 1);
    /* exact region */
    rs_hist_init(&h);
    rs_hist_add(&h, 5);
    assert_int_equal(rs_hist_pct(&h, 50), 5);
}

static void test_emit_buf(void **s)
{
    (void)s;
    uint8_t buf[256];
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, sizeof buf, RS_STREAM_MD);
    for (int i = 0; i < 3; i++) {
        rs_rec *r = rs_emit_claim(&eb.e, RS_EV_TIMER, sizeof(rs_ev_timer));
        assert_non_null(r);
        ((rs_ev_timer *)r)->tick = (uint64_t)i;
        rs_emit_commit(&eb.e, r);
    }
    size_t off = 0;
    const rs_rec *r;
    uint64_t seq = 0;
    while ((r = rs_emit_buf_next(&eb, &off))) {
        assert_int_equal(r->type, RS_EV_TIMER);
        assert_int_equal(r->stream, RS_STREAM_MD);
        assert_int_equal(r->seq, ++seq);
    }
    assert_int_equal(seq, 3);
    /* full */
    assert_null(rs_emit_claim(&eb.e, RS_EV_RAW_FRAME, 1024));
}

static void test_names(void **s)
{
    (void)s;
    assert_string_equal(rs_ev_type_name(RS_EV_DECISION), "decision");
    assert_int_equal(rs_ev_type_from_name("exec_report"), RS_EV_EXEC_REPORT);
    assert_int_equal(rs_ev_type_from_name("nope"), RS_EV_NONE);
    assert_string_equal(rs_stream_name(RS_STREAM_PRED), "pred");
    assert_true(rs_schema_hash() != 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_err), cmocka_unit_test(test_hist),
        cmocka_unit_test(test_emit_buf), cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
