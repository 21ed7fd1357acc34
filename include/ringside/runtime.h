/* ringside/runtime.h -- the engine runtime: stages on threads over rings.
 *
 * A stage is a pure handler (stage.h) plus the streams it consumes and the
 * stream(s) it publishes on. A thread runs one or more stages: each loop it
 * polls every input ring of every stage it owns, calls the handlers, commits
 * outputs, releases inputs, updates its heartbeat, and idles per its
 * strategy when nothing happened. A stage with several inputs gets a
 * RS_EV_STEP record on its output stream for every run of consecutive records
 * it takes from one input, so replay can feed it the same interleaving.
 *
 * Sources and sinks are the runtime's non-pure edges: a source (socket
 * reader, timer, control mailbox) publishes input records (raw frames,
 * timers, venue responses, control) onto a ring; a sink drains a stage's
 * outbox to the network. They may read clocks and do I/O; stages may not.
 */
#ifndef RINGSIDE_RUNTIME_H
#define RINGSIDE_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside/config.h"   /* enum rs_idle */
#include "ringside/event.h"
#include "ringside/hist.h"
#include "ringside/region.h"
#include "ringside/ring.h"
#include "ringside/stage.h"

enum rs_stage_id { RS_SID_FEED = 0, RS_SID_FEATURES, RS_SID_MODEL, RS_SID_GATE, RS_SID_EXEC, RS_SID_MAX };
const char *rs_stage_name(unsigned id);

typedef int (*rs_stage_fn)(void *state, const rs_rec *in, rs_emit *out);

#define RS_STAGE_MAX_IN 6

typedef struct rs_stage_def {
    uint16_t id;                         /* enum rs_stage_id */
    void *state;
    rs_stage_fn on_event;
    uint16_t inputs[RS_STAGE_MAX_IN];    /* streams consumed, in poll priority order */
    unsigned n_inputs;
    uint16_t out;                        /* default output stream */
    uint16_t route[RS_EV_TYPE_MAX];      /* per record type: output stream (0: out) */
    uint16_t dup[RS_EV_TYPE_MAX][2];     /* per record type: also copy to these streams (0: none) */
} rs_stage_def;

/* A non-pure edge (I/O): called every loop of its thread. `emit` publishes
 * onto the source's ring. Returns the number of records/bytes of work done
 * (0 = idle), or < 0 to stop the engine with rs_err_msg() set. */
typedef int (*rs_source_fn)(void *ctx, rs_emit *emit, int64_t now_ns);
typedef struct rs_source_def {
    const char *name;
    void *ctx;
    rs_source_fn poll;
    uint16_t out;                        /* stream it publishes on */
} rs_source_def;


#define RS_MAX_THREADS 8
#define RS_THREAD_MAX_STAGES 5
#define RS_THREAD_MAX_SOURCES 4

typedef struct rs_thread_def {
    char name[16];
    int cpu;                             /* >= 0 pinned; -1 (RS_CPU_NONE) not pinned;
                                            RS_CPU_AUTO (-2): picked at start from the
                                            hwloc topology (cpu_place.h) and logged */
    int idle;                            /* enum rs_idle (config.h) */
    uint32_t spin_iters;                 /* spins before yielding / sleeping */
    uint32_t min_sleep_us;               /* back-off: first sleep (0: 1 us) */
    uint32_t max_sleep_us;               /* back-off cap */
    uint32_t pretouch_bytes;             /* idle: keep this much of each output ring's free
                                            space written ahead of the producer (0: off) */
    unsigned stages[RS_THREAD_MAX_STAGES]; /* indexes into rs_engine_def.stages */
    unsigned n_stages;
    unsigned sources[RS_THREAD_MAX_SOURCES];
    unsigned n_sources;
} rs_thread_def;

typedef struct rs_engine_def {
    const char *instance;
    uint32_t ring_capacity[RS_STREAM_MAX];  /* 0: stream not used */
    bool recorder;                           /* rings gate on a recorder cursor */
    rs_stage_def stages[RS_SID_MAX];
    unsigned n_stages;
    rs_source_def sources[RS_MAX_THREADS * RS_THREAD_MAX_SOURCES];
    unsigned n_sources;
    rs_thread_def threads[RS_MAX_THREADS];
    unsigned n_threads;
    uint64_t schema_hash;
    int mlockall;                            /* enum rs_mlock (config.h): at start */
    uint16_t n_syms;                         /* instrument names for the region's */
    char sym_names[RS_REGION_MAX_SYMS][16];  /* position table (`ringside top`) */
    uint8_t sym_qty_exp[RS_REGION_MAX_SYMS];
} rs_engine_def;

