/* Journal writer: frames records into large batches and writes them through
 * io_uring (or plain pwrite(2), for comparison), with a data-sync policy.
 *
 * Failure is permanent and fail-closed: the first write/sync error (or a
 * short write, which is how a full disk shows up) stops the writer, cuts the
 * file back to the last whole batch so no half frame stays on disk, and every
 * later call returns the error. Retrying a failed fsync is unsafe (the kernel
 * may already have dropped the dirty pages), so we never do.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_int.h"
#include "ringside/crc32c.h"
#include "ringside/file.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/tsc.h"

enum { B_FREE = 0, B_FILLING, B_INFLIGHT, B_DONE };
#define SYNC_TAG 0xFFFFFFFFull

typedef struct jbuf {
    uint8_t *p;
    uint32_t len;
    int state;
    uint64_t file_off;     /* where it goes in the current segment */
    uint64_t gseq_end;     /* last frame in it */
    uint64_t order;        /* submission number */
} jbuf;

struct rs_journal_writer {
    rs_journal_opts o;
    char dir[512];
    char instance[48];
    int dirfd;
    int fd;
    uint32_t seg_no;
    uint64_t seg_off;      /* logical end of the segment (incl. filling buffer) */
    uint64_t seg_records;
    uint64_t seg_first_gseq;
    uint32_t chain;
    /* header image (fixed part + blobs), rewritten per segment */
    uint8_t *hdr;
    uint32_t hdr_len;
    /* buffers */
    jbuf *bufs;
    uint32_t nbufs;
    int cur;               /* filling buffer, -1 none */
    uint64_t next_order, done_order;  /* submissions made / completed in order */
    struct io_uring ring;
    bool ring_ok;
    bool sync_inflight;
    bool sync_wanted;      /* requested, waiting for writes or the running sync */
    uint64_t sync_gseq;    /* gseq the in-flight sync covers */
    uint64_t written_off;  /* file offset up to which every write completed */
    /* progress */
    uint64_t appended, submitted_gseq, written, durable;
    uint64_t bytes, syncs, bytes_since_sync, rec_bytes;
    int64_t last_sync_ns;
    bool order_pending;
    int failed;
    bool crc_hw;           /* SSE4.2 crc32: fused copy + CRC per frame */
    uint64_t resume_seq[RS_STREAM_MAX];
};

uint64_t rs_journal_appended(const rs_journal_writer *w) { return w->appended; }
uint64_t rs_journal_submitted(const rs_journal_writer *w) { return w->submitted_gseq; }
uint64_t rs_journal_written(const rs_journal_writer *w) { return w->written; }
uint64_t rs_journal_durable(const rs_journal_writer *w) { return w->durable; }
uint64_t rs_journal_bytes(const rs_journal_writer *w) { return w->bytes; }
uint64_t rs_journal_syncs(const rs_journal_writer *w) { return w->syncs; }
int rs_journal_failed(const rs_journal_writer *w) { return w->failed; }
const char *rs_journal_dir(const rs_journal_writer *w) { return w->dir; }
uint64_t rs_journal_resume_seq(const rs_journal_writer *w, uint16_t stream)
{
    return stream < RS_STREAM_MAX ? w->resume_seq[stream] : 0;
}


/* Permanent failure: remember it, cut the segment back to the last complete
 * write (a whole-frame boundary) so no half frame remains, and tell the log. */
