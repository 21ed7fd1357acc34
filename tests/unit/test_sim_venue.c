/* The in-process simulated venue: matching, latency, fees, slippage, VWAP,
 * every fault, determinism. */
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/sim_venue.h"
#include "testutil.h"

#define MS 1000000ll
static const double scale2[2] = {100.0, 100.0};   /* px_exp 2 */
static const double scale3[2] = {1000.0, 1000.0}; /* qty_exp 3 */

static void *allocs[64];
static int n_allocs;

static int free_all(void **st)
{
    (void)st;
    while (n_allocs)
        free(allocs[--n_allocs]);
    return 0;
}

static rs_sim *mk(rs_sim_params *p)
{
    p->n_syms = 2;
    p->px_scale = scale2;
    p->qty_scale = scale3;
    void *mem = aligned_alloc(64, (rs_sim_memsize(p) + 63) & ~(size_t)63);
    allocs[n_allocs++] = mem;
    rs_sim *s;
    assert_int_equal(rs_sim_init(mem, p, &s), 0);
    return s;
}

typedef struct evs {
    rs_vevt e[1024];
    int n;
} evs;

static void drain(rs_sim *s, int64_t now, evs *v)
{
    rs_vevt e;
    while (rs_sim_poll(s, now, &e) == RS_OK)
        if (v->n < 1024)
            v->e[v->n++] = e;
}

static int count(const evs *v, uint8_t kind)
{
    int n = 0;
    for (int i = 0; i < v->n; i++)
        n += v->e[i].kind == kind;
    return n;
}

static const rs_vevt *first(const evs *v, uint8_t kind)
{
    for (int i = 0; i < v->n; i++)
        if (v->e[i].kind == kind)
            return &v->e[i];
    return NULL;
}

static rs_vreq place(uint64_t cid, uint8_t side, uint8_t type, int64_t px, int64_t qty, int64_t now)
{
    return (rs_vreq){.kind = RS_VREQ_PLACE, .side = side, .ord_type = type, .sym = 0, .req_id = (uint32_t)cid,
                     .client_id = cid, .px = px, .qty = qty, .ts_ms = now / MS};
}

static void test_market_fill_fees_slippage(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.slippage_bps = 10;
    p.taker_fee_bps = 10;
    rs_sim *s = mk(&p);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995); /* 99.90 / 100.00 */
    rs_vreq r = place(1, RS_SIDE_BUY, RS_ORD_MARKET, 0, 2000, t);
    assert_int_equal(rs_sim_request(s, t, &r), RS_OK);
    evs v = {0};
    drain(s, t + p.lat_ns - 1, &v);
    assert_int_equal(v.n, 0); /* nothing before the latency */
    drain(s, t + 10 * MS, &v);
    const rs_vevt *a = first(&v, RS_VEVT_ACK);
    assert_non_null(a);
    assert_int_equal(a->req_id, 1);
    const rs_vevt *f = first(&v, RS_VEVT_FILL);
    assert_non_null(f);
    assert_true(f->px == 10010); /* ask + 10 bps */
    assert_true(f->qty == 2000);
    assert_int_equal(f->state, RS_OS_FILLED);
    assert_int_equal(f->liquidity, 2);
    /* 100.10 * 2.000 * 10 bps = 0.2002 */
    assert_true(f->fee > 0.20019 && f->fee < 0.20021);
    assert_true(rs_sim_position(s, 0) == 2000);
}

static void test_limit_rests_then_maker_fill_and_vwap(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.maker_fee_bps = 2;
    p.max_instant_qty = 1000;
    p.participation = 0.5;
    rs_sim *s = mk(&p);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995);
    rs_vreq r = place(1, RS_SIDE_BUY, RS_ORD_LIMIT, 9950, 3000, t);
    rs_sim_request(s, t, &r);
    evs v = {0};
    drain(s, t + 5 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 0);
    /* a trade above the limit does nothing; one through it fills 50% of its qty */
    rs_sim_on_trade(s, t + 6 * MS, 0, 9960, 1000, 1);
    rs_sim_on_trade(s, t + 7 * MS, 0, 9950, 1000, 2);
    rs_sim_on_trade(s, t + 8 * MS, 0, 9940, 10000, 3);
    drain(s, t + 20 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 2);
    assert_true(v.e[v.n - 1].cum_qty == 3000);
    for (int i = 0; i < v.n; i++)
        if (v.e[i].kind == RS_VEVT_FILL) {
            assert_true(v.e[i].px == 9950);
            assert_int_equal(v.e[i].liquidity, 1);
        }
    /* a big market sell: 1000 at once, the rest over the tape (VWAP) */
    r = place(2, RS_SIDE_SELL, RS_ORD_MARKET, 0, 4000, t + 30 * MS);
    rs_sim_request(s, t + 30 * MS, &r);
    memset(&v, 0, sizeof v);
    drain(s, t + 40 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 1);
    rs_sim_on_trade(s, t + 41 * MS, 0, 9980, 2000, 4); /* 1000 at 99.80 */
    rs_sim_on_trade(s, t + 42 * MS, 0, 9970, 8000, 5); /* 2000 at 99.70 */
    drain(s, t + 60 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 3);
    int64_t q = 0;
    double notional = 0;
    for (int i = 0; i < v.n; i++)
        if (v.e[i].kind == RS_VEVT_FILL) {
            q += v.e[i].qty;
            notional += (double)v.e[i].px * (double)v.e[i].qty;
        }
    assert_true(q == 4000);
    assert_true(notional / (double)q < 9990.0 && notional / (double)q > 9970.0);
    assert_true(rs_sim_position(s, 0) == 3000 - 4000);
}

