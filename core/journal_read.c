/* Journal reader: maps segments read-only and walks frames in global order.
 * Every frame is checked (length, bounds, chained CRC) before it is returned;
 * the first bad frame ends the walk for good, so nothing after damage can be
 * mistaken for data. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "journal_int.h"
#include "ringside/crc32c.h"
#include "ringside/mem.h"

typedef struct seg {
    uint32_t no;
    char path[256];
    const uint8_t *map;
    size_t size;
} seg;

struct rs_journal_reader {
    seg *segs;
    uint32_t n_segs;
    rs_journal_blob blobs[RS_JBLOB_MAX];
    unsigned n_blobs;
    /* walk state */
    uint32_t cur;
    uint64_t off;
    bool hdr_ok;
    bool done;
    uint32_t chain;
    uint64_t seg_records;
    uint64_t gseq;
    /* recorder-journaled gaps not yet matched, per stream */
    uint64_t expl_from[RS_STREAM_MAX], expl_to[RS_STREAM_MAX];
    rs_journal_status st;
};

uint32_t rs_jseg_hdr_crc(const void *hdr, uint32_t hdr_len)
{
    const uint8_t *p = hdr;
    size_t at = offsetof(rs_jseg_hdr, hdr_crc);
    uint32_t z = 0;
    uint32_t c = rs_crc32c(0, p, at);
    c = rs_crc32c(c, &z, 4);
    return rs_crc32c(c, p + at + 4, hdr_len - at - 4);
}

uint32_t rs_jframe_crc(uint32_t seed, uint32_t len, const void *rec, uint32_t padded)
{
    /* over the padding bytes as stored (zero when written), so damage there
     * is caught too */
    return rs_crc32c(rs_crc32c(seed, &len, 4), rec, padded);
}

const char *rs_jtail_name(int tail)
{
    switch (tail) {
    case RS_JTAIL_SEALED: return "sealed";
    case RS_JTAIL_OPEN: return "open";
    case RS_JTAIL_TORN: return "torn";
    case RS_JTAIL_CORRUPT: return "corrupt";
    default: return "?";
    }
}

static int seg_cmp(const void *a, const void *b)
{
    const seg *x = a, *y = b;
    return x->no < y->no ? -1 : x->no > y->no;
}

