/* XGBoost JSON model loader and compiler (cold path), plus the dispatch of
 * the hot-path entry points to the evaluation kernels in model_eval.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "model_impl.h"
#include "ringside/file.h"
#include "ringside/mem.h"

/* ---- SHA-256 ---------------------------------------------------------------- */

void rs_sha256(const void *buf, size_t n, uint8_t out[32])
{
    unsigned int len = 32;
    if (EVP_Digest(buf, n, out, &len, EVP_sha256(), NULL) != 1)
        memset(out, 0, 32);   /* only on an OpenSSL internal failure */
}

void rs_sha256_hex(const uint8_t d[32], char hex[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        hex[2 * i] = hx[d[i] >> 4];
        hex[2 * i + 1] = hx[d[i] & 15];
    }
    hex[64] = 0;
}

/* ---- names ---------------------------------------------------------------- */

static const struct {
    const char *name;
    int obj;
} objs[] = {
    {"reg:squarederror", RS_OBJ_SQUAREDERROR},
    {"reg:linear", RS_OBJ_SQUAREDERROR},   /* 1.x alias kept in old files */
    {"reg:squaredlogerror", RS_OBJ_SQUAREDLOGERROR},
    {"reg:pseudohubererror", RS_OBJ_PSEUDOHUBER},
    {"reg:absoluteerror", RS_OBJ_ABSOLUTEERROR},
    {"reg:logistic", RS_OBJ_LOGISTIC},
    {"binary:logistic", RS_OBJ_BINARY_LOGISTIC},
    {"binary:logitraw", RS_OBJ_BINARY_LOGITRAW},
    {"count:poisson", RS_OBJ_POISSON},
    {"reg:gamma", RS_OBJ_GAMMA},
    {"reg:tweedie", RS_OBJ_TWEEDIE},
};

const char *rs_model_obj_name(int obj)
{
    for (size_t i = 0; i < RS_ARRAY_LEN(objs); i++)
        if (objs[i].obj == obj)
            return objs[i].name;
    return "?";
}

const char *rs_model_isa_name(int isa)
{
    switch (isa) {
    case RS_ISA_AUTO: return "auto";
    case RS_ISA_SCALAR: return "scalar";
    case RS_ISA_AVX2: return "avx2";
    case RS_ISA_AVX512: return "avx512";
    default: return "?";
    }
}

int rs_model_isa_parse(const char *name)
{
    for (int i = RS_ISA_AUTO; i <= RS_ISA_AVX512; i++)
        if (!strcmp(name, rs_model_isa_name(i)))
            return i;
    return -1;
}

int rs_model_best_isa(void)
{
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        return RS_ISA_AVX512;
    if (__builtin_cpu_supports("avx2"))
        return RS_ISA_AVX2;
    return RS_ISA_SCALAR;
}

int rs_model_set_isa(rs_model *m, int isa)
{
    __builtin_cpu_init();
    if (isa == RS_ISA_AUTO)
        isa = rs_model_best_isa();
    if (isa == RS_ISA_AVX512 && !__builtin_cpu_supports("avx512f"))
        return rs_err_set(ENOTSUP, "model: this CPU has no AVX-512F; use --isa avx2 or scalar");
    if (isa == RS_ISA_AVX2 && !__builtin_cpu_supports("avx2"))
        return rs_err_set(ENOTSUP, "model: this CPU has no AVX2; use --isa scalar");
    if (isa < RS_ISA_SCALAR || isa > RS_ISA_AVX512)
        return rs_err_set(EINVAL, "model: unknown ISA %d", isa);
    m->isa = isa;
    return 0;
}

int rs_model_get_isa(const rs_model *m) { return m->isa; }

const char *rs_model_kernel_name(int kernel)
{
    switch (kernel) {
    case RS_KERNEL_AUTO: return "auto";
    case RS_KERNEL_STORE: return "store";
    case RS_KERNEL_PERM: return "perm";
    case RS_KERNEL_GATHER: return "gather";
    default: return "?";
    }
}

int rs_model_kernel_parse(const char *name)
{
    for (int i = RS_KERNEL_AUTO; i <= RS_KERNEL_GATHER; i++)
        if (!strcmp(name, rs_model_kernel_name(i)))
            return i;
    return -1;
}

int rs_model_best_kernel(void)
{
    /* A CPUID rule, not a start-up timing: the same machine always gets
     * the same variant (the results are identical anyway). PERM on every
     * vendor: measured on AMD Zen 5 as fast as or faster than STORE and
     * the first kernel (docs/model.md); on Intel it is the variant that
     * relies on no store-forwarding rule, which is the documented risk
     * there (expected, not yet measured). This is the one place to change
     * when `ringside bench model` on a CPU says otherwise. */
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f") && !__builtin_cpu_supports("avx512bw"))
        return RS_KERNEL_AUTO;   /* Xeon Phi: the block kernel needs AVX-512BW mask ops */
    return RS_KERNEL_PERM;
}

int rs_model_set_kernel(rs_model *m, int kernel)
{
    if (kernel < RS_KERNEL_AUTO || kernel > RS_KERNEL_GATHER)
        return rs_err_set(EINVAL, "model: unknown block kernel variant %d", kernel);
    int best = rs_model_best_kernel();
    if (kernel != RS_KERNEL_AUTO && best == RS_KERNEL_AUTO)
        return rs_err_set(ENOTSUP, "model: block kernel '%s' needs AVX-512BW, which this CPU lacks",
                          rs_model_kernel_name(kernel));
    m->kernel = kernel == RS_KERNEL_AUTO ? best : kernel;
    return 0;
}

