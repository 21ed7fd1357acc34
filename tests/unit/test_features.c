/* The features stage: layout/names, restartability under RS_FULL and any
 * chunking (bit-identical output), bar-by-bar (klines) vs tick-by-tick
 * equivalence, late trades, empty bars, timers, freshness gaps, time jumps,
 * intrabar cadence, no allocation per trade, and the non-TA-Lib features
 * (returns, realised vol, momentum, beta, correlation, volume z-score)
 * against naive double-precision formulas. */
#include <math.h>

#include "features_testlib.h"
#include "testutil.h"

/* ---- a synthetic multi-symbol market --------------------------------------- */

typedef struct ev { uint8_t kind; rs_ev_trade t; rs_ev_timer tm; rs_ev_freshness fr; } ev;
typedef struct market { ev *e; size_t n, cap; } market;

static void push(market *m, const ev *e)
{
    if (m->n == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 4096;
        m->e = realloc(m->e, m->cap * sizeof *m->e);
    }
    m->e[m->n++] = *e;
}

static int cmp_ms(const void *a, const void *b)
{
    const ev *x = a, *y = b;
    int64_t tx = x->t.trade_ms, ty = y->t.trade_ms;
    if (tx != ty) return tx < ty ? -1 : 1;
    return x->t.trade_id < y->t.trade_id ? -1 : 1;
}

/* nsym symbols, nbars bars from t0; symbol 2 is illiquid (often empty bars),
 * symbols are correlated with symbol 0; timers every 20 s. */
static void gen_market(market *m, int nsym, int nbars, uint64_t seed, bool timers)
{
    uint64_t rs = seed;
    int64_t t0 = INT64_C(1700000000000) / 300000 * 300000;   /* ms, bar aligned */
    double px[64];
    for (int i = 0; i < nsym; i++)
        px[i] = 100.0 * (i + 1);
    uint64_t id = 1;
    for (int b = 0; b < nbars; b++) {
        ev tmp[4096];
        size_t k = 0;
        double common = (ft_unif(&rs) - 0.5) * 0.01;
        for (int i = 0; i < nsym; i++) {
            int nt = (i == 2 && b > 0 && ft_unif(&rs) < 0.4) ? 0 : 1 + (int)(ft_unif(&rs) * 40);
            double drift = common * (0.5 + 0.3 * i) + (ft_unif(&rs) - 0.5) * 0.006;
            for (int j = 0; j < nt && k < 4096; j++) {
                px[i] *= exp(drift / nt + (ft_unif(&rs) - 0.5) * 0.001);
                int64_t ms = t0 + (int64_t)b * 300000 + (int64_t)(ft_unif(&rs) * 299999);
                int64_t pm = (int64_t)llround(px[i] * 100);
                int64_t q = 1 + (int64_t)(ft_unif(&rs) * 500000);
                tmp[k].kind = 0;
                tmp[k].t = ft_trade((uint16_t)i, ms, pm, q, ft_unif(&rs) < 0.5, id++);
                k++;
            }
        }
        qsort(tmp, k, sizeof tmp[0], cmp_ms);
        size_t ti = 0;
        for (int64_t sec = 0; sec < 300; sec += 20) {
            int64_t tms = t0 + (int64_t)b * 300000 + sec * 1000;
            while (ti < k && tmp[ti].t.trade_ms < tms)
                push(m, &tmp[ti++]);
            if (timers) {
                ev e = {.kind = 1};
                e.tm = ft_timer(tms * 1000000, (uint64_t)(b * 15 + sec / 20));
                push(m, &e);
            }
        }
        while (ti < k)
            push(m, &tmp[ti++]);
    }
    ev e = {.kind = 1};
    e.tm = ft_timer((t0 + (int64_t)nbars * 300000 + 5000) * 1000000, 999999);
    push(m, &e);
}

static const rs_rec *ev_rec(const ev *e)
{
    return e->kind == 0 ? &e->t.h : e->kind == 1 ? &e->tm.h : &e->fr.h;
}

