/* ringside top -- live view of an instance. Not built yet: filled in by issue #9. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside top [options]\n  live view of an instance\n  (not built yet: issue #9)\n";

int rs_cmd_top(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("top", "issue #9");
}
