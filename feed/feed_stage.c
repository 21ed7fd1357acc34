/* The feed stage's logic: decode, dedupe, sequence checks, marks,
 * watchdogs. Pure: time only from arguments (see feed_stage.h). */
#include <string.h>

#include "ringside/common.h"
#include "ringside/decode.h"
#include "ringside/feed_stage.h"
#include "feed_book.h"

enum { OUT_MD = 0, OUT_MARK = 1, OUT_RAW = 2 };
enum { C_CLOSED = 0, C_WAIT, C_OK, C_STALE };

/* Seen-id window: bit i of (b1:b0) set means id (max - i) was seen. It tells
 * a duplicate (seen) from a late trade (not seen yet, emitted once) for ids
 * up to RS_FEED_ID_WINDOW behind the newest; older ids cannot be told
 * apart and are dropped as out of order. */
typedef struct idwin {
    uint64_t max, b0, b1;
    uint8_t have;
} idwin;
enum { ID_NEW = 0, ID_LATE, ID_DUP, ID_OLD };

typedef struct fsym {
    idwin trd, agg;
    uint64_t bbo_u, depth_u, synced_id;
    int64_t last_md_ts;
    int64_t last_px, bid_px, ask_px;
    uint32_t last_conn;
    uint8_t bbo_have, depth_have, synced_pending, state, seen;
    uint8_t tgap;                /* trade ids were lost; cleared by the next consecutive trade */
} fsym;

typedef struct fconn {
    int64_t last_rx;
    uint8_t state, venue;
} fconn;

/* Backlog: one input's outputs at most (a raw frame, a depth record and a
 * bad-input record of up to RS_REC_MAX each, plus small records). A
 * snapshot completing a resync emits the snapshot and every buffered diff
 * of its symbol: the diff buffer's size more. */
#define DBUF_CAP (256u * 1024u)
#define BL_CAP (4u * RS_REC_MAX + 65536u + DBUF_CAP + 2u * RS_REC_MAX)

struct rs_feed {
    rs_feed_cfg cfg;
    rs_universe *u;
    rs_decoder dec[4];           /* by enum rs_venue */
    fsym sym[RS_MAX_SYMBOLS];
    fconn conn[RS_FEED_MAX_CONNS];
    int64_t last_tick;
    uint8_t ticked;
    uint8_t direct;              /* last out_claim went straight to the emitter */
    rs_feed_actions act;
    rs_feed_stats st;
    uint32_t bl_head, bl_used, bl_n;
    uint32_t dbuf_used;          /* diffs buffered while their books resync (FIFO, compacted) */
    rs_fbook book[RS_MAX_SYMBOLS];
    rs_decoded dec_out RS_CL_ALIGNED;
    uint8_t backlog[BL_CAP] RS_ALIGNED(8);
    uint8_t dbuf[DBUF_CAP] RS_ALIGNED(8);
};

void rs_feed_cfg_default(rs_feed_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->timer_period_ns = 100000000;
    cfg->sym_stale_ns = 10000000000;
    cfg->conn_stale_ns = 5000000000;
    cfg->bad_max_bytes = 4096;
    cfg->journal_dups = 1;
    cfg->default_venue = RS_VENUE_BINANCE;
}

size_t rs_feed_memsize(void) { return sizeof(rs_feed); }

rs_feed *rs_feed_init(void *mem, const rs_feed_cfg *cfg, rs_universe *u)
{
    if (!mem || ((uintptr_t)mem & 63u)) {
        rs_err_set(RS_EBADCFG, "feed_stage: memory must be 64-byte aligned");
        return NULL;
    }
    if (cfg->timer_period_ns <= 0 || cfg->sym_stale_ns <= 0 || cfg->conn_stale_ns <= 0) {
        rs_err_set(RS_EBADCFG, "feed_stage: timer_period_ns, sym_stale_ns, conn_stale_ns must be > 0");
        return NULL;
    }
    if (cfg->bad_max_bytes > RS_REC_MAX - sizeof(rs_ev_bad_input)) {
        rs_err_set(RS_EBADCFG, "feed_stage: bad_max_bytes must be <= %zu", RS_REC_MAX - sizeof(rs_ev_bad_input));
        return NULL;
    }
    rs_feed *f = mem;
    memset(f, 0, offsetof(rs_feed, dec_out));
    f->cfg = *cfg;
    if (f->cfg.default_venue == 0)
        f->cfg.default_venue = RS_VENUE_BINANCE;
    f->u = u;
    if (rs_decoder_init(&f->dec[RS_VENUE_BINANCE], u, RS_VENUE_BINANCE) < 0 ||
        rs_decoder_init(&f->dec[RS_VENUE_BINANCE_FUT], u, RS_VENUE_BINANCE_FUT) < 0 ||
        rs_decoder_init(&f->dec[RS_VENUE_OKX], u, RS_VENUE_OKX) < 0)
        return NULL;
    if (f->cfg.default_venue > RS_VENUE_OKX) {
        rs_err_set(RS_EBADCFG, "feed_stage: unsupported default venue %u", f->cfg.default_venue);
        return NULL;
    }
    return f;
}

