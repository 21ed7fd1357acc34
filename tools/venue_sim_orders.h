/* tools/venue_sim_orders.h -- the order side of `ringside venue-sim`: a
 * Binance-style WS API (/ws-api/v3) and REST (/api/v3/...) endpoint over TLS
 * on its own port (Binance, too, serves orders and market data on separate
 * hosts), backed by exec's simulated venue (sim_venue.h) and the Binance
 * venue-side codec (venue_binance.h, rs_bn_srv_*).
 *
 * - Requests are parsed and their signatures verified against the test key
 *   (the same secrets file / environment the engine uses): Ed25519 or HMAC
 *   on the WS API until session.logon, nothing after it on that session;
 *   HMAC (else Ed25519) on REST. A bad or missing signature answers -1022.
 * - Matching: the simulated venue, fed with the same synthetic trade tape the
 *   market-data side streams (same seed, same market clock: --speed,
 *   --start-ms, --origin-ms), prices converted to the engine's instrument
 *   scales (the config's instruments).
 * - Account events (executionReport) go to every WS session that sent
 *   userDataStream.subscribe.
 * - Faults: the simulated venue's own (reject N, 5xx, 429/418 with
 *   Retry-After, -1007 status unknown, clock skew, dropped/duplicated/delayed
 *   fills, account-stream outage) plus transport faults: drop the WS answer
 *   and account events of the next N placements (the client sees nothing:
 *   UNKNOWN, then REST), close the WS connection on the Nth placement (after
 *   the order is placed), answer the next N placements with HTTP 503 although
 *   they were placed (their account events withheld: only a query by client
 *   id can tell), latency per leg, and `disconnect` on demand. A 418 starts
 *   an IP ban for its Retry-After: every request until then is answered 418
 *   again and counted (stats: ban_requests, ban_order_requests).
 * - Control: `orders WORDS...` on venue-sim's stdin, or GET /ctl/WORDS on
 *   the order port: stats | positions | disconnect | reject N | drop_ack N |
 *   disconnect_on_order N | 5xx N | 5xx_order N | 429 N [MS] | 418 N [MS] | unknown N |
 *   skew MS | drop_fills N | dup_fills N.
 *
 * Threads: one server thread (non-blocking sockets, poll) owns every
 * connection and the simulated venue; control commands take its mutex.
 */
#ifndef RS_TOOLS_VENUE_SIM_ORDERS_H
#define RS_TOOLS_VENUE_SIM_ORDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/mdsim.h"
#include "ringside/sim_venue.h"

typedef struct rs_vso rs_vso;

typedef struct rs_vso_cfg {
    bool enabled;              /* --orders-port given */
    const char *bind;          /* default: the md side's */
    uint16_t port;             /* 0: ephemeral */
    const char *port_file;     /* write the bound port here once listening */
    const char *config;        /* ringside config: instruments, exec.secrets, exec.recv_window_ms (required) */
    const char *secrets;       /* secrets file overriding the config's (test key) */
    int64_t latency_ms;        /* per leg, market time (default 0: the network is the latency) */
    int64_t clock_tolerance_ms;/* -1021 window both ways (0: recvWindow from the config behind,
                                  1000 ahead, as Binance); an accelerated market clock multiplies
                                  wall-clock jitter, so accelerated tests widen it */
    double taker_fee_bps, maker_fee_bps, slippage_bps;
    uint64_t seed;
    rs_sim_faults faults;      /* initial simulated-venue faults */
    uint32_t drop_acks;        /* transport: drop the answers + account events of the next N placements */
    uint32_t disconnect_on_order; /* transport: close the WS connection on the Nth placement (0: off) */
    uint32_t place_5xx;        /* transport: answer the next N placements 503 (placed; account events withheld) */
    /* from the md side (same market, same clock); set by rs_vso_start_with */
    const char *cert, *key;
    bool plain;
    rs_synth_cfg synth;
    double speed;
    int64_t origin_real_ns;
} rs_vso_cfg;

/* Parse `--orders-*` options out of argv (they are removed, so the caller's
 * getopt never sees them). Returns 0, or -1 with a message on stderr. */
int rs_vso_args(rs_vso_cfg *c, int *argc, char **argv);
/* Usage lines for the options. */
extern const char rs_vso_usage[];

/* Create and start the order side with the md side's certificate, synthetic
 * market and clock. Returns 0 or negative with rs_err. */
int rs_vso_start_with(rs_vso **out, rs_vso_cfg *c, const rs_mdsim_cfg *md);
uint16_t rs_vso_port(const rs_vso *v);
/* Run a control command (thread-safe); one-line reply (JSON for stats /
 * positions). Returns 0 or -RS_EUSAGE. */
int rs_vso_ctl(rs_vso *v, const char *cmd, char *reply, size_t cap);
/* Stop the thread, close every connection, free. NULL is a no-op. */
void rs_vso_destroy(rs_vso *v);

#endif
