/* The venue side of the Binance codec: request parsing with signature
 * checks, answer and account-event formatting (for the venue simulator). */
#include <string.h>

#include <openssl/crypto.h>

#include "exec_json.h"
#include "ringside/common.h"
#include "ringside/venue_binance.h"

typedef struct wb {
    char *p, *end;
    int bad;
} wb;

static void put(wb *w, const char *s, size_t n)
{
    if ((size_t)(w->end - w->p) < n) {
        w->bad = 1;
        return;
    }
    memcpy(w->p, s, n);
    w->p += n;
}
static void puts_(wb *w, const char *s) { put(w, s, strlen(s)); }

static void put_i64(wb *w, int64_t v)
{
    char t[24];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        t[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        put(w, "-", 1);
    while (n)
        put(w, &t[--n], 1);
}

static void put_dec(wb *w, int64_t m, int exp)
{
    uint64_t u = m < 0 ? (uint64_t)0 - (uint64_t)m : (uint64_t)m, sc = (uint64_t)rs_ipow10_tab[exp];
    put(w, "\"", 1);
    if (m < 0)
        put(w, "-", 1);
    put_i64(w, (int64_t)(u / sc));
    if (exp) {
        char f[20];
        uint64_t r = u % sc;
        for (int i = exp - 1; i >= 0; i--) {
            f[i] = (char)('0' + r % 10);
            r /= 10;
        }
        put(w, ".", 1);
        put(w, f, (size_t)exp);
    }
    put(w, "\"", 1);
}

static void put_f8(wb *w, double v)
{
    put_dec(w, (int64_t)(v * 1e8 + (v >= 0 ? 0.5 : -0.5)), 8);
}

/* ---- request parsing ---------------------------------------------------------- */

typedef struct param {
    const char *k, *v;
    size_t kn, vn;
} param;

#define PMAX 24

static int kind_of_method(const js_span *m)
{
    static const struct {
        const char *m;
        int k;
    } t[] = {{"order.place", RS_VREQ_PLACE},         {"order.cancel", RS_VREQ_CANCEL},
             {"order.status", RS_VREQ_STATUS},       {"openOrders.status", RS_VREQ_OPEN_ORDERS},
             {"myTrades", RS_VREQ_MY_TRADES},        {"time", RS_VREQ_TIME},
             {"session.logon", RS_VREQ_LOGON},       {"userDataStream.subscribe", RS_VREQ_USER_SUB}};
    for (size_t i = 0; i < RS_ARRAY_LEN(t); i++)
        if (js_keyeq(m, t[i].m))
            return t[i].k;
    return 0;
}

static int pcmp(const param *a, const param *b)
{
    size_t n = a->kn < b->kn ? a->kn : b->kn;
    int c = memcmp(a->k, b->k, n);
    return c ? c : (a->kn < b->kn ? -1 : a->kn > b->kn);
}

static int is(const param *p, const char *k) { return p->kn == strlen(k) && !memcmp(p->k, k, p->kn); }

/* Fill r from the parameters; returns 0 or -1. */
static int apply_params(const rs_bn *b, param *ps, int np, rs_vreq *r, rs_bn_srv_req *out)
{
    int sym = -1;
    js_span px = {0}, qty = {0}, stop = {0};
    for (int i = 0; i < np; i++) {
        param *p = &ps[i];
        js_span v = {p->v, p->vn};
        int64_t x;
        if (is(p, "symbol")) {
            sym = rs_universe_find(b->p.u, p->v, p->vn);
            if (sym < 0)
                return -1;
        } else if (is(p, "side")) {
            r->side = p->vn == 3 && !memcmp(p->v, "BUY", 3) ? RS_SIDE_BUY : RS_SIDE_SELL;
        } else if (is(p, "type")) {
            r->ord_type = js_keyeq(&v, "MARKET")        ? RS_ORD_MARKET
                          : js_keyeq(&v, "STOP_LOSS")   ? RS_ORD_STOP
                          : js_keyeq(&v, "TAKE_PROFIT") ? RS_ORD_TAKE_PROFIT
                                                        : RS_ORD_LIMIT;
        } else if (is(p, "timeInForce")) {
            r->tif = js_keyeq(&v, "IOC") ? 1 : js_keyeq(&v, "FOK") ? 2 : 0;
        } else if (is(p, "price")) {
            px = v;
        } else if (is(p, "stopPrice")) {
            stop = v;
        } else if (is(p, "quantity")) {
            qty = v;
        } else if (is(p, "newClientOrderId") || is(p, "origClientOrderId")) {
            r->client_id = rs_clid_parse(p->v, p->vn);
            if (!r->client_id)
                return -1;
        } else if (is(p, "fromId")) {
            if (js_int(&v, &x))
                return -1;
            r->from_trade_id = (uint64_t)x;
        } else if (is(p, "startTime")) {
            if (js_int(&v, &x))
                return -1;
            r->from_ms = x;
        } else if (is(p, "timestamp")) {
            if (js_int(&v, &x))
                return -1;
            r->ts_ms = x;
        } else if (is(p, "apiKey")) {
            out->has_key = 1;
        }
    }
    if (sym >= 0) {
        r->sym = (uint16_t)sym;
        const rs_instrument *ins = &b->p.u->ins[sym];
        if ((px.p && js_dec(&px, ins->px_exp, &r->px)) || (stop.p && js_dec(&stop, ins->px_exp, &r->px)) ||
            (qty.p && js_dec(&qty, ins->qty_exp, &r->qty)))
            return -1;
    } else if (r->kind != RS_VREQ_TIME && r->kind != RS_VREQ_LOGON && r->kind != RS_VREQ_USER_SUB) {
        return -1;
    }
    return 0;
}

int rs_bn_srv_parse_ws(const rs_bn *b, const char *s, size_t n, rs_sign_key *verify, rs_bn_srv_req *out)
{
    memset(out, 0, sizeof *out);
    out->channel = 1;
    rs_vreq *r = &out->r;
    const char *p = s;
    js_span obj, v, params = {0};
    int64_t x;
    if (js_value(&p, s + n, &obj) || obj.p[0] != '{' || js_get(&obj, "id", &v) != 1 || js_int(&v, &x) || x <= 0 ||
        x > UINT32_MAX)
        return RS_BAD;
    r->req_id = (uint32_t)x;
    js_span m;
    if (js_get(&obj, "method", &v) != 1 || js_str(&v, &m) || !(r->kind = (uint8_t)kind_of_method(&m)))
        return RS_BAD;
    param ps[PMAX];
    int np = 0;
    js_span sig = {0};
    if (js_get(&obj, "params", &params) == 1) {
        size_t it = 0;
        js_span k, val;
        int rc;
        while ((rc = js_member(&params, &it, &k, &val)) == 1) {
            js_span raw = val;
            if (val.p[0] == '"' && js_str(&val, &raw))
                return RS_BAD;
            if (js_keyeq(&k, "signature")) {
                sig = raw;
                continue;
            }
            if (np == PMAX)
                return RS_BAD;
            ps[np++] = (param){k.p, raw.p, k.n, raw.n};
        }
        if (rc < 0)
            return RS_BAD;
    }
    if (apply_params(b, ps, np, r, out))
        return RS_BAD;
    if (sig.p) {
        out->has_sig = 1;
        if (verify) {
            /* payload: params sorted by name, k=v&..., raw values */
            for (int i = 1; i < np; i++)
                for (int j = i; j > 0 && pcmp(&ps[j - 1], &ps[j]) > 0; j--) {
                    param t = ps[j];
                    ps[j] = ps[j - 1];
                    ps[j - 1] = t;
                }
            char pl[2048];
            wb w = {pl, pl + sizeof pl, 0};
            for (int i = 0; i < np; i++) {
                if (i)
                    put(&w, "&", 1);
                put(&w, ps[i].k, ps[i].kn);
                put(&w, "=", 1);
                put(&w, ps[i].v, ps[i].vn);
            }
            if (!w.bad)
                out->sig_ok = (uint8_t)rs_sign_verify(verify, pl, (size_t)(w.p - pl), NULL, 0, sig.p, sig.n);
            OPENSSL_cleanse(pl, sizeof pl);
        }
    }
    return RS_OK;
}

static int unpct(const char *s, size_t n, char *o, size_t cap)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        if (j + 1 >= cap)
            return -1;
        if (s[i] == '%' && i + 2 < n) {
            int hi = s[i + 1], lo = s[i + 2];
            hi = hi <= '9' ? hi - '0' : (hi | 32) - 'a' + 10;
            lo = lo <= '9' ? lo - '0' : (lo | 32) - 'a' + 10;
            o[j++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            o[j++] = s[i];
        }
    }
    o[j] = 0;
    return (int)j;
}

