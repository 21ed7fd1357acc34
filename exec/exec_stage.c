/* The exec stage: order state machine over a venue (simulated in-process or
 * Binance bytes through an outbox). Pure: time only from event timestamps. */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "ringside/common.h"
#include "ringside/exec_stage.h"

#define NS_PER_MS 1000000ll
#define OB_HDR 16u
#define OB_RESERVE 2048u
#define OB_WRAP 0xffffffffu
#define PAGE_TRADES RS_VREQ_TRADES_PAGE

typedef struct req_ent {
    uint32_t id;
    uint8_t kind, channel, live, pad;
    uint16_t sym;
    uint16_t pad2;
    uint32_t count;          /* list answers: elements seen */
    uint64_t client_id;
    int64_t sent_ts;
} req_ent;

#define BAD_KEEP 256
typedef union outrec {
    rs_rec h;
    rs_ev_exec_report er;
    rs_ev_order o;
    rs_ev_risk r;
    uint8_t bad[sizeof(rs_ev_bad_input) + BAD_KEEP];
} outrec;

typedef struct sym_state {
    int64_t pos;
    uint64_t safe_tid;       /* all our trades up to here are known (my-trades watermark) */
    uint64_t max_tid;        /* highest trade id in the current my-trades answer */
    int64_t backfill_qty;    /* signed qty back-filled since the last drift report */
    uint8_t active, oo_inflight, mt_inflight, pad;
    uint32_t recon_epoch;
    int64_t oo_sent, mt_sent; /* when the list request in flight was sent (lost-answer timeout) */
} sym_state;

typedef struct ob_hdr {
    uint32_t len;
    uint8_t channel, pad[3];
    uint32_t req_id, pad2;
} ob_hdr;

struct rs_exec {
    rs_exec_params p;
    rs_bn bn;
    rs_sim *sim;
    rs_order_table ot;
    rs_fill_set fs;
    req_ent *reqs;
    uint32_t req_mask, next_req;
    uint8_t *ob;
    uint32_t ob_cap, ob_rd, ob_wr, ob_n, ob_res;
    outrec *pend;
    uint32_t pend_n, pend_i, pend_cap;
    uint16_t last_stream, last_type;
    uint64_t last_seq;
    int64_t last_ts;
    int have_last;
    int64_t now, start_ms;
    sym_state sym[RS_MAX_SYMBOLS];
    int32_t weight_used, weight_limit, orders_used, orders_limit;
    int64_t backoff_until, backoff_cur, banned_until;
    int64_t offset_ms, last_sync, next_recon, time_sent;
    uint8_t clock_ok, time_inflight, stream_up, logged_on, started;
    uint8_t ws_up, session_inflight;   /* WS API connected; logon/subscribe in flight */
    int64_t session_at;                /* (re)try logon / subscribe from this time */
    rs_exec_stats st;
};

static size_t al64(size_t n) { return (n + 63) & ~(size_t)63; }
static uint32_t pow2(uint32_t x)
{
    uint32_t p = 16;
    while (p < x)
        p <<= 1;
    return p;
}

void rs_exec_params_default(rs_exec_params *p)
{
    memset(p, 0, sizeof *p);
    p->venue = RS_VENUE_SIM;
    p->order_channel = RS_XCH_WS;
    p->ws_sign = RS_SIGN_ED25519;
    p->max_orders = 1024;
    p->max_fills = 65536;
    p->max_reqs = 1024;
    p->outbox_bytes = 256 * 1024;
    p->max_pending_out = 4096;
    p->ack_timeout_ns = 2000 * NS_PER_MS;
    p->query_timeout_ns = 2000 * NS_PER_MS;
    p->unknown_retry_ns = 250 * NS_PER_MS;
    p->unknown_max_queries = 4;
    p->recon_interval_ns = 10000 * NS_PER_MS;
    p->backoff_ns = 1000 * NS_PER_MS;
    p->time_sync_ns = 60000 * NS_PER_MS;
    p->terminal_keep_ns = 60000 * NS_PER_MS;
    p->weight_headroom = 0.9;
    rs_bn_params_default(&p->bn);
    rs_sim_params_default(&p->sim);
}

size_t rs_exec_memsize(const rs_exec_params *p)
{
    size_t n = al64(sizeof(rs_exec)) + al64(rs_orders_memsize(p->max_orders)) +
               al64(rs_fillset_memsize(p->max_fills)) + al64((size_t)pow2(p->max_reqs) * sizeof(req_ent)) +
               al64(p->outbox_bytes) + al64((size_t)p->max_pending_out * sizeof(outrec));
    if (p->venue == RS_VENUE_SIM)
        n += al64(rs_sim_memsize(&p->sim));
    return n;
}

int rs_exec_init(void *mem, const rs_exec_params *p, rs_exec **out)
{
    if (!p->u || !p->u->n)
        return rs_err_set(EINVAL, "exec_stage.c: params.u: an instrument universe is required");
    if (!p->max_orders || !p->max_fills || !p->max_reqs || p->outbox_bytes < 4 * OB_RESERVE ||
        p->max_pending_out < 16)
        return rs_err_set(EINVAL, "exec_stage.c: max_orders/max_fills/max_reqs must be > 0, outbox_bytes >= %u, "
                                  "max_pending_out >= 16", 4 * OB_RESERVE);
    if (p->venue != RS_VENUE_SIM && p->venue != RS_VENUE_BINANCE)
        return rs_err_set(EINVAL, "exec_stage.c: params.venue %u: only SIM and BINANCE are built", p->venue);
    memset(mem, 0, rs_exec_memsize(p));
    uint8_t *m = mem;
    rs_exec *x = (rs_exec *)m;
    m += al64(sizeof(rs_exec));
    x->p = *p;
    rs_orders_init(&x->ot, m, p->max_orders);
    m += al64(rs_orders_memsize(p->max_orders));
    rs_fillset_init(&x->fs, m, p->max_fills);
    m += al64(rs_fillset_memsize(p->max_fills));
    x->reqs = (req_ent *)m;
    x->req_mask = pow2(p->max_reqs) - 1;
    m += al64((size_t)pow2(p->max_reqs) * sizeof(req_ent));
    x->ob = m;
    x->ob_cap = p->outbox_bytes & ~7u;
    m += al64(p->outbox_bytes);
    x->pend = (outrec *)m;
    x->pend_cap = p->max_pending_out;
    m += al64((size_t)p->max_pending_out * sizeof(outrec));
    if (p->venue == RS_VENUE_SIM) {
        rs_sim_params sp = p->sim;
        if (sp.n_syms > p->u->n)
            sp.n_syms = p->u->n;
        int rc = rs_sim_init(m, &sp, &x->sim);
        if (rc)
            return rc;
        x->stream_up = 1;
    } else {
        rs_bn_params bp = p->bn;
        bp.u = p->u;
        rs_sign_key *ws = NULL, *rest = NULL;
        const char *key = "";
        if (p->secrets) {
            /* A venue API key is of one type (Binance: HMAC, Ed25519 or
             * RSA) and every signed request made with it, WebSocket API and
             * REST alike, must use that type: the configured key type
             * (ws_sign) decides both, even when the secrets hold both kinds.
             * (REST used to prefer HMAC whenever one was present, which a
             * real Ed25519 key would have answered with -1022.) */
            key = p->secrets->api_key;
            ws = (p->ws_sign == RS_SIGN_ED25519 && p->secrets->ed25519.kind) ? &p->secrets->ed25519
                 : p->secrets->hmac.kind                                      ? &p->secrets->hmac
                                                                              : &p->secrets->ed25519;
            rest = ws;
        }
        int rc = rs_bn_init(&x->bn, &bp, key, ws, rest);
        if (rc)
            return rc;
        x->weight_limit = bp.weight_limit;
        x->orders_limit = bp.orders_limit;
    }
    x->clock_ok = 1;
    x->backoff_cur = p->backoff_ns;
    x->next_req = 1;
    *out = x;
    return 0;
}

