/* Config loading: the demo file, defaults, the exact "file:line: key.path:
 * reason" of every error class, cross-field rules, the effective-config
 * writer (round trip), the instrument universe, and that every key in the
 * schema is documented. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../core/config_internal.h"
#include "ringside/config.h"
#include "testutil.h"

/* A small valid config; error cases append to it (line 12 onwards) or
 * replace it. Line numbers below depend on it: keep it as is. */
static const char BASE[] =
    "instance: t\n"                                                                 /* 1 */
    "feed:\n"                                                                       /* 2 */
    "  url: wss://127.0.0.1:9443/stream\n"                                          /* 3 */
    "instruments:\n"                                                                /* 4 */
    "  - {symbol: BTCUSDT, px_exp: 2, qty_exp: 5, tick: \"0.01\", lot: \"0.00001\"}\n" /* 5 */
    "  - {symbol: ethusdt, px_exp: 2, qty_exp: 4, tick: \"0.01\", lot: \"0.0001\"}\n"  /* 6 */
    "model:\n"                                                                      /* 7 */
    "  models:\n"                                                                   /* 8 */
    "    - {path: m1.json, horizon_bars: 1}\n"                                      /* 9 */
    "exec:\n"                                                                       /* 10 */
    "  mode: paper\n";                                                              /* 11 */

/* Parse text; on failure return the first reported line (static). */
static const char *first_error(const char *text, int *rc_out)
{
    static char line[1024];
    char *out = NULL;
    size_t outn = 0;
    FILE *errs = open_memstream(&out, &outn);
    assert_non_null(errs);
    rs_config *cfg = NULL;
    int rc = rs_config_parse_report(&cfg, "t.yml", text, strlen(text), errs, 0);
    fclose(errs);
    if (rc_out)
        *rc_out = rc;
    line[0] = '\0';
    if (out) {
        size_t n = strcspn(out, "\n");
        snprintf(line, sizeof line, "%.*s", (int)n, out);
    }
    free(out);
    if (rc == 0) {
        assert_non_null(cfg);
        rs_config_destroy(cfg);
    } else {
        assert_null(cfg);
    }
    return line;
}

static void expect_err(const char *text, const char *want)
{
    int rc = 0;
    const char *got = first_error(text, &rc);
    if (rc != -RS_EBADCFG || strcmp(got, want)) {
        print_error("yaml:\n%s\nwant: %s\n got: %s (rc %d)\n", text, want, got, rc);
        fail();
    }
}

static void expect_err_base(const char *extra, const char *want)
{
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", BASE, extra);
    expect_err(buf, want);
}

static rs_config *parse_ok(const char *text)
{
    rs_config *cfg = NULL;
    int rc = rs_config_parse(&cfg, "t.yml", text, strlen(text));
    if (rc != 0) {
        print_error("unexpected error: %s\n", rs_err_msg());
        fail();
    }
    return cfg;
}

/* ---- good files ------------------------------------------------------------------ */