int rs_model_get_kernel(const rs_model *m) { return m->kernel; }

int rs_model_has_blk(const rs_model *m) { return m->bthr != NULL; }

/* ---- hot path dispatch -------------------------------------------------------- */

float rs_model_predict_margin(const rs_model *m, const float *row)
{
    /* A switch rather than a function pointer: the common case (one ISA
     * for the life of the process) predicts perfectly. */
    switch (m->isa) {
    case RS_ISA_AVX512: return rs_model_margin_avx512(m, row);
    case RS_ISA_AVX2: return rs_model_margin_avx2(m, row);
    default: return rs_model_margin_scalar(m, row);
    }
}

void rs_model_predict_margin_batch(const rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    switch (m->isa) {
    case RS_ISA_AVX512: rs_model_batch_avx512(m, rows, n, stride, out); break;
    case RS_ISA_AVX2: rs_model_batch_avx2(m, rows, n, stride, out); break;
    default: rs_model_batch_scalar(m, rows, n, stride, out); break;
    }
}

/* XGBoost's float32 Sigmoid (src/common/math.h, 1.6+): the clamp keeps
 * expf finite; kEps (1e-16f) vanishes next to 1.0f but is kept so the
 * expression is XGBoost's, term for term. */
static float xgb_sigmoid(float x)
{
    const float k_eps = 1e-16f;
    float y = -x;
    if (88.7f < y)
        y = 88.7f;
    float denom = expf(y) + 1.0f + k_eps;
    return 1.0f / denom;
}

float rs_model_transform(const rs_model *m, float margin)
{
    switch (m->obj) {
    case RS_OBJ_LOGISTIC:
    case RS_OBJ_BINARY_LOGISTIC: return xgb_sigmoid(margin);
    case RS_OBJ_POISSON:
    case RS_OBJ_GAMMA:
    case RS_OBJ_TWEEDIE: return expf(margin);
    default: return margin;
    }
}

float rs_model_predict(const rs_model *m, const float *row)
{
    return rs_model_transform(m, rs_model_predict_margin(m, row));
}

/* ---- loading ------------------------------------------------------------------ */

typedef struct ld {
    const char *file;
    char where[96];    /* current JSON path prefix for messages */
} ld;

static int bad(const ld *L, const char *fmt, ...) RS_PRINTF(2, 3);
static int bad(const ld *L, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return rs_err_set(RS_EBADMODEL, "%s: %s%s%s", L->file, L->where, L->where[0] ? ": " : "", msg);
}

/* A float32 from a JSON number. XGBoost writes the shortest decimal that
 * reads back as the float32 and parses it straight to float32; jansson gives
 * the nearest double, and rounding that to float32 differs from a direct
 * parse only when the double lands exactly on a midpoint between two floats
 * (double rounding). In that rare case pick the neighbour whose own shortest
 * decimal parses to this double. */
static float json_f32(double d)
{
    float f = (float)d;
    if (!isfinite(d) || (double)f == d)
        return f;
    float lo = (double)f > d ? nextafterf(f, -INFINITY) : f;
    float hi = nextafterf(lo, INFINITY);
    if (((double)lo + (double)hi) * 0.5 != d)
        return f;
    float cand[2] = {lo, hi}, pick = f;
    int matches = 0;
    for (int c = 0; c < 2; c++) {
        char s[48];
        for (int p = 1; p <= 9; p++) {
            snprintf(s, sizeof s, "%.*g", p, (double)cand[c]);
            if (strtof(s, NULL) == cand[c])
                break;
        }
        if (strtod(s, NULL) == d) {
            matches++;
            pick = cand[c];
        }
    }
    return matches == 1 ? pick : f;
}

static json_t *get(const ld *L, json_t *obj, const char *key, int type, int *rc)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v) {
        *rc = bad(L, "missing field \"%s\"", key);
        return NULL;
    }
    if (type >= 0 && (int)json_typeof(v) != type) {
        *rc = bad(L, "field \"%s\" has the wrong JSON type", key);
        return NULL;
    }
    return v;
}

/* XGBoost stores most scalar parameters as strings ("5E-1", "0"). */
static int str_u32(const ld *L, json_t *obj, const char *key, uint32_t *out, int required)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (!v) {
        if (required)
            return bad(L, "missing field \"%s\"", key);
        return 1;
    }
    if (json_is_integer(v)) {
        if (json_integer_value(v) < 0 || json_integer_value(v) > (json_int_t)UINT32_MAX)
            return bad(L, "field \"%s\" out of range", key);
        *out = (uint32_t)json_integer_value(v);
        return 0;
    }
    if (!json_is_string(v))
        return bad(L, "field \"%s\" is not a string", key);
    const char *s = json_string_value(v);
    char *end;
    errno = 0;
    unsigned long long x = strtoull(s, &end, 10);
    if (end == s || *end || errno || x > UINT32_MAX)
        return bad(L, "field \"%s\" = \"%s\" is not a non-negative integer", key, s);
    *out = (uint32_t)x;
    return 0;
}

static int arr(const ld *L, json_t *tree, const char *key, size_t n, json_t **out)
{
    json_t *a = json_object_get(tree, key);
    if (!json_is_array(a))
        return bad(L, "missing array \"%s\"", key);
    if (json_array_size(a) != n)
        return bad(L, "array \"%s\" has %zu entries, num_nodes is %zu (inconsistent arrays)", key,
                   json_array_size(a), n);
    *out = a;
    return 0;
}

