/* Journal format: round trip through both I/O paths and rotation, blobs,
 * every truncation point of a small journal, a garbled byte in every frame,
 * zero-filled tails, resume after a crash, sequence gaps, fail-closed on a
 * full disk. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_testgen.h"
#include "ringside/journal.h"
#include "ringside/mem.h"
#include "testutil.h"

static char tmpdir[256];

static int setup(void **s)
{
    (void)s;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rs_jfmt.XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static const char cfg_bytes[] = "instance: t\nthreads: 1\n";
static const uint8_t model_bytes[5] = {0, 1, 2, 0xff, 0};

static void opts_default(rs_journal_opts *o, const char *dir)
{
    static rs_journal_blob blobs[2];
    blobs[0] = (rs_journal_blob){RS_JBLOB_CONFIG, "engine.yaml", cfg_bytes, sizeof cfg_bytes - 1};
    blobs[1] = (rs_journal_blob){RS_JBLOB_MODEL, "m.json", model_bytes, sizeof model_bytes};
    memset(o, 0, sizeof *o);
    o->dir = dir;
    o->instance = "unit";
    o->blobs = blobs;
    o->n_blobs = 2;
}

static void write_n(rs_journal_writer *w, uint64_t from, uint64_t to, uint32_t fixed)
{
    uint8_t buf[512];
    for (uint64_t g = from; g <= to; g++) {
        tg_make(g, buf, sizeof buf, fixed);
        assert_int_equal(rs_journal_append(w, (rs_rec *)buf), 0);
        if (g % 97 == 0)
            assert_int_equal(rs_journal_poll(w, g % 2 == 0), 0);
    }
}

/* Read all; every record must be record g in order. Returns count. */
static uint64_t read_all(const char *path, int *tail, uint32_t fixed)
{
    rs_journal_reader *r;
    int rc = rs_journal_open(&r, path);
    if (rc) {
        *tail = -1;
        return 0;
    }
    const rs_rec *x;
    rs_journal_pos pos;
    uint64_t n = 0;
    while (rs_journal_next(r, &x, &pos) > 0) {
        n++;
        assert_int_equal(pos.gseq, n);
        assert_true(tg_check(n, x, fixed));
    }
    *tail = rs_journal_get_status(r)->tail;
    rs_journal_close(r);
    return n;
}

static void roundtrip(int io)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/rt%d", tmpdir, io);
    rs_journal_opts o;
    opts_default(&o, dir);
    o.io = io;
    o.segment_bytes = 300 * 1024;   /* several rotations */
    o.batch_bytes = 128 * 1024;
    o.fsync_bytes = 200 * 1024;
    rs_journal_writer *w;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    write_n(w, 1, 20000, 0);
    assert_int_equal(rs_journal_sync(w), 0);
    assert_int_equal(rs_journal_durable(w), 20000);
    assert_int_equal(rs_journal_written(w), 20000);
    assert_int_equal(rs_journal_writer_close(w), 0);
    rs_journal_writer_destroy(w);

    int tail;
    assert_int_equal(read_all(dir, &tail, 0), 20000);
    assert_int_equal(tail, RS_JTAIL_SEALED);
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    assert_int_equal(rs_journal_verify(r), 0);
    const rs_journal_status *st = rs_journal_get_status(r);
    assert_true(st->segments > 3);
    assert_int_equal(st->records, 20000);
    assert_int_equal(st->lost, 0);
    assert_int_equal(st->per_stream[1] + st->per_stream[2] + st->per_stream[3], 20000);
    const rs_journal_blob *b = rs_journal_blob_find(r, RS_JBLOB_CONFIG);
    assert_non_null(b);
    assert_string_equal(b->name, "engine.yaml");
    assert_int_equal(b->size, sizeof cfg_bytes - 1);
    assert_memory_equal(b->data, cfg_bytes, b->size);
    b = rs_journal_blob_find(r, RS_JBLOB_MODEL);
    assert_non_null(b);
    assert_int_equal(b->size, 5);
    assert_memory_equal(b->data, model_bytes, 5);
    assert_string_equal(rs_journal_header(r)->instance, "unit");
    assert_int_equal(rs_journal_header(r)->schema_hash, rs_schema_hash());
    rs_journal_close(r);
}

