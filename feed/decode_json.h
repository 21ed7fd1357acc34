/* feed/decode_json.h -- private JSON scanning primitives shared by the venue
 * decoders. Everything is static inline so each decoder gets a specialised
 * copy (the key resolver is a constant function pointer the compiler folds).
 *
 * Model: a decoder scans an object once, remembering for each key it knows
 * the extent of its value (a jval) in a slot table; unknown keys are skipped
 * but fully validated. Interpretation happens afterwards from the slots, so
 * key order never matters and no value is copied. Every read is bounds
 * checked against c->e: running out of bytes inside a token is RS_AGAIN,
 * anything else wrong is RS_BAD with reason/offset/field.
 */
#ifndef RS_FEED_DECODE_JSON_H
#define RS_FEED_DECODE_JSON_H

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/decode.h"

enum { J_NONE = 0, J_STR, J_NUM, J_TRUE, J_FALSE, J_NULL, J_ARR, J_OBJ };

typedef struct jval {
    uint32_t off, len;    /* strings: content without quotes; others: whole token */
    uint8_t type;         /* J_* */
    uint8_t esc;          /* string contains a backslash escape */
    uint8_t neg;          /* number starts with '-' */
    uint8_t isint;        /* number has no fraction and no exponent */
} jval;

#define J_SLOTS 64
typedef struct jobj {
    uint64_t mask;        /* bit s set: v[s] holds the value of key slot s */
    jval v[J_SLOTS];
} jobj;

typedef struct jcur {
    const uint8_t *b, *p, *e;
    rs_dec_err *err;
} jcur;

/* Resolve a key (unescaped bytes) to a slot, or -1 for "skip it". */
typedef int (*j_keyfn)(const uint8_t *k, uint32_t n);

static inline void j_field(rs_dec_err *err, const char *f, size_t n)
{
    if (n > sizeof err->field - 1)
        n = sizeof err->field - 1;
    memcpy(err->field, f, n);
    err->field[n] = '\0';
}

static inline int j_fail(jcur *c, int reason, const uint8_t *at, const char *field)
{
    c->err->reason = (uint16_t)reason;
    c->err->offset = (uint32_t)(at - c->b);
    j_field(c->err, field, strlen(field));
    return RS_BAD;
}

static inline int j_more(jcur *c)
{
    c->err->reason = 0;
    c->err->offset = (uint32_t)(c->e - c->b);
    c->err->field[0] = '\0';
    return RS_AGAIN;
}

