/* core/config_schema.c -- the libcyaml schema of config.yml, the defaults of
 * every key, and each key's range and documentation.
 *
 * Keeping the three side by side is deliberate: a test walks the schema and
 * fails when a key has no metadata (hence no documentation) or when a
 * default violates its own range, so they cannot drift apart. */
#include <stddef.h>
#include <string.h>

#include "config_internal.h"
#include "ringside/log.h"

#define OPT CYAML_FLAG_OPTIONAL
#define REQ CYAML_FLAG_DEFAULT
#define STRICT CYAML_FLAG_STRICT

/* ---- enum tables ------------------------------------------------------------- */

static const cyaml_strval_t stage_strs[] = {
    {"feed", RS_STAGE_FEED}, {"features", RS_STAGE_FEATURES}, {"model", RS_STAGE_MODEL},
    {"gate", RS_STAGE_GATE}, {"exec", RS_STAGE_EXEC},
};
static const cyaml_strval_t idle_strs[] = {
    {"spin", RS_IDLE_SPIN}, {"spin_yield", RS_IDLE_SPIN_YIELD}, {"backoff", RS_IDLE_BACKOFF},
};
/* Not strict: a CPU number is accepted as well (libcyaml's numeric fallback). */
static const cyaml_strval_t cpu_strs[] = {{"none", RS_CPU_NONE}, {"auto", RS_CPU_AUTO}};
static const cyaml_strval_t mlock_strs[] = {{"false", RS_MLOCK_OFF}, {"true", RS_MLOCK_ON},
                                            {"required", RS_MLOCK_REQUIRED}};
static const cyaml_strval_t huge_strs[] = {{"auto", RS_HUGE_AUTO}, {"on", RS_HUGE_ON}, {"off", RS_HUGE_OFF}};
static const cyaml_strval_t lag_strs[] = {{"pause_trading", RS_LAG_PAUSE_TRADING}, {"block", RS_LAG_BLOCK}};
static const cyaml_strval_t venue_strs[] = {
    {"binance", RS_CFG_VENUE_BINANCE}, {"binance_futures", RS_CFG_VENUE_BINANCE_FUT}, {"okx", RS_CFG_VENUE_OKX},
};
static const cyaml_strval_t feedstream_strs[] = {
    {"trade", RS_FEED_TRADE}, {"agg_trade", RS_FEED_AGG_TRADE},
    {"book_ticker", RS_FEED_BOOK_TICKER}, {"depth", RS_FEED_DEPTH},
};
static const cyaml_strval_t rxts_strs[] = {
    {"software", RS_RXTS_SOFTWARE}, {"hardware", RS_RXTS_HARDWARE}, {"off", RS_RXTS_OFF},
};
static const cyaml_strval_t isa_strs[] = {
    {"auto", RS_CFG_ISA_AUTO}, {"scalar", RS_CFG_ISA_SCALAR}, {"avx2", RS_CFG_ISA_AVX2}, {"avx512", RS_CFG_ISA_AVX512},
};
static const cyaml_strval_t mode_strs[] = {{"live", RS_EXEC_LIVE}, {"paper", RS_EXEC_PAPER}};
static const cyaml_strval_t chan_strs[] = {{"ws", RS_CHAN_WS}, {"rest", RS_CHAN_REST}};
static const cyaml_strval_t recio_strs[] = {{"uring", RS_RECIO_URING}, {"write", RS_RECIO_WRITE}};
static const cyaml_strval_t keytype_strs[] = {{"hmac", RS_KEY_HMAC}, {"ed25519", RS_KEY_ED25519}};
static const cyaml_strval_t latency_strs[] = {
    {"constant", RS_LAT_CONSTANT}, {"uniform", RS_LAT_UNIFORM}, {"table", RS_LAT_TABLE}, {"sequence", RS_LAT_SEQUENCE},
};
static const cyaml_strval_t loglevel_strs[] = {
    {"debug", RS_LOG_DEBUG}, {"info", RS_LOG_INFO}, {"warn", RS_LOG_WARN}, {"error", RS_LOG_ERROR},
};

#define ENUM(key, S, m, tab) CYAML_FIELD_ENUM(key, OPT | STRICT, S, m, tab, CYAML_ARRAY_LEN(tab))
#define ENUM_LOOSE(key, S, m, tab) CYAML_FIELD_ENUM(key, OPT, S, m, tab, CYAML_ARRAY_LEN(tab))
#define FLAGS(key, fl, S, m, tab) CYAML_FIELD_FLAGS(key, (fl) | STRICT, S, m, tab, CYAML_ARRAY_LEN(tab))

const char *rs_config_stage_name(uint32_t bit)
{
    for (size_t i = 0; i < RS_ARRAY_LEN(stage_strs); i++)
        if ((uint32_t)stage_strs[i].val == bit)
            return stage_strs[i].str;
    return NULL;
}

const char *rs_config_idle_name(int32_t idle)
{
    for (size_t i = 0; i < RS_ARRAY_LEN(idle_strs); i++)
        if (idle_strs[i].val == idle)
            return idle_strs[i].str;
    return NULL;
}

/* ---- engine --------------------------------------------------------------------- */

static const cyaml_schema_field_t thread_fields[] = {
    CYAML_FIELD_STRING("name", OPT, rs_cfg_thread, name, 0),
    FLAGS("stages", REQ, rs_cfg_thread, stages, stage_strs),
    ENUM_LOOSE("cpu", rs_cfg_thread, cpu, cpu_strs),
    ENUM("idle", rs_cfg_thread, idle, idle_strs),
    CYAML_FIELD_UINT("spin_us", OPT, rs_cfg_thread, spin_us),
    CYAML_FIELD_UINT("backoff_min_us", OPT, rs_cfg_thread, backoff_min_us),
    CYAML_FIELD_UINT("backoff_max_us", OPT, rs_cfg_thread, backoff_max_us),
    CYAML_FIELD_UINT("pretouch_kb", OPT, rs_cfg_thread, pretouch_kb),
    CYAML_FIELD_END};
static const cyaml_schema_value_t thread_entry = {CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, rs_cfg_thread, thread_fields)};

static const cyaml_schema_field_t engine_fields[] = {
    CYAML_FIELD_SEQUENCE("threads", OPT, rs_cfg_engine, threads, &thread_entry, 1, RS_CFG_MAX_THREADS),
    ENUM("mlockall", rs_cfg_engine, mlockall, mlock_strs),
    CYAML_FIELD_BOOL("prefault", OPT, rs_cfg_engine, prefault),
    ENUM("huge_pages", rs_cfg_engine, huge_pages, huge_strs),
    CYAML_FIELD_UINT("heartbeat_ms", OPT, rs_cfg_engine, heartbeat_ms),
    CYAML_FIELD_UINT("dead_peer_ms", OPT, rs_cfg_engine, dead_peer_ms),
    CYAML_FIELD_UINT("drain_timeout_ms", OPT, rs_cfg_engine, drain_timeout_ms),
    CYAML_FIELD_END};

/* ---- rings ------------------------------------------------------------------------ */

static const cyaml_schema_field_t rings_fields[] = {
    CYAML_FIELD_UINT("md_bytes", OPT, rs_cfg_rings, md_bytes),
    CYAML_FIELD_UINT("mark_bytes", OPT, rs_cfg_rings, mark_bytes),
    CYAML_FIELD_UINT("feat_bytes", OPT, rs_cfg_rings, feat_bytes),
    CYAML_FIELD_UINT("pred_bytes", OPT, rs_cfg_rings, pred_bytes),
    CYAML_FIELD_UINT("intent_bytes", OPT, rs_cfg_rings, intent_bytes),
    CYAML_FIELD_UINT("exec_bytes", OPT, rs_cfg_rings, exec_bytes),
    CYAML_FIELD_UINT("ctl_bytes", OPT, rs_cfg_rings, ctl_bytes),
    CYAML_FIELD_UINT("raw_bytes", OPT, rs_cfg_rings, raw_bytes),
    ENUM("recorder_lag_policy", rs_cfg_rings, recorder_lag_policy, lag_strs),
    CYAML_FIELD_UINT("recorder_alarm_pct", OPT, rs_cfg_rings, recorder_alarm_pct),
    CYAML_FIELD_END};

/* ---- recorder ------------------------------------------------------------------------ */

static const cyaml_schema_field_t recorder_fields[] = {
    CYAML_FIELD_BOOL("enabled", OPT, rs_cfg_recorder, enabled),
    CYAML_FIELD_STRING("journal_dir", OPT, rs_cfg_recorder, journal_dir, 0),
    CYAML_FIELD_UINT("segment_bytes", OPT, rs_cfg_recorder, segment_bytes),
    ENUM("io", rs_cfg_recorder, io, recio_strs),
    CYAML_FIELD_UINT("batch_bytes", OPT, rs_cfg_recorder, batch_bytes),
    CYAML_FIELD_UINT("batches", OPT, rs_cfg_recorder, batches),
    CYAML_FIELD_UINT("fsync_interval_ms", OPT, rs_cfg_recorder, fsync_interval_ms),
    CYAML_FIELD_UINT("fsync_bytes", OPT, rs_cfg_recorder, fsync_bytes),
    CYAML_FIELD_BOOL("fsync_on_order", OPT, rs_cfg_recorder, fsync_on_order),
    CYAML_FIELD_BOOL("raw_frames", OPT, rs_cfg_recorder, raw_frames),
    CYAML_FIELD_UINT("attach_timeout_ms", OPT, rs_cfg_recorder, attach_timeout_ms),
    ENUM_LOOSE("cpu", rs_cfg_recorder, cpu, cpu_strs),
    ENUM("idle", rs_cfg_recorder, idle, idle_strs),
    CYAML_FIELD_END};

