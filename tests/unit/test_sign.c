/* Signing: the Binance signature vectors (HMAC-SHA256), RFC 8032 Ed25519,
 * and the WS API / REST builders producing exactly the documented payloads. */
#include <jansson.h>
#include <string.h>

#include "ringside/instrument.h"
#include "ringside/sign.h"
#include "ringside/venue_binance.h"
#include "testutil.h"

static json_t *vectors(void)
{
    size_t n;
    char *txt = rs_test_read_file(rs_test_shared("vectors/exchange/binance/signature_vectors.json"), &n);
    json_error_t err;
    json_t *j = json_loadb(txt, n, 0, &err);
    free(txt);
    if (!j)
        fail_msg("signature_vectors.json: %s at line %d", err.text, err.line);
    return j;
}

static void test_hmac_vectors(void **st)
{
    (void)st;
    json_t *j = vectors();
    const char *secret = json_string_value(json_object_get(j, "secret_key"));
    assert_non_null(secret);
    rs_sign_key k;
    assert_int_equal(rs_sign_init_hmac(&k, secret, strlen(secret)), 0);
    json_t *vs = json_object_get(j, "vectors");
    assert_true(json_array_size(vs) >= 7);
    size_t i;
    json_t *v;
    json_array_foreach(vs, i, v) {
        const char *pl = json_string_value(json_object_get(v, "signature_payload"));
        const char *want = json_string_value(json_object_get(v, "expected_signature_hex"));
        char sig[RS_SIGN_MAX];
        assert_int_equal(rs_sign(&k, pl, strlen(pl), NULL, 0, sig, sizeof sig), 64);
        assert_string_equal(sig, want);
        assert_int_equal(rs_sign_verify(&k, pl, strlen(pl), NULL, 0, want, 64), 1);
        /* REST query string + body: signed as one payload with no separator */
        const char *qs = json_string_value(json_object_get(v, "query_string"));
        const char *body = json_string_value(json_object_get(v, "request_body"));
        if (qs && body) {
            assert_int_equal(rs_sign(&k, qs, strlen(qs), body, strlen(body), sig, sizeof sig), 64);
            assert_string_equal(sig, want);
        }
    }
    /* case-insensitive hex on verify, wrong signature refused */
    const char *pl = "timestamp=1";
    char sig[RS_SIGN_MAX];
    rs_sign(&k, pl, strlen(pl), NULL, 0, sig, sizeof sig);
    for (char *c = sig; *c; c++)
        if (*c >= 'a' && *c <= 'f')
            *c = (char)(*c - 32);
    assert_int_equal(rs_sign_verify(&k, pl, strlen(pl), NULL, 0, sig, 64), 1);
    sig[0] = sig[0] == '0' ? '1' : '0';
    assert_int_equal(rs_sign_verify(&k, pl, strlen(pl), NULL, 0, sig, 64), 0);
    /* too-small output buffer */
    assert_int_equal(rs_sign(&k, pl, 1, NULL, 0, sig, 10), -1);
    rs_sign_fini(&k);
    json_decref(j);
}

static void test_ed25519_rfc8032(void **st)
{
    (void)st;
    /* RFC 8032 section 7.1, TEST 1 (empty message) and TEST 2 (0x72). */
    static const uint8_t seed1[32] = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a,
                                      0xf4, 0x92, 0xec, 0x2c, 0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32,
                                      0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
    static const char want1[] = "5VZDAMNgrHKQhuLMgG6CioSHfx645dl02HPgZSJJAVVfuIIVkKM7rMYeOXAc+bRr0lv18FlbviRlUUFDjnoQCw==";
    rs_sign_key k;
    assert_int_equal(rs_sign_init_ed25519(&k, seed1, 32, 1), 0);
    char sig[RS_SIGN_MAX];
    assert_int_equal(rs_sign(&k, "", 0, NULL, 0, sig, sizeof sig), 88);
    assert_string_equal(sig, want1);
    assert_int_equal(rs_sign_verify(&k, "", 0, NULL, 0, sig, 88), 1);
    assert_int_equal(rs_sign_verify(&k, "x", 1, NULL, 0, sig, 88), 0);
    /* split payload == joined payload */
    char a[RS_SIGN_MAX], b[RS_SIGN_MAX];
    rs_sign(&k, "abcdef", 6, NULL, 0, a, sizeof a);
    rs_sign(&k, "abc", 3, "def", 3, b, sizeof b);
    assert_string_equal(a, b);
    rs_sign_fini(&k);
    assert_int_not_equal(rs_sign_init_ed25519(&k, seed1, 31, 1), 0);
    assert_int_not_equal(rs_sign_init_ed25519(&k, "garbage", 7, 0), 0);
}

static void uni(rs_universe *u, const char *sym, int px_exp, int qty_exp)
{
    memset(u, 0, sizeof *u);
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, sym);
    in.venue = RS_VENUE_BINANCE;
    in.px_exp = (uint8_t)px_exp;
    in.qty_exp = (uint8_t)qty_exp;
    assert_true(rs_universe_add(u, &in) >= 0);
}

