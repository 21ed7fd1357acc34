/* ringside bench journal -- not built yet (issue #3). */
#include <stdio.h>

#include "bench.h"

int rs_bench_journal(const rs_bench_opts *o)
{
    (void)o;
    fprintf(stderr, "ringside bench journal: not built yet (issue #3)\n");
    return 2;
}
