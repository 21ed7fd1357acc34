/* ringside report JOURNAL [JOURNAL2] --out DIR -- performance report: the
 * numbers (CSV) from C (core/report.c), then the plots and the HTML page from
 * tools/python/report_plots.py. Definitions: docs/report.md. */
#include <errno.h>
#include <inttypes.h>
#include <libgen.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "ringside/config.h"
#include "ringside/file.h"
#include "ringside/journal.h"
#include "ringside/report.h"

static const char usage[] =
    "usage: ringside report JOURNAL [JOURNAL2] --out DIR [options]\n"
    "  Performance report of a journaled session (and, with JOURNAL2, a second one\n"
    "  overlaid and side by side: a run and its what-if replay, two configs...).\n"
    "  Writes DIR/evaluation_summary.csv (end-of-day rows per UTC day of the market\n"
    "  clock, a total row and a strategy-only row), DIR/runs.csv, the series in\n"
    "  DIR/data/runN/*.csv, the plots DIR/img/*.png and DIR/index.html (offline).\n"
    "options:\n"
    "  --out DIR          output directory (created)\n"
    "  --capital X        return base in quote currency (default: the journal config's\n"
    "                     gate.capital)\n"
    "  -c CONFIG          take instruments and capital from CONFIG instead of the\n"
    "                     journal's embedded config\n"
    "  --labels A[,B]     names of the runs in tables and legends (default: the\n"
    "                     journal directory names)\n"
    "  --curve-step SEC   spacing of mark points in equity_curve.csv (default 60)\n"
    "  --allow-damaged    report the good part of a journal with a torn/corrupt tail\n"
    "                     (default: refuse it, exit 1)\n"
    "  --no-plots         CSV only; do not run python\n"
    "  --script FILE      the plotting script (default: tools/python/report_plots.py\n"
    "                     next to the source tree of this binary)\n"
    "  --synth-journal DIR [--days N] [--seed N] [--no-trades] [--no-incidents]\n"
    "                     write a synthetic multi-day journal (tests, docs) and exit\n"
    "exit: 0 ok (also: no trades); 1 unreadable/corrupt journal or failure; 2 usage\n";

#define PYTHON "/usr/bin/python3"

typedef struct run {
    const char *path;
    char label[64];
    rs_journal_reader *jr;
    rs_config *cfg;
    rs_report *rep;
    double capital;
    int tail;
    char instance[49];
} run;


static void default_label(run *r, const char *other)
{
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s", r->path);
    size_t n = strlen(tmp);
    while (n > 1 && tmp[n - 1] == '/')
        tmp[--n] = 0;
    snprintf(r->label, sizeof r->label, "%s", basename(tmp));
    if (other && !strcmp(other, r->label))
        snprintf(r->label + strlen(r->label), sizeof r->label - strlen(r->label), "#2");
}

/* label text goes into CSV cells unquoted: keep it to a safe alphabet */
static void clean_label(char *s)
{
    for (; *s; s++)
        if (*s == ',' || *s == '"' || *s == '\n' || *s == '\r' || *s == '<' || *s == '>' || *s == '&')
            *s = '_';
}

