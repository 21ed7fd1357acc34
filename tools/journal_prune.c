/* ringside journal prune -- retention for the journal directory.
 *
 * Nothing else ever deletes a journal, and a full disk makes the recorder
 * fail closed (the engine stops opening positions). This is the operator's
 * (or cron's) tool to keep var/journal bounded, built so that it cannot eat
 * what is still needed:
 *  - it only deletes whole sessions (<instance>/<UTC start>/ directories
 *    holding seg-*.rsj files), oldest first by last write;
 *  - it keeps the newest --keep-last sessions of every instance (default 1);
 *  - it never touches a session whose last segment is not sealed: that is a
 *    recorder still writing, or one that crashed and whose journal has not
 *    been recovered yet (both need a human, not a cron job), unless
 *    --include-unsealed;
 *  - a session directory holding anything but regular files is left alone;
 *  - --dry-run prints the plan.
 * Exit 0 when the policy is met, 1 when it could not be (protected sessions
 * alone exceed --keep-bytes, or a removal failed), 2 usage.
 */
#include "journal_prune.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "ringside/journal.h"

#define MAX_SESSIONS 4096

typedef struct session {
    char path[PATH_MAX];
    char instance[128];
    int64_t last_write;    /* newest segment's mtime, seconds */
    uint64_t bytes;
    bool sealed;
    bool plain;            /* only regular files inside */
    bool keep;             /* protected by --keep-last or unsealed */
    bool remove;
} session;

static const char usage[] =
    "usage: ringside journal prune ROOT [--keep-days D] [--keep-bytes SIZE] [--keep-last N]\n"
    "                              [--include-unsealed] [--dry-run]\n"
    "  ROOT is the journal base (var/journal: <instance>/<UTC start>/seg-*.rsj) or one\n"
    "  instance's directory. Removes whole sessions, oldest last write first:\n"
    "    --keep-days D     sessions last written more than D days ago\n"
    "    --keep-bytes SIZE then more, until ROOT holds at most SIZE (K, M, G, T suffixes)\n"
    "  At least one of the two is required. Never removed: the newest --keep-last N\n"
    "  sessions of each instance (default 1), and sessions whose last segment is not\n"
    "  sealed (a recorder writing, or a crash not yet recovered) unless --include-unsealed.\n"
    "  --dry-run prints what would be removed.\n"
    "exit: 0 policy met; 1 not met or a removal failed; 2 usage\n";

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v >= 0))
        return -1;
    double mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    default: break;
    }
    if (*end == 'i' || *end == 'B')
        end += *end == 'i' && end[1] == 'B' ? 2 : 1;
    if (*end)
        return -1;
    *out = (uint64_t)(v * mul);
    return 0;
}

static void fmt_bytes(char *out, size_t n, uint64_t b)
{
    if (b >= (1ull << 30))
        snprintf(out, n, "%.2f GiB", (double)b / (double)(1ull << 30));
    else if (b >= (1ull << 20))
        snprintf(out, n, "%.1f MiB", (double)b / (double)(1ull << 20));
    else
        snprintf(out, n, "%" PRIu64 " B", b);
}

/* The segment ends with a seal frame: RS_JFRAME_SEAL at size - RS_JSEAL_SIZE
 * (the writer truncates right after it). Reading 16 bytes, not the journal:
 * prune must be cheap on terabytes. */
static bool seg_sealed(const char *path, off_t size)
{
    if (size < (off_t)RS_JSEAL_SIZE)
        return false;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    uint32_t len = 0;
    bool ok = pread(fd, &len, 4, size - (off_t)RS_JSEAL_SIZE) == 4 && len == RS_JFRAME_SEAL;
    close(fd);
    return ok;
}

/* Fill s from directory `dir` if it is a session (has seg-*.rsj files).
 * Returns 1 session, 0 not a session, -1 error (message printed). */
