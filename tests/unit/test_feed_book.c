/* Feed stage depth book and REST-snapshot resync (cfg.depth_book), trade-id
 * gaps (cfg.trade_gaps), the snapshot parser, and the venue simulator's
 * depth model checked against the feed's book: a snapshot at any id a diff
 * covers, plus that diff, gives the book at the diff's end. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/venue_sim_depth.h"
#include "../../feed/feed_book.h"
#include "ringside/decode.h"
#include "ringside/feed_stage.h"
#include "ringside/mem.h"
#include "testutil.h"

#define SEC 1000000000LL
#define T0 (1700000000LL * SEC)

typedef struct fx {
    rs_universe u;
    rs_feed *f;
    void *mem;
    rs_emit_buf md, mark, raw;
    uint8_t *bmd, *bmark, *braw;
    rs_feed_out out;
} fx;

static fx *fx_new(int book, int gaps)
{
    fx *x = calloc(1, sizeof *x);
    const char *syms[] = {"BTCUSDT", "ETHUSDT"};
    for (int i = 0; i < 2; i++) {
        rs_instrument ins;
        memset(&ins, 0, sizeof ins);
        strcpy(ins.symbol, syms[i]);
        ins.px_exp = 2;
        ins.qty_exp = 5;
        assert_true(rs_universe_add(&x->u, &ins) >= 0);
    }
    x->mem = rs_mem_alloc(rs_feed_memsize(), 64, "test feed");
    rs_feed_cfg c;
    rs_feed_cfg_default(&c);
    c.depth_book = (uint8_t)book;
    c.trade_gaps = (uint8_t)gaps;
    x->f = rs_feed_init(x->mem, &c, &x->u);
    assert_non_null(x->f);
    size_t cap = 8u << 20;
    x->bmd = calloc(1, cap);
    x->bmark = calloc(1, cap);
    x->braw = calloc(1, cap);
    rs_emit_buf_init(&x->md, x->bmd, cap, RS_STREAM_MD);
    rs_emit_buf_init(&x->mark, x->bmark, cap, RS_STREAM_MARK);
    rs_emit_buf_init(&x->raw, x->braw, cap, RS_STREAM_RAW);
    x->out.md = &x->md.e;
    x->out.mark = &x->mark.e;
    x->out.raw = &x->raw.e;
    return x;
}

static void fx_free(fx *x)
{
    rs_mem_free(x->mem);
    free(x->bmd);
    free(x->bmark);
    free(x->braw);
    free(x);
}

static int frame(fx *x, uint32_t conn, const char *s, int64_t ts)
{
    return rs_feed_on_frame(x->f, conn, (const uint8_t *)s, strlen(s), ts, &x->out);
}

static int snap(fx *x, uint16_t sym, const char *s, int64_t ts)
{
    return rs_feed_on_snapshot(x->f, sym, (const uint8_t *)s, strlen(s), ts, &x->out);
}

static int count_type(const rs_emit_buf *eb, uint16_t type)
{
    size_t off = 0;
    const rs_rec *r;
    int n = 0;
    while ((r = rs_emit_buf_next(eb, &off)))
        n += r->type == type;
    return n;
}

static const rs_rec *nth_type(const rs_emit_buf *eb, uint16_t type, int k)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(eb, &off)))
        if (r->type == type && k-- == 0)
            return r;
    return NULL;
}

static const rs_ev_freshness *last_fresh(const rs_emit_buf *eb, uint16_t sym)
{
    size_t off = 0;
    const rs_rec *r, *last = NULL;
    while ((r = rs_emit_buf_next(eb, &off)))
        if (r->type == RS_EV_FRESHNESS && ((const rs_ev_freshness *)r)->sym == sym)
            last = r;
    return (const rs_ev_freshness *)last;
}

/* spot diff: bids b "px:qty,..." asks a */
static char *sdiff(char *out, uint64_t U, uint64_t u, const char *b, const char *a)
{
    char lb[512] = "", la[512] = "";
    for (int side = 0; side < 2; side++) {
        const char *src = side ? a : b;
        char *dst = side ? la : lb;
        char tmp[512];
        snprintf(tmp, sizeof tmp, "%s", src);
        int first = 1;
        for (char *sv, *t = strtok_r(tmp, ",", &sv); t; t = strtok_r(NULL, ",", &sv)) {
            char *c = strchr(t, ':');
            *c = 0;
            sprintf(dst + strlen(dst), "%s[\"%s\",\"%s\"]", first ? "" : ",", t, c + 1);
            first = 0;
        }
    }
    sprintf(out, "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"b\":[%s],\"a\":[%s]}",
            (unsigned long long)U, (unsigned long long)u, lb, la);
    return out;
}

