/* ringside config -- validate a config file and show its effective values. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "ringside/common.h"
#include "ringside/config.h"

static const char usage[] =
    "usage: ringside config check [--quiet] [--check-files] FILE\n"
    "       ringside config keys\n"
    "\n"
    "  check FILE     validate FILE; print the effective config (every key, defaults\n"
    "                 filled in) as YAML on stdout. Problems go to stderr as\n"
    "                 FILE:LINE: key.path: reason  (exit 1).\n"
    "    -q, --quiet        print nothing on success\n"
    "    --check-files      also check that referenced files (models, calibrations,\n"
    "                       CA file, latency journal) are readable and that a\n"
    "                       secrets file is mode 0600\n"
    "  keys           print the reference of every key (markdown table: key, type,\n"
    "                 default, range, meaning), as in docs/config.md\n"
    "\n"
    "exit: 0 valid, 1 invalid or unreadable, 2 usage error\n";

static int cmd_check(int argc, char **argv)
{
    bool quiet = false;
    unsigned flags = 0;
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            if (i + 1 < argc && !file)
                file = argv[++i];
            if (i + 1 < argc)
                return rs_cli_usage_error(usage, "config check: one FILE only");
            break;
        }
        if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            quiet = true;
        else if (!strcmp(a, "--check-files"))
            flags |= RS_CFG_CHECK_FILES;
        else if (a[0] == '-' && a[1])
            return rs_cli_usage_error(usage, "config check: unknown option '%s'", a);
        else if (file)
            return rs_cli_usage_error(usage, "config check: one FILE only (got '%s' and '%s')", file, a);
        else
            file = a;
    }
    if (!file)
        return rs_cli_usage_error(usage, "config check: missing FILE");

    rs_config *cfg = NULL;
    int rc = rs_config_load_report(&cfg, file, stderr, flags);
    if (rc < 0) {
        /* Content problems were already printed one per line; an unreadable
         * file has only the message. */
        if (rc != -RS_EBADCFG)
            fprintf(stderr, "ringside config: %s\n", rs_err_msg());
        else
            fprintf(stderr, "ringside config: %s is not valid\n", file);
        return RS_EXIT_FAIL;
    }
    int wr = 0;
    if (!quiet)
        wr = rs_config_write_yaml(stdout, cfg);
    rs_config_destroy(cfg);
    if (wr < 0) {
        fprintf(stderr, "ringside config: writing to stdout failed\n");
        return RS_EXIT_FAIL;
    }
    return RS_EXIT_OK;
}

int rs_cmd_config(int argc, char **argv)
{
    if (argc < 2) {
        if (rs_cli_wants_help(argc, argv))
            return fputs(usage, stdout), RS_EXIT_OK;
        return rs_cli_usage_error(usage, "config: missing subcommand (check, keys)");
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    if (!strcmp(argv[1], "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "keys")) {
        if (argc > 2)
            return rs_cli_usage_error(usage, "config keys: unexpected argument '%s'", argv[2]);
        return rs_config_write_reference(stdout) < 0 ? RS_EXIT_FAIL : RS_EXIT_OK;
    }
    return rs_cli_usage_error(usage, "config: unknown subcommand '%s'", argv[1]);
}
