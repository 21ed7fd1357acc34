/* ringside/event.h -- the record format: ring format == journal format.
 *
 * Every record starts with rs_rec (32 bytes) followed by a type-specific
 * payload. Records are 8-byte aligned in rings and journals; rs_rec.len is the
 * exact length (header + payload) before padding.
 *
 * Time: `ts` is the event's logical time in ns since the UNIX epoch. It is
 * what stage logic uses (stages never read a clock). `ts_local` is the local
 * stamp (CLOCK_REALTIME ns, or the kernel receive stamp for network input) set
 * by the runtime outside stage logic; replay ignores it when comparing.
 *
 * Prices and quantities are fixed-point int64: value = mantissa * 10^-exp,
 * where exp is the instrument's px_exp / qty_exp (rs_instrument). Decoders
 * convert venue decimal strings exactly; a string with more significant
 * decimals than the scale is rejected, never rounded silently.
 *
 * Changing any layout here changes RS_SCHEMA_HASH input: bump
 * RS_SCHEMA_VERSION so old journals are refused clearly.
 */
#ifndef RINGSIDE_EVENT_H
#define RINGSIDE_EVENT_H

#include <stdint.h>
#include "ringside/common.h"

#define RS_SCHEMA_VERSION 3u   /* 3: RS_EV_BLOB; order wire_bytes without credentials; venue/snapshot inputs */

enum rs_ev_type {
    RS_EV_NONE = 0,
    /* market data (feed -> features), mark prices (feed -> gate) */
    RS_EV_TRADE = 1,
    RS_EV_BBO = 2,
    RS_EV_DEPTH = 3,
    RS_EV_MARK = 4,
    RS_EV_TIMER = 5,
    RS_EV_FRESHNESS = 6,
    RS_EV_RAW_FRAME = 7,
    RS_EV_BAD_INPUT = 8,
    /* features -> model */
    RS_EV_BAR = 10,
    RS_EV_FEATURES = 11,
    /* model -> gate */
    RS_EV_PREDICTION = 20,
    RS_EV_MODEL_SWAP = 21,
    /* gate -> exec, and the gate's explanations */
    RS_EV_DECISION = 30,
    RS_EV_INTENT = 31,
    RS_EV_RISK = 32,
    RS_EV_POSITION = 33,
    /* exec */
    RS_EV_ORDER = 40,        /* an order (or cancel) put on the wire */
    RS_EV_EXEC_REPORT = 41,  /* state change / fill, exec -> gate */
    RS_EV_VENUE_MSG = 42,    /* raw venue response bytes (journaled input) */
    /* control and bookkeeping */
    RS_EV_CONTROL = 50,
    RS_EV_STEP = 51,         /* consumption order of a multi-input stage */
    RS_EV_GAP = 52,          /* recorder: records lost / not seen */
    RS_EV_ALARM = 53,        /* operator-facing alarm */
    RS_EV_BLOB = 54,         /* a chunk of a file journaled mid-run (hot-swapped model bytes) */
    RS_EV_TYPE_MAX = 64
};

enum rs_stream_id {        /* one per ring; also the journal stream id */
    RS_STREAM_MD = 1,      /* feed -> features: trades, bbo, depth, timers, freshness */
    RS_STREAM_MARK = 2,    /* feed -> gate: marks, timers, freshness */
    RS_STREAM_FEAT = 3,    /* features -> model */
    RS_STREAM_PRED = 4,    /* model -> gate */
    RS_STREAM_INTENT = 5,  /* gate -> exec: intents; plus decisions, risk, positions */
    RS_STREAM_EXEC = 6,    /* exec -> gate: exec reports, orders */
    RS_STREAM_CTL = 7,     /* control commands -> gate/model */
    RS_STREAM_RAW = 8,     /* feed input: raw frames + timers (journaled inputs) */
    RS_STREAM_VENUE = 9,   /* exec input: venue responses (journaled inputs) */
    RS_STREAM_MARK_X = 10, /* feed -> exec: marks + timers (simulated venue pricing, timeouts) */
    RS_STREAM_CTL_MODEL = 11, /* control commands -> model (hot swap) */
    RS_STREAM_BAR_G = 12,  /* features -> gate: closed bars (ATR, sigma, bar clock) */
    RS_STREAM_MAX = 16
};

