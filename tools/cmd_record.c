/* ringside record -- journal a running instance. Not built yet: filled in by issue #3. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside record [options]\n  journal a running instance\n  (not built yet: issue #3)\n";

int rs_cmd_record(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("record", "issue #3");
}