static void test_roundtrip_uring(void **s) { (void)s; roundtrip(RS_JIO_URING); }
static void test_roundtrip_write(void **s) { (void)s; roundtrip(RS_JIO_WRITE); }

static size_t file_size(const char *p)
{
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    return (size_t)sb.st_size;
}

static uint8_t *slurp(const char *p, size_t *n)
{
    return (uint8_t *)rs_test_read_file(p, n);
}

static void put_file(const char *p, const uint8_t *d, size_t n)
{
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(d, 1, n, f), n);
    fclose(f);
}

/* A small sealed one-segment journal; returns its segment path and the
 * offsets where each frame starts (frame_off[k] for record k+1) and ends. */
static void small_journal(const char *dir, uint64_t n, char *seg, size_t seglen, uint64_t *frame_off)
{
    rs_journal_opts o;
    opts_default(&o, dir);
    rs_journal_writer *w;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    write_n(w, 1, n, 0);
    assert_int_equal(rs_journal_writer_close(w), 0);
    rs_journal_writer_destroy(w);
    snprintf(seg, seglen, "%s/seg-000001.rsj", dir);
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    const rs_rec *x;
    rs_journal_pos pos;
    uint64_t k = 0;
    while (rs_journal_next(r, &x, &pos) > 0)
        frame_off[k++] = pos.offset;
    assert_int_equal(k, n);
    frame_off[n] = frame_off[n - 1] + RS_JFRAME_HDR + rs_rec_padded(x->len);   /* seal starts here */
    rs_journal_close(r);
}

static void test_every_truncation(void **s)
{
    (void)s;
    char dir[300], seg[400], cut[400];
    snprintf(dir, sizeof dir, "%s/trunc", tmpdir);
    uint64_t off[32];
    const uint64_t n = 12;
    small_journal(dir, n, seg, sizeof seg, off);
    size_t full;
    uint8_t *img = slurp(seg, &full);
    assert_int_equal(full, off[n] + RS_JSEAL_SIZE);
    snprintf(cut, sizeof cut, "%s/cut", tmpdir);
    mkdir(cut, 0755);
    char cutseg[450];
    snprintf(cutseg, sizeof cutseg, "%s/seg-000001.rsj", cut);
    for (size_t L = 0; L <= full; L++) {
        put_file(cutseg, img, L);
        int tail;
        uint64_t got = read_all(cut, &tail, 0);
        if (L < off[0]) {              /* header cut: open refuses */
            assert_int_equal(tail, -1);
            continue;
        }
        uint64_t whole = 0;            /* frames entirely inside L */
        while (whole < n && off[whole + 1] <= L)
            whole++;
        assert_int_equal(got, whole);
        if (L == full)
            assert_int_equal(tail, RS_JTAIL_SEALED);
        else if (L == off[whole])
            assert_int_equal(tail, RS_JTAIL_OPEN);
        else
            assert_int_equal(tail, RS_JTAIL_TORN);
    }
    free(img);
}

