/* Shared-memory region per engine instance (see ringside/region.h).
 *
 * Why /dev/shm + shm_open: any process (recorder, ctl, top) can attach by
 * name. Huge pages come from a hugetlbfs mount when one has free pages;
 * otherwise we fall back to 4 KiB pages and say so in one line (that is the
 * path this CI machine takes: no huge pages reserved, shmem THP off).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ringside/region.h"
#include "ringside/tsc.h"

#define HUGE_2M (2u * 1024u * 1024u)
#define HUGETLBFS_DIR "/dev/hugepages"

static_assert(sizeof(rs_region_hdr) % RS_CACHELINE == 0, "region header is whole cache lines");

static uint64_t fnv1a(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

static uint64_t layout_hash(const rs_region_hdr *h)
{
    uint64_t x = 1469598103934665603ull;
    uint32_t v = RS_REGION_VERSION;
    uint64_t hs = sizeof(rs_region_hdr), rs = sizeof(rs_spsc_hdr);
    x = fnv1a(x, &v, sizeof v);
    x = fnv1a(x, &hs, sizeof hs);
    x = fnv1a(x, &rs, sizeof rs);
    x = fnv1a(x, &h->n_rings, sizeof h->n_rings);
    for (uint32_t i = 0; i < h->n_rings && i < RS_REGION_MAX_RINGS; i++)
        x = fnv1a(x, &h->rings[i], sizeof h->rings[i]);
    return x;
}

static int valid_instance(const char *inst)
{
    if (!inst || !*inst || strlen(inst) >= RS_REGION_NAME_MAX)
        return 0;
    for (const char *p = inst; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' ||
              *p == '_' || *p == '.'))
            return 0;
    return 1;
}

static uint64_t huge_pages_free(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    unsigned long long v = 0;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "HugePages_Free: %llu", &v) == 1)
            break;
    fclose(f);
    return v;
}

bool rs_region_creator_alive(const rs_region_hdr *h)
{
    if (h->creator_pid <= 0)
        return false;
    return kill(h->creator_pid, 0) == 0 || errno == EPERM;
}

/* Open an existing region file: hugetlbfs first, then /dev/shm. */
static int open_existing(const char *inst, char *name_out, size_t cap, int *huge)
{
    snprintf(name_out, cap, HUGETLBFS_DIR "/ringside.%s", inst);
    int fd = open(name_out, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        *huge = 1;
        return fd;
    }
    snprintf(name_out, cap, "/ringside.%s", inst);
    *huge = 0;
    return shm_open(name_out, O_RDWR | O_CLOEXEC, 0);
}

static void unlink_region(const char *name, int huge)
{
    if (huge)
        unlink(name);
    else
        shm_unlink(name);
}

static int map_check(rs_region *r, int fd, bool allow_stale, const char *inst)
{
    struct stat st;
    if (fstat(fd, &st) != 0)
        return rs_err_set(errno, "region %s: fstat: %s", inst, strerror(errno));
    if ((size_t)st.st_size < sizeof(rs_region_hdr))
        return rs_err_set(RS_EVERSION, "region %s: %lld bytes is too small to be a ringside region (being created?)",
                          inst, (long long)st.st_size);
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return rs_err_set(errno, "region %s: mmap: %s", inst, strerror(errno));
    rs_region_hdr *h = p;
    int rc = 0;
    /* partner: the release store of magic at the end of rs_region_create */
    uint64_t magic = rs_load_acquire((rs_atomic_u64 *)&h->magic);
    if (magic != RS_REGION_MAGIC)
        rc = rs_err_set(RS_EVERSION, "region %s: not a ringside region or not initialised (magic %#llx)", inst,
                        (unsigned long long)magic);
    else if (h->version != RS_REGION_VERSION)
        rc = rs_err_set(RS_EVERSION, "region %s: version %u, this build speaks %u", inst, h->version,
                        RS_REGION_VERSION);
    else if (h->hdr_size != sizeof(rs_region_hdr) || h->layout_hash != layout_hash(h) ||
             h->total_size > (uint64_t)st.st_size)
        rc = rs_err_set(RS_EVERSION, "region %s: layout differs from this build (header %u vs %zu bytes)", inst,
                        h->hdr_size, sizeof(rs_region_hdr));
    else if (h->schema_hash != r->hdr_schema_expect && r->hdr_schema_expect != 0)
        rc = rs_err_set(RS_EVERSION, "region %s: event schema %#llx differs from this build's %#llx", inst,
                        (unsigned long long)h->schema_hash, (unsigned long long)r->hdr_schema_expect);
    else if (!allow_stale && !rs_region_creator_alive(h))
        rc = rs_err_set(RS_ESTALE, "region %s is stale: its creator pid %d is dead (remove it with `ringside ctl cleanup --instance %s`)",
                        inst, h->creator_pid, inst);
    if (rc) {
        munmap(p, (size_t)st.st_size);
        return rc;
    }
    for (uint32_t i = 0; i < h->n_rings; i++) {
        if (h->rings[i].offset + rs_spsc_memsize(h->rings[i].capacity) > h->total_size ||
            rs_spsc_check((uint8_t *)p + h->rings[i].offset, rs_spsc_memsize(h->rings[i].capacity)) != 0) {
            char msg[512];
            snprintf(msg, sizeof msg, "%s", rs_err_msg());
            munmap(p, (size_t)st.st_size);
            return rs_err_set(RS_EVERSION, "region %s: ring %u (%s): %s", inst, i, h->rings[i].name, msg);
        }
    }
    r->hdr = h;
    r->size = (size_t)st.st_size;
    return 0;
}