/* Run the market through a stage with an emitter of capacity `cap`; on
 * RS_FULL, move the records out and retry the same input. Returns the
 * concatenated output in *out (malloc'd), its size in *n. */
static void run_stage(const market *m, const rs_universe *u, const rs_features_params *p, size_t cap,
                      uint8_t **out, size_t *n, rs_features **fo)
{
    rs_features *f = ft_stage(u, p);
    uint8_t *buf = malloc(cap);
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, cap, RS_STREAM_FEAT);
    size_t acap = 64u << 20, an = 0;
    uint8_t *acc = malloc(acap);
    for (size_t i = 0; i < m->n; i++) {
        int rc;
        int spins = 0;
        while ((rc = rs_features_on_event(f, ev_rec(&m->e[i]), &eb.e)) == RS_FULL) {
            assert_true(eb.used > 0 || spins++ < 1);
            assert_true(an + eb.used <= acap);
            memcpy(acc + an, buf, eb.used);
            an += eb.used;
            rs_emit_buf_reset(&eb);
        }
        assert_true(rc == RS_OK);
        if (eb.used > cap / 2 || i + 1 == m->n) {
            assert_true(an + eb.used <= acap);
            memcpy(acc + an, buf, eb.used);
            an += eb.used;
            rs_emit_buf_reset(&eb);
        }
    }
    free(buf);
    *out = acc;
    *n = an;
    if (fo)
        *fo = f;
    else
        rs_mem_free(f);
}

static void check_finite(const uint8_t *b, size_t n)
{
    for (size_t off = 0; off < n;) {
        const rs_rec *r = (const rs_rec *)(b + off);
        if (r->type == RS_EV_FEATURES) {
            const rs_ev_features *fe = (const rs_ev_features *)r;
            for (uint32_t i = 0; i < fe->n; i++)
                if (!isfinite(fe->v[i]))
                    fail_msg("feature %u of sym %u is not finite", i, fe->sym);
        }
        off += rs_rec_padded(r->len);
    }
}

/* ---- tests ------------------------------------------------------------------ */

static void test_layout(void **s)
{
    (void)s;
    rs_universe u;
    ft_universe(&u, 3, 2, 6);
    rs_features_params p;
    rs_features_params_default(&p);
    rs_features *f = ft_stage(&u, &p);
    static const char *want[] = {
        "ema_10", "sma_10", "rsi_14", "bb_upper_20", "bb_mid_20", "bb_lower_20", "bb_width_20", "bb_pctb_20",
        "macd", "macd_signal", "macd_hist", "atr_14", "ret_1", "ret_2", "ret_3", "ret_4", "ret_5", "rv_12",
        "rv_48", "vol_z_20", "vwap", "vwap_dist", "bar_ret", "day_vwap", "day_vwap_dist", "day_rv",
        "trade_rate", "vol_rate", "tod_frac", "tod_sin", "tod_cos", "beta_48", "resid_48", "corr_avg_48",
        "mom_12", "mom_48", "mom_z_12", "mom_z_48"};
    assert_int_equal(rs_features_count(f), RS_ARRAY_LEN(want));
    for (uint32_t i = 0; i < RS_ARRAY_LEN(want); i++)
        assert_string_equal(rs_features_name(f, i), want[i]);
    assert_null(rs_features_name(f, 999));
    /* the stateless layout agrees with the stage, hash included */
    char names[RS_FEAT_MAX][RS_FEAT_NAME_MAX];
    int n = rs_features_layout_names(&p, names, RS_FEAT_MAX);
    assert_int_equal(n, (int)rs_features_count(f));
    assert_true(rs_features_hash_names((const char(*)[RS_FEAT_NAME_MAX])names, (size_t)n) ==
                rs_features_layout_hash(f));
    /* mapping a model's names */
    const char *model[] = {"rsi_14", "ret_1", "corr_avg_48"};
    uint32_t idx[3];
    assert_int_equal(rs_features_map(f, model, 3, idx), 0);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 12);
    assert_int_equal(idx[2], 33);
    const char *bad[] = {"rsi_14", "rsi_15"};
    assert_int_equal(rs_features_map(f, bad, 2, idx), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "unknown feature name 'rsi_15'"));
    assert_non_null(strstr(rs_err_msg(), "available: ema_10,sma_10,rsi_14"));
    assert_non_null(strstr(rs_err_msg(), "mom_z_48"));
    /* warm-up: the vector needs mom_z_48 = 48 + 48 bars */
    assert_int_equal(rs_features_warmup(f, (uint32_t)rs_features_index(f, "mom_z_48")), 96);
    assert_int_equal(rs_features_warmup(f, (uint32_t)rs_features_index(f, "macd")), 34);
    /* different params -> different names and hash */
    rs_features_params p2 = p;
    p2.n_ema = 2;
    p2.ema[1] = 50;
    p2.ret_lags = 2;
    n = rs_features_layout_names(&p2, names, RS_FEAT_MAX);
    assert_string_equal(names[1], "ema_50");
    assert_true(rs_features_hash_names((const char(*)[RS_FEAT_NAME_MAX])names, (size_t)n) !=
                rs_features_layout_hash(f));
    /* invalid params are refused with the field named */
    p2.macd_slow = 5;
    assert_int_equal(rs_features_layout_names(&p2, names, RS_FEAT_MAX), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "macd_slow"));
    p2 = p;
    p2.bar_ns = 7 * INT64_C(1000000000);
    assert_int_equal(rs_features_params_check(&p2), -RS_EBADCFG);
    rs_mem_free(f);
}