int rs_bn_srv_parse_rest(const rs_bn *b, const char *s, size_t n, rs_sign_key *verify, rs_bn_srv_req *out)
{
    memset(out, 0, sizeof *out);
    out->channel = 2;
    rs_vreq *r = &out->r;
    const char *end = s + n, *sp = memchr(s, ' ', n);
    if (!sp)
        return RS_BAD;
    size_t ml = (size_t)(sp - s);
    const char *path = sp + 1, *pe = memchr(path, ' ', (size_t)(end - path));
    if (!pe)
        return RS_BAD;
    const char *q = memchr(path, '?', (size_t)(pe - path));
    size_t pl = (size_t)((q ? q : pe) - path);
#define PATH(x) (pl == strlen(x) && !memcmp(path, x, pl))
#define METH(x) (ml == strlen(x) && !memcmp(s, x, ml))
    if (PATH("/api/v3/order"))
        r->kind = METH("POST") ? RS_VREQ_PLACE : METH("DELETE") ? RS_VREQ_CANCEL : RS_VREQ_STATUS;
    else if (PATH("/api/v3/openOrders"))
        r->kind = RS_VREQ_OPEN_ORDERS;
    else if (PATH("/api/v3/myTrades"))
        r->kind = RS_VREQ_MY_TRADES;
    else if (PATH("/api/v3/time"))
        r->kind = RS_VREQ_TIME;
    else
        return RS_BAD;
#undef PATH
#undef METH
    out->has_key = memmem(pe, (size_t)(end - pe), "\nX-MBX-APIKEY:", 14) != NULL;
    param ps[PMAX];
    int np = 0;
    const char *sig = NULL;
    size_t sign_len = 0, sig_n = 0;
    if (q) {
        const char *a = q + 1;
        while (a < pe) {
            const char *amp = memchr(a, '&', (size_t)(pe - a));
            const char *e = amp ? amp : pe, *eq = memchr(a, '=', (size_t)(e - a));
            if (!eq || np == PMAX)
                return RS_BAD;
            if ((size_t)(eq - a) == 9 && !memcmp(a, "signature", 9)) {
                sig = eq + 1;
                sig_n = (size_t)(e - sig);
                sign_len = (size_t)(a - 1 - (q + 1));
            } else {
                ps[np++] = (param){a, eq + 1, (size_t)(eq - a), (size_t)(e - eq - 1)};
            }
            a = e + 1;
        }
    }
    if (apply_params(b, ps, np, r, out))
        return RS_BAD;
    if (sig) {
        out->has_sig = 1;
        if (verify) {
            char raw[RS_SIGN_MAX];
            int rn = unpct(sig, sig_n, raw, sizeof raw);
            if (rn > 0)
                out->sig_ok = (uint8_t)rs_sign_verify(verify, q + 1, sign_len, NULL, 0, raw, (size_t)rn);
        }
    }
    return RS_OK;
}

