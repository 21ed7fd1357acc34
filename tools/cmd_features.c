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
#include "pipeline.h"
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
    "                  Several symbols: give each symbol's files; they are merged in time\n"
    "                  order so the cross-asset features (beta, residual, correlation) are\n"
    "                  computed as live. The symbol is the file name up to the first '-'.\n"
    "  --symbol S      symbol name when every file is one symbol (default: from the file name)\n"
    "  --ref S         reference symbol for beta/residual (default: BTCUSDT if given, else the first)\n"
    "  --bar LEN       bar length: 30s, 1m, 5m (default), 15m, 1h, 1d ...\n"
    "  --px-exp N      price decimals (default 8); --qty-exp N quantity decimals (default 8)\n"
    "  --out FILE      output CSV (default: stdout): bar_end_ms,symbol,ready,<features>\n"
    "  --with-bar      append bar_open,bar_high,bar_low,bar_close,bar_volume,\n"
    "                  bar_quote_volume,bar_vwap,bar_taker_buy_volume,bar_count,bar_flags\n"
    "  --no-flush      leave the last (possibly partial) bar open at end of input\n"
    "  --strict        stop at the first bad row or late trade (exit 1)\n"
    "  --names         print the feature names, one per line, and exit\n"
    "  -c CONFIG       feature parameters (bar length, windows, reference symbol) from an\n"
    "                  engine config, so the layout matches a run or journal of that config\n"
    "Bad rows are reported on stderr as FILE:LINE: reason and skipped.\n";

#define MAXFILES 256

/* One symbol's input: its files in order, read one row ahead so that the
 * symbols can be merged in time order. */
typedef struct src {
    uint16_t sym;
    int nf, fi;
    const char *files[MAXFILES];
    FILE *fp;
    char *line;
    size_t cap;
    uint64_t ln;
    bool have;           /* a parsed row is waiting */
    bool done;           /* every file read */
    int64_t t_ns;        /* its time (trade time / kline open) */
    rs_ev_trade tr;
    rs_bar kb;
} src;

typedef struct ctx {
    rs_features *f;
    rs_emit_buf eb;
    uint8_t *buf;
    FILE *out;
    const rs_universe *u;
    bool with_bar, strict, klines;
    int64_t bar_ns;
    rs_ev_bar last_bar[RS_MAX_SYMBOLS];
    src *src;            /* one per symbol, indexed by sym */
    uint64_t rows, bad, late, vectors;
    int64_t last_ns;
    int stop;
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

static const char *cur_file(const ctx *c, uint16_t sym)
{
    return c->src[sym].files[c->src[sym].fi];
}

/* Write the records the stage produced; report late/bad trades by line. */
static void drain(ctx *c)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(&c->eb, &off))) {
        if (r->type == RS_EV_BAR) {
            const rs_ev_bar *b = (const rs_ev_bar *)r;
            c->last_bar[b->sym] = *b;
        } else if (r->type == RS_EV_FEATURES) {
            const rs_ev_features *fe = (const rs_ev_features *)r;
            if (fe->kind != 0)
                continue;
            fprintf(c->out, "%" PRId64 ",%s,%u", fe->bar_end_ns / 1000000, c->u->ins[fe->sym].symbol, fe->ready);
            for (uint32_t i = 0; i < fe->n; i++)
                fprintf(c->out, ",%.17g", fe->v[i]);
            if (c->with_bar) {
                const rs_ev_bar *b = &c->last_bar[fe->sym];
                fprintf(c->out, ",%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%.17g,%" PRIu64 ",%u", b->open, b->high,
                        b->low, b->close, b->volume, b->quote_volume, b->vwap, b->taker_buy_volume, b->count,
                        b->flags);
            }
            fputc('\n', c->out);
            c->vectors++;
        } else if (r->type == RS_EV_BAD_INPUT) {
            const rs_ev_bad_input *bi = (const rs_ev_bad_input *)r;
            const rs_ev_trade *t = (const rs_ev_trade *)bi->data;
            const char *file = t->sym < c->u->n ? cur_file(c, t->sym) : "?";
            if (bi->reason == RS_BAD_LATE) {
                c->late++;
                fprintf(stderr, "%s:%" PRIu64 ": late trade (time %" PRId64 " ms is before the open bar), not folded in\n",
                        file, t->h.seq, t->trade_ms);
            } else {
                c->bad++;
                fprintf(stderr, "%s:%" PRIu64 ": trade rejected by the stage (field %s, reason %u)\n", file, t->h.seq,
                        bi->field, bi->reason);
            }
            if (c->strict)
                c->stop = 1;
        }
    }
    rs_emit_buf_reset(&c->eb);
}