void rs_exec_fini(rs_exec *x)
{
    if (x)
        OPENSSL_cleanse(x->ob, x->ob_cap);
}

const rs_exec_stats *rs_exec_get_stats(const rs_exec *x) { return &x->st; }
const rs_order *rs_exec_order(rs_exec *x, uint64_t cid) { return rs_orders_find(&x->ot, cid); }
int64_t rs_exec_position(const rs_exec *x, uint16_t sym) { return sym < RS_MAX_SYMBOLS ? x->sym[sym].pos : 0; }
rs_sim *rs_exec_sim(rs_exec *x) { return x->sim; }
int64_t rs_exec_clock_offset_ms(const rs_exec *x, int *ok)
{
    if (ok)
        *ok = x->clock_ok;
    return x->offset_ms;
}

/* ---- outbox --------------------------------------------------------------------- */

static uint8_t *ob_reserve(rs_exec *x)
{
    uint32_t need = OB_HDR + OB_RESERVE;
    if (x->ob_n == 0)
        x->ob_rd = x->ob_wr = 0;
    if (x->ob_n == 0 || x->ob_wr > x->ob_rd || (x->ob_wr == x->ob_rd && x->ob_n == 0)) {
        if (x->ob_cap - x->ob_wr >= need)
            return x->ob + x->ob_wr + OB_HDR;
        if (x->ob_rd > need) {
            if (x->ob_cap - x->ob_wr >= OB_HDR)
                ((ob_hdr *)(x->ob + x->ob_wr))->len = OB_WRAP;
            x->ob_wr = 0;
            return x->ob + OB_HDR;
        }
        return NULL;
    }
    if (x->ob_rd - x->ob_wr > need)
        return x->ob + x->ob_wr + OB_HDR;
    return NULL;
}

static void ob_commit(rs_exec *x, uint32_t len, uint8_t ch, uint32_t req_id)
{
    ob_hdr *h = (ob_hdr *)(x->ob + x->ob_wr);
    h->len = len;
    h->channel = ch;
    h->req_id = req_id;
    x->ob_wr += OB_HDR + ((len + 7) & ~7u);
    x->ob_n++;
}

static ob_hdr *ob_head(rs_exec *x)
{
    if (!x->ob_n)
        return NULL;
    if (x->ob_cap - x->ob_rd < OB_HDR || ((ob_hdr *)(x->ob + x->ob_rd))->len == OB_WRAP)
        x->ob_rd = 0;
    return (ob_hdr *)(x->ob + x->ob_rd);
}

int rs_exec_outbox_peek(rs_exec *x, rs_exec_wire *w)
{
    ob_hdr *h = ob_head(x);
    if (!h)
        return RS_EMPTY;
    w->channel = h->channel;
    w->req_id = h->req_id;
    w->len = h->len;
    w->data = (const uint8_t *)h + OB_HDR;
    return RS_OK;
}

void rs_exec_outbox_pop(rs_exec *x)
{
    ob_hdr *h = ob_head(x);
    if (!h)
        return;
    uint32_t sz = OB_HDR + ((h->len + 7) & ~7u);
    OPENSSL_cleanse(h, sz); /* the bytes may carry a signature and the API key */
    x->ob_rd += sz;
    if (--x->ob_n == 0)
        x->ob_rd = x->ob_wr = 0;
}

/* ---- outputs -------------------------------------------------------------------- */

static outrec *po(rs_exec *x, uint16_t type, uint32_t len)
{
    if (x->pend_n == x->pend_cap) {
        x->st.out_overflow++;
        return NULL;
    }
    outrec *r = &x->pend[x->pend_n++];
    memset(r, 0, sizeof *r);
    r->h.len = len;
    r->h.type = type;
    r->h.ts = x->now;
    return r;
}

static int flush(rs_exec *x, rs_emit *out)
{
    while (x->pend_i < x->pend_n) {
        const outrec *s = &x->pend[x->pend_i];
        rs_rec *r = rs_emit_claim(out, s->h.type, s->h.len);
        if (!r)
            return RS_FULL;
        memcpy((uint8_t *)r + sizeof(rs_rec), (const uint8_t *)s + sizeof(rs_rec), s->h.len - sizeof(rs_rec));
        r->ts = s->h.ts;
        rs_emit_commit(out, r);
        x->pend_i++;
    }
    x->pend_i = x->pend_n = 0;
    return RS_OK;
}

static void risk(rs_exec *x, uint16_t circuit, uint16_t sym, uint8_t action, double value, double limit,
                 const char *text)
{
    outrec *r = po(x, RS_EV_RISK, sizeof(rs_ev_risk));
    if (!r)
        return;
    r->r.circuit = circuit;
    r->r.sym = sym;
    r->r.action = action;
    r->r.value = value;
    r->r.limit = limit;
    size_t n = strlen(text);
    memcpy(r->r.text, text, n < sizeof r->r.text - 1 ? n : sizeof r->r.text - 1);
}

static void report(rs_exec *x, const rs_order *o, const rs_vevt *f, uint8_t source, int32_t rej)
{
    outrec *r = po(x, RS_EV_EXEC_REPORT, sizeof(rs_ev_exec_report));
    if (!r)
        return;
    x->st.reports++;
    rs_ev_exec_report *e = &r->er;
    e->sym = o->sym;
    e->state = o->state;
    e->side = o->side;
    e->source = source;
    e->client_id = o->client_id;
    e->venue_order_id = o->venue_order_id;
    e->cum_qty = o->cum_qty;
    e->leaves_qty = rs_ord_terminal(o->state) ? 0 : o->qty - o->cum_qty;
    e->reject_code = rej;
    if (f) {
        e->is_fill = 1;
        e->liquidity = f->liquidity;
        e->trade_id = f->trade_id;
        e->last_px = f->px;
        e->last_qty = f->qty;
        e->fee = f->fee;
    }
}

/* A report for an intent that never became an order. */
static void intent_reject(rs_exec *x, const rs_ev_intent *in, int32_t code)
{
    rs_order o;
    memset(&o, 0, sizeof o);
    o.client_id = in->kind == RS_INT_NEW ? in->client_id : in->target_id;
    o.sym = in->sym;
    o.side = in->side;
    o.state = RS_OS_REJECTED;
    o.qty = in->qty;
    x->st.local_rejects++;
    report(x, &o, NULL, x->sim ? RS_VSRC_SIM : RS_VSRC_WS, code);
}

