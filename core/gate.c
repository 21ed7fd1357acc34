/* The gate stage: entry gates, exits, sizing, risk circuits, portfolio.
 *
 * Structure of one call: apply the input to the state, stage every output
 * record in an internal buffer, then copy the staged records to `out`. The
 * staging is what makes the handler restartable: a handler that emits a
 * decision, two cancels and an order cannot "claim before mutating" each of
 * them, so it mutates once and keeps the unsent tail until `out` has room.
 *
 * Order classes decide which circuits may block an order (docs/gate.md):
 *   ENTRY    entries: every gate and circuit applies
 *   EXIT     strategy exits on an opposite signal: as ENTRY but reduce-only
 *   PROTECT  stops, guard, trailing, timed exits, drawdown cuts, operator
 *            flatten: reduce-only market orders that only shrink risk, so
 *            pause, staleness and the rate throttle do not hold them back
 *   KILL     the kill switch's own cancels and flattens
 * The kill switch blocks every class but its own. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/gate.h"

enum { K_ENTRY = 0, K_EXIT, K_PROTECT, K_KILL };
enum { ST_FLAT = 0, ST_ENTERING, ST_OPEN };

#define STAGE_BYTES (96u * 1024u)
#define CTL_RING 64u
#define CONN_MAX 16u
#define NOSYM 0xffffu
#define N_VERDICTS (RS_GATE_COUNT - 1)

typedef struct gord {
    uint64_t id;
    int64_t qty, px;
    int64_t filled;        /* applied from fill reports (and reconciliation) */
    int64_t venue_cum;     /* largest cum_qty the venue reported */
    int64_t last_ts;       /* sent, or last report */
    int64_t next_query_ts;
    uint16_t sym;
    uint8_t used, side, ord_type, tif, purpose, state;
    uint8_t overdue, escalated, cancel_sent, pad;
    uint32_t n_query;
} gord;

/* Orders already released: late or duplicate reports for them must not
 * count twice (the fill stream may deliver after reconciliation). */
typedef struct gdone {
    uint64_t id;
    int64_t filled;
    uint16_t sym;
    uint8_t side, pad[5];
} gdone;
#define DONE_RING 256u

typedef struct gctl {
    uint64_t id, target;
    uint16_t sym;
    uint8_t kind, pad[5];
} gctl;

typedef struct gsym {
    double last_px, bid, ask;
    int64_t md_ts;
    uint8_t have_mark, fresh, state, paused, armed, have_exit;
    int8_t dir;
    uint8_t pad;
    int64_t bar_end;
    uint64_t bar_idx, entry_bar, exit_bar;
    uint32_t n_bars, n_ret;
    double prev_close, atr, tr_sum, var;
    double entry_atr, best_px;
    int8_t votes[RS_GATE_VOTE_MAX];
    uint32_t vote_head, vote_n;
    uint64_t entry_id, close_id, stop_id, tp_id;
    /* internal bar from marks (while no RS_EV_BAR arrives) */
    uint8_t ext_bars, ib_open, pad2[6];
    int64_t ib_id;
    double ib_h, ib_l, ib_c;
    rs_quantile *q;
} gsym;

struct rs_gate {
    rs_gate_params p;
    rs_universe u;
    rs_portfolio pf;
    rs_gate_stats st;
    int64_t now;
    uint64_t seq;
    uint8_t killed, kill_escalated, kill_pending, paused, dd_active, global_fresh;
    uint8_t pending_valid, kill_waiting;
    uint32_t kill_attempt, consec_rejects;
    int64_t kill_next_ts, last_pos_ts;
    int64_t kill_wait_ts;     /* when the kill began waiting on its own orders */
    rs_rate rate;
    gord ord[RS_GATE_MAX_ORDERS];
    /* bit i set <=> ord[i].used: the scans below visit only the tracked
     * orders (typically a handful), in slot order as before, instead of
     * reading all 256 slots (18 KiB) -- n_overdue ran on every prediction
     * and was half of the gate's instructions (callgrind, docs/gate.md, "Measured") */
    uint64_t used_bits[RS_GATE_MAX_ORDERS / 64];
    gctl ctl[CTL_RING];
    uint32_t ctl_head, done_head;
    uint32_t conn_id[CONN_MAX];
    uint8_t conn_used[CONN_MAX], conn_state[CONN_MAX];
    gdone done[DONE_RING];
    gsym s[RS_MAX_SYMBOLS];
    /* staging of output (see the top of this file) */
    rs_emit_buf stage;
    size_t flush_off;
    struct {
        uint16_t type, stream;
        uint64_t seq;
        int64_t ts;
        int rc;
    } pend;
    uint8_t stage_mem[STAGE_BYTES] RS_ALIGNED(8);
    /* per-symbol quantile windows follow */
};

const char *rs_gate_name(uint16_t id)
{
    static const char *const n[RS_GATE_COUNT] = {
        [RS_GATE_NONE] = "none",         [RS_GATE_READY] = "ready",       [RS_GATE_WARMUP] = "warmup",
        [RS_GATE_SIGMA] = "sigma",       [RS_GATE_ZEDGE] = "zedge",       [RS_GATE_EV] = "ev",
        [RS_GATE_QUANTILE] = "quantile", [RS_GATE_VOTE] = "vote",         [RS_GATE_COOLDOWN] = "cooldown",
        [RS_GATE_RISK] = "risk",         [RS_GATE_FRESH_MD] = "fresh_md", [RS_GATE_FRESH_POS] = "fresh_pos",
        [RS_GATE_POSITION] = "position", [RS_GATE_SIZE] = "size",         [RS_GATE_LIMITS] = "limits",
    };
    return id < RS_GATE_COUNT ? n[id] : "?";
}

/* ---- params ----------------------------------------------------------------- */

void rs_gate_params_default(rs_gate_params *p)
{
    memset(p, 0, sizeof *p);
    p->instance = 1;
    p->capital = 10000.0;
    p->z_min = 1.0;
    p->cost_bps[RS_VENUE_SIM] = 20.0;
    p->cost_bps[RS_VENUE_BINANCE] = 20.0;
    p->cost_bps[RS_VENUE_BINANCE_FUT] = 12.0;
    p->cost_bps[RS_VENUE_OKX] = 20.0;
    p->ev_margin_bps = 0.0;
    p->q_window = 288;
    p->q_min_count = 48;
    p->q_tail = 0.2;
    p->warmup_bars = 30;
    p->atr_n = 14;
    p->sigma_n = 20;
    p->sigma_floor_bps = 5.0;
    p->vote_k = 3;
    p->vote_min = 2;
    p->cooldown_bars = 2;
    p->stop_atr = 2.0;
    p->tp_atr = 3.0;
    p->oco_delay_bars = 1;
    p->max_hold_bars = 12;
    p->trail_atr = 0.0;
    p->guard_atr = 6.0;
    p->guard_pct = 0.10;
    p->exit_on_signal = 1;
    p->risk_frac = 0.10;
    p->edge_cap = 2.0;
    p->max_weight = 0.25;
    p->min_trade_notional = 10.0;
    p->entry_slip_bps = 5.0;
    p->lim.max_order_notional = 5000.0;
    p->lim.max_pos_notional = 5000.0;
    p->lim.max_gross_notional = 20000.0;
    p->lim.collar_bps = 50.0;
    p->lim.max_per_sec = 5;
    p->lim.max_per_min = 60;
    p->md_max_age_ns = 5000000000LL;
    p->reject_pause_k = 5;
    p->kill_max_retries = 5;
    p->kill_backoff_ns = 500000000LL;
    p->fill_timeout_ns = 5000000000LL;
    p->max_queries = 5;
    p->kill_on_start = 0;
    p->dd_limit = 0.05;
    p->dd_cut = 0.5;
    p->dd_recover = 0.025;
    p->dd_kill = 0.10;
    p->pos_period_ns = 60000000000LL;
    p->bar_ns = 300000000000LL;
}

#define CHK(cond, field, ...)                                                                 \
    do {                                                                                      \
        if (!(cond))                                                                          \
            return rs_err_set(RS_EBADCFG, "gate params: " field ": " __VA_ARGS__);            \
    } while (0)

static int frac_ok(double x) { return x >= 0.0 && x <= 1.0; }
static int nonneg(double x) { return x >= 0.0 && isfinite(x); }

