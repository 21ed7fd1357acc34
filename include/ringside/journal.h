/* ringside/journal.h -- the on-disk journal: segment writer, reader,
 * recovery. Format and trade-offs: docs/journal.md.
 *
 * A journal is a directory of segment files seg-000001.rsj, seg-000002.rsj ...
 * Each segment: a header (rs_jseg_hdr, then the embedded blobs -- the exact
 * config and model file bytes), then frames. A frame is
 *     u32 len   (the record's rs_rec.len; record bytes follow, padded to 8)
 *     u32 crc   CRC32C chained: crc32c(seed = previous frame's crc, or the
 *               header crc for the first frame; bytes = len field || padded record)
 * The record is the ring record byte for byte (rs_rec carries stream id and
 * per-stream seq). The global order across streams is the order of the frames
 * (the recorder's append order); frame i of the journal has global sequence
 * number gseq = i + 1. A sealed segment ends with a seal frame
 * (len = RS_JFRAME_SEAL, crc, u64 record count). Chaining the CRC means a
 * lost, duplicated or reordered frame breaks the chain, not just a flipped bit.
 *
 * Recovery rule: a frame whose length is impossible, whose bytes run past the
 * end of the file, or whose CRC does not match ends the journal there. Nothing
 * after it is ever returned, even if later bytes look valid.
 */
#ifndef RINGSIDE_JOURNAL_H
#define RINGSIDE_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ringside/common.h"
#include "ringside/event.h"

#define RS_JSEG_MAGIC 0x31304c4e524a5352ull    /* "RSJRNL01" */
#define RS_JSEG_VERSION 1u
#define RS_JFRAME_SEAL 0xFFFFFFFFu
#define RS_JFRAME_HDR 8u                        /* u32 len + u32 crc */
#define RS_JSEAL_SIZE 16u                       /* frame header + u64 count */
#define RS_JBLOB_NAME_MAX 120
#define RS_JBLOB_MAX 8

/* Stream id of records the recorder writes itself (RS_EV_GAP, RS_EV_ALARM). */
#define RS_JSTREAM_RECORDER 0u

/* ENSEMBLE: an ensemble description written at a hot swap (RS_EV_BLOB, see
 * tools/model_reload.h), keyed by the ensemble hash. */
enum rs_jblob_kind { RS_JBLOB_CONFIG = 1, RS_JBLOB_MODEL = 2, RS_JBLOB_OTHER = 3, RS_JBLOB_ENSEMBLE = 4 };

/* Segment header (fixed part, 192 bytes, little-endian), followed by n_blobs
 * blob entries: { u32 kind; u32 name_len; u64 size; name[name_len];
 * data[size]; zero pad to 8 }. hdr_len covers all of it. hdr_crc is CRC32C
 * over hdr_len bytes with the hdr_crc field taken as zero. */
typedef struct rs_jseg_hdr {
    uint64_t magic;
    uint32_t version;
    uint32_t hdr_len;          /* fixed part + blobs, multiple of 8 */
    uint64_t schema_hash;      /* rs_schema_hash() of the writer */
    uint64_t segment_no;       /* 1, 2, ... */
    uint64_t first_gseq;       /* global sequence number of its first frame */
    int64_t start_ns;          /* journal start, CLOCK_REALTIME */
    int64_t created_ns;        /* this segment's creation */
    uint32_t n_blobs;
    uint32_t hdr_crc;
    int32_t writer_pid;
    uint32_t flags;
    char instance[48];
    uint8_t reserved[72];
} rs_jseg_hdr;
static_assert(sizeof(rs_jseg_hdr) == 192, "segment header is 192 bytes");

/* A blob to embed (writer input) or embedded (reader output: name and data
 * point into the reader's mapping, valid until rs_journal_close). */
typedef struct rs_journal_blob {
    uint32_t kind;             /* enum rs_jblob_kind */
    const char *name;          /* file name it came from (<= RS_JBLOB_NAME_MAX) */
    const void *data;
    uint64_t size;
} rs_journal_blob;

/* ---- writer ----------------------------------------------------------- */

enum rs_jio { RS_JIO_URING = 0, RS_JIO_WRITE = 1 };

