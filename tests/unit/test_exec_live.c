/* Exec stage properties that live mode relies on:
 *  - the records never depend on the credentials: two stages with different
 *    API keys and secrets (same key types), fed the same inputs, emit
 *    byte-identical records (this is what lets `replay --verify` of a live
 *    journal run with a stand-in key), while their wire bytes differ;
 *  - losing the WS API connection turns a placement in flight UNKNOWN at
 *    once and queries it over REST by client id -- it is never re-sent;
 *  - with secrets holding both kinds, the key type decides how REST is
 *    signed (a venue API key is of one type);
 *  - a reconciliation request the venue refuses (-1021 while the clock is
 *    off) does not switch reconciliation off for that symbol;
 *  - during a 418 ban the kill switch's repeated cancel-all does not cancel
 *    its own held flatten, which goes out when the ban ends;
 *  - a reconciliation (or time) request whose answer is lost -- the REST
 *    connection dropped with it in flight -- is asked again, instead of
 *    blocking reconciliation of that symbol for good. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/exec_stage.h"
#include "testutil.h"

#define MS 1000000ll
#define T0 (1700000000000ll * MS)

typedef struct h {
    rs_universe u;
    rs_secrets *sec;
    void *mem;
    size_t memsz;
    rs_exec *x;
    rs_emit_buf eb;
    uint8_t buf[1 << 16];
    uint8_t recs[1 << 16];   /* records emitted, concatenated */
    size_t nrecs;
    uint8_t wire[1 << 16];   /* outbox bytes, concatenated */
    size_t nwire;
    uint64_t seq;
    uint32_t oo_id, mt_id, time_id;   /* request ids of the last openOrders / myTrades / time sent */
    int oo_sent, mt_sent;
} h;

static void h_init_as(h *t, const char *key, const char *hmac, uint8_t seed0, uint8_t sign, uint8_t chan)
{
    memset(t, 0, sizeof *t);
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "BTCUSDT");
    in.venue = RS_VENUE_BINANCE;
    in.px_exp = 2;
    in.qty_exp = 3;
    rs_universe_add(&t->u, &in);
    t->sec = rs_secure_alloc(sizeof(rs_secrets));
    assert_non_null(t->sec);
    snprintf(t->sec->api_key, sizeof t->sec->api_key, "%s", key);
    t->sec->api_key_len = strlen(key);
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(seed0 + i);
    assert_int_equal(rs_sign_init_hmac(&t->sec->hmac, hmac, strlen(hmac)), 0);
    assert_int_equal(rs_sign_init_ed25519(&t->sec->ed25519, seed, 32, 1), 0);
    rs_exec_params p;
    rs_exec_params_default(&p);
    p.venue = RS_VENUE_BINANCE;
    p.u = &t->u;
    p.secrets = t->sec;
    p.ws_sign = sign;
    p.order_channel = chan;
    t->memsz = rs_exec_memsize(&p);
    t->mem = rs_secure_alloc(t->memsz);
    assert_int_equal(rs_exec_init(t->mem, &p, &t->x), 0);
    rs_emit_buf_init(&t->eb, t->buf, sizeof t->buf, RS_STREAM_EXEC);
}

static void h_init(h *t, const char *key, const char *hmac, uint8_t seed0)
{
    h_init_as(t, key, hmac, seed0, RS_SIGN_ED25519, RS_XCH_WS);
}

static void h_fini(h *t)
{
    rs_exec_fini(t->x);
    rs_secure_free(t->mem, t->memsz);
    rs_sign_fini(&t->sec->hmac);
    rs_sign_fini(&t->sec->ed25519);
    rs_secure_free(t->sec, sizeof(rs_secrets));
}

