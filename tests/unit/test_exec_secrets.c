/* Secrets: file permission rules, environment loading (wiped after use), and
 * the canary-key test: a random API key, HMAC secret and Ed25519 seed are
 * loaded, the exec stage signs real requests with them, and then neither the
 * key, the secret, the seed nor any signature may appear in
 *   - the records the exec stage emitted (the journal bytes),
 *   - the log output (stderr, including an error about a bad secrets file),
 *   - the memory a core dump would contain: every readable mapping the kernel
 *     would write (all except VM_DONTDUMP ones, read through /proc/self/mem),
 *     and, where gdb is installed, an actual `gcore` of this process. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "ringside/exec_stage.h"
#include "ringside/log.h"
#include "testutil.h"

static char dir[64];

static void write_file(const char *path, const char *txt, size_t n, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, txt, n), (ssize_t)n);
    close(fd);
    chmod(path, mode);
}

static int setup(void **st)
{
    (void)st;
    strcpy(dir, "/tmp/rs_secrets_XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
    (void)st;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    return system(cmd);
}

static void test_permissions_and_syntax(void **st)
{
    (void)st;
    char path[128];
    snprintf(path, sizeof path, "%s/keys", dir);
    const char *txt = "# test keys\napi_key = abc\nhmac_secret=def\n";
    rs_secrets *s = NULL;
    write_file(path, txt, strlen(txt), 0644);
    assert_int_equal(rs_secrets_load(path, &s), -EPERM);
    assert_null(s);
    assert_non_null(strstr(rs_err_msg(), "0644"));
    write_file(path, txt, strlen(txt), 0640);
    assert_int_equal(rs_secrets_load(path, &s), -EPERM);
    write_file(path, txt, strlen(txt), 0600);
    assert_int_equal(rs_secrets_load(path, &s), 0);
    assert_string_equal(s->api_key, "abc");
    assert_int_equal(s->hmac.kind, RS_SIGN_HMAC);
    assert_int_equal(s->ed25519.kind, RS_SIGN_NONE);
    rs_secrets_destroy(s);
    write_file(path, txt, strlen(txt), 0400);
    assert_int_equal(rs_secrets_load(path, &s), 0);
    rs_secrets_destroy(s);
    /* a symlink is refused (O_NOFOLLOW) */
    char link[140];
    snprintf(link, sizeof link, "%s/link", dir);
    assert_int_equal(symlink(path, link), 0);
    assert_true(rs_secrets_load(link, &s) < 0);
    /* syntax errors name file and line */
    const char *bad = "api_key=abc\npassword=x\n";
    write_file(path, bad, strlen(bad), 0600);
    assert_int_equal(rs_secrets_load(path, &s), -EINVAL);
    assert_non_null(strstr(rs_err_msg(), ":2:"));
    const char *nokey = "hmac_secret=x\n";
    write_file(path, nokey, strlen(nokey), 0600);
    assert_int_equal(rs_secrets_load(path, &s), -EINVAL);
    const char *pem = "api_key=k\n-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n"
                      "-----END PRIVATE KEY-----\n";
    write_file(path, pem, strlen(pem), 0600);
    assert_int_equal(rs_secrets_load(path, &s), 0);
    assert_int_equal(s->ed25519.kind, RS_SIGN_ED25519);
    rs_secrets_destroy(s);
    assert_true(rs_secrets_load("/nonexistent/keys", &s) < 0);
}

static void test_environment(void **st)
{
    (void)st;
    setenv("RINGSIDE_API_KEY", "envkey", 1);
    setenv("RINGSIDE_API_SECRET", "envsecret", 1);
    rs_secrets *s = NULL;
    assert_int_equal(rs_secrets_load(NULL, &s), 0);
    assert_string_equal(s->api_key, "envkey");
    assert_int_equal(s->hmac.kind, RS_SIGN_HMAC);
    /* the environment copy was wiped in place */
    const char *v = getenv("RINGSIDE_API_SECRET");
    assert_true(v == NULL || v[0] == 0);
    rs_secrets_destroy(s);
    unsetenv("RINGSIDE_API_KEY");
    unsetenv("RINGSIDE_API_SECRET");
    assert_int_equal(rs_secrets_load(NULL, &s), -ENOENT);
}

