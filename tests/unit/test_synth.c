/* Synthetic trade generator: determinism, Binance trade schema, and the
 * statistical features it promises (correlation, surge, jumps, regimes). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ringside/synth.h"
#include "testutil.h"

static void test_deterministic(void **st)
{
    (void)st;
    rs_synth_cfg cfg;
    rs_synth_cfg_default(&cfg);
    cfg.seed = 42;
    static rs_synth a, b, c;
    assert_int_equal(rs_synth_init(&a, &cfg), 0);
    assert_int_equal(rs_synth_init(&b, &cfg), 0);
    cfg.seed = 43;
    assert_int_equal(rs_synth_init(&c, &cfg), 0);
    char ja[512], jb[512], jc[512];
    int differ = 0;
    int64_t last_ts = 0;
    for (int i = 0; i < 20000; i++) {
        rs_synth_trade ta, tb, tc;
        rs_synth_next(&a, &ta);
        rs_synth_next(&b, &tb);
        rs_synth_next(&c, &tc);
        size_t na = rs_synth_trade_json(&a, &ta, ja, sizeof ja);
        size_t nb = rs_synth_trade_json(&b, &tb, jb, sizeof jb);
        rs_synth_trade_json(&c, &tc, jc, sizeof jc);
        assert_true(na > 0);
        assert_int_equal(na, nb);
        assert_memory_equal(ja, jb, na);
        differ += strcmp(ja, jc) != 0;
        assert_true(ta.ts_ms >= last_ts);   /* market-time order */
        last_ts = ta.ts_ms;
        assert_true(ta.px > 0 && ta.qty > 0);
    }
    assert_true(differ > 19000);   /* another seed, another market */
}

static void test_trade_schema(void **st)
{
    (void)st;
    rs_synth_cfg cfg;
    rs_synth_cfg_default(&cfg);
    static rs_synth s;
    rs_synth_init(&s, &cfg);
    rs_synth_trade t;
    rs_synth_next(&s, &t);
    char j[512];
    size_t n = rs_synth_trade_json(&s, &t, j, sizeof j);
    assert_true(n > 0 && j[n] == 0);
    /* same keys, same order as the documented vector (ws_trade.json) */
    const char *keys[] = {"{\"e\":\"trade\",\"E\":", ",\"s\":\"", "\",\"t\":", ",\"p\":\"", "\",\"q\":\"", "\",\"T\":", ",\"m\":", ",\"M\":true}"};
    const char *p = j;
    for (size_t i = 0; i < RS_ARRAY_LEN(keys); i++) {
        const char *k = strstr(p, keys[i]);
        if (!k) fail_msg("key %s missing/out of order in %s", keys[i], j);
        p = k + strlen(keys[i]);
    }
    /* prices with 8 decimals, on the symbol's tick */
    const char *px = strstr(j, "\"p\":\"") + 5;
    const char *dot = strchr(px, '.');
    assert_int_equal(strcspn(dot + 1, "\""), 8);
    assert_memory_equal(dot + 1 + s.cfg.sym[t.sym].px_dec, "000000", 8 - s.cfg.sym[t.sym].px_dec);
    assert_int_equal(rs_synth_trade_json(&s, &t, j, 20), 0);
    char b[40];
    assert_int_equal(rs_synth_fmt_dec(4325001, 2, 8, b, sizeof b), 14);
    assert_string_equal(b, "43250.01000000");
    rs_synth_fmt_dec(5, 0, 0, b, sizeof b);
    assert_string_equal(b, "5");
    rs_synth_fmt_dec(5, 0, 2, b, sizeof b);
    assert_string_equal(b, "5.00");
    rs_synth_fmt_dec(7, 5, 8, b, sizeof b);
    assert_string_equal(b, "0.00007000");
    rs_synth_stream_name(&s, 0, b);
    assert_string_equal(b, "btcusdt");
}

static void test_correlated_and_surge(void **st)
{
    (void)st;
    rs_synth_cfg cfg;
    rs_synth_cfg_default(&cfg);
    cfg.seed = 7;
    cfg.surge_sym = 2;   /* SOLUSDT doubles over the first day */
    static rs_synth s;
    assert_int_equal(rs_synth_init(&s, &cfg), 0);
    /* sample log returns of BTC and ETH per market minute */
    double lb0 = s.logp[0], le0 = s.logp[1], sol0 = s.logp[2];
    double sxy = 0, sxx = 0, syy = 0, sx = 0, sy = 0;
    int n = 0;
    double next = 60;
    double pb = lb0, pe = le0;
    rs_synth_trade t;
    double horizon = 86400.0 * rs_test_scale();   /* shorter under sanitizers */
    while (s.t < horizon) {
        rs_synth_next(&s, &t);
        if (s.t >= next) {
            double x = s.logp[0] - pb, y = s.logp[1] - pe;
            pb = s.logp[0];
            pe = s.logp[1];
            sxy += x * y; sxx += x * x; syy += y * y; sx += x; sy += y;
            n++;
            next += 60;
        }
    }
    double cov = sxy / n - (sx / n) * (sy / n);
    double corr = cov / sqrt((sxx / n - (sx / n) * (sx / n)) * (syy / n - (sy / n) * (sy / n)));
    double sol_ret = exp(s.logp[2] - sol0) - 1.0;
    printf("  1 day: %llu trades, BTC/ETH minute-return correlation %.2f, SOL surge %+.0f%%, jumps %llu, regime changes %llu\n",
           (unsigned long long)s.count, corr, sol_ret * 100, (unsigned long long)s.jumps, (unsigned long long)s.regime_changes);
    if (n >= 50) assert_true(corr > 0.3);   /* betas 0.90/0.85, diluted by own volatility and jumps */
    if (horizon >= 86400.0) {
        assert_true(sol_ret > 0.4);   /* +100% drift, plus noise */
        assert_true(s.jumps > 0);
        assert_true(s.count > 1000000);
    }
}

static void test_bad_cfg(void **st)
{
    (void)st;
    rs_synth_cfg cfg;
    rs_synth_cfg_default(&cfg);
    cfg.nsyms = 1;
    strcpy(cfg.sym[0].name, "x");
    cfg.sym[0].px0 = 1;
    cfg.sym[0].px_dec = 9;
    static rs_synth s;
    assert_int_equal(rs_synth_init(&s, &cfg), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "decimals"));
    cfg.sym[0].px_dec = 2;
    cfg.sym[0].beta = 2;
    assert_int_equal(rs_synth_init(&s, &cfg), -RS_EBADCFG);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_trade_schema),
        cmocka_unit_test(test_correlated_and_surge),
        cmocka_unit_test(test_bad_cfg),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
