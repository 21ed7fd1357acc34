/* tests/unit/gate_harness.h -- scripted event sequences for the gate stage
 * (shared by tests/unit/test_gate*.c and tests/integration/test_gate_scenarios.c).
 * Builds records the way the runtime would, feeds rs_gate_on_event and
 * collects every output record in a buffer. No threads, no clock. */
#ifndef RS_GATE_HARNESS_H
#define RS_GATE_HARNESS_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/gate.h"
#include "ringside/mem.h"
#include "ringside/stage.h"
#include "testutil.h"

#define H_T0 1700000000000000000LL   /* event time origin, ns */
#define H_BAR 300000000000LL         /* 5 minutes */
#define H_OUT (4u << 20)

typedef struct H {
    rs_universe u;
    rs_gate_params p;
    rs_gate *g;
    size_t memsize;
    rs_emit_buf eb;
    uint8_t *out;
    int64_t t;          /* current event time */
    int64_t bar_end;    /* last bar end sent */
    uint64_t seq;
    int flip;
    uint64_t alloc_bytes;   /* allocated inside rs_gate_on_event (jemalloc builds) */
    /* transcript of every output record (ts_local zeroed), for determinism */
    uint8_t *log;
    size_t log_len, log_cap;
} H;

/* BTCUSDT: px 0.01, qty 0.00001; ETHUSDT: px 0.01, qty 0.0001. */
static inline void h_universe(rs_universe *u)
{
    memset(u, 0, sizeof *u);
    rs_instrument b = {.symbol = "BTCUSDT", .venue = RS_VENUE_BINANCE, .px_exp = 2, .qty_exp = 5,
                       .tick = 1, .lot = 1, .min_qty = 10, .min_notional = 5.0};
    rs_instrument e = {.symbol = "ETHUSDT", .venue = RS_VENUE_BINANCE, .px_exp = 2, .qty_exp = 4,
                       .tick = 1, .lot = 1, .min_qty = 10, .min_notional = 5.0};
    rs_universe_add(u, &b);
    rs_universe_add(u, &e);
}

/* Permissive parameters: every gate is on but easy to pass, so a test can
 * move one knob and watch one verdict. */
static inline void h_params(rs_gate_params *p)
{
    rs_gate_params_default(p);
    p->warmup_bars = 5;
    p->atr_n = 3;
    p->sigma_n = 5;
    p->sigma_floor_bps = 1.0;
    p->q_tail = 0;
    p->vote_k = 1;
    p->vote_min = 1;
    p->cooldown_bars = 0;
    p->lim.max_per_sec = 0;
    p->lim.max_per_min = 0;
    p->dd_limit = 0;
    p->dd_recover = 0;
    p->dd_kill = 0;
    p->pos_period_ns = 0;
}

static inline H *h_new(const rs_gate_params *p)
{
    H *h = calloc(1, sizeof *h);
    assert_non_null(h);
    h_universe(&h->u);
    h->p = *p;
    h->memsize = rs_gate_memsize(p, &h->u);
    assert_true(h->memsize > 0);
    h->g = rs_mem_alloc(h->memsize, 64, "test gate");
    assert_non_null(h->g);
    assert_int_equal(rs_gate_init(h->g, h->memsize, p, &h->u), 0);
    h->out = malloc(H_OUT);
    assert_non_null(h->out);
    rs_emit_buf_init(&h->eb, h->out, H_OUT, RS_STREAM_INTENT);
    h->t = H_T0;
    h->bar_end = H_T0;
    return h;
}

static inline void h_free(H *h)
{
    rs_mem_free(h->g);
    free(h->log);
    free(h->out);
    free(h);
}

static inline void h_clear(H *h) { rs_emit_buf_reset(&h->eb); }