static void test_garbled_frames(void **s)
{
    (void)s;
    char dir[300], seg[400], gdir[400], gseg[450];
    snprintf(dir, sizeof dir, "%s/garb", tmpdir);
    uint64_t off[32];
    const uint64_t n = 12;
    small_journal(dir, n, seg, sizeof seg, off);
    size_t full;
    uint8_t *img = slurp(seg, &full);
    snprintf(gdir, sizeof gdir, "%s/garbled", tmpdir);
    mkdir(gdir, 0755);
    snprintf(gseg, sizeof gseg, "%s/seg-000001.rsj", gdir);
    uint8_t *cp = malloc(full);
    for (uint64_t k = 0; k <= n; k++) {            /* k == n: the seal */
        uint64_t end = k < n ? off[k + 1] : full;
        for (uint64_t at = off[k]; at < end; at += 5) {
            memcpy(cp, img, full);
            cp[at] ^= (uint8_t)(1u << (at % 8));
            put_file(gseg, cp, full);
            rs_journal_reader *r;
            assert_int_equal(rs_journal_open(&r, gdir), 0);
            const rs_rec *x;
            uint64_t got = 0;
            while (rs_journal_next(r, &x, NULL) > 0) {
                got++;
                assert_true(tg_check(got, x, 0));
            }
            const rs_journal_status *st = rs_journal_get_status(r);
            assert_int_equal(got, k);                      /* everything before, nothing after */
            assert_true(st->tail == RS_JTAIL_CORRUPT || st->tail == RS_JTAIL_TORN);
            assert_int_equal(st->bad_offset, off[k]);      /* names exactly where */
            assert_int_not_equal(rs_journal_verify(r), 0);
            assert_non_null(strstr(rs_err_msg(), "seg-000001.rsj offset"));
            rs_journal_close(r);
        }
    }
    /* garbage appended after a sealed segment */
    memcpy(cp, img, full);
    uint8_t *big = malloc(full + 64);
    memcpy(big, img, full);
    memset(big + full, 0x5a, 64);
    put_file(gseg, big, full + 64);
    int tail;
    assert_int_equal(read_all(gdir, &tail, 0), n);
    assert_int_equal(tail, RS_JTAIL_CORRUPT);
    /* zero-filled tail after the last frame (no seal) */
    memcpy(big, img, off[n]);
    memset(big + off[n], 0, 64);
    put_file(gseg, big, off[n] + 64);
    assert_int_equal(read_all(gdir, &tail, 0), n);
    assert_int_equal(tail, RS_JTAIL_TORN);
    free(big);
    free(cp);
    free(img);
}

static void test_resume_after_crash(void **s)
{
    (void)s;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/resume", tmpdir);
    rs_journal_opts o;
    opts_default(&o, dir);
    o.segment_bytes = 64 * 1024;
    rs_journal_writer *w;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    write_n(w, 1, 1000, 0);
    assert_int_equal(rs_journal_sync(w), 0);
    rs_journal_writer_destroy(w);        /* "crash": no seal */
    int tail;
    assert_int_equal(read_all(dir, &tail, 0), 1000);
    assert_int_equal(tail, RS_JTAIL_OPEN);
    /* tear the tail: cut 5 bytes off the last segment */
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    uint32_t nseg = rs_journal_get_status(r)->segments;
    rs_journal_close(r);
    char last[400];
    snprintf(last, sizeof last, "%s/seg-%06u.rsj", dir, nseg);
    size_t sz = file_size(last);
    assert_int_equal(truncate(last, (off_t)(sz - 5)), 0);
    assert_int_equal(read_all(dir, &tail, 0), 999);
    assert_int_equal(tail, RS_JTAIL_TORN);
    /* without resume, an existing journal is refused */
    assert_int_equal(rs_journal_writer_create(&w, &o), -EEXIST);
    o.resume = true;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    assert_int_equal(rs_journal_appended(w), 999);
    assert_int_equal(rs_journal_resume_seq(w, 1), 333);   /* 999 = 3 * 333 */
    write_n(w, 1000, 3000, 0);
    assert_int_equal(rs_journal_writer_close(w), 0);
    rs_journal_writer_destroy(w);
    assert_int_equal(read_all(dir, &tail, 0), 3000);
    assert_int_equal(tail, RS_JTAIL_SEALED);
    assert_int_equal(rs_journal_open(&r, dir), 0);
    assert_int_equal(rs_journal_verify(r), 0);
    rs_journal_close(r);
}