int rs_region_attach(rs_region *r, const char *instance, bool allow_stale)
{
    uint64_t expect = r->hdr_schema_expect;
    memset(r, 0, sizeof *r);
    r->hdr_schema_expect = expect;
    r->fd = -1;
    if (!valid_instance(instance))
        return rs_err_set(EINVAL, "invalid instance name '%s' (letters, digits, '-', '_', '.'; < %d chars)",
                          instance ? instance : "", RS_REGION_NAME_MAX);
    int huge = 0;
    int fd = open_existing(instance, r->shm_name, sizeof r->shm_name, &huge);
    if (fd < 0)
        return rs_err_set(errno, "instance %s: no region (%s): is the engine running?", instance, strerror(errno));
    int rc = map_check(r, fd, allow_stale, instance);
    if (rc) {
        close(fd);
        return rc;
    }
    r->fd = fd;
    r->owner = false;
    return 0;
}

int rs_region_create(rs_region *r, const char *instance, const rs_region_ring_spec *specs, unsigned n)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    if (!valid_instance(instance))
        return rs_err_set(EINVAL, "invalid instance name '%s' (letters, digits, '-', '_', '.'; < %d chars)",
                          instance ? instance : "", RS_REGION_NAME_MAX);
    if (n > RS_REGION_MAX_RINGS)
        return rs_err_set(EINVAL, "region %s: %u rings, at most %d", instance, n, RS_REGION_MAX_RINGS);

    /* Layout: header, then each ring page-aligned. */
    uint64_t off = RS_ALIGN_UP((uint64_t)sizeof(rs_region_hdr), 4096u);
    uint64_t offs[RS_REGION_MAX_RINGS];
    for (unsigned i = 0; i < n; i++) {
        size_t ms = rs_spsc_memsize(specs[i].capacity);
        if (ms == 0)
            return rs_err_set(EINVAL, "region %s: ring %s: capacity %u must be a power of two >= 4096", instance,
                              specs[i].name, specs[i].capacity);
        offs[i] = off;
        off = RS_ALIGN_UP(off + ms, 4096u);
    }
    uint64_t total = off;

    /* An existing region: refuse if alive, replace if stale. */
    {
        rs_region old = {0};
        int huge_old = 0;
        int fd = open_existing(instance, old.shm_name, sizeof old.shm_name, &huge_old);
        if (fd >= 0) {
            struct stat st;
            bool alive = false;
            if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(rs_region_hdr)) {
                rs_region_hdr *h = mmap(NULL, sizeof *h, PROT_READ, MAP_SHARED, fd, 0);
                if (h != MAP_FAILED) {
                    alive = h->magic == RS_REGION_MAGIC && rs_region_creator_alive(h) && h->creator_pid != getpid();
                    if (alive) {
                        int pid = h->creator_pid;
                        munmap(h, sizeof *h);
                        close(fd);
                        return rs_err_set(EBUSY, "instance %s is already running (pid %d)", instance, pid);
                    }
                    munmap(h, sizeof *h);
                }
            }
            close(fd);
            fprintf(stderr, "ringside: replacing stale region %s\n", old.shm_name);
            unlink_region(old.shm_name, huge_old);
        }
    }

    int huge = 0, fd = -1;
    uint64_t huge_total = RS_ALIGN_UP(total, (uint64_t)HUGE_2M);
    if (huge_pages_free() * HUGE_2M >= huge_total) {
        snprintf(r->shm_name, sizeof r->shm_name, HUGETLBFS_DIR "/ringside.%s", instance);
        fd = open(r->shm_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd >= 0 && ftruncate(fd, (off_t)huge_total) == 0) {
            huge = 1;
            total = huge_total;
        } else if (fd >= 0) {
            close(fd);
            unlink(r->shm_name);
            fd = -1;
        }
    }
    if (!huge) {
        fprintf(stderr, "ringside: huge pages unavailable (%llu free); region %s uses 4 KiB pages\n",
                (unsigned long long)huge_pages_free(), instance);
        snprintf(r->shm_name, sizeof r->shm_name, "/ringside.%s", instance);
        fd = shm_open(r->shm_name, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            return rs_err_set(errno, "region %s: shm_open(%s): %s", instance, r->shm_name, strerror(errno));
        if (ftruncate(fd, (off_t)total) != 0) {
            int e = errno;
            close(fd);
            shm_unlink(r->shm_name);
            return rs_err_set(e, "region %s: ftruncate(%llu): %s", instance, (unsigned long long)total, strerror(e));
        }
    }
    /* MAP_POPULATE pre-faults every page now, not on the hot path. */
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
    if (p == MAP_FAILED) {
        int e = errno;
        close(fd);
        unlink_region(r->shm_name, huge);
        return rs_err_set(e, "region %s: mmap(%llu): %s", instance, (unsigned long long)total, strerror(e));
    }
    rs_region_hdr *h = p;
    memset(h, 0, sizeof *h);
    h->version = RS_REGION_VERSION;
    h->hdr_size = sizeof *h;
    h->total_size = total;
    h->creator_pid = getpid();
    h->n_rings = n;
    h->start_ns = rs_now_ns();
    h->tsc_ghz = rs_tsc_ghz();
    h->huge_pages = (uint32_t)huge;
    h->schema_hash = r->hdr_schema_expect;
    snprintf(h->instance, sizeof h->instance, "%s", instance);
    for (unsigned i = 0; i < n; i++) {
        snprintf(h->rings[i].name, sizeof h->rings[i].name, "%s", specs[i].name ? specs[i].name : "");
        h->rings[i].stream = specs[i].stream;
        h->rings[i].capacity = specs[i].capacity;
        h->rings[i].offset = offs[i];
        int rc = rs_spsc_init((uint8_t *)p + offs[i], specs[i].capacity, specs[i].stream, specs[i].name,
                              specs[i].flags);
        if (rc) {
            munmap(p, total);
            close(fd);
            unlink_region(r->shm_name, huge);
            return rc;
        }
    }
    h->layout_hash = layout_hash(h);
    /* magic last (partner: the acquire load in map_check). */
    rs_store_release((rs_atomic_u64 *)&h->magic, RS_REGION_MAGIC);
    r->hdr = h;
    r->size = total;
    r->fd = fd;
    r->owner = true;
    return 0;
}