/* More live orders than one 64-bit word of the live-slot map, some cancelled,
 * on two symbols, then slots reused: a crossing quote fills exactly the live
 * orders of its symbol, once each, in slot order. */
static void test_many_resting_orders(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.max_orders = 150;
    p.max_events = 4096;
    rs_sim *s = mk(&p);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995);
    rs_sim_on_quote(s, t, 1, 9990, 10000, 9995);
    for (uint64_t cid = 1; cid <= 150; cid++) {
        rs_vreq r = place(cid, RS_SIDE_BUY, RS_ORD_LIMIT, 9950, 1000, t);
        r.sym = cid % 5 == 0 ? 1 : 0;
        assert_int_equal(rs_sim_request(s, t, &r), RS_OK);
    }
    static evs v;
    memset(&v, 0, sizeof v);
    drain(s, t + 10 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_ACK), 2 * 150); /* the answer and the account event */
    for (uint64_t cid = 3; cid <= 150; cid += 3) {
        rs_vreq r = {.kind = RS_VREQ_CANCEL, .sym = cid % 5 == 0 ? 1 : 0, .req_id = (uint32_t)(1000 + cid),
                     .client_id = cid, .ts_ms = (t + 10 * MS) / MS};
        assert_int_equal(rs_sim_request(s, t + 10 * MS, &r), RS_OK);
    }
    int64_t t2 = t + 20 * MS;
    memset(&v, 0, sizeof v);
    drain(s, t2, &v);
    rs_sim_on_quote(s, t2, 0, 9940, 9950, 9945);   /* ask at the limit: sym 0 fills */
    memset(&v, 0, sizeof v);
    drain(s, t2 + 10 * MS, &v);
    uint64_t prev = 0;
    int fills = 0;
    for (int i = 0; i < v.n; i++) {
        if (v.e[i].kind != RS_VEVT_FILL)
            continue;
        assert_true(v.e[i].client_id > prev);   /* slot order = placing order here */
        assert_true(v.e[i].client_id % 3 != 0 && v.e[i].client_id % 5 != 0);
        prev = v.e[i].client_id;
        fills++;
    }
    int want = 0;
    for (uint64_t cid = 1; cid <= 150; cid++)
        want += cid % 3 != 0 && cid % 5 != 0;
    assert_int_equal(fills, want);   /* 80 */
    /* the same quote again fills nothing */
    rs_sim_on_quote(s, t2 + 11 * MS, 0, 9940, 9950, 9945);
    memset(&v, 0, sizeof v);
    drain(s, t2 + 20 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 0);
    /* the table is full: new orders take finished slots; they and the
     * resting sym-1 orders fill on their own symbol's quotes */
    int64_t t3 = t2 + 30 * MS;
    rs_sim_on_quote(s, t3, 0, 9990, 10000, 9995);   /* away again: the new orders rest */
    for (uint64_t cid = 201; cid <= 260; cid++) {
        rs_vreq r = place(cid, RS_SIDE_BUY, RS_ORD_LIMIT, 9950, 1000, t3);
        assert_int_equal(rs_sim_request(s, t3, &r), RS_OK);
    }
    memset(&v, 0, sizeof v);
    drain(s, t3 + 10 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_ACK), 2 * 60);
    assert_int_equal(count(&v, RS_VEVT_FILL), 0);
    rs_sim_on_quote(s, t3 + 11 * MS, 0, 9940, 9950, 9945);
    rs_sim_on_quote(s, t3 + 11 * MS, 1, 9940, 9950, 9945);
    memset(&v, 0, sizeof v);
    drain(s, t3 + 30 * MS, &v);
    int sym1 = 0;
    for (uint64_t cid = 5; cid <= 150; cid += 5)
        sym1 += cid % 3 != 0;
    assert_int_equal(count(&v, RS_VEVT_FILL), 60 + sym1);
}