/* ---- formatting ------------------------------------------------------------------- */

static const char *status_str(uint8_t st)
{
    switch (st) {
    case RS_OS_PARTIAL: return "PARTIALLY_FILLED";
    case RS_OS_FILLED: return "FILLED";
    case RS_OS_CANCELLED: return "CANCELED";
    case RS_OS_PENDING_CANCEL: return "PENDING_CANCEL";
    case RS_OS_REJECTED: return "REJECTED";
    case RS_OS_EXPIRED: return "EXPIRED";
    default: return "NEW";
    }
}

/* The quote asset of a symbol, for commission fields. */
static const char *quote_of(const char *sym)
{
    static const char *q[] = {"FDUSD", "USDT", "USDC", "BUSD", "TUSD", "BTC", "ETH", "BNB", "EUR", "TRY"};
    size_t sl = strlen(sym);
    for (size_t i = 0; i < RS_ARRAY_LEN(q); i++) {
        size_t l = strlen(q[i]);
        if (sl > l && !strcmp(sym + sl - l, q[i]))
            return q[i];
    }
    return "";
}

static void put_clid(wb *w, uint64_t id)
{
    char c[RS_CLID_LEN + 1];
    rs_clid_format(id, c);
    put(w, "\"", 1);
    put(w, c, RS_CLID_LEN);
    put(w, "\"", 1);
}

