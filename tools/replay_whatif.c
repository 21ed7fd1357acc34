/* ringside replay JOURNAL --what-if (see replay_whatif.h, docs/replay.md).
 *
 * Why the model files go through a private directory even when they are on
 * disk already: the stages must load exactly the bytes that get embedded in
 * the new journal (a file could change between reading and loading), and a
 * later `replay --verify` of that journal loads the embedded copies by the
 * same config paths, so both runs resolve paths the same way.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "journal_load.h"
#include "journal_summary.h"
#include "pipeline.h"
#include "replay_whatif.h"
#include "ringside/file.h"
#include "ringside/journal.h"
#include "ringside/lat_table.h"
#include "ringside/mem.h"
#include "ringside/tsc.h"
#include "ringside/whatif.h"

const char rs_replay_whatif_usage[] =
    "usage: ringside replay JOURNAL --what-if [-c CONFIG] [model options] [--out DIR] [options]\n"
    "  Backtest on a recorded session: the journal's market data (raw frames, timers, connection\n"
    "  events) and operator control records go through the five stages rebuilt from CONFIG (default:\n"
    "  the journal's embedded config) and the given model files, run single-threaded in a fixed order\n"
    "  (after each input every downstream stage runs until nothing is queued), with the simulated\n"
    "  venue (exec.sim.*) in place of the recorded venue. The outputs go to a NEW journal, with the\n"
    "  config and model files embedded (`replay NEW --verify` reproduces it), and a side-by-side\n"
    "  summary of the two sessions is printed.\n"
    "  -c CONFIG             config for the stages (model paths in it: read from disk)\n"
    "  --model-dir DIR       read every model/calibration path P of the config from DIR/P, or else\n"
    "                        DIR/basename(P)\n"
    "  --model NAME=FILE     read the model of the config's model entry NAME (e.g. h1) from FILE\n"
    "  --calibration NAME=FILE  read entry NAME's calibration file from FILE\n"
    "                        (without -c, paths not overridden come from the journal's embedded copies)\n"
    "  --out DIR             new journal (default: JOURNAL-whatif-<config name, or 'embedded'>)\n"
    "  --force               replace the journal already in --out (never the source journal)\n"
    "  --summary-json FILE   write both summaries as JSON (keys: docs/replay.md)\n"
    "  --verify              then replay-verify the new journal (0 divergences expected)\n"
    "  --progress SEC        progress line on stderr every SEC seconds (default 2; 0 = off)\n"
    "  --quiet               only the summary table and errors\n"
    "  --latency-from-journal  the simulated venue answers with the latencies measured in JOURNAL\n"
    "                        (order -> venue answer and -> first fill, per order: docs/exec.md) instead of\n"
    "                        exec.sim.latency_* of CONFIG; refused when JOURNAL has none\n"
    "  --latency-model table|sequence  with --latency-from-journal: draw from the measured distribution\n"
    "                        with the venue's seeded PRNG (table, default) or replay them in order (sequence)\n"
    "exit: 0 done (with --verify: and 0 divergences); 1 failure (message names it); 2 usage\n";

#define WI_MAX_FILES (RS_JBLOB_MAX - 1)
#define WI_MAX_OVR 16

typedef struct wi_ovr {
    const char *name;   /* model entry name */
    const char *file;
    bool calib;
    bool used;
} wi_ovr;

typedef struct wi_opts {
    const char *src, *cfg, *model_dir, *out, *summary_json;
    wi_ovr ovr[WI_MAX_OVR];
    unsigned n_ovr;
    bool force, verify, quiet, lat_from_journal;
    int32_t lat_model;           /* RS_LAT_TABLE / RS_LAT_SEQUENCE, 0: not given */
    double progress;
} wi_opts;

/* One model or calibration file of the config: the config path (also the
 * blob name in the new journal) and where its bytes came from. */
typedef struct wi_file {
    char path[RS_CFG_PATH_MAX];
    char src[PATH_MAX];
    char shown[PATH_MAX];        /* src as printed (embedded copies: "embedded:PATH") */
    char how[64];
    uint8_t *data;
    size_t size;
} wi_file;

typedef struct wi_sink {
    rs_journal_writer *w;
    rs_jsummary *sum;
    uint64_t since_poll;
} wi_sink;

static double mono_s(void) { return (double)rs_mono_ns() / 1e9; }

/* CPU time of this process: on a shared, loaded machine wall-clock rates
 * say more about the neighbours than about the replay. */
