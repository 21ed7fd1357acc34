/* tests/journal_crash.h -- crash tests of the recorder and the journal,
 * shared by tests/integration (short) and tests/stress (>= 200 iterations).
 *
 * crash_recorder_kill(n): this process is the engine (creates a region, three
 * recorder-gated rings, produces and consumes); `ringside record --resume` is
 * started and SIGKILLed at a random instant n times, then a last one is
 * stopped cleanly. The journal must then hold every produced record exactly
 * once per stream, byte for byte: zero lost, zero invented.
 *
 * crash_power_cut(n): a child writes a journal with an fsync policy and tells
 * the parent over a pipe how far it is durable; the parent SIGKILLs it at a
 * random instant, then simulates a power cut on the last segment: it cuts the
 * file at a random point past the durable end and garbles random bytes of the
 * unsynced tail. Reading must return every durable record, each exactly as
 * written, and nothing from the damaged part.
 */
#ifndef RS_JOURNAL_CRASH_H
#define RS_JOURNAL_CRASH_H

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal_testgen.h"
#include "ringside/journal.h"
#include "ringside/recorder.h"
#include "ringside/region.h"
#include "ringside/ring.h"
#include "ringside/tsc.h"
#include "testutil.h"

static uint64_t cr_rng = 0x2545F4914F6CDD1Dull;
static inline uint64_t cr_rand(void)
{
    cr_rng ^= cr_rng << 13;
    cr_rng ^= cr_rng >> 7;
    cr_rng ^= cr_rng << 17;
    return cr_rng;
}

static void cr_rmrf(const char *p)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    if (system(cmd) != 0)
        print_message("could not remove %s\n", p);
}

/* ---- recorder SIGKILL ----------------------------------------------------- */

static const uint16_t cr_streams[3] = {RS_STREAM_MD, RS_STREAM_FEAT, RS_STREAM_EXEC};

static void cr_make(uint16_t stream, uint64_t seq, uint8_t *buf)
{
    uint64_t k = tg_mix(stream * 1000000007ull + seq);
    uint32_t len = 32 + (uint32_t)(k % 200);
    rs_rec *h = (rs_rec *)buf;
    h->len = len;
    h->type = stream == RS_STREAM_EXEC ? RS_EV_EXEC_REPORT : RS_EV_TRADE;
    h->stream = stream;
    h->seq = seq;
    h->ts = (int64_t)(k >> 2);
    h->ts_local = (int64_t)seq;
    for (uint32_t i = sizeof(rs_rec); i < len; i++)
        buf[i] = (uint8_t)tg_mix(k + i);
}

