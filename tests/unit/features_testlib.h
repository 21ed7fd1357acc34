/* Helpers shared by the features/bars tests (header-only, test code). */
#ifndef RS_FEATURES_TESTLIB_H
#define RS_FEATURES_TESTLIB_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/features.h"
#include "ringside/instrument.h"
#include "ringside/mem.h"
#include "ringside/stage.h"

#define FT_BAR_NS (INT64_C(300) * 1000000000)

static inline void ft_universe(rs_universe *u, int n, int px_exp, int qty_exp)
{
    memset(u, 0, sizeof *u);
    for (int i = 0; i < n; i++) {
        rs_instrument ins = {0};
        snprintf(ins.symbol, sizeof ins.symbol, "S%02dUSDT", i & 63);
        ins.px_exp = (uint8_t)px_exp;
        ins.qty_exp = (uint8_t)qty_exp;
        ins.tick = 1;
        ins.lot = 1;
        rs_universe_add(u, &ins);
    }
    u->ref_sym = 0;
}

static inline rs_features *ft_stage(const rs_universe *u, const rs_features_params *p)
{
    size_t ms = rs_features_memsize(u);
    void *mem = rs_mem_alloc(ms, 64, "test features");
    rs_features *f = NULL;
    if (!mem || rs_features_init(mem, ms, p, u, &f) != 0) {
        fprintf(stderr, "features init: %s\n", rs_err_msg());
        abort();
    }
    return f;
}

static inline rs_ev_trade ft_trade(uint16_t sym, int64_t t_ms, int64_t px, int64_t qty, int buy, uint64_t id)
{
    rs_ev_trade t;
    memset(&t, 0, sizeof t);
    t.h.len = sizeof t;
    t.h.type = RS_EV_TRADE;
    t.h.stream = RS_STREAM_MD;
    t.h.seq = id;
    t.h.ts = t_ms * 1000000;
    t.sym = sym;
    t.side = buy ? RS_SIDE_BUY : RS_SIDE_SELL;
    t.trade_id = id;
    t.px = px;
    t.qty = qty;
    t.trade_ms = t_ms;
    t.event_ms = t_ms;
    return t;
}

static inline rs_ev_timer ft_timer(int64_t ts_ns, uint64_t tick)
{
    rs_ev_timer t;
    memset(&t, 0, sizeof t);
    t.h.len = sizeof t;
    t.h.type = RS_EV_TIMER;
    t.h.ts = ts_ns;
    t.tick = tick;
    t.period_ns = 1000000000;
    return t;
}

/* Deterministic PRNG (splitmix64). */
static inline uint64_t ft_rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static inline double ft_unif(uint64_t *s) { return (double)(ft_rng(s) >> 11) / 9007199254740992.0; }

#endif
