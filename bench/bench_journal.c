/* ringside bench journal -- journal throughput and the recorder's cost to
 * the producer.
 *
 * 1. writer: sustained records/s and MB/s appending 64- and 256-byte records
 *    through rs_journal_append, per fsync policy, io_uring batching vs plain
 *    pwrite(2) batching (the peer) in the same run, on the same directory.
 * 2. recorder: a real region with a ring, a producer thread, a consumer
 *    thread, and rs_recorder_run in a third thread (the production code
 *    path): producer-side latency per record (claim + write + commit) with
 *    the recorder attached vs not attached (peer), sustained records/s and
 *    how often the producer found the ring full (back-pressure).
 *
 * Journals go to --dir DIR (default var/bench/journal), removed afterwards.
 * The file system matters (tmpfs makes fsync free): the note says which.
 */
#include <errno.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bench.h"
#include "ringside/journal.h"
#include "ringside/recorder.h"
#include "ringside/region.h"
#include "ringside/ring.h"
#include "ringside/tsc.h"

static int rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(p);
}

static void rmtree(const char *p) { nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS); }

static const char *fs_name(const char *dir)
{
    struct statfs s;
    if (statfs(dir, &s) != 0)
        return "unknown fs";
    switch ((unsigned long)s.f_type) {
    case 0x01021994: return "tmpfs (fsync is free)";
    case 0xEF53: return "ext4";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794c7630: return "overlayfs";
    default: return "other fs";
    }
}

typedef struct wcase {
    const char *name;
    int64_t interval_ns;
    uint64_t bytes;
    bool order;
} wcase;

/* Append n records of `size` bytes; 1 in 1000 is an order (for the order
 * policy). Returns seconds; per-4096-record chunk ns/record into h. */
static double run_writer(const char *dir, uint32_t size, int io, const wcase *c, uint64_t n, rs_hist *h,
                         uint64_t *syncs)
{
    rmtree(dir);
    rs_journal_opts o = {.dir = dir, .instance = "bench", .io = io, .fsync_interval_ns = c->interval_ns,
                         .fsync_bytes = c->bytes, .fsync_on_order = c->order, .segment_bytes = 256ull << 20};
    rs_journal_writer *w;
    if (rs_journal_writer_create(&w, &o) != 0) {
        fprintf(stderr, "bench journal: %s\n", rs_err_msg());
        return -1;
    }
    static uint8_t buf[512];
    memset(buf, 0xab, sizeof buf);
    rs_rec *r = (rs_rec *)buf;
    r->len = size;
    r->stream = RS_STREAM_MD;
    int64_t t0 = rs_mono_ns();
    uint64_t c0 = rs_rdtsc();
    double ghz = rs_tsc_ghz();
    for (uint64_t i = 1; i <= n; i++) {
        r->seq = i;
        r->type = (i % 1000 == 0) ? RS_EV_ORDER : RS_EV_TRADE;
        r->ts = (int64_t)i;
        if (rs_journal_append(w, r) != 0)
            break;
        if ((i & 255) == 0 && rs_journal_poll(w, false) != 0)
            break;
        if ((i & 4095) == 0) {
            uint64_t c1 = rs_rdtsc();
            rs_hist_add(h, (uint64_t)((double)(c1 - c0) / ghz / 4096.0 * 1000.0));   /* ps/record */
            c0 = c1;
        }
    }
    int rc = rs_journal_writer_close(w);
    double secs = (double)(rs_mono_ns() - t0) / 1e9;
    *syncs = rs_journal_syncs(w);
    rs_journal_writer_destroy(w);
    rmtree(dir);
    if (rc) {
        fprintf(stderr, "bench journal: %s\n", rs_err_msg());
        return -1;
    }
    return secs;
}

/* ---- recorder attached vs not ------------------------------------------- */

typedef struct e2e {
    rs_region reg;
    void *ring;
    rs_atomic_u32 stop_prod, stop_cons;
    rs_atomic_u32 rec_stop;
    uint64_t n;
    uint32_t size;
    int cpu_p, cpu_c;
    rs_hist lat;        /* producer ns per record (claim..commit) */
    uint64_t full;      /* try_claim refused */
    double secs;
    rs_recorder_opts ro;
    int rec_rc;
} e2e;