static int map_seg(seg *s)
{
    int fd = open(s->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rs_err_set(errno, "%s: open: %s", s->path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return rs_err_set(e, "%s: stat: %s", s->path, strerror(e));
    }
    s->size = (size_t)sb.st_size;
    s->map = NULL;
    if (s->size) {
        void *m = mmap(NULL, s->size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            int e = errno;
            close(fd);
            return rs_err_set(e, "%s: mmap: %s", s->path, strerror(e));
        }
        s->map = m;
    }
    close(fd);
    return 0;
}

void rs_journal_close(rs_journal_reader *r)
{
    if (!r)
        return;
    for (uint32_t i = 0; i < r->n_segs; i++)
        if (r->segs[i].map)
            munmap((void *)r->segs[i].map, r->segs[i].size);
    rs_mem_free(r->segs);
    rs_mem_free(r);
}

/* Validate a segment header; on success fill blobs (first segment only). */
static int check_hdr(rs_journal_reader *r, const seg *s, bool first, char *why, size_t whylen)
{
    if (s->size < sizeof(rs_jseg_hdr)) {
        snprintf(why, whylen, "file shorter than a segment header (%zu bytes)", s->size);
        return -RS_ECORRUPT;
    }
    const rs_jseg_hdr *h = (const rs_jseg_hdr *)s->map;
    if (h->magic != RS_JSEG_MAGIC) {
        snprintf(why, whylen, "bad magic (not a ringside journal segment)");
        return -RS_ECORRUPT;
    }
    if (h->version != RS_JSEG_VERSION) {
        snprintf(why, whylen, "journal format version %u, this build reads %u", h->version, RS_JSEG_VERSION);
        return -RS_EVERSION;
    }
    if (h->hdr_len < sizeof *h || h->hdr_len > s->size || (h->hdr_len & 7)) {
        snprintf(why, whylen, "header length %u out of range (file %zu bytes)", h->hdr_len, s->size);
        return -RS_ECORRUPT;
    }
    if (rs_jseg_hdr_crc(h, h->hdr_len) != h->hdr_crc) {
        snprintf(why, whylen, "header CRC mismatch");
        return -RS_ECORRUPT;
    }
    if (h->schema_hash != rs_schema_hash()) {
        snprintf(why, whylen, "record schema hash %016llx, this build has %016llx (written by another build)",
                 (unsigned long long)h->schema_hash, (unsigned long long)rs_schema_hash());
        return -RS_EVERSION;
    }
    if (h->segment_no != s->no) {
        snprintf(why, whylen, "header says segment %llu, file name says %u", (unsigned long long)h->segment_no, s->no);
        return -RS_ECORRUPT;
    }
    if (h->n_blobs > RS_JBLOB_MAX) {
        snprintf(why, whylen, "%u blobs (max %u)", h->n_blobs, RS_JBLOB_MAX);
        return -RS_ECORRUPT;
    }
    uint64_t off = sizeof *h;
    for (uint32_t i = 0; i < h->n_blobs; i++) {
        if (off + 16 > h->hdr_len) {
            snprintf(why, whylen, "blob %u runs past the header", i);
            return -RS_ECORRUPT;
        }
        uint32_t kind, nlen;
        uint64_t size;
        memcpy(&kind, s->map + off, 4);
        memcpy(&nlen, s->map + off + 4, 4);
        memcpy(&size, s->map + off + 8, 8);
        if (nlen > RS_JBLOB_NAME_MAX || size > h->hdr_len || off + 16 + nlen + size > h->hdr_len) {
            snprintf(why, whylen, "blob %u size out of range", i);
            return -RS_ECORRUPT;
        }
        if (first) {
            r->blobs[i].kind = kind;
            /* name is stored NUL-terminated (nlen includes the NUL) */
            r->blobs[i].name = nlen ? (const char *)(s->map + off + 16) : "";
            r->blobs[i].data = s->map + off + 16 + nlen;
            r->blobs[i].size = size;
        }
        off = RS_ALIGN_UP(off + 16 + nlen + size, (uint64_t)8);
    }
    if (first)
        r->n_blobs = h->n_blobs;
    return 0;
}

void rs_journal_rewind(rs_journal_reader *r)
{
    r->cur = 0;
    r->off = 0;
    r->hdr_ok = false;
    r->done = false;
    r->chain = 0;
    r->seg_records = 0;
    r->gseq = 0;
    memset(r->expl_from, 0, sizeof r->expl_from);
    memset(r->expl_to, 0, sizeof r->expl_to);
    uint64_t bytes = r->st.bytes;
    memset(&r->st, 0, sizeof r->st);
    r->st.bytes = bytes;
    r->st.segments = r->n_segs;
    r->st.tail = RS_JTAIL_OPEN;
}

int rs_journal_open(rs_journal_reader **out, const char *path)
{
    *out = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0)
        return rs_err_set(errno, "%s: %s", path, strerror(errno));
    rs_journal_reader *r = rs_mem_alloc(sizeof *r, 64, "journal reader");
    if (!r)
        return -ENOMEM;
    uint32_t cap = 16;
    r->segs = rs_mem_alloc(cap * sizeof(seg), 8, "journal segment list");
    if (!r->segs) {
        rs_mem_free(r);
        return -ENOMEM;
    }
    int rc = 0;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        if (!d) {
            rc = rs_err_set(errno, "%s: %s", path, strerror(errno));
            goto fail;
        }
        struct dirent *de;
        while ((de = readdir(d))) {
            unsigned no;
            char tail;
            if (sscanf(de->d_name, "seg-%u.rs%c", &no, &tail) != 2 || tail != 'j' ||
                strlen(de->d_name) != 14)
                continue;
            if (r->n_segs == cap) {
                seg *n = rs_mem_alloc(2 * cap * sizeof(seg), 8, "journal segment list");
                if (!n) {
                    closedir(d);
                    rc = -ENOMEM;
                    goto fail;
                }
                memcpy(n, r->segs, cap * sizeof(seg));
                rs_mem_free(r->segs);
                r->segs = n;
                cap *= 2;
            }
            seg *s = &r->segs[r->n_segs++];
            s->no = no;
            int k = snprintf(s->path, sizeof s->path, "%s/%s", path, de->d_name);
            if (k < 0 || (size_t)k >= sizeof s->path) {
                closedir(d);
                rc = rs_err_set(ENAMETOOLONG, "%s: path too long", path);
                goto fail;
            }
        }
        closedir(d);
        qsort(r->segs, r->n_segs, sizeof(seg), seg_cmp);
    } else {
        unsigned no = 0;
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (sscanf(base, "seg-%u.rsj", &no) != 1)
            no = 0;
        r->segs[0].no = no;
        snprintf(r->segs[0].path, sizeof r->segs[0].path, "%s", path);
        r->n_segs = 1;
    }
    if (r->n_segs == 0) {
        rc = rs_err_set(ENOENT, "%s: no journal segments (seg-NNNNNN.rsj) found", path);
        goto fail;
    }
    for (uint32_t i = 0; i < r->n_segs; i++) {
        if ((rc = map_seg(&r->segs[i])) != 0)
            goto fail;
        r->st.bytes += r->segs[i].size;
    }
    /* A single file opened directly may be any segment: accept its number. */
    if (!S_ISDIR(sb.st_mode) && r->segs[0].size >= sizeof(rs_jseg_hdr))
        r->segs[0].no = (uint32_t)((const rs_jseg_hdr *)r->segs[0].map)->segment_no;
    char why[160];
    if ((rc = check_hdr(r, &r->segs[0], true, why, sizeof why)) != 0) {
        rc = rs_err_set(-rc, "%s offset 0: %s", r->segs[0].path, why);
        goto fail;
    }
    rs_journal_rewind(r);
    *out = r;
    return 0;
