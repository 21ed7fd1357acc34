/* tools/feed_source.h -- the feed thread's I/O edge: the venue WebSocket
 * connection and the timer, publishing the feed stage's journaled inputs on
 * the raw stream: RS_EV_RAW_FRAME per message (ts = receive time on the
 * market clock, ts_local = kernel receive stamp), RS_EV_FRESHNESS for a
 * connection opening (OK) or closing (DISCONNECTED), RS_EV_TIMER ticks, and
 * REST depth snapshots the feed stage asked for (its resync actions; fetched
 * off-thread by feed_snapshot.c) as RS_EV_RAW_FRAME with conn =
 * RS_FEED_SNAP_CONN + symbol.
 *
 * The market clock: live, it is the wall clock. Against the accelerated
 * simulator it is origin + (wall - origin) * speed, the same formula the
 * simulator uses (venue-sim --origin-ms/--speed), so bars, staleness and
 * order latencies all live on the venue's time axis.
 */
#ifndef RS_TOOLS_FEED_SOURCE_H
#define RS_TOOLS_FEED_SOURCE_H

#include <stdint.h>

#include "ringside/atomics.h"
#include "ringside/config.h"
#include "ringside/feed_stage.h"
#include "ringside/stage.h"
#include "ringside/ws_client.h"

typedef struct rs_vclock {
    int64_t origin_ns;       /* wall time where market time == wall time */
    double speed;            /* market seconds per wall second (1 live) */
} rs_vclock;

static inline int64_t rs_vclock_map(const rs_vclock *c, int64_t wall_ns)
{
    if (c->speed == 1.0)
        return wall_ns;
    return c->origin_ns + (int64_t)((double)(wall_ns - c->origin_ns) * c->speed);
}

typedef struct rs_feed_src {
    rs_ws_client *ws;
    rs_feed *feed;           /* for its reconnect requests (same thread) */
    rs_emit *emit;           /* set for the duration of a poll */
    rs_vclock clk;
    int64_t timer_period_ns; /* market time */
    int64_t next_tick_ns;    /* market time */
    struct rs_snap *snap;    /* depth snapshot fetcher (NULL: no depth book) */
    /* written by the feed thread only, read by the supervisor's progress
     * and summary lines: relaxed atomics (monitoring, no ordering) */
    rs_atomic_u64 frames, bytes, dropped, too_large, opens, closes, snapshots;
    rs_atomic_u64 unstamped;   /* frames without a kernel receive stamp: stamped on arrival here */
    int64_t mono_now;
} rs_feed_src;

/* Connect to cfg->feed.url subscribing to every instrument's configured
 * streams. Allocates (control path). */
int rs_feed_src_create(rs_feed_src **out, const rs_config *cfg, rs_feed *feed, rs_vclock clk);
void rs_feed_src_destroy(rs_feed_src *s);
/* Runtime source callback (rs_source_fn). */
int rs_feed_src_poll(void *ctx, rs_emit *emit, int64_t now_ns);

#endif
