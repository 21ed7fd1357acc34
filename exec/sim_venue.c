/* In-process simulated venue (see sim_venue.h): deterministic matching,
 * latency, fees, slippage, partial/VWAP fills and fault injection. */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/sim_venue.h"

typedef struct sim_order {
    uint64_t client_id, venue_oid;
    int64_t px, qty, cum;
    uint16_t sym;
    uint8_t side, ord_type, tif, state, live, triggered;
    uint64_t seq;                 /* arrival order: older orders get liquidity first */
} sim_order;

typedef struct sim_trade {
    uint64_t trade_id, venue_oid, client_id;
    int64_t px, qty, ts_ms;
    double fee;
    uint16_t sym;
    uint8_t side, liquidity;
} sim_trade;

typedef struct sched {
    int64_t due;
    uint64_t seq;                 /* FIFO among equal due times: determinism */
    uint8_t account;              /* account-stream event (can be lost / dropped) */
    uint8_t pad[7];
    int64_t leg, fill_leg;        /* TABLE/SEQ requests: answer leg and arrival -> fill delay */
    union {
        rs_vreq req;
        rs_vevt ev;
    } u;
} sched;

typedef struct heap {
    sched *a;
    uint32_t n, cap;
} heap;

typedef struct sim_mkt {
    int64_t bid, ask, last;
    int64_t tape;      /* trades seen: fills then come from the tape, not quotes */
} sim_mkt;

struct rs_sim {
    rs_sim_params p;
    rs_sim_faults f;
    uint64_t rng[4];
    uint64_t seq, next_oid, next_tid, lat_i;
    uint64_t lat_req_i, lat_async_i;  /* SEQ cursors: other requests, asynchronous events */
    int64_t ctx_leg, ctx_fill;    /* TABLE/SEQ: legs of the request being processed ... */
    uint8_t in_req;               /* ... while this is set */
    sim_order *orders;
    uint32_t n_orders;            /* slots used (<= max_orders) */
    uint64_t *live_bits;          /* bit i: orders[i].live; (max_orders + 63) / 64 words */
    sim_trade *trades;
    uint64_t n_trades;            /* total ever; ring index = n % max_trades */
    heap arr, out;
    sim_mkt *mkt;
    int64_t *pos;
    rs_sim_stats st;
};

/* ---- PRNG: xoshiro256** seeded by splitmix64 ----------------------------- */

static uint64_t splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
static uint64_t rng_next(rs_sim *s)
{
    uint64_t *r = s->rng;
    uint64_t res = rotl(r[1] * 5, 7) * 9, t = r[1] << 17;
    r[2] ^= r[0];
    r[3] ^= r[1];
    r[1] ^= r[2];
    r[0] ^= r[3];
    r[2] ^= t;
    r[3] = rotl(r[3], 45);
    return res;
}
/* Uniform in [0, n) without modulo bias worth caring about (n << 2^64). */
__extension__ typedef unsigned __int128 u128;
static uint64_t rng_below(rs_sim *s, uint64_t n) { return n ? (uint64_t)(((u128)rng_next(s) * n) >> 64) : 0; }

static bool measured(const rs_sim *s) { return s->p.lat_model == RS_SIM_LAT_TABLE || s->p.lat_model == RS_SIM_LAT_SEQ; }

/* TABLE/SEQ: index of the next sample. *cursor is the SEQ cursor of this
 * kind of draw; TABLE draws with the seeded PRNG (the same calls in the same
 * order give the same samples: replay stays exact). */
static uint32_t sample(rs_sim *s, uint64_t *cursor)
{
    if (s->p.lat_model == RS_SIM_LAT_TABLE)
        return (uint32_t)rng_below(s, s->p.lat_table_n);
    return (uint32_t)((*cursor)++ % s->p.lat_table_n);
}

/* Latency of one leg. TABLE/SEQ: inside a request, its answer leg; else the
 * answer half of a fresh sample (a venue -> us message on its own). */
