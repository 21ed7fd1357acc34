/* rs_spsc_mark / rs_spsc_release_to: freeing polled records up to a point
 * while later polled records stay held -- how the recorder gives back ring
 * space only for what the journal has written. Also: stale and foreign
 * points change nothing, wrap padding is handled, and a recorder killed
 * after a partial release resumes exactly at the released point. */
#include <stdlib.h>
#include <string.h>

#include "ringside/ring.h"
#include "testutil.h"

#define CAP 4096u

static void *new_ring(uint32_t flags)
{
    void *mem = aligned_alloc(64, rs_spsc_memsize(CAP));
    assert_non_null(mem);
    assert_int_equal(rs_spsc_init(mem, CAP, 1, "t", flags), 0);
    return mem;
}

static int put(rs_spsc_prod *p, uint32_t len, uint64_t seq)
{
    uint8_t *r = rs_spsc_try_claim(p, len);
    if (!r)
        return RS_FULL;
    memset(r, 0, len);
    *(uint32_t *)r = len;
    *(uint16_t *)(r + 4) = 7;
    memcpy(r + 8, &seq, 8);
    return RS_OK;
}

static uint64_t seq_of(const void *r)
{
    uint64_t s;
    memcpy(&s, (const uint8_t *)r + 8, 8);
    return s;
}

static int fill(rs_spsc_prod *p, uint32_t len, uint64_t *next)
{
    int n = 0;
    while (put(p, len, *next) == RS_OK) {
        (*next)++;
        n++;
    }
    rs_spsc_commit(p);
    return n;
}

/* Recorder cursor: release in two steps; the producer gets exactly the
 * released space back, the held records stay intact and pollable order is
 * unchanged. */
static void test_recorder_partial_release(void **s)
{
    (void)s;
    void *mem = new_ring(RS_SPSC_F_RECORDER);
    rs_spsc_hdr *h = mem;
    rs_spsc_prod p;
    rs_spsc_cons c, rec;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    rs_spsc_cons_init(&rec, mem, RS_SPSC_RECORDER);
    uint64_t next = 0;
    int n = fill(&p, 128, &next);        /* 32 records of 128 B: the ring is full */
    assert_int_equal(n, (int)(CAP / 128));
    while (rs_spsc_poll(&c))             /* the consumer frees everything */
        ;
    rs_spsc_release(&c);
    assert_null(rs_spsc_poll(&c));
    const void *held[64];
    int k = 0;
    rs_spsc_point at10 = {0, 0};
    const void *r;
    while ((r = rs_spsc_poll(&rec))) {
        assert_int_equal(seq_of(r), (uint64_t)k);
        held[k++] = r;
        if (k == 10)
            at10 = rs_spsc_mark(&rec);
    }
    assert_int_equal(k, n);
    assert_int_equal(at10.count, 10);
    assert_int_equal(at10.pos, 10 * 128);
    /* nothing released by the recorder yet: still full */
    assert_int_equal(put(&p, 128, 999), RS_FULL);
    rs_spsc_release_to(&rec, at10);
    assert_int_equal(rs_load_acquire(&h->rec_tail), 10 * 128);
    assert_int_equal(rs_load_relaxed(&h->rec_consumed), 10);
    /* exactly 10 records of space came back */
    int m = fill(&p, 128, &next);
    assert_int_equal(m, 10);
    /* records 10.. are still held, unchanged */
    for (int i = 10; i < n; i++)
        assert_int_equal(seq_of(held[i]), (uint64_t)i);
    /* an older point, or the same one again, changes nothing */
    rs_spsc_point zero = {0, 0};
    rs_spsc_release_to(&rec, zero);
    rs_spsc_release_to(&rec, at10);
    assert_int_equal(rs_load_acquire(&h->rec_tail), 10 * 128);
    /* a point past what was polled (not from this handle) changes nothing */
    rs_spsc_point bogus = {CAP * 4, 1000};
    rs_spsc_release_to(&rec, bogus);
    assert_int_equal(rs_load_acquire(&h->rec_tail), 10 * 128);
    /* the rest: release_to the current point == rs_spsc_release */
    rs_spsc_point all = rs_spsc_mark(&rec);
    assert_int_equal(all.count, (uint64_t)n);
    rs_spsc_release_to(&rec, all);
    assert_int_equal(rs_load_acquire(&h->rec_tail), (uint64_t)n * 128);
    assert_int_equal(rs_load_relaxed(&h->rec_consumed), (uint64_t)n);
    /* records produced meanwhile are polled in order afterwards */
    while (rs_spsc_poll(&c))
        ;
    rs_spsc_release(&c);
    assert_null(rs_spsc_poll(&c));
    for (int i = 0; i < m; i++) {
        r = rs_spsc_poll(&rec);
        assert_non_null(r);
        assert_int_equal(seq_of(r), (uint64_t)(n + i));
    }
    assert_null(rs_spsc_poll(&rec));
    rs_spsc_release(&rec);
    assert_int_equal(rs_load_relaxed(&h->rec_consumed), (uint64_t)(n + m));
    free(mem);
}

