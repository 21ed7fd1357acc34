/* Stage construction from the config (see pipeline.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "model_reload.h"
#include "pipeline.h"
#include "ringside/lat_table.h"
#include "ringside/log.h"
#include "ringside/mem.h"

/* ---- feed adapter ---------------------------------------------------------- */

static rs_rec *fa_md_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    rs_feed_adapter *a = e->ctx;
    return rs_emit_claim(a->inner, type, len);
}

static void fa_md_commit(rs_emit *e, rs_rec *r)
{
    rs_feed_adapter *a = e->ctx;
    rs_emit_commit(a->inner, r);
}

static rs_rec *fa_mark_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    rs_feed_adapter *a = e->ctx;
    if (type == RS_EV_MARK)
        return rs_emit_claim(a->inner, type, len);
    /* timer / freshness: the md copy is duplicated by the route */
    if (len > sizeof a->scratch)
        return NULL;
    memset(a->scratch, 0, len);
    rs_rec *r = (rs_rec *)a->scratch;
    r->len = len;
    r->type = type;
    return r;
}

static void fa_mark_commit(rs_emit *e, rs_rec *r)
{
    rs_feed_adapter *a = e->ctx;
    if ((uint8_t *)r != a->scratch)
        rs_emit_commit(a->inner, r);
}

static int feed_stage_fn(void *st, const rs_rec *in, rs_emit *out)
{
    rs_feed_adapter *a = st;
    a->inner = out;
    rs_feed_out fo = {&a->md, &a->mark, NULL};
    if (in->type == RS_EV_FRESHNESS) {
        const rs_ev_freshness *f = (const rs_ev_freshness *)in;
        uint32_t conn = f->conn % RS_FEED_MAX_CONNS;
        return f->state == RS_FRESH_OK ? rs_feed_conn_open(a->feed, conn, 0, in->ts, &fo)
                                       : rs_feed_conn_close(a->feed, conn, in->ts, &fo);
    }
    int rc = rs_feed_on_event(a->feed, in, &fo);
    return rc == RS_FULL ? RS_FULL : RS_OK;
}

/* ---- the other stages' handlers with the runtime's signature -------------- */

static int features_fn(void *st, const rs_rec *in, rs_emit *out)
{
    int rc = rs_features_on_event(st, in, out);
    return rc == RS_FULL ? RS_FULL : RS_OK;
}

static int model_fn(void *st, const rs_rec *in, rs_emit *out)
{
    rs_pipeline *p = st;
    if (RS_UNLIKELY(p->swap_replay != NULL))   /* replay: offer the journaled model before its swap */
        rs_mswap_replay_before(p->swap_replay, p->model, p, in);
    int rc = rs_model_stage_on_event(p->model, in, out);
    if (RS_UNLIKELY(p->swap_replay != NULL) && in->type == RS_EV_MODEL_SWAP)
        rs_mswap_replay_after(p->swap_replay, p->model);
    return rc == RS_FULL ? RS_FULL : RS_OK;
}

static int gate_fn(void *st, const rs_rec *in, rs_emit *out)
{
    int rc = rs_gate_on_event(st, in, out);
    return rc == RS_FULL ? RS_FULL : RS_OK;
}

static int exec_fn(void *st, const rs_rec *in, rs_emit *out)
{
    rs_exec_adapter *a = st;
    int rc = rs_exec_on_event(a->x, in, out);
    if (a->sink) {
        a->sink(a->sink_ctx, a->x);
    } else {
        rs_exec_wire w;
        while (rs_exec_outbox_peek(a->x, &w) == RS_OK)
            rs_exec_outbox_pop(a->x);
    }
    return rc == RS_FULL ? RS_FULL : RS_OK;
}

/* ---- parameter mapping ------------------------------------------------------ */

