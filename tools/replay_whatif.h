/* tools/replay_whatif.h -- `ringside replay JOURNAL --what-if`: the
 * journal's market data and control inputs through stages rebuilt from
 * another config and/or other model files, the simulated venue in place of
 * the recorded venue, outputs journaled to a new journal, and a side-by-side
 * summary of the two sessions (docs/replay.md). */
#ifndef RS_TOOLS_REPLAY_WHATIF_H
#define RS_TOOLS_REPLAY_WHATIF_H

#include <stdbool.h>

/* Usage lines of the what-if mode (part of `ringside replay --help`). */
extern const char rs_replay_whatif_usage[];

/* `ringside replay ... --what-if ...`: argv as given to `replay` (argv[0] =
 * "replay"). Returns RS_EXIT_OK, RS_EXIT_FAIL (message on stderr) or
 * RS_EXIT_USAGE. */
int rs_replay_whatif_cmd(int argc, char **argv, const char *usage);

/* Replay-verify a journal with its embedded config and models (cmd_replay.c);
 * prints the report and verdict. Returns RS_EXIT_OK or RS_EXIT_FAIL. */
int rs_replay_verify_journal(const char *path, unsigned context, bool quiet);

#endif
