/* CPU placement of engine threads (see ringside/cpu_place.h).
 *
 * Why whole physical cores first: two spinning threads on SMT siblings share
 * one core's execution units and L1/L2, so each runs at roughly half speed
 * and their latencies couple; a sibling is only better than sharing one
 * hardware thread. Why skip core 0 on bigger machines: the kernel's
 * housekeeping, most IRQs and the operator's shell land there by default.
 */
#include <errno.h>
#include <hwloc.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/cpu_place.h"

static bool affinity_allows(const cpu_set_t *set, bool have, int os)
{
    return !have || (os >= 0 && os < CPU_SETSIZE && CPU_ISSET(os, set));
}

int rs_cpu_topo_load(rs_cpu_topo *t, const char *synthetic)
{
    memset(t, 0, sizeof *t);
    hwloc_topology_t topo;
    if (hwloc_topology_init(&topo) < 0)
        return rs_err_set(ENOMEM, "hwloc: cannot initialise a topology");
    if (synthetic && hwloc_topology_set_synthetic(topo, synthetic) < 0) {
        hwloc_topology_destroy(topo);
        return rs_err_set(RS_EBADCFG, "hwloc: bad synthetic topology '%s'", synthetic);
    }
    if (hwloc_topology_load(topo) < 0) {
        hwloc_topology_destroy(topo);
        return rs_err_set(EIO, "hwloc: cannot load the topology");
    }
    /* this process's affinity mask (taskset, a parent's pinning) narrows
     * what hwloc reports as allowed (cgroup cpuset) */
    cpu_set_t aff;
    CPU_ZERO(&aff);
    bool have_aff = !synthetic && sched_getaffinity(0, sizeof aff, &aff) == 0;
    int ncore = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    int npu = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
    int nunits = ncore > 0 ? ncore : npu;   /* no core level (some VMs): a PU is a core */
    for (int c = 0; c < nunits && t->n_pu < RS_CPU_MAX_PU; c++) {
        hwloc_obj_t unit = hwloc_get_obj_by_type(topo, ncore > 0 ? HWLOC_OBJ_CORE : HWLOC_OBJ_PU, (unsigned)c);
        if (!unit)
            continue;
        hwloc_obj_t pkg = hwloc_get_ancestor_obj_by_type(topo, HWLOC_OBJ_PACKAGE, unit);
        int pk = pkg ? (int)pkg->logical_index : 0;
        unsigned before = t->n_pu;
        hwloc_obj_t pu = NULL;
        while ((pu = hwloc_get_next_obj_inside_cpuset_by_type(topo, unit->cpuset, HWLOC_OBJ_PU, pu)) != NULL &&
               t->n_pu < RS_CPU_MAX_PU) {
            int os = (int)pu->os_index;
            if (!affinity_allows(&aff, have_aff, os))
                continue;
            t->pu_os[t->n_pu] = (int16_t)os;
            t->pu_core[t->n_pu] = (int16_t)t->n_core;
            t->pu_pkg[t->n_pu] = (int16_t)pk;
            t->n_pu++;
            if (pk + 1 > (int)t->n_pkg)
                t->n_pkg = (unsigned)pk + 1;
        }
        if (t->n_pu > before) {
            t->core_os[t->n_core] = ncore > 0 && unit->os_index != HWLOC_UNKNOWN_INDEX ? (int16_t)unit->os_index : -1;
            t->n_core++;
        }
    }
    hwloc_topology_destroy(topo);
    if (!t->n_pu)
        return rs_err_set(RS_EBADCFG, "hwloc: no usable CPU in the topology");
    return 0;
}

static int pu_of_os(const rs_cpu_topo *t, int os)
{
    for (unsigned i = 0; i < t->n_pu; i++)
        if (t->pu_os[i] == os)
            return (int)i;
    return -1;
}

