/* Single-threaded deterministic scheduler for what-if replays (see
 * ringside/whatif.h for the order it runs stages in and why).
 *
 * Why per-stream linear queues that reset when empty: within one round a
 * consumer always empties its input queue, and a stage never emits on its
 * own input (checked at init), so a queue never needs to wrap; a record a
 * handler is reading (its input, or one it emitted earlier in the same
 * call) stays where it is until the call returns.
 */
#include <errno.h>
#include <string.h>

#include "ringside/whatif.h"

#define WI_DEFAULT_QUEUE (2u * 1024u * 1024u)
#define WI_MAX_ROUNDS 1000000u   /* one input that never settles is a feedback bug */

typedef struct wi_queue {
    uint8_t *buf;
    size_t head, tail;
} wi_queue;

typedef struct wi_emit {
    rs_emit e;
    rs_whatif *w;
    unsigned si;
    rs_rec *last;
    uint16_t last_stream;
} wi_emit;

struct rs_whatif {
    rs_whatif_params p;
    uint32_t qbytes;
    wi_queue q[RS_STREAM_MAX];
    int8_t consumer[RS_STREAM_MAX];      /* stage index, -1: none */
    int8_t producer[RS_STREAM_MAX];      /* stage index, -1: none */
    uint64_t seq[RS_STREAM_MAX];         /* last seq published per stream */
    uint16_t cur_in[RS_SID_MAX];         /* input a multi-input stage is on (0: none yet) */
    uint64_t last_seq[RS_SID_MAX];       /* last record it consumed from it */
    wi_emit em[RS_SID_MAX];
    int err;                             /* sticky: first failure */
    uint16_t full_stream;                /* queue that ran out of room */
    rs_whatif_stats st;
};

static size_t align64(size_t n) { return (n + 63) & ~(size_t)63; }

/* Streams a stage produces: out, routes, duplicates. */
static void produced(const rs_stage_def *d, bool *mark)
{
    mark[d->out] = true;
    for (unsigned t = 0; t < RS_EV_TYPE_MAX; t++) {
        if (d->route[t] < RS_STREAM_MAX)
            mark[d->route[t]] = true;
        for (int k = 0; k < 2; k++)
            if (d->dup[t][k] < RS_STREAM_MAX)
                mark[d->dup[t][k]] = true;
    }
    mark[0] = false;
}

static bool params_ok(const rs_whatif_params *p)
{
    return p && p->stages && p->n_stages >= 1 && p->n_stages <= RS_SID_MAX &&
           (p->queue_bytes == 0 || p->queue_bytes >= 2 * RS_REC_MAX);
}

static unsigned used_streams(const rs_whatif_params *p, bool *used)
{
    memset(used, 0, sizeof(bool) * RS_STREAM_MAX);
    for (unsigned i = 0; i < p->n_stages; i++) {
        const rs_stage_def *d = &p->stages[i];
        if (d->out < RS_STREAM_MAX)
            produced(d, used);
        for (unsigned k = 0; k < d->n_inputs && k < RS_STAGE_MAX_IN; k++)
            if (d->inputs[k] && d->inputs[k] < RS_STREAM_MAX)
                used[d->inputs[k]] = true;
    }
    unsigned n = 0;
    for (unsigned s = 1; s < RS_STREAM_MAX; s++)
        n += used[s];
    return n;
}

size_t rs_whatif_memsize(const rs_whatif_params *p)
{
    if (!params_ok(p))
        return 0;
    bool used[RS_STREAM_MAX];
    unsigned n = used_streams(p, used);
    uint32_t qb = p->queue_bytes ? p->queue_bytes : WI_DEFAULT_QUEUE;
    return align64(sizeof(rs_whatif)) + (size_t)n * align64(qb);
}

/* ---- emitting ------------------------------------------------------------- */

static rs_rec *q_claim(rs_whatif *w, uint16_t s, uint16_t type, uint32_t len)
{
    wi_queue *q = &w->q[s];
    if (len < sizeof(rs_rec) || len > RS_REC_MAX || !q->buf || q->tail + rs_rec_padded(len) > w->qbytes) {
        if (!w->full_stream)
            w->full_stream = s ? s : 0xffff;
        return NULL;
    }
    rs_rec *r = (rs_rec *)(q->buf + q->tail);
    q->tail += rs_rec_padded(len);
    /* zero the padding too: the journal must not depend on old queue bytes */
    memset(r, 0, rs_rec_padded(len));
    r->len = len;
    r->type = type;
    r->stream = s;
    return r;
}

static void publish(rs_whatif *w, uint16_t s, rs_rec *r)
{
    r->stream = s;
    r->seq = ++w->seq[s];
    r->ts_local = 0;   /* nothing was measured; keeps the output byte-identical run to run */
    w->st.emitted[s]++;
    w->st.records++;
    if (w->p.sink && !w->err) {
        int rc = w->p.sink(w->p.sink_ctx, r);
        if (rc)
            w->err = rc < 0 ? rc : -EIO;
    }
}

