/* ringside bench gate -- the gate stage's hot path.
 *
 * Cases (each call timed with rdtsc, converted to ns):
 *   prediction   rs_gate_on_event on a prediction: every gate evaluated,
 *                sizing, decision record staged and copied out
 *   mark         rs_gate_on_event on a mark tick with an open position:
 *                mark to market, catastrophic guard, drawdown check
 *   quantile/W   rolling exact quantile push + Q(0.8), window W, against a
 *                sorted-array peer (binary search + memmove, O(W) per update)
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "ringside/gate.h"
#include "ringside/mem.h"
#include "ringside/quantile.h"
#include "ringside/tsc.h"

static void uni(rs_universe *u)
{
    memset(u, 0, sizeof *u);
    rs_instrument b = {.symbol = "BTCUSDT", .venue = RS_VENUE_BINANCE, .px_exp = 2, .qty_exp = 5,
                       .tick = 1, .lot = 1, .min_qty = 10, .min_notional = 5.0};
    rs_instrument e = {.symbol = "ETHUSDT", .venue = RS_VENUE_BINANCE, .px_exp = 2, .qty_exp = 4,
                       .tick = 1, .lot = 1, .min_qty = 10, .min_notional = 5.0};
    rs_universe_add(u, &b);
    rs_universe_add(u, &e);
}

static uint64_t g_seq;
static int feed(rs_gate *g, rs_rec *r, uint16_t type, uint32_t len, int64_t ts, rs_emit_buf *eb)
{
    r->len = len;
    r->type = type;
    r->seq = ++g_seq;
    r->ts = ts;
    rs_emit_buf_reset(eb);
    return rs_gate_on_event(g, r, &eb->e);
}

static void mark(rs_gate *g, int64_t ts, double px, rs_emit_buf *eb)
{
    rs_ev_mark m = {0};
    m.last_px = (int64_t)llround(px * 100);
    m.bid_px = m.last_px - 50;
    m.ask_px = m.last_px + 50;
    m.md_ts = ts;
    feed(g, &m.h, RS_EV_MARK, sizeof m, ts, eb);
}

static void emit_hist(const rs_bench_opts *o, const char *c, const rs_hist *h, double scale, uint64_t n,
                      double total_ns, const char *peer, double ratio)
{
    rs_bench_result r = {.bench = "gate", .case_name = c, .unit = "ns", .tp_unit = "events/s"};
    rs_bench_from_hist(&r, h, scale);
    r.throughput = total_ns > 0 ? (double)n / (total_ns * 1e-9) : 0;
    r.peer = peer;
    r.ratio_vs_peer = ratio;
    rs_bench_emit(o, &r);
}

/* peer: a sorted array kept by binary search + memmove */
typedef struct sorted_win {
    double *ring, *sorted;
    uint32_t w, n, next;
} sorted_win;

