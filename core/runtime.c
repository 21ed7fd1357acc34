/* The engine runtime (see ringside/runtime.h).
 *
 * Why a headroom check instead of "retry on RS_FULL": a handler may emit
 * several records for one input; if the third claim failed after two were
 * committed, a retry would publish the first two twice. So the runtime only
 * calls a handler when each of its output rings has room for a burst
 * (RS_STAGE_HEADROOM); a claim failing inside a handler is then a sizing bug
 * and stops the engine loudly instead of corrupting the stream.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ringside/cpu_place.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/origin.h"
#include "ringside/runtime.h"
#include "ringside/runtime_counters.h"
#include "ringside/tsc.h"

#define RS_STAGE_HEADROOM (RS_REC_MAX)
static_assert(RS_LAT_T2O < RS_REGION_MAX_STAGES, "tick-to-order has a stage_lat slot");
#define RS_BATCH 64

static const char *const stage_names[RS_SID_MAX] = {"feed", "features", "model", "gate", "exec"};
const char *rs_stage_name(unsigned id) { return id < RS_SID_MAX ? stage_names[id] : "?"; }

/* ---- local clock for ts_local and latency ---------------------------------
 * Each engine thread re-anchors the TSC to CLOCK_REALTIME once per loop, so a
 * stamp costs one rdtsc and never drifts from the kernel's receive stamps by
 * more than one loop's worth of TSC calibration error. */
static _Thread_local int64_t tl_ns0;
static _Thread_local uint64_t tl_tsc0;
static _Thread_local double tl_ns_per_tick;

static inline void local_clock_anchor(int64_t now_ns)
{
    if (tl_ns_per_tick == 0)
        tl_ns_per_tick = 1.0 / rs_tsc_ghz();
    tl_ns0 = now_ns;
    tl_tsc0 = rs_rdtsc();
}

static inline int64_t local_now(void)
{
    if (RS_UNLIKELY(tl_ns0 == 0))
        return rs_now_ns();   /* not an engine thread (supervisor): read the clock */
    return tl_ns0 + (int64_t)((double)(rs_rdtsc() - tl_tsc0) * tl_ns_per_tick);
}

/* ---- ring-backed emitter -------------------------------------------------- */

static rs_rec *ring_emit_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    rs_ring_emit *re = (rs_ring_emit *)e;
    if (RS_UNLIKELY(len < sizeof(rs_rec)))
        return NULL;
    rs_rec *r = rs_spsc_try_claim(re->p, len);
    if (RS_UNLIKELY(!r))
        return NULL;
    /* Zero the whole record, padding included: a handler that leaves a pad
     * byte unset must not leak ring garbage into the journal (replay would
     * see different bytes). */
    memset(r, 0, rs_rec_padded(len));
    r->len = len;
    r->type = type;
    r->stream = re->stream;
    return r;
}

static void ring_emit_commit(rs_emit *e, rs_rec *r)
{
    rs_ring_emit *re = (rs_ring_emit *)e;
    r->seq = ++re->seq;
    /* Local stamp: not stage logic (the handler never sees it) and replay
     * ignores it. */
    r->ts_local = local_now();
}

void rs_ring_emit_init(rs_ring_emit *re, rs_spsc_prod *p, uint16_t stream, uint64_t first_seq)
{
    memset(re, 0, sizeof *re);
    re->e.claim = ring_emit_claim;
    re->e.commit = ring_emit_commit;
    re->e.ctx = re;
    re->p = p;
    re->stream = stream;
    re->seq = first_seq ? first_seq - 1 : 0;
    re->ns_per_tick = 1.0 / rs_tsc_ghz();
    re->tsc0 = rs_rdtsc();
    re->ns0 = rs_now_ns();
}

/* ---- per-stage routing emitter -------------------------------------------- */

typedef struct route_emit {
    rs_emit e;
    const rs_stage_def *def;
    rs_region_hdr *hdr;        /* monitoring tables (publish_rec) */
    struct pub_state *pub;
    rs_ring_emit *streams;     /* engine's emitters, indexed by stream */
    rs_rec *last;              /* last claimed record */
    uint16_t last_stream;
    uint64_t failed;           /* claims that failed (sizing bug) */
    uint32_t emitted;          /* records committed since the runtime last published */
    uint16_t outs[RS_STREAM_MAX]; /* every stream the stage can write (route, dups) */
    uint16_t n_outs;
    /* live tick-to-order (origin.h): the origin of the input being handled,
     * the side tables of the engine's streams, and (exec stage only) the
     * histogram of order ts_local - origin */
    int64_t origin;
    rs_origin_tab *otab;       /* indexed by stream; .ent NULL: no table */
    rs_hist *t2o;
} route_emit;

static rs_rec *route_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    route_emit *re = (route_emit *)e;
    uint16_t s = type < RS_EV_TYPE_MAX && re->def->route[type] ? re->def->route[type] : re->def->out;
    rs_rec *r = rs_emit_claim(&re->streams[s].e, type, len);
    if (RS_UNLIKELY(!r))
        re->failed++;
    re->last = r;
    re->last_stream = s;
    return r;
}