/* ---- output: direct to the emitter, or into the backlog ---------------- */

static rs_emit *em(const rs_feed_out *o, int which)
{
    if (which == OUT_MARK)
        return o->mark;
    if (which == OUT_RAW && o->raw)
        return o->raw;
    return o->md;
}

static rs_rec *out_claim(rs_feed *f, const rs_feed_out *o, int which, uint16_t type, uint32_t len, int64_t ts)
{
    rs_rec *r;
    if (RS_LIKELY(f->bl_n == 0) && (r = rs_emit_claim(em(o, which), type, len))) {
        f->direct = 1;
        r->ts = ts;
        return r;
    }
    /* Keep order per input: once something waits, everything after waits. */
    uint32_t pl = rs_rec_padded(len);
    uint8_t *m = f->backlog + f->bl_used;
    uint32_t hdr[2] = {(uint32_t)which, pl};
    memcpy(m, hdr, sizeof hdr);
    r = (rs_rec *)(void *)(m + 8);
    memset(r, 0, pl);
    r->len = len;
    r->type = type;
    r->ts = ts;
    f->direct = 0;
    return r;
}

static void out_commit(rs_feed *f, const rs_feed_out *o, int which, rs_rec *r)
{
    if (RS_LIKELY(f->direct)) {
        rs_emit_commit(em(o, which), r);
        return;
    }
    f->bl_used += 8 + rs_rec_padded(r->len);
    f->bl_n++;
    f->st.backlog_records++;
}

int rs_feed_flush(rs_feed *f, const rs_feed_out *o)
{
    while (f->bl_head < f->bl_used) {
        const uint8_t *m = f->backlog + f->bl_head;
        uint32_t hdr[2];
        memcpy(hdr, m, sizeof hdr);
        const rs_rec *src = (const rs_rec *)(const void *)(m + 8);
        rs_emit *e = em(o, (int)hdr[0]);
        rs_rec *r = rs_emit_claim(e, src->type, src->len);
        if (!r)
            return RS_FULL;
        /* The emitter owns stream/seq/ts_local; the stage owns the rest. */
        uint16_t stream = r->stream;
        uint64_t seq = r->seq;
        int64_t tsl = r->ts_local;
        memcpy(r, src, src->len);
        r->stream = stream;
        r->seq = seq;
        r->ts_local = tsl;
        rs_emit_commit(e, r);
        f->bl_head += 8 + hdr[1];
        f->bl_n--;
    }
    f->bl_head = f->bl_used = f->bl_n = 0;
    return RS_OK;
}

/* ---- record builders ----------------------------------------------------- */

static void emit_fresh(rs_feed *f, const rs_feed_out *o, uint16_t sym, uint8_t state, uint32_t conn,
                       int64_t last_md_ts, int64_t ts)
{
    for (int which = OUT_MD; which <= OUT_MARK; which++) {
        rs_ev_freshness *x = (rs_ev_freshness *)out_claim(f, o, which, RS_EV_FRESHNESS, sizeof *x, ts);
        x->sym = sym;
        x->state = state;
        x->conn = conn;
        x->last_md_ts = last_md_ts;
        x->age_ns = last_md_ts ? ts - last_md_ts : 0;
        out_commit(f, o, which, &x->h);
    }
}

static void emit_bad(rs_feed *f, const rs_feed_out *o, unsigned reason, const char *field, uint32_t offset,
                     uint32_t conn, const uint8_t *p, size_t n, int64_t ts)
{
    uint32_t keep = n < f->cfg.bad_max_bytes ? (uint32_t)n : f->cfg.bad_max_bytes;
    rs_ev_bad_input *b =
        (rs_ev_bad_input *)out_claim(f, o, OUT_RAW, RS_EV_BAD_INPUT, (uint32_t)sizeof *b + keep, ts);
    b->source = RS_STREAM_MD;
    b->reason = (uint16_t)reason;
    b->conn = conn;
    b->offset = offset;
    b->n = keep;
    size_t fl = strnlen(field, sizeof b->field - 1);
    memcpy(b->field, field, fl);
    memcpy(b->data, p, keep);
    out_commit(f, o, OUT_RAW, &b->h);
}

static void emit_mark(rs_feed *f, const rs_feed_out *o, uint16_t sym, const fsym *s, int64_t ts)
{
    rs_ev_mark *m = (rs_ev_mark *)out_claim(f, o, OUT_MARK, RS_EV_MARK, sizeof *m, ts);
    m->sym = sym;
    m->last_px = s->last_px;
    m->bid_px = s->bid_px;
    m->ask_px = s->ask_px;
    m->md_ts = ts;
    out_commit(f, o, OUT_MARK, &m->h);
    f->st.marks++;
}

static void book_wait(rs_feed *f, uint16_t sym);

