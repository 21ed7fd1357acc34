/* Tree-ensemble evaluation kernels: scalar, AVX2, AVX-512.
 *
 * Exactness: XGBoost's CPU predictor computes margin = base_margin, then
 * margin += leaf(tree t) in float32 for t = 0, 1, ... Every kernel here keeps
 * that chain: SIMD only traverses several trees (single row) or several rows
 * (batch) at once; the float additions into one row's margin always happen
 * one tree after another, in tree order. Summing lanes and reducing would be
 * faster and wrong (differs from XGBoost in the last bits).
 *
 * The build targets x86-64-v3 (AVX2), so the AVX-512 kernels carry a target
 * attribute and are only called after __builtin_cpu_supports("avx512f")
 * (rs_model_set_isa). */
#include <immintrin.h>
#include <math.h>
#include <string.h>

#include "model_impl.h"

/* Gather base for leaf values: the thr field of node n4 is word n4 + 1. */
#define LEAF_BASE(m) ((const float *)(m)->nodes + 1)

/* ---- scalar ---------------------------------------------------------------- */

static inline float leaf_scalar(const struct rs_model *m, const float *row, int32_t n4)
{
    const rs_node *nd = m->nodes + (n4 >> 2);
    uint32_t f;
    while (!((f = nd->feat) & RS_NODE_LEAF)) {
        float x = row[f & RS_NODE_FMASK];
        /* x < thr goes left; NaN (unordered: the compare is false) goes the
         * default direction */
        int go_left = (x < nd->thr) | (isnan(x) & (int)(f >> 31));
        nd = m->nodes + (nd->left4 >> 2) + !go_left;
    }
    return nd->thr;
}

static float gen_margin_scalar(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    for (uint32_t t = 0; t < m->n_trees; t++)
        acc += leaf_scalar(m, row, m->root[t]);
    return acc;
}


/* ---- AVX2 ------------------------------------------------------------------ */

#define T_AVX2 __attribute__((target("avx2")))

/* One traversal step for 8 lanes. base/off: feature values are read at
 * base[off + feature] (off = 0 for single-row, lane * stride for batch). */
T_AVX2 static inline __m256i step8(const struct rs_model *m, const float *base, __m256i off, __m256i nd)
{
    const __m256i fmask = _mm256_set1_epi32((int)RS_NODE_FMASK);
    const __m256i leafb = _mm256_set1_epi32((int)RS_NODE_LEAF);
    const __m256i four = _mm256_set1_epi32(4);
    const int *nb = (const int *)m->nodes;
    __m256i f = _mm256_i32gather_epi32(nb, nd, 4);
    __m256 t = _mm256_i32gather_ps((const float *)(nb + 1), nd, 4);
    __m256i l = _mm256_i32gather_epi32(nb + 2, nd, 4);
    __m256 x = _mm256_i32gather_ps(base, _mm256_add_epi32(off, _mm256_and_si256(f, fmask)), 4);
    __m256i lt = _mm256_castps_si256(_mm256_cmp_ps(x, t, _CMP_LT_OQ));
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    __m256i dl = _mm256_srai_epi32(f, 31);
    __m256i leaf = _mm256_cmpeq_epi32(_mm256_and_si256(f, leafb), leafb);
    /* stay = all ones where the next node is left4 (left, or a leaf's self
     * link); elsewhere the right child, left4 + 4 */
    __m256i stay = _mm256_or_si256(_mm256_or_si256(lt, _mm256_and_si256(nan, dl)), leaf);
    return _mm256_add_epi32(l, _mm256_andnot_si256(stay, four));
}

static inline float add8(float acc, const float *lv, uint32_t cnt)
{
    if (cnt >= 8) {
        acc += lv[0]; acc += lv[1]; acc += lv[2]; acc += lv[3];
        acc += lv[4]; acc += lv[5]; acc += lv[6]; acc += lv[7];
    } else {
        for (uint32_t k = 0; k < cnt; k++)
            acc += lv[k];
    }
    return acc;
}

