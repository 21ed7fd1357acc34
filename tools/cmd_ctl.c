/* ringside ctl -- control a running instance. Not built yet: filled in by issue #9. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside ctl [options]\n  control a running instance\n  (not built yet: issue #9)\n";

int rs_cmd_ctl(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("ctl", "issue #9");
}
