/* Batches for grid-cell training: on-the-fly paths or dataset windows, each a
 * pure function of (seed, stream, index) so that resuming is exact (models.h). */
#include "cogmap/models.h"

#include <string.h>

/* rng stream ids of this file: a tag, the consumer, the batch stream and a
 * counter, so that no two consumers of one seed ever share a stream (and none
 * collides with the small stream numbers other modules use). */
enum { KIND_PATH = 1, KIND_SHUFFLE = 2, KIND_PICK = 3 };
static uint64_t stream_id(uint64_t kind, uint64_t stream, uint64_t n)
{
    return (0x4752ULL << 48) | ((kind & 0xf) << 44) | ((stream & 0xf) << 40) | (n & ((1ULL << 40) - 1));
}

cm_status cm_grid_batch_alloc(cm_grid_batch *b, int batch, int steps, int in_dim)
{
    memset(b, 0, sizeof *b);
    if (batch <= 0 || steps <= 0 || in_dim <= 0 || (int64_t)batch * steps > (1LL << 28))
        return cm_error(CM_ERR_ARG, "batch: expected 1..2^28 samples, got %d paths of %d steps", batch, steps);
    const size_t bt = (size_t)batch * steps;
    b->batch = batch;
    b->steps = steps;
    b->in_dim = in_dim;
    b->init_pos = cm_alloc((size_t)batch * 2 * sizeof(float));
    b->init_theta = cm_alloc((size_t)batch * sizeof(float));
    b->inputs = cm_alloc(bt * in_dim * sizeof(float));
    b->pos = cm_alloc(bt * 2 * sizeof(float));
    b->theta = cm_alloc(bt * sizeof(float));
    if (!b->init_pos || !b->init_theta || !b->inputs || !b->pos || !b->theta) {
        cm_grid_batch_free(b);
        return cm_error(CM_ERR_NOMEM, "batch: cannot allocate %d paths of %d steps", batch, steps);
    }
    return CM_OK;
}

void cm_grid_batch_free(cm_grid_batch *b)
{
    if (!b)
        return;
    cm_free(b->init_pos);
    cm_free(b->init_theta);
    cm_free(b->inputs);
    cm_free(b->pos);
    cm_free(b->theta);
    memset(b, 0, sizeof *b);
}

static cm_status alloc_path(cm_grid_source *s)
{
    s->pos = cm_alloc((size_t)(s->steps + 1) * 2 * sizeof(float));
    s->theta = cm_alloc((size_t)(s->steps + 1) * sizeof(float));
    if (!s->pos || !s->theta) {
        cm_grid_source_free(s);
        return cm_error(CM_ERR_NOMEM, "data source: cannot allocate a path of %d steps", s->steps);
    }
    return CM_OK;
}

cm_status cm_grid_source_init_paths(cm_grid_source *s, cm_grid_input input, int steps, uint64_t seed,
                                    cm_grid_path_fn fn, void *ctx)
{
    memset(s, 0, sizeof *s);
    if (!fn || steps <= 0)
        return cm_error(CM_ERR_ARG, "data source: expected a path generator and steps >= 1, got %d", steps);
    s->input = input;
    s->steps = steps;
    s->seed = seed;
    s->path_fn = fn;
    s->path_ctx = ctx;
    return alloc_path(s);
}

cm_status cm_grid_source_init_dataset(cm_grid_source *s, cm_grid_input input, const cm_grid_dataset *ds,
                                      uint64_t seed)
{
    memset(s, 0, sizeof *s);
    if (!ds || ds->n_windows <= 0)
        return cm_error(CM_ERR_ARG, "data source: expected a dataset with windows");
    s->input = input;
    s->steps = ds->window;
    s->seed = seed;
    s->dataset = ds;
    s->perm_epoch = -1;
    s->perm = cm_alloc((size_t)ds->n_windows * sizeof(int64_t));
    if (!s->perm)
        return cm_error(CM_ERR_NOMEM, "data source: cannot allocate the order of %lld windows",
                        (long long)ds->n_windows);
    return alloc_path(s);
}

void cm_grid_source_free(cm_grid_source *s)
{
    if (!s)
        return;
    cm_free(s->perm);
    cm_free(s->pos);
    cm_free(s->theta);
    memset(s, 0, sizeof *s);
}

/* The window order of one epoch: Fisher-Yates from the epoch's own stream. */
static void shuffle_epoch(cm_grid_source *s, uint64_t stream, int64_t epoch)
{
    const int64_t n = s->dataset->n_windows;
    for (int64_t i = 0; i < n; i++)
        s->perm[i] = i;
    cm_rng r;
    cm_rng_seed(&r, s->seed, stream_id(KIND_SHUFFLE, stream, (uint64_t)epoch));
    for (int64_t i = n - 1; i > 0; i--) {
        int64_t j = (int64_t)cm_rng_below(&r, (uint64_t)i + 1);
        int64_t t = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = t;
    }
    s->perm_epoch = epoch;
    s->perm_stream = stream;
}

cm_status cm_grid_source_fill(cm_grid_source *s, uint64_t stream, int64_t index, cm_grid_batch *b)
{
    const int B = b->batch, T = b->steps, d = cm_grid_input_dim(s->input);
    if (T != s->steps || b->in_dim != d)
        return cm_error(CM_ERR_ARG, "data source: batch of %d steps x %d inputs, source gives %d x %d", T, b->in_dim,
                        s->steps, d);
    if (index < 0)
        return cm_error(CM_ERR_ARG, "data source: batch index: expected >= 0, got %lld", (long long)index);
    if (s->dataset && stream == 0 && s->dataset->n_windows < B)
        return cm_error(CM_ERR_ARG, "data source: the dataset has %lld windows, fewer than a batch of %d",
                        (long long)s->dataset->n_windows, B);
    for (int e = 0; e < B; e++) {
        if (s->dataset) {
            int64_t w;
            if (stream == 0) {
                /* Training: epochs of shuffled windows, drop_last. */
                const int64_t per_epoch = s->dataset->n_windows / B;
                const int64_t epoch = index / per_epoch;
                if (epoch != s->perm_epoch || stream != s->perm_stream)
                    shuffle_epoch(s, stream, epoch);
                w = s->perm[(index % per_epoch) * B + e];
            } else {
                /* Evaluation: windows drawn at random, a function of the index. */
                cm_rng r;
                cm_rng_seed(&r, s->seed, stream_id(KIND_PICK, stream, (uint64_t)index * B + e));
                w = (int64_t)cm_rng_below(&r, (uint64_t)s->dataset->n_windows);
            }
            cm_grid_dataset_path(s->dataset, w, s->pos, s->theta);
        } else {
            cm_rng r;
            cm_rng_seed(&r, s->seed, stream_id(KIND_PATH, stream, (uint64_t)index * B + e));
            s->path_fn(s->path_ctx, &r, T, s->pos, s->theta);
        }
        b->init_pos[2 * e] = s->pos[0];
        b->init_pos[2 * e + 1] = s->pos[1];
        b->init_theta[e] = s->theta[0];
        cm_grid_path_inputs(s->input, s->pos, s->theta, T, b->inputs + (size_t)e * T * d);
        memcpy(b->pos + (size_t)e * T * 2, s->pos + 2, (size_t)T * 2 * sizeof(float));
        memcpy(b->theta + (size_t)e * T, s->theta + 1, (size_t)T * sizeof(float));
    }
    return CM_OK;
}