static void set_state(rs_exec *x, rs_order *o, uint8_t s, int32_t code)
{
    if (o->state == s && !code)
        return;
    o->state = s;
    o->updated_ts = x->now;
    report(x, o, NULL, x->sim ? RS_VSRC_SIM : RS_VSRC_WS, code);
}

/* ---- requests --------------------------------------------------------------------- */

static req_ent *req_get(rs_exec *x, uint32_t id)
{
    if (!id)
        return NULL;
    req_ent *q = &x->reqs[id & x->req_mask];
    return q->id == id && q->live ? q : NULL;
}

static int64_t venue_ms_now(const rs_exec *x) { return x->now / NS_PER_MS + x->offset_ms; }

/* Put one request on the wire (sim or outbox) and journal it as RS_EV_ORDER.
 * Returns the request id, or 0 if nothing could be sent. */
static uint32_t send_req(rs_exec *x, rs_vreq *r, uint8_t channel, const rs_order *o)
{
    /* Queries add weight: none while banned or backing off (a ban grows
     * with every request). Orders and cancels were gated by the caller. */
    if (r->kind != RS_VREQ_PLACE && r->kind != RS_VREQ_CANCEL &&
        (x->now < x->banned_until || x->now < x->backoff_until))
        return 0;
    r->req_id = x->next_req;
    x->next_req = (x->next_req + 1) & 0x0fffffffu;
    if (!x->next_req)
        x->next_req = 1;
    r->ts_ms = venue_ms_now(x);
    uint32_t wire = 0;
    if (x->sim) {
        if (rs_sim_request(x->sim, x->now, r) != RS_OK) {
            x->st.outbox_full++;
            return 0;
        }
    } else {
        uint8_t *dst = ob_reserve(x);
        int n = -1;
        if (dst)
            n = channel == RS_XCH_REST ? rs_bn_rest_request(&x->bn, r, (char *)dst, OB_RESERVE)
                                       : rs_bn_ws_request(&x->bn, r, (char *)dst, OB_RESERVE);
        if (n < 0) {
            x->st.outbox_full++;
            risk(x, RS_XRISK_OUTBOX, r->sym, 0, (double)x->ob_n, 0, "outbox full or request not encodable");
            return 0;
        }
        ob_commit(x, (uint32_t)n, channel, r->req_id);
        /* Credentials excluded: the record must not depend on the key (a
         * replay signs with a stand-in key of the same type). */
        wire = (uint32_t)n - (x->bn.last_cred_len <= (uint32_t)n ? x->bn.last_cred_len : 0);
    }
    req_ent *q = &x->reqs[r->req_id & x->req_mask];
    *q = (req_ent){.id = r->req_id, .kind = r->kind, .channel = channel, .live = 1, .sym = r->sym,
                   .client_id = r->client_id, .sent_ts = x->now};
    outrec *rec = po(x, RS_EV_ORDER, sizeof(rs_ev_order));
    if (rec) {
        rs_ev_order *e = &rec->o;
        e->sym = r->sym;
        e->side = r->side;
        e->ord_type = r->ord_type;
        e->kind = r->kind == RS_VREQ_PLACE ? RS_INT_NEW : r->kind == RS_VREQ_CANCEL ? RS_INT_CANCEL : RS_INT_QUERY;
        e->tif = r->tif;
        e->reduce_only = o ? o->reduce_only : 0;
        e->client_id = r->client_id;
        e->px = r->px;
        e->qty = r->qty;
        e->wire_bytes = wire;
        e->attempt = o ? (uint32_t)o->attempts + o->queries : 0;
        e->pad = r->kind;
    }
    return r->req_id;
}

static uint8_t query_channel(const rs_exec *x) { return x->sim ? 0 : RS_XCH_REST; }
static uint8_t order_channel(const rs_exec *x) { return x->sim ? 0 : x->p.order_channel; }

static void send_time(rs_exec *x)
{
    if (x->time_inflight)
        return;
    rs_vreq r = {.kind = RS_VREQ_TIME};
    if (send_req(x, &r, query_channel(x), NULL)) {
        x->time_inflight = 1;
        x->time_sent = x->now;
    }
}

static void send_status(rs_exec *x, rs_order *o)
{
    rs_vreq r = {.kind = RS_VREQ_STATUS, .sym = o->sym, .client_id = o->client_id};
    uint32_t id = send_req(x, &r, query_channel(x), o);
    if (id) {
        o->queries++;
        x->st.queries++;
    }
    o->req_id = id;
    o->inflight = id ? RS_IF_STATUS : RS_IF_NONE;
    o->next_ts = x->now + (id ? x->p.query_timeout_ns : x->p.unknown_retry_ns);
}

enum { GATE_OK = 0, GATE_HOLD = 1 };

static int rate_blocked(rs_exec *x)
{
    if (x->now < x->backoff_until)
        return 1;
    double h = x->p.weight_headroom;
    if ((x->weight_limit > 0 && x->weight_used >= h * x->weight_limit) ||
        (x->orders_limit > 0 && x->orders_used >= h * x->orders_limit)) {
        /* Self-throttle before the venue says 429: wait one backoff, then
         * try again with fresh counters from the next answer. */
        x->backoff_until = x->now + x->backoff_cur;
        x->weight_used = x->orders_used = 0;
        x->st.rate_backoffs++;
        risk(x, RS_XRISK_RATE, 0xffff, 1, (double)x->backoff_cur / NS_PER_MS, 0, "rate headroom: backing off");
        return 1;
    }
    return 0;
}

/* May this traffic go out now? Kill-path traffic (cancels, RS_PUR_KILL
 * orders) passes a 429 backoff and is held -- never dropped -- during a ban
 * or an untrusted clock; anything else is refused with a local code. */
static int gate(rs_exec *x, int kill)
{
    if (x->now < x->banned_until)
        return kill ? GATE_HOLD : RS_XREJ_BANNED;
    if (!x->clock_ok)
        return kill ? GATE_HOLD : RS_XREJ_CLOCK;
    if (!kill && rate_blocked(x))
        return RS_XREJ_RATE;
    return GATE_OK;
}

static int64_t hold_until(const rs_exec *x)
{
    int64_t t = x->now + x->p.unknown_retry_ns;
    if (x->banned_until > t)
        t = x->banned_until;
    return t;
}

static void send_place(rs_exec *x, rs_order *o)
{
    rs_vreq r = {.kind = RS_VREQ_PLACE, .side = o->side, .ord_type = o->ord_type, .tif = o->tif, .sym = o->sym,
                 .client_id = o->client_id, .px = o->px, .qty = o->qty};
    o->attempts++;
    uint32_t id = send_req(x, &r, order_channel(x), o);
    if (!id) {
        set_state(x, o, RS_OS_REJECTED, RS_XREJ_OUTBOX);
        x->st.local_rejects++;
        o->inflight = RS_IF_NONE;
        o->next_ts = 0;
        return;
    }
    x->st.places++;
    o->req_id = id;
    o->inflight = RS_IF_PLACE;
    o->sent_ts = x->now;
    o->next_ts = x->now + x->p.ack_timeout_ns;
}

