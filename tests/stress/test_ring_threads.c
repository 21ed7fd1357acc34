/* Two-thread (plus optional recorder thread) ring stress: 50 million records
 * of random sizes in release (scaled down under sanitizers), verified for
 * loss, reorder and torn reads. Run under TSan in CI with the short count. */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "ringstress.h"
#include "testutil.h"

#define CAP (1u << 16)

typedef struct {
    void *mem;
    uint64_t n;
    int role;
    uint64_t bad;
    uint64_t seen;
} ctx_t;

static void *producer(void *arg)
{
    ctx_t *c = arg;
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, c->mem);
    uint64_t rng = 88172645463325252ull, seq = 0;
    int batch = 0;
    while (seq < c->n) {
        uint32_t len = stress_len(&rng);
        uint8_t *r;
        while (!(r = rs_spsc_try_claim(&p, len))) {
            rs_spsc_commit(&p);
            batch = 0;
            /* the runtime's idle pre-touch: writes free space only, so a
             * touch into a record still being read shows as a torn record
             * here and as a race under TSan */
            rs_spsc_touch_ahead(&p, CAP);
            sched_yield();
        }
        stress_fill(r, len, seq++);
        if (++batch == 16) {
            rs_spsc_commit(&p);
            batch = 0;
            rs_spsc_touch_ahead(&p, CAP / 2);
        }
    }
    rs_spsc_commit(&p);
    return NULL;
}

static void *consumer(void *arg)
{
    ctx_t *c = arg;
    rs_spsc_cons cons;
    rs_spsc_cons_init(&cons, c->mem, c->role);
    uint64_t seq = 0;
    while (seq < c->n) {
        const uint8_t *r = rs_spsc_poll(&cons);
        if (!r) {
            rs_spsc_release(&cons);
            sched_yield();
            continue;
        }
        if (stress_check(r, seq) != 0) {
            c->bad++;
            break;
        }
        seq++;
        if ((seq & 31) == 0)
            rs_spsc_release(&cons);
    }
    rs_spsc_release(&cons);
    c->seen = seq;
    return NULL;
}

static void run(uint64_t n, int with_recorder)
{
    void *mem = aligned_alloc(64, rs_spsc_memsize(CAP));
    assert_int_equal(rs_spsc_init(mem, CAP, 1, "stress", with_recorder ? RS_SPSC_F_RECORDER : 0), 0);
    ctx_t pc = {mem, n, 0, 0, 0}, cc = {mem, n, RS_SPSC_CONSUMER, 0, 0}, rc = {mem, n, RS_SPSC_RECORDER, 0, 0};
    pthread_t tp, tc, tr;
    pthread_create(&tc, NULL, consumer, &cc);
    if (with_recorder)
        pthread_create(&tr, NULL, consumer, &rc);
    pthread_create(&tp, NULL, producer, &pc);
    pthread_join(tp, NULL);
    pthread_join(tc, NULL);
    if (with_recorder)
        pthread_join(tr, NULL);
    printf("records %llu: consumer saw %llu (bad %llu)%s\n", (unsigned long long)n,
           (unsigned long long)cc.seen, (unsigned long long)cc.bad, with_recorder ? " + recorder" : "");
    assert_int_equal(cc.bad, 0);
    assert_int_equal(cc.seen, n);
    if (with_recorder) {
        assert_int_equal(rc.bad, 0);
        assert_int_equal(rc.seen, n);
    }
    assert_int_equal(((rs_spsc_hdr *)mem)->published, n);
    free(mem);
}

static void test_two_threads(void **s)
{
    (void)s;
    run((uint64_t)(50e6 * rs_test_scale()), 0);
}

static void test_with_recorder(void **s)
{
    (void)s;
    run((uint64_t)(20e6 * rs_test_scale()), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_two_threads),
        cmocka_unit_test(test_with_recorder),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
