/* The features stage: one bar clock for the universe, exact bars, incremental
 * indicators and cross-asset statistics.
 *
 * Why integers in the windows: every windowed statistic over prices (SMA,
 * Bollinger) and over log returns (realised vol, momentum and its z-score,
 * beta, pairwise correlation) is kept as exact 128-bit sums of int64 values
 * (price mantissas; log returns quantised to 1e-12). Exact sums have no
 * rounding drift, so a window's statistic depends only on the values inside
 * the window -- not on how long the process has been running, nor on where
 * a replay started -- which is what "identical in live, replay and training"
 * needs. Doubles appear when a statistic is read out, always by the same
 * expression. The recursive TA-Lib indicators (EMA, RSI, ATR, MACD) are
 * doubles in TA-Lib's own operation order; they depend on the whole history
 * by definition.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/feature_ind.h"
#include "ringside/features.h"

#define RING 512u
#define RMASK (RING - 1u)
#define QSCALE 1e12          /* log-return quantum: 1e-12 */
#define QCLAMP 5.0           /* |log return| clamp: e^5 ~ x148 in one bar */
#define NINTRA 9

enum pend_kind { PK_BAR = 1, PK_FEAT, PK_INTRA, PK_BAD };
typedef struct pend { uint16_t kind, sym; } pend;

typedef struct fsym {
    rs_bar bar;                 /* the open bar */
    int64_t prev_close;         /* close of the last closed bar (0: none) */
    uint32_t nbars;             /* closed bars since the first trade (saturates) */
    bool started, stale;
    uint16_t pad0;
    /* recursive indicators */
    rs_ema ema[RS_FEAT_MAX_PERIODS];
    rs_rsi rsi;
    rs_atr atr;
    rs_macd macd;
    /* per-symbol windows, indexed by nbars */
    rs_i128 sma_sum[RS_FEAT_MAX_PERIODS];
    rs_i128 bb_s, bb_ss;
    int64_t px_ring[RING];
    double vol_ring[RING];
    /* return windows, indexed by the global bar counter */
    int64_t q_ring[RING];
    rs_i128 rv_ss[RS_FEAT_MAX_PERIODS];
    rs_i128 mom_s[RS_FEAT_MAX_PERIODS];
    int64_t momq_ring[RS_FEAT_MAX_PERIODS][RING];
    rs_i128 mz_s[RS_FEAT_MAX_PERIODS], mz_ss[RS_FEAT_MAX_PERIODS];
    rs_i128 b_s, b_ss, b_sr;    /* beta window: sum, sum sq, sum x*ref */
    rs_i128 c_s, c_ss;          /* correlation window */
    double c_sd;                /* sqrt(W*c_ss - c_s^2) as double, this bar */
    /* UTC-day aggregates (closed bars of the current day) */
    int64_t day_start;
    rs_i128 day_vol, day_quote, day_q2;
    /* outputs of the last close */
    int64_t next_pub_ns;
    uint8_t ready, emit;
    uint8_t pad1[6];
    rs_ev_bar bar_ev;
    double vec[RS_FEAT_MAX];
} fsym;

struct rs_features {
    rs_features_params p;
    const rs_universe *u;
    uint16_t nsym, ref;
    uint32_t nfeat;
    uint64_t hash;
    char names[RS_FEAT_MAX][RS_FEAT_NAME_MAX];
    uint32_t warm[RS_FEAT_MAX];
    uint32_t warm_max;
    /* vector offsets */
    uint32_t o_ema, o_sma, o_rsi, o_bb, o_macd, o_atr, o_ret, o_rv, o_volz, o_vwap, o_intra, o_beta, o_corr,
        o_mom, o_momz;
    /* clock */
    bool clock_set;
    uint32_t gap_next;          /* flag the next bar GAP for all (time jump) */
    int64_t cur_start, cur_end;
    uint64_t gbar;              /* global closes so far */
    /* pending output of the input being processed */
    pend pq[2 * RS_MAX_SYMBOLS + 4];
    uint32_t pend_n, pend_i;
    bool input_done;
    rs_ev_trade bad_trade;
    uint16_t bad_reason;
    char bad_field[16];
    double ivec[RS_FEAT_MAX];
    int64_t intra_ts;
    rs_features_stats st;
    fsym s[];
};

/* ---- params and names ------------------------------------------------- */

void rs_features_params_default(rs_features_params *p)
{
    memset(p, 0, sizeof *p);
    p->bar_ns = INT64_C(300) * 1000000000;
    p->timer_grace_ns = INT64_C(1000000000);
    p->intrabar_ns = 0;
    p->max_catchup_bars = 2016;
    p->n_ema = 1;
    p->ema[0] = 10;
    p->n_sma = 1;
    p->sma[0] = 10;
    p->rsi = 14;
    p->bb = 20;
    p->bb_k = 2.0;
    p->macd_fast = 12;
    p->macd_slow = 26;
    p->macd_signal = 9;
    p->atr = 14;
    p->ret_lags = 5;
    p->n_rv = 2;
    p->rv[0] = 12;
    p->rv[1] = 48;
    p->vol_z = 20;
    p->beta = 48;
    p->corr = 48;
    p->n_mom = 2;
    p->mom[0] = 12;
    p->mom[1] = 48;
    p->mom_z = 48;
    p->ref_sym = -1;
}

static int chk(bool ok, const char *field, uint32_t v, const char *want)
{
    if (ok)
        return 0;
    return rs_err_set(RS_EBADCFG, "features: %s = %u is invalid (%s)", field, v, want);
}