static char *fdiff(char *out, uint64_t U, uint64_t u, uint64_t pu, const char *bpx, const char *bq)
{
    sprintf(out, "{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"pu\":%llu,"
                 "\"b\":[[\"%s\",\"%s\"]],\"a\":[]}",
            (unsigned long long)U, (unsigned long long)u, (unsigned long long)pu, bpx, bq);
    return out;
}

static void test_parse_snapshot(void **s)
{
    (void)s;
    rs_instrument ins;
    memset(&ins, 0, sizeof ins);
    strcpy(ins.symbol, "BNBBTC");
    ins.px_exp = 8;
    ins.qty_exp = 8;
    static uint64_t mem[(sizeof(rs_ev_depth) + 4096 * sizeof(rs_level)) / 8 + 1];
    rs_ev_depth *d = (rs_ev_depth *)(void *)mem;
    rs_dec_err err;
    /* the documented sample (pretty-printed) */
    size_t n;
    char *body = rs_test_read_file(rs_test_shared("vectors/exchange/binance/rest_depth_snapshot.json"), &n);
    uint8_t *g = rs_guard_copy(body, n);
    assert_int_equal(rs_fbook_parse_snapshot(g, n, &ins, d, 4096, &err), RS_OK);
    rs_guard_free(g, n);
    free(body);
    assert_int_equal(d->final_update_id, 1027024);
    assert_int_equal(d->first_update_id, 0);
    assert_int_equal(d->n_bids, 1);
    assert_int_equal(d->n_asks, 1);
    assert_int_equal(d->levels[0].px, 400000000);
    assert_int_equal(d->levels[0].qty, 43100000000LL);
    assert_int_equal(d->levels[1].px, 400000200);
    /* a recorded BTCUSDT book (2021): many levels, bids descending */
    ins.px_exp = 2;
    ins.qty_exp = 8;
    body = rs_test_read_file(rs_test_shared("vectors/exchange/binance/thirdparty_nautilus_recorded_rest_depth_btcusdt_2021.json"), &n);
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)body, n, &ins, d, 4096, &err), RS_OK);
    free(body);
    assert_int_equal(d->final_update_id, 14527958487ULL);
    assert_int_equal(d->n_bids, 10);
    assert_int_equal(d->n_asks, 10);
    assert_true(d->levels[0].px > d->levels[1].px);
    assert_true(d->levels[d->n_bids].px > d->levels[0].px);
    /* every strict prefix is rejected, never read past */
    const char *ok = "{\"lastUpdateId\":5,\"E\":1,\"T\":2,\"bids\":[[\"1.00\",\"2\"]],\"asks\":[[\"1.01\",\"3\",\"x\"]]}";
    for (size_t k = 0; k < strlen(ok); k++) {
        g = rs_guard_copy(ok, k);
        assert_int_equal(rs_fbook_parse_snapshot(g, k, &ins, d, 4096, &err), RS_BAD);
        rs_guard_free(g, k);
    }
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)ok, strlen(ok), &ins, d, 4096, &err), RS_OK);
    assert_int_equal(d->n_bids + d->n_asks, 2);
    /* asks before bids: levels still come out bids first */
    const char *rev = "{\"asks\":[[\"1.02\",\"1\"],[\"1.03\",\"1\"]],\"bids\":[[\"1.01\",\"4\"]],\"lastUpdateId\":7}";
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)rev, strlen(rev), &ins, d, 4096, &err), RS_OK);
    assert_int_equal(d->n_bids, 1);
    assert_int_equal(d->n_asks, 2);
    assert_int_equal(d->levels[0].px, 101);
    assert_int_equal(d->levels[1].px, 102);
    assert_int_equal(d->levels[2].px, 103);
    /* rejects, each with its reason and field */
    static const struct { const char *body; int reason; const char *field; } bad[] = {
        {"{\"code\":-1121,\"msg\":\"Invalid symbol.\"}", RS_BAD_MISSING_FIELD, "lastUpdateId"},
        {"{\"error\":\"connect 127.0.0.1:1: Connection refused\"}", RS_BAD_MISSING_FIELD, "lastUpdateId"},
        {"{\"lastUpdateId\":1,\"bids\":[]}", RS_BAD_MISSING_FIELD, "asks"},
        {"{\"lastUpdateId\":1.5,\"bids\":[],\"asks\":[]}", RS_BAD_NUMBER, "lastUpdateId"},
        {"{\"lastUpdateId\":-1,\"bids\":[],\"asks\":[]}", RS_BAD_NUMBER, "lastUpdateId"},
        {"{\"lastUpdateId\":1,\"bids\":[[\"1.001\",\"1\"]],\"asks\":[]}", RS_BAD_RANGE, "bids"},
        {"{\"lastUpdateId\":1,\"bids\":[[\"0\",\"1\"]],\"asks\":[]}", RS_BAD_RANGE, "bids"},
        {"{\"lastUpdateId\":1,\"bids\":[],\"asks\":[[1.0,\"1\"]]}", RS_BAD_SYNTAX, "asks"},
        {"{\"lastUpdateId\":1,\"bids\":{},\"asks\":[]}", RS_BAD_PROTOCOL, "bids"},
        {"{\"lastUpdateId\":1,\"lastUpdateId\":2,\"bids\":[],\"asks\":[]}", RS_BAD_SYNTAX, "lastUpdateId"},
        {"{\"lastUpdateId\":1,\"bids\":[],\"asks\":[]} x", RS_BAD_SYNTAX, ""},
        {"<html>502 Bad Gateway</html>", RS_BAD_SYNTAX, ""},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = rs_fbook_parse_snapshot((const uint8_t *)bad[i].body, strlen(bad[i].body), &ins, d, 4096, &err);
        if (rc != RS_BAD || err.reason != bad[i].reason || strcmp(err.field, bad[i].field))
            fail_msg("case %zu: rc %d reason %u field '%s'", i, rc, err.reason, err.field);
    }
    /* more levels than room */
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)ok, strlen(ok), &ins, d, 1, &err), RS_BAD);
    assert_int_equal(err.reason, RS_BAD_TOO_LARGE);
}

