/* tools/cli.h -- shared conventions of the ringside subcommands.
 * Exit codes: 0 success, 1 runtime failure (message names what failed),
 * 2 usage error (usage on stderr) or "not built yet". */
#ifndef RS_TOOLS_CLI_H
#define RS_TOOLS_CLI_H

#include <stdbool.h>

#define RS_EXIT_OK 0
#define RS_EXIT_FAIL 1
#define RS_EXIT_USAGE 2

/* Each subcommand: argv[0] is the subcommand name. */
typedef int (*rs_cmd_fn)(int argc, char **argv);

int rs_cmd_run(int argc, char **argv);
int rs_cmd_record(int argc, char **argv);
int rs_cmd_replay(int argc, char **argv);
int rs_cmd_journal(int argc, char **argv);
int rs_cmd_model(int argc, char **argv);
int rs_cmd_features(int argc, char **argv);
int rs_cmd_feed(int argc, char **argv);
int rs_cmd_bench(int argc, char **argv);
int rs_cmd_report(int argc, char **argv);
int rs_cmd_venue_sim(int argc, char **argv);
int rs_cmd_top(int argc, char **argv);
int rs_cmd_ctl(int argc, char **argv);
int rs_cmd_config(int argc, char **argv);

/* True if argv holds -h or --help. */
bool rs_cli_wants_help(int argc, char **argv);
/* Print "ringside CMD: not built yet (...)" to stderr; returns 2. */
int rs_cli_not_built(const char *cmd, const char *what);
/* Print a usage error and the usage text to stderr; returns 2. */
int rs_cli_usage_error(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
