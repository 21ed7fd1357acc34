/* ringside bench features -- not built yet (issue #5). */
#include <stdio.h>

#include "bench.h"

int rs_bench_features(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench features: not built yet (issue #5)\n");
    return 2;
}
