/* ringside journal prune: retention for the journal directory (see
 * tools/journal_prune.c and docs/journal.md, "Retention"). */
#ifndef RS_TOOLS_JOURNAL_PRUNE_H
#define RS_TOOLS_JOURNAL_PRUNE_H

/* argv[0] is "prune", the options follow. Returns an RS_EXIT_* code. */
int rs_journal_prune_cmd(int argc, char **argv);

#endif