/* Trees in lanes, four groups of 8 in flight (see the AVX-512 kernel). */
static T_AVX2 float gen_margin_avx2(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    float lv[4][8] __attribute__((aligned(32)));
    const __m256i zero = _mm256_setzero_si256();
    uint32_t ng = (m->n_trees + 7) / 8, g = 0;
    for (; g + 4 <= ng; g += 4) {
        __m256i n0 = _mm256_load_si256((const __m256i *)(m->root + g * 8));
        __m256i n1 = _mm256_load_si256((const __m256i *)(m->root + g * 8 + 8));
        __m256i n2 = _mm256_load_si256((const __m256i *)(m->root + g * 8 + 16));
        __m256i n3 = _mm256_load_si256((const __m256i *)(m->root + g * 8 + 24));
        uint32_t d = m->gdepth8[g];
        for (uint32_t k = 1; k < 4; k++)
            if (m->gdepth8[g + k] > d)
                d = m->gdepth8[g + k];
        for (; d; d--) {
            n0 = step8(m, row, zero, n0);
            n1 = step8(m, row, zero, n1);
            n2 = step8(m, row, zero, n2);
            n3 = step8(m, row, zero, n3);
        }
        _mm256_store_ps(lv[0], _mm256_i32gather_ps(LEAF_BASE(m), n0, 4));
        _mm256_store_ps(lv[1], _mm256_i32gather_ps(LEAF_BASE(m), n1, 4));
        _mm256_store_ps(lv[2], _mm256_i32gather_ps(LEAF_BASE(m), n2, 4));
        _mm256_store_ps(lv[3], _mm256_i32gather_ps(LEAF_BASE(m), n3, 4));
        for (uint32_t k = 0; k < 4; k++)
            acc = add8(acc, lv[k], m->n_trees - (g + k) * 8);
    }
    for (; g < ng; g++) {
        __m256i nd = _mm256_load_si256((const __m256i *)(m->root + g * 8));
        for (uint32_t d = m->gdepth8[g]; d; d--)
            nd = step8(m, row, zero, nd);
        _mm256_store_ps(lv[0], _mm256_i32gather_ps(LEAF_BASE(m), nd, 4));
        acc = add8(acc, lv[0], m->n_trees - g * 8);
    }
    return acc;
}

/* Rows in lanes: lane i of vector k is row r0 + 8k + i. One tree at a time
 * for a block of 32 rows (four independent vectors in flight), trees in
 * blocks of RS_TREE_BLOCK so the block stays in cache while the rows stream
 * by; margins are kept in out[] between tree blocks. Each row's additions
 * still happen tree after tree, in tree order. */
#define RS_TREE_BLOCK 64

static T_AVX2 void gen_batch_avx2(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    size_t full = 0;
    if (stride < (1u << 24) && n >= 8) {
        full = n & ~(size_t)7;
        const __m256i off = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                               _mm256_set1_epi32((int)stride));
        for (uint32_t t0 = 0; t0 < m->n_trees; t0 += RS_TREE_BLOCK) {
            uint32_t t1 = t0 + RS_TREE_BLOCK < m->n_trees ? t0 + RS_TREE_BLOCK : m->n_trees;
            size_t i = 0;
            for (; i + 32 <= full; i += 32) {
                const float *b0 = rows + i * stride, *b1 = b0 + 8 * stride, *b2 = b1 + 8 * stride,
                            *b3 = b2 + 8 * stride;
                __m256 c0, c1, c2, c3;
                if (t0 == 0) {
                    c0 = c1 = c2 = c3 = _mm256_set1_ps(m->base_margin);
                } else {
                    c0 = _mm256_loadu_ps(out + i);
                    c1 = _mm256_loadu_ps(out + i + 8);
                    c2 = _mm256_loadu_ps(out + i + 16);
                    c3 = _mm256_loadu_ps(out + i + 24);
                }
                for (uint32_t t = t0; t < t1; t++) {
                    __m256i r = _mm256_set1_epi32(m->root[t]);
                    __m256i a0 = r, a1 = r, a2 = r, a3 = r;
                    for (uint32_t d = m->depth[t]; d; d--) {
                        a0 = step8(m, b0, off, a0);
                        a1 = step8(m, b1, off, a1);
                        a2 = step8(m, b2, off, a2);
                        a3 = step8(m, b3, off, a3);
                    }
                    c0 = _mm256_add_ps(c0, _mm256_i32gather_ps(LEAF_BASE(m), a0, 4));
                    c1 = _mm256_add_ps(c1, _mm256_i32gather_ps(LEAF_BASE(m), a1, 4));
                    c2 = _mm256_add_ps(c2, _mm256_i32gather_ps(LEAF_BASE(m), a2, 4));
                    c3 = _mm256_add_ps(c3, _mm256_i32gather_ps(LEAF_BASE(m), a3, 4));
                }
                _mm256_storeu_ps(out + i, c0);
                _mm256_storeu_ps(out + i + 8, c1);
                _mm256_storeu_ps(out + i + 16, c2);
                _mm256_storeu_ps(out + i + 24, c3);
            }
            for (; i < full; i += 8) {
                const float *b0 = rows + i * stride;
                __m256 c0 = t0 == 0 ? _mm256_set1_ps(m->base_margin) : _mm256_loadu_ps(out + i);
                for (uint32_t t = t0; t < t1; t++) {
                    __m256i a0 = _mm256_set1_epi32(m->root[t]);
                    for (uint32_t d = m->depth[t]; d; d--)
                        a0 = step8(m, b0, off, a0);
                    c0 = _mm256_add_ps(c0, _mm256_i32gather_ps(LEAF_BASE(m), a0, 4));
                }
                _mm256_storeu_ps(out + i, c0);
            }
        }
        if (m->n_trees == 0)
            for (size_t i = 0; i < full; i++)
                out[i] = m->base_margin;
    }
    for (size_t i = full; i < n; i++)
        out[i] = gen_margin_avx2(m, rows + i * stride);
}

