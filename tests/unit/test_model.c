/* Model loader and kernels: exact agreement with libxgboost's C API on
 * random models (float32 equality, every ISA, single-row and batch),
 * XGBoost split semantics at thresholds / NaN / inf, refusal of unsupported
 * or broken files, feature mapping by name, zero allocation per prediction. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/mem.h"
#include "ringside/model.h"
#include "testutil.h"

#ifdef RS_HAVE_XGBOOST
#include <xgboost/c_api.h>
#endif

/* ---- random model generator (writes XGBoost 1.7-shaped JSON) ---------------- */

typedef struct gen {
    uint64_t s;
} gen;

static uint64_t rnd(gen *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s;
}
static double urand(gen *g) { return (double)(rnd(g) >> 11) * 0x1p-53; }
static float nrand(gen *g)
{
    double u = urand(g) + 1e-12, v = urand(g);
    return (float)(sqrt(-2 * log(u)) * cos(6.283185307179586 * v));
}

#define GRID 48
typedef struct tnode {
    int left, right, parent, feat, dl;
    float cond;
} tnode;

/* Grow a random tree of depth <= maxd into nodes[]: node id's fields are
 * filled here; the two children of a split get adjacent ids (right = left +
 * 1), as XGBoost allocates them and as its predictor assumes. */
static void grow(gen *g, tnode *nodes, int *n, int id, int parent, int depth, int maxd, int nfeat,
                 const float *grid, float leaf_scale)
{
    tnode *t = &nodes[id];
    t->parent = parent;
    if (depth >= maxd || (depth > 0 && urand(g) < 0.15)) {
        t->left = t->right = -1;
        t->feat = 0;
        t->dl = 0;
        t->cond = nrand(g) * leaf_scale;
        return;
    }
    t->feat = (int)(rnd(g) % (uint64_t)nfeat);
    t->dl = (int)(rnd(g) & 1);
    t->cond = grid[rnd(g) % GRID];
    t->left = (*n)++;
    t->right = (*n)++;
    int l = t->left, r = t->right;
    grow(g, nodes, n, l, id, depth + 1, maxd, nfeat, grid, leaf_scale);
    grow(g, nodes, n, r, id, depth + 1, maxd, nfeat, grid, leaf_scale);
}

static void arr_i(FILE *f, const char *key, const tnode *nd, int n, int which)
{
    fprintf(f, "\"%s\":[", key);
    for (int i = 0; i < n; i++) {
        int v = which == 0 ? nd[i].left : which == 1 ? nd[i].right : which == 2 ? nd[i].feat
                : which == 3 ? nd[i].dl : which == 4 ? (nd[i].parent < 0 ? 2147483647 : nd[i].parent) : 0;
        fprintf(f, "%s%d", i ? "," : "", v);
    }
    fputs("],", f);
}

static void arr_f(FILE *f, const char *key, const tnode *nd, int n, int zero)
{
    fprintf(f, "\"%s\":[", key);
    for (int i = 0; i < n; i++)
        fprintf(f, "%s%.8e", i ? "," : "", zero ? 0.0 : (double)nd[i].cond);
    fputs("],", f);
}

static const char *obj_param(const char *obj)
{
    if (!strcmp(obj, "count:poisson")) return ",\"poisson_regression_param\":{\"max_delta_step\":\"0.699999988\"}";
    if (!strcmp(obj, "reg:tweedie")) return ",\"tweedie_regression_param\":{\"tweedie_variance_power\":\"1.5\"}";
    if (!strcmp(obj, "reg:pseudohubererror")) return ",\"pseudo_huber_param\":{\"huber_slope\":\"1\"}";
    if (!strcmp(obj, "reg:gamma") || !strcmp(obj, "reg:absoluteerror")) return "";
    return ",\"reg_loss_param\":{\"scale_pos_weight\":\"1\"}";
}

static int g_mixed = 0;