static void h_feed(h *t, rs_rec *r, int64_t ts)
{
    r->ts = ts;
    r->seq = ++t->seq;
    assert_int_equal(rs_exec_on_event(t->x, r, &t->eb.e), RS_OK);
    size_t off = 0;
    const rs_rec *o;
    while ((o = rs_emit_buf_next(&t->eb, &off))) {
        assert_true(t->nrecs + o->len <= sizeof t->recs);
        memcpy(t->recs + t->nrecs, o, o->len);
        /* ts_local is a wall-clock stamp, not part of the stage's output */
        ((rs_rec *)(t->recs + t->nrecs))->ts_local = 0;
        t->nrecs += o->len;
    }
    rs_emit_buf_reset(&t->eb);
    rs_exec_wire w;
    while (rs_exec_outbox_peek(t->x, &w) == RS_OK) {
        if (memmem(w.data, w.len, "/api/v3/openOrders", 18))
            t->oo_id = w.req_id, t->oo_sent++;
        if (memmem(w.data, w.len, "/api/v3/myTrades", 16))
            t->mt_id = w.req_id, t->mt_sent++;
        if (memmem(w.data, w.len, "/api/v3/time", 12))
            t->time_id = w.req_id;
        if (t->nwire + w.len <= sizeof t->wire) {
            memcpy(t->wire + t->nwire, w.data, w.len);
            t->nwire += w.len;
        }
        rs_exec_outbox_pop(t->x);
    }
}

static void h_msg(h *t, uint32_t conn, const char *s, size_t n, int64_t ts)
{
    static uint8_t b[8192];
    rs_ev_raw *r = (rs_ev_raw *)b;
    memset(r, 0, sizeof *r);
    r->h = (rs_rec){.len = (uint32_t)(sizeof *r + n), .type = RS_EV_VENUE_MSG, .stream = RS_STREAM_VENUE};
    r->conn = conn;
    r->n = (uint32_t)n;
    memcpy(r->data, s, n);
    h_feed(t, &r->h, ts);
}

static void h_ws(h *t, int up, int64_t ts)
{
    char d[2] = {(char)RS_XCH_WS, (char)up};
    h_msg(t, RS_XCONN(RS_XCH_STATUS, 0), d, 2, ts);
}

static void h_place(h *t, uint64_t cid, int64_t ts)
{
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_NEW;
    in.side = RS_SIDE_BUY;
    in.ord_type = RS_ORD_LIMIT;
    in.purpose = RS_PUR_ENTRY;
    in.px = 3000000;
    in.qty = 1500;
    in.client_id = cid;
    h_feed(t, &in.h, ts);
}

/* A short live-like session: connect, time answer, logon answer, place
 * (signed over the WS API until the logon answer), REST status answer. */
static void session(h *t)
{
    h_ws(t, 1, T0);
    static const char time_ans[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n"
                                   "{\"serverTime\":1700000000003}";
    h_msg(t, RS_XCONN(RS_XCH_REST, 1), time_ans, sizeof time_ans - 1, T0 + 5 * MS);
    h_place(t, (7ull << 40) | 1, T0 + 6 * MS);   /* before logon: Ed25519-signed */
    static const char logon[] = "{\"id\":2,\"status\":200,\"result\":{\"apiKey\":\"x\",\"authorizedSince\":1,"
                                "\"connectedSince\":1,\"returnRateLimits\":false,\"serverTime\":1700000000008}}";
    h_msg(t, RS_XCONN(RS_XCH_WS, 0), logon, sizeof logon - 1, T0 + 8 * MS);
    h_place(t, (7ull << 40) | 2, T0 + 9 * MS);   /* on the session: unsigned */
    rs_ev_timer tm;
    memset(&tm, 0, sizeof tm);
    tm.h = (rs_rec){.len = sizeof tm, .type = RS_EV_TIMER, .stream = RS_STREAM_MARK_X};
    h_feed(t, &tm.h, T0 + 20 * MS);
}

static void test_records_independent_of_credentials(void **st)
{
    (void)st;
    static h a, b;
    h_init(&a, "KEYAAAA", "secret-one", 1);
    h_init(&b, "a-much-longer-api-key-of-another-account-0123456789", "another secret entirely", 99);
    session(&a);
    session(&b);
    assert_true(a.nwire > 0 && b.nwire > 0);
    /* the wire differs (key, signatures) ... */
    assert_true(a.nwire != b.nwire || memcmp(a.wire, b.wire, a.nwire) != 0);
    /* ... the records do not */
    assert_int_equal(a.nrecs, b.nrecs);
    assert_memory_equal(a.recs, b.recs, a.nrecs);
    int orders = 0;
    for (size_t off = 0; off < a.nrecs;) {
        const rs_rec *r = (const rs_rec *)(a.recs + off);
        if (r->type == RS_EV_ORDER) {
            orders++;
            assert_true(((const rs_ev_order *)r)->wire_bytes > 0);
        }
        off += r->len;
    }
    assert_true(orders >= 3);
    /* the logon took: the second placement went unsigned on the session */
    int sigs = 0, placeo = 0;
    for (const uint8_t *q = a.wire; (q = memmem(q, (size_t)(a.wire + a.nwire - q), "\"signature\"", 11)); q++)
        sigs++;
    for (const uint8_t *q = a.wire; (q = memmem(q, (size_t)(a.wire + a.nwire - q), "order.place", 11)); q++)
        placeo++;
    assert_int_equal(placeo, 2);
    assert_int_equal(sigs, 2);   /* session.logon + the placement before it */
    /* no key or secret in the records */
    assert_null(memmem(a.recs, a.nrecs, "KEYAAAA", 7));
    assert_null(memmem(b.recs, b.nrecs, "a-much-longer-api-key", 21));
    assert_null(memmem(a.recs, a.nrecs, "signature", 9));
    h_fini(&a);
    h_fini(&b);
}

/* Percent-decoding of a query value (an Ed25519 signature is base64). */
static size_t unpct(const char *s, size_t n, char *out)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%' && i + 2 < n) {
            char hx[3] = {s[i + 1], s[i + 2], 0};
            out[k++] = (char)strtol(hx, NULL, 16);
            i += 2;
        } else {
            out[k++] = s[i];
        }
    }
    return k;
}

