/* ringside/ring.h -- lock-free single-producer/single-consumer byte ring,
 * usable between threads and between processes (it lives in shared memory).
 *
 * Layout (caller memory of rs_spsc_memsize(capacity) bytes, 64-byte aligned):
 *   line 0   immutable: magic, version, capacity, name, flags
 *   line 1   head: producer's published position        (written by producer)
 *   line 2   tail: consumer's released position          (written by consumer)
 *   line 3   rec_tail, rec_state, rec_consumed: recorder  (written by recorder)
 *   line 4   producer counters (published, full, max depth)
 *   line 5   consumer counters (consumed)
 *   data[capacity]
 * Positions are 64-bit byte offsets that only grow (no ABA, no wrap flag);
 * slot = pos & (capacity - 1).
 *
 * Records: variable length, 8-byte aligned, and must begin with a u32 length
 * (bytes, header included, before padding) and a u16 type -- rs_rec in
 * event.h satisfies this. Type 0xFFFF is reserved for the ring's own wrap
 * padding, which consumers never see. Smallest record 8 bytes, largest
 * rs_spsc_max_record(capacity) = capacity / 2.
 *
 * Producer: p = rs_spsc_try_claim(&prod, len) ... write ... (more claims)
 *           rs_spsc_commit(&prod) publishes every claimed record at once.
 * Consumer: while ((r = rs_spsc_poll(&cons))) { use r } rs_spsc_release(&cons)
 *           frees every polled record at once; or m = rs_spsc_mark(&cons)
 *           after some record, go on polling, later rs_spsc_release_to(&cons,
 *           m) frees only the records up to m (the recorder: free what the
 *           journal has written while later records wait for their write).
 *           A polled record stays valid until release. The consumer
 *           publishes its released position to the producer in chunks --
 *           once capacity/16 bytes are released, or as soon as a poll finds
 *           the ring empty -- so record-at-a-time consumption costs one
 *           shared-line write per chunk, not per record. (The recorder
 *           cursor publishes every release.)
 *
 * Recorder cursor: an optional second consumer (rs_spsc_cons_init with
 * RS_SPSC_RECORDER). While it is attached the producer never reuses space the
 * recorder has not released: nothing is overwritten before it is journaled.
 * Policy when the recorder is absent or behind is the engine's (config):
 * the ring itself never drops a record; the producer sees RS_FULL.
 *
 * Crash behaviour: a producer killed mid-claim exposes nothing (head only
 * moves in commit). A consumer killed and restarted resumes at the last
 * published position (tail), so records polled but not yet published (at
 * most capacity/16 bytes beyond the last poll that found the ring empty) are
 * seen again: consumers must be idempotent or tolerate re-delivery.
 */
#ifndef RINGSIDE_RING_H
#define RINGSIDE_RING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/atomics.h"
#include "ringside/common.h"

#define RS_SPSC_MAGIC 0x31474e4952535221ull   /* "!RSRING1" */
#define RS_SPSC_VERSION 1u
#define RS_SPSC_PAD_TYPE 0xFFFFu
#define RS_SPSC_NAME_MAX 24

enum rs_spsc_rec_state { RS_SPSC_REC_NONE = 0, RS_SPSC_REC_ATTACHED = 1, RS_SPSC_REC_DETACHED = 2 };

