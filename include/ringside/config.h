/* ringside/config.h -- the engine's configuration (one YAML file).
 *
 * The file is described by a libcyaml schema (core/config_schema.c) and
 * loaded into rs_config: a flat, pointer-free struct (fixed arrays, counts),
 * so it can be copied, compared and embedded as is. Every key has a default
 * (docs/config.md) except the few marked REQUIRED below.
 *
 * Loading is strict: an unknown key, a value of the wrong type, a missing
 * required key or an out-of-range value (negative size, NaN, zero where
 * forbidden, a ring size that is not a power of two, ...) is refused with a
 * message "FILE:LINE: key.path: reason", e.g.
 *   configs/demo.yml:14: gate.z_threshold: must be finite
 * Key paths use dots for mappings and [i] for sequence entries
 * ("instruments[2].tick", "engine.threads[0].cpu").
 *
 * Relative paths in the file (models, certificates, journal directory) are
 * resolved by their users against the process's working directory, not the
 * config file's directory (make run runs from the repository root).
 *
 * Secrets are never in the config: exec.secrets names a 0600 file or the
 * environment variables that hold them; keys such as `api_key` or `secret`
 * are refused with a message saying so.
 */
#ifndef RINGSIDE_CONFIG_H
#define RINGSIDE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ringside/common.h"
#include "ringside/event.h"
#include "ringside/instrument.h"

#define RS_CFG_NAME_MAX 32      /* names: instance, threads, models (bytes incl. NUL) */
#define RS_CFG_PATH_MAX 256     /* file paths and URLs (bytes incl. NUL) */
#define RS_CFG_DEC_MAX 32       /* decimal strings: tick, lot, min_qty */
#define RS_CFG_MAX_THREADS 8
#define RS_CFG_MAX_PERIODS 8    /* entries of a period list (ema_periods, ...) */
#define RS_CFG_MAX_MODELS RS_MAX_HORIZONS

/* ---- engine ---------------------------------------------------------------- */

/* Stages, as bits of rs_cfg_thread.stages. */
enum rs_stage_bit {
    RS_STAGE_FEED = 1u << 0,
    RS_STAGE_FEATURES = 1u << 1,
    RS_STAGE_MODEL = 1u << 2,
    RS_STAGE_GATE = 1u << 3,
    RS_STAGE_EXEC = 1u << 4,
    RS_STAGE_ALL = 0x1fu,
};

enum rs_idle { RS_IDLE_SPIN = 0, RS_IDLE_SPIN_YIELD = 1, RS_IDLE_BACKOFF = 2 };

/* CPU choice: a CPU number >= 0, or one of these. */
enum rs_cpu_pick { RS_CPU_NONE = -1, RS_CPU_AUTO = -2 };

/* engine.mlockall */
enum rs_mlock { RS_MLOCK_OFF = 0, RS_MLOCK_ON = 1, RS_MLOCK_REQUIRED = 2 };
enum rs_huge_pages { RS_HUGE_AUTO = 0, RS_HUGE_ON = 1, RS_HUGE_OFF = 2 };

typedef struct rs_cfg_thread {
    char name[RS_CFG_NAME_MAX];  /* default "t<index>" */
    uint32_t stages;             /* REQUIRED: enum rs_stage_bit mask, non-empty */
    int32_t cpu;                 /* >= 0 pinned, RS_CPU_NONE, RS_CPU_AUTO; default none */
    int32_t idle;                /* enum rs_idle; default backoff */
    uint32_t spin_us;            /* spin-then-yield / backoff: spin this long first */
    uint32_t backoff_min_us;     /* backoff: first sleep */
    uint32_t backoff_max_us;     /* backoff: sleep cap (doubling) */
    uint32_t pretouch_kb;        /* idle: ring pages written ahead of each producer; 0 off */
} rs_cfg_thread;