typedef struct rs_journal_opts {
    const char *dir;           /* journal directory; created (with parents) */
    const char *instance;
    int64_t start_ns;          /* 0: now */
    uint64_t segment_bytes;    /* rotate after this many bytes (0: 256 MiB) */
    /* fsync policy: a data sync is issued when ANY enabled trigger fires.
     * All zero/false: never, except on rotation and close. */
    int64_t fsync_interval_ns; /* since the last sync, with data pending */
    uint64_t fsync_bytes;      /* bytes written since the last sync */
    bool fsync_on_order;       /* after any RS_EV_ORDER / EXEC_REPORT / INTENT */
    uint32_t batch_bytes;      /* size of one write (0: 1 MiB) */
    uint32_t batches;          /* buffers (writes in flight + filling; 0: 8) */
    int io;                    /* enum rs_jio; io_uring falls back to pwrite
                                  (with a warning) where the kernel refuses it */
    const rs_journal_blob *blobs;
    unsigned n_blobs;          /* <= RS_JBLOB_MAX */
    /* Open an existing journal: truncate a torn tail, seal the last
     * segment, continue in a new one (gseq continues). */
    bool resume;
    /* Test hook: pretend the disk fails after this many record bytes
     * (0: off); the write that crosses it is cut short like ENOSPC. */
    uint64_t fail_after_bytes;
    /* Test hook: frame records with the portable CRC32C path even where the
     * SSE4.2 path is available (the two must write identical bytes). */
    bool portable_crc;
} rs_journal_opts;

typedef struct rs_journal_writer rs_journal_writer;

/* Create a writer: directory, first (or next, when resuming) segment with
 * header and blobs, fsync of file and directory. Allocates (control path);
 * release with rs_journal_writer_destroy. Returns 0 or -errno / -RS_ECORRUPT
 * (resume of a journal whose damage is not at the tail) / -EEXIST (dir
 * already holds a journal and resume is false) with a message. */
int rs_journal_writer_create(rs_journal_writer **w, const rs_journal_opts *o);

/* Append one record (r->len bytes, rs_rec header included) as the next frame.
 * Copies it into the current batch; submits the batch when full. No
 * allocation. Returns 0, or a negative code once the writer has failed
 * (write error, fsync error, disk full): the failure is permanent, the
 * message says what and where, and nothing is written after it. */
int rs_journal_append(rs_journal_writer *w, const rs_rec *r);

/* Reap finished writes, issue a sync when the policy says so, submit the
 * partial batch when `flush` (the recorder does so when idle). Never blocks
 * on I/O except when every buffer is in flight. Returns 0 or the permanent
 * failure code. */
int rs_journal_poll(rs_journal_writer *w, bool flush);

/* Write everything appended and data-sync it; blocks. 0 or failure code. */
int rs_journal_sync(rs_journal_writer *w);

/* Sync, write the seal frame, sync, close. After a failure it closes without
 * sealing (and returns the failure). The writer must still be destroyed. */
int rs_journal_writer_close(rs_journal_writer *w);

/* Free the writer (closes the fd without sealing if still open). NULL ok. */
void rs_journal_writer_destroy(rs_journal_writer *w);

/* Progress, in global sequence numbers (frames counted from 1):
 *   appended: frames handed to rs_journal_append so far (incl. resumed ones)
 *   submitted: frames whose batch has been handed to the kernel (a write
 *             submitted or done); appended - submitted sit in the batch
 *             being filled until it is full or rs_journal_poll(w, true)
 *   written:  frames whose bytes the kernel has accepted (page cache): they
 *             survive a crash of this process, so ring space may be released
 *   durable:  frames covered by a completed data sync: they survive power loss
 */
uint64_t rs_journal_appended(const rs_journal_writer *w);
uint64_t rs_journal_submitted(const rs_journal_writer *w);
uint64_t rs_journal_written(const rs_journal_writer *w);
uint64_t rs_journal_durable(const rs_journal_writer *w);
/* Bytes of records written (frames included) and syncs completed. */
uint64_t rs_journal_bytes(const rs_journal_writer *w);
uint64_t rs_journal_syncs(const rs_journal_writer *w);
/* The failure code (0 while healthy). */
int rs_journal_failed(const rs_journal_writer *w);
/* Last per-stream seq found in the journal when resuming (0: none), so a
 * resumed recorder can skip records it already journaled. */
uint64_t rs_journal_resume_seq(const rs_journal_writer *w, uint16_t stream);
/* The directory (borrowed). */
const char *rs_journal_dir(const rs_journal_writer *w);

/* ---- reader ----------------------------------------------------------- */

enum rs_jtail {
    RS_JTAIL_SEALED = 0,      /* last segment ends with a valid seal: clean close */
    RS_JTAIL_OPEN = 1,        /* ends at a frame boundary without a seal (writer
                                 crashed or is still running; nothing torn) */
    RS_JTAIL_TORN = 2,        /* a frame runs past the end of the file */
    RS_JTAIL_CORRUPT = 3,     /* bad length, bad CRC, bad header, broken chain */
};

