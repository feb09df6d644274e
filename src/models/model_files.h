/* The two files of a checkpoint folder that every model of the one-model
 * pattern writes (models-internal): config.json — its format name, preset,
 * any names of its own and its configuration table — and model.safetensors,
 * its parameter block under PyTorch's names. One writer and one reader so
 * that the models' folders, and their errors, stay alike. */
#ifndef COGMAP_MODELS_MODEL_FILES_H
#define COGMAP_MODELS_MODEL_FILES_H

#include "cogmap/nn.h"

#include <stddef.h>

struct cJSON;

/* config.json's document begun: {"format": format, "preset": preset}; NULL
 * when out of memory. The model adds its own keys and table after. */
struct cJSON *mfiles_config_begin(const char *format, const char *preset);
/* Creates dir, writes `config` as dir/config.json and the parameters as
 * dir/model.safetensors. Takes `config` (deleted here); `ok` 0 or a NULL
 * config means building it ran out of memory, reported as such. */
cm_status mfiles_save(const char *dir, struct cJSON *config, int ok, const cm_params *params);
/* Reads dir/config.json into *config, checks that its "format" is `format`
 * and copies its "preset" into preset[preset_size]; path[path_size] gets the
 * file's path for the caller's own errors. On error *config is NULL. */
cm_status mfiles_read_config(const char *dir, const char *format, struct cJSON **config, char *path,
                             size_t path_size, char *preset, size_t preset_size);
/* Loads dir/model.safetensors into `params`, every name and shape checked. */
cm_status mfiles_load_params(const char *dir, cm_params *params);

#endif
