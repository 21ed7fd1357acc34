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
 * On the socket (see "on the socket" below): intent -> bytes handed to the
 * kernel, -> ack, -> fill over loopback TLS against a `ringside venue-sim`
 * this bench starts (and stops), WS API and REST, through the engine's own
 * venue session and through a blocking SSL_write/SSL_read peer.
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/ssl.h>

#include "../tools/exec_session.h"
#include "bench.h"
#include "ringside/config.h"
#include "ringside/exec_stage.h"
#include "ringside/tsc.h"
#include "ringside/ws.h"

#define MS 1000000ll
/* the Binance documentation's example key: a bench key, never a real one */
#define BENCH_API_KEY "vmPUZE6mv9SD5VNHk4HlWFsOr6aKE2zvsw0MuIgwCIPy6utIco14y7Ju91duEh8A"
#define BENCH_HMAC_SECRET "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j"

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
    strcpy(s->api_key, BENCH_API_KEY);
    s->api_key_len = strlen(s->api_key);
    const char *sec = BENCH_HMAC_SECRET;
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

/* ---- on the socket: the engine's own venue session vs a blocking client -------------
 *
 * A `ringside venue-sim` (this binary, forked) with its order side on a free
 * loopback port, TLS with verification on, the bench key in a 0600 file.
 * Each order is an intent into the same exec stage as above; its requests go
 * out through one of two transports:
 *   session   tools/exec_session.c, exactly what `ringside run` uses in live
 *             mode: TLS in memory BIOs, io_uring sockets; after on_event the
 *             sink queues the bytes and one poll submits the send (the exec
 *             thread's loop does the same)
 *   blocking  the peer: the same bytes with SSL_write / SSL_read on plain
 *             blocking sockets (TCP_NODELAY), poll(2) to pick the readable one
 * and three instants are taken from the intent's entry into on_event:
 *   ->socket  the request's bytes handed to the kernel (the io_uring submit
 *             returned / SSL_write returned), signing included
 *   ->ack     the venue's answer applied by the stage (order no longer
 *             PENDING_NEW: RESULT answers a market order as FILLED)
 *   ->fill    the first fill applied: an executionReport on the WS API
 *             account stream (Ed25519 session), or the myTrades back-fill that
 *             a RESULT answer with more executed qty than fills triggers (REST,
 *             HMAC: no account stream)
 * Market orders, alternating buy/sell, one at a time. The venue-sim process
 * polls its sockets (1 ms timeout when idle) and shares the machine. */

#define NET_MAX_WAIT_NS 5000000000ll

typedef struct netenv {
    char dir[128];
    pid_t sim;
    uint16_t oport;
    rs_config *cfg;
    uint64_t next_cid;
} netenv;

static int slurp(const char *path, char **out, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    static char buf[1 << 16];
    *n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[*n] = 0;
    *out = buf;
    return 0;
}

/* configs/live-sim.yml with two instruments and this run's paths/ports. */
static int write_cfg(const netenv *e, const char *path, uint16_t oport, char *text, size_t cap)
{
    char *src;
    size_t n;
    if (slurp("configs/live-sim.yml", &src, &n))
        return -1;
    size_t k = 0;
    for (char *l = src; *l && k + 512 < cap;) {
        char *nl = strchr(l, '\n');
        size_t ln = nl ? (size_t)(nl - l) + 1 : strlen(l);
        char line[512];
        snprintf(line, sizeof line, "%.*s", (int)(ln < sizeof line ? ln : sizeof line - 1), l);
        l += ln;
        if (strstr(line, "SOLUSDT") || strstr(line, "BNBUSDT"))
            continue;
        char *p;
        if ((p = strstr(line, "certs/ca.pem")))
            k += (size_t)snprintf(text + k, cap - k, "%.*s%s/certs/ca.pem%s", (int)(p - line), line, e->dir, p + 12);
        else if ((p = strstr(line, "var/live-sim/secrets")))
            k += (size_t)snprintf(text + k, cap - k, "%.*s%s/secrets%s", (int)(p - line), line, e->dir, p + 20);
        else if ((p = strstr(line, "127.0.0.1:9444")))
            k += (size_t)snprintf(text + k, cap - k, "%.*s127.0.0.1:%u%s", (int)(p - line), line, oport, p + 14);
        else
            k += (size_t)snprintf(text + k, cap - k, "%s", line);
    }
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    fwrite(text, 1, k, f);
    fclose(f);
    return (int)k;
}

