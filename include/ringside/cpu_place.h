/* ringside/cpu_place.h -- which CPU each engine thread runs on.
 *
 * The topology comes from hwloc: this machine's (only the CPUs this process
 * may run on), or a synthetic one described by a string such as
 * "pack:2 core:8 pu:2" (hwloc_topology_set_synthetic; tests, what-if).
 * It is flattened into a small table (cores in topology order, each with its
 * hardware threads), so placement itself is plain C with no hwloc types.
 *
 * `cpu: auto` threads are placed by rs_cpu_place:
 *   1. a whole physical core no other thread uses, skipping core 0 when the
 *      machine has more than two cores (core 0 takes the OS, IRQs, ssh);
 *   2. then core 0 (if it was skipped);
 *   3. then a free hardware thread (SMT sibling) of a core already in use;
 *   4. then the least loaded hardware thread (shared: warned about).
 * Threads pinned to a number keep it and count as using its core; unpinned
 * threads (cpu none) are left to the scheduler.
 *
 * Sharing check: a spinning thread burns its core, so one that shares a
 * physical core with another engine thread (pinned there, or unpinned when
 * there are more threads than cores) is reported in rs_cpu_plan.shared.
 *
 * Control path only (allocation-free, but hwloc itself allocates).
 */
#ifndef RINGSIDE_CPU_PLACE_H
#define RINGSIDE_CPU_PLACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_CPU_MAX_PU 1024
#define RS_CPU_MAX_REQ 16

typedef struct rs_cpu_topo {
    unsigned n_pu;                   /* hardware threads usable by this process */
    unsigned n_core;                 /* physical cores holding at least one of them */
    unsigned n_pkg;
    int16_t pu_os[RS_CPU_MAX_PU];    /* OS CPU number of PU i (what sched_setaffinity takes) */
    int16_t pu_core[RS_CPU_MAX_PU];  /* core index (0..n_core-1) of PU i; PUs are grouped by core */
    int16_t pu_pkg[RS_CPU_MAX_PU];   /* package (socket) index of PU i */
    int16_t core_os[RS_CPU_MAX_PU];  /* OS index of core c (-1 if hwloc does not know it) */
} rs_cpu_topo;

/* Fill t from this machine (synthetic == NULL) or from an hwloc synthetic
 * description. Returns 0, or -RS_EBADCFG / -errno with a message (bad
 * description, hwloc failure, no usable CPU). */
int rs_cpu_topo_load(rs_cpu_topo *t, const char *synthetic);

/* One thread to place. cpu: >= 0 pinned to that OS CPU, -1 not pinned,
 * -2 auto (RS_CPU_NONE / RS_CPU_AUTO of config.h). */
typedef struct rs_cpu_req {
    const char *name;
    int cpu;
    bool spin;                       /* idle strategy is spin */
} rs_cpu_req;

typedef struct rs_cpu_plan {
    int cpu[RS_CPU_MAX_REQ];         /* OS CPU per thread (-1: not pinned) */
    int core[RS_CPU_MAX_REQ];        /* core index per thread (-1: not pinned / unknown CPU) */
    bool shared[RS_CPU_MAX_REQ];     /* a spinning thread sharing its core (warn) */
    bool unknown[RS_CPU_MAX_REQ];    /* pinned to a CPU this process cannot use */
    unsigned n_shared, n_unknown;
} rs_cpu_plan;

/* Place n (<= RS_CPU_MAX_REQ) threads on t (rules above). Never fails for
 * a valid topology; returns 0, or -EINVAL (n too large, empty topology). */
int rs_cpu_place(const rs_cpu_topo *t, const rs_cpu_req *req, unsigned n, rs_cpu_plan *plan);

/* One line per thread ("thread io -> cpu 3 (core 3)", with the warnings)
 * into buf; returns the length written (truncated at cap). */
size_t rs_cpu_plan_format(const rs_cpu_topo *t, const rs_cpu_req *req, unsigned n, const rs_cpu_plan *plan,
                          char *buf, size_t cap);

#endif
