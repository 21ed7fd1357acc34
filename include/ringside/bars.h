/* ringside/bars.h -- time bars built from trades, exactly.
 *
 * A bar accumulates trades in fixed point: prices are the instrument's
 * mantissas (px_exp), volumes are sums of quantity mantissas (qty_exp) and
 * the quote volume is the exact sum of px*qty mantissas (px_exp+qty_exp
 * decimals) in 128-bit integers. Nothing is rounded while a bar is open, so a
 * bar's aggregates do not depend on how the trades were split into chunks or
 * on the order of trades inside the bar (except open and close, which are the
 * first and last trades seen). Doubles appear only when a bar is converted for
 * output (rs_bar_to_units), always by the same expression, so a bar built
 * from trades and the same bar read from a Binance kline CSV (parsed to the
 * same mantissas) give bit-identical doubles.
 *
 * All functions here are hot-path safe: no allocation, no clock, no I/O.
 */
#ifndef RINGSIDE_BARS_H
#define RINGSIDE_BARS_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside/event.h"
#include "ringside/instrument.h"

/* 128-bit signed integer (GCC/Clang extension; __extension__ keeps
 * -Wpedantic quiet). */
__extension__ typedef __int128 rs_i128;

/* Largest accepted |price| and |qty| mantissa: 2^52. Keeps every windowed
 * integer sum of squares in features.c inside 128 bits and every mantissa
 * exactly representable as a double. Larger values are rejected as
 * RS_BAD_RANGE by the features stage. */
#define RS_BAR_MANT_MAX (INT64_C(1) << 52)

/* One bar's exact aggregates. start_ns/end_ns: [start, end) in ns since
 * epoch, aligned to the bar length. When count == 0 the bar is empty: open,
 * high, low and close carry the previous close and flags has RS_BAR_F_EMPTY. */
typedef struct rs_bar {
    int64_t start_ns, end_ns;
    int64_t open, high, low, close;     /* price mantissas (px_exp) */
    rs_i128 volume;                     /* sum of qty mantissas (qty_exp) */
    rs_i128 quote;                      /* sum of px*qty mantissas (px_exp+qty_exp) */
    rs_i128 taker_buy;                  /* volume where the taker bought */
    uint64_t count;                     /* trades */
    uint32_t flags;                     /* RS_BAR_F_* (event.h) */
    uint32_t pad;
} rs_bar;

/* Start a bar [start_ns, end_ns) whose price carries `carry_px` (the previous
 * close; 0 if none yet). Flags start at `flags`. */
void rs_bar_open(rs_bar *b, int64_t start_ns, int64_t end_ns, int64_t carry_px, uint32_t flags);

/* Fold one trade into an open bar. px > 0, qty > 0, both <= RS_BAR_MANT_MAX
 * (the caller validates). taker_buy: the aggressor bought. */
static inline void rs_bar_add(rs_bar *b, int64_t px, int64_t qty, bool taker_buy)
{
    if (b->count == 0) {
        b->open = b->high = b->low = px;
    } else {
        if (px > b->high) b->high = px;
        if (px < b->low) b->low = px;
    }
    b->close = px;
    b->volume += qty;
    b->quote += (rs_i128)px * qty;
    if (taker_buy)
        b->taker_buy += qty;
    b->count++;
}

/* Mark a bar closed: sets RS_BAR_F_EMPTY when it saw no trade. */
static inline void rs_bar_finish(rs_bar *b)
{
    if (b->count == 0)
        b->flags |= RS_BAR_F_EMPTY;
}

/* value / 10^exp for exp in [0, 36], as a double (deterministic: a fixed
 * sequence of correctly rounded operations). */
double rs_i128_scale(rs_i128 v, unsigned exp);

/* Convert a closed bar into the RS_EV_BAR payload fields (units, doubles).
 * vwap = quote_volume / volume, or close when volume is 0. Writes sym, flags,
 * start/end and the doubles; leaves the record header alone. */
void rs_bar_to_event(const rs_bar *b, const rs_instrument *ins, uint16_t sym, rs_ev_bar *ev);

/* Parse a decimal string s[0..len) ("123.4500", "-1e-3" is NOT accepted:
 * plain decimals only) into a mantissa with `exp` decimals. Extra decimals are
 * accepted only when they are zeros. Returns 0, or -1 (syntax, too many
 * non-zero decimals, or |value| beyond 2^126). Control path helper shared by
 * the CSV readers; no allocation. */
int rs_dec_parse(const char *s, size_t len, unsigned exp, rs_i128 *out);

#endif