static void *producer(void *arg)
{
    e2e *e = arg;
    rs_bench_pin(e->cpu_p);
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, e->ring);
    double ghz = rs_tsc_ghz();
    int64_t t0 = rs_mono_ns();
    for (uint64_t i = 1; i <= e->n; i++) {
        uint64_t a = rs_rdtsc();
        void *m;
        while (!(m = rs_spsc_try_claim(&p, e->size))) {
            e->full++;
            rs_cpu_relax();
        }
        rs_rec *r = m;
        r->len = e->size;
        r->type = RS_EV_TRADE;
        r->stream = RS_STREAM_MD;
        r->seq = i;
        r->ts = r->ts_local = (int64_t)i;
        memset(r + 1, 0x5a, e->size - sizeof *r);
        rs_spsc_commit(&p);
        uint64_t b = rs_rdtsc();
        rs_hist_add(&e->lat, (uint64_t)((double)(b - a) / ghz));
    }
    e->secs = (double)(rs_mono_ns() - t0) / 1e9;
    return NULL;
}

static void *consumer(void *arg)
{
    e2e *e = arg;
    rs_bench_pin(e->cpu_c);
    rs_spsc_cons c;
    rs_spsc_cons_init(&c, e->ring, RS_SPSC_CONSUMER);
    uint64_t got = 0;
    while (got < e->n) {
        unsigned k = 0;
        while (k < 256 && rs_spsc_poll(&c))
            k++;
        if (k) {
            rs_spsc_release(&c);
            got += k;
        } else {
            rs_cpu_relax();
        }
    }
    return NULL;
}

static void *recorder(void *arg)
{
    e2e *e = arg;
    e->rec_rc = rs_recorder_run(&e->ro);
    return NULL;
}

static int run_e2e(const rs_bench_opts *o, const char *dir, bool attached, uint32_t size, uint64_t n, e2e *e)
{
    memset(e, 0, sizeof *e);
    rs_hist_init(&e->lat);
    e->n = n;
    e->size = size;
    e->cpu_p = o->cpu_a;
    e->cpu_c = o->cpu_b;
    char inst[48];
    snprintf(inst, sizeof inst, "benchj%d", (int)getpid());
    rs_region_ring_spec spec = {"md", RS_STREAM_MD, 1u << 22, attached ? RS_SPSC_F_RECORDER : 0};
    if (rs_region_create(&e->reg, inst, &spec, 1) != 0) {
        fprintf(stderr, "bench journal: %s\n", rs_err_msg());
        return -1;
    }
    e->ring = rs_region_ring(&e->reg, RS_STREAM_MD);
    pthread_t tp, tc, tr;
    rmtree(dir);
    if (attached) {
        e->ro = (rs_recorder_opts){.instance = inst, .dir = dir, .fsync_interval_ns = 100000000,
                                   .fsync_on_order = true, .stop = &e->rec_stop, .quiet = true};
        pthread_create(&tr, NULL, recorder, e);
        while (rs_load_acquire(&e->reg.hdr->ctl.recorder_state) != RS_REC_ATTACHED &&
               rs_load_acquire(&e->reg.hdr->ctl.recorder_state) != RS_REC_FAILED)
            usleep(1000);
    }
    pthread_create(&tc, NULL, consumer, e);
    pthread_create(&tp, NULL, producer, e);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    if (attached) {
        rs_store_relaxed(&e->rec_stop, 1u);
        pthread_join(tr, NULL);
    }
    rs_region_destroy(&e->reg);
    rmtree(dir);
    if (e->rec_rc) {
        fprintf(stderr, "bench journal: recorder: %s\n", rs_err_msg());
        return -1;
    }
    return 0;
}