static void test_book_levels(void **s)
{
    (void)s;
    static rs_fbook b;
    memset(&b, 0, sizeof b);
    static uint64_t mem[(sizeof(rs_ev_depth) + 600 * sizeof(rs_level)) / 8 + 1];
    rs_ev_depth *d = (rs_ev_depth *)(void *)mem;
    /* more levels than kept: the best RS_FEED_BOOK_LEVELS stay */
    memset(d, 0, sizeof *d);
    d->n_bids = 300;
    d->n_asks = 300;
    for (int i = 0; i < 300; i++) {
        d->levels[i].px = 1000 + i;          /* ascending on purpose */
        d->levels[i].qty = 1;
        d->levels[300 + i].px = 5000 - i;    /* descending on purpose */
        d->levels[300 + i].qty = 1;
    }
    rs_fbook_apply(&b, d);
    assert_int_equal(b.nb, RS_FEED_BOOK_LEVELS);
    assert_int_equal(b.na, RS_FEED_BOOK_LEVELS);
    assert_int_equal(b.bid[0].px, 1299);
    assert_int_equal(b.bid[RS_FEED_BOOK_LEVELS - 1].px, 1299 - RS_FEED_BOOK_LEVELS + 1);
    assert_int_equal(b.ask[0].px, 4701);
    for (uint32_t i = 1; i < b.nb; i++)
        assert_true(b.bid[i].px < b.bid[i - 1].px && b.ask[i].px > b.ask[i - 1].px);
    /* update, delete, delete unknown, insert at the top */
    d->n_bids = 4;
    d->n_asks = 0;
    d->levels[0] = (rs_level){1299, 7};
    d->levels[1] = (rs_level){1298, 0};
    d->levels[2] = (rs_level){17, 0};
    d->levels[3] = (rs_level){1500, 3};
    rs_fbook_apply(&b, d);
    assert_int_equal(b.nb, RS_FEED_BOOK_LEVELS);   /* one out, one in */
    assert_int_equal(b.bid[0].px, 1500);
    assert_int_equal(b.bid[1].px, 1299);
    assert_int_equal(b.bid[1].qty, 7);
    assert_int_equal(b.bid[2].px, 1297);
}

