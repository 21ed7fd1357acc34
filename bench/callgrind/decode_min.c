/* Wall-clock min-of-runs harness for the decoders (a shared machine makes
 * single runs noisy; the minimum over many repetitions is the stable
 * figure). Not part of the CMake build: decode_min.sh compiles it against
 * the release libraries. Per bench_decode.c case, ns per message of
 *   ours      rs_decode with the shape cache (the default)
 *   ref       the same decoder with no_spec = 1 (the template path)
 *   simdjson  the On-Demand peer
 * as the minimum over REPS repetitions of ITER back-to-back decodes, the
 * three interleaved per repetition. Then two streams that are not one
 * message repeated:
 *   digits    the case's message with different digits each time (64
 *             variants: what a live stream of one kind and symbol looks
 *             like; the shape covers them all)
 *   stream    a synthetic combined-stream trade feed: four symbols in
 *             random order, prices on random walks (Binance's 8-decimal
 *             padding), random quantities, sides, ids and times (4096
 *             messages, cycled): shapes hit only when the layout repeats
 *   thrash    trade messages of the same length for four symbols in turn:
 *             they share a cache slot, three in four miss (the miss cost:
 *             a failed check, then the template path)
 * Usage: decode_min [REPS=25] [ITER=20000] */
#include <time.h>

#include "../bench_decode.c"
#include "decode_json.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#define NV 64