static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static bool is_file(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* Where the bytes of config path `path` (of entry `name`, model or
 * calibration) come from: an override, --model-dir, the journal's embedded
 * copy (no -c), or the path itself. */
static int resolve(wi_opts *o, const rs_jload *j, const char *name, const char *path, bool calib, wi_file *f)
{
    for (unsigned i = 0; i < o->n_ovr; i++)
        if (o->ovr[i].calib == calib && !strcmp(o->ovr[i].name, name)) {
            o->ovr[i].used = true;
            snprintf(f->src, sizeof f->src, "%s", o->ovr[i].file);
            snprintf(f->how, sizeof f->how, "--%s %s", calib ? "calibration" : "model", name);
            return 0;
        }
    if (o->model_dir) {
        snprintf(f->src, sizeof f->src, "%s/%s", o->model_dir, path);
        if (!is_file(f->src)) {
            const char *base = strrchr(path, '/');
            snprintf(f->src, sizeof f->src, "%s/%s", o->model_dir, base ? base + 1 : path);
        }
        if (!is_file(f->src))
            return rs_err_set(ENOENT, "model entry %s: %s file %s is neither %s/%s nor %s", name,
                              calib ? "calibration" : "model", path, o->model_dir, path, f->src);
        snprintf(f->how, sizeof f->how, "--model-dir");
        return 0;
    }
    if (!o->cfg) {
        snprintf(f->src, sizeof f->src, "%s/%s", j->model_dir, path[0] == '/' ? path + 1 : path);
        snprintf(f->how, sizeof f->how, "embedded in the journal");
        snprintf(f->shown, sizeof f->shown, "embedded:%s", path);
        if (!is_file(f->src))
            return rs_err_set(ENOENT, "model entry %s: the journal has no embedded copy of %s (give --model-dir "
                                      "or --%s %s=FILE)", name, path, calib ? "calibration" : "model", name);
        return 0;
    }
    snprintf(f->src, sizeof f->src, "%s", path);
    snprintf(f->how, sizeof f->how, path[0] == '/' ? "config path" : "config path, relative to the current directory");
    return 0;
}

/* Collect the config's model and calibration files (one per distinct config
 * path) and read them. */
static int collect_files(wi_opts *o, const rs_jload *j, const rs_config *cfg, wi_file *files, unsigned *nf)
{
    *nf = 0;
    for (uint32_t i = 0; i < cfg->model.models_count; i++) {
        const rs_cfg_model_entry *m = &cfg->model.models[i];
        for (int c = 0; c < 2; c++) {
            const char *path = c ? m->calibration : m->path;
            if (!path[0])
                continue;
            if (strstr(path, ".."))
                return rs_err_set(RS_EBADCFG, "model entry %s: path %s contains '..'", m->name, path);
            wi_file f;
            memset(&f, 0, sizeof f);
            snprintf(f.path, sizeof f.path, "%s", path);
            int rc = resolve(o, j, m->name, path, c == 1, &f);
            if (rc)
                return rc;
            unsigned k = 0;
            while (k < *nf && strcmp(files[k].path, path))
                k++;
            if (k < *nf) {
                /* one calibration file often serves every entry: fine when
                 * every entry reads it from the same place */
                if (strcmp(files[k].src, f.src))
                    return rs_err_set(EINVAL, "config path %s is shared by several model entries but would be read "
                                              "from both %s and %s: give every entry that uses it the same file",
                                      path, files[k].src, f.src);
                continue;
            }
            if (*nf == WI_MAX_FILES)
                return rs_err_set(EINVAL, "more than %d model/calibration files (a journal embeds at most %d files)",
                                  WI_MAX_FILES, RS_JBLOB_MAX);
            if (!f.shown[0])
                snprintf(f.shown, sizeof f.shown, "%s", f.src);
            rc = rs_file_read_all(f.src, c ? "calibration" : "model", 0, 0, &f.data, &f.size);
            if (rc)
                return rs_err_set(-rc, "model entry %s: cannot read %s file %s (%s): %s", m->name,
                                  c ? "calibration" : "model", f.src, f.how, strerror(-rc));
            files[(*nf)++] = f;
        }
    }
    for (unsigned i = 0; i < o->n_ovr; i++)
        if (!o->ovr[i].used)
            return rs_err_set(EINVAL, "--%s %s=...: the config has no model entry named %s%s",
                              o->ovr[i].calib ? "calibration" : "model", o->ovr[i].name, o->ovr[i].name,
                              o->ovr[i].calib ? " with a calibration" : "");
    return 0;
}

/* Write the files into dir at their config paths (what the pipeline reads). */
static int stage_files(const char *dir, const wi_file *files, unsigned nf)
{
    for (unsigned i = 0; i < nf; i++) {
        char p[PATH_MAX];
        if ((size_t)snprintf(p, sizeof p, "%s/%s", dir, files[i].path[0] == '/' ? files[i].path + 1 : files[i].path) >=
            sizeof p)
            return rs_err_set(ENAMETOOLONG, "path too long: %s/%s", dir, files[i].path);
        int rc = rs_file_write_all(p, files[i].data, files[i].size, RS_FILE_MKDIRS);
        if (rc)
            return rc;
    }
    return 0;
}

/* No -c: the source's embedded latency table (a what-if journal's) goes
 * with its embedded config, so the what-if runs with the journal's own
 * simulated venue. */
static int stage_lat_blob(const rs_jload *j, const char *dir)
{
    char src[PATH_MAX];
    if ((size_t)snprintf(src, sizeof src, "%s/%s", j->model_dir, RS_LAT_BLOB_NAME) >= sizeof src || !is_file(src))
        return 0;
    wi_file f;
    memset(&f, 0, sizeof f);
    snprintf(f.path, sizeof f.path, "%s", RS_LAT_BLOB_NAME);
    int rc = rs_file_read_all(src, "latency table", 0, 0, &f.data, &f.size);
    if (rc)
        return rc;
    rc = stage_files(dir, &f, 1);
    rs_mem_free(f.data);
    return rc;
}

static void rm_tree(const char *dir)
{
    if (!dir[0] || dir[0] != '/' || strchr(dir, '\''))
        return;
    char cmd[PATH_MAX + 32];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "ringside replay: could not remove %s\n", dir);
}