static int arr_int(const ld *L, json_t *a, const char *key, size_t i, long long *v)
{
    json_t *e = json_array_get(a, i);
    if (json_is_integer(e))
        *v = json_integer_value(e);
    else if (json_is_boolean(e))
        *v = json_is_true(e);
    else
        return bad(L, "%s[%zu] is not an integer", key, i);
    return 0;
}

static int arr_num(const ld *L, json_t *a, const char *key, size_t i, double *v)
{
    json_t *e = json_array_get(a, i);
    if (!json_is_number(e))
        return bad(L, "%s[%zu] is not a number", key, i);
    *v = json_number_value(e);
    return 0;
}

/* A parsed tree before compilation. */
typedef struct ptree {
    uint32_t n;
    int32_t *lc, *rc;
    int32_t *fi;
    float *cond;
    uint8_t *dl;
} ptree;

static int parse_tree(ld *L, json_t *t, uint32_t n_features, ptree *pt, size_t tidx)
{
    int rc = 0;
    snprintf(L->where, sizeof L->where, "learner.gradient_booster.model.trees[%zu]", tidx);
    if (!json_is_object(t))
        return bad(L, "not an object");
    json_t *tp = get(L, t, "tree_param", JSON_OBJECT, &rc);
    if (!tp)
        return rc;
    uint32_t nn = 0, slv = 0;
    if ((rc = str_u32(L, tp, "num_nodes", &nn, 1)))
        return rc;
    if (str_u32(L, tp, "size_leaf_vector", &slv, 0) < 0)
        return -RS_EBADMODEL;
    if (slv > 1)
        return bad(L, "tree_param.size_leaf_vector = %u: vector leaves (multi-target) are not supported", slv);
    if (nn == 0 || nn > (1u << 26))
        return bad(L, "tree_param.num_nodes = %u out of range", nn);
    json_t *lc = NULL, *rcj = NULL, *si = NULL, *sc = NULL, *dl = NULL;
    if ((rc = arr(L, t, "left_children", nn, &lc)) || (rc = arr(L, t, "right_children", nn, &rcj)) ||
        (rc = arr(L, t, "split_indices", nn, &si)) || (rc = arr(L, t, "split_conditions", nn, &sc)) ||
        (rc = arr(L, t, "default_left", nn, &dl)))
        return rc;
    /* Optional arrays: if present they must agree in length too. */
    static const char *const opt[] = {"parents", "base_weights", "loss_changes", "sum_hessian", "split_type"};
    for (size_t k = 0; k < RS_ARRAY_LEN(opt); k++) {
        json_t *a = json_object_get(t, opt[k]);
        if (a && (!json_is_array(a) || json_array_size(a) != nn))
            return bad(L, "array \"%s\" has %zu entries, num_nodes is %u (inconsistent arrays)", opt[k],
                       json_is_array(a) ? json_array_size(a) : 0, nn);
    }
    json_t *st = json_object_get(t, "split_type");
    json_t *cats = json_object_get(t, "categories_nodes");
    if (json_is_array(cats) && json_array_size(cats) > 0)
        return bad(L, "categories_nodes is not empty: categorical splits are not supported");
    pt->n = nn;
    pt->lc = rs_mem_alloc(nn * sizeof(int32_t), 64, "model tree");
    pt->rc = rs_mem_alloc(nn * sizeof(int32_t), 64, "model tree");
    pt->fi = rs_mem_alloc(nn * sizeof(int32_t), 64, "model tree");
    pt->cond = rs_mem_alloc(nn * sizeof(float), 64, "model tree");
    pt->dl = rs_mem_alloc(nn, 64, "model tree");
    if (!pt->lc || !pt->rc || !pt->fi || !pt->cond || !pt->dl)
        return -ENOMEM;
    for (uint32_t i = 0; i < nn; i++) {
        long long l = 0, r = 0, f = 0, d = 0, s = 0;
        double c = 0;
        if ((rc = arr_int(L, lc, "left_children", i, &l)) || (rc = arr_int(L, rcj, "right_children", i, &r)) ||
            (rc = arr_int(L, si, "split_indices", i, &f)) || (rc = arr_num(L, sc, "split_conditions", i, &c)) ||
            (rc = arr_int(L, dl, "default_left", i, &d)))
            return rc;
        if (st && (rc = arr_int(L, st, "split_type", i, &s)))
            return rc;
        float cf = json_f32(c);
        if (isnan(cf))
            return bad(L, "split_conditions[%u] is NaN", i);
        if (l == -1 || r == -1) {
            if (l != r)
                return bad(L, "node %u has only one child (left_children=%lld right_children=%lld)", i, l, r);
            if (!isfinite(cf))
                return bad(L, "split_conditions[%u] (leaf value) is not finite", i);
        } else {
            if (l <= 0 || r <= 0 || l >= nn || r >= nn || l == r)
                return bad(L, "node %u has child ids %lld/%lld outside 1..%u", i, l, r, nn - 1);
            /* XGBoost allocates children in pairs and its predictor takes
             * the right child as left + 1 (ignoring right_children): a file
             * that breaks this was not written by XGBoost and XGBoost itself
             * would mispredict it, so refuse rather than guess. */
            if (r != l + 1)
                return bad(L, "right_children[%u] = %lld is not left_children[%u]+1 = %lld (XGBoost's predictor "
                           "requires adjacent children)", i, r, i, l + 1);
            if (s != 0)
                return bad(L, "split_type[%u] = %lld: categorical splits are not supported", i, s);
            if (f < 0 || f >= n_features)
                return bad(L, "split_indices[%u] = %lld outside 0..%u (num_feature)", i, f,
                           n_features ? n_features - 1 : 0);
            if (d != 0 && d != 1)
                return bad(L, "default_left[%u] = %lld is not 0/1", i, d);
        }
        pt->lc[i] = (int32_t)l;
        pt->rc[i] = (int32_t)r;
        pt->fi[i] = (int32_t)f;
        pt->cond[i] = cf;
        pt->dl[i] = (uint8_t)d;
    }
    return 0;
}

