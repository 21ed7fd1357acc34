/* ringside journal -- inspect journals: stat, cat, verify, latency, export,
 * blobs, synth. Everything reads through rs_journal_next, so no tool ever
 * shows a record past a damaged one. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "journal_prune.h"
#include "journal_fmt.h"
#include "ringside/hist.h"
#include "ringside/journal.h"
#include "ringside/mem.h"
#include "ringside/recorder.h"

static const char usage[] =
    "usage: ringside journal <command> JOURNAL [options]\n"
    "  JOURNAL is a journal directory (or one segment file).\n"
    "commands:\n"
    "  stat     records per type and stream, time span, rates, gaps, size, tail state\n"
    "           [--json]\n"
    "  cat      records, one per line [--json] [--type T[,T..]] [--stream S[,S..]]\n"
    "           [--from TIME] [--to TIME] [--limit N]; TIME: ns since epoch or\n"
    "           YYYY-MM-DDTHH:MM:SS[.fff]Z, compared with the record's ts\n"
    "  verify   check every header, CRC, frame and per-stream sequence; exit 1\n"
    "           naming segment and offset on any problem\n"
    "  latency  per-stage latency percentiles from ts_local of outputs vs inputs\n"
    "           [--json] (method: docs/journal.md)\n"
    "  export   CSV of one kind: --type bars|features|predictions|decisions|orders|fills\n"
    "           [-o FILE] (default stdout)\n"
    "  blobs    list the embedded config/model files [--extract DIR]\n"
    "  synth    write a synthetic journal with every record type (tests, demos)\n"
    "           [--bars N] [--seed N]\n"
    "  prune    retention: `journal prune ROOT --keep-days D | --keep-bytes SIZE ...`\n"
    "           removes whole sealed sessions, oldest first (`journal prune --help`)\n"
    "exit: 0 ok; 1 problem found or failure; 2 usage\n";

/* ---- shared ------------------------------------------------------------- */

static int open_j(const char *path, rs_journal_reader **r)
{
    int rc = rs_journal_open(r, path);
    if (rc) {
        fprintf(stderr, "ringside journal: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    return 0;
}

static void tail_note(const rs_journal_status *st)
{
    if (st->tail == RS_JTAIL_TORN || st->tail == RS_JTAIL_CORRUPT)
        fprintf(stderr,
                "ringside journal: %s tail at %s offset %" PRIu64 ": %s (%" PRIu64
                " bytes after it not read; %" PRIu64 " good records before it)\n",
                rs_jtail_name(st->tail), st->bad_file, st->bad_offset, st->reason, st->bad_bytes, st->records);
}

static const char *sname(uint16_t s)
{
    if (s == RS_JSTREAM_RECORDER)
        return "recorder";
    const char *n = rs_stream_name(s);
    return n ? n : "?";
}

static int parse_time(const char *s, int64_t *out)
{
    char *end;
    long long v = strtoll(s, &end, 10);
    if (*end == '\0') {
        *out = v;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!p)
        return -1;
    int64_t frac = 0, scale = 1000000000;
    if (*p == '.') {
        p++;
        while (*p >= '0' && *p <= '9') {
            scale /= 10;
            frac += (*p - '0') * scale;
            p++;
        }
    }
    if (*p == 'Z')
        p++;
    if (*p)
        return -1;
    *out = (int64_t)timegm(&tm) * 1000000000ll + frac;
    return 0;
}

static void fmt_utc(char *buf, size_t n, int64_t ns)
{
    time_t t = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    size_t k = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + k, n - k, ".%03dZ", (int)((ns % 1000000000) / 1000000));
}

/* ---- stat --------------------------------------------------------------- */

static int cmd_stat(const char *path, bool json)
{
    rs_journal_reader *r;
    if (open_j(path, &r))
        return RS_EXIT_FAIL;
    static uint64_t per_type[RS_STREAM_MAX][RS_EV_TYPE_MAX + 1];
    static uint64_t first_seq[RS_STREAM_MAX];
    memset(per_type, 0, sizeof per_type);
    memset(first_seq, 0, sizeof first_seq);
    int64_t ts_min = INT64_MAX, ts_max = INT64_MIN, tl_min = INT64_MAX, tl_max = INT64_MIN;
    uint64_t rec_bytes = 0;
    const rs_rec *x;
    while (rs_journal_next(r, &x, NULL) > 0) {
        uint16_t t = x->type < RS_EV_TYPE_MAX ? x->type : RS_EV_TYPE_MAX;
        per_type[x->stream][t]++;
        if (!first_seq[x->stream])
            first_seq[x->stream] = x->seq;
        if (x->stream != RS_JSTREAM_RECORDER && x->ts > 0) {   /* 0: no logical time */
            if (x->ts < ts_min) ts_min = x->ts;
            if (x->ts > ts_max) ts_max = x->ts;
            if (x->ts_local < tl_min) tl_min = x->ts_local;
            if (x->ts_local > tl_max) tl_max = x->ts_local;
        }
        rec_bytes += x->len;
    }
    const rs_journal_status *st = rs_journal_get_status(r);
    const rs_jseg_hdr *h = rs_journal_header(r);
    double span_s = tl_max > tl_min ? (double)(tl_max - tl_min) / 1e9 : 0;
    double rate = span_s > 0 ? (double)st->records / span_s : 0;
    unsigned nb;
    const rs_journal_blob *bl = rs_journal_blobs(r, &nb);
    char a[40] = "-", b[40] = "-", s0[40];
    if (ts_min <= ts_max) {
        fmt_utc(a, sizeof a, ts_min);
        fmt_utc(b, sizeof b, ts_max);
    }
    fmt_utc(s0, sizeof s0, h->start_ns);
    if (json) {
        printf("{\"journal\":\"%s\",\"instance\":\"%s\",\"start\":\"%s\",\"segments\":%u,\"bytes\":%" PRIu64
               ",\"record_bytes\":%" PRIu64 ",\"records\":%" PRIu64 ",\"tail\":\"%s\"",
               path, h->instance, s0, st->segments, st->bytes, rec_bytes, st->records, rs_jtail_name(st->tail));
        printf(",\"ts_first\":%" PRId64 ",\"ts_last\":%" PRId64 ",\"span_s\":%.6f,\"records_per_s\":%.1f",
               ts_min <= ts_max ? ts_min : 0, ts_min <= ts_max ? ts_max : 0, span_s, rate);
        printf(",\"lost\":%" PRIu64 ",\"lost_explained\":%" PRIu64 ",\"seq_errors\":%" PRIu64 ",\"streams\":{",
               st->lost, st->lost_explained, st->seq_errors);
        int ns = 0;
        for (int s = 0; s < RS_STREAM_MAX; s++) {
            if (!st->per_stream[s])
                continue;
            printf("%s\"%s\":{\"records\":%" PRIu64 ",\"first_seq\":%" PRIu64 ",\"last_seq\":%" PRIu64
                   ",\"types\":{",
                   ns++ ? "," : "", sname((uint16_t)s), st->per_stream[s], first_seq[s], st->last_seq[s]);
            int nt = 0;
            for (int t = 0; t <= RS_EV_TYPE_MAX; t++)
                if (per_type[s][t]) {
                    const char *tn = rs_ev_type_name((uint16_t)t);
                    printf("%s\"%s\":%" PRIu64, nt++ ? "," : "", tn ? tn : "unknown", per_type[s][t]);
                }
            printf("}}");
        }
        printf("},\"gaps\":[");
        for (uint32_t i = 0; i < st->n_gaps; i++)
            printf("%s{\"stream\":\"%s\",\"from\":%" PRIu64 ",\"to\":%" PRIu64 ",\"explained\":%s}", i ? "," : "",
                   sname(st->gaps[i].stream), st->gaps[i].from_seq, st->gaps[i].to_seq,
                   st->gaps[i].explained ? "true" : "false");
        printf("],\"blobs\":[");
        for (unsigned i = 0; i < nb; i++)
            printf("%s{\"kind\":%u,\"name\":\"%s\",\"size\":%" PRIu64 "}", i ? "," : "", bl[i].kind, bl[i].name,
                   bl[i].size);
        printf("]}\n");
    } else {
        printf("journal    %s\ninstance   %s (started %s)\n", path, h->instance, s0);
        printf("segments   %u, %" PRIu64 " bytes on disk, %" PRIu64 " record bytes\n", st->segments, st->bytes,
               rec_bytes);
        printf("records    %" PRIu64 "   tail: %s\n", st->records, rs_jtail_name(st->tail));
        printf("time span  %s .. %s (%.3f s local), %.1f records/s, %.2f MB/s\n", a, b, span_s, rate,
               span_s > 0 ? (double)rec_bytes / span_s / 1e6 : 0.0);
        printf("loss       %" PRIu64 " records in unexplained gaps, %" PRIu64
               " in recorder-journaled gaps, %" PRIu64 " duplicate/backwards seqs\n",
               st->lost, st->lost_explained, st->seq_errors);
        printf("\n%-10s %10s %12s %12s   types\n", "stream", "records", "first seq", "last seq");
        for (int s = 0; s < RS_STREAM_MAX; s++) {
            if (!st->per_stream[s])
                continue;
            printf("%-10s %10" PRIu64 " %12" PRIu64 " %12" PRIu64 "  ", sname((uint16_t)s), st->per_stream[s],
                   first_seq[s], st->last_seq[s]);
            for (int t = 0; t <= RS_EV_TYPE_MAX; t++)
                if (per_type[s][t]) {
                    const char *tn = rs_ev_type_name((uint16_t)t);
                    printf(" %s=%" PRIu64, tn ? tn : "unknown", per_type[s][t]);
                }
            printf("\n");
        }
        for (uint32_t i = 0; i < st->n_gaps; i++)
            printf("gap        stream %s seq %" PRIu64 "..%" PRIu64 " (%s) at global seq %" PRIu64 "\n",
                   sname(st->gaps[i].stream), st->gaps[i].from_seq, st->gaps[i].to_seq,
                   st->gaps[i].explained ? "journaled by the recorder" : "UNEXPLAINED", st->gaps[i].at_gseq);
        for (unsigned i = 0; i < nb; i++)
            printf("embedded   %s %s (%" PRIu64 " bytes)\n",
                   bl[i].kind == RS_JBLOB_CONFIG ? "config" : bl[i].kind == RS_JBLOB_MODEL ? "model " : "other ",
                   bl[i].name, bl[i].size);
    }
    tail_note(st);
    rs_journal_close(r);
    return RS_EXIT_OK;
}

/* ---- cat ---------------------------------------------------------------- */

static int parse_list(const char *s, bool *set, int max, bool streams)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        int id = -1;
        if (streams) {
            if (!strcmp(t, "recorder"))
                id = 0;
            for (int k = 1; k < RS_STREAM_MAX && id < 0; k++)
                if (rs_stream_name((uint16_t)k) && !strcmp(rs_stream_name((uint16_t)k), t))
                    id = k;
        } else {
            id = rs_ev_type_from_name(t);
            if (id == 0)
                id = -1;
        }
        if (id < 0 || id >= max)
            return -1;
        set[id] = true;
    }
    return 0;
}

