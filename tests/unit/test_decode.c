/* Venue decoders: every real sample (pretty and compact), every prefix of
 * every sample ending right before a guard page, malformed-input tables,
 * exact fixed point, no allocation on the hot path. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../feed/decode_json.h"   /* f_uint / f_dec: the scan tiers under test */
#include "../../feed/decode_spec.h"   /* sp_forget / sp_covered: the shape cache under test */
#include "ringside/decode.h"
#include "ringside/mem.h"
#include "testutil.h"

static rs_universe U;
static rs_decoder DB, DF, DO;
static rs_decoded *OUT, *OUT2;

static int setup(void **s)
{
    (void)s;
    memset(&U, 0, sizeof U);
    const struct { const char *sym; int pe, qe; } ins[] = {
        {"BNBBTC", 8, 8}, {"BNBUSDT", 8, 8}, {"ETHUSDT", 8, 8}, {"BTCUSDT", 2, 3},
        {"BTC-USDT", 1, 8}, {"ETH-USDT", 2, 4},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(ins); i++) {
        rs_instrument x;
        memset(&x, 0, sizeof x);
        strcpy(x.symbol, ins[i].sym);
        x.px_exp = (uint8_t)ins[i].pe;
        x.qty_exp = (uint8_t)ins[i].qe;
        assert_true(rs_universe_add(&U, &x) >= 0);
    }
    assert_int_equal(rs_decoder_init(&DB, &U, RS_VENUE_BINANCE), 0);
    assert_int_equal(rs_decoder_init(&DF, &U, RS_VENUE_BINANCE_FUT), 0);
    assert_int_equal(rs_decoder_init(&DO, &U, RS_VENUE_OKX), 0);
    OUT = calloc(1, sizeof *OUT);
    OUT2 = calloc(1, sizeof *OUT2);
    assert_non_null(OUT);
    assert_non_null(OUT2);
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    free(OUT);
    free(OUT2);
    return 0;
}

/* Same records from two decodes (payloads; headers are zero). */
static void assert_same(const rs_decoded *a, const rs_decoded *b, const char *what)
{
    if (a->kind != b->kind)
        fail_msg("%s: kind %d vs %d", what, a->kind, b->kind);
    if (a->kind == RS_DEC_TRADE) {
        if (a->n_trades != b->n_trades || memcmp(a->trades, b->trades, a->n_trades * sizeof(rs_ev_trade)) ||
            a->first_trade_id != b->first_trade_id || a->last_trade_id != b->last_trade_id)
            fail_msg("%s: trades differ", what);
    } else if (a->kind == RS_DEC_BBO) {
        if (memcmp(&a->bbo, &b->bbo, sizeof a->bbo))
            fail_msg("%s: bbo differs", what);
    } else if (a->kind == RS_DEC_DEPTH) {
        uint32_t la = rs_decoded_depth_len(a);
        if (la != rs_decoded_depth_len(b) || memcmp(a->depth_mem, b->depth_mem, la))
            fail_msg("%s: depth differs", what);
    }
}



/* The fast paths (compact frames) and the validating scanner (the same
 * frame with a leading space, which no fast path takes) must agree. */
static void differential(rs_decoder *d, const char *m, size_t n)
{
    char *sp = malloc(n + 1);
    sp[0] = ' ';
    memcpy(sp + 1, m, n);
    int a = rs_decode(d, (const uint8_t *)m, n, OUT);
    int b = rs_decode(d, (const uint8_t *)sp, n + 1, OUT2);
    if (a != b)
        fail_msg("fast %d vs slow %d on %.*s", a, b, (int)n, m);
    if (a == RS_OK)
        assert_same(OUT, OUT2, m);
    else if (a == RS_BAD && OUT->err.reason != OUT2->err.reason)
        fail_msg("reason %d vs %d on %.*s", OUT->err.reason, OUT2->err.reason, (int)n, m);
    free(sp);
}

static int dec(rs_decoder *d, const char *s) { return rs_decode(d, (const uint8_t *)s, strlen(s), OUT); }

/* Strip insignificant whitespace (outside strings). */
static size_t minify(const char *in, size_t n, char *out)
{
    size_t o = 0;
    int str = 0;
    for (size_t i = 0; i < n; i++) {
        char ch = in[i];
        if (str) {
            out[o++] = ch;
            if (ch == '\\' && i + 1 < n)
                out[o++] = in[++i];
            else if (ch == '"')
                str = 0;
        } else if (ch == '"') {
            str = 1;
            out[o++] = ch;
        } else if (ch != ' ' && ch != '\n' && ch != '\r' && ch != '\t') {
            out[o++] = ch;
        }
    }
    return o;
}

static void test_fixed(void **s)
{
    (void)s;
    static const struct { const char *in; unsigned exp; int rc; int64_t v; } t[] = {
        {"0.001", 8, 0, 100000}, {"100", 8, 0, 10000000000LL}, {"4149.74000000", 8, 0, 414974000000LL},
        {"0.10000000000000000000000000000", 8, 0, 10000000}, {"0", 8, 0, 0}, {"0.0", 2, 0, 0},
        {"1e3", 0, 0, 1000}, {"1.5E-2", 3, 0, 15}, {"25e-2", 2, 0, 25}, {"0.000000001", 8, RS_BAD_RANGE, 0},
        {"0.123456789", 8, RS_BAD_RANGE, 0}, {"92233720368.54775807", 8, 0, INT64_MAX},
        {"92233720368.54775808", 8, RS_BAD_RANGE, 0}, {"99999999999999999999999", 0, RS_BAD_RANGE, 0},
        {"-1", 8, RS_BAD_RANGE, 0}, {"-", 8, RS_BAD_NUMBER, 0}, {"+1", 8, RS_BAD_NUMBER, 0},
        {"01", 8, RS_BAD_NUMBER, 0}, {".5", 8, RS_BAD_NUMBER, 0}, {"1.", 8, RS_BAD_NUMBER, 0},
        {"", 8, RS_BAD_NUMBER, 0}, {"NaN", 8, RS_BAD_NUMBER, 0}, {"Infinity", 8, RS_BAD_NUMBER, 0},
        {"1e", 8, RS_BAD_NUMBER, 0}, {"1e+", 8, RS_BAD_NUMBER, 0}, {"1 ", 8, RS_BAD_NUMBER, 0},
        {"1,5", 8, RS_BAD_NUMBER, 0}, {"1e99999999999", 8, RS_BAD_RANGE, 0}, {"1e-99999999", 8, RS_BAD_RANGE, 0},
        {"0e-99999999", 8, 0, 0}, {"12345678901234567890", 0, RS_BAD_RANGE, 0},
        {"9223372036854775807", 0, 0, INT64_MAX}, {"0.5", 0, RS_BAD_RANGE, 0},
        {"1000000000000000000", 0, 0, 1000000000000000000LL}, {"1", 18, 0, 1000000000000000000LL},
        {"10", 18, RS_BAD_RANGE, 0},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(t); i++) {
        int64_t v = -7;
        int rc = rs_dec_fixed(t[i].in, strlen(t[i].in), t[i].exp, &v);
        if (rc != t[i].rc || (rc == 0 && v != t[i].v))
            fail_msg("rs_dec_fixed(\"%s\", %u) = %d, %lld; want %d, %lld", t[i].in, t[i].exp, rc, (long long)v,
                     t[i].rc, (long long)t[i].v);
    }
    char b[32];
    rs_dec_format_fixed(b, sizeof b, 100000, 8);
    assert_string_equal(b, "0.001");
    rs_dec_format_fixed(b, sizeof b, 422199, 1);
    assert_string_equal(b, "42219.9");
    rs_dec_format_fixed(b, sizeof b, 10000000000LL, 8);
    assert_string_equal(b, "100");
    rs_dec_format_fixed(b, sizeof b, 0, 8);
    assert_string_equal(b, "0");
    rs_dec_format_fixed(b, sizeof b, -5, 2);
    assert_string_equal(b, "-0.05");
    rs_dec_format_fixed(b, sizeof b, INT64_MIN, 0);
    assert_string_equal(b, "-9223372036854775808");
}

