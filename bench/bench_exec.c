/* ringside bench exec -- intent to wire bytes, in process.
 *
 * Each case times one rs_exec_on_event(RS_EV_INTENT) call up to the moment
 * the request bytes are in the outbox (rs_exec_outbox_peek), i.e. validation,
 * order-table insert, request formatting, signing, the RS_EV_ORDER and
 * exec-report records. Cases:
 *   ws hmac      WS API order.place signed with HMAC-SHA256
 *   ws ed25519   WS API order.place signed with Ed25519 (no session.logon)
 *   ws session   WS API order.place on a logged-on session (no signature)
 *   rest hmac    REST POST /api/v3/order signed with HMAC-SHA256
 *   sim          paper mode: the request handed to the in-process sim venue
 * Component cases with a peer measured in the same run:
 *   hmac sign    rs_sign (pre-built pads, no allocation) vs OpenSSL HMAC()
 *   parse execRpt rs_bn_parse_ws on an executionReport vs jansson json_loadb
 *   round trip   intent -> signed frame -> venue-side parse + signature check
 *                -> sim matching -> answer frame -> exec parse -> ACKED, one
 *                thread, zero simulated latency (the CPU both ends add)
 * Not measured here (needs the transport, branch `transport`): bytes on the
 * socket and the loopback round trip through `ringside venue-sim`.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "bench.h"
#include "ringside/exec_stage.h"
#include "ringside/tsc.h"

#define MS 1000000ll

typedef struct bctx {
    rs_universe u;
    rs_secrets sec_store;
    rs_exec_params p;
    void *mem;
    rs_exec *x;
    rs_emit_buf eb;
    uint8_t buf[1 << 16];
} bctx;

static int setup(bctx *c, uint8_t venue, uint8_t chan, uint8_t ws_sign, uint32_t n)
{
    memset(c, 0, sizeof *c);
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "BTCUSDT");
    in.venue = RS_VENUE_BINANCE;
    in.px_exp = 2;
    in.qty_exp = 5;
    rs_universe_add(&c->u, &in);
    rs_secrets *s = &c->sec_store;
    strcpy(s->api_key, "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A");
    s->api_key_len = strlen(s->api_key);
    const char *sec = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(i * 7 + 1);
    if (rs_sign_init_hmac(&s->hmac, sec, strlen(sec)) || rs_sign_init_ed25519(&s->ed25519, seed, 32, 1))
        return -1;
    rs_exec_params_default(&c->p);
    c->p.venue = venue;
    c->p.u = &c->u;
    c->p.secrets = s;
    c->p.order_channel = chan;
    c->p.ws_sign = ws_sign;
    c->p.max_orders = n + 64;
    c->p.recon_interval_ns = 0;
    c->p.time_sync_ns = 0;
    c->p.sim.max_orders = n + 64;
    c->p.sim.max_events = 4 * n + 64;
    size_t sz = rs_exec_memsize(&c->p);
    c->mem = aligned_alloc(64, (sz + 63) & ~(size_t)63);
    if (!c->mem || rs_exec_init(c->mem, &c->p, &c->x))
        return -1;
    rs_emit_buf_init(&c->eb, c->buf, sizeof c->buf, RS_STREAM_EXEC);
    return 0;
}

static void teardown(bctx *c)
{
    rs_exec_fini(c->x);
    free(c->mem);
    rs_sign_fini(&c->sec_store.hmac);
    rs_sign_fini(&c->sec_store.ed25519);
}

/* Mark the WS session logged on by feeding a session.logon answer. */
static void logon(bctx *c, int64_t t)
{
    static uint8_t b[512];
    rs_ev_raw *r = (rs_ev_raw *)b;
    memset(r, 0, sizeof *r);
    r->h = (rs_rec){.type = RS_EV_VENUE_MSG, .stream = RS_STREAM_RAW, .seq = 1, .ts = t};
    r->conn = RS_XCONN(RS_XCH_STATUS, 0);
    r->n = 2;
    r->data[0] = RS_XCH_WS;
    r->data[1] = 1;
    r->h.len = (uint32_t)sizeof *r + 2;
    rs_exec_on_event(c->x, &r->h, &c->eb.e);
    uint32_t logon_id = 0;
    rs_exec_wire w;
    while (rs_exec_outbox_peek(c->x, &w) == RS_OK) {
        const char *m = memmem(w.data, w.len, "session.logon", 13);
        if (m)
            logon_id = (uint32_t)strtoul((const char *)w.data + 6, NULL, 10);
        rs_exec_outbox_pop(c->x);
    }
    char msg[128];
    int n = snprintf(msg, sizeof msg, "{\"id\":%u,\"status\":200,\"result\":{\"apiKey\":\"x\"}}", logon_id);
    r->conn = RS_XCONN(RS_XCH_WS, 0);
    r->n = (uint32_t)n;
    memcpy(r->data, msg, (size_t)n);
    r->h.len = (uint32_t)sizeof *r + (uint32_t)n;
    r->h.seq = 2;
    rs_exec_on_event(c->x, &r->h, &c->eb.e);
    while (rs_exec_outbox_peek(c->x, &w) == RS_OK)
        rs_exec_outbox_pop(c->x);
    rs_emit_buf_reset(&c->eb);
}

