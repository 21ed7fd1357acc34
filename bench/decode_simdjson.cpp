// The peer for `ringside bench decode`: simdjson On-Demand extracting the
// same fields from the same messages as the hand-written decoders, into the
// same records, with the same decimal conversion (rs_dec_fixed) and symbol
// lookup (rs_dec_symbol), so the difference measured is the JSON work.
// Fields are looked up by name (key order independent), as ours are.
#include <cstdint>
#include <cstring>
#include <new>

extern "C" {
#include "bench_decode_peer.h"
}

#ifdef RS_HAVE_SIMDJSON
#include <simdjson.h>

namespace sj = simdjson;
namespace od = simdjson::ondemand;

struct rs_sj_ctx {
    od::parser parser;
    sj::padded_string msg[RS_SJ_MAX_MSGS];
};

extern "C" int rs_sj_available(void) { return 1; }

extern "C" rs_sj_ctx *rs_sj_create(void) { return new (std::nothrow) rs_sj_ctx(); }

extern "C" void rs_sj_destroy(rs_sj_ctx *c) { delete c; }

extern "C" int rs_sj_set(rs_sj_ctx *c, int idx, const char *p, size_t n)
{
    if (idx < 0 || idx >= RS_SJ_MAX_MSGS)
        return -1;
    c->msg[idx] = sj::padded_string(p, n);   // padding copy made once, outside timing
    return 0;
}

static int fixed(od::object &o, const char *k, unsigned exp, int64_t *v)
{
    std::string_view s;
    if (o[k].get_string().get(s))
        return -1;
    return rs_dec_fixed(s.data(), s.size(), exp, v) ? -1 : 0;
}

template <typename T> static int num(od::object &o, const char *k, T *v)
{
    uint64_t x;
    if (o[k].get_uint64().get(x))
        return -1;
    *v = (T)x;
    return 0;
}

static int sym(od::object &o, const char *k, rs_decoder *d, uint16_t *out)
{
    std::string_view s;
    if (o[k].get_string().get(s))
        return -1;
    int i = rs_dec_symbol(d, (const uint8_t *)s.data(), (uint32_t)s.size());
    if (i < 0)
        return -1;
    *out = (uint16_t)i;
    return 0;
}

static int bn_trade(od::object &o, rs_decoder *d, int agg, rs_decoded *out)
{
    rs_ev_trade *t = &out->trades[0];
    std::memset(t, 0, sizeof *t);
    bool m;
    if (num(o, "E", &t->event_ms) || sym(o, "s", d, &t->sym) || num(o, agg ? "a" : "t", &t->trade_id))
        return -1;
    const rs_instrument *ins = &d->u->ins[t->sym];
    if (fixed(o, "p", ins->px_exp, &t->px) || fixed(o, "q", ins->qty_exp, &t->qty))
        return -1;
    if (agg && (num(o, "f", &out->first_trade_id) || num(o, "l", &out->last_trade_id)))
        return -1;
    if (num(o, "T", &t->trade_ms) || o["m"].get_bool().get(m))
        return -1;
    t->side = m ? RS_SIDE_SELL : RS_SIDE_BUY;
    t->flags = agg ? RS_TRADE_F_AGG : 0;
    out->n_trades = 1;
    out->kind = RS_DEC_TRADE;
    return 0;
}

static int bn_bbo(od::object &o, rs_decoder *d, rs_decoded *out)
{
    rs_ev_bbo *b = &out->bbo;
    std::memset(b, 0, sizeof *b);
    if (num(o, "u", &b->update_id) || sym(o, "s", d, &b->sym))
        return -1;
    const rs_instrument *ins = &d->u->ins[b->sym];
    if (fixed(o, "b", ins->px_exp, &b->bid_px) || fixed(o, "B", ins->qty_exp, &b->bid_qty) ||
        fixed(o, "a", ins->px_exp, &b->ask_px) || fixed(o, "A", ins->qty_exp, &b->ask_qty))
        return -1;
    out->kind = RS_DEC_BBO;
    return 0;
}

static int levels(od::object &o, const char *k, const rs_instrument *ins, rs_level *lv, uint32_t *n)
{
    od::array arr;
    if (o[k].get_array().get(arr))
        return -1;
    for (auto lvl : arr) {
        od::array la;
        if (lvl.get_array().get(la))
            return -1;
        int i = 0;
        for (auto e : la) {
            std::string_view s;
            if (i < 2) {
                if (e.get_string().get(s))
                    return -1;
                if (rs_dec_fixed(s.data(), s.size(), i ? ins->qty_exp : ins->px_exp, i ? &lv[*n].qty : &lv[*n].px))
                    return -1;
            }
            i++;
        }
        if (i < 2 || *n >= RS_DEC_MAX_LEVELS)
            return -1;
        (*n)++;
    }
    return 0;
}

