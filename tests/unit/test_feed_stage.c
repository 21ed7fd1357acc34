/* Feed stage logic: dedupe / out-of-order trades, marks, depth gaps and
 * resync, staleness watchdogs and reconnect requests, timer cadence,
 * back-pressure, bad input, determinism, no allocation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/feed_stage.h"
#include "ringside/mem.h"
#include "testutil.h"

#define MS 1000000LL
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

static fx *fx_new(const rs_feed_cfg *cfg, size_t md_cap, int with_raw)
{
    fx *x = calloc(1, sizeof *x);
    const char *syms[] = {"BTCUSDT", "ETHUSDT", "BTC-USDT"};
    for (int i = 0; i < 3; i++) {
        rs_instrument ins;
        memset(&ins, 0, sizeof ins);
        strcpy(ins.symbol, syms[i]);
        ins.px_exp = 2;
        ins.qty_exp = 5;
        assert_true(rs_universe_add(&x->u, &ins) >= 0);
    }
    x->mem = rs_mem_alloc(rs_feed_memsize(), 64, "test feed");
    rs_feed_cfg c;
    if (cfg)
        c = *cfg;
    else
        rs_feed_cfg_default(&c);
    x->f = rs_feed_init(x->mem, &c, &x->u);
    assert_non_null(x->f);
    x->bmd = calloc(1, md_cap);
    x->bmark = calloc(1, 1 << 20);
    x->braw = calloc(1, 1 << 20);
    rs_emit_buf_init(&x->md, x->bmd, md_cap, RS_STREAM_MD);
    rs_emit_buf_init(&x->mark, x->bmark, 1 << 20, RS_STREAM_MARK);
    rs_emit_buf_init(&x->raw, x->braw, 1 << 20, RS_STREAM_RAW);
    x->out.md = &x->md.e;
    x->out.mark = &x->mark.e;
    x->out.raw = with_raw ? &x->raw.e : NULL;
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

static char *trade(char *b, const char *sym, uint64_t id, const char *px)
{
    sprintf(b, "{\"e\":\"trade\",\"E\":1,\"s\":\"%s\",\"t\":%llu,\"p\":\"%s\",\"q\":\"0.5\",\"T\":1,\"m\":false}", sym,
            (unsigned long long)id, px);
    return b;
}

static void test_trades_dedupe(void **s)
{
    (void)s;
    fx *x = fx_new(NULL, 1 << 20, 1);
    char b[256];
    assert_int_equal(frame(x, 0, trade(b, "BTCUSDT", 100, "50000.00"), T0), RS_OK);
    assert_int_equal(frame(x, 1, trade(b, "BTCUSDT", 100, "50000.00"), T0 + 1), RS_OK);   /* other connection */
    assert_int_equal(frame(x, 0, trade(b, "BTCUSDT", 102, "50001.00"), T0 + 2), RS_OK);
    assert_int_equal(frame(x, 0, trade(b, "BTCUSDT", 101, "50000.50"), T0 + 3), RS_OK);   /* late, unseen */
    assert_int_equal(frame(x, 1, trade(b, "BTCUSDT", 101, "50000.50"), T0 + 4), RS_OK);   /* dup of late */
    assert_int_equal(frame(x, 1, trade(b, "BTCUSDT", 102, "50001.00"), T0 + 5), RS_OK);   /* dup */
    assert_int_equal(frame(x, 0, trade(b, "BTCUSDT", 1000, "50002.00"), T0 + 6), RS_OK);
    assert_int_equal(frame(x, 0, trade(b, "BTCUSDT", 500, "50002.00"), T0 + 7), RS_OK);   /* too old */
    assert_int_equal(frame(x, 0, trade(b, "ETHUSDT", 100, "3000.00"), T0 + 8), RS_OK);    /* own id space */
    const rs_feed_stats *st = rs_feed_get_stats(x->f);
    assert_int_equal(st->trades, 5);
    assert_int_equal(st->dup_trades, 3);
    assert_int_equal(st->old_trades, 1);
    assert_int_equal(st->late_trades, 1);
    assert_int_equal(count_type(&x->md, RS_EV_TRADE), 5);
    /* the ids reach md once each, in arrival order */
    uint64_t want[] = {100, 102, 101, 1000, 100};
    for (int i = 0; i < 5; i++) {
        const rs_ev_trade *t = (const rs_ev_trade *)nth_type(&x->md, RS_EV_TRADE, i);
        assert_int_equal(t->trade_id, want[i]);
        assert_int_equal(t->h.stream, RS_STREAM_MD);
    }
    const rs_ev_trade *t0 = (const rs_ev_trade *)nth_type(&x->md, RS_EV_TRADE, 0);
    assert_int_equal(t0->h.ts, T0);
    assert_int_equal(t0->px, 5000000);
    assert_int_equal(t0->qty, 50000);
    assert_int_equal(t0->side, RS_SIDE_BUY);
    /* journaled rejects, with the raw bytes, on the raw stream */
    assert_int_equal(count_type(&x->raw, RS_EV_BAD_INPUT), 4);
    const rs_ev_bad_input *bi = (const rs_ev_bad_input *)nth_type(&x->raw, RS_EV_BAD_INPUT, 0);
    assert_int_equal(bi->reason, RS_BAD_DUPLICATE);
    assert_int_equal(bi->conn, 1);
    assert_int_equal(bi->n, strlen(trade(b, "BTCUSDT", 100, "50000.00")));
    assert_memory_equal(bi->data, b, bi->n);
    bi = (const rs_ev_bad_input *)nth_type(&x->raw, RS_EV_BAD_INPUT, 3);
    assert_int_equal(bi->reason, RS_BAD_OUT_OF_ORDER);
    /* marks: one per last-price change (late trade does not move it) */
    assert_int_equal(count_type(&x->mark, RS_EV_MARK), 4);
    const rs_ev_mark *m = (const rs_ev_mark *)nth_type(&x->mark, RS_EV_MARK, 2);
    assert_int_equal(m->sym, 0);
    assert_int_equal(m->last_px, 5000200);
    assert_int_equal(m->h.stream, RS_STREAM_MARK);
    fx_free(x);
}