static int fail(rs_journal_writer *w, int err, const char *what)
{
    if (w->failed)
        return w->failed;
    w->failed = err < 0 ? err : -err;
    char msg[900];
    snprintf(msg, sizeof msg, "%s/" RS_JSEG_FMT " offset %llu: %s: %s; journal stopped (fail-closed)", w->dir,
             w->seg_no, (unsigned long long)w->written_off, what, strerror(-w->failed));
    /* Writes still in flight could land after the truncation below and
     * leave a hole-free but half-valid tail: wait for them first. */
    while (w->ring_ok) {
        bool busy = w->sync_inflight;
        for (uint32_t i = 0; i < w->nbufs && !busy; i++)
            busy = w->bufs[i].state == B_INFLIGHT;
        if (!busy)
            break;
        struct io_uring_cqe *cqe;
        int rc = io_uring_wait_cqe(&w->ring, &cqe);
        if (rc == -EINTR)
            continue;
        if (rc < 0)
            break;
        uint64_t ud = cqe->user_data;
        io_uring_cqe_seen(&w->ring, cqe);
        if (ud == SYNC_TAG)
            w->sync_inflight = false;
        else
            w->bufs[ud].state = B_FREE;
    }
    if (w->fd >= 0) {
        /* best effort: the data before written_off is intact frames */
        if (ftruncate(w->fd, (off_t)w->written_off) == 0)
            (void)fsync(w->fd);
    }
    rs_error("journal", "%s", msg);
    rs_err_set(-w->failed, "%s", msg);
    return w->failed;
}

static int build_hdr(rs_journal_writer *w)
{
    uint64_t len = sizeof(rs_jseg_hdr);
    for (unsigned i = 0; i < w->o.n_blobs; i++) {
        const rs_journal_blob *b = &w->o.blobs[i];
        size_t nl = b->name ? strlen(b->name) + 1 : 1;
        if (nl > RS_JBLOB_NAME_MAX)
            return rs_err_set(ENAMETOOLONG, "journal blob %u: name '%s' longer than %d", i, b->name,
                              RS_JBLOB_NAME_MAX);
        len = RS_ALIGN_UP(len + 16 + nl + b->size, (uint64_t)8);
    }
    if (len > 1u << 30)
        return rs_err_set(EFBIG, "journal header with blobs is %llu bytes (max 1 GiB)", (unsigned long long)len);
    w->hdr = rs_mem_alloc(len, 64, "journal segment header");
    if (!w->hdr)
        return -ENOMEM;
    w->hdr_len = (uint32_t)len;
    rs_jseg_hdr *h = (rs_jseg_hdr *)w->hdr;
    h->magic = RS_JSEG_MAGIC;
    h->version = RS_JSEG_VERSION;
    h->hdr_len = w->hdr_len;
    h->schema_hash = rs_schema_hash();
    h->start_ns = w->o.start_ns;
    h->n_blobs = w->o.n_blobs;
    h->writer_pid = (int32_t)getpid();
    snprintf(h->instance, sizeof h->instance, "%s", w->instance);
    uint64_t off = sizeof *h;
    for (unsigned i = 0; i < w->o.n_blobs; i++) {
        const rs_journal_blob *b = &w->o.blobs[i];
        uint32_t nl = b->name ? (uint32_t)strlen(b->name) + 1 : 1;
        memcpy(w->hdr + off, &b->kind, 4);
        memcpy(w->hdr + off + 4, &nl, 4);
        memcpy(w->hdr + off + 8, &b->size, 8);
        if (b->name)
            memcpy(w->hdr + off + 16, b->name, nl);
        if (b->size)
            memcpy(w->hdr + off + 16 + nl, b->data, b->size);
        off = RS_ALIGN_UP(off + 16 + nl + b->size, (uint64_t)8);
    }
    return 0;
}

/* New segment: write header to a temp name, sync, rename, sync directory,
 * so a segment file that exists under its final name always has a whole
 * header. Space for the segment is reserved up front (fallocate keeping the
 * size) so a full disk shows up here, before any record is written, rather
 * than as a half-written batch. */