/* Returns a malloc'd JSON text. */
static char *gen_model(gen *g, const char *obj, const char *base_score, int ntrees, int maxd, int nfeat,
                       const float *grid, float leaf_scale, int named)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    fputs("{\"learner\":{\"attributes\":{},\"feature_names\":[", f);
    for (int i = 0; named && i < nfeat; i++)
        fprintf(f, "%s\"x%d\"", i ? "," : "", i);
    fputs("],\"feature_types\":[", f);
    for (int i = 0; named && i < nfeat; i++)
        fprintf(f, "%s\"float\"", i ? "," : "");
    fprintf(f, "],\"gradient_booster\":{\"model\":{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\","
               "\"num_trees\":\"%d\",\"size_leaf_vector\":\"0\"},\"tree_info\":[", ntrees);
    for (int i = 0; i < ntrees; i++)
        fprintf(f, "%s0", i ? "," : "");
    fputs("],\"trees\":[", f);
    tnode *nd = malloc(sizeof(tnode) * (size_t)(2 << (maxd + 1)));
    for (int t = 0; t < ntrees; t++) {
        int n = 1;
        /* mixed depths within a model (as trained models have): groups of
         * trees of different depth must each step exactly their own depth */
        int td = maxd;
        if (g_mixed && maxd > 1)
            td = maxd - (int)(rnd(g) % (uint64_t)(maxd < 4 ? maxd : 4));
        grow(g, nd, &n, 0, -1, 0, td, nfeat, grid, leaf_scale);
        fprintf(f, "%s{", t ? "," : "");
        arr_f(f, "base_weights", nd, n, 1);
        fputs("\"categories\":[],\"categories_nodes\":[],\"categories_segments\":[],\"categories_sizes\":[],", f);
        arr_i(f, "default_left", nd, n, 3);
        fprintf(f, "\"id\":%d,", t);
        arr_i(f, "left_children", nd, n, 0);
        arr_f(f, "loss_changes", nd, n, 1);
        arr_i(f, "parents", nd, n, 4);
        arr_i(f, "right_children", nd, n, 1);
        arr_f(f, "split_conditions", nd, n, 0);
        arr_i(f, "split_indices", nd, n, 2);
        arr_i(f, "split_type", nd, n, 5);
        arr_f(f, "sum_hessian", nd, n, 1);
        fprintf(f, "\"tree_param\":{\"num_deleted\":\"0\",\"num_feature\":\"%d\",\"num_nodes\":\"%d\","
                   "\"size_leaf_vector\":\"0\"}}", nfeat, n);
    }
    free(nd);
    fprintf(f, "]},\"name\":\"gbtree\"},\"learner_model_param\":{\"base_score\":\"%s\",\"boost_from_average\":\"1\","
               "\"num_class\":\"0\",\"num_feature\":\"%d\",\"num_target\":\"1\"},"
               "\"objective\":{\"name\":\"%s\"%s}},\"version\":[1,7,4]}",
            base_score, nfeat, obj, obj_param(obj));
    fclose(f);
    return buf;
}

static int g_inf = 1;
static void gen_rows(gen *g, float *rows, int n, int nfeat, const float *grid)
{
    for (int i = 0; i < n * nfeat; i++) {
        double u = urand(g);
        float v;
        if (u < 0.10) v = NAN;
        else if (u < 0.40) v = grid[rnd(g) % GRID];
        else if (u < 0.55) v = nextafterf(grid[rnd(g) % GRID], -INFINITY);
        else if (u < 0.70) v = nextafterf(grid[rnd(g) % GRID], INFINITY);
        else if (u < 0.72 && g_inf) v = (rnd(g) & 1) ? INFINITY : -INFINITY;
        else v = nrand(g);
        rows[i] = v;
    }
}

static int load_str(rs_model **m, const char *json, const char *name)
{
    return rs_model_load_mem(m, json, strlen(json), name);
}

static int isas[3], n_isas;
static void find_isas(void)
{
    n_isas = 0;
    isas[n_isas++] = RS_ISA_SCALAR;
    if (rs_model_best_isa() >= RS_ISA_AVX2) isas[n_isas++] = RS_ISA_AVX2;
    if (rs_model_best_isa() >= RS_ISA_AVX512) isas[n_isas++] = RS_ISA_AVX512;
}

/* ---- tests ------------------------------------------------------------------- */