static int cmd_cat(const char *path, int argc, char **argv)
{
    bool json = false, tsel = false, ssel = false;
    bool types[RS_EV_TYPE_MAX] = {0}, streams[RS_STREAM_MAX] = {0};
    int64_t from = INT64_MIN, to = INT64_MAX;
    uint64_t limit = UINT64_MAX;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--json")) {
            json = true;
        } else if (!strcmp(a, "--type") && v) {
            if (parse_list(v, types, RS_EV_TYPE_MAX, false))
                return rs_cli_usage_error(usage, "journal cat: unknown type in '%s'", v);
            tsel = true, i++;
        } else if (!strcmp(a, "--stream") && v) {
            if (parse_list(v, streams, RS_STREAM_MAX, true))
                return rs_cli_usage_error(usage, "journal cat: unknown stream in '%s'", v);
            ssel = true, i++;
        } else if (!strcmp(a, "--from") && v) {
            if (parse_time(v, &from))
                return rs_cli_usage_error(usage, "journal cat: bad time '%s'", v);
            i++;
        } else if (!strcmp(a, "--to") && v) {
            if (parse_time(v, &to))
                return rs_cli_usage_error(usage, "journal cat: bad time '%s'", v);
            i++;
        } else if (!strcmp(a, "--limit") && v) {
            limit = strtoull(v, NULL, 10), i++;
        } else {
            return rs_cli_usage_error(usage, "journal cat: unknown option %s", a);
        }
    }
    rs_journal_reader *r;
    if (open_j(path, &r))
        return RS_EXIT_FAIL;
    const rs_rec *x;
    rs_journal_pos pos;
    uint64_t shown = 0;
    while (shown < limit && rs_journal_next(r, &x, &pos) > 0) {
        if (tsel && (x->type >= RS_EV_TYPE_MAX || !types[x->type]))
            continue;
        if (ssel && !streams[x->stream])
            continue;
        if (x->ts < from || x->ts > to)
            continue;
        rs_jfmt_record(stdout, x, pos.gseq, json);
        shown++;
    }
    fflush(stdout);
    const rs_journal_status *st = rs_journal_get_status(r);
    tail_note(st);
    int rc = (st->tail == RS_JTAIL_TORN || st->tail == RS_JTAIL_CORRUPT) ? RS_EXIT_FAIL : RS_EXIT_OK;
    rs_journal_close(r);
    return rc;
}