static int open_segment(rs_journal_writer *w, uint32_t no, uint64_t first_gseq)
{
    char tmp[640], fin[640];
    snprintf(tmp, sizeof tmp, "%s/." RS_JSEG_FMT ".tmp", w->dir, no);
    snprintf(fin, sizeof fin, "%s/" RS_JSEG_FMT, w->dir, no);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return rs_err_set(errno, "%s: create: %s", tmp, strerror(errno));
    rs_jseg_hdr *h = (rs_jseg_hdr *)w->hdr;
    h->segment_no = no;
    h->first_gseq = first_gseq;
    h->created_ns = rs_now_ns();
    h->hdr_crc = 0;
    h->hdr_crc = rs_jseg_hdr_crc(w->hdr, w->hdr_len);
    int e = 0;
    const char *what = NULL;
    if (fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, (off_t)w->o.segment_bytes) != 0 && errno != EOPNOTSUPP &&
        errno != ENOSYS) {
        e = errno;
        what = "reserve space (fallocate)";
    }
    if (!e) {
        ssize_t n = pwrite(fd, w->hdr, w->hdr_len, 0);
        if (n != (ssize_t)w->hdr_len) {
            e = n < 0 ? errno : ENOSPC;
            what = "write header";
        }
    }
    if (!e && fsync(fd) != 0) {
        e = errno;
        what = "fsync";
    }
    if (!e && rename(tmp, fin) != 0) {
        e = errno;
        what = "rename";
    }
    if (!e && fsync(w->dirfd) != 0) {
        e = errno;
        what = "fsync directory";
    }
    if (e) {
        close(fd);
        unlink(tmp);
        return rs_err_set(e, "%s: %s: %s", fin, what, strerror(e));
    }
    w->fd = fd;
    w->seg_no = no;
    w->seg_off = w->hdr_len;
    w->written_off = w->hdr_len;
    w->seg_records = 0;
    w->seg_first_gseq = first_gseq;
    w->chain = h->hdr_crc;
    return 0;
}

/* ---- submission and completion ---------------------------------------- */

static int complete_buf(rs_journal_writer *w, jbuf *b, int res)
{
    if (res < 0 || (uint32_t)res != b->len) {
        b->state = B_FREE;
        return res < 0 ? fail(w, res, "write") : fail(w, -ENOSPC, "short write (disk full?)");
    }
    b->state = B_DONE;
    /* Advance in submission order: a later batch finishing first does not
     * make earlier frames written. */
    for (;;) {
        jbuf *nx = NULL;
        for (uint32_t i = 0; i < w->nbufs; i++)
            if (w->bufs[i].state == B_DONE && w->bufs[i].order == w->done_order) {
                nx = &w->bufs[i];
                break;
            }
        if (!nx)
            break;
        w->done_order++;
        w->written = nx->gseq_end;
        w->written_off = nx->file_off + nx->len;
        w->bytes += nx->len;
        nx->state = B_FREE;
        nx->len = 0;
    }
    return 0;
}

static int sync_done(rs_journal_writer *w, int res)
{
    w->sync_inflight = false;
    if (res < 0)
        return fail(w, res, "fdatasync");
    w->durable = w->sync_gseq;
    w->syncs++;
    return 0;
}

static int reap(rs_journal_writer *w, bool wait)
{
    if (!w->ring_ok)
        return 0;
    struct io_uring_cqe *cqe;
    for (;;) {
        int rc = wait ? io_uring_wait_cqe(&w->ring, &cqe) : io_uring_peek_cqe(&w->ring, &cqe);
        if (rc == -EAGAIN || rc == -EINTR) {
            if (wait && rc == -EINTR)
                continue;
            return 0;
        }
        if (rc < 0)
            return fail(w, rc, "io_uring wait");
        uint64_t ud = cqe->user_data;
        int res = cqe->res;
        io_uring_cqe_seen(&w->ring, cqe);
        int r2 = ud == SYNC_TAG ? sync_done(w, res) : complete_buf(w, &w->bufs[ud], res);
        if (r2)
            return r2;
        wait = false;
    }
}

