/* core/venue_sim_depth.h -- private to the venue simulator: the simulated
 * order book behind the Binance diff-depth stream (<symbol>@depth,
 * <symbol>@depth@100ms) and the REST snapshot (GET /api/v3/depth).
 *
 * The book is a pure function of a symbol's last trade (price, taker side,
 * trade id): RS_VSD_LEVELS levels per side, the best bid/ask at the touch
 * like the bookTicker stream, deeper levels one basis point apart, sizes
 * hashed from (price, id). Its update id is the trade id, so every
 * connection -- the WebSocket streaming diffs and the REST connection taking
 * a snapshot at "market now" -- sees the same book at the same id, which is
 * what the client's resync procedure needs.
 *
 * Diffs are batched per 100 ms of market time (or earlier when a batch
 * touched too many levels). A batch covering ids U..u lists every level that
 * any book from U-1 to u held, with its quantity at u (0: gone), so a
 * snapshot taken at any id in [U-1, u] plus this diff gives the book at u
 * (Binance's documented invariant). Not thread-safe: one per connection.
 */
#ifndef RS_CORE_VENUE_SIM_DEPTH_H
#define RS_CORE_VENUE_SIM_DEPTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RS_VSD_LEVELS 5
#define RS_VSD_TOUCH 120
#define RS_VSD_BATCH_MS 100

typedef struct rs_vsd_state {      /* the book's inputs: the last trade */
    int64_t px;                    /* mantissa at px_dec */
    uint64_t id;
    bool m;                        /* buyer was maker (seller hit the bid) */
    bool have;
} rs_vsd_state;

typedef struct rs_vsd_sym {
    rs_vsd_state cur;
    int px_dec, qty_dec;
    int64_t bucket;                /* ts_ms / RS_VSD_BATCH_MS of the open batch */
    uint64_t U;                    /* first id of the open batch; 0: none open */
    uint32_t nt;
    struct { int64_t px; uint8_t side; } t[RS_VSD_TOUCH];   /* touched levels (0 bid, 1 ask) */
} rs_vsd_sym;

/* One trade of the symbol (every trade, whether its own message is sent or
 * not). When it closes the open batch, writes that batch's depthUpdate JSON
 * (raw event, no combined wrapper) into out and returns its length; else 0.
 * A trade id that does not follow the last one (a stall, a skip) starts the
 * batch at the new id: the client sees an update-id gap, as it should. */
size_t rs_vsd_on_trade(rs_vsd_sym *d, const char *sym_up, int64_t px, bool m, uint64_t id, int64_t ts_ms,
                       int px_dec, int qty_dec, char *out, size_t cap);

/* REST snapshot body for state st: {"lastUpdateId":id,"bids":[..],"asks":[..]}
 * with at most limit levels per side. Returns its length (0: did not fit). */
size_t rs_vsd_snapshot(const rs_vsd_state *st, int px_dec, int qty_dec, int limit, char *out, size_t cap);

#endif
