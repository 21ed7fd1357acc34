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
 *    how often the producer found the ring full (back-pressure), and the
 *    CPU time of the recorder thread and of the whole process per record.
 * 3. --drain N: the recorder alone, single-threaded, on a pre-filled ring.
 *
 * Bench arguments (after --): --dir DIR, --e2e (only 2), --size 64|256,
 * --repeat N (2 repeated, alternating, plus a row of medians), --rec-cpu N
 * (pin the recorder thread; --cpus A,B pins producer and consumer),
 * --drain N, --drain-prefill N --instance NAME (bench/callgrind_recorder.sh),
 * --paced [--rate N] [--seconds S] [--ring-mb N] (only the open-loop rows).
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
#include <sys/resource.h>
#include <sys/statfs.h>
#include <time.h>
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
    int cpu_p, cpu_c, cpu_r;
    rs_hist lat;        /* producer ns per record (claim..commit) */
    uint64_t full;      /* records whose first try_claim was refused */
    double rate;        /* > 0: open loop, records offered per second */
    rs_hist lag;        /* open loop: commit time - intended time, ns */
    double secs;
    rs_recorder_opts ro;
    int rec_rc;
    double rec_cpu_s;   /* CPU time of the recorder thread (user + sys) */
    double proc_cpu_s;  /* CPU time of the whole process during the run,
                           io_uring worker threads included */
} e2e;

static double thread_cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* user and system CPU seconds of the calling thread */
static void thread_usage(double *user, double *sys)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    *user = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6;
    *sys = (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static double proc_cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static void *producer(void *arg)
{
    e2e *e = arg;
    rs_bench_pin(e->cpu_p);
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, e->ring);
    double ghz = rs_tsc_ghz();
    int64_t t0 = rs_mono_ns();
    uint64_t tsc0 = rs_rdtsc();
    /* open loop: record i is due at tsc0 + i * step; the producer never runs
     * ahead of its schedule (it sleeps), and a late record is charged from
     * its due time (lag), so a stall cannot hide behind a slower rate */
    double step = e->rate > 0 ? ghz * 1e9 / e->rate : 0;
    for (uint64_t i = 1; i <= e->n; i++) {
        if (step > 0 && (i & 63) == 1) {
            uint64_t due = tsc0 + (uint64_t)((double)(i + 63) * step);
            uint64_t now = rs_rdtsc();
            if (now < due) {
                /* ahead by more than 64 records: wait, sleeping when the wait
                 * is long enough to give the core away (2-core machines) */
                double ns = (double)(due - now) / ghz;
                if (ns > 60000) {
                    struct timespec ts = {0, (long)(ns - 50000)};
                    nanosleep(&ts, NULL);
                }
                while (rs_rdtsc() < tsc0 + (uint64_t)((double)i * step))
                    rs_cpu_relax();
            }
        }
        uint64_t a = rs_rdtsc();
        void *m;
        if (!(m = rs_spsc_try_claim(&p, e->size))) {
            e->full++;   /* records that found the ring full, not spins */
            while (!(m = rs_spsc_try_claim(&p, e->size)))
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
        if (step > 0) {
            double due = (double)tsc0 + (double)i * step;
            rs_hist_add(&e->lag, (double)b > due ? (uint64_t)(((double)b - due) / ghz) : 0);
        }
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
        } else if (e->rate > 0) {
            /* open loop: an idle consumer sleeps like the engine's back-off
             * threads instead of stealing the producer's core */
            struct timespec ts = {0, 20000};
            nanosleep(&ts, NULL);
        } else {
            rs_cpu_relax();
        }
    }
    return NULL;
}

static void *recorder(void *arg)
{
    e2e *e = arg;
    rs_bench_pin(e->cpu_r);
    double c0 = thread_cpu_s();
    e->rec_rc = rs_recorder_run(&e->ro);
    e->rec_cpu_s = thread_cpu_s() - c0;
    return NULL;
}

static int rec_cpu = -1;   /* --rec-cpu N: pin the recorder thread */
static uint32_t ring_bytes = 1u << 22;   /* --ring-mb N: the ring's capacity */