static void net_stop(netenv *e)
{
    if (e->sim > 0) {
        kill(e->sim, SIGTERM);
        waitpid(e->sim, NULL, 0);
        e->sim = 0;
    }
    rs_config_destroy(e->cfg);
    e->cfg = NULL;
    if (e->dir[0]) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", e->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench exec: could not remove %s\n", e->dir);
        e->dir[0] = 0;
    }
}

static int read_port(const char *path)
{
    FILE *f = fopen(path, "r");
    int p = 0;
    if (f) {
        if (fscanf(f, "%d", &p) != 1)
            p = 0;
        fclose(f);
    }
    return p;
}

static int net_start(netenv *e)
{
    memset(e, 0, sizeof *e);
    e->next_cid = (7ull << 40) | 1;
    const char *src = getenv("RS_SOURCE_DIR");
    if (access("configs/live-sim.yml", R_OK) != 0 && src && chdir(src) != 0)
        return -1;
    if (access("configs/live-sim.yml", R_OK) != 0 || access("tools/make-certs.sh", R_OK) != 0) {
        fprintf(stderr, "bench exec: run from the source tree (configs/live-sim.yml, tools/make-certs.sh) "
                        "or set RS_SOURCE_DIR\n");
        return -1;
    }
    snprintf(e->dir, sizeof e->dir, "%s/ringside-bench-exec-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(e->dir)) {
        e->dir[0] = 0;
        return -1;
    }
    char cmd[512], path[256], p2[256];
    snprintf(cmd, sizeof cmd, "bash tools/make-certs.sh '%s/certs' >/dev/null 2>&1", e->dir);
    if (system(cmd) != 0)
        return -1;
    /* the bench key of setup(), for the venue to verify with (0600) */
    snprintf(path, sizeof path, "%s/secrets", e->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0)
        return -1;
    char seed[65];
    for (int i = 0; i < 32; i++)
        snprintf(seed + 2 * i, 3, "%02x", (unsigned)(uint8_t)(i * 7 + 1));
    dprintf(fd, "api_key = %s\nhmac_secret = %s\ned25519_seed = %s\n", BENCH_API_KEY, BENCH_HMAC_SECRET, seed);
    close(fd);
    static char text[1 << 16];
    snprintf(path, sizeof path, "%s/sim.yml", e->dir);
    if (write_cfg(e, path, 9444, text, sizeof text) < 0)
        return -1;
    char a_pf[256], a_opf[256], a_cert[256], a_key[256], a_sec[256], a_log[256], a_ms[32];
    /* market clock == wall clock: signed requests carry wall-clock timestamps */
    snprintf(a_ms, sizeof a_ms, "%lld", (long long)(rs_now_ns() / 1000000));
    snprintf(a_pf, sizeof a_pf, "%s/port", e->dir);
    snprintf(a_opf, sizeof a_opf, "%s/oport", e->dir);
    snprintf(a_cert, sizeof a_cert, "%s/certs/server.pem", e->dir);
    snprintf(a_key, sizeof a_key, "%s/certs/server.key", e->dir);
    snprintf(a_sec, sizeof a_sec, "%s/secrets", e->dir);
    snprintf(a_log, sizeof a_log, "%s/sim.log", e->dir);
    char *argv[] = {"ringside", "venue-sim", "--port", "0", "--port-file", a_pf, "--cert", a_cert, "--key", a_key,
                    "--speed", "1", "--start-ms", a_ms, "--origin-ms", a_ms, "--seed", "7", "--symbols", "2", "--duration", "600", "--orders-port", "0",
                    "--orders-port-file", a_opf, "--orders-config", path, "--orders-secrets", a_sec,
                    "--orders-clock-tolerance-ms", "60000", NULL};
    fflush(NULL);
    e->sim = fork();
    if (e->sim == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);   /* never outlive the bench (killed, crashed) */
        int lfd = open(a_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (lfd >= 0) {
            dup2(lfd, 1);
            dup2(lfd, 2);
        }
        execv("/proc/self/exe", argv);
        _exit(127);
    }
    if (e->sim < 0)
        return -1;
    for (int i = 0; i < 200 && !e->oport; i++) {
        struct timespec d = {0, 50000000};
        nanosleep(&d, NULL);
        e->oport = (uint16_t)read_port(a_opf);
        if (waitpid(e->sim, NULL, WNOHANG) == e->sim) {
            e->sim = 0;
            fprintf(stderr, "bench exec: venue-sim exited (log %s)\n", a_log);
            return -1;
        }
    }
    if (!e->oport)
        return -1;
    snprintf(p2, sizeof p2, "%s/client.yml", e->dir);
    int k = write_cfg(e, p2, e->oport, text, sizeof text);
    if (k < 0 || rs_config_parse(&e->cfg, p2, text, (size_t)k) != 0) {
        fprintf(stderr, "bench exec: client config: %s\n", rs_err_msg());
        return -1;
    }
    return 0;
}