static void send_cancel(rs_exec *x, rs_order *o)
{
    o->cancel_wanted = 1;
    if (rs_ord_terminal(o->state)) {
        o->cancel_wanted = 0;
        return;
    }
    if (o->inflight == RS_IF_HELD && o->state == RS_OS_PENDING_NEW) {
        /* never reached the venue: cancel locally */
        o->inflight = RS_IF_NONE;
        o->next_ts = 0;
        o->cancel_wanted = 0;
        set_state(x, o, RS_OS_CANCELLED, 0);
        return;
    }
    /* Wait for the ack / the unknown to resolve; the timer sends it then. */
    if (o->state == RS_OS_PENDING_NEW || o->state == RS_OS_UNKNOWN || o->inflight != RS_IF_NONE)
        return;
    if (gate(x, 1) != GATE_OK) {
        o->next_ts = hold_until(x);
        return;
    }
    rs_vreq r = {.kind = RS_VREQ_CANCEL, .side = o->side, .sym = o->sym, .client_id = o->client_id};
    uint32_t id = send_req(x, &r, order_channel(x), o);
    if (!id) {
        o->next_ts = x->now + x->p.unknown_retry_ns;
        return;
    }
    x->st.cancels++;
    o->req_id = id;
    o->inflight = RS_IF_CANCEL;
    o->next_ts = x->now + x->p.query_timeout_ns;
    if (o->state != RS_OS_PENDING_CANCEL)
        o->prev_state = o->state;
    set_state(x, o, RS_OS_PENDING_CANCEL, 0);
}

static int can_logon(const rs_exec *x)
{
    return !x->sim && x->p.secrets && x->p.secrets->ed25519.kind && x->p.ws_sign == RS_SIGN_ED25519;
}

/* The account stream needs session.logon then userDataStream.subscribe;
 * either may fail (rate limit, clock): the timer retries from session_at. */
static void session_step(rs_exec *x)
{
    if (x->sim || !x->ws_up || x->session_inflight || x->stream_up || x->now < x->session_at || !x->clock_ok)
        return;
    rs_vreq r = {.kind = x->logged_on || !can_logon(x) ? RS_VREQ_USER_SUB : RS_VREQ_LOGON};
    if (r.kind == RS_VREQ_USER_SUB && !x->logged_on)
        return; /* HMAC-only: no WS account stream; REST polling covers it */
    if (send_req(x, &r, RS_XCH_WS, NULL))
        x->session_inflight = 1;
}

static void start_recon(rs_exec *x, int sym_only)
{
    x->st.recons++;
    for (uint16_t s = 0; s < x->p.u->n; s++) {
        sym_state *ss = &x->sym[s];
        if ((sym_only >= 0 && s != sym_only) || (!ss->active && sym_only < 0))
            continue;
        ss->active = 1;
        if (!ss->oo_inflight) {
            rs_vreq r = {.kind = RS_VREQ_OPEN_ORDERS, .sym = s};
            ss->recon_epoch++;
            if (send_req(x, &r, query_channel(x), NULL)) {
                ss->oo_inflight = 1;
                ss->oo_sent = x->now;
            }
        }
        if (!ss->mt_inflight) {
            rs_vreq r = {.kind = RS_VREQ_MY_TRADES, .sym = s, .from_trade_id = ss->safe_tid ? ss->safe_tid + 1 : 0,
                         .from_ms = x->start_ms};
            ss->max_tid = ss->safe_tid;
            if (send_req(x, &r, query_channel(x), NULL)) {
                ss->mt_inflight = 1;
                ss->mt_sent = x->now;
            }
        }
    }
}

/* ---- applying venue events ------------------------------------------------------------ */

static void ack_like(rs_exec *x, rs_order *o, const rs_vevt *e, uint8_t rk)
{
    if (e->venue_order_id)
        o->venue_order_id = e->venue_order_id;
    if (o->inflight == RS_IF_PLACE) {
        /* Evidence the order exists (an account-stream ack may beat the
         * answer): the placement is settled. */
        o->inflight = RS_IF_NONE;
        o->next_ts = 0;
    }
    if (e->cum_qty > o->venue_cum)
        o->venue_cum = e->cum_qty;
    uint8_t nw = e->state ? e->state : RS_OS_ACKED, old = o->state;
    if (rs_ord_terminal(old) && !(old == RS_OS_REJECTED && o->local_reject))
        nw = old;
    else {
        if (old == RS_OS_REJECTED && o->local_reject) {
            o->local_reject = 0;
            risk(x, RS_XRISK_UNRESOLVED, o->sym, 5, (double)o->client_id, 0,
                 "order declared not-found exists at venue");
        }
        if (old == RS_OS_UNKNOWN && nw != RS_OS_UNKNOWN)
            x->st.resolved_unknowns++;
        if (nw == RS_OS_PENDING_NEW)
            nw = RS_OS_ACKED;
        if (nw == RS_OS_ACKED && o->cum_qty > 0)
            nw = RS_OS_PARTIAL;
        if ((nw == RS_OS_ACKED || nw == RS_OS_PARTIAL) && o->inflight == RS_IF_CANCEL)
            nw = RS_OS_PENDING_CANCEL;
        if (nw == RS_OS_ACKED && old == RS_OS_PARTIAL)
            nw = RS_OS_PARTIAL;
        if (nw == RS_OS_PENDING_CANCEL && rk != RS_VREQ_CANCEL && o->inflight != RS_IF_CANCEL && old != nw)
            o->prev_state = old;
    }
    set_state(x, o, nw, 0);
    if (o->venue_cum > o->cum_qty) {
        /* The venue has executions we have not seen (dropped fill events):
         * fetch them now instead of waiting for the reconciliation timer. */
        sym_state *ss = &x->sym[o->sym];
        if (!ss->mt_inflight) {
            risk(x, RS_XRISK_FILL_GAP, o->sym, 0, (double)(o->venue_cum - o->cum_qty), 0,
                 "venue cum qty > fills seen: back-filling");
            start_recon(x, o->sym);
        }
    }
    if (rs_ord_terminal(o->state)) {
        o->cancel_wanted = 0;
        if (o->inflight == RS_IF_NONE)
            o->next_ts = 0;
    } else if (o->cancel_wanted && o->inflight == RS_IF_NONE) {
        send_cancel(x, o);
    }
}