/* Record header: 32 bytes. */
typedef struct rs_rec {
    uint32_t len;      /* header + payload, bytes, before padding to 8 */
    uint16_t type;     /* enum rs_ev_type */
    uint16_t stream;   /* enum rs_stream_id of the ring it was published on */
    uint64_t seq;      /* per-stream sequence number, from 1, gap-free */
    int64_t ts;        /* logical event time, ns since epoch (deterministic) */
    int64_t ts_local;  /* local stamp ns (realtime / kernel rx); not compared */
} rs_rec;
static_assert(sizeof(rs_rec) == 32, "rs_rec must stay 32 bytes");

#define RS_REC_ALIGN 8u
#define RS_REC_MAX (64u * 1024u)          /* largest record, header included */
#define RS_SYMBOL_MAX 16                   /* bytes incl. NUL */
#define RS_MAX_SYMBOLS 64

enum rs_side { RS_SIDE_NONE = 0, RS_SIDE_BUY = 1, RS_SIDE_SELL = 2 };
enum rs_venue { RS_VENUE_SIM = 0, RS_VENUE_BINANCE = 1, RS_VENUE_BINANCE_FUT = 2, RS_VENUE_OKX = 3 };

/* ---- market data -------------------------------------------------------- */

typedef struct rs_ev_trade {
    rs_rec h;
    uint16_t sym;         /* instrument index (config order) */
    uint8_t venue;        /* enum rs_venue */
    uint8_t side;         /* taker side, enum rs_side */
    uint32_t flags;       /* RS_TRADE_F_* */
    uint64_t trade_id;
    int64_t px;           /* fixed point, instrument px_exp */
    int64_t qty;          /* fixed point, instrument qty_exp */
    int64_t event_ms;     /* venue event time */
    int64_t trade_ms;     /* venue trade time */
} rs_ev_trade;
static_assert(sizeof(rs_ev_trade) == 80, "layout");
#define RS_TRADE_F_AGG 1u       /* from an aggTrade stream */

typedef struct rs_ev_bbo {
    rs_rec h;
    uint16_t sym;
    uint8_t venue;
    uint8_t pad[5];
    uint64_t update_id;
    int64_t bid_px, bid_qty, ask_px, ask_qty;
    int64_t event_ms;
} rs_ev_bbo;
static_assert(sizeof(rs_ev_bbo) == 88, "layout");

typedef struct rs_level { int64_t px, qty; } rs_level;
typedef struct rs_ev_depth {
    rs_rec h;
    uint16_t sym;
    uint8_t venue;
    uint8_t pad;
    uint16_t n_bids, n_asks;       /* levels follow: bids then asks */
    uint64_t first_update_id, final_update_id, prev_final_update_id;
    int64_t event_ms;
    rs_level levels[];
} rs_ev_depth;
static_assert(sizeof(rs_ev_depth) == 72, "layout");

/* Compact mark-price stream to the gate: last trade and best bid/ask. */
typedef struct rs_ev_mark {
    rs_rec h;
    uint16_t sym;
    uint16_t pad[3];
    int64_t last_px, bid_px, ask_px;
    int64_t md_ts;        /* logical ts of the market event that moved it */
} rs_ev_mark;
static_assert(sizeof(rs_ev_mark) == 72, "layout");

/* Timer injected by the feed thread (documented cadence): the only clock the
 * stages have. h.ts is the tick's time. */
typedef struct rs_ev_timer {
    rs_rec h;
    uint64_t tick;        /* monotonically increasing tick number */
    int64_t period_ns;
} rs_ev_timer;

