/* tests/journal_testgen.h -- deterministic records for journal tests: record
 * number g (1-based, global order) always has the same bytes, so a reader's
 * output can be checked for "nothing lost, nothing invented" without keeping
 * what was written. Header-only; include from one test file. */
#ifndef RS_JOURNAL_TESTGEN_H
#define RS_JOURNAL_TESTGEN_H

#include <stdint.h>
#include <string.h>

#include "ringside/event.h"

#define TG_STREAMS 3

static inline uint64_t tg_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* Stream of record g and its per-stream seq (streams 1..3 in a fixed
 * pattern: g % 3 + 1, so seq = (g - 1) / 3 + 1 for each). */
static inline void tg_make(uint64_t g, uint8_t *buf, uint32_t max_len, uint32_t fixed_len)
{
    uint32_t len = fixed_len ? fixed_len : 32 + (uint32_t)(tg_mix(g) % 240);
    if (len > max_len)
        len = max_len;
    rs_rec *h = (rs_rec *)buf;
    h->len = len;
    static const uint16_t types[] = {RS_EV_TRADE, RS_EV_BBO, RS_EV_ORDER, RS_EV_BAR, RS_EV_DECISION};
    h->type = types[tg_mix(g + 7) % 5];
    h->stream = (uint16_t)((g - 1) % TG_STREAMS + 1);
    h->seq = (g - 1) / TG_STREAMS + 1;
    h->ts = 1700000000000000000ll + (int64_t)g * 1000;
    h->ts_local = h->ts + 17;
    for (uint32_t i = sizeof(rs_rec); i < len; i++)
        buf[i] = (uint8_t)tg_mix(g * 1000003 + i);
}

/* 1 if rec is exactly record g. */
static inline int tg_check(uint64_t g, const rs_rec *rec, uint32_t fixed_len)
{
    uint8_t buf[512];
    tg_make(g, buf, sizeof buf, fixed_len);
    return rec->len == ((rs_rec *)buf)->len && memcmp(rec, buf, rec->len) == 0;
}

#endif
