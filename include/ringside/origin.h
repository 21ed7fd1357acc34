/* ringside/origin.h -- causal-origin side table of one ring (tick-to-order).
 *
 * The runtime measures live tick-to-order (decoded trade -> order record)
 * without touching any record: beside each ring a stage produces, it keeps a
 * table indexed by record seq that holds the ts_local of the decoded trade
 * that (transitively) caused the record. The producing thread writes a
 * record's slot before the ring's release-publish of that record; the
 * consuming thread reads it after its acquire-poll of the record. The ring's
 * own acquire/release pair orders the two plain accesses (no atomics here).
 *
 * Sizing: one slot per 32 bytes of ring capacity (the smallest padded record
 * is its 32-byte header), so slot `seq & mask` cannot be reused by a later
 * record before the consumer has released `seq` (which it does only after
 * handling it). Each slot stores the full seq, so a lookup of a record that
 * was never tagged (or whose slot a later record took) returns 0, never a
 * wrong origin.
 *
 * Hot path: rs_origin_put/get are a masked index, one 16-byte store/load;
 * no allocation, no lock, no clock. Stage logic never sees the table, so
 * output records (and replay) are unchanged.
 */
#ifndef RINGSIDE_ORIGIN_H
#define RINGSIDE_ORIGIN_H

#include <stddef.h>
#include <stdint.h>

typedef struct rs_origin_ent {
    uint64_t seq;      /* record seq this slot describes (0: empty) */
    int64_t origin;    /* ts_local (ns) of the causing decoded trade; 0: none */
} rs_origin_ent;

typedef struct rs_origin_tab {
    rs_origin_ent *ent;   /* caller memory, rs_origin_tab_memsize bytes */
    uint64_t mask;        /* slots - 1 (a power of two) */
} rs_origin_tab;

/* Bytes of slot memory for a ring of `ring_capacity` bytes (a power of two
 * >= 32): capacity / 32 slots of 16 bytes. */
size_t rs_origin_tab_memsize(uint32_t ring_capacity);

/* Bind `t` to caller memory `mem` (rs_origin_tab_memsize bytes, 16-byte
 * aligned, owned by the caller and outliving `t`) and clear every slot
 * (which also pre-faults its pages). Control path. */
void rs_origin_tab_init(rs_origin_tab *t, void *mem, uint32_t ring_capacity);

/* Tag record `seq` with `origin` (producer thread, before it publishes). */
static inline void rs_origin_put(rs_origin_tab *t, uint64_t seq, int64_t origin)
{
    rs_origin_ent *e = &t->ent[seq & t->mask];
    e->seq = seq;
    e->origin = origin;
}

/* Origin of record `seq` (consumer thread, after it polled the record);
 * 0 when the record was not tagged. */
static inline int64_t rs_origin_get(const rs_origin_tab *t, uint64_t seq)
{
    const rs_origin_ent *e = &t->ent[seq & t->mask];
    return e->seq == seq ? e->origin : 0;
}

#endif
