/* Deterministic synthetic trade generator (see synth.h). */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ringside/common.h"
#include "ringside/synth.h"

#define SEC_PER_DAY 86400.0
#define SEC_PER_YEAR (365.0 * 86400.0)

static const rs_synth_sym default_syms[] = {
    {"BTCUSDT", 60000.0, 2, 5, 0.55, 0.90, 8.0, 0.02},
    {"ETHUSDT", 3000.0, 2, 4, 0.70, 0.85, 6.0, 0.5},
    {"SOLUSDT", 150.0, 2, 3, 0.95, 0.75, 4.0, 5.0},
    {"BNBUSDT", 600.0, 2, 3, 0.60, 0.70, 2.0, 1.0},
    {"DOGEUSDT", 0.15, 5, 0, 1.10, 0.60, 3.0, 2000.0},
};

void rs_synth_cfg_default(rs_synth_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->seed = 1;
    cfg->surge_sym = -1;
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static uint64_t rnd(rs_synth *s)   /* xoshiro256** */
{
    uint64_t *r = s->rng;
    uint64_t out = rotl(r[1] * 5, 7) * 9;
    uint64_t t = r[1] << 17;
    r[2] ^= r[0];
    r[3] ^= r[1];
    r[1] ^= r[2];
    r[0] ^= r[3];
    r[2] ^= t;
    r[3] = rotl(r[3], 45);
    return out;
}

static double unif(rs_synth *s) { return (double)(rnd(s) >> 11) * (1.0 / 9007199254740992.0); }

static double normal(rs_synth *s)
{
    /* Box-Muller, one value per call: simple and reproducible. */
    double u1 = unif(s), u2 = unif(s);
    if (u1 < 1e-300) u1 = 1e-300;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static double expo(rs_synth *s)
{
    double u = unif(s);
    return -log(1.0 - u);
}

static const double pow10d[] = {1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8};

int rs_synth_init(rs_synth *s, const rs_synth_cfg *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    rs_synth_cfg *c = &s->cfg;
    if (!c->seed) c->seed = 1;
    if (!c->start_ms) c->start_ms = 1767225600000ll;   /* 2026-01-01T00:00:00Z */
    if (!c->nsyms) {
        c->nsyms = RS_ARRAY_LEN(default_syms);
        memcpy(c->sym, default_syms, sizeof default_syms);
    }
    if (c->nsyms > RS_SYNTH_MAX_SYMS)
        return rs_err_set(RS_EBADCFG, "synth: %u symbols > %d", c->nsyms, RS_SYNTH_MAX_SYMS);
    if (c->rate_scale <= 0) c->rate_scale = 1.0;
    if (c->jumps_per_day <= 0) c->jumps_per_day = 3.0;
    if (c->jump_sigma <= 0) c->jump_sigma = 0.02;
    if (c->surges_per_day <= 0) c->surges_per_day = 0.02;
    if (c->regime_switches_per_day <= 0) c->regime_switches_per_day = 2.0;
    if (!c->first_trade_id) c->first_trade_id = 100000000;
    for (uint32_t i = 0; i < c->nsyms; i++) {
        rs_synth_sym *y = &c->sym[i];
        if (y->px_dec < 0 || y->px_dec > 8 || y->qty_dec < 0 || y->qty_dec > 8)
            return rs_err_set(RS_EBADCFG, "synth: symbol %s: decimals must be 0..8", y->name);
        if (!(y->px0 > 0) || y->px0 * pow10d[y->px_dec] > 9e15)
            return rs_err_set(RS_EBADCFG, "synth: symbol %s: bad initial price", y->name);
        if (y->beta < 0 || y->beta > 1)
            return rs_err_set(RS_EBADCFG, "synth: symbol %s: beta must be in [0,1]", y->name);
        if (y->vol <= 0) y->vol = 0.6;
        if (y->rate <= 0) y->rate = 1.0;
        if (y->qty_mean <= 0) y->qty_mean = 1.0;
        for (char *p = y->name; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        s->logp[i] = log(y->px0);
        s->next_id[i] = c->first_trade_id;
    }
    /* splitmix64 seeding of xoshiro */
    uint64_t z = c->seed;
    for (int i = 0; i < 4; i++) {
        z += 0x9E3779B97F4A7C15ull;
        uint64_t x = z;
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
        s->rng[i] = x ^ (x >> 31);
    }
    if (c->surge_sym >= 0 && (uint32_t)c->surge_sym < c->nsyms) {
        s->surge_until[c->surge_sym] = SEC_PER_DAY;
        s->surges++;
    }
    return 0;
}

static const double regime_vol[] = {1.0, 2.2, 1.2, 1.4};
static const double regime_act[] = {1.0, 2.0, 1.3, 1.6};
static const double regime_drift[] = {0.0, 0.0, 0.25, -0.25};   /* log per day */

static double intensity(const rs_synth *s, uint32_t i)
{
    double a = s->cfg.sym[i].rate * s->cfg.rate_scale * regime_act[s->regime] * exp(0.5 * s->logh[i]);
    if (s->t < s->surge_until[i])
        a *= 3.0;
    return a;
}

void rs_synth_next(rs_synth *s, rs_synth_trade *out)
{
    rs_synth_cfg *c = &s->cfg;
    uint32_t n = c->nsyms;
    double lam[RS_SYNTH_MAX_SYMS], total = 0;
    for (uint32_t i = 0; i < n; i++) {
        lam[i] = intensity(s, i);
        total += lam[i];
    }
    double dt = expo(s) / total;
    s->t += dt;
    double dday = dt / SEC_PER_DAY, dyr = dt / SEC_PER_YEAR;
    /* regime switch */
    if (unif(s) < c->regime_switches_per_day * dday) {
        int r = (int)(unif(s) * 4.0);
        if (r > 3) r = 3;
        if (r != s->regime) {
            s->regime = r;
            s->regime_changes++;
        }
    }
    double zm = normal(s);
    for (uint32_t i = 0; i < n; i++) {
        const rs_synth_sym *y = &c->sym[i];
        /* volatility clustering: OU on log variance, ~1 h mean reversion */
        s->logh[i] += -s->logh[i] * (dt / 3600.0) + 0.8 * sqrt(dt / 3600.0) * normal(s);
        if (s->logh[i] > 3.0) s->logh[i] = 3.0;
        if (s->logh[i] < -3.0) s->logh[i] = -3.0;
        bool surge = s->t < s->surge_until[i];
        if (!surge && unif(s) < c->surges_per_day * dday) {
            s->surge_until[i] = s->t + SEC_PER_DAY;
            s->surges++;
            surge = true;
        }
        double sig = y->vol * regime_vol[s->regime] * exp(0.5 * s->logh[i]) * (surge ? 1.5 : 1.0);
        double z = y->beta * zm + sqrt(1.0 - y->beta * y->beta) * normal(s);
        double drift = regime_drift[s->regime] * dday + (surge ? 0.6931471805599453 * dday : 0.0);
        double dlp = drift - 0.5 * sig * sig * dyr + sig * sqrt(dyr) * z;
        if (unif(s) < c->jumps_per_day * dday) {
            dlp += c->jump_sigma * normal(s);
            s->jumps++;
        }
        s->logp[i] += dlp;
        s->last_move[i] = 0.9 * s->last_move[i] + dlp;
    }
    /* which symbol trades */
    double u = unif(s) * total, acc = 0;
    uint32_t k = n - 1;
    for (uint32_t i = 0; i < n; i++) {
        acc += lam[i];
        if (u < acc) {
            k = i;
            break;
        }
    }
    const rs_synth_sym *y = &c->sym[k];
    double scale = pow10d[y->px_dec];
    int64_t px = (int64_t)llround(exp(s->logp[k]) * scale);
    if (px < 1) px = 1;
    double qscale = pow10d[y->qty_dec];
    double q = y->qty_mean * exp(0.8 * normal(s) - 0.32);
    int64_t qty = (int64_t)llround(q * qscale);
    if (qty < 1) qty = 1;
    /* takers lean with the move: after an up-move more buys (m = false) */
    double pbuy = 0.5 + (s->last_move[k] > 0 ? 0.1 : s->last_move[k] < 0 ? -0.1 : 0.0);
    out->sym = k;
    out->id = s->next_id[k]++;
    out->px = px;
    out->qty = qty;
    out->ts_ms = c->start_ms + (int64_t)(s->t * 1000.0);
    out->buyer_maker = !(unif(s) < pbuy);
    s->last_px[k] = px;
    s->count++;
}

size_t rs_synth_fmt_dec(int64_t m, int dec, int pad, char *buf, size_t cap)
{
    char tmp[64];
    uint64_t p10 = 1;
    for (int i = 0; i < dec; i++)
        p10 *= 10;
    bool neg = m < 0;
    uint64_t um = neg ? (uint64_t)(-(m + 1)) + 1 : (uint64_t)m;
    int w = snprintf(tmp, sizeof tmp, "%s%llu", neg ? "-" : "", (unsigned long long)(um / p10));
    if (dec > 0 || pad > 0) {
        tmp[w++] = '.';
        if (dec > 0)
            w += snprintf(tmp + w, sizeof tmp - (size_t)w, "%0*llu", dec, (unsigned long long)(um % p10));
        for (int i = dec; i < pad; i++)
            tmp[w++] = '0';
        tmp[w] = 0;
    }
    if ((size_t)w >= cap)
        return 0;
    memcpy(buf, tmp, (size_t)w + 1);
    return (size_t)w;
}

size_t rs_synth_trade_json(const rs_synth *s, const rs_synth_trade *t, char *buf, size_t cap)
{
    const rs_synth_sym *y = &s->cfg.sym[t->sym];
    char p[40], q[40];
    rs_synth_fmt_dec(t->px, y->px_dec, 8, p, sizeof p);
    rs_synth_fmt_dec(t->qty, y->qty_dec, 8, q, sizeof q);
    int w = snprintf(buf, cap, "{\"e\":\"trade\",\"E\":%lld,\"s\":\"%s\",\"t\":%llu,\"p\":\"%s\",\"q\":\"%s\",\"T\":%lld,\"m\":%s,\"M\":true}",
                     (long long)t->ts_ms, y->name, (unsigned long long)t->id, p, q, (long long)t->ts_ms,
                     t->buyer_maker ? "true" : "false");
    if (w < 0 || (size_t)w >= cap)
        return 0;
    return (size_t)w;
}

void rs_synth_stream_name(const rs_synth *s, uint32_t i, char *buf)
{
    const char *n = s->cfg.sym[i].name;
    size_t k = 0;
    for (; n[k] && k < 15; k++)
        buf[k] = (char)tolower((unsigned char)n[k]);
    buf[k] = 0;
}
