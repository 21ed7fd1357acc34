/* Record formatting for `ringside journal cat`: one field emitter, two
 * spellings (text "name=value" and JSON), so both outputs always carry the
 * same fields for every record type of ringside/event.h. Prices and
 * quantities are printed as the fixed-point mantissas stored in the record
 * (scale: the instrument's px_exp / qty_exp). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "journal_fmt.h"
#include "ringside/gate.h"

typedef struct em {
    FILE *f;
    bool json;
    int n;
} em;

static void key(em *e, const char *k)
{
    if (e->json)
        fprintf(e->f, "%s\"%s\":", e->n++ ? "," : "", k);
    else
        fprintf(e->f, "%s%s=", e->n++ ? " " : "", k);
}

static void fi(em *e, const char *k, int64_t v)
{
    key(e, k);
    fprintf(e->f, "%" PRId64, v);
}

static void fu(em *e, const char *k, uint64_t v)
{
    key(e, k);
    fprintf(e->f, "%" PRIu64, v);
}

static void fd(em *e, const char *k, double v)
{
    key(e, k);
    if (isfinite(v))
        fprintf(e->f, "%.17g", v);
    else
        fputs(e->json ? "null" : (isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"), e->f);
}

/* String from a fixed-size char field (may lack a NUL). */
static void fsn(em *e, const char *k, const char *s, size_t max)
{
    key(e, k);
    size_t n = strnlen(s, max);
    if (e->json)
        fputc('"', e->f);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (e->json && (c == '"' || c == '\\'))
            fprintf(e->f, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f || (!e->json && c == ' '))
            fprintf(e->f, e->json ? "\\u%04x" : "\\x%02x", c);
        else
            fputc(c, e->f);
    }
    if (e->json)
        fputc('"', e->f);
}

static void fs(em *e, const char *k, const char *s) { fsn(e, k, s ? s : "", 4096); }

static void fhex(em *e, const char *k, const uint8_t *p, size_t n)
{
    key(e, k);
    if (e->json)
        fputc('"', e->f);
    for (size_t i = 0; i < n; i++)
        fprintf(e->f, "%02x", p[i]);
    if (e->json)
        fputc('"', e->f);
}

static void arr_open(em *e, const char *k)
{
    key(e, k);
    fputc('[', e->f);
}

static void arr_close(em *e) { fputc(']', e->f); }

static void arr_d(em *e, int i, double v)
{
    if (i)
        fputc(',', e->f);
    if (isfinite(v))
        fprintf(e->f, "%.17g", v);
    else
        fputs(e->json ? "null" : (isnan(v) ? "nan" : v > 0 ? "inf" : "-inf"), e->f);
}

static const char *side_name(unsigned s) { return s == 1 ? "buy" : s == 2 ? "sell" : "none"; }

/* The payload must be at least `sz` bytes, else it is reported, not read. */
#define NEED(T)                                                          \
    if (r->len < sizeof(T)) {                                            \
        fs(e, "error", "record shorter than its type's layout");         \
        return;                                                          \
    }                                                                    \
    const T *p = (const T *)r