static pid_t cr_spawn(const char *inst, const char *dir, bool resume, bool quiet)
{
    const char *bin = getenv("RINGSIDE");
    if (!bin)
        rs_test_skip("RINGSIDE (path of the ringside binary) not set");
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (quiet && fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        const char *argv[16];
        int n = 0;
        argv[n++] = bin;
        argv[n++] = "record";
        argv[n++] = "--instance";
        argv[n++] = inst;
        argv[n++] = "--dir";
        argv[n++] = dir;
        argv[n++] = "--fsync";
        argv[n++] = "bytes=64k,order";
        argv[n++] = "--segment-mb";
        argv[n++] = "1";
        argv[n++] = "--quiet";
        if (resume)
            argv[n++] = "--resume";
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    return pid;
}

typedef struct cr_engine {
    rs_region reg;
    rs_spsc_prod prod[3];
    rs_spsc_cons cons[3];
    uint64_t seq[3];
} cr_engine;

/* Produce for about `ns` (or until `max` records), consuming as we go.
 * A full ring (recorder gone or behind) just means: try again later. */
static void cr_produce(cr_engine *e, int64_t ns, uint64_t max)
{
    uint8_t buf[256];
    int64_t end = rs_mono_ns() + ns;
    uint64_t made = 0;
    while (rs_mono_ns() < end && made < max) {
        for (int i = 0; i < 3; i++) {
            for (int k = 0; k < 8; k++) {
                cr_make(cr_streams[i], e->seq[i] + 1, buf);
                uint32_t len = ((rs_rec *)buf)->len;
                void *p = rs_spsc_try_claim(&e->prod[i], len);
                if (!p)
                    break;
                memcpy(p, buf, len);
                e->seq[i]++;
                made++;
            }
            rs_spsc_commit(&e->prod[i]);
            while (rs_spsc_poll(&e->cons[i])) {
            }
            rs_spsc_release(&e->cons[i]);
        }
    }
}

static bool cr_recorder_caught_up(cr_engine *e)
{
    for (int i = 0; i < 3; i++) {
        rs_spsc_hdr *h = e->prod[i].h;
        if (rs_load_acquire(&h->rec_tail) != rs_load_acquire(&h->head))
            return false;
    }
    return true;
}

static void crash_recorder_kill(unsigned iters)
{
    char inst[64], dir[256], base[128];
    snprintf(inst, sizeof inst, "jcrash%d", (int)getpid());
    snprintf(base, sizeof base, "/tmp/rs_jcrash.XXXXXX");
    assert_non_null(mkdtemp(base));
    snprintf(dir, sizeof dir, "%s/j", base);
    static const rs_region_ring_spec specs[3] = {
        {"md", RS_STREAM_MD, 1u << 16, RS_SPSC_F_RECORDER},
        {"feat", RS_STREAM_FEAT, 1u << 14, RS_SPSC_F_RECORDER},
        {"exec", RS_STREAM_EXEC, 1u << 12, RS_SPSC_F_RECORDER},
    };
    static cr_engine e;
    memset(&e, 0, sizeof e);
    assert_int_equal(rs_region_create(&e.reg, inst, specs, 3), 0);
    for (int i = 0; i < 3; i++) {
        void *m = rs_region_ring(&e.reg, cr_streams[i]);
        rs_spsc_prod_init(&e.prod[i], m);
        rs_spsc_cons_init(&e.cons[i], m, RS_SPSC_CONSUMER);
    }
    cr_rng ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15ull;
    for (unsigned it = 0; it < iters; it++) {
        rs_store_relaxed(&e.reg.hdr->ctl.recorder_state, 0u);
        pid_t pid = cr_spawn(inst, dir, it > 0, true);
        assert_true(pid > 0);
        if (cr_rand() % 4 == 0) {
            /* kill during start-up: exec, attach, resume, new segment */
            cr_produce(&e, (int64_t)(cr_rand() % 40000000ull), UINT64_MAX);
        } else {
            /* kill mid-stream: once attached, 0..20 ms of traffic */
            int64_t dl = rs_mono_ns() + 5000000000ll;
            while (rs_mono_ns() < dl && !(rs_load_acquire(&e.reg.hdr->ctl.recorder_state) == RS_REC_ATTACHED &&
                                          rs_load_relaxed(&e.reg.hdr->ctl.recorder_pid) == (uint32_t)pid))
                cr_produce(&e, 100000, UINT64_MAX);
            cr_produce(&e, (int64_t)(cr_rand() % 20000000ull), UINT64_MAX);
        }
        kill(pid, SIGKILL);
        int st;
        assert_int_equal(waitpid(pid, &st, 0), pid);
        assert_true(WIFSIGNALED(st) || (WIFEXITED(st) && WEXITSTATUS(st) == 0));
    }
    pid_t pid = cr_spawn(inst, dir, iters > 0, false);
    cr_produce(&e, 20000000, UINT64_MAX);
    int64_t deadline = rs_mono_ns() + 30000000000ll;
    while (!cr_recorder_caught_up(&e) && rs_mono_ns() < deadline)
        usleep(1000);
    assert_true(cr_recorder_caught_up(&e));
    kill(pid, SIGTERM);
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    rs_region_destroy(&e.reg);

    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    if (rs_journal_verify(r) != 0)
        fail_msg("journal verify: %s", rs_err_msg());
    const rs_journal_status *vs = rs_journal_get_status(r);
    assert_int_equal(vs->tail, RS_JTAIL_SEALED);
    assert_int_equal(vs->lost, 0);
    assert_int_equal(vs->lost_explained, 0);
    rs_journal_rewind(r);
    uint64_t seen[3] = {0, 0, 0}, total = 0;
    const rs_rec *x;
    uint8_t buf[256];
    while (rs_journal_next(r, &x, NULL) > 0) {
        if (x->stream == RS_JSTREAM_RECORDER && x->type == RS_EV_ALARM) {
            /* each resume says so in the journal */
            assert_int_equal(((const rs_ev_alarm *)x)->code, RS_RALARM_RESUMED);
            continue;
        }
        int i = x->stream == RS_STREAM_MD ? 0 : x->stream == RS_STREAM_FEAT ? 1 : x->stream == RS_STREAM_EXEC ? 2 : -1;
        assert_true(i >= 0);
        assert_int_equal(x->seq, seen[i] + 1);      /* each seq once, in order */
        cr_make(cr_streams[i], x->seq, buf);
        assert_memory_equal(x, buf, ((rs_rec *)buf)->len);
        seen[i]++;
        total++;
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(seen[i], e.seq[i]);          /* nothing lost */
    print_message("recorder SIGKILLed %u times: %llu records (%llu/%llu/%llu per stream) in %u segments, "
                  "all present once, byte-exact\n",
                  iters, (unsigned long long)total, (unsigned long long)seen[0], (unsigned long long)seen[1],
                  (unsigned long long)seen[2], vs->segments);
    rs_journal_close(r);
    cr_rmrf(base);
}

/* ---- power cut ------------------------------------------------------------- */

static void pc_child(const char *dir, int wfd, uint64_t seed)
{
    rs_journal_opts o;
    memset(&o, 0, sizeof o);
    o.dir = dir;
    o.instance = "pcut";
    o.segment_bytes = 256 * 1024;
    o.batch_bytes = 128 * 1024;
    o.batches = 4;
    o.fsync_bytes = 32 * 1024 + seed % 100000;
    o.fsync_on_order = seed & 1;
    o.io = (seed >> 1) & 1 ? RS_JIO_WRITE : RS_JIO_URING;
    rs_journal_writer *w;
    if (rs_journal_writer_create(&w, &o) != 0)
        _exit(3);
    uint8_t buf[512];
    uint64_t reported = 0;
    for (uint64_t g = 1;; g++) {
        tg_make(g, buf, sizeof buf, 0);
        if (rs_journal_append(w, (rs_rec *)buf) != 0)
            _exit(4);
        if (g % 64 == 0 && rs_journal_poll(w, (g >> 6) % 8 == 0) != 0)
            _exit(5);
        uint64_t d = rs_journal_durable(w);
        if (d != reported) {
            /* only after the sync completed do we claim it is durable */
            if (write(wfd, &d, sizeof d) != (ssize_t)sizeof d)
                _exit(6);
            reported = d;
        }
    }
}

static void crash_power_cut(unsigned iters)
{
    char base[128], dir[256];
    snprintf(base, sizeof base, "/tmp/rs_jpcut.XXXXXX");
    assert_non_null(mkdtemp(base));
    cr_rng ^= (uint64_t)getpid() * 0x9E3779B97F4A7C15ull + 1;
    uint64_t total_durable = 0, total_recovered = 0, garbled = 0;
    for (unsigned it = 0; it < iters; it++) {
        snprintf(dir, sizeof dir, "%s/j%u", base, it);
        int pfd[2];
        assert_int_equal(pipe(pfd), 0);
        uint64_t seed = cr_rand();
        pid_t pid = fork();
        if (pid == 0) {
            close(pfd[0]);
            pc_child(dir, pfd[1], seed);
        }
        close(pfd[1]);
        usleep((useconds_t)(cr_rand() % 40000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        assert_true(WIFSIGNALED(st));
        uint64_t d = 0, v;
        while (read(pfd[0], &v, sizeof v) == (ssize_t)sizeof v)
            d = v;
        close(pfd[0]);
        /* find the last segment and where its durable part ends */
        rs_journal_reader *r;
        if (rs_journal_open(&r, dir) != 0) {
            assert_int_equal(d, 0);    /* killed before the first segment existed */
            continue;
        }
        const rs_rec *x;
        rs_journal_pos pos;
        uint32_t last_seg = rs_journal_get_status(r)->segments;
        uint64_t cut_from = 0;
        while (rs_journal_next(r, &x, &pos) > 0)
            if (pos.gseq == d && pos.segment == last_seg)
                cut_from = pos.offset + RS_JFRAME_HDR + rs_rec_padded(x->len);
        rs_journal_close(r);
        char seg[300];
        snprintf(seg, sizeof seg, "%s/seg-%06u.rsj", dir, last_seg);
        struct stat sb;
        assert_int_equal(stat(seg, &sb), 0);
        if (cut_from == 0) {
            /* durable end lies in an earlier segment: everything after
             * this segment's (synced at creation) header is unsynced */
            rs_jseg_hdr h;
            int fd = open(seg, O_RDONLY);
            assert_true(fd >= 0);
            assert_int_equal(pread(fd, &h, sizeof h, 0), (ssize_t)sizeof h);
            close(fd);
            cut_from = h.hdr_len;
        }
        if ((uint64_t)sb.st_size > cut_from) {
            uint64_t span = (uint64_t)sb.st_size - cut_from;
            uint64_t cut = cut_from + cr_rand() % (span + 1);
            assert_int_equal(truncate(seg, (off_t)cut), 0);
            if (cut > cut_from && (cr_rand() & 1)) {
                /* lost/garbled pages in the unsynced tail */
                int fd = open(seg, O_WRONLY);
                assert_true(fd >= 0);
                for (int k = 0; k < 3; k++) {
                    uint64_t at = cut_from + cr_rand() % (cut - cut_from);
                    uint8_t junk[64];
                    for (size_t b = 0; b < sizeof junk; b++)
                        junk[b] = (cr_rand() & 3) ? 0 : (uint8_t)cr_rand();
                    size_t n = (size_t)(cut - at < sizeof junk ? cut - at : sizeof junk);
                    assert_int_equal(pwrite(fd, junk, n, (off_t)at), (ssize_t)n);
                }
                close(fd);
                garbled++;
            }
        }
        /* recovery */
        assert_int_equal(rs_journal_open(&r, dir), 0);
        uint64_t got = 0;
        while (rs_journal_next(r, &x, &pos) > 0) {
            got++;
            if (!tg_check(got, x, 0))
                fail_msg("power cut %u: record %llu differs from what was written (invented)", it,
                         (unsigned long long)got);
        }
        if (got < d)
            fail_msg("power cut %u: %llu records recovered, %llu were fsync-acknowledged (lost)", it,
                     (unsigned long long)got, (unsigned long long)d);
        total_durable += d;
        total_recovered += got;
        rs_journal_close(r);
        /* and a resumed writer continues from there */
        if (it % 8 == 0) {
            rs_journal_opts o;
            memset(&o, 0, sizeof o);
            o.dir = dir;
            o.instance = "pcut";
            o.resume = true;
            rs_journal_writer *w;
            assert_int_equal(rs_journal_writer_create(&w, &o), 0);
            uint8_t buf[512];
            for (uint64_t g = got + 1; g <= got + 100; g++) {
                tg_make(g, buf, sizeof buf, 0);
                assert_int_equal(rs_journal_append(w, (rs_rec *)buf), 0);
            }
            assert_int_equal(rs_journal_writer_close(w), 0);
            rs_journal_writer_destroy(w);
            assert_int_equal(rs_journal_open(&r, dir), 0);
            uint64_t k = 0;
            while (rs_journal_next(r, &x, NULL) > 0)
                assert_true(tg_check(++k, x, 0));
            assert_int_equal(k, got + 100);
            assert_int_equal(rs_journal_get_status(r)->tail, RS_JTAIL_SEALED);
            rs_journal_close(r);
        }
        cr_rmrf(dir);
    }
    print_message("power cut x%u (%llu garbled): %llu records fsync-acknowledged, %llu recovered, 0 lost, "
                  "0 invented\n",
                  iters, (unsigned long long)garbled, (unsigned long long)total_durable,
                  (unsigned long long)total_recovered);
    cr_rmrf(base);
}

#endif