static void ptree_free(ptree *pt)
{
    rs_mem_free(pt->lc);
    rs_mem_free(pt->rc);
    rs_mem_free(pt->fi);
    rs_mem_free(pt->cond);
    rs_mem_free(pt->dl);
    memset(pt, 0, sizeof *pt);
}

/* Compile one tree into m's arrays starting at *next: breadth first, the two
 * children of every split placed side by side. Detects cycles and shared
 * children (a node reached twice). Unreachable nodes (XGBoost's deleted
 * nodes) are dropped. */
static int compile_tree(ld *L, rs_model *m, const ptree *pt, uint32_t *next, size_t tidx, uint32_t *work,
                        uint32_t *seen_gen, uint32_t gen, uint16_t *depth_out)
{
    /* work[k] = source node of compiled slot base+k; depth tracked per slot in
     * work[nn + k]. */
    uint32_t base = *next, head = 0, tail = 1, maxd = 0;
    work[0] = 0;
    work[pt->n] = 0;
    seen_gen[0] = gen;
    while (head < tail) {
        uint32_t src = work[head], d = work[pt->n + head];
        uint32_t slot = base + head;
        head++;
        if (d > maxd)
            maxd = d;
        if (pt->lc[src] == -1) {
            m->nodes[slot].feat = RS_NODE_LEAF;
            m->nodes[slot].thr = pt->cond[src];
            m->nodes[slot].left4 = (int32_t)(slot * 4);
            continue;
        }
        uint32_t l = (uint32_t)pt->lc[src], r = (uint32_t)pt->rc[src];
        if (seen_gen[l] == gen || seen_gen[r] == gen) {
            snprintf(L->where, sizeof L->where, "learner.gradient_booster.model.trees[%zu]", tidx);
            return bad(L, "node %u: a child is reached twice (cycle or shared node)", src);
        }
        seen_gen[l] = seen_gen[r] = gen;
        if (d + 1 > 65535) {
            snprintf(L->where, sizeof L->where, "learner.gradient_booster.model.trees[%zu]", tidx);
            return bad(L, "tree deeper than 65535");
        }
        m->nodes[slot].feat = (uint32_t)pt->fi[src] | (pt->dl[src] ? RS_NODE_DL : 0);
        m->nodes[slot].thr = pt->cond[src];
        m->nodes[slot].left4 = (int32_t)((base + tail) * 4);
        work[tail] = l;
        work[pt->n + tail] = d + 1;
        work[tail + 1] = r;
        work[pt->n + tail + 1] = d + 1;
        tail += 2;
    }
    *next = base + tail;
    *depth_out = (uint16_t)maxd;
    return 0;
}

static int parse_base_score(ld *L, json_t *lmp, float *out)
{
    json_t *v = json_object_get(lmp, "base_score");
    if (!v)
        return bad(L, "missing field \"base_score\"");
    if (json_is_number(v)) {
        *out = json_f32(json_number_value(v));
        return 0;
    }
    if (!json_is_string(v))
        return bad(L, "field \"base_score\" is not a string");
    /* 1.x/2.x: "5E-1"; 3.x: "[5E-1]" (a vector of one per target). Parse
     * the text straight to float32 like XGBoost. */
    const char *s = json_string_value(v);
    char buf[64];
    size_t len = strlen(s);
    if (len >= sizeof buf)
        return bad(L, "base_score \"%.40s...\" is too long", s);
    memcpy(buf, s, len + 1);
    char *p = buf;
    if (*p == '[') {
        if (len < 2 || buf[len - 1] != ']')
            return bad(L, "base_score \"%s\" is malformed", s);
        buf[len - 1] = 0;
        p++;
        if (strchr(p, ','))
            return bad(L, "base_score \"%s\" has several targets (multi-target is not supported)", s);
    }
    char *end;
    errno = 0;
    float f = strtof(p, &end);
    if (end == p || *end || !isfinite(f))
        return bad(L, "base_score \"%s\" is not a finite number", s);
    *out = f;
    return 0;
}

static int base_margin_of(ld *L, int obj, float bs, float *out)
{
    switch (obj) {
    case RS_OBJ_LOGISTIC:
    case RS_OBJ_BINARY_LOGISTIC:
        /* XGBoost's LogisticRegression::ProbToMargin, in float32. (logitraw
         * keeps base_score as the margin: measured against XGBoost 1.7.) */
        if (!(bs > 0.0f && bs < 1.0f))
            return bad(L, "base_score %.9g must be in (0,1) for %s", (double)bs, rs_model_obj_name(obj));
        *out = -logf(1.0f / bs - 1.0f);
        return 0;
    case RS_OBJ_POISSON:
    case RS_OBJ_GAMMA:
    case RS_OBJ_TWEEDIE:
        if (!(bs > 0.0f))
            return bad(L, "base_score %.9g must be > 0 for %s", (double)bs, rs_model_obj_name(obj));
        *out = logf(bs);
        return 0;
    default:
        *out = bs;
        return 0;
    }
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = rs_mem_alloc(n, 8, "model string");
    if (p)
        memcpy(p, s, n);
    return p;
}

/* Fill the complete tree of depth D rooted at position k from the compiled
 * general node n4 (see model_impl.h). */