static void test_ws_builder_matches_vectors(void **st)
{
    (void)st;
    json_t *j = vectors();
    const char *secret = json_string_value(json_object_get(j, "secret_key"));
    const char *key = json_string_value(json_object_get(j, "api_key"));
    rs_sign_key hk;
    assert_int_equal(rs_sign_init_hmac(&hk, secret, strlen(secret)), 0);
    static rs_universe u;
    uni(&u, "BTCUSDT", 8, 8);
    rs_bn_params p;
    rs_bn_params_default(&p);
    p.u = &u;
    p.recv_window_ms = 0;
    p.resp_type = 0;
    rs_bn b;
    assert_int_equal(rs_bn_init(&b, &p, key, &hk, &hk), 0);
    /* web-socket-api.md "Place new order" reference example */
    rs_vreq r = {.kind = RS_VREQ_PLACE, .side = RS_SIDE_SELL, .ord_type = RS_ORD_LIMIT, .tif = 0, .sym = 0,
                 .req_id = 7, .px = 2341610000000, .qty = 847000, .ts_ms = 1660801715431};
    char out[2048];
    int n = rs_bn_ws_payload(&b, &r, out, sizeof out);
    assert_true(n > 0);
    json_t *v = json_array_get(json_object_get(j, "vectors"), 5);
    assert_string_equal(json_string_value(json_object_get(v, "name")), "wsapi_order_place_reference_example");
    assert_string_equal(out, json_string_value(json_object_get(v, "signature_payload")));
    n = rs_bn_ws_request(&b, &r, out, sizeof out);
    assert_true(n > 0);
    out[n] = 0;
    /* the frame is valid JSON carrying the documented signature */
    json_error_t err;
    json_t *req = json_loadb(out, (size_t)n, 0, &err);
    assert_non_null(req);
    assert_string_equal(json_string_value(json_object_get(req, "method")), "order.place");
    assert_int_equal(json_integer_value(json_object_get(req, "id")), 7);
    json_t *params = json_object_get(req, "params");
    assert_string_equal(json_string_value(json_object_get(params, "signature")),
                        json_string_value(json_object_get(v, "expected_signature_hex")));
    assert_string_equal(json_string_value(json_object_get(params, "price")), "23416.10000000");
    assert_int_equal(json_integer_value(json_object_get(params, "timestamp")), 1660801715431);
    json_decref(req);

    /* first example: recvWindow=100, price with 2 decimals */
    static rs_universe u2;
    uni(&u2, "BTCUSDT", 2, 8);
    p.u = &u2;
    p.recv_window_ms = 100;
    rs_bn_init(&b, &p, key, &hk, &hk);
    r = (rs_vreq){.kind = RS_VREQ_PLACE, .side = RS_SIDE_SELL, .ord_type = RS_ORD_LIMIT, .sym = 0, .req_id = 1,
                  .px = 5200000, .qty = 1000000, .ts_ms = 1645423376532};
    rs_bn_ws_payload(&b, &r, out, sizeof out);
    v = json_array_get(json_object_get(j, "vectors"), 3);
    assert_string_equal(out, json_string_value(json_object_get(v, "signature_payload")));

    /* session.logon vector */
    r = (rs_vreq){.kind = RS_VREQ_LOGON, .req_id = 2, .ts_ms = 1649729878532};
    p.recv_window_ms = 5000; /* logon never carries recvWindow in the vector */
    rs_bn_init(&b, &p, key, &hk, &hk);
    rs_bn_ws_payload(&b, &r, out, sizeof out);
    v = json_array_get(json_object_get(j, "vectors"), 6);
    assert_string_equal(out, json_string_value(json_object_get(v, "signature_payload")));
    n = rs_bn_ws_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_non_null(strstr(out, json_string_value(json_object_get(v, "expected_signature_hex"))));

    /* logged-on session: no apiKey, no signature on orders */
    rs_bn_set_session_authed(&b, 1);
    r = (rs_vreq){.kind = RS_VREQ_PLACE, .side = RS_SIDE_BUY, .ord_type = RS_ORD_MARKET, .sym = 0, .req_id = 3,
                  .qty = 100, .client_id = 0x123, .ts_ms = 1};
    n = rs_bn_ws_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_null(strstr(out, "signature"));
    assert_null(strstr(out, "apiKey"));
    assert_non_null(strstr(out, "\"newClientOrderId\":\"rs0000000000000123\""));
    assert_non_null(strstr(out, "\"type\":\"MARKET\""));
    /* too small buffer */
    assert_int_equal(rs_bn_ws_request(&b, &r, out, 20), -1);
    rs_sign_fini(&hk);
    json_decref(j);
}

