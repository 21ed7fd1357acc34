/* Model stage: calibration, multi-horizon ensembles, z-edge and the pure
 * handler RS_EV_FEATURES -> RS_EV_PREDICTION, with journaled hot swap. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "ringside/atomics.h"
#include "ringside/mem.h"
#include "ringside/file.h"
#include "ringside/model_stage.h"


/* ---- calibration ------------------------------------------------------------------ */

struct rs_calib {
    int type;
    uint32_t n;
    double a, b, scale, offset;
    double *x, *y;
    uint8_t sha256[32];
};

void rs_calib_destroy(rs_calib *c)
{
    if (!c)
        return;
    rs_mem_free(c->x);
    rs_mem_free(c->y);
    rs_mem_free(c);
}

int rs_calib_type(const rs_calib *c) { return c ? c->type : RS_CALIB_IDENTITY; }
const uint8_t *rs_calib_sha256(const rs_calib *c) { return c->sha256; }

static int num(json_t *o, const char *k, double *v, double dflt, const char *file, const char *key, int req)
{
    json_t *j = json_object_get(o, k);
    if (!j) {
        if (req)
            return rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": missing field \"%s\"", file, key, k);
        *v = dflt;
        return 0;
    }
    if (!json_is_number(j) || !isfinite(json_number_value(j)))
        return rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": field \"%s\" is not a finite number", file, key, k);
    *v = json_number_value(j);
    return 0;
}

int rs_calib_load_mem(rs_calib **out, const char *json, size_t n, const char *name, const char *key)
{
    *out = NULL;
    json_error_t je;
    json_t *root = json_loadb(json, n, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return rs_err_set(RS_EBADCFG, "%s: line %d: invalid JSON: %s", name, je.line, je.text);
    const char *kname = key ? key : "(bare)";
    json_t *c = root;
    int rc = 0;
    if (key) {
        json_t *models = json_object_get(root, "models");
        c = json_object_get(models, key);
        if (!json_is_object(c)) {
            rc = rs_err_set(RS_EBADCFG, "%s: no calibration \"models\".\"%s\"", name, key);
            goto out;
        }
    }
    rs_calib *cb = rs_mem_alloc(sizeof *cb, 64, "calibration");
    if (!cb) {
        rc = -ENOMEM;
        goto out;
    }
    rs_sha256(json, n, cb->sha256);
    const char *t = json_string_value(json_object_get(c, "type"));
    if (!t) {
        rc = rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": missing string field \"type\"", name, kname);
    } else if (!strcmp(t, "identity")) {
        cb->type = RS_CALIB_IDENTITY;
    } else if (!strcmp(t, "linear")) {
        cb->type = RS_CALIB_LINEAR;
        if (!(rc = num(c, "a", &cb->a, 1, name, kname, 1)))
            rc = num(c, "b", &cb->b, 0, name, kname, 0);
    } else if (!strcmp(t, "platt")) {
        cb->type = RS_CALIB_PLATT;
        if (!(rc = num(c, "a", &cb->a, 1, name, kname, 1)) && !(rc = num(c, "b", &cb->b, 0, name, kname, 1)) &&
            !(rc = num(c, "scale", &cb->scale, 1, name, kname, 0)))
            rc = num(c, "offset", &cb->offset, 0, name, kname, 0);
    } else if (!strcmp(t, "isotonic")) {
        cb->type = RS_CALIB_ISOTONIC;
        json_t *xs = json_object_get(c, "x"), *ys = json_object_get(c, "y");
        size_t nx = json_array_size(xs);
        if (!json_is_array(xs) || !json_is_array(ys) || nx != json_array_size(ys) || nx < 1 || nx > 1000000) {
            rc = rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": \"x\" and \"y\" must be arrays of the same "
                            "length (1..1e6)", name, kname);
        } else {
            cb->n = (uint32_t)nx;
            cb->x = rs_mem_alloc(nx * sizeof(double), 64, "calibration");
            cb->y = rs_mem_alloc(nx * sizeof(double), 64, "calibration");
            if (!cb->x || !cb->y)
                rc = -ENOMEM;
            for (size_t i = 0; !rc && i < nx; i++) {
                json_t *xv = json_array_get(xs, i), *yv = json_array_get(ys, i);
                if (!json_is_number(xv) || !json_is_number(yv) || !isfinite(json_number_value(xv)) ||
                    !isfinite(json_number_value(yv))) {
                    rc = rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": x[%zu]/y[%zu] not finite numbers", name,
                                    kname, i, i);
                    break;
                }
                cb->x[i] = json_number_value(xv);
                cb->y[i] = json_number_value(yv);
                if (i && !(cb->x[i] > cb->x[i - 1]))
                    rc = rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": x[%zu] not strictly increasing", name,
                                    kname, i);
                else if (i && cb->y[i] < cb->y[i - 1])
                    rc = rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": y[%zu] decreases (not isotonic)", name,
                                    kname, i);
            }
        }
    } else {
        rc = rs_err_set(RS_EBADCFG, "%s: calibration \"%s\": unknown type \"%s\" (identity, linear, platt, isotonic)",
                        name, kname, t);
    }
    if (rc)
        rs_calib_destroy(cb);
    else
        *out = cb;