/* ---- the blocking peer transport ---- */

typedef struct bconn {
    int fd;
    SSL *ssl;
    uint8_t rx[1 << 18];
    uint32_t n;
} bconn;

typedef struct peer {
    SSL_CTX *ctx;
    bconn ws, rest;
    uint32_t rest_ids[256];   /* FIFO of REST req ids (answers come in order) */
    uint32_t rh, rt;
} peer;

static int bconn_open(SSL_CTX *ctx, bconn *c, uint16_t port)
{
    c->n = 0;
    c->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&a, sizeof a) != 0)
        return -1;
    c->ssl = SSL_new(ctx);
    SSL_set_fd(c->ssl, c->fd);
    SSL_set_tlsext_host_name(c->ssl, "localhost");
    SSL_set1_host(c->ssl, "localhost");
    return SSL_connect(c->ssl) == 1 ? 0 : -1;
}

static void bconn_close(bconn *c)
{
    if (c->ssl) {
        SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
    }
    if (c->fd > 0)
        close(c->fd);
    c->ssl = NULL;
    c->fd = -1;
}

static int peer_open(peer *p, const netenv *e)
{
    memset(p, 0, sizeof *p);
    p->ws.fd = p->rest.fd = -1;
    p->ctx = SSL_CTX_new(TLS_client_method());
    char ca[256];
    snprintf(ca, sizeof ca, "%s/certs/ca.pem", e->dir);
    if (!p->ctx || SSL_CTX_load_verify_locations(p->ctx, ca, NULL) != 1)
        return -1;
    SSL_CTX_set_verify(p->ctx, SSL_VERIFY_PEER, NULL);
    if (bconn_open(p->ctx, &p->ws, e->oport) || bconn_open(p->ctx, &p->rest, e->oport))
        return -1;
    /* WebSocket upgrade on the WS API connection */
    char req[512], key[32];
    uint8_t nonce[16];
    for (int i = 0; i < 16; i++)
        nonce[i] = (uint8_t)(i * 13 + 5);
    int n = rs_ws_client_request(req, sizeof req, "localhost", e->oport, "/ws-api/v3", nonce, key, sizeof key);
    if (n < 0 || SSL_write(p->ws.ssl, req, n) != n)
        return -1;
    for (;;) {
        int k = SSL_read(p->ws.ssl, p->ws.rx + p->ws.n, (int)(sizeof p->ws.rx - p->ws.n));
        if (k <= 0)
            return -1;
        p->ws.n += (uint32_t)k;
        int h = rs_ws_check_response((const char *)p->ws.rx, p->ws.n, key);
        if (h < 0)
            return -1;
        if (h > 0) {
            memmove(p->ws.rx, p->ws.rx + h, p->ws.n - (uint32_t)h);
            p->ws.n -= (uint32_t)h;
            return 0;
        }
    }
}

static void peer_close(peer *p)
{
    bconn_close(&p->ws);
    bconn_close(&p->rest);
    SSL_CTX_free(p->ctx);
    p->ctx = NULL;
}

/* The peer's sink: every outbox request with one blocking SSL_write. */
static int peer_sink(peer *p, rs_exec *x)
{
    static uint8_t fr[1 << 16];
    rs_exec_wire w;
    while (rs_exec_outbox_peek(x, &w) == RS_OK) {
        int ok;
        if (w.channel == RS_XCH_WS) {
            size_t n = rs_ws_frame_write(fr, sizeof fr, RS_WS_TEXT, true, w.data, w.len, true, 0x5a17c3e1u);
            ok = n && SSL_write(p->ws.ssl, fr, (int)n) == (int)n;
        } else {
            p->rest_ids[p->rt++ & 255] = w.req_id;
            ok = SSL_write(p->rest.ssl, w.data, (int)w.len) == (int)w.len;
        }
        rs_exec_outbox_pop(x);
        if (!ok)
            return -1;
    }
    return 0;
}

