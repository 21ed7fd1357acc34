/* tools/model_reload.h -- model hot swap: what `ringside ctl reload-model ARG`
 * means, how the supervisor of `ringside run` loads, validates, journals and
 * offers a new ensemble, and how replay re-offers it from the journal.
 *
 * ARG (resolved against the ensemble in use, docs/runtime.md "Model hot swap"):
 *   DIR                 DIR/ensemble.json (below)
 *   MANIFEST.json       an ensemble manifest (the `ensemble.json` written by
 *                       tools/python/train_models.py): replaces the whole
 *                       ensemble -- models, weights, horizons, calibration
 *   NAME=MODEL.json     replaces the model of horizon NAME (config name, e.g.
 *                       h3); weight, horizon and calibration are kept
 *   MODEL.json          an XGBoost model: replaces the only model, or the one
 *                       whose name is the file's stem (h3.json -> h3) or whose
 *                       file has the same base name; otherwise refused as
 *                       ambiguous (use NAME=MODEL.json)
 * Relative paths are relative to the engine's working directory (`ringside
 * ctl` sends absolute paths).
 *
 * Manifest: {"models": [{"path": P, "weight": W, "name": N, "horizon_bars": H,
 * "calib_key": K, "calibration": C}, ...], "calibration": C}; paths relative
 * to the manifest's directory; a model's "calibration" overrides the
 * top-level one; "calib_key" selects an entry of the calibration file.
 *
 * Journal (stream ctl_model, all before the stage sees the swap):
 *   RS_EV_CONTROL  the operator's command (cmd reload-model, arg)
 *   then either    RS_EV_ALARM (code RS_MRELOAD_ALARM_REFUSED) with the reason,
 *                  the old ensemble stays in use
 *   or             RS_EV_BLOB records: every distinct model and calibration
 *                  file (kind MODEL, keyed by the file's SHA-256), then the
 *                  ensemble description (kind ENSEMBLE: a manifest naming the
 *                  files by their hash), then RS_EV_MODEL_SWAP (old and new
 *                  ensemble hash, ARG). The model stage applies the offered
 *                  ensemble when it consumes the swap record.
 * Replay feeds the model stage the same records; rs_mswap_replay rebuilds
 * the files from the blob records and offers the described ensemble just
 * before the stage handles the swap record, so the switch happens at the
 * same record with the same bytes.
 */
#ifndef RS_TOOLS_MODEL_RELOAD_H
#define RS_TOOLS_MODEL_RELOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"
#include "ringside/config.h"
#include "ringside/model_stage.h"
#include "ringside/region.h"

#define RS_MRELOAD_ALARM_REFUSED 16u   /* rs_ev_alarm.code of a refused reload */

/* ---- ensemble descriptions ---------------------------------------------------- */

typedef struct rs_mdesc_model {
    char name[32];
    char path[512];            /* XGBoost JSON model */
    double weight;
    uint32_t horizon_bars;
    char calib[512];           /* calibration file, "" = none */
    char calib_key[64];        /* "" = the file is one calibration */
} rs_mdesc_model;

typedef struct rs_mdesc {
    uint32_t n;
    rs_mdesc_model m[RS_MAX_HORIZONS];
} rs_mdesc;

/* The ensemble a config describes. */
void rs_mdesc_from_config(rs_mdesc *d, const rs_config *cfg);
/* Parse a manifest (format above). 0 or -errno / -RS_EBADCFG naming the
 * file and field. */
int rs_mdesc_load_manifest(rs_mdesc *d, const char *path);
/* Resolve a reload argument (ARG above) against the ensemble in use `cur`.
 * 0, or -RS_EBADCFG / -errno with a message naming ARG and what is wrong. */
int rs_mdesc_resolve(rs_mdesc *out, const rs_mdesc *cur, const char *arg);
/* Load and validate the described ensemble against the pipeline's feature
 * layout and ISA (the start-up loader). Cold path; *out owns the ensemble. */
int rs_mdesc_load(rs_ensemble **out, const rs_mdesc *d, const rs_pipeline *p);

/* ---- the supervisor's side ------------------------------------------------------ */

typedef struct rs_mreload rs_mreload;

typedef struct rs_mreload_stats {
    uint64_t requests;         /* reload commands received */
    uint64_t swaps;            /* applied by the model stage */
    uint64_t refused;          /* invalid or busy */
    bool in_flight;            /* offered, not yet applied */
    uint8_t active_sha256[32]; /* ensemble in use (as far as the supervisor knows) */
    char last_error[256];
} rs_mreload_stats;

/* Create over a built pipeline (borrowed, must outlive m): the ensemble in
 * use is the config's. Allocates (control path). 0 or -ENOMEM. */
int rs_mreload_create(rs_mreload **out, rs_pipeline *p);
/* Free; an ensemble still waiting in the stage is the stage's to free. */
void rs_mreload_destroy(rs_mreload *m);
/* Emitter to pass as rs_ctl_src_init's model_emit: reload commands the
 * control mailbox turns into records land in m's queue (one at a time; a
 * second command while one is queued is refused and journaled as such). */
rs_emit *rs_mreload_intake(rs_mreload *m);
/* Supervisor loop, every iteration: take a queued command (load, validate,
 * offer: cold path, may take milliseconds), put the pending journal records
 * on `ctl_model` (the emitter of stream ctl_model) as far as the ring has
 * room, and take back the old ensemble once the stage applied the swap.
 * Returns the number of records emitted (the caller commits the stream when
 * > 0). Never blocks on the ring. */
int rs_mreload_poll(rs_mreload *m, rs_emit *ctl_model, int64_t now_ns);
void rs_mreload_get_stats(const rs_mreload *m, rs_mreload_stats *s);
/* Publish the ensemble in use (hash prefix), swaps and refusals in the
 * region's counters for `ringside ctl status` / `top` (relaxed stores). */
void rs_mreload_publish(const rs_mreload *m, rs_region_hdr *h);

/* ---- the replay side ---------------------------------------------------------- */

typedef struct rs_mswap_replay rs_mswap_replay;

/* Create with a private directory for the rebuilt files under `dir` (NULL:
 * $TMPDIR or /tmp); removed by destroy. 0 or -errno. */
int rs_mswap_replay_create(rs_mswap_replay **out, const char *dir);
void rs_mswap_replay_destroy(rs_mswap_replay *r);
/* Around the model stage's handler: before(in) collects RS_EV_BLOB chunks and,
 * for RS_EV_MODEL_SWAP, loads the described ensemble (hash = new_sha256) and
 * offers it; after() frees an ensemble the stage retired. A swap whose bytes
 * are not in the journal is not offered (the stage refuses it and replay
 * reports the divergence); the reason goes to stderr. */
void rs_mswap_replay_before(rs_mswap_replay *r, rs_model_stage *st, const rs_pipeline *p, const rs_rec *in);
void rs_mswap_replay_after(rs_mswap_replay *r, rs_model_stage *st);

#endif