static void test_binance_samples(void **s)
{
    (void)s;
    assert_int_equal(dec(&DB, "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\","
                              "\"q\":\"100\",\"T\":1672515782135,\"m\":true,\"M\":true}"),
                     RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_TRADE);
    const rs_ev_trade *t = &OUT->trades[0];
    assert_int_equal(t->sym, 0);
    assert_int_equal(t->px, 100000);
    assert_int_equal(t->qty, 10000000000LL);
    assert_int_equal(t->side, RS_SIDE_SELL);
    assert_int_equal(t->trade_id, 12345);
    assert_int_equal(t->event_ms, 1672515782136LL);
    assert_int_equal(t->trade_ms, 1672515782135LL);
    assert_int_equal(t->venue, RS_VENUE_BINANCE);
    assert_int_equal(t->flags, 0);

    /* combined wrapper, data before stream, real 2021 capture with legacy b/a keys */
    const char *cmb = "{\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\",\"t\":705291099,"
                      "\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"b\":7038593583,\"a\":7038593613,"
                      "\"T\":1639351062243,\"m\":false,\"M\":true},\"stream\":\"ethusdt@trade\"}";
    assert_int_equal(dec(&DB, cmb), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_TRADE);
    assert_int_equal(t->sym, 2);
    assert_int_equal(t->px, 414974000000LL);
    assert_int_equal(t->qty, 43870000);
    assert_int_equal(t->side, RS_SIDE_BUY);

    assert_int_equal(dec(&DF, "{\"e\":\"aggTrade\",\"E\":123456789,\"s\":\"BTCUSDT\",\"a\":5933014,\"p\":\"0.01\","
                              "\"q\":\"100\",\"f\":100,\"l\":105,\"T\":123456785,\"m\":true}"),
                     RS_OK);
    assert_int_equal(t->flags, RS_TRADE_F_AGG);
    assert_int_equal(t->trade_id, 5933014);
    assert_int_equal(t->px, 1);
    assert_int_equal(t->qty, 100000);
    assert_int_equal(t->venue, RS_VENUE_BINANCE_FUT);
    assert_int_equal(OUT->first_trade_id, 100);
    assert_int_equal(OUT->last_trade_id, 105);

    assert_int_equal(dec(&DB, "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
                              "\"a\":\"25.36520000\",\"A\":\"40.66000000\"}"),
                     RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_BBO);
    assert_int_equal(OUT->bbo.sym, 1);
    assert_int_equal(OUT->bbo.update_id, 400900217);
    assert_int_equal(OUT->bbo.bid_px, 2535190000LL);
    assert_int_equal(OUT->bbo.ask_qty, 4066000000LL);
    assert_int_equal(OUT->bbo.event_ms, 0);

    assert_int_equal(dec(&DF, "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"T\":1571889248276,\"s\":\"BTCUSDT\","
                              "\"U\":390497796,\"u\":390497878,\"pu\":390497794,\"b\":[[\"7403.89\",\"0.002\"],"
                              "[\"7403.90\",\"0\"]],\"a\":[[\"7405.96\",\"3.340\"]]}"),
                     RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_DEPTH);
    const rs_ev_depth *x = rs_decoded_depth_c(OUT);
    assert_int_equal(x->n_bids, 2);
    assert_int_equal(x->n_asks, 1);
    assert_int_equal(x->first_update_id, 390497796);
    assert_int_equal(x->final_update_id, 390497878);
    assert_int_equal(x->prev_final_update_id, 390497794);
    assert_int_equal(x->levels[0].px, 740389);
    assert_int_equal(x->levels[0].qty, 2);
    assert_int_equal(x->levels[1].qty, 0);
    assert_int_equal(x->levels[2].px, 740596);
    assert_int_equal(x->levels[2].qty, 3340);
    assert_int_equal(rs_decoded_depth_len(OUT), sizeof(rs_ev_depth) + 3 * sizeof(rs_level));

    /* control and other */
    assert_int_equal(dec(&DB, "{\"result\":null,\"id\":1}"), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_CONTROL);
    assert_int_equal(dec(&DB, "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":1}}"), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_CONTROL);
    assert_int_equal(dec(&DB, "{\"e\":\"kline\",\"E\":1,\"s\":\"BNBBTC\",\"k\":{\"t\":1}}"), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_OTHER);
    assert_int_equal(dec(&DB, "{\"lastUpdateId\":160,\"bids\":[[\"0.0024\",\"10\"]],\"asks\":[]}"), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_OTHER);

    /* escapes in keys and values, exponents, unknown nested junk */
    assert_int_equal(dec(&DB, "{\"\\u0065\":\"tr\\u0061de\",\"E\":1,\"s\":\"BTC\\u0055SDT\",\"t\":1,"
                              "\"p\":\"1\\u002e5\",\"q\":\"25E-2\",\"T\":1,\"m\":false,"
                              "\"x\":[\"\\ud83d\\ude00\\n\",{\"y\":[null,true,-2.5e-3]}]}"),
                     RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_TRADE);
    assert_int_equal(t->sym, 3);
    assert_int_equal(t->px, 150);
    assert_int_equal(t->qty, 250);
    /* lower-case symbol maps too */
    assert_int_equal(dec(&DB, "{\"e\":\"trade\",\"E\":1,\"s\":\"bnbbtc\",\"t\":1,\"p\":\"1\",\"q\":\"1\",\"T\":1,"
                              "\"m\":true}"),
                     RS_OK);
    assert_int_equal(t->sym, 0);
}