static int run_case(const rs_bench_opts *o, const char *name, uint8_t venue, uint8_t chan, uint8_t ws_sign,
                    int session, uint32_t n, const char *note)
{
    static bctx c;
    if (setup(&c, venue, chan, ws_sign, n)) {
        fprintf(stderr, "bench exec: setup failed: %s\n", rs_err_msg());
        return 1;
    }
    int64_t t = 1700000000000ll * MS;
    if (session)
        logon(&c, t);
    static rs_hist h;
    rs_hist_init(&h);
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_NEW;
    in.side = RS_SIDE_BUY;
    in.ord_type = RS_ORD_LIMIT;
    in.px = 3000012;
    in.qty = 1234;
    size_t bytes = 0;
    uint64_t t_all0 = rs_rdtsc();
    for (uint32_t i = 0; i < n; i++) {
        in.h.seq = i + 10;
        in.h.ts = t + (int64_t)i * 1000;
        in.client_id = (1ull << 40) | (i + 1);
        rs_exec_wire w;
        uint64_t a = rs_rdtsc();
        int rc = rs_exec_on_event(c.x, &in.h, &c.eb.e);
        int have = venue == RS_VENUE_SIM ? 1 : rs_exec_outbox_peek(c.x, &w) == RS_OK;
        uint64_t b = rs_rdtscp();
        if (rc != RS_OK || !have) {
            fprintf(stderr, "bench exec: %s: iteration %u failed (rc %d)\n", name, i, rc);
            teardown(&c);
            return 1;
        }
        rs_hist_add(&h, b - a);
        if (venue != RS_VENUE_SIM) {
            bytes += w.len;
            rs_exec_outbox_pop(c.x);
        }
        rs_emit_buf_reset(&c.eb);
    }
    double secs = (double)(rs_rdtsc() - t_all0) / (rs_tsc_ghz() * 1e9);
    rs_bench_result r = {.bench = "exec", .case_name = name, .unit = "ns", .tp_unit = "orders/s", .note = note};
    rs_bench_from_hist(&r, &h, 1.0 / rs_tsc_ghz());
    r.throughput = (double)n / secs;
    rs_bench_emit(o, &r);
    if (!o->json && bytes)
        printf("%-34s       mean wire bytes per order: %.0f\n", "", (double)bytes / n);
    teardown(&c);
    return 0;
}

static int sign_case(const rs_bench_opts *o, uint32_t n)
{
    const char *sec = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const char *pl = "apiKey=vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A&newClientOrderId="
                     "rs0000010000000001&newOrderRespType=RESULT&price=30000.12&quantity=0.01234&recvWindow=5000&"
                     "side=BUY&symbol=BTCUSDT&timeInForce=GTC&timestamp=1700000000000&type=LIMIT";
    size_t pn = strlen(pl);
    rs_sign_key k;
    if (rs_sign_init_hmac(&k, sec, strlen(sec)))
        return 1;
    static rs_hist ours, peer;
    rs_hist_init(&ours);
    rs_hist_init(&peer);
    char sig[RS_SIGN_MAX];
    uint8_t mac[32];
    unsigned int ml;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = rs_rdtsc();
        rs_sign(&k, pl, pn, NULL, 0, sig, sizeof sig);
        uint64_t b = rs_rdtscp();
        HMAC(EVP_sha256(), sec, (int)strlen(sec), (const unsigned char *)pl, pn, mac, &ml);
        rs_hex(mac, 32, sig);
        uint64_t c = rs_rdtscp();
        rs_hist_add(&ours, b - a);
        rs_hist_add(&peer, c - b);
    }
    rs_bench_result r = {.bench = "exec", .case_name = "hmac sign (240 B payload)", .unit = "ns",
                         .peer = "openssl HMAC()+hex"};
    rs_bench_from_hist(&r, &ours, 1.0 / rs_tsc_ghz());
    r.ratio_vs_peer = (double)rs_hist_pct(&peer, 50) / (double)rs_hist_pct(&ours, 50);
    rs_bench_emit(o, &r);
    rs_sign_fini(&k);
    return 0;
}