static void apply_fill(rs_exec *x, const rs_vevt *e, req_ent *q, rs_order *o)
{
    if (!e->trade_id || e->sym >= x->p.u->n || e->qty <= 0) {
        x->st.bad_msgs++;
        return;
    }
    sym_state *ss = &x->sym[e->sym];
    int backfill = q && q->kind == RS_VREQ_MY_TRADES;
    /* The watermark moves on every trade the venue lists, known or not, so
     * the next back-fill starts after it. */
    if (backfill && e->trade_id > ss->max_tid)
        ss->max_tid = e->trade_id;
    if (rs_fillset_add(&x->fs, e->venue, e->sym, e->trade_id) == RS_SKIP) {
        x->st.dup_fills++;
        return;
    }
    ss->active = 1;
    uint8_t side = o ? o->side : e->side;
    int64_t sq = side == RS_SIDE_BUY ? e->qty : -e->qty;
    ss->pos += sq;
    x->st.fills++;
    uint8_t src = backfill ? RS_VSRC_REST : e->source;
    if (backfill) {
        x->st.backfilled++;
        ss->backfill_qty += sq;
    }
    if (!o) {
        rs_order ext;
        memset(&ext, 0, sizeof ext);
        ext.client_id = e->client_id;
        ext.venue_order_id = e->venue_order_id;
        ext.sym = e->sym;
        ext.side = side;
        ext.state = e->state ? e->state : RS_OS_FILLED;
        ext.cum_qty = e->cum_qty > 0 ? e->cum_qty : e->qty;
        ext.qty = ext.cum_qty;
        x->st.external_fills++;
        report(x, &ext, e, src, 0);
        const rs_instrument *ins = &x->p.u->ins[e->sym];
        risk(x, RS_XRISK_EXTERNAL_FILL, e->sym, 5, rs_qty_to_double(ins, sq), 0,
             "fill for unknown order adopted as external exposure");
        return;
    }
    o->cum_qty += e->qty;
    o->notional += (double)e->px * (double)e->qty;
    o->fee += e->fee;
    if (o->venue_order_id == 0)
        o->venue_order_id = e->venue_order_id;
    if (o->cum_qty > o->venue_cum)
        o->venue_cum = o->cum_qty;
    if (o->cum_qty >= o->qty)
        o->state = RS_OS_FILLED;
    else if (o->state == RS_OS_PENDING_NEW || o->state == RS_OS_ACKED || o->state == RS_OS_UNKNOWN ||
             (o->state == RS_OS_REJECTED && o->local_reject))
        o->state = RS_OS_PARTIAL;
    o->updated_ts = x->now;
    report(x, o, e, src, 0);
    if (o->state == RS_OS_FILLED) {
        o->cancel_wanted = 0;
        if (o->inflight == RS_IF_NONE)
            o->next_ts = 0;
    }
}

static void rate_hit(rs_exec *x, const rs_vevt *e)
{
    int64_t rel = e->retry_after_ms;
    if (rel > 1000000000000ll) /* absolute epoch ms (WS API retryAfter without serverTime) */
        rel -= venue_ms_now(x);
    if (e->err == RS_VERR_BANNED) {
        if (rel <= 0)
            rel = 120000; /* bans start at 2 minutes */
        x->banned_until = x->now + rel * NS_PER_MS;
        x->st.bans++;
        risk(x, RS_XRISK_BANNED, 0xffff, 1, (double)rel, 0, "418 banned: order traffic stopped, kill path held");
    } else {
        int64_t ns = rel > 0 ? rel * NS_PER_MS : x->backoff_cur;
        x->backoff_until = x->now + ns;
        if (x->backoff_cur < 60000 * NS_PER_MS)
            x->backoff_cur *= 2;
        x->st.rate_backoffs++;
        risk(x, RS_XRISK_RATE, 0xffff, 1, (double)ns / NS_PER_MS, 0, "429 rate limited: backing off");
    }
}

static void clock_bad(rs_exec *x, const rs_vevt *e)
{
    if (x->clock_ok) {
        x->st.clock_resyncs++;
        risk(x, RS_XRISK_CLOCK, 0xffff, 1, (double)x->offset_ms, (double)x->p.bn.recv_window_ms,
             "-1021 timestamp outside recvWindow: orders blocked, re-syncing");
    }
    (void)e;
    x->clock_ok = 0;
    send_time(x);
}

static void session_failed(rs_exec *x, uint8_t rk)
{
    if (rk != RS_VREQ_LOGON && rk != RS_VREQ_USER_SUB)
        return;
    x->session_inflight = 0;
    x->session_at = x->now + x->backoff_cur;
}

/* A reconciliation list request failed (any error or refusal, -1021
 * included): the next pass must be able to ask again. */
static void list_failed(rs_exec *x, const rs_vevt *e, uint8_t rk)
{
    if ((rk == RS_VREQ_OPEN_ORDERS || rk == RS_VREQ_MY_TRADES) && e->sym < RS_MAX_SYMBOLS) {
        if (rk == RS_VREQ_OPEN_ORDERS)
            x->sym[e->sym].oo_inflight = 0;
        else
            x->sym[e->sym].mt_inflight = 0;
    }
}

static void on_error(rs_exec *x, const rs_vevt *e, uint8_t rk, rs_order *o)
{
    if (e->err == RS_VERR_BANNED || e->err == RS_VERR_RATE)
        rate_hit(x, e);
    session_failed(x, rk);
    if (rk == RS_VREQ_TIME)
        x->time_inflight = 0;
    list_failed(x, e, rk);
    if (!o)
        return;
    o->inflight = RS_IF_NONE;
    if (rk == RS_VREQ_PLACE && o->state != RS_OS_PENDING_NEW && o->state != RS_OS_UNKNOWN) {
        /* The account stream already proved the order exists. */
        o->next_ts = 0;
        return;
    }
    if (rk == RS_VREQ_PLACE) {
        if (e->err == RS_VERR_UNKNOWN) {
            /* The order may exist: never re-send, find out. */
            x->st.unknowns++;
            o->next_ts = x->now + x->p.unknown_retry_ns;
            set_state(x, o, RS_OS_UNKNOWN, e->code ? e->code : e->http);
        } else if (o->purpose == RS_PUR_KILL) {
            o->inflight = RS_IF_HELD;
            o->next_ts = hold_until(x);
            if (x->backoff_until > o->next_ts)
                o->next_ts = x->backoff_until;
        } else {
            o->next_ts = 0;
            set_state(x, o, RS_OS_REJECTED, e->code ? e->code : e->http);
        }
    } else if (rk == RS_VREQ_CANCEL) {
        if (e->err == RS_VERR_UNKNOWN) {
            o->next_ts = x->now + x->p.unknown_retry_ns;
            o->cancel_wanted = 1;
            send_status(x, o);
        } else {
            o->cancel_wanted = 1;
            o->next_ts = hold_until(x);
            if (x->backoff_until > o->next_ts)
                o->next_ts = x->backoff_until;
            set_state(x, o, o->prev_state ? o->prev_state : RS_OS_ACKED, e->code ? e->code : e->http);
        }
    } else if (rk == RS_VREQ_STATUS) {
        o->next_ts = x->now + (x->p.unknown_retry_ns << (o->queries < 6 ? o->queries : 6));
    }
}

static void on_reject(rs_exec *x, const rs_vevt *e, uint8_t rk, rs_order *o)
{
    if (e->err == RS_VERR_CLOCK)
        clock_bad(x, e);
    if (rk == RS_VREQ_TIME)
        x->time_inflight = 0;
    session_failed(x, rk);
    list_failed(x, e, rk);
    if (!o)
        return;
    o->inflight = RS_IF_NONE;
    if (rk == RS_VREQ_CANCEL) {
        o->cancel_wanted = e->err == RS_VERR_CLOCK;
        o->next_ts = o->cancel_wanted ? x->now + x->p.unknown_retry_ns : 0;
        set_state(x, o, o->prev_state ? o->prev_state : RS_OS_ACKED, e->code);
        return;
    }
    if (rk == RS_VREQ_STATUS) {
        o->next_ts = x->now + x->p.unknown_retry_ns;
        return;
    }
    /* place refused (answer or account stream) */
    if (e->err == RS_VERR_CLOCK && o->purpose == RS_PUR_KILL) {
        o->inflight = RS_IF_HELD;
        o->next_ts = x->now + x->p.unknown_retry_ns;
        return;
    }
    if (rs_ord_terminal(o->state))
        return;
    o->next_ts = 0;
    set_state(x, o, RS_OS_REJECTED, e->code ? e->code : RS_XREJ_INVALID);
}