static void test_okx_and_bbo_marks(void **s)
{
    (void)s;
    fx *x = fx_new(NULL, 1 << 20, 1);
    assert_int_equal(rs_feed_conn_open(x->f, 2, RS_VENUE_OKX, T0, &x->out), RS_OK);
    const char *okx = "{\"arg\":{\"channel\":\"trades\",\"instId\":\"BTC-USDT\"},\"data\":["
                      "{\"instId\":\"BTC-USDT\",\"tradeId\":\"7\",\"px\":\"100.5\",\"sz\":\"1\",\"side\":\"sell\",\"ts\":\"5\"},"
                      "{\"instId\":\"BTC-USDT\",\"tradeId\":\"8\",\"px\":\"100.5\",\"sz\":\"2\",\"side\":\"buy\",\"ts\":\"6\"}]}";
    assert_int_equal(frame(x, 2, okx, T0 + 1), RS_OK);
    assert_int_equal(frame(x, 2, okx, T0 + 2), RS_OK);   /* replayed push: both dups */
    assert_int_equal(count_type(&x->md, RS_EV_TRADE), 2);
    assert_int_equal(rs_feed_get_stats(x->f)->dup_trades, 2);
    assert_int_equal(count_type(&x->mark, RS_EV_MARK), 1);
    /* Binance bbo: marks on bid/ask change only; older update ids dropped */
    const char *b1 = "{\"u\":10,\"s\":\"ETHUSDT\",\"b\":\"1.00\",\"B\":\"1\",\"a\":\"1.01\",\"A\":\"1\"}";
    const char *b2 = "{\"u\":11,\"s\":\"ETHUSDT\",\"b\":\"1.00\",\"B\":\"2\",\"a\":\"1.01\",\"A\":\"1\"}";
    const char *b0 = "{\"u\":9,\"s\":\"ETHUSDT\",\"b\":\"0.99\",\"B\":\"2\",\"a\":\"1.01\",\"A\":\"1\"}";
    assert_int_equal(frame(x, 0, b1, T0 + 3), RS_OK);
    assert_int_equal(frame(x, 0, b2, T0 + 4), RS_OK);
    assert_int_equal(frame(x, 0, b0, T0 + 5), RS_OK);
    assert_int_equal(count_type(&x->md, RS_EV_BBO), 2);
    assert_int_equal(rs_feed_get_stats(x->f)->stale_bbo, 1);
    assert_int_equal(count_type(&x->mark, RS_EV_MARK), 2);
    const rs_ev_mark *m = (const rs_ev_mark *)nth_type(&x->mark, RS_EV_MARK, 1);
    assert_int_equal(m->bid_px, 100);
    assert_int_equal(m->ask_px, 101);
    assert_int_equal(m->md_ts, T0 + 3);
    fx_free(x);
}

