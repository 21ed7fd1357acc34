/* ringside bench decode -- ns per message of the hand-written venue
 * decoders vs simdjson On-Demand (C++ peer, decode_simdjson.cpp) on the
 * same messages in the same run.
 *
 * Per case: (1) both decoders must produce identical records (checked
 * first; a mismatch fails the bench); (2) each message is timed alone with
 * rdtsc..rdtscp (the measured empty-timer cost is subtracted) into an rs_hist
 * -> percentiles; (3) a back-to-back loop gives the mean and throughput;
 * ratio_vs_peer = peer mean / our mean from (3). Messages are compact JSON,
 * as they arrive on the wire (the vectors in ../shared/vectors/exchange,
 * minified; the futures depthUpdate is the documented USD-M example). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "bench_decode_peer.h"
#include "ringside/decode.h"
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
    rs_decoder *dec = rs_mem_alloc(4 * sizeof *dec, 64, "bench decode decoders");
    rs_decoded *out = rs_mem_alloc(2 * sizeof *out, 64, "bench decode outputs");
    rs_hist *h = rs_mem_alloc(sizeof *h, 64, "bench decode hist");
    if (!u || !dec || !out || !h) {
        fprintf(stderr, "bench decode: %s\n", rs_err_msg());
        return 1;
    }
    const char *syms[] = {"BNBBTC", "BNBUSDT", "ETHUSDT", "BTCUSDT", "BTC-USDT"};
    for (unsigned i = 0; i < RS_ARRAY_LEN(syms); i++) {
        rs_instrument ins;
        memset(&ins, 0, sizeof ins);
        strcpy(ins.symbol, syms[i]);
        ins.px_exp = 8;
        ins.qty_exp = 8;
        rs_universe_add(u, &ins);
    }
    for (int v = RS_VENUE_BINANCE; v <= RS_VENUE_OKX; v++)
        rs_decoder_init(&dec[v], u, (uint8_t)v);
    int have_peer = rs_sj_available();
    rs_sj_ctx *sj = have_peer ? rs_sj_create() : NULL;
    if (have_peer && !sj) {
        fprintf(stderr, "bench decode: cannot create the simdjson peer\n");
        return 1;
    }

    char note[160];
    snprintf(note, sizeof note, "per message; %d-byte compact frame; timer cost %.1f ns subtracted; tsc %.2f GHz",
             0, (double)timer_cost / ghz, ghz);
    rs_bench_header(o, "decode", "venue decoders vs simdjson On-Demand (ns/message)");
    int rc = 0;
    rs_hist all_ours, all_peer;
    rs_hist_init(&all_ours);
    rs_hist_init(&all_peer);
    double sum_ours = 0, sum_peer = 0;
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
        double m_ours = 0, m_peer = 0;
        rs_bench_result r;
        char pnote[200];
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
            r.bench = "decode";
            r.case_name = cname;
            r.unit = "ns";
            rs_bench_from_hist(&r, h, 1.0 / ghz);
            r.mean = m_peer;
            r.throughput = 1e9 / m_peer;
            r.tp_unit = "msgs/s";
            snprintf(pnote, sizeof pnote, "peer: simdjson %s On-Demand; %s", "3.x", note);
            r.note = pnote;
            rs_bench_emit(o, &r);
        }
        if (measure(&ours, iters, timer_cost, h, &m_ours, ghz)) {
            rc = 1;
            continue;
        }
        rs_hist_merge(&all_ours, h);
        sum_ours += m_ours;
        memset(&r, 0, sizeof r);
        r.bench = "decode";
        r.case_name = cases[c].name;
        r.unit = "ns";
        rs_bench_from_hist(&r, h, 1.0 / ghz);
        r.mean = m_ours;
        r.throughput = 1e9 / m_ours;
        r.tp_unit = "msgs/s";
        if (have_peer) {
            r.peer = "simdjson_ondemand";
            r.ratio_vs_peer = m_peer / m_ours;
        }
        r.note = note;
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
    if (have_peer && sum_ours > 0) {
        r.peer = "simdjson_ondemand";
        r.ratio_vs_peer = sum_peer / sum_ours;
    }
    snprintf(note, sizeof note, "%zu message kinds, equal weight; target p99 < 200 ns, >= 5x simdjson",
             RS_ARRAY_LEN(cases));
    r.note = have_peer ? note : "simdjson not built in (libsimdjson-dev missing): no peer";
    rs_bench_emit(o, &r);
    if (sj)
        rs_sj_destroy(sj);
    rs_mem_free(h);
    rs_mem_free(out);
    rs_mem_free(dec);
    rs_mem_free(u);
    return rc;
}
