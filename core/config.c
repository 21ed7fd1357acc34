/* core/config.c -- load and validate config.yml.
 *
 * Two parsers read the file, on purpose:
 *  1. libyaml's document API builds a node tree with line numbers. We walk it
 *     against the libcyaml schema (rs_cfg_schema) and check every key, type
 *     and range ourselves, because libcyaml 1.3 reports problems only through
 *     its log callback, without our key paths, and is lenient where we must
 *     not be (any unknown word is a true bool, "12abc" is 12, "-1" is a huge
 *     unsigned, "010" is octal 8, NaN is a float). The walk also records the
 *     line of every key so later cross-field checks can name a line.
 *  2. libcyaml then loads the (now known-good) bytes into the struct, and a
 *     second walk fills every absent key from the defaults.
 * Cross-field rules (each stage on one thread, MACD fast < slow, tick exact
 * at px_exp, ...) run last, on the typed struct. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "config_internal.h"
#include "ringside/file.h"
#include "ringside/lat_table.h"
#include "ringside/log.h"
#include "ringside/mem.h"
#include "ringside/risk.h"

#define RS_CFG_FILE_MAX (4u << 20)   /* a config larger than this is a mistake */
#define KEYPATH_MAX 192

static_assert(sizeof(((rs_cfg_instrument *)0)->min_qty) == sizeof(((rs_cfg_instrument *)0)->lot), "copied");
static_assert(sizeof(((rs_cfg_features *)0)->ref_symbol) == sizeof(((rs_cfg_instrument *)0)->symbol), "copied");

typedef struct lm_ent {
    char path[KEYPATH_MAX];
    int line;
} lm_ent;

typedef struct vctx {
    const char *name;
    yaml_document_t *doc;
    FILE *errs;
    int nerr, nwarn;
    char first[1024];
    lm_ent *lm;
    size_t lm_n, lm_cap;
} vctx;

/* ---- reporting ------------------------------------------------------------------ */

static void vreport(vctx *c, bool warn, int line, const char *path, const char *fmt, va_list ap)
{
    char msg[768];
    vsnprintf(msg, sizeof msg, fmt, ap);
    char full[1024];
    if (path && *path)
        snprintf(full, sizeof full, "%s:%d: %s: %s%s", c->name, line, path, warn ? "warning: " : "", msg);
    else
        snprintf(full, sizeof full, "%s:%d: %s%s", c->name, line, warn ? "warning: " : "", msg);
    if (warn) {
        c->nwarn++;
        if (c->errs)
            fprintf(c->errs, "%s\n", full);
        else
            rs_warn("config", "%s", full);
        return;
    }
    if (c->nerr++ == 0)
        snprintf(c->first, sizeof c->first, "%s", full);
    if (c->errs)
        fprintf(c->errs, "%s\n", full);
}

static void RS_PRINTF(4, 5) verr(vctx *c, int line, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, false, line, path, fmt, ap);
    va_end(ap);
}

/* ---- key path -> line ------------------------------------------------------------- */

static void lm_add(vctx *c, const char *path, int line)
{
    if (c->lm_n == c->lm_cap)
        return;   /* capacity is the document's node count: cannot happen */
    snprintf(c->lm[c->lm_n].path, KEYPATH_MAX, "%s", path);
    c->lm[c->lm_n].line = line;
    c->lm_n++;
}

/* Line of `path`, or of its nearest present ancestor (a default value has no
 * line of its own: the section that left it out is the closest place). */
static int lm_line(const vctx *c, const char *path)
{
    char p[KEYPATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (;;) {
        for (size_t i = 0; i < c->lm_n; i++)
            if (!strcmp(c->lm[i].path, p))
                return c->lm[i].line;
        char *dot = strrchr(p, '.'), *br = strrchr(p, '[');
        char *cut = dot > br ? dot : br;
        if (!cut)
            return 1;
        *cut = '\0';
    }
}

static void RS_PRINTF(3, 4) perr(vctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, false, lm_line(c, path), path, fmt, ap);
    va_end(ap);
}

static void RS_PRINTF(3, 4) pwarn(vctx *c, const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(c, true, lm_line(c, path), path, fmt, ap);
    va_end(ap);
}

/* "a.b[3].c" -> "a.b[].c" (the form the metadata table uses). */
static void norm_path(const char *in, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; in[i] && o + 1 < cap; i++) {
        out[o++] = in[i];
        if (in[i] == '[') {
            while (in[i + 1] && in[i + 1] != ']')
                i++;
        }
    }
    out[o] = '\0';
}

/* ---- scalar parsing (strict) --------------------------------------------------------- */

static int node_line(const yaml_node_t *n) { return (int)n->start_mark.line + 1; }

static const char *node_kind(const yaml_node_t *n)
{
    switch (n->type) {
    case YAML_MAPPING_NODE: return "a mapping";
    case YAML_SEQUENCE_NODE: return "a list";
    case YAML_SCALAR_NODE: return n->data.scalar.length ? "a scalar" : "an empty value";
    default: return "nothing";
    }
}

static const char *type_word(const cyaml_schema_value_t *v)
{
    switch (v->type) {
    case CYAML_INT: return "an integer";
    case CYAML_UINT: return "a non-negative integer";
    case CYAML_BOOL: return "a boolean (true/false)";
    case CYAML_ENUM: return "one of its keywords";
    case CYAML_FLAGS: return "a list";
    case CYAML_FLOAT: return "a number";
    case CYAML_STRING: return "a string";
    case CYAML_MAPPING: return "a mapping";
    case CYAML_SEQUENCE: return "a list";
    default: return "a value";
    }
}

/* Decimal integer, optional sign, no leading zeros (libcyaml would read "010"
 * as octal), whole string. Returns NULL or the reason. */
static const char *parse_int(const char *s, bool is_signed, uint32_t size, int64_t *io, uint64_t *uo)
{
    const char *p = s;
    bool neg = false;
    if (*p == '+' || *p == '-') {
        neg = *p == '-';
        p++;
    }
    if (!*p)
        return "expected an integer";
    for (const char *q = p; *q; q++)
        if (!isdigit((unsigned char)*q))
            return is_signed ? "expected an integer" : "expected a non-negative integer";
    if (p[0] == '0' && p[1])
        return "leading zeros are not allowed (they would read as octal)";
    errno = 0;
    unsigned long long u = strtoull(p, NULL, 10);
    bool big = errno == ERANGE;
    if (!is_signed) {
        if (neg && u != 0)
            return "must be >= 0";
        uint64_t max = size >= 8 ? UINT64_MAX : ((1ull << (size * 8)) - 1);
        if (big || u > max)
            return "out of range for its type";
        *uo = u;
        return NULL;
    }
    int64_t max = size >= 8 ? INT64_MAX : (int64_t)((1ull << (size * 8 - 1)) - 1);
    if (big || u > (uint64_t)max + (neg ? 1u : 0u))
        return "out of range for its type";
    *io = neg ? (int64_t)(0 - u) : (int64_t)u;
    return NULL;
}

