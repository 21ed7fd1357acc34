/* core/config_internal.h -- shared between the config sources (not public). */
#ifndef RS_CORE_CONFIG_INTERNAL_H
#define RS_CORE_CONFIG_INTERNAL_H

#include <cyaml/cyaml.h>

#include "ringside/config.h"

/* Range flags of a key (rs_cfg_meta.flags). */
enum {
    RS_M_MIN = 1u << 0,     /* value >= min (or > min with RS_M_XMIN) */
    RS_M_MAX = 1u << 1,     /* value <= max (or < max with RS_M_XMAX) */
    RS_M_XMIN = 1u << 2,
    RS_M_XMAX = 1u << 3,
    RS_M_POW2 = 1u << 4,    /* a power of two */
};

/* Per-key metadata the schema cannot carry: range and documentation. The path
 * is the key path with sequence indices written "[]": "instruments[].tick". */
typedef struct rs_cfg_meta {
    const char *path;
    uint32_t flags;
    double min, max;
    const char *doc;
} rs_cfg_meta;

extern const cyaml_schema_value_t rs_cfg_schema;   /* top level (pointer) */
extern const rs_cfg_meta rs_cfg_meta_tab[];
extern const size_t rs_cfg_meta_n;

/* Defaults of a sequence entry type, by entry schema (NULL: all zero). */
const void *rs_cfg_entry_default(const cyaml_schema_value_t *entry);
/* Metadata of a normalised path ("a.b[].c"), or NULL. */
const rs_cfg_meta *rs_cfg_meta_find(const char *path);

/* Format one scalar value (schema leaf) as YAML into buf; returns buf. */
const char *rs_cfg_fmt_scalar(const cyaml_schema_value_t *v, const uint8_t *data, char *buf, size_t cap);
/* Unsigned / signed value of an integer-like leaf of data_size bytes. */
uint64_t rs_cfg_read_u(const uint8_t *data, uint32_t size);
int64_t rs_cfg_read_i(const uint8_t *data, uint32_t size);

#endif
