/* bench/bench_decode_peer.h -- C interface of the simdjson peer
 * (decode_simdjson.cpp) used by bench_decode.c. */
#ifndef RS_BENCH_DECODE_PEER_H
#define RS_BENCH_DECODE_PEER_H

#include <stddef.h>

#include "ringside/decode.h"

#define RS_SJ_MAX_MSGS (16 + 4096)   /* the bench cases + decode_min's synthetic stream */
enum {
    RS_SJ_BN_TRADE = 1, RS_SJ_BN_COMBINED_TRADE, RS_SJ_BN_AGG, RS_SJ_BN_BBO, RS_SJ_BN_DEPTH, RS_SJ_OKX_TRADES,
};

typedef struct rs_sj_ctx rs_sj_ctx;
/* 1 when built with simdjson (RS_HAVE_SIMDJSON), else 0. */
int rs_sj_available(void);
/* simdjson version string ("3.0.1"), or "none". */
const char *rs_sj_version(void);
rs_sj_ctx *rs_sj_create(void);
void rs_sj_destroy(rs_sj_ctx *c);
/* Store message idx (copied once into a simdjson padded string). */
int rs_sj_set(rs_sj_ctx *c, int idx, const char *p, size_t n);
/* Parse message idx as `kind` into out (same records as rs_decode). 0 / -1. */
int rs_sj_decode(rs_sj_ctx *c, int idx, int kind, rs_decoder *d, rs_decoded *out);

#endif
