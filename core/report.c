/* Performance report over journaled records. Definitions: docs/report.md.
 *
 * Equity is rebuilt from fills and marks with rs_portfolio (the gate's own
 * arithmetic) instead of being read from the gate's RS_EV_POSITION records:
 * those come at the gate's cadence (every fill, every pos_period), while the
 * drawdown and the day ends need the equity at every mark. The last
 * portfolio-wide position record is kept as a cross-check. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ringside/common.h"
#include "ringside/mem.h"
#include "ringside/portfolio.h"
#include "ringside/report.h"
#include "ringside/risk.h"

#define NOSYM 0xffffu
#define SQRT365 19.104973174542799   /* sqrt(365) */

/* ---- pure metrics --------------------------------------------------------- */

void rs_report_perf(const double *r, size_t n, rs_perf *out)
{
    out->n_days = (uint32_t)n;
    out->total_return = 0;
    out->mean_return = out->ann_return = out->vol_ann = out->sharpe = out->sortino = NAN;
    if (n == 0)
        return;
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += r[i];
    double mean = s / (double)n;
    out->total_return = s;
    out->mean_return = mean;
    out->ann_return = mean * 365.0;
    if (n < 2)
        return;
    /* two-pass variance: the one-pass formula loses digits when the mean is
     * large against the spread, and the pandas cross-check is tight */
    double ss = 0, dn = 0;
    for (size_t i = 0; i < n; i++) {
        double d = r[i] - mean;
        ss += d * d;
        if (r[i] < 0)
            dn += r[i] * r[i];
    }
    double sd = sqrt(ss / (double)(n - 1));
    out->vol_ann = sd * SQRT365;
    if (sd > 0)
        out->sharpe = mean / sd * SQRT365;
    double dd = sqrt(dn / (double)n);
    if (dd > 0)
        out->sortino = mean / dd * SQRT365;
}

double rs_report_calmar(double ann_return, double max_dd)
{
    if (!(max_dd > 0) || isnan(ann_return))
        return NAN;
    return ann_return / max_dd;
}

void rs_report_dd_init(rs_ddtrack *d, double capital, int64_t ts0)
{
    memset(d, 0, sizeof *d);
    d->peak = capital;
    d->peak_ts = ts0;
    d->last_ts = ts0;
}

void rs_report_dd_add(rs_ddtrack *d, int64_t ts, double equity)
{
    d->last_ts = ts;
    if (equity >= d->peak) {
        /* back at (or above) the peak: the under-water spell ends here */
        if (d->under && ts - d->peak_ts > d->max_dur_ns)
            d->max_dur_ns = ts - d->peak_ts;
        d->under = 0;
        d->peak = equity;
        d->peak_ts = ts;
        return;
    }
    d->under = 1;
    double dd = (d->peak - equity) / d->peak;
    if (dd > d->max_dd)
        d->max_dd = dd;
}

double rs_report_dd_current(const rs_ddtrack *d, double equity)
{
    return equity >= d->peak ? 0.0 : (d->peak - equity) / d->peak;
}

int64_t rs_report_dd_max_duration(const rs_ddtrack *d)
{
    int64_t cur = d->under ? d->last_ts - d->peak_ts : 0;
    return cur > d->max_dur_ns ? cur : d->max_dur_ns;
}

/* ---- growable arrays (tool memory) ---------------------------------------- */

typedef struct vec {
    void *p;
    size_t n, cap, esz;
} vec;

static void *vec_push(vec *v)
{
    if (v->n == v->cap) {
        size_t nc = v->cap ? v->cap * 2 : 256;
        void *q = rs_mem_alloc(nc * v->esz, 16, "report");
        if (!q)
            return NULL;
        if (v->n)
            memcpy(q, v->p, v->n * v->esz);
        rs_mem_free(v->p);
        v->p = q;
        v->cap = nc;
    }
    void *e = (char *)v->p + v->n++ * v->esz;
    memset(e, 0, v->esz);
    return e;
}

static void vec_free(vec *v)
{
    rs_mem_free(v->p);
    v->p = NULL;
    v->n = v->cap = 0;
}

#define VEC(T) ((vec){NULL, 0, 0, sizeof(T)})
#define AT(v, T, i) (((T *)(v).p)[i])

/* ---- open-addressing map u64 pair -> i64 ---------------------------------- */

typedef struct ment {
    uint64_t k1, k2;
    int64_t v;
    uint64_t used;
} ment;
typedef struct map {
    ment *e;
    uint64_t mask;
} map;

static int map_init(map *m, size_t n)
{
    uint64_t cap = 64;
    while (cap < 2 * (uint64_t)n + 16)
        cap <<= 1;
    m->e = rs_mem_alloc(cap * sizeof(ment), 64, "report map");
    if (!m->e)
        return -ENOMEM;
    memset(m->e, 0, cap * sizeof(ment));
    m->mask = cap - 1;
    return 0;
}

static uint64_t mhash(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    return x ^ (x >> 29);
}

static ment *map_slot(map *m, uint64_t k1, uint64_t k2)
{
    for (uint64_t i = mhash(k1, k2) & m->mask;; i = (i + 1) & m->mask) {
        ment *e = &m->e[i];
        if (!e->used || (e->k1 == k1 && e->k2 == k2))
            return e;
    }
}

static void map_put_min(map *m, uint64_t k1, uint64_t k2, int64_t v)
{
    ment *e = map_slot(m, k1, k2);
    if (!e->used)
        *e = (ment){k1, k2, v, 1};
    else if (v < e->v)
        e->v = v;
}

static int map_get(map *m, uint64_t k1, uint64_t k2, int64_t *v)
{
    ment *e = map_slot(m, k1, k2);
    if (!e->used)
        return 0;
    *v = e->v;
    return 1;
}

/* ---- state ------------------------------------------------------------------ */

typedef struct item {
    const rs_rec *rec;
    uint64_t gseq;
} item;

typedef struct dacc {              /* per-day additive figures */
    double fees, slip, notional, hold_ns, inc_pnl;
    uint64_t fills, trades, hits;
} dacc;

