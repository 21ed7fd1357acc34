/* feed/decode_spec.h -- private: decoding a message from the learned shape
 * of an earlier one (the shape cache in rs_decoder.sp).
 *
 * Why: the template decoders walk a message field by field, and each field's
 * key compare needs the previous number's end, so the decode is one long
 * chain of dependent loads (docs/feed.md, decode5/decode6). Venue messages
 * of one kind and symbol keep their layout from one message to the next:
 * the same keys, the same symbol, numbers of the same widths (Binance pads
 * prices and quantities to 8 decimals, times have 13 digits). So after a
 * template decode succeeds, the decoder remembers the message (`msg`), which
 * of its bytes are the digits of the numbers it converted (`var`), and for
 * each number where it sits and where its value goes in the output (`op`).
 * The next message of the same length is checked against that in a few
 * independent 32-byte compares (every byte equal to the learned one except
 * number digits, which must be digits), and then every number is converted
 * from its known offset at once -- no chain.
 *
 * Why the result is identical to the template path's: a message that
 * passes the check differs from the learned one only in number digits, so
 * the template would take exactly the same steps on it (keys, lengths,
 * symbol, literals) except for the value-dependent decisions, which are
 * re-checked here: a leading zero of a multi-digit integer (nz), fraction
 * digits beyond the instrument's scale must be '0' (they are compared as
 * fixed bytes: '0' in the learned message too), zero price/quantity (min),
 * the ordering of id pairs (rel_a/rel_b). Overflow
 * cannot happen: a shape is only learned for numbers of at most 16 kept
 * digits and integer digits + scale <= 18. The symbol resolves alike while
 * the universe has not changed (u_n; instruments, with their scales, are
 * never modified once added). Anything else is a miss: the caller
 * runs the template path (and its fallbacks) as before, with nothing
 * written to the output by the miss. Tests compare this path with the
 * reference (rs_decoder.no_spec = 1) on digit mutations of every sample
 * (tests/unit/test_decode.c test_spec_*, the decode fuzzers).
 *
 * Needs AVX2 (the build's baseline, -march=x86-64-v3); without it SP_ON is 0
 * and the decoders run the template path only, which is the reference. */
#ifndef RS_FEED_DECODE_SPEC_H
#define RS_FEED_DECODE_SPEC_H

#include <stddef.h>

#include "decode_json.h"

#if defined(__AVX2__) && defined(F_SIMD)
#define SP_ON 1
#else
#define SP_ON 0
#endif

#define SP_INT 0xffu      /* sp_note exp: a JSON integer (no point) */
#define SP_NONE 0xffffu   /* op dst: value checked, not stored */

typedef struct sp_raw {
    uint32_t s, len;       /* number bytes [s, s + len) of the message */
    uint32_t dst, dst2;    /* byte offsets in rs_decoded, or SP_NONE */
    uint8_t exp, min;
} sp_raw;

/* What a template decode saw, filled as it goes; learned from on success. */
typedef struct sp_rec {
    const uint8_t *b;
    const rs_decoded *out;
    uint32_t n, bad, key_off;
    uint8_t rel_a, rel_b;
    sp_raw r[RS_DEC_SP_OPS];
} sp_rec;

static inline void sp_init(sp_rec *r, const uint8_t *b, const rs_decoded *out)
{
    r->b = b;
    r->out = out;
    r->n = 0;
    r->bad = 0;
    r->key_off = 0;
    r->rel_a = r->rel_b = 0xff;
}

static inline uint32_t sp_off(const sp_rec *r, const void *dst)
{
    return dst ? (uint32_t)((const uint8_t *)dst - (const uint8_t *)r->out) : SP_NONE;
}

/* The number [s, p) was converted (exp: its scale, or SP_INT) and stored at
 * dst (and dst2; NULL: only checked); its value must be >= min. Returns its
 * index (for sp_rel). r NULL: not recording (nothing to learn this time). */
