/* tools/feed_snapshot.h -- REST depth snapshots for the feed's book resync,
 * fetched off the feed thread.
 *
 * The feed stage asks for a snapshot of symbol s (rs_feed_actions.resync bit
 * s); the feed source hands the request to this fetcher, whose own thread
 * does the blocking HTTPS GET (TLS through ringside/tls.h: verification,
 * SNI and host-name check as for the stream). The result -- the response
 * body, or for a failed fetch a small {"error":..} JSON that the stage
 * rejects and asks again for -- is taken back on the feed thread with
 * rs_snap_take and published as a journaled input, so the feed thread never
 * waits for the network and market data of the other symbols keeps flowing.
 * Retries back off per symbol (100 ms doubling to 5 s while failing).
 */
#ifndef RS_TOOLS_FEED_SNAPSHOT_H
#define RS_TOOLS_FEED_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/config.h"

typedef struct rs_snap rs_snap;

/* Control path. A fetcher for cfg->feed.rest_url (https://host[:port]) and
 * the configured instruments; spot venues use /api/v3/depth, USD-M futures
 * /fapi/v1/depth, limit `limit` (a Binance value: 5..5000). Starts its
 * thread. Returns 0, or negative with rs_err set (no rest_url, TLS context,
 * thread). */
int rs_snap_create(rs_snap **out, const rs_config *cfg, int limit);
void rs_snap_destroy(rs_snap *s);

/* Feed thread: request snapshots for the symbols in mask (bit = instrument
 * index). Requests for a symbol already pending merge. */
void rs_snap_request(rs_snap *s, uint64_t mask);

/* Feed thread, cheap when nothing is ready (one acquire load). When a
 * result is ready, points *body and *n at it (valid until rs_snap_release),
 * sets *sym and returns 1; else 0. */
int rs_snap_take(rs_snap *s, uint16_t *sym, const uint8_t **body, uint32_t *n);
void rs_snap_release(rs_snap *s);

/* Counters (relaxed reads, monitoring). */
typedef struct rs_snap_stats {
    uint64_t requests, fetched, failed;
    int64_t last_ms;            /* wall time of the last fetch */
} rs_snap_stats;
void rs_snap_stats_get(const rs_snap *s, rs_snap_stats *out);

#endif