/* ---- verify ------------------------------------------------------------- */

static int cmd_verify(const char *path)
{
    rs_journal_reader *r;
    if (open_j(path, &r))
        return RS_EXIT_FAIL;
    int rc = rs_journal_verify(r);
    const rs_journal_status *st = rs_journal_get_status(r);
    for (uint32_t i = 0; i < st->n_gaps; i++)
        fprintf(stderr, "ringside journal verify: %s gap: stream %s seq %" PRIu64 "..%" PRIu64 " (%" PRIu64
                        " records) at global seq %" PRIu64 "\n",
                st->gaps[i].explained ? "recorder-journaled" : "UNEXPLAINED", sname(st->gaps[i].stream),
                st->gaps[i].from_seq, st->gaps[i].to_seq, st->gaps[i].to_seq - st->gaps[i].from_seq + 1,
                st->gaps[i].at_gseq);
    if (rc) {
        fprintf(stderr, "ringside journal verify: FAILED: %s\n", rs_err_msg());
        rs_journal_close(r);
        return RS_EXIT_FAIL;
    }
    printf("ok: %u segments, %" PRIu64 " records, every CRC and sequence checked, tail %s%s\n", st->segments,
           st->records, rs_jtail_name(st->tail),
           st->tail == RS_JTAIL_OPEN ? " (not sealed: recorder still running or stopped without closing)" : "");
    if (st->lost_explained)
        printf("note: %" PRIu64 " records were lost before the recorder saw them (journaled gaps)\n",
               st->lost_explained);
    rs_journal_close(r);
    return RS_EXIT_OK;
}

/* ---- latency -------------------------------------------------------------- */

/* Open-addressing map (k1, k2) -> earliest ts_local. Tool memory, sized from
 * the record count up front. */
typedef struct lent {
    uint64_t k1, k2;
    int64_t v;
    uint8_t used;
} lent;
typedef struct lmap {
    lent *e;
    uint64_t mask;
} lmap;

static int lmap_init(lmap *m, uint64_t n)
{
    uint64_t cap = 1024;
    while (cap < 2 * n + 16)
        cap <<= 1;
    m->e = rs_mem_alloc(cap * sizeof(lent), 64, "latency map");
    m->mask = cap - 1;
    return m->e ? 0 : -ENOMEM;
}

static uint64_t lhash(uint64_t a, uint64_t b)
{
    uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xC2B2AE3D27D4EB4Full;
    return x ^ (x >> 29);
}

static void lmap_put_min(lmap *m, uint64_t k1, uint64_t k2, int64_t v)
{
    for (uint64_t i = lhash(k1, k2) & m->mask;; i = (i + 1) & m->mask) {
        lent *e = &m->e[i];
        if (!e->used) {
            *e = (lent){k1, k2, v, 1};
            return;
        }
        if (e->k1 == k1 && e->k2 == k2) {
            if (v < e->v)
                e->v = v;
            return;
        }
    }
}

static bool lmap_get(const lmap *m, uint64_t k1, uint64_t k2, int64_t *v)
{
    for (uint64_t i = lhash(k1, k2) & m->mask;; i = (i + 1) & m->mask) {
        const lent *e = &m->e[i];
        if (!e->used)
            return false;
        if (e->k1 == k1 && e->k2 == k2) {
            *v = e->v;
            return true;
        }
    }
}

enum { E_FEAT, E_MODEL, E_GATE, E_EXEC, E_T2O, E_VENUE, E_MDAGE, E_N };
static const char *const edge_name[E_N] = {"features", "model", "gate", "exec", "tick_to_order",
                                           "venue_ack", "md_age"};
static const char *const edge_desc[E_N] = {
    "features out (ts_local) - md/timer in with the same ts",
    "prediction - features of the same (sym, bar_end)",
    "decision - prediction of the same (sym, bar_end)",
    "order on the wire - intent with the same client_id",
    "order - first md/timer record with the order's ts",
    "first exec report - order with the same client_id",
    "md record ts_local - ts (venue time to local receive; clock offset included)",
};