static bool is_nonfinite_word(const char *s)
{
    if (*s == '+' || *s == '-')
        s++;
    if (*s == '.')
        s++;
    return !strcasecmp(s, "nan") || !strcasecmp(s, "inf") || !strcasecmp(s, "infinity");
}

static const char *parse_float(const char *s, double *out)
{
    if (!*s)
        return "expected a number";
    if (is_nonfinite_word(s))
        return "must be finite";
    for (const char *q = s; *q; q++)
        if (!strchr("0123456789+-.eE", *q))
            return "expected a number";
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end)
        return "expected a number";
    if (!isfinite(d))
        return "must be finite";
    if (errno == ERANGE)
        return "out of range (too close to zero)";
    *out = d;
    return NULL;
}

static const char *parse_bool(const char *s, bool *out)
{
    static const char *const t[] = {"true", "yes", "on", "1"}, *const f[] = {"false", "no", "off", "0"};
    for (size_t i = 0; i < 4; i++) {
        if (!strcasecmp(s, t[i])) {
            *out = true;
            return NULL;
        }
        if (!strcasecmp(s, f[i])) {
            *out = false;
            return NULL;
        }
    }
    return "expected a boolean (true or false)";
}

static void fmt_num(char *b, size_t cap, double v) { snprintf(b, cap, "%.15g", v); }

/* Range check against the key's metadata; returns false (and reports) when
 * out of range. */
static bool check_range(vctx *c, int line, const char *path, double v, bool integral, uint64_t u)
{
    char np[KEYPATH_MAX];
    norm_path(path, np, sizeof np);
    const rs_cfg_meta *m = rs_cfg_meta_find(np);
    if (!m)
        return true;
    char a[40], b[40];
    fmt_num(a, sizeof a, m->min);
    fmt_num(b, sizeof b, m->max);
    bool lo_ok = !(m->flags & RS_M_MIN) || ((m->flags & RS_M_XMIN) ? v > m->min : v >= m->min);
    bool hi_ok = !(m->flags & RS_M_MAX) || ((m->flags & RS_M_XMAX) ? v < m->max : v <= m->max);
    if (!lo_ok || !hi_ok) {
        if ((m->flags & (RS_M_MIN | RS_M_MAX)) == (RS_M_MIN | RS_M_MAX))
            verr(c, line, path, "must be %s %s and %s %s (got %.17g)", (m->flags & RS_M_XMIN) ? ">" : ">=", a,
                 (m->flags & RS_M_XMAX) ? "<" : "<=", b, v);
        else if (!lo_ok)
            verr(c, line, path, "must be %s %s (got %.17g)", (m->flags & RS_M_XMIN) ? ">" : ">=", a, v);
        else
            verr(c, line, path, "must be %s %s (got %.17g)", (m->flags & RS_M_XMAX) ? "<" : "<=", b, v);
        return false;
    }
    if ((m->flags & RS_M_POW2) && integral && (u == 0 || (u & (u - 1)) != 0)) {
        verr(c, line, path, "must be a power of two (got %llu)", (unsigned long long)u);
        return false;
    }
    return true;
}

/* ---- the schema walk ------------------------------------------------------------------------ */

static const char *const secret_words[] = {"api_key", "apikey", "api_secret", "secret", "secret_key", "private_key",
                                           "password", "passphrase", "token", "key"};

static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40)
        return 99;
    int d[41][41];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int x = d[i - 1][j] + 1, y = d[i][j - 1] + 1, z = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            d[i][j] = x < y ? (x < z ? x : z) : (y < z ? y : z);
        }
    return d[la][lb];
}

static void walk(vctx *c, const cyaml_schema_value_t *v, yaml_node_t *n, char *path, size_t plen);

static void walk_mapping(vctx *c, const cyaml_schema_value_t *v, yaml_node_t *n, char *path, size_t plen)
{
    if (n->type != YAML_MAPPING_NODE) {
        verr(c, node_line(n), path, "expected a mapping (key: value lines), got %s", node_kind(n));
        return;
    }
    const cyaml_schema_field_t *fields = v->mapping.fields;
    size_t nf = 0;
    while (fields[nf].key)
        nf++;
    int seen[64] = {0};
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(c->doc, pr->key);
        yaml_node_t *val = yaml_document_get_node(c->doc, pr->value);
        if (!k || !val)
            continue;
        if (k->type != YAML_SCALAR_NODE) {
            verr(c, node_line(k), path, "keys must be plain words, got %s", node_kind(k));
            continue;
        }
        const char *key = (const char *)k->data.scalar.value;
        size_t l = plen;
        if (plen)
            l += (size_t)snprintf(path + plen, KEYPATH_MAX - plen, ".%s", key);
        else
            l = (size_t)snprintf(path, KEYPATH_MAX, "%s", key);
        if (l >= KEYPATH_MAX)
            l = KEYPATH_MAX - 1;
        size_t fi = 0;
        while (fi < nf && strcmp(fields[fi].key, key))
            fi++;
        if (fi == nf) {
            bool secret = false;
            for (size_t i = 0; i < RS_ARRAY_LEN(secret_words); i++)
                secret |= !strcasecmp(key, secret_words[i]);
            if (secret) {
                verr(c, node_line(k), path, "secrets never belong in the config file: put them in a 0600 file "
                     "(exec.secrets.file) or the environment (exec.secrets.key_env and the secret variables)");
            } else {
                const char *best = NULL;
                int bd = 3;
                for (size_t i = 0; i < nf; i++) {
                    int d = edit_distance(key, fields[i].key);
                    if (d < bd) {
                        bd = d;
                        best = fields[i].key;
                    }
                }
                if (best)
                    verr(c, node_line(k), path, "unknown key (did you mean '%s'?)", best);
                else
                    verr(c, node_line(k), path, "unknown key");
            }
            path[plen] = '\0';
            continue;
        }
        if (fi < 64 && seen[fi]) {
            verr(c, node_line(k), path, "duplicate key (first given on line %d)", seen[fi]);
            path[plen] = '\0';
            continue;
        }
        if (fi < 64)
            seen[fi] = node_line(k);
        lm_add(c, path, node_line(k));
        walk(c, &fields[fi].value, val, path, l);
        path[plen] = '\0';
    }
    for (size_t fi = 0; fi < nf; fi++) {
        if (fi < 64 && seen[fi])
            continue;
        if (fields[fi].value.flags & CYAML_FLAG_OPTIONAL)
            continue;
        if (plen)
            snprintf(path + plen, KEYPATH_MAX - plen, ".%s", fields[fi].key);
        else
            snprintf(path, KEYPATH_MAX, "%s", fields[fi].key);
        /* the line of the section's own key: the block mapping's start
         * mark is not reliably on it */
        char parent[KEYPATH_MAX];
        snprintf(parent, sizeof parent, "%.*s", (int)plen, path);
        verr(c, plen ? lm_line(c, parent) : node_line(n), path, "missing required key");
        path[plen] = '\0';
    }
}