static int bn_depth(od::object &o, rs_decoder *d, rs_decoded *out)
{
    rs_ev_depth *x = rs_decoded_depth(out);
    std::memset(x, 0, sizeof *x);
    if (num(o, "E", &x->event_ms) || sym(o, "s", d, &x->sym) || num(o, "U", &x->first_update_id) ||
        num(o, "u", &x->final_update_id))
        return -1;
    const rs_instrument *ins = &d->u->ins[x->sym];
    uint32_t n = 0;
    if (levels(o, "b", ins, x->levels, &n))
        return -1;
    uint32_t nb = n;
    if (levels(o, "a", ins, x->levels, &n))
        return -1;
    x->n_bids = (uint16_t)nb;
    x->n_asks = (uint16_t)(n - nb);
    out->kind = RS_DEC_DEPTH;
    return 0;
}

static int okx_trades(od::object &top, rs_decoder *d, rs_decoded *out)
{
    od::array arr;
    if (top["data"].get_array().get(arr))
        return -1;
    unsigned nt = 0;
    for (auto el : arr) {
        od::object o;
        if (el.get_object().get(o) || nt >= RS_DEC_MAX_TRADES)
            return -1;
        rs_ev_trade *t = &out->trades[nt];
        std::memset(t, 0, sizeof *t);
        std::string_view s;
        if (sym(o, "instId", d, &t->sym))
            return -1;
        const rs_instrument *ins = &d->u->ins[t->sym];
        if (o["tradeId"].get_string().get(s))
            return -1;
        uint64_t id = 0;
        for (char ch : s)
            id = id * 10 + (uint64_t)(ch - '0');
        t->trade_id = id;
        if (fixed(o, "px", ins->px_exp, &t->px) || fixed(o, "sz", ins->qty_exp, &t->qty))
            return -1;
        if (o["side"].get_string().get(s))
            return -1;
        t->side = s == "buy" ? RS_SIDE_BUY : RS_SIDE_SELL;
        if (o["ts"].get_string().get(s))
            return -1;
        int64_t ts = 0;
        for (char ch : s)
            ts = ts * 10 + (ch - '0');
        t->event_ms = t->trade_ms = ts;
        nt++;
    }
    out->n_trades = (uint16_t)nt;
    out->kind = RS_DEC_TRADE;
    return 0;
}

extern "C" int rs_sj_decode(rs_sj_ctx *c, int idx, int kind, rs_decoder *d, rs_decoded *out)
{
    od::document doc;
    if (c->parser.iterate(c->msg[idx]).get(doc))
        return -1;
    od::object top;
    if (doc.get_object().get(top))
        return -1;
    switch (kind) {
    case RS_SJ_BN_TRADE:
    case RS_SJ_BN_AGG:
    case RS_SJ_BN_BBO:
    case RS_SJ_BN_DEPTH:
        return kind == RS_SJ_BN_TRADE ? bn_trade(top, d, 0, out)
               : kind == RS_SJ_BN_AGG ? bn_trade(top, d, 1, out)
               : kind == RS_SJ_BN_BBO ? bn_bbo(top, d, out)
                                      : bn_depth(top, d, out);
    case RS_SJ_BN_COMBINED_TRADE: {
        od::object data;
        if (top["data"].get_object().get(data))
            return -1;
        return bn_trade(data, d, 0, out);
    }
    case RS_SJ_OKX_TRADES: {
        od::object arg;
        std::string_view ch;
        if (top["arg"].get_object().get(arg) || arg["channel"].get_string().get(ch))
            return -1;
        return okx_trades(top, d, out);
    }
    default:
        return -1;
    }
}

#else   // no simdjson: the bench reports "peer unavailable"

struct rs_sj_ctx {
    int unused;
};
extern "C" int rs_sj_available(void) { return 0; }
extern "C" rs_sj_ctx *rs_sj_create(void) { return nullptr; }
extern "C" void rs_sj_destroy(rs_sj_ctx *) {}
extern "C" int rs_sj_set(rs_sj_ctx *, int, const char *, size_t) { return -1; }
extern "C" int rs_sj_decode(rs_sj_ctx *, int, int, rs_decoder *, rs_decoded *) { return -1; }

#endif
