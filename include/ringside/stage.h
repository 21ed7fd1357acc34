/* ringside/stage.h -- how a stage emits output records.
 *
 * Stages are pure handlers: `rs_<stage>_on_event(state, const rs_rec *in,
 * rs_emit *out)`. They never read a clock, a random source, the network or a
 * file; they publish outputs only through an rs_emit. In the live engine an
 * emitter claims space in the stage's output ring; in replay it appends to a
 * buffer that is compared against the journal; in tests it collects records.
 *
 * Protocol (hot path, no allocation):
 *   rs_rec *r = rs_emit_claim(out, RS_EV_BAR, sizeof(rs_ev_bar));
 *   if (!r) -> RS_FULL: the handler returns RS_FULL and the runtime retries
 *              the same input later (handlers must be restartable: claim
 *              before mutating state, or make the state change idempotent).
 *   ... fill the payload (the header's len/type/stream/seq are set by claim;
 *       the handler sets r->ts) ...
 *   rs_emit_commit(out, r);
 * The emitter assigns stream and per-stream seq at commit and stamps
 * ts_local; the handler owns only ts and the payload.
 */
#ifndef RINGSIDE_STAGE_H
#define RINGSIDE_STAGE_H

#include "ringside/event.h"

typedef struct rs_emit rs_emit;
struct rs_emit {
    /* Claim len bytes (header included) for a record of `type`. Returns a
     * zeroed-header record or NULL when the destination is full. */
    rs_rec *(*claim)(rs_emit *e, uint16_t type, uint32_t len);
    /* Publish the record returned by the last claim. */
    void (*commit)(rs_emit *e, rs_rec *r);
    void *ctx;
};

static inline rs_rec *rs_emit_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    return e->claim(e, type, len);
}

static inline void rs_emit_commit(rs_emit *e, rs_rec *r)
{
    e->commit(e, r);
}

/* A simple emitter into caller memory (tests, replay, CLI tools): records are
 * packed back to back, 8-byte aligned. */
typedef struct rs_emit_buf {
    rs_emit e;
    uint8_t *buf;
    size_t cap, used;
    uint16_t stream;
    uint64_t next_seq[RS_STREAM_MAX];
    uint64_t count;
} rs_emit_buf;

/* Initialise an emitter over buf[cap] that labels records with `stream`. */
void rs_emit_buf_init(rs_emit_buf *eb, void *buf, size_t cap, uint16_t stream);
/* Forget the records (keeps sequence numbers running). */
void rs_emit_buf_reset(rs_emit_buf *eb);
/* Iterate: returns the record at *off and advances *off, or NULL at the end. */
const rs_rec *rs_emit_buf_next(const rs_emit_buf *eb, size_t *off);

#endif
