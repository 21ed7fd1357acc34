/* CPU placement (cpu: auto) on synthetic hwloc topologies: distinct physical
 * cores first, core 0 avoided on machines with more than two cores, SMT
 * siblings before sharing, fixed pins respected, spinning threads that share
 * a core flagged. */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ringside/cpu_place.h"
#include "ringside/runtime.h"
#include "testutil.h"

#define AUTO (-2)
#define NONE (-1)

static rs_cpu_topo topo;

static void load(const char *syn)
{
    assert_int_equal(rs_cpu_topo_load(&topo, syn), 0);
}

static void place(const rs_cpu_req *r, unsigned n, rs_cpu_plan *p)
{
    assert_int_equal(rs_cpu_place(&topo, r, n, p), 0);
    char buf[2048];
    rs_cpu_plan_format(&topo, r, n, p, buf, sizeof buf);
    assert_true(strlen(buf) > 0);
}

static void test_two_cores(void **s)
{
    (void)s;
    load("pack:1 core:2 pu:1");
    assert_int_equal(topo.n_core, 2);
    assert_int_equal(topo.n_pu, 2);
    /* two cores: core 0 is not avoided */
    rs_cpu_req r[3] = {{"io", AUTO, false}, {"strategy", AUTO, false}, {"extra", AUTO, true}};
    rs_cpu_plan p;
    place(r, 2, &p);
    assert_int_equal(p.cpu[0], 0);
    assert_int_equal(p.cpu[1], 1);
    assert_int_equal(p.n_shared, 0);
    /* a third thread must share; it spins: flagged */
    place(r, 3, &p);
    assert_true(p.cpu[2] == 0 || p.cpu[2] == 1);
    assert_true(p.shared[2]);
    assert_false(p.shared[0]);   /* back-off threads are not flagged */
    assert_int_equal(p.n_shared, 1);
}

static void test_eight_cores_skip_core0(void **s)
{
    (void)s;
    load("pack:1 core:8 pu:1");
    rs_cpu_req r[5];
    static const char *names[5] = {"feed", "features", "model", "gate", "exec"};
    for (int i = 0; i < 5; i++)
        r[i] = (rs_cpu_req){names[i], AUTO, true};
    rs_cpu_plan p;
    place(r, 5, &p);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(p.cpu[i], i + 1);   /* cores 1..5, core 0 left alone */
        assert_false(p.shared[i]);
    }
    assert_int_equal(p.n_shared, 0);
}

static void test_smt_siblings_last(void **s)
{
    (void)s;
    /* 4 cores x 2 hardware threads: PUs 0,1 on core 0; 2,3 on core 1; ... */
    load("pack:1 core:4 pu:2");
    assert_int_equal(topo.n_core, 4);
    assert_int_equal(topo.n_pu, 8);
    assert_int_equal(topo.pu_core[3], 1);
    rs_cpu_req r[6];
    for (int i = 0; i < 6; i++)
        r[i] = (rs_cpu_req){"t", AUTO, true};
    rs_cpu_plan p;
    place(r, 6, &p);
    /* whole cores 1, 2, 3 first, then core 0, then siblings away from core 0 */
    assert_int_equal(p.cpu[0], 2);
    assert_int_equal(p.cpu[1], 4);
    assert_int_equal(p.cpu[2], 6);
    assert_int_equal(p.cpu[3], 0);
    assert_int_equal(p.cpu[4], 3);
    assert_int_equal(p.cpu[5], 5);
    /* threads 0 and 4 (and 1 and 5) share a physical core: both flagged */
    assert_true(p.shared[0] && p.shared[4] && p.shared[1] && p.shared[5]);
    assert_false(p.shared[2] || p.shared[3]);
    assert_int_equal(p.n_shared, 4);
}

static void test_fixed_pins_respected(void **s)
{
    (void)s;
    load("pack:1 core:4 pu:1");
    rs_cpu_req r[4] = {{"feed", 1, true}, {"a", AUTO, true}, {"b", AUTO, true}, {"c", NONE, false}};
    rs_cpu_plan p;
    place(r, 4, &p);
    assert_int_equal(p.cpu[0], 1);
    assert_int_equal(p.cpu[1], 2);   /* core 1 is taken by the fixed pin */
    assert_int_equal(p.cpu[2], 3);
    assert_int_equal(p.cpu[3], -1);  /* unpinned stays unpinned */
    assert_int_equal(p.core[3], -1);
    assert_int_equal(p.n_shared, 0); /* 4 threads on 4 cores */
    /* two spinning threads pinned to the same core */
    rs_cpu_req q[2] = {{"x", 2, true}, {"y", 2, false}};
    place(q, 2, &p);
    assert_true(p.shared[0]);
    assert_false(p.shared[1]);
}

static void test_unknown_cpu_and_crowding(void **s)
{
    (void)s;
    load("pack:1 core:2 pu:1");
    rs_cpu_req r[3] = {{"far", 99, false}, {"spin", NONE, true}, {"other", NONE, false}};
    rs_cpu_plan p;
    place(r, 3, &p);
    assert_true(p.unknown[0]);
    assert_int_equal(p.n_unknown, 1);
    assert_int_equal(p.cpu[0], 99);
    assert_int_equal(p.core[0], -1);
    /* an unpinned spinning thread with more threads than cores: flagged */
    assert_true(p.shared[1]);
    char buf[1024];
    rs_cpu_plan_format(&topo, r, 3, &p, buf, sizeof buf);
    assert_non_null(strstr(buf, "NOT AVAILABLE"));
    assert_non_null(strstr(buf, "WARNING"));
}