/* With secrets holding both an HMAC secret and an Ed25519 key, the key type
 * (ws_sign) decides how REST requests are signed -- a venue API key is of one
 * type -- and each REST placement verifies with that key and not the other. */
static void test_rest_signed_with_key_type(void **st)
{
    (void)st;
    static h t;
    const uint8_t types[2] = {RS_SIGN_ED25519, RS_SIGN_HMAC};
    for (int k = 0; k < 2; k++) {
        h_init_as(&t, "KEYBOTH", "the-hmac-secret", 5, types[k], RS_XCH_REST);
        session(&t);
        rs_sign_key *mine = types[k] == RS_SIGN_ED25519 ? &t.sec->ed25519 : &t.sec->hmac;
        rs_sign_key *other = types[k] == RS_SIGN_ED25519 ? &t.sec->hmac : &t.sec->ed25519;
        int posts = 0;
        const char *w = (const char *)t.wire, *end = w + t.nwire;
        for (const char *q = w; (q = memmem(q, (size_t)(end - q), "POST /api/v3/order?", 19)); q++) {
            const char *qs = q + 19, *sp = memchr(qs, ' ', (size_t)(end - qs));
            assert_non_null(sp);
            const char *sg = memmem(qs, (size_t)(sp - qs), "&signature=", 11);
            assert_non_null(sg);
            char raw[256];
            size_t nraw = unpct(sg + 11, (size_t)(sp - sg - 11), raw);
            assert_int_equal(rs_sign_verify(mine, qs, (size_t)(sg - qs), NULL, 0, raw, nraw), 1);
            assert_int_not_equal(rs_sign_verify(other, qs, (size_t)(sg - qs), NULL, 0, raw, nraw), 1);
            posts++;
        }
        assert_int_equal(posts, 2);
        h_fini(&t);
    }
}

static void test_ws_loss_unknown_at_once(void **st)
{
    (void)st;
    static h t;
    h_init(&t, "KEY", "secret", 3);
    h_ws(&t, 1, T0);
    h_place(&t, (7ull << 40) | 5, T0 + 1 * MS);
    const rs_order *o = rs_exec_order(t.x, (7ull << 40) | 5);
    assert_non_null(o);
    assert_int_equal(o->state, RS_OS_PENDING_NEW);
    size_t before = t.nrecs, wire_before = t.nwire;
    h_ws(&t, 0, T0 + 2 * MS);   /* long before ack_timeout (2 s) */
    assert_int_equal(o->state, RS_OS_UNKNOWN);
    /* an UNKNOWN report and a status query went out: over REST, by client id */
    int unknown = 0, queries = 0, places = 0;
    for (size_t off = before; off < t.nrecs;) {
        const rs_rec *r = (const rs_rec *)(t.recs + off);
        if (r->type == RS_EV_EXEC_REPORT && ((const rs_ev_exec_report *)r)->state == RS_OS_UNKNOWN)
            unknown++;
        if (r->type == RS_EV_ORDER) {
            const rs_ev_order *e = (const rs_ev_order *)r;
            queries += e->kind == RS_INT_QUERY && e->client_id == ((7ull << 40) | 5);
            places += e->kind == RS_INT_NEW;
        }
        off += r->len;
    }
    assert_int_equal(unknown, 1);
    assert_int_equal(queries, 1);
    assert_int_equal(places, 0);
    const char *q = memmem(t.wire + wire_before, t.nwire - wire_before, "GET /api/v3/order?", 18);
    assert_non_null(q);
    assert_non_null(memmem(t.wire + wire_before, t.nwire - wire_before, "origClientOrderId=rs0000070000000005", 36));
    h_fini(&t);
}