typedef struct rs_cfg_engine {
    rs_cfg_thread threads[RS_CFG_MAX_THREADS];
    uint32_t threads_count;      /* each stage on exactly one thread */
    int32_t mlockall;            /* enum rs_mlock: false, true (warn on failure), required (fail) */
    bool prefault;
    int32_t huge_pages;          /* enum rs_huge_pages */
    uint32_t heartbeat_ms;       /* thread heartbeat period */
    uint32_t dead_peer_ms;       /* a peer silent this long is dead */
    uint32_t drain_timeout_ms;   /* clean stop: wait for rings to drain */
} rs_cfg_engine;

/* ---- rings ----------------------------------------------------------------- */

enum rs_recorder_lag { RS_LAG_PAUSE_TRADING = 0, RS_LAG_BLOCK = 1 };

typedef struct rs_cfg_rings {
    /* capacities in bytes: powers of two, >= 2 * RS_REC_MAX */
    uint64_t md_bytes, mark_bytes, feat_bytes, pred_bytes;
    uint64_t intent_bytes, exec_bytes, ctl_bytes, raw_bytes;
    int32_t recorder_lag_policy; /* enum rs_recorder_lag */
    uint32_t recorder_alarm_pct; /* ring fill (%) behind the recorder that raises the alarm */
} rs_cfg_rings;

/* ---- recorder / journal ----------------------------------------------------- */

enum rs_rec_io { RS_RECIO_URING = 0, RS_RECIO_WRITE = 1 };   /* = enum rs_jio */

typedef struct rs_cfg_recorder {
    bool enabled;                /* `ringside run` spawns the recorder */
    char journal_dir[RS_CFG_PATH_MAX]; /* <dir>/<instance>/<UTC start>/ */
    uint64_t segment_bytes;      /* rotate segments at this size */
    int32_t io;                  /* enum rs_rec_io */
    uint64_t batch_bytes;        /* one write */
    uint32_t batches;            /* buffers: writes in flight + filling */
    uint32_t fsync_interval_ms;  /* 0: off */
    uint64_t fsync_bytes;        /* 0: off */
    bool fsync_on_order;         /* fsync after every order / exec-report batch */
    bool raw_frames;             /* journal raw network frames too */
    uint32_t attach_timeout_ms;  /* run: wait this long for the recorder */
    int32_t cpu;                 /* like rs_cfg_thread.cpu */
    int32_t idle;                /* enum rs_idle */
} rs_cfg_recorder;

/* ---- venues: TLS, feed ------------------------------------------------------ */

/* Venue protocol (the bundled simulator speaks binance). */
enum rs_cfg_venue { RS_CFG_VENUE_BINANCE = 0, RS_CFG_VENUE_BINANCE_FUT = 1, RS_CFG_VENUE_OKX = 2 };

typedef struct rs_cfg_tls {
    char ca_file[RS_CFG_PATH_MAX];     /* extra CA bundle to trust (PEM); "" = none */
    char server_name[RS_CFG_PATH_MAX]; /* SNI + verified name; "" = URL host */
    bool verify;                       /* certificate + host name checks */
    bool system_ca;                    /* also trust the system store (false: only ca_file) */
    bool tls13;                        /* allow TLS 1.3 (default: 1.2, see docs/config.md) */
} rs_cfg_tls;

/* A parsed ws://, wss://, http:// or https:// URL (derived, not a key). */
typedef struct rs_cfg_url {
    bool set;                    /* the key was non-empty */
    bool tls;                    /* wss / https */
    uint16_t port;
    char host[RS_CFG_PATH_MAX];
    char path[RS_CFG_PATH_MAX];  /* "/" when absent */
} rs_cfg_url;

enum rs_stream_bit { RS_FEED_TRADE = 1u << 0, RS_FEED_AGG_TRADE = 1u << 1,
                     RS_FEED_BOOK_TICKER = 1u << 2, RS_FEED_DEPTH = 1u << 3 };
