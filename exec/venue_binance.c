/* Binance Spot request builders and response parsers (no sockets). */
#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>

#include "exec_json.h"
#include "ringside/common.h"
#include "ringside/venue_binance.h"

/* ---- client ids ------------------------------------------------------------ */

void rs_clid_format(uint64_t id, char *out)
{
    static const char d[] = "0123456789abcdef";
    out[0] = 'r';
    out[1] = 's';
    for (int i = 0; i < 16; i++)
        out[2 + i] = d[(id >> (60 - 4 * i)) & 15];
    out[RS_CLID_LEN] = 0;
}

uint64_t rs_clid_parse(const char *s, size_t n)
{
    if (n != RS_CLID_LEN || s[0] != 'r' || s[1] != 's')
        return 0;
    uint64_t v = 0;
    for (int i = 2; i < RS_CLID_LEN; i++) {
        char c = s[i];
        int x = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (x < 0)
            return 0;
        v = v << 4 | (uint64_t)x;
    }
    return v;
}

/* ---- params ------------------------------------------------------------------ */

void rs_bn_params_default(rs_bn_params *p)
{
    memset(p, 0, sizeof *p);
    p->rest_host = "api.binance.com";
    p->recv_window_ms = 5000;
    p->resp_type = 2;
    p->weight_limit = 6000;
    p->orders_limit = 50;
}

int rs_bn_init(rs_bn *b, const rs_bn_params *p, const char *api_key, rs_sign_key *ws_key, rs_sign_key *rest_key)
{
    memset(b, 0, sizeof *b);
    if (!p || !p->u)
        return rs_err_set(EINVAL, "venue_binance.c: params.u (instrument universe) is required");
    b->p = *p;
    const char *h = p->rest_host ? p->rest_host : "api.binance.com";
    size_t hl = strlen(h);
    if (hl >= sizeof b->host)
        return rs_err_set(EINVAL, "venue_binance.c: rest_host too long");
    memcpy(b->host, h, hl + 1);
    b->api_key = api_key ? api_key : "";
    b->api_key_len = strlen(b->api_key);
    b->ws_key = ws_key;
    b->rest_key = rest_key;
    return 0;
}

void rs_bn_set_session_authed(rs_bn *b, int on) { b->session_authed = on; }

/* ---- writer --------------------------------------------------------------- */

typedef struct wb {
    char *p, *end;
    int bad;
} wb;

