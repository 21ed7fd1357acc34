/* ringside/venue_binance.h -- Binance Spot protocol: request builders and
 * response parsers. No sockets: bytes in, bytes out.
 *
 * Builders turn an rs_vreq into the exact bytes to put on the wire:
 *  - WS API (wss://ws-api.binance.com/ws-api/v3): one JSON text frame per
 *    request, `{"id":<req_id>,"method":...,"params":{...}}`; methods
 *    order.place, order.cancel, order.status, openOrders.status, myTrades,
 *    time, session.logon, userDataStream.subscribe. Params are emitted in
 *    name order and the signature covers "k=v&..." of all params except
 *    signature (raw UTF-8, apiKey included), per web-socket-api.md. When the
 *    session is logged on (rs_bn_set_session_authed), order requests carry
 *    neither apiKey nor signature.
 *  - REST (https://api.binance.com): a complete HTTP/1.1 request,
 *    `METHOD /api/v3/... ?query&signature=... HTTP/1.1` with X-MBX-APIKEY;
 *    parameters travel in the query string (the signed payload), the body is
 *    empty. Ed25519 signatures are percent-encoded.
 * Builders return the byte count, or -1 if `cap` is too small or the request
 * cannot be expressed (unknown symbol, REST logon); hot path, no messages.
 *
 * Parsers turn venue bytes into rs_vevt and call `fn` once per event, in
 * order. They never allocate and never copy. Return RS_OK, RS_SKIP (valid
 * but irrelevant: balance updates, list status), or RS_BAD (malformed or a
 * decimal with more precision than the instrument scale).
 */
#ifndef RINGSIDE_VENUE_BINANCE_H
#define RINGSIDE_VENUE_BINANCE_H

#include <stddef.h>
#include <stdint.h>

#include "ringside/exec_venue.h"
#include "ringside/instrument.h"
#include "ringside/sign.h"

typedef struct rs_bn_params {
    const rs_universe *u;          /* instruments: symbol names and scales (required) */
    const char *rest_host;         /* Host header; default "api.binance.com" */
    int64_t recv_window_ms;        /* recvWindow sent with signed requests; default 5000, 0 omits */
    uint8_t resp_type;             /* newOrderRespType: 0 omit, 1 ACK, 2 RESULT (default), 3 FULL */
    uint8_t pad[7];
    int32_t weight_limit;          /* REQUEST_WEIGHT per minute if no rateLimits seen; default 6000 */
    int32_t orders_limit;          /* ORDERS per 10 s if no rateLimits seen; default 50 */
} rs_bn_params;

/* Fill p with the documented defaults (u left NULL). */
void rs_bn_params_default(rs_bn_params *p);

typedef struct rs_bn {
    rs_bn_params p;
    char host[64];
    const char *api_key;           /* borrowed (rs_secrets) */
    size_t api_key_len;
    rs_sign_key *ws_key;           /* borrowed; signs WS API requests */
    rs_sign_key *rest_key;         /* borrowed; signs REST requests */
    int session_authed;            /* WS API session.logon succeeded */
    uint32_t last_cred_len;        /* bytes of credentials (API key, signature) in the last request
                                      built: the exec stage reports wire bytes without them, so a
                                      replay that holds no secrets reproduces its records */
} rs_bn;

/* Initialise an adapter over borrowed keys (they must outlive it).
 * api_key may be "" for unsigned use (tests, the simulator's parser).
 * Returns 0 or -EINVAL (no universe). */
int rs_bn_init(rs_bn *b, const rs_bn_params *p, const char *api_key, rs_sign_key *ws_key, rs_sign_key *rest_key);
void rs_bn_set_session_authed(rs_bn *b, int on);

/* WS API request frame for r (JSON text, no WebSocket framing). */
int rs_bn_ws_request(rs_bn *b, const rs_vreq *r, char *out, size_t cap);
/* REST request (full HTTP/1.1 text) for r. */
int rs_bn_rest_request(rs_bn *b, const rs_vreq *r, char *out, size_t cap);
/* The WS API signature payload for r ("k=v&..." sorted, without signature),
 * as rs_bn_ws_request would sign it. For tests and the simulator. */
int rs_bn_ws_payload(rs_bn *b, const rs_vreq *r, char *out, size_t cap);

typedef void (*rs_vevt_fn)(void *ctx, const rs_vevt *e);

/* The numeric "id" of a WS API response, or 0 for events / no id. */
uint32_t rs_bn_ws_id(const char *s, size_t n);
/* Parse one WS API text frame: a response to a request of kind req_kind
 * (enum rs_vreq_kind, from the caller's request table; 0 if unknown), or an
 * account event (`{"subscriptionId":N,"event":{...}}`, a bare event, or a
 * combined-stream `{"stream":..,"data":{...}}`). */
int rs_bn_parse_ws(const rs_bn *b, const char *s, size_t n, uint8_t req_kind, rs_vevt_fn fn, void *ctx);
/* Parse one REST response (status line, headers, de-chunked body) to the
 * request req_id of kind req_kind. Rate headers X-MBX-USED-WEIGHT-1M,
 * X-MBX-ORDER-COUNT-10S and Retry-After are reflected in the events. */
int rs_bn_parse_rest(const rs_bn *b, const char *s, size_t n, uint32_t req_id, uint8_t req_kind, rs_vevt_fn fn,
                     void *ctx);

/* ---- venue side (the simulator speaking Binance) -----------------------------
 * The inverse codec, for `ringside venue-sim` and in-process loopback tests:
 * parse a client's request bytes into an rs_vreq (and check its signature),
 * format rs_vevt answers and account events as Binance bytes. */

typedef struct rs_bn_srv_req {
    rs_vreq r;
    uint8_t channel;      /* 1 WS API, 2 REST (same values as RS_XCH_WS/RS_XCH_REST) */
    uint8_t has_sig;      /* a signature parameter was present */
    uint8_t sig_ok;       /* it verified with the key given (0 if no key / no signature) */
    uint8_t has_key;      /* apiKey param / X-MBX-APIKEY header present */
    uint32_t pad;
} rs_bn_srv_req;

/* Parse one WS API request frame. verify: key to check the signature with
 * (NULL: not checked). Returns RS_OK, or RS_BAD (malformed, unknown method or
 * symbol, a client id that is not ours). */
int rs_bn_srv_parse_ws(const rs_bn *b, const char *s, size_t n, rs_sign_key *verify, rs_bn_srv_req *out);
/* Parse one REST request (request line, headers, body). */
int rs_bn_srv_parse_rest(const rs_bn *b, const char *s, size_t n, rs_sign_key *verify, rs_bn_srv_req *out);

/* Format the answer to request `req` from the events that answer it (one
 * event, or a list's elements followed by its RS_VEVT_LIST_END), as a WS API
 * response frame (channel 1) or an HTTP response (channel 2). Returns bytes
 * or -1 (cap too small / nothing to say). */
int rs_bn_srv_answer(const rs_bn *b, const rs_vreq *req, uint8_t channel, const rs_vevt *ev, int n, char *out,
                     size_t cap);
/* Format an account-stream event (req_id 0: ack, fill, status, reject,
 * stream down) as a WS API user-data event `{"subscriptionId":0,"event":...}`.
 * Returns bytes, 0 if the event has no Binance form (stream up), -1 if cap
 * is too small. */
int rs_bn_srv_event(const rs_bn *b, const rs_vevt *e, char *out, size_t cap);

#endif
