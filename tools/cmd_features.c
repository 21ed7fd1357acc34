/* ringside features -- bars and feature vectors from Binance public-data CSV
 * files, through the same stage code as the live engine (rs_features_on_event
 * for trades, rs_features_on_kline for klines), so a model trained on this
 * output sees identical inputs live. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "ringside/bars.h"
#include "ringside/common.h"
#include "ringside/features.h"
#include "ringside/mem.h"
#include "ringside/stage.h"

static const char usage[] =
    "usage: ringside features (--trades FILE.csv | --klines FILE.csv)... [options]\n"
    "  Bars and feature vectors from Binance public-data CSV files (with or without\n"
    "  header; ms or us timestamps), computed by the live features stage.\n"
    "  --trades FILE   trade CSV: id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]\n"
    "  --klines FILE   kline CSV: open_time,open,high,low,close,volume,close_time,\n"
    "                  quote_volume,count,taker_buy_volume,taker_buy_quote_volume,ignore\n"
    "                  (repeat either option for consecutive files; do not mix the two)\n"
    "  --symbol S      symbol name (default: file name up to the first '-')\n"
    "  --bar LEN       bar length: 30s, 1m, 5m (default), 15m, 1h, 1d ...\n"
    "  --px-exp N      price decimals (default 8); --qty-exp N quantity decimals (default 8)\n"
    "  --out FILE      output CSV (default: stdout): bar_end_ms,symbol,ready,<features>\n"
    "  --with-bar      append bar_open,bar_high,bar_low,bar_close,bar_volume,\n"
    "                  bar_quote_volume,bar_vwap,bar_taker_buy_volume,bar_count,bar_flags\n"
    "  --no-flush      leave the last (possibly partial) bar open at end of input\n"
    "  --strict        stop at the first bad row or late trade (exit 1)\n"
    "  --names         print the feature names, one per line, and exit\n"
    "Bad rows are reported on stderr as FILE:LINE: reason and skipped.\n";

typedef struct ctx {
    rs_features *f;
    rs_emit_buf eb;
    uint8_t *buf;
    FILE *out;
    const char *symbol;
    bool with_bar, strict;
    rs_ev_bar last_bar;
    const char *file;
    uint64_t rows, bad, late, vectors;
    int64_t last_ns;
} ctx;

static int parse_len(const char *s, int64_t *ns)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || v <= 0 || end == s)
        return -1;
    int64_t mul;
    if (!strcmp(end, "s")) mul = 1;
    else if (!strcmp(end, "m")) mul = 60;
    else if (!strcmp(end, "h")) mul = 3600;
    else if (!strcmp(end, "d")) mul = 86400;
    else return -1;
    *ns = (int64_t)v * mul * INT64_C(1000000000);
    return 0;
}

/* Write the records the stage produced; report late/bad trades by line. */
static int drain(ctx *c)
{
    size_t off = 0;
    const rs_rec *r;
    int rc = 0;
    while ((r = rs_emit_buf_next(&c->eb, &off))) {
        if (r->type == RS_EV_BAR) {
            c->last_bar = *(const rs_ev_bar *)r;
        } else if (r->type == RS_EV_FEATURES) {
            const rs_ev_features *fe = (const rs_ev_features *)r;
            if (fe->kind != 0)
                continue;
            fprintf(c->out, "%" PRId64 ",%s,%u", fe->bar_end_ns / 1000000, c->symbol, fe->ready);
            for (uint32_t i = 0; i < fe->n; i++)
                fprintf(c->out, ",%.17g", fe->v[i]);
            if (c->with_bar) {
                const rs_ev_bar *b = &c->last_bar;
                fprintf(c->out, ",%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%" PRIu64 ",%u", b->open, b->high,
                        b->low, b->close, b->volume, b->quote_volume, b->vwap, b->taker_buy_volume, b->count,
                        b->flags);
            }
            fputc('\n', c->out);
            c->vectors++;
        } else if (r->type == RS_EV_BAD_INPUT) {
            const rs_ev_bad_input *bi = (const rs_ev_bad_input *)r;
            const rs_ev_trade *t = (const rs_ev_trade *)bi->data;
            if (bi->reason == RS_BAD_LATE) {
                c->late++;
                fprintf(stderr, "%s:%" PRIu64 ": late trade (time %" PRId64 " ms is before the open bar), not folded in\n",
                        c->file, t->h.seq, t->trade_ms);
            } else {
                c->bad++;
                fprintf(stderr, "%s:%" PRIu64 ": trade rejected by the stage (field %s, reason %u)\n", c->file,
                        t->h.seq, bi->field, bi->reason);
            }
            if (c->strict)
                rc = -1;
        }
    }
    rs_emit_buf_reset(&c->eb);
    return rc;
}

