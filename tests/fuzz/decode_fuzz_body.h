/* Body shared by the venue decoder fuzz targets (fuzz_decode_<venue>.c define
 * FUZZ_VENUE and include this): the decoder on arbitrary bytes, then the same
 * bytes through the feed stage. Checks: no crash / overread (ASan; the input is
 * copied to an exact-size heap buffer), a verdict for every input, OK only with
 * consumed == n, error offsets inside the input, and records that respect
 * their invariants; the fast paths agree with the validating scanner; the
 * shape cache (feed/decode_spec.h) agrees with the reference path
 * (no_spec) on the input once learned and on digit rewrites of it. */
#ifndef FUZZ_VENUE
#error "define FUZZ_VENUE before including decode_fuzz_body.h"
#endif
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../feed/decode_spec.h"   /* sp_forget */
#include "ringside/decode.h"
#include "ringside/feed_stage.h"
#include "ringside/mem.h"

static rs_universe U;
static rs_decoder D, DR;   /* DR: the reference path, no shape cache */
static rs_decoded *OUT, *OUT2;
static rs_feed *F;
static uint8_t *MD, *MARK;

static void init(void)
{
    const char *syms[] = {"BTCUSDT", "ETHUSDT", "BNBBTC", "BNBUSDT", "BTC-USDT", "ETH-USDT"};
    for (unsigned i = 0; i < sizeof syms / sizeof syms[0]; i++) {
        rs_instrument ins;
        memset(&ins, 0, sizeof ins);
        strcpy(ins.symbol, syms[i]);
        ins.px_exp = (uint8_t)(2 + i);
        ins.qty_exp = 8;
        rs_universe_add(&U, &ins);
    }
    rs_decoder_init(&D, &U, FUZZ_VENUE);
    rs_decoder_init(&DR, &U, FUZZ_VENUE);
    DR.no_spec = 1;
    OUT = calloc(1, sizeof *OUT);
    OUT2 = calloc(1, sizeof *OUT2);
    rs_feed_cfg c;
    rs_feed_cfg_default(&c);
    c.default_venue = FUZZ_VENUE;
    F = rs_feed_init(rs_mem_alloc(rs_feed_memsize(), 64, "fuzz feed"), &c, &U);
    MD = malloc(1 << 20);
    MARK = malloc(1 << 20);
}

/* Same records from both decodes (OK results). */
static int same_ok(const rs_decoded *a, const rs_decoded *b)
{
    if (a->kind != b->kind || a->n_trades != b->n_trades)
        return 0;
    if (a->kind == RS_DEC_TRADE && memcmp(a->trades, b->trades, a->n_trades * sizeof(rs_ev_trade)))
        return 0;
    if (a->kind == RS_DEC_BBO && memcmp(&a->bbo, &b->bbo, sizeof a->bbo))
        return 0;
    if (a->kind == RS_DEC_DEPTH &&
        (rs_decoded_depth_len(a) != rs_decoded_depth_len(b) ||
         memcmp(a->depth_mem, b->depth_mem, rs_decoded_depth_len(a))))
        return 0;
    return 1;
}

/* q[0..n) through D (shape cache) and DR (reference): same verdict, same
 * records, same error. */
static void spec_cmp(const uint8_t *q, size_t n)
{
    int a = rs_decode(&D, q, n, OUT);
    int b = rs_decode(&DR, q, n, OUT2);
    if (a != b)
        abort();
    if (a == RS_BAD && (OUT->err.reason != OUT2->err.reason || OUT->err.offset != OUT2->err.offset ||
                        strcmp(OUT->err.field, OUT2->err.field)))
        abort();
    if (a == RS_OK && (!same_ok(OUT, OUT2) || OUT->sym != OUT2->sym || OUT->consumed != OUT2->consumed ||
                       OUT->first_trade_id != OUT2->first_trade_id || OUT->last_trade_id != OUT2->last_trade_id))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
    if (!OUT)
        init();
    uint8_t *p = malloc(n ? n : 1);
    memcpy(p, data, n);
    sp_forget(&D, n);   /* learn this input's shape (if the template takes it) */
    int rc = rs_decode(&D, p, n, OUT);
    if (rc == RS_OK) {
        if (OUT->consumed != n)
            abort();
        if (OUT->kind == RS_DEC_TRADE) {
            if (OUT->n_trades == 0 || OUT->n_trades > RS_DEC_MAX_TRADES)
                abort();
            for (unsigned i = 0; i < OUT->n_trades; i++)
                if (OUT->trades[i].px <= 0 || OUT->trades[i].qty <= 0 || OUT->trades[i].sym >= U.n)
                    abort();
        }
        if (OUT->kind == RS_DEC_DEPTH && rs_decoded_depth_len(OUT) > RS_REC_MAX)
            abort();
    } else if (rc == RS_BAD) {
        if (OUT->err.offset > n || OUT->err.reason == 0 || OUT->err.reason > RS_BAD_LATE)
            abort();
    } else if (rc != RS_AGAIN) {
        abort();
    }
    /* differential: the same bytes after one space take only the
     * validating scanner; the fast paths must agree with it */
    uint8_t *sp = malloc(n + 1);
    sp[0] = ' ';
    memcpy(sp + 1, data, n);
    int rc2 = rs_decode(&D, sp, n + 1, OUT2);
    free(sp);
    if (rc2 != rc)
        abort();
    if (rc == RS_BAD && OUT2->err.reason != OUT->err.reason)
        abort();
    if (rc == RS_OK && !same_ok(OUT, OUT2))
        abort();
    /* the shape cache: the input again (covered by its shape now), then the
     * input with its digits rewritten (rotations keyed by the input, all
     * '0', all '9'): same results as the reference path */
    spec_cmp(p, n);
    uint8_t *v = malloc(n ? n : 1);
    for (unsigned k = 0; k < 5; k++) {
        for (size_t i = 0; i < n; i++) {
            uint8_t ch = p[i];
            if (ch >= '0' && ch <= '9')
                ch = k == 3 ? '0' : k == 4 ? '9' : (uint8_t)('0' + (ch - '0' + 1 + k + data[(i * 7 + k) % n]) % 10);
            v[i] = ch;
        }
        spec_cmp(v, n);
    }
    free(v);
    /* and through the stage (bounded outputs, never RS_FULL here) */
    rs_emit_buf md, mark;
    rs_emit_buf_init(&md, MD, 1 << 20, RS_STREAM_MD);
    rs_emit_buf_init(&mark, MARK, 1 << 20, RS_STREAM_MARK);
    rs_feed_out o = {&md.e, &mark.e, NULL};
    if (rs_feed_on_frame(F, 0, p, n, 1700000000000000000LL, &o) != RS_OK)
        abort();
    free(p);
    return 0;
}
