/* TLS over io_uring (rs_net + rs_tls BIO pair) against `openssl s_server`:
 * a good certificate works end to end; a wrong host name, an untrusted CA
 * and an expired certificate each fail the handshake with the X509 reason.
 * Certificates are made at test time by tests/integration/tls_certs.sh. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringside/net.h"
#include "ringside/tls.h"
#include "ringside/tsc.h"
#include "ringside/ws_client.h"
#include "testutil.h"

static char dir[4096];

static const char *f(const char *name)
{
    static char b[4][4300];
    static int k;
    char *p = b[k++ & 3];
    snprintf(p, 4300, "%s/%s", dir, name);
    return p;
}

static int free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bind(fd, (struct sockaddr *)&a, sizeof a);
    socklen_t l = sizeof a;
    getsockname(fd, (struct sockaddr *)&a, &l);
    close(fd);
    return ntohs(a.sin_port);
}

/* Start `openssl s_server -www` with cert/key; returns its pid. */
static pid_t s_server(const char *cert, const char *key, int port)
{
    pid_t p = fork();
    if (p == 0) {
        char ps[16];
        snprintf(ps, sizeof ps, "%d", port);
        int nul = open("/dev/null", 1);
        dup2(nul, 1);
        dup2(nul, 2);
        execlp("openssl", "openssl", "s_server", "-accept", ps, "-cert", cert, "-key", key, "-www", "-quiet",
               (char *)NULL);
        _exit(127);
    }
    /* wait until it listens */
    for (int i = 0; i < 1000; i++) {   /* up to 20 s on a loaded machine */
        int fd = socket(AF_INET, SOCK_STREAM, 0);
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                                .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        int rc = connect(fd, (struct sockaddr *)&a, sizeof a);
        close(fd);
        if (rc == 0)
            return p;   /* s_server shrugs off the probe and keeps serving */
        usleep(20000);
    }
    fail_msg("openssl s_server did not start");
    return -1;
}

/* Handshake with host over io_uring + BIO pair; on success GET / and
 * return 0 with the response start in resp. Returns the negative error. */
static int tls_get(const char *host, int port, const char *ca, char *resp, size_t cap)
{
    rs_net_loop *l;
    assert_int_equal(rs_net_create(&l, NULL), 0);
    rs_tls_ctx *ctx;
    rs_tls_cfg tc = {.ca_file = ca};
    assert_int_equal(rs_tls_ctx_create(&ctx, &tc), 0);
    rs_tls *t = NULL;
    int conn = rs_net_connect(l, "127.0.0.1", (uint16_t)port);
    assert_true(conn >= 0);
    assert_int_equal(rs_tls_create(&t, ctx, host, 0), 0);
    int rc = RS_AGAIN, phase = 0;
    size_t got = 0;
    uint8_t tmp[16384];
    int64_t end = rs_mono_ns() + 10000000000ll;
    while (rs_mono_ns() < end) {
        rs_net_ev ev[8];
        int n = rs_net_poll(l, ev, 8);
        for (int i = 0; i < n; i++) {
            if (ev[i].type == RS_NET_EV_CONNECTED) {
                assert_int_equal(ev[i].err, 0);
                rs_tls_handshake(t);
            } else if (ev[i].type == RS_NET_EV_DATA) {
                assert_int_equal(rs_tls_feed(t, ev[i].data, ev[i].len), ev[i].len);
                assert_true(ev[i].rx_ns > 0);
            } else if (ev[i].type == RS_NET_EV_CLOSED) {
                end = 0;
            }
        }
        if (phase == 0) {
            rc = rs_tls_handshake(t);
            if (rc < 0)
                break;
            if (rc == RS_OK) {
                const char *req = "GET / HTTP/1.0\r\n\r\n";
                assert_int_equal(rs_tls_write(t, (const uint8_t *)req, strlen(req)), RS_OK);
                phase = 1;
            }
        }
        if (phase == 1) {
            int r = rs_tls_read(t, (uint8_t *)resp + got, cap - 1 - got);
            if (r > 0) got += (size_t)r;
            resp[got] = 0;
            if (got > 40) { rc = 0; break; }
        }
        size_t k = rs_tls_take_tx(t, tmp, sizeof tmp);
        if (k)
            assert_int_equal(rs_net_send(l, conn, tmp, (uint32_t)k), RS_OK);
        rs_net_wait(l, 5000000);
    }
    rs_tls_destroy(t);
    rs_tls_ctx_destroy(ctx);
    rs_net_destroy(l);
    return rc;
}