enum rs_rx_ts { RS_RXTS_SOFTWARE = 0, RS_RXTS_HARDWARE = 1, RS_RXTS_OFF = 2 };

typedef struct rs_cfg_feed {
    int32_t venue;               /* enum rs_cfg_venue */
    char url[RS_CFG_PATH_MAX];   /* REQUIRED: market-data WebSocket URL */
    char rest_url[RS_CFG_PATH_MAX]; /* depth snapshot REST base; "" = none */
    rs_cfg_tls tls;
    uint32_t streams;            /* enum rs_stream_bit mask, non-empty */
    uint32_t reconnect_min_ms, reconnect_max_ms;
    double reconnect_jitter;     /* fraction [0,1] */
    uint32_t connect_timeout_ms; /* TCP + TLS + WebSocket upgrade */
    uint32_t lifetime_s;         /* the venue's connection lifetime; 0 = none */
    uint32_t rotate_margin_s;    /* rotate to a second connection this long before it */
    uint32_t rotate_overlap_ms;  /* both connections read this long (no gap) */
    uint32_t max_frame_bytes;
    uint32_t stale_symbol_ms;    /* silent symbol -> stale event */
    uint32_t stale_conn_ms;      /* silent connection (half-open) -> reconnect */
    uint32_t ping_interval_ms;
    uint32_t timer_ms;           /* timer-event cadence injected by the feed thread */
    int32_t rx_timestamps;       /* enum rs_rx_ts */
    uint32_t uring_entries;      /* power of two */
    uint32_t max_conns;          /* connection slots of the feed thread */
    uint32_t rx_buffer_bytes;
    uint32_t tx_buffer_bytes;
    uint32_t bad_input_max_bytes;/* raw bytes kept in a bad-input record */
    bool journal_duplicates;     /* duplicate / too-old trades become bad-input records */
    /* derived at load (not keys) */
    rs_cfg_url url_parsed, rest_url_parsed;
} rs_cfg_feed;

typedef struct rs_cfg_instrument {
    char symbol[RS_SYMBOL_MAX];  /* REQUIRED: venue symbol, stored upper case */
    uint32_t px_exp;             /* REQUIRED: price decimals (<= 18) */
    uint32_t qty_exp;            /* REQUIRED: quantity decimals (<= 18) */
    char tick[RS_CFG_DEC_MAX];   /* REQUIRED: decimal string, exact at px_exp */
    char lot[RS_CFG_DEC_MAX];    /* REQUIRED: decimal string, exact at qty_exp */
    char min_qty[RS_CFG_DEC_MAX];/* decimal string; default = lot */
    double min_notional;         /* quote currency; default 0 */
    double max_order_qty;        /* units per order; 0 = no limit */
    /* derived at load (not keys): fixed point values */
    int64_t tick_fp, lot_fp, min_qty_fp;
} rs_cfg_instrument;

/* ---- features --------------------------------------------------------------- */

typedef struct rs_cfg_features {
    uint32_t bar_seconds;        /* divides 86400 */
    uint32_t ema_periods[RS_CFG_MAX_PERIODS];
    uint32_t ema_periods_count;
    uint32_t sma_periods[RS_CFG_MAX_PERIODS];
    uint32_t sma_periods_count;
    uint32_t rsi_period;
    uint32_t bb_period;
    double bb_k;
    uint32_t macd_fast, macd_slow, macd_signal;
    uint32_t atr_period;
    uint32_t ret_lags;           /* ret_1 .. ret_N */
    uint32_t rv_windows[RS_CFG_MAX_PERIODS];
    uint32_t rv_windows_count;
    uint32_t volume_z_window;
    uint32_t momentum_horizons[RS_CFG_MAX_PERIODS];
    uint32_t momentum_horizons_count;
    uint32_t momentum_z_window;
    uint32_t beta_window;
    uint32_t corr_window;
    char ref_symbol[RS_SYMBOL_MAX]; /* "" = first instrument */
    uint32_t intraday_publish_ms;   /* 0: publish on bar close only */
    uint32_t timer_grace_ms;        /* a timer closes a bar at its end + grace */
    uint32_t max_catchup_bars;      /* longest run of empty bars after a time jump */
} rs_cfg_features;

