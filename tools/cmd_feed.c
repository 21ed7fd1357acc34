/* ringside feed decode -- run the venue decoders over recorded messages.
 * One raw message per stdin line -> one JSON object per normalised event
 * (or one error object) per line on stdout. Rejected lines are reported,
 * never fatal: the exit status is 0 unless stdin/stdout fail. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ringside/decode.h"
#include "ringside/mem.h"

static const char usage[] =
    "usage: ringside feed decode --venue binance|binance-fut|okx [--symbols A,B,...]\n"
    "                            [--px-exp N] [--qty-exp N]\n"
    "  Reads one raw venue message per line on stdin and prints, per line, one\n"
    "  JSON object per normalised event (trade, bbo, depth, control, other), or\n"
    "  {\"error\":\"<reason>\",\"line\":N,\"field\":..,\"offset\":..} for a rejected line.\n"
    "  Prices and quantities are exact decimal strings. Exit 0 even when lines\n"
    "  are rejected.\n"
    "  --symbols   accept only these symbols (others are rejected as\n"
    "              unknown_symbol); default: any symbol, registered on first sight\n"
    "  --px-exp N, --qty-exp N   fixed-point decimals of the symbols (default 8);\n"
    "              more significant decimals than that are rejected, never rounded\n";

static void put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void put_fixed(FILE *f, const char *key, int64_t v, unsigned exp)
{
    char b[48];
    rs_dec_format_fixed(b, sizeof b, v, exp);
    fprintf(f, ",\"%s\":\"%s\"", key, b);
}

static const char *side_name(unsigned s)
{
    return s == RS_SIDE_BUY ? "buy" : s == RS_SIDE_SELL ? "sell" : "none";
}

static void print_event(FILE *f, const rs_universe *u, const rs_decoded *d, unsigned long line)
{
    const char *venue = rs_dec_venue_name(d->venue);
    switch (d->kind) {
    case RS_DEC_TRADE:
        for (unsigned i = 0; i < d->n_trades; i++) {
            const rs_ev_trade *t = &d->trades[i];
            const rs_instrument *ins = &u->ins[t->sym];
            fprintf(f, "{\"type\":\"trade\",\"venue\":\"%s\",\"symbol\":", venue);
            put_json_str(f, ins->symbol);
            put_fixed(f, "price", t->px, ins->px_exp);
            put_fixed(f, "qty", t->qty, ins->qty_exp);
            fprintf(f, ",\"side\":\"%s\",\"trade_id\":%llu,\"event_ms\":%lld,\"trade_ms\":%lld,\"agg\":%s",
                    side_name(t->side), (unsigned long long)t->trade_id, (long long)t->event_ms,
                    (long long)t->trade_ms, (t->flags & RS_TRADE_F_AGG) ? "true" : "false");
            if (d->venue != RS_VENUE_OKX && (t->flags & RS_TRADE_F_AGG))
                fprintf(f, ",\"first_trade_id\":%llu,\"last_trade_id\":%llu",
                        (unsigned long long)d->first_trade_id, (unsigned long long)d->last_trade_id);
            fprintf(f, ",\"line\":%lu}\n", line);
        }
        break;
    case RS_DEC_BBO: {
        const rs_ev_bbo *b = &d->bbo;
        const rs_instrument *ins = &u->ins[b->sym];
        fprintf(f, "{\"type\":\"bbo\",\"venue\":\"%s\",\"symbol\":", venue);
        put_json_str(f, ins->symbol);
        put_fixed(f, "bid_price", b->bid_px, ins->px_exp);
        put_fixed(f, "bid_qty", b->bid_qty, ins->qty_exp);
        put_fixed(f, "ask_price", b->ask_px, ins->px_exp);
        put_fixed(f, "ask_qty", b->ask_qty, ins->qty_exp);
        fprintf(f, ",\"update_id\":%llu,\"event_ms\":%lld,\"line\":%lu}\n", (unsigned long long)b->update_id,
                (long long)b->event_ms, line);
        break;
    }
    case RS_DEC_DEPTH: {
        const rs_ev_depth *x = rs_decoded_depth_c(d);
        const rs_instrument *ins = &u->ins[x->sym];
        char pb[48], qb[48];
        fprintf(f, "{\"type\":\"depth\",\"venue\":\"%s\",\"symbol\":", venue);
        put_json_str(f, ins->symbol);
        fprintf(f, ",\"first_update_id\":%llu,\"final_update_id\":%llu,\"prev_final_update_id\":%llu,"
                   "\"event_ms\":%lld",
                (unsigned long long)x->first_update_id, (unsigned long long)x->final_update_id,
                (unsigned long long)x->prev_final_update_id, (long long)x->event_ms);
        for (int side = 0; side < 2; side++) {
            unsigned from = side ? x->n_bids : 0, to = side ? (unsigned)x->n_bids + x->n_asks : x->n_bids;
            fprintf(f, ",\"%s\":[", side ? "asks" : "bids");
            for (unsigned i = from; i < to; i++) {
                rs_dec_format_fixed(pb, sizeof pb, x->levels[i].px, ins->px_exp);
                rs_dec_format_fixed(qb, sizeof qb, x->levels[i].qty, ins->qty_exp);
                fprintf(f, "%s[\"%s\",\"%s\"]", i > from ? "," : "", pb, qb);
            }
            fputc(']', f);
        }
        fprintf(f, ",\"line\":%lu}\n", line);
        break;
    }
    case RS_DEC_CONTROL:
        fprintf(f, "{\"type\":\"control\",\"venue\":\"%s\",\"line\":%lu}\n", venue, line);
        break;
    default:
        fprintf(f, "{\"type\":\"other\",\"venue\":\"%s\",\"line\":%lu}\n", venue, line);
        break;
    }
}

static int add_symbols(rs_universe *u, const char *list, unsigned pe, unsigned qe, int venue)
{
    const char *s = list;
    while (*s) {
        const char *c = strchr(s, ',');
        size_t n = c ? (size_t)(c - s) : strlen(s);
        if (n == 0 || n >= RS_SYMBOL_MAX) {
            fprintf(stderr, "ringside feed decode: --symbols: bad symbol '%.*s' (1..%d chars)\n", (int)n, s,
                    RS_SYMBOL_MAX - 1);
            return -1;
        }
        rs_instrument ins;
        memset(&ins, 0, sizeof ins);
        memcpy(ins.symbol, s, n);
        ins.venue = (uint8_t)venue;
        ins.px_exp = (uint8_t)pe;
        ins.qty_exp = (uint8_t)qe;
        if (rs_universe_add(u, &ins) < 0) {
            fprintf(stderr, "ringside feed decode: --symbols: %s\n", rs_err_msg());
            return -1;
        }
        s += n;
        if (*s == ',')
            s++;
    }
    return 0;
}

static int parse_exp(const char *v, unsigned *out)
{
    char *end;
    long x = strtol(v, &end, 10);
    if (*v == '\0' || *end || x < 0 || x > 18)
        return -1;
    *out = (unsigned)x;
    return 0;
}

static int cmd_decode(int argc, char **argv)
{
    const char *venue_s = NULL, *symbols = NULL;
    unsigned pe = 8, qe = 8;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--venue") && i + 1 < argc)
            venue_s = argv[++i];
        else if (!strcmp(argv[i], "--symbols") && i + 1 < argc)
            symbols = argv[++i];
        else if (!strcmp(argv[i], "--px-exp") && i + 1 < argc) {
            if (parse_exp(argv[++i], &pe))
                return rs_cli_usage_error(usage, "feed decode: --px-exp takes 0..18");
        } else if (!strcmp(argv[i], "--qty-exp") && i + 1 < argc) {
            if (parse_exp(argv[++i], &qe))
                return rs_cli_usage_error(usage, "feed decode: --qty-exp takes 0..18");
        } else
            return rs_cli_usage_error(usage, "feed decode: unknown or incomplete option '%s'", argv[i]);
    }
    if (!venue_s)
        return rs_cli_usage_error(usage, "feed decode: --venue is required");
    int venue = rs_dec_venue_from_name(venue_s);
    if (venue != RS_VENUE_BINANCE && venue != RS_VENUE_BINANCE_FUT && venue != RS_VENUE_OKX)
        return rs_cli_usage_error(usage, "feed decode: unknown venue '%s' (binance, binance-fut, okx)", venue_s);

    rs_universe *u = rs_mem_alloc(sizeof *u, 64, "feed decode universe");
    rs_decoder *dec = rs_mem_alloc(sizeof *dec, 64, "feed decode decoder");
    rs_decoded *out = rs_mem_alloc(sizeof *out, 64, "feed decode output");
    if (!u || !dec || !out) {
        fprintf(stderr, "ringside feed decode: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    int rc = RS_EXIT_OK;
    if (symbols && add_symbols(u, symbols, pe, qe, venue) < 0) {
        rc = RS_EXIT_USAGE;
        goto done;
    }
    rs_decoder_init(dec, u, (uint8_t)venue);
    dec->auto_add = symbols == NULL;
    dec->auto_px_exp = (uint8_t)pe;
    dec->auto_qty_exp = (uint8_t)qe;

    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long ln = 0, bad = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        ln++;
        size_t n = (size_t)len;
        if (n && line[n - 1] == '\n')
            n--;
        if (n && line[n - 1] == '\r')
            n--;
        int r = rs_decode(dec, (const uint8_t *)line, n, out);
        if (r == RS_OK) {
            print_event(stdout, u, out, ln);
            continue;
        }
        bad++;
        const char *why = r == RS_AGAIN ? "truncated" : rs_dec_reason_name(out->err.reason);
        printf("{\"error\":\"%s\",\"line\":%lu,\"field\":", why, ln);
        put_json_str(stdout, out->err.field);
        printf(",\"offset\":%u}\n", out->err.offset);
    }
    free(line);
    if (ferror(stdin)) {
        fprintf(stderr, "ringside feed decode: reading stdin: %s\n", strerror(errno));
        rc = RS_EXIT_FAIL;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "ringside feed decode: writing stdout: %s\n", strerror(errno));
        rc = RS_EXIT_FAIL;
    }
    if (bad)
        fprintf(stderr, "ringside feed decode: %lu of %lu lines rejected\n", bad, ln);
done:
    rs_mem_free(out);
    rs_mem_free(dec);
    rs_mem_free(u);
    return rc;
}

int rs_cmd_feed(int argc, char **argv)
{
    if (argc < 2 || rs_cli_wants_help(argc, argv)) {
        fputs(usage, argc < 2 ? stderr : stdout);
        return argc < 2 ? RS_EXIT_USAGE : RS_EXIT_OK;
    }
    if (!strcmp(argv[1], "decode"))
        return cmd_decode(argc - 1, argv + 1);
    return rs_cli_usage_error(usage, "feed: unknown subcommand '%s'", argv[1]);
}
