/* ringside venue-sim -- local TLS venue simulator (market-data side), plus
 * two helpers: `venue-sim ctl` (send a control command to a running
 * simulator) and `venue-sim client` (print a WebSocket stream, like wscat). */
#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cli.h"
#include "ringside/atomics.h"
#include "ringside/common.h"
#include "ringside/log.h"
#include "ringside/mdsim.h"
#include "ringside/tsc.h"
#include "ringside/ws_client.h"
#include "venue_sim_orders.h"

static const char usage[] =
    "usage: ringside venue-sim [options]          run the simulator until SIGINT/SIGTERM\n"
    "       ringside venue-sim ctl [--host H] [--port N] [--ca FILE] [--plain] COMMAND...\n"
    "       ringside venue-sim client [--ca FILE] [--count N] [--send TEXT] [--timeout S] URL\n"
    "\n"
    "A local stand-in for Binance's market-data WebSocket streams over TLS:\n"
    "  /ws/<stream>[/<stream>..], /ws (then SUBSCRIBE), /stream?streams=a/b (combined wrapper);\n"
    "  streams <symbol>@trade, <symbol>@aggTrade, <symbol>@bookTicker; SUBSCRIBE/UNSUBSCRIBE/\n"
    "  LIST_SUBSCRIPTIONS requests; server pings; forced disconnects on demand.\n"
    "\n"
    "server options:\n"
    "  --port N              listen port (default 9443; 0 = ephemeral, see --port-file)\n"
    "  --bind ADDR           listen address (default 127.0.0.1)\n"
    "  --cert FILE --key FILE  server certificate/key (default certs/server.pem, certs/server.key;\n"
    "                        create them with tools/make-certs.sh; clients trust certs/ca.pem)\n"
    "  --plain               no TLS (debugging only)\n"
    "  --port-file FILE      write the bound port to FILE once listening\n"
    "data (default: synthetic):\n"
    "  --seed N              synthetic generator seed (default 1)\n"
    "  --symbols N           use the first N default symbols (BTCUSDT ETHUSDT SOLUSDT BNBUSDT DOGEUSDT)\n"
    "  --rate-scale X        multiply every symbol's trade rate (default 1: ~23 trades/s in total)\n"
    "  --surge SYMBOL        SYMBOL starts a +100%% one-day surge at t=0\n"
    "  --start-ms MS         market time at start (default 2026-01-01T00:00:00Z)\n"
    "  --replay SYMBOL=FILE  replay a Binance public-data trade CSV\n"
    "                        (id,price,qty,quote_qty,time,is_buyer_maker,is_best_match); repeatable\n"
    "  --loop                restart replay files at their end\n"
    "  --origin-ms MS        with --start-ms: market time = start + (wall clock - MS) * speed, so an\n"
    "                        engine run with the same --clock-origin-ms/--clock-speed shares the clock\n"
    "  --speed X|max         market seconds per wall second (default 1; 288 = a day in 5 minutes;\n"
    "                        max = as fast as each connection takes it)\n"
    "protocol:\n"
    "  --ping-interval MS    server ping period (default 20000; -1 = off)\n"
    "  --pong-timeout MS     drop a connection without a pong for this long (default 60000)\n"
    "  --lifetime SEC        close every connection after SEC seconds (default 86400, as Binance)\n"
    "  --max-conns N         concurrent connections (default 64)\n"
    "  --max-msgs N          close a connection (1000) after N messages (benchmarks)\n"
    "faults (probability per message, deterministic from --fault-seed):\n"
    "  --fault-dup P --fault-reorder P --fault-malformed P --fault-gap P --fault-seed N\n"
    "control:\n"
    "  --stdin-ctl           read control commands from stdin, one per line\n"
    "  --duration SEC        exit after SEC seconds\n"
    "  control commands (stdin, `venue-sim ctl`, or GET /ctl/<cmd words separated by />):\n"
    "    disconnect | close [CODE] | shutdown | stall SYMBOL [MS] | stall_all [MS] | resume |\n"
    "    dup N | reorder N | malformed N | gap N | stats\n"
    "\n"
    "examples:\n"
    "  tools/make-certs.sh && ringside venue-sim --speed 288 --stdin-ctl\n"
    "  ringside venue-sim client --ca certs/ca.pem 'wss://localhost:9443/stream?streams=btcusdt@trade/ethusdt@trade'\n"
    "  ringside venue-sim ctl --ca certs/ca.pem stall btcusdt 5000\n";

