#include <string.h>
#include <time.h>

#include "region_view.h"
#include "ringside/exec_stage.h"
#include "ringside/risk.h"
#include "ringside/runtime.h"
#include "ringside/runtime_counters.h"
#include "ringside/tsc.h"

void rs_region_snap_take(const rs_region *r, rs_region_snap *s)
{
    const rs_region_hdr *h = r->hdr;
    s->t_ns = rs_now_ns();
    for (uint32_t i = 0; i < h->n_rings; i++) {
        const rs_spsc_hdr *rh = (const rs_spsc_hdr *)((const uint8_t *)h + h->rings[i].offset);
        s->published[i] = rs_load_relaxed((rs_atomic_u64 *)&rh->published);
        s->consumed[i] = rs_load_relaxed((rs_atomic_u64 *)&rh->consumed);
    }
    for (int t = 0; t < RS_REGION_MAX_THREADS; t++)
        s->events[t] = rs_load_relaxed((rs_atomic_u64 *)&h->threads[t].events);
}

static const char *rec_state_name(uint32_t s)
{
    return s == RS_SPSC_REC_ATTACHED ? "attached" : s == RS_SPSC_REC_DETACHED ? "WAITING" : "none";
}

void rs_region_print(FILE *f, const rs_region *r, const rs_region_snap *prev, int ansi)
{
    const rs_region_hdr *h = r->hdr;
    rs_region_snap now;
    rs_region_snap_take(r, &now);
    double dt = prev ? (double)(now.t_ns - prev->t_ns) / 1e9 : 0;
    if (ansi)
        fputs("\033[H\033[2J", f);
    time_t st = (time_t)(h->start_ns / 1000000000);
    struct tm tm;
    gmtime_r(&st, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    const rs_region_ctl *c = &h->ctl;
    fprintf(f, "instance %s  pid %d (%s)  started %s  up %.0f s  huge pages: %s\n", h->instance, h->creator_pid,
            rs_region_creator_alive(h) ? "alive" : "DEAD", when, (double)(now.t_ns - h->start_ns) / 1e9,
            h->huge_pages ? "yes" : "no");
    fprintf(f, "control: kill=%u pause=%u stop=%u journal_unhealthy=%u  recorder pid %u state %u  cmd #%llu ack #%llu\n",
            rs_load_relaxed((rs_atomic_u32 *)&c->kill), rs_load_relaxed((rs_atomic_u32 *)&c->pause),
            rs_load_relaxed((rs_atomic_u32 *)&c->stop), rs_load_relaxed((rs_atomic_u32 *)&c->journal_unhealthy),
            rs_load_relaxed((rs_atomic_u32 *)&c->recorder_pid), rs_load_relaxed((rs_atomic_u32 *)&c->recorder_state),
            (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&c->cmd_seq),
            (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&c->cmd_ack));
    fprintf(f, "\n%-10s %9s %12s %12s %12s %10s %10s %10s %10s %9s\n", "ring", "capacity", "published", "consumed",
            "recorded", "depth", "max depth", "full", "rate/s", "recorder");
    for (uint32_t i = 0; i < h->n_rings; i++) {
        const rs_spsc_hdr *rh = (const rs_spsc_hdr *)((const uint8_t *)h + h->rings[i].offset);
        double rate = prev && dt > 0 ? (double)(now.published[i] - prev->published[i]) / dt : 0;
        fprintf(f, "%-10s %9u %12llu %12llu %12llu %10llu %10llu %10llu %10.0f %9s\n", h->rings[i].name, rh->capacity,
                (unsigned long long)now.published[i], (unsigned long long)now.consumed[i],
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&rh->rec_consumed),
                (unsigned long long)rs_spsc_depth(rh),
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&rh->max_depth),
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&rh->full_count), rate,
                rec_state_name(rs_load_relaxed((rs_atomic_u32 *)&rh->rec_state)));
    }
    fprintf(f, "\n%-12s %8s %5s %14s %12s %10s %s\n", "thread", "tid", "cpu", "events", "rate/s", "heartbeat",
            "state");
    for (int t = 0; t < RS_REGION_MAX_THREADS; t++) {
        const rs_region_thread *th = &h->threads[t];
        if (!th->name[0])
            continue;
        uint64_t hb = rs_load_relaxed((rs_atomic_u64 *)&th->heartbeat_ns);
        double age = hb ? (double)(now.t_ns - (int64_t)hb) / 1e6 : -1;
        double rate = prev && dt > 0 ? (double)(now.events[t] - prev->events[t]) / dt : 0;
        uint32_t s = rs_load_relaxed((rs_atomic_u32 *)&th->state);
        static const char *sn[] = {"idle", "running", "stopped", "CRASHED"};
        int32_t cpu = rs_load_relaxed((rs_atomic_i32 *)&th->cpu);
        char cpus[16];
        snprintf(cpus, sizeof cpus, cpu >= 0 ? "%d" : "-", cpu);
        fprintf(f, "%-12s %8d %5s %14llu %12.0f %8.0fms %s\n", th->name, rs_load_relaxed((rs_atomic_i32 *)&th->tid),
                cpus, (unsigned long long)now.events[t], rate, age, s < 4 ? sn[s] : "?");
    }
    rs_region_print_latency(f, h);
    rs_region_print_positions(f, h);
    rs_region_print_circuits(f, h);
    rs_counters_print(f, h);
}

