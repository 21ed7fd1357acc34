/* io_uring TCP client sockets with kernel receive timestamps (see net.h). */
#include <errno.h>
#include <liburing.h>
#include <linux/errqueue.h>
#include <linux/net_tstamp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ringside/mem.h"
#include "ringside/net.h"

enum { SLOT_FREE = 0, SLOT_CONNECTING, SLOT_OPEN, SLOT_CLOSING };
enum { OP_CONNECT = 1, OP_RECV = 2, OP_SEND = 3 };

#define CTRL_LEN 256

typedef struct net_slot {
    int fd;
    int state;
    uint32_t gen;          /* bumps on every connect: stale completions are ignored */
    int inflight;          /* requests the kernel still holds (buffers busy) */
    int rx_cur;            /* buffer index of the recv in flight */
    bool recv_armed;
    bool want_recv;        /* re-arm at the end of this poll */
    bool send_inflight;
    uint32_t send_len;
    uint32_t tx_head, tx_tail;
    uint8_t *rx[2];
    uint8_t *tx;
    struct msghdr msg[2];
    struct iovec iov[2];
    uint8_t ctrl[2][CTRL_LEN] RS_ALIGNED(8);
    struct sockaddr_storage addr;
    socklen_t addrlen;
} net_slot;

struct rs_net_loop {
    struct io_uring ring;
    rs_net_cfg cfg;
    net_slot *slots;
    void *mem;
};

static inline uint64_t ud_make(int op, int buf, int slot, uint32_t gen)
{
    return ((uint64_t)gen << 32) | ((uint64_t)(unsigned)slot << 16) | ((uint64_t)buf << 8) | (uint64_t)op;
}

int rs_net_create(rs_net_loop **out, const rs_net_cfg *cfg_in)
{
    rs_net_cfg cfg = cfg_in ? *cfg_in : (rs_net_cfg){0};
    if (!cfg.max_conns) cfg.max_conns = 4;
    if (!cfg.rx_buf) cfg.rx_buf = 256 * 1024;
    if (!cfg.tx_buf) cfg.tx_buf = 64 * 1024;
    if (!cfg.sq_entries) cfg.sq_entries = 64;
    if (cfg.max_conns > 65535)
        return rs_err_set(RS_EBADCFG, "net: max_conns %u > 65535", cfg.max_conns);
    rs_net_loop *l = rs_mem_alloc(sizeof *l, 64, "net loop");
    if (!l)
        return -ENOMEM;
    l->cfg = cfg;
    size_t per = 2 * (size_t)cfg.rx_buf + cfg.tx_buf;
    l->slots = rs_mem_alloc(sizeof(net_slot) * cfg.max_conns, 64, "net slots");
    l->mem = rs_mem_alloc(per * cfg.max_conns, 4096, "net buffers");
    if (!l->slots || !l->mem) {
        rs_mem_free(l->slots);
        rs_mem_free(l->mem);
        rs_mem_free(l);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < cfg.max_conns; i++) {
        net_slot *s = &l->slots[i];
        uint8_t *base = (uint8_t *)l->mem + per * i;
        s->fd = -1;
        s->rx[0] = base;
        s->rx[1] = base + cfg.rx_buf;
        s->tx = base + 2 * (size_t)cfg.rx_buf;
    }
    /* COOP_TASKRUN + TASKRUN_FLAG: completions that need task work (every
     * socket receive) raise a flag in the SQ ring instead of an IPI, and
     * io_uring_peek_batch_cqe enters the kernel only when that flag is set.
     * Without it a thread that spins in user space without syscalls sees
     * its receives late (measured: ms under load). */
    struct io_uring_params p = {.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG};
    int rc = io_uring_queue_init_params(cfg.sq_entries, &l->ring, &p);
    if (rc == -EINVAL)   /* kernel < 5.19 */
        rc = io_uring_queue_init(cfg.sq_entries, &l->ring, 0);
    if (rc < 0) {
        rs_mem_free(l->slots);
        rs_mem_free(l->mem);
        rs_mem_free(l);
        return rs_err_set(-rc, "net: io_uring_queue_init(%u): %s", cfg.sq_entries, strerror(-rc));
    }
    *out = l;
    return 0;
}