int rs_features_params_check(const rs_features_params *p)
{
    int rc = 0;
    const uint32_t W = RS_FEAT_WINDOW_MAX;
    if (p->bar_ns < INT64_C(1000000000) || p->bar_ns % INT64_C(1000000000) != 0 ||
        (p->bar_ns <= RS_FEAT_DAY_NS && RS_FEAT_DAY_NS % p->bar_ns != 0) ||
        (p->bar_ns > RS_FEAT_DAY_NS && p->bar_ns % RS_FEAT_DAY_NS != 0))
        return rs_err_set(RS_EBADCFG, "features: bar_ns = %lld is invalid (whole seconds dividing a day, or whole days)",
                          (long long)p->bar_ns);
    if (p->timer_grace_ns < 0 || p->timer_grace_ns >= p->bar_ns)
        return rs_err_set(RS_EBADCFG, "features: timer_grace_ns = %lld is invalid (0 <= grace < bar_ns)",
                          (long long)p->timer_grace_ns);
    if (p->intrabar_ns < 0)
        return rs_err_set(RS_EBADCFG, "features: intrabar_ns must be >= 0 (0 = off)");
    if (!(p->bb_k > 0 && p->bb_k < 100))
        return rs_err_set(RS_EBADCFG, "features: bb_k must be in (0, 100)");
    if ((rc = chk(p->max_catchup_bars >= 1, "max_catchup_bars", p->max_catchup_bars, ">= 1")) ||
        (rc = chk(p->n_ema <= RS_FEAT_MAX_PERIODS, "n_ema", p->n_ema, "<= 4")) ||
        (rc = chk(p->n_sma <= RS_FEAT_MAX_PERIODS, "n_sma", p->n_sma, "<= 4")) ||
        (rc = chk(p->n_rv <= RS_FEAT_MAX_PERIODS, "n_rv", p->n_rv, "<= 4")) ||
        (rc = chk(p->n_mom <= RS_FEAT_MAX_PERIODS, "n_mom", p->n_mom, "<= 4")) ||
        (rc = chk(p->rsi >= 2 && p->rsi <= W, "rsi", p->rsi, "2..511")) ||
        (rc = chk(p->bb >= 2 && p->bb <= W, "bb", p->bb, "2..511")) ||
        (rc = chk(p->atr >= 1 && p->atr <= W, "atr", p->atr, "1..511")) ||
        (rc = chk(p->macd_fast >= 2 && p->macd_fast <= RS_MACD_FAST_MAX, "macd_fast", p->macd_fast, "2..64")) ||
        (rc = chk(p->macd_slow > p->macd_fast && p->macd_slow <= W, "macd_slow", p->macd_slow, "fast < slow <= 511")) ||
        (rc = chk(p->macd_signal >= 1 && p->macd_signal <= W, "macd_signal", p->macd_signal, "1..511")) ||
        (rc = chk(p->ret_lags <= 64, "ret_lags", p->ret_lags, "0..64")) ||
        (rc = chk(p->vol_z >= 2 && p->vol_z <= W, "vol_z", p->vol_z, "2..511")) ||
        (rc = chk(p->beta >= 2 && p->beta <= W, "beta", p->beta, "2..511")) ||
        (rc = chk(p->corr >= 2 && p->corr <= W, "corr", p->corr, "2..511")) ||
        (rc = chk(p->mom_z >= 2 && p->mom_z <= W, "mom_z", p->mom_z, "2..511")))
        return rc;
    for (uint32_t i = 0; i < p->n_ema; i++)
        if ((rc = chk(p->ema[i] >= 1 && p->ema[i] <= W, "ema[]", p->ema[i], "1..511")))
            return rc;
    for (uint32_t i = 0; i < p->n_sma; i++)
        if ((rc = chk(p->sma[i] >= 1 && p->sma[i] <= W, "sma[]", p->sma[i], "1..511")))
            return rc;
    for (uint32_t i = 0; i < p->n_rv; i++)
        if ((rc = chk(p->rv[i] >= 1 && p->rv[i] <= W, "rv[]", p->rv[i], "1..511")))
            return rc;
    for (uint32_t i = 0; i < p->n_mom; i++)
        if ((rc = chk(p->mom[i] >= 1 && p->mom[i] <= W, "mom[]", p->mom[i], "1..511")))
            return rc;
    return 0;
}

/* Builds names (and warm-ups/offsets when f != NULL). One routine for both so
 * the layout can never disagree with the vector the stage fills. */
typedef struct lay {
    char (*names)[RS_FEAT_NAME_MAX];
    uint32_t *warm;
    size_t cap, n;
} lay;

static void lay_add(lay *l, uint32_t warm, const char *fmt, ...) RS_PRINTF(3, 4);
static void lay_add(lay *l, uint32_t warm, const char *fmt, ...)
{
    if (l->n < l->cap) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(l->names[l->n], RS_FEAT_NAME_MAX, fmt, ap);
        va_end(ap);
        if (l->warm)
            l->warm[l->n] = warm;
    }
    l->n++;
}