/* ---- feed ------------------------------------------------------------------------------ */

static const cyaml_schema_field_t tls_fields[] = {
    CYAML_FIELD_STRING("ca_file", OPT, rs_cfg_tls, ca_file, 0),
    CYAML_FIELD_STRING("server_name", OPT, rs_cfg_tls, server_name, 0),
    CYAML_FIELD_BOOL("verify", OPT, rs_cfg_tls, verify),
    CYAML_FIELD_BOOL("system_ca", OPT, rs_cfg_tls, system_ca),
    CYAML_FIELD_BOOL("tls13", OPT, rs_cfg_tls, tls13),
    CYAML_FIELD_END};

static const cyaml_schema_field_t feed_fields[] = {
    ENUM("venue", rs_cfg_feed, venue, venue_strs),
    CYAML_FIELD_STRING("url", REQ, rs_cfg_feed, url, 1),
    CYAML_FIELD_STRING("rest_url", OPT, rs_cfg_feed, rest_url, 0),
    CYAML_FIELD_MAPPING("tls", OPT, rs_cfg_feed, tls, tls_fields),
    FLAGS("streams", OPT, rs_cfg_feed, streams, feedstream_strs),
    CYAML_FIELD_UINT("reconnect_min_ms", OPT, rs_cfg_feed, reconnect_min_ms),
    CYAML_FIELD_UINT("reconnect_max_ms", OPT, rs_cfg_feed, reconnect_max_ms),
    CYAML_FIELD_FLOAT("reconnect_jitter", OPT, rs_cfg_feed, reconnect_jitter),
    CYAML_FIELD_UINT("connect_timeout_ms", OPT, rs_cfg_feed, connect_timeout_ms),
    CYAML_FIELD_UINT("lifetime_s", OPT, rs_cfg_feed, lifetime_s),
    CYAML_FIELD_UINT("rotate_margin_s", OPT, rs_cfg_feed, rotate_margin_s),
    CYAML_FIELD_UINT("rotate_overlap_ms", OPT, rs_cfg_feed, rotate_overlap_ms),
    CYAML_FIELD_UINT("max_frame_bytes", OPT, rs_cfg_feed, max_frame_bytes),
    CYAML_FIELD_UINT("stale_symbol_ms", OPT, rs_cfg_feed, stale_symbol_ms),
    CYAML_FIELD_UINT("stale_conn_ms", OPT, rs_cfg_feed, stale_conn_ms),
    CYAML_FIELD_UINT("ping_interval_ms", OPT, rs_cfg_feed, ping_interval_ms),
    CYAML_FIELD_UINT("timer_ms", OPT, rs_cfg_feed, timer_ms),
    ENUM("rx_timestamps", rs_cfg_feed, rx_timestamps, rxts_strs),
    CYAML_FIELD_UINT("uring_entries", OPT, rs_cfg_feed, uring_entries),
    CYAML_FIELD_UINT("max_conns", OPT, rs_cfg_feed, max_conns),
    CYAML_FIELD_UINT("rx_buffer_bytes", OPT, rs_cfg_feed, rx_buffer_bytes),
    CYAML_FIELD_UINT("tx_buffer_bytes", OPT, rs_cfg_feed, tx_buffer_bytes),
    CYAML_FIELD_UINT("bad_input_max_bytes", OPT, rs_cfg_feed, bad_input_max_bytes),
    CYAML_FIELD_BOOL("journal_duplicates", OPT, rs_cfg_feed, journal_duplicates),
    CYAML_FIELD_END};

static const cyaml_schema_field_t instrument_fields[] = {
    CYAML_FIELD_STRING("symbol", REQ, rs_cfg_instrument, symbol, 1),
    CYAML_FIELD_UINT("px_exp", REQ, rs_cfg_instrument, px_exp),
    CYAML_FIELD_UINT("qty_exp", REQ, rs_cfg_instrument, qty_exp),
    CYAML_FIELD_STRING("tick", REQ, rs_cfg_instrument, tick, 1),
    CYAML_FIELD_STRING("lot", REQ, rs_cfg_instrument, lot, 1),
    CYAML_FIELD_STRING("min_qty", OPT, rs_cfg_instrument, min_qty, 0),
    CYAML_FIELD_FLOAT("min_notional", OPT, rs_cfg_instrument, min_notional),
    CYAML_FIELD_FLOAT("max_order_qty", OPT, rs_cfg_instrument, max_order_qty),
    CYAML_FIELD_END};
static const cyaml_schema_value_t instrument_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, rs_cfg_instrument, instrument_fields)};

/* ---- features ------------------------------------------------------------------------- */

static const cyaml_schema_value_t period_entry = {CYAML_VALUE_UINT(CYAML_FLAG_DEFAULT, uint32_t)};

static const cyaml_schema_field_t features_fields[] = {
    CYAML_FIELD_UINT("bar_seconds", OPT, rs_cfg_features, bar_seconds),
    CYAML_FIELD_SEQUENCE("ema_periods", OPT | CYAML_FLAG_FLOW, rs_cfg_features, ema_periods, &period_entry, 0, RS_CFG_MAX_PERIODS),
    CYAML_FIELD_SEQUENCE("sma_periods", OPT | CYAML_FLAG_FLOW, rs_cfg_features, sma_periods, &period_entry, 0, RS_CFG_MAX_PERIODS),
    CYAML_FIELD_UINT("rsi_period", OPT, rs_cfg_features, rsi_period),
    CYAML_FIELD_UINT("bb_period", OPT, rs_cfg_features, bb_period),
    CYAML_FIELD_FLOAT("bb_k", OPT, rs_cfg_features, bb_k),
    CYAML_FIELD_UINT("macd_fast", OPT, rs_cfg_features, macd_fast),
    CYAML_FIELD_UINT("macd_slow", OPT, rs_cfg_features, macd_slow),
    CYAML_FIELD_UINT("macd_signal", OPT, rs_cfg_features, macd_signal),
    CYAML_FIELD_UINT("atr_period", OPT, rs_cfg_features, atr_period),
    CYAML_FIELD_UINT("ret_lags", OPT, rs_cfg_features, ret_lags),
    CYAML_FIELD_SEQUENCE("rv_windows", OPT | CYAML_FLAG_FLOW, rs_cfg_features, rv_windows, &period_entry, 0, RS_CFG_MAX_PERIODS),
    CYAML_FIELD_UINT("volume_z_window", OPT, rs_cfg_features, volume_z_window),
    CYAML_FIELD_SEQUENCE("momentum_horizons", OPT | CYAML_FLAG_FLOW, rs_cfg_features, momentum_horizons, &period_entry, 0, RS_CFG_MAX_PERIODS),
    CYAML_FIELD_UINT("momentum_z_window", OPT, rs_cfg_features, momentum_z_window),
    CYAML_FIELD_UINT("beta_window", OPT, rs_cfg_features, beta_window),
    CYAML_FIELD_UINT("corr_window", OPT, rs_cfg_features, corr_window),
    CYAML_FIELD_STRING("ref_symbol", OPT, rs_cfg_features, ref_symbol, 0),
    CYAML_FIELD_UINT("intraday_publish_ms", OPT, rs_cfg_features, intraday_publish_ms),
    CYAML_FIELD_UINT("timer_grace_ms", OPT, rs_cfg_features, timer_grace_ms),
    CYAML_FIELD_UINT("max_catchup_bars", OPT, rs_cfg_features, max_catchup_bars),
    CYAML_FIELD_END};

/* ---- model ------------------------------------------------------------------------------- */

static const cyaml_schema_field_t model_entry_fields[] = {
    CYAML_FIELD_STRING("name", OPT, rs_cfg_model_entry, name, 0),
    CYAML_FIELD_STRING("path", REQ, rs_cfg_model_entry, path, 1),
    CYAML_FIELD_UINT("horizon_bars", REQ, rs_cfg_model_entry, horizon_bars),
    CYAML_FIELD_FLOAT("weight", OPT, rs_cfg_model_entry, weight),
    CYAML_FIELD_STRING("calibration", OPT, rs_cfg_model_entry, calibration, 0),
    CYAML_FIELD_STRING("calibration_key", OPT, rs_cfg_model_entry, calibration_key, 0),
    CYAML_FIELD_END};
static const cyaml_schema_value_t model_entry = {
    CYAML_VALUE_MAPPING(CYAML_FLAG_DEFAULT, rs_cfg_model_entry, model_entry_fields)};

static const cyaml_schema_field_t model_fields[] = {
    CYAML_FIELD_SEQUENCE("models", REQ, rs_cfg_model, models, &model_entry, 1, RS_CFG_MAX_MODELS),
    CYAML_FIELD_FLOAT("scale_bps", OPT, rs_cfg_model, scale_bps),
    CYAML_FIELD_UINT("z_window", OPT, rs_cfg_model, z_window),
    CYAML_FIELD_UINT("z_min_samples", OPT, rs_cfg_model, z_min_samples),
    ENUM("isa", rs_cfg_model, isa, isa_strs),
    CYAML_FIELD_END};

/* ---- gate ----------------------------------------------------------------------------------- */

