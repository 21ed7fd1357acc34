/* CRC32C: known vectors (RFC 3720 B.4, "123456789"), hardware path == table
 * path on every length/alignment, and chaining. */
#include <string.h>

#include "ringside/crc32c.h"
#include "testutil.h"

static void test_vectors(void **s)
{
    (void)s;
    uint8_t buf[48];
    assert_int_equal(rs_crc32c(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(rs_crc32c_sw(0, "123456789", 9), 0xE3069283u);
    assert_int_equal(rs_crc32c(0, "", 0), 0u);
    memset(buf, 0, 32);
    assert_int_equal(rs_crc32c(0, buf, 32), 0x8A9136AAu);
    memset(buf, 0xff, 32);
    assert_int_equal(rs_crc32c(0, buf, 32), 0x62A8AB43u);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)i;
    assert_int_equal(rs_crc32c(0, buf, 32), 0x46DD794Eu);
    for (int i = 0; i < 32; i++)
        buf[i] = (uint8_t)(31 - i);
    assert_int_equal(rs_crc32c(0, buf, 32), 0x113FDB5Cu);
    /* iSCSI read command PDU (RFC 3720 B.4) */
    static const uint8_t pdu[48] = {0x01, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x14, 0, 0, 0, 0, 0,
                                    0x04, 0, 0, 0, 0, 0x14, 0, 0, 0, 0x18, 0x28, 0, 0, 0, 0, 0, 0, 0, 0x02,
                                    0, 0, 0, 0, 0, 0, 0};
    assert_int_equal(rs_crc32c(0, pdu, 48), 0xD9963A56u);
    assert_int_equal(rs_crc32c_sw(0, pdu, 48), 0xD9963A56u);
}

static void test_hw_equals_sw(void **s)
{
    (void)s;
    if (!rs_crc32c_hw_available())
        print_message("no SSE4.2 here: comparing the table path with itself\n");
    static uint8_t buf[4096 + 16];
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < sizeof buf; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        buf[i] = (uint8_t)x;
    }
    for (size_t off = 0; off < 9; off++)
        for (size_t n = 0; n < 600; n += (n < 80 ? 1 : 37)) {
            uint32_t seed = (uint32_t)(n * 2654435761u);
            assert_int_equal(rs_crc32c_hw(seed, buf + off, n), rs_crc32c_sw(seed, buf + off, n));
            assert_int_equal(rs_crc32c(seed, buf + off, n), rs_crc32c_sw(seed, buf + off, n));
        }
    assert_int_equal(rs_crc32c_hw(0, buf, 4096), rs_crc32c_sw(0, buf, 4096));
}

static void test_chaining(void **s)
{
    (void)s;
    const char *m = "The quick brown fox jumps over the lazy dog";
    size_t n = strlen(m);
    uint32_t whole = rs_crc32c(0, m, n);
    assert_int_equal(whole, 0x22620404u);
    for (size_t k = 0; k <= n; k++)
        assert_int_equal(rs_crc32c(rs_crc32c(0, m, k), m + k, n - k), whole);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_hw_equals_sw),
        cmocka_unit_test(test_chaining),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