static void test_random_models_all_isas(void **state)
{
    (void)state;
    find_isas();
    gen g = {.s = 0x9e3779b97f4a7c15ull};
    static const char *const objs[] = {"reg:squarederror", "binary:logistic", "reg:logistic", "count:poisson",
                                       "reg:pseudohubererror", "binary:logitraw", "reg:gamma", "reg:tweedie"};
    static const char *const bss[] = {"5E-1", "3.0000001E-1", "5E-1", "1.7E0", "-2.5E-1", "7E-1", "2E0", "5E-1"};
    static const int trees[] = {1, 3, 17, 100, 300, 1000};
    double scale = rs_test_scale();
    /* feature counts around the single-row block kernel's register
     * boundaries (16, 32, 64 features; above 64 it is not used) */
    static const int nfeats[] = {11, 16, 32, 33, 50, 64, 65, 3};
    int nfeat = 11, nrows = 203;
    const int max_nfeat = 65;
    float grid[GRID];
    for (int i = 0; i < GRID; i++)
        grid[i] = nrand(&g);
    float *rows = malloc(sizeof(float) * (size_t)(nrows * max_nfeat));
    float *out = malloc(sizeof(float) * (size_t)nrows);
    int cases = 0;
    /* depths 1..10 use the complete layout, 11..13 the general one */
    for (int depth = 1; depth <= 13; depth++) {
        for (size_t ti = 0; ti < RS_ARRAY_LEN(trees); ti++) {
            int nt = trees[ti];
            if (depth >= 9 && nt > 300) continue;
            if (depth >= 11 && nt > 100) continue;
            g_mixed = (int)((depth + ti) & 1);
            nfeat = nfeats[(size_t)(depth * 7 + ti) % RS_ARRAY_LEN(nfeats)];
            if (scale < 1.0 && nt > 100) continue;
            size_t oi = (size_t)(depth + ti) % RS_ARRAY_LEN(objs);
            float leaf_scale = (oi == 1 && depth == 3) ? 40.0f : 0.3f;   /* saturate the sigmoid */
            char *json = gen_model(&g, objs[oi], bss[oi], nt, depth, nfeat, grid, leaf_scale, (int)(ti & 1));
            rs_model *m;
            int rc = load_str(&m, json, "random.json");
            if (rc) fprintf(stderr, "%s\n", rs_err_msg());
            assert_int_equal(rc, 0);
            gen_rows(&g, rows, nrows, nfeat, grid);
            float ref_m[203], ref_p[203] RS_UNUSED;
            /* reference: scalar path */
            assert_int_equal(rs_model_set_isa(m, RS_ISA_SCALAR), 0);
            for (int i = 0; i < nrows; i++) {
                ref_m[i] = rs_model_predict_margin(m, rows + i * nfeat);
                ref_p[i] = rs_model_transform(m, ref_m[i]);
            }
#ifdef RS_HAVE_XGBOOST
            /* libxgboost and its OpenMP runtime are not built for
             * ThreadSanitizer (false reports); the comparison runs in the
             * release and asan builds */
            if (strcmp(rs_test_build_type(), "tsan") == 0)
                goto skip_xgb;
            BoosterHandle bh;
            assert_int_equal(XGBoosterCreate(NULL, 0, &bh), 0);
            if (XGBoosterLoadModelFromBuffer(bh, json, strlen(json)) != 0)
                fail_msg("libxgboost refused the generated model: %s", XGBGetLastError());
            assert_int_equal(XGBoosterSetParam(bh, "nthread", "1"), 0);
            char arr[256];
            snprintf(arr, sizeof arr,
                     "{\"data\":[%llu,true],\"shape\":[%d,%d],\"typestr\":\"<f4\",\"version\":3}",
                     (unsigned long long)(uintptr_t)rows, nrows, nfeat);
            for (int type = 1; type >= 0; type--) {
                char cfg[160];
                snprintf(cfg, sizeof cfg,
                         "{\"type\":%d,\"training\":false,\"iteration_begin\":0,\"iteration_end\":0,"
                         "\"strict_shape\":false,\"missing\":NaN,\"cache_id\":0}", type);
                const bst_ulong *shape;
                bst_ulong dim;
                const float *res;
                if (XGBoosterPredictFromDense(bh, arr, cfg, NULL, &shape, &dim, &res) != 0)
                    fail_msg("libxgboost predict failed: %s", XGBGetLastError());
                for (int i = 0; i < nrows; i++) {
                    float want = res[i], got = type ? ref_m[i] : ref_p[i];
                    if (memcmp(&want, &got, 4))
                        fail_msg("%s depth %d trees %d row %d %s: ringside %.9g libxgboost %.9g", objs[oi], depth,
                                 nt, i, type ? "margin" : "output", (double)got, (double)want);
                }
            }
            XGBoosterFree(bh);
        skip_xgb:;
#endif
            for (int k = 0; k < n_isas; k++) {
                assert_int_equal(rs_model_set_isa(m, isas[k]), 0);
                for (int i = 0; i < nrows; i++) {
                    float v = rs_model_predict_margin(m, rows + i * nfeat);
                    if (memcmp(&v, &ref_m[i], 4))
                        fail_msg("isa %s single row %d: %.9g vs scalar %.9g", rs_model_isa_name(isas[k]), i,
                                 (double)v, (double)ref_m[i]);
                }
                /* batch, including a ragged tail and an offset start */
                for (int start = 0; start < 2; start++) {
                    rs_model_predict_margin_batch(m, rows + start * nfeat, (size_t)(nrows - start), (size_t)nfeat,
                                                  out);
                    for (int i = 0; i < nrows - start; i++)
                        if (memcmp(&out[i], &ref_m[i + start], 4))
                            fail_msg("isa %s batch row %d: %.9g vs scalar %.9g", rs_model_isa_name(isas[k]),
                                     i + start, (double)out[i], (double)ref_m[i + start]);
                }
            }
            rs_model_destroy(m);
            free(json);
            cases++;
        }
    }
    assert_true(cases > 20);
    free(rows);
    free(out);
}