/* ---- monitoring: what `ringside top` shows, published from the records a
 * stage commits, on the stage's own thread. Each value has one writer (a
 * record type is produced by one stage; a circuit id by one stage), so a
 * relaxed load + store is enough and nothing here locks or calls the
 * kernel. Engine-side running totals live in pub_state (same thread). */

typedef struct pub_state {
    double pnl[RS_REGION_MAX_SYMS], fees[RS_REGION_MAX_SYMS], gross[RS_REGION_MAX_SYMS];
    uint64_t open_mask;
    uint64_t circ_mask;
} pub_state;

static inline void cnt_add(rs_region_hdr *h, unsigned c, uint64_t v)
{
    rs_store_relaxed(&h->counters[c], rs_load_relaxed(&h->counters[c]) + v);
}

static void publish_rec(route_emit *re, const rs_rec *r)
{
    rs_region_hdr *h = re->hdr;
    switch (r->type) {
    case RS_EV_PREDICTION: cnt_add(h, RS_CNT_PREDICTIONS, 1); break;
    case RS_EV_DECISION: cnt_add(h, RS_CNT_DECISIONS, 1); break;
    case RS_EV_INTENT: cnt_add(h, RS_CNT_INTENTS, 1); break;
    case RS_EV_ORDER: cnt_add(h, RS_CNT_ORDERS, 1); break;
    case RS_EV_EXEC_REPORT: {
        const rs_ev_exec_report *x = (const rs_ev_exec_report *)r;
        if (x->is_fill)
            cnt_add(h, RS_CNT_FILLS, 1);
        if (x->state == RS_OS_REJECTED)
            cnt_add(h, RS_CNT_REJECTS, 1);
        break;
    }
    case RS_EV_POSITION: {
        const rs_ev_position *p = (const rs_ev_position *)r;
        if (p->sym >= RS_REGION_MAX_SYMS)
            break;
        rs_region_pos *d = &h->pos[p->sym];
        rs_store_relaxed(&d->qty, p->qty);
        rs_region_f64_store(&d->avg_px, p->avg_px);
        rs_region_f64_store(&d->mark_px, p->mark_px);
        rs_region_f64_store(&d->realized, p->realized);
        rs_region_f64_store(&d->unrealized, p->unrealized);
        rs_region_f64_store(&d->fees, p->fees);
        rs_store_relaxed(&d->ts, r->ts);
        rs_store_relaxed(&d->updates, rs_load_relaxed(&d->updates) + 1);
        pub_state *ps = re->pub;
        ps->pnl[p->sym] = p->realized + p->unrealized;
        ps->fees[p->sym] = p->fees;
        double units = (double)p->qty;
        for (uint32_t k = 0; k < d->qty_exp && k < 18; k++)
            units /= 10.0;
        ps->gross[p->sym] = fabs(units * p->mark_px);
        if (p->qty)
            ps->open_mask |= 1ull << p->sym;
        else
            ps->open_mask &= ~(1ull << p->sym);
        double pnl = 0, fees = 0, gross = 0;
        for (unsigned i = 0; i < RS_REGION_MAX_SYMS; i++) {
            pnl += ps->pnl[i];
            fees += ps->fees[i];
            gross += ps->gross[i];
        }
        rs_store_relaxed(&h->counters[RS_CNT_GROSS_MICRO], (uint64_t)(int64_t)llround(gross * 1e6));
        rs_store_relaxed(&h->counters[RS_CNT_PNL_MICRO], (uint64_t)(int64_t)llround(pnl * 1e6));
        rs_store_relaxed(&h->counters[RS_CNT_FEES_MICRO], (uint64_t)(int64_t)llround(fees * 1e6));
        rs_store_relaxed(&h->counters[RS_CNT_POSITIONS], (uint64_t)__builtin_popcountll(ps->open_mask));
        break;
    }
    case RS_EV_RISK: {
        const rs_ev_risk *k = (const rs_ev_risk *)r;
        int slot = rs_region_circuit_slot(k->circuit);
        if (slot < 0)
            break;
        rs_region_circuit *c = &h->circuits[slot];
        bool trip = k->action == 1 || k->action == 2 || k->action == 3 || k->action == 5;
        rs_store_relaxed(&c->action, (uint32_t)k->action);
        rs_store_relaxed(&c->sym, (uint32_t)k->sym);
        rs_store_relaxed(&c->events, rs_load_relaxed(&c->events) + 1);
        if (trip)
            rs_store_relaxed(&c->trips, rs_load_relaxed(&c->trips) + 1);
        rs_region_f64_store(&c->value, k->value);
        rs_region_f64_store(&c->limit, k->limit);
        rs_store_relaxed(&c->ts, r->ts);
        if (slot < 32) {   /* the gate's circuits: engine-wide mask and trip count */
            pub_state *ps = re->pub;
            if (trip) {
                ps->circ_mask |= 1ull << slot;
                cnt_add(h, RS_CNT_RISK_TRIPS, 1);
            } else if (k->action == 4) {
                ps->circ_mask &= ~(1ull << slot);
            }
            rs_store_relaxed(&h->counters[RS_CNT_CIRCUITS], ps->circ_mask);
        }
        break;
    }
    default: break;
    }
}

