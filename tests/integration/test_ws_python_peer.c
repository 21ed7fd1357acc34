/* Conformance of the ringside WebSocket client (io_uring + OpenSSL + RFC
 * 6455) against an independent server: python3-websockets over TLS
 * (tests/integration/ws_peer_server.py). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringside/common.h"
#include "ringside/tsc.h"
#include "ringside/ws.h"
#include "ringside/ws_client.h"
#include "testutil.h"

static pid_t srv_pid;
static FILE *srv_out;
static int srv_port;
static bool use_tls13;
static char ca[4200];

typedef struct rx {
    int n;
    char last[256];
    char all[4096];
    size_t all_len;
    uint32_t len_last;
    int64_t rx_ns_last;
    int opens, closes;
    char reason[512];
} rx;

static void on_msg(void *u, uint32_t id, const uint8_t *d, uint32_t n, int64_t rx_ns, int op)
{
    (void)id;
    (void)op;
    rx *r = u;
    r->n++;
    r->len_last = n;
    r->rx_ns_last = rx_ns;
    snprintf(r->last, sizeof r->last, "%.*s", (int)(n < 200 ? n : 200), (const char *)d);
    if (r->all_len + n + 1 < sizeof r->all) {
        memcpy(r->all + r->all_len, d, n);
        r->all_len += n;
        r->all[r->all_len++] = '|';
        r->all[r->all_len] = 0;
    }
}

static void on_state(void *u, uint32_t id, int ev, const char *reason)
{
    (void)id;
    rx *r = u;
    if (ev == RS_WS_EV_OPEN) r->opens++;
    if (ev == RS_WS_EV_CLOSED) {
        r->closes++;
        snprintf(r->reason, sizeof r->reason, "%s", reason);
    }
}

static int setup(void **st)
{
    (void)st;
    char certdir[4096];
    snprintf(certdir, sizeof certdir, "%s/ws-peer-certs-%d", getenv("RS_BINARY_DIR") ? getenv("RS_BINARY_DIR") : "/tmp", getpid());
    char cmd[16384];
    snprintf(cmd, sizeof cmd, "bash %s %s >/dev/null", rs_test_src("tools/make-certs.sh"), certdir);
    if (system(cmd) != 0)
        rs_test_skip("cannot create certificates (openssl missing?)");
    snprintf(ca, sizeof ca, "%s/ca.pem", certdir);
    int p[2];
    if (pipe(p) != 0)
        return -1;
    srv_pid = fork();
    if (srv_pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        char cert[4200], key[4200];
        snprintf(cert, sizeof cert, "%s/server.pem", certdir);
        snprintf(key, sizeof key, "%s/server.key", certdir);
        execl("/usr/bin/python3", "python3", rs_test_src("tests/integration/ws_peer_server.py"), cert, key, (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    srv_out = fdopen(p[0], "r");
    char line[256];
    if (!fgets(line, sizeof line, srv_out) || sscanf(line, "PORT %d", &srv_port) != 1) {
        kill(srv_pid, SIGKILL);
        waitpid(srv_pid, NULL, 0);
        rs_test_skip("python3-websockets server did not start (python3-websockets missing?)");
    }
    return 0;
}

static int teardown(void **st)
{
    (void)st;
    kill(srv_pid, SIGTERM);
    waitpid(srv_pid, NULL, 0);
    return 0;
}

static rs_ws_client *mk(const char *path, rx *r, uint32_t max_frame)
{
    rs_ws_client_cfg cfg = {
        .host = "localhost", .port = (uint16_t)srv_port, .path = path,
        .tls = {.ca_file = ca, .tls13 = use_tls13}, .on_msg = on_msg, .on_state = on_state, .user = r,
        .max_frame = max_frame, .utf8_check = true, .backoff_min_ns = 50000000ll,
    };
    rs_ws_client *c = NULL;
    int rc = rs_ws_client_create(&c, &cfg);
    if (rc < 0)
        fail_msg("create: %s", rs_err_msg());
    rs_ws_client_start(c);
    return c;
}

/* Poll until cond or timeout (seconds). */
#define RUN_UNTIL(c, cond, secs)                                           \
    do {                                                                   \
        int64_t _end = rs_mono_ns() + (int64_t)(secs) * 1000000000ll;      \
        while (!(cond) && rs_mono_ns() < _end) {                           \
            rs_ws_client_poll(c, rs_mono_ns());                            \
            rs_ws_client_wait(c, 2000000);                                 \
        }                                                                  \
    } while (0)

