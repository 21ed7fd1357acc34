/* ringside/model.h -- XGBoost tree ensembles: loading, compiled layout,
 * SIMD inference bit-identical to XGBoost's CPU predictor.
 *
 * Format: the JSON written by XGBoost's Booster.save_model("m.json")
 * (schema of XGBoost 1.x and 2.x). Supported: booster "gbtree" with numerical
 * splits, one output (no multi-class / multi-target), any num_parallel_tree,
 * objectives listed in enum rs_model_obj. Refused with a message naming the
 * file and field: dart, gblinear, categorical splits, multi-class, vector
 * leaves, unknown objective, inconsistent arrays, truncated / invalid JSON,
 * NaN or infinite thresholds or leaves, cycles or unreachable nodes.
 *
 * Semantics (XGBoost's, exactly): features and thresholds are float32; at a
 * split node `x < threshold` goes left, NaN goes the node's default
 * direction; the margin starts from base_margin (base_score mapped through the
 * objective's ProbToMargin) and each tree's leaf value is added in float32,
 * one tree after another in tree order. Every ISA path (scalar, AVX2,
 * AVX-512) traverses trees in parallel but adds leaves in that order, so all
 * paths return XGBoost's own float32 result.
 *
 * Threading: a loaded rs_model is immutable; any number of threads may
 * predict with it concurrently. Prediction functions never allocate, lock,
 * log or make syscalls.
 */
#ifndef RINGSIDE_MODEL_H
#define RINGSIDE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/common.h"

/* Largest number of features a model may use (row scratch lives on the
 * stack of the predicting thread). */
#define RS_MODEL_MAX_FEATURES 4096
#define RS_MODEL_NAME_MAX 64

enum rs_model_isa {
    RS_ISA_AUTO = 0,    /* best the CPU supports */
    RS_ISA_SCALAR = 1,
    RS_ISA_AVX2 = 2,
    RS_ISA_AVX512 = 3,
};

enum rs_model_obj {
    RS_OBJ_SQUAREDERROR = 1,   /* reg:squarederror: identity */
    RS_OBJ_SQUAREDLOGERROR,    /* reg:squaredlogerror: identity */
    RS_OBJ_PSEUDOHUBER,        /* reg:pseudohubererror: identity */
    RS_OBJ_ABSOLUTEERROR,      /* reg:absoluteerror: identity */
    RS_OBJ_LOGISTIC,           /* reg:logistic: sigmoid, base_score is a probability */
    RS_OBJ_BINARY_LOGISTIC,    /* binary:logistic: sigmoid, base_score is a probability */
    RS_OBJ_BINARY_LOGITRAW,    /* binary:logitraw: identity, base_score is the margin */
    RS_OBJ_POISSON,            /* count:poisson: exp, base margin log(base_score) */
    RS_OBJ_GAMMA,              /* reg:gamma: exp, base margin log(base_score) */
    RS_OBJ_TWEEDIE,            /* reg:tweedie: exp, base margin log(base_score) */
};

/* Summary of a loaded model (rs_model_get_info). Strings are borrowed from
 * the model and live as long as it does. */
typedef struct rs_model_info {
    const char *path;          /* as given to rs_model_load */
    const char *objective;     /* XGBoost objective name */
    int obj;                   /* enum rs_model_obj */
    uint32_t n_trees;
    uint32_t n_features;       /* num_feature of the model */
    uint32_t n_named;          /* feature names present (0 or n_features) */
    uint32_t max_depth;        /* deepest leaf (root = depth 0) */
    uint64_t n_nodes;          /* nodes over all trees */
    uint32_t depth_hist[33];   /* trees by max depth (index 32: >= 32) */
    float base_score;          /* as stored (probability space for logistic) */
    float base_margin;         /* what the margin starts from */
    uint32_t version[3];       /* XGBoost version that wrote it (0s if absent) */
    uint8_t sha256[32];        /* SHA-256 of the file bytes */
} rs_model_info;

typedef struct rs_model rs_model;

/* ---- cold path ------------------------------------------------------------ */

/* Load an XGBoost JSON model from a file, validate it and compile the trees.
 * On success *out owns a new model (release with rs_model_destroy) and 0 is
 * returned. Errors: -ENOENT/-EIO... (file), -RS_EBADMODEL (invalid or
 * unsupported, message names the file and the JSON field), -ENOMEM. */
int rs_model_load(rs_model **out, const char *path);

/* Same, from bytes in memory; `name` is used in messages and as the path. */
int rs_model_load_mem(rs_model **out, const void *buf, size_t n, const char *name);

/* Release a model (NULL is a no-op). No prediction may be running on it. */
void rs_model_destroy(rs_model *m);

/* Fill *info (borrowed strings). */
void rs_model_get_info(const rs_model *m, rs_model_info *info);

/* Feature name j (NULL if the model has no names or j is out of range). */
const char *rs_model_feature_name(const rs_model *m, uint32_t j);

