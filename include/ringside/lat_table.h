/* ringside/lat_table.h -- per-order venue latencies measured from a journal,
 * for the simulated venue's `table` and `sequence` latency models
 * (exec.sim.latency_model, `replay --what-if --latency-from-journal`).
 *
 * What is measured, per order placed (RS_EV_ORDER kind new, first record of
 * its client id), in EVENT time (rs_rec.ts: the clock the stages and the
 * simulated venue run on, so an accelerated session's latencies come out in
 * the same market time a what-if of it replays in):
 *   ack_ns   order -> the first exec report that carries the venue's answer
 *            (acked, filled, rejected by the venue, cancelled, expired);
 *            the exec stage's own reports do not count: pending-new (sent),
 *            unknown (a timeout or "status unknown": no usable answer; the
 *            order is then left out), local rejects (RS_XREJ_*).
 *   fill_ns  order -> its first fill report, for market orders only (they
 *            fill on arrival at the venue, as the simulated venue models
 *            them; a resting limit order's first fill waits for the market,
 *            not for the wire); -1 when not measured.
 * Orders are paired with their reports by client id, as `ringside journal
 * latency` (venue_ack) and the report tool do; samples keep the journal's
 * order of the orders (the `sequence` model replays them in that order).
 *
 * The simulated venue (sim_venue.h) takes ack_ns as the round trip of one
 * request (half out, the rest back) and fill_ns as order -> first fill.
 *
 * Memory: create/measure/parse allocate (control path, rs_mem_alloc) one
 * block; rs_lat_table_destroy frees it. The sample arrays are read-only
 * afterwards, so the simulated venue borrows them without copying: nothing
 * is allocated per draw.
 */
#ifndef RINGSIDE_LAT_TABLE_H
#define RINGSIDE_LAT_TABLE_H

#include <stddef.h>
#include <stdint.h>

/* Name of the embedded journal file that carries the table a run used
 * (text, rs_lat_table_to_text): replay finds it among the extracted blobs. */
#define RS_LAT_BLOB_NAME "ringside-latency-table.txt"
#define RS_LAT_MAX_SAMPLES 10000000u

typedef struct rs_lat_table {
    uint32_t n;              /* samples (orders with a measured answer), >= 1 */
    uint32_t n_fill;         /* of which with a measured first fill */
    int32_t model;           /* enum rs_latency_model (config.h): RS_LAT_TABLE or RS_LAT_SEQUENCE */
    uint32_t pad;
    const int64_t *ack_ns;   /* [n] order -> first venue answer, journal order */
    const int64_t *fill_ns;  /* [n] order -> first fill, or -1 */
    int64_t ack_min_ns, ack_p50_ns, ack_p99_ns, ack_max_ns;   /* nearest-rank percentiles */
    int64_t fill_p50_ns, fill_p99_ns;                         /* 0 when n_fill == 0 */
    /* measurement bookkeeping (0 for a parsed or hand-made table) */
    uint64_t orders;         /* orders placed in the journal */
    uint64_t unanswered;     /* no venue answer (timeout, unknown, journal ended) */
    uint64_t local;          /* rejected by the exec stage itself */
    uint64_t negative;       /* answer stamped before the order (not used) */
    char source[256];        /* journal path or blob name it came from */
} rs_lat_table;

/* Measure from the journal at `path` (directory or segment file). Reads it
 * twice; allocates. model: RS_LAT_TABLE or RS_LAT_SEQUENCE (stored).
 * Returns 0 and *out, or with a message naming the path and why:
 * -ENOENT / -errno (unreadable), -RS_EVERSION (another record schema),
 * -RS_ECORRUPT (a corrupt frame inside the journal), -ENODATA (no order with
 * a measurable venue answer), -EINVAL (bad model), -ENOMEM. */
int rs_lat_table_measure(rs_lat_table **out, const char *path, int32_t model);

/* A table from samples (copied): ack_ns[i] >= 0, fill_ns NULL or [n] with
 * values >= -1, 1 <= n <= RS_LAT_MAX_SAMPLES. source: a name for messages.
 * Returns 0, -EINVAL (message says which sample), -ENOMEM. */
int rs_lat_table_create(rs_lat_table **out, const int64_t *ack_ns, const int64_t *fill_ns, uint32_t n,
                        int32_t model, const char *source);

/* Parse the text form (rs_lat_table_to_text). name is used in messages
 * ("name:line: why"). Returns 0, -RS_ECORRUPT (bad text), -ENOMEM. */
int rs_lat_table_parse(rs_lat_table **out, const char *name, const void *text, size_t len);

/* The text form (for embedding in a journal):
 *   ringside-latency-table 1
 *   model table|sequence
 *   source PATH
 *   samples N
 *   ACK_NS FILL_NS        (N lines; FILL_NS -1 = none)
 * *text from rs_mem_alloc (free with rs_mem_free), *len bytes (NUL after).
 * Returns 0 or -ENOMEM. */
int rs_lat_table_to_text(const rs_lat_table *t, char **text, size_t *len);

/* One line for summaries: "table, 123 samples from PATH: ack p50 1.234 ms,
 * p99 5.678 ms; first fill (45) p50 ..., p99 ...". */
void rs_lat_table_describe(const rs_lat_table *t, char *buf, size_t n);

/* NULL is fine. */
void rs_lat_table_destroy(rs_lat_table *t);

#endif