typedef struct rs_engine rs_engine;

/* Create the region and rings, bind producers/consumers (allocates the
 * engine; control path). Returns 0 or -errno/-RS_E with a message. */
int rs_engine_create(rs_engine **e, const rs_engine_def *def);
/* Start the threads. Before that: mlockall per def->mlockall (a failure is
 * logged with the RLIMIT_MEMLOCK in force, and fatal only for
 * RS_MLOCK_REQUIRED), then CPU placement (cpu_place.h): `auto` threads get
 * a core, every thread's CPU is logged and published in the region, and a
 * spinning thread sharing a core is warned about. Returns 0 or -errno/-RS_E
 * with a message (thread creation, required mlockall). */
int rs_engine_start(rs_engine *e);
/* CPU each thread got (after rs_engine_start; -1 not pinned). */
int rs_engine_thread_cpu(rs_engine *e, unsigned thread);
/* Ask every thread to stop after draining its inputs; join them. */
void rs_engine_stop(rs_engine *e);
/* Free everything and unlink the region. */
void rs_engine_destroy(rs_engine *e);
/* The engine's region (for the supervisor: ctl mailbox, counters). */
rs_region *rs_engine_region(rs_engine *e);
/* True while every thread runs; false once one stopped on an error (its
 * message is in *why). */
bool rs_engine_healthy(rs_engine *e, const char **why);
/* Records each stage handled so far. */
uint64_t rs_engine_stage_events(rs_engine *e, unsigned stage);
/* Total records published on a stream so far. */
uint64_t rs_engine_stream_published(rs_engine *e, uint16_t stream);
/* The emitter of a stream whose producer is NOT a stage or source (the
 * supervisor's control streams): claim/commit through it, then
 * rs_engine_commit publishes. One producer per stream: never use it for a
 * stream a thread produces. */
rs_emit *rs_engine_emitter(rs_engine *e, uint16_t stream);
void rs_engine_commit(rs_engine *e, uint16_t stream);
/* Per-stage handling latency histogram (ns from the input record's
 * ts_local to the end of its handler), merged over the run; NULL if the
 * stage does not exist. Read after rs_engine_stop. */
const rs_hist *rs_engine_stage_latency(rs_engine *e, unsigned stage);

/* Live tick-to-order histogram: ns from a decoded trade's ts_local to the
 * ts_local of each NEW order record the exec stage committed because of it
 * (the causal chain is carried beside the rings, ringside/origin.h; no
 * record changes). Written by the exec stage's thread; read it after
 * rs_engine_stop (while running, read the region: counters
 * RS_CNT_T2O_* and stage_lat[RS_LAT_T2O]). NULL when there is no exec
 * stage. */
const rs_hist *rs_engine_t2o_latency(rs_engine *e);
/* The causal origin the runtime carries for record `seq` of `stream`: the
 * ts_local of the decoded trade it descends from, or 0 (none, no table for
 * the stream, or the slot already reused). For the thread that just polled
 * that record (the producer wrote the slot before publishing it); a
 * benchmark uses it to attribute the records its own side tables cannot
 * see (the copies the router makes, ring duplicates). */
int64_t rs_engine_origin(const rs_engine *e, uint16_t stream, uint64_t seq);

/* Slot of the region's stage_lat table that holds tick-to-order. */
#define RS_LAT_T2O RS_SID_MAX

/* Records published but not yet journaled, summed over the rings (0 when
 * no recorder). */
uint64_t rs_engine_recorder_lag(rs_engine *e);

/* True when every input ring is empty (drained). */
bool rs_engine_idle(rs_engine *e);

/* Build a ring-backed emitter over producer p labelling records with
 * `stream`; used by the runtime and by sources. */
typedef struct rs_ring_emit {
    rs_emit e;
    rs_spsc_prod *p;
    uint16_t stream;
    uint64_t seq;
    double ns_per_tick;
    uint64_t tsc0;
    int64_t ns0;
} rs_ring_emit;
void rs_ring_emit_init(rs_ring_emit *re, rs_spsc_prod *p, uint16_t stream, uint64_t first_seq);

#endif
