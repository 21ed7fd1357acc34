/* ringside bench model -- tree-ensemble inference vs libxgboost's C API.
 *
 * Models: random complete-ish trees (XGBoost-shaped JSON, 32 features) of
 * 100/300/1000 trees at depths 4/6/8, or --model FILE. The same JSON is
 * loaded by ringside and by libxgboost (XGBoosterLoadModelFromBuffer,
 * nthread=1); both predict the same rows (2% missing).
 *
 * Cases per model:
 *   single/<isa>   one row per call, latency of each call (rdtscp), for
 *                  scalar, avx2, avx512 (those the CPU has); for avx512 on
 *                  the block layout one row per kernel variant, "avx512
 *                  blk(store|perm|gather)" (enum rs_model_kernel), timed
 *                  in alternating chunks
 *   batch/<isa>    4096 rows per call, ns per row
 *   peer single    XGBoosterPredictFromDense with one row (array interface
 *                  strings prepared outside the timed region)
 *   peer batch     XGBoosterPredictFromDense with 4096 rows, one thread
 * Single-row figures are percentiles of per-call latency (rdtscp); batch
 * figures are the fastest of several calls in thread CPU time (excludes time
 * descheduled by other load).
 * ratio_vs_peer = peer ns / our ns (above 1: ringside is faster). Every
 * prediction is also checked against libxgboost's (float32 equal). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "ringside/model.h"
#include "ringside/tsc.h"

#ifdef RS_HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

#define NF 32
#define NROWS 4096

static uint64_t bs_state = 0x2545F4914F6CDD1Dull;
static uint64_t brnd(void)
{
    bs_state ^= bs_state << 13;
    bs_state ^= bs_state >> 7;
    bs_state ^= bs_state << 17;
    return bs_state;
}
static double bu(void) { return (double)(brnd() >> 11) * 0x1p-53; }
static float bn(void)
{
    double u = bu() + 1e-12, v = bu();
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

/* Trees with every path at `depth` except ~5% early leaves (like trained
 * trees near max_depth). Children adjacent, as XGBoost writes them. */
typedef struct bnode {
    int l, r, f;
    float c;
} bnode;

static void bgrow(bnode *nd, int *n, int id, int d, int depth)
{
    if (d >= depth || (d > 1 && bu() < 0.05)) {
        nd[id].l = nd[id].r = -1;
        nd[id].f = 0;
        nd[id].c = bn() * 0.05f;
        return;
    }
    nd[id].f = (int)(brnd() % NF);
    nd[id].c = bn() * 0.8f;
    nd[id].l = (*n)++;
    nd[id].r = (*n)++;
    int l = nd[id].l, r = nd[id].r;
    bgrow(nd, n, l, d + 1, depth);
    bgrow(nd, n, r, d + 1, depth);
}

static char *gen_json(int ntrees, int depth)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs("{\"learner\":{\"attributes\":{},\"feature_names\":[],\"feature_types\":[],\"gradient_booster\":{\"model\":"
          "{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\",",
          f);
    fprintf(f, "\"num_trees\":\"%d\",\"size_leaf_vector\":\"0\"},\"tree_info\":[", ntrees);
    for (int i = 0; i < ntrees; i++)
        fprintf(f, "%s0", i ? "," : "");
    fputs("],\"trees\":[", f);
    bnode *nd = malloc(sizeof(bnode) * (size_t)(2 << depth));
    for (int t = 0; t < ntrees; t++) {
        int n = 1;
        bgrow(nd, &n, 0, 0, depth);
        fprintf(f, "%s{\"base_weights\":[", t ? "," : "");
        for (int i = 0; i < n; i++) fprintf(f, "%s0.0", i ? "," : "");
        fputs("],\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],\"categories_sizes\":[],"
              "\"default_left\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", (int)(brnd() & 1) & (nd[i].l != -1));
        fprintf(f, "],\"id\":%d,\"left_children\":[", t);
        for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", nd[i].l);
        fputs("],\"loss_changes\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s0.0", i ? "," : "");
        fputs("],\"parents\":[", f);
        /* parents: recomputed from the children */
        int *par = malloc(sizeof(int) * (size_t)n);
        par[0] = 2147483647;
        for (int i = 0; i < n; i++)
            if (nd[i].l != -1) par[nd[i].l] = par[nd[i].r] = i;
        for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", par[i]);
        free(par);
        fputs("],\"right_children\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", nd[i].r);
        fputs("],\"split_conditions\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s%.8e", i ? "," : "", (double)nd[i].c);
        fputs("],\"split_indices\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s%d", i ? "," : "", nd[i].f);
        fputs("],\"split_type\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s0", i ? "," : "");
        fputs("],\"sum_hessian\":[", f);
        for (int i = 0; i < n; i++) fprintf(f, "%s0.0", i ? "," : "");
        fprintf(f, "],\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"%d\",\"num_nodes\":\"%d\","
                   "\"size_leaf_vector\":\"0\"}}", NF, n);
    }
    free(nd);
    fprintf(f, "]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":\"5E-1\",\"boost_from_average\":\"1\","
               "\"num_class\":\"0\",\"num_feature\":\"%d\",\"num_target\":\"1\"},\"objective\":{\"name\":"
               "\"reg:squarederror\",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}}},\"version\":[1,7,4]}", NF);
    fclose(f);
    return buf;
}

