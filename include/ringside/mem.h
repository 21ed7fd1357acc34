/* ringside/mem.h -- the one allocation wrapper.
 *
 * All allocation happens at start-up (or in cold control paths such as model
 * loading) through rs_mem_alloc/rs_mem_free, backed by jemalloc in normal
 * builds (libc malloc under sanitizers). Hot paths never allocate; the test
 * tests/unit/test_hot_alloc.c proves it with jemalloc's per-thread counter
 * (rs_mem_thread_allocated()).
 */
#ifndef RINGSIDE_MEM_H
#define RINGSIDE_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Allocate size bytes aligned to align (power of two, >= sizeof(void*)),
 * zero-filled. Returns NULL and sets rs_err on failure. Caller owns the
 * memory and releases it with rs_mem_free. `what` names the purpose for the
 * error message. */
void *rs_mem_alloc(size_t size, size_t align, const char *what);

/* Release memory from rs_mem_alloc (NULL is a no-op). */
void rs_mem_free(void *p);

/* Number of successful rs_mem_alloc calls in this process. */
uint64_t rs_mem_alloc_count(void);

/* Bytes allocated so far by the calling thread through ANY malloc path
 * (jemalloc's thread.allocated), or UINT64_MAX when not available (sanitizer
 * builds). Used by tests to prove a hot path allocates nothing. */
uint64_t rs_mem_thread_allocated(void);

#endif