static const cyaml_schema_field_t gate_fields[] = {
    CYAML_FIELD_FLOAT("z_threshold", OPT, rs_cfg_gate, z_threshold),
    CYAML_FIELD_FLOAT("cost_bps", OPT, rs_cfg_gate, cost_bps),
    CYAML_FIELD_FLOAT("ev_margin_bps", OPT, rs_cfg_gate, ev_margin_bps),
    CYAML_FIELD_BOOL("quantile_enabled", OPT, rs_cfg_gate, quantile_enabled),
    CYAML_FIELD_UINT("quantile_window", OPT, rs_cfg_gate, quantile_window),
    CYAML_FIELD_UINT("quantile_min_count", OPT, rs_cfg_gate, quantile_min_count),
    CYAML_FIELD_FLOAT("quantile", OPT, rs_cfg_gate, quantile),
    CYAML_FIELD_UINT("warmup_bars", OPT, rs_cfg_gate, warmup_bars),
    CYAML_FIELD_UINT("sigma_span_bars", OPT, rs_cfg_gate, sigma_span_bars),
    CYAML_FIELD_FLOAT("sigma_floor_bps", OPT, rs_cfg_gate, sigma_floor_bps),
    CYAML_FIELD_UINT("vote_k", OPT, rs_cfg_gate, vote_k),
    CYAML_FIELD_UINT("vote_min", OPT, rs_cfg_gate, vote_min),
    CYAML_FIELD_UINT("cooldown_bars", OPT, rs_cfg_gate, cooldown_bars),
    CYAML_FIELD_BOOL("exit_on_signal", OPT, rs_cfg_gate, exit_on_signal),
    CYAML_FIELD_UINT("max_hold_bars", OPT, rs_cfg_gate, max_hold_bars),
    CYAML_FIELD_FLOAT("stop_atr", OPT, rs_cfg_gate, stop_atr),
    CYAML_FIELD_FLOAT("take_profit_atr", OPT, rs_cfg_gate, take_profit_atr),
    CYAML_FIELD_FLOAT("trail_atr", OPT, rs_cfg_gate, trail_atr),
    CYAML_FIELD_UINT("oco_delay_bars", OPT, rs_cfg_gate, oco_delay_bars),
    CYAML_FIELD_FLOAT("guard_atr", OPT, rs_cfg_gate, guard_atr),
    CYAML_FIELD_FLOAT("guard_pct", OPT, rs_cfg_gate, guard_pct),
    CYAML_FIELD_BOOL("allow_short", OPT, rs_cfg_gate, allow_short),
    CYAML_FIELD_FLOAT("capital", OPT, rs_cfg_gate, capital),
    CYAML_FIELD_FLOAT("base_fraction", OPT, rs_cfg_gate, base_fraction),
    CYAML_FIELD_FLOAT("edge_cap", OPT, rs_cfg_gate, edge_cap),
    CYAML_FIELD_FLOAT("max_weight", OPT, rs_cfg_gate, max_weight),
    CYAML_FIELD_FLOAT("min_trade_notional", OPT, rs_cfg_gate, min_trade_notional),
    CYAML_FIELD_FLOAT("entry_slip_bps", OPT, rs_cfg_gate, entry_slip_bps),
    CYAML_FIELD_UINT("position_period_ms", OPT, rs_cfg_gate, position_period_ms),
    CYAML_FIELD_END};

/* ---- risk -------------------------------------------------------------------------------------- */

static const cyaml_schema_field_t risk_fields[] = {
    CYAML_FIELD_BOOL("kill_switch", OPT, rs_cfg_risk, kill_switch),
    CYAML_FIELD_UINT("kill_retries", OPT, rs_cfg_risk, kill_retries),
    CYAML_FIELD_UINT("kill_backoff_ms", OPT, rs_cfg_risk, kill_backoff_ms),
    CYAML_FIELD_UINT("max_consecutive_rejects", OPT, rs_cfg_risk, max_consecutive_rejects),
    CYAML_FIELD_UINT("md_stale_ms", OPT, rs_cfg_risk, md_stale_ms),
    CYAML_FIELD_UINT("fill_timeout_ms", OPT, rs_cfg_risk, fill_timeout_ms),
    CYAML_FIELD_UINT("max_reconcile_queries", OPT, rs_cfg_risk, max_reconcile_queries),
    CYAML_FIELD_FLOAT("drawdown_limit_pct", OPT, rs_cfg_risk, drawdown_limit_pct),
    CYAML_FIELD_FLOAT("drawdown_cut_fraction", OPT, rs_cfg_risk, drawdown_cut_fraction),
    CYAML_FIELD_FLOAT("drawdown_recovery_pct", OPT, rs_cfg_risk, drawdown_recovery_pct),
    CYAML_FIELD_FLOAT("drawdown_kill_pct", OPT, rs_cfg_risk, drawdown_kill_pct),
    CYAML_FIELD_FLOAT("max_order_notional", OPT, rs_cfg_risk, max_order_notional),
    CYAML_FIELD_FLOAT("max_position_notional", OPT, rs_cfg_risk, max_position_notional),
    CYAML_FIELD_FLOAT("max_gross_notional", OPT, rs_cfg_risk, max_gross_notional),
    CYAML_FIELD_FLOAT("price_collar_bps", OPT, rs_cfg_risk, price_collar_bps),
    CYAML_FIELD_UINT("max_orders_per_sec", OPT, rs_cfg_risk, max_orders_per_sec),
    CYAML_FIELD_UINT("max_orders_per_min", OPT, rs_cfg_risk, max_orders_per_min),
    CYAML_FIELD_END};

/* ---- exec ------------------------------------------------------------------------------------------ */

static const cyaml_schema_field_t secrets_fields[] = {
    CYAML_FIELD_STRING("file", OPT, rs_cfg_secrets, file, 0),
    CYAML_FIELD_STRING("key_env", OPT, rs_cfg_secrets, key_env, 0),
    CYAML_FIELD_STRING("hmac_secret_env", OPT, rs_cfg_secrets, hmac_secret_env, 0),
    CYAML_FIELD_STRING("ed25519_pem_env", OPT, rs_cfg_secrets, ed25519_pem_env, 0),
    ENUM("key_type", rs_cfg_secrets, key_type, keytype_strs),
    CYAML_FIELD_END};

static const cyaml_schema_field_t faults_fields[] = {
    CYAML_FIELD_UINT("drop_fills", OPT, rs_cfg_sim_faults, drop_fills),
    CYAML_FIELD_UINT("duplicate_fills", OPT, rs_cfg_sim_faults, duplicate_fills),
    CYAML_FIELD_UINT("delay_fills_ms", OPT, rs_cfg_sim_faults, delay_fills_ms),
    CYAML_FIELD_UINT("reject_orders", OPT, rs_cfg_sim_faults, reject_orders),
    CYAML_FIELD_UINT("http_5xx", OPT, rs_cfg_sim_faults, http_5xx),
    CYAML_FIELD_BOOL("place_on_5xx", OPT, rs_cfg_sim_faults, place_on_5xx),
    CYAML_FIELD_UINT("http_429", OPT, rs_cfg_sim_faults, http_429),
    CYAML_FIELD_UINT("http_418", OPT, rs_cfg_sim_faults, http_418),
    CYAML_FIELD_UINT("retry_after_ms", OPT, rs_cfg_sim_faults, retry_after_ms),
    CYAML_FIELD_UINT("status_unknown", OPT, rs_cfg_sim_faults, status_unknown),
    CYAML_FIELD_UINT("disconnect_account_at_ms", OPT, rs_cfg_sim_faults, disconnect_account_at_ms),
    CYAML_FIELD_UINT("disconnect_account_for_ms", OPT, rs_cfg_sim_faults, disconnect_account_for_ms),
    CYAML_FIELD_INT("clock_skew_ms", OPT, rs_cfg_sim_faults, clock_skew_ms),
    CYAML_FIELD_END};

static const cyaml_schema_field_t sim_fields[] = {
    ENUM("latency_model", rs_cfg_sim, latency_model, latency_strs),
    CYAML_FIELD_FLOAT("latency_us", OPT, rs_cfg_sim, latency_us),
    CYAML_FIELD_FLOAT("latency_min_us", OPT, rs_cfg_sim, latency_min_us),
    CYAML_FIELD_FLOAT("latency_max_us", OPT, rs_cfg_sim, latency_max_us),
    CYAML_FIELD_STRING("latency_journal", OPT, rs_cfg_sim, latency_journal, 0),
    CYAML_FIELD_FLOAT("taker_fee_bps", OPT, rs_cfg_sim, taker_fee_bps),
    CYAML_FIELD_FLOAT("maker_fee_bps", OPT, rs_cfg_sim, maker_fee_bps),
    CYAML_FIELD_FLOAT("slippage_bps", OPT, rs_cfg_sim, slippage_bps),
    CYAML_FIELD_FLOAT("participation", OPT, rs_cfg_sim, participation),
    CYAML_FIELD_UINT("seed", OPT, rs_cfg_sim, seed),
    CYAML_FIELD_MAPPING("faults", OPT, rs_cfg_sim, faults, faults_fields),
    CYAML_FIELD_END};