/* ---- AVX-512 ---------------------------------------------------------------- */

#define T_AVX512 __attribute__((target("avx512f")))

T_AVX512 static inline __m512i step16(const struct rs_model *m, const float *base, __m512i off, __m512i nd)
{
    const __m512i fmask = _mm512_set1_epi32((int)RS_NODE_FMASK);
    const __m512i leafb = _mm512_set1_epi32((int)RS_NODE_LEAF);
    const __m512i dlb = _mm512_set1_epi32((int)RS_NODE_DL);
    const __m512i four = _mm512_set1_epi32(4);
    const int *nb = (const int *)m->nodes;
    __m512i f = _mm512_i32gather_epi32(nd, nb, 4);
    __m512 t = _mm512_i32gather_ps(nd, (const float *)(nb + 1), 4);
    __m512i l = _mm512_i32gather_epi32(nd, nb + 2, 4);
    __m512 x = _mm512_i32gather_ps(_mm512_add_epi32(off, _mm512_and_si512(f, fmask)), base, 4);
    __mmask16 lt = _mm512_cmp_ps_mask(x, t, _CMP_LT_OQ);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    __mmask16 dl = _mm512_test_epi32_mask(f, dlb);
    __mmask16 leaf = _mm512_test_epi32_mask(f, leafb);
    __mmask16 right = (__mmask16) ~(lt | (nan & dl) | leaf);
    return _mm512_mask_add_epi32(l, right, l, four);
}

static inline float add16(float acc, const float *lv, uint32_t cnt)
{
    if (cnt >= 16) {
        acc += lv[0]; acc += lv[1]; acc += lv[2]; acc += lv[3];
        acc += lv[4]; acc += lv[5]; acc += lv[6]; acc += lv[7];
        acc += lv[8]; acc += lv[9]; acc += lv[10]; acc += lv[11];
        acc += lv[12]; acc += lv[13]; acc += lv[14]; acc += lv[15];
    } else {
        for (uint32_t k = 0; k < cnt; k++)
            acc += lv[k];
    }
    return acc;
}

/* Trees in lanes, four groups of 16 trees in flight at once: each group's
 * traversal is a chain of dependent gathers, so independent groups hide each
 * other's latency. The leaves are then added group by group, lane by lane:
 * tree order. */
static T_AVX512 float gen_margin_avx512(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    float lv[4][16] __attribute__((aligned(64)));
    const __m512i zero = _mm512_setzero_si512();
    uint32_t ng = (m->n_trees + 15) / 16, g = 0;
    for (; g + 4 <= ng; g += 4) {
        __m512i n0 = _mm512_load_si512((const void *)(m->root + g * 16));
        __m512i n1 = _mm512_load_si512((const void *)(m->root + g * 16 + 16));
        __m512i n2 = _mm512_load_si512((const void *)(m->root + g * 16 + 32));
        __m512i n3 = _mm512_load_si512((const void *)(m->root + g * 16 + 48));
        uint32_t d = m->gdepth16[g];
        for (uint32_t k = 1; k < 4; k++)
            if (m->gdepth16[g + k] > d)
                d = m->gdepth16[g + k];
        for (; d; d--) {
            n0 = step16(m, row, zero, n0);
            n1 = step16(m, row, zero, n1);
            n2 = step16(m, row, zero, n2);
            n3 = step16(m, row, zero, n3);
        }
        _mm512_store_ps(lv[0], _mm512_i32gather_ps(n0, LEAF_BASE(m), 4));
        _mm512_store_ps(lv[1], _mm512_i32gather_ps(n1, LEAF_BASE(m), 4));
        _mm512_store_ps(lv[2], _mm512_i32gather_ps(n2, LEAF_BASE(m), 4));
        _mm512_store_ps(lv[3], _mm512_i32gather_ps(n3, LEAF_BASE(m), 4));
        for (uint32_t k = 0; k < 4; k++)
            acc = add16(acc, lv[k], m->n_trees - (g + k) * 16);
    }
    for (; g < ng; g++) {
        __m512i nd = _mm512_load_si512((const void *)(m->root + g * 16));
        for (uint32_t d = m->gdepth16[g]; d; d--)
            nd = step16(m, row, zero, nd);
        _mm512_store_ps(lv[0], _mm512_i32gather_ps(nd, LEAF_BASE(m), 4));
        acc = add16(acc, lv[0], m->n_trees - g * 16);
    }
    return acc;
}