static inline int j_isws(uint8_t ch) { return ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t'; }
static inline int j_isdigit(uint8_t ch) { return (unsigned)(ch - '0') < 10u; }
static inline int j_ishex(uint8_t ch)
{
    return j_isdigit(ch) || (unsigned)((ch | 0x20) - 'a') < 6u;
}

static inline void j_ws(jcur *c)
{
    while (c->p < c->e && j_isws(*c->p))
        c->p++;
}

/* c->p at '"'. */
static inline int j_str(jcur *c, jval *v)
{
    const uint8_t *s = c->p + 1, *p = s, *e = c->e;
    uint8_t esc = 0;
    for (;;) {
        if (RS_UNLIKELY(p >= e))
            return j_more(c);
        uint8_t ch = *p;
        if (ch == '"')
            break;
        if (RS_UNLIKELY(ch == '\\')) {
            esc = 1;
            if (++p >= e)
                return j_more(c);
            switch (*p) {
            case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
                p++;
                break;
            case 'u':
                for (int i = 1; i <= 4; i++) {
                    if (p + i >= e)
                        return j_more(c);
                    if (!j_ishex(p[i]))
                        return j_fail(c, RS_BAD_SYNTAX, p + i, "");
                }
                p += 5;
                break;
            default:
                return j_fail(c, RS_BAD_SYNTAX, p, "");
            }
            continue;
        }
        if (RS_UNLIKELY(ch < 0x20))
            return j_fail(c, RS_BAD_SYNTAX, p, "");
        p++;
    }
    v->type = J_STR;
    v->off = (uint32_t)(s - c->b);
    v->len = (uint32_t)(p - s);
    v->esc = esc;
    c->p = p + 1;
    return RS_OK;
}

/* c->p at '-' or a digit. Validates JSON number grammar. */
static inline int j_num(jcur *c, jval *v)
{
    const uint8_t *s = c->p, *p = s, *e = c->e;
    uint8_t neg = 0, isint = 1;
    if (*p == '-') {
        neg = 1;
        if (++p >= e)
            return j_more(c);
    }
    if (*p == '0') {
        p++;
    } else if (*p >= '1' && *p <= '9') {
        p++;
        while (p < e && j_isdigit(*p))
            p++;
    } else {
        return j_fail(c, RS_BAD_SYNTAX, p, "");
    }
    if (p >= e)
        return j_more(c);
    if (*p == '.') {
        isint = 0;
        if (++p >= e)
            return j_more(c);
        if (!j_isdigit(*p))
            return j_fail(c, RS_BAD_SYNTAX, p, "");
        while (p < e && j_isdigit(*p))
            p++;
        if (p >= e)
            return j_more(c);
    }
    if ((*p | 0x20) == 'e') {
        isint = 0;
        if (++p >= e)
            return j_more(c);
        if (*p == '+' || *p == '-')
            if (++p >= e)
                return j_more(c);
        if (!j_isdigit(*p))
            return j_fail(c, RS_BAD_SYNTAX, p, "");
        while (p < e && j_isdigit(*p))
            p++;
        if (p >= e)
            return j_more(c);
    }
    v->type = J_NUM;
    v->off = (uint32_t)(s - c->b);
    v->len = (uint32_t)(p - s);
    v->esc = 0;
    v->neg = neg;
    v->isint = isint;
    c->p = p;
    return RS_OK;
}

static inline int j_lit(jcur *c, jval *v, const char *lit, uint32_t n, uint8_t type)
{
    size_t avail = (size_t)(c->e - c->p);
    size_t k = avail < n ? avail : n;
    for (size_t i = 0; i < k; i++)
        if (c->p[i] != (uint8_t)lit[i])
            return j_fail(c, RS_BAD_SYNTAX, c->p + i, "");
    if (k < n)
        return j_more(c);
    v->type = type;
    v->off = (uint32_t)(c->p - c->b);
    v->len = n;
    c->p += n;
    return RS_OK;
}

static inline int j_scalar(jcur *c, jval *v)
{
    uint8_t ch = *c->p;
    if (ch == '"')
        return j_str(c, v);
    if (ch == '-' || j_isdigit(ch))
        return j_num(c, v);
    if (ch == 't')
        return j_lit(c, v, "true", 4, J_TRUE);
    if (ch == 'f')
        return j_lit(c, v, "false", 5, J_FALSE);
    if (ch == 'n')
        return j_lit(c, v, "null", 4, J_NULL);
    return j_fail(c, RS_BAD_SYNTAX, c->p, "");
}

/* Skip (and validate) any value at c->p (not whitespace), recording its
 * extent in *v. `depth` is the nesting of the container holding it.
 * Iterative: a byte stack of open brackets, no recursion. */
static int j_skip(jcur *c, jval *v, int depth) RS_UNUSED;
static int j_skip(jcur *c, jval *v, int depth)
{
    uint8_t ch = *c->p;
    if (ch != '{' && ch != '[')
        return j_scalar(c, v);
    uint8_t stack[RS_DEC_MAX_DEPTH + 1];
    int sp = 0;
    const uint8_t *start = c->p;
    jval tmp;
    if (depth + 1 > RS_DEC_MAX_DEPTH)
        return j_fail(c, RS_BAD_TOO_LARGE, c->p, "");
    stack[sp++] = ch;
    c->p++;
    int after = 0;   /* 0: just opened, 1: after an element */
    for (;;) {
        j_ws(c);
        if (c->p >= c->e)
            return j_more(c);
        uint8_t top = stack[sp - 1];
        uint8_t close = top == '{' ? '}' : ']';
        if (*c->p == close) {
            c->p++;
            if (--sp == 0)
                break;
            after = 1;
            continue;
        }
        if (after) {
            if (*c->p != ',')
                return j_fail(c, RS_BAD_SYNTAX, c->p, "");
            c->p++;
            j_ws(c);
            if (c->p >= c->e)
                return j_more(c);
        }
        if (top == '{') {
            if (*c->p != '"')
                return j_fail(c, RS_BAD_SYNTAX, c->p, "");
            int rc = j_str(c, &tmp);
            if (rc)
                return rc;
            j_ws(c);
            if (c->p >= c->e)
                return j_more(c);
            if (*c->p != ':')
                return j_fail(c, RS_BAD_SYNTAX, c->p, "");
            c->p++;
            j_ws(c);
            if (c->p >= c->e)
                return j_more(c);
        }
        ch = *c->p;
        if (ch == '{' || ch == '[') {
            if (depth + sp + 1 > RS_DEC_MAX_DEPTH)
                return j_fail(c, RS_BAD_TOO_LARGE, c->p, "");
            stack[sp++] = ch;
            c->p++;
            after = 0;
            continue;
        }
        int rc = j_scalar(c, &tmp);
        if (rc)
            return rc;
        after = 1;
    }
    v->type = start[0] == '{' ? J_OBJ : J_ARR;
    v->off = (uint32_t)(start - c->b);
    v->len = (uint32_t)(c->p - start);
    v->esc = 0;
    return RS_OK;
}

/* Decode the escapes of a validated string s[0..n) into out[cap]; returns
 * the length or -1 if it does not fit / holds an invalid surrogate. */
static int j_unescape(const uint8_t *s, uint32_t n, uint8_t *out, uint32_t cap) RS_UNUSED;
static int j_unescape(const uint8_t *s, uint32_t n, uint8_t *out, uint32_t cap)
{
    uint32_t o = 0;
    for (uint32_t i = 0; i < n;) {
        uint8_t ch = s[i];
        if (ch != '\\') {
            if (o >= cap)
                return -1;
            out[o++] = ch;
            i++;
            continue;
        }
        uint8_t x = s[i + 1];
        i += 2;
        uint32_t cp;
        switch (x) {
        case 'b': cp = '\b'; break;
        case 'f': cp = '\f'; break;
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case 'u': {
            cp = 0;
            for (int k = 0; k < 4; k++) {
                uint8_t h = s[i + (uint32_t)k];
                cp = cp * 16 + (uint32_t)(j_isdigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
            }
            i += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (i + 6 > n || s[i] != '\\' || s[i + 1] != 'u')
                    return -1;
                uint32_t lo = 0;
                for (int k = 0; k < 4; k++) {
                    uint8_t h = s[i + 2 + (uint32_t)k];
                    if (!j_ishex(h))
                        return -1;
                    lo = lo * 16 + (uint32_t)(j_isdigit(h) ? h - '0' : (h | 0x20) - 'a' + 10);
                }
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return -1;
            }
            break;
        }
        default: cp = x; break;   /* " \ / */
        }
        uint8_t tmp[4];
        uint32_t k;
        if (cp < 0x80) { tmp[0] = (uint8_t)cp; k = 1; }
        else if (cp < 0x800) { tmp[0] = (uint8_t)(0xC0 | (cp >> 6)); tmp[1] = (uint8_t)(0x80 | (cp & 0x3F)); k = 2; }
        else if (cp < 0x10000) {
            tmp[0] = (uint8_t)(0xE0 | (cp >> 12)); tmp[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
            tmp[2] = (uint8_t)(0x80 | (cp & 0x3F)); k = 3;
        } else {
            tmp[0] = (uint8_t)(0xF0 | (cp >> 18)); tmp[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3F));
            tmp[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F)); tmp[3] = (uint8_t)(0x80 | (cp & 0x3F)); k = 4;
        }
        if (o + k > cap)
            return -1;
        memcpy(out + o, tmp, k);
        o += k;
    }
    return (int)o;
}

