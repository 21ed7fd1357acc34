/* Model stage: ensemble by feature name, calibration, weighted bps, z-edge,
 * skip/bad accounting, hot swap at a journaled point, determinism, zero
 * allocation in the handler. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringside/mem.h"
#include "ringside/model_stage.h"
#include "testutil.h"

static char dir[64];

static const char *path_of(const char *name)
{
    static char p[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
    return p[k];
}

static void write_file(const char *name, const char *text)
{
    FILE *f = fopen(path_of(name), "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* one split: feature `feat` < thr -> lo else hi */
static void write_stump(const char *name, const char *names_json, int nfeat, int feat, double thr, double lo,
                        double hi, const char *base)
{
    char buf[2048];
    snprintf(buf, sizeof buf,
             "{\"learner\":{\"feature_names\":%s,\"gradient_booster\":{\"model\":{\"gbtree_model_param\":"
             "{\"num_trees\":\"1\"},\"tree_info\":[0],\"trees\":[{\"tree_param\":{\"num_nodes\":\"3\"},"
             "\"left_children\":[1,-1,-1],\"right_children\":[2,-1,-1],\"split_indices\":[%d,0,0],"
             "\"split_conditions\":[%.9g,%.9g,%.9g],\"default_left\":[1,0,0]}]},\"name\":\"gbtree\"},"
             "\"learner_model_param\":{\"base_score\":\"%s\",\"num_class\":\"0\",\"num_feature\":\"%d\"},"
             "\"objective\":{\"name\":\"reg:squarederror\"}},\"version\":[1,7,4]}",
             names_json, feat, thr, lo, hi, base, nfeat);
    write_file(name, buf);
}

static const char *const producer[] = {"a", "b", "c", "d"};

static void setup_files(void)
{
    if (!dir[0])
        assert_non_null(mkdtemp(strcpy(dir, "/tmp/rs_tms.XXXXXX")));
    write_stump("h1.json", "[\"a\",\"b\"]", 2, 1, 1.0, 10.0, 20.0, "0E0");   /* b < 1 ? 10 : 20 */
    write_stump("h2.json", "[\"c\"]", 1, 0, 0.0, -5.0, 5.0, "5E-1");         /* c < 0 ? -4.5 : 5.5 */
    write_file("cal.json", "{\"format\":\"ringside-calibration\",\"version\":1,\"models\":{"
                           "\"h1\":{\"type\":\"isotonic\",\"x\":[0,10,20],\"y\":[0,5,30]},"
                           "\"h2\":{\"type\":\"linear\",\"a\":2,\"b\":1}}}");
}

static rs_ensemble *load_ens(double w1, double w2, uint64_t layout)
{
    rs_ensemble_cfg c = {.n_models = 2, .feature_names = producer, .n_features = 4, .layout_hash = layout};
    c.m[0] = (rs_ensemble_model_cfg){.path = path_of("h1.json"), .name = "h1", .weight = w1, .horizon_bars = 1,
                                     .calib_path = path_of("cal.json"), .calib_key = "h1"};
    c.m[1] = (rs_ensemble_model_cfg){.path = path_of("h2.json"), .name = "h2", .weight = w2, .horizon_bars = 3,
                                     .calib_path = path_of("cal.json"), .calib_key = "h2"};
    rs_ensemble *e = NULL;
    int rc = rs_ensemble_load(&e, &c);
    if (rc)
        fail_msg("ensemble: %s", rs_err_msg());
    return e;
}

typedef struct {
    _Alignas(8) uint8_t b[sizeof(rs_ev_features) + 4 * sizeof(double)];
} feat4;
#define FH(x) ((rs_ev_features *)(void *)(x).b)

static feat4 mkfeat(int64_t ts, uint16_t sym, double a, double b, double c, double d)
{
    feat4 f;
    memset(&f, 0, sizeof f);
    FH(f)->h.len = sizeof f;
    FH(f)->h.type = RS_EV_FEATURES;
    FH(f)->h.stream = RS_STREAM_FEAT;
    FH(f)->h.ts = ts;
    FH(f)->sym = sym;
    FH(f)->ready = 1;
    FH(f)->n = 4;
    FH(f)->bar_end_ns = ts;
    FH(f)->layout_hash = 77;
    FH(f)->v[0] = a;
    FH(f)->v[1] = b;
    FH(f)->v[2] = c;
    FH(f)->v[3] = d;
    return f;
}

