#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/net_tstamp.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
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

void rs_test_hold_rx_stamps(void)
{
    static int fd = -1;   /* held until exit: keeps stamping on host-wide */
    if (fd >= 0)
        return;
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    assert_true(fd >= 0);
    int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE;
    assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags), 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &al), 0);
    for (int tries = 0; tries < 1000; tries++) {
        assert_int_equal(sendto(fd, "t", 1, 0, (struct sockaddr *)&a, sizeof a), 1);
        char b[8], ctl[256];
        struct iovec iov = {b, sizeof b};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof ctl};
        assert_int_equal(recvmsg(fd, &m, 0), 1);
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
            if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_TIMESTAMPING) {
                struct timespec ts[3];
                memcpy(ts, CMSG_DATA(c), sizeof ts);
                if (ts[0].tv_sec || ts[0].tv_nsec)
                    return;
            }
        }
        struct timespec d = {0, 10000000};
        nanosleep(&d, NULL);
    }
    fail_msg("kernel receive stamps never came on (SO_TIMESTAMPING on a loopback UDP socket, 10 s)");
}
