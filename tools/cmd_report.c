/* ringside report -- performance report. Not built yet: filled in by issue #10. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside report [options]\n  performance report\n  (not built yet: issue #10)\n";

int rs_cmd_report(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("report", "issue #10");
}