static char *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)sz + 1);
    if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
        free(b);
        b = NULL;
    }
    fclose(f);
    if (b) {
        b[sz] = 0;
        *n = (size_t)sz;
    }
    return b;
}

static float g_sink;

/* Batch calls run for milliseconds, long enough to be preempted on a busy
 * machine: they are timed in thread CPU time (which excludes time spent
 * descheduled), for both sides alike. */
static uint64_t cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int bench_one(const rs_bench_opts *o, const char *json, size_t jlen, const char *label)
{
    rs_model *m;
    if (rs_model_load_mem(&m, json, jlen, label) < 0) {
        fprintf(stderr, "bench model: %s\n", rs_err_msg());
        return 1;
    }
    rs_model_info in;
    rs_model_get_info(m, &in);
    uint32_t nf = in.n_features;
    float *rows = malloc(sizeof(float) * (size_t)NROWS * nf);
    float *out = malloc(sizeof(float) * NROWS);
    for (size_t i = 0; i < (size_t)NROWS * nf; i++)
        rows[i] = bu() < 0.02 ? NAN : bn();
    double ghz = rs_tsc_ghz(), tick_ns = 1.0 / ghz;
    int iters = o->quick ? 300 : 5000, brep = o->quick ? 2 : 7;
    static rs_hist h;
    double peer_single = 0, peer_batch = 0;
    int rc = 0;
    char cname[96], note[128];
    const float *ref = NULL;

#ifdef RS_HAVE_XGBOOST
    int peer_iters = o->quick ? 50 : (in.n_trees >= 1000 ? 500 : 1000), peer_brep = o->quick ? 2 : 5;
    BoosterHandle bh;
    XGBoosterCreate(NULL, 0, &bh);
    if (XGBoosterLoadModelFromBuffer(bh, json, jlen) != 0) {
        fprintf(stderr, "bench model: libxgboost: %s\n", XGBGetLastError());
        return 1;
    }
    XGBoosterSetParam(bh, "nthread", "1");   /* after loading: one thread, like ours */
    static const char cfg[] = "{\"type\":1,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                              "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}";
    /* array-interface strings for every row, built outside the timing */
    char (*ai)[160] = malloc(sizeof(*ai) * NROWS);
    for (int i = 0; i < NROWS; i++)
        snprintf(ai[i], sizeof ai[i], "{\"data\":[%llu,true],\"shape\":[1,%u],\"typestr\":\"<f4\",\"version\":3}",
                 (unsigned long long)(uintptr_t)(rows + (size_t)i * nf), nf);
    char aib[160];
    snprintf(aib, sizeof aib, "{\"data\":[%llu,true],\"shape\":[%d,%u],\"typestr\":\"<f4\",\"version\":3}",
             (unsigned long long)(uintptr_t)rows, NROWS, nf);
    const bst_ulong *shape;
    bst_ulong dim;
    const float *res;
    /* peer batch (also the reference for the correctness check) */
    float *refb = malloc(sizeof(float) * NROWS);
    XGBoosterPredictFromDense(bh, aib, cfg, NULL, &shape, &dim, &res);   /* warm-up */
    memcpy(refb, res, sizeof(float) * NROWS);
    ref = refb;
    /* batch figures: the fastest of several calls (the least disturbed by
     * other load on the machine), for both sides */
    uint64_t best = UINT64_MAX;
    for (int r = 0; r < peer_brep; r++) {
        uint64_t t0 = cpu_ns();
        XGBoosterPredictFromDense(bh, aib, cfg, NULL, &shape, &dim, &res);
        uint64_t dt = cpu_ns() - t0;
        best = dt < best ? dt : best;
    }
    peer_batch = (double)best / NROWS;
    rs_hist_init(&h);
    for (int i = 0; i < peer_iters; i++) {
        uint64_t a = rs_rdtscp();
        XGBoosterPredictFromDense(bh, ai[i % NROWS], cfg, NULL, &shape, &dim, &res);
        uint64_t b = rs_rdtscp();
        rs_hist_add(&h, b - a);
        g_sink += res[0];
        RS_KEEP(g_sink);
    }
    peer_single = rs_hist_pct(&h, 50) * tick_ns;
    rs_bench_result pr = {.bench = "model", .unit = "ns"};
    snprintf(cname, sizeof cname, "%s single libxgboost", label);
    pr.case_name = cname;
    rs_bench_from_hist(&pr, &h, tick_ns);
    pr.throughput = 1e9 / pr.mean;
    pr.tp_unit = "rows/s";
    snprintf(note, sizeof note, "peer; %.2f ns/tree", pr.p50 / in.n_trees);
    pr.note = note;
    rs_bench_emit(o, &pr);
    pr.case_name = cname;
    snprintf(cname, sizeof cname, "%s batch libxgboost", label);
    memset(&pr, 0, sizeof pr);
    pr.bench = "model";
    pr.case_name = cname;
    pr.unit = "ns/row";
    pr.p50 = pr.p90 = pr.p99 = pr.p999 = pr.max = pr.mean = peer_batch;
    pr.throughput = 1e9 / peer_batch;
    pr.tp_unit = "rows/s";
    snprintf(note, sizeof note, "peer, 1 thread, %d rows/call; %.2f ns/tree/row", NROWS, peer_batch / in.n_trees);
    pr.note = note;
    rs_bench_emit(o, &pr);
    free(ai);
    XGBoosterFree(bh);