/* ---- model ------------------------------------------------------------------ */

enum rs_isa_pick { RS_CFG_ISA_AUTO = 0, RS_CFG_ISA_SCALAR = 1, RS_CFG_ISA_AVX2 = 2, RS_CFG_ISA_AVX512 = 3 };

typedef struct rs_cfg_model_entry {
    char name[RS_CFG_NAME_MAX];  /* default "h<horizon_bars>" */
    char path[RS_CFG_PATH_MAX];  /* REQUIRED: XGBoost JSON model */
    uint32_t horizon_bars;       /* REQUIRED: >= 1 */
    double weight;               /* >= 0, default 1 */
    char calibration[RS_CFG_PATH_MAX]; /* calibration JSON; "" = none */
    char calibration_key[RS_CFG_NAME_MAX]; /* entry in that file; "" = the file is one calibration */
} rs_cfg_model_entry;

typedef struct rs_cfg_model {
    rs_cfg_model_entry models[RS_CFG_MAX_MODELS];
    uint32_t models_count;       /* REQUIRED: >= 1 */
    double scale_bps;            /* model output (after calibration) * scale = bps */
    uint32_t z_window;           /* rolling window of the z-edge (predictions) */
    uint32_t z_min_samples;      /* z-edge not ready before this many */
    int32_t isa;                 /* enum rs_isa_pick */
} rs_cfg_model;

/* ---- gate (entries, exits, sizing) ----------------------------------------- */

typedef struct rs_cfg_gate {
    double z_threshold;          /* |z-edge| must reach it */
    double cost_bps;             /* round-trip fees + slippage of this venue */
    double ev_margin_bps;        /* expected return must exceed cost + margin */
    bool quantile_enabled;
    uint32_t quantile_window;    /* predictions ranked */
    uint32_t quantile_min_count; /* history needed before the filter can pass */
    double quantile;             /* (0.5, 1): long above q, short below 1-q */
    uint32_t warmup_bars;
    uint32_t sigma_span_bars;    /* EWMA span of per-bar returns for sigma */
    double sigma_floor_bps;      /* per-bar volatility floor */
    uint32_t vote_k;             /* persistence window, predictions */
    uint32_t vote_min;           /* agreeing votes needed in it (<= vote_k) */
    uint32_t cooldown_bars;
    bool exit_on_signal;         /* an opposite signal that passes z and vote exits */
    uint32_t max_hold_bars;      /* timed exit; 0 = off */
    double stop_atr;             /* 0 = no stop */
    double take_profit_atr;      /* 0 = no take profit */
    double trail_atr;            /* 0 = no trailing stop */
    uint32_t oco_delay_bars;     /* arm stop/TP children this many bars after the fill */
    double guard_atr;            /* catastrophic move against the position, in ATR; 0 = off */
    double guard_pct;            /* ... or in percent of the entry price; 0 = off */
    bool allow_short;
    /* sizing: notional = capital * base_fraction * min(edge / sigma, edge_cap) */
    double capital;              /* starting equity (quote) for sizing and drawdown */
    double base_fraction;
    double edge_cap;
    double max_weight;           /* max |position| / equity per asset, (0,1] */
    double min_trade_notional;   /* smaller orders are not sent */
    double entry_slip_bps;       /* entry limit-IOC price = ask/bid +- this */
    uint32_t position_period_ms; /* position records on timers this often; 0 = on fills only */
} rs_cfg_gate;

/* ---- risk circuits ---------------------------------------------------------- */

