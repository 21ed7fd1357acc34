/* ringside bench ring -- the SPSC ring against its floor and its peers.
 *
 * Latency (one-way, unloaded): thread A stamps rdtsc into a message and sends
 * it; thread B receives it, records rdtsc - stamp, then acknowledges on a
 * separate cache line; A waits for the ack before the next message. Every
 * transport runs this same protocol, so the differences are the transports':
 *   floor:   a raw cache-line ping-pong (one atomic store, one spin-load) --
 *            what the two cores can do at best;
 *   ringside rs_spsc (16-byte record);
 *   ck_ring  Concurrency Kit SPSC (pointer to a pre-filled 16-byte slot);
 *   mutex    pthread mutex + condvar queue.
 * Throughput: records/s moving 16/64/256-byte records one way, batched
 * (commit/release every 32) and unbatched, between threads and processes;
 * peers ck_ring and the mutex queue move the same bytes (copy into a slot).
 * The TSC must be invariant and synchronised across cores (it is on every
 * x86-64 server we target); ticks are converted with rs_tsc_ghz().
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "ringside/atomics.h"
#include "ringside/region.h"
#include "ringside/ring.h"
#include "ringside/tsc.h"

#ifdef RS_HAVE_CK
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpedantic"
#pragma GCC diagnostic ignored "-Wcast-qual"
#include <ck_ring.h>
#pragma GCC diagnostic pop
#endif

#define RING_CAP (1u << 20)
#define CK_SLOTS (1u << 16)

enum kind { K_FLOOR, K_RS, K_CK, K_MUTEX };

typedef struct {
    RS_CL_ALIGNED rs_atomic_u64 msg;     /* floor: the stamp itself */
    RS_CL_ALIGNED rs_atomic_u64 ack;
    RS_CL_ALIGNED rs_atomic_u32 go;
} sync_lines;

/* mutex + condvar queue of fixed slots (the textbook peer) */
typedef struct {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    uint32_t head, tail, cap, slot;
    uint8_t *buf;
} mq_t;

static void mq_init(mq_t *q, uint32_t cap, uint32_t slot)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->nonempty, NULL);
    pthread_cond_init(&q->nonfull, NULL);
    q->head = q->tail = 0;
    q->cap = cap;
    q->slot = slot;
    q->buf = aligned_alloc(64, (size_t)cap * slot);
}

static void mq_push(mq_t *q, const void *p, uint32_t n)
{
    pthread_mutex_lock(&q->mu);
    while (q->head - q->tail == q->cap)
        pthread_cond_wait(&q->nonfull, &q->mu);
    memcpy(q->buf + (size_t)(q->head % q->cap) * q->slot, p, n);
    q->head++;
    pthread_cond_signal(&q->nonempty);
    pthread_mutex_unlock(&q->mu);
}

static void mq_pop(mq_t *q, void *p, uint32_t n)
{
    pthread_mutex_lock(&q->mu);
    while (q->head == q->tail)
        pthread_cond_wait(&q->nonempty, &q->mu);
    memcpy(p, q->buf + (size_t)(q->tail % q->cap) * q->slot, n);
    q->tail++;
    pthread_cond_signal(&q->nonfull);
    pthread_mutex_unlock(&q->mu);
}

typedef struct {
    enum kind kind;
    int cpu;
    uint64_t n;
    uint32_t size;       /* throughput: record bytes */
    uint32_t batch;      /* throughput: commit every */
    sync_lines *s;
    void *ring;          /* rs ring memory */
#ifdef RS_HAVE_CK
    ck_ring_t *ck;
    ck_ring_buffer_t *ckbuf;
    uint8_t *slots;
    uint32_t ck_slots;   /* throughput: slots in the pool (RING_CAP / size) */
#endif
    mq_t *mq;
    rs_hist *h;
    uint64_t sink;
} lat_ctx;

/* ---------------- latency ---------------- */