/* Scan the object at c->p ('{') into slot table o using key resolver kf.
 * The value of key slot `nest_slot` (if an object) is scanned recursively
 * into *nest with resolver nkf instead of being skipped. A known key seen
 * twice is a syntax error (ambiguous message). `names` gives the key name
 * of each slot for error reports. */
static inline int j_obj(jcur *c, jobj *o, int depth, j_keyfn kf, int nest_slot, jobj *nest, j_keyfn nkf,
                        const char *const *names)
{
    jval key, skip;
    o->mask = 0;
    if (depth + 1 > RS_DEC_MAX_DEPTH)
        return j_fail(c, RS_BAD_TOO_LARGE, c->p, "");
    c->p++;
    j_ws(c);
    if (c->p >= c->e)
        return j_more(c);
    if (*c->p == '}') {
        c->p++;
        return RS_OK;
    }
    for (;;) {
        if (*c->p != '"')
            return j_fail(c, RS_BAD_SYNTAX, c->p, "");
        int rc = j_str(c, &key);
        if (rc)
            return rc;
        int slot;
        if (RS_LIKELY(!key.esc)) {
            slot = kf(c->b + key.off, key.len);
        } else {
            uint8_t kb[24];
            int kn = j_unescape(c->b + key.off, key.len, kb, sizeof kb);
            slot = kn < 0 ? -1 : kf(kb, (uint32_t)kn);
        }
        j_ws(c);
        if (c->p >= c->e)
            return j_more(c);
        if (*c->p != ':')
            return j_fail(c, RS_BAD_SYNTAX, c->p, "");
        c->p++;
        j_ws(c);
        if (c->p >= c->e)
            return j_more(c);
        if (slot >= 0) {
            uint64_t bit = 1ull << slot;
            if (o->mask & bit)
                return j_fail(c, RS_BAD_SYNTAX, c->b + key.off, names[slot]);
            jval *v = &o->v[slot];
            if (slot == nest_slot && *c->p == '{') {
                const uint8_t *start = c->p;
                rc = j_obj(c, nest, depth + 1, nkf, -1, NULL, nkf, names);
                v->type = J_OBJ;
                v->off = (uint32_t)(start - c->b);
                v->len = (uint32_t)(c->p - start);
            } else if (*c->p == '{' || *c->p == '[') {
                rc = j_skip(c, v, depth + 1);
            } else {
                rc = j_scalar(c, v);
            }
            if (rc)
                return rc;
            o->mask |= bit;
        } else {
            rc = *c->p == '{' || *c->p == '[' ? j_skip(c, &skip, depth + 1) : j_scalar(c, &skip);
            if (rc)
                return rc;
        }
        j_ws(c);
        if (c->p >= c->e)
            return j_more(c);
        if (*c->p == ',') {
            c->p++;
            j_ws(c);
            if (c->p >= c->e)
                return j_more(c);
            continue;
        }
        if (*c->p == '}') {
            c->p++;
            return RS_OK;
        }
        return j_fail(c, RS_BAD_SYNTAX, c->p, "");
    }
}

/* ---- typed getters over slots (interpretation after the scan) ---------- */

/* Non-negative JSON integer -> u64. */
static inline int j_get_u64(jcur *c, const jobj *o, int s, const char *name, int required, uint64_t *out)
{
    if (!(o->mask & (1ull << s))) {
        if (required)
            return j_fail(c, RS_BAD_MISSING_FIELD, c->e, name);
        *out = 0;
        return RS_OK;
    }
    const jval *v = &o->v[s];
    const uint8_t *p = c->b + v->off;
    if (v->type != J_NUM || !v->isint)
        return j_fail(c, RS_BAD_NUMBER, p, name);
    if (v->neg)
        return j_fail(c, RS_BAD_RANGE, p, name);
    uint64_t x = 0;
    for (uint32_t i = 0; i < v->len; i++) {
        if (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, (uint64_t)(p[i] - '0'), &x))
            return j_fail(c, RS_BAD_RANGE, p, name);
    }
    *out = x;
    return RS_OK;
}

