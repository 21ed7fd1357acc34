/* Incremental indicators. The arithmetic deliberately copies TA-Lib's
 * operation order (ta_EMA.c, ta_RSI.c, ta_ATR.c, ta_MACD.c) so that the
 * results match its golden files to rounding, not just "approximately". */
#include <math.h>
#include <string.h>

#include "ringside/feature_ind.h"

/* TA-Lib's TA_IS_ZERO (ta_utility.h): an absolute dead zone of TA_EPSILON,
 * 1e-14 in TA-Lib 0.6 (0.4.0 used 1e-8, which zeroed RSI on low-priced
 * instruments). */
static inline bool ta_is_zero(double v) { return -0.00000000000001 < v && v < 0.00000000000001; }

void rs_ema_init(rs_ema *e, uint32_t period)
{
    memset(e, 0, sizeof *e);
    e->period = period;
    e->k = 2.0 / (double)(period + 1);
}

bool rs_ema_update(rs_ema *e, double x)
{
    uint32_t n = ++e->n;
    if (n < e->period) {
        e->sum += x;
        return false;
    }
    if (n == e->period) {
        e->sum += x;
        e->v = e->sum / (double)e->period;
        return true;
    }
    e->n = e->period + 1;   /* saturate: never wraps on a long run */
    e->v = ((x - e->v) * e->k) + e->v;
    return true;
}

void rs_rsi_init(rs_rsi *r, uint32_t period)
{
    memset(r, 0, sizeof *r);
    r->period = period;
}

static inline double rsi_value(double gain, double loss)
{
    double t = gain + loss;
    return !ta_is_zero(t) ? 100.0 * (gain / t) : 0.0;
}

bool rs_rsi_update(rs_rsi *r, double x)
{
    uint32_t n = ++r->n;
    if (n == 1) {
        r->prev = x;
        return false;
    }
    double d = x - r->prev;
    r->prev = x;
    double p = (double)r->period;
    if (n <= r->period + 1) {
        if (d < 0) r->loss -= d;
        else r->gain += d;
        if (n < r->period + 1)
            return false;
        r->loss /= p;
        r->gain /= p;
        r->v = rsi_value(r->gain, r->loss);
        return true;
    }
    r->n = r->period + 2;
    r->loss *= (double)(r->period - 1);
    r->gain *= (double)(r->period - 1);
    if (d < 0) r->loss -= d;
    else r->gain += d;
    r->loss /= p;
    r->gain /= p;
    r->v = rsi_value(r->gain, r->loss);
    return true;
}

double rs_true_range(double high, double low, double prev_close)
{
    double g = high - low;
    double v2 = fabs(prev_close - high);
    if (v2 > g) g = v2;
    double v3 = fabs(prev_close - low);
    if (v3 > g) g = v3;
    return g;
}

void rs_atr_init(rs_atr *a, uint32_t period)
{
    memset(a, 0, sizeof *a);
    a->period = period;
}

bool rs_atr_update(rs_atr *a, double high, double low, double close)
{
    uint32_t n = ++a->n;
    if (n == 1) {
        a->prev_close = close;
        return false;
    }
    double tr = rs_true_range(high, low, a->prev_close);
    a->prev_close = close;
    if (n <= a->period + 1) {
        a->sum += tr;
        if (n < a->period + 1)
            return false;
        a->v = a->sum / (double)a->period;
        return true;
    }
    a->n = a->period + 2;
    a->v *= (double)(a->period - 1);
    a->v += tr;
    a->v /= (double)a->period;
    return true;
}

void rs_macd_init(rs_macd *m, uint32_t fast, uint32_t slow, uint32_t signal)
{
    memset(m, 0, sizeof *m);
    if (fast > RS_MACD_FAST_MAX)
        fast = RS_MACD_FAST_MAX;
    m->pf = fast;
    m->ps = slow;
    m->kf = 2.0 / (double)(fast + 1);
    rs_ema_init(&m->slow, slow);
    rs_ema_init(&m->sig, signal);
}

bool rs_macd_update(rs_macd *m, double x)
{
    uint32_t n = ++m->n;
    if (n > m->ps)
        m->n = m->ps + 1;
    m->ring[(n - 1) % m->pf] = x;
    rs_ema_update(&m->slow, x);
    if (n < m->ps)
        return false;
    if (n == m->ps) {
        /* TA-Lib seeds the fast EMA where the slow one starts, with the SMA
         * of the `pf` inputs ending here, summed oldest first. */
        double s = 0;
        for (uint32_t i = 0; i < m->pf; i++)
            s += m->ring[(n - m->pf + i) % m->pf];
        m->fast = s / (double)m->pf;
    } else {
        m->fast = ((x - m->fast) * m->kf) + m->fast;
    }
    m->line = m->fast - m->slow.v;
    if (!rs_ema_update(&m->sig, m->line))
        return false;
    m->signal = m->sig.v;
    m->hist = m->line - m->signal;
    return true;
}