static inline unsigned sp_note(sp_rec *r, const uint8_t *s, const uint8_t *p, unsigned exp, unsigned min,
                               const void *dst, const void *dst2)
{
    if (!r)
        return 0;
    if (RS_UNLIKELY(r->n >= RS_DEC_SP_OPS)) {
        r->bad = 1;
        return 0;
    }
    sp_raw *x = &r->r[r->n];
    x->s = (uint32_t)(s - r->b);
    x->len = (uint32_t)(p - s);
    x->dst = sp_off(r, dst);
    x->dst2 = sp_off(r, dst2);
    x->exp = (uint8_t)exp;
    x->min = (uint8_t)min;
    return r->n++;
}

/* The symbol starts at s: its bytes tell shapes of one length apart. */
static inline void sp_key(sp_rec *r, const uint8_t *s)
{
    if (r)
        r->key_off = (uint32_t)(s - r->b);
}

/* Value of op a must be <= value of op b (aggTrade f/l, depth U/u). */
static inline void sp_rel(sp_rec *r, unsigned a, unsigned b)
{
    if (!r)
        return;
    r->rel_a = (uint8_t)a;
    r->rel_b = (uint8_t)b;
}

/* The ways of the set for length n. */
static inline rs_dec_shape *sp_set(rs_decoder *d, size_t n) { return &d->sp[(n % RS_DEC_SP_SETS) * RS_DEC_SP_WAYS]; }

/* Tests: forget the shapes of length n's set / is p[0..n) covered. */
static inline void sp_forget(rs_decoder *d, size_t n)
{
    for (unsigned w = 0; w < RS_DEC_SP_WAYS; w++)
        sp_set(d, n)[w].n = 0;
}

static inline int sp_covered(rs_decoder *d, const uint8_t *p, size_t n)
{
    for (unsigned w = 0; w < RS_DEC_SP_WAYS; w++) {
        const rs_dec_shape *sh = &sp_set(d, n)[w];
        if (sh->n == n && !memcmp(p + sh->key_off, &sh->key, 8))
            return 1;
    }
    return 0;
}

/* Cold-ish (after a template decode that the cache did not cover): build
 * the shape of p[0..n) from the record r into sh; leaves sh empty when the
 * message cannot be covered. */
static void sp_learn(rs_decoder *d, rs_dec_shape *sh, const sp_rec *r, const uint8_t *p, size_t n,
                     const rs_decoded *out) RS_UNUSED;