static void order_obj(const rs_bn *b, wb *w, const rs_vevt *e, int cancel)
{
    const rs_instrument *ins = &b->p.u->ins[e->sym];
    puts_(w, "{\"symbol\":\"");
    puts_(w, ins->symbol);
    puts_(w, cancel ? "\",\"origClientOrderId\":" : "\",\"clientOrderId\":");
    put_clid(w, e->client_id);
    puts_(w, ",\"orderId\":");
    put_i64(w, (int64_t)e->venue_order_id);
    puts_(w, ",\"orderListId\":-1,\"price\":");
    put_dec(w, e->px, ins->px_exp);
    puts_(w, ",\"origQty\":");
    put_dec(w, e->qty, ins->qty_exp);
    puts_(w, ",\"executedQty\":");
    put_dec(w, e->cum_qty > 0 ? e->cum_qty : 0, ins->qty_exp);
    puts_(w, ",\"status\":\"");
    puts_(w, status_str(e->state));
    puts_(w, "\",\"side\":\"");
    puts_(w, e->side == RS_SIDE_BUY ? "BUY" : "SELL");
    puts_(w, "\",\"updateTime\":");
    put_i64(w, e->venue_ms);
    put(w, "}", 1);
}

static void trade_obj(const rs_bn *b, wb *w, const rs_vevt *e)
{
    const rs_instrument *ins = &b->p.u->ins[e->sym];
    puts_(w, "{\"symbol\":\"");
    puts_(w, ins->symbol);
    puts_(w, "\",\"id\":");
    put_i64(w, (int64_t)e->trade_id);
    puts_(w, ",\"orderId\":");
    put_i64(w, (int64_t)e->venue_order_id);
    puts_(w, ",\"orderListId\":-1,\"price\":");
    put_dec(w, e->px, ins->px_exp);
    puts_(w, ",\"qty\":");
    put_dec(w, e->qty, ins->qty_exp);
    puts_(w, ",\"commission\":");
    put_f8(w, e->fee);
    puts_(w, ",\"commissionAsset\":\"");
    puts_(w, quote_of(ins->symbol));
    puts_(w, "\",\"time\":");
    put_i64(w, e->venue_ms);
    puts_(w, e->side == RS_SIDE_BUY ? ",\"isBuyer\":true" : ",\"isBuyer\":false");
    puts_(w, e->liquidity == 1 ? ",\"isMaker\":true,\"isBestMatch\":true}" : ",\"isMaker\":false,\"isBestMatch\":true}");
}

static const char *err_msg(int32_t code)
{
    switch (code) {
    case -1003: return "Too much request weight used.";
    case -1007: return "Timeout waiting for response from backend server. Send status unknown; execution status unknown.";
    case -1013: return "Filter failure: LOT_SIZE";
    case -1015: return "Too many new orders.";
    case -1021: return "Timestamp for this request is outside of the recvWindow.";
    case -2010: return "Account has insufficient balance for requested action.";
    case -2011: return "Unknown order sent.";
    case -2013: return "Order does not exist.";
    default: return "An unknown error occurred while processing the request.";
    }
}