static double expect_weighted(double b, double c, double w1, double w2)
{
    double r1 = b < 1.0 ? 10.0 : 20.0;
    double cal1 = r1 <= 10 ? r1 * 0.5 : 5 + (r1 - 10) / 10 * 25;
    double r2 = (double)(0.5f + (c < 0 ? -5.0f : 5.0f));
    double cal2 = 2 * r2 + 1;
    return (w1 * (double)(float)cal1 + w2 * (double)(float)cal2) / (w1 + w2);
}

/* An emitter like a ring's: only the header of a claimed record is zeroed,
 * the payload holds whatever was there before. */
static rs_rec *(*buf_claim)(rs_emit *, uint16_t, uint32_t);
static rs_rec *dirty_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    rs_rec *r = buf_claim(e, type, len);
    if (r)
        memset((char *)r + sizeof(rs_rec), 0xAB, len - sizeof(rs_rec));
    return r;
}

static size_t run_seq(rs_model_stage *st, rs_emit_buf *eb)
{
    static const double bs[] = {0, 2, 0.5, 3, NAN, -1, 7, 0.99};
    static const double cs[] = {1, -1, -1, 2, 0, NAN, -3, 4};
    for (int i = 0; i < 8; i++) {
        feat4 f = mkfeat(1000 + i, 3, 0, bs[i], cs[i], 0);
        assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb->e), RS_OK);
    }
    return eb->used;
}

static void test_predictions_and_zedge(void **s)
{
    (void)s;
    setup_files();
    rs_ensemble *e = load_ens(1.0, 3.0, 77);
    assert_int_equal(rs_ensemble_n_models(e), 2);
    assert_int_equal(rs_ensemble_n_inputs(e), 3);
    rs_model_stage *st;
    assert_int_equal(rs_model_stage_create(&st, e, 4, 3), 0);
    static uint8_t buf[1 << 16];
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, sizeof buf, RS_STREAM_PRED);
    run_seq(st, &eb);
    static const double bs[] = {0, 2, 0.5, 3, NAN, -1, 7, 0.99};
    static const double cs[] = {1, -1, -1, 2, 0, NAN, -3, 4};
    double hist[8];
    size_t off = 0;
    const rs_rec *r;
    int i = 0;
    while ((r = rs_emit_buf_next(&eb, &off))) {
        assert_int_equal(r->type, RS_EV_PREDICTION);
        const rs_ev_prediction *p = (const rs_ev_prediction *)r;
        assert_int_equal(p->sym, 3);
        assert_int_equal(p->n_horizons, 2);
        assert_int_equal(p->h.ts, 1000 + i);
        assert_memory_equal(p->model_sha256, rs_ensemble_sha256(e), 32);
        /* NaN b: default_left -> 10; NaN c: default left -> -4.5 */
        double b = isnan(bs[i]) ? 0 : bs[i], c = isnan(cs[i]) ? -1 : cs[i];
        double w = expect_weighted(b, c, 1, 3);
        assert_true(p->raw[0] == (b < 1 ? 10.0f : 20.0f));
        assert_true(fabs(p->weighted_bps - w) < 1e-12);
        hist[i] = p->weighted_bps;
        /* reference z over the previous min(i, 4) values */
        int n = i < 4 ? i : 4;
        if (n >= 3) {
            double m = 0, v = 0;
            for (int k = i - n; k < i; k++)
                m += hist[k];
            m /= n;
            for (int k = i - n; k < i; k++)
                v += (hist[k] - m) * (hist[k] - m);
            double sd = sqrt(v / (n - 1));
            assert_true(fabs(p->roll_mean - m) < 1e-12);
            assert_true(fabs(p->roll_std - sd) < 1e-12);
            if (sd > 0) {
                assert_int_equal(p->ready, 1);
                assert_true(fabs(p->z_edge - (hist[i] - m) / sd) < 1e-9);
            }
        } else {
            assert_int_equal(p->ready, 0);
            assert_true(p->z_edge == 0);
        }
        i++;
    }
    assert_int_equal(i, 8);
    /* determinism: a fresh stage over the same inputs emits identical bytes */
    rs_model_stage *st2;
    assert_int_equal(rs_model_stage_create(&st2, load_ens(1.0, 3.0, 77), 4, 3), 0);
    static uint8_t buf2[1 << 16];
    rs_emit_buf eb2;
    rs_emit_buf_init(&eb2, buf2, sizeof buf2, RS_STREAM_PRED);
    buf_claim = eb2.e.claim;
    eb2.e.claim = dirty_claim;
    run_seq(st2, &eb2);
    assert_int_equal(eb.used, eb2.used);
    assert_memory_equal(buf, buf2, eb.used);
    rs_model_stage_destroy(st2);

    /* skips and rejections, counted */
    rs_emit_buf_reset(&eb);
    feat4 f = mkfeat(5000, 1, 0, 0, 0, 0);
    FH(f)->ready = 0;
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_SKIP);
    FH(f)->ready = 1;
    FH(f)->kind = 1;
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_SKIP);
    FH(f)->kind = 0;
    FH(f)->layout_hash = 78;
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_BAD);
    FH(f)->layout_hash = 77;
    FH(f)->n = 2;
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_BAD);
    FH(f)->n = 4;
    FH(f)->sym = RS_MAX_SYMBOLS;
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_BAD);
    FH(f)->h.len = sizeof(rs_ev_features) + 8;   /* claims 4 values, carries 1 */
    FH(f)->sym = 1;
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_BAD);
    assert_int_equal(eb.used, 0);
    /* emitter full: RS_FULL and no state change */
    uint8_t tiny[16];
    rs_emit_buf te;
    rs_emit_buf_init(&te, tiny, sizeof tiny, RS_STREAM_PRED);
    f = mkfeat(6000, 1, 0, 0, 0, 0);
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &te.e), RS_FULL);
    rs_model_stage_stats ss;
    rs_model_stage_get_stats(st, &ss);
    assert_int_equal(ss.predictions, 8);
    assert_int_equal(ss.skipped, 2);
    assert_int_equal(ss.bad, 4);

    /* zero allocation in the handler */
    rs_emit_buf_reset(&eb);
    uint64_t before = rs_mem_thread_allocated();
    for (int k = 0; k < 100; k++) {
        f = mkfeat(7000 + k, (uint16_t)(k % 5), k * 0.1, k * 0.03, 1 - k * 0.02, 0);
        assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_OK);
        if (eb.used > sizeof buf / 2)
            rs_emit_buf_reset(&eb);
    }
    uint64_t after = rs_mem_thread_allocated();
    if (before != UINT64_MAX)
        assert_int_equal(after - before, 0);
    rs_model_stage_destroy(st);
}

