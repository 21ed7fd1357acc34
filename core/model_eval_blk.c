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
#define T_AVX512BW __attribute__((target("avx512f,avx512bw")))

/* Variants (enum rs_model_kernel) differ only in how values move between
 * vector lanes and scalar code; the decisions and the order of the
 * additions are the same, so every variant returns the same float32 bits.
 * - STORE (the first kernel's data movement): block offsets, decision
 *   words and leaf indices go through stack arrays: a 64-byte store read
 *   back as 16 32-bit loads (forwards on AMD Zen; Intel's documented rules
 *   do not clearly cover it) and 16 2-byte stores read back as one 32-byte
 *   load (a load wider than the stores: fails to forward on every CPU).
 * - PERM: nothing goes through memory. Offsets and leaf indices leave the
 *   vector by 128-bit extracts and 64-bit moves (two lanes per move),
 *   decision words are combined in mask registers and enter the vector
 *   from one 64-bit register per four trees. No store-to-load forwarding,
 *   so no forwarding rule of any CPU applies. The default.
 * - GATHER: PERM's walk, then the 16 leaf values in one gather, reaching
 *   the ordered additions by lane rotations (valignd).
 * `ringside bench model` times each; docs/model.md has the figures. */
enum { BLK_STORE = RS_KERNEL_STORE, BLK_PERM = RS_KERNEL_PERM, BLK_GATHER = RS_KERNEL_GATHER };

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
T_AVX512 static inline __attribute__((always_inline)) __m512i blk_walk16(__m512i g)
{
    const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
    __m512i k = _mm512_setzero_si512();
    for (uint32_t l = 0; l < 4; l++) {
        __m512i bit = _mm512_and_si512(_mm512_srlv_epi32(g, k), one);
        k = _mm512_sub_epi32(_mm512_add_epi32(_mm512_add_epi32(k, k), two), bit);
    }
    return _mm512_sub_epi32(k, _mm512_set1_epi32(15));
}

/* The four 128-bit quarters of v (lanes 4i..4i+3 in q[i]). */
T_AVX512 static inline __attribute__((always_inline)) void blk_quarters(__m512i v, __m128i q[4])
{
    q[0] = _mm512_castsi512_si128(v);
    q[1] = _mm512_extracti32x4_epi32(v, 1);
    q[2] = _mm512_extracti32x4_epi32(v, 2);
    q[3] = _mm512_extracti32x4_epi32(v, 3);
}

/* PERM / GATHER: the go-left words of the four trees whose block offsets
 * (in slots) are the lanes of q, packed 16 bits each into the low 64 bits
 * of an xmm (lane j at bits 16j). The offsets leave the vector two per
 * 64-bit move (vmovq / vpextrq); the words are combined in mask registers
 * (kunpckwd, kunpckdq), so that the compiler never has to park a 16-bit
 * word on the stack and read it back wider (a forward that fails on every
 * CPU; GCC 12 did exactly that when the words were combined in general
 * registers). */
T_AVX512BW static inline __attribute__((always_inline)) __m128i blk_left4(__m128i q, const uint8_t *fb,
                                                                           const float *tb, __m512 r0, __m512 r1,
                                                                           __m512 r2, __m512 r3, int wide, int nan)
{
    uint64_t a = (uint64_t)_mm_cvtsi128_si64(q), b = (uint64_t)_mm_extract_epi64(q, 1);
    uint32_t o0 = (uint32_t)a * 16, o1 = (uint32_t)(a >> 32) * 16, o2 = (uint32_t)b * 16,
             o3 = (uint32_t)(b >> 32) * 16;
    __mmask32 lo = _mm512_kunpackw((__mmask32)blk_left(fb + o1, tb + o1, r0, r1, r2, r3, wide, nan),
                                   (__mmask32)blk_left(fb + o0, tb + o0, r0, r1, r2, r3, wide, nan));
    __mmask32 hi = _mm512_kunpackw((__mmask32)blk_left(fb + o3, tb + o3, r0, r1, r2, r3, wide, nan),
                                   (__mmask32)blk_left(fb + o2, tb + o2, r0, r1, r2, r3, wide, nan));
    return _mm_cvtsi64_si128((long long)_cvtmask64_u64(_mm512_kunpackd((__mmask64)hi, (__mmask64)lo)));
}