void rs_region_print_latency(FILE *f, const rs_region_hdr *h)
{
    fprintf(f, "\nstage latency (input published -> handler done, whole run; ns)\n");
    fprintf(f, "%-10s %12s %10s %10s %10s %10s\n", "stage", "events", "p50", "p99", "p99.9", "max");
    for (unsigned s = 0; s < RS_SID_MAX && s < RS_REGION_MAX_STAGES; s++) {
        const rs_region_stage_lat *l = &h->stage_lat[s];
        uint64_t n = rs_load_relaxed((rs_atomic_u64 *)&l->count);
        if (!n) {
            fprintf(f, "%-10s %12s\n", rs_stage_name(s), "-");
            continue;
        }
        fprintf(f, "%-10s %12llu %10llu %10llu %10llu %10llu\n", rs_stage_name(s), (unsigned long long)n,
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&l->p50_ns),
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&l->p99_ns),
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&l->p999_ns),
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&l->max_ns));
    }
    /* live tick-to-order, measured by the runtime on the exec thread */
    const rs_region_stage_lat *t = &h->stage_lat[RS_LAT_T2O];
    uint64_t n = rs_load_relaxed((rs_atomic_u64 *)&t->count);
    fprintf(f, "\ntick-to-order (decoded trade -> new order record, whole run; ns)\n");
    if (!n) {
        fprintf(f, "%-10s %12s\n", "t2o", "-");
        return;
    }
    fprintf(f, "%-10s %12llu %10llu %10llu %10llu %10llu\n", "t2o", (unsigned long long)n,
            (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&t->p50_ns),
            (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&t->p99_ns),
            (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&t->p999_ns),
            (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&t->max_ns));
}

void rs_region_print_positions(FILE *f, const rs_region_hdr *h)
{
    fprintf(f, "\npositions (gate's books, marked to market)\n");
    fprintf(f, "%-10s %14s %12s %12s %12s %12s %10s %12s %8s\n", "symbol", "qty", "avg px", "mark px", "realised",
            "unrealised", "fees", "pnl", "updates");
    double tp = 0, tf = 0;
    unsigned n = h->n_syms < RS_REGION_MAX_SYMS ? h->n_syms : RS_REGION_MAX_SYMS;
    for (unsigned i = 0; i < n; i++) {
        const rs_region_pos *p = &h->pos[i];
        char sym[sizeof p->symbol + 1];
        memcpy(sym, p->symbol, sizeof p->symbol);
        sym[sizeof p->symbol] = 0;
        int64_t q = rs_load_relaxed((rs_atomic_i64 *)&p->qty);
        double units = (double)q;
        for (uint32_t k = 0; k < p->qty_exp && k < 18; k++)
            units /= 10.0;
        double re = rs_region_f64_load(&p->realized), un = rs_region_f64_load(&p->unrealized);
        double fe = rs_region_f64_load(&p->fees);
        tp += re + un;
        tf += fe;
        fprintf(f, "%-10s %14.*f %12.4f %12.4f %12.2f %12.2f %10.2f %12.2f %8llu\n", sym, (int)p->qty_exp, units,
                rs_region_f64_load(&p->avg_px), rs_region_f64_load(&p->mark_px), re, un, fe, re + un,
                (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&p->updates));
    }
    fprintf(f, "%-10s %14s %12s %12s %12s %12s %10.2f %12.2f\n", "total", "", "", "", "", "", tf, tp);
}

static const char *xcirc_name(unsigned id)
{
    static const char *const n[] = {"external_fill", "drift", "rate_limit", "banned", "clock", "stream",
                                    "unresolved", "fill_gap", "external_order", "outbox"};
    return id >= RS_XRISK_EXTERNAL_FILL && id - RS_XRISK_EXTERNAL_FILL < sizeof n / sizeof n[0]
               ? n[id - RS_XRISK_EXTERNAL_FILL]
               : "exec?";
}

void rs_region_print_circuits(FILE *f, const rs_region_hdr *h)
{
    uint64_t mask = rs_load_relaxed((rs_atomic_u64 *)&h->counters[RS_CNT_CIRCUITS]);
    fprintf(f, "\ncircuits (risk; state = last action)%s\n", mask ? "" : "  -- none tripped");
    int shown = 0;
    for (unsigned slot = 0; slot < RS_REGION_MAX_CIRCUITS; slot++) {
        const rs_region_circuit *c = &h->circuits[slot];
        uint64_t ev = rs_load_relaxed((rs_atomic_u64 *)&c->events);
        if (!ev)
            continue;
        if (!shown++)
            fprintf(f, "%-16s %-6s %-10s %8s %8s %14s %14s %6s\n", "circuit", "stage", "state", "events", "trips",
                    "value", "limit", "sym");
        unsigned id = slot < 32 ? slot : 100 + slot - 32;
        uint32_t a = rs_load_relaxed((rs_atomic_u32 *)&c->action);
        uint32_t sym = rs_load_relaxed((rs_atomic_u32 *)&c->sym);
        bool tripped = slot < 32 ? (mask >> slot & 1) != 0 : a == 1 || a == 2 || a == 3 || a == 5;
        char st[24];
        snprintf(st, sizeof st, "%s%s", tripped ? "TRIPPED:" : "", rs_risk_action_name((uint8_t)a));
        char syms[16];
        if (sym == 0xffff)
            snprintf(syms, sizeof syms, "all");
        else if (sym < h->n_syms && sym < RS_REGION_MAX_SYMS)
            snprintf(syms, sizeof syms, "%.15s", h->pos[sym].symbol);
        else
            snprintf(syms, sizeof syms, "%u", sym);
        fprintf(f, "%-16s %-6s %-10s %8llu %8llu %14.4g %14.4g %6s\n",
                slot < 32 ? rs_circuit_name((uint16_t)id) : xcirc_name(id), slot < 32 ? "gate" : "exec", st,
                (unsigned long long)ev, (unsigned long long)rs_load_relaxed((rs_atomic_u64 *)&c->trips),
                rs_region_f64_load(&c->value), rs_region_f64_load(&c->limit), syms);
    }
    if (!shown)
        fprintf(f, "(no risk events yet)\n");
}