static void on_not_found(rs_exec *x, const rs_vevt *e, uint8_t rk, rs_order *o)
{
    (void)e;
    if (!o)
        return;
    o->inflight = RS_IF_NONE;
    if (rk == RS_VREQ_CANCEL) {
        /* Filled, expired, or not arrived yet: ask. */
        if (o->prev_state && o->state == RS_OS_PENDING_CANCEL)
            o->state = o->prev_state;
        send_status(x, o);
        return;
    }
    if (o->state == RS_OS_UNKNOWN || o->state == RS_OS_PENDING_NEW) {
        if (o->queries >= x->p.unknown_max_queries) {
            o->local_reject = 1;
            o->next_ts = 0;
            o->cancel_wanted = 0;
            x->st.resolved_unknowns++;
            set_state(x, o, RS_OS_REJECTED, -2013);
        } else {
            o->state = RS_OS_UNKNOWN;
            o->next_ts = x->now + (x->p.unknown_retry_ns << (o->queries < 6 ? o->queries : 6));
        }
    } else if (!rs_ord_terminal(o->state)) {
        risk(x, RS_XRISK_UNRESOLVED, o->sym, 0, (double)o->client_id, 0, "live order not found at venue");
        o->next_ts = x->now + x->p.recon_interval_ns;
    }
}

static void on_list_end(rs_exec *x, const rs_vevt *e, req_ent *q)
{
    if (!q || q->sym >= RS_MAX_SYMBOLS)
        return;
    sym_state *ss = &x->sym[q->sym];
    if (e->list_kind == RS_VREQ_OPEN_ORDERS) {
        ss->oo_inflight = 0;
        /* Orders we believe live that the venue did not list changed state
         * without telling us: ask each one. */
        uint32_t it = 0;
        rs_order *o;
        while ((o = rs_orders_next(&x->ot, &it))) {
            if (o->sym != q->sym || o->inflight != RS_IF_NONE || o->sent_ts >= q->sent_ts)
                continue;
            if ((o->state == RS_OS_ACKED || o->state == RS_OS_PARTIAL || o->state == RS_OS_PENDING_CANCEL) &&
                o->pad != ss->recon_epoch)
                send_status(x, o);
        }
        return;
    }
    if (e->list_kind == RS_VREQ_MY_TRADES) {
        ss->mt_inflight = 0;
        if (ss->max_tid > ss->safe_tid)
            ss->safe_tid = ss->max_tid;
        if (q->count >= PAGE_TRADES) {
            rs_vreq r = {.kind = RS_VREQ_MY_TRADES, .sym = q->sym, .from_trade_id = ss->safe_tid + 1};
            if (send_req(x, &r, query_channel(x), NULL)) {
                ss->mt_inflight = 1;
                ss->mt_sent = x->now;
            }
            return;
        }
        if (ss->backfill_qty) {
            const rs_instrument *ins = &x->p.u->ins[q->sym];
            risk(x, RS_XRISK_DRIFT, q->sym, 0, rs_qty_to_double(ins, ss->backfill_qty), 0,
                 "reconciliation back-filled fills: position drift corrected");
            ss->backfill_qty = 0;
        }
    }
}

static void apply(void *ctx, const rs_vevt *ev)
{
    rs_exec *x = ctx;
    rs_vevt e = *ev;
    if (e.weight_limit > 0) {
        x->weight_used = e.weight_used;
        x->weight_limit = e.weight_limit;
    } else if (e.weight_used > 0) {
        x->weight_used = e.weight_used;
    }
    if (e.orders_limit > 0) {
        x->orders_used = e.orders_used;
        x->orders_limit = e.orders_limit;
    }
    req_ent *q = req_get(x, e.req_id);
    uint8_t rk = q ? q->kind : 0;
    if (q && !e.client_id && (rk == RS_VREQ_PLACE || rk == RS_VREQ_CANCEL || rk == RS_VREQ_STATUS))
        e.client_id = q->client_id;
    if (q && e.sym == 0xffff)
        e.sym = q->sym;
    rs_order *o = rs_orders_find(&x->ot, e.client_id);
    if (!o && e.venue_order_id && e.sym < x->p.u->n)
        o = rs_orders_find_venue(&x->ot, e.sym, e.venue_order_id);
    int completes = q && e.kind != RS_VEVT_FILL && !(e.kind == RS_VEVT_STATUS && rk == RS_VREQ_OPEN_ORDERS);
    if (q && (e.kind == RS_VEVT_FILL || e.kind == RS_VEVT_STATUS))
        q->count++;
    if (completes) {
        q->live = 0;
        if (o && o->req_id == e.req_id && o->inflight != RS_IF_HELD) {
            o->inflight = RS_IF_NONE;
            o->next_ts = 0;
        }
    }
    switch (e.kind) {
    case RS_VEVT_ERROR: on_error(x, &e, rk, o); break;
    case RS_VEVT_REJECT:
        if (!rk && o && o->state == RS_OS_PENDING_CANCEL)
            rk = RS_VREQ_CANCEL;
        on_reject(x, &e, rk ? rk : RS_VREQ_PLACE, o);
        break;
    case RS_VEVT_NOT_FOUND: on_not_found(x, &e, rk, o); break;
    case RS_VEVT_ACK:
    case RS_VEVT_STATUS:
        if (o) {
            if (rk == RS_VREQ_OPEN_ORDERS && e.sym < RS_MAX_SYMBOLS)
                o->pad = x->sym[e.sym].recon_epoch;
            ack_like(x, o, &e, rk);
        } else if (rk == RS_VREQ_OPEN_ORDERS && e.state && !rs_ord_terminal(e.state)) {
            risk(x, RS_XRISK_EXTERNAL_ORDER, e.sym, 5, (double)e.venue_order_id, 0,
                 "open order at venue not in our table");
        }
        break;
    case RS_VEVT_FILL: apply_fill(x, &e, q, o); break;
    case RS_VEVT_TIME:
        if (q) {
            int64_t mid_ms = (q->sent_ts + x->now) / 2 / NS_PER_MS;
            x->offset_ms = e.venue_ms - mid_ms;
        }
        x->time_inflight = 0;
        x->last_sync = x->now;
        if (!x->clock_ok)
            risk(x, RS_XRISK_CLOCK, 0xffff, 4, (double)x->offset_ms, (double)x->p.bn.recv_window_ms,
                 "clock re-synced: orders resume");
        x->clock_ok = 1;
        break;
    case RS_VEVT_LIST_END: on_list_end(x, &e, q); break;
    case RS_VEVT_STREAM_DOWN:
        x->stream_up = 0;
        x->session_at = x->now + x->p.unknown_retry_ns; /* resubscribe from the timer */
        x->st.stream_downs++;
        risk(x, RS_XRISK_STREAM, 0xffff, 1, 0, 0, "account stream down: polling reconciles");
        break;
    case RS_VEVT_STREAM_UP:
        x->stream_up = 1;
        risk(x, RS_XRISK_STREAM, 0xffff, 4, 0, 0, "account stream up: back-filling from last trade id");
        start_recon(x, -1);
        break;
    case RS_VEVT_LOGON_OK:
        if (x->sim)
            break;
        x->session_inflight = 0;
        if (e.list_kind == RS_VREQ_LOGON) {
            x->logged_on = 1;
            rs_bn_set_session_authed(&x->bn, 1);
            session_step(x);
        } else if (e.list_kind == RS_VREQ_USER_SUB) {
            x->stream_up = 1;
            risk(x, RS_XRISK_STREAM, 0xffff, 4, 0, 0, "account stream subscribed: back-filling from last trade id");
            start_recon(x, -1);
        }
        break;
    default: break;
    }
}

