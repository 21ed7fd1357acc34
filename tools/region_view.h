/* tools/region_view.h -- a printable view of a running instance's region
 * (ringside ctl status, ringside top). */
#ifndef RS_TOOLS_REGION_VIEW_H
#define RS_TOOLS_REGION_VIEW_H

#include <stdint.h>
#include <stdio.h>

#include "ringside/region.h"

typedef struct rs_region_snap {
    int64_t t_ns;
    uint64_t published[RS_REGION_MAX_RINGS], consumed[RS_REGION_MAX_RINGS];
    uint64_t events[RS_REGION_MAX_THREADS];
} rs_region_snap;

/* Take counters for rate computation. */
void rs_region_snap_take(const rs_region *r, rs_region_snap *s);
/* Print the region state; with prev != NULL also rates since prev. */
void rs_region_print(FILE *f, const rs_region *r, const rs_region_snap *prev, int ansi);
/* The monitoring sections of rs_region_print, each on its own: per-stage
 * latency percentiles, positions and PnL per symbol, risk circuit states. */
void rs_region_print_latency(FILE *f, const rs_region_hdr *h);
void rs_region_print_positions(FILE *f, const rs_region_hdr *h);
void rs_region_print_circuits(FILE *f, const rs_region_hdr *h);

#endif