static inline int h_send(H *h, rs_rec *r, uint16_t type, uint32_t len, uint16_t stream)
{
    r->len = len;
    r->type = type;
    r->stream = stream;
    r->seq = ++h->seq;
    r->ts = h->t;
    size_t from = h->eb.used;
    uint64_t a0 = rs_mem_thread_allocated();
    int rc = rs_gate_on_event(h->g, r, &h->eb.e);
    uint64_t a1 = rs_mem_thread_allocated();
    if (a0 != UINT64_MAX)
        h->alloc_bytes += a1 - a0;
    size_t n = h->eb.used - from;
    if (h->log_len + n > h->log_cap) {
        h->log_cap = (h->log_len + n) * 2 + 4096;
        h->log = realloc(h->log, h->log_cap);
        assert_non_null(h->log);
    }
    if (n)
        memcpy(h->log + h->log_len, h->out + from, n);
    for (size_t off = 0; off < n;) {
        rs_rec *o = (rs_rec *)(h->log + h->log_len + off);
        o->ts_local = 0;   /* the one field replay does not compare */
        off += rs_rec_padded(o->len);
    }
    h->log_len += n;
    return rc;
}

static inline int h_mark(H *h, uint16_t sym, double last, double bid, double ask)
{
    rs_ev_mark m;
    memset(&m, 0, sizeof m);
    m.sym = sym;
    m.last_px = (int64_t)llround(last * 100);
    m.bid_px = (int64_t)llround(bid * 100);
    m.ask_px = (int64_t)llround(ask * 100);
    m.md_ts = h->t;
    return h_send(h, &m.h, RS_EV_MARK, sizeof m, RS_STREAM_MARK);
}

/* A bar closing now (end = h->t) */
static inline int h_bar(H *h, uint16_t sym, double open, double high, double low, double close)
{
    rs_ev_bar b;
    memset(&b, 0, sizeof b);
    b.sym = sym;
    b.open = open;
    b.high = high;
    b.low = low;
    b.close = close;
    b.start_ns = h->t - H_BAR;
    b.end_ns = h->t;
    h->bar_end = h->t;
    return h_send(h, &b.h, RS_EV_BAR, sizeof b, RS_STREAM_FEAT);
}

static inline int h_pred(H *h, uint16_t sym, double w, double z, int ready)
{
    rs_ev_prediction p;
    memset(&p, 0, sizeof p);
    p.sym = sym;
    p.ready = (uint8_t)ready;
    p.n_horizons = 1;
    p.bar_end_ns = h->bar_end;
    p.weighted_bps = w;
    p.z_edge = z;
    return h_send(h, &p.h, RS_EV_PREDICTION, sizeof p, RS_STREAM_PRED);
}

static inline int h_exec_rc(H *h, uint64_t id, uint16_t sym, uint8_t state, uint8_t side, int is_fill,
                            double px, int64_t last_qty, int64_t cum, uint8_t source, int32_t rc);
static inline int h_exec(H *h, uint64_t id, uint16_t sym, uint8_t state, uint8_t side, int is_fill,
                         double px, int64_t last_qty, int64_t cum, uint8_t source)
{
    return h_exec_rc(h, id, sym, state, side, is_fill, px, last_qty, cum, source,
                     state == RS_OS_REJECTED ? -2010 : 0);
}

/* An exec report with an explicit venue reject code (a live order with a
 * code is how the exec stage reports a refused cancel). */
static inline int h_exec_rc(H *h, uint64_t id, uint16_t sym, uint8_t state, uint8_t side, int is_fill,
                            double px, int64_t last_qty, int64_t cum, uint8_t source, int32_t rc)
{
    rs_ev_exec_report r;
    memset(&r, 0, sizeof r);
    r.sym = sym;
    r.state = state;
    r.side = side;
    r.is_fill = (uint8_t)is_fill;
    r.source = source;
    r.client_id = id;
    r.last_px = (int64_t)llround(px * 100);
    r.last_qty = last_qty;
    r.cum_qty = cum;
    r.fee = is_fill ? 0.01 : 0.0;
    r.reject_code = rc;
    return h_send(h, &r.h, RS_EV_EXEC_REPORT, sizeof r, RS_STREAM_EXEC);
}

static inline int h_timer(H *h)
{
    rs_ev_timer t;
    memset(&t, 0, sizeof t);
    t.tick = (uint64_t)h->seq;
    t.period_ns = 100000000;
    return h_send(h, &t.h, RS_EV_TIMER, sizeof t, RS_STREAM_MARK);
}

static inline int h_ctl(H *h, uint16_t cmd, uint16_t sym)
{
    rs_ev_control c;
    memset(&c, 0, sizeof c);
    c.cmd = cmd;
    c.sym = sym;
    return h_send(h, &c.h, RS_EV_CONTROL, sizeof c, RS_STREAM_CTL);
}

