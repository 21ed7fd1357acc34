/* Binance spot / USD-M futures market streams: trade, aggTrade, bookTicker,
 * depthUpdate, raw or in the combined-stream wrapper. See decode.h for the
 * validation contract. Binance keys are single letters, so a key maps to a
 * slot by its letter (a-z: 0-25, A-Z: 26-51); the few longer keys that
 * matter get fixed slots above that. */
#include <string.h>

#include "decode_json.h"
#include "decode_spec.h"
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

static inline __attribute__((always_inline)) int bn_key(const uint8_t *k, uint32_t n)
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
        if (out->first_trade_id > out->last_trade_id)   /* "l" may be absent (0): point at "f" then */
            return j_fail(c, RS_BAD_RANGE, c->b + o->v[HAS(o, L('l')) ? L('l') : L('f')].off, "l");
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

static int bn_slow(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
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

/* ---- template path: the documented field order, compact ---------------
 * Binance emits trade/aggTrade/bookTicker with a fixed key order. Matching
 * that layout literally (constant-size compares, numbers converted as they
 * are read) is the cheapest way through; any deviation -- other order, a
 * legacy or new key, whitespace, escapes -- drops to bn_fast (any order),
 * which drops to the validating scanner. All three agree on what they
 * accept. */
#define T_LIT(s)                                                                   \
    do {                                                                           \
        if ((size_t)(e - p) < sizeof(s) - 1 || memcmp(p, s, sizeof(s) - 1) != 0)  \
            return J_FB;                                                           \
        p += sizeof(s) - 1;                                                        \
    } while (0)

static inline int t_int(const uint8_t **pp, const uint8_t *e, uint64_t *v)
{
    if (f_uint(pp, e, v))
        return J_FB;
    return 0;
}

static inline int t_sym(rs_decoder *d, const uint8_t **pp, const uint8_t *e, uint16_t *sym)
{
    const uint8_t *p = *pp, *s = p;
    int q = f_str16(p, e);
    if (q >= 0)
        p += q;
    else
        p = f_scan_str(p, e - s > RS_SYMBOL_MAX ? s + RS_SYMBOL_MAX : e);
    if (p >= e || *p != '"')
        return J_FB;
    int i = f_symbol(d, s, (uint32_t)(p - s), e);
    if (i < 0)
        return J_FB;
    *sym = (uint16_t)i;
    *pp = p;
    return 0;
}

static inline int t_bool_tail(const uint8_t **pp, const uint8_t *e, uint8_t *side)
{
    /* "m":<bool>[,"M":<bool>]} */
    const uint8_t *p = *pp;
    if (e - p >= 4 && !memcmp(p, "true", 4)) {
        *side = RS_SIDE_SELL;
        p += 4;
    } else if (e - p >= 5 && !memcmp(p, "false", 5)) {
        *side = RS_SIDE_BUY;
        p += 5;
    } else {
        return J_FB;
    }
    if (e - p >= 6 && !memcmp(p, ",\"M\":", 5)) {
        p += 5;
        if (e - p >= 4 && !memcmp(p, "true", 4))
            p += 4;
        else if (e - p >= 5 && !memcmp(p, "false", 5))
            p += 5;
        else
            return J_FB;
    }
    if (p >= e || *p != '}')
        return J_FB;
    *pp = p + 1;
    return 0;
}

/* Extra single-letter keys with scalar values between the expected ones
 * (the legacy "b"/"a" of 2021 trades, the futures "T" of depthUpdate) are
 * skipped, unless the letter is one this message uses or repeats: then
 * the validating scanner decides (it rejects duplicate keys). */
static inline int t_extra(const uint8_t **pp, const uint8_t *e, uint64_t tpl, uint64_t *extras, sp_rec *r)
{
    const uint8_t *p = *pp;
    while (e - p >= 6 && p[0] == ',' && p[1] == '"' && p[3] == '"' && p[4] == ':') {
        int k = bn_key(p + 2, 1);
        if (k < 0)
            return J_FB;
        if ((tpl >> k) & 1u)
            break;   /* a template key: the caller matches it (or falls back) */
        if ((*extras >> k) & 1u)
            return J_FB;   /* repeated key: the validating scanner rejects it */
        *extras |= 1ull << k;
        p += 5;
        uint64_t x;
        if (*p == '"') {
            p++;
            p = f_scan_str(p, e);
            if (p >= e || *p != '"')
                return J_FB;
            p++;
        } else if (j_isdigit(*p)) {
            const uint8_t *s = p;
            if (f_uint(&p, e, &x) || p >= e || *p == '.' || (*p | 0x20) == 'e')
                return J_FB;
            sp_note(r, s, p, SP_INT, 0, NULL, NULL);
        } else if (e - p >= 4 && (!memcmp(p, "true", 4) || !memcmp(p, "null", 4))) {
            p += 4;
        } else if (e - p >= 5 && !memcmp(p, "false", 5)) {
            p += 5;
        } else {
            return J_FB;
        }
    }
    *pp = p;
    return 0;
}

#define T_KEY(lit)                                                                        \
    do {                                                                                        \
        if ((size_t)(e - p) < sizeof(lit) - 1 || memcmp(p, lit, sizeof(lit) - 1) != 0) {        \
            if (t_extra(&p, e, tpl, &extras, r) || (size_t)(e - p) < sizeof(lit) - 1 ||                    \
                memcmp(p, lit, sizeof(lit) - 1) != 0)                                           \
                return J_FB;                                                                    \
        }                                                                                       \
        p += sizeof(lit) - 1;                                                                   \
    } while (0)
#define B(ch) (1ull << L(ch))
#define TRADE_KEYS (B('e') | B('E') | B('s') | B('t') | B('p') | B('q') | B('T') | B('m') | B('M'))
#define AGG_KEYS (TRADE_KEYS | B('a') | B('f') | B('l'))
#define DEPTH_KEYS (B('e') | B('E') | B('s') | B('U') | B('u') | B('b') | B('a'))

/* After {"e":"trade","E": or {"e":"aggTrade","E": */
static int t_trade(rs_decoder *d, const uint8_t **pp, const uint8_t *e, rs_decoded *out, int agg, sp_rec *r)
{
    const uint8_t *p = *pp, *s0 = p;
    uint64_t x, extras = 0;
    const uint64_t tpl = agg ? AGG_KEYS : TRADE_KEYS;
    rs_ev_trade *t = &out->trades[0];
    memset(t, 0, sizeof *t);
    if (t_int(&p, e, &x) || x > (uint64_t)INT64_MAX)
        return J_FB;
    t->event_ms = (int64_t)x;
    sp_note(r, s0, p, SP_INT, 0, &t->event_ms, NULL);
    T_KEY(",\"s\":\"");
    sp_key(r, p);
    if (t_sym(d, &p, e, &t->sym))
        return J_FB;
    const rs_instrument *ins = &d->u->ins[t->sym];
    p++;   /* the symbol's closing quote (t_sym stopped on it) */
    if (agg)
        T_KEY(",\"a\":");
    else
        T_KEY(",\"t\":");
    s0 = p;
    if (t_int(&p, e, &t->trade_id))
        return J_FB;
    sp_note(r, s0, p, SP_INT, 0, &t->trade_id, NULL);
    T_KEY(",\"p\":\"");
    s0 = p;
    if (f_dec(&p, e, ins->px_exp, &t->px) || t->px <= 0)
        return J_FB;
    sp_note(r, s0, p, ins->px_exp, 1, &t->px, NULL);
    T_LIT("\"");
    T_KEY(",\"q\":\"");
    s0 = p;
    if (f_dec(&p, e, ins->qty_exp, &t->qty) || t->qty <= 0)
        return J_FB;
    sp_note(r, s0, p, ins->qty_exp, 1, &t->qty, NULL);
    T_LIT("\"");
    if (agg) {
        T_KEY(",\"f\":");
        s0 = p;
        if (t_int(&p, e, &out->first_trade_id))
            return J_FB;
        unsigned of = sp_note(r, s0, p, SP_INT, 0, &out->first_trade_id, NULL);
        T_KEY(",\"l\":");
        s0 = p;
        if (t_int(&p, e, &out->last_trade_id) || out->first_trade_id > out->last_trade_id)
            return J_FB;
        sp_rel(r, of, sp_note(r, s0, p, SP_INT, 0, &out->last_trade_id, NULL));
        t->flags = RS_TRADE_F_AGG;
    }
    T_KEY(",\"T\":");
    s0 = p;
    if (t_int(&p, e, &x) || x > (uint64_t)INT64_MAX)
        return J_FB;
    t->trade_ms = (int64_t)x;
    sp_note(r, s0, p, SP_INT, 0, &t->trade_ms, NULL);
    /* the usual tail in one compare each; anything else takes the general one */
    if (e - p >= 19 && !memcmp(p, ",\"m\":true,\"M\":true}", 19)) {
        t->side = RS_SIDE_SELL;
        p += 19;
    } else if (e - p >= 20 && !memcmp(p, ",\"m\":false,\"M\":true}", 20)) {
        t->side = RS_SIDE_BUY;
        p += 20;
    } else {
        T_KEY(",\"m\":");
        if (t_bool_tail(&p, e, &t->side))
            return J_FB;
    }
    t->venue = d->venue;
    out->sym = t->sym;
    out->n_trades = 1;
    out->kind = RS_DEC_TRADE;
    *pp = p;
    return 0;
}

/* [["px","qty"],...] compact, two strings per level, after the '['. */
static int t_levels(const uint8_t **pp, const uint8_t *e, const rs_instrument *ins, rs_level *lv, uint32_t *cnt,
                    sp_rec *r)
{
    const uint8_t *p = *pp;
    uint32_t n = *cnt;
    if (p < e && *p == ']') {
        *pp = p + 1;
        return 0;
    }
    for (;;) {
        if (n >= RS_DEC_MAX_LEVELS)
            return J_FB;
        T_LIT("[\"");
        const uint8_t *s0 = p;
        if (f_dec(&p, e, ins->px_exp, &lv[n].px) || lv[n].px <= 0)
            return J_FB;
        sp_note(r, s0, p, ins->px_exp, 1, &lv[n].px, NULL);
        T_LIT("\",\"");
        s0 = p;
        if (f_dec(&p, e, ins->qty_exp, &lv[n].qty))
            return J_FB;
        sp_note(r, s0, p, ins->qty_exp, 0, &lv[n].qty, NULL);
        T_LIT("\"]");
        n++;
        if (p < e && *p == ',') {
            p++;
            continue;
        }
        T_LIT("]");
        break;
    }
    *cnt = n;
    *pp = p;
    return 0;
}

/* After {"e":"depthUpdate","E": */
static int t_depth(rs_decoder *d, const uint8_t **pp, const uint8_t *e, rs_decoded *out, sp_rec *r)
{
    const uint8_t *p = *pp, *s0 = p;
    uint64_t x, extras = 0;
    const uint64_t tpl = DEPTH_KEYS;
    rs_ev_depth *dp = rs_decoded_depth(out);
    memset(dp, 0, sizeof *dp);
    if (t_int(&p, e, &x) || x > (uint64_t)INT64_MAX)
        return J_FB;
    dp->event_ms = (int64_t)x;
    sp_note(r, s0, p, SP_INT, 0, &dp->event_ms, NULL);
    T_KEY(",\"s\":\"");
    sp_key(r, p);
    if (t_sym(d, &p, e, &dp->sym))
        return J_FB;
    const rs_instrument *ins = &d->u->ins[dp->sym];
    p++;
    T_KEY(",\"U\":");
    s0 = p;
    if (t_int(&p, e, &dp->first_update_id))
        return J_FB;
    unsigned ou = sp_note(r, s0, p, SP_INT, 0, &dp->first_update_id, NULL);
    T_KEY(",\"u\":");
    s0 = p;
    if (t_int(&p, e, &dp->final_update_id) || dp->first_update_id > dp->final_update_id)
        return J_FB;
    sp_rel(r, ou, sp_note(r, s0, p, SP_INT, 0, &dp->final_update_id, NULL));
    if (e - p >= 6 && !memcmp(p, ",\"pu\":", 6)) {
        p += 6;
        s0 = p;
        if (t_int(&p, e, &dp->prev_final_update_id))
            return J_FB;
        sp_note(r, s0, p, SP_INT, 0, &dp->prev_final_update_id, NULL);
    }
    T_KEY(",\"b\":[");
    uint32_t n = 0;
    if (t_levels(&p, e, ins, dp->levels, &n, r))
        return J_FB;
    uint32_t nb = n;
    T_KEY(",\"a\":[");
    if (t_levels(&p, e, ins, dp->levels, &n, r))
        return J_FB;
    T_LIT("}");
    dp->n_bids = (uint16_t)nb;
    dp->n_asks = (uint16_t)(n - nb);
    dp->venue = d->venue;
    out->sym = dp->sym;
    out->kind = RS_DEC_DEPTH;
    *pp = p;
    return 0;
}

/* p at the event object's '{'; on success *pp is past its '}'. */
static int t_event(rs_decoder *d, const uint8_t **pp, const uint8_t *e, rs_decoded *out, sp_rec *r)
{
    const uint8_t *p = *pp;
    if (e - p >= 17 && !memcmp(p, "{\"e\":\"trade\",\"E\":", 17)) {
        *pp = p + 17;
        return t_trade(d, pp, e, out, 0, r);
    }
    if (e - p >= 20 && !memcmp(p, "{\"e\":\"aggTrade\",\"E\":", 20)) {
        *pp = p + 20;
        return t_trade(d, pp, e, out, 1, r);
    }
    if (e - p >= 23 && !memcmp(p, "{\"e\":\"depthUpdate\",\"E\":", 23)) {
        *pp = p + 23;
        return t_depth(d, pp, e, out, r);
    }
    if (e - p >= 5 && !memcmp(p, "{\"u\":", 5)) {
        p += 5;
        rs_ev_bbo *b = &out->bbo;
        memset(b, 0, sizeof *b);
        const uint8_t *s0 = p;
        if (t_int(&p, e, &b->update_id))
            return J_FB;
        sp_note(r, s0, p, SP_INT, 0, &b->update_id, NULL);
        T_LIT(",\"s\":\"");
        sp_key(r, p);
        if (t_sym(d, &p, e, &b->sym))
            return J_FB;
        const rs_instrument *ins = &d->u->ins[b->sym];
        T_LIT("\",\"b\":\"");
        s0 = p;
        if (f_dec(&p, e, ins->px_exp, &b->bid_px) || b->bid_px <= 0)
            return J_FB;
        sp_note(r, s0, p, ins->px_exp, 1, &b->bid_px, NULL);
        T_LIT("\",\"B\":\"");
        s0 = p;
        if (f_dec(&p, e, ins->qty_exp, &b->bid_qty))
            return J_FB;
        sp_note(r, s0, p, ins->qty_exp, 0, &b->bid_qty, NULL);
        T_LIT("\",\"a\":\"");
        s0 = p;
        if (f_dec(&p, e, ins->px_exp, &b->ask_px) || b->ask_px <= 0)
            return J_FB;
        sp_note(r, s0, p, ins->px_exp, 1, &b->ask_px, NULL);
        T_LIT("\",\"A\":\"");
        s0 = p;
        if (f_dec(&p, e, ins->qty_exp, &b->ask_qty))
            return J_FB;
        sp_note(r, s0, p, ins->qty_exp, 0, &b->ask_qty, NULL);
        T_LIT("\"}");
        b->venue = d->venue;
        out->sym = b->sym;
        out->kind = RS_DEC_BBO;
        *pp = p;
        return 0;
    }
    return J_FB;
}

static int bn_tmpl(rs_decoder *d, const uint8_t *p0, size_t n, rs_decoded *out, sp_rec *r)
{
    const uint8_t *p = p0, *e = p0 + n;
    if (n > 11 && !memcmp(p, "{\"stream\":\"", 11)) {
        p += 11;
        p = f_scan_str(p, e);
        T_LIT("\",\"data\":");
        if (t_event(d, &p, e, out, r))
            return J_FB;
        T_LIT("}");
    } else if (t_event(d, &p, e, out, r)) {
        return J_FB;
    }
    if (p != e)
        return J_FB;
    out->consumed = (uint32_t)n;
    return RS_OK;
}

/* ---- fast path (compact, escape-free frames as Binance sends them) ---- */

static int f_levels(const jcur *c, const fslot *a, const rs_instrument *ins, rs_level *lv, uint32_t cap,
                    uint32_t *cnt)
{
    /* extent validated by f_obj: [] or [["p","q"(,"x")*](,[...])*] */
    const uint8_t *p = c->b + a->off + 1, *e = c->b + a->off + a->len - 1;
    uint32_t n = *cnt;
    while (p < e) {
        if (n >= cap)
            return J_FB;
        p += 2;   /* [" */
        if (f_dec(&p, e, ins->px_exp, &lv[n].px) || *p != '"' || lv[n].px <= 0)
            return J_FB;
        p++;
        if (*p != ',')
            return J_FB;
        p += 2;   /* ," */
        if (f_dec(&p, e, ins->qty_exp, &lv[n].qty) || *p != '"')
            return J_FB;
        p++;
        while (*p == ',') {   /* extra fields: escape-free strings (f_obj checked) */
            p += 2;
            while (*p != '"')
                p++;
            p++;
        }
        if (*p != ']')
            return J_FB;
        p++;
        if (p < e && *p == ',')
            p++;
        n++;
    }
    *cnt = n;
    return 0;
}

static int f_event(const jcur *c, rs_decoder *d, const fobj *o, rs_decoded *out)
{
    int agg = 0;
    if (!F_HAS(o, L('e'))) {
        if (F_HAS(o, L('u')) && F_HAS(o, L('b')) && F_HAS(o, L('a')))
            goto bbo;
        return J_FB;
    }
    const fslot *ev = &o->v[L('e')];
    if (ev->type != J_STR)
        return J_FB;
    const uint8_t *es = c->b + ev->off;
    switch (ev->len) {
    case 5:
        if (memcmp(es, "trade", 5))
            return J_FB;
        break;
    case 8:
        if (memcmp(es, "aggTrade", 8))
            return J_FB;
        agg = 1;
        break;
    case 10:
        if (memcmp(es, "bookTicker", 10))
            return J_FB;
        goto bbo;
    case 11:
        if (memcmp(es, "depthUpdate", 11))
            return J_FB;
        goto depth;
    default:
        return J_FB;
    }
    {
        rs_ev_trade *t = &out->trades[0];
        memset(t, 0, sizeof *t);
        if (f_sym(c, d, o, L('s'), &t->sym))
            return J_FB;
        const rs_instrument *ins = &d->u->ins[t->sym];
        uint8_t m = o->v[L('m')].type;
        if (f_int(o, agg ? L('a') : L('t'), &t->trade_id) || f_fixed(c, o, L('p'), ins->px_exp, 1, &t->px) ||
            f_fixed(c, o, L('q'), ins->qty_exp, 1, &t->qty) || f_i64(o, L('E'), &t->event_ms) ||
            f_i64(o, L('T'), &t->trade_ms) || !F_HAS(o, L('m')) || (m != J_TRUE && m != J_FALSE))
            return J_FB;
        t->side = m == J_TRUE ? RS_SIDE_SELL : RS_SIDE_BUY;
        if (agg) {
            out->first_trade_id = out->last_trade_id = 0;
            if ((F_HAS(o, L('f')) && f_int(o, L('f'), &out->first_trade_id)) ||
                (F_HAS(o, L('l')) && f_int(o, L('l'), &out->last_trade_id)) ||
                out->first_trade_id > out->last_trade_id)
                return J_FB;
            t->flags = RS_TRADE_F_AGG;
        }
        t->venue = d->venue;
        out->sym = t->sym;
        out->n_trades = 1;
        out->kind = RS_DEC_TRADE;
        return 0;
    }
bbo : {
    rs_ev_bbo *b = &out->bbo;
    memset(b, 0, sizeof *b);
    if (f_sym(c, d, o, L('s'), &b->sym))
        return J_FB;
    const rs_instrument *ins = &d->u->ins[b->sym];
    if (f_int(o, L('u'), &b->update_id) || f_fixed(c, o, L('b'), ins->px_exp, 1, &b->bid_px) ||
        f_fixed(c, o, L('B'), ins->qty_exp, 0, &b->bid_qty) || f_fixed(c, o, L('a'), ins->px_exp, 1, &b->ask_px) ||
        f_fixed(c, o, L('A'), ins->qty_exp, 0, &b->ask_qty) ||
        (F_HAS(o, L('E')) && f_i64(o, L('E'), &b->event_ms)))
        return J_FB;
    b->venue = d->venue;
    out->sym = b->sym;
    out->kind = RS_DEC_BBO;
    return 0;
}
depth : {
    rs_ev_depth *x = rs_decoded_depth(out);
    memset(x, 0, sizeof *x);
    if (f_sym(c, d, o, L('s'), &x->sym))
        return J_FB;
    const rs_instrument *ins = &d->u->ins[x->sym];
    if (f_int(o, L('U'), &x->first_update_id) || f_int(o, L('u'), &x->final_update_id) ||
        (F_HAS(o, S_PU) && f_int(o, S_PU, &x->prev_final_update_id)) || f_i64(o, L('E'), &x->event_ms) ||
        x->first_update_id > x->final_update_id)
        return J_FB;
    if (!F_HAS(o, L('b')) || o->v[L('b')].type != J_ARR || !F_HAS(o, L('a')) || o->v[L('a')].type != J_ARR)
        return J_FB;
    uint32_t n = 0;
    if (f_levels(c, &o->v[L('b')], ins, x->levels, RS_DEC_MAX_LEVELS, &n))
        return J_FB;
    uint32_t nb = n;
    if (f_levels(c, &o->v[L('a')], ins, x->levels, RS_DEC_MAX_LEVELS, &n))
        return J_FB;
    x->n_bids = (uint16_t)nb;
    x->n_asks = (uint16_t)(n - nb);
    x->venue = d->venue;
    out->sym = x->sym;
    out->kind = RS_DEC_DEPTH;
    return 0;
}
}

static int bn_fast(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
{
    jcur c = {p, p, p + n, &out->err};
    fobj o;
    if (n < 2 || p[0] != '{' || n > RS_DEC_MAX_MSG)
        return J_FB;
    if (n > 11 && !memcmp(p, "{\"stream\":\"", 11)) {
        /* combined wrapper: {"stream":"<name>","data":{...}} */
        const uint8_t *q = p + 11, *e = p + n;
        q = f_scan_str(q, e);
        if (e - q < 10 || memcmp(q, "\",\"data\":{", 10))
            return J_FB;
        c.p = q + 9;
        if (f_obj(&c, &o, bn_key) || c.e - c.p != 1 || *c.p != '}')
            return J_FB;
    } else {
        if (f_obj(&c, &o, bn_key) || c.p != c.e)
            return J_FB;
        if (o.mask & ((1ull << S_STREAM) | (1ull << S_DATA)))
            return J_FB;
    }
    if (o.mask & ((1ull << S_STREAM) | (1ull << S_DATA) | (1ull << S_RESULT) | (1ull << S_ID) | (1ull << S_CODE) |
                  (1ull << S_MSG) | (1ull << S_LASTUPD)))
        return J_FB;
    if (f_event(&c, d, &o, out))
        return J_FB;
    out->consumed = (uint32_t)n;
    return RS_OK;
}

int rs_decode_binance(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
{
    if (RS_LIKELY(sp_decode(d, p, n, out, bn_tmpl) == RS_OK) || bn_fast(d, p, n, out) == RS_OK)
        return RS_OK;
    return bn_slow(d, p, n, out);
}