static void test_hot_swap(void **s)
{
    (void)s;
    setup_files();
    rs_ensemble *e1 = load_ens(1.0, 1.0, 0);
    rs_ensemble *e2 = load_ens(1.0, 2.0, 0);
    uint8_t sha1[32], sha2[32];
    memcpy(sha1, rs_ensemble_sha256(e1), 32);
    memcpy(sha2, rs_ensemble_sha256(e2), 32);
    /* weights are config, not file bytes: hashes agree. A different model
     * file changes the hash. */
    assert_memory_equal(sha1, sha2, 32);
    write_stump("h1b.json", "[\"a\",\"b\"]", 2, 1, 1.0, 11.0, 20.0, "0E0");
    rs_ensemble_cfg c = {.n_models = 1, .feature_names = producer, .n_features = 4};
    c.m[0] = (rs_ensemble_model_cfg){.path = path_of("h1b.json"), .weight = 1};
    rs_ensemble_destroy(e2);
    assert_int_equal(rs_ensemble_load(&e2, &c), 0);
    memcpy(sha2, rs_ensemble_sha256(e2), 32);
    assert_memory_not_equal(sha1, sha2, 32);

    rs_model_stage *st;
    assert_int_equal(rs_model_stage_create(&st, e1, 8, 2), 0);
    static uint8_t buf[1 << 15];
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, sizeof buf, RS_STREAM_PRED);
    for (int i = 0; i < 3; i++) {
        feat4 f = mkfeat(100 + i, 0, 0, i, 0, 0);
        assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_OK);
    }
    rs_ev_model_swap sw;
    memset(&sw, 0, sizeof sw);
    sw.h.len = sizeof sw;
    sw.h.type = RS_EV_MODEL_SWAP;
    sw.h.stream = RS_STREAM_CTL;
    sw.h.ts = 200;
    memcpy(sw.old_sha256, sha1, 32);
    memcpy(sw.new_sha256, sha2, 32);
    strcpy(sw.path, "h1b.json");
    /* nothing offered yet: refused, counted, nothing emitted */
    size_t used = eb.used;
    assert_int_equal(rs_model_stage_on_event(st, &sw.h, &eb.e), RS_BAD);
    assert_int_equal(eb.used, used);
    assert_int_equal(rs_model_stage_offer(st, e2), 0);
    rs_ensemble *e3 = load_ens(1, 1, 0);
    assert_int_equal(rs_model_stage_offer(st, e3), -EBUSY);
    rs_ensemble_destroy(e3);
    assert_int_equal(rs_model_stage_on_event(st, &sw.h, &eb.e), RS_OK);
    assert_null(rs_model_stage_reclaim(st) == e1 ? NULL : (void *)1);
    rs_ensemble_destroy(e1);
    assert_null(rs_model_stage_reclaim(st));
    feat4 f = mkfeat(300, 0, 0, 0, 0, 0);
    assert_int_equal(rs_model_stage_on_event(st, &FH(f)->h, &eb.e), RS_OK);
    size_t off = 0;
    const rs_rec *r;
    int n = 0, swaps = 0;
    while ((r = rs_emit_buf_next(&eb, &off))) {
        n++;
        if (r->type == RS_EV_MODEL_SWAP) {
            const rs_ev_model_swap *o = (const rs_ev_model_swap *)r;
            assert_int_equal(n, 4);   /* exactly between the 3rd and 4th prediction */
            assert_memory_equal(o->old_sha256, sha1, 32);
            assert_memory_equal(o->new_sha256, sha2, 32);
            assert_int_equal(o->h.ts, 200);
            swaps++;
        } else {
            const rs_ev_prediction *p = (const rs_ev_prediction *)r;
            if (n == 5) {
                assert_memory_equal(p->model_sha256, sha2, 32);
                assert_int_equal(p->n_horizons, 1);
                assert_true(p->raw[0] == 11.0f);
                assert_int_equal(p->ready, 0);   /* window restarted */
            } else {
                assert_memory_equal(p->model_sha256, sha1, 32);
            }
        }
    }
    assert_int_equal(n, 5);
    assert_int_equal(swaps, 1);
    rs_model_stage_stats ss;
    rs_model_stage_get_stats(st, &ss);
    assert_int_equal(ss.swaps, 1);
    assert_int_equal(ss.swap_refused, 1);
    rs_model_stage_destroy(st);
}

