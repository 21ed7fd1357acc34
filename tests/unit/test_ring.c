/* SPSC ring, single thread: wrap-around, full/empty, record size limits,
 * batching, padding invisibility, recorder gating, crash/restart semantics. */
#include <stdlib.h>
#include <string.h>

#include "ringside/event.h"
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
    if (len >= 16)
        memcpy(r + 8, &seq, 8);
    return RS_OK;
}

static void test_invalid_capacity(void **s)
{
    (void)s;
    assert_int_equal(rs_spsc_memsize(1000), 0);
    assert_int_equal(rs_spsc_memsize(2048), 0);
    assert_true(rs_spsc_memsize(4096) > 4096);
    void *mem = aligned_alloc(64, rs_spsc_memsize(CAP));
    assert_true(rs_spsc_init(mem, 5000, 1, "x", 0) < 0);
    assert_true(strstr(rs_err_msg(), "power of two") != NULL);
    assert_true(rs_spsc_init((uint8_t *)mem + 8, CAP, 1, "x", 0) < 0);
    free(mem);
}

static void test_empty_full(void **s)
{
    (void)s;
    void *mem = new_ring(0);
    rs_spsc_prod p;
    rs_spsc_cons c;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    assert_null(rs_spsc_poll(&c));
    int n = 0;
    while (put(&p, 64, (uint64_t)n) == RS_OK)
        n++;
    assert_int_equal(n, CAP / 64);            /* exactly full */
    assert_null(rs_spsc_poll(&c));            /* nothing committed yet */
    rs_spsc_commit(&p);
    for (int i = 0; i < n; i++) {
        const uint8_t *r = rs_spsc_poll(&c);
        assert_non_null(r);
        uint64_t seq;
        memcpy(&seq, r + 8, 8);
        assert_int_equal(seq, (uint64_t)i);
    }
    assert_null(rs_spsc_poll(&c));
    /* not released: still full */
    assert_int_equal(put(&p, 64, 0), RS_FULL);
    assert_true(((rs_spsc_hdr *)mem)->full_count >= 1);
    rs_spsc_release(&c);
    assert_int_equal(put(&p, 64, 0), RS_OK);
    free(mem);
}

static void test_sizes(void **s)
{
    (void)s;
    void *mem = new_ring(0);
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, mem);
    assert_null(rs_spsc_try_claim(&p, 0));                 /* zero length */
    assert_null(rs_spsc_try_claim(&p, 4));                 /* below header */
    assert_null(rs_spsc_try_claim(&p, CAP / 2 + 1));       /* oversize */
    assert_non_null(rs_spsc_try_claim(&p, rs_spsc_max_record(CAP))); /* max */
    free(mem);
}

/* Pre-touch writes only free space: never a byte of a record a consumer
 * (or the recorder) has not released, one page per call, at most `bytes`
 * ahead of the claim position, and nothing once it has caught up. */