/* A symbol produced market data at ts: it is fresh again if it was not. */
static void sym_touch(rs_feed *f, const rs_feed_out *o, uint16_t sym, uint32_t conn, int64_t ts)
{
    fsym *s = &f->sym[sym];
    if (RS_UNLIKELY(s->state != RS_FRESH_OK)) {
        if (s->tgap || f->book[sym].state == RS_FBOOK_SYNCING || f->book[sym].state == RS_FBOOK_WAIT) {
            /* data flows but the book is not usable: the symbol stays GAP */
            if (s->state != RS_FRESH_GAP)
                emit_fresh(f, o, sym, RS_FRESH_GAP, conn, s->last_md_ts, ts);
            s->state = RS_FRESH_GAP;
        } else {
            emit_fresh(f, o, sym, RS_FRESH_OK, conn, s->last_md_ts, ts);
            s->state = RS_FRESH_OK;
        }
    }
    s->seen = 1;
    s->last_md_ts = ts;
    s->last_conn = conn;
}

static int idwin_check(idwin *w, uint64_t id)
{
    if (RS_UNLIKELY(!w->have)) {
        w->have = 1;
        w->max = id;
        w->b0 = 1;
        w->b1 = 0;
        return ID_NEW;
    }
    if (RS_LIKELY(id > w->max)) {
        uint64_t s = id - w->max;
        if (s >= 128) {
            w->b0 = w->b1 = 0;
        } else if (s >= 64) {
            w->b1 = w->b0 << (s - 64);
            w->b0 = 0;
        } else {
            w->b1 = (w->b1 << s) | (w->b0 >> (64 - s));
            w->b0 <<= s;
        }
        w->b0 |= 1;
        w->max = id;
        return ID_NEW;
    }
    uint64_t d = w->max - id;
    if (d >= RS_FEED_ID_WINDOW)
        return ID_OLD;
    uint64_t *word = d < 64 ? &w->b0 : &w->b1;
    uint64_t bit = 1ull << (d & 63);
    if (*word & bit)
        return ID_DUP;
    *word |= bit;
    return ID_LATE;
}

static void on_trade(rs_feed *f, const rs_feed_out *o, const rs_ev_trade *t, uint32_t conn, const uint8_t *p,
                     size_t n, int64_t ts)
{
    fsym *s = &f->sym[t->sym];
    idwin *w = (t->flags & RS_TRADE_F_AGG) ? &s->agg : &s->trd;
    uint64_t missed = w->have && t->trade_id > w->max + 1 ? t->trade_id - w->max - 1 : 0;
    int v = idwin_check(w, t->trade_id);
    if (RS_UNLIKELY(v >= ID_DUP)) {
        if (v == ID_DUP)
            f->st.dup_trades++;
        else
            f->st.old_trades++;
        if (f->cfg.journal_dups)
            emit_bad(f, o, v == ID_DUP ? RS_BAD_DUPLICATE : RS_BAD_OUT_OF_ORDER, "trade_id", 0, conn, p, n, ts);
        return;
    }
    if (RS_UNLIKELY(missed) && f->cfg.trade_gaps && t->venue != RS_VENUE_OKX) {
        /* Binance trade and aggTrade ids are consecutive per symbol: ids were
         * lost (a venue gap, a stall, a reconnect). The symbol is GAP (the
         * bar that should have held them gets flagged downstream) until the
         * next consecutive trade. offset = how many ids are missing. */
        f->st.trade_gaps++;
        f->st.trades_missed += missed;
        emit_bad(f, o, RS_BAD_SEQ_GAP, "trade_id", (uint32_t)(missed > UINT32_MAX ? UINT32_MAX : missed), conn, p,
                 n, ts);
        if (s->state != RS_FRESH_GAP)
            emit_fresh(f, o, t->sym, RS_FRESH_GAP, conn, s->last_md_ts, ts);
        s->state = RS_FRESH_GAP;
        s->tgap = 1;
        book_wait(f, t->sym);   /* depth diffs may have been lost with the trades */
        s->seen = 1;
        s->last_md_ts = ts;
        s->last_conn = conn;
    } else {
        if (v == ID_NEW)
            s->tgap = 0;
        sym_touch(f, o, t->sym, conn, ts);
    }
    rs_ev_trade *r = (rs_ev_trade *)out_claim(f, o, OUT_MD, RS_EV_TRADE, sizeof *r, ts);
    memcpy((uint8_t *)r + sizeof(rs_rec), (const uint8_t *)t + sizeof(rs_rec), sizeof *r - sizeof(rs_rec));
    out_commit(f, o, OUT_MD, &r->h);
    f->st.trades++;
    if (RS_UNLIKELY(v == ID_LATE)) {
        f->st.late_trades++;   /* a real trade, counted once; too old to move the mark */
        return;
    }
    if (t->px != s->last_px) {
        s->last_px = t->px;
        emit_mark(f, o, t->sym, s, ts);
    }
}

static void on_bbo(rs_feed *f, const rs_feed_out *o, const rs_ev_bbo *b, uint32_t conn, int64_t ts)
{
    fsym *s = &f->sym[b->sym];
    if (s->bbo_have && b->update_id <= s->bbo_u) {   /* duplicate (second connection) or older */
        f->st.stale_bbo++;
        return;
    }
    s->bbo_have = 1;
    s->bbo_u = b->update_id;
    sym_touch(f, o, b->sym, conn, ts);
    rs_ev_bbo *r = (rs_ev_bbo *)out_claim(f, o, OUT_MD, RS_EV_BBO, sizeof *r, ts);
    memcpy((uint8_t *)r + sizeof(rs_rec), (const uint8_t *)b + sizeof(rs_rec), sizeof *r - sizeof(rs_rec));
    out_commit(f, o, OUT_MD, &r->h);
    f->st.bbos++;
    if (b->bid_px != s->bid_px || b->ask_px != s->ask_px) {
        s->bid_px = b->bid_px;
        s->ask_px = b->ask_px;
        emit_mark(f, o, b->sym, s, ts);
    }
}