/* Carry the causal origin of what a stage commits (outside stage logic:
 * the handler never sees it, no record changes). A decoded trade is a new
 * origin -- its own ts_local -- and whatever the feed commits after it for
 * the same frame (its mark) inherits it; every other record inherits the
 * origin of the input being handled. An order placed by the exec stage with
 * an origin is one tick-to-order sample, on the exec thread. */
static inline void origin_tag(route_emit *re, uint16_t stream, const rs_rec *r)
{
    if (r->type == RS_EV_TRADE && re->def->id == RS_SID_FEED)
        re->origin = r->ts_local;
    int64_t o = re->origin;
    if (!o)
        return;
    if (re->otab[stream].ent)
        rs_origin_put(&re->otab[stream], r->seq, o);
    if (re->t2o && r->type == RS_EV_ORDER && ((const rs_ev_order *)r)->kind == RS_INT_NEW)
        rs_hist_add(re->t2o, r->ts_local > o ? (uint64_t)(r->ts_local - o) : 0);
}

static void route_commit(rs_emit *e, rs_rec *r)
{
    route_emit *re = (route_emit *)e;
    uint16_t s = re->last == r ? re->last_stream : re->def->out;
    rs_emit_commit(&re->streams[s].e, r);
    origin_tag(re, s, r);
    re->emitted++;
    if (re->hdr)
        publish_rec(re, r);
    if (r->type >= RS_EV_TYPE_MAX)
        return;
    for (int k = 0; k < 2; k++) {
        uint16_t d = re->def->dup[r->type][k];
        if (!d)
            break;
        rs_rec *c = rs_emit_claim(&re->streams[d].e, r->type, r->len);
        if (RS_UNLIKELY(!c)) {
            re->failed++;
            return;
        }
        memcpy((uint8_t *)c + sizeof(rs_rec), (const uint8_t *)r + sizeof(rs_rec), r->len - sizeof(rs_rec));
        c->ts = r->ts;
        rs_emit_commit(&re->streams[d].e, c);
        origin_tag(re, d, c);
    }
}

/* ---- engine --------------------------------------------------------------- */

typedef struct thread_rt {
    rs_engine *e;
    const rs_thread_def *def;
    unsigned index;
    pthread_t th;
    int cpu;                   /* resolved at start (-1: not pinned) */
    bool started;
    char err[256];
    atomic_bool failed;
} thread_rt;

struct rs_engine {
    rs_engine_def def;
    rs_region region;
    rs_spsc_prod prod[RS_STREAM_MAX];
    rs_spsc_cons cons[RS_STREAM_MAX];
    rs_ring_emit emit[RS_STREAM_MAX];
    route_emit route[RS_SID_MAX];
    thread_rt threads[RS_MAX_THREADS];
    rs_atomic_u64 stage_events[RS_SID_MAX]; /* written by the owning thread */
    rs_hist *lat[RS_SID_MAX];              /* written by the owning thread */
    rs_hist *t2o;                          /* tick-to-order: written by the exec thread */
    rs_origin_tab otab[RS_STREAM_MAX];     /* causal origins of stage outputs (origin.h) */
    uint16_t cur_in[RS_SID_MAX];           /* input a multi-input stage is on */
    uint64_t last_seq[RS_SID_MAX];         /* last record it consumed from it */
    pub_state pub[RS_SID_MAX];             /* written by the owning thread */
    double ns_per_tick;
    uint64_t tsc0;
    int64_t ns0;
    atomic_bool no_sources;                /* stop pulling new input */
    atomic_bool stop;                      /* leave the loop */
    atomic_uint running;
};

rs_region *rs_engine_region(rs_engine *e) { return &e->region; }

static int origin_tables_create(rs_engine *e);
static int stream_used(const rs_engine_def *d, uint16_t s) { return s < RS_STREAM_MAX && d->ring_capacity[s]; }

