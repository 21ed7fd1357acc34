/* ringside journal -- inspect journals. Not built yet: filled in by issue #3. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside journal [options]\n  inspect journals\n  (not built yet: issue #3)\n";

int rs_cmd_journal(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("journal", "issue #3");
}