static void test_restart_and_chunking(void **s)
{
    (void)s;
    market m = {0};
    int nbars = (int)(150 * rs_test_scale()) + 20;
    gen_market(&m, 5, nbars, 42, true);
    rs_universe u;
    ft_universe(&u, 5, 2, 6);
    rs_features_params p;
    rs_features_params_default(&p);
    p.intrabar_ns = INT64_C(10) * 1000000000;
    uint8_t *a, *b, *c;
    size_t na, nb, nc;
    run_stage(&m, &u, &p, 32u << 20, &a, &na, NULL);
    /* a destination that holds barely one feature record: RS_FULL all the time */
    run_stage(&m, &u, &p, 512, &b, &nb, NULL);
    /* a medium one: different chunk boundaries */
    run_stage(&m, &u, &p, 3000, &c, &nc, NULL);
    assert_true(na > 0);
    assert_int_equal(na, nb);
    assert_int_equal(na, nc);
    assert_memory_equal(a, b, na);
    assert_memory_equal(a, c, na);
    check_finite(a, na);
    /* and the content is what we expect: bars for all 5 symbols each close */
    size_t bars = 0, feats = 0, intra = 0;
    for (size_t off = 0; off < na;) {
        const rs_rec *r = (const rs_rec *)(a + off);
        if (r->type == RS_EV_BAR) bars++;
        if (r->type == RS_EV_FEATURES) (((const rs_ev_features *)r)->kind ? intra++ : feats++);
        off += rs_rec_padded(r->len);
    }
    assert_int_equal(bars, (size_t)nbars * 5);
    assert_int_equal(feats, bars);
    assert_true(intra > (size_t)nbars * 5);
    free(a); free(b); free(c); free(m.e);
}

/* Tick-by-tick (trades) vs bar-by-bar (klines aggregated independently here)
 * must give bit-identical bar-close vectors. */
