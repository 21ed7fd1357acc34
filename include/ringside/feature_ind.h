/* ringside/feature_ind.h -- incremental technical indicators (O(1) per
 * update, no allocation), following TA-Lib's definitions (TA-Lib 0.6,
 * default compatibility mode, unstable period 0):
 *
 *  - EMA(p): k = 2/(p+1); the first value (after p inputs) is the SMA of the
 *    first p inputs (summed left to right, then divided by p); afterwards
 *    ema = (x - ema) * k + ema.
 *  - RSI(p) (Wilder): needs p+1 inputs. avg gain/loss seeded with the plain
 *    mean of the first p changes, then avg = (avg*(p-1) + x)/p.
 *    rsi = 100*gain/(gain+loss), and 0 when gain+loss is within 1e-14 of 0
 *    (TA-Lib's TA_IS_ZERO).
 *  - ATR(p) (Wilder): true range from the 2nd bar; the first ATR (after p+1
 *    bars) is the mean of the first p true ranges; then
 *    atr = (atr*(p-1) + tr)/p.
 *  - MACD(f,s,g): line = EMA_f - EMA_s from input s; TA-Lib seeds the FAST
 *    EMA at input s with the SMA of the f inputs ending there (not of the
 *    first f inputs); signal = EMA_g of the line (seeded with the SMA of the
 *    first g line values); hist = line - signal. Ready after s+g-1 inputs.
 *  - SMA and Bollinger bands are windowed sums and live in features.c (exact
 *    integer sums over price mantissas).
 *
 * Each update returns true once the indicator has its first value. The
 * expressions mirror TA-Lib's operation order, so values agree with TA-Lib to
 * rounding (tests/unit/test_features_golden.c checks 1e-9 relative).
 */
#ifndef RINGSIDE_FEATURE_IND_H
#define RINGSIDE_FEATURE_IND_H

#include <stdbool.h>
#include <stdint.h>

typedef struct rs_ema {
    double k, v, sum;
    uint32_t period, n;
} rs_ema;

typedef struct rs_rsi {
    double prev, gain, loss, v;
    uint32_t period, n;
} rs_rsi;

typedef struct rs_atr {
    double prev_close, sum, v;
    uint32_t period, n;
} rs_atr;

#define RS_MACD_FAST_MAX 64
typedef struct rs_macd {
    rs_ema slow, sig;
    double fast, kf;
    double ring[RS_MACD_FAST_MAX];   /* last `pf` inputs, to seed the fast EMA */
    double line, signal, hist;
    uint32_t pf, ps, n;
} rs_macd;

/* Init with a period >= 1 (MACD: 1 <= fast <= RS_MACD_FAST_MAX, fast <= slow,
 * signal >= 1; the caller validates). Zeroes the state. */
void rs_ema_init(rs_ema *e, uint32_t period);
void rs_rsi_init(rs_rsi *r, uint32_t period);
void rs_atr_init(rs_atr *a, uint32_t period);
void rs_macd_init(rs_macd *m, uint32_t fast, uint32_t slow, uint32_t signal);

/* Feed one value; true when ->v (line/signal/hist for MACD) is defined. */
bool rs_ema_update(rs_ema *e, double x);
bool rs_rsi_update(rs_rsi *r, double x);
bool rs_atr_update(rs_atr *a, double high, double low, double close);
bool rs_macd_update(rs_macd *m, double x);

/* TA-Lib's true range given the previous close. */
double rs_true_range(double high, double low, double prev_close);

#endif
