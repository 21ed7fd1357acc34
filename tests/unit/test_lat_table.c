/* Measured venue latencies (lat_table.h) and the simulated venue's table /
 * sequence models that draw from them (sim_venue.h): measuring from a
 * journal, refusing what cannot be measured, the text form, deterministic
 * empirical draws, sequence order, fills on arrival, no allocation per draw. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/config.h"
#include "ringside/event.h"
#include "ringside/journal.h"
#include "ringside/lat_table.h"
#include "ringside/mem.h"
#include "ringside/sim_venue.h"
#include "testutil.h"

#define MS 1000000ll
#define US 1000ll

/* journal_int.h (core-private): header CRC, to forge another schema */
uint32_t rs_jseg_hdr_crc(const void *hdr, uint32_t hdr_len);

static char tmpdir[256];

static int setup(void **st)
{
    (void)st;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rs_lat.XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* ---- a small journal of orders and exec reports ----------------------------- */

typedef struct jw {
    rs_journal_writer *w;
    uint64_t seq;
} jw;

static void jw_open(jw *j, const char *dir)
{
    static const char cfg[] = "instance: t\n";
    static rs_journal_blob blobs[1];
    blobs[0] = (rs_journal_blob){RS_JBLOB_CONFIG, "t.yml", cfg, sizeof cfg - 1};
    rs_journal_opts o;
    memset(&o, 0, sizeof o);
    o.dir = dir;
    o.instance = "unit";
    o.blobs = blobs;
    o.n_blobs = 1;
    o.io = RS_JIO_WRITE;
    j->seq = 0;
    assert_int_equal(rs_journal_writer_create(&j->w, &o), 0);
}

static void jw_close(jw *j)
{
    assert_int_equal(rs_journal_writer_close(j->w), 0);
    rs_journal_writer_destroy(j->w);
}

static void order(jw *j, uint64_t cid, int64_t ts, uint8_t ord_type, uint8_t kind)
{
    rs_ev_order o;
    memset(&o, 0, sizeof o);
    o.h = (rs_rec){.len = sizeof o, .type = RS_EV_ORDER, .stream = RS_STREAM_EXEC, .seq = ++j->seq, .ts = ts,
                   .ts_local = ts + 17};
    o.client_id = cid;
    o.ord_type = ord_type;
    o.kind = kind;
    o.side = RS_SIDE_BUY;
    o.qty = 1000;
    assert_int_equal(rs_journal_append(j->w, &o.h), 0);
}

static void report(jw *j, uint64_t cid, int64_t ts, uint8_t state, uint8_t fill, int32_t rej)
{
    rs_ev_exec_report r;
    memset(&r, 0, sizeof r);
    r.h = (rs_rec){.len = sizeof r, .type = RS_EV_EXEC_REPORT, .stream = RS_STREAM_EXEC, .seq = ++j->seq, .ts = ts};
    r.client_id = cid;
    r.state = state;
    r.is_fill = fill;
    r.reject_code = rej;
    assert_int_equal(rs_journal_append(j->w, &r.h), 0);
}

/* The exec stage's pattern: pending-new before the order record; then the
 * venue's answers. */
static void write_session(const char *dir)
{
    jw j;
    jw_open(&j, dir);
    int64_t t = 1000 * MS;
    /* 1: market, acked after 300 us, filled after 450 us */
    report(&j, 1, t, RS_OS_PENDING_NEW, 0, 0);
    order(&j, 1, t, RS_ORD_MARKET, RS_INT_NEW);
    report(&j, 1, t + 300 * US, RS_OS_ACKED, 0, 0);
    report(&j, 1, t + 450 * US, RS_OS_FILLED, 1, 0);
    /* 2: rejected by the exec stage itself (no venue time) */
    report(&j, 2, t + MS, RS_OS_REJECTED, 0, -10002);
    /* 3: limit, acked after 1 ms; filled 5 s later by the market (not a latency) */
    order(&j, 3, t + 2 * MS, RS_ORD_LIMIT, RS_INT_NEW);
    report(&j, 3, t + 3 * MS, RS_OS_ACKED, 0, 0);
    /* 4: times out -> unknown, resolved later: no usable answer */
    order(&j, 4, t + 4 * MS, RS_ORD_MARKET, RS_INT_NEW);
    report(&j, 4, t + 2004 * MS, RS_OS_UNKNOWN, 0, 0);
    report(&j, 4, t + 2300 * MS, RS_OS_FILLED, 1, 0);
    report(&j, 3, t + 5000 * MS, RS_OS_FILLED, 1, 0);
    /* 5: market, rejected by the venue after 2 ms (an answer: counts) */
    order(&j, 5, t + 6000 * MS, RS_ORD_MARKET, RS_INT_NEW);
    report(&j, 5, t + 6002 * MS, RS_OS_REJECTED, 0, -2010);
    /* 6: a cancel and a query of order 3 are not placements */
    order(&j, 3, t + 6100 * MS, RS_ORD_LIMIT, RS_INT_CANCEL);
    order(&j, 6, t + 6200 * MS, 0, RS_INT_QUERY);
    /* 7: market, answered by its fill (no separate ack) after 700 us; re-sent
     * with the same client id later: the first send starts the clock */
    order(&j, 7, t + 7000 * MS, RS_ORD_MARKET, RS_INT_NEW);
    order(&j, 7, t + 7000 * MS + 500 * US, RS_ORD_MARKET, RS_INT_NEW);
    report(&j, 7, t + 7000 * MS + 700 * US, RS_OS_FILLED, 1, 0);
    /* 8: never answered (journal ends) */
    order(&j, 8, t + 8000 * MS, RS_ORD_MARKET, RS_INT_NEW);
    jw_close(&j);
}

static void test_measure(void **st)
{
    (void)st;
    char dir[300];
    snprintf(dir, sizeof dir, "%s/sess", tmpdir);
    write_session(dir);
    rs_lat_table *t;
    assert_int_equal(rs_lat_table_measure(&t, dir, RS_LAT_TABLE), 0);
    assert_int_equal(t->n, 4);
    static const int64_t ack[4] = {300 * US, 1 * MS, 2 * MS, 700 * US};
    static const int64_t fill[4] = {450 * US, -1, -1, 700 * US};
    assert_memory_equal(t->ack_ns, ack, sizeof ack);
    assert_memory_equal(t->fill_ns, fill, sizeof fill);
    assert_int_equal(t->n_fill, 2);
    assert_int_equal(t->orders, 6);      /* 1 3 4 5 7 8 (2 never reached the wire) */
    assert_int_equal(t->unanswered, 2);  /* 4 (unknown) and 8 */
    assert_int_equal(t->model, RS_LAT_TABLE);
    /* nearest rank over 300us 700us 1ms 2ms */
    assert_int_equal(t->ack_min_ns, 300 * US);
    assert_int_equal(t->ack_p50_ns, 700 * US);
    assert_int_equal(t->ack_p99_ns, 2 * MS);
    assert_int_equal(t->ack_max_ns, 2 * MS);
    assert_int_equal(t->fill_p50_ns, 450 * US);
    assert_int_equal(t->fill_p99_ns, 700 * US);
    assert_string_equal(t->source, dir);
    char line[512];
    rs_lat_table_describe(t, line, sizeof line);
    assert_non_null(strstr(line, "table, 4 samples from "));
    assert_non_null(strstr(line, "ack p50 0.700 ms, p99 2.000 ms"));
    rs_lat_table_destroy(t);
}

static void expect_measure_fail(const char *dir, int code, const char *what)
{
    rs_lat_table *t = (rs_lat_table *)1;
    int rc = rs_lat_table_measure(&t, dir, RS_LAT_SEQUENCE);
    if (rc != -code || t != NULL || !strstr(rs_err_msg(), dir) || !strstr(rs_err_msg(), what))
        fail_msg("measure %s: rc %d (want %d), msg '%s' (want '%s')", dir, rc, -code, rs_err_msg(), what);
}

static void test_measure_refusals(void **st)
{
    (void)st;
    char dir[300], path[400];
    /* missing */
    snprintf(dir, sizeof dir, "%s/nope", tmpdir);
    rs_lat_table *t;
    assert_true(rs_lat_table_measure(&t, dir, RS_LAT_TABLE) < 0);
    assert_non_null(strstr(rs_err_msg(), "latency journal"));
    assert_non_null(strstr(rs_err_msg(), dir));
    /* no orders at all / no order with an answer */
    snprintf(dir, sizeof dir, "%s/quiet", tmpdir);
    jw j;
    jw_open(&j, dir);
    order(&j, 9, 5 * MS, RS_ORD_MARKET, RS_INT_NEW);
    report(&j, 9, 2005 * MS, RS_OS_UNKNOWN, 0, 0);
    report(&j, 10, 6 * MS, RS_OS_REJECTED, 0, -10001);
    jw_close(&j);
    expect_measure_fail(dir, ENODATA, "no measurable order latencies (1 orders placed");
    /* a bad model */
    snprintf(dir, sizeof dir, "%s/sess", tmpdir);
    assert_int_equal(rs_lat_table_measure(&t, dir, RS_LAT_UNIFORM), -EINVAL);
    /* corrupt: a flipped byte inside a frame of the good journal */
    snprintf(dir, sizeof dir, "%s/corrupt", tmpdir);
    write_session(dir);
    snprintf(path, sizeof path, "%s/seg-000001.rsj", dir);
    size_t n;
    uint8_t *b = (uint8_t *)rs_test_read_file(path, &n);
    assert_non_null(b);
    const rs_jseg_hdr *h = (const rs_jseg_hdr *)b;
    size_t at = h->hdr_len + 3 * (RS_JFRAME_HDR + 88) + 60;   /* inside the 4th frame's payload */
    assert_true(at < n);
    b[at] ^= 0x55;
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
    expect_measure_fail(dir, RS_ECORRUPT, "corrupt");
    /* another record schema (header re-sealed with its CRC) */
    snprintf(dir, sizeof dir, "%s/schema", tmpdir);
    write_session(dir);
    snprintf(path, sizeof path, "%s/seg-000001.rsj", dir);
    free(b);
    b = (uint8_t *)rs_test_read_file(path, &n);
    rs_jseg_hdr *hw = (rs_jseg_hdr *)b;
    hw->schema_hash ^= 1;
    hw->hdr_crc = rs_jseg_hdr_crc(hw, hw->hdr_len);
    f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fwrite(b, 1, n, f), n);
    fclose(f);
    free(b);
    expect_measure_fail(dir, RS_EVERSION, "schema");
}