static void nop_evt(void *ctx, const rs_vevt *e)
{
    (void)e;
    ++*(int *)ctx;
}

static int parse_case(const rs_bench_opts *o, uint32_t n)
{
    static rs_universe u;
    memset(&u, 0, sizeof u);
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "ETHUSDT");
    in.px_exp = 8;
    in.qty_exp = 8;
    rs_universe_add(&u, &in);
    rs_bn_params bp;
    rs_bn_params_default(&bp);
    bp.u = &u;
    rs_bn b;
    rs_bn_init(&b, &bp, "", NULL, NULL);
    const char *m =
        "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"E\":1759347763167,\"s\":\"ETHUSDT\",\"c\":"
        "\"rs0000010000000001\",\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"GTC\",\"q\":\"1.00000000\",\"p\":"
        "\"2500.00000000\",\"P\":\"0.00000000\",\"F\":\"0.00000000\",\"g\":-1,\"C\":\"\",\"x\":\"TRADE\",\"X\":"
        "\"PARTIALLY_FILLED\",\"r\":\"NONE\",\"i\":1234567890,\"l\":\"0.50000000\",\"z\":\"0.50000000\",\"L\":"
        "\"2499.50000000\",\"n\":\"0.00050000\",\"N\":\"ETH\",\"T\":1759347763167,\"t\":98765432,\"I\":4644480641,"
        "\"w\":true,\"m\":true,\"M\":false,\"O\":1759347763100,\"Z\":\"1249.75000000\",\"Y\":\"1249.75000000\","
        "\"Q\":\"0.00000000\"}}";
    size_t mn = strlen(m);
    static rs_hist ours, peer;
    rs_hist_init(&ours);
    rs_hist_init(&peer);
    int cnt = 0;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = rs_rdtsc();
        rs_bn_parse_ws(&b, m, mn, 0, nop_evt, &cnt);
        uint64_t b2 = rs_rdtscp();
        json_t *j = json_loadb(m, mn, 0, NULL);
        json_t *ev = json_object_get(j, "event");
        cnt += json_string_value(json_object_get(ev, "x")) != NULL;
        json_decref(j);
        uint64_t c = rs_rdtscp();
        rs_hist_add(&ours, b2 - a);
        rs_hist_add(&peer, c - b2);
    }
    rs_bench_result r = {.bench = "exec", .case_name = "parse executionReport", .unit = "ns", .peer = "jansson"};
    rs_bench_from_hist(&r, &ours, 1.0 / rs_tsc_ghz());
    r.ratio_vs_peer = (double)rs_hist_pct(&peer, 50) / (double)rs_hist_pct(&ours, 50);
    r.note = "peer only tokenises; ours also converts decimals";
    rs_bench_emit(o, &r);
    return cnt > 0 ? 0 : 1;
}

/* Order round trip through the whole Binance byte path in one thread, with
 * zero simulated latency: intent -> signed WS frame -> venue-side parse and
 * signature check -> sim matching -> answer frame -> exec parse -> ACKED
 * report. No sockets: the CPU cost both ends add to a network round trip. */
