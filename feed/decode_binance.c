/* Binance spot / USD-M futures market streams: trade, aggTrade, bookTicker,
 * depthUpdate, raw or in the combined-stream wrapper. See decode.h for the
 * validation contract. Binance keys are single letters, so a key maps to a
 * slot by its letter (a-z: 0-25, A-Z: 26-51); the few longer keys that
 * matter get fixed slots above that. */
#include <string.h>

#include "decode_json.h"
#include "ringside/decode.h"

enum {
    S_PU = 52, S_STREAM, S_DATA, S_RESULT, S_ID, S_CODE, S_MSG, S_LASTUPD,
};
#define L(ch) ((ch) >= 'a' ? (ch) - 'a' : (ch) - 'A' + 26)

static const char *const bn_names[J_SLOTS] = {
    "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t",
    "u", "v", "w", "x", "y", "z", "A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K", "L", "M", "N",
    "O", "P", "Q", "R", "S", "T", "U", "V", "W", "X", "Y", "Z",
    [S_PU] = "pu", [S_STREAM] = "stream", [S_DATA] = "data", [S_RESULT] = "result", [S_ID] = "id",
    [S_CODE] = "code", [S_MSG] = "msg", [S_LASTUPD] = "lastUpdateId",
};

static int bn_key(const uint8_t *k, uint32_t n)
{
    if (RS_LIKELY(n == 1)) {
        uint8_t ch = k[0];
        if ((unsigned)(ch - 'a') < 26u)
            return ch - 'a';
        if ((unsigned)(ch - 'A') < 26u)
            return ch - 'A' + 26;
        return -1;
    }
    switch (n) {
    case 2:
        if (k[0] == 'p' && k[1] == 'u') return S_PU;
        if (k[0] == 'i' && k[1] == 'd') return S_ID;
        return -1;
    case 3: return memcmp(k, "msg", 3) ? -1 : S_MSG;
    case 4:
        if (!memcmp(k, "data", 4)) return S_DATA;
        if (!memcmp(k, "code", 4)) return S_CODE;
        return -1;
    case 6:
        if (!memcmp(k, "stream", 6)) return S_STREAM;
        if (!memcmp(k, "result", 6)) return S_RESULT;
        return -1;
    case 12: return memcmp(k, "lastUpdateId", 12) ? -1 : S_LASTUPD;
    default: return -1;
    }
}

#define HAS(o, s) (((o)->mask >> (s)) & 1u)

static int get_taker(jcur *c, const jobj *o, uint8_t *side)
{
    int s = L('m');
    if (!HAS(o, s))
        return j_fail(c, RS_BAD_MISSING_FIELD, c->e, "m");
    uint8_t t = o->v[s].type;
    if (t != J_TRUE && t != J_FALSE)
        return j_fail(c, RS_BAD_PROTOCOL, c->b + o->v[s].off, "m");
    /* m = buyer is the maker, so the taker (aggressor) sold. */
    *side = t == J_TRUE ? RS_SIDE_SELL : RS_SIDE_BUY;
    return RS_OK;
}

static int bn_trade(jcur *c, rs_decoder *d, const jobj *o, int agg, rs_decoded *out)
{
    rs_ev_trade *t = &out->trades[0];
    memset(t, 0, sizeof *t);
    int rc;
    if ((rc = j_get_sym(c, d, o, L('s'), "s", &t->sym)))
        return rc;
    const rs_instrument *ins = &d->u->ins[t->sym];
    if ((rc = j_get_u64(c, o, agg ? L('a') : L('t'), agg ? "a" : "t", 1, &t->trade_id)) ||
        (rc = j_get_fixed(c, o, L('p'), "p", ins->px_exp, 1, &t->px)) ||
        (rc = j_get_fixed(c, o, L('q'), "q", ins->qty_exp, 1, &t->qty)) ||
        (rc = j_get_i64(c, o, L('E'), "E", 1, &t->event_ms)) ||
        (rc = j_get_i64(c, o, L('T'), "T", 1, &t->trade_ms)) ||
        (rc = get_taker(c, o, &t->side)))
        return rc;
    if (agg) {
        if ((rc = j_get_u64(c, o, L('f'), "f", 0, &out->first_trade_id)) ||
            (rc = j_get_u64(c, o, L('l'), "l", 0, &out->last_trade_id)))
            return rc;
        if (out->first_trade_id > out->last_trade_id)
            return j_fail(c, RS_BAD_RANGE, c->b + o->v[L('l')].off, "l");
        t->flags = RS_TRADE_F_AGG;
    }
    t->venue = d->venue;
    out->sym = t->sym;
    out->n_trades = 1;
    out->kind = RS_DEC_TRADE;
    return RS_OK;
}

