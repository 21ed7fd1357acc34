/* ringside record -- journal a running instance (see ringside/recorder.h). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/file.h"
#include "ringside/recorder.h"

static const char usage[] =
    "usage: ringside record --instance NAME [options]\n"
    "  Attach to a running engine instance as the recorder of every ring and\n"
    "  journal every record until the engine exits or SIGINT/SIGTERM.\n"
    "options:\n"
    "  --instance NAME     engine instance (required)\n"
    "  --dir DIR           journal directory (default var/journal/NAME/<UTC start>)\n"
    "  --base DIR          parent of the default directory (default var/journal)\n"
    "  --resume            DIR holds a journal: recover its tail and continue it\n"
    "  --config FILE       embed FILE's bytes as the config (repeatable kinds: one)\n"
    "  --model FILE        embed FILE's bytes as a model (repeatable)\n"
    "  --blob NAME=FILE    embed FILE's bytes under NAME as an 'other' file (repeatable;\n"
    "                      `run` embeds the simulated venue's measured latency table so)\n"
    "  --fsync POLICY      comma list: interval=MS, bytes=N[k|m], order, none\n"
    "                      (default interval=100,order)\n"
    "  --segment-mb N      rotate segments at N MiB (default 256)\n"
    "  --io uring|write    write path (default uring)\n"
    "  --wait SEC          wait up to SEC for the instance's region to appear\n"
    "  --quiet             no info lines\n"
    "exit: 0 journal sealed; 1 failure (message names it); 2 usage\n";

static rs_atomic_u32 stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    rs_store_relaxed(&stop_flag, 1u);
}


/* Parse "interval=MS,bytes=N,order,none" into opts. 0 or -1. */
int rs_record_parse_fsync(const char *s, rs_recorder_opts *o);
int rs_record_parse_fsync(const char *s, rs_recorder_opts *o)
{
    char buf[128];
    snprintf(buf, sizeof buf, "%s", s);
    o->fsync_interval_ns = 0;
    o->fsync_bytes = 0;
    o->fsync_on_order = false;
    for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        char *end;
        if (!strncmp(t, "interval=", 9)) {
            double ms = strtod(t + 9, &end);
            if (*end || ms <= 0)
                return -1;
            o->fsync_interval_ns = (int64_t)(ms * 1e6);
        } else if (!strncmp(t, "bytes=", 6)) {
            unsigned long long v = strtoull(t + 6, &end, 10);
            if (*end == 'k' || *end == 'K')
                v <<= 10, end++;
            else if (*end == 'm' || *end == 'M')
                v <<= 20, end++;
            if (*end || !v)
                return -1;
            o->fsync_bytes = v;
        } else if (!strcmp(t, "order")) {
            o->fsync_on_order = true;
        } else if (strcmp(t, "none") != 0) {
            return -1;
        }
    }
    return 0;
}

int rs_cmd_record(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    rs_recorder_opts o = {.fsync_interval_ns = 100000000, .fsync_on_order = true};
    rs_journal_blob blobs[RS_JBLOB_MAX];
    unsigned nb = 0;
    rs_recorder_stats st;
    o.stats = &st;
    int rc = RS_EXIT_OK;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--resume")) {
            o.resume = true;
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = true;
        } else if (!v) {
            rc = rs_cli_usage_error(usage, "record: %s needs a value or is unknown", a);
            goto out;
        } else if (!strcmp(a, "--instance")) {
            o.instance = v, i++;
        } else if (!strcmp(a, "--dir")) {
            o.dir = v, i++;
        } else if (!strcmp(a, "--base")) {
            o.base_dir = v, i++;
        } else if (!strcmp(a, "--config") || !strcmp(a, "--model")) {
            if (nb == RS_JBLOB_MAX) {
                rc = rs_cli_usage_error(usage, "record: at most %d embedded files", RS_JBLOB_MAX);
                goto out;
            }
            size_t n;
            uint8_t *p;
            if (rs_file_read_all(v, !strcmp(a, "--config") ? "config" : "model", 0, 0, &p, &n) != 0) {
                fprintf(stderr, "ringside record: %s\n", rs_err_msg());
                rc = RS_EXIT_FAIL;
                goto out;
            }
            blobs[nb++] = (rs_journal_blob){!strcmp(a, "--config") ? RS_JBLOB_CONFIG : RS_JBLOB_MODEL, v, p, n};
            i++;
        } else if (!strcmp(a, "--blob")) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || !eq[1] || (size_t)(eq - v) > RS_JBLOB_NAME_MAX) {
                rc = rs_cli_usage_error(usage, "record: --blob wants NAME=FILE, got '%s'", v);
                goto out;
            }
            if (nb == RS_JBLOB_MAX) {
                rc = rs_cli_usage_error(usage, "record: at most %d embedded files", RS_JBLOB_MAX);
                goto out;
            }
            static char names[RS_JBLOB_MAX][RS_JBLOB_NAME_MAX + 1];
            memcpy(names[nb], v, (size_t)(eq - v));
            names[nb][eq - v] = 0;
            size_t n;
            uint8_t *p;
            if (rs_file_read_all(eq + 1, "blob", 0, 0, &p, &n) != 0) {
                fprintf(stderr, "ringside record: %s\n", rs_err_msg());
                rc = RS_EXIT_FAIL;
                goto out;
            }
            blobs[nb] = (rs_journal_blob){RS_JBLOB_OTHER, names[nb], p, n};
            nb++;
            i++;
        } else if (!strcmp(a, "--fsync")) {
            if (rs_record_parse_fsync(v, &o) != 0) {
                rc = rs_cli_usage_error(usage, "record: bad --fsync '%s'", v);
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--segment-mb")) {
            long mb = atol(v);
            if (mb <= 0) {
                rc = rs_cli_usage_error(usage, "record: bad --segment-mb '%s'", v);
                goto out;
            }
            o.segment_bytes = (uint64_t)mb << 20;
            i++;
        } else if (!strcmp(a, "--io")) {
            if (!strcmp(v, "uring"))
                o.io = RS_JIO_URING;
            else if (!strcmp(v, "write"))
                o.io = RS_JIO_WRITE;
            else {
                rc = rs_cli_usage_error(usage, "record: bad --io '%s'", v);
                goto out;
            }
            i++;
        } else if (!strcmp(a, "--wait")) {
            o.attach_wait_ns = (int64_t)(atof(v) * 1e9);
            i++;
        } else {
            rc = rs_cli_usage_error(usage, "record: unknown option %s", a);
            goto out;
        }
    }
    if (!o.instance) {
        rc = rs_cli_usage_error(usage, "record: --instance is required");
        goto out;
    }
    o.blobs = blobs;
    o.n_blobs = nb;
    o.stop = &stop_flag;
    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int r = rs_recorder_run(&o);
    if (r) {
        fprintf(stderr, "ringside record: %s\n", rs_err_msg());
        rc = RS_EXIT_FAIL;
    } else {
        printf("journal %s: %llu records, %llu gaps (%llu lost), %llu duplicates skipped\n", st.dir,
               (unsigned long long)st.records, (unsigned long long)st.gaps, (unsigned long long)st.lost,
               (unsigned long long)st.duplicates);
    }
out:
    for (unsigned k = 0; k < nb; k++)
        rs_mem_free((void *)blobs[k].data);
    return rc;
}