int rs_engine_create(rs_engine **out, const rs_engine_def *def)
{
    *out = NULL;
    rs_engine *e = rs_mem_alloc(sizeof *e, RS_CACHELINE, "engine");
    if (!e)
        return -ENOMEM;
    e->def = *def;
    e->region.fd = -1;
    /* validate the wiring before creating anything */
    for (unsigned i = 0; i < def->n_stages; i++) {
        const rs_stage_def *s = &def->stages[i];
        if (!s->on_event || !stream_used(def, s->out)) {
            rs_mem_free(e);
            return rs_err_set(EINVAL, "stage %s: no handler or output stream %u has no ring", rs_stage_name(s->id),
                              s->out);
        }
        for (unsigned k = 0; k < s->n_inputs; k++)
            if (!stream_used(def, s->inputs[k])) {
                rs_mem_free(e);
                return rs_err_set(EINVAL, "stage %s: input stream %s has no ring", rs_stage_name(s->id),
                                  rs_stream_name(s->inputs[k]));
            }
    }
    rs_region_ring_spec specs[RS_STREAM_MAX];
    unsigned n = 0;
    for (uint16_t s = 1; s < RS_STREAM_MAX; s++) {
        if (!def->ring_capacity[s])
            continue;
        specs[n].name = rs_stream_name(s);
        specs[n].stream = s;
        specs[n].capacity = def->ring_capacity[s];
        specs[n].flags = def->recorder ? RS_SPSC_F_RECORDER : 0;
        n++;
    }
    e->region.hdr_schema_expect = def->schema_hash;
    int rc = rs_region_create(&e->region, def->instance, specs, n);
    if (rc) {
        rs_mem_free(e);
        return rc;
    }
    for (uint16_t s = 1; s < RS_STREAM_MAX; s++) {
        void *mem = rs_region_ring(&e->region, s);
        if (!mem)
            continue;
        rs_spsc_prod_init(&e->prod[s], mem);
        rs_spsc_cons_init(&e->cons[s], mem, RS_SPSC_CONSUMER);
        rs_ring_emit_init(&e->emit[s], &e->prod[s], s, 1);
    }
    e->ns_per_tick = 1.0 / rs_tsc_ghz();
    e->tsc0 = rs_rdtsc();
    e->ns0 = rs_now_ns();
    for (unsigned i = 0; i < def->n_stages; i++) {
        e->lat[i] = rs_mem_alloc(sizeof(rs_hist), 64, "stage latency histogram");
        if (!e->lat[i]) {
            rs_engine_destroy(e);
            return -ENOMEM;
        }
        rs_hist_init(e->lat[i]);
        route_emit *re = &e->route[i];
        re->e.claim = route_claim;
        re->e.commit = route_commit;
        re->e.ctx = re;
        re->def = &e->def.stages[i];
        re->streams = e->emit;
        re->hdr = e->region.hdr;
        re->pub = &e->pub[i];
        const rs_stage_def *sd = &e->def.stages[i];
        bool seen[RS_STREAM_MAX] = {false};
        seen[sd->out] = true;
        re->outs[re->n_outs++] = sd->out;
        for (unsigned t = 0; t < RS_EV_TYPE_MAX; t++) {
            uint16_t c[3] = {sd->route[t], sd->dup[t][0], sd->dup[t][1]};
            for (int k = 0; k < 3; k++)
                if (c[k] && c[k] < RS_STREAM_MAX && !seen[c[k]]) {
                    seen[c[k]] = true;
                    re->outs[re->n_outs++] = c[k];
                }
        }
        re->otab = e->otab;
    }
    if (origin_tables_create(e) != 0) {
        rs_engine_destroy(e);
        return -ENOMEM;
    }
    /* instrument names for the position table, before any thread runs */
    rs_region_hdr *h = e->region.hdr;
    h->n_syms = def->n_syms < RS_REGION_MAX_SYMS ? def->n_syms : RS_REGION_MAX_SYMS;
    for (unsigned i = 0; i < h->n_syms; i++)
    {
        snprintf(h->pos[i].symbol, sizeof h->pos[i].symbol, "%s", def->sym_names[i]);
        h->pos[i].qty_exp = def->sym_qty_exp[i];
    }
    for (unsigned i = 0; i < RS_REGION_MAX_THREADS; i++)
        rs_store_relaxed(&h->threads[i].cpu, -1);
    *out = e;
    return 0;
}

/* Causal-origin side tables (origin.h) for every stream a stage produces
 * and another stage consumes, and the tick-to-order histogram of the exec
 * stage. Control path: allocated and pre-faulted here, before any thread. */
static int origin_tables_create(rs_engine *e)
{
    bool consumed[RS_STREAM_MAX] = {false};
    for (unsigned i = 0; i < e->def.n_stages; i++)
        for (unsigned k = 0; k < e->def.stages[i].n_inputs; k++)
            consumed[e->def.stages[i].inputs[k]] = true;
    for (unsigned i = 0; i < e->def.n_stages; i++) {
        route_emit *re = &e->route[i];
        for (unsigned k = 0; k < re->n_outs; k++) {
            uint16_t s = re->outs[k];
            if (!consumed[s] || e->otab[s].ent || !e->def.ring_capacity[s])
                continue;
            size_t n = rs_origin_tab_memsize(e->def.ring_capacity[s]);
            void *mem = rs_mem_alloc(n, 64, "tick-to-order origin table");
            if (!mem)
                return -ENOMEM;
            rs_origin_tab_init(&e->otab[s], mem, e->def.ring_capacity[s]);
        }
        if (e->def.stages[i].id == RS_SID_EXEC && !e->t2o) {
            e->t2o = rs_mem_alloc(sizeof(rs_hist), 64, "tick-to-order histogram");
            if (!e->t2o)
                return -ENOMEM;
            rs_hist_init(e->t2o);
            re->t2o = e->t2o;
        }
    }
    return 0;
}

