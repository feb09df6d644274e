/* Private pieces of the run layer shared by its files. */
#ifndef COGMAP_RUN_INTERNAL_H
#define COGMAP_RUN_INTERNAL_H

#include "cogmap/run.h"

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

#endif
