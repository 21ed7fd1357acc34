/* The recorder loop: poll every ring with the recorder cursor, append each
 * record to the journal, and give ring space back only once the journal
 * writes holding those records have completed -- so a recorder killed at any
 * instant loses nothing: a restarted one (resume) sees the unreleased records
 * again and skips the ones already on disk by their per-stream seq. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ringside/log.h"
#include "ringside/recorder.h"
#include "ringside/region.h"
#include "ringside/ring.h"
#include "ringside/tsc.h"

#define MAX_MARKS 64
#define ROUND_RECORDS 4096   /* per ring per round: keeps streams interleaved */

/* Idle and batching policy (why: on a small machine the recorder shares
 * cores with the engine's busy threads, so it should wake rarely and then
 * do a lot at once, never spin, and never make one small write per wake-up):
 *   - a round that leaves records in a ring goes straight on;
 *   - once every ring is drained, sleep for as long as the fullest ring, at
 *     the rate it filled since the last round, needs to reach FILL_TARGET of
 *     its capacity, within [SLEEP_MIN, SLEEP_MAX]; with nothing arriving,
 *     the sleep doubles up to SLEEP_MAX;
 *   - the partial batch is submitted when a round finds nothing new, when
 *     records have waited LINGER_NS, when a ring holds more than
 *     PRESSURE_DIV-th of its capacity unreleased, or when the fsync policy
 *     asks -- not after every round, which at high rates made one small
 *     write (a syscall and a kernel write path) per few hundred records.
 * Ring space is still released only up to what the kernel has accepted. */
#define SLEEP_MIN_NS 20000ll
#define SLEEP_MAX_NS 1000000ll
#define FILL_TARGET 8            /* wake when the fullest ring is ~1/8 full */
#define LINGER_NS 1000000ll
#define PRESSURE_DIV 8

typedef struct rring {
    rs_spsc_cons c;
    uint32_t stream;
    uint32_t capacity;
    uint64_t released_pos;    /* ring position released up to */
    bool corrupt_alarmed;
} rring;

typedef struct mark {
    uint64_t gseq;            /* releasable once rs_journal_written >= gseq */
    rs_spsc_point pt[RS_REGION_MAX_RINGS];
} mark;

typedef struct rec_state {
    const rs_recorder_opts *o;
    rs_region reg;
    rs_region_hdr *hdr;
    rs_journal_writer *w;
    rring rings[RS_REGION_MAX_RINGS];
    unsigned n;
    mark marks[MAX_MARKS];
    unsigned m_head, m_count;
    uint64_t next_seq[RS_STREAM_MAX];   /* 0: nothing seen yet */
    uint64_t resume_seq[RS_STREAM_MAX];
    uint64_t own_seq;
    bool hb_alarmed[RS_REGION_MAX_THREADS];
    bool more;                /* last round left records in some ring */
    double fill;              /* largest fraction of a ring taken last round */
    rs_recorder_stats st;
} rec_state;

static void release_written(rec_state *s)
{
    uint64_t written = rs_journal_written(s->w);
    while (s->m_count) {
        mark *m = &s->marks[s->m_head];
        if (m->gseq > written)
            break;
        for (unsigned i = 0; i < s->n; i++) {
            rs_spsc_release_to(&s->rings[i].c, m->pt[i]);
            s->rings[i].released_pos = m->pt[i].pos;
        }
        s->m_head = (s->m_head + 1) % MAX_MARKS;
        s->m_count--;
    }
}

static void push_mark(rec_state *s)
{
    mark *m;
    if (s->m_count == MAX_MARKS) {
        /* Full: fold into the newest mark (only delays its release). */
        m = &s->marks[(s->m_head + s->m_count - 1) % MAX_MARKS];
    } else {
        m = &s->marks[(s->m_head + s->m_count) % MAX_MARKS];
        s->m_count++;
    }
    m->gseq = rs_journal_appended(s->w);
    for (unsigned i = 0; i < s->n; i++)
        m->pt[i] = rs_spsc_mark(&s->rings[i].c);
}