static void test_klines_equal_trades(void **s)
{
    (void)s;
    market m = {0};
    int nbars = (int)(130 * rs_test_scale()) + 20;
    gen_market(&m, 4, nbars, 7, false);
    rs_universe u;
    ft_universe(&u, 4, 2, 6);
    rs_features_params p;
    rs_features_params_default(&p);
    uint8_t *a;
    size_t na;
    run_stage(&m, &u, &p, 32u << 20, &a, &na, NULL);

    /* aggregate klines from the same trades, in the test */
    size_t nk = (size_t)nbars * 4;
    rs_bar *k = calloc(nk, sizeof *k);
    int64_t t0 = INT64_C(1700000000000) / 300000 * 300000;
    for (size_t i = 0; i < nk; i++) {
        int64_t st = (t0 + (int64_t)(i / 4) * 300000) * 1000000;
        rs_bar_open(&k[i], st, st + FT_BAR_NS, 0, 0);
    }
    for (size_t i = 0; i < m.n; i++) {
        if (m.e[i].kind != 0) continue;
        const rs_ev_trade *t = &m.e[i].t;
        size_t bi = (size_t)((t->trade_ms - t0) / 300000);
        rs_bar *b = &k[bi * 4 + t->sym];
        if (b->count == 0) b->open = b->high = b->low = t->px;
        if (t->px > b->high) b->high = t->px;
        if (t->px < b->low) b->low = t->px;
        b->close = t->px;
        b->volume += t->qty;
        b->quote += (rs_i128)t->px * t->qty;
        if (t->side == RS_SIDE_BUY) b->taker_buy += t->qty;
        b->count++;
    }
    rs_features *f = ft_stage(&u, &p);
    size_t cap = 32u << 20;
    uint8_t *buf = malloc(cap);
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, cap, RS_STREAM_FEAT);
    for (size_t i = 0; i < nk; i++) {
        if (k[i].count == 0 && (i % 3) == 0)
            continue;   /* an absent kline and an empty kline must mean the same */
        assert_int_equal(rs_features_on_kline(f, (uint16_t)(i % 4), &k[i], &eb.e), RS_OK);
    }
    rs_ev_timer tm = ft_timer((t0 + (int64_t)nbars * 300000 + 5000) * 1000000, 1);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    /* compare FEATURES (kind 0) and BAR records in order, payloads byte for byte */
    size_t oa = 0, ob = 0, cmp = 0;
    const rs_rec *ra, *rb;
    for (;;) {
        do { ra = oa < na ? (const rs_rec *)(a + oa) : NULL; if (ra) oa += rs_rec_padded(ra->len); }
        while (ra && ra->type != RS_EV_FEATURES && ra->type != RS_EV_BAR);
        rb = rs_emit_buf_next(&eb, &ob);
        if (!ra || !rb) break;
        assert_int_equal(ra->type, rb->type);
        assert_int_equal(ra->len, rb->len);
        assert_int_equal(ra->ts, rb->ts);
        assert_memory_equal((const uint8_t *)ra + sizeof(rs_rec), (const uint8_t *)rb + sizeof(rs_rec),
                            ra->len - sizeof(rs_rec));
        cmp++;
    }
    assert_null(ra);
    assert_null(rb);
    assert_int_equal(cmp, (size_t)nbars * 4 * 2);
    free(k); free(buf); free(a); free(m.e);
    rs_mem_free(f);
}