static void fill_complete(const rs_model *m, uint32_t *w, int32_t off, int32_t leaf, int32_t n4, uint32_t k,
                          uint32_t level, uint32_t D)
{
    const rs_node *nd = m->nodes + (n4 >> 2);
    if (level == D) {
        /* a leaf position: the first leaf below (n4 is a leaf here) */
        memcpy(&w[leaf + (int32_t)k], &nd->thr, 4);
        return;
    }
    if (nd->feat & RS_NODE_LEAF) {
        /* early leaf: a never-decisive split node, and the leaf value in
         * both subtrees */
        w[off + 2 * (int32_t)k] = 0;
        w[off + 2 * (int32_t)k + 1] = 0;
        fill_complete(m, w, off, leaf, n4, 2 * k + 1, level + 1, D);
        fill_complete(m, w, off, leaf, n4, 2 * k + 2, level + 1, D);
        return;
    }
    w[off + 2 * (int32_t)k] = nd->feat;
    memcpy(&w[off + 2 * (int32_t)k + 1], &nd->thr, 4);
    fill_complete(m, w, off, leaf, nd->left4, 2 * k + 1, level + 1, D);
    fill_complete(m, w, off, leaf, nd->left4 + 4, 2 * k + 2, level + 1, D);
}

static int compile_complete(rs_model *m)
{
    m->cdepth = rs_mem_alloc(m->n_trees_pad * 2, 64, "model complete layout");
    if (!m->cdepth)
        return -ENOMEM;
    for (uint32_t b = 0; b < m->n_trees_pad; b += 64) {
        uint16_t D = 0;
        for (uint32_t t = b; t < b + 64 && t < m->n_trees_pad; t++)
            D = m->depth[t] > D ? m->depth[t] : D;
        for (uint32_t t = b; t < b + 64 && t < m->n_trees_pad; t++)
            m->cdepth[t] = D;
    }
    uint64_t words = 0;
    for (uint32_t t = 0; t < m->n_trees_pad; t++) {
        uint64_t D = m->cdepth[t];
        words += 2 * ((1ull << D) - 1) + (1ull << D) + 1;
    }
    if (words > (1ull << 26))
        return 0;   /* too large: stay on the general layout */
    /* + 128 words of slack: the batch kernel loads 16-node windows that may
     * run past the last tree */
    m->cw = rs_mem_alloc((words + 128) * 4, 64, "model complete layout");
    m->coff = rs_mem_alloc(m->n_trees_pad * 4, 64, "model complete layout");
    m->cleaf = rs_mem_alloc(m->n_trees_pad * 4, 64, "model complete layout");
    if (!m->cw || !m->coff || !m->cleaf)
        return -ENOMEM;
    int64_t pos = 0;
    for (uint32_t t = 0; t < m->n_trees_pad; t++) {
        uint32_t D = m->cdepth[t];
        int32_t internal = (int32_t)((1u << D) - 1);
        m->coff[t] = (int32_t)pos;
        /* leaf k (>= internal) lives right after the 2*internal split words */
        m->cleaf[t] = (int32_t)(pos + 2 * internal - internal);
        fill_complete(m, m->cw, m->coff[t], m->cleaf[t], m->root[t], 0, 0, D);
        pos += 2 * internal + (internal + 1);
        pos += pos & 1;   /* keep every tree 8-byte aligned: nodes are read as 64-bit pairs */
    }
    return 0;
}

/* Rounds of a complete tree of depth D (see model_impl.h): R rounds, the
 * first of L1 levels, the others of 4. */
static void blk_rounds(uint32_t D, uint32_t *R, uint32_t *L1)
{
    *R = (D + 3) / 4;
    *L1 = D ? D - 4 * (*R - 1) : 0;
}

/* Global breadth-first index of node i (breadth-first within its block) of
 * block J of the round that starts at global level g0. */
static uint32_t blk_node(uint32_t g0, uint32_t J, uint32_t i)
{
    uint32_t l = 31 - (uint32_t)__builtin_clz(i + 1), pos = i - ((1u << l) - 1);
    return ((1u << (g0 + l)) - 1) + (J << l) + pos;
}

static void blk_put(rs_model *m, size_t slot, uint32_t lane, const uint32_t *w, uint32_t k)
{
    uint32_t f = w[2 * k];
    m->bfeat[16 * slot + lane] = (uint8_t)((f & RS_NODE_FMASK) | (f & RS_NODE_DL ? 0x80 : 0));
    memcpy(&m->bthr[16 * slot + lane], &w[2 * k + 1], 4);
}

/* The block layout, built from the complete one (so both hold the same
 * decisions, node for node). */
