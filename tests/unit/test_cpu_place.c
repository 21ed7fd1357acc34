/* CPU placement (cpu: auto) on synthetic hwloc topologies: distinct physical
 * cores first, core 0 avoided on machines with more than two cores, SMT
 * siblings before sharing, fixed pins respected, spinning threads that share
 * a core flagged. */
#include <errno.h>
#include <string.h>

#include "ringside/cpu_place.h"
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_cores),
        cmocka_unit_test(test_eight_cores_skip_core0),
        cmocka_unit_test(test_smt_siblings_last),
        cmocka_unit_test(test_fixed_pins_respected),
        cmocka_unit_test(test_unknown_cpu_and_crowding),
        cmocka_unit_test(test_packages_and_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
