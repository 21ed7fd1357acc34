/* Journal summaries (see journal_summary.h). */
#include <inttypes.h>
#include <string.h>

#include "journal_summary.h"
#include "ringside/journal.h"
#include "ringside/risk.h"

void rs_jsummary_init(rs_jsummary *s) { memset(s, 0, sizeof *s); }

void rs_jsummary_add(rs_jsummary *s, const rs_rec *rec)
{
    s->records++;
    s->bytes += rec->len;
    if (rec->type < RS_EV_TYPE_MAX)
        s->per_type[rec->type]++;
    switch (rec->type) {
    case RS_EV_DECISION: {
        const rs_ev_decision *d = (const rs_ev_decision *)rec;
        s->decisions_by_reason[d->reason < RS_JSUM_REASONS ? d->reason : RS_JSUM_REASONS - 1]++;
        break;
    }
    case RS_EV_EXEC_REPORT: {
        const rs_ev_exec_report *x = (const rs_ev_exec_report *)rec;
        if (x->is_fill)
            s->fills++;
        if (x->state == RS_OS_REJECTED)
            s->rejects++;
        break;
    }
    case RS_EV_ORDER:
        if (((const rs_ev_order *)rec)->kind == RS_INT_NEW)
            s->new_orders++;
        break;
    case RS_EV_RISK: {
        const rs_ev_risk *k = (const rs_ev_risk *)rec;
        if (k->action != RS_RISK_INFO && k->action != RS_RISK_RESUME)
            s->risk_trips++;
        break;
    }
    case RS_EV_POSITION: {
        const rs_ev_position *p = (const rs_ev_position *)rec;
        if (p->sym >= RS_MAX_SYMBOLS)
            break;
        int64_t was = s->last_qty[p->sym];
        /* a round trip ends when a position closes or flips through zero */
        if (was != 0 && (p->qty == 0 || (was > 0) != (p->qty > 0)))
            s->trades++;
        s->last_qty[p->sym] = p->qty;
        s->last_pnl[p->sym] = p->realized + p->unrealized;
        s->last_real[p->sym] = p->realized;
        s->last_fees[p->sym] = p->fees;
        break;
    }
    default:
        break;
    }
}

void rs_jsummary_finish(rs_jsummary *s)
{
    s->pnl = s->realized = s->fees = 0;
    for (int i = 0; i < RS_MAX_SYMBOLS; i++) {
        s->pnl += s->last_pnl[i];
        s->realized += s->last_real[i];
        s->fees += s->last_fees[i];
    }
}

int rs_jsummary_read(const char *dir, rs_jsummary *s)
{
    rs_jsummary_init(s);
    rs_journal_reader *r;
    int rc = rs_journal_open(&r, dir);
    if (rc)
        return rc;
    const rs_rec *rec;
    while (rs_journal_next(r, &rec, NULL) == 1)
        rs_jsummary_add(s, rec);
    rs_jsummary_finish(s);
    rs_journal_close(r);
    return 0;
}

const char *rs_jsummary_reason_name(unsigned g)
{
    static const char *names[] = {"all passed", "ready", "warmup", "sigma", "zedge", "ev", "quantile", "vote",
                                  "cooldown", "risk", "fresh_md", "fresh_pos", "position", "size", "limits"};
    return g < sizeof names / sizeof names[0] ? names[g] : "?";
}

static void row_u(FILE *f, const char *name, uint64_t a, uint64_t b)
{
    fprintf(f, "  %-28s %14" PRIu64 " %14" PRIu64 " %+14" PRId64 "\n", name, a, b, (int64_t)(b - a));
}

static void row_d(FILE *f, const char *name, double a, double b)
{
    fprintf(f, "  %-28s %14.2f %14.2f %+14.2f\n", name, a, b, b - a);
}

void rs_jsummary_print_pair(FILE *f, const char *a, const rs_jsummary *sa, const char *b, const rs_jsummary *sb)
{
    fprintf(f, "  %-28s %14s %14s %14s\n", "", a, b, "change");
    row_u(f, "records", sa->records, sb->records);
    row_u(f, "market data (trade+bbo)", sa->per_type[RS_EV_TRADE] + sa->per_type[RS_EV_BBO],
          sb->per_type[RS_EV_TRADE] + sb->per_type[RS_EV_BBO]);
    row_u(f, "bars", sa->per_type[RS_EV_BAR], sb->per_type[RS_EV_BAR]);
    row_u(f, "predictions", sa->per_type[RS_EV_PREDICTION], sb->per_type[RS_EV_PREDICTION]);
    row_u(f, "decisions", sa->per_type[RS_EV_DECISION], sb->per_type[RS_EV_DECISION]);
    for (unsigned g = 0; g < RS_JSUM_REASONS; g++)
        if (sa->decisions_by_reason[g] || sb->decisions_by_reason[g]) {
            char name[48];
            snprintf(name, sizeof name, "  reason %s", rs_jsummary_reason_name(g));
            row_u(f, name, sa->decisions_by_reason[g], sb->decisions_by_reason[g]);
        }
    row_u(f, "intents", sa->per_type[RS_EV_INTENT], sb->per_type[RS_EV_INTENT]);
    row_u(f, "venue requests", sa->per_type[RS_EV_ORDER], sb->per_type[RS_EV_ORDER]);
    row_u(f, "  new orders", sa->new_orders, sb->new_orders);
    row_u(f, "fills", sa->fills, sb->fills);
    row_u(f, "rejects", sa->rejects, sb->rejects);
    row_u(f, "trades (round trips)", sa->trades, sb->trades);
    row_u(f, "risk events", sa->per_type[RS_EV_RISK], sb->per_type[RS_EV_RISK]);
    row_u(f, "risk trips", sa->risk_trips, sb->risk_trips);
    row_d(f, "PnL (realised+unrealised)", sa->pnl, sb->pnl);
    row_d(f, "  realised", sa->realized, sb->realized);
    row_d(f, "fees", sa->fees, sb->fees);
}

void rs_jsummary_write_json(FILE *f, const rs_jsummary *s)
{
    fprintf(f,
            "{\"records\":%" PRIu64 ",\"bars\":%" PRIu64 ",\"predictions\":%" PRIu64 ",\"decisions\":%" PRIu64
            ",\"decisions_by_reason\":{",
            s->records, s->per_type[RS_EV_BAR], s->per_type[RS_EV_PREDICTION], s->per_type[RS_EV_DECISION]);
    int n = 0;
    for (unsigned g = 0; g < RS_JSUM_REASONS; g++)
        if (s->decisions_by_reason[g])
            fprintf(f, "%s\"%s\":%" PRIu64, n++ ? "," : "", rs_jsummary_reason_name(g), s->decisions_by_reason[g]);
    fprintf(f,
            "},\"intents\":%" PRIu64 ",\"orders\":%" PRIu64 ",\"new_orders\":%" PRIu64 ",\"fills\":%" PRIu64 ",\"rejects\":%" PRIu64
            ",\"trades\":%" PRIu64 ",\"risk_events\":%" PRIu64 ",\"risk_trips\":%" PRIu64
            ",\"pnl\":%.6f,\"realized_pnl\":%.6f,\"fees\":%.6f}",
            s->per_type[RS_EV_INTENT], s->per_type[RS_EV_ORDER], s->new_orders, s->fills, s->rejects, s->trades,
            s->per_type[RS_EV_RISK], s->risk_trips, s->pnl, s->realized, s->fees);
}