static int64_t latency(rs_sim *s)
{
    const rs_sim_params *p = &s->p;
    switch (p->lat_model) {
    case RS_SIM_LAT_UNIFORM:
        return p->lat_min_ns + (int64_t)rng_below(s, (uint64_t)(p->lat_max_ns - p->lat_min_ns) + 1);
    case RS_SIM_LAT_TABLE:
    case RS_SIM_LAT_SEQ: {
        if (s->in_req)
            return s->ctx_leg;
        int64_t rt = p->lat_table[sample(s, &s->lat_async_i)];
        return rt - rt / 2;
    }
    default:
        return p->lat_ns;
    }
}

/* Delay from now to a fill event: the request's measured fill latency when
 * filled on arrival, else a leg. */
static int64_t fill_latency(rs_sim *s) { return measured(s) && s->in_req ? s->ctx_fill : latency(s); }

/* ---- heaps ------------------------------------------------------------------- */

static int before(const sched *a, const sched *b) { return a->due < b->due || (a->due == b->due && a->seq < b->seq); }

static int heap_push(heap *h, const sched *x)
{
    if (h->n == h->cap)
        return RS_FULL;
    uint32_t i = h->n++;
    while (i) {
        uint32_t up = (i - 1) / 2;
        if (!before(x, &h->a[up]))
            break;
        h->a[i] = h->a[up];
        i = up;
    }
    h->a[i] = *x;
    return RS_OK;
}

static void heap_pop(heap *h, sched *x)
{
    *x = h->a[0];
    sched last = h->a[--h->n];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, r = l + 1, m = i;
        const sched *best = &last;
        if (l < h->n && before(&h->a[l], best)) {
            m = l;
            best = &h->a[l];
        }
        if (r < h->n && before(&h->a[r], best))
            m = r;
        if (m == i)
            break;
        h->a[i] = h->a[m];
        i = m;
    }
    if (h->n)
        h->a[i] = last;
}

/* ---- set-up ------------------------------------------------------------------- */

void rs_sim_params_default(rs_sim_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->n_syms = RS_MAX_SYMBOLS;
    p->venue = RS_VENUE_SIM;
    p->lat_model = RS_SIM_LAT_CONST;
    p->max_orders = 1024;
    p->max_trades = 16384;
    p->max_events = 4096;
    p->lat_ns = 500000;
    p->taker_fee_bps = 10.0;
    p->maker_fee_bps = 10.0;
    p->participation = 1.0;
    p->recv_window_ms = 5000;
    p->faults.place_on_5xx = 1;
    p->faults.retry_after_ms = 1000;
}

static size_t al8(size_t n) { return (n + 7) & ~(size_t)7; }
static size_t live_words(const rs_sim_params *p) { return ((size_t)p->max_orders + 63) / 64; }

/* ---- live order slots ------------------------------------------------------
 * Every quote and every print looks for the live orders of its symbol. The
 * slots are reused, not compacted, so n_orders only grows (to max_orders,
 * 1024 by default) and a plain scan read every slot ever used on every mark:
 * ~2,300 instructions per quote in a bench replay, most of the paper exec
 * stage. A bit per live slot, walked in ascending slot order, visits the same
 * orders in the same order (fills, and so every record, are unchanged). */
static inline void set_live(rs_sim *s, sim_order *o)
{
    uint32_t i = (uint32_t)(o - s->orders);
    o->live = 1;
    s->live_bits[i / 64] |= 1ull << (i % 64);
}

static inline void clr_live(rs_sim *s, sim_order *o)
{
    uint32_t i = (uint32_t)(o - s->orders);
    o->live = 0;
    s->live_bits[i / 64] &= ~(1ull << (i % 64));
}

/* The first live slot >= i, or n_orders when there is none. */
static inline uint32_t live_next(const rs_sim *s, uint32_t i)
{
    uint32_t w = i / 64, nw = (s->n_orders + 63) / 64;
    if (w >= nw)
        return s->n_orders;
    uint64_t b = s->live_bits[w] & (~0ull << (i % 64));
    while (!b) {
        if (++w >= nw)
            return s->n_orders;
        b = s->live_bits[w];
    }
    uint32_t k = w * 64 + (uint32_t)__builtin_ctzll(b);
    return k < s->n_orders ? k : s->n_orders;
}

