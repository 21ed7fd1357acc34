/* tools/journal_summary.h -- what a session did, counted from its journal:
 * shared by `ringside run` (end-of-run summary) and `ringside replay
 * --what-if` (side-by-side summary of the source journal and the what-if).
 *
 * Everything comes from journaled records, so a live session and its
 * what-if are counted by the same rules:
 *   decisions_by_reason  RS_EV_DECISION by reason (first failing gate; 0 = all passed)
 *   intents / orders     RS_EV_INTENT / RS_EV_ORDER records (orders: every request
 *                        on the wire -- places, cancels, queries; new_orders: places)
 *   fills, rejects       RS_EV_EXEC_REPORT with is_fill / state REJECTED
 *   trades               round trips: a symbol's position (RS_EV_POSITION qty)
 *                        going from non-zero to zero or flipping sign
 *   risk_trips           RS_EV_RISK with an action (pause, kill, cut, escalate);
 *                        informational and resume records are not trips
 *   pnl, realized, fees  sums over symbols of each symbol's LAST position
 *                        record (realized + unrealized, realized, fees)
 */
#ifndef RS_TOOLS_JOURNAL_SUMMARY_H
#define RS_TOOLS_JOURNAL_SUMMARY_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ringside/event.h"

#define RS_JSUM_REASONS 32

typedef struct rs_jsummary {
    uint64_t per_type[RS_EV_TYPE_MAX];
    uint64_t records, bytes;
    uint64_t decisions_by_reason[RS_JSUM_REASONS];
    uint64_t new_orders, fills, rejects, trades, risk_trips;
    double pnl, realized, fees;
    double wall;
    /* running state (rs_jsummary_add) */
    int64_t last_qty[RS_MAX_SYMBOLS];
    double last_pnl[RS_MAX_SYMBOLS], last_real[RS_MAX_SYMBOLS], last_fees[RS_MAX_SYMBOLS];
} rs_jsummary;

/* Start a summary (clears s). */
void rs_jsummary_init(rs_jsummary *s);
/* Count one record (journal order). */
void rs_jsummary_add(rs_jsummary *s, const rs_rec *r);
/* Fold the per-symbol state into pnl / realized / fees. Idempotent. */
void rs_jsummary_finish(rs_jsummary *s);

/* Read the journal at dir and summarise it (init + add every good record +
 * finish). Returns 0, or a negative code with the message naming the
 * journal (s then holds what was read). */
int rs_jsummary_read(const char *dir, rs_jsummary *s);

/* Name of a decision reason (the gate that failed first; 0 = "all passed"). */
const char *rs_jsummary_reason_name(unsigned reason);

/* The two-column table of `replay --what-if` (labels a and b). */
void rs_jsummary_print_pair(FILE *f, const char *a, const rs_jsummary *sa, const char *b, const rs_jsummary *sb);

/* The summary as one JSON object (no trailing newline), keys documented in
 * docs/replay.md: records, bars, predictions, decisions, decisions_by_reason
 * {name: n}, intents, orders, new_orders, fills, rejects, trades, risk_events,
 * risk_trips, pnl, realized_pnl, fees. */
void rs_jsummary_write_json(FILE *f, const rs_jsummary *s);

#endif
