/* Replay verification (see ringside/replay.h).
 *
 * Why per stage: feeding each stage its own journaled inputs means a
 * divergence is blamed on exactly one stage and one input record, and a
 * change in one stage (a new model) does not cascade into noise downstream.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "ringside/mem.h"
#include "ringside/replay.h"

typedef struct stream_idx {
    const rs_rec **r;       /* records of one stream, in journal order */
    size_t n, cap;
    size_t cur;             /* compare cursor (output streams) */
} stream_idx;

typedef struct cmp_emit {
    rs_emit e;
    const rs_stage_def *def;
    stream_idx *idx;        /* [RS_STREAM_MAX] */
    uint64_t seq[RS_STREAM_MAX];
    rs_replay_report *rep;
    int stage;
    const rs_rec *input;
    /* A handler may read a record it emitted earlier in the same call, so
     * every claim gets its own memory until the handler returns. */
    uint8_t buf[4 * RS_REC_MAX];
    size_t used;
    uint16_t claim_stream;
    int diverged;
} cmp_emit;

static uint16_t out_stream(const rs_stage_def *d, uint16_t type)
{
    return type < RS_EV_TYPE_MAX && d->route[type] ? d->route[type] : d->out;
}

/* Next journaled record of stream s that the stage itself produced (skip
 * the runtime's step records; they are consumed as input order). */
static const rs_rec *next_expected(stream_idx *x)
{
    while (x->cur < x->n && x->r[x->cur]->type == RS_EV_STEP)
        x->cur++;
    return x->cur < x->n ? x->r[x->cur++] : NULL;
}

static void diverge(cmp_emit *c, const rs_rec *exp, const rs_rec *got, const char *what)
{
    rs_replay_report *rep = c->rep;
    rep->divergences++;
    if (c->diverged++)
        return;
    if (rep->first_stage >= 0)
        return;
    rep->first_stage = c->stage;
    rep->first_input = c->input;
    rep->expected = exp;
    if (got) {
        memcpy(rep->got_buf, got, got->len <= RS_REC_MAX ? got->len : RS_REC_MAX);
        rep->got = (rs_rec *)rep->got_buf;
    }
    snprintf(rep->what, sizeof rep->what, "%s", what);
}

static void compare(cmp_emit *c, uint16_t s, const rs_rec *got)
{
    const rs_rec *exp = next_expected(&c->idx[s]);
    c->rep->compared++;
    c->rep->per_stage_compared[c->stage]++;
    if (!exp) {
        diverge(c, NULL, got, "the stage emitted a record the journal does not have");
        return;
    }
    char what[128];
    if (exp->type != got->type)
        snprintf(what, sizeof what, "type %s != journaled %s", rs_ev_type_name(got->type), rs_ev_type_name(exp->type));
    else if (exp->len != got->len)
        snprintf(what, sizeof what, "length %u != journaled %u", got->len, exp->len);
    else if (exp->seq != got->seq)
        snprintf(what, sizeof what, "seq %" PRIu64 " != journaled %" PRIu64, got->seq, exp->seq);
    else if (exp->ts != got->ts)
        snprintf(what, sizeof what, "ts %" PRId64 " != journaled %" PRId64, got->ts, exp->ts);
    else if (memcmp((const uint8_t *)exp + sizeof(rs_rec), (const uint8_t *)got + sizeof(rs_rec),
                    got->len - sizeof(rs_rec)) != 0) {
        size_t off = sizeof(rs_rec);
        while (off < got->len && ((const uint8_t *)exp)[off] == ((const uint8_t *)got)[off])
            off++;
        snprintf(what, sizeof what, "payload differs at byte %zu", off);
    } else
        return;
    diverge(c, exp, got, what);
}