typedef struct rs_spsc_hdr {
    /* line 0: immutable after init */
    uint64_t magic;
    uint32_t version;
    uint32_t capacity;                 /* bytes, power of two */
    uint32_t flags;
    uint32_t id;                       /* stream id it carries */
    char name[RS_SPSC_NAME_MAX];
    uint8_t pad0[RS_CACHELINE - 48];
    /* line 1 */
    rs_atomic_u64 head RS_CL_ALIGNED;  /* published end; producer writes */
    uint8_t pad1[RS_CACHELINE - 8];
    /* line 2 */
    rs_atomic_u64 tail RS_CL_ALIGNED;  /* released end; consumer writes */
    uint8_t pad2[RS_CACHELINE - 8];
    /* line 3 */
    rs_atomic_u64 rec_tail RS_CL_ALIGNED; /* recorder's released end */
    rs_atomic_u64 rec_consumed;        /* records the recorder released */
    rs_atomic_u32 rec_state;           /* enum rs_spsc_rec_state */
    uint8_t pad3[RS_CACHELINE - 20];
    /* line 4: producer counters (relaxed; read by other processes) */
    rs_atomic_u64 published RS_CL_ALIGNED;  /* records committed */
    rs_atomic_u64 full_count;          /* try_claim refused for lack of space */
    rs_atomic_u64 max_depth;           /* bytes in use, high-water mark */
    uint8_t pad4[RS_CACHELINE - 24];
    /* line 5: consumer counters */
    rs_atomic_u64 consumed RS_CL_ALIGNED;
    uint8_t pad5[RS_CACHELINE - 8];
} rs_spsc_hdr;
static_assert(sizeof(rs_spsc_hdr) == 6 * RS_CACHELINE, "ring header is six cache lines");

/* Producer handle: private to the producing thread (caller memory). Caches
 * the consumers' positions so the common case touches no shared line. */
typedef struct rs_spsc_prod {
    rs_spsc_hdr *h;
    uint8_t *data;
    uint64_t mask;
    uint64_t claim;        /* end of claimed-but-unpublished records */
    uint64_t head;         /* last published position (our copy) */
    uint64_t limit;        /* cached: min(tail, rec_tail) + capacity */
    uint64_t pending;      /* records claimed since the last commit */
    uint64_t published;    /* our copy of the shared counter */
    uint64_t full;         /* our copy of the shared counter */
    uint64_t max_depth;    /* our copy of the shared counter */
    uint64_t touched;      /* rs_spsc_touch_ahead wrote the pages below this position */
} rs_spsc_prod;

/* Consumer handle (the consumer or the recorder): private to its thread. */
typedef struct rs_spsc_cons {
    rs_spsc_hdr *h;
    const uint8_t *data;
    uint64_t mask;
    uint64_t pos;          /* next record to poll */
    uint64_t head_cache;   /* cached head */
    uint64_t polled;       /* records polled since the last release */
    uint64_t consumed;     /* our copy of the shared counter */
    uint64_t rel_pos;      /* released (freed) up to here ... */
    uint64_t pub_pos;      /* ... and published to the producer up to here */
    uint64_t quantum;      /* publish when rel_pos - pub_pos reaches this */
    bool recorder;
    bool corrupt;          /* a record header failed validation */
} rs_spsc_cons;

enum { RS_SPSC_CONSUMER = 0, RS_SPSC_RECORDER = 1 };
#define RS_SPSC_F_RECORDER 1u    /* init flag: a recorder cursor will gate reuse */

/* Bytes of memory for a ring of `capacity` data bytes (power of two, >= 4096).
 * Returns 0 if capacity is invalid. */
size_t rs_spsc_memsize(uint32_t capacity);

/* Largest record (header included) a ring of `capacity` accepts. */
static inline uint32_t rs_spsc_max_record(uint32_t capacity) { return capacity / 2; }

/* Initialise a ring in caller memory (64-byte aligned, rs_spsc_memsize bytes,
 * zeroed or not). flags: RS_SPSC_F_RECORDER to wait for a recorder cursor
 * from the start (rec_state = DETACHED gates like ATTACHED until a recorder
 * attaches, so nothing produced before it attaches is overwritten).
 * Returns 0, or -EINVAL with a message. Not thread-safe (control path). */
int rs_spsc_init(void *mem, uint32_t capacity, uint32_t id, const char *name, uint32_t flags);

/* Check that mem holds a ring of this version (attach path). 0 or
 * -RS_EVERSION / -EINVAL with a message. */