int rs_gate_params_check(const rs_gate_params *p)
{
    CHK(p->instance < (1u << 24), "instance", "%u must be < 2^24", p->instance);
    CHK(p->capital > 0 && isfinite(p->capital), "capital", "must be > 0");
    CHK(nonneg(p->z_min), "z_min", "must be finite >= 0");
    for (int i = 0; i < 4; i++)
        CHK(nonneg(p->cost_bps[i]), "cost_bps", "venue %d must be finite >= 0", i);
    CHK(nonneg(p->ev_margin_bps), "ev_margin_bps", "must be finite >= 0");
    CHK(p->q_window >= 1 && p->q_window <= RS_QUANTILE_MAX_WINDOW, "q_window", "must be 1..%u",
        RS_QUANTILE_MAX_WINDOW);
    CHK(p->q_min_count <= p->q_window, "q_min_count", "must be <= q_window");
    CHK(p->q_tail >= 0 && p->q_tail < 0.5, "q_tail", "must be in [0, 0.5)");
    CHK(p->atr_n >= 1 && p->atr_n <= 10000, "atr_n", "must be 1..10000");
    CHK(p->sigma_n >= 1 && p->sigma_n <= 10000, "sigma_n", "must be 1..10000");
    CHK(nonneg(p->sigma_floor_bps), "sigma_floor_bps", "must be finite >= 0");
    CHK(p->vote_k >= 1 && p->vote_k <= RS_GATE_VOTE_MAX, "vote_k", "must be 1..%u", RS_GATE_VOTE_MAX);
    CHK(p->vote_min >= 1 && p->vote_min <= p->vote_k, "vote_min", "must be 1..vote_k");
    CHK(nonneg(p->stop_atr) && nonneg(p->tp_atr) && nonneg(p->trail_atr) && nonneg(p->guard_atr),
        "stop_atr/tp_atr/trail_atr/guard_atr", "must be finite >= 0");
    CHK(p->guard_pct >= 0 && p->guard_pct < 1, "guard_pct", "must be in [0, 1)");
    CHK(p->guard_atr > 0 || p->guard_pct > 0, "guard_atr/guard_pct",
        "the catastrophic-move guard cannot be disabled: set one of them > 0");
    CHK(p->risk_frac > 0 && frac_ok(p->risk_frac), "risk_frac", "must be in (0, 1]");
    CHK(p->edge_cap > 0 && isfinite(p->edge_cap), "edge_cap", "must be > 0");
    CHK(p->max_weight > 0 && frac_ok(p->max_weight), "max_weight", "must be in (0, 1]");
    CHK(nonneg(p->min_trade_notional), "min_trade_notional", "must be finite >= 0");
    CHK(nonneg(p->entry_slip_bps), "entry_slip_bps", "must be finite >= 0");
    CHK(nonneg(p->lim.max_order_notional) && nonneg(p->lim.max_pos_notional) &&
            nonneg(p->lim.max_gross_notional) && nonneg(p->lim.collar_bps),
        "limits", "notional limits and collar must be finite >= 0");
    CHK(p->lim.max_per_min <= RS_RATE_CAP, "max_per_min", "must be <= %u", RS_RATE_CAP);
    for (int i = 0; i < RS_MAX_SYMBOLS; i++)
        CHK(nonneg(p->max_order_qty[i]), "max_order_qty", "symbol %d must be finite >= 0", i);
    CHK(p->md_max_age_ns > 0, "md_max_age_ns", "must be > 0 (freshness cannot be disabled)");
    CHK(p->reject_pause_k >= 1, "reject_pause_k", "must be >= 1 (the circuit cannot be disabled)");
    CHK(p->kill_max_retries <= 100, "kill_max_retries", "must be <= 100");
    CHK(p->kill_backoff_ns > 0, "kill_backoff_ns", "must be > 0");
    CHK(p->fill_timeout_ns > 0, "fill_timeout_ns", "must be > 0");
    CHK(p->max_queries >= 1 && p->max_queries <= 100, "max_queries", "must be 1..100");
    CHK(frac_ok(p->dd_limit) && frac_ok(p->dd_cut) && frac_ok(p->dd_recover) && frac_ok(p->dd_kill),
        "dd_limit/dd_cut/dd_recover/dd_kill", "must be fractions in [0, 1]");
    CHK(p->dd_recover <= p->dd_limit, "dd_recover", "must be <= dd_limit");
    CHK(p->pos_period_ns >= 0, "pos_period_ns", "must be >= 0");
    CHK(p->bar_ns > 0, "bar_ns", "must be > 0");
    return 0;
}

static size_t qoff(void) { return RS_ALIGN_UP(sizeof(rs_gate), (size_t)8); }

size_t rs_gate_memsize(const rs_gate_params *p, const rs_universe *u)
{
    if (rs_gate_params_check(p) != 0 || u->n > RS_MAX_SYMBOLS)
        return 0;
    size_t qs = RS_ALIGN_UP(rs_quantile_memsize(p->q_window), (size_t)8);
    return qoff() + (size_t)u->n * qs;
}

int rs_gate_init(void *mem, size_t size, const rs_gate_params *p, const rs_universe *u)
{
    int rc = rs_gate_params_check(p);
    if (rc)
        return rc;
    if (u->n == 0 || u->n > RS_MAX_SYMBOLS)
        return rs_err_set(RS_EBADCFG, "gate: universe has %u instruments (need 1..%u)", u->n,
                          RS_MAX_SYMBOLS);
    for (uint16_t i = 0; i < u->n; i++)
        if (u->ins[i].tick <= 0 || u->ins[i].lot <= 0 || u->ins[i].px_exp > 18 || u->ins[i].qty_exp > 18)
            return rs_err_set(RS_EBADCFG, "gate: instrument %s: tick and lot must be > 0",
                              u->ins[i].symbol);
    size_t need = rs_gate_memsize(p, u);
    if (!mem || size < need || ((uintptr_t)mem & 7u))
        return rs_err_set(ENOSPC, "gate: memory %zu bytes (need %zu, 8-byte aligned)", size, need);
    memset(mem, 0, need);
    rs_gate *g = mem;
    g->p = *p;
    g->u = *u;
    rs_portfolio_init(&g->pf, &g->u, p->capital);
    rs_rate_init(&g->rate);
    rs_emit_buf_init(&g->stage, g->stage_mem, sizeof g->stage_mem, RS_STREAM_INTENT);
    size_t qs = RS_ALIGN_UP(rs_quantile_memsize(p->q_window), (size_t)8);
    uint8_t *qm = (uint8_t *)mem + qoff();
    for (uint16_t i = 0; i < u->n; i++) {
        g->s[i].q = (rs_quantile *)(qm + (size_t)i * qs);
        rs_quantile_init(g->s[i].q, p->q_window);
        g->s[i].atr = NAN;
        g->s[i].var = NAN;
    }
    g->kill_pending = p->kill_on_start;
    return 0;
}

/* ---- output --------------------------------------------------------------------- */

static rs_rec *st_claim(rs_gate *g, uint16_t type, uint32_t len)
{
    rs_rec *r = rs_emit_claim(&g->stage.e, type, len);
    if (!r) {
        g->st.stage_overflow++;
        return NULL;
    }
    r->ts = g->now;
    return r;
}

static void st_commit(rs_gate *g, rs_rec *r) { rs_emit_commit(&g->stage.e, r); }

static void text_copy(char *dst, size_t cap, const char *src)
{
    size_t n = strlen(src);
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
}

static void risk(rs_gate *g, uint16_t circ, uint16_t sym, uint8_t action, double value, double limit,
                 const char *text)
{
    rs_ev_risk *r = (rs_ev_risk *)st_claim(g, RS_EV_RISK, sizeof(rs_ev_risk));
    if (!r)
        return;
    r->circuit = circ;
    r->sym = sym;
    r->action = action;
    r->value = value;
    r->limit = limit;
    text_copy(r->text, sizeof r->text, text);
    st_commit(g, &r->h);
    g->st.risk_events++;
}

/* Operator-facing alarm next to the risk record for the trips a human must
 * act on (pause, kill, escalation, flip, drawdown). code = circuit id. */
static void alarm(rs_gate *g, uint16_t circ, const char *text)
{
    rs_ev_alarm *a = (rs_ev_alarm *)st_claim(g, RS_EV_ALARM, sizeof(rs_ev_alarm));
    if (!a)
        return;
    a->code = circ;
    text_copy(a->text, sizeof a->text, text);
    st_commit(g, &a->h);
}

static void emit_position(rs_gate *g, uint16_t sym)
{
    rs_ev_position *r = (rs_ev_position *)st_claim(g, RS_EV_POSITION, sizeof(rs_ev_position));
    if (!r)
        return;
    rs_portfolio_record(&g->pf, sym, r);
    st_commit(g, &r->h);
    g->st.positions++;
}

static uint64_t next_id(rs_gate *g)
{
    g->seq++;
    return ((uint64_t)g->p.instance << 40) | (g->seq & ((1ull << 40) - 1));
}