/* Rows in lanes, 64 rows (four vectors) per tree, trees in blocks: as the
 * AVX2 batch kernel. */
static T_AVX512 void gen_batch_avx512(const struct rs_model *m, const float *rows, size_t n, size_t stride,
                                    float *out)
{
    size_t full = 0;
    if (stride < (1u << 24) && n >= 16) {
        full = n & ~(size_t)15;
        const __m512i off = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)stride));
        for (uint32_t t0 = 0; t0 < m->n_trees; t0 += RS_TREE_BLOCK) {
            uint32_t t1 = t0 + RS_TREE_BLOCK < m->n_trees ? t0 + RS_TREE_BLOCK : m->n_trees;
            size_t i = 0;
            for (; i + 64 <= full; i += 64) {
                const float *b0 = rows + i * stride, *b1 = b0 + 16 * stride, *b2 = b1 + 16 * stride,
                            *b3 = b2 + 16 * stride;
                __m512 c0, c1, c2, c3;
                if (t0 == 0) {
                    c0 = c1 = c2 = c3 = _mm512_set1_ps(m->base_margin);
                } else {
                    c0 = _mm512_loadu_ps(out + i);
                    c1 = _mm512_loadu_ps(out + i + 16);
                    c2 = _mm512_loadu_ps(out + i + 32);
                    c3 = _mm512_loadu_ps(out + i + 48);
                }
                for (uint32_t t = t0; t < t1; t++) {
                    __m512i r = _mm512_set1_epi32(m->root[t]);
                    __m512i a0 = r, a1 = r, a2 = r, a3 = r;
                    for (uint32_t d = m->depth[t]; d; d--) {
                        a0 = step16(m, b0, off, a0);
                        a1 = step16(m, b1, off, a1);
                        a2 = step16(m, b2, off, a2);
                        a3 = step16(m, b3, off, a3);
                    }
                    c0 = _mm512_add_ps(c0, _mm512_i32gather_ps(a0, LEAF_BASE(m), 4));
                    c1 = _mm512_add_ps(c1, _mm512_i32gather_ps(a1, LEAF_BASE(m), 4));
                    c2 = _mm512_add_ps(c2, _mm512_i32gather_ps(a2, LEAF_BASE(m), 4));
                    c3 = _mm512_add_ps(c3, _mm512_i32gather_ps(a3, LEAF_BASE(m), 4));
                }
                _mm512_storeu_ps(out + i, c0);
                _mm512_storeu_ps(out + i + 16, c1);
                _mm512_storeu_ps(out + i + 32, c2);
                _mm512_storeu_ps(out + i + 48, c3);
            }
            for (; i < full; i += 16) {
                const float *b0 = rows + i * stride;
                __m512 c0 = t0 == 0 ? _mm512_set1_ps(m->base_margin) : _mm512_loadu_ps(out + i);
                for (uint32_t t = t0; t < t1; t++) {
                    __m512i a0 = _mm512_set1_epi32(m->root[t]);
                    for (uint32_t d = m->depth[t]; d; d--)
                        a0 = step16(m, b0, off, a0);
                    c0 = _mm512_add_ps(c0, _mm512_i32gather_ps(a0, LEAF_BASE(m), 4));
                }
                _mm512_storeu_ps(out + i, c0);
            }
        }
        if (m->n_trees == 0)
            for (size_t i = 0; i < full; i++)
                out[i] = m->base_margin;
    }
    if (full < n)
        gen_batch_avx2(m, rows + full * stride, n - full, stride, out + full);
}