static void run_case(const char *cert, const char *host, const char *want_err)
{
    rs_test_hold_rx_stamps();   /* every DATA event below must carry one */
    int port = free_port();
    char c[4300], k[4300];
    snprintf(c, sizeof c, "%s.pem", f(cert));
    snprintf(k, sizeof k, "%s.key", f(cert));
    pid_t p = s_server(c, k, port);
    char resp[4096] = "";
    int rc = tls_get(host, port, f("ca.pem"), resp, sizeof resp);
    kill(p, SIGTERM);
    waitpid(p, NULL, 0);
    if (!want_err) {
        if (rc != 0)
            fail_msg("%s/%s: %s", cert, host, rs_err_msg());
        assert_non_null(strstr(resp, "HTTP/1.0 200"));
    } else {
        assert_int_equal(rc, -RS_ETLS);
        if (!strstr(rs_err_msg(), want_err))
            fail_msg("%s/%s: want '%s' in: %s", cert, host, want_err, rs_err_msg());
        printf("  %s/%s -> %s\n", cert, host, rs_err_msg());
    }
}

static void test_good(void **st) { (void)st; run_case("good", "localhost", NULL); }
static void test_good_ip(void **st) { (void)st; run_case("good", "127.0.0.1", NULL); }
static void test_wrong_host(void **st) { (void)st; run_case("wronghost", "localhost", "hostname mismatch"); }
static void test_untrusted(void **st) { (void)st; run_case("untrusted", "localhost", "unable to get local issuer certificate"); }
static void test_expired(void **st) { (void)st; run_case("expired", "localhost", "certificate has expired"); }

/* The WebSocket client surfaces the same reason in its CLOSED event. */
static char ws_reason[1024];
static void on_msg(void *u, uint32_t id, const uint8_t *d, uint32_t n, int64_t rx, int op)
{
    (void)u; (void)id; (void)d; (void)n; (void)rx; (void)op;
}
static void on_state(void *u, uint32_t id, int ev, const char *reason)
{
    (void)u; (void)id;
    if (ev == RS_WS_EV_CLOSED) snprintf(ws_reason, sizeof ws_reason, "%s", reason);
}

static void test_ws_client_reports_verify_error(void **st)
{
    (void)st;
    int port = free_port();
    char c[4300], k[4300];
    snprintf(c, sizeof c, "%s.pem", f("wronghost"));
    snprintf(k, sizeof k, "%s.key", f("wronghost"));
    pid_t p = s_server(c, k, port);
    rs_ws_client_cfg cfg = {.host = "localhost", .port = (uint16_t)port, .path = "/ws", .tls = {.ca_file = f("ca.pem")},
                            .on_msg = on_msg, .on_state = on_state};
    rs_ws_client *cl;
    assert_int_equal(rs_ws_client_create(&cl, &cfg), 0);
    rs_ws_client_start(cl);
    int64_t end = rs_mono_ns() + 10000000000ll;
    while (!ws_reason[0] && rs_mono_ns() < end) {
        rs_ws_client_poll(cl, rs_mono_ns());
        rs_ws_client_wait(cl, 5000000);
    }
    rs_ws_client_destroy(cl);
    kill(p, SIGTERM);
    waitpid(p, NULL, 0);
    assert_non_null(strstr(ws_reason, "hostname mismatch"));
}

static void test_bad_ca_file(void **st)
{
    (void)st;
    rs_tls_ctx *ctx;
    rs_tls_cfg tc = {.ca_file = "/nonexistent/ca.pem"};
    assert_int_equal(rs_tls_ctx_create(&ctx, &tc), -RS_ETLS);
    assert_non_null(strstr(rs_err_msg(), "/nonexistent/ca.pem"));
}

int main(void)
{
    if (system("command -v openssl >/dev/null") != 0)
        rs_test_skip("openssl binary not installed");
    snprintf(dir, sizeof dir, "%s/tls-verify-%d", getenv("RS_BINARY_DIR") ? getenv("RS_BINARY_DIR") : "/tmp", getpid());
    char cmd[9000];
    snprintf(cmd, sizeof cmd, "bash %s %s", rs_test_src("tests/integration/tls_certs.sh"), dir);
    if (system(cmd) != 0)
        fail_msg("tls_certs.sh failed");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_good_ip),
        cmocka_unit_test(test_wrong_host),
        cmocka_unit_test(test_untrusted),
        cmocka_unit_test(test_expired),
        cmocka_unit_test(test_ws_client_reports_verify_error),
        cmocka_unit_test(test_bad_ca_file),
    };
    int rc = cmocka_run_group_tests(t, NULL, NULL);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {}
    return rc;
}
