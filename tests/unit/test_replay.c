/* Replay verification: a pipeline run through the real runtime (threads,
 * rings, step records) verifies with zero divergences from its recorded
 * streams; a changed stage parameter diverges at the first affected record. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringside/replay.h"
#include "ringside/runtime.h"
#include "testutil.h"

typedef struct { uint64_t left, n; } src_ctx;
static int src_poll(void *ctx, rs_emit *emit, int64_t now)
{
    (void)now;
    src_ctx *s = ctx;
    int k = 0;
    while (s->left && k < 8) {
        rs_ev_timer *t = (rs_ev_timer *)rs_emit_claim(emit, RS_EV_TIMER, sizeof(rs_ev_timer));
        if (!t)
            break;
        t->tick = ++s->n;
        t->h.ts = (int64_t)s->n * 1000;
        rs_emit_commit(emit, &t->h);
        s->left--;
        k++;
    }
    return k;
}

typedef struct { int64_t mult; } a_state;
/* feed-like: timer -> trade on md, mark on mark (dup mark_x) */
static int stage_a(void *st, const rs_rec *in, rs_emit *out)
{
    a_state *a = st;
    const rs_ev_timer *t = (const rs_ev_timer *)in;
    rs_ev_trade *tr = (rs_ev_trade *)rs_emit_claim(out, RS_EV_TRADE, sizeof(rs_ev_trade));
    tr->h.ts = in->ts;
    tr->px = (int64_t)t->tick * a->mult;
    tr->trade_id = t->tick;
    rs_emit_commit(out, &tr->h);
    if (t->tick % 3 == 0) {
        rs_ev_mark *m = (rs_ev_mark *)rs_emit_claim(out, RS_EV_MARK, sizeof(rs_ev_mark));
        m->h.ts = in->ts;
        m->last_px = tr->px;
        rs_emit_commit(out, &m->h);
    }
    return RS_OK;
}

typedef struct { uint64_t acc; } b_state;
/* gate-like, two inputs: running sum, emits a risk record every 5th input;
 * its output depends on the interleaving */
static int stage_b(void *st, const rs_rec *in, rs_emit *out)
{
    b_state *b = st;
    if (in->type == RS_EV_TRADE)
        b->acc = b->acc * 3 + (uint64_t)((const rs_ev_trade *)in)->px;
    else
        b->acc = b->acc * 7 - (uint64_t)((const rs_ev_mark *)in)->last_px;
    if ((in->seq % 5) == 0) {
        rs_ev_risk *r = (rs_ev_risk *)rs_emit_claim(out, RS_EV_RISK, sizeof(rs_ev_risk));
        r->h.ts = in->ts;
        r->value = (double)(b->acc % 1000003);
        rs_emit_commit(out, &r->h);
    }
    return RS_OK;
}

static void defs(rs_stage_def *st, a_state *a, b_state *b)
{
    memset(st, 0, 2 * sizeof *st);
    st[0].id = RS_SID_FEED;
    st[0].state = a;
    st[0].on_event = stage_a;
    st[0].inputs[0] = RS_STREAM_RAW;
    st[0].n_inputs = 1;
    st[0].out = RS_STREAM_MD;
    st[0].route[RS_EV_MARK] = RS_STREAM_MARK;
    st[0].dup[RS_EV_MARK][0] = RS_STREAM_MARK_X;
    st[1].id = RS_SID_GATE;
    st[1].state = b;
    st[1].on_event = stage_b;
    st[1].inputs[0] = RS_STREAM_MD;
    st[1].inputs[1] = RS_STREAM_MARK;
    st[1].n_inputs = 2;
    st[1].out = RS_STREAM_INTENT;
}

/* read a ring from position 0 (nothing wrapped: rings are large) */
static size_t collect(rs_engine *e, uint16_t stream, const rs_rec **out, size_t n)
{
    void *mem = rs_region_ring(rs_engine_region(e), stream);
    rs_spsc_cons c;
    rs_spsc_cons_init(&c, mem, RS_SPSC_CONSUMER);
    c.pos = 0;
    c.head_cache = 0;
    const rs_rec *r;
    while ((r = rs_spsc_poll(&c)))
        out[n++] = r;
    return n;
}

static const rs_rec *recs[200000];

static void test_verify(void **s)
{
    (void)s;
    char inst[64];
    snprintf(inst, sizeof inst, "test-replay-%d", (int)getpid());
    static src_ctx src = {20000, 0};
    static a_state a = {7};
    static b_state b;
    rs_engine_def d;
    memset(&d, 0, sizeof d);
    d.instance = inst;
    uint16_t streams[] = {RS_STREAM_RAW, RS_STREAM_MD, RS_STREAM_MARK, RS_STREAM_MARK_X, RS_STREAM_INTENT};
    for (unsigned i = 0; i < 5; i++)
        d.ring_capacity[streams[i]] = 1u << 23;
    d.sources[0] = (rs_source_def){"timer", &src, src_poll, RS_STREAM_RAW};
    d.n_sources = 1;
    defs(d.stages, &a, &b);
    d.n_stages = 2;
    d.threads[0] = (rs_thread_def){.name = "io", .cpu = -1, .idle = RS_IDLE_BACKOFF, .spin_iters = 50,
                                   .max_sleep_us = 500, .stages = {0}, .n_stages = 1, .sources = {0}, .n_sources = 1};
    d.threads[1] = (rs_thread_def){.name = "strat", .cpu = -1, .idle = RS_IDLE_BACKOFF, .spin_iters = 50,
                                   .max_sleep_us = 500, .stages = {1}, .n_stages = 1};
    d.n_threads = 2;
    rs_engine *e;
    assert_int_equal(rs_engine_create(&e, &d), 0);
    assert_int_equal(rs_engine_start(e), 0);
    for (int i = 0; i < 5000 && rs_engine_stage_events(e, RS_SID_GATE) < 20000 + 20000 / 3; i++) {
        struct timespec t = {0, 1000000};
        nanosleep(&t, NULL);
    }
    rs_engine_stop(e);
    size_t n = 0;
    for (unsigned i = 0; i < 5; i++)
        n = collect(e, streams[i], recs, n);
    rs_replay_set set = {recs, n};

    static rs_replay_report rep;
    static a_state a2 = {7};
    static b_state b2;
    rs_stage_def st[2];
    defs(st, &a2, &b2);
    assert_int_equal(rs_replay_verify(&set, st, 2, &rep), 0);
    printf("compared %llu records, %llu inputs, %llu divergences\n", (unsigned long long)rep.compared,
           (unsigned long long)rep.inputs, (unsigned long long)rep.divergences);
    rs_replay_print_divergence(stdout, &set, &rep, 3);
    assert_int_equal(rep.divergences, 0);
    assert_true(rep.compared > 20000);

    /* a changed "model": the feed multiplier -> first divergence in feed */
    static a_state a3 = {8};
    static b_state b3;
    defs(st, &a3, &b3);
    assert_int_equal(rs_replay_verify(&set, st, 2, &rep), 0);
    assert_true(rep.divergences > 0);
    assert_int_equal(rep.first_stage, RS_SID_FEED);
    assert_non_null(rep.first_input);
    assert_int_equal(rep.first_input->seq, 1);
    rs_replay_print_divergence(stdout, &set, &rep, 3);
    rs_engine_destroy(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_verify)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
