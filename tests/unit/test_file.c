/* ringside/file.h: whole-file reads refuse what they must (missing, not a
 * regular file, empty when asked, over the bound) with the file's name in
 * the message, and mkdirs creates nested paths, accepts existing ones and
 * refuses a plain file in the way. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringside/common.h"
#include "ringside/file.h"
#include "ringside/mem.h"
#include "testutil.h"

static char dir[64];

static int setup(void **s)
{
    (void)s;
    snprintf(dir, sizeof dir, "/tmp/rs_test_file_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void put(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void test_read_all(void **s)
{
    (void)s;
    char p[128];
    uint8_t *buf;
    size_t n;
    snprintf(p, sizeof p, "%s/a.json", dir);
    put(p, "{\"x\": 1}");
    assert_int_equal(rs_file_read_all(p, "test", 0, RS_FILE_NONEMPTY, &buf, &n), 0);
    assert_int_equal(n, 8);
    assert_memory_equal(buf, "{\"x\": 1}", 9); /* NUL-terminated */
    rs_mem_free(buf);

    /* bounded */
    assert_int_equal(rs_file_read_all(p, "test", 7, 0, &buf, &n), -EFBIG);
    assert_null(buf);
    assert_non_null(strstr(rs_err_msg(), p));
    assert_int_equal(rs_file_read_all(p, "test", 8, 0, &buf, &n), 0);
    rs_mem_free(buf);

    /* empty: fine unless asked otherwise */
    snprintf(p, sizeof p, "%s/empty", dir);
    put(p, "");
    assert_int_equal(rs_file_read_all(p, "test", 0, 0, &buf, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(buf[0], 0);
    rs_mem_free(buf);
    assert_int_equal(rs_file_read_all(p, "test", 0, RS_FILE_NONEMPTY, &buf, &n), -EINVAL);
    assert_non_null(strstr(rs_err_msg(), "empty"));

    /* missing, and a directory */
    snprintf(p, sizeof p, "%s/missing.json", dir);
    assert_int_equal(rs_file_read_all(p, "test", 0, 0, &buf, &n), -ENOENT);
    assert_non_null(strstr(rs_err_msg(), p));
    assert_non_null(strstr(rs_err_msg(), "cannot open test"));
    assert_int_equal(rs_file_read_all(dir, "test", 0, 0, &buf, &n), -EINVAL);
    assert_non_null(strstr(rs_err_msg(), "not a regular file"));
}

static void test_mkdirs(void **s)
{
    (void)s;
    char p[256];
    struct stat sb;
    snprintf(p, sizeof p, "%s/x/y/z", dir);
    assert_int_equal(rs_file_mkdirs(p, 0755), 0);
    assert_int_equal(stat(p, &sb), 0);
    assert_true(S_ISDIR(sb.st_mode));
    assert_int_equal(rs_file_mkdirs(p, 0755), 0); /* exists: fine */
    snprintf(p, sizeof p, "%s/x/y/z/", dir);      /* trailing slash */
    assert_int_equal(rs_file_mkdirs(p, 0755), 0);

    /* a plain file in the way, as the last component and as a parent */
    snprintf(p, sizeof p, "%s/x/f", dir);
    put(p, "not a dir");
    assert_int_equal(rs_file_mkdirs(p, 0755), -ENOTDIR);
    assert_non_null(strstr(rs_err_msg(), "not a directory"));
    snprintf(p, sizeof p, "%s/x/f/g", dir);
    assert_int_equal(rs_file_mkdirs(p, 0755), -ENOTDIR);

    /* too long for PATH_MAX */
    static char longp[5000];
    memset(longp, 'a', sizeof longp - 1);
    longp[0] = '/';
    assert_int_equal(rs_file_mkdirs(longp, 0755), -ENAMETOOLONG);
}

static void test_write_all(void **s)
{
    (void)s;
    char p[256];
    uint8_t *buf;
    size_t n;
    snprintf(p, sizeof p, "%s/w/a/b/blob.bin", dir);
    /* parents missing: refused without RS_FILE_MKDIRS, created with it */
    assert_int_equal(rs_file_write_all(p, "abc", 3, 0), -ENOENT);
    assert_non_null(strstr(rs_err_msg(), p));
    assert_int_equal(rs_file_write_all(p, "abc", 3, RS_FILE_MKDIRS), 0);
    assert_int_equal(rs_file_read_all(p, "test", 0, 0, &buf, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(buf, "abc", 3);
    rs_mem_free(buf);
    /* truncates */
    assert_int_equal(rs_file_write_all(p, "z", 1, 0), 0);
    assert_int_equal(rs_file_read_all(p, "test", 0, 0, &buf, &n), 0);
    assert_int_equal(n, 1);
    rs_mem_free(buf);
    struct stat sb;
    assert_int_equal(stat(p, &sb), 0);
    assert_int_equal(sb.st_mode & 0777, 0600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_read_all),
        cmocka_unit_test(test_mkdirs),
        cmocka_unit_test(test_write_all),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