static void *lat_recv(void *arg)
{
    lat_ctx *c = arg;
    rs_bench_pin(c->cpu);
    rs_spsc_cons cons;
    if (c->kind == K_RS)
        rs_spsc_cons_init(&cons, c->ring, RS_SPSC_CONSUMER);
    rs_store_release(&c->s->go, 1u);
    uint64_t last = 0;
    for (uint64_t i = 0; i < c->n; i++) {
        uint64_t stamp = 0;
        switch (c->kind) {
        case K_FLOOR:
            /* partner: the sender's release store of msg */
            while ((stamp = rs_load_acquire(&c->s->msg)) == last)
                rs_cpu_relax();
            last = stamp;
            break;
        case K_RS: {
            const uint8_t *r;
            while (!(r = rs_spsc_poll(&cons)))
                rs_cpu_relax();
            memcpy(&stamp, r + 8, 8);
            rs_spsc_release(&cons);
            break;
        }
#ifdef RS_HAVE_CK
        case K_CK: {
            void *p;
            while (!ck_ring_dequeue_spsc(c->ck, c->ckbuf, &p))
                rs_cpu_relax();
            memcpy(&stamp, p, 8);
            break;
        }
#endif
        case K_MUTEX: {
            uint8_t m[16];
            mq_pop(c->mq, m, 16);
            memcpy(&stamp, m, 8);
            break;
        }
        default:
            break;
        }
        uint64_t now = rs_rdtscp();
        rs_hist_add(c->h, now > stamp ? now - stamp : 0);
        /* partner: the sender's acquire load of ack */
        rs_store_release(&c->s->ack, i + 1);
    }
    return NULL;
}

static void lat_send(lat_ctx *c)
{
    rs_bench_pin(c->cpu);
    rs_spsc_prod prod;
    if (c->kind == K_RS)
        rs_spsc_prod_init(&prod, c->ring);
    while (!rs_load_acquire(&c->s->go)) /* partner: receiver's release of go */
        rs_cpu_relax();
    for (uint64_t i = 0; i < c->n; i++) {
        /* a little idle time between messages, like a real tick stream */
        uint64_t t0 = rs_rdtsc();
        while (rs_rdtsc() - t0 < 200)
            rs_cpu_relax();
        uint64_t stamp = rs_rdtscp();
        switch (c->kind) {
        case K_FLOOR:
            rs_store_release(&c->s->msg, stamp); /* partner: receiver's acquire */
            break;
        case K_RS: {
            uint8_t *r;
            while (!(r = rs_spsc_try_claim(&prod, 16)))
                rs_cpu_relax();
            *(uint32_t *)r = 16;
            *(uint16_t *)(r + 4) = 1;
            memcpy(r + 8, &stamp, 8);
            rs_spsc_commit(&prod);
            break;
        }
#ifdef RS_HAVE_CK
        case K_CK: {
            uint8_t *slot = c->slots + (i % CK_SLOTS) * 16;
            memcpy(slot, &stamp, 8);
            while (!ck_ring_enqueue_spsc(c->ck, c->ckbuf, slot))
                rs_cpu_relax();
            break;
        }
#endif
        case K_MUTEX: {
            uint8_t m[16] = {0};
            memcpy(m, &stamp, 8);
            mq_push(c->mq, m, 16);
            break;
        }
        default:
            break;
        }
        while (rs_load_acquire(&c->s->ack) != i + 1) /* partner: receiver's release */
            rs_cpu_relax();
    }
}

/* ---------------- throughput ---------------- */

static void *tp_recv(void *arg)
{
    lat_ctx *c = arg;
    rs_bench_pin(c->cpu);
    rs_spsc_cons cons;
    if (c->kind == K_RS)
        rs_spsc_cons_init(&cons, c->ring, RS_SPSC_CONSUMER);
    rs_store_release(&c->s->go, 1u);
    uint64_t sink = 0;
    uint8_t tmp[256];
    for (uint64_t i = 0; i < c->n; i++) {
        switch (c->kind) {
        case K_RS: {
            const uint8_t *r;
            while (!(r = rs_spsc_poll(&cons))) {
                rs_spsc_release(&cons);
                rs_cpu_relax();
            }
            sink += r[c->size - 1];
            if (c->batch == 1 || (i % c->batch) == c->batch - 1)
                rs_spsc_release(&cons);
            break;
        }
#ifdef RS_HAVE_CK
        case K_CK: {
            void *p;
            while (!ck_ring_dequeue_spsc(c->ck, c->ckbuf, &p))
                rs_cpu_relax();
            memcpy(tmp, p, c->size);
            sink += tmp[c->size - 1];
            break;
        }
#endif
        case K_MUTEX:
            mq_pop(c->mq, tmp, c->size);
            sink += tmp[c->size - 1];
            break;
        default:
            break;
        }
    }
    if (c->kind == K_RS)
        rs_spsc_release(&cons);
    c->sink = sink;
    return NULL;
}