void rs_pipeline_features_params(const rs_config *c, rs_features_params *p)
{
    const rs_cfg_features *f = &c->features;
    rs_features_params_default(p);
    p->bar_ns = (int64_t)f->bar_seconds * 1000000000ll;
    p->n_ema = f->ema_periods_count < RS_FEAT_MAX_PERIODS ? f->ema_periods_count : RS_FEAT_MAX_PERIODS;
    for (uint32_t i = 0; i < p->n_ema; i++)
        p->ema[i] = f->ema_periods[i];
    p->n_sma = f->sma_periods_count < RS_FEAT_MAX_PERIODS ? f->sma_periods_count : RS_FEAT_MAX_PERIODS;
    for (uint32_t i = 0; i < p->n_sma; i++)
        p->sma[i] = f->sma_periods[i];
    p->rsi = f->rsi_period;
    p->bb = f->bb_period;
    p->bb_k = f->bb_k;
    p->macd_fast = f->macd_fast;
    p->macd_slow = f->macd_slow;
    p->macd_signal = f->macd_signal;
    p->atr = f->atr_period;
    p->ret_lags = f->ret_lags;
    p->n_rv = f->rv_windows_count < RS_FEAT_MAX_PERIODS ? f->rv_windows_count : RS_FEAT_MAX_PERIODS;
    for (uint32_t i = 0; i < p->n_rv; i++)
        p->rv[i] = f->rv_windows[i];
    p->vol_z = f->volume_z_window;
    p->beta = f->beta_window;
    p->corr = f->corr_window;
    p->n_mom = f->momentum_horizons_count < RS_FEAT_MAX_PERIODS ? f->momentum_horizons_count : RS_FEAT_MAX_PERIODS;
    for (uint32_t i = 0; i < p->n_mom; i++)
        p->mom[i] = f->momentum_horizons[i];
    p->mom_z = f->momentum_z_window;
    p->intrabar_ns = (int64_t)f->intraday_publish_ms * 1000000ll;
    p->timer_grace_ns = (int64_t)f->timer_grace_ms * 1000000ll;
    p->max_catchup_bars = f->max_catchup_bars;
    p->ref_sym = -1;
}

static void map_gate(const rs_config *c, rs_gate_params *p)
{
    const rs_cfg_gate *g = &c->gate;
    const rs_cfg_risk *r = &c->risk;
    rs_gate_params_default(p);
    p->instance = c->exec.instance_id;
    p->capital = g->capital;
    p->z_min = g->z_threshold;
    for (int v = 0; v < 4; v++)
        p->cost_bps[v] = g->cost_bps;
    p->ev_margin_bps = g->ev_margin_bps;
    p->q_window = g->quantile_window;
    if (p->q_min_count > p->q_window)
        p->q_min_count = p->q_window;
    p->q_tail = g->quantile_enabled ? 1.0 - g->quantile : 0.0;
    p->warmup_bars = g->warmup_bars > p->atr_n + 1 ? g->warmup_bars : p->atr_n + 1;
    p->sigma_floor_bps = g->sigma_floor_bps;
    p->vote_k = g->vote_k ? g->vote_k : 1;
    if (p->vote_min > p->vote_k)
        p->vote_min = p->vote_k;
    p->vote_min = p->vote_k;
    p->cooldown_bars = g->cooldown_bars;
    p->stop_atr = g->stop_atr;
    p->tp_atr = g->take_profit_atr;
    p->oco_delay_bars = g->oco_delay_bars;
    p->max_hold_bars = g->max_hold_bars;
    p->trail_atr = g->trail_atr;
    p->guard_atr = g->guard_atr;
    p->guard_pct = g->guard_pct / 100.0;
    p->edge_cap = g->edge_cap;
    p->max_weight = g->max_weight;
    p->min_trade_notional = g->min_trade_notional;
    p->risk_frac = g->base_fraction;
    p->lim.max_order_notional = r->max_order_notional;
    p->lim.max_pos_notional = r->max_position_notional;
    p->lim.max_gross_notional = r->max_gross_notional;
    p->lim.collar_bps = r->price_collar_bps;
    p->lim.max_per_sec = r->max_orders_per_sec;
    p->lim.max_per_min = r->max_orders_per_min;
    p->md_max_age_ns = (int64_t)r->md_stale_ms * 1000000ll;
    p->reject_pause_k = r->max_consecutive_rejects;
    p->kill_max_retries = r->kill_retries;
    p->kill_backoff_ns = (int64_t)r->kill_backoff_ms * 1000000ll;
    p->fill_timeout_ns = (int64_t)r->fill_timeout_ms * 1000000ll;
    p->kill_on_start = r->kill_switch;
    p->dd_limit = r->drawdown_limit_pct / 100.0;
    p->dd_cut = r->drawdown_cut_fraction;
    p->dd_recover = r->drawdown_recovery_pct / 100.0;
    p->bar_ns = (int64_t)c->features.bar_seconds * 1000000000ll;
}