/* Same, but the value must fit int64 (times). */
static inline int j_get_i64(jcur *c, const jobj *o, int s, const char *name, int required, int64_t *out)
{
    uint64_t x;
    int rc = j_get_u64(c, o, s, name, required, &x);
    if (rc)
        return rc;
    if (x > (uint64_t)INT64_MAX)
        return j_fail(c, RS_BAD_RANGE, c->b + o->v[s].off, name);
    *out = (int64_t)x;
    return RS_OK;
}

/* A string value's bytes (unescaped into buf when needed). */
static inline int j_get_strbytes(jcur *c, const jval *v, uint8_t *buf, uint32_t cap, const uint8_t **s,
                                 uint32_t *n)
{
    (void)c;
    if (RS_LIKELY(!v->esc)) {
        *s = c->b + v->off;
        *n = v->len;
        return 0;
    }
    int k = j_unescape(c->b + v->off, v->len, buf, cap);
    if (k < 0)
        return -1;
    *s = buf;
    *n = (uint32_t)k;
    return 0;
}

/* Decimal string -> fixed point. min: 0 (zero allowed) or 1 (must be > 0). */
static inline int j_get_fixed(jcur *c, const jobj *o, int s, const char *name, unsigned exp, int64_t min,
                              int64_t *out)
{
    if (!(o->mask & (1ull << s)))
        return j_fail(c, RS_BAD_MISSING_FIELD, c->e, name);
    const jval *v = &o->v[s];
    if (v->type != J_STR)
        return j_fail(c, RS_BAD_NUMBER, c->b + v->off, name);
    uint8_t buf[64];
    const uint8_t *sp;
    uint32_t n;
    if (j_get_strbytes(c, v, buf, sizeof buf, &sp, &n))
        return j_fail(c, RS_BAD_NUMBER, c->b + v->off, name);
    int r = rs_dec_fixed((const char *)sp, n, exp, out);
    if (r)
        return j_fail(c, r, c->b + v->off, name);
    if (*out < min)
        return j_fail(c, RS_BAD_RANGE, c->b + v->off, name);
    return RS_OK;
}

/* Decimal-integer string (OKX ids and times) -> u64. */
static inline int j_get_u64_str(jcur *c, const jobj *o, int s, const char *name, int required, uint64_t *out)
{
    if (!(o->mask & (1ull << s))) {
        if (required)
            return j_fail(c, RS_BAD_MISSING_FIELD, c->e, name);
        *out = 0;
        return RS_OK;
    }
    const jval *v = &o->v[s];
    const uint8_t *at = c->b + v->off;
    if (v->type != J_STR)
        return j_fail(c, RS_BAD_NUMBER, at, name);
    uint8_t buf[32];
    const uint8_t *p;
    uint32_t n;
    if (j_get_strbytes(c, v, buf, sizeof buf, &p, &n) || n == 0)
        return j_fail(c, RS_BAD_NUMBER, at, name);
    if (p[0] == '-')
        return j_fail(c, n > 1 && j_isdigit(p[1]) ? RS_BAD_RANGE : RS_BAD_NUMBER, at, name);
    if (p[0] == '0' && n > 1)
        return j_fail(c, RS_BAD_NUMBER, at, name);
    uint64_t x = 0;
    for (uint32_t i = 0; i < n; i++) {
        if (!j_isdigit(p[i]))
            return j_fail(c, RS_BAD_NUMBER, at, name);
        if (__builtin_mul_overflow(x, 10u, &x) || __builtin_add_overflow(x, (uint64_t)(p[i] - '0'), &x))
            return j_fail(c, RS_BAD_RANGE, at, name);
    }
    *out = x;
    return RS_OK;
}

static inline int j_get_sym(jcur *c, rs_decoder *d, const jobj *o, int s, const char *name, uint16_t *sym)
{
    if (!(o->mask & (1ull << s)))
        return j_fail(c, RS_BAD_MISSING_FIELD, c->e, name);
    const jval *v = &o->v[s];
    if (v->type != J_STR)
        return j_fail(c, RS_BAD_PROTOCOL, c->b + v->off, name);
    uint8_t buf[32];
    const uint8_t *p;
    uint32_t n;
    if (j_get_strbytes(c, v, buf, sizeof buf, &p, &n))
        return j_fail(c, RS_BAD_SYMBOL, c->b + v->off, name);
    int i = rs_dec_symbol(d, p, n);
    if (i < 0)
        return j_fail(c, RS_BAD_SYMBOL, c->b + v->off, name);
    *sym = (uint16_t)i;
    return RS_OK;
}

/* Compare a string slot with a literal (no escapes considered equal only
 * when unescaped bytes match). */
static inline int j_str_eq(const jcur *c, const jval *v, const char *lit, uint32_t n)
{
    if (RS_LIKELY(!v->esc))
        return v->len == n && memcmp(c->b + v->off, lit, n) == 0;
    uint8_t buf[32];
    int k = j_unescape(c->b + v->off, v->len, buf, sizeof buf);
    return k == (int)n && memcmp(buf, lit, n) == 0;
}

/* ---- fast path ------------------------------------------------------------
 * Venues send compact JSON without escapes. The fast path parses exactly
 * that in one pass (numbers converted while scanned, no whitespace, no
 * escapes, no nesting beyond what the message kind has) and returns J_FB
 * ("fall back") on anything else; the validating slot scanner above then
 * decides. So the fast path only ever accepts input the slow path accepts
 * with the same result; every reject and RS_AGAIN comes from the slow path
 * with its exact reason and offset. */
#define J_FB (-1)

typedef struct fslot {
    uint32_t off, len;   /* strings: content; arrays: whole extent */
    uint64_t num;        /* integers; booleans: 0/1 */
    uint8_t type;
} fslot;

