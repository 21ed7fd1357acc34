/* ringside/region.h -- one shared-memory region per engine instance.
 *
 * shm_open("/ringside.<instance>") + mmap, pre-faulted (MAP_POPULATE),
 * huge pages when available (a one-line notice when falling back). The
 * versioned header (rs_region_hdr) holds the layout (ring table), the creator
 * pid and start time, TSC calibration, per-thread heartbeats, counters and a
 * control block. Other processes (recorder, ctl, top) attach by instance name;
 * a region of another version/layout, or a stale one whose creator is dead,
 * is refused with a clear message (`ringside ctl cleanup` removes stale ones).
 */
#ifndef RINGSIDE_REGION_H
#define RINGSIDE_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "ringside/atomics.h"
#include "ringside/common.h"
#include "ringside/ring.h"

#define RS_REGION_MAGIC 0x4e4f494745525352ull   /* "RSREGION" */
#define RS_REGION_VERSION 2u   /* 2: cpu per thread, stage latency, positions, circuits */
#define RS_REGION_MAX_RINGS 16
#define RS_REGION_MAX_THREADS 16
#define RS_REGION_NAME_MAX 48
#define RS_REGION_COUNTERS 64
#define RS_REGION_MAX_STAGES 8
#define RS_REGION_MAX_SYMS 16
#define RS_REGION_MAX_CIRCUITS 48     /* gate circuits 0..31, exec circuits 100.. at 32.. */

typedef struct rs_region_ring_desc {
    char name[RS_SPSC_NAME_MAX];
    uint32_t stream;          /* enum rs_stream_id */
    uint32_t capacity;
    uint64_t offset;          /* from the region start, 64-aligned */
} rs_region_ring_desc;

typedef struct rs_region_thread {
    char name[16];
    rs_atomic_u64 heartbeat_ns;  /* CLOCK_REALTIME of the last loop iteration */
    rs_atomic_u64 loops;
    rs_atomic_u64 events;
    rs_atomic_i32 tid;
    rs_atomic_u32 state;         /* 0 idle, 1 running, 2 stopped, 3 crashed */
    rs_atomic_i32 cpu;           /* CPU it is pinned to, -1 not pinned */
    uint32_t pad;
} rs_region_thread;

/* Monitoring tables below are written by the engine thread that owns the
 * value (single writer, relaxed stores, no locks) and read by `ringside top`
 * / `ctl status` from another process with relaxed loads. Doubles are
 * stored as their bit pattern (rs_region_f64_store / _load). */

/* Handling latency of one stage (runtime histogram, refreshed ~5x/s). */
typedef struct rs_region_stage_lat {
    rs_atomic_u64 count;
    rs_atomic_u64 p50_ns, p99_ns, p999_ns, max_ns;
} rs_region_stage_lat;

/* Position of one instrument (from the gate's position records). */
typedef struct rs_region_pos {
    char symbol[16];             /* written once at creation */
    uint32_t qty_exp;            /* written once at creation */
    uint32_t pad;
    rs_atomic_i64 qty;           /* signed, fixed point: units = qty / 10^qty_exp */
    rs_atomic_u64 avg_px, mark_px, realized, unrealized, fees;   /* f64 */
    rs_atomic_i64 ts;            /* logical time of the last update */
    rs_atomic_u64 updates;
} rs_region_pos;

/* State of one risk circuit (from RS_EV_RISK records). */
typedef struct rs_region_circuit {
    rs_atomic_u32 action;        /* last action: 0 info, 1 pause, 2 kill, 3 cut, 4 resume, 5 escalate */
    rs_atomic_u32 sym;           /* 0xffff: portfolio-wide */
    rs_atomic_u64 events;        /* records seen */
    rs_atomic_u64 trips;         /* of them pause/kill/cut/escalate */
    rs_atomic_u64 value, limit;  /* f64 */
    rs_atomic_i64 ts;
} rs_region_circuit;

/* Control block: operator commands and engine-wide flags. */
typedef struct rs_region_ctl {
    rs_atomic_u32 kill;              /* latched kill switch */
    rs_atomic_u32 pause;             /* no new positions */
    rs_atomic_u32 stop;              /* clean stop requested */
    rs_atomic_u32 journal_unhealthy; /* recorder failed: no new positions */
    rs_atomic_u32 recorder_pid;
    rs_atomic_u32 recorder_state;    /* 0 none, 1 attaching, 2 attached, 3 failed, 4 exited */
    rs_atomic_u64 recorder_heartbeat_ns;
    /* Command mailbox (ctl -> engine): a writer takes `lock` (CAS 0->1),
     * writes cmd/arg, then bumps cmd_seq (release; partner: the engine's
     * acquire load of cmd_seq) and clears lock. The engine acknowledges by
     * storing cmd_ack = cmd_seq. */
    rs_atomic_u32 lock;
    rs_atomic_u32 cmd;
    rs_atomic_u64 cmd_seq;
    rs_atomic_u64 cmd_ack;
    char arg[128];
} rs_region_ctl;

