/* ringside replay -- re-run a journal. Not built yet: filled in by issue #9. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside replay [options]\n  re-run a journal\n  (not built yet: issue #9)\n";

int rs_cmd_replay(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("replay", "issue #9");
}
