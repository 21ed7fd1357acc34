/* Single-row AVX-512 kernel on the block layout (model_impl.h).
 *
 * Why blocks: the tree-in-lanes kernel pays three 16-lane gathers per level
 * (feature, threshold, feature value), and a gather costs about one cycle
 * per element on the CPUs we run on. For one row, the whole feature vector
 * (up to 64 floats) fits in four registers, so a feature value is a permute,
 * not a gather, and one 16-lane compare decides 16 nodes read with two
 * contiguous loads: in round 1 node i of 16 trees (transposed slots), in
 * later rounds the 15 nodes of one tree's 4-level subtree. Paths are then
 * read off the decision bits 16 trees at a time (bitwise multiplexers in
 * round 1, vector lanes later): walking one tree's bits with scalar
 * shift/and/add steps was the bottleneck of a one-tree-at-a-time version.
 * Evaluating nodes off the path is free of side effects (pure compares).
 *
 * Exactness is unchanged: each decision is `x < thr`, NaN goes the node's
 * default direction, on the same float32 values, and the leaves are added
 * to the margin one tree after another, in tree order (the trees overlap
 * only in the out-of-order core; the additions form one dependent chain). */
#include <immintrin.h>
#include <string.h>

#include "model_impl.h"

#define T_AVX512 __attribute__((target("avx512f")))

/* Go-left bits of the (up to) 16 nodes of the block whose features are at
 * fp and thresholds at tp: bit i set when node i sends the row left
 * (x < thr, or x is NaN and the node defaults left). wide: features 32..63
 * exist (r2, r3); nan: the row has a NaN somewhere. */
T_AVX512 static inline __attribute__((always_inline)) uint32_t blk_left(const uint8_t *fp, const float *tp,
                                                                         __m512 r0, __m512 r1, __m512 r2,
                                                                         __m512 r3, int wide, int nan)
{
    __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)fp));
    /* the permute reads index bits 0-4 only: bit 5 picks the upper pair
     * below, bit 7 (default-left) is ignored */
    __m512 x = _mm512_permutex2var_ps(r0, idx, r1);
    if (wide) {
        __m512 x2 = _mm512_permutex2var_ps(r2, idx, r3);
        x = _mm512_mask_mov_ps(x, _mm512_test_epi32_mask(idx, _mm512_set1_epi32(32)), x2);
    }
    __mmask16 lt = _mm512_cmp_ps_mask(x, _mm512_load_ps(tp), _CMP_LT_OQ);
    if (!nan)
        return lt;
    __mmask16 dl = _mm512_test_epi32_mask(idx, _mm512_set1_epi32(0x80));
    return lt | _mm512_mask_cmp_ps_mask(dl, x, x, _CMP_UNORD_Q);
}

/* 16 trees at once: lane i holds tree i's go-left bits of one 4-level
 * block; returns the leaf reached in each (0..15, path bits most
 * significant first). Node k's children are 2k+1 (left) and 2k+2. */
T_AVX512 static inline __attribute__((always_inline)) __m512i blk_walk16(const uint16_t *gl)
{
    const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
    __m512i g = _mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)gl));
    __m512i k = _mm512_setzero_si512();
    for (uint32_t l = 0; l < 4; l++) {
        __m512i bit = _mm512_and_si512(_mm512_srlv_epi32(g, k), one);
        k = _mm512_sub_epi32(_mm512_add_epi32(_mm512_add_epi32(k, k), two), bit);
    }
    return _mm512_sub_epi32(k, _mm512_set1_epi32(15));
}

static inline __attribute__((always_inline)) uint32_t mux(uint32_t left, uint32_t right, uint32_t gl)
{
    return (left & gl) | (right & ~gl);
}

/* Round 1 of a group of 16 trees, transposed: M[i] = go-left bits of node
 * i for the 16 trees (bit j: tree j). The node a tree visits at level l is
 * (2^l - 1) + its path so far, so its decision there is a multiplexer over
 * that level's masks steered by its earlier decisions: bitwise, all 16
 * trees at once. Returns the paths (L bits, first decision most
 * significant) as lanes. */
