/* Model hot swap: reload argument resolution, the supervisor's load /
 * validate / journal / offer machine, and replay's re-offer (model_reload.h).
 *
 * Why the bytes go through the rings: the recorder journals every ring, so
 * blob records on ctl_model land in the journal in stream order, before the
 * swap record, CRC-chained like everything else -- no second channel to the
 * recorder, and a journal without the bytes cannot contain the swap. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "model_reload.h"
#include "ringside/journal.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/file.h"
#include "ringside/model.h"
#include "ringside/runtime_counters.h"

/* ---- files ------------------------------------------------------------------------- */


static int write_file(const char *path, const void *data, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return rs_err_set(errno, "cannot write %s: %s", path, strerror(errno));
    size_t w = fwrite(data, 1, n, f);
    if (fclose(f) != 0 || w != n)
        return rs_err_set(EIO, "cannot write %s", path);
    return 0;
}

static bool is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* ---- descriptions ---------------------------------------------------------------- */

void rs_mdesc_from_config(rs_mdesc *d, const rs_config *cfg)
{
    memset(d, 0, sizeof *d);
    d->n = cfg->model.models_count < RS_MAX_HORIZONS ? cfg->model.models_count : RS_MAX_HORIZONS;
    for (uint32_t i = 0; i < d->n; i++) {
        const rs_cfg_model_entry *e = &cfg->model.models[i];
        rs_mdesc_model *m = &d->m[i];
        snprintf(m->name, sizeof m->name, "%s", e->name);
        snprintf(m->path, sizeof m->path, "%s", e->path);
        m->weight = e->weight;
        m->horizon_bars = e->horizon_bars;
        snprintf(m->calib, sizeof m->calib, "%s", e->calibration);
        if (e->calibration[0])
            snprintf(m->calib_key, sizeof m->calib_key, "%s", e->calibration_key);
    }
}

/* dir + rel unless rel is absolute */
static int join(char *out, size_t n, const char *dir, const char *rel)
{
    int k = rel[0] == '/' ? snprintf(out, n, "%s", rel) : snprintf(out, n, "%s%s", dir, rel);
    return k < 0 || (size_t)k >= n ? -1 : 0;
}

static int parse_manifest(rs_mdesc *d, json_t *root, const char *path)
{
    memset(d, 0, sizeof *d);
    char dir[512] = "";
    const char *slash = strrchr(path, '/');
    if (slash) {
        size_t dl = (size_t)(slash - path) + 1;
        if (dl >= sizeof dir)
            return rs_err_set(RS_EBADCFG, "%s: path too long", path);
        memcpy(dir, path, dl);
        dir[dl] = 0;
    }
    json_t *models = json_object_get(root, "models");
    if (!json_is_array(models) || json_array_size(models) < 1 || json_array_size(models) > RS_MAX_HORIZONS)
        return rs_err_set(RS_EBADCFG, "%s: \"models\" must be an array of 1..%d entries", path, RS_MAX_HORIZONS);
    const char *top_cal = json_string_value(json_object_get(root, "calibration"));
    d->n = (uint32_t)json_array_size(models);
    for (uint32_t i = 0; i < d->n; i++) {
        json_t *mj = json_array_get(models, i);
        rs_mdesc_model *m = &d->m[i];
        const char *p = json_string_value(json_object_get(mj, "path"));
        json_t *w = json_object_get(mj, "weight"), *h = json_object_get(mj, "horizon_bars");
        if (!p || !*p || !json_is_number(w))
            return rs_err_set(RS_EBADCFG, "%s: models[%u] needs \"path\" (string) and \"weight\" (number)", path, i);
        if (join(m->path, sizeof m->path, dir, p))
            return rs_err_set(RS_EBADCFG, "%s: models[%u].path too long", path, i);
        m->weight = json_number_value(w);
        if (!(m->weight > 0))
            return rs_err_set(RS_EBADCFG, "%s: models[%u].weight must be > 0", path, i);
        if (h && !json_is_integer(h))
            return rs_err_set(RS_EBADCFG, "%s: models[%u].horizon_bars must be an integer", path, i);
        m->horizon_bars = h ? (uint32_t)json_integer_value(h) : 0;
        const char *nm = json_string_value(json_object_get(mj, "name"));
        if (nm)
            snprintf(m->name, sizeof m->name, "%s", nm);
        else
            snprintf(m->name, sizeof m->name, "h%u", m->horizon_bars);
        const char *cal = json_string_value(json_object_get(mj, "calibration"));
        if (!cal)
            cal = top_cal;
        const char *key = json_string_value(json_object_get(mj, "calib_key"));
        if (cal && *cal) {
            if (join(m->calib, sizeof m->calib, dir, cal))
                return rs_err_set(RS_EBADCFG, "%s: models[%u] calibration path too long", path, i);
            if (key)
                snprintf(m->calib_key, sizeof m->calib_key, "%s", key);
        }
    }
    return 0;
}