static void build_layout(const rs_features_params *p, lay *l, rs_features *f)
{
#define OFF(field) \
    do { \
        if (f) f->field = (uint32_t)l->n; \
    } while (0)
    OFF(o_ema);
    for (uint32_t i = 0; i < p->n_ema; i++)
        lay_add(l, p->ema[i], "ema_%u", p->ema[i]);
    OFF(o_sma);
    for (uint32_t i = 0; i < p->n_sma; i++)
        lay_add(l, p->sma[i], "sma_%u", p->sma[i]);
    OFF(o_rsi);
    lay_add(l, p->rsi + 1, "rsi_%u", p->rsi);
    OFF(o_bb);
    lay_add(l, p->bb, "bb_upper_%u", p->bb);
    lay_add(l, p->bb, "bb_mid_%u", p->bb);
    lay_add(l, p->bb, "bb_lower_%u", p->bb);
    lay_add(l, p->bb, "bb_width_%u", p->bb);
    lay_add(l, p->bb, "bb_pctb_%u", p->bb);
    OFF(o_macd);
    uint32_t mw = p->macd_slow + p->macd_signal - 1;
    if (p->macd_fast == 12 && p->macd_slow == 26 && p->macd_signal == 9) {
        lay_add(l, mw, "macd");
        lay_add(l, mw, "macd_signal");
        lay_add(l, mw, "macd_hist");
    } else {
        lay_add(l, mw, "macd_%u_%u_%u", p->macd_fast, p->macd_slow, p->macd_signal);
        lay_add(l, mw, "macd_signal_%u_%u_%u", p->macd_fast, p->macd_slow, p->macd_signal);
        lay_add(l, mw, "macd_hist_%u_%u_%u", p->macd_fast, p->macd_slow, p->macd_signal);
    }
    OFF(o_atr);
    lay_add(l, p->atr + 1, "atr_%u", p->atr);
    OFF(o_ret);
    for (uint32_t k = 1; k <= p->ret_lags; k++)
        lay_add(l, k + 1, "ret_%u", k);
    OFF(o_rv);
    for (uint32_t i = 0; i < p->n_rv; i++)
        lay_add(l, p->rv[i] + 1, "rv_%u", p->rv[i]);
    OFF(o_volz);
    lay_add(l, p->vol_z, "vol_z_%u", p->vol_z);
    OFF(o_vwap);
    lay_add(l, 1, "vwap");
    lay_add(l, 1, "vwap_dist");
    OFF(o_intra);
    lay_add(l, 1, "bar_ret");
    lay_add(l, 1, "day_vwap");
    lay_add(l, 1, "day_vwap_dist");
    lay_add(l, 1, "day_rv");
    lay_add(l, 1, "trade_rate");
    lay_add(l, 1, "vol_rate");
    lay_add(l, 1, "tod_frac");
    lay_add(l, 1, "tod_sin");
    lay_add(l, 1, "tod_cos");
    OFF(o_beta);
    lay_add(l, p->beta + 1, "beta_%u", p->beta);
    lay_add(l, p->beta + 1, "resid_%u", p->beta);
    OFF(o_corr);
    lay_add(l, p->corr + 1, "corr_avg_%u", p->corr);
    OFF(o_mom);
    for (uint32_t i = 0; i < p->n_mom; i++)
        lay_add(l, p->mom[i] + 1, "mom_%u", p->mom[i]);
    OFF(o_momz);
    for (uint32_t i = 0; i < p->n_mom; i++)
        lay_add(l, p->mom[i] + p->mom_z, "mom_z_%u", p->mom[i]);
#undef OFF
}

int rs_features_layout_names(const rs_features_params *p, char (*names)[RS_FEAT_NAME_MAX], size_t cap)
{
    int rc = rs_features_params_check(p);
    if (rc)
        return rc;
    lay l = {.names = names, .cap = names ? cap : 0};
    build_layout(p, &l, NULL);
    return (int)l.n;
}