void rs_net_destroy(rs_net_loop *l)
{
    if (!l)
        return;
    for (uint32_t i = 0; i < l->cfg.max_conns; i++)
        if (l->slots[i].fd >= 0) {
            shutdown(l->slots[i].fd, SHUT_RDWR);
            close(l->slots[i].fd);
        }
    /* Tearing down the ring cancels and waits for in-flight requests, so the
     * buffers may be freed afterwards. */
    io_uring_queue_exit(&l->ring);
    rs_mem_free(l->slots);
    rs_mem_free(l->mem);
    rs_mem_free(l);
}

static struct io_uring_sqe *get_sqe(rs_net_loop *l)
{
    struct io_uring_sqe *sqe = io_uring_get_sqe(&l->ring);
    if (!sqe) {
        /* SQ full: push what is queued to the kernel to make room. */
        io_uring_submit(&l->ring);
        sqe = io_uring_get_sqe(&l->ring);
    }
    return sqe;
}

static void arm_recv(rs_net_loop *l, int i, int buf)
{
    net_slot *s = &l->slots[i];
    struct io_uring_sqe *sqe = get_sqe(l);
    if (!sqe) {
        s->want_recv = true;   /* retried at the next poll */
        return;
    }
    s->iov[buf].iov_base = s->rx[buf];
    s->iov[buf].iov_len = l->cfg.rx_buf;
    struct msghdr *m = &s->msg[buf];
    memset(m, 0, sizeof *m);
    m->msg_iov = &s->iov[buf];
    m->msg_iovlen = 1;
    m->msg_control = s->ctrl[buf];
    m->msg_controllen = CTRL_LEN;
    io_uring_prep_recvmsg(sqe, s->fd, m, 0);
    io_uring_sqe_set_data64(sqe, ud_make(OP_RECV, buf, i, s->gen));
    s->rx_cur = buf;
    s->recv_armed = true;
    s->want_recv = false;
    s->inflight++;
}

static void arm_send(rs_net_loop *l, int i)
{
    net_slot *s = &l->slots[i];
    if (s->send_inflight || s->tx_head == s->tx_tail || s->state != SLOT_OPEN)
        return;
    struct io_uring_sqe *sqe = get_sqe(l);
    if (!sqe)
        return;   /* retried at the next poll (tx data stays queued) */
    s->send_len = s->tx_tail - s->tx_head;
    io_uring_prep_send(sqe, s->fd, s->tx + s->tx_head, s->send_len, MSG_NOSIGNAL);
    io_uring_sqe_set_data64(sqe, ud_make(OP_SEND, 0, i, s->gen));
    s->send_inflight = true;
    s->inflight++;
}

int rs_net_resolve(const char *host, uint16_t port, rs_net_addr *out)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *res = NULL;
    char portstr[8];
    snprintf(portstr, sizeof portstr, "%u", port);
    int g = getaddrinfo(host, portstr, &hints, &res);
    if (g != 0 || !res)
        return rs_err_set(EHOSTUNREACH, "net: cannot resolve '%s': %s", host, gai_strerror(g));
    _Static_assert(sizeof out->storage >= sizeof(struct sockaddr_storage), "rs_net_addr too small");
    memcpy(out->storage, res->ai_addr, res->ai_addrlen);
    out->len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int rs_net_connect(rs_net_loop *l, const char *host, uint16_t port)
{
    rs_net_addr a;
    int rc = rs_net_resolve(host, port, &a);
    return rc < 0 ? rc : rs_net_connect_addr(l, &a);
}