int rs_mdesc_load_manifest(rs_mdesc *d, const char *path)
{
    json_error_t je;
    json_t *root = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return rs_err_set(RS_EBADCFG, "%s: line %d: %s", path, je.line, je.text);
    int rc = json_is_object(root) ? parse_manifest(d, root, path)
                                  : rs_err_set(RS_EBADCFG, "%s: not a JSON object", path);
    json_decref(root);
    return rc;
}

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

int rs_mdesc_resolve(rs_mdesc *out, const rs_mdesc *cur, const char *arg)
{
    if (!arg || !*arg)
        return rs_err_set(RS_EBADCFG, "reload-model: no path given");
    /* NAME=MODEL.json: one horizon */
    const char *eq = strchr(arg, '=');
    if (eq && eq != arg && !strchr(eq + 1, '=') && memchr(arg, '/', (size_t)(eq - arg)) == NULL) {
        *out = *cur;
        size_t nl = (size_t)(eq - arg);
        for (uint32_t i = 0; i < cur->n; i++)
            if (strlen(cur->m[i].name) == nl && !strncmp(cur->m[i].name, arg, nl)) {
                snprintf(out->m[i].path, sizeof out->m[i].path, "%s", eq + 1);
                return 0;
            }
        return rs_err_set(RS_EBADCFG, "reload-model %s: the ensemble has no model named '%.*s'", arg, (int)nl, arg);
    }
    char manifest[600];
    if (is_dir(arg)) {
        snprintf(manifest, sizeof manifest, "%s/ensemble.json", arg);
        return rs_mdesc_load_manifest(out, manifest);
    }
    json_error_t je;
    json_t *root = json_load_file(arg, 0, &je);
    if (!root)
        return rs_err_set(RS_EBADCFG, "reload-model %s: line %d: %s", arg, je.line, je.text);
    int rc;
    if (json_is_object(root) && json_object_get(root, "models")) {
        rc = parse_manifest(out, root, arg);
    } else if (json_is_object(root) && json_object_get(root, "learner")) {
        /* one XGBoost model: which horizon it replaces */
        *out = *cur;
        const char *bn = base_name(arg);
        size_t stem = strcspn(bn, ".");
        int hit = -1, hits = 0;
        for (uint32_t i = 0; i < cur->n; i++)
            if (cur->n == 1 || (strlen(cur->m[i].name) == stem && !strncmp(cur->m[i].name, bn, stem)) ||
                !strcmp(base_name(cur->m[i].path), bn)) {
                if (hit != (int)i)
                    hits++;
                hit = (int)i;
            }
        if (hits == 1) {
            snprintf(out->m[hit].path, sizeof out->m[hit].path, "%s", arg);
            rc = 0;
        } else {
            rc = rs_err_set(RS_EBADCFG,
                            "reload-model %s: cannot tell which of the %u models it replaces (use NAME=%s)", arg,
                            cur->n, arg);
        }
    } else {
        rc = rs_err_set(RS_EBADCFG, "reload-model %s: neither an ensemble manifest (\"models\") nor an XGBoost "
                                    "model (\"learner\")", arg);
    }
    json_decref(root);
    return rc;
}

