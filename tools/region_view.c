#include <string.h>
#include <time.h>

#include "region_view.h"
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
    fprintf(f, "\n%-12s %8s %14s %12s %10s %s\n", "thread", "tid", "events", "rate/s", "heartbeat", "state");
    for (int t = 0; t < RS_REGION_MAX_THREADS; t++) {
        const rs_region_thread *th = &h->threads[t];
        if (!th->name[0])
            continue;
        uint64_t hb = rs_load_relaxed((rs_atomic_u64 *)&th->heartbeat_ns);
        double age = hb ? (double)(now.t_ns - (int64_t)hb) / 1e6 : -1;
        double rate = prev && dt > 0 ? (double)(now.events[t] - prev->events[t]) / dt : 0;
        uint32_t s = rs_load_relaxed((rs_atomic_u32 *)&th->state);
        static const char *sn[] = {"idle", "running", "stopped", "CRASHED"};
        fprintf(f, "%-12s %8d %14llu %12.0f %8.0fms %s\n", th->name, rs_load_relaxed((rs_atomic_i32 *)&th->tid),
                (unsigned long long)now.events[t], rate, age, s < 4 ? sn[s] : "?");
    }
    rs_counters_print(f, h);
}