static const cyaml_schema_field_t exec_fields[] = {
    ENUM("mode", rs_cfg_exec, mode, mode_strs),
    ENUM("venue", rs_cfg_exec, venue, venue_strs),
    CYAML_FIELD_STRING("ws_api_url", OPT, rs_cfg_exec, ws_api_url, 0),
    CYAML_FIELD_STRING("rest_url", OPT, rs_cfg_exec, rest_url, 0),
    CYAML_FIELD_MAPPING("tls", OPT, rs_cfg_exec, tls, tls_fields),
    CYAML_FIELD_MAPPING("secrets", OPT, rs_cfg_exec, secrets, secrets_fields),
    CYAML_FIELD_UINT("instance_id", OPT, rs_cfg_exec, instance_id),
    ENUM("order_channel", rs_cfg_exec, order_channel, chan_strs),
    CYAML_FIELD_UINT("order_timeout_ms", OPT, rs_cfg_exec, order_timeout_ms),
    CYAML_FIELD_UINT("query_timeout_ms", OPT, rs_cfg_exec, query_timeout_ms),
    CYAML_FIELD_UINT("unknown_retry_ms", OPT, rs_cfg_exec, unknown_retry_ms),
    CYAML_FIELD_UINT("unknown_max_queries", OPT, rs_cfg_exec, unknown_max_queries),
    CYAML_FIELD_UINT("reconcile_interval_ms", OPT, rs_cfg_exec, reconcile_interval_ms),
    CYAML_FIELD_UINT("backoff_ms", OPT, rs_cfg_exec, backoff_ms),
    CYAML_FIELD_UINT("time_sync_s", OPT, rs_cfg_exec, time_sync_s),
    CYAML_FIELD_UINT("recv_window_ms", OPT, rs_cfg_exec, recv_window_ms),
    CYAML_FIELD_UINT("weight_limit_per_min", OPT, rs_cfg_exec, weight_limit_per_min),
    CYAML_FIELD_UINT("orders_limit_per_10s", OPT, rs_cfg_exec, orders_limit_per_10s),
    CYAML_FIELD_FLOAT("weight_headroom", OPT, rs_cfg_exec, weight_headroom),
    CYAML_FIELD_MAPPING("sim", OPT, rs_cfg_exec, sim, sim_fields),
    CYAML_FIELD_END};

static const cyaml_strval_t simsrc_strs[] = {{"synthetic", RS_SIMSRC_SYNTHETIC}, {"csv", RS_SIMSRC_CSV}};

static const cyaml_schema_field_t venue_sim_fields[] = {
    CYAML_FIELD_STRING("listen", OPT, rs_cfg_venue_sim, listen, 1),
    CYAML_FIELD_STRING("cert_file", OPT, rs_cfg_venue_sim, cert_file, 0),
    CYAML_FIELD_STRING("key_file", OPT, rs_cfg_venue_sim, key_file, 0),
    ENUM("source", rs_cfg_venue_sim, source, simsrc_strs),
    CYAML_FIELD_STRING("csv_dir", OPT, rs_cfg_venue_sim, csv_dir, 0),
    CYAML_FIELD_UINT("seed", OPT, rs_cfg_venue_sim, seed),
    CYAML_FIELD_FLOAT("speed", OPT, rs_cfg_venue_sim, speed),
    CYAML_FIELD_UINT("duration_s", OPT, rs_cfg_venue_sim, duration_s),
    CYAML_FIELD_FLOAT("rate_scale", OPT, rs_cfg_venue_sim, rate_scale),
    CYAML_FIELD_STRING("surge_symbol", OPT, rs_cfg_venue_sim, surge_symbol, 0),
    CYAML_FIELD_BOOL("loop", OPT, rs_cfg_venue_sim, loop),
    CYAML_FIELD_INT("ping_interval_ms", OPT, rs_cfg_venue_sim, ping_interval_ms),
    CYAML_FIELD_UINT("pong_timeout_ms", OPT, rs_cfg_venue_sim, pong_timeout_ms),
    CYAML_FIELD_UINT("lifetime_s", OPT, rs_cfg_venue_sim, lifetime_s),
    CYAML_FIELD_UINT("max_conns", OPT, rs_cfg_venue_sim, max_conns),
    CYAML_FIELD_FLOAT("fault_dup", OPT, rs_cfg_venue_sim, fault_dup),
    CYAML_FIELD_FLOAT("fault_reorder", OPT, rs_cfg_venue_sim, fault_reorder),
    CYAML_FIELD_FLOAT("fault_malformed", OPT, rs_cfg_venue_sim, fault_malformed),
    CYAML_FIELD_FLOAT("fault_gap", OPT, rs_cfg_venue_sim, fault_gap),
    CYAML_FIELD_UINT("fault_seed", OPT, rs_cfg_venue_sim, fault_seed),
    CYAML_FIELD_END};

static const cyaml_schema_field_t log_fields[] = {
    ENUM("level", rs_cfg_log, level, loglevel_strs),
    CYAML_FIELD_END};

/* ---- top level ------------------------------------------------------------------------------------- */

static const cyaml_schema_field_t top_fields[] = {
    CYAML_FIELD_STRING("instance", REQ, rs_config, instance, 1),
    CYAML_FIELD_MAPPING("engine", OPT, rs_config, engine, engine_fields),
    CYAML_FIELD_MAPPING("rings", OPT, rs_config, rings, rings_fields),
    CYAML_FIELD_MAPPING("recorder", OPT, rs_config, recorder, recorder_fields),
    CYAML_FIELD_MAPPING("feed", REQ, rs_config, feed, feed_fields),
    CYAML_FIELD_SEQUENCE("instruments", REQ, rs_config, instruments, &instrument_entry, 1, RS_MAX_SYMBOLS),
    CYAML_FIELD_MAPPING("features", OPT, rs_config, features, features_fields),
    CYAML_FIELD_MAPPING("model", REQ, rs_config, model, model_fields),
    CYAML_FIELD_MAPPING("gate", OPT, rs_config, gate, gate_fields),
    CYAML_FIELD_MAPPING("risk", OPT, rs_config, risk, risk_fields),
    CYAML_FIELD_MAPPING("exec", OPT, rs_config, exec, exec_fields),
    CYAML_FIELD_MAPPING("venue_sim", OPT, rs_config, venue_sim, venue_sim_fields),
    CYAML_FIELD_MAPPING("log", OPT, rs_config, log, log_fields),
    CYAML_FIELD_END};

const cyaml_schema_value_t rs_cfg_schema = {CYAML_VALUE_MAPPING(CYAML_FLAG_POINTER, rs_config, top_fields)};

/* ---- defaults ---------------------------------------------------------------------------------------- */

#define KIB 1024ull
#define MIB (1024ull * 1024ull)

/* A 2-core laptop / CI box: two polite threads, back-off idling. The
 * co-located profile (configs/colo.yml) overrides this with one spinning
 * pinned thread per stage. */
static const rs_cfg_thread thread_default = {
    .name = "", .stages = 0, .cpu = RS_CPU_NONE, .idle = RS_IDLE_BACKOFF,
    .spin_us = 20, .backoff_min_us = 1, .backoff_max_us = 1000, .pretouch_kb = 64,
};

static const rs_cfg_tls tls_default = {.ca_file = "", .server_name = "", .verify = true, .system_ca = true};

static const rs_cfg_instrument instrument_default = {.min_qty = "", .min_notional = 0.0};

static const rs_cfg_model_entry model_entry_default = {.name = "", .weight = 1.0, .calibration = ""};