static uint64_t emit_intent(rs_gate *g, uint16_t sym, uint8_t kind, uint8_t side, uint8_t ord_type,
                            uint8_t purpose, uint8_t reduce_only, uint8_t tif, uint64_t target,
                            int64_t px, int64_t qty)
{
    rs_ev_intent *r = (rs_ev_intent *)st_claim(g, RS_EV_INTENT, sizeof(rs_ev_intent));
    if (!r)
        return 0;
    uint64_t id = next_id(g);
    r->sym = sym;
    r->kind = kind;
    r->side = side;
    r->ord_type = ord_type;
    r->purpose = purpose;
    r->reduce_only = reduce_only;
    r->tif = tif;
    r->client_id = id;
    r->target_id = target;
    r->px = px;
    r->qty = qty;
    st_commit(g, &r->h);
    g->st.intents++;
    if (kind != RS_INT_NEW) {
        gctl *c = &g->ctl[g->ctl_head++ % CTL_RING];
        c->id = id;
        c->target = target;
        c->sym = sym;
        c->kind = kind;
    }
    return id;
}

static int flush(rs_gate *g, rs_emit *out)
{
    while (g->flush_off < g->stage.used) {
        const rs_rec *r = (const rs_rec *)(g->stage.buf + g->flush_off);
        rs_rec *o = rs_emit_claim(out, r->type, r->len);
        if (!o)
            return RS_FULL;
        memcpy((uint8_t *)o + sizeof(rs_rec), (const uint8_t *)r + sizeof(rs_rec), r->len - sizeof(rs_rec));
        o->ts = r->ts;
        rs_emit_commit(out, o);
        g->flush_off += rs_rec_padded(r->len);
    }
    rs_emit_buf_reset(&g->stage);
    g->flush_off = 0;
    return RS_OK;
}

/* ---- order table ------------------------------------------------------------------ */

static int terminal(uint8_t st)
{
    return st == RS_OS_FILLED || st == RS_OS_CANCELLED || st == RS_OS_REJECTED || st == RS_OS_EXPIRED;
}

/* Resting orders (stop / take-profit children, GTC limits) may sit for hours
 * by design: silence from them is not a missing fill. */
static int resting(const gord *o)
{
    return o->ord_type == RS_ORD_STOP || o->ord_type == RS_ORD_TAKE_PROFIT ||
           (o->ord_type == RS_ORD_LIMIT && o->tif == 0);
}

static int overdue(const rs_gate *g, const gord *o)
{
    if (o->state == RS_OS_UNKNOWN)
        return 1;
    if (terminal(o->state))
        return o->venue_cum > o->filled;   /* status says filled, the fill never came */
    if (resting(o))
        return 0;
    return g->now - o->last_ts > g->p.fill_timeout_ns;
}

static_assert(RS_GATE_MAX_ORDERS % 64 == 0, "order slots come in words of 64");

/* Every used order slot, in ascending slot order: for (FOR_USED(g, i)) */
static inline uint32_t used_next(const rs_gate *g, uint32_t from)
{
    for (uint32_t w = from / 64; w < RS_GATE_MAX_ORDERS / 64; w++) {
        uint64_t b = g->used_bits[w];
        if (w == from / 64)
            b &= ~0ull << (from % 64);
        if (b)
            return w * 64 + (uint32_t)__builtin_ctzll(b);
    }
    return RS_GATE_MAX_ORDERS;
}
#define FOR_USED(g, i) uint32_t i = used_next(g, 0); i < RS_GATE_MAX_ORDERS; i = used_next(g, i + 1)

static void ord_take(rs_gate *g, gord *o)
{
    uint32_t i = (uint32_t)(o - g->ord);
    o->used = 1;
    g->used_bits[i / 64] |= 1ull << (i % 64);
}

static void ord_drop(rs_gate *g, gord *o)
{
    uint32_t i = (uint32_t)(o - g->ord);
    o->used = 0;
    g->used_bits[i / 64] &= ~(1ull << (i % 64));
}

static gord *find_ord(rs_gate *g, uint64_t id)
{
    for (FOR_USED(g, i))
        if (g->ord[i].id == id)
            return &g->ord[i];
    return NULL;
}

static gord *free_ord(rs_gate *g)
{
    for (uint32_t w = 0; w < RS_GATE_MAX_ORDERS / 64; w++)
        if (~g->used_bits[w])
            return &g->ord[w * 64 + (uint32_t)__builtin_ctzll(~g->used_bits[w])];
    return NULL;
}

static uint32_t n_overdue(const rs_gate *g, uint16_t sym)
{
    uint32_t n = 0;
    for (FOR_USED(g, i))
        if (g->ord[i].sym == sym && overdue(g, &g->ord[i]))
            n++;
    return n;
}

static int any_live(const rs_gate *g)
{
    for (FOR_USED(g, i))
        if (!terminal(g->ord[i].state))
            return 1;
    return 0;
}

/* ---- market state ----------------------------------------------------------------- */

static double md_age_ms(const rs_gate *g, uint16_t sym)
{
    const gsym *s = &g->s[sym];
    if (!s->have_mark || s->fresh != RS_FRESH_OK || g->global_fresh != RS_FRESH_OK)
        return INFINITY;
    return (double)(g->now - s->md_ts) / 1e6;
}

static int md_stale(const rs_gate *g, uint16_t sym)
{
    return !(md_age_ms(g, sym) <= (double)g->p.md_max_age_ns / 1e6);
}

static double sigma_bps(const gsym *s)
{
    return s->n_ret > 0 ? sqrt(s->var) * 1e4 : NAN;
}

static int64_t round_px(const rs_instrument *ins, double px, int mode)
{
    double k = px * rs_pow10_tab[ins->px_exp] / (double)ins->tick;
    /* the 1e-9 keeps an exact tick multiple from moving one tick on
     * binary rounding noise */
    k = mode > 0 ? ceil(k - 1e-9) : mode < 0 ? floor(k + 1e-9) : floor(k + 0.5);
    if (!(k >= 1) || k > 9e15)
        return 0;
    return (int64_t)k * ins->tick;
}

static int64_t round_qty(const rs_instrument *ins, double units)
{
    double k = floor(units * rs_pow10_tab[ins->qty_exp] / (double)ins->lot + 1e-9);
    if (!(k >= 1) || k > 9e15)
        return 0;
    return (int64_t)k * ins->lot;
}

/* ---- pre-trade ---------------------------------------------------------------------- */

/* Every NEW order passes here. Returns 0 or the blocking circuit (and emits
 * its risk record). */
static uint16_t pretrade(rs_gate *g, uint16_t sym, uint8_t side, int64_t qty, int64_t px, int has_px,
                         int reduce_only, int klass, double *pv, double *pl)
{
    const rs_instrument *ins = &g->u.ins[sym];
    const gsym *s = &g->s[sym];
    double v = 0, l = 0;
    uint16_t c = RS_CIRC_NONE;
    const char *why = "";
    if (g->killed && klass != K_KILL) {
        c = RS_CIRC_KILL, v = 1, why = "kill switch latched: order blocked";
    } else if ((klass == K_ENTRY || klass == K_EXIT) && (g->paused || s->paused)) {
        c = RS_CIRC_PAUSE, v = g->paused ? 1 : 2, why = "paused: order blocked";
    } else if ((klass == K_ENTRY || klass == K_EXIT) && md_stale(g, sym)) {
        c = RS_CIRC_FRESH_MD, v = md_age_ms(g, sym), l = (double)g->p.md_max_age_ns / 1e6,
        why = "market data stale: order blocked";
    } else if ((klass == K_ENTRY || klass == K_EXIT) && n_overdue(g, sym)) {
        c = RS_CIRC_FRESH_POS, v = n_overdue(g, sym), why = "position stale: order blocked";
    } else {
        double units = rs_qty_to_double(ins, qty);
        double ref = has_px ? rs_px_to_double(ins, px) : s->last_px;
        double cur = rs_portfolio_units(&g->pf, sym);
        double after = cur + (side == RS_SIDE_BUY ? units : -units);
        double mk = s->last_px > 0 ? s->last_px : ref;
        rs_order_check oc = {
            .qty = units,
            .max_qty = g->p.max_order_qty[sym],
            .px = ref,
            .last_px = s->last_px,
            .pos_after = fabs(after * mk),
            .gross_after = g->pf.gross - fabs(cur * mk) + fabs(after * mk),
            .has_px = (uint8_t)has_px,
            .reduce_only = (uint8_t)reduce_only,
        };
        c = rs_risk_check_order(&g->p.lim, &oc, &v, &l);
        if (c)
            why = "order limit: order blocked";
        if (!c && (klass == K_ENTRY || klass == K_EXIT)) {
            c = rs_risk_check_rate(&g->p.lim, &g->rate, g->now, &v, &l);
            if (c)
                why = "message rate: order blocked";
        }
        if (!c && !free_ord(g)) {
            c = RS_CIRC_ORDER_TABLE, v = RS_GATE_MAX_ORDERS, l = RS_GATE_MAX_ORDERS,
            why = "order table full: order blocked";
        }
    }
    if (c)
        risk(g, c, sym, RS_RISK_BLOCK, v, l, why);
    if (pv)
        *pv = v;
    if (pl)
        *pl = l;
    return c;
}

