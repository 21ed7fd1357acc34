/* core/config_yaml.c -- write the effective config as YAML, and the key
 * reference (docs/config.md), both generated from the libcyaml schema.
 *
 * We emit ourselves instead of calling cyaml_save_data: libcyaml 1.3 prints
 * every double as "%.16e" (1.5 -> 1.5000000000000000e+00), which is exact
 * but unreadable in `ringside config check`. Here a double is printed with
 * the fewest digits that read back to the same bits, so the output still
 * round-trips exactly (tested). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_internal.h"

uint64_t rs_cfg_read_u(const uint8_t *data, uint32_t size)
{
    switch (size) {
    case 1: return *data;
    case 2: { uint16_t v; memcpy(&v, data, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, data, 4); return v; }
    default: { uint64_t v; memcpy(&v, data, 8); return v; }
    }
}

int64_t rs_cfg_read_i(const uint8_t *data, uint32_t size)
{
    switch (size) {
    case 1: return (int8_t)*data;
    case 2: { int16_t v; memcpy(&v, data, 2); return v; }
    case 4: { int32_t v; memcpy(&v, data, 4); return v; }
    default: { int64_t v; memcpy(&v, data, 8); return v; }
    }
}

static void fmt_double(double d, char *buf, size_t cap)
{
    /* fewest digits that read back to the same double; no exponent for
     * ordinary magnitudes ("10.0", not "1e+01") */
    double a = fabs(d);
    bool ordinary = a == 0 || (a >= 1e-5 && a < 1e16);
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, cap, "%.*g", prec, d);
        if (strtod(buf, NULL) == d && (!ordinary || !strchr(buf, 'e')))
            break;
    }
    /* "2.0", not "2": tells the reader the key is a number with a fraction */
    if (!strpbrk(buf, ".eEn") && strlen(buf) + 2 < cap)
        strcat(buf, ".0");
}

static bool plain_ok(const char *s)
{
    if (!*s)
        return false;
    if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._", s[0]))
        return false;
    for (const char *p = s; *p; p++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-:+@", *p))
            return false;
    if (s[strlen(s) - 1] == ':')
        return false;
    if (!strcmp(s, "null") || !strcmp(s, "Null") || !strcmp(s, "NULL") || !strcmp(s, "~"))
        return false;
    return true;
}

static void fmt_string(const char *s, char *buf, size_t cap)
{
    if (plain_ok(s)) {
        snprintf(buf, cap, "%s", s);
        return;
    }
    size_t o = 0;
    buf[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)s; *p && o + 6 < cap; p++) {
        if (*p == '"' || *p == '\\') {
            buf[o++] = '\\';
            buf[o++] = (char)*p;
        } else if (*p < 0x20 || *p == 0x7f) {
            o += (size_t)snprintf(buf + o, cap - o, "\\x%02x", *p);
        } else {
            buf[o++] = (char)*p;
        }
    }
    buf[o++] = '"';
    buf[o] = '\0';
}

const char *rs_cfg_fmt_scalar(const cyaml_schema_value_t *v, const uint8_t *data, char *buf, size_t cap)
{
    switch (v->type) {
    case CYAML_INT:
        snprintf(buf, cap, "%lld", (long long)rs_cfg_read_i(data, v->data_size));
        break;
    case CYAML_UINT:
        snprintf(buf, cap, "%llu", (unsigned long long)rs_cfg_read_u(data, v->data_size));
        break;
    case CYAML_BOOL:
        snprintf(buf, cap, "%s", rs_cfg_read_u(data, v->data_size) ? "true" : "false");
        break;
    case CYAML_FLOAT: {
        double d;
        if (v->data_size == sizeof(float)) {
            float f;
            memcpy(&f, data, sizeof f);
            d = f;
        } else {
            memcpy(&d, data, sizeof d);
        }
        fmt_double(d, buf, cap);
        break;
    }
    case CYAML_ENUM: {
        int64_t x = rs_cfg_read_i(data, v->data_size);
        for (uint32_t i = 0; i < v->enumeration.count; i++)
            if (v->enumeration.strings[i].val == x) {
                snprintf(buf, cap, "%s", v->enumeration.strings[i].str);
                return buf;
            }
        snprintf(buf, cap, "%lld", (long long)x);
        break;
    }
    case CYAML_FLAGS: {
        uint64_t x = rs_cfg_read_u(data, v->data_size);
        size_t o = (size_t)snprintf(buf, cap, "[");
        bool first = true;
        for (uint32_t i = 0; i < v->enumeration.count && o < cap; i++)
            if (x & (uint64_t)v->enumeration.strings[i].val) {
                o += (size_t)snprintf(buf + o, cap - o, "%s%s", first ? "" : ", ", v->enumeration.strings[i].str);
                first = false;
            }
        if (o < cap)
            snprintf(buf + o, cap - o, "]");
        break;
    }
    case CYAML_STRING:
        fmt_string((const char *)data, buf, cap);
        break;
    default:
        snprintf(buf, cap, "?");
        break;
    }
    return buf;
}