/* Room on every output ring of a stage for one handler call. It runs
 * before every input a stage takes (and on every idle poll), so it walks
 * the stage's distinct output streams (route_emit.outs, built at create:
 * the default stream, the routes and the duplicates) instead of the
 * 64-entry route and dup tables: a few instructions per stream instead of
 * ~700 per call (callgrind, docs/benchmarks.md "e2e"). */
static bool stage_has_room(rs_engine *e, const route_emit *re)
{
    for (unsigned k = 0; k < re->n_outs; k++)
        if (!rs_spsc_has_room(&e->prod[re->outs[k]], RS_STAGE_HEADROOM))
            return false;
    return true;
}

/* Publish what a stage committed: one release store per output ring. */
static void commit_outputs(rs_engine *e, unsigned si)
{
    route_emit *re = &e->route[si];
    for (unsigned k = 0; k < re->n_outs; k++)
        rs_spsc_commit(&e->prod[re->outs[k]]);
    re->emitted = 0;
}

static int emit_step(rs_engine *e, unsigned si, uint16_t in, uint64_t first_seq, int64_t ts)
{
    const rs_stage_def *s = &e->def.stages[si];
    rs_ev_step *st = (rs_ev_step *)rs_emit_claim(&e->emit[s->out].e, RS_EV_STEP, sizeof(rs_ev_step));
    if (!st)
        return -1;
    st->h.ts = ts;
    st->stage = s->id;
    st->in_stream = in;
    st->prev_stream = e->cur_in[si];
    st->first_seq = first_seq;
    st->prev_last_seq = e->cur_in[si] ? e->last_seq[si] : 0;
    rs_emit_commit(&e->emit[s->out].e, &st->h);
    e->route[si].emitted++;   /* published with the stage's next outputs */
    e->cur_in[si] = in;
    return 0;
}

/* One pass over a stage's inputs. Returns records handled, or -1 on error. */
static int run_stage(rs_engine *e, unsigned si, char *err, size_t errn)
{
    const rs_stage_def *s = &e->def.stages[si];
    route_emit *re = &e->route[si];
    int done = 0;
    for (unsigned k = 0; k < s->n_inputs; k++) {
        rs_spsc_cons *c = &e->cons[s->inputs[k]];
        int n = 0;
        while (n < RS_BATCH) {
            if (!stage_has_room(e, re))
                break;               /* back-pressure: downstream is full */
            const rs_rec *r = rs_spsc_poll(c);
            if (!r)
                break;
            if (s->n_inputs > 1 && e->cur_in[si] != s->inputs[k]) {
                /* consumption order for replay: a step record whenever the
                 * stage switches input (published with the outputs after it) */
                if (emit_step(e, si, s->inputs[k], r->seq, r->ts) != 0) {
                    snprintf(err, errn, "stage %s: no room for a step record", rs_stage_name(s->id));
                    return -1;
                }
            }
            re->origin = r->stream < RS_STREAM_MAX && e->otab[r->stream].ent
                             ? rs_origin_get(&e->otab[r->stream], r->seq)
                             : 0;
            int rc = s->on_event(s->state, r, &re->e);
            e->last_seq[si] = r->seq;
            if (r->ts_local) {
                /* handling latency: published (or received) -> handled */
                int64_t now = local_now();
                rs_hist_add(e->lat[si], now > r->ts_local ? (uint64_t)(now - r->ts_local) : 0);
            }
            if (RS_UNLIKELY(rc == RS_FULL || re->failed)) {
                snprintf(err, errn, "stage %s: an output record did not fit (ring too small for a burst)",
                         rs_stage_name(s->id));
                return -1;
            }
            /* Publish right after a handler that produced output, not at the
             * end of the batch: a bar close fans out to one record per
             * symbol in each later stage, and holding the first symbol's
             * prediction or order until the whole burst is handled put
             * several us on every hop of tick-to-order (bench e2e). Inputs
             * that produce nothing (most trades, marks) cost nothing extra. */
            if (re->emitted)
                commit_outputs(e, si);
            n++;
        }
        if (n) {
            if (re->emitted)
                commit_outputs(e, si);
            rs_spsc_release(c);
            done += n;
        }
    }
    if (done) /* single writer: a relaxed load+store is enough */
        rs_store_relaxed(&e->stage_events[si], rs_load_relaxed(&e->stage_events[si]) + (uint64_t)done);
    return done;
}

static void idle_wait(const rs_thread_def *d, uint32_t *idle)
{
    uint32_t n = ++*idle;
    if (d->idle == RS_IDLE_SPIN || n < d->spin_iters) {
        rs_cpu_relax();
        return;
    }
    if (d->idle == RS_IDLE_SPIN_YIELD || n < d->spin_iters + 100) {
        sched_yield();
        return;
    }
    /* back-off: min_sleep_us (engine.threads[].backoff_min_us) doubling up
     * to max_sleep_us */
    uint32_t k = n - d->spin_iters - 100;
    uint64_t us = (uint64_t)(d->min_sleep_us ? d->min_sleep_us : 1) << (k > 20 ? 20 : k);
    if (us > d->max_sleep_us)
        us = d->max_sleep_us;
    struct timespec ts = {0, (long)us * 1000};
    nanosleep(&ts, NULL);
}