static void book_on_depth(rs_feed *f, const rs_feed_out *o, const rs_ev_depth *x, uint32_t len, uint32_t conn,
                          int64_t ts);

static void on_depth(rs_feed *f, const rs_feed_out *o, const rs_ev_depth *x, uint32_t len, uint32_t conn,
                     int64_t ts)
{
    if (f->cfg.depth_book) {
        book_on_depth(f, o, x, len, conn, ts);
        return;
    }
    fsym *s = &f->sym[x->sym];
    uint64_t U = x->first_update_id, u = x->final_update_id;
    int gap = 0;
    if (s->synced_pending) {
        /* First diff after a snapshot must bridge the snapshot's id. */
        if (u <= s->synced_id) {
            f->st.stale_depth++;
            return;
        }
        gap = U > s->synced_id + 1;
        s->synced_pending = 0;
    } else if (s->depth_have) {
        if (u <= s->depth_u) {   /* already applied (duplicate connection) or older */
            f->st.stale_depth++;
            return;
        }
        /* USD-M futures chain with pu (= previous u); spot with U. */
        gap = x->prev_final_update_id ? x->prev_final_update_id != s->depth_u : U > s->depth_u + 1;
    }
    sym_touch(f, o, x->sym, conn, ts);
    if (gap) {
        f->st.depth_gaps++;
        f->st.resyncs_requested++;
        f->act.resync |= 1ull << x->sym;
        emit_fresh(f, o, x->sym, RS_FRESH_GAP, conn, s->last_md_ts, ts);
    }
    s->depth_have = 1;
    s->depth_u = u;
    rs_rec *r = out_claim(f, o, OUT_MD, RS_EV_DEPTH, len, ts);
    memcpy((uint8_t *)r + sizeof(rs_rec), (const uint8_t *)x + sizeof(rs_rec), len - sizeof(rs_rec));
    out_commit(f, o, OUT_MD, r);
    f->st.depths++;
}

static int conn_ok(rs_feed *f, const rs_feed_out *o, uint32_t conn, int64_t ts)
{
    fconn *c = &f->conn[conn];
    if (RS_UNLIKELY(c->state != C_OK)) {
        if (c->state == C_CLOSED)
            c->venue = f->cfg.default_venue;
        emit_fresh(f, o, RS_FEED_SYM_ALL, RS_FRESH_OK, conn, c->last_rx, ts);
        c->state = C_OK;
    }
    c->last_rx = ts;
    return c->venue;
}

int rs_feed_on_frame(rs_feed *f, uint32_t conn, const uint8_t *p, size_t n, int64_t rx_ns, const rs_feed_out *o)
{
    if (RS_UNLIKELY(f->bl_n) && rs_feed_flush(f, o) != RS_OK)
        return RS_FULL;
    f->st.frames++;
    f->st.bytes += n;
    if (RS_UNLIKELY(conn >= RS_FEED_MAX_CONNS)) {
        f->st.bad++;
        f->st.bad_by_reason[RS_BAD_PROTOCOL]++;
        emit_bad(f, o, RS_BAD_PROTOCOL, "conn", 0, conn, p, n, rx_ns);
        return RS_OK;
    }
    int venue = conn_ok(f, o, conn, rx_ns);
    if (f->cfg.journal_raw) {
        uint32_t keep = n < RS_FEED_MAX_FRAME ? (uint32_t)n : (uint32_t)RS_FEED_MAX_FRAME;
        rs_ev_raw *r = (rs_ev_raw *)out_claim(f, o, OUT_RAW, RS_EV_RAW_FRAME, (uint32_t)sizeof *r + keep, rx_ns);
        r->conn = conn;
        r->n = keep;
        memcpy(r->data, p, keep);
        out_commit(f, o, OUT_RAW, &r->h);
    }
    rs_decoded *d = &f->dec_out;
    int rc;
    if (RS_UNLIKELY(n > RS_FEED_MAX_FRAME)) {
        rc = RS_BAD;
        d->err.reason = RS_BAD_TOO_LARGE;
        d->err.offset = 0;
        d->err.field[0] = '\0';
    } else {
        rc = rs_decode(&f->dec[venue], p, n, d);
    }
    if (RS_UNLIKELY(rc != RS_OK)) {
        unsigned reason = rc == RS_AGAIN ? RS_BAD_SYNTAX : d->err.reason;
        f->st.bad++;
        f->st.bad_by_reason[reason & 15]++;
        emit_bad(f, o, reason, rc == RS_AGAIN ? "(truncated)" : d->err.field, d->err.offset, conn, p, n, rx_ns);
        return RS_OK;
    }
    switch (d->kind) {
    case RS_DEC_TRADE:
        for (unsigned i = 0; i < d->n_trades; i++)
            on_trade(f, o, &d->trades[i], conn, p, n, rx_ns);
        break;
    case RS_DEC_BBO:
        on_bbo(f, o, &d->bbo, conn, rx_ns);
        break;
    case RS_DEC_DEPTH:
        on_depth(f, o, rs_decoded_depth_c(d), rs_decoded_depth_len(d), conn, rx_ns);
        break;
    case RS_DEC_CONTROL:
        f->st.control++;
        break;
    default:
        f->st.other++;
        break;
    }
    return RS_OK;
}