/* PERM / GATHER: prefetch the leaf lines of the four trees whose leaf offsets are
 * the lanes of q. */
T_AVX512 static inline __attribute__((always_inline)) void blk_prefetch4(const float *lv, __m128i q)
{
    uint64_t a = (uint64_t)_mm_cvtsi128_si64(q), b = (uint64_t)_mm_extract_epi64(q, 1);
    _mm_prefetch((const char *)(lv + (uint32_t)a), _MM_HINT_T0);
    _mm_prefetch((const char *)(lv + (a >> 32)), _MM_HINT_T0);
    _mm_prefetch((const char *)(lv + (uint32_t)b), _MM_HINT_T0);
    _mm_prefetch((const char *)(lv + (b >> 32)), _MM_HINT_T0);
}

/* PERM: add the leaves whose indices are the first n (1..4) lanes of q to
 * acc, in lane order. */
T_AVX512 static inline __attribute__((always_inline)) float blk_add4(float acc, const float *lv, __m128i q,
                                                                     uint32_t n)
{
    uint64_t a = (uint64_t)_mm_cvtsi128_si64(q), b = (uint64_t)_mm_extract_epi64(q, 1);
    acc += lv[(uint32_t)a];
    if (n > 1)
        acc += lv[a >> 32];
    if (n > 2)
        acc += lv[(uint32_t)b];
    if (n > 3)
        acc += lv[b >> 32];
    return acc;
}

/* GATHER: lane i of v moved to lane 0 (valignd), as a float. */
#define BLK_LANE_F(v, i) _mm512_cvtss_f32(_mm512_castsi512_ps(_mm512_alignr_epi32((v), (v), (i))))

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
T_AVX512BW static inline __attribute__((always_inline)) float blk_margin(const struct rs_model *m, const float *row,
                                                                         int wide, int nan, int var)
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
                __m512i blk = _mm512_add_epi32(first, J);   /* in slots */
                __m512i g;
                if (var == BLK_STORE) {
                    _mm512_store_si512((void *)off, _mm512_slli_epi32(blk, 4));
                    if (r == R - 1) {
                        /* the 16 leaves under the last block share one
                         * line: fetch it now, alongside the block, not
                         * after it */
                        __m512i lo = _mm512_add_epi32(_mm512_load_si512((const void *)(m->bloff + g0)),
                                                      _mm512_slli_epi32(J, 4));
                        _mm512_store_si512((void *)loff, lo);
                        for (uint32_t i = 0; i < 16; i++)
                            _mm_prefetch((const char *)(m->bleaf + loff[i]), _MM_HINT_T0);
                    }
                    for (uint32_t i = 0; i < 16; i++)
                        _store_mask16((__mmask16 *)&gl[i],
                                      blk_left(fb + off[i], tb + off[i], r0, r1, r2, r3, wide, nan));
                    g = _mm512_cvtepu16_epi32(_mm256_load_si256((const __m256i *)gl));
                } else {
                    __m128i q[4];
                    if (r == R - 1) {
                        blk_quarters(_mm512_add_epi32(_mm512_load_si512((const void *)(m->bloff + g0)),
                                                      _mm512_slli_epi32(J, 4)),
                                     q);
                        for (uint32_t i = 0; i < 4; i++)
                            blk_prefetch4(lv, q[i]);
                    }
                    blk_quarters(blk, q);
                    __m128i x0 = blk_left4(q[0], fb, tb, r0, r1, r2, r3, wide, nan);
                    __m128i x1 = blk_left4(q[1], fb, tb, r0, r1, r2, r3, wide, nan);
                    __m128i x2 = blk_left4(q[2], fb, tb, r0, r1, r2, r3, wide, nan);
                    __m128i x3 = blk_left4(q[3], fb, tb, r0, r1, r2, r3, wide, nan);
                    g = _mm512_cvtepu16_epi32(
                        _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi64(x0, x1)),
                                                _mm_unpacklo_epi64(x2, x3), 1));
                }
                J = _mm512_add_epi32(_mm512_slli_epi32(J, 4), blk_walk16(g));
                first = _mm512_add_epi32(first, _mm512_set1_epi32((int)nprev));
                nprev <<= 4;
            }
        }
        __m512i li = _mm512_add_epi32(_mm512_load_si512((const void *)(m->bloff + g0)), J);
        uint32_t cnt = m->n_trees - g0 < 16 ? m->n_trees - g0 : 16;
        /* tree order, one float32 addition after another, in every variant */
        if (var == BLK_GATHER) {
            /* one gather of the 16 leaf values (lanes past the last real
             * tree masked off), then lane rotations feed the additions */
            __m512i v = _mm512_castps_si512(
                _mm512_mask_i32gather_ps(_mm512_setzero_ps(), (__mmask16)((1u << cnt) - 1), li, lv, 4));
            acc += _mm512_cvtss_f32(_mm512_castsi512_ps(v));
            if (cnt == 16) {
                acc += BLK_LANE_F(v, 1); acc += BLK_LANE_F(v, 2); acc += BLK_LANE_F(v, 3);
                acc += BLK_LANE_F(v, 4); acc += BLK_LANE_F(v, 5); acc += BLK_LANE_F(v, 6);
                acc += BLK_LANE_F(v, 7); acc += BLK_LANE_F(v, 8); acc += BLK_LANE_F(v, 9);
                acc += BLK_LANE_F(v, 10); acc += BLK_LANE_F(v, 11); acc += BLK_LANE_F(v, 12);
                acc += BLK_LANE_F(v, 13); acc += BLK_LANE_F(v, 14); acc += BLK_LANE_F(v, 15);
            } else {
                for (uint32_t i = 1; i < cnt; i++) {   /* the last, partial group */
                    v = _mm512_alignr_epi32(v, v, 1);
                    acc += _mm512_cvtss_f32(_mm512_castsi512_ps(v));
                }
            }
            continue;
        }
        if (var == BLK_PERM) {
            __m128i q[4];
            blk_quarters(li, q);
            if (cnt == 16) {
                acc = blk_add4(acc, lv, q[0], 4);
                acc = blk_add4(acc, lv, q[1], 4);
                acc = blk_add4(acc, lv, q[2], 4);
                acc = blk_add4(acc, lv, q[3], 4);
            } else {
                for (uint32_t i = 0; 4 * i < cnt; i++)
                    acc = blk_add4(acc, lv, q[i], cnt - 4 * i);
            }
            continue;
        }
        /* STORE (the first kernel's data movement, kept for comparison in
         * `bench model`): the leaf indices go through a 64-byte store to 16
         * scalar loads, each feeding its addition directly. The empty asm
         * says it reads and rewrites the four scratch arrays, so the
         * compiler keeps every round trip of this variant in memory, as
         * written (it does not turn them into lane extracts, which is what
         * PERM is for). atomic_signal_fence would not do: the arrays never
         * escape, so no signal handler could see them, and GCC ignores the
         * fence for them. */
        _mm512_store_si512((void *)lix, li);
        __asm__("" : "+m"(lix), "+m"(gl), "+m"(off), "+m"(loff));
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