static void test_demo_loads(void **s)
{
    (void)s;
    rs_config *cfg = NULL;
    const char *path = rs_test_src("configs/demo.yml");
    int rc = rs_config_load(&cfg, path);
    if (rc)
        print_error("%s\n", rs_err_msg());
    assert_int_equal(rc, 0);
    assert_string_equal(cfg->instance, "demo");
    assert_int_equal(cfg->instruments_count, 4);
    assert_string_equal(cfg->instruments[3].symbol, "BNBUSDT");
    assert_int_equal(cfg->engine.threads_count, 2);
    assert_int_equal(cfg->engine.threads[0].idle, RS_IDLE_BACKOFF);
    assert_int_equal(rs_config_stage_thread(cfg, RS_STAGE_FEED), 0);
    assert_int_equal(rs_config_stage_thread(cfg, RS_STAGE_GATE), 1);
    assert_int_equal(rs_config_ring_bytes(cfg, RS_STREAM_MD), cfg->rings.md_bytes);
    assert_int_equal(rs_config_ring_bytes(cfg, RS_STREAM_RAW), cfg->rings.raw_bytes);
    assert_int_equal(rs_config_ring_bytes(cfg, 0), 0);
    assert_string_equal(cfg->feed.tls.ca_file, "certs/ca.pem");
    assert_true(cfg->feed.url_parsed.tls);
    assert_string_equal(cfg->feed.url_parsed.host, "127.0.0.1");
    assert_int_equal(cfg->feed.url_parsed.port, 9443);
    assert_string_equal(cfg->feed.url_parsed.path, "/stream");
    assert_true(cfg->exec.rest_url_parsed.set);
    assert_string_equal(cfg->exec.rest_url_parsed.path, "/");
    assert_int_equal(cfg->model.models_count, 3);
    assert_true(cfg->gate.quantile == 0.7);
    assert_string_equal(cfg->venue_sim.listen_host, "127.0.0.1");
    assert_int_equal(cfg->venue_sim.listen_port, 9443);
    assert_int_equal(cfg->venue_sim.seed, 7);
    /* raw bytes are the file's, byte for byte */
    size_t n = 0;
    char *bytes = rs_test_read_file(path, &n);
    assert_int_equal(cfg->raw_len, n);
    assert_memory_equal(cfg->raw, bytes, n);
    free(bytes);
    rs_config_destroy(cfg);
}

static void test_profiles_load(void **s)
{
    (void)s;
    const char *files[] = {"configs/colo.yml", "configs/binance-testnet.yml"};
    for (size_t i = 0; i < RS_ARRAY_LEN(files); i++) {
        rs_config *cfg = NULL;
        int rc = rs_config_load(&cfg, rs_test_src(files[i]));
        if (rc)
            print_error("%s\n", rs_err_msg());
        assert_int_equal(rc, 0);
        rs_config_destroy(cfg);
    }
}

static void test_defaults(void **s)
{
    (void)s;
    rs_config *cfg = parse_ok(BASE);
    const rs_config *d = rs_config_defaults();
    /* whole absent sections are exactly the defaults */
    assert_memory_equal(&cfg->engine, &d->engine, sizeof cfg->engine);
    assert_memory_equal(&cfg->rings, &d->rings, sizeof cfg->rings);
    assert_memory_equal(&cfg->recorder, &d->recorder, sizeof cfg->recorder);
    assert_memory_equal(&cfg->gate, &d->gate, sizeof cfg->gate);
    assert_memory_equal(&cfg->risk, &d->risk, sizeof cfg->risk);
    assert_memory_equal(&cfg->log, &d->log, sizeof cfg->log);
    /* a few by value, so a careless default change is seen in review */
    assert_int_equal(cfg->rings.md_bytes, 4u << 20);
    assert_int_equal(cfg->engine.threads_count, 2);
    assert_int_equal(cfg->engine.threads[0].stages, RS_STAGE_FEED | RS_STAGE_EXEC);
    assert_true(cfg->gate.z_threshold == 1.0);
    assert_int_equal(cfg->risk.max_consecutive_rejects, 5);
    assert_int_equal(cfg->features.bar_seconds, 300);
    assert_int_equal(cfg->features.ema_periods_count, 1);
    assert_int_equal(cfg->features.ema_periods[0], 10);
    assert_true(cfg->feed.tls.verify);
    assert_int_equal(cfg->feed.streams, RS_FEED_TRADE | RS_FEED_BOOK_TICKER);
    /* partly given section: given keys kept, others defaulted */
    assert_int_equal(cfg->exec.mode, RS_EXEC_PAPER);
    assert_int_equal(cfg->exec.order_timeout_ms, d->exec.order_timeout_ms);
    assert_true(cfg->exec.tls.verify);
    /* entry defaults inside a given list */
    assert_true(cfg->model.models[0].weight == 1.0);
    assert_string_equal(cfg->model.models[0].name, "h1");
    assert_string_equal(cfg->instruments[0].min_qty, "0.00001");
    assert_int_equal(cfg->instruments[0].min_qty_fp, 1);
    /* derived values */
    assert_string_equal(cfg->instruments[1].symbol, "ETHUSDT");
    assert_int_equal(cfg->instruments[0].tick_fp, 1);
    assert_int_equal(cfg->instruments[1].lot_fp, 1);
    assert_string_equal(cfg->features.ref_symbol, "BTCUSDT");
    rs_config_destroy(cfg);
}

