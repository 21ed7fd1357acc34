#include <time.h>

#include "ringside/tsc.h"

static double rs_tsc_ghz_cached;

double rs_tsc_ghz(void)
{
    if (rs_tsc_ghz_cached > 0)
        return rs_tsc_ghz_cached;
    /* 20 ms against CLOCK_MONOTONIC: good to ~0.01% which is plenty for
     * converting latency histograms. */
    int64_t t0 = rs_mono_ns();
    uint64_t c0 = rs_rdtscp();
    struct timespec d = {0, 20 * 1000 * 1000};
    nanosleep(&d, NULL);
    int64_t t1 = rs_mono_ns();
    uint64_t c1 = rs_rdtscp();
    double ghz = (double)(c1 - c0) / (double)(t1 - t0);
    rs_tsc_ghz_cached = ghz > 0 ? ghz : 1.0;
    return rs_tsc_ghz_cached;
}