static void test_touch_ahead(void **s)
{
    (void)s;
    enum { BIG = 1u << 15 };
    void *mem = aligned_alloc(64, rs_spsc_memsize(BIG));
    assert_non_null(mem);
    assert_int_equal(rs_spsc_init(mem, BIG, 1, "t", RS_SPSC_F_RECORDER), 0);
    rs_spsc_prod p;
    rs_spsc_cons c, rec;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    rs_spsc_cons_init(&rec, mem, RS_SPSC_RECORDER);
    /* an empty ring: 3 pages for 12 KiB ahead, then nothing */
    int pages = 0;
    while (rs_spsc_touch_ahead(&p, 3 * 4096))
        pages++;
    assert_int_equal(pages, 3);
    assert_int_equal(rs_spsc_touch_ahead(&p, 3 * 4096), 0);
    /* fill the ring: no free space, nothing to touch */
    int n = 0;
    while (put(&p, 256, (uint64_t)n) == RS_OK)
        n++;
    assert_int_equal(n, BIG / 256);
    rs_spsc_commit(&p);
    assert_int_equal(rs_spsc_touch_ahead(&p, BIG), 0);
    /* the consumer frees everything but the recorder has not: still none */
    for (int i = 0; i < n; i++)
        assert_non_null(rs_spsc_poll(&c));
    rs_spsc_release(&c);
    assert_int_equal(rs_spsc_touch_ahead(&p, BIG), 0);
    /* the recorder frees the first half: the touches stay in that half and
     * the second half's records are intact */
    for (int i = 0; i < n / 2; i++)
        assert_non_null(rs_spsc_poll(&rec));
    rs_spsc_release(&rec);
    pages = 0;
    while (rs_spsc_touch_ahead(&p, BIG))
        pages++;
    assert_int_equal(pages, BIG / 2 / 4096);
    for (int i = n / 2; i < n; i++) {
        const uint8_t *r = rs_spsc_poll(&rec);
        assert_non_null(r);
        uint64_t seq;
        memcpy(&seq, r + 8, 8);
        assert_int_equal(seq, (uint64_t)i);
        assert_int_equal(*(const uint32_t *)r, 256);
        for (uint32_t k = 16; k < 256; k++)
            assert_int_equal(r[k], 0);
    }
    free(mem);
}

/* Random sizes through many wraps: every record arrives intact, in order;
 * padding records never surface. */
static void test_wrap_random(void **s)
{
    (void)s;
    void *mem = new_ring(0);
    rs_spsc_prod p;
    rs_spsc_cons c;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    uint64_t sent = 0, got = 0;
    unsigned seed = 12345;
    for (int round = 0; round < 20000; round++) {
        int batch = 1 + rand_r(&seed) % 8;
        for (int b = 0; b < batch; b++) {
            uint32_t len = 16 + (uint32_t)(rand_r(&seed) % (CAP / 2 - 16));
            if (rand_r(&seed) % 4)
                len = 16 + (uint32_t)(rand_r(&seed) % 200);
            if (put(&p, len, sent) == RS_OK)
                sent++;
        }
        rs_spsc_commit(&p);
        int take = rand_r(&seed) % 10;
        const uint8_t *r;
        while (take-- > 0 && (r = rs_spsc_poll(&c))) {
            uint64_t seq;
            memcpy(&seq, r + 8, 8);
            assert_int_equal(seq, got);
            assert_int_equal(*(const uint16_t *)(r + 4), 7);
            got++;
        }
        rs_spsc_release(&c);
    }
    const uint8_t *r;
    while ((r = rs_spsc_poll(&c))) {
        uint64_t seq;
        memcpy(&seq, r + 8, 8);
        assert_int_equal(seq, got++);
    }
    assert_int_equal(got, sent);
    assert_true(sent > 10000);
    assert_int_equal(((rs_spsc_hdr *)mem)->published, sent);
    free(mem);
}

/* The recorder cursor gates reuse: consumer done, recorder not -> full. */
static void test_recorder_gates(void **s)
{
    (void)s;
    void *mem = new_ring(RS_SPSC_F_RECORDER);
    rs_spsc_prod p;
    rs_spsc_cons c, rec;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    int n = 0;
    while (put(&p, 128, (uint64_t)n) == RS_OK)
        n++;
    rs_spsc_commit(&p);
    while (rs_spsc_poll(&c))
        ;
    rs_spsc_release(&c);
    /* recorder expected (created with F_RECORDER) but not attached yet:
     * nothing may be overwritten */
    assert_int_equal(put(&p, 128, 0), RS_FULL);
    rs_spsc_cons_init(&rec, mem, RS_SPSC_RECORDER);
    int seen = 0;
    const uint8_t *r;
    while ((r = rs_spsc_poll(&rec))) {
        uint64_t seq;
        memcpy(&seq, r + 8, 8);
        assert_int_equal(seq, (uint64_t)seen++);
    }
    assert_int_equal(seen, n);   /* recorder saw every record from the start */
    assert_int_equal(put(&p, 128, 0), RS_FULL);
    rs_spsc_release(&rec);
    assert_int_equal(put(&p, 128, 0), RS_OK);
    /* detach: producer stops waiting */
    rs_spsc_commit(&p);
    rs_spsc_recorder_detach(&rec);
    while (rs_spsc_poll(&c))
        ;
    rs_spsc_release(&c);
    assert_null(rs_spsc_poll(&c));   /* caught up: publishes the released tail */
    int m = 0;
    while (put(&p, 128, 0) == RS_OK)
        m++;
    assert_int_equal(m, n);      /* whole ring free again */
    free(mem);
}

