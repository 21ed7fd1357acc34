/* libFuzzer target: the config loader (the journal embeds config bytes and
 * replay parses them, so it must never crash on any input). Property checked
 * besides "no crash": whatever loads, written back as YAML, loads again to
 * the identical config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ringside/config.h"
#include "ringside/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int quiet;
    if (!quiet++)
        rs_log_set_level(RS_LOG_ERROR);   /* warnings are expected noise here */
    rs_config *a = NULL;
    if (rs_config_parse(&a, "fuzz.yml", data, size) != 0)
        return 0;
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    if (!f || rs_config_write_yaml(f, a) != 0)
        abort();
    fclose(f);
    rs_config *b = NULL;
    if (rs_config_parse(&b, "fuzz.yml", out, n) != 0) {
        fprintf(stderr, "written config does not load back: %s\n%s\n", rs_err_msg(), out);
        abort();
    }
    if (memcmp(a, b, offsetof(rs_config, source)) != 0) {
        fprintf(stderr, "written config loads back different:\n%s\n", out);
        abort();
    }
    free(out);
    rs_config_destroy(a);
    rs_config_destroy(b);
    return 0;
}