int rs_cpu_place(const rs_cpu_topo *t, const rs_cpu_req *req, unsigned n, rs_cpu_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    if (n > RS_CPU_MAX_REQ || !t->n_pu)
        return -EINVAL;
    uint16_t pu_load[RS_CPU_MAX_PU], core_load[RS_CPU_MAX_PU];
    memset(pu_load, 0, sizeof pu_load);
    memset(core_load, 0, sizeof core_load);
    /* fixed pins first: they own their cores */
    for (unsigned i = 0; i < n; i++) {
        plan->cpu[i] = -1;
        plan->core[i] = -1;
        if (req[i].cpu < 0)
            continue;
        plan->cpu[i] = req[i].cpu;
        int p = pu_of_os(t, req[i].cpu);
        if (p < 0) {
            plan->unknown[i] = true;
            plan->n_unknown++;
            continue;
        }
        plan->core[i] = t->pu_core[p];
        pu_load[p]++;
        core_load[t->pu_core[p]]++;
    }
    /* "core 0" = the core holding OS CPU 0, avoided on machines with more
     * than two cores */
    int p0 = pu_of_os(t, 0);
    int core0 = t->n_core > 2 && p0 >= 0 ? t->pu_core[p0] : -1;
    for (unsigned i = 0; i < n; i++) {
        if (req[i].cpu != -2)
            continue;
        int pick = -1;
        /* 1. a free core other than core 0; 2. core 0 */
        for (int pass = 0; pass < 2 && pick < 0; pass++)
            for (unsigned p = 0; p < t->n_pu && pick < 0; p++) {
                int c = t->pu_core[p];
                if (core_load[c] == 0 && (pass == 1 || c != core0))
                    pick = (int)p;
            }
        /* 3. a free hardware thread (SMT sibling) on the least loaded core */
        for (unsigned p = 0; p < t->n_pu && !(pick >= 0 && pu_load[pick] == 0 && core_load[t->pu_core[pick]] == 0); p++)
            if (pu_load[p] == 0 &&
                (pick < 0 || core_load[t->pu_core[p]] < core_load[t->pu_core[pick]] ||
                 (core_load[t->pu_core[p]] == core_load[t->pu_core[pick]] && t->pu_core[pick] == core0 &&
                  t->pu_core[p] != core0)))
                pick = (int)p;
        /* 4. the least loaded hardware thread (away from core 0 on a tie) */
        if (pick < 0) {
            for (unsigned p = 0; p < t->n_pu; p++) {
                if (pick < 0) {
                    pick = (int)p;
                    continue;
                }
                int c = t->pu_core[p], cp = t->pu_core[pick];
                if (pu_load[p] < pu_load[pick] ||
                    (pu_load[p] == pu_load[pick] &&
                     (core_load[c] < core_load[cp] || (core_load[c] == core_load[cp] && cp == core0 && c != core0))))
                    pick = (int)p;
            }
        }
        plan->cpu[i] = t->pu_os[pick];
        plan->core[i] = t->pu_core[pick];
        pu_load[pick]++;
        core_load[t->pu_core[pick]]++;
    }
    /* a spinning thread must have its physical core to itself */
    unsigned unpinned = 0;
    for (unsigned i = 0; i < n; i++)
        unpinned += plan->cpu[i] < 0;
    bool crowded = n > t->n_core;
    for (unsigned i = 0; i < n; i++) {
        if (!req[i].spin)
            continue;
        bool shared = false;
        if (plan->core[i] >= 0) {
            shared = core_load[plan->core[i]] > 1 || (unpinned > 0 && crowded);
        } else {
            shared = crowded;
        }
        if (shared) {
            plan->shared[i] = true;
            plan->n_shared++;
        }
    }
    return 0;
}

size_t rs_cpu_plan_format(const rs_cpu_topo *t, const rs_cpu_req *req, unsigned n, const rs_cpu_plan *plan,
                          char *buf, size_t cap)
{
    size_t k = 0;
    if (cap)
        buf[0] = 0;
    for (unsigned i = 0; i < n && k < cap; i++) {
        int w;
        const char *how = req[i].cpu == -2 ? "auto" : req[i].cpu >= 0 ? "config" : "";
        if (plan->cpu[i] < 0)
            w = snprintf(buf + k, cap - k, "thread %s: not pinned (scheduler decides)", req[i].name);
        else if (plan->core[i] < 0)
            w = snprintf(buf + k, cap - k, "thread %s -> cpu %d (%s): NOT AVAILABLE to this process", req[i].name,
                         plan->cpu[i], how);
        else {
            int c = plan->core[i];
            w = snprintf(buf + k, cap - k, "thread %s -> cpu %d (%s), core %d%s, package %d", req[i].name,
                         plan->cpu[i], how, t->core_os[c] >= 0 ? t->core_os[c] : c,
                         t->core_os[c] >= 0 ? "" : " (index)", t->pu_pkg[pu_of_os(t, plan->cpu[i])]);
        }
        if (w > 0)
            k += (size_t)w < cap - k ? (size_t)w : cap - k - 1;
        if (plan->shared[i] && k < cap) {
            w = snprintf(buf + k, cap - k, "  WARNING: spinning thread shares its core with another thread");
            if (w > 0)
                k += (size_t)w < cap - k ? (size_t)w : cap - k - 1;
        }
        if (k + 1 < cap) {
            buf[k++] = '\n';
            buf[k] = 0;
        }
    }
    return k;
}