/* Set by the signal handler: a lock-free atomic is async-signal-safe. */
static _Atomic int g_stop;
static void on_sig(int sig) { (void)sig; rs_store_relaxed(&g_stop, 1); }

static const char *default_path(const char *rel, char *buf, size_t cap)
{
    const char *src = getenv("RS_SOURCE_DIR");
    snprintf(buf, cap, "%s%s%s", src ? src : "", src ? "/" : "", rel);
    return buf;
}

/* ---------- ctl: one HTTP GET over TLS ---------- */

static int cmd_ctl(int argc, char **argv)
{
    const char *host = "localhost", *ca = NULL;
    int port = 9443;
    bool plain = false;
    char cabuf[1024];
    int i = 1;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--host") && i + 1 < argc) host = argv[++i];
        else if (!strcmp(argv[i], "--port") && i + 1 < argc) port = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--ca") && i + 1 < argc) ca = argv[++i];
        else if (!strcmp(argv[i], "--plain")) plain = true;
        else break;
    }
    if (i >= argc)
        return rs_cli_usage_error(usage, "venue-sim ctl: missing COMMAND");
    if (!ca) ca = default_path("certs/ca.pem", cabuf, sizeof cabuf);
    char path[1024] = "/ctl";
    for (; i < argc; i++) {
        strncat(path, "/", sizeof path - strlen(path) - 1);
        strncat(path, argv[i], sizeof path - strlen(path) - 1);
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
    char ps[8];
    snprintf(ps, sizeof ps, "%d", port);
    if (getaddrinfo(host, ps, &hints, &res) != 0) {
        fprintf(stderr, "venue-sim ctl: cannot resolve %s\n", host);
        return RS_EXIT_FAIL;
    }
    int fd = socket(res->ai_family, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
        fprintf(stderr, "venue-sim ctl: cannot connect to %s:%d: %s\n", host, port, strerror(errno));
        freeaddrinfo(res);
        return RS_EXIT_FAIL;
    }
    freeaddrinfo(res);
    SSL_CTX *ctx = NULL;
    SSL *ssl = NULL;
    if (!plain) {
        ctx = SSL_CTX_new(TLS_client_method());
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        SSL_CTX_set_default_verify_paths(ctx);
        if (SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
            fprintf(stderr, "venue-sim ctl: cannot load CA file '%s'\n", ca);
            return RS_EXIT_FAIL;
        }
        ssl = SSL_new(ctx);
        SSL_set_fd(ssl, fd);
        SSL_set_tlsext_host_name(ssl, host);
        SSL_set1_host(ssl, host);
        if (SSL_connect(ssl) != 1) {
            fprintf(stderr, "venue-sim ctl: TLS to %s:%d failed: %s\n", host, port,
                    X509_verify_cert_error_string(SSL_get_verify_result(ssl)));
            return RS_EXIT_FAIL;
        }
    }
    char req[1400];
    int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n", path, host);
    if (ssl) SSL_write(ssl, req, n);
    else if (write(fd, req, (size_t)n) != n) return RS_EXIT_FAIL;
    char resp[8192];
    size_t got = 0;
    for (;;) {
        int r = ssl ? SSL_read(ssl, resp + got, (int)(sizeof resp - 1 - got)) : (int)read(fd, resp + got, sizeof resp - 1 - got);
        if (r <= 0) break;
        got += (size_t)r;
    }
    resp[got] = 0;
    if (ssl) { SSL_free(ssl); SSL_CTX_free(ctx); }
    close(fd);
    char *body = strstr(resp, "\r\n\r\n");
    fputs(body ? body + 4 : resp, stdout);
    return strncmp(resp, "HTTP/1.1 200", 12) ? RS_EXIT_FAIL : RS_EXIT_OK;
}

/* ---------- client: print a stream ---------- */

typedef struct cli_state {
    long count, max;
} cli_state;

static void cli_msg(void *u, uint32_t conn, const uint8_t *d, uint32_t n, int64_t rx_ns, int op)
{
    (void)op;
    cli_state *s = u;
    if (s->max && s->count >= s->max)
        return;   /* one poll may deliver more than asked for */
    printf("%u %lld %.*s\n", conn, (long long)rx_ns, (int)n, (const char *)d);
    s->count++;
}