typedef struct curve_pt {
    int64_t ts;
    double equity, strat_equity, dd, strat_dd;
    uint8_t kind;                  /* 0 mark, 1 fill, 2 day end */
    uint8_t incident;
} curve_pt;

typedef struct sym_row {
    int64_t day;
    uint16_t sym;
    double realized, unrealized, fees;
    double qty;
} sym_row;

typedef struct lat_sample {
    int64_t ts, lat_ns;
} lat_sample;

enum { L_FEAT, L_MODEL, L_GATE, L_EXEC, L_T2O, L_VENUE, L_MDAGE, L_N };
static const char *const lat_name[L_N] = {"features", "model", "gate", "exec", "tick_to_order", "venue_ack",
                                          "md_age"};

typedef struct symst {
    double bid, ask, last;
    int64_t trade;                 /* index in trades, -1 none */
    double base;                   /* realised - fees before the trade */
} symst;

struct rs_report {
    rs_universe u;
    rs_report_opts o;
    vec items;                     /* item: records the equity needs */
    vec lat_in;                    /* item: records the latency needs */
    /* results */
    vec days;                      /* rs_report_row */
    vec trades;                    /* rs_report_trade */
    vec incidents;                 /* rs_report_incident */
    vec curve;                     /* curve_pt */
    vec symrows;                   /* sym_row */
    vec lat[L_N];                  /* lat_sample */
    uint64_t lat_seen[L_N], lat_stride[L_N], lat_unmatched[L_N], lat_negative[L_N];
    rs_report_row total, strategy;
    rs_report_counts c;
    /* replay state */
    rs_portfolio pf;
    symst s[RS_MAX_SYMBOLS];
    map cid;
    vec rets, srets;               /* double: daily returns, total and strategy */
    rs_ddtrack dd, sdd;
    int started;
    int64_t cur_day;
    double prev_eod, prev_seod, inc_cum;
    dacc a, sa;                    /* current day: all, strategy-only */
    dacc ta, tsa;                  /* totals */
    int64_t last_ts, last_export_ts;
    curve_pt pending;
    int pending_set;
    int finished;
};

int rs_report_create(rs_report **rp, const rs_universe *u, const rs_report_opts *o)
{
    *rp = NULL;
    if (!u || u->n == 0 || u->n > RS_MAX_SYMBOLS)
        return rs_err_set(EINVAL, "report: the universe is empty (no instruments in the config)");
    if (!o || !(o->capital > 0) || !isfinite(o->capital))
        return rs_err_set(EINVAL, "report: capital must be > 0 (got %g)", o ? o->capital : 0.0);
    rs_report *r = rs_mem_alloc(sizeof *r, 64, "report");
    if (!r)
        return rs_err_set(ENOMEM, "report: out of memory");
    memset(r, 0, sizeof *r);
    r->u = *u;
    r->o = *o;
    if (r->o.curve_step_ns <= 0)
        r->o.curve_step_ns = 60000000000ll;
    if (r->o.latency_cap == 0)
        r->o.latency_cap = 200000;
    r->items = VEC(item);
    r->lat_in = VEC(item);
    r->days = VEC(rs_report_row);
    r->trades = VEC(rs_report_trade);
    r->incidents = VEC(rs_report_incident);
    r->curve = VEC(curve_pt);
    r->symrows = VEC(sym_row);
    r->rets = VEC(double);
    r->srets = VEC(double);
    for (int i = 0; i < L_N; i++) {
        r->lat[i] = VEC(lat_sample);
        r->lat_stride[i] = 1;
    }
    rs_portfolio_init(&r->pf, &r->u, o->capital);
    for (int i = 0; i < RS_MAX_SYMBOLS; i++)
        r->s[i].trade = -1;
    *rp = r;
    return 0;
}

void rs_report_destroy(rs_report *r)
{
    if (!r)
        return;
    vec_free(&r->items), vec_free(&r->lat_in), vec_free(&r->days), vec_free(&r->trades);
    vec_free(&r->incidents), vec_free(&r->curve), vec_free(&r->symrows), vec_free(&r->rets);
    vec_free(&r->srets);
    for (int i = 0; i < L_N; i++)
        vec_free(&r->lat[i]);
    rs_mem_free(r->cid.e);
    rs_mem_free(r);
}

static int needs_len(const rs_rec *x, size_t n)
{
    return x->len >= n;
}

int rs_report_add(rs_report *r, const rs_rec *x, uint64_t gseq)
{
    r->c.records++;
    int eq = 0, lat = 0;
    switch (x->type) {
    case RS_EV_MARK: eq = x->stream == RS_STREAM_MARK; break;
    case RS_EV_EXEC_REPORT: eq = lat = 1; break;
    case RS_EV_RISK:
    case RS_EV_CONTROL:
    case RS_EV_POSITION: eq = 1; break;
    case RS_EV_TRADE:
    case RS_EV_BBO:
    case RS_EV_DEPTH:
    case RS_EV_TIMER: lat = x->stream == RS_STREAM_MD; break;
    case RS_EV_FEATURES:
    case RS_EV_PREDICTION:
    case RS_EV_DECISION:
    case RS_EV_INTENT:
    case RS_EV_ORDER: lat = 1; break;
    default: break;
    }
    if (eq) {
        item *it = vec_push(&r->items);
        if (!it)
            return rs_err_set(ENOMEM, "report: out of memory");
        *it = (item){x, gseq};
    }
    if (lat) {
        item *it = vec_push(&r->lat_in);
        if (!it)
            return rs_err_set(ENOMEM, "report: out of memory");
        *it = (item){x, gseq};
    }
    return 0;
}

static int item_cmp(const void *a, const void *b)
{
    const item *x = a, *y = b;
    if (x->rec->ts != y->rec->ts)
        return x->rec->ts < y->rec->ts ? -1 : 1;
    return x->gseq < y->gseq ? -1 : x->gseq > y->gseq;
}

static int64_t day_of(int64_t ts)
{
    int64_t d = ts / RS_REPORT_DAY_NS;
    return (ts % RS_REPORT_DAY_NS < 0) ? d - 1 : d;
}

