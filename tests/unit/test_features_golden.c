/* The features stage against TA-Lib: golden files in tests/golden/ were
 * produced by TA-Lib's C library (tools/gen_talib_goldens.sh). Bars are fed
 * as klines through the stage itself, so the check covers the layout, the
 * warm-up counts and the values of every TA-Lib indicator we publish. */
#include <math.h>

#include "features_testlib.h"
#include "testutil.h"

#define MAXROWS 512
#define MAXCOLS 24

typedef struct golden {
    int rows, cols;
    char names[MAXCOLS][32];
    double v[MAXROWS][MAXCOLS];
    bool has[MAXROWS][MAXCOLS];
    char ohlc[MAXROWS][4][24];
} golden;

static void load(golden *g, const char *file)
{
    size_t n;
    char *txt = rs_test_read_file(rs_test_src(file), &n);
    memset(g, 0, sizeof *g);
    char *save = NULL;
    int hdr = 0;
    for (char *line = strtok_r(txt, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (line[0] == '#')
            continue;
        int c = 0;
        char *p = line;
        if (!hdr) {
            for (char *tok = strsep(&p, ","); tok; tok = strsep(&p, ","), c++)
                snprintf(g->names[c], sizeof g->names[c], "%s", tok);
            g->cols = c;
            hdr = 1;
            continue;
        }
        int r = g->rows++;
        assert_true(r < MAXROWS);
        for (char *tok = strsep(&p, ","); tok; tok = strsep(&p, ","), c++) {
            if (c >= 1 && c <= 4)
                snprintf(g->ohlc[r][c - 1], sizeof g->ohlc[r][c - 1], "%s", tok);
            if (*tok) {
                g->v[r][c] = strtod(tok, NULL);
                g->has[r][c] = true;
            }
        }
    }
    free(txt);
}

static int64_t mant(const char *s)
{
    rs_i128 m;
    assert_int_equal(rs_dec_parse(s, strlen(s), 4, &m), 0);
    return (int64_t)m;
}

static void check_series(const char *file)
{
    static golden g;
    load(&g, file);
    assert_true(g.rows >= 100);
    rs_universe u;
    ft_universe(&u, 1, 4, 4);
    rs_features_params p;
    rs_features_params_default(&p);
    rs_features *f = ft_stage(&u, &p);

    size_t cap = 4u << 20;
    uint8_t *buf = malloc(cap);
    rs_emit_buf eb;
    rs_emit_buf_init(&eb, buf, cap, RS_STREAM_FEAT);
    for (int r = 0; r < g.rows; r++) {
        rs_bar b;
        rs_bar_open(&b, (int64_t)r * FT_BAR_NS, (int64_t)(r + 1) * FT_BAR_NS, 0, 0);
        b.open = mant(g.ohlc[r][0]);
        b.high = mant(g.ohlc[r][1]);
        b.low = mant(g.ohlc[r][2]);
        b.close = mant(g.ohlc[r][3]);
        b.volume = 10000;
        b.quote = (rs_i128)b.close * 10000;
        b.count = 1;
        assert_int_equal(rs_features_on_kline(f, 0, &b, &eb.e), RS_OK);
    }
    rs_ev_timer tm = ft_timer((int64_t)g.rows * FT_BAR_NS + 2000000000, 1);
    assert_int_equal(rs_features_on_event(f, &tm.h, &eb.e), RS_OK);

    /* golden column -> our feature index */
    int idx[MAXCOLS];
    for (int c = 5; c < g.cols; c++) {
        idx[c] = rs_features_index(f, g.names[c]);
        assert_true(idx[c] >= 0);
    }
    size_t off = 0;
    const rs_rec *rec;
    int row = 0, checked = 0;
    double worst = 0;
    while ((rec = rs_emit_buf_next(&eb, &off))) {
        if (rec->type != RS_EV_FEATURES)
            continue;
        const rs_ev_features *fe = (const rs_ev_features *)rec;
        assert_int_equal(fe->kind, 0);
        assert_int_equal(fe->bar_end_ns, (int64_t)(row + 1) * FT_BAR_NS);
        for (int c = 5; c < g.cols; c++) {
            uint32_t warm = rs_features_warmup(f, (uint32_t)idx[c]);
            /* warm-up agrees with TA-Lib's lookback: defined from the same bar */
            if (g.has[row][c] != ((uint32_t)row + 1 >= warm))
                fail_msg("%s: %s defined at row %d: talib %d, ours %d (warm %u)", file, g.names[c], row,
                         g.has[row][c], (uint32_t)row + 1 >= warm, warm);
            if (!g.has[row][c])
                continue;
            double a = fe->v[idx[c]], b = g.v[row][c];
            double tol = 1e-9 * fmax(1.0, fmax(fabs(a), fabs(b)));
            double err = fabs(a - b) / fmax(1.0, fmax(fabs(a), fabs(b)));
            if (err > worst)
                worst = err;
            if (!(fabs(a - b) <= tol))
                fail_msg("%s row %d %s: ours %.17g talib %.17g", file, row, g.names[c], a, b);
            checked++;
        }
        row++;
    }
    assert_int_equal(row, g.rows);
    printf("# %s: %d values checked, worst relative error %.3g\n", file, checked, worst);
    free(buf);
    rs_mem_free(f);
}

static void test_trend(void **s) { (void)s; check_series("tests/golden/talib_trend.csv"); }
static void test_meanrev(void **s) { (void)s; check_series("tests/golden/talib_meanrev.csv"); }
static void test_jumpflat(void **s) { (void)s; check_series("tests/golden/talib_jumpflat.csv"); }

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trend),
        cmocka_unit_test(test_meanrev),
        cmocka_unit_test(test_jumpflat),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
