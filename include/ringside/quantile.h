/* ringside/quantile.h -- exact rolling quantiles over a fixed window.
 *
 * Keeps the last `window` finite values and answers order-statistic queries
 * (k-th smallest, interpolated quantile, rank of a value) exactly. Storage is
 * a treap whose nodes are the window's ring slots, so an update (evict the
 * oldest, insert the newest) is O(log n) expected, with no allocation: all
 * memory is the caller's (rs_quantile_memsize bytes).
 *
 * Treap priorities come from a fixed-seed xorshift, so the structure (and
 * therefore every answer, which does not depend on the structure anyway) is
 * deterministic. Equal values are ordered by insertion sequence, so eviction
 * removes exactly the value that entered first.
 */
#ifndef RINGSIDE_QUANTILE_H
#define RINGSIDE_QUANTILE_H

#include <stddef.h>
#include <stdint.h>

#define RS_QUANTILE_MAX_WINDOW (1u << 20)

typedef struct rs_qnode {
    double v;
    uint64_t seq;        /* insertion order: ties broken by age */
    uint32_t l, r;       /* children (0: none; slots are 1-based) */
    uint32_t size;       /* nodes in this subtree */
    uint32_t prio;
} rs_qnode;

typedef struct rs_quantile {
    uint32_t window;     /* capacity */
    uint32_t n;          /* values held (<= window) */
    uint32_t next;       /* ring slot (0-based) the next push overwrites */
    uint32_t root;
    uint64_t seq;
    uint32_t rng;
    uint32_t pad;
    rs_qnode node[];     /* window + 1 (node[0] is the empty sentinel) */
} rs_quantile;

/* Bytes needed for a window of `window` values (1..RS_QUANTILE_MAX_WINDOW);
 * 0 if out of range. */
size_t rs_quantile_memsize(uint32_t window);

/* Initialise caller memory of rs_quantile_memsize(window) bytes (8-byte
 * aligned). Returns 0, or -RS_EBADCFG (window out of range) with a message. */
int rs_quantile_init(rs_quantile *q, uint32_t window);

/* Forget all values (keeps the window). */
void rs_quantile_reset(rs_quantile *q);

/* Add v, evicting the oldest value when full. Hot path: RS_OK, or RS_BAD for
 * a non-finite v (not stored). */
int rs_quantile_push(rs_quantile *q, double v);

static inline uint32_t rs_quantile_count(const rs_quantile *q) { return q->n; }

/* k-th smallest value held (0-based). NaN if k >= count. */
double rs_quantile_kth(const rs_quantile *q, uint32_t k);

/* Quantile p in [0,1], linear interpolation between order statistics
 * (Hyndman-Fan type 7, numpy's default): h = (n-1)p,
 * x[floor h] + (h - floor h) (x[floor h + 1] - x[floor h]).
 * NaN if empty or p is outside [0,1] or NaN. */
double rs_quantile_at(const rs_quantile *q, double p);

/* Number of values held that are < v (strictly), and <= v. */
uint32_t rs_quantile_count_lt(const rs_quantile *q, double v);
uint32_t rs_quantile_count_le(const rs_quantile *q, double v);

#endif