static int cmd_latency(const char *path, bool json)
{
    rs_journal_reader *r;
    if (open_j(path, &r))
        return RS_EXIT_FAIL;
    const rs_rec *x;
    while (rs_journal_next(r, &x, NULL) > 0) {
    }
    uint64_t n = rs_journal_get_status(r)->records;
    /* inputs: md by ts, features by (sym,bar_end), predictions by (sym,bar_end),
     * intents by client_id, orders by client_id */
    lmap m_md, m_feat, m_pred, m_int, m_ord, m_rep;
    if (lmap_init(&m_md, n) || lmap_init(&m_feat, n) || lmap_init(&m_pred, n) || lmap_init(&m_int, n) ||
        lmap_init(&m_ord, n) || lmap_init(&m_rep, n)) {
        fprintf(stderr, "ringside journal latency: out of memory\n");
        return RS_EXIT_FAIL;
    }
    rs_journal_rewind(r);
    while (rs_journal_next(r, &x, NULL) > 0) {
        if (x->stream == RS_STREAM_MD && (x->type == RS_EV_TRADE || x->type == RS_EV_BBO ||
                                          x->type == RS_EV_DEPTH || x->type == RS_EV_TIMER))
            lmap_put_min(&m_md, (uint64_t)x->ts, 0, x->ts_local);
        else if (x->type == RS_EV_FEATURES && x->len >= sizeof(rs_ev_features))
            lmap_put_min(&m_feat, ((const rs_ev_features *)x)->sym, (uint64_t)((const rs_ev_features *)x)->bar_end_ns,
                         x->ts_local);
        else if (x->type == RS_EV_PREDICTION && x->len >= sizeof(rs_ev_prediction))
            lmap_put_min(&m_pred, ((const rs_ev_prediction *)x)->sym,
                         (uint64_t)((const rs_ev_prediction *)x)->bar_end_ns, x->ts_local);
        else if (x->type == RS_EV_INTENT && x->len >= sizeof(rs_ev_intent))
            lmap_put_min(&m_int, ((const rs_ev_intent *)x)->client_id, 0, x->ts_local);
        else if (x->type == RS_EV_ORDER && x->len >= sizeof(rs_ev_order))
            lmap_put_min(&m_ord, ((const rs_ev_order *)x)->client_id, 0, x->ts_local);
        else if (x->type == RS_EV_EXEC_REPORT && x->len >= sizeof(rs_ev_exec_report))
            lmap_put_min(&m_rep, ((const rs_ev_exec_report *)x)->client_id, 0, x->ts_local);
    }
    static rs_hist hs[E_N];
    uint64_t unmatched[E_N] = {0}, negative[E_N] = {0};
    for (int i = 0; i < E_N; i++)
        rs_hist_init(&hs[i]);
#define ADD(E, found, in)                                \
    do {                                                 \
        if (!(found))                                    \
            unmatched[E]++;                              \
        else if (x->ts_local < (in))                     \
            negative[E]++;                               \
        else                                             \
            rs_hist_add(&hs[E], (uint64_t)(x->ts_local - (in))); \
    } while (0)
    rs_journal_rewind(r);
    int64_t in;
    while (rs_journal_next(r, &x, NULL) > 0) {
        bool f;
        switch (x->type) {
        case RS_EV_FEATURES:
            f = lmap_get(&m_md, (uint64_t)x->ts, 0, &in);
            ADD(E_FEAT, f, in);
            break;
        case RS_EV_PREDICTION:
            if (x->len < sizeof(rs_ev_prediction))
                break;
            f = lmap_get(&m_feat, ((const rs_ev_prediction *)x)->sym,
                         (uint64_t)((const rs_ev_prediction *)x)->bar_end_ns, &in);
            ADD(E_MODEL, f, in);
            break;
        case RS_EV_DECISION:
            if (x->len < sizeof(rs_ev_decision))
                break;
            f = lmap_get(&m_pred, ((const rs_ev_decision *)x)->sym, (uint64_t)((const rs_ev_decision *)x)->bar_end_ns,
                         &in);
            ADD(E_GATE, f, in);
            break;
        case RS_EV_ORDER:
            if (x->len < sizeof(rs_ev_order))
                break;
            f = lmap_get(&m_int, ((const rs_ev_order *)x)->client_id, 0, &in);
            ADD(E_EXEC, f, in);
            f = lmap_get(&m_md, (uint64_t)x->ts, 0, &in);
            ADD(E_T2O, f, in);
            break;
        case RS_EV_EXEC_REPORT: {
            if (x->len < sizeof(rs_ev_exec_report))
                break;
            uint64_t cid = ((const rs_ev_exec_report *)x)->client_id;
            int64_t first;
            /* only the first report of an order measures the venue's ack */
            if (lmap_get(&m_rep, cid, 0, &first) && first == x->ts_local) {
                f = lmap_get(&m_ord, cid, 0, &in);
                ADD(E_VENUE, f, in);
                lmap_put_min(&m_rep, cid, 0, INT64_MIN);   /* count once */
            }
            break;
        }
        case RS_EV_TRADE:
        case RS_EV_BBO:
        case RS_EV_DEPTH:
            if (x->stream == RS_STREAM_MD) {
                in = x->ts;
                ADD(E_MDAGE, true, in);
            }
            break;
        default:
            break;
        }
    }
#undef ADD
    if (!json)
        printf("%-14s %9s %9s %10s %10s %10s %10s %10s  method\n", "stage", "n", "unmatched", "p50_us", "p90_us",
               "p99_us", "p99.9_us", "max_us");
    for (int i = 0; i < E_N; i++) {
        const rs_hist *h = &hs[i];
        double p50 = rs_hist_pct(h, 50) / 1e3, p90 = rs_hist_pct(h, 90) / 1e3, p99 = rs_hist_pct(h, 99) / 1e3,
               p999 = rs_hist_pct(h, 99.9) / 1e3, mx = h->count ? h->max / 1e3 : 0;
        if (json)
            printf("{\"stage\":\"%s\",\"n\":%" PRIu64 ",\"unmatched\":%" PRIu64 ",\"negative\":%" PRIu64
                   ",\"unit\":\"us\",\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,"
                   "\"method\":\"%s\"}\n",
                   edge_name[i], h->count, unmatched[i], negative[i], p50, p90, p99, p999, mx, edge_desc[i]);
        else
            printf("%-14s %9" PRIu64 " %9" PRIu64 " %10.3f %10.3f %10.3f %10.3f %10.3f  %s%s\n", edge_name[i], h->count,
                   unmatched[i], p50, p90, p99, p999, mx, edge_desc[i], negative[i] ? " (some negative: skipped)" : "");
    }
    tail_note(rs_journal_get_status(r));
    rs_mem_free(m_md.e), rs_mem_free(m_feat.e), rs_mem_free(m_pred.e), rs_mem_free(m_int.e);
    rs_mem_free(m_ord.e), rs_mem_free(m_rep.e);
    rs_journal_close(r);
    return RS_EXIT_OK;
}

/* ---- export ------------------------------------------------------------- */

static void csv_d(FILE *f, double v)
{
    if (isnan(v))
        fputs(",nan", f);
    else if (isinf(v))
        fputs(v > 0 ? ",inf" : ",-inf", f);
    else
        fprintf(f, ",%.17g", v);
}

static void csv_hdr(FILE *f, const rs_rec *x, uint64_t g)
{
    fprintf(f, "%" PRIu64 ",%u,%" PRIu64 ",%" PRId64 ",%" PRId64, g, x->stream, x->seq, x->ts, x->ts_local);
}

enum { X_BARS, X_FEATURES, X_PREDICTIONS, X_DECISIONS, X_ORDERS, X_FILLS, X_N };
static const char *const x_names[X_N] = {"bars", "features", "predictions", "decisions", "orders", "fills"};

static bool x_match(int kind, const rs_rec *x)
{
    switch (kind) {
    case X_BARS: return x->type == RS_EV_BAR && x->len >= sizeof(rs_ev_bar);
    case X_FEATURES: return x->type == RS_EV_FEATURES && x->len >= sizeof(rs_ev_features);
    case X_PREDICTIONS: return x->type == RS_EV_PREDICTION && x->len >= sizeof(rs_ev_prediction);
    case X_DECISIONS: return x->type == RS_EV_DECISION && x->len >= sizeof(rs_ev_decision);
    case X_ORDERS: return x->type == RS_EV_ORDER && x->len >= sizeof(rs_ev_order);
    case X_FILLS:
        return x->type == RS_EV_EXEC_REPORT && x->len >= sizeof(rs_ev_exec_report) &&
               ((const rs_ev_exec_report *)x)->is_fill;
    }
    return false;
}