/* ==== complete layout (trees up to RS_COMPLETE_MAX_DEPTH) ===================
 * Fixed-depth traversal, no leaf test, no child links: node k's children are
 * 2k+1 (left) and 2k+2 (right), so next = 2k + 2 - go_left. Same tree-order
 * additions as above. */

static inline float cleafv(const struct rs_model *m, uint32_t t, uint32_t k)
{
    float v;
    memcpy(&v, &m->cw[m->cleaf[t] + (int32_t)k], 4);
    return v;
}

/* Scalar: eight trees interleaved so their dependent loads overlap. */
static float cpl_margin_scalar(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    const uint32_t *w = m->cw;
    uint32_t t = 0;
    for (; t < m->n_trees; t += 8) {
        uint32_t D = m->cdepth[t];
        uint32_t k[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        const uint32_t *base[8];
        for (int j = 0; j < 8; j++)
            base[j] = w + m->coff[t + (uint32_t)j];   /* padded trees exist up to n_trees_pad */
        for (uint32_t d = 0; d < D; d++) {
            for (int j = 0; j < 8; j++) {
                const uint32_t *nd = base[j] + 2 * k[j];
                uint32_t f = nd[0];
                float th;
                memcpy(&th, nd + 1, 4);
                float x = row[f & RS_NODE_FMASK];
                uint32_t go_left = (uint32_t)(x < th) | ((uint32_t)isnan(x) & (f >> 31));
                k[j] = 2 * k[j] + 2 - go_left;
            }
        }
        uint32_t cnt = m->n_trees - t < 8 ? m->n_trees - t : 8;
        for (uint32_t j = 0; j < cnt; j++)
            acc += cleafv(m, t + j, k[j]);
    }
    return acc;
}

T_AVX2 static inline __m256i cstep8(const uint32_t *w, __m256i off, const float *base, __m256i roff, __m256i k)
{
    const __m256i fmask = _mm256_set1_epi32((int)RS_NODE_FMASK);
    const __m256i two = _mm256_set1_epi32(2);
    __m256i idx = _mm256_add_epi32(off, _mm256_add_epi32(k, k));
    __m256i f = _mm256_i32gather_epi32((const int *)w, idx, 4);
    __m256 th = _mm256_i32gather_ps((const float *)w + 1, idx, 4);
    __m256 x = _mm256_i32gather_ps(base, _mm256_add_epi32(roff, _mm256_and_si256(f, fmask)), 4);
    __m256i lt = _mm256_castps_si256(_mm256_cmp_ps(x, th, _CMP_LT_OQ));
    __m256i nan = _mm256_castps_si256(_mm256_cmp_ps(x, x, _CMP_UNORD_Q));
    __m256i gl = _mm256_or_si256(lt, _mm256_and_si256(nan, _mm256_srai_epi32(f, 31)));
    /* 2k + 2 + (go_left ? -1 : 0) */
    return _mm256_add_epi32(_mm256_add_epi32(_mm256_add_epi32(k, k), two), gl);
}

T_AVX2 static float cpl_margin_avx2(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    float lv[4][8] __attribute__((aligned(32)));
    const __m256i zero = _mm256_setzero_si256();
    const float *lw = (const float *)m->cw;
    uint32_t ng = (m->n_trees + 7) / 8, g = 0;
    for (; g < ng; g += 4) {
        uint32_t cnt = ng - g < 4 ? ng - g : 4;
        __m256i o[4], k[4];
        uint32_t D = 0;
        for (uint32_t q = 0; q < 4; q++) {
            uint32_t gq = g + (q < cnt ? q : 0);
            o[q] = _mm256_load_si256((const __m256i *)(m->coff + gq * 8));
            k[q] = zero;
            D = m->cdepth[gq * 8];   /* one block of 64: all alike */
        }
        if (cnt == 4) {
            for (uint32_t d = 0; d < D; d++) {
                k[0] = cstep8(m->cw, o[0], row, zero, k[0]);
                k[1] = cstep8(m->cw, o[1], row, zero, k[1]);
                k[2] = cstep8(m->cw, o[2], row, zero, k[2]);
                k[3] = cstep8(m->cw, o[3], row, zero, k[3]);
            }
        } else {
            for (uint32_t d = 0; d < D; d++)
                for (uint32_t q = 0; q < cnt; q++)
                    k[q] = cstep8(m->cw, o[q], row, zero, k[q]);
        }
        for (uint32_t q = 0; q < cnt; q++) {
            __m256i lb = _mm256_load_si256((const __m256i *)(m->cleaf + (g + q) * 8));
            _mm256_store_ps(lv[q], _mm256_i32gather_ps(lw, _mm256_add_epi32(lb, k[q]), 4));
            acc = add8(acc, lv[q], m->n_trees - (g + q) * 8);
        }
    }
    return acc;
}

T_AVX512 static inline __m512i cstep16(const uint32_t *w, __m512i off, const float *base, __m512i roff, __m512i k)
{
    const __m512i fmask = _mm512_set1_epi32((int)RS_NODE_FMASK);
    const __m512i dlb = _mm512_set1_epi32((int)RS_NODE_DL);
    const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
    __m512i idx = _mm512_add_epi32(off, _mm512_add_epi32(k, k));
    __m512i f = _mm512_i32gather_epi32(idx, (const int *)w, 4);
    __m512 th = _mm512_i32gather_ps(idx, (const float *)w + 1, 4);
    __m512 x = _mm512_i32gather_ps(_mm512_add_epi32(roff, _mm512_and_si512(f, fmask)), base, 4);
    __mmask16 lt = _mm512_cmp_ps_mask(x, th, _CMP_LT_OQ);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    __mmask16 dl = _mm512_test_epi32_mask(f, dlb);
    __mmask16 gl = lt | (nan & dl);
    __m512i k2 = _mm512_add_epi32(_mm512_add_epi32(k, k), two);
    return _mm512_mask_sub_epi32(k2, gl, k2, one);
}

T_AVX512 static float cpl_margin_avx512(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    float lv[4][16] __attribute__((aligned(64)));
    const __m512i zero = _mm512_setzero_si512();
    const float *lw = (const float *)m->cw;
    uint32_t ng = (m->n_trees + 15) / 16, g = 0;
    for (; g < ng; g += 4) {
        uint32_t cnt = ng - g < 4 ? ng - g : 4;
        __m512i o[4], k[4];
        uint32_t D = 0;
        for (uint32_t q = 0; q < 4; q++) {
            uint32_t gq = g + (q < cnt ? q : 0);
            o[q] = _mm512_load_si512((const void *)(m->coff + gq * 16));
            k[q] = zero;
            D = m->cdepth[gq * 16];
        }
        if (cnt == 4) {
            for (uint32_t d = 0; d < D; d++) {
                k[0] = cstep16(m->cw, o[0], row, zero, k[0]);
                k[1] = cstep16(m->cw, o[1], row, zero, k[1]);
                k[2] = cstep16(m->cw, o[2], row, zero, k[2]);
                k[3] = cstep16(m->cw, o[3], row, zero, k[3]);
            }
        } else {
            for (uint32_t d = 0; d < D; d++)
                for (uint32_t q = 0; q < cnt; q++)
                    k[q] = cstep16(m->cw, o[q], row, zero, k[q]);
        }
        for (uint32_t q = 0; q < cnt; q++) {
            __m512i lb = _mm512_load_si512((const void *)(m->cleaf + (g + q) * 16));
            _mm512_store_ps(lv[q], _mm512_i32gather_ps(_mm512_add_epi32(lb, k[q]), lw, 4));
            acc = add16(acc, lv[q], m->n_trees - (g + q) * 16);
        }
    }
    return acc;
}

/* Batch, rows in lanes: as the general batch kernels (4 row vectors in
 * flight, tree blocks, margins kept in out[] between blocks). */
T_AVX2 static void cpl_batch_avx2(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    size_t full = 0;
    const float *lw = (const float *)m->cw;
    if (stride < (1u << 24) && n >= 8) {
        full = n & ~(size_t)7;
        const __m256i roff = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7),
                                                _mm256_set1_epi32((int)stride));
        for (uint32_t t0 = 0; t0 < m->n_trees; t0 += RS_TREE_BLOCK) {
            uint32_t t1 = t0 + RS_TREE_BLOCK < m->n_trees ? t0 + RS_TREE_BLOCK : m->n_trees;
            for (size_t i = 0; i < full; i += 32) {
                uint32_t nv = (uint32_t)((full - i) / 8 < 4 ? (full - i) / 8 : 4);
                __m256 c[4];
                for (uint32_t v = 0; v < nv; v++)
                    c[v] = t0 == 0 ? _mm256_set1_ps(m->base_margin) : _mm256_loadu_ps(out + i + 8 * v);
                for (uint32_t t = t0; t < t1; t++) {
                    __m256i o = _mm256_set1_epi32(m->coff[t]);
                    __m256i k[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                                    _mm256_setzero_si256()};
                    uint32_t D = m->cdepth[t];
                    if (nv == 4) {
                        const float *b = rows + i * stride;
                        for (uint32_t d = 0; d < D; d++) {
                            k[0] = cstep8(m->cw, o, b, roff, k[0]);
                            k[1] = cstep8(m->cw, o, b + 8 * stride, roff, k[1]);
                            k[2] = cstep8(m->cw, o, b + 16 * stride, roff, k[2]);
                            k[3] = cstep8(m->cw, o, b + 24 * stride, roff, k[3]);
                        }
                    } else {
                        for (uint32_t v = 0; v < nv; v++)
                            for (uint32_t d = 0; d < D; d++)
                                k[v] = cstep8(m->cw, o, rows + (i + 8 * v) * stride, roff, k[v]);
                    }
                    __m256i lb = _mm256_set1_epi32(m->cleaf[t]);
                    for (uint32_t v = 0; v < nv; v++)
                        c[v] = _mm256_add_ps(c[v], _mm256_i32gather_ps(lw, _mm256_add_epi32(lb, k[v]), 4));
                }
                for (uint32_t v = 0; v < nv; v++)
                    _mm256_storeu_ps(out + i + 8 * v, c[v]);
            }
        }
        if (m->n_trees == 0)
            for (size_t i = 0; i < full; i++)
                out[i] = m->base_margin;
    }
    for (size_t i = full; i < n; i++)
        out[i] = cpl_margin_avx2(m, rows + i * stride);
}

