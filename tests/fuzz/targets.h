/* The fuzz targets' entry points (fuzz.h has the table that names them). */
#ifndef COGMAP_FUZZ_TARGETS_H
#define COGMAP_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

#include "cogmap/models.h"
#include "cogmap/run.h"
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

/* The small models the targets use and the seed generator saves: a
 * grid-cell run of the ssmpc preset with 8 hidden units (run.json, --set),
 * a path-integration network of 3 hidden units, 3 place and 2 HD cells
 * (checkpoints; cmf_tiny_ops is the trainer's view of it) and an SMP of 4
 * slots and 16-pixel frames. */
void cmf_grid_config(cm_grid_run_config *c);
void cmf_pathint_config(cm_pathint_config *c);
void cmf_smp_config(cm_smp_config *c);

/* A training job of the tiny network (model, optimiser, dropout stream)
 * and its ops for the trainer's checkpoints (save and load only). */
typedef struct cmf_tiny_job {
    cm_pathint *m;
    cm_optim optim;
    cm_rng dropout;
} cmf_tiny_job;
cm_status cmf_tiny_job_init(cmf_tiny_job *j, const cm_pathint_config *c, uint64_t seed);
void cmf_tiny_job_free(cmf_tiny_job *j);
extern const cm_train_job_ops cmf_tiny_ops;

#endif
