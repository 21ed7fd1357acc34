/* Model hot swap (tools/model_reload.h): reload argument resolution, the
 * supervisor's journal records and swap hand-over, refusals, and replay
 * re-offering the journaled bytes at the swap record. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "model_reload.h"
#include "pipeline.h"
#include "ringside/journal.h"
#include "ringside/mem.h"
#include "testutil.h"

static char tmp[128];
static rs_config *cfg;

static const char *tpath(const char *name)
{
    static char p[4][256];
    static int k;
    k = (k + 1) % 4;
    snprintf(p[k], sizeof p[k], "%s/%s", tmp, name);
    return p[k];
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static int setup(void **state)
{
    (void)state;
    /* the demo config names the bundled models relative to the source tree */
    if (chdir(rs_test_src(".")) != 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s/rs-mreload-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(tmp))
        return -1;
    if (rs_config_load(&cfg, "configs/demo.yml") != 0)
        return -1;
    /* h3 retrained: same features, another base score */
    size_t n;
    char *h3 = rs_test_read_file("models/h3.json", &n);
    char *at = strstr(h3, "\"base_score\":\"5E-1\"");
    if (!at)
        return -1;
    FILE *f = fopen(tpath("h3b.json"), "w");
    fwrite(h3, 1, (size_t)(at - h3), f);
    fputs("\"base_score\":\"1.25E0\"", f);
    fputs(at + strlen("\"base_score\":\"5E-1\""), f);
    fclose(f);
    free(h3);
    /* the same bytes under the horizon's own file name */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "mkdir -p '%s/new' && cp '%s' '%s/new/h3.json'", tmp, tpath("h3b.json"), tmp);
    if (system(cmd) != 0)
        return -1;
    write_text(tpath("foo.json"), "{\"learner\": {}}");
    write_text(tpath("junk.json"), "{\"something\": 1}");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    rs_config_destroy(cfg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    return system(cmd) == 0 ? 0 : -1;
}

static void test_resolve(void **state)
{
    (void)state;
    rs_mdesc cur, d;
    rs_mdesc_from_config(&cur, cfg);
    assert_int_equal(cur.n, 3);
    assert_string_equal(cur.m[1].name, "h3");

    /* NAME=MODEL: one horizon, the rest kept */
    assert_int_equal(rs_mdesc_resolve(&d, &cur, "h3=/x/new.json"), 0);
    assert_string_equal(d.m[1].path, "/x/new.json");
    assert_string_equal(d.m[0].path, cur.m[0].path);
    assert_true(d.m[1].weight == cur.m[1].weight);
    assert_string_equal(d.m[1].calib_key, "h3");
    assert_int_equal(rs_mdesc_resolve(&d, &cur, "h7=/x/new.json"), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "no model named 'h7'"));

    /* a directory: its ensemble.json, paths relative to it */
    assert_int_equal(rs_mdesc_resolve(&d, &cur, "models"), 0);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.m[2].path, "models/h12.json");
    assert_string_equal(d.m[2].calib, "models/calibration.json");
    assert_string_equal(d.m[2].calib_key, "h12");
    assert_true(d.m[2].weight == 1.0);
    assert_int_equal(rs_mdesc_resolve(&d, &cur, "models/ensemble.json"), 0);
    assert_int_equal(d.m[0].horizon_bars, 1);

    /* a bare model: the horizon named like the file */
    assert_int_equal(rs_mdesc_resolve(&d, &cur, tpath("new/h3.json")), 0);
    assert_string_equal(d.m[1].path, tpath("new/h3.json"));
    assert_string_equal(d.m[0].path, cur.m[0].path);
    assert_int_equal(rs_mdesc_resolve(&d, &cur, tpath("h3b.json")), -RS_EBADCFG);
    assert_int_equal(rs_mdesc_resolve(&d, &cur, tpath("foo.json")), -RS_EBADCFG);
    assert_non_null(strstr(rs_err_msg(), "use NAME="));
    assert_int_equal(rs_mdesc_resolve(&d, &cur, tpath("junk.json")), -RS_EBADCFG);
    assert_int_equal(rs_mdesc_resolve(&d, &cur, tpath("missing.json")), -RS_EBADCFG);
    assert_int_equal(rs_mdesc_resolve(&d, &cur, ""), -RS_EBADCFG);
}

static void post(rs_mreload *m, const char *arg)
{
    rs_emit *in = rs_mreload_intake(m);
    rs_ev_control *c = (rs_ev_control *)rs_emit_claim(in, RS_EV_CONTROL, sizeof *c);
    assert_non_null(c);
    c->cmd = RS_CTL_RELOAD_MODEL;
    c->sym = 0xffff;
    assert_true(strlen(arg) < sizeof c->arg);
    memcpy(c->arg, arg, strlen(arg) + 1);
    rs_emit_commit(in, &c->h);
}

/* Feed every record of `in` to the pipeline's model stage handler; outputs to out. */
static void feed_model(rs_pipeline *p, const rs_emit_buf *in, rs_emit_buf *out)
{
    size_t off = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(in, &off)))
        assert_int_equal(p->stages[RS_SID_MODEL].on_event(p->stages[RS_SID_MODEL].state, r, &out->e), RS_OK);
}

static unsigned count_type(const rs_emit_buf *b, uint16_t type)
{
    size_t off = 0;
    unsigned n = 0;
    const rs_rec *r;
    while ((r = rs_emit_buf_next(b, &off)))
        n += r->type == type;
    return n;
}