/* A recorder started by hand on an ungated ring begins at the oldest record
 * the consumer has not released. */
static void test_recorder_late_attach(void **s)
{
    (void)s;
    void *mem = new_ring(0);
    rs_spsc_prod p;
    rs_spsc_cons c, rec;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    for (int i = 0; i < 10; i++)
        assert_int_equal(put(&p, 64, (uint64_t)i), RS_OK);
    rs_spsc_commit(&p);
    for (int i = 0; i < 4; i++)
        assert_non_null(rs_spsc_poll(&c));
    rs_spsc_release(&c);
    rs_spsc_cons_init(&rec, mem, RS_SPSC_RECORDER);
    const uint8_t *r = rs_spsc_poll(&rec);
    assert_non_null(r);
    uint64_t seq;
    memcpy(&seq, r + 8, 8);
    assert_int_equal(seq, 4);
    free(mem);
}

/* Producer killed mid-claim: nothing visible; a restarted producer resumes
 * at the committed head. Consumer restarted: resumes at the released tail. */
static void test_crash_restart(void **s)
{
    (void)s;
    void *mem = new_ring(0);
    rs_spsc_prod p, p2;
    rs_spsc_cons c, c2;
    rs_spsc_prod_init(&p, mem);
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    assert_int_equal(put(&p, 64, 1), RS_OK);
    rs_spsc_commit(&p);
    uint8_t *half = rs_spsc_try_claim(&p, 64);   /* "dies" here */
    assert_non_null(half);
    memset(half, 0xAB, 64);
    rs_spsc_prod_init(&p2, mem);                  /* restarted producer */
    assert_int_equal(put(&p2, 64, 2), RS_OK);
    rs_spsc_commit(&p2);
    const uint8_t *r;
    uint64_t seq;
    r = rs_spsc_poll(&c);
    memcpy(&seq, r + 8, 8);
    assert_int_equal(seq, 1);
    rs_spsc_release(&c);
    r = rs_spsc_poll(&c);                         /* polled, not released */
    memcpy(&seq, r + 8, 8);
    assert_int_equal(seq, 2);
    rs_spsc_cons_init(&c2, mem, RS_SPSC_CONSUMER); /* consumer restarted */
    r = rs_spsc_poll(&c2);
    memcpy(&seq, r + 8, 8);
    /* resumes at the published tail: record 1's release (64 bytes, under the
     * capacity/16 publication chunk) was not published yet, so it comes again */
    assert_int_equal(seq, 1);
    r = rs_spsc_poll(&c2);
    memcpy(&seq, r + 8, 8);
    assert_int_equal(seq, 2);
    rs_spsc_release(&c2);
    assert_null(rs_spsc_poll(&c2));               /* empty: publishes */
    assert_int_equal(rs_load_acquire(&((rs_spsc_hdr *)mem)->tail), 128);
    rs_spsc_cons c3;
    rs_spsc_cons_init(&c3, mem, RS_SPSC_CONSUMER); /* restarted again */
    assert_null(rs_spsc_poll(&c3));               /* nothing re-delivered */
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_invalid_capacity), cmocka_unit_test(test_empty_full),
        cmocka_unit_test(test_sizes),            cmocka_unit_test(test_wrap_random),
        cmocka_unit_test(test_recorder_gates),   cmocka_unit_test(test_recorder_late_attach),
        cmocka_unit_test(test_crash_restart),    cmocka_unit_test(test_touch_ahead),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