static void raw_rec(rs_emit *em, uint32_t conn, const uint8_t *d, uint32_t n)
{
    rs_ev_raw *r = (rs_ev_raw *)rs_emit_claim(em, RS_EV_VENUE_MSG, (uint32_t)(sizeof *r + n));
    if (!r)
        return;
    r->conn = conn;
    r->n = n;
    memcpy(r->data, d, n);
    r->h.ts = rs_now_ns();
    rs_emit_commit(em, &r->h);
}

/* The peer's poll: wait (poll(2), up to 1 ms) for either socket, read what
 * is there with SSL_read, emit complete WS frames / HTTP responses. */
static int peer_poll(peer *p, rs_emit *em)
{
    struct pollfd pf[2] = {{p->ws.fd, POLLIN, 0}, {p->rest.fd, POLLIN, 0}};
    if (!SSL_pending(p->ws.ssl) && !SSL_pending(p->rest.ssl) && poll(pf, 2, 1) <= 0)
        return 0;
    bconn *cs[2] = {&p->ws, &p->rest};
    for (int i = 0; i < 2; i++) {
        bconn *c = cs[i];
        if (!(pf[i].revents & POLLIN) && !SSL_pending(c->ssl))
            continue;
        int k = SSL_read(c->ssl, c->rx + c->n, (int)(sizeof c->rx - c->n));
        if (k <= 0)
            return -1;
        c->n += (uint32_t)k;
        for (;;) {
            uint32_t used = 0;
            if (c == &p->ws) {
                rs_ws_frame f;
                size_t cons;
                int rc = rs_ws_frame_parse(c->rx, c->n, sizeof c->rx, false, &f, &cons);
                if (rc != RS_OK)
                    break;
                if (f.opcode == RS_WS_TEXT)
                    raw_rec(em, RS_XCONN(RS_XCH_WS, 0), f.payload, (uint32_t)f.len);
                used = (uint32_t)cons;
            } else {
                const uint8_t *he = memmem(c->rx, c->n, "\r\n\r\n", 4);
                if (!he)
                    break;
                uint32_t head = (uint32_t)(he + 4 - c->rx);
                const char *cl = strcasestr((const char *)c->rx, "content-length:");
                uint32_t body = cl && (const uint8_t *)cl < he ? (uint32_t)strtoul(cl + 15, NULL, 10) : 0;
                if (c->n < head + body)
                    break;
                used = head + body;
                raw_rec(em, RS_XCONN(RS_XCH_REST, p->rest_ids[p->rh++ & 255]), c->rx, used);
            }
            memmove(c->rx, c->rx + used, c->n - used);
            c->n -= used;
        }
    }
    return 1;
}

/* ---- one transport, one case ---- */

typedef struct net_case {
    const char *name;
    uint8_t chan, ws_sign;
    bool blocking;
    bool fills;   /* an account stream brings the fill (else it waits for the reconciliation timer) */
} net_case;

typedef struct net_res {
    rs_hist sock, ack, fill;
    uint32_t n_fill;
    double orders_per_s;
} net_res;

/* Feed every venue record in vb to the stage, drain the outbox. */
static int feed_venue(bctx *c, rs_emit_buf *vb, rs_exec_session *s, peer *p)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(vb, &off))) {
        rs_exec_on_event(c->x, r, &c->eb.e);
        if (s)
            rs_exec_session_sink(s, c->x);
        else if (peer_sink(p, c->x))
            return -1;
    }
    rs_emit_buf_reset(vb);
    return 0;
}

/* One transport poll, its venue records through the stage. */
static int pump(bctx *c, rs_emit_buf *vb, rs_exec_session *s, peer *p)
{
    if (s)
        rs_exec_session_poll(s, &vb->e, 0);
    else if (peer_poll(p, &vb->e) < 0)
        return -1;
    return feed_venue(c, vb, s, p);
}

/* Fills applied for client_id among the stage's outputs since the last reset. */
static bool saw_fill(bctx *c, uint64_t cid)
{
    size_t off = 0;
    const rs_rec *r;
    bool f = false;
    while ((r = rs_emit_buf_next(&c->eb, &off)))
        if (r->type == RS_EV_EXEC_REPORT) {
            const rs_ev_exec_report *x = (const rs_ev_exec_report *)r;
            f |= x->client_id == cid && x->is_fill;
        }
    rs_emit_buf_reset(&c->eb);
    return f;
}

