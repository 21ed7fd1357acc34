/* The REST depth snapshot fetcher (tools/feed_snapshot.c) against the
 * venue simulator in-process over TLS: a snapshot the feed's parser accepts
 * and whose id lines up with the symbol's trades; a venue error (unknown
 * symbol, HTTP 400), an untrusted certificate, a wrong host name and a
 * closed port each come back as an {"error":..} body naming the cause (the
 * feed stage journals it as bad input and asks again); requests for several
 * symbols are served one after the other while the caller never blocks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../feed/feed_book.h"
#include "feed_snapshot.h"
#include "ringside/config.h"
#include "ringside/mdsim.h"
#include "ringside/tsc.h"
#include "testutil.h"

static char certdir[4096], cert[4300], key[4300], ca[4300];

static rs_config *make_cfg(uint16_t port, const char *ca_file, const char *server_name)
{
    char y[8192];
    snprintf(y, sizeof y,
             "instance: snaptest\n"
             "feed:\n"
             "  url: wss://127.0.0.1:%u/stream\n"
             "  rest_url: https://127.0.0.1:%u\n"
             "  streams: [trade, depth]\n"
             "  tls: {ca_file: \"%s\", server_name: %s, system_ca: %s}\n"
             "instruments:\n"
             "  - {symbol: BTCUSDT, px_exp: 2, qty_exp: 5, tick: \"0.01\", lot: \"0.00001\"}\n"
             "  - {symbol: XRPUSDT, px_exp: 4, qty_exp: 1, tick: \"0.0001\", lot: \"0.1\"}\n"
             "  - {symbol: ETHUSDT, px_exp: 2, qty_exp: 4, tick: \"0.01\", lot: \"0.0001\"}\n"
             "model: {models: [{path: m.json, horizon_bars: 1}]}\n"
             "exec: {mode: paper}\n",
             port, port, ca_file, server_name, ca_file[0] ? "false" : "true");
    rs_config *c = NULL;
    if (rs_config_parse(&c, "snap.yml", y, strlen(y)) != 0)
        fail_msg("config: %s", rs_err_msg());
    return c;
}

/* Collect one result per requested symbol (10 s at most). */
static int collect(rs_snap *s, char bodies[3][4096], uint32_t want)
{
    int got = 0;
    int64_t end = rs_mono_ns() + 10000000000ll;
    while (want && rs_mono_ns() < end) {
        uint16_t sym;
        const uint8_t *b;
        uint32_t n;
        if (!rs_snap_take(s, &sym, &b, &n)) {
            usleep(1000);
            continue;
        }
        assert_true(sym < 3);
        snprintf(bodies[sym], 4096, "%.*s", (int)n, (const char *)b);
        rs_snap_release(s);
        want &= ~(1u << sym);
        got++;
    }
    return got;
}

static rs_mdsim *sim_start(void)
{
    rs_mdsim_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.cert = cert;
    cfg.key = key;
    rs_synth_cfg_default(&cfg.synth);
    cfg.speed = 60;
    cfg.speed_set = true;
    rs_mdsim *sim;
    if (rs_mdsim_create(&sim, &cfg) < 0)
        fail_msg("mdsim: %s", rs_err_msg());
    assert_int_equal(rs_mdsim_start(sim), 0);
    return sim;
}

