/* exec/exec_json.h -- private: a zero-allocation JSON scanner for venue
 * responses. It walks objects/arrays by spans into the caller's buffer and
 * never copies or unescapes (ids, symbols and decimals never need it). */
#ifndef RS_EXEC_JSON_H
#define RS_EXEC_JSON_H

#include <stddef.h>
#include <stdint.h>

typedef struct js_span { const char *p; size_t n; } js_span;

/* Span of the value starting at *p (after whitespace); advances *p past it.
 * Returns 0, or -1 on syntax error / nesting deeper than 32. */
int js_value(const char **p, const char *end, js_span *v);
/* Iterate members of the object in `obj` (the span of a whole {...} value):
 * *it starts at 0 (internal cursor). Returns 1 with key (unquoted) and
 * value, 0 at the end, -1 on syntax error. */
int js_member(const js_span *obj, size_t *it, js_span *key, js_span *val);
/* Iterate elements of the array span `arr` the same way. */
int js_elem(const js_span *arr, size_t *it, js_span *val);
/* Find key in object obj. Returns 1 and *val, 0 if absent, -1 on error. */
int js_get(const js_span *obj, const char *key, js_span *val);

int js_is_null(const js_span *v);
int js_keyeq(const js_span *k, const char *s);
/* Integer value (JSON number without fraction, or a quoted integer). */
int js_int(const js_span *v, int64_t *out);
/* String contents without quotes (no unescaping; fails if it has escapes). */
int js_str(const js_span *v, js_span *out);
int js_streq(const js_span *v, const char *s);
/* A quoted or bare decimal as fixed point with `exp` decimals. Extra decimals
 * must be zeros (never rounded). Returns 0 or -1. */
int js_dec(const js_span *v, int exp, int64_t *out);
/* Decimal as double (fees), through the exact fixed-point path (12 dp). */
int js_decf(const js_span *v, double *out);
int js_bool(const js_span *v, int *out);

#endif