static char *depth(char *b, uint64_t U, uint64_t u, uint64_t pu)
{
    if (pu)
        sprintf(b, "{\"e\":\"depthUpdate\",\"E\":1,\"T\":1,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"pu\":%llu,"
                   "\"b\":[[\"1.00\",\"1\"]],\"a\":[]}",
                (unsigned long long)U, (unsigned long long)u, (unsigned long long)pu);
    else
        sprintf(b, "{\"e\":\"depthUpdate\",\"E\":1,\"s\":\"BTCUSDT\",\"U\":%llu,\"u\":%llu,\"b\":[],"
                   "\"a\":[[\"2.00\",\"0\"]]}",
                (unsigned long long)U, (unsigned long long)u);
    return b;
}

static void test_depth_gap(void **s)
{
    (void)s;
    fx *x = fx_new(NULL, 1 << 20, 1);
    char b[256];
    rs_feed_actions a;
    /* spot: U must be <= last u + 1 */
    frame(x, 0, depth(b, 157, 160, 0), T0);
    frame(x, 0, depth(b, 161, 165, 0), T0 + 1);
    frame(x, 1, depth(b, 161, 165, 0), T0 + 2);   /* duplicate from a second connection */
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 0);
    assert_int_equal(count_type(&x->md, RS_EV_FRESHNESS), 2);   /* conns 0 and 1 came up */
    frame(x, 0, depth(b, 170, 175, 0), T0 + 3);   /* 166..169 missing */
    const rs_feed_stats *st = rs_feed_get_stats(x->f);
    assert_int_equal(st->depth_gaps, 1);
    assert_int_equal(st->stale_depth, 1);
    assert_int_equal(count_type(&x->md, RS_EV_DEPTH), 3);
    const rs_ev_freshness *g = (const rs_ev_freshness *)nth_type(&x->md, RS_EV_FRESHNESS, 2);
    assert_int_equal(g->state, RS_FRESH_GAP);
    assert_int_equal(g->sym, 0);
    assert_non_null(nth_type(&x->mark, RS_EV_FRESHNESS, 2));
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 0);
    /* snapshot at 180: diffs up to 180 dropped, the next must bridge 181 */
    rs_feed_depth_synced(x->f, 0, 180);
    frame(x, 0, depth(b, 176, 178, 0), T0 + 4);
    frame(x, 0, depth(b, 179, 183, 0), T0 + 5);
    frame(x, 0, depth(b, 184, 190, 0), T0 + 6);
    assert_int_equal(st->depth_gaps, 1);
    assert_int_equal(st->stale_depth, 2);
    assert_int_equal(count_type(&x->md, RS_EV_DEPTH), 5);
    const rs_ev_depth *d = (const rs_ev_depth *)nth_type(&x->md, RS_EV_DEPTH, 4);
    assert_int_equal(d->first_update_id, 184);
    assert_int_equal(d->n_asks, 1);
    assert_int_equal(d->levels[0].px, 200);
    assert_int_equal(d->levels[0].qty, 0);
    assert_int_equal(d->h.len, sizeof(rs_ev_depth) + sizeof(rs_level));
    /* futures: pu must equal the previous u */
    assert_int_equal(rs_feed_conn_open(x->f, 3, RS_VENUE_BINANCE_FUT, T0, &x->out), RS_OK);
    frame(x, 3, depth(b, 191, 200, 190), T0 + 7);
    frame(x, 3, depth(b, 201, 210, 200), T0 + 8);
    assert_int_equal(st->depth_gaps, 1);
    frame(x, 3, depth(b, 205, 220, 209), T0 + 9);   /* pu mismatch */
    assert_int_equal(st->depth_gaps, 2);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.resync, 1);
    fx_free(x);
}