static int load_run(run *r, const char *cfg_path, double capital_opt, const rs_report_opts *base, bool allow_damaged)
{
    int rc = rs_journal_open(&r->jr, r->path);
    if (rc) {
        fprintf(stderr, "ringside report: cannot read the journal %s: %s\n", r->path, rs_err_msg());
        return RS_EXIT_FAIL;
    }
    snprintf(r->instance, sizeof r->instance, "%.48s", rs_journal_header(r->jr)->instance);
    if (cfg_path) {
        if (rs_config_load(&r->cfg, cfg_path)) {
            fprintf(stderr, "ringside report: %s\n", rs_err_msg());
            return RS_EXIT_FAIL;
        }
    } else {
        const rs_journal_blob *cb = rs_journal_blob_find(r->jr, RS_JBLOB_CONFIG);
        if (!cb) {
            fprintf(stderr,
                    "ringside report: %s has no embedded config (instruments and capital come from it): pass -c "
                    "CONFIG\n",
                    r->path);
            return RS_EXIT_FAIL;
        }
        if (rs_config_parse(&r->cfg, cb->name && *cb->name ? cb->name : "(embedded config)", cb->data, cb->size)) {
            fprintf(stderr, "ringside report: %s: embedded config: %s (pass -c CONFIG)\n", r->path, rs_err_msg());
            return RS_EXIT_FAIL;
        }
    }
    rs_universe u;
    if (rs_config_universe(r->cfg, &u)) {
        fprintf(stderr, "ringside report: %s: %s\n", r->path, rs_err_msg());
        return RS_EXIT_FAIL;
    }
    rs_report_opts o = *base;
    o.capital = capital_opt > 0 ? capital_opt : r->cfg->gate.capital;
    r->capital = o.capital;
    if (rs_report_create(&r->rep, &u, &o)) {
        fprintf(stderr, "ringside report: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    const rs_rec *x;
    rs_journal_pos pos;
    while ((rc = rs_journal_next(r->jr, &x, &pos)) == 1)
        if (rs_report_add(r->rep, x, pos.gseq)) {
            fprintf(stderr, "ringside report: %s\n", rs_err_msg());
            return RS_EXIT_FAIL;
        }
    const rs_journal_status *st = rs_journal_get_status(r->jr);
    r->tail = st->tail;
    if (st->tail == RS_JTAIL_TORN || st->tail == RS_JTAIL_CORRUPT) {
        fprintf(stderr,
                "ringside report: %s: %s tail at %s offset %" PRIu64 ": %s (%" PRIu64 " good records before it)%s\n",
                r->path, rs_jtail_name(st->tail), st->bad_file, st->bad_offset, st->reason, st->records,
                allow_damaged ? "; reporting the good part (--allow-damaged)" : "; refusing (--allow-damaged reports the good part)");
        if (!allow_damaged)
            return RS_EXIT_FAIL;
    }
    if (rs_report_finish(r->rep)) {
        fprintf(stderr, "ringside report: %s: %s\n", r->path, rs_err_msg());
        return RS_EXIT_FAIL;
    }
    return RS_EXIT_OK;
}

static void fmt_pct(char *b, size_t n, double v)
{
    if (isnan(v))
        snprintf(b, n, "n/a");
    else
        snprintf(b, n, "%.2f%%", v * 100);
}

static void fmt_num(char *b, size_t n, double v, const char *f)
{
    if (isnan(v))
        snprintf(b, n, "n/a");
    else
        snprintf(b, n, f, v);
}

static void print_summary(const run *r)
{
    size_t nd, nt, ni;
    rs_report_days(r->rep, &nd);
    rs_report_trades(r->rep, &nt);
    rs_report_incidents(r->rep, &ni);
    const rs_report_row *t = rs_report_total(r->rep), *s = rs_report_strategy(r->rep);
    const rs_report_counts *c = rs_report_get_counts(r->rep);
    char a[32], b[32], d[32], e[32], f[32], g[32];
    printf("== %s (%s): %zu day(s), capital %.2f\n", r->label, r->path, nd, r->capital);
    if (t->trades == 0 && c->fills == 0)
        printf("   no trades in this journal (%" PRIu64 " records, %" PRIu64 " marks)\n", c->records, c->marks);
    fmt_pct(a, sizeof a, t->cum_ret), fmt_num(b, sizeof b, t->sharpe, "%.2f"), fmt_num(d, sizeof d, t->sortino, "%.2f");
    fmt_pct(e, sizeof e, t->max_dd), fmt_pct(f, sizeof f, t->hit_rate), fmt_num(g, sizeof g, t->calmar, "%.2f");
    printf("   net PnL %.2f (return %s), Sharpe %s, Sortino %s, max drawdown %s (%.2f days), Calmar %s\n", t->pnl, a, b,
           d, e, t->max_dd_days, g);
    printf("   trades %" PRIu64 " (hit rate %s), fills %" PRIu64 ", fees %.2f, slippage %.2f, turnover %.2fx\n",
           t->trades, f, t->fills, t->fees, t->slippage, t->turnover);
    printf("   incidents %zu: PnL %.2f; strategy-only PnL %.2f\n", ni, t->incident_pnl, s->pnl);
    if (c->dup_fills || c->bad)
        printf("   duplicate fill reports ignored %" PRIu64 ", malformed records skipped %" PRIu64 "\n", c->dup_fills,
               c->bad);
    if (c->have_gate_pos) {
        double dr = c->realized_at_gate - c->gate_realized, df = c->fees_at_gate - c->gate_fees;
        printf("   cross-check with the gate's last position record: realised %+.6f, fees %+.6f%s\n", dr, df,
               fabs(dr) > 1e-6 * (1 + fabs(c->gate_realized)) || fabs(df) > 1e-6 * (1 + fabs(c->gate_fees))
                   ? "  (DIFFERS: fills the report could not attribute, see docs/report.md)"
                   : "  (agrees)");
    }
}

static int write_runs(const char *dir, run *runs, int n)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/runs.csv", dir);
    FILE *f = fopen(p, "w");
    if (!f) {
        fprintf(stderr, "ringside report: cannot write %s: %s\n", p, strerror(errno));
        return RS_EXIT_FAIL;
    }
    fputs("id,label,journal,instance,capital,tail,records,marks,fills,dup_fills,bad,trades,incidents,"
          "latency_samples,gate_check_realized,gate_check_fees\n",
          f);
    for (int i = 0; i < n; i++) {
        const rs_report_counts *c = rs_report_get_counts(runs[i].rep);
        size_t nt, ni;
        rs_report_trades(runs[i].rep, &nt);
        rs_report_incidents(runs[i].rep, &ni);
        char jp[PATH_MAX];
        snprintf(jp, sizeof jp, "%s", runs[i].path);
        clean_label(jp);
        fprintf(f, "run%d,%s,%s,%s,%.17g,%s,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%zu,%zu,%" PRIu64,
                i + 1, runs[i].label, jp, runs[i].instance, runs[i].capital, rs_jtail_name(runs[i].tail), c->records,
                c->marks, c->fills, c->dup_fills, c->bad, nt, ni, c->latency_samples);
        if (c->have_gate_pos)
            fprintf(f, ",%.17g,%.17g\n", c->realized_at_gate - c->gate_realized, c->fees_at_gate - c->gate_fees);
        else
            fputs(",,\n", f);
    }
    if (ferror(f) | (fclose(f) != 0)) {
        fprintf(stderr, "ringside report: error writing %s\n", p);
        return RS_EXIT_FAIL;
    }
    return RS_EXIT_OK;
}

static int find_script(char *out, size_t n)
{
    const char *env = getenv("RS_REPORT_PLOTS");
    if (env && *env) {
        snprintf(out, n, "%s", env);
        return access(out, R_OK) == 0 ? 0 : -1;
    }
    char exe[PATH_MAX];
    ssize_t k = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (k > 0) {
        exe[k] = 0;
        char *d = dirname(exe);
        static const char *rel[] = {"/../../tools/python/report_plots.py", "/../tools/python/report_plots.py",
                                    "/tools/python/report_plots.py", "/../share/ringside/report_plots.py"};
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            snprintf(out, n, "%s%s", d, rel[i]);
            if (access(out, R_OK) == 0)
                return 0;
        }
    }
    snprintf(out, n, "tools/python/report_plots.py");
    return access(out, R_OK) == 0 ? 0 : -1;
}

