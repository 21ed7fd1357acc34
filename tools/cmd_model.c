/* ringside model -- XGBoost models. Not built yet: filled in by issue #6. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside model [options]\n  XGBoost models\n  (not built yet: issue #6)\n";

int rs_cmd_model(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("model", "issue #6");
}