static void tp_send(lat_ctx *c)
{
    rs_bench_pin(c->cpu);
    rs_spsc_prod prod;
    if (c->kind == K_RS)
        rs_spsc_prod_init(&prod, c->ring);
    while (!rs_load_acquire(&c->s->go)) /* partner: receiver's release of go */
        rs_cpu_relax();
    uint8_t msg[256];
    memset(msg, 0x5a, sizeof msg);
    for (uint64_t i = 0; i < c->n; i++) {
        switch (c->kind) {
        case K_RS: {
            uint8_t *r;
            while (!(r = rs_spsc_try_claim(&prod, c->size))) {
                rs_spsc_commit(&prod);
                rs_cpu_relax();
            }
            memcpy(r, msg, c->size);
            *(uint32_t *)r = c->size;
            *(uint16_t *)(r + 4) = 1;
            if (c->batch == 1 || (i % c->batch) == c->batch - 1)
                rs_spsc_commit(&prod);
            break;
        }
#ifdef RS_HAVE_CK
        case K_CK: {
            /* the slot pool is as large as the ring: a slot is free again once
             * the ring has room for its pointer */
            /* same memory budget as our ring: RING_CAP bytes of slots of
             * exactly the record size (a slot is free again once the ring
             * has room for its pointer) */
            const uint32_t nslots = c->ck_slots;
            uint8_t *slot = c->slots + (i % nslots) * c->size;
            while (ck_ring_size(c->ck) >= nslots - 2)
                rs_cpu_relax();
            memcpy(slot, msg, c->size);
            while (!ck_ring_enqueue_spsc(c->ck, c->ckbuf, slot))
                rs_cpu_relax();
            break;
        }
#endif
        case K_MUTEX:
            mq_push(c->mq, msg, c->size);
            break;
        default:
            break;
        }
    }
    if (c->kind == K_RS)
        rs_spsc_commit(&prod);
}

typedef struct {
    lat_ctx send, recv;
    sync_lines *s;
    void *ring;
#ifdef RS_HAVE_CK
    ck_ring_t ck;
    ck_ring_buffer_t *ckbuf;
    uint8_t *slots;
#endif
    mq_t mq;
} harness;

static void harness_init(harness *hz, enum kind k, const rs_bench_opts *o, uint64_t n, rs_hist *h)
{
    memset(hz, 0, sizeof *hz);
    hz->s = aligned_alloc(64, sizeof(sync_lines));
    memset(hz->s, 0, sizeof *hz->s);
    if (k == K_RS) {
        hz->ring = aligned_alloc(64, rs_spsc_memsize(RING_CAP));
        rs_spsc_init(hz->ring, RING_CAP, 1, "bench", 0);
    }
#ifdef RS_HAVE_CK
    if (k == K_CK) {
        ck_ring_init(&hz->ck, CK_SLOTS);
        hz->ckbuf = aligned_alloc(64, sizeof(ck_ring_buffer_t) * CK_SLOTS);
        hz->slots = aligned_alloc(64, (size_t)CK_SLOTS * 256);
        memset(hz->slots, 0, (size_t)CK_SLOTS * 256);
    }
#endif
    if (k == K_MUTEX)
        mq_init(&hz->mq, 4096, 256);
    lat_ctx base = {.kind = k, .n = n, .s = hz->s, .ring = hz->ring, .mq = &hz->mq, .h = h};
#ifdef RS_HAVE_CK
    base.ck = &hz->ck;
    base.ckbuf = hz->ckbuf;
    base.slots = hz->slots;
#endif
    hz->send = base;
    hz->recv = base;
    hz->send.cpu = o->cpu_a;
    hz->recv.cpu = o->cpu_b;
}