static int cmd_export(const char *path, int argc, char **argv)
{
    int kind = -1;
    const char *out = NULL;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--type") && v) {
            for (int k = 0; k < X_N; k++)
                if (!strcmp(v, x_names[k]))
                    kind = k;
            if (kind < 0)
                return rs_cli_usage_error(usage, "journal export: unknown --type '%s'", v);
            i++;
        } else if (!strcmp(a, "-o") && v) {
            out = v, i++;
        } else {
            return rs_cli_usage_error(usage, "journal export: unknown option %s", a);
        }
    }
    if (kind < 0)
        return rs_cli_usage_error(usage, "journal export: --type is required");
    rs_journal_reader *r;
    if (open_j(path, &r))
        return RS_EXIT_FAIL;
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "ringside journal export: %s: %s\n", out, strerror(errno));
        rs_journal_close(r);
        return RS_EXIT_FAIL;
    }
    /* variable-width kinds: widest record first */
    const rs_rec *x;
    rs_journal_pos pos;
    uint32_t width = 0;
    if (kind == X_FEATURES || kind == X_DECISIONS) {
        while (rs_journal_next(r, &x, NULL) > 0) {
            if (!x_match(kind, x))
                continue;
            uint32_t w = kind == X_FEATURES ? ((const rs_ev_features *)x)->n : ((const rs_ev_decision *)x)->n;
            if (w > width)
                width = w;
        }
        if (width > RS_FEAT_MAX)
            width = RS_FEAT_MAX;
        rs_journal_rewind(r);
    }
    fputs("gseq,stream,seq,ts,ts_local", f);
    switch (kind) {
    case X_BARS:
        fputs(",sym,flags,start_ns,end_ns,open,high,low,close,volume,quote_volume,vwap,taker_buy_volume,count", f);
        break;
    case X_FEATURES:
        fputs(",sym,ready,kind,n,bar_end_ns,layout_hash", f);
        for (uint32_t i = 0; i < width; i++)
            fprintf(f, ",f%u", i);
        break;
    case X_PREDICTIONS:
        fputs(",sym,n_horizons,ready,bar_end_ns,model_sha256", f);
        for (int i = 0; i < RS_MAX_HORIZONS; i++)
            fprintf(f, ",raw%d", i);
        for (int i = 0; i < RS_MAX_HORIZONS; i++)
            fprintf(f, ",cal%d", i);
        fputs(",weighted_bps,z_edge,roll_mean,roll_std", f);
        break;
    case X_DECISIONS:
        fputs(",sym,action,n,reason,bar_end_ns,z_edge,weighted_bps,size", f);
        for (uint32_t i = 0; i < width; i++)
            fprintf(f, ",g%u_gate,g%u_pass,g%u_value,g%u_threshold", i, i, i, i);
        break;
    case X_ORDERS:
        fputs(",sym,side,ord_type,kind,tif,reduce_only,client_id,px,qty,wire_bytes,attempt", f);
        break;
    case X_FILLS:
        fputs(",sym,state,side,liquidity,source,client_id,venue_order_id,trade_id,last_px,last_qty,cum_qty,"
              "leaves_qty,fee,reject_code",
              f);
        break;
    }
    fputc('\n', f);
    uint64_t rows = 0;
    while (rs_journal_next(r, &x, &pos) > 0) {
        if (!x_match(kind, x))
            continue;
        csv_hdr(f, x, pos.gseq);
        switch (kind) {
        case X_BARS: {
            const rs_ev_bar *p = (const rs_ev_bar *)x;
            fprintf(f, ",%u,%u,%" PRId64 ",%" PRId64, p->sym, p->flags, p->start_ns, p->end_ns);
            csv_d(f, p->open), csv_d(f, p->high), csv_d(f, p->low), csv_d(f, p->close), csv_d(f, p->volume);
            csv_d(f, p->quote_volume), csv_d(f, p->vwap), csv_d(f, p->taker_buy_volume);
            fprintf(f, ",%" PRIu64, p->count);
            break;
        }
        case X_FEATURES: {
            const rs_ev_features *p = (const rs_ev_features *)x;
            uint32_t have = (uint32_t)((x->len - sizeof *p) / sizeof(double));
            uint32_t nv = p->n < have ? p->n : have;
            fprintf(f, ",%u,%u,%u,%u,%" PRId64 ",%" PRIu64, p->sym, p->ready, p->kind, p->n, p->bar_end_ns,
                    p->layout_hash);
            for (uint32_t i = 0; i < width; i++) {
                if (i < nv)
                    csv_d(f, p->v[i]);
                else
                    fputc(',', f);
            }
            break;
        }
        case X_PREDICTIONS: {
            const rs_ev_prediction *p = (const rs_ev_prediction *)x;
            fprintf(f, ",%u,%u,%u,%" PRId64 ",", p->sym, p->n_horizons, p->ready, p->bar_end_ns);
            for (int i = 0; i < 32; i++)
                fprintf(f, "%02x", p->model_sha256[i]);
            for (int i = 0; i < RS_MAX_HORIZONS; i++)
                csv_d(f, p->raw[i]);
            for (int i = 0; i < RS_MAX_HORIZONS; i++)
                csv_d(f, p->cal[i]);
            csv_d(f, p->weighted_bps), csv_d(f, p->z_edge), csv_d(f, p->roll_mean), csv_d(f, p->roll_std);
            break;
        }
        case X_DECISIONS: {
            const rs_ev_decision *p = (const rs_ev_decision *)x;
            uint32_t have = (uint32_t)((x->len - sizeof *p) / sizeof(rs_gate_verdict));
            uint32_t nv = p->n < have ? p->n : have;
            fprintf(f, ",%u,%u,%u,%u,%" PRId64, p->sym, p->action, p->n, p->reason, p->bar_end_ns);
            csv_d(f, p->z_edge), csv_d(f, p->weighted_bps), csv_d(f, p->size);
            for (uint32_t i = 0; i < width; i++) {
                if (i < nv) {
                    fprintf(f, ",%u,%u", p->g[i].gate, p->g[i].pass);
                    csv_d(f, p->g[i].value), csv_d(f, p->g[i].threshold);
                } else {
                    fputs(",,,,", f);
                }
            }
            break;
        }
        case X_ORDERS: {
            const rs_ev_order *p = (const rs_ev_order *)x;
            fprintf(f, ",%u,%u,%u,%u,%u,%u,%" PRIu64 ",%" PRId64 ",%" PRId64 ",%u,%u", p->sym, p->side, p->ord_type,
                    p->kind, p->tif, p->reduce_only, p->client_id, p->px, p->qty, p->wire_bytes, p->attempt);
            break;
        }
        case X_FILLS: {
            const rs_ev_exec_report *p = (const rs_ev_exec_report *)x;
            fprintf(f, ",%u,%u,%u,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRId64 ",%" PRId64 ",%" PRId64
                       ",%" PRId64,
                    p->sym, p->state, p->side, p->liquidity, p->source, p->client_id, p->venue_order_id, p->trade_id,
                    p->last_px, p->last_qty, p->cum_qty, p->leaves_qty);
            csv_d(f, p->fee);
            fprintf(f, ",%d", p->reject_code);
            break;
        }
        }
        fputc('\n', f);
        rows++;
    }
    int rc = RS_EXIT_OK;
    if (out) {
        if (fclose(f) != 0) {
            fprintf(stderr, "ringside journal export: %s: %s\n", out, strerror(errno));
            rc = RS_EXIT_FAIL;
        } else {
            fprintf(stderr, "ringside journal export: %" PRIu64 " %s rows -> %s\n", rows, x_names[kind], out);
        }
    } else {
        fflush(stdout);
    }
    tail_note(rs_journal_get_status(r));
    rs_journal_close(r);
    return rc;
}

