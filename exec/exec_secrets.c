/* Credentials in locked, non-dumpable memory; loaded from a 0600 file or the
 * environment, never from the config. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>

#include "ringside/common.h"
#include "ringside/exec_secrets.h"
#include "ringside/log.h"

#define SECRETS_FILE_MAX (16u * 1024u)

static size_t page_round(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (n + pg - 1) & ~(pg - 1);
}

void *rs_secure_alloc(size_t n)
{
    size_t len = page_round(n ? n : 1);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        rs_err_set(errno, "exec_secrets.c: mmap of %zu secure bytes failed", len);
        return NULL;
    }
    /* DONTDUMP first: it is the property the canary test relies on; mlock
     * only keeps the pages out of swap and may hit RLIMIT_MEMLOCK. */
    if (madvise(p, len, MADV_DONTDUMP) != 0) {
        int e = errno;
        munmap(p, len);
        rs_err_set(e, "exec_secrets.c: madvise(MADV_DONTDUMP) failed");
        return NULL;
    }
    if (mlock(p, len) != 0)
        rs_warn("exec", "mlock of %zu secret bytes failed (%s); secrets may be swapped", len, strerror(errno));
    return p;
}

void rs_secure_free(void *p, size_t n)
{
    if (!p)
        return;
    size_t len = page_round(n ? n : 1);
    OPENSSL_cleanse(p, len);
    munlock(p, len);
    munmap(p, len);
}

int rs_secure_heap_init(void)
{
    if (CRYPTO_secure_malloc_initialized())
        return 0;
    /* 64 KiB, 32-byte minimum blocks: room for a handful of keys. */
    if (!CRYPTO_secure_malloc_init(64 * 1024, 32))
        return rs_err_set(RS_ETLS, "exec_secrets.c: OpenSSL secure heap could not start");
    return 0;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* OpenSSL 3.0 imports an Ed25519 private key (EVP_PKEY_new_raw_private_key,
 * PEM) into its ordinary heap, not its secure heap, and PEM decoding leaves
 * freed copies behind. Find every page of our own dumpable, writable memory
 * that holds the key bytes and exclude it from core dumps (and swap). Read
 * through /proc/self/mem so sanitizers do not see foreign heap reads.
 * Control path, once per key load. Returns pages pinned or -errno. */
static int pin_copies(const uint8_t *key, size_t n, uint8_t *scratch, size_t cap)
{
    FILE *f = fopen("/proc/self/smaps", "re");
    int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
    if (!f || mem < 0) {
        if (f)
            fclose(f);
        if (mem >= 0)
            close(mem);
        return -errno;
    }
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    char line[512], perms[8] = "";
    unsigned long lo = 0, hi = 0;
    int pinned = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char p[8];
        if (sscanf(line, "%lx-%lx %7s", &a, &b, p) == 3) {
            lo = a;
            hi = b;
            memcpy(perms, p, sizeof perms);
            continue;
        }
        if (strncmp(line, "VmFlags:", 8) || strstr(line, " dd") || perms[0] != 'r' || perms[1] != 'w' ||
            hi - lo > (1ul << 30))
            continue;
        for (unsigned long pos = lo; pos < hi;) {
            size_t want = hi - pos < cap ? hi - pos : cap;
            ssize_t r = pread(mem, scratch, want, (off_t)pos);
            if (r <= (ssize_t)n)
                break;
            for (const uint8_t *q = scratch; (q = memmem(q, (size_t)(scratch + r - q), key, n)) != NULL; q++) {
                unsigned long at = pos + (unsigned long)(q - scratch);
                unsigned long p0 = at & ~(pg - 1), p1 = (at + n - 1) & ~(pg - 1);
                if (madvise((void *)p0, p1 - p0 + pg, MADV_DONTDUMP) == 0) {
                    mlock((void *)p0, p1 - p0 + pg);
                    pinned++;
                }
            }
            if ((size_t)r < want)
                break;
            pos += (unsigned long)r - n; /* overlap: a copy may straddle chunks */
        }
    }
    fclose(f);
    close(mem);
    OPENSSL_cleanse(scratch, cap);
    return pinned;
}

/* Scratch for parsing: lives in the same secure mapping as rs_secrets. */
typedef struct secrets_blob {
    rs_secrets s;
    char file[SECRETS_FILE_MAX + 1];
    char pem[8192];
    uint8_t seed[32];
    uint8_t scan[256 * 1024];   /* pin_copies() reads memory through here */
} secrets_blob;

