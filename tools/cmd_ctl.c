/* ringside ctl -- control a running instance through its region's control
 * block: kill, pause, resume, flatten, reload-model, stop, status, cleanup,
 * list. Commands go through the mailbox (rs_region_post_cmd) and wait for
 * the engine's acknowledgement, so the operator knows it was taken. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "region_view.h"
#include "ringside/event.h"
#include "ringside/region.h"
#include "ringside/runtime_counters.h"

static const char usage[] =
    "usage: ringside ctl COMMAND [--instance NAME] [ARG]\n"
    "  kill                 latch the kill switch: cancel all orders, flatten, stop trading\n"
    "  pause | resume       stop / resume opening positions\n"
    "  flatten              close every position (reduce-only), keep running\n"
    "  reload-model PATH    load, validate and atomically switch models (docs/runtime.md): PATH is an\n"
    "                       ensemble manifest or a directory holding ensemble.json (whole ensemble),\n"
    "                       NAME=MODEL.json (one horizon), or MODEL.json (the horizon named like it);\n"
    "                       waits for the outcome: exit 0 swapped, 1 refused (reason in the engine log)\n"
    "  stop                 clean stop (like SIGTERM)\n"
    "  status               print the instance's state\n"
    "  cleanup              remove the instance's region if its creator is dead\n"
    "  list                 list instances on this machine\n"
    "  --instance NAME      instance (default: ringside)\n"
    "  --timeout SEC        wait this long for the engine's acknowledgement (default 5)\n";

static int list_instances(void)
{
    DIR *d = opendir("/dev/shm");
    if (!d) {
        perror("ringside ctl list: /dev/shm");
        return RS_EXIT_FAIL;
    }
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "ringside.", 9))
            continue;
        rs_region r;
        memset(&r, 0, sizeof r);
        const char *inst = e->d_name + 9;
        int rc = rs_region_attach(&r, inst, true);
        if (rc) {
            printf("%-24s  unreadable: %s\n", inst, rs_err_msg());
        } else {
            printf("%-24s  pid %-8d %s\n", inst, r.hdr->creator_pid,
                   rs_region_creator_alive(r.hdr) ? "running" : "STALE (ringside ctl cleanup)");
            rs_region_detach(&r);
        }
        n++;
    }
    closedir(d);
    if (!n)
        printf("no instances\n");
    return RS_EXIT_OK;
}

int rs_cmd_ctl(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    const char *cmd = NULL, *inst = "ringside", *arg = NULL;
    double timeout = 5;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--instance") && i + 1 < argc)
            inst = argv[++i];
        else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
            timeout = atof(argv[++i]);
        else if (argv[i][0] == '-')
            return rs_cli_usage_error(usage, "ctl: unknown option '%s'", argv[i]);
        else if (!cmd)
            cmd = argv[i];
        else if (!arg)
            arg = argv[i];
        else
            return rs_cli_usage_error(usage, "ctl: unexpected argument '%s'", argv[i]);
    }
    if (!cmd)
        return rs_cli_usage_error(usage, "ctl: missing COMMAND");
    if (!strcmp(cmd, "list"))
        return list_instances();
    if (!strcmp(cmd, "cleanup")) {
        int rc = rs_region_cleanup(inst);
        if (rc < 0) {
            fprintf(stderr, "ringside ctl cleanup: %s\n", rs_err_msg());
            return RS_EXIT_FAIL;
        }
        printf(rc == 1 ? "removed stale region of instance %s\n" : "instance %s: nothing to clean up\n", inst);
        return RS_EXIT_OK;
    }
    static const struct { const char *name; uint32_t cmd; int needs_arg; } cmds[] = {
        {"kill", RS_CTL_KILL, 0},       {"pause", RS_CTL_PAUSE, 0},   {"resume", RS_CTL_RESUME, 0},
        {"flatten", RS_CTL_FLATTEN, 0}, {"reload-model", RS_CTL_RELOAD_MODEL, 1}, {"stop", RS_CTL_STOP, 0},
    };
    int found = -1;
    for (int i = 0; i < (int)(sizeof cmds / sizeof cmds[0]); i++)
        if (!strcmp(cmd, cmds[i].name))
            found = i;
    if (found < 0 && strcmp(cmd, "status"))
        return rs_cli_usage_error(usage, "ctl: unknown command '%s'", cmd);
    if (found >= 0 && cmds[found].needs_arg && !arg)
        return rs_cli_usage_error(usage, "ctl %s: missing argument", cmd);
    char absarg[PATH_MAX + 64];
    if (found >= 0 && cmds[found].cmd == RS_CTL_RELOAD_MODEL) {
        /* the engine resolves paths in its own working directory: send ours */
        const char *eq = strchr(arg, '=');
        size_t pre = eq && !memchr(arg, '/', (size_t)(eq - arg)) ? (size_t)(eq - arg) + 1 : 0;
        char abs[PATH_MAX];
        if (!realpath(arg + pre, abs)) {
            fprintf(stderr, "ringside ctl reload-model: %s: %s\n", arg + pre, strerror(errno));
            return RS_EXIT_FAIL;
        }
        snprintf(absarg, sizeof absarg, "%.*s%s", (int)pre, arg, abs);
        if (strlen(absarg) >= sizeof(((rs_region_ctl *)0)->arg)) {
            fprintf(stderr, "ringside ctl reload-model: path '%s' longer than %zu bytes\n", absarg,
                    sizeof(((rs_region_ctl *)0)->arg) - 1);
            return RS_EXIT_FAIL;
        }
        arg = absarg;
    }
    rs_region r;
    memset(&r, 0, sizeof r);
    if (rs_region_attach(&r, inst, !strcmp(cmd, "status")) != 0) {
        fprintf(stderr, "ringside ctl %s: %s\n", cmd, rs_err_msg());
        return RS_EXIT_FAIL;
    }
    if (!strcmp(cmd, "status")) {
        rs_region_print(stdout, &r, NULL, 0);
        rs_region_detach(&r);
        return RS_EXIT_OK;
    }
    if (cmds[found].cmd == RS_CTL_KILL)
        rs_store_release(&r.hdr->ctl.kill, 1u); /* latched even if the mailbox is slow; partner: engine acquire */
    /* reload-model: the acknowledgement only says the command was taken; the
     * supervisor then loads, validates and swaps -- report how that ended */
    bool reload = cmds[found].cmd == RS_CTL_RELOAD_MODEL;
    rs_atomic_u64 *cn = r.hdr->counters;
    uint64_t swaps0 = rs_load_relaxed(&cn[RS_CNT_MODEL_SWAPS]), refused0 = rs_load_relaxed(&cn[RS_CNT_MODEL_REFUSED]);
    int64_t seq = rs_region_post_cmd(&r, cmds[found].cmd, arg);
    if (seq < 0) {
        fprintf(stderr, "ringside ctl %s: %s\n", cmd, rs_err_msg());
        rs_region_detach(&r);
        return RS_EXIT_FAIL;
    }
    struct timespec t0, t1, d = {0, 10 * 1000 * 1000};
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        /* partner: the engine's release store of cmd_ack */
        if (!reload && (int64_t)rs_load_acquire(&r.hdr->ctl.cmd_ack) >= seq) {
            printf("instance %s: %s acknowledged (command #%lld)\n", inst, cmd, (long long)seq);
            rs_region_detach(&r);
            return RS_EXIT_OK;
        }
        if (reload && rs_load_relaxed(&cn[RS_CNT_MODEL_SWAPS]) != swaps0) {
            printf("instance %s: model swapped (command #%lld): model in use %016llx...\n", inst, (long long)seq,
                   (unsigned long long)rs_load_relaxed(&cn[RS_CNT_MODEL_SHA]));
            rs_region_detach(&r);
            return RS_EXIT_OK;
        }
        if (reload && rs_load_relaxed(&cn[RS_CNT_MODEL_REFUSED]) != refused0) {
            fprintf(stderr, "ringside ctl reload-model: instance %s refused %s; the current model stays in use "
                            "(the reason is in the engine's log and journaled as an alarm on ctl_model)\n",
                    inst, arg);
            rs_region_detach(&r);
            return RS_EXIT_FAIL;
        }
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if ((double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 > timeout)
            break;
        nanosleep(&d, NULL);
    }
    if (reload)
        fprintf(stderr, "ringside ctl reload-model: instance %s did not report the outcome within %.1f s (still "
                        "loading, or the swap waits behind a backlog: see `ringside ctl status`)\n", inst, timeout);
    else
        fprintf(stderr, "ringside ctl %s: instance %s did not acknowledge within %.1f s (engine stuck or not polling?)\n",
                cmd, inst, timeout);
    rs_region_detach(&r);
    return RS_EXIT_FAIL;
}
