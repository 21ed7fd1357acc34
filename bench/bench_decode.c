/* ringside bench decode -- ns per message of the hand-written venue
 * decoders vs simdjson On-Demand (C++ peer, decode_simdjson.cpp) on the
 * same messages in the same run.
 *
 * Per case: (1) both decoders must produce identical records (checked
 * first; a mismatch fails the bench); (2) each message is timed alone with
 * rdtsc..rdtscp (the measured empty-timer cost is subtracted) into an rs_hist
 * -> percentiles; (3) a back-to-back loop gives the mean and throughput.
 * ratio_vs_peer = peer / ours of the median ns per message over batches of
 * 8 back-to-back decodes (robust to preemption on a shared machine, and 8x
 * finer than the ~10 ns timer step of a VM); the single-message p50 ratio
 * and the back-to-back mean ratio are printed in the note. Messages are compact JSON,
 * as they arrive on the wire (the vectors in ../shared/vectors/exchange,
 * minified; the futures depthUpdate is the documented USD-M example).
 *
 * The decoders keep a shape cache (feed/decode_spec.h): a message laid out
 * like a recent one (same bytes but number digits) is decoded from known
 * offsets. Each case repeats one message, so "<case>" measures that path;
 * "<case>/no_cache" measures the same decode with the cache off
 * (rs_decoder.no_spec): what a message with a new layout costs.
 * bench/callgrind/decode_min.sh adds digit-varying and multi-symbol
 * streams. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_decode_peer.h"
#include "ringside/decode.h"
#include "ringside/feed_stage.h"
#include "ringside/mem.h"
#include "ringside/tsc.h"

static const struct {
    const char *name;
    int venue;
    int kind;
    const char *msg;
} cases[] = {
    {"binance_trade", RS_VENUE_BINANCE, RS_SJ_BN_TRADE,
     "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\","
     "\"T\":1672515782136,\"m\":true,\"M\":true}"},
    {"binance_combined_trade", RS_VENUE_BINANCE, RS_SJ_BN_COMBINED_TRADE,
     "{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\","
     "\"t\":705291099,\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"b\":7038593583,\"a\":7038593613,"
     "\"T\":1639351062243,\"m\":true,\"M\":true}}"},
    {"binance_aggTrade", RS_VENUE_BINANCE_FUT, RS_SJ_BN_AGG,
     "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\","
     "\"f\":100,\"l\":105,\"T\":1672515782136,\"m\":true,\"M\":true}"},
    {"binance_bookTicker", RS_VENUE_BINANCE, RS_SJ_BN_BBO,
     "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\","
     "\"A\":\"40.66000000\"}"},
    {"binance_depthUpdate", RS_VENUE_BINANCE_FUT, RS_SJ_BN_DEPTH,
     "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"T\":1571889248276,\"s\":\"BTCUSDT\",\"U\":390497796,"
     "\"u\":390497878,\"pu\":390497794,\"b\":[[\"7403.89\",\"0.002\"],[\"7403.90\",\"3.906\"]],"
     "\"a\":[[\"7405.96\",\"3.340\"],[\"7406.63\",\"4.525\"]]}"},
    {"okx_trades", RS_VENUE_OKX, RS_SJ_OKX_TRADES,
     "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\","
     "\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\",\"side\":\"buy\",\"ts\":\"1630048897897\","
     "\"count\":\"3\",\"source\":\"0\",\"seqId\":1234}]}"},
};

/* A per-message result: percentiles of h (ticks), mean ns, messages/s. */
static void msg_result(rs_bench_result *r, const char *name, const rs_hist *h, double ghz, double mean_ns)
{
    memset(r, 0, sizeof *r);
    r->bench = "decode";
    r->case_name = name;
    r->unit = "ns";
    rs_bench_from_hist(r, h, 1.0 / ghz);
    r->mean = mean_ns;
    r->throughput = 1e9 / mean_ns;
    r->tp_unit = "msgs/s";
}