static void h_rest(h *t, uint32_t req_id, const char *status, const char *body, int64_t ts)
{
    char m[512];
    int n = snprintf(m, sizeof m, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                     status, strlen(body), body);
    h_msg(t, RS_XCONN(RS_XCH_REST, req_id), m, (size_t)n, ts);
}

static void h_recon_now(h *t, int64_t ts)
{
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_QUERY;
    in.sym = 0xffff;
    h_feed(t, &in.h, ts);
}

static void h_intent(h *t, uint8_t kind, uint8_t purpose, uint64_t cid, int64_t ts)
{
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = kind;
    in.purpose = purpose;
    in.sym = kind == RS_INT_CANCEL_ALL ? 0xffff : 0;
    in.side = RS_SIDE_SELL;
    in.ord_type = RS_ORD_MARKET;
    in.reduce_only = 1;
    in.tif = 1;
    in.qty = 1500;
    in.client_id = cid;
    h_feed(t, &in.h, ts);
}

static int h_sent(const h *t, size_t from, uint8_t kind, uint64_t cid)
{
    int n = 0;
    for (size_t off = from; off < t->nrecs;) {
        const rs_rec *r = (const rs_rec *)(t->recs + off);
        if (r->type == RS_EV_ORDER)
            n += ((const rs_ev_order *)r)->kind == kind && ((const rs_ev_order *)r)->client_id == cid;
        off += r->len;
    }
    return n;
}

/* 418 (Retry-After 120 s): the kill switch latches during the ban. Its
 * flatten is held (nothing on the wire), its cancel-all -- repeated on every
 * kill retry -- must leave that flatten alone, and the flatten goes out
 * once, when the ban ends. */
static void test_kill_flatten_held_through_ban(void **st)
{
    (void)st;
    static h t;
    h_init(&t, "KEY", "secret", 7);
    h_place(&t, (7ull << 40) | 1, T0 + 1 * MS);
    h_recon_now(&t, T0 + 2 * MS);
    static const char ban[] = "HTTP/1.1 418 I'm a teapot\r\nContent-Type: application/json\r\nRetry-After: 120\r\n"
                              "Content-Length: 47\r\n\r\n{\"code\":-1003,\"msg\":\"Way too many requests.\"}";
    h_msg(&t, RS_XCONN(RS_XCH_REST, t.oo_id), ban, sizeof ban - 1, T0 + 3 * MS);
    uint64_t flat = (7ull << 40) | 2;
    size_t from = t.nrecs;
    h_intent(&t, RS_INT_NEW, RS_PUR_KILL, flat, T0 + 4 * MS);
    for (int i = 0; i < 6; i++)   /* the kill's retries */
        h_intent(&t, RS_INT_CANCEL_ALL, RS_PUR_KILL, (7ull << 40) | (3 + (uint64_t)i), T0 + (5 + i) * MS);
    const rs_order *o = rs_exec_order(t.x, flat);
    assert_non_null(o);
    assert_int_equal(o->state, RS_OS_PENDING_NEW);
    assert_int_equal(h_sent(&t, from, RS_INT_NEW, flat), 0);
    rs_ev_timer tm;
    memset(&tm, 0, sizeof tm);
    tm.h = (rs_rec){.len = sizeof tm, .type = RS_EV_TIMER, .stream = RS_STREAM_MARK_X};
    h_feed(&t, &tm.h, T0 + 60000 * MS);   /* still banned */
    assert_int_equal(h_sent(&t, from, RS_INT_NEW, flat), 0);
    h_feed(&t, &tm.h, T0 + 124000 * MS);  /* the ban is over */
    assert_int_equal(h_sent(&t, from, RS_INT_NEW, flat), 1);
    h_feed(&t, &tm.h, T0 + 125000 * MS);
    assert_int_equal(h_sent(&t, from, RS_INT_NEW, flat), 1);
    h_fini(&t);
}