static void test_thread_entry_defaults(void **s)
{
    (void)s;
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", BASE,
             "engine:\n"
             "  threads:\n"
             "    - {stages: [feed, features, model, gate, exec], cpu: 3, idle: spin}\n");
    rs_config *cfg = parse_ok(buf);
    assert_int_equal(cfg->engine.threads_count, 1);
    assert_string_equal(cfg->engine.threads[0].name, "t0");
    assert_int_equal(cfg->engine.threads[0].cpu, 3);
    assert_int_equal(cfg->engine.threads[0].idle, RS_IDLE_SPIN);
    assert_int_equal(cfg->engine.threads[0].backoff_max_us, 1000);
    assert_int_equal(cfg->engine.threads[0].stages, RS_STAGE_ALL);
    assert_true(cfg->engine.prefault);
    rs_config_destroy(cfg);
}

/* write -> parse gives the identical config (every key, exact doubles) */
static void roundtrip(const char *text)
{
    rs_config *a = parse_ok(text);
    char *out = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&out, &n);
    assert_int_equal(rs_config_write_yaml(f, a), 0);
    fclose(f);
    rs_config *b = NULL;
    int rc = rs_config_parse(&b, "written.yml", out, n);
    if (rc) {
        print_error("re-parse failed: %s\n%s\n", rs_err_msg(), out);
        fail();
    }
    assert_memory_equal(a, b, offsetof(rs_config, source));
    /* and writing again gives the same bytes (apart from the source line) */
    char *out2 = NULL;
    size_t n2 = 0;
    f = open_memstream(&out2, &n2);
    assert_int_equal(rs_config_write_yaml(f, b), 0);
    fclose(f);
    assert_string_equal(strchr(out, '\n'), strchr(out2, '\n'));
    free(out);
    free(out2);
    rs_config_destroy(a);
    rs_config_destroy(b);
}

static void test_roundtrip(void **s)
{
    (void)s;
    roundtrip(BASE);
    size_t n = 0;
    char *demo = rs_test_read_file(rs_test_src("configs/demo.yml"), &n);
    roundtrip(demo);
    free(demo);
    char buf[4096];
    snprintf(buf, sizeof buf, "%s%s", BASE,
             "  sim:\n"
             "    latency_us: 0.1234567890123456789\n"
             "    maker_fee_bps: -1e-3\n"
             "    seed: 18446744073709551615\n"
             "    latency_journal: \"odd: path #with 'quotes' \\\" and \\\\ \"\n"
             "    faults: {clock_skew_ms: -250}\n"
             "gate:\n"
             "  capital: 1e15\n"
             "  guard_pct: 0\n"
             "  cost_bps: 3.3333333333333335\n"
             "engine:\n"
             "  threads:\n"
             "    - {name: a, stages: [exec, feed], cpu: auto}\n"
             "    - {name: b, stages: [gate, model, features], cpu: 1023}\n"
             "features:\n"
             "  ema_periods: []\n"
             "  rv_windows: [5, 7]\n");
    roundtrip(buf);
}

static void test_universe(void **s)
{
    (void)s;
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", BASE, "features: {ref_symbol: ethusdt}\n");
    rs_config *cfg = parse_ok(buf);
    static rs_universe u;
    assert_int_equal(rs_config_universe(cfg, &u), 0);
    assert_int_equal(u.n, 2);
    assert_int_equal(u.ref_sym, 1);
    assert_string_equal(u.ins[1].symbol, "ETHUSDT");
    assert_int_equal(u.ins[0].px_exp, 2);
    assert_int_equal(u.ins[0].qty_exp, 5);
    assert_int_equal(u.ins[0].tick, 1);
    assert_int_equal(u.ins[0].lot, 1);
    assert_int_equal(u.ins[0].venue, RS_VENUE_BINANCE);
    assert_int_equal(rs_universe_find(&u, "btcusdt", 7), 0);
    rs_config_destroy(cfg);
}