/* Naive double-precision re-computation of the return-window features. */
static void test_against_naive(void **s)
{
    (void)s;
    market m = {0};
    const int NS = 4, NB = 160;
    gen_market(&m, NS, NB, 99, true);
    rs_universe u;
    ft_universe(&u, NS, 2, 6);
    rs_features_params p;
    rs_features_params_default(&p);
    rs_features *f;
    uint8_t *a;
    size_t na;
    run_stage(&m, &u, &p, 32u << 20, &a, &na, &f);
    static double close[4][200], vol[4][200], v[4][200][RS_FEAT_MAX];
    static uint8_t ready[4][200];
    int nb[4] = {0};
    for (size_t off = 0; off < na;) {
        const rs_rec *r = (const rs_rec *)(a + off);
        if (r->type == RS_EV_BAR) {
            const rs_ev_bar *b = (const rs_ev_bar *)r;
            close[b->sym][nb[b->sym]] = b->close;
            vol[b->sym][nb[b->sym]] = b->volume;
        } else if (r->type == RS_EV_FEATURES) {
            const rs_ev_features *fe = (const rs_ev_features *)r;
            memcpy(v[fe->sym][nb[fe->sym]], fe->v, fe->n * sizeof(double));
            ready[fe->sym][nb[fe->sym]] = fe->ready;
            nb[fe->sym]++;
        }
        off += rs_rec_padded(r->len);
    }
    for (int i = 0; i < NS; i++)
        assert_int_equal(nb[i], NB);
#define IX(name) rs_features_index(f, name)
#define CLOSE_TO(x, y, rel, abs_) \
    do { double x_ = (x), y_ = (y); \
         if (!(fabs(x_ - y_) <= (abs_) + (rel) * fmax(fabs(x_), fabs(y_)))) \
             fail_msg("%s:%d sym %d bar %d: %.17g vs naive %.17g", #x, __LINE__, i, t, x_, y_); } while (0)
    int checked = 0;
    for (int i = 0; i < NS; i++) {
        for (int t = 0; t < NB; t++) {
            if (!ready[i][t])
                continue;
            const double *fv = v[i][t];
            double r[200];
            for (int k = 1; k <= t; k++)
                r[k] = log(close[i][k] / close[i][k - 1]);
            CLOSE_TO(fv[IX("ret_1")], r[t], 0, 1e-12);
            CLOSE_TO(fv[IX("ret_3")], r[t - 2], 0, 1e-12);
            double ss = 0;
            for (int k = t - 11; k <= t; k++) ss += r[k] * r[k];
            CLOSE_TO(fv[IX("rv_12")], sqrt(ss), 1e-9, 1e-11);
            CLOSE_TO(fv[IX("mom_48")], log(close[i][t] / close[i][t - 48]), 0, 1e-10);
            /* momentum z over the last 48 momentum values (population sd) */
            double mm[48], mean = 0;
            for (int k = 0; k < 48; k++) { mm[k] = log(close[i][t - k] / close[i][t - k - 12]); mean += mm[k]; }
            mean /= 48;
            double var = 0;
            for (int k = 0; k < 48; k++) var += (mm[k] - mean) * (mm[k] - mean);
            double z = (mm[0] - mean) / sqrt(var / 48);
            CLOSE_TO(fv[IX("mom_z_12")], z, 1e-7, 1e-8);
            /* volume z-score over 20 bars, window includes this bar */
            double vm = 0, vv = 0;
            for (int k = 0; k < 20; k++) vm += vol[i][t - k];
            vm /= 20;
            for (int k = 0; k < 20; k++) vv += (vol[i][t - k] - vm) * (vol[i][t - k] - vm);
            CLOSE_TO(fv[IX("vol_z_20")], (vol[i][t] - vm) / sqrt(vv / 20), 1e-9, 1e-9);
            /* beta vs symbol 0 over 48 returns */
            double rr[200];
            for (int k = 1; k <= t; k++) rr[k] = log(close[0][k] / close[0][k - 1]);
            double mx = 0, my = 0;
            for (int k = t - 47; k <= t; k++) { mx += rr[k]; my += r[k]; }
            mx /= 48; my /= 48;
            double cxy = 0, cxx = 0;
            for (int k = t - 47; k <= t; k++) { cxy += (rr[k] - mx) * (r[k] - my); cxx += (rr[k] - mx) * (rr[k] - mx); }
            double beta = cxy / cxx;
            CLOSE_TO(fv[IX("beta_48")], beta, 1e-7, 1e-9);
            CLOSE_TO(fv[IX("resid_48")], r[t] - beta * rr[t], 1e-6, 1e-10);
            if (i == 0) CLOSE_TO(fv[IX("beta_48")], 1.0, 1e-12, 0);
            /* average pairwise correlation over all symbols */
            double cs = 0;
            int np = 0;
            for (int x = 0; x < NS; x++)
                for (int y = x + 1; y < NS; y++) {
                    double ax = 0, ay = 0, sxy = 0, sxx = 0, syy = 0;
                    for (int k = t - 47; k <= t; k++) {
                        ax += log(close[x][k] / close[x][k - 1]);
                        ay += log(close[y][k] / close[y][k - 1]);
                    }
                    ax /= 48; ay /= 48;
                    for (int k = t - 47; k <= t; k++) {
                        double dx = log(close[x][k] / close[x][k - 1]) - ax, dy = log(close[y][k] / close[y][k - 1]) - ay;
                        sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
                    }
                    cs += sxy / sqrt(sxx * syy);
                    np++;
                }
            CLOSE_TO(fv[IX("corr_avg_48")], cs / np, 1e-7, 1e-9);
            /* VWAP distance and time of day */
            CLOSE_TO(fv[IX("vwap_dist")], close[i][t] / fv[IX("vwap")] - 1.0, 1e-12, 0);
            assert_true(fv[IX("tod_frac")] >= 0 && fv[IX("tod_frac")] < 1);
            checked++;
        }
    }
    assert_true(checked > 50);
    print_message("# %d ready vectors checked against naive formulas\n", checked);
    free(a); free(m.e);
    rs_mem_free(f);
#undef IX
#undef CLOSE_TO
}

static size_t collect(rs_emit_buf *eb, uint16_t type, const rs_rec **out, size_t cap)
{
    size_t off = 0, n = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(eb, &off)))
        if (r->type == type && n < cap)
            out[n++] = r;
    return n;
}

