/* The feed thread's I/O edge (see feed_source.h). Everything decided here
 * -- what arrived, when, when the clock ticked, when a connection came and
 * went -- becomes a record on the raw ring before the feed stage sees it,
 * which is what makes the feed stage replayable. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "feed_snapshot.h"
#include "feed_source.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/tsc.h"

/* single writer (the feed thread): a relaxed load + store, no locked RMW */
static inline void bump(rs_atomic_u64 *c, uint64_t n) { rs_store_relaxed(c, rs_load_relaxed(c) + n); }

static void on_msg(void *user, uint32_t conn, const uint8_t *data, uint32_t n, int64_t rx_ns, int opcode)
{
    (void)opcode;
    rs_feed_src *s = user;
    bump(&s->frames, 1);
    bump(&s->bytes, n);
    if (!rx_ns) {
        /* No kernel stamp: SO_TIMESTAMPING off (net.no_timestamps), or the
         * first segments after the host turned receive stamping on (Linux
         * enables it lazily, from a work queue). Stamp here -- later than the
         * kernel would, so latencies from it are low -- and count it. */
        rx_ns = rs_now_ns();
        bump(&s->unstamped, 1);
    }
    if (n > RS_FEED_MAX_FRAME) {
        /* cannot be a record: keep its head as bad input so it is not lost
         * silently (the feed stage skips it; the journal has it) */
        bump(&s->too_large, 1);
        uint32_t keep = 4096;
        rs_ev_bad_input *b =
            (rs_ev_bad_input *)rs_emit_claim(s->emit, RS_EV_BAD_INPUT, (uint32_t)sizeof *b + keep);
        if (!b) {
            bump(&s->dropped, 1);
            return;
        }
        b->source = RS_STREAM_RAW;
        b->reason = RS_BAD_TOO_LARGE;
        b->conn = conn;
        b->n = keep;
        memcpy(b->field, "frame", 5);
        memcpy(b->data, data, keep);
        b->h.ts = rs_vclock_map(&s->clk, rx_ns);
        rs_emit_commit(s->emit, &b->h);
        return;
    }
    rs_ev_raw *r = (rs_ev_raw *)rs_emit_claim(s->emit, RS_EV_RAW_FRAME, (uint32_t)(sizeof *r + n));
    if (!r) {
        /* the raw ring is full: the engine is far behind. Counted and
         * reported by the supervisor (never silent). */
        bump(&s->dropped, 1);
        return;
    }
    r->conn = conn % RS_FEED_MAX_CONNS;
    r->n = n;
    memcpy(r->data, data, n);
    r->h.ts = rs_vclock_map(&s->clk, rx_ns);
    rs_emit_commit(s->emit, &r->h);
    r->h.ts_local = rx_ns;   /* the kernel's receive stamp (not yet published) */
}

static void on_state(void *user, uint32_t conn, int event, const char *reason)
{
    rs_feed_src *s = user;
    if (event == RS_WS_EV_ROTATED)
        return;
    if (event == RS_WS_EV_OPEN) {
        bump(&s->opens, 1);
        rs_info("feed", "connection %u open", conn);
    } else {
        bump(&s->closes, 1);
        rs_warn("feed", "connection %u closed: %s", conn, reason && *reason ? reason : "(no reason)");
    }
    if (!s->emit)
        return;
    rs_ev_freshness *f = (rs_ev_freshness *)rs_emit_claim(s->emit, RS_EV_FRESHNESS, sizeof *f);
    if (!f) {
        bump(&s->dropped, 1);
        return;
    }
    f->sym = RS_FEED_SYM_ALL;
    f->state = event == RS_WS_EV_OPEN ? RS_FRESH_OK : RS_FRESH_DISCONNECTED;
    f->conn = conn % RS_FEED_MAX_CONNS;
    f->h.ts = rs_vclock_map(&s->clk, rs_now_ns());
    rs_emit_commit(s->emit, &f->h);
}

