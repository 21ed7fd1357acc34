#include <stdio.h>
#include <string.h>

#include "sources.h"

void rs_timer_src_init(rs_timer_src *t, int64_t period_ns)
{
    memset(t, 0, sizeof *t);
    t->period_ns = period_ns > 0 ? period_ns : 100000000;
}

int rs_timer_src_poll(void *ctx, rs_emit *emit, int64_t now_ns)
{
    rs_timer_src *t = ctx;
    if (t->next_ns == 0)
        t->next_ns = now_ns;   /* first tick now */
    if (now_ns < t->next_ns)
        return 0;
    rs_ev_timer *ev = (rs_ev_timer *)rs_emit_claim(emit, RS_EV_TIMER, sizeof(rs_ev_timer));
    if (!ev)
        return 0;              /* ring full: try again next loop */
    ev->tick = ++t->tick;
    ev->period_ns = t->period_ns;
    ev->h.ts = now_ns;
    rs_emit_commit(emit, &ev->h);
    /* no catch-up bursts after a stall: the next tick is a period from now */
    t->next_ns = now_ns + t->period_ns;
    return 1;
}

void rs_ctl_src_init(rs_ctl_src *c, rs_region *r, rs_emit *model_emit)
{
    memset(c, 0, sizeof *c);
    c->region = r;
    c->model_emit = model_emit;
    c->seen = rs_load_acquire(&r->hdr->ctl.cmd_seq); /* partner: rs_region_post_cmd's release */
    rs_store_release(&r->hdr->ctl.cmd_ack, c->seen);
}

static int emit_ctl(rs_emit *emit, uint16_t cmd, const char *arg, int64_t now_ns)
{
    rs_ev_control *ev = (rs_ev_control *)rs_emit_claim(emit, RS_EV_CONTROL, sizeof(rs_ev_control));
    if (!ev)
        return -1;
    ev->cmd = cmd;
    ev->sym = 0xffff;
    snprintf(ev->arg, sizeof ev->arg, "%s", arg ? arg : "");
    ev->h.ts = now_ns;
    rs_emit_commit(emit, &ev->h);
    return 0;
}

int rs_ctl_src_poll(void *ctx, rs_emit *emit, int64_t now_ns)
{
    rs_ctl_src *c = ctx;
    /* the mailbox is a shared cache line: look at it every millisecond, not
     * every loop */
    if (now_ns - c->last_poll_ns < 1000000)
        return 0;
    c->last_poll_ns = now_ns;
    rs_region_ctl *ctl = &c->region->hdr->ctl;
    int n = 0;
    uint32_t kill = rs_load_acquire(&ctl->kill); /* partner: ctl's release store of kill */
    if (kill && !c->kill_seen) {
        if (emit_ctl(emit, RS_CTL_KILL, "kill flag", now_ns) == 0) {
            c->kill_seen = 1;
            n++;
        }
    }
    uint64_t seq = rs_load_acquire(&ctl->cmd_seq); /* partner: rs_region_post_cmd's release */
    if (seq != c->seen) {
        uint32_t cmd = rs_load_relaxed(&ctl->cmd);
        char arg[sizeof ctl->arg];
        memcpy(arg, ctl->arg, sizeof arg);
        arg[sizeof arg - 1] = '\0';
        int rc = 0;
        if (cmd == RS_CTL_RELOAD_MODEL && c->model_emit)
            rc = emit_ctl(c->model_emit, (uint16_t)cmd, arg, now_ns);
        else if (cmd == RS_CTL_KILL && c->kill_seen)
            rc = 0;            /* already sent from the flag */
        else
            rc = emit_ctl(emit, (uint16_t)cmd, arg, now_ns);
        if (rc == 0) {
            if (cmd == RS_CTL_KILL)
                c->kill_seen = 1;
            if (cmd == RS_CTL_PAUSE)
                rs_store_relaxed(&ctl->pause, 1u);
            if (cmd == RS_CTL_RESUME)
                rs_store_relaxed(&ctl->pause, 0u);
            if (cmd == RS_CTL_STOP)
                rs_store_relaxed(&ctl->stop, 1u);
            c->seen = seq;
            rs_store_release(&ctl->cmd_ack, seq); /* partner: ctl's acquire load of cmd_ack */
            n++;
        }
    }
    return n;
}