static uint64_t new_order(rs_gate *g, uint16_t sym, uint8_t side, uint8_t ord_type, uint8_t purpose,
                          uint8_t reduce_only, uint8_t tif, int64_t px, int64_t qty)
{
    gord *o = free_ord(g);
    if (!o)
        return 0;   /* pretrade checked; unreachable */
    uint64_t id = emit_intent(g, sym, RS_INT_NEW, side, ord_type, purpose, reduce_only, tif, 0, px, qty);
    if (!id)
        return 0;
    memset(o, 0, sizeof *o);
    ord_take(g, o);
    o->id = id;
    o->sym = sym;
    o->side = side;
    o->ord_type = ord_type;
    o->tif = tif;
    o->purpose = purpose;
    o->qty = qty;
    o->px = px;
    o->state = RS_OS_PENDING_NEW;
    o->last_ts = g->now;
    rs_rate_add(&g->rate, g->now);
    return id;
}

static void cancel_order(rs_gate *g, uint64_t id)
{
    gord *o = id ? find_ord(g, id) : NULL;
    if (!o || terminal(o->state) || o->cancel_sent)
        return;
    if (emit_intent(g, o->sym, RS_INT_CANCEL, o->side, o->ord_type, o->purpose, 0, 0, id, 0, 0))
        o->cancel_sent = 1;
}

static void cancel_children(rs_gate *g, uint16_t sym)
{
    cancel_order(g, g->s[sym].stop_id);
    cancel_order(g, g->s[sym].tp_id);
}

/* Close (all, or `frac` of) sym's position with a reduce-only market order.
 * Returns 0 when the order went out, else the circuit that held it. */
static uint16_t close_pos(rs_gate *g, uint16_t sym, uint8_t purpose, int klass, double frac)
{
    gsym *s = &g->s[sym];
    int64_t pos = g->pf.pos[sym].qty;
    if (pos == 0)
        return RS_CIRC_NONE;
    if (s->close_id) {
        /* duplicate-close guard: one closing order per position in flight */
        g->st.dup_close_blocked++;
        risk(g, RS_CIRC_DUP_CLOSE, sym, RS_RISK_BLOCK, (double)purpose, 1,
             "close already in flight: duplicate close suppressed");
        return RS_CIRC_DUP_CLOSE;
    }
    const rs_instrument *ins = &g->u.ins[sym];
    int64_t qty = llabs(pos);
    if (frac < 1.0) {
        qty = round_qty(ins, rs_qty_to_double(ins, qty) * frac);
        if (qty <= 0)
            return RS_CIRC_NONE;
    }
    uint8_t side = pos > 0 ? RS_SIDE_SELL : RS_SIDE_BUY;
    uint16_t c = pretrade(g, sym, side, qty, 0, 0, 1, klass, NULL, NULL);
    if (c)
        return c;
    if (qty == llabs(pos))
        cancel_children(g, sym);
    uint64_t id = new_order(g, sym, side, RS_ORD_MARKET, purpose, 1, 1, 0, qty);
    if (id) {
        s->close_id = id;
        g->st.exits++;
    }
    return RS_CIRC_NONE;
}

/* ---- kill switch ------------------------------------------------------------------------ */

static void kill_step(rs_gate *g)
{
    if (any_live(g))
        emit_intent(g, NOSYM, RS_INT_CANCEL_ALL, RS_SIDE_NONE, 0, RS_PUR_KILL, 0, 0, 0, 0, 0);
    for (uint16_t i = 0; i < g->u.n; i++)
        if (g->pf.pos[i].qty != 0 && !g->s[i].close_id)
            close_pos(g, i, RS_PUR_KILL, K_KILL, 1.0);
    g->kill_attempt++;
    uint32_t sh = g->kill_attempt - 1 < 6 ? g->kill_attempt - 1 : 6;
    g->kill_next_ts = g->now + (g->p.kill_backoff_ns << sh);
}

/* The kill's own flattens still working: at the venue, or held by the exec
 * stage (a 418 ban, a clock block, an order in UNKNOWN being queried). */
static int kill_orders_working(const rs_gate *g)
{
    for (FOR_USED(g, i))
        if (!terminal(g->ord[i].state) && g->ord[i].purpose == RS_PUR_KILL)
            return 1;
    return 0;
}

/* What the retry budget would last: sum of the back-offs of every attempt. */
static int64_t kill_budget_ns(const rs_gate *g)
{
    int64_t t = 0;
    for (uint32_t a = 1; a <= g->p.kill_max_retries + 1; a++)
        t += g->p.kill_backoff_ns << (a - 1 < 6 ? a - 1 : 6);
    return t;
}

static void kill_start(rs_gate *g, double value, const char *why)
{
    if (g->killed)
        return;
    g->killed = 1;
    g->kill_attempt = 0;
    g->kill_wait_ts = 0;
    g->kill_waiting = 0;
    risk(g, RS_CIRC_KILL, NOSYM, RS_RISK_KILL, value, 0, why);
    alarm(g, RS_CIRC_KILL, why);
    kill_step(g);
}

static int all_flat(const rs_gate *g)
{
    for (uint16_t i = 0; i < g->u.n; i++)
        if (g->pf.pos[i].qty != 0)
            return 0;
    return 1;
}

static void kill_timer(rs_gate *g)
{
    if (g->killed == 2 && (any_live(g) || !all_flat(g)))
        g->killed = 1;   /* a late fill reopened a position: keep flattening
                          * (the attempt budget is not refilled) */
    if (g->killed != 1)
        return;
    if (!any_live(g) && all_flat(g)) {
        g->killed = 2;
        risk(g, RS_CIRC_KILL, NOSYM, RS_RISK_INFO, g->kill_attempt, g->p.kill_max_retries + 1,
             "kill complete: no working orders, flat");
        return;
    }
    if (g->now < g->kill_next_ts)
        return;
    if (kill_orders_working(g)) {
        /* The last attempt's flattens have not been answered: the venue has
         * them, or the exec stage holds them (a 418 ban lasts minutes to
         * days). Another attempt would only cancel and re-send them, and it
         * must not use up the budget meanwhile, or the switch gives up before
         * the venue lets it act. Wait (re-checked every kill_backoff_ns);
         * tell the operator once per wait, and escalate once when a wait
         * alone has lasted as long as the whole budget. The switch stays
         * armed either way and resumes its attempts when they are answered. */
        g->kill_next_ts = g->now + g->p.kill_backoff_ns;
        if (!g->kill_waiting) {
            g->kill_waiting = 1;
            g->kill_wait_ts = g->now;
            risk(g, RS_CIRC_KILL, NOSYM, RS_RISK_INFO, g->kill_attempt, g->p.kill_max_retries + 1,
                 "kill waiting: flatten orders unanswered (ban, clock, unknown)");
        }
        if (g->now - g->kill_wait_ts >= kill_budget_ns(g) && !g->kill_escalated) {
            g->kill_escalated = 1;
            risk(g, RS_CIRC_KILL, NOSYM, RS_RISK_ESCALATE, g->kill_attempt, g->p.kill_max_retries + 1,
                 "kill not complete: flatten orders still unanswered");
            alarm(g, RS_CIRC_KILL, "kill switch: flatten unanswered by the venue: act now");
        }
        return;
    }
    if (g->kill_attempt <= g->p.kill_max_retries) {
        g->kill_waiting = 0;
        kill_step(g);
    } else if (!g->kill_escalated) {
        /* bounded: after the last retry the switch stops sending and says so
         * once; the operator takes over (never a loop) */
        g->kill_escalated = 1;
        risk(g, RS_CIRC_KILL, NOSYM, RS_RISK_ESCALATE, g->kill_attempt, g->p.kill_max_retries + 1,
             "kill retries exhausted: orders or positions remain");
        alarm(g, RS_CIRC_KILL, "kill switch: retries exhausted, orders or positions remain: act now");
    }
}

/* ---- drawdown ------------------------------------------------------------------------------ */

static void dd_check(rs_gate *g)
{
    double peak = g->pf.peak_equity, eq = g->pf.equity;
    if (!(peak > 0) || !isfinite(eq))
        return;
    double dd = (peak - eq) / peak;
    if (g->p.dd_kill > 0 && dd >= g->p.dd_kill && !g->killed) {
        risk(g, RS_CIRC_DRAWDOWN, NOSYM, RS_RISK_KILL, dd, g->p.dd_kill, "drawdown past kill level");
        kill_start(g, dd, "kill switch: drawdown");
        return;
    }
    if (!g->dd_active && g->p.dd_limit > 0 && dd >= g->p.dd_limit) {
        g->dd_active = 1;
        risk(g, RS_CIRC_DRAWDOWN, NOSYM, RS_RISK_CUT, dd, g->p.dd_limit, "drawdown limit: cutting exposure");
        alarm(g, RS_CIRC_DRAWDOWN, "drawdown limit: exposure cut, entries scaled down");
        if (g->p.dd_cut > 0)
            for (uint16_t i = 0; i < g->u.n; i++)
                if (g->pf.pos[i].qty != 0)
                    close_pos(g, i, RS_PUR_DRAWDOWN, K_PROTECT, g->p.dd_cut);
    } else if (g->dd_active && dd <= g->p.dd_recover) {
        g->dd_active = 0;
        risk(g, RS_CIRC_DRAWDOWN, NOSYM, RS_RISK_RESUME, dd, g->p.dd_recover, "drawdown recovered");
    }
}

