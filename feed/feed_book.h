/* feed/feed_book.h -- private to the feed stage: a bounded local order book
 * (best RS_FEED_BOOK_LEVELS per side) and the REST depth snapshot parser.
 * Pure functions over caller memory: no allocation, clock or I/O. */
#ifndef RS_FEED_BOOK_H
#define RS_FEED_BOOK_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/decode.h"
#include "ringside/event.h"
#include "ringside/feed_stage.h"
#include "ringside/instrument.h"

/* WAIT: continuity unknown (the last connection closed, the symbol went
 * silent, trade ids were lost): the book is unusable until the next diff
 * either continues its chain (live again) or breaks it (resync). */
enum { RS_FBOOK_NONE = 0, RS_FBOOK_SYNCING = 1, RS_FBOOK_LIVE = 2, RS_FBOOK_WAIT = 3 };

typedef struct rs_fbook {
    uint64_t id;                           /* update id of the last applied change */
    uint32_t nb, na;                       /* levels held */
    uint8_t state;                         /* RS_FBOOK_* */
    uint8_t bridge;                        /* next diff is the first after a snapshot */
    uint8_t venue;                         /* of the last diff (stamped on the snapshot record) */
    uint8_t pad[5];
    rs_level bid[RS_FEED_BOOK_LEVELS];     /* best (highest) first */
    rs_level ask[RS_FEED_BOOK_LEVELS];     /* best (lowest) first */
} rs_fbook;

/* Empty the book (state unchanged). */
void rs_fbook_clear(rs_fbook *b);

/* Apply a diff's or snapshot's levels: absolute quantities, 0 removes. A
 * level that would fall beyond the kept depth is dropped. */
void rs_fbook_apply(rs_fbook *b, const rs_ev_depth *x);

/* Parse a Binance REST depth snapshot body ({"lastUpdateId":N,"bids":[[px,qty],..],
 * "asks":[..]}, spot or USD-M futures; other keys are skipped) for instrument
 * ins into out (an rs_ev_depth with room for cap levels): first_update_id 0,
 * final_update_id = lastUpdateId, n_bids/n_asks. Returns RS_OK or RS_BAD with
 * err (reason, field, offset) set. */
int rs_fbook_parse_snapshot(const uint8_t *p, size_t n, const rs_instrument *ins, rs_ev_depth *out, uint32_t cap,
                            rs_dec_err *err);

#endif
