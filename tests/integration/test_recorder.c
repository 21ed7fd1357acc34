/* The recorder against a real region: late attach (journals the gap it
 * could not see), a dead engine (alarm + open-ended gap, clean exit), and a
 * full disk (fail-closed: journal_unhealthy raised, rings released, no half
 * record on disk). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ringside/journal.h"
#include "ringside/recorder.h"
#include "ringside/region.h"
#include "ringside/ring.h"
#include "ringside/tsc.h"
#include "testutil.h"

static char tmp[128];

static int setup(void **s)
{
    (void)s;
    snprintf(tmp, sizeof tmp, "/tmp/rs_jrec.XXXXXX");
    assert_non_null(mkdtemp(tmp));
    return 0;
}

static int teardown(void **s)
{
    (void)s;
    char cmd[200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static bool produce(rs_spsc_prod *p, uint64_t seq, uint32_t len)
{
    rs_rec *r = rs_spsc_try_claim(p, len);
    if (!r)
        return false;
    memset(r, 0, len);
    r->len = len;
    r->type = RS_EV_TRADE;
    r->stream = RS_STREAM_MD;
    r->seq = seq;
    r->ts = r->ts_local = (int64_t)seq;
    rs_spsc_commit(p);
    return true;
}

typedef struct th {
    rs_recorder_opts o;
    rs_recorder_stats st;
    rs_atomic_u32 stop;
    int rc;
} th;

static void *rec_thread(void *arg)
{
    th *t = arg;
    t->o.stats = &t->st;
    t->o.stop = &t->stop;
    t->rc = rs_recorder_run(&t->o);
    return NULL;
}

static void wait_state(rs_region_hdr *h, uint32_t want)
{
    int64_t dl = rs_mono_ns() + 20000000000ll;
    while (rs_load_acquire(&h->ctl.recorder_state) != want && rs_mono_ns() < dl)
        usleep(1000);
    assert_int_equal(rs_load_acquire(&h->ctl.recorder_state), want);
}

static void test_late_attach(void **s)
{
    (void)s;
    char inst[64], dir[256];
    snprintf(inst, sizeof inst, "jlate%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/late", tmp);
    rs_region reg;
    memset(&reg, 0, sizeof reg);
    rs_region_ring_spec spec = {"md", RS_STREAM_MD, 4096, 0};   /* no recorder expected */
    assert_int_equal(rs_region_create(&reg, inst, &spec, 1), 0);
    void *ring = rs_region_ring(&reg, RS_STREAM_MD);
    rs_spsc_prod p;
    rs_spsc_cons c;
    rs_spsc_prod_init(&p, ring);
    rs_spsc_cons_init(&c, ring, RS_SPSC_CONSUMER);
    uint64_t seq = 0;
    for (int i = 0; i < 200; i++) {
        assert_true(produce(&p, ++seq, 64));
        while (rs_spsc_poll(&c)) {
        }
        rs_spsc_release(&c);
    }
    /* caught up: the consumer publishes its released tail (it does so in
     * chunks, or when a poll finds the ring empty) */
    assert_null(rs_spsc_poll(&c));
    static th t;
    memset(&t, 0, sizeof t);
    t.o.instance = inst;
    t.o.dir = dir;
    t.o.quiet = true;
    pthread_t tid;
    pthread_create(&tid, NULL, rec_thread, &t);
    wait_state(reg.hdr, RS_REC_ATTACHED);
    for (int i = 0; i < 50; i++) {
        while (!produce(&p, seq + 1, 64)) {
            while (rs_spsc_poll(&c)) {
            }
            rs_spsc_release(&c);
        }
        seq++;
        while (rs_spsc_poll(&c)) {
        }
        rs_spsc_release(&c);
    }
    int64_t dl = rs_mono_ns() + 20000000000ll;
    while (rs_load_acquire(&p.h->rec_tail) != rs_load_acquire(&p.h->head) && rs_mono_ns() < dl)
        usleep(1000);
    rs_store_relaxed(&t.stop, 1u);
    pthread_join(tid, NULL);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.st.records, 50);
    assert_int_equal(t.st.gaps, 1);
    assert_int_equal(t.st.lost, 200);
    assert_int_equal(rs_load_acquire(&reg.hdr->ctl.recorder_state), RS_REC_EXITED);
    rs_region_destroy(&reg);

    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    assert_int_equal(rs_journal_verify(r), 0);     /* the loss is explained by the recorder */
    const rs_journal_status *st = rs_journal_get_status(r);
    assert_int_equal(st->lost_explained, 200);
    assert_int_equal(st->per_stream[RS_STREAM_MD], 50);
    rs_journal_rewind(r);
    const rs_rec *x;
    assert_int_equal(rs_journal_next(r, &x, NULL), 1);
    assert_int_equal(x->type, RS_EV_GAP);
    const rs_ev_gap *g = (const rs_ev_gap *)x;
    assert_int_equal(g->reason, 1);
    assert_int_equal(g->from_seq, 1);
    assert_int_equal(g->to_seq, 200);
    assert_int_equal(rs_journal_next(r, &x, NULL), 1);
    assert_int_equal(x->seq, 201);
    rs_journal_close(r);
}