/* Check --out: refuse the source itself; refuse an existing journal unless
 * --force. With `remove` (just before writing, so a what-if that fails
 * earlier leaves the old journal alone), --force deletes its segment files
 * (and nothing else). */
static int prepare_out(const char *out, const char *src, bool force, bool remove)
{
    char ro[PATH_MAX], rsrc[PATH_MAX];
    if (realpath(out, ro) && realpath(src, rsrc) && !strcmp(ro, rsrc))
        return rs_err_set(EEXIST, "--out %s is the source journal: a what-if never writes into its source", out);
    DIR *d = opendir(out);
    if (!d)
        return errno == ENOENT ? 0 : rs_err_set(errno, "--out %s: %s", out, strerror(errno));
    struct dirent *de;
    unsigned segs = 0, removed = 0;
    int rc = 0;
    while ((de = readdir(d))) {
        size_t n = strlen(de->d_name);
        if (n < 5 || strncmp(de->d_name, "seg-", 4) || strcmp(de->d_name + n - 4, ".rsj"))
            continue;
        segs++;
        if (force && remove) {
            char p[PATH_MAX];
            if ((size_t)snprintf(p, sizeof p, "%s/%s", out, de->d_name) >= sizeof p)
                continue;
            if (unlink(p) == 0)
                removed++;
            else if (!rc)
                rc = rs_err_set(errno, "--force: cannot remove %s: %s", p, strerror(errno));
        }
    }
    closedir(d);
    if (rc)
        return rc;
    if (segs && !force)
        return rs_err_set(EEXIST, "--out %s already holds a journal (%u segment file%s): refusing to overwrite it "
                                  "(give another --out, or --force to replace it)",
                          out, segs, segs == 1 ? "" : "s");
    if (removed)
        fprintf(stderr, "ringside replay: --force: removed the %u segment file%s of the journal in %s\n", removed,
                removed == 1 ? "" : "s", out);
    return 0;
}

static int sink_fn(void *ctx, const rs_rec *r)
{
    wi_sink *s = ctx;
    rs_jsummary_add(s->sum, r);
    int rc = rs_journal_append(s->w, r);
    if (rc)
        return rc;
    /* reap finished writes now and then so buffers come back */
    if (++s->since_poll >= 4096) {
        s->since_poll = 0;
        return rs_journal_poll(s->w, false);
    }
    return 0;
}

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

typedef struct wi_counts {
    uint64_t inputs, inputs_by_stream[RS_STREAM_MAX], venue_dropped, swaps_dropped, other;
    double seconds, cpu_seconds;
} wi_counts;

