/* Whole-file reads and mkdir -p for the control path (ringside/file.h). */
#include "ringside/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ringside/common.h"
#include "ringside/mem.h"

int rs_file_read_all(const char *path, const char *what, size_t max, unsigned flags, uint8_t **buf, size_t *n)
{
    *buf = NULL;
    if (!what)
        what = "file";
    *n = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        return rs_err_set(e, "%s: cannot open %s: %s", path, what, strerror(e));
    }
    struct stat sb;
    if (fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return rs_err_set(EINVAL, "%s: not a regular file", path);
    }
    if (sb.st_size == 0 && (flags & RS_FILE_NONEMPTY)) {
        close(fd);
        return rs_err_set(EINVAL, "%s: empty file", path);
    }
    if (max && (uint64_t)sb.st_size > max) {
        close(fd);
        return rs_err_set(EFBIG, "%s: %lld bytes, more than the %zu allowed", path, (long long)sb.st_size, max);
    }
    size_t len = (size_t)sb.st_size;
    uint8_t *p = rs_mem_alloc(len + 1, 8, what);
    if (!p) {
        close(fd);
        return rs_err_set(ENOMEM, "%s: no memory for %zu bytes", path, len);
    }
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            /* a file that shrinks under us is refused, never half-read */
            int e = r < 0 ? errno : EIO;
            close(fd);
            rs_mem_free(p);
            return rs_err_set(e, "%s: short read (%zu of %zu bytes)", path, got, len);
        }
        got += (size_t)r;
    }
    close(fd);
    p[len] = 0;
    *buf = p;
    *n = len;
    return 0;
}

int rs_file_mkdirs(const char *path, mode_t mode)
{
    char tmp[PATH_MAX];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s", path) >= sizeof tmp)
        return rs_err_set(ENAMETOOLONG, "%.64s...: path too long", path);
    /* each parent in turn; EEXIST is fine (another process may race us) */
    for (char *p = tmp + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
            int e = errno;
            return rs_err_set(e, "%s: mkdir: %s", tmp, strerror(e));
        }
        *p = '/';
    }
    if (mkdir(tmp, mode) != 0 && errno != EEXIST) {
        int e = errno;
        return rs_err_set(e, "%s: mkdir: %s", tmp, strerror(e));
    }
    /* EEXIST also covers a plain file of that name: refuse it here rather
     * than let the first write into it fail with a less helpful message */
    struct stat sb;
    if (stat(tmp, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return rs_err_set(ENOTDIR, "%s: exists and is not a directory", tmp);
    return 0;
}

int rs_file_write_all(const char *path, const void *data, size_t n, unsigned flags)
{
    if (flags & RS_FILE_MKDIRS) {
        char dir[PATH_MAX];
        if ((size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir)
            return rs_err_set(ENAMETOOLONG, "%.64s...: path too long", path);
        char *sl = strrchr(dir, '/');
        if (sl && sl != dir) {
            *sl = 0;
            int rc = rs_file_mkdirs(dir, 0700);
            if (rc)
                return rc;
        }
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        return rs_err_set(e, "%s: cannot write: %s", path, strerror(e));
    }
    const uint8_t *p = data;
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(fd, p + done, n - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            close(fd);
            return rs_err_set(e, "%s: write failed after %zu of %zu bytes: %s", path, done, n, strerror(e));
        }
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        int e = errno;
        return rs_err_set(e, "%s: close: %s", path, strerror(e));
    }
    return 0;
}