/* Rows without a NaN skip the default-direction test (exact either way:
 * it only matters for NaN). The variant is a constant in each caller, so
 * each variant compiles to its own specialised code. */
T_AVX512BW static inline __attribute__((always_inline)) float blk_entry(const struct rs_model *m, const float *row,
                                                                      int var)
{
    uint32_t F = m->n_features;
    __mmask16 any = 0;
    for (uint32_t j = 0; j < F; j += 16) {
        __mmask16 lm = (__mmask16)(F - j >= 16 ? 0xffff : (1u << (F - j)) - 1);
        __m512 v = _mm512_maskz_loadu_ps(lm, row + j);
        any |= _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    }
    if (F > 32)
        return any ? blk_margin(m, row, 1, 1, var) : blk_margin(m, row, 1, 0, var);
    return any ? blk_margin(m, row, 0, 1, var) : blk_margin(m, row, 0, 0, var);
}

T_AVX512BW static float blk_store(const struct rs_model *m, const float *row) { return blk_entry(m, row, BLK_STORE); }
T_AVX512BW static float blk_perm(const struct rs_model *m, const float *row) { return blk_entry(m, row, BLK_PERM); }
T_AVX512BW static float blk_gather(const struct rs_model *m, const float *row) { return blk_entry(m, row, BLK_GATHER); }

float rs_model_margin_blk_avx512(const struct rs_model *m, const float *row)
{
    switch (m->kernel) {
    case RS_KERNEL_PERM: return blk_perm(m, row);
    case RS_KERNEL_GATHER: return blk_gather(m, row);
    default: return blk_store(m, row);
    }
}
