/* RFC 6455 frame parser/encoder and handshake helpers. Every prefix of every
 * frame is parsed from a buffer that ends right before a guard page. */
#include <string.h>

#include "ringside/ws.h"
#include "testutil.h"

typedef struct frame_case {
    const char *name;
    uint8_t bytes[160];
    size_t n;
    int want;          /* RS_OK or RS_BAD for the whole frame */
    int err;           /* expected f.err for RS_BAD */
    bool from_client;
} frame_case;

static size_t mk(uint8_t *out, int op, bool fin, size_t len, bool masked)
{
    static uint8_t payload[70000];
    for (size_t i = 0; i < len && i < sizeof payload; i++)
        payload[i] = (uint8_t)('a' + i % 26);
    return rs_ws_frame_write(out, 80000, op, fin, payload, len, masked, 0x11223344u);
}

/* Parse every prefix: shorter ones must say RS_AGAIN (or RS_BAD as soon as
 * the violation is visible), the whole frame must give `want`. */
static void check_prefixes(const uint8_t *b, size_t n, bool from_client, int want, int want_err, uint64_t max)
{
    bool bad_seen = false;
    for (size_t k = 0; k <= n; k++) {
        /* Long frames: every prefix around the header and the end, a
         * stride in between (each prefix costs an mmap). */
        if (n > 2048 && k > 64 && k + 64 < n && k % 997)
            continue;
        uint8_t *g = rs_guard_copy(b, k);
        rs_ws_frame f;
        size_t used = 99;
        int rc = rs_ws_frame_parse(g, k, max, from_client, &f, &used);
        if (k < n) {
            if (rc == RS_BAD) {
                assert_int_equal(want, RS_BAD);
                assert_int_equal(f.err, want_err);
                bad_seen = true;
            } else {
                assert_false(bad_seen);   /* once visible, a violation stays visible */
                assert_int_equal(rc, RS_AGAIN);
            }
        } else {
            assert_int_equal(rc, want);
            if (want == RS_OK) {
                assert_int_equal(used, n);
                assert_true(f.payload >= g && f.payload + f.len == g + n);
            } else {
                assert_int_equal(f.err, want_err);
            }
        }
        rs_guard_free(g, k);
    }
}

static void test_valid_frames_every_prefix(void **st)
{
    (void)st;
    static uint8_t b[80000];
    const size_t lens[] = {0, 1, 125, 126, 127, 1000, 65535, 65536, 69999};
    const int ops[] = {RS_WS_TEXT, RS_WS_BINARY, RS_WS_CONT};
    for (size_t o = 0; o < 3; o++)
        for (size_t i = 0; i < RS_ARRAY_LEN(lens); i++)
            for (int m = 0; m < 2; m++) {
                size_t n = mk(b, ops[o], o != 2, lens[i], m);
                assert_int_equal(n, rs_ws_header_len(lens[i], m) + lens[i]);
                check_prefixes(b, n, m, RS_OK, 0, 1u << 20);
            }
    /* control frames */
    const int ctl[] = {RS_WS_PING, RS_WS_PONG, RS_WS_CLOSE};
    for (size_t o = 0; o < 3; o++) {
        size_t n = mk(b, ctl[o], true, 125, false);
        check_prefixes(b, n, false, RS_OK, 0, 1u << 20);
    }
}

static void test_roundtrip_mask(void **st)
{
    (void)st;
    uint8_t b[300];
    const char *msg = "{\"e\":\"trade\",\"p\":\"0.001\"}";
    size_t n = rs_ws_frame_write(b, sizeof b, RS_WS_TEXT, true, (const uint8_t *)msg, strlen(msg), true, 0xdeadbeef);
    assert_true(n > 0);
    rs_ws_frame f;
    size_t used;
    assert_int_equal(rs_ws_frame_parse(b, n, 1000, true, &f, &used), RS_OK);
    assert_true(f.masked);
    assert_int_equal(f.len, strlen(msg));
    assert_memory_not_equal(f.payload, msg, f.len);   /* on the wire it is masked */
    uint8_t *p = b + f.hdr_len;
    /* unmask in two pieces: offsets must carry over */
    rs_ws_mask(p, 5, f.mask, 0);
    rs_ws_mask(p + 5, f.len - 5, f.mask, 5);
    assert_memory_equal(p, msg, f.len);
    /* encoder refuses when the buffer is too small */
    assert_int_equal(rs_ws_frame_write(b, 10, RS_WS_TEXT, true, (const uint8_t *)msg, strlen(msg), false, 0), 0);
    /* RFC 6455 5.7 example: unmasked "Hello" */
    const uint8_t hello[] = {0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f};
    assert_int_equal(rs_ws_frame_parse(hello, sizeof hello, 100, false, &f, &used), RS_OK);
    assert_memory_equal(f.payload, "Hello", 5);
    /* masked "Hello" from the RFC */
    uint8_t mh[] = {0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58};
    assert_int_equal(rs_ws_frame_parse(mh, sizeof mh, 100, true, &f, &used), RS_OK);
    rs_ws_mask(mh + 6, 5, f.mask, 0);
    assert_memory_equal(mh + 6, "Hello", 5);
    /* fragmented unmasked text message from the RFC: "Hel" + "lo" */
    const uint8_t frag[] = {0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f};
    assert_int_equal(rs_ws_frame_parse(frag, sizeof frag, 100, false, &f, &used), RS_OK);
    assert_false(f.fin);
    assert_int_equal(f.opcode, RS_WS_TEXT);
    assert_int_equal(used, 5);
    assert_int_equal(rs_ws_frame_parse(frag + 5, 4, 100, false, &f, &used), RS_OK);
    assert_true(f.fin);
    assert_int_equal(f.opcode, RS_WS_CONT);
}