/* ---- inputs ----------------------------------------------------------------------------- */

static void on_intent(rs_exec *x, const rs_ev_intent *in)
{
    x->st.intents++;
    const rs_universe *u = x->p.u;
    if (in->kind == RS_INT_NEW) {
        if (in->sym >= u->n || (in->side != RS_SIDE_BUY && in->side != RS_SIDE_SELL) || in->qty <= 0 ||
            !in->client_id || in->ord_type < RS_ORD_MARKET || in->ord_type > RS_ORD_TAKE_PROFIT ||
            (in->ord_type != RS_ORD_MARKET && in->px <= 0) || in->tif > 2) {
            intent_reject(x, in, RS_XREJ_INVALID);
            return;
        }
        if (rs_orders_find(&x->ot, in->client_id)) {
            /* Never a second order with the same id: that is how duplicates
             * happen. Report it; the original order is untouched. */
            risk(x, RS_XRISK_UNRESOLVED, in->sym, 0, (double)in->client_id, 0, "duplicate client id intent ignored");
            x->st.local_rejects++;
            return;
        }
        int kill = in->purpose == RS_PUR_KILL;
        int g = gate(x, kill);
        if (g < 0) {
            intent_reject(x, in, g);
            return;
        }
        rs_order *o = rs_orders_insert(&x->ot, in->client_id, x->now, x->p.terminal_keep_ns);
        if (!o) {
            intent_reject(x, in, RS_XREJ_FULL);
            return;
        }
        o->sym = in->sym;
        o->side = in->side;
        o->ord_type = in->ord_type;
        o->tif = in->tif;
        o->purpose = in->purpose;
        o->reduce_only = in->reduce_only;
        o->px = in->px;
        o->qty = in->qty;
        o->created_ts = x->now;
        o->venue_cum = 0;
        x->sym[in->sym].active = 1;
        set_state(x, o, RS_OS_PENDING_NEW, 0);
        if (g == GATE_HOLD) {
            o->inflight = RS_IF_HELD;
            o->next_ts = hold_until(x);
            return;
        }
        send_place(x, o);
        return;
    }
    if (in->kind == RS_INT_CANCEL) {
        rs_order *o = rs_orders_find(&x->ot, in->target_id);
        if (!o) {
            intent_reject(x, in, RS_XREJ_UNKNOWN_ORDER);
            return;
        }
        if (rs_ord_terminal(o->state)) {
            report(x, o, NULL, x->sim ? RS_VSRC_SIM : RS_VSRC_WS, 0);
            return;
        }
        send_cancel(x, o);
        return;
    }
    if (in->kind == RS_INT_CANCEL_ALL) {
        uint32_t it = 0;
        rs_order *o;
        /* The kill switch repeats its cancel-all on every retry; it must not
         * cancel the kill's own flattens. During a 418 ban they are held
         * here: each retry would cancel the held flatten locally, the gate
         * would send a new one, and after the last retry nothing would be
         * left to go out when the ban ends -- a kill that never completes. */
        while ((o = rs_orders_next(&x->ot, &it)))
            if (!rs_ord_terminal(o->state) && (in->sym == 0xffff || in->sym == o->sym) &&
                !(in->purpose == RS_PUR_KILL && o->purpose == RS_PUR_KILL))
                send_cancel(x, o);
        return;
    }
    if (in->kind == RS_INT_QUERY) {
        if (in->target_id) {
            rs_order *o = rs_orders_find(&x->ot, in->target_id);
            if (!o) {
                intent_reject(x, in, RS_XREJ_UNKNOWN_ORDER);
                return;
            }
            if (o->inflight == RS_IF_NONE)
                send_status(x, o);
            return;
        }
        start_recon(x, in->sym < u->n ? in->sym : -1);
        return;
    }
    intent_reject(x, in, RS_XREJ_INVALID);
}

static void on_timer(rs_exec *x)
{
    uint32_t it = 0;
    rs_order *o;
    while ((o = rs_orders_next(&x->ot, &it))) {
        if (!o->next_ts || o->next_ts > x->now)
            continue;
        switch (o->inflight) {
        case RS_IF_PLACE:
            /* No answer: it may or may not exist. Ask, never re-send. */
            x->st.unknowns++;
            o->inflight = RS_IF_NONE;
            set_state(x, o, RS_OS_UNKNOWN, 0);
            send_status(x, o);
            break;
        case RS_IF_CANCEL:
            o->inflight = RS_IF_NONE;
            send_status(x, o);
            break;
        case RS_IF_STATUS:
            o->inflight = RS_IF_NONE;
            if (o->queries >= 4 * x->p.unknown_max_queries) {
                risk(x, RS_XRISK_UNRESOLVED, o->sym, 5, (double)o->client_id, 0,
                     "order state unresolved: no answer to queries");
                o->queries = 0;
                o->next_ts = x->now + x->p.recon_interval_ns;
            } else {
                send_status(x, o);
            }
            break;
        case RS_IF_HELD: {
            int g = gate(x, 1);
            if (g == GATE_OK) {
                o->inflight = RS_IF_NONE;
                send_place(x, o);
            } else {
                o->next_ts = hold_until(x);
            }
            break;
        }
        default:
            o->next_ts = 0;
            if (o->state == RS_OS_UNKNOWN)
                send_status(x, o);
            else if (o->cancel_wanted)
                send_cancel(x, o);
            break;
        }
    }
    /* A list or time request whose answer never comes (the REST connection
     * dropped with it in flight, the answer did not fit a record, the venue
     * ring was full: the transport only counts these) would otherwise hold
     * its in-flight flag for good: no reconciliation of that symbol ever
     * again (timer, fill gap or reconnect), or no clock re-sync. Lists are
     * asked again after a reconciliation interval (not query_timeout: an
     * answer merely queued behind others must not be doubled), the time after
     * query_timeout; a late answer is still applied (fills are
     * de-duplicated, the watermark only moves forward). */
    int64_t list_to = x->p.recon_interval_ns > x->p.query_timeout_ns ? x->p.recon_interval_ns : x->p.query_timeout_ns;
    for (uint16_t s = 0; s < x->p.u->n; s++) {
        sym_state *ss = &x->sym[s];
        int lost = 0;
        if (ss->oo_inflight && x->now - ss->oo_sent >= list_to)
            ss->oo_inflight = 0, lost = 1;
        if (ss->mt_inflight && x->now - ss->mt_sent >= list_to)
            ss->mt_inflight = 0, lost = 1;
        if (lost)
            start_recon(x, s);
    }
    if (x->time_inflight && x->now - x->time_sent >= x->p.query_timeout_ns)
        x->time_inflight = 0;   /* send_time below asks again when due */
    if (x->p.recon_interval_ns > 0 && x->now >= x->next_recon) {
        if (x->next_recon)
            start_recon(x, -1);
        x->next_recon = x->now + x->p.recon_interval_ns;
    }
    if (!x->clock_ok || (x->p.time_sync_ns > 0 && x->now - x->last_sync >= x->p.time_sync_ns))
        send_time(x);
    session_step(x);
}