static int write_json(const char *path, const wi_opts *o, const char *out, const char *cfg_name, const wi_file *files,
                      unsigned nf, const rs_jsummary *a, const rs_jsummary *b, const wi_counts *c,
                      const rs_pipeline *p)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return rs_err_set(errno, "--summary-json %s: %s", path, strerror(errno));
    fputs("{\"source_journal\":", f);
    json_str(f, o->src);
    fputs(",\"journal\":", f);
    json_str(f, out);
    fputs(",\"config\":", f);
    json_str(f, cfg_name);
    fputs(",\"models\":{", f);
    for (unsigned i = 0; i < nf; i++) {
        fputs(i ? "," : "", f);
        json_str(f, files[i].path);
        fputc(':', f);
        json_str(f, files[i].shown);
    }
    fprintf(f, "},\"inputs\":%" PRIu64 ",\"venue_records_dropped\":%" PRIu64 ",\"model_swaps_dropped\":%" PRIu64
               ",\"seconds\":%.3f,\"cpu_seconds\":%.3f,\"events_per_s\":%.0f",
            c->inputs, c->venue_dropped, c->swaps_dropped, c->seconds, c->cpu_seconds,
            c->seconds > 0 ? (double)c->inputs / c->seconds : 0.0);
    /* the what-if's headline figures also at top level, for scripts */
    fprintf(f, ",\"pnl\":%.6f,\"fees\":%.6f,\"fills\":%" PRIu64 ",\"trades\":%" PRIu64 ",\"orders\":%" PRIu64
               ",\"decisions\":%" PRIu64,
            b->pnl, b->fees, b->fills, b->trades, b->per_type[RS_EV_ORDER], b->per_type[RS_EV_DECISION]);
    /* the simulated venue's latency model */
    const rs_cfg_sim *sim = &p->cfg->exec.sim;
    if (p->lat) {
        const rs_lat_table *t = p->lat;
        fprintf(f, ",\"latency\":{\"model\":\"%s\",\"samples\":%u,\"ack_p50_us\":%.3f,\"ack_p99_us\":%.3f,"
                   "\"fill_samples\":%u,\"fill_p50_us\":%.3f,\"fill_p99_us\":%.3f,\"source\":",
                t->model == RS_LAT_SEQUENCE ? "sequence" : "table", t->n, (double)t->ack_p50_ns / 1e3,
                (double)t->ack_p99_ns / 1e3, t->n_fill, (double)t->fill_p50_ns / 1e3, (double)t->fill_p99_ns / 1e3);
        json_str(f, t->source);
        fputc('}', f);
    } else if (sim->latency_model == RS_LAT_UNIFORM) {
        fprintf(f, ",\"latency\":{\"model\":\"uniform\",\"min_us\":%.3f,\"max_us\":%.3f}", sim->latency_min_us,
                sim->latency_max_us);
    } else {
        fprintf(f, ",\"latency\":{\"model\":\"constant\",\"us\":%.3f}", sim->latency_us);
    }
    fputs(",\"source\":", f);
    rs_jsummary_write_json(f, a);
    fputs(",\"whatif\":", f);
    rs_jsummary_write_json(f, b);
    fputs("}\n", f);
    if (fclose(f))
        return rs_err_set(EIO, "--summary-json %s: write failed", path);
    return 0;
}

static int parse_ovr(wi_opts *o, const char *arg, bool calib, const char *usage)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1])
        return rs_cli_usage_error(usage, "replay: --%s wants NAME=FILE (e.g. h1=models/h1.json), got '%s'",
                                  calib ? "calibration" : "model", arg);
    if (o->n_ovr == WI_MAX_OVR)
        return rs_cli_usage_error(usage, "replay: at most %d --model/--calibration overrides", WI_MAX_OVR);
    static char names[WI_MAX_OVR][64];
    size_t n = (size_t)(eq - arg) < sizeof names[0] - 1 ? (size_t)(eq - arg) : sizeof names[0] - 1;
    memcpy(names[o->n_ovr], arg, n);
    names[o->n_ovr][n] = 0;
    for (unsigned i = 0; i < o->n_ovr; i++)
        if (o->ovr[i].calib == calib && !strcmp(o->ovr[i].name, names[o->n_ovr]))
            return rs_cli_usage_error(usage, "replay: --%s %s given twice", calib ? "calibration" : "model",
                                      names[o->n_ovr]);
    o->ovr[o->n_ovr] = (wi_ovr){names[o->n_ovr], eq + 1, calib, false};
    o->n_ovr++;
    return 0;
}

static int run_whatif(wi_opts *o);