static void test_ioc_cancel_status_lists(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    rs_sim *s = mk(&p);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995);
    rs_vreq r = place(1, RS_SIDE_BUY, RS_ORD_LIMIT, 9900, 1000, t);
    r.tif = 1; /* IOC, not marketable -> expired */
    rs_sim_request(s, t, &r);
    r = place(2, RS_SIDE_BUY, RS_ORD_LIMIT, 9900, 1000, t);
    rs_sim_request(s, t, &r);
    evs v = {0};
    drain(s, t + 5 * MS, &v);
    int expired = 0;
    for (int i = 0; i < v.n; i++)
        expired += v.e[i].kind == RS_VEVT_STATUS && v.e[i].state == RS_OS_EXPIRED && v.e[i].client_id == 1;
    assert_int_equal(expired, 1);
    rs_vreq q = {.kind = RS_VREQ_OPEN_ORDERS, .sym = 0, .req_id = 50, .ts_ms = t / MS};
    rs_sim_request(s, t + 6 * MS, &q);
    memset(&v, 0, sizeof v);
    drain(s, t + 10 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_STATUS), 1);
    assert_int_equal(first(&v, RS_VEVT_STATUS)->client_id, 2);
    assert_int_equal(first(&v, RS_VEVT_LIST_END)->list_kind, RS_VREQ_OPEN_ORDERS);
    rs_vreq c = {.kind = RS_VREQ_CANCEL, .sym = 0, .req_id = 51, .client_id = 2, .ts_ms = t / MS};
    rs_sim_request(s, t + 11 * MS, &c);
    c.req_id = 52;
    c.client_id = 99;
    rs_sim_request(s, t + 11 * MS, &c);
    rs_vreq sq = {.kind = RS_VREQ_STATUS, .sym = 0, .req_id = 53, .client_id = 98, .ts_ms = t / MS};
    rs_sim_request(s, t + 11 * MS, &sq);
    memset(&v, 0, sizeof v);
    drain(s, t + 20 * MS, &v);
    int cancelled = 0, nf = 0;
    for (int i = 0; i < v.n; i++) {
        cancelled += v.e[i].kind == RS_VEVT_STATUS && v.e[i].state == RS_OS_CANCELLED && v.e[i].req_id == 51;
        nf += v.e[i].kind == RS_VEVT_NOT_FOUND;
    }
    assert_int_equal(cancelled, 1);
    assert_int_equal(nf, 2);
    /* duplicate client id: refused, counted */
    r = place(2, RS_SIDE_BUY, RS_ORD_LIMIT, 9900, 1000, t + 21 * MS);
    rs_sim_request(s, t + 21 * MS, &r);
    memset(&v, 0, sizeof v);
    drain(s, t + 30 * MS, &v);
    assert_int_equal(first(&v, RS_VEVT_REJECT)->code, -2010);
    rs_sim_stats ss;
    rs_sim_get_stats(s, &ss);
    assert_int_equal(ss.duplicate_client_ids, 1);
}

static void run_lat(uint8_t model, uint64_t seed, int64_t *due, int n)
{
    static const int64_t table[3] = {100000, 200000, 900000};
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.lat_model = model;
    p.seed = seed;
    p.lat_min_ns = 100000;
    p.lat_max_ns = 5000000;
    p.lat_table = table;
    p.lat_table_n = 3;
    rs_sim *s = mk(&p);
    rs_vreq r = {.kind = RS_VREQ_TIME};
    for (int i = 0; i < n; i++) {
        r.req_id = (uint32_t)i + 1;
        rs_sim_request(s, 0, &r);
    }
    rs_vevt e;
    for (int64_t t = 0; t < 20 * MS; t += 1000)
        while (rs_sim_poll(s, t, &e) == RS_OK)
            due[e.req_id - 1] = t;
}

