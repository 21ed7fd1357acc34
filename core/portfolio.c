/* Portfolio accounting. Totals are recomputed from the rows on every change
 * rather than updated by deltas: at most 64 rows, and a recomputation cannot
 * accumulate rounding drift, so the published equity is always exactly the
 * sum of what the rows say. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/portfolio.h"

void rs_portfolio_init(rs_portfolio *p, const rs_universe *u, double capital)
{
    memset(p, 0, sizeof *p);
    p->u = u;
    p->n = u->n;
    p->capital = capital;
    p->equity = capital;
    p->peak_equity = capital;
}

static double units(const rs_portfolio *p, uint16_t sym, int64_t q)
{
    return rs_qty_to_double(&p->u->ins[sym], q);
}

void rs_portfolio_totals(rs_portfolio *p)
{
    double r = 0, un = 0, f = 0, g = 0;
    for (uint16_t i = 0; i < p->n; i++) {
        const rs_pos *s = &p->pos[i];
        r += s->realized;
        un += s->unrealized;
        f += s->fees;
        g += fabs(units(p, i, s->qty) * s->mark_px);
    }
    p->realized = r;
    p->unrealized = un;
    p->fees = f;
    p->gross = g;
    p->equity = p->capital + r - f + un;
    if (p->equity > p->peak_equity)
        p->peak_equity = p->equity;
}

static void unreal(const rs_portfolio *p, uint16_t sym, rs_pos *s)
{
    s->unrealized = (s->qty == 0 || s->mark_px <= 0) ? 0.0
                                                      : units(p, sym, s->qty) * (s->mark_px - s->avg_px);
}

int rs_portfolio_fill(rs_portfolio *p, uint16_t sym, uint8_t side, int64_t px, int64_t qty, double fee)
{
    if (sym >= p->n || qty <= 0 || px <= 0 || !isfinite(fee) ||
        (side != RS_SIDE_BUY && side != RS_SIDE_SELL))
        return RS_BAD;
    rs_pos *s = &p->pos[sym];
    double fpx = rs_px_to_double(&p->u->ins[sym], px);
    int64_t f = side == RS_SIDE_BUY ? qty : -qty;
    int64_t old = s->qty;
    if (old == 0 || (old > 0) == (f > 0)) {
        double a = fabs(units(p, sym, old)), b = units(p, sym, qty);
        s->avg_px = (s->avg_px * a + fpx * b) / (a + b);
        s->qty = old + f;
    } else {
        int64_t closed = llabs(old) < qty ? llabs(old) : qty;
        double sign = old > 0 ? 1.0 : -1.0;
        s->realized += units(p, sym, closed) * (fpx - s->avg_px) * sign;
        s->qty = old + f;
        if (s->qty == 0)
            s->avg_px = 0;
        else if ((s->qty > 0) != (old > 0))
            s->avg_px = fpx;   /* flipped: the remainder opened at this fill */
    }
    s->fees += fee;
    s->n_fills++;
    if (s->mark_px <= 0)
        s->mark_px = fpx;   /* no mark yet: the fill is the best price we know */
    unreal(p, sym, s);
    rs_portfolio_totals(p);
    return RS_OK;
}

int rs_portfolio_mark(rs_portfolio *p, uint16_t sym, double mark_px)
{
    if (sym >= p->n || !isfinite(mark_px) || mark_px <= 0)
        return RS_BAD;
    rs_pos *s = &p->pos[sym];
    s->mark_px = mark_px;
    unreal(p, sym, s);
    rs_portfolio_totals(p);
    return RS_OK;
}

double rs_portfolio_units(const rs_portfolio *p, uint16_t sym)
{
    return sym < p->n ? units(p, sym, p->pos[sym].qty) : 0.0;
}

double rs_portfolio_notional(const rs_portfolio *p, uint16_t sym)
{
    return sym < p->n ? units(p, sym, p->pos[sym].qty) * p->pos[sym].mark_px : 0.0;
}

void rs_portfolio_record(const rs_portfolio *p, uint16_t sym, rs_ev_position *out)
{
    out->sym = sym;
    memset(out->pad, 0, sizeof out->pad);
    if (sym < p->n) {
        const rs_pos *s = &p->pos[sym];
        out->qty = s->qty;
        out->avg_px = s->avg_px;
        out->mark_px = s->mark_px;
        out->realized = s->realized;
        out->unrealized = s->unrealized;
        out->fees = s->fees;
    } else {
        out->qty = 0;
        out->avg_px = 0;
        out->mark_px = 0;
        out->realized = p->realized;
        out->unrealized = p->unrealized;
        out->fees = p->fees;
    }
    out->equity = p->equity;
    out->peak_equity = p->peak_equity;
}