static void test_late_empty_timer_gap(void **s)
{
    (void)s;
    rs_universe u;
    ft_universe(&u, 2, 2, 3);
    rs_features_params p;
    rs_features_params_default(&p);
    rs_features *f = ft_stage(&u, &p);
    static uint8_t buf[1 << 20];
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, sizeof buf, RS_STREAM_FEAT);
    const int64_t T = INT64_C(1700000100000) / 300000 * 300000;   /* ms, bar start */
    rs_ev_trade t;
    t = ft_trade(0, T + 1000, 10000, 1000, 1, 1);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    t = ft_trade(1, T + 2000, 5000, 2000, 0, 2);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    t = ft_trade(0, T + 3000, 10100, 1000, 0, 3);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    assert_int_equal(eb.count, 0);
    /* a timer right at the boundary does not close (grace), one past it does */
    rs_ev_timer tm = ft_timer((T + 300000) * 1000000 + 500000000, 1);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    assert_int_equal(eb.count, 0);
    tm = ft_timer((T + 300000) * 1000000 + 1000000000, 2);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    const rs_rec *bars[16];
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    const rs_ev_bar *b0 = (const rs_ev_bar *)bars[0];
    assert_int_equal(b0->sym, 0);
    assert_int_equal(b0->count, 2);
    assert_true(b0->open == 100.0 && b0->close == 101.0 && b0->high == 101.0 && b0->low == 100.0);
    assert_true(b0->volume == 2.0 && b0->taker_buy_volume == 1.0);
    assert_true(b0->quote_volume == 201.0 && b0->vwap == 100.5);
    assert_int_equal(b0->start_ns, T * 1000000);
    assert_int_equal(b0->end_ns, (T + 300000) * 1000000);
    assert_int_equal(b0->flags, 0);
    rs_emit_buf_reset(&eb);

    /* a late trade (belongs to the closed bar): rejected, counted, flagged */
    t = ft_trade(0, T + 299000, 99999, 5, 1, 4);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    const rs_rec *bad[4];
    assert_int_equal(collect(&eb, RS_EV_BAD_INPUT, bad, 4), 1);
    const rs_ev_bad_input *bi = (const rs_ev_bad_input *)bad[0];
    assert_int_equal(bi->reason, RS_BAD_LATE);
    assert_string_equal(bi->field, "trade_ms");
    assert_int_equal(bi->n, sizeof(rs_ev_trade));
    assert_int_equal(((const rs_ev_trade *)bi->data)->trade_id, 4);
    assert_int_equal(rs_features_open_count(f, 0), 0);
    rs_features_stats st;
    rs_features_get_stats(f, &st);
    assert_int_equal(st.late, 1);
    rs_emit_buf_reset(&eb);

    /* symbol 1 goes stale; next close: sym 0's bar LATE, sym 1 has GAP|EMPTY, carried */
    rs_ev_freshness fr = {0};
    fr.h.len = sizeof fr;
    fr.h.type = RS_EV_FRESHNESS;
    fr.h.ts = (T + 400000) * 1000000;
    fr.sym = 1;
    fr.state = RS_FRESH_STALE;
    assert_int_equal(rs_features_on_event(f, &fr.h, &eb.e), RS_OK);
    tm = ft_timer((T + 600000) * 1000000 + 1000000000, 3);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    b0 = (const rs_ev_bar *)bars[0];
    const rs_ev_bar *b1 = (const rs_ev_bar *)bars[1];
    assert_int_equal(b0->flags, RS_BAR_F_EMPTY | RS_BAR_F_LATE);
    assert_true(b0->close == 101.0 && b0->volume == 0.0 && b0->vwap == 101.0);
    assert_int_equal(b1->flags, RS_BAR_F_EMPTY | RS_BAR_F_GAP);
    assert_true(b1->close == 50.0);
    const rs_rec *fv[16];
    assert_int_equal(collect(&eb, RS_EV_FEATURES, fv, 16), 2);
    assert_int_equal(((const rs_ev_features *)fv[1])->ready, 0);
    rs_emit_buf_reset(&eb);
    /* still stale: the next bar is flagged too; OK clears it for the bar after */
    tm = ft_timer((T + 900000) * 1000000 + 1000000000, 4);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    assert_true(((const rs_ev_bar *)bars[1])->flags & RS_BAR_F_GAP);
    fr.state = RS_FRESH_OK;
    fr.h.ts = (T + 950000) * 1000000;
    rs_emit_buf_reset(&eb);
    assert_int_equal(rs_features_on_event(f, &fr.h, &eb.e), RS_OK);
    tm = ft_timer((T + 1200000) * 1000000 + 1000000000, 5);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    assert_true(((const rs_ev_bar *)bars[1])->flags & RS_BAR_F_GAP);   /* recovered during this bar */
    rs_emit_buf_reset(&eb);
    tm = ft_timer((T + 1500000) * 1000000 + 1000000000, 6);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    assert_int_equal(((const rs_ev_bar *)bars[1])->flags, RS_BAR_F_EMPTY);
    rs_emit_buf_reset(&eb);

    /* a trade four bars later closes the open bar and three empty ones */
    t = ft_trade(0, T + 2700000 + 10, 10200, 1, 1, 5);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 8);
    for (int i = 0; i < 8; i++)
        assert_true(((const rs_ev_bar *)bars[i])->flags & RS_BAR_F_EMPTY);
    assert_int_equal(((const rs_ev_bar *)bars[7])->end_ns, (T + 2700000) * 1000000);
    rs_emit_buf_reset(&eb);

    /* a jump of more than max_catchup_bars: no flood of empty bars; GAP flagged */
    t = ft_trade(0, T + 2700000 + (int64_t)(p.max_catchup_bars + 10) * 300000, 10300, 1, 1, 6);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    rs_emit_buf_reset(&eb);
    tm = ft_timer(t.trade_ms * 1000000 + 301 * INT64_C(1000000000), 7);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 2);
    assert_true(((const rs_ev_bar *)bars[0])->flags & RS_BAR_F_GAP);
    assert_int_equal(((const rs_ev_bar *)bars[0])->count, 1);
    rs_features_get_stats(f, &st);
    assert_int_equal(st.skipped_bars, p.max_catchup_bars + 9);

    /* bad trades are reported, never folded in */
    rs_emit_buf_reset(&eb);
    t = ft_trade(0, T + 999999999, -5, 1, 1, 7);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    t = ft_trade(9, T + 999999999, 5, 1, 1, 8);
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    /* a venue time 2 minutes ahead of the record's own time */
    t = ft_trade(0, T + 999999999, 10300, 1, 1, 9);
    t.h.ts -= INT64_C(120) * 1000000000;
    assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    assert_int_equal(collect(&eb, RS_EV_BAD_INPUT, bad, 4), 3);
    assert_string_equal(((const rs_ev_bad_input *)bad[2])->field, "trade_ms");
    assert_int_equal(collect(&eb, RS_EV_BAR, bars, 16), 0);
    assert_int_equal(((const rs_ev_bad_input *)bad[0])->reason, RS_BAD_RANGE);
    assert_string_equal(((const rs_ev_bad_input *)bad[0])->field, "px");
    assert_int_equal(((const rs_ev_bad_input *)bad[1])->reason, RS_BAD_SYMBOL);
    /* other record types are not consumed */
    rs_ev_bbo bbo = {0};
    bbo.h.len = sizeof bbo;
    bbo.h.type = RS_EV_BBO;
    assert_int_equal(rs_features_on_event(f, &bbo.h, &eb.e), RS_SKIP);
    rs_mem_free(f);
}