int rs_bn_srv_answer(const rs_bn *b, const rs_vreq *req, uint8_t channel, const rs_vevt *ev, int n, char *out,
                     size_t cap)
{
    if (n <= 0)
        return -1;
    /* The body is formatted at the back of `out` and moved behind the
     * header afterwards, so only cap bounds an answer (a my-trades page of
     * 1000 trades is ~250 KB); headers are far below HDR_ROOM. */
    enum { HDR_ROOM = 512 };
    if (cap < HDR_ROOM + 64)
        return -1;
    char *body = out + HDR_ROOM;
    wb w = {body, out + cap - 1, 0};
    const rs_vevt *last = &ev[n - 1];
    int http = 200;
    int64_t retry_ms = 0;
    if (last->kind == RS_VEVT_ERROR || last->kind == RS_VEVT_REJECT || last->kind == RS_VEVT_NOT_FOUND) {
        int32_t code = last->code;
        if (last->kind == RS_VEVT_NOT_FOUND && !code)
            code = req->kind == RS_VREQ_CANCEL ? -2011 : -2013;
        http = last->http ? last->http : 400;
        retry_ms = last->retry_after_ms;
        puts_(&w, "{\"code\":");
        put_i64(&w, code ? code : -1000);
        puts_(&w, ",\"msg\":\"");
        puts_(&w, err_msg(code));
        put(&w, "\"", 1);
        if (channel == 1 && retry_ms > 0) {
            int64_t now = last->venue_ms;
            puts_(&w, ",\"data\":{\"serverTime\":");
            put_i64(&w, now);
            puts_(&w, ",\"retryAfter\":");
            put_i64(&w, now + retry_ms);
            put(&w, "}", 1);
        }
        put(&w, "}", 1);
    } else {
        switch (req->kind) {
        case RS_VREQ_PLACE:
        case RS_VREQ_CANCEL:
        case RS_VREQ_STATUS:
            order_obj(b, &w, last, req->kind == RS_VREQ_CANCEL);
            break;
        case RS_VREQ_OPEN_ORDERS:
        case RS_VREQ_MY_TRADES: {
            put(&w, "[", 1);
            int first = 1;
            for (int i = 0; i < n; i++) {
                if (ev[i].kind == RS_VEVT_LIST_END)
                    continue;
                if (!first)
                    put(&w, ",", 1);
                first = 0;
                if (req->kind == RS_VREQ_OPEN_ORDERS)
                    order_obj(b, &w, &ev[i], 0);
                else
                    trade_obj(b, &w, &ev[i]);
            }
            put(&w, "]", 1);
            break;
        }
        case RS_VREQ_TIME:
            puts_(&w, "{\"serverTime\":");
            put_i64(&w, last->venue_ms);
            put(&w, "}", 1);
            break;
        default:
            puts_(&w, "{}");
            break;
        }
    }
    if (w.bad)
        return -1;
    size_t bl = (size_t)(w.p - body);
    wb o = {out, out + cap, 0};
    if (channel == 1) {
        puts_(&o, "{\"id\":");
        put_i64(&o, req->req_id);
        puts_(&o, ",\"status\":");
        put_i64(&o, http);
        puts_(&o, http == 200 ? ",\"result\":" : ",\"error\":");
        if (o.bad || o.p > body)
            return -1;
        memmove(o.p, body, bl);
        o.p += bl;
        put(&o, "}", 1);
    } else {
        puts_(&o, "HTTP/1.1 ");
        put_i64(&o, http);
        puts_(&o, http == 200 ? " OK" : http == 429 ? " Too Many Requests" : http == 418 ? " I'm a teapot" : " Error");
        puts_(&o, "\r\nContent-Type: application/json;charset=UTF-8\r\nContent-Length: ");
        put_i64(&o, (int64_t)bl);
        if (retry_ms > 0) {
            puts_(&o, "\r\nRetry-After: ");
            put_i64(&o, (retry_ms + 999) / 1000);
        }
        puts_(&o, "\r\n\r\n");
        if (o.bad || o.p > body)
            return -1;
        memmove(o.p, body, bl);
        o.p += bl;
    }
    return o.bad ? -1 : (int)(o.p - out);
}

