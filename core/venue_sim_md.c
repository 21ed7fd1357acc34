/* Venue simulator, market-data side: Binance stream protocol over TLS
 * WebSocket (see mdsim.h). Not on the engine's hot path: blocking-style
 * code with poll(), one thread per connection. */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <fcntl.h>

#include "ringside/atomics.h"
#include "ringside/log.h"
#include "ringside/mdsim.h"
#include "ringside/mem.h"
#include "ringside/tsc.h"
#include "ringside/ws.h"
#include "venue_sim_depth.h"

#define MAX_SYMS 16
#define MAX_SUBS 64
#define OUT_CAP (256 * 1024)
#define IN_CAP (64 * 1024)
#define MSG_CAP 8192   /* a depth diff of RS_VSD_TOUCH levels in the combined wrapper */

enum { SUB_TRADE = 1, SUB_AGG = 2, SUB_BOOK = 4, SUB_DEPTH = 8 };

typedef struct md_ev {
    uint32_t sym;
    uint64_t id;
    int64_t ts_ms;
    bool m;
    int64_t px;          /* mantissa at px_dec */
    int px_dec, qty_dec;
    char pxs[40], qtys[40];
} md_ev;

typedef struct csv_src {
    FILE *f;
    uint32_t sym;
    bool have;
    md_ev ev;
    uint64_t lineno;
    int64_t t_off, first_ts, last_ts;
    uint64_t id_off, first_id, last_id;
} csv_src;

typedef struct sconn sconn;

struct rs_mdsim {
    rs_mdsim_cfg cfg;
    char bind[64], cert[1024], key[1024];
    char rpath[RS_MDSIM_MAX_REPLAY][1024];
    SSL_CTX *ctx;
    int lfd;
    uint16_t port;
    pthread_t acceptor;
    bool started;
    _Atomic int stop;
    int64_t t0_ns;             /* CLOCK_MONOTONIC at start */
    int64_t start_ms;          /* market time at start */
    uint32_t nsyms;
    char sym_up[MAX_SYMS][16], sym_lo[MAX_SYMS][16];
    _Atomic int64_t stall_until[MAX_SYMS];   /* mono ms; INT64_MAX: until resume */
    _Atomic int64_t stall_all_until;
    _Atomic uint64_t disconnect_gen, close_gen, shutdown_gen;
    _Atomic int close_code;
    _Atomic int64_t n_dup, n_reorder, n_malformed, n_gap, n_depth_gap;
    struct {
        _Atomic uint64_t conns_total, conns_open, msgs, bytes, pings, pongs, dup, reorder, malformed, gap,
            stalled_drop, disconnects, subscribes, bad_requests, depth_gap, depth_msgs, rest_depth;
    } st;
    pthread_mutex_t mu;
    sconn **conns;
    /* REST depth snapshots: one market source advanced monotonically across
     * requests (market time only grows), so a request costs the trades since
     * the previous one, not a replay from the start */
    pthread_mutex_t rest_mu;
    sconn *rest_src;
    rs_vsd_state rest_st[MAX_SYMS];
    int rest_dec[MAX_SYMS][2];
    md_ev rest_ev;
    bool rest_have_ev;
};

struct sconn {
    rs_mdsim *s;
    /* ctl generations (disconnect, close, shutdown) read before the 101
     * answer goes out: a command issued once the client has seen its
     * connection open is newer, so it always reaches this connection */
    uint64_t gen0[3];
    int fd;
    SSL *ssl;
    pthread_t th;
    _Atomic int done;
    uint32_t idx;
    bool combined;
    uint8_t subs[MAX_SYMS];
    char sub_names[MAX_SUBS][48];
    uint32_t n_subs;
    /* source */
    rs_synth synth;
    csv_src csv[RS_MDSIM_MAX_REPLAY];
    uint64_t book_u[MAX_SYMS];
    rs_vsd_sym depth[MAX_SYMS];
    bool have_ev, src_done;
    md_ev ev;
    /* faults */
    uint64_t rng;
    char held[MSG_CAP];
    size_t held_len;
    /* io */
    uint8_t in[IN_CAP];
    size_t in_len;
    uint8_t out[OUT_CAP];
    size_t out_len;
    int64_t last_ping_ns, last_pong_ns, opened_ns;
    uint64_t sent;
    bool closing;
};

static int64_t mono_ms(void) { return rs_mono_ns() / 1000000; }

static int64_t market_now_ms(const rs_mdsim *s)
{
    if (s->cfg.origin_real_ns)
        return s->start_ms + (int64_t)((double)(rs_now_ns() - s->cfg.origin_real_ns) * s->cfg.speed / 1e6);
    return s->start_ms + (int64_t)((double)(rs_mono_ns() - s->t0_ns) * s->cfg.speed / 1e6);
}

/* ---------- replay CSV ---------- */

static bool is_dec(const char *p, size_t n)
{
    size_t dots = 0, digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] == '.') dots++;
        else if (isdigit((unsigned char)p[i])) digits++;
        else return false;
    }
    return digits > 0 && dots <= 1 && n < 40;
}

