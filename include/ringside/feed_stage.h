/* ringside/feed_stage.h -- the feed stage's logic as a pure handler.
 *
 * Input: complete venue text messages (WebSocket text frames, already
 * unmasked/reassembled by the transport) with the connection id and the
 * kernel receive timestamp, connection open/close notifications, and timer
 * ticks. Output, through caller-supplied emitters (rs_feed_out):
 *   md    RS_EV_TRADE, RS_EV_BBO, RS_EV_DEPTH, RS_EV_TIMER, RS_EV_FRESHNESS
 *         (-> features stage)
 *   mark  RS_EV_MARK (one per change of last trade / best bid / best ask of
 *         a symbol), RS_EV_TIMER, RS_EV_FRESHNESS (-> gate stage)
 *   raw   RS_EV_BAD_INPUT (rejects, with the raw bytes) and, when
 *         cfg.journal_raw, RS_EV_RAW_FRAME per frame. NULL: these go to md.
 * Requests to the transport (reconnect a half-open connection, resync a
 * depth book after a gap) are flags read with rs_feed_take_actions(); each
 * is also published as a record (RS_EV_FRESHNESS) so the journal shows it.
 *
 * Purity: no clock, random, network or file access. Time comes only from
 * the arguments (rx_ns, now_ns); the same call sequence produces the same
 * records byte for byte (except rs_rec.ts_local, stamped by the emitter).
 * Record ts: market data and its marks carry the frame's rx_ns; timers carry
 * the tick time; freshness records the time of the call that produced them.
 *
 * Back-pressure (rs_emit claim returning NULL): the handler never loses an
 * output. Outputs that do not fit go to an internal backlog (bounded: at
 * most one input's outputs). Every rs_feed_on_* call first flushes the
 * backlog; if it cannot, the call returns RS_FULL WITHOUT consuming its
 * input, and the runtime retries the same input later (or calls
 * rs_feed_flush). RS_OK means the input was consumed.
 *
 * Timer cadence (the clock of every downstream stage): the feed thread calls
 * rs_feed_on_timer(now) whenever now >= rs_feed_next_timer_ns(); ticks are
 * aligned to multiples of cfg.timer_period_ns (default 100 ms), so tick k has
 * ts = k * period. A late call emits one tick (the current one); missed
 * ticks are skipped, never back-filled, and the tick number says so.
 * When timers come in as RS_EV_TIMER records (rs_feed_on_event), their
 * source must use the same period as cfg.timer_period_ns: a tick at or
 * before the last one is RS_SKIP.
 * Watchdogs run on each tick: a symbol with no market data for
 * cfg.sym_stale_ns, or an open connection with no frame at all for
 * cfg.conn_stale_ns (half-open: TCP up, nothing arriving), is reported
 * within threshold + one timer period.
 *
 * Threading: one feed thread owns an rs_feed; nothing here is thread-safe.
 */
#ifndef RINGSIDE_FEED_STAGE_H
#define RINGSIDE_FEED_STAGE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/decode.h"
#include "ringside/event.h"
#include "ringside/instrument.h"
#include "ringside/stage.h"

#define RS_FEED_MAX_CONNS 16
#define RS_FEED_SYM_ALL 0xffffu          /* rs_ev_freshness.sym of a connection event */
#define RS_FEED_ID_WINDOW 128            /* trade ids remembered behind the newest */
/* Largest frame accepted: one that still fits a RS_EV_RAW_FRAME record. */
#define RS_FEED_MAX_FRAME (RS_REC_MAX - sizeof(rs_ev_raw))

typedef struct rs_feed_cfg {
    int64_t timer_period_ns;   /* timer cadence; default 100 ms */
    int64_t sym_stale_ns;      /* symbol silent this long -> STALE; default 10 s */
    int64_t conn_stale_ns;     /* connection silent this long -> STALE + reconnect; default 5 s */
    uint64_t watch_syms;       /* bit i: watch symbol i for staleness; 0 = all */
    uint32_t bad_max_bytes;    /* raw bytes kept in a bad-input record; default 4096 */
    uint8_t journal_raw;       /* emit RS_EV_RAW_FRAME for every frame on out->raw */
    uint8_t journal_dups;      /* emit RS_EV_BAD_INPUT for duplicate/too-old trades; default 1 */
    uint8_t default_venue;     /* venue of connections opened without one; default binance */
    uint8_t trade_gaps;        /* Binance trade/aggTrade id gaps -> counted, SEQ_GAP bad-input
                                  record, RS_FRESH_GAP until the next trade; default 0 */
    uint8_t depth_book;        /* keep a local book per symbol from depth diffs + REST
                                  snapshots (see "Depth book" below); default 0: diffs
                                  pass through, gaps are only flagged */
    uint8_t pad[7];
} rs_feed_cfg;

