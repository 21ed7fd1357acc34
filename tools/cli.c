#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

bool rs_cli_wants_help(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--"))
            break;
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
            return true;
    }
    return false;
}

int rs_cli_not_built(const char *cmd, const char *what)
{
    fprintf(stderr, "ringside %s: not built yet (%s)\n", cmd, what);
    return RS_EXIT_USAGE;
}

int rs_cli_usage_error(const char *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("ringside: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    fputs(usage, stderr);
    return RS_EXIT_USAGE;
}