static void test_okx_samples(void **s)
{
    (void)s;
    assert_int_equal(dec(&DO, "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":"
                              "\"BTC-USDT\",\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\","
                              "\"side\":\"buy\",\"ts\":\"1630048897897\",\"count\":\"3\",\"source\":\"0\","
                              "\"seqId\":1234}]}"),
                     RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_TRADE);
    assert_int_equal(OUT->n_trades, 1);
    const rs_ev_trade *t = &OUT->trades[0];
    assert_int_equal(t->sym, 4);
    assert_int_equal(t->px, 422199);
    assert_int_equal(t->qty, 12060306);
    assert_int_equal(t->side, RS_SIDE_BUY);
    assert_int_equal(t->trade_id, 130639474);
    assert_int_equal(t->trade_ms, 1630048897897LL);
    assert_int_equal(t->event_ms, 1630048897897LL);
    assert_int_equal(t->flags, RS_TRADE_F_AGG);
    assert_int_equal(t->venue, RS_VENUE_OKX);
    /* data before arg; two trades; trades-all is not aggregated */
    assert_int_equal(dec(&DO, "{\"data\":[{\"instId\":\"ETH-USDT\",\"tradeId\":\"1\",\"px\":\"2000.01\",\"sz\":"
                              "\"0.5\",\"side\":\"sell\",\"ts\":\"1\"},{\"instId\":\"ETH-USDT\",\"tradeId\":\"2\","
                              "\"px\":\"2000.02\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"2\"}],"
                              "\"arg\":{\"channel\":\"trades-all\",\"instId\":\"ETH-USDT\"}}"),
                     RS_OK);
    assert_int_equal(OUT->n_trades, 2);
    assert_int_equal(OUT->trades[0].side, RS_SIDE_SELL);
    assert_int_equal(OUT->trades[1].px, 200002);
    assert_int_equal(OUT->trades[1].qty, 10000);
    assert_int_equal(OUT->trades[1].flags, 0);
    assert_int_equal(dec(&DO, "{\"id\":\"1512\",\"event\":\"subscribe\",\"arg\":{\"channel\":\"trades\","
                              "\"instId\":\"BTC-USDT\"},\"connId\":\"a4d3ae55\"}"),
                     RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_CONTROL);
    assert_int_equal(dec(&DO, "pong"), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_CONTROL);
    assert_int_equal(dec(&DO, "{\"arg\":{\"channel\":\"bbo-tbt\",\"instId\":\"BTC-USDT\"},\"data\":[]}"), RS_OK);
    assert_int_equal(OUT->kind, RS_DEC_OTHER);
}

typedef struct bad_case {
    char venue;   /* 'b' binance, 'f' futures, 'o' okx */
    int rc, reason;
    const char *field;
    const char *in;
} bad_case;

#define TR(body) "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":1,\"T\":1,\"m\":true," body "}"
#define OK_(body) "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\"," body "}]}"

