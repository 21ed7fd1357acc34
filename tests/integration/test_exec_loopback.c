/* Full Binance byte path without sockets: the exec stage's outbox bytes are
 * parsed by the venue-side codec (signatures verified: Ed25519 on the WS API
 * until session.logon, HMAC on REST), executed by the simulated venue, and its
 * answers and account events are formatted back into Binance JSON / HTTP and
 * fed to the exec stage as RS_EV_VENUE_MSG. Runs the faults through it and
 * checks the same invariants as test_exec_faults, plus: every request parsed,
 * every signature valid, every answer parsed, deterministic bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/exec_stage.h"
#include "testutil.h"

#define MS 1000000ll
#define T0 (1700000000000ll * MS)
#define MAXC 256
#define RMASK 4095

typedef struct lb {
    rs_universe u;
    rs_secrets *sec;
    rs_exec_params p;
    void *mem, *simmem;
    size_t memsz;
    rs_exec *x;
    rs_sim *sim;
    rs_bn srv;
    rs_emit_buf eb;
    uint8_t buf[1 << 18];
    int64_t t;
    uint64_t seq, trade_id, next_cid;
    int64_t px;
    struct {
        rs_vreq r;
        uint8_t ch;
    } req[RMASK + 1];
    rs_vevt acc[1100];
    int nacc;
    int session, subscribed;
    /* observations */
    int64_t gate_pos;
    uint64_t hash;
    uint32_t places[MAXC];
    uint8_t state[MAXC];
    int bad_sig, unsigned_ok, requests, answers, events;
    int risk[128];
} lb;

static void lb_feed(lb *h, rs_rec *r);

static void lb_collect(lb *h)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(&h->eb, &off))) {
        const uint8_t *b = (const uint8_t *)r;
        for (uint32_t i = 0; i < r->len; i++)
            if (i < 24 || i >= 32)
                h->hash = (h->hash ^ b[i]) * 1099511628211ull;
        if (r->type == RS_EV_ORDER) {
            const rs_ev_order *o = (const rs_ev_order *)r;
            if (o->kind == RS_INT_NEW)
                h->places[(o->client_id & 0xffffffffffull) % MAXC]++;
        } else if (r->type == RS_EV_EXEC_REPORT) {
            const rs_ev_exec_report *e = (const rs_ev_exec_report *)r;
            if (e->is_fill)
                h->gate_pos += e->side == RS_SIDE_BUY ? e->last_qty : -e->last_qty;
            if (e->client_id)
                h->state[(e->client_id & 0xffffffffffull) % MAXC] = e->state;
        } else if (r->type == RS_EV_RISK) {
            h->risk[((const rs_ev_risk *)r)->circuit & 127]++;
        } else if (r->type == RS_EV_BAD_INPUT) {
            fail_msg("exec could not parse a venue message: %.*s", (int)((const rs_ev_bad_input *)r)->n,
                     (const char *)((const rs_ev_bad_input *)r)->data);
        }
    }
    rs_emit_buf_reset(&h->eb);
}

static void lb_msg(lb *h, uint32_t conn, const char *s, size_t n)
{
    static uint8_t b[1 << 18];
    rs_ev_raw *r = (rs_ev_raw *)b;
    assert_true(sizeof *r + n <= sizeof b);
    memset(r, 0, sizeof *r);
    r->h = (rs_rec){.len = (uint32_t)(sizeof *r + n), .type = RS_EV_VENUE_MSG, .stream = RS_STREAM_RAW};
    r->conn = conn;
    r->n = (uint32_t)n;
    memcpy(r->data, s, n);
    lb_feed(h, &r->h);
}

static void lb_transport(lb *h, int up)
{
    char d[2] = {(char)RS_XCH_WS, (char)up};
    lb_msg(h, RS_XCONN(RS_XCH_STATUS, 0), d, 2);
}