/* ---- position lifecycle ------------------------------------------------------------------- */

static void on_position_change(rs_gate *g, uint16_t sym, int64_t before, int64_t after, double fill_px)
{
    gsym *s = &g->s[sym];
    if (after == before)
        return;
    if (before == 0 || (before > 0) != (after > 0)) {
        if (after != 0) {
            if (before != 0) {
                /* a fill flipped the sign: no order of ours is sized to do
                 * that, so the book and the gate disagree -- stop the symbol */
                s->paused = 1;
                risk(g, RS_CIRC_FLIP, sym, RS_RISK_PAUSE, rs_portfolio_units(&g->pf, sym),
                     rs_qty_to_double(&g->u.ins[sym], before), "position flipped sign: symbol paused");
                alarm(g, RS_CIRC_FLIP, "position flipped sign without an intent: symbol paused");
                cancel_children(g, sym);
            }
            s->state = ST_OPEN;
            s->dir = after > 0 ? 1 : -1;
            s->entry_bar = s->bar_idx;
            s->entry_atr = s->atr;
            s->best_px = fill_px;
            s->armed = 0;
            return;
        }
    }
    if (after == 0) {
        s->state = ST_FLAT;
        s->dir = 0;
        s->armed = 0;
        s->have_exit = 1;
        s->exit_bar = s->bar_idx;
        cancel_children(g, sym);   /* OCO: the other child must not fire on a flat book */
        /* Another order closed the position while our closing order is still
         * working -- typically a kill or exit flatten held by the exec stage
         * through a 418 ban or a clock block, overtaken by a resting stop.
         * Sent later it would open a position the other way (a spot venue
         * has no reduce-only). A held order is cancelled without reaching
         * the venue; one already in flight is cancelled once answered, if
         * it still rests. (When the closing order itself filled, it is
         * terminal here and this does nothing.) */
        cancel_order(g, s->close_id);
    }
}

static void apply_fill(rs_gate *g, uint16_t sym, uint8_t side, int64_t px, int64_t qty, double fee)
{
    int64_t before = g->pf.pos[sym].qty;
    if (rs_portfolio_fill(&g->pf, sym, side, px, qty, fee) != RS_OK) {
        g->st.bad_input++;
        risk(g, RS_CIRC_BAD_INPUT, sym, RS_RISK_INFO, (double)px, (double)qty, "fill rejected: bad px/qty/fee");
        return;
    }
    g->st.fills++;
    on_position_change(g, sym, before, g->pf.pos[sym].qty, rs_px_to_double(&g->u.ins[sym], px));
    emit_position(g, sym);
    dd_check(g);
}

static void release(rs_gate *g, gord *o)
{
    gsym *s = &g->s[o->sym];
    if (s->entry_id == o->id) {
        s->entry_id = 0;
        if (g->pf.pos[o->sym].qty == 0)
            s->state = ST_FLAT;
    }
    if (s->close_id == o->id)
        s->close_id = 0;
    if (s->stop_id == o->id)
        s->stop_id = 0;
    if (s->tp_id == o->id)
        s->tp_id = 0;
    gdone *d = &g->done[g->done_head++ % DONE_RING];
    d->id = o->id;
    d->filled = o->filled;
    d->sym = o->sym;
    d->side = o->side;
    ord_drop(g, o);
}

/* ---- bars and exits ------------------------------------------------------------------------- */

static void arm_children(rs_gate *g, uint16_t sym)
{
    gsym *s = &g->s[sym];
    const rs_instrument *ins = &g->u.ins[sym];
    int64_t pos = g->pf.pos[sym].qty;
    double avg = g->pf.pos[sym].avg_px, atr = s->entry_atr;
    if (s->armed || pos == 0 || s->close_id || g->killed || !(atr > 0) || !(avg > 0))
        return;
    if (g->p.stop_atr <= 0 && g->p.tp_atr <= 0)
        return;
    s->armed = 1;
    int64_t qty = llabs(pos);
    uint8_t side = pos > 0 ? RS_SIDE_SELL : RS_SIDE_BUY;
    double sg = pos > 0 ? 1.0 : -1.0;
    if (g->p.stop_atr > 0) {
        int64_t px = round_px(ins, avg - sg * g->p.stop_atr * atr, 0);
        if (px > 0 && !pretrade(g, sym, side, qty, px, 0, 1, K_PROTECT, NULL, NULL))
            s->stop_id = new_order(g, sym, side, RS_ORD_STOP, RS_PUR_STOP, 1, 0, px, qty);
    }
    if (g->p.tp_atr > 0) {
        int64_t px = round_px(ins, avg + sg * g->p.tp_atr * atr, 0);
        if (px > 0 && !pretrade(g, sym, side, qty, px, 0, 1, K_PROTECT, NULL, NULL))
            s->tp_id = new_order(g, sym, side, RS_ORD_TAKE_PROFIT, RS_PUR_TAKE_PROFIT, 1, 0, px, qty);
    }
}

static void bar_advance(rs_gate *g, uint16_t sym, int64_t bar_end)
{
    gsym *s = &g->s[sym];
    if (bar_end <= s->bar_end)
        return;
    s->bar_end = bar_end;
    s->bar_idx++;
    if (s->state != ST_OPEN || g->pf.pos[sym].qty == 0)
        return;
    if (s->bar_idx >= s->entry_bar + g->p.oco_delay_bars)
        arm_children(g, sym);
    if (g->p.max_hold_bars && s->bar_idx - s->entry_bar >= g->p.max_hold_bars && !s->close_id)
        close_pos(g, sym, RS_PUR_TIMED_EXIT, K_PROTECT, 1.0);
}

/* ---- handlers --------------------------------------------------------------------------------- */

static int bad(rs_gate *g, uint16_t type, double field, const char *why)
{
    g->st.bad_input++;
    risk(g, RS_CIRC_BAD_INPUT, NOSYM, RS_RISK_INFO, (double)type, field, why);
    return RS_BAD;
}

/* One closed bar into ATR (Wilder) and the EWMA per-bar variance. */
static void bar_update(rs_gate *g, uint16_t sym, double high, double low, double close)
{
    gsym *s = &g->s[sym];
    double tr = high - low;
    if (s->prev_close > 0) {
        double a = fabs(high - s->prev_close), c = fabs(low - s->prev_close);
        tr = tr > a ? tr : a;
        tr = tr > c ? tr : c;
        double r = close / s->prev_close - 1.0;
        double alpha = 2.0 / ((double)g->p.sigma_n + 1.0);
        s->var = s->n_ret == 0 ? r * r : (1.0 - alpha) * s->var + alpha * r * r;
        s->n_ret++;
    }
    s->n_bars++;
    uint32_t n = g->p.atr_n;
    if (s->n_bars <= n) {
        s->tr_sum += tr;
        if (s->n_bars == n)
            s->atr = s->tr_sum / n;
    } else {
        s->atr = (s->atr * (n - 1) + tr) / n;   /* Wilder */
    }
    s->prev_close = close;
}

static int on_bar(rs_gate *g, const rs_ev_bar *b)
{
    if (b->sym >= g->u.n)
        return bad(g, RS_EV_BAR, 0, "bar: sym out of range");
    if (!isfinite(b->high) || !isfinite(b->low) || !isfinite(b->close) || !(b->close > 0) ||
        b->high < b->low)
        return bad(g, RS_EV_BAR, 1, "bar: high/low/close not finite or inconsistent");
    gsym *s = &g->s[b->sym];
    s->ext_bars = 1;   /* the features stage's bars win over the gate's own */
    s->ib_open = 0;
    bar_update(g, b->sym, b->high, b->low, b->close);
    bar_advance(g, b->sym, b->end_ns);
    return RS_OK;
}

/* The gate's own bars from marks, used while no RS_EV_BAR reaches it: the
 * mark ring is the gate's guaranteed input, the bar ring is not. */
static void ib_close(rs_gate *g, uint16_t sym)
{
    gsym *s = &g->s[sym];
    if (!s->ib_open || s->ext_bars)
        return;
    s->ib_open = 0;
    bar_update(g, sym, s->ib_h, s->ib_l, s->ib_c);
    bar_advance(g, sym, (s->ib_id + 1) * g->p.bar_ns);
}

