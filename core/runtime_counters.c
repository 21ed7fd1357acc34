#include "ringside/runtime_counters.h"

static const char *const names[RS_CNT__COUNT] = {
    [RS_CNT_MD_EVENTS] = "md_events", [RS_CNT_BAD_INPUT] = "bad_input", [RS_CNT_BARS] = "bars",
    [RS_CNT_PREDICTIONS] = "predictions", [RS_CNT_DECISIONS] = "decisions", [RS_CNT_INTENTS] = "intents",
    [RS_CNT_ORDERS] = "orders", [RS_CNT_FILLS] = "fills", [RS_CNT_REJECTS] = "rejects",
    [RS_CNT_RISK_TRIPS] = "risk_trips", [RS_CNT_PNL_MICRO] = "pnl", [RS_CNT_FEES_MICRO] = "fees",
    [RS_CNT_GROSS_MICRO] = "gross_exposure", [RS_CNT_POSITIONS] = "open_positions",
    [RS_CNT_T2O_P50_NS] = "tick_to_order_p50_ns", [RS_CNT_T2O_P99_NS] = "tick_to_order_p99_ns",
    [RS_CNT_T2O_COUNT] = "tick_to_order_count",
    [RS_CNT_STAGE_P50_NS + 0] = "feed_p50_ns", [RS_CNT_STAGE_P50_NS + 1] = "features_p50_ns",
    [RS_CNT_STAGE_P50_NS + 2] = "model_p50_ns", [RS_CNT_STAGE_P50_NS + 3] = "gate_p50_ns",
    [RS_CNT_STAGE_P50_NS + 4] = "exec_p50_ns",
    [RS_CNT_STAGE_P99_NS + 0] = "feed_p99_ns", [RS_CNT_STAGE_P99_NS + 1] = "features_p99_ns",
    [RS_CNT_STAGE_P99_NS + 2] = "model_p99_ns", [RS_CNT_STAGE_P99_NS + 3] = "gate_p99_ns",
    [RS_CNT_STAGE_P99_NS + 4] = "exec_p99_ns",
    [RS_CNT_CIRCUITS] = "circuits_tripped_mask", [RS_CNT_RECORDER_LAG] = "recorder_lag",
    [RS_CNT_STALE_SYMBOLS] = "stale_symbols", [RS_CNT_RECONNECTS] = "reconnects",
    [RS_CNT_MODEL_SHA] = "model", [RS_CNT_MODEL_SWAPS] = "model_swaps", [RS_CNT_MODEL_REFUSED] = "model_refused",
};

const char *rs_counter_name(unsigned c) { return c < RS_CNT__COUNT && names[c] ? names[c] : "?"; }

void rs_counters_print(FILE *f, const rs_region_hdr *h)
{
    fprintf(f, "\ncounters:");
    int col = 0;
    for (unsigned c = 0; c < RS_CNT__COUNT; c++) {
        uint64_t v = rs_load_relaxed((rs_atomic_u64 *)&h->counters[c]);
        if (!v || !names[c])
            continue;
        if (col++ % 4 == 0)
            fprintf(f, "\n ");
        if (c == RS_CNT_MODEL_SHA)
            fprintf(f, " %-22s %16llx", names[c], (unsigned long long)v);
        else if (c == RS_CNT_PNL_MICRO || c == RS_CNT_FEES_MICRO || c == RS_CNT_GROSS_MICRO)
            fprintf(f, " %-22s %12.2f", names[c], (double)(int64_t)v / 1e6);
        else
            fprintf(f, " %-22s %12llu", names[c], (unsigned long long)v);
    }
    fprintf(f, "\n");
}