static void test_intrabar(void **s)
{
    (void)s;
    rs_universe u;
    ft_universe(&u, 1, 2, 3);
    rs_features_params p;
    rs_features_params_default(&p);
    p.intrabar_ns = INT64_C(60) * 1000000000;
    rs_features *f = ft_stage(&u, &p);
    static uint8_t buf[1 << 20];
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, sizeof buf, RS_STREAM_FEAT);
    const int64_t T = INT64_C(1700000100000) / 300000 * 300000;
    /* one trade every 10 s for one bar: 5 intrabar vectors (one per minute) */
    for (int k = 0; k < 30; k++) {
        rs_ev_trade t = ft_trade(0, T + k * 10000, 10000 + k, 1000, 1, (uint64_t)k + 1);
        assert_int_equal(rs_features_on_event(f, &t.h, &eb.e), RS_OK);
    }
    const rs_rec *fv[64];
    size_t n = collect(&eb, RS_EV_FEATURES, fv, 64);
    assert_int_equal(n, 5);
    const rs_ev_features *last = (const rs_ev_features *)fv[4];
    assert_int_equal(last->kind, 1);
    assert_int_equal(last->ready, 0);
    assert_int_equal(last->bar_end_ns, (T + 300000) * 1000000);
    assert_int_equal(last->h.ts, (T + 240000) * 1000000);
    /* bar_ret so far: log(124/100 ... ) at the trade that published */
    double want = log(100.24 / 100.0);
    assert_true(fabs(last->v[rs_features_index(f, "bar_ret")] - want) < 1e-15);
    /* trade_rate: 25 trades in 240 s */
    assert_true(fabs(last->v[rs_features_index(f, "trade_rate")] - 25.0 / 240.0) < 1e-15);
    rs_mem_free(f);
}

