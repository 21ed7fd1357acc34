/* ringside bench decode -- not built yet (issue #4). */
#include <stdio.h>

#include "bench.h"

int rs_bench_decode(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench decode: not built yet (issue #4)\n");
    return 2;
}