/* One split on x0 at 1.0 (default right), then one on x1 at -2.0 (default
 * left): leaves 1, 2 | 4. */
static const char edge_model[] =
    "{\"learner\":{\"feature_names\":[\"a\",\"b\"],\"gradient_booster\":{\"model\":{\"gbtree_model_param\":"
    "{\"num_trees\":\"1\"},\"tree_info\":[0],\"trees\":[{\"tree_param\":{\"num_nodes\":\"5\",\"size_leaf_vector\":\"0\"},"
    "\"left_children\":[1,3,-1,-1,-1],\"right_children\":[2,4,-1,-1,-1],\"split_indices\":[0,1,0,0,0],"
    "\"split_conditions\":[1.0,-2.0,4.0,1.0,2.0],\"default_left\":[0,1,0,0,0]}]},\"name\":\"gbtree\"},"
    "\"learner_model_param\":{\"base_score\":\"0E0\",\"num_class\":\"0\",\"num_feature\":\"2\"},"
    "\"objective\":{\"name\":\"reg:squarederror\"}}}";

static void test_split_semantics(void **state)
{
    (void)state;
    find_isas();
    rs_model *m;
    assert_int_equal(load_str(&m, edge_model, "edge.json"), 0);
    struct {
        float a, b, want;
    } c[] = {
        {1.0f, 0, 4}, {nextafterf(1.0f, 0), 0, 2}, {NAN, 0, 4}, {-INFINITY, -2.0f, 2},
        {0, nextafterf(-2.0f, -3), 1}, {0, NAN, 1}, {INFINITY, NAN, 4}, {0, INFINITY, 2}, {0, -INFINITY, 1},
    };
    for (int k = 0; k < n_isas; k++) {
        assert_int_equal(rs_model_set_isa(m, isas[k]), 0);
        for (size_t i = 0; i < RS_ARRAY_LEN(c); i++) {
            float row[2] = {c[i].a, c[i].b};
            assert_true(rs_model_predict_margin(m, row) == c[i].want);
        }
    }
    rs_model_info in;
    rs_model_get_info(m, &in);
    assert_int_equal(in.n_trees, 1);
    assert_int_equal(in.max_depth, 2);
    assert_int_equal(in.n_nodes, 5);
    /* mapping by name */
    const char *names[] = {"zz", "b", "a"};
    uint32_t idx[2];
    assert_int_equal(rs_model_map_features(m, names, 3, idx), 0);
    assert_int_equal(idx[0], 2);
    assert_int_equal(idx[1], 1);
    const char *names2[] = {"a", "c"};
    assert_int_equal(rs_model_map_features(m, names2, 2, idx), -RS_EBADMODEL);
    assert_non_null(strstr(rs_err_msg(), "\"b\""));
    assert_non_null(strstr(rs_err_msg(), "available: a, c"));
    rs_model_destroy(m);
}

