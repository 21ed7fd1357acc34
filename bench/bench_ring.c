/* ringside bench ring -- not built yet (issue #2). */
#include <stdio.h>

#include "bench.h"

int rs_bench_ring(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench ring: not built yet (issue #2)\n");
    return 2;
}
