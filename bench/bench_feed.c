/* ringside bench feed -- loopback TLS WebSocket: the simulator (in-process,
 * its own threads) streams Binance trade messages; the client (io_uring +
 * OpenSSL BIO pair + RFC 6455, on this thread) receives them.
 *
 * Measured per message: kernel socket receive stamp (SO_TIMESTAMPING) ->
 * complete frame delivered to the callback (CLOCK_REALTIME), i.e. the
 * transport's own latency including TLS decryption and any queueing in
 * the socket while the client was busy. Throughput: messages/s at the
 * simulator's max rate. A paced case (about 10k msg/s) shows the unloaded
 * latency.
 *
 * Peer (same run, same server): a classic blocking client -- OpenSSL on a
 * socket BIO (SSL_read on the fd) feeding the same frame parser -- so the
 * ratio shows what io_uring + memory BIO cost or gain against the usual way.
 */
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bench.h"
#include "ringside/hist.h"
#include "ringside/mdsim.h"
#include "ringside/tsc.h"
#include "ringside/ws.h"
#include "ringside/ws_client.h"

typedef struct bstate {
    rs_hist h;
    uint64_t n, bytes;
    int64_t first_ns, last_ns;
} bstate;

static void on_msg(void *u, uint32_t conn, const uint8_t *d, uint32_t n, int64_t rx_ns, int op)
{
    (void)conn;
    (void)d;
    (void)op;
    bstate *b = u;
    int64_t now = rs_now_ns();
    if (rx_ns > 0 && now >= rx_ns)
        rs_hist_add(&b->h, (uint64_t)(now - rx_ns));
    if (!b->n) b->first_ns = rs_mono_ns();
    b->n++;
    b->bytes += n;
}

static const char *streams = "/ws/btcusdt@trade/ethusdt@trade/solusdt@trade/bnbusdt@trade/dogeusdt@trade";

static int make_certs(char *dir, size_t cap)
{
    const char *src = getenv("RS_SOURCE_DIR");
    snprintf(dir, cap, "/tmp/ringside-bench-certs-%d", getpid());
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "bash %s%stools/make-certs.sh %s >/dev/null", src ? src : "", src ? "/" : "", dir);
    return system(cmd) == 0 ? 0 : -1;
}

/* block=false: spin on rs_ws_client_poll (a pinned feed thread);
 * block=true: wait in io_uring_enter between polls (a polite thread). */
static int run_ours(const rs_bench_opts *o, rs_mdsim *sim, const char *ca, uint64_t want, bstate *b, double *secs,
                    bool block)
{
    rs_ws_client_cfg cfg = {.host = "localhost", .port = rs_mdsim_port(sim), .path = streams,
                            .tls = {.ca_file = ca}, .on_msg = on_msg, .user = b};
    rs_ws_client *c;
    if (rs_ws_client_create(&c, &cfg) < 0) {
        fprintf(stderr, "bench feed: %s\n", rs_err_msg());
        return 1;
    }
    rs_hist_init(&b->h);
    rs_ws_client_start(c);
    int64_t end = rs_mono_ns() + (o->quick ? 20 : 60) * 1000000000ll;
    while (b->n < want && rs_mono_ns() < end) {
        rs_ws_client_poll(c, rs_mono_ns());   /* spin: the feed thread's default idle strategy */
        if (block) rs_ws_client_wait(c, 1000000);
    }
    b->last_ns = rs_mono_ns();
    *secs = (double)(b->last_ns - b->first_ns) / 1e9;
    rs_ws_client_destroy(c);
    return b->n >= want ? 0 : 1;
}

