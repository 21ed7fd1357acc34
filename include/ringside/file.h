/* ringside/file.h -- whole-file reads and directory creation (control path).
 *
 * Start-up and tooling code reads small files whole (models, calibration
 * tables, manifests, configs embedded in journals) and creates journal and
 * output directories. One implementation, so every caller refuses the same
 * things with the same kind of message (file name first).
 *
 * Never call these on the hot path: they allocate and make syscalls.
 */
#ifndef RINGSIDE_FILE_H
#define RINGSIDE_FILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Read the regular file `path` whole into a new buffer from rs_mem_alloc.
 * `what` names the kind of file for messages ("config", "model"; NULL:
 * "file"), e.g. "m.json: cannot open model: No such file or directory".
 * On success *buf holds *n bytes followed by one NUL byte (so text parsers
 * may treat it as a C string) and the caller owns it: free with
 * rs_mem_free(*buf). `max` bounds the size (0: no bound).
 * Returns 0, or -errno after rs_err_set() with a message naming `path`:
 * -ENOENT/-EACCES/... (cannot open), -EINVAL (not a regular file, or empty
 * when `flags` has RS_FILE_NONEMPTY), -EFBIG (larger than `max`), -EIO
 * (short read: the file shrank while read), -ENOMEM. On error *buf is NULL. */
enum { RS_FILE_NONEMPTY = 1u };
int rs_file_read_all(const char *path, const char *what, size_t max, unsigned flags, uint8_t **buf, size_t *n);

/* Write n bytes of data to `path` (created 0600, or truncated). With
 * RS_FILE_MKDIRS the missing parent directories are created first (0700).
 * Returns 0, or -errno after rs_err_set() naming the path. Not atomic: for
 * extracting and staging files into directories the caller owns. */
enum { RS_FILE_MKDIRS = 2u };
int rs_file_write_all(const char *path, const void *data, size_t n, unsigned flags);

/* mkdir -p: create `path` and every missing parent with `mode` (existing
 * directories are fine). Returns 0, or -errno after rs_err_set() naming the
 * component that failed (-ENAMETOOLONG when `path` does not fit PATH_MAX). */
int rs_file_mkdirs(const char *path, mode_t mode);

#ifdef __cplusplus
}
#endif

#endif
