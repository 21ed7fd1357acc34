/* ringside/recorder.h -- the recorder: a process (or thread) that attaches to
 * an engine instance's shared-memory region as the recorder cursor of every
 * ring and journals every record (ringside/journal.h).
 *
 * Life cycle (region ctl block, for the runtime to watch):
 *   recorder_pid = getpid(); recorder_state 1 (attaching) -> 2 (attached,
 *   every ring has the recorder cursor; the runtime may start producing)
 *   -> 4 (exited cleanly) or 3 (failed: journal_unhealthy = 1 as well).
 *   recorder_heartbeat_ns is refreshed about every 10 ms.
 * A failure of the journal (write error, fsync error, disk full) is fatal:
 * the recorder raises journal_unhealthy, detaches from the rings (so the
 * engine is never blocked by a dead journal and can still flatten), and
 * returns an error. It never retries a failed write or sync.
 *
 * Records it adds itself (stream RS_JSTREAM_RECORDER, own seq from 1):
 *   RS_EV_GAP reason 1: attached late, the ring no longer held [from, to]
 *   RS_EV_GAP reason 2: a per-stream sequence gap seen in a ring
 *   RS_EV_GAP reason 3: the engine died without a clean stop; from_seq is the
 *                       next seq the stream would have had, to_seq = 0 (open)
 *   RS_EV_ALARM: engine dead, stale heartbeat, malformed ring record; and
 *                RS_RALARM_RESUMED first thing after a resume, so the
 *                journal says where a recorder restart happened.
 */
#ifndef RINGSIDE_RECORDER_H
#define RINGSIDE_RECORDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/atomics.h"
#include "ringside/journal.h"

enum rs_recorder_state { RS_REC_NONE = 0, RS_REC_ATTACHING = 1, RS_REC_ATTACHED = 2, RS_REC_FAILED = 3,
                         RS_REC_EXITED = 4 };

enum rs_rec_alarm { RS_RALARM_ENGINE_DEAD = 1, RS_RALARM_HEARTBEAT = 2, RS_RALARM_BAD_RECORD = 3,
                    RS_RALARM_RING_CORRUPT = 4, RS_RALARM_RESUMED = 5 };

typedef struct rs_recorder_stats {
    uint64_t records;          /* ring records journaled */
    uint64_t bytes;            /* journal bytes written */
    uint64_t gaps;             /* gap records written */
    uint64_t lost;             /* records missing in those gaps */
    uint64_t duplicates;       /* records skipped as already journaled (resume) */
    uint64_t bad;              /* malformed ring records (alarmed, not journaled) */
    uint64_t syncs;
    char dir[512];             /* the journal directory used */
} rs_recorder_stats;

typedef struct rs_recorder_opts {
    const char *instance;          /* required */
    const char *dir;               /* NULL: rs_journal_default_dir(base_dir, ...) */
    const char *base_dir;          /* NULL: "var/journal" */
    bool resume;                   /* dir holds a journal: continue it (dedup by seq) */
    /* journal settings (0 = writer default, see rs_journal_opts) */
    uint64_t segment_bytes;
    int64_t fsync_interval_ns;
    uint64_t fsync_bytes;
    bool fsync_on_order;
    int io;                        /* enum rs_jio */
    uint32_t batch_bytes;
    const rs_journal_blob *blobs;  /* config and model bytes to embed */
    unsigned n_blobs;
    int64_t attach_wait_ns;        /* wait this long for the region to appear (0: don't) */
    int64_t heartbeat_timeout_ns;  /* thread heartbeat older than this: alarm (0: 2 s) */
    const rs_atomic_u32 *stop;     /* optional: non-zero = drain, seal, exit */
    bool quiet;                    /* no info log lines */
    rs_recorder_stats *stats;      /* optional output */
} rs_recorder_opts;

/* Run the recorder until *stop (SIGINT/SIGTERM in `ringside record`), or
 * until the engine has stopped -- ctl.stop set and no thread in state 1
 * (running) -- or exited (creator pid gone); in every case after draining
 * every ring. Blocks; allocates at start-up only.
 * Returns 0 (journal sealed), or a negative code with a message: region
 * missing / incompatible (nothing written), or a journal failure (recorder
 * state 3, journal_unhealthy raised). The journal directory is logged at
 * start and stored in stats->dir. */
int rs_recorder_run(const rs_recorder_opts *o);

#endif