static bool is_scalar_type(const cyaml_schema_value_t *v)
{
    return v->type != CYAML_MAPPING && v->type != CYAML_SEQUENCE && v->type != CYAML_SEQUENCE_FIXED;
}

static void write_mapping(FILE *f, const cyaml_schema_value_t *v, const uint8_t *data, int indent, bool first_dash);

static void write_field(FILE *f, const cyaml_schema_field_t *fl, const uint8_t *base, int indent, const char *lead)
{
    const uint8_t *d = base + fl->data_offset;
    char buf[1024];
    fprintf(f, "%s%*s%s:", lead, lead[0] ? 0 : indent, "", fl->key);
    if (is_scalar_type(&fl->value)) {
        fprintf(f, " %s\n", rs_cfg_fmt_scalar(&fl->value, d, buf, sizeof buf));
        return;
    }
    if (fl->value.type == CYAML_MAPPING) {
        fputc('\n', f);
        write_mapping(f, &fl->value, d, indent + 2, false);
        return;
    }
    const cyaml_schema_value_t *e = fl->value.sequence.entry;
    uint64_t n = rs_cfg_read_u(base + fl->count_offset, fl->count_size);
    if (n == 0) {
        fputs(" []\n", f);
        return;
    }
    if (is_scalar_type(e)) {
        fputs(" [", f);
        for (uint64_t i = 0; i < n; i++)
            fprintf(f, "%s%s", i ? ", " : "", rs_cfg_fmt_scalar(e, d + i * e->data_size, buf, sizeof buf));
        fputs("]\n", f);
        return;
    }
    fputc('\n', f);
    for (uint64_t i = 0; i < n; i++)
        write_mapping(f, e, d + i * e->data_size, indent + 2, true);
}

static void write_mapping(FILE *f, const cyaml_schema_value_t *v, const uint8_t *data, int indent, bool first_dash)
{
    bool first = true;
    for (const cyaml_schema_field_t *fl = v->mapping.fields; fl->key; fl++) {
        if (first && first_dash) {
            char lead[80];
            snprintf(lead, sizeof lead, "%*s- ", indent, "");
            write_field(f, fl, data, indent + 2, lead);
        } else {
            write_field(f, fl, data, first_dash ? indent + 2 : indent, "");
        }
        first = false;
    }
}

int rs_config_write_yaml(FILE *f, const rs_config *cfg)
{
    fprintf(f, "# effective ringside config%s%s (every key, defaults filled in)\n", cfg->source[0] ? " of " : "",
            cfg->source);
    write_mapping(f, &rs_cfg_schema, (const uint8_t *)cfg, 0, false);
    if (fflush(f) != 0 || ferror(f))
        return -(errno ? errno : EIO);
    return 0;
}

/* ---- reference (markdown) -------------------------------------------------------------------------- */

static const char *type_name(const cyaml_schema_value_t *v, char *buf, size_t cap)
{
    switch (v->type) {
    case CYAML_INT: snprintf(buf, cap, "int%u", (unsigned)v->data_size * 8); break;
    case CYAML_UINT: snprintf(buf, cap, "uint%u", (unsigned)v->data_size * 8); break;
    case CYAML_BOOL: snprintf(buf, cap, "bool"); break;
    case CYAML_FLOAT: snprintf(buf, cap, "float"); break;
    case CYAML_STRING: snprintf(buf, cap, "string (<= %u bytes)", (unsigned)v->string.max); break;
    case CYAML_ENUM:
    case CYAML_FLAGS: {
        size_t o = (size_t)snprintf(buf, cap, v->type == CYAML_FLAGS ? "list of " : "");
        for (uint32_t i = 0; i < v->enumeration.count && o < cap; i++)
            o += (size_t)snprintf(buf + o, cap - o, "%s`%s`", i ? " \\| " : "", v->enumeration.strings[i].str);
        if (!(v->flags & CYAML_FLAG_STRICT) && o < cap)
            snprintf(buf + o, cap - o, " \\| int");
        break;
    }
    case CYAML_MAPPING: snprintf(buf, cap, "mapping"); break;
    case CYAML_SEQUENCE:
        snprintf(buf, cap, "list (%u..%u)", (unsigned)v->sequence.min, (unsigned)v->sequence.max);
        break;
    default: snprintf(buf, cap, "?"); break;
    }
    return buf;
}