int rs_mdesc_load(rs_ensemble **out, const rs_mdesc *d, const rs_pipeline *p)
{
    rs_ensemble_cfg ec;
    memset(&ec, 0, sizeof ec);
    ec.n_models = d->n;
    for (uint32_t i = 0; i < d->n && i < RS_MAX_HORIZONS; i++) {
        const rs_mdesc_model *m = &d->m[i];
        ec.m[i].path = m->path;
        ec.m[i].name = m->name;
        ec.m[i].weight = m->weight;
        ec.m[i].horizon_bars = m->horizon_bars;
        ec.m[i].calib_path = m->calib[0] ? m->calib : NULL;
        ec.m[i].calib_key = m->calib[0] && m->calib_key[0] ? m->calib_key : NULL;
    }
    ec.feature_names = p->feat_name_ptrs;
    ec.n_features = p->n_feat;
    ec.layout_hash = rs_features_layout_hash(p->feat);
    ec.isa = p->cfg->model.isa;
    return rs_ensemble_load(out, &ec);
}

/* ---- the supervisor ---------------------------------------------------------------- */

#define MAX_FILES (2 * RS_MAX_HORIZONS + 1)

typedef struct jfile {
    uint8_t sha[32];
    uint32_t kind;             /* enum rs_jblob_kind */
    char name[96];
    uint8_t *data;
    size_t size;
} jfile;

enum { Q_NONE = 0, Q_CMD, Q_ALARM, Q_BLOBS, Q_SWAP, Q_WAIT_APPLY };

struct rs_mreload {
    rs_pipeline *p;
    rs_emit intake;
    uint8_t scratch[sizeof(rs_ev_control) + 64];
    /* the queued command */
    bool queued;
    rs_ev_control cmd;
    int64_t cmd_ts;
    /* what is being journaled / applied */
    int phase;
    bool cmd_ok;               /* the command being journaled was accepted */
    rs_ev_control cmd_rec;     /* journal copy of the command */
    char alarm[120];
    jfile f[MAX_FILES];
    unsigned nf, cur_f;
    uint64_t cur_off;
    uint8_t old_sha[32], new_sha[32];
    rs_mdesc cur_desc, next_desc;
    uint32_t chunk;            /* blob bytes per record: fits the ctl_model ring */
    rs_mreload_stats st;
};

static rs_rec *intake_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    rs_mreload *m = e->ctx;
    if (len > sizeof m->scratch)
        return NULL;
    memset(m->scratch, 0, len);
    rs_rec *r = (rs_rec *)m->scratch;
    r->len = len;
    r->type = type;
    return r;
}

static void intake_commit(rs_emit *e, rs_rec *r)
{
    rs_mreload *m = e->ctx;
    if (r->type != RS_EV_CONTROL || r->len < sizeof(rs_ev_control))
        return;
    const rs_ev_control *c = (const rs_ev_control *)r;
    m->st.requests++;
    if (m->queued) {
        /* the mailbox holds one command at a time, so this only happens when
         * an operator fires two reloads within one supervisor tick */
        m->st.refused++;
        rs_error("model", "reload-model %s refused: another reload is queued", c->arg);
        return;
    }
    m->cmd = *c;
    m->queued = true;
}

int rs_mreload_create(rs_mreload **out, rs_pipeline *p)
{
    rs_mreload *m = rs_mem_alloc(sizeof *m, 64, "model reload");
    if (!m)
        return -ENOMEM;
    memset(m, 0, sizeof *m);
    m->p = p;
    m->intake = (rs_emit){intake_claim, intake_commit, m};
    rs_mdesc_from_config(&m->cur_desc, p->cfg);
    /* a record may take half a ring; a quarter leaves room for the rest */
    uint64_t room = p->cfg->rings.ctl_bytes / 4;
    m->chunk = room > sizeof(rs_ev_blob) + RS_BLOB_CHUNK_MAX ? RS_BLOB_CHUNK_MAX
               : room > sizeof(rs_ev_blob) + 256           ? (uint32_t)(room - sizeof(rs_ev_blob)) & ~7u
                                                            : 256;
    memcpy(m->st.active_sha256, p->model_sha256, 32);
    *out = m;
    return 0;
}

static void drop_files(rs_mreload *m)
{
    for (unsigned i = 0; i < m->nf; i++)
        rs_mem_free(m->f[i].data);
    m->nf = m->cur_f = 0;
    m->cur_off = 0;
}

