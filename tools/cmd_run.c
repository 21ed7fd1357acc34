/* ringside run -c CONFIG -- start the engine (and, by default, the recorder).
 *
 * Start: load + validate the config, build the stages, create the region,
 * spawn `ringside record` and wait until it holds a cursor on every ring,
 * start the threads. Run: a supervisor loop turns `ringside ctl` commands
 * into control records, watches thread health, the recorder and the clock,
 * and prints progress. Stop (SIGINT/SIGTERM, --duration, `ctl stop`): stop
 * pulling input, drain every ring, let the recorder seal the journal, print
 * the summary, and (--verify) replay-verify the journal.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "exec_session.h"
#include "feed_source.h"
#include "journal_summary.h"
#include "model_reload.h"
#include "pipeline.h"
#include "ringside/journal.h"
#include "ringside/lat_table.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/recorder.h"
#include "ringside/runtime_counters.h"
#include "ringside/tsc.h"
#include "sources.h"

int rs_replay_verify_journal(const char *path, unsigned context, bool quiet);

static const char usage[] =
    "usage: ringside run -c CONFIG [options]\n"
    "  Start the engine: stages on threads per the config, the recorder journaling every ring.\n"
    "options:\n"
    "  -c, --config FILE     configuration (required; `ringside config check FILE` validates it)\n"
    "  --no-recorder         do not spawn the recorder (WARNING: the session cannot be replayed)\n"
    "  --duration SEC        stop after SEC seconds of wall time (default: until SIGINT/SIGTERM)\n"
    "  --clock-speed X       market clock = origin + (wall - origin) * X (accelerated simulator; default 1)\n"
    "  --clock-origin-ms MS  origin of the market clock (with --clock-speed; the simulator gets the same)\n"
    "  --progress SEC        progress line period (default 10; 0 = off)\n"
    "  --verify              after the run, replay-verify the journal and print the verdict\n"
    "  --summary-json FILE   also write the summary as JSON\n"
    "  --recorder-restarts N if the recorder dies, restart it (resuming the journal) up to N times\n"
    "                        (default 3; 0: stay paused with the journal unhealthy)\n"
    "exit: 0 clean stop; 1 failure (message names it); 2 usage\n";

static atomic_int g_stop;
static void on_signal(int s) { (void)s; atomic_store(&g_stop, 1); }

static double wall_s(void) { return (double)rs_mono_ns() / 1e9; }

/* fork + exec `ringside record`, embedding the config and model files */
static pid_t spawn_recorder(const rs_config *cfg, const char *cfg_path, const char *dir, bool resume,
                            const char *lat_blob)
{
    char *argv[64];
    int n = 0;
    static char fsync[128], seg[32];
    argv[n++] = "ringside";
    argv[n++] = "record";
    argv[n++] = "--instance";
    argv[n++] = (char *)cfg->instance;
    argv[n++] = "--dir";
    argv[n++] = (char *)dir;
    argv[n++] = "--config";
    argv[n++] = (char *)cfg_path;
    for (uint32_t i = 0; i < cfg->model.models_count && n < 50; i++) {
        argv[n++] = "--model";
        argv[n++] = (char *)cfg->model.models[i].path;
        const char *cal = cfg->model.models[i].calibration;
        bool seen = false;   /* one calibration file often serves every model */
        for (uint32_t k = 0; k < i; k++)
            seen |= !strcmp(cal, cfg->model.models[k].calibration);
        if (cal[0] && !seen) {
            argv[n++] = "--model";
            argv[n++] = (char *)cal;
        }
    }
    int k = 0;
    if (cfg->recorder.fsync_interval_ms)
        k += snprintf(fsync + k, sizeof fsync - (size_t)k, "interval=%u,", cfg->recorder.fsync_interval_ms);
    if (cfg->recorder.fsync_bytes)
        k += snprintf(fsync + k, sizeof fsync - (size_t)k, "bytes=%llu,", (unsigned long long)cfg->recorder.fsync_bytes);
    if (cfg->recorder.fsync_on_order)
        k += snprintf(fsync + k, sizeof fsync - (size_t)k, "order,");
    if (k == 0)
        snprintf(fsync, sizeof fsync, "none");
    else
        fsync[k - 1] = 0;
    argv[n++] = "--fsync";
    argv[n++] = fsync;
    snprintf(seg, sizeof seg, "%llu", (unsigned long long)(cfg->recorder.segment_bytes >> 20 ? cfg->recorder.segment_bytes >> 20 : 1));
    argv[n++] = "--segment-mb";
    argv[n++] = seg;
    argv[n++] = "--quiet";
    if (lat_blob) {
        argv[n++] = "--blob";
        argv[n++] = (char *)lat_blob;
    }
    if (resume)
        argv[n++] = "--resume";
    argv[n] = NULL;
    pid_t pid = fork();
    if (pid == 0) {
        execv("/proc/self/exe", argv);
        fprintf(stderr, "ringside run: cannot start the recorder: %s\n", strerror(errno));
        _exit(127);
    }
    return pid;
}

