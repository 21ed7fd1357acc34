/* ringside/decode.h -- hand-written, zero-allocation venue message decoders.
 *
 * Hot path. A decoder reads ONE venue text message (a WebSocket text frame,
 * or one line of a recording) from the caller's buffer and fills an
 * rs_decoded in caller memory: market-data records (payload filled, header
 * zeroed; the feed stage stamps the header), or a reject reason with the
 * offending field name and byte offset. It never allocates, never logs,
 * never reads past p[n-1] (tested with the input ending right before a guard
 * page) and never writes outside *out.
 *
 * Supported messages
 *   Binance spot and USD-M futures (rs_decode_binance): `trade`, `aggTrade`,
 *   `bookTicker` (spot form without "e"/"E", futures form with them),
 *   `depthUpdate` (spot U/u, futures U/u/pu), each raw or inside the
 *   combined-stream wrapper {"stream":..,"data":{..}} (either key order).
 *   Recognised and not market data (RS_DEC_CONTROL): {"result":..,"id":..}
 *   subscribe replies, {"code":..,"msg":..} errors, `serverShutdown`.
 *   Valid JSON with another event type (kline, avgPrice, partial depth ...):
 *   RS_DEC_OTHER (counted by the feed stage, not an error).
 *   OKX v5 (rs_decode_okx): `trades` and `trades-all` pushes
 *   {"arg":{"channel":..,"instId":..},"data":[{..},..]} with one or more
 *   trades; {"event":..} replies and the text frame `pong` are
 *   RS_DEC_CONTROL; other channels are RS_DEC_OTHER.
 *
 * Validation (what "malformed" means)
 *   The whole message must be well-formed JSON (RFC 8259): strings with
 *   valid escapes and no raw control characters, numbers in JSON grammar,
 *   literals, nesting at most RS_DEC_MAX_DEPTH, at most RS_DEC_MAX_MSG bytes.
 *   Unknown keys are skipped (but still validated); key order is irrelevant;
 *   keys and string values may use escapes (a "\u0070" key is "p"). A known
 *   key appearing twice is rejected (ambiguous). Prices and quantities are
 *   decimal strings converted exactly to fixed point with the instrument's
 *   px_exp/qty_exp (rs_dec_fixed); ids and times are non-negative JSON
 *   integers (Binance) or decimal-integer strings (OKX).
 *
 * Reject reasons (enum rs_bad_reason, event.h) as used here
 *   RS_BAD_SYNTAX         not well-formed JSON, trailing bytes, duplicate key
 *   RS_BAD_MISSING_FIELD  a required field is absent
 *   RS_BAD_NUMBER         a numeric field is malformed or of the wrong JSON
 *                         type (price not a string, id with a fraction,
 *                         "NaN", "1e", "+1", "01", ".5", "")
 *   RS_BAD_RANGE          well-formed but outside its domain: negative, zero
 *                         price/trade qty, more significant decimals than
 *                         the instrument scale (never rounded), overflow of
 *                         int64 fixed point / uint64 id
 *   RS_BAD_SYMBOL         symbol not in the universe (or too long)
 *   RS_BAD_TOO_LARGE      message, nesting, levels or trades over the limits
 *   RS_BAD_PROTOCOL       well-formed JSON but a structural field has the
 *                         wrong type/value ("data" not an object, "m" not a
 *                         boolean, OKX side not buy/sell, "e" not a string)
 */
#ifndef RINGSIDE_DECODE_H
#define RINGSIDE_DECODE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/event.h"
#include "ringside/instrument.h"

#define RS_DEC_MAX_MSG (1u << 20)     /* bytes per message */
#define RS_DEC_MAX_DEPTH 32           /* JSON nesting */
#define RS_DEC_MAX_TRADES 64          /* trades in one OKX push */
/* Levels (bids + asks) of one depth update: as many as fit one record. */
#define RS_DEC_MAX_LEVELS ((RS_REC_MAX - sizeof(rs_ev_depth)) / sizeof(rs_level))

enum rs_dec_kind {
    RS_DEC_NONE = 0,
    RS_DEC_TRADE = 1,     /* out->n_trades records in out->trades */
    RS_DEC_BBO = 2,       /* out->bbo */
    RS_DEC_DEPTH = 3,     /* rs_decoded_depth(out) */
    RS_DEC_CONTROL = 4,   /* subscribe reply, error reply, shutdown notice, pong */
    RS_DEC_OTHER = 5,     /* well-formed, not a message this decoder handles */
};