static void trim(char **b, char **e)
{
    while (*b < *e && (**b == ' ' || **b == '\t'))
        (*b)++;
    while (*e > *b && ((*e)[-1] == ' ' || (*e)[-1] == '\t' || (*e)[-1] == '\r'))
        (*e)--;
}

static int set_kv(secrets_blob *sb, const char *where, int line, char *k, char *ke, char *v, char *ve,
                  size_t *hmac_len, char **hmac_at, int *have_seed)
{
    size_t kl = (size_t)(ke - k), vl = (size_t)(ve - v);
    if (kl == 7 && !memcmp(k, "api_key", 7)) {
        if (vl == 0 || vl >= RS_API_KEY_MAX)
            return rs_err_set(EINVAL, "%s:%d: api_key: length %zu out of range 1..%d", where, line, vl,
                              RS_API_KEY_MAX - 1);
        memcpy(sb->s.api_key, v, vl);
        sb->s.api_key[vl] = 0;
        sb->s.api_key_len = vl;
        return 0;
    }
    if (kl == 11 && !memcmp(k, "hmac_secret", 11)) {
        if (vl == 0)
            return rs_err_set(EINVAL, "%s:%d: hmac_secret: empty", where, line);
        *hmac_at = v;
        *hmac_len = vl;
        return 0;
    }
    if (kl == 12 && !memcmp(k, "ed25519_seed", 12)) {
        if (vl != 64)
            return rs_err_set(EINVAL, "%s:%d: ed25519_seed: want 64 hex chars, got %zu", where, line, vl);
        for (int i = 0; i < 32; i++) {
            int hi = hexval(v[2 * i]), lo = hexval(v[2 * i + 1]);
            if (hi < 0 || lo < 0)
                return rs_err_set(EINVAL, "%s:%d: ed25519_seed: not hex", where, line);
            sb->seed[i] = (uint8_t)(hi << 4 | lo);
        }
        *have_seed = 1;
        return 0;
    }
    return rs_err_set(EINVAL, "%s:%d: unknown key '%.*s' (api_key, hmac_secret, ed25519_seed)", where, line,
                      (int)kl, k);
}

static int parse_file(secrets_blob *sb, const char *where, size_t n)
{
    char *p = sb->file, *end = sb->file + n;
    size_t hmac_len = 0, pem_len = 0;
    char *hmac_at = NULL;
    int have_seed = 0, in_pem = 0, line = 0, rc = 0;
    while (p < end && rc == 0) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        char *le = nl ? nl : end;
        char *b = p, *e = le;
        line++;
        trim(&b, &e);
        if (in_pem || (e - b >= 11 && !memcmp(b, "-----BEGIN ", 11))) {
            in_pem = 1;
            size_t l = (size_t)(e - b);
            if (pem_len + l + 2 > sizeof sb->pem)
                return rs_err_set(EINVAL, "%s:%d: PEM block too large", where, line);
            memcpy(sb->pem + pem_len, b, l);
            pem_len += l;
            sb->pem[pem_len++] = '\n';
            if (l >= 9 && !memcmp(b, "-----END ", 9))
                in_pem = 0;
        } else if (b < e && *b != '#') {
            char *eq = memchr(b, '=', (size_t)(e - b));
            if (!eq)
                return rs_err_set(EINVAL, "%s:%d: expected key = value", where, line);
            char *k = b, *ke = eq, *v = eq + 1, *ve = e;
            trim(&k, &ke);
            trim(&v, &ve);
            rc = set_kv(sb, where, line, k, ke, v, ve, &hmac_len, &hmac_at, &have_seed);
        }
        p = nl ? nl + 1 : end;
    }
    if (rc)
        return rc;
    if (in_pem)
        return rs_err_set(EINVAL, "%s: PEM block not terminated", where);
    if (hmac_at && (rc = rs_sign_init_hmac(&sb->s.hmac, hmac_at, hmac_len)) != 0)
        return rc;
    if (pem_len && (rc = rs_sign_init_ed25519(&sb->s.ed25519, sb->pem, pem_len, 0)) != 0)
        return rc;
    if (!pem_len && have_seed && (rc = rs_sign_init_ed25519(&sb->s.ed25519, sb->seed, 32, 1)) != 0)
        return rc;
    if (sb->s.ed25519.kind == RS_SIGN_ED25519) {
        size_t kl = sizeof sb->seed;
        if (EVP_PKEY_get_raw_private_key(sb->s.ed25519.pkey, sb->seed, &kl) == 1 && kl == sizeof sb->seed) {
            int pinned = pin_copies(sb->seed, kl, sb->scan, sizeof sb->scan);
            if (pinned < 0)
                rs_warn("exec", "%s: cannot scan /proc/self/mem (%s); OpenSSL's Ed25519 key copy may be dumpable",
                        where, strerror(-pinned));
            else
                rs_debug("exec", "%s: %d page(s) holding OpenSSL's Ed25519 key copy excluded from core dumps",
                         where, pinned);
        }
    }
    if (!sb->s.api_key_len)
        return rs_err_set(EINVAL, "%s: no api_key", where);
    if (sb->s.hmac.kind == RS_SIGN_NONE && sb->s.ed25519.kind == RS_SIGN_NONE)
        return rs_err_set(EINVAL, "%s: neither hmac_secret nor an Ed25519 key", where);
    return 0;
}

