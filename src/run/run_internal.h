/* Private pieces of the run layer shared by its files. */
#ifndef COGMAP_RUN_INTERNAL_H
#define COGMAP_RUN_INTERNAL_H

#include "cogmap/run.h"
#include "cogmap/trainmodel.h"

/* The periodic evaluation of a path model (grid-cell networks, SMP): a fixed
 * set of batches of stream 1, their mean loss and decoding error, and with a
 * scorer the grid fraction of the units over all of them. Buffers sized
 * once. */
typedef struct run_path_evaluator {
    cm_grid_batch batch;
    int n_batches, n_units;
    float *units;   /* [n_batches * B * T, U] when scoring */
    float *pos;     /* [n_batches * B * T, 2] when scoring */
    float *decoded; /* [B, T, 2] */
    cm_grid_scorer *scorer; /* not owned; NULL: no gridness */
} run_path_evaluator;

cm_status run_path_eval_init(run_path_evaluator *e, int batch, int steps, int in_dim, int n_batches, int n_units,
                             cm_grid_scorer *scorer);
/* eval_loss, decoding_error (both lower is better), and grid_fraction
 * (higher) when scoring. */
cm_status run_path_eval(run_path_evaluator *e, cm_grid_forward_fn forward, void *model, cm_grid_source *src,
                        cm_metrics *out);
void run_path_eval_free(run_path_evaluator *e);

/* Mean Euclidean distance between decoded [B, T, 2] and true positions,
 * t >= 1 (t = 0 is the encoded start), or all t when T == 1: the sum, and
 * the count added to *count. */
double run_decoding_error_sum(const float *decoded, const float *pos, int B, int T, int64_t *count);

/* Element i of a float32 or float64 array, as a double. */
double run_array_value(const cm_array *x, int64_t i);

/* Fills a->pos and a->hd (a->n samples) from float arrays pos [n, 2] and
 * hd [n] of `file`, refusing non-finite values; sets a->f32. */
cm_status run_activity_positions(cm_activity *a, const char *file, const cm_array *pos, const cm_array *hd);

/* A model cm_train_model trains (src/run/train_models.c, one entry each):
 * its public description and the hooks of its run configuration and job.
 * `cfg` points to cfg_size bytes (the model's run configuration). */
typedef struct run_train_kind {
    cm_train_model_info info;
    const cm_train_job_ops *ops;
    size_t cfg_size;
    /* A new run's configuration from r's preset, seed, sets and data, checked. */
    cm_status (*config_new)(void *cfg, const cm_train_request *r);
    cm_status (*config_read)(void *cfg, const char *run);
    cm_status (*config_write)(const void *cfg, const char *run);
    int (*can_change)(const char *key_value); /* a resumed run's stage key; NULL: no stages */
    /* A stage's sets applied before the job is made (configuration, checked)
     * or after its checkpoint is loaded (job and configuration); NULL: not. */
    cm_status (*stage_config)(void *cfg, const char *const *sets, int n);
    cm_status (*stage_job)(void *job, void *cfg, const char *const *sets, int n);
    /* run.json rewritten with the stage at `step` recorded (rank 0). */
    cm_status (*restage)(const void *cfg, const char *run, int64_t step, const char *const *sets, int n);
    cm_status (*job_create)(const void *cfg, void **job);
    void (*job_free)(void *job);
    uint64_t (*seed)(const void *cfg);
    /* tc->best / tc->rank for best (checked: NULL or one of info.bests);
     * ctx: RUN_RANK_CTX bytes that live while the run trains. NULL: the job's first metric. */
    void (*best)(const void *cfg, const char *best, cm_train_config *tc, void *ctx);
} run_train_kind;
#define RUN_RANK_CTX 64

/* The entry of `name`, or NULL. */
const run_train_kind *run_train_kind_find(const char *name);

#endif