static int scan_session(const char *dir, const char *instance, session *s)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    memset(s, 0, sizeof *s);
    snprintf(s->path, sizeof s->path, "%s", dir);
    snprintf(s->instance, sizeof s->instance, "%s", instance);
    s->plain = true;
    int nseg = 0;
    char last_seg[PATH_MAX] = "";
    off_t last_size = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p)
            continue;
        struct stat sb;
        if (lstat(p, &sb) != 0)
            continue;
        if (!S_ISREG(sb.st_mode)) {
            s->plain = false;
            continue;
        }
        s->bytes += (uint64_t)sb.st_size;
        size_t L = strlen(e->d_name);
        if (!strncmp(e->d_name, "seg-", 4) && L > 8 && !strcmp(e->d_name + L - 4, ".rsj")) {
            nseg++;
            if (sb.st_mtime > s->last_write)
                s->last_write = sb.st_mtime;
            /* the last segment: highest name (fixed-width numbers) */
            if (strcmp(p, last_seg) > 0) {
                snprintf(last_seg, sizeof last_seg, "%s", p);
                last_size = sb.st_size;
            }
        }
    }
    closedir(d);
    if (!nseg)
        return 0;
    s->sealed = seg_sealed(last_seg, last_size);
    return 1;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* Sessions directly under `dir` (an instance directory). */
static int scan_instance(const char *dir, const char *instance, session *v, int *n)
{
    DIR *d = opendir(dir);
    if (!d) {
        fprintf(stderr, "ringside journal prune: %s: %s\n", dir, strerror(errno));
        return -1;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, e->d_name) >= sizeof p || !is_dir(p))
            continue;
        if (*n == MAX_SESSIONS) {
            fprintf(stderr, "ringside journal prune: more than %d sessions under %s; prune a sub-directory\n",
                    MAX_SESSIONS, dir);
            closedir(d);
            return -1;
        }
        if (scan_session(p, instance, &v[*n]) == 1)
            (*n)++;
    }
    closedir(d);
    return 0;
}

static int by_last_write(const void *a, const void *b)
{
    const session *x = a, *y = b;
    if (x->last_write != y->last_write)
        return x->last_write < y->last_write ? -1 : 1;
    return strcmp(x->path, y->path);
}

static int remove_session(const session *s)
{
    DIR *d = opendir(s->path);
    if (!d)
        return -errno;
    struct dirent *e;
    int rc = 0;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) != 0 && errno != ENOENT) {
            rc = -errno;
            break;
        }
    }
    closedir(d);
    if (!rc && rmdir(s->path) != 0)
        rc = -errno;
    if (!rc) {
        /* make the removal durable: fsync the parent directory */
        char parent[PATH_MAX];
        size_t L = strnlen(s->path, sizeof parent - 1);
        memcpy(parent, s->path, L);
        parent[L] = 0;
        char *sl = strrchr(parent, '/');
        if (sl && sl != parent) {
            *sl = 0;
            int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            if (fd >= 0) {
                fsync(fd);
                close(fd);
            }
        }
    }
    return rc;
}