/* Map the model's features onto a producer's layout by name: for each model
 * feature j, idx[j] = position of its name in names[0..n). idx must hold
 * n_features entries. A model without feature names is mapped positionally
 * (requires n >= n_features). Returns 0, or -RS_EBADMODEL naming the unknown
 * feature(s) and listing the available names. */
int rs_model_map_features(const rs_model *m, const char *const *names, size_t n, uint32_t *idx);

/* Choose the evaluation path. RS_ISA_AUTO picks the best the CPU supports.
 * Returns 0 or -ENOTSUP (message says why) if the CPU lacks it. Not
 * thread-safe against concurrent predictions on the same model: call it
 * before sharing the model. */
int rs_model_set_isa(rs_model *m, int isa);
/* The path in use (enum rs_model_isa, never AUTO). */
int rs_model_get_isa(const rs_model *m);
/* Best path this CPU supports. */
int rs_model_best_isa(void);
/* "scalar", "avx2", "avx512" (or "auto"); rs_model_isa_parse returns -1 for
 * an unknown name. */
const char *rs_model_isa_name(int isa);
int rs_model_isa_parse(const char *name);

/* Variants of the AVX-512 single-row kernel (the block kernel, used when
 * every tree is at most 10 deep and the model has at most 64 features).
 * All return the same float32 bits; they differ only in how values move
 * between vector lanes and scalar code, which costs differently per CPU:
 *   STORE   the first kernel's data movement: block offsets, decision
 *           words and leaf indices through stack arrays (a 64-byte store
 *           read back as 16 32-bit loads, 16 2-byte stores read back as
 *           one 32-byte load); relies on the CPU's store forwarding;
 *   PERM    no store-to-load round trip at all (lane extracts, decision
 *           words combined in general registers);
 *   GATHER  as PERM, but leaf values by one 16-lane gather.
 * `ringside bench model` times each; docs/model.md has the figures. */
enum rs_model_kernel {
    RS_KERNEL_AUTO = 0,   /* the default for this CPU (rs_model_best_kernel) */
    RS_KERNEL_STORE = 1,
    RS_KERNEL_PERM = 2,
    RS_KERNEL_GATHER = 3,
};

/* Choose the block kernel variant (RS_KERNEL_AUTO: rs_model_best_kernel()).
 * Takes effect only on the AVX-512 single-row path of a model that has the
 * block layout (rs_model_has_blk); harmless otherwise. Returns 0, -EINVAL
 * for an unknown variant, -ENOTSUP for an explicit variant on a CPU with
 * AVX-512F but no AVX-512BW (Xeon Phi), where the block kernel is off.
 * Same thread-safety rule as rs_model_set_isa. Loading a model sets
 * RS_KERNEL_AUTO. */
int rs_model_set_kernel(rs_model *m, int kernel);
/* The variant in use; RS_KERNEL_AUTO (0) only where the block kernel is
 * off (no AVX-512BW: the AVX-512 path then uses the complete-layout
 * kernel). */
int rs_model_get_kernel(const rs_model *m);
/* Nonzero when the model has the block layout (the variants apply). */
int rs_model_has_blk(const rs_model *m);
/* Default variant for this CPU, from CPUID: PERM (measured fastest on AMD
 * Zen 5; on Intel the one that needs no store forwarding); RS_KERNEL_AUTO
 * on AVX-512F without AVX-512BW (block kernel off). Deterministic: no
 * timing at start-up. */
int rs_model_best_kernel(void);
/* "auto", "store", "perm", "gather"; rs_model_kernel_parse returns -1 for
 * an unknown name. */
const char *rs_model_kernel_name(int kernel);
int rs_model_kernel_parse(const char *name);

/* Name of an objective (enum rs_model_obj), e.g. "binary:logistic". */
const char *rs_model_obj_name(int obj);

/* ---- hot path (no allocation, no locks, no syscalls) ----------------------- */

/* Raw margin (XGBoost output_margin=True) of one row of n_features float32
 * values in the model's feature order; NaN = missing. */
float rs_model_predict_margin(const rs_model *m, const float *row);

/* The objective's transform of a margin (XGBoost predict() output space):
 * sigmoid for logistic objectives, exp for poisson/gamma/tweedie, identity
 * otherwise. Uses the same float32 formulas as XGBoost. */
float rs_model_transform(const rs_model *m, float margin);

/* rs_model_transform(rs_model_predict_margin(row)). */
float rs_model_predict(const rs_model *m, const float *row);

/* Margins for n rows; row i starts at rows + i * stride (stride >=
 * n_features, in floats). out[i] gets exactly what rs_model_predict_margin
 * would return for that row. */
void rs_model_predict_margin_batch(const rs_model *m, const float *rows, size_t n, size_t stride,
                                   float *out);

/* ---- SHA-256 (OpenSSL), exposed for ensembles and tools ------------------- */

/* SHA-256 of buf[n] into out[32]. */
void rs_sha256(const void *buf, size_t n, uint8_t out[32]);
/* Lower-case hex of a 32-byte digest into hex[65]. */
void rs_sha256_hex(const uint8_t d[32], char hex[65]);

#endif