static void test_no_alloc_per_trade(void **s)
{
    (void)s;
    if (rs_mem_thread_allocated() == UINT64_MAX) {
        /* only this test: the others in this binary still count under sanitizers */
        print_message("# rs_mem_thread_allocated unavailable in this build (%s): skipped\n", rs_test_build_type());
        skip();
    }
    market m = {0};
    gen_market(&m, 8, 120, 5, true);
    rs_universe u;
    ft_universe(&u, 8, 2, 6);
    rs_features_params p;
    rs_features_params_default(&p);
    p.intrabar_ns = INT64_C(5) * 1000000000;
    rs_features *f = ft_stage(&u, &p);
    size_t cap = 64u << 20;
    uint8_t *buf = malloc(cap);
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, cap, RS_STREAM_FEAT);
    uint64_t before = rs_mem_thread_allocated();
    for (size_t i = 0; i < m.n; i++)
        assert_int_equal(rs_features_on_event(f, ev_rec(&m.e[i]), &eb.e), RS_OK);
    uint64_t after = rs_mem_thread_allocated();
    assert_int_equal(after - before, 0);
    assert_true(eb.count > 120 * 8 * 2);
    free(buf); free(m.e);
    rs_mem_free(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_restart_and_chunking),
        cmocka_unit_test(test_klines_equal_trades),
        cmocka_unit_test(test_against_naive),
        cmocka_unit_test(test_late_empty_timer_gap),
        cmocka_unit_test(test_intrabar),
        cmocka_unit_test(test_no_alloc_per_trade),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
