/* Order table and fill de-duplication set: fixed capacity, caller memory. */
#include <string.h>

#include "ringside/common.h"
#include "ringside/exec_orders.h"

const char *rs_ord_state_name(uint8_t s)
{
    static const char *n[] = {"?", "pending-new", "acked", "partial", "filled", "pending-cancel",
                              "cancelled", "rejected", "expired", "unknown"};
    return s < RS_ARRAY_LEN(n) ? n[s] : "?";
}

static uint32_t pow2_at_least(uint32_t x)
{
    uint32_t p = 8;
    while (p < x)
        p <<= 1;
    return p;
}

static inline uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

size_t rs_orders_memsize(uint32_t max) { return (size_t)pow2_at_least(2 * (max ? max : 1)) * sizeof(rs_order); }

void rs_orders_init(rs_order_table *t, void *mem, uint32_t max)
{
    uint32_t cap = pow2_at_least(2 * (max ? max : 1));
    memset(mem, 0, (size_t)cap * sizeof(rs_order));
    t->slot = mem;
    t->mask = cap - 1;
    t->max = max ? max : 1;
    t->n = 0;
}

rs_order *rs_orders_find(rs_order_table *t, uint64_t id)
{
    if (!id)
        return NULL;
    for (uint32_t i = (uint32_t)mix(id) & t->mask;; i = (i + 1) & t->mask) {
        if (t->slot[i].client_id == id)
            return &t->slot[i];
        if (!t->slot[i].client_id)
            return NULL;
    }
}

rs_order *rs_orders_find_venue(rs_order_table *t, uint16_t sym, uint64_t vid)
{
    if (!vid)
        return NULL;
    for (uint32_t i = 0; i <= t->mask; i++)
        if (t->slot[i].client_id && t->slot[i].venue_order_id == vid && t->slot[i].sym == sym)
            return &t->slot[i];
    return NULL;
}

void rs_orders_remove(rs_order_table *t, rs_order *o)
{
    uint32_t i = (uint32_t)(o - t->slot);
    memset(&t->slot[i], 0, sizeof(rs_order));
    t->n--;
    /* Backward-shift deletion keeps probe chains intact without tombstones. */
    for (uint32_t j = (i + 1) & t->mask; t->slot[j].client_id; j = (j + 1) & t->mask) {
        uint32_t home = (uint32_t)mix(t->slot[j].client_id) & t->mask;
        /* move j into hole i if its home is not in (i, j] cyclically */
        int in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            t->slot[i] = t->slot[j];
            memset(&t->slot[j], 0, sizeof(rs_order));
            i = j;
        }
    }
}

rs_order *rs_orders_insert(rs_order_table *t, uint64_t id, int64_t now, int64_t keep_ns)
{
    if (!id || rs_orders_find(t, id))
        return NULL;
    if (t->n >= t->max) {
        rs_order *old = NULL;
        for (uint32_t i = 0; i <= t->mask; i++) {
            rs_order *o = &t->slot[i];
            if (o->client_id && rs_ord_terminal(o->state) && o->updated_ts <= now - keep_ns &&
                (!old || o->updated_ts < old->updated_ts))
                old = o;
        }
        if (!old)
            return NULL;
        rs_orders_remove(t, old);
    }
    for (uint32_t i = (uint32_t)mix(id) & t->mask;; i = (i + 1) & t->mask) {
        if (!t->slot[i].client_id) {
            memset(&t->slot[i], 0, sizeof(rs_order));
            t->slot[i].client_id = id;
            t->n++;
            return &t->slot[i];
        }
    }
}

rs_order *rs_orders_next(rs_order_table *t, uint32_t *i)
{
    while (*i <= t->mask) {
        rs_order *o = &t->slot[(*i)++];
        if (o->client_id)
            return o;
    }
    return NULL;
}

/* ---- fill set ---------------------------------------------------------------- */

size_t rs_fillset_memsize(uint32_t max)
{
    max = max ? max : 1;
    return (size_t)pow2_at_least(2 * max) * sizeof(rs_fill_key) + (size_t)max * sizeof(rs_fill_key);
}

void rs_fillset_init(rs_fill_set *s, void *mem, uint32_t max)
{
    max = max ? max : 1;
    uint32_t cap = pow2_at_least(2 * max);
    memset(mem, 0, rs_fillset_memsize(max));
    s->slot = mem;
    s->fifo = (rs_fill_key *)mem + cap;
    s->mask = cap - 1;
    s->max = max;
    s->n = 0;
    s->head = 0;
}

static uint32_t fk_home(const rs_fill_set *s, uint64_t tid, uint32_t vs)
{
    return (uint32_t)mix(tid ^ ((uint64_t)vs << 40)) & s->mask;
}

static int fk_find(const rs_fill_set *s, uint64_t tid, uint32_t vs, uint32_t *at)
{
    for (uint32_t i = fk_home(s, tid, vs);; i = (i + 1) & s->mask) {
        const rs_fill_key *k = &s->slot[i];
        if (!k->used) {
            *at = i;
            return 0;
        }
        if (k->trade_id == tid && k->vs == vs) {
            *at = i;
            return 1;
        }
    }
}

static void fk_remove(rs_fill_set *s, uint32_t i)
{
    memset(&s->slot[i], 0, sizeof(rs_fill_key));
    for (uint32_t j = (i + 1) & s->mask; s->slot[j].used; j = (j + 1) & s->mask) {
        uint32_t home = fk_home(s, s->slot[j].trade_id, s->slot[j].vs);
        int in_range = i <= j ? (home > i && home <= j) : (home > i || home <= j);
        if (!in_range) {
            s->slot[i] = s->slot[j];
            memset(&s->slot[j], 0, sizeof(rs_fill_key));
            i = j;
        }
    }
}

int rs_fillset_has(const rs_fill_set *s, uint8_t venue, uint16_t sym, uint64_t tid)
{
    uint32_t at;
    return fk_find(s, tid, (uint32_t)venue << 16 | sym, &at);
}

int rs_fillset_add(rs_fill_set *s, uint8_t venue, uint16_t sym, uint64_t tid)
{
    uint32_t vs = (uint32_t)venue << 16 | sym, at;
    if (fk_find(s, tid, vs, &at))
        return RS_SKIP;
    if (s->n == s->max) {
        /* Forget the oldest key: trade ids that old will not be replayed by
         * the venue (my-trades back-fill starts after the last one seen). */
        rs_fill_key *old = &s->fifo[s->head];
        uint32_t oat;
        if (fk_find(s, old->trade_id, old->vs, &oat))
            fk_remove(s, oat);
        s->head = (s->head + 1) % s->max;
        s->n--;
        fk_find(s, tid, vs, &at);
    }
    s->slot[at] = (rs_fill_key){tid, vs, 1};
    s->fifo[(s->head + s->n) % s->max] = s->slot[at];
    s->n++;
    return RS_OK;
}
