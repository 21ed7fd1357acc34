/* Simulated order book for the venue simulator's depth stream and REST
 * snapshot (see venue_sim_depth.h). */
#include <stdio.h>
#include <string.h>

#include "ringside/synth.h"
#include "venue_sim_depth.h"

typedef struct vbook {
    int64_t bid[RS_VSD_LEVELS], bq[RS_VSD_LEVELS], ask[RS_VSD_LEVELS], aq[RS_VSD_LEVELS];
    int nb;
} vbook;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    x ^= x >> 33;
    return x;
}

/* The book as a pure function of the last trade. */
static void book_of(const rs_vsd_state *st, vbook *b)
{
    int64_t bid0 = st->m ? st->px : st->px - 1;
    if (bid0 < 1)
        bid0 = 1;
    int64_t step = st->px / 10000;   /* one basis point, in ticks */
    if (step < 1)
        step = 1;
    b->nb = 0;
    for (int k = 0; k < RS_VSD_LEVELS; k++) {
        int64_t px = bid0 - k * step;
        if (px < 1)
            break;
        b->bid[b->nb] = px;
        /* sizes change with the id near the touch, slower deeper */
        b->bq[b->nb] = 1 + (int64_t)(mix((uint64_t)px * 31 + (st->id >> (2 * k))) % 20000);
        b->nb++;
    }
    for (int k = 0; k < RS_VSD_LEVELS; k++) {
        int64_t px = bid0 + 1 + k * step;
        b->ask[k] = px;
        b->aq[k] = 1 + (int64_t)(mix((uint64_t)px * 37 + (st->id >> (2 * k)) + 0x9e37) % 20000);
    }
}

static void touch(rs_vsd_sym *d, int64_t px, uint8_t side)
{
    for (uint32_t i = 0; i < d->nt; i++)
        if (d->t[i].px == px && d->t[i].side == side)
            return;
    if (d->nt < RS_VSD_TOUCH) {
        d->t[d->nt].px = px;
        d->t[d->nt].side = side;
        d->nt++;
    }
}

static void touch_book(rs_vsd_sym *d, const rs_vsd_state *st)
{
    vbook b;
    book_of(st, &b);
    for (int k = 0; k < b.nb; k++)
        touch(d, b.bid[k], 0);
    for (int k = 0; k < RS_VSD_LEVELS; k++)
        touch(d, b.ask[k], 1);
}

static size_t put(char *out, size_t cap, size_t o, const char *fmt_s)
{
    size_t l = strlen(fmt_s);
    if (o + l >= cap)
        return cap;
    memcpy(out + o, fmt_s, l + 1);
    return o + l;
}

static size_t put_level(char *out, size_t cap, size_t o, int first, int64_t px, int px_dec, int64_t q, int qty_dec)
{
    char p[40], s[40], lv[96];
    rs_synth_fmt_dec(px, px_dec, px_dec > 8 ? px_dec : 8, p, sizeof p);
    rs_synth_fmt_dec(q, qty_dec, qty_dec > 8 ? qty_dec : 8, s, sizeof s);
    snprintf(lv, sizeof lv, "%s[\"%s\",\"%s\"]", first ? "" : ",", p, s);
    return put(out, cap, o, lv);
}

/* The open batch as a depthUpdate event. */
static size_t flush(rs_vsd_sym *d, const char *sym_up, int64_t ts_ms, char *out, size_t cap)
{
    vbook b;
    book_of(&d->cur, &b);
    char head[160];
    snprintf(head, sizeof head, "{\"e\":\"depthUpdate\",\"E\":%lld,\"s\":\"%s\",\"U\":%llu,\"u\":%llu,\"b\":[",
             (long long)ts_ms, sym_up, (unsigned long long)d->U, (unsigned long long)d->cur.id);
    size_t o = put(out, cap, 0, head);
    for (int side = 0; side < 2; side++) {
        int first = 1;
        for (uint32_t i = 0; i < d->nt; i++) {
            if (d->t[i].side != side)
                continue;
            int64_t q = 0;
            for (int k = 0; k < (side ? RS_VSD_LEVELS : b.nb); k++)
                if ((side ? b.ask[k] : b.bid[k]) == d->t[i].px)
                    q = side ? b.aq[k] : b.bq[k];
            o = put_level(out, cap, o, first, d->t[i].px, d->px_dec, q, d->qty_dec);
            first = 0;
        }
        o = put(out, cap, o, side ? "]}" : "],\"a\":[");
    }
    d->U = 0;
    d->nt = 0;
    return o < cap ? o : 0;
}

size_t rs_vsd_on_trade(rs_vsd_sym *d, const char *sym_up, int64_t px, bool m, uint64_t id, int64_t ts_ms,
                       int px_dec, int qty_dec, char *out, size_t cap)
{
    size_t n = 0;
    int64_t bucket = ts_ms / RS_VSD_BATCH_MS;
    bool follows = d->cur.have && id == d->cur.id + 1;
    if (d->U && (!follows || bucket != d->bucket || d->nt + 2 * RS_VSD_LEVELS > RS_VSD_TOUCH))
        n = flush(d, sym_up, ts_ms, out, cap);
    d->px_dec = px_dec;
    d->qty_dec = qty_dec;
    if (!d->U) {
        /* a new batch holds every level of the book it starts from */
        d->nt = 0;
        if (d->cur.have && follows)
            touch_book(d, &d->cur);
        d->bucket = bucket;
    }
    bool first = !d->cur.have;
    d->cur.px = px;
    d->cur.m = m;
    d->cur.id = id;
    d->cur.have = true;
    if (first)
        return n;   /* the connection joins here: the first diff starts after this id */
    if (!d->U)
        d->U = id;
    touch_book(d, &d->cur);
    return n;
}

size_t rs_vsd_snapshot(const rs_vsd_state *st, int px_dec, int qty_dec, int limit, char *out, size_t cap)
{
    vbook b;
    book_of(st, &b);
    if (limit <= 0 || limit > RS_VSD_LEVELS)
        limit = RS_VSD_LEVELS;
    char head[64];
    snprintf(head, sizeof head, "{\"lastUpdateId\":%llu,\"bids\":[", (unsigned long long)st->id);
    size_t o = put(out, cap, 0, head);
    for (int k = 0; k < b.nb && k < limit; k++)
        o = put_level(out, cap, o, k == 0, b.bid[k], px_dec, b.bq[k], qty_dec);
    o = put(out, cap, o, "],\"asks\":[");
    for (int k = 0; k < limit; k++)
        o = put_level(out, cap, o, k == 0, b.ask[k], px_dec, b.aq[k], qty_dec);
    o = put(out, cap, o, "]}");
    return o < cap ? o : 0;
}