int rs_spsc_check(const void *mem, size_t size);

/* Bind a producer handle to an initialised ring. Resumes at the published
 * head (a restarted producer continues where the dead one committed). */
void rs_spsc_prod_init(rs_spsc_prod *p, void *mem);

/* Bind a consumer handle. role: RS_SPSC_CONSUMER resumes at tail.
 * RS_SPSC_RECORDER marks the recorder attached and resumes at rec_tail when
 * the ring was already gated on a recorder (created with RS_SPSC_F_RECORDER,
 * or a previous recorder died): nothing is lost. On a ring that was not
 * gated (a recorder started by hand on a running engine) it starts at the
 * oldest record the consumer has not released -- the oldest the ring can
 * still guarantee -- and everything before is a gap the recorder journals
 * (compare the first record's seq with what was published). */
void rs_spsc_cons_init(rs_spsc_cons *c, void *mem, int role);

/* Recorder leaves cleanly: the producer stops waiting for it. */
void rs_spsc_recorder_detach(rs_spsc_cons *c);

/* Hot path. Claim len bytes (>= 8, <= max record) for a record after the
 * ones already claimed. Returns the record's memory (len bytes, 8-aligned;
 * the caller writes the u32 length and u16 type) or NULL when the ring has no
 * space now (RS_FULL) or len is invalid. No syscalls, no allocation. */
void *rs_spsc_try_claim(rs_spsc_prod *p, uint32_t len);

/* Hot path. True if a record of `bytes` (header included) can be claimed now
 * (wrap padding accounted for); refreshes the cached consumer positions only
 * when the cache says no. Used to give a handler guaranteed headroom. */
bool rs_spsc_has_room(rs_spsc_prod *p, uint32_t bytes);

/* Producer thread, while idle. Write one byte of every page of the free
 * space in the next `bytes` after the claim position (never past what the
 * consumers have freed), once per pass of the ring: the first store to a
 * page can stall for microseconds (measured on KVM guests: page-crossing
 * claims 5-15 us), and this takes that stall off the next record's
 * critical path. The bytes written are free space no reader looks at.
 * Returns the pages touched. */
uint32_t rs_spsc_touch_ahead(rs_spsc_prod *p, uint32_t bytes);

/* Hot path. Publish every record claimed since the last commit (one release
 * store of head). */
void rs_spsc_commit(rs_spsc_prod *p);

/* Hot path. The next record, or NULL when none is published (RS_EMPTY).
 * Valid until rs_spsc_release. */
const void *rs_spsc_poll(rs_spsc_cons *c);

/* Hot path. Free every record polled so far (one release store). */
void rs_spsc_release(rs_spsc_cons *c);

/* A point in a consumer handle's stream of polled records: the ring
 * position just after a polled record, and how many records the handle had
 * polled in all (released or not) up to there. Plain value, caller memory. */
typedef struct rs_spsc_point {
    uint64_t pos;
    uint64_t count;
} rs_spsc_point;

/* Hot path. The point just after the last record polled so far. Reads only
 * the handle (no shared memory). */
static inline rs_spsc_point rs_spsc_mark(const rs_spsc_cons *c)
{
    rs_spsc_point m = {c->pos, c->consumed + c->polled};
    return m;
}

/* Hot path. Free the polled records up to point m (from rs_spsc_mark on this
 * handle), keeping every record polled after m held: the producer cannot
 * reuse their space and they stay valid. Points must be released in the
 * order they were taken; a point at or before the last release (or one not
 * from this handle's polled range) changes nothing. Publishes like
 * rs_spsc_release: the recorder cursor at once (one release store of
 * rec_tail), a consumer in chunks. No syscalls, no allocation. */
void rs_spsc_release_to(rs_spsc_cons *c, rs_spsc_point m);

/* Bytes published but not yet released by the consumer (approximate when
 * called from a third party). */
uint64_t rs_spsc_depth(const rs_spsc_hdr *h);

#endif
