#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>

#include "bench.h"

void rs_bench_from_hist(rs_bench_result *r, const rs_hist *h, double scale)
{
    r->p50 = (double)rs_hist_pct(h, 50) * scale;
    r->p90 = (double)rs_hist_pct(h, 90) * scale;
    r->p99 = (double)rs_hist_pct(h, 99) * scale;
    r->p999 = (double)rs_hist_pct(h, 99.9) * scale;
    r->max = (double)h->max * scale;
    r->mean = rs_hist_mean(h) * scale;
}

void rs_bench_header(const rs_bench_opts *o, const char *bench, const char *what)
{
    if (o->json)
        return;
    printf("\n== bench %s: %s\n", bench, what);
    printf("%-34s %5s %10s %10s %10s %10s %10s %14s  %s\n", "case", "unit", "p50", "p90", "p99", "p99.9",
           "max", "throughput", "vs peer");
}

void rs_bench_emit(const rs_bench_opts *o, const rs_bench_result *r)
{
    if (o->json) {
        printf("{\"bench\":\"%s\",\"case\":\"%s\",\"unit\":\"%s\",\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,"
               "\"p999\":%.3f,\"max\":%.3f,\"mean\":%.3f,\"throughput\":%.1f,\"throughput_unit\":\"%s\"",
               r->bench, r->case_name, r->unit ? r->unit : "ns", r->p50, r->p90, r->p99, r->p999, r->max,
               r->mean, r->throughput, r->tp_unit ? r->tp_unit : "ops/s");
        if (r->peer)
            printf(",\"peer\":\"%s\",\"ratio_vs_peer\":%.3f", r->peer, r->ratio_vs_peer);
        if (r->note)
            printf(",\"note\":\"%s\"", r->note);
        printf("}\n");
    } else {
        char peer[64] = "";
        if (r->peer)
            snprintf(peer, sizeof peer, "%.2fx vs %s", r->ratio_vs_peer, r->peer);
        printf("%-34s %5s %10.1f %10.1f %10.1f %10.1f %10.1f %14.0f  %s%s%s\n", r->case_name,
               r->unit ? r->unit : "ns", r->p50, r->p90, r->p99, r->p999, r->max, r->throughput, peer,
               r->note ? "  " : "", r->note ? r->note : "");
    }
    fflush(stdout);
}

int rs_bench_pin(int cpu)
{
    if (cpu < 0)
        return 0;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    int rc = pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    return rc ? -rc : 0;
}