static int run_e2e(const rs_bench_opts *o, const char *dir, bool attached, uint32_t size, uint64_t n, double rate,
                   e2e *e)
{
    memset(e, 0, sizeof *e);
    e->cpu_r = rec_cpu;
    e->rate = rate;
    rs_hist_init(&e->lat);
    rs_hist_init(&e->lag);
    e->n = n;
    e->size = size;
    e->cpu_p = o->cpu_a;
    e->cpu_c = o->cpu_b;
    char inst[48];
    snprintf(inst, sizeof inst, "benchj%d", (int)getpid());
    rs_region_ring_spec spec = {"md", RS_STREAM_MD, ring_bytes, attached ? RS_SPSC_F_RECORDER : 0};
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
    double pc0 = proc_cpu_s();
    pthread_create(&tc, NULL, consumer, e);
    pthread_create(&tp, NULL, producer, e);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    if (attached) {
        rs_store_relaxed(&e->rec_stop, 1u);
        pthread_join(tr, NULL);
    }
    e->proc_cpu_s = proc_cpu_s() - pc0;
    rs_region_destroy(&e->reg);
    rmtree(dir);
    if (e->rec_rc) {
        fprintf(stderr, "bench journal: recorder: %s\n", rs_err_msg());
        return -1;
    }
    return 0;
}

/* ---- recorder alone: drain a pre-filled ring ----------------------------
 * Single-threaded and deterministic: fill a recorder-gated ring with n
 * records, then run rs_recorder_run in this thread until it has journaled
 * them all (stop is already set, so it drains, seals and returns). The
 * callgrind target for the recorder's per-record cost:
 *   valgrind --tool=callgrind --toggle-collect='round_all*' \
 *       ./build/release/ringside bench journal --drain 200000
 * (instructions of round_all / n = the recorder loop per record). */
/* Create instance `inst` with one recorder-gated ring holding n records. */
static int prefill(rs_region *reg, const char *inst, uint32_t size, uint64_t n)
{
    uint64_t bytes = n * ((size + 7u) & ~7u);
    uint32_t cap = 1u << 20;
    while (cap < 2 * bytes && cap < (1u << 30))
        cap <<= 1;
    if (bytes > cap / 2) {
        fprintf(stderr, "bench journal: --drain %llu records of %u B do not fit a ring\n", (unsigned long long)n,
                size);
        return 1;
    }
    rs_region_ring_spec spec = {"md", RS_STREAM_MD, cap, RS_SPSC_F_RECORDER};
    if (rs_region_create(reg, inst, &spec, 1) != 0) {
        fprintf(stderr, "bench journal: %s\n", rs_err_msg());
        return 1;
    }
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, rs_region_ring(reg, RS_STREAM_MD));
    for (uint64_t i = 1; i <= n; i++) {
        rs_rec *r = rs_spsc_try_claim(&p, size);
        if (!r) {
            fprintf(stderr, "bench journal: drain ring full at %llu\n", (unsigned long long)i);
            rs_region_destroy(reg);
            return 1;
        }
        r->len = size;
        r->type = RS_EV_TRADE;
        r->stream = RS_STREAM_MD;
        r->seq = i;
        r->ts = r->ts_local = (int64_t)i;
        memset(r + 1, 0x5a, size - sizeof *r);
    }
    rs_spsc_commit(&p);
    /* a stopped engine: the recorder drains, seals and exits */
    rs_store_release(&reg->hdr->ctl.stop, 1u);
    return 0;
}

/* --drain-prefill N --instance NAME: create and fill the region, then wait
 * (up to 10 min) for an external `ringside record` -- e.g. one running under
 * valgrind, which cannot run the TSC calibration of rs_region_create -- to
 * journal it and exit. */
static int run_prefill_only(const char *inst, uint32_t size, uint64_t n)
{
    rs_region reg;
    if (prefill(&reg, inst, size, n))
        return 1;
    printf("instance %s: %llu records of %u B ready for the recorder\n", inst, (unsigned long long)n, size);
    fflush(stdout);
    int64_t deadline = rs_mono_ns() + 600ll * 1000000000;
    uint32_t st;
    while ((st = rs_load_acquire(&reg.hdr->ctl.recorder_state)) != RS_REC_EXITED && st != RS_REC_FAILED &&
           rs_mono_ns() < deadline)
        usleep(20000);
    rs_region_destroy(&reg);
    return st == RS_REC_EXITED ? 0 : 1;
}

