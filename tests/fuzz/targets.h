/* The fuzz targets' entry points (fuzz.h has the table that names them). */
#ifndef COGMAP_FUZZ_TARGETS_H
#define COGMAP_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "cogmap/gridrun.h"
#include "cogmap/smp.h"

void cmf_run_npy(const uint8_t *data, size_t size);
void cmf_run_npz(const uint8_t *data, size_t size);
void cmf_run_safetensors(const uint8_t *data, size_t size);
void cmf_run_json(const uint8_t *data, size_t size);
void cmf_run_png(const uint8_t *data, size_t size);
void cmf_run_run_json(const uint8_t *data, size_t size);
void cmf_run_evals_csv(const uint8_t *data, size_t size);
void cmf_run_frame_info(const uint8_t *data, size_t size);
void cmf_run_dataset(const uint8_t *data, size_t size);
void cmf_run_grid_dataset(const uint8_t *data, size_t size);
void cmf_run_checkpoint(const uint8_t *data, size_t size);
void cmf_run_checkpoint_smp(const uint8_t *data, size_t size);
void cmf_run_cli(const uint8_t *data, size_t size);

/* The small models the checkpoint targets load into and the seed generator
 * saves: a grid-cell run of the ssmpc preset with 8 hidden units, and an SMP
 * of 4 slots and 16-pixel frames. */
void cmf_grid_config(cm_grid_run_config *c);
void cmf_smp_config(cm_smp_config *c);

#endif