static void sp_learn(rs_decoder *d, rs_dec_shape *sh, const sp_rec *r, const uint8_t *p, size_t n,
                     const rs_decoded *out)
{
    sh->n = 0;
    if (r->bad || r->n == 0 || r->n >= RS_DEC_SP_OPS || n < 32 || n > RS_DEC_SP_MAXN)
        return;
    size_t img_off, img_len;
    switch (out->kind) {
    case RS_DEC_TRADE:
        img_off = offsetof(rs_decoded, trades);
        img_len = (size_t)out->n_trades * sizeof(rs_ev_trade);
        break;
    case RS_DEC_BBO:
        img_off = offsetof(rs_decoded, bbo);
        img_len = sizeof(rs_ev_bbo);
        break;
    case RS_DEC_DEPTH:
        img_off = offsetof(rs_decoded, depth_mem);
        img_len = rs_decoded_depth_len(out);
        break;
    default:
        return;
    }
    if (img_len > RS_DEC_SP_IMG)
        return;
    memset(sh->var, 0, sizeof sh->var);
    memset(sh->nz, 0, sizeof sh->nz);
    /* ops that store a value first, checks after (no per-op test in the
     * store loop); rel_a/rel_b follow their ops */
    uint8_t at_op[RS_DEC_SP_OPS];
    uint32_t nst = 0, ndup = 0;
    for (uint32_t i = 0; i < r->n; i++)
        nst += r->r[i].dst != SP_NONE;
    for (uint32_t i = 0, k = 0, c = 0; i < r->n; i++)   /* the k-th storing op goes to k */
        at_op[i] = (uint8_t)(r->r[i].dst != SP_NONE ? k++ : nst + c++);
    for (uint32_t i = 0; i < r->n; i++) {
        const sp_raw *x = &r->r[i];
        unsigned o = at_op[i];
        uint32_t s = x->s, len = x->len, ni = len, nf = 0, pt = 0;
        unsigned exp = x->exp == SP_INT ? 0 : x->exp;
        if (len == 0 || len > 16 || s + len > n || exp > 18)
            return;
        if (x->exp != SP_INT) {
            const uint8_t *dot = memchr(p + s, '.', len);
            if (dot) {
                ni = (uint32_t)(dot - (p + s));
                nf = len - ni - 1;
                pt = 1;
            }
        }
        uint32_t kf = nf < exp ? nf : exp;
        if (ni == 0 || ni + kf > 16 || ni + exp > 18)
            return;
        uint32_t at = s + 16 <= n ? s : (uint32_t)n - 16, ws = s - at, nd = ni + kf;
        sh->at[o] = (uint16_t)at;
        memset(sh->ctl[o], 0x80, 16);
        for (uint32_t j = 0; j < ni; j++)
            sh->ctl[o][16 - nd + j] = (uint8_t)(ws + j);
        for (uint32_t j = 0; j < kf; j++)
            sh->ctl[o][16 - nd + ni + j] = (uint8_t)(ws + ni + 1 + j);
        sh->mul[o] = (uint64_t)rs_ipow10_tab[exp - kf];
        sh->dst[o] = (uint16_t)x->dst;
        sh->min[o] = x->min;
        if (x->dst2 != SP_NONE) {
            if (ndup >= sizeof sh->dup_op)
                return;
            sh->dup_op[ndup] = (uint8_t)o;
            sh->dup_dst[ndup++] = (uint16_t)x->dst2;
        }
        /* integer and kept fraction digits vary; the point and the
         * fraction digits beyond the scale ('0', or the template would
         * have refused) stay fixed bytes */
        for (uint32_t j = 0; j < ni + pt + kf; j++)
            if (!(pt && j == ni))
                sh->var[s + j] = 0xff;
        if (ni > 1)
            sh->nz[s] = 0xff;
    }
    uint32_t nops = r->n;
    if (nops & 1) {   /* the spare op: reads nothing (all-zero shuffle), stores nothing */
        sh->at[nops] = 0;
        memset(sh->ctl[nops], 0x80, 16);
        sh->mul[nops] = 1;
        sh->dst[nops] = SP_NONE;
        sh->min[nops] = 0;
        nops++;
    }
    memcpy(sh->msg, p, n);
    memcpy(sh->img, (const uint8_t *)out + img_off, img_len);
    sh->img_off = (uint16_t)img_off;
    sh->img_len = (uint16_t)img_len;
    sh->u_n = d->u->n;
    sh->sym = out->sym;
    sh->n_trades = out->n_trades;
    sh->kind = out->kind;
    sh->nops = (uint8_t)nops;
    sh->rel_a = r->rel_a == 0xff ? 0xff : at_op[r->rel_a];
    sh->rel_b = r->rel_b == 0xff ? 0xff : at_op[r->rel_b];
    sh->nst = (uint8_t)nst;
    sh->ndup = (uint8_t)ndup;
    sh->key_off = (uint16_t)(r->key_off + 8 <= n ? r->key_off : n - 8);
    memcpy(&sh->key, p + sh->key_off, 8);
    sh->n = (uint16_t)n;
}

/* Before a template decode that no shape of the set covered: 1 when it
 * should be recorded and learned from -- a way of the set is empty, or
 * every 4th time (a recording costs, so relearning is rationed when more
 * layouts share a set than it has ways). */