typedef struct rs_cfg_risk {
    bool kill_switch;            /* start killed (flat, no entries) */
    uint32_t kill_retries;       /* attempts after the first, then escalate */
    uint32_t kill_backoff_ms;    /* first retry delay, doubling (capped at 64x) */
    uint32_t max_consecutive_rejects; /* auto-pause after this many */
    uint32_t md_stale_ms;        /* no order on market data older than this */
    uint32_t fill_timeout_ms;    /* acked, no fill/cancel -> position stale, reconcile */
    uint32_t max_reconcile_queries; /* per order, then escalate */
    double drawdown_limit_pct;   /* peak-to-trough loss that cuts exposure */
    double drawdown_cut_fraction;/* fraction of each position cut, (0,1] */
    double drawdown_recovery_pct;/* resume below this drawdown; < limit */
    double drawdown_kill_pct;    /* drawdown that trips the kill switch; 0 = off */
    double max_order_notional;
    double max_position_notional;
    double max_gross_notional;
    double price_collar_bps;     /* order price vs last trade */
    uint32_t max_orders_per_sec;
    uint32_t max_orders_per_min;
} rs_cfg_risk;

/* ---- exec --------------------------------------------------------------------- */

enum rs_exec_mode { RS_EXEC_LIVE = 0, RS_EXEC_PAPER = 1 };
enum rs_order_channel { RS_CHAN_WS = 0, RS_CHAN_REST = 1 };
enum rs_key_type { RS_KEY_HMAC = 0, RS_KEY_ED25519 = 1 };
/* Same values as enum rs_sim_lat (sim_venue.h). */
enum rs_latency_model { RS_LAT_CONSTANT = 0, RS_LAT_UNIFORM = 1, RS_LAT_TABLE = 2, RS_LAT_SEQUENCE = 3 };

typedef struct rs_cfg_secrets {
    char file[RS_CFG_PATH_MAX];  /* 0600/0400 file (exec_secrets.h format); "" = environment */
    char key_env[RS_CFG_NAME_MAX];         /* env var holding the API key */
    char hmac_secret_env[RS_CFG_NAME_MAX]; /* env var holding the HMAC secret */
    char ed25519_pem_env[RS_CFG_NAME_MAX]; /* env var holding the Ed25519 key (PEM text) */
    int32_t key_type;            /* enum rs_key_type */
} rs_cfg_secrets;

typedef struct rs_cfg_sim_faults {   /* counters count down as faults fire; 0 = off */
    uint32_t drop_fills;         /* drop the next N fill events (status events still arrive) */
    uint32_t duplicate_fills;    /* deliver the next N fill events twice */
    uint32_t delay_fills_ms;     /* extra delay on every fill event */
    uint32_t reject_orders;      /* reject the next N new orders */
    uint32_t http_5xx;           /* answer the next N requests with HTTP 503 */
    bool place_on_5xx;           /* ... and the 5xx'd order was placed anyway */
    uint32_t http_429;           /* next N requests: 429 + Retry-After */
    uint32_t http_418;           /* next N requests: 418 (banned) */
    uint32_t retry_after_ms;
    uint32_t status_unknown;     /* next N orders: "status unknown" (the order IS placed) */
    uint32_t disconnect_account_at_ms;  /* account stream down from this session time; 0 = never */
    uint32_t disconnect_account_for_ms; /* ... for this long (events in it are lost) */
    int32_t clock_skew_ms;
} rs_cfg_sim_faults;

typedef struct rs_cfg_sim {
    int32_t latency_model;       /* enum rs_latency_model */
    double latency_us;           /* constant: per leg */
    double latency_min_us, latency_max_us; /* uniform bounds */
    char latency_journal[RS_CFG_PATH_MAX]; /* table / sequence: measured latencies */
    double taker_fee_bps, maker_fee_bps;
    double slippage_bps;         /* adverse move on taker fills */
    double participation;        /* share of each market trade our order gets, (0,1] */
    uint64_t seed;
    rs_cfg_sim_faults faults;
} rs_cfg_sim;