int rs_feed_conn_open(rs_feed *f, uint32_t conn, uint8_t venue, int64_t ts, const rs_feed_out *o)
{
    if (conn >= RS_FEED_MAX_CONNS || (venue && venue != RS_VENUE_BINANCE && venue != RS_VENUE_BINANCE_FUT &&
                                      venue != RS_VENUE_OKX))
        return RS_BAD;
    if (f->bl_n && rs_feed_flush(f, o) != RS_OK)
        return RS_FULL;
    fconn *c = &f->conn[conn];
    c->venue = venue ? venue : f->cfg.default_venue;
    c->state = C_WAIT;   /* OK is published with the first frame */
    c->last_rx = ts;
    return RS_OK;
}

int rs_feed_conn_close(rs_feed *f, uint32_t conn, int64_t ts, const rs_feed_out *o)
{
    if (conn >= RS_FEED_MAX_CONNS)
        return RS_BAD;
    if (f->bl_n && rs_feed_flush(f, o) != RS_OK)
        return RS_FULL;
    fconn *c = &f->conn[conn];
    if (c->state != C_CLOSED)
        emit_fresh(f, o, RS_FEED_SYM_ALL, RS_FRESH_DISCONNECTED, conn, c->last_rx, ts);
    c->state = C_CLOSED;
    if (f->cfg.depth_book) {
        /* With no connection left, diffs are being missed: the books cannot
         * be trusted until a resync proves them (a planned rotation keeps
         * the other connection open and the books live). */
        int open = 0;
        for (uint32_t k = 0; k < RS_FEED_MAX_CONNS; k++)
            open |= f->conn[k].state == C_OK || f->conn[k].state == C_WAIT;
        for (uint16_t i = 0; !open && i < f->u->n && i < RS_MAX_SYMBOLS; i++) {
            rs_fbook *b = &f->book[i];
            if (b->state != RS_FBOOK_LIVE)
                continue;
            book_wait(f, i);
            fsym *s = &f->sym[i];
            if (s->state == RS_FRESH_OK)
                emit_fresh(f, o, i, RS_FRESH_GAP, conn, s->last_md_ts, ts);
            if (s->state != RS_FRESH_STALE)
                s->state = RS_FRESH_GAP;
        }
    }
    return RS_OK;
}

int64_t rs_feed_next_timer_ns(const rs_feed *f)
{
    return f->ticked ? (f->last_tick + 1) * f->cfg.timer_period_ns : INT64_MIN;
}

int rs_feed_on_timer(rs_feed *f, int64_t now, const rs_feed_out *o)
{
    int64_t period = f->cfg.timer_period_ns;
    int64_t tick = now >= 0 ? now / period : -((-now + period - 1) / period);
    if (f->ticked && tick <= f->last_tick)
        return RS_SKIP;
    if (f->bl_n && rs_feed_flush(f, o) != RS_OK)
        return RS_FULL;
    int64_t ts = tick * period;
    f->ticked = 1;
    f->last_tick = tick;
    for (int which = OUT_MD; which <= OUT_MARK; which++) {
        rs_ev_timer *t = (rs_ev_timer *)out_claim(f, o, which, RS_EV_TIMER, sizeof *t, ts);
        t->tick = (uint64_t)tick;
        t->period_ns = period;
        out_commit(f, o, which, &t->h);
    }
    f->st.timers++;
    uint64_t watch = f->cfg.watch_syms ? f->cfg.watch_syms : ~0ull;
    for (uint16_t i = 0; i < f->u->n && i < RS_MAX_SYMBOLS; i++) {
        if (!((watch >> i) & 1u))
            continue;
        fsym *s = &f->sym[i];
        if (!s->seen && s->last_md_ts == 0) {
            s->last_md_ts = ts;   /* never seen: the clock starts at the first tick */
            continue;
        }
        if (s->state == RS_FRESH_OK && ts - s->last_md_ts > f->cfg.sym_stale_ns) {
            s->state = RS_FRESH_STALE;
            book_wait(f, i);   /* silent: its diffs may be lost too */
            f->st.sym_stale++;
            emit_fresh(f, o, i, RS_FRESH_STALE, s->last_conn, s->last_md_ts, ts);
        }
    }
    for (uint32_t c = 0; c < RS_FEED_MAX_CONNS; c++) {
        fconn *k = &f->conn[c];
        if ((k->state == C_OK || k->state == C_WAIT) && ts - k->last_rx > f->cfg.conn_stale_ns) {
            k->state = C_STALE;
            f->st.conn_stale++;
            f->st.reconnects_requested++;
            f->act.reconnect |= 1u << c;
            emit_fresh(f, o, RS_FEED_SYM_ALL, RS_FRESH_STALE, c, k->last_rx, ts);
        }
    }
    return RS_OK;
}