static void walk_scalar(vctx *c, const cyaml_schema_value_t *v, yaml_node_t *n, const char *path)
{
    int line = node_line(n);
    if (n->type != YAML_SCALAR_NODE) {
        verr(c, line, path, "expected %s, got %s", type_word(v), node_kind(n));
        return;
    }
    const char *s = (const char *)n->data.scalar.value;
    if (strlen(s) != n->data.scalar.length) {
        verr(c, line, path, "contains a NUL character");
        return;
    }
    bool plain = n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (plain && v->type != CYAML_STRING && !*s) {
        verr(c, line, path, "missing value (expected %s)", type_word(v));
        return;
    }
    if (plain && (!strcmp(s, "~") || !strcasecmp(s, "null"))) {
        verr(c, line, path, "null is not allowed here (expected %s%s)", type_word(v),
             v->type == CYAML_STRING ? "; write \"\" for empty" : "");
        return;
    }
    const char *why = NULL;
    switch (v->type) {
    case CYAML_INT: {
        int64_t i = 0;
        uint64_t u = 0;
        why = parse_int(s, true, v->data_size, &i, &u);
        if (!why)
            check_range(c, line, path, (double)i, true, (uint64_t)i);
        break;
    }
    case CYAML_UINT: {
        int64_t i = 0;
        uint64_t u = 0;
        why = parse_int(s, false, v->data_size, &i, &u);
        if (!why)
            check_range(c, line, path, (double)u, true, u);
        break;
    }
    case CYAML_FLOAT: {
        double d = 0;
        why = parse_float(s, &d);
        if (!why)
            check_range(c, line, path, d, false, 0);
        break;
    }
    case CYAML_BOOL: {
        bool b;
        why = parse_bool(s, &b);
        break;
    }
    case CYAML_ENUM: {
        for (uint32_t i = 0; i < v->enumeration.count; i++)
            if (!strcmp(s, v->enumeration.strings[i].str))
                return;
        char list[256] = "";
        size_t o = 0;
        for (uint32_t i = 0; i < v->enumeration.count && o < sizeof list; i++)
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", v->enumeration.strings[i].str);
        if (!(v->flags & CYAML_FLAG_STRICT)) {
            /* keyword or number (CPU choice) */
            int64_t i = 0;
            uint64_t u = 0;
            if (!parse_int(s, true, v->data_size, &i, &u)) {
                char np[KEYPATH_MAX];
                norm_path(path, np, sizeof np);
                const rs_cfg_meta *m = rs_cfg_meta_find(np);
                if (m && (i < (int64_t)m->min || i > (int64_t)m->max))
                    verr(c, line, path, "must be %s, or a number between %.0f and %.0f (got %s)", list, m->min,
                         m->max, s);
                return;
            }
            verr(c, line, path, "must be %s, or a number (got '%s')", list, s);
            return;
        }
        verr(c, line, path, "must be one of: %s (got '%s')", list, s);
        return;
    }
    case CYAML_STRING: {
        size_t len = strlen(s);
        if (len < v->string.min)
            why = "must not be empty";
        else if (len > v->string.max) {
            verr(c, line, path, "longer than %u bytes", (unsigned)v->string.max);
            return;
        }
        break;
    }
    default:
        why = "unsupported schema type";
        break;
    }
    if (why) {
        if (!strcmp(why, "must be finite") || !strncmp(why, "must", 4) || !strncmp(why, "out of", 6) ||
            !strncmp(why, "leading", 7))
            verr(c, line, path, "%s (got '%s')", why, s);
        else
            verr(c, line, path, "%s, got '%s'", why, s);
    }
}

static void walk(vctx *c, const cyaml_schema_value_t *v, yaml_node_t *n, char *path, size_t plen)
{
    switch (v->type) {
    case CYAML_MAPPING:
        walk_mapping(c, v, n, path, plen);
        return;
    case CYAML_SEQUENCE:
    case CYAML_SEQUENCE_FIXED: {
        if (n->type != YAML_SEQUENCE_NODE) {
            verr(c, node_line(n), path, "expected a list, got %s", node_kind(n));
            return;
        }
        size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
        if (cnt < v->sequence.min) {
            verr(c, node_line(n), path, "needs at least %u entr%s (got %zu)", (unsigned)v->sequence.min,
                 v->sequence.min == 1 ? "y" : "ies", cnt);
            return;
        }
        if (cnt > v->sequence.max) {
            verr(c, node_line(n), path, "at most %u entries allowed (got %zu)", (unsigned)v->sequence.max, cnt);
            return;
        }
        size_t i = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++, i++) {
            yaml_node_t *e = yaml_document_get_node(c->doc, *it);
            if (!e)
                continue;
            size_t l = plen + (size_t)snprintf(path + plen, KEYPATH_MAX - plen, "[%zu]", i);
            if (l >= KEYPATH_MAX)
                l = KEYPATH_MAX - 1;
            lm_add(c, path, node_line(e));
            walk(c, v->sequence.entry, e, path, l);
            path[plen] = '\0';
        }
        return;
    }
    case CYAML_FLAGS: {
        if (n->type != YAML_SEQUENCE_NODE) {
            verr(c, node_line(n), path, "expected a list such as [%s, %s], got %s", v->enumeration.strings[0].str,
                 v->enumeration.strings[1].str, node_kind(n));
            return;
        }
        uint64_t seen = 0;
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            yaml_node_t *e = yaml_document_get_node(c->doc, *it);
            if (!e)
                continue;
            if (e->type != YAML_SCALAR_NODE) {
                verr(c, node_line(e), path, "list entries must be words, got %s", node_kind(e));
                continue;
            }
            const char *s = (const char *)e->data.scalar.value;
            uint32_t i = 0;
            while (i < v->enumeration.count && strcmp(s, v->enumeration.strings[i].str))
                i++;
            if (i == v->enumeration.count) {
                char list[256] = "";
                size_t o = 0;
                for (uint32_t j = 0; j < v->enumeration.count && o < sizeof list; j++)
                    o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", j ? ", " : "",
                                          v->enumeration.strings[j].str);
                verr(c, node_line(e), path, "'%s' is not one of: %s", s, list);
            } else if (seen & (1ull << i)) {
                verr(c, node_line(e), path, "'%s' listed twice", s);
            } else {
                seen |= 1ull << i;
            }
        }
        return;
    }
    default:
        walk_scalar(c, v, n, path);
        return;
    }
}