typedef struct rs_cfg_exec {
    int32_t mode;                /* enum rs_exec_mode */
    int32_t venue;               /* enum rs_cfg_venue */
    char ws_api_url[RS_CFG_PATH_MAX]; /* live: WebSocket API */
    char rest_url[RS_CFG_PATH_MAX];   /* live: REST base (reconciliation) */
    rs_cfg_tls tls;
    rs_cfg_secrets secrets;
    uint32_t instance_id;        /* client order ids: (instance_id << 40) | seq */
    int32_t order_channel;       /* enum rs_order_channel: order entry; reconciliation is REST */
    uint32_t order_timeout_ms;   /* no ack -> unknown state, query before retry */
    uint32_t query_timeout_ms;   /* no answer to a query/cancel -> ask again */
    uint32_t unknown_retry_ms;   /* first re-query of an unknown order, doubling */
    uint32_t unknown_max_queries;/* "not found" this many times -> rejected */
    uint32_t reconcile_interval_ms;
    uint32_t backoff_ms;         /* 429 without Retry-After: first backoff, doubling to 60 s */
    uint32_t time_sync_s;        /* venue clock re-sync cadence */
    uint32_t recv_window_ms;
    uint32_t weight_limit_per_min;  /* REQUEST_WEIGHT budget until the venue states its own */
    uint32_t orders_limit_per_10s;  /* ORDERS budget until the venue states its own */
    double weight_headroom;      /* hold non-kill traffic above this share of a limit */
    rs_cfg_sim sim;
    /* derived at load (not keys) */
    rs_cfg_url ws_api_url_parsed, rest_url_parsed;
} rs_cfg_exec;

/* ---- venue simulator (`ringside venue-sim`) ------------------------------- */

enum rs_sim_source { RS_SIMSRC_SYNTHETIC = 0, RS_SIMSRC_CSV = 1 };

typedef struct rs_cfg_venue_sim {
    char listen[RS_CFG_NAME_MAX * 2];  /* "host:port" the TLS server listens on */
    char cert_file[RS_CFG_PATH_MAX];   /* server certificate chain (PEM) */
    char key_file[RS_CFG_PATH_MAX];    /* its private key (PEM) */
    int32_t source;                    /* enum rs_sim_source */
    char csv_dir[RS_CFG_PATH_MAX];     /* csv: Binance trade CSVs, <SYMBOL>*.csv */
    uint64_t seed;                     /* synthetic generator seed */
    double speed;                      /* market seconds per wall second; 0 = max */
    uint32_t duration_s;               /* wall time to run, s; 0 = until stopped */
    double rate_scale;                 /* synthetic: multiplier of every symbol's trade rate */
    char surge_symbol[RS_SYMBOL_MAX];  /* synthetic: this symbol starts a +100% day; "" = none */
    bool loop;                         /* csv: restart the files at their end */
    int32_t ping_interval_ms;          /* server pings; -1 = off */
    uint32_t pong_timeout_ms;
    uint32_t lifetime_s;               /* close every connection after this (Binance: 24 h) */
    uint32_t max_conns;
    double fault_dup, fault_reorder, fault_malformed, fault_gap; /* probability per message */
    uint64_t fault_seed;
    /* derived at load (not keys) */
    char listen_host[RS_CFG_NAME_MAX * 2];
    uint16_t listen_port;
} rs_cfg_venue_sim;

/* ---- log ------------------------------------------------------------------------ */

typedef struct rs_cfg_log {
    int32_t level;               /* enum rs_log_level (log.h) */
} rs_cfg_log;

/* ---- the whole file ---------------------------------------------------------- */