static inline int sp_want(rs_decoder *d, const rs_dec_shape *set, size_t n)
{
    if (d->no_spec || n > RS_DEC_SP_MAXN || n < 32)
        return 0;
    for (unsigned w = 0; w < RS_DEC_SP_WAYS; w++)
        if (set[w].n == 0)
            return 1;
    return (++d->sp_miss[n % RS_DEC_SP_SETS] & 15) == 0;
}

/* Where to learn: an empty way, else round robin. (Two layouts of one
 * symbol can share a length -- "m":false with a shorter quantity -- so a
 * way whose key matched is not evicted for that reason.) */
static inline rs_dec_shape *sp_victim(rs_decoder *d, rs_dec_shape *set, size_t n)
{
    for (unsigned w = 0; w < RS_DEC_SP_WAYS; w++)
        if (set[w].n == 0)
            return &set[w];
    return &set[d->sp_next[n % RS_DEC_SP_SETS]++ % RS_DEC_SP_WAYS];
}

#if SP_ON
/* Bytes [off, off + 32) of p against the shape: non-zero bytes where a fixed
 * byte differs, a number digit is not a digit, or a leading digit is '0'. */
static inline __m256i sp_chunk(const rs_dec_shape *sh, const uint8_t *p, size_t off, __m256i c0)
{
    __m256i m = _mm256_loadu_si256((const __m256i *)(const void *)(p + off));
    __m256i pm = _mm256_loadu_si256((const __m256i *)(const void *)(sh->msg + off));
    __m256i v = _mm256_loadu_si256((const __m256i *)(const void *)(sh->var + off));
    __m256i z = _mm256_loadu_si256((const __m256i *)(const void *)(sh->nz + off));
    __m256i dg = _mm256_sub_epi8(m, c0);
    __m256i isd = _mm256_cmpeq_epi8(_mm256_min_epu8(dg, _mm256_set1_epi8(9)), dg);
    return _mm256_or_si256(_mm256_or_si256(_mm256_andnot_si256(v, _mm256_xor_si256(m, pm)), _mm256_andnot_si256(isd, v)),
                           _mm256_and_si256(z, _mm256_cmpeq_epi8(m, c0)));
}

/* Hot path. p[0..n) with n == sh->n: 0 and the output written when it fits
 * the shape, J_FB (nothing written) otherwise. */