static rs_rec *cmp_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    cmp_emit *c = (cmp_emit *)e;
    if (len < sizeof(rs_rec) || len > RS_REC_MAX || c->used + rs_rec_padded(len) > sizeof c->buf)
        return NULL;
    rs_rec *r = (rs_rec *)(c->buf + c->used);
    memset(r, 0, rs_rec_padded(len));
    c->used += rs_rec_padded(len);
    r->len = len;
    r->type = type;
    c->claim_stream = out_stream(c->def, type);
    r->stream = c->claim_stream;
    return r;
}

static void cmp_commit(rs_emit *e, rs_rec *r)
{
    cmp_emit *c = (cmp_emit *)e;
    uint16_t s = c->claim_stream;
    r->seq = ++c->seq[s];
    compare(c, s, r);
    for (int k = 0; k < 2 && r->type < RS_EV_TYPE_MAX; k++) {
        uint16_t d = c->def->dup[r->type][k];
        if (!d)
            break;
        r->stream = d;
        r->seq = ++c->seq[d];
        compare(c, d, r);
    }
}

static int idx_push(stream_idx *x, const rs_rec *r)
{
    if (x->n == x->cap) {
        size_t nc = x->cap ? x->cap * 2 : 4096;
        const rs_rec **nr = rs_mem_alloc(nc * sizeof *nr, 64, "replay index");
        if (!nr)
            return -ENOMEM;
        if (x->n)
            memcpy(nr, x->r, x->n * sizeof *nr);
        rs_mem_free(x->r);
        x->r = nr;
        x->cap = nc;
    }
    x->r[x->n++] = r;
    return 0;
}

/* Find record with seq in stream x by position (journals are gap-free per
 * stream from the first record; fall back to a search). */
static const rs_rec *by_seq(const stream_idx *x, uint64_t seq)
{
    if (!x->n)
        return NULL;
    uint64_t base = x->r[0]->seq;
    if (seq >= base && seq - base < x->n && x->r[seq - base]->seq == seq)
        return x->r[seq - base];
    size_t lo = 0, hi = x->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (x->r[mid]->seq < seq) lo = mid + 1;
        else hi = mid;
    }
    return lo < x->n && x->r[lo]->seq == seq ? x->r[lo] : NULL;
}

static int feed(cmp_emit *c, const rs_stage_def *d, const rs_rec *in)
{
    c->input = in;
    c->used = 0;
    c->rep->inputs++;
    int rc = d->on_event(d->state, in, &c->e);
    return rc == RS_FULL ? -EOVERFLOW : 0;
}