static int feed(ctx *c, const rs_rec *in)
{
    int rc;
    while ((rc = rs_features_on_event(c->f, in, &c->eb.e)) == RS_FULL)
        if (drain(c))
            return -1;
    return drain(c);
}

/* Split a CSV line in place; returns the field count (max n). */
static int split(char *line, char **fld, int n)
{
    int k = 0;
    char *p = line;
    size_t len = strlen(p);
    while (len && (p[len - 1] == '\n' || p[len - 1] == '\r'))
        p[--len] = '\0';
    while (k < n) {
        fld[k++] = p;
        char *comma = strchr(p, ',');
        if (!comma)
            break;
        *comma = '\0';
        p = comma + 1;
    }
    return k;
}

static bool is_header(const char *first) { return first[0] && !(first[0] >= '0' && first[0] <= '9'); }

static int row_err(ctx *c, uint64_t line, const char *fmt, const char *field)
{
    c->bad++;
    fprintf(stderr, "%s:%" PRIu64 ": ", c->file, line);
    fprintf(stderr, fmt, field);
    fputc('\n', stderr);
    return c->strict ? -1 : 0;
}

static int parse_i64(const char *s, int64_t *v)
{
    char *end;
    errno = 0;
    long long x = strtoll(s, &end, 10);
    if (errno || end == s || *end)
        return -1;
    *v = x;
    return 0;
}

/* Binance switched spot public data to microseconds in 2025: accept both. */
static int64_t to_ns(int64_t t) { return t >= INT64_C(100000000000000) ? t * 1000 : t * 1000000; }

static int dec(const char *s, unsigned exp, int64_t lim, int64_t *out)
{
    rs_i128 m;
    if (rs_dec_parse(s, strlen(s), exp, &m) || m < 0 || m > lim)
        return -1;
    *out = (int64_t)m;
    return 0;
}