static void test_packages_and_errors(void **s)
{
    (void)s;
    load("pack:2 core:2 pu:1");
    assert_int_equal(topo.n_pkg, 2);
    assert_int_equal(topo.pu_pkg[3], 1);
    assert_int_not_equal(rs_cpu_topo_load(&topo, "this is not a topology"), 0);
    rs_cpu_req r[RS_CPU_MAX_REQ + 1];
    memset(r, 0, sizeof r);
    rs_cpu_plan p;
    load("pack:1 core:2 pu:1");
    assert_int_equal(rs_cpu_place(&topo, r, RS_CPU_MAX_REQ + 1, &p), -EINVAL);
    /* this machine's topology loads and has at least one usable CPU */
    assert_int_equal(rs_cpu_topo_load(&topo, NULL), 0);
    assert_true(topo.n_pu >= 1 && topo.n_core >= 1);
}

/* ---- the runtime side: auto placement applied and published, mlockall ---- */

static int nop_stage(void *st, const rs_rec *in, rs_emit *out)
{
    (void)st;
    (void)in;
    (void)out;
    return RS_OK;
}

static void engine_def(rs_engine_def *d, const char *inst, int cpu, int mlock)
{
    memset(d, 0, sizeof *d);
    d->instance = inst;
    d->ring_capacity[RS_STREAM_RAW] = 1u << 16;
    d->ring_capacity[RS_STREAM_MD] = 1u << 16;
    d->stages[0] = (rs_stage_def){.id = RS_SID_FEED, .on_event = nop_stage, .inputs = {RS_STREAM_RAW},
                                  .n_inputs = 1, .out = RS_STREAM_MD};
    d->n_stages = 1;
    d->threads[0] = (rs_thread_def){.name = "t0", .cpu = cpu, .idle = 2, .spin_iters = 10, .max_sleep_us = 100,
                                    .stages = {0}, .n_stages = 1};
    d->n_threads = 1;
    d->mlockall = mlock;
    d->n_syms = 1;
    snprintf(d->sym_names[0], sizeof d->sym_names[0], "BTCUSDT");
}

static void test_engine_auto_cpu(void **s)
{
    (void)s;
    char inst[64];
    snprintf(inst, sizeof inst, "test-cpu-auto-%d", (int)getpid());
    rs_engine_def d;
    engine_def(&d, inst, -2, 0);
    rs_engine *e = NULL;
    assert_int_equal(rs_engine_create(&e, &d), 0);
    assert_string_equal(rs_engine_region(e)->hdr->pos[0].symbol, "BTCUSDT");
    assert_int_equal(rs_engine_start(e), 0);
    int cpu = rs_engine_thread_cpu(e, 0);
    assert_true(cpu >= 0);
    /* the thread publishes where it runs (relaxed; poll for up to 2 s) */
    int32_t seen = -1;
    for (int i = 0; i < 200 && seen < 0; i++) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        seen = rs_load_relaxed(&rs_engine_region(e)->hdr->threads[0].cpu);
    }
    assert_int_equal(seen, cpu);
    rs_engine_stop(e);
    rs_engine_destroy(e);
}

/* Drop CAP_IPC_LOCK (root has it) so RLIMIT_MEMLOCK applies. */
static bool drop_ipc_lock(void)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct c[2];
    if (syscall(SYS_capget, &h, c) != 0)
        return false;
    c[0].effective &= ~(1u << CAP_IPC_LOCK);
    c[0].permitted &= ~(1u << CAP_IPC_LOCK);
    c[0].inheritable &= ~(1u << CAP_IPC_LOCK);
    if (syscall(SYS_capset, &h, c) != 0)
        return false;
    return syscall(SYS_capget, &h, c) == 0 && !(c[0].effective & (1u << CAP_IPC_LOCK));
}

static void test_mlockall_refused(void **s)
{
    (void)s;
    /* the sanitizers intercept mlockall and make it succeed without doing
     * anything: nothing to check there */
    const char *bt = getenv("RS_BUILD_TYPE");
    if (bt && strstr(bt, "san"))
        skip();
    fflush(NULL);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        /* child: no CAP_IPC_LOCK, a 64 KiB lock limit -> mlockall must fail */
        struct rlimit rl = {65536, 65536};
        if (!drop_ipc_lock() || setrlimit(RLIMIT_MEMLOCK, &rl) != 0)
            _exit(77);
        char inst[64];
        snprintf(inst, sizeof inst, "test-mlock-%d", (int)getpid());
        rs_engine_def d;
        engine_def(&d, inst, -1, RS_MLOCK_REQUIRED);
        rs_engine *e = NULL;
        if (rs_engine_create(&e, &d) != 0)
            _exit(10);
        /* required: the start fails, naming the limit */
        if (rs_engine_start(e) == 0)
            _exit(11);
        if (!strstr(rs_err_msg(), "RLIMIT_MEMLOCK 64 KiB") || !strstr(rs_err_msg(), "engine.mlockall"))
            _exit(12);
        rs_engine_destroy(e);
        /* true: a warning, and the engine runs */
        engine_def(&d, inst, -1, RS_MLOCK_ON);
        if (rs_engine_create(&e, &d) != 0)
            _exit(13);
        if (rs_engine_start(e) != 0)
            _exit(14);
        rs_engine_stop(e);
        rs_engine_destroy(e);
        _exit(0);
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    if (WEXITSTATUS(st) == 77)
        return;   /* cannot drop the capability here: nothing to check */
    assert_int_equal(WEXITSTATUS(st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_cores),
        cmocka_unit_test(test_eight_cores_skip_core0),
        cmocka_unit_test(test_smt_siblings_last),
        cmocka_unit_test(test_fixed_pins_respected),
        cmocka_unit_test(test_unknown_cpu_and_crowding),
        cmocka_unit_test(test_packages_and_errors),
        cmocka_unit_test(test_engine_auto_cpu),
        cmocka_unit_test(test_mlockall_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
