/* libFuzzer: arbitrary event sequences through the gate stage. The input is
 * a byte program: each step picks an event type and fills its fields from
 * the following bytes (prices, NaN/inf predictions, unknown or recent client
 * ids, any order state, control commands, truncated and unknown records),
 * sometimes into a tiny emitter to exercise RS_FULL restarts.
 * Checks: no crash or UB (ASan/UBSan); results in {OK, SKIP, BAD, FULL};
 * every decision carries 14 verdicts in its length; every NEW intent has a
 * valid side and qty > 0; client ids carry the instance; the kill switch,
 * once latched, stays latched. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/gate.h"
#include "ringside/mem.h"

static rs_universe U;
static rs_gate_params P;
static void *MEM;
static size_t MS;
static uint8_t *OUTB, *TINY;

typedef struct cur {
    const uint8_t *d;
    size_t n, i;
} cur;

static uint64_t take(cur *c, unsigned k)
{
    uint64_t v = 0;
    for (unsigned j = 0; j < k; j++)
        v = (v << 8) | (c->i < c->n ? c->d[c->i++] : 0);
    return v;
}

static double fval(cur *c)
{
    uint8_t sel = (uint8_t)take(c, 1);
    if (sel == 0xff)
        return NAN;
    if (sel == 0xfe)
        return INFINITY;
    if (sel == 0xfd)
        return -INFINITY;
    return ((double)(int16_t)take(c, 2)) / 100.0;
}

static void init(void)
{
    rs_instrument b = {.symbol = "BTCUSDT", .venue = RS_VENUE_BINANCE, .px_exp = 2, .qty_exp = 5,
                       .tick = 1, .lot = 1, .min_qty = 10, .min_notional = 5.0};
    rs_instrument e = {.symbol = "ETHUSDT", .venue = RS_VENUE_OKX, .px_exp = 2, .qty_exp = 4,
                       .tick = 5, .lot = 10, .min_qty = 10, .min_notional = 5.0};
    rs_universe_add(&U, &b);
    rs_universe_add(&U, &e);
    rs_gate_params_default(&P);
    P.warmup_bars = 3;
    P.atr_n = 2;
    P.q_window = 16;
    P.q_min_count = 4;
    P.vote_k = 2;
    P.vote_min = 1;
    P.z_min = 0.5;
    P.fill_timeout_ns = 1000000000LL;
    P.kill_backoff_ns = 100000000LL;
    P.bar_ns = 60000000000LL;
    P.pos_period_ns = 10000000000LL;
    MS = rs_gate_memsize(&P, &U);
    MEM = rs_mem_alloc(MS, 64, "fuzz gate");
    OUTB = malloc(1 << 20);
    TINY = malloc(256);
}

static void check_out(const rs_emit_buf *eb)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(eb, &off))) {
        if (r->type == RS_EV_DECISION) {
            const rs_ev_decision *d = (const rs_ev_decision *)r;
            if (d->n != RS_GATE_COUNT - 1 || r->len != sizeof *d + d->n * sizeof(rs_gate_verdict))
                abort();
        } else if (r->type == RS_EV_INTENT) {
            const rs_ev_intent *in = (const rs_ev_intent *)r;
            if ((in->client_id >> 40) != P.instance)
                abort();
            if (in->kind == RS_INT_NEW && (in->qty <= 0 || (in->side != RS_SIDE_BUY && in->side != RS_SIDE_SELL)))
                abort();
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!MEM)
        init();
    P.kill_on_start = size > 0 && data[0] == 0x4b;   /* 'K' */
    if (rs_gate_init(MEM, MS, &P, &U) != 0)
        abort();
    rs_gate *g = MEM;
    rs_emit_buf eb, tiny;
    rs_emit_buf_init(&eb, OUTB, 1 << 20, RS_STREAM_INTENT);
    rs_emit_buf_init(&tiny, TINY, 256, RS_STREAM_INTENT);
    cur c = {data, size, 0};
    int64_t t = 1700000000000000000LL;
    uint64_t seq = 0, recent[16] = {0};
    unsigned nrecent = 0, rhead = 0;
    int was_killed = 0;
    union {
        rs_rec h;
        rs_ev_mark m;
        rs_ev_bar b;
        rs_ev_prediction p;
        rs_ev_exec_report x;
        rs_ev_control k;
        rs_ev_timer tm;
        rs_ev_freshness f;
        uint8_t raw[512];
    } ev;
    for (int steps = 0; c.i < c.n && steps < 4096; steps++) {
        memset(&ev, 0, sizeof ev);
        uint8_t op = (uint8_t)take(&c, 1);
        t += (int64_t)take(&c, 1) * 50000000LL;   /* 0..12.75 s */
        uint16_t type = 0;
        uint32_t len = 0;
        switch (op % 9) {
        case 0:
            ev.m.sym = (uint16_t)(take(&c, 1) % 3);
            ev.m.last_px = (int64_t)take(&c, 3) - 100;
            ev.m.bid_px = ev.m.last_px - (int64_t)take(&c, 1);
            ev.m.ask_px = ev.m.last_px + (int64_t)take(&c, 1);
            ev.m.md_ts = t - (int64_t)take(&c, 1) * 100000000LL;
            type = RS_EV_MARK, len = sizeof ev.m;
            break;
        case 1:
            ev.b.sym = (uint16_t)(take(&c, 1) % 3);
            ev.b.close = fval(&c) + 300;
            ev.b.high = ev.b.close + fval(&c);
            ev.b.low = ev.b.close - fval(&c);
            ev.b.end_ns = t;
            type = RS_EV_BAR, len = sizeof ev.b;
            break;
        case 2:
            ev.p.sym = (uint16_t)(take(&c, 1) % 3);
            ev.p.ready = (uint8_t)(take(&c, 1) & 1);
            ev.p.weighted_bps = fval(&c);
            ev.p.z_edge = fval(&c);
            ev.p.bar_end_ns = t - t % 60000000000LL;
            type = RS_EV_PREDICTION, len = sizeof ev.p;
            break;
        case 3: {
            uint8_t w = (uint8_t)take(&c, 1);
            ev.x.client_id = nrecent && w < 200 ? recent[w % nrecent] : take(&c, 2);
            ev.x.sym = (uint16_t)(take(&c, 1) % 3);
            ev.x.state = (uint8_t)(take(&c, 1) % 11);
            ev.x.side = (uint8_t)(take(&c, 1) % 3);
            ev.x.is_fill = (uint8_t)(take(&c, 1) & 1);
            ev.x.source = (uint8_t)(take(&c, 1) % 3);
            ev.x.last_px = (int64_t)take(&c, 3);
            ev.x.last_qty = (int64_t)take(&c, 2);
            ev.x.cum_qty = (int64_t)take(&c, 2);
            ev.x.fee = fval(&c);
            ev.x.reject_code = (int32_t)(take(&c, 1) % 3) - 1;
            type = RS_EV_EXEC_REPORT, len = sizeof ev.x;
            break;
        }
        case 4:
            ev.k.cmd = (uint16_t)(take(&c, 1) % 8);
            ev.k.sym = take(&c, 1) & 1 ? 0xffff : (uint16_t)(take(&c, 1) % 3);
            type = RS_EV_CONTROL, len = sizeof ev.k;
            break;
        case 5:
        case 6:
            type = RS_EV_TIMER, len = sizeof ev.tm;
            break;
        case 7:
            ev.f.sym = take(&c, 1) & 1 ? 0xffff : (uint16_t)(take(&c, 1) % 3);
            ev.f.state = (uint8_t)(take(&c, 1) % 5);
            type = RS_EV_FRESHNESS, len = sizeof ev.f;
            break;
        default:
            /* any type, any length up to the buffer: truncated layouts */
            type = (uint16_t)(take(&c, 1) % RS_EV_TYPE_MAX);
            len = (uint32_t)(sizeof(rs_rec) + take(&c, 1) % (sizeof ev - sizeof(rs_rec)));
            for (uint32_t j = sizeof(rs_rec); j < len; j++)
                ev.raw[j] = (uint8_t)take(&c, 1);
            break;
        }
        ev.h.len = len;
        ev.h.type = type;
        ev.h.seq = ++seq;
        ev.h.ts = t;
        int small = (op & 0x80) != 0;
        rs_emit_buf *out = small ? &tiny : &eb;
        rs_emit_buf_reset(&eb);
        rs_emit_buf_reset(&tiny);
        int rc = rs_gate_on_event(g, &ev.h, &out->e);
        for (int tries = 0; rc == RS_FULL && tries < 10000; tries++) {
            check_out(out);
            rs_emit_buf_reset(out);
            if (tries > 8)
                out = &eb;   /* room at last */
            rc = rs_gate_on_event(g, &ev.h, &out->e);
        }
        if (rc != RS_OK && rc != RS_SKIP && rc != RS_BAD)
            abort();
        check_out(out);
        size_t off = 0;
        const rs_rec *r;
        while ((r = rs_emit_buf_next(out, &off)))
            if (r->type == RS_EV_INTENT) {
                recent[rhead++ % 16] = ((const rs_ev_intent *)r)->client_id;
                nrecent = nrecent < 16 ? nrecent + 1 : 16;
            }
        int k = rs_gate_killed(g);
        if (was_killed && !k)
            abort();
        was_killed = k;
    }
    return 0;
}
