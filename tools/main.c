/* ringside: one binary, git-style subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ringside/event.h"

static const struct {
    const char *name;
    rs_cmd_fn fn;
    const char *summary;
} cmds[] = {
    {"run", rs_cmd_run, "start the engine (and, by default, the recorder)"},
    {"record", rs_cmd_record, "journal a running instance's rings to disk"},
    {"replay", rs_cmd_replay, "re-run a journal: --verify or --what-if"},
    {"journal", rs_cmd_journal, "inspect journals: stat, cat, verify, latency, export"},
    {"model", rs_cmd_model, "XGBoost models: info, predict"},
    {"features", rs_cmd_features, "compute bars and features from trade/kline CSV files"},
    {"feed", rs_cmd_feed, "venue decoders: decode raw messages to events"},
    {"bench", rs_cmd_bench, "microbenchmarks against peers"},
    {"report", rs_cmd_report, "performance report from journals"},
    {"venue-sim", rs_cmd_venue_sim, "local TLS venue simulator"},
    {"top", rs_cmd_top, "live view of a running instance"},
    {"ctl", rs_cmd_ctl, "control a running instance: kill, pause, resume, status, cleanup"},
    {"config", rs_cmd_config, "config files: check"},
};

static void usage(FILE *f)
{
    fputs("usage: ringside <command> [options]   (ringside <command> --help)\n"
          "       ringside --version   (record schema and its hash: which journals this build replays)\n\ncommands:\n", f);
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        fprintf(f, "  %-10s %s\n", cmds[i].name, cmds[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RS_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
        /* The schema hash is what decides whether this binary can replay a
         * journal (journals record the writer's hash in every segment). */
        printf("ringside record schema v%u, schema hash %016llx\n", (unsigned)RS_SCHEMA_VERSION,
               (unsigned long long)rs_schema_hash());
        return RS_EXIT_OK;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return RS_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (!strcmp(argv[1], cmds[i].name))
            return cmds[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "ringside: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return RS_EXIT_USAGE;
}