/* The bench's instruments: 8 decimals for prices and quantities. */
static void bench_universe(rs_universe *u, const char *const *syms, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        rs_instrument ins;
        memset(&ins, 0, sizeof ins);
        strcpy(ins.symbol, syms[i]);
        ins.px_exp = 8;
        ins.qty_exp = 8;
        rs_universe_add(u, &ins);
    }
}

/* Same records? (headers are zero in both) */
static int same(const rs_decoded *a, const rs_decoded *b)
{
    if (a->kind != b->kind)
        return 0;
    switch (a->kind) {
    case RS_DEC_TRADE:
        if (a->n_trades != b->n_trades)
            return 0;
        for (unsigned i = 0; i < a->n_trades; i++) {
            const rs_ev_trade *x = &a->trades[i], *y = &b->trades[i];
            if (x->sym != y->sym || x->side != y->side || x->trade_id != y->trade_id || x->px != y->px ||
                x->qty != y->qty || x->event_ms != y->event_ms || x->trade_ms != y->trade_ms)
                return 0;
        }
        return 1;
    case RS_DEC_BBO:
        return a->bbo.sym == b->bbo.sym && a->bbo.update_id == b->bbo.update_id && a->bbo.bid_px == b->bbo.bid_px &&
               a->bbo.bid_qty == b->bbo.bid_qty && a->bbo.ask_px == b->bbo.ask_px && a->bbo.ask_qty == b->bbo.ask_qty;
    case RS_DEC_DEPTH: {
        const rs_ev_depth *x = rs_decoded_depth_c(a), *y = rs_decoded_depth_c(b);
        return x->sym == y->sym && x->n_bids == y->n_bids && x->n_asks == y->n_asks &&
               x->first_update_id == y->first_update_id && x->final_update_id == y->final_update_id &&
               !memcmp(x->levels, y->levels, ((size_t)x->n_bids + x->n_asks) * sizeof(rs_level));
    }
    default:
        return 0;
    }
}

typedef struct runner {
    rs_decoder *dec;
    rs_sj_ctx *sj;
    rs_decoded *out;
    int idx, kind, peer;
    const uint8_t *p;
    size_t n;
} runner;

static inline int run_once(runner *r)
{
    if (r->peer)
        return rs_sj_decode(r->sj, r->idx, r->kind, r->dec, r->out);
    return rs_decode(r->dec, r->p, r->n, r->out);
}

/* Percentiles (ticks, timer cost removed) and the back-to-back mean (ns). */
#define BATCH 8
/* Per-message ns, median over batches of BATCH back-to-back decodes: the
 * timer's resolution (about 10 ns on a VM) divided by BATCH. */
static int batch_p50(runner *r, long iters, uint64_t timer_cost, rs_hist *hb, double ghz, double *p50_ns)
{
    rs_hist_init(hb);
    for (long i = 0; i < iters / BATCH; i++) {
        uint64_t t0 = rs_rdtsc();
        __asm__ __volatile__("" ::: "memory");
        int bad = 0;
        for (int k = 0; k < BATCH; k++)
            bad |= run_once(r);
        uint64_t t1 = rs_rdtscp();
        if (bad)
            return -1;
        uint64_t d = t1 - t0;
        rs_hist_add(hb, d > timer_cost ? d - timer_cost : 0);
    }
    *p50_ns = (double)rs_hist_pct(hb, 50) / ghz / BATCH;
    return 0;
}

static int measure(runner *r, long iters, uint64_t timer_cost, rs_hist *h, double *mean_ns, double ghz)
{
    rs_hist_init(h);
    for (long i = 0; i < iters / 10; i++)   /* warm-up */
        if (run_once(r))
            return -1;
    for (long i = 0; i < iters; i++) {
        uint64_t t0 = rs_rdtsc();
        __asm__ __volatile__("" ::: "memory");
        int rc = run_once(r);
        uint64_t t1 = rs_rdtscp();
        if (rc)
            return -1;
        uint64_t d = t1 - t0;
        rs_hist_add(h, d > timer_cost ? d - timer_cost : 0);
    }
    uint64_t t0 = rs_rdtscp();
    int bad = 0;
    for (long i = 0; i < iters; i++)
        bad |= run_once(r);
    uint64_t t1 = rs_rdtscp();
    *mean_ns = (double)(t1 - t0) / ghz / (double)iters;
    return bad ? -1 : 0;
}