static int run_python(const char *script, const char *dir)
{
    if (access(PYTHON, X_OK) != 0) {
        fprintf(stderr,
                "ringside report: %s not found: the plots need Debian python3, python3-matplotlib and "
                "python3-pandas (tools/install-deps.sh); the CSV files are written, --no-plots skips this step\n",
                PYTHON);
        return RS_EXIT_FAIL;
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "ringside report: fork: %s\n", strerror(errno));
        return RS_EXIT_FAIL;
    }
    if (pid == 0) {
        char *argv[] = {(char *)PYTHON, (char *)script, (char *)dir, NULL};
        execv(PYTHON, argv);
        fprintf(stderr, "ringside report: exec %s: %s\n", PYTHON, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "ringside report: waitpid: %s\n", strerror(errno));
            return RS_EXIT_FAIL;
        }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        fprintf(stderr, "ringside report: %s %s failed (%s %d): plots/HTML not (fully) written\n", PYTHON, script,
                WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
        return RS_EXIT_FAIL;
    }
    return RS_EXIT_OK;
}

static int synth(const char *dir, int argc, char **argv, int i0)
{
    rs_report_synth_opts o = {.dir = dir, .seed = 1, .days = 14, .incidents = 1};
    for (int i = i0; i < argc; i++) {
        if (!strcmp(argv[i], "--days") && i + 1 < argc)
            o.days = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            o.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--no-trades"))
            o.no_trades = 1;
        else if (!strcmp(argv[i], "--no-incidents"))
            o.incidents = 0;
        else
            return rs_cli_usage_error(usage, "report --synth-journal: unknown option or missing value '%s'", argv[i]);
    }
    if (o.days < 1 || o.days > 3650)
        return rs_cli_usage_error(usage, "report --synth-journal: --days must be 1..3650");
    if (rs_report_synth(&o)) {
        fprintf(stderr, "ringside report: synthetic journal %s: %s\n", dir, rs_err_msg());
        return RS_EXIT_FAIL;
    }
    printf("synthetic journal %s: %d day(s), seed %" PRIu64 "%s%s\n", dir, o.days, o.seed,
           o.no_trades ? ", no trades" : "", o.incidents ? ", with incidents" : "");
    return RS_EXIT_OK;
}

