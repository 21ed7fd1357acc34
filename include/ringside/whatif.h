/* ringside/whatif.h -- run the stages single-threaded, in a fixed order, on
 * external inputs (the engine of `ringside replay --what-if`).
 *
 * The live runtime (runtime.h) runs stages on threads; which of two inputs a
 * multi-input stage sees first depends on thread timing, and only the
 * RS_EV_STEP records make it replayable afterwards. A what-if has no
 * recorded interleaving to follow (its outputs differ from the journal's),
 * so it needs a deterministic one of its own. This scheduler is it:
 *
 *   after each external input, run ROUNDS until no queue holds a record;
 *   in a round every stage, in the order of the stage array (feed, features,
 *   model, gate, exec for the pipeline), takes everything queued on each of
 *   its inputs, input by input in the stage's poll-priority order
 *   (rs_stage_def.inputs), and handles it record by record.
 *
 * That is the live engine on one infinitely fast thread with unbounded
 * batches: every consequence of an input (bars, predictions, decisions,
 * orders, simulated fills and the gate's answer to them) is settled before
 * the next external input, which is how a backtest should see it. The same
 * inputs always give byte-identical outputs (ts_local included: the
 * scheduler stamps 0, "not measured").
 *
 * Every record (the external input, re-sequenced on its stream, and every
 * output, with the runtime's stream routing, duplication and per-stream
 * seq) is handed to a sink in global order -- the order a journal of the
 * run is written in. Multi-input stages get RS_EV_STEP records on their
 * output stream exactly as the runtime writes them (a step whenever the
 * stage switches input; a closing step from rs_whatif_finish), so that
 * journal replay-verifies (replay.h) with zero divergences.
 *
 * Memory: caller owns it (rs_whatif_memsize + rs_whatif_init); one queue of
 * queue_bytes per stream a stage consumes or produces. A queue is emptied
 * by its consumer within the round, so queue_bytes bounds the records one
 * stage emits on one stream in one round. No allocation after init.
 */
#ifndef RINGSIDE_WHATIF_H
#define RINGSIDE_WHATIF_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/runtime.h"

/* Receives every record in global order. r is valid only during the call.
 * Return 0, or a negative code to stop the run (it is passed back). */
typedef int (*rs_whatif_sink_fn)(void *ctx, const rs_rec *r);

typedef struct rs_whatif_params {
    const rs_stage_def *stages;  /* borrowed, must outlive the scheduler; states fresh */
    unsigned n_stages;           /* 1..RS_SID_MAX */
    uint32_t queue_bytes;        /* per stream (0: 2 MiB); >= 2 * RS_REC_MAX */
    rs_whatif_sink_fn sink;      /* NULL: records are not passed on */
    void *sink_ctx;
} rs_whatif_params;

typedef struct rs_whatif_stats {
    uint64_t inputs;                     /* external inputs taken */
    uint64_t handled[RS_SID_MAX];        /* records handled per stage id */
    uint64_t emitted[RS_STREAM_MAX];     /* records published per stream (inputs included) */
    uint64_t records;                    /* records sunk (every stream) */
    uint64_t rounds;                     /* scheduling rounds */
    uint32_t max_rounds;                 /* most rounds one input needed */
    uint32_t pad;
} rs_whatif_stats;

typedef struct rs_whatif rs_whatif;

/* Bytes of caller memory for p (0 when p is invalid). */
size_t rs_whatif_memsize(const rs_whatif_params *p);

/* Initialise in mem[rs_whatif_memsize(p)] (64-byte aligned). Checks the
 * wiring: every stage has a handler; no stage emits on a stream it consumes;
 * no stream has two producers. Returns 0 and *out, or -EINVAL with a message
 * naming the stage and stream. */
int rs_whatif_init(void *mem, const rs_whatif_params *p, rs_whatif **out);

/* True when `stream` is consumed by a stage and produced by none: the
 * streams rs_whatif_input accepts (raw market data, control). */
bool rs_whatif_is_external(const rs_whatif *w, uint16_t stream);

/* Take one external input (in->stream names its stream; it must be
 * external): copy it with the next seq of that stream (ts, ts_local and the
 * payload unchanged), sink it, then run rounds until every queue is empty.
 * No allocation. Returns 0; -EINVAL (not an external stream, bad length);
 * -EOVERFLOW (a queue ran out of room: queue_bytes too small, or a stage
 * returned RS_FULL); or the sink's code. Messages name stage and stream.
 * After an error the scheduler is unusable. */
int rs_whatif_input(rs_whatif *w, const rs_rec *in);

/* End of input: write the closing RS_EV_STEP (in_stream 0) of every
 * multi-input stage that consumed anything, as the runtime does at a clean
 * stop. Returns 0 or the sink's code. Call once, last. */
int rs_whatif_finish(rs_whatif *w);

void rs_whatif_get_stats(const rs_whatif *w, rs_whatif_stats *s);

#endif