out:
    json_decref(root);
    return rc;
}

int rs_calib_load(rs_calib **out, const char *path, const char *key)
{
    uint8_t *buf = NULL;
    size_t n = 0;
    *out = NULL;
    int rc = rs_file_read_all(path, "calibration", 0, 0, &buf, &n);
    if (rc)
        return rc;
    rc = rs_calib_load_mem(out, (const char *)buf, n, path, key);
    rs_mem_free(buf);
    return rc;
}

double rs_calib_apply(const rs_calib *c, double x)
{
    if (!c)
        return x;
    switch (c->type) {
    case RS_CALIB_LINEAR: return c->a * x + c->b;
    case RS_CALIB_PLATT: return c->offset + c->scale / (1.0 + exp(-(c->a * x + c->b)));
    case RS_CALIB_ISOTONIC: {
        if (isnan(x))
            return x;
        if (x <= c->x[0])
            return c->y[0];
        if (x >= c->x[c->n - 1])
            return c->y[c->n - 1];
        uint32_t lo = 0, hi = c->n - 1;   /* x[lo] < x < x[hi] */
        while (hi - lo > 1) {
            uint32_t mid = lo + (hi - lo) / 2;
            if (c->x[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        double t = (x - c->x[lo]) / (c->x[hi] - c->x[lo]);
        return c->y[lo] + t * (c->y[hi] - c->y[lo]);
    }
    default: return x;
    }
}

/* ---- ensemble ------------------------------------------------------------------------ */

struct rs_ensemble {
    uint32_t n;
    uint32_t n_inputs;
    double w[RS_MAX_HORIZONS];
    double wsum;
    rs_model *m[RS_MAX_HORIZONS];
    rs_calib *cal[RS_MAX_HORIZONS];
    uint32_t *map[RS_MAX_HORIZONS];   /* model feature j -> producer index */
    uint32_t nf[RS_MAX_HORIZONS];
    uint64_t layout_hash;
    float *row;                       /* scratch: largest model's features */
    uint8_t sha256[32];
};

void rs_ensemble_destroy(rs_ensemble *e)
{
    if (!e)
        return;
    for (uint32_t i = 0; i < RS_MAX_HORIZONS; i++) {
        rs_model_destroy(e->m[i]);
        rs_calib_destroy(e->cal[i]);
        rs_mem_free(e->map[i]);
    }
    rs_mem_free(e->row);
    rs_mem_free(e);
}

const uint8_t *rs_ensemble_sha256(const rs_ensemble *e) { return e->sha256; }
uint32_t rs_ensemble_n_models(const rs_ensemble *e) { return e->n; }
const rs_model *rs_ensemble_model(const rs_ensemble *e, uint32_t i) { return i < e->n ? e->m[i] : NULL; }
uint32_t rs_ensemble_n_inputs(const rs_ensemble *e) { return e->n_inputs; }

int rs_ensemble_load(rs_ensemble **out, const rs_ensemble_cfg *cfg)
{
    *out = NULL;
    if (cfg->n_models < 1 || cfg->n_models > RS_MAX_HORIZONS)
        return rs_err_set(RS_EBADCFG, "model ensemble: %u models (1..%d)", cfg->n_models, RS_MAX_HORIZONS);
    rs_ensemble *e = rs_mem_alloc(sizeof *e, 64, "ensemble");
    if (!e)
        return -ENOMEM;
    e->n = cfg->n_models;
    e->layout_hash = cfg->layout_hash;
    int rc = 0;
    uint32_t maxf = 1;
    uint8_t cat[RS_MAX_HORIZONS * (64 + 64)];
    size_t catn = 0;
    for (uint32_t i = 0; i < e->n && !rc; i++) {
        const rs_ensemble_model_cfg *mc = &cfg->m[i];
        if (!mc->path) {
            rc = rs_err_set(RS_EBADCFG, "model ensemble: model %u has no path", i);
            break;
        }
        if (!(mc->weight > 0) || !isfinite(mc->weight)) {
            rc = rs_err_set(RS_EBADCFG, "model ensemble: %s: weight %g must be > 0", mc->path, mc->weight);
            break;
        }
        e->w[i] = mc->weight;
        e->wsum += mc->weight;
        if ((rc = rs_model_load(&e->m[i], mc->path)))
            break;
        if ((rc = rs_model_set_isa(e->m[i], cfg->isa)))
            break;
        if (mc->calib_path && (rc = rs_calib_load(&e->cal[i], mc->calib_path, mc->calib_key)))
            break;
        rs_model_info in;
        rs_model_get_info(e->m[i], &in);
        e->nf[i] = in.n_features;
        if (in.n_features > maxf)
            maxf = in.n_features;
        if (!(e->map[i] = rs_mem_alloc(in.n_features * sizeof(uint32_t), 64, "feature map"))) {
            rc = -ENOMEM;
            break;
        }
        if ((rc = rs_model_map_features(e->m[i], cfg->feature_names, cfg->n_features, e->map[i])))
            break;
        for (uint32_t j = 0; j < in.n_features; j++)
            if (e->map[i][j] + 1 > e->n_inputs)
                e->n_inputs = e->map[i][j] + 1;
        memcpy(cat + catn, in.sha256, 32);
        catn += 32;
        if (e->cal[i])
            memcpy(cat + catn, rs_calib_sha256(e->cal[i]), 32);
        else
            memset(cat + catn, 0, 32);
        catn += 32;
        memset(cat + catn, 0, 64);
        if (mc->calib_key)
            strncpy((char *)cat + catn, mc->calib_key, 63);
        catn += 64;
    }
    if (!rc && !(e->row = rs_mem_alloc(maxf * sizeof(float), 64, "ensemble row")))
        rc = -ENOMEM;
    if (rc) {
        rs_ensemble_destroy(e);
        return rc;
    }
    rs_sha256(cat, catn, e->sha256);
    *out = e;
    return 0;
}

int rs_ensemble_load_manifest(rs_ensemble **out, const char *manifest, const char *const *feature_names,
                              uint32_t n_features, uint64_t layout_hash, int isa)
{
    *out = NULL;
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = rs_file_read_all(manifest, "model manifest", 0, 0, &buf, &n);
    if (rc)
        return rc;
    json_error_t je;
    json_t *root = json_loadb((const char *)buf, n, JSON_REJECT_DUPLICATES, &je);
    rs_mem_free(buf);
    if (!root)
        return rs_err_set(RS_EBADCFG, "%s: line %d: invalid JSON: %s", manifest, je.line, je.text);
    /* paths in the manifest are relative to its directory */
    char dir[512];
    const char *slash = strrchr(manifest, '/');
    size_t dl = slash ? (size_t)(slash - manifest) + 1 : 0;
    if (dl >= sizeof dir) {
        json_decref(root);
        return rs_err_set(RS_EBADCFG, "%s: path too long", manifest);
    }
    memcpy(dir, manifest, dl);
    dir[dl] = 0;
    char paths[RS_MAX_HORIZONS + 1][640];
    char keys[RS_MAX_HORIZONS][64], names[RS_MAX_HORIZONS][64];
    rs_ensemble_cfg cfg = {.feature_names = feature_names, .n_features = n_features, .layout_hash = layout_hash,
                           .isa = isa};
    json_t *models = json_object_get(root, "models");
    const char *calib = json_string_value(json_object_get(root, "calibration"));
    if (calib)
        snprintf(paths[RS_MAX_HORIZONS], sizeof paths[0], "%s%s", calib[0] == '/' ? "" : dir, calib);
    if (!json_is_array(models) || json_array_size(models) < 1 || json_array_size(models) > RS_MAX_HORIZONS) {
        rc = rs_err_set(RS_EBADCFG, "%s: \"models\" must be an array of 1..%d entries", manifest, RS_MAX_HORIZONS);
        goto out;
    }
    cfg.n_models = (uint32_t)json_array_size(models);
    for (uint32_t i = 0; i < cfg.n_models; i++) {
        json_t *mj = json_array_get(models, i);
        const char *path = json_string_value(json_object_get(mj, "path"));
        json_t *w = json_object_get(mj, "weight"), *h = json_object_get(mj, "horizon_bars");
        if (!path || !json_is_number(w)) {
            rc = rs_err_set(RS_EBADCFG, "%s: models[%u] needs \"path\" (string) and \"weight\" (number)", manifest,
                            i);
            goto out;
        }
        snprintf(paths[i], sizeof paths[i], "%s%s", path[0] == '/' ? "" : dir, path);
        rs_ensemble_model_cfg *mc = &cfg.m[i];
        mc->path = paths[i];
        mc->weight = json_number_value(w);
        mc->horizon_bars = json_is_integer(h) ? (uint32_t)json_integer_value(h) : 0;
        const char *nm = json_string_value(json_object_get(mj, "name"));
        if (nm) {
            snprintf(names[i], sizeof names[i], "%s", nm);
            mc->name = names[i];
        }
        const char *key = json_string_value(json_object_get(mj, "calib_key"));
        if (calib && key) {
            snprintf(keys[i], sizeof keys[i], "%s", key);
            mc->calib_path = paths[RS_MAX_HORIZONS];
            mc->calib_key = keys[i];
        }
    }
    rc = rs_ensemble_load(out, &cfg);
out:
    json_decref(root);
    return rc;
}

int rs_ensemble_eval(rs_ensemble *e, const double *v, uint32_t n, float *raw, float *cal, double *weighted)
{
    if (n < e->n_inputs)
        return RS_BAD;
    double acc = 0;
    for (uint32_t i = 0; i < e->n; i++) {
        const uint32_t *map = e->map[i];
        for (uint32_t j = 0; j < e->nf[i]; j++)
            e->row[j] = (float)v[map[j]];   /* round to nearest: what XGBoost does with float64 input */
        raw[i] = rs_model_predict(e->m[i], e->row);
        cal[i] = (float)rs_calib_apply(e->cal[i], (double)raw[i]);
        acc += e->w[i] * (double)cal[i];
    }
    *weighted = acc / e->wsum;
    return RS_OK;
}

/* ---- stage ----------------------------------------------------------------------------- */

struct rs_model_stage {
    rs_ensemble *cur;
    _Atomic(rs_ensemble *) pending;
    _Atomic(rs_ensemble *) retired;
    uint32_t zw, zmin;
    double *win;                      /* RS_MAX_SYMBOLS x zw ring of weighted_bps */
    uint32_t cnt[RS_MAX_SYMBOLS];
    uint32_t head[RS_MAX_SYMBOLS];
    rs_model_stage_stats st;
};

int rs_model_stage_create(rs_model_stage **out, rs_ensemble *e, uint32_t z_window, uint32_t z_min)
{
    *out = NULL;
    if (!e)
        return rs_err_set(EINVAL, "model stage: no ensemble");
    if (z_window < 2 || z_window > (1u << 20) || z_min < 2 || z_min > z_window)
        return rs_err_set(RS_EBADCFG, "model stage: z_window %u / z_min %u (need 2 <= z_min <= z_window <= 2^20)",
                          z_window, z_min);
    rs_model_stage *st = rs_mem_alloc(sizeof *st, 64, "model stage");
    if (!st)
        return -ENOMEM;
    st->win = rs_mem_alloc((size_t)RS_MAX_SYMBOLS * z_window * sizeof(double), 64, "z-edge windows");
    if (!st->win) {
        rs_mem_free(st);
        return -ENOMEM;
    }
    st->cur = e;
    st->zw = z_window;
    st->zmin = z_min;
    atomic_init(&st->pending, NULL);
    atomic_init(&st->retired, NULL);
    *out = st;
    return 0;
}

void rs_model_stage_destroy(rs_model_stage *st)
{
    if (!st)
        return;
    rs_ensemble_destroy(st->cur);
    rs_ensemble_destroy(atomic_load(&st->pending));
    rs_ensemble_destroy(atomic_load(&st->retired));
    rs_mem_free(st->win);
    rs_mem_free(st);
}

int rs_model_stage_offer(rs_model_stage *st, rs_ensemble *next)
{
    rs_ensemble *expect = NULL;
    /* release: publishes the fully built ensemble; partner: the acquire
     * load in on_swap */
    if (!rs_cas_acq_rel(&st->pending, &expect, next))
        return rs_err_set(EBUSY, "model stage: a model swap is already pending");
    return 0;
}

rs_ensemble *rs_model_stage_reclaim(rs_model_stage *st)
{
    /* acquire: partner of the release store of `retired` in on_swap, so the
     * stage is done with the old ensemble before we free it */
    return atomic_exchange_explicit(&st->retired, NULL, memory_order_acq_rel);
}

const rs_ensemble *rs_model_stage_ensemble(const rs_model_stage *st) { return st->cur; }

void rs_model_stage_get_stats(const rs_model_stage *st, rs_model_stage_stats *s) { *s = st->st; }

static int on_swap(rs_model_stage *st, const rs_ev_model_swap *in, rs_emit *out)
{
    if (in->h.len < sizeof *in) {
        st->st.bad++;
        return RS_BAD;
    }
    rs_ensemble *p = rs_load_acquire(&st->pending);   /* partner: the CAS release in offer */
    if (!p || memcmp(rs_ensemble_sha256(p), in->new_sha256, 32)) {
        st->st.swap_refused++;
        return RS_BAD;
    }
    if (rs_load_acquire(&st->retired))   /* partner: the exchange in reclaim */
        return RS_FULL;                   /* the control thread has not freed the last one yet */
    rs_ev_model_swap *o = (rs_ev_model_swap *)rs_emit_claim(out, RS_EV_MODEL_SWAP, sizeof *o);
    if (!o)
        return RS_FULL;
    memset((char *)o + sizeof(rs_rec), 0, sizeof *o - sizeof(rs_rec));
    o->h.ts = in->h.ts;
    memcpy(o->old_sha256, rs_ensemble_sha256(st->cur), 32);
    memcpy(o->new_sha256, in->new_sha256, 32);
    memcpy(o->path, in->path, sizeof o->path);
    rs_ensemble *old = st->cur;
    st->cur = p;
    rs_store_release(&st->pending, NULL);   /* partner: the CAS in offer (acquire side) */
    rs_store_release(&st->retired, old);    /* partner: the exchange in reclaim */
    /* the new ensemble's outputs have their own distribution: start the
     * z-edge history afresh */
    memset(st->cnt, 0, sizeof st->cnt);
    memset(st->head, 0, sizeof st->head);
    st->st.swaps++;
    rs_emit_commit(out, &o->h);
    return RS_OK;
}

static int on_features(rs_model_stage *st, const rs_ev_features *f, rs_emit *out)
{
    if (f->h.len < sizeof *f || f->h.len < sizeof *f + (uint64_t)f->n * sizeof(double) ||
        f->sym >= RS_MAX_SYMBOLS ||
        (st->cur->layout_hash && f->layout_hash != st->cur->layout_hash) || f->n < st->cur->n_inputs) {
        st->st.bad++;
        return RS_BAD;
    }
    if (!f->ready || f->kind != 0) {
        st->st.skipped++;
        return RS_SKIP;
    }
    rs_ev_prediction *p = (rs_ev_prediction *)rs_emit_claim(out, RS_EV_PREDICTION, sizeof *p);
    if (!p)
        return RS_FULL;
    /* claim zeroes only the header: clear the payload so unused horizons,
     * padding and not-ready fields are the same bytes in every run */
    memset((char *)p + sizeof(rs_rec), 0, sizeof *p - sizeof(rs_rec));
    rs_ensemble *e = st->cur;
    p->h.ts = f->h.ts;
    p->sym = f->sym;
    p->n_horizons = (uint8_t)e->n;
    p->bar_end_ns = f->bar_end_ns;
    memcpy(p->model_sha256, e->sha256, 32);
    double w;
    rs_ensemble_eval(e, f->v, f->n, p->raw, p->cal, &w);
    p->weighted_bps = w;
    /* z-edge against the previous values of this symbol (two passes over
     * the window: exact and independent of history beyond it) */
    double *win = st->win + (size_t)f->sym * st->zw;
    uint32_t c = st->cnt[f->sym];
    double mean = 0, var = 0;
    if (c) {
        for (uint32_t k = 0; k < c; k++)
            mean += win[k];
        mean /= c;
        for (uint32_t k = 0; k < c; k++)
            var += (win[k] - mean) * (win[k] - mean);
        var = c > 1 ? var / (c - 1) : 0;
    }
    double sd = sqrt(var);
    p->roll_mean = mean;
    p->roll_std = sd;
    if (c >= st->zmin && sd > 0 && isfinite(w)) {
        p->ready = 1;
        p->z_edge = (w - mean) / sd;
    }
    if (isfinite(w)) {
        win[st->head[f->sym]] = w;
        st->head[f->sym] = (st->head[f->sym] + 1) % st->zw;
        if (c < st->zw)
            st->cnt[f->sym] = c + 1;
    }
    st->st.predictions++;
    rs_emit_commit(out, &p->h);
    return RS_OK;
}

int rs_model_stage_on_event(rs_model_stage *st, const rs_rec *in, rs_emit *out)
{
    switch (in->type) {
    case RS_EV_FEATURES: return on_features(st, (const rs_ev_features *)in, out);
    case RS_EV_MODEL_SWAP: return on_swap(st, (const rs_ev_model_swap *)in, out);
    default:
        st->st.skipped++;
        return RS_SKIP;
    }
}