static inline void put(wb *w, const char *s, size_t n)
{
    if ((size_t)(w->end - w->p) < n) {
        w->bad = 1;
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}
static inline void puts_(wb *w, const char *s) { put(w, s, strlen(s)); }

static int fmt_u64(uint64_t v, char *o)
{
    char t[24];
    int n = 0;
    do {
        t[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = 0; i < n; i++)
        o[i] = t[n - 1 - i];
    return n;
}

static int fmt_i64(int64_t v, char *o)
{
    if (v < 0) {
        o[0] = '-';
        return 1 + fmt_u64((uint64_t)0 - (uint64_t)v, o + 1);
    }
    return fmt_u64((uint64_t)v, o);
}

/* Fixed point -> decimal with exactly `exp` decimals (Binance accepts
 * trailing zeros; the venue's tick filter is the instrument's job). */
static int fmt_dec(int64_t m, int exp, char *o)
{
    int n = 0;
    uint64_t u = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m;
    if (m < 0)
        o[n++] = '-';
    uint64_t scale = (uint64_t)rs_ipow10_tab[exp];
    n += fmt_u64(u / scale, o + n);
    if (exp > 0) {
        o[n++] = '.';
        uint64_t f = u % scale;
        for (int i = exp - 1; i >= 0; i--) {
            o[n + i] = (char)('0' + f % 10);
            f /= 10;
        }
        n += exp;
    }
    return n;
}

/* ---- parameter lists ---------------------------------------------------------- */

typedef struct kv {
    const char *k;
    const char *v;
    uint8_t vn;
    uint8_t num;   /* JSON number (unquoted) */
} kv;

#define KV_MAX 16
typedef struct kvs {
    kv a[KV_MAX];
    int n;
    char buf[512];   /* storage for formatted values */
    int used;
} kvs;

static void kv_add(kvs *l, const char *k, const char *v, int vn, int num)
{
    if (l->n < KV_MAX)
        l->a[l->n++] = (kv){k, v, (uint8_t)vn, (uint8_t)num};
}
static char *kv_room(kvs *l) { return l->buf + l->used; }
static void kv_addf(kvs *l, const char *k, int vn, int num)
{
    kv_add(l, k, l->buf + l->used, vn, num);
    l->used += vn;
}

static const char *side_str(uint8_t s) { return s == RS_SIDE_BUY ? "BUY" : "SELL"; }
static const char *tif_str(uint8_t t) { return t == 1 ? "IOC" : t == 2 ? "FOK" : "GTC"; }
static const char *type_str(const rs_vreq *r)
{
    switch (r->ord_type) {
    case RS_ORD_MARKET: return "MARKET";
    case RS_ORD_STOP: return "STOP_LOSS";
    case RS_ORD_TAKE_PROFIT: return "TAKE_PROFIT";
    default: return "LIMIT";
    }
}
static const char *resp_str(uint8_t t) { return t == 1 ? "ACK" : t == 3 ? "FULL" : "RESULT"; }

enum { CH_WS = 0, CH_REST = 1 };

/* Build the parameter list in NAME ORDER (the WS API signs sorted params;
 * REST signs what is sent, so one order serves both). */
static int build_params(rs_bn *b, const rs_vreq *r, int ch, int with_key, kvs *l)
{
    l->n = 0;
    l->used = 0;
    const rs_universe *u = b->p.u;
    int has_sym = r->kind != RS_VREQ_TIME && r->kind != RS_VREQ_LOGON && r->kind != RS_VREQ_USER_SUB;
    if (has_sym && r->sym >= u->n)
        return -1;
    const rs_instrument *ins = has_sym ? &u->ins[r->sym] : NULL;
    char clid[RS_CLID_LEN + 1];
    int signed_req = r->kind != RS_VREQ_TIME && r->kind != RS_VREQ_USER_SUB;
    if (with_key && signed_req)
        kv_add(l, "apiKey", b->api_key, (int)b->api_key_len, 0);
    switch (r->kind) {
    case RS_VREQ_PLACE:
        if (r->client_id) {
            rs_clid_format(r->client_id, clid);
            memcpy(kv_room(l), clid, RS_CLID_LEN);
            kv_addf(l, "newClientOrderId", RS_CLID_LEN, 0);
        }
        if (b->p.resp_type)
            kv_add(l, "newOrderRespType", resp_str(b->p.resp_type), (int)strlen(resp_str(b->p.resp_type)), 0);
        if (r->ord_type == RS_ORD_LIMIT)
            kv_addf(l, "price", fmt_dec(r->px, ins->px_exp, kv_room(l)), 0);
        kv_addf(l, "quantity", fmt_dec(r->qty, ins->qty_exp, kv_room(l)), 0);
        break;
    case RS_VREQ_CANCEL:
    case RS_VREQ_STATUS:
        rs_clid_format(r->client_id, clid);
        memcpy(kv_room(l), clid, RS_CLID_LEN);
        kv_addf(l, "origClientOrderId", RS_CLID_LEN, 0);
        break;
    case RS_VREQ_MY_TRADES:
        if (r->from_trade_id)
            kv_addf(l, "fromId", fmt_u64(r->from_trade_id, kv_room(l)), 1);
        kv_addf(l, "limit", fmt_u64(RS_VREQ_TRADES_PAGE, kv_room(l)), 1);
        break;
    default: break;
    }
    if (signed_req && b->p.recv_window_ms && r->kind != RS_VREQ_LOGON)
        kv_addf(l, "recvWindow", fmt_i64(b->p.recv_window_ms, kv_room(l)), 1);
    if (r->kind == RS_VREQ_PLACE) {
        kv_add(l, "side", side_str(r->side), (int)strlen(side_str(r->side)), 0);
        if (r->ord_type == RS_ORD_STOP || r->ord_type == RS_ORD_TAKE_PROFIT)
            kv_addf(l, "stopPrice", fmt_dec(r->px, ins->px_exp, kv_room(l)), 0);
    }
    if (r->kind == RS_VREQ_MY_TRADES && !r->from_trade_id && r->from_ms > 0)
        kv_addf(l, "startTime", fmt_i64(r->from_ms, kv_room(l)), 1);
    if (ins)
        kv_add(l, "symbol", ins->symbol, (int)strlen(ins->symbol), 0);
    if (r->kind == RS_VREQ_PLACE && r->ord_type == RS_ORD_LIMIT)
        kv_add(l, "timeInForce", tif_str(r->tif), 3, 0);
    if (signed_req)
        kv_addf(l, "timestamp", fmt_i64(r->ts_ms, kv_room(l)), 1);
    if (r->kind == RS_VREQ_PLACE)
        kv_add(l, "type", type_str(r), (int)strlen(type_str(r)), 0);
    (void)ch;
    return 0;
}

static int payload(const kvs *l, char *out, size_t cap)
{
    wb w = {out, out + cap, 0};
    for (int i = 0; i < l->n; i++) {
        if (i)
            put(&w, "&", 1);
        puts_(&w, l->a[i].k);
        put(&w, "=", 1);
        put(&w, l->a[i].v, l->a[i].vn);
    }
    if (w.bad || w.p == w.end)
        return -1;
    *w.p = 0;
    return (int)(w.p - out);
}

static const char *ws_method(uint8_t k)
{
    switch (k) {
    case RS_VREQ_PLACE: return "order.place";
    case RS_VREQ_CANCEL: return "order.cancel";
    case RS_VREQ_STATUS: return "order.status";
    case RS_VREQ_OPEN_ORDERS: return "openOrders.status";
    case RS_VREQ_MY_TRADES: return "myTrades";
    case RS_VREQ_TIME: return "time";
    case RS_VREQ_LOGON: return "session.logon";
    case RS_VREQ_USER_SUB: return "userDataStream.subscribe";
    default: return NULL;
    }
}

static int ws_signs(const rs_bn *b, const rs_vreq *r)
{
    if (r->kind == RS_VREQ_TIME || r->kind == RS_VREQ_USER_SUB)
        return 0;
    if (r->kind == RS_VREQ_LOGON)
        return 1;
    return !b->session_authed;
}

int rs_bn_ws_payload(rs_bn *b, const rs_vreq *r, char *out, size_t cap)
{
    kvs l;
    if (build_params(b, r, CH_WS, ws_signs(b, r), &l))
        return -1;
    return payload(&l, out, cap);
}

int rs_bn_ws_request(rs_bn *b, const rs_vreq *r, char *out, size_t cap)
{
    const char *m = ws_method(r->kind);
    if (!m)
        return -1;
    int sign = ws_signs(b, r);
    kvs l;
    if (build_params(b, r, CH_WS, sign, &l))
        return -1;
    char sig[RS_SIGN_MAX];
    int ns = 0;
    if (sign) {
        char pl[1024];
        int np = payload(&l, pl, sizeof pl);
        if (np < 0 || !b->ws_key)
            return -1;
        ns = rs_sign(b->ws_key, pl, (size_t)np, NULL, 0, sig, sizeof sig);
        OPENSSL_cleanse(pl, (size_t)np); /* it holds the API key */
        if (ns < 0)
            return -1;
    }
    wb w = {out, out + cap, 0};
    char num[24];
    puts_(&w, "{\"id\":");
    put(&w, num, (size_t)fmt_u64(r->req_id, num));
    puts_(&w, ",\"method\":\"");
    puts_(&w, m);
    put(&w, "\"", 1);
    if (l.n || sign) {
        puts_(&w, ",\"params\":{");
        for (int i = 0; i < l.n; i++) {
            if (i)
                put(&w, ",", 1);
            put(&w, "\"", 1);
            puts_(&w, l.a[i].k);
            puts_(&w, l.a[i].num ? "\":" : "\":\"");
            put(&w, l.a[i].v, l.a[i].vn);
            if (!l.a[i].num)
                put(&w, "\"", 1);
        }
        if (sign) {
            puts_(&w, l.n ? ",\"signature\":\"" : "\"signature\":\"");
            put(&w, sig, (size_t)ns);
            put(&w, "\"", 1);
        }
        put(&w, "}", 1);
    }
    put(&w, "}", 1);
    OPENSSL_cleanse(sig, sizeof sig);
    b->last_cred_len = (uint32_t)ns + (sign ? (uint32_t)b->api_key_len : 0);
    return w.bad ? -1 : (int)(w.p - out);
}

static void put_pct(wb *w, const char *s, int n)
{
    static const char hx[] = "0123456789ABCDEF";
    for (int i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
            c == '.' || c == '~') {
            put(w, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hx[c >> 4], hx[c & 15]};
            put(w, e, 3);
        }
    }
}

int rs_bn_rest_request(rs_bn *b, const rs_vreq *r, char *out, size_t cap)
{
    const char *method, *path;
    switch (r->kind) {
    case RS_VREQ_PLACE: method = "POST"; path = "/api/v3/order"; break;
    case RS_VREQ_CANCEL: method = "DELETE"; path = "/api/v3/order"; break;
    case RS_VREQ_STATUS: method = "GET"; path = "/api/v3/order"; break;
    case RS_VREQ_OPEN_ORDERS: method = "GET"; path = "/api/v3/openOrders"; break;
    case RS_VREQ_MY_TRADES: method = "GET"; path = "/api/v3/myTrades"; break;
    case RS_VREQ_TIME: method = "GET"; path = "/api/v3/time"; break;
    default: return -1;
    }
    kvs l;
    if (build_params(b, r, CH_REST, 0, &l))
        return -1;
    int sign = r->kind != RS_VREQ_TIME;
    /* The query string is what gets signed, so percent-encode it first. */
    char qs[1024];
    wb q = {qs, qs + sizeof qs, 0};
    for (int i = 0; i < l.n; i++) {
        if (i)
            put(&q, "&", 1);
        puts_(&q, l.a[i].k);
        put(&q, "=", 1);
        put_pct(&q, l.a[i].v, l.a[i].vn);
    }
    if (q.bad)
        return -1;
    size_t nq = (size_t)(q.p - qs);
    char sig[RS_SIGN_MAX];
    int ns = 0;
    if (sign) {
        if (!b->rest_key)
            return -1;
        ns = rs_sign(b->rest_key, qs, nq, NULL, 0, sig, sizeof sig);
        if (ns < 0)
            return -1;
    }
    wb w = {out, out + cap, 0};
    puts_(&w, method);
    put(&w, " ", 1);
    puts_(&w, path);
    if (nq) {
        put(&w, "?", 1);
        put(&w, qs, nq);
    }
    size_t cred = 0;
    if (sign) {
        puts_(&w, nq ? "&signature=" : "?signature=");
        char *s0 = w.p;
        put_pct(&w, sig, ns);
        cred = (size_t)(w.p - s0) + b->api_key_len;
    }
    puts_(&w, " HTTP/1.1\r\nHost: ");
    puts_(&w, b->host);
    if (sign) {
        puts_(&w, "\r\nX-MBX-APIKEY: ");
        put(&w, b->api_key, b->api_key_len);
    }
    if (r->kind == RS_VREQ_PLACE)
        puts_(&w, "\r\nContent-Length: 0");
    puts_(&w, "\r\n\r\n");
    OPENSSL_cleanse(sig, sizeof sig);
    b->last_cred_len = (uint32_t)cred;
    return w.bad ? -1 : (int)(w.p - out);
}

/* ---- parsing ------------------------------------------------------------------ */

typedef struct pctx {
    const rs_bn *b;
    rs_vevt_fn fn;
    void *ctx;
    rs_vevt base;    /* req_id, rate counters, source, http */
} pctx;

static void emit(pctx *c, rs_vevt *e) { c->fn(c->ctx, e); }

static uint8_t state_of(const js_span *v)
{
    js_span s;
    if (js_str(v, &s))
        return 0;
    if (js_keyeq(&s, "NEW"))
        return RS_OS_ACKED;
    if (js_keyeq(&s, "PARTIALLY_FILLED"))
        return RS_OS_PARTIAL;
    if (js_keyeq(&s, "FILLED"))
        return RS_OS_FILLED;
    if (js_keyeq(&s, "CANCELED"))
        return RS_OS_CANCELLED;
    if (js_keyeq(&s, "PENDING_CANCEL"))
        return RS_OS_PENDING_CANCEL;
    if (js_keyeq(&s, "REJECTED"))
        return RS_OS_REJECTED;
    if (js_keyeq(&s, "EXPIRED") || js_keyeq(&s, "EXPIRED_IN_MATCH"))
        return RS_OS_EXPIRED;
    if (js_keyeq(&s, "PENDING_NEW"))
        return RS_OS_PENDING_NEW;
    return 0;
}

static int sym_of(const rs_bn *b, const js_span *v)
{
    js_span s;
    if (js_str(v, &s))
        return -1;
    return rs_universe_find(b->p.u, s.p, s.n);
}

/* Commission to quote currency: the asset is the symbol's quote (as is) or
 * its base (times price); any other asset (BNB discounts) is not convertible
 * here and is reported as 0 -- the portfolio sees it through balances. */
static double fee_quote(const rs_bn *b, int sym, const js_span *asset, double commission, double px)
{
    js_span a;
    if (sym < 0 || js_str(asset, &a) || a.n == 0)
        return 0.0;
    const char *s = b->p.u->ins[sym].symbol;
    size_t sl = strlen(s);
    if (a.n < sl && !memcmp(s + sl - a.n, a.p, a.n))
        return commission;
    if (a.n < sl && !memcmp(s, a.p, a.n))
        return commission * px;
    return 0.0;
}

/* An order object (REST/WS result of place, cancel, status, openOrders). */
static int order_obj(pctx *c, const js_span *o, uint8_t kind)
{
    rs_vevt e = c->base;
    e.kind = kind;
    e.cum_qty = -1;
    int sym = -1;
    js_span k, v, fills = {0};
    size_t it = 0;
    int r;
    js_span px = {0}, qty = {0}, cum = {0}, clid = {0}, oclid = {0};
    while ((r = js_member(o, &it, &k, &v)) == 1) {
        int64_t x;
        if (js_keyeq(&k, "symbol"))
            sym = sym_of(c->b, &v);
        else if (js_keyeq(&k, "orderId") && !js_int(&v, &x))
            e.venue_order_id = (uint64_t)x;
        else if (js_keyeq(&k, "clientOrderId"))
            clid = v;
        else if (js_keyeq(&k, "origClientOrderId"))
            oclid = v;
        else if ((js_keyeq(&k, "transactTime") || js_keyeq(&k, "updateTime")) && !js_int(&v, &x))
            e.venue_ms = x;
        else if (js_keyeq(&k, "price"))
            px = v;
        else if (js_keyeq(&k, "origQty"))
            qty = v;
        else if (js_keyeq(&k, "executedQty"))
            cum = v;
        else if (js_keyeq(&k, "status"))
            e.state = state_of(&v);
        else if (js_keyeq(&k, "side"))
            e.side = js_streq(&v, "BUY") ? RS_SIDE_BUY : RS_SIDE_SELL;
        else if (js_keyeq(&k, "fills"))
            fills = v;
    }
    if (r < 0 || sym < 0)
        return RS_BAD;
    const rs_instrument *ins = &c->b->p.u->ins[sym];
    e.sym = (uint16_t)sym;
    js_span cs;
    /* A cancel answer's clientOrderId is the cancel's own id; the order is
     * origClientOrderId. */
    const js_span *idv = oclid.p ? &oclid : clid.p ? &clid : NULL;
    if (idv && !js_str(idv, &cs))
        e.client_id = rs_clid_parse(cs.p, cs.n);
    if ((px.p && js_dec(&px, ins->px_exp, &e.px)) || (qty.p && js_dec(&qty, ins->qty_exp, &e.qty)) ||
        (cum.p && js_dec(&cum, ins->qty_exp, &e.cum_qty)))
        return RS_BAD;
    if (kind == RS_VEVT_ACK && !e.state)
        e.state = RS_OS_ACKED;
    emit(c, &e);
    if (fills.p) {
        size_t fi = 0;
        js_span f;
        while ((r = js_elem(&fills, &fi, &f)) == 1) {
            rs_vevt x = e;
            x.kind = RS_VEVT_FILL;
            js_span fv, asset = {0};
            int64_t tid;
            double comm = 0;
            if (js_get(&f, "price", &fv) != 1 || js_dec(&fv, ins->px_exp, &x.px) ||
                js_get(&f, "qty", &fv) != 1 || js_dec(&fv, ins->qty_exp, &x.qty) ||
                js_get(&f, "tradeId", &fv) != 1 || js_int(&fv, &tid))
                return RS_BAD;
            x.trade_id = (uint64_t)tid;
            if (js_get(&f, "commission", &fv) == 1)
                js_decf(&fv, &comm);
            js_get(&f, "commissionAsset", &asset);
            x.fee = fee_quote(c->b, sym, &asset, comm, rs_px_to_double(ins, x.px));
            x.liquidity = 2; /* a fill in the placement answer took liquidity */
            emit(c, &x);
        }
        if (r < 0)
            return RS_BAD;
    }
    return RS_OK;
}

/* One element of myTrades. It names the venue order id, not our client id:
 * the exec stage maps it back. */
static int trade_obj(pctx *c, const js_span *o)
{
    rs_vevt e = c->base;
    e.kind = RS_VEVT_FILL;
    e.cum_qty = -1;
    js_span v, asset = {0};
    int64_t x;
    double comm = 0;
    int sym = js_get(o, "symbol", &v) == 1 ? sym_of(c->b, &v) : -1;
    if (sym < 0)
        return RS_BAD;
    const rs_instrument *ins = &c->b->p.u->ins[sym];
    e.sym = (uint16_t)sym;
    if (js_get(o, "id", &v) != 1 || js_int(&v, &x))
        return RS_BAD;
    e.trade_id = (uint64_t)x;
    if (js_get(o, "orderId", &v) == 1 && !js_int(&v, &x))
        e.venue_order_id = (uint64_t)x;
    if (js_get(o, "price", &v) != 1 || js_dec(&v, ins->px_exp, &e.px) || js_get(o, "qty", &v) != 1 ||
        js_dec(&v, ins->qty_exp, &e.qty))
        return RS_BAD;
    int flag;
    if (js_get(o, "isBuyer", &v) == 1 && !js_bool(&v, &flag))
        e.side = flag ? RS_SIDE_BUY : RS_SIDE_SELL;
    if (js_get(o, "isMaker", &v) == 1 && !js_bool(&v, &flag))
        e.liquidity = flag ? 1 : 2;
    if (js_get(o, "time", &v) == 1 && !js_int(&v, &x))
        e.venue_ms = x;
    if (js_get(o, "commission", &v) == 1)
        js_decf(&v, &comm);
    js_get(o, "commissionAsset", &asset);
    e.fee = fee_quote(c->b, sym, &asset, comm, rs_px_to_double(ins, e.px));
    emit(c, &e);
    return RS_OK;
}

static int exec_report(pctx *c, const js_span *o)
{
    rs_vevt e = c->base;
    js_span k, v, x = {0}, X = {0}, cl = {0}, Cl = {0}, l = {0}, L = {0}, z = {0}, q = {0}, p = {0}, n = {0},
                  N = {0};
    size_t it = 0;
    int r, sym = -1;
    int64_t t = -1, iv;
    int maker = -1;
    while ((r = js_member(o, &it, &k, &v)) == 1) {
        if (k.n != 1)
            continue;
        switch (k.p[0]) {
        case 's': sym = sym_of(c->b, &v); break;
        case 'c': cl = v; break;
        case 'C': Cl = v; break;
        case 'S': e.side = js_streq(&v, "BUY") ? RS_SIDE_BUY : RS_SIDE_SELL; break;
        case 'x': x = v; break;
        case 'X': X = v; break;
        case 'i': if (!js_int(&v, &iv)) e.venue_order_id = (uint64_t)iv; break;
        case 'l': l = v; break;
        case 'L': L = v; break;
        case 'z': z = v; break;
        case 'q': q = v; break;
        case 'p': p = v; break;
        case 'n': n = v; break;
        case 'N': N = v; break;
        case 'T': if (!js_int(&v, &iv)) e.venue_ms = iv; break;
        case 't': if (js_int(&v, &t)) t = -1; break;
        case 'm': js_bool(&v, &maker); break;
        default: break;
        }
    }
    if (r < 0 || sym < 0 || !x.p || !X.p || !z.p)
        return RS_BAD;
    const rs_instrument *ins = &c->b->p.u->ins[sym];
    e.sym = (uint16_t)sym;
    e.state = state_of(&X);
    js_span s;
    const js_span *idv = (Cl.p && Cl.n > 2) ? &Cl : cl.p ? &cl : NULL;
    if (idv && !js_str(idv, &s))
        e.client_id = rs_clid_parse(s.p, s.n);
    if (js_dec(&z, ins->qty_exp, &e.cum_qty) || (q.p && js_dec(&q, ins->qty_exp, &e.qty)) ||
        (p.p && js_dec(&p, ins->px_exp, &e.px)))
        return RS_BAD;
    if (js_streq(&x, "TRADE")) {
        e.kind = RS_VEVT_FILL;
        if (t < 0 || !l.p || !L.p || js_dec(&l, ins->qty_exp, &e.qty) || js_dec(&L, ins->px_exp, &e.px))
            return RS_BAD;
        e.trade_id = (uint64_t)t;
        e.liquidity = maker < 0 ? 0 : maker ? 1 : 2;
        double comm = 0;
        if (n.p)
            js_decf(&n, &comm);
        e.fee = N.p ? fee_quote(c->b, sym, &N, comm, rs_px_to_double(ins, e.px)) : 0.0;
    } else if (js_streq(&x, "NEW")) {
        e.kind = RS_VEVT_ACK;
    } else if (js_streq(&x, "REJECTED")) {
        e.kind = RS_VEVT_REJECT;
        e.err = RS_VERR_OTHER;
    } else {
        e.kind = RS_VEVT_STATUS; /* CANCELED, EXPIRED, REPLACED, TRADE_PREVENTION */
    }
    emit(c, &e);
    return RS_OK;
}

static int account_event(pctx *c, const js_span *ev)
{
    js_span v;
    if (js_get(ev, "e", &v) != 1)
        return RS_BAD;
    if (js_streq(&v, "executionReport"))
        return exec_report(c, ev);
    if (js_streq(&v, "eventStreamTerminated") || js_streq(&v, "listenKeyExpired")) {
        rs_vevt e = c->base;
        e.kind = RS_VEVT_STREAM_DOWN;
        emit(c, &e);
        return RS_OK;
    }
    return RS_SKIP;
}

static void classify_error(rs_vevt *e, uint8_t req_kind, const js_span *msg)
{
    int c = e->code;
    e->kind = RS_VEVT_REJECT;
    e->state = req_kind == RS_VREQ_PLACE ? RS_OS_REJECTED : 0;
    if (e->http == 418) {
        e->kind = RS_VEVT_ERROR;
        e->err = RS_VERR_BANNED;
    } else if (e->http == 429 || c == -1003 || c == -1015) {
        e->kind = RS_VEVT_ERROR;
        e->err = RS_VERR_RATE;
    } else if (e->http >= 500 || c == -1007 || c == -1006) {
        e->kind = RS_VEVT_ERROR;
        e->err = RS_VERR_UNKNOWN;
        e->state = 0;
    } else if (c == -1021) {
        e->err = RS_VERR_CLOCK;
    } else if (c == -1022 || c == -2014 || c == -2015 || e->http == 401 || e->http == 403) {
        e->err = RS_VERR_AUTH;
    } else if (c == -2013 || (c == -2011 && msg && msg->n >= 13 && !memcmp(msg->p + 1, "Unknown order", 13))) {
        e->kind = RS_VEVT_NOT_FOUND;
        e->state = 0;
    } else {
        e->err = RS_VERR_OTHER;
    }
}

static void rate_limits(pctx *c, const js_span *arr)
{
    size_t it = 0;
    js_span o, v;
    while (js_elem(arr, &it, &o) == 1) {
        int64_t cnt = 0, lim = 0, num = 0;
        if (js_get(&o, "count", &v) != 1 || js_int(&v, &cnt) || js_get(&o, "limit", &v) != 1 || js_int(&v, &lim))
            continue;
        if (js_get(&o, "rateLimitType", &v) != 1)
            continue;
        if (js_streq(&v, "REQUEST_WEIGHT")) {
            c->base.weight_used = (int32_t)cnt;
            c->base.weight_limit = (int32_t)lim;
        } else if (js_streq(&v, "ORDERS")) {
            js_span iv;
            /* The short window is the one that throttles order bursts. */
            if (js_get(&o, "interval", &iv) == 1 && js_streq(&iv, "SECOND") && js_get(&o, "intervalNum", &v) == 1 &&
                !js_int(&v, &num)) {
                c->base.orders_used = (int32_t)cnt;
                c->base.orders_limit = (int32_t)lim;
            }
        }
    }
}

static int result(pctx *c, const js_span *res, uint8_t req_kind)
{
    rs_vevt e = c->base;
    js_span v;
    int rc = RS_OK;
    switch (req_kind) {
    case RS_VREQ_PLACE: return order_obj(c, res, RS_VEVT_ACK);
    case RS_VREQ_CANCEL:
    case RS_VREQ_STATUS: return order_obj(c, res, RS_VEVT_STATUS);
    case RS_VREQ_OPEN_ORDERS:
    case RS_VREQ_MY_TRADES: {
        size_t it = 0;
        js_span o;
        int r;
        while ((r = js_elem(res, &it, &o)) == 1) {
            int x = req_kind == RS_VREQ_OPEN_ORDERS ? order_obj(c, &o, RS_VEVT_STATUS) : trade_obj(c, &o);
            if (x == RS_BAD)
                rc = RS_BAD;
        }
        if (r < 0)
            return RS_BAD;
        e.kind = RS_VEVT_LIST_END;
        e.list_kind = req_kind;
        emit(c, &e);
        return rc;
    }
    case RS_VREQ_TIME: {
        int64_t t;
        if (js_get(res, "serverTime", &v) != 1 || js_int(&v, &t))
            return RS_BAD;
        e.kind = RS_VEVT_TIME;
        e.venue_ms = t;
        emit(c, &e);
        return RS_OK;
    }
    case RS_VREQ_LOGON:
    case RS_VREQ_USER_SUB:
        e.kind = RS_VEVT_LOGON_OK;
        e.list_kind = req_kind;
        emit(c, &e);
        return RS_OK;
    default:
        e.kind = RS_VEVT_RATE;
        emit(c, &e);
        return RS_OK;
    }
}

uint32_t rs_bn_ws_id(const char *s, size_t n)
{
    const char *p = s;
    js_span obj, v;
    int64_t id;
    if (js_value(&p, s + n, &obj) || obj.p[0] != '{' || js_get(&obj, "id", &v) != 1 || js_int(&v, &id) || id < 0 ||
        id > UINT32_MAX)
        return 0;
    return (uint32_t)id;
}

int rs_bn_parse_ws(const rs_bn *b, const char *s, size_t n, uint8_t req_kind, rs_vevt_fn fn, void *ctx)
{
    pctx c = {.b = b, .fn = fn, .ctx = ctx};
    c.base.source = RS_VSRC_WS;
    c.base.venue = RS_VENUE_BINANCE;
    c.base.sym = 0xffff;
    c.base.cum_qty = -1;
    const char *p = s;
    js_span obj, v, ev;
    if (js_value(&p, s + n, &obj) || obj.p[0] != '{')
        return RS_BAD;
    if (js_get(&obj, "event", &ev) == 1)
        return account_event(&c, &ev);
    if (js_get(&obj, "data", &ev) == 1 && js_get(&obj, "stream", &v) == 1)
        return account_event(&c, &ev);
    if (js_get(&obj, "e", &v) == 1)
        return account_event(&c, &obj);
    int64_t x;
    if (js_get(&obj, "id", &v) != 1)
        return RS_BAD;
    /* Our requests use numeric ids; a string id (other clients, the docs'
     * UUIDs) is not one of ours: req_id 0. */
    c.base.req_id = js_int(&v, &x) == 0 && x > 0 && x <= UINT32_MAX ? (uint32_t)x : 0;
    if (js_get(&obj, "status", &v) != 1 || js_int(&v, &x))
        return RS_BAD;
    c.base.http = (int16_t)x;
    if (js_get(&obj, "rateLimits", &v) == 1)
        rate_limits(&c, &v);
    if (c.base.http == 200) {
        if (js_get(&obj, "result", &v) != 1)
            return RS_BAD;
        return result(&c, &v, req_kind);
    }
    rs_vevt e = c.base;
    js_span err, msg = {0}, data;
    if (js_get(&obj, "error", &err) != 1 || js_get(&err, "code", &v) != 1 || js_int(&v, &x))
        return RS_BAD;
    e.code = (int32_t)x;
    js_get(&err, "msg", &msg);
    if (js_get(&err, "data", &data) == 1) {
        int64_t ra = 0, st = 0;
        if (js_get(&data, "retryAfter", &v) == 1 && !js_int(&v, &ra)) {
            if (js_get(&data, "serverTime", &v) == 1 && !js_int(&v, &st))
                e.retry_after_ms = ra > st ? ra - st : 0;
            else
                e.retry_after_ms = ra; /* absolute: the stage compares with its clock */
        }
        if (st)
            e.venue_ms = st;
    }
    classify_error(&e, req_kind, msg.p ? &msg : NULL);
    emit(&c, &e);
    return RS_OK;
}

static int hdr_int(const char *v, const char *e, int64_t *out)
{
    while (v < e && *v == ' ')
        v++;
    int64_t x = 0;
    int any = 0;
    for (; v < e && *v >= '0' && *v <= '9'; v++, any = 1)
        x = x * 10 + (*v - '0');
    *out = x;
    return any ? 0 : -1;
}

int rs_bn_parse_rest(const rs_bn *b, const char *s, size_t n, uint32_t req_id, uint8_t req_kind, rs_vevt_fn fn,
                     void *ctx)
{
    pctx c = {.b = b, .fn = fn, .ctx = ctx};
    c.base.source = RS_VSRC_REST;
    c.base.venue = RS_VENUE_BINANCE;
    c.base.sym = 0xffff;
    c.base.cum_qty = -1;
    c.base.req_id = req_id;
    const char *end = s + n;
    if (n < 12 || memcmp(s, "HTTP/1.", 7))
        return RS_BAD;
    int64_t st;
    if (hdr_int(s + 9, s + 12, &st))
        return RS_BAD;
    c.base.http = (int16_t)st;
    const char *p = memchr(s, '\n', n);
    if (!p)
        return RS_BAD;
    p++;
    int64_t retry_s = -1;
    for (;;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return RS_BAD;
        const char *le = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
        if (le == p) {
            p = nl + 1;
            break;
        }
        const char *colon = memchr(p, ':', (size_t)(le - p));
        if (colon) {
            size_t kl = (size_t)(colon - p);
            int64_t x;
            if (kl == 20 && !strncasecmp(p, "x-mbx-used-weight-1m", 20) && !hdr_int(colon + 1, le, &x)) {
                c.base.weight_used = (int32_t)x;
                c.base.weight_limit = b->p.weight_limit;
            } else if (kl == 21 && !strncasecmp(p, "x-mbx-order-count-10s", 21) && !hdr_int(colon + 1, le, &x)) {
                c.base.orders_used = (int32_t)x;
                c.base.orders_limit = b->p.orders_limit;
            } else if (kl == 11 && !strncasecmp(p, "retry-after", 11) && !hdr_int(colon + 1, le, &x)) {
                retry_s = x;
            }
        }
        p = nl + 1;
    }
    const char *q = p;
    js_span body, v;
    int have_body = js_value(&q, end, &body) == 0;
    if (st == 200) {
        if (!have_body)
            return RS_BAD;
        return result(&c, &body, req_kind);
    }
    rs_vevt e = c.base;
    js_span msg = {0};
    int64_t code = 0;
    if (have_body && body.p[0] == '{' && js_get(&body, "code", &v) == 1 && !js_int(&v, &code))
        js_get(&body, "msg", &msg);
    e.code = (int32_t)code;
    if (retry_s >= 0)
        e.retry_after_ms = retry_s * 1000;
    classify_error(&e, req_kind, msg.p ? &msg : NULL);
    emit(&c, &e);
    return RS_OK;
}