static int submit_buf(rs_journal_writer *w, int idx)
{
    jbuf *b = &w->bufs[idx];
    b->state = B_INFLIGHT;
    b->order = w->next_order++;
    w->submitted_gseq = b->gseq_end;
    w->bytes_since_sync += b->len;
    uint32_t len = b->len;
    /* test hook: a disk that fills up at fail_after_bytes */
    if (w->o.fail_after_bytes && w->rec_bytes + len > w->o.fail_after_bytes)
        len = (uint32_t)(w->o.fail_after_bytes > w->rec_bytes ? w->o.fail_after_bytes - w->rec_bytes : 0);
    w->rec_bytes += b->len;
    if (w->o.io == RS_JIO_WRITE || !w->ring_ok) {
        ssize_t n = len ? pwrite(w->fd, b->p, len, (off_t)b->file_off) : 0;
        return complete_buf(w, b, n < 0 ? -errno : (int)n);
    }
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    if (!sqe) {
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
        if (!sqe)
            return fail(w, -EBUSY, "io_uring submission queue full");
    }
    io_uring_prep_write(sqe, w->fd, b->p, len, b->file_off);
    io_uring_sqe_set_data64(sqe, (uint64_t)idx);
    int rc = io_uring_submit(&w->ring);
    if (rc < 0)
        return fail(w, rc, "io_uring submit");
    return 0;
}

/* A sync covers the writes that completed before it was issued, so it is
 * issued for exactly those (durable becomes `written` at submission). Not
 * chained behind queued writes with IOSQE_IO_DRAIN: that would also stall
 * every later write until the sync finished, and under sustained load
 * waiting for "no write in flight" would starve the sync. A sync wanted
 * while one runs is coalesced into the next. */
static int submit_sync(rs_journal_writer *w)
{
    if (w->submitted_gseq == w->durable && !w->sync_inflight) {
        w->sync_wanted = false;
        return 0;
    }
    if (w->sync_inflight || w->written == w->durable) {
        /* running, or nothing new has completed yet: later */
        w->sync_wanted = true;
        return 0;
    }
    w->sync_wanted = false;
    w->sync_gseq = w->written;
    w->bytes_since_sync = 0;
    w->order_pending = false;
    w->last_sync_ns = rs_mono_ns();
    if (w->o.io == RS_JIO_WRITE || !w->ring_ok)
        return sync_done(w, fdatasync(w->fd) == 0 ? 0 : -errno);
    w->sync_inflight = true;
    struct io_uring_sqe *sqe = io_uring_get_sqe(&w->ring);
    if (!sqe) {
        io_uring_submit(&w->ring);
        sqe = io_uring_get_sqe(&w->ring);
        if (!sqe)
            return fail(w, -EBUSY, "io_uring submission queue full");
    }
    io_uring_prep_fsync(sqe, w->fd, IORING_FSYNC_DATASYNC);
    io_uring_sqe_set_data64(sqe, SYNC_TAG);
    int rc = io_uring_submit(&w->ring);
    if (rc < 0)
        return fail(w, rc, "io_uring submit");
    return 0;
}

/* Wait until every submitted write and sync has completed. */
static int drain(rs_journal_writer *w)
{
    for (;;) {
        if (w->failed)
            return w->failed;
        bool busy = w->sync_inflight;
        for (uint32_t i = 0; i < w->nbufs && !busy; i++)
            busy = w->bufs[i].state == B_INFLIGHT || w->bufs[i].state == B_DONE;
        if (!busy)
            return 0;
        int rc = reap(w, true);
        if (rc)
            return rc;
    }
}

static int flush_cur(rs_journal_writer *w)
{
    if (w->cur < 0 || w->bufs[w->cur].len == 0)
        return 0;
    int idx = w->cur;
    w->cur = -1;
    return submit_buf(w, idx);
}

static int get_buf(rs_journal_writer *w)
{
    for (;;) {
        for (uint32_t i = 0; i < w->nbufs; i++)
            if (w->bufs[i].state == B_FREE) {
                jbuf *b = &w->bufs[i];
                b->state = B_FILLING;
                b->len = 0;
                b->file_off = w->seg_off;
                w->cur = (int)i;
                return 0;
            }
        int rc = reap(w, true);   /* every buffer in flight: back-pressure */
        if (rc)
            return rc;
    }
}

