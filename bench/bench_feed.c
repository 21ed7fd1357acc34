/* ringside bench feed -- not built yet (issue #4). */
#include <stdio.h>

#include "bench.h"

int rs_bench_feed(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench feed: not built yet (issue #4)\n");
    return 2;
}
