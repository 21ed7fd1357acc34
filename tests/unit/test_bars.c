/* Bars: exact decimal parsing, exact aggregation, empty bars, conversion. */
#include <math.h>

#include "features_testlib.h"
#include "ringside/bars.h"
#include "testutil.h"

static int64_t P(const char *s, unsigned e)
{
    rs_i128 m;
    if (rs_dec_parse(s, strlen(s), e, &m))
        return INT64_MIN;
    return (int64_t)m;
}

static void test_dec_parse(void **st)
{
    (void)st;
    assert_int_equal(P("123.45", 4), 1234500);
    assert_int_equal(P("0.00010000", 4), 1);        /* zeros past the scale are fine */
    assert_int_equal(P("0.00015", 4), INT64_MIN);   /* non-zero past the scale: refused, never rounded */
    assert_int_equal(P("-1.5", 1), -15);
    assert_int_equal(P("+7", 2), 700);
    assert_int_equal(P("60650.01000000", 8), INT64_C(6065001000000));
    assert_int_equal(P("5.", 2), 500);
    assert_int_equal(P(".5", 2), 50);
    assert_int_equal(P("abc", 2), INT64_MIN);
    assert_int_equal(P("", 2), INT64_MIN);
    assert_int_equal(P(".", 2), INT64_MIN);
    assert_int_equal(P("-", 2), INT64_MIN);
    assert_int_equal(P("1e5", 2), INT64_MIN);
    assert_int_equal(P("1.2.3", 2), INT64_MIN);
    assert_int_equal(P(" 1", 2), INT64_MIN);
    /* 16 decimals (quote volume scale) and a 128-bit value */
    rs_i128 m;
    assert_int_equal(rs_dec_parse("123456789.12345678", 18, 16, &m), 0);
    assert_true(m == (rs_i128)12345678912345678 * 100000000);
    assert_int_equal(rs_dec_parse("1000000000000000000000000000000000000000", 40, 0, &m), -1);
}

static void test_aggregate_exact(void **st)
{
    (void)st;
    rs_instrument ins = {.px_exp = 2, .qty_exp = 8};
    /* the same trades in two orders (first/last fixed): identical aggregates */
    int64_t px[50], q[50];
    uint64_t seed = 3;
    for (int i = 0; i < 50; i++) {
        px[i] = 6000000 + (int64_t)(ft_rng(&seed) % 100000);
        q[i] = 1 + (int64_t)(ft_rng(&seed) % 100000000);
    }
    rs_bar a, b;
    rs_bar_open(&a, 0, FT_BAR_NS, 0, 0);
    rs_bar_open(&b, 0, FT_BAR_NS, 0, 0);
    for (int i = 0; i < 50; i++)
        rs_bar_add(&a, px[i], q[i], i % 3 == 0);
    rs_bar_add(&b, px[0], q[0], true);
    for (int i = 48; i >= 1; i--)
        rs_bar_add(&b, px[i], q[i], i % 3 == 0);
    rs_bar_add(&b, px[49], q[49], false);
    rs_bar_finish(&a);
    rs_bar_finish(&b);
    assert_true(a.volume == b.volume && a.quote == b.quote && a.taker_buy == b.taker_buy);
    assert_true(a.high == b.high && a.low == b.low && a.open == b.open && a.close == b.close);
    assert_int_equal(a.count, 50);
    assert_int_equal(a.flags, 0);
    rs_ev_bar ea, eb2;
    rs_bar_to_event(&a, &ins, 3, &ea);
    rs_bar_to_event(&b, &ins, 3, &eb2);
    assert_memory_equal((uint8_t *)&ea + sizeof(rs_rec), (uint8_t *)&eb2 + sizeof(rs_rec),
                        sizeof ea - sizeof(rs_rec));
    /* quote volume is exact: compare with a long-double-free integer check */
    rs_i128 qq = 0, vv = 0;
    for (int i = 0; i < 50; i++) {
        qq += (rs_i128)px[i] * q[i];
        vv += q[i];
    }
    assert_true(a.quote == qq && a.volume == vv);
    assert_true(ea.vwap >= ea.low && ea.vwap <= ea.high);
    assert_true(ea.quote_volume == rs_i128_scale(qq, 10));
    assert_int_equal(ea.sym, 3);
}

static void test_empty_and_scale(void **st)
{
    (void)st;
    rs_instrument ins = {.px_exp = 2, .qty_exp = 3};
    rs_bar b;
    rs_bar_open(&b, 300, 600, 12345, RS_BAR_F_GAP);
    rs_bar_finish(&b);
    assert_int_equal(b.flags, RS_BAR_F_EMPTY | RS_BAR_F_GAP);
    rs_ev_bar e;
    rs_bar_to_event(&b, &ins, 0, &e);
    assert_true(e.open == 123.45 && e.close == 123.45 && e.vwap == 123.45 && e.volume == 0.0);
    assert_int_equal(e.count, 0);
    /* exponents past 18 divide in two exact steps */
    assert_true(rs_i128_scale((rs_i128)15 * 1000000000000000000, 20) == 0.15);
    assert_true(rs_i128_scale(-2500, 3) == -2.5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dec_parse),
        cmocka_unit_test(test_aggregate_exact),
        cmocka_unit_test(test_empty_and_scale),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