/* Every live slot, ascending: for (FOR_LIVE(s, i)) */
#define FOR_LIVE(s, i) uint32_t i = live_next(s, 0); i < (s)->n_orders; i = live_next(s, i + 1)

size_t rs_sim_memsize(const rs_sim_params *p)
{
    return al8(sizeof(rs_sim)) + al8((size_t)p->max_orders * sizeof(sim_order)) + live_words(p) * 8 +
           al8((size_t)p->max_trades * sizeof(sim_trade)) + 2 * al8((size_t)p->max_events * sizeof(sched)) +
           al8((size_t)p->n_syms * sizeof(sim_mkt)) + al8((size_t)p->n_syms * sizeof(int64_t));
}

static void sched_faults(rs_sim *s)
{
    if (s->f.disconnect_at_ns > 0 && s->f.disconnect_for_ns > 0) {
        /* Stream state changes are account events but must themselves get
         * through, so they are queued as non-account events. */
        sched x = {.due = s->f.disconnect_at_ns, .seq = ++s->seq};
        x.u.ev = (rs_vevt){.kind = RS_VEVT_STREAM_DOWN, .source = RS_VSRC_SIM, .venue = s->p.venue, .sym = 0xffff,
                           .cum_qty = -1};
        heap_push(&s->out, &x);
        x.due = s->f.disconnect_at_ns + s->f.disconnect_for_ns;
        x.seq = ++s->seq;
        x.u.ev.kind = RS_VEVT_STREAM_UP;
        heap_push(&s->out, &x);
    }
}

int rs_sim_init(void *mem, const rs_sim_params *p, rs_sim **out)
{
    if (!p->max_orders || !p->max_trades || !p->max_events || !p->n_syms || p->n_syms > RS_MAX_SYMBOLS)
        return rs_err_set(EINVAL, "sim_venue.c: max_orders/max_trades/max_events/n_syms must be > 0 (n_syms <= %d)",
                          RS_MAX_SYMBOLS);
    if ((p->lat_model == RS_SIM_LAT_TABLE || p->lat_model == RS_SIM_LAT_SEQ) && (!p->lat_table || !p->lat_table_n))
        return rs_err_set(EINVAL, "sim_venue.c: lat_model TABLE/SEQ needs lat_table and lat_table_n");
    if (p->lat_model == RS_SIM_LAT_TABLE || p->lat_model == RS_SIM_LAT_SEQ)
        for (uint32_t i = 0; i < p->lat_table_n; i++)
            if (p->lat_table[i] < 0 || (p->lat_fill_table && p->lat_fill_table[i] < -1))
                return rs_err_set(EINVAL, "sim_venue.c: lat_table sample %u is negative", i);
    if (p->lat_model == RS_SIM_LAT_UNIFORM && p->lat_max_ns < p->lat_min_ns)
        return rs_err_set(EINVAL, "sim_venue.c: lat_max_ns < lat_min_ns");
    if (!(p->participation > 0.0 && p->participation <= 1.0))
        return rs_err_set(EINVAL, "sim_venue.c: participation must be in (0, 1]");
    memset(mem, 0, rs_sim_memsize(p));
    uint8_t *m = mem;
    rs_sim *s = (rs_sim *)m;
    m += al8(sizeof(rs_sim));
    s->p = *p;
    s->orders = (sim_order *)m;
    m += al8((size_t)p->max_orders * sizeof(sim_order));
    s->live_bits = (uint64_t *)m;
    m += live_words(p) * 8;
    s->trades = (sim_trade *)m;
    m += al8((size_t)p->max_trades * sizeof(sim_trade));
    s->arr.a = (sched *)m;
    s->arr.cap = p->max_events;
    m += al8((size_t)p->max_events * sizeof(sched));
    s->out.a = (sched *)m;
    s->out.cap = p->max_events;
    m += al8((size_t)p->max_events * sizeof(sched));
    s->mkt = (sim_mkt *)m;
    m += al8((size_t)p->n_syms * sizeof(sim_mkt));
    s->pos = (int64_t *)m;
    uint64_t x = p->seed;
    for (int i = 0; i < 4; i++)
        s->rng[i] = splitmix(&x);
    s->next_oid = 1000000;
    s->next_tid = 5000000;
    s->f = p->faults;
    sched_faults(s);
    *out = s;
    return 0;
}