static void test_load_errors(void **s)
{
    (void)s;
    rs_config *cfg = (rs_config *)1;
    int rc = rs_config_load(&cfg, "/nonexistent/ringside.yml");
    assert_int_equal(rc, -ENOENT);
    assert_null(cfg);
    assert_non_null(strstr(rs_err_msg(), "/nonexistent/ringside.yml"));
    /* the one-line message of rs_config_parse names file, line, key */
    char buf[2048];
    snprintf(buf, sizeof buf, "%sgate:\n  z_threshold: nan\n", BASE);
    rc = rs_config_parse(&cfg, "configs/demo.yml", buf, strlen(buf));
    assert_int_equal(rc, -RS_EBADCFG);
    assert_string_equal(rs_err_msg(), "configs/demo.yml:13: gate.z_threshold: must be finite (got 'nan')");
    /* several problems: the first, and how many more */
    snprintf(buf, sizeof buf, "%sgate:\n  z_threshold: nan\n  cost_bps: -1\n", BASE);
    rc = rs_config_parse(&cfg, "x.yml", buf, strlen(buf));
    assert_int_equal(rc, -RS_EBADCFG);
    assert_string_equal(rs_err_msg(), "x.yml:13: gate.z_threshold: must be finite (got 'nan') (and 1 more problem)");
}

/* ---- every error class -------------------------------------------------------------- */

static void test_err_unknown_key(void **s)
{
    (void)s;
    expect_err_base("gate:\n  z_threshold: 2\n  bogus: 1\n", "t.yml:14: gate.bogus: unknown key");
    expect_err_base("gate:\n  z_treshold: 2\n", "t.yml:13: gate.z_treshold: unknown key (did you mean 'z_threshold'?)");
    expect_err_base("colour: red\n", "t.yml:12: colour: unknown key");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed, features, model, gate, exec], cpus: 2}\n",
                    "t.yml:14: engine.threads[0].cpus: unknown key (did you mean 'cpu'?)");
    expect_err_base("  api_key: abc\n",
                    "t.yml:12: exec.api_key: secrets never belong in the config file: put them in a 0600 file "
                    "(exec.secrets.file) or the environment (exec.secrets.key_env and the secret variables)");
}

static void test_err_wrong_type(void **s)
{
    (void)s;
    expect_err_base("rings:\n  md_bytes: lots\n", "t.yml:13: rings.md_bytes: expected a non-negative integer, got 'lots'");
    expect_err_base("rings:\n  md_bytes: 4MiB\n", "t.yml:13: rings.md_bytes: expected a non-negative integer, got '4MiB'");
    expect_err_base("rings:\n  md_bytes: 1.5\n", "t.yml:13: rings.md_bytes: expected a non-negative integer, got '1.5'");
    expect_err_base("gate:\n  z_threshold: high\n", "t.yml:13: gate.z_threshold: expected a number, got 'high'");
    expect_err_base("gate:\n  z_threshold: [1, 2]\n", "t.yml:13: gate.z_threshold: expected a number, got a list");
    expect_err_base("gate:\n  z_threshold:\n    a: 1\n", "t.yml:14: gate.z_threshold: expected a number, got a mapping");
    expect_err_base("gate:\n  allow_short: maybe\n",
                    "t.yml:13: gate.allow_short: expected a boolean (true or false), got 'maybe'");
    expect_err_base("gate: 3\n", "t.yml:12: gate: expected a mapping (key: value lines), got a scalar");
    expect_err_base("gate:\n", "t.yml:12: gate: expected a mapping (key: value lines), got an empty value");
    expect_err_base("risk:\n  md_stale_ms:\n", "t.yml:13: risk.md_stale_ms: missing value (expected a non-negative integer)");
    expect_err_base("risk:\n  md_stale_ms: ~\n",
                    "t.yml:13: risk.md_stale_ms: null is not allowed here (expected a non-negative integer)");
    expect_err_base("engine:\n  threads: {name: a}\n", "t.yml:13: engine.threads: expected a list, got a mapping");
    expect_err_base("engine:\n  threads:\n    - {stages: feed}\n",
                    "t.yml:14: engine.threads[0].stages: expected a list such as [feed, features], got a scalar");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed, bars]}\n",
                    "t.yml:14: engine.threads[0].stages: 'bars' is not one of: feed, features, model, gate, exec");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed, feed]}\n",
                    "t.yml:14: engine.threads[0].stages: 'feed' listed twice");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed], idle: sleepy}\n",
                    "t.yml:14: engine.threads[0].idle: must be one of: spin, spin_yield, backoff (got 'sleepy')");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed], cpu: fast}\n",
                    "t.yml:14: engine.threads[0].cpu: must be none, auto, or a number (got 'fast')");
    expect_err_base("features:\n  ema_periods: [10, x]\n",
                    "t.yml:13: features.ema_periods[1]: expected a non-negative integer, got 'x'");
    expect_err_base("instance2: a\n", "t.yml:12: instance2: unknown key (did you mean 'instance'?)");
    expect_err_base("? [a]\n: 1\n", "t.yml:12: keys must be plain words, got a list");
}