static int own_record(rec_state *s, rs_rec *h, uint32_t len, uint16_t type)
{
    h->len = len;
    h->type = type;
    h->stream = RS_JSTREAM_RECORDER;
    h->seq = ++s->own_seq;
    h->ts = h->ts_local = rs_now_ns();
    return rs_journal_append(s->w, h);
}

static int journal_gap(rec_state *s, uint16_t stream, uint16_t reason, uint64_t from, uint64_t to)
{
    rs_ev_gap g;
    memset(&g, 0, sizeof g);
    g.gap_stream = stream;
    g.reason = reason;
    g.from_seq = from;
    g.to_seq = to;
    s->st.gaps++;
    if (to >= from)
        s->st.lost += to - from + 1;
    const char *sn = rs_stream_name(stream) ? rs_stream_name(stream) : "?";
    if (reason == 3)
        rs_warn("recorder", "stream %s: nothing from seq %llu on: the engine died (journaled)", sn,
                (unsigned long long)from);
    else
        rs_warn("recorder", "stream %s: records %llu..%llu %s", sn, (unsigned long long)from,
                (unsigned long long)to,
                reason == 1 ? "were gone before the recorder attached (journaled as a gap)"
                            : "missing in the ring (sequence gap, journaled)");
    return own_record(s, &g.h, sizeof g, RS_EV_GAP);
}

static int journal_alarm(rec_state *s, uint16_t code, const char *fmt, ...) RS_PRINTF(3, 4);
static int journal_alarm(rec_state *s, uint16_t code, const char *fmt, ...)
{
    rs_ev_alarm a;
    memset(&a, 0, sizeof a);
    a.code = code;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a.text, sizeof a.text, fmt, ap);
    va_end(ap);
    rs_warn("recorder", "alarm: %s", a.text);
    return own_record(s, &a.h, sizeof a, RS_EV_ALARM);
}

/* One record from a ring: sequence check, dedup after resume, append. */
static int take(rec_state *s, rring *rr, const rs_rec *r)
{
    if (RS_UNLIKELY(r->len < sizeof(rs_rec) || r->len > RS_REC_MAX || r->stream >= RS_STREAM_MAX)) {
        s->st.bad++;
        return journal_alarm(s, RS_RALARM_BAD_RECORD, "ring %s: malformed record (len %u type %u stream %u)",
                             rr->c.h->name, r->len, r->type, r->stream);
    }
    uint16_t sid = r->stream;
    uint64_t exp = s->next_seq[sid];
    int rc;
    if (exp == 0) {
        uint64_t done = s->resume_seq[sid];
        if (r->seq <= done) {      /* journaled before a crash, seen again */
            s->st.duplicates++;
            return 0;
        }
        if (r->seq > done + 1 && (rc = journal_gap(s, sid, done ? 2 : 1, done + 1, r->seq - 1)))
            return rc;
    } else if (r->seq < exp) {
        s->st.duplicates++;
        return 0;
    } else if (r->seq > exp && (rc = journal_gap(s, sid, 2, exp, r->seq - 1))) {
        return rc;
    }
    s->next_seq[sid] = r->seq + 1;
    s->st.records++;
    return rs_journal_append(s->w, r);
}

static int set_state(rec_state *s, uint32_t st)
{
    if (s->hdr)
        /* partner: the runtime's acquire load of recorder_state (waits for 2) */
        rs_store_release(&s->hdr->ctl.recorder_state, st);
    return 0;
}

static bool creator_gone(rec_state *s) { return !rs_region_creator_alive(s->hdr); }

/* Clean engine stop: ctl.stop is set and no engine thread is still marked
 * running (so nothing more will be published). */