/* A recorder "killed" after releasing up to a point resumes there: the held
 * records are delivered again, nothing before them. */
static void test_recorder_restart_after_partial(void **s)
{
    (void)s;
    void *mem = new_ring(RS_SPSC_F_RECORDER);
    rs_spsc_prod p;
    rs_spsc_cons rec, rec2;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&rec, mem, RS_SPSC_RECORDER);
    uint64_t next = 0;
    for (int i = 0; i < 20; i++)
        assert_int_equal(put(&p, 64, next++), RS_OK);
    rs_spsc_commit(&p);
    rs_spsc_point at7 = {0, 0};
    for (int i = 0; i < 20; i++) {
        assert_non_null(rs_spsc_poll(&rec));
        if (i == 6)
            at7 = rs_spsc_mark(&rec);
    }
    rs_spsc_release_to(&rec, at7);
    /* dies here; a new recorder attaches */
    rs_spsc_cons_init(&rec2, mem, RS_SPSC_RECORDER);
    const void *r = rs_spsc_poll(&rec2);
    assert_non_null(r);
    assert_int_equal(seq_of(r), 7);
    free(mem);
}

/* Points across the wrap: the padding record at the end of the ring is
 * skipped by poll and freed with the record after it. */
static void test_release_to_across_wrap(void **s)
{
    (void)s;
    void *mem = new_ring(RS_SPSC_F_RECORDER);
    rs_spsc_hdr *h = mem;
    rs_spsc_prod p;
    rs_spsc_cons c, rec;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    rs_spsc_cons_init(&rec, mem, RS_SPSC_RECORDER);
    uint64_t next = 0;
    uint64_t want = 0;
    /* 200-byte records (208 padded) never end exactly at the ring's end */
    for (int round = 0; round < 40; round++) {
        int n = 0;
        while (n < 7 && put(&p, 200, next) == RS_OK) {
            next++;
            n++;
        }
        rs_spsc_commit(&p);
        while (rs_spsc_poll(&c))
            ;
        rs_spsc_release(&c);
        rs_spsc_point pts[8];
        int k = 0;
        const void *r;
        while ((r = rs_spsc_poll(&rec))) {
            assert_int_equal(seq_of(r), want++);
            pts[k++] = rs_spsc_mark(&rec);
        }
        assert_int_equal(k, n);
        /* release one point at a time, in order */
        for (int i = 0; i < k; i++) {
            rs_spsc_release_to(&rec, pts[i]);
            assert_int_equal(rs_load_acquire(&h->rec_tail), pts[i].pos);
        }
    }
    assert_true(next * 208 > 2 * CAP);   /* wrapped several times */
    assert_int_equal(rs_load_relaxed(&h->rec_consumed), next);
    free(mem);
}

/* The consumer role accepts points too (published in chunks as with
 * rs_spsc_release; a poll that finds the ring empty publishes). */
static void test_consumer_release_to(void **s)
{
    (void)s;
    void *mem = new_ring(0);
    rs_spsc_hdr *h = mem;
    rs_spsc_prod p;
    rs_spsc_cons c;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    uint64_t next = 0;
    for (int i = 0; i < 8; i++)
        assert_int_equal(put(&p, 64, next++), RS_OK);
    rs_spsc_commit(&p);
    rs_spsc_point at3 = {0, 0};
    for (int i = 0; i < 8; i++) {
        assert_non_null(rs_spsc_poll(&c));
        if (i == 2)
            at3 = rs_spsc_mark(&c);
    }
    rs_spsc_release_to(&c, at3);
    assert_null(rs_spsc_poll(&c));   /* caught up: publishes what was released */
    assert_int_equal(rs_load_acquire(&h->tail), 3 * 64);
    assert_int_equal(rs_load_relaxed(&h->consumed), 3);
    rs_spsc_release(&c);
    assert_null(rs_spsc_poll(&c));
    assert_int_equal(rs_load_acquire(&h->tail), 8 * 64);
    assert_int_equal(rs_load_relaxed(&h->consumed), 8);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recorder_partial_release),
        cmocka_unit_test(test_recorder_restart_after_partial),
        cmocka_unit_test(test_release_to_across_wrap),
        cmocka_unit_test(test_consumer_release_to),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
