/* Configurations as tables of named numeric fields (models-internal): one
 * table per configuration struct gives "--set key=value" parsing with range
 * checks, config.json writing and reading, from the same list of keys, so
 * that the three never disagree. */
#ifndef COGMAP_MODELS_CONFIG_TABLE_H
#define COGMAP_MODELS_CONFIG_TABLE_H

#include "cogmap/base.h"

#include <stddef.h>

struct cJSON;

typedef enum cfgt_type { CFGT_INT = 0, CFGT_FLOAT = 1, CFGT_DOUBLE = 2 } cfgt_type;

typedef struct cfgt_field {
    const char *key;
    cfgt_type type;
    size_t offset;
    double lo, hi; /* accepted range, inclusive */
} cfgt_field;

/* Sets field `key` of the struct at `base` from text `value`. Returns
 * CM_ERR_ARG naming `what` and the key for a bad value, and -1 (no error
 * recorded) when no field has that key, so that callers can try their own
 * keys first. */
int cfgt_set(const cfgt_field *fields, int n, void *base, const char *what, const char *key, const char *value);
/* Adds every field to a JSON object. Returns 0 when out of memory. */
int cfgt_to_json(const cfgt_field *fields, int n, const void *base, struct cJSON *obj);
/* Reads every field present in obj (absent ones keep their value), range
 * checked; the error names `file` and the key. */
cm_status cfgt_from_json(const cfgt_field *fields, int n, void *base, const struct cJSON *obj, const char *file);
/* Splits "key=value" into key[size] and a pointer to the value; CM_ERR_ARG
 * naming `what` when there is no '=' or the key is empty or too long. */
cm_status cfgt_split(const char *key_value, const char *what, char *key, size_t size, const char **value);

#endif
