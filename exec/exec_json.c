/* Zero-allocation JSON scanning for venue messages (see exec_json.h). */
#include <string.h>

#include "exec_json.h"

static const char *ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
        p++;
    return p;
}

static const char *skip_str(const char *p, const char *end)
{
    /* p at opening quote */
    for (p++; p < end; p++) {
        if (*p == '\\') {
            p++;
            continue;
        }
        if (*p == '"')
            return p + 1;
    }
    return NULL;
}

int js_value(const char **pp, const char *end, js_span *v)
{
    const char *p = ws(*pp, end);
    if (p >= end)
        return -1;
    const char *s = p;
    if (*p == '"') {
        p = skip_str(p, end);
        if (!p)
            return -1;
    } else if (*p == '{' || *p == '[') {
        /* Bracket matching with a depth bound: nested containers are skipped
         * without recursion so hostile input cannot blow the stack. */
        char stack[32];
        int d = 0;
        while (p < end) {
            char c = *p;
            if (c == '"') {
                p = skip_str(p, end);
                if (!p)
                    return -1;
                continue;
            }
            if (c == '{' || c == '[') {
                if (d == 32)
                    return -1;
                stack[d++] = c == '{' ? '}' : ']';
            } else if (c == '}' || c == ']') {
                if (d == 0 || stack[d - 1] != c)
                    return -1;
                d--;
                if (d == 0) {
                    p++;
                    break;
                }
            }
            p++;
        }
        if (d != 0)
            return -1;
    } else {
        while (p < end && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' && *p != '\r' &&
               *p != '\t')
            p++;
        if (p == s)
            return -1;
    }
    v->p = s;
    v->n = (size_t)(p - s);
    *pp = p;
    return 0;
}

static int next_item(const js_span *c, size_t *it, char open, js_span *key, js_span *val)
{
    const char *end = c->p + c->n;
    if (c->n < 2 || c->p[0] != open)
        return -1;
    const char *p = c->p + (*it ? *it : 1);
    p = ws(p, end);
    if (p >= end)
        return -1;
    if (*p == ',') {
        if (*it == 0)
            return -1;
        p = ws(p + 1, end);
    } else if (*it != 0 && *p != (open == '{' ? '}' : ']')) {
        return -1;
    }
    if (p < end && *p == (open == '{' ? '}' : ']'))
        return 0;
    if (key) {
        if (p >= end || *p != '"')
            return -1;
        const char *q = skip_str(p, end);
        if (!q)
            return -1;
        key->p = p + 1;
        key->n = (size_t)(q - p - 2);
        p = ws(q, end);
        if (p >= end || *p != ':')
            return -1;
        p++;
    }
    if (js_value(&p, end, val))
        return -1;
    *it = (size_t)(p - c->p);
    return 1;
}

int js_member(const js_span *obj, size_t *it, js_span *key, js_span *val)
{
    return next_item(obj, it, '{', key, val);
}

int js_elem(const js_span *arr, size_t *it, js_span *val) { return next_item(arr, it, '[', NULL, val); }

int js_get(const js_span *obj, const char *key, js_span *val)
{
    size_t it = 0;
    js_span k, v;
    int r;
    while ((r = js_member(obj, &it, &k, &v)) == 1) {
        if (js_keyeq(&k, key)) {
            *val = v;
            return 1;
        }
    }
    return r;
}

int js_is_null(const js_span *v) { return v->n == 4 && !memcmp(v->p, "null", 4); }

int js_keyeq(const js_span *k, const char *s)
{
    size_t n = strlen(s);
    return k->n == n && !memcmp(k->p, s, n);
}

int js_int(const js_span *v, int64_t *out)
{
    const char *p = v->p, *e = v->p + v->n;
    if (p < e && *p == '"') {
        p++;
        e--;
    }
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= e)
        return -1;
    uint64_t x = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9' || x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*p - '0');
    }
    if (x > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

int js_str(const js_span *v, js_span *out)
{
    if (v->n < 2 || v->p[0] != '"' || v->p[v->n - 1] != '"')
        return -1;
    if (memchr(v->p + 1, '\\', v->n - 2))
        return -1;
    out->p = v->p + 1;
    out->n = v->n - 2;
    return 0;
}

int js_streq(const js_span *v, const char *s)
{
    js_span t;
    return js_str(v, &t) == 0 && js_keyeq(&t, s);
}

int js_dec(const js_span *v, int exp, int64_t *out)
{
    const char *p = v->p, *e = v->p + v->n;
    if (p < e && *p == '"') {
        p++;
        e--;
    }
    int neg = 0;
    if (p < e && *p == '-') {
        neg = 1;
        p++;
    }
    if (p >= e)
        return -1;
    uint64_t x = 0;
    int frac = -1, digits = 0;
    for (; p < e; p++) {
        if (*p == '.') {
            if (frac >= 0)
                return -1;
            frac = 0;
            continue;
        }
        if (*p < '0' || *p > '9')
            return -1;
        if (frac >= 0 && frac >= exp) {
            if (*p != '0')
                return -1; /* more precision than the instrument scale */
            continue;
        }
        if (x > (UINT64_MAX - 9) / 10)
            return -1;
        x = x * 10 + (uint64_t)(*p - '0');
        digits++;
        if (frac >= 0)
            frac++;
    }
    if (!digits)
        return -1;
    for (int f = frac < 0 ? 0 : frac; f < exp; f++) {
        if (x > UINT64_MAX / 10)
            return -1;
        x *= 10;
    }
    if (x > (uint64_t)INT64_MAX)
        return -1;
    *out = neg ? -(int64_t)x : (int64_t)x;
    return 0;
}

int js_decf(const js_span *v, double *out)
{
    int64_t m;
    if (js_dec(v, 12, &m))
        return -1;
    *out = (double)m / 1e12;
    return 0;
}

int js_bool(const js_span *v, int *out)
{
    if (v->n == 4 && !memcmp(v->p, "true", 4)) {
        *out = 1;
        return 0;
    }
    if (v->n == 5 && !memcmp(v->p, "false", 5)) {
        *out = 0;
        return 0;
    }
    return -1;
}