static void ib_mark(rs_gate *g, uint16_t sym, int64_t ts, double px)
{
    gsym *s = &g->s[sym];
    if (s->ext_bars)
        return;
    int64_t id = ts / g->p.bar_ns;
    if (s->ib_open && id > s->ib_id)
        ib_close(g, sym);
    if (!s->ib_open) {
        s->ib_open = 1;
        s->ib_id = id;
        s->ib_h = s->ib_l = s->ib_c = px;
        return;
    }
    s->ib_h = px > s->ib_h ? px : s->ib_h;
    s->ib_l = px < s->ib_l ? px : s->ib_l;
    s->ib_c = px;
}

static int on_mark(rs_gate *g, const rs_ev_mark *m)
{
    if (m->sym >= g->u.n)
        return bad(g, RS_EV_MARK, 0, "mark: sym out of range");
    if (m->last_px <= 0)
        return bad(g, RS_EV_MARK, 1, "mark: last_px <= 0");
    uint16_t sym = m->sym;
    gsym *s = &g->s[sym];
    const rs_instrument *ins = &g->u.ins[sym];
    s->last_px = rs_px_to_double(ins, m->last_px);
    s->bid = m->bid_px > 0 ? rs_px_to_double(ins, m->bid_px) : s->last_px;
    s->ask = m->ask_px > 0 ? rs_px_to_double(ins, m->ask_px) : s->last_px;
    s->md_ts = m->md_ts > 0 ? m->md_ts : m->h.ts;
    s->have_mark = 1;
    ib_mark(g, sym, s->md_ts, s->last_px);
    rs_portfolio_mark(&g->pf, sym, s->last_px);

    int64_t pos = g->pf.pos[sym].qty;
    double avg = g->pf.pos[sym].avg_px;
    if (pos != 0 && avg > 0 && !s->close_id) {
        double adverse = pos > 0 ? avg - s->last_px : s->last_px - avg;
        double lim_atr = (g->p.guard_atr > 0 && s->entry_atr > 0) ? g->p.guard_atr * s->entry_atr : INFINITY;
        double lim_pct = g->p.guard_pct > 0 ? g->p.guard_pct * avg : INFINITY;
        double lim = lim_atr < lim_pct ? lim_atr : lim_pct;
        if (adverse >= lim) {
            /* the catastrophic guard does not wait for armed children: the
             * OCO delay must never leave a position exposed to a surge */
            risk(g, RS_CIRC_GUARD, sym, RS_RISK_INFO, adverse, lim, "catastrophic move: exiting now");
            close_pos(g, sym, RS_PUR_GUARD, K_PROTECT, 1.0);
        } else if (g->p.trail_atr > 0 && s->armed && s->entry_atr > 0) {
            if (pos > 0 ? s->last_px > s->best_px : s->last_px < s->best_px)
                s->best_px = s->last_px;
            double give = pos > 0 ? s->best_px - s->last_px : s->last_px - s->best_px;
            if (give >= g->p.trail_atr * s->entry_atr)
                close_pos(g, sym, RS_PUR_STOP, K_PROTECT, 1.0);
        }
    }
    dd_check(g);
    return RS_OK;
}

static int on_fresh(rs_gate *g, const rs_ev_freshness *f)
{
    if (f->state > RS_FRESH_DISCONNECTED)
        return bad(g, RS_EV_FRESHNESS, 1, "freshness: unknown state");
    if (f->sym == NOSYM) {
        /* per connection: one feed recovering must not clear another's
         * outage; the worst connection state rules */
        uint32_t i, freei = CONN_MAX;
        for (i = 0; i < CONN_MAX; i++) {
            if (g->conn_used[i] && g->conn_id[i] == f->conn)
                break;
            if (!g->conn_used[i] && freei == CONN_MAX)
                freei = i;
        }
        if (i == CONN_MAX)
            i = freei;
        if (i == CONN_MAX)
            return bad(g, RS_EV_FRESHNESS, 2, "freshness: more connections than tracked");
        g->conn_used[i] = 1;
        g->conn_id[i] = f->conn;
        g->conn_state[i] = f->state;
        /* A closed connection leaves the set: transports replace connections
         * (reconnects, planned rotation) under new ids, and a replaced one
         * must not block trading forever. With no connection left at all the
         * feed is down; a feed that goes away for good is still caught by its
         * symbols' staleness. */
        if (f->state == RS_FRESH_DISCONNECTED)
            g->conn_used[i] = 0;
        uint8_t worst = RS_FRESH_OK;
        int any = 0;
        for (uint32_t k = 0; k < CONN_MAX; k++) {
            if (!g->conn_used[k])
                continue;
            any = 1;
            if (g->conn_state[k] != RS_FRESH_OK)
                worst = g->conn_state[k];
        }
        g->global_fresh = any ? worst : RS_FRESH_DISCONNECTED;
    } else if (f->sym < g->u.n)
        g->s[f->sym].fresh = f->state;
    else
        return bad(g, RS_EV_FRESHNESS, 0, "freshness: sym out of range");
    return RS_OK;
}

static void on_reject(rs_gate *g, gord *o)
{
    (void)o;
    g->st.rejects++;
    g->consec_rejects++;
    if (!g->paused && g->consec_rejects >= g->p.reject_pause_k) {
        g->paused = 1;
        risk(g, RS_CIRC_REJECTS, NOSYM, RS_RISK_PAUSE, g->consec_rejects, g->p.reject_pause_k,
             "consecutive rejects: paused until resume");
        alarm(g, RS_CIRC_REJECTS, "consecutive order rejects: trading paused until `ringside ctl resume`");
    }
}

static int on_exec(rs_gate *g, const rs_ev_exec_report *r)
{
    if (r->state < RS_OS_PENDING_NEW || r->state > RS_OS_UNKNOWN)
        return bad(g, RS_EV_EXEC_REPORT, 1, "exec report: unknown state");
    gord *o = find_ord(g, r->client_id);
    if (!o) {
        for (uint32_t i = 0; i < CTL_RING; i++) {
            gctl *c = &g->ctl[i];
            if (c->id && c->id == r->client_id) {
                if (r->state == RS_OS_REJECTED) {
                    g->st.cancel_rejects++;
                    risk(g, RS_CIRC_CANCEL_REJECT, c->sym, RS_RISK_INFO, (double)r->reject_code,
                         (double)c->kind, "venue rejected a cancel/query");
                }
                return RS_OK;
            }
        }
        for (uint32_t i = 0; i < DONE_RING; i++) {
            gdone *d = &g->done[i];
            if (d->id && d->id == r->client_id) {
                int64_t add = r->is_fill ? (r->cum_qty > 0 ? r->cum_qty - d->filled : 0) : 0;
                if (add > 0 && r->last_px > 0) {   /* a genuine later fill */
                    d->filled += add;
                    apply_fill(g, d->sym, d->side, r->last_px, add, r->fee);
                }
                return RS_OK;   /* otherwise a late duplicate of what we have */
            }
        }
        g->st.unknown_orders++;
        risk(g, RS_CIRC_UNKNOWN_ORDER, r->sym, RS_RISK_INFO, (double)r->state, (double)r->is_fill,
             "exec report for an order the gate never sent");
        /* a fill is a fact about the position whoever sent the order */
        if (r->is_fill && r->sym < g->u.n && r->last_qty > 0)
            apply_fill(g, r->sym, r->side, r->last_px, r->last_qty, r->fee);
        return RS_OK;
    }
    uint16_t sym = o->sym;
    uint8_t prev = o->state;
    o->last_ts = g->now;
    o->state = r->state;
    if (r->cum_qty > o->venue_cum)
        o->venue_cum = r->cum_qty;
    /* FILLED means the venue executed the whole order, whatever cum_qty the
     * report carries (the exec stage reports the fills it has seen): a fill
     * stream that lost executions shows up here as filled < qty. */
    if (r->state == RS_OS_FILLED && o->qty > o->venue_cum)
        o->venue_cum = o->qty;
    if (r->is_fill) {
        /* fills are applied by cumulative quantity, so a replayed or late
         * duplicate (after reconciliation) adds nothing */
        int64_t add = r->cum_qty > 0 ? r->cum_qty - o->filled : r->last_qty;
        if (add > 0) {
            int64_t px = r->last_px > 0 ? r->last_px : o->px;
            o->filled += add;
            if (o->filled > o->venue_cum)
                o->venue_cum = o->filled;
            apply_fill(g, sym, o->side, px, add, r->fee);
        }
    } else if (r->source == 1 && o->venue_cum > o->filled) {
        /* the polling path is authoritative: apply what the fill stream lost */
        int64_t add = o->venue_cum - o->filled;
        int64_t px = r->last_px > 0 ? r->last_px : o->px;
        double mk = g->s[sym].last_px;
        if (px <= 0 && mk > 0)
            px = round_px(&g->u.ins[sym], mk, 0);
        if (px > 0) {
            o->filled += add;
            risk(g, RS_CIRC_RECONCILED, sym, RS_RISK_INFO, rs_qty_to_double(&g->u.ins[sym], add),
                 rs_px_to_double(&g->u.ins[sym], px), "reconciled a missing fill from a poll report");
            apply_fill(g, sym, o->side, px, add, 0.0);
        }
    }
    if (r->state == RS_OS_REJECTED) {
        /* only a refused placement counts toward the reject pause; a REJECTED
         * after an ack answers a cancel or query of a gone order */
        if (prev == RS_OS_PENDING_NEW || prev == RS_OS_UNKNOWN)
            on_reject(g, o);
    } else if (r->reject_code != 0) {
        /* a live order with a reject code: the venue refused to cancel it */
        g->st.cancel_rejects++;
        risk(g, RS_CIRC_CANCEL_REJECT, sym, RS_RISK_INFO, (double)r->reject_code, (double)r->state,
             "venue rejected a cancel");
    } else if (r->state == RS_OS_ACKED || r->state == RS_OS_PARTIAL || r->state == RS_OS_FILLED) {
        g->consec_rejects = 0;
    }
    if (o->overdue && !overdue(g, o)) {
        o->overdue = 0;
        risk(g, RS_CIRC_FILL_HEALTH, sym, RS_RISK_RESUME, 0, 0, "fill health: order resolved");
    }
    if (terminal(o->state) && o->filled >= o->venue_cum)
        release(g, o);
    return RS_OK;
}

