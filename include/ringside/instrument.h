/* ringside/instrument.h -- the instrument universe (from the config).
 *
 * Instruments are identified on the hot path by their index (`sym`, u16) in
 * the universe, in config order. Prices and quantities are fixed point with a
 * per-instrument decimal exponent: value = mantissa * 10^-px_exp.
 */
#ifndef RINGSIDE_INSTRUMENT_H
#define RINGSIDE_INSTRUMENT_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/event.h"

typedef struct rs_instrument {
    char symbol[RS_SYMBOL_MAX];  /* venue symbol, upper case: "BTCUSDT" */
    uint8_t venue;               /* enum rs_venue */
    uint8_t px_exp;              /* decimals of prices (<= 18) */
    uint8_t qty_exp;             /* decimals of quantities (<= 18) */
    uint8_t pad[5];
    int64_t tick;                /* price tick, fixed point (px_exp) */
    int64_t lot;                 /* quantity step, fixed point (qty_exp) */
    int64_t min_qty;             /* fixed point (qty_exp) */
    double min_notional;         /* quote currency */
} rs_instrument;

typedef struct rs_universe {
    uint16_t n;
    uint16_t ref_sym;            /* reference for cross-asset features (BTC) */
    uint32_t pad;
    rs_instrument ins[RS_MAX_SYMBOLS];
} rs_universe;

/* Index of symbol s[0..len) (case-insensitive), or -1. Hot-path safe: linear
 * scan over at most RS_MAX_SYMBOLS short strings, no allocation. */
int rs_universe_find(const rs_universe *u, const char *s, size_t len);

/* Add an instrument; returns its index or -RS_EBADCFG (full, duplicate,
 * exponent out of range) with a message. */
int rs_universe_add(rs_universe *u, const rs_instrument *ins);

extern const double rs_pow10_tab[19];   /* 1e0 .. 1e18 */
extern const int64_t rs_ipow10_tab[19];

static inline double rs_px_to_double(const rs_instrument *i, int64_t px) { return (double)px / rs_pow10_tab[i->px_exp]; }
static inline double rs_qty_to_double(const rs_instrument *i, int64_t q) { return (double)q / rs_pow10_tab[i->qty_exp]; }

#endif
