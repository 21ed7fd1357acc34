/* ringside bench features -- the features stage's hot paths:
 *   trade update: one RS_EV_TRADE folded into the open bar (no bar close),
 *                 timed in batches of 32 calls (rdtscp overhead would
 *                 otherwise dominate a ~10 ns operation); reported per trade;
 *   trade + intrabar: the same with an intrabar vector published per trade;
 *   bar close:    one timer event that closes the bar for every symbol:
 *                 bars, indicators, return windows, beta, all pairwise
 *                 correlations, and 2 records per symbol written to an
 *                 in-memory emitter; reported per close.
 * 1 and 50 symbols (cross-asset features over 50 symbols = 1225 pairs).
 * Indicators are warmed up (200 bars) before timing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ringside/features.h"
#include "ringside/hist.h"
#include "ringside/mem.h"
#include "ringside/stage.h"
#include "ringside/tsc.h"

#define BATCH 32

typedef struct bctx {
    rs_universe u;
    rs_features *f;
    void *mem;
    rs_emit_buf eb;
    uint8_t *buf;
    uint64_t seed, id;
    double px[RS_MAX_SYMBOLS];
    int64_t bar_ms;   /* start of the open bar, ms */
    int nsym;
} bctx;

static uint64_t rng(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void mk_trade(bctx *c, rs_ev_trade *t, int sym, int64_t ms)
{
    double u = (double)(rng(&c->seed) >> 11) / 9007199254740992.0;
    c->px[sym] *= exp((u - 0.5) * 0.002);
    memset(t, 0, sizeof *t);
    t->h.len = sizeof *t;
    t->h.type = RS_EV_TRADE;
    t->h.ts = ms * 1000000;
    t->sym = (uint16_t)sym;
    t->side = (rng(&c->seed) & 1) ? RS_SIDE_BUY : RS_SIDE_SELL;
    t->trade_id = ++c->id;
    t->px = (int64_t)llround(c->px[sym] * 100);
    t->qty = 1 + (int64_t)(rng(&c->seed) % 1000000);
    t->trade_ms = ms;
}

static int setup(bctx *c, int nsym, int64_t intrabar_ns)
{
    memset(c, 0, sizeof *c);
    c->nsym = nsym;
    c->seed = 12345;
    for (int i = 0; i < nsym; i++) {
        rs_instrument ins = {0};
        snprintf(ins.symbol, sizeof ins.symbol, "B%02dUSDT", i & 63);
        ins.px_exp = 2;
        ins.qty_exp = 6;
        rs_universe_add(&c->u, &ins);
        c->px[i] = 100.0 + 10.0 * i;
    }
    rs_features_params p;
    rs_features_params_default(&p);
    p.intrabar_ns = intrabar_ns;
    size_t ms = rs_features_memsize(&c->u);
    c->mem = rs_mem_alloc(ms, 64, "bench features");
    c->buf = rs_mem_alloc(8u << 20, 64, "bench features out");
    if (!c->mem || !c->buf || rs_features_init(c->mem, ms, &p, &c->u, &c->f)) {
        fprintf(stderr, "bench features: %s\n", rs_err_msg());
        return -1;
    }
    rs_emit_buf_init(&c->eb, c->buf, 8u << 20, RS_STREAM_FEAT);
    c->bar_ms = INT64_C(1700000100000) / 300000 * 300000;
    return 0;
}

static void teardown(bctx *c)
{
    rs_mem_free(c->mem);
    rs_mem_free(c->buf);
}

/* A few trades per symbol into the open bar, then a timer that closes it;
 * returns the timer's cost in ticks. */
static uint64_t one_bar(bctx *c, int trades_per_sym)
{
    rs_ev_trade t;
    for (int k = 0; k < trades_per_sym; k++)
        for (int i = 0; i < c->nsym; i++) {
            mk_trade(c, &t, i, c->bar_ms + 1 + k * 1000 + i);
            rs_features_on_event(c->f, &t.h, &c->eb.e);
        }
    rs_emit_buf_reset(&c->eb);
    rs_ev_timer tm;
    memset(&tm, 0, sizeof tm);
    tm.h.len = sizeof tm;
    tm.h.type = RS_EV_TIMER;
    tm.h.ts = (c->bar_ms + 300000) * 1000000 + 1000000000;
    uint64_t t0 = rs_rdtscp();
    rs_features_on_event(c->f, &tm.h, &c->eb.e);
    uint64_t t1 = rs_rdtscp();
    c->bar_ms += 300000;
    rs_emit_buf_reset(&c->eb);
    return t1 - t0;
}

static int bench_trades(const rs_bench_opts *o, int nsym, int64_t intrabar_ns, const char *name)
{
    static bctx c;
    if (setup(&c, nsym, intrabar_ns))
        return 1;
    for (int b = 0; b < 200; b++)
        one_bar(&c, 3);
    static rs_hist h;
    rs_hist_init(&h);
    double ghz = rs_tsc_ghz();
    int bars = o->quick ? 20 : 400;
    uint64_t total_ticks = 0, total_n = 0;
    static rs_ev_trade tr[BATCH * 100];
    for (int b = 0; b < bars; b++) {
        /* 100 batches of 32 trades inside this bar, spread over symbols */
        for (int k = 0; k < BATCH * 100; k++)
            mk_trade(&c, &tr[k], k % nsym, c.bar_ms + 1 + k * 90);
        for (int k = 0; k < 100; k++) {
            uint64_t t0 = rs_rdtscp();
            for (int j = 0; j < BATCH; j++)
                rs_features_on_event(c.f, &tr[k * BATCH + j].h, &c.eb.e);
            uint64_t t1 = rs_rdtscp();
            rs_hist_add(&h, (uint64_t)llround((double)(t1 - t0) / ghz * 100.0 / BATCH));   /* 0.01 ns units */
            total_ticks += t1 - t0;
            total_n += BATCH;
            if (c.eb.used > (4u << 20))
                rs_emit_buf_reset(&c.eb);
        }
        rs_emit_buf_reset(&c.eb);
        one_bar(&c, 0);
    }
    rs_bench_result r = {.bench = "features", .case_name = name, .unit = "ns"};
    rs_bench_from_hist(&r, &h, 0.01);
    r.throughput = (double)total_n / ((double)total_ticks / ghz / 1e9);
    r.tp_unit = "trades/s";
    r.note = "per trade, mean of 32-call batches";
    rs_bench_emit(o, &r);
    teardown(&c);
    return 0;
}

static int bench_close(const rs_bench_opts *o, int nsym, const char *name)
{
    static bctx c;
    if (setup(&c, nsym, 0))
        return 1;
    for (int b = 0; b < 200; b++)
        one_bar(&c, 2);
    static rs_hist h;
    rs_hist_init(&h);
    double ghz = rs_tsc_ghz();
    int bars = o->quick ? 200 : 5000;
    uint64_t total = 0;
    for (int b = 0; b < bars; b++) {
        uint64_t t = one_bar(&c, 2);
        rs_hist_add(&h, (uint64_t)llround((double)t / ghz));
        total += t;
    }
    rs_bench_result r = {.bench = "features", .case_name = name, .unit = "ns"};
    rs_bench_from_hist(&r, &h, 1.0);
    r.throughput = (double)bars / ((double)total / ghz / 1e9);
    r.tp_unit = "closes/s";
    r.note = "one timer closing every symbol's bar, 2 records/symbol emitted";
    rs_bench_emit(o, &r);
    teardown(&c);
    return 0;
}

int rs_bench_features(const rs_bench_opts *o)
{
    rs_bench_pin(o->cpu_a);
    rs_bench_header(o, "features", "per-trade and bar-close feature updates");
    int fail = 0;
    fail |= bench_trades(o, 1, 0, "trade_update_1sym");
    fail |= bench_trades(o, 50, 0, "trade_update_50sym");
    fail |= bench_trades(o, 1, 1, "trade_update_intrabar_1sym");
    fail |= bench_close(o, 1, "bar_close_1sym");
    fail |= bench_close(o, 50, "bar_close_50sym");
    return fail ? 1 : 0;
}
