/* libFuzzer: the REST depth snapshot parser and the feed stage's depth book
 * (cfg.depth_book). The input is split at '\n' into messages; a message
 * starting with 'S' is a snapshot body for symbol 0 (the rest of the line),
 * anything else a WebSocket frame. Checks: no crash / overread (each message
 * is copied to an exact-size heap buffer), parser results that respect their
 * invariants, and a book that stays sorted, bounded and free of zero or
 * negative levels whatever the order of diffs and snapshots. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../feed/feed_book.h"
#include "ringside/feed_stage.h"
#include "ringside/mem.h"

static rs_universe U;
static rs_feed *F;
static uint8_t *MD, *MARK, *RAW;
static rs_ev_depth *SNAP;

static void init(void)
{
    rs_instrument ins;
    memset(&ins, 0, sizeof ins);
    strcpy(ins.symbol, "BTCUSDT");
    ins.px_exp = 2;
    ins.qty_exp = 5;
    rs_universe_add(&U, &ins);
    rs_feed_cfg c;
    rs_feed_cfg_default(&c);
    c.depth_book = 1;
    c.trade_gaps = 1;
    F = rs_feed_init(rs_mem_alloc(rs_feed_memsize(), 64, "fuzz feed"), &c, &U);
    MD = malloc(8 << 20);
    MARK = malloc(1 << 20);
    RAW = malloc(1 << 20);
    SNAP = malloc(sizeof(rs_ev_depth) + 4096 * sizeof(rs_level));
}

static void check_book(void)
{
    rs_level lv[RS_FEED_BOOK_LEVELS + 1];
    for (int side = 0; side < 2; side++) {
        uint32_t n = rs_feed_book_levels(F, 0, side, lv, RS_FEED_BOOK_LEVELS + 1);
        if (n > RS_FEED_BOOK_LEVELS)
            abort();
        for (uint32_t i = 0; i < n; i++) {
            if (lv[i].qty <= 0 || lv[i].px <= 0)
                abort();
            if (i && (side ? lv[i].px <= lv[i - 1].px : lv[i].px >= lv[i - 1].px))
                abort();
        }
    }
    int st = rs_feed_book_state(F, 0);
    if (st < 0 || st > 3)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (!F)
        init();
    /* the parser alone on the whole input */
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, data, n);
    rs_dec_err err;
    int rc = rs_fbook_parse_snapshot(p, n, &U.ins[0], SNAP, 4096, &err);
    if (rc == RS_OK) {
        if ((uint32_t)SNAP->n_bids + SNAP->n_asks > 4096 || SNAP->first_update_id != 0)
            abort();
        for (uint32_t i = 0; i < (uint32_t)SNAP->n_bids + SNAP->n_asks; i++)
            if (SNAP->levels[i].px <= 0 || SNAP->levels[i].qty < 0)
                abort();
    } else if (rc != RS_BAD || err.offset > n || err.reason == 0) {
        abort();
    }
    free(p);
    /* messages through the stage */
    rs_emit_buf md, mark, raw;
    rs_emit_buf_init(&md, MD, 8 << 20, RS_STREAM_MD);
    rs_emit_buf_init(&mark, MARK, 1 << 20, RS_STREAM_MARK);
    rs_emit_buf_init(&raw, RAW, 1 << 20, RS_STREAM_RAW);
    rs_feed_out out = {&md.e, &mark.e, &raw.e};
    size_t i = 0;
    int64_t ts = 1700000000000000000ll;
    while (i < n) {
        const uint8_t *e = memchr(data + i, '\n', n - i);
        size_t l = e ? (size_t)(e - (data + i)) : n - i;
        uint8_t *m = malloc(l ? l : 1);
        memcpy(m, data + i, l);
        ts += 1000;
        if (l && m[0] == 'S')
            rc = rs_feed_on_snapshot(F, 0, m + 1, l - 1, ts, &out);
        else
            rc = rs_feed_on_frame(F, (uint32_t)(i & 1), m, l, ts, &out);
        free(m);
        if (rc == RS_FULL) {   /* the md buffer filled up: start over with an empty one */
            rs_emit_buf_init(&md, MD, 8 << 20, RS_STREAM_MD);
            rs_emit_buf_init(&mark, MARK, 1 << 20, RS_STREAM_MARK);
            rs_emit_buf_init(&raw, RAW, 1 << 20, RS_STREAM_RAW);
            if (rs_feed_flush(F, &out) != RS_OK)
                abort();
            continue;   /* retry the same message */
        }
        check_book();
        i += l + 1;
    }
    rs_feed_actions a;
    rs_feed_take_actions(F, &a);
    return 0;
}