static void test_latency_models_deterministic(void **st)
{
    (void)st;
    int64_t a[32], b[32], c[32];
    run_lat(RS_SIM_LAT_UNIFORM, 7, a, 32);
    run_lat(RS_SIM_LAT_UNIFORM, 7, b, 32);
    run_lat(RS_SIM_LAT_UNIFORM, 8, c, 32);
    assert_memory_equal(a, b, sizeof a);
    assert_true(memcmp(a, c, sizeof a) != 0);
    for (int i = 0; i < 32; i++)
        assert_true(a[i] >= 200000 && a[i] <= 10 * MS + 1000);
    run_lat(RS_SIM_LAT_SEQ, 1, a, 3);
    /* measured round trips, in order: request i is answered table[i] after it was sent */
    assert_true(a[0] == 100000 && a[1] == 200000 && a[2] == 900000);
    run_lat(RS_SIM_LAT_CONST, 1, a, 3);
    assert_true(a[0] == 1000000);
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.lat_model = RS_SIM_LAT_TABLE;
    void *mem = malloc(rs_sim_memsize(&p));
    rs_sim *s;
    assert_int_not_equal(rs_sim_init(mem, &p, &s), 0); /* table missing */
    free(mem);
}

static void test_faults(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.faults.http_418 = 1;
    p.faults.http_429 = 1;
    p.faults.http_5xx = 1;
    p.faults.status_unknown = 1;
    p.faults.reject_orders = 1;
    p.faults.drop_fills = 1;
    p.faults.dup_fills = 1;
    p.faults.retry_after_ms = 1500;
    rs_sim *s = mk(&p);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995);
    evs v = {0};
    for (uint64_t i = 1; i <= 7; i++) {
        rs_vreq r = place(i, RS_SIDE_BUY, RS_ORD_MARKET, 0, 1000, t);
        rs_sim_request(s, t, &r);
        t += 10 * MS;
        drain(s, t, &v);
    }
    /* 1: 418, 2: 429, 3: 5xx (placed anyway), 4: -2010, 5: -1007 unknown (placed), 6, 7 ok */
    int seen418 = 0, seen429 = 0, seen5xx = 0, unk = 0, rej = 0, fills = 0, status_fill = 0;
    for (int i = 0; i < v.n; i++) {
        const rs_vevt *e = &v.e[i];
        seen418 += e->kind == RS_VEVT_ERROR && e->http == 418 && e->retry_after_ms == 1500 && e->client_id == 1;
        seen429 += e->kind == RS_VEVT_ERROR && e->http == 429 && e->client_id == 2;
        seen5xx += e->kind == RS_VEVT_ERROR && e->http == 503 && e->client_id == 3;
        unk += e->kind == RS_VEVT_ERROR && e->code == -1007 && e->client_id == 5;
        rej += e->kind == RS_VEVT_REJECT && e->code == -2010 && e->client_id == 4;
        fills += e->kind == RS_VEVT_FILL;
        status_fill += e->kind == RS_VEVT_STATUS && e->state == RS_OS_FILLED;
    }
    print_message("418 %d 429 %d 5xx %d unk %d rej %d\n", seen418, seen429, seen5xx, unk, rej);
    assert_int_equal(seen418 + seen429 + seen5xx + unk + rej, 5);
    /* orders 3,5,6,7 filled: one fill dropped (status instead), one duplicated */
    assert_int_equal(status_fill, 1);
    assert_int_equal(fills, 4);
    assert_true(rs_sim_position(s, 0) == 4000);
    rs_sim_stats ss;
    rs_sim_get_stats(s, &ss);
    assert_int_equal(ss.fills_dropped, 1);
    assert_int_equal(ss.fills_duplicated, 1);
    assert_int_equal(ss.orders_placed, 4);
    /* my-trades reveals all four trades, without client ids */
    rs_vreq q = {.kind = RS_VREQ_MY_TRADES, .sym = 0, .req_id = 99, .ts_ms = t / MS};
    rs_sim_request(s, t, &q);
    memset(&v, 0, sizeof v);
    drain(s, t + 10 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 4);
    assert_int_equal(first(&v, RS_VEVT_FILL)->client_id, 0);
    assert_true(first(&v, RS_VEVT_FILL)->venue_order_id != 0);
}