/* Requests in the outbox -> venue-side codec -> sim. */
static void lb_pump_out(lb *h)
{
    rs_exec_wire w;
    while (rs_exec_outbox_peek(h->x, &w) == RS_OK) {
        rs_bn_srv_req q;
        /* one key type for every request, as on the venue (the secrets hold
         * both kinds; ws_sign is Ed25519) */
        rs_sign_key *key = h->p.ws_sign == RS_SIGN_ED25519 ? &h->sec->ed25519 : &h->sec->hmac;
        int rc = w.channel == RS_XCH_WS ? rs_bn_srv_parse_ws(&h->srv, (const char *)w.data, w.len, key, &q)
                                        : rs_bn_srv_parse_rest(&h->srv, (const char *)w.data, w.len, key, &q);
        if (rc != RS_OK)
            fail_msg("venue could not parse: %.*s", (int)w.len, (const char *)w.data);
        h->requests++;
        int needs_sig = q.r.kind != RS_VREQ_TIME && q.r.kind != RS_VREQ_USER_SUB;
        if (needs_sig) {
            if (q.has_sig && !q.sig_ok)
                h->bad_sig++;
            if (!q.has_sig) {
                if (w.channel == RS_XCH_WS && h->session)
                    h->unsigned_ok++;
                else
                    h->bad_sig++;
            }
        }
        if (w.channel == RS_XCH_REST)
            q.r.req_id = w.req_id;
        h->req[q.r.req_id & RMASK].r = q.r;
        h->req[q.r.req_id & RMASK].ch = w.channel;
        rs_exec_outbox_pop(h->x);
        rs_sim_request(h->sim, h->t, &q.r);
    }
}

static void lb_answer(lb *h, const rs_vreq *r, uint8_t ch, const rs_vevt *ev, int n)
{
    static char out[1 << 18];
    int len = rs_bn_srv_answer(&h->srv, r, ch, ev, n, out, sizeof out);
    assert_true(len > 0);
    h->answers++;
    if (r->kind == RS_VREQ_LOGON && ev[n - 1].kind == RS_VEVT_LOGON_OK)
        h->session = 1;
    if (r->kind == RS_VREQ_USER_SUB && ev[n - 1].kind == RS_VEVT_LOGON_OK)
        h->subscribed = 1;
    lb_msg(h, ch == RS_XCH_WS ? RS_XCONN(RS_XCH_WS, 0) : RS_XCONN(RS_XCH_REST, r->req_id), out, (size_t)len);
}

/* Sim events due now -> Binance bytes -> exec. */
static void lb_pump_in(lb *h)
{
    rs_vevt e;
    char out[4096];
    while (rs_sim_poll(h->sim, h->t, &e) == RS_OK) {
        if (e.req_id) {
            const rs_vreq *r = &h->req[e.req_id & RMASK].r;
            uint8_t ch = h->req[e.req_id & RMASK].ch;
            if (r->kind == RS_VREQ_OPEN_ORDERS || r->kind == RS_VREQ_MY_TRADES) {
                assert_true(h->nacc < 1100);
                h->acc[h->nacc++] = e;
                if (e.kind == RS_VEVT_LIST_END || e.kind == RS_VEVT_ERROR || e.kind == RS_VEVT_REJECT) {
                    lb_answer(h, r, ch, h->acc, h->nacc);
                    h->nacc = 0;
                }
            } else {
                lb_answer(h, r, ch, &e, 1);
            }
            continue;
        }
        if (e.kind == RS_VEVT_STREAM_UP) {
            /* the client reconnects: new session, new subscription */
            h->session = h->subscribed = 0;
            lb_transport(h, 0);
            lb_transport(h, 1);
            continue;
        }
        if (!h->subscribed)
            continue;
        int len = rs_bn_srv_event(&h->srv, &e, out, sizeof out);
        assert_true(len >= 0);
        if (len) {
            h->events++;
            lb_msg(h, RS_XCONN(RS_XCH_WS, 0), out, (size_t)len);
        }
        if (e.kind == RS_VEVT_STREAM_DOWN)
            h->subscribed = 0;
    }
}