void rs_sim_set_faults(rs_sim *s, const rs_sim_faults *f)
{
    int same_window = f->disconnect_at_ns == s->f.disconnect_at_ns && f->disconnect_for_ns == s->f.disconnect_for_ns;
    s->f = *f;
    if (!same_window)
        sched_faults(s);
}

void rs_sim_get_faults(const rs_sim *s, rs_sim_faults *f) { *f = s->f; }

/* ---- output ------------------------------------------------------------------- */

static rs_vevt ev_base(rs_sim *s, uint8_t kind)
{
    rs_vevt e;
    memset(&e, 0, sizeof e);
    e.kind = kind;
    e.source = RS_VSRC_SIM;
    e.venue = s->p.venue;
    e.sym = 0xffff;
    e.cum_qty = -1;
    return e;
}

static void push_out(rs_sim *s, int64_t due, const rs_vevt *e, int account)
{
    sched x = {.due = due, .seq = ++s->seq, .account = (uint8_t)account};
    x.u.ev = *e;
    if (heap_push(&s->out, &x) != RS_OK)
        s->st.lost_events++;
}

static void order_ev(const sim_order *o, rs_vevt *e)
{
    e->sym = o->sym;
    e->side = o->side;
    e->client_id = o->client_id;
    e->venue_order_id = o->venue_oid;
    e->state = o->state;
    e->cum_qty = o->cum;
    e->px = o->px;
    e->qty = o->qty;
}

static int64_t venue_ms(const rs_sim *s, int64_t now) { return now / 1000000 + s->f.clock_skew_ms; }

/* ---- matching ------------------------------------------------------------------- */

static double notional(const rs_sim *s, uint16_t sym, int64_t px, int64_t qty)
{
    double ps = s->p.px_scale ? s->p.px_scale[sym] : 1.0, qs = s->p.qty_scale ? s->p.qty_scale[sym] : 1.0;
    return ((double)px / ps) * ((double)qty / qs);
}

static int64_t slipped(const rs_sim *s, int64_t px, uint8_t side)
{
    int64_t adj = (int64_t)((double)px * s->p.slippage_bps / 10000.0);
    return side == RS_SIDE_BUY ? px + adj : px - adj;
}

static void fill(rs_sim *s, int64_t now, sim_order *o, int64_t px, int64_t qty, uint8_t liq)
{
    if (qty <= 0)
        return;
    o->cum += qty;
    o->state = o->cum >= o->qty ? RS_OS_FILLED : RS_OS_PARTIAL;
    if (o->state == RS_OS_FILLED)
        clr_live(s, o);
    double fee = notional(s, o->sym, px, qty) * (liq == 1 ? s->p.maker_fee_bps : s->p.taker_fee_bps) / 10000.0;
    sim_trade *t = &s->trades[s->n_trades++ % s->p.max_trades];
    *t = (sim_trade){.trade_id = s->next_tid++, .venue_oid = o->venue_oid, .client_id = o->client_id, .px = px,
                     .qty = qty, .ts_ms = venue_ms(s, now), .fee = fee, .sym = o->sym, .side = o->side,
                     .liquidity = liq};
    s->pos[o->sym] += o->side == RS_SIDE_BUY ? qty : -qty;
    s->st.fills++;
    rs_vevt e = ev_base(s, RS_VEVT_FILL);
    order_ev(o, &e);
    e.trade_id = t->trade_id;
    e.px = px;
    e.qty = qty;
    e.fee = fee;
    e.liquidity = liq;
    e.venue_ms = t->ts_ms;
    int64_t due = now + fill_latency(s) + s->f.fill_delay_ns;
    if (s->f.drop_fills) {
        /* The incident: the trade detail never arrives, but the order's
         * status (with its cumulative quantity) does. */
        s->f.drop_fills--;
        s->st.fills_dropped++;
        if (s->f.drop_silent)
            return;
        e.kind = RS_VEVT_STATUS;
        e.trade_id = 0;
        e.px = o->px;
        e.qty = o->qty;
        e.fee = 0;
        push_out(s, due, &e, 1);
        return;
    }
    push_out(s, due, &e, 1);
    if (s->f.dup_fills) {
        s->f.dup_fills--;
        s->st.fills_duplicated++;
        push_out(s, due + 1, &e, 1);
    }
}