int rs_feed_src_create(rs_feed_src **out, const rs_config *cfg, rs_feed *feed, rs_vclock clk)
{
    *out = NULL;
    const rs_cfg_feed *fc = &cfg->feed;
    if (!fc->url_parsed.set)
        return rs_err_set(RS_EBADCFG, "feed.url is not set");
    rs_feed_src *s = rs_mem_alloc(sizeof *s, 64, "feed source");
    if (!s)
        return -ENOMEM;
    memset(s, 0, sizeof *s);
    if (fc->rest_url[0] && (fc->streams & RS_FEED_DEPTH)) {
        /* same condition as the stage's depth_book (pipeline.c) */
        int rc = rs_snap_create(&s->snap, cfg, 100);
        if (rc) {
            rs_mem_free(s);
            return rc;
        }
    }
    s->feed = feed;
    s->clk = clk;
    s->timer_period_ns = (int64_t)fc->timer_ms * 1000000ll;
    /* combined stream path: /stream?streams=btcusdt@trade/btcusdt@bookTicker/... */
    char path[2048];
    int n = snprintf(path, sizeof path, "%s?streams=", fc->url_parsed.path[0] ? fc->url_parsed.path : "/stream");
    for (uint32_t i = 0; i < cfg->instruments_count; i++) {
        char sym[RS_SYMBOL_MAX];
        size_t k = 0;
        for (; cfg->instruments[i].symbol[k] && k + 1 < sizeof sym; k++)
            sym[k] = (char)tolower((unsigned char)cfg->instruments[i].symbol[k]);
        sym[k] = 0;
        static const struct { uint32_t bit; const char *name; } kinds[] = {
            {RS_FEED_TRADE, "trade"}, {RS_FEED_AGG_TRADE, "aggTrade"},
            {RS_FEED_BOOK_TICKER, "bookTicker"}, {RS_FEED_DEPTH, "depth@100ms"}};
        for (unsigned j = 0; j < 4; j++)
            if (fc->streams & kinds[j].bit)
                n += snprintf(path + n, sizeof path - (size_t)n, "%s%s@%s", path[n - 1] == '=' ? "" : "/", sym,
                              kinds[j].name);
    }
    rs_ws_client_cfg wc;
    memset(&wc, 0, sizeof wc);
    /* the certificate names the server: connect by that name when given */
    wc.host = fc->tls.server_name[0] ? fc->tls.server_name : fc->url_parsed.host;
    wc.port = fc->url_parsed.port;
    wc.path = path;
    wc.plain = !fc->url_parsed.tls;
    wc.tls.ca_file = fc->tls.ca_file[0] ? fc->tls.ca_file : NULL;
    wc.tls.insecure = !fc->tls.verify;
    wc.max_frame = fc->max_frame_bytes;
    wc.backoff_min_ns = (int64_t)fc->reconnect_min_ms * 1000000ll;
    wc.backoff_max_ns = (int64_t)fc->reconnect_max_ms * 1000000ll;
    wc.seed = 1;
    wc.connect_timeout_ns = (int64_t)fc->connect_timeout_ms * 1000000ll;
    wc.lifetime_ns = (int64_t)fc->lifetime_s * 1000000000ll;
    wc.rotate_margin_ns = (int64_t)fc->rotate_margin_s * 1000000000ll;
    wc.overlap_ns = (int64_t)fc->rotate_overlap_ms * 1000000ll;
    wc.idle_timeout_ns = (int64_t)fc->stale_conn_ms * 1000000ll;
    wc.ping_interval_ns = (int64_t)fc->ping_interval_ms * 1000000ll;
    wc.on_msg = on_msg;
    wc.on_state = on_state;
    wc.user = s;
    int rc = rs_ws_client_create(&s->ws, &wc);
    if (rc) {
        rs_snap_destroy(s->snap);
        rs_mem_free(s);
        return rc;
    }
    rs_ws_client_start(s->ws);
    *out = s;
    return 0;
}

void rs_feed_src_destroy(rs_feed_src *s)
{
    if (!s)
        return;
    if (s->ws) {
        rs_ws_client_stop(s->ws);
        rs_ws_client_destroy(s->ws);
    }
    rs_snap_destroy(s->snap);
    rs_mem_free(s);
}

int rs_feed_src_poll(void *ctx, rs_emit *emit, int64_t now_ns)
{
    rs_feed_src *s = ctx;
    s->emit = emit;
    /* what the feed stage asked for (same thread): reconnect a connection it
     * found half-open */
    rs_feed_actions a;
    rs_feed_take_actions(s->feed, &a);
    if (a.reconnect)
        rs_ws_client_reconnect(s->ws, "feed watchdog: connection silent");
    int n = rs_ws_client_poll(s->ws, rs_mono_ns());
    if (s->snap) {
        if (a.resync)
            rs_snap_request(s->snap, a.resync);
        uint16_t sym;
        const uint8_t *body;
        uint32_t len;
        if (rs_snap_take(s->snap, &sym, &body, &len)) {
            /* the response is an external input like a frame: journaled
             * before the stage sees it, so replay rebuilds the same book.
             * Taken after the socket poll, so it is stamped like a timer:
             * after the frames published before it. */
            rs_ev_raw *r = (rs_ev_raw *)rs_emit_claim(emit, RS_EV_RAW_FRAME, (uint32_t)(sizeof *r + len));
            if (r) {   /* else the ring is full: keep it for the next poll */
                r->conn = RS_FEED_SNAP_CONN + sym;
                r->n = len;
                memcpy(r->data, body, len);
                r->h.ts = rs_vclock_map(&s->clk, rs_now_ns());
                rs_emit_commit(emit, &r->h);
                rs_snap_release(s->snap);
                bump(&s->snapshots, 1);
                n++;
            }
        }
    }

    int64_t mkt = rs_vclock_map(&s->clk, now_ns);
    if (mkt >= s->next_tick_ns) {
        rs_ev_timer *t = (rs_ev_timer *)rs_emit_claim(emit, RS_EV_TIMER, sizeof *t);
        if (t) {
            t->period_ns = s->timer_period_ns;
            t->h.ts = mkt;
            rs_emit_commit(emit, &t->h);
            s->next_tick_ns = (mkt / s->timer_period_ns + 1) * s->timer_period_ns;
            n++;
        }
    }
    s->emit = NULL;
    return n;
}