fail:
    rs_journal_close(r);
    return rc;
}

const rs_jseg_hdr *rs_journal_header(const rs_journal_reader *r) { return (const rs_jseg_hdr *)r->segs[0].map; }

const rs_journal_blob *rs_journal_blobs(const rs_journal_reader *r, unsigned *n)
{
    *n = r->n_blobs;
    return r->blobs;
}

const rs_journal_blob *rs_journal_blob_find(const rs_journal_reader *r, uint32_t kind)
{
    for (unsigned i = 0; i < r->n_blobs; i++)
        if (r->blobs[i].kind == kind)
            return &r->blobs[i];
    return NULL;
}

const rs_journal_status *rs_journal_get_status(const rs_journal_reader *r) { return &r->st; }

static int stop_bad(rs_journal_reader *r, int tail, const char *fmt, ...) RS_PRINTF(3, 4);
static int stop_bad(rs_journal_reader *r, int tail, const char *fmt, ...)
{
    const seg *s = &r->segs[r->cur];
    r->done = true;
    r->st.tail = tail;
    r->st.bad_segment = s->no;
    snprintf(r->st.bad_file, sizeof r->st.bad_file, "%s", s->path);
    r->st.bad_offset = r->off;
    r->st.bad_bytes = s->size > r->off ? s->size - r->off : 0;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->st.reason, sizeof r->st.reason, fmt, ap);
    va_end(ap);
    return 0;
}