/* The WS API connection dropped: answers to what was in flight on it will
 * never come. Rather than wait out ack_timeout, placements become UNKNOWN and
 * everything in flight is queried over REST (independent of the WS path),
 * and a reconciliation pass starts. Never re-sent. */
static void ws_lost(rs_exec *x)
{
    if (x->p.order_channel != RS_XCH_WS)
        return;
    uint32_t it = 0;
    rs_order *o;
    while ((o = rs_orders_next(&x->ot, &it))) {
        if (o->inflight == RS_IF_PLACE) {
            x->st.unknowns++;
            o->inflight = RS_IF_NONE;
            set_state(x, o, RS_OS_UNKNOWN, 0);
            send_status(x, o);
        } else if (o->inflight == RS_IF_CANCEL) {
            o->inflight = RS_IF_NONE;
            send_status(x, o);
        }
    }
    start_recon(x, -1);
}

static void bad_input(rs_exec *x, const rs_ev_raw *r, uint16_t reason)
{
    x->st.bad_msgs++;
    uint32_t n = r->n < BAD_KEEP ? r->n : BAD_KEEP;
    outrec *o = po(x, RS_EV_BAD_INPUT, (uint32_t)sizeof(rs_ev_bad_input) + n);
    if (!o)
        return;
    rs_ev_bad_input *b = (rs_ev_bad_input *)o;
    b->source = RS_STREAM_EXEC;
    b->reason = reason;
    b->conn = r->conn;
    b->n = n;
    memcpy(b->field, "venue_msg", 9);
    memcpy(b->data, r->data, n);
}

static void on_venue_msg(rs_exec *x, const rs_ev_raw *r)
{
    if (r->h.len < sizeof(rs_ev_raw) || r->n > r->h.len - sizeof(rs_ev_raw)) {
        x->st.bad_msgs++;
        return;
    }
    uint32_t ch = RS_XCONN_CH(r->conn);
    if (ch == RS_XCH_STATUS) {
        if (r->n < 2) {
            bad_input(x, r, RS_BAD_PROTOCOL);
            return;
        }
        if (r->data[0] == RS_XCH_WS) {
            if (r->data[1]) {
                x->ws_up = 1;
                x->session_inflight = 0;
                x->session_at = x->now;
                send_time(x);
                session_step(x);
            } else {
                x->ws_up = 0;
                x->logged_on = 0;
                x->session_inflight = 0;
                rs_bn_set_session_authed(&x->bn, 0);
                if (x->stream_up) {
                    x->stream_up = 0;
                    x->st.stream_downs++;
                    risk(x, RS_XRISK_STREAM, 0xffff, 1, 0, 0, "WS API down: polling reconciles");
                }
                ws_lost(x);
            }
        }
        return;
    }
    if (x->sim) {
        bad_input(x, r, RS_BAD_PROTOCOL);
        return;
    }
    int rc;
    if (ch == RS_XCH_WS) {
        uint32_t id = rs_bn_ws_id((const char *)r->data, r->n);
        req_ent *q = req_get(x, id);
        rc = rs_bn_parse_ws(&x->bn, (const char *)r->data, r->n, q ? q->kind : 0, apply, x);
    } else if (ch == RS_XCH_REST) {
        req_ent *q = req_get(x, RS_XCONN_REQ(r->conn));
        rc = rs_bn_parse_rest(&x->bn, (const char *)r->data, r->n, RS_XCONN_REQ(r->conn), q ? q->kind : 0, apply,
                              x);
    } else {
        rc = RS_BAD;
    }
    if (rc == RS_BAD)
        bad_input(x, r, RS_BAD_SYNTAX);
}

static void pump_sim(rs_exec *x)
{
    rs_vevt e;
    while (rs_sim_poll(x->sim, x->now, &e) == RS_OK)
        apply(x, &e);
}

int rs_exec_on_event(rs_exec *x, const rs_rec *in, rs_emit *out)
{
    if (x->pend_n) {
        int same = x->have_last && in->stream == x->last_stream && in->seq == x->last_seq &&
                   in->type == x->last_type && in->ts == x->last_ts;
        int rc = flush(x, out);
        if (rc != RS_OK || same)
            return rc;
    }
    x->have_last = 1;
    x->last_stream = in->stream;
    x->last_seq = in->seq;
    x->last_type = in->type;
    x->last_ts = in->ts;
    if (in->ts > x->now)
        x->now = in->ts; /* logical time never goes backwards */
    if (!x->started) {
        x->started = 1;
        x->start_ms = x->now / NS_PER_MS + x->offset_ms;
        x->next_recon = x->p.recon_interval_ns ? x->now + x->p.recon_interval_ns : 0;
        x->last_sync = x->now;
    }
    int rc = RS_OK;
    switch (in->type) {
    case RS_EV_INTENT:
        if (in->len < sizeof(rs_ev_intent)) {
            x->st.bad_msgs++;
            rc = RS_BAD;
            break;
        }
        if (x->sim)
            pump_sim(x);
        on_intent(x, (const rs_ev_intent *)in);
        break;
    case RS_EV_VENUE_MSG:
        if (in->len < sizeof(rs_ev_raw)) {
            x->st.bad_msgs++;
            rc = RS_BAD;
            break;
        }
        on_venue_msg(x, (const rs_ev_raw *)in);
        break;
    case RS_EV_TIMER:
        if (x->sim)
            pump_sim(x);
        on_timer(x);
        break;
    case RS_EV_TRADE:
        if (x->sim && in->len >= sizeof(rs_ev_trade)) {
            const rs_ev_trade *t = (const rs_ev_trade *)in;
            rs_sim_on_trade(x->sim, x->now, t->sym, t->px, t->qty, t->trade_id);
        }
        break;
    case RS_EV_MARK:
        if (x->sim && in->len >= sizeof(rs_ev_mark)) {
            const rs_ev_mark *m = (const rs_ev_mark *)in;
            rs_sim_on_quote(x->sim, x->now, m->sym, m->bid_px, m->ask_px, m->last_px);
        }
        break;
    default:
        x->st.bad_msgs++;
        rc = RS_BAD;
        break;
    }
    if (x->sim)
        pump_sim(x);
    int f = flush(x, out);
    return f != RS_OK ? f : rc;
}