static void lat_store(rs_region_stage_lat *o, const rs_hist *l, uint64_t *p50, uint64_t *p99)
{
    *p50 = rs_hist_pct(l, 50);
    *p99 = rs_hist_pct(l, 99);
    rs_store_relaxed(&o->count, l->count);
    rs_store_relaxed(&o->p50_ns, *p50);
    rs_store_relaxed(&o->p99_ns, *p99);
    rs_store_relaxed(&o->p999_ns, rs_hist_pct(l, 99.9));
    rs_store_relaxed(&o->max_ns, l->max);
}

/* Percentiles of this thread's stages into the region (a few us of work,
 * 5 times a second; single writer per stage). */
static void publish_latency(rs_engine *e, const rs_thread_def *d)
{
    rs_region_hdr *h = e->region.hdr;
    for (unsigned i = 0; i < d->n_stages; i++) {
        unsigned si = d->stages[i];
        unsigned id = e->def.stages[si].id;
        const rs_hist *l = e->lat[si];
        if (id >= RS_REGION_MAX_STAGES || !l->count)
            continue;
        uint64_t p50, p99;
        lat_store(&h->stage_lat[id], l, &p50, &p99);
        if (id < 5) {
            rs_store_relaxed(&h->counters[RS_CNT_STAGE_P50_NS + id], p50);
            rs_store_relaxed(&h->counters[RS_CNT_STAGE_P99_NS + id], p99);
        }
        if (id == RS_SID_EXEC && e->t2o && e->t2o->count) {
            uint64_t t50, t99;
            lat_store(&h->stage_lat[RS_LAT_T2O], e->t2o, &t50, &t99);
            rs_store_relaxed(&h->counters[RS_CNT_T2O_P50_NS], t50);
            rs_store_relaxed(&h->counters[RS_CNT_T2O_P99_NS], t99);
            rs_store_relaxed(&h->counters[RS_CNT_T2O_COUNT], e->t2o->count);
        }
    }
}

static void *thread_main(void *arg)
{
    thread_rt *t = arg;
    rs_engine *e = t->e;
    const rs_thread_def *d = t->def;
    rs_region_thread *rt = &e->region.hdr->threads[t->index];
    snprintf(rt->name, sizeof rt->name, "%s", d->name);
    rs_store_relaxed(&rt->tid, (int32_t)syscall(SYS_gettid));
    rs_store_relaxed(&rt->state, 1u);
    pthread_setname_np(pthread_self(), d->name);
    if (t->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(t->cpu, &set);
        if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0)
            rs_warn("runtime", "thread %s: cannot pin to cpu %d", d->name, t->cpu);
        else
            rs_store_relaxed(&rt->cpu, (int32_t)t->cpu);
    }
    uint32_t idle = 0;
    uint64_t loops = 0, events = 0;
    int64_t lat_pub = 0;
    uint16_t touch[RS_STREAM_MAX];
    unsigned n_touch = 0, touch_rr = 0;
    for (unsigned i = 0; i < d->n_sources; i++)
        touch[n_touch++] = e->def.sources[d->sources[i]].out;
    for (unsigned i = 0; i < d->n_stages; i++) {
        const route_emit *re = &e->route[d->stages[i]];
        for (unsigned k = 0; k < re->n_outs && n_touch < RS_STREAM_MAX; k++)
            touch[n_touch++] = re->outs[k];
    }
    while (!atomic_load_explicit(&e->stop, memory_order_acquire)) { /* partner: rs_engine_stop's release */
        int work = 0;
        int64_t now = rs_now_ns();
        local_clock_anchor(now);
        if (!atomic_load_explicit(&e->no_sources, memory_order_relaxed)) {
            for (unsigned i = 0; i < d->n_sources; i++) {
                rs_source_def *src = &e->def.sources[d->sources[i]];
                int n = src->poll(src->ctx, &e->emit[src->out].e, now);
                if (n < 0) {
                    snprintf(t->err, sizeof t->err, "source %s: %s", src->name, rs_err_msg());
                    goto fail;
                }
                rs_spsc_commit(&e->prod[src->out]);
                work += n;
            }
        }
        for (unsigned i = 0; i < d->n_stages; i++) {
            int n = run_stage(e, d->stages[i], t->err, sizeof t->err);
            if (n < 0)
                goto fail;
            work += n;
            events += (uint64_t)n;
        }
        loops++;
        if ((loops & 63) == 0 || !work) {
            rs_store_relaxed(&rt->heartbeat_ns, (uint64_t)now);
            rs_store_relaxed(&rt->loops, loops);
            rs_store_relaxed(&rt->events, events);
            if (now - lat_pub >= 200000000ll) {
                lat_pub = now;
                publish_latency(e, d);
            }
        }
        if (work) {
            idle = 0;
        } else {
            for (unsigned j = 0; d->pretouch_bytes && j < n_touch; j++) {
                unsigned k = (touch_rr + j) % n_touch;
                if (rs_spsc_touch_ahead(&e->prod[touch[k]], d->pretouch_bytes)) {
                    touch_rr = k + 1;
                    break;
                }
            }
            idle_wait(d, &idle);
        }
    }
    rs_store_relaxed(&rt->events, events);
    publish_latency(e, d);
    rs_store_relaxed(&rt->state, 2u);
    atomic_fetch_sub(&e->running, 1);
    return NULL;