static const char *range_text(const rs_cfg_meta *m, char *buf, size_t cap)
{
    buf[0] = '\0';
    if (!m || !(m->flags & (RS_M_MIN | RS_M_MAX)))
        return buf;
    size_t o = 0;
    if (m->flags & RS_M_MIN)
        o += (size_t)snprintf(buf + o, cap - o, "%s %.15g", (m->flags & RS_M_XMIN) ? ">" : ">=", m->min);
    if ((m->flags & RS_M_MAX) && o < cap)
        o += (size_t)snprintf(buf + o, cap - o, "%s%s %.15g", o ? ", " : "", (m->flags & RS_M_XMAX) ? "<" : "<=",
                              m->max);
    if ((m->flags & RS_M_POW2) && o < cap)
        snprintf(buf + o, cap - o, ", power of 2");
    return buf;
}

static void ref_mapping(FILE *f, const cyaml_schema_value_t *v, const uint8_t *def, const char *prefix)
{
    for (const cyaml_schema_field_t *fl = v->mapping.fields; fl->key; fl++) {
        char path[192], np[192], tb[256], rb[96], db[512];
        snprintf(path, sizeof path, "%s%s%s", prefix, prefix[0] ? "." : "", fl->key);
        snprintf(np, sizeof np, "%s", path);
        const rs_cfg_meta *m = rs_cfg_meta_find(np);
        bool req = !(fl->value.flags & CYAML_FLAG_OPTIONAL);
        const uint8_t *d = def ? def + fl->data_offset : NULL;
        if (fl->value.type == CYAML_MAPPING) {
            if (m)
                fprintf(f, "| `%s` | mapping | %s | | %s |\n", path, req ? "**required**" : "", m->doc);
            ref_mapping(f, &fl->value, d, path);
            continue;
        }
        if (fl->value.type == CYAML_SEQUENCE) {
            const cyaml_schema_value_t *e = fl->value.sequence.entry;
            if (is_scalar_type(e)) {
                size_t o = 0;
                uint64_t n = d ? rs_cfg_read_u(def + fl->count_offset, fl->count_size) : 0;
                o += (size_t)snprintf(db + o, sizeof db - o, "`[");
                for (uint64_t i = 0; i < n && o < sizeof db; i++)
                    o += (size_t)snprintf(db + o, sizeof db - o, "%s%s", i ? ", " : "",
                                          rs_cfg_fmt_scalar(e, d + i * e->data_size, tb, sizeof tb));
                if (o < sizeof db)
                    snprintf(db + o, sizeof db - o, "]`");
                char ip[200];
                snprintf(ip, sizeof ip, "%s[]", path);
                const rs_cfg_meta *em = rs_cfg_meta_find(ip);
                fprintf(f, "| `%s` | list of %s (<= %u) | %s | %s | %s |\n", path, type_name(e, tb, sizeof tb),
                        (unsigned)fl->value.sequence.max, req ? "**required**" : db,
                        range_text(em, rb, sizeof rb), m ? m->doc : "");
            } else {
                uint64_t n = d ? rs_cfg_read_u(def + fl->count_offset, fl->count_size) : 0;
                fprintf(f, "| `%s` | %s | %s | | %s |\n", path, type_name(&fl->value, tb, sizeof tb),
                        req ? "**required**" : (n ? "see below" : "`[]`"), m ? m->doc : "");
                char ip[200];
                snprintf(ip, sizeof ip, "%s[]", path);
                ref_mapping(f, e, rs_cfg_entry_default(e), ip);
            }
            continue;
        }
        if (req)
            snprintf(db, sizeof db, "**required**");
        else if (d)
            snprintf(db, sizeof db, "`%s`", rs_cfg_fmt_scalar(&fl->value, d, tb, sizeof tb));
        else
            snprintf(db, sizeof db, " ");
        if (!strcmp(db, "`\"\"`"))
            snprintf(db, sizeof db, "`\"\"` (empty)");
        fprintf(f, "| `%s` | %s | %s | %s | %s |\n", path, type_name(&fl->value, tb, sizeof tb), db,
                range_text(m, rb, sizeof rb), m ? m->doc : "");
    }
}

int rs_config_write_reference(FILE *f)
{
    fputs("| key | type | default | range | meaning |\n|---|---|---|---|---|\n", f);
    ref_mapping(f, &rs_cfg_schema, (const uint8_t *)rs_config_defaults(), "");
    if (fflush(f) != 0 || ferror(f))
        return -(errno ? errno : EIO);
    return 0;
}