static double sym_net(const rs_report *r, uint16_t s)
{
    const rs_pos *p = &r->pf.pos[s];
    return p->realized - p->fees + p->unrealized;
}

static int covered(const rs_report *r, uint16_t s, int64_t *which)
{
    const rs_report_incident *in = r->incidents.p;
    for (size_t i = 0; i < r->incidents.n; i++)
        if (in[i].open == 2 && (in[i].scope == NOSYM || in[i].scope == s)) {
            if (which)
                *which = (int64_t)i;
            return 1;
        }
    return 0;
}

static void attribute(rs_report *r, uint16_t s, double delta)
{
    int64_t k;
    if (delta == 0 || !covered(r, s, &k))
        return;
    AT(r->incidents, rs_report_incident, k).pnl += delta;
    r->a.inc_pnl += delta;
    r->inc_cum += delta;
}

static void export_pt(rs_report *r, const curve_pt *p)
{
    curve_pt *q = vec_push(&r->curve);
    if (q) {
        *q = *p;
        r->last_export_ts = p->ts;
    }
}

/* A point of the equity curve after a mark or a fill. */
static void curve_point(rs_report *r, int64_t ts, uint8_t kind)
{
    double eq = r->pf.equity, seq = eq - r->inc_cum;
    rs_report_dd_add(&r->dd, ts, eq);
    rs_report_dd_add(&r->sdd, ts, seq);
    curve_pt p = {ts, eq, seq, rs_report_dd_current(&r->dd, eq), rs_report_dd_current(&r->sdd, seq), kind, 0};
    for (uint16_t i = 0; i < r->u.n; i++)
        if (covered(r, i, NULL)) {
            p.incident = 1;
            break;
        }
    if (kind == 1 || r->curve.n == 0 || ts - r->last_export_ts >= r->o.curve_step_ns) {
        export_pt(r, &p);
        r->pending_set = 0;
    } else {
        r->pending = p;
        r->pending_set = 1;
    }
}

static double nan_div(double a, double b)
{
    return b != 0 ? a / b : NAN;
}

static void fill_row(rs_report *r, rs_report_row *w, const dacc *a, double pnl, double equity, const vec *rets,
                     const rs_ddtrack *dd)
{
    rs_perf pf;
    rs_report_perf(rets->p, rets->n, &pf);
    w->equity = equity;
    w->pnl = pnl;
    w->ret = pnl / r->o.capital;
    w->cum_ret = (equity - r->o.capital) / r->o.capital;
    w->vol_ann = pf.vol_ann;
    w->sharpe = pf.sharpe;
    w->sortino = pf.sortino;
    w->max_dd = dd->max_dd;
    w->max_dd_days = (double)rs_report_dd_max_duration(dd) / (double)RS_REPORT_DAY_NS;
    w->calmar = rs_report_calmar(pf.ann_return, dd->max_dd);
    w->trades = a->trades;
    w->hits = a->hits;
    w->fills = a->fills;
    w->hit_rate = a->trades ? (double)a->hits / (double)a->trades : NAN;
    w->avg_hold_s = a->trades ? a->hold_ns / (double)a->trades / 1e9 : NAN;
    w->turnover = a->notional / r->o.capital;
    w->fees = a->fees;
    w->gross_pnl = pnl + a->fees;
    w->slippage = a->slip;
    w->incident_pnl = a->inc_pnl;
    w->strategy_pnl = pnl - a->inc_pnl;
}

static void add_acc(dacc *t, const dacc *a)
{
    t->fees += a->fees, t->slip += a->slip, t->notional += a->notional, t->hold_ns += a->hold_ns;
    t->inc_pnl += a->inc_pnl, t->fills += a->fills, t->trades += a->trades, t->hits += a->hits;
}

static int close_day(rs_report *r)
{
    if (r->pending_set) {
        r->pending.kind = 2;
        export_pt(r, &r->pending);
        r->pending_set = 0;
    }
    double eq = r->pf.equity, pnl = eq - r->prev_eod;
    double spnl = pnl - r->a.inc_pnl, seod = r->prev_seod + spnl;
    double *ret = vec_push(&r->rets), *sret = vec_push(&r->srets);
    rs_report_row *w = vec_push(&r->days);
    if (!ret || !sret || !w)
        return rs_err_set(ENOMEM, "report: out of memory");
    *ret = pnl / r->o.capital;
    *sret = spnl / r->o.capital;
    w->day = r->cur_day;
    w->last_ts = r->last_ts;
    fill_row(r, w, &r->a, pnl, eq, &r->rets, &r->dd);
    for (uint16_t i = 0; i < r->u.n; i++) {
        const rs_pos *p = &r->pf.pos[i];
        if (!p->n_fills)
            continue;
        sym_row *sr = vec_push(&r->symrows);
        if (!sr)
            return rs_err_set(ENOMEM, "report: out of memory");
        *sr = (sym_row){r->cur_day, i, p->realized, p->unrealized, p->fees, rs_portfolio_units(&r->pf, i)};
    }
    add_acc(&r->ta, &r->a);
    add_acc(&r->tsa, &r->sa);
    memset(&r->a, 0, sizeof r->a);
    memset(&r->sa, 0, sizeof r->sa);
    r->prev_eod = eq;
    r->prev_seod = seod;
    return 0;
}

static int advance_day(rs_report *r, int64_t ts)
{
    int64_t d = day_of(ts);
    if (!r->started) {
        r->started = 1;
        r->cur_day = d;
        r->prev_eod = r->prev_seod = r->o.capital;
        rs_report_dd_init(&r->dd, r->o.capital, ts);
        rs_report_dd_init(&r->sdd, r->o.capital, ts);
        r->last_export_ts = ts;
        return 0;
    }
    while (r->cur_day < d) {
        int rc = close_day(r);
        if (rc)
            return rc;
        r->cur_day++;
    }
    return 0;
}

/* ---- incidents -------------------------------------------------------------- */