T_AVX512 static inline __attribute__((always_inline)) __m512i blk_round1(const uint32_t *M, uint32_t L)
{
    uint32_t g0 = M[0], g1 = 0, g2 = 0, g3 = 0;
    if (L >= 2)
        g1 = mux(M[1], M[2], g0);
    if (L >= 3)
        g2 = mux(mux(M[3], M[4], g1), mux(M[5], M[6], g1), g0);
    if (L >= 4)
        g3 = mux(mux(mux(M[7], M[8], g2), mux(M[9], M[10], g2), g1),
                 mux(mux(M[11], M[12], g2), mux(M[13], M[14], g2), g1), g0);
    /* path bit = went right = not left */
    __m512i J = _mm512_maskz_mov_epi32((__mmask16)~g0, _mm512_set1_epi32(1 << (L - 1)));
    if (L >= 2)
        J = _mm512_mask_add_epi32(J, (__mmask16)~g1, J, _mm512_set1_epi32(1 << (L - 2)));
    if (L >= 3)
        J = _mm512_mask_add_epi32(J, (__mmask16)~g2, J, _mm512_set1_epi32(1 << (L - 3)));
    if (L >= 4)
        J = _mm512_mask_add_epi32(J, (__mmask16)~g3, J, _mm512_set1_epi32(1));
    return J;
}

/* Trees go 16 at a time. Round 1 decides node i of all 16 trees with one
 * compare (transposed slots); later rounds decide each tree's own 4-level
 * block with one compare, store the 16 decision words, and walk the 16
 * paths in the lanes of one vector; the next round's block offsets come
 * out of that vector. The 16 trees' blocks are independent loads, so their
 * cache misses overlap. */