static int do_trades(ctx *c, FILE *in, const rs_instrument *ins)
{
    char *line = NULL;
    size_t cap = 0;
    uint64_t ln = 0;
    int rc = 0;
    while (getline(&line, &cap, in) > 0) {
        ln++;
        char *f[8];
        int n = split(line, f, 8);
        if (ln == 1 && is_header(f[0]))
            continue;
        if (n == 1 && f[0][0] == '\0')
            continue;
        c->rows++;
        if (n < 6) {
            if ((rc = row_err(c, ln, "expected at least 6 fields (id,price,qty,quote_qty,time,is_buyer_maker)%s", "")))
                break;
            continue;
        }
        rs_ev_trade t;
        memset(&t, 0, sizeof t);
        int64_t id, tm;
        const char *bad = NULL;
        if (parse_i64(f[0], &id) || id < 0) bad = "id";
        else if (dec(f[1], ins->px_exp, RS_BAR_MANT_MAX, &t.px) || t.px <= 0) bad = "price";
        else if (dec(f[2], ins->qty_exp, RS_BAR_MANT_MAX, &t.qty) || t.qty <= 0) bad = "qty";
        else if (parse_i64(f[4], &tm) || tm <= 0) bad = "time";
        else if (strcasecmp(f[5], "true") && strcasecmp(f[5], "false")) bad = "is_buyer_maker";
        if (bad) {
            if ((rc = row_err(c, ln, "bad field '%s' (a number within --px-exp/--qty-exp decimals and 2^52 mantissa, "
                                     "a ms/us time, true/false)", bad)))
                break;
            continue;
        }
        int64_t ns = to_ns(tm);
        t.h.len = sizeof t;
        t.h.type = RS_EV_TRADE;
        t.h.stream = RS_STREAM_MD;
        t.h.seq = ln;   /* the stage echoes it in BAD_INPUT: we report the line */
        t.h.ts = ns;
        t.sym = 0;
        t.venue = RS_VENUE_BINANCE;
        /* buyer is maker -> the taker sold */
        t.side = strcasecmp(f[5], "true") == 0 ? RS_SIDE_SELL : RS_SIDE_BUY;
        t.trade_id = (uint64_t)id;
        t.trade_ms = ns / 1000000;
        t.event_ms = t.trade_ms;
        if (ns > c->last_ns)
            c->last_ns = ns;
        if ((rc = feed(c, &t.h)))
            break;
    }
    free(line);
    return rc;
}

static int do_klines(ctx *c, FILE *in, const rs_instrument *ins, int64_t bar_ns)
{
    char *line = NULL;
    size_t cap = 0;
    uint64_t ln = 0;
    int rc = 0;
    while (getline(&line, &cap, in) > 0) {
        ln++;
        char *f[14];
        int n = split(line, f, 14);
        if (ln == 1 && is_header(f[0]))
            continue;
        if (n == 1 && f[0][0] == '\0')
            continue;
        c->rows++;
        if (n < 11) {
            if ((rc = row_err(c, ln, "expected 12 kline fields%s", "")))
                break;
            continue;
        }
        rs_bar b;
        int64_t ot, ct, cnt;
        const char *bad = NULL;
        rs_i128 qv;
        memset(&b, 0, sizeof b);
        int64_t vol = 0, tb = 0;
        if (parse_i64(f[0], &ot) || ot < 0) bad = "open_time";
        else if (dec(f[1], ins->px_exp, RS_BAR_MANT_MAX, &b.open)) bad = "open";
        else if (dec(f[2], ins->px_exp, RS_BAR_MANT_MAX, &b.high)) bad = "high";
        else if (dec(f[3], ins->px_exp, RS_BAR_MANT_MAX, &b.low)) bad = "low";
        else if (dec(f[4], ins->px_exp, RS_BAR_MANT_MAX, &b.close)) bad = "close";
        else if (dec(f[5], ins->qty_exp, INT64_MAX, &vol)) bad = "volume";
        else if (parse_i64(f[6], &ct)) bad = "close_time";
        else if (rs_dec_parse(f[7], strlen(f[7]), (unsigned)ins->px_exp + ins->qty_exp, &qv) || qv < 0)
            bad = "quote_volume";
        else if (parse_i64(f[8], &cnt) || cnt < 0) bad = "count";
        else if (dec(f[9], ins->qty_exp, INT64_MAX, &tb)) bad = "taker_buy_volume";
        if (!bad) {
            int64_t s = to_ns(ot), e = to_ns(ct) + (ct >= INT64_C(100000000000000) ? 1000 : 1000000);
            if (e - s != bar_ns)
                bad = "close_time (kline interval differs from --bar)";
            b.start_ns = s;
            b.end_ns = e;
        }
        if (!bad && cnt > 0 && (b.low > b.high || b.open < b.low || b.open > b.high || b.close < b.low ||
                                b.close > b.high || b.low <= 0))
            bad = "high/low (inconsistent OHLC)";
        if (bad) {
            if ((rc = row_err(c, ln, "bad field '%s'", bad)))
                break;
            continue;
        }
        b.volume = vol;
        b.quote = qv;
        b.taker_buy = tb;
        b.count = (uint64_t)cnt;
        int r;
        while ((r = rs_features_on_kline(c->f, 0, &b, &c->eb.e)) == RS_FULL)
            if ((rc = drain(c)))
                break;
        if (rc || (rc = drain(c)))
            break;
        if (r == RS_BAD) {
            if ((rc = row_err(c, ln, "kline rejected by the stage (misaligned, or older than the open bar)%s", "")))
                break;
            continue;
        }
        if (b.end_ns - 1 > c->last_ns)
            c->last_ns = b.end_ns - 1;
    }
    free(line);
    return rc;
}