/* The peer: blocking socket + SSL_read on the fd + the same frame parser. */
static int run_peer(rs_mdsim *sim, const char *ca, uint64_t want, bstate *b, double *secs)
{
    rs_hist_init(&b->h);
    struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", rs_mdsim_port(sim));
    if (getaddrinfo("127.0.0.1", ps, &hints, &res) != 0)
        return 1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1, flags = 1 | 8 | 16;   /* SOF_TIMESTAMPING_RX_SOFTWARE|SOFTWARE */
    (void)flags;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        freeaddrinfo(res);
        close(fd);
        return 1;
    }
    freeaddrinfo(res);
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_cipher_list(ctx, "ECDHE+AESGCM:ECDHE+CHACHA20");
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    SSL_CTX_load_verify_locations(ctx, ca, NULL);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, "localhost");
    SSL_set1_host(ssl, "localhost");
    int rc = 1;
    if (SSL_connect(ssl) != 1)
        goto out;
    uint8_t nonce[16] = "bench-peer-nonce";
    char req[1024], key[32];
    int n = rs_ws_client_request(req, sizeof req, "localhost", rs_mdsim_port(sim), streams, nonce, key, sizeof key);
    SSL_write(ssl, req, n);
    static uint8_t buf[1 << 20];
    size_t len = 0, pos = 0;
    bool upgraded = false;
    int64_t end = rs_mono_ns() + 60000000000ll;
    while (b->n < want && rs_mono_ns() < end) {
        if (pos && pos == len) pos = len = 0;
        if (len == sizeof buf) {
            memmove(buf, buf + pos, len - pos);
            len -= pos;
            pos = 0;
        }
        int r = SSL_read(ssl, buf + len, (int)(sizeof buf - len));
        if (r <= 0)
            break;
        /* A blocking client has no kernel stamp per read: it stamps after
         * the read returns, so its latency covers decrypt + parse only. */
        int64_t rx = rs_now_ns();
        len += (size_t)r;
        if (!upgraded) {
            int hl = rs_ws_check_response((const char *)buf, len, key);
            if (hl < 0) goto out;
            if (hl == 0) continue;
            pos = (size_t)hl;
            upgraded = true;
        }
        for (;;) {
            rs_ws_frame f;
            size_t used;
            int pr = rs_ws_frame_parse(buf + pos, len - pos, 1 << 20, false, &f, &used);
            if (pr != RS_OK)
                break;
            pos += used;
            if (f.opcode == RS_WS_TEXT)
                on_msg(b, 0, f.payload, (uint32_t)f.len, rx, RS_WS_TEXT);
        }
        if (pos < len && pos > (sizeof buf) / 2) {
            memmove(buf, buf + pos, len - pos);
            len -= pos;
            pos = 0;
        }
    }
    b->last_ns = rs_mono_ns();
    *secs = (double)(b->last_ns - b->first_ns) / 1e9;
    rc = b->n >= want ? 0 : 1;
out:
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return rc;
}

static rs_mdsim *start_sim(const char *dir, double speed)
{
    static char cert[1200], key[1200];
    snprintf(cert, sizeof cert, "%s/server.pem", dir);
    snprintf(key, sizeof key, "%s/server.key", dir);
    rs_mdsim_cfg cfg = {.cert = cert, .key = key, .speed_set = true, .speed = speed, .ping_interval_ms = -1};
    rs_synth_cfg_default(&cfg.synth);
    rs_mdsim *sim;
    if (rs_mdsim_create(&sim, &cfg) < 0 || rs_mdsim_start(sim) < 0) {
        fprintf(stderr, "bench feed: simulator: %s\n", rs_err_msg());
        return NULL;
    }
    return sim;
}