static int run_drain(const rs_bench_opts *o, const char *dir, uint32_t size, uint64_t n)
{
    char inst[48];
    snprintf(inst, sizeof inst, "benchd%d", (int)getpid());
    rs_region reg;
    if (prefill(&reg, inst, size, n))
        return 1;
    rmtree(dir);
    rs_atomic_u32 stop;
    atomic_init(&stop, 1u);
    rs_recorder_stats st;
    rs_recorder_opts ro = {.instance = inst, .dir = dir, .fsync_interval_ns = 100000000, .fsync_on_order = true,
                           .stop = &stop, .quiet = true, .stats = &st};
    double u0, s0, u1, s1;
    double pc0 = proc_cpu_s();
    thread_usage(&u0, &s0);
    int64_t t0 = rs_mono_ns();
    int rc = rs_recorder_run(&ro);
    double wall = (double)(rs_mono_ns() - t0) / 1e9;
    thread_usage(&u1, &s1);
    double pcpu = proc_cpu_s() - pc0;
    rs_region_destroy(&reg);
    rmtree(dir);
    if (rc || st.records != n) {
        fprintf(stderr, "bench journal: drain: rc %d, %llu of %llu records: %s\n", rc,
                (unsigned long long)st.records, (unsigned long long)n, rs_err_msg());
        return 1;
    }
    rs_bench_result r = {0};
    char cname[64], note[320];
    snprintf(cname, sizeof cname, "recorder_drain_%uB", size);
    r.bench = "journal";
    r.case_name = cname;
    r.unit = "ns";
    r.p50 = r.p90 = r.p99 = r.p999 = r.max = r.mean = wall * 1e9 / (double)n;
    r.throughput = (double)n / wall;
    r.tp_unit = "records/s";
    snprintf(note, sizeof note,
             "recorder alone, one thread, per record: %.1f ns wall, CPU %.1f ns user + %.1f ns sys in the recorder "
             "thread, %.1f ns whole process (io_uring workers incl.); setup, seal and syncs included",
             wall * 1e9 / (double)n, (u1 - u0) * 1e9 / (double)n, (s1 - s0) * 1e9 / (double)n, pcpu * 1e9 / (double)n);
    r.note = note;
    rs_bench_emit(o, &r);
    return 0;
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_dbl);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_REPEAT 9

/* ---- open loop: the "5 M records/s sustained" ----------------------
 * The closed-loop rows above measure how fast this producer/consumer pair can
 * go at all, which is bounded by the ring hand-off, not by the recorder. The
 * target is a rate: records offered at 5 M/s (default), on schedule, with
 * the recorder attached, and the question is whether the producer ever finds
 * the ring full (back-pressure) or falls behind its schedule (lag), and what
 * the recorder adds to its claim..commit latency. Runs alternate without and
 * with the recorder, `repeat` times; medians when repeat > 1. */

static int run_paced(const rs_bench_opts *o, const char *edir, uint32_t size, double rate, double seconds, int repeat)
{
    static e2e ea, eu;
    char cname[96], note[400], what[160];
    uint64_t n = (uint64_t)(rate * seconds);
    snprintf(what, sizeof what,
             "open loop: %u B records offered at %.2f M/s for %.1f s, %u MiB ring, recorder attached vs not", size,
             rate / 1e6, seconds, ring_bytes >> 20);
    rs_bench_header(o, "journal", what);
    /* [k][field][rep]: achieved/s, p50, p99, p99.9, lag p99, lag max, full */
    double m[2][7][MAX_REPEAT];
    for (int rep = 0; rep < repeat; rep++) {
        if (run_e2e(o, edir, false, size, n, rate, &eu) || run_e2e(o, edir, true, size, n, rate, &ea))
            return 1;
        for (int k = 0; k < 2; k++) {
            e2e *e = k ? &eu : &ea;
            rs_bench_result r = {0};
            rs_bench_from_hist(&r, &e->lat, 1.0);
            snprintf(cname, sizeof cname, "paced_%uB_%.0fM_%s", size, rate / 1e6, k ? "no_recorder" : "recorder_attached");
            r.bench = "journal";
            r.case_name = cname;
            r.unit = "ns";
            r.throughput = (double)e->n / e->secs;
            r.tp_unit = "records/s";
            if (!k) {
                r.peer = "no recorder";
                r.ratio_vs_peer = (double)rs_hist_pct(&eu.lat, 99) / (double)rs_hist_pct(&ea.lat, 99);
            }
            m[k][0][rep] = r.throughput;
            m[k][1][rep] = r.p50;
            m[k][2][rep] = r.p99;
            m[k][3][rep] = r.p999;
            m[k][4][rep] = (double)rs_hist_pct(&e->lag, 99);
            m[k][5][rep] = (double)e->lag.max;
            m[k][6][rep] = (double)e->full;
            snprintf(note, sizeof note,
                     "offered %.2f M/s, achieved %.2f M/s, ring full %llu times (back-pressure), schedule lag p99 %.1f "
                     "us max %.1f us%s",
                     rate / 1e6, r.throughput / 1e6, (unsigned long long)e->full, m[k][4][rep] / 1e3,
                     m[k][5][rep] / 1e3, k ? "" : "; p99 ratio is peer/ours");
            r.note = note;
            rs_bench_emit(o, &r);
        }
    }
    if (repeat > 1) {
        double med[2][7];
        for (int k = 0; k < 2; k++)
            for (int f = 0; f < 7; f++)
                med[k][f] = median(m[k][f], repeat);
        for (int k = 0; k < 2; k++) {
            rs_bench_result r = {0};
            snprintf(cname, sizeof cname, "paced_%uB_%.0fM_%s_median%d", size, rate / 1e6,
                     k ? "no_recorder" : "recorder_attached", repeat);
            r.bench = "journal";
            r.case_name = cname;
            r.unit = "ns";
            r.throughput = med[k][0];
            r.tp_unit = "records/s";
            r.p50 = med[k][1];
            r.p99 = med[k][2];
            r.p999 = med[k][3];
            if (!k) {
                r.peer = "no recorder";
                r.ratio_vs_peer = med[1][2] / med[0][2];
            }
            snprintf(note, sizeof note,
                     "medians of %d runs: achieved %.2f M/s, ring full %.0f times, lag p99 %.1f us max %.1f us%s",
                     repeat, med[k][0] / 1e6, med[k][6], med[k][4] / 1e3, med[k][5] / 1e3,
                     k ? "" : "; p99 ratio is peer/ours");
            r.note = note;
            rs_bench_emit(o, &r);
        }
    }
    return 0;
}