static int64_t ref_px(const rs_sim *s, uint16_t sym, uint8_t side)
{
    const sim_mkt *m = &s->mkt[sym];
    int64_t q = side == RS_SIDE_BUY ? m->ask : m->bid;
    return q > 0 ? q : m->last;
}

static void done_event(rs_sim *s, int64_t now, sim_order *o, uint8_t state)
{
    o->state = state;
    clr_live(s, o);
    rs_vevt e = ev_base(s, RS_VEVT_STATUS);
    order_ev(o, &e);
    e.venue_ms = venue_ms(s, now);
    push_out(s, now + latency(s), &e, 1);
}

/* Taker fill at arrival (market, or a crossing limit). */
static void take(rs_sim *s, int64_t now, sim_order *o)
{
    int64_t ref = ref_px(s, o->sym, o->side);
    if (ref <= 0)
        return;
    int64_t px = slipped(s, ref, o->side);
    if (o->ord_type == RS_ORD_LIMIT) {
        int crosses = o->side == RS_SIDE_BUY ? ref <= o->px : ref >= o->px;
        if (!crosses)
            return;
        if (o->side == RS_SIDE_BUY ? px > o->px : px < o->px)
            px = o->px;
    }
    int64_t q = o->qty - o->cum;
    if (s->p.max_instant_qty > 0 && q > s->p.max_instant_qty)
        q = s->p.max_instant_qty;
    if (o->tif == 2 && q < o->qty - o->cum)
        return; /* FOK that cannot fill at once: expired by the caller */
    fill(s, now, o, px, q, 2);
}

static sim_order *find(rs_sim *s, uint64_t cid)
{
    for (uint32_t i = 0; i < s->n_orders; i++)
        if (s->orders[i].client_id == cid)
            return &s->orders[i];
    return NULL;
}

static sim_order *new_slot(rs_sim *s)
{
    if (s->n_orders < s->p.max_orders)
        return &s->orders[s->n_orders++];
    /* Reuse the oldest finished order's slot. */
    sim_order *best = NULL;
    for (uint32_t i = 0; i < s->n_orders; i++)
        if (!s->orders[i].live && (!best || s->orders[i].seq < best->seq))
            best = &s->orders[i];
    return best;
}

static void respond_at(rs_sim *s, int64_t due, const rs_vreq *r, rs_vevt *e)
{
    e->req_id = r->req_id;
    if (e->sym == 0xffff && r->kind != RS_VREQ_TIME)
        e->sym = r->sym;
    if (!e->client_id)
        e->client_id = r->client_id;
    if (!e->venue_ms)
        e->venue_ms = venue_ms(s, due);
    push_out(s, due, e, 0);
}

static void respond(rs_sim *s, int64_t now, const rs_vreq *r, rs_vevt *e) { respond_at(s, now + latency(s), r, e); }

static int http_fault(rs_sim *s, int64_t now, const rs_vreq *r)
{
    rs_vevt e = ev_base(s, RS_VEVT_ERROR);
    if (s->f.http_418) {
        s->f.http_418--;
        e.http = 418;
        e.code = -1003;
        e.err = RS_VERR_BANNED;
        e.retry_after_ms = s->f.retry_after_ms;
    } else if (s->f.http_429) {
        s->f.http_429--;
        e.http = 429;
        e.code = -1003;
        e.err = RS_VERR_RATE;
        e.retry_after_ms = s->f.retry_after_ms;
    } else if (s->f.http_5xx) {
        s->f.http_5xx--;
        e.http = 503;
        e.err = RS_VERR_UNKNOWN;
        respond(s, now, r, &e);
        s->st.errors++;
        /* The worst case: the venue executed it although we got a 5xx. */
        return r->kind == RS_VREQ_PLACE && s->f.place_on_5xx ? 2 : 1;
    } else {
        return 0;
    }
    s->st.errors++;
    respond(s, now, r, &e);
    return 1;
}