static int all_flat(const rs_report *r, uint16_t scope)
{
    if (scope != NOSYM)
        return scope >= r->u.n || r->pf.pos[scope].qty == 0;
    for (uint16_t i = 0; i < r->u.n; i++)
        if (r->pf.pos[i].qty != 0)
            return 0;
    return 1;
}

/* open == 2 while open, 1 once closed (0 never used): a zeroed entry is not
 * mistaken for an open one */
static void inc_close(rs_report_incident *in, int64_t ts, const char *why)
{
    in->open = 1;
    in->end_ts = ts;
    snprintf(in->end_reason, sizeof in->end_reason, "%s", why);
}

static void check_flat(rs_report *r, int64_t ts)
{
    rs_report_incident *in = r->incidents.p;
    for (size_t i = 0; i < r->incidents.n; i++)
        if (in[i].open == 2 && all_flat(r, in[i].scope))
            inc_close(&in[i], ts, "flat");
}

static int inc_open(rs_report *r, int64_t ts, uint16_t scope, int kill, uint16_t circuit, const char *trigger)
{
    if (scope != NOSYM && scope >= r->u.n) {
        r->c.bad++;
        return 0;
    }
    rs_report_incident *in = r->incidents.p;
    for (size_t i = 0; i < r->incidents.n; i++)
        if (in[i].open == 2 && in[i].scope == scope) {
            /* already under an incident of the same scope: the second trip
             * belongs to it (a kill makes it end only when flat) */
            if (kill)
                in[i].kill = 1;
            return 0;
        }
    rs_report_incident *n = vec_push(&r->incidents);
    if (!n)
        return rs_err_set(ENOMEM, "report: out of memory");
    n->scope = scope;
    n->kill = (uint8_t)kill;
    n->open = 2;
    n->start_ts = ts;
    n->end_ts = ts;
    n->circuit = circuit;
    snprintf(n->trigger, sizeof n->trigger, "%s", trigger);
    rs_report_trade *t = r->trades.p;
    for (size_t i = 0; i < r->trades.n; i++)
        if (!t[i].close_ts && (scope == NOSYM || t[i].sym == scope))
            t[i].incident = 1;
    if (all_flat(r, scope))
        inc_close(n, ts, "flat");
    return 0;
}

/* resume: circuit 0 = operator (closes every non-kill incident in scope but
 * drawdown cuts, which end by recovery); else only that circuit's */
static void inc_resume(rs_report *r, int64_t ts, uint16_t scope, uint16_t circuit)
{
    rs_report_incident *in = r->incidents.p;
    for (size_t i = 0; i < r->incidents.n; i++) {
        if (in[i].open != 2 || in[i].kill)
            continue;
        if (scope != NOSYM && in[i].scope != scope)
            continue;
        uint16_t c = in[i].circuit;
        if (circuit ? c != circuit : c == RS_CIRC_DRAWDOWN)
            continue;
        inc_close(&in[i], ts, "resume");
    }
}

static const char *risk_action(uint8_t a)
{
    static const char *n[] = {"info", "pause", "kill", "cut", "resume", "escalate", "block"};
    return a < 7 ? n[a] : "?";
}

static int on_risk(rs_report *r, const rs_ev_risk *k)
{
    r->c.risk++;
    char trig[80];
    char text[65];
    memcpy(text, k->text, 64);
    text[64] = 0;
    switch (k->action) {
    case RS_RISK_PAUSE:
    case RS_RISK_KILL:
    case RS_RISK_CUT:
    case RS_RISK_ESCALATE:
        snprintf(trig, sizeof trig, "risk %s: %s", risk_action(k->action), text);
        return inc_open(r, k->h.ts, k->sym, k->action == RS_RISK_KILL, k->circuit ? k->circuit : 0xfffe, trig);
    case RS_RISK_RESUME:
        inc_resume(r, k->h.ts, k->sym, k->circuit ? k->circuit : 0xfffe);
        return 0;
    default:
        return 0;
    }
}

static int on_control(rs_report *r, const rs_ev_control *c)
{
    r->c.control++;
    switch (c->cmd) {
    case RS_CTL_KILL: return inc_open(r, c->h.ts, NOSYM, 1, 0xfffd, "ctl kill");
    case RS_CTL_PAUSE: return inc_open(r, c->h.ts, c->sym, 0, 0xfffd, "ctl pause");
    case RS_CTL_FLATTEN: return inc_open(r, c->h.ts, c->sym, 1, 0xfffd, "ctl flatten");
    case RS_CTL_RESUME: inc_resume(r, c->h.ts, c->sym, 0); return 0;
    default: return 0;
    }
}

/* ---- fills and trades --------------------------------------------------------- */

static void trade_close(rs_report *r, rs_report_trade *t, int64_t ts, double pnl)
{
    t->close_ts = ts;
    t->pnl = pnl;
    t->ret = nan_div(pnl, t->entry_notional);
    int64_t hold = ts - t->open_ts;
    r->a.trades++;
    r->a.hits += pnl > 0;
    r->a.hold_ns += (double)hold;
    if (!t->incident) {
        r->sa.trades++;
        r->sa.hits += pnl > 0;
        r->sa.hold_ns += (double)hold;
    }
}

static int trade_open(rs_report *r, uint16_t s, int64_t ts, int dir, double base)
{
    rs_report_trade *t = vec_push(&r->trades);
    if (!t)
        return rs_err_set(ENOMEM, "report: out of memory");
    t->sym = s;
    t->dir = (int8_t)dir;
    t->open_ts = ts;
    t->incident = (uint8_t)covered(r, s, NULL);
    r->s[s].trade = (int64_t)r->trades.n - 1;
    r->s[s].base = base;
    return 0;
}