static void map_exec(const rs_config *c, const rs_universe *u, rs_exec_params *p, double *pxs, double *qtys)
{
    const rs_cfg_exec *x = &c->exec;
    const rs_cfg_sim *s = &x->sim;
    rs_exec_params_default(p);
    p->venue = RS_VENUE_SIM;
    p->u = u;
    p->ack_timeout_ns = (int64_t)x->order_timeout_ms * 1000000ll;
    p->query_timeout_ns = (int64_t)x->query_timeout_ms * 1000000ll;
    p->unknown_retry_ns = (int64_t)x->unknown_retry_ms * 1000000ll;
    p->unknown_max_queries = x->unknown_max_queries;
    p->recon_interval_ns = (int64_t)x->reconcile_interval_ms * 1000000ll;
    p->backoff_ns = (int64_t)x->backoff_ms * 1000000ll;
    p->time_sync_ns = (int64_t)x->time_sync_s * 1000000000ll;
    p->weight_headroom = x->weight_headroom;
    rs_sim_params_default(&p->sim);
    p->sim.seed = s->seed;
    p->sim.n_syms = u->n;
    p->sim.lat_model = (uint8_t)s->latency_model;
    p->sim.lat_ns = (int64_t)(s->latency_us * 1000.0);
    p->sim.lat_min_ns = (int64_t)(s->latency_min_us * 1000.0);
    p->sim.lat_max_ns = (int64_t)(s->latency_max_us * 1000.0);
    p->sim.taker_fee_bps = s->taker_fee_bps;
    p->sim.maker_fee_bps = s->maker_fee_bps;
    p->sim.slippage_bps = s->slippage_bps;
    p->sim.participation = s->participation;
    p->sim.recv_window_ms = x->recv_window_ms;
    for (uint16_t i = 0; i < u->n; i++) {
        pxs[i] = rs_pow10_tab[u->ins[i].px_exp];
        qtys[i] = rs_pow10_tab[u->ins[i].qty_exp];
    }
    p->sim.px_scale = pxs;
    p->sim.qty_scale = qtys;
    const rs_cfg_sim_faults *f = &s->faults;
    p->sim.faults.drop_fills = f->drop_fills;
    p->sim.faults.dup_fills = f->duplicate_fills;
    p->sim.faults.fill_delay_ns = (int64_t)f->delay_fills_ms * 1000000ll;
    p->sim.faults.reject_orders = f->reject_orders;
    p->sim.faults.http_5xx = f->http_5xx;
    p->sim.faults.place_on_5xx = f->place_on_5xx;
    p->sim.faults.http_429 = f->http_429;
    p->sim.faults.http_418 = f->http_418;
    p->sim.faults.retry_after_ms = f->retry_after_ms;
    p->sim.faults.status_unknown = f->status_unknown;
    p->sim.faults.disconnect_at_ns = (int64_t)f->disconnect_account_at_ms * 1000000ll;
    p->sim.faults.disconnect_for_ns = (int64_t)f->disconnect_account_for_ms * 1000000ll;
    p->sim.faults.clock_skew_ms = f->clock_skew_ms;
    if (x->mode == RS_EXEC_LIVE) {
        p->venue = RS_VENUE_BINANCE;
        p->order_channel = x->order_channel == RS_CHAN_REST ? RS_XCH_REST : RS_XCH_WS;
        p->ws_sign = x->secrets.key_type == RS_KEY_ED25519 ? RS_SIGN_ED25519 : RS_SIGN_HMAC;
        rs_bn_params_default(&p->bn);
        static char host[RS_CFG_PATH_MAX];
        snprintf(host, sizeof host, "%s", x->rest_url_parsed.host);
        if (host[0])
            p->bn.rest_host = host;
        p->bn.recv_window_ms = x->recv_window_ms;
        if (x->weight_limit_per_min)
            p->bn.weight_limit = (int32_t)x->weight_limit_per_min;
        if (x->orders_limit_per_10s)
            p->bn.orders_limit = (int32_t)x->orders_limit_per_10s;
    }
}