static void cli_state_ev(void *u, uint32_t conn, int ev, const char *reason)
{
    (void)u;
    fprintf(stderr, "venue-sim client: conn %u %s%s%s\n", conn,
            ev == RS_WS_EV_OPEN ? "open" : ev == RS_WS_EV_ROTATED ? "rotated" : "closed", *reason ? ": " : "", reason);
}

static int cmd_client(int argc, char **argv)
{
    const char *ca = NULL, *url = NULL, *send = NULL;
    long max = 0;
    double timeout = 0;
    bool insecure = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--ca") && i + 1 < argc) ca = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) max = atol(argv[++i]);
        else if (!strcmp(argv[i], "--send") && i + 1 < argc) send = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc) timeout = atof(argv[++i]);
        else if (!strcmp(argv[i], "--insecure")) insecure = true;
        else if (argv[i][0] == '-') return rs_cli_usage_error(usage, "venue-sim client: unknown option '%s'", argv[i]);
        else url = argv[i];
    }
    if (!url)
        return rs_cli_usage_error(usage, "venue-sim client: missing URL");
    bool plain = !strncmp(url, "ws://", 5);
    if (!plain && strncmp(url, "wss://", 6))
        return rs_cli_usage_error(usage, "venue-sim client: URL must start with wss:// or ws://");
    char host[256];
    const char *h = url + (plain ? 5 : 6);
    const char *slash = strchr(h, '/');
    const char *path = slash ? slash : "/";
    size_t hl = slash ? (size_t)(slash - h) : strlen(h);
    snprintf(host, sizeof host, "%.*s", (int)hl, h);
    int port = plain ? 80 : 443;
    char *colon = strrchr(host, ':');
    if (colon) {
        port = atoi(colon + 1);
        *colon = 0;
    }
    cli_state st = {.max = max};
    rs_ws_client_cfg cfg = {.host = host, .port = (uint16_t)port, .path = path, .plain = plain,
                            .tls = {.ca_file = ca, .insecure = insecure}, .on_msg = cli_msg,
                            .on_state = cli_state_ev, .user = &st};
    rs_ws_client *c;
    if (rs_ws_client_create(&c, &cfg) < 0) {
        fprintf(stderr, "venue-sim client: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    if (send)
        rs_ws_client_add_open_msg(c, send, (uint32_t)strlen(send));
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    rs_ws_client_start(c);
    int64_t end = timeout > 0 ? rs_mono_ns() + (int64_t)(timeout * 1e9) : INT64_MAX;
    while (!rs_load_relaxed(&g_stop) && (!max || st.count < max) && rs_mono_ns() < end) {
        rs_ws_client_poll(c, rs_mono_ns());
        rs_ws_client_wait(c, 10000000);
    }
    fflush(stdout);
    int rc = (max && st.count < max) ? RS_EXIT_FAIL : RS_EXIT_OK;
    if (rc)
        fprintf(stderr, "venue-sim client: got %ld of %ld messages; last error: %s\n", st.count, max,
                rs_ws_client_last_error(c));
    rs_ws_client_destroy(c);
    return rc;
}

/* ---------- server ---------- */

static int parse_prob(const char *s, double *out)
{
    char *e;
    double v = strtod(s, &e);
    if (*e || v < 0 || v > 1)
        return -1;
    *out = v;
    return 0;
}

int rs_venue_sim_dump(int argc, char **argv);

int rs_cmd_venue_sim(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "dump"))
        return rs_venue_sim_dump(argc - 1, argv + 1);
    if (rs_cli_wants_help(argc, argv)) {
        /* one write: a reader that stops early (grep -q) must not turn the
         * rest into SIGPIPE */
        static char help[sizeof usage + 4096];
        int n = snprintf(help, sizeof help, "%s%s", usage, rs_vso_usage);
        fflush(stdout);
        if (write(1, help, (size_t)n) != n)
            return RS_EXIT_FAIL;
        return RS_EXIT_OK;
    }
    if (argc > 1 && !strcmp(argv[1], "ctl"))
        return cmd_ctl(argc - 1, argv + 1);
    if (argc > 1 && !strcmp(argv[1], "client"))
        return cmd_client(argc - 1, argv + 1);
    rs_vso_cfg ocfg = {0};   /* the order side (venue_sim_orders.c): --orders-* options */
    if (rs_vso_args(&ocfg, &argc, argv))
        return rs_cli_usage_error(usage, "venue-sim: bad --orders-* option");
    rs_mdsim_cfg cfg = {.port = 9443};
    rs_synth_cfg_default(&cfg.synth);
    static char certbuf[1024], keybuf[1024];
    const char *port_file = NULL, *surge = NULL;
    bool stdin_ctl = false;
    double duration = 0;
    int nsyms = 0;
    static const struct option opts[] = {
        {"port", 1, 0, 'p'}, {"bind", 1, 0, 'b'}, {"cert", 1, 0, 'c'}, {"key", 1, 0, 'k'},
        {"plain", 0, 0, 'P'}, {"port-file", 1, 0, 'F'}, {"seed", 1, 0, 's'}, {"symbols", 1, 0, 'n'},
        {"rate-scale", 1, 0, 'r'}, {"surge", 1, 0, 'S'}, {"start-ms", 1, 0, 'T'}, {"replay", 1, 0, 'R'},
        {"loop", 0, 0, 'L'}, {"speed", 1, 0, 'x'}, {"origin-ms", 1, 0, 'O'}, {"ping-interval", 1, 0, 'i'}, {"pong-timeout", 1, 0, 'o'},
        {"lifetime", 1, 0, 'l'}, {"max-conns", 1, 0, 'm'}, {"max-msgs", 1, 0, 'M'},
        {"fault-dup", 1, 0, 1}, {"fault-reorder", 1, 0, 2}, {"fault-malformed", 1, 0, 3}, {"fault-gap", 1, 0, 4},
        {"fault-seed", 1, 0, 5}, {"stdin-ctl", 0, 0, 'C'}, {"duration", 1, 0, 'd'}, {0, 0, 0, 0},
    };
    optind = 1;
    int o;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (o) {
        case 'p': cfg.port = (uint16_t)atoi(optarg); break;
        case 'b': cfg.bind = optarg; break;
        case 'c': cfg.cert = optarg; break;
        case 'k': cfg.key = optarg; break;
        case 'P': cfg.plain = true; break;
        case 'F': port_file = optarg; break;
        case 's': cfg.synth.seed = strtoull(optarg, NULL, 10); break;
        case 'n': nsyms = atoi(optarg); break;
        case 'r': cfg.synth.rate_scale = atof(optarg); break;
        case 'S': surge = optarg; break;
        case 'T': cfg.synth.start_ms = atoll(optarg); break;
        case 'O': cfg.origin_real_ns = atoll(optarg) * 1000000ll; break;
        case 'R': {
            char *eq = strchr(optarg, '=');
            if (!eq || eq == optarg || cfg.n_replay >= RS_MDSIM_MAX_REPLAY)
                return rs_cli_usage_error(usage, "venue-sim: --replay takes SYMBOL=FILE (at most %d)", RS_MDSIM_MAX_REPLAY);
            *eq = 0;
            cfg.replay_sym[cfg.n_replay] = optarg;
            cfg.replay_path[cfg.n_replay++] = eq + 1;
            break;
        }
        case 'L': cfg.replay_loop = true; break;
        case 'x':
            cfg.speed_set = true;
            if (!strcmp(optarg, "max")) cfg.speed = 0;
            else if ((cfg.speed = atof(optarg)) <= 0)
                return rs_cli_usage_error(usage, "venue-sim: --speed takes a positive number or 'max'");
            break;
        case 'i': cfg.ping_interval_ms = atoll(optarg); break;
        case 'o': cfg.pong_timeout_ms = atoll(optarg); break;
        case 'l': cfg.lifetime_ms = (int64_t)(atof(optarg) * 1000); break;
        case 'm': cfg.max_conns = (uint32_t)atoi(optarg); break;
        case 'M': cfg.max_msgs = strtoull(optarg, NULL, 10); break;
        case 1: if (parse_prob(optarg, &cfg.p_dup)) goto badp; break;
        case 2: if (parse_prob(optarg, &cfg.p_reorder)) goto badp; break;
        case 3: if (parse_prob(optarg, &cfg.p_malformed)) goto badp; break;
        case 4: if (parse_prob(optarg, &cfg.p_gap)) goto badp; break;
        case 5: cfg.fault_seed = strtoull(optarg, NULL, 10); break;
        case 'C': stdin_ctl = true; break;
        case 'd': duration = atof(optarg); break;
        default: return rs_cli_usage_error(usage, "venue-sim: bad option");
        }
    }
    if (optind < argc)
        return rs_cli_usage_error(usage, "venue-sim: unexpected argument '%s'", argv[optind]);
    if (!cfg.plain) {
        if (!cfg.cert) cfg.cert = default_path("certs/server.pem", certbuf, sizeof certbuf);
        if (!cfg.key) cfg.key = default_path("certs/server.key", keybuf, sizeof keybuf);
    }
    if (nsyms > 0) {
        rs_synth tmp;
        rs_synth_init(&tmp, &cfg.synth);
        if ((uint32_t)nsyms > tmp.cfg.nsyms)
            return rs_cli_usage_error(usage, "venue-sim: --symbols at most %u", tmp.cfg.nsyms);
        cfg.synth = tmp.cfg;
        cfg.synth.nsyms = (uint32_t)nsyms;
    }
    if (surge) {
        rs_synth tmp;
        rs_synth_init(&tmp, &cfg.synth);
        cfg.synth = tmp.cfg;
        for (uint32_t k = 0; k < tmp.cfg.nsyms; k++)
            if (!strcasecmp(tmp.cfg.sym[k].name, surge)) cfg.synth.surge_sym = (int)k;
        if (cfg.synth.surge_sym < 0)
            return rs_cli_usage_error(usage, "venue-sim: --surge: unknown symbol '%s'", surge);
    }
    rs_mdsim *sim;
    if (rs_mdsim_create(&sim, &cfg) < 0) {
        fprintf(stderr, "ringside %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    if (rs_mdsim_start(sim) < 0) {
        fprintf(stderr, "ringside %s\n", rs_err_msg());
        rs_mdsim_destroy(sim);
        return RS_EXIT_FAIL;
    }
    if (port_file) {
        FILE *f = fopen(port_file, "w");
        if (!f) {
            fprintf(stderr, "ringside venue-sim: cannot write --port-file '%s': %s\n", port_file, strerror(errno));
            rs_mdsim_destroy(sim);
            return RS_EXIT_FAIL;
        }
        fprintf(f, "%u\n", rs_mdsim_port(sim));
        fclose(f);
    }
    rs_vso *orders = NULL;
    if (ocfg.enabled && rs_vso_start_with(&orders, &ocfg, &cfg) < 0) {
        fprintf(stderr, "ringside %s\n", rs_err_msg());
        rs_mdsim_destroy(sim);
        return RS_EXIT_FAIL;
    }
    char speed[32];
    if (cfg.speed_set && cfg.speed == 0) snprintf(speed, sizeof speed, "max");
    else snprintf(speed, sizeof speed, "%gx", cfg.speed_set ? cfg.speed : 1.0);
    rs_info("venue-sim", "listening on %s:%u (%s), source %s, speed %s", cfg.bind ? cfg.bind : "127.0.0.1",
            rs_mdsim_port(sim), cfg.plain ? "plain" : "TLS", cfg.n_replay ? "replay" : "synthetic", speed);
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    signal(SIGPIPE, SIG_IGN);
    int64_t end = duration > 0 ? rs_mono_ns() + (int64_t)(duration * 1e9) : INT64_MAX;
    char line[512], reply[4096];
    while (!rs_load_relaxed(&g_stop) && rs_mono_ns() < end) {
        if (stdin_ctl) {
            struct pollfd pf = {.fd = 0, .events = POLLIN};
            if (poll(&pf, 1, 100) > 0) {
                if (!fgets(line, sizeof line, stdin)) {
                    stdin_ctl = false;
                    continue;
                }
                if (line[0] == '\n' || line[0] == '#')
                    continue;
                if (orders && !strncmp(line, "orders", 6))
                    rs_vso_ctl(orders, line, reply, sizeof reply);
                else
                    rs_mdsim_ctl(sim, line, reply, sizeof reply);
                printf("%s\n", reply);
                fflush(stdout);
            }
        } else {
            usleep(100000);
        }
    }
    rs_mdsim_ctl(sim, "stats", reply, sizeof reply);
    rs_info("venue-sim", "stopping: %s", reply);
    if (orders) {
        rs_vso_ctl(orders, "stats", reply, sizeof reply);
        rs_info("venue-sim", "order side: %s", reply);
        rs_vso_destroy(orders);
    }
    rs_mdsim_destroy(sim);
    return RS_EXIT_OK;
badp:
    return rs_cli_usage_error(usage, "venue-sim: fault probabilities are numbers in [0,1]");
}
