/* ringside/tsc.h -- cheap timestamps for latency measurement (rdtsc), with a
 * calibrated TSC-to-ns conversion. Used by the runtime and benchmarks only:
 * stage logic never reads a clock. */
#ifndef RINGSIDE_TSC_H
#define RINGSIDE_TSC_H

#include <stdint.h>
#include <time.h>

static inline uint64_t rs_rdtsc(void)
{
#if defined(__x86_64__)
    return __builtin_ia32_rdtsc();
#else
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
#endif
}

/* rdtscp: waits for earlier instructions to retire before reading. */
static inline uint64_t rs_rdtscp(void)
{
#if defined(__x86_64__)
    unsigned aux;
    return __builtin_ia32_rdtscp(&aux);
#else
    return rs_rdtsc();
#endif
}

static inline int64_t rs_now_ns(void)   /* CLOCK_REALTIME, ns since epoch */
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

static inline int64_t rs_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* Measure TSC ticks per ns against CLOCK_MONOTONIC over ~ms milliseconds
 * (cached after the first call in a process). */
double rs_tsc_ghz(void);

#endif