static int net_run(netenv *e, const net_case *k, uint32_t n, uint32_t warm, net_res *res)
{
    static bctx c;
    static uint8_t vbuf[1 << 20];
    static rs_emit_buf vb;
    static peer pr;
    rs_exec_session *s = NULL;
    int ret = -1;
    if (setup(&c, RS_VENUE_BINANCE, k->chan, k->ws_sign, n + warm + 16))
        return -1;
    rs_emit_buf_init(&vb, vbuf, sizeof vbuf, RS_STREAM_VENUE);
    if (k->blocking) {
        if (peer_open(&pr, e)) {
            fprintf(stderr, "bench exec: %s: blocking client could not connect\n", k->name);
            goto out;
        }
        /* the WS API connection is up: what the session's status record says */
        uint8_t up[2] = {RS_XCH_WS, 1};
        raw_rec(&vb.e, RS_XCONN(RS_XCH_STATUS, 0), up, 2);
        if (feed_venue(&c, &vb, NULL, &pr))
            goto out;
    } else {
        rs_vclock clk = {0, 1.0};
        if (rs_exec_session_create(&s, e->cfg, clk) != 0) {
            fprintf(stderr, "bench exec: %s: %s\n", k->name, rs_err_msg());
            goto out;
        }
    }
    /* settle: connection(s) up, logon + subscription answered (Ed25519) */
    int64_t end = rs_mono_ns() + NET_MAX_WAIT_NS;
    while (rs_mono_ns() < end) {
        if (pump(&c, &vb, s, &pr))
            goto out;
        /* 300 ms is plenty for logon + subscription on loopback; the
         * untimed warm-up orders cover a slow start */
        if ((!s || rs_exec_session_stats_get(s)->ws_opens) && rs_mono_ns() > end - NET_MAX_WAIT_NS + 300000000ll)
            break;
    }
    rs_emit_buf_reset(&c.eb);
    rs_hist_init(&res->sock);
    rs_hist_init(&res->ack);
    rs_hist_init(&res->fill);
    res->n_fill = 0;
    rs_ev_intent in;
    memset(&in, 0, sizeof in);
    in.h = (rs_rec){.len = sizeof in, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT};
    in.kind = RS_INT_NEW;
    in.ord_type = RS_ORD_MARKET;
    in.qty = 100;   /* 0.001 BTC */
    uint64_t t_all = 0;
    for (uint32_t i = 0; i < n + warm; i++) {
        in.h.seq = i + 1;
        in.side = (i & 1) ? RS_SIDE_SELL : RS_SIDE_BUY;
        in.client_id = e->next_cid++;
        in.h.ts = rs_now_ns();
        uint64_t a = rs_rdtsc();
        rs_exec_on_event(c.x, &in.h, &c.eb.e);
        if (s) {
            rs_exec_session_sink(s, c.x);
            rs_exec_session_poll(s, &vb.e, 0);   /* submits the send */
        } else if (peer_sink(&pr, c.x)) {
            goto out;
        }
        uint64_t b = rs_rdtscp();
        bool acked = false, filled = saw_fill(&c, in.client_id) || !k->fills;
        uint64_t t_ack = 0, t_fill = 0;
        int64_t dl = rs_mono_ns() + NET_MAX_WAIT_NS;
        while (!(acked && filled) && rs_mono_ns() < dl) {
            if (pump(&c, &vb, s, &pr))
                goto out;
            uint64_t now = rs_rdtscp();
            const rs_order *o = rs_exec_order(c.x, in.client_id);
            if (!acked && o && o->state != RS_OS_PENDING_NEW) {
                acked = true;
                t_ack = now;
                if (o->state == RS_OS_REJECTED) {
                    fprintf(stderr, "bench exec: %s: order rejected by the venue\n", k->name);
                    goto out;
                }
            }
            if (!filled && saw_fill(&c, in.client_id)) {
                filled = true;
                t_fill = now;
            }
        }
        if (!acked) {
            fprintf(stderr, "bench exec: %s: no answer in %lld s (order %u)\n", k->name,
                    (long long)(NET_MAX_WAIT_NS / 1000000000ll), i);
            goto out;
        }
        /* let what the answer triggered (back-fill, account events) settle
         * before the next order, so orders do not queue behind each other */
        int64_t quiet = rs_mono_ns() + 2000000ll;
        while (rs_mono_ns() < quiet) {
            if (pump(&c, &vb, s, &pr))
                goto out;
            if (!filled && saw_fill(&c, in.client_id)) {
                filled = true;
                t_fill = rs_rdtscp();
            }
        }
        rs_emit_buf_reset(&c.eb);
        if (i < warm)
            continue;
        rs_hist_add(&res->sock, b - a);
        rs_hist_add(&res->ack, t_ack - a);
        t_all += t_ack - a;
        if (filled) {
            rs_hist_add(&res->fill, t_fill - a);
            res->n_fill++;
        }
    }
    res->orders_per_s = (double)n / ((double)t_all / (rs_tsc_ghz() * 1e9));
    ret = 0;
out:
    if (s)
        rs_exec_session_destroy(s);
    if (k->blocking)
        peer_close(&pr);
    teardown(&c);
    return ret;
}

