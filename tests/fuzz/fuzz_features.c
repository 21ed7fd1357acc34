/* libFuzzer target: the features stage never crashes, never emits a
 * non-finite feature and never reads outside its records, whatever the
 * sequence of trades, timers and freshness events (times jumping back and
 * forth, absurd prices, unknown symbols), and under a destination that is
 * often full. Each input is a stream of 24-byte commands. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/features.h"
#include "ringside/mem.h"
#include "ringside/stage.h"

static rs_universe U;
static rs_features *F;
static void *MEM;
static size_t MS;
static uint8_t OUT[4096];

static void check_out(const rs_emit_buf *eb)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(eb, &off))) {
        if (r->type == RS_EV_FEATURES) {
            const rs_ev_features *fe = (const rs_ev_features *)r;
            for (uint32_t i = 0; i < fe->n; i++)
                if (!isfinite(fe->v[i]))
                    abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!F) {
        for (int i = 0; i < 3; i++) {
            rs_instrument ins = {0};
            ins.symbol[0] = (char)('A' + i);
            ins.px_exp = (uint8_t)(2 + 3 * i);
            ins.qty_exp = (uint8_t)(8 - 2 * i);
            rs_universe_add(&U, &ins);
        }
        MS = rs_features_memsize(&U);
        MEM = rs_mem_alloc(MS, 64, "fuzz");
    }
    rs_features_params p;
    rs_features_params_default(&p);
    p.intrabar_ns = size & 1 ? INT64_C(1000000000) : 0;
    p.rsi = 3;
    p.bb = 3;
    p.ret_lags = 3;
    p.n_rv = 1;
    p.rv[0] = 3;
    p.vol_z = 3;
    p.beta = 3;
    p.corr = 3;
    p.n_mom = 1;
    p.mom[0] = 2;
    p.mom_z = 3;
    p.max_catchup_bars = 20;
    if (rs_features_init(MEM, MS, &p, &U, &F))
        abort();
    rs_emit_buf eb;
    /* a small destination: RS_FULL is frequent */
    size_t cap = 512 + (size_t)(size % 7) * 400;
    rs_emit_buf_init(&eb, OUT, cap, RS_STREAM_FEAT);
    int64_t base = INT64_C(1700000000000);
    for (size_t off = 0; off + 24 <= size; off += 24) {
        const uint8_t *d = data + off;
        uint8_t kind = d[0] % 4;
        int32_t dt;
        int64_t px, qty;
        memcpy(&dt, d + 4, 4);
        memcpy(&px, d + 8, 8);
        memcpy(&qty, d + 16, 8);
        int64_t ms = base + (int64_t)dt * 37;
        union {
            rs_ev_trade t;
            rs_ev_timer tm;
            rs_ev_freshness fr;
        } u;
        memset(&u, 0, sizeof u);
        if (kind <= 1) {
            u.t.h.len = sizeof u.t;
            u.t.h.type = RS_EV_TRADE;
            u.t.h.ts = ms * 1000000 + (d[2] & 1 ? -INT64_C(100000000000) : 0);
            u.t.sym = d[1] % 4;   /* 3 = unknown */
            u.t.side = d[2] % 3;
            u.t.px = d[3] & 1 ? px : (px & 0xffffff);
            u.t.qty = d[3] & 2 ? qty : (qty & 0xffff);
            u.t.trade_ms = d[3] & 4 ? 0 : ms;
        } else if (kind == 2) {
            u.tm.h.len = sizeof u.tm;
            u.tm.h.type = RS_EV_TIMER;
            u.tm.h.ts = ms * 1000000;
        } else {
            u.fr.h.len = sizeof u.fr;
            u.fr.h.type = RS_EV_FRESHNESS;
            u.fr.h.ts = ms * 1000000;
            u.fr.sym = d[1] & 4 ? 0xffff : d[1] % 4;
            u.fr.state = d[2] % 4;
        }
        int rc, guard = 0;
        while ((rc = rs_features_on_event(F, &u.t.h, &eb.e)) == RS_FULL) {
            check_out(&eb);
            if (eb.used == 0 && guard++)
                abort();   /* full with nothing emitted twice: a record bigger than the destination */
            rs_emit_buf_reset(&eb);
        }
        check_out(&eb);
        rs_emit_buf_reset(&eb);
        if (kind == 0 && (d[2] & 0x80)) {
            rs_bar b;
            int64_t st = (ms * 1000000) / p.bar_ns * p.bar_ns;
            rs_bar_open(&b, st, st + p.bar_ns, 0, 0);
            b.open = b.high = b.low = b.close = (px & 0xffff) + 1;
            b.volume = qty & 0xffff;
            b.count = d[1];
            while (rs_features_on_kline(F, d[1] % 4, &b, &eb.e) == RS_FULL)
                rs_emit_buf_reset(&eb);
            check_out(&eb);
            rs_emit_buf_reset(&eb);
        }
    }
    return 0;
}
