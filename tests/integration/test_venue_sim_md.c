/* The venue simulator's market side against the ringside WebSocket client,
 * in one process: protocol (raw, combined, SUBSCRIBE, pings), data sources
 * (synthetic, CSV replay), every fault knob, forced disconnects, half-open
 * detection and planned rotation without a gap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ringside/mdsim.h"
#include "ringside/mem.h"
#include "ringside/tsc.h"
#include "ringside/ws_client.h"
#include "testutil.h"

#define MAXM 200000

typedef struct rec {
    uint32_t conn;
    uint64_t id;
    char sym[12];
    bool bad;
} rec;

typedef struct sink {
    rec *r;
    int n;
    int opens, closes, rotated;
    char last_reason[512];
    char first[512];
    char last[512];
    uint32_t max_conn;
    bool seen_err3, seen_list;
} sink;

static char certdir[4096], cert[4300], key[4300], ca[4300];

static void on_msg(void *u, uint32_t conn, const uint8_t *d, uint32_t n, int64_t rx_ns, int op)
{
    (void)op;
    (void)rx_ns;
    sink *s = u;
    const char *m = (const char *)d;
    if (!s->first[0]) snprintf(s->first, sizeof s->first, "%.*s", (int)n, m);
    snprintf(s->last, sizeof s->last, "%.*s", (int)n, m);
    if (conn > s->max_conn) s->max_conn = conn;
    if (memmem(m, n, "\"code\":3", 8)) s->seen_err3 = true;
    if (memmem(m, n, "{\"result\":[\"solusdt@aggTrade\"],\"id\":3}", 37)) s->seen_list = true;
    if (s->n >= MAXM) return;
    rec *r = &s->r[s->n++];
    memset(r, 0, sizeof *r);
    r->conn = conn;
    /* A minimal probe, not a decoder: the "t" (or "a") id and "s" symbol. */
    const char *t = memmem(m, n, "\"t\":", 4);
    if (!t) t = memmem(m, n, "\"a\":", 4);
    const char *sy = memmem(m, n, "\"s\":\"", 5);
    bool ok = n > 2 && m[n - 1] == '}' && m[0] == '{' && t && sy && !memmem(m, n, "\"p\":\"x", 6) &&
              !memmem(m, n, "},", 2);
    if (ok) {
        r->id = strtoull(t + 4, NULL, 10);
        snprintf(r->sym, sizeof r->sym, "%.*s", (int)(strcspn(sy + 5, "\"") < 11 ? strcspn(sy + 5, "\"") : 11), sy + 5);
    } else {
        r->bad = true;
    }
}

static void on_state(void *u, uint32_t conn, int ev, const char *reason)
{
    (void)conn;
    sink *s = u;
    if (ev == RS_WS_EV_OPEN) s->opens++;
    if (ev == RS_WS_EV_CLOSED) {
        s->closes++;
        snprintf(s->last_reason, sizeof s->last_reason, "%s", reason);
    }
    if (ev == RS_WS_EV_ROTATED) s->rotated++;
}

static rs_mdsim *sim_start(rs_mdsim_cfg *cfg)
{
    cfg->cert = cert;
    cfg->key = key;
    if (!cfg->synth.seed) rs_synth_cfg_default(&cfg->synth);
    rs_mdsim *s;
    if (rs_mdsim_create(&s, cfg) < 0)
        fail_msg("mdsim: %s", rs_err_msg());
    assert_int_equal(rs_mdsim_start(s), 0);
    return s;
}

static rs_ws_client *cli(rs_mdsim *sim, const char *path, sink *s, rs_ws_client_cfg *extra)
{
    rs_ws_client_cfg cfg = extra ? *extra : (rs_ws_client_cfg){0};
    cfg.host = "localhost";
    cfg.port = rs_mdsim_port(sim);
    cfg.path = path;
    cfg.tls.ca_file = ca;
    cfg.on_msg = on_msg;
    cfg.on_state = on_state;
    cfg.user = s;
    if (!cfg.backoff_min_ns) cfg.backoff_min_ns = 20000000ll;
    if (!cfg.backoff_max_ns) cfg.backoff_max_ns = 200000000ll;
    rs_ws_client *c;
    if (rs_ws_client_create(&c, &cfg) < 0)
        fail_msg("client: %s", rs_err_msg());
    s->r = calloc(MAXM, sizeof(rec));
    return c;
}