static void payload(em *e, const rs_rec *r)
{
    switch (r->type) {
    case RS_EV_TRADE: {
        NEED(rs_ev_trade);
        fu(e, "sym", p->sym), fu(e, "venue", p->venue), fs(e, "side", side_name(p->side));
        fu(e, "flags", p->flags), fu(e, "trade_id", p->trade_id), fi(e, "px", p->px), fi(e, "qty", p->qty);
        fi(e, "event_ms", p->event_ms), fi(e, "trade_ms", p->trade_ms);
        break;
    }
    case RS_EV_BBO: {
        NEED(rs_ev_bbo);
        fu(e, "sym", p->sym), fu(e, "venue", p->venue), fu(e, "update_id", p->update_id);
        fi(e, "bid_px", p->bid_px), fi(e, "bid_qty", p->bid_qty), fi(e, "ask_px", p->ask_px);
        fi(e, "ask_qty", p->ask_qty), fi(e, "event_ms", p->event_ms);
        break;
    }
    case RS_EV_DEPTH: {
        NEED(rs_ev_depth);
        fu(e, "sym", p->sym), fu(e, "venue", p->venue), fu(e, "n_bids", p->n_bids), fu(e, "n_asks", p->n_asks);
        fu(e, "first_update_id", p->first_update_id), fu(e, "final_update_id", p->final_update_id);
        fu(e, "prev_final_update_id", p->prev_final_update_id), fi(e, "event_ms", p->event_ms);
        size_t nl = (r->len - sizeof *p) / sizeof(rs_level);
        size_t want = (size_t)p->n_bids + p->n_asks;
        if (want > nl) {
            fs(e, "error", "level count exceeds record length");
            break;
        }
        key(e, "levels");
        fputc('[', e->f);
        for (size_t i = 0; i < want; i++)
            fprintf(e->f, "%s[%" PRId64 ",%" PRId64 "]", i ? "," : "", p->levels[i].px, p->levels[i].qty);
        fputc(']', e->f);
        break;
    }
    case RS_EV_MARK: {
        NEED(rs_ev_mark);
        fu(e, "sym", p->sym), fi(e, "last_px", p->last_px), fi(e, "bid_px", p->bid_px);
        fi(e, "ask_px", p->ask_px), fi(e, "md_ts", p->md_ts);
        break;
    }
    case RS_EV_TIMER: {
        NEED(rs_ev_timer);
        fu(e, "tick", p->tick), fi(e, "period_ns", p->period_ns);
        break;
    }
    case RS_EV_FRESHNESS: {
        NEED(rs_ev_freshness);
        fu(e, "sym", p->sym), fu(e, "state", p->state), fu(e, "conn", p->conn);
        fi(e, "last_md_ts", p->last_md_ts), fi(e, "age_ns", p->age_ns);
        break;
    }
    case RS_EV_RAW_FRAME:
    case RS_EV_VENUE_MSG: {
        NEED(rs_ev_raw);
        fu(e, "conn", p->conn), fu(e, "n", p->n);
        size_t avail = r->len - sizeof *p;
        fsn(e, "data", (const char *)p->data, p->n < avail ? p->n : avail);
        break;
    }
    case RS_EV_BAD_INPUT: {
        NEED(rs_ev_bad_input);
        fu(e, "source", p->source), fu(e, "reason", p->reason), fu(e, "conn", p->conn);
        fu(e, "offset", p->offset), fsn(e, "field", p->field, sizeof p->field), fu(e, "n", p->n);
        size_t avail = r->len - sizeof *p;
        fsn(e, "data", (const char *)p->data, p->n < avail ? p->n : avail);
        break;
    }
    case RS_EV_BAR: {
        NEED(rs_ev_bar);
        fu(e, "sym", p->sym), fu(e, "flags", p->flags), fi(e, "start_ns", p->start_ns), fi(e, "end_ns", p->end_ns);
        fd(e, "open", p->open), fd(e, "high", p->high), fd(e, "low", p->low), fd(e, "close", p->close);
        fd(e, "volume", p->volume), fd(e, "quote_volume", p->quote_volume), fd(e, "vwap", p->vwap);
        fd(e, "taker_buy_volume", p->taker_buy_volume), fu(e, "count", p->count);
        break;
    }
    case RS_EV_FEATURES: {
        NEED(rs_ev_features);
        fu(e, "sym", p->sym), fu(e, "ready", p->ready), fu(e, "kind", p->kind), fu(e, "n", p->n);
        fi(e, "bar_end_ns", p->bar_end_ns), fu(e, "layout_hash", p->layout_hash);
        size_t avail = (r->len - sizeof *p) / sizeof(double);
        if (p->n > avail) {
            fs(e, "error", "value count exceeds record length");
            break;
        }
        arr_open(e, "v");
        for (uint32_t i = 0; i < p->n; i++)
            arr_d(e, (int)i, p->v[i]);
        arr_close(e);
        break;
    }
    case RS_EV_PREDICTION: {
        NEED(rs_ev_prediction);
        unsigned nh = p->n_horizons < RS_MAX_HORIZONS ? p->n_horizons : RS_MAX_HORIZONS;
        fu(e, "sym", p->sym), fu(e, "n_horizons", p->n_horizons), fu(e, "ready", p->ready);
        fi(e, "bar_end_ns", p->bar_end_ns), fhex(e, "model_sha256", p->model_sha256, 32);
        arr_open(e, "raw");
        for (unsigned i = 0; i < nh; i++)
            arr_d(e, (int)i, p->raw[i]);
        arr_close(e);
        arr_open(e, "cal");
        for (unsigned i = 0; i < nh; i++)
            arr_d(e, (int)i, p->cal[i]);
        arr_close(e);
        fd(e, "weighted_bps", p->weighted_bps), fd(e, "z_edge", p->z_edge);
        fd(e, "roll_mean", p->roll_mean), fd(e, "roll_std", p->roll_std);
        break;
    }
    case RS_EV_MODEL_SWAP: {
        NEED(rs_ev_model_swap);
        fhex(e, "old_sha256", p->old_sha256, 32), fhex(e, "new_sha256", p->new_sha256, 32);
        fsn(e, "path", p->path, sizeof p->path);
        break;
    }
    case RS_EV_DECISION: {
        NEED(rs_ev_decision);
        fu(e, "sym", p->sym), fu(e, "action", p->action), fu(e, "n", p->n), fu(e, "reason", p->reason);
        fs(e, "reason_name", p->reason ? rs_gate_name(p->reason) : "all passed");
        fi(e, "bar_end_ns", p->bar_end_ns), fd(e, "z_edge", p->z_edge), fd(e, "weighted_bps", p->weighted_bps);
        fd(e, "size", p->size);
        size_t avail = (r->len - sizeof *p) / sizeof(rs_gate_verdict);
        if (p->n > avail) {
            fs(e, "error", "verdict count exceeds record length");
            break;
        }
        key(e, "gates");
        fputc('[', e->f);
        for (unsigned i = 0; i < p->n; i++) {
            em sub = {e->f, e->json, 0};
            fputs(i ? (e->json ? ",{" : ",{") : "{", e->f);
            fu(&sub, "gate", p->g[i].gate), fs(&sub, "name", rs_gate_name(p->g[i].gate)), fu(&sub, "pass", p->g[i].pass);
            fd(&sub, "value", p->g[i].value), fd(&sub, "threshold", p->g[i].threshold);
            fputc('}', e->f);
        }
        fputc(']', e->f);
        break;
    }
    case RS_EV_INTENT: {
        NEED(rs_ev_intent);
        fu(e, "sym", p->sym), fu(e, "kind", p->kind), fs(e, "side", side_name(p->side));
        fu(e, "ord_type", p->ord_type), fu(e, "purpose", p->purpose), fu(e, "reduce_only", p->reduce_only);
        fu(e, "tif", p->tif), fu(e, "client_id", p->client_id), fu(e, "target_id", p->target_id);
        fi(e, "px", p->px), fi(e, "qty", p->qty);
        break;
    }
    case RS_EV_RISK: {
        NEED(rs_ev_risk);
        fu(e, "circuit", p->circuit), fu(e, "sym", p->sym), fu(e, "action", p->action);
        fd(e, "value", p->value), fd(e, "limit", p->limit), fsn(e, "text", p->text, sizeof p->text);
        break;
    }
    case RS_EV_POSITION: {
        NEED(rs_ev_position);
        fu(e, "sym", p->sym), fi(e, "qty", p->qty), fd(e, "avg_px", p->avg_px), fd(e, "mark_px", p->mark_px);
        fd(e, "realized", p->realized), fd(e, "unrealized", p->unrealized), fd(e, "fees", p->fees);
        fd(e, "equity", p->equity), fd(e, "peak_equity", p->peak_equity);
        break;
    }
    case RS_EV_ORDER: {
        NEED(rs_ev_order);
        fu(e, "sym", p->sym), fs(e, "side", side_name(p->side)), fu(e, "ord_type", p->ord_type);
        fu(e, "kind", p->kind), fu(e, "tif", p->tif), fu(e, "reduce_only", p->reduce_only);
        fu(e, "client_id", p->client_id), fi(e, "px", p->px), fi(e, "qty", p->qty);
        fu(e, "wire_bytes", p->wire_bytes), fu(e, "attempt", p->attempt);
        break;
    }
    case RS_EV_EXEC_REPORT: {
        NEED(rs_ev_exec_report);
        fu(e, "sym", p->sym), fu(e, "state", p->state), fs(e, "side", side_name(p->side));
        fu(e, "is_fill", p->is_fill), fu(e, "liquidity", p->liquidity), fu(e, "source", p->source);
        fu(e, "client_id", p->client_id), fu(e, "venue_order_id", p->venue_order_id);
        fu(e, "trade_id", p->trade_id), fi(e, "last_px", p->last_px), fi(e, "last_qty", p->last_qty);
        fi(e, "cum_qty", p->cum_qty), fi(e, "leaves_qty", p->leaves_qty), fd(e, "fee", p->fee);
        fi(e, "reject_code", p->reject_code);
        break;
    }
    case RS_EV_CONTROL: {
        NEED(rs_ev_control);
        fu(e, "cmd", p->cmd), fu(e, "sym", p->sym), fsn(e, "arg", p->arg, sizeof p->arg);
        break;
    }
    case RS_EV_STEP: {
        NEED(rs_ev_step);
        fu(e, "stage", p->stage), fs(e, "in_stream", rs_stream_name(p->in_stream));
        fs(e, "prev_stream", rs_stream_name(p->prev_stream)), fu(e, "first_seq", p->first_seq);
        fu(e, "prev_last_seq", p->prev_last_seq);
        break;
    }
    case RS_EV_GAP: {
        NEED(rs_ev_gap);
        fs(e, "gap_stream", rs_stream_name(p->gap_stream)), fu(e, "reason", p->reason);
        fu(e, "from_seq", p->from_seq), fu(e, "to_seq", p->to_seq);
        break;
    }
    case RS_EV_ALARM: {
        NEED(rs_ev_alarm);
        fu(e, "code", p->code), fsn(e, "text", p->text, sizeof p->text);
        break;
    }
    case RS_EV_BLOB: {
        NEED(rs_ev_blob);
        fhex(e, "sha256", p->sha256, 32), fu(e, "kind", p->kind), fu(e, "size", p->size);
        fu(e, "offset", p->offset), fu(e, "chunk_len", p->chunk_len), fsn(e, "name", p->name, sizeof p->name);
        break;
    }
    default:
        fu(e, "payload_bytes", r->len - sizeof(rs_rec));
        break;
    }
}

void rs_jfmt_record(FILE *f, const rs_rec *r, uint64_t gseq, bool json)
{
    em e = {f, json, 0};
    if (json)
        fputc('{', f);
    fu(&e, "gseq", gseq);
    const char *sn = r->stream == 0 ? "recorder" : rs_stream_name(r->stream);
    if (sn)
        fs(&e, "stream", sn);
    else
        fu(&e, "stream", r->stream);
    fu(&e, "seq", r->seq);
    const char *tn = rs_ev_type_name(r->type);
    if (tn)
        fs(&e, "type", tn);
    else
        fu(&e, "type", r->type);
    fi(&e, "ts", r->ts);
    fi(&e, "ts_local", r->ts_local);
    fu(&e, "len", r->len);
    payload(&e, r);
    fputs(json ? "}\n" : "\n", f);
}
