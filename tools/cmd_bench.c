/* ringside bench NAME [--json] [--quick] [--cpus A,B] [--model F] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli.h"

static const struct {
    const char *name;
    int (*fn)(const rs_bench_opts *);
    const char *what;
} benches[] = {
    {"ring", rs_bench_ring, "SPSC ring latency/throughput vs ping-pong floor, ck_ring, mutex queue"},
    {"journal", rs_bench_journal, "recorder throughput, io_uring vs write(2)"},
    {"decode", rs_bench_decode, "venue decoders vs simdjson On-Demand"},
    {"feed", rs_bench_feed, "loopback TLS WebSocket feed"},
    {"features", rs_bench_features, "per-trade and bar-close feature updates"},
    {"model", rs_bench_model, "tree inference vs libxgboost"},
    {"exec", rs_bench_exec, "intent-to-wire and order round trip"},
    {"e2e", rs_bench_e2e, "tick-to-order through the whole pipeline"},
    {"gate", rs_bench_gate, "gate stage on_event (decision, mark) and the rolling quantile"},
};

static const char usage[] =
    "usage: ringside bench NAME|all [--json] [--quick] [--cpus A,B] [--model FILE]\n"
    "  --json      one JSON object per line per measured case\n"
    "  --quick     short runs (smoke test; figures are not representative)\n"
    "  --cpus A,B  cores for two-thread benches (default: 0,1)\n"
    "benches: ring journal decode feed features model exec e2e gate\n";

int rs_cmd_bench(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    if (argc < 2)
        return rs_cli_usage_error(usage, "bench: missing NAME");
    rs_bench_opts o = {.cpu_a = 0, .cpu_b = 1};
    const char *name = argv[1];
    int i = 2;
    for (; i < argc; i++) {
        if (!strcmp(argv[i], "--json")) o.json = true;
        else if (!strcmp(argv[i], "--quick")) o.quick = true;
        else if (!strcmp(argv[i], "--cpus") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d,%d", &o.cpu_a, &o.cpu_b) != 2)
                return rs_cli_usage_error(usage, "bench: --cpus takes A,B");
        } else if (!strcmp(argv[i], "--model") && i + 1 < argc) o.model = argv[++i];
        else if (!strcmp(argv[i], "--")) { i++; break; }
        else if (argv[i][0] == '-')
            return rs_cli_usage_error(usage, "bench: unknown option '%s'", argv[i]);
        else break;
    }
    o.argc = argc - i;
    o.argv = argv + i;
    int rc = 0, any = 0;
    for (size_t b = 0; b < sizeof benches / sizeof benches[0]; b++) {
        if (strcmp(name, "all") && strcmp(name, benches[b].name))
            continue;
        any = 1;
        int r = benches[b].fn(&o);
        if (r == 1) rc = 1;
        else if (r == 2 && strcmp(name, "all")) rc = 2;
    }
    if (!any)
        return rs_cli_usage_error(usage, "bench: unknown bench '%s'", name);
    return rc;
}
