/* SPSC byte ring (see ringside/ring.h for the contract).
 *
 * Why positions are 64-bit and never wrap: with a 2^64 byte counter there is
 * no ABA and full/empty is just a subtraction. Why cached remote indices: in
 * the steady state the producer touches only its own line (head) and the
 * consumer only its own (tail); the other side's line is read only when the
 * cached value says "full" / "empty", which is the whole trick of keeping the
 * cache-line traffic at one transfer per batch.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ringside/ring.h"

static_assert(ATOMIC_LLONG_LOCK_FREE == 2, "64-bit atomics must be lock-free (shared memory)");
static_assert(ATOMIC_INT_LOCK_FREE == 2, "32-bit atomics must be lock-free (shared memory)");

#define REC_MIN 8u

static inline uint64_t pad8(uint64_t n) { return (n + 7u) & ~(uint64_t)7u; }

size_t rs_spsc_memsize(uint32_t capacity)
{
    if (capacity < 4096 || (capacity & (capacity - 1)) != 0)
        return 0;
    return sizeof(rs_spsc_hdr) + (size_t)capacity;
}

int rs_spsc_init(void *mem, uint32_t capacity, uint32_t id, const char *name, uint32_t flags)
{
    if (!mem || ((uintptr_t)mem & (RS_CACHELINE - 1)))
        return rs_err_set(EINVAL, "ring %s: memory must be %d-byte aligned", name ? name : "?", RS_CACHELINE);
    if (rs_spsc_memsize(capacity) == 0)
        return rs_err_set(EINVAL, "ring %s: capacity %u must be a power of two >= 4096", name ? name : "?",
                          capacity);
    rs_spsc_hdr *h = mem;
    memset(h, 0, sizeof *h);
    h->version = RS_SPSC_VERSION;
    h->capacity = capacity;
    h->flags = flags;
    h->id = id;
    snprintf(h->name, sizeof h->name, "%s", name ? name : "");
    atomic_init(&h->head, 0);
    atomic_init(&h->tail, 0);
    atomic_init(&h->rec_tail, 0);
    atomic_init(&h->rec_state, (flags & RS_SPSC_F_RECORDER) ? RS_SPSC_REC_DETACHED : RS_SPSC_REC_NONE);
    /* magic last: a concurrent rs_spsc_check in another process must not see
     * a half-initialised ring (partner: the acquire load in rs_spsc_check). */
    atomic_thread_fence(memory_order_release);
    rs_store_release((rs_atomic_u64 *)&h->magic, RS_SPSC_MAGIC);
    return 0;
}

int rs_spsc_check(const void *mem, size_t size)
{
    const rs_spsc_hdr *h = mem;
    if (size < sizeof *h)
        return rs_err_set(EINVAL, "ring: %zu bytes is smaller than a ring header", size);
    /* partner: the release store of magic in rs_spsc_init */
    uint64_t magic = rs_load_acquire((rs_atomic_u64 *)&h->magic);
    if (magic != RS_SPSC_MAGIC)
        return rs_err_set(RS_EVERSION, "ring: bad magic %#llx (not a ring, or not initialised)",
                          (unsigned long long)magic);
    if (h->version != RS_SPSC_VERSION)
        return rs_err_set(RS_EVERSION, "ring %s: version %u, this build speaks %u", h->name, h->version,
                          RS_SPSC_VERSION);
    if (rs_spsc_memsize(h->capacity) == 0 || rs_spsc_memsize(h->capacity) > size)
        return rs_err_set(RS_EVERSION, "ring %s: capacity %u does not fit %zu bytes", h->name, h->capacity,
                          size);
    return 0;
}

void rs_spsc_prod_init(rs_spsc_prod *p, void *mem)
{
    rs_spsc_hdr *h = mem;
    memset(p, 0, sizeof *p);
    p->h = h;
    p->data = (uint8_t *)mem + sizeof *h;
    p->mask = h->capacity - 1u;
    /* A restarted producer continues after the last committed record;
     * whatever a dead producer claimed but never committed is simply
     * overwritten (it was never visible). */
    p->claim = p->head = rs_load_acquire(&h->head); /* partner: our own earlier release in commit */
    p->published = rs_load_relaxed(&h->published);
    p->full = rs_load_relaxed(&h->full_count);
    p->max_depth = rs_load_relaxed(&h->max_depth);
    p->limit = 0;   /* forces a refresh on the first claim */
}