static rs_rec *em_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    wi_emit *m = (wi_emit *)e;
    const rs_stage_def *d = &m->w->p.stages[m->si];
    uint16_t s = type < RS_EV_TYPE_MAX && d->route[type] ? d->route[type] : d->out;
    rs_rec *r = q_claim(m->w, s, type, len);
    m->last = r;
    m->last_stream = s;
    return r;
}

static void em_commit(rs_emit *e, rs_rec *r)
{
    wi_emit *m = (wi_emit *)e;
    rs_whatif *w = m->w;
    const rs_stage_def *d = &w->p.stages[m->si];
    uint16_t s = m->last == r ? m->last_stream : d->out;
    publish(w, s, r);
    if (r->type >= RS_EV_TYPE_MAX)
        return;
    /* same order as the runtime's route_commit: primary, then its copies */
    for (int k = 0; k < 2; k++) {
        uint16_t ds = d->dup[r->type][k];
        if (!ds)
            break;
        rs_rec *c = q_claim(w, ds, r->type, r->len);
        if (!c)
            return;
        memcpy((uint8_t *)c + sizeof(rs_rec), (const uint8_t *)r + sizeof(rs_rec), r->len - sizeof(rs_rec));
        c->ts = r->ts;
        publish(w, ds, c);
    }
}

static int emit_step(rs_whatif *w, unsigned si, uint16_t in, uint64_t first_seq, int64_t ts)
{
    const rs_stage_def *d = &w->p.stages[si];
    rs_ev_step *st = (rs_ev_step *)q_claim(w, d->out, RS_EV_STEP, sizeof(rs_ev_step));
    if (!st)
        return -EOVERFLOW;
    st->h.ts = ts;
    st->stage = d->id;
    st->in_stream = in;
    st->prev_stream = w->cur_in[si];
    st->first_seq = first_seq;
    st->prev_last_seq = w->cur_in[si] ? w->last_seq[si] : 0;
    publish(w, d->out, &st->h);
    w->cur_in[si] = in;
    return w->err;
}

/* ---- scheduling ------------------------------------------------------------ */

static int fail_full(rs_whatif *w, unsigned si)
{
    uint16_t s = w->full_stream;
    w->err = -EOVERFLOW;
    return rs_err_set(EOVERFLOW,
                      "what-if: stage %s: no room on stream %s (queue_bytes %u too small for what one round emits, "
                      "or the stage returned RS_FULL)",
                      rs_stage_name(w->p.stages[si].id), s && s < RS_STREAM_MAX ? rs_stream_name(s) : "?", w->qbytes);
}

/* Handle everything queued on the inputs of stage si. Returns records
 * handled or a negative code. */
static int64_t run_stage(rs_whatif *w, unsigned si)
{
    const rs_stage_def *d = &w->p.stages[si];
    int64_t done = 0;
    for (unsigned k = 0; k < d->n_inputs; k++) {
        uint16_t s = d->inputs[k];
        wi_queue *q = &w->q[s];
        while (q->head < q->tail) {
            const rs_rec *r = (const rs_rec *)(q->buf + q->head);
            q->head += rs_rec_padded(r->len);
            if (d->n_inputs > 1 && w->cur_in[si] != s) {
                int rc = emit_step(w, si, s, r->seq, r->ts);
                if (rc == -EOVERFLOW)
                    return fail_full(w, si);
                if (rc)
                    return rc;
            }
            int rc = d->on_event(d->state, r, &w->em[si].e);
            w->last_seq[si] = r->seq;
            if (rc == RS_FULL || w->full_stream)
                return fail_full(w, si);
            if (w->err)
                return w->err;
            done++;
        }
        q->head = q->tail = 0;
    }
    w->st.handled[d->id < RS_SID_MAX ? d->id : 0] += (uint64_t)done;
    return done;
}

static int drain(rs_whatif *w)
{
    uint32_t rounds = 0;
    for (;;) {
        int64_t work = 0;
        for (unsigned si = 0; si < w->p.n_stages; si++) {
            int64_t n = run_stage(w, si);
            if (n < 0)
                return (int)n;
            work += n;
        }
        /* streams nobody consumes were only for the sink */
        for (unsigned s = 1; s < RS_STREAM_MAX; s++)
            if (w->consumer[s] < 0)
                w->q[s].head = w->q[s].tail = 0;
        rounds++;
        w->st.rounds++;
        if (!work)
            break;
        if (rounds >= WI_MAX_ROUNDS) {
            w->err = -ELOOP;
            return rs_err_set(ELOOP, "what-if: the stages did not settle after %u rounds for one input (feedback loop)",
                              rounds);
        }
    }
    if (rounds > w->st.max_rounds)
        w->st.max_rounds = rounds;
    return 0;
}