static int on_fill(rs_report *r, const rs_ev_exec_report *x)
{
    if (!x->is_fill)
        return 0;
    uint16_t s = x->sym;
    if (s >= r->u.n || (x->side != RS_SIDE_BUY && x->side != RS_SIDE_SELL) || x->last_px <= 0 ||
        !isfinite(x->fee)) {
        r->c.bad++;
        return 0;
    }
    /* by cumulative quantity per client id, as the gate applies them: a
     * duplicate or replayed report adds nothing */
    ment *e = map_slot(&r->cid, x->client_id, 0);
    int64_t applied = e->used ? e->v : 0;
    int64_t add = x->cum_qty > 0 ? x->cum_qty - applied : x->last_qty;
    if (add <= 0) {
        r->c.dup_fills++;
        return 0;
    }
    const rs_instrument *ins = &r->u.ins[s];
    symst *ss = &r->s[s];
    int64_t before = r->pf.pos[s].qty;
    double net0 = sym_net(r, s), rf0 = r->pf.pos[s].realized - r->pf.pos[s].fees;
    int incident = covered(r, s, NULL);
    if (rs_portfolio_fill(&r->pf, s, x->side, x->last_px, add, x->fee) != RS_OK) {
        r->c.bad++;
        return 0;
    }
    *e = (ment){x->client_id, 0, applied + add, 1};
    r->c.fills++;
    double px = rs_px_to_double(ins, x->last_px), units = rs_qty_to_double(ins, add), notional = px * units;
    double ref = (ss->bid > 0 && ss->ask > 0) ? (ss->bid + ss->ask) / 2 : ss->last;
    double slip = ref > 0 ? (x->side == RS_SIDE_BUY ? px - ref : ref - px) * units : 0.0;
    r->a.fills++, r->a.fees += x->fee, r->a.notional += notional, r->a.slip += slip;
    if (!incident)
        r->sa.fills++, r->sa.fees += x->fee, r->sa.notional += notional, r->sa.slip += slip;
    attribute(r, s, sym_net(r, s) - net0);

    int64_t after = r->pf.pos[s].qty;
    const rs_pos *p = &r->pf.pos[s];
    double rf = p->realized - p->fees;
    int64_t ts = x->h.ts;
    if (before == 0) {
        if (trade_open(r, s, ts, after > 0 ? 1 : -1, rf0))
            return -ENOMEM;
        rs_report_trade *t = &AT(r->trades, rs_report_trade, ss->trade);
        t->entry_notional = notional, t->entry_qty = units, t->fees = x->fee;
    } else {
        rs_report_trade *t = &AT(r->trades, rs_report_trade, ss->trade);
        int flip = after != 0 && (after > 0) != (before > 0);
        if (!flip) {
            if (llabs(after) > llabs(before))
                t->entry_notional += notional, t->entry_qty += units;
            else
                t->exit_notional += notional, t->exit_qty += units;
            t->fees += x->fee;
            if (after == 0) {
                trade_close(r, t, ts, rf - ss->base);
                ss->trade = -1;
            }
        } else {
            /* the fill closes the old trade and opens the new one at its
             * price; its fee is split by quantity */
            double cu = rs_qty_to_double(ins, llabs(before)), frac = cu / units;
            double fee_new = x->fee * (1.0 - frac);
            t->exit_notional += px * cu, t->exit_qty += cu;
            t->fees += x->fee * frac;
            trade_close(r, t, ts, rf + fee_new - ss->base);
            if (trade_open(r, s, ts, after > 0 ? 1 : -1, rf + fee_new))
                return -ENOMEM;
            rs_report_trade *n = &AT(r->trades, rs_report_trade, ss->trade);
            n->entry_notional = px * (units - cu), n->entry_qty = units - cu, n->fees = fee_new;
        }
    }
    if (ss->trade >= 0) {
        rs_report_trade *t = &AT(r->trades, rs_report_trade, ss->trade);
        double q = fabs(rs_portfolio_units(&r->pf, s));
        if (q > t->qty_max)
            t->qty_max = q;
    }
    curve_point(r, ts, 1);
    check_flat(r, ts);
    return 0;
}

static void on_mark(rs_report *r, const rs_ev_mark *m)
{
    if (m->sym >= r->u.n || m->last_px <= 0) {
        r->c.bad++;
        return;
    }
    const rs_instrument *ins = &r->u.ins[m->sym];
    symst *ss = &r->s[m->sym];
    ss->last = rs_px_to_double(ins, m->last_px);
    ss->bid = m->bid_px > 0 ? rs_px_to_double(ins, m->bid_px) : 0;
    ss->ask = m->ask_px > 0 ? rs_px_to_double(ins, m->ask_px) : 0;
    r->c.marks++;
    double net0 = sym_net(r, m->sym);
    rs_portfolio_mark(&r->pf, m->sym, ss->last);
    attribute(r, m->sym, sym_net(r, m->sym) - net0);
    curve_point(r, m->h.ts, 0);
}

/* ---- latency ------------------------------------------------------------------ */

static int lat_add(rs_report *r, int k, int found, const rs_rec *x, int64_t in)
{
    if (!found) {
        r->lat_unmatched[k]++;
        return 0;
    }
    if (x->ts_local < in) {
        r->lat_negative[k]++;
        return 0;
    }
    if (r->lat_seen[k]++ % r->lat_stride[k])
        return 0;
    vec *v = &r->lat[k];
    if (v->n >= r->o.latency_cap) {
        /* keep every 2nd kept sample: stays an evenly spaced subset */
        lat_sample *a = v->p;
        size_t j = 0;
        for (size_t i = 0; i < v->n; i += 2)
            a[j++] = a[i];
        v->n = j;
        r->lat_stride[k] *= 2;
        if ((r->lat_seen[k] - 1) % r->lat_stride[k])
            return 0;
    }
    lat_sample *s = vec_push(v);
    if (!s)
        return rs_err_set(ENOMEM, "report: out of memory");
    *s = (lat_sample){x->ts, x->ts_local - in};
    r->c.latency_samples++;
    return 0;
}

