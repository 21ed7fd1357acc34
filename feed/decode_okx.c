/* OKX v5 public `trades` / `trades-all` pushes (see decode.h). Everything
 * is a string on OKX, ids and times included; seqId is an integer and is
 * ignored here. */
#include <string.h>

#include "decode_json.h"
#include "decode_spec.h"
#include "ringside/decode.h"

enum {
    K_ARG, K_DATA, K_EVENT, K_CODE, K_MSG, K_CHANNEL, K_INSTID, K_TRADEID, K_PX, K_SZ, K_SIDE, K_TS,
    K_COUNT, K_NSLOTS
};
static const char *const okx_names[J_SLOTS] = {
    "arg", "data", "event", "code", "msg", "channel", "instId", "tradeId", "px", "sz", "side", "ts", "count",
};

static inline __attribute__((always_inline)) int okx_key(const uint8_t *k, uint32_t n)
{
    switch (n) {
    case 2:
        if (k[0] == 'p' && k[1] == 'x') return K_PX;
        if (k[0] == 's' && k[1] == 'z') return K_SZ;
        if (k[0] == 't' && k[1] == 's') return K_TS;
        return -1;
    case 3:
        if (!memcmp(k, "arg", 3)) return K_ARG;
        if (!memcmp(k, "msg", 3)) return K_MSG;
        return -1;
    case 4:
        if (!memcmp(k, "data", 4)) return K_DATA;
        if (!memcmp(k, "code", 4)) return K_CODE;
        if (!memcmp(k, "side", 4)) return K_SIDE;
        return -1;
    case 5:
        if (!memcmp(k, "event", 5)) return K_EVENT;
        if (!memcmp(k, "count", 5)) return K_COUNT;
        return -1;
    case 6: return memcmp(k, "instId", 6) ? -1 : K_INSTID;
    case 7:
        if (!memcmp(k, "channel", 7)) return K_CHANNEL;
        if (!memcmp(k, "tradeId", 7)) return K_TRADEID;
        return -1;
    default: return -1;
    }
}

#define HAS(o, s) (((o)->mask >> (s)) & 1u)

static int okx_trade(jcur *c, rs_decoder *d, const jobj *o, const jobj *arg, uint32_t flags, rs_ev_trade *t)
{
    memset(t, 0, sizeof *t);
    int rc;
    /* instId is in every element; fall back to the arg's for robustness. */
    if (HAS(o, K_INSTID))
        rc = j_get_sym(c, d, o, K_INSTID, "instId", &t->sym);
    else
        rc = j_get_sym(c, d, arg, K_INSTID, "instId", &t->sym);
    if (rc)
        return rc;
    const rs_instrument *ins = &d->u->ins[t->sym];
    uint64_t ts;
    if ((rc = j_get_u64_str(c, o, K_TRADEID, "tradeId", 1, &t->trade_id)) ||
        (rc = j_get_fixed(c, o, K_PX, "px", ins->px_exp, 1, &t->px)) ||
        (rc = j_get_fixed(c, o, K_SZ, "sz", ins->qty_exp, 1, &t->qty)) ||
        (rc = j_get_u64_str(c, o, K_TS, "ts", 1, &ts)))
        return rc;
    if (ts > (uint64_t)INT64_MAX)
        return j_fail(c, RS_BAD_RANGE, c->b + o->v[K_TS].off, "ts");
    if (!HAS(o, K_SIDE))
        return j_fail(c, RS_BAD_MISSING_FIELD, c->e, "side");
    const jval *sv = &o->v[K_SIDE];
    if (sv->type == J_STR && j_str_eq(c, sv, "buy", 3))
        t->side = RS_SIDE_BUY;     /* OKX side is the taker's */
    else if (sv->type == J_STR && j_str_eq(c, sv, "sell", 4))
        t->side = RS_SIDE_SELL;
    else
        return j_fail(c, RS_BAD_PROTOCOL, c->b + sv->off, "side");
    if (HAS(o, K_COUNT)) {   /* validated when present: fills aggregated */
        uint64_t cnt;
        if ((rc = j_get_u64_str(c, o, K_COUNT, "count", 0, &cnt)))
            return rc;
        if (cnt == 0)
            return j_fail(c, RS_BAD_RANGE, c->b + o->v[K_COUNT].off, "count");
    }
    t->event_ms = t->trade_ms = (int64_t)ts;
    t->venue = d->venue;
    t->flags = flags;
    return RS_OK;
}