static int seal_and_close(rs_journal_writer *w)
{
    int rc = flush_cur(w);
    if (!rc)
        rc = drain(w);
    if (rc)
        return rc;
    uint8_t seal[RS_JSEAL_SIZE];
    uint32_t len = RS_JFRAME_SEAL;
    uint64_t cnt = w->seg_records;
    uint32_t c = rs_crc32c(rs_crc32c(w->chain, &len, 4), &cnt, 8);
    memcpy(seal, &len, 4);
    memcpy(seal + 4, &c, 4);
    memcpy(seal + 8, &cnt, 8);
    ssize_t n = pwrite(w->fd, seal, sizeof seal, (off_t)w->seg_off);
    if (n != (ssize_t)sizeof seal)
        return fail(w, n < 0 ? -errno : -ENOSPC, "write seal");
    /* the reserved-but-unused space goes back */
    if (ftruncate(w->fd, (off_t)(w->seg_off + sizeof seal)) != 0)
        return fail(w, -errno, "ftruncate at seal");
    if (fdatasync(w->fd) != 0)
        return fail(w, -errno, "fdatasync at seal");
    w->seg_off += sizeof seal;
    w->written_off = w->seg_off;
    w->durable = w->written = w->appended;
    w->syncs++;
    close(w->fd);
    w->fd = -1;
    return 0;
}

static int rotate(rs_journal_writer *w)
{
    int rc = seal_and_close(w);
    if (rc)
        return rc;
    rc = open_segment(w, w->seg_no + 1, w->appended + 1);
    if (rc)
        return fail(w, rc, "open next segment");
    return 0;
}

/* ---- framing ----------------------------------------------------------- */

/* Frame one record at dst: len field, chained CRC, the record zero-padded to
 * 8. Returns the new chain value. The portable path copies, pads, then CRCs
 * (rs_jframe_crc); the SSE4.2 path does it in one pass -- each 8-byte word
 * is loaded once, stored and folded into the CRC -- which is what the
 * recorder spends most of its per-record instructions on otherwise. Both
 * produce the same bytes and the same CRC (chaining crc32c over a || b equals
 * crc32c over b seeded with crc32c over a; tests compare against the
 * reader's rs_jframe_crc). */
