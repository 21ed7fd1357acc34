/* bench/bench.h -- the benchmark harness behind `ringside bench NAME`.
 *
 * A bench measures cases and reports each through rs_bench_emit(): a readable
 * table row on stdout, or with --json one JSON object per line carrying at
 * least bench, case, unit, p50, p99, p999, max, throughput and, where a peer
 * ran in the same process, peer and ratio_vs_peer (peer time / our time, so
 * above 1 means we are faster).
 */
#ifndef RS_BENCH_H
#define RS_BENCH_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside/hist.h"

typedef struct rs_bench_opts {
    bool json;          /* --json */
    bool quick;         /* --quick: short runs (smoke test) */
    int cpu_a, cpu_b;   /* --cpus A,B: cores for two-thread benches (-1: any) */
    const char *model;  /* --model FILE, for benches that take one */
    int argc;           /* remaining bench-specific args */
    char **argv;
} rs_bench_opts;

typedef struct rs_bench_result {
    const char *bench;
    const char *case_name;
    const char *unit;         /* unit of the percentiles, e.g. "ns" */
    double p50, p90, p99, p999, max, mean;
    double throughput;        /* per second; 0 if not measured */
    const char *tp_unit;      /* e.g. "records/s" */
    const char *peer;         /* NULL: no peer */
    double ratio_vs_peer;     /* peer time / our time (>1: we are faster) */
    const char *note;         /* optional */
} rs_bench_result;

/* Fill percentiles from a histogram, converting by `scale` (e.g. ns per
 * tick). */
void rs_bench_from_hist(rs_bench_result *r, const rs_hist *h, double scale);
/* Print one result (table row or JSON line). */
void rs_bench_emit(const rs_bench_opts *o, const rs_bench_result *r);
/* Print a table header for a bench (no-op with --json). */
void rs_bench_header(const rs_bench_opts *o, const char *bench, const char *what);
/* Pin the calling thread to cpu (no-op if cpu < 0). Returns 0 or -errno. */
int rs_bench_pin(int cpu);

/* One function per bench; each returns 0, 1 on failure, 2 if not built. */
int rs_bench_ring(const rs_bench_opts *o);
int rs_bench_journal(const rs_bench_opts *o);
int rs_bench_decode(const rs_bench_opts *o);
int rs_bench_feed(const rs_bench_opts *o);
int rs_bench_features(const rs_bench_opts *o);
int rs_bench_model(const rs_bench_opts *o);
int rs_bench_exec(const rs_bench_opts *o);
int rs_bench_e2e(const rs_bench_opts *o);
int rs_bench_gate(const rs_bench_opts *o);

#endif
