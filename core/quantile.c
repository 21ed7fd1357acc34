/* Exact rolling quantiles: a treap over the window's ring slots.
 *
 * Why a treap: it needs only split/merge on an array of nodes, so eviction and
 * insertion are O(log n) expected with no allocation, and the node of a value
 * is simply its ring slot, which makes "evict the oldest" a direct lookup
 * rather than a search. Recursion depth is the treap height (O(log n)
 * expected; ~40 for a million values), safe on any thread stack. */
#include <math.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/quantile.h"

size_t rs_quantile_memsize(uint32_t window)
{
    if (window == 0 || window > RS_QUANTILE_MAX_WINDOW)
        return 0;
    return sizeof(rs_quantile) + ((size_t)window + 1) * sizeof(rs_qnode);
}

int rs_quantile_init(rs_quantile *q, uint32_t window)
{
    if (window == 0 || window > RS_QUANTILE_MAX_WINDOW)
        return rs_err_set(RS_EBADCFG, "quantile.c: window %u out of range 1..%u", window,
                          RS_QUANTILE_MAX_WINDOW);
    q->window = window;
    rs_quantile_reset(q);
    return 0;
}

void rs_quantile_reset(rs_quantile *q)
{
    q->n = 0;
    q->next = 0;
    q->root = 0;
    q->seq = 0;
    q->rng = 0x9e3779b9u;   /* fixed seed: deterministic shape across runs */
    memset(q->node, 0, ((size_t)q->window + 1) * sizeof(rs_qnode));
}

static inline uint32_t sz(const rs_quantile *q, uint32_t t) { return t ? q->node[t].size : 0; }

static inline void upd(rs_quantile *q, uint32_t t)
{
    q->node[t].size = 1 + sz(q, q->node[t].l) + sz(q, q->node[t].r);
}

/* Strict order on (value, seq): values are unique keys even when equal. */
static inline int less(double av, uint64_t as, double bv, uint64_t bs)
{
    return av < bv || (av == bv && as < bs);
}

/* Split t into keys < (v,s) -> *a and keys >= (v,s) -> *b. */
static void split(rs_quantile *q, uint32_t t, double v, uint64_t s, uint32_t *a, uint32_t *b)
{
    if (!t) {
        *a = *b = 0;
        return;
    }
    rs_qnode *n = &q->node[t];
    if (less(n->v, n->seq, v, s)) {
        split(q, n->r, v, s, &n->r, b);
        *a = t;
    } else {
        split(q, n->l, v, s, a, &n->l);
        *b = t;
    }
    upd(q, t);
}

static uint32_t merge(rs_quantile *q, uint32_t a, uint32_t b)
{
    if (!a || !b)
        return a ? a : b;
    if (q->node[a].prio > q->node[b].prio) {
        q->node[a].r = merge(q, q->node[a].r, b);
        upd(q, a);
        return a;
    }
    q->node[b].l = merge(q, a, q->node[b].l);
    upd(q, b);
    return b;
}

/* Insert node x: descend by key until x's priority outranks the subtree
 * root, then split only that (small, on average) subtree under x. One
 * root-to-leaf path instead of a full split and two full merges. */
static uint32_t insert(rs_quantile *q, uint32_t t, uint32_t x)
{
    if (!t)
        return x;
    rs_qnode *n = &q->node[t], *nx = &q->node[x];
    if (nx->prio > n->prio) {
        split(q, t, nx->v, nx->seq, &nx->l, &nx->r);
        upd(q, x);
        return x;
    }
    if (less(nx->v, nx->seq, n->v, n->seq))
        n->l = insert(q, n->l, x);
    else
        n->r = insert(q, n->r, x);
    n->size++;
    return t;
}

static uint32_t erase(rs_quantile *q, uint32_t t, uint32_t x)
{
    if (!t)
        return 0;   /* unreachable for a held slot; keeps a corrupt tree from faulting */
    if (t == x)
        return merge(q, q->node[t].l, q->node[t].r);
    rs_qnode *n = &q->node[t];
    if (less(q->node[x].v, q->node[x].seq, n->v, n->seq))
        n->l = erase(q, n->l, x);
    else
        n->r = erase(q, n->r, x);
    upd(q, t);
    return t;
}

int rs_quantile_push(rs_quantile *q, double v)
{
    if (!isfinite(v))
        return RS_BAD;
    uint32_t slot = q->next + 1;
    if (q->n == q->window)
        q->root = erase(q, q->root, slot);
    else
        q->n++;
    q->next = q->next + 1 == q->window ? 0 : q->next + 1;

    uint32_t x = q->rng;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    q->rng = x;

    rs_qnode *n = &q->node[slot];
    n->v = v;
    n->seq = ++q->seq;
    n->l = n->r = 0;
    n->size = 1;
    n->prio = x;
    q->root = insert(q, q->root, slot);
    return RS_OK;
}

double rs_quantile_kth(const rs_quantile *q, uint32_t k)
{
    if (k >= q->n)
        return NAN;
    uint32_t t = q->root;
    while (t) {
        uint32_t ls = sz(q, q->node[t].l);
        if (k < ls) {
            t = q->node[t].l;
        } else if (k == ls) {
            return q->node[t].v;
        } else {
            k -= ls + 1;
            t = q->node[t].r;
        }
    }
    return NAN;
}

double rs_quantile_at(const rs_quantile *q, double p)
{
    if (q->n == 0 || !(p >= 0.0 && p <= 1.0))
        return NAN;
    double h = (double)(q->n - 1) * p;
    double fl = floor(h);
    uint32_t lo = (uint32_t)fl;
    double a = rs_quantile_kth(q, lo);
    if (lo + 1 >= q->n)
        return a;
    double b = rs_quantile_kth(q, lo + 1);
    return a + (h - fl) * (b - a);
}

static uint32_t count_below(const rs_quantile *q, double v, int inclusive)
{
    uint32_t t = q->root, c = 0;
    while (t) {
        double nv = q->node[t].v;
        if (nv < v || (inclusive && nv == v)) {
            c += sz(q, q->node[t].l) + 1;
            t = q->node[t].r;
        } else {
            t = q->node[t].l;
        }
    }
    return c;
}

uint32_t rs_quantile_count_lt(const rs_quantile *q, double v) { return count_below(q, v, 0); }
uint32_t rs_quantile_count_le(const rs_quantile *q, double v) { return count_below(q, v, 1); }