static void run_for(rs_ws_client *c, double secs)
{
    int64_t end = rs_mono_ns() + (int64_t)(secs * 1e9);
    while (rs_mono_ns() < end) {
        rs_ws_client_poll(c, rs_mono_ns());
        rs_ws_client_wait(c, 1000000);
    }
}

#define RUN_UNTIL(c, cond, secs)                                                   \
    do {                                                                           \
        int64_t _end = rs_mono_ns() + (int64_t)((secs) * 1e9);                     \
        while (!(cond) && rs_mono_ns() < _end) {                                   \
            rs_ws_client_poll(c, rs_mono_ns());                                    \
            rs_ws_client_wait(c, 1000000);                                         \
        }                                                                          \
        if (!(cond)) fail_msg("timeout waiting for " #cond);                       \
    } while (0)

static void done(rs_ws_client *c, rs_mdsim *sim, sink *s)
{
    rs_ws_client_destroy(c);
    rs_mdsim_destroy(sim);
    free(s->r);
}

static int count_from(const sink *s, int from, const char *sym)
{
    int k = 0;
    for (int i = from; i < s->n; i++)
        if (!s->r[i].bad && !strcmp(s->r[i].sym, sym)) k++;
    return k;
}

/* ids per symbol must step by exactly 1 (no faults) */
static void assert_contiguous(const sink *s, int from)
{
    uint64_t last[8] = {0};
    char syms[8][12] = {{0}};
    for (int i = from; i < s->n; i++) {
        const rec *r = &s->r[i];
        assert_false(r->bad);
        int k = 0;
        while (k < 8 && syms[k][0] && strcmp(syms[k], r->sym)) k++;
        assert_true(k < 8);
        if (!syms[k][0]) strcpy(syms[k], r->sym);
        else if (r->id != last[k] + 1) fail_msg("%s: id %llu after %llu", r->sym, (unsigned long long)r->id, (unsigned long long)last[k]);
        last[k] = r->id;
    }
}

static void test_combined_and_steady_state(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed_set = true, .speed = 0};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/stream?streams=btcusdt@trade/ethusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.n >= 2000, 10);
    assert_true(strstr(s.first, "{\"stream\":\"btcusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":") ||
                strstr(s.first, "{\"stream\":\"ethusdt@trade\",\"data\":{\"e\":\"trade\",\"E\":"));
    assert_contiguous(&s, 0);
    assert_true(count_from(&s, 0, "BTCUSDT") > 0 && count_from(&s, 0, "ETHUSDT") > 0);
    assert_int_equal(count_from(&s, 0, "SOLUSDT"), 0);
    /* steady state: no allocation on this thread while frames flow */
    uint64_t a0 = rs_mem_thread_allocated();
    int n0 = s.n;
    int64_t end = rs_mono_ns() + 2000000000ll;
    while (s.n < n0 + 20000 && rs_mono_ns() < end)
        rs_ws_client_poll(c, rs_mono_ns());
    uint64_t a1 = rs_mem_thread_allocated();
    if (a0 != UINT64_MAX) {
        printf("  steady state (TLS 1.2 AEAD): %d messages, %llu bytes allocated\n", s.n - n0, (unsigned long long)(a1 - a0));
        assert_int_equal(a1 - a0, 0);
    }
    done(c, sim, &s);
}

