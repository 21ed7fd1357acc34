/* ringside bench exec -- not built yet (issue #8). */
#include <stdio.h>

#include "bench.h"

int rs_bench_exec(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench exec: not built yet (issue #8)\n");
    return 2;
}