/* The decision of one step given the node's feature/threshold vectors. */
T_AVX512 static inline __m512i cdecide16(__m512i f, __m512 th, const float *base, __m512i roff, __m512i k)
{
    const __m512i fmask = _mm512_set1_epi32((int)RS_NODE_FMASK);
    const __m512i dlb = _mm512_set1_epi32((int)RS_NODE_DL);
    const __m512i one = _mm512_set1_epi32(1), two = _mm512_set1_epi32(2);
    __m512 x = _mm512_i32gather_ps(_mm512_add_epi32(roff, _mm512_and_si512(f, fmask)), base, 4);
    __mmask16 lt = _mm512_cmp_ps_mask(x, th, _CMP_LT_OQ);
    __mmask16 nan = _mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q);
    __mmask16 dl = _mm512_test_epi32_mask(f, dlb);
    __mmask16 gl = lt | (nan & dl);
    __m512i k2 = _mm512_add_epi32(_mm512_add_epi32(k, k), two);
    return _mm512_mask_sub_epi32(k2, gl, k2, one);
}

/* 16 consecutive nodes (32 words) split into feature and threshold vectors. */
T_AVX512 static inline void split16(const uint32_t *p, __m512i *f, __m512 *t)
{
    const __m512i ev = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i od = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512i a = _mm512_loadu_si512((const void *)p), b = _mm512_loadu_si512((const void *)(p + 16));
    *f = _mm512_permutex2var_epi32(a, ev, b);
    *t = _mm512_castsi512_ps(_mm512_permutex2var_epi32(a, od, b));
}