static void test_subscribe_and_requests(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed_set = true, .speed = 0};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/ws", &s, NULL);
    const char *sub = "{\"method\":\"SUBSCRIBE\",\"params\":[\"solusdt@aggTrade\"],\"id\":1}";
    rs_ws_client_add_open_msg(c, sub, (uint32_t)strlen(sub));
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.n >= 50, 10);
    assert_string_equal(s.first, "{\"result\":null,\"id\":1}");
    assert_non_null(strstr(s.last, "\"e\":\"aggTrade\""));
    assert_int_equal(count_from(&s, 1, "SOLUSDT"), s.n - 1);
    const char *bad = "{not json";
    const char *list = "{\"method\":\"LIST_SUBSCRIPTIONS\",\"id\":3}";
    assert_int_equal(rs_ws_client_send(c, 1, (const uint8_t *)bad, (uint32_t)strlen(bad)), RS_OK);
    assert_int_equal(rs_ws_client_send(c, 1, (const uint8_t *)list, (uint32_t)strlen(list)), RS_OK);
    RUN_UNTIL(c, s.seen_err3 && s.seen_list, 5);
    done(c, sim, &s);
}

static void test_server_pings(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed = 1, .ping_interval_ms = 50};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/ws/dogeusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, rs_ws_client_stats_get(c)->pongs_tx >= 3, 5);
    run_for(c, 0.1);
    rs_mdsim_stats ms;
    rs_mdsim_stats_get(sim, &ms);
    assert_true(ms.pongs >= 2);
    done(c, sim, &s);
}

/* Apply one counted fault to the next 3 messages and check its signature. */
static void fault_case(const char *cmd, int kind)
{
    rs_mdsim_cfg cfg = {.speed_set = true, .speed = 0, .max_msgs = 0};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/ws/btcusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.n >= 100, 10);
    char reply[256];
    assert_int_equal(rs_mdsim_ctl(sim, cmd, reply, sizeof reply), 0);
    /* The server runs ahead by whatever the socket buffers hold: wait until
     * it has applied the 3 faults, then until everything it had sent by
     * then has arrived. */
    rs_mdsim_stats ms;
    int64_t end = rs_mono_ns() + 10000000000ll;
    for (;;) {
        rs_mdsim_stats_get(sim, &ms);
        uint64_t applied = kind == 0 ? ms.dup : kind == 1 ? ms.reorder : kind == 2 ? ms.gap : ms.malformed;
        if (applied >= 3 || rs_mono_ns() > end)
            break;
        rs_ws_client_poll(c, rs_mono_ns());
    }
    assert_true(ms.msgs < MAXM - 1000);
    RUN_UNTIL(c, (uint64_t)s.n >= ms.msgs + 10, 20);
    int dups = 0, back = 0, gaps = 0, bad = 0;
    uint64_t prev = 0;
    for (int i = 0; i < s.n; i++) {
        if (s.r[i].bad) { bad++; continue; }
        uint64_t id = s.r[i].id;
        if (prev) {
            if (id == prev) dups++;
            else if (id < prev) back++;
            else if (id > prev + 1 && kind == 2) gaps += (int)(id - prev - 1);
        }
        prev = id > prev ? id : prev;
    }
    switch (kind) {
    case 0: assert_int_equal(dups, 3); assert_int_equal(bad, 0); break;
    case 1: assert_int_equal(back, 3); assert_int_equal(bad, 0); break;
    case 2: assert_int_equal(gaps, 3); assert_int_equal(bad, 0); break;
    case 3: assert_int_equal(bad, 3); break;
    }
    done(c, sim, &s);
}

static void test_fault_dup(void **st) { (void)st; fault_case("dup 3", 0); }
static void test_fault_reorder(void **st) { (void)st; fault_case("reorder 3", 1); }
static void test_fault_gap(void **st) { (void)st; fault_case("gap 3", 2); }
static void test_fault_malformed(void **st) { (void)st; fault_case("malformed 3", 3); }

