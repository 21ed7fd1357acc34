/* ringside venue-sim -- local TLS venue simulator. Not built yet: filled in by issue #4. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside venue-sim [options]\n  local TLS venue simulator\n  (not built yet: issue #4)\n";

int rs_cmd_venue_sim(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("venue-sim", "issue #4");
}