static void test_calib(void **s)
{
    (void)s;
    rs_calib *c;
    const char *iso = "{\"type\":\"isotonic\",\"x\":[-1,0,2],\"y\":[-10,0,4]}";
    assert_int_equal(rs_calib_load_mem(&c, iso, strlen(iso), "iso.json", NULL), 0);
    assert_true(rs_calib_apply(c, -5) == -10);
    assert_true(rs_calib_apply(c, -0.5) == -5);
    assert_true(rs_calib_apply(c, 1) == 2);
    assert_true(rs_calib_apply(c, 9) == 4);
    assert_true(isnan(rs_calib_apply(c, NAN)));
    rs_calib_destroy(c);
    const char *pl = "{\"type\":\"platt\",\"a\":2,\"b\":0,\"scale\":20,\"offset\":-10}";
    assert_int_equal(rs_calib_load_mem(&c, pl, strlen(pl), "p.json", NULL), 0);
    assert_true(fabs(rs_calib_apply(c, 0)) < 1e-12);
    assert_true(fabs(rs_calib_apply(c, 1) - (-10 + 20 / (1 + exp(-2.0)))) < 1e-12);
    rs_calib_destroy(c);
    assert_true(rs_calib_apply(NULL, 3.5) == 3.5);
    static const struct {
        const char *j, *needle;
    } bad[] = {
        {"{\"type\":\"isotonic\",\"x\":[0,0],\"y\":[1,2]}", "strictly increasing"},
        {"{\"type\":\"isotonic\",\"x\":[0,1],\"y\":[2,1]}", "decreases"},
        {"{\"type\":\"isotonic\",\"x\":[0,1],\"y\":[2]}", "same length"},
        {"{\"type\":\"spline\"}", "unknown type"},
        {"{\"type\":\"platt\",\"a\":1}", "\"b\""},
        {"{\"type\":", "invalid JSON"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(bad); i++) {
        int rc = rs_calib_load_mem(&c, bad[i].j, strlen(bad[i].j), "bad.json", NULL);
        if (rc != -RS_EBADCFG || !strstr(rs_err_msg(), bad[i].needle) || !strstr(rs_err_msg(), "bad.json"))
            fail_msg("case %zu: rc %d '%s'", i, rc, rs_err_msg());
    }
    const char *file = "{\"models\":{\"h1\":{\"type\":\"identity\"}}}";
    assert_int_equal(rs_calib_load_mem(&c, file, strlen(file), "f.json", "h9"), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "h9"));
    assert_int_equal(rs_calib_load_mem(&c, file, strlen(file), "f.json", "h1"), 0);
    assert_int_equal(rs_calib_type(c), RS_CALIB_IDENTITY);
    rs_calib_destroy(c);
}