static bool engine_stopped(rec_state *s)
{
    /* partner: the engine's release store of ctl.stop */
    if (!rs_load_acquire(&s->hdr->ctl.stop))
        return false;
    for (unsigned i = 0; i < RS_REGION_MAX_THREADS; i++)
        if (rs_load_acquire(&s->hdr->threads[i].state) == 1)
            return false;
    return true;
}

static int check_heartbeats(rec_state *s, int64_t now)
{
    int64_t lim = s->o->heartbeat_timeout_ns ? s->o->heartbeat_timeout_ns : 2000000000ll;
    for (unsigned i = 0; i < RS_REGION_MAX_THREADS; i++) {
        rs_region_thread *t = &s->hdr->threads[i];
        if (rs_load_relaxed(&t->state) != 1)
            continue;
        int64_t hb = (int64_t)rs_load_relaxed(&t->heartbeat_ns);
        bool stale = hb && now - hb > lim;
        if (stale && !s->hb_alarmed[i]) {
            int rc = journal_alarm(s, RS_RALARM_HEARTBEAT, "engine thread %.16s: no heartbeat for %lld ms", t->name,
                                   (long long)((now - hb) / 1000000));
            if (rc)
                return rc;
        }
        s->hb_alarmed[i] = stale;
    }
    return 0;
}

/* One pass over every ring. Returns records taken, or a negative error.
 * Not inlined so that callgrind can measure the loop by name
 * (--toggle-collect='round_all*'; bench/callgrind_recorder.sh). */
__attribute__((noinline)) static int64_t round_all(rec_state *s)
{
    int64_t got = 0;
    bool pressure = false, more = false;
    double fill = 0;
    for (unsigned i = 0; i < s->n; i++) {
        rring *rr = &s->rings[i];
        const rs_rec *r;
        unsigned k = 0;
        uint64_t start = rs_spsc_mark(&rr->c).pos;
        while (k < ROUND_RECORDS && (r = rs_spsc_poll(&rr->c))) {
            int rc = take(s, rr, r);
            if (rc)
                return rc;
            k++;
        }
        if (RS_UNLIKELY(rr->c.corrupt && !rr->corrupt_alarmed)) {
            rr->corrupt_alarmed = true;
            int rc = journal_alarm(s, RS_RALARM_RING_CORRUPT, "ring %s: record header failed validation at %llu",
                                   rr->c.h->name, (unsigned long long)rs_spsc_mark(&rr->c).pos);
            if (rc)
                return rc;
        }
        got += k;
        more |= k == ROUND_RECORDS;
        /* what arrived since the last round drained this ring */
        uint64_t pos = rs_spsc_mark(&rr->c).pos;
        double f = (double)(pos - start) / rr->capacity;
        if (f > fill)
            fill = f;
        /* held (polled, unreleased) bytes past 1/PRESSURE_DIV of the ring:
         * push the partial batch out so the producer gets space back well
         * before it could see the ring full */
        if (pos - rr->released_pos > rr->capacity / PRESSURE_DIV)
            pressure = true;
    }
    s->more = more;
    s->fill = fill;
    if (got)
        push_mark(s);
    int rc = rs_journal_poll(s->w, pressure);
    if (rc)
        return rc;
    release_written(s);
    return got;
}