static void harness_fini(harness *hz)
{
    free(hz->s);
    free(hz->ring);
#ifdef RS_HAVE_CK
    free(hz->ckbuf);
    free(hz->slots);
#endif
    if (hz->mq.buf)
        free(hz->mq.buf);
}

#define REPS 5

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return v[n / 2];
}

static const char *kind_name[] = {"floor", "rs_spsc", "ck_ring", "mutex"};

static double run_latency(enum kind k, const rs_bench_opts *o, uint64_t n, rs_hist *h)
{
    harness hz;
    rs_hist_init(h);
    harness_init(&hz, k, o, n, h);
    pthread_t t;
    pthread_create(&t, NULL, lat_recv, &hz.recv);
    lat_send(&hz.send);
    pthread_join(t, NULL);
    harness_fini(&hz);
    return (double)rs_hist_pct(h, 50);
}

static double run_tp_threads(enum kind k, const rs_bench_opts *o, uint64_t n, uint32_t size, uint32_t batch)
{
    harness hz;
    harness_init(&hz, k, o, n, NULL);
    hz.send.size = hz.recv.size = size;
    hz.send.batch = hz.recv.batch = batch;
#ifdef RS_HAVE_CK
    if (k == K_CK) {
        /* the pointer ring and the slot pool hold as many bytes as ours */
        uint32_t ns = RING_CAP / size;
        if (ns > CK_SLOTS)
            ns = CK_SLOTS;
        ck_ring_init(&hz.ck, ns);
        hz.send.ck_slots = hz.recv.ck_slots = ns;
    }
#endif
    pthread_t t;
    pthread_create(&t, NULL, tp_recv, &hz.recv);
    int64_t t0 = rs_mono_ns();
    tp_send(&hz.send);
    pthread_join(t, NULL);
    int64_t t1 = rs_mono_ns();
    harness_fini(&hz);
    return (double)n / ((double)(t1 - t0) / 1e9);
}

/* Throughput between two processes over a real shared-memory region. */
static double run_tp_procs(const rs_bench_opts *o, uint64_t n, uint32_t size, uint32_t batch)
{
    char inst[64];
    snprintf(inst, sizeof inst, "bench-ring-%d", (int)getpid());
    rs_region_ring_spec spec = {"bench", 1, RING_CAP, 0};
    rs_region r;
    memset(&r, 0, sizeof r);
    if (rs_region_create(&r, inst, &spec, 1) != 0) {
        fprintf(stderr, "bench ring: %s\n", rs_err_msg());
        return 0;
    }
    rs_atomic_u64 *go = &r.hdr->counters[0];
    pid_t pid = fork();
    if (pid == 0) {
        rs_region a;
        memset(&a, 0, sizeof a);
        if (rs_region_attach(&a, inst, false) != 0)
            _exit(1);
        sync_lines s;
        memset(&s, 0, sizeof s);
        lat_ctx c = {.kind = K_RS, .cpu = o->cpu_b, .n = n, .size = size, .batch = batch, .s = &s,
                     .ring = rs_region_ring(&a, 1)};
        rs_store_release(&a.hdr->counters[0], 1u); /* partner: parent's acquire of go */
        tp_recv(&c);
        _exit(0);
    }
    while (!rs_load_acquire(go)) /* partner: child's release */
        sched_yield();
    sync_lines s;
    memset(&s, 0, sizeof s);
    atomic_store(&s.go, 1u);
    lat_ctx c = {.kind = K_RS, .cpu = o->cpu_a, .n = n, .size = size, .batch = batch, .s = &s,
                 .ring = rs_region_ring(&r, 1)};
    int64_t t0 = rs_mono_ns();
    tp_send(&c);
    int st;
    waitpid(pid, &st, 0);
    int64_t t1 = rs_mono_ns();
    rs_region_destroy(&r);
    return (double)n / ((double)(t1 - t0) / 1e9);
}

