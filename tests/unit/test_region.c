/* Region: create/attach, refusal of live duplicates, stale regions, layout
 * mismatches, cleanup, the control mailbox. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringside/region.h"
#include "testutil.h"

static char inst[64];

static const rs_region_ring_spec specs[] = {
    {"md", 1, 1u << 16, RS_SPSC_F_RECORDER},
    {"mark", 2, 1u << 12, 0},
};

static void test_create_attach(void **s)
{
    (void)s;
    rs_region a, b;
    memset(&a, 0, sizeof a);
    assert_int_equal(rs_region_create(&a, inst, specs, 2), 0);
    assert_int_equal(a.hdr->n_rings, 2);
    assert_int_equal(a.hdr->creator_pid, getpid());
    memset(&b, 0, sizeof b);
    assert_int_equal(rs_region_attach(&b, inst, false), 0);
    void *r1 = rs_region_ring(&b, 2);
    assert_non_null(r1);
    assert_int_equal(((rs_spsc_hdr *)r1)->capacity, 1u << 12);
    assert_null(rs_region_ring(&b, 9));
    /* a second live creator is refused */
    rs_region c;
    memset(&c, 0, sizeof c);
    pid_t pid = fork();
    if (pid == 0) {
        int rc = rs_region_create(&c, inst, specs, 2);
        _exit(rc == -EBUSY && strstr(rs_err_msg(), "already running") ? 0 : 1);
    }
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    /* mailbox */
    int64_t seq = rs_region_post_cmd(&b, 3, "hello");
    assert_int_equal(seq, 1);
    assert_int_equal(a.hdr->ctl.cmd_seq, 1);
    assert_string_equal(a.hdr->ctl.arg, "hello");
    rs_region_detach(&b);
    rs_region_destroy(&a);
    assert_true(rs_region_attach(&b, inst, false) < 0);
    assert_true(strstr(rs_err_msg(), "no region") != NULL);
}

static void test_stale_and_cleanup(void **s)
{
    (void)s;
    pid_t pid = fork();
    if (pid == 0) {
        rs_region a;
        memset(&a, 0, sizeof a);
        _exit(rs_region_create(&a, inst, specs, 2) == 0 ? 0 : 1);  /* dies without destroy */
    }
    int st;
    waitpid(pid, &st, 0);
    assert_int_equal(WEXITSTATUS(st), 0);
    rs_region b;
    memset(&b, 0, sizeof b);
    assert_int_equal(rs_region_attach(&b, inst, false), -RS_ESTALE);
    assert_true(strstr(rs_err_msg(), "stale") != NULL);
    assert_int_equal(rs_region_attach(&b, inst, true), 0);
    rs_region_detach(&b);
    assert_int_equal(rs_region_cleanup(inst), 1);
    assert_int_equal(rs_region_cleanup(inst), 0);
}

static void test_version_mismatch(void **s)
{
    (void)s;
    rs_region a, b;
    memset(&a, 0, sizeof a);
    assert_int_equal(rs_region_create(&a, inst, specs, 2), 0);
    a.hdr->version = 99;
    memset(&b, 0, sizeof b);
    assert_int_equal(rs_region_attach(&b, inst, false), -RS_EVERSION);
    assert_true(strstr(rs_err_msg(), "version 99") != NULL);
    a.hdr->version = RS_REGION_VERSION;
    a.hdr->rings[0].capacity = 1u << 20;   /* layout no longer matches */
    assert_int_equal(rs_region_attach(&b, inst, false), -RS_EVERSION);
    a.hdr->rings[0].capacity = 1u << 16;
    memset(&b, 0, sizeof b);
    b.hdr_schema_expect = 12345;            /* another build's event schema */
    assert_int_equal(rs_region_attach(&b, inst, false), -RS_EVERSION);
    assert_true(strstr(rs_err_msg(), "schema") != NULL);
    rs_region_destroy(&a);
}

static void test_bad_names(void **s)
{
    (void)s;
    rs_region a;
    memset(&a, 0, sizeof a);
    assert_int_equal(rs_region_create(&a, "../etc", specs, 2), -EINVAL);
    assert_int_equal(rs_region_create(&a, "", specs, 2), -EINVAL);
    rs_region_ring_spec bad = {"x", 1, 5000, 0};
    assert_int_equal(rs_region_create(&a, inst, &bad, 1), -EINVAL);
}

int main(void)
{
    snprintf(inst, sizeof inst, "test-region-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_attach),
        cmocka_unit_test(test_stale_and_cleanup),
        cmocka_unit_test(test_version_mismatch),
        cmocka_unit_test(test_bad_names),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rs_region_cleanup(inst);
    return rc;
}