static void test_create_and_text(void **st)
{
    (void)st;
    rs_lat_table *t = (rs_lat_table *)1;
    static const int64_t a[5] = {5 * MS, 1 * MS, 3 * MS, 2 * MS, 4 * MS};
    static const int64_t f[5] = {-1, 2 * MS, -1, -1, 6 * MS};
    static const int64_t neg[2] = {1, -5};
    assert_int_equal(rs_lat_table_create(&t, a, NULL, 0, RS_LAT_TABLE, "x"), -EINVAL);
    assert_null(t);
    assert_int_equal(rs_lat_table_create(&t, neg, NULL, 2, RS_LAT_TABLE, "x"), -EINVAL);
    assert_non_null(strstr(rs_err_msg(), "sample 1"));
    assert_int_equal(rs_lat_table_create(&t, a, neg, 2, RS_LAT_TABLE, "x"), -EINVAL);
    assert_int_equal(rs_lat_table_create(&t, a, NULL, 5, RS_LAT_CONSTANT, "x"), -EINVAL);
    assert_int_equal(rs_lat_table_create(&t, a, f, 5, RS_LAT_SEQUENCE, "hand"), 0);
    assert_int_equal(t->ack_p50_ns, 3 * MS);
    assert_int_equal(t->ack_p99_ns, 5 * MS);
    assert_int_equal(t->n_fill, 2);
    /* text round trip */
    char *txt;
    size_t len;
    assert_int_equal(rs_lat_table_to_text(t, &txt, &len), 0);
    assert_int_equal(strlen(txt), len);
    assert_non_null(strstr(txt, "ringside-latency-table 1\nmodel sequence\nsource hand\nsamples 5\n5000000 -1\n"));
    rs_lat_table *u;
    assert_int_equal(rs_lat_table_parse(&u, "blob", txt, len), 0);
    assert_int_equal(u->n, 5);
    assert_int_equal(u->model, RS_LAT_SEQUENCE);
    assert_memory_equal(u->ack_ns, a, sizeof a);
    assert_memory_equal(u->fill_ns, f, sizeof f);
    assert_string_equal(u->source, "hand");
    assert_int_equal(u->ack_p50_ns, t->ack_p50_ns);
    rs_lat_table_destroy(u);
    /* bad text: never a crash, the line named */
    static const struct {
        const char *txt, *msg;
    } bad[] = {
        {"", "blob:1: not a ringside latency table"},
        {"ringside-latency-table 2\n", "blob:1:"},
        {"ringside-latency-table 1\nmodel uniform\n", "blob:2: expected 'model table'"},
        {"ringside-latency-table 1\nmodel table\nsrc x\n", "blob:3: expected 'source"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 0\n", "blob:4: expected 'samples N'"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 2\n5 -1\n", "blob:6: expected 'ACK_NS FILL_NS'"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 1\n-5 -1\n", "blob:5:"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 1\n5 -2\n", "blob:5:"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 1\n5 x\n", "blob:5:"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 1\n5 1\n6 1\n", "blob:6: more lines"},
        {"ringside-latency-table 1\nmodel table\nsource x\nsamples 99999999999\n", "blob:4:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t bl = strlen(bad[i].txt);
        uint8_t *g = rs_guard_copy(bad[i].txt, bl);   /* no read past the end */
        u = (rs_lat_table *)1;
        int rc = rs_lat_table_parse(&u, "blob", g, bl);
        rs_guard_free(g, bl);
        if (rc != -RS_ECORRUPT || u || !strstr(rs_err_msg(), bad[i].msg))
            fail_msg("bad text %zu: rc %d, msg '%s', want '%s'", i, rc, rs_err_msg(), bad[i].msg);
    }
    rs_mem_free(txt);
    rs_lat_table_destroy(t);
}

/* ---- the simulated venue drawing from a table ------------------------------- */

static const double scale2[2] = {100.0, 100.0};
static const double scale3[2] = {1000.0, 1000.0};

static rs_sim *mk(rs_sim_params *p, void **mem)
{
    p->n_syms = 2;
    p->px_scale = scale2;
    p->qty_scale = scale3;
    p->max_events = 16384;
    *mem = aligned_alloc(64, (rs_sim_memsize(p) + 63) & ~(size_t)63);
    rs_sim *s;
    assert_int_equal(rs_sim_init(*mem, p, &s), 0);
    return s;
}

/* Place n market orders at 10 ms steps (a TIME request between them, so
 * other traffic is interleaved); ack[i] / fill[i] = when the i-th order's
 * answer / first fill came out, relative to its send time (the poll is at
 * 1 us resolution: the venue's due times are whole microseconds here). */
static void run_orders(rs_sim *s, int n, int64_t *ack, int64_t *fill)
{
    int64_t t0 = 1000 * MS, step = 10 * MS;
    rs_sim_on_quote(s, t0, 0, 9990, 10000, 9995);
    for (int i = 0; i < n; i++) {
        ack[i] = fill[i] = -1;
        int64_t t = t0 + i * step;
        rs_vreq r = {.kind = RS_VREQ_PLACE, .side = RS_SIDE_BUY, .ord_type = RS_ORD_MARKET, .req_id = (uint32_t)i + 1,
                     .client_id = (uint64_t)i + 1, .qty = 1000, .ts_ms = t / MS};
        assert_int_equal(rs_sim_request(s, t, &r), RS_OK);
        rs_vreq q = {.kind = RS_VREQ_TIME, .req_id = 1000000u + (uint32_t)i};
        assert_int_equal(rs_sim_request(s, t, &q), RS_OK);
        rs_vevt e;
        for (int64_t now = t; now < t + step; now += US)
            while (rs_sim_poll(s, now, &e) == RS_OK) {
                if (e.client_id != (uint64_t)i + 1)
                    continue;
                if (e.req_id == (uint32_t)i + 1 && ack[i] < 0)
                    ack[i] = now - t;
                if (e.kind == RS_VEVT_FILL && fill[i] < 0)
                    fill[i] = now - t;
            }
    }
}

static void test_sim_sequence(void **st)
{
    (void)st;
    static const int64_t a[3] = {300 * US, 1 * MS, 2 * MS};
    static const int64_t f[3] = {450 * US, -1, 5 * MS};
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.lat_model = RS_SIM_LAT_SEQ;
    p.lat_table = a;
    p.lat_fill_table = f;
    p.lat_table_n = 3;
    void *mem;
    rs_sim *s = mk(&p, &mem);
    int64_t ack[7], fill[7];
    run_orders(s, 7, ack, fill);
    for (int i = 0; i < 7; i++) {
        /* the i-th order gets the i-th measured round trip, cycling, whatever
         * other requests went in between */
        assert_int_equal(ack[i], a[i % 3]);
        /* a fill on arrival: the measured order -> fill, else with the answer */
        assert_int_equal(fill[i], f[i % 3] >= 0 ? f[i % 3] : a[i % 3]);
    }
    free(mem);
}

static void test_sim_table_draws(void **st)
{
    (void)st;
    static const int64_t a[4] = {100 * US, 200 * US, 400 * US, 3 * MS};
    enum { N = 400 };
    static int64_t ack1[N], ack2[N], ack3[N], fill[N];
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.lat_model = RS_SIM_LAT_TABLE;
    p.lat_table = a;
    p.lat_table_n = 4;
    p.seed = 42;
    void *m1, *m2, *m3;
    run_orders(mk(&p, &m1), N, ack1, fill);
    run_orders(mk(&p, &m2), N, ack2, fill);
    p.seed = 43;
    run_orders(mk(&p, &m3), N, ack3, fill);
    free(m1), free(m2), free(m3);
    /* same seed, same inputs: the same latencies; another seed: others */
    assert_memory_equal(ack1, ack2, sizeof ack1);
    assert_true(memcmp(ack1, ack3, sizeof ack1) != 0);
    /* every answer is one of the measured round trips, and each is drawn
     * about equally often (the empirical distribution; deterministic for
     * this seed, the bounds are loose) */
    int hits[4] = {0};
    for (int i = 0; i < N; i++) {
        int k = 0;
        while (k < 4 && a[k] != ack1[i])
            k++;
        assert_true(k < 4);
        hits[k]++;
    }
    for (int k = 0; k < 4; k++)
        assert_true(hits[k] > N / 4 / 2 && hits[k] < N / 4 * 2);
}

static void test_sim_no_alloc_per_draw(void **st)
{
    (void)st;
    static const int64_t a[3] = {300 * US, 1 * MS, 2 * MS};
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.lat_model = RS_SIM_LAT_TABLE;
    p.lat_table = a;
    p.lat_table_n = 3;
    void *mem;
    rs_sim *s = mk(&p, &mem);
    int64_t ack[64], fill[64];
    uint64_t before = rs_mem_thread_allocated();
    run_orders(s, 64, ack, fill);
    uint64_t after = rs_mem_thread_allocated();
    if (before != UINT64_MAX)   /* UINT64_MAX under sanitizers: not measurable there */
        assert_int_equal(after, before);
    free(mem);
    /* the sim refuses a table model without samples, or with a negative one */
    static const int64_t bad[2] = {5, -1};
    p.lat_table = NULL;
    rs_sim *s2;
    mem = aligned_alloc(64, (rs_sim_memsize(&p) + 63) & ~(size_t)63);
    assert_int_not_equal(rs_sim_init(mem, &p, &s2), 0);
    p.lat_table = bad;
    p.lat_table_n = 2;
    assert_int_not_equal(rs_sim_init(mem, &p, &s2), 0);
    free(mem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_measure),         cmocka_unit_test(test_measure_refusals),
        cmocka_unit_test(test_create_and_text), cmocka_unit_test(test_sim_sequence),
        cmocka_unit_test(test_sim_table_draws), cmocka_unit_test(test_sim_no_alloc_per_draw),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