static int okx_slow(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
{
    jcur c = {p, p, p + n, &out->err};
    jobj top, arg, el;
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
    if (*c.p != '{') {
        /* The keepalive reply is the bare text frame "pong". */
        const uint8_t *s = c.p;
        size_t k = (size_t)(c.e - s);
        while (k && j_isws(s[k - 1]))
            k--;
        if (k == 4 && !memcmp(s, "pong", 4)) {
            out->kind = RS_DEC_CONTROL;
            out->consumed = (uint32_t)n;
            return RS_OK;
        }
        if (k < 4 && !memcmp(s, "pong", k) && k == (size_t)(c.e - s))
            return j_more(&c);
        return j_fail(&c, RS_BAD_SYNTAX, c.p, "");
    }
    arg.mask = 0;
    int rc = j_obj(&c, &top, 0, okx_key, K_ARG, &arg, okx_key, okx_names);
    if (rc)
        return rc;
    j_ws(&c);
    if (c.p != c.e)
        return j_fail(&c, RS_BAD_SYNTAX, c.p, "");
    out->consumed = (uint32_t)n;

    if (HAS(&top, K_EVENT)) {   /* subscribe / error / notice replies */
        out->kind = RS_DEC_CONTROL;
        return RS_OK;
    }
    if (!HAS(&top, K_ARG)) {
        if (HAS(&top, K_CODE)) {
            out->kind = RS_DEC_CONTROL;
            return RS_OK;
        }
        return j_fail(&c, RS_BAD_MISSING_FIELD, c.e, "arg");
    }
    if (top.v[K_ARG].type != J_OBJ)
        return j_fail(&c, RS_BAD_PROTOCOL, p + top.v[K_ARG].off, "arg");
    if (!HAS(&arg, K_CHANNEL))
        return j_fail(&c, RS_BAD_MISSING_FIELD, c.e, "channel");
    const jval *ch = &arg.v[K_CHANNEL];
    if (ch->type != J_STR)
        return j_fail(&c, RS_BAD_PROTOCOL, p + ch->off, "channel");
    uint32_t flags;
    if (j_str_eq(&c, ch, "trades", 6))
        flags = RS_TRADE_F_AGG;   /* one push per taker order: `count` fills */
    else if (j_str_eq(&c, ch, "trades-all", 10))
        flags = 0;
    else {
        out->kind = RS_DEC_OTHER;
        return RS_OK;
    }
    if (!HAS(&top, K_DATA))
        return j_fail(&c, RS_BAD_MISSING_FIELD, c.e, "data");
    const jval *a = &top.v[K_DATA];
    if (a->type != J_ARR)
        return j_fail(&c, RS_BAD_PROTOCOL, p + a->off, "data");
    /* Re-walk the validated array; each element is an object. */
    jcur w = {p, p + a->off + 1, p + a->off + a->len, &out->err};
    uint32_t nt = 0;
    for (;;) {
        j_ws(&w);
        if (*w.p == ']')
            break;
        if (*w.p == ',') {
            w.p++;
            j_ws(&w);
        }
        if (*w.p != '{')
            return j_fail(&c, RS_BAD_PROTOCOL, w.p, "data");
        if (nt >= RS_DEC_MAX_TRADES)
            return j_fail(&c, RS_BAD_TOO_LARGE, w.p, "data");
        if ((rc = j_obj(&w, &el, 1, okx_key, -1, NULL, okx_key, okx_names)))
            return rc;
        if ((rc = okx_trade(&c, d, &el, &arg, flags, &out->trades[nt])))
            return rc;
        nt++;
    }
    if (nt == 0) {
        out->kind = RS_DEC_OTHER;
        return RS_OK;
    }
    out->n_trades = (uint16_t)nt;
    out->sym = out->trades[0].sym;
    out->kind = RS_DEC_TRADE;
    return RS_OK;
}

/* Element in the documented order: {"instId":"..","tradeId":"..","px":"..",
 * "sz":"..","side":"..","ts":".." then optional keys (count validated,
 * others skipped). Anything else: J_FB (f_obj handles other orders). */
#define O_LIT(lit)                                                                 \
    do {                                                                           \
        if ((size_t)(e - p) < sizeof(lit) - 1 || memcmp(p, lit, sizeof(lit) - 1)) \
            return J_FB;                                                           \
        p += sizeof(lit) - 1;                                                      \
    } while (0)

static int o_elem(rs_decoder *d, const uint8_t **pp, const uint8_t *e, rs_ev_trade *t, sp_rec *r)
{
    const uint8_t *p = *pp, *s;
    uint64_t ts, x;
    memset(t, 0, sizeof *t);
    O_LIT("{\"instId\":\"");
    s = p;
    sp_key(r, s);
    p = f_scan_str(p, e - s > RS_SYMBOL_MAX ? s + RS_SYMBOL_MAX : e);
    if (p >= e || *p != '"')
        return J_FB;
    int sym = f_symbol(d, s, (uint32_t)(p - s), e);
    if (sym < 0)
        return J_FB;
    t->sym = (uint16_t)sym;
    const rs_instrument *ins = &d->u->ins[sym];
    O_LIT("\",\"tradeId\":\"");
    s = p;
    if (f_uint(&p, e, &t->trade_id))
        return J_FB;
    sp_note(r, s, p, SP_INT, 0, &t->trade_id, NULL);
    O_LIT("\",\"px\":\"");
    s = p;
    if (f_dec(&p, e, ins->px_exp, &t->px) || t->px <= 0)
        return J_FB;
    sp_note(r, s, p, ins->px_exp, 1, &t->px, NULL);
    O_LIT("\",\"sz\":\"");
    s = p;
    if (f_dec(&p, e, ins->qty_exp, &t->qty) || t->qty <= 0)
        return J_FB;
    sp_note(r, s, p, ins->qty_exp, 1, &t->qty, NULL);
    O_LIT("\",\"side\":\"");
    if (e - p >= 4 && !memcmp(p, "buy\"", 4)) {
        t->side = RS_SIDE_BUY;
        p += 3;
    } else if (e - p >= 5 && !memcmp(p, "sell\"", 5)) {
        t->side = RS_SIDE_SELL;
        p += 4;
    } else {
        return J_FB;
    }
    O_LIT("\",\"ts\":\"");
    s = p;
    if (f_uint(&p, e, &ts) || ts > (uint64_t)INT64_MAX)
        return J_FB;
    sp_note(r, s, p, SP_INT, 0, &t->event_ms, &t->trade_ms);
    O_LIT("\"");
    int have_count = 0;
    while (p < e && *p == ',') {
        p++;
        O_LIT("\"");
        const uint8_t *k = p;
        p = f_scan_str(p, e);
        if (e - p < 3 || *p != '"' || p[1] != ':')
            return J_FB;
        int slot = okx_key(k, (uint32_t)(p - k));
        p += 2;
        if (slot == K_COUNT) {
            if (have_count++)
                return J_FB;
            O_LIT("\"");
            s = p;
            if (f_uint(&p, e, &x) || x == 0)
                return J_FB;
            sp_note(r, s, p, SP_INT, 1, NULL, NULL);
            O_LIT("\"");
            continue;
        }
        if (slot >= 0)
            return J_FB;   /* a known key again, or out of place */
        if (*p == '"') {
            p++;
            p = f_scan_str(p, e);
            O_LIT("\"");
        } else if (p < e && j_isdigit(*p)) {
            s = p;
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
    O_LIT("}");
    t->event_ms = t->trade_ms = (int64_t)ts;
    t->venue = d->venue;
    *pp = p;
    return 0;
}

/* ---- fast path: {"arg":{"channel":"trades","instId":".."},"data":[{..},..]}
 * compact and escape-free, arg first (as OKX sends it); elements in any key
 * order via f_obj. Anything else goes to okx_slow, which accepts a superset
 * with identical results. */
static int okx_fast(rs_decoder *d, const uint8_t *p0, size_t n, rs_decoded *out, sp_rec *r)
{
    const uint8_t *p = p0, *e = p0 + n;
    static const char pre[] = "{\"arg\":{\"channel\":\"trades";
    if (n < sizeof pre + 16 || memcmp(p, pre, sizeof pre - 1))
        return J_FB;
    p += sizeof pre - 1;
    uint32_t flags;
    if (e - p >= 2 && p[0] == '"' && p[1] == ',') {
        flags = RS_TRADE_F_AGG;
        p += 1;
    } else if (e - p >= 5 && !memcmp(p, "-all\"", 5)) {
        flags = 0;
        p += 5;
    } else {
        return J_FB;
    }
    /* ,"instId":"..."},"data":[ */
    if (e - p < 12 || memcmp(p, ",\"instId\":\"", 11))
        return J_FB;
    p += 11;
    p = f_scan_str(p, e);
    if (e - p < 11 || memcmp(p, "\"},\"data\":[", 11))
        return J_FB;
    p += 11;
    jcur c = {p0, p, e, &out->err};
    fobj o;
    uint32_t nt = 0;
    for (;;) {
        if (c.p >= e || *c.p != '{' || nt >= RS_DEC_MAX_TRADES)
            return J_FB;
        rs_ev_trade *t = &out->trades[nt];
        if (o_elem(d, &c.p, e, t, r) == 0) {
            t->flags = flags;
            nt++;
            if (c.p < e && *c.p == ',') {
                c.p++;
                continue;
            }
            break;
        }
        if (r)
            r->bad = 1;   /* another key order: not learned */
        if (f_obj(&c, &o, okx_key))
            return J_FB;
        memset(t, 0, sizeof *t);
        uint64_t ts, cnt;
        if (f_sym(&c, d, &o, K_INSTID, &t->sym))
            return J_FB;
        const rs_instrument *ins = &d->u->ins[t->sym];
        if (f_uint_str(&c, &o, K_TRADEID, &t->trade_id) || f_fixed(&c, &o, K_PX, ins->px_exp, 1, &t->px) ||
            f_fixed(&c, &o, K_SZ, ins->qty_exp, 1, &t->qty) || f_uint_str(&c, &o, K_TS, &ts) ||
            ts > (uint64_t)INT64_MAX)
            return J_FB;
        if (F_HAS(&o, K_COUNT) && (f_uint_str(&c, &o, K_COUNT, &cnt) || cnt == 0))
            return J_FB;
        if (f_str_eq(&c, &o, K_SIDE, "buy", 3))
            t->side = RS_SIDE_BUY;
        else if (f_str_eq(&c, &o, K_SIDE, "sell", 4))
            t->side = RS_SIDE_SELL;
        else
            return J_FB;
        if (o.mask & ((1ull << K_ARG) | (1ull << K_DATA) | (1ull << K_EVENT) | (1ull << K_CHANNEL)))
            return J_FB;   /* odd keys inside an element: let the slow path judge */
        t->event_ms = t->trade_ms = (int64_t)ts;
        t->venue = d->venue;
        t->flags = flags;
        nt++;
        if (c.p < e && *c.p == ',') {
            c.p++;
            continue;
        }
        break;
    }
    if (e - c.p != 2 || c.p[0] != ']' || c.p[1] != '}')
        return J_FB;
    out->n_trades = (uint16_t)nt;
    out->sym = out->trades[0].sym;
    out->kind = RS_DEC_TRADE;
    out->consumed = (uint32_t)n;
    return RS_OK;
}

int rs_decode_okx(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
{
    if (RS_LIKELY(sp_decode(d, p, n, out, okx_fast) == RS_OK))
        return RS_OK;
    return okx_slow(d, p, n, out);
}