static void test_rest_builder(void **st)
{
    (void)st;
    const char *secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    rs_sign_key hk;
    rs_sign_init_hmac(&hk, secret, strlen(secret));
    static rs_universe u;
    uni(&u, "LTCBTC", 1, 0);
    rs_bn_params p;
    rs_bn_params_default(&p);
    p.u = &u;
    p.resp_type = 0;
    rs_bn b;
    rs_bn_init(&b, &p, "KEY", &hk, &hk);
    rs_vreq r = {.kind = RS_VREQ_PLACE, .side = RS_SIDE_BUY, .ord_type = RS_ORD_LIMIT, .sym = 0, .req_id = 1,
                 .px = 1, .qty = 1, .ts_ms = 1499827319559};
    char out[2048];
    int n = rs_bn_rest_request(&b, &r, out, sizeof out);
    assert_true(n > 0);
    out[n] = 0;
    const char *want_qs = "price=0.1&quantity=1&recvWindow=5000&side=BUY&symbol=LTCBTC&timeInForce=GTC&"
                          "timestamp=1499827319559&type=LIMIT";
    assert_memory_equal(out, "POST /api/v3/order?", strlen("POST /api/v3/order?"));
    assert_memory_equal(out + 19, want_qs, strlen(want_qs));
    const char *sig = out + 19 + strlen(want_qs);
    assert_memory_equal(sig, "&signature=", 11);
    assert_int_equal(rs_sign_verify(&hk, want_qs, strlen(want_qs), NULL, 0, sig + 11, 64), 1);
    assert_non_null(strstr(out, " HTTP/1.1\r\nHost: api.binance.com\r\nX-MBX-APIKEY: KEY\r\n"));
    assert_non_null(strstr(out, "Content-Length: 0\r\n\r\n"));
    /* status / cancel / my-trades / time */
    r = (rs_vreq){.kind = RS_VREQ_STATUS, .sym = 0, .client_id = 0xabc, .ts_ms = 5};
    n = rs_bn_rest_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_memory_equal(out, "GET /api/v3/order?origClientOrderId=rs0000000000000abc&recvWindow=5000&symbol=LTCBTC&timestamp=5&signature=", strlen("GET /api/v3/order?origClientOrderId=rs0000000000000abc&recvWindow=5000&symbol=LTCBTC&timestamp=5&signature="));
    r.kind = RS_VREQ_CANCEL;
    n = rs_bn_rest_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_memory_equal(out, "DELETE /api/v3/order?", strlen("DELETE /api/v3/order?"));
    r = (rs_vreq){.kind = RS_VREQ_MY_TRADES, .sym = 0, .from_trade_id = 42, .ts_ms = 5};
    n = rs_bn_rest_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_memory_equal(out, "GET /api/v3/myTrades?fromId=42&limit=200&recvWindow=5000&symbol=LTCBTC&timestamp=5&", strlen("GET /api/v3/myTrades?fromId=42&limit=200&recvWindow=5000&symbol=LTCBTC&timestamp=5&"));
    r = (rs_vreq){.kind = RS_VREQ_OPEN_ORDERS, .sym = 0, .ts_ms = 5};
    n = rs_bn_rest_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_memory_equal(out, "GET /api/v3/openOrders?recvWindow=5000&symbol=LTCBTC&timestamp=5&signature=", strlen("GET /api/v3/openOrders?recvWindow=5000&symbol=LTCBTC&timestamp=5&signature="));
    r = (rs_vreq){.kind = RS_VREQ_TIME};
    n = rs_bn_rest_request(&b, &r, out, sizeof out);
    out[n] = 0;
    assert_string_equal(out, "GET /api/v3/time HTTP/1.1\r\nHost: api.binance.com\r\n\r\n");
    /* Ed25519 REST signatures are percent-encoded base64 */
    uint8_t seed[32] = {1};
    rs_sign_key ek;
    assert_int_equal(rs_sign_init_ed25519(&ek, seed, 32, 1), 0);
    rs_bn_init(&b, &p, "KEY", &ek, &ek);
    r = (rs_vreq){.kind = RS_VREQ_STATUS, .sym = 0, .client_id = 1, .ts_ms = 5};
    n = rs_bn_rest_request(&b, &r, out, sizeof out);
    out[n] = 0;
    char *s = strstr(out, "&signature=");
    assert_non_null(s);
    for (s += 11; *s != ' '; s++)
        assert_true(*s != '+' && *s != '/' && *s != '=');
    /* unknown symbol cannot be expressed */
    r.sym = 5;
    assert_int_equal(rs_bn_rest_request(&b, &r, out, sizeof out), -1);
    rs_sign_fini(&ek);
    rs_sign_fini(&hk);
}

static void test_clid(void **st)
{
    (void)st;
    char b[RS_CLID_LEN + 1];
    uint64_t id = (7ull << 40) | 12345;
    rs_clid_format(id, b);
    assert_int_equal(strlen(b), RS_CLID_LEN);
    assert_true(rs_clid_parse(b, RS_CLID_LEN) == id);
    assert_true(rs_clid_parse("4d96324ff9d44481926157ec08158a40", 32) == 0);
    assert_true(rs_clid_parse("rsZZ00000000000000", 18) == 0);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_hmac_vectors),         cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_ws_builder_matches_vectors), cmocka_unit_test(test_rest_builder),
        cmocka_unit_test(test_clid),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