static void place(rs_sim *s, int64_t now, const rs_vreq *r, int silent)
{
    rs_vevt e = ev_base(s, RS_VEVT_REJECT);
    e.state = RS_OS_REJECTED;
    if (r->sym >= s->p.n_syms || r->qty <= 0 || (r->ord_type != RS_ORD_MARKET && r->px <= 0)) {
        e.code = -1013;
        e.err = RS_VERR_OTHER;
        s->st.rejects++;
        if (!silent)
            respond(s, now, r, &e);
        return;
    }
    if (find(s, r->client_id)) {
        e.code = -2010; /* "Duplicate order sent." */
        e.err = RS_VERR_OTHER;
        s->st.duplicate_client_ids++;
        s->st.rejects++;
        if (!silent)
            respond(s, now, r, &e);
        return;
    }
    if (!silent && s->f.reject_orders) {
        s->f.reject_orders--;
        e.code = -2010;
        e.err = RS_VERR_OTHER;
        s->st.rejects++;
        respond(s, now, r, &e);
        return;
    }
    sim_order *o = new_slot(s);
    if (!o) {
        e.code = -1015; /* too many orders */
        e.err = RS_VERR_RATE;
        s->st.rejects++;
        if (!silent)
            respond(s, now, r, &e);
        return;
    }
    *o = (sim_order){.client_id = r->client_id, .venue_oid = s->next_oid++, .px = r->px, .qty = r->qty,
                     .sym = r->sym, .side = r->side, .ord_type = r->ord_type, .tif = r->tif, .state = RS_OS_ACKED,
                     .seq = ++s->seq};
    set_live(s, o);
    s->st.orders_placed++;
    if (!silent) {
        if (s->f.status_unknown) {
            s->f.status_unknown--;
            rs_vevt u = ev_base(s, RS_VEVT_ERROR);
            u.http = 408;
            u.code = -1007;
            u.err = RS_VERR_UNKNOWN;
            respond(s, now, r, &u);
        } else {
            rs_vevt a = ev_base(s, RS_VEVT_ACK);
            order_ev(o, &a);
            a.venue_ms = venue_ms(s, now);
            respond(s, now, r, &a);
        }
    }
    /* The account stream reports the new order too (executionReport NEW). */
    rs_vevt n = ev_base(s, RS_VEVT_ACK);
    order_ev(o, &n);
    n.venue_ms = venue_ms(s, now);
    push_out(s, now + latency(s), &n, 1);
    if (o->ord_type == RS_ORD_MARKET || o->ord_type == RS_ORD_LIMIT)
        take(s, now, o);
    if (o->live && o->tif && o->ord_type == RS_ORD_LIMIT)
        done_event(s, now, o, RS_OS_EXPIRED); /* IOC / FOK remainder */
}