/* Parse one CSV line into ev. Returns true when valid. */
static bool csv_parse(char *line, md_ev *ev)
{
    char *f[8];
    int nf = 0;
    char *p = line;
    while (nf < 8) {
        f[nf++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    if (nf < 6)
        return false;
    for (int i = 0; i < nf; i++) {   /* trim CR/LF/space */
        size_t l = strlen(f[i]);
        while (l && (f[i][l - 1] == '\n' || f[i][l - 1] == '\r' || f[i][l - 1] == ' ')) f[i][--l] = 0;
    }
    char *e;
    errno = 0;
    unsigned long long id = strtoull(f[0], &e, 10);
    if (*e || errno || !isdigit((unsigned char)f[0][0])) return false;
    if (!is_dec(f[1], strlen(f[1])) || !is_dec(f[2], strlen(f[2]))) return false;
    long long t = strtoll(f[4], &e, 10);
    if (*e || t <= 0) return false;
    if (t > 100000000000000ll) t /= 1000;   /* microsecond files (2025+) */
    bool m;
    if (!strcasecmp(f[5], "true")) m = true;
    else if (!strcasecmp(f[5], "false")) m = false;
    else return false;
    ev->id = id;
    ev->ts_ms = t;
    ev->m = m;
    snprintf(ev->pxs, sizeof ev->pxs, "%s", f[1]);
    snprintf(ev->qtys, sizeof ev->qtys, "%s", f[2]);
    const char *dot = strchr(f[1], '.');
    ev->px_dec = dot ? (int)strlen(dot + 1) : 0;
    /* the quantity grid of the depth book: the significant decimals */
    const char *qd = strchr(f[2], '.');
    int qn = qd ? (int)strlen(qd + 1) : 0;
    while (qn > 0 && qd[qn] == '0')
        qn--;
    ev->qty_dec = qn;
    int64_t mant = 0;
    for (const char *q = f[1]; *q; q++)
        if (*q != '.' && mant < 100000000000000000ll) mant = mant * 10 + (*q - '0');
    ev->px = mant;
    return true;
}

static bool csv_next(rs_mdsim *s, csv_src *c, const char *path)
{
    char line[512];
    for (;;) {
        if (!fgets(line, sizeof line, c->f)) {
            if (!s->cfg.replay_loop || c->first_ts == 0)
                return c->have = false;
            /* Loop: shift time and ids so the stream stays monotonic. */
            c->t_off += c->last_ts - c->first_ts + 1;
            c->id_off += c->last_id - c->first_id + 1;
            rewind(c->f);
            c->lineno = 0;
            continue;
        }
        c->lineno++;
        if (!isdigit((unsigned char)line[0]))
            continue;   /* header line */
        md_ev ev = {0};
        if (!csv_parse(line, &ev)) {
            if (c->lineno < 5 || c->lineno % 100000 == 0)
                rs_warn("venue-sim", "%s:%llu: malformed trade CSV line skipped (want id,price,qty,quote_qty,time,is_buyer_maker,is_best_match)",
                        path, (unsigned long long)c->lineno);
            continue;
        }
        if (!c->first_ts) {
            c->first_ts = ev.ts_ms;
            c->first_id = ev.id;
        }
        if (c->t_off == 0) {
            c->last_ts = ev.ts_ms;
            c->last_id = ev.id;
        }
        ev.ts_ms += c->t_off;
        ev.id += c->id_off;
        ev.sym = c->sym;
        c->ev = ev;
        return c->have = true;
    }
}

/* ---------- source ---------- */

static void src_init(sconn *c)
{
    rs_mdsim *s = c->s;
    if (s->cfg.n_replay) {
        for (uint32_t i = 0; i < s->cfg.n_replay; i++) {
            c->csv[i].f = fopen(s->rpath[i], "r");
            c->csv[i].sym = i;
            if (c->csv[i].f)
                csv_next(s, &c->csv[i], s->rpath[i]);
        }
    } else {
        rs_synth_init(&c->synth, &s->cfg.synth);
    }
}

static void src_fini(sconn *c)
{
    for (uint32_t i = 0; i < RS_MDSIM_MAX_REPLAY; i++)
        if (c->csv[i].f)
            fclose(c->csv[i].f);
}

static bool src_next(sconn *c, md_ev *ev)
{
    rs_mdsim *s = c->s;
    if (s->cfg.n_replay) {
        int best = -1;
        for (uint32_t i = 0; i < s->cfg.n_replay; i++)
            if (c->csv[i].have && (best < 0 || c->csv[i].ev.ts_ms < c->csv[best].ev.ts_ms))
                best = (int)i;
        if (best < 0)
            return false;
        *ev = c->csv[best].ev;
        csv_next(s, &c->csv[best], s->rpath[best]);
        return true;
    }
    rs_synth_trade t;
    rs_synth_next(&c->synth, &t);
    const rs_synth_sym *y = &c->synth.cfg.sym[t.sym];
    ev->sym = t.sym;
    ev->id = t.id;
    ev->ts_ms = t.ts_ms;
    ev->m = t.buyer_maker;
    ev->px = t.px;
    ev->px_dec = y->px_dec;
    ev->qty_dec = y->qty_dec;
    rs_synth_fmt_dec(t.px, y->px_dec, 8, ev->pxs, sizeof ev->pxs);
    rs_synth_fmt_dec(t.qty, y->qty_dec, 8, ev->qtys, sizeof ev->qtys);
    return true;
}

/* Skip the market forward to market time `to` (a new connection joins the
 * market where it is now; same for the end of a half-open stall). */
static void src_skip_to(sconn *c, int64_t to)
{
    for (;;) {
        if (!c->have_ev) {
            if (!src_next(c, &c->ev)) {
                c->src_done = true;
                return;
            }
            c->have_ev = true;
        }
        if (c->ev.ts_ms >= to)
            return;
        c->have_ev = false;
    }
}

/* ---------- I/O ---------- */

static int io_write(sconn *c, const uint8_t *p, size_t n)
{
    int64_t deadline = rs_mono_ns() + 10000000000ll;
    while (n) {
        if (rs_load_relaxed(&c->s->stop))
            return -1;
        ssize_t w;
        int want = POLLOUT;
        if (c->ssl) {
            size_t k = 0;
            int rc = SSL_write_ex(c->ssl, p, n, &k);
            if (rc == 1) {
                w = (ssize_t)k;
            } else {
                int e = SSL_get_error(c->ssl, rc);
                if (e == SSL_ERROR_WANT_READ) want = POLLIN;
                else if (e != SSL_ERROR_WANT_WRITE) return -1;
                w = 0;
            }
        } else {
            w = send(c->fd, p, n, MSG_NOSIGNAL);
            if (w < 0 && errno != EAGAIN && errno != EINTR) return -1;
            if (w < 0) w = 0;
        }
        p += w;
        n -= (size_t)w;
        if (n && w == 0) {
            if (rs_mono_ns() > deadline)
                return -1;   /* the client stopped reading */
            struct pollfd pf = {.fd = c->fd, .events = (short)want};
            poll(&pf, 1, 50);
        }
    }
    return 0;
}

/* >0 bytes, 0 nothing now, -1 closed/error */
static int io_read(sconn *c, uint8_t *buf, size_t cap)
{
    if (c->ssl) {
        size_t k = 0;
        int rc = SSL_read_ex(c->ssl, buf, cap, &k);
        if (rc == 1) return (int)k;
        int e = SSL_get_error(c->ssl, rc);
        if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return 0;
        return -1;
    }
    ssize_t r = recv(c->fd, buf, cap, 0);
    if (r > 0) return (int)r;
    if (r < 0 && (errno == EAGAIN || errno == EINTR)) return 0;
    return -1;
}

static int flush_out(sconn *c)
{
    if (!c->out_len)
        return 0;
    int rc = io_write(c, c->out, c->out_len);
    c->out_len = 0;
    return rc;
}

static int put_frame(sconn *c, int op, const void *p, size_t n)
{
    if (rs_ws_header_len(n, false) + n > OUT_CAP - c->out_len && flush_out(c) < 0)
        return -1;
    size_t w = rs_ws_frame_write(c->out + c->out_len, OUT_CAP - c->out_len, op, true, p, n, false, 0);
    if (!w)
        return -1;
    c->out_len += w;
    return 0;
}

static int send_close(sconn *c, uint16_t code, const char *why)
{
    uint8_t b[125];
    size_t l = strlen(why);
    if (l > 120) l = 120;
    b[0] = (uint8_t)(code >> 8);
    b[1] = (uint8_t)code;
    memcpy(b + 2, why, l);
    c->closing = true;
    if (put_frame(c, RS_WS_CLOSE, b, 2 + l) < 0)
        return -1;
    return flush_out(c);
}

/* ---------- messages and faults ---------- */

static uint64_t frng(sconn *c)
{
    uint64_t x = c->rng;
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27;
    c->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static bool fault_hit(sconn *c, _Atomic int64_t *count, double p)
{
    if (rs_load_relaxed(count) > 0 && atomic_fetch_sub_explicit(count, 1, memory_order_relaxed) > 0)
        return true;
    return p > 0 && (double)(frng(c) >> 11) * (1.0 / 9007199254740992.0) < p;
}

static size_t corrupt(sconn *c, char *m, size_t n)
{
    switch (frng(c) % 4) {
    case 0:   /* truncated JSON */
        return n / 2;
    case 1: { /* a non-numeric price */
        char *p = strstr(m, "\"p\":\"");
        if (p && p[5]) { p[5] = 'x'; return n; }
        return n / 2;
    }
    case 2:   /* trailing garbage */
        if (n + 2 < MSG_CAP) { m[n] = '}'; m[n + 1] = ','; return n + 2; }
        return n / 2;
    default:  /* an empty object */
        memcpy(m, "{}", 2);
        return 2;
    }
}

/* Send one message text through the fault stage. */
static int emit(sconn *c, char *m, size_t n)
{
    rs_mdsim *s = c->s;
    if (fault_hit(c, &s->n_gap, s->cfg.p_gap)) {
        rs_add_relaxed(&s->st.gap, 1);
        return 0;
    }
    if (fault_hit(c, &s->n_malformed, s->cfg.p_malformed)) {
        rs_add_relaxed(&s->st.malformed, 1);
        n = corrupt(c, m, n);
    }
    int copies = 1;
    if (fault_hit(c, &s->n_dup, s->cfg.p_dup)) {
        rs_add_relaxed(&s->st.dup, 1);
        copies = 2;
    }
    if (!c->held_len && fault_hit(c, &s->n_reorder, s->cfg.p_reorder)) {
        rs_add_relaxed(&s->st.reorder, 1);
        memcpy(c->held, m, n);
        c->held_len = n;
        return 0;
    }
    for (int i = 0; i < copies; i++) {
        if (put_frame(c, RS_WS_TEXT, m, n) < 0)
            return -1;
        c->sent++;
        rs_add_relaxed(&s->st.msgs, 1);
        rs_add_relaxed(&s->st.bytes, n);
    }
    if (c->held_len) {   /* the held message goes out after its successor */
        size_t hl = c->held_len;
        c->held_len = 0;
        if (put_frame(c, RS_WS_TEXT, c->held, hl) < 0)
            return -1;
        c->sent++;
        rs_add_relaxed(&s->st.msgs, 1);
    }
    return 0;
}

static int emit_wrapped(sconn *c, const char *stream, const char *data, size_t dn)
{
    char m[MSG_CAP];
    int n;
    if (c->combined)
        n = snprintf(m, sizeof m, "{\"stream\":\"%s\",\"data\":%.*s}", stream, (int)dn, data);
    else
        n = snprintf(m, sizeof m, "%.*s", (int)dn, data);
    if (n < 0 || (size_t)n >= sizeof m - 4)
        return 0;
    return emit(c, m, (size_t)n);
}

static int emit_event(sconn *c, const md_ev *ev)
{
    rs_mdsim *s = c->s;
    uint8_t sub = c->subs[ev->sym];
    if (!sub)
        return 0;
    int64_t su = rs_load_relaxed(&s->stall_until[ev->sym]);
    if (su && su > mono_ms()) {
        rs_add_relaxed(&s->st.stalled_drop, 1);
        return 0;
    }
    const char *up = s->sym_up[ev->sym], *lo = s->sym_lo[ev->sym];
    char d[1024], stream[48];
    int n;
    long long E = ev->ts_ms + 1, T = ev->ts_ms;
    if (sub & SUB_TRADE) {
        n = snprintf(d, sizeof d, "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%llu,\"p\":\"%s\",\"q\":\"%s\",\"T\":%lld,\"m\":%s,\"M\":true}",
                     E, up, (unsigned long long)ev->id, ev->pxs, ev->qtys, T, ev->m ? "true" : "false");
        snprintf(stream, sizeof stream, "%s@trade", lo);
        if (emit_wrapped(c, stream, d, (size_t)n) < 0) return -1;
    }
    if (sub & SUB_AGG) {
        n = snprintf(d, sizeof d, "{\"e\":\"aggTrade\",\"E\":%lld,\"s\":\"%s\",\"a\":%llu,\"p\":\"%s\",\"q\":\"%s\",\"f\":%llu,\"l\":%llu,\"T\":%lld,\"m\":%s,\"M\":true}",
                     E, up, (unsigned long long)ev->id, ev->pxs, ev->qtys, (unsigned long long)ev->id,
                     (unsigned long long)ev->id, T, ev->m ? "true" : "false");
        snprintf(stream, sizeof stream, "%s@aggTrade", lo);
        if (emit_wrapped(c, stream, d, (size_t)n) < 0) return -1;
    }
    if (sub & SUB_BOOK) {
        /* The trade printed at the touch: a seller-taker hit the bid. */
        int64_t bid = ev->m ? ev->px : ev->px - 1;
        if (bid < 1) bid = 1;
        char b[40], a[40];
        rs_synth_fmt_dec(bid, ev->px_dec, ev->px_dec > 8 ? ev->px_dec : 8, b, sizeof b);
        rs_synth_fmt_dec(bid + 1, ev->px_dec, ev->px_dec > 8 ? ev->px_dec : 8, a, sizeof a);
        n = snprintf(d, sizeof d, "{\"u\":%llu,\"s\":\"%s\",\"b\":\"%s\",\"B\":\"%s\",\"a\":\"%s\",\"A\":\"%s\"}",
                     (unsigned long long)++c->book_u[ev->sym], up, b, ev->qtys, a, ev->qtys);
        snprintf(stream, sizeof stream, "%s@bookTicker", lo);
        if (emit_wrapped(c, stream, d, (size_t)n) < 0) return -1;
    }
    if (sub & SUB_DEPTH) {
        char dm[MSG_CAP - 128];
        size_t dn = rs_vsd_on_trade(&c->depth[ev->sym], up, ev->px, ev->m, ev->id, ev->ts_ms, ev->px_dec,
                                    ev->qty_dec, dm, sizeof dm);
        if (dn && fault_hit(c, &s->n_depth_gap, 0)) {
            rs_add_relaxed(&s->st.depth_gap, 1);   /* an update-id gap in the diff stream */
        } else if (dn) {
            rs_add_relaxed(&s->st.depth_msgs, 1);
            snprintf(stream, sizeof stream, "%s@depth@100ms", lo);
            if (emit_wrapped(c, stream, dm, dn) < 0) return -1;
        }
    }
    return 0;
}

/* ---------- subscriptions ---------- */

static bool sub_add(sconn *c, const char *name, bool add)
{
    const char *at = strchr(name, '@');
    if (!at || at == name || strlen(name) >= 48)
        return false;
    size_t sl = (size_t)(at - name);
    uint8_t bit = !strcmp(at + 1, "trade") ? SUB_TRADE : !strcmp(at + 1, "aggTrade") ? SUB_AGG
                : !strcmp(at + 1, "bookTicker") ? SUB_BOOK
                : !strcmp(at + 1, "depth") || !strcmp(at + 1, "depth@100ms") ? SUB_DEPTH : 0;
    for (uint32_t i = 0; i < c->s->nsyms; i++)
        if (strlen(c->s->sym_lo[i]) == sl && !strncmp(c->s->sym_lo[i], name, sl)) {
            if (add) c->subs[i] |= bit;
            else c->subs[i] &= (uint8_t)~bit;
        }
    uint32_t k;
    for (k = 0; k < c->n_subs && strcmp(c->sub_names[k], name); k++) {}
    if (add && k == c->n_subs && c->n_subs < MAX_SUBS)
        snprintf(c->sub_names[c->n_subs++], 48, "%s", name);
    if (!add && k < c->n_subs) {
        memmove(c->sub_names[k], c->sub_names[k + 1], (c->n_subs - k - 1) * 48);
        c->n_subs--;
    }
    return true;
}

static bool any_sub(const sconn *c)
{
    for (uint32_t i = 0; i < c->s->nsyms; i++)
        if (c->subs[i]) return true;
    return false;
}

static int reply_json(sconn *c, const char *fmt, ...) RS_PRINTF(2, 3);
static int reply_json(sconn *c, const char *fmt, ...)
{
    char m[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    if (n < 0) return 0;
    if ((size_t)n >= sizeof m) n = sizeof m - 1;
    return put_frame(c, RS_WS_TEXT, m, (size_t)n);
}

static int handle_request(sconn *c, const char *p, size_t n)
{
    rs_mdsim *s = c->s;
    json_error_t je;
    json_t *j = json_loadb(p, n, 0, &je);
    if (!j || !json_is_object(j)) {
        rs_add_relaxed(&s->st.bad_requests, 1);
        json_decref(j);
        return reply_json(c, "{\"error\":{\"code\":3,\"msg\":\"Invalid JSON: %s\"},\"id\":null}", j ? "not an object" : "syntax error");
    }
    json_t *id = json_object_get(j, "id");
    char ids[32] = "null";
    if (json_is_integer(id)) snprintf(ids, sizeof ids, "%lld", (long long)json_integer_value(id));
    const char *method = json_string_value(json_object_get(j, "method"));
    json_t *params = json_object_get(j, "params");
    int rc = 0;
    if (method && (!strcmp(method, "SUBSCRIBE") || !strcmp(method, "UNSUBSCRIBE"))) {
        bool add = method[0] == 'S';
        bool ok = json_is_array(params);
        size_t i;
        json_t *v;
        if (ok)
            json_array_foreach(params, i, v) if (!json_is_string(v) || !sub_add(c, json_string_value(v), add)) ok = false;
        if (!ok) {
            rs_add_relaxed(&s->st.bad_requests, 1);
            rc = reply_json(c, "{\"error\":{\"code\":2,\"msg\":\"Invalid request: params must be stream names like btcusdt@trade\"},\"id\":%s}", ids);
        } else {
            bool was = c->have_ev || c->sent;
            rs_add_relaxed(&s->st.subscribes, 1);
            if (add && !was && s->cfg.speed > 0)
                src_skip_to(c, market_now_ms(s));
            rc = reply_json(c, "{\"result\":null,\"id\":%s}", ids);
        }
    } else if (method && !strcmp(method, "LIST_SUBSCRIPTIONS")) {
        char l[3200];
        size_t o = 0;
        for (uint32_t k = 0; k < c->n_subs && o + 60 < sizeof l; k++)
            o += (size_t)snprintf(l + o, sizeof l - o, "%s\"%s\"", k ? "," : "", c->sub_names[k]);
        l[o] = 0;
        rc = reply_json(c, "{\"result\":[%s],\"id\":%s}", l, ids);
    } else {
        rs_add_relaxed(&s->st.bad_requests, 1);
        rc = reply_json(c, "{\"error\":{\"code\":2,\"msg\":\"Invalid request: unknown method\"},\"id\":%s}", ids);
    }
    json_decref(j);
    return rc;
}

/* Handle frames from the client. Returns -1 when the connection ends. */
static int handle_input(sconn *c)
{
    rs_mdsim *s = c->s;
    for (;;) {
        int r = io_read(c, c->in + c->in_len, IN_CAP - c->in_len);
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        c->in_len += (size_t)r;
        size_t pos = 0;
        for (;;) {
            rs_ws_frame f;
            size_t used;
            int rc = rs_ws_frame_parse(c->in + pos, c->in_len - pos, IN_CAP - 16, true, &f, &used);
            if (rc == RS_AGAIN)
                break;
            if (rc == RS_BAD) {
                send_close(c, 1002, rs_ws_err_str(f.err));
                return -1;
            }
            uint8_t *pl = c->in + pos + f.hdr_len;
            rs_ws_mask(pl, f.len, f.mask, 0);
            pos += used;
            switch (f.opcode) {
            case RS_WS_TEXT:
                if (!f.fin) { send_close(c, 1003, "fragmented requests are not supported"); return -1; }
                if (handle_request(c, (const char *)pl, f.len) < 0) return -1;
                break;
            case RS_WS_PING:
                if (put_frame(c, RS_WS_PONG, pl, f.len) < 0) return -1;
                break;
            case RS_WS_PONG:
                c->last_pong_ns = rs_mono_ns();
                rs_add_relaxed(&s->st.pongs, 1);
                break;
            case RS_WS_CLOSE:
                if (!c->closing) {
                    uint8_t b[2] = {f.len >= 2 ? pl[0] : 0x03, f.len >= 2 ? pl[1] : 0xe8};
                    put_frame(c, RS_WS_CLOSE, b, 2);
                    flush_out(c);
                }
                return -1;
            default:
                send_close(c, 1003, "unsupported data frame");
                return -1;
            }
        }
        memmove(c->in, c->in + pos, c->in_len - pos);
        c->in_len -= pos;
        if (c->in_len == IN_CAP) {
            send_close(c, 1009, "request too big");
            return -1;
        }
    }
    return 0;
}

/* ---------- HTTP ---------- */

static int read_http(sconn *c, char *buf, size_t cap)
{
    size_t n = 0;
    int64_t deadline = rs_mono_ns() + 5000000000ll;
    while (n + 1 < cap) {
        int r = io_read(c, (uint8_t *)buf + n, cap - 1 - n);
        if (r < 0) return -1;
        n += (size_t)r;
        buf[n] = 0;
        if (strstr(buf, "\r\n\r\n")) return (int)n;
        if (r == 0) {
            if (rs_mono_ns() > deadline || rs_load_relaxed(&c->s->stop)) return -1;
            struct pollfd pf = {.fd = c->fd, .events = POLLIN};
            poll(&pf, 1, 50);
        }
    }
    return -1;
}

static const char *hdr(const char *req, const char *name, char *val, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = strstr(req, "\r\n"); p && p[2] != '\r'; p = strstr(p + 2, "\r\n")) {
        const char *h = p + 2;
        if (!strncasecmp(h, name, nl) && h[nl] == ':') {
            h += nl + 1;
            while (*h == ' ') h++;
            const char *e = strstr(h, "\r\n");
            size_t l = (size_t)(e - h);
            if (l >= cap) l = cap - 1;
            memcpy(val, h, l);
            val[l] = 0;
            return val;
        }
    }
    return NULL;
}

static void http_reply(sconn *c, int code, const char *status, const char *body)
{
    char b[4600];
    int n = snprintf(b, sizeof b, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                     code, status, strlen(body), body);
    if (n > 0) io_write(c, (const uint8_t *)b, (size_t)n < sizeof b ? (size_t)n : sizeof b - 1);
}

static void url_decode(char *p)
{
    char *o = p;
    for (; *p; p++) {
        if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
            char h[3] = {p[1], p[2], 0};
            *o++ = (char)strtol(h, NULL, 16);
            p += 2;
        } else {
            *o++ = *p == '/' || *p == '+' ? ' ' : *p;
        }
    }
    *o = 0;
}

static int find_sym(const rs_mdsim *s, const char *name);
static void src_init(sconn *c);
static void src_fini(sconn *c);
static bool src_next(sconn *c, md_ev *ev);

static void http_json(sconn *c, int code, const char *status, const char *body, size_t n)
{
    char h[256];
    int hn = snprintf(h, sizeof h, "HTTP/1.1 %d %s\r\nContent-Type: application/json;charset=UTF-8\r\n"
                                   "Content-Length: %zu\r\nConnection: close\r\n\r\n", code, status, n);
    if (io_write(c, (const uint8_t *)h, (size_t)hn) == 0)
        io_write(c, (const uint8_t *)body, n);
}

/* GET /api/v3/depth?symbol=S&limit=N (and /fapi/v1/depth): the simulated
 * book at market now, from the same deterministic source every stream
 * connection replays, so its lastUpdateId lines up with their diffs. */
static void rest_depth(sconn *c, char *path)
{
    rs_mdsim *s = c->s;
    char sym[32] = "";
    int limit = 100;
    char *q = strchr(path, '?');
    for (char *save, *t = q ? strtok_r(q + 1, "&", &save) : NULL; t; t = strtok_r(NULL, "&", &save)) {
        if (!strncmp(t, "symbol=", 7))
            snprintf(sym, sizeof sym, "%s", t + 7);
        else if (!strncmp(t, "limit=", 6))
            limit = atoi(t + 6);
    }
    int k = find_sym(s, sym);
    if (k < 0) {
        static const char e[] = "{\"code\":-1121,\"msg\":\"Invalid symbol.\"}";
        http_json(c, 400, "Bad Request", e, sizeof e - 1);
        return;
    }
    if (s->cfg.speed <= 0) {
        static const char e[] = "{\"code\":-1003,\"msg\":\"depth snapshots need a paced market (--speed > 0)\"}";
        http_json(c, 503, "Service Unavailable", e, sizeof e - 1);
        return;
    }
    int64_t now = market_now_ms(s);
    pthread_mutex_lock(&s->rest_mu);
    if (!s->rest_src && (s->rest_src = rs_mem_alloc(sizeof(sconn), 64, "venue-sim REST source"))) {
        memset(s->rest_src, 0, sizeof(sconn));
        s->rest_src->s = s;
        src_init(s->rest_src);
    }
    for (sconn *r = s->rest_src; r;) {
        if (!s->rest_have_ev && !(s->rest_have_ev = src_next(r, &s->rest_ev)))
            break;
        const md_ev *ev = &s->rest_ev;
        if (ev->ts_ms > now)
            break;
        rs_vsd_state *x = &s->rest_st[ev->sym];
        x->px = ev->px;
        x->m = ev->m;
        x->id = ev->id;
        x->have = true;
        s->rest_dec[ev->sym][0] = ev->px_dec;
        s->rest_dec[ev->sym][1] = ev->qty_dec;
        s->rest_have_ev = false;
    }
    rs_vsd_state st = s->rest_st[k];
    int px_dec = s->rest_dec[k][0], qty_dec = s->rest_dec[k][1];
    pthread_mutex_unlock(&s->rest_mu);
    char body[4096];
    size_t n = rs_vsd_snapshot(&st, px_dec, qty_dec, limit, body, sizeof body);
    rs_add_relaxed(&s->st.rest_depth, 1);
    http_json(c, 200, "OK", body, n);
}

/* Returns 1 when upgraded, 0 when handled (ctl / error), -1 on failure. */
static int http_upgrade(sconn *c)
{
    char req[8192], path[2048], v[256], key[128];
    if (read_http(c, req, sizeof req) < 0)
        return -1;
    if (sscanf(req, "GET %2047s HTTP/1.1", path) != 1) {
        http_reply(c, 400, "Bad Request", "bad request line\n");
        return 0;
    }
    if (!strncmp(path, "/ctl/", 5)) {
        char cmd[2048], reply[4096];
        snprintf(cmd, sizeof cmd, "%s", path + 5);
        url_decode(cmd);
        int rc = rs_mdsim_ctl(c->s, cmd, reply, sizeof reply - 2);
        strcat(reply, "\n");
        http_reply(c, rc < 0 ? 400 : 200, rc < 0 ? "Bad Request" : "OK", reply);
        return 0;
    }
    if (!strncmp(path, "/api/v3/depth", 13) || !strncmp(path, "/fapi/v1/depth", 14)) {
        rest_depth(c, path);
        return 0;
    }
    if (!hdr(req, "Upgrade", v, sizeof v) || strcasecmp(v, "websocket") ||
        !hdr(req, "Sec-WebSocket-Key", key, sizeof key) ||
        !hdr(req, "Sec-WebSocket-Version", v, sizeof v) || strcmp(v, "13")) {
        http_reply(c, 400, "Bad Request", "expected a WebSocket upgrade (version 13)\n");
        return 0;
    }
    if (!strncmp(path, "/ws", 3) && (path[3] == 0 || path[3] == '/' || path[3] == '?')) {
        char *q = strchr(path, '?');
        if (q) *q = 0;
        char *p = path[3] == '/' ? path + 4 : path + 3;
        for (char *t = strtok(p, "/"); t; t = strtok(NULL, "/"))
            sub_add(c, t, true);
    } else if (!strncmp(path, "/stream", 7) && (path[7] == 0 || path[7] == '?')) {
        c->combined = true;
        char *q = strstr(path, "streams=");
        if (q) {
            q += 8;
            char *amp = strchr(q, '&');
            if (amp) *amp = 0;
            for (char *t = strtok(q, "/"); t; t = strtok(NULL, "/"))
                sub_add(c, t, true);
        }
    } else {
        http_reply(c, 404, "Not Found", "unknown path (use /ws/<stream>, /stream?streams=a/b or /ctl/<cmd>)\n");
        return 0;
    }
    char acc[32], resp[512];
    rs_ws_accept_key(key, acc, sizeof acc);
    int n = snprintf(resp, sizeof resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acc);
    return io_write(c, (const uint8_t *)resp, (size_t)n) < 0 ? -1 : 1;
}

/* ---------- connection thread ---------- */

static void conn_loop(sconn *c)
{
    rs_mdsim *s = c->s;
    uint64_t dgen = c->gen0[0], cgen = c->gen0[1], sgen = c->gen0[2];
    c->opened_ns = c->last_ping_ns = c->last_pong_ns = rs_mono_ns();
    bool paced = s->cfg.speed > 0;
    if (paced && any_sub(c))
        src_skip_to(c, market_now_ms(s));
    bool was_stalled = false;
    for (;;) {
        int64_t now = rs_mono_ns();
        if (rs_load_relaxed(&s->stop)) {
            send_close(c, 1001, "simulator stopping");
            return;
        }
        if (rs_load_relaxed(&s->disconnect_gen) != dgen) {
            rs_add_relaxed(&s->st.disconnects, 1);
            return;   /* abrupt: no close frame */
        }
        if (rs_load_relaxed(&s->close_gen) != cgen) {
            send_close(c, (uint16_t)rs_load_relaxed(&s->close_code), "closed by venue-sim ctl");
            return;
        }
        if (rs_load_relaxed(&s->shutdown_gen) != sgen) {
            char m[128];
            int n = snprintf(m, sizeof m, c->combined ? "{\"stream\":\"!serverShutdown\",\"data\":{\"e\":\"serverShutdown\",\"E\":%lld}}"
                                                      : "{\"e\":\"serverShutdown\",\"E\":%lld}", (long long)market_now_ms(s));
            put_frame(c, RS_WS_TEXT, m, (size_t)n);
            send_close(c, 1001, "server shutdown");
            return;
        }
        int64_t sa = rs_load_relaxed(&s->stall_all_until);
        if (sa && sa > now / 1000000) {
            /* Half-open: neither read nor write; the peer sees silence. */
            was_stalled = true;
            usleep(10000);
            continue;
        }
        if (was_stalled) {
            was_stalled = false;
            c->last_pong_ns = now;
            if (paced) src_skip_to(c, market_now_ms(s));
        }
        if (handle_input(c) < 0)
            return;
        if (s->cfg.lifetime_ms > 0 && now - c->opened_ns > s->cfg.lifetime_ms * 1000000ll) {
            send_close(c, 1001, "lifetime");
            return;
        }
        if (s->cfg.ping_interval_ms > 0) {
            if (now - c->last_ping_ns > s->cfg.ping_interval_ms * 1000000ll) {
                char p[24];
                int n = snprintf(p, sizeof p, "%lld", (long long)(rs_now_ns() / 1000000));
                put_frame(c, RS_WS_PING, p, (size_t)n);
                rs_add_relaxed(&s->st.pings, 1);
                c->last_ping_ns = now;
            }
            if (s->cfg.pong_timeout_ms > 0 && now - c->last_pong_ns > s->cfg.pong_timeout_ms * 1000000ll &&
                now - c->opened_ns > s->cfg.pong_timeout_ms * 1000000ll) {
                send_close(c, 1008, "pong timeout");
                return;
            }
        }
        /* produce */
        int produced = 0;
        int64_t wait_ms = 20;
        if (any_sub(c) && !c->src_done) {
            int64_t mnow = paced ? market_now_ms(s) : INT64_MAX;
            while (produced < 512 && c->out_len < OUT_CAP - 8192) {
                if (!c->have_ev) {
                    if (!src_next(c, &c->ev)) { c->src_done = true; break; }
                    c->have_ev = true;
                }
                if (c->ev.ts_ms > mnow) {
                    double w = (double)(c->ev.ts_ms - mnow) / s->cfg.speed;
                    wait_ms = w < 20 ? (int64_t)w : 20;
                    break;
                }
                c->have_ev = false;
                if (emit_event(c, &c->ev) < 0)
                    return;
                produced++;
                if (s->cfg.max_msgs && c->sent >= s->cfg.max_msgs) {
                    send_close(c, 1000, "max_msgs reached");
                    return;
                }
            }
        }
        if (!produced && c->held_len) {   /* do not hold a reordered message forever */
            put_frame(c, RS_WS_TEXT, c->held, c->held_len);
            c->held_len = 0;
        }
        if (flush_out(c) < 0)
            return;
        if (!produced && wait_ms > 0) {
            struct pollfd pf = {.fd = c->fd, .events = POLLIN};
            if (!c->ssl || SSL_pending(c->ssl) == 0)
                poll(&pf, 1, (int)wait_ms);
        }
    }
}

static void *conn_main(void *arg)
{
    sconn *c = arg;
    rs_mdsim *s = c->s;
    int fl = fcntl(c->fd, F_GETFL);
    fcntl(c->fd, F_SETFL, fl | O_NONBLOCK);
    bool ok = true;
    if (s->ctx) {
        c->ssl = SSL_new(s->ctx);
        SSL_set_fd(c->ssl, c->fd);
        int64_t deadline = rs_mono_ns() + 5000000000ll;
        for (;;) {
            ERR_clear_error();
            int rc = SSL_accept(c->ssl);
            if (rc == 1) break;
            int e = SSL_get_error(c->ssl, rc);
            if ((e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) || rs_mono_ns() > deadline ||
                rs_load_relaxed(&s->stop)) {
                char eb[256];
                ERR_error_string_n(ERR_peek_last_error(), eb, sizeof eb);
                rs_debug("venue-sim", "conn %u: TLS accept failed: %s", c->idx, eb);
                ok = false;
                break;
            }
            struct pollfd pf = {.fd = c->fd, .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT};
            poll(&pf, 1, 50);
        }
    }
    c->gen0[0] = rs_load_relaxed(&s->disconnect_gen);
    c->gen0[1] = rs_load_relaxed(&s->close_gen);
    c->gen0[2] = rs_load_relaxed(&s->shutdown_gen);
    if (ok && http_upgrade(c) == 1) {
        rs_add_relaxed(&s->st.conns_open, 1);
        src_init(c);
        conn_loop(c);
        src_fini(c);
        atomic_fetch_sub_explicit(&s->st.conns_open, 1, memory_order_relaxed);
    }
    if (c->ssl) {
        if (c->closing) SSL_shutdown(c->ssl);
        SSL_free(c->ssl);
        c->ssl = NULL;
    }
    shutdown(c->fd, SHUT_RDWR);
    close(c->fd);
    /* release: pairs with the acquire load in reap() before joining */
    rs_store_release(&c->done, 1);
    return NULL;
}

static void reap(rs_mdsim *s, bool all)
{
    for (uint32_t i = 0; i < s->cfg.max_conns; i++) {
        sconn *c = s->conns[i];
        if (c && (all || rs_load_acquire(&c->done))) {
            pthread_join(c->th, NULL);
            rs_mem_free(c);
            s->conns[i] = NULL;
        }
    }
}

static void *acceptor_main(void *arg)
{
    rs_mdsim *s = arg;
    while (!rs_load_relaxed(&s->stop)) {
        struct pollfd pf = {.fd = s->lfd, .events = POLLIN};
        if (poll(&pf, 1, 100) <= 0)
            continue;
        int fd = accept4(s->lfd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        pthread_mutex_lock(&s->mu);
        reap(s, false);
        int slot = -1;
        for (uint32_t i = 0; i < s->cfg.max_conns; i++)
            if (!s->conns[i]) { slot = (int)i; break; }
        sconn *c = slot >= 0 ? rs_mem_alloc(sizeof *c, 64, "venue-sim connection") : NULL;
        if (!c) {
            pthread_mutex_unlock(&s->mu);
            rs_warn("venue-sim", "connection refused: %u connections open (max_conns)", s->cfg.max_conns);
            close(fd);
            continue;
        }
        c->s = s;
        c->fd = fd;
        c->idx = (uint32_t)rs_add_relaxed(&s->st.conns_total, 1) + 1;
        c->rng = (s->cfg.fault_seed ? s->cfg.fault_seed : 7) * 0x9E3779B97F4A7C15ull + c->idx;
        c->rng |= 1;
        if (pthread_create(&c->th, NULL, conn_main, c) != 0) {
            close(fd);
            rs_mem_free(c);
        } else {
            s->conns[slot] = c;
        }
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

/* ---------- lifecycle ---------- */

int rs_mdsim_create(rs_mdsim **out, const rs_mdsim_cfg *cfg)
{
    rs_mdsim *s = rs_mem_alloc(sizeof *s, 64, "venue-sim");
    if (!s)
        return -ENOMEM;
    s->cfg = *cfg;
    s->lfd = -1;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->rest_mu, NULL);
    rs_mdsim_cfg *k = &s->cfg;
    snprintf(s->bind, sizeof s->bind, "%s", cfg->bind ? cfg->bind : "127.0.0.1");
    k->bind = s->bind;
    if (!k->speed_set && k->speed == 0) k->speed = 1.0;
    if (k->speed < 0) { rs_mdsim_destroy(s); return rs_err_set(RS_EBADCFG, "venue-sim: speed must be >= 0"); }
    if (!k->ping_interval_ms) k->ping_interval_ms = 20000;
    if (!k->pong_timeout_ms) k->pong_timeout_ms = 60000;
    if (!k->lifetime_ms) k->lifetime_ms = 24ll * 3600 * 1000;
    if (!k->max_conns) k->max_conns = 64;
    s->conns = rs_mem_alloc(sizeof(sconn *) * k->max_conns, 64, "venue-sim connections");
    int rc;
    if (!s->conns) { rs_mdsim_destroy(s); return -ENOMEM; }
    if (k->n_replay > RS_MDSIM_MAX_REPLAY) {
        rs_mdsim_destroy(s);
        return rs_err_set(RS_EBADCFG, "venue-sim: at most %d replay files", RS_MDSIM_MAX_REPLAY);
    }
    if (k->n_replay) {
        s->nsyms = k->n_replay;
        s->start_ms = INT64_MAX;
        for (uint32_t i = 0; i < k->n_replay; i++) {
            snprintf(s->rpath[i], sizeof s->rpath[i], "%s", k->replay_path[i]);
            snprintf(s->sym_up[i], 16, "%s", k->replay_sym[i]);
            for (char *p = s->sym_up[i]; *p; p++) *p = (char)toupper((unsigned char)*p);
            csv_src t = {0};
            t.f = fopen(s->rpath[i], "r");
            if (!t.f) {
                rc = rs_err_set(errno, "venue-sim: cannot open replay file '%s': %s", s->rpath[i], strerror(errno));
                rs_mdsim_destroy(s);
                return rc;
            }
            bool loop = k->replay_loop;
            k->replay_loop = false;
            bool got = csv_next(s, &t, s->rpath[i]);
            k->replay_loop = loop;
            fclose(t.f);
            if (!got) {
                rs_mdsim_destroy(s);
                return rs_err_set(RS_EBADCFG, "venue-sim: replay file '%s' has no valid trade line", k->replay_path[i]);
            }
            if (t.ev.ts_ms < s->start_ms) s->start_ms = t.ev.ts_ms;
        }
    } else {
        rs_synth tmp;
        if ((rc = rs_synth_init(&tmp, &k->synth)) < 0) {
            rs_mdsim_destroy(s);
            return rc;
        }
        k->synth = tmp.cfg;
        s->nsyms = tmp.cfg.nsyms;
        s->start_ms = tmp.cfg.start_ms;
        for (uint32_t i = 0; i < s->nsyms; i++)
            snprintf(s->sym_up[i], 16, "%s", tmp.cfg.sym[i].name);
    }
    for (uint32_t i = 0; i < s->nsyms; i++)
        for (int j = 0; j < 16; j++)
            s->sym_lo[i][j] = (char)tolower((unsigned char)s->sym_up[i][j]);
    if (!k->plain) {
        if (!k->cert || !k->key) {
            rs_mdsim_destroy(s);
            return rs_err_set(RS_EBADCFG, "venue-sim: --cert and --key are required for TLS (run tools/make-certs.sh)");
        }
        s->ctx = SSL_CTX_new(TLS_server_method());
        SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
        SSL_CTX_set_mode(s->ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
        if (SSL_CTX_use_certificate_chain_file(s->ctx, k->cert) != 1 ||
            SSL_CTX_use_PrivateKey_file(s->ctx, k->key, SSL_FILETYPE_PEM) != 1) {
            char eb[256];
            ERR_error_string_n(ERR_get_error(), eb, sizeof eb);
            rc = rs_err_set(RS_ETLS, "venue-sim: cannot load certificate '%s' / key '%s': %s "
                            "(create them with tools/make-certs.sh)", k->cert, k->key, eb);
            rs_mdsim_destroy(s);
            return rc;
        }
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    char ps[8];
    snprintf(ps, sizeof ps, "%u", k->port);
    if (getaddrinfo(s->bind, ps, &hints, &res) != 0) {
        rs_mdsim_destroy(s);
        return rs_err_set(EINVAL, "venue-sim: cannot resolve bind address '%s'", s->bind);
    }
    s->lfd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (s->lfd < 0 || bind(s->lfd, res->ai_addr, res->ai_addrlen) < 0 || listen(s->lfd, 64) < 0) {
        rc = rs_err_set(errno, "venue-sim: cannot listen on %s:%u: %s", s->bind, k->port, strerror(errno));
        freeaddrinfo(res);
        rs_mdsim_destroy(s);
        return rc;
    }
    freeaddrinfo(res);
    struct sockaddr_storage a;
    socklen_t al = sizeof a;
    getsockname(s->lfd, (struct sockaddr *)&a, &al);
    s->port = ntohs(a.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&a)->sin6_port : ((struct sockaddr_in *)&a)->sin_port);
    *out = s;
    return 0;
}

int rs_mdsim_start(rs_mdsim *s)
{
    /* OpenSSL writes to the socket with write(2): a client that went away
     * must not kill the process with SIGPIPE. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    s->t0_ns = rs_mono_ns();
    int rc = pthread_create(&s->acceptor, NULL, acceptor_main, s);
    if (rc)
        return rs_err_set(rc, "venue-sim: cannot start the acceptor thread");
    s->started = true;
    return 0;
}

uint16_t rs_mdsim_port(const rs_mdsim *s) { return s->port; }

void rs_mdsim_destroy(rs_mdsim *s)
{
    if (!s)
        return;
    rs_store_relaxed(&s->stop, 1);
    if (s->started)
        pthread_join(s->acceptor, NULL);
    if (s->conns) {
        pthread_mutex_lock(&s->mu);
        reap(s, true);
        pthread_mutex_unlock(&s->mu);
    }
    if (s->lfd >= 0)
        close(s->lfd);
    if (s->ctx)
        SSL_CTX_free(s->ctx);
    pthread_mutex_destroy(&s->mu);
    if (s->rest_src) {
        src_fini(s->rest_src);
        rs_mem_free(s->rest_src);
    }
    pthread_mutex_destroy(&s->rest_mu);
    rs_mem_free(s->conns);
    rs_mem_free(s);
}

static int find_sym(const rs_mdsim *s, const char *name)
{
    for (uint32_t i = 0; i < s->nsyms; i++)
        if (!strcasecmp(s->sym_up[i], name))
            return (int)i;
    return -1;
}

void rs_mdsim_stats_get(const rs_mdsim *s, rs_mdsim_stats *o)
{
    o->conns_total = rs_load_relaxed(&s->st.conns_total);
    o->conns_open = rs_load_relaxed(&s->st.conns_open);
    o->msgs = rs_load_relaxed(&s->st.msgs);
    o->bytes = rs_load_relaxed(&s->st.bytes);
    o->pings = rs_load_relaxed(&s->st.pings);
    o->pongs = rs_load_relaxed(&s->st.pongs);
    o->dup = rs_load_relaxed(&s->st.dup);
    o->reorder = rs_load_relaxed(&s->st.reorder);
    o->malformed = rs_load_relaxed(&s->st.malformed);
    o->gap = rs_load_relaxed(&s->st.gap);
    o->stalled_drop = rs_load_relaxed(&s->st.stalled_drop);
    o->disconnects = rs_load_relaxed(&s->st.disconnects);
    o->subscribes = rs_load_relaxed(&s->st.subscribes);
    o->bad_requests = rs_load_relaxed(&s->st.bad_requests);
    o->depth_gap = rs_load_relaxed(&s->st.depth_gap);
    o->depth_msgs = rs_load_relaxed(&s->st.depth_msgs);
    o->rest_depth = rs_load_relaxed(&s->st.rest_depth);
}

int rs_mdsim_ctl(rs_mdsim *s, const char *cmd_in, char *reply, size_t cap)
{
    char cmd[512], *w[4] = {0};
    snprintf(cmd, sizeof cmd, "%s", cmd_in);
    int nw = 0;
    for (char *save, *t = strtok_r(cmd, " /\t\r\n", &save); t && nw < 4; t = strtok_r(NULL, " /\t\r\n", &save))
        w[nw++] = t;
    if (!nw)
        goto usage;
    int64_t now = mono_ms();
    long long arg = nw > 1 ? atoll(w[1]) : 0;
    if (!strcmp(w[0], "disconnect")) {
        rs_add_relaxed(&s->disconnect_gen, 1);
        snprintf(reply, cap, "ok: disconnecting %llu connection(s)", (unsigned long long)rs_load_relaxed(&s->st.conns_open));
    } else if (!strcmp(w[0], "close")) {
        rs_store_relaxed(&s->close_code, arg >= 1000 && arg < 5000 ? (int)arg : 1001);
        rs_add_relaxed(&s->close_gen, 1);
        snprintf(reply, cap, "ok: closing with code %d", rs_load_relaxed(&s->close_code));
    } else if (!strcmp(w[0], "shutdown")) {
        rs_add_relaxed(&s->shutdown_gen, 1);
        snprintf(reply, cap, "ok: serverShutdown sent");
    } else if (!strcmp(w[0], "stall") && nw >= 2) {
        int k = find_sym(s, w[1]);
        if (k < 0) {
            snprintf(reply, cap, "error: unknown symbol '%s'", w[1]);
            return -RS_EUSAGE;
        }
        long long ms = nw > 2 ? atoll(w[2]) : 0;
        rs_store_relaxed(&s->stall_until[k], ms > 0 ? now + ms : INT64_MAX);
        snprintf(reply, cap, "ok: %s stalled%s", s->sym_up[k], ms > 0 ? " (timed)" : " until resume");
    } else if (!strcmp(w[0], "stall_all")) {
        rs_store_relaxed(&s->stall_all_until, arg > 0 ? now + arg : INT64_MAX);
        snprintf(reply, cap, "ok: all connections half-open%s", arg > 0 ? " (timed)" : " until resume");
    } else if (!strcmp(w[0], "resume")) {
        for (uint32_t i = 0; i < MAX_SYMS; i++)
            rs_store_relaxed(&s->stall_until[i], 0);
        rs_store_relaxed(&s->stall_all_until, 0);
        snprintf(reply, cap, "ok: resumed");
    } else if (!strcmp(w[0], "depth_gap") && nw >= 2 && arg > 0) {
        rs_store_relaxed(&s->n_depth_gap, arg);
        snprintf(reply, cap, "ok: depth_gap on the next %lld depth update(s)", arg);
    } else if ((!strcmp(w[0], "dup") || !strcmp(w[0], "reorder") || !strcmp(w[0], "malformed") ||
                !strcmp(w[0], "gap")) && nw >= 2 && arg > 0) {
        _Atomic int64_t *c = w[0][0] == 'd' ? &s->n_dup : w[0][0] == 'r' ? &s->n_reorder
                           : w[0][0] == 'm' ? &s->n_malformed : &s->n_gap;
        rs_store_relaxed(c, arg);
        snprintf(reply, cap, "ok: %s on the next %lld message(s)", w[0], arg);
    } else if (!strcmp(w[0], "stats")) {
        rs_mdsim_stats st;
        rs_mdsim_stats_get(s, &st);
        snprintf(reply, cap,
                 "{\"conns_total\":%llu,\"conns_open\":%llu,\"msgs\":%llu,\"bytes\":%llu,\"pings\":%llu,\"pongs\":%llu,"
                 "\"dup\":%llu,\"reorder\":%llu,\"malformed\":%llu,\"gap\":%llu,\"stalled_drop\":%llu,"
                 "\"disconnects\":%llu,\"subscribes\":%llu,\"bad_requests\":%llu,\"depth_msgs\":%llu,"
                 "\"depth_gap\":%llu,\"rest_depth\":%llu}",
                 (unsigned long long)st.conns_total, (unsigned long long)st.conns_open, (unsigned long long)st.msgs,
                 (unsigned long long)st.bytes, (unsigned long long)st.pings, (unsigned long long)st.pongs,
                 (unsigned long long)st.dup, (unsigned long long)st.reorder, (unsigned long long)st.malformed,
                 (unsigned long long)st.gap, (unsigned long long)st.stalled_drop, (unsigned long long)st.disconnects,
                 (unsigned long long)st.subscribes, (unsigned long long)st.bad_requests,
                 (unsigned long long)st.depth_msgs, (unsigned long long)st.depth_gap,
                 (unsigned long long)st.rest_depth);
    } else {
        goto usage;
    }
    return 0;
usage:
    snprintf(reply, cap, "error: unknown command '%s' (disconnect | close [CODE] | shutdown | stall SYMBOL [MS] | "
                         "stall_all [MS] | resume | dup N | reorder N | malformed N | gap N | depth_gap N | stats)", cmd_in);
    return -RS_EUSAGE;
}