int rs_journal_prune_cmd(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *root = NULL;
    double keep_days = -1;
    uint64_t keep_bytes = UINT64_MAX;
    long keep_last = 1;
    bool dry = false, unsealed = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--keep-days") && v) {
            char *end;
            keep_days = strtod(v, &end);
            if (*end || !(keep_days >= 0))
                return rs_cli_usage_error(usage, "journal prune: bad --keep-days '%s' (days, >= 0)", v);
            i++;
        } else if (!strcmp(a, "--keep-bytes") && v) {
            if (parse_size(v, &keep_bytes))
                return rs_cli_usage_error(usage, "journal prune: bad --keep-bytes '%s' (e.g. 500M, 20G)", v);
            i++;
        } else if (!strcmp(a, "--keep-last") && v) {
            char *end;
            keep_last = strtol(v, &end, 10);
            if (*end || keep_last < 0)
                return rs_cli_usage_error(usage, "journal prune: bad --keep-last '%s' (sessions, >= 0)", v);
            i++;
        } else if (!strcmp(a, "--dry-run")) {
            dry = true;
        } else if (!strcmp(a, "--include-unsealed")) {
            unsealed = true;
        } else if (a[0] == '-' || root) {
            return rs_cli_usage_error(usage, "journal prune: unknown option or extra argument %s", a);
        } else {
            root = a;
        }
    }
    if (!root)
        return rs_cli_usage_error(usage, "journal prune: ROOT is required");
    if (keep_days < 0 && keep_bytes == UINT64_MAX)
        return rs_cli_usage_error(usage, "journal prune: say what to keep: --keep-days and/or --keep-bytes");
    if (!is_dir(root)) {
        fprintf(stderr, "ringside journal prune: %s: not a directory\n", root);
        return RS_EXIT_FAIL;
    }

    static session v[MAX_SESSIONS];
    int n = 0;
    /* ROOT is an instance directory when its children are sessions,
     * otherwise the base holding instance directories */
    const char *slash = strrchr(root, '/');
    if (scan_instance(root, slash ? slash + 1 : root, v, &n))
        return RS_EXIT_FAIL;
    if (n == 0) {
        DIR *d = opendir(root);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            char p[PATH_MAX];
            if ((size_t)snprintf(p, sizeof p, "%s/%s", root, e->d_name) >= sizeof p || !is_dir(p))
                continue;
            if (scan_instance(p, e->d_name, v, &n)) {
                closedir(d);
                return RS_EXIT_FAIL;
            }
        }
        if (d)
            closedir(d);
    }
    qsort(v, (size_t)n, sizeof v[0], by_last_write);

    /* protect the newest keep_last per instance and, by default, unsealed ones */
    for (int i = n - 1; i >= 0; i--) {
        long newer = 0;
        for (int j = i + 1; j < n; j++)
            newer += !strcmp(v[j].instance, v[i].instance);
        if (newer < keep_last || (!v[i].sealed && !unsealed) || !v[i].plain)
            v[i].keep = true;
    }
    uint64_t total = 0, kept_bytes = 0;
    for (int i = 0; i < n; i++)
        total += v[i].bytes;
    time_t now = time(NULL);
    if (keep_days >= 0)
        for (int i = 0; i < n; i++)
            if (!v[i].keep && (double)(now - v[i].last_write) > keep_days * 86400.0)
                v[i].remove = true;
    uint64_t left = 0;
    for (int i = 0; i < n; i++)
        left += v[i].remove ? 0 : v[i].bytes;
    for (int i = 0; i < n && left > keep_bytes; i++)
        if (!v[i].keep && !v[i].remove) {
            v[i].remove = true;
            left -= v[i].bytes;
        }

    int failed = 0, removed = 0, skipped_unsealed = 0;
    uint64_t removed_bytes = 0;
    char b1[32], b2[32], when[32];
    for (int i = 0; i < n; i++) {
        struct tm tm;
        time_t lw = (time_t)v[i].last_write;
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&lw, &tm));
        fmt_bytes(b1, sizeof b1, v[i].bytes);
        if (!v[i].remove) {
            kept_bytes += v[i].bytes;
            if (!v[i].sealed && !unsealed) {
                skipped_unsealed++;
                printf("kept     %s (%s, last written %s): last segment not sealed (recorder running, or "
                       "crashed: `ringside journal verify` it)\n", v[i].path, b1, when);
            } else if (!v[i].plain) {
                printf("kept     %s (%s): holds something other than plain files\n", v[i].path, b1);
            }
            continue;
        }
        if (dry) {
            printf("would remove %s (%s, last written %s)\n", v[i].path, b1, when);
        } else {
            int rc = remove_session(&v[i]);
            if (rc) {
                fprintf(stderr, "ringside journal prune: %s: %s\n", v[i].path, strerror(-rc));
                failed++;
                kept_bytes += v[i].bytes;
                continue;
            }
            printf("removed  %s (%s, last written %s)\n", v[i].path, b1, when);
        }
        removed++;
        removed_bytes += v[i].bytes;
    }
    fmt_bytes(b1, sizeof b1, removed_bytes);
    fmt_bytes(b2, sizeof b2, dry ? total - removed_bytes : kept_bytes);
    printf("%s %d of %d sessions (%s); %s left in %s%s\n", dry ? "would remove" : "removed", removed, n, b1, b2,
           root, skipped_unsealed ? "; unsealed sessions kept (see above)" : "");
    uint64_t after = dry ? total - removed_bytes : kept_bytes;
    if (keep_bytes != UINT64_MAX && after > keep_bytes) {
        fmt_bytes(b1, sizeof b1, keep_bytes);
        fprintf(stderr, "ringside journal prune: still over --keep-bytes %s: the sessions left are protected "
                        "(--keep-last, unsealed) or could not be removed\n", b1);
        return RS_EXIT_FAIL;
    }
    return failed ? RS_EXIT_FAIL : RS_EXIT_OK;
}
