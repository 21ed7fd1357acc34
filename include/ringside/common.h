/* ringside/common.h -- result codes, error reporting, cache-line layout.
 *
 * Two error conventions (house style):
 *  - Control path (start-up, config, files, sockets being set up): functions
 *    return 0 on success or a negative code (-errno or -RS_E...), and leave a
 *    human-readable message retrievable with rs_err_msg() on the same thread.
 *  - Hot path: functions return small result codes (RS_OK, RS_FULL,
 *    RS_EMPTY, RS_AGAIN, ...) and never log or format messages.
 */
#ifndef RINGSIDE_COMMON_H
#define RINGSIDE_COMMON_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#define RS_CACHELINE 64
#define RS_ALIGNED(n) __attribute__((aligned(n)))
#define RS_CL_ALIGNED RS_ALIGNED(RS_CACHELINE)
#define RS_LIKELY(x) __builtin_expect(!!(x), 1)
#define RS_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define RS_UNUSED __attribute__((unused))
#define RS_PRINTF(a, b) __attribute__((format(printf, a, b)))
#define RS_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Benchmarks and tests: make the compiler believe x is used, so the code that
 * computed it is not optimised away (an empty asm with a memory clobber). */
#define RS_KEEP(x) __asm__("" : : "g"(x) : "memory")
#define RS_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

/* Hot-path result codes (non-negative; 0 is success). */
enum rs_result {
    RS_OK = 0,
    RS_FULL = 1,    /* no space now; retry later */
    RS_EMPTY = 2,   /* nothing to read now */
    RS_AGAIN = 3,   /* need more input bytes */
    RS_BAD = 4,     /* input rejected (malformed) */
    RS_SKIP = 5,    /* input deliberately ignored (e.g. duplicate) */
};

/* Control-path error codes beyond errno, returned negated (-RS_EBADCFG). */
enum rs_errcode {
    RS_EBASE = 1000,
    RS_EBADCFG,     /* invalid configuration */
    RS_EBADMODEL,   /* invalid or unsupported model file */
    RS_EVERSION,    /* version / layout / schema mismatch */
    RS_ESTALE,      /* stale object (dead creator, expired) */
    RS_ECORRUPT,    /* checksum / framing error in persisted data */
    RS_EPROTO,      /* peer violated a protocol */
    RS_ETLS,        /* TLS failure (handshake, verification) */
    RS_EUSAGE,      /* bad command-line usage */
    RS_ENOTBUILT,   /* feature not built yet */
};

/* Record a control-path error for this thread and return -code.
 * code is a positive errno or RS_E... value. The message is formatted into a
 * thread-local buffer (1 KiB, truncated) and stays until the next call. */
int rs_err_set(int code, const char *fmt, ...) RS_PRINTF(2, 3);

/* The message of the last rs_err_set() on this thread ("" if none).
 * Borrowed; valid until the next rs_err_set() on this thread. */
const char *rs_err_msg(void);

/* Clear the thread's error message. */
void rs_err_clear(void);

/* A short name for an error code (negative or positive), e.g. "EBADCFG" or
 * strerror text for errno values. Static storage. */
const char *rs_err_name(int code);

#endif