typedef struct rs_region_hdr {
    uint64_t magic;
    uint32_t version;
    uint32_t hdr_size;
    uint64_t layout_hash;        /* of the ring table and sizes */
    uint64_t schema_hash;        /* rs_schema_hash() of the creator's build */
    uint64_t total_size;
    int32_t creator_pid;
    uint32_t n_rings;
    int64_t start_ns;            /* CLOCK_REALTIME at creation */
    double tsc_ghz;              /* TSC ticks per ns */
    uint32_t huge_pages;         /* 1 if backed by huge pages */
    uint32_t pad;
    char instance[RS_REGION_NAME_MAX];
    rs_region_ring_desc rings[RS_REGION_MAX_RINGS];
    rs_region_thread threads[RS_REGION_MAX_THREADS] RS_CL_ALIGNED;
    rs_atomic_u64 counters[RS_REGION_COUNTERS] RS_CL_ALIGNED;   /* enum rs_counter (runtime.h) */
    rs_region_ctl ctl RS_CL_ALIGNED;
    rs_region_stage_lat stage_lat[RS_REGION_MAX_STAGES] RS_CL_ALIGNED;   /* enum rs_stage_id */
    uint32_t n_syms;                                                     /* set at creation */
    uint32_t pad2;
    rs_region_pos pos[RS_REGION_MAX_SYMS] RS_CL_ALIGNED;
    rs_region_circuit circuits[RS_REGION_MAX_CIRCUITS] RS_CL_ALIGNED;   /* rs_region_circuit_slot() */
} rs_region_hdr;

/* Slot of a circuit id in rs_region_hdr.circuits (gate ids < 32, exec ids
 * 100..115), or -1. */
static inline int rs_region_circuit_slot(unsigned id)
{
    return id < 32 ? (int)id : id >= 100 && id < 100 + RS_REGION_MAX_CIRCUITS - 32 ? (int)(32 + id - 100) : -1;
}

static inline void rs_region_f64_store(rs_atomic_u64 *a, double v)
{
    uint64_t u;
    memcpy(&u, &v, sizeof u);
    rs_store_relaxed(a, u);
}

static inline double rs_region_f64_load(const rs_atomic_u64 *a)
{
    uint64_t u = rs_load_relaxed((rs_atomic_u64 *)a);
    double v;
    memcpy(&v, &u, sizeof v);
    return v;
}

typedef struct rs_region {
    rs_region_hdr *hdr;
    size_t size;
    int fd;
    bool owner;                  /* created it (unlinks on destroy) */
    uint64_t hdr_schema_expect;  /* set before create/attach: the event
                                    schema hash to stamp / require (0: any) */
    char shm_name[RS_REGION_NAME_MAX + 32];
} rs_region;

typedef struct rs_region_ring_spec {
    const char *name;
    uint32_t stream;
    uint32_t capacity;           /* power of two */
    uint32_t flags;              /* RS_SPSC_F_RECORDER */
} rs_region_ring_spec;

/* Create (and map, pre-fault) the region for `instance` with the given rings.
 * An existing region of that name is refused if its creator is alive, and
 * replaced (with a log line) if stale. Returns 0 or -errno/-RS_E.. with a
 * message. The caller owns r and releases it with rs_region_destroy. */
int rs_region_create(rs_region *r, const char *instance, const rs_region_ring_spec *specs, unsigned n);

/* Attach to an existing region. Refuses (with a message) a missing region,
 * a different version/schema/layout, or a stale one (creator dead) unless
 * allow_stale. */
int rs_region_attach(rs_region *r, const char *instance, bool allow_stale);

/* Unmap; the owner also unlinks the shm object. */
void rs_region_destroy(rs_region *r);
/* Unmap without unlinking (attached processes). */
void rs_region_detach(rs_region *r);

/* Ring memory for a stream id, or NULL. */
void *rs_region_ring(const rs_region *r, uint32_t stream);

/* True if the creator process is alive. */
bool rs_region_creator_alive(const rs_region_hdr *h);

/* Remove the region of `instance` if its creator is dead. Returns 1 removed,
 * 0 nothing to do, -EBUSY (alive) or -errno. */
int rs_region_cleanup(const char *instance);

/* Post a command to the engine's mailbox (ctl). Returns the command's
 * sequence number (> 0) or -errno. */
int64_t rs_region_post_cmd(rs_region *r, uint32_t cmd, const char *arg);

#endif