/* The venue refused both list requests of a reconciliation pass with -1021
 * (its clock jumped): once the clock is re-synced the next pass must ask
 * again -- a refusal must not leave the symbol's lists "in flight" forever,
 * or fills missed on the account stream are never back-filled. */
static void test_recon_survives_clock_refusal(void **st)
{
    (void)st;
    static h t;
    h_init(&t, "KEY", "secret", 5);
    h_place(&t, (7ull << 40) | 9, T0 + 1 * MS);   /* makes the symbol active */
    h_recon_now(&t, T0 + 2 * MS);
    assert_int_equal(t.oo_sent, 1);
    assert_int_equal(t.mt_sent, 1);
    static const char clk[] = "{\"code\":-1021,\"msg\":\"Timestamp for this request is outside of the recvWindow.\"}";
    h_rest(&t, t.oo_id, "400 Bad Request", clk, T0 + 3 * MS);
    h_rest(&t, t.mt_id, "400 Bad Request", clk, T0 + 4 * MS);
    /* the refusal asked for the venue's time: answer it (clock good again) */
    static const char tm[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 28\r\n\r\n"
                             "{\"serverTime\":1700000000010}";
    assert_true(t.time_id > t.mt_id);
    h_msg(&t, RS_XCONN(RS_XCH_REST, t.time_id), tm, sizeof tm - 1, T0 + 5 * MS);
    assert_int_equal(rs_exec_order(t.x, (7ull << 40) | 9)->state, RS_OS_PENDING_NEW);
    h_recon_now(&t, T0 + 6 * MS);
    assert_int_equal(t.oo_sent, 2);
    assert_int_equal(t.mt_sent, 2);
    h_fini(&t);
}

static size_t count_in(const h *t, const char *needle)
{
    size_t n = 0, k = strlen(needle);
    for (const uint8_t *q = t->wire; (q = memmem(q, (size_t)(t->wire + t->nwire - q), needle, k)); q++)
        n++;
    return n;
}

static void test_lost_recon_answer_asked_again(void **st)
{
    (void)st;
    static h t;
    h_init(&t, "KEY", "secret", 5);
    h_ws(&t, 1, T0);
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_QUERY;   /* target 0: reconcile the symbol now */
    h_feed(&t, &in.h, T0 + 1 * MS);
    assert_int_equal(count_in(&t, "GET /api/v3/myTrades"), 1);
    assert_int_equal(count_in(&t, "GET /api/v3/openOrders"), 1);
    assert_int_equal(count_in(&t, "GET /api/v3/time"), 1);
    /* no answer ever comes (the connection dropped with them in flight) */
    in.h.seq = 0;
    h_feed(&t, &in.h, T0 + 100 * MS);   /* still in flight: not doubled */
    assert_int_equal(count_in(&t, "GET /api/v3/myTrades"), 1);
    rs_ev_timer tm;
    memset(&tm, 0, sizeof tm);
    tm.h = (rs_rec){.len = sizeof tm, .type = RS_EV_TIMER, .stream = RS_STREAM_MARK_X};
    h_feed(&t, &tm.h, T0 + 3000 * MS);   /* past query_timeout (2 s) only */
    assert_int_equal(count_in(&t, "GET /api/v3/myTrades"), 1);
    /* past a reconciliation interval (10 s): the lists are asked again, once */
    h_feed(&t, &tm.h, T0 + 11000 * MS);
    assert_int_equal(count_in(&t, "GET /api/v3/myTrades"), 2);
    assert_int_equal(count_in(&t, "GET /api/v3/openOrders"), 2);
    h_feed(&t, &tm.h, T0 + 11100 * MS);
    assert_int_equal(count_in(&t, "GET /api/v3/myTrades"), 2);
    /* the lost time request does not block the periodic re-sync (time_sync 60 s) */
    assert_int_equal(count_in(&t, "GET /api/v3/time"), 1);
    h_feed(&t, &tm.h, T0 + 61000 * MS);
    assert_int_equal(count_in(&t, "GET /api/v3/time"), 2);
    h_fini(&t);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_records_independent_of_credentials),
        cmocka_unit_test(test_rest_signed_with_key_type),
        cmocka_unit_test(test_ws_loss_unknown_at_once),
        cmocka_unit_test(test_recon_survives_clock_refusal),
        cmocka_unit_test(test_kill_flatten_held_through_ban),
        cmocka_unit_test(test_lost_recon_answer_asked_again),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