/* ---- blobs -------------------------------------------------------------- */

static int cmd_blobs(const char *path, int argc, char **argv)
{
    const char *extract = NULL;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--extract") && i + 1 < argc)
            extract = argv[++i];
        else
            return rs_cli_usage_error(usage, "journal blobs: unknown option %s", argv[i]);
    }
    rs_journal_reader *r;
    if (open_j(path, &r))
        return RS_EXIT_FAIL;
    unsigned n;
    const rs_journal_blob *b = rs_journal_blobs(r, &n);
    int rc = RS_EXIT_OK;
    if (extract && mkdir(extract, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "ringside journal blobs: %s: %s\n", extract, strerror(errno));
        rs_journal_close(r);
        return RS_EXIT_FAIL;
    }
    for (unsigned i = 0; i < n; i++) {
        const char *kind = b[i].kind == RS_JBLOB_CONFIG ? "config" : b[i].kind == RS_JBLOB_MODEL ? "model" : "other";
        printf("%-6s %10" PRIu64 " bytes  %s\n", kind, b[i].size, b[i].name);
        if (extract) {
            const char *base = strrchr(b[i].name, '/');
            base = base ? base + 1 : b[i].name;
            char p[1024];
            snprintf(p, sizeof p, "%s/%u-%s", extract, i, *base ? base : "blob");
            FILE *f = fopen(p, "wb");
            if (!f || fwrite(b[i].data, 1, b[i].size, f) != b[i].size || fclose(f) != 0) {
                fprintf(stderr, "ringside journal blobs: %s: %s\n", p, strerror(errno));
                rc = RS_EXIT_FAIL;
            }
        }
    }
    rs_journal_close(r);
    return rc;
}

/* ---- synth ---------------------------------------------------------------- */

/* A synthetic journal with every record type, deterministic from --seed,
 * with known per-stage delays in ts_local (features 20 us after the timer,
 * prediction +35 us, decision +5 us, intent +2 us, order +12 us, report
 * +800 us), so the other tools and the Python reader can be checked. */
