/* Venue latencies measured from a journal (see lat_table.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/config.h"
#include "ringside/event.h"
#include "ringside/journal.h"
#include "ringside/lat_table.h"
#include "ringside/mem.h"

/* The exec stage's local reject codes (exec_stage.h enum rs_xrej, which core
 * cannot include): -10001 and below, a thousand of them reserved. */
#define LOCAL_REJ_HI (-10001)
#define LOCAL_REJ_LO (-10999)

/* One block: the table, then ack_ns[n], then fill_ns[n]. */
static rs_lat_table *alloc_table(uint32_t n)
{
    size_t sz = sizeof(rs_lat_table) + 2 * (size_t)n * sizeof(int64_t);
    rs_lat_table *t = rs_mem_alloc(sz, 64, "latency table");
    if (!t)
        return NULL;
    memset(t, 0, sizeof *t);
    t->n = n;
    t->ack_ns = (const int64_t *)(t + 1);
    t->fill_ns = t->ack_ns + n;
    return t;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest rank: the smallest sample with at least p% of them at or below. */
static int64_t rank(const int64_t *sorted, uint32_t n, double p)
{
    if (!n)
        return 0;
    double r = p / 100.0 * (double)n;
    uint32_t k = (uint32_t)r;
    if ((double)k < r)
        k++;
    return sorted[k ? k - 1 : 0];
}

/* Percentiles, on a scratch copy (control path). */
static int finish(rs_lat_table *t)
{
    int64_t *s = rs_mem_alloc((size_t)t->n * sizeof *s, 8, "latency table sort");
    if (!s) {
        rs_lat_table_destroy(t);
        return rs_err_set(ENOMEM, "latency table: out of memory");
    }
    memcpy(s, t->ack_ns, (size_t)t->n * sizeof *s);
    qsort(s, t->n, sizeof *s, cmp_i64);
    t->ack_min_ns = s[0];
    t->ack_max_ns = s[t->n - 1];
    t->ack_p50_ns = rank(s, t->n, 50);
    t->ack_p99_ns = rank(s, t->n, 99);
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (t->fill_ns[i] >= 0)
            s[k++] = t->fill_ns[i];
    t->n_fill = k;
    qsort(s, k, sizeof *s, cmp_i64);
    t->fill_p50_ns = rank(s, k, 50);
    t->fill_p99_ns = rank(s, k, 99);
    rs_mem_free(s);
    return 0;
}

static int check_model(int32_t model, const char *source)
{
    if (model != RS_LAT_TABLE && model != RS_LAT_SEQUENCE)
        return rs_err_set(EINVAL, "%s: latency model %d is neither table nor sequence", source, (int)model);
    return 0;
}

int rs_lat_table_create(rs_lat_table **out, const int64_t *ack_ns, const int64_t *fill_ns, uint32_t n,
                        int32_t model, const char *source)
{
    *out = NULL;
    if (!source)
        source = "(latency samples)";
    int rc = check_model(model, source);
    if (rc)
        return rc;
    if (!n || n > RS_LAT_MAX_SAMPLES || !ack_ns)
        return rs_err_set(EINVAL, "%s: %u latency samples (need 1..%u)", source, n, RS_LAT_MAX_SAMPLES);
    for (uint32_t i = 0; i < n; i++) {
        if (ack_ns[i] < 0)
            return rs_err_set(EINVAL, "%s: sample %u: negative latency %" PRId64 " ns", source, i, ack_ns[i]);
        if (fill_ns && fill_ns[i] < -1)
            return rs_err_set(EINVAL, "%s: sample %u: fill latency %" PRId64 " ns (>= 0, or -1 for none)", source, i,
                              fill_ns[i]);
    }
    rs_lat_table *t = alloc_table(n);
    if (!t)
        return rs_err_set(ENOMEM, "%s: out of memory for %u latency samples", source, n);
    memcpy((int64_t *)t->ack_ns, ack_ns, (size_t)n * sizeof *ack_ns);
    for (uint32_t i = 0; i < n; i++)
        ((int64_t *)t->fill_ns)[i] = fill_ns ? fill_ns[i] : -1;
    t->model = model;
    snprintf(t->source, sizeof t->source, "%s", source);
    if ((rc = finish(t)))
        return rc;
    *out = t;
    return 0;
}

void rs_lat_table_destroy(rs_lat_table *t) { rs_mem_free(t); }

/* ---- measuring --------------------------------------------------------------- */

/* client id -> the order's index; open addressing, sized up front. */
typedef struct ment {
    uint64_t cid;
    int64_t t0;
    uint32_t idx;
    uint8_t used, market, answered, filled;
} ment;

static uint64_t h64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static ment *mfind(ment *m, uint64_t mask, uint64_t cid, bool add)
{
    for (uint64_t i = h64(cid) & mask;; i = (i + 1) & mask) {
        if (!m[i].used)
            return add ? &m[i] : NULL;
        if (m[i].cid == cid)
            return &m[i];
    }
}

static bool is_place(const rs_rec *x)
{
    return x->type == RS_EV_ORDER && x->len >= sizeof(rs_ev_order) && ((const rs_ev_order *)x)->kind == RS_INT_NEW;
}

int rs_lat_table_measure(rs_lat_table **out, const char *path, int32_t model)
{
    *out = NULL;
    int rc = check_model(model, path);
    if (rc)
        return rc;
    rs_journal_reader *r = NULL;
    if ((rc = rs_journal_open(&r, path))) {
        char why[512];
        snprintf(why, sizeof why, "%s", rs_err_msg());
        return rs_err_set(-rc, "latency journal %s: %s", path, why);
    }
    const rs_rec *x;
    uint64_t places = 0;
    while (rs_journal_next(r, &x, NULL) > 0)
        places += is_place(x);
    const rs_journal_status *st = rs_journal_get_status(r);
    if (st->tail == RS_JTAIL_CORRUPT) {
        rc = rs_err_set(RS_ECORRUPT, "latency journal %s: corrupt at %s offset %" PRIu64 " (%s): refusing to measure "
                                     "latencies from a damaged journal (`ringside journal verify` shows the damage)",
                        path, st->bad_file, st->bad_offset, st->reason);
        rs_journal_close(r);
        return rc;
    }
    if (places > RS_LAT_MAX_SAMPLES)
        places = RS_LAT_MAX_SAMPLES;
    uint64_t cap = 64;
    while (cap < 2 * places + 2)
        cap <<= 1;
    ment *m = rs_mem_alloc(cap * sizeof *m, 64, "latency map");
    int64_t *ack = rs_mem_alloc((places + 1) * sizeof *ack, 8, "latency samples");
    int64_t *fill = rs_mem_alloc((places + 1) * sizeof *fill, 8, "latency samples");
    if (!m || !ack || !fill) {
        rc = rs_err_set(ENOMEM, "latency journal %s: out of memory for %" PRIu64 " orders", path, places);
        goto out;
    }
    memset(m, 0, cap * sizeof *m);
    uint64_t orders = 0, local = 0, negative = 0;
    rs_journal_rewind(r);
    while (rs_journal_next(r, &x, NULL) > 0) {
        if (is_place(x)) {
            const rs_ev_order *o = (const rs_ev_order *)x;
            if (orders == places)
                continue;   /* more than RS_LAT_MAX_SAMPLES orders: the first ones are plenty */
            ment *e = mfind(m, cap - 1, o->client_id, true);
            if (e->used)
                continue;   /* a re-send of the same client id: the first one starts the clock */
            *e = (ment){.cid = o->client_id, .t0 = x->ts, .idx = (uint32_t)orders, .used = 1,
                        .market = o->ord_type == RS_ORD_MARKET};
            ack[orders] = -1;
            fill[orders] = -1;
            orders++;
            continue;
        }
        if (x->type != RS_EV_EXEC_REPORT || x->len < sizeof(rs_ev_exec_report))
            continue;
        const rs_ev_exec_report *er = (const rs_ev_exec_report *)x;
        ment *e = mfind(m, cap - 1, er->client_id, false);
        if (!e)
            continue;
        int64_t d = x->ts - e->t0;
        if (!e->answered) {
            /* the exec stage's own reports carry no venue time */
            if (er->state == RS_OS_PENDING_NEW && !er->is_fill)
                continue;
            e->answered = 1;
            if (er->reject_code <= LOCAL_REJ_HI && er->reject_code >= LOCAL_REJ_LO) {
                local++;
                e->filled = 1;
                continue;
            }
            if (er->state == RS_OS_UNKNOWN) {
                e->filled = 1;
                continue;
            }
            if (d < 0) {
                negative++;
                e->filled = 1;
                continue;
            }
            ack[e->idx] = d;
        }
        if (er->is_fill && !e->filled) {
            e->filled = 1;
            if (e->market && d >= 0)
                fill[e->idx] = d;
        }
    }
    /* compact: the answered orders, in journal order */
    uint32_t n = 0;
    for (uint64_t i = 0; i < orders; i++)
        if (ack[i] >= 0) {
            ack[n] = ack[i];
            fill[n] = fill[i];
            n++;
        }
    if (!n) {
        rc = rs_err_set(ENODATA, "latency journal %s: no measurable order latencies (%" PRIu64 " orders placed, %" PRIu64
                                 " without a venue answer, %" PRIu64 " rejected locally, %" PRIu64
                                 " answered before they were sent): the table/sequence latency model needs a journal "
                                 "of a session whose orders the venue answered",
                        path, orders, orders - local - negative, local, negative);
        goto out;
    }
    rs_lat_table *t;
    if ((rc = rs_lat_table_create(&t, ack, fill, n, model, path)))
        goto out;
    t->orders = orders;
    t->local = local;
    t->negative = negative;
    t->unanswered = orders - n - local - negative;
    *out = t;
out:
    rs_mem_free(m);
    rs_mem_free(ack);
    rs_mem_free(fill);
    rs_journal_close(r);
    return rc;
}

/* ---- text form ------------------------------------------------------------------ */

static const char *model_name(int32_t m) { return m == RS_LAT_SEQUENCE ? "sequence" : "table"; }

int rs_lat_table_to_text(const rs_lat_table *t, char **text, size_t *len)
{
    size_t cap = 128 + strlen(t->source) + (size_t)t->n * 44;
    char *b = rs_mem_alloc(cap, 8, "latency table text");
    if (!b)
        return rs_err_set(ENOMEM, "latency table: out of memory");
    size_t k = (size_t)snprintf(b, cap, "ringside-latency-table 1\nmodel %s\nsource %s\nsamples %u\n",
                                model_name(t->model), t->source, t->n);
    for (uint32_t i = 0; i < t->n && k < cap; i++)
        k += (size_t)snprintf(b + k, cap - k, "%" PRId64 " %" PRId64 "\n", t->ack_ns[i], t->fill_ns[i]);
    *text = b;
    *len = k;
    return 0;
}

/* Next line of [*p, end) into buf (NUL-terminated, newline dropped). */
static bool next_line(const char **p, const char *end, char *buf, size_t n, unsigned *line)
{
    if (*p >= end)
        return false;
    const char *nl = memchr(*p, '\n', (size_t)(end - *p));
    size_t k = (size_t)((nl ? nl : end) - *p);
    size_t c = k < n - 1 ? k : n - 1;
    memcpy(buf, *p, c);
    buf[c] = 0;
    if (k >= n)
        buf[0] = 1;   /* longer than any valid line: forces a parse error */
    *p = nl ? nl + 1 : end;
    (*line)++;
    return true;
}

static bool parse_i64(const char *s, char **end, int64_t *v)
{
    errno = 0;
    long long x = strtoll(s, end, 10);
    if (errno || *end == s)
        return false;
    *v = x;
    return true;
}

int rs_lat_table_parse(rs_lat_table **out, const char *name, const void *text, size_t len)
{
    *out = NULL;
    const char *p = text, *end = p + len;
    char buf[320];
    unsigned line = 0;
    int32_t model = 0;
    unsigned long n = 0;
    char source[256] = "";
    if (!next_line(&p, end, buf, sizeof buf, &line) || strcmp(buf, "ringside-latency-table 1"))
        return rs_err_set(RS_ECORRUPT, "%s:1: not a ringside latency table (expected 'ringside-latency-table 1')",
                          name);
    if (!next_line(&p, end, buf, sizeof buf, &line) ||
        (strcmp(buf, "model table") && strcmp(buf, "model sequence")))
        return rs_err_set(RS_ECORRUPT, "%s:%u: expected 'model table' or 'model sequence'", name, line);
    model = strcmp(buf, "model table") ? RS_LAT_SEQUENCE : RS_LAT_TABLE;
    if (!next_line(&p, end, buf, sizeof buf, &line) || strncmp(buf, "source ", 7))
        return rs_err_set(RS_ECORRUPT, "%s:%u: expected 'source PATH'", name, line);
    size_t sl = strnlen(buf + 7, sizeof source - 1);
    memcpy(source, buf + 7, sl);   /* a longer path is cut: it only names the table */
    source[sl] = 0;
    char *e;
    if (!next_line(&p, end, buf, sizeof buf, &line) || strncmp(buf, "samples ", 8) ||
        (errno = 0, n = strtoul(buf + 8, &e, 10), errno || *e || n == 0 || n > RS_LAT_MAX_SAMPLES))
        return rs_err_set(RS_ECORRUPT, "%s:%u: expected 'samples N' with 1 <= N <= %u", name, line,
                          RS_LAT_MAX_SAMPLES);
    rs_lat_table *t = alloc_table((uint32_t)n);
    if (!t)
        return rs_err_set(ENOMEM, "%s: out of memory for %lu latency samples", name, n);
    int64_t *ack = (int64_t *)t->ack_ns, *fill = (int64_t *)t->fill_ns;
    for (unsigned long i = 0; i < n; i++) {
        int64_t a, f;
        bool got = next_line(&p, end, buf, sizeof buf, &line);
        if (!got || !parse_i64(buf, &e, &a) || *e != ' ' || !parse_i64(e + 1, &e, &f) || *e || a < 0 || f < -1) {
            rs_lat_table_destroy(t);
            return rs_err_set(RS_ECORRUPT, "%s:%u: expected 'ACK_NS FILL_NS' (ACK_NS >= 0, FILL_NS >= -1), sample %lu of %lu%s",
                              name, got ? line : line + 1, i + 1, n, got ? "" : " (the text ends before it)");
        }
        ack[i] = a;
        fill[i] = f;
    }
    while (next_line(&p, end, buf, sizeof buf, &line))
        if (buf[0]) {
            rs_lat_table_destroy(t);
            return rs_err_set(RS_ECORRUPT, "%s:%u: more lines than the %lu samples announced", name, line, n);
        }
    t->model = model;
    snprintf(t->source, sizeof t->source, "%s", source);
    int rc = finish(t);
    if (rc)
        return rc;
    *out = t;
    return 0;
}

void rs_lat_table_describe(const rs_lat_table *t, char *buf, size_t n)
{
    int k = snprintf(buf, n, "%s, %u samples from %s: ack p50 %.3f ms, p99 %.3f ms", model_name(t->model), t->n,
                     t->source, (double)t->ack_p50_ns / 1e6, (double)t->ack_p99_ns / 1e6);
    if (t->n_fill && k > 0 && (size_t)k < n)
        snprintf(buf + k, n - (size_t)k, "; first fill (%u) p50 %.3f ms, p99 %.3f ms", t->n_fill,
                 (double)t->fill_p50_ns / 1e6, (double)t->fill_p99_ns / 1e6);
}