/* ---- defaults for absent keys ---------------------------------------------------------------- */

static yaml_node_t *map_get(yaml_document_t *doc, yaml_node_t *n, const char *key)
{
    if (!n || n->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(doc, pr->key);
        if (k && k->type == YAML_SCALAR_NODE && !strcmp((const char *)k->data.scalar.value, key))
            return yaml_document_get_node(doc, pr->value);
    }
    return NULL;
}

static uint32_t field_bytes(const cyaml_schema_field_t *f)
{
    if (f->value.type == CYAML_SEQUENCE || f->value.type == CYAML_SEQUENCE_FIXED)
        return f->value.sequence.entry->data_size * f->value.sequence.max;
    return f->value.data_size;
}

static void apply_defaults(yaml_document_t *doc, const cyaml_schema_value_t *v, yaml_node_t *n, uint8_t *data,
                           const uint8_t *def)
{
    for (const cyaml_schema_field_t *f = v->mapping.fields; f->key; f++) {
        yaml_node_t *child = map_get(doc, n, f->key);
        uint8_t *d = data + f->data_offset;
        const uint8_t *dd = def ? def + f->data_offset : NULL;
        if (!child) {
            if (dd) {
                memcpy(d, dd, field_bytes(f));
                if (f->value.type == CYAML_SEQUENCE)
                    memcpy(data + f->count_offset, def + f->count_offset, f->count_size);
            }
            continue;
        }
        if (f->value.type == CYAML_MAPPING) {
            apply_defaults(doc, &f->value, child, d, dd);
        } else if (f->value.type == CYAML_SEQUENCE && f->value.sequence.entry->type == CYAML_MAPPING &&
                   child->type == YAML_SEQUENCE_NODE) {
            const cyaml_schema_value_t *e = f->value.sequence.entry;
            const uint8_t *ed = rs_cfg_entry_default(e);
            size_t i = 0;
            for (yaml_node_item_t *it = child->data.sequence.items.start; it < child->data.sequence.items.top;
                 it++, i++)
                apply_defaults(doc, e, yaml_document_get_node(doc, *it), d + i * e->data_size, ed);
        }
    }
}

/* ---- libcyaml glue ---------------------------------------------------------------------------- */

typedef struct cylog {
    char buf[1024];
    size_t n;
} cylog;

static void cy_log(cyaml_log_t level, void *ctx, const char *fmt, va_list args)
{
    cylog *l = ctx;
    if (level < CYAML_LOG_ERROR || l->n >= sizeof l->buf - 1)
        return;
    int w = vsnprintf(l->buf + l->n, sizeof l->buf - l->n, fmt, args);
    if (w > 0)
        l->n = l->n + (size_t)w < sizeof l->buf ? l->n + (size_t)w : sizeof l->buf - 1;
}

/* ---- derived values and cross-field rules ---------------------------------------------------- */

/* Exact decimal string -> fixed point at `exp` decimals. */
static const char *parse_decimal(const char *s, unsigned exp, int64_t *out)
{
    const char *p = s;
    if (!*p)
        return "must not be empty";
    if (*p == '-' )
        return "must be > 0";
    if (*p == '+')
        p++;
    int64_t v = 0;
    int frac = -1;
    bool digits = false;
    for (; *p; p++) {
        if (*p == '.') {
            if (frac >= 0)
                return "is not a decimal number";
            frac = 0;
            continue;
        }
        if (!isdigit((unsigned char)*p))
            return "is not a plain decimal number (digits and one '.')";
        digits = true;
        if (frac >= 0) {
            if ((unsigned)frac == exp) {
                if (*p != '0')
                    return "has more decimals than the exponent allows";
                continue;
            }
            frac++;
        }
        if (v > (INT64_MAX - 9) / 10)
            return "is too large";
        v = v * 10 + (*p - '0');
    }
    if (!digits)
        return "is not a decimal number";
    for (int f = frac < 0 ? 0 : frac; (unsigned)f < exp; f++) {
        if (v > INT64_MAX / 10)
            return "is too large";
        v *= 10;
    }
    if (v <= 0)
        return "must be > 0";
    *out = v;
    return NULL;
}

/* Parse a URL; schemes a/b are the plain/TLS spellings allowed. */
static const char *parse_url(const char *s, const char *plain, const char *secure, rs_cfg_url *u)
{
    memset(u, 0, sizeof *u);
    const char *sep = strstr(s, "://");
    if (!sep)
        return "is not a URL (scheme://host[:port][/path])";
    size_t sl = (size_t)(sep - s);
    if (sl == strlen(secure) && !strncmp(s, secure, sl))
        u->tls = true;
    else if (!(sl == strlen(plain) && !strncmp(s, plain, sl)))
        return secure[0] == 'w' ? "scheme must be wss:// or ws://" : "scheme must be https:// or http://";
    const char *h = sep + 3, *he, *rest;
    if (*h == '[') {
        he = strchr(h, ']');
        if (!he)
            return "has an unterminated [IPv6] host";
        h++;
        rest = he + 1;
    } else {
        he = h + strcspn(h, ":/?");
        rest = he;
    }
    size_t hl = (size_t)(he - h);
    if (hl == 0 || hl >= sizeof u->host)
        return "has no host";
    memcpy(u->host, h, hl);
    u->port = u->tls ? 443 : 80;
    if (*rest == ':') {
        char *end;
        errno = 0;
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535 || (*end && *end != '/' && *end != '?'))
            return "has an invalid port (1..65535)";
        u->port = (uint16_t)port;
        rest = end;
    }
    snprintf(u->path, sizeof u->path, "%s%s", *rest == '/' ? "" : "/", rest);
    u->set = true;
    return NULL;
}

static bool is_env_name(const char *s)
{
    if (!*s || isdigit((unsigned char)*s))
        return false;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_')
            return false;
    return true;
}

static void check_url(vctx *c, const char *path, const char *s, const char *plain, const char *secure, rs_cfg_url *u)
{
    const char *why = parse_url(s, plain, secure, u);
    if (why)
        perr(c, path, "'%s' %s", s, why);
}