/* ---- canary ------------------------------------------------------------------ */

#define MAXN 64
typedef struct needles {
    char key[65], secret[65], seed_hex[65];
    uint8_t seed[32];
    char sig[MAXN][RS_SIGN_MAX];
    int nsig;
    uint8_t chunk[1 << 20];
    char file[512];
} needles;

static void rnd(void *p, size_t n)
{
    int fd = open("/dev/urandom", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(read(fd, p, n), (ssize_t)n);
    close(fd);
}

/* Does buf contain any needle? Returns its name or NULL. */
static const char *find(const needles *nd, const uint8_t *buf, size_t n)
{
    if (memmem(buf, n, nd->key, 64))
        return "api key";
    if (memmem(buf, n, nd->secret, 64))
        return "hmac secret";
    if (memmem(buf, n, nd->seed_hex, 64))
        return "ed25519 seed (hex)";
    if (memmem(buf, n, nd->seed, 32))
        return "ed25519 seed (raw)";
    for (int i = 0; i < nd->nsig; i++)
        if (memmem(buf, n, nd->sig[i], strlen(nd->sig[i])))
            return "a signature";
    return NULL;
}

static const char *scan_fd(needles *nd, int fd, off_t start, off_t len)
{
    const size_t over = 128;
    off_t pos = start;
    while (len == 0 || pos < start + len) {
        size_t want = sizeof nd->chunk;
        if (len && (off_t)want > start + len - pos)
            want = (size_t)(start + len - pos);
        ssize_t r = pread(fd, nd->chunk, want, pos);
        if (r <= 0)
            break;
        const char *hit = find(nd, nd->chunk, (size_t)r);
        if (hit)
            return hit;
        if ((size_t)r < over || (len && pos + r >= start + len))
            break;
        pos += r - (ssize_t)over;
        if ((size_t)r < want)
            break;
    }
    return NULL;
}

/* What the kernel would dump: every readable mapping without VmFlags "dd". */
static const char *scan_self(needles *nd, int *mappings)
{
    FILE *f = fopen("/proc/self/smaps", "r");
    int mem = open("/proc/self/mem", O_RDONLY);
    assert_non_null(f);
    assert_true(mem >= 0);
    char line[512];
    unsigned long lo = 0, hi = 0;
    char perms[8] = "";
    char name[256] = "";
    const char *hit = NULL;
    static unsigned long maps[4096][2];
    int nmaps = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long a, b;
        char p[8];
        if (sscanf(line, "%lx-%lx %7s", &a, &b, p) == 3) {
            lo = a;
            hi = b;
            strcpy(perms, p);
            name[0] = 0;
            sscanf(line, "%*s %*s %*s %*s %*s %255s", name);
        } else if (!strncmp(line, "VmFlags:", 8)) {
            int dd = strstr(line, " dd") != NULL;
            if (!dd && perms[0] == 'r' && strcmp(name, "[vvar]") && strcmp(name, "[vsyscall]") && nmaps < 4096) {
                maps[nmaps][0] = lo;
                maps[nmaps][1] = hi;
                nmaps++;
            }
        }
    }
    fclose(f);
    for (int i = 0; i < nmaps && !hit; i++) {
        hit = scan_fd(nd, mem, (off_t)maps[i][0], (off_t)(maps[i][1] - maps[i][0]));
    }
    close(mem);
    *mappings = nmaps;
    return hit;
}

static void grab_sig(needles *nd, const char *w, size_t n)
{
    const char *p = memmem(w, n, "\"signature\":\"", 13);
    size_t skip = 13;
    char end = '"';
    if (!p) {
        p = memmem(w, n, "&signature=", 11);
        skip = 11;
        end = ' ';
    }
    if (!p || nd->nsig == MAXN)
        return;
    p += skip;
    size_t i = 0;
    while (p + i < w + n && p[i] != end && i < RS_SIGN_MAX - 1) {
        nd->sig[nd->nsig][i] = p[i];
        i++;
    }
    nd->sig[nd->nsig][i] = 0;
    nd->nsig++;
}