/* The feed stage on top of the decoder: decode + dedupe + md record + mark
 * record into memory emitters (reset when full, outside the timed call). */
static int bench_stage(const rs_bench_opts *o, rs_universe *u, long iters, uint64_t timer_cost, double ghz,
                       rs_hist *h)
{
    rs_feed_cfg cfg;
    rs_feed_cfg_default(&cfg);
    void *mem = rs_mem_alloc(rs_feed_memsize(), 64, "bench feed stage");
    size_t cap = 1 << 20;
    uint8_t *bmd = rs_mem_alloc(cap, 64, "bench md"), *bmk = rs_mem_alloc(cap, 64, "bench mark");
    char (*msgs)[160] = rs_mem_alloc(4096 * 160, 64, "bench msgs");
    if (!mem || !bmd || !bmk || !msgs)
        return 1;
    rs_feed *st = rs_feed_init(mem, &cfg, u);
    if (!st)
        return 1;
    rs_emit_buf md, mk;
    rs_emit_buf_init(&md, bmd, cap, RS_STREAM_MD);
    rs_emit_buf_init(&mk, bmk, cap, RS_STREAM_MARK);
    rs_feed_out out = {&md.e, &mk.e, NULL};
    /* distinct trade ids (a repeated id would be a duplicate), alternating price */
    for (int i = 0; i < 4096; i++)
        snprintf(msgs[i], 160,
                 "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":%d,\"p\":\"0.00%d\",\"q\":\"100\","
                 "\"T\":1672515782136,\"m\":true,\"M\":true}",
                 1000000 + i, 1 + (i & 1));
    size_t lens[4096];
    for (int i = 0; i < 4096; i++)
        lens[i] = strlen(msgs[i]);
    rs_hist_init(h);
    uint64_t id = 0;
    for (long i = 0; i < iters; i++) {
        int k = (int)(i & 4095);
        if (k == 0 && i) {   /* new ids for the next round */
            id += 4096;
            for (int j = 0; j < 4096; j++) {
                lens[j] = (size_t)snprintf(msgs[j], 160,
                                           "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":%llu,"
                                           "\"p\":\"0.00%d\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
                                           (unsigned long long)(1000000 + id + (uint64_t)j), 1 + (j & 1));
            }
        }
        if (md.used + 4096 > cap || mk.used + 4096 > cap) {
            rs_emit_buf_reset(&md);
            rs_emit_buf_reset(&mk);
        }
        uint64_t t0 = rs_rdtsc();
        __asm__ __volatile__("" ::: "memory");
        int rc = rs_feed_on_frame(st, 0, (const uint8_t *)msgs[k], lens[k], 1700000000000000000LL + i, &out);
        uint64_t t1 = rs_rdtscp();
        if (rc != RS_OK)
            return 1;
        uint64_t d = t1 - t0;
        rs_hist_add(h, d > timer_cost ? d - timer_cost : 0);
    }
    const rs_feed_stats *fs = rs_feed_get_stats(st);
    rs_bench_result r;
    memset(&r, 0, sizeof r);
    r.bench = "decode";
    r.case_name = "feed_stage_binance_trade";
    r.unit = "ns";
    rs_bench_from_hist(&r, h, 1.0 / ghz);
    r.throughput = r.mean > 0 ? 1e9 / r.mean : 0;
    r.tp_unit = "msgs/s";
    char note[160];
    snprintf(note, sizeof note, "rs_feed_on_frame: decode + dedupe + trade + mark records; %llu trades %llu marks",
             (unsigned long long)fs->trades, (unsigned long long)fs->marks);
    r.note = note;
    rs_bench_emit(o, &r);
    int bad = fs->trades != (uint64_t)iters;
    rs_mem_free(msgs);
    rs_mem_free(bmk);
    rs_mem_free(bmd);
    rs_mem_free(mem);
    return bad;
}