static void check_tls(vctx *c, const char *sect, const rs_cfg_tls *t, const rs_cfg_url *u)
{
    char p[KEYPATH_MAX];
    if (!t->system_ca && !t->ca_file[0]) {
        snprintf(p, sizeof p, "%s.tls.system_ca", sect);
        perr(c, p, "false needs %s.tls.ca_file: nothing would be trusted", sect);
    }
    if (!t->verify) {
        snprintf(p, sizeof p, "%s.tls.verify", sect);
        pwarn(c, p, "certificate verification is OFF: anyone on the path can impersonate the venue");
    }
    if (u->set && !u->tls) {
        snprintf(p, sizeof p, "%s", sect);
        pwarn(c, p, "plain (unencrypted) connection to %s", u->host);
    }
}

static void check_periods(vctx *c, const char *path, const uint32_t *v, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        for (uint32_t j = 0; j < i; j++)
            if (v[i] == v[j]) {
                char p[KEYPATH_MAX];
                snprintf(p, sizeof p, "%s[%u]", path, i);
                perr(c, p, "duplicate period %u (already at index %u)", v[i], j);
            }
}

static void cross_check(vctx *c, rs_config *cfg)
{
    char p[KEYPATH_MAX];

    for (const char *s = cfg->instance; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') {
            perr(c, "instance", "'%s': only letters, digits, '_' and '-' are allowed", cfg->instance);
            break;
        }

    /* engine: every stage on exactly one thread */
    rs_cfg_engine *e = &cfg->engine;
    uint32_t owner[5] = {0}, have = 0;
    for (uint32_t t = 0; t < e->threads_count; t++) {
        rs_cfg_thread *th = &e->threads[t];
        if (!th->name[0])
            snprintf(th->name, sizeof th->name, "t%u", t);
        snprintf(p, sizeof p, "engine.threads[%u].stages", t);
        if (!th->stages)
            perr(c, p, "must list at least one stage");
        for (uint32_t b = 0; b < 5; b++) {
            if (!(th->stages & (1u << b)))
                continue;
            if (have & (1u << b))
                perr(c, p, "stage '%s' is already run by engine.threads[%u]", rs_config_stage_name(1u << b),
                     owner[b]);
            have |= 1u << b;
            owner[b] = t;
        }
        for (uint32_t u = 0; u < t; u++)
            if (!strcmp(e->threads[u].name, th->name)) {
                snprintf(p, sizeof p, "engine.threads[%u].name", t);
                perr(c, p, "duplicate thread name '%s'", th->name);
            }
        if (th->backoff_min_us > th->backoff_max_us) {
            snprintf(p, sizeof p, "engine.threads[%u].backoff_max_us", t);
            perr(c, p, "must be >= backoff_min_us (%u)", th->backoff_min_us);
        }
        if (th->idle == RS_IDLE_SPIN && th->cpu == RS_CPU_NONE) {
            snprintf(p, sizeof p, "engine.threads[%u].cpu", t);
            pwarn(c, p, "a spinning thread that is not pinned can share a core with another thread; "
                  "pin it (a CPU number or auto)");
        }
        for (uint32_t u = 0; u < t && th->cpu >= 0; u++)
            if (e->threads[u].cpu == th->cpu &&
                (th->idle == RS_IDLE_SPIN || e->threads[u].idle == RS_IDLE_SPIN)) {
                snprintf(p, sizeof p, "engine.threads[%u].cpu", t);
                pwarn(c, p, "a spinning thread shares CPU %d with engine.threads[%u]", th->cpu, u);
            }
    }
    for (uint32_t b = 0; b < 5; b++)
        if (!(have & (1u << b)))
            perr(c, "engine.threads", "stage '%s' is not run by any thread", rs_config_stage_name(1u << b));
    if (e->dead_peer_ms <= e->heartbeat_ms)
        perr(c, "engine.dead_peer_ms", "must be > engine.heartbeat_ms (%u)", e->heartbeat_ms);

    /* recorder */
    const rs_cfg_recorder *r = &cfg->recorder;
    if (!r->enabled)
        pwarn(c, "recorder.enabled", "no recorder: this session cannot be replayed");
    else if (!r->fsync_interval_ms && !r->fsync_bytes && !r->fsync_on_order)
        pwarn(c, "recorder", "no fsync policy: a power cut can lose everything the kernel had not written back");
    if (!r->journal_dir[0] && r->enabled)
        perr(c, "recorder.journal_dir", "must not be empty while the recorder is enabled");

    /* feed */
    rs_cfg_feed *f = &cfg->feed;
    check_url(c, "feed.url", f->url, "ws", "wss", &f->url_parsed);
    if (f->rest_url[0])
        check_url(c, "feed.rest_url", f->rest_url, "http", "https", &f->rest_url_parsed);
    check_tls(c, "feed", &f->tls, &f->url_parsed);
    if (!f->streams)
        perr(c, "feed.streams", "must list at least one stream");
    if (f->reconnect_min_ms > f->reconnect_max_ms)
        perr(c, "feed.reconnect_max_ms", "must be >= feed.reconnect_min_ms (%u)", f->reconnect_min_ms);
    if (f->lifetime_s && f->rotate_margin_s > f->lifetime_s / 2)
        perr(c, "feed.rotate_margin_s", "must be at most half of feed.lifetime_s (%u)", f->lifetime_s);
    if (f->stale_symbol_ms < f->timer_ms)
        perr(c, "feed.stale_symbol_ms", "must be >= feed.timer_ms (%u): staleness is checked on timer events",
             f->timer_ms);
    if (f->stale_conn_ms < f->timer_ms)
        perr(c, "feed.stale_conn_ms", "must be >= feed.timer_ms (%u): staleness is checked on timer events",
             f->timer_ms);

    /* instruments */
    for (uint32_t i = 0; i < cfg->instruments_count; i++) {
        rs_cfg_instrument *in = &cfg->instruments[i];
        snprintf(p, sizeof p, "instruments[%u].symbol", i);
        for (char *s = in->symbol; *s; s++) {
            if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') {
                perr(c, p, "'%s': only letters, digits, '_' and '-' are allowed", in->symbol);
                break;
            }
            *s = (char)toupper((unsigned char)*s);
        }
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(cfg->instruments[j].symbol, in->symbol))
                perr(c, p, "duplicate symbol %s (already instruments[%u])", in->symbol, j);
        const char *why;
        snprintf(p, sizeof p, "instruments[%u].tick", i);
        if ((why = parse_decimal(in->tick, in->px_exp, &in->tick_fp)))
            perr(c, p, "'%s' %s (px_exp %u)", in->tick, why, in->px_exp);
        snprintf(p, sizeof p, "instruments[%u].lot", i);
        if ((why = parse_decimal(in->lot, in->qty_exp, &in->lot_fp)))
            perr(c, p, "'%s' %s (qty_exp %u)", in->lot, why, in->qty_exp);
        if (!in->min_qty[0])
            memcpy(in->min_qty, in->lot, sizeof in->min_qty);   /* same size; NUL-terminated by the loader */
        snprintf(p, sizeof p, "instruments[%u].min_qty", i);
        if ((why = parse_decimal(in->min_qty, in->qty_exp, &in->min_qty_fp)))
            perr(c, p, "'%s' %s (qty_exp %u)", in->min_qty, why, in->qty_exp);
        else if (in->lot_fp > 0 && in->min_qty_fp % in->lot_fp)
            perr(c, p, "'%s' is not a multiple of lot '%s'", in->min_qty, in->lot);
    }

    /* features */
    rs_cfg_features *ft = &cfg->features;
    if (ft->bar_seconds && 86400 % ft->bar_seconds)
        perr(c, "features.bar_seconds", "must divide 86400 (bars align to UTC days; got %u)", ft->bar_seconds);
    if (ft->macd_fast >= ft->macd_slow)
        perr(c, "features.macd_fast", "must be < features.macd_slow (%u)", ft->macd_slow);
    /* the features stage refuses a grace of a whole bar at start-up; say so here, with the line */
    if (ft->bar_seconds && (uint64_t)ft->timer_grace_ms >= (uint64_t)ft->bar_seconds * 1000u)
        perr(c, "features.timer_grace_ms", "must be < features.bar_seconds (%u s = %u ms)", ft->bar_seconds,
             ft->bar_seconds * 1000u);
    check_periods(c, "features.ema_periods", ft->ema_periods, ft->ema_periods_count);
    check_periods(c, "features.sma_periods", ft->sma_periods, ft->sma_periods_count);
    check_periods(c, "features.rv_windows", ft->rv_windows, ft->rv_windows_count);
    check_periods(c, "features.momentum_horizons", ft->momentum_horizons, ft->momentum_horizons_count);
    if (ft->ref_symbol[0]) {
        for (char *s = ft->ref_symbol; *s; s++)
            *s = (char)toupper((unsigned char)*s);
        uint32_t i = 0;
        while (i < cfg->instruments_count && strcmp(cfg->instruments[i].symbol, ft->ref_symbol))
            i++;
        if (i == cfg->instruments_count)
            perr(c, "features.ref_symbol", "%s is not in instruments", ft->ref_symbol);
    } else if (cfg->instruments_count) {
        uint32_t pick = 0;
        for (uint32_t i = 0; i < cfg->instruments_count; i++)
            if (!strncmp(cfg->instruments[i].symbol, "BTC", 3)) {
                pick = i;
                break;
            }
        memcpy(ft->ref_symbol, cfg->instruments[pick].symbol, sizeof ft->ref_symbol);
    }

    /* model */
    rs_cfg_model *m = &cfg->model;
    double wsum = 0;
    for (uint32_t i = 0; i < m->models_count; i++) {
        rs_cfg_model_entry *me = &m->models[i];
        if (!me->name[0])
            snprintf(me->name, sizeof me->name, "h%u", me->horizon_bars);
        for (uint32_t j = 0; j < i; j++)
            if (!strcmp(m->models[j].name, me->name)) {
                snprintf(p, sizeof p, "model.models[%u].name", i);
                perr(c, p, "duplicate model name '%s' (name models with the same horizon)", me->name);
            }
        wsum += me->weight;
    }
    if (m->models_count && !(wsum > 0))
        perr(c, "model.models", "the weights must sum to more than 0");
    if (m->z_min_samples > m->z_window)
        perr(c, "model.z_min_samples", "must be <= model.z_window (%u)", m->z_window);

    /* risk */
    rs_cfg_risk *rk = &cfg->risk;
    if (rk->drawdown_recovery_pct >= rk->drawdown_limit_pct)
        perr(c, "risk.drawdown_recovery_pct", "must be < risk.drawdown_limit_pct (%g)", rk->drawdown_limit_pct);
    /* the rate limiter keeps one slot per order of the last minute (risk.h) */
    if (rk->max_orders_per_min > RS_RATE_CAP)
        perr(c, "risk.max_orders_per_min", "must be <= %u (the rate limiter's window)", RS_RATE_CAP);
    if (rk->drawdown_kill_pct > 0 && rk->drawdown_kill_pct <= rk->drawdown_limit_pct)
        perr(c, "risk.drawdown_kill_pct", "must be 0 (off) or > risk.drawdown_limit_pct (%g)", rk->drawdown_limit_pct);

    /* gate */
    const rs_cfg_gate *g = &cfg->gate;
    if (g->vote_min > g->vote_k)
        perr(c, "gate.vote_min", "must be <= gate.vote_k (%u)", g->vote_k);
    if (g->quantile_min_count > g->quantile_window)
        perr(c, "gate.quantile_min_count", "must be <= gate.quantile_window (%u)", g->quantile_window);

    /* exec */
    rs_cfg_exec *x = &cfg->exec;
    if (x->venue == RS_CFG_VENUE_OKX)
        perr(c, "exec.venue", "okx has no order adapter (market data only); use binance or binance_futures");
    if (x->ws_api_url[0])
        check_url(c, "exec.ws_api_url", x->ws_api_url, "ws", "wss", &x->ws_api_url_parsed);
    if (x->rest_url[0])
        check_url(c, "exec.rest_url", x->rest_url, "http", "https", &x->rest_url_parsed);
    if (x->mode == RS_EXEC_LIVE) {
        if (!x->ws_api_url[0])
            perr(c, "exec.ws_api_url", "required when exec.mode is live");
        if (!x->rest_url[0])
            perr(c, "exec.rest_url", "required when exec.mode is live (the reconciliation polling path)");
        check_tls(c, "exec", &x->tls, &x->ws_api_url_parsed);
        if (!x->secrets.file[0] && !x->secrets.key_env[0])
            perr(c, "exec.secrets", "live mode needs a secrets file or key_env (and a secret variable)");
    }
    if (x->secrets.key_env[0] && !is_env_name(x->secrets.key_env))
        perr(c, "exec.secrets.key_env", "'%s' is not an environment variable name", x->secrets.key_env);
    if (x->secrets.hmac_secret_env[0] && !is_env_name(x->secrets.hmac_secret_env))
        perr(c, "exec.secrets.hmac_secret_env", "'%s' is not an environment variable name", x->secrets.hmac_secret_env);
    if (x->secrets.ed25519_pem_env[0] && !is_env_name(x->secrets.ed25519_pem_env))
        perr(c, "exec.secrets.ed25519_pem_env", "'%s' is not an environment variable name", x->secrets.ed25519_pem_env);
    if ((x->sim.latency_model == RS_LAT_TABLE || x->sim.latency_model == RS_LAT_SEQUENCE) && !x->sim.latency_journal[0])
        perr(c, "exec.sim.latency_journal", "required when exec.sim.latency_model is table or sequence");
    if (x->sim.latency_min_us > x->sim.latency_max_us)
        perr(c, "exec.sim.latency_max_us", "must be >= exec.sim.latency_min_us (%g)", x->sim.latency_min_us);

    /* venue simulator */
    rs_cfg_venue_sim *vs = &cfg->venue_sim;
    char *colon = strrchr(vs->listen, ':');
    char *endp = NULL;
    long port = colon ? strtol(colon + 1, &endp, 10) : 0;
    if (!colon || colon == vs->listen || !endp || *endp || endp == colon + 1 || port < 1 || port > 65535) {
        perr(c, "venue_sim.listen", "'%s' must be host:port (port 1..65535)", vs->listen);
    } else {
        size_t hl = (size_t)(colon - vs->listen);
        const char *h = vs->listen;
        if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
            h++;
            hl -= 2;
        }
        snprintf(vs->listen_host, sizeof vs->listen_host, "%.*s", (int)hl, h);
        vs->listen_port = (uint16_t)port;
    }
    if (vs->surge_symbol[0]) {
        for (char *q = vs->surge_symbol; *q; q++)
            *q = (char)toupper((unsigned char)*q);
        uint32_t i = 0;
        while (i < cfg->instruments_count && strcmp(cfg->instruments[i].symbol, vs->surge_symbol))
            i++;
        if (i == cfg->instruments_count)
            perr(c, "venue_sim.surge_symbol", "%s is not in instruments", vs->surge_symbol);
    }
    if (vs->source == RS_SIMSRC_CSV && !vs->csv_dir[0])
        perr(c, "venue_sim.csv_dir", "required when venue_sim.source is csv");
}