/* Why a message was rejected (valid when rs_decode_* returned RS_BAD). */
typedef struct rs_dec_err {
    uint16_t reason;      /* enum rs_bad_reason */
    uint16_t pad;
    uint32_t offset;      /* byte offset in the message where it went wrong */
    char field[16];       /* venue key ("p", "tradeId"), NUL-terminated; "" if n/a */
} rs_dec_err;

/* Shape cache (feed/decode_spec.h): the layout of a recently decoded
 * message -- its bytes, which of them are the digits of its numbers, and
 * how each number lands in the output -- so that the next message with the
 * same layout (same bytes except those digits) is decoded by parsing all
 * its numbers at once from known offsets instead of walking the message.
 * Private to the decoders; the result is identical either way. */
#define RS_DEC_SP_SETS 16      /* shape sets per decoder, chosen by message length */
#define RS_DEC_SP_WAYS 4       /* shapes per set, told apart by 8 bytes at the symbol */
#define RS_DEC_SP_MAXN 320     /* longest message a shape covers */
#define RS_DEC_SP_OPS 24       /* numbers per shape */
#define RS_DEC_SP_IMG 208      /* output bytes per shape (a depth header and 8 levels) */
typedef struct rs_dec_shape {
    uint16_t n;                /* message length; 0: empty */
    uint16_t img_off, img_len; /* output region (in rs_decoded) restored from img */
    uint16_t u_n;              /* universe size when learned (symbols resolve alike) */
    uint16_t sym, n_trades;
    uint8_t kind, nops, rel_a, rel_b;   /* value of op rel_a <= op rel_b (0xff: none) */
    uint8_t nst;               /* ops [0, nst) store their value, the rest are checks */
    uint8_t ndup;              /* values also stored a second time (OKX ts: event and trade time) */
    uint16_t key_off;          /* 8 bytes at key_off (the symbol) equal key: worth verifying */
    uint64_t key;
    /* one op per number (nops even; a spare one reads 0 and checks nothing) */
    uint8_t ctl[RS_DEC_SP_OPS][16];     /* byte shuffle: kept digits right-aligned, zeros before */
    uint64_t mul[RS_DEC_SP_OPS];        /* value times 10^(exp - kept fraction digits) */
    uint16_t at[RS_DEC_SP_OPS];         /* start of the number's 16-byte window in the message */
    uint16_t dst[RS_DEC_SP_OPS];        /* byte offset of its int64 in rs_decoded (0xffff: none) */
    uint64_t min[RS_DEC_SP_OPS];        /* value must be >= min (0 or 1) */
    uint8_t dup_op[4];                  /* value of op dup_op[k] also stored at dup_dst[k] */
    uint16_t dup_dst[4];
    uint8_t msg[RS_DEC_SP_MAXN];        /* the message learned */
    uint8_t var[RS_DEC_SP_MAXN];        /* 0xff: a digit of one of its numbers */
    uint8_t nz[RS_DEC_SP_MAXN];         /* 0xff: and not '0' (lead of a multi-digit integer) */
    uint8_t img[RS_DEC_SP_IMG];
} rs_dec_shape;

/* Decoder configuration and symbol index. Caller memory; init once
 * (control path). One decoder per thread: rs_decode_* updates the symbol
 * cache when the universe grew (auto_add) and the shape cache (sp) as it
 * goes; the records it produces do not depend on either cache's state. */
typedef struct rs_decoder {
    rs_universe *u;            /* borrowed; outlives the decoder */
    uint8_t venue;             /* enum rs_venue stamped on records */
    uint8_t auto_add;          /* unknown symbols are added to u (tools only) */
    uint8_t auto_px_exp;       /* exponents for auto-added symbols */
    uint8_t auto_qty_exp;
    uint16_t n_keys;           /* symbols indexed below (== u->n when fresh) */
    uint8_t no_spec;           /* 1: never use the shape cache (tests: the reference path) */
    uint8_t pad;
    uint64_t key[RS_MAX_SYMBOLS][2];  /* upper-case symbol, NUL-padded */
    uint8_t sp_miss[RS_DEC_SP_SETS];    /* uncovered decodes per set (learning is rationed) */
    uint8_t sp_next[RS_DEC_SP_SETS];    /* round-robin victim per set */
    rs_dec_shape sp[RS_DEC_SP_SETS * RS_DEC_SP_WAYS];
} rs_decoder;

