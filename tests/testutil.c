#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

void rs_test_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("SKIPPED: ", stdout);
    vprintf(fmt, ap);
    fputc('\n', stdout);
    va_end(ap);
    fflush(stdout);
    exit(77);
}

static const char *join(const char *base, const char *rel)
{
    static _Thread_local char bufs[8][4096];
    static _Thread_local int slot;
    char *b = bufs[slot++ & 7];
    snprintf(b, 4096, "%s/%s", base, rel);
    return b;
}

const char *rs_test_src(const char *rel)
{
    const char *e = getenv("RS_SOURCE_DIR");
    return join(e ? e : RS_SOURCE_DIR, rel);
}

const char *rs_test_shared(const char *rel)
{
    const char *e = getenv("RS_SHARED_DIR");
    return join(e ? e : RS_SHARED_DIR, rel);
}

char *rs_test_read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        fail_msg("cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)sz + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)sz, f), (size_t)sz);
    buf[sz] = 0;
    fclose(f);
    if (n)
        *n = (size_t)sz;
    return buf;
}

uint8_t *rs_guard_copy(const void *src, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + pg - 1) / pg;
    if (data_pages == 0)
        data_pages = 1;
    size_t total = (data_pages + 1) * pg;
    uint8_t *base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    assert_true(base != MAP_FAILED);
    assert_int_equal(mprotect(base + data_pages * pg, pg, PROT_NONE), 0);
    uint8_t *p = base + data_pages * pg - n;
    if (n)
        memcpy(p, src, n);
    return p;
}

void rs_guard_free(uint8_t *p, size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    size_t data_pages = (n + pg - 1) / pg;
    if (data_pages == 0)
        data_pages = 1;
    uint8_t *base = p + n - data_pages * pg;
    munmap(base, (data_pages + 1) * pg);
}

const char *rs_test_build_type(void)
{
    const char *e = getenv("RS_BUILD_TYPE");
    return e ? e : "release";
}

double rs_test_scale(void)
{
    const char *e = getenv("RS_TEST_SCALE");
    if (e)
        return atof(e);
    const char *bt = rs_test_build_type();
    if (!strcmp(bt, "tsan")) return 0.01;
    if (!strcmp(bt, "asan")) return 0.05;
    if (!strcmp(bt, "debug")) return 0.2;
    return 1.0;
}