static void health_scan(rs_gate *g)
{
    for (FOR_USED(g, i)) {
        gord *o = &g->ord[i];
        if (!overdue(g, o))
            continue;
        if (!o->overdue) {
            o->overdue = 1;
            o->next_query_ts = o->last_ts + g->p.fill_timeout_ns;
            risk(g, RS_CIRC_FILL_HEALTH, o->sym, RS_RISK_INFO, (double)(g->now - o->last_ts) / 1e6,
                 (double)g->p.fill_timeout_ns / 1e6, "fill overdue: position stale");
        }
        if (g->now < o->next_query_ts)
            continue;
        if (o->n_query < g->p.max_queries) {
            emit_intent(g, o->sym, RS_INT_QUERY, o->side, o->ord_type, RS_PUR_RECONCILE, 0, 0, o->id, 0, 0);
            o->n_query++;
            g->st.queries++;
            uint32_t sh = o->n_query < 6 ? o->n_query : 6;
            o->next_query_ts = g->now + (g->p.fill_timeout_ns << sh);
        } else if (!o->escalated) {
            o->escalated = 1;
            g->s[o->sym].paused = 1;
            risk(g, RS_CIRC_FILL_HEALTH, o->sym, RS_RISK_ESCALATE, o->n_query, g->p.max_queries,
                 "reconciliation unanswered: symbol paused");
            alarm(g, RS_CIRC_FILL_HEALTH, "fill health: reconciliation unanswered, symbol paused");
        }
    }
}

static int on_timer(rs_gate *g)
{
    for (uint16_t i = 0; i < g->u.n; i++)
        if (g->s[i].ib_open && g->now / g->p.bar_ns > g->s[i].ib_id)
            ib_close(g, i);
    health_scan(g);
    kill_timer(g);
    if (g->p.pos_period_ns > 0 && g->now - g->last_pos_ts >= g->p.pos_period_ns) {
        g->last_pos_ts = g->now;
        for (uint16_t i = 0; i < g->u.n; i++)
            if (g->pf.pos[i].qty != 0 || g->pf.pos[i].n_fills)
                emit_position(g, i);
        emit_position(g, NOSYM);
    }
    return RS_OK;
}

static int on_control(rs_gate *g, const rs_ev_control *c)
{
    if (c->sym != NOSYM && c->sym >= g->u.n)
        return bad(g, RS_EV_CONTROL, 0, "control: sym out of range");
    switch (c->cmd) {
    case RS_CTL_KILL:
        kill_start(g, 0, "kill switch: operator");
        return RS_OK;
    case RS_CTL_PAUSE:
        if (c->sym == NOSYM)
            g->paused = 1;
        else
            g->s[c->sym].paused = 1;
        risk(g, RS_CIRC_PAUSE, c->sym, RS_RISK_PAUSE, 0, 0, "paused: operator");
        return RS_OK;
    case RS_CTL_RESUME:
        /* resume never undoes a kill: that latch ends only with a restart */
        if (c->sym == NOSYM) {
            g->paused = 0;
            g->consec_rejects = 0;
            for (uint16_t i = 0; i < g->u.n; i++)
                g->s[i].paused = 0;
        } else {
            g->s[c->sym].paused = 0;
        }
        risk(g, RS_CIRC_PAUSE, c->sym, RS_RISK_RESUME, g->killed, 0, "resumed: operator");
        return RS_OK;
    case RS_CTL_FLATTEN:
        for (uint16_t i = 0; i < g->u.n; i++)
            if ((c->sym == NOSYM || c->sym == i) && g->pf.pos[i].qty != 0)
                close_pos(g, i, RS_PUR_EXIT, K_PROTECT, 1.0);
        return RS_OK;
    default:
        g->st.skipped++;
        return RS_SKIP;
    }
}

static void verdict(rs_gate_verdict *v, uint16_t id, int pass, double value, double thr)
{
    v->gate = id;
    v->pass = (uint8_t)(pass ? 1 : 0);
    v->value = value;
    v->threshold = thr;
}