static uint32_t frame_sw(uint32_t chain, uint8_t *dst, const rs_rec *r, uint32_t len, uint32_t padded)
{
    memcpy(dst, &len, 4);
    memcpy(dst + RS_JFRAME_HDR, r, len);
    memset(dst + RS_JFRAME_HDR + len, 0, padded - len);
    uint32_t c = rs_jframe_crc(chain, len, dst + RS_JFRAME_HDR, padded);
    memcpy(dst + 4, &c, 4);
    return c;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t frame_hw(uint32_t chain, uint8_t *dst, const rs_rec *r,
                                                           uint32_t len, uint32_t padded)
{
    (void)padded;
    const uint8_t *src = (const uint8_t *)r;
    uint8_t *out = dst + RS_JFRAME_HDR;
    uint64_t c = __builtin_ia32_crc32si(~chain, len);
    uint32_t words = len / 8;
    /* unrolled: the loop's own bookkeeping was a third of its instructions */
#pragma GCC unroll 4
    for (uint32_t i = 0; i < words; i++) {
        uint64_t v;
        memcpy(&v, src + 8 * i, 8);
        memcpy(out + 8 * i, &v, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    if (len & 7) {
        /* the last word: record bytes, then zero padding (never read past
         * len: the source may be exactly len bytes long) */
        uint64_t v = 0;
        memcpy(&v, src + 8 * words, len & 7);
        memcpy(out + 8 * words, &v, 8);
        c = __builtin_ia32_crc32di(c, v);
    }
    uint32_t crc = ~(uint32_t)c;
    memcpy(dst, &len, 4);
    memcpy(dst + 4, &crc, 4);
    return crc;
}
#else
static uint32_t frame_hw(uint32_t chain, uint8_t *dst, const rs_rec *r, uint32_t len, uint32_t padded)
{
    return frame_sw(chain, dst, r, len, padded);
}
#endif

/* ---- public ------------------------------------------------------------ */

int rs_journal_append(rs_journal_writer *w, const rs_rec *r)
{
    if (RS_UNLIKELY(w->failed))
        return w->failed;
    uint32_t len = r->len;
    if (RS_UNLIKELY(len < sizeof(rs_rec) || len > RS_REC_MAX))
        return -EINVAL;
    uint32_t padded = rs_rec_padded(len);
    uint32_t need = RS_JFRAME_HDR + padded;
    if (RS_UNLIKELY(w->seg_off + need + RS_JSEAL_SIZE > w->o.segment_bytes && w->seg_records > 0)) {
        int rc = rotate(w);
        if (rc)
            return rc;
    }
    if (w->cur < 0 || w->bufs[w->cur].len + need > w->o.batch_bytes) {
        int rc = flush_cur(w);
        if (!rc)
            rc = get_buf(w);
        if (rc)
            return rc;
        if (w->o.fsync_bytes && w->bytes_since_sync >= w->o.fsync_bytes && (rc = submit_sync(w)))
            return rc;
    }
    jbuf *b = &w->bufs[w->cur];
    uint8_t *p = b->p + b->len;
    w->chain = RS_LIKELY(w->crc_hw) ? frame_hw(w->chain, p, r, len, padded) : frame_sw(w->chain, p, r, len, padded);
    b->len += need;
    b->gseq_end = ++w->appended;
    w->seg_off += need;
    w->seg_records++;
    if (rs_journal_is_order_type(r->type))
        w->order_pending = true;
    return 0;
}

int rs_journal_poll(rs_journal_writer *w, bool flush)
{
    if (w->failed)
        return w->failed;
    int rc = reap(w, false);
    if (rc)
        return rc;
    bool want_sync = false;
    if (w->o.fsync_on_order && w->order_pending)
        want_sync = true;
    if (w->o.fsync_bytes && w->bytes_since_sync + (w->cur >= 0 ? w->bufs[w->cur].len : 0) >= w->o.fsync_bytes)
        want_sync = true;
    if (w->o.fsync_interval_ns && w->appended > w->durable &&
        rs_mono_ns() - w->last_sync_ns >= w->o.fsync_interval_ns)
        want_sync = true;
    if (flush || want_sync)
        if ((rc = flush_cur(w)))
            return rc;
    if ((want_sync || w->sync_wanted) && (rc = submit_sync(w)))
        return rc;
    if ((rc = reap(w, false)))
        return rc;
    if (w->sync_wanted && (rc = submit_sync(w)))
        return rc;
    return 0;
}

int rs_journal_sync(rs_journal_writer *w)
{
    if (w->failed)
        return w->failed;
    int rc = flush_cur(w);
    while (!rc && w->durable < w->submitted_gseq) {
        if (!(rc = drain(w)) && !(rc = submit_sync(w)))
            rc = drain(w);
    }
    return rc;
}

int rs_journal_writer_close(rs_journal_writer *w)
{
    if (w->fd < 0)
        return w->failed;
    if (w->failed) {
        close(w->fd);
        w->fd = -1;
        return w->failed;
    }
    int rc = seal_and_close(w);
    if (!rc && fsync(w->dirfd) != 0)
        rc = fail(w, -errno, "fsync directory");
    return rc;
}

void rs_journal_writer_destroy(rs_journal_writer *w)
{
    if (!w)
        return;
    if (w->ring_ok) {
        /* wait for writes still referencing our buffers before freeing them */
        bool busy = true;
        while (busy && !w->failed) {
            busy = w->sync_inflight;
            for (uint32_t i = 0; i < w->nbufs && !busy; i++)
                busy = w->bufs[i].state == B_INFLIGHT;
            if (busy && reap(w, true))
                break;
        }
        io_uring_queue_exit(&w->ring);
    }
    if (w->fd >= 0)
        close(w->fd);
    if (w->dirfd >= 0)
        close(w->dirfd);
    for (uint32_t i = 0; w->bufs && i < w->nbufs; i++)
        rs_mem_free(w->bufs[i].p);
    rs_mem_free(w->bufs);
    rs_mem_free(w->hdr);
    rs_mem_free(w);
}

/* Resume: find the end of good data, cut a torn tail, seal the last
 * segment, and return the next segment number and gseq. */
static int resume(rs_journal_writer *w, uint32_t *next_no, uint64_t *next_gseq)
{
    rs_journal_reader *r;
    int rc = rs_journal_open(&r, w->dir);
    if (rc == -ENOENT) {
        rs_err_clear();
        *next_no = 1;
        *next_gseq = 1;
        return 0;
    }
    if (rc)
        return rc;
    const rs_rec *x;
    while (rs_journal_next(r, &x, NULL) > 0) {
    }
    const rs_journal_status *st = rs_journal_get_status(r);
    rs_journal_endstate e;
    rs_journal_endstate_get(r, &e);
    for (int s = 0; s < RS_STREAM_MAX; s++)
        w->resume_seq[s] = st->last_seq[s];
    *next_gseq = st->records + 1;
    if (e.damaged_before_last) {
        rs_journal_close(r);
        return rs_err_set(RS_ECORRUPT, "%s: damage before the last segment (%s offset %llu: %s); not resuming",
                          w->dir, st->bad_file, (unsigned long long)st->bad_offset, st->reason);
    }
    if (st->tail == RS_JTAIL_TORN || st->tail == RS_JTAIL_CORRUPT)
        rs_warn("journal", "%s offset %llu: %s (%s tail, %llu bytes): truncated on resume", st->bad_file,
                (unsigned long long)st->bad_offset, st->reason, rs_jtail_name(st->tail),
                (unsigned long long)st->bad_bytes);
    rc = 0;
    if (e.good_end == 0) {
        /* the last segment's header itself is bad: set the file aside */
        char aside[300];
        snprintf(aside, sizeof aside, "%s.damaged", e.path);
        if (rename(e.path, aside) != 0)
            rc = rs_err_set(errno, "%s: rename: %s", e.path, strerror(errno));
        *next_no = e.segment_no;
    } else if (!e.sealed) {
        int fd = open(e.path, O_WRONLY | O_CLOEXEC);
        if (fd < 0) {
            rc = rs_err_set(errno, "%s: open: %s", e.path, strerror(errno));
        } else {
            uint8_t seal[RS_JSEAL_SIZE];
            uint32_t len = RS_JFRAME_SEAL;
            uint64_t cnt = e.seg_records;
            uint32_t c = rs_crc32c(rs_crc32c(e.chain_crc, &len, 4), &cnt, 8);
            memcpy(seal, &len, 4);
            memcpy(seal + 4, &c, 4);
            memcpy(seal + 8, &cnt, 8);
            if (ftruncate(fd, (off_t)e.good_end) != 0 ||
                pwrite(fd, seal, sizeof seal, (off_t)e.good_end) != (ssize_t)sizeof seal || fsync(fd) != 0)
                rc = rs_err_set(errno ? errno : EIO, "%s: seal on resume: %s", e.path, strerror(errno));
            close(fd);
        }
        *next_no = e.segment_no + 1;
    } else {
        *next_no = e.segment_no + 1;
    }
    rs_journal_close(r);
    return rc;
}

int rs_journal_writer_create(rs_journal_writer **out, const rs_journal_opts *o)
{
    *out = NULL;
    if (!o->dir || !o->instance)
        return rs_err_set(EINVAL, "journal: dir and instance are required");
    if (o->n_blobs > RS_JBLOB_MAX)
        return rs_err_set(EINVAL, "journal: %u blobs, at most %d", o->n_blobs, RS_JBLOB_MAX);
    rs_journal_writer *w = rs_mem_alloc(sizeof *w, 64, "journal writer");
    if (!w)
        return -ENOMEM;
    w->o = *o;
    w->fd = -1;
    w->dirfd = -1;
    w->cur = -1;
    w->crc_hw = rs_crc32c_hw_available() && !o->portable_crc;
    snprintf(w->dir, sizeof w->dir, "%s", o->dir);
    snprintf(w->instance, sizeof w->instance, "%s", o->instance);
    if (!w->o.start_ns)
        w->o.start_ns = rs_now_ns();
    if (!w->o.segment_bytes)
        w->o.segment_bytes = 256ull << 20;
    if (!w->o.batch_bytes)
        w->o.batch_bytes = 1u << 20;
    if (w->o.batch_bytes < 2 * (RS_REC_MAX + RS_JFRAME_HDR))
        w->o.batch_bytes = 2 * (RS_REC_MAX + RS_JFRAME_HDR);
    if (!w->o.batches)
        w->o.batches = 8;
    if (w->o.batches < 2)
        w->o.batches = 2;
    int rc = rs_file_mkdirs(w->dir, 0755);
    if (rc)
        goto fail;
    if ((rc = build_hdr(w)))
        goto fail;
    if (w->o.segment_bytes < (uint64_t)w->hdr_len + 2 * (RS_REC_MAX + RS_JFRAME_HDR) + RS_JSEAL_SIZE)
        w->o.segment_bytes = (uint64_t)w->hdr_len + 2 * (RS_REC_MAX + RS_JFRAME_HDR) + RS_JSEAL_SIZE;
    w->dirfd = open(w->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (w->dirfd < 0) {
        rc = rs_err_set(errno, "%s: open directory: %s", w->dir, strerror(errno));
        goto fail;
    }
    w->nbufs = w->o.batches;
    w->bufs = rs_mem_alloc(w->nbufs * sizeof(jbuf), 64, "journal buffers");
    if (!w->bufs) {
        rc = -ENOMEM;
        goto fail;
    }
    for (uint32_t i = 0; i < w->nbufs; i++) {
        /* 4 KiB aligned: friendly to the page cache and to O_DIRECT later */
        w->bufs[i].p = rs_mem_alloc(w->o.batch_bytes, 4096, "journal batch buffer");
        if (!w->bufs[i].p) {
            rc = -ENOMEM;
            goto fail;
        }
    }
    if (w->o.io == RS_JIO_URING) {
        rc = io_uring_queue_init(w->nbufs * 2 + 4, &w->ring, 0);
        if (rc < 0) {
            /* io_uring can be disabled (seccomp, sysctl kernel.io_uring_disabled):
             * same journal through pwrite(2), said once */
            rs_warn("journal", "io_uring unavailable (%s): writing with pwrite(2) batches", strerror(-rc));
            w->o.io = RS_JIO_WRITE;
            rc = 0;
        } else {
            w->ring_ok = true;
        }
    }
    uint32_t no = 1;
    uint64_t g = 1;
    if (o->resume && (rc = resume(w, &no, &g)))
        goto fail;
    if (!o->resume) {
        char probe[640];
        snprintf(probe, sizeof probe, "%s/" RS_JSEG_FMT, w->dir, 1u);
        if (access(probe, F_OK) == 0) {
            rc = rs_err_set(EEXIST, "%s: journal already exists (resume it or choose another directory)", w->dir);
            goto fail;
        }
    }
    w->appended = w->written = w->durable = w->submitted_gseq = g - 1;
    if ((rc = open_segment(w, no, g)))
        goto fail;
    w->last_sync_ns = rs_mono_ns();
    *out = w;
    return 0;
fail:
    rs_journal_writer_destroy(w);
    return rc;
}
