/* ringside/replay.h -- re-run stages from journaled records and compare.
 *
 * Verify mode: every stage is re-run on ITS OWN journaled inputs (a stage's
 * inputs are other stages' journaled outputs or journaled external inputs),
 * in the recorded consumption order (single input: stream order; several
 * inputs: the RS_EV_STEP records on its output stream), and every record it
 * emits is compared with the journaled one: type, length, stream, seq, ts
 * and payload bytes. Only ts_local (local wall-clock stamp) is ignored. So a
 * divergence is pinned to one stage and one input record.
 */
#ifndef RINGSIDE_REPLAY_H
#define RINGSIDE_REPLAY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ringside/runtime.h"

typedef struct rs_replay_set {
    const rs_rec **recs;        /* journal records in global (journal) order */
    size_t n;
} rs_replay_set;

typedef struct rs_replay_report {
    uint64_t compared;           /* output records compared */
    uint64_t inputs;             /* input records fed to handlers */
    uint64_t divergences;        /* 0 expected */
    uint64_t per_stage_compared[RS_SID_MAX];
    int first_stage;             /* stage of the first divergence, -1 if none */
    const rs_rec *first_input;   /* the input being handled at the first divergence */
    const rs_rec *expected;      /* journaled record (NULL: journal had none) */
    rs_rec *got;                 /* re-computed record (copy; NULL: stage emitted none) */
    uint8_t got_buf[RS_REC_MAX];
    char what[256];              /* what differed */
    double seconds;
} rs_replay_report;

/* Verify `stages` (fresh states, built from the journal's embedded config and
 * models) against the journal. Returns 0 (ran; see rep->divergences) or
 * -errno with a message (e.g. out of memory, inconsistent journal). */
int rs_replay_verify(const rs_replay_set *set, rs_stage_def *stages, unsigned n_stages, rs_replay_report *rep);

/* Print the first divergence with up to `context` preceding inputs of that
 * stage (record dumps via rs_rec_fprint). */
void rs_replay_print_divergence(FILE *f, const rs_replay_set *set, const rs_replay_report *rep, unsigned context);

/* One-line human-readable dump of a record (type name, stream, seq, ts and
 * the main payload fields). */
void rs_rec_fprint(FILE *f, const rs_rec *r);

#endif