enum rs_fresh_state { RS_FRESH_OK = 0, RS_FRESH_STALE = 1, RS_FRESH_GAP = 2, RS_FRESH_DISCONNECTED = 3 };
typedef struct rs_ev_freshness {
    rs_rec h;
    uint16_t sym;         /* 0xffff: whole connection */
    uint8_t state;        /* enum rs_fresh_state */
    uint8_t pad;
    uint32_t conn;
    int64_t last_md_ts;   /* last market event seen for it */
    int64_t age_ns;
} rs_ev_freshness;

/* Raw bytes (frames from the network, venue responses). */
typedef struct rs_ev_raw {
    rs_rec h;
    uint32_t conn;
    uint32_t n;           /* bytes that follow */
    uint8_t data[];
} rs_ev_raw;

enum rs_bad_reason {
    RS_BAD_SYNTAX = 1, RS_BAD_MISSING_FIELD, RS_BAD_NUMBER, RS_BAD_RANGE,
    RS_BAD_SYMBOL, RS_BAD_DUPLICATE, RS_BAD_OUT_OF_ORDER, RS_BAD_SEQ_GAP,
    RS_BAD_TOO_LARGE, RS_BAD_PROTOCOL, RS_BAD_LATE,
};
typedef struct rs_ev_bad_input {
    rs_rec h;
    uint16_t source;      /* stream/stage that rejected it */
    uint16_t reason;      /* enum rs_bad_reason */
    uint32_t conn;
    uint32_t offset;      /* byte offset of the problem in data, if known */
    uint32_t n;           /* raw bytes that follow (possibly truncated) */
    char field[16];       /* offending field name, NUL-padded */
    uint8_t data[];
} rs_ev_bad_input;

/* ---- features ----------------------------------------------------------- */

#define RS_BAR_F_EMPTY 1u       /* no trades: close carried, volume 0 */
#define RS_BAR_F_GAP 2u         /* feed gap / stale period touched this bar */
#define RS_BAR_F_LATE 4u        /* late trades were seen (and not folded in) */
typedef struct rs_ev_bar {
    rs_rec h;
    uint16_t sym;
    uint16_t pad;
    uint32_t flags;       /* RS_BAR_F_* */
    int64_t start_ns, end_ns;
    double open, high, low, close;
    double volume, quote_volume, vwap, taker_buy_volume;
    uint64_t count;
} rs_ev_bar;

#define RS_FEAT_MAX 256
typedef struct rs_ev_features {
    rs_rec h;
    uint16_t sym;
    uint8_t ready;        /* 0: before warm-up; model skips */
    uint8_t kind;         /* 0: bar close, 1: intrabar update */
    uint32_t n;           /* values that follow, in the layout order */
    int64_t bar_end_ns;
    uint64_t layout_hash; /* hash of the feature-name list */
    double v[];           /* NaN only where the layout says "missing allowed" */
} rs_ev_features;

/* ---- model ---------------------------------------------------------------- */

#define RS_MAX_HORIZONS 8
typedef struct rs_ev_prediction {
    rs_rec h;
    uint16_t sym;
    uint8_t n_horizons;
    uint8_t ready;        /* z-edge window warmed up */
    uint32_t pad;
    int64_t bar_end_ns;
    uint8_t model_sha256[32];    /* hash of the ensemble (all model bytes) */
    float raw[RS_MAX_HORIZONS];  /* model outputs (XGBoost float32) */
    float cal[RS_MAX_HORIZONS];  /* calibrated, bps */
    double weighted_bps;
    double z_edge;
    double roll_mean, roll_std;
} rs_ev_prediction;

typedef struct rs_ev_model_swap {
    rs_rec h;
    uint8_t old_sha256[32];
    uint8_t new_sha256[32];
    char path[128];
} rs_ev_model_swap;

/* ---- gate ----------------------------------------------------------------- */

/* One gate's verdict: which gate, pass/fail, and the values it compared. */
typedef struct rs_gate_verdict {
    uint16_t gate;        /* enum rs_gate_id (gate.h) */
    uint8_t pass;
    uint8_t pad[5];
    double value, threshold;
} rs_gate_verdict;

