/* core/model_impl.h -- private: the compiled tree layout shared by the loader
 * (model.c) and the evaluation kernels (model_eval.c). Not a public header. */
#ifndef RS_CORE_MODEL_IMPL_H
#define RS_CORE_MODEL_IMPL_H

#include <stdint.h>

#include "ringside/model.h"

/* Node encoding: one 16-byte node per cache-line quarter, all trees in one
 * array, so a visit touches one cache line. Nodes are addressed by their
 * offset in 32-bit words (index * 4, "n4") so that SIMD gathers with scale 4
 * reach each field directly:
 *   feat   bits 0..29 feature index, bit 30 leaf, bit 31 default_left
 *   thr    split threshold, or the leaf value for a leaf
 *   left4  n4 of the left child; the right child is left4 + 4 (children are
 *          renumbered to be adjacent); a leaf points to itself so that SIMD
 *          lanes which reached a leaf stay there.
 * A leaf's feature index is 0 (always a valid read; its result is masked). */
typedef struct rs_node {
    uint32_t feat;
    float thr;
    int32_t left4;
    uint32_t pad;
} rs_node;
#define RS_NODE_FMASK 0x3fffffffu
#define RS_NODE_LEAF 0x40000000u
#define RS_NODE_DL 0x80000000u

/* Trees are padded to a multiple of this with a dummy single-leaf tree so
 * that SIMD kernels can always load full vectors of roots. */
#define RS_MODEL_PAD 16

struct rs_model {
    uint32_t n_trees;          /* real trees */
    uint32_t n_trees_pad;      /* multiple of RS_MODEL_PAD */
    uint32_t n_features;
    uint32_t n_named;
    uint64_t n_nodes;          /* compiled nodes, dummy leaf included */
    int obj;
    int isa;
    int kernel;                /* enum rs_model_kernel: AVX-512 single-row block variant; 0 (AUTO):
                                  block kernel off (CPU without AVX-512BW) */
    float base_score, base_margin;
    uint32_t max_depth;
    uint32_t depth_hist[33];
    uint32_t version[3];
    uint8_t sha256[32];
    rs_node *nodes;
    int32_t *root;             /* n_trees_pad: n4 of each root */
    uint16_t *depth;           /* n_trees_pad: steps from root to deepest leaf */
    uint16_t *gdepth8;         /* max depth per group of 8 trees */
    uint16_t *gdepth16;        /* max depth per group of 16 trees */
    /* Complete layout (used when every tree is at most RS_COMPLETE_MAX_DEPTH
     * deep): each tree stored as a complete binary tree of depth D =
     * cdepth[t] (shallower leaves are replicated into the
     * subtree below them, whose split nodes are then never decisive).
     * Words (32-bit) of tree t start at coff[t]: split node k (0-based,
     * children 2k+1 / 2k+2) is words coff+2k (feature | RS_NODE_DL) and
     * coff+2k+1 (threshold); leaf k (k in [2^D-1, 2^(D+1)-2]) is word
     * cleaf[t] + k. Traversal is exactly D steps with no leaf test. */
    uint32_t *cw;              /* NULL: not used (deep trees), use nodes */
    int32_t *coff;             /* n_trees_pad */
    int32_t *cleaf;            /* n_trees_pad */
    uint16_t *cdepth;          /* n_trees_pad: D of the tree = the deepest tree
                                  in its block of 64, so that every kernel's
                                  group of trees (8, 4x8, 4x16) steps alike */
    /* Block layout (AVX-512 single row; built when the complete layout is
     * and n_features <= RS_BLK_MAX_FEATURES). A slot is 16 lanes: 16
     * thresholds bthr[16s..16s+15] (one 64-byte line) and 16 feature bytes
     * bfeat[16s..] (bits 0-5 feature, bit 7 default-left; unused lanes 0).
     * Each complete tree of depth D is cut into rounds of levels: the first
     * round takes L1 = D - 4(R-1) levels (1..4), every later one 4, R =
     * ceil(D/4). Trees go in groups of 16 (same D: a group never straddles
     * a depth block of 64).
     * - Round 1, transposed: slot bgrp[g] + i holds node i (breadth-first)
     *   of the 16 trees of group g in its lanes, so one compare decides
     *   node i for all 16 trees.
     * - Later rounds, per tree: one slot per 4-level subtree ("block"),
     *   its 15 split nodes breadth-first in lanes 0..14. Tree t's round-2
     *   blocks start at slot bblk[t], in path order (2^L1 of them), then
     *   round 3's (2^(L1+4)).
     * Leaves: bleaf[bloff[t] + path], path = the 0/1 (left/right) choices
     * from the root, first choice most significant. */
    float *bthr;               /* NULL: not built */
    uint8_t *bfeat;
    float *bleaf;
    uint32_t *bgrp;            /* n_trees_pad / 16 */
    uint32_t *bblk;            /* n_trees_pad */
    uint32_t *bloff;           /* n_trees_pad */
    char **names;              /* n_named feature names */
    char *objective;
    char *path;
};

#define RS_COMPLETE_MAX_DEPTH 10
#define RS_BLK_MAX_FEATURES 64

/* Kernels (model_eval.c). Each returns XGBoost's float32 margin. */
float rs_model_margin_scalar(const struct rs_model *m, const float *row);
float rs_model_margin_avx2(const struct rs_model *m, const float *row);
float rs_model_margin_avx512(const struct rs_model *m, const float *row);
float rs_model_margin_blk_avx512(const struct rs_model *m, const float *row);   /* needs m->bthr, m->kernel != 0, AVX-512BW */
void rs_model_batch_scalar(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out);
void rs_model_batch_avx2(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out);
void rs_model_batch_avx512(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out);

#endif