static inline int h_fresh(H *h, uint16_t sym, uint8_t state)
{
    rs_ev_freshness f;
    memset(&f, 0, sizeof f);
    f.sym = sym;
    f.state = state;
    f.last_md_ts = h->t;
    return h_send(h, &f.h, RS_EV_FRESHNESS, sizeof f, RS_STREAM_MARK);
}

/* Advance one 5-minute bar for sym around px (range +-0.3%, alternating
 * close so sigma is ~ 20 bps), with a mark at the bar close. */
static inline void h_next_bar(H *h, uint16_t sym, double px)
{
    h->flip ^= 1;
    h->t += H_BAR;
    double c = h->flip ? px * 1.002 : px * 0.998;
    h_mark(h, sym, px, px - 0.5, px + 0.5);
    h_bar(h, sym, px, px * 1.003, px * 0.997, c);
    h_mark(h, sym, px, px - 0.5, px + 0.5);
}

static inline void h_warm(H *h, uint16_t sym, double px)
{
    for (int i = 0; i < 8; i++)
        h_next_bar(h, sym, px);
}

/* ---- output inspection --------------------------------------------------- */

static inline int h_count(const H *h, uint16_t type)
{
    size_t off = 0;
    const rs_rec *r;
    int n = 0;
    while ((r = rs_emit_buf_next(&h->eb, &off)))
        n += r->type == type;
    return n;
}

/* The i-th (0-based; -1 = last) record of a type, or NULL. */
static inline const rs_rec *h_nth(const H *h, uint16_t type, int i)
{
    size_t off = 0;
    const rs_rec *r, *last = NULL;
    int n = 0;
    while ((r = rs_emit_buf_next(&h->eb, &off)))
        if (r->type == type) {
            if (n++ == i)
                return r;
            last = r;
        }
    return i < 0 ? last : NULL;
}

static inline const rs_ev_decision *h_dec(const H *h) { return (const rs_ev_decision *)h_nth(h, RS_EV_DECISION, -1); }
static inline const rs_ev_intent *h_intent(const H *h, int i) { return (const rs_ev_intent *)h_nth(h, RS_EV_INTENT, i); }

static inline const rs_gate_verdict *h_v(const rs_ev_decision *d, uint16_t gate)
{
    for (int i = 0; i < d->n; i++)
        if (d->g[i].gate == gate)
            return &d->g[i];
    fail_msg("gate %u not in decision", gate);
    return NULL;
}

/* Intents of a kind/purpose (0 = any). */
static inline int h_count_intents(const H *h, uint8_t kind, uint8_t purpose)
{
    int n = 0;
    for (int i = 0;; i++) {
        const rs_ev_intent *in = h_intent(h, i);
        if (!in)
            return n;
        n += (!kind || in->kind == kind) && (!purpose || in->purpose == purpose);
    }
}

static inline int h_count_risk(const H *h, uint16_t circuit, int action)
{
    int n = 0;
    for (int i = 0;; i++) {
        const rs_ev_risk *r = (const rs_ev_risk *)h_nth(h, RS_EV_RISK, i);
        if (!r)
            return n;
        n += r->circuit == circuit && (action < 0 || r->action == action);
    }
}

/* Enter long (or short) on sym at px and get filled: returns the entry id. */
static inline uint64_t h_enter(H *h, uint16_t sym, int dir, double px)
{
    h_clear(h);
    assert_int_equal(h_pred(h, sym, dir * 60.0, dir * 2.0, 1), RS_OK);
    const rs_ev_decision *d = h_dec(h);
    assert_non_null(d);
    assert_int_equal(d->action, dir > 0 ? RS_ACT_ENTER_LONG : RS_ACT_ENTER_SHORT);
    const rs_ev_intent *in = h_intent(h, -1);
    assert_non_null(in);
    assert_int_equal(in->purpose, RS_PUR_ENTRY);
    uint64_t id = in->client_id;
    int64_t q = in->qty;
    uint8_t side = in->side;
    h_exec(h, id, sym, RS_OS_ACKED, side, 0, 0, 0, 0, 0);
    h_exec(h, id, sym, RS_OS_FILLED, side, 1, px, q, q, 0);
    assert_int_equal(rs_gate_portfolio(h->g)->pos[sym].qty, dir > 0 ? q : -q);
    return id;
}

#endif