void rs_mreload_destroy(rs_mreload *m)
{
    if (!m)
        return;
    drop_files(m);
    rs_mem_free(m);
}

rs_emit *rs_mreload_intake(rs_mreload *m) { return &m->intake; }

void rs_mreload_get_stats(const rs_mreload *m, rs_mreload_stats *s) { *s = m->st; }

void rs_mreload_publish(const rs_mreload *m, rs_region_hdr *h)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | m->st.active_sha256[i];
    /* relaxed: monitoring only (`ctl status`, `top`) */
    rs_store_relaxed(&h->counters[RS_CNT_MODEL_SHA], v);
    rs_store_relaxed(&h->counters[RS_CNT_MODEL_SWAPS], m->st.swaps);
    rs_store_relaxed(&h->counters[RS_CNT_MODEL_REFUSED], m->st.refused);
}

/* Add a file to journal (once per distinct content); its hash in hex goes
 * to `hex`. */
static int add_file(rs_mreload *m, const char *path, uint32_t kind, char hex[65])
{
    uint8_t *buf = NULL;
    size_t n = 0;
    int rc = rs_file_read_all(path, "model", 0, RS_FILE_NONEMPTY, &buf, &n);
    if (rc)
        return rc;
    uint8_t sha[32];
    rs_sha256(buf, n, sha);
    rs_sha256_hex(sha, hex);
    for (unsigned i = 0; i < m->nf; i++)
        if (!memcmp(m->f[i].sha, sha, 32)) {
            rs_mem_free(buf);
            return 0;
        }
    if (m->nf == MAX_FILES) {
        rs_mem_free(buf);
        return rs_err_set(E2BIG, "reload-model: too many files");
    }
    jfile *f = &m->f[m->nf++];
    memcpy(f->sha, sha, 32);
    f->kind = kind;
    snprintf(f->name, sizeof f->name, "%s", base_name(path));
    f->data = buf;
    f->size = n;
    return 0;
}

/* The journaled description: the manifest format, files named by hash (the
 * names replay gives the rebuilt files). Weights printed to round-trip. */
