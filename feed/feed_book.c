/* Local order book and REST snapshot parser for the feed stage (feed_book.h).
 * The book is two sorted arrays: a few hundred levels at most, and a diff
 * touches the top of the book, so a binary search plus memmove beats any
 * tree here and needs no allocation. */
#include <string.h>

#include "feed_book.h"

void rs_fbook_clear(rs_fbook *b)
{
    b->nb = b->na = 0;
    b->id = 0;
}

/* Position of px in side lv[0..n) ordered best first (desc for bids). */
static uint32_t find(const rs_level *lv, uint32_t n, int64_t px, int desc, int *found)
{
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        int before = desc ? lv[mid].px > px : lv[mid].px < px;
        if (before)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < n && lv[lo].px == px;
    return lo;
}

static void set_level(rs_level *lv, uint32_t *n, int64_t px, int64_t qty, int desc)
{
    int found;
    uint32_t i = find(lv, *n, px, desc, &found);
    if (found) {
        if (qty == 0) {
            memmove(&lv[i], &lv[i + 1], (*n - i - 1) * sizeof *lv);
            (*n)--;
        } else {
            lv[i].qty = qty;
        }
        return;
    }
    if (qty == 0 || i >= RS_FEED_BOOK_LEVELS)
        return;   /* removing an unknown level is normal; beyond the kept depth: dropped */
    uint32_t keep = *n < RS_FEED_BOOK_LEVELS ? *n : RS_FEED_BOOK_LEVELS - 1;
    memmove(&lv[i + 1], &lv[i], (keep - i) * sizeof *lv);
    lv[i].px = px;
    lv[i].qty = qty;
    *n = keep + 1;
}

void rs_fbook_apply(rs_fbook *b, const rs_ev_depth *x)
{
    for (uint32_t k = 0; k < x->n_bids; k++)
        set_level(b->bid, &b->nb, x->levels[k].px, x->levels[k].qty, 1);
    for (uint32_t k = 0; k < x->n_asks; k++)
        set_level(b->ask, &b->na, x->levels[x->n_bids + k].px, x->levels[x->n_bids + k].qty, 0);
}

/* ---- snapshot parser ---------------------------------------------------------
 * Control path (one body per resync), so a small strict recursive-descent
 * parser is enough; it shares only rs_dec_fixed with the hot decoders. */

typedef struct sp {
    const uint8_t *b, *p, *e;
    rs_dec_err *err;
} sp;

static int fail(sp *c, int reason, const char *field)
{
    c->err->reason = (uint16_t)reason;
    c->err->offset = (uint32_t)(c->p - c->b);
    size_t l = strlen(field);
    if (l > sizeof c->err->field - 1)
        l = sizeof c->err->field - 1;
    memcpy(c->err->field, field, l);
    c->err->field[l] = '\0';
    return RS_BAD;
}

static void ws(sp *c)
{
    while (c->p < c->e && (*c->p == ' ' || *c->p == '\n' || *c->p == '\r' || *c->p == '\t'))
        c->p++;
}

static int lit(sp *c, char ch)
{
    ws(c);
    if (c->p >= c->e || *c->p != (uint8_t)ch)
        return 0;
    c->p++;
    return 1;
}

/* A string without escapes (snapshot keys and numbers never have any). */
static int str(sp *c, const uint8_t **s, uint32_t *n, const char *field)
{
    ws(c);
    if (c->p >= c->e || *c->p != '"')
        return fail(c, RS_BAD_SYNTAX, field);
    const uint8_t *q = ++c->p;
    while (c->p < c->e && *c->p != '"') {
        if (*c->p == '\\' || *c->p < 0x20)
            return fail(c, RS_BAD_SYNTAX, field);
        c->p++;
    }
    if (c->p >= c->e)
        return fail(c, RS_BAD_SYNTAX, field);
    *s = q;
    *n = (uint32_t)(c->p - q);
    c->p++;
    return RS_OK;
}

static int skip(sp *c, int depth)
{
    ws(c);
    if (depth > RS_DEC_MAX_DEPTH)
        return fail(c, RS_BAD_TOO_LARGE, "");
    if (c->p >= c->e)
        return fail(c, RS_BAD_SYNTAX, "");
    uint8_t ch = *c->p;
    if (ch == '"') {
        /* escapes are legal in skipped values */
        c->p++;
        while (c->p < c->e && *c->p != '"') {
            if (*c->p == '\\' && c->p + 1 < c->e)
                c->p++;
            c->p++;
        }
        if (c->p >= c->e)
            return fail(c, RS_BAD_SYNTAX, "");
        c->p++;
        return RS_OK;
    }
    if (ch == '{' || ch == '[') {
        char close = ch == '{' ? '}' : ']';
        c->p++;
        if (lit(c, close))
            return RS_OK;
        for (;;) {
            if (ch == '{') {
                const uint8_t *k;
                uint32_t kn;
                if (str(c, &k, &kn, "") || !lit(c, ':'))
                    return fail(c, RS_BAD_SYNTAX, "");
            }
            if (skip(c, depth + 1))
                return RS_BAD;
            if (lit(c, ','))
                continue;
            if (lit(c, close))
                return RS_OK;
            return fail(c, RS_BAD_SYNTAX, "");
        }
    }
    const uint8_t *q = c->p;
    while (c->p < c->e && (*c->p == '-' || *c->p == '+' || *c->p == '.' || (*c->p | 0x20) == 'e' ||
                           (*c->p >= '0' && *c->p <= '9') || (*c->p >= 'a' && *c->p <= 'z')))
        c->p++;
    return c->p > q ? RS_OK : fail(c, RS_BAD_SYNTAX, "");
}