T_AVX512 static inline __attribute__((always_inline)) float blk_margin(const struct rs_model *m, const float *row,
                                                                       int wide, int nan)
{
    uint32_t F = m->n_features;
    __m512 r0, r1 = _mm512_setzero_ps(), r2 = _mm512_setzero_ps(), r3 = _mm512_setzero_ps();
    /* masked loads: never read past the row's last feature */
    r0 = _mm512_maskz_loadu_ps((__mmask16)(F >= 16 ? 0xffff : (1u << F) - 1), row);
    if (F > 16)
        r1 = _mm512_maskz_loadu_ps((__mmask16)(F >= 32 ? 0xffff : (1u << (F - 16)) - 1), row + 16);
    if (wide) {
        r2 = _mm512_maskz_loadu_ps((__mmask16)(F >= 48 ? 0xffff : (1u << (F - 32)) - 1), row + 32);
        if (F > 48)
            r3 = _mm512_maskz_loadu_ps((__mmask16)(F >= 64 ? 0xffff : (1u << (F - 48)) - 1), row + 48);
    }
    uint16_t gl[16] __attribute__((aligned(64)));
    uint32_t off[16] __attribute__((aligned(64))), loff[16] __attribute__((aligned(64)));
    uint32_t lix[16] __attribute__((aligned(64)));
    const float *lv = m->bleaf;
    float acc = m->base_margin;
    const uint8_t *fb = m->bfeat;
    const float *tb = m->bthr;
    for (uint32_t g0 = 0; g0 < m->n_trees; g0 += 16) {
        uint32_t D = m->cdepth[g0];
        uint32_t R = (D + 3) / 4, L1 = D ? D - 4 * (R - 1) : 0;
        __m512i J = _mm512_setzero_si512();
        if (R) {
            uint32_t M[15];
            const uint8_t *fp = fb + 16 * (size_t)m->bgrp[g0 / 16];
            const float *tp = tb + 16 * (size_t)m->bgrp[g0 / 16];
            switch (L1) {
            case 1:
                M[0] = blk_left(fp, tp, r0, r1, r2, r3, wide, nan);
                J = blk_round1(M, 1);
                break;
            case 2:
                for (uint32_t i = 0; i < 3; i++)
                    M[i] = blk_left(fp + 16 * i, tp + 16 * i, r0, r1, r2, r3, wide, nan);
                J = blk_round1(M, 2);
                break;
            case 3:
                for (uint32_t i = 0; i < 7; i++)
                    M[i] = blk_left(fp + 16 * i, tp + 16 * i, r0, r1, r2, r3, wide, nan);
                J = blk_round1(M, 3);
                break;
            default:
                for (uint32_t i = 0; i < 15; i++)
                    M[i] = blk_left(fp + 16 * i, tp + 16 * i, r0, r1, r2, r3, wide, nan);
                J = blk_round1(M, 4);
                break;
            }
            /* later rounds: the tree's block under its path so far */
            __m512i first = _mm512_load_si512((const void *)(m->bblk + g0));
            uint32_t nprev = 1u << L1;
            for (uint32_t r = 1; r < R; r++) {
                __m512i o = _mm512_slli_epi32(_mm512_add_epi32(first, J), 4);
                _mm512_store_si512((void *)off, o);
                if (r == R - 1) {
                    /* the 16 leaves under the last block share one line:
                     * fetch it now, alongside the block, not after it */
                    __m512i lo = _mm512_add_epi32(_mm512_load_si512((const void *)(m->bloff + g0)),
                                                  _mm512_slli_epi32(J, 4));
                    _mm512_store_si512((void *)loff, lo);
                    for (uint32_t i = 0; i < 16; i++)
                        _mm_prefetch((const char *)(m->bleaf + loff[i]), _MM_HINT_T0);
                }
                for (uint32_t i = 0; i < 16; i++)
                    _store_mask16((__mmask16 *)&gl[i],
                                  blk_left(fb + off[i], tb + off[i], r0, r1, r2, r3, wide, nan));
                J = _mm512_add_epi32(_mm512_slli_epi32(J, 4), blk_walk16(gl));
                first = _mm512_add_epi32(first, _mm512_set1_epi32((int)nprev));
                nprev <<= 4;
            }
        }
        /* Leaf indices go through memory to scalar loads: a 16-lane gather
         * costs more than 16 loads on the CPUs measured (AMD Zen 5), and
         * each load feeds its addition directly. */
        _mm512_store_si512((void *)lix, _mm512_add_epi32(_mm512_load_si512((const void *)(m->bloff + g0)), J));
        __asm__ volatile("" ::: "memory");   /* keep it a store + loads, not lane extracts */
        /* tree order, one float32 addition after another */
        uint32_t cnt = m->n_trees - g0 < 16 ? m->n_trees - g0 : 16;
        if (cnt == 16) {
            acc += lv[lix[0]]; acc += lv[lix[1]]; acc += lv[lix[2]]; acc += lv[lix[3]];
            acc += lv[lix[4]]; acc += lv[lix[5]]; acc += lv[lix[6]]; acc += lv[lix[7]];
            acc += lv[lix[8]]; acc += lv[lix[9]]; acc += lv[lix[10]]; acc += lv[lix[11]];
            acc += lv[lix[12]]; acc += lv[lix[13]]; acc += lv[lix[14]]; acc += lv[lix[15]];
        } else {
            for (uint32_t i = 0; i < cnt; i++)
                acc += lv[lix[i]];
        }
    }
    return acc;
}

T_AVX512 float rs_model_margin_blk_avx512(const struct rs_model *m, const float *row)
{
    /* Rows without a NaN skip the default-direction test (exact either way:
     * it only matters for NaN). */
    uint32_t F = m->n_features;
    __mmask16 any = 0;
    for (uint32_t j = 0; j < F; j += 16) {
        __mmask16 lm = (__mmask16)(F - j >= 16 ? 0xffff : (1u << (F - j)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(lm, row + j);
        any |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    if (F > 32)
        return any ? blk_margin(m, row, 1, 1) : blk_margin(m, row, 1, 0);
    return any ? blk_margin(m, row, 0, 1) : blk_margin(m, row, 0, 0);
}