static void test_seq_gaps(void **s)
{
    (void)s;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/gaps", tmpdir);
    rs_journal_opts o;
    opts_default(&o, dir);
    rs_journal_writer *w;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    rs_ev_trade t = {.h = {.len = sizeof t, .type = RS_EV_TRADE, .stream = RS_STREAM_MD}};
    uint64_t seqs[] = {5, 6, 7, 9, 10, 10};   /* 1..4 explained, 8 lost, 10 duplicated */
    rs_ev_gap g = {.h = {.len = sizeof g, .type = RS_EV_GAP, .stream = RS_JSTREAM_RECORDER, .seq = 1},
                   .gap_stream = RS_STREAM_MD, .reason = 1, .from_seq = 1, .to_seq = 4};
    assert_int_equal(rs_journal_append(w, &g.h), 0);
    for (size_t i = 0; i < RS_ARRAY_LEN(seqs); i++) {
        t.h.seq = seqs[i];
        assert_int_equal(rs_journal_append(w, &t.h), 0);
    }
    assert_int_equal(rs_journal_writer_close(w), 0);
    rs_journal_writer_destroy(w);
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    assert_int_not_equal(rs_journal_verify(r), 0);
    const rs_journal_status *st = rs_journal_get_status(r);
    assert_int_equal(st->lost_explained, 4);
    assert_int_equal(st->lost, 1);
    assert_int_equal(st->seq_errors, 1);
    assert_int_equal(st->n_gaps, 2);
    assert_int_equal(st->gaps[0].explained, 1);
    assert_int_equal(st->gaps[1].from_seq, 8);
    assert_int_equal(st->gaps[1].to_seq, 8);
    assert_int_equal(st->gaps[1].explained, 0);
    rs_journal_close(r);
}

static void fail_closed(int io)
{
    char dir[300];
    snprintf(dir, sizeof dir, "%s/full%d", tmpdir, io);
    rs_journal_opts o;
    opts_default(&o, dir);
    o.io = io;
    o.batch_bytes = 128 * 1024;
    o.fail_after_bytes = 1000000;   /* the "disk" fills up mid-batch */
    rs_journal_writer *w;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    uint8_t buf[512];
    int rc = 0;
    uint64_t g;
    for (g = 1; g < 100000 && rc == 0; g++) {
        tg_make(g, buf, sizeof buf, 0);
        rc = rs_journal_append(w, (rs_rec *)buf);
        if (!rc && g % 50 == 0)
            rc = rs_journal_poll(w, false);
    }
    if (!rc)
        rc = rs_journal_sync(w);
    assert_int_equal(rc, -ENOSPC);
    assert_non_null(strstr(rs_err_msg(), "fail-closed"));
    assert_int_equal(rs_journal_append(w, (rs_rec *)buf), -ENOSPC);   /* permanent */
    assert_int_equal(rs_journal_sync(w), -ENOSPC);
    uint64_t written = rs_journal_written(w);
    assert_true(written > 0);
    assert_int_equal(rs_journal_writer_close(w), -ENOSPC);
    rs_journal_writer_destroy(w);
    /* what is on disk is whole frames only: no torn half batch */
    int tail;
    uint64_t got = read_all(dir, &tail, 0);
    assert_int_equal(tail, RS_JTAIL_OPEN);
    assert_int_equal(got, written);
}

static void test_fail_closed_uring(void **s) { (void)s; fail_closed(RS_JIO_URING); }
static void test_fail_closed_write(void **s) { (void)s; fail_closed(RS_JIO_WRITE); }

static void test_refuses_foreign(void **s)
{
    (void)s;
    char dir[300], p[400];
    snprintf(dir, sizeof dir, "%s/foreign", tmpdir);
    mkdir(dir, 0755);
    snprintf(p, sizeof p, "%s/seg-000001.rsj", dir);
    uint8_t junk[400];
    memset(junk, 'x', sizeof junk);
    put_file(p, junk, sizeof junk);
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), -RS_ECORRUPT);
    assert_non_null(strstr(rs_err_msg(), "bad magic"));
    snprintf(p, sizeof p, "%s/empty", tmpdir);
    mkdir(p, 0755);
    assert_int_equal(rs_journal_open(&r, p), -ENOENT);
    char d[128];
    assert_int_equal(rs_journal_default_dir(d, sizeof d, NULL, "inst", 1763840000ll * 1000000000ll), 0);
    assert_string_equal(d, "var/journal/inst/20251122T193320Z");
}