static void test_resync_spot(void **s)
{
    (void)s;
    fx *x = fx_new(1, 1);
    char b[1024];
    rs_feed_actions a;
    const rs_feed_stats *st = rs_feed_get_stats(x->f);
    /* trades flow: OK */
    frame(x, 0, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":10,\"p\":\"100.00\",\"q\":\"1\",\"T\":1,\"m\":false}", T0);
    /* the first diff: the book must be built first; GAP + resync, buffered */
    frame(x, 0, sdiff(b, 100, 105, "100.00:1", "100.10:1"), T0 + 1);
    frame(x, 0, sdiff(b, 106, 110, "100.00:2,99.90:5", ""), T0 + 2);
    frame(x, 1, sdiff(b, 106, 110, "100.00:2,99.90:5", ""), T0 + 3);   /* second connection: buffered too */
    assert_int_equal(rs_feed_book_state(x->f, 0), 1);
    assert_int_equal(last_fresh(&x->mark, 0)->state, RS_FRESH_GAP);
    assert_int_equal(count_type(&x->md, RS_EV_DEPTH), 0);   /* nothing applied yet */
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    /* trades keep flowing, the symbol stays GAP */
    frame(x, 0, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":11,\"p\":\"100.05\",\"q\":\"1\",\"T\":1,\"m\":false}",
          T0 + 4);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_GAP);
    /* a snapshot older than the buffer: ask again */
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":90,\"bids\":[],\"asks\":[]}", T0 + 5), RS_OK);
    assert_int_equal(st->snapshots_old, 1);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    /* a bad body: bad-input record, ask again */
    assert_int_equal(snap(x, 0, "{\"error\":\"HTTP 503\"}", T0 + 6), RS_OK);
    assert_int_equal(st->snapshots_bad, 1);
    const rs_ev_bad_input *bi = (const rs_ev_bad_input *)nth_type(&x->raw, RS_EV_BAD_INPUT, 0);
    assert_non_null(bi);
    assert_string_equal(bi->field, "snapshot");
    assert_int_equal(bi->conn, RS_FEED_SNAP_CONN);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    /* snapshot at 103: 100..105 bridges it (U <= 104 <= u) */
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":103,\"bids\":[[\"100.00\",\"9\"],[\"99.80\",\"1\"]],"
                                "\"asks\":[[\"100.10\",\"4\"],[\"100.20\",\"4\"]]}", T0 + 7), RS_OK);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    assert_int_equal(st->resyncs_done, 1);
    /* md: the snapshot (first_update_id 0) then the two applied diffs */
    assert_int_equal(count_type(&x->md, RS_EV_DEPTH), 3);
    const rs_ev_depth *d0 = (const rs_ev_depth *)nth_type(&x->md, RS_EV_DEPTH, 0);
    assert_int_equal(d0->first_update_id, 0);
    assert_int_equal(d0->final_update_id, 103);
    assert_int_equal(d0->n_bids, 2);
    const rs_ev_depth *d2 = (const rs_ev_depth *)nth_type(&x->md, RS_EV_DEPTH, 2);
    assert_int_equal(d2->final_update_id, 110);
    rs_level bl[8], al[8];
    assert_int_equal(rs_feed_book_levels(x->f, 0, 0, bl, 8), 3);
    assert_int_equal(bl[0].px, 10000);
    assert_int_equal(bl[0].qty, 200000);
    assert_int_equal(bl[1].px, 9990);
    assert_int_equal(bl[2].px, 9980);
    assert_int_equal(rs_feed_book_levels(x->f, 0, 1, al, 8), 2);
    assert_int_equal(al[0].qty, 100000);
    assert_int_equal(last_fresh(&x->mark, 0)->state, RS_FRESH_OK);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 0);
    /* live: duplicates dropped, continuation applied, a late snapshot ignored */
    frame(x, 1, sdiff(b, 106, 110, "100.00:2", ""), T0 + 8);
    frame(x, 0, sdiff(b, 111, 111, "", "100.10:0"), T0 + 9);
    assert_int_equal(rs_feed_book_levels(x->f, 0, 1, al, 8), 1);
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":111,\"bids\":[],\"asks\":[]}", T0 + 10), RS_OK);
    assert_int_equal(st->snapshots_unsolicited, 1);
    /* without a bookTicker stream the book's top is the mark */
    const rs_ev_mark *m = NULL;
    for (int k = 0; nth_type(&x->mark, RS_EV_MARK, k); k++)
        m = (const rs_ev_mark *)nth_type(&x->mark, RS_EV_MARK, k);
    assert_int_equal(m->bid_px, 10000);
    assert_int_equal(m->ask_px, 10020);
    /* a gap: GAP, resync, buffer; the next snapshot lands between diffs */
    frame(x, 0, sdiff(b, 120, 125, "100.00:1", ""), T0 + 11);
    assert_int_equal(st->depth_gaps, 1);
    assert_int_equal(rs_feed_book_state(x->f, 0), 1);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_GAP);
    frame(x, 0, sdiff(b, 126, 130, "99.00:1", ""), T0 + 12);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":125,\"bids\":[[\"100.00\",\"1\"]],\"asks\":[]}", T0 + 13), RS_OK);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    assert_int_equal(rs_feed_book_levels(x->f, 0, 0, bl, 8), 2);
    assert_int_equal(bl[1].px, 9900);
    /* a gap inside the buffer restarts the resync from that diff */
    frame(x, 0, sdiff(b, 140, 141, "1.00:1", ""), T0 + 14);
    frame(x, 0, sdiff(b, 142, 143, "1.00:2", ""), T0 + 15);
    frame(x, 0, sdiff(b, 150, 151, "1.00:3", ""), T0 + 16);
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":141,\"bids\":[],\"asks\":[]}", T0 + 17), RS_OK);
    assert_int_equal(rs_feed_book_state(x->f, 0), 1);
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":150,\"bids\":[],\"asks\":[]}", T0 + 18), RS_OK);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    assert_int_equal(rs_feed_book_levels(x->f, 0, 0, bl, 8), 1);
    assert_int_equal(bl[0].qty, 300000);
    /* the other symbol never waited */
    assert_int_equal(rs_feed_book_state(x->f, 1), 0);
    fx_free(x);
}

