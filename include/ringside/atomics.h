/* ringside/atomics.h -- the one atomics header (C11 <stdatomic.h>).
 *
 * Rules: never `volatile`; every acquire names its release partner in a
 * comment at the call site and vice versa. These wrappers only shorten the
 * spelling; they add no ordering of their own.
 */
#ifndef RINGSIDE_ATOMICS_H
#define RINGSIDE_ATOMICS_H

#include <stdatomic.h>
#include <stdint.h>

typedef _Atomic uint64_t rs_atomic_u64;
typedef _Atomic uint32_t rs_atomic_u32;
typedef _Atomic int64_t rs_atomic_i64;
typedef _Atomic int32_t rs_atomic_i32;

#define rs_load_relaxed(p) atomic_load_explicit((p), memory_order_relaxed)
#define rs_load_acquire(p) atomic_load_explicit((p), memory_order_acquire)
#define rs_store_relaxed(p, v) atomic_store_explicit((p), (v), memory_order_relaxed)
#define rs_store_release(p, v) atomic_store_explicit((p), (v), memory_order_release)
#define rs_add_relaxed(p, v) atomic_fetch_add_explicit((p), (v), memory_order_relaxed)
#define rs_cas_acq_rel(p, e, d) \
    atomic_compare_exchange_strong_explicit((p), (e), (d), memory_order_acq_rel, memory_order_acquire)

/* Spin-wait hint for busy loops. */
static inline void rs_cpu_relax(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#else
    atomic_signal_fence(memory_order_seq_cst);
#endif
}

#endif
