/* ringside model -- inspect XGBoost JSON models and predict from CSV rows. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ringside/mem.h"
#include "ringside/model.h"
#include "ringside/model_stage.h"

static const char usage[] =
    "usage: ringside model info M.json\n"
    "       ringside model predict --model M.json --csv rows.csv [--margin] [--isa scalar|avx2|avx512]\n"
    "                              [--single] [--kernel store|perm|gather] [--calib FILE [--calib-key K]]\n"
    "  info     objective, trees, depth histogram, features, SHA-256\n"
    "  predict  one prediction per CSV row, %.9g, in the model's output space (like XGBoost's\n"
    "           predict); --margin prints raw margins. The CSV header names the columns; model\n"
    "           features are matched by name (positionally if the model has none); other columns\n"
    "           are ignored; an empty cell is a missing value. Values are read as double\n"
    "           and rounded to float32 (as XGBoost does with float64 input).\n"
    "           --calib FILE [--calib-key K] applies a calibration (docs/model.md) to the output.\n"
    "           --isa forces an evaluation path (default: best for this CPU); --single evaluates\n"
    "           row by row instead of with the batch kernel; --kernel picks the variant of the\n"
    "           AVX-512 single-row block kernel (default: this CPU's, see `model info`; all give\n"
    "           the same results).\n";

static int cmd_info(const char *path)
{
    rs_model *m;
    if (rs_model_load(&m, path) < 0) {
        fprintf(stderr, "ringside model: %s\n", rs_err_msg());
        return RS_EXIT_FAIL;
    }
    rs_model_info in;
    rs_model_get_info(m, &in);
    char hex[65];
    rs_sha256_hex(in.sha256, hex);
    printf("file:        %s\n", in.path);
    printf("sha256:      %s\n", hex);
    printf("xgboost:     %u.%u.%u\n", in.version[0], in.version[1], in.version[2]);
    printf("objective:   %s\n", in.objective);
    printf("base_score:  %.9g (margin %.9g)\n", (double)in.base_score, (double)in.base_margin);
    printf("trees:       %u\n", in.n_trees);
    printf("nodes:       %llu\n", (unsigned long long)in.n_nodes);
    printf("max_depth:   %u\n", in.max_depth);
    printf("depth histogram (trees by depth):\n");
    for (int d = 0; d < 33; d++)
        if (in.depth_hist[d])
            printf("  %s%-3d %u\n", d == 32 ? ">=" : "", d, in.depth_hist[d]);
    printf("features:    %u%s\n", in.n_features, in.n_named ? "" : " (unnamed: matched by position)");
    for (uint32_t j = 0; j < in.n_named; j++)
        printf("  %4u %s\n", j, rs_model_feature_name(m, j));
    printf("isa:         %s\n", rs_model_isa_name(rs_model_get_isa(m)));
    if (rs_model_has_blk(m) && rs_model_get_kernel(m) && rs_model_get_isa(m) == RS_ISA_AVX512)
        printf("kernel:      blk(%s) (AVX-512 single row)\n", rs_model_kernel_name(rs_model_get_kernel(m)));
    rs_model_destroy(m);
    return RS_EXIT_OK;
}

/* Split a CSV line in place on commas (no quoting: feature CSVs carry plain
 * names and numbers). Returns the number of fields. */
static size_t split_csv(char *line, char **f, size_t max)
{
    size_t n = 0;
    char *p = line;
    for (;;) {
        if (n < max)
            f[n] = p;
        n++;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = 0;
        p = c + 1;
    }
    return n;
}

static void chomp(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = 0;
}

#define MAX_COLS 8192