static void check_file(vctx *c, const char *path, const char *file)
{
    if (!file[0])
        return;
    if (access(file, R_OK) != 0)
        perr(c, path, "%s: %s", file, strerror(errno));
}

static void check_files(vctx *c, const rs_config *cfg)
{
    char p[KEYPATH_MAX];
    for (uint32_t i = 0; i < cfg->model.models_count; i++) {
        snprintf(p, sizeof p, "model.models[%u].path", i);
        check_file(c, p, cfg->model.models[i].path);
        snprintf(p, sizeof p, "model.models[%u].calibration", i);
        check_file(c, p, cfg->model.models[i].calibration);
    }
    check_file(c, "feed.tls.ca_file", cfg->feed.tls.ca_file);
    check_file(c, "exec.tls.ca_file", cfg->exec.tls.ca_file);
    check_file(c, "exec.sim.latency_journal", cfg->exec.sim.latency_journal);
    const rs_cfg_sim *sim = &cfg->exec.sim;
    if (cfg->exec.mode == RS_EXEC_PAPER && (sim->latency_model == RS_LAT_TABLE || sim->latency_model == RS_LAT_SEQUENCE) &&
        sim->latency_journal[0] && access(sim->latency_journal, R_OK) == 0) {
        /* what `run` would refuse at start: no measurable latencies, a
         * corrupt journal, another schema */
        rs_lat_table *t = NULL;
        if (rs_lat_table_measure(&t, sim->latency_journal, sim->latency_model) != 0) {
            char why[1024];
            snprintf(why, sizeof why, "%s", rs_err_msg());
            perr(c, "exec.sim.latency_journal", "%s", why);
        }
        rs_lat_table_destroy(t);
    }
    if (cfg->exec.secrets.file[0]) {
        /* Only the mode is looked at: the config layer never reads secrets. */
        struct stat st;
        if (stat(cfg->exec.secrets.file, &st) != 0)
            perr(c, "exec.secrets.file", "%s: %s", cfg->exec.secrets.file, strerror(errno));
        else if (st.st_mode & 077)
            perr(c, "exec.secrets.file", "%s: mode %03o lets others read it; chmod 600", cfg->exec.secrets.file,
                 (unsigned)(st.st_mode & 0777));
        else if (st.st_uid != geteuid())
            perr(c, "exec.secrets.file", "%s: owned by uid %u, not by this user (%u)", cfg->exec.secrets.file,
                 (unsigned)st.st_uid, (unsigned)geteuid());
    }
}

