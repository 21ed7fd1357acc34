/* ringside top -- live view of a running instance: ring rates, depths, lags,
 * thread heartbeats, counters (positions, PnL, latency percentiles as the
 * runtime publishes them), refreshing in place. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "region_view.h"

static const char usage[] =
    "usage: ringside top [--instance NAME] [--interval SEC] [--once] [--count N]\n"
    "  --instance NAME   instance to watch (default: ringside)\n"
    "  --interval SEC    refresh period (default 1)\n"
    "  --once            print one snapshot without clearing the screen and exit\n"
    "  --count N         exit after N refreshes\n";

#include <stdatomic.h>

static atomic_int stop_flag;   /* lock-free atomics are async-signal-safe */
static void on_sig(int s) { (void)s; stop_flag = 1; }

int rs_cmd_top(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *inst = "ringside";
    double interval = 1.0;
    int once = 0;
    long count = -1;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--instance") && i + 1 < argc) inst = argv[++i];
        else if (!strcmp(argv[i], "--interval") && i + 1 < argc) interval = atof(argv[++i]);
        else if (!strcmp(argv[i], "--once")) once = 1;
        else if (!strcmp(argv[i], "--count") && i + 1 < argc) count = atol(argv[++i]);
        else return rs_cli_usage_error(usage, "top: unknown option '%s'", argv[i]);
    }
    if (interval <= 0)
        return rs_cli_usage_error(usage, "top: --interval must be > 0");
    rs_region r;
    memset(&r, 0, sizeof r);
    if (rs_region_attach(&r, inst, true) != 0) {
        fprintf(stderr, "ringside top: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    if (once) {
        rs_region_print(stdout, &r, NULL, 0);
        rs_region_detach(&r);
        return RS_EXIT_OK;
    }
    signal(SIGINT, on_sig);
    signal(SIGTERM, on_sig);
    rs_region_snap prev;
    rs_region_snap_take(&r, &prev);
    int tty = isatty(1);
    for (long n = 0; !stop_flag && (count < 0 || n < count); n++) {
        struct timespec d = {(time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9)};
        nanosleep(&d, NULL);
        rs_region_print(stdout, &r, &prev, tty);
        fflush(stdout);
        rs_region_snap_take(&r, &prev);
        if (!rs_region_creator_alive(r.hdr)) {
            printf("\ninstance %s: engine exited\n", inst);
            break;
        }
    }
    rs_region_detach(&r);
    return RS_EXIT_OK;
}