/* Live: the real credentials. Replay of a live journal: a stand-in key of
 * the configured type, so the stage takes the same paths (session.logon
 * needs Ed25519) and emits the same records -- they never depend on key
 * bytes (exec_stage.h: wire_bytes exclude credentials). */
static int exec_secrets(const rs_config *c, unsigned flags, rs_secrets **out)
{
    const rs_cfg_secrets *cs = &c->exec.secrets;
    int ed = cs->key_type == RS_KEY_ED25519;
    if (flags & RS_PIPE_LIVE_IO) {
        if (!cs->file[0]) {
            /* the loader reads the RINGSIDE_* names: move renamed variables
             * (exec.secrets.*_env) there, wiping the originals in place */
            const char *from[3] = {cs->key_env, cs->hmac_secret_env, cs->ed25519_pem_env};
            static const char *to[3] = {"RINGSIDE_API_KEY", "RINGSIDE_API_SECRET", "RINGSIDE_ED25519_PEM"};
            for (int i = 0; i < 3; i++) {
                char *v = from[i][0] && strcmp(from[i], to[i]) ? getenv(from[i]) : NULL;
                if (!v)
                    continue;
                setenv(to[i], v, 1);
                OPENSSL_cleanse(v, strlen(v));
                unsetenv(from[i]);
            }
        }
        int rc = rs_secrets_load(cs->file[0] ? cs->file : NULL, out);
        if (rc)
            return rc;
        rs_secrets *s = *out;
        if (ed ? !s->ed25519.kind : !s->hmac.kind) {
            rs_secrets_destroy(s);
            *out = NULL;
            return rs_err_set(RS_EBADCFG, "exec.secrets.key_type %s: the %s has no %s key", ed ? "ed25519" : "hmac",
                              cs->file[0] ? "secrets file" : "environment",
                              ed ? "Ed25519 (ed25519_seed / PEM block / RINGSIDE_ED25519_PEM)"
                                 : "HMAC (hmac_secret / RINGSIDE_API_SECRET)");
        }
        if (!s->api_key_len) {
            rs_secrets_destroy(s);
            *out = NULL;
            return rs_err_set(RS_EBADCFG, "exec.secrets: no api_key (file key api_key or RINGSIDE_API_KEY)");
        }
        return 0;
    }
    rs_secrets *s = rs_secure_alloc(sizeof *s);
    if (!s)
        return -ENOMEM;
    snprintf(s->api_key, sizeof s->api_key, "replay-stand-in");
    s->api_key_len = strlen(s->api_key);
    uint8_t seed[32];
    for (int i = 0; i < 32; i++)
        seed[i] = (uint8_t)(0x5a ^ i);
    int rc = rs_sign_init_hmac(&s->hmac, "replay-stand-in", 15);
    if (!rc && ed)
        rc = rs_sign_init_ed25519(&s->ed25519, seed, sizeof seed, 1);
    if (rc) {
        rs_sign_fini(&s->hmac);
        rs_secure_free(s, sizeof *s);
        return rc;
    }
    *out = s;
    return 0;
}

static double g_pxs[RS_MAX_SYMBOLS], g_qtys[RS_MAX_SYMBOLS];

static const char *model_path(const char *dir, const char *path, char *buf, size_t n)
{
    if (!dir || !path || !*path)
        return path;
    snprintf(buf, n, "%s/%s", dir, path);
    return buf;
}

