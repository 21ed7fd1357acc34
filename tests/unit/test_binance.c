/* Binance response / account-event parsers against the documented samples in
 * ../shared/vectors/exchange/binance/, plus malformed input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/venue_binance.h"
#include "testutil.h"

static rs_universe u;
static rs_bn bn;

typedef struct col {
    rs_vevt e[64];
    int n;
} col;

static void collect(void *ctx, const rs_vevt *e)
{
    col *c = ctx;
    if (c->n < 64)
        c->e[c->n++] = *e;
}

static void add(const char *sym, int px, int qty)
{
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, sym);
    in.venue = RS_VENUE_BINANCE;
    in.px_exp = (uint8_t)px;
    in.qty_exp = (uint8_t)qty;
    assert_true(rs_universe_add(&u, &in) >= 0);
}

static int setup(void **st)
{
    (void)st;
    memset(&u, 0, sizeof u);
    add("BTCUSDT", 8, 8);  /* 0 */
    add("ETHBTC", 8, 8);   /* 1 */
    add("ETHUSDT", 8, 8);  /* 2 */
    add("LTCBTC", 8, 8);   /* 3 */
    rs_bn_params p;
    rs_bn_params_default(&p);
    p.u = &u;
    return rs_bn_init(&bn, &p, "", NULL, NULL);
}

static char *vec(const char *name, size_t *n)
{
    char rel[256];
    snprintf(rel, sizeof rel, "vectors/exchange/binance/%s", name);
    return rs_test_read_file(rs_test_shared(rel), n);
}

static int parse_ws_file(const char *name, uint8_t kind, col *c)
{
    size_t n;
    char *s = vec(name, &n);
    /* guard page right after the message: any over-read faults */
    uint8_t *g = rs_guard_copy(s, n);
    memset(c, 0, sizeof *c);
    int rc = rs_bn_parse_ws(&bn, (const char *)g, n, kind, collect, c);
    rs_guard_free(g, n);
    free(s);
    return rc;
}

static void test_place_full(void **st)
{
    (void)st;
    col c;
    assert_int_equal(parse_ws_file("wsapi_order_place_response_full.json", RS_VREQ_PLACE, &c), RS_OK);
    assert_int_equal(c.n, 3);
    assert_int_equal(c.e[0].kind, RS_VEVT_ACK);
    assert_int_equal(c.e[0].state, RS_OS_FILLED);
    assert_true(c.e[0].venue_order_id == 12569099453ull);
    assert_true(c.e[0].cum_qty == 847000);
    assert_true(c.e[0].client_id == 0); /* not one of our ids */
    assert_int_equal(c.e[0].sym, 0);
    assert_int_equal(c.e[0].side, RS_SIDE_SELL);
    assert_int_equal(c.e[0].orders_used, 1);
    assert_int_equal(c.e[0].orders_limit, 50);
    assert_int_equal(c.e[0].weight_limit, 6000);
    assert_int_equal(c.e[1].kind, RS_VEVT_FILL);
    assert_true(c.e[1].trade_id == 1650422481ull);
    assert_true(c.e[1].qty == 635000);
    assert_true(c.e[1].px == 2341610000000ll);
    assert_true(c.e[2].trade_id == 1650422482ull);
    assert_true(c.e[2].px == 2341650000000ll);
    assert_int_equal(rs_bn_ws_id("{\"id\":12,\"status\":200}", 22), 12);
    assert_int_equal(rs_bn_ws_id("{\"subscriptionId\":0,\"event\":{}}", 31), 0);
}