enum rs_action { RS_ACT_NONE = 0, RS_ACT_ENTER_LONG, RS_ACT_ENTER_SHORT, RS_ACT_EXIT, RS_ACT_HOLD };
typedef struct rs_ev_decision {
    rs_rec h;
    uint16_t sym;
    uint8_t action;       /* enum rs_action */
    uint8_t n;            /* verdicts that follow */
    uint16_t reason;      /* first failing gate, or 0 when all passed */
    uint16_t pad;
    int64_t bar_end_ns;
    double z_edge, weighted_bps, size;
    rs_gate_verdict g[];
} rs_ev_decision;

enum rs_ord_type { RS_ORD_MARKET = 1, RS_ORD_LIMIT = 2, RS_ORD_STOP = 3, RS_ORD_TAKE_PROFIT = 4 };
enum rs_intent_kind { RS_INT_NEW = 1, RS_INT_CANCEL = 2, RS_INT_CANCEL_ALL = 3, RS_INT_QUERY = 4 };
enum rs_purpose { RS_PUR_ENTRY = 1, RS_PUR_EXIT, RS_PUR_STOP, RS_PUR_TAKE_PROFIT, RS_PUR_TIMED_EXIT,
                  RS_PUR_KILL, RS_PUR_GUARD, RS_PUR_DRAWDOWN, RS_PUR_RECONCILE };
typedef struct rs_ev_intent {
    rs_rec h;
    uint16_t sym;
    uint8_t kind;         /* enum rs_intent_kind */
    uint8_t side;         /* enum rs_side */
    uint8_t ord_type;     /* enum rs_ord_type */
    uint8_t purpose;      /* enum rs_purpose */
    uint8_t reduce_only;
    uint8_t tif;          /* 0 GTC, 1 IOC, 2 FOK */
    uint64_t client_id;   /* (instance << 40) | sequence: deterministic */
    uint64_t target_id;   /* for cancel/query: the order's client_id */
    int64_t px;           /* limit / trigger price (fixed point) */
    int64_t qty;
} rs_ev_intent;

typedef struct rs_ev_risk {
    rs_rec h;
    uint16_t circuit;     /* enum rs_circuit_id (risk.h) */
    uint16_t sym;         /* 0xffff: portfolio-wide */
    uint8_t action;       /* 0 info, 1 pause, 2 kill, 3 cut exposure, 4 resume, 5 escalate */
    uint8_t pad[3];
    double value, limit;
    char text[64];
} rs_ev_risk;

typedef struct rs_ev_position {
    rs_rec h;
    uint16_t sym;
    uint16_t pad[3];
    int64_t qty;          /* signed, fixed point */
    double avg_px, mark_px;
    double realized, unrealized, fees;
    double equity, peak_equity;
} rs_ev_position;

/* ---- exec ----------------------------------------------------------------- */

enum rs_ord_state {
    RS_OS_PENDING_NEW = 1, RS_OS_ACKED, RS_OS_PARTIAL, RS_OS_FILLED, RS_OS_PENDING_CANCEL,
    RS_OS_CANCELLED, RS_OS_REJECTED, RS_OS_EXPIRED, RS_OS_UNKNOWN
};
typedef struct rs_ev_order {
    rs_rec h;
    uint16_t sym;
    uint8_t side, ord_type, kind, tif, reduce_only, pad;
    uint64_t client_id;
    int64_t px, qty;
    uint32_t wire_bytes;  /* bytes written to the venue for it */
    uint32_t attempt;
} rs_ev_order;

typedef struct rs_ev_exec_report {
    rs_rec h;
    uint16_t sym;
    uint8_t state;        /* enum rs_ord_state after this report */
    uint8_t side;
    uint8_t is_fill;
    uint8_t liquidity;    /* 0 unknown, 1 maker, 2 taker */
    uint8_t source;       /* 0 ws, 1 rest poll, 2 sim */
    uint8_t pad;
    uint64_t client_id;
    uint64_t venue_order_id;
    uint64_t trade_id;    /* fills: venue trade id (idempotency key) */
    int64_t last_px, last_qty, cum_qty, leaves_qty;
    double fee;           /* quote currency */
    int32_t reject_code;  /* venue error code, 0 if none */
    uint32_t pad2;
} rs_ev_exec_report;