static void test_stall_symbol(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed = 30};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/stream?streams=btcusdt@trade/ethusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, count_from(&s, 0, "BTCUSDT") >= 5 && count_from(&s, 0, "ETHUSDT") >= 5, 10);
    char reply[256];
    assert_int_equal(rs_mdsim_ctl(sim, "stall btcusdt", reply, sizeof reply), 0);
    /* Once the server has dropped a BTC message, everything it sent before
     * is older than the stall: read up to there, then watch. */
    rs_mdsim_stats ms;
    int64_t end = rs_mono_ns() + 10000000000ll;
    do {
        rs_ws_client_poll(c, rs_mono_ns());
        rs_ws_client_wait(c, 1000000);
        rs_mdsim_stats_get(sim, &ms);
    } while (ms.stalled_drop == 0 && rs_mono_ns() < end);
    assert_true(ms.stalled_drop > 0);
    RUN_UNTIL(c, (uint64_t)s.n >= ms.msgs, 10);
    int from = (int)ms.msgs;
    run_for(c, 0.6);
    assert_int_equal(count_from(&s, from, "BTCUSDT"), 0);
    assert_true(count_from(&s, from, "ETHUSDT") > 0);
    rs_mdsim_ctl(sim, "resume", reply, sizeof reply);
    from = s.n;
    RUN_UNTIL(c, count_from(&s, from, "BTCUSDT") > 0, 5);
    assert_int_equal(rs_mdsim_ctl(sim, "stall nosuch", reply, sizeof reply), -RS_EUSAGE);
    done(c, sim, &s);
}

static void test_half_open_detected(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed = 50};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client_cfg x = {.idle_timeout_ns = 300000000ll};
    rs_ws_client *c = cli(sim, "/ws/btcusdt@trade", &s, &x);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.n >= 10, 10);
    char reply[256];
    rs_mdsim_ctl(sim, "stall_all", reply, sizeof reply);
    RUN_UNTIL(c, rs_ws_client_stats_get(c)->idle_timeouts >= 1, 5);
    assert_non_null(strstr(s.last_reason, "half-open"));
    rs_mdsim_ctl(sim, "resume", reply, sizeof reply);
    uint32_t before = s.max_conn;
    (void)before;
    int from = s.n;
    RUN_UNTIL(c, s.n > from + 5, 10);
    assert_true(s.r[s.n - 1].conn > 1);   /* data flows again on a new connection */
    done(c, sim, &s);
}

static void test_disconnect_and_close(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed = 50};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/ws/btcusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.n >= 5, 10);
    char reply[256];
    rs_mdsim_ctl(sim, "disconnect", reply, sizeof reply);
    RUN_UNTIL(c, s.closes >= 1, 5);
    assert_non_null(strstr(s.last_reason, "closed by peer"));
    RUN_UNTIL(c, s.opens >= 2 && s.max_conn >= 2, 5);
    rs_mdsim_ctl(sim, "close 1001", reply, sizeof reply);
    RUN_UNTIL(c, s.closes >= 2, 5);
    assert_non_null(strstr(s.last_reason, "code 1001"));
    RUN_UNTIL(c, s.opens >= 3, 5);
    rs_mdsim_ctl(sim, "shutdown", reply, sizeof reply);
    RUN_UNTIL(c, s.closes >= 3, 5);
    assert_non_null(strstr(s.last, "serverShutdown"));
    done(c, sim, &s);
}

static void test_server_lifetime(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed = 50, .lifetime_ms = 400};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/ws/btcusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.closes >= 1, 5);
    assert_non_null(strstr(s.last_reason, "code 1001, reason: lifetime"));
    RUN_UNTIL(c, s.opens >= 2, 5);
    done(c, sim, &s);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void test_rotation_no_gap(void **st)
{
    (void)st;
    rs_mdsim_cfg cfg = {.speed = 40};
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client_cfg x = {.lifetime_ns = 1000000000ll, .rotate_margin_ns = 400000000ll, .overlap_ns = 300000000ll};
    rs_ws_client *c = cli(sim, "/ws/btcusdt@trade", &s, &x);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.rotated >= 2, 10);
    run_for(c, 0.2);
    assert_int_equal(s.closes, 0);   /* no unplanned close */
    assert_true(rs_ws_client_stats_get(c)->rotations >= 2);
    assert_true(s.max_conn >= 3);
    /* union of ids over all connections: contiguous, duplicates allowed */
    uint64_t *ids = malloc(sizeof(uint64_t) * (size_t)s.n);
    int n = 0;
    for (int i = 0; i < s.n; i++)
        if (!s.r[i].bad) ids[n++] = s.r[i].id;
    qsort(ids, (size_t)n, sizeof *ids, cmp_u64);
    int dup = 0;
    for (int i = 1; i < n; i++) {
        if (ids[i] == ids[i - 1]) { dup++; continue; }
        if (ids[i] != ids[i - 1] + 1)
            fail_msg("gap across rotation: %llu -> %llu", (unsigned long long)ids[i - 1], (unsigned long long)ids[i]);
    }
    printf("  %d messages over %u connections, %d duplicates from overlaps\n", s.n, s.max_conn, dup);
    free(ids);
    done(c, sim, &s);
}