typedef struct fobj {
    uint64_t mask;
    fslot v[J_SLOTS];
} fobj;

static inline uint64_t f_ld8(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* Leading digit bytes (0..8) of the 8 bytes in v (little endian). A borrow
 * or carry can only disturb bytes above the first non-digit, so the lowest
 * flagged byte is exact. */
static inline unsigned f_digits8(uint64_t v)
{
    uint64_t x = v - 0x3030303030303030ull;
    uint64_t nd = ((x + 0x7676767676767676ull) | x) & 0x8080808080808080ull;
    return nd ? (unsigned)__builtin_ctzll(nd) >> 3 : 8u;
}

/* Value of the first k (1..8) digit bytes of v: SWAR, three multiplies. */
static inline uint64_t f_parse8(uint64_t v, unsigned k)
{
    uint64_t x = (v - 0x3030303030303030ull) << ((8 - k) * 8);
    x = x * 10 + (x >> 8);
    x = (((x & 0x000000FF000000FFull) * (100 + (1000000ull << 32))) +
         (((x >> 16) & 0x000000FF000000FFull) * (1 + (10000ull << 32)))) >> 32;
    return x;
}

/* Index (0..8) of the first byte equal to ch in v (8 = none). Exact for the
 * lowest match: false positives only occur above a true one. */
static inline unsigned f_find8(uint64_t v, uint8_t ch)
{
    uint64_t x = v ^ (0x0101010101010101ull * ch);
    uint64_t t = (x - 0x0101010101010101ull) & ~x & 0x8080808080808080ull;
    return t ? (unsigned)__builtin_ctzll(t) >> 3 : 8u;
}

/* Index (0..8) of the first byte < 0x20 in v (8 = none), exact for the
 * lowest one. */
static inline unsigned f_ctl8(uint64_t v)
{
    uint64_t t = (v - 0x2020202020202020ull) & ~v & 0x8080808080808080ull;
    return t ? (unsigned)__builtin_ctzll(t) >> 3 : 8u;
}

/* First byte at or after p, before e, that ends an escape-free string body
 * ('"', '\\' or a control byte < 0x20), or e. 16 bytes per step while 16
 * are readable (never past e), then byte by byte. */
static inline const uint8_t *f_scan_str(const uint8_t *p, const uint8_t *e)
{
    while (e - p >= 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i q = _mm_cmpeq_epi8(v, _mm_set1_epi8('"'));
        __m128i b = _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'));
        __m128i c = _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f));   /* v <= 0x1f */
        unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(q, b), c));
        if (m)
            return p + __builtin_ctz(m);
        p += 16;
    }
    while (p < e && *p != '"' && *p != '\\' && *p >= 0x20)
        p++;
    return p;
}

/* Length of an escape-free string body at p up to its closing quote, when
 * the quote is within the next 16 readable bytes and no '\\' or control
 * byte precedes it; -1 otherwise (caller takes the byte loop). */
static inline int f_str16(const uint8_t *p, const uint8_t *e)
{
    if (e - p < 16)
        return -1;
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
    unsigned q = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')));
    unsigned bad = (unsigned)_mm_movemask_epi8(
        _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('\\')),
                     _mm_cmpeq_epi8(_mm_max_epu8(v, _mm_set1_epi8(0x1f)), _mm_set1_epi8(0x1f))));
    if (!q || (bad & (q ^ (q - 1))))   /* no quote, or '\\' / control byte up to the first one */
        return -1;
    return __builtin_ctz(q);
}

/* ---- 16-byte number scan (SSSE3) ----------------------------------------
 * When 16 bytes are readable at the number, one load gives the digit mask
 * (run lengths by tzcnt) and, after one byte shuffle that right-aligns the
 * digits and squeezes out the decimal point, the value by three
 * multiply-adds: no per-digit or per-8-digit loop. Numbers that do not end
 * inside the 16 bytes take the SWAR code below; both give identical
 * results (tests/unit/test_decode.c compares them digit-width by width).
 * Measured (docs/feed.md): 15-20% fewer instructions per message, but
 * 3-10% SLOWER wall-clock on the Zen 5 build VM (the digit mask goes
 * through movemask/tzcnt on the critical path of the cursor, longer than
 * the SWAR test), so the decoders use it only when built with
 * -DRS_DEC_SIMD_NUM=1 (to re-measure on another CPU). */
#ifndef RS_DEC_SIMD_NUM
#define RS_DEC_SIMD_NUM 0   /* see above: off by default */
#endif
#if defined(__SSSE3__)
#define F_SIMD 1
/* loadu(f_shr_tab + n): shuffle moving bytes [0, n) to [16 - n, 16), zeros
 * before. loadu(f_one_tab + k): 1 in the last k bytes. */
static const uint8_t f_shr_tab[32] __attribute__((unused)) = {
    0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
static const uint8_t f_one_tab[32] __attribute__((unused)) = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};

/* Digit values (bytes 0..9, zeros before them) right-aligned in 16 bytes ->
 * the number (at most 16 digits). */
static inline uint64_t f_val16(__m128i w)
{
    w = _mm_maddubs_epi16(w, _mm_set1_epi16(0x010A));    /* 10*d0 + d1 */
    w = _mm_madd_epi16(w, _mm_set1_epi32(0x00010064));   /* 100*p0 + p1 */
    w = _mm_packs_epi32(w, w);                           /* each <= 9999 */
    w = _mm_madd_epi16(w, _mm_set1_epi32(0x00012710));   /* 10000*q0 + q1 */
    uint64_t x = (uint64_t)_mm_cvtsi128_si64(w);
    return (x & 0xffffffffu) * 100000000u + (x >> 32);
}