static void test_engine_dies(void **s)
{
    (void)s;
    char inst[64], dir[256];
    snprintf(inst, sizeof inst, "jdead%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/dead", tmp);
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t pid = fork();
    if (pid == 0) {
        /* the "engine": produce 100 records once the recorder is attached,
         * then die without a clean stop */
        rs_region reg;
        memset(&reg, 0, sizeof reg);
        rs_region_ring_spec spec = {"md", RS_STREAM_MD, 1u << 16, RS_SPSC_F_RECORDER};
        if (rs_region_create(&reg, inst, &spec, 1) != 0)
            _exit(2);
        char ok = 1;
        if (write(pfd[1], &ok, 1) != 1)
            _exit(3);
        int64_t dl = rs_mono_ns() + 20000000000ll;
        while (rs_load_acquire(&reg.hdr->ctl.recorder_state) != RS_REC_ATTACHED && rs_mono_ns() < dl)
            usleep(1000);
        rs_spsc_prod p;
        rs_spsc_prod_init(&p, rs_region_ring(&reg, RS_STREAM_MD));
        for (uint64_t i = 1; i <= 100; i++)
            while (!produce(&p, i, 96))
                usleep(100);
        _exit(0);
    }
    close(pfd[1]);
    char ok;
    assert_int_equal(read(pfd[0], &ok, 1), 1);
    close(pfd[0]);
    static th t;
    memset(&t, 0, sizeof t);
    t.o.instance = inst;
    t.o.dir = dir;
    t.o.quiet = true;
    t.o.attach_wait_ns = 5000000000ll;
    pthread_t tid;
    pthread_create(&tid, NULL, rec_thread, &t);
    int st;
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    pthread_join(tid, NULL);   /* returns by itself: creator gone */
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.st.records, 100);
    rs_region_cleanup(inst);
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    assert_int_equal(rs_journal_verify(r), 0);
    rs_journal_rewind(r);
    const rs_rec *x;
    int alarms = 0, gap3 = 0, md = 0;
    while (rs_journal_next(r, &x, NULL) > 0) {
        if (x->type == RS_EV_ALARM && ((const rs_ev_alarm *)x)->code == RS_RALARM_ENGINE_DEAD)
            alarms++;
        if (x->type == RS_EV_GAP && ((const rs_ev_gap *)x)->reason == 3) {
            gap3++;
            assert_int_equal(((const rs_ev_gap *)x)->from_seq, 101);
        }
        md += x->stream == RS_STREAM_MD;
    }
    assert_int_equal(alarms, 1);
    assert_int_equal(gap3, 1);
    assert_int_equal(md, 100);
    assert_int_equal(rs_journal_get_status(r)->tail, RS_JTAIL_SEALED);
    rs_journal_close(r);
}