/* ---- entry points ------------------------------------------------------------------------------ */

int rs_config_parse_report(rs_config **out, const char *name, const void *bytes, size_t len, FILE *errs,
                           unsigned flags)
{
    *out = NULL;
    vctx c = {.name = name, .errs = errs};
    yaml_parser_t parser;
    yaml_document_t doc;
    bool have_doc = false;
    rs_config *cfg = NULL;
    int rc = -RS_EBADCFG;

    if (len > RS_CFG_FILE_MAX) {
        verr(&c, 1, NULL, "file too large (%zu bytes; a config is at most %u)", len, RS_CFG_FILE_MAX);
        goto done;
    }
    if (!yaml_parser_initialize(&parser)) {
        verr(&c, 1, NULL, "cannot initialise the YAML parser");
        goto done;
    }
    yaml_parser_set_input_string(&parser, bytes, len);
    if (!yaml_parser_load(&parser, &doc)) {
        verr(&c, (int)parser.problem_mark.line + 1, NULL, "YAML syntax error: %s%s%s",
             parser.problem ? parser.problem : "unknown", parser.context ? " " : "",
             parser.context ? parser.context : "");
        yaml_parser_delete(&parser);
        goto done;
    }
    have_doc = true;
    c.doc = &doc;
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!root) {
        verr(&c, 1, NULL, "empty config (expected a mapping of sections)");
        yaml_parser_delete(&parser);
        goto done;
    }
    {
        yaml_document_t extra;
        if (yaml_parser_load(&parser, &extra)) {
            yaml_node_t *r2 = yaml_document_get_root_node(&extra);
            if (r2)
                verr(&c, (int)r2->start_mark.line + 1, NULL, "only one YAML document is allowed (found a second '---')");
            yaml_document_delete(&extra);
        } else {
            verr(&c, (int)parser.problem_mark.line + 1, NULL, "YAML syntax error: %s",
                 parser.problem ? parser.problem : "unknown");
        }
    }
    yaml_parser_delete(&parser);
    if (c.nerr)
        goto done;

    c.lm_cap = (size_t)(doc.nodes.top - doc.nodes.start) + 1;
    c.lm = rs_mem_alloc(c.lm_cap * sizeof(lm_ent), 8, "config key lines");
    if (!c.lm) {
        rc = -ENOMEM;
        goto done;
    }
    char path[KEYPATH_MAX] = "";
    walk(&c, &rs_cfg_schema, root, path, 0);
    if (c.nerr)
        goto done;

    /* libcyaml loads what the walk accepted. */
    cylog lg = {.n = 0};
    cyaml_config_t cy = {.log_fn = cy_log, .log_ctx = &lg, .mem_fn = cyaml_mem, .log_level = CYAML_LOG_ERROR,
                         .flags = CYAML_CFG_DEFAULT};
    rs_config *loaded = NULL;
    cyaml_err_t ce = cyaml_load_data(bytes, len, &cy, &rs_cfg_schema, (cyaml_data_t **)&loaded, NULL);
    if (ce != CYAML_OK) {
        /* Our walk should have caught everything libcyaml refuses; if not,
         * still say where libcyaml was (its backtrace carries "line: N"). */
        const char *ln = strstr(lg.buf, "line: ");
        for (char *q = lg.buf; *q; q++)
            if (*q == '\n')
                *q = ' ';
        verr(&c, ln ? atoi(ln + 6) : 1, NULL, "libcyaml: %s: %s", cyaml_strerror(ce), lg.buf);
        goto done;
    }
    cfg = rs_mem_alloc(sizeof *cfg, 64, "config");
    if (!cfg) {
        cyaml_free(&cy, &rs_cfg_schema, loaded, 0);
        rc = -ENOMEM;
        goto done;
    }
    memcpy(cfg, loaded, sizeof *cfg);
    cyaml_free(&cy, &rs_cfg_schema, loaded, 0);
    apply_defaults(&doc, &rs_cfg_schema, root, (uint8_t *)cfg, (const uint8_t *)rs_config_defaults());
    cfg->raw = NULL;
    cfg->raw_len = 0;
    cross_check(&c, cfg);
    if (!c.nerr && (flags & RS_CFG_CHECK_FILES))
        check_files(&c, cfg);
    if (c.nerr)
        goto done;
    snprintf(cfg->source, sizeof cfg->source, "%s", name);
    cfg->raw = rs_mem_alloc(len + 1, 8, "config bytes");
    if (!cfg->raw) {
        rc = -ENOMEM;
        goto done;
    }
    memcpy(cfg->raw, bytes, len);
    cfg->raw[len] = '\0';
    cfg->raw_len = len;
    *out = cfg;
    cfg = NULL;
    rc = 0;

