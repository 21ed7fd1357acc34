/* tests/testutil.h -- helpers shared by the C tests (cmocka). */
#ifndef RS_TESTUTIL_H
#define RS_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

/* Print why and exit 77 (ctest SKIP_RETURN_CODE). */
_Noreturn void rs_test_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Path under the source tree / ../shared (static buffer per call slot). */
const char *rs_test_src(const char *rel);
const char *rs_test_shared(const char *rel);

/* Read a whole file into a malloc'd NUL-terminated buffer; *n gets the size.
 * Fails the test if unreadable. */
char *rs_test_read_file(const char *path, size_t *n);

/* A buffer whose last byte sits right before a PROT_NONE guard page: copy
 * n bytes of src so that reading src[n] faults. Returns the copy; release
 * with rs_guard_free. */
uint8_t *rs_guard_copy(const void *src, size_t n);
void rs_guard_free(uint8_t *p, size_t n);

/* Scale for long tests: 1.0 in release, smaller under sanitizers
 * (RS_BUILD_TYPE) or when RS_TEST_SCALE is set. */
double rs_test_scale(void);

/* Build type string ("release", "asan", "tsan", ...). */
const char *rs_test_build_type(void);

/* Make kernel software receive stamps (SO_TIMESTAMPING) certain for the rest
 * of the process. Linux turns receive stamping on for the whole host only
 * while some socket asks for it, and the first socket's request takes
 * effect later, from a work queue: a connection opened while no other
 * socket held it open can receive its first segments unstamped (seen on a
 * loaded CI box). This holds one stamping UDP socket open and waits (up to
 * 10 s) until a datagram it sends itself comes back stamped. Fails the test
 * if that never happens. */
void rs_test_hold_rx_stamps(void);

#endif