fail:
    rs_error("runtime", "thread %s stopped: %s", d->name, t->err);
    atomic_store(&t->failed, true);
    rs_store_relaxed(&rt->state, 3u);
    atomic_fetch_sub(&e->running, 1);
    return NULL;
}

static int lock_memory(int mode)
{
    if (mode == RS_MLOCK_OFF)
        return 0;
    if (mlockall(MCL_CURRENT | MCL_FUTURE) == 0) {
        rs_info("runtime", "mlockall: every page of the engine is locked in memory");
        return 0;
    }
    int err = errno;
    struct rlimit rl;
    char lim[64] = "unknown";
    if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0) {
        if (rl.rlim_cur == RLIM_INFINITY)
            snprintf(lim, sizeof lim, "unlimited");
        else
            snprintf(lim, sizeof lim, "%llu KiB", (unsigned long long)rl.rlim_cur / 1024);
    }
    const char *why = err == ENOMEM || err == EPERM
                          ? "raise RLIMIT_MEMLOCK (`ulimit -l unlimited`, LimitMEMLOCK=infinity in a systemd unit, "
                            "memlock in limits.conf) or grant CAP_IPC_LOCK"
                          : "see mlockall(2)";
    if (mode == RS_MLOCK_REQUIRED)
        return rs_err_set(err, "engine.mlockall: required, but mlockall(MCL_CURRENT|MCL_FUTURE) failed: %s "
                               "(RLIMIT_MEMLOCK %s): %s",
                          strerror(err), lim, why);
    rs_warn("runtime", "engine.mlockall: mlockall(MCL_CURRENT|MCL_FUTURE) failed: %s (RLIMIT_MEMLOCK %s); running "
                       "with pageable memory (pages were pre-faulted). To fix: %s; `mlockall: required` makes this "
                       "fatal",
            strerror(err), lim, why);
    return 0;
}

/* Resolve every thread's CPU (auto placement) and say where each runs. */
static void place_threads(rs_engine *e)
{
    unsigned n = e->def.n_threads < RS_CPU_MAX_REQ ? e->def.n_threads : RS_CPU_MAX_REQ;
    rs_cpu_req req[RS_CPU_MAX_REQ];
    bool any = false;
    for (unsigned i = 0; i < n; i++) {
        const rs_thread_def *d = &e->def.threads[i];
        req[i] = (rs_cpu_req){d->name, d->cpu, d->idle == RS_IDLE_SPIN};
        e->threads[i].cpu = d->cpu >= 0 ? d->cpu : -1;
        any |= d->cpu != RS_CPU_NONE || d->idle == RS_IDLE_SPIN;
    }
    if (!any)
        return;   /* nothing pinned, nothing spinning: the scheduler decides */
    rs_cpu_topo *topo = rs_mem_alloc(sizeof *topo, 64, "cpu topology");
    rs_cpu_plan plan;
    if (!topo || rs_cpu_topo_load(topo, NULL) != 0) {
        rs_warn("runtime", "cpu placement: %s; `cpu: auto` threads stay unpinned",
                topo ? rs_err_msg() : "out of memory");
        rs_mem_free(topo);
        return;
    }
    rs_cpu_place(topo, req, n, &plan);
    char buf[2048];
    rs_cpu_plan_format(topo, req, n, &plan, buf, sizeof buf);
    char *save = NULL;
    for (char *line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, "WARNING") || strstr(line, "NOT AVAILABLE"))
            rs_warn("runtime", "%s", line);
        else
            rs_info("runtime", "%s", line);
    }
    rs_info("runtime", "topology: %u packages, %u cores, %u hardware threads usable", topo->n_pkg, topo->n_core,
            topo->n_pu);
    for (unsigned i = 0; i < n; i++)
        e->threads[i].cpu = plan.cpu[i];
    rs_mem_free(topo);
}

int rs_engine_thread_cpu(rs_engine *e, unsigned thread)
{
    return thread < e->def.n_threads ? e->threads[thread].cpu : -1;
}