static void test_err_missing_required(void **s)
{
    (void)s;
    expect_err("feed: {url: wss://x/}\ninstruments: [{symbol: A, px_exp: 1, qty_exp: 1, tick: '1', lot: '1'}]\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\n",
               "t.yml:1: instance: missing required key");
    expect_err("instance: a\nfeed: {}\ninstruments: [{symbol: A, px_exp: 1, qty_exp: 1, tick: '1', lot: '1'}]\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\n",
               "t.yml:2: feed.url: missing required key");
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 1, qty_exp: 1, tick: '1', lot: '1'}\n"
               "  - {symbol: B, px_exp: 1, qty_exp: 1, lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\n",
               "t.yml:5: instruments[1].tick: missing required key");
    expect_err("instance: a\nfeed: {url: wss://x/}\ninstruments: [{symbol: A, px_exp: 1, qty_exp: 1, tick: '1', lot: '1'}]\n"
               "model:\n  z_window: 10\n",
               "t.yml:4: model.models: missing required key");
    expect_err("instance: a\nfeed: {url: wss://x/}\ninstruments: []\nmodel: {models: [{path: m, horizon_bars: 1}]}\n",
               "t.yml:3: instruments: needs at least 1 entry (got 0)");
    expect_err("instance: ''\nfeed: {url: wss://x/}\ninstruments: [{symbol: A, px_exp: 1, qty_exp: 1, tick: '1', lot: '1'}]\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\n",
               "t.yml:1: instance: must not be empty (got '')");
}