static void process(rs_sim *s, int64_t now, const rs_vreq *r)
{
    s->st.requests++;
    int hf = http_fault(s, now, r);
    if (hf == 2)
        place(s, now, r, 1);
    if (hf)
        return;
    int64_t vms = venue_ms(s, now);
    if (r->kind != RS_VREQ_TIME && r->kind != RS_VREQ_USER_SUB &&
        (r->ts_ms > vms + (s->p.ahead_ms ? s->p.ahead_ms : 1000) || vms - r->ts_ms > s->p.recv_window_ms)) {
        rs_vevt e = ev_base(s, RS_VEVT_REJECT);
        e.code = -1021;
        e.err = RS_VERR_CLOCK;
        e.http = 400;
        e.state = r->kind == RS_VREQ_PLACE ? RS_OS_REJECTED : 0;
        s->st.rejects++;
        respond(s, now, r, &e);
        return;
    }
    rs_vevt e;
    sim_order *o;
    switch (r->kind) {
    case RS_VREQ_PLACE:
        place(s, now, r, 0);
        return;
    case RS_VREQ_CANCEL:
        o = find(s, r->client_id);
        if (!o || !o->live) {
            e = ev_base(s, RS_VEVT_NOT_FOUND);
            e.code = -2011;
            respond(s, now, r, &e);
            return;
        }
        o->state = RS_OS_CANCELLED;
        clr_live(s, o);
        e = ev_base(s, RS_VEVT_STATUS);
        order_ev(o, &e);
        e.venue_ms = vms;
        respond(s, now, r, &e);
        e.req_id = 0;
        push_out(s, now + latency(s), &e, 1);
        return;
    case RS_VREQ_STATUS:
        o = find(s, r->client_id);
        if (!o) {
            e = ev_base(s, RS_VEVT_NOT_FOUND);
            e.code = -2013;
        } else {
            e = ev_base(s, RS_VEVT_STATUS);
            order_ev(o, &e);
        }
        respond(s, now, r, &e);
        return;
    case RS_VREQ_OPEN_ORDERS: {
        /* One latency for the whole answer: it is one message on the wire. */
        int64_t due = now + latency(s);
        for (FOR_LIVE(s, i)) {
            o = &s->orders[i];
            if (o->sym == r->sym) {
                e = ev_base(s, RS_VEVT_STATUS);
                order_ev(o, &e);
                respond_at(s, due, r, &e);
            }
        }
        e = ev_base(s, RS_VEVT_LIST_END);
        e.list_kind = RS_VREQ_OPEN_ORDERS;
        respond_at(s, due, r, &e);
        return;
    }
    case RS_VREQ_MY_TRADES: {
        int64_t due = now + latency(s);
        uint64_t first = s->n_trades > s->p.max_trades ? s->n_trades - s->p.max_trades : 0;
        int sent = 0;
        for (uint64_t i = first; i < s->n_trades && sent < RS_VREQ_TRADES_PAGE; i++) {
            const sim_trade *t = &s->trades[i % s->p.max_trades];
            if (t->sym != r->sym || t->trade_id < r->from_trade_id || (!r->from_trade_id && t->ts_ms < r->from_ms))
                continue;
            /* Like Binance myTrades: no client order id, only the venue's. */
            e = ev_base(s, RS_VEVT_FILL);
            e.sym = t->sym;
            e.side = t->side;
            e.venue_order_id = t->venue_oid;
            e.trade_id = t->trade_id;
            e.px = t->px;
            e.qty = t->qty;
            e.fee = t->fee;
            e.liquidity = t->liquidity;
            e.venue_ms = t->ts_ms;
            e.req_id = r->req_id;
            push_out(s, due, &e, 0);
            sent++;
        }
        e = ev_base(s, RS_VEVT_LIST_END);
        e.list_kind = RS_VREQ_MY_TRADES;
        respond_at(s, due, r, &e);
        return;
    }
    case RS_VREQ_TIME:
        e = ev_base(s, RS_VEVT_TIME);
        e.venue_ms = vms;
        respond(s, now, r, &e);
        return;
    default:
        e = ev_base(s, RS_VEVT_LOGON_OK);
        e.list_kind = r->kind;
        respond(s, now, r, &e);
        return;
    }
}

static void advance(rs_sim *s, int64_t now)
{
    sched x;
    while (s->arr.n && s->arr.a[0].due <= now) {
        heap_pop(&s->arr, &x);
        s->in_req = measured(s);
        s->ctx_leg = x.leg;
        s->ctx_fill = x.fill_leg;
        process(s, x.due, &x.u.req);
        s->in_req = 0;
    }
}

int rs_sim_request(rs_sim *s, int64_t now, const rs_vreq *r)
{
    advance(s, now);
    sched x = {.seq = ++s->seq};
    if (measured(s)) {
        /* one measured round trip per request: half out, the rest back */
        uint32_t k = sample(s, r->kind == RS_VREQ_PLACE ? &s->lat_i : &s->lat_req_i);
        int64_t rt = s->p.lat_table[k], out = rt / 2;
        x.due = now + out;
        x.leg = rt - out;
        int64_t f = s->p.lat_fill_table ? s->p.lat_fill_table[k] : -1;
        x.fill_leg = f >= 0 ? (f > out ? f - out : 0) : x.leg;
    } else {
        x.due = now + latency(s);
    }
    x.u.req = *r;
    if (heap_push(&s->arr, &x) != RS_OK) {
        s->st.lost_events++;
        return RS_FULL;
    }
    return RS_OK;
}