/* Mask of the digit bytes of w (bit i: byte i), and w - '0' in *d. */
static inline unsigned f_dmask16(__m128i w, __m128i *d)
{
    __m128i x = _mm_sub_epi8(w, _mm_set1_epi8('0'));
    *d = x;
    return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(9)), x));
}
#endif

/* Length of the run of digits at p (bounded by e). */
static inline size_t f_run(const uint8_t *p, const uint8_t *e)
{
    const uint8_t *s = p;
    while (e - p >= 8) {
        unsigned k = f_digits8(f_ld8(p));
        p += k;
        if (k < 8)
            return (size_t)(p - s);
    }
    while (p < e && j_isdigit(*p))
        p++;
    return (size_t)(p - s);
}

/* Value of the n (<= 19) digits at p. */
static inline uint64_t f_val(const uint8_t *p, size_t n, const uint8_t *e)
{
    uint64_t x = 0;
    while (n >= 8) {
        x = x * 100000000u + f_parse8(f_ld8(p), 8);
        p += 8;
        n -= 8;
    }
    if (n) {
        if (e - p >= 8) {
            x = x * (uint64_t)rs_ipow10_tab[n] + f_parse8(f_ld8(p), (unsigned)n);
        } else {
            for (size_t i = 0; i < n; i++)
                x = x * 10 + (uint64_t)(p[i] - '0');
        }
    }
    return x;
}

/* Non-negative integer, at most 19 digits, no leading zero. Advances *pp. */
#ifdef F_SIMD
/* f_uint's 16-byte form: 0 / J_FB as f_uint, 1 when the number does not
 * end inside the 16 bytes (or they are not readable): use f_uint. */
static inline int f_uint16(const uint8_t **pp, const uint8_t *e, uint64_t *out)
{
    const uint8_t *p = *pp;
    if (RS_LIKELY(e - p >= 16)) {
        __m128i d;
        unsigned k = (unsigned)__builtin_ctz(~f_dmask16(_mm_loadu_si128((const __m128i *)(const void *)p), &d));
        if (RS_LIKELY(k < 16)) {   /* the number ends inside the 16 bytes */
            if (k == 0 || (k > 1 && *p == '0'))
                return J_FB;
            *out = f_val16(_mm_shuffle_epi8(d, _mm_loadu_si128((const __m128i *)(const void *)(f_shr_tab + k))));
            *pp = p + k;
            return 0;
        }
    }
    return 1;
}
#endif

static inline int f_uint(const uint8_t **pp, const uint8_t *e, uint64_t *out)
{
    const uint8_t *p = *pp;
#if defined(F_SIMD) && RS_DEC_SIMD_NUM
    int r16 = f_uint16(pp, e, out);
    if (r16 <= 0)
        return r16;
#endif
    if (RS_LIKELY(e - p >= 8)) {   /* up to 7 digits: one load */
        uint64_t v = f_ld8(p);
        unsigned k = f_digits8(v);
        if (k > 0 && k < 8) {
            if (k > 1 && *p == '0')
                return J_FB;
            *out = f_parse8(v, k);
            *pp = p + k;
            return 0;
        }
        /* 8..15 digits (millisecond timestamps are 13, trade ids 9-12):
         * two loads, no digit loop */
        if (k == 8 && e - p >= 16) {
            uint64_t w = f_ld8(p + 8);
            unsigned k2 = f_digits8(w);
            if (k2 < 8) {
                if (*p == '0')
                    return J_FB;
                uint64_t x = f_parse8(v, 8);
                if (k2)
                    x = x * (uint64_t)rs_ipow10_tab[k2] + f_parse8(w, k2);
                *out = x;
                *pp = p + 8 + k2;
                return 0;
            }
        }
    }
    size_t n = f_run(p, e);
    if (n == 0 || n > 19 || (n > 1 && *p == '0'))
        return J_FB;
    *out = f_val(p, n, e);
    *pp = p + n;
    return 0;
}

/* Plain decimal "123.4500" (no sign, no exponent): exact, fractional
 * digits beyond exp must be zeros. Advances *pp past the number. */
