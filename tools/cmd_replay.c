/* ringside replay JOURNAL --verify | --what-if [-c CONFIG] [--model NAME=FILE] (replay_whatif.c) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "journal_load.h"
#include "pipeline.h"
#include "replay_whatif.h"
#include "ringside/replay.h"

static const char verify_usage[] =
    "usage: ringside replay JOURNAL --verify [--context N] [-c CONFIG]\n"
    "  Re-run every stage on its own journaled inputs, in the recorded consumption order, with the\n"
    "  config and model files embedded in the journal, and compare every output record with the\n"
    "  journaled one (only local wall-clock stamps are ignored).\n"
    "  --context N   inputs shown before the first divergence (default 5)\n"
    "  -c CONFIG     verify against this config (and the model files it names) instead of the\n"
    "                embedded ones: shows where a changed config or model first changes the output\n"
    "exit: 0 zero divergences; 1 divergence or failure (message names it); 2 usage\n";
static char usage[8192];

static int verify_with(const char *path, unsigned context, bool quiet, const char *cfg_override);

int rs_replay_verify_journal(const char *path, unsigned context, bool quiet)
{
    return verify_with(path, context, quiet, NULL);
}

static int verify_with(const char *path, unsigned context, bool quiet, const char *cfg_override)
{
    rs_jload j;
    int rc = rs_jload_open(&j, path);
    if (rc) {
        fprintf(stderr, "ringside replay: %s\n", rs_err_msg());
        rs_jload_close(&j);
        return RS_EXIT_FAIL;
    }
    const char *model_dir = j.model_dir;
    if (cfg_override) {
        rs_config *oc = NULL;
        if (rs_config_load(&oc, cfg_override) != 0) {
            fprintf(stderr, "ringside replay: %s\n", rs_err_msg());
            rs_jload_close(&j);
            return RS_EXIT_FAIL;
        }
        rs_config_destroy(j.cfg);
        j.cfg = oc;
        model_dir = NULL;       /* the override's model paths, on disk */
        if (!quiet)
            printf("(verifying against %s instead of the embedded config)\n", cfg_override);
    }
    rs_pipeline p;
    rc = rs_pipeline_build(&p, j.cfg, model_dir);
    /* With -c the models come from disk, but models hot-swapped during the
     * session still come from the journal's blob records, at their swap. */
    if (!rc && !model_dir)
        rc = rs_pipeline_replay_swaps(&p, NULL);
    if (rc) {
        fprintf(stderr, "ringside replay: building the stages from the journal's config: %s\n", rs_err_msg());
        rs_jload_close(&j);
        return RS_EXIT_FAIL;
    }
    static rs_replay_report rep;
    rc = rs_replay_verify(&j.set, p.stages, RS_SID_MAX, &rep);
    if (rc) {
        fprintf(stderr, "ringside replay: %s\n", rs_err_msg());
        rs_pipeline_destroy(&p);
        rs_jload_close(&j);
        return RS_EXIT_FAIL;
    }
    const rs_journal_status *st = rs_journal_get_status(j.r);
    (void)st;
    if (!quiet) {
        printf("replay verify %s\n", path);
        printf("  journal records   %zu\n", j.n);
        printf("  inputs replayed   %llu\n", (unsigned long long)rep.inputs);
        printf("  records compared  %llu  (feed %llu, features %llu, model %llu, gate %llu, exec %llu)\n",
               (unsigned long long)rep.compared, (unsigned long long)rep.per_stage_compared[RS_SID_FEED],
               (unsigned long long)rep.per_stage_compared[RS_SID_FEATURES],
               (unsigned long long)rep.per_stage_compared[RS_SID_MODEL],
               (unsigned long long)rep.per_stage_compared[RS_SID_GATE],
               (unsigned long long)rep.per_stage_compared[RS_SID_EXEC]);
        printf("  divergences       %llu\n", (unsigned long long)rep.divergences);
        printf("  speed             %.0f events/s (%.3f s)\n",
               rep.seconds > 0 ? (double)rep.inputs / rep.seconds : 0.0, rep.seconds);
    }
    if (rep.divergences)
        rs_replay_print_divergence(stdout, &j.set, &rep, context);
    printf("verdict: %s\n", rep.divergences ? "DIVERGED" : "identical (0 divergences)");
    rs_pipeline_destroy(&p);
    rs_jload_close(&j);
    return rep.divergences ? RS_EXIT_FAIL : RS_EXIT_OK;
}

int rs_cmd_replay(int argc, char **argv)
{
    snprintf(usage, sizeof usage, "%s%s", verify_usage, rs_replay_whatif_usage);
    bool whatif = false;
    for (int i = 1; i < argc; i++)
        whatif |= !strcmp(argv[i], "--what-if");
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    if (whatif)
        return rs_replay_whatif_cmd(argc, argv, usage);
    const char *path = NULL, *cfg = NULL;
    bool verify = false;
    unsigned context = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--verify")) verify = true;
        else if (!strcmp(argv[i], "--context") && i + 1 < argc) context = (unsigned)atoi(argv[++i]);
        else if (!strcmp(argv[i], "-c") && i + 1 < argc) cfg = argv[++i];
        else if (argv[i][0] == '-')
            return rs_cli_usage_error(usage, "replay: unknown option '%s'", argv[i]);
        else if (!path) path = argv[i];
        else return rs_cli_usage_error(usage, "replay: unexpected argument '%s'", argv[i]);
    }
    if (!path)
        return rs_cli_usage_error(usage, "replay: missing JOURNAL");
    if (!verify)
        return rs_cli_usage_error(usage, "replay: say --verify or --what-if");
    return verify_with(path, context, false, cfg);
}