static void test_swap_journal_replay(void **state)
{
    (void)state;
    static uint8_t jbuf[1 << 20], obuf[1 << 16], rbuf[1 << 16];
    rs_pipeline p, rp, np;
    assert_int_equal(rs_pipeline_build(&p, cfg, NULL), 0);
    uint8_t old[32];
    memcpy(old, p.model_sha256, 32);
    rs_mreload *m;
    assert_int_equal(rs_mreload_create(&m, &p), 0);
    rs_emit_buf j, o;
    rs_emit_buf_init(&j, jbuf, sizeof jbuf, RS_STREAM_CTL_MODEL);
    rs_emit_buf_init(&o, obuf, sizeof obuf, RS_STREAM_PRED);

    /* refused: truncated, unknown feature; journaled as command + alarm */
    write_text(tpath("trunc.json"), "{\"learner\": {\"feature_names\": [");
    post(m, tpath("trunc.json"));
    assert_int_equal(rs_mreload_poll(m, &j.e, 1000), 2);
    rs_mreload_stats st;
    rs_mreload_get_stats(m, &st);
    assert_int_equal(st.refused, 1);
    assert_false(st.in_flight);
    assert_memory_equal(st.active_sha256, old, 32);
    assert_int_equal(count_type(&j, RS_EV_CONTROL), 1);
    assert_int_equal(count_type(&j, RS_EV_ALARM), 1);
    /* the same ensemble again is refused too (nothing would change) */
    post(m, "h3=models/h3.json");
    rs_mreload_poll(m, &j.e, 1000);
    rs_mreload_get_stats(m, &st);
    assert_int_equal(st.refused, 2);
    assert_non_null(strstr(st.last_error, "already in use"));

    /* valid: command, blobs (3 models + calibration + description), swap */
    rs_emit_buf_reset(&j);
    char arg[300];
    snprintf(arg, sizeof arg, "h3=%s", tpath("h3b.json"));
    post(m, arg);
    int n = rs_mreload_poll(m, &j.e, 2000);
    assert_true(n >= 7);
    assert_int_equal(count_type(&j, RS_EV_CONTROL), 1);
    assert_int_equal(count_type(&j, RS_EV_MODEL_SWAP), 1);
    assert_true(count_type(&j, RS_EV_BLOB) >= 5);
    rs_mreload_get_stats(m, &st);
    assert_true(st.in_flight);
    /* a second reload while the first is in flight: busy */
    post(m, "models");
    rs_emit_buf jb;
    static uint8_t bbuf[4096];
    rs_emit_buf_init(&jb, bbuf, sizeof bbuf, RS_STREAM_CTL_MODEL);
    assert_int_equal(rs_mreload_poll(m, &jb.e, 2500), 2);
    assert_int_equal(count_type(&jb, RS_EV_ALARM), 1);
    rs_mreload_get_stats(m, &st);
    assert_non_null(strstr(st.last_error, "not applied yet"));

    /* the stage applies it at the swap record; the supervisor frees the old one */
    feed_model(&p, &j, &o);
    assert_int_equal(count_type(&o, RS_EV_MODEL_SWAP), 1);
    rs_mreload_poll(m, &jb.e, 3000);
    rs_mreload_get_stats(m, &st);
    assert_int_equal(st.swaps, 1);
    assert_false(st.in_flight);
    assert_memory_not_equal(st.active_sha256, old, 32);
    assert_memory_equal(st.active_sha256, rs_ensemble_sha256(rs_model_stage_ensemble(p.model)), 32);

    /* replay: a fresh pipeline fed the journaled records switches to the same
     * ensemble at the same record and emits the same swap record */
    assert_int_equal(rs_pipeline_build(&rp, cfg, NULL), 0);
    assert_int_equal(rs_pipeline_replay_swaps(&rp, tmp), 0);
    rs_emit_buf r;
    rs_emit_buf_init(&r, rbuf, sizeof rbuf, RS_STREAM_PRED);
    feed_model(&rp, &j, &r);
    assert_int_equal(count_type(&r, RS_EV_MODEL_SWAP), 1);
    assert_memory_equal(rs_ensemble_sha256(rs_model_stage_ensemble(rp.model)), st.active_sha256, 32);
    assert_int_equal(r.used, o.used);
    assert_memory_equal(rbuf, obuf, o.used);

    /* without the journaled bytes there is nothing to offer: the stage
     * refuses the swap and keeps its model (replay reports a divergence) */
    assert_int_equal(rs_pipeline_build(&np, cfg, NULL), 0);
    assert_int_equal(rs_pipeline_replay_swaps(&np, tmp), 0);
    size_t off = 0;
    const rs_rec *rec;
    rs_emit_buf_reset(&r);
    while ((rec = rs_emit_buf_next(&j, &off)))
        if (rec->type == RS_EV_MODEL_SWAP)
            np.stages[RS_SID_MODEL].on_event(np.stages[RS_SID_MODEL].state, rec, &r.e);
    assert_int_equal(r.used, 0);
    assert_memory_equal(rs_ensemble_sha256(rs_model_stage_ensemble(np.model)), old, 32);

    rs_mreload_destroy(m);
    rs_pipeline_destroy(&np);
    rs_pipeline_destroy(&rp);
    rs_pipeline_destroy(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resolve),
        cmocka_unit_test(test_swap_journal_replay),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
