#include <ctype.h>
#include <string.h>

#include "ringside/instrument.h"

const double rs_pow10_tab[19] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9,
                                 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18};
const int64_t rs_ipow10_tab[19] = {1LL, 10LL, 100LL, 1000LL, 10000LL, 100000LL, 1000000LL, 10000000LL,
                                   100000000LL, 1000000000LL, 10000000000LL, 100000000000LL,
                                   1000000000000LL, 10000000000000LL, 100000000000000LL,
                                   1000000000000000LL, 10000000000000000LL, 100000000000000000LL,
                                   1000000000000000000LL};

int rs_universe_find(const rs_universe *u, const char *s, size_t len)
{
    if (len == 0 || len >= RS_SYMBOL_MAX)
        return -1;
    for (int i = 0; i < u->n; i++) {
        const char *n = u->ins[i].symbol;
        size_t k = 0;
        while (k < len && n[k] && toupper((unsigned char)s[k]) == n[k])
            k++;
        if (k == len && n[k] == '\0')
            return i;
    }
    return -1;
}

int rs_universe_add(rs_universe *u, const rs_instrument *ins)
{
    if (u->n >= RS_MAX_SYMBOLS)
        return rs_err_set(RS_EBADCFG, "too many instruments (max %d)", RS_MAX_SYMBOLS);
    if (ins->px_exp > 18 || ins->qty_exp > 18)
        return rs_err_set(RS_EBADCFG, "%s: px_exp/qty_exp must be <= 18", ins->symbol);
    if (rs_universe_find(u, ins->symbol, strlen(ins->symbol)) >= 0)
        return rs_err_set(RS_EBADCFG, "duplicate instrument %s", ins->symbol);
    rs_instrument *d = &u->ins[u->n];
    *d = *ins;
    for (char *p = d->symbol; *p; p++)
        *p = (char)toupper((unsigned char)*p);
    return u->n++;
}
