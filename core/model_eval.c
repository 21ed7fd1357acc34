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

float rs_model_margin_scalar(const struct rs_model *m, const float *row)
{
    float acc = m->base_margin;
    for (uint32_t t = 0; t < m->n_trees; t++)
        acc += leaf_scalar(m, row, m->root[t]);
    return acc;
}

void rs_model_batch_scalar(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = rs_model_margin_scalar(m, rows + i * stride);
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
T_AVX2 float rs_model_margin_avx2(const struct rs_model *m, const float *row)
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

T_AVX2 void rs_model_batch_avx2(const struct rs_model *m, const float *rows, size_t n, size_t stride, float *out)
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
        out[i] = rs_model_margin_avx2(m, rows + i * stride);
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
T_AVX512 float rs_model_margin_avx512(const struct rs_model *m, const float *row)
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
T_AVX512 void rs_model_batch_avx512(const struct rs_model *m, const float *rows, size_t n, size_t stride,
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
        rs_model_batch_avx2(m, rows + full * stride, n - full, stride, out + full);
}