static void test_resync_futures(void **s)
{
    (void)s;
    fx *x = fx_new(1, 1);
    char b[512];
    assert_int_equal(rs_feed_conn_open(x->f, 2, RS_VENUE_BINANCE_FUT, T0, &x->out), RS_OK);
    frame(x, 2, fdiff(b, 100, 110, 99, "10.00", "1"), T0 + 1);
    frame(x, 2, fdiff(b, 111, 120, 110, "10.00", "2"), T0 + 2);
    /* futures: drop u < L; the first must have U <= L <= u (here u == L is kept) */
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":120,\"E\":5,\"T\":5,\"bids\":[[\"9.00\",\"1\"]],\"asks\":[]}", T0 + 3),
                     RS_OK);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    rs_level bl[4];
    assert_int_equal(rs_feed_book_levels(x->f, 0, 0, bl, 4), 2);
    assert_int_equal(bl[0].qty, 200000);
    /* the chain is pu == previous u */
    frame(x, 2, fdiff(b, 121, 125, 120, "10.00", "3"), T0 + 4);
    assert_int_equal(rs_feed_get_stats(x->f)->depth_gaps, 0);
    frame(x, 2, fdiff(b, 127, 130, 126, "10.00", "4"), T0 + 5);
    assert_int_equal(rs_feed_get_stats(x->f)->depth_gaps, 1);
    assert_int_equal(rs_feed_book_state(x->f, 0), 1);
    /* snapshot newer than the whole buffer: the book is the snapshot, the
     * next live diff must bridge it */
    assert_int_equal(snap(x, 0, "{\"lastUpdateId\":140,\"bids\":[],\"asks\":[]}", T0 + 6), RS_OK);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    frame(x, 2, fdiff(b, 138, 145, 137, "10.00", "5"), T0 + 7);
    assert_int_equal(rs_feed_get_stats(x->f)->depth_gaps, 1);
    assert_int_equal(rs_feed_book_levels(x->f, 0, 0, bl, 4), 1);
    assert_int_equal(bl[0].qty, 500000);
    fx_free(x);
}