static int net_cases(const rs_bench_opts *o)
{
    uint32_t n = o->quick ? 100 : 1000, warm = 20;
    static netenv e;
    if (net_start(&e)) {
        fprintf(stderr, "bench exec: could not start venue-sim for the socket cases%s%s\n",
                rs_err_msg()[0] ? ": " : "", rs_err_msg());
        net_stop(&e);
        return 1;
    }
    static const net_case cases[] = {
        {"ws session", RS_XCH_WS, RS_SIGN_ED25519, false, true},
        {"ws session", RS_XCH_WS, RS_SIGN_ED25519, true, true},
        {"rest hmac", RS_XCH_REST, RS_SIGN_HMAC, false, false},
        {"rest hmac", RS_XCH_REST, RS_SIGN_HMAC, true, false},
    };
    static net_res res[4];
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++)
        rc = net_run(&e, &cases[i], n, warm, &res[i]) ? 1 : 0;
    if (!rc) {
        double ns = 1.0 / rs_tsc_ghz();
        for (int i = 0; i < 4; i += 2) {
            static const char *what[3] = {"->socket", "->ack", "->fill"};
            for (int m = 0; m < (cases[i].fills ? 3 : 2); m++) {
                const rs_hist *ours = m == 0 ? &res[i].sock : m == 1 ? &res[i].ack : &res[i].fill;
                const rs_hist *peer = m == 0 ? &res[i + 1].sock : m == 1 ? &res[i + 1].ack : &res[i + 1].fill;
                char name[96], pname[128];
                snprintf(name, sizeof name, "tls %s intent%s", cases[i].name, what[m]);
                /* JSON rows need a name of their own; the table reads better indented */
                if (o->json)
                    snprintf(pname, sizeof pname, "%s (blocking SSL peer)", name);
                else
                    snprintf(pname, sizeof pname, "  peer: blocking SSL client");
                rs_bench_result r = {.bench = "exec", .case_name = name, .unit = "ns", .peer = "blocking SSL_write/SSL_read",
                                     .note = m == 0 ? "engine session: io_uring + memory-BIO TLS, signing included"
                                             : m == 1 ? "loopback venue-sim, market order, answer applied"
                                                      : "executionReport on the account stream applied"};
                rs_bench_from_hist(&r, ours, ns);
                rs_bench_result q = {.bench = "exec", .case_name = pname, .unit = "ns"};
                rs_bench_from_hist(&q, peer, ns);
                r.ratio_vs_peer = r.p50 > 0 ? q.p50 / r.p50 : 0;
                if (m == 1)
                    r.throughput = res[i].orders_per_s, r.tp_unit = "orders/s (one at a time)";
                rs_bench_emit(o, &r);
                rs_bench_emit(o, &q);
            }
            if (!o->json && cases[i].fills)
                printf("%-34s       fills seen: %u of %u (session), %u of %u (peer)\n", "", res[i].n_fill, n,
                       res[i + 1].n_fill, n);
            else if (!o->json)
                printf("%-34s       no ->fill: without an account stream (HMAC) fills come from the REST "
                       "reconciliation timer, not the order's round trip\n", "");
        }
    }
    net_stop(&e);
    return rc;
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
        printf("on the socket: loopback TLS to a `ringside venue-sim` started for this run (WS API and REST, "
               "the engine's venue session vs a blocking SSL client; %s orders each)\n", o->quick ? "100" : "1000");
    rc |= net_cases(o);
    return rc ? 1 : 0;
}