/* The producer may write up to min(tail, rec_tail) + capacity. */
static inline void prod_refresh(rs_spsc_prod *p)
{
    rs_spsc_hdr *h = p->h;
    /* partner: the consumer's release store of tail in rs_spsc_release: once
     * we see tail, the consumer is done reading the bytes below it. */
    uint64_t t = rs_load_acquire(&h->tail);
    /* partner: the recorder's seq_cst store of rec_state in cons_init */
    if (atomic_load_explicit(&h->rec_state, memory_order_seq_cst) != RS_SPSC_REC_NONE) {
        /* partner: the recorder's release store of rec_tail */
        uint64_t rt = rs_load_acquire(&h->rec_tail);
        if (rt < t)
            t = rt;
    }
    p->limit = t + h->capacity;
}

void *rs_spsc_try_claim(rs_spsc_prod *p, uint32_t len)
{
    const uint64_t cap = p->mask + 1u;
    if (RS_UNLIKELY(len < REC_MIN || len > cap / 2))
        return NULL;
    const uint64_t need = pad8(len);
    uint64_t pos = p->claim;
    const uint64_t contig = cap - (pos & p->mask);
    const uint64_t total = need <= contig ? need : contig + need;
    if (RS_UNLIKELY(pos + total > p->limit)) {
        prod_refresh(p);
        if (pos + total > p->limit) {
            rs_store_relaxed(&p->h->full_count, ++p->full);
            return NULL;
        }
    }
    if (need > contig) {
        /* Not enough room before the end: a padding record fills the rest
         * so every record is contiguous (consumers skip it). */
        uint8_t *pad = p->data + (pos & p->mask);
        *(uint32_t *)pad = (uint32_t)contig;
        *(uint16_t *)(pad + 4) = RS_SPSC_PAD_TYPE;
        pos += contig;
    }
    p->claim = pos + need;
    p->pending++;
    return p->data + (pos & p->mask);
}

bool rs_spsc_has_room(rs_spsc_prod *p, uint32_t bytes)
{
    /* worst case: the record does not fit before the end and needs padding */
    const uint64_t need = 2 * pad8(bytes);
    if (p->claim + need <= p->limit)
        return true;
    prod_refresh(p);
    return p->claim + need <= p->limit;
}

uint32_t rs_spsc_touch_ahead(rs_spsc_prod *p, uint32_t bytes)
{
    uint64_t end = p->claim + bytes;
    if (end > p->limit) {
        prod_refresh(p);
        if (end > p->limit)
            end = p->limit;
    }
    uint64_t pos = p->touched > p->claim ? p->touched : p->claim;
    if (pos >= end)
        return 0;
    p->data[pos & p->mask] = 0;
    p->touched = pos + 4096;
    return 1;
}

void rs_spsc_commit(rs_spsc_prod *p)
{
    if (p->claim == p->head)
        return;
    p->head = p->claim;
    /* partner: the consumer's and recorder's acquire load of head in poll:
     * everything written into the claimed records happens-before their
     * reads. */
    rs_store_release(&p->h->head, p->claim);
    p->published += p->pending;
    p->pending = 0;
    rs_store_relaxed(&p->h->published, p->published);
    /* Depth against the cached limit: cheap and never under-reports. */
    uint64_t depth = p->claim - (p->limit - (p->mask + 1u));
    if (depth > p->max_depth) {
        p->max_depth = depth;
        rs_store_relaxed(&p->h->max_depth, depth);
    }
}

void rs_spsc_cons_init(rs_spsc_cons *c, void *mem, int role)
{
    rs_spsc_hdr *h = mem;
    memset(c, 0, sizeof *c);
    c->h = h;
    c->data = (const uint8_t *)mem + sizeof *h;
    c->mask = h->capacity - 1u;
    c->recorder = role == RS_SPSC_RECORDER;
    /* the recorder's releases gate the producer and acknowledge journaling:
     * publish each one; a consumer publishes in chunks */
    c->quantum = c->recorder ? 0 : h->capacity / 16;
    if (!c->recorder) {
        c->pos = rs_load_acquire(&h->tail); /* partner: our own earlier release */
        c->consumed = rs_load_relaxed(&h->consumed);
    } else {
        c->consumed = rs_load_relaxed(&h->rec_consumed);
        uint32_t st = atomic_load_explicit(&h->rec_state, memory_order_seq_cst);
        if (st != RS_SPSC_REC_NONE) {
            /* The producer has been honouring rec_tail all along. */
            c->pos = rs_load_acquire(&h->rec_tail);
            atomic_store_explicit(&h->rec_state, RS_SPSC_REC_ATTACHED, memory_order_seq_cst);
        } else {
            /* Late attach. A producer that has not seen our state yet may
             * use any tail it read before; so: publish a conservative
             * rec_tail, announce ourselves, then start at a tail read after
             * the announcement -- every limit computed without us is based on
             * a tail <= that one (seq_cst orders the four operations). */
            uint64_t t0 = atomic_load_explicit(&h->tail, memory_order_seq_cst);
            atomic_store_explicit(&h->rec_tail, t0, memory_order_seq_cst);
            atomic_store_explicit(&h->rec_state, RS_SPSC_REC_ATTACHED, memory_order_seq_cst);
            uint64_t t2 = atomic_load_explicit(&h->tail, memory_order_seq_cst);
            c->pos = t2;
            rs_store_release(&h->rec_tail, t2); /* partner: prod_refresh */
        }
    }
    c->head_cache = c->pos;
    c->rel_pos = c->pub_pos = c->pos;
}