static void test_canary(void **st)
{
    (void)st;
    needles *nd = rs_secure_alloc(sizeof *nd);
    assert_non_null(nd);
    uint8_t r[64];
    rnd(r, 32);
    rs_hex(r, 32, nd->key);
    rnd(r, 32);
    rs_hex(r, 32, nd->secret);
    rnd(nd->seed, 32);
    rs_hex(nd->seed, 32, nd->seed_hex);
    memset(r, 0, sizeof r);
    /* the secrets file, composed in secure memory */
    size_t n = 0;
    memcpy(nd->file + n, "api_key=", 8), n += 8;
    memcpy(nd->file + n, nd->key, 64), n += 64;
    memcpy(nd->file + n, "\nhmac_secret=", 13), n += 13;
    memcpy(nd->file + n, nd->secret, 64), n += 64;
    memcpy(nd->file + n, "\ned25519_seed=", 14), n += 14;
    memcpy(nd->file + n, nd->seed_hex, 64), n += 64;
    nd->file[n++] = '\n';
    char path[128], badpath[128], logpath[128];
    snprintf(path, sizeof path, "%s/canary", dir);
    snprintf(badpath, sizeof badpath, "%s/canary_open", dir);
    snprintf(logpath, sizeof logpath, "%s/log", dir);
    write_file(path, nd->file, n, 0600);
    write_file(badpath, nd->file, n, 0644);
    memset(nd->file, 0, sizeof nd->file);

    /* capture the log output */
    fflush(stderr);
    int saved = dup(2);
    int lfd = open(logpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(lfd, 2);
    close(lfd);
    rs_log_set_level(RS_LOG_DEBUG);

    rs_secrets *s = NULL;
    int rc = rs_secrets_load(badpath, &s);
    rs_error("exec", "secrets: %s", rs_err_msg()); /* what the runtime logs */
    assert_int_equal(rc, -EPERM);
    assert_int_equal(rs_secrets_load(path, &s), 0);
    rs_info("exec", "secrets loaded: api key of %zu chars, hmac %d, ed25519 %d", s->api_key_len, s->hmac.kind,
            s->ed25519.kind);
    unlink(path);
    unlink(badpath);

    /* the exec stage signs real requests with them */
    static rs_universe u;
    memset(&u, 0, sizeof u);
    rs_instrument in;
    memset(&in, 0, sizeof in);
    strcpy(in.symbol, "BTCUSDT");
    in.px_exp = 2;
    in.qty_exp = 5;
    rs_universe_add(&u, &in);
    rs_exec_params p;
    rs_exec_params_default(&p);
    p.venue = RS_VENUE_BINANCE;
    p.u = &u;
    p.secrets = s;
    p.ws_sign = RS_SIGN_ED25519;
    size_t msz = rs_exec_memsize(&p);
    void *mem = rs_secure_alloc(msz);
    rs_exec *x;
    assert_int_equal(rs_exec_init(mem, &p, &x), 0);
    size_t jcap = 1 << 20;
    uint8_t *journal = malloc(jcap);
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, journal, jcap, RS_STREAM_EXEC);
    int64_t t = 1700000000000ll * 1000000ll;
    uint64_t seq = 0;
    int saw_key_on_wire = 0;
    for (int i = 0; i < 6; i++) {
        rs_ev_intent it;
        memset(&it, 0, sizeof it);
        it.h = (rs_rec){.len = sizeof it, .type = RS_EV_INTENT, .stream = RS_STREAM_INTENT, .seq = ++seq, .ts = t};
        it.kind = i == 5 ? RS_INT_QUERY : RS_INT_NEW; /* the last one: reconciliation over REST (HMAC) */
        it.side = RS_SIDE_BUY;
        it.ord_type = RS_ORD_LIMIT;
        it.px = 2000000;
        it.qty = 1000;
        it.client_id = (5ull << 40) | (uint64_t)(i + 1);
        assert_int_equal(rs_exec_on_event(x, &it.h, &eb.e), RS_OK);
        t += 1000000;
        rs_exec_wire w;
        while (rs_exec_outbox_peek(x, &w) == RS_OK) {
            saw_key_on_wire |= memmem(w.data, w.len, nd->key, 64) != NULL;
            grab_sig(nd, (const char *)w.data, w.len);
            rs_exec_outbox_pop(x);
        }
    }
    /* a session.logon (Ed25519) on transport up */
    static uint8_t rb[64];
    rs_ev_raw *raw = (rs_ev_raw *)rb;
    raw->h = (rs_rec){.len = sizeof *raw + 2, .type = RS_EV_VENUE_MSG, .stream = RS_STREAM_RAW, .seq = ++seq, .ts = t};
    raw->conn = RS_XCONN(RS_XCH_STATUS, 0);
    raw->n = 2;
    raw->data[0] = RS_XCH_WS;
    raw->data[1] = 1;
    assert_int_equal(rs_exec_on_event(x, &raw->h, &eb.e), RS_OK);
    rs_exec_wire w;
    while (rs_exec_outbox_peek(x, &w) == RS_OK) {
        grab_sig(nd, (const char *)w.data, w.len);
        rs_exec_outbox_pop(x);
    }
    assert_true(saw_key_on_wire);
    assert_true(nd->nsig >= 7); /* 5 Ed25519 orders, REST HMAC queries, the logon */
    assert_true(eb.count >= 10);

    fflush(stderr);
    dup2(saved, 2);
    close(saved);

    /* 1. journal bytes */
    assert_null(find(nd, journal, eb.used));
    /* 2. log output */
    int fd = open(logpath, O_RDONLY);
    assert_true(fd >= 0);
    struct stat sb;
    fstat(fd, &sb);
    assert_true(sb.st_size > 0);
    const char *hit = scan_fd(nd, fd, 0, 0);
    close(fd);
    if (hit)
        fail_msg("canary (%s) found in the log output", hit);
    /* 3. core dump contents, while the keys are live */
    const char *bt = rs_test_build_type();
    if (strcmp(bt, "asan") && strcmp(bt, "tsan")) {
        int nm = 0;
        /* positive control: a copy in ordinary heap memory IS found */
        char *ctl = malloc(128);
        memcpy(ctl, nd->secret, 64);
        hit = scan_self(nd, &nm);
        assert_non_null(hit);
        OPENSSL_cleanse(ctl, 128);
        free(ctl);
        /* The needles themselves sit in MADV_DONTDUMP memory, as do the
         * secrets and the exec outbox: a dump that honoured nothing would
         * contain them. */
        hit = scan_self(nd, &nm);
        if (hit)
            fail_msg("canary (%s) found in dumpable memory", hit);
        print_message("   %d dumpable mappings scanned: no canary\n", nm);
        if (access("/usr/bin/gcore", X_OK) == 0) {
            char cmd[512], core[160];
            snprintf(core, sizeof core, "%s/core", dir);
            snprintf(cmd, sizeof cmd, "gcore -o %s %d >/dev/null 2>&1", core, (int)getpid());
            snprintf(core + strlen(core), sizeof core - strlen(core), ".%d", (int)getpid());
            if (system(cmd) == 0 && (fd = open(core, O_RDONLY)) >= 0) {
                fstat(fd, &sb);
                hit = scan_fd(nd, fd, 0, 0);
                close(fd);
                unlink(core);
                if (hit)
                    fail_msg("canary (%s) found in the gcore dump", hit);
                print_message("   gcore dump of %lld bytes: no canary\n", (long long)sb.st_size);
            } else {
                print_message("   gcore could not attach here: the /proc/self/mem scan above stands in\n");
            }
        }
    } else {
        print_message("   core-dump scan skipped under %s (shadow memory)\n", bt);
    }
    rs_exec_fini(x);
    rs_secure_free(mem, msz);
    rs_secrets_destroy(s);
    free(journal);
    rs_secure_free(nd, sizeof *nd);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_permissions_and_syntax),
        cmocka_unit_test(test_environment),
        cmocka_unit_test(test_canary),
    };
    return cmocka_run_group_tests(t, setup, teardown);
}