/* Same edges and matching as `ringside journal latency` (docs/journal.md). */
static int latency(rs_report *r)
{
    size_t n = r->lat_in.n;
    if (n == 0)
        return 0;
    map m_md, m_feat, m_pred, m_int, m_ord, m_rep;
    memset(&m_md, 0, sizeof m_md), m_feat = m_pred = m_int = m_ord = m_rep = m_md;
    int rc = -ENOMEM;
    if (map_init(&m_md, n) || map_init(&m_feat, n) || map_init(&m_pred, n) || map_init(&m_int, n) ||
        map_init(&m_ord, n) || map_init(&m_rep, n)) {
        rs_err_set(ENOMEM, "report: out of memory (latency maps)");
        goto out;
    }
    const item *it = r->lat_in.p;
    for (size_t i = 0; i < n; i++) {
        const rs_rec *x = it[i].rec;
        switch (x->type) {
        case RS_EV_FEATURES:
            if (needs_len(x, sizeof(rs_ev_features)))
                map_put_min(&m_feat, ((const rs_ev_features *)x)->sym,
                            (uint64_t)((const rs_ev_features *)x)->bar_end_ns, x->ts_local);
            break;
        case RS_EV_PREDICTION:
            if (needs_len(x, sizeof(rs_ev_prediction)))
                map_put_min(&m_pred, ((const rs_ev_prediction *)x)->sym,
                            (uint64_t)((const rs_ev_prediction *)x)->bar_end_ns, x->ts_local);
            break;
        case RS_EV_INTENT:
            if (needs_len(x, sizeof(rs_ev_intent)))
                map_put_min(&m_int, ((const rs_ev_intent *)x)->client_id, 0, x->ts_local);
            break;
        case RS_EV_ORDER:
            if (needs_len(x, sizeof(rs_ev_order)))
                map_put_min(&m_ord, ((const rs_ev_order *)x)->client_id, 0, x->ts_local);
            break;
        case RS_EV_EXEC_REPORT:
            if (needs_len(x, sizeof(rs_ev_exec_report)))
                map_put_min(&m_rep, ((const rs_ev_exec_report *)x)->client_id, 0, x->ts_local);
            break;
        case RS_EV_DECISION:
            break;   /* an output only */
        default:
            map_put_min(&m_md, (uint64_t)x->ts, 0, x->ts_local);   /* md / timer (rs_report_add kept only those) */
            break;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const rs_rec *x = it[i].rec;
        int64_t in = 0;
        int f, e = 0;
        switch (x->type) {
        case RS_EV_FEATURES:
            f = map_get(&m_md, (uint64_t)x->ts, 0, &in);
            e = lat_add(r, L_FEAT, f, x, in);
            break;
        case RS_EV_PREDICTION:
            if (!needs_len(x, sizeof(rs_ev_prediction)))
                break;
            f = map_get(&m_feat, ((const rs_ev_prediction *)x)->sym, (uint64_t)((const rs_ev_prediction *)x)->bar_end_ns,
                        &in);
            e = lat_add(r, L_MODEL, f, x, in);
            break;
        case RS_EV_DECISION:
            if (!needs_len(x, sizeof(rs_ev_decision)))
                break;
            f = map_get(&m_pred, ((const rs_ev_decision *)x)->sym, (uint64_t)((const rs_ev_decision *)x)->bar_end_ns,
                        &in);
            e = lat_add(r, L_GATE, f, x, in);
            break;
        case RS_EV_ORDER:
            if (!needs_len(x, sizeof(rs_ev_order)))
                break;
            f = map_get(&m_int, ((const rs_ev_order *)x)->client_id, 0, &in);
            e = lat_add(r, L_EXEC, f, x, in);
            if (!e) {
                f = map_get(&m_md, (uint64_t)x->ts, 0, &in);
                e = lat_add(r, L_T2O, f, x, in);
            }
            break;
        case RS_EV_EXEC_REPORT: {
            if (!needs_len(x, sizeof(rs_ev_exec_report)))
                break;
            uint64_t cid = ((const rs_ev_exec_report *)x)->client_id;
            int64_t first;
            /* only the first report of an order measures the venue's ack */
            if (map_get(&m_rep, cid, 0, &first) && first == x->ts_local) {
                f = map_get(&m_ord, cid, 0, &in);
                e = lat_add(r, L_VENUE, f, x, in);
                map_slot(&m_rep, cid, 0)->v = INT64_MIN;
            }
            break;
        }
        case RS_EV_TRADE:
        case RS_EV_BBO:
        case RS_EV_DEPTH:
            e = lat_add(r, L_MDAGE, 1, x, x->ts);
            break;
        default:
            break;
        }
        if (e)
            goto out;
    }
    rc = 0;
out:
    rs_mem_free(m_md.e), rs_mem_free(m_feat.e), rs_mem_free(m_pred.e), rs_mem_free(m_int.e);
    rs_mem_free(m_ord.e), rs_mem_free(m_rep.e);
    return rc;
}

/* ---- finish --------------------------------------------------------------------- */

int rs_report_finish(rs_report *r)
{
    if (r->finished)
        return rs_err_set(EINVAL, "report: finish called twice");
    r->finished = 1;
    item *it = r->items.p;
    size_t n = r->items.n;
    if (n)
        qsort(it, n, sizeof *it, item_cmp);
    size_t n_rep = 0;
    for (size_t i = 0; i < n; i++)
        n_rep += it[i].rec->type == RS_EV_EXEC_REPORT;
    if (map_init(&r->cid, n_rep))
        return rs_err_set(ENOMEM, "report: out of memory");
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const rs_rec *x = it[i].rec;
        switch (x->type) {
        case RS_EV_MARK:
            if (!needs_len(x, sizeof(rs_ev_mark))) {
                r->c.bad++;
                break;
            }
            if ((rc = advance_day(r, x->ts)))
                break;
            r->last_ts = x->ts;
            on_mark(r, (const rs_ev_mark *)x);
            break;
        case RS_EV_EXEC_REPORT:
            if (!needs_len(x, sizeof(rs_ev_exec_report))) {
                r->c.bad++;
                break;
            }
            if (!((const rs_ev_exec_report *)x)->is_fill)
                break;
            if ((rc = advance_day(r, x->ts)))
                break;
            r->last_ts = x->ts;
            rc = on_fill(r, (const rs_ev_exec_report *)x);
            break;
        case RS_EV_RISK:
            if (!needs_len(x, sizeof(rs_ev_risk)))
                r->c.bad++;
            else
                rc = on_risk(r, (const rs_ev_risk *)x);
            break;
        case RS_EV_CONTROL:
            if (!needs_len(x, sizeof(rs_ev_control)))
                r->c.bad++;
            else
                rc = on_control(r, (const rs_ev_control *)x);
            break;
        case RS_EV_POSITION: {
            if (!needs_len(x, sizeof(rs_ev_position))) {
                r->c.bad++;
                break;
            }
            r->c.positions++;
            const rs_ev_position *p = (const rs_ev_position *)x;
            if (p->sym == NOSYM) {
                r->c.have_gate_pos = 1;
                r->c.gate_realized = p->realized, r->c.gate_fees = p->fees, r->c.gate_equity = p->equity;
                r->c.gate_ts = x->ts;
                r->c.realized_at_gate = r->pf.realized, r->c.fees_at_gate = r->pf.fees;
            }
            break;
        }
        default:
            break;
        }
    }
    if (rc)
        return rc;
    if (r->started && (rc = close_day(r)))
        return rc;
    /* open incidents and trades at the end of the data */
    rs_report_incident *in = r->incidents.p;
    for (size_t i = 0; i < r->incidents.n; i++)
        if (in[i].open == 2) {
            inc_close(&in[i], r->last_ts, "end of data");
            in[i].open = 2;
        }
    for (size_t i = 0; i < r->incidents.n; i++)
        in[i].open = in[i].open == 2;
    for (uint16_t s = 0; s < r->u.n; s++) {
        if (r->s[s].trade < 0)
            continue;
        rs_report_trade *t = &AT(r->trades, rs_report_trade, r->s[s].trade);
        t->open = 1;
        t->close_ts = r->last_ts;
        t->pnl = sym_net(r, s) - r->s[s].base;
        t->ret = nan_div(t->pnl, t->entry_notional);
    }
    double eq = r->pf.equity;
    fill_row(r, &r->total, &r->ta, eq - r->o.capital, eq, &r->rets, &r->dd);
    r->total.day = -1;
    r->total.last_ts = r->last_ts;
    double spnl = (eq - r->o.capital) - r->ta.inc_pnl;
    dacc sa = r->tsa;
    sa.inc_pnl = 0;
    fill_row(r, &r->strategy, &sa, spnl, r->o.capital + spnl, &r->srets, &r->sdd);
    r->strategy.day = -1;
    r->strategy.last_ts = r->last_ts;
    return latency(r);
}