static void test_replay_csv(void **st)
{
    (void)st;
    char path[4400];
    snprintf(path, sizeof path, "%s/trades.csv", certdir);
    FILE *f = fopen(path, "w");
    fprintf(f, "id,price,qty,quote_qty,time,is_buyer_maker,is_best_match\n"
               "5001,42000.01000000,0.00100000,42.00001000,1700000000000,true,true\n"
               "5002,42000.02000000,0.50000000,21000.01000000,1700000000001,false,true\n"
               "garbage line\n"
               "5003,41999.99000000,1.00000000,41999.99000000,1700000000002500,True,True\n"
               "5004,42001.00000000,2.00000000,84002.00000000,1700000000003,false,true\n");
    fclose(f);
    rs_mdsim_cfg cfg = {.speed_set = true, .speed = 0, .n_replay = 1};
    cfg.replay_sym[0] = "xyzusdt";
    cfg.replay_path[0] = path;
    rs_mdsim *sim = sim_start(&cfg);
    sink s = {0};
    rs_ws_client *c = cli(sim, "/ws/xyzusdt@trade", &s, NULL);
    rs_ws_client_start(c);
    RUN_UNTIL(c, s.n >= 4, 5);
    run_for(c, 0.1);
    assert_int_equal(s.n, 4);
    assert_string_equal(s.first, "{\"e\":\"trade\",\"E\":1700000000001,\"s\":\"XYZUSDT\",\"t\":5001,\"p\":\"42000.01000000\","
                                 "\"q\":\"0.00100000\",\"T\":1700000000000,\"m\":true,\"M\":true}");
    assert_non_null(strstr(s.last, "\"t\":5004,\"p\":\"42001.00000000\""));
    assert_int_equal(s.r[2].id, 5003);   /* microsecond time accepted, bad line skipped */
    done(c, sim, &s);
    cfg.replay_path[0] = "/nonexistent.csv";
    rs_mdsim *bad;
    cfg.cert = cert;
    cfg.key = key;
    assert_true(rs_mdsim_create(&bad, &cfg) < 0);
    assert_non_null(strstr(rs_err_msg(), "/nonexistent.csv"));
}

int main(void)
{
    snprintf(certdir, sizeof certdir, "%s/venue-sim-md-%d", getenv("RS_BINARY_DIR") ? getenv("RS_BINARY_DIR") : "/tmp", getpid());
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "bash %s %s >/dev/null", rs_test_src("tools/make-certs.sh"), certdir);
    if (system(cmd) != 0)
        rs_test_skip("cannot create certificates (openssl missing?)");
    snprintf(cert, sizeof cert, "%s/server.pem", certdir);
    snprintf(key, sizeof key, "%s/server.key", certdir);
    snprintf(ca, sizeof ca, "%s/ca.pem", certdir);
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_combined_and_steady_state),
        cmocka_unit_test(test_subscribe_and_requests),
        cmocka_unit_test(test_server_pings),
        cmocka_unit_test(test_fault_dup),
        cmocka_unit_test(test_fault_reorder),
        cmocka_unit_test(test_fault_gap),
        cmocka_unit_test(test_fault_malformed),
        cmocka_unit_test(test_stall_symbol),
        cmocka_unit_test(test_half_open_detected),
        cmocka_unit_test(test_disconnect_and_close),
        cmocka_unit_test(test_server_lifetime),
        cmocka_unit_test(test_rotation_no_gap),
        cmocka_unit_test(test_replay_csv),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", certdir);
    if (system(cmd) != 0) {}
    return rc;
}
