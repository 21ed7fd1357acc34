/* bench/e2e_chain.c -- see e2e_chain.h. */
#include "e2e_chain.h"

#include <string.h>

void e2e_chain_init(e2e_chain_res *r)
{
    memset(r, 0, sizeof *r);
    for (int i = 0; i < E2E_CH_N; i++)
        rs_hist_init(&r->part[i]);
}

const char *e2e_chain_part_name(int part)
{
    static const char *const n[E2E_CH_N] = {"feed tail",  "wait->features", "features", "wait->model", "model",
                                            "wait->gate", "gate",           "wait->exec", "exec->order"};
    return part >= 0 && part < E2E_CH_N ? n[part] : "?";
}

static const e2e_call *parent_of(const e2e_calls calls[RS_SID_MAX], const e2e_call *c, unsigned want_sid)
{
    if (!c || !c->parent || c->parent >> 29 != want_sid)
        return NULL;
    uint64_t i = (c->parent & E2E_CALL_MASK) - 1u;
    return i < calls[want_sid].n ? &calls[want_sid].c[i] : NULL;
}

/* First call of a log that ends after t (calls of one stage are sequential,
 * so both starts and ends are sorted). */
static uint64_t first_ending_after(const e2e_calls *l, uint64_t t)
{
    uint64_t lo = 0, hi = l->n;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (l->c[mid].t0 + l->c[mid].dur <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Split the wait (a, b) by what the consumer's thread did: handler calls on
 * the same tick, on other inputs, and the rest. */
static void split_wait(e2e_chain_res *r, int w, const e2e_calls calls[RS_SID_MAX], const int thread_of[RS_SID_MAX],
                       unsigned consumer, uint64_t a, uint64_t b, uint32_t origin, double ns_per_tick)
{
    if (b <= a)
        return;
    uint64_t same = 0, other = 0;
    for (unsigned s = 0; s < RS_SID_MAX; s++) {
        if (thread_of[s] < 0 || thread_of[s] != thread_of[consumer])
            continue;
        const e2e_calls *l = &calls[s];
        for (uint64_t i = first_ending_after(l, a); i < l->n && l->c[i].t0 < b; i++) {
            uint64_t s0 = l->c[i].t0 > a ? l->c[i].t0 : a, e = l->c[i].t0 + l->c[i].dur;
            uint64_t e0 = e < b ? e : b;
            if (e0 <= s0)
                continue;
            if (l->c[i].origin == origin)
                same += e0 - s0;
            else
                other += e0 - s0;
        }
    }
    uint64_t all = b - a, busy = same + other > all ? all : same + other;
    r->wait_sum[w][E2E_W_SAME] += (double)same * ns_per_tick;
    r->wait_sum[w][E2E_W_OTHER] += (double)other * ns_per_tick;
    r->wait_sum[w][E2E_W_OUTSIDE] += (double)(all - busy) * ns_per_tick;
}

static void add_part(e2e_chain_res *r, int part, uint64_t from, uint64_t to, double ns_per_tick)
{
    rs_hist_add(&r->part[part], to > from ? (uint64_t)((double)(to - from) * ns_per_tick) : 0);
}

void e2e_chain_add(e2e_chain_res *r, const e2e_calls calls[RS_SID_MAX], const int thread_of[RS_SID_MAX],
                   uint32_t exec_call, uint32_t origin, uint64_t dec_tsc, uint64_t ord_tsc, double ns_per_tick)
{
    const e2e_call *ch[RS_SID_MAX] = {0};
    ch[RS_SID_EXEC] = exec_call < calls[RS_SID_EXEC].n ? &calls[RS_SID_EXEC].c[exec_call] : NULL;
    ch[RS_SID_GATE] = parent_of(calls, ch[RS_SID_EXEC], RS_SID_GATE);
    ch[RS_SID_MODEL] = parent_of(calls, ch[RS_SID_GATE], RS_SID_MODEL);
    ch[RS_SID_FEATURES] = parent_of(calls, ch[RS_SID_MODEL], RS_SID_FEATURES);
    ch[RS_SID_FEED] = parent_of(calls, ch[RS_SID_FEATURES], RS_SID_FEED);
    if (!ch[RS_SID_FEED] || !dec_tsc || !ord_tsc || ch[RS_SID_FEED]->origin != origin) {
        r->broken++;   /* an order not made by a prediction, or a log that overflowed */
        return;
    }
    uint64_t end[RS_SID_MAX];
    for (unsigned s = 0; s < RS_SID_MAX; s++)
        end[s] = ch[s]->t0 + ch[s]->dur;
    add_part(r, E2E_CH_FEED, dec_tsc, end[RS_SID_FEED], ns_per_tick);
    for (unsigned s = RS_SID_FEATURES; s <= RS_SID_EXEC; s++) {
        int wpart = E2E_CH_W_FEAT + 2 * (int)(s - RS_SID_FEATURES);
        add_part(r, wpart, end[s - 1], ch[s]->t0, ns_per_tick);
        split_wait(r, (int)(s - RS_SID_FEATURES), calls, thread_of, s, end[s - 1], ch[s]->t0, origin, ns_per_tick);
        if (s < RS_SID_EXEC)
            add_part(r, wpart + 1, ch[s]->t0, end[s], ns_per_tick);
    }
    add_part(r, E2E_CH_EXEC, ch[RS_SID_EXEC]->t0, ord_tsc, ns_per_tick);
    r->n++;
}
