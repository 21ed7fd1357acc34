/* ringside bench e2e -- not built yet (issue #9). */
#include <stdio.h>

#include "bench.h"

int rs_bench_e2e(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench e2e: not built yet (issue #9)\n");
    return 2;
}