static int levels(sp *c, const rs_instrument *ins, rs_ev_depth *out, uint32_t cap, uint32_t *n, const char *name)
{
    if (!lit(c, '['))
        return fail(c, RS_BAD_PROTOCOL, name);
    if (lit(c, ']'))
        return RS_OK;
    for (;;) {
        if (!lit(c, '['))
            return fail(c, RS_BAD_PROTOCOL, name);
        const uint8_t *s;
        uint32_t sn;
        int64_t px, qty;
        const uint8_t *at = c->p;
        if (str(c, &s, &sn, name))
            return RS_BAD;
        int r = rs_dec_fixed((const char *)s, sn, ins->px_exp, &px);
        if (r || px <= 0) {
            c->p = at;
            return fail(c, r ? r : RS_BAD_RANGE, name);
        }
        if (!lit(c, ','))
            return fail(c, RS_BAD_PROTOCOL, name);
        at = c->p;
        if (str(c, &s, &sn, name))
            return RS_BAD;
        r = rs_dec_fixed((const char *)s, sn, ins->qty_exp, &qty);
        if (r || qty < 0) {
            c->p = at;
            return fail(c, r ? r : RS_BAD_RANGE, name);
        }
        while (lit(c, ','))   /* extra per-level fields are ignored */
            if (skip(c, 2))
                return RS_BAD;
        if (!lit(c, ']'))
            return fail(c, RS_BAD_PROTOCOL, name);
        if (*n >= cap)
            return fail(c, RS_BAD_TOO_LARGE, name);
        out->levels[*n].px = px;
        out->levels[*n].qty = qty;
        (*n)++;
        if (lit(c, ','))
            continue;
        if (lit(c, ']'))
            return RS_OK;
        return fail(c, RS_BAD_SYNTAX, name);
    }
}

int rs_fbook_parse_snapshot(const uint8_t *p, size_t n, const rs_instrument *ins, rs_ev_depth *out, uint32_t cap,
                            rs_dec_err *err)
{
    sp c = {p, p, p + n, err};
    memset(err, 0, sizeof *err);
    memset(out, 0, sizeof *out);
    if (!lit(&c, '{'))
        return fail(&c, RS_BAD_SYNTAX, "");
    int have_id = 0, have_b = 0, have_a = 0;
    /* Levels arrive bids then asks in the record; a body with asks first is
     * parsed into the tail and moved. */
    uint32_t nl = 0, nb = 0, na = 0, ask_first = 0;
    if (!lit(&c, '}')) {
        for (;;) {
            const uint8_t *k;
            uint32_t kn;
            if (str(&c, &k, &kn, "") || !lit(&c, ':'))
                return fail(&c, RS_BAD_SYNTAX, "");
            if (kn == 12 && !memcmp(k, "lastUpdateId", 12)) {
                if (have_id)
                    return fail(&c, RS_BAD_SYNTAX, "lastUpdateId");
                ws(&c);
                uint64_t v = 0;
                const uint8_t *q = c.p;
                while (c.p < c.e && *c.p >= '0' && *c.p <= '9') {
                    if (__builtin_mul_overflow(v, 10u, &v) || __builtin_add_overflow(v, (uint64_t)(*c.p - '0'), &v))
                        return fail(&c, RS_BAD_RANGE, "lastUpdateId");
                    c.p++;
                }
                if (c.p == q || (c.p - q > 1 && *q == '0') ||
                    (c.p < c.e && (*c.p == '.' || *c.p == 'e' || *c.p == 'E')))
                    return fail(&c, RS_BAD_NUMBER, "lastUpdateId");
                out->final_update_id = v;
                have_id = 1;
            } else if (kn == 4 && (!memcmp(k, "bids", 4) || !memcmp(k, "asks", 4))) {
                int bids = k[0] == 'b';
                if (bids ? have_b : have_a)
                    return fail(&c, RS_BAD_SYNTAX, bids ? "bids" : "asks");
                uint32_t before = nl;
                if (levels(&c, ins, out, cap, &nl, bids ? "bids" : "asks"))
                    return RS_BAD;
                if (bids) {
                    nb = nl - before;
                    have_b = 1;
                    ask_first = have_a;
                } else {
                    na = nl - before;
                    have_a = 1;
                }
            } else if (skip(&c, 1)) {
                return RS_BAD;
            }
            if (lit(&c, ','))
                continue;
            if (lit(&c, '}'))
                break;
            return fail(&c, RS_BAD_SYNTAX, "");
        }
    }
    ws(&c);
    if (c.p != c.e)
        return fail(&c, RS_BAD_SYNTAX, "");
    if (!have_id)
        return fail(&c, RS_BAD_MISSING_FIELD, "lastUpdateId");
    if (!have_b || !have_a)
        return fail(&c, RS_BAD_MISSING_FIELD, have_b ? "asks" : "bids");
    if (ask_first) {
        /* rotate [asks][bids] -> [bids][asks] in place (three reversals) */
        rs_level *lv = out->levels;
        for (uint32_t i = 0, j = nl - 1; nl && i < j; i++, j--) {
            rs_level t = lv[i]; lv[i] = lv[j]; lv[j] = t;
        }
        for (uint32_t i = 0, j = nb - 1; nb && i < j; i++, j--) {
            rs_level t = lv[i]; lv[i] = lv[j]; lv[j] = t;
        }
        for (uint32_t i = nb, j = nl - 1; na && i < j; i++, j--) {
            rs_level t = lv[i]; lv[i] = lv[j]; lv[j] = t;
        }
    }
    out->n_bids = (uint16_t)nb;
    out->n_asks = (uint16_t)na;
    out->first_update_id = 0;
    return RS_OK;
}