static void test_violations(void **st)
{
    (void)st;
    const frame_case cases[] = {
        {"rsv1", {0xc1, 0x00}, 2, RS_BAD, RS_WS_ERR_RSV, false},
        {"rsv3", {0x91, 0x00}, 2, RS_BAD, RS_WS_ERR_RSV, false},
        {"opcode 3", {0x83, 0x00}, 2, RS_BAD, RS_WS_ERR_OPCODE, false},
        {"opcode 0xb", {0x8b, 0x00}, 2, RS_BAD, RS_WS_ERR_OPCODE, false},
        {"fragmented ping", {0x09, 0x00}, 2, RS_BAD, RS_WS_ERR_CTRL_FRAG, false},
        {"long ping", {0x89, 0x7e, 0x00, 0x7e}, 4, RS_BAD, RS_WS_ERR_CTRL_LEN, false},
        {"masked from server", {0x81, 0x81, 1, 2, 3, 4, 'x'}, 7, RS_BAD, RS_WS_ERR_MASK, false},
        {"unmasked from client", {0x81, 0x01, 'x'}, 3, RS_BAD, RS_WS_ERR_MASK, true},
        {"16-bit length < 126", {0x81, 0x7e, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e'}, 9, RS_BAD, RS_WS_ERR_LEN_ENCODING, false},
        {"64-bit length <= 0xffff", {0x82, 0x7f, 0, 0, 0, 0, 0, 0, 0x01, 0x00}, 10, RS_BAD, RS_WS_ERR_LEN_ENCODING, false},
        {"64-bit length MSB", {0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 0}, 10, RS_BAD, RS_WS_ERR_LEN_ENCODING, false},
        {"too big", {0x82, 0x7f, 0, 0, 0, 0, 0x10, 0, 0, 0}, 10, RS_BAD, RS_WS_ERR_TOO_BIG, false},
    };
    for (size_t i = 0; i < RS_ARRAY_LEN(cases); i++) {
        const frame_case *c = &cases[i];
        check_prefixes(c->bytes, c->n, c->from_client, c->want, c->err, 1u << 20);
        assert_true(strlen(rs_ws_err_str(c->err)) > 5);
    }
    /* max frame size is enforced from the header alone */
    uint8_t b[300];
    size_t n = mk(b, RS_WS_TEXT, true, 200, false);
    rs_ws_frame f;
    size_t used;
    assert_int_equal(rs_ws_frame_parse(b, 4, 100, false, &f, &used), RS_BAD);
    assert_int_equal(f.err, RS_WS_ERR_TOO_BIG);
    assert_int_equal(f.len, 200);
    assert_int_equal(rs_ws_frame_parse(b, n, 200, false, &f, &used), RS_OK);
}

static void test_handshake(void **st)
{
    (void)st;
    char acc[32];
    /* RFC 6455 section 1.3 example */
    assert_int_equal(rs_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", acc, sizeof acc), 0);
    assert_string_equal(acc, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    char req[1024], key[32];
    const uint8_t nonce[16] = "the sample nonce";
    int n = rs_ws_client_request(req, sizeof req, "stream.binance.com", 9443, "/ws/btcusdt@trade", nonce, key, sizeof key);
    assert_true(n > 0);
    assert_string_equal(key, "dGhlIHNhbXBsZSBub25jZQ==");
    assert_non_null(strstr(req, "GET /ws/btcusdt@trade HTTP/1.1\r\n"));
    assert_non_null(strstr(req, "Host: stream.binance.com:9443\r\n"));
    assert_non_null(strstr(req, "Sec-WebSocket-Version: 13\r\n"));
    assert_true(rs_ws_client_request(req, 50, "h", 443, "/", nonce, key, sizeof key) < 0);

    const char *ok = "HTTP/1.1 101 Switching Protocols\r\nupgrade: WebSocket\r\nConnection: keep-alive, Upgrade\r\n"
                     "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n{frame bytes}";
    int hl = rs_ws_check_response(ok, strlen(ok), key);
    assert_int_equal(hl, (int)(strstr(ok, "{frame") - ok));
    /* every proper prefix of the header: need more */
    for (size_t k = 0; k < (size_t)hl; k++) {
        uint8_t *g = rs_guard_copy(ok, k);
        assert_int_equal(rs_ws_check_response((const char *)g, k, key), 0);
        rs_guard_free(g, k);
    }
    const char *bad_accept = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: AAAA\r\n\r\n";
    assert_int_equal(rs_ws_check_response(bad_accept, strlen(bad_accept), key), -RS_EPROTO);
    assert_non_null(strstr(rs_err_msg(), "does not match"));
    const char *refused = "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(rs_ws_check_response(refused, strlen(refused), key), -RS_EPROTO);
    assert_non_null(strstr(rs_err_msg(), "403"));
    const char *no_up = "HTTP/1.1 101 OK\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_int_equal(rs_ws_check_response(no_up, strlen(no_up), key), -RS_EPROTO);
    assert_non_null(strstr(rs_err_msg(), "Upgrade"));
    const char *ext = "HTTP/1.1 101 OK\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Extensions: permessage-deflate\r\n"
                      "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n";
    assert_int_equal(rs_ws_check_response(ext, strlen(ext), key), -RS_EPROTO);
    /* each response alone, ending right before a guard page (the status code
     * was once read with sscanf, which runs past an unterminated buffer:
     * the fuzzer's input is the last one); "1010" / "10" are not 101 */
    const char *all[] = {bad_accept, refused, no_up, ext,
                         "HTTP/1.1 1010 OK\r\n\r\n", "HTTP/1.1 10\r\n\r\n", "HTTP/1.1 101\r\n\r\n",
                         "HTTP/1.1 101 Switching Pr\177tocols\r\n\025pgrade: websocket\r\n"
                         "Connept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"};
    const int want[] = {-RS_EPROTO, -RS_EPROTO, -RS_EPROTO, -RS_EPROTO, -RS_EPROTO, -RS_EPROTO, -RS_EPROTO, -RS_EPROTO};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        size_t k = strlen(all[i]);
        uint8_t *g = rs_guard_copy(all[i], k);
        assert_int_equal(rs_ws_check_response((const char *)g, k, key), want[i]);
        rs_guard_free(g, k);
    }
    uint8_t *g = rs_guard_copy(ok, (size_t)hl);
    assert_int_equal(rs_ws_check_response((const char *)g, (size_t)hl, key), hl);
    rs_guard_free(g, (size_t)hl);
}

static void test_utf8(void **st)
{
    (void)st;
    assert_true(rs_ws_utf8_valid((const uint8_t *)"plain", 5));
    assert_true(rs_ws_utf8_valid((const uint8_t *)"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
    assert_false(rs_ws_utf8_valid((const uint8_t *)"\xc3", 1));             /* truncated */
    assert_false(rs_ws_utf8_valid((const uint8_t *)"\xc0\xaf", 2));         /* overlong */
    assert_false(rs_ws_utf8_valid((const uint8_t *)"\xed\xa0\x80", 3));     /* surrogate */
    assert_false(rs_ws_utf8_valid((const uint8_t *)"\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    assert_false(rs_ws_utf8_valid((const uint8_t *)"\xff", 1));
}

static void test_backoff(void **st)
{
    (void)st;
    uint64_t a = 12345, b = 12345, c = 999;
    const int64_t mn = 100000000, mx = 30000000000ll;
    int same_c = 0;
    for (uint32_t f = 1; f <= 40; f++) {
        int64_t da = rs_ws_backoff_ns(&a, f, mn, mx), db = rs_ws_backoff_ns(&b, f, mn, mx);
        int64_t dc = rs_ws_backoff_ns(&c, f, mn, mx);
        assert_int_equal(da, db);   /* seeded: reproducible */
        same_c += da == dc;
        int64_t d = mn;
        for (uint32_t i = 1; i < f && d < mx; i++) d *= 2;
        if (d > mx) d = mx;
        assert_true(da >= d / 2 && da <= d);   /* jitter in [d/2, d] */
        assert_true(da <= mx);                 /* capped */
    }
    assert_true(same_c < 5);   /* another seed, other jitter */
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_valid_frames_every_prefix),
        cmocka_unit_test(test_roundtrip_mask),
        cmocka_unit_test(test_violations),
        cmocka_unit_test(test_handshake),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_backoff),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
