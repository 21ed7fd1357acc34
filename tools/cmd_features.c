/* ringside features -- bars and features from CSV. Not built yet: filled in by issue #5. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside features [options]\n  bars and features from CSV\n  (not built yet: issue #5)\n";

int rs_cmd_features(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("features", "issue #5");
}