static void test_err_range(void **s)
{
    (void)s;
    /* negative size */
    expect_err_base("rings:\n  md_bytes: -4096\n", "t.yml:13: rings.md_bytes: must be >= 0 (got '-4096')");
    /* NaN / infinity, in every spelling */
    expect_err_base("gate:\n  z_threshold: .nan\n", "t.yml:13: gate.z_threshold: must be finite (got '.nan')");
    expect_err_base("gate:\n  z_threshold: NaN\n", "t.yml:13: gate.z_threshold: must be finite (got 'NaN')");
    expect_err_base("gate:\n  z_threshold: -.inf\n", "t.yml:13: gate.z_threshold: must be finite (got '-.inf')");
    expect_err_base("gate:\n  z_threshold: 1e999\n", "t.yml:13: gate.z_threshold: must be finite (got '1e999')");
    /* zero where forbidden */
    expect_err_base("gate:\n  z_threshold: 0\n", "t.yml:13: gate.z_threshold: must be > 0 (got 0)");
    expect_err_base("feed2: 1\n", "t.yml:12: feed2: unknown key (did you mean 'feed'?)");
    expect_err_base("engine:\n  heartbeat_ms: 0\n", "t.yml:13: engine.heartbeat_ms: must be >= 1 and <= 60000 (got 0)");
    /* power of two */
    expect_err_base("rings:\n  md_bytes: 1000000\n", "t.yml:13: rings.md_bytes: must be a power of two (got 1000000)");
    expect_err_base("rings:\n  md_bytes: 65536\n",
                    "t.yml:13: rings.md_bytes: must be >= 131072 and <= 2147483648 (got 65536)");
    /* bounds and integer widths */
    expect_err_base("gate:\n  quantile: 1\n", "t.yml:13: gate.quantile: must be > 0.5 and < 1 (got 1)");
    expect_err_base("gate:\n  max_weight: 1.5\n", "t.yml:13: gate.max_weight: must be > 0 and <= 1 (got 1.5)");
    expect_err_base("risk:\n  md_stale_ms: 99999999999\n",
                    "t.yml:13: risk.md_stale_ms: out of range for its type (got '99999999999')");
    expect_err_base("risk:\n  md_stale_ms: 0100\n",
                    "t.yml:13: risk.md_stale_ms: leading zeros are not allowed (they would read as octal) (got '0100')");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed], cpu: 5000}\n",
                    "t.yml:14: engine.threads[0].cpu: must be none, auto, or a number between 0 and 1023 (got 5000)");
    expect_err_base("features:\n  ema_periods: [0]\n",
                    "t.yml:13: features.ema_periods[0]: must be >= 1 and <= 10000 (got 0)");
    expect_err_base("features:\n  ema_periods: [1, 2, 3, 4, 5, 6, 7, 8, 9]\n",
                    "t.yml:13: features.ema_periods: at most 8 entries allowed (got 9)");
    expect_err_base("  sim: {faults: {clock_skew_ms: -99999999}}\n",
                    "t.yml:12: exec.sim.faults.clock_skew_ms: must be >= -3600000 and <= 3600000 (got -99999999)");
    char longdir[300], buf[2048];
    memset(longdir, 'a', 256);
    longdir[256] = '\0';
    snprintf(buf, sizeof buf, "recorder:\n  journal_dir: %s\n", longdir);
    expect_err_base(buf, "t.yml:13: recorder.journal_dir: longer than 255 bytes");
    longdir[255] = '\0';   /* exactly the limit is fine */
    snprintf(buf, sizeof buf, "%srecorder:\n  journal_dir: %s\n", BASE, longdir);
    rs_config_destroy(parse_ok(buf));
}

static void test_err_syntax(void **s)
{
    (void)s;
    expect_err_base("gate:\n  z_threshold: 1\n  z_threshold: 2\n",
                    "t.yml:14: gate.z_threshold: duplicate key (first given on line 13)");
    expect_err_base("gate: [1, 2\n", "t.yml:13: YAML syntax error: did not find expected ',' or ']' while parsing a flow sequence");
    expect_err("", "t.yml:1: empty config (expected a mapping of sections)");
    expect_err("# only a comment\n", "t.yml:1: empty config (expected a mapping of sections)");
    expect_err("- a\n- b\n", "t.yml:1: expected a mapping (key: value lines), got a list");
    char buf[2048];
    snprintf(buf, sizeof buf, "%s---\ninstance: u\n", BASE);
    expect_err(buf, "t.yml:13: only one YAML document is allowed (found a second '---')");
}