int rs_engine_start(rs_engine *e)
{
    int rc = lock_memory(e->def.mlockall);
    if (rc)
        return rc;
    place_threads(e);
    for (unsigned i = 0; i < e->def.n_threads; i++) {
        thread_rt *t = &e->threads[i];
        t->e = e;
        t->def = &e->def.threads[i];
        t->index = i;
        atomic_fetch_add(&e->running, 1);
        int rc = pthread_create(&t->th, NULL, thread_main, t);
        if (rc) {
            atomic_fetch_sub(&e->running, 1);
            rs_engine_stop(e);
            return rs_err_set(rc, "cannot start thread %s: %s", t->def->name, strerror(rc));
        }
        t->started = true;
    }
    return 0;
}

uint64_t rs_engine_recorder_lag(rs_engine *e)
{
    uint64_t lag = 0;
    for (uint16_t s = 1; s < RS_STREAM_MAX; s++) {
        rs_spsc_hdr *h = rs_region_ring(&e->region, s);
        if (h && rs_load_relaxed(&h->rec_state) != RS_SPSC_REC_NONE)
            lag += rs_load_relaxed(&h->published) - rs_load_relaxed(&h->rec_consumed);
    }
    return lag;
}

bool rs_engine_idle(rs_engine *e)
{
    for (uint16_t s = 1; s < RS_STREAM_MAX; s++) {
        void *mem = rs_region_ring(&e->region, s);
        if (mem && rs_spsc_depth(mem) > 0)
            return false;
    }
    return true;
}

void rs_engine_stop(rs_engine *e)
{
    /* Stop pulling input, let the pipeline drain (every ring empty twice in a
     * row, 10 ms apart, or 5 s), then stop the threads. */
    atomic_store(&e->no_sources, true);
    int calm = 0;
    for (int i = 0; i < 500 && calm < 2; i++) {
        struct timespec d = {0, 10 * 1000 * 1000};
        nanosleep(&d, NULL);
        bool any_alive = atomic_load(&e->running) > 0;
        calm = (!any_alive || rs_engine_idle(e)) ? calm + 1 : 0;
    }
    atomic_store_explicit(&e->stop, true, memory_order_release); /* partner: thread_main's acquire */
    bool joined = false;
    for (unsigned i = 0; i < e->def.n_threads; i++)
        if (e->threads[i].started) {
            pthread_join(e->threads[i].th, NULL);
            e->threads[i].started = false;
            joined = true;
        }
    /* The threads are gone, so this thread may produce on their streams:
     * close every multi-input stage's last run, so replay knows exactly where
     * its input ended. */
    for (unsigned si = 0; joined && si < e->def.n_stages; si++) {
        const rs_stage_def *s = &e->def.stages[si];
        if (s->n_inputs > 1 && e->cur_in[si]) {
            int64_t ts = 0;
            if (emit_step(e, si, 0, 0, ts) == 0)
                rs_spsc_commit(&e->prod[s->out]);
        }
    }
}

bool rs_engine_healthy(rs_engine *e, const char **why)
{
    for (unsigned i = 0; i < e->def.n_threads; i++)
        if (atomic_load(&e->threads[i].failed)) {
            if (why)
                *why = e->threads[i].err;
            return false;
        }
    return true;
}

uint64_t rs_engine_stage_events(rs_engine *e, unsigned stage)
{
    for (unsigned i = 0; i < e->def.n_stages; i++)
        if (e->def.stages[i].id == stage)
            return rs_load_relaxed(&e->stage_events[i]);
    return 0;
}

uint64_t rs_engine_stream_published(rs_engine *e, uint16_t stream)
{
    void *mem = rs_region_ring(&e->region, stream);
    return mem ? rs_load_relaxed(&((rs_spsc_hdr *)mem)->published) : 0;
}

void rs_engine_destroy(rs_engine *e)
{
    if (!e)
        return;
    rs_engine_stop(e);
    if (e->region.hdr)
        rs_region_destroy(&e->region);
    for (unsigned i = 0; i < RS_SID_MAX; i++)
        rs_mem_free(e->lat[i]);
    for (unsigned s = 0; s < RS_STREAM_MAX; s++)
        rs_mem_free(e->otab[s].ent);
    rs_mem_free(e->t2o);
    rs_mem_free(e);
}

rs_emit *rs_engine_emitter(rs_engine *e, uint16_t stream)
{
    return stream < RS_STREAM_MAX && e->emit[stream].p ? &e->emit[stream].e : NULL;
}

void rs_engine_commit(rs_engine *e, uint16_t stream)
{
    if (stream < RS_STREAM_MAX && e->emit[stream].p)
        rs_spsc_commit(&e->prod[stream]);
}

const rs_hist *rs_engine_stage_latency(rs_engine *e, unsigned stage)
{
    for (unsigned i = 0; i < e->def.n_stages; i++)
        if (e->def.stages[i].id == stage)
            return e->lat[i];
    return NULL;
}

const rs_hist *rs_engine_t2o_latency(rs_engine *e) { return e->t2o; }

int64_t rs_engine_origin(const rs_engine *e, uint16_t stream, uint64_t seq)
{
    return stream < RS_STREAM_MAX && e->otab[stream].ent ? rs_origin_get(&e->otab[stream], seq) : 0;
}