int rs_bn_srv_event(const rs_bn *b, const rs_vevt *e, char *out, size_t cap)
{
    wb w = {out, out + cap, 0};
    if (e->kind == RS_VEVT_STREAM_DOWN) {
        puts_(&w, "{\"subscriptionId\":0,\"event\":{\"e\":\"eventStreamTerminated\",\"E\":");
        put_i64(&w, e->venue_ms);
        puts_(&w, "}}");
        return w.bad ? -1 : (int)(w.p - out);
    }
    if ((e->kind != RS_VEVT_ACK && e->kind != RS_VEVT_FILL && e->kind != RS_VEVT_STATUS &&
         e->kind != RS_VEVT_REJECT) ||
        e->sym >= b->p.u->n)
        return 0;
    const rs_instrument *ins = &b->p.u->ins[e->sym];
    const char *x = e->kind == RS_VEVT_ACK      ? "NEW"
                    : e->kind == RS_VEVT_FILL   ? "TRADE"
                    : e->kind == RS_VEVT_REJECT ? "REJECTED"
                    : e->state == RS_OS_CANCELLED ? "CANCELED"
                    : e->state == RS_OS_EXPIRED ? "EXPIRED"
                                                 : "REPLACED"; /* a status change without trade detail */
    int fill = e->kind == RS_VEVT_FILL;
    puts_(&w, "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":");
    put_i64(&w, e->venue_ms);
    puts_(&w, ",\"s\":\"");
    puts_(&w, ins->symbol);
    puts_(&w, "\",\"c\":");
    put_clid(&w, e->client_id);
    puts_(&w, ",\"S\":\"");
    puts_(&w, e->side == RS_SIDE_BUY ? "BUY" : "SELL");
    puts_(&w, "\",\"o\":\"LIMIT\",\"q\":");
    put_dec(&w, fill ? 0 : e->qty, ins->qty_exp);
    puts_(&w, ",\"p\":");
    put_dec(&w, fill ? 0 : e->px, ins->px_exp);
    puts_(&w, ",\"C\":\"\",\"x\":\"");
    puts_(&w, x);
    puts_(&w, "\",\"X\":\"");
    puts_(&w, e->kind == RS_VEVT_REJECT ? "REJECTED" : status_str(e->state));
    puts_(&w, "\",\"i\":");
    put_i64(&w, (int64_t)e->venue_order_id);
    puts_(&w, ",\"l\":");
    put_dec(&w, fill ? e->qty : 0, ins->qty_exp);
    puts_(&w, ",\"z\":");
    put_dec(&w, e->cum_qty > 0 ? e->cum_qty : 0, ins->qty_exp);
    puts_(&w, ",\"L\":");
    put_dec(&w, fill ? e->px : 0, ins->px_exp);
    puts_(&w, ",\"n\":");
    put_f8(&w, fill ? e->fee : 0.0);
    puts_(&w, ",\"N\":");
    if (fill) {
        put(&w, "\"", 1);
        puts_(&w, quote_of(ins->symbol));
        put(&w, "\"", 1);
    } else {
        puts_(&w, "null");
    }
    puts_(&w, ",\"T\":");
    put_i64(&w, e->venue_ms);
    puts_(&w, ",\"t\":");
    put_i64(&w, fill ? (int64_t)e->trade_id : -1);
    puts_(&w, e->liquidity == 1 ? ",\"m\":true}}" : ",\"m\":false}}");
    return w.bad ? -1 : (int)(w.p - out);
}