#endif

    /* Single-row runs: each ISA; for AVX-512 with the block layout, each
     * block kernel variant as its own row. The variants are timed in
     * alternating chunks, so that load on the machine that drifts during
     * the run falls on all of them alike. */
    static rs_hist hv[4];
    for (int isa = RS_ISA_SCALAR; isa <= RS_ISA_AVX512; isa++) {
        if (rs_model_set_isa(m, isa) < 0)
            continue;
        int kern[4] = {0}, nk = 1;
        if (isa == RS_ISA_AVX512 && rs_model_has_blk(m)) {
            nk = 0;
            for (int k = RS_KERNEL_STORE; k <= RS_KERNEL_GATHER; k++)
                kern[nk++] = k;
        }
        int defk = rs_model_best_kernel();
        for (int v = 0; v < nk; v++) {
            if (kern[v])
                rs_model_set_kernel(m, kern[v]);
            /* correctness first: every row equal to libxgboost as float32 */
            rs_model_predict_margin_batch(m, rows, NROWS, nf, out);
            for (int i = 0; ref && i < NROWS; i++) {
                float s = rs_model_predict_margin(m, rows + (size_t)i * nf);
                if (memcmp(&out[i], &ref[i], 4) || memcmp(&s, &ref[i], 4)) {
                    fprintf(stderr, "bench model: %s %s %s row %d: ringside %.9g/%.9g libxgboost %.9g\n", label,
                            rs_model_isa_name(isa), kern[v] ? rs_model_kernel_name(kern[v]) : "", i,
                            (double)out[i], (double)s, (double)ref[i]);
                    rc = 1;
                    break;
                }
            }
            rs_hist_init(&hv[v]);
            for (int i = 0; i < 200; i++) {
                g_sink += rs_model_predict_margin(m, rows + (size_t)(i % NROWS) * nf);
                RS_KEEP(g_sink);
            }
        }
        enum { CHUNKS = 10 };
        for (int c = 0; c < CHUNKS; c++)
            for (int v = 0; v < nk; v++) {
                if (kern[v])
                    rs_model_set_kernel(m, kern[v]);
                for (int i = c * iters / CHUNKS; i < (c + 1) * iters / CHUNKS; i++) {
                    /* a different row for each variant in the same slot:
                     * no variant reads a row another one just warmed */
                    const float *row = rows + (size_t)((i * nk + v) % NROWS) * nf;
                    uint64_t a = rs_rdtscp();
                    float x = rs_model_predict_margin(m, row);
                    uint64_t b = rs_rdtscp();
                    g_sink += x;
                    RS_KEEP(g_sink);
                    rs_hist_add(&hv[v], b - a);
                }
            }
        for (int v = 0; v < nk; v++) {
            rs_bench_result r = {.bench = "model", .unit = "ns"};
            if (kern[v])
                snprintf(cname, sizeof cname, "%s single %s blk(%s)", label, rs_model_isa_name(isa),
                         rs_model_kernel_name(kern[v]));
            else
                snprintf(cname, sizeof cname, "%s single %s", label, rs_model_isa_name(isa));
            r.case_name = cname;
            rs_bench_from_hist(&r, &hv[v], tick_ns);
            r.throughput = 1e9 / r.mean;
            r.tp_unit = "rows/s";
            snprintf(note, sizeof note, "%.2f ns/tree%s", r.p50 / in.n_trees,
                     kern[v] && kern[v] == defk ? "; default on this CPU" : "");
            r.note = note;
            if (peer_single > 0) {
                r.peer = "libxgboost";
                r.ratio_vs_peer = peer_single / r.p50;
            }
            rs_bench_emit(o, &r);
        }
        if (nk > 1)
            rs_model_set_kernel(m, RS_KERNEL_AUTO);

        uint64_t best = UINT64_MAX;
        for (int k = 0; k < brep; k++) {
            uint64_t t0 = cpu_ns();
            rs_model_predict_margin_batch(m, rows, NROWS, nf, out);
            uint64_t dt = cpu_ns() - t0;
            best = dt < best ? dt : best;
        }
        double per_row = (double)best / NROWS;
        g_sink += out[0];
        RS_KEEP(g_sink);
        rs_bench_result b = {.bench = "model", .unit = "ns/row"};
        snprintf(cname, sizeof cname, "%s batch %s", label, rs_model_isa_name(isa));
        b.case_name = cname;
        b.p50 = b.p90 = b.p99 = b.p999 = b.max = b.mean = per_row;
        b.throughput = 1e9 / per_row;
        b.tp_unit = "rows/s";
        snprintf(note, sizeof note, "%d rows/call; %.2f ns/tree/row", NROWS, per_row / in.n_trees);
        b.note = note;
        if (peer_batch > 0) {
            b.peer = "libxgboost";
            b.ratio_vs_peer = peer_batch / per_row;
        }
        rs_bench_emit(o, &b);
    }
    free((void *)ref);
    free(rows);
    free(out);
    rs_model_destroy(m);
    return rc;
}

int rs_bench_model(const rs_bench_opts *o)
{
    rs_bench_pin(o->cpu_a);
    rs_bench_header(o, "model", "tree inference (margin) vs libxgboost C API, one thread");
#ifndef RS_HAVE_XGBOOST
    if (!o->json)
        printf("(libxgboost not found at build time: no peer, no cross-check)\n");
#endif
    if (o->model) {
        size_t n;
        char *json = read_file(o->model, &n);
        if (!json) {
            fprintf(stderr, "bench model: cannot read %s\n", o->model);
            return 1;
        }
        int rc = bench_one(o, json, n, o->model);
        free(json);
        return rc;
    }
    static const int trees[] = {100, 300, 1000}, depths[] = {4, 6, 8};
    int rc = 0;
    for (size_t t = 0; t < 3; t++)
        for (size_t d = 0; d < 3; d++) {
            if (o->quick && (trees[t] == 1000 && depths[d] == 8))
                continue;
            char *json = gen_json(trees[t], depths[d]);
            char label[32];
            snprintf(label, sizeof label, "t%d_d%d", trees[t], depths[d]);
            if (!json)
                return 1;
            rc |= bench_one(o, json, strlen(json), label);
            free(json);
        }
    return rc;
}