/* Output of one decode. Caller memory (about 66 KiB: the depth levels);
 * reuse it for every message. Record headers are zero; the payloads are
 * complete (sym, venue, prices, ids, times). */
typedef struct rs_decoded {
    uint8_t kind;              /* enum rs_dec_kind */
    uint8_t venue;
    uint16_t n_trades;         /* RS_DEC_TRADE: records in trades[] */
    uint16_t sym;              /* instrument of the message (first trade) */
    uint16_t pad;
    uint32_t consumed;         /* bytes of the message incl. trailing whitespace */
    uint32_t pad2;
    /* aggTrade only: first/last underlying trade ids (f, l); 0 otherwise.
     * OKX `trades`: count of fills aggregated (tradeId is the last one). */
    uint64_t first_trade_id, last_trade_id;
    rs_dec_err err;
    rs_ev_bbo bbo;
    rs_ev_trade trades[RS_DEC_MAX_TRADES];
    /* rs_ev_depth header followed by its levels (bids then asks). */
    uint64_t depth_mem[(sizeof(rs_ev_depth) + RS_DEC_MAX_LEVELS * sizeof(rs_level) + 7) / 8];
} rs_decoded;

static inline rs_ev_depth *rs_decoded_depth(rs_decoded *d) { return (rs_ev_depth *)(void *)d->depth_mem; }
static inline const rs_ev_depth *rs_decoded_depth_c(const rs_decoded *d)
{
    return (const rs_ev_depth *)(const void *)d->depth_mem;
}
/* Record length (header + levels) of the decoded depth update. */
static inline uint32_t rs_decoded_depth_len(const rs_decoded *d)
{
    const rs_ev_depth *x = rs_decoded_depth_c(d);
    return (uint32_t)(sizeof(rs_ev_depth) + ((uint32_t)x->n_bids + x->n_asks) * sizeof(rs_level));
}

/* Control path. Initialise a decoder over universe u (borrowed) for venue
 * (RS_VENUE_BINANCE, RS_VENUE_BINANCE_FUT or RS_VENUE_OKX). Returns 0, or
 * -RS_EBADCFG with rs_err set for an unknown venue. auto_add is off. */
int rs_decoder_init(rs_decoder *d, rs_universe *u, uint8_t venue);

/* Hot path. Decode one message p[0..n) (borrowed; not NUL-terminated; need
 * not be padded). Returns
 *   RS_OK    out->kind says what it was; out->consumed = bytes used (the
 *            JSON value plus trailing whitespace). Trailing non-space bytes
 *            are an error (RS_BAD, RS_BAD_SYNTAX), so consumed == n on OK.
 *   RS_AGAIN the bytes are a strict prefix of a message: need more input
 *            (out->err.offset = n).
 *   RS_BAD   rejected: out->err holds reason, field, offset.
 * rs_decode dispatches on d->venue. */
int rs_decode(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out);
int rs_decode_binance(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out);
int rs_decode_okx(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out);

/* Hot path. Instrument index of symbol s[0..n) (case-insensitive), or -1.
 * Two 8-byte compares per instrument (the decoder's key table, rebuilt when
 * the universe grew); with d->auto_add an unknown symbol is added to the
 * universe (cold: tools only). */
int rs_dec_symbol(rs_decoder *d, const uint8_t *s, uint32_t n);

/* Hot path. Exact decimal text s[0..n) ("123.4500", "1e-3", "0") to fixed
 * point with `exp` decimals (0..18): *v = value * 10^exp. No sign allowed
 * (JSON number grammar without '-'; an exponent part is accepted).
 * Returns 0, RS_BAD_NUMBER (malformed) or RS_BAD_RANGE (more significant
 * decimals than exp, or over INT64_MAX). Zero is accepted; callers decide. */
int rs_dec_fixed(const char *s, size_t n, unsigned exp, int64_t *v);

/* Format fixed point v with exp decimals as the shortest exact decimal
 * ("0.001", "42219.9", "100"). Writes at most 22 bytes + NUL into buf
 * (cap >= 24). Returns the length. Control path / tools. */
int rs_dec_format_fixed(char *buf, size_t cap, int64_t v, unsigned exp);

/* Name of a reject reason for tools and logs ("missing_field", ...). */
const char *rs_dec_reason_name(unsigned reason);

/* Venue name "binance", "binance-fut", "okx", "sim" and its inverse (-1 if
 * unknown). */
const char *rs_dec_venue_name(unsigned venue);
int rs_dec_venue_from_name(const char *name);

#endif