static int bn_bbo(jcur *c, rs_decoder *d, const jobj *o, rs_decoded *out)
{
    rs_ev_bbo *b = &out->bbo;
    memset(b, 0, sizeof *b);
    int rc;
    if ((rc = j_get_sym(c, d, o, L('s'), "s", &b->sym)))
        return rc;
    const rs_instrument *ins = &d->u->ins[b->sym];
    if ((rc = j_get_u64(c, o, L('u'), "u", 1, &b->update_id)) ||
        (rc = j_get_fixed(c, o, L('b'), "b", ins->px_exp, 1, &b->bid_px)) ||
        (rc = j_get_fixed(c, o, L('B'), "B", ins->qty_exp, 0, &b->bid_qty)) ||
        (rc = j_get_fixed(c, o, L('a'), "a", ins->px_exp, 1, &b->ask_px)) ||
        (rc = j_get_fixed(c, o, L('A'), "A", ins->qty_exp, 0, &b->ask_qty)) ||
        (rc = j_get_i64(c, o, L('E'), "E", 0, &b->event_ms)))   /* spot: no E */
        return rc;
    b->venue = d->venue;
    out->sym = b->sym;
    out->kind = RS_DEC_BBO;
    return RS_OK;
}

/* [["px","qty",...], ...] of a validated array value into lv[*cnt..cap). */
static int bn_levels(jcur *c, const jobj *o, int s, const char *name, const rs_instrument *ins, rs_level *lv,
                     uint32_t cap, uint32_t *cnt)
{
    if (!HAS(o, s))
        return j_fail(c, RS_BAD_MISSING_FIELD, c->e, name);
    const jval *a = &o->v[s];
    if (a->type != J_ARR)
        return j_fail(c, RS_BAD_PROTOCOL, c->b + a->off, name);
    /* The array was validated by j_skip: re-walk it with a cursor bounded
     * by its extent; no AGAIN can happen inside. */
    jcur w = {c->b, c->b + a->off + 1, c->b + a->off + a->len, c->err};
    uint32_t n = *cnt;
    jval px, qty, skip;
    jobj tmp;   /* reuse the fixed getters: slot 0 = price, 1 = qty */
    for (;;) {
        j_ws(&w);
        if (*w.p == ']')
            break;
        if (*w.p == ',') {
            w.p++;
            j_ws(&w);
        }
        if (*w.p != '[')
            return j_fail(c, RS_BAD_PROTOCOL, w.p, name);
        const uint8_t *lvl = w.p;
        w.p++;
        j_ws(&w);
        if (*w.p != '"')
            return j_fail(c, RS_BAD_NUMBER, w.p, name);
        j_str(&w, &px);
        j_ws(&w);
        if (*w.p != ',')
            return j_fail(c, RS_BAD_PROTOCOL, lvl, name);
        w.p++;
        j_ws(&w);
        if (*w.p != '"')
            return j_fail(c, RS_BAD_NUMBER, w.p, name);
        j_str(&w, &qty);
        j_ws(&w);
        while (*w.p == ',') {   /* extra per-level fields (OKX-style) ignored */
            w.p++;
            j_ws(&w);
            j_skip(&w, &skip, RS_DEC_MAX_DEPTH - 1);
            j_ws(&w);
        }
        w.p++;   /* ']' */
        if (n >= cap)
            return j_fail(c, RS_BAD_TOO_LARGE, lvl, name);
        tmp.mask = 3;
        tmp.v[0] = px;
        tmp.v[1] = qty;
        int rc;
        if ((rc = j_get_fixed(c, &tmp, 0, name, ins->px_exp, 1, &lv[n].px)) ||
            (rc = j_get_fixed(c, &tmp, 1, name, ins->qty_exp, 0, &lv[n].qty)))
            return rc;
        n++;
    }
    *cnt = n;
    return RS_OK;
}