static void test_err_cross_field(void **s)
{
    (void)s;
    expect_err_base("engine:\n  threads:\n    - {stages: [feed, features, model, gate]}\n",
                    "t.yml:13: engine.threads: stage 'exec' is not run by any thread");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed, features, model, gate, exec]}\n    - {stages: [gate]}\n",
                    "t.yml:15: engine.threads[1].stages: stage 'gate' is already run by engine.threads[0]");
    expect_err_base("engine:\n  threads:\n    - {stages: [feed, features, model, gate, exec]}\n    - {stages: []}\n",
                    "t.yml:15: engine.threads[1].stages: must list at least one stage");
    expect_err_base("features:\n  macd_fast: 30\n", "t.yml:13: features.macd_fast: must be < features.macd_slow (26)");
    expect_err_base("features:\n  bar_seconds: 7\n",
                    "t.yml:13: features.bar_seconds: must divide 86400 (bars align to UTC days; got 7)");
    expect_err_base("features:\n  timer_grace_ms: 300000\n",
                    "t.yml:13: features.timer_grace_ms: must be < features.bar_seconds (300 s = 300000 ms)");
    expect_err_base("risk:\n  max_orders_per_min: 5000\n",
                    "t.yml:13: risk.max_orders_per_min: must be <= 1024 (the rate limiter's window)");
    expect_err_base("features:\n  rv_windows: [12, 48, 12]\n",
                    "t.yml:13: features.rv_windows[2]: duplicate period 12 (already at index 0)");
    expect_err_base("features: {ref_symbol: DOGEUSDT}\n", "t.yml:12: features.ref_symbol: DOGEUSDT is not in instruments");
    expect_err_base("risk:\n  drawdown_recovery_pct: 6\n",
                    "t.yml:13: risk.drawdown_recovery_pct: must be < risk.drawdown_limit_pct (5)");
    expect_err_base("feed2: 1\n", "t.yml:12: feed2: unknown key (did you mean 'feed'?)");
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 1, tick: '0.015', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:4: instruments[0].tick: '0.015' has more decimals than the exponent allows (px_exp 2)");
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 1, tick: '0', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:4: instruments[0].tick: '0' must be > 0 (px_exp 2)");
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '0.02', min_qty: '0.03'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:4: instruments[0].min_qty: '0.03' is not a multiple of lot '0.02'");
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "  - {symbol: a, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:5: instruments[1].symbol: duplicate symbol A (already instruments[0])");
    expect_err("instance: a\nfeed: {url: https://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:2: feed.url: 'https://x/' scheme must be wss:// or ws://");
    expect_err("instance: a b\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:1: instance: 'a b': only letters, digits, '_' and '-' are allowed");
    /* live mode: the order endpoints become required; the line is the
     * section's, because the key is absent */
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec:\n  mode: live\n  rest_url: https://x\n",
               "t.yml:6: exec.ws_api_url: required when exec.mode is live");
    expect_err_base("model2: 1\n", "t.yml:12: model2: unknown key (did you mean 'model'?)");
    expect_err("instance: a\nfeed:\n  url: wss://x/\n  tls: {system_ca: false}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:4: feed.tls.system_ca: false needs feed.tls.ca_file: nothing would be trusted");
    expect_err("instance: a\nfeed:\n  url: wss://x/\n  lifetime_s: 600\n  rotate_margin_s: 400\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n",
               "t.yml:5: feed.rotate_margin_s: must be at most half of feed.lifetime_s (600)");
    expect_err_base("gate:\n  vote_k: 2\n  vote_min: 3\n", "t.yml:14: gate.vote_min: must be <= gate.vote_k (2)");
    expect_err_base("risk:\n  drawdown_kill_pct: 4\n",
                    "t.yml:13: risk.drawdown_kill_pct: must be 0 (off) or > risk.drawdown_limit_pct (5)");
    expect_err_base("  sim: {latency_model: uniform, latency_min_us: 10, latency_max_us: 5}\n",
                    "t.yml:12: exec.sim.latency_max_us: must be >= exec.sim.latency_min_us (10)");
    expect_err_base("  sim: {latency_model: sequence}\n",
                    "t.yml:12: exec.sim.latency_journal: required when exec.sim.latency_model is table or sequence");
    expect_err_base("venue_sim: {listen: localhost}\n",
                    "t.yml:12: venue_sim.listen: 'localhost' must be host:port (port 1..65535)");
    expect_err_base("venue_sim: {surge_symbol: doge}\n", "t.yml:12: venue_sim.surge_symbol: DOGE is not in instruments");
    expect_err_base("venue_sim:\n  source: csv\n", "t.yml:12: venue_sim.csv_dir: required when venue_sim.source is csv");
    expect_err("instance: a\nfeed: {url: wss://x/}\n"
               "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
               "model:\n  models:\n    - {path: m, horizon_bars: 1, weight: 0}\n"
               "exec: {mode: paper}\n",
               "t.yml:6: model.models: the weights must sum to more than 0");
}