static void test_staleness_and_timers(void **s)
{
    (void)s;
    rs_feed_cfg c;
    rs_feed_cfg_default(&c);
    c.timer_period_ns = 100 * MS;
    c.sym_stale_ns = 1 * SEC;
    c.conn_stale_ns = 500 * MS;
    c.watch_syms = 3;   /* BTCUSDT, ETHUSDT */
    fx *x = fx_new(&c, 1 << 20, 1);
    char b[256];
    rs_feed_actions a;
    assert_int_equal(rs_feed_next_timer_ns(x->f), INT64_MIN);
    assert_int_equal(rs_feed_conn_open(x->f, 0, 0, T0, &x->out), RS_OK);
    assert_int_equal(rs_feed_on_timer(x->f, T0 + 5 * MS, &x->out), RS_OK);
    assert_int_equal(rs_feed_next_timer_ns(x->f), T0 + 100 * MS);
    assert_int_equal(rs_feed_on_timer(x->f, T0 + 50 * MS, &x->out), RS_SKIP);
    const rs_ev_timer *t = (const rs_ev_timer *)nth_type(&x->md, RS_EV_TIMER, 0);
    assert_int_equal(t->h.ts, T0);
    assert_int_equal(t->period_ns, 100 * MS);
    assert_int_equal(t->tick, T0 / (100 * MS));
    assert_non_null(nth_type(&x->mark, RS_EV_TIMER, 0));
    /* BTCUSDT trades every 100 ms; ETHUSDT silent; conn 0 alive */
    int64_t now = T0;
    for (int i = 1; i <= 15; i++) {
        now = T0 + i * 100 * MS;
        frame(x, 0, trade(b, "BTCUSDT", (uint64_t)i, "1.00"), now - 1);
        assert_int_equal(rs_feed_on_timer(x->f, now, &x->out), RS_OK);
    }
    assert_int_equal(rs_feed_sym_state(x->f, 0), RS_FRESH_OK);
    assert_int_equal(rs_feed_sym_state(x->f, 1), RS_FRESH_STALE);
    assert_int_equal(rs_feed_sym_state(x->f, 2), RS_FRESH_OK);   /* not watched */
    const rs_ev_freshness *f = (const rs_ev_freshness *)nth_type(&x->md, RS_EV_FRESHNESS, 1);
    assert_non_null(f);
    assert_int_equal(f->sym, 1);
    assert_int_equal(f->state, RS_FRESH_STALE);
    /* baseline is the first tick (T0); stale once age > 1 s: at the 1.1 s tick */
    assert_int_equal(f->h.ts, T0 + 1100 * MS);
    assert_int_equal(f->age_ns, 1100 * MS);
    rs_feed_take_actions(x->f, &a);
    assert_int_equal(a.reconnect, 0);
    /* half-open: nothing arrives on conn 0 any more */
    int64_t silent_from = now - 1;
    int stale_at = 0;
    for (int i = 1; i <= 10 && !stale_at; i++) {
        now += 100 * MS;
        rs_feed_on_timer(x->f, now, &x->out);
        rs_feed_take_actions(x->f, &a);
        if (a.reconnect)
            stale_at = i;
    }
    assert_int_equal(a.reconnect, 1u);
    assert_true(now - silent_from <= c.conn_stale_ns + c.timer_period_ns);
    assert_int_equal(rs_feed_conn_state(x->f, 0), RS_FRESH_STALE);
    assert_int_equal(rs_feed_get_stats(x->f)->conn_stale, 1);
    /* BTCUSDT goes stale too, later; both published on md and mark */
    for (int i = 0; i < 10; i++) {
        now += 100 * MS;
        rs_feed_on_timer(x->f, now, &x->out);
    }
    assert_int_equal(rs_feed_sym_state(x->f, 0), RS_FRESH_STALE);
    assert_int_equal(count_type(&x->md, RS_EV_FRESHNESS), count_type(&x->mark, RS_EV_FRESHNESS));
    /* reconnect: the transport closes and reopens; data flows again */
    assert_int_equal(rs_feed_conn_close(x->f, 0, now, &x->out), RS_OK);
    assert_int_equal(rs_feed_conn_state(x->f, 0), RS_FRESH_DISCONNECTED);
    assert_int_equal(rs_feed_conn_open(x->f, 0, 0, now + 1, &x->out), RS_OK);
    frame(x, 0, trade(b, "BTCUSDT", 99, "1.00"), now + 2);
    assert_int_equal(rs_feed_sym_state(x->f, 0), RS_FRESH_OK);
    assert_int_equal(rs_feed_conn_state(x->f, 0), RS_FRESH_OK);
    /* the freshness records tell the story in order */
    int n = count_type(&x->md, RS_EV_FRESHNESS);
    const rs_ev_freshness *last = (const rs_ev_freshness *)nth_type(&x->md, RS_EV_FRESHNESS, n - 1);
    assert_int_equal(last->sym, 0);
    assert_int_equal(last->state, RS_FRESH_OK);
    const rs_ev_freshness *disc = NULL;
    for (int i = 0; i < n; i++) {
        const rs_ev_freshness *q = (const rs_ev_freshness *)nth_type(&x->md, RS_EV_FRESHNESS, i);
        if (q->state == RS_FRESH_DISCONNECTED)
            disc = q;
    }
    assert_non_null(disc);
    assert_int_equal(disc->sym, RS_FEED_SYM_ALL);
    /* a late timer call emits one tick, never back-fills */
    uint64_t timers = rs_feed_get_stats(x->f)->timers;
    assert_int_equal(rs_feed_on_timer(x->f, now + 10 * SEC, &x->out), RS_OK);
    assert_int_equal(rs_feed_get_stats(x->f)->timers, timers + 1);
    fx_free(x);
}

