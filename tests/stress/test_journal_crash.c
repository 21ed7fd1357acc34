/* Crash tests, long run: 200 SIGKILLs of `ringside record` at random points
 * and 200 simulated power cuts; after each, everything fsync-acknowledged is
 * recovered, nothing lost, nothing invented. Under sanitizers the count is
 * scaled down unless RS_STRESS_FULL is set. */
#include "journal_crash.h"

static unsigned count(void)
{
    if (getenv("RS_STRESS_FULL"))
        return 200;
    double sc = rs_test_scale();
    return sc >= 1.0 ? 200 : (unsigned)(200 * sc) + 5;
}

static void test_recorder_sigkill_200(void **s)
{
    (void)s;
    crash_recorder_kill(count());
}

static void test_power_cut_200(void **s)
{
    (void)s;
    crash_power_cut(count());
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_recorder_sigkill_200),
        cmocka_unit_test(test_power_cut_200),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
