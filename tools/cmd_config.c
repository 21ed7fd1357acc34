/* ringside config -- config files. Not built yet: filled in by issue #2. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside config [options]\n  config files\n  (not built yet: issue #2)\n";

int rs_cmd_config(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("config", "issue #2");
}