/* The simulated venue's measured latencies: the copy embedded in the journal
 * being replayed (what the run used, even when the config's
 * latency_journal has changed or is gone since), else measured from
 * exec.sim.latency_journal. */
static int load_latency(rs_pipeline *p, const rs_config *cfg, const char *model_dir)
{
    const rs_cfg_sim *s = &cfg->exec.sim;
    if (model_dir) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", model_dir, RS_LAT_BLOB_NAME);
        FILE *f = fopen(path, "rb");
        if (f) {
            int rc = 0;
            char *buf = NULL;
            long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
            if (n < 0 || fseek(f, 0, SEEK_SET) != 0)
                rc = rs_err_set(EIO, "embedded %s: cannot read it", RS_LAT_BLOB_NAME);
            else if (!(buf = rs_mem_alloc((size_t)n + 1, 8, "latency table text")))
                rc = rs_err_set(ENOMEM, "embedded %s: out of memory", RS_LAT_BLOB_NAME);
            else if (fread(buf, 1, (size_t)n, f) != (size_t)n)
                rc = rs_err_set(EIO, "embedded %s: short read", RS_LAT_BLOB_NAME);
            fclose(f);
            if (!rc)
                rc = rs_lat_table_parse(&p->lat, "embedded " RS_LAT_BLOB_NAME, buf, (size_t)n);
            rs_mem_free(buf);
            return rc;
        }
    }
    if (s->latency_model != RS_LAT_TABLE && s->latency_model != RS_LAT_SEQUENCE)
        return 0;
    int rc = rs_lat_table_measure(&p->lat, s->latency_journal, s->latency_model);
    if (rc) {
        char why[1024];
        snprintf(why, sizeof why, "%s", rs_err_msg());
        return rs_err_set(-rc, "%s: exec.sim.latency_journal: %s", cfg->source[0] ? cfg->source : "config", why);
    }
    return 0;
}

void rs_pipeline_latency_describe(const rs_pipeline *p, char *buf, size_t n)
{
    const rs_cfg_sim *s = &p->cfg->exec.sim;
    if (p->cfg->exec.mode == RS_EXEC_LIVE)
        snprintf(buf, n, "%s", "");
    else if (p->lat)
        rs_lat_table_describe(p->lat, buf, n);
    else if (s->latency_model == RS_LAT_UNIFORM)
        snprintf(buf, n, "uniform %g..%g us per leg", s->latency_min_us, s->latency_max_us);
    else
        snprintf(buf, n, "constant %g us per leg", s->latency_us);
}

int rs_pipeline_build(rs_pipeline *p, const rs_config *cfg, const char *model_dir)
{
    return rs_pipeline_build_opts(p, cfg, model_dir, 0);
}