static int read_file(secrets_blob *sb, const char *path, size_t *n)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return rs_err_set(errno, "%s: cannot open secrets file: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return rs_err_set(e, "%s: fstat failed", path);
    }
    if (!S_ISREG(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 077) != 0) {
        close(fd);
        return rs_err_set(EPERM,
                          "%s: refusing secrets file: mode %04o owner %u; it must be a regular file owned by "
                          "uid %u with mode 0600 or 0400 (chmod 600 %s)",
                          path, (unsigned)(st.st_mode & 07777), (unsigned)st.st_uid, (unsigned)geteuid(), path);
    }
    size_t got = 0;
    for (;;) {
        ssize_t r = read(fd, sb->file + got, SECRETS_FILE_MAX - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return rs_err_set(e, "%s: read failed", path);
        }
        if (r == 0)
            break;
        got += (size_t)r;
        if (got == SECRETS_FILE_MAX) {
            close(fd);
            return rs_err_set(EINVAL, "%s: larger than %u bytes", path, SECRETS_FILE_MAX);
        }
    }
    close(fd);
    *n = got;
    return 0;
}

/* Copy an environment value as a `key=value` line into the scratch file and
 * wipe the original so it does not stay in the process image. */
static size_t env_take(secrets_blob *sb, size_t at, const char *name, const char *key)
{
    char *v = getenv(name);
    if (!v)
        return at;
    size_t vl = strlen(v), kl = strlen(key);
    if (at + kl + vl + 3 < SECRETS_FILE_MAX) {
        if (key[0] == '-') { /* PEM: raw text */
            memcpy(sb->file + at, v, vl);
            at += vl;
        } else {
            memcpy(sb->file + at, key, kl);
            sb->file[at + kl] = '=';
            memcpy(sb->file + at + kl + 1, v, vl);
            at += kl + 1 + vl;
        }
        sb->file[at++] = '\n';
    }
    OPENSSL_cleanse(v, vl);
    return at;
}

int rs_secrets_load(const char *path, rs_secrets **out)
{
    *out = NULL;
    int rc = rs_secure_heap_init();
    if (rc)
        return rc;
    secrets_blob *sb = rs_secure_alloc(sizeof *sb);
    if (!sb)
        return -ENOMEM;
    size_t n = 0;
    const char *where = path ? path : "environment";
    if (path) {
        rc = read_file(sb, path, &n);
    } else {
        n = env_take(sb, n, "RINGSIDE_API_KEY", "api_key");
        n = env_take(sb, n, "RINGSIDE_API_SECRET", "hmac_secret");
        n = env_take(sb, n, "RINGSIDE_ED25519_PEM", "-pem");
        if (n == 0)
            rc = rs_err_set(ENOENT, "environment: no RINGSIDE_API_KEY / RINGSIDE_API_SECRET / RINGSIDE_ED25519_PEM");
    }
    if (rc == 0)
        rc = parse_file(sb, where, n);
    /* The raw text and the decoded seed are no longer needed either way. */
    OPENSSL_cleanse(sb->file, sizeof sb->file);
    OPENSSL_cleanse(sb->pem, sizeof sb->pem);
    OPENSSL_cleanse(sb->seed, sizeof sb->seed);
    if (rc) {
        rs_sign_fini(&sb->s.hmac);
        rs_sign_fini(&sb->s.ed25519);
        rs_secure_free(sb, sizeof *sb);
        return rc;
    }
    *out = &sb->s;
    return 0;
}

void rs_secrets_destroy(rs_secrets *s)
{
    if (!s)
        return;
    rs_sign_fini(&s->hmac);
    rs_sign_fini(&s->ed25519);
    rs_secure_free(s, sizeof(secrets_blob));
}