static void test_fetch_and_errors(void **st)
{
    (void)st;
    rs_mdsim *sim = sim_start();
    usleep(500000);   /* some market: every symbol has traded */
    rs_config *cfg = make_cfg(rs_mdsim_port(sim), ca, "localhost");
    rs_snap *s;
    assert_int_equal(rs_snap_create(&s, cfg, 100), 0);
    char bodies[3][4096];
    memset(bodies, 0, sizeof bodies);
    int64_t t0 = rs_mono_ns();
    rs_snap_request(s, 7);
    int64_t t1 = rs_mono_ns();
    assert_true(t1 - t0 < 50000000);   /* the caller does not wait for the network */
    assert_int_equal(collect(s, bodies, 7), 3);
    /* a real snapshot: the feed's parser takes it */
    static uint64_t mem[(sizeof(rs_ev_depth) + 256 * sizeof(rs_level)) / 8 + 1];
    rs_ev_depth *d = (rs_ev_depth *)(void *)mem;
    rs_dec_err err;
    rs_instrument ins;
    memset(&ins, 0, sizeof ins);
    ins.px_exp = 2;
    ins.qty_exp = 5;
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)bodies[0], strlen(bodies[0]), &ins, d, 256, &err), RS_OK);
    assert_true(d->final_update_id >= 100000000);   /* the synthetic trade ids */
    assert_int_equal(d->n_bids, 5);
    assert_int_equal(d->n_asks, 5);
    assert_true(d->levels[0].px < d->levels[5].px);   /* best bid below best ask */
    ins.qty_exp = 4;
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)bodies[2], strlen(bodies[2]), &ins, d, 256, &err), RS_OK);
    /* the venue's error, verbatim enough to act on */
    assert_non_null(strstr(bodies[1], "{\"error\":\"HTTP 400"));
    assert_non_null(strstr(bodies[1], "Invalid symbol"));
    assert_int_equal(rs_fbook_parse_snapshot((const uint8_t *)bodies[1], strlen(bodies[1]), &ins, d, 256, &err), RS_BAD);
    /* a retry after a failure backs off, and still comes back */
    memset(bodies, 0, sizeof bodies);
    rs_snap_request(s, 2);
    assert_int_equal(collect(s, bodies, 2), 1);
    assert_non_null(strstr(bodies[1], "HTTP 400"));
    rs_snap_stats stt;
    rs_snap_stats_get(s, &stt);
    assert_int_equal(stt.requests, 4);
    assert_int_equal(stt.fetched, 2);
    assert_int_equal(stt.failed, 2);
    rs_mdsim_stats ms;
    rs_mdsim_stats_get(sim, &ms);
    assert_int_equal(ms.rest_depth, 2);
    rs_snap_destroy(s);
    rs_config_destroy(cfg);

    /* TLS: the system store does not know the simulator's CA */
    cfg = make_cfg(rs_mdsim_port(sim), "", "localhost");
    assert_int_equal(rs_snap_create(&s, cfg, 100), 0);
    rs_snap_request(s, 1);
    assert_int_equal(collect(s, bodies, 1), 1);
    printf("untrusted: %s\n", bodies[0]);
    assert_non_null(strstr(bodies[0], "{\"error\":\"TLS"));
    rs_snap_destroy(s);
    rs_config_destroy(cfg);
    /* TLS: the certificate is not for this name */
    cfg = make_cfg(rs_mdsim_port(sim), ca, "wrong.example");
    assert_int_equal(rs_snap_create(&s, cfg, 100), 0);
    rs_snap_request(s, 1);
    assert_int_equal(collect(s, bodies, 1), 1);
    printf("wrong name: %s\n", bodies[0]);
    assert_non_null(strstr(bodies[0], "{\"error\":\"TLS"));
    rs_snap_destroy(s);
    rs_config_destroy(cfg);

    /* nobody listening */
    uint16_t port = rs_mdsim_port(sim);
    rs_mdsim_destroy(sim);
    cfg = make_cfg(port, ca, "localhost");
    assert_int_equal(rs_snap_create(&s, cfg, 100), 0);
    rs_snap_request(s, 1);
    assert_int_equal(collect(s, bodies, 1), 1);
    printf("closed: %s\n", bodies[0]);
    assert_non_null(strstr(bodies[0], "connect 127.0.0.1"));
    /* shutdown is prompt even while backing off */
    rs_snap_request(s, 1);
    int64_t a = rs_mono_ns();
    rs_snap_destroy(s);
    assert_true(rs_mono_ns() - a < 2000000000ll);
    rs_config_destroy(cfg);
}

int main(void)
{
    snprintf(certdir, sizeof certdir, "%s/feed-snapshot-%d", getenv("RS_BINARY_DIR") ? getenv("RS_BINARY_DIR") : "/tmp",
             getpid());
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "bash %s %s >/dev/null", rs_test_src("tools/make-certs.sh"), certdir);
    if (system(cmd) != 0)
        rs_test_skip("cannot create certificates (openssl missing?)");
    snprintf(cert, sizeof cert, "%s/server.pem", certdir);
    snprintf(key, sizeof key, "%s/server.key", certdir);
    snprintf(ca, sizeof ca, "%s/ca.pem", certdir);
    const struct CMUnitTest t[] = {cmocka_unit_test(test_fetch_and_errors)};
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", certdir);
    if (system(cmd) != 0) {}
    return rc;
}