static void feed(ctx *c, const rs_rec *in)
{
    while (rs_features_on_event(c->f, in, &c->eb.e) == RS_FULL)
        drain(c);
    drain(c);
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

static void row_err(ctx *c, const src *s, const char *what, const char *field)
{
    c->bad++;
    fprintf(stderr, "%s:%" PRIu64 ": %s%s%s\n", s->files[s->fi], s->ln, what, field ? field : "", field ? "'" : "");
    if (c->strict)
        c->stop = 1;
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

static bool parse_trade(ctx *c, src *s, char **f, int n)
{
    const rs_instrument *ins = &c->u->ins[s->sym];
    if (n < 6) {
        row_err(c, s, "expected at least 6 fields (id,price,qty,quote_qty,time,is_buyer_maker)", NULL);
        return false;
    }
    rs_ev_trade *t = &s->tr;
    memset(t, 0, sizeof *t);
    int64_t id, tm;
    const char *bad = NULL;
    if (parse_i64(f[0], &id) || id < 0) bad = "id";
    else if (dec(f[1], ins->px_exp, RS_BAR_MANT_MAX, &t->px) || t->px <= 0) bad = "price";
    else if (dec(f[2], ins->qty_exp, RS_BAR_MANT_MAX, &t->qty) || t->qty <= 0) bad = "qty";
    else if (parse_i64(f[4], &tm) || tm <= 0 || tm > INT64_C(9000000000000000)) bad = "time";
    else if (strcasecmp(f[5], "true") && strcasecmp(f[5], "false")) bad = "is_buyer_maker";
    if (bad) {
        row_err(c, s, "bad field (a positive number within --px-exp/--qty-exp decimals and a 2^52 mantissa, "
                      "a ms/us time, true/false): '", bad);
        return false;
    }
    int64_t ns = to_ns(tm);
    t->h.len = sizeof *t;
    t->h.type = RS_EV_TRADE;
    t->h.stream = RS_STREAM_MD;
    t->h.seq = s->ln;   /* the stage echoes the record in BAD_INPUT: we report the line */
    t->h.ts = ns;
    t->sym = s->sym;
    t->venue = RS_VENUE_BINANCE;
    t->side = strcasecmp(f[5], "true") == 0 ? RS_SIDE_SELL : RS_SIDE_BUY;   /* buyer is maker: taker sold */
    t->trade_id = (uint64_t)id;
    t->trade_ms = ns / 1000000;
    t->event_ms = t->trade_ms;
    s->t_ns = ns;
    return true;
}

static bool parse_kline(ctx *c, src *s, char **f, int n)
{
    const rs_instrument *ins = &c->u->ins[s->sym];
    if (n < 11) {
        row_err(c, s, "expected 12 kline fields", NULL);
        return false;
    }
    rs_bar *b = &s->kb;
    int64_t ot, ct, cnt, vol = 0, tb = 0;
    const char *bad = NULL;
    rs_i128 qv;
    memset(b, 0, sizeof *b);
    if (parse_i64(f[0], &ot) || ot < 0 || ot > INT64_C(9000000000000000)) bad = "open_time";
    else if (dec(f[1], ins->px_exp, RS_BAR_MANT_MAX, &b->open)) bad = "open";
    else if (dec(f[2], ins->px_exp, RS_BAR_MANT_MAX, &b->high)) bad = "high";
    else if (dec(f[3], ins->px_exp, RS_BAR_MANT_MAX, &b->low)) bad = "low";
    else if (dec(f[4], ins->px_exp, RS_BAR_MANT_MAX, &b->close)) bad = "close";
    else if (dec(f[5], ins->qty_exp, INT64_MAX, &vol)) bad = "volume";
    else if (parse_i64(f[6], &ct) || ct < ot || ct > INT64_C(9000000000000000)) bad = "close_time";
    else if (rs_dec_parse(f[7], strlen(f[7]), (unsigned)ins->px_exp + ins->qty_exp, &qv) || qv < 0)
        bad = "quote_volume";
    else if (parse_i64(f[8], &cnt) || cnt < 0) bad = "count";
    else if (dec(f[9], ins->qty_exp, INT64_MAX, &tb)) bad = "taker_buy_volume";
    if (!bad) {
        b->start_ns = to_ns(ot);
        b->end_ns = to_ns(ct) + (ct >= INT64_C(100000000000000) ? 1000 : 1000000);
        if (b->end_ns - b->start_ns != c->bar_ns)
            bad = "close_time (the kline interval differs from --bar)";
    }
    if (!bad && cnt > 0 &&
        (b->low > b->high || b->open < b->low || b->open > b->high || b->close < b->low || b->close > b->high ||
         b->low <= 0))
        bad = "high/low (inconsistent OHLC)";
    if (bad) {
        row_err(c, s, "bad field '", bad);
        return false;
    }
    b->volume = vol;
    b->quote = qv;
    b->taker_buy = tb;
    b->count = (uint64_t)cnt;
    s->t_ns = b->start_ns;
    return true;
}

/* Read the next valid row of a symbol (across its files) into s. */
static void next_row(ctx *c, src *s)
{
    s->have = false;
    while (!c->stop && !s->done) {
        if (!s->fp) {
            s->fp = fopen(s->files[s->fi], "r");
            s->ln = 0;
            if (!s->fp) {
                fprintf(stderr, "ringside features: cannot read %s: %s\n", s->files[s->fi], strerror(errno));
                c->stop = 2;
                return;
            }
        }
        if (getline(&s->line, &s->cap, s->fp) <= 0) {
            fclose(s->fp);
            s->fp = NULL;
            if (s->fi + 1 == s->nf) {
                s->done = true;   /* fi keeps naming the last file in reports */
                return;
            }
            s->fi++;
            continue;
        }
        s->ln++;
        char *f[14] = {0};
        int n = split(s->line, f, 14);
        if (s->ln == 1 && is_header(f[0]))
            continue;
        if (n == 1 && f[0][0] == '\0')
            continue;
        c->rows++;
        if (c->klines ? parse_kline(c, s, f, n) : parse_trade(c, s, f, n)) {
            s->have = true;
            return;
        }
    }
}

/* Merge the symbols' rows in time order (ties: lower symbol index first,
 * which is also what a live feed with one connection per symbol could do). */
static void run_merge(ctx *c)
{
    uint16_t n = c->u->n;
    for (uint16_t i = 0; i < n && !c->stop; i++)
        next_row(c, &c->src[i]);
    while (!c->stop) {
        int best = -1;
        for (uint16_t i = 0; i < n; i++)
            if (c->src[i].have && (best < 0 || c->src[i].t_ns < c->src[best].t_ns))
                best = i;
        if (best < 0)
            break;
        src *s = &c->src[best];
        if (c->klines) {
            int r;
            while ((r = rs_features_on_kline(c->f, s->sym, &s->kb, &c->eb.e)) == RS_FULL)
                drain(c);
            drain(c);
            if (r == RS_BAD)
                row_err(c, s, "kline rejected by the stage (misaligned, or older than the open bar)", NULL);
            else if (s->kb.end_ns - 1 > c->last_ns)
                c->last_ns = s->kb.end_ns - 1;
        } else {
            feed(c, &s->tr.h);
            if (s->t_ns > c->last_ns)
                c->last_ns = s->t_ns;
        }
        next_row(c, s);
    }
}

static void symbol_of(const char *path, char *out, size_t cap)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t k = strcspn(base, "-._");
    if (k == 0 || k >= cap)
        snprintf(out, cap, "UNKNOWN");
    else
        snprintf(out, cap, "%.*s", (int)k, base);
}

int rs_cmd_features(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    static const char *files[MAXFILES];
    int nfiles = 0, kind = 0;   /* 1 trades, 2 klines */
    const char *symbol = NULL, *outp = NULL, *ref = NULL;
    bool with_bar = false, strict = false, flush = true, names = false;
    int px_exp = 8, qty_exp = 8;
    rs_features_params p;
    rs_features_params_default(&p);
    /* -c first, whatever its position: the config gives the defaults, the
     * other options override them. */
    static rs_config *cfg;
    for (int i = 1; i + 1 < argc; i++) {
        if (strcmp(argv[i], "-c"))
            continue;
        if (rs_config_load(&cfg, argv[i + 1]) != 0) {
            fprintf(stderr, "ringside features: %s\n", rs_err_msg());
            return RS_EXIT_FAIL;
        }
        rs_pipeline_features_params(cfg, &p);
        if (cfg->features.ref_symbol[0])
            ref = cfg->features.ref_symbol;
        break;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool more = i + 1 < argc;
        if ((!strcmp(a, "--trades") || !strcmp(a, "--klines")) && more) {
            int k = a[2] == 't' ? 1 : 2;
            if (kind && kind != k)
                return rs_cli_usage_error(usage, "features: --trades and --klines cannot be mixed");
            if (nfiles == MAXFILES)
                return rs_cli_usage_error(usage, "features: too many input files (max %d)", MAXFILES);
            kind = k;
            files[nfiles++] = argv[++i];
        } else if (!strcmp(a, "--symbol") && more) symbol = argv[++i];
        else if (!strcmp(a, "--ref") && more) ref = argv[++i];
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
        else if (!strcmp(a, "-c") && more) i++;     /* handled above */
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

    /* the universe: one instrument per distinct symbol, in order of appearance */
    static rs_universe u;
    static src srcs[RS_MAX_SYMBOLS];
    memset(&u, 0, sizeof u);
    memset(srcs, 0, sizeof srcs);
    for (int i = 0; i < nfiles; i++) {
        char sym[RS_SYMBOL_MAX];
        if (symbol)
            snprintf(sym, sizeof sym, "%s", symbol);
        else
            symbol_of(files[i], sym, sizeof sym);
        int k = rs_universe_find(&u, sym, strlen(sym));
        if (k < 0) {
            rs_instrument ins = {0};
            snprintf(ins.symbol, sizeof ins.symbol, "%s", sym);
            ins.venue = RS_VENUE_BINANCE;
            ins.px_exp = (uint8_t)px_exp;
            ins.qty_exp = (uint8_t)qty_exp;
            ins.tick = 1;
            ins.lot = 1;
            if ((k = rs_universe_add(&u, &ins)) < 0) {
                fprintf(stderr, "ringside features: %s\n", rs_err_msg());
                return RS_EXIT_USAGE;
            }
            srcs[k].sym = (uint16_t)k;
        }
        srcs[k].files[srcs[k].nf++] = files[i];
    }
    if (ref) {
        int k = rs_universe_find(&u, ref, strlen(ref));
        if (k < 0)
            return rs_cli_usage_error(usage, "features: --ref %s is not one of the input symbols", ref);
        u.ref_sym = (uint16_t)k;
    } else {
        int k = rs_universe_find(&u, "BTCUSDT", 7);
        u.ref_sym = k >= 0 ? (uint16_t)k : 0;
    }

    ctx c = {.u = &u, .with_bar = with_bar, .strict = strict, .klines = kind == 2, .bar_ns = p.bar_ns,
             .src = srcs, .last_ns = INT64_MIN};
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

    run_merge(&c);
    if (!c.stop && flush && c.last_ns != INT64_MIN) {
        /* end of input: a timer just past the last bar's end closes it */
        int64_t end = (c.last_ns / p.bar_ns + 1) * p.bar_ns;
        rs_ev_timer tm;
        memset(&tm, 0, sizeof tm);
        tm.h.len = sizeof tm;
        tm.h.type = RS_EV_TIMER;
        tm.h.ts = end + p.timer_grace_ns;
        feed(&c, &tm.h);
    }
    rs_features_stats st;
    rs_features_get_stats(c.f, &st);
    fprintf(stderr,
            "ringside features: %u symbol(s), reference %s: %" PRIu64 " rows, %" PRIu64 " bad, %" PRIu64
            " late, %" PRIu64 " bars (%" PRIu64 " empty), %" PRIu64 " vectors written\n",
            u.n, u.ins[u.ref_sym].symbol, c.rows, c.bad, c.late, st.bars, st.empty_bars, c.vectors);
    int rc = c.stop ? -1 : 0;
    if (c.out != stdout && fclose(c.out) != 0) {
        fprintf(stderr, "ringside features: writing %s: %s\n", outp, strerror(errno));
        rc = -1;
    } else if (c.out == stdout) {
        fflush(stdout);
    }
    for (int i = 0; i < u.n; i++) {
        if (srcs[i].fp)
            fclose(srcs[i].fp);
        free(srcs[i].line);
    }
    rs_mem_free(mem);
    rs_mem_free(c.buf);
    if (c.stop == 1)
        fprintf(stderr, "ringside features: stopped (--strict)\n");
    return rc ? RS_EXIT_FAIL : RS_EXIT_OK;
}