static int bn_depth(jcur *c, rs_decoder *d, const jobj *o, rs_decoded *out)
{
    rs_ev_depth *x = rs_decoded_depth(out);
    memset(x, 0, sizeof *x);
    int rc;
    if ((rc = j_get_sym(c, d, o, L('s'), "s", &x->sym)))
        return rc;
    const rs_instrument *ins = &d->u->ins[x->sym];
    if ((rc = j_get_u64(c, o, L('U'), "U", 1, &x->first_update_id)) ||
        (rc = j_get_u64(c, o, L('u'), "u", 1, &x->final_update_id)) ||
        (rc = j_get_u64(c, o, S_PU, "pu", 0, &x->prev_final_update_id)) ||
        (rc = j_get_i64(c, o, L('E'), "E", 1, &x->event_ms)))
        return rc;
    if (x->first_update_id > x->final_update_id)
        return j_fail(c, RS_BAD_RANGE, c->b + o->v[L('U')].off, "U");
    uint32_t n = 0;
    if ((rc = bn_levels(c, o, L('b'), "b", ins, x->levels, RS_DEC_MAX_LEVELS, &n)))
        return rc;
    uint32_t nb = n;
    if ((rc = bn_levels(c, o, L('a'), "a", ins, x->levels, RS_DEC_MAX_LEVELS, &n)))
        return rc;
    x->n_bids = (uint16_t)nb;
    x->n_asks = (uint16_t)(n - nb);
    x->venue = d->venue;
    out->sym = x->sym;
    out->kind = RS_DEC_DEPTH;
    return RS_OK;
}

int rs_decode_binance(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
{
    jcur c = {p, p, p + n, &out->err};
    jobj top, data;
    out->kind = RS_DEC_NONE;
    out->n_trades = 0;
    out->consumed = 0;
    out->first_trade_id = out->last_trade_id = 0;
    out->err.reason = 0;
    out->err.offset = 0;
    out->err.field[0] = '\0';
    out->venue = d->venue;
    if (n > RS_DEC_MAX_MSG)
        return j_fail(&c, RS_BAD_TOO_LARGE, p, "");
    j_ws(&c);
    if (c.p >= c.e)
        return j_more(&c);
    if (*c.p != '{')
        return j_fail(&c, RS_BAD_SYNTAX, c.p, "");
    data.mask = 0;
    int rc = j_obj(&c, &top, 0, bn_key, S_DATA, &data, bn_key, bn_names);
    if (rc)
        return rc;
    j_ws(&c);
    if (c.p != c.e)
        return j_fail(&c, RS_BAD_SYNTAX, c.p, "");
    out->consumed = (uint32_t)n;

    const jobj *ev = &top;
    if (HAS(&top, S_DATA)) {
        if (top.v[S_DATA].type != J_OBJ)
            return j_fail(&c, RS_BAD_PROTOCOL, p + top.v[S_DATA].off, "data");
        ev = &data;
    }
    int e = L('e');
    if (HAS(ev, e)) {
        const jval *v = &ev->v[e];
        if (v->type != J_STR)
            return j_fail(&c, RS_BAD_PROTOCOL, p + v->off, "e");
        if (j_str_eq(&c, v, "trade", 5))
            return bn_trade(&c, d, ev, 0, out);
        if (j_str_eq(&c, v, "aggTrade", 8))
            return bn_trade(&c, d, ev, 1, out);
        if (j_str_eq(&c, v, "depthUpdate", 11))
            return bn_depth(&c, d, ev, out);
        if (j_str_eq(&c, v, "bookTicker", 10))
            return bn_bbo(&c, d, ev, out);
        out->kind = j_str_eq(&c, v, "serverShutdown", 14) ? RS_DEC_CONTROL : RS_DEC_OTHER;
        return RS_OK;
    }
    /* Spot bookTicker has no event type: recognise it by its fields. */
    if (HAS(ev, L('u')) && HAS(ev, L('s')) && HAS(ev, L('b')) && HAS(ev, L('a')))
        return bn_bbo(&c, d, ev, out);
    if (HAS(&top, S_RESULT) || HAS(&top, S_CODE) || (HAS(&top, S_ID) && !HAS(&top, S_DATA))) {
        out->kind = RS_DEC_CONTROL;
        return RS_OK;
    }
    if (HAS(ev, S_LASTUPD)) {   /* partial book depth snapshot stream */
        out->kind = RS_DEC_OTHER;
        return RS_OK;
    }
    return j_fail(&c, RS_BAD_MISSING_FIELD, c.e, "e");
}