static void test_unknown_feature(void **s)
{
    (void)s;
    setup_files();
    const char *const names[] = {"a", "x"};
    rs_ensemble_cfg c = {.n_models = 1, .feature_names = names, .n_features = 2};
    c.m[0] = (rs_ensemble_model_cfg){.path = path_of("h1.json"), .weight = 1};
    rs_ensemble *e;
    assert_int_equal(rs_ensemble_load(&e, &c), -RS_EBADMODEL);
    assert_non_null(strstr(rs_err_msg(), "\"b\""));
    assert_non_null(strstr(rs_err_msg(), "available: a, x"));
    c.m[0].weight = 0;
    assert_int_equal(rs_ensemble_load(&e, &c), -RS_EBADCFG);
}

/* The bundled demo ensemble, through its manifest, on the features stage's
 * default layout (docs/features.md). */
static void test_manifest_bundled(void **s)
{
    (void)s;
    static const char *const layout[] = {
        "ema_10", "sma_10", "rsi_14", "bb_upper_20", "bb_mid_20", "bb_lower_20", "bb_width_20", "bb_pctb_20",
        "macd", "macd_signal", "macd_hist", "atr_14", "ret_1", "ret_2", "ret_3", "ret_4", "ret_5", "rv_12", "rv_48",
        "vol_z_20", "vwap", "vwap_dist", "bar_ret", "day_vwap", "day_vwap_dist", "day_rv", "trade_rate",
        "vol_rate", "tod_frac", "tod_sin", "tod_cos", "beta_48", "resid_48", "corr_avg_48", "mom_12", "mom_48",
        "mom_z_12", "mom_z_48"};
    rs_ensemble *e;
    int rc = rs_ensemble_load_manifest(&e, rs_test_src("models/ensemble.json"), layout, 38, 0, RS_ISA_AUTO);
    if (rc)
        fail_msg("%s", rs_err_msg());
    assert_int_equal(rs_ensemble_n_models(e), 3);
    assert_true(rs_ensemble_n_inputs(e) <= 38);
    double v[38];
    for (int i = 0; i < 38; i++)
        v[i] = 0.01 * (i - 19);
    float raw[8], cal[8];
    double w;
    assert_int_equal(rs_ensemble_eval(e, v, 38, raw, cal, &w), RS_OK);
    double acc = 0;
    rs_calib *c;
    for (uint32_t i = 0; i < 3; i++) {
        const rs_model *m = rs_ensemble_model(e, i);
        uint32_t idx[64];
        assert_int_equal(rs_model_map_features(m, layout, 38, idx), 0);
        rs_model_info in;
        rs_model_get_info(m, &in);
        float row[64];
        for (uint32_t j = 0; j < in.n_features; j++)
            row[j] = (float)v[idx[j]];
        assert_true(raw[i] == rs_model_predict(m, row));
        static const char *const keys[] = {"h1", "h3", "h12"};
        assert_int_equal(rs_calib_load(&c, rs_test_src("models/calibration.json"), keys[i]), 0);
        assert_true(cal[i] == (float)rs_calib_apply(c, (double)raw[i]));
        rs_calib_destroy(c);
        acc += 1.0 * (double)cal[i];
    }
    assert_true(fabs(w - acc / 3) < 1e-12);
    rs_ensemble_destroy(e);
    /* a layout without a needed name: refused, listing it */
    assert_int_equal(rs_ensemble_load_manifest(&e, rs_test_src("models/ensemble.json"), layout, 20, 0, 0),
                     -RS_EBADMODEL);
    assert_non_null(strstr(rs_err_msg(), "unknown feature"));
    assert_int_equal(rs_ensemble_load_manifest(&e, "/nonexistent/ensemble.json", layout, 38, 0, 0), -ENOENT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_calib),
        cmocka_unit_test(test_predictions_and_zedge),
        cmocka_unit_test(test_hot_swap),
        cmocka_unit_test(test_unknown_feature),
        cmocka_unit_test(test_manifest_bundled),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    static const char *const files[] = {"h1.json", "h2.json", "h1b.json", "cal.json"};
    for (size_t i = 0; dir[0] && i < RS_ARRAY_LEN(files); i++)
        unlink(path_of(files[i]));
    if (dir[0])
        rmdir(dir);
    return rc;
}