static uint64_t dir_size(const char *dir)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "du -sb '%s' 2>/dev/null", dir);
    FILE *f = popen(cmd, "r");
    unsigned long long v = 0;
    if (f) {
        if (fscanf(f, "%llu", &v) != 1)
            v = 0;
        pclose(f);
    }
    return v;
}

int rs_cmd_run(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *cfg_path = NULL, *summary_json = NULL;
    bool no_recorder = false, verify = false;
    double duration = 0, speed = 1.0, progress = 10;
    int rec_restarts = 3;
    int64_t origin_ms = 0;
    for (int i = 1; i < argc; i++) {
        if ((!strcmp(argv[i], "-c") || !strcmp(argv[i], "--config")) && i + 1 < argc) cfg_path = argv[++i];
        else if (!strcmp(argv[i], "--no-recorder")) no_recorder = true;
        else if (!strcmp(argv[i], "--verify")) verify = true;
        else if (!strcmp(argv[i], "--duration") && i + 1 < argc) duration = atof(argv[++i]);
        else if (!strcmp(argv[i], "--clock-speed") && i + 1 < argc) speed = atof(argv[++i]);
        else if (!strcmp(argv[i], "--clock-origin-ms") && i + 1 < argc) origin_ms = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--progress") && i + 1 < argc) progress = atof(argv[++i]);
        else if (!strcmp(argv[i], "--summary-json") && i + 1 < argc) summary_json = argv[++i];
        else if (!strcmp(argv[i], "--recorder-restarts") && i + 1 < argc) rec_restarts = atoi(argv[++i]);
        else return rs_cli_usage_error(usage, "run: unknown option or missing value '%s'", argv[i]);
    }
    if (!cfg_path)
        return rs_cli_usage_error(usage, "run: missing -c CONFIG");
    if (speed <= 0 || duration < 0)
        return rs_cli_usage_error(usage, "run: --clock-speed must be > 0 and --duration >= 0");

    rs_config *cfg = NULL;
    if (rs_config_load(&cfg, cfg_path) != 0) {
        fprintf(stderr, "ringside run: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    rs_log_set_level(cfg->log.level);
    bool recorder = cfg->recorder.enabled && !no_recorder;
    if (!recorder)
        rs_warn("run", "running WITHOUT the recorder: this session will not be journaled and cannot be replayed");
    rs_config *ecfg = cfg;
    ecfg->recorder.enabled = recorder;

    rs_pipeline p;
    if (rs_pipeline_build_opts(&p, cfg, NULL, RS_PIPE_LIVE_IO) != 0) {
        fprintf(stderr, "ringside run: %s\n", rs_err_msg());
        rs_pipeline_destroy(&p);   /* build clears p first: what it built is freed */
        rs_config_destroy(cfg);
        return RS_EXIT_FAIL;
    }
    rs_engine_def d;
    rs_pipeline_engine_def(&p, &d);

    /* sources: the venue connection + timer on the feed's thread */
    rs_vclock clk = {origin_ms ? origin_ms * 1000000ll : rs_now_ns(), speed};
    rs_feed_src *fs = NULL;
    if (rs_feed_src_create(&fs, cfg, p.fa.feed, clk) != 0) {
        fprintf(stderr, "ringside run: feed: %s\n", rs_err_msg());
        rs_pipeline_destroy(&p);
        rs_config_destroy(cfg);
        return RS_EXIT_FAIL;
    }
    d.sources[0] = (rs_source_def){"feed", fs, rs_feed_src_poll, RS_STREAM_RAW};
    d.n_sources = 1;
    for (unsigned t = 0; t < d.n_threads; t++)
        for (unsigned k = 0; k < d.threads[t].n_stages; k++)
            if (d.threads[t].stages[k] == RS_SID_FEED)
                d.threads[t].sources[d.threads[t].n_sources++] = 0;
    /* exec.mode live: the venue session (WS API + REST) on the exec thread */
    rs_exec_session *xs = NULL;
    if (rs_exec_session_attach(&xs, cfg, clk, &p, &d) != 0) {
        fprintf(stderr, "ringside run: exec: %s\n", rs_err_msg());
        rs_feed_src_destroy(fs);
        rs_pipeline_destroy(&p);
        rs_config_destroy(cfg);
        return RS_EXIT_FAIL;
    }

    char jdir[512] = "";
    int64_t start_ns = rs_now_ns();
    if (recorder) {
        rs_journal_default_dir(jdir, sizeof jdir, cfg->recorder.journal_dir, cfg->instance, start_ns);
    }
    rs_engine *e = NULL;
    if (rs_engine_create(&e, &d) != 0) {
        fprintf(stderr, "ringside run: %s\n", rs_err_msg());
        rs_feed_src_destroy(fs);
        rs_pipeline_destroy(&p);
        rs_config_destroy(cfg);
        return RS_EXIT_FAIL;
    }
    rs_region *reg = rs_engine_region(e);
    printf("ringside run: instance %s, %u threads, %u instruments, model %02x%02x%02x%02x..., clock speed %gx\n",
           cfg->instance, d.n_threads, p.u.n, p.model_sha256[0], p.model_sha256[1], p.model_sha256[2],
           p.model_sha256[3], speed);
    char lat_line[512];
    rs_pipeline_latency_describe(&p, lat_line, sizeof lat_line);
    if (lat_line[0])
        printf("ringside run: simulated venue latency %s\n", lat_line);

    /* The simulated venue's measured latencies go into the journal too, so
     * its replay needs neither the latency journal nor the same bytes in it
     * later (pipeline.h: replay uses the embedded copy). */
    char lat_file[512] = "", lat_blob[640] = "";
    if (recorder && p.lat) {
        char *txt = NULL;
        size_t len = 0;
        snprintf(lat_file, sizeof lat_file, "%s/ringside-lat-%d.txt", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
                 (int)getpid());
        FILE *f = rs_lat_table_to_text(p.lat, &txt, &len) == 0 ? fopen(lat_file, "wb") : NULL;
        bool ok = f && fwrite(txt, 1, len, f) == len;
        if (f && fclose(f) != 0)
            ok = false;
        rs_mem_free(txt);
        if (ok)
            snprintf(lat_blob, sizeof lat_blob, "%s=%s", RS_LAT_BLOB_NAME, lat_file);
        else
            rs_warn("run", "cannot write %s: the journal will not embed the latency table (its replay re-measures "
                           "exec.sim.latency_journal)", lat_file);
    }

    pid_t rec_pid = 0;
    int rc = RS_EXIT_OK;
    if (recorder) {
        printf("journal: %s\n", jdir);
        fflush(stdout);
        rec_pid = spawn_recorder(cfg, cfg_path, jdir, false, lat_blob[0] ? lat_blob : NULL);
        double t0 = wall_s();
        /* partner: the recorder's release store of recorder_state */
        while (rs_load_acquire(&reg->hdr->ctl.recorder_state) != RS_REC_ATTACHED) {
            int st;
            if (waitpid(rec_pid, &st, WNOHANG) == rec_pid) {
                fprintf(stderr, "ringside run: the recorder exited before attaching (status %d)\n", WEXITSTATUS(st));
                rec_pid = 0;
                rc = RS_EXIT_FAIL;
                break;
            }
            if (wall_s() - t0 > cfg->recorder.attach_timeout_ms / 1000.0) {
                fprintf(stderr, "ringside run: the recorder did not attach within %u ms\n", cfg->recorder.attach_timeout_ms);
                rc = RS_EXIT_FAIL;
                break;
            }
            struct timespec ts = {0, 5000000};
            nanosleep(&ts, NULL);
        }
    }
    if (rc == RS_EXIT_OK && rs_engine_start(e) != 0) {
        fprintf(stderr, "ringside run: %s\n", rs_err_msg());
        rc = RS_EXIT_FAIL;
    }

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    rs_mreload *mr = NULL;   /* `ctl reload-model`: model hot swap (model_reload.h) */
    if (rc == RS_EXIT_OK && rs_mreload_create(&mr, &p) != 0)
        rc = RS_EXIT_FAIL;
    rs_ctl_src ctl;
    rs_ctl_src_init(&ctl, reg, mr ? rs_mreload_intake(mr) : NULL);
    double t_start = wall_s(), t_prog = t_start;
    const char *why = NULL;
    bool journal_alarm = false;
    /* recorder restart (docs/runtime.md): the rings keep gating on the dead
     * recorder's cursor, so a recorder resumed on the same journal finds
     * every record it had not written still there */
    double restart_at = 0;
    bool rec_waiting = false;
    uint32_t dead_rec = 0;   /* pid of the recorder that died (a hand-started one replaces it) */
    bool hand_rec = false;   /* the recorder now attached is not our child */
    while (rc == RS_EXIT_OK && !atomic_load(&g_stop)) {
        struct timespec ts = {0, 10000000};
        nanosleep(&ts, NULL);
        int64_t now = rs_vclock_map(&clk, rs_now_ns());
        if (rs_ctl_src_poll(&ctl, rs_engine_emitter(e, RS_STREAM_CTL), now) > 0)
            rs_engine_commit(e, RS_STREAM_CTL);
        if (rs_mreload_poll(mr, rs_engine_emitter(e, RS_STREAM_CTL_MODEL), now) > 0)
            rs_engine_commit(e, RS_STREAM_CTL_MODEL);
        rs_mreload_publish(mr, reg->hdr);
        if (rs_load_relaxed(&reg->hdr->ctl.stop))
            break;
        if (!rs_engine_healthy(e, &why)) {
            fprintf(stderr, "ringside run: stopping: %s\n", why);
            rc = RS_EXIT_FAIL;
            break;
        }
        int st = 0;
        bool rec_died = rec_pid ? waitpid(rec_pid, &st, WNOHANG) == rec_pid
                                : hand_rec && kill((pid_t)rs_load_relaxed(&reg->hdr->ctl.recorder_pid), 0) != 0;
        if (rec_died) {
            rec_pid = 0;
            hand_rec = false;
            if (!journal_alarm) {
                journal_alarm = true;
                /* the design's default: stop opening positions, alarm */
                rs_store_relaxed(&reg->hdr->ctl.journal_unhealthy, 1u);
                rs_ev_control *c = (rs_ev_control *)rs_emit_claim(rs_engine_emitter(e, RS_STREAM_CTL),
                                                                  RS_EV_CONTROL, sizeof *c);
                if (c) {
                    c->cmd = RS_CTL_PAUSE;
                    c->sym = 0xffff;
                    snprintf(c->arg, sizeof c->arg, "recorder exited: journal unhealthy");
                    c->h.ts = now;
                    rs_emit_commit(rs_engine_emitter(e, RS_STREAM_CTL), &c->h);
                    rs_engine_commit(e, RS_STREAM_CTL);
                }
                rs_error("run", "ALARM: the recorder exited (status %d): journal unhealthy, trading paused",
                         WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            }
            rec_waiting = false;
            dead_rec = rs_load_relaxed(&reg->hdr->ctl.recorder_pid);
            if (rec_restarts-- > 0)
                restart_at = wall_s() + 0.2;
        }
        if (restart_at > 0 && wall_s() >= restart_at) {
            restart_at = 0;
            /* the dead recorder's state would read as attached */
            rs_store_release(&reg->hdr->ctl.recorder_state, (uint32_t)RS_REC_NONE); /* partner: acquire below */
            rec_pid = spawn_recorder(cfg, cfg_path, jdir, true, lat_blob[0] ? lat_blob : NULL);
            if (rec_pid < 0)
                rec_pid = 0;
            rec_waiting = rec_pid > 0;
            rs_warn("run", "restarting the recorder (pid %d) on %s (resume)", (int)rec_pid, jdir);
        }
        /* our restarted recorder, or `ringside record --resume` started by hand
         * (--recorder-restarts 0), has attached; partner: the recorder's
         * release store of recorder_state */
        uint32_t rp = rs_load_relaxed(&reg->hdr->ctl.recorder_pid);
        if (journal_alarm && !restart_at && rs_load_acquire(&reg->hdr->ctl.recorder_state) == RS_REC_ATTACHED &&
            (rec_waiting ? rp == (uint32_t)rec_pid : !rec_pid && rp && rp != dead_rec && kill((pid_t)rp, 0) == 0)) {
            hand_rec = !rec_waiting;
            rec_waiting = false;
            journal_alarm = false;
            rs_store_release(&reg->hdr->ctl.journal_unhealthy, 0u);
            rs_warn("run", "the recorder (pid %u) resumed the journal: journal healthy again; trading stays paused "
                           "until `ringside ctl resume`", rp);
        }
        /* engine-wide counters for `ringside top` (relaxed: monitoring only) */
        rs_atomic_u64 *cn = reg->hdr->counters;
        rs_store_relaxed(&cn[RS_CNT_MD_EVENTS], rs_engine_stream_published(e, RS_STREAM_MD));
        rs_store_relaxed(&cn[RS_CNT_BARS], rs_engine_stream_published(e, RS_STREAM_BAR_G));
        rs_store_relaxed(&cn[RS_CNT_RECORDER_LAG], rs_engine_recorder_lag(e));
        double w = wall_s();
        if (progress > 0 && w - t_prog >= progress) {
            t_prog = w;
            int64_t mk = rs_vclock_map(&clk, rs_now_ns());
            time_t mt = (time_t)(mk / 1000000000);
            struct tm tm;
            gmtime_r(&mt, &tm);
            printf("[%5.0fs] market %02d:%02d  frames %" PRIu64 " (dropped %" PRIu64 ")  bars %" PRIu64
                   "  model in %" PRIu64 "  gate in %" PRIu64 "  exec in %" PRIu64 "  journal lag %" PRIu64 "\n",
                   w - t_start, tm.tm_hour, tm.tm_min, fs->frames, fs->dropped,
                   rs_engine_stream_published(e, RS_STREAM_BAR_G), rs_engine_stage_events(e, RS_SID_MODEL),
                   rs_engine_stage_events(e, RS_SID_GATE), rs_engine_stage_events(e, RS_SID_EXEC),
                   rs_engine_recorder_lag(e));
            fflush(stdout);
        }
        if (duration > 0 && w - t_start >= duration)
            break;
    }
    printf("ringside run: stopping (draining rings)\n");
    fflush(stdout);
    rs_engine_stop(e);
    double ran = wall_s() - t_start;
    if (rec_pid) {
        /* the recorder drains what is left, seals the journal and exits */
        kill(rec_pid, SIGTERM);
        int st;
        waitpid(rec_pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "ringside run: the recorder failed (status %d)\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            rc = RS_EXIT_FAIL;
        }
    } else if (hand_rec) {
        /* not our child: it drains, seals and exits by itself once it sees a
         * clean stop; wait for that before reading the journal */
        rs_store_release(&reg->hdr->ctl.stop, 1u); /* partner: the recorder's acquire in engine_stopped */
        for (int i = 0; i < 3000 && rs_load_acquire(&reg->hdr->ctl.recorder_state) == RS_REC_ATTACHED; i++) {
            struct timespec ts = {0, 10000000};
            nanosleep(&ts, NULL);
        }
    }

    /* summary */
    printf("\n== summary (%.1f s wall)\n", ran);
    printf("frames received %" PRIu64 " (%" PRIu64 " bytes), dropped %" PRIu64 ", oversize %" PRIu64
           ", connections opened %" PRIu64 " closed %" PRIu64 ", without a kernel receive stamp %" PRIu64 "\n",
           fs->frames, fs->bytes, fs->dropped, fs->too_large, fs->opens, fs->closes, fs->unstamped);
    if (xs) {
        char line[512];
        rs_exec_session_summary(xs, line, sizeof line);
        printf("%s\n", line);
    }
    if (lat_line[0])
        printf("simulated venue latency: %s\n", lat_line);
    static const char *snames[RS_SID_MAX] = {"feed", "features", "model", "gate", "exec"};
    printf("%-9s %12s %10s %10s %10s %10s\n", "stage", "events", "p50 ns", "p99 ns", "p99.9 ns", "max ns");
    for (unsigned s = 0; s < RS_SID_MAX; s++) {
        const rs_hist *h = rs_engine_stage_latency(e, s);
        printf("%-9s %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", snames[s],
               rs_engine_stage_events(e, s), h ? rs_hist_pct(h, 50) : 0, h ? rs_hist_pct(h, 99) : 0,
               h ? rs_hist_pct(h, 99.9) : 0, h ? h->max : 0);
    }
    printf("(stage latency: from the input record's publication -- the kernel receive stamp for network\n"
           " frames -- to the end of its handler, so it includes queueing in the ring)\n");
    const rs_hist *t2o = rs_engine_t2o_latency(e);
    if (t2o && t2o->count)
        printf("%-9s %12" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 " %10" PRIu64 "\n", "t2o", t2o->count,
               rs_hist_pct(t2o, 50), rs_hist_pct(t2o, 99), rs_hist_pct(t2o, 99.9), t2o->max);
    else
        printf("%-9s %12s\n", "t2o", "0");
    printf("(t2o, tick-to-order: from a decoded trade's ts_local to each new order record it caused, traced\n"
           " by the runtime beside the rings; the journal's per-record ts_local gives the same hops offline)\n");
    rs_jsummary sum;
    rs_jsummary_init(&sum);
    if (recorder) {
        if (rs_jsummary_read(jdir, &sum) != 0)
            fprintf(stderr, "ringside run: cannot read the journal %s: %s\n", jdir, rs_err_msg());
        printf("\nevents per type:");
        int col = 0;
        for (unsigned t = 1; t < RS_EV_TYPE_MAX; t++)
            if (sum.per_type[t])
                printf("%s %s=%" PRIu64, col++ % 6 ? "," : "\n ", rs_ev_type_name(t), sum.per_type[t]);
        /* "orders" are new orders: order records also carry cancels and
         * the reconciliation's status queries, which are not orders sent */
        printf("\nbars %" PRIu64 ", predictions %" PRIu64 ", decisions %" PRIu64 ", intents %" PRIu64 ", orders %" PRIu64
               " (order records %" PRIu64 " incl. cancels and queries), fills %" PRIu64 ", rejects %" PRIu64
               ", risk events %" PRIu64 "\n",
               sum.per_type[RS_EV_BAR], sum.per_type[RS_EV_PREDICTION], sum.per_type[RS_EV_DECISION],
               sum.per_type[RS_EV_INTENT], sum.new_orders, sum.per_type[RS_EV_ORDER], sum.fills, sum.rejects,
               sum.per_type[RS_EV_RISK]);
        printf("decisions by reason (first failing gate):");
        for (unsigned g = 0; g < 32; g++)
            if (sum.decisions_by_reason[g])
                printf(" %s=%" PRIu64, rs_jsummary_reason_name(g), sum.decisions_by_reason[g]);
        printf("\nPnL (realised + unrealised, from the last position records) %.2f, fees %.2f\n", sum.pnl, sum.fees);
        printf("journal %s: %" PRIu64 " records, %.1f MiB on disk\n", jdir, sum.records,
               (double)dir_size(jdir) / (1024.0 * 1024.0));
    }
    if (summary_json) {
        FILE *f = fopen(summary_json, "w");
        if (f) {
            fprintf(f, "{\"journal\":\"%s\",\"records\":%" PRIu64 ",\"bars\":%" PRIu64 ",\"predictions\":%" PRIu64
                       ",\"decisions\":%" PRIu64 ",\"orders\":%" PRIu64 ",\"fills\":%" PRIu64 ",\"pnl\":%.6f"
                       ",\"t2o_count\":%" PRIu64 ",\"t2o_p50_ns\":%" PRIu64 ",\"t2o_p99_ns\":%" PRIu64 "}\n",
                    jdir, sum.records, sum.per_type[RS_EV_BAR], sum.per_type[RS_EV_PREDICTION],
                    sum.per_type[RS_EV_DECISION], sum.per_type[RS_EV_ORDER], sum.fills, sum.pnl,
                    t2o ? t2o->count : 0, t2o ? rs_hist_pct(t2o, 50) : 0, t2o ? rs_hist_pct(t2o, 99) : 0);
            fclose(f);
        }
    }
    if (mr) {
        rs_mreload_stats ms;
        rs_mreload_get_stats(mr, &ms);
        if (ms.requests) {
            char hex[65];
            rs_sha256_hex(ms.active_sha256, hex);
            printf("model reloads: %" PRIu64 " requested, %" PRIu64 " applied, %" PRIu64 " refused; model in use %.16s\n",
                   ms.requests, ms.swaps, ms.refused, hex);
        }
        rs_mreload_destroy(mr);
    }
    rs_engine_destroy(e);
    rs_feed_src_destroy(fs);
    rs_exec_session_destroy(xs);
    rs_pipeline_destroy(&p);
    if (verify && recorder && rc == RS_EXIT_OK) {
        printf("\n== replay verification\n");
        fflush(stdout);
        rc = rs_replay_verify_journal(jdir, 5, false);
    }
    rs_config_destroy(cfg);
    if (lat_file[0])
        unlink(lat_file);
    return rc;
}