static const rs_config defaults = {
    .instance = "",
    .engine = {
        .threads = {
            {.name = "io", .stages = RS_STAGE_FEED | RS_STAGE_EXEC, .cpu = RS_CPU_NONE,
             .idle = RS_IDLE_BACKOFF, .spin_us = 20, .backoff_min_us = 1, .backoff_max_us = 1000,
             .pretouch_kb = 64},
            {.name = "strategy", .stages = RS_STAGE_FEATURES | RS_STAGE_MODEL | RS_STAGE_GATE,
             .cpu = RS_CPU_NONE, .idle = RS_IDLE_BACKOFF, .spin_us = 20, .backoff_min_us = 1,
             .backoff_max_us = 1000, .pretouch_kb = 64},
        },
        .threads_count = 2,
        .mlockall = RS_MLOCK_OFF,
        .prefault = true,
        .huge_pages = RS_HUGE_AUTO,
        .heartbeat_ms = 100,
        .dead_peer_ms = 2000,
        .drain_timeout_ms = 5000,
    },
    .rings = {
        .md_bytes = 4 * MIB, .mark_bytes = 1 * MIB, .feat_bytes = 1 * MIB, .pred_bytes = 256 * KIB,
        .intent_bytes = 1 * MIB, .exec_bytes = 1 * MIB, .ctl_bytes = 256 * KIB, .raw_bytes = 16 * MIB,
        .recorder_lag_policy = RS_LAG_PAUSE_TRADING,
        .recorder_alarm_pct = 50,
    },
    .recorder = {
        .enabled = true,
        .journal_dir = "var/journal",
        .segment_bytes = 256 * MIB,
        .io = RS_RECIO_URING,
        .batch_bytes = 1 * MIB,
        .batches = 8,
        .fsync_interval_ms = 200,
        .fsync_bytes = 8 * MIB,
        .fsync_on_order = true,
        .raw_frames = true,
        .attach_timeout_ms = 15000,
        .cpu = RS_CPU_NONE,
        .idle = RS_IDLE_BACKOFF,
    },
    .feed = {
        .venue = RS_CFG_VENUE_BINANCE,
        .url = "",
        .rest_url = "",
        .tls = {.ca_file = "", .server_name = "", .verify = true, .system_ca = true, .tls13 = false},
        .streams = RS_FEED_TRADE | RS_FEED_BOOK_TICKER,
        .reconnect_min_ms = 100,
        .reconnect_max_ms = 30000,
        .reconnect_jitter = 0.2,
        .connect_timeout_ms = 10000,
        .lifetime_s = 86400,
        .rotate_margin_s = 600,
        .rotate_overlap_ms = 5000,
        .max_frame_bytes = 1 << 20,
        .stale_symbol_ms = 10000,
        .stale_conn_ms = 5000,
        .ping_interval_ms = 20000,
        .timer_ms = 100,
        .rx_timestamps = RS_RXTS_SOFTWARE,
        .uring_entries = 64,
        .max_conns = 4,
        .rx_buffer_bytes = 256 * 1024,
        .tx_buffer_bytes = 64 * 1024,
        .bad_input_max_bytes = 4096,
        .journal_duplicates = true,
    },
    .instruments_count = 0,
    .features = {
        .bar_seconds = 300,
        .ema_periods = {10}, .ema_periods_count = 1,
        .sma_periods = {10}, .sma_periods_count = 1,
        .rsi_period = 14,
        .bb_period = 20, .bb_k = 2.0,
        .macd_fast = 12, .macd_slow = 26, .macd_signal = 9,
        .atr_period = 14,
        .ret_lags = 5,
        .rv_windows = {12, 48}, .rv_windows_count = 2,
        .volume_z_window = 20,
        .momentum_horizons = {12, 48}, .momentum_horizons_count = 2,
        .momentum_z_window = 48,
        .beta_window = 48,
        .corr_window = 48,
        .ref_symbol = "",
        .intraday_publish_ms = 0,
        .timer_grace_ms = 1000,
        .max_catchup_bars = 2016,
    },
    .model = {
        .models_count = 0,
        .scale_bps = 1.0,
        .z_window = 288,
        .z_min_samples = 48,
        .isa = RS_CFG_ISA_AUTO,
    },
    /* gate, risk and exec defaults are those of rs_gate_params_default and
     * rs_exec_params_default (core/gate.c, exec/exec_stage.c) */
    .gate = {
        .z_threshold = 1.0,
        .cost_bps = 20.0,
        .ev_margin_bps = 0.0,
        .quantile_enabled = true,
        .quantile_window = 288,
        .quantile_min_count = 48,
        .quantile = 0.8,
        .warmup_bars = 30,
        .sigma_span_bars = 20,
        .sigma_floor_bps = 5.0,
        .vote_k = 3,
        .vote_min = 2,
        .cooldown_bars = 2,
        .exit_on_signal = true,
        .max_hold_bars = 12,
        .stop_atr = 2.0,
        .take_profit_atr = 3.0,
        .trail_atr = 0.0,
        .oco_delay_bars = 1,
        .guard_atr = 6.0,
        .guard_pct = 10.0,
        .allow_short = true,
        .capital = 10000.0,
        .base_fraction = 0.1,
        .edge_cap = 2.0,
        .max_weight = 0.25,
        .min_trade_notional = 10.0,
        .entry_slip_bps = 5.0,
        .position_period_ms = 60000,
    },
    .risk = {
        .kill_switch = false,
        .kill_retries = 5,
        .kill_backoff_ms = 500,
        .max_consecutive_rejects = 5,
        .md_stale_ms = 5000,
        .fill_timeout_ms = 5000,
        .max_reconcile_queries = 5,
        .drawdown_limit_pct = 5.0,
        .drawdown_cut_fraction = 0.5,
        .drawdown_recovery_pct = 2.5,
        .drawdown_kill_pct = 10.0,
        .max_order_notional = 5000.0,
        .max_position_notional = 5000.0,
        .max_gross_notional = 20000.0,
        .price_collar_bps = 50.0,
        .max_orders_per_sec = 5,
        .max_orders_per_min = 60,
    },
    .exec = {
        .mode = RS_EXEC_LIVE,
        .venue = RS_CFG_VENUE_BINANCE,
        .ws_api_url = "",
        .rest_url = "",
        .tls = {.ca_file = "", .server_name = "", .verify = true, .system_ca = true, .tls13 = false},
        .secrets = {.file = "", .key_env = "RINGSIDE_API_KEY", .hmac_secret_env = "RINGSIDE_API_SECRET",
                    .ed25519_pem_env = "RINGSIDE_ED25519_PEM", .key_type = RS_KEY_ED25519},
        .instance_id = 1,
        .order_channel = RS_CHAN_WS,
        .order_timeout_ms = 2000,
        .query_timeout_ms = 2000,
        .unknown_retry_ms = 250,
        .unknown_max_queries = 4,
        .reconcile_interval_ms = 10000,
        .backoff_ms = 1000,
        .time_sync_s = 60,
        .recv_window_ms = 5000,
        .weight_limit_per_min = 6000,
        .orders_limit_per_10s = 50,
        .weight_headroom = 0.9,
        .sim = {
            .latency_model = RS_LAT_CONSTANT,
            .latency_us = 500.0,
            .latency_min_us = 200.0,
            .latency_max_us = 2000.0,
            .latency_journal = "",
            .taker_fee_bps = 10.0,
            .maker_fee_bps = 10.0,
            .slippage_bps = 0.0,
            .participation = 1.0,
            .seed = 1,
            .faults = {.place_on_5xx = true, .retry_after_ms = 1000},
        },
    },
    .venue_sim = {
        .listen = "127.0.0.1:9443",
        .cert_file = "certs/server.pem",
        .key_file = "certs/server.key",
        .source = RS_SIMSRC_SYNTHETIC,
        .csv_dir = "",
        .seed = 1,
        .speed = 1.0,
        .duration_s = 0,
        .rate_scale = 1.0,
        .surge_symbol = "",
        .loop = false,
        .ping_interval_ms = 20000,
        .pong_timeout_ms = 60000,
        .lifetime_s = 86400,
        .max_conns = 64,
        .fault_seed = 1,
    },
    .log = {.level = RS_LOG_INFO},
};

const rs_config *rs_config_defaults(void) { return &defaults; }

const void *rs_cfg_entry_default(const cyaml_schema_value_t *entry)
{
    if (entry == &thread_entry)
        return &thread_default;
    if (entry == &instrument_entry)
        return &instrument_default;
    if (entry == &model_entry)
        return &model_entry_default;
    (void)tls_default;
    return NULL;
}

/* ---- per-key range and documentation -------------------------------------------------------------------- */

#define ANY 0, 0.0, 0.0
#define GE(a) RS_M_MIN, (a), 0.0
#define GT(a) RS_M_MIN | RS_M_XMIN, (a), 0.0
#define IN(a, b) RS_M_MIN | RS_M_MAX, (a), (b)
#define GT_LE(a, b) RS_M_MIN | RS_M_XMIN | RS_M_MAX, (a), (b)
#define GT_LT(a, b) RS_M_MIN | RS_M_XMIN | RS_M_MAX | RS_M_XMAX, (a), (b)
#define POW2(a, b) RS_M_MIN | RS_M_MAX | RS_M_POW2, (a), (b)
#define RING POW2(2.0 * RS_REC_MAX, 2147483648.0)   /* rs_spsc capacity is a uint32 */