int rs_feed_on_event(rs_feed *f, const rs_rec *in, const rs_feed_out *o)
{
    if (in->type == RS_EV_RAW_FRAME) {
        const rs_ev_raw *r = (const rs_ev_raw *)in;
        if (in->len < sizeof *r || in->len - sizeof *r < r->n)
            return RS_BAD;
        if (r->conn >= RS_FEED_SNAP_CONN && r->conn < RS_FEED_SNAP_CONN + RS_MAX_SYMBOLS)
            return rs_feed_on_snapshot(f, (uint16_t)(r->conn - RS_FEED_SNAP_CONN), r->data, r->n, in->ts, o);
        return rs_feed_on_frame(f, r->conn, r->data, r->n, in->ts, o);
    }
    if (in->type == RS_EV_TIMER)
        return rs_feed_on_timer(f, in->ts, o);
    if (in->type == RS_EV_FRESHNESS && in->len >= sizeof(rs_ev_freshness)) {
        /* connection state from the transport (journaled input) */
        const rs_ev_freshness *x = (const rs_ev_freshness *)in;
        if (x->sym != RS_FEED_SYM_ALL || x->conn >= RS_FEED_MAX_CONNS)
            return RS_SKIP;
        if (x->state == RS_FRESH_OK)
            return rs_feed_conn_open(f, x->conn, 0, in->ts, o);
        if (x->state == RS_FRESH_DISCONNECTED)
            return rs_feed_conn_close(f, x->conn, in->ts, o);
    }
    return RS_SKIP;
}

void rs_feed_depth_synced(rs_feed *f, uint16_t sym, uint64_t last_update_id)
{
    if (sym >= RS_MAX_SYMBOLS)
        return;
    fsym *s = &f->sym[sym];
    s->synced_pending = 1;
    s->synced_id = last_update_id;
    s->depth_have = 1;
    s->depth_u = last_update_id;
    f->act.resync &= ~(1ull << sym);
}

void rs_feed_take_actions(rs_feed *f, rs_feed_actions *a)
{
    *a = f->act;
    memset(&f->act, 0, sizeof f->act);
}

const rs_feed_stats *rs_feed_get_stats(const rs_feed *f) { return &f->st; }

int rs_feed_sym_state(const rs_feed *f, uint16_t sym)
{
    return sym < RS_MAX_SYMBOLS ? f->sym[sym].state : RS_FRESH_DISCONNECTED;
}

int rs_feed_conn_state(const rs_feed *f, uint32_t conn)
{
    if (conn >= RS_FEED_MAX_CONNS)
        return RS_FRESH_DISCONNECTED;
    switch (f->conn[conn].state) {
    case C_OK: case C_WAIT: return RS_FRESH_OK;
    case C_STALE: return RS_FRESH_STALE;
    default: return RS_FRESH_DISCONNECTED;
    }
}

/* ---- depth book and resync (cfg.depth_book; see feed_stage.h) ------------- */

typedef struct dent {           /* a buffered diff: header, then the record */
    uint32_t size;              /* bytes of this entry, padded */
    uint32_t len;               /* record length */
    int64_t ts;
} dent;

static rs_ev_depth *dent_rec(dent *e) { return (rs_ev_depth *)(void *)(e + 1); }

static void dbuf_drop_head(rs_feed *f)
{
    dent *e = (dent *)(void *)f->dbuf;
    uint32_t sz = e->size;
    memmove(f->dbuf, f->dbuf + sz, f->dbuf_used - sz);
    f->dbuf_used -= sz;
    f->st.depth_buf_dropped++;
}

static void dbuf_push(rs_feed *f, const rs_ev_depth *x, uint32_t len, int64_t ts)
{
    uint32_t sz = (uint32_t)sizeof(dent) + rs_rec_padded(len);
    if (sz > DBUF_CAP) {
        f->st.depth_buf_dropped++;
        return;
    }
    /* Oldest first: a book whose snapshot takes this long fails its bridge
     * check and asks again, which is the documented recovery. */
    while (f->dbuf_used + sz > DBUF_CAP)
        dbuf_drop_head(f);
    dent *e = (dent *)(void *)(f->dbuf + f->dbuf_used);
    e->size = sz;
    e->len = len;
    e->ts = ts;
    memcpy(dent_rec(e), x, len);
    f->dbuf_used += sz;
    f->st.depth_buffered++;
}

static int is_fut(const rs_ev_depth *x) { return x->venue == RS_VENUE_BINANCE_FUT || x->prev_final_update_id != 0; }

