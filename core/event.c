/* Record type and stream names, and the schema hash stored in region and
 * journal headers. */
#include <stddef.h>
#include <string.h>

#include "ringside/event.h"

static const char *const type_names[RS_EV_TYPE_MAX] = {
    [RS_EV_TRADE] = "trade",        [RS_EV_BBO] = "bbo",
    [RS_EV_DEPTH] = "depth",        [RS_EV_MARK] = "mark",
    [RS_EV_TIMER] = "timer",        [RS_EV_FRESHNESS] = "freshness",
    [RS_EV_RAW_FRAME] = "raw",      [RS_EV_BAD_INPUT] = "bad_input",
    [RS_EV_BAR] = "bar",            [RS_EV_FEATURES] = "features",
    [RS_EV_PREDICTION] = "prediction", [RS_EV_MODEL_SWAP] = "model_swap",
    [RS_EV_DECISION] = "decision",  [RS_EV_INTENT] = "intent",
    [RS_EV_RISK] = "risk",          [RS_EV_POSITION] = "position",
    [RS_EV_ORDER] = "order",        [RS_EV_EXEC_REPORT] = "exec_report",
    [RS_EV_VENUE_MSG] = "venue_msg", [RS_EV_CONTROL] = "control",
    [RS_EV_STEP] = "step",          [RS_EV_GAP] = "gap",
    [RS_EV_ALARM] = "alarm",        [RS_EV_BLOB] = "blob",
};

const char *rs_ev_type_name(uint16_t type)
{
    return type < RS_EV_TYPE_MAX ? type_names[type] : NULL;
}

uint16_t rs_ev_type_from_name(const char *name)
{
    for (uint16_t t = 1; t < RS_EV_TYPE_MAX; t++)
        if (type_names[t] && strcmp(type_names[t], name) == 0)
            return t;
    return RS_EV_NONE;
}

static const char *const stream_names[RS_STREAM_MAX] = {
    [RS_STREAM_MD] = "md",         [RS_STREAM_MARK] = "mark",
    [RS_STREAM_FEAT] = "feat",     [RS_STREAM_PRED] = "pred",
    [RS_STREAM_INTENT] = "intent", [RS_STREAM_EXEC] = "exec",
    [RS_STREAM_CTL] = "ctl",       [RS_STREAM_RAW] = "raw",
    [RS_STREAM_VENUE] = "venue",   [RS_STREAM_MARK_X] = "mark_x",
    [RS_STREAM_CTL_MODEL] = "ctl_model", [RS_STREAM_BAR_G] = "bar_g",
};

const char *rs_stream_name(uint16_t stream)
{
    return stream < RS_STREAM_MAX ? stream_names[stream] : NULL;
}

/* FNV-1a over the version and the size of every payload type. Any layout
 * change that alters a size changes the hash; a change that keeps sizes must
 * bump RS_SCHEMA_VERSION by hand. */
uint64_t rs_schema_hash(void)
{
    const uint64_t parts[] = {
        RS_SCHEMA_VERSION,
        sizeof(rs_rec), sizeof(rs_ev_trade), sizeof(rs_ev_bbo), sizeof(rs_ev_depth),
        sizeof(rs_ev_mark), sizeof(rs_ev_timer), sizeof(rs_ev_freshness), sizeof(rs_ev_raw),
        sizeof(rs_ev_bad_input), sizeof(rs_ev_bar), sizeof(rs_ev_features),
        sizeof(rs_ev_prediction), sizeof(rs_ev_model_swap), sizeof(rs_ev_decision),
        sizeof(rs_gate_verdict), sizeof(rs_ev_intent), sizeof(rs_ev_risk),
        sizeof(rs_ev_position), sizeof(rs_ev_order), sizeof(rs_ev_exec_report),
        sizeof(rs_ev_control), sizeof(rs_ev_step), sizeof(rs_ev_gap), sizeof(rs_ev_alarm),
        sizeof(rs_ev_blob),
    };
    uint64_t h = 1469598103934665603ull;
    const unsigned char *p = (const unsigned char *)parts;
    for (size_t i = 0; i < sizeof parts; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}