static void test_echo_masked(void **st)
{
    (void)st;
    rs_test_hold_rx_stamps();   /* the kernel stamp checked below */
    rx r = {0};
    rs_ws_client *c = mk("/echo", &r, 0);
    RUN_UNTIL(c, rs_ws_client_is_open(c), 10);
    assert_true(rs_ws_client_is_open(c));
    /* The peer rejects unmasked client frames (1002): an echo proves masking. */
    const char *m[] = {"hello", "", "\xc3\xa9t\xc3\xa9"};
    for (int i = 0; i < 3; i++)
        assert_int_equal(rs_ws_client_send(c, RS_WS_TEXT, (const uint8_t *)m[i], (uint32_t)strlen(m[i])), RS_OK);
    static char big[70000];
    memset(big, 'b', sizeof big);
    assert_int_equal(rs_ws_client_send(c, RS_WS_TEXT, (const uint8_t *)big, sizeof big), RS_OK);
    RUN_UNTIL(c, r.n >= 4, 10);
    assert_int_equal(r.n, 4);
    assert_int_equal(r.len_last, sizeof big);
    assert_true(!strncmp(r.all, "hello||\xc3\xa9t\xc3\xa9|", 10));
    assert_true(r.rx_ns_last > 0);   /* kernel rx stamp */
    int64_t now = rs_now_ns();
    assert_true(r.rx_ns_last <= now && r.rx_ns_last > now - 60000000000ll);
    assert_int_equal(r.closes, 0);
    rs_ws_client_destroy(c);
}

static void test_stream_many(void **st)
{
    (void)st;
    rx r = {0};
    use_tls13 = true;   /* both protocol versions against the independent peer */
    rs_ws_client *c = mk("/stream?n=5000", &r, 0);
    use_tls13 = false;
    RUN_UNTIL(c, r.n >= 5000, 20);
    assert_int_equal(r.n, 5000);
    assert_string_equal(r.last, "msg 4999");
    rs_ws_client_destroy(c);
}

static void test_fragmented(void **st)
{
    (void)st;
    rx r = {0};
    rs_ws_client *c = mk("/frag", &r, 0);
    RUN_UNTIL(c, r.n >= 1, 10);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.last, "frag-afrag-bfrag-c");
    rs_ws_client_destroy(c);
}

static void test_ping_pong_payload(void **st)
{
    (void)st;
    rx r = {0};
    rs_ws_client *c = mk("/ping", &r, 0);
    RUN_UNTIL(c, r.n >= 1, 10);
    assert_string_equal(r.last, "pong-ok");
    assert_true(rs_ws_client_stats_get(c)->pongs_tx >= 1);
    rs_ws_client_destroy(c);
}

static void test_server_close(void **st)
{
    (void)st;
    rx r = {0};
    rs_ws_client *c = mk("/close", &r, 0);
    RUN_UNTIL(c, r.closes >= 1, 10);
    assert_true(strstr(r.reason, "code 4000") != NULL);
    assert_true(strstr(r.reason, "bye") != NULL);
    /* The peer reports a clean close only when our close frame echoed it. */
    char line[256] = "";
    assert_non_null(fgets(line, sizeof line, srv_out));
    if (!strstr(line, "CLOSED-CLEANLY 4000"))
        fail_msg("peer said: %s", line);
    /* ...and the client reconnects after the backoff. */
    RUN_UNTIL(c, r.opens >= 2, 10);
    assert_true(r.opens >= 2);
    rs_ws_client_destroy(c);
}

static void test_max_frame(void **st)
{
    (void)st;
    rx r = {0};
    rs_ws_client *c = mk("/big?n=100000", &r, 65536);
    RUN_UNTIL(c, r.closes >= 1, 10);
    assert_int_equal(r.n, 0);
    assert_true(strstr(r.reason, "exceeds max_frame 65536") != NULL);
    rs_ws_client_destroy(c);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_echo_masked),
        cmocka_unit_test(test_stream_many),
        cmocka_unit_test(test_fragmented),
        cmocka_unit_test(test_ping_pong_payload),
        cmocka_unit_test(test_server_close),
        cmocka_unit_test(test_max_frame),
    };
    return cmocka_run_group_tests(t, setup, teardown);
}
