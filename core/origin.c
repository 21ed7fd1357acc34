/* Causal-origin side tables (see ringside/origin.h). */
#include <string.h>

#include "ringside/origin.h"

size_t rs_origin_tab_memsize(uint32_t ring_capacity)
{
    size_t slots = ring_capacity >= 64 ? ring_capacity / 32u : 2u;
    return slots * sizeof(rs_origin_ent);
}

void rs_origin_tab_init(rs_origin_tab *t, void *mem, uint32_t ring_capacity)
{
    size_t n = rs_origin_tab_memsize(ring_capacity);
    /* Clearing writes every page now, at start-up: a first-touch fault on
     * an engine thread would land on tick-to-order. */
    memset(mem, 0, n);
    t->ent = mem;
    t->mask = n / sizeof(rs_origin_ent) - 1;
}
