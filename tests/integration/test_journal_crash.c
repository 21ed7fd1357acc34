/* Crash tests, short run (the stress label runs >= 200 iterations):
 * SIGKILL of `ringside record` at random points, and simulated power cuts. */
#include "journal_crash.h"

static void test_recorder_sigkill(void **s)
{
    (void)s;
    unsigned n = (unsigned)(20 * rs_test_scale());
    crash_recorder_kill(n < 3 ? 3 : n);
}

static void test_power_cut(void **s)
{
    (void)s;
    unsigned n = (unsigned)(30 * rs_test_scale());
    crash_power_cut(n < 5 ? 5 : n);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_recorder_sigkill),
        cmocka_unit_test(test_power_cut),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