/* Does diff x continue book b (live)? 1 yes, 0 already applied, -1 gap. */
static int book_chain(const rs_fbook *b, const rs_ev_depth *x)
{
    uint64_t U = x->first_update_id, u = x->final_update_id, L = b->id;
    if (b->bridge) {
        /* first diff after the snapshot: spot U <= L+1 <= u, futures U <= L <= u */
        if (is_fut(x)) {
            if (u < L)
                return 0;
            return U <= L ? 1 : -1;
        }
        if (u <= L)
            return 0;
        return U <= L + 1 ? 1 : -1;
    }
    if (u <= L)
        return 0;
    if (is_fut(x))
        return x->prev_final_update_id == L ? 1 : -1;
    return U <= L + 1 ? 1 : -1;
}

static void book_mark(rs_feed *f, const rs_feed_out *o, uint16_t sym, int64_t ts)
{
    fsym *s = &f->sym[sym];
    if (s->bbo_have)
        return;   /* the bookTicker stream is the faster top of book */
    const rs_fbook *b = &f->book[sym];
    int64_t bid = b->nb ? b->bid[0].px : 0, ask = b->na ? b->ask[0].px : 0;
    if (bid != s->bid_px || ask != s->ask_px) {
        s->bid_px = bid;
        s->ask_px = ask;
        emit_mark(f, o, sym, s, ts);
    }
}

static void book_apply_emit(rs_feed *f, const rs_feed_out *o, const rs_ev_depth *x, uint32_t len, int64_t ts)
{
    rs_fbook *b = &f->book[x->sym];
    rs_fbook_apply(b, x);
    b->id = x->final_update_id;
    b->bridge = 0;
    rs_rec *r = out_claim(f, o, OUT_MD, RS_EV_DEPTH, len, ts);
    memcpy((uint8_t *)r + sizeof(rs_rec), (const uint8_t *)x + sizeof(rs_rec), len - sizeof(rs_rec));
    out_commit(f, o, OUT_MD, r);
    f->st.depths++;
}

/* The book of sym is invalid: buffer from here and ask for a snapshot. */
static void book_invalidate(rs_feed *f, const rs_feed_out *o, uint16_t sym, uint32_t conn, int64_t ts)
{
    rs_fbook *b = &f->book[sym];
    fsym *s = &f->sym[sym];
    b->state = RS_FBOOK_SYNCING;
    b->bridge = 0;
    rs_fbook_clear(b);
    f->st.resyncs_requested++;
    f->act.resync |= 1ull << sym;
    if (s->state != RS_FRESH_GAP)
        emit_fresh(f, o, sym, RS_FRESH_GAP, conn, s->last_md_ts, ts);
    s->state = RS_FRESH_GAP;
}

/* A live book whose continuity is in doubt (its connection, its symbol or
 * its trades went missing): unusable until the next diff proves the chain
 * (then live again, no snapshot needed) or breaks it (then a resync). */
static void book_wait(rs_feed *f, uint16_t sym)
{
    rs_fbook *b = &f->book[sym];
    if (f->cfg.depth_book && b->state == RS_FBOOK_LIVE)
        b->state = RS_FBOOK_WAIT;
}

static void book_on_depth(rs_feed *f, const rs_feed_out *o, const rs_ev_depth *x, uint32_t len, uint32_t conn,
                          int64_t ts)
{
    rs_fbook *b = &f->book[x->sym];
    fsym *s = &f->sym[x->sym];
    b->venue = x->venue;
    if (b->state == RS_FBOOK_LIVE || b->state == RS_FBOOK_WAIT) {
        int c = book_chain(b, x);
        if (c == 0) {   /* already applied (second connection) or older */
            f->st.stale_depth++;
            return;
        }
        if (c > 0)
            b->state = RS_FBOOK_LIVE;   /* the chain holds: usable (again) */
        sym_touch(f, o, x->sym, conn, ts);
        if (c > 0) {
            book_apply_emit(f, o, x, len, ts);
            book_mark(f, o, x->sym, ts);
            return;
        }
        f->st.depth_gaps++;
    }
    if (b->state != RS_FBOOK_SYNCING)
        book_invalidate(f, o, x->sym, conn, ts);
    sym_touch(f, o, x->sym, conn, ts);
    s->depth_have = 1;
    s->depth_u = x->final_update_id;
    dbuf_push(f, x, len, ts);
}

