/* ringside/model_stage.h -- the model stage: multi-horizon ensembles,
 * calibration, z-edge, and the pure handler that turns feature vectors into
 * prediction records.
 *
 * Pipeline per RS_EV_FEATURES record (bar close, ready):
 *   for each model i (one per horizon, config order):
 *     row     = the record's values picked by feature name (rs_model_map_features), as float32
 *     raw[i]  = rs_model_predict(model i, row)            XGBoost's float32 output
 *     cal[i]  = calibration i applied to raw[i], in bps    (identity when none)
 *   weighted_bps = sum(w_i * cal[i]) / sum(w_i)           double, config order
 *   z_edge  = (weighted_bps - mean) / std over the previous z_window weighted
 *             values of the same symbol (sample std, two-pass, recomputed
 *             from the window each bar so no rounding state accumulates);
 *             ready = at least z_min values in the window and std > 0
 *             (z_edge = 0 when not ready).
 *
 * Calibration file (JSON), one file may hold the calibrations of several
 * models, looked up by key:
 *   {"format": "ringside-calibration", "version": 1,
 *    "models": {"<key>": CAL, ...}}
 * or a bare CAL object (then no key is given). CAL is one of
 *   {"type": "identity"}
 *   {"type": "linear", "a": A, "b": B}                     cal = A*x + B
 *   {"type": "platt", "a": A, "b": B, "scale": S, "offset": O}
 *                                              cal = O + S / (1 + exp(-(A*x + B)))
 *   {"type": "isotonic", "x": [x0 < x1 < ...], "y": [y0 <= y1 <= ...]}
 *        piecewise-linear through (x_k, y_k), constant beyond the ends
 *        (the isotonic fit of the training script, a non-decreasing map).
 * x is the model output (raw[i], after the objective's transform) as double.
 *
 * Ensemble hash (rs_ev_prediction.model_sha256): SHA-256 over, in config
 * order, each model file's SHA-256 followed by its calibration file's
 * SHA-256 (32 zero bytes when none) and the key.
 *
 * Hot swap: a control thread loads and validates a new ensemble off the hot
 * path (rs_ensemble_load), offers it (rs_model_stage_offer), and injects an
 * RS_EV_MODEL_SWAP record carrying the old and new hashes into the stage's
 * input (the control stream, so it is journaled). The handler switches when
 * it consumes that record -- between two predictions, at the same point in a
 * replay -- emits the RS_EV_MODEL_SWAP record on its output, resets the
 * z-edge windows, and retires the old ensemble for the control thread to
 * free (rs_model_stage_reclaim).
 */
#ifndef RINGSIDE_MODEL_STAGE_H
#define RINGSIDE_MODEL_STAGE_H

#include <stdint.h>

#include "ringside/event.h"
#include "ringside/model.h"
#include "ringside/stage.h"

/* ---- calibration ----------------------------------------------------------- */

enum rs_calib_type { RS_CALIB_IDENTITY = 0, RS_CALIB_LINEAR, RS_CALIB_PLATT, RS_CALIB_ISOTONIC };

typedef struct rs_calib rs_calib;

/* Load calibration `key` from a calibration file (key NULL: the file is a
 * bare CAL object). On success *out owns a new calibration (free with
 * rs_calib_destroy). Errors: -errno (file), -RS_EBADCFG (message names the
 * file and the field: unknown type, x not strictly increasing, y decreasing,
 * arrays of different lengths, non-finite numbers). */
int rs_calib_load(rs_calib **out, const char *path, const char *key);
/* Parse from a JSON text (name used in messages). */
int rs_calib_load_mem(rs_calib **out, const char *json, size_t n, const char *name, const char *key);
void rs_calib_destroy(rs_calib *c);
/* Apply (hot path; no allocation). NULL calibration = identity. */
double rs_calib_apply(const rs_calib *c, double x);
/* Type (enum rs_calib_type) and SHA-256 of the file it came from. */
int rs_calib_type(const rs_calib *c);
const uint8_t *rs_calib_sha256(const rs_calib *c);

/* ---- ensemble -------------------------------------------------------------- */

typedef struct rs_ensemble_model_cfg {
    const char *path;          /* XGBoost JSON model */
    const char *name;          /* label, e.g. "h3" (may be NULL) */
    double weight;             /* > 0 */
    uint32_t horizon_bars;     /* informational: the horizon it predicts */
    const char *calib_path;    /* NULL: identity */
    const char *calib_key;     /* key in the calibration file (NULL: bare) */
} rs_ensemble_model_cfg;

typedef struct rs_ensemble_cfg {
    uint32_t n_models;                           /* 1..RS_MAX_HORIZONS */
    rs_ensemble_model_cfg m[RS_MAX_HORIZONS];
    const char *const *feature_names;            /* the features stage's layout */
    uint32_t n_features;
    uint64_t layout_hash;                        /* expected rs_ev_features.layout_hash; 0: not checked */
    int isa;                                     /* enum rs_model_isa (0: best) */
} rs_ensemble_cfg;