uint64_t rs_features_hash_names(const char (*names)[RS_FEAT_NAME_MAX], size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++) {
        for (const char *c = names[i]; *c; c++) {
            h ^= (uint8_t)*c;
            h *= 1099511628211ull;
        }
        h ^= '\n';
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- init --------------------------------------------------------------- */

size_t rs_features_memsize(const rs_universe *u)
{
    size_t n = u && u->n ? u->n : 1;
    return RS_ALIGN_UP(sizeof(rs_features) + n * sizeof(fsym), (size_t)RS_CACHELINE);
}

static void sym_reset(rs_features *f, fsym *s)
{
    const rs_features_params *p = &f->p;
    memset(s, 0, sizeof *s);
    for (uint32_t i = 0; i < p->n_ema; i++)
        rs_ema_init(&s->ema[i], p->ema[i]);
    rs_rsi_init(&s->rsi, p->rsi);
    rs_atr_init(&s->atr, p->atr);
    rs_macd_init(&s->macd, p->macd_fast, p->macd_slow, p->macd_signal);
    s->day_start = INT64_MIN;
}

int rs_features_init(void *mem, size_t memsize, const rs_features_params *p, const rs_universe *u,
                     rs_features **out)
{
    if (!mem || !p || !u || !out)
        return rs_err_set(EINVAL, "features: init: NULL argument");
    if (u->n == 0)
        return rs_err_set(RS_EBADCFG, "features: the universe has no instruments");
    if (((uintptr_t)mem & (RS_CACHELINE - 1)) != 0)
        return rs_err_set(EINVAL, "features: init: memory must be 64-byte aligned");
    if (memsize < rs_features_memsize(u))
        return rs_err_set(EINVAL, "features: init: memsize %zu < %zu", memsize, rs_features_memsize(u));
    int rc = rs_features_params_check(p);
    if (rc)
        return rc;
    int ref = p->ref_sym >= 0 ? p->ref_sym : u->ref_sym;
    if (ref >= u->n)
        return rs_err_set(RS_EBADCFG, "features: reference symbol index %d out of range (universe has %u)", ref,
                          u->n);
    rs_features *f = mem;
    memset(f, 0, rs_features_memsize(u));
    f->p = *p;
    f->u = u;
    f->nsym = u->n;
    f->ref = (uint16_t)ref;
    lay l = {.names = f->names, .warm = f->warm, .cap = RS_FEAT_MAX};
    build_layout(p, &l, f);
    if (l.n > RS_FEAT_MAX)
        return rs_err_set(RS_EBADCFG, "features: layout has %zu features, max %d", l.n, RS_FEAT_MAX);
    f->nfeat = (uint32_t)l.n;
    for (uint32_t i = 0; i < f->nfeat; i++)
        if (f->warm[i] > f->warm_max)
            f->warm_max = f->warm[i];
    f->hash = rs_features_hash_names((const char(*)[RS_FEAT_NAME_MAX])f->names, f->nfeat);
    for (uint16_t i = 0; i < f->nsym; i++)
        sym_reset(f, &f->s[i]);
    *out = f;
    return 0;
}

/* ---- layout queries ------------------------------------------------------ */

uint32_t rs_features_count(const rs_features *f) { return f->nfeat; }

const char *rs_features_name(const rs_features *f, uint32_t i) { return i < f->nfeat ? f->names[i] : NULL; }

int rs_features_index(const rs_features *f, const char *name)
{
    for (uint32_t i = 0; i < f->nfeat; i++)
        if (!strcmp(f->names[i], name))
            return (int)i;
    return -1;
}

uint32_t rs_features_warmup(const rs_features *f, uint32_t i) { return i < f->nfeat ? f->warm[i] : 0; }

uint64_t rs_features_layout_hash(const rs_features *f) { return f->hash; }

int rs_features_map(const rs_features *f, const char *const *names, size_t n, uint32_t *idx)
{
    for (size_t k = 0; k < n; k++) {
        int i = names[k] ? rs_features_index(f, names[k]) : -1;
        if (i >= 0) {
            idx[k] = (uint32_t)i;
            continue;
        }
        char list[RS_FEAT_MAX * 8];
        size_t off = 0;
        for (uint32_t j = 0; j < f->nfeat && off + RS_FEAT_NAME_MAX + 2 < sizeof list; j++)
            off += (size_t)snprintf(list + off, sizeof list - off, "%s%s", j ? "," : "", f->names[j]);
        return rs_err_set(RS_EBADCFG, "features: unknown feature name '%s' (model feature %zu); available: %s",
                          names[k] ? names[k] : "(null)", k, list);
    }
    return 0;
}

void rs_features_get_stats(const rs_features *f, rs_features_stats *st) { *st = f->st; }

uint64_t rs_features_open_count(const rs_features *f, uint16_t sym)
{
    return sym < f->nsym ? f->s[sym].bar.count : 0;
}

/* ---- numeric helpers ------------------------------------------------------ */

static inline int64_t quantise(double r)
{
    if (!(r == r))
        return 0;
    if (r > QCLAMP) r = QCLAMP;
    if (r < -QCLAMP) r = -QCLAMP;
    return (int64_t)llrint(r * QSCALE);
}

static inline double px_d(const rs_features *f, uint16_t sym, int64_t m)
{
    return rs_px_to_double(&f->u->ins[sym], m);
}

/* z of x within a window with exact sums: (W*x - S) / sqrt(W*SS - S^2);
 * scale-free, 0 when the window has no variance. */
static inline double zscore(rs_i128 s, rs_i128 ss, int64_t x, uint32_t w)
{
    rs_i128 var = (rs_i128)w * ss - s * s;
    if (var <= 0)
        return 0.0;
    return (double)((rs_i128)w * x - s) / sqrt((double)var);
}

static inline int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

static inline void tod(double *v, int64_t t_ns)
{
    int64_t r = t_ns - floor_div(t_ns, RS_FEAT_DAY_NS) * RS_FEAT_DAY_NS;
    double frac = (double)r / (double)RS_FEAT_DAY_NS;
    v[0] = frac;
    v[1] = sin(2.0 * M_PI * frac);
    v[2] = cos(2.0 * M_PI * frac);
}

/* ---- bar close ------------------------------------------------------------ */

static void day_roll(fsym *s, int64_t bar_start)
{
    int64_t d = floor_div(bar_start, RS_FEAT_DAY_NS) * RS_FEAT_DAY_NS;
    if (d != s->day_start) {
        s->day_start = d;
        s->day_vol = s->day_quote = s->day_q2 = 0;
    }
}

/* Per-symbol part of a close: bar stats, indicators, own windows. q is this
 * bar's quantised log return (0 when undefined). */
static void close_sym_own(rs_features *f, uint16_t i, int64_t q, const double tod3[3])
{
    const rs_features_params *p = &f->p;
    fsym *s = &f->s[i];
    const rs_instrument *ins = &f->u->ins[i];
    rs_bar *b = &s->bar;
    double *v = s->vec;
    uint32_t n = s->nbars;            /* index of this bar among the symbol's bars */
    int64_t c = b->close;
    double cd = px_d(f, i, c);

    rs_bar_finish(b);
    rs_bar_to_event(b, ins, i, &s->bar_ev);

    /* recursive TA-Lib indicators */
    for (uint32_t k = 0; k < p->n_ema; k++)
        v[f->o_ema + k] = rs_ema_update(&s->ema[k], cd) ? s->ema[k].v : 0.0;
    v[f->o_rsi] = rs_rsi_update(&s->rsi, cd) ? s->rsi.v : 0.0;
    bool atr_ok = rs_atr_update(&s->atr, s->bar_ev.high, s->bar_ev.low, cd);
    v[f->o_atr] = atr_ok ? s->atr.v : 0.0;
    if (rs_macd_update(&s->macd, cd)) {
        v[f->o_macd] = s->macd.line;
        v[f->o_macd + 1] = s->macd.signal;
        v[f->o_macd + 2] = s->macd.hist;
    } else {
        v[f->o_macd] = v[f->o_macd + 1] = v[f->o_macd + 2] = 0.0;
    }

    /* exact price windows (SMA, Bollinger) */
    s->px_ring[n & RMASK] = c;
    for (uint32_t k = 0; k < p->n_sma; k++) {
        uint32_t w = p->sma[k];
        s->sma_sum[k] += c;
        if (n >= w)
            s->sma_sum[k] -= s->px_ring[(n - w) & RMASK];
        v[f->o_sma + k] = n + 1 >= w ? rs_i128_scale(s->sma_sum[k], ins->px_exp) / (double)w : 0.0;
    }
    {
        uint32_t w = p->bb;
        s->bb_s += c;
        s->bb_ss += (rs_i128)c * c;
        if (n >= w) {
            int64_t o = s->px_ring[(n - w) & RMASK];
            s->bb_s -= o;
            s->bb_ss -= (rs_i128)o * o;
        }
        double *bb = &v[f->o_bb];
        if (n + 1 >= w) {
            double mid = rs_i128_scale(s->bb_s, ins->px_exp) / (double)w;
            rs_i128 var = (rs_i128)w * s->bb_ss - s->bb_s * s->bb_s;
            double sd = var > 0 ? sqrt((double)var) / (double)w / rs_pow10_tab[ins->px_exp] : 0.0;
            double up = mid + p->bb_k * sd, lo = mid - p->bb_k * sd;
            bb[0] = up;
            bb[1] = mid;
            bb[2] = lo;
            bb[3] = mid != 0.0 ? (up - lo) / mid : 0.0;
            bb[4] = up > lo ? (cd - lo) / (up - lo) : 0.5;
        } else {
            bb[0] = bb[1] = bb[2] = bb[3] = bb[4] = 0.0;
        }
    }

    /* volume z-score: two-pass over the window (W doubles) so it has no
     * rounding drift either; O(W) per bar close, W = 20 by default. */
    {
        uint32_t w = p->vol_z;
        double vol = s->bar_ev.volume;
        s->vol_ring[n & RMASK] = vol;
        if (n + 1 >= w) {
            double m = 0;
            for (uint32_t k = 0; k < w; k++)
                m += s->vol_ring[(n - k) & RMASK];
            m /= (double)w;
            double ss = 0;
            for (uint32_t k = 0; k < w; k++) {
                double d = s->vol_ring[(n - k) & RMASK] - m;
                ss += d * d;
            }
            double sd = sqrt(ss / (double)w);
            v[f->o_volz] = sd > 0 ? (vol - m) / sd : 0.0;
        } else {
            v[f->o_volz] = 0.0;
        }
    }

    /* VWAP */
    v[f->o_vwap] = s->bar_ev.vwap;
    v[f->o_vwap + 1] = s->bar_ev.vwap > 0 ? cd / s->bar_ev.vwap - 1.0 : 0.0;

    /* intraday (bar-level, so klines and trades agree bit for bit) */
    {
        day_roll(s, b->start_ns);
        s->day_vol += b->volume;
        s->day_quote += b->quote;
        s->day_q2 += (rs_i128)q * q;
        double *iv = &v[f->o_intra];
        double od = px_d(f, i, b->open);
        iv[0] = b->count && od > 0 ? log(cd / od) : 0.0;
        double dv = rs_i128_scale(s->day_vol, ins->qty_exp);
        double dq = rs_i128_scale(s->day_quote, (unsigned)ins->px_exp + ins->qty_exp);
        double dvw = dv > 0 ? dq / dv : cd;
        iv[1] = dvw;
        iv[2] = dvw > 0 ? cd / dvw - 1.0 : 0.0;
        iv[3] = sqrt((double)s->day_q2) / QSCALE;
        double secs = (double)(b->end_ns - b->start_ns) / 1e9;
        iv[4] = (double)b->count / secs;
        iv[5] = s->bar_ev.volume / secs;
        iv[6] = tod3[0];
        iv[7] = tod3[1];
        iv[8] = tod3[2];
    }
    if (s->nbars < UINT32_MAX)
        s->nbars++;
}

/* Return windows of one symbol at global slot g (all symbols, every close). */
static void close_sym_returns(rs_features *f, uint16_t i, int64_t q, uint64_t g)
{
    const rs_features_params *p = &f->p;
    fsym *s = &f->s[i];
    s->q_ring[g & RMASK] = q;
#define OLDQ(w) s->q_ring[(g - (w)) & RMASK]   /* 0 until written: the ring starts zeroed */
    for (uint32_t k = 0; k < p->n_rv; k++) {
        int64_t o = g >= p->rv[k] ? OLDQ(p->rv[k]) : 0;
        s->rv_ss[k] += (rs_i128)q * q - (rs_i128)o * o;
    }
    for (uint32_t k = 0; k < p->n_mom; k++) {
        int64_t o = g >= p->mom[k] ? OLDQ(p->mom[k]) : 0;
        s->mom_s[k] += q - o;
        /* the momentum values feed their own z-score window */
        int64_t m = (int64_t)s->mom_s[k];
        int64_t om = g >= p->mom_z ? s->momq_ring[k][(g - p->mom_z) & RMASK] : 0;
        s->momq_ring[k][g & RMASK] = m;
        s->mz_s[k] += m - om;
        s->mz_ss[k] += (rs_i128)m * m - (rs_i128)om * om;
    }
    {
        int64_t o = g >= p->beta ? OLDQ(p->beta) : 0;
        s->b_s += q - o;
        s->b_ss += (rs_i128)q * q - (rs_i128)o * o;
    }
    {
        int64_t o = g >= p->corr ? OLDQ(p->corr) : 0;
        s->c_s += q - o;
        s->c_ss += (rs_i128)q * q - (rs_i128)o * o;
        rs_i128 var = (rs_i128)p->corr * s->c_ss - s->c_s * s->c_s;
        s->c_sd = var > 0 ? sqrt((double)var) : 0.0;
    }
#undef OLDQ
}

static void close_all(rs_features *f)
{
    const rs_features_params *p = &f->p;
    const uint64_t g = f->gbar;
    const uint32_t n = f->nsym;

    /* 1. each symbol's bar, its return and its own indicators */
    int64_t q[RS_MAX_SYMBOLS];
    double tod3[3];
    tod(tod3, f->cur_end);
    for (uint16_t i = 0; i < n; i++) {
        fsym *s = &f->s[i];
        q[i] = 0;
        s->emit = 0;
        if (!s->started)
            continue;
        if (s->prev_close > 0)
            q[i] = quantise(log(px_d(f, i, s->bar.close) / px_d(f, i, s->prev_close)));
        close_sym_own(f, i, q[i], tod3);
        s->emit = 1;
    }
    /* 2. return windows and the beta cross sums against the reference */
    for (uint16_t i = 0; i < n; i++)
        close_sym_returns(f, i, q[i], g);
    {
        const fsym *r = &f->s[f->ref];
        for (uint16_t i = 0; i < n; i++) {
            fsym *s = &f->s[i];
            int64_t o = g >= p->beta ? s->q_ring[(g - p->beta) & RMASK] : 0;
            int64_t orf = g >= p->beta ? r->q_ring[(g - p->beta) & RMASK] : 0;
            s->b_sr += (rs_i128)q[i] * q[f->ref] - (rs_i128)o * orf;
        }
    }
    /* 3. average pairwise correlation. With standardised returns
     * z_i = x_i / sd_i (population sd over the window), the variance of
     * y = sum_i z_i is N + sum_{i != j} corr_ij, so the average over pairs is
     * (Var(y) - N) / (N (N-1)): O(N*W) per close instead of O(N^2) pair
     * sums (50 symbols: 2400 multiply-adds vs 1225 128-bit pair updates).
     * Recomputed from the window each close, in a fixed order: no drift. */
    double corr_avg = 0.0;
    {
        const uint32_t W = p->corr;
        double y[RS_FEAT_WINDOW_MAX + 1];
        memset(y, 0, W * sizeof(double));
        uint32_t nv = 0;
        for (uint32_t i = 0; i < n; i++) {
            const fsym *si = &f->s[i];
            if (si->nbars < W + 1 || !(si->c_sd > 0))
                continue;
            double inv = (double)W / si->c_sd;   /* 1 / population sd, in q units */
            uint64_t t0 = g + 1 - W;
            for (uint32_t t = 0; t < W; t++)
                y[t] += (double)si->q_ring[(t0 + t) & RMASK] * inv;
            nv++;
        }
        if (nv >= 2) {
            double m = 0;
            for (uint32_t t = 0; t < W; t++)
                m += y[t];
            m /= (double)W;
            double var = 0;
            for (uint32_t t = 0; t < W; t++)
                var += (y[t] - m) * (y[t] - m);
            var /= (double)W;
            corr_avg = (var - (double)nv) / ((double)nv * (double)(nv - 1));
        }
    }

    /* 4. cross-asset features, momentum, lags, readiness */
    const fsym *r = &f->s[f->ref];
    rs_i128 rden = (rs_i128)p->beta * r->b_ss - r->b_s * r->b_s;
    bool ref_warm = r->nbars >= p->beta + 1;
    for (uint16_t i = 0; i < n; i++) {
        fsym *s = &f->s[i];
        if (!s->emit)
            continue;
        double *v = s->vec;
        uint32_t nb = s->nbars;
        for (uint32_t k = 1; k <= p->ret_lags; k++)
            v[f->o_ret + k - 1] = nb >= k + 1 ? (double)s->q_ring[(g - (k - 1)) & RMASK] / QSCALE : 0.0;
        for (uint32_t k = 0; k < p->n_rv; k++)
            v[f->o_rv + k] = nb >= p->rv[k] + 1 ? sqrt((double)s->rv_ss[k]) / QSCALE : 0.0;
        bool bw = nb >= p->beta + 1 && ref_warm;
        double beta = 0.0;
        if (bw && rden > 0)
            beta = (double)((rs_i128)p->beta * s->b_sr - s->b_s * r->b_s) / (double)rden;
        v[f->o_beta] = beta;
        v[f->o_beta + 1] = bw ? ((double)q[i] - beta * (double)q[f->ref]) / QSCALE : 0.0;
        v[f->o_corr] = nb >= p->corr + 1 ? corr_avg : 0.0;
        for (uint32_t k = 0; k < p->n_mom; k++) {
            bool mw = nb >= p->mom[k] + 1;
            v[f->o_mom + k] = mw ? (double)s->mom_s[k] / QSCALE : 0.0;
            v[f->o_momz + k] = nb >= p->mom[k] + p->mom_z
                                   ? zscore(s->mz_s[k], s->mz_ss[k], s->momq_ring[k][g & RMASK], p->mom_z)
                                   : 0.0;
        }
        bool gap = (s->bar.flags & RS_BAR_F_GAP) != 0;
        s->ready = nb >= f->warm_max && bw && !gap;
        f->st.bars++;
        if (s->bar.flags & RS_BAR_F_EMPTY) f->st.empty_bars++;
        if (gap) f->st.gap_bars++;
    }

    /* 5. queue the output, open the next bar */
    int64_t start = f->cur_end, end = f->cur_end + p->bar_ns;
    uint32_t gap_all = f->gap_next ? RS_BAR_F_GAP : 0;
    f->gap_next = 0;
    for (uint16_t i = 0; i < n; i++) {
        fsym *s = &f->s[i];
        if (s->emit) {
            f->pq[f->pend_n++] = (pend){PK_BAR, i};
            f->pq[f->pend_n++] = (pend){PK_FEAT, i};
            s->prev_close = s->bar.close;
        }
        uint32_t fl = gap_all | (s->stale ? RS_BAR_F_GAP : 0);
        rs_bar_open(&s->bar, start, end, s->prev_close, fl);
    }
    f->cur_start = start;
    f->cur_end = end;
    f->gbar++;
}

/* ---- output --------------------------------------------------------------- */

static int drain(rs_features *f, rs_emit *out)
{
    while (f->pend_i < f->pend_n) {
        pend pe = f->pq[f->pend_i];
        if (pe.kind == PK_BAR) {
            rs_rec *r = rs_emit_claim(out, RS_EV_BAR, sizeof(rs_ev_bar));
            if (!r)
                return RS_FULL;
            rs_ev_bar *b = (rs_ev_bar *)r;
            const rs_ev_bar *src = &f->s[pe.sym].bar_ev;
            memcpy((uint8_t *)b + sizeof(rs_rec), (const uint8_t *)src + sizeof(rs_rec),
                   sizeof(rs_ev_bar) - sizeof(rs_rec));
            r->ts = src->end_ns;
            rs_emit_commit(out, r);
        } else if (pe.kind == PK_FEAT || pe.kind == PK_INTRA) {
            uint32_t len = (uint32_t)(sizeof(rs_ev_features) + f->nfeat * sizeof(double));
            rs_rec *r = rs_emit_claim(out, RS_EV_FEATURES, len);
            if (!r)
                return RS_FULL;
            rs_ev_features *fe = (rs_ev_features *)r;
            const fsym *s = &f->s[pe.sym];
            fe->sym = pe.sym;
            fe->ready = s->ready;
            fe->n = f->nfeat;
            fe->layout_hash = f->hash;
            if (pe.kind == PK_FEAT) {
                fe->kind = 0;
                fe->bar_end_ns = s->bar_ev.end_ns;
                r->ts = s->bar_ev.end_ns;
                memcpy(fe->v, s->vec, f->nfeat * sizeof(double));
                f->st.vectors++;
            } else {
                fe->kind = 1;
                fe->bar_end_ns = s->bar.end_ns;
                r->ts = f->intra_ts;
                memcpy(fe->v, f->ivec, f->nfeat * sizeof(double));
                f->st.intrabar++;
            }
            rs_emit_commit(out, r);
        } else {
            uint32_t n = (uint32_t)sizeof(rs_ev_trade);
            rs_rec *r = rs_emit_claim(out, RS_EV_BAD_INPUT, (uint32_t)sizeof(rs_ev_bad_input) + n);
            if (!r)
                return RS_FULL;
            rs_ev_bad_input *bi = (rs_ev_bad_input *)r;
            bi->source = RS_STREAM_FEAT;
            bi->reason = f->bad_reason;
            bi->conn = 0;
            bi->offset = 0;
            bi->n = n;
            memcpy(bi->field, f->bad_field, sizeof bi->field);
            memcpy(bi->data, &f->bad_trade, n);
            r->ts = f->bad_trade.h.ts;
            rs_emit_commit(out, r);
        }
        f->pend_i++;
    }
    f->pend_i = f->pend_n = 0;
    return RS_OK;
}

/* ---- clock ------------------------------------------------------------------ */

static void clock_start(rs_features *f, int64_t t)
{
    f->cur_start = floor_div(t, f->p.bar_ns) * f->p.bar_ns;
    f->cur_end = f->cur_start + f->p.bar_ns;
    f->clock_set = true;
    for (uint16_t i = 0; i < f->nsym; i++)
        rs_bar_open(&f->s[i].bar, f->cur_start, f->cur_end, 0, f->s[i].stale ? RS_BAR_F_GAP : 0);
}

/* Advance the clock to time t (closing bars). A long jump skips ahead. */
static int advance(rs_features *f, int64_t t, rs_emit *out)
{
    if (!f->clock_set) {
        clock_start(f, t);
        return RS_OK;
    }
    while (t >= f->cur_end) {
        int64_t behind = (t - f->cur_end) / f->p.bar_ns;   /* bars after the open one */
        if ((uint64_t)behind > f->p.max_catchup_bars) {
            /* close the open bar, then jump: nothing is emitted for the skipped
             * span and the first bar after it is flagged as a gap */
            close_all(f);
            int64_t ns = floor_div(t, f->p.bar_ns) * f->p.bar_ns;
            f->st.skipped_bars += (uint64_t)((ns - f->cur_start) / f->p.bar_ns);
            for (uint16_t i = 0; i < f->nsym; i++) {
                rs_bar_open(&f->s[i].bar, ns, ns + f->p.bar_ns, f->s[i].prev_close, RS_BAR_F_GAP);
            }
            f->cur_start = ns;
            f->cur_end = ns + f->p.bar_ns;
        } else {
            close_all(f);
        }
        if (drain(f, out))
            return RS_FULL;
    }
    return RS_OK;
}

/* ---- inputs ----------------------------------------------------------------- */

static void push_bad(rs_features *f, const rs_ev_trade *t, uint16_t reason, const char *field)
{
    memset(&f->bad_trade, 0, sizeof f->bad_trade);
    memcpy(&f->bad_trade, t, sizeof *t);
    f->bad_reason = reason;
    memset(f->bad_field, 0, sizeof f->bad_field);
    strncpy(f->bad_field, field, sizeof f->bad_field - 1);
    f->pq[f->pend_n++] = (pend){PK_BAD, 0};
}

static void intrabar(rs_features *f, uint16_t i, int64_t t)
{
    fsym *s = &f->s[i];
    const rs_instrument *ins = &f->u->ins[i];
    const rs_bar *b = &s->bar;
    memcpy(f->ivec, s->vec, f->nfeat * sizeof(double));
    double *iv = &f->ivec[f->o_intra];
    double cd = px_d(f, i, b->close), od = px_d(f, i, b->open);
    iv[0] = od > 0 ? log(cd / od) : 0.0;
    rs_i128 dvol = b->volume, dq = b->quote, dq2 = 0;
    int64_t ds = floor_div(b->start_ns, RS_FEAT_DAY_NS) * RS_FEAT_DAY_NS;
    if (ds == s->day_start) {
        dvol += s->day_vol;
        dq += s->day_quote;
        dq2 = s->day_q2;
    }
    int64_t q = s->prev_close > 0 ? quantise(log(cd / px_d(f, i, s->prev_close))) : 0;
    dq2 += (rs_i128)q * q;
    double dv = rs_i128_scale(dvol, ins->qty_exp);
    double dqd = rs_i128_scale(dq, (unsigned)ins->px_exp + ins->qty_exp);
    double dvw = dv > 0 ? dqd / dv : cd;
    iv[1] = dvw;
    iv[2] = dvw > 0 ? cd / dvw - 1.0 : 0.0;
    iv[3] = sqrt((double)dq2) / QSCALE;
    int64_t el = t - b->start_ns;
    if (el < 1000000)
        el = 1000000;   /* 1 ms floor: a rate over ~0 s is meaningless */
    double secs = (double)el / 1e9;
    iv[4] = (double)b->count / secs;
    iv[5] = rs_i128_scale(b->volume, ins->qty_exp) / secs;
    tod(&iv[6], t);
    f->intra_ts = t;
    f->pq[f->pend_n++] = (pend){PK_INTRA, i};
}

static int apply_trade(rs_features *f, const rs_ev_trade *t, int64_t tt)
{
    uint16_t i = t->sym;
    fsym *s = &f->s[i];
    if (tt < f->cur_start) {
        f->st.late++;
        s->bar.flags |= RS_BAR_F_LATE;
        push_bad(f, t, RS_BAD_LATE, "trade_ms");
        return RS_OK;
    }
    f->st.trades++;
    if (!s->started) {
        s->started = true;
        day_roll(s, s->bar.start_ns);
    }
    rs_bar_add(&s->bar, t->px, t->qty, t->side == RS_SIDE_BUY);
    if (f->p.intrabar_ns > 0 && tt >= s->next_pub_ns) {
        s->next_pub_ns = (floor_div(tt, f->p.intrabar_ns) + 1) * f->p.intrabar_ns;
        intrabar(f, i, tt);
    }
    return RS_OK;
}

/* A call after RS_FULL (the same input again) first finishes the output
 * queued by the last call. Returns RS_FULL (still full), RS_OK (the input was
 * already applied: nothing left to do) or -1 (process the input now). */
static int resume(rs_features *f, rs_emit *out)
{
    if (f->pend_i < f->pend_n) {
        if (drain(f, out))
            return RS_FULL;
        if (f->input_done) {
            f->input_done = false;
            return RS_OK;
        }
    }
    f->input_done = false;
    return -1;
}

int rs_features_on_event(rs_features *f, const rs_rec *in, rs_emit *out)
{
    int rc = resume(f, out);
    if (rc >= 0)
        return rc;
    switch (in->type) {
    case RS_EV_TRADE: {
        if (in->len < sizeof(rs_ev_trade)) {
            f->st.bad++;
            return RS_BAD;
        }
        const rs_ev_trade *t = (const rs_ev_trade *)in;
        const char *bad = NULL;
        uint16_t reason = RS_BAD_RANGE;
        int64_t tt = in->ts;
        if (t->trade_ms > 0) {
            if (t->trade_ms > INT64_MAX / 1000000)
                bad = "trade_ms";
            else
                tt = t->trade_ms * 1000000;
        }
        /* A venue time far ahead of the record's own time is a broken
         * stamp: accepting it would jump the bar clock and make every later
         * trade late. */
        if (!bad && in->ts > 0 && tt > in->ts + RS_FEAT_FUTURE_NS)
            bad = "trade_ms";
        if (bad) {
            /* reported below */
        } else if (t->sym >= f->nsym) {
            bad = "sym";
            reason = RS_BAD_SYMBOL;
        } else if (t->px <= 0 || t->px > RS_BAR_MANT_MAX) {
            bad = "px";
        } else if (t->qty <= 0 || t->qty > RS_BAR_MANT_MAX) {
            bad = "qty";
        }
        if (bad) {
            f->st.bad++;
            push_bad(f, t, reason, bad);
        } else {
            if (advance(f, tt, out))
                return RS_FULL;
            apply_trade(f, t, tt);
        }
        break;
    }
    case RS_EV_TIMER:
        if (f->clock_set && advance(f, in->ts - f->p.timer_grace_ns, out))
            return RS_FULL;
        break;
    case RS_EV_FRESHNESS: {
        if (in->len < sizeof(rs_ev_freshness)) {
            f->st.bad++;
            return RS_BAD;
        }
        const rs_ev_freshness *fr = (const rs_ev_freshness *)in;
        if (f->clock_set && advance(f, in->ts - f->p.timer_grace_ns, out))
            return RS_FULL;
        bool stale = fr->state != RS_FRESH_OK;
        for (uint16_t i = 0; i < f->nsym; i++) {
            if (fr->sym != 0xffff && fr->sym != i)
                continue;
            f->s[i].stale = stale;
            if (stale)
                f->s[i].bar.flags |= RS_BAR_F_GAP;
        }
        break;
    }
    default:
        return RS_SKIP;
    }
    f->input_done = true;
    if (drain(f, out))
        return RS_FULL;
    f->input_done = false;
    return RS_OK;
}

int rs_features_on_kline(rs_features *f, uint16_t sym, const rs_bar *b, rs_emit *out)
{
    int rc = resume(f, out);
    if (rc >= 0)
        return rc;
    if (sym >= f->nsym || b->end_ns - b->start_ns != f->p.bar_ns || b->start_ns % f->p.bar_ns != 0)
        return RS_BAD;
    if (b->count > 0 && (b->open <= 0 || b->high < b->low || b->close <= 0 || b->high > RS_BAR_MANT_MAX ||
                         b->low <= 0 || b->volume < 0))
        return RS_BAD;
    if (f->clock_set && b->start_ns < f->cur_start) {
        f->st.late++;
        return RS_BAD;
    }
    if (advance(f, b->start_ns, out))
        return RS_FULL;
    fsym *s = &f->s[sym];
    if (b->count == 0 && !s->started)
        return RS_OK;   /* nothing known about the price yet */
    if (!s->started) {
        s->started = true;
        day_roll(s, s->bar.start_ns);
    }
    uint32_t flags = s->bar.flags;
    int64_t carry = s->bar.close;
    s->bar = *b;
    s->bar.flags = flags | (b->flags & (RS_BAR_F_GAP | RS_BAR_F_LATE));
    if (b->count == 0) {
        s->bar.open = s->bar.high = s->bar.low = s->bar.close = carry;
        s->bar.volume = s->bar.quote = s->bar.taker_buy = 0;
    }
    f->st.trades += b->count;
    return RS_OK;
}
