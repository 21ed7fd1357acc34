/* Shared pieces of the venue decoders: exact decimal conversion, the symbol
 * index, names. */
#include <string.h>

#include "decode_json.h"
#include "ringside/decode.h"

int rs_dec_fixed(const char *s, size_t n, unsigned exp, int64_t *v)
{
    /* Significant digits accumulate in m; zeros are held back in `zeros`
     * until a non-zero digit follows, so trailing zeros ("0.10000000000")
     * never overflow m and m always ends in a non-zero digit: then the
     * value fits the scale exactly iff the final power of ten is >= 0. */
    size_t i = 0;
    if (n == 0 || exp > 18)
        return RS_BAD_NUMBER;
    if (s[0] == '-')
        return n > 1 && j_isdigit((uint8_t)s[1]) ? RS_BAD_RANGE : RS_BAD_NUMBER;
    uint64_t m = 0;
    int64_t zeros = 0, frac = 0;
    if (s[0] == '0') {
        i = 1;
    } else if (s[0] >= '1' && s[0] <= '9') {
        for (; i < n && j_isdigit((uint8_t)s[i]); i++) {
            unsigned d = (unsigned)(s[i] - '0');
            if (d == 0 && m != 0) {
                zeros++;
                continue;
            }
            while (zeros > 0) {
                if (__builtin_mul_overflow(m, 10u, &m))
                    return RS_BAD_RANGE;
                zeros--;
            }
            if (__builtin_mul_overflow(m, 10u, &m) || __builtin_add_overflow(m, d, &m))
                return RS_BAD_RANGE;
        }
    } else {
        return RS_BAD_NUMBER;
    }
    if (i < n && s[i] == '.') {
        i++;
        size_t start = i;
        for (; i < n && j_isdigit((uint8_t)s[i]); i++) {
            unsigned d = (unsigned)(s[i] - '0');
            frac++;
            if (d == 0) {
                if (m != 0)
                    zeros++;
                continue;
            }
            while (zeros > 0) {
                if (__builtin_mul_overflow(m, 10u, &m))
                    return RS_BAD_RANGE;
                zeros--;
            }
            if (__builtin_mul_overflow(m, 10u, &m) || __builtin_add_overflow(m, d, &m))
                return RS_BAD_RANGE;
        }
        if (i == start)
            return RS_BAD_NUMBER;
    }
    int64_t e10 = 0;
    if (i < n && (s[i] | 0x20) == 'e') {
        i++;
        int eneg = 0;
        if (i < n && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        size_t start = i;
        for (; i < n && j_isdigit((uint8_t)s[i]); i++)
            if (e10 < 100000)
                e10 = e10 * 10 + (s[i] - '0');
        if (i == start)
            return RS_BAD_NUMBER;
        if (eneg)
            e10 = -e10;
    }
    if (i != n)
        return RS_BAD_NUMBER;
    if (m == 0) {
        *v = 0;
        return 0;
    }
    int64_t k = (int64_t)exp - frac + e10 + zeros;
    if (k < 0 || k > 18)
        return RS_BAD_RANGE;
    uint64_t r;
    if (__builtin_mul_overflow(m, (uint64_t)rs_ipow10_tab[k], &r) || r > (uint64_t)INT64_MAX)
        return RS_BAD_RANGE;
    *v = (int64_t)r;
    return 0;
}

int rs_dec_format_fixed(char *buf, size_t cap, int64_t v, unsigned exp)
{
    char tmp[48];
    int n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (exp > 18)
        exp = 18;
    /* digits, least significant first, at least exp+1 of them */
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u || n <= (int)exp);
    int lo = 0;   /* trailing fractional zeros to drop */
    while (lo < (int)exp && tmp[lo] == '0')
        lo++;
    int o = 0;
    char out[48];
    if (v < 0)
        out[o++] = '-';
    for (int i = n - 1; i >= (int)exp; i--)
        out[o++] = tmp[i];
    if (lo < (int)exp) {
        out[o++] = '.';
        for (int i = (int)exp - 1; i >= lo; i--)
            out[o++] = tmp[i];
    }
    if ((size_t)o + 1 > cap)
        o = cap ? (int)cap - 1 : 0;
    if (cap) {
        memcpy(buf, out, (size_t)o);
        buf[o] = '\0';
    }
    return o;
}