static const bad_case bad_cases[] = {
    {'b', RS_AGAIN, 0, "", ""},
    {'b', RS_AGAIN, 0, "", "   "},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "[]"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{}x"},
    /* f > l with "l" absent (0): the offset points at "f" (found by the fuzzer) */
    {'f', RS_BAD, RS_BAD_RANGE, "l",
     "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\","
     "\"f\":101,\"*\":105,\"T\":1672515782136,\"m\":true,\"M\":true}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"e\":\"trade\",}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"e\" \"trade\"}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"e\":\"tr\\xde\"}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"e\":\"tr\\u00zz\"}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"e\":\"a\x01\"}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"x\":01}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"x\":1.}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"x\":NaN}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"x\":tru}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"x\":[1,]}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "", "{\"x\":[1}"},
    {'b', RS_BAD, RS_BAD_SYNTAX, "e", "{\"e\":\"trade\",\"e\":\"trade\"}"},
    {'b', RS_BAD, RS_BAD_TOO_LARGE, "",
     "{\"x\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}"},
    {'b', RS_BAD, RS_BAD_MISSING_FIELD, "e", "{}"},
    {'b', RS_BAD, RS_BAD_MISSING_FIELD, "p", TR("\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_MISSING_FIELD, "q", TR("\"p\":\"1\"")},
    {'b', RS_BAD, RS_BAD_MISSING_FIELD, "m", "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":1,\"T\":1,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_NUMBER, "p", TR("\"p\":1.5,\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_NUMBER, "p", TR("\"p\":\"NaN\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_NUMBER, "p", TR("\"p\":\"1e\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_NUMBER, "p", TR("\"p\":\"\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_NUMBER, "p", TR("\"p\":\" 1\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_RANGE, "p", TR("\"p\":\"-1\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_RANGE, "p", TR("\"p\":\"0\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_RANGE, "q", TR("\"p\":\"1\",\"q\":\"0.00000000\"")},
    {'b', RS_BAD, RS_BAD_RANGE, "p", TR("\"p\":\"0.000000001\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_RANGE, "p", TR("\"p\":\"100000000000000000000\",\"q\":\"1\"")},
    {'b', RS_BAD, RS_BAD_RANGE, "t",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":-5,\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_RANGE, "t",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":18446744073709551616,\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_RANGE, "E",
     "{\"e\":\"trade\",\"E\":9223372036854775808,\"s\":\"BNBBTC\",\"t\":1,\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_NUMBER, "t",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":1.0,\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_NUMBER, "t",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":\"1\",\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_PROTOCOL, "m",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"BNBBTC\",\"t\":1,\"T\":1,\"m\":1,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_SYMBOL, "s",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"DOGEUSDT\",\"t\":1,\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_SYMBOL, "s",
     "{\"e\":\"trade\",\"E\":1,\"s\":\"ABCDEFGHIJKLMNOPQRSTUVWXYZ\",\"t\":1,\"T\":1,\"m\":true,\"p\":\"1\",\"q\":\"1\"}"},
    {'b', RS_BAD, RS_BAD_PROTOCOL, "e", "{\"e\":5}"},
    {'b', RS_BAD, RS_BAD_PROTOCOL, "data", "{\"stream\":\"x\",\"data\":[1]}"},
    {'b', RS_BAD, RS_BAD_RANGE, "U",
     "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":9,\"u\":8,\"b\":[],\"a\":[]}"},
    {'b', RS_BAD, RS_BAD_MISSING_FIELD, "a", "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":1,\"u\":8,\"b\":[]}"},
    {'b', RS_BAD, RS_BAD_PROTOCOL, "b",
     "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":1,\"u\":8,\"b\":[[\"1\"]],\"a\":[]}"},
    {'b', RS_BAD, RS_BAD_NUMBER, "b",
     "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":1,\"u\":8,\"b\":[[1,\"1\"]],\"a\":[]}"},
    {'b', RS_BAD, RS_BAD_RANGE, "a",
     "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":1,\"u\":8,\"b\":[],\"a\":[[\"1\",\"-1\"]]}"},
    {'b', RS_BAD, RS_BAD_PROTOCOL, "b",
     "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":1,\"u\":8,\"b\":{},\"a\":[]}"},
    {'b', RS_BAD, RS_BAD_RANGE, "b", "{\"u\":1,\"s\":\"BNBBTC\",\"b\":\"0\",\"B\":\"1\",\"a\":\"1\",\"A\":\"1\"}"},
    {'b', RS_AGAIN, 0, "", "{\"e\":\"trade\",\"E\":1"},
    {'b', RS_AGAIN, 0, "", "{\"e\":\"tr"},
    {'b', RS_AGAIN, 0, "", "{\"e\":\"tr\\u00"},
    {'b', RS_AGAIN, 0, "", "{\"x\":tr"},
    {'o', RS_BAD, RS_BAD_MISSING_FIELD, "tradeId", OK_("\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"")},
    {'o', RS_BAD, RS_BAD_NUMBER, "tradeId",
     OK_("\"tradeId\":130639474,\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"")},
    {'o', RS_BAD, RS_BAD_NUMBER, "tradeId",
     OK_("\"tradeId\":\"12a\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"")},
    {'o', RS_BAD, RS_BAD_RANGE, "tradeId",
     OK_("\"tradeId\":\"-3\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"")},
    {'o', RS_BAD, RS_BAD_RANGE, "px",
     OK_("\"tradeId\":\"3\",\"px\":\"1.05\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\"")},
    {'o', RS_BAD, RS_BAD_PROTOCOL, "side",
     OK_("\"tradeId\":\"3\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"long\",\"ts\":\"1\"")},
    {'o', RS_BAD, RS_BAD_MISSING_FIELD, "ts", OK_("\"tradeId\":\"3\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\"")},
    {'o', RS_BAD, RS_BAD_RANGE, "count",
     OK_("\"tradeId\":\"3\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"buy\",\"ts\":\"1\",\"count\":\"0\"")},
    {'o', RS_BAD, RS_BAD_MISSING_FIELD, "arg", "{\"data\":[]}"},
    {'o', RS_BAD, RS_BAD_PROTOCOL, "data", "{\"arg\":{\"channel\":\"trades\"},\"data\":{}}"},
    {'o', RS_BAD, RS_BAD_PROTOCOL, "data", "{\"arg\":{\"channel\":\"trades\"},\"data\":[1]}"},
    {'o', RS_BAD, RS_BAD_SYNTAX, "", "ping"},
    {'o', RS_AGAIN, 0, "", "pon"},
};

static void test_bad_table(void **s)
{
    (void)s;
    for (size_t i = 0; i < RS_ARRAY_LEN(bad_cases); i++) {
        const bad_case *c = &bad_cases[i];
        rs_decoder *d = c->venue == 'o' ? &DO : c->venue == 'f' ? &DF : &DB;
        size_t n = strlen(c->in);
        uint8_t *g = rs_guard_copy(c->in, n);
        int rc = rs_decode(d, g, n, OUT);
        if (rc != c->rc || (rc == RS_BAD && (OUT->err.reason != c->reason || strcmp(OUT->err.field, c->field))))
            fail_msg("case %zu %s: rc %d reason %s field '%s' offset %u; want rc %d reason %s field '%s'", i, c->in,
                     rc, rs_dec_reason_name(OUT->err.reason), OUT->err.field, OUT->err.offset, c->rc,
                     rs_dec_reason_name((unsigned)c->reason), c->field);
        if (rc == RS_BAD)
            assert_true(OUT->err.offset <= n);
        rs_guard_free(g, n);
        if (rc != RS_AGAIN)
            differential(d, c->in, n);
    }
}

/* Feed every prefix of msg (guard page right after it). A strict prefix of
 * a well-formed message is RS_AGAIN, never RS_BAD, never a crash/overread. */
static void prefixes(rs_decoder *d, const char *msg, size_t n, int full_rc)
{
    /* end of the JSON value: after that, trailing whitespace only */
    size_t end = n;
    while (end && (msg[end - 1] == ' ' || msg[end - 1] == '\n' || msg[end - 1] == '\r' || msg[end - 1] == '\t'))
        end--;
    for (size_t k = 0; k <= n; k++) {
        uint8_t *g = rs_guard_copy(msg, k);
        int rc = rs_decode(d, g, k, OUT);
        if (k < end && rc != RS_AGAIN)
            fail_msg("prefix %zu/%zu of %.*s: rc %d (%s at %u)", k, n, (int)n, msg, rc,
                     rs_dec_reason_name(OUT->err.reason), OUT->err.offset);
        if (k >= end && rc != full_rc)
            fail_msg("prefix %zu/%zu of %.*s: rc %d, full %d", k, n, (int)n, msg, rc, full_rc);
        rs_guard_free(g, k);
    }
}

static int sample_files(const char *dir, char names[][512], int max)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dp)) && n < max) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(names[n++], 512, "%.250s/%.250s", dir, de->d_name);
    }
    closedir(dp);
    return n;
}

static void spec_check(rs_decoder *d, const char *msg, size_t n);

static void run_dir(const char *dir, rs_decoder *d, int venue_filter, int *count)
{
    static char names[256][512];
    int n = sample_files(dir, names, 256);
    if (n < 0)
        return;
    for (int i = 0; i < n; i++) {
        const char *base = strrchr(names[i], '/') + 1;
        /* venue market-stream samples only (requests and REST bodies are
         * not stream messages) */
        if (venue_filter == 'b' && strncmp(base, "ws_", 3) && !strstr(base, "_ws_") && !strstr(base, "fut_") &&
            strcmp(base, "escapes.json") && strcmp(base, "exponent.json"))
            continue;
        if (venue_filter == 'o' && strstr(base, "_request"))
            continue;
        if (venue_filter == 'o' && !strstr(base, "trades") && !strstr(base, "subscribe_error") &&
            !strstr(base, "bbo") && strcmp(base, "multi.json") && strcmp(base, "pong.txt"))
            continue;
        size_t len;
        char *txt = rs_test_read_file(names[i], &len);
        char *mini = malloc(len + 1);
        size_t mn = minify(txt, len, mini);
        int full = rs_decode(d, (const uint8_t *)txt, len, OUT);
        if (full != RS_OK)
            fail_msg("%s: rc %d %s field '%s' at %u", names[i], full, rs_dec_reason_name(OUT->err.reason),
                     OUT->err.field, OUT->err.offset);
        memcpy(OUT2, OUT, sizeof *OUT);   /* pretty-printed: the validating scanner */
        assert_int_equal(rs_decode(d, (const uint8_t *)mini, mn, OUT), RS_OK);
        assert_same(OUT, OUT2, names[i]);
        differential(d, mini, mn);
        spec_check(d, mini, mn);
        prefixes(d, txt, len, full);
        prefixes(d, mini, mn, full);
        (*count)++;
        free(mini);
        free(txt);
    }
}


/* ---- shape cache (feed/decode_spec.h) against the reference path -------
 * A decoder with the cache and one with no_spec = 1 over the same universe
 * must give the same verdict, the same records and the same error (reason,
 * offset, field) for a message, for the same message again (now covered by
 * the learned shape), and for every mutation of it: each digit set to each
 * digit (leading zeros, zero prices, fractions beyond the scale, f > l,
 * U > u), each byte set to a structural character or a letter, and random
 * multi-digit rewrites. The message ends right before a guard page. */
static rs_decoder REF;
static unsigned spec_learned;

static void spec_one(rs_decoder *d, const uint8_t *g, size_t n, const char *what)
{
    int a = rs_decode(d, g, n, OUT);
    int b = rs_decode(&REF, g, n, OUT2);
    if (a != b)
        fail_msg("%s: shape cache rc %d vs reference %d on %.*s", what, a, b, (int)n, (const char *)g);
    if (a == RS_OK) {
        if (OUT->n_trades != OUT2->n_trades || OUT->sym != OUT2->sym || OUT->consumed != OUT2->consumed ||
            OUT->first_trade_id != OUT2->first_trade_id || OUT->last_trade_id != OUT2->last_trade_id ||
            OUT->venue != OUT2->venue || OUT->err.reason != OUT2->err.reason)
            fail_msg("%s: output fields differ on %.*s", what, (int)n, (const char *)g);
        assert_same(OUT, OUT2, what);
    } else if (a == RS_BAD && (OUT->err.reason != OUT2->err.reason || OUT->err.offset != OUT2->err.offset ||
                               strcmp(OUT->err.field, OUT2->err.field))) {
        fail_msg("%s: error %s/%u/%s vs %s/%u/%s on %.*s", what, rs_dec_reason_name(OUT->err.reason),
                 OUT->err.offset, OUT->err.field, rs_dec_reason_name(OUT2->err.reason), OUT2->err.offset,
                 OUT2->err.field, (int)n, (const char *)g);
    }
}

static void spec_check(rs_decoder *d, const char *msg, size_t n)
{
    rs_decoder_init(&REF, d->u, d->venue);
    REF.auto_add = d->auto_add;
    REF.auto_px_exp = d->auto_px_exp;
    REF.auto_qty_exp = d->auto_qty_exp;
    REF.no_spec = 1;
    uint8_t *g = rs_guard_copy(msg, n);
    sp_forget(d, n);   /* learn this one even if its set is full */
    spec_one(d, g, n, "learn");
    spec_one(d, g, n, "again");
    if (n <= RS_DEC_SP_MAXN && sp_covered(d, g, n)) {
        /* and the learned shape takes it (the "again" decode was a hit) */
        int hit = 0;
        for (unsigned w = 0; w < RS_DEC_SP_WAYS; w++)
            hit |= sp_set(d, n)[w].n == n && sp_run(d, &sp_set(d, n)[w], g, n, OUT2) == 0;
        if (!hit)
            fail_msg("learned but not hit: %.*s", (int)n, msg);
        spec_learned++;
    }
    else if (getenv("SPEC_DEBUG"))
        print_message("not learned: %.*s\n", (int)n, msg);
    /* mutated symbols must not grow the universe */
    uint8_t add = d->auto_add;
    d->auto_add = REF.auto_add = 0;
    size_t lim = n < 600 ? n : 600;
    for (size_t i = 0; i < lim; i++) {
        uint8_t was = g[i];
        if (j_isdigit(was)) {
            for (uint8_t c = '0'; c <= '9'; c++) {
                g[i] = c;
                spec_one(d, g, n, "digit");
            }
        }
        static const char other[] = "\"., }]-ae+0";
        for (size_t k = 0; k < sizeof other - 1; k++) {
            g[i] = (uint8_t)other[k];
            spec_one(d, g, n, "byte");
        }
        g[i] = was;
        spec_one(d, g, n, "restored");
    }
    uint64_t x = 0x9E3779B97F4A7C15ull ^ n;
    for (int it = 0; it < 200; it++) {
        memcpy(g, msg, n);
        for (size_t i = 0; i < lim; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            if (j_isdigit(g[i]) && (x & 3) == 0)
                g[i] = (uint8_t)((x >> 8) & 1 ? '0' : '0' + (x >> 16) % 10);
        }
        spec_one(d, g, n, "random digits");
    }
    d->auto_add = add;
    rs_guard_free(g, n);
}

static void test_spec_shapes(void **s)
{
    (void)s;
    /* the bench's messages and variants of them */
    static const struct { char v; const char *m; } msgs[] = {
        {'b', "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\","
              "\"T\":1672515782136,\"m\":true,\"M\":true}"},
        {'b', "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.00100000\",\"q\":"
              "\"100.00000000\",\"T\":1672515782136,\"m\":false,\"M\":true}"},
        {'b', "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BTCUSDT\",\"t\":12345,\"p\":\"20000.10000000\",\"q\":"
              "\"0.00100000\",\"T\":1672515782136,\"m\":false,\"M\":true}"},
        {'b', "{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\","
              "\"t\":705291099,\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"b\":7038593583,\"a\":7038593613,"
              "\"T\":1639351062243,\"m\":true,\"M\":true}}"},
        {'f', "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\","
              "\"f\":100,\"l\":105,\"T\":1672515782136,\"m\":true,\"M\":true}"},
        {'b', "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\","
              "\"A\":\"40.66000000\"}"},
        {'f', "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"T\":1571889248276,\"s\":\"BTCUSDT\",\"U\":390497796,"
              "\"u\":390497878,\"pu\":390497794,\"b\":[[\"7403.89\",\"0.002\"],[\"7403.90\",\"3.906\"]],"
              "\"a\":[[\"7405.96\",\"3.340\"],[\"7406.63\",\"4.525\"]]}"},
        {'b', "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"s\":\"BTCUSDT\",\"U\":390497796,\"u\":390497878,"
              "\"b\":[[\"7403.89\",\"0.00200\"]],\"a\":[]}"},
        {'o', "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\","
              "\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\",\"side\":\"buy\",\"ts\":"
              "\"1630048897897\",\"count\":\"3\",\"source\":\"0\",\"seqId\":1234}]}"},
        {'o', "{\"arg\":{\"channel\":\"trades-all\",\"instId\":\"ETH-USDT\"},\"data\":[{\"instId\":\"ETH-USDT\","
              "\"tradeId\":\"130639474\",\"px\":\"2219.90\",\"sz\":\"0.1206\",\"side\":\"sell\",\"ts\":"
              "\"1630048897897\"},{\"instId\":\"ETH-USDT\",\"tradeId\":\"130639475\",\"px\":\"2219.91\",\"sz\":"
              "\"1.5\",\"side\":\"buy\",\"ts\":\"1630048897898\"}]}"},
    };
    spec_learned = 0;
    for (size_t i = 0; i < RS_ARRAY_LEN(msgs); i++) {
        rs_decoder *d = msgs[i].v == 'o' ? &DO : msgs[i].v == 'f' ? &DF : &DB;
        spec_check(d, msgs[i].m, strlen(msgs[i].m));
    }
    /* every listed message is covered by a learned shape */
    assert_int_equal(spec_learned, RS_ARRAY_LEN(msgs));

    /* the universe grows after a shape was learned: the shape is not used
     * until relearned, the records stay the same */
    rs_universe u2;
    memset(&u2, 0, sizeof u2);
    static rs_decoder b;
    rs_decoder_init(&b, &u2, RS_VENUE_BINANCE);
    b.auto_add = 1;
    for (size_t i = 0; i < 6; i++)
        spec_check(&b, msgs[i].m, strlen(msgs[i].m));
    assert_true(u2.n >= 4);
}

static void test_vectors_and_prefixes(void **s)
{
    (void)s;
    rs_universe u2;
    memset(&u2, 0, sizeof u2);
    rs_decoder b, o;
    rs_decoder_init(&b, &u2, RS_VENUE_BINANCE);
    rs_decoder_init(&o, &u2, RS_VENUE_OKX);
    b.auto_add = o.auto_add = 1;
    int count = 0;
    run_dir(rs_test_src("tests/fuzz/corpus/fuzz_decode_binance"), &b, 'b', &count);
    run_dir(rs_test_src("tests/fuzz/corpus/fuzz_decode_okx"), &o, 'o', &count);
    assert_true(count >= 20);
    int shared = 0;
    run_dir(rs_test_shared("vectors/exchange/binance"), &b, 'b', &shared);
    run_dir(rs_test_shared("vectors/exchange/okx"), &o, 'o', &shared);
    print_message("decoded %d in-tree samples and %d shared vectors, every prefix guarded\n", count, shared);
}

static void test_no_alloc(void **s)
{
    (void)s;
    const char *m = "{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\","
                    "\"t\":705291099,\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"T\":1639351062243,\"m\":true}}";
    uint64_t a0 = rs_mem_thread_allocated();
    for (int i = 0; i < 1000; i++)
        assert_int_equal(dec(&DB, m), RS_OK);
    uint64_t a1 = rs_mem_thread_allocated();
    if (a0 != UINT64_MAX)
        assert_int_equal(a1, a0);
}

static void test_big_depth(void **s)
{
    (void)s;
    /* more levels than fit one record: rejected as too large, not truncated */
    size_t cap = 6000 * 24 + 256;
    char *m = malloc(cap);
    int n = snprintf(m, cap, "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BNBBTC\",\"U\":1,\"u\":2,\"a\":[],\"b\":[");
    for (int i = 0; i < 6000; i++)
        n += snprintf(m + n, cap - (size_t)n, "%s[\"%d\",\"1\"]", i ? "," : "", i + 1);
    n += snprintf(m + n, cap - (size_t)n, "]}");
    assert_int_equal(rs_decode(&DB, (const uint8_t *)m, (size_t)n, OUT), RS_BAD);
    assert_int_equal(OUT->err.reason, RS_BAD_TOO_LARGE);
    free(m);
}

/* Every single-byte mutation of compact samples: fast and slow paths agree
 * (a mutation that the fast path accepts must mean the same thing). */
/* Fractions of every width around the one-load fast path (up to 8 digits,
 * Binance sends exactly 8), at scales above and below the width, with
 * non-zero digits beyond the scale (rejected) and trailing zeros
 * (accepted): fast tiers and validating scanner agree, every prefix
 * before a guard page is RS_AGAIN, and known values come out exact. */
static void test_fraction_widths(void **s)
{
    (void)s;
    static const char *const fracs[] = {"1", "12", "10", "123", "1000", "12345", "123456", "1234567", "12345678",
                                        "10000000", "12000000", "12300000", "00000001", "00000000", "123456789",
                                        "100000000", "120000000", "1234567890", "10000000000", "99999999"};
    static const char *const syms[] = {"BNBUSDT", "BTCUSDT"};   /* px/qty exp 8/8 and 2/3 */
    char m[256];
    int n_ok = 0;
    for (size_t si = 0; si < RS_ARRAY_LEN(syms); si++)
        for (size_t i = 0; i < RS_ARRAY_LEN(fracs); i++)
            for (size_t j = 0; j < RS_ARRAY_LEN(fracs); j++) {
                int len = snprintf(m, sizeof m,
                                   "{\"u\":400900217,\"s\":\"%s\",\"b\":\"25.%s\",\"B\":\"3.%s\",\"a\":\"7.%s\","
                                   "\"A\":\"0.%s\"}",
                                   syms[si], fracs[i], fracs[j], fracs[j], fracs[i]);
                differential(&DB, m, (size_t)len);
                int rc = rs_decode(&DB, (const uint8_t *)m, (size_t)len, OUT);
                n_ok += rc == RS_OK;
                if (i % 7 == 0)
                    prefixes(&DB, m, (size_t)len, rc);
            }
    assert_true(n_ok > 50);
    /* exact values */
    assert_int_equal(dec(&DB, "{\"u\":1,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\","
                              "\"a\":\"25.36520000\",\"A\":\"0.00000001\"}"),
                     RS_OK);
    assert_int_equal(OUT->bbo.bid_px, 2535190000LL);
    assert_int_equal(OUT->bbo.bid_qty, 3121000000LL);
    assert_int_equal(OUT->bbo.ask_px, 2536520000LL);
    assert_int_equal(OUT->bbo.ask_qty, 1);
    assert_int_equal(dec(&DB, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"25.35000000\",\"B\":\"31.21000000\","
                              "\"a\":\"25.36000000\",\"A\":\"40.66000000\"}"),
                     RS_OK);
    assert_int_equal(OUT->bbo.bid_px, 2535);
    assert_int_equal(OUT->bbo.bid_qty, 31210);
    assert_int_equal(OUT->bbo.ask_qty, 40660);
    assert_int_equal(dec(&DB, "{\"u\":1,\"s\":\"BTCUSDT\",\"b\":\"25.35000001\",\"B\":\"31.21000000\","
                              "\"a\":\"25.36000000\",\"A\":\"40.66000000\"}"),
                     RS_BAD);
    assert_int_equal(OUT->err.reason, RS_BAD_RANGE);
}

static void test_mutations(void **s)
{
    (void)s;
    static const char *const msgs[] = {
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\",\"t\":705291099,\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"T\":1639351062243,\"m\":false}}",
        "{\"e\":\"aggTrade\",\"E\":1,\"s\":\"BNBBTC\",\"a\":5,\"p\":\"0.01\",\"q\":\"100\",\"f\":100,\"l\":105,\"T\":2,\"m\":true}",
        "{\"e\":\"trade\",\"E\":1,\"s\":\"ETHUSDT\",\"t\":7,\"b\":1,\"p\":\"4149.74\",\"q\":\"0.4387\",\"a\":2,\"T\":1,\"m\":false}",
        "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\",\"A\":\"40.66000000\"}",
        "{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"BTCUSDT\",\"U\":3,\"u\":9,\"pu\":2,\"b\":[[\"7403.89\",\"0.002\"]],\"a\":[[\"7405.96\",\"3.340\",\"x]\"]]}",
    };
    static const char repl[] = "0 9.-e\"\\{}[],:abpTx\x01";
    for (size_t m = 0; m < RS_ARRAY_LEN(msgs); m++) {
        size_t n = strlen(msgs[m]);
        char *b = malloc(n + 1);
        for (size_t i = 0; i < n; i++)
            for (size_t r = 0; r < sizeof repl - 1; r++) {
                memcpy(b, msgs[m], n);
                b[i] = repl[r];
                differential(&DB, b, n);
                differential(&DF, b, n);
            }
        free(b);
    }
    static const char *const okx[] = {
        "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\",\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\",\"side\":\"buy\",\"ts\":\"1630048897897\",\"count\":\"3\",\"seqId\":1234},{\"instId\":\"ETH-USDT\",\"tradeId\":\"7\",\"px\":\"1\",\"sz\":\"1\",\"side\":\"sell\",\"ts\":\"1\"}]}",
    };
    size_t n = strlen(okx[0]);
    char *b = malloc(n + 1);
    for (size_t i = 0; i < n; i++)
        for (size_t r = 0; r < sizeof repl - 1; r++) {
            memcpy(b, okx[0], n);
            b[i] = repl[r];
            differential(&DO, b, n);
        }
    free(b);
}

/* The 16-byte number scan (SSSE3: f_uint16 / f_dec16, used by the decoders
 * when built with RS_DEC_SIMD_NUM=1) against f_uint / f_dec: the same
 * number once with 16+ readable bytes after it (16-byte form) and once right
 * before a guard page with fewer than 16 bytes left (always the SWAR code)
 * must give the same verdict, value and end; an accepted decimal must equal
 * rs_dec_fixed. Widths 0..16 of the integer
 * and fraction parts, leading zeros, zero tails (kept or beyond the scale),
 * every scale 0..18, each followed by a quote, a comma, '.', 'e' or a digit
 * run reaching the 16-byte edge. */
static uint64_t rng_next(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void test_number_scan(void **s)
{
    (void)s;
#ifndef F_SIMD
    skip();
#else
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    char num[64], big[96];
    int n_simd_ok = 0, n_cmp = 0;
    static const char terms[] = "\",.e}x";
    static const char zero15[15] = {0};
    uint8_t *g15 = rs_guard_copy(zero15, 15);   /* 15 bytes ending at a guard page, reused */
    int iters = rs_test_scale() < 1.0 ? 60000 : 300000;   /* sanitizer builds: fewer */
    for (int iter = 0; iter < iters; iter++) {
        uint64_t r = rng_next(&seed);
        unsigned ni = (unsigned)(r % 17), nf = (unsigned)((r >> 8) % 17), dot = (r >> 16) & 1;
        unsigned zeros = (unsigned)((r >> 20) % 10), exp = (unsigned)((r >> 28) % 19);
        int len = 0;
        for (unsigned i = 0; i < ni; i++)
            num[len++] = (char)('0' + (i == 0 && (r >> 33) % 5 == 0 ? 0 : rng_next(&seed) % 10));
        if (dot) {
            num[len++] = '.';
            for (unsigned i = 0; i < nf; i++)
                num[len++] = (char)('0' + (i + zeros >= nf ? 0 : rng_next(&seed) % 10));
        }
        if (len == 0 || len > 15)
            continue;
        char t = terms[(r >> 40) % (sizeof terms - 1)];
        if ((r >> 44) % 8 == 0)
            t = (char)('0' + (r >> 48) % 10);
        num[len] = t;
        /* 16-byte path: plenty of bytes after the terminator */
        memset(big, 'x', sizeof big);
        memcpy(big, num, (size_t)len + 1);
        /* SWAR path: the number and its terminator right before a guard page
         * (a digit terminator is dropped: its run would go on) */
        size_t gl = (size_t)len + (j_isdigit((uint8_t)t) ? 0 : 1);
        if (gl >= 16)
            continue;
        uint8_t *g = g15 + 15 - gl;
        memcpy(g, num, gl);
        if (j_isdigit((uint8_t)t)) {   /* compare with the run as long in both */
            big[len] = 'x';
        }
        const uint8_t *pa = (const uint8_t *)big, *pb = g;
        int64_t va = -1, vb = -1;
        int ra = f_dec16(&pa, (const uint8_t *)big + sizeof big, exp, &va);
        if (ra == 1) {   /* not covered by the 16-byte form */
            n_cmp++;
            continue;
        }
        int rb = f_dec(&pb, g + gl, exp, &vb);
        if (ra != rb || (ra == 0 && (va != vb || pa - (const uint8_t *)big != pb - g)))
            fail_msg("f_dec '%.*s' exp %u: 16-byte %d %lld end %td vs SWAR %d %lld end %td", len, num, exp, ra,
                     (long long)va, pa - (const uint8_t *)big, rb, (long long)vb, pb - g);
        if (ra == 0) {
            int64_t vf;
            size_t used = (size_t)(pa - (const uint8_t *)big);
            if (rs_dec_fixed(big, used, exp, &vf) != 0 || vf != va)
                fail_msg("f_dec '%.*s' exp %u = %lld, rs_dec_fixed disagrees", (int)used, big, exp, (long long)va);
            n_simd_ok++;
        }
        if (!dot) {
            uint64_t ua = 0, ub = 0;
            pa = (const uint8_t *)big;
            pb = g;
            ra = f_uint16(&pa, (const uint8_t *)big + sizeof big, &ua);
            if (ra == 1)
                ra = f_uint(&pa, (const uint8_t *)big + sizeof big, &ua);
            rb = f_uint(&pb, g + gl, &ub);
            if (ra != rb || (ra == 0 && (ua != ub || pa - (const uint8_t *)big != pb - g)))
                fail_msg("f_uint '%.*s': 16-byte %d %llu vs SWAR %d %llu", len, num, ra, (unsigned long long)ua, rb,
                         (unsigned long long)ub);
            if (ra == 0 && ua != strtoull(big, NULL, 10))
                fail_msg("f_uint '%.*s' = %llu", len, num, (unsigned long long)ua);
        }
        n_cmp++;
    }
    rs_guard_free(g15, 15);
    print_message("number scan: %d compared, %d accepted decimals\n", n_cmp, n_simd_ok);
    assert_true(n_cmp > iters / 3 && n_simd_ok > iters / 15);
#endif
}

/* Escape-free string bodies up to the first quote (f_str16) against the
 * byte loop, with the quote, a backslash or a control byte at every offset. */
static void test_str16(void **s)
{
    (void)s;
    uint8_t b[40];
    static const uint8_t specials[] = {'"', '\\', 0x01, 0x1f, 0x20, 'A', 0x7f, 0x80, 0xff};
    for (unsigned i = 0; i < 20; i++)
        for (unsigned j = 0; j < 20; j++)
            for (size_t a = 0; a < sizeof specials; a++)
                for (size_t c = 0; c < sizeof specials; c++) {
                    memset(b, 'A', sizeof b);
                    b[i] = specials[a];
                    b[j] = specials[c];
                    for (unsigned avail = 15; avail <= 17; avail++) {
                        int r = f_str16(b, b + avail);
                        int want = -1;
                        if (avail >= 16) {
                            for (int k = 0; k < 16; k++) {
                                if (b[k] == '"') {
                                    want = k;
                                    break;
                                }
                                if (b[k] == '\\' || b[k] < 0x20)
                                    break;
                            }
                        }
                        if (r != want)
                            fail_msg("f_str16: %d, want %d (i %u j %u)", r, want, i, j);
                    }
                }
}

/* The template tiers expect the venue's key order and compact bytes; every
 * surprise must fall back to the generic scanner and give the same record
 * (or the same verdict): keys reordered, unknown keys (scalars, nested
 * containers) between known ones, escapes in keys and values, whitespace,
 * numbers the 16-byte scan does not cover. Each variant: same records as
 * the canonical message, fast-vs-validating differential, and every prefix
 * right before a guard page. */
static void check_variant(rs_decoder *d, const char *canon, const char *var)
{
    static rs_decoded ref;
    assert_int_equal(rs_decode(d, (const uint8_t *)canon, strlen(canon), &ref), RS_OK);
    int rc = rs_decode(d, (const uint8_t *)var, strlen(var), OUT);
    if (rc != RS_OK)
        fail_msg("variant rejected (%s '%s' at %u): %s", rs_dec_reason_name(OUT->err.reason), OUT->err.field,
                 OUT->err.offset, var);
    assert_same(&ref, OUT, var);
    differential(d, var, strlen(var));
    prefixes(d, var, strlen(var), RS_OK);
}

static void test_template_fallbacks(void **s)
{
    (void)s;
    const char *tr = "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\","
                     "\"T\":1672515782136,\"m\":true,\"M\":true}";
    static const char *const tr_var[] = {
        /* reordered */
        "{\"E\":1672515782136,\"e\":\"trade\",\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"q\":\"100\",\"p\":\"0.001\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"m\":true,\"M\":true,\"T\":1672515782136}",
        "{\"M\":true,\"m\":true,\"T\":1672515782136,\"q\":\"100\",\"p\":\"0.001\",\"t\":12345,\"s\":\"BNBBTC\",\"E\":1672515782136,\"e\":\"trade\"}",
        /* unknown keys: scalars, long names, nested containers, in the middle and at the ends */
        "{\"e\":\"trade\",\"E\":1672515782136,\"x\":\"y\",\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"zz\":[1,{\"a\":[2,\"]\"]}],\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"x\":-1.5e3,\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true,\"extra\":{\"k\":null}}",
        "{\"first\":0,\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        /* escapes in the middle: a value, a key, the event type */
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNB\\u0042TC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"\\u0070\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"tr\\u0061de\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"x\":\"a\\\"b\\\\c\\n\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        /* whitespace, and numbers outside the 16-byte scan (long runs, zero tails, exponents) */
        "{\"e\":\"trade\", \"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}\n",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"0.00100000000000000000\",\"q\":\"100.000000000000\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":000000000000000012345,\"p\":\"0.001\",\"q\":\"100\",\"T\":1672515782136,\"m\":true,\"M\":true}",
        "{\"e\":\"trade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"t\":12345,\"p\":\"1e-3\",\"q\":\"1.00e2\",\"T\":1672515782136,\"m\":true,\"M\":true}",
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(tr_var); i++) {
        if (strstr(tr_var[i], "000000000000000012345")) {   /* leading zeros: not JSON */
            assert_int_equal(dec(&DB, tr_var[i]), RS_BAD);
            assert_int_equal(OUT->err.reason, RS_BAD_SYNTAX);
            differential(&DB, tr_var[i], strlen(tr_var[i]));
            continue;
        }
        check_variant(&DB, tr, tr_var[i]);
    }
    /* combined wrapper with legacy keys, aggTrade, bookTicker, depth, OKX */
    const char *cmb = "{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\","
                      "\"t\":705291099,\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"b\":7038593583,\"a\":7038593613,"
                      "\"T\":1639351062243,\"m\":true,\"M\":true}}";
    check_variant(&DB, cmb,
                  "{\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\",\"t\":705291099,\"p\":\"4149.74000000\","
                  "\"q\":\"0.43870000\",\"b\":7038593583,\"a\":7038593613,\"T\":1639351062243,\"m\":true,\"M\":true},"
                  "\"stream\":\"ethusdt@trade\"}");
    check_variant(&DB, cmb,
                  "{\"stream\":\"eth\\u0075sdt@trade\",\"data\":{\"e\":\"trade\",\"E\":1639351062244,\"s\":\"ETHUSDT\","
                  "\"t\":705291099,\"p\":\"4149.74000000\",\"q\":\"0.43870000\",\"a\":7038593613,\"b\":7038593583,"
                  "\"T\":1639351062243,\"m\":true,\"M\":true}}");
    const char *agg = "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\","
                      "\"f\":100,\"l\":105,\"T\":1672515782136,\"m\":true,\"M\":true}";
    check_variant(&DF, agg,
                  "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\","
                  "\"l\":105,\"f\":100,\"T\":1672515782136,\"m\":true,\"M\":true}");
    check_variant(&DF, agg,
                  "{\"e\":\"aggTrade\",\"E\":1672515782136,\"s\":\"BNBBTC\",\"a\":12345,\"p\":\"0.001\",\"q\":\"100\","
                  "\"f\":100,\"l\":105,\"T\":1672515782136,\"m\":true,\"M\":true,\"nq\":\"1\"}");
    const char *bbo = "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\","
                      "\"A\":\"40.66000000\"}";
    check_variant(&DB, bbo,
                  "{\"s\":\"BNBUSDT\",\"u\":400900217,\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"a\":\"25.36520000\","
                  "\"A\":\"40.66000000\"}");
    check_variant(&DB, bbo,
                  "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.35190000\",\"B\":\"31.21000000\",\"x\":[],\"a\":\"25.36520000\","
                  "\"A\":\"40.66000000\"}");
    check_variant(&DB, bbo,
                  "{\"u\":400900217,\"s\":\"BNBUSDT\",\"b\":\"25.3519\",\"B\":\"31.21\",\"a\":\"25.3652\",\"A\":\"40.66\"}");
    const char *dep = "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"T\":1571889248276,\"s\":\"BTCUSDT\",\"U\":390497796,"
                      "\"u\":390497878,\"pu\":390497794,\"b\":[[\"7403.89\",\"0.002\"],[\"7403.90\",\"3.906\"]],"
                      "\"a\":[[\"7405.96\",\"3.340\"],[\"7406.63\",\"4.525\"]]}";
    check_variant(&DF, dep,
                  "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"T\":1571889248276,\"s\":\"BTCUSDT\",\"U\":390497796,"
                  "\"u\":390497878,\"pu\":390497794,\"a\":[[\"7405.96\",\"3.340\"],[\"7406.63\",\"4.525\"]],"
                  "\"b\":[[\"7403.89\",\"0.002\"],[\"7403.90\",\"3.906\"]]}");
    check_variant(&DF, dep,
                  "{\"e\":\"depthUpdate\",\"E\":1571889248277,\"T\":1571889248276,\"s\":\"BTCUSDT\",\"U\":390497796,"
                  "\"u\":390497878,\"pu\":390497794,\"b\":[[\"7403.89\",\"0.002\"],[\"7403.9000000000000\",\"3.906\"]],"
                  "\"a\":[[\"7405.96\",\"3.340\"],[ \"7406.63\",\"4.525\"]]}");
    const char *okx = "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\","
                      "\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\",\"side\":\"buy\",\"ts\":\"1630048897897\","
                      "\"count\":\"3\",\"source\":\"0\",\"seqId\":1234}]}";
    check_variant(&DO, okx,
                  "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"tradeId\":\"130639474\","
                  "\"instId\":\"BTC-USDT\",\"sz\":\"0.12060306\",\"px\":\"42219.9\",\"side\":\"buy\",\"ts\":\"1630048897897\","
                  "\"count\":\"3\",\"source\":\"0\",\"seqId\":1234}]}");
    check_variant(&DO, okx,
                  "{\"data\":[{\"instId\":\"BTC-USDT\",\"tradeId\":\"130639474\",\"px\":\"42219.9\",\"sz\":\"0.12060306\","
                  "\"side\":\"b\\u0075y\",\"ts\":\"1630048897897\",\"count\":\"3\",\"source\":\"0\",\"seqId\":1234}],"
                  "\"arg\":{\"instId\":\"BTC-USDT\",\"channel\":\"trades\"}}");
    check_variant(&DO, okx,
                  "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":[{\"instId\":\"BTC-USDT\","
                  "\"tradeId\":\"130639474\",\"px\":\"42219.90000000000\",\"sz\":\"0.12060306\",\"side\":\"buy\","
                  "\"ts\":\"1630048897897\",\"seqId\":{\"n\":[1,2]},\"count\":\"3\"}]}");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fixed),         cmocka_unit_test(test_binance_samples),
        cmocka_unit_test(test_okx_samples),   cmocka_unit_test(test_bad_table),
        cmocka_unit_test(test_vectors_and_prefixes), cmocka_unit_test(test_no_alloc),
        cmocka_unit_test(test_big_depth), cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_fraction_widths), cmocka_unit_test(test_number_scan),
        cmocka_unit_test(test_str16), cmocka_unit_test(test_template_fallbacks),
        cmocka_unit_test(test_spec_shapes),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