static void test_clock_skew_and_disconnect(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    p.faults.clock_skew_ms = 10000;
    p.faults.disconnect_at_ns = 2000 * MS;
    p.faults.disconnect_for_ns = 1000 * MS;
    rs_sim *s = mk(&p);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995);
    rs_vreq r = place(1, RS_SIDE_BUY, RS_ORD_MARKET, 0, 1000, t);
    rs_sim_request(s, t, &r);
    rs_vreq tm = {.kind = RS_VREQ_TIME, .req_id = 2};
    rs_sim_request(s, t, &tm);
    evs v = {0};
    drain(s, t + 10 * MS, &v);
    assert_int_equal(first(&v, RS_VEVT_REJECT)->code, -1021);
    assert_true(first(&v, RS_VEVT_TIME)->venue_ms == (t + p.lat_ns) / MS + 10000);
    /* with the skew applied the order goes through */
    r = place(3, RS_SIDE_BUY, RS_ORD_MARKET, 0, 1000, t);
    r.ts_ms += 10000;
    rs_sim_request(s, t + 20 * MS, &r);
    memset(&v, 0, sizeof v);
    drain(s, t + 30 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 1);
    /* an order filled while the stream is down: the fill is lost, not late */
    t = 2100 * MS;
    r = place(4, RS_SIDE_BUY, RS_ORD_MARKET, 0, 1000, t);
    r.ts_ms += 10000;
    rs_sim_request(s, t, &r);
    memset(&v, 0, sizeof v);
    drain(s, 3500 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_STREAM_DOWN), 1);
    assert_int_equal(count(&v, RS_VEVT_STREAM_UP), 1);
    assert_int_equal(count(&v, RS_VEVT_FILL), 0);
    assert_int_equal(count(&v, RS_VEVT_ACK), 1); /* the answer is not on the account stream */
    assert_true(rs_sim_position(s, 0) == 2000);
}

/* venue-sim's control changes one fault at a time through get/modify/set:
 * the other countdowns continue and an unchanged outage is not repeated. */
static void test_faults_get_set_stack(void **st)
{
    (void)st;
    rs_sim_params p;
    rs_sim_params_default(&p);
    rs_sim *s = mk(&p);
    rs_sim_faults f;
    rs_sim_get_faults(s, &f);
    f.drop_fills = 1;
    f.disconnect_at_ns = 2000 * MS;
    f.disconnect_for_ns = 500 * MS;
    rs_sim_set_faults(s, &f);
    rs_sim_get_faults(s, &f);
    f.dup_fills = 1; /* stacked on top: drop_fills and the outage stay */
    rs_sim_set_faults(s, &f);
    int64_t t = 1000 * MS;
    rs_sim_on_quote(s, t, 0, 9990, 10000, 9995);
    for (uint64_t id = 1; id <= 2; id++) {
        rs_vreq r = place(id, RS_SIDE_BUY, RS_ORD_MARKET, 0, 1000, t);
        rs_sim_request(s, t, &r);
    }
    evs v = {0};
    drain(s, 3000 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 2);        /* order 1's fill dropped, order 2's sent twice */
    assert_int_equal(count(&v, RS_VEVT_STREAM_DOWN), 1); /* scheduled once */
    assert_int_equal(count(&v, RS_VEVT_STREAM_UP), 1);
    rs_sim_get_faults(s, &f);
    assert_int_equal(f.drop_fills, 0);
    assert_int_equal(f.dup_fills, 0);
    rs_sim_stats ss;
    rs_sim_get_stats(s, &ss);
    assert_int_equal(ss.fills_dropped, 1);
    assert_int_equal(ss.fills_duplicated, 1);
    /* silent: neither the fill nor a status; only REST (status, my trades) shows it */
    f.drop_fills = 1;
    f.drop_silent = 1;
    rs_sim_set_faults(s, &f);
    t = 4000 * MS;
    rs_vreq r = place(3, RS_SIDE_BUY, RS_ORD_MARKET, 0, 1000, t);
    rs_sim_request(s, t, &r);
    memset(&v, 0, sizeof v);
    drain(s, t + 10 * MS, &v);
    assert_int_equal(count(&v, RS_VEVT_FILL), 0);
    assert_int_equal(count(&v, RS_VEVT_STATUS), 0);
    assert_int_equal(count(&v, RS_VEVT_ACK), 2); /* the answer and the account stream's NEW */
    rs_vreq q = {.kind = RS_VREQ_STATUS, .sym = 0, .req_id = 77, .client_id = 3, .ts_ms = t / MS};
    rs_sim_request(s, t + 10 * MS, &q);
    memset(&v, 0, sizeof v);
    drain(s, t + 20 * MS, &v);
    assert_int_equal(first(&v, RS_VEVT_STATUS)->state, RS_OS_FILLED);
    assert_true(rs_sim_position(s, 0) == 3000);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_market_fill_fees_slippage), cmocka_unit_test(test_limit_rests_then_maker_fill_and_vwap),
        cmocka_unit_test(test_ioc_cancel_status_lists),  cmocka_unit_test(test_latency_models_deterministic),
        cmocka_unit_test(test_faults),                    cmocka_unit_test(test_clock_skew_and_disconnect),
        cmocka_unit_test(test_faults_get_set_stack),      cmocka_unit_test(test_many_resting_orders),
    };
    return cmocka_run_group_tests(t, NULL, free_all);
}