typedef struct rs_config {
    char instance[RS_CFG_NAME_MAX]; /* REQUIRED: [A-Za-z0-9_-]{1,31} */
    rs_cfg_engine engine;
    rs_cfg_rings rings;
    rs_cfg_recorder recorder;
    rs_cfg_feed feed;            /* REQUIRED (feed.url) */
    rs_cfg_instrument instruments[RS_MAX_SYMBOLS];
    uint32_t instruments_count;  /* REQUIRED: >= 1 */
    rs_cfg_features features;
    rs_cfg_model model;          /* REQUIRED (model.models) */
    rs_cfg_gate gate;
    rs_cfg_risk risk;
    rs_cfg_exec exec;
    rs_cfg_venue_sim venue_sim;
    rs_cfg_log log;

    /* Not keys: where it came from. `raw` holds the exact file bytes (NUL
     * appended, not counted in raw_len) for the journal header; owned by the
     * config, freed by rs_config_destroy. */
    char source[RS_CFG_PATH_MAX];
    uint8_t *raw;
    size_t raw_len;
} rs_config;

/* Load and validate the YAML file at `path`. On success *cfg is a new config
 * (caller owns it; rs_config_destroy) with every absent key at its default,
 * and 0 is returned. On failure *cfg is NULL and the return is -RS_EBADCFG
 * (invalid content; rs_err_msg() = "path:line: key.path: reason" for the
 * first problem) or -errno (unreadable file; message names the file). */
int rs_config_load(rs_config **cfg, const char *path);

/* As rs_config_load, from bytes already in memory (e.g. the config embedded
 * in a journal header). `name` is used in messages and stored as source.
 * The bytes are copied. */
int rs_config_parse(rs_config **cfg, const char *name, const void *bytes, size_t len);

/* Flags of rs_config_load_report / rs_config_parse_report. */
enum {
    RS_CFG_CHECK_FILES = 1u << 0,  /* also check that referenced files exist and are
                                      readable (models, calibrations, CA file, latency
                                      journal) and that a secrets file is mode 0600 */
};

/* As rs_config_parse / rs_config_load, but every problem found (not only the
 * first) is also written to `errs`, one "name:line: key.path: reason" per
 * line, and so are warnings ("name:line: key.path: warning: ..."; e.g. TLS
 * verification off). errs may be NULL (warnings then go to the log). Used by
 * `ringside config check`. */
int rs_config_parse_report(rs_config **cfg, const char *name, const void *bytes, size_t len, FILE *errs,
                           unsigned flags);
int rs_config_load_report(rs_config **cfg, const char *path, FILE *errs, unsigned flags);

/* Release a config from rs_config_load/parse (NULL is a no-op). */
void rs_config_destroy(rs_config *cfg);

/* Write the effective config (every key, defaults filled in) as YAML that
 * rs_config_parse reads back to an identical config. Returns 0 or -errno
 * (write error). */
int rs_config_write_yaml(FILE *f, const rs_config *cfg);

/* The built-in defaults of every key (REQUIRED keys empty/zero). Static. */
const rs_config *rs_config_defaults(void);

/* Fill a universe from cfg->instruments (config order = instrument index),
 * venue from feed.venue, ref_sym from features.ref_symbol. Returns 0 or
 * -RS_EBADCFG with a message. u is caller memory; it is cleared first. */
int rs_config_universe(const rs_config *cfg, rs_universe *u);

/* Configured capacity in bytes of the ring of `stream` (enum rs_stream_id:
 * RS_STREAM_MD -> rings.md_bytes, ...), or 0 for a stream without a ring. */
uint64_t rs_config_ring_bytes(const rs_config *cfg, uint16_t stream);

/* Index of the thread that runs `stage` (one enum rs_stage_bit), or -1. */
int rs_config_stage_thread(const rs_config *cfg, uint32_t stage);

/* Names used in the YAML for enum values ("backoff", "binance", ...): NULL
 * when out of range. */
const char *rs_config_stage_name(uint32_t stage_bit);
const char *rs_config_idle_name(int32_t idle);

/* Write the key reference (markdown table: key, type, default, range,
 * meaning) generated from the schema; used to produce docs/config.md and by
 * `ringside config keys`. Returns 0 or -errno. */
int rs_config_write_reference(FILE *f);

#endif
