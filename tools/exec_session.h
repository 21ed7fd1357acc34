/* tools/exec_session.h -- the exec thread's I/O edge in live mode: the venue's
 * WebSocket API session (order entry, account events) and a REST connection
 * (reconciliation, status queries of unknown orders), both TLS over io_uring.
 *
 * Outbound: the exec stage formats and signs each request into its outbox;
 * rs_exec_session_sink (the pipeline's exec sink, called on the exec thread
 * right after every exec handler call) moves WS requests into WebSocket text
 * frames and REST requests into the REST queue, popping (and so wiping) the
 * outbox copy.
 *
 * Inbound, everything the venue says becomes a journaled input record on
 * RS_STREAM_VENUE before the exec stage sees it (so replay is exact):
 *   RS_EV_VENUE_MSG conn = RS_XCONN(RS_XCH_WS, 0)       one WS API text frame
 *   RS_EV_VENUE_MSG conn = RS_XCONN(RS_XCH_REST, req)    one HTTP response
 *                                                        (body de-chunked)
 *   RS_EV_VENUE_MSG conn = RS_XCONN(RS_XCH_STATUS, 0)    data {RS_XCH_WS, up}
 * ts = receive time on the market clock (rs_vclock), ts_local = the kernel's
 * receive stamp. Records hold venue answers only: never the API key or a
 * signature (those exist only in the outbox, the REST queue -- secure
 * memory, wiped after sending -- and inside TLS).
 *
 * REST is one request in flight per connection (answers cannot be confused);
 * the queue holds the rest. A request without an answer after rest_timeout
 * (10 s wall) closes the connection: the exec stage's own query timeout asks
 * again. A lost WS connection reconnects with capped backoff; the exec stage
 * turns in-flight orders UNKNOWN and queries them over REST.
 *
 * Threading: everything runs on the thread that runs the exec stage.
 */
#ifndef RS_TOOLS_EXEC_SESSION_H
#define RS_TOOLS_EXEC_SESSION_H

#include <stdint.h>

#include "feed_source.h"   /* rs_vclock */
#include "pipeline.h"
#include "ringside/config.h"
#include "ringside/exec_stage.h"
#include "ringside/stage.h"

typedef struct rs_exec_session rs_exec_session;

typedef struct rs_exec_session_stats {
    uint64_t ws_sent, ws_msgs, ws_opens, ws_closes, ws_dropped;   /* ws_dropped: no open connection */
    uint64_t rest_sent, rest_msgs, rest_conns, rest_fails, rest_timeouts, rest_lost;
    uint64_t bytes_out, bytes_in;
    uint64_t emit_drops;   /* records lost because the venue ring was full (reported) */
} rs_exec_session_stats;

/* Connect to cfg->exec.ws_api_url and rest_url with cfg->exec.tls
 * (verification on unless exec.tls.verify is false). Allocates (control
 * path); resolves both hosts (may block). Returns 0 or negative with rs_err. */
int rs_exec_session_create(rs_exec_session **out, const rs_config *cfg, rs_vclock clk);
/* Close both connections (WS close 1000) and free; NULL is a no-op. */
void rs_exec_session_destroy(rs_exec_session *s);
/* Runtime source callback (rs_source_fn) on the exec thread: socket I/O,
 * venue records out. Returns work done (0 idle). */
int rs_exec_session_poll(void *ctx, rs_emit *emit, int64_t now_ns);
/* Pipeline exec sink (rs_exec_sink_fn): drain x's outbox onto the wire.
 * A request that cannot be sent now (socket buffer full) stays in the
 * outbox; a WS request while no WS connection is open is dropped (counted;
 * the exec stage's ack timeout makes it UNKNOWN and queries it). */
void rs_exec_session_sink(void *ctx, rs_exec *x);
const rs_exec_session_stats *rs_exec_session_stats_get(const rs_exec_session *s);

/* `ringside run` wiring: in exec.mode live, create the session, make it the
 * pipeline's exec sink and add it as a source (publishing RS_STREAM_VENUE)
 * on the thread that runs the exec stage. *out stays NULL in paper mode.
 * Returns 0 or negative with rs_err. */
int rs_exec_session_attach(rs_exec_session **out, const rs_config *cfg, rs_vclock clk, rs_pipeline *p,
                           rs_engine_def *d);
/* One summary line ("" in paper mode) for the run summary. */
void rs_exec_session_summary(const rs_exec_session *s, char *buf, size_t cap);

#endif