int rs_cmd_report(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *out = NULL, *cfg_path = NULL, *labels = NULL, *script_opt = NULL;
    const char *jpath[2] = {NULL, NULL};
    int nj = 0;
    double capital = 0, step = 60;
    bool no_plots = false, allow_damaged = false;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--synth-journal") && v)
            return synth(v, argc, argv, i + 2);
        if (!strcmp(a, "--out") && v) out = v, i++;
        else if (!strcmp(a, "--capital") && v) {
            char *end;
            capital = strtod(v, &end);
            if (*end || !(capital > 0) || !isfinite(capital))
                return rs_cli_usage_error(usage, "report: --capital must be a number > 0 (got '%s')", v);
            i++;
        } else if (!strcmp(a, "-c") && v) cfg_path = v, i++;
        else if (!strcmp(a, "--labels") && v) labels = v, i++;
        else if (!strcmp(a, "--curve-step") && v) {
            step = atof(v), i++;
            if (!(step > 0))
                return rs_cli_usage_error(usage, "report: --curve-step must be > 0 seconds");
        } else if (!strcmp(a, "--script") && v) script_opt = v, i++;
        else if (!strcmp(a, "--no-plots")) no_plots = true;
        else if (!strcmp(a, "--allow-damaged")) allow_damaged = true;
        else if (a[0] == '-' && a[1]) return rs_cli_usage_error(usage, "report: unknown option or missing value '%s'", a);
        else if (nj < 2) jpath[nj++] = a;
        else return rs_cli_usage_error(usage, "report: at most two journals (got '%s' as a third)", a);
    }
    if (nj == 0)
        return rs_cli_usage_error(usage, "report: a JOURNAL is required");
    if (!out)
        return rs_cli_usage_error(usage, "report: --out DIR is required");

    static run runs[2];
    memset(runs, 0, sizeof runs);
    for (int i = 0; i < nj; i++) {
        runs[i].path = jpath[i];
        default_label(&runs[i], i ? runs[0].label : NULL);
    }
    if (labels) {
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", labels);
        char *comma = strchr(tmp, ',');
        if (comma)
            *comma = 0;
        snprintf(runs[0].label, sizeof runs[0].label, "%.63s", tmp);
        if (comma && nj > 1)
            snprintf(runs[1].label, sizeof runs[1].label, "%.63s", comma + 1);
    }
    for (int i = 0; i < nj; i++)
        clean_label(runs[i].label);

    rs_report_opts base = {.curve_step_ns = (int64_t)(step * 1e9)};
    int rc = RS_EXIT_OK;
    for (int i = 0; i < nj && rc == RS_EXIT_OK; i++)
        rc = load_run(&runs[i], cfg_path, capital, &base, allow_damaged);
    if (rc == RS_EXIT_OK) {
        char p[PATH_MAX];
        int e = rs_file_mkdirs(out, 0755);
        if (e) {
            fprintf(stderr, "ringside report: cannot create %s: %s\n", out, strerror(-e));
            rc = RS_EXIT_FAIL;
        }
        for (int i = 0; i < nj && rc == RS_EXIT_OK; i++) {
            snprintf(p, sizeof p, "%s/data/run%d", out, i + 1);
            if ((e = rs_file_mkdirs(p, 0755)) != 0) {
                fprintf(stderr, "ringside report: cannot create %s: %s\n", p, strerror(-e));
                rc = RS_EXIT_FAIL;
            } else if (rs_report_write_series(runs[i].rep, p)) {
                fprintf(stderr, "ringside report: %s\n", rs_err_msg());
                rc = RS_EXIT_FAIL;
            }
        }
        if (rc == RS_EXIT_OK) {
            snprintf(p, sizeof p, "%s/evaluation_summary.csv", out);
            FILE *f = fopen(p, "w");
            if (!f) {
                fprintf(stderr, "ringside report: cannot write %s: %s\n", p, strerror(errno));
                rc = RS_EXIT_FAIL;
            } else {
                rs_report_write_summary_header(f);
                for (int i = 0; i < nj; i++)
                    rs_report_write_summary(runs[i].rep, f, runs[i].label);
                if (ferror(f) | (fclose(f) != 0)) {
                    fprintf(stderr, "ringside report: error writing %s\n", p);
                    rc = RS_EXIT_FAIL;
                }
            }
        }
        if (rc == RS_EXIT_OK)
            rc = write_runs(out, runs, nj);
        if (rc == RS_EXIT_OK) {
            for (int i = 0; i < nj; i++)
                print_summary(&runs[i]);
            printf("CSV: %s/evaluation_summary.csv, %s/runs.csv, %s/data/run*/\n", out, out, out);
        }
        if (rc == RS_EXIT_OK && !no_plots) {
            char script[PATH_MAX];
            if (script_opt)
                snprintf(script, sizeof script, "%s", script_opt);
            if (script_opt ? access(script, R_OK) != 0 : find_script(script, sizeof script) != 0) {
                fprintf(stderr,
                        "ringside report: cannot find the plotting script report_plots.py (tried --script, "
                        "$RS_REPORT_PLOTS, next to the binary, ./tools/python): pass --script FILE or --no-plots\n");
                rc = RS_EXIT_FAIL;
            } else {
                rc = run_python(script, out);
                if (rc == RS_EXIT_OK)
                    printf("report: %s/index.html\n", out);
            }
        }
    }
    for (int i = 0; i < nj; i++) {
        rs_report_destroy(runs[i].rep);
        rs_config_destroy(runs[i].cfg);
        if (runs[i].jr)
            rs_journal_close(runs[i].jr);
    }
    return rc;
}