static char *replace(const char *s, const char *from, const char *to)
{
    const char *p = strstr(s, from);
    assert_non_null(p);
    size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
    char *o = malloc(n);
    snprintf(o, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
    return o;
}

static void test_refusals(void **state)
{
    (void)state;
    struct {
        const char *from, *to, *needle;
    } c[] = {
        {"\"name\":\"gbtree\"", "\"name\":\"dart\"", "dart"},
        {"reg:squarederror", "multi:softprob", "multi-class"},
        {"reg:squarederror", "rank:pairwise", "unsupported objective \"rank:pairwise\""},
        {"\"num_class\":\"0\"", "\"num_class\":\"3\"", "num_class"},
        {"[1.0,-2.0,4.0,1.0,2.0]", "[1.0,-2.0,4.0,1.0]", "split_conditions"},
        {"\"left_children\":[1,3,-1,-1,-1]", "\"left_children\":[1,3,-1,-1,1]", "only one child"},
        {"\"left_children\":[1,3,-1,-1,-1],\"right_children\":[2,4,", "\"left_children\":[1,1,-1,-1,-1],\"right_children\":[2,2,", "reached twice"},
        {"\"left_children\":[1,3,-1,-1,-1],\"right_children\":[2,4,", "\"left_children\":[2,3,-1,-1,-1],\"right_children\":[1,4,", "left_children[0]+1"},
        {"\"split_indices\":[0,1,", "\"split_indices\":[0,7,", "split_indices[1]"},
        {"\"num_trees\":\"1\"", "\"num_trees\":\"2\"", "num_trees"},
        {"\"base_score\":\"0E0\"", "\"base_score\":\"abc\"", "base_score"},
        {"\"tree_info\":[0]", "\"tree_info\":[1]", "tree_info"},
        {"\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"3\"", "size_leaf_vector"},
        {"\"default_left\":[0,1,", "\"split_type\":[0,1,0,0,0],\"default_left\":[0,1,", "categorical"},
        {"\"feature_names\":[\"a\",\"b\"]", "\"feature_names\":[\"a\",\"b\"],\"feature_types\":[\"float\",\"c\"]",
         "categorical"},
        {"\"feature_names\":[\"a\",\"b\"]", "\"feature_names\":[\"a\"]", "feature_names"},
        {"\"feature_names\":[\"a\",\"b\"]", "\"feature_names\":[\"a\",\"a\"]", "duplicate"},
        {"\"num_feature\":\"2\"", "\"num_feature\":\"0\"", "num_feature"},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(c); i++) {
        char *j = replace(edge_model, c[i].from, c[i].to);
        rs_model *m = (rs_model *)1;
        int rc = load_str(&m, j, "bad.json");
        if (rc != -RS_EBADMODEL || !strstr(rs_err_msg(), c[i].needle) || !strstr(rs_err_msg(), "bad.json"))
            fail_msg("case %zu: rc %d msg '%s' (want '%s')", i, rc, rs_err_msg(), c[i].needle);
        assert_null(m);
        free(j);
    }
    /* NaN thresholds cannot be written in strict JSON; jansson rejects the
     * token, which must still be a clean refusal naming the file */
    char *j = replace(edge_model, "[1.0,-2.0,", "[NaN,-2.0,");
    rs_model *m;
    assert_int_equal(load_str(&m, j, "nan.json"), -RS_EBADMODEL);
    assert_non_null(strstr(rs_err_msg(), "nan.json"));
    free(j);
    /* truncated at every length: refused, never a crash */
    size_t n = strlen(edge_model);
    for (size_t k = 0; k < n; k++) {
        uint8_t *g = rs_guard_copy(edge_model, k);
        assert_int_equal(rs_model_load_mem(&m, g, k, "trunc.json"), -RS_EBADMODEL);
        rs_guard_free(g, k);
    }
    /* missing file */
    assert_int_equal(rs_model_load(&m, "/nonexistent/m.json"), -ENOENT);
    assert_non_null(strstr(rs_err_msg(), "/nonexistent/m.json"));
}

/* Spellings of later XGBoost versions: base_score as a one-element vector
 * string ("[2.5E-1]", 3.x), booleans in default_left, size_leaf_vector "1"
 * (2.x scalar leaves). */
static void test_schema_variants(void **state)
{
    (void)state;
    char *a = replace(edge_model, "\"base_score\":\"0E0\"", "\"base_score\":\"[2.5E-1]\"");
    char *b = replace(a, "\"default_left\":[0,1,0,0,0]", "\"default_left\":[false,true,false,false,false]");
    char *c = replace(b, "\"size_leaf_vector\":\"0\"", "\"size_leaf_vector\":\"1\"");
    rs_model *m;
    int rc = load_str(&m, c, "v2.json");
    if (rc)
        fail_msg("%s", rs_err_msg());
    float row[2] = {0, NAN};   /* b missing: default left -> leaf 1 */
    assert_true(rs_model_predict_margin(m, row) == 1.25f);
    rs_model_destroy(m);
    char *d = replace(edge_model, "\"base_score\":\"0E0\"", "\"base_score\":\"[2.5E-1,1E0]\"");
    assert_int_equal(load_str(&m, d, "v3.json"), -RS_EBADMODEL);
    assert_non_null(strstr(rs_err_msg(), "multi-target"));
    free(a);
    free(b);
    free(c);
    free(d);
}

/* A row that ends right before a guard page: no kernel reads past the
 * row's last feature (the single-row block kernel loads the row into
 * registers with masked loads). */
static void test_row_at_guard_page(void **state)
{
    (void)state;
    find_isas();
    gen g = {.s = 7};
    float grid[GRID];
    for (int i = 0; i < GRID; i++)
        grid[i] = nrand(&g);
    static const int nfs[] = {1, 5, 16, 17, 31, 32, 33, 47, 48, 49, 63, 64};
    for (size_t c = 0; c < RS_ARRAY_LEN(nfs); c++) {
        int nf = nfs[c];
        char *json = gen_model(&g, "reg:squarederror", "5E-1", 40, 1 + (int)(c % 9), nf, grid, 0.3f, 0);
        rs_model *m;
        assert_int_equal(load_str(&m, json, "guard.json"), 0);
        float row[64];
        gen_rows(&g, row, 1, nf, grid);
        uint8_t *gp = rs_guard_copy(row, sizeof(float) * (size_t)nf);
        assert_non_null(gp);
        float ref = 0;
        for (int k = 0; k < n_isas; k++) {
            assert_int_equal(rs_model_set_isa(m, isas[k]), 0);
            float v = rs_model_predict_margin(m, (const float *)gp), w;
            rs_model_predict_margin_batch(m, (const float *)gp, 1, (size_t)nf, &w);
            if (k == 0)
                ref = v;
            assert_memory_equal(&v, &ref, 4);
            assert_memory_equal(&w, &ref, 4);
        }
        rs_guard_free(gp, sizeof(float) * (size_t)nf);
        rs_model_destroy(m);
        free(json);
    }
}

static void test_zero_alloc(void **state)
{
    (void)state;
    find_isas();
    gen g = {.s = 42};
    float grid[GRID];
    for (int i = 0; i < GRID; i++)
        grid[i] = nrand(&g);
    char *json = gen_model(&g, "binary:logistic", "5E-1", 200, 6, 9, grid, 0.3f, 1);
    rs_model *m;
    assert_int_equal(load_str(&m, json, "za.json"), 0);
    float rows[64 * 9], out[64];
    gen_rows(&g, rows, 64, 9, grid);
    float sink = 0;
    /* the ISAs, then the AVX-512 block kernel variants */
    for (int k = 0; k < n_isas + (isas[n_isas - 1] == RS_ISA_AVX512 ? RS_KERNEL_GATHER : 0); k++) {
        assert_int_equal(rs_model_set_isa(m, isas[k < n_isas ? k : n_isas - 1]), 0);
        if (k >= n_isas)
            assert_int_equal(rs_model_set_kernel(m, k - n_isas + 1), 0);
        uint64_t before = rs_mem_thread_allocated();
        for (int rep = 0; rep < 50; rep++) {
            for (int i = 0; i < 64; i++) {
                sink += rs_model_predict(m, rows + i * 9);
                RS_KEEP(sink);
            }
            rs_model_predict_margin_batch(m, rows, 64, 9, out);
            sink += out[0];
            RS_KEEP(sink);
        }
        uint64_t after = rs_mem_thread_allocated();
        if (before != UINT64_MAX)
            assert_int_equal(after - before, 0);
    }
    (void)sink;
    rs_model_destroy(m);
    free(json);
}

static void test_sha256(void **state)
{
    (void)state;
    uint8_t d[32];
    char hex[65];
    rs_sha256("abc", 3, d);
    rs_sha256_hex(d, hex);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    rs_model *m;
    assert_int_equal(load_str(&m, edge_model, "e.json"), 0);
    rs_model_info in;
    rs_model_get_info(m, &in);
    rs_sha256(edge_model, strlen(edge_model), d);
    assert_memory_equal(in.sha256, d, 32);
    rs_model_destroy(m);
}

/* Every variant of the AVX-512 single-row block kernel returns the same
 * float32 bits as the scalar path on the same rows: depths 1-10 (one to
 * three rounds, every first-round width), mixed depths within a model,
 * partial last groups of 16 trees (1, 17, 100), feature counts on both sides of the
 * 16/32/64 register boundaries, rows with NaN and infinities and values
 * next to thresholds. */
static void test_blk_kernels_equal(void **state)
{
    (void)state;
    /* names round-trip, AUTO resolves to a concrete variant */
    for (int k = RS_KERNEL_AUTO; k <= RS_KERNEL_GATHER; k++)
        assert_int_equal(rs_model_kernel_parse(rs_model_kernel_name(k)), k);
    assert_int_equal(rs_model_kernel_parse("vpermd"), -1);
    int best = rs_model_best_kernel();
    assert_true(best >= RS_KERNEL_STORE && best <= RS_KERNEL_GATHER);
    if (rs_model_best_isa() < RS_ISA_AVX512) {
        print_message("no AVX-512 on this CPU: the block kernel variants cannot run\n");
        skip();
    }
    gen g = {.s = 0x5eed0b1cull};
    float grid[GRID];
    for (int i = 0; i < GRID; i++)
        grid[i] = nrand(&g);
    static const int trees[] = {1, 16, 17, 100};
    static const int nfeats[] = {3, 11, 16, 17, 32, 33, 50, 64};
    enum { NR = 97 };
    float *rows = malloc(sizeof(float) * NR * 64);
    assert_non_null(rows);
    int cases = 0;
    for (int depth = 1; depth <= 10; depth++) {
        for (size_t ti = 0; ti < RS_ARRAY_LEN(trees); ti++) {
            if (trees[ti] == 100 && depth > 6)   /* big models: test_random_models_all_isas has them */
                continue;
            int nf = nfeats[(size_t)(depth * 5 + ti) % RS_ARRAY_LEN(nfeats)];
            g_mixed = (int)((depth + ti) & 1);
            char *json = gen_model(&g, "reg:squarederror", "5E-1", trees[ti], depth, nf, grid, 0.3f, 0);
            rs_model *m;
            assert_int_equal(load_str(&m, json, "blk.json"), 0);
            assert_true(rs_model_has_blk(m));
            assert_int_equal(rs_model_get_kernel(m), best);   /* loading picks the CPU's default */
            gen_rows(&g, rows, NR, nf, grid);
            float ref[NR];
            assert_int_equal(rs_model_set_isa(m, RS_ISA_SCALAR), 0);
            for (int i = 0; i < NR; i++)
                ref[i] = rs_model_predict_margin(m, rows + i * nf);
            assert_int_equal(rs_model_set_isa(m, RS_ISA_AVX512), 0);
            for (int k = RS_KERNEL_STORE; k <= RS_KERNEL_GATHER; k++) {
                assert_int_equal(rs_model_set_kernel(m, k), 0);
                assert_int_equal(rs_model_get_kernel(m), k);
                for (int i = 0; i < NR; i++) {
                    float v = rs_model_predict_margin(m, rows + i * nf);
                    if (memcmp(&v, &ref[i], 4))
                        fail_msg("kernel %s depth %d trees %d features %d row %d: %.9g vs scalar %.9g",
                                 rs_model_kernel_name(k), depth, trees[ti], nf, i, (double)v, (double)ref[i]);
                }
            }
            assert_int_equal(rs_model_set_kernel(m, 99), -EINVAL);
            rs_model_destroy(m);
            free(json);
            cases++;
        }
    }
    g_mixed = 0;
    assert_true(cases >= 34);
    free(rows);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split_semantics),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_sha256),
        cmocka_unit_test(test_schema_variants),
        cmocka_unit_test(test_zero_alloc),
        cmocka_unit_test(test_row_at_guard_page),
        cmocka_unit_test(test_random_models_all_isas),
        cmocka_unit_test(test_blk_kernels_equal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
