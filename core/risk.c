/* Stateless pre-trade checks and the message-rate ring. Every comparison is
 * written so that a NaN input fails the check (fail closed): `!(x <= lim)`
 * rather than `x > lim`. */
#include <math.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/risk.h"

static const char *const circ_names[RS_CIRC_MAX] = {
    [RS_CIRC_NONE] = "none", [RS_CIRC_KILL] = "kill", [RS_CIRC_REJECTS] = "rejects",
    [RS_CIRC_PAUSE] = "pause", [RS_CIRC_FRESH_MD] = "fresh_md", [RS_CIRC_FRESH_POS] = "fresh_pos",
    [RS_CIRC_FLIP] = "flip", [RS_CIRC_DUP_CLOSE] = "dup_close", [RS_CIRC_FILL_HEALTH] = "fill_health",
    [RS_CIRC_DRAWDOWN] = "drawdown", [RS_CIRC_ORDER_QTY] = "order_qty",
    [RS_CIRC_ORDER_NOTIONAL] = "order_notional", [RS_CIRC_POSITION] = "position",
    [RS_CIRC_GROSS] = "gross", [RS_CIRC_COLLAR] = "collar", [RS_CIRC_RATE_SEC] = "rate_sec",
    [RS_CIRC_RATE_MIN] = "rate_min", [RS_CIRC_GUARD] = "guard", [RS_CIRC_ORDER_TABLE] = "order_table",
    [RS_CIRC_UNKNOWN_ORDER] = "unknown_order", [RS_CIRC_BAD_INPUT] = "bad_input",
    [RS_CIRC_CANCEL_REJECT] = "cancel_reject", [RS_CIRC_RECONCILED] = "reconciled",
};

const char *rs_circuit_name(uint16_t id)
{
    return id < RS_CIRC_MAX && circ_names[id] ? circ_names[id] : "?";
}

const char *rs_risk_action_name(uint8_t action)
{
    static const char *const n[] = {"info", "pause", "kill", "cut", "resume", "escalate", "block"};
    return action < RS_ARRAY_LEN(n) ? n[action] : "?";
}

void rs_rate_init(rs_rate *r)
{
    memset(r, 0, sizeof *r);
}

void rs_rate_add(rs_rate *r, int64_t now)
{
    r->ts[r->head] = now;
    r->head = (r->head + 1) % RS_RATE_CAP;
    if (r->n < RS_RATE_CAP)
        r->n++;
}

uint32_t rs_rate_count(const rs_rate *r, int64_t now, int64_t window_ns)
{
    uint32_t c = 0;
    uint32_t i = r->head;
    while (c < r->n) {
        i = i == 0 ? RS_RATE_CAP - 1 : i - 1;
        if (r->ts[i] <= now - window_ns)
            break;   /* newest first: everything older is outside too */
        c++;
    }
    return c;
}

bool rs_rate_reached(const rs_rate *r, int64_t now, int64_t window_ns, uint32_t k)
{
    if (k == 0)
        return true;
    if (k > r->n)
        return false;
    /* times are non-decreasing, so k sends are in the window exactly when
     * the k-th newest is */
    return r->ts[(r->head + RS_RATE_CAP - k) % RS_RATE_CAP] > now - window_ns;
}

static int over(double v, double lim, double *value, double *limit)
{
    if (lim > 0 && !(v <= lim)) {
        *value = v;
        *limit = lim;
        return 1;
    }
    return 0;
}

uint16_t rs_risk_check_order(const rs_limits *l, const rs_order_check *c, double *value, double *limit)
{
    *value = 0;
    *limit = 0;
    if (!(c->qty > 0) || !isfinite(c->qty)) {
        *value = c->qty;
        return RS_CIRC_ORDER_QTY;
    }
    if (!c->reduce_only) {
        if (over(c->qty, c->max_qty, value, limit))
            return RS_CIRC_ORDER_QTY;
        double notional = c->qty * c->px;
        if (!isfinite(notional)) {
            *value = notional;
            *limit = l->max_order_notional;
            return RS_CIRC_ORDER_NOTIONAL;
        }
        if (over(notional, l->max_order_notional, value, limit))
            return RS_CIRC_ORDER_NOTIONAL;
        if (over(c->pos_after, l->max_pos_notional, value, limit))
            return RS_CIRC_POSITION;
        if (over(c->gross_after, l->max_gross_notional, value, limit))
            return RS_CIRC_GROSS;
    }
    if (c->has_px && l->collar_bps > 0) {
        double dev = !(c->last_px > 0) ? INFINITY : fabs(c->px - c->last_px) / c->last_px * 1e4;
        if (over(dev, l->collar_bps, value, limit))
            return RS_CIRC_COLLAR;
    }
    return RS_CIRC_NONE;
}

uint16_t rs_risk_check_rate(const rs_limits *l, const rs_rate *r, int64_t now, double *value, double *limit)
{
    /* Every entry the gate considers checks the rate: ask whether the limit
     * is reached (one load) and count the window only to report a trip --
     * counting it each time walked up to max_per_min timestamps (~1,600
     * instructions per entry with the bench's 1024/min). */
    if (l->max_per_sec && rs_rate_reached(r, now, 1000000000LL, l->max_per_sec)) {
        *value = rs_rate_count(r, now, 1000000000LL) + 1;
        *limit = l->max_per_sec;
        return RS_CIRC_RATE_SEC;
    }
    if (l->max_per_min && rs_rate_reached(r, now, 60000000000LL, l->max_per_min)) {
        *value = rs_rate_count(r, now, 60000000000LL) + 1;
        *limit = l->max_per_min;
        return RS_CIRC_RATE_MIN;
    }
    return RS_CIRC_NONE;
}
