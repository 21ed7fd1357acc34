/* ringside bench model -- not built yet (issue #6). */
#include <stdio.h>

#include "bench.h"

int rs_bench_model(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench model: not built yet (issue #6)\n");
    return 2;
}