static void test_disconnect_waits(void **s)
{
    (void)s;
    fx *x = fx_new(1, 1);
    char b[512];
    frame(x, 0, sdiff(b, 100, 105, "100.00:1", ""), T0);
    snap(x, 0, "{\"lastUpdateId\":104,\"bids\":[],\"asks\":[]}", T0 + 1);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_OK);
    rs_feed_actions a;
    rs_feed_take_actions(x->f, &a);
    /* the only connection drops: the book waits, the symbol is GAP */
    rs_feed_conn_close(x->f, 0, T0 + 2, &x->out);
    assert_int_equal(rs_feed_book_state(x->f, 0), 3);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_GAP);
    /* a trade on the new connection does not make it OK; the first diff asks for a snapshot */
    frame(x, 1, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":10,\"p\":\"100.00\",\"q\":\"1\",\"T\":1,\"m\":false}",
          T0 + 3);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_GAP);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 0);
    frame(x, 1, sdiff(b, 200, 201, "100.00:1", ""), T0 + 4);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    snap(x, 0, "{\"lastUpdateId\":200,\"bids\":[],\"asks\":[]}", T0 + 5);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_OK);
    /* with two connections open (planned rotation), closing one keeps the book */
    rs_feed_conn_open(x->f, 2, 0, T0 + 6, &x->out);
    rs_feed_conn_close(x->f, 1, T0 + 7, &x->out);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    /* the last one closes; the next diff continues the chain: live again
     * without a snapshot */
    rs_feed_conn_close(x->f, 2, T0 + 8, &x->out);
    assert_int_equal(rs_feed_book_state(x->f, 0), 3);
    frame(x, 3, sdiff(b, 202, 203, "100.00:7", ""), T0 + 9);
    assert_int_equal(rs_feed_book_state(x->f, 0), 2);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_OK);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 0);
    assert_int_equal(rs_feed_get_stats(x->f)->resyncs_done, 2);
    /* a trade-id gap also puts the book in doubt */
    frame(x, 3, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":11,\"p\":\"100.00\",\"q\":\"1\",\"T\":1,\"m\":false}",
          T0 + 10);
    frame(x, 3, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":20,\"p\":\"100.00\",\"q\":\"1\",\"T\":1,\"m\":false}",
          T0 + 11);
    assert_int_equal(rs_feed_book_state(x->f, 0), 3);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_GAP);
    frame(x, 3, "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":21,\"p\":\"100.00\",\"q\":\"1\",\"T\":1,\"m\":false}",
          T0 + 12);
    assert_int_equal(last_fresh(&x->md, 0)->state, RS_FRESH_GAP);   /* not until the book is proven */
    frame(x, 3, sdiff(b, 210, 211, "100.00:7", ""), T0 + 13);          /* diffs were lost too */
    assert_int_equal(rs_feed_book_state(x->f, 0), 1);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    fx_free(x);
}

static void test_trade_gaps(void **s)
{
    (void)s;
    fx *x = fx_new(0, 1);
    char b[256];
    const char *fmt = "{\"e\":\"trade\",\"E\":1,\"s\":\"ETHUSDT\",\"t\":%d,\"p\":\"10.00\",\"q\":\"1\",\"T\":1,\"m\":true}";
    int ids[] = {1, 2, 5, 6, 4, 7};
    for (int i = 0; i < 6; i++) {
        sprintf(b, fmt, ids[i]);
        frame(x, 0, b, T0 + i);
        if (ids[i] == 5) {
            assert_int_equal(last_fresh(&x->mark, 1)->state, RS_FRESH_GAP);
            const rs_ev_bad_input *bi = (const rs_ev_bad_input *)nth_type(&x->raw, RS_EV_BAD_INPUT, 0);
            assert_int_equal(bi->reason, RS_BAD_SEQ_GAP);
            assert_int_equal(bi->offset, 2);   /* ids missing */
            assert_string_equal(bi->field, "trade_id");
        }
        if (ids[i] == 6)
            assert_int_equal(last_fresh(&x->mark, 1)->state, RS_FRESH_OK);
    }
    const rs_feed_stats *st = rs_feed_get_stats(x->f);
    assert_int_equal(st->trade_gaps, 1);
    assert_int_equal(st->trades_missed, 2);
    assert_int_equal(st->late_trades, 1);   /* 4 arrived late: counted once, no new gap */
    assert_int_equal(st->trades, 6);
    /* off by default (the stage's own config) */
    fx *y = fx_new(0, 0);
    sprintf(b, fmt, 1);
    frame(y, 0, b, T0);
    sprintf(b, fmt, 9);
    frame(y, 0, b, T0 + 1);
    assert_int_equal(rs_feed_get_stats(y->f)->trade_gaps, 0);
    fx_free(y);
    fx_free(x);
}