#ifdef F_SIMD
/* f_dec's 16-byte form: 0 / J_FB as f_dec, 1 when not covered (use f_dec). */
static inline int f_dec16(const uint8_t **pp, const uint8_t *e, unsigned exp, int64_t *out)
{
    const uint8_t *p = *pp;
    if (RS_LIKELY(e - p >= 16) && exp <= 18) {
        __m128i w = _mm_loadu_si128((const __m128i *)(const void *)p), d;
        unsigned m = f_dmask16(w, &d);
        unsigned n1 = (unsigned)__builtin_ctz(~m);
        if (n1 == 0 || (n1 > 1 && *p == '0'))
            return J_FB;
        if (RS_LIKELY(n1 < 15)) {
            unsigned nd = n1, kf = 0, end = n1;
            __m128i ctl = _mm_loadu_si128((const __m128i *)(const void *)(f_shr_tab + n1));
            if (p[n1] == '.') {
                unsigned n2 = (unsigned)__builtin_ctz(~(m >> (n1 + 1)));
                end = n1 + 1 + n2;
                if (end >= 16)
                    return 1;   /* may go on past the 16 bytes */
                if (n2 == 0)
                    return J_FB;
                kf = n2 < exp ? n2 : exp;
                if (n2 > exp) {   /* digits [exp, n2) of the fraction must be '0' */
                    unsigned z = (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(w, _mm_set1_epi8('0')));
                    if ((~z >> (n1 + 1 + exp)) & ((1u << (n2 - exp)) - 1))
                        return J_FB;
                }
                /* integer digits then the kf kept fraction digits, right-aligned,
                 * the point squeezed out: the fraction's sources are one byte up */
                nd = n1 + kf;
                ctl = _mm_add_epi8(_mm_loadu_si128((const __m128i *)(const void *)(f_shr_tab + nd)),
                                   _mm_loadu_si128((const __m128i *)(const void *)(f_one_tab + kf)));
            }
            (void)nd;
            uint64_t v = f_val16(_mm_shuffle_epi8(d, ctl));
            if (__builtin_mul_overflow(v, (uint64_t)rs_ipow10_tab[exp - kf], &v) || v > (uint64_t)INT64_MAX)
                return J_FB;
            *pp = p + end;
            *out = (int64_t)v;
            return 0;
        }
    }
    return 1;
}
#endif

static inline __attribute__((always_inline)) int f_dec(const uint8_t **pp, const uint8_t *e, unsigned exp, int64_t *out)
{
    const uint8_t *p = *pp;
#if defined(F_SIMD) && RS_DEC_SIMD_NUM
    int r16 = f_dec16(pp, e, exp, out);
    if (r16 <= 0)
        return r16;
#endif
    size_t ni;
    uint64_t ip;
    uint64_t v8 = 0;
    unsigned k8 = 8;
    if (RS_LIKELY(e - p >= 8)) {
        v8 = f_ld8(p);
        k8 = f_digits8(v8);
    }
    if (k8 > 0 && k8 < 8) {   /* short integer part: one load */
        ni = k8;
        if (ni > 1 && *p == '0')
            return J_FB;
        ip = f_parse8(v8, k8);
    } else {
        ni = f_run(p, e);
        if (ni == 0 || ni > 18 || (ni > 1 && *p == '0'))
            return J_FB;
        ip = f_val(p, ni, e);
    }
    p += ni;
    uint64_t fp = 0;
    if (p < e && *p == '.') {
        p++;
        if (RS_LIKELY(e - p >= 8) && exp <= 8) {
            uint64_t v = f_ld8(p);
            unsigned k = f_digits8(v);
            /* up to 8 fractional digits (Binance sends exactly 8): one load */
            if (k > 0 && (k < 8 || e - p == 8 || !j_isdigit(p[8]))) {
                if (k <= exp) {
                    fp = f_parse8(v, k) * (uint64_t)rs_ipow10_tab[exp - k];
                } else {
                    /* digits [exp, k) must be '0' (exp < k <= 8 here) */
                    uint64_t m = (k == 8 ? ~0ull : (1ull << (8 * k)) - 1) & ~((1ull << (8 * exp)) - 1);
                    if ((v ^ 0x3030303030303030ull) & m)
                        return J_FB;
                    fp = exp ? f_parse8(v, exp) : 0;
                }
                p += k;
                goto done;
            }
        }
        size_t nf = f_run(p, e);
        if (nf == 0)
            return J_FB;
        size_t keep = nf < exp ? nf : exp;
        for (size_t i = keep; i < nf; i++)
            if (p[i] != '0')
                return J_FB;
        if (keep)
            fp = f_val(p, keep, e) * (uint64_t)rs_ipow10_tab[exp - keep];
        p += nf;
    }
done:;
    uint64_t v;
    if (__builtin_mul_overflow(ip, (uint64_t)rs_ipow10_tab[exp], &v) || __builtin_add_overflow(v, fp, &v) ||
        v > (uint64_t)INT64_MAX)
        return J_FB;
    *pp = p;
    *out = (int64_t)v;
    return 0;
}

/* One compact object at c->p ('{') into fast slots. Values: strings without
 * escapes, non-negative integers, true/false/null, and arrays of arrays of
 * such strings (depth levels: extent only). */
