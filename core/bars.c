/* Exact time bars. Integer aggregation keeps bars independent of how the
 * input was chunked; doubles are produced in one place only. */
#include <string.h>

#include "ringside/bars.h"

void rs_bar_open(rs_bar *b, int64_t start_ns, int64_t end_ns, int64_t carry_px, uint32_t flags)
{
    memset(b, 0, sizeof *b);
    b->start_ns = start_ns;
    b->end_ns = end_ns;
    b->open = b->high = b->low = b->close = carry_px;
    b->flags = flags;
}

double rs_i128_scale(rs_i128 v, unsigned exp)
{
    /* Split the exponent so each divisor is an exact power of ten (<= 1e18). */
    double d = (double)v;
    if (exp > 18) {
        d /= rs_pow10_tab[18];
        exp -= 18;
        if (exp > 18)
            exp = 18;
    }
    return d / rs_pow10_tab[exp];
}

void rs_bar_to_event(const rs_bar *b, const rs_instrument *ins, uint16_t sym, rs_ev_bar *ev)
{
    ev->sym = sym;
    ev->pad = 0;
    ev->flags = b->flags;
    ev->start_ns = b->start_ns;
    ev->end_ns = b->end_ns;
    ev->open = rs_px_to_double(ins, b->open);
    ev->high = rs_px_to_double(ins, b->high);
    ev->low = rs_px_to_double(ins, b->low);
    ev->close = rs_px_to_double(ins, b->close);
    ev->volume = rs_i128_scale(b->volume, ins->qty_exp);
    ev->quote_volume = rs_i128_scale(b->quote, (unsigned)ins->px_exp + ins->qty_exp);
    ev->taker_buy_volume = rs_i128_scale(b->taker_buy, ins->qty_exp);
    ev->vwap = b->volume > 0 ? ev->quote_volume / ev->volume : ev->close;
    ev->count = b->count;
}

int rs_dec_parse(const char *s, size_t len, unsigned exp, rs_i128 *out)
{
    const rs_i128 lim = (rs_i128)1 << 126;
    size_t i = 0;
    int neg = 0;
    if (i < len && (s[i] == '-' || s[i] == '+')) {
        neg = s[i] == '-';
        i++;
    }
    rs_i128 m = 0;
    int digits = 0;
    for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        m = m * 10 + (s[i] - '0');
        if (m > lim)
            return -1;
    }
    unsigned frac = 0;
    if (i < len && s[i] == '.') {
        i++;
        for (; i < len && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
            if (frac < exp) {
                m = m * 10 + (s[i] - '0');
                frac++;
                if (m > lim)
                    return -1;
            } else if (s[i] != '0') {
                return -1;   /* more precision than the scale: never round silently */
            }
        }
    }
    if (i != len || digits == 0)
        return -1;
    for (; frac < exp; frac++) {
        m *= 10;
        if (m > lim)
            return -1;
    }
    *out = neg ? -m : m;
    return 0;
}