/* ---- accessors ------------------------------------------------------------------- */

const rs_report_row *rs_report_days(const rs_report *r, size_t *n)
{
    *n = r->days.n;
    return r->days.p;
}
const rs_report_row *rs_report_total(const rs_report *r) { return &r->total; }
const rs_report_row *rs_report_strategy(const rs_report *r) { return &r->strategy; }
const rs_report_trade *rs_report_trades(const rs_report *r, size_t *n)
{
    *n = r->trades.n;
    return r->trades.p;
}
const rs_report_incident *rs_report_incidents(const rs_report *r, size_t *n)
{
    *n = r->incidents.n;
    return r->incidents.p;
}
const rs_report_counts *rs_report_get_counts(const rs_report *r) { return &r->c; }
double rs_report_capital(const rs_report *r) { return r->o.capital; }

/* ---- CSV ------------------------------------------------------------------------- */

static void csv_num(FILE *f, double v)
{
    /* NaN (undefined: no trades, one day, zero volatility) is an empty field */
    if (isnan(v))
        fputc(',', f);
    else
        fprintf(f, ",%.17g", v);
}

static void iso(char *b, size_t n, int64_t ts)
{
    time_t t = (time_t)(ts >= 0 ? ts / 1000000000ll : (ts - 999999999ll) / 1000000000ll);
    struct tm tm;
    gmtime_r(&t, &tm);
    int64_t ms = ((ts % 1000000000ll) + 1000000000ll) % 1000000000ll / 1000000ll;
    snprintf(b, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min, tm.tm_sec, (int)ms);
}

static void date_str(char *b, size_t n, int64_t day)
{
    char tmp[128];
    iso(tmp, sizeof tmp, day * RS_REPORT_DAY_NS);
    snprintf(b, n, "%.10s", tmp);
}

void rs_report_write_summary_header(FILE *f)
{
    fputs("run,row,date,equity,pnl,return,cum_return,vol_ann,sharpe,sortino,max_dd,max_dd_days,calmar,hit_rate,"
          "turnover,gross_pnl,fees,slippage,trades,fills,avg_hold_s,strategy_pnl,incident_pnl\n",
          f);
}

static void write_row(FILE *f, const char *label, const char *kind, const rs_report_row *w)
{
    char d[128] = "";
    if (w->day >= 0)
        date_str(d, sizeof d, w->day);
    fprintf(f, "%s,%s,%s", label, kind, d);
    csv_num(f, w->equity), csv_num(f, w->pnl), csv_num(f, w->ret), csv_num(f, w->cum_ret);
    csv_num(f, w->vol_ann), csv_num(f, w->sharpe), csv_num(f, w->sortino), csv_num(f, w->max_dd);
    csv_num(f, w->max_dd_days), csv_num(f, w->calmar), csv_num(f, w->hit_rate), csv_num(f, w->turnover);
    csv_num(f, w->gross_pnl), csv_num(f, w->fees), csv_num(f, w->slippage);
    fprintf(f, ",%" PRIu64 ",%" PRIu64, w->trades, w->fills);
    csv_num(f, w->avg_hold_s), csv_num(f, w->strategy_pnl), csv_num(f, w->incident_pnl);
    fputc('\n', f);
}

void rs_report_write_summary(const rs_report *r, FILE *f, const char *label)
{
    const rs_report_row *d = r->days.p;
    for (size_t i = 0; i < r->days.n; i++)
        write_row(f, label, "day", &d[i]);
    write_row(f, label, "total", &r->total);
    write_row(f, label, "strategy", &r->strategy);
}

static FILE *open_csv(const char *dir, const char *name, char *path, size_t n)
{
    snprintf(path, n, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f)
        rs_err_set(errno, "report: cannot write %s: %s", path, strerror(errno));
    return f;
}