int rs_pipeline_build_opts(rs_pipeline *p, const rs_config *cfg, const char *model_dir, unsigned flags)
{
    memset(p, 0, sizeof *p);
    p->cfg = cfg;
    int rc = rs_config_universe(cfg, &p->u);
    if (rc)
        return rc;

    /* feed */
    rs_feed_cfg fc;
    rs_feed_cfg_default(&fc);
    fc.timer_period_ns = (int64_t)cfg->feed.timer_ms * 1000000ll;
    fc.sym_stale_ns = (int64_t)cfg->feed.stale_symbol_ms * 1000000ll;
    fc.conn_stale_ns = (int64_t)cfg->feed.stale_conn_ms * 1000000ll;
    /* Binance ids are consecutive: a jump is lost data (flagged, journaled) */
    fc.trade_gaps = 1;
    /* a local book per symbol, resynchronised from REST snapshots that the
     * feed source fetches and journals (feed_source.c) */
    fc.depth_book = cfg->feed.rest_url[0] && (cfg->feed.streams & RS_FEED_DEPTH) ? 1 : 0;
    p->feed_mem = rs_mem_alloc(rs_feed_memsize(), 64, "feed stage");
    if (!p->feed_mem)
        return -ENOMEM;
    p->fa.feed = rs_feed_init(p->feed_mem, &fc, &p->u);
    if (!p->fa.feed)
        return rs_err_set(RS_EBADCFG, "feed stage: %s", rs_err_msg());
    p->fa.md = (rs_emit){fa_md_claim, fa_md_commit, &p->fa};
    p->fa.mark = (rs_emit){fa_mark_claim, fa_mark_commit, &p->fa};

    /* features */
    rs_features_params fp;
    rs_pipeline_features_params(cfg, &fp);
    if ((rc = rs_features_params_check(&fp)))
        return rc;
    size_t fsz = rs_features_memsize(&p->u);
    p->feat_mem = rs_mem_alloc(fsz, 64, "features stage");
    if (!p->feat_mem)
        return -ENOMEM;
    if ((rc = rs_features_init(p->feat_mem, fsz, &fp, &p->u, &p->feat)))
        return rc;
    p->n_feat = rs_features_count(p->feat);
    p->feat_name_ptrs = rs_mem_alloc(sizeof(char *) * p->n_feat, 64, "feature names");
    if (!p->feat_name_ptrs)
        return -ENOMEM;
    for (uint32_t i = 0; i < p->n_feat; i++)
        p->feat_name_ptrs[i] = rs_features_name(p->feat, i);

    /* model */
    rs_ensemble_cfg ec;
    memset(&ec, 0, sizeof ec);
    char paths[RS_MAX_HORIZONS][2][512];
    ec.n_models = cfg->model.models_count;
    for (uint32_t i = 0; i < ec.n_models && i < RS_MAX_HORIZONS; i++) {
        const rs_cfg_model_entry *m = &cfg->model.models[i];
        ec.m[i].path = model_path(model_dir, m->path, paths[i][0], sizeof paths[i][0]);
        ec.m[i].name = m->name;
        ec.m[i].weight = m->weight;
        ec.m[i].horizon_bars = m->horizon_bars;
        ec.m[i].calib_path = m->calibration[0] ? model_path(model_dir, m->calibration, paths[i][1], sizeof paths[i][1])
                                               : NULL;
        ec.m[i].calib_key = m->calibration[0] && m->calibration_key[0] ? m->calibration_key : NULL;
    }
    ec.feature_names = p->feat_name_ptrs;
    ec.n_features = p->n_feat;
    ec.layout_hash = rs_features_layout_hash(p->feat);
    ec.isa = cfg->model.isa;
    rs_ensemble *ens = NULL;
    if ((rc = rs_ensemble_load(&ens, &ec)))
        return rc;
    memcpy(p->model_sha256, rs_ensemble_sha256(ens), 32);
    if ((rc = rs_model_stage_create(&p->model, ens, cfg->model.z_window, cfg->model.z_min_samples)))
        return rc;

    /* gate */
    rs_gate_params gp;
    map_gate(cfg, &gp);
    if ((rc = rs_gate_params_check(&gp)))
        return rc;
    size_t gsz = rs_gate_memsize(&gp, &p->u);
    p->gate_mem = rs_mem_alloc(gsz, 64, "gate stage");
    if (!p->gate_mem)
        return -ENOMEM;
    if ((rc = rs_gate_init(p->gate_mem, gsz, &gp, &p->u)))
        return rc;
    p->gate = p->gate_mem;

    /* exec: paper (the simulated venue in-process) or live (Binance bytes
     * through the outbox; venue answers arrive on RS_STREAM_VENUE) */
    bool live = cfg->exec.mode == RS_EXEC_LIVE;
    rs_exec_params xp;
    map_exec(cfg, &p->u, &xp, g_pxs, g_qtys);
    if (!live) {
        if ((rc = load_latency(p, cfg, model_dir)))
            return rc;
        if (p->lat) {
            xp.sim.lat_model = p->lat->model == RS_LAT_SEQUENCE ? RS_SIM_LAT_SEQ : RS_SIM_LAT_TABLE;
            xp.sim.lat_table = p->lat->ack_ns;
            xp.sim.lat_fill_table = p->lat->fill_ns;
            xp.sim.lat_table_n = p->lat->n;
        }
    }
    if (live) {
        if ((rc = exec_secrets(cfg, flags, &p->secrets)))
            return rc;
        xp.secrets = p->secrets;
        p->secrets_standin = !(flags & RS_PIPE_LIVE_IO);
    }
    p->exec_memsz = rs_exec_memsize(&xp);
    p->exec_secure = live;
    p->exec_mem = live ? rs_secure_alloc(p->exec_memsz) : rs_mem_alloc(p->exec_memsz, 64, "exec stage");
    if (!p->exec_mem)
        return -ENOMEM;
    if ((rc = rs_exec_init(p->exec_mem, &xp, &p->exec)))
        return rc;
    p->xa.x = p->exec;

    /* wiring: who reads and writes which stream */
    rs_stage_def *s = p->stages;
    s[RS_SID_FEED] = (rs_stage_def){.id = RS_SID_FEED, .state = &p->fa, .on_event = feed_stage_fn,
                                    .inputs = {RS_STREAM_RAW}, .n_inputs = 1, .out = RS_STREAM_MD};
    s[RS_SID_FEED].route[RS_EV_MARK] = RS_STREAM_MARK;
    s[RS_SID_FEED].dup[RS_EV_MARK][0] = RS_STREAM_MARK_X;
    s[RS_SID_FEED].dup[RS_EV_TIMER][0] = RS_STREAM_MARK;
    s[RS_SID_FEED].dup[RS_EV_TIMER][1] = RS_STREAM_MARK_X;
    s[RS_SID_FEED].dup[RS_EV_FRESHNESS][0] = RS_STREAM_MARK;
    s[RS_SID_FEED].dup[RS_EV_FRESHNESS][1] = RS_STREAM_MARK_X;
    s[RS_SID_FEATURES] = (rs_stage_def){.id = RS_SID_FEATURES, .state = p->feat, .on_event = features_fn,
                                        .inputs = {RS_STREAM_MD}, .n_inputs = 1, .out = RS_STREAM_FEAT};
    s[RS_SID_FEATURES].dup[RS_EV_BAR][0] = RS_STREAM_BAR_G;
    s[RS_SID_MODEL] = (rs_stage_def){.id = RS_SID_MODEL, .state = p, .on_event = model_fn,
                                     .inputs = {RS_STREAM_FEAT, RS_STREAM_CTL_MODEL}, .n_inputs = 2,
                                     .out = RS_STREAM_PRED};
    s[RS_SID_GATE] = (rs_stage_def){.id = RS_SID_GATE, .state = p->gate, .on_event = gate_fn,
                                    .inputs = {RS_STREAM_CTL, RS_STREAM_EXEC, RS_STREAM_MARK, RS_STREAM_BAR_G,
                                               RS_STREAM_PRED},
                                    .n_inputs = 5, .out = RS_STREAM_INTENT};
    s[RS_SID_EXEC] = (rs_stage_def){.id = RS_SID_EXEC, .state = &p->xa, .on_event = exec_fn,
                                    .inputs = {RS_STREAM_INTENT, RS_STREAM_MARK_X, RS_STREAM_VENUE},
                                    .n_inputs = live ? 3 : 2, .out = RS_STREAM_EXEC};
    if (model_dir && (rc = rs_pipeline_replay_swaps(p, model_dir)))
        return rc;
    return 0;
}