/* Fill cfg with the defaults above. */
void rs_feed_cfg_default(rs_feed_cfg *cfg);

typedef struct rs_feed_out {
    rs_emit *md;               /* required */
    rs_emit *mark;             /* required */
    rs_emit *raw;              /* optional (NULL: bad input and raw frames go to md) */
} rs_feed_out;

/* Counters (monotonic, read by the runtime for publication / tests). */
typedef struct rs_feed_stats {
    uint64_t frames, bytes;
    uint64_t trades, bbos, depths, marks, timers;      /* records emitted */
    uint64_t control, other;                           /* frames recognised and not market data */
    uint64_t bad;                                      /* frames rejected (bad-input records) */
    uint64_t bad_by_reason[16];                        /* index: enum rs_bad_reason */
    uint64_t dup_trades, old_trades, late_trades;      /* not emitted / not emitted / emitted late */
    uint64_t stale_bbo, stale_depth;                   /* older-than-seen updates dropped */
    uint64_t depth_gaps, sym_stale, conn_stale;        /* watchdog and continuity events */
    uint64_t reconnects_requested, resyncs_requested;
    uint64_t backlog_records;                          /* outputs that waited for ring space */
    uint64_t trade_gaps, trades_missed;                /* id gaps seen / ids missing in them */
    uint64_t snapshots, snapshots_bad, snapshots_old;  /* received / rejected / older than the buffer */
    uint64_t snapshots_unsolicited;                    /* arrived while no resync was pending */
    uint64_t resyncs_done;                             /* books rebuilt and live again */
    uint64_t depth_buffered, depth_buf_dropped;        /* diffs held during a resync / lost to overflow */
} rs_feed_stats;

/* Requests for the transport, accumulated until taken. */
typedef struct rs_feed_actions {
    uint32_t reconnect;        /* bit c: reconnect connection c (found half-open) */
    uint32_t pad;
    uint64_t resync;           /* bit s: depth book of symbol s invalid; fetch a snapshot */
} rs_feed_actions;

typedef struct rs_feed rs_feed;

/* Control path. Bytes of caller memory an rs_feed needs (64-byte aligned). */
size_t rs_feed_memsize(void);

/* Control path. Initialise the stage in mem[rs_feed_memsize()] for universe
 * u (borrowed; must outlive the stage and not change while it runs).
 * Returns the stage, or NULL with rs_err set (-RS_EBADCFG: bad period /
 * thresholds, mem not 64-byte aligned). */
rs_feed *rs_feed_init(void *mem, const rs_feed_cfg *cfg, rs_universe *u);

/* Control path (feed thread). A connection came up / went down at ts.
 * open: conn's venue (RS_VENUE_BINANCE, _BINANCE_FUT, _OKX; 0 = cfg
 * default); its half-open watchdog starts at ts. close: publishes
 * RS_EV_FRESHNESS {sym=RS_FEED_SYM_ALL, state=DISCONNECTED}. Returns RS_OK,
 * RS_FULL (nothing done; retry), or RS_BAD for conn >= RS_FEED_MAX_CONNS or
 * an unsupported venue. */
int rs_feed_conn_open(rs_feed *st, uint32_t conn, uint8_t venue, int64_t ts, const rs_feed_out *out);
int rs_feed_conn_close(rs_feed *st, uint32_t conn, int64_t ts, const rs_feed_out *out);

/* Hot path. One complete text message p[0..n) (borrowed for the call) from
 * connection conn, received at rx_ns (kernel timestamp, ns since epoch).
 * Decodes it and emits (see top). A rejected frame becomes a counted
 * RS_EV_BAD_INPUT and the call still returns RS_OK. Returns RS_OK (frame
 * consumed) or RS_FULL (backlog could not be flushed; frame NOT consumed,
 * call again with the same frame). A conn that was never opened is
 * implicitly opened with the default venue. */
int rs_feed_on_frame(rs_feed *st, uint32_t conn, const uint8_t *p, size_t n, int64_t rx_ns,
                     const rs_feed_out *out);

/* Hot path. Timer tick at now_ns: emits RS_EV_TIMER on md and mark when a
 * new tick is due, then runs the staleness watchdogs. Returns RS_OK,
 * RS_SKIP (no tick due yet: nothing done) or RS_FULL (not consumed). */
int rs_feed_on_timer(rs_feed *st, int64_t now_ns, const rs_feed_out *out);

/* When the next tick is due (ns since epoch); INT64_MIN before the first. */
int64_t rs_feed_next_timer_ns(const rs_feed *st);