const rs_cfg_meta rs_cfg_meta_tab[] = {
    {"instance", ANY, "Instance name: names the shared-memory region (/dev/shm) and the journal directory. "
                      "Letters, digits, `_` and `-`."},

    {"engine.threads", ANY, "Threads of the engine and the stages each runs. Every stage (feed, features, model, "
                            "gate, exec) must be on exactly one thread."},
    {"engine.threads[].name", ANY, "Thread name (shown by `ringside top`, set as the OS thread name). Default `t<index>`."},
    {"engine.threads[].stages", ANY, "Stages this thread runs, in pipeline order: any of `feed`, `features`, `model`, `gate`, `exec`."},
    {"engine.threads[].cpu", IN(0, 1023), "CPU to pin the thread to: a CPU number, `auto` (the runtime picks an "
                                          "isolated/idle core from the topology and logs it) or `none` (not pinned)."},
    {"engine.threads[].idle", ANY, "What the thread does when its input rings are empty: `spin` (busy-poll; lowest "
                                   "latency, burns a core), `spin_yield` (spin `spin_us`, then sched_yield), "
                                   "`backoff` (spin `spin_us`, then sleep from `backoff_min_us` doubling to `backoff_max_us`)."},
    {"engine.threads[].spin_us", IN(0, 1000000), "Busy-poll time before yielding or sleeping (spin_yield, backoff), microseconds."},
    {"engine.threads[].backoff_min_us", GE(1), "First sleep of the back-off strategy, microseconds. Short first "
                                               "sleeps wake a thread that has just gone idle quickly: `bench e2e "
                                               "--quick` on the 2-core VM, tick-to-order p50 86-104 us with 1, "
                                               "129-172 us with 50."},
    {"engine.threads[].backoff_max_us", GE(1), "Longest sleep of the back-off strategy, microseconds (>= backoff_min_us). "
                                               "Bounds the added latency of an idle pipeline."},
    {"engine.threads[].pretouch_kb", IN(0, 65536), "While idle, write one byte of each page of the next this-many KiB "
                                                  "of free space in every ring the thread produces, one page per idle "
                                                  "loop (0: off). The first store to a ring page can stall for "
                                                  "microseconds (KVM guests: 5-15 us on about one page in seven); "
                                                  "pre-touching takes that off the records' path, like Chronicle "
                                                  "Queue's pretoucher. Changes no record."},
    {"engine.mlockall", ANY, "Lock all pages in memory (mlockall with MCL_CURRENT and MCL_FUTURE) at start: `false`, `true` "
                             "(a failure is logged with the RLIMIT_MEMLOCK in force and the engine runs on) or "
                             "`required` (a failure stops the start). Needs CAP_IPC_LOCK or a large RLIMIT_MEMLOCK."},
    {"engine.prefault", ANY, "Touch every page of the shared-memory region at start so the hot path never page-faults."},
    {"engine.huge_pages", ANY, "Huge pages for the region: `auto` (use when available, log a one-line fallback), "
                               "`on` (fail without them), `off`."},
    {"engine.heartbeat_ms", IN(1, 60000), "Period of each thread's heartbeat in the region header, ms."},
    {"engine.dead_peer_ms", IN(1, 600000), "A thread, engine or recorder whose heartbeat is older than this is dead, ms (> heartbeat_ms)."},
    {"engine.drain_timeout_ms", IN(0, 600000), "On a clean stop, how long to wait for rings to drain and the journal to flush, ms."},

    {"rings.md_bytes", RING, "Capacity of the market-data ring (feed -> features), bytes. Power of two, at least 2 x the largest record (128 KiB)."},
    {"rings.mark_bytes", RING, "Capacity of the mark-price ring (feed -> gate), bytes; power of two."},
    {"rings.feat_bytes", RING, "Capacity of the feature-vector ring (features -> model), bytes; power of two."},
    {"rings.pred_bytes", RING, "Capacity of the prediction ring (model -> gate), bytes; power of two."},
    {"rings.intent_bytes", RING, "Capacity of the intent/decision ring (gate -> exec), bytes; power of two."},
    {"rings.exec_bytes", RING, "Capacity of the exec-report ring (exec -> gate), bytes; power of two."},
    {"rings.ctl_bytes", RING, "Capacity of the control ring (ctl -> stages), bytes; power of two."},
    {"rings.raw_bytes", RING, "Capacity of the raw-frame ring (network frames, bad input, venue messages), bytes; power of two."},
    {"rings.recorder_lag_policy", ANY, "When the recorder is absent or behind so that a producer would have to overwrite "
                                       "unrecorded records: `pause_trading` (default: raise an alarm and stop opening "
                                       "positions; producers wait, nothing is dropped) or `block` (producers wait, no trading change)."},
    {"rings.recorder_alarm_pct", IN(1, 100), "Fill level (% of capacity not yet copied by the recorder) that raises the recorder-lag alarm."},

    {"recorder.enabled", ANY, "`ringside run` spawns the recorder (false = no journal, replay impossible; a warning is printed)."},
    {"recorder.journal_dir", ANY, "Journal root; segments go to `<journal_dir>/<instance>/<UTC start>/`."},
    {"recorder.segment_bytes", IN(1048576, 1099511627776.0), "Rotate to a new segment file past this size, bytes."},
    {"recorder.io", ANY, "How segments are written: `uring` (io_uring, batched; default) or `write` (plain write(2), "
                         "for kernels without io_uring and for comparison)."},
    {"recorder.batch_bytes", IN(4096, 1073741824), "Bytes gathered into one write."},
    {"recorder.batches", IN(2, 1024), "Write buffers: writes in flight plus the one being filled."},
    {"recorder.fsync_interval_ms", IN(0, 3600000), "fsync at least this often while writing, ms (0 = off). Bounds what a power cut can lose, in time."},
    {"recorder.fsync_bytes", ANY, "fsync after this many bytes since the last fsync (0 = off). Bounds what a power cut can lose, in size."},
    {"recorder.fsync_on_order", ANY, "fsync the batch holding every order and exec-report record before the next batch: "
                                     "no order is ever lost on a power cut, at the cost of one fsync per order."},
    {"recorder.raw_frames", ANY, "Journal the raw network frames besides the decoded events (lets a decoder change be replayed)."},
    {"recorder.attach_timeout_ms", IN(1, 600000), "`ringside run` waits this long for the spawned recorder to attach before failing, ms (a recorder that exits is noticed at once)."},
    {"recorder.cpu", IN(0, 1023), "CPU for the recorder process: a number, `auto` or `none` (as engine.threads[].cpu)."},
    {"recorder.idle", ANY, "Idle strategy of the recorder's copy loop (as engine.threads[].idle)."},

    {"feed.venue", ANY, "Market-data protocol: `binance` (spot; also the bundled simulator), `binance_futures` (USD-M), `okx` (v5)."},
    {"feed.url", ANY, "Market-data WebSocket URL (`wss://host[:port]/path` or `ws://`), e.g. the combined-stream endpoint."},
    {"feed.rest_url", ANY, "REST base URL for depth snapshots (resync after an update-id gap), `https://host[:port]`; empty = none."},
    {"feed.tls.ca_file", ANY, "PEM file of CA certificates to trust instead of the system store (the bundled simulator's `certs/ca.pem`)."},
    {"feed.tls.server_name", ANY, "Host name sent as SNI and verified against the certificate; empty = the URL's host."},
    {"feed.tls.verify", ANY, "Verify the certificate chain and host name. Turning it off is for debugging only and prints a warning."},
    {"feed.tls.system_ca", ANY, "Also trust the system CA store (false: trust only ca_file)."},
    {"feed.tls.tls13", ANY, "Allow TLS 1.3. Off by default: TLS 1.2 (ECDHE + AEAD) only, because OpenSSL 3.0 allocates per "
                            "received TLS 1.3 record, which breaks the zero-allocation hot path."},
    {"feed.streams", ANY, "Streams subscribed per symbol: any of `trade`, `agg_trade`, `book_ticker`, `depth` (at least one)."},
    {"feed.reconnect_min_ms", IN(1, 600000), "First reconnect delay, ms; doubles per failure up to reconnect_max_ms."},
    {"feed.reconnect_max_ms", IN(1, 3600000), "Reconnect delay cap, ms (>= reconnect_min_ms)."},
    {"feed.reconnect_jitter", IN(0, 1), "Random jitter added to each reconnect delay, as a fraction of it."},
    {"feed.connect_timeout_ms", IN(1, 600000), "Connect timeout (TCP + TLS handshake + WebSocket upgrade), ms."},
    {"feed.lifetime_s", IN(0, 31536000), "The venue's connection lifetime (Binance: 24 h), s; 0 = none. A second connection "
                                         "takes over rotate_margin_s before it, so no data is missed."},
    {"feed.rotate_margin_s", IN(0, 86400), "Planned rotation this long before lifetime_s, s (at most lifetime/2)."},
    {"feed.rotate_overlap_ms", IN(0, 600000), "During a rotation both connections are read this long, duplicates dropped, ms."},
    {"feed.max_frame_bytes", IN(1024, 1073741824), "Largest WebSocket message accepted, bytes; a larger one closes the connection with an error."},
    {"feed.stale_symbol_ms", IN(1, 86400000), "A symbol with no market data for this long is stale (event published; gates refuse to trade it), ms."},
    {"feed.stale_conn_ms", IN(1, 86400000), "A connection with no bytes for this long is half-open: it is reconnected, ms."},
    {"feed.ping_interval_ms", IN(0, 3600000), "Client ping period, ms (0 = only answer the venue's pings)."},
    {"feed.timer_ms", IN(1, 60000), "Cadence of the timer events the feed thread injects (the stages' only clock), ms."},
    {"feed.rx_timestamps", ANY, "Kernel receive timestamps on market-data sockets: `software`, `hardware` (NIC support needed; falls back with a log line), `off`."},
    {"feed.uring_entries", POW2(1, 32768), "io_uring queue entries of the feed thread; power of two."},
    {"feed.max_conns", IN(1, 1024), "Connection slots of the feed thread (market-data connections incl. rotations)."},
    {"feed.rx_buffer_bytes", IN(4096, 268435456), "Receive buffer per connection (two per slot), bytes."},
    {"feed.tx_buffer_bytes", IN(1024, 268435456), "Send buffer per connection, bytes."},
    {"feed.bad_input_max_bytes", IN(0, 60000), "Raw bytes of a rejected message kept in its bad-input record (the rest is cut)."},
    {"feed.journal_duplicates", ANY, "Duplicate and too-old trades (by trade id) become bad-input records (counted, journaled) "
                                     "instead of being dropped silently; they are never double-counted either way."},

    {"instruments", ANY, "The instrument universe, in order: an instrument's index in this list is its id in every record."},
    {"instruments[].symbol", ANY, "Venue symbol, e.g. `BTCUSDT` (stored upper case; unique)."},
    {"instruments[].px_exp", IN(0, 18), "Price decimals: prices are integers of 10^-px_exp."},
    {"instruments[].qty_exp", IN(0, 18), "Quantity decimals: quantities are integers of 10^-qty_exp."},
    {"instruments[].tick", ANY, "Price tick as a decimal string (e.g. \"0.01\"); > 0, exact at px_exp decimals."},
    {"instruments[].lot", ANY, "Quantity step as a decimal string (e.g. \"0.00001\"); > 0, exact at qty_exp decimals."},
    {"instruments[].min_qty", ANY, "Smallest order quantity, decimal string; a multiple of lot. Empty = lot."},
    {"instruments[].min_notional", GE(0), "Smallest order notional the venue accepts, quote currency."},
    {"instruments[].max_order_qty", GE(0), "Risk limit: largest order quantity in units of the instrument (0 = none)."},

    {"features.bar_seconds", IN(1, 86400), "Bar length, seconds; bars are aligned to UTC epoch multiples, so it must divide 86400."},
    {"features.ema_periods", ANY, "EMA periods, in bars (columns `ema_<N>`); at most 8, unique."},
    {"features.ema_periods[]", IN(1, 10000), "An EMA period, bars."},
    {"features.sma_periods", ANY, "SMA periods, in bars (columns `sma_<N>`); at most 8, unique."},
    {"features.sma_periods[]", IN(1, 10000), "An SMA period, bars."},
    {"features.rsi_period", IN(2, 10000), "RSI period (Wilder), bars (column `rsi_<N>`)."},
    {"features.bb_period", IN(2, 10000), "Bollinger band period, bars (columns `bb_*_<N>`)."},
    {"features.bb_k", GT_LE(0, 10), "Bollinger band width in standard deviations (population)."},
    {"features.macd_fast", IN(1, 10000), "MACD fast EMA period, bars (< macd_slow)."},
    {"features.macd_slow", IN(2, 10000), "MACD slow EMA period, bars."},
    {"features.macd_signal", IN(1, 10000), "MACD signal EMA period, bars."},
    {"features.atr_period", IN(1, 10000), "ATR period (Wilder), bars (column `atr_<N>`); also the ATR used by stops and guards."},
    {"features.ret_lags", IN(0, 64), "Log-return lags: columns `ret_1` .. `ret_<N>`."},
    {"features.rv_windows", ANY, "Realised-volatility windows, bars (columns `rv_<N>`); at most 8, unique."},
    {"features.rv_windows[]", IN(2, 100000), "A realised-volatility window, bars."},
    {"features.volume_z_window", IN(2, 100000), "Window of the volume z-score, bars."},
    {"features.momentum_horizons", ANY, "Momentum return horizons, bars (with rolling z-scores); at most 8, unique."},
    {"features.momentum_horizons[]", IN(1, 100000), "A momentum horizon, bars."},
    {"features.momentum_z_window", IN(2, 100000), "Window of each momentum return's rolling z-score, bars."},
    {"features.beta_window", IN(2, 100000), "Window of the rolling beta / residual return against ref_symbol, bars."},
    {"features.corr_window", IN(2, 100000), "Window of the average pairwise correlation (correlation regime), bars."},
    {"features.ref_symbol", ANY, "Reference instrument of the cross-asset features; must be in `instruments`. "
                                 "Empty = the first instrument whose symbol starts with BTC, else the first instrument."},
    {"features.intraday_publish_ms", IN(0, 86400000), "Publish intrabar feature updates at most this often, ms (0 = only at bar close)."},
    {"features.timer_grace_ms", IN(0, 3600000), "With no trade, a timer event closes a bar at its end plus this grace, ms "
                                                "(late trades inside the grace still count)."},
    {"features.max_catchup_bars", IN(1, 1000000), "Longest run of empty bars emitted after a jump in time (a feed gap); "
                                                  "older ones are skipped and the gap flagged."},

    {"model.models", ANY, "The ensemble: one XGBoost model per horizon, combined by weight (at most 8)."},
    {"model.models[].name", ANY, "Model name in logs and records; unique. Default `h<horizon_bars>`."},
    {"model.models[].path", ANY, "XGBoost JSON model file (`Booster.save_model(\"m.json\")`)."},
    {"model.models[].horizon_bars", IN(1, 100000), "Forecast horizon of this model, bars."},
    {"model.models[].weight", GE(0), "Weight in the weighted prediction (weights are normalised by their sum, which must be > 0)."},
    {"model.models[].calibration", ANY, "Calibration JSON (isotonic or Platt) applied to this model's output; empty = none."},
    {"model.models[].calibration_key", ANY, "Entry of this model in the calibration file when it holds several; empty = the file is one calibration."},
    {"model.scale_bps", GT(0), "Multiplier from calibrated model output to basis points."},
    {"model.z_window", IN(2, 1000000), "Rolling window of the weighted prediction's mean and deviation for the z-edge, predictions."},
    {"model.z_min_samples", IN(2, 1000000), "The z-edge is not ready before this many predictions (<= z_window)."},
    {"model.isa", ANY, "Inference path: `auto` (best the CPU supports), `scalar`, `avx2`, `avx512` (all bit-identical)."},

    {"gate.z_threshold", GT(0), "Entry gate: |z-edge| of the weighted prediction must be at least this."},
    {"gate.cost_bps", GE(0), "Round-trip cost of this venue (fees + slippage) the expected return must exceed, bps."},
    {"gate.ev_margin_bps", GE(0), "Extra margin over cost_bps the expected return must exceed (strictly), bps."},
    {"gate.quantile_enabled", ANY, "Enable the quantile filter."},
    {"gate.quantile_window", IN(2, 1000000), "History of predictions the quantile filter ranks against (exact rolling quantile), predictions."},
    {"gate.quantile_min_count", IN(1, 1000000), "The quantile filter cannot pass before this many predictions (<= quantile_window)."},
    {"gate.quantile", GT_LT(0.5, 1), "Quantile filter: a long needs a prediction at or above this quantile of the window, a short "
                                     "at or below 1 - quantile (0.8 = the extreme 20% on each side)."},
    {"gate.warmup_bars", IN(0, 1000000), "No entries during the first bars of a session (features and rolling stats warming up; "
                                         "at least features.atr_period + 1 is enforced by the gate)."},
    {"gate.sigma_span_bars", IN(1, 100000), "EWMA span of per-bar returns for the gate's volatility (sigma), bars."},
    {"gate.sigma_floor_bps", GE(0), "No entries while per-bar sigma is below this, bps."},
    {"gate.vote_k", IN(1, 64), "Persistence window: the last K predictions are the votes (1 = off)."},
    {"gate.vote_min", IN(1, 64), "Agreeing votes needed within the window (<= vote_k)."},
    {"gate.cooldown_bars", IN(0, 100000), "No new entry on a symbol for this many bars after an exit."},
    {"gate.exit_on_signal", ANY, "Exit when an opposite signal passes the z-edge and vote gates."},
    {"gate.max_hold_bars", IN(0, 100000), "Timed exit after this many bars in a position (0 = off)."},
    {"gate.stop_atr", GE(0), "Stop-loss distance in entry ATRs from the entry (0 = none)."},
    {"gate.take_profit_atr", GE(0), "Take-profit distance in entry ATRs from the entry (0 = none)."},
    {"gate.trail_atr", GE(0), "Trailing-stop distance in ATRs from the best price since entry (0 = none)."},
    {"gate.oco_delay_bars", IN(0, 1000), "Stop/take-profit child orders are armed this many bars after the entry fill (never a same-bar stop-out)."},
    {"gate.guard_atr", GE(0), "Catastrophic-move guard: exit at once on a mark-price move this many ATRs against the position, "
                              "on every tick, armed or not (0 = off)."},
    {"gate.guard_pct", IN(0, 100), "Catastrophic-move guard in percent of the entry price (0 = off); the first of guard_atr/guard_pct to trigger wins."},
    {"gate.allow_short", ANY, "Allow short entries."},
    {"gate.capital", GT(0), "Starting equity, quote currency: the base of sizing, max_weight and the drawdown circuit."},
    {"gate.base_fraction", GT_LE(0, 1), "Sizing: notional = capital x base_fraction x min(edge / sigma, edge_cap), then capped by "
                                        "max_weight, the risk limits and rounded to the lot."},
    {"gate.edge_cap", GT_LE(0, 100), "Cap of the edge / sigma multiplier in the sizing."},
    {"gate.max_weight", GT_LE(0, 1), "Largest |position| notional per asset as a fraction of equity."},
    {"gate.min_trade_notional", GE(0), "Orders smaller than this (after rounding to lot) are not sent, quote currency (on top of the venue minimum)."},
    {"gate.entry_slip_bps", GE(0), "Entries are limit immediate-or-cancel orders priced this far through the best bid/ask, bps."},
    {"gate.position_period_ms", IN(0, 86400000), "Publish position records on timer events this often, ms (0 = on fills only)."},

    {"risk.kill_switch", ANY, "Start with the kill switch on (no entries; working orders cancelled, positions flattened)."},
    {"risk.kill_retries", IN(0, 1000), "Kill switch: retries per cancel/flatten order after the first attempt, then an escalation "
                                       "event (bounded; never loops)."},
    {"risk.kill_backoff_ms", IN(1, 600000), "Kill switch: first retry delay, ms (doubles, capped at 64x)."},
    {"risk.max_consecutive_rejects", IN(1, 100000), "Auto-pause after this many consecutive order rejects (manual resume)."},
    {"risk.md_stale_ms", IN(1, 86400000), "Pre-trade freshness: no order when the symbol's last mark is older than this, ms."},
    {"risk.fill_timeout_ms", IN(1, 86400000), "Fill health: an acked order with no fill/cancel report within this makes the position "
                                              "stale (no new orders on it) and triggers reconciliation, ms."},
    {"risk.max_reconcile_queries", IN(1, 1000), "Reconciliation queries per order before escalating (risk event)."},
    {"risk.drawdown_limit_pct", GT_LE(0, 100), "Drawdown circuit: peak-to-trough equity loss that cuts exposure, percent."},
    {"risk.drawdown_cut_fraction", GT_LE(0, 1), "Fraction of each position cut when the drawdown circuit trips."},
    {"risk.drawdown_recovery_pct", IN(0, 100), "Normal trading resumes only below this drawdown, percent (< drawdown_limit_pct)."},
    {"risk.drawdown_kill_pct", IN(0, 100), "Drawdown that trips the kill switch, percent (0 = off; else > drawdown_limit_pct)."},
    {"risk.max_order_notional", GT(0), "Largest single order notional, quote currency."},
    {"risk.max_position_notional", GT(0), "Largest |position| notional per symbol after an order, quote currency."},
    {"risk.max_gross_notional", GT(0), "Largest sum of |position| notionals after an order, quote currency."},
    {"risk.price_collar_bps", GT(0), "Reject orders priced further than this from the last trade, bps."},
    {"risk.max_orders_per_sec", IN(1, 100000), "Message-rate throttle: orders (incl. cancels) per second."},
    {"risk.max_orders_per_min", IN(1, 1000000), "Message-rate throttle: orders (incl. cancels) per minute."},

    {"exec.mode", ANY, "`live`: orders go to the venue at ws_api_url/rest_url (a real venue or the bundled simulator). "
                       "`paper`: real market data, orders filled by the in-process simulated venue (exec.sim)."},
    {"exec.venue", ANY, "Order protocol: `binance`, `binance_futures` (`okx` has no order adapter yet)."},
    {"exec.ws_api_url", ANY, "Live: WebSocket API URL (`wss://...`) for order entry and the user-data stream."},
    {"exec.rest_url", ANY, "Live: REST base URL (`https://...`) for the reconciliation polling path; required in live mode."},
    {"exec.tls.ca_file", ANY, "As feed.tls.ca_file, for the order connections."},
    {"exec.tls.server_name", ANY, "As feed.tls.server_name, for the order connections."},
    {"exec.tls.verify", ANY, "As feed.tls.verify, for the order connections."},
    {"exec.tls.system_ca", ANY, "As feed.tls.system_ca, for the order connections."},
    {"exec.tls.tls13", ANY, "As feed.tls.tls13, for the order connections."},
    {"exec.secrets.file", ANY, "Credentials file: `key = value` lines (`api_key`, `hmac_secret`, `ed25519_seed`) and/or one "
                               "Ed25519 PKCS#8 PEM block; owned by the engine's user with no group/other bits (0600 or 0400), "
                               "refused otherwise. Empty = the environment."},
    {"exec.secrets.key_env", ANY, "Environment variable holding the API key (when no file is given)."},
    {"exec.secrets.hmac_secret_env", ANY, "Environment variable holding the HMAC-SHA256 secret (when no file is given)."},
    {"exec.secrets.ed25519_pem_env", ANY, "Environment variable holding the Ed25519 private key as PEM text (when no file is given)."},
    {"exec.secrets.key_type", ANY, "Request signing: `ed25519` (WebSocket API and REST) or `hmac` (HMAC-SHA256, REST)."},
    {"exec.instance_id", IN(1, 16777215), "Client order ids are (instance_id << 40) | sequence: deterministic, so replay reproduces them."},
    {"exec.order_channel", ANY, "Order entry over the WebSocket API (`ws`, default) or REST (`rest`); reconciliation always uses REST."},
    {"exec.order_timeout_ms", IN(1, 600000), "No answer to a new order within this: its state is unknown and it is queried by client id "
                                             "before any retry (never re-sent blindly), ms."},
    {"exec.query_timeout_ms", IN(1, 600000), "No answer to a query or cancel within this: ask again, ms."},
    {"exec.unknown_retry_ms", IN(1, 600000), "First re-query of an order in the unknown state, ms (doubles)."},
    {"exec.unknown_max_queries", IN(1, 1000), "An unknown order reported \"not found\" this many times is rejected."},
    {"exec.reconcile_interval_ms", IN(100, 3600000), "Period of the REST reconciliation poll (open orders, recent trades), ms. "
                                                     "The WebSocket path cannot turn it off."},
    {"exec.backoff_ms", IN(1, 600000), "After a 429 without Retry-After: first backoff, ms (doubles up to 60 s)."},
    {"exec.time_sync_s", IN(1, 86400), "Re-measure the clock offset to the venue this often, s (and at once after a -1021)."},
    {"exec.recv_window_ms", IN(0, 60000), "Binance recvWindow of signed requests, ms (0 = omitted)."},
    {"exec.weight_limit_per_min", IN(1, 1000000), "Request-weight budget per minute until the venue states its own limits."},
    {"exec.orders_limit_per_10s", IN(1, 1000000), "Order-count budget per 10 s until the venue states its own limits."},
    {"exec.weight_headroom", GT_LE(0, 1), "Hold all but kill-switch traffic once this share of a rate limit is used (a 418 ban never happens)."},
    {"exec.sim.latency_model", ANY, "Simulated venue latency: `constant` (latency_us per leg), `uniform` (latency_min_us..latency_max_us per leg), "
                                    "`table` (each request's round trip drawn, seeded, from the order latencies measured in latency_journal) or "
                                    "`sequence` (the k-th order gets latency_journal's k-th measured latency, cycling); docs/exec.md."},
    {"exec.sim.latency_us", GE(0), "Constant simulated latency per leg, microseconds."},
    {"exec.sim.latency_min_us", GE(0), "Uniform latency model: lower bound, microseconds."},
    {"exec.sim.latency_max_us", GE(0), "Uniform latency model: upper bound, microseconds (>= latency_min_us)."},
    {"exec.sim.latency_journal", ANY, "Journal whose measured order latencies (order -> venue answer and -> first fill, event time) the "
                                      "`table` and `sequence` models use; refused at start if it has none, is corrupt or of another schema."},
    {"exec.sim.taker_fee_bps", GE(0), "Simulated taker fee, bps."},
    {"exec.sim.maker_fee_bps", IN(-100, 10000), "Simulated maker fee, bps (negative = rebate)."},
    {"exec.sim.slippage_bps", GE(0), "Simulated adverse move on taker fills, bps."},
    {"exec.sim.participation", GT_LE(0, 1), "Share of each market trade a resting or VWAP-filled order of ours gets (< 1 gives partial fills)."},
    {"exec.sim.seed", ANY, "Seed of the simulated venue's random choices (deterministic)."},
    {"exec.sim.faults.drop_fills", IN(0, 1000000), "Fault: drop the next N fill events while the orders' status events still arrive (the recorded incident)."},
    {"exec.sim.faults.duplicate_fills", IN(0, 1000000), "Fault: deliver the next N fill events twice."},
    {"exec.sim.faults.delay_fills_ms", IN(0, 3600000), "Fault: extra delay on every fill event, ms."},
    {"exec.sim.faults.reject_orders", IN(0, 1000000), "Fault: reject the next N new orders."},
    {"exec.sim.faults.http_5xx", IN(0, 1000000), "Fault: answer the next N requests with HTTP 503 (execution status unknown)."},
    {"exec.sim.faults.place_on_5xx", ANY, "Fault: an order answered with 5xx was placed anyway (the worst case)."},
    {"exec.sim.faults.http_429", IN(0, 1000000), "Fault: answer the next N requests with 429 and Retry-After."},
    {"exec.sim.faults.http_418", IN(0, 1000000), "Fault: answer the next N requests with 418 (IP banned)."},
    {"exec.sim.faults.retry_after_ms", IN(0, 3600000), "Retry-After of the 429/418 faults, ms."},
    {"exec.sim.faults.status_unknown", IN(0, 1000000), "Fault: answer the next N new orders with \"status unknown\" (the order IS placed)."},
    {"exec.sim.faults.disconnect_account_at_ms", IN(0, 4000000000.0), "Fault: the account stream goes down at this time after the start, ms (0 = never)."},
    {"exec.sim.faults.disconnect_account_for_ms", IN(0, 4000000000.0), "Fault: ... for this long; account events in the window are lost, ms."},
    {"exec.sim.faults.clock_skew_ms", IN(-3600000, 3600000), "Fault: the venue's clock = ours + this skew, ms."},

    {"venue_sim.listen", ANY, "`ringside venue-sim`: `host:port` its TLS server listens on (its --bind and --port)."},
    {"venue_sim.cert_file", ANY, "`ringside venue-sim`: server certificate chain, PEM (`tools/make-certs.sh` creates it with the throw-away CA)."},
    {"venue_sim.key_file", ANY, "`ringside venue-sim`: the certificate's private key, PEM."},
    {"venue_sim.source", ANY, "`ringside venue-sim` market data: `synthetic` (seeded generator: correlated symbols, volatility "
                              "clustering, jumps, regime changes) or `csv` (Binance public-data trade files from csv_dir)."},
    {"venue_sim.csv_dir", ANY, "`source: csv`: directory of Binance trade CSV files, named `<SYMBOL>*.csv`."},
    {"venue_sim.seed", ANY, "Seed of the synthetic generator (same seed, same market)."},
    {"venue_sim.speed", IN(0, 1000000), "Market seconds per wall-clock second (288 = a day in 5 minutes); 0 = as fast as each connection takes it."},
    {"venue_sim.duration_s", IN(0, 31536000), "Stop the simulator after this many wall-clock seconds; 0 = until stopped."},
    {"venue_sim.rate_scale", GT_LE(0, 1000), "Synthetic generator: multiplier of every symbol's trade rate."},
    {"venue_sim.surge_symbol", ANY, "Synthetic generator: this instrument starts a +100% one-day surge at t=0 (must be in instruments); empty = none."},

    {"venue_sim.loop", ANY, "`source: csv`: restart the files at their end (trade ids keep increasing)."},
    {"venue_sim.ping_interval_ms", IN(-1, 3600000), "Server ping period, ms; -1 = no pings."},
    {"venue_sim.pong_timeout_ms", IN(1, 3600000), "Drop a connection that has not answered a ping for this long, ms."},
    {"venue_sim.lifetime_s", IN(1, 31536000), "Close every connection after this long, as Binance does after 24 h, s."},
    {"venue_sim.max_conns", IN(1, 100000), "Concurrent connections the simulator accepts."},
    {"venue_sim.fault_dup", IN(0, 1), "Fault: probability per message of sending it twice."},
    {"venue_sim.fault_reorder", IN(0, 1), "Fault: probability per message of swapping it with the next."},
    {"venue_sim.fault_malformed", IN(0, 1), "Fault: probability per message of garbling it."},
    {"venue_sim.fault_gap", IN(0, 1), "Fault: probability per message of dropping it (a sequence gap)."},
    {"venue_sim.fault_seed", ANY, "Seed of the fault choices (deterministic per connection)."},

    {"log.level", ANY, "Minimum log level: `debug`, `info`, `warn`, `error` (the RS_LOG environment variable overrides it)."},
};
const size_t rs_cfg_meta_n = RS_ARRAY_LEN(rs_cfg_meta_tab);

const rs_cfg_meta *rs_cfg_meta_find(const char *path)
{
    for (size_t i = 0; i < rs_cfg_meta_n; i++)
        if (!strcmp(rs_cfg_meta_tab[i].path, path))
            return &rs_cfg_meta_tab[i];
    return NULL;
}