int rs_pipeline_replay_swaps(rs_pipeline *p, const char *dir)
{
    if (p->swap_replay)
        return 0;
    return rs_mswap_replay_create(&p->swap_replay, dir);
}

void rs_pipeline_destroy(rs_pipeline *p)
{
    if (p->exec)
        rs_exec_fini(p->exec);
    rs_model_stage_destroy(p->model);
    rs_mswap_replay_destroy(p->swap_replay);
    rs_mem_free(p->feed_mem);
    rs_mem_free(p->feat_mem);
    rs_mem_free(p->gate_mem);
    if (p->exec_secure)
        rs_secure_free(p->exec_mem, p->exec_memsz);
    else
        rs_mem_free(p->exec_mem);
    if (p->secrets && p->secrets_standin) {
        rs_sign_fini(&p->secrets->hmac);
        rs_sign_fini(&p->secrets->ed25519);
        rs_secure_free(p->secrets, sizeof *p->secrets);
    } else if (p->secrets) {
        rs_secrets_destroy(p->secrets);
    }
    rs_mem_free(p->feat_name_ptrs);
    rs_lat_table_destroy(p->lat);
    memset(p, 0, sizeof *p);
}

int rs_pipeline_engine_def(rs_pipeline *p, rs_engine_def *d)
{
    const rs_config *c = p->cfg;
    memset(d, 0, sizeof *d);
    d->instance = c->instance;
    d->recorder = c->recorder.enabled;
    d->schema_hash = rs_schema_hash();
    const rs_cfg_rings *r = &c->rings;
    d->ring_capacity[RS_STREAM_RAW] = (uint32_t)r->raw_bytes;
    d->ring_capacity[RS_STREAM_MD] = (uint32_t)r->md_bytes;
    d->ring_capacity[RS_STREAM_MARK] = (uint32_t)r->mark_bytes;
    d->ring_capacity[RS_STREAM_MARK_X] = (uint32_t)r->mark_bytes;
    d->ring_capacity[RS_STREAM_FEAT] = (uint32_t)r->feat_bytes;
    d->ring_capacity[RS_STREAM_BAR_G] = (uint32_t)r->feat_bytes;
    d->ring_capacity[RS_STREAM_PRED] = (uint32_t)r->pred_bytes;
    d->ring_capacity[RS_STREAM_INTENT] = (uint32_t)r->intent_bytes;
    d->ring_capacity[RS_STREAM_EXEC] = (uint32_t)r->exec_bytes;
    if (c->exec.mode == RS_EXEC_LIVE)
        d->ring_capacity[RS_STREAM_VENUE] = (uint32_t)r->exec_bytes;   /* venue answers (journaled inputs) */
    d->ring_capacity[RS_STREAM_CTL] = (uint32_t)r->ctl_bytes;
    d->ring_capacity[RS_STREAM_CTL_MODEL] = (uint32_t)r->ctl_bytes;
    memcpy(d->stages, p->stages, sizeof p->stages);
    d->mlockall = c->engine.mlockall;
    for (uint16_t i = 0; i < p->u.n && i < RS_REGION_MAX_SYMS; i++, d->n_syms++) {
        snprintf(d->sym_names[i], sizeof d->sym_names[i], "%s", p->u.ins[i].symbol);
        d->sym_qty_exp[i] = p->u.ins[i].qty_exp;
    }
    d->n_stages = RS_SID_MAX;
    /* threads: the config assigns each stage bit to exactly one thread */
    static const uint32_t bits[RS_SID_MAX] = {RS_STAGE_FEED, RS_STAGE_FEATURES, RS_STAGE_MODEL, RS_STAGE_GATE,
                                              RS_STAGE_EXEC};
    d->n_threads = c->engine.threads_count;
    for (uint32_t t = 0; t < c->engine.threads_count && t < RS_MAX_THREADS; t++) {
        const rs_cfg_thread *ct = &c->engine.threads[t];
        rs_thread_def *td = &d->threads[t];
        snprintf(td->name, sizeof td->name, "%s", ct->name);
        td->cpu = ct->cpu >= 0 || ct->cpu == RS_CPU_AUTO ? ct->cpu : -1;
        td->idle = ct->idle;
        td->spin_iters = ct->spin_us ? ct->spin_us * 20 : 1000;   /* ~50 ns per relax */
        td->min_sleep_us = ct->backoff_min_us;
        td->max_sleep_us = ct->backoff_max_us ? ct->backoff_max_us : 1000;
        td->pretouch_bytes = ct->pretouch_kb * 1024u;
        for (unsigned s = 0; s < RS_SID_MAX; s++)
            if (ct->stages & bits[s])
                td->stages[td->n_stages++] = s;
    }
    return 0;
}