typedef struct rs_ensemble rs_ensemble;

/* Load every model and calibration, map features by name, compute the
 * ensemble hash. Cold path (allocates). *out owns the ensemble. Errors as
 * rs_model_load / rs_calib_load / rs_model_map_features, -RS_EBADCFG for a
 * bad config (no models, weight <= 0, ...). */
int rs_ensemble_load(rs_ensemble **out, const rs_ensemble_cfg *cfg);
/* Load the ensemble described by a manifest (the `ensemble.json` written by
 * tools/python/train_models.py, format in docs/model.md): model paths and the
 * calibration file are relative to the manifest's directory; weights,
 * horizons and calibration keys come from it. feature_names/n_features/
 * layout_hash/isa as in rs_ensemble_cfg. Errors as rs_ensemble_load, plus
 * -RS_EBADCFG naming the manifest field. */
int rs_ensemble_load_manifest(rs_ensemble **out, const char *manifest, const char *const *feature_names,
                              uint32_t n_features, uint64_t layout_hash, int isa);
void rs_ensemble_destroy(rs_ensemble *e);
const uint8_t *rs_ensemble_sha256(const rs_ensemble *e);
uint32_t rs_ensemble_n_models(const rs_ensemble *e);
/* Model i (borrowed). */
const rs_model *rs_ensemble_model(const rs_ensemble *e, uint32_t i);
/* Number of values a features record must carry (1 + largest mapped index). */
uint32_t rs_ensemble_n_inputs(const rs_ensemble *e);

/* Evaluate one feature vector v[n] in the producer's layout (hot path, no
 * allocation; uses the ensemble's scratch row, so one thread at a time).
 * Fills raw[n_models], cal[n_models], *weighted. Returns RS_OK, or RS_BAD if
 * n < rs_ensemble_n_inputs. */
int rs_ensemble_eval(rs_ensemble *e, const double *v, uint32_t n, float *raw, float *cal, double *weighted);

/* ---- the stage --------------------------------------------------------------- */

typedef struct rs_model_stage rs_model_stage;

typedef struct rs_model_stage_stats {
    uint64_t predictions;      /* prediction records emitted */
    uint64_t skipped;          /* not ready / intrabar / other record types */
    uint64_t bad;              /* rejected inputs (wrong layout, short, bad symbol) */
    uint64_t swaps;            /* model swaps applied */
    uint64_t swap_refused;     /* swap records with no matching offered ensemble */
} rs_model_stage_stats;

/* Create the stage over an ensemble (ownership passes to the stage), with a
 * z-edge window of z_window bars (>= 2) and z_min (>= 2, <= z_window)
 * values before z-edge is ready. Allocates the per-symbol windows
 * (RS_MAX_SYMBOLS x z_window doubles) at start-up. Returns 0 or -errno /
 * -RS_EBADCFG. */
int rs_model_stage_create(rs_model_stage **out, rs_ensemble *e, uint32_t z_window, uint32_t z_min);
/* Destroy the stage, its ensemble, any offered or retired ensemble. */
void rs_model_stage_destroy(rs_model_stage *st);

/* The pure handler. Inputs:
 *   RS_EV_FEATURES (kind 0 = bar close, ready): one RS_EV_PREDICTION.
 *     intrabar (kind 1) or not-ready vectors: RS_SKIP, nothing emitted.
 *     wrong layout_hash, too few values, symbol out of range: RS_BAD, counted.
 *   RS_EV_MODEL_SWAP: applies the offered ensemble whose hash equals
 *     new_sha256 and re-emits the record; RS_BAD (counted) when there is none.
 *   anything else: RS_SKIP.
 * Returns RS_FULL (nothing changed) when the emitter has no room. No
 * allocation, no clock, no I/O. */
int rs_model_stage_on_event(rs_model_stage *st, const rs_rec *in, rs_emit *out);

/* Control thread: offer a loaded ensemble for the next RS_EV_MODEL_SWAP
 * (ownership passes to the stage). -EBUSY if one is already offered and not
 * yet applied. Release-publishes the pointer (partner: the acquire in the
 * swap handling). */
int rs_model_stage_offer(rs_model_stage *st, rs_ensemble *next);
/* Control thread: take back the ensemble retired by the last swap (caller
 * destroys it), or NULL. */
rs_ensemble *rs_model_stage_reclaim(rs_model_stage *st);
/* The ensemble in use (borrowed; stage thread only). */
const rs_ensemble *rs_model_stage_ensemble(const rs_model_stage *st);
void rs_model_stage_get_stats(const rs_model_stage *st, rs_model_stage_stats *s);

#endif