/* ctl.stop with no engine thread running: drain, seal, exit on its own. */
static void test_clean_stop(void **s)
{
    (void)s;
    char inst[64], dir[256];
    snprintf(inst, sizeof inst, "jstop%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/stop", tmp);
    rs_region reg;
    memset(&reg, 0, sizeof reg);
    rs_region_ring_spec spec = {"md", RS_STREAM_MD, 1u << 16, RS_SPSC_F_RECORDER};
    assert_int_equal(rs_region_create(&reg, inst, &spec, 1), 0);
    rs_spsc_prod p;
    rs_spsc_prod_init(&p, rs_region_ring(&reg, RS_STREAM_MD));
    static th t;
    memset(&t, 0, sizeof t);
    t.o.instance = inst;
    t.o.dir = dir;
    t.o.quiet = true;
    pthread_t tid;
    pthread_create(&tid, NULL, rec_thread, &t);
    wait_state(reg.hdr, RS_REC_ATTACHED);
    rs_store_relaxed(&reg.hdr->threads[0].state, 1u);   /* an engine thread still running */
    for (uint64_t i = 1; i <= 10; i++)
        assert_true(produce(&p, i, 64));
    rs_store_release(&reg.hdr->ctl.stop, 1u);
    usleep(50000);
    assert_int_equal(rs_load_acquire(&reg.hdr->ctl.recorder_state), RS_REC_ATTACHED);   /* waits for it */
    rs_store_release(&reg.hdr->threads[0].state, 2u);   /* stopped */
    pthread_join(tid, NULL);
    assert_int_equal(t.rc, 0);
    assert_int_equal(t.st.records, 10);
    assert_int_equal(rs_load_acquire(&reg.hdr->ctl.recorder_state), RS_REC_EXITED);
    rs_region_destroy(&reg);
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    assert_int_equal(rs_journal_verify(r), 0);
    assert_int_equal(rs_journal_get_status(r)->records, 10);   /* no alarm, no gap */
    assert_int_equal(rs_journal_get_status(r)->tail, RS_JTAIL_SEALED);
    rs_journal_close(r);
}

static void test_disk_full_fail_closed(void **s)
{
    (void)s;
    const char *bin = getenv("RINGSIDE");
    if (!bin)
        rs_test_skip("RINGSIDE not set");
    char inst[64], dir[256];
    snprintf(inst, sizeof inst, "jfull%d", (int)getpid());
    snprintf(dir, sizeof dir, "%s/full", tmp);
    rs_region reg;
    memset(&reg, 0, sizeof reg);
    rs_region_ring_spec spec = {"md", RS_STREAM_MD, 1u << 16, RS_SPSC_F_RECORDER};
    assert_int_equal(rs_region_create(&reg, inst, &spec, 1), 0);
    void *ring = rs_region_ring(&reg, RS_STREAM_MD);
    pid_t pid = fork();
    if (pid == 0) {
        /* a "disk" that fills after 2.5 MB: writes past it fail with EFBIG */
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit rl = {2500000, 2500000};
        setrlimit(RLIMIT_FSIZE, &rl);
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        execl(bin, bin, "record", "--instance", inst, "--dir", dir, "--segment-mb", "8", "--io", "write",
              (char *)NULL);
        _exit(127);
    }
    rs_spsc_prod p;
    rs_spsc_cons c;
    rs_spsc_prod_init(&p, ring);
    rs_spsc_cons_init(&c, ring, RS_SPSC_CONSUMER);
    uint64_t seq = 0;
    int64_t dl = rs_mono_ns() + 60000000000ll;
    while (rs_load_acquire(&reg.hdr->ctl.recorder_state) != RS_REC_FAILED && rs_mono_ns() < dl) {
        if (produce(&p, seq + 1, 200))
            seq++;
        while (rs_spsc_poll(&c)) {
        }
        rs_spsc_release(&c);
    }
    int st;
    if (rs_load_acquire(&reg.hdr->ctl.recorder_state) != RS_REC_FAILED) {
        kill(pid, SIGKILL);
        waitpid(pid, &st, 0);
        rs_region_destroy(&reg);
        fail_msg("recorder did not fail on a full disk within 60 s");
    }
    waitpid(pid, &st, 0);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 1);
    assert_int_equal(rs_load_acquire(&reg.hdr->ctl.recorder_state), RS_REC_FAILED);
    assert_int_equal(rs_load_acquire(&reg.hdr->ctl.journal_unhealthy), 1);
    /* the engine is not blocked by the dead journal: the ring still flows */
    for (int i = 0; i < 10000; i++) {
        assert_true(produce(&p, ++seq, 200));
        while (rs_spsc_poll(&c)) {
        }
        rs_spsc_release(&c);
    }
    rs_region_destroy(&reg);
    /* what reached the disk is whole frames: verify passes (no torn tail) */
    rs_journal_reader *r;
    assert_int_equal(rs_journal_open(&r, dir), 0);
    if (rs_journal_verify(r) != 0)
        fail_msg("after disk full: %s", rs_err_msg());
    assert_true(rs_journal_get_status(r)->records > 1000);
    rs_journal_close(r);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test(test_late_attach),
        cmocka_unit_test(test_engine_dies),
        cmocka_unit_test(test_clean_stop),
        cmocka_unit_test(test_disk_full_fail_closed),
    };
    return cmocka_run_group_tests(t, setup, teardown);
}
