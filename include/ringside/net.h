/* ringside/net.h -- TCP client sockets driven by io_uring, with kernel
 * receive timestamps.
 *
 * One rs_net_loop owns one io_uring and a fixed number of connection slots.
 * Everything is allocated by rs_net_create (rx/tx buffers, msghdrs, control
 * buffers); nothing is allocated after that. The owning thread polls the loop
 * with rs_net_poll, which never blocks: it harvests completions that are
 * already there and submits new requests (one io_uring_enter per call when
 * something is queued, none when idle).
 *
 * Receive: every open connection always has exactly one IORING_OP_RECVMSG in
 * flight into one of its two rx buffers (double buffering: the buffer handed
 * to the caller stays valid until the next rs_net_poll while the kernel fills
 * the other one). Each receive carries the kernel's software receive
 * timestamp (SO_TIMESTAMPING, SOF_TIMESTAMPING_RX_SOFTWARE|SOFTWARE) read
 * from the SCM_TIMESTAMPING control message. For TCP, the kernel reports the
 * stamp of the most recent skb copied by that receive.
 *
 * Send: rs_net_send copies bytes into the connection's tx buffer; a single
 * IORING_OP_SEND is kept in flight, partial sends are resubmitted.
 *
 * Thread-safety: a loop is used by one thread only.
 */
#ifndef RINGSIDE_NET_H
#define RINGSIDE_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "ringside/common.h"

typedef struct rs_net_loop rs_net_loop;

typedef struct rs_net_cfg {
    uint32_t max_conns;    /* connection slots (default 4) */
    uint32_t rx_buf;       /* bytes per rx buffer, two per slot (default 256 KiB) */
    uint32_t tx_buf;       /* bytes of tx buffer per slot (default 64 KiB) */
    uint32_t sq_entries;   /* io_uring SQ size (default 64) */
    bool no_timestamps;    /* true: do not request SO_TIMESTAMPING (rx_ns = 0) */
} rs_net_cfg;

enum rs_net_ev_type {
    RS_NET_EV_CONNECTED = 1, /* connect completed (err == 0) or failed (err < 0) */
    RS_NET_EV_DATA = 2,      /* data/len/rx_ns valid */
    RS_NET_EV_CLOSED = 3,    /* peer closed (EOF) or error (err < 0); slot now free */
};

typedef struct rs_net_ev {
    uint16_t type;         /* enum rs_net_ev_type */
    uint16_t conn;         /* slot index */
    int32_t err;           /* 0 or -errno */
    const uint8_t *data;   /* RS_NET_EV_DATA: borrowed, valid until the next rs_net_poll */
    uint32_t len;
    int64_t rx_ns;         /* kernel rx stamp (CLOCK_REALTIME ns), 0 if none */
} rs_net_ev;

/* Create a loop. cfg may be NULL (defaults). Returns 0 and *out, or -errno
 * with rs_err set (io_uring unavailable, out of memory). Caller destroys with
 * rs_net_destroy. */
int rs_net_create(rs_net_loop **out, const rs_net_cfg *cfg);

/* Close every socket, tear down the ring and free all memory. NULL is a no-op. */
void rs_net_destroy(rs_net_loop *l);

/* Start connecting to host:port (control path: resolves the name with
 * getaddrinfo, which may block). Creates a TCP socket with TCP_NODELAY and
 * SO_TIMESTAMPING and submits IORING_OP_CONNECT; completion is reported by
 * rs_net_poll as RS_NET_EV_CONNECTED. Returns the slot index (>= 0), or
 * -errno / -RS_EUSAGE with rs_err set (no free slot, resolution failure). */
int rs_net_connect(rs_net_loop *l, const char *host, uint16_t port);

/* Resolve host:port once (control path: getaddrinfo may block) into an
 * address for rs_net_connect_addr. Returns 0 or -EHOSTUNREACH with rs_err. */
typedef struct rs_net_addr {
    uint8_t storage[128];   /* struct sockaddr_storage */
    uint32_t len;
} rs_net_addr;
int rs_net_resolve(const char *host, uint16_t port, rs_net_addr *out);

/* rs_net_connect with an already resolved address: no name lookup, so it
 * never blocks (used for reconnects from a polling thread). */
int rs_net_connect_addr(rs_net_loop *l, const rs_net_addr *a);

/* Harvest up to max completed events into evs (never blocks). Returns the
 * number of events. Data pointers from the previous call become invalid.
 * Hot path: no allocation, no logging. */
int rs_net_poll(rs_net_loop *l, rs_net_ev *evs, int max);

/* Wait up to timeout_ns for at least one completion (for callers that would
 * otherwise spin: tools, tests, polite idle strategies). Returns 0 or -errno. */
int rs_net_wait(rs_net_loop *l, int64_t timeout_ns);

/* Queue n bytes for sending on a connected slot. Returns RS_OK, RS_FULL (not
 * enough tx space: nothing queued), or RS_BAD (slot not connected). The send
 * is submitted by the next rs_net_poll. Hot path. */
int rs_net_send(rs_net_loop *l, int conn, const void *data, uint32_t n);

/* Bytes queued but not yet acknowledged by the kernel. */
uint32_t rs_net_tx_pending(const rs_net_loop *l, int conn);

/* Largest n that rs_net_send(conn, ..., n) accepts right now (0 if the slot
 * is not connected). */
uint32_t rs_net_tx_free(const rs_net_loop *l, int conn);

/* Close a slot now (shutdown + close; in-flight requests are cancelled). The
 * slot is free again once its requests drained (a later rs_net_poll); no
 * CLOSED event is reported for a close the caller asked for. */
void rs_net_close(rs_net_loop *l, int conn);

/* The socket fd of a slot (-1 if none): for getsockopt/diagnostics only. */
int rs_net_fd(const rs_net_loop *l, int conn);

#endif