int rs_bench_ring(const rs_bench_opts *o)
{
    double ns_per_tick = 1.0 / rs_tsc_ghz();
    uint64_t nlat = o->quick ? 20000 : 300000;
    uint64_t ntp = o->quick ? 300000 : 3000000;
    rs_hist *h = malloc(sizeof *h);

    rs_bench_header(o, "ring", "one-way latency (ns, unloaded) and throughput");
    double p50[4] = {0};
    enum kind kinds[] = {K_FLOOR, K_RS,
#ifdef RS_HAVE_CK
                         K_CK,
#endif
                         K_MUTEX};
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
        enum kind k = kinds[i];
        p50[k] = run_latency(k, o, nlat, h);
        char name[64];
        snprintf(name, sizeof name, "latency/%s", kind_name[k]);
        rs_bench_result r = {.bench = "ring", .case_name = name, .unit = "ns"};
        rs_bench_from_hist(&r, h, ns_per_tick);
        r.throughput = 0;
        if (k == K_RS) {
            /* the floor is the "peer" here: ratio = floor/ours (<= 1) */
            r.peer = "floor";
            r.ratio_vs_peer = p50[K_FLOOR] / p50[K_RS];
        } else if (k != K_FLOOR) {
            r.peer = kind_name[k];
            r.ratio_vs_peer = p50[k] / p50[K_RS];
            r.case_name = name;
        }
        rs_bench_emit(o, &r);
    }

    static const uint32_t sizes[] = {16, 64, 256};
    static const uint32_t batches[] = {32, 1};
    for (size_t si = 0; si < 3; si++) {
        const uint32_t size = sizes[si];
        for (size_t bi = 0; bi < 2; bi++) {
            uint32_t batch = batches[bi];
            /* The VM is noisy: alternate ours and the peer, take medians. */
            double ours_v[REPS], ck_v[REPS];
            int reps = o->quick ? 1 : REPS;
            for (int k = 0; k < reps; k++) {
                ours_v[k] = run_tp_threads(K_RS, o, ntp, size, batch);
#ifdef RS_HAVE_CK
                /* ck_ring has no batch API: it publishes every record */
                ck_v[k] = run_tp_threads(K_CK, o, ntp, size, 1);
#else
                ck_v[k] = 0;
#endif
            }
            double ours = median(ours_v, reps);
            char name[64];
            snprintf(name, sizeof name, "tp/threads/%uB/%s", size, batch > 1 ? "batch32" : "unbatched");
            rs_bench_result r = {.bench = "ring", .case_name = name, .unit = "ns", .throughput = ours,
                                 .tp_unit = "records/s"};
            r.p50 = r.p99 = r.p999 = r.max = r.mean = 1e9 / ours;
#ifdef RS_HAVE_CK
            double ck = median(ck_v, reps);
            r.peer = "ck_ring";
            r.ratio_vs_peer = ours / ck;   /* = peer time per record / ours */
#endif
            rs_bench_emit(o, &r);
        }
        double mq = run_tp_threads(K_MUTEX, o, ntp / 10, size, 1);
        char name[64];
        snprintf(name, sizeof name, "tp/threads/%uB/mutex_queue", size);
        rs_bench_result r = {.bench = "ring", .case_name = name, .unit = "ns", .throughput = mq,
                             .tp_unit = "records/s"};
        r.p50 = r.p99 = r.p999 = r.max = r.mean = 1e9 / mq;
        rs_bench_emit(o, &r);
        double pr = run_tp_procs(o, ntp, size, 32);
        snprintf(name, sizeof name, "tp/processes/%uB/batch32", size);
        rs_bench_result rp = {.bench = "ring", .case_name = name, .unit = "ns", .throughput = pr,
                              .tp_unit = "records/s"};
        rp.p50 = rp.p99 = rp.p999 = rp.max = rp.mean = pr > 0 ? 1e9 / pr : 0;
        rs_bench_emit(o, &rp);
    }
    free(h);
    return 0;
}