static int stop_triggers(const sim_order *o, int64_t last)
{
    if (o->ord_type == RS_ORD_STOP)
        return o->side == RS_SIDE_BUY ? last >= o->px : last <= o->px;
    if (o->ord_type == RS_ORD_TAKE_PROFIT)
        return o->side == RS_SIDE_BUY ? last <= o->px : last >= o->px;
    return 0;
}

void rs_sim_on_trade(rs_sim *s, int64_t now, uint16_t sym, int64_t px, int64_t qty, uint64_t trade_id)
{
    (void)trade_id;
    advance(s, now);
    if (sym >= s->p.n_syms || px <= 0 || qty <= 0)
        return;
    s->mkt[sym].last = px;
    s->mkt[sym].tape = 1;
    int64_t avail = (int64_t)((double)qty * s->p.participation);
    if (avail < 1)
        avail = 1;
    /* Oldest orders first (arrival order), so the outcome never depends on
     * slot reuse. Orders are few; a selection pass per fill is fine. */
    uint64_t after = 0;
    while (avail > 0) {
        sim_order *o = NULL;
        for (FOR_LIVE(s, i)) {
            sim_order *c = &s->orders[i];
            if (c->sym == sym && c->seq > after && (!o || c->seq < o->seq))
                o = c;
        }
        if (!o)
            break;
        after = o->seq;
        if (!o->triggered && stop_triggers(o, px))
            o->triggered = 1;
        int64_t rem = o->qty - o->cum, q = rem < avail ? rem : avail;
        if (o->ord_type == RS_ORD_MARKET || o->triggered) {
            fill(s, now, o, slipped(s, px, o->side), q, 2);
            avail -= q;
        } else if (o->ord_type == RS_ORD_LIMIT &&
                   (o->side == RS_SIDE_BUY ? px <= o->px : px >= o->px)) {
            fill(s, now, o, o->px, q, 1);
            avail -= q;
        }
    }
}

void rs_sim_on_quote(rs_sim *s, int64_t now, uint16_t sym, int64_t bid, int64_t ask, int64_t last)
{
    advance(s, now);
    if (sym >= s->p.n_syms)
        return;
    sim_mkt *m = &s->mkt[sym];
    if (bid > 0)
        m->bid = bid;
    if (ask > 0)
        m->ask = ask;
    if (last > 0)
        m->last = last;
    /* Without a trade tape, a quote that crosses a resting order fills it
     * whole (no size information). With a tape, sizes come from the prints
     * (participation), so quotes only move the reference price. */
    if (m->tape)
        return;
    for (FOR_LIVE(s, i)) {
        sim_order *o = &s->orders[i];
        if (o->sym != sym)
            continue;
        if (!o->triggered && last > 0 && stop_triggers(o, last))
            o->triggered = 1;
        int64_t rem = o->qty - o->cum, ref = ref_px(s, sym, o->side);
        if (ref <= 0)
            continue;
        if (o->ord_type == RS_ORD_MARKET || o->triggered)
            fill(s, now, o, slipped(s, ref, o->side), rem, 2);
        else if (o->ord_type == RS_ORD_LIMIT && (o->side == RS_SIDE_BUY ? ref <= o->px : ref >= o->px))
            fill(s, now, o, o->px, rem, 1);
    }
}

int rs_sim_poll(rs_sim *s, int64_t now, rs_vevt *e)
{
    advance(s, now);
    sched x;
    while (s->out.n && s->out.a[0].due <= now) {
        heap_pop(&s->out, &x);
        if (x.account && s->f.disconnect_at_ns > 0 && x.due >= s->f.disconnect_at_ns &&
            x.due < s->f.disconnect_at_ns + s->f.disconnect_for_ns) {
            s->st.lost_events++; /* the account stream is down: gone */
            continue;
        }
        *e = x.u.ev;
        return RS_OK;
    }
    return RS_EMPTY;
}

int64_t rs_sim_position(const rs_sim *s, uint16_t sym) { return sym < s->p.n_syms ? s->pos[sym] : 0; }

void rs_sim_get_stats(const rs_sim *s, rs_sim_stats *st) { *st = s->st; }