static void lb_feed(lb *h, rs_rec *r)
{
    r->ts = h->t;
    r->seq = ++h->seq;
    int rc;
    while ((rc = rs_exec_on_event(h->x, r, &h->eb.e)) == RS_FULL)
        lb_collect(h);
    assert_int_equal(rc, RS_OK);
    lb_collect(h);
    lb_pump_out(h);
}

static void lb_init(lb *h, const rs_sim_faults *f, uint64_t seed)
{
    memset(h, 0, sizeof *h);
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "BTCUSDT");
    in.venue = RS_VENUE_BINANCE;
    in.px_exp = 2;
    in.qty_exp = 3;
    rs_universe_add(&h->u, &in);
    h->sec = rs_secure_alloc(sizeof(rs_secrets));
    strcpy(h->sec->api_key, "LOOPBACKKEY");
    h->sec->api_key_len = strlen(h->sec->api_key);
    uint8_t seed32[32];
    for (int i = 0; i < 32; i++)
        seed32[i] = (uint8_t)(0xa5 ^ i);
    assert_int_equal(rs_sign_init_hmac(&h->sec->hmac, "LOOPBACKSECRET", 14), 0);
    assert_int_equal(rs_sign_init_ed25519(&h->sec->ed25519, seed32, 32, 1), 0);
    rs_exec_params_default(&h->p);
    h->p.venue = RS_VENUE_BINANCE;
    h->p.u = &h->u;
    h->p.secrets = h->sec;
    h->p.ws_sign = RS_SIGN_ED25519;
    h->p.recon_interval_ns = 2000 * MS;
    h->memsz = rs_exec_memsize(&h->p);
    h->mem = rs_secure_alloc(h->memsz);
    assert_int_equal(rs_exec_init(h->mem, &h->p, &h->x), 0);
    rs_bn_params bp;
    rs_bn_params_default(&bp);
    bp.u = &h->u;
    rs_bn_init(&h->srv, &bp, "", NULL, NULL);
    rs_sim_params sp;
    rs_sim_params_default(&sp);
    sp.n_syms = 1;
    sp.seed = seed;
    sp.venue = RS_VENUE_BINANCE;
    sp.lat_model = RS_SIM_LAT_UNIFORM;
    sp.lat_min_ns = 200000;
    sp.lat_max_ns = 3 * MS;
    sp.participation = 0.5;
    sp.max_instant_qty = 3000;
    static const double ps[1] = {100.0}, qs[1] = {1000.0};
    sp.px_scale = ps;
    sp.qty_scale = qs;
    if (f)
        sp.faults = *f;
    h->simmem = aligned_alloc(64, (rs_sim_memsize(&sp) + 63) & ~(size_t)63);
    assert_int_equal(rs_sim_init(h->simmem, &sp, &h->sim), 0);
    rs_emit_buf_init(&h->eb, h->buf, sizeof h->buf, RS_STREAM_EXEC);
    h->t = T0;
    h->px = 3000000;
    h->next_cid = 1;
    h->hash = 1469598103934665603ull;
    lb_transport(h, 1); /* connect: time sync, session.logon, subscribe */
}

static void lb_fini(lb *h)
{
    rs_exec_fini(h->x);
    rs_secure_free(h->mem, h->memsz);
    free(h->simmem);
    rs_sign_fini(&h->sec->hmac);
    rs_sign_fini(&h->sec->ed25519);
    rs_secure_free(h->sec, sizeof(rs_secrets));
}

static void lb_step(lb *h)
{
    h->t += MS;
    uint64_t z = (h->seq + 1) * 0x9e3779b97f4a7c15ull;
    z ^= z >> 29;
    h->px += (int64_t)(z % 5) - 2;
    rs_sim_on_quote(h->sim, h->t, 0, h->px - 1, h->px + 1, h->px);
    rs_sim_on_trade(h->sim, h->t, 0, h->px, 500 + (int64_t)(z % 2000), ++h->trade_id);
    lb_pump_in(h);
    if (h->trade_id % 10 == 0) {
        rs_ev_timer tm;
        memset(&tm, 0, sizeof tm);
        tm.h = (rs_rec){.len = sizeof tm, .type = RS_EV_TIMER, .stream = RS_STREAM_MARK};
        lb_feed(h, &tm.h);
    }
}