/* Rows in lanes. All lanes walk the same tree, so the first six levels (63
 * nodes) are held in registers and looked up with permutes instead of
 * gathers: only the feature values are gathered there. Deeper levels gather
 * the node. (The layout has 64 words of slack at its end for these loads.) */
T_AVX512 static void cpl_batch_avx512(const struct rs_model *m, const float *rows, size_t n, size_t stride,
                                      float *out)
{
    size_t full = 0;
    const float *lw = (const float *)m->cw;
    if (stride < (1u << 24) && n >= 16) {
        full = n & ~(size_t)15;
        const __m512i roff = _mm512_mullo_epi32(
            _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), _mm512_set1_epi32((int)stride));
        const __m512i c15 = _mm512_set1_epi32(15), c31 = _mm512_set1_epi32(31);
        for (uint32_t t0 = 0; t0 < m->n_trees; t0 += RS_TREE_BLOCK) {
            uint32_t t1 = t0 + RS_TREE_BLOCK < m->n_trees ? t0 + RS_TREE_BLOCK : m->n_trees;
            for (size_t i = 0; i < full; i += 64) {
                uint32_t nv = (uint32_t)((full - i) / 16 < 4 ? (full - i) / 16 : 4);
                const float *b[4];
                __m512 c[4];
                for (uint32_t v = 0; v < 4; v++)
                    b[v] = rows + (i + 16 * (v < nv ? v : 0)) * stride;
                for (uint32_t v = 0; v < nv; v++)
                    c[v] = t0 == 0 ? _mm512_set1_ps(m->base_margin) : _mm512_loadu_ps(out + i + 16 * v);
                for (uint32_t t = t0; t < t1; t++) {
                    const uint32_t *tw = m->cw + m->coff[t];
                    uint32_t D = m->cdepth[t];
                    __m512i F0, F1 = _mm512_setzero_si512(), F2a = F1, F2b = F1;
                    __m512 T0, T1 = _mm512_setzero_ps(), T2a = T1, T2b = T1;
                    split16(tw, &F0, &T0);
                    if (D > 4)
                        split16(tw + 30, &F1, &T1);
                    if (D > 5) {
                        split16(tw + 62, &F2a, &T2a);
                        split16(tw + 94, &F2b, &T2b);
                    }
                    __m512i o = _mm512_set1_epi32(m->coff[t]);
                    __m512i k[4] = {_mm512_setzero_si512(), _mm512_setzero_si512(), _mm512_setzero_si512(),
                                    _mm512_setzero_si512()};
                    for (uint32_t d = 0; d < D; d++) {
                        for (uint32_t v = 0; v < 4; v++) {
                            __m512i f;
                            __m512 th;
                            if (d < 4) {
                                f = _mm512_permutexvar_epi32(k[v], F0);
                                th = _mm512_permutexvar_ps(k[v], T0);
                            } else if (d == 4) {
                                __m512i ix = _mm512_sub_epi32(k[v], c15);
                                f = _mm512_permutexvar_epi32(ix, F1);
                                th = _mm512_permutexvar_ps(ix, T1);
                            } else if (d == 5) {
                                __m512i ix = _mm512_sub_epi32(k[v], c31);
                                f = _mm512_permutex2var_epi32(F2a, ix, F2b);
                                th = _mm512_permutex2var_ps(T2a, ix, T2b);
                            } else {
                                __m512i idx = _mm512_add_epi32(o, _mm512_add_epi32(k[v], k[v]));
                                f = _mm512_i32gather_epi32(idx, (const int *)m->cw, 4);
                                th = _mm512_i32gather_ps(idx, (const float *)m->cw + 1, 4);
                            }
                            k[v] = cdecide16(f, th, b[v], roff, k[v]);
                        }
                    }
                    __m512i lb = _mm512_set1_epi32(m->cleaf[t]);
                    for (uint32_t v = 0; v < nv; v++)
                        c[v] = _mm512_add_ps(c[v], _mm512_i32gather_ps(_mm512_add_epi32(lb, k[v]), lw, 4));
                }
                for (uint32_t v = 0; v < nv; v++)
                    _mm512_storeu_ps(out + i + 16 * v, c[v]);
            }
        }
        if (m->n_trees == 0)
            for (size_t i = 0; i < full; i++)
                out[i] = m->base_margin;
    }
    if (full < n)
        cpl_batch_avx2(m, rows + full * stride, n - full, stride, out + full);
}

/* ---- entry points: complete layout when built, else the general one ---- */

float rs_model_margin_scalar(const struct rs_model *m, const float *row)
{
    return m->cw ? cpl_margin_scalar(m, row) : gen_margin_scalar(m, row);
}

void rs_model_batch_scalar(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rs_model_margin_scalar(m, rows + i * stride);
}

float rs_model_margin_avx2(const struct rs_model *m, const float *row)
{
    return m->cw ? cpl_margin_avx2(m, row) : gen_margin_avx2(m, row);
}

void rs_model_batch_avx2(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    if (m->cw)
        cpl_batch_avx2(m, rows, n, stride, out);
    else
        gen_batch_avx2(m, rows, n, stride, out);
}

float rs_model_margin_avx512(const struct rs_model *m, const float *row)
{
    if (m->bthr && m->kernel)   /* kernel 0: the CPU has no AVX-512BW (rs_model_best_kernel) */
        return rs_model_margin_blk_avx512(m, row);
    return m->cw ? cpl_margin_avx512(m, row) : gen_margin_avx512(m, row);
}

void rs_model_batch_avx512(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    if (m->cw)
        cpl_batch_avx512(m, rows, n, stride, out);
    else
        gen_batch_avx512(m, rows, n, stride, out);
}