static inline int sp_run(const rs_decoder *d, const rs_dec_shape *sh, const uint8_t *p, size_t n,
                         rs_decoded *out)
{
    if (RS_UNLIKELY(sh->u_n != d->u->n || d->n_keys != sh->u_n))
        return J_FB;
    /* every byte as learned, except number digits, which must be digits;
     * 32 bytes per step, the last step ending at n (overlap is harmless) */
    const __m256i c0 = _mm256_set1_epi8('0');
    __m256i bad = _mm256_setzero_si256();
    for (size_t off = 0; off + 32 < n; off += 32)
        bad = _mm256_or_si256(bad, sp_chunk(sh, p, off, c0));
    bad = _mm256_or_si256(bad, sp_chunk(sh, p, n - 32, c0));
    if (!_mm256_testz_si256(bad, bad))
        return J_FB;
    /* every number from its own 16-byte window: independent of each other */
    /* two numbers per step, one per 128-bit lane (f_val16 on both) */
    uint64_t val[RS_DEC_SP_OPS];
    unsigned fail = 0, nops = sh->nops;
    for (unsigned i = 0; i < nops; i += 2) {
        __m256i w = _mm256_inserti128_si256(
            _mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)(const void *)(p + sh->at[i]))),
            _mm_loadu_si128((const __m128i *)(const void *)(p + sh->at[i + 1])), 1);
        w = _mm256_shuffle_epi8(_mm256_sub_epi8(w, c0),
                                _mm256_loadu_si256((const __m256i *)(const void *)sh->ctl[i]));
        w = _mm256_maddubs_epi16(w, _mm256_set1_epi16(0x010A));    /* 10*d0 + d1 */
        w = _mm256_madd_epi16(w, _mm256_set1_epi32(0x00010064));   /* 100*p0 + p1 */
        w = _mm256_packs_epi32(w, w);                              /* each <= 9999 */
        w = _mm256_madd_epi16(w, _mm256_set1_epi32(0x00012710));   /* 10000*q0 + q1 */
        /* per lane: high 8 digits * 1e8 + low 8 digits */
        w = _mm256_add_epi64(_mm256_mul_epu32(w, _mm256_set1_epi64x(100000000)), _mm256_srli_epi64(w, 32));
        uint64_t a = (uint64_t)_mm256_extract_epi64(w, 0) * sh->mul[i];
        uint64_t b = (uint64_t)_mm256_extract_epi64(w, 2) * sh->mul[i + 1];
        fail |= (unsigned)(((a - sh->min[i]) | (b - sh->min[i + 1])) >> 63);   /* values < 10^18 */
        val[i] = a;
        val[i + 1] = b;
    }
    if (fail || (sh->rel_a != 0xff && val[sh->rel_a] > val[sh->rel_b]))
        return J_FB;
    /* the output region as learned (a multiple of 8 bytes), then the values */
    uint8_t *ob = (uint8_t *)out + sh->img_off;
    const uint8_t *im = sh->img;
    size_t k = 0, len = sh->img_len;
    for (; k + 32 <= len; k += 32)
        _mm256_storeu_si256((__m256i *)(void *)(ob + k), _mm256_loadu_si256((const __m256i *)(const void *)(im + k)));
    for (; k < len; k += 8)
        memcpy(ob + k, im + k, 8);
    ob = (uint8_t *)out;
    for (unsigned i = 0, nst = sh->nst; i < nst; i++)
        memcpy(ob + sh->dst[i], &val[i], 8);
    for (unsigned k = 0, nd = sh->ndup; k < nd; k++)
        memcpy(ob + sh->dup_dst[k], &val[sh->dup_op[k]], 8);
    out->kind = sh->kind;
    out->sym = sh->sym;
    out->n_trades = sh->n_trades;
    out->consumed = (uint32_t)n;
    return 0;
}
#endif

typedef int (*sp_tmplfn)(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out, sp_rec *r);

/* Hot path, the decoders' front: reset the output's common fields, try the
 * shape of n's slot, else the venue's template decoder `tmpl` (a constant:
 * folded), learning from it on success. RS_OK, or J_FB: the caller's
 * fallbacks decide (the shape wrote nothing). */
static inline __attribute__((always_inline)) int sp_decode(rs_decoder *d, const uint8_t *p, size_t n,
                                                           rs_decoded *out, sp_tmplfn tmpl)
{
    out->venue = d->venue;
    out->err.reason = 0;
    out->n_trades = 0;
    out->first_trade_id = out->last_trade_id = 0;
    rs_dec_shape *set = sp_set(d, n);
#if SP_ON
    if (RS_LIKELY(!d->no_spec) && n >= 32) {
        for (unsigned w = 0; w < RS_DEC_SP_WAYS; w++) {
            const rs_dec_shape *sh = &set[w];
            uint64_t k;
            if (sh->n != n)
                continue;
            memcpy(&k, p + sh->key_off, 8);
            if (k != sh->key)
                continue;
            if (sp_run(d, sh, p, n, out) == 0)
                return RS_OK;
        }
    }
#endif
    sp_rec rec, *r = NULL;
    if (SP_ON && RS_UNLIKELY(sp_want(d, set, n))) {
        sp_init(&rec, p, out);
        r = &rec;
    }
    if (RS_LIKELY(tmpl(d, p, n, out, r) == RS_OK)) {
        if (r)
            sp_learn(d, sp_victim(d, set, n), r, p, n, out);
        return RS_OK;
    }
    return J_FB;
}

#endif