static int attach(rec_state *s)
{
    const rs_recorder_opts *o = s->o;
    int64_t deadline = rs_mono_ns() + o->attach_wait_ns;
    for (;;) {
        int rc = rs_region_attach(&s->reg, o->instance, false);
        if (rc == 0)
            break;
        if (rs_mono_ns() >= deadline || (o->stop && rs_load_relaxed(o->stop)))
            return rc;
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    s->hdr = s->reg.hdr;
    return 0;
}

int rs_recorder_run(const rs_recorder_opts *o)
{
    static rec_state s0;   /* big (marks); one recorder per process */
    rec_state *s = &s0;
    memset(s, 0, sizeof *s);
    s->o = o;
    if (!o->instance)
        return rs_err_set(EINVAL, "recorder: instance is required");
    int rc = attach(s);
    if (rc)
        return rc;
    rs_region_hdr *h = s->hdr;
    /* partner: the runtime reads recorder_pid after seeing the state change */
    rs_store_relaxed(&h->ctl.recorder_pid, (uint32_t)getpid());
    set_state(s, RS_REC_ATTACHING);

    char dir[512];
    if (o->dir)
        snprintf(dir, sizeof dir, "%s", o->dir);
    else if ((rc = rs_journal_default_dir(dir, sizeof dir, o->base_dir, o->instance, rs_now_ns())))
        goto out_fail_early;
    rs_journal_opts jo = {
        .dir = dir, .instance = o->instance, .segment_bytes = o->segment_bytes,
        .fsync_interval_ns = o->fsync_interval_ns, .fsync_bytes = o->fsync_bytes,
        .fsync_on_order = o->fsync_on_order, .batch_bytes = o->batch_bytes, .io = o->io,
        .blobs = o->blobs, .n_blobs = o->n_blobs, .resume = o->resume,
    };
    if ((rc = rs_journal_writer_create(&s->w, &jo)))
        goto out_fail_early;
    snprintf(s->st.dir, sizeof s->st.dir, "%s", dir);
    for (int i = 0; i < RS_STREAM_MAX; i++)
        s->resume_seq[i] = rs_journal_resume_seq(s->w, (uint16_t)i);
    s->own_seq = s->resume_seq[RS_JSTREAM_RECORDER];
    if (o->resume && (rc = journal_alarm(s, RS_RALARM_RESUMED,
                                         "recorder pid %d resumed the journal; unjournaled records are re-read from "
                                         "the rings", (int)getpid())))
        goto out_fail;

    s->n = h->n_rings < RS_REGION_MAX_RINGS ? h->n_rings : RS_REGION_MAX_RINGS;
    for (unsigned i = 0; i < s->n; i++) {
        rring *rr = &s->rings[i];
        void *mem = (uint8_t *)h + h->rings[i].offset;
        rr->stream = h->rings[i].stream;
        rr->capacity = h->rings[i].capacity;
        rs_spsc_cons_init(&rr->c, mem, RS_SPSC_RECORDER);
        rr->released_pos = rs_spsc_mark(&rr->c).pos;
    }
    set_state(s, RS_REC_ATTACHED);
    if (!o->quiet)
        rs_info("recorder", "instance %s: journaling %u rings to %s%s", o->instance, s->n, dir,
                o->resume ? " (resumed)" : "");

    int64_t next_hb = 0, last_round = rs_mono_ns(), unsub_since = 0, sleep_ns = SLEEP_MIN_NS;
    bool unsub_seen = false;
    bool engine_dead = false;
    for (;;) {
        int64_t got = round_all(s);
        if (got < 0) {
            rc = (int)got;
            goto out_fail;
        }
        int64_t now_m = rs_mono_ns();
        int64_t dt = now_m - last_round;
        last_round = now_m;
        if (now_m >= next_hb) {
            next_hb = now_m + 10000000;
            int64_t now = rs_now_ns();
            rs_store_relaxed(&h->ctl.recorder_heartbeat_ns, (uint64_t)now);
            if ((rc = check_heartbeats(s, now)))
                goto out_fail;
            if (!got && creator_gone(s)) {
                engine_dead = true;
                break;
            }
            if (!got && engine_stopped(s))
                break;
        }
        if (o->stop && rs_load_relaxed(o->stop) && !got)
            break;
        if (s->more)
            continue;   /* a ring still holds records: no sleep, no flush */
        /* Every ring is drained. Submit the partial batch if nothing new came
         * in, or if its oldest record has waited LINGER_NS. */
        bool unsub = rs_journal_appended(s->w) > rs_journal_submitted(s->w);
        if (unsub && !unsub_seen)
            unsub_since = now_m;
        unsub_seen = unsub;
        if (unsub && (!got || now_m - unsub_since >= LINGER_NS)) {
            if ((rc = rs_journal_poll(s->w, true)))
                goto out_fail;
            release_written(s);
            unsub_seen = false;
        }
        /* Sleep until the fullest ring is about 1/FILL_TARGET full at the
         * rate it filled since the last round (see the policy above). */
        if (got && s->fill > 0)
            sleep_ns = (int64_t)((double)dt / (FILL_TARGET * s->fill));
        else
            sleep_ns *= 2;
        if (sleep_ns < SLEEP_MIN_NS)
            sleep_ns = SLEEP_MIN_NS;
        if (sleep_ns > SLEEP_MAX_NS)
            sleep_ns = SLEEP_MAX_NS;
        struct timespec ts = {0, (long)sleep_ns};
        nanosleep(&ts, NULL);
    }
    /* drain what is left (a producer may still be committing), then finish */
    while ((rc = (int)round_all(s)) > 0) {
    }
    if (rc < 0)
        goto out_fail;
    if (engine_dead && !rs_load_relaxed(&h->ctl.stop)) {
        if ((rc = journal_alarm(s, RS_RALARM_ENGINE_DEAD, "engine pid %d died without a clean stop",
                                (int)h->creator_pid)))
            goto out_fail;
        for (unsigned i = 0; i < s->n; i++) {
            uint32_t sid = s->rings[i].stream;
            if (sid < RS_STREAM_MAX && (rc = journal_gap(s, (uint16_t)sid, 3, s->next_seq[sid] ? s->next_seq[sid] : 1, 0)))
                goto out_fail;
        }
    }
    if ((rc = rs_journal_writer_close(s->w)))
        goto out_fail;
    release_written(s);
    /* everything polled is sealed on disk now: detaching releases it all */
    for (unsigned i = 0; i < s->n; i++)
        rs_spsc_recorder_detach(&s->rings[i].c);
    s->st.bytes = rs_journal_bytes(s->w);
    s->st.syncs = rs_journal_syncs(s->w);
    if (!o->quiet)
        rs_info("recorder", "instance %s: %llu records, %llu bytes, %llu gaps (%llu records lost) -> %s%s",
                o->instance, (unsigned long long)s->st.records, (unsigned long long)s->st.bytes,
                (unsigned long long)s->st.gaps, (unsigned long long)s->st.lost, dir,
                engine_dead ? " (engine exited)" : "");
    rs_journal_writer_destroy(s->w);
    set_state(s, RS_REC_EXITED);
    if (o->stats)
        *o->stats = s->st;
    rs_region_detach(&s->reg);
    return 0;

out_fail:
    {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rs_err_msg());
        /* fail closed: flag first (the engine stops opening positions),
         * then stop gating the producers so the engine can still act */
        /* partner: the engine's acquire load of journal_unhealthy */
        rs_store_release(&h->ctl.journal_unhealthy, 1u);
        set_state(s, RS_REC_FAILED);
        for (unsigned i = 0; i < s->n; i++)
            rs_spsc_recorder_detach(&s->rings[i].c);
        rs_error("recorder", "instance %s: journal failed, recorder stopped, engine flagged journal-unhealthy: %s",
                 o->instance, msg);
        if (s->w) {
            s->st.bytes = rs_journal_bytes(s->w);
            rs_journal_writer_destroy(s->w);
        }
        if (o->stats)
            *o->stats = s->st;
        rs_region_detach(&s->reg);
        rs_err_set(-rc, "%s", msg);
        return rc;
    }
out_fail_early:
    {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rs_err_msg());
        rs_store_release(&h->ctl.journal_unhealthy, 1u);
        set_state(s, RS_REC_FAILED);
        rs_region_detach(&s->reg);
        rs_err_set(-rc, "%s", msg);
        return rc;
    }
}
