/* One-line human-readable record dumps (replay divergences, debugging). */
#include <inttypes.h>
#include <stdio.h>

#include "ringside/replay.h"

void rs_rec_fprint(FILE *f, const rs_rec *r)
{
    const char *tn = rs_ev_type_name(r->type);
    const char *sn = rs_stream_name(r->stream);
    fprintf(f, "%s/%" PRIu64 " %s ts=%" PRId64 " len=%u", sn ? sn : "?", r->seq, tn ? tn : "?", r->ts, r->len);
    switch (r->type) {
    case RS_EV_TRADE: {
        const rs_ev_trade *t = (const rs_ev_trade *)r;
        fprintf(f, " sym=%u id=%" PRIu64 " px=%" PRId64 " qty=%" PRId64 " side=%u", t->sym, t->trade_id, t->px, t->qty,
                t->side);
        break;
    }
    case RS_EV_MARK: {
        const rs_ev_mark *m = (const rs_ev_mark *)r;
        fprintf(f, " sym=%u last=%" PRId64 " bid=%" PRId64 " ask=%" PRId64, m->sym, m->last_px, m->bid_px, m->ask_px);
        break;
    }
    case RS_EV_TIMER:
        fprintf(f, " tick=%" PRIu64, ((const rs_ev_timer *)r)->tick);
        break;
    case RS_EV_BAR: {
        const rs_ev_bar *b = (const rs_ev_bar *)r;
        fprintf(f, " sym=%u end=%" PRId64 " o=%.10g h=%.10g l=%.10g c=%.10g v=%.10g n=%" PRIu64 " flags=%#x", b->sym,
                b->end_ns, b->open, b->high, b->low, b->close, b->volume, b->count, b->flags);
        break;
    }
    case RS_EV_FEATURES: {
        const rs_ev_features *x = (const rs_ev_features *)r;
        fprintf(f, " sym=%u end=%" PRId64 " ready=%u n=%u", x->sym, x->bar_end_ns, x->ready, x->n);
        for (uint32_t i = 0; i < x->n && i < 4; i++)
            fprintf(f, " v%u=%.17g", i, x->v[i]);
        break;
    }
    case RS_EV_PREDICTION: {
        const rs_ev_prediction *p = (const rs_ev_prediction *)r;
        fprintf(f, " sym=%u end=%" PRId64 " raw0=%.9g weighted_bps=%.17g z=%.17g ready=%u", p->sym, p->bar_end_ns,
                (double)p->raw[0], p->weighted_bps, p->z_edge, p->ready);
        break;
    }
    case RS_EV_DECISION: {
        const rs_ev_decision *d = (const rs_ev_decision *)r;
        fprintf(f, " sym=%u action=%u reason=%u z=%.9g bps=%.9g size=%.9g gates=%u", d->sym, d->action, d->reason,
                d->z_edge, d->weighted_bps, d->size, d->n);
        break;
    }
    case RS_EV_INTENT: {
        const rs_ev_intent *i = (const rs_ev_intent *)r;
        fprintf(f, " sym=%u kind=%u side=%u type=%u purpose=%u cid=%#" PRIx64 " px=%" PRId64 " qty=%" PRId64, i->sym,
                i->kind, i->side, i->ord_type, i->purpose, i->client_id, i->px, i->qty);
        break;
    }
    case RS_EV_EXEC_REPORT: {
        const rs_ev_exec_report *x = (const rs_ev_exec_report *)r;
        fprintf(f, " sym=%u cid=%#" PRIx64 " state=%u fill=%u px=%" PRId64 " qty=%" PRId64 " cum=%" PRId64
                   " trade=%" PRIu64 " reject=%d",
                x->sym, x->client_id, x->state, x->is_fill, x->last_px, x->last_qty, x->cum_qty, x->trade_id,
                x->reject_code);
        break;
    }
    case RS_EV_RISK: {
        const rs_ev_risk *k = (const rs_ev_risk *)r;
        fprintf(f, " circuit=%u sym=%u action=%u value=%.9g limit=%.9g '%.64s'", k->circuit, k->sym, k->action,
                k->value, k->limit, k->text);
        break;
    }
    case RS_EV_STEP: {
        const rs_ev_step *s = (const rs_ev_step *)r;
        const char *in = rs_stream_name(s->in_stream);
        const char *pv = rs_stream_name(s->prev_stream);
        fprintf(f, " stage=%u in=%s first=%" PRIu64 " prev=%s last=%" PRIu64, s->stage, in ? in : "end", s->first_seq,
                pv ? pv : "none", s->prev_last_seq);
        break;
    }
    case RS_EV_CONTROL: {
        const rs_ev_control *c = (const rs_ev_control *)r;
        fprintf(f, " cmd=%u arg='%.64s'", c->cmd, c->arg);
        break;
    }
    default:
        break;
    }
    fputc('\n', f);
}