/* ---- control and bookkeeping ---------------------------------------------- */

enum rs_ctl_cmd { RS_CTL_KILL = 1, RS_CTL_PAUSE, RS_CTL_RESUME, RS_CTL_FLATTEN, RS_CTL_RELOAD_MODEL, RS_CTL_STOP };
typedef struct rs_ev_control {
    rs_rec h;
    uint16_t cmd;         /* enum rs_ctl_cmd */
    uint16_t sym;         /* 0xffff: all */
    uint32_t pad;
    char arg[128];
} rs_ev_control;

/* Consumption order of a multi-input stage, written on its output stream
 * whenever it switches input: "after prev_last_seq of prev_stream, the stage
 * went on with in_stream from first_seq". Outputs between two steps belong
 * to the inputs of the run between them. A final step with in_stream 0
 * closes the last run at a clean stop. Replay feeds the stage exactly this
 * interleaving. */
typedef struct rs_ev_step {
    rs_rec h;
    uint16_t stage;
    uint16_t in_stream;      /* input consumed from here on (0: end) */
    uint16_t prev_stream;    /* input consumed before this step (0: none) */
    uint16_t pad;
    uint64_t first_seq;      /* first record of in_stream after the step */
    uint64_t prev_last_seq;  /* last record of prev_stream before the step */
} rs_ev_step;

typedef struct rs_ev_gap {
    rs_rec h;
    uint16_t gap_stream;
    uint16_t reason;      /* 1 attach-late, 2 seq gap, 3 engine dead */
    uint32_t pad;
    uint64_t from_seq, to_seq;   /* missing [from, to] */
} rs_ev_gap;

typedef struct rs_ev_alarm {
    rs_rec h;
    uint16_t code;
    uint16_t pad[3];
    char text[120];
} rs_ev_alarm;

/* A chunk of a file the engine journals while running (the model and
 * calibration bytes of a hot swap, and the ensemble description that names
 * them), so the journal alone can replay the swap. A file of `size` bytes is
 * split into records with consecutive `offset`s; `sha256` is the hash of the
 * whole file (the key replay looks it up by). kind: enum rs_jblob_kind
 * (journal.h). Written on the stream whose records need it, before them. Not
 * part of the schema hash: it adds a record type and changes no existing
 * layout, so older journals stay readable. */
typedef struct rs_ev_blob {
    rs_rec h;
    uint8_t sha256[32];   /* of the whole file */
    uint64_t size;        /* whole file, bytes */
    uint64_t offset;      /* of this chunk in the file */
    uint32_t kind;        /* enum rs_jblob_kind */
    uint32_t chunk_len;   /* bytes of data[] in this record */
    char name[96];        /* file it came from (informational, NUL-terminated) */
    uint8_t data[];       /* chunk_len bytes; h.len = sizeof(rs_ev_blob) + chunk_len */
} rs_ev_blob;
#define RS_BLOB_CHUNK_MAX (32u * 1024u)

/* Name of a record type ("trade", "decision", ...), or NULL if unknown. */
const char *rs_ev_type_name(uint16_t type);
/* Inverse of rs_ev_type_name; returns RS_EV_NONE if unknown. */
uint16_t rs_ev_type_from_name(const char *name);
/* Name of a stream id ("md", "mark", ...), or NULL. */
const char *rs_stream_name(uint16_t stream);
/* Hash of the record schema (layouts above); stored in region and journal
 * headers so a different build's files are refused. */
uint64_t rs_schema_hash(void);

static inline uint32_t rs_rec_padded(uint32_t len) { return (len + (RS_REC_ALIGN - 1)) & ~(RS_REC_ALIGN - 1); }

#endif