static int cmd_predict(int argc, char **argv)
{
    const char *model = NULL, *csv = NULL, *isa_s = NULL, *kern_s = NULL, *calib = NULL, *calib_key = NULL;
    int margin = 0, single = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--model") && i + 1 < argc) model = argv[++i];
        else if (!strcmp(argv[i], "--csv") && i + 1 < argc) csv = argv[++i];
        else if (!strcmp(argv[i], "--isa") && i + 1 < argc) isa_s = argv[++i];
        else if (!strcmp(argv[i], "--kernel") && i + 1 < argc) kern_s = argv[++i];
        else if (!strcmp(argv[i], "--calib") && i + 1 < argc) calib = argv[++i];
        else if (!strcmp(argv[i], "--calib-key") && i + 1 < argc) calib_key = argv[++i];
        else if (!strcmp(argv[i], "--margin")) margin = 1;
        else if (!strcmp(argv[i], "--single")) single = 1;
        else return rs_cli_usage_error(usage, "model predict: unknown argument '%s'", argv[i]);
    }
    if (!model || !csv)
        return rs_cli_usage_error(usage, "model predict: --model and --csv are required");
    int isa = RS_ISA_AUTO;
    if (isa_s && (isa = rs_model_isa_parse(isa_s)) < 0)
        return rs_cli_usage_error(usage, "model predict: unknown --isa '%s'", isa_s);
    int kern = RS_KERNEL_AUTO;
    if (kern_s && (kern = rs_model_kernel_parse(kern_s)) < 0)
        return rs_cli_usage_error(usage, "model predict: unknown --kernel '%s'", kern_s);
    if (calib && margin)
        return rs_cli_usage_error(usage, "model predict: --calib applies to outputs, not --margin");
    rs_model *m = NULL;
    rs_calib *cal = NULL;
    FILE *fp = NULL;
    char *line = NULL, **hdr = NULL, **fld = NULL;
    uint32_t *idx = NULL;
    float *rows = NULL, *out = NULL;
    size_t cap = 0, nrows = 0, lcap = 0;
    int rc = RS_EXIT_FAIL;
    if (rs_model_load(&m, model) < 0 || rs_model_set_isa(m, isa) < 0 || rs_model_set_kernel(m, kern) < 0) {
        fprintf(stderr, "ringside model: %s\n", rs_err_msg());
        goto done;
    }
    if (calib && rs_calib_load(&cal, calib, calib_key) < 0) {
        fprintf(stderr, "ringside model: %s\n", rs_err_msg());
        goto done;
    }
    rs_model_info in;
    rs_model_get_info(m, &in);
    if (!(fp = fopen(csv, "r"))) {
        fprintf(stderr, "ringside model: %s: %s\n", csv, strerror(errno));
        goto done;
    }
    hdr = calloc(MAX_COLS, sizeof *hdr);
    fld = calloc(MAX_COLS, sizeof *fld);
    idx = calloc(in.n_features, sizeof *idx);
    if (!hdr || !fld || !idx)
        goto oom;
    if (getline(&line, &lcap, fp) < 0) {
        fprintf(stderr, "ringside model: %s: empty file (no header)\n", csv);
        goto done;
    }
    chomp(line);
    size_t ncol = split_csv(line, fld, MAX_COLS);
    if (ncol > MAX_COLS) {
        fprintf(stderr, "ringside model: %s:1: more than %d columns\n", csv, MAX_COLS);
        goto done;
    }
    for (size_t c = 0; c < ncol; c++)
        if (!(hdr[c] = strdup(fld[c])))
            goto oom;
    if (rs_model_map_features(m, (const char *const *)hdr, ncol, idx) < 0) {
        fprintf(stderr, "ringside model: %s: %s\n", csv, rs_err_msg());
        goto done;
    }
    /* column -> model feature (or -1: ignored) */
    int32_t *colf = calloc(ncol, sizeof *colf);
    if (!colf)
        goto oom;
    for (size_t c = 0; c < ncol; c++)
        colf[c] = -1;
    for (uint32_t j = 0; j < in.n_features; j++)
        colf[idx[j]] = (int32_t)j;
    size_t lineno = 1;
    while (getline(&line, &lcap, fp) >= 0) {
        lineno++;
        chomp(line);
        if (!line[0])
            continue;
        size_t n = split_csv(line, fld, MAX_COLS);
        if (n != ncol) {
            fprintf(stderr, "ringside model: %s:%zu: %zu fields, header has %zu\n", csv, lineno, n, ncol);
            free(colf);
            goto done;
        }
        if (nrows == cap) {
            cap = cap ? cap * 2 : 1024;
            float *nr = realloc(rows, cap * in.n_features * sizeof(float));
            if (!nr) {
                free(colf);
                goto oom;
            }
            rows = nr;
        }
        float *r = rows + nrows * in.n_features;
        for (size_t c = 0; c < ncol; c++) {
            if (colf[c] < 0)
                continue;
            const char *s = fld[c];
            float v = NAN;
            if (s[0]) {
                char *end;
                /* read as double, then round to float32: what XGBoost does
                 * with float64 input and what the model stage does with the
                 * features stage's doubles */
                v = (float)strtod(s, &end);
                if (end == s || *end) {
                    fprintf(stderr, "ringside model: %s:%zu: column \"%s\": \"%s\" is not a number\n", csv, lineno,
                            hdr[c], s);
                    free(colf);
                    goto done;
                }
            }
            r[colf[c]] = v;
        }
        nrows++;
    }
    free(colf);
    if (!(out = malloc((nrows ? nrows : 1) * sizeof(float))))
        goto oom;
    if (single)
        for (size_t i = 0; i < nrows; i++)
            out[i] = rs_model_predict_margin(m, rows + i * in.n_features);
    else
        rs_model_predict_margin_batch(m, rows, nrows, in.n_features, out);
    for (size_t i = 0; i < nrows; i++) {
        if (cal)
            printf("%.17g\n", rs_calib_apply(cal, (double)rs_model_transform(m, out[i])));
        else
            printf("%.9g\n", (double)(margin ? out[i] : rs_model_transform(m, out[i])));
    }
    rc = RS_EXIT_OK;
    goto done;
oom:
    fprintf(stderr, "ringside model: out of memory\n");
done:
    if (hdr)
        for (size_t c = 0; c < MAX_COLS; c++)
            free(hdr[c]);
    free(hdr);
    free(fld);
    free(idx);
    free(rows);
    free(out);
    free(line);
    if (fp)
        fclose(fp);
    rs_model_destroy(m);
    rs_calib_destroy(cal);
    return rc;
}

int rs_cmd_model(int argc, char **argv)
{
    if (rs_cli_wants_help(argc, argv)) {
        fputs(usage, stdout);
        return RS_EXIT_OK;
    }
    if (argc < 2)
        return rs_cli_usage_error(usage, "model: missing subcommand (info | predict)");
    if (!strcmp(argv[1], "info")) {
        if (argc != 3)
            return rs_cli_usage_error(usage, "model info: expected one model file");
        return cmd_info(argv[2]);
    }
    if (!strcmp(argv[1], "predict"))
        return cmd_predict(argc, argv);
    return rs_cli_usage_error(usage, "model: unknown subcommand '%s'", argv[1]);
}