int rs_cmd_features(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *files[64];
    int nfiles = 0, kind = 0;   /* 1 trades, 2 klines */
    const char *symbol = NULL, *outp = NULL;
    bool with_bar = false, strict = false, flush = true, names = false;
    int px_exp = 8, qty_exp = 8;
    rs_features_params p;
    rs_features_params_default(&p);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if ((!strcmp(a, "--trades") || !strcmp(a, "--klines")) && more) {
            int k = a[2] == 't' ? 1 : 2;
            if (kind && kind != k)
                return rs_cli_usage_error(usage, "features: --trades and --klines cannot be mixed");
            if (nfiles == (int)RS_ARRAY_LEN(files))
                return rs_cli_usage_error(usage, "features: too many input files");
            kind = k;
            files[nfiles++] = argv[++i];
        } else if (!strcmp(a, "--symbol") && more) symbol = argv[++i];
        else if (!strcmp(a, "--out") && more) outp = argv[++i];
        else if (!strcmp(a, "--bar") && more) {
            if (parse_len(argv[++i], &p.bar_ns))
                return rs_cli_usage_error(usage, "features: --bar '%s' is not a length like 5m", argv[i]);
        } else if (!strcmp(a, "--px-exp") && more) px_exp = atoi(argv[++i]);
        else if (!strcmp(a, "--qty-exp") && more) qty_exp = atoi(argv[++i]);
        else if (!strcmp(a, "--with-bar")) with_bar = true;
        else if (!strcmp(a, "--strict")) strict = true;
        else if (!strcmp(a, "--no-flush")) flush = false;
        else if (!strcmp(a, "--names")) names = true;
        else return rs_cli_usage_error(usage, "features: unknown or incomplete option '%s'", a);
    }
    if (p.timer_grace_ns >= p.bar_ns)
        p.timer_grace_ns = p.bar_ns / 2;
    if (names) {
        static char nm[RS_FEAT_MAX][RS_FEAT_NAME_MAX];
        int n = rs_features_layout_names(&p, nm, RS_FEAT_MAX);
        if (n < 0) {
            fprintf(stderr, "ringside features: %s\n", rs_err_msg());
            return RS_EXIT_USAGE;
        }
        for (int i = 0; i < n; i++)
            puts(nm[i]);
        return RS_EXIT_OK;
    }
    if (!nfiles)
        return rs_cli_usage_error(usage, "features: need --trades FILE or --klines FILE");
    if (px_exp < 0 || px_exp > 18 || qty_exp < 0 || qty_exp > 18)
        return rs_cli_usage_error(usage, "features: --px-exp/--qty-exp must be 0..18");

    char symbuf[RS_SYMBOL_MAX];
    if (!symbol) {
        const char *base = strrchr(files[0], '/');
        base = base ? base + 1 : files[0];
        size_t k = strcspn(base, "-._");
        if (k == 0 || k >= sizeof symbuf)
            snprintf(symbuf, sizeof symbuf, "UNKNOWN");
        else
            snprintf(symbuf, sizeof symbuf, "%.*s", (int)k, base);
        symbol = symbuf;
    }
    static rs_universe u;
    rs_instrument ins = {0};
    snprintf(ins.symbol, sizeof ins.symbol, "%s", symbol);
    ins.venue = RS_VENUE_BINANCE;
    ins.px_exp = (uint8_t)px_exp;
    ins.qty_exp = (uint8_t)qty_exp;
    ins.tick = 1;
    ins.lot = 1;
    if (rs_universe_add(&u, &ins) < 0) {
        fprintf(stderr, "ringside features: %s\n", rs_err_msg());
        return RS_EXIT_USAGE;
    }
    u.ref_sym = 0;

    ctx c = {.symbol = u.ins[0].symbol, .with_bar = with_bar, .strict = strict, .last_ns = INT64_MIN};
    size_t ms = rs_features_memsize(&u);
    void *mem = rs_mem_alloc(ms, RS_CACHELINE, "features stage");
    size_t cap = 1u << 20;
    c.buf = rs_mem_alloc(cap, RS_CACHELINE, "features output");
    if (!mem || !c.buf || rs_features_init(mem, ms, &p, &u, &c.f)) {
        fprintf(stderr, "ringside features: %s\n", rs_err_msg());
        rs_mem_free(mem);
        rs_mem_free(c.buf);
        return RS_EXIT_FAIL;
    }
    rs_emit_buf_init(&c.eb, c.buf, cap, RS_STREAM_FEAT);
    c.out = outp && strcmp(outp, "-") ? fopen(outp, "w") : stdout;
    if (!c.out) {
        fprintf(stderr, "ringside features: cannot write %s: %s\n", outp, strerror(errno));
        rs_mem_free(mem);
        rs_mem_free(c.buf);
        return RS_EXIT_FAIL;
    }
    fputs("bar_end_ms,symbol,ready", c.out);
    for (uint32_t i = 0; i < rs_features_count(c.f); i++)
        fprintf(c.out, ",%s", rs_features_name(c.f, i));
    if (with_bar)
        fputs(",bar_open,bar_high,bar_low,bar_close,bar_volume,bar_quote_volume,bar_vwap,bar_taker_buy_volume,"
              "bar_count,bar_flags",
              c.out);
    fputc('\n', c.out);

    int rc = 0;
    for (int i = 0; i < nfiles && !rc; i++) {
        FILE *in = fopen(files[i], "r");
        if (!in) {
            fprintf(stderr, "ringside features: cannot read %s: %s\n", files[i], strerror(errno));
            rc = -1;
            break;
        }
        c.file = files[i];
        rc = kind == 1 ? do_trades(&c, in, &u.ins[0]) : do_klines(&c, in, &u.ins[0], p.bar_ns);
        fclose(in);
    }
    if (!rc && flush && c.last_ns != INT64_MIN) {
        /* end of input: a timer just past the last bar's end closes it */
        int64_t end = (c.last_ns / p.bar_ns + 1) * p.bar_ns;
        rs_ev_timer tm;
        memset(&tm, 0, sizeof tm);
        tm.h.len = sizeof tm;
        tm.h.type = RS_EV_TIMER;
        tm.h.ts = end + p.timer_grace_ns;
        rc = feed(&c, &tm.h);
    }
    rs_features_stats st;
    rs_features_get_stats(c.f, &st);
    fprintf(stderr,
            "ringside features: %s: %" PRIu64 " rows, %" PRIu64 " bad, %" PRIu64 " late, %" PRIu64 " bars (%" PRIu64
            " empty), %" PRIu64 " vectors written\n",
            c.symbol, c.rows, c.bad, c.late, st.bars, st.empty_bars, c.vectors);
    if (c.out != stdout && fclose(c.out) != 0) {
        fprintf(stderr, "ringside features: writing %s: %s\n", outp, strerror(errno));
        rc = -1;
    } else if (c.out == stdout) {
        fflush(stdout);
    }
    rs_mem_free(mem);
    rs_mem_free(c.buf);
    if (rc && strict)
        fprintf(stderr, "ringside features: stopped (--strict)\n");
    return rc ? RS_EXIT_FAIL : RS_EXIT_OK;
}