int rs_whatif_init(void *mem, const rs_whatif_params *p, rs_whatif **out)
{
    *out = NULL;
    if (!params_ok(p))
        return rs_err_set(EINVAL, "what-if: bad parameters (stages, n_stages 1..%d, queue_bytes >= %u)", RS_SID_MAX,
                          2 * RS_REC_MAX);
    rs_whatif *w = mem;
    memset(w, 0, sizeof *w);
    w->p = *p;
    w->qbytes = p->queue_bytes ? p->queue_bytes : WI_DEFAULT_QUEUE;
    memset(w->consumer, -1, sizeof w->consumer);
    memset(w->producer, -1, sizeof w->producer);
    for (unsigned i = 0; i < p->n_stages; i++) {
        const rs_stage_def *d = &p->stages[i];
        if (!d->on_event || !d->out || d->out >= RS_STREAM_MAX || d->n_inputs < 1 || d->n_inputs > RS_STAGE_MAX_IN)
            return rs_err_set(EINVAL, "what-if: stage %s: no handler, no output stream or bad input count",
                              rs_stage_name(d->id));
        bool prod[RS_STREAM_MAX] = {false};
        produced(d, prod);
        for (unsigned k = 0; k < d->n_inputs; k++)
            if (d->inputs[k] < RS_STREAM_MAX && prod[d->inputs[k]])
                return rs_err_set(EINVAL, "what-if: stage %s emits on its own input stream %s", rs_stage_name(d->id),
                                  rs_stream_name(d->inputs[k]));
        for (unsigned s = 1; s < RS_STREAM_MAX; s++) {
            if (!prod[s])
                continue;
            if (w->producer[s] >= 0 && (unsigned)w->producer[s] != i)
                return rs_err_set(EINVAL, "what-if: stream %s has two producers (stages %s and %s)", rs_stream_name((uint16_t)s),
                                  rs_stage_name(p->stages[w->producer[s]].id), rs_stage_name(d->id));
            w->producer[s] = (int8_t)i;
        }
        for (unsigned k = 0; k < d->n_inputs; k++) {
            uint16_t s = d->inputs[k];
            if (!s || s >= RS_STREAM_MAX)
                return rs_err_set(EINVAL, "what-if: stage %s: input %u is not a stream", rs_stage_name(d->id), k);
            if (w->consumer[s] >= 0)
                return rs_err_set(EINVAL, "what-if: stream %s has two consumers (stages %s and %s)", rs_stream_name(s),
                                  rs_stage_name(p->stages[w->consumer[s]].id), rs_stage_name(d->id));
            w->consumer[s] = (int8_t)i;
        }
        w->em[i] = (wi_emit){{em_claim, em_commit, NULL}, w, i, NULL, 0};
        w->em[i].e.ctx = &w->em[i];
    }
    bool used[RS_STREAM_MAX];
    used_streams(p, used);
    uint8_t *q = (uint8_t *)mem + align64(sizeof(rs_whatif));
    for (unsigned s = 1; s < RS_STREAM_MAX; s++)
        if (used[s]) {
            w->q[s].buf = q;
            q += align64(w->qbytes);
        }
    *out = w;
    return 0;
}

bool rs_whatif_is_external(const rs_whatif *w, uint16_t stream)
{
    return stream && stream < RS_STREAM_MAX && w->consumer[stream] >= 0 && w->producer[stream] < 0;
}

int rs_whatif_input(rs_whatif *w, const rs_rec *in)
{
    if (w->err)
        return rs_err_set(-w->err, "what-if: the scheduler stopped on an earlier error");
    if (!rs_whatif_is_external(w, in->stream))
        return rs_err_set(EINVAL, "what-if: stream %u (%s) is not an external input of these stages", in->stream,
                          in->stream < RS_STREAM_MAX ? rs_stream_name(in->stream) : "?");
    if (in->len < sizeof(rs_rec) || in->len > RS_REC_MAX)
        return rs_err_set(EINVAL, "what-if: input record with bad length %u", in->len);
    rs_rec *r = q_claim(w, in->stream, in->type, in->len);
    if (!r) {
        w->err = -EOVERFLOW;
        return rs_err_set(EOVERFLOW, "what-if: no room for an input on stream %s", rs_stream_name(in->stream));
    }
    memcpy(r, in, in->len);
    r->stream = in->stream;
    r->seq = ++w->seq[in->stream];
    w->st.emitted[in->stream]++;
    w->st.records++;
    w->st.inputs++;
    if (w->p.sink) {
        int rc = w->p.sink(w->p.sink_ctx, r);
        if (rc)
            return w->err = rc < 0 ? rc : -EIO;
    }
    return drain(w);
}

int rs_whatif_finish(rs_whatif *w)
{
    if (w->err)
        return w->err;
    for (unsigned si = 0; si < w->p.n_stages; si++)
        if (w->p.stages[si].n_inputs > 1 && w->cur_in[si]) {
            int rc = emit_step(w, si, 0, 0, 0);
            if (rc == -EOVERFLOW)
                return fail_full(w, si);
            if (rc)
                return rc;
            w->q[w->p.stages[si].out].head = w->q[w->p.stages[si].out].tail = 0;
        }
    return 0;
}

void rs_whatif_get_stats(const rs_whatif *w, rs_whatif_stats *s) { *s = w->st; }