int rs_replay_whatif_cmd(int argc, char **argv, const char *usage)
{
    wi_opts o;
    memset(&o, 0, sizeof o);
    o.progress = 2;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has = i + 1 < argc;
        int rc = 0;
        if (!strcmp(a, "--what-if")) continue;
        else if ((!strcmp(a, "-c") || !strcmp(a, "--config")) && has) o.cfg = argv[++i];
        else if (!strcmp(a, "--model-dir") && has) o.model_dir = argv[++i];
        else if (!strcmp(a, "--model") && has) rc = parse_ovr(&o, argv[++i], false, usage);
        else if (!strcmp(a, "--calibration") && has) rc = parse_ovr(&o, argv[++i], true, usage);
        else if (!strcmp(a, "--out") && has) o.out = argv[++i];
        else if (!strcmp(a, "--summary-json") && has) o.summary_json = argv[++i];
        else if (!strcmp(a, "--progress") && has) o.progress = atof(argv[++i]);
        else if (!strcmp(a, "--force")) o.force = true;
        else if (!strcmp(a, "--verify")) o.verify = true;
        else if (!strcmp(a, "--quiet")) o.quiet = true;
        else if (!strcmp(a, "--latency-from-journal")) o.lat_from_journal = true;
        else if (!strcmp(a, "--latency-model") && has) {
            const char *m = argv[++i];
            if (!strcmp(m, "table")) o.lat_model = RS_LAT_TABLE;
            else if (!strcmp(m, "sequence")) o.lat_model = RS_LAT_SEQUENCE;
            else return rs_cli_usage_error(usage, "replay: --latency-model wants table or sequence, got '%s'", m);
        }
        else if (a[0] == '-')
            return rs_cli_usage_error(usage, "replay --what-if: unknown option or missing value '%s'", a);
        else if (!o.src) o.src = a;
        else return rs_cli_usage_error(usage, "replay: unexpected argument '%s'", a);
        if (rc)
            return rc;
    }
    if (!o.src)
        return rs_cli_usage_error(usage, "replay: missing JOURNAL");
    if (o.progress < 0)
        return rs_cli_usage_error(usage, "replay: --progress must be >= 0");
    if (o.lat_model && !o.lat_from_journal)
        return rs_cli_usage_error(usage, "replay: --latency-model goes with --latency-from-journal");
    return run_whatif(&o);
}

static int fail(const char *what)
{
    fprintf(stderr, "ringside replay --what-if: %s%s%s\n", what ? what : "", what ? ": " : "", rs_err_msg());
    return RS_EXIT_FAIL;
}