static void test_place_ack_and_errors(void **st)
{
    (void)st;
    col c;
    assert_int_equal(parse_ws_file("wsapi_order_place_response_ack.json", RS_VREQ_PLACE, &c), RS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.e[0].kind, RS_VEVT_ACK);
    assert_int_equal(c.e[0].state, RS_OS_ACKED);
    assert_true(c.e[0].cum_qty == -1);

    assert_int_equal(parse_ws_file("wsapi_response_418_banned.json", RS_VREQ_PLACE, &c), RS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.e[0].kind, RS_VEVT_ERROR);
    assert_int_equal(c.e[0].err, RS_VERR_BANNED);
    assert_int_equal(c.e[0].http, 418);
    assert_true(c.e[0].retry_after_ms == 1659146400000ll - 1659142907531ll);
    assert_int_equal(c.e[0].weight_used, 2411);

    assert_int_equal(parse_ws_file("wsapi_response_error_-2010.json", RS_VREQ_PLACE, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_REJECT);
    assert_int_equal(c.e[0].code, -2010);
    assert_int_equal(c.e[0].state, RS_OS_REJECTED);
    assert_int_equal(c.e[0].orders_used, 13);

    assert_int_equal(parse_ws_file("wsapi_session_logon_response.json", RS_VREQ_LOGON, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_LOGON_OK);
    assert_int_equal(parse_ws_file("wsapi_userDataStream_subscribe_response.json", RS_VREQ_USER_SUB, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_LOGON_OK);
    assert_int_equal(c.e[0].list_kind, RS_VREQ_USER_SUB);
}

static void test_execution_reports(void **st)
{
    (void)st;
    col c;
    assert_int_equal(parse_ws_file("uds_executionReport_wsapi.json", 0, &c), RS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.e[0].kind, RS_VEVT_ACK);
    assert_int_equal(c.e[0].state, RS_OS_ACKED);
    assert_int_equal(c.e[0].sym, 1);
    assert_true(c.e[0].venue_order_id == 4293153);
    assert_true(c.e[0].cum_qty == 0);
    assert_true(c.e[0].px == 10264410);
    assert_int_equal(parse_ws_file("uds_executionReport_listenKey_raw.json", 0, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_ACK);
    assert_int_equal(parse_ws_file("uds_executionReport_listenKey_combined_constructed.json", 0, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_ACK);

    assert_int_equal(parse_ws_file("thirdparty_nautilus_fixture_uds_executionReport_trade_partial.json", 0, &c), RS_OK);
    assert_int_equal(c.n, 1);
    assert_int_equal(c.e[0].kind, RS_VEVT_FILL);
    assert_int_equal(c.e[0].state, RS_OS_PARTIAL);
    assert_true(c.e[0].trade_id == 98765432);
    assert_true(c.e[0].qty == 50000000);
    assert_true(c.e[0].px == 249950000000ll);
    assert_int_equal(c.e[0].liquidity, 1);
    /* commission 0.0005 ETH = base asset: converted at the fill price */
    assert_true(c.e[0].fee > 1.2497 && c.e[0].fee < 1.2498);

    assert_int_equal(parse_ws_file("thirdparty_nautilus_fixture_uds_executionReport_canceled_after_partial.json", 0, &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_STATUS);
    assert_int_equal(c.e[0].state, RS_OS_CANCELLED);
    assert_true(c.e[0].cum_qty == 10000000);

    assert_int_equal(parse_ws_file("uds_eventStreamTerminated_wsapi.json", 0, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_STREAM_DOWN);
    assert_int_equal(parse_ws_file("uds_balanceUpdate_wsapi.json", 0, &c), RS_SKIP);
    assert_int_equal(parse_ws_file("uds_outboundAccountPosition_wsapi.json", 0, &c), RS_SKIP);
    assert_int_equal(parse_ws_file("uds_listStatus_wsapi.json", 0, &c), RS_SKIP);
}

static int parse_rest(const char *head, const char *file, uint8_t kind, col *c)
{
    char buf[16384];
    size_t hl = strlen(head), n = 0;
    memcpy(buf, head, hl);
    if (file) {
        char *s = vec(file, &n);
        assert_true(hl + n < sizeof buf);
        memcpy(buf + hl, s, n);
        free(s);
    }
    memset(c, 0, sizeof *c);
    uint8_t *g = rs_guard_copy(buf, hl + n);
    int rc = rs_bn_parse_rest(&bn, (const char *)g, hl + n, 77, kind, collect, c);
    rs_guard_free(g, hl + n);
    return rc;
}

static void test_rest(void **st)
{
    (void)st;
    col c;
    assert_int_equal(parse_rest("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nx-mbx-used-weight-1m: 7\r\n"
                                "X-MBX-ORDER-COUNT-10S: 3\r\n\r\n",
                                "rest_order_response_full.json", RS_VREQ_PLACE, &c),
                     RS_OK);
    assert_int_equal(c.n, 6);
    assert_int_equal(c.e[0].kind, RS_VEVT_ACK);
    assert_int_equal(c.e[0].state, RS_OS_FILLED);
    assert_int_equal(c.e[0].weight_used, 7);
    assert_int_equal(c.e[0].orders_used, 3);
    assert_int_equal(c.e[0].req_id, 77);
    assert_int_equal(c.e[0].source, RS_VSRC_REST);
    double fees = 0;
    int64_t q = 0;
    for (int i = 1; i < 6; i++) {
        assert_int_equal(c.e[i].kind, RS_VEVT_FILL);
        fees += c.e[i].fee;
        q += c.e[i].qty;
    }
    assert_true(q == c.e[0].cum_qty);
    assert_true(fees > 39.98 && fees < 39.99); /* USDT = quote: as is */

    assert_int_equal(parse_rest("HTTP/1.1 200 OK\r\n\r\n", "rest_cancel_order_response.json", RS_VREQ_CANCEL, &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_STATUS);
    assert_int_equal(c.e[0].state, RS_OS_CANCELLED);

    assert_int_equal(parse_rest("HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n\r\n",
                                "rest_error_-1003_constructed.json", RS_VREQ_PLACE, &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_ERROR);
    assert_int_equal(c.e[0].err, RS_VERR_RATE);
    assert_true(c.e[0].retry_after_ms == 7000);

    assert_int_equal(parse_rest("HTTP/1.1 400 Bad Request\r\n\r\n", "rest_error_-1021_constructed.json", RS_VREQ_PLACE,
                                &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_REJECT);
    assert_int_equal(c.e[0].err, RS_VERR_CLOCK);
    assert_int_equal(c.e[0].code, -1021);

    assert_int_equal(parse_rest("HTTP/1.1 503 Service Unavailable\r\n\r\n", NULL, RS_VREQ_PLACE, &c), RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_ERROR);
    assert_int_equal(c.e[0].err, RS_VERR_UNKNOWN);

    assert_int_equal(parse_rest("HTTP/1.1 418 I'm a teapot\r\nRetry-After: 120\r\n\r\n", NULL, RS_VREQ_CANCEL, &c),
                     RS_OK);
    assert_int_equal(c.e[0].err, RS_VERR_BANNED);
    assert_true(c.e[0].retry_after_ms == 120000);

    assert_int_equal(parse_rest("HTTP/1.1 400 Bad Request\r\n\r\n{\"code\":-2013,\"msg\":\"Order does not exist.\"}",
                                NULL, RS_VREQ_STATUS, &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_NOT_FOUND);
    assert_int_equal(parse_rest("HTTP/1.1 400 Bad Request\r\n\r\n{\"code\":-2011,\"msg\":\"Unknown order sent.\"}",
                                NULL, RS_VREQ_CANCEL, &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_NOT_FOUND);
    assert_int_equal(parse_rest("HTTP/1.1 400 Bad Request\r\n\r\n{\"code\":-1007,\"msg\":\"Timeout\"}", NULL,
                                RS_VREQ_PLACE, &c),
                     RS_OK);
    assert_int_equal(c.e[0].err, RS_VERR_UNKNOWN);

    assert_int_equal(parse_rest("HTTP/1.1 200 OK\r\n\r\n{\"serverTime\":1499827319559}", NULL, RS_VREQ_TIME, &c),
                     RS_OK);
    assert_int_equal(c.e[0].kind, RS_VEVT_TIME);
    assert_true(c.e[0].venue_ms == 1499827319559ll);

    /* my-trades (documented shape) and open orders */
    const char *mt = "HTTP/1.1 200 OK\r\n\r\n[{\"symbol\":\"BNBBTC\",\"id\":28457},"
                     "{\"symbol\":\"LTCBTC\",\"id\":28458,\"orderId\":100234,\"orderListId\":-1,\"price\":\"4.00000100\","
                     "\"qty\":\"12.00000000\",\"quoteQty\":\"48.000012\",\"commission\":\"10.10000000\","
                     "\"commissionAsset\":\"BNB\",\"time\":1499865549590,\"isBuyer\":true,\"isMaker\":false,"
                     "\"isBestMatch\":true}]";
    memset(&c, 0, sizeof c);
    assert_int_equal(rs_bn_parse_rest(&bn, mt, strlen(mt), 5, RS_VREQ_MY_TRADES, collect, &c), RS_BAD);
    /* the unknown-symbol element is refused, the good one and the list end still arrive */
    assert_int_equal(c.n, 2);
    assert_int_equal(c.e[0].kind, RS_VEVT_FILL);
    assert_int_equal(c.e[0].sym, 3);
    assert_true(c.e[0].trade_id == 28458);
    assert_true(c.e[0].venue_order_id == 100234);
    assert_int_equal(c.e[0].side, RS_SIDE_BUY);
    assert_true(c.e[0].fee == 0.0); /* BNB: not convertible here */
    assert_int_equal(c.e[1].kind, RS_VEVT_LIST_END);
    assert_int_equal(c.e[1].list_kind, RS_VREQ_MY_TRADES);
}

static void test_bad_input(void **st)
{
    (void)st;
    col c = {0};
    const char *bad[] = {
        "",
        "{",
        "{\"id\":1,\"status\":200}",
        "{\"id\":1,\"status\":200,\"result\":{\"symbol\":\"BTCUSDT\",\"orderId\":1,\"executedQty\":\"0.000000001\"}}",
        "{\"id\":1,\"status\":200,\"result\":{\"symbol\":\"NOPE\",\"orderId\":1}}",
        "{\"subscriptionId\":0,\"event\":{\"e\":\"executionReport\",\"s\":\"BTCUSDT\",\"x\":\"TRADE\",\"X\":\"FILLED\",\"z\":\"1\"}}",
        "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]",
        "{\"id\":1,\"status\":400,\"error\":{\"msg\":\"x\"}}",
        "{\"id\":\"1\" \"status\":200}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i]);
        uint8_t *g = rs_guard_copy(bad[i], n);
        assert_int_equal(rs_bn_parse_ws(&bn, (const char *)g, n, RS_VREQ_PLACE, collect, &c), RS_BAD);
        rs_guard_free(g, n);
    }
    const char *badrest[] = {"", "HTTP/1.1", "HTTP/1.1 200 OK\r\n", "HTTP/1.1 200 OK\r\n\r\n{", "HTTX/1.1 200 OK\r\n\r\n{}"};
    for (size_t i = 0; i < sizeof badrest / sizeof badrest[0]; i++) {
        size_t n = strlen(badrest[i]);
        uint8_t *g = rs_guard_copy(badrest[i], n);
        assert_int_equal(rs_bn_parse_rest(&bn, (const char *)g, n, 1, RS_VREQ_PLACE, collect, &c), RS_BAD);
        rs_guard_free(g, n);
    }
}

/* Deterministic mutation fuzzing of every sample (and the venue-side request
 * parsers): byte flips, truncations, insertions. Nothing may crash or read
 * past the buffer (guard page; ASan in the asan build). */
static void test_mutations(void **st)
{
    (void)st;
    static const char *files[] = {
        "wsapi_order_place_response_full.json", "wsapi_response_418_banned.json",
        "uds_executionReport_wsapi.json", "thirdparty_nautilus_fixture_uds_executionReport_trade_partial.json",
        "rest_order_response_full.json", "wsapi_order_place_request.json"};
    uint64_t z = 88172645463325252ull;
    col c;
    int iters = rs_test_scale() < 1.0 ? 300 : 3000;
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        size_t n;
        char *orig = vec(files[f], &n);
        char *m = malloc(n + 64);
        for (int it = 0; it < iters; it++) {
            memcpy(m, orig, n);
            size_t len = n;
            int k = 1 + (int)(z % 4);
            for (int j = 0; j < k; j++) {
                z ^= z << 13;
                z ^= z >> 7;
                z ^= z << 17;
                size_t at = (size_t)(z % len);
                switch ((z >> 32) % 4) {
                case 0: m[at] = (char)(z >> 40); break;
                case 1: len = at + 1; break;
                case 2: m[at] = "{}[]\",:0-.e"[(z >> 44) % 12]; break;
                default:
                    if (len + 1 < n + 64) {
                        memmove(m + at + 1, m + at, len - at);
                        m[at] = '"';
                        len++;
                    }
                }
            }
            uint8_t *g = rs_guard_copy(m, len);
            memset(&c, 0, sizeof c);
            rs_bn_parse_ws(&bn, (const char *)g, len, (uint8_t)(it % 9), collect, &c);
            rs_bn_srv_req q;
            rs_bn_srv_parse_ws(&bn, (const char *)g, len, NULL, &q);
            rs_guard_free(g, len);
            char http[8192];
            int hl = snprintf(http, sizeof http, "HTTP/1.1 %d X\r\nRetry-After: 3\r\n\r\n", it % 2 ? 200 : 400);
            if (hl > 0 && (size_t)hl + len < sizeof http) {
                memcpy(http + hl, m, len);
                g = rs_guard_copy(http, (size_t)hl + len);
                rs_bn_parse_rest(&bn, (const char *)g, (size_t)hl + len, 1, (uint8_t)(it % 9), collect, &c);
                rs_bn_srv_parse_rest(&bn, (const char *)g, (size_t)hl + len, NULL, &q);
                rs_guard_free(g, (size_t)hl + len);
            }
        }
        free(m);
        free(orig);
    }
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_place_full), cmocka_unit_test(test_place_ack_and_errors),
        cmocka_unit_test(test_execution_reports), cmocka_unit_test(test_rest), cmocka_unit_test(test_bad_input), cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(t, setup, NULL);
}