int rs_feed_on_snapshot(rs_feed *f, uint16_t sym, const uint8_t *p, size_t n, int64_t ts, const rs_feed_out *o)
{
    if (sym >= RS_MAX_SYMBOLS || sym >= f->u->n)
        return RS_BAD;
    if (f->bl_n && rs_feed_flush(f, o) != RS_OK)
        return RS_FULL;
    rs_fbook *b = &f->book[sym];
    fsym *s = &f->sym[sym];
    f->st.snapshots++;
    if (b->state != RS_FBOOK_SYNCING) {
        f->st.snapshots_unsolicited++;   /* late duplicate of a finished resync */
        return RS_OK;
    }
    rs_ev_depth *snap = rs_decoded_depth(&f->dec_out);
    rs_dec_err err;
    uint32_t cap = (uint32_t)RS_DEC_MAX_LEVELS;
    if (rs_fbook_parse_snapshot(p, n, &f->u->ins[sym], snap, cap, &err) != RS_OK) {
        /* a failed fetch (HTTP error, venue error body) or a bad body: say
         * so, and ask again */
        f->st.snapshots_bad++;
        f->st.bad++;
        f->st.bad_by_reason[err.reason & 15]++;
        emit_bad(f, o, err.reason, "snapshot", err.offset, RS_FEED_SNAP_CONN + sym, p, n, ts);
        f->act.resync |= 1ull << sym;
        f->st.resyncs_requested++;
        return RS_OK;
    }
    snap->sym = sym;
    uint64_t L = snap->final_update_id;
    /* Drop buffered diffs the snapshot already contains; the first one left
     * must bridge it, else the snapshot is older than what we buffered. */
    int fut = 0;
    dent *first = NULL;
    for (uint32_t r = 0; r < f->dbuf_used;) {
        dent *e = (dent *)(void *)(f->dbuf + r);
        r += e->size;
        const rs_ev_depth *x = dent_rec(e);
        if (x->sym != sym)
            continue;
        fut = is_fut(x);
        if (fut ? x->final_update_id < L : x->final_update_id <= L)
            continue;
        first = e;
        break;
    }
    if (first) {
        const rs_ev_depth *x = dent_rec(first);
        int ok = fut ? x->first_update_id <= L : x->first_update_id <= L + 1;
        if (!ok) {
            f->st.snapshots_old++;
            f->act.resync |= 1ull << sym;
            f->st.resyncs_requested++;
            return RS_OK;
        }
    }
    /* The book is the snapshot (as deep as we keep it) ... */
    snap->venue = b->venue;
    rs_fbook_clear(b);
    rs_fbook_apply(b, snap);
    b->id = L;
    b->bridge = 1;
    {
        uint32_t nb = b->nb, na = b->na;
        uint32_t len = (uint32_t)(sizeof(rs_ev_depth) + (nb + na) * sizeof(rs_level));
        rs_ev_depth *r = (rs_ev_depth *)out_claim(f, o, OUT_MD, RS_EV_DEPTH, len, ts);
        r->sym = sym;
        r->venue = snap->venue;
        r->n_bids = (uint16_t)nb;
        r->n_asks = (uint16_t)na;
        r->first_update_id = 0;
        r->final_update_id = L;
        r->prev_final_update_id = 0;
        r->event_ms = 0;
        memcpy(r->levels, b->bid, nb * sizeof(rs_level));
        memcpy(r->levels + nb, b->ask, na * sizeof(rs_level));
        out_commit(f, o, OUT_MD, &r->h);
        f->st.depths++;
    }
    /* ... then the buffered diffs in order, each checked against the chain. */
    b->state = RS_FBOOK_LIVE;
    int broken = 0;
    uint32_t w = 0;
    for (uint32_t r = 0; r < f->dbuf_used;) {
        dent *e = (dent *)(void *)(f->dbuf + r);
        uint32_t sz = e->size;
        r += sz;
        rs_ev_depth *x = dent_rec(e);
        int keep = 0;
        if (x->sym == sym) {
            if (!broken) {
                int c = book_chain(b, x);
                if (c > 0) {
                    book_apply_emit(f, o, x, e->len, ts);
                } else if (c < 0) {
                    /* a gap inside the buffer: this diff starts the next resync */
                    broken = 1;
                    f->st.depth_gaps++;
                    keep = 1;
                }
            } else {
                keep = 1;
            }
        } else {
            keep = 1;
        }
        if (keep) {
            if (w != r - sz)
                memmove(f->dbuf + w, f->dbuf + (r - sz), sz);
            w += sz;
        }
    }
    f->dbuf_used = w;
    if (broken) {
        book_invalidate(f, o, sym, s->last_conn, ts);
        return RS_OK;
    }
    f->st.resyncs_done++;
    f->act.resync &= ~(1ull << sym);
    book_mark(f, o, sym, ts);
    if (s->state != RS_FRESH_OK) {
        /* OK again only if data is flowing (not silent past the threshold) */
        if (s->state == RS_FRESH_GAP) {
            emit_fresh(f, o, sym, RS_FRESH_OK, s->last_conn, s->last_md_ts, ts);
            s->state = RS_FRESH_OK;
        }
    }
    return RS_OK;
}

int rs_feed_book_state(const rs_feed *f, uint16_t sym)
{
    return sym < RS_MAX_SYMBOLS ? f->book[sym].state : RS_FBOOK_NONE;
}

uint64_t rs_feed_book_top(const rs_feed *f, uint16_t sym, rs_level *bid, rs_level *ask)
{
    static const rs_level none = {0, 0};
    if (sym >= RS_MAX_SYMBOLS) {
        *bid = *ask = none;
        return 0;
    }
    const rs_fbook *b = &f->book[sym];
    *bid = b->nb ? b->bid[0] : none;
    *ask = b->na ? b->ask[0] : none;
    return b->id;
}

uint32_t rs_feed_book_levels(const rs_feed *f, uint16_t sym, int side, rs_level *out, uint32_t cap)
{
    if (sym >= RS_MAX_SYMBOLS)
        return 0;
    const rs_fbook *b = &f->book[sym];
    uint32_t n = side ? b->na : b->nb;
    if (n > cap)
        n = cap;
    memcpy(out, side ? b->ask : b->bid, n * sizeof *out);
    return n;
}