int rs_bench_journal(const rs_bench_opts *o)
{
    const char *dir = "var/bench/journal";
    bool e2e_only = false;
    uint64_t drain_n = 0;
    int repeat = 1;
    uint32_t only_size = 0;
    uint64_t prefill_n = 0;
    const char *instance = NULL;
    double rate = 5e6, seconds = o->quick ? 1 : 4;
    bool paced_only = false;
    for (int i = 0; i < o->argc; i++) {
        if (!strcmp(o->argv[i], "--dir") && i + 1 < o->argc)
            dir = o->argv[++i];
        else if (!strcmp(o->argv[i], "--e2e"))
            e2e_only = true;
        else if (!strcmp(o->argv[i], "--drain") && i + 1 < o->argc)
            drain_n = strtoull(o->argv[++i], NULL, 10);
        else if (!strcmp(o->argv[i], "--drain-prefill") && i + 1 < o->argc)
            prefill_n = strtoull(o->argv[++i], NULL, 10);
        else if (!strcmp(o->argv[i], "--instance") && i + 1 < o->argc)
            instance = o->argv[++i];
        else if (!strcmp(o->argv[i], "--rec-cpu") && i + 1 < o->argc)
            rec_cpu = atoi(o->argv[++i]);
        else if (!strcmp(o->argv[i], "--repeat") && i + 1 < o->argc)
            repeat = atoi(o->argv[++i]);
        else if (!strcmp(o->argv[i], "--size") && i + 1 < o->argc)
            only_size = (uint32_t)atoi(o->argv[++i]);
        else if (!strcmp(o->argv[i], "--rate") && i + 1 < o->argc)
            rate = strtod(o->argv[++i], NULL);
        else if (!strcmp(o->argv[i], "--seconds") && i + 1 < o->argc)
            seconds = strtod(o->argv[++i], NULL);
        else if (!strcmp(o->argv[i], "--paced"))
            paced_only = true;
        else if (!strcmp(o->argv[i], "--ring-mb") && i + 1 < o->argc) {
            long mb = atol(o->argv[++i]);
            if (mb < 1 || mb > 1024 || (mb & (mb - 1))) {
                fprintf(stderr, "bench journal: --ring-mb wants a power of two in 1..1024\n");
                return 1;
            }
            ring_bytes = (uint32_t)mb << 20;
        }
        else {
            fprintf(stderr, "bench journal: unknown argument %s (--dir DIR, --e2e, --paced, --rate N, --seconds S, --ring-mb N, "
                            "--drain N, --repeat N, --size 64|256, --rec-cpu N, --drain-prefill N --instance NAME)\n",
                    o->argv[i]);
            return 1;
        }
    }
    if (!(rate >= 1000 && rate <= 1e9) || !(seconds > 0 && seconds <= 600)) {
        fprintf(stderr, "bench journal: --rate 1000..1e9 records/s, --seconds (0, 600]\n");
        return 1;
    }
    if (repeat < 1 || repeat > MAX_REPEAT) {
        fprintf(stderr, "bench journal: --repeat 1..%d\n", MAX_REPEAT);
        return 1;
    }
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
    char cname[96], note[320];
    if (prefill_n) {
        if (!instance) {
            fprintf(stderr, "bench journal: --drain-prefill needs --instance NAME\n");
            return 1;
        }
        return run_prefill_only(instance, only_size ? only_size : 64, prefill_n);
    }
    if (drain_n) {
        rs_bench_header(o, "journal", "recorder alone: drain a pre-filled ring (callgrind target)");
        return run_drain(o, edir, only_size ? only_size : 64, drain_n);
    }
    if (paced_only)
        return run_paced(o, edir, only_size ? only_size : 64, rate, seconds, repeat);
    if (!e2e_only)
        rs_bench_header(o, "journal", "writer: records/s appending to a journal (io_uring vs pwrite peer)");
    for (size_t s = 0; s < RS_ARRAY_LEN(sizes) && !e2e_only; s++) {
        if (only_size && sizes[s] != only_size)
            continue;
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
        if (only_size && sizes[s] != only_size)
            continue;
        uint64_t n = o->quick ? 300000 : 10000000;
        /* per repetition, [0] attached [1] not: throughput, p50, p99, p99.9,
         * recorder CPU ns/record, process CPU ns/record */
        double m[2][6][MAX_REPEAT];
        for (int rep = 0; rep < repeat; rep++) {
            if (run_e2e(o, edir, false, sizes[s], n, 0, &eu) || run_e2e(o, edir, true, sizes[s], n, 0, &ea))
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
                double rec_ns = e->rec_cpu_s * 1e9 / (double)e->n, proc_ns = e->proc_cpu_s * 1e9 / (double)e->n;
                m[k][0][rep] = r.throughput;
                m[k][1][rep] = r.p50;
                m[k][2][rep] = r.p99;
                m[k][3][rep] = r.p999;
                m[k][4][rep] = rec_ns;
                m[k][5][rep] = proc_ns;
                if (k)
                    snprintf(note, sizeof note,
                             "%.0f MB/s, ring full %llu times (back-pressure), process CPU %.1f ns/record",
                             (double)e->n * sizes[s] / e->secs / 1e6, (unsigned long long)e->full, proc_ns);
                else
                    snprintf(note, sizeof note,
                             "%.0f MB/s, ring full %llu times, recorder thread CPU %.1f ns/record (%.0f%% of a core "
                             "at 5M rec/s), process CPU %.1f ns/record; p99 ratio is peer/ours",
                             (double)e->n * sizes[s] / e->secs / 1e6, (unsigned long long)e->full, rec_ns,
                             rec_ns * 5e6 / 1e9 * 100, proc_ns);
                r.note = note;
                rs_bench_emit(o, &r);
            }
        }
        if (repeat > 1) {
            double med[2][6];
            for (int k = 0; k < 2; k++)
                for (int f = 0; f < 6; f++)
                    med[k][f] = median(m[k][f], repeat);
            for (int k = 0; k < 2; k++) {
                rs_bench_result r = {0};
                snprintf(cname, sizeof cname, "producer_%uB_%s_median%d", sizes[s],
                         k ? "no_recorder" : "recorder_attached", repeat);
                r.bench = "journal";
                r.case_name = cname;
                r.unit = "ns";
                r.throughput = med[k][0];
                r.tp_unit = "records/s";
                r.p50 = med[k][1];
                r.p90 = 0;
                r.p99 = med[k][2];
                r.p999 = med[k][3];
                r.max = r.mean = 0;
                if (!k) {
                    r.peer = "no recorder";
                    r.ratio_vs_peer = med[1][2] / med[0][2];
                    snprintf(note, sizeof note,
                             "medians of %d runs; recorder thread CPU %.1f ns/record, process CPU %.1f ns/record "
                             "(%.1f without recorder); p99 ratio is peer/ours",
                             repeat, med[0][4], med[0][5], med[1][5]);
                } else {
                    snprintf(note, sizeof note, "medians of %d runs; process CPU %.1f ns/record", repeat, med[1][5]);
                }
                r.note = note;
                rs_bench_emit(o, &r);
            }
        }
    }
    return run_paced(o, edir, only_size ? only_size : 64, rate, seconds, repeat);
}