int rs_replay_verify(const rs_replay_set *set, rs_stage_def *stages, unsigned n_stages, rs_replay_report *rep)
{
    memset(rep, 0, offsetof(rs_replay_report, got_buf));
    rep->first_stage = -1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    stream_idx *idx = rs_mem_alloc(sizeof(stream_idx) * RS_STREAM_MAX, 64, "replay index");
    if (!idx)
        return -ENOMEM;
    int rc = 0;
    for (size_t i = 0; i < set->n && rc == 0; i++)
        if (set->recs[i]->stream < RS_STREAM_MAX)
            rc = idx_push(&idx[set->recs[i]->stream], set->recs[i]);
    cmp_emit *c = rs_mem_alloc(sizeof *c, 64, "replay emitter");
    if (!c)
        rc = -ENOMEM;
    for (unsigned si = 0; si < n_stages && rc == 0; si++) {
        const rs_stage_def *d = &stages[si];
        memset(c, 0, sizeof *c);
        c->e.claim = cmp_claim;
        c->e.commit = cmp_commit;
        c->e.ctx = c;
        c->def = d;
        c->idx = idx;
        c->rep = rep;
        c->stage = d->id;
        for (uint16_t s = 0; s < RS_STREAM_MAX; s++)
            idx[s].cur = 0;
        if (d->n_inputs == 1) {
            const stream_idx *in = &idx[d->inputs[0]];
            for (size_t k = 0; k < in->n && rc == 0; k++)
                rc = feed(c, d, in->r[k]);
        } else {
            /* The stage's output stream interleaves its step records with its
             * outputs; each step closes the run of the input before it. */
            stream_idx *o = &idx[d->out];
            uint16_t run = 0;
            uint64_t next = 0;
            bool closed = false;
            for (size_t k = 0; k < o->n && rc == 0; k++) {
                const rs_ev_step *st = (const rs_ev_step *)o->r[k];
                if (st->h.type != RS_EV_STEP)
                    continue;
                /* finish the previous run: its inputs up to prev_last_seq */
                if (run && st->prev_stream == run) {
                    for (uint64_t q = next; q <= st->prev_last_seq && rc == 0; q++) {
                        const rs_rec *in = by_seq(&idx[run], q);
                        if (!in) {
                            c->input = NULL;
                            diverge(c, o->r[k], NULL, "an input the stage consumed is missing from the journal");
                            break;
                        }
                        rc = feed(c, d, in);
                    }
                }
                /* every journaled output of that run must have been produced */
                size_t cur = o->cur;
                while (cur < k && o->r[cur]->type == RS_EV_STEP)
                    cur++;
                if (cur < k) {
                    c->input = NULL;
                    diverge(c, o->r[cur], NULL, "the journal has a record the stage did not emit");
                }
                c->seq[d->out] = st->h.seq;   /* the runtime numbered the step */
                o->cur = k + 1;
                run = st->in_stream;
                next = st->first_seq;
                if (!run) {
                    closed = true;
                    break;
                }
            }
            /* no closing step (the engine did not stop cleanly): the last run
             * goes on as far as the journal has inputs */
            if (!closed && run && rc == 0) {
                const stream_idx *in = &idx[run];
                for (uint64_t q = next;; q++) {
                    const rs_rec *r = by_seq(in, q);
                    if (!r || (rc = feed(c, d, r)) != 0)
                        break;
                }
            }
        }
        /* trailing journaled outputs the stage never produced */
        if (rc == 0) {
            const rs_rec *left = next_expected(&idx[d->out]);
            if (left) {
                c->input = NULL;
                diverge(c, left, NULL, "the journal has a record the stage did not emit");
            }
        }
        if (rc == -EOVERFLOW)
            rc = rs_err_set(EOVERFLOW, "replay: stage %s returned RS_FULL", rs_stage_name(d->id));
    }
    for (uint16_t s = 0; s < RS_STREAM_MAX; s++)
        rs_mem_free(idx[s].r);
    rs_mem_free(idx);
    rs_mem_free(c);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    rep->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return rc;
}

void rs_replay_print_divergence(FILE *f, const rs_replay_set *set, const rs_replay_report *rep, unsigned context)
{
    if (rep->first_stage < 0)
        return;
    fprintf(f, "first divergence in stage %s: %s\n", rs_stage_name((unsigned)rep->first_stage), rep->what);
    if (rep->first_input) {
        /* preceding inputs of the same stream, for context */
        size_t pos = 0;
        while (pos < set->n && set->recs[pos] != rep->first_input)
            pos++;
        size_t shown = 0, start = pos;
        while (start > 0 && shown < context) {
            start--;
            if (set->recs[start]->stream == rep->first_input->stream)
                shown++;
        }
        fprintf(f, "  inputs before it:\n");
        for (size_t i = start; i < pos; i++)
            if (set->recs[i]->stream == rep->first_input->stream) {
                fputs("    ", f);
                rs_rec_fprint(f, set->recs[i]);
            }
        fputs("  input:    ", f);
        rs_rec_fprint(f, rep->first_input);
    }
    fputs("  journal:  ", f);
    if (rep->expected)
        rs_rec_fprint(f, rep->expected);
    else
        fputs("(none)\n", f);
    fputs("  replayed: ", f);
    if (rep->got)
        rs_rec_fprint(f, rep->got);
    else
        fputs("(none)\n", f);
}
