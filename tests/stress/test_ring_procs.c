/* Two-process ring stress over a shared-memory region:
 *  1. 50M records (scaled) producer process -> consumer process, verified.
 *  2. The consumer process is SIGKILLed mid-stream and restarted: it resumes
 *     at the last released position (nothing lost, at most one unreleased
 *     batch seen again).
 *  3. The producer process is SIGKILLed mid-claim: no half-written record is
 *     ever exposed, and a restarted producer continues the sequence. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ringside/region.h"
#include "ringstress.h"
#include "testutil.h"

#define CAP (1u << 16)
#define BATCH 32
/* a consumer publishes its tail in chunks of capacity/16 bytes: at most that
 * many bytes (records of >= 24 bytes) can come again after a restart */
#define REDELIVER (CAP / 16 / 24 + 1)
static char inst[64];
static const rs_region_ring_spec spec[] = {{"stress", 1, CAP, 0}};

/* counters[0]: last seq the consumer released (+1); counters[1]: errors */

static void produce(rs_region *r, uint64_t from, uint64_t n, int commit_every)
{
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, rs_region_ring(r, 1));
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ from;
    int b = 0;
    for (uint64_t seq = from; seq < from + n; seq++) {
        uint32_t len = stress_len(&rng);
        uint8_t *rec;
        while (!(rec = rs_spsc_try_claim(&p, len))) {
            rs_spsc_commit(&p);
            b = 0;
            sched_yield();
        }
        stress_fill(rec, len, seq);
        if (++b >= commit_every) {
            rs_spsc_commit(&p);
            b = 0;
        }
    }
    rs_spsc_commit(&p);
}

/* Consume until `until` records; verify; publish progress before release. */
static int consume(rs_region *r, uint64_t until)
{
    rs_spsc_cons c;
    rs_spsc_cons_init(&c, rs_region_ring(r, 1), RS_SPSC_CONSUMER);
    rs_atomic_u64 *done = &r->hdr->counters[0];
    uint64_t seq = rs_load_acquire(done);
    bool first = true;
    while (seq < until) {
        const uint8_t *rec = rs_spsc_poll(&c);
        if (!rec) {
            sched_yield();
            continue;
        }
        const stress_hdr *h = (const stress_hdr *)rec;
        if (first) {
            /* Resume check: the first record after a restart is at most one
             * unreleased batch before our published progress, never after. */
            if (h->seq > seq || h->seq + BATCH + REDELIVER < seq)
                return 10;
            seq = h->seq;
            first = false;
        }
        if (stress_check(rec, seq) != 0)
            return 11;
        seq++;
        if ((seq % BATCH) == 0) {
            rs_store_release(done, seq); /* partner: the restarted consumer's acquire */
            rs_spsc_release(&c);
        }
    }
    rs_store_release(done, seq);
    rs_spsc_release(&c);
    return 0;
}

static void test_two_processes(void **s)
{
    (void)s;
    uint64_t n = (uint64_t)(50e6 * rs_test_scale());
    rs_region r;
    memset(&r, 0, sizeof r);
    assert_int_equal(rs_region_create(&r, inst, spec, 1), 0);
    pid_t cpid = fork();
    if (cpid == 0) {
        rs_region a;
        memset(&a, 0, sizeof a);
        if (rs_region_attach(&a, inst, false) != 0)
            _exit(20);
        _exit(consume(&a, n));
    }
    produce(&r, 0, n, 16);
    int st;
    waitpid(cpid, &st, 0);
    printf("two processes: %llu records, consumer exit %d\n", (unsigned long long)n, WEXITSTATUS(st));
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(r.hdr->counters[0], n);
    rs_region_destroy(&r);
}

static void test_consumer_killed(void **s)
{
    (void)s;
    uint64_t n = (uint64_t)(4e6 * rs_test_scale()) + 100000;
    rs_region r;
    memset(&r, 0, sizeof r);
    assert_int_equal(rs_region_create(&r, inst, spec, 1), 0);
    pid_t ppid = fork();
    if (ppid == 0) {
        rs_region a;
        memset(&a, 0, sizeof a);
        if (rs_region_attach(&a, inst, true) != 0)
            _exit(20);
        produce(&a, 0, n, 8);
        _exit(0);
    }
    unsigned seed = (unsigned)getpid();
    int kills = 0;
    for (;;) {
        pid_t cpid = fork();
        if (cpid == 0) {
            rs_region a;
            memset(&a, 0, sizeof a);
            if (rs_region_attach(&a, inst, true) != 0)
                _exit(20);
            _exit(consume(&a, n));
        }
        if (kills < 5) {
            struct timespec d = {0, 1000000 + (rand_r(&seed) % 20) * 1000000};
            nanosleep(&d, NULL);
            if (kill(cpid, SIGKILL) == 0)
                kills++;
        }
        int st;
        waitpid(cpid, &st, 0);
        if (WIFEXITED(st)) {
            assert_int_equal(WEXITSTATUS(st), 0);
            break;
        }
    }
    int st;
    waitpid(ppid, &st, 0);
    printf("consumer killed %d times; %llu records verified\n", kills, (unsigned long long)r.hdr->counters[0]);
    assert_int_equal(r.hdr->counters[0], n);
    rs_region_destroy(&r);
}

static void test_producer_killed(void **s)
{
    (void)s;
    rs_region r;
    memset(&r, 0, sizeof r);
    assert_int_equal(rs_region_create(&r, inst, spec, 1), 0);
    unsigned seed = (unsigned)getpid() * 7u;
    uint64_t expect = 0;
    rs_spsc_cons c;
    rs_spsc_cons_init(&c, rs_region_ring(&r, 1), RS_SPSC_CONSUMER);
    for (int round = 0; round < 10; round++) {
        pid_t ppid = fork();
        if (ppid == 0) {
            rs_region a;
            memset(&a, 0, sizeof a);
            if (rs_region_attach(&a, inst, true) != 0)
                _exit(20);
            produce(&a, expect, UINT64_MAX / 2, 1 + round);   /* until killed */
            _exit(0);
        }
        /* consume while it runs, then kill it at a random moment */
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        long budget_ns = 2000000 + (rand_r(&seed) % 30) * 1000000;
        for (;;) {
            const uint8_t *rec = rs_spsc_poll(&c);
            if (rec) {
                assert_int_equal(stress_check(rec, expect), 0);
                expect++;
                if ((expect & 63) == 0)
                    rs_spsc_release(&c);
                continue;
            }
            rs_spsc_release(&c);
            struct timespec t1;
            clock_gettime(CLOCK_MONOTONIC, &t1);
            if ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) > budget_ns)
                break;
        }
        kill(ppid, SIGKILL);
        int st;
        waitpid(ppid, &st, 0);
        /* drain what it committed: every record intact */
        const uint8_t *rec;
        while ((rec = rs_spsc_poll(&c))) {
            assert_int_equal(stress_check(rec, expect), 0);
            expect++;
        }
        rs_spsc_release(&c);
    }
    printf("producer killed 10 times; %llu records verified, none torn\n", (unsigned long long)expect);
    assert_true(expect > 0);
    rs_region_destroy(&r);
}

int main(void)
{
    snprintf(inst, sizeof inst, "test-ringprocs-%d", (int)getpid());
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_processes),
        cmocka_unit_test(test_consumer_killed),
        cmocka_unit_test(test_producer_killed),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rs_region_cleanup(inst);
    return rc;
}
