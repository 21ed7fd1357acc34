/* ringside/exec_orders.h -- the order table and the fill de-duplication set
 * of the exec stage. Both live in caller memory (memsize + init), have a
 * fixed capacity and never allocate.
 *
 * Order states (enum rs_ord_state, event.h):
 *
 *   PENDING_NEW --ack--> ACKED --fill--> PARTIAL --fill--> FILLED
 *        |                 |  \                 \
 *        |                 |   cancel sent ----> PENDING_CANCEL --> CANCELLED
 *        |--reject--> REJECTED                   (cancel refused: back to ACKED/PARTIAL)
 *        |--timeout / 5xx / -1007--> UNKNOWN --status query--> (any venue state)
 *                                       \--not found N times--> REJECTED (-2013)
 *   ACKED/PARTIAL --venue expiry (IOC/FOK/GTD)--> EXPIRED
 *
 * Terminal: FILLED, CANCELLED, REJECTED, EXPIRED. A terminal state only moves
 * on venue evidence: fills are facts and always apply (a fill after a cancel
 * is real exposure), and an order we declared REJECTED after "not found"
 * queries is revived if the venue later shows it.
 */
#ifndef RINGSIDE_EXEC_ORDERS_H
#define RINGSIDE_EXEC_ORDERS_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/event.h"

enum rs_inflight { RS_IF_NONE = 0, RS_IF_PLACE = 1, RS_IF_CANCEL = 2, RS_IF_STATUS = 3, RS_IF_HELD = 4 };

typedef struct rs_order {
    uint64_t client_id;        /* 0 marks an empty slot */
    uint64_t venue_order_id;   /* 0 until acked */
    int64_t px, qty;           /* as intended (fixed point) */
    int64_t cum_qty;           /* sum of fills applied (ours, de-duplicated) */
    int64_t venue_cum;         /* largest cumulative qty the venue reported */
    double notional, fee;      /* sum px*qty of fills (quote units, scaled), fees */
    int64_t created_ts, sent_ts, updated_ts;
    int64_t next_ts;           /* next timer action (deadline / re-query), 0 none */
    uint32_t req_id;           /* request in flight for this order */
    uint16_t sym;
    uint8_t state, prev_state; /* rs_ord_state; prev: restored when a cancel is refused */
    uint8_t side, ord_type, tif, purpose;
    uint8_t reduce_only, inflight;  /* enum rs_inflight */
    uint8_t cancel_wanted;     /* a cancel is owed (held by backoff / ban / unknown) */
    uint8_t local_reject;      /* REJECTED inferred by us (not found), revivable */
    uint16_t queries, attempts;
    uint32_t pad;
} rs_order;

static inline int rs_ord_terminal(uint8_t s)
{
    return s == RS_OS_FILLED || s == RS_OS_CANCELLED || s == RS_OS_REJECTED || s == RS_OS_EXPIRED;
}
/* Short name of a state ("acked", ...), "?" if unknown. Static storage. */
const char *rs_ord_state_name(uint8_t s);

typedef struct rs_order_table {
    rs_order *slot;            /* 2 * max slots, linear probing */
    uint32_t mask, max, n;
    uint32_t pad;
} rs_order_table;

/* Bytes for a table holding up to max orders (max >= 1). */
size_t rs_orders_memsize(uint32_t max);
/* Initialise over mem[rs_orders_memsize(max)] (zeroed here). */
void rs_orders_init(rs_order_table *t, void *mem, uint32_t max);
/* Find by client id; NULL if absent. O(1) expected. */
rs_order *rs_orders_find(rs_order_table *t, uint64_t client_id);
/* Find by venue order id (linear scan: reconciliation only). */
rs_order *rs_orders_find_venue(rs_order_table *t, uint16_t sym, uint64_t venue_order_id);
/* Insert a zeroed order with this client id (must be absent and non-zero).
 * When the table holds max orders, the terminal order updated longest ago
 * (and before now - keep_ns) is evicted first. NULL if still full. */
rs_order *rs_orders_insert(rs_order_table *t, uint64_t client_id, int64_t now, int64_t keep_ns);
/* Remove (backward-shift deletion; pointers into the table are invalidated). */
void rs_orders_remove(rs_order_table *t, rs_order *o);
/* Iterate: returns the next used slot after *i (start with 0), or NULL. */
rs_order *rs_orders_next(rs_order_table *t, uint32_t *i);

/* De-duplication of fills by (venue, sym, trade id): open addressing over
 * 2 * max slots with FIFO eviction of the oldest key once max are held. */
typedef struct rs_fill_key { uint64_t trade_id; uint32_t vs; uint32_t used; } rs_fill_key;
typedef struct rs_fill_set {
    rs_fill_key *slot;
    rs_fill_key *fifo;         /* insertion order, ring of max */
    uint32_t mask, max, n, head;
} rs_fill_set;

size_t rs_fillset_memsize(uint32_t max);
void rs_fillset_init(rs_fill_set *s, void *mem, uint32_t max);
/* RS_OK if new (now remembered), RS_SKIP if already seen. */
int rs_fillset_add(rs_fill_set *s, uint8_t venue, uint16_t sym, uint64_t trade_id);
int rs_fillset_has(const rs_fill_set *s, uint8_t venue, uint16_t sym, uint64_t trade_id);

#endif
