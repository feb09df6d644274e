/* run.json, the file a run folder is replayed from (docs/formats.md): its
 * "format" names the kind of run, "seed" is a decimal string (a JSON number
 * would lose 64-bit seeds) and "sets" lists the "key=value" overrides in the
 * order they were given, so that applying them again rebuilds the
 * configuration exactly. Shared by grid-cell runs (grid_runcfg.c) and SMP
 * runs (smp_run.c); each keeps its own keys. */
#ifndef COGMAP_MODELS_RUN_JSON_H
#define COGMAP_MODELS_RUN_JSON_H

#include "cogmap/base.h"

#include <cjson/cJSON.h>

/* Reads RUN/run.json (its name into path[4096]) into *root, checking that
 * "format" is `format`, and reads "seed". On success the caller deletes
 * *root; on failure *root is NULL. */
cm_status run_json_read(const char *run, const char *format, char path[4096], cJSON **root, uint64_t *seed);

/* Applies every string of root's "sets" with set(ctx, "key=value"), in
 * order; a failure names path and "sets". An absent "sets" is an error
 * unless `optional`. */
typedef cm_status (*run_json_set_fn)(void *ctx, const char *kv);
cm_status run_json_replay_sets(const cJSON *root, const char *path, int optional, run_json_set_fn set, void *ctx);

/* Adds "seed" as a decimal string. Returns 0 when out of memory. */
int run_json_add_seed(cJSON *root, uint64_t seed);

/* Writes RUN/run.json atomically and deletes root (also on failure); `ok`
 * false (a failed cJSON call while building root) is reported as out of memory. */
cm_status run_json_write(const char *run, cJSON *root, int ok);

#endif
