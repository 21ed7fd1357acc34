/* ringside/runtime_counters.h -- names of the region's engine-wide counters
 * (rs_region_hdr.counters[]), written by the runtime with relaxed stores and
 * read by `ringside top` / `ctl status` from another process. Signed values
 * (PnL) are stored as two's complement; money is in micro-units of quote. */
#ifndef RINGSIDE_RUNTIME_COUNTERS_H
#define RINGSIDE_RUNTIME_COUNTERS_H

#include <stdio.h>

#include "ringside/region.h"

enum rs_counter {
    RS_CNT_MD_EVENTS = 0,   /* market-data records published */
    RS_CNT_BAD_INPUT,       /* rejected inputs (all sources) */
    RS_CNT_BARS,
    RS_CNT_PREDICTIONS,
    RS_CNT_DECISIONS,
    RS_CNT_INTENTS,
    RS_CNT_ORDERS,
    RS_CNT_FILLS,
    RS_CNT_REJECTS,
    RS_CNT_RISK_TRIPS,
    RS_CNT_PNL_MICRO,       /* realised + unrealised, micro quote units (signed) */
    RS_CNT_FEES_MICRO,
    RS_CNT_GROSS_MICRO,     /* gross exposure */
    RS_CNT_POSITIONS,       /* symbols with a non-zero position */
    RS_CNT_T2O_P50_NS,      /* tick-to-order latency percentiles (runtime histogram) */
    RS_CNT_T2O_P99_NS,
    RS_CNT_T2O_COUNT,
    RS_CNT_STAGE_P50_NS,    /* per-stage p50, 5 stages: feed, features, model, gate, exec */
    RS_CNT_STAGE_P50_NS_END = RS_CNT_STAGE_P50_NS + 5,
    RS_CNT_STAGE_P99_NS = RS_CNT_STAGE_P50_NS_END,
    RS_CNT_STAGE_P99_NS_END = RS_CNT_STAGE_P99_NS + 5,
    RS_CNT_CIRCUITS,        /* bit mask of tripped circuits */
    RS_CNT_RECORDER_LAG,    /* records not yet journaled (max over rings) */
    RS_CNT_STALE_SYMBOLS,
    RS_CNT_RECONNECTS,
    RS_CNT_MODEL_SHA,       /* first 8 bytes of the ensemble hash in use, big-endian (printed as hex) */
    RS_CNT_MODEL_SWAPS,     /* model hot swaps applied */
    RS_CNT_MODEL_REFUSED,   /* reload-model commands refused */
    RS_CNT__COUNT
};
static_assert(RS_CNT__COUNT <= RS_REGION_COUNTERS, "counters fit the region");

/* Name of a counter ("md_events", ...). */
const char *rs_counter_name(unsigned c);
/* Print the non-zero counters, human-readable. */
void rs_counters_print(FILE *f, const rs_region_hdr *h);

#endif
