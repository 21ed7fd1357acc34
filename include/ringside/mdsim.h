/* ringside/mdsim.h -- the venue simulator's market-data side: a local TLS
 * WebSocket server speaking the Binance stream protocol.
 *
 * Endpoints (HTTP/1.1 upgrade, RFC 6455, server frames unmasked):
 *   /ws/<stream>[/<stream>...]   raw streams: each message is the event
 *   /ws                          no stream yet: use SUBSCRIBE
 *   /stream?streams=a/b/...      combined: {"stream":"<name>","data":<event>}
 *   /ctl/<command words...>      plain HTTP GET (no upgrade): runs a control
 *                                command (see rs_mdsim_ctl), replies 200 text
 * Streams: <symbol>@trade, <symbol>@aggTrade, <symbol>@bookTicker,
 *   <symbol>@depth and <symbol>@depth@100ms (diff depth, spot U/u ids, from
 *   a simulated book whose update id is the symbol's trade id)
 *   (symbol lower case, e.g. btcusdt@trade). Other names are accepted and
 *   stay silent, like a venue with no activity.
 *   GET /api/v3/depth?symbol=S&limit=N (or /fapi/v1/depth), plain HTTP/1.1
 *   on the same port: the REST depth snapshot {"lastUpdateId":..,"bids":..,
 *   "asks":..} of that book at market now (paced markets only).
 * Requests (text frames): {"method":"SUBSCRIBE"|"UNSUBSCRIBE","params":[..],"id":N}
 *   -> {"result":null,"id":N}; {"method":"LIST_SUBSCRIPTIONS","id":N}
 *   -> {"result":[..],"id":N}; bad JSON -> {"error":{"code":3,"msg":..},"id":null};
 *   bad request -> {"error":{"code":2,"msg":..},"id":N}.
 * Pings: the server pings every ping_interval_ms (payload: the time in ms)
 *   and drops a connection that has not answered within pong_timeout_ms.
 * Lifetime: a connection is closed (close frame 1001 "lifetime") after
 *   lifetime_ms, like Binance's 24 h limit.
 *
 * Data: the deterministic synthetic generator (synth.h) or replay of Binance
 * public-data trade CSV files. Market time runs at `speed` x wall time from
 * the simulator's start (speed 0 = as fast as the socket takes it); every
 * connection sees the same market: it starts at the current market time.
 *
 * Threads: one acceptor, one thread per connection (not on a hot path).
 */
#ifndef RINGSIDE_MDSIM_H
#define RINGSIDE_MDSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/synth.h"

#define RS_MDSIM_MAX_REPLAY 16

typedef struct rs_mdsim rs_mdsim;

typedef struct rs_mdsim_cfg {
    const char *bind;            /* default "127.0.0.1" */
    uint16_t port;               /* 0: ephemeral (see rs_mdsim_port) */
    const char *cert, *key;      /* server certificate chain + key (PEM), required unless plain */
    bool plain;                  /* serve without TLS (debugging only) */
    rs_synth_cfg synth;          /* synthetic source (used when no replay files) */
    uint32_t n_replay;           /* replay sources: symbol + CSV path */
    const char *replay_sym[RS_MDSIM_MAX_REPLAY];
    const char *replay_path[RS_MDSIM_MAX_REPLAY];
    bool replay_loop;            /* restart the files at the end (ids keep increasing) */
    double speed;                /* market seconds per wall second; 0 = max rate (default 1) */
    bool speed_set;              /* distinguishes speed 0 (max) from "not set" */
    int64_t origin_real_ns;      /* != 0: market time = start + (CLOCK_REALTIME - origin) * speed,
                                    so an engine given the same origin and speed runs on the
                                    same market clock (the demo's accelerated day) */
    int64_t ping_interval_ms;    /* default 20000; <0 disables */
    int64_t pong_timeout_ms;     /* default 60000 */
    int64_t lifetime_ms;         /* default 24 h */
    uint32_t max_conns;          /* default 64 */
    uint64_t max_msgs;           /* per connection: close (1000) after this many messages; 0 = no limit */
    /* Random faults, per message, from a PRNG seeded by fault_seed (deterministic per connection). */
    double p_dup, p_reorder, p_malformed, p_gap;
    uint64_t fault_seed;
} rs_mdsim_cfg;

typedef struct rs_mdsim_stats {
    uint64_t conns_total, conns_open, msgs, bytes, pings, pongs;
    uint64_t dup, reorder, malformed, gap, stalled_drop, disconnects, subscribes, bad_requests;
    uint64_t depth_gap, depth_msgs, rest_depth;   /* depth diffs dropped / sent, snapshots served */
} rs_mdsim_stats;

/* Validate cfg, load the certificate, open replay files, bind and listen.
 * Returns 0 or negative with rs_err set (naming the file/option). */
int rs_mdsim_create(rs_mdsim **out, const rs_mdsim_cfg *cfg);

/* Start the acceptor thread (market clock starts now). Sets SIGPIPE to
 * SIG_IGN if it is at its default (OpenSSL writes with write(2)).
 * Returns 0 or -errno. */
int rs_mdsim_start(rs_mdsim *s);

/* The bound port. */
uint16_t rs_mdsim_port(const rs_mdsim *s);

/* Stop accepting, close every connection, join the threads, free. */
void rs_mdsim_destroy(rs_mdsim *s);

/* Run a control command (thread-safe). Words separated by spaces or '/':
 *   disconnect               drop every connection abruptly (TCP close, no close frame)
 *   close [CODE]             close every connection with a close frame (default 1001)
 *   shutdown                 send serverShutdown, then close 1001 (Binance maintenance)
 *   stall SYMBOL [MS]        stop sending SYMBOL's messages (MS ms, default until resume)
 *   stall_all [MS]           half-open: send nothing and read nothing (no pings, no pongs)
 *   resume                   end all stalls
 *   dup N | reorder N | malformed N | gap N
 *                            apply the fault to the next N messages (any connection)
 *   depth_gap N              drop the next N depth diffs: an update-id gap
 *   stats                    counters as JSON
 * Writes a one-line reply into reply (JSON for stats). Returns 0 or -RS_EUSAGE. */
int rs_mdsim_ctl(rs_mdsim *s, const char *cmd, char *reply, size_t cap);

void rs_mdsim_stats_get(const rs_mdsim *s, rs_mdsim_stats *out);

#endif