/* Appending is the recorder's hot path: no allocation once created. */
static void test_append_no_alloc(void **s)
{
    (void)s;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/noalloc", tmpdir);
    rs_journal_opts o;
    opts_default(&o, dir);
    o.fsync_bytes = 1 << 20;
    rs_journal_writer *w;
    assert_int_equal(rs_journal_writer_create(&w, &o), 0);
    uint8_t buf[512];
    tg_make(1, buf, sizeof buf, 0);
    assert_int_equal(rs_journal_append(w, (rs_rec *)buf), 0);
    uint64_t a0 = rs_mem_thread_allocated();
    for (uint64_t g = 2; g <= 50000; g++) {
        tg_make(g, buf, sizeof buf, 0);
        assert_int_equal(rs_journal_append(w, (rs_rec *)buf), 0);
        if (g % 100 == 0)
            assert_int_equal(rs_journal_poll(w, false), 0);
    }
    uint64_t a1 = rs_mem_thread_allocated();
    if (a0 != UINT64_MAX)
        assert_int_equal(a1, a0);
    else
        print_message("allocation counter unavailable in this build: not asserted\n");
    assert_int_equal(rs_journal_writer_close(w), 0);
    rs_journal_writer_destroy(w);
}

/* The SSE4.2 one-pass framing (copy + CRC per word) and the portable path
 * (copy, zero padding, rs_jframe_crc) write the same frames: both journals
 * read back in full through the reader's reference CRC (which also covers
 * the padding, so it must be zero although the source has garbage after
 * len), and have the same size. Each source is a heap block of exactly
 * len bytes, so ASan reports any read past a record's len. */
static void test_framing_paths_agree(void **s)
{
    (void)s;
    size_t sizes[2];
    for (int portable = 0; portable < 2; portable++) {
        char dir[300];
        snprintf(dir, sizeof dir, "%s/frame%d", tmpdir, portable);
        rs_journal_opts o;
        opts_default(&o, dir);
        o.portable_crc = portable;
        o.batch_bytes = 64 * 1024;
        rs_journal_writer *w;
        assert_int_equal(rs_journal_writer_create(&w, &o), 0);
        uint8_t buf[512];
        for (uint64_t g = 1; g <= 3000; g++) {
            memset(buf, 0xEE, sizeof buf);
            tg_make(g, buf, sizeof buf, 0);
            uint32_t len = ((rs_rec *)buf)->len;
            /* exactly len bytes (aligned): under ASan reading past len is
             * reported, byte-exact */
            uint8_t *src = malloc(len);
            assert_non_null(src);
            memcpy(src, buf, len);
            assert_int_equal(rs_journal_append(w, (const rs_rec *)src), 0);
            free(src);
        }
        assert_int_equal(rs_journal_writer_close(w), 0);
        rs_journal_writer_destroy(w);
        int tail;
        assert_int_equal(read_all(dir, &tail, 0), 3000);
        assert_int_equal(tail, RS_JTAIL_SEALED);
        char seg[400];
        snprintf(seg, sizeof seg, "%s/seg-000001.rsj", dir);
        sizes[portable] = file_size(seg);
    }
    assert_int_equal(sizes[0], sizes[1]);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_roundtrip_uring),
        cmocka_unit_test(test_roundtrip_write),
        cmocka_unit_test(test_every_truncation),
        cmocka_unit_test(test_garbled_frames),
        cmocka_unit_test(test_resume_after_crash),
        cmocka_unit_test(test_seq_gaps),
        cmocka_unit_test(test_fail_closed_uring),
        cmocka_unit_test(test_fail_closed_write),
        cmocka_unit_test(test_refuses_foreign),
        cmocka_unit_test(test_append_no_alloc),
        cmocka_unit_test(test_framing_paths_agree),
    };
    return cmocka_run_group_tests(t, setup, teardown);
}