static int run_whatif(wi_opts *o)
{
    int ret = RS_EXIT_FAIL;
    rs_jload j;
    rs_config *own_cfg = NULL;
    rs_pipeline p;
    bool have_p = false;
    wi_file files[WI_MAX_FILES];
    unsigned nf = 0;
    char tmpdir[PATH_MAX] = "";
    rs_journal_writer *w = NULL;
    void *wmem = NULL;
    rs_jsummary *sa = NULL, *sb = NULL;
    char out[PATH_MAX];
    char *lat_text = NULL;
    size_t lat_len = 0;
    char lat_line[512];
    memset(&p, 0, sizeof p);
    memset(&j, 0, sizeof j);   /* rs_jload_close is safe on it from here */

    /* the new journal: refused early, before any work */
    if (o->out) {
        if ((size_t)snprintf(out, sizeof out, "%s", o->out) >= sizeof out) {
            rs_err_set(ENAMETOOLONG, "--out: path too long");
            fail(NULL);
            goto done;
        }
    } else {
        char src[PATH_MAX], tag[64];
        snprintf(src, sizeof src, "%s", o->src);
        for (size_t n = strlen(src); n > 1 && src[n - 1] == '/'; n--)
            src[n - 1] = 0;
        if (o->cfg) {
            const char *b = strrchr(o->cfg, '/');
            snprintf(tag, sizeof tag, "%s", b ? b + 1 : o->cfg);
            char *dot = strrchr(tag, '.');
            if (dot && dot != tag)
                *dot = 0;
        } else
            snprintf(tag, sizeof tag, "embedded");
        if ((size_t)snprintf(out, sizeof out, "%s-whatif-%s", src, tag) >= sizeof out) {
            rs_err_set(ENAMETOOLONG, "%s: path too long for the default --out; give --out", o->src);
            fail(NULL);
            goto done;
        }
    }
    if (prepare_out(out, o->src, o->force, false) != 0) {
        fail(NULL);
        goto done;
    }

    if (o->cfg && rs_config_load(&own_cfg, o->cfg) != 0) {
        fail("the config");
        goto done;
    }

    /* the source */
    if (rs_jload_open(&j, o->src) != 0) {
        fail(o->src);
        goto done;
    }
    const rs_journal_status *jst = rs_journal_get_status(j.r);
    if (j.n == 0) {
        fprintf(stderr, "ringside replay --what-if: %s: the journal has no records\n", o->src);
        goto done;
    }
    if (jst->tail == RS_JTAIL_TORN || jst->tail == RS_JTAIL_CORRUPT)
        fprintf(stderr, "ringside replay --what-if: WARNING: %s ends at a %s frame (%s, %s offset %" PRIu64
                        "): replaying the %zu good records before it\n",
                o->src, rs_jtail_name(jst->tail), jst->reason, jst->bad_file, jst->bad_offset, j.n);
    if (jst->lost)
        fprintf(stderr, "ringside replay --what-if: WARNING: %s lost %" PRIu64 " records in gaps: the what-if sees "
                        "the same holes\n", o->src, jst->lost);

    /* the config */
    const rs_config *cfg = j.cfg;
    const char *cfg_name = "(embedded config)";
    const rs_journal_blob *cb = rs_journal_blob_find(j.r, RS_JBLOB_CONFIG);
    if (cb && cb->name && cb->name[0])
        cfg_name = cb->name;
    if (own_cfg) {
        cfg = own_cfg;
        cfg_name = o->cfg;
    }
    if (cfg->exec.mode != RS_EXEC_PAPER) {
        rs_err_set(RS_EBADCFG, "%s: exec.mode is not paper: a what-if always runs the simulated venue; give -c with "
                               "exec.mode: paper", cfg_name);
        fail("the config");
        goto done;
    }
    if (!cfg->raw || !cfg->raw_len) {
        rs_err_set(RS_EBADCFG, "%s: no config bytes to embed", cfg_name);
        fail("the config");
        goto done;
    }
    if (o->lat_from_journal) {
        /* the pipeline measures the source journal (and refuses it, naming
         * it, when it has no measurable latencies); the table it used goes
         * into the new journal (RS_LAT_BLOB_NAME), which is what a verify of
         * that journal reads -- its embedded config bytes stay CONFIG's */
        rs_config *mc = own_cfg ? own_cfg : j.cfg;
        if (strlen(o->src) >= sizeof mc->exec.sim.latency_journal) {
            rs_err_set(ENAMETOOLONG, "--latency-from-journal: the journal path %s is too long", o->src);
            fail(NULL);
            goto done;
        }
        mc->exec.sim.latency_model = o->lat_model ? o->lat_model : RS_LAT_TABLE;
        snprintf(mc->exec.sim.latency_journal, sizeof mc->exec.sim.latency_journal, "%s", o->src);
    }

    /* the model files: read, then staged where the pipeline reads them */
    if (collect_files(o, &j, cfg, files, &nf) != 0) {
        fail("model files");
        goto done;
    }
    snprintf(tmpdir, sizeof tmpdir, "%s/ringside-whatif-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmpdir)) {
        rs_err_set(errno, "cannot create %s: %s", tmpdir, strerror(errno));
        tmpdir[0] = 0;
        fail(NULL);
        goto done;
    }
    if (stage_files(tmpdir, files, nf) != 0) {
        fail(NULL);
        goto done;
    }
    if (!o->cfg && !o->lat_from_journal && stage_lat_blob(&j, tmpdir) != 0) {
        fail(NULL);
        goto done;
    }
    have_p = true;   /* build clears p first: destroy is safe after any failure */
    if (rs_pipeline_build(&p, cfg, tmpdir) != 0) {
        /* name the user's file, not our private copy of it */
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rs_err_msg());
        for (unsigned i = 0; i < nf; i++) {
            char staged[PATH_MAX + RS_CFG_PATH_MAX];
            if ((size_t)snprintf(staged, sizeof staged, "%s/%s", tmpdir,
                                 files[i].path[0] == '/' ? files[i].path + 1 : files[i].path) >= sizeof staged)
                continue;
            char *at = strstr(msg, staged);
            if (at) {
                char rest[1024];
                snprintf(rest, sizeof rest, "%s", at + strlen(staged));
                snprintf(at, sizeof msg - (size_t)(at - msg), "%s%s", files[i].shown, rest);
            }
        }
        fprintf(stderr, "ringside replay --what-if: building the stages from %s: %s\n", cfg_name, msg);
        goto done;
    }

    if (prepare_out(out, o->src, o->force, true) != 0) {
        fail(NULL);
        goto done;
    }
    rs_journal_blob blobs[RS_JBLOB_MAX];
    unsigned nb = 0;
    blobs[nb++] = (rs_journal_blob){RS_JBLOB_CONFIG, cfg_name, cfg->raw, cfg->raw_len};
    for (unsigned i = 0; i < nf; i++)
        blobs[nb++] = (rs_journal_blob){RS_JBLOB_MODEL, files[i].path, files[i].data, files[i].size};
    if (p.lat) {
        /* the measured latencies this run used: `replay --verify` of the new
         * journal reads them from here (pipeline.h) */
        if (nb == RS_JBLOB_MAX) {
            rs_err_set(EINVAL, "%u model/calibration files and the latency table: a journal embeds at most %d files",
                       nf, RS_JBLOB_MAX);
            fail(NULL);
            goto done;
        }
        if (rs_lat_table_to_text(p.lat, &lat_text, &lat_len) != 0) {
            fail(NULL);
            goto done;
        }
        blobs[nb++] = (rs_journal_blob){RS_JBLOB_OTHER, RS_LAT_BLOB_NAME, lat_text, lat_len};
    }
    rs_journal_opts jo;
    memset(&jo, 0, sizeof jo);
    jo.dir = out;
    jo.instance = cfg->instance;
    jo.start_ns = rs_journal_header(j.r)->start_ns;   /* the same market session */
    jo.segment_bytes = cfg->recorder.segment_bytes;
    jo.io = RS_JIO_WRITE;   /* a batch tool: plain large writes, no io_uring set-up */
    jo.blobs = blobs;
    jo.n_blobs = nb;
    if (rs_journal_writer_create(&w, &jo) != 0) {
        fail("the new journal");
        goto done;
    }

    rs_pipeline_latency_describe(&p, lat_line, sizeof lat_line);

    /* the run */
    sa = rs_mem_alloc(sizeof *sa, 64, "summary");
    sb = rs_mem_alloc(sizeof *sb, 64, "summary");
    if (!sa || !sb) {
        rs_err_set(ENOMEM, "out of memory");
        fail(NULL);
        goto done;
    }
    rs_jsummary_init(sa);
    rs_jsummary_init(sb);
    wi_sink sink = {w, sb, 0};
    rs_whatif_params wp = {.stages = p.stages, .n_stages = RS_SID_MAX, .queue_bytes = 0, .sink = sink_fn,
                           .sink_ctx = &sink};
    size_t wsz = rs_whatif_memsize(&wp);
    wmem = wsz ? rs_mem_alloc(wsz, 64, "what-if queues") : NULL;
    rs_whatif *wi = NULL;
    if (!wmem || rs_whatif_init(wmem, &wp, &wi) != 0) {
        if (!wmem)
            rs_err_set(ENOMEM, "out of memory for the what-if queues");
        fail(NULL);
        goto done;
    }
    if (!o->quiet) {
        printf("replay what-if %s\n", o->src);
        printf("  config       %s\n", cfg_name);
        for (unsigned i = 0; i < nf; i++)
            printf("  model file   %s <- %s (%s)\n", files[i].path, files[i].shown, files[i].how);
        printf("  sim latency  %s\n", lat_line);
        printf("  new journal  %s\n", out);
        fflush(stdout);
    }
    wi_counts cnt;
    memset(&cnt, 0, sizeof cnt);
    /* what is an input, and the source's own summary (journal order) */
    uint64_t total_inputs = 0;
    for (size_t i = 0; i < j.n; i++) {
        const rs_rec *r = j.recs[i];
        rs_jsummary_add(sa, r);
        if (r->stream == RS_STREAM_VENUE)
            cnt.venue_dropped++;       /* the simulated venue answers instead */
        else if (r->stream == RS_STREAM_CTL_MODEL)
            cnt.swaps_dropped++;       /* one model set for the whole what-if */
        else if (rs_whatif_is_external(wi, r->stream))
            total_inputs++;
        else
            cnt.other++;               /* the source's own outputs: summarised only */
    }
    /* Inputs of different streams (raw, ctl) are merged by their logical
     * time, each stream in its own order, raw first on a tie: the journal's
     * global order is the recorder's polling order, which can put a control
     * record after outputs that followed it live. */
    size_t cur[RS_STREAM_MAX];
    for (unsigned s = 0; s < RS_STREAM_MAX; s++)
        cur[s] = SIZE_MAX;
    for (unsigned s = 1; s < RS_STREAM_MAX; s++) {
        if (s == RS_STREAM_VENUE || s == RS_STREAM_CTL_MODEL || !rs_whatif_is_external(wi, (uint16_t)s))
            continue;
        size_t k = 0;
        while (k < j.n && j.recs[k]->stream != s)
            k++;
        cur[s] = k < j.n ? k : SIZE_MAX;
    }
    double t0 = mono_s(), tp = t0, c0 = cpu_s();
    int rc = 0;
    while (rc == 0) {
        unsigned best = 0;
        for (unsigned s = 1; s < RS_STREAM_MAX; s++) {
            if (cur[s] == SIZE_MAX)
                continue;
            const rs_rec *r = j.recs[cur[s]], *b = best ? j.recs[cur[best]] : NULL;
            if (!b || r->ts < b->ts || (r->ts == b->ts && s == RS_STREAM_RAW && best != RS_STREAM_RAW))
                best = s;
        }
        if (!best)
            break;
        const rs_rec *r = j.recs[cur[best]];
        size_t k = cur[best] + 1;
        while (k < j.n && j.recs[k]->stream != best)
            k++;
        cur[best] = k < j.n ? k : SIZE_MAX;
        cnt.inputs++;
        cnt.inputs_by_stream[best]++;
        rc = rs_whatif_input(wi, r);
        if (o->progress > 0 && (cnt.inputs & 1023) == 0) {
            double now = mono_s();
            if (now - tp >= o->progress) {
                tp = now;
                fprintf(stderr, "what-if: %5.1f%%  %" PRIu64 " inputs  %.0f inputs/s  %" PRIu64 " records out\n",
                        100.0 * (double)cnt.inputs / (double)(total_inputs ? total_inputs : 1), cnt.inputs,
                        (double)cnt.inputs / (now - t0), sb->records);
            }
        }
    }
    if (rc == 0)
        rc = rs_whatif_finish(wi);
    if (o->progress > 0 && mono_s() - t0 >= o->progress)   /* long runs: a closing line on the same channel */
        fprintf(stderr, "what-if: 100.0%%  %" PRIu64 " inputs  %.0f inputs/s  %" PRIu64 " records out\n", cnt.inputs,
                (double)cnt.inputs / (mono_s() - t0), sb->records);
    if (rc) {
        fail("the what-if run");
        goto done;
    }
    if (rs_journal_writer_close(w) != 0) {
        fail("closing the new journal");
        goto done;
    }
    cnt.seconds = mono_s() - t0;
    cnt.cpu_seconds = cpu_s() - c0;
    rs_jsummary_finish(sa);
    rs_jsummary_finish(sb);
    rs_whatif_stats ws;
    rs_whatif_get_stats(wi, &ws);
    if (!o->quiet) {
        printf("  inputs       %" PRIu64 " (raw market data, timers, connection events %" PRIu64 "; control %" PRIu64
               ")\n",
               cnt.inputs, cnt.inputs_by_stream[RS_STREAM_RAW], cnt.inputs_by_stream[RS_STREAM_CTL]);
        if (cnt.venue_dropped || cnt.swaps_dropped)
            printf("  not replayed %" PRIu64 " recorded venue messages (simulated venue instead), %" PRIu64
                   " model hot swaps (one model set throughout)\n",
                   cnt.venue_dropped, cnt.swaps_dropped);
        printf("  handled      feed %" PRIu64 ", features %" PRIu64 ", model %" PRIu64 ", gate %" PRIu64
               ", exec %" PRIu64 " (at most %u rounds for one input)\n",
               ws.handled[RS_SID_FEED], ws.handled[RS_SID_FEATURES], ws.handled[RS_SID_MODEL], ws.handled[RS_SID_GATE],
               ws.handled[RS_SID_EXEC], ws.max_rounds);
        printf("  speed        %.0f inputs/s, %.0f records/s (%.3f s wall; %.3f s CPU: %.0f inputs/s of CPU)\n",
               cnt.seconds > 0 ? (double)cnt.inputs / cnt.seconds : 0.0,
               cnt.seconds > 0 ? (double)ws.records / cnt.seconds : 0.0, cnt.seconds, cnt.cpu_seconds,
               cnt.cpu_seconds > 0 ? (double)cnt.inputs / cnt.cpu_seconds : 0.0);
        printf("\n");
    }
    rs_jsummary_print_pair(stdout, "journal", sa, "what-if", sb);
    printf("what-if simulated venue latency: %s\n", lat_line);
    printf("new journal: %s (%" PRIu64 " records)\n", out, sb->records);
    fflush(stdout);
    if (o->summary_json && write_json(o->summary_json, o, out, cfg_name, files, nf, sa, sb, &cnt, &p) != 0) {
        fail(NULL);
        goto done;
    }
    ret = RS_EXIT_OK;
    if (o->verify) {
        printf("\n== replay verification of the what-if journal\n");
        fflush(stdout);
        ret = rs_replay_verify_journal(out, 5, o->quiet);
    }

done:
    if (w)
        rs_journal_writer_destroy(w);
    rs_mem_free(wmem);
    rs_mem_free(sa);
    rs_mem_free(sb);
    rs_mem_free(lat_text);
    if (have_p)
        rs_pipeline_destroy(&p);
    if (tmpdir[0])
        rm_tree(tmpdir);
    for (unsigned i = 0; i < nf; i++)
        rs_mem_free(files[i].data);
    rs_config_destroy(own_cfg);
    rs_jload_close(&j);
    return ret;
}