static int close_csv(FILE *f, const char *path)
{
    if (ferror(f) | (fclose(f) != 0))
        return rs_err_set(EIO, "report: error writing %s", path);
    return 0;
}

int rs_report_write_series(const rs_report *r, const char *dir)
{
    char path[1200], t1[128], t2[128];
    int rc;
    FILE *f;

    if (!(f = open_csv(dir, "days.csv", path, sizeof path)))
        return -errno;
    rs_report_write_summary_header(f);
    rs_report_write_summary(r, f, "run");
    if ((rc = close_csv(f, path)))
        return rc;

    if (!(f = open_csv(dir, "equity_curve.csv", path, sizeof path)))
        return -errno;
    fputs("ts,time,kind,equity,cum_return,drawdown,strategy_equity,strategy_drawdown,incident\n", f);
    const curve_pt *c = r->curve.p;
    static const char *kinds[] = {"mark", "fill", "day_end"};
    for (size_t i = 0; i < r->curve.n; i++) {
        iso(t1, sizeof t1, c[i].ts);
        fprintf(f, "%" PRId64 ",%s,%s", c[i].ts, t1, kinds[c[i].kind]);
        csv_num(f, c[i].equity), csv_num(f, (c[i].equity - r->o.capital) / r->o.capital), csv_num(f, c[i].dd);
        csv_num(f, c[i].strat_equity), csv_num(f, c[i].strat_dd);
        fprintf(f, ",%u\n", c[i].incident);
    }
    if ((rc = close_csv(f, path)))
        return rc;

    if (!(f = open_csv(dir, "symbol_pnl.csv", path, sizeof path)))
        return -errno;
    fputs("date,symbol,realized,unrealized,fees,net,position\n", f);
    const sym_row *s = r->symrows.p;
    for (size_t i = 0; i < r->symrows.n; i++) {
        date_str(t1, sizeof t1, s[i].day);
        fprintf(f, "%s,%s", t1, r->u.ins[s[i].sym].symbol);
        csv_num(f, s[i].realized), csv_num(f, s[i].unrealized), csv_num(f, s[i].fees);
        csv_num(f, s[i].realized + s[i].unrealized - s[i].fees), csv_num(f, s[i].qty);
        fputc('\n', f);
    }
    if ((rc = close_csv(f, path)))
        return rc;

    if (!(f = open_csv(dir, "trades.csv", path, sizeof path)))
        return -errno;
    fputs("id,symbol,side,status,open_ts,close_ts,open_time,close_time,hold_s,qty_max,entry_px,exit_px,"
          "entry_notional,pnl,fees,return,incident\n",
          f);
    const rs_report_trade *t = r->trades.p;
    for (size_t i = 0; i < r->trades.n; i++) {
        iso(t1, sizeof t1, t[i].open_ts), iso(t2, sizeof t2, t[i].close_ts);
        fprintf(f, "%zu,%s,%s,%s,%" PRId64 ",%" PRId64 ",%s,%s", i + 1, r->u.ins[t[i].sym].symbol,
                t[i].dir > 0 ? "long" : "short", t[i].open ? "open" : "closed", t[i].open_ts, t[i].close_ts, t1, t2);
        csv_num(f, (double)(t[i].close_ts - t[i].open_ts) / 1e9);
        csv_num(f, t[i].qty_max);
        csv_num(f, nan_div(t[i].entry_notional, t[i].entry_qty));
        csv_num(f, nan_div(t[i].exit_notional, t[i].exit_qty));
        csv_num(f, t[i].entry_notional), csv_num(f, t[i].pnl), csv_num(f, t[i].fees), csv_num(f, t[i].ret);
        fprintf(f, ",%u\n", t[i].incident);
    }
    if ((rc = close_csv(f, path)))
        return rc;

    if (!(f = open_csv(dir, "incidents.csv", path, sizeof path)))
        return -errno;
    fputs("id,start_ts,end_ts,start_time,end_time,duration_s,scope,trigger,end_reason,pnl\n", f);
    const rs_report_incident *in = r->incidents.p;
    for (size_t i = 0; i < r->incidents.n; i++) {
        iso(t1, sizeof t1, in[i].start_ts), iso(t2, sizeof t2, in[i].end_ts);
        fprintf(f, "%zu,%" PRId64 ",%" PRId64 ",%s,%s", i + 1, in[i].start_ts, in[i].end_ts, t1, t2);
        csv_num(f, (double)(in[i].end_ts - in[i].start_ts) / 1e9);
        fprintf(f, ",%s,\"", in[i].scope == NOSYM ? "ALL" : r->u.ins[in[i].scope].symbol);
        for (const char *p = in[i].trigger; *p; p++)
            if (*p != '"' && *p != '\n' && *p != '\r')
                fputc(*p, f);
        fprintf(f, "\",%s", in[i].end_reason);
        csv_num(f, in[i].pnl);
        fputc('\n', f);
    }
    if ((rc = close_csv(f, path)))
        return rc;

    if (!(f = open_csv(dir, "latency.csv", path, sizeof path)))
        return -errno;
    fputs("stage,ts,latency_ns\n", f);
    for (int k = 0; k < L_N; k++) {
        const lat_sample *l = r->lat[k].p;
        for (size_t i = 0; i < r->lat[k].n; i++)
            fprintf(f, "%s,%" PRId64 ",%" PRId64 "\n", lat_name[k], l[i].ts, l[i].lat_ns);
    }
    if ((rc = close_csv(f, path)))
        return rc;

    if (!(f = open_csv(dir, "latency_counts.csv", path, sizeof path)))
        return -errno;
    fputs("stage,matched,kept,unmatched,negative,stride\n", f);
    for (int k = 0; k < L_N; k++)
        fprintf(f, "%s,%" PRIu64 ",%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 "\n", lat_name[k], r->lat_seen[k],
                r->lat[k].n, r->lat_unmatched[k], r->lat_negative[k], r->lat_stride[k]);
    return close_csv(f, path);
}
