/* ringside feed -- venue decoders. Not built yet: filled in by issue #4. */
#include <stdio.h>

#include "cli.h"

static const char usage[] = "usage: ringside feed [options]\n  venue decoders\n  (not built yet: issue #4)\n";

int rs_cmd_feed(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    return rs_cli_not_built("feed", "issue #4");
}