/* Pure-handler form (live from journaled inputs, and replay):
 *   RS_EV_RAW_FRAME (conn, data; rec ts = rx_ns)   -> rs_feed_on_frame
 *   RS_EV_TIMER (rec ts = tick time)              -> rs_feed_on_timer
 *   RS_EV_RAW_FRAME with conn = RS_FEED_SNAP_CONN + sym -> rs_feed_on_snapshot
 *   RS_EV_FRESHNESS {sym = RS_FEED_SYM_ALL, conn} from the transport:
 *     state OK -> rs_feed_conn_open (default venue), DISCONNECTED ->
 *     rs_feed_conn_close (rec ts = time of the event)
 * Other types: RS_SKIP. Returns what the called function returns (RS_BAD
 * for a RAW_FRAME whose length does not hold its bytes). */
int rs_feed_on_event(rs_feed *st, const rs_rec *in, const rs_feed_out *out);

/* Emit what waits in the backlog. RS_OK when empty, RS_FULL otherwise. */
int rs_feed_flush(rs_feed *st, const rs_feed_out *out);

/* ---- Depth book (cfg.depth_book) -------------------------------------------
 * Per symbol the stage keeps a local order book (best RS_FEED_BOOK_LEVELS
 * levels per side; deeper levels are dropped, as with any snapshot limit)
 * following the venue's documented procedure:
 *   1. The first diff of a symbol (or a diff that breaks the update-id chain)
 *      puts the book in SYNCING: RS_EV_FRESHNESS{sym, GAP} on md and mark
 *      (the gate refuses the symbol), the resync bit is set for the
 *      transport, and diffs are buffered (bounded; oldest dropped first).
 *   2. The transport fetches GET /api/v3/depth (spot) or /fapi/v1/depth and
 *      publishes the response body as a journaled input: RS_EV_RAW_FRAME with
 *      conn = RS_FEED_SNAP_CONN + sym (rs_feed_on_snapshot).
 *   3. Buffered diffs with u <= lastUpdateId (futures: u < lastUpdateId) are
 *      dropped; the first remaining one must bridge it (spot U <= L+1,
 *      futures U <= L <= u), else the snapshot is older than the buffer and
 *      another is requested. Then the book is the snapshot and the buffered
 *      diffs are applied in order; chain breaks restart at step 1.
 *   4. LIVE: md gets the snapshot as RS_EV_DEPTH with first_update_id 0
 *      (final_update_id = lastUpdateId: "replace the book") followed by every
 *      applied diff, so md's depth records rebuild the same book; the symbol
 *      is RS_FRESH_OK again. Without a bookTicker stream the book's best
 *      bid/ask drive the mark.
 * A snapshot that does not parse is a counted RS_EV_BAD_INPUT (field
 * "snapshot") and another one is requested. */
#define RS_FEED_BOOK_LEVELS 128
#define RS_FEED_SNAP_CONN 0x10000u        /* rs_ev_raw.conn of a snapshot: + sym */

/* Feed thread. A REST depth snapshot body p[0..n) for sym received at ts
 * (also reached through rs_feed_on_event). Returns RS_OK (consumed),
 * RS_FULL (not consumed) or RS_BAD for sym out of range. */
int rs_feed_on_snapshot(rs_feed *st, uint16_t sym, const uint8_t *p, size_t n, int64_t ts, const rs_feed_out *out);

/* Book state of sym: 0 none (no depth seen), 1 syncing, 2 live, 3 waiting:
 * continuity unknown (the last open connection closed, the symbol went
 * STALE, or trade ids were lost); the symbol is not OK until the next diff
 * continues the chain (live again) or breaks it (resync). */
int rs_feed_book_state(const rs_feed *st, uint16_t sym);
/* Best levels of sym's book (0 when that side is empty); returns the book's
 * update id. */
uint64_t rs_feed_book_top(const rs_feed *st, uint16_t sym, rs_level *bid, rs_level *ask);
/* Copy up to cap levels of one side (0 bids, 1 asks) best first; returns
 * the count. */
uint32_t rs_feed_book_levels(const rs_feed *st, uint16_t sym, int side, rs_level *out, uint32_t cap);

/* Without cfg.depth_book: the depth book of sym was rebuilt from a snapshot with lastUpdateId
 * last_update_id: drop diffs with u <= it; the next must bridge it
 * (U <= last_update_id + 1), else it is a new gap. Clears sym's resync
 * request. Control path (feed thread). */
void rs_feed_depth_synced(rs_feed *st, uint16_t sym, uint64_t last_update_id);

/* Take (and clear) the pending transport requests. */
void rs_feed_take_actions(rs_feed *st, rs_feed_actions *a);

/* Counters (borrowed, live). */
const rs_feed_stats *rs_feed_get_stats(const rs_feed *st);

/* Freshness state of a symbol (enum rs_fresh_state) and of a connection
 * (RS_FRESH_OK, _STALE, _DISCONNECTED; DISCONNECTED before it opens). */
int rs_feed_sym_state(const rs_feed *st, uint16_t sym);
int rs_feed_conn_state(const rs_feed *st, uint32_t conn);

#endif