/* The same inputs through rs_feed_on_event (journaled records, replay) give
 * the same records; steady state allocates nothing. */
static void feed_one(fx *x, int as_records, uint32_t conn, const char *b, int64_t ts)
{
    static uint8_t rec[RS_REC_MAX] __attribute__((aligned(8)));
    if (as_records) {
        rs_ev_raw *r = (rs_ev_raw *)(void *)rec;
        memset(r, 0, sizeof *r);
        r->h.type = RS_EV_RAW_FRAME;
        r->h.ts = ts;
        r->conn = conn;
        r->n = (uint32_t)strlen(b);
        memcpy(r->data, b, r->n);
        r->h.len = (uint32_t)(sizeof *r + r->n);
        assert_int_equal(rs_feed_on_event(x->f, &r->h, &x->out), RS_OK);
    } else if (conn == RS_FEED_SNAP_CONN) {
        assert_int_equal(snap(x, 0, b, ts), RS_OK);
    } else {
        assert_int_equal(frame(x, conn, b, ts), RS_OK);
    }
}

static void run_script(fx *x, int as_records)
{
    char b[1024];
    for (int i = 0; i < 200; i++) {
        uint64_t U = 1000 + (uint64_t)i * 3 + (i == 120 ? 5 : 0);   /* 120: a gap */
        feed_one(x, as_records, 0, sdiff(b, U, U + 2, i % 2 ? "100.00:1,99.99:2" : "100.00:0", "100.02:3"),
                 T0 + i);
        if (i == 10 || i == 130) {   /* the snapshot the stage asked for, 3 diffs old */
            sprintf(b, "{\"lastUpdateId\":%d,\"bids\":[[\"99.00\",\"1\"]],\"asks\":[[\"101.00\",\"1\"]]}",
                    1000 + (i - 3) * 3);
            feed_one(x, as_records, RS_FEED_SNAP_CONN, b, T0 + i);
        }
    }
}

static void test_replay_and_alloc(void **s)
{
    (void)s;
    fx *a = fx_new(1, 1), *b = fx_new(1, 1);
    uint64_t a0 = rs_mem_thread_allocated();
    run_script(a, 0);
    uint64_t a1 = rs_mem_thread_allocated();
    if (a0 != UINT64_MAX)
        assert_int_equal(a1, a0);
    run_script(b, 1);
    const rs_feed_stats *st = rs_feed_get_stats(a->f);
    assert_int_equal(st->resyncs_done, 2);
    assert_int_equal(st->depth_gaps, 1);
    assert_true(count_type(&a->md, RS_EV_DEPTH) > 150);
    assert_int_equal(a->md.used, b->md.used);
    /* byte-identical except ts_local (stamped by the emitter) */
    size_t oa = 0, ob = 0;
    const rs_rec *ra, *rb;
    while ((ra = rs_emit_buf_next(&a->md, &oa))) {
        rb = rs_emit_buf_next(&b->md, &ob);
        assert_non_null(rb);
        assert_int_equal(ra->len, rb->len);
        assert_memory_equal((const uint8_t *)ra + sizeof(rs_rec), (const uint8_t *)rb + sizeof(rs_rec),
                            ra->len - sizeof(rs_rec));
        assert_int_equal(ra->ts, rb->ts);
    }
    assert_int_equal(a->mark.used, b->mark.used);
    fx_free(a);
    fx_free(b);
}