static void sw_push(sorted_win *s, double v)
{
    if (s->n == s->w) {
        double old = s->ring[s->next];
        uint32_t lo = 0, hi = s->n;
        while (lo < hi) {
            uint32_t mid = (lo + hi) / 2;
            if (s->sorted[mid] < old)
                lo = mid + 1;
            else
                hi = mid;
        }
        memmove(s->sorted + lo, s->sorted + lo + 1, (s->n - lo - 1) * sizeof(double));
        s->n--;
    }
    uint32_t lo = 0, hi = s->n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        if (s->sorted[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    memmove(s->sorted + lo + 1, s->sorted + lo, (s->n - lo) * sizeof(double));
    s->sorted[lo] = v;
    s->n++;
    s->ring[s->next] = v;
    s->next = (s->next + 1) % s->w;
}

static double sw_at(const sorted_win *s, double p)
{
    double h = (double)(s->n - 1) * p, fl = floor(h);
    uint32_t lo = (uint32_t)fl;
    if (lo + 1 >= s->n)
        return s->sorted[lo];
    return s->sorted[lo] + (h - fl) * (s->sorted[lo + 1] - s->sorted[lo]);
}

static int bench_quantile(const rs_bench_opts *o, uint32_t w, uint64_t n)
{
    double scale = 1.0 / rs_tsc_ghz();
    rs_quantile *q = rs_mem_alloc(rs_quantile_memsize(w), 64, "bench quantile");
    sorted_win s = {.ring = calloc(w, sizeof(double)), .sorted = calloc(w, sizeof(double)), .w = w};
    if (!q || !s.ring || !s.sorted)
        return 1;
    rs_quantile_init(q, w);
    static rs_hist ho, hp;
    rs_hist_init(&ho);
    rs_hist_init(&hp);
    uint64_t x = 88172645463325252ull;
    double sink = 0;
    double t_ours = 0, t_peer = 0;
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double v = (double)(x >> 11) * 0x1p-53 * 200.0 - 100.0;
        uint64_t a = rs_rdtsc();
        rs_quantile_push(q, v);
        sink = rs_quantile_at(q, 0.8);
        RS_KEEP(sink);
        uint64_t b = rs_rdtsc();
        sw_push(&s, v);
        sink = sw_at(&s, 0.8);
        RS_KEEP(sink);
        uint64_t c = rs_rdtsc();
        rs_hist_add(&ho, b - a);
        rs_hist_add(&hp, c - b);
        t_ours += (double)(b - a) * scale;
        t_peer += (double)(c - b) * scale;
    }
    (void)sink;
    char name[64], pname[64];
    snprintf(name, sizeof name, "quantile push+Q(0.8) w=%u", w);
    snprintf(pname, sizeof pname, "sorted-array w=%u", w);
    /* ratio of medians: totals on a shared machine are dominated by preemptions */
    double ratio = (double)rs_hist_pct(&hp, 50) / (double)rs_hist_pct(&ho, 50);
    emit_hist(o, name, &ho, scale, n, t_ours, "sorted-array memmove (p50/p50)", ratio);
    emit_hist(o, pname, &hp, scale, n, t_peer, NULL, 0);
    rs_mem_free(q);
    free(s.ring);
    free(s.sorted);
    return 0;
}

int rs_bench_gate(const rs_bench_opts *o)
{
    rs_bench_header(o, "gate", "gate stage on_event and the rolling quantile");
    uint64_t n = o->quick ? 20000 : 500000;
    double scale = 1.0 / rs_tsc_ghz();
    rs_universe u;
    uni(&u);
    rs_gate_params p;
    rs_gate_params_default(&p);
    p.warmup_bars = 5;
    p.atr_n = 3;
    p.lim.max_per_sec = 0;
    p.lim.max_per_min = 0;
    p.pos_period_ns = 0;
    p.dd_limit = p.dd_recover = p.dd_kill = 0;
    size_t ms = rs_gate_memsize(&p, &u);
    rs_gate *g = rs_mem_alloc(ms, 64, "bench gate");
    static uint8_t buf[1 << 16];
    static rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, sizeof buf, RS_STREAM_INTENT);
    if (!g || rs_gate_init(g, ms, &p, &u) != 0) {
        fprintf(stderr, "bench gate: init: %s\n", rs_err_msg());
        return 1;
    }
    int64_t t = 1700000000000000000LL, bar = 300000000000LL;
    for (int i = 0; i < 40; i++) {
        t += bar;
        mark(g, t, 30000, &eb);
        rs_ev_bar b = {.open = 30000, .high = 30090, .low = 29910, .close = i % 2 ? 30060 : 29940,
                       .start_ns = t - bar, .end_ns = t};
        feed(g, &b.h, RS_EV_BAR, sizeof b, t, &eb);
    }
    static rs_hist hpred, hmark;
    rs_hist_init(&hpred);
    rs_hist_init(&hmark);
    double tot_pred = 0, tot_mark = 0;
    uint64_t x = 88172645463325252ull;
    /* predictions: the full gate path; entries are kept from firing by the
     * persistence vote (directions alternate), so the state stays flat */
    for (uint64_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        rs_ev_prediction pr = {.ready = 1, .n_horizons = 1, .bar_end_ns = t};
        pr.weighted_bps = (i % 2 ? 1.0 : -1.0) * (double)(x % 80);
        pr.z_edge = pr.weighted_bps / 20.0;
        t += 1000;
        mark(g, t, 30000, &eb);
        pr.h.len = sizeof pr;
        pr.h.type = RS_EV_PREDICTION;
        pr.h.seq = ++g_seq;
        pr.h.ts = t;
        rs_emit_buf_reset(&eb);
        uint64_t a = rs_rdtsc();
        rs_gate_on_event(g, &pr.h, &eb.e);
        uint64_t b = rs_rdtsc();
        rs_hist_add(&hpred, b - a);
        tot_pred += (double)(b - a) * scale;
    }
    emit_hist(o, "on_event prediction (decision)", &hpred, scale, n, tot_pred, NULL, 0);

    /* an open position, then mark ticks: mark to market + guard */
    rs_ev_exec_report fr = {.sym = 0, .state = RS_OS_FILLED, .side = RS_SIDE_BUY, .is_fill = 1,
                            .client_id = 999, .last_px = 3000000, .last_qty = 1000, .cum_qty = 1000};
    feed(g, &fr.h, RS_EV_EXEC_REPORT, sizeof fr, t, &eb);
    for (uint64_t i = 0; i < n; i++) {
        t += 1000;
        rs_ev_mark m = {0};
        m.last_px = 3000000 + (int64_t)(i % 100);
        m.bid_px = m.last_px - 1;
        m.ask_px = m.last_px + 1;
        m.md_ts = t;
        m.h.len = sizeof m;
        m.h.type = RS_EV_MARK;
        m.h.seq = ++g_seq;
        m.h.ts = t;
        rs_emit_buf_reset(&eb);
        uint64_t a = rs_rdtsc();
        rs_gate_on_event(g, &m.h, &eb.e);
        uint64_t b = rs_rdtsc();
        rs_hist_add(&hmark, b - a);
        tot_mark += (double)(b - a) * scale;
    }
    emit_hist(o, "on_event mark (position open)", &hmark, scale, n, tot_mark, NULL, 0);
    rs_mem_free(g);

    if (bench_quantile(o, 288, n) || bench_quantile(o, 4096, n) || bench_quantile(o, 32768, n))
        return 1;
    return 0;
}