int rs_net_connect_addr(rs_net_loop *l, const rs_net_addr *a)
{
    int i = -1;
    for (uint32_t k = 0; k < l->cfg.max_conns; k++)
        if (l->slots[k].state == SLOT_FREE) {
            i = (int)k;
            break;
        }
    if (i < 0)
        return rs_err_set(EBUSY, "net: no free connection slot (max_conns=%u)", l->cfg.max_conns);
    net_slot *s = &l->slots[i];
    memcpy(&s->addr, a->storage, a->len);
    s->addrlen = a->len;
    int fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return rs_err_set(errno, "net: socket(): %s", strerror(errno));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!l->cfg.no_timestamps) {
        int flags = SOF_TIMESTAMPING_RX_SOFTWARE | SOF_TIMESTAMPING_SOFTWARE |
                    SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
        if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof flags) < 0) {
            int e = errno;
            close(fd);
            return rs_err_set(e, "net: setsockopt(SO_TIMESTAMPING): %s", strerror(e));
        }
    }
    struct io_uring_sqe *sqe = get_sqe(l);
    if (!sqe) {
        close(fd);
        return rs_err_set(EAGAIN, "net: io_uring submission queue full");
    }
    s->fd = fd;
    s->gen++;
    s->state = SLOT_CONNECTING;
    s->inflight = 0;
    s->recv_armed = s->want_recv = s->send_inflight = false;
    s->tx_head = s->tx_tail = 0;
    io_uring_prep_connect(sqe, fd, (struct sockaddr *)&s->addr, s->addrlen);
    io_uring_sqe_set_data64(sqe, ud_make(OP_CONNECT, 0, i, s->gen));
    s->inflight++;
    io_uring_submit(&l->ring);
    return i;
}

static void slot_close(rs_net_loop *l, int i)
{
    net_slot *s = &l->slots[i];
    if (s->state == SLOT_FREE || s->state == SLOT_CLOSING)
        return;
    if (s->fd >= 0) {
        /* shutdown wakes the in-flight recv/send; the ring keeps its own
         * file reference so close() is safe right away. */
        shutdown(s->fd, SHUT_RDWR);
        close(s->fd);
        s->fd = -1;
    }
    s->gen++;   /* completions still in flight are stale from now on */
    s->state = s->inflight > 0 ? SLOT_CLOSING : SLOT_FREE;
    s->tx_head = s->tx_tail = 0;
    s->want_recv = false;
}

void rs_net_close(rs_net_loop *l, int conn)
{
    if (conn < 0 || (uint32_t)conn >= l->cfg.max_conns)
        return;
    slot_close(l, conn);
}

static int64_t cmsg_stamp(struct msghdr *m)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(m); c; c = CMSG_NXTHDR(m, c)) {
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
            struct scm_timestamping ts;
            memcpy(&ts, CMSG_DATA(c), sizeof ts);
            /* ts[2]: raw hardware stamp when the NIC provides one. */
            const struct timespec *t = (ts.ts[2].tv_sec || ts.ts[2].tv_nsec) ? &ts.ts[2] : &ts.ts[0];
            return (int64_t)t->tv_sec * 1000000000ll + t->tv_nsec;
        }
    }
    return 0;
}

