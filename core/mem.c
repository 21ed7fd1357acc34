/* The one allocation wrapper. jemalloc in normal builds so that
 * thread.allocated gives tests an exact "did this code allocate" answer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/atomics.h"
#include "ringside/common.h"
#include "ringside/mem.h"

#ifdef RS_HAVE_JEMALLOC
#include <jemalloc/jemalloc.h>
#endif

static rs_atomic_u64 rs_mem_count;

void *rs_mem_alloc(size_t size, size_t align, const char *what)
{
    if (align < sizeof(void *))
        align = sizeof(void *);
    if (size == 0)
        size = align;
    void *p = NULL;
    if (posix_memalign(&p, align, size) != 0 || !p) {
        rs_err_set(ENOMEM, "out of memory allocating %zu bytes for %s", size, what ? what : "?");
        return NULL;
    }
    memset(p, 0, size);
    rs_add_relaxed(&rs_mem_count, 1);
    return p;
}

void rs_mem_free(void *p) { free(p); }

uint64_t rs_mem_alloc_count(void) { return rs_load_relaxed(&rs_mem_count); }

uint64_t rs_mem_thread_allocated(void)
{
#ifdef RS_HAVE_JEMALLOC
    uint64_t v = 0;
    size_t sz = sizeof v;
    if (mallctl("thread.allocated", &v, &sz, NULL, 0) == 0)
        return v;
#endif
    return UINT64_MAX;
}