int rs_bench_decode(const rs_bench_opts *o)
{
    long iters = o->quick ? 20000 : 1000000;
    rs_bench_pin(o->cpu_a);
    double ghz = rs_tsc_ghz();
    /* cost of an empty rdtsc..rdtscp pair (median) */
    rs_hist th;
    rs_hist_init(&th);
    for (int i = 0; i < 100000; i++) {
        uint64_t t0 = rs_rdtsc();
        __asm__ __volatile__("" ::: "memory");
        uint64_t t1 = rs_rdtscp();
        rs_hist_add(&th, t1 - t0);
    }
    uint64_t timer_cost = rs_hist_pct(&th, 50);

    rs_universe *u = rs_mem_alloc(sizeof *u, 64, "bench decode universe");
    rs_decoder *dec = rs_mem_alloc(8 * sizeof *dec, 64, "bench decode decoders");   /* [4..8): no cache */
    rs_decoded *out = rs_mem_alloc(2 * sizeof *out, 64, "bench decode outputs");
    rs_hist *h = rs_mem_alloc(sizeof *h, 64, "bench decode hist");
    rs_hist *hb = rs_mem_alloc(sizeof *hb, 64, "bench decode batch hist");
    if (!u || !dec || !out || !h || !hb) {
        fprintf(stderr, "bench decode: %s\n", rs_err_msg());
        return 1;
    }
    const char *syms[] = {"BNBBTC", "BNBUSDT", "ETHUSDT", "BTCUSDT", "BTC-USDT"};
    bench_universe(u, syms, RS_ARRAY_LEN(syms));
    for (int v = RS_VENUE_BINANCE; v <= RS_VENUE_OKX; v++) {
        rs_decoder_init(&dec[v], u, (uint8_t)v);
        rs_decoder_init(&dec[4 + v], u, (uint8_t)v);
        dec[4 + v].no_spec = 1;
    }
    int have_peer = rs_sj_available();
    rs_sj_ctx *sj = have_peer ? rs_sj_create() : NULL;
    if (have_peer && !sj) {
        fprintf(stderr, "bench decode: cannot create the simdjson peer\n");
        return 1;
    }

    char note[400];
    rs_bench_header(o, "decode", "venue decoders vs simdjson On-Demand (ns/message)");
    int rc = 0;
    rs_hist all_ours, all_peer;
    rs_hist_init(&all_ours);
    rs_hist_init(&all_peer);
    double sum_ours = 0, sum_peer = 0, sum_p50_ours = 0, sum_p50_peer = 0;
    for (unsigned c = 0; c < RS_ARRAY_LEN(cases); c++) {
        size_t n = strlen(cases[c].msg);
        runner ours = {&dec[cases[c].venue], sj, &out[0], (int)c, cases[c].kind, 0, (const uint8_t *)cases[c].msg, n};
        runner peer = ours;
        peer.peer = 1;
        peer.out = &out[1];
        if (run_once(&ours) != 0) {
            fprintf(stderr, "bench decode: %s: our decoder rejected the sample (%s)\n", cases[c].name,
                    rs_dec_reason_name(out[0].err.reason));
            return 1;
        }
        if (have_peer) {
            rs_sj_set(sj, (int)c, cases[c].msg, n);
            if (run_once(&peer) != 0 || !same(&out[0], &out[1])) {
                fprintf(stderr, "bench decode: %s: simdjson peer disagrees with our decoder\n", cases[c].name);
                return 1;
            }
        }
        double m_ours = 0, m_peer = 0, peer_p50 = 0, b_ours = 0, b_peer = 0;
        rs_bench_result r;
        char pnote[500];
        snprintf(note, sizeof note, "%zu-byte frame; timer cost %.1f ns subtracted", n, (double)timer_cost / ghz);
        if (have_peer) {
            if (measure(&peer, iters, timer_cost, h, &m_peer, ghz)) {
                rc = 1;
                continue;
            }
            rs_hist_merge(&all_peer, h);
            sum_peer += m_peer;
            memset(&r, 0, sizeof r);
            char cname[64];
            snprintf(cname, sizeof cname, "%s/simdjson", cases[c].name);
            msg_result(&r, cname, h, ghz, m_peer);
            peer_p50 = r.p50;
            snprintf(pnote, sizeof pnote, "peer: simdjson %s On-Demand; %s", rs_sj_version(), note);
            r.note = pnote;
            rs_bench_emit(o, &r);
            if (batch_p50(&peer, iters, timer_cost, hb, ghz, &b_peer)) {
                rc = 1;
                continue;
            }
        }
        if (measure(&ours, iters, timer_cost, h, &m_ours, ghz)) {
            rc = 1;
            continue;
        }
        rs_hist_merge(&all_ours, h);
        sum_ours += m_ours;
        if (batch_p50(&ours, iters, timer_cost, hb, ghz, &b_ours)) {
            rc = 1;
            continue;
        }
        msg_result(&r, cases[c].name, h, ghz, m_ours);
        if (have_peer) {
            r.peer = "simdjson_ondemand";
            /* ratio from the batched medians (finer than the timer step) */
            r.ratio_vs_peer = b_peer / b_ours;
            sum_p50_ours += b_ours;
            sum_p50_peer += b_peer;
            snprintf(note + strlen(note), sizeof note - strlen(note),
                     "; batch-of-%d p50 %.1f vs %.1f ns/msg; single-p50 ratio %.2fx; mean ratio %.2fx", BATCH, b_ours,
                     b_peer, peer_p50 / r.p50, m_peer / m_ours);
        }
        r.note = note;
        rs_bench_emit(o, &r);
        /* the same without the shape cache (a layout seen for the first time) */
        runner nc = ours;
        nc.dec = &dec[4 + cases[c].venue];
        double m_nc = 0, b_nc = 0;
        if (measure(&nc, iters, timer_cost, h, &m_nc, ghz) || batch_p50(&nc, iters, timer_cost, hb, ghz, &b_nc)) {
            rc = 1;
            continue;
        }
        char ncname[64];
        snprintf(ncname, sizeof ncname, "%s/no_cache", cases[c].name);
        msg_result(&r, ncname, h, ghz, m_nc);
        if (have_peer) {
            r.peer = "simdjson_ondemand";
            r.ratio_vs_peer = b_peer / b_nc;
        }
        snprintf(pnote, sizeof pnote, "shape cache off (rs_decoder.no_spec); batch-of-%d p50 %.1f ns/msg", BATCH,
                 b_nc);
        r.note = pnote;
        rs_bench_emit(o, &r);
    }
    /* all messages together */
    rs_bench_result r;
    memset(&r, 0, sizeof r);
    r.bench = "decode";
    r.case_name = "all_samples";
    r.unit = "ns";
    rs_bench_from_hist(&r, &all_ours, 1.0 / ghz);
    r.mean = sum_ours / RS_ARRAY_LEN(cases);
    r.throughput = 1e9 / r.mean;
    r.tp_unit = "msgs/s";
    if (have_peer && sum_p50_ours > 0) {
        r.peer = "simdjson_ondemand";
        r.ratio_vs_peer = sum_p50_peer / sum_p50_ours;
    }
    snprintf(note, sizeof note,
             "%zu message kinds, equal weight; ratio of summed batch-of-8 p50s (mean ratio %.2fx); target p99 < 200 ns, >= 5x",
             RS_ARRAY_LEN(cases), sum_ours > 0 ? sum_peer / sum_ours : 0.0);
    r.note = have_peer ? note : "simdjson not built in (libsimdjson-dev missing): no peer";
    rs_bench_emit(o, &r);
    if (bench_stage(o, u, iters, timer_cost, ghz, h))
        rc = 1;
    if (sj)
        rs_sj_destroy(sj);
    rs_mem_free(hb);
    rs_mem_free(h);
    rs_mem_free(out);
    rs_mem_free(dec);
    rs_mem_free(u);
    return rc;
}
