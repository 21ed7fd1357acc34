/* bench/e2e_chain.h -- where one order's tick-to-order went, call by call.
 *
 * `bench e2e` logs every handler call of every stage (start, duration, the
 * origin frame of its input, and the call that produced its input: the
 * lineage). After a pass, the first order of each tick is walked back
 * through that lineage to the exact chain of five calls that made it --
 * the feed call that decoded the trade, the features call that closed the
 * bar, the model call for this symbol's vector, the gate call on its
 * prediction, the exec call that put the order out -- and the time from the
 * decoded trade to the order is split into the five handler calls and the
 * four waits between them. Each wait is split again by what the consumer's
 * thread did meanwhile: calls on the same tick (the fan-out: other symbols'
 * vectors and predictions of the same bar close), calls on other inputs,
 * and time outside any handler (hand-off between threads, idle wake-up, the
 * runtime's loop). The means of the parts add up to the mean tick-to-order.
 *
 * Bench-only code: nothing here runs in `ringside run`.
 */
#ifndef RS_BENCH_E2E_CHAIN_H
#define RS_BENCH_E2E_CHAIN_H

#include <stdint.h>

#include "ringside/hist.h"
#include "ringside/runtime.h"

/* One handler call (24 bytes). parent: (sid << 29) | (call index + 1) of
 * the call that committed this call's input record; 0 unknown. */
typedef struct e2e_call {
    uint64_t t0;         /* rdtsc at the call */
    uint32_t dur;        /* ticks */
    uint32_t origin;     /* schedule index + 1 of the input's origin frame; 0 none */
    uint32_t parent;
    uint16_t in_type;
    uint16_t pad;
} e2e_call;

#define E2E_PARENT(sid, call) (((uint32_t)(sid) << 29) | ((uint32_t)(call) + 1u))
#define E2E_CALL_MASK ((1u << 29) - 1u)
#define E2E_CALL_MAX (E2E_CALL_MASK - 1u)   /* largest call index */

/* One stage's log: written by that stage's thread only, read after join. */
typedef struct e2e_calls {
    e2e_call *c;
    uint64_t n, cap, lost;
} e2e_calls;

/* Parts of the chain, in path order. */
enum {
    E2E_CH_FEED,        /* trade committed -> feed call returns */
    E2E_CH_W_FEAT,      /* -> the features call starts */
    E2E_CH_FEAT,
    E2E_CH_W_MODEL,
    E2E_CH_MODEL,
    E2E_CH_W_GATE,
    E2E_CH_GATE,
    E2E_CH_W_EXEC,
    E2E_CH_EXEC,        /* exec call starts -> order committed */
    E2E_CH_N
};

/* What the consumer's thread did during each of the four waits (means, ns). */
enum { E2E_W_SAME, E2E_W_OTHER, E2E_W_OUTSIDE, E2E_W_N };

typedef struct e2e_chain_res {
    rs_hist part[E2E_CH_N];          /* ns */
    double wait_sum[4][E2E_W_N];     /* ns, summed over the chains */
    uint64_t n;                      /* chains walked */
    uint64_t broken;                 /* first orders whose lineage was incomplete */
} e2e_chain_res;

void e2e_chain_init(e2e_chain_res *r);

/* Walk one order back and add its parts. calls: the per-stage logs (indexed
 * by stage id); thread_of: the engine thread of each stage id; exec_call:
 * index of the exec call that committed the order; dec_tsc / ord_tsc: rdtsc
 * when the trade and the order were committed; origin: the tick. */
void e2e_chain_add(e2e_chain_res *r, const e2e_calls calls[RS_SID_MAX], const int thread_of[RS_SID_MAX],
                   uint32_t exec_call, uint32_t origin, uint64_t dec_tsc, uint64_t ord_tsc, double ns_per_tick);

/* Name of a part ("features", "wait->model", ...). */
const char *e2e_chain_part_name(int part);

#endif