static int on_pred(rs_gate *g, const rs_ev_prediction *p)
{
    if (p->sym >= g->u.n)
        return bad(g, RS_EV_PREDICTION, 0, "prediction: sym out of range");
    g->st.predictions++;
    uint16_t sym = p->sym;
    gsym *s = &g->s[sym];
    const rs_instrument *ins = &g->u.ins[sym];
    const rs_gate_params *P = &g->p;
    bar_advance(g, sym, p->bar_end_ns);

    double w = p->weighted_bps, z = p->z_edge;
    int finite = isfinite(w) && isfinite(z);
    int dir = !finite ? 0 : w > 0 ? 1 : w < 0 ? -1 : 0;
    double cost = P->cost_bps[ins->venue < 4 ? ins->venue : 0];
    rs_gate_verdict V[N_VERDICTS];
    memset(V, 0, sizeof V);

    verdict(&V[0], RS_GATE_READY, finite && p->ready, finite ? (double)p->ready : NAN, 1);
    uint32_t need = P->warmup_bars > P->atr_n + 1 ? P->warmup_bars : P->atr_n + 1;
    verdict(&V[1], RS_GATE_WARMUP, s->n_bars >= need && s->atr > 0 && s->n_ret > 0, s->n_bars, need);
    double sig = sigma_bps(s);
    verdict(&V[2], RS_GATE_SIGMA, sig >= P->sigma_floor_bps, sig, P->sigma_floor_bps);
    verdict(&V[3], RS_GATE_ZEDGE, fabs(z) >= P->z_min, fabs(z), P->z_min);
    verdict(&V[4], RS_GATE_EV, fabs(w) > cost + P->ev_margin_bps, fabs(w), cost + P->ev_margin_bps);

    /* quantile filter: compared against the history before this prediction */
    if (P->q_tail <= 0) {
        verdict(&V[5], RS_GATE_QUANTILE, 1, w, 0);
    } else if (rs_quantile_count(s->q) < P->q_min_count || rs_quantile_count(s->q) == 0) {
        verdict(&V[5], RS_GATE_QUANTILE, 0, rs_quantile_count(s->q), P->q_min_count);
    } else {
        double thr = dir >= 0 ? rs_quantile_at(s->q, 1.0 - P->q_tail) : rs_quantile_at(s->q, P->q_tail);
        int pass = dir > 0 ? w >= thr : dir < 0 ? w <= thr : 0;
        verdict(&V[5], RS_GATE_QUANTILE, pass, w, thr);
    }
    /* The window is read by this filter alone, and q_tail is fixed for a run
     * (the config travels in the journal; only models hot-swap): with the
     * filter off nothing reads it, and keeping it cost ~750 instructions, a
     * third of a prediction's. */
    if (P->q_tail > 0)
        rs_quantile_push(s->q, w);   /* NaN is refused by the window itself */

    s->votes[s->vote_head] = (int8_t)dir;
    s->vote_head = (s->vote_head + 1) % RS_GATE_VOTE_MAX;
    if (s->vote_n < RS_GATE_VOTE_MAX)
        s->vote_n++;
    uint32_t agree = 0;
    if (dir != 0 && s->vote_n >= P->vote_k)
        for (uint32_t k = 0; k < P->vote_k; k++)
            if (s->votes[(s->vote_head + RS_GATE_VOTE_MAX - 1 - k) % RS_GATE_VOTE_MAX] == dir)
                agree++;
    verdict(&V[6], RS_GATE_VOTE, agree >= P->vote_min, agree, P->vote_min);

    uint64_t since = s->have_exit ? s->bar_idx - s->exit_bar : s->bar_idx;
    verdict(&V[7], RS_GATE_COOLDOWN, !s->have_exit || since >= P->cooldown_bars, (double)since,
            P->cooldown_bars);
    unsigned bits = (g->killed ? RS_GATE_RISK_KILLED : 0) | (g->paused ? RS_GATE_RISK_PAUSED : 0) |
                    (s->paused ? RS_GATE_RISK_SYM_PAUSED : 0) | (g->dd_active ? RS_GATE_RISK_DRAWDOWN : 0);
    verdict(&V[8], RS_GATE_RISK, !(bits & 7u), bits, 0);
    verdict(&V[9], RS_GATE_FRESH_MD, !md_stale(g, sym), md_age_ms(g, sym), (double)P->md_max_age_ns / 1e6);
    uint32_t od = n_overdue(g, sym);
    verdict(&V[10], RS_GATE_FRESH_POS, od == 0, od, 0);
    int64_t pos = g->pf.pos[sym].qty;
    verdict(&V[11], RS_GATE_POSITION, pos == 0 && !s->entry_id && !s->close_id,
            rs_portfolio_units(&g->pf, sym), 0);

    /* sizing: edge net of cost per unit of per-bar volatility, in units
     * at the entry's limit price so the order check sees the same notional */
    double lp = dir > 0 ? s->ask * (1.0 + P->entry_slip_bps * 1e-4) : s->bid * (1.0 - P->entry_slip_bps * 1e-4);
    int64_t lpx = dir != 0 ? round_px(ins, lp, dir > 0 ? 1 : -1) : 0;
    double ref = lpx > 0 ? rs_px_to_double(ins, lpx) : 0.0;
    int64_t qty = 0;
    double minu = rs_qty_to_double(ins, ins->min_qty > ins->lot ? ins->min_qty : ins->lot);
    if (dir != 0 && sig > 0 && ref > 0) {
        double edge = fabs(w) - cost;
        double k = edge / sig;
        k = k < P->edge_cap ? k : P->edge_cap;
        double notional = P->capital * P->risk_frac * k * (g->dd_active ? 1.0 - P->dd_cut : 1.0);
        if (P->lim.max_pos_notional > 0 && notional > P->lim.max_pos_notional)
            notional = P->lim.max_pos_notional;
        if (P->lim.max_order_notional > 0 && notional > P->lim.max_order_notional)
            notional = P->lim.max_order_notional;
        double wcap = P->max_weight * g->pf.equity;
        if (notional > wcap)
            notional = wcap;
        double units = notional / ref;
        if (P->max_order_qty[sym] > 0 && units > P->max_order_qty[sym])
            units = P->max_order_qty[sym];
        if (units > 0)
            qty = round_qty(ins, units);
        double minn = ins->min_notional > P->min_trade_notional ? ins->min_notional : P->min_trade_notional;
        if (ref > 0 && minn / ref > minu)
            minu = minn / ref;
    }
    double qu = rs_qty_to_double(ins, qty);
    verdict(&V[12], RS_GATE_SIZE, qty > 0 && qu >= minu, qu, minu);

    int upto_ok = 1;
    for (int i = 0; i < 13; i++)
        upto_ok &= V[i].pass;
    uint8_t action = pos != 0 ? RS_ACT_HOLD : RS_ACT_NONE;
    uint16_t reason = 0;
    double size = 0;
    if (upto_ok) {
        uint8_t side = dir > 0 ? RS_SIDE_BUY : RS_SIDE_SELL;
        int64_t px = lpx;
        double v = 0, l = 0;
        uint16_t c = px > 0 ? pretrade(g, sym, side, qty, px, 1, 0, K_ENTRY, &v, &l) : RS_CIRC_COLLAR;
        verdict(&V[13], RS_GATE_LIMITS, c == RS_CIRC_NONE, v, l);
        if (!c) {
            uint64_t id = new_order(g, sym, side, RS_ORD_LIMIT, RS_PUR_ENTRY, 0, 1, px, qty);
            if (id) {
                s->entry_id = id;
                s->state = ST_ENTERING;
                g->st.entries++;
                action = dir > 0 ? RS_ACT_ENTER_LONG : RS_ACT_ENTER_SHORT;
                size = qu;
            }
        }
    } else {
        verdict(&V[13], RS_GATE_LIMITS, 0, 0, 0);   /* not reached */
        if (pos != 0 && P->exit_on_signal && V[0].pass && V[3].pass && V[6].pass &&
            dir == (pos > 0 ? -1 : 1)) {
            uint16_t c = close_pos(g, sym, RS_PUR_EXIT, K_EXIT, 1.0);
            if (!c) {
                action = RS_ACT_EXIT;
                size = fabs(rs_portfolio_units(&g->pf, sym));
            } else {
                reason = c == RS_CIRC_DUP_CLOSE ? RS_GATE_POSITION
                         : c == RS_CIRC_KILL || c == RS_CIRC_PAUSE ? RS_GATE_RISK
                         : c == RS_CIRC_FRESH_MD                   ? RS_GATE_FRESH_MD
                         : c == RS_CIRC_FRESH_POS                  ? RS_GATE_FRESH_POS
                                                                   : RS_GATE_LIMITS;
            }
        }
    }
    if (action != RS_ACT_EXIT && !reason)
        for (int i = 0; i < N_VERDICTS; i++)
            if (!V[i].pass) {
                reason = V[i].gate;
                break;
            }

    rs_ev_decision *d = (rs_ev_decision *)st_claim(
        g, RS_EV_DECISION, (uint32_t)(sizeof(rs_ev_decision) + sizeof V));
    if (d) {
        d->sym = sym;
        d->action = action;
        d->n = N_VERDICTS;
        d->reason = reason;
        d->bar_end_ns = p->bar_end_ns;
        d->z_edge = z;
        d->weighted_bps = w;
        d->size = size;
        memcpy(d->g, V, sizeof V);
        st_commit(g, &d->h);
        g->st.decisions++;
    }
    return RS_OK;
}

/* ---- entry point ------------------------------------------------------------------------------ */

#define NEED(T)                                                                    \
    do {                                                                           \
        if (in->len < sizeof(T)) {                                                 \
            rc = bad(g, in->type, in->len, "record shorter than its type's layout"); \
            goto done;                                                             \
        }                                                                          \
    } while (0)

int rs_gate_on_event(rs_gate *g, const rs_rec *in, rs_emit *out)
{
    if (g->stage.used) {
        int same = g->pending_valid && in->type == g->pend.type && in->stream == g->pend.stream &&
                   in->seq == g->pend.seq && in->ts == g->pend.ts;
        if (flush(g, out) == RS_FULL) {
            g->st.full_retries++;
            return RS_FULL;
        }
        g->pending_valid = 0;
        if (same)
            return g->pend.rc;
    }
    g->st.events++;
    if (in->ts > g->now)
        g->now = in->ts;
    if (g->kill_pending) {
        g->kill_pending = 0;
        kill_start(g, 0, "kill switch: config");
    }
    int rc = RS_OK;
    switch (in->type) {
    case RS_EV_PREDICTION:
        NEED(rs_ev_prediction);
        rc = on_pred(g, (const rs_ev_prediction *)in);
        break;
    case RS_EV_MARK:
        NEED(rs_ev_mark);
        rc = on_mark(g, (const rs_ev_mark *)in);
        break;
    case RS_EV_BAR:
        NEED(rs_ev_bar);
        rc = on_bar(g, (const rs_ev_bar *)in);
        break;
    case RS_EV_EXEC_REPORT:
        NEED(rs_ev_exec_report);
        rc = on_exec(g, (const rs_ev_exec_report *)in);
        break;
    case RS_EV_CONTROL:
        NEED(rs_ev_control);
        rc = on_control(g, (const rs_ev_control *)in);
        break;
    case RS_EV_TIMER:
        NEED(rs_ev_timer);
        rc = on_timer(g);
        break;
    case RS_EV_FRESHNESS:
        NEED(rs_ev_freshness);
        rc = on_fresh(g, (const rs_ev_freshness *)in);
        break;
    default:
        g->st.skipped++;
        rc = RS_SKIP;
        break;
    }
done:
    if (g->stage.used) {
        g->pend.type = in->type;
        g->pend.stream = in->stream;
        g->pend.seq = in->seq;
        g->pend.ts = in->ts;
        g->pend.rc = rc;
        g->pending_valid = 1;
        if (flush(g, out) == RS_FULL) {
            g->st.full_retries++;
            return RS_FULL;
        }
        g->pending_valid = 0;
    }
    return rc;
}

const rs_gate_stats *rs_gate_get_stats(const rs_gate *g) { return &g->st; }
const rs_portfolio *rs_gate_portfolio(const rs_gate *g) { return &g->pf; }
int rs_gate_killed(const rs_gate *g) { return g->killed; }
int rs_gate_paused(const rs_gate *g) { return g->paused; }
int rs_gate_pos_stale(const rs_gate *g, uint16_t sym) { return sym < g->u.n && n_overdue(g, sym) > 0; }