static int add_description(rs_mreload *m, const rs_mdesc *d, char model_hex[][65], char cal_hex[][65])
{
    json_t *models = json_array();
    for (uint32_t i = 0; i < d->n; i++) {
        json_t *o = json_pack("{s:s, s:s, s:f, s:I}", "name", d->m[i].name, "path", model_hex[i], "weight",
                              d->m[i].weight, "horizon_bars", (json_int_t)d->m[i].horizon_bars);
        if (d->m[i].calib[0]) {
            json_object_set_new(o, "calibration", json_string(cal_hex[i]));
            if (d->m[i].calib_key[0])
                json_object_set_new(o, "calib_key", json_string(d->m[i].calib_key));
        }
        json_array_append_new(models, o);
    }
    json_t *root = json_pack("{s:s, s:i, s:o}", "format", "ringside-ensemble", "version", 1, "models", models);
    char *txt = root ? json_dumps(root, JSON_SORT_KEYS | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    if (!txt || m->nf == MAX_FILES) {
        free(txt);
        return rs_err_set(ENOMEM, "reload-model: cannot build the ensemble description");
    }
    size_t n = strlen(txt);
    jfile *f = &m->f[m->nf++];
    f->data = rs_mem_alloc(n + 1, 8, "ensemble description");
    if (!f->data) {
        free(txt);
        m->nf--;
        return -ENOMEM;
    }
    memcpy(f->data, txt, n + 1);
    free(txt);
    f->size = n;
    rs_sha256(f->data, n, f->sha);
    f->kind = RS_JBLOB_ENSEMBLE;
    snprintf(f->name, sizeof f->name, "ensemble.json");
    return 0;
}

/* Load + validate; on success the ensemble is offered and the files are
 * queued for the journal. Returns 0 or a negative code with a message. */
static int prepare(rs_mreload *m, const char *arg)
{
    drop_files(m);
    rs_mdesc *d = &m->next_desc;
    int rc = rs_mdesc_resolve(d, &m->cur_desc, arg);
    if (rc)
        return rc;
    /* read every file once: the bytes we journal are hashed here and must be
     * the bytes the loader read (checked below), or an operator overwriting a
     * file mid-reload would journal something other than what runs */
    char mhex[RS_MAX_HORIZONS][65], chex[RS_MAX_HORIZONS][65];
    for (uint32_t i = 0; i < d->n; i++) {
        if ((rc = add_file(m, d->m[i].path, RS_JBLOB_MODEL, mhex[i])))
            return rc;
        if (d->m[i].calib[0] && (rc = add_file(m, d->m[i].calib, RS_JBLOB_MODEL, chex[i])))
            return rc;
    }
    rs_ensemble *e = NULL;
    if ((rc = rs_mdesc_load(&e, d, m->p)))
        return rc;
    for (uint32_t i = 0; i < d->n; i++) {
        rs_model_info in;
        rs_model_get_info(rs_ensemble_model(e, i), &in);
        char h[65];
        rs_sha256_hex(in.sha256, h);
        if (strcmp(h, mhex[i])) {
            rs_ensemble_destroy(e);
            return rs_err_set(EAGAIN, "reload-model: %s changed while it was being loaded; try again", d->m[i].path);
        }
    }
    /* the hash covers files and keys, not weights: a weights-only change is a
     * real change (and replays from the journaled description) */
    bool same = !memcmp(rs_ensemble_sha256(e), m->st.active_sha256, 32) && d->n == m->cur_desc.n;
    for (uint32_t i = 0; same && i < d->n; i++)
        same = d->m[i].weight == m->cur_desc.m[i].weight;
    if (same) {
        rs_ensemble_destroy(e);
        return rs_err_set(EALREADY, "reload-model %s: that ensemble is already in use", arg);
    }
    if ((rc = add_description(m, d, mhex, chex))) {
        rs_ensemble_destroy(e);
        return rc;
    }
    memcpy(m->old_sha, m->st.active_sha256, 32);
    memcpy(m->new_sha, rs_ensemble_sha256(e), 32);
    if ((rc = rs_model_stage_offer(m->p->model, e))) {
        rs_ensemble_destroy(e);
        return rc;
    }
    return 0;
}

static void take_command(rs_mreload *m)
{
    m->queued = false;
    m->cmd_rec = m->cmd;
    m->cmd.arg[sizeof m->cmd.arg - 1] = 0;
    const char *arg = m->cmd.arg;
    int rc = m->st.in_flight ? rs_err_set(EBUSY, "reload-model %s: the previous swap is not applied yet", arg)
                             : prepare(m, arg);
    if (rc) {
        drop_files(m);
        m->st.refused++;
        snprintf(m->st.last_error, sizeof m->st.last_error, "%s", rs_err_msg());
        snprintf(m->alarm, sizeof m->alarm, "model reload refused: %s", rs_err_msg());
        rs_error("model", "%s (the current model stays in use)", m->alarm);
        m->cmd_ok = false;
        m->phase = Q_CMD;
        return;
    }
    char oh[65], nh[65];
    rs_sha256_hex(m->old_sha, oh);
    rs_sha256_hex(m->new_sha, nh);
    rs_info("model", "reload-model %s: validated ensemble %.16s (%u models), offered; swapping from %.16s", arg, nh,
            m->next_desc.n, oh);
    m->st.in_flight = true;
    m->st.last_error[0] = 0;
    m->cmd_ok = true;
    m->phase = Q_CMD;
    m->alarm[0] = 0;
}

/* Emit the next pending record; 1 emitted, 0 no room / nothing to do. */
static int emit_one(rs_mreload *m, rs_emit *out, int64_t now)
{
    switch (m->phase) {
    case Q_CMD: {
        rs_ev_control *c = (rs_ev_control *)rs_emit_claim(out, RS_EV_CONTROL, sizeof *c);
        if (!c)
            return 0;
        memcpy((uint8_t *)c + sizeof(rs_rec), (const uint8_t *)&m->cmd_rec + sizeof(rs_rec),
               sizeof *c - sizeof(rs_rec));
        c->h.ts = now;
        rs_emit_commit(out, &c->h);
        m->phase = m->cmd_ok ? Q_BLOBS : Q_ALARM;
        return 1;
    }
    case Q_ALARM: {
        rs_ev_alarm *a = (rs_ev_alarm *)rs_emit_claim(out, RS_EV_ALARM, sizeof *a);
        if (!a)
            return 0;
        memset((uint8_t *)a + sizeof(rs_rec), 0, sizeof *a - sizeof(rs_rec));
        a->code = RS_MRELOAD_ALARM_REFUSED;
        snprintf(a->text, sizeof a->text, "%s", m->alarm);
        a->h.ts = now;
        rs_emit_commit(out, &a->h);
        m->phase = m->st.in_flight ? Q_WAIT_APPLY : Q_NONE;
        return 1;
    }
    case Q_BLOBS: {
        if (m->cur_f == m->nf) {
            m->phase = Q_SWAP;
            return emit_one(m, out, now);
        }
        jfile *f = &m->f[m->cur_f];
        uint64_t left = f->size - m->cur_off;
        uint32_t n = left > m->chunk ? m->chunk : (uint32_t)left;
        rs_ev_blob *b = (rs_ev_blob *)rs_emit_claim(out, RS_EV_BLOB, (uint32_t)sizeof *b + n);
        if (!b)
            return 0;
        memset((uint8_t *)b + sizeof(rs_rec), 0, sizeof *b - sizeof(rs_rec));
        memcpy(b->sha256, f->sha, 32);
        b->size = f->size;
        b->offset = m->cur_off;
        b->kind = f->kind;
        b->chunk_len = n;
        snprintf(b->name, sizeof b->name, "%s", f->name);
        memcpy(b->data, f->data + m->cur_off, n);
        b->h.ts = now;
        rs_emit_commit(out, &b->h);
        m->cur_off += n;
        if (m->cur_off == f->size) {
            m->cur_f++;
            m->cur_off = 0;
        }
        return 1;
    }
    case Q_SWAP: {
        rs_ev_model_swap *s = (rs_ev_model_swap *)rs_emit_claim(out, RS_EV_MODEL_SWAP, sizeof *s);
        if (!s)
            return 0;
        memset((uint8_t *)s + sizeof(rs_rec), 0, sizeof *s - sizeof(rs_rec));
        memcpy(s->old_sha256, m->old_sha, 32);
        memcpy(s->new_sha256, m->new_sha, 32);
        snprintf(s->path, sizeof s->path, "%s", m->cmd_rec.arg);
        s->h.ts = now;
        rs_emit_commit(out, &s->h);
        drop_files(m);
        m->phase = Q_WAIT_APPLY;
        return 1;
    }
    default:
        return 0;
    }
}

int rs_mreload_poll(rs_mreload *m, rs_emit *ctl_model, int64_t now_ns)
{
    if (m->queued && (m->phase == Q_NONE || m->phase == Q_WAIT_APPLY))
        take_command(m);
    int n = 0;
    while (ctl_model && m->phase != Q_NONE && m->phase != Q_WAIT_APPLY && emit_one(m, ctl_model, now_ns))
        n++;
    /* the stage parks the old ensemble when it applies the swap: that is the
     * moment the swap is done, and the only time the old one may be freed */
    rs_ensemble *old = rs_model_stage_reclaim(m->p->model);
    if (old) {
        rs_ensemble_destroy(old);
        m->st.swaps++;
        m->st.in_flight = false;
        memcpy(m->st.active_sha256, m->new_sha, 32);
        m->cur_desc = m->next_desc;
        if (m->phase == Q_WAIT_APPLY)
            m->phase = Q_NONE;
        char oh[65], nh[65];
        rs_sha256_hex(m->old_sha, oh);
        rs_sha256_hex(m->new_sha, nh);
        rs_info("model", "model swapped: %.16s -> %.16s (old ensemble freed)", oh, nh);
    }
    return n;
}

/* ---- replay ---------------------------------------------------------------------- */

typedef struct rfile {
    uint8_t sha[32];
    uint32_t kind;
    uint8_t *data;
    uint64_t size, have;
} rfile;

struct rs_mswap_replay {
    char dir[512];
    rfile cur;                 /* file being reassembled */
    char last_desc[600];       /* path of the last complete ensemble description */
    uint64_t offered, missing;
};

int rs_mswap_replay_create(rs_mswap_replay **out, const char *dir)
{
    rs_mswap_replay *r = calloc(1, sizeof *r);
    if (!r)
        return -ENOMEM;
    const char *base = dir ? dir : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    snprintf(r->dir, sizeof r->dir, "%s/swap-XXXXXX", base);
    if (!mkdtemp(r->dir)) {
        int e = errno;
        free(r);
        return rs_err_set(e, "replay: cannot create a directory under %s: %s", base, strerror(e));
    }
    *out = r;
    return 0;
}

void rs_mswap_replay_destroy(rs_mswap_replay *r)
{
    if (!r)
        return;
    free(r->cur.data);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", r->dir);
    if (r->dir[0] == '/' && system(cmd) != 0)
        fprintf(stderr, "ringside replay: could not remove %s\n", r->dir);
    free(r);
}

static void on_blob(rs_mswap_replay *r, const rs_ev_blob *b)
{
    if (b->h.len < sizeof *b || b->chunk_len != b->h.len - sizeof *b || b->offset + b->chunk_len > b->size ||
        b->size > (1ull << 30))
        return;
    rfile *f = &r->cur;
    if (b->offset == 0) {
        free(f->data);
        memset(f, 0, sizeof *f);
        if (!(f->data = malloc(b->size ? b->size : 1)))
            return;
        memcpy(f->sha, b->sha256, 32);
        f->size = b->size;
        f->kind = b->kind;
    }
    if (!f->data || memcmp(f->sha, b->sha256, 32) || b->offset != f->have)
        return;   /* a chunk out of order: the file stays incomplete */
    memcpy(f->data + f->have, b->data, b->chunk_len);
    f->have += b->chunk_len;
    if (f->have != f->size)
        return;
    uint8_t sha[32];
    rs_sha256(f->data, f->size, sha);
    char hex[65], path[600];
    rs_sha256_hex(f->sha, hex);
    if (memcmp(sha, f->sha, 32)) {
        fprintf(stderr, "ringside replay: journaled file %s (%.96s) does not match its hash\n", hex, b->name);
    } else {
        snprintf(path, sizeof path, "%s/%s%s", r->dir, hex, f->kind == RS_JBLOB_ENSEMBLE ? ".ensemble.json" : "");
        if (write_file(path, f->data, f->size) == 0 && f->kind == RS_JBLOB_ENSEMBLE)
            snprintf(r->last_desc, sizeof r->last_desc, "%s", path);
        else if (f->kind == RS_JBLOB_ENSEMBLE)
            fprintf(stderr, "ringside replay: %s\n", rs_err_msg());
    }
    free(f->data);
    memset(f, 0, sizeof *f);
}

void rs_mswap_replay_before(rs_mswap_replay *r, rs_model_stage *st, const rs_pipeline *p, const rs_rec *in)
{
    if (in->type == RS_EV_BLOB) {
        on_blob(r, (const rs_ev_blob *)in);
        return;
    }
    if (in->type != RS_EV_MODEL_SWAP || in->len < sizeof(rs_ev_model_swap))
        return;
    const rs_ev_model_swap *s = (const rs_ev_model_swap *)in;
    char nh[65];
    rs_sha256_hex(s->new_sha256, nh);
    rs_mdesc d;
    rs_ensemble *e = NULL;
    if (!r->last_desc[0]) {
        fprintf(stderr, "ringside replay: model swap to %.16s: the journal holds no ensemble description before it\n",
                nh);
    } else if (rs_mdesc_load_manifest(&d, r->last_desc) || rs_mdesc_load(&e, &d, p)) {
        fprintf(stderr, "ringside replay: model swap to %.16s: %s\n", nh, rs_err_msg());
    } else if (memcmp(rs_ensemble_sha256(e), s->new_sha256, 32)) {
        fprintf(stderr, "ringside replay: model swap to %.16s: the journaled ensemble has another hash\n", nh);
    } else if (rs_model_stage_offer(st, e) == 0) {
        r->offered++;
        r->last_desc[0] = 0;
        return;
    }
    rs_ensemble_destroy(e);
    r->missing++;
}

void rs_mswap_replay_after(rs_mswap_replay *r, rs_model_stage *st)
{
    (void)r;
    rs_ensemble_destroy(rs_model_stage_reclaim(st));
}