static int compile_blocks(rs_model *m)
{
    uint64_t nslot = 0, nleaf = 0;
    for (uint32_t g = 0; g < m->n_trees_pad; g += 16) {
        uint32_t D = m->cdepth[g], R, L1;
        blk_rounds(D, &R, &L1);
        if (R)
            nslot += (1u << L1) - 1;   /* round 1, transposed */
        uint64_t cnt = 1ull << L1;    /* blocks per tree in round 2 */
        for (uint32_t r = 1; r < R; r++, cnt <<= 4)
            nslot += 16 * cnt;
        nleaf += 16ull << D;
    }
    if (nslot > (1ull << 24) || nleaf > (1ull << 26))
        return 0;   /* too large: the kernels that do not need it are used */
    m->bthr = rs_mem_alloc((nslot + 1) * 64, 64, "model block layout");
    m->bfeat = rs_mem_alloc((nslot + 1) * 16, 64, "model block layout");
    m->bleaf = rs_mem_alloc(nleaf * 4, 64, "model block layout");
    m->bgrp = rs_mem_alloc(m->n_trees_pad / 16 * 4, 64, "model block layout");
    m->bblk = rs_mem_alloc(m->n_trees_pad * 4, 64, "model block layout");
    m->bloff = rs_mem_alloc(m->n_trees_pad * 4, 64, "model block layout");
    if (!m->bthr || !m->bfeat || !m->bleaf || !m->bgrp || !m->bblk || !m->bloff)
        return -ENOMEM;
    memset(m->bthr, 0, (nslot + 1) * 64);
    memset(m->bfeat, 0, (nslot + 1) * 16);
    uint32_t s = 0, lo = 0;
    for (uint32_t g = 0; g < m->n_trees_pad; g += 16) {
        uint32_t D = m->cdepth[g], R, L1;
        blk_rounds(D, &R, &L1);
        m->bgrp[g / 16] = s;
        if (R) {
            /* round 1: node i of the group's 16 trees in the 16 lanes of slot s + i */
            for (uint32_t i = 0; i < (1u << L1) - 1; i++)
                for (uint32_t j = 0; j < 16; j++)
                    blk_put(m, s + i, j, m->cw + m->coff[g + j], blk_node(0, 0, i));
            s += (1u << L1) - 1;
        }
        for (uint32_t j = 0; j < 16; j++) {
            uint32_t t = g + j;
            const uint32_t *w = m->cw + m->coff[t];
            m->bblk[t] = s;
            uint32_t g0 = L1, cnt = 1u << L1;
            for (uint32_t r = 1; r < R; r++, g0 += 4, cnt <<= 4)
                for (uint32_t J = 0; J < cnt; J++, s++)
                    for (uint32_t i = 0; i < 15; i++)
                        blk_put(m, s, i, w, blk_node(g0, J, i));
            m->bloff[t] = lo;
            for (uint32_t k = 0; k < (1u << D); k++)
                memcpy(&m->bleaf[lo + k], &m->cw[m->cleaf[t] + (int32_t)((1u << D) - 1 + k)], 4);
            lo += 1u << D;
        }
    }
    return 0;
}

void rs_model_destroy(rs_model *m)
{
    if (!m)
        return;
    rs_mem_free(m->nodes);
    rs_mem_free(m->cw);
    rs_mem_free(m->coff);
    rs_mem_free(m->cleaf);
    rs_mem_free(m->cdepth);
    rs_mem_free(m->bthr);
    rs_mem_free(m->bfeat);
    rs_mem_free(m->bleaf);
    rs_mem_free(m->bblk);
    rs_mem_free(m->bgrp);
    rs_mem_free(m->bloff);
    rs_mem_free(m->root);
    rs_mem_free(m->depth);
    rs_mem_free(m->gdepth8);
    rs_mem_free(m->gdepth16);
    if (m->names)
        for (uint32_t i = 0; i < m->n_named; i++)
            rs_mem_free(m->names[i]);
    rs_mem_free(m->names);
    rs_mem_free(m->objective);
    rs_mem_free(m->path);
    rs_mem_free(m);
}