static void lb_run(lb *h, int ms)
{
    for (int i = 0; i < ms; i++)
        lb_step(h);
}

static void lb_market(lb *h, uint8_t side, int64_t qty)
{
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_NEW;
    in.side = side;
    in.ord_type = RS_ORD_MARKET;
    in.purpose = RS_PUR_ENTRY;
    in.qty = qty;
    in.client_id = (4ull << 40) | h->next_cid++;
    lb_feed(h, &in.h);
}

static uint64_t lb_flow(const rs_sim_faults *f, uint64_t seed, int expect_session, int warm_ms)
{
    static lb h;
    lb_init(&h, f, seed);
    /* with faults the first logon / time sync may fail and be retried */
    lb_run(&h, warm_ms);
    if (expect_session) {
        assert_int_equal(h.session, 1);
        assert_int_equal(h.subscribed, 1);
    }
    for (int i = 0; i < 8; i++) {
        lb_market(&h, i % 3 == 2 ? RS_SIDE_SELL : RS_SIDE_BUY, 1000 + 700 * i);
        lb_run(&h, 100);
    }
    lb_run(&h, 6000);
    rs_sim_stats ss;
    rs_sim_get_stats(h.sim, &ss);
    int64_t venue = rs_sim_position(h.sim, 0);
    print_message("   venue %lld exec %lld gate %lld | requests %d answers %d events %d unsigned-on-session %d "
                  "stream-risk %d backfilled %llu dup %llu\n",
                  (long long)venue, (long long)rs_exec_position(h.x, 0), (long long)h.gate_pos, h.requests,
                  h.answers, h.events, h.unsigned_ok, h.risk[RS_XRISK_STREAM],
                  (unsigned long long)rs_exec_get_stats(h.x)->backfilled,
                  (unsigned long long)rs_exec_get_stats(h.x)->dup_fills);
    assert_true(venue == rs_exec_position(h.x, 0));
    assert_true(venue == h.gate_pos);
    assert_int_equal(h.bad_sig, 0);
    assert_int_equal(h.session, 1);
    assert_int_equal(h.subscribed, 1);
    assert_true(rs_exec_get_stats(h.x)->fills > 0);
    assert_int_equal(ss.duplicate_client_ids, 0);
    assert_int_equal(rs_exec_get_stats(h.x)->bad_msgs, 0);
    for (int i = 0; i < MAXC; i++)
        assert_true(h.places[i] <= 1);
    for (uint64_t c = 1; c < h.next_cid; c++) {
        const rs_order *o = rs_exec_order(h.x, (4ull << 40) | c);
        if (o)
            assert_true(o->state != RS_OS_UNKNOWN && o->state != RS_OS_PENDING_NEW);
    }
    uint64_t hash = h.hash;
    lb_fini(&h);
    return hash;
}

static void test_loopback_clean(void **st)
{
    (void)st;
    lb_flow(NULL, 1, 1, 50);
}

static void test_loopback_faults(void **st)
{
    (void)st;
    rs_sim_faults f = {.drop_fills = 2, .dup_fills = 2, .fill_delay_ns = 40 * MS, .reject_orders = 1,
                       .http_5xx = 1, .place_on_5xx = 1, .status_unknown = 1, .retry_after_ms = 300,
                       .disconnect_at_ns = T0 + 2700 * MS, .disconnect_for_ns = 400 * MS};
    uint64_t a = lb_flow(&f, 7, 1, 2500);
    uint64_t b = lb_flow(&f, 7, 1, 2500);
    assert_true(a == b);
}

static void test_loopback_429_and_skew(void **st)
{
    (void)st;
    rs_sim_faults f = {.http_429 = 1, .retry_after_ms = 400, .clock_skew_ms = 15000, .place_on_5xx = 1};
    lb_flow(&f, 9, 1, 4000);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_loopback_clean),
        cmocka_unit_test(test_loopback_faults),
        cmocka_unit_test(test_loopback_429_and_skew),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
