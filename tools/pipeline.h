/* tools/pipeline.h -- builds the five stages from a config: the same code
 * for `ringside run` (live / paper) and `ringside replay` (verify / what-if),
 * so a replay runs exactly the handlers, parameters and models the run had.
 */
#ifndef RS_TOOLS_PIPELINE_H
#define RS_TOOLS_PIPELINE_H

#include "ringside/config.h"
#include "ringside/exec_stage.h"
#include "ringside/feature_ind.h"
#include "ringside/features.h"
#include "ringside/feed_stage.h"
#include "ringside/gate.h"
#include "ringside/instrument.h"
#include "ringside/model_stage.h"
#include "ringside/runtime.h"

/* The feed stage behind the runtime's single routing emitter: md records go
 * out as-is (timers and freshness are duplicated to mark/mark_x by the
 * route), marks are routed to the mark ring, and the feed's own mark copies
 * of timers/freshness are absorbed. Connection open/close arrive as
 * RS_EV_FRESHNESS records on the raw stream (state OK = open,
 * DISCONNECTED = close), so they are journaled inputs too. */
typedef struct rs_feed_adapter {
    rs_feed *feed;
    rs_emit md, mark;          /* handed to the feed stage */
    rs_emit *inner;            /* the runtime's emitter for this call */
    uint8_t scratch[512];      /* absorbed records */
} rs_feed_adapter;

/* Where the exec stage's outbox goes after every handler call (same
 * thread): live, the venue session puts the signed bytes on the wire
 * (exec_session.h); otherwise (paper, replay) they are discarded. The sink
 * must pop what it takes; what it leaves (RS_FULL on a socket) stays queued. */
typedef void (*rs_exec_sink_fn)(void *ctx, rs_exec *x);
typedef struct rs_exec_adapter {
    rs_exec *x;
    rs_exec_sink_fn sink;      /* NULL: discard (pop + wipe) */
    void *sink_ctx;
} rs_exec_adapter;

/* rs_pipeline_build_opts flags */
enum { RS_PIPE_LIVE_IO = 1u };   /* exec.mode live: load the real credentials (else a
                                    stand-in key of the configured type: replay) */

typedef struct rs_pipeline {
    const rs_config *cfg;
    rs_universe u;
    void *feed_mem, *feat_mem, *gate_mem, *exec_mem;
    rs_feed_adapter fa;
    rs_features *feat;
    rs_model_stage *model;
    rs_gate *gate;
    rs_exec *exec;
    rs_exec_adapter xa;        /* the exec stage's runtime state (outbox sink) */
    size_t exec_memsz;
    bool exec_secure;          /* exec_mem from rs_secure_alloc (live: the outbox holds signatures) */
    rs_secrets *secrets;       /* live credentials, or replay's stand-in; NULL in paper mode */
    bool secrets_standin;
    rs_stage_def stages[RS_SID_MAX];
    char (*feat_names)[RS_FEAT_NAME_MAX];
    const char **feat_name_ptrs;
    uint32_t n_feat;
    uint8_t model_sha256[32];
    struct rs_mswap_replay *swap_replay;   /* replay only: re-offers journaled hot swaps */
    struct rs_lat_table *lat;  /* paper: the simulated venue's measured latencies (table /
                                  sequence model), or NULL; the sim borrows its samples */
} rs_pipeline;

/* Build every stage from cfg (borrowed; must outlive p). model_dir: when not
 * NULL, model and calibration paths are looked up there by their config path
 * (replay extracts the journal's embedded copies). Paper mode, simulated
 * venue latency: when model_dir holds RS_LAT_BLOB_NAME (lat_table.h: the
 * measured latencies a run or what-if used, embedded in its journal), that
 * table and its model are used whatever exec.sim.latency_model says; else
 * exec.sim.latency_model table|sequence measures exec.sim.latency_journal
 * (refused, with the file and why, when it has no measurable latencies, is
 * missing, corrupt or of another schema). Returns 0 or a negative code with
 * a message naming what failed. */
int rs_pipeline_build(rs_pipeline *p, const rs_config *cfg, const char *model_dir);
/* Same with flags (RS_PIPE_LIVE_IO: `ringside run` in exec.mode live loads the
 * secrets from exec.secrets.file or the environment; refuses to start
 * without them). rs_pipeline_build == flags 0. */
int rs_pipeline_build_opts(rs_pipeline *p, const rs_config *cfg, const char *model_dir, unsigned flags);
void rs_pipeline_destroy(rs_pipeline *p);

/* Replay: rebuild hot-swapped models from the journal's blob records and
 * offer them at the journaled swap (tools/model_reload.h), files under dir
 * (NULL: $TMPDIR). rs_pipeline_build does this itself when model_dir is
 * given; call it after a build with model_dir NULL that replays a journal.
 * Returns 0 or -errno. */
int rs_pipeline_replay_swaps(rs_pipeline *p, const char *dir);

/* The simulated venue's latency model in words, for summaries: "table, N
 * samples from PATH: ack p50 .. ms, p99 .. ms[; first fill ...]", "constant
 * 500 us per leg", "uniform 100..400 us per leg"; "" in live mode. */
void rs_pipeline_latency_describe(const rs_pipeline *p, char *buf, size_t n);

/* The features stage's parameters from a config (the same mapping run and
 * replay use; `ringside features -c` uses it so offline features match). */
void rs_pipeline_features_params(const rs_config *c, rs_features_params *p);

/* Ring capacities and thread mapping for the runtime, from the config. */
int rs_pipeline_engine_def(rs_pipeline *p, rs_engine_def *d);

#endif