int rs_bench_feed(const rs_bench_opts *o)
{
    char dir[512], ca[600];
    if (make_certs(dir, sizeof dir) < 0) {
        fprintf(stderr, "bench feed: cannot create certificates (tools/make-certs.sh, openssl)\n");
        return 1;
    }
    snprintf(ca, sizeof ca, "%s/ca.pem", dir);
    rs_bench_pin(o->cpu_a);
    rs_bench_header(o, "feed", "loopback TLS WebSocket, simulator -> client (kernel rx stamp -> frame delivered)");
    uint64_t want = o->quick ? 100000 : 1000000;
    static bstate ours, peer, paced, paced_w;
    double s_ours = 0, s_peer = 0, s_paced = 0, s_paced_w = 0;
    int rc = 0;

    rs_mdsim *sim = start_sim(dir, 0);
    if (!sim) return 1;
    static bstate ours_w;
    double s_ours_w = 0;
    if (run_ours(o, sim, ca, want, &ours_w, &s_ours_w, true) ||
        run_ours(o, sim, ca, want, &ours, &s_ours, false) || run_peer(sim, ca, want, &peer, &s_peer)) {
        fprintf(stderr, "bench feed: a client did not receive %llu messages\n", (unsigned long long)want);
        rc = 1;
    }
    rs_mdsim_destroy(sim);
    if (rc) return rc;

    /* paced: ~51 trades/s market x 200 ~= 10k messages/s */
    sim = start_sim(dir, 200);
    if (!sim) return 1;
    uint64_t want_paced = o->quick ? 5000 : 30000;
    if (run_ours(o, sim, ca, want_paced, &paced, &s_paced, false)) rc = 1;
    if (run_ours(o, sim, ca, want_paced, &paced_w, &s_paced_w, true)) rc = 1;
    rs_mdsim_destroy(sim);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0) {}

    double tp = (double)ours.n / s_ours, tp_peer = (double)peer.n / s_peer;
    char note[256];
    snprintf(note, sizeof note, "%.0f B/msg; peer %.0f msg/s (blocking SSL_read on the fd, stamped after read)",
             (double)ours.bytes / (double)ours.n, tp_peer);
    rs_bench_result r = {.bench = "feed", .case_name = "max_rate_throughput+latency", .unit = "ns",
                         .throughput = tp, .tp_unit = "msgs/s", .peer = "blocking-openssl-socket-bio",
                         .ratio_vs_peer = tp / tp_peer, .note = note};
    rs_bench_from_hist(&r, &ours.h, 1.0);
    rs_bench_emit(o, &r);
    char note_w[160];
    snprintf(note_w, sizeof note_w, "client waits in io_uring_enter when idle; %.2fx vs peer",
             ((double)ours_w.n / s_ours_w) / tp_peer);
    rs_bench_result r2 = {.bench = "feed", .case_name = "max_rate_wait_throughput+latency", .unit = "ns",
                          .throughput = (double)ours_w.n / s_ours_w, .tp_unit = "msgs/s",
                          .peer = "blocking-openssl-socket-bio", .ratio_vs_peer = ((double)ours_w.n / s_ours_w) / tp_peer,
                          .note = note_w};
    rs_bench_from_hist(&r2, &ours_w.h, 1.0);
    rs_bench_emit(o, &r2);
    rs_bench_result rp = {.bench = "feed", .case_name = "peer_max_rate_read_to_frame", .unit = "ns",
                          .throughput = tp_peer, .tp_unit = "msgs/s",
                          .note = "peer latency excludes socket queueing (no kernel stamp)"};
    rs_bench_from_hist(&rp, &peer.h, 1.0);
    rs_bench_emit(o, &rp);
    rs_bench_result rq = {.bench = "feed", .case_name = "paced_10k_spin_latency", .unit = "ns",
                          .throughput = (double)paced.n / s_paced, .tp_unit = "msgs/s",
                          .note = "kernel rx stamp -> frame delivered; client spins"};
    rs_bench_from_hist(&rq, &paced.h, 1.0);
    rs_bench_emit(o, &rq);
    rs_bench_result rw = {.bench = "feed", .case_name = "paced_10k_wait_latency", .unit = "ns",
                          .throughput = (double)paced_w.n / s_paced_w, .tp_unit = "msgs/s",
                          .note = "kernel rx stamp -> frame delivered; client waits in io_uring_enter"};
    rs_bench_from_hist(&rw, &paced_w.h, 1.0);
    rs_bench_emit(o, &rw);
    return rc;
}