int rs_bench_journal(const rs_bench_opts *o)
{
    const char *dir = "var/bench/journal";
    for (int i = 0; i < o->argc; i++)
        if (!strcmp(o->argv[i], "--dir") && i + 1 < o->argc)
            dir = o->argv[++i];
    char wdir[600], edir[600];
    snprintf(wdir, sizeof wdir, "%s/writer", dir);
    snprintf(edir, sizeof edir, "%s/e2e", dir);
    char mk[700];
    snprintf(mk, sizeof mk, "mkdir -p '%s'", dir);
    if (system(mk) != 0) {
        fprintf(stderr, "bench journal: cannot create %s\n", dir);
        return 1;
    }
    const char *fs = fs_name(dir);
    static const wcase cases[] = {
        {"fsync=none", 0, 0, false},
        {"fsync=interval-10ms", 10000000, 0, false},
        {"fsync=bytes-4MiB", 0, 4u << 20, false},
        {"fsync=every-order(1/1000)", 0, 0, true},
    };
    static const uint32_t sizes[] = {64, 256};
    static rs_hist h_u, h_w;
    char cname[96], note[160];
    rs_bench_header(o, "journal", "writer: records/s appending to a journal (io_uring vs pwrite peer)");
    for (size_t s = 0; s < RS_ARRAY_LEN(sizes); s++) {
        uint64_t n = o->quick ? 200000 : (sizes[s] == 64 ? 8000000 : 3000000);
        for (size_t c = 0; c < RS_ARRAY_LEN(cases); c++) {
            rs_hist_init(&h_u);
            rs_hist_init(&h_w);
            uint64_t sy_u = 0, sy_w = 0;
            double tw = run_writer(wdir, sizes[s], RS_JIO_WRITE, &cases[c], n, &h_w, &sy_w);
            double tu = run_writer(wdir, sizes[s], RS_JIO_URING, &cases[c], n, &h_u, &sy_u);
            if (tu < 0 || tw < 0)
                return 1;
            for (int k = 0; k < 2; k++) {
                rs_bench_result r = {0};
                rs_bench_from_hist(&r, k ? &h_w : &h_u, 1e-3);
                snprintf(cname, sizeof cname, "write_%uB_%s_%s", sizes[s], cases[c].name, k ? "pwrite" : "uring");
                double t = k ? tw : tu;
                r.bench = "journal";
                r.case_name = cname;
                r.unit = "ns/record";
                r.throughput = (double)n / t;
                r.tp_unit = "records/s";
                if (!k) {
                    r.peer = "pwrite(2) batches";
                    r.ratio_vs_peer = tw / tu;
                }
                snprintf(note, sizeof note, "%.0f MB/s of records, %llu syncs, %s", (double)n * sizes[s] / t / 1e6,
                         (unsigned long long)(k ? sy_w : sy_u), fs);
                r.note = note;
                rs_bench_emit(o, &r);
            }
        }
    }
    rs_bench_header(o, "journal", "producer cost of the recorder: ring + consumer + rs_recorder_run thread");
    static e2e ea, eu;
    for (size_t s = 0; s < RS_ARRAY_LEN(sizes); s++) {
        uint64_t n = o->quick ? 300000 : 10000000;
        if (run_e2e(o, edir, false, sizes[s], n, &eu) || run_e2e(o, edir, true, sizes[s], n, &ea))
            return 1;
        for (int k = 0; k < 2; k++) {
            e2e *e = k ? &eu : &ea;
            rs_bench_result r = {0};
            rs_bench_from_hist(&r, &e->lat, 1.0);
            snprintf(cname, sizeof cname, "producer_%uB_%s", sizes[s], k ? "no_recorder" : "recorder_attached");
            r.bench = "journal";
            r.case_name = cname;
            r.unit = "ns";
            r.throughput = (double)e->n / e->secs;
            r.tp_unit = "records/s";
            if (!k) {
                r.peer = "no recorder";
                r.ratio_vs_peer = (double)rs_hist_pct(&eu.lat, 99) / (double)rs_hist_pct(&ea.lat, 99);
            }
            snprintf(note, sizeof note, "%.0f MB/s, ring full %llu times (back-pressure)%s; p99 ratio is peer/ours",
                     (double)e->n * sizes[s] / e->secs / 1e6, (unsigned long long)e->full,
                     k ? "" : ", journal on disk");
            r.note = note;
            rs_bench_emit(o, &r);
        }
    }
    return 0;
}