static void test_warnings(void **s)
{
    (void)s;
    const char *text =
        "instance: a\nfeed:\n  url: wss://x/\n  tls: {verify: false}\n"
        "instruments:\n  - {symbol: A, px_exp: 2, qty_exp: 2, tick: '0.01', lot: '1'}\n"
        "model: {models: [{path: m, horizon_bars: 1}]}\nexec: {mode: paper}\n";
    int rc = 0;
    const char *got = first_error(text, &rc);
    assert_int_equal(rc, 0);   /* a warning does not fail */
    assert_string_equal(got, "t.yml:4: feed.tls.verify: warning: certificate verification is OFF: "
                             "anyone on the path can impersonate the venue");
    char buf[2048];
    snprintf(buf, sizeof buf, "%s%s", BASE,
             "engine:\n  threads:\n    - {stages: [feed, features, model, gate, exec], idle: spin}\n");
    got = first_error(buf, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "t.yml:14: engine.threads[0].cpu: warning: a spinning thread that is not pinned can "
                             "share a core with another thread; pin it (a CPU number or auto)");
    snprintf(buf, sizeof buf, "%s%s", BASE,
             "engine:\n  threads:\n    - {stages: [feed, features, model], idle: spin, cpu: 2}\n"
             "    - {stages: [gate, exec], cpu: 2}\n");
    got = first_error(buf, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(got, "t.yml:15: engine.threads[1].cpu: warning: a spinning thread shares CPU 2 with "
                             "engine.threads[0]");
}

/* ---- every key has metadata, a doc line, and a row in docs/config.md -------------------------- */

static int n_leaves;

static void walk_keys(const cyaml_schema_value_t *v, const char *prefix, const char *doc)
{
    for (const cyaml_schema_field_t *f = v->mapping.fields; f->key; f++) {
        char p[256];
        snprintf(p, sizeof p, "%s%s%s", prefix, *prefix ? "." : "", f->key);
        if (f->value.type == CYAML_MAPPING) {
            walk_keys(&f->value, p, doc);
            continue;
        }
        const rs_cfg_meta *m = rs_cfg_meta_find(p);
        if (!m || !m->doc || strlen(m->doc) < 10) {
            print_error("key %s has no documentation in rs_cfg_meta_tab\n", p);
            fail();
        }
        char row[300];
        snprintf(row, sizeof row, "| `%s` |", p);
        if (!strstr(doc, row)) {
            print_error("docs/config.md has no row for %s (regenerate with `ringside config keys`)\n", p);
            fail();
        }
        n_leaves++;
        if (f->value.type == CYAML_SEQUENCE && f->value.sequence.entry->type == CYAML_MAPPING) {
            char ip[260];
            snprintf(ip, sizeof ip, "%s[]", p);
            walk_keys(f->value.sequence.entry, ip, doc);
        }
    }
}

static void test_every_key_documented(void **s)
{
    (void)s;
    size_t n = 0;
    char *doc = rs_test_read_file(rs_test_src("docs/config.md"), &n);
    n_leaves = 0;
    walk_keys(&rs_cfg_schema, "", doc);
    assert_true(n_leaves > 100);
    /* and no metadata for keys that do not exist (stale docs) */
    for (size_t i = 0; i < rs_cfg_meta_n; i++) {
        char row[300];
        snprintf(row, sizeof row, "| `%s` |", rs_cfg_meta_tab[i].path);
        const char *p = rs_cfg_meta_tab[i].path;
        size_t l = strlen(p);
        bool elem = l > 2 && !strcmp(p + l - 2, "[]");   /* scalar list entries share the list's row */
        if (!elem && !strstr(doc, row)) {
            print_error("rs_cfg_meta_tab has %s, which is not a key\n", p);
            fail();
        }
    }
    free(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_loads),
        cmocka_unit_test(test_profiles_load),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_thread_entry_defaults),
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_universe),
        cmocka_unit_test(test_load_errors),
        cmocka_unit_test(test_err_unknown_key),
        cmocka_unit_test(test_err_wrong_type),
        cmocka_unit_test(test_err_missing_required),
        cmocka_unit_test(test_err_range),
        cmocka_unit_test(test_err_syntax),
        cmocka_unit_test(test_err_cross_field),
        cmocka_unit_test(test_warnings),
        cmocka_unit_test(test_every_key_documented),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