static int load_json(rs_model *m, ld *L, json_t *root)
{
    int rc = 0;
    json_t *ver = json_object_get(root, "version");
    if (json_is_array(ver))
        for (size_t i = 0; i < 3 && i < json_array_size(ver); i++)
            if (json_is_integer(json_array_get(ver, i)))
                m->version[i] = (uint32_t)json_integer_value(json_array_get(ver, i));
    json_t *lr = get(L, root, "learner", JSON_OBJECT, &rc);
    if (!lr)
        return rc;
    strcpy(L->where, "learner");
    json_t *gb = get(L, lr, "gradient_booster", JSON_OBJECT, &rc);
    json_t *objj = gb ? get(L, lr, "objective", JSON_OBJECT, &rc) : NULL;
    json_t *lmp = objj ? get(L, lr, "learner_model_param", JSON_OBJECT, &rc) : NULL;
    if (!lmp)
        return rc;
    /* objective */
    json_t *on = get(L, objj, "name", JSON_STRING, &rc);
    if (!on)
        return rc;
    const char *oname = json_string_value(on);
    m->obj = 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(objs); i++)
        if (!strcmp(objs[i].name, oname))
            m->obj = objs[i].obj;
    if (!m->obj) {
        strcpy(L->where, "learner.objective.name");
        if (!strncmp(oname, "multi:", 6))
            return bad(L, "\"%s\": multi-class models are not supported", oname);
        return bad(L, "unsupported objective \"%s\"", oname);
    }
    if (!(m->objective = dupstr(oname)))
        return -ENOMEM;
    /* learner_model_param */
    strcpy(L->where, "learner.learner_model_param");
    uint32_t ncls = 0, ntgt = 1, nfeat = 0;
    if ((rc = str_u32(L, lmp, "num_feature", &nfeat, 1)))
        return rc;
    if (str_u32(L, lmp, "num_class", &ncls, 0) < 0 || str_u32(L, lmp, "num_target", &ntgt, 0) < 0)
        return -RS_EBADMODEL;
    if (ncls > 1)
        return bad(L, "num_class = %u: multi-class models are not supported", ncls);
    if (ntgt > 1)
        return bad(L, "num_target = %u: multi-target models are not supported", ntgt);
    if (nfeat == 0 || nfeat > RS_MODEL_MAX_FEATURES)
        return bad(L, "num_feature = %u outside 1..%d", nfeat, RS_MODEL_MAX_FEATURES);
    m->n_features = nfeat;
    if ((rc = parse_base_score(L, lmp, &m->base_score)))
        return rc;
    if ((rc = base_margin_of(L, m->obj, m->base_score, &m->base_margin)))
        return rc;
    /* feature names and types */
    strcpy(L->where, "learner");
    json_t *fn = json_object_get(lr, "feature_names");
    if (fn && !json_is_array(fn))
        return bad(L, "feature_names is not an array");
    size_t nfn = fn ? json_array_size(fn) : 0;
    if (nfn && nfn != nfeat)
        return bad(L, "feature_names has %zu entries, num_feature is %u (inconsistent arrays)", nfn, nfeat);
    json_t *ft = json_object_get(lr, "feature_types");
    if (json_is_array(ft))
        for (size_t i = 0; i < json_array_size(ft); i++) {
            const char *t = json_string_value(json_array_get(ft, i));
            if (t && !strcmp(t, "c"))
                return bad(L, "feature_types[%zu] = \"c\": categorical features are not supported", i);
        }
    if (nfn) {
        if (!(m->names = rs_mem_alloc(nfn * sizeof(char *), 8, "model names")))
            return -ENOMEM;
        for (size_t i = 0; i < nfn; i++) {
            const char *s = json_string_value(json_array_get(fn, i));
            if (!s)
                return bad(L, "feature_names[%zu] is not a string", i);
            for (size_t j = 0; j < i; j++)
                if (!strcmp(m->names[j], s))
                    return bad(L, "feature_names[%zu] \"%s\" is a duplicate", i, s);
            if (!(m->names[i] = dupstr(s)))
                return -ENOMEM;
            m->n_named = (uint32_t)(i + 1);
        }
    }
    /* booster */
    strcpy(L->where, "learner.gradient_booster");
    json_t *gbn = get(L, gb, "name", JSON_STRING, &rc);
    if (!gbn)
        return rc;
    if (strcmp(json_string_value(gbn), "gbtree"))
        return bad(L, "booster \"%s\" is not supported (only gbtree; dart and gblinear are refused)",
                   json_string_value(gbn));
    json_t *mo = get(L, gb, "model", JSON_OBJECT, &rc);
    if (!mo)
        return rc;
    strcpy(L->where, "learner.gradient_booster.model");
    json_t *trees = get(L, mo, "trees", JSON_ARRAY, &rc);
    if (!trees)
        return rc;
    size_t nt = json_array_size(trees);
    json_t *gmp = json_object_get(mo, "gbtree_model_param");
    uint32_t ntp = 0;
    if (gmp) {
        if ((rc = str_u32(L, gmp, "num_trees", &ntp, 1)))
            return rc;
        if (ntp != nt)
            return bad(L, "gbtree_model_param.num_trees = %u but trees has %zu entries (inconsistent arrays)",
                       ntp, nt);
    }
    json_t *ti = json_object_get(mo, "tree_info");
    if (ti) {
        if (!json_is_array(ti) || json_array_size(ti) != nt)
            return bad(L, "tree_info has %zu entries, trees has %zu (inconsistent arrays)",
                       json_is_array(ti) ? json_array_size(ti) : 0, nt);
        for (size_t i = 0; i < nt; i++)
            if (json_integer_value(json_array_get(ti, i)) != 0)
                return bad(L, "tree_info[%zu] != 0: multi-class models are not supported", i);
    }
    if (nt > (1u << 20))
        return bad(L, "%zu trees: too many", nt);

    /* parse every tree, then size the compiled arrays */
    ptree *pts = rs_mem_alloc((nt ? nt : 1) * sizeof(ptree), 8, "model trees");
    if (!pts)
        return -ENOMEM;
    uint64_t total = 1;   /* the dummy leaf for padding */
    uint32_t maxn = 1;
    for (size_t i = 0; i < nt && !rc; i++) {
        rc = parse_tree(L, json_array_get(trees, i), nfeat, &pts[i], i);
        total += pts[i].n;
        if (pts[i].n > maxn)
            maxn = pts[i].n;
    }
    if (!rc && total > (1u << 28))
        rc = bad(L, "%llu nodes: model too large", (unsigned long long)total);
    m->n_trees = (uint32_t)nt;
    m->n_trees_pad = (uint32_t)RS_ALIGN_UP(nt, (size_t)RS_MODEL_PAD);
    if (m->n_trees_pad == 0)
        m->n_trees_pad = RS_MODEL_PAD;
    uint32_t *work = NULL, *seen = NULL;
    if (!rc) {
        m->nodes = rs_mem_alloc(total * sizeof(rs_node), 64, "model nodes");
        m->root = rs_mem_alloc(m->n_trees_pad * 4, 64, "model roots");
        m->depth = rs_mem_alloc(m->n_trees_pad * 2, 64, "model depth");
        m->gdepth8 = rs_mem_alloc(m->n_trees_pad / 8 * 2, 64, "model depth");
        m->gdepth16 = rs_mem_alloc(m->n_trees_pad / 16 * 2, 64, "model depth");
        work = rs_mem_alloc((size_t)maxn * 2 * 4, 64, "model compile");
        seen = rs_mem_alloc((size_t)maxn * 4, 64, "model compile");
        if (!m->nodes || !m->root || !m->depth || !m->gdepth8 || !m->gdepth16 || !work ||
            !seen)
            rc = -ENOMEM;
    }
    if (!rc) {
        /* slot 0: the dummy leaf (value 0) that padding trees point at */
        m->nodes[0].feat = RS_NODE_LEAF;
        m->nodes[0].thr = 0.0f;
        m->nodes[0].left4 = 0;
        uint32_t next = 1;
        for (size_t i = 0; i < nt && !rc; i++) {
            m->root[i] = (int32_t)(next * 4);
            rc = compile_tree(L, m, &pts[i], &next, i, work, seen, (uint32_t)i + 1, &m->depth[i]);
            if (rc)
                break;
            /* a fresh generation per tree: clear marks when the counter
             * would collide (never in practice below 2^32 trees) */
            uint32_t d = m->depth[i];
            m->depth_hist[d < 32 ? d : 32]++;
            if (d > m->max_depth)
                m->max_depth = d;
        }
        m->n_nodes = next;
        for (uint32_t i = m->n_trees; i < m->n_trees_pad; i++) {
            m->root[i] = 0;
            m->depth[i] = 0;
        }
        for (uint32_t g = 0; g < m->n_trees_pad / 8; g++) {
            uint16_t d = 0;
            for (uint32_t k = 0; k < 8; k++)
                if (m->depth[g * 8 + k] > d)
                    d = m->depth[g * 8 + k];
            m->gdepth8[g] = d;
        }
        for (uint32_t g = 0; g < m->n_trees_pad / 16; g++)
            m->gdepth16[g] = m->gdepth8[2 * g] > m->gdepth8[2 * g + 1] ? m->gdepth8[2 * g] : m->gdepth8[2 * g + 1];
    }
    if (!rc && m->max_depth <= RS_COMPLETE_MAX_DEPTH)
        rc = compile_complete(m);
    if (!rc && m->cw && m->n_features <= RS_BLK_MAX_FEATURES)
        rc = compile_blocks(m);
    for (size_t i = 0; i < nt; i++)
        ptree_free(&pts[i]);
    rs_mem_free(pts);
    rs_mem_free(work);
    rs_mem_free(seen);
    return rc;
}