void rs_region_detach(rs_region *r)
{
    if (r->hdr)
        munmap(r->hdr, r->size);
    if (r->fd >= 0)
        close(r->fd);
    r->hdr = NULL;
    r->fd = -1;
}

void rs_region_destroy(rs_region *r)
{
    bool owner = r->owner;
    int huge = r->hdr ? (int)r->hdr->huge_pages : 0;
    rs_region_detach(r);
    if (owner)
        unlink_region(r->shm_name, huge);
}

void *rs_region_ring(const rs_region *r, uint32_t stream)
{
    const rs_region_hdr *h = r->hdr;
    for (uint32_t i = 0; i < h->n_rings; i++)
        if (h->rings[i].stream == stream)
            return (uint8_t *)h + h->rings[i].offset;
    return NULL;
}

int rs_region_cleanup(const char *instance)
{
    if (!valid_instance(instance))
        return rs_err_set(EINVAL, "invalid instance name '%s'", instance ? instance : "");
    char name[RS_REGION_NAME_MAX + 64];
    int huge = 0;
    int fd = open_existing(instance, name, sizeof name, &huge);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        return rs_err_set(errno, "instance %s: %s", instance, strerror(errno));
    }
    struct stat st;
    int rc = 1;
    if (fstat(fd, &st) == 0 && (size_t)st.st_size >= sizeof(rs_region_hdr)) {
        rs_region_hdr *h = mmap(NULL, sizeof *h, PROT_READ, MAP_SHARED, fd, 0);
        if (h != MAP_FAILED) {
            if (h->magic == RS_REGION_MAGIC && rs_region_creator_alive(h))
                rc = rs_err_set(EBUSY, "instance %s is running (pid %d); stop it first", instance, h->creator_pid);
            munmap(h, sizeof *h);
        }
    }
    close(fd);
    if (rc == 1)
        unlink_region(name, huge);
    return rc;
}

int64_t rs_region_post_cmd(rs_region *r, uint32_t cmd, const char *arg)
{
    rs_region_ctl *c = &r->hdr->ctl;
    uint32_t unlocked = 0;
    int spins = 0;
    /* A tiny CAS lock serialises concurrent ctl processes (control path). */
    while (!rs_cas_acq_rel(&c->lock, &unlocked, 1u)) {
        unlocked = 0;
        if (++spins > 1000000)
            return rs_err_set(EBUSY, "instance %s: control mailbox busy", r->hdr->instance);
        rs_cpu_relax();
    }
    rs_store_relaxed(&c->cmd, cmd);
    snprintf(c->arg, sizeof c->arg, "%s", arg ? arg : "");
    uint64_t seq = rs_load_relaxed(&c->cmd_seq) + 1;
    /* partner: the engine's acquire load of cmd_seq before it reads cmd/arg */
    rs_store_release(&c->cmd_seq, seq);
    rs_store_release(&c->lock, 0u); /* partner: the next writer's CAS (acquire) */
    return (int64_t)seq;
}
