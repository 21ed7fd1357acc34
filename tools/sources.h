/* tools/sources.h -- the runtime's non-pure edges that are not venue I/O:
 * the timer and the control mailbox. They read clocks and shared memory and
 * publish input records onto rings, so everything they decide is journaled
 * before a stage sees it. */
#ifndef RS_TOOLS_SOURCES_H
#define RS_TOOLS_SOURCES_H

#include <stdint.h>

#include "ringside/region.h"
#include "ringside/runtime.h"

/* Timer: one RS_EV_TIMER every period_ns of wall time; h.ts is the wall time
 * of the tick (the feed stage maps it onto the venue's time axis). */
typedef struct rs_timer_src {
    int64_t period_ns;
    int64_t next_ns;
    uint64_t tick;
} rs_timer_src;
void rs_timer_src_init(rs_timer_src *t, int64_t period_ns);
int rs_timer_src_poll(void *ctx, rs_emit *emit, int64_t now_ns);

/* Control mailbox: turns `ringside ctl` commands (region ctl block) into
 * RS_EV_CONTROL records: model reloads on ctl_model, the rest on ctl. The
 * kill flag is also latched directly in the region by ctl, and the source
 * turns a set flag into a control record even if the mailbox was lost. */
typedef struct rs_ctl_src {
    rs_region *region;
    rs_emit *model_emit;     /* emitter of the ctl_model stream (same thread) */
    uint64_t seen;           /* last command sequence handled */
    uint32_t kill_seen;
    int64_t last_poll_ns;
} rs_ctl_src;
void rs_ctl_src_init(rs_ctl_src *c, rs_region *r, rs_emit *model_emit);
int rs_ctl_src_poll(void *ctx, rs_emit *emit, int64_t now_ns);

#endif