int rs_model_load_mem(rs_model **out, const void *buf, size_t n, const char *name)
{
    *out = NULL;
    ld L = {.file = name ? name : "<memory>"};
    rs_model *m = rs_mem_alloc(sizeof *m, 64, "model");
    if (!m)
        return -ENOMEM;
    rs_sha256(buf, n, m->sha256);
    if (!(m->path = dupstr(L.file))) {
        rs_mem_free(m);
        return -ENOMEM;
    }
    json_error_t je;
    json_t *root = json_loadb(buf, n, JSON_REJECT_DUPLICATES, &je);
    int rc;
    if (!root) {
        rc = rs_err_set(RS_EBADMODEL, "%s: line %d column %d: invalid or truncated JSON: %s", L.file, je.line,
                        je.column, je.text);
    } else {
        rc = load_json(m, &L, root);
        json_decref(root);
    }
    if (!rc)
        rc = rs_model_set_isa(m, RS_ISA_AUTO);
    if (!rc)
        rc = rs_model_set_kernel(m, RS_KERNEL_AUTO);
    if (rc) {
        rs_model_destroy(m);
        return rc;
    }
    *out = m;
    return 0;
}

int rs_model_load(rs_model **out, const char *path)
{
    *out = NULL;
    uint8_t *buf;
    size_t n;
    int rc = rs_file_read_all(path, "model", 0, 0, &buf, &n);
    if (rc)
        return rc;
    rc = rs_model_load_mem(out, (const char *)buf, n, path);
    rs_mem_free(buf);
    return rc;
}

/* ---- introspection ------------------------------------------------------------ */

void rs_model_get_info(const rs_model *m, rs_model_info *in)
{
    memset(in, 0, sizeof *in);
    in->path = m->path;
    in->objective = m->objective;
    in->obj = m->obj;
    in->n_trees = m->n_trees;
    in->n_features = m->n_features;
    in->n_named = m->n_named;
    in->max_depth = m->max_depth;
    in->n_nodes = m->n_nodes - 1;
    memcpy(in->depth_hist, m->depth_hist, sizeof in->depth_hist);
    in->base_score = m->base_score;
    in->base_margin = m->base_margin;
    memcpy(in->version, m->version, sizeof in->version);
    memcpy(in->sha256, m->sha256, 32);
}

const char *rs_model_feature_name(const rs_model *m, uint32_t j)
{
    return j < m->n_named ? m->names[j] : NULL;
}

int rs_model_map_features(const rs_model *m, const char *const *names, size_t n, uint32_t *idx)
{
    if (!m->n_named) {
        if (n < m->n_features)
            return rs_err_set(RS_EBADMODEL,
                              "%s: model has no feature names and %u features; the producer has only %zu",
                              m->path, m->n_features, n);
        for (uint32_t j = 0; j < m->n_features; j++)
            idx[j] = j;
        return 0;
    }
    char missing[512] = "";
    size_t ml = 0;
    int nmiss = 0;
    for (uint32_t j = 0; j < m->n_features; j++) {
        size_t k = 0;
        while (k < n && strcmp(names[k], m->names[j]))
            k++;
        if (k == n) {
            nmiss++;
            if (ml < sizeof missing)
                ml += (size_t)snprintf(missing + ml, sizeof missing - ml, "%s\"%s\"", nmiss > 1 ? ", " : "",
                                       m->names[j]);
            idx[j] = UINT32_MAX;
        } else {
            idx[j] = (uint32_t)k;
        }
    }
    if (!nmiss)
        return 0;
    char avail[768] = "";
    size_t al = 0;
    for (size_t k = 0; k < n && al < sizeof avail; k++)
        al += (size_t)snprintf(avail + al, sizeof avail - al, "%s%s", k ? ", " : "", names[k]);
    return rs_err_set(RS_EBADMODEL, "%s: unknown feature name(s) %s; available: %s", m->path, missing,
                      n ? avail : "(none)");
}
