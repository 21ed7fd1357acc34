/* ringside venue-sim dump -- write the synthetic market as Binance
 * public-data trade CSV files (one per symbol), so research tools and
 * `ringside features --trades` see exactly the market the simulator serves
 * (same generator, same seed). Used to train the bundled demo models. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "ringside/synth.h"

int rs_venue_sim_dump(int argc, char **argv);

static const char usage[] =
    "usage: ringside venue-sim dump --out DIR [--seed N] [--symbols N] [--hours H] [--start-ms MS] [--rate-scale X]\n"
    "  Write H hours of the synthetic market (default 240) as DIR/<SYMBOL>.csv in Binance's public-data\n"
    "  trade format: id,price,qty,quote_qty,time,is_buyer_maker,is_best_match (no header).\n";

int rs_venue_sim_dump(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    rs_synth_cfg cfg;
    rs_synth_cfg_default(&cfg);
    const char *out = NULL;
    double hours = 240;
    uint32_t nsyms = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--out") && i + 1 < argc) out = argv[++i];
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc) cfg.seed = strtoull(argv[++i], NULL, 10);
        else if (!strcmp(argv[i], "--symbols") && i + 1 < argc) nsyms = (uint32_t)atoi(argv[++i]);
        else if (!strcmp(argv[i], "--hours") && i + 1 < argc) hours = atof(argv[++i]);
        else if (!strcmp(argv[i], "--start-ms") && i + 1 < argc) cfg.start_ms = atoll(argv[++i]);
        else if (!strcmp(argv[i], "--rate-scale") && i + 1 < argc) cfg.rate_scale = atof(argv[++i]);
        else return rs_cli_usage_error(usage, "venue-sim dump: unknown option or missing value '%s'", argv[i]);
    }
    if (!out || hours <= 0)
        return rs_cli_usage_error(usage, "venue-sim dump: --out DIR is required and --hours must be > 0");
    rs_synth s;
    if (rs_synth_init(&s, &cfg) != 0) {
        fprintf(stderr, "ringside venue-sim dump: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    uint32_t n = s.cfg.nsyms;
    if (nsyms && nsyms < n)
        n = nsyms;
    if (mkdir(out, 0755) && errno != EEXIST) {
        fprintf(stderr, "ringside venue-sim dump: cannot create %s: %s\n", out, strerror(errno));
        return RS_EXIT_FAIL;
    }
    FILE *f[RS_SYNTH_MAX_SYMS] = {0};
    for (uint32_t i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s.csv", out, s.cfg.sym[i].name);
        if (!(f[i] = fopen(path, "w"))) {
            fprintf(stderr, "ringside venue-sim dump: cannot write %s: %s\n", path, strerror(errno));
            return RS_EXIT_FAIL;
        }
    }
    int64_t end_ms = s.cfg.start_ms + (int64_t)(hours * 3600e3);
    uint64_t count = 0;
    for (;;) {
        rs_synth_trade t;
        rs_synth_next(&s, &t);
        if (t.ts_ms >= end_ms)
            break;
        if (t.sym >= n)
            continue;
        const rs_synth_sym *sy = &s.cfg.sym[t.sym];
        char px[48], qty[48], qq[64];
        rs_synth_fmt_dec(t.px, sy->px_dec, 8, px, sizeof px);
        rs_synth_fmt_dec(t.qty, sy->qty_dec, 8, qty, sizeof qty);
        snprintf(qq, sizeof qq, "%.8f", atof(px) * atof(qty));
        fprintf(f[t.sym], "%llu,%s,%s,%s,%lld,%s,True\n", (unsigned long long)t.id, px, qty, qq, (long long)t.ts_ms,
                t.buyer_maker ? "True" : "False");
        count++;
    }
    for (uint32_t i = 0; i < n; i++)
        fclose(f[i]);
    printf("wrote %llu trades of %u symbols over %.0f h to %s/\n", (unsigned long long)count, n, hours, out);
    return RS_EXIT_OK;
}