done:
    if (have_doc)
        yaml_document_delete(&doc);
    rs_mem_free(c.lm);
    if (cfg)
        rs_config_destroy(cfg);
    if (rc == -RS_EBADCFG) {
        if (c.nerr > 1)
            return rs_err_set(RS_EBADCFG, "%s (and %d more problem%s)", c.first, c.nerr - 1, c.nerr > 2 ? "s" : "");
        return rs_err_set(RS_EBADCFG, "%s", c.first);
    }
    if (rc == -ENOMEM)
        return rs_err_set(ENOMEM, "%s: out of memory loading the config", name);
    return rc;
}

int rs_config_parse(rs_config **cfg, const char *name, const void *bytes, size_t len)
{
    return rs_config_parse_report(cfg, name, bytes, len, NULL, 0);
}

int rs_config_load_report(rs_config **cfg, const char *path, FILE *errs, unsigned flags)
{
    *cfg = NULL;
    uint8_t *buf;
    size_t n;
    int rc = rs_file_read_all(path, "config", RS_CFG_FILE_MAX, 0, &buf, &n);
    if (rc == -EFBIG)
        return rs_err_set(RS_EBADCFG, "%s:1: file too large (more than %u bytes)", path, (unsigned)RS_CFG_FILE_MAX);
    if (rc)
        return rc;
    rc = rs_config_parse_report(cfg, path, buf, n, errs, flags);
    rs_mem_free(buf);
    return rc;
}

int rs_config_load(rs_config **cfg, const char *path)
{
    return rs_config_load_report(cfg, path, NULL, 0);
}

void rs_config_destroy(rs_config *cfg)
{
    if (!cfg)
        return;
    rs_mem_free(cfg->raw);
    rs_mem_free(cfg);
}

uint64_t rs_config_ring_bytes(const rs_config *cfg, uint16_t stream)
{
    const rs_cfg_rings *r = &cfg->rings;
    switch (stream) {
    case RS_STREAM_MD: return r->md_bytes;
    case RS_STREAM_MARK: return r->mark_bytes;
    case RS_STREAM_FEAT: return r->feat_bytes;
    case RS_STREAM_PRED: return r->pred_bytes;
    case RS_STREAM_INTENT: return r->intent_bytes;
    case RS_STREAM_EXEC: return r->exec_bytes;
    case RS_STREAM_CTL: return r->ctl_bytes;
    case RS_STREAM_RAW: return r->raw_bytes;
    default: return 0;
    }
}

int rs_config_stage_thread(const rs_config *cfg, uint32_t stage)
{
    for (uint32_t t = 0; t < cfg->engine.threads_count; t++)
        if (cfg->engine.threads[t].stages & stage)
            return (int)t;
    return -1;
}

int rs_config_universe(const rs_config *cfg, rs_universe *u)
{
    static const uint8_t venue_map[] = {
        [RS_CFG_VENUE_BINANCE] = RS_VENUE_BINANCE,
        [RS_CFG_VENUE_BINANCE_FUT] = RS_VENUE_BINANCE_FUT,
        [RS_CFG_VENUE_OKX] = RS_VENUE_OKX,
    };
    memset(u, 0, sizeof *u);
    uint8_t venue = (cfg->feed.venue >= 0 && (size_t)cfg->feed.venue < sizeof venue_map)
                        ? venue_map[cfg->feed.venue] : RS_VENUE_BINANCE;
    for (uint32_t i = 0; i < cfg->instruments_count; i++) {
        const rs_cfg_instrument *ci = &cfg->instruments[i];
        rs_instrument in = {.venue = venue, .px_exp = (uint8_t)ci->px_exp, .qty_exp = (uint8_t)ci->qty_exp,
                            .tick = ci->tick_fp, .lot = ci->lot_fp, .min_qty = ci->min_qty_fp,
                            .min_notional = ci->min_notional};
        snprintf(in.symbol, sizeof in.symbol, "%s", ci->symbol);
        int rc = rs_universe_add(u, &in);
        if (rc < 0)
            return rc;
    }
    int ref = rs_universe_find(u, cfg->features.ref_symbol, strlen(cfg->features.ref_symbol));
    u->ref_sym = ref < 0 ? 0 : (uint16_t)ref;
    return 0;
}