const char *rs_dec_reason_name(unsigned reason)
{
    static const char *const names[] = {
        [RS_BAD_SYNTAX] = "syntax", [RS_BAD_MISSING_FIELD] = "missing_field",
        [RS_BAD_NUMBER] = "bad_number", [RS_BAD_RANGE] = "out_of_range",
        [RS_BAD_SYMBOL] = "unknown_symbol", [RS_BAD_DUPLICATE] = "duplicate",
        [RS_BAD_OUT_OF_ORDER] = "out_of_order", [RS_BAD_SEQ_GAP] = "sequence_gap",
        [RS_BAD_TOO_LARGE] = "too_large", [RS_BAD_PROTOCOL] = "protocol",
        [RS_BAD_LATE] = "late",
    };
    if (reason < RS_ARRAY_LEN(names) && names[reason])
        return names[reason];
    return "unknown";
}

static const char *const venue_names[] = {
    [RS_VENUE_SIM] = "sim", [RS_VENUE_BINANCE] = "binance",
    [RS_VENUE_BINANCE_FUT] = "binance-fut", [RS_VENUE_OKX] = "okx",
};

const char *rs_dec_venue_name(unsigned venue)
{
    return venue < RS_ARRAY_LEN(venue_names) ? venue_names[venue] : "unknown";
}

int rs_dec_venue_from_name(const char *name)
{
    for (unsigned i = 0; i < RS_ARRAY_LEN(venue_names); i++)
        if (!strcmp(name, venue_names[i]))
            return (int)i;
    if (!strcmp(name, "binance-futures") || !strcmp(name, "binance-usdm"))
        return RS_VENUE_BINANCE_FUT;
    return -1;
}

/* Upper-cased, NUL-padded 16-byte key: two u64 compares per instrument. */
static int make_key(const uint8_t *s, uint32_t n, uint64_t key[2])
{
    uint8_t b[16] = {0};
    if (n == 0 || n >= RS_SYMBOL_MAX)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        uint8_t ch = s[i];
        if (ch == 0)
            return -1;
        b[i] = (uint8_t)((unsigned)(ch - 'a') < 26u ? ch - 32 : ch);
    }
    memcpy(key, b, 16);
    return 0;
}

static void rebuild_keys(rs_decoder *d)
{
    const rs_universe *u = d->u;
    for (uint16_t i = 0; i < u->n; i++) {
        const char *s = u->ins[i].symbol;
        if (make_key((const uint8_t *)s, (uint32_t)strnlen(s, RS_SYMBOL_MAX), d->key[i]) < 0)
            d->key[i][0] = d->key[i][1] = ~0ull;   /* cannot match */
    }
    d->n_keys = u->n;
}

int rs_decoder_init(rs_decoder *d, rs_universe *u, uint8_t venue)
{
    memset(d, 0, sizeof *d);
    if (venue != RS_VENUE_BINANCE && venue != RS_VENUE_BINANCE_FUT && venue != RS_VENUE_OKX)
        return rs_err_set(RS_EBADCFG, "decoder: unsupported venue %u (binance, binance-fut, okx)", venue);
    d->u = u;
    d->venue = venue;
    d->auto_px_exp = 8;
    d->auto_qty_exp = 8;
    rebuild_keys(d);
    return 0;
}

int rs_dec_symbol(rs_decoder *d, const uint8_t *s, uint32_t n)
{
    uint64_t k[2];
    if (n == 0 || n >= RS_SYMBOL_MAX || memchr(s, 0, n))
        return -1;
    if (RS_UNLIKELY(d->n_keys != d->u->n))
        rebuild_keys(d);
    /* Venues send upper-case symbols: try them as they are first. */
    uint8_t b[16] = {0};
    memcpy(b, s, n);
    memcpy(k, b, 16);
    for (int pass = 0; pass < 2; pass++) {
        for (uint16_t i = 0; i < d->n_keys; i++)
            if (d->key[i][0] == k[0] && d->key[i][1] == k[1])
                return i;
        if (pass == 0 && make_key(s, n, k) < 0)
            return -1;
    }
    if (!d->auto_add)
        return -1;
    /* Tools only (feed decode): a cold path that may grow the universe. */
    for (uint32_t i = 0; i < n; i++)
        if (s[i] <= ' ' || s[i] == '"' || s[i] == '\\' || s[i] >= 0x7f)
            return -1;
    rs_instrument ins;
    memset(&ins, 0, sizeof ins);
    memcpy(ins.symbol, s, n);
    ins.venue = d->venue;
    ins.px_exp = d->auto_px_exp;
    ins.qty_exp = d->auto_qty_exp;
    int idx = rs_universe_add(d->u, &ins);
    if (idx < 0)
        return -1;
    rebuild_keys(d);
    return idx;
}

int rs_decode(rs_decoder *d, const uint8_t *p, size_t n, rs_decoded *out)
{
    if (d->venue == RS_VENUE_OKX)
        return rs_decode_okx(d, p, n, out);
    return rs_decode_binance(d, p, n, out);
}