static void test_bad_input(void **s)
{
    (void)s;
    fx *x = fx_new(NULL, 1 << 20, 0);   /* no raw emitter: bad input on md */
    const char *bad = "{\"e\":\"trade\",\"E\":1,\"s\":\"BTCUSDT\",\"t\":1,\"p\":\"NaN\",\"q\":\"1\",\"T\":1,\"m\":true}";
    assert_int_equal(frame(x, 0, bad, T0), RS_OK);
    assert_int_equal(frame(x, 0, "{\"e\":\"trade\"", T0 + 1), RS_OK);
    assert_int_equal(frame(x, 0, "{\"result\":null,\"id\":1}", T0 + 2), RS_OK);
    const rs_feed_stats *st = rs_feed_get_stats(x->f);
    assert_int_equal(st->bad, 2);
    assert_int_equal(st->bad_by_reason[RS_BAD_NUMBER], 1);
    assert_int_equal(st->bad_by_reason[RS_BAD_SYNTAX], 1);
    assert_int_equal(st->control, 1);
    assert_int_equal(count_type(&x->md, RS_EV_TRADE), 0);
    const rs_ev_bad_input *b = (const rs_ev_bad_input *)nth_type(&x->md, RS_EV_BAD_INPUT, 0);
    assert_non_null(b);
    assert_int_equal(b->reason, RS_BAD_NUMBER);
    assert_string_equal(b->field, "p");
    assert_int_equal(b->n, strlen(bad));
    assert_memory_equal(b->data, bad, b->n);
    assert_int_equal(b->offset, (uint32_t)(strstr(bad, "NaN") - bad));
    b = (const rs_ev_bad_input *)nth_type(&x->md, RS_EV_BAD_INPUT, 1);
    assert_string_equal(b->field, "(truncated)");
    fx_free(x);
}

/* md space for ~2 records: outputs wait in the backlog, inputs are refused
 * (RS_FULL) until it drains, nothing is lost or reordered. */
static void test_backpressure(void **s)
{
    (void)s;
    fx *x = fx_new(NULL, 200, 1);
    fx *ref = fx_new(NULL, 1 << 20, 1);
    char b[256];
    static uint8_t collected[1 << 16];
    size_t used = 0;
    for (int i = 1; i <= 20; i++) {
        trade(b, "BTCUSDT", (uint64_t)i, i % 2 ? "1.00" : "2.00");
        assert_int_equal(frame(ref, 0, b, T0 + i), RS_OK);
        int rc;
        while ((rc = frame(x, 0, b, T0 + i)) == RS_FULL) {
            memcpy(collected + used, x->bmd, x->md.used);   /* the consumer drains md */
            used += x->md.used;
            rs_emit_buf_reset(&x->md);
        }
        assert_int_equal(rc, RS_OK);
    }
    while (rs_feed_flush(x->f, &x->out) == RS_FULL) {
        memcpy(collected + used, x->bmd, x->md.used);
        used += x->md.used;
        rs_emit_buf_reset(&x->md);
    }
    memcpy(collected + used, x->bmd, x->md.used);
    used += x->md.used;
    assert_true(rs_feed_get_stats(x->f)->backlog_records > 0);
    assert_int_equal(used, ref->md.used);
    assert_memory_equal(collected, ref->bmd, used);
    assert_int_equal(x->mark.used, ref->mark.used);
    assert_memory_equal(x->bmark, ref->bmark, ref->mark.used);
    fx_free(x);
    fx_free(ref);
}