static void note_gap(rs_journal_reader *r, uint16_t s, uint64_t from, uint64_t to)
{
    uint64_t n = to - from + 1;
    bool expl = r->expl_from[s] && from >= r->expl_from[s] && (r->expl_to[s] == 0 || to <= r->expl_to[s]);
    if (expl)
        r->st.lost_explained += n;
    else
        r->st.lost += n;
    r->st.n_gaps_total++;
    if (r->st.n_gaps < RS_JOURNAL_MAX_GAPS) {
        rs_journal_gap *g = &r->st.gaps[r->st.n_gaps++];
        g->stream = s;
        g->explained = expl;
        g->from_seq = from;
        g->to_seq = to;
        g->at_gseq = r->gseq + 1;
    }
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

int rs_journal_next(rs_journal_reader *r, const rs_rec **rec, rs_journal_pos *pos)
{
    for (;;) {
        if (r->done)
            return 0;
        const seg *s = &r->segs[r->cur];
        if (!r->hdr_ok) {
            char why[160];
            if (check_hdr(r, s, false, why, sizeof why) != 0)
                return stop_bad(r, RS_JTAIL_CORRUPT, "%s", why);
            const rs_jseg_hdr *h = (const rs_jseg_hdr *)s->map;
            if (h->first_gseq != r->gseq + 1)
                return stop_bad(r, RS_JTAIL_CORRUPT, "segment starts at global seq %llu, expected %llu",
                                (unsigned long long)h->first_gseq, (unsigned long long)r->gseq + 1);
            if (r->cur > 0 && s->no != r->segs[r->cur - 1].no + 1)
                return stop_bad(r, RS_JTAIL_CORRUPT, "segment number %u follows %u (missing segment)", s->no,
                                r->segs[r->cur - 1].no);
            r->hdr_ok = true;
            r->off = h->hdr_len;
            r->chain = h->hdr_crc;
            r->seg_records = 0;
        }
        size_t left = s->size - r->off;
        if (left == 0) {
            if (r->cur + 1 < r->n_segs)
                return stop_bad(r, RS_JTAIL_CORRUPT, "segment ends without a seal but a later segment exists");
            r->done = true;
            r->st.tail = RS_JTAIL_OPEN;
            return 0;
        }
        const uint8_t *p = s->map + r->off;
        if (left < RS_JFRAME_HDR)
            return stop_bad(r, RS_JTAIL_TORN, "%zu bytes at the end, less than a frame header", left);
        uint32_t len, crc;
        memcpy(&len, p, 4);
        memcpy(&crc, p + 4, 4);
        if (len == RS_JFRAME_SEAL) {
            if (left < RS_JSEAL_SIZE)
                return stop_bad(r, RS_JTAIL_TORN, "seal frame cut short (%zu of %u bytes)", left, RS_JSEAL_SIZE);
            uint64_t cnt;
            memcpy(&cnt, p + 8, 8);
            uint32_t c = rs_crc32c(rs_crc32c(r->chain, &len, 4), p + 8, 8);
            if (c != crc)
                return stop_bad(r, RS_JTAIL_CORRUPT, "seal frame CRC mismatch");
            if (cnt != r->seg_records)
                return stop_bad(r, RS_JTAIL_CORRUPT, "seal counts %llu records, segment has %llu",
                                (unsigned long long)cnt, (unsigned long long)r->seg_records);
            if (left != RS_JSEAL_SIZE) {
                r->off += RS_JSEAL_SIZE;
                return stop_bad(r, RS_JTAIL_CORRUPT, "%zu bytes after the seal", left - RS_JSEAL_SIZE);
            }
            if (r->cur + 1 >= r->n_segs) {
                r->off += RS_JSEAL_SIZE;
                r->done = true;
                r->st.tail = RS_JTAIL_SEALED;
                return 0;
            }
            r->cur++;
            r->hdr_ok = false;
            r->off = 0;
            continue;
        }
        if (len < sizeof(rs_rec) || len > RS_REC_MAX) {
            if (all_zero(p, left))
                return stop_bad(r, RS_JTAIL_TORN, "zero-filled tail (%zu bytes): the write never reached the disk",
                                left);
            return stop_bad(r, RS_JTAIL_CORRUPT, "impossible record length %u", len);
        }
        uint32_t padded = rs_rec_padded(len);
        if ((uint64_t)RS_JFRAME_HDR + padded > left)
            return stop_bad(r, RS_JTAIL_TORN, "record of %u bytes runs past the end of the file (%zu bytes left)",
                            len, left);
        const rs_rec *x = (const rs_rec *)(p + RS_JFRAME_HDR);
        uint32_t c = rs_jframe_crc(r->chain, len, x, padded);
        if (c != crc)
            return stop_bad(r, RS_JTAIL_CORRUPT, "CRC mismatch (stored %08x, computed %08x)", crc, c);
        if (x->len != len)
            return stop_bad(r, RS_JTAIL_CORRUPT, "frame length %u but record header says %u", len, x->len);
        if (x->stream >= RS_STREAM_MAX)
            return stop_bad(r, RS_JTAIL_CORRUPT, "stream id %u out of range", x->stream);
        /* per-stream sequence */
        uint16_t sid = x->stream;
        uint64_t last = r->st.last_seq[sid];
        if (x->seq <= last) {
            r->st.seq_errors++;
        } else {
            if (x->seq > last + 1)
                note_gap(r, sid, last + 1, x->seq - 1);
            r->st.last_seq[sid] = x->seq;
        }
        if (x->type == RS_EV_GAP && len >= sizeof(rs_ev_gap)) {
            const rs_ev_gap *g = (const rs_ev_gap *)x;
            if (g->gap_stream < RS_STREAM_MAX) {
                r->expl_from[g->gap_stream] = g->from_seq;
                r->expl_to[g->gap_stream] = g->to_seq;
            }
        }
        r->st.per_stream[sid]++;
        r->st.records++;
        r->chain = c;
        r->seg_records++;
        r->gseq++;
        if (pos) {
            pos->gseq = r->gseq;
            pos->segment = s->no;
            pos->offset = r->off;
        }
        r->off += RS_JFRAME_HDR + padded;
        *rec = x;
        return 1;
    }
}

int rs_journal_verify(rs_journal_reader *r)
{
    rs_journal_rewind(r);
    const rs_rec *x;
    while (rs_journal_next(r, &x, NULL) > 0) {
    }
    const rs_journal_status *st = &r->st;
    if (st->tail == RS_JTAIL_TORN || st->tail == RS_JTAIL_CORRUPT)
        return rs_err_set(RS_ECORRUPT, "%s offset %llu: %s (%s tail; %llu good records before it)", st->bad_file,
                          (unsigned long long)st->bad_offset, st->reason, rs_jtail_name(st->tail),
                          (unsigned long long)st->records);
    if (st->seq_errors)
        return rs_err_set(RS_ECORRUPT, "%llu records with duplicate or backwards per-stream sequence numbers",
                          (unsigned long long)st->seq_errors);
    if (st->lost) {
        const rs_journal_gap *g = NULL;
        for (uint32_t i = 0; i < st->n_gaps; i++)
            if (!st->gaps[i].explained) {
                g = &st->gaps[i];
                break;
            }
        return rs_err_set(RS_ECORRUPT, "%llu records lost in sequence gaps%s%s seq %llu..%llu at global seq %llu)",
                          (unsigned long long)st->lost, g ? " (first: stream " : "",
                          g ? (rs_stream_name(g->stream) ? rs_stream_name(g->stream) : "?") : "",
                          g ? (unsigned long long)g->from_seq : 0ull, g ? (unsigned long long)g->to_seq : 0ull,
                          g ? (unsigned long long)g->at_gseq : 0ull);
    }
    return 0;
}

void rs_journal_endstate_get(const rs_journal_reader *r, rs_journal_endstate *e)
{
    memset(e, 0, sizeof *e);
    e->n_segments = r->n_segs;
    e->seg_index = r->cur;
    e->segment_no = r->segs[r->cur].no;
    snprintf(e->path, sizeof e->path, "%s", r->segs[r->cur].path);
    e->sealed = r->st.tail == RS_JTAIL_SEALED;
    e->damaged_before_last = r->cur + 1 < r->n_segs;
    e->good_end = r->hdr_ok ? r->off : 0;
    e->chain_crc = r->chain;
    e->seg_records = r->seg_records;
}

int rs_journal_default_dir(char *out, size_t n, const char *base, const char *instance, int64_t start_ns)
{
    time_t t = (time_t)(start_ns / 1000000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char ts[32];
    strftime(ts, sizeof ts, "%Y%m%dT%H%M%SZ", &tm);
    int k = snprintf(out, n, "%s/%s/%s", base ? base : "var/journal", instance, ts);
    if (k < 0 || (size_t)k >= n)
        return rs_err_set(ENAMETOOLONG, "journal directory name too long for instance '%s'", instance);
    return 0;
}