int rs_net_poll(rs_net_loop *l, rs_net_ev *evs, int max)
{
    struct io_uring_cqe *cqes[64];
    unsigned want = max < 64 ? (unsigned)max : 64;
    unsigned cnt = want ? io_uring_peek_batch_cqe(&l->ring, cqes, want) : 0;
    if (!cnt && want && (IO_URING_READ_ONCE(*l->ring.sq.kflags) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW))) {
        /* Completions are waiting for task work: one syscall runs it. */
        io_uring_get_events(&l->ring);
        cnt = io_uring_peek_batch_cqe(&l->ring, cqes, want);
    }
    int n = 0;
    for (unsigned k = 0; k < cnt; k++) {
        uint64_t ud = io_uring_cqe_get_data64(cqes[k]);
        int res = cqes[k]->res;
        if (ud == LIBURING_UDATA_TIMEOUT)
            continue;
        int op = (int)(ud & 0xff), buf = (int)((ud >> 8) & 0xff), i = (int)((ud >> 16) & 0xffff);
        uint32_t gen = (uint32_t)(ud >> 32);
        if ((uint32_t)i >= l->cfg.max_conns)
            continue;
        net_slot *s = &l->slots[i];
        s->inflight--;
        if (op == OP_RECV) s->recv_armed = false;
        if (op == OP_SEND) s->send_inflight = false;
        if (gen != s->gen) {
            /* completion of a connection closed meanwhile */
            if (s->state == SLOT_CLOSING && s->inflight == 0)
                s->state = SLOT_FREE;
            continue;
        }
        switch (op) {
        case OP_CONNECT:
            evs[n++] = (rs_net_ev){.type = RS_NET_EV_CONNECTED, .conn = (uint16_t)i, .err = res < 0 ? res : 0};
            if (res < 0) {
                slot_close(l, i);
            } else {
                s->state = SLOT_OPEN;
                s->want_recv = true;
                s->rx_cur = 1;   /* first recv goes into buffer 0 */
            }
            break;
        case OP_RECV:
            if (res <= 0) {
                evs[n++] = (rs_net_ev){.type = RS_NET_EV_CLOSED, .conn = (uint16_t)i, .err = res};
                slot_close(l, i);
                break;
            }
            evs[n++] = (rs_net_ev){.type = RS_NET_EV_DATA, .conn = (uint16_t)i, .data = s->rx[buf],
                                   .len = (uint32_t)res, .rx_ns = cmsg_stamp(&s->msg[buf])};
            /* The other buffer was handed out by an earlier poll, so it is
             * free now; this one stays with the caller until the next poll. */
            s->want_recv = true;
            break;
        case OP_SEND:
            if (res < 0) {
                evs[n++] = (rs_net_ev){.type = RS_NET_EV_CLOSED, .conn = (uint16_t)i, .err = res};
                slot_close(l, i);
                break;
            }
            s->tx_head += (uint32_t)res;
            if (s->tx_head == s->tx_tail)
                s->tx_head = s->tx_tail = 0;
            break;
        }
    }
    if (cnt)
        io_uring_cq_advance(&l->ring, cnt);
    for (uint32_t i = 0; i < l->cfg.max_conns; i++) {
        net_slot *s = &l->slots[i];
        if (s->state != SLOT_OPEN)
            continue;
        if (s->want_recv && !s->recv_armed)
            arm_recv(l, (int)i, s->rx_cur ^ 1);
        if (!s->send_inflight && s->tx_tail != s->tx_head)
            arm_send(l, (int)i);
    }
    if (io_uring_sq_ready(&l->ring))
        io_uring_submit(&l->ring);
    return n;
}

int rs_net_wait(rs_net_loop *l, int64_t timeout_ns)
{
    if (io_uring_sq_ready(&l->ring))
        io_uring_submit(&l->ring);
    struct io_uring_cqe *cqe = NULL;
    struct __kernel_timespec ts = {.tv_sec = timeout_ns / 1000000000ll, .tv_nsec = timeout_ns % 1000000000ll};
    int rc = io_uring_wait_cqe_timeout(&l->ring, &cqe, &ts);
    if (rc == -ETIME || rc == -EINTR || rc == 0)
        return 0;
    return rc;
}

int rs_net_send(rs_net_loop *l, int conn, const void *data, uint32_t n)
{
    if (RS_UNLIKELY(conn < 0 || (uint32_t)conn >= l->cfg.max_conns))
        return RS_BAD;
    net_slot *s = &l->slots[conn];
    if (RS_UNLIKELY(s->state != SLOT_OPEN))
        return RS_BAD;
    if (l->cfg.tx_buf - s->tx_tail < n) {
        /* Compact only while the kernel is not reading from the buffer. */
        if (s->send_inflight || s->tx_tail - s->tx_head + n > l->cfg.tx_buf)
            return RS_FULL;
        memmove(s->tx, s->tx + s->tx_head, s->tx_tail - s->tx_head);
        s->tx_tail -= s->tx_head;
        s->tx_head = 0;
    }
    memcpy(s->tx + s->tx_tail, data, n);
    s->tx_tail += n;
    return RS_OK;
}

uint32_t rs_net_tx_pending(const rs_net_loop *l, int conn)
{
    if (conn < 0 || (uint32_t)conn >= l->cfg.max_conns)
        return 0;
    return l->slots[conn].tx_tail - l->slots[conn].tx_head;
}

uint32_t rs_net_tx_free(const rs_net_loop *l, int conn)
{
    if (conn < 0 || (uint32_t)conn >= l->cfg.max_conns || l->slots[conn].state != SLOT_OPEN)
        return 0;
    const net_slot *s = &l->slots[conn];
    if (s->send_inflight)
        return l->cfg.tx_buf - s->tx_tail;
    return l->cfg.tx_buf - (s->tx_tail - s->tx_head);
}

int rs_net_fd(const rs_net_loop *l, int conn)
{
    if (conn < 0 || (uint32_t)conn >= l->cfg.max_conns)
        return -1;
    return l->slots[conn].fd;
}