int main(int argc, char **argv)
{
    int reps = argc > 1 ? atoi(argv[1]) : 25;
    long iter = argc > 2 ? atol(argv[2]) : 20000;
    rs_universe *u = rs_mem_alloc(sizeof *u, 64, "min universe");
    rs_decoder *dec = rs_mem_alloc(4 * sizeof *dec, 64, "min decoders");
    rs_decoder *ref = rs_mem_alloc(4 * sizeof *ref, 64, "min ref decoders");
    rs_decoded *out = rs_mem_alloc(sizeof *out, 64, "min out");
    const char *syms[] = {"BNBBTC", "BNBUSDT", "ETHUSDT", "BTCUSDT", "BTC-USDT", "BNBETH", "ETHBTC", "LTCBTC"};
    srand(7);
    bench_universe(u, syms, RS_ARRAY_LEN(syms));
    for (int v = RS_VENUE_BINANCE; v <= RS_VENUE_OKX; v++) {
        rs_decoder_init(&dec[v], u, (uint8_t)v);
        rs_decoder_init(&ref[v], u, (uint8_t)v);
        ref[v].no_spec = 1;
    }
    rs_sj_ctx *sj = rs_sj_create();
    printf("%-24s %9s %9s %9s %8s %8s %9s %9s\n", "case (min ns/msg)", "ours", "ref", "simdjson", "ours/sj",
           "ref/sj", "digits", "digits-ref");
    for (size_t c = 0; c < RS_ARRAY_LEN(cases); c++) {
        const char *m = cases[c].msg;
        size_t n = strlen(m);
        rs_sj_set(sj, (int)c, m, n);
        rs_decoder *d = &dec[cases[c].venue], *r = &ref[cases[c].venue];
        /* digit variants: the last digit of every number set to 1..8
         * (keeps id pairs ordered, prices non-zero, scales unchanged;
         * one-digit strings such as OKX "source" stay) */
        static uint8_t var[NV][512];
        for (int k = 0; k < NV; k++) {
            memcpy(var[k], m, n);
            for (size_t i = 1; i + 1 < n; i++)
                if (j_isdigit((uint8_t)m[i]) && !j_isdigit((uint8_t)m[i + 1]) && m[i + 1] != '.' &&
                    !(m[i - 1] == '"' && m[i + 1] == '"') &&   /* one-digit strings: OKX "source" */
                    (j_isdigit((uint8_t)m[i - 1]) || m[i - 1] == '.' || m[i - 1] == ':' || m[i - 1] == '"'))
                    var[k][i] = (uint8_t)('1' + (k + i) % 8);
            if (rs_decode(d, var[k], n, out) != RS_OK)
                fprintf(stderr, "variant %d of %s rejected\n", k, cases[c].name);
        }
        double best[5] = {1e18, 1e18, 1e18, 1e18, 1e18};
        for (int rep = 0; rep < reps; rep++) {
            double t0 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_decode(d, (const uint8_t *)m, n, out);
            double t1 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_decode(r, (const uint8_t *)m, n, out);
            double t2 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_sj_decode(sj, (int)c, cases[c].kind, d, out);
            double t3 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_decode(d, var[i & (NV - 1)], n, out);
            double t4 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_decode(r, var[i & (NV - 1)], n, out);
            double t5 = now_ns();
            double t[5] = {t1 - t0, t2 - t1, t3 - t2, t4 - t3, t5 - t4};
            for (int k = 0; k < 5; k++)
                if (t[k] / (double)iter < best[k])
                    best[k] = t[k] / (double)iter;
        }
        printf("%-24s %9.1f %9.1f %9.1f %7.2fx %7.2fx %9.1f %9.1f\n", cases[c].name, best[0], best[1], best[2],
               best[2] / best[0], best[2] / best[1], best[3], best[4]);
    }
    /* stream: four symbols, random walks */
    {
        enum { NS = 4096 };
        static char sm[NS][256];
        static size_t sn[NS];
        const char *sy[4] = {"BTCUSDT", "ETHUSDT", "BNBUSDT", "BNBBTC"};
        double px[4] = {43150.12, 2301.45, 310.7, 0.007123};
        int pdec[4] = {2, 2, 1, 6};
        uint64_t tid[4] = {705291099, 3291000123, 612345678, 245678901}, ms = 1639351062244;
        for (int i = 0; i < NS; i++) {
            int k = rand() % 4;
            double step = (double)(rand() % 21 - 10) * (pdec[k] == 6 ? 1e-6 : pdec[k] == 2 ? 0.01 : 0.1);
            px[k] += step;
            if (px[k] <= 0)
                px[k] = -px[k] + 0.01;
            double q = (double)(1 + rand() % 200000) / (rand() % 2 ? 10000.0 : 100000.0);
            char lower[16];
            for (int j = 0; j < 8; j++)
                lower[j] = (char)(sy[k][j] >= 'A' && sy[k][j] <= 'Z' ? sy[k][j] + 32 : sy[k][j]);
            ms += (uint64_t)(rand() % 40);
            sn[i] = (size_t)snprintf(sm[i], sizeof sm[i],
                                     "{\"stream\":\"%s@trade\",\"data\":{\"e\":\"trade\",\"E\":%llu,\"s\":\"%s\","
                                     "\"t\":%llu,\"p\":\"%.8f\",\"q\":\"%.8f\",\"T\":%llu,\"m\":%s,\"M\":true}}",
                                     lower, (unsigned long long)ms, sy[k], (unsigned long long)++tid[k], px[k], q,
                                     (unsigned long long)ms - 1, rand() % 2 ? "true" : "false");
            if (rs_decode(&dec[RS_VENUE_BINANCE], (const uint8_t *)sm[i], sn[i], out) != RS_OK)
                fprintf(stderr, "stream message %d rejected: %s\n", i, sm[i]);
            rs_sj_set(sj, 16 + i, sm[i], sn[i]);
        }
        double bs[3] = {1e18, 1e18, 1e18};
        for (int rep = 0; rep < reps; rep++) {
            double t0 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_decode(&dec[RS_VENUE_BINANCE], (const uint8_t *)sm[i % NS], sn[i % NS], out);
            double t1 = now_ns();
            for (long i = 0; i < iter; i++)
                rs_decode(&ref[RS_VENUE_BINANCE], (const uint8_t *)sm[i % NS], sn[i % NS], out);
            double t2 = now_ns();
            if ((t1 - t0) / (double)iter < bs[0])
                bs[0] = (t1 - t0) / (double)iter;
            if ((t2 - t1) / (double)iter < bs[1])
                bs[1] = (t2 - t1) / (double)iter;
            for (long i = 0; i < iter; i++)
                rs_sj_decode(sj, 16 + (int)(i % NS), RS_SJ_BN_COMBINED_TRADE, &dec[RS_VENUE_BINANCE], out);
            double t3 = now_ns();
            if ((t3 - t2) / (double)iter < bs[2])
                bs[2] = (t3 - t2) / (double)iter;
        }
        printf("%-24s %9.1f %9.1f %9.1f %7.2fx %7.2fx   (combined trades, four symbols, random walks)\n", "stream",
               bs[0], bs[1], bs[2], bs[2] / bs[0], bs[2] / bs[1]);
    }
    /* thrash: same length, four symbols, one slot */
    static char ab4[4][256];
    const char *four[] = {"BNBBTC", "BNBETH", "ETHBTC", "LTCBTC"};
    const uint8_t *ab[4];
    for (int k = 0; k < 4; k++) {
        snprintf(ab4[k], sizeof ab4[k],
                 "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"%s\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\","
                 "\"T\":1672515782136,\"m\":true,\"M\":true}",
                 four[k]);
        ab[k] = (const uint8_t *)ab4[k];
    }
    size_t n = strlen(ab4[0]);
    double best[2] = {1e18, 1e18};
    for (int rep = 0; rep < reps; rep++) {
        double t0 = now_ns();
        for (long i = 0; i < iter; i++)
            rs_decode(&dec[RS_VENUE_BINANCE], ab[i & 3], n, out);
        double t1 = now_ns();
        for (long i = 0; i < iter; i++)
            rs_decode(&ref[RS_VENUE_BINANCE], ab[i & 3], n, out);
        double t2 = now_ns();
        if ((t1 - t0) / (double)iter < best[0])
            best[0] = (t1 - t0) / (double)iter;
        if ((t2 - t1) / (double)iter < best[1])
            best[1] = (t2 - t1) / (double)iter;
    }
    printf("%-24s %9.1f %9.1f   (four symbols in turn in one slot: 3 in 4 miss)\n", "thrash", best[0],
           best[1]);
    return 0;
}