/* The simulator's depth stream against the feed's book: for each diff
 * U..u and every id L in [U-1, u], book(snapshot at L) + diff == book(u). */
static void test_venue_sim_depth_model(void **s)
{
    (void)s;
    rs_instrument ins;
    memset(&ins, 0, sizeof ins);
    strcpy(ins.symbol, "BTCUSDT");
    ins.px_exp = 2;
    ins.qty_exp = 5;
    rs_universe u;
    memset(&u, 0, sizeof u);
    assert_true(rs_universe_add(&u, &ins) >= 0);
    rs_decoder dec;
    assert_int_equal(rs_decoder_init(&dec, &u, RS_VENUE_BINANCE), 0);
    rs_decoded *out = malloc(sizeof *out);
    static uint64_t mem[(sizeof(rs_ev_depth) + 512 * sizeof(rs_level)) / 8 + 1];
    rs_ev_depth *sd = (rs_ev_depth *)(void *)mem;
    rs_vsd_sym *d = calloc(1, sizeof *d);
    enum { N = 3000 };
    rs_vsd_state *hist = calloc(N + 1, sizeof *hist);
    static rs_fbook bk, ref;
    uint64_t seed = 7;
    int64_t px = 5000000;
    char msg[8192], body[4096];
    int diffs = 0, checks = 0, multi = 0;
    for (int i = 0; i <= N; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int64_t step = (int64_t)((seed >> 33) % 2001) - 1000;   /* up to 10 ticks of 1bp */
        if (i % 500 == 250)
            step *= 60;   /* jumps */
        px += step;
        bool m = (seed >> 20) & 1;
        uint64_t id = 1000 + (uint64_t)i;
        int64_t ts = 1700000000000LL + i * 37;   /* several trades per 100 ms batch */
        size_t n = rs_vsd_on_trade(d, "BTCUSDT", px, m, id, ts, 2, 5, msg, sizeof msg);
        hist[i] = (rs_vsd_state){px, id, m, true};
        if (!n)
            continue;
        assert_int_equal(rs_decode(&dec, (const uint8_t *)msg, n, out), RS_OK);
        assert_int_equal(out->kind, RS_DEC_DEPTH);
        const rs_ev_depth *x = rs_decoded_depth_c(out);
        diffs++;
        multi += x->final_update_id > x->first_update_id;
        /* the expected book at u */
        const rs_vsd_state *su = &hist[x->final_update_id - 1000];
        size_t bn = rs_vsd_snapshot(su, 2, 5, 0, body, sizeof body);
        rs_dec_err err;
        assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)body, bn, &ins, sd, 512, &err), RS_OK);
        memset(&ref, 0, sizeof ref);
        rs_fbook_apply(&ref, sd);
        for (uint64_t L = x->first_update_id - 1; L <= x->final_update_id; L++) {
            bn = rs_vsd_snapshot(&hist[L - 1000], 2, 5, 0, body, sizeof body);
            assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)body, bn, &ins, sd, 512, &err), RS_OK);
            assert_int_equal(sd->final_update_id, L);
            memset(&bk, 0, sizeof bk);
            rs_fbook_apply(&bk, sd);
            rs_fbook_apply(&bk, x);
            assert_int_equal(bk.nb, ref.nb);
            assert_int_equal(bk.na, ref.na);
            assert_memory_equal(bk.bid, ref.bid, ref.nb * sizeof(rs_level));
            assert_memory_equal(bk.ask, ref.ask, ref.na * sizeof(rs_level));
            checks++;
        }
    }
    assert_true(diffs > 100);
    assert_true(multi > 50);   /* batches of several updates were exercised */
    printf("venue-sim depth model: %d diffs (%d batched), %d snapshot+diff checks\n", diffs, multi, checks);
    free(hist);
    free(d);
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_snapshot),   cmocka_unit_test(test_book_levels),
        cmocka_unit_test(test_resync_spot),      cmocka_unit_test(test_resync_futures),
        cmocka_unit_test(test_disconnect_waits), cmocka_unit_test(test_trade_gaps),
        cmocka_unit_test(test_replay_and_alloc), cmocka_unit_test(test_venue_sim_depth_model),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