typedef struct rs_journal_gap {
    uint16_t stream;
    uint16_t explained;       /* a recorder RS_EV_GAP record covers it */
    uint64_t from_seq, to_seq;/* missing [from, to] */
    uint64_t at_gseq;         /* the frame where it was noticed */
} rs_journal_gap;

#define RS_JOURNAL_MAX_GAPS 256

/* What a read found. Filled as the reader advances; final after the last
 * rs_journal_next returned 0 or < 0. */
typedef struct rs_journal_status {
    int tail;                 /* enum rs_jtail */
    uint32_t segments;        /* segment files found */
    uint32_t bad_segment;     /* segment_no where reading stopped on damage */
    char bad_file[256];       /* its path */
    uint64_t bad_offset;      /* byte offset of the bad frame in it */
    uint64_t bad_bytes;       /* bytes from there to the end of that file */
    char reason[160];         /* what was wrong */
    uint64_t records;         /* good frames returned */
    uint64_t bytes;           /* bytes of all segment files */
    uint64_t per_stream[RS_STREAM_MAX];     /* records per stream */
    uint64_t last_seq[RS_STREAM_MAX];       /* last seq seen per stream */
    uint64_t seq_errors;      /* duplicate or backwards seq (invented data) */
    uint64_t lost;            /* records missing in unexplained gaps */
    uint64_t lost_explained;  /* records missing in recorder-journaled gaps */
    uint32_t n_gaps;          /* entries in gaps[] (capped) */
    uint32_t n_gaps_total;
    rs_journal_gap gaps[RS_JOURNAL_MAX_GAPS];
} rs_journal_status;

/* Position of the record rs_journal_next returned. */
typedef struct rs_journal_pos {
    uint64_t gseq;            /* global order, from 1 */
    uint32_t segment;         /* segment_no */
    uint64_t offset;          /* frame offset in that segment file */
} rs_journal_pos;

typedef struct rs_journal_reader rs_journal_reader;

/* Open a journal directory (or a single segment file) read-only: list and
 * map its segments, check the first segment's header. Allocates; release
 * with rs_journal_close. Returns 0, -ENOENT (no segments), -RS_EVERSION
 * (other version/schema; message says which), -RS_ECORRUPT (first header
 * unreadable), or -errno. */
int rs_journal_open(rs_journal_reader **r, const char *path);

/* The next record in global order: returns 1 and sets *rec (points into the
 * mapping, 8-aligned, valid until rs_journal_close) and *pos (may be NULL);
 * 0 at the end of good data (see status()->tail for why it ended); never
 * returns anything after a bad frame. */
int rs_journal_next(rs_journal_reader *r, const rs_rec **rec, rs_journal_pos *pos);

/* Start again from the first record (status is reset). */
void rs_journal_rewind(rs_journal_reader *r);

/* The first segment's header (borrowed). */
const rs_jseg_hdr *rs_journal_header(const rs_journal_reader *r);
/* Embedded blobs of the first segment: *n gets the count; borrowed. */
const rs_journal_blob *rs_journal_blobs(const rs_journal_reader *r, unsigned *n);
/* The first blob of a kind, or NULL. */
const rs_journal_blob *rs_journal_blob_find(const rs_journal_reader *r, uint32_t kind);
/* What reading has found so far (borrowed). */
const rs_journal_status *rs_journal_get_status(const rs_journal_reader *r);

/* Read to the end and fill the status (rewinds first). Returns 0 when the
 * journal is whole: no damage (tail SEALED or OPEN), no seq errors, no
 * unexplained gaps; else -RS_ECORRUPT with the message naming segment file
 * and offset. */
int rs_journal_verify(rs_journal_reader *r);

void rs_journal_close(rs_journal_reader *r);

/* Human name of an rs_jtail value. */
const char *rs_jtail_name(int tail);

/* Default journal directory for an instance: "<base>/<instance>/<UTC start
 * as YYYYMMDDTHHMMSSZ>" (base NULL: "var/journal"). Returns 0 or -ENAMETOOLONG. */
int rs_journal_default_dir(char *out, size_t n, const char *base, const char *instance, int64_t start_ns);

/* Helpers shared by writer, reader and tests. */
/* True for the record types the "every order" fsync policy syncs after. */
static inline bool rs_journal_is_order_type(uint16_t t)
{
    return t == RS_EV_ORDER || t == RS_EV_EXEC_REPORT || t == RS_EV_INTENT;
}

#endif