static int roundtrip_case(const rs_bench_opts *o, uint32_t n)
{
    static bctx c;
    if (setup(&c, RS_VENUE_BINANCE, RS_XCH_WS, RS_SIGN_HMAC, n))
        return 1;
    rs_bn srv;
    rs_bn_params bp;
    rs_bn_params_default(&bp);
    bp.u = &c.u;
    rs_bn_init(&srv, &bp, "", NULL, NULL);
    rs_sim_params sp;
    rs_sim_params_default(&sp);
    sp.n_syms = 1;
    sp.lat_ns = 0;
    sp.max_orders = 1024;
    void *simmem = aligned_alloc(64, (rs_sim_memsize(&sp) + 63) & ~(size_t)63);
    rs_sim *sim;
    if (!simmem || rs_sim_init(simmem, &sp, &sim)) {
        teardown(&c);
        free(simmem);
        return 1;
    }
    static uint8_t rb[8192];
    rs_ev_raw *raw = (rs_ev_raw *)rb;
    static rs_hist h;
    rs_hist_init(&h);
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_NEW;
    in.side = RS_SIDE_BUY;
    in.ord_type = RS_ORD_LIMIT;
    in.px = 1000; /* far from the market: rests, never fills */
    in.qty = 1234;
    int64_t t = 1700000000000ll * MS;
    int fails = 0;
    for (uint32_t i = 0; i < n; i++) {
        in.h.seq = i + 1;
        in.h.ts = t;
        in.client_id = (2ull << 40) | (i + 1);
        uint64_t a = rs_rdtsc();
        rs_exec_on_event(c.x, &in.h, &c.eb.e);
        rs_exec_wire w;
        rs_bn_srv_req q;
        if (rs_exec_outbox_peek(c.x, &w) != RS_OK ||
            rs_bn_srv_parse_ws(&srv, (const char *)w.data, w.len, &c.sec_store.hmac, &q) != RS_OK || !q.sig_ok) {
            fails++;
            break;
        }
        rs_exec_outbox_pop(c.x);
        rs_sim_request(sim, t, &q.r);
        rs_vevt e;
        int got = 0;
        while (rs_sim_poll(sim, t, &e) == RS_OK) {
            if (!e.req_id)
                continue; /* account-stream copy */
            int len = rs_bn_srv_answer(&srv, &q.r, 1, &e, 1, (char *)raw->data, sizeof rb - sizeof *raw);
            raw->h = (rs_rec){.len = (uint32_t)(sizeof *raw + (size_t)len), .type = RS_EV_VENUE_MSG,
                              .stream = RS_STREAM_RAW, .seq = i + 1, .ts = t};
            raw->conn = RS_XCONN(RS_XCH_WS, 0);
            raw->n = (uint32_t)len;
            rs_exec_on_event(c.x, &raw->h, &c.eb.e);
            got = 1;
        }
        uint64_t b = rs_rdtscp();
        const rs_order *ord = rs_exec_order(c.x, in.client_id);
        if (!got || !ord || ord->state != RS_OS_ACKED) {
            fails++;
            break;
        }
        rs_hist_add(&h, b - a);
        rs_emit_buf_reset(&c.eb);
        /* cancel locally at the sim so its book stays small */
        rs_vreq cx = {.kind = RS_VREQ_CANCEL, .sym = 0, .client_id = in.client_id, .ts_ms = t / MS, .req_id = 0};
        rs_sim_request(sim, t, &cx);
        while (rs_sim_poll(sim, t, &e) == RS_OK)
            ;
        t += 1000;
    }
    rs_bench_result r = {.bench = "exec", .case_name = "round trip via codec+sim (no net)", .unit = "ns",
                         .note = "intent->signed frame->venue parse+verify->match->answer->ACKED"};
    rs_bench_from_hist(&r, &h, 1.0 / rs_tsc_ghz());
    if (!fails)
        rs_bench_emit(o, &r);
    else
        fprintf(stderr, "bench exec: round trip failed\n");
    teardown(&c);
    free(simmem);
    return fails ? 1 : 0;
}

int rs_bench_exec(const rs_bench_opts *o)
{
    uint32_t n = o->quick ? 2000 : 50000;
    rs_bench_pin(o->cpu_a);
    rs_bench_header(o, "exec", "intent -> wire bytes in the outbox (in process, signing included)");
    int rc = 0;
    rc |= run_case(o, "intent->wire ws hmac", RS_VENUE_BINANCE, RS_XCH_WS, RS_SIGN_HMAC, 0, n, NULL);
    rc |= run_case(o, "intent->wire ws ed25519", RS_VENUE_BINANCE, RS_XCH_WS, RS_SIGN_ED25519, 0, n / 5, NULL);
    rc |= run_case(o, "intent->wire ws session (unsigned)", RS_VENUE_BINANCE, RS_XCH_WS, RS_SIGN_ED25519, 1, n,
                   "after session.logon");
    rc |= run_case(o, "intent->wire rest hmac", RS_VENUE_BINANCE, RS_XCH_REST, RS_SIGN_HMAC, 0, n, NULL);
    rc |= run_case(o, "intent->sim venue (paper)", RS_VENUE_SIM, 0, RS_SIGN_HMAC, 0, n < 5000 ? n : 5000,
                   "includes sim matching of earlier orders");
    rc |= roundtrip_case(o, n);
    rc |= sign_case(o, n);
    rc |= parse_case(o, n);
    if (!o->json)
        printf("not measured here: bytes on the socket and the loopback order round trip (needs the TLS "
               "transport and `ringside venue-sim`)\n");
    return rc ? 1 : 0;
}