static inline void cons_publish(rs_spsc_cons *c)
{
    /* partner: the producer's acquire load of tail in prod_refresh */
    rs_store_release(&c->h->tail, c->rel_pos);
    rs_store_relaxed(&c->h->consumed, c->consumed);
    c->pub_pos = c->rel_pos;
}

void rs_spsc_recorder_detach(rs_spsc_cons *c)
{
    if (!c->recorder)
        return;
    rs_spsc_release(c);
    /* partner: the seq_cst load in prod_refresh; the producer stops waiting
     * for us from its next refresh on. */
    atomic_store_explicit(&c->h->rec_state, RS_SPSC_REC_NONE, memory_order_seq_cst);
}

const void *rs_spsc_poll(rs_spsc_cons *c)
{
    for (;;) {
        if (c->pos == c->head_cache) {
            /* partner: the producer's release store of head in commit */
            c->head_cache = rs_load_acquire(&c->h->head);
            if (c->pos == c->head_cache) {
                /* caught up: hand the producer everything released so far */
                if (c->rel_pos != c->pub_pos)
                    cons_publish(c);
                return NULL;
            }
        }
        const uint8_t *r = c->data + (c->pos & c->mask);
        uint32_t len = *(const uint32_t *)r;
        uint16_t type = *(const uint16_t *)(r + 4);
        /* Defensive: the ring is shared with other processes; a header that
         * cannot be right is reported rather than followed. */
        if (RS_UNLIKELY(len < REC_MIN || c->pos + pad8(len) > c->head_cache)) {
            c->corrupt = true;
            return NULL;
        }
        if (type == RS_SPSC_PAD_TYPE) {
            c->pos += len;
            continue;
        }
        c->pos += pad8(len);
        c->polled++;
        return r;
    }
}

void rs_spsc_release(rs_spsc_cons *c)
{
    if (c->polled == 0 && !c->recorder)
        return;
    c->consumed += c->polled;
    c->polled = 0;
    if (c->recorder) {
        /* partner: the producer's acquire load of rec_tail in prod_refresh */
        rs_store_release(&c->h->rec_tail, c->pos);
        rs_store_relaxed(&c->h->rec_consumed, c->consumed);
        /* the recorder publishes every release: nothing left to publish
         * (keeps poll's catch-up publish of the consumer tail off) */
        c->rel_pos = c->pub_pos = c->pos;
    } else {
        c->rel_pos = c->pos;
        if (c->rel_pos - c->pub_pos >= c->quantum)
            cons_publish(c);
    }
}

void rs_spsc_release_to(rs_spsc_cons *c, rs_spsc_point m)
{
    /* Only points inside [last release, last poll]: an older point would
     * move the published position backwards (and let the producer see
     * space it already reused as unreleased), a later one would free
     * records nobody has read yet. */
    if (m.count < c->consumed || m.count - c->consumed > c->polled || m.pos < c->rel_pos || m.pos > c->pos)
        return;
    if (m.pos == c->rel_pos && m.count == c->consumed)
        return;
    c->polled -= m.count - c->consumed;
    c->consumed = m.count;
    c->rel_pos = m.pos;
    if (c->recorder) {
        /* partner: the producer's acquire load of rec_tail in prod_refresh */
        rs_store_release(&c->h->rec_tail, m.pos);
        rs_store_relaxed(&c->h->rec_consumed, c->consumed);
        c->pub_pos = m.pos;
    } else if (c->rel_pos - c->pub_pos >= c->quantum) {
        cons_publish(c);
    }
}

uint64_t rs_spsc_depth(const rs_spsc_hdr *h)
{
    uint64_t t = rs_load_acquire((rs_atomic_u64 *)&h->tail);  /* partner: rs_spsc_release */
    uint64_t hd = rs_load_acquire((rs_atomic_u64 *)&h->head); /* partner: rs_spsc_commit */
    return hd > t ? hd - t : 0;
}