static int cmd_synth(const char *path, int argc, char **argv)
{
    int bars = 50;
    uint64_t seed = 1;
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--bars") && i + 1 < argc)
            bars = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else
            return rs_cli_usage_error(usage, "journal synth: unknown option %s", argv[i]);
    }
    static const char cfg[] = "instance: synth\nsymbols: [BTCUSDT, ETHUSDT]\n";
    rs_journal_blob blobs[1] = {{RS_JBLOB_CONFIG, "synth.yaml", cfg, sizeof cfg - 1}};
    rs_journal_opts o = {.dir = path, .instance = "synth", .blobs = blobs, .n_blobs = 1,
                         .start_ns = 1763800000000000000ll, .segment_bytes = 64 * 1024};
    rs_journal_writer *w;
    if (rs_journal_writer_create(&w, &o)) {
        fprintf(stderr, "ringside journal synth: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    uint64_t seq[RS_STREAM_MAX] = {0};
    uint64_t rng = seed * 0x9E3779B97F4A7C15ull + 1;
#define RND() (rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17, rng)
    union {
        rs_rec h;
        uint8_t b[4096];
    } u;
    int rc = 0;
#define EMIT(T, S, TS, TL, LEN)                                   \
    do {                                                          \
        u.h.len = (uint32_t)(LEN);                                \
        u.h.type = (T);                                           \
        u.h.stream = (S);                                         \
        u.h.seq = ++seq[S];                                       \
        u.h.ts = (TS);                                            \
        u.h.ts_local = (TL);                                      \
        if (!rc)                                                  \
            rc = rs_journal_append(w, &u.h);                      \
    } while (0)
    const int64_t t0 = 1763800000000000000ll, bar_ns = 300000000000ll;
    uint64_t cid = 0;
    double px[2] = {90000.0, 3000.0};
    for (int b = 0; b < bars && !rc; b++) {
        int64_t bstart = t0 + b * bar_ns, bend = bstart + bar_ns;
        for (int k = 0; k < 6; k++) {
            for (uint16_t s = 0; s < 2; s++) {
                int64_t ts = bstart + (k + 1) * 40000000000ll + s * 1000;
                memset(&u, 0, sizeof(rs_ev_trade));
                rs_ev_trade *t = (rs_ev_trade *)&u;
                t->sym = s, t->venue = RS_VENUE_BINANCE, t->side = 1 + (RND() & 1);
                t->trade_id = seq[RS_STREAM_MD] + 1;
                px[s] *= 1.0 + ((double)(RND() % 2001) - 1000.0) * 1e-6;
                t->px = (int64_t)(px[s] * 100), t->qty = (int64_t)(RND() % 100000 + 1);
                t->event_ms = t->trade_ms = ts / 1000000;
                EMIT(RS_EV_TRADE, RS_STREAM_MD, ts, ts + 250000 + (int64_t)(RND() % 50000), sizeof(rs_ev_trade));
                memset(&u, 0, sizeof(rs_ev_mark));
                rs_ev_mark *mk = (rs_ev_mark *)&u;
                mk->sym = s, mk->last_px = (int64_t)(px[s] * 100), mk->md_ts = ts;
                mk->bid_px = mk->last_px - 1, mk->ask_px = mk->last_px + 1;
                EMIT(RS_EV_MARK, RS_STREAM_MARK, ts, ts + 260000, sizeof(rs_ev_mark));
            }
        }
        /* the timer that closes the bar */
        memset(&u, 0, sizeof(rs_ev_timer));
        ((rs_ev_timer *)&u)->tick = (uint64_t)b + 1;
        ((rs_ev_timer *)&u)->period_ns = bar_ns;
        int64_t tl = bend + 100000;
        EMIT(RS_EV_TIMER, RS_STREAM_MD, bend, tl, sizeof(rs_ev_timer));
        for (uint16_t s = 0; s < 2 && !rc; s++) {
            int64_t tf = tl + 20000 + s * 1000;
            memset(&u, 0, sizeof(rs_ev_bar));
            rs_ev_bar *br = (rs_ev_bar *)&u;
            br->sym = s, br->start_ns = bstart, br->end_ns = bend;
            br->open = px[s] * 0.999, br->high = px[s] * 1.002, br->low = px[s] * 0.997, br->close = px[s];
            br->volume = 12.5 + b, br->quote_volume = br->volume * px[s], br->vwap = px[s] * 1.0001;
            br->taker_buy_volume = 6.25, br->count = 6, br->flags = b == 3 ? RS_BAR_F_GAP : 0;
            EMIT(RS_EV_BAR, RS_STREAM_FEAT, bend, tf, sizeof(rs_ev_bar));
            memset(&u, 0, sizeof(rs_ev_features) + 5 * sizeof(double));
            rs_ev_features *fe = (rs_ev_features *)&u;
            fe->sym = s, fe->ready = b >= 2, fe->kind = 0, fe->n = 5, fe->bar_end_ns = bend;
            fe->layout_hash = 0xfeedbeefcafe1234ull;
            for (int i = 0; i < 5; i++)
                fe->v[i] = (b == 1 && i == 4) ? NAN : sin(b * 0.7 + i + s) * pow(10.0, i - 2);
            EMIT(RS_EV_FEATURES, RS_STREAM_FEAT, bend, tf + 1000, sizeof(rs_ev_features) + 5 * sizeof(double));
            memset(&u, 0, sizeof(rs_ev_prediction));
            rs_ev_prediction *pr = (rs_ev_prediction *)&u;
            pr->sym = s, pr->n_horizons = 3, pr->ready = b >= 2, pr->bar_end_ns = bend;
            for (int i = 0; i < 32; i++)
                pr->model_sha256[i] = (uint8_t)(i * 7 + 1);
            for (int i = 0; i < 3; i++)
                pr->raw[i] = (float)(0.001 * sin(b + i)), pr->cal[i] = (float)(10.0 * sin(b + i));
            pr->weighted_bps = 10.0 * sin(b), pr->z_edge = 2.5 * sin(b * 0.9 + s);
            pr->roll_mean = 0.1, pr->roll_std = 1.0 + b * 0.01;
            const double zedge = pr->z_edge, wbps = pr->weighted_bps;
            EMIT(RS_EV_PREDICTION, RS_STREAM_PRED, bend, tf + 1000 + 35000, sizeof(rs_ev_prediction));
            int64_t td = tf + 1000 + 35000 + 5000;
            memset(&u, 0, sizeof(rs_ev_decision) + 3 * sizeof(rs_gate_verdict));
            rs_ev_decision *de = (rs_ev_decision *)&u;
            bool go = fabs(zedge) > 1.5 && b >= 2;
            de->sym = s, de->n = 3, de->bar_end_ns = bend, de->z_edge = zedge;
            de->weighted_bps = wbps, de->size = go ? 0.01 : 0.0;
            de->action = go ? (zedge > 0 ? RS_ACT_ENTER_LONG : RS_ACT_ENTER_SHORT) : RS_ACT_NONE;
            de->reason = go ? 0 : 1;
            for (int i = 0; i < 3; i++) {
                de->g[i].gate = (uint16_t)(i + 1);
                de->g[i].pass = i == 0 ? go : 1;
                de->g[i].value = i == 0 ? fabs(zedge) : 1.0 + i;
                de->g[i].threshold = i == 0 ? 1.5 : 0.5;
            }
            EMIT(RS_EV_DECISION, RS_STREAM_INTENT, bend, td, sizeof(rs_ev_decision) + 3 * sizeof(rs_gate_verdict));
            memset(&u, 0, sizeof(rs_ev_step));
            rs_ev_step *sp = (rs_ev_step *)&u;
            sp->stage = 4, sp->in_stream = RS_STREAM_PRED, sp->first_seq = seq[RS_STREAM_PRED];
            EMIT(RS_EV_STEP, RS_STREAM_INTENT, bend, td, sizeof(rs_ev_step));
            if (!go)
                continue;
            uint64_t id = (7ull << 40) | ++cid;
            memset(&u, 0, sizeof(rs_ev_intent));
            rs_ev_intent *in = (rs_ev_intent *)&u;
            const uint8_t side = zedge > 0 ? 1 : 2;
            in->sym = s, in->kind = RS_INT_NEW, in->side = side, in->ord_type = RS_ORD_MARKET;
            in->purpose = RS_PUR_ENTRY, in->client_id = id, in->qty = 1000;
            EMIT(RS_EV_INTENT, RS_STREAM_INTENT, bend, td + 2000, sizeof(rs_ev_intent));
            memset(&u, 0, sizeof(rs_ev_order));
            rs_ev_order *od = (rs_ev_order *)&u;
            od->sym = s, od->side = side, od->ord_type = RS_ORD_MARKET, od->kind = RS_INT_NEW;
            od->client_id = id, od->qty = 1000, od->wire_bytes = 412, od->attempt = 1;
            EMIT(RS_EV_ORDER, RS_STREAM_EXEC, bend, td + 2000 + 12000, sizeof(rs_ev_order));
            for (int k = 0; k < 2; k++) {
                memset(&u, 0, sizeof(rs_ev_exec_report));
                rs_ev_exec_report *er = (rs_ev_exec_report *)&u;
                er->sym = s, er->side = side, er->client_id = id, er->venue_order_id = 5000 + cid;
                er->source = 2;
                if (k == 0) {
                    er->state = RS_OS_ACKED, er->leaves_qty = 1000;
                } else {
                    er->state = RS_OS_FILLED, er->is_fill = 1, er->liquidity = 2, er->trade_id = 9000 + cid;
                    er->last_px = (int64_t)(px[s] * 100), er->last_qty = 1000, er->cum_qty = 1000;
                    er->fee = 0.0004 * px[s] * 0.001;
                }
                EMIT(RS_EV_EXEC_REPORT, RS_STREAM_EXEC, bend, td + 14000 + 800000 + k * 300000,
                     sizeof(rs_ev_exec_report));
            }
            memset(&u, 0, sizeof(rs_ev_position));
            rs_ev_position *po = (rs_ev_position *)&u;
            po->sym = s, po->qty = side == 1 ? 1000 : -1000, po->avg_px = px[s], po->mark_px = px[s];
            po->equity = 10000.0, po->peak_equity = 10000.0, po->fees = 0.0004 * px[s] * 0.001;
            EMIT(RS_EV_POSITION, RS_STREAM_INTENT, bend, td + 900000, sizeof(rs_ev_position));
        }
    }
    /* one of each remaining type */
    int64_t te = t0 + (int64_t)bars * bar_ns + 1000;
    memset(&u, 0, sizeof(rs_ev_bbo));
    ((rs_ev_bbo *)&u)->bid_px = 100, ((rs_ev_bbo *)&u)->ask_px = 101, ((rs_ev_bbo *)&u)->update_id = 77;
    EMIT(RS_EV_BBO, RS_STREAM_MD, te, te + 300000, sizeof(rs_ev_bbo));
    memset(&u, 0, sizeof(rs_ev_depth) + 3 * sizeof(rs_level));
    rs_ev_depth *dp = (rs_ev_depth *)&u;
    dp->n_bids = 2, dp->n_asks = 1, dp->levels[0] = (rs_level){100, 5}, dp->levels[1] = (rs_level){99, 7};
    dp->levels[2] = (rs_level){101, 3};
    EMIT(RS_EV_DEPTH, RS_STREAM_MD, te, te + 300000, sizeof(rs_ev_depth) + 3 * sizeof(rs_level));
    memset(&u, 0, sizeof(rs_ev_freshness));
    ((rs_ev_freshness *)&u)->sym = 0xffff, ((rs_ev_freshness *)&u)->state = RS_FRESH_STALE;
    EMIT(RS_EV_FRESHNESS, RS_STREAM_MARK, te, te + 1000, sizeof(rs_ev_freshness));
    static const char frame[] = "{\"e\":\"aggTrade\",\"s\":\"BTCUSDT\"}";
    memset(&u, 0, sizeof(rs_ev_raw) + sizeof frame);
    ((rs_ev_raw *)&u)->n = sizeof frame - 1;
    memcpy(((rs_ev_raw *)&u)->data, frame, sizeof frame - 1);
    EMIT(RS_EV_RAW_FRAME, RS_STREAM_RAW, te, te + 1000, sizeof(rs_ev_raw) + sizeof frame - 1);
    EMIT(RS_EV_VENUE_MSG, RS_STREAM_RAW, te, te + 2000, sizeof(rs_ev_raw) + sizeof frame - 1);
    memset(&u, 0, sizeof(rs_ev_bad_input) + 4);
    rs_ev_bad_input *bi = (rs_ev_bad_input *)&u;
    bi->source = RS_STREAM_MD, bi->reason = RS_BAD_NUMBER, bi->n = 4;
    memcpy(bi->field, "p", 2);
    memcpy(bi->data, "1e99", 4);
    EMIT(RS_EV_BAD_INPUT, RS_STREAM_RAW, te, te + 3000, sizeof(rs_ev_bad_input) + 4);
    memset(&u, 0, sizeof(rs_ev_model_swap));
    snprintf(((rs_ev_model_swap *)&u)->path, 128, "models/m2.json");
    EMIT(RS_EV_MODEL_SWAP, RS_STREAM_PRED, te, te + 4000, sizeof(rs_ev_model_swap));
    memset(&u, 0, sizeof(rs_ev_risk));
    ((rs_ev_risk *)&u)->circuit = 3, ((rs_ev_risk *)&u)->sym = 0xffff, ((rs_ev_risk *)&u)->value = 0.051;
    ((rs_ev_risk *)&u)->limit = 0.05;
    snprintf(((rs_ev_risk *)&u)->text, 64, "drawdown 5.1%% > 5%%: cut exposure");
    EMIT(RS_EV_RISK, RS_STREAM_INTENT, te, te + 5000, sizeof(rs_ev_risk));
    memset(&u, 0, sizeof(rs_ev_control));
    ((rs_ev_control *)&u)->cmd = RS_CTL_PAUSE, ((rs_ev_control *)&u)->sym = 0xffff;
    snprintf(((rs_ev_control *)&u)->arg, 128, "operator \"pause\"");
    EMIT(RS_EV_CONTROL, RS_STREAM_CTL, te, te + 6000, sizeof(rs_ev_control));
    memset(&u, 0, sizeof(rs_ev_alarm));
    ((rs_ev_alarm *)&u)->code = 9;
    snprintf(((rs_ev_alarm *)&u)->text, 120, "synthetic alarm");
    EMIT(RS_EV_ALARM, RS_JSTREAM_RECORDER, te, te + 7000, sizeof(rs_ev_alarm));
#undef EMIT
#undef RND
    if (!rc)
        rc = rs_journal_writer_close(w);
    if (rc)
        fprintf(stderr, "ringside journal synth: %s\n", rs_err_msg());
    else
        printf("synthetic journal %s: %" PRIu64 " records\n", path, rs_journal_appended(w));
    rs_journal_writer_destroy(w);
    return rc ? RS_EXIT_FAIL : RS_EXIT_OK;
}

int rs_cmd_journal(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "prune"))
        return rs_journal_prune_cmd(argc - 1, argv + 1);
    if (argc < 2 || rs_cli_wants_help(argc, argv)) {
        if (argc < 2)
            return rs_cli_usage_error(usage, "journal: a command is required");
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *cmd = argv[1];
    if (argc < 3)
        return rs_cli_usage_error(usage, "journal %s: JOURNAL (directory or segment) is required", cmd);
    const char *path = argv[2];
    int rest = argc - 3;
    char **rv = argv + 3;
    bool json = rest == 1 && !strcmp(rv[0], "--json");
    if (!strcmp(cmd, "stat") && (rest == 0 || json))
        return cmd_stat(path, json);
    if (!strcmp(cmd, "cat"))
        return cmd_cat(path, rest, rv);
    if (!strcmp(cmd, "verify") && rest == 0)
        return cmd_verify(path);
    if (!strcmp(cmd, "latency") && (rest == 0 || json))
        return cmd_latency(path, json);
    if (!strcmp(cmd, "export"))
        return cmd_export(path, rest, rv);
    if (!strcmp(cmd, "blobs"))
        return cmd_blobs(path, rest, rv);
    if (!strcmp(cmd, "synth"))
        return cmd_synth(path, rest, rv);
    return rs_cli_usage_error(usage, "journal: unknown command or options: %s", cmd);
}