static inline __attribute__((always_inline)) int f_obj(jcur *c, fobj *o, j_keyfn kf)
{
    const uint8_t *p = c->p + 1, *e = c->e;
    o->mask = 0;
    if (p < e && *p == '}') {
        c->p = p + 1;
        return 0;
    }
    for (;;) {
        if (p >= e || *p != '"')
            return J_FB;
        const uint8_t *k = ++p;
        p = f_scan_str(p, e);
        if (p + 1 >= e || *p != '"' || p[1] != ':')
            return J_FB;
        int slot = kf(k, (uint32_t)(p - k));
        p += 2;
        if (p >= e)
            return J_FB;
        fslot tmp;
        fslot *v = &tmp;
        if (slot >= 0) {
            if (o->mask & (1ull << slot))
                return J_FB;
            o->mask |= 1ull << slot;
            v = &o->v[slot];
        }
        uint8_t ch = *p;
        if (ch == '"') {
            const uint8_t *s = ++p;
            p = f_scan_str(p, e);
            if (p >= e || *p != '"')
                return J_FB;
            v->type = J_STR;
            v->off = (uint32_t)(s - c->b);
            v->len = (uint32_t)(p - s);
            p++;
        } else if (j_isdigit(ch)) {
            v->off = (uint32_t)(p - c->b);
            if (f_uint(&p, e, &v->num))
                return J_FB;
            if (p >= e || *p == '.' || (*p | 0x20) == 'e')
                return J_FB;
            v->type = J_NUM;
        } else if (ch == 't' || ch == 'f' || ch == 'n') {
            v->off = (uint32_t)(p - c->b);
            if (e - p >= 4 && !memcmp(p, "true", 4)) {
                v->type = J_TRUE;
                p += 4;
            } else if (e - p >= 5 && !memcmp(p, "false", 5)) {
                v->type = J_FALSE;
                p += 5;
            } else if (e - p >= 4 && !memcmp(p, "null", 4)) {
                v->type = J_NULL;
                p += 4;
            } else {
                return J_FB;
            }
        } else if (ch == '[') {
            /* [] or [[str,str,...],...] */
            const uint8_t *s = p++;
            if (p < e && *p == ']') {
                p++;
            } else {
                for (;;) {
                    if (p >= e || *p != '[')
                        return J_FB;
                    p++;
                    for (;;) {
                        if (p >= e || *p != '"')
                            return J_FB;
                        p++;
                        p = f_scan_str(p, e);
                        if (p + 1 >= e || *p != '"')
                            return J_FB;
                        p++;
                        if (*p == ',') {
                            p++;
                            continue;
                        }
                        if (*p == ']')
                            break;
                        return J_FB;
                    }
                    p++;
                    if (p >= e)
                        return J_FB;
                    if (*p == ',') {
                        p++;
                        continue;
                    }
                    if (*p == ']')
                        break;
                    return J_FB;
                }
                p++;
            }
            v->type = J_ARR;
            v->off = (uint32_t)(s - c->b);
            v->len = (uint32_t)(p - s);
        } else {
            return J_FB;
        }
        if (p >= e)
            return J_FB;
        if (*p == ',') {
            p++;
            continue;
        }
        if (*p == '}') {
            c->p = p + 1;
            return 0;
        }
        return J_FB;
    }
}

#define F_HAS(o, s) (((o)->mask >> (s)) & 1u)

static inline int f_int(const fobj *o, int s, uint64_t *out)
{
    if (!F_HAS(o, s) || o->v[s].type != J_NUM)
        return J_FB;
    *out = o->v[s].num;
    return 0;
}

static inline int f_i64(const fobj *o, int s, int64_t *out)
{
    if (!F_HAS(o, s) || o->v[s].type != J_NUM || o->v[s].num > (uint64_t)INT64_MAX)
        return J_FB;
    *out = (int64_t)o->v[s].num;
    return 0;
}

static inline int f_fixed(const jcur *c, const fobj *o, int s, unsigned exp, int64_t min, int64_t *out)
{
    if (!F_HAS(o, s) || o->v[s].type != J_STR)
        return J_FB;
    const uint8_t *p = c->b + o->v[s].off, *e = p + o->v[s].len;
    if (f_dec(&p, e, exp, out) || p != e || *out < min)
        return J_FB;
    return 0;
}

/* Decimal-integer string (OKX ids, times). */
static inline int f_uint_str(const jcur *c, const fobj *o, int s, uint64_t *out)
{
    if (!F_HAS(o, s) || o->v[s].type != J_STR)
        return J_FB;
    const uint8_t *p = c->b + o->v[s].off, *e = p + o->v[s].len;
    if (f_uint(&p, e, out) || p != e)
        return J_FB;
    return 0;
}

/* Symbol lookup for fast-path strings (escape-free, no byte < 0x20, so no
 * NUL): the key is loaded straight from the frame when 16 bytes are
 * readable. Misses go to rs_dec_symbol (case folding, auto-add). */
static inline int f_symbol(rs_decoder *d, const uint8_t *s, uint32_t n, const uint8_t *e)
{
    if (n == 0 || n >= RS_SYMBOL_MAX || RS_UNLIKELY(d->n_keys != d->u->n))
        return rs_dec_symbol(d, s, n);
    uint64_t k0, k1;
    if (e - s >= 16) {
        k0 = f_ld8(s);
        k1 = f_ld8(s + 8);
        if (n < 8) {
            k0 &= (1ull << (8 * n)) - 1;
            k1 = 0;
        } else {
            k1 = n == 8 ? 0 : k1 & ((1ull << (8 * (n - 8))) - 1);
        }
    } else {
        uint8_t b[16] = {0};
        memcpy(b, s, n);
        memcpy(&k0, b, 8);
        memcpy(&k1, b + 8, 8);
    }
    for (uint16_t i = 0; i < d->n_keys; i++)
        if (d->key[i][0] == k0 && d->key[i][1] == k1)
            return i;
    return rs_dec_symbol(d, s, n);
}

static inline int f_sym(const jcur *c, rs_decoder *d, const fobj *o, int s, uint16_t *sym)
{
    if (!F_HAS(o, s) || o->v[s].type != J_STR)
        return J_FB;
    int i = f_symbol(d, c->b + o->v[s].off, o->v[s].len, c->e);
    if (i < 0)
        return J_FB;
    *sym = (uint16_t)i;
    return 0;
}

static inline int f_str_eq(const jcur *c, const fobj *o, int s, const char *lit, uint32_t n)
{
    return F_HAS(o, s) && o->v[s].type == J_STR && o->v[s].len == n && !memcmp(c->b + o->v[s].off, lit, n);
}

#endif