static void run_script(fx *x)
{
    char b[256];
    rs_feed_conn_open(x->f, 0, 0, T0, &x->out);
    for (int i = 0; i < 300; i++) {
        int64_t ts = T0 + i * 7 * MS;
        uint64_t id = (uint64_t)(i % 10 == 3 ? i - 2 : i);   /* some dups */
        frame(x, (uint32_t)(i % 2), trade(b, i % 3 ? "BTCUSDT" : "ETHUSDT", id, i % 4 ? "10.00" : "10.01"), ts);
        if (i % 5 == 0)
            frame(x, 0, depth(b, (uint64_t)i * 10 + (i % 50 == 0), (uint64_t)i * 10 + 9, 0), ts + 1);
        if (i % 17 == 0)
            frame(x, 1, "{\"e\":\"trade\",\"p\":\"x\"}", ts + 2);
        rs_feed_on_timer(x->f, ts + 3, &x->out);
    }
    rs_feed_on_timer(x->f, T0 + 60 * SEC, &x->out);
}

static void test_determinism(void **s)
{
    (void)s;
    fx *a = fx_new(NULL, 1 << 20, 1), *b = fx_new(NULL, 1 << 20, 1);
    run_script(a);
    run_script(b);
    assert_true(a->md.used > 1000);
    assert_int_equal(a->md.used, b->md.used);
    assert_memory_equal(a->bmd, b->bmd, a->md.used);
    assert_int_equal(a->mark.used, b->mark.used);
    assert_memory_equal(a->bmark, b->bmark, a->mark.used);
    assert_int_equal(a->raw.used, b->raw.used);
    assert_memory_equal(a->braw, b->braw, a->raw.used);
    fx_free(a);
    fx_free(b);
}

/* Replay: journal raw frames, feed them back through rs_feed_on_event, get
 * the same md stream. */
static void test_replay_raw(void **s)
{
    (void)s;
    rs_feed_cfg c;
    rs_feed_cfg_default(&c);
    c.journal_raw = 1;
    fx *live = fx_new(&c, 1 << 20, 1);
    char b[256];
    for (int i = 1; i <= 50; i++)
        frame(live, 0, trade(b, "BTCUSDT", (uint64_t)(i % 7 ? i : i - 1), i % 3 ? "5.00" : "5.01"), T0 + i * MS);
    fx *rp = fx_new(NULL, 1 << 20, 1);
    size_t off = 0;
    const rs_rec *r;
    int n = 0;
    while ((r = rs_emit_buf_next(&live->raw, &off)))
        if (r->type == RS_EV_RAW_FRAME) {
            assert_int_equal(rs_feed_on_event(rp->f, r, &rp->out), RS_OK);
            n++;
        }
    assert_int_equal(n, 50);
    assert_int_equal(rp->md.used, live->md.used);
    assert_memory_equal(rp->bmd, live->bmd, live->md.used);
    fx_free(live);
    fx_free(rp);
}

static void test_no_alloc(void **s)
{
    (void)s;
    fx *x = fx_new(NULL, 1 << 22, 1);
    static char msgs[2000][128];
    for (int i = 0; i < 2000; i++)
        trade(msgs[i], "BTCUSDT", (uint64_t)i + 1, i % 2 ? "1.00" : "1.01");
    uint64_t a0 = rs_mem_thread_allocated();
    for (int i = 0; i < 2000; i++) {
        rs_feed_on_frame(x->f, 0, (const uint8_t *)msgs[i], strlen(msgs[i]), T0 + i, &x->out);
        if (i % 100 == 0)
            rs_feed_on_timer(x->f, T0 + i * MS, &x->out);
    }
    uint64_t a1 = rs_mem_thread_allocated();
    if (a0 != UINT64_MAX)
        assert_int_equal(a1, a0);
    assert_int_equal(rs_feed_get_stats(x->f)->trades, 2000);
    fx_free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trades_dedupe),   cmocka_unit_test(test_okx_and_bbo_marks),
        cmocka_unit_test(test_depth_gap),       cmocka_unit_test(test_staleness_and_timers),
        cmocka_unit_test(test_bad_input),       cmocka_unit_test(test_backpressure),
        cmocka_unit_test(test_determinism),     cmocka_unit_test(test_replay_raw),
        cmocka_unit_test(test_no_alloc),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
