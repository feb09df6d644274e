/* cogmap/run.h — runs and evaluations: the generic trainer and its run
 * folder, each model's training job, and each model's evaluation, returning
 * results as data (plot draws them, the CLI prints them).
 *
 * The layer sits between analysis and plot: it drives models (models, world,
 * cells) and scores what they do (analysis).
 *
 * A run folder (docs/formats.md):
 *   RUN/run.json                 how the run is configured (the job's keys; "stages")
 *   RUN/evals.csv                one row per periodic evaluation, columns named by the job
 *   RUN/checkpoints/step_N/      model + optimiser + state.json, the newest K and milestones
 *   RUN/checkpoints/best/        the best evaluation by the chosen metric
 *
 * A training job wraps a model, its data and its optimiser behind
 * cm_train_job_ops; cm_train_run owns the loop. The shape (gradient of a
 * shard of the global batch, then update) is what data parallelism needs:
 * ranks compute their shards' gradients, all-reduce the gradient block, and
 * each applies the same deterministic update.
 */
#ifndef COGMAP_RUN_H
#define COGMAP_RUN_H

#include "cogmap/analysis.h"
#include "cogmap/base.h"
#include "cogmap/cells.h"
#include "cogmap/io.h"
#include "cogmap/models.h"
#include "cogmap/smp.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

struct cJSON;

/* ------------------------------------------------------------- metrics */

/* Named numbers an evaluation returns, each with the direction that is
 * better; evals.csv has one column per name, in the order they are set. */
#define CM_METRICS_MAX 24
#define CM_METRIC_NAME 32

typedef enum cm_metric_better { CM_LOWER_IS_BETTER = 0, CM_HIGHER_IS_BETTER = 1 } cm_metric_better;

typedef struct cm_metric {
    char name[CM_METRIC_NAME];
    double value; /* NaN: not measured */
    cm_metric_better better;
} cm_metric;

typedef struct cm_metrics {
    int count;
    cm_metric items[CM_METRICS_MAX];
} cm_metrics;

CM_API void cm_metrics_clear(cm_metrics *m);
/* Sets (or adds) metric `name`. CM_ERR_ARG for an empty name, one with a
 * comma or newline, one too long, or a full set. */
CM_API cm_status cm_metrics_set(cm_metrics *m, const char *name, double value, cm_metric_better better);
/* Index of `name`, -1 when absent. */
CM_API int cm_metrics_find(const cm_metrics *m, const char *name);
/* Value of `name`, NaN when absent. */
CM_API double cm_metrics_get(const cm_metrics *m, const char *name);

/* --------------------------------------------------------- training jobs */

typedef struct cm_train_job_ops {
    const char *model_name;        /* "grid", "smp", ... */
    size_t (*n_params)(void *job); /* floats in the parameter / gradient blocks */
    float *(*params)(void *job);   /* the parameter block (what ranks keep identical) */
    float *(*grads)(void *job);    /* the gradient block (what an all-reduce sums) */
    /* Gradient of training step `step` restricted to shard `shard` of
     * `n_shards` of the global batch (the batch is a pure function of (seed,
     * step)); scaled so that the SUM over shards equals the gradient of the
     * global-batch loss. ACCUMULATES into grads (the trainer zeroes them).
     * loss_sum / weight: this shard's share of the global loss, which is
     * sum(loss_sum) / sum(weight). A non-finite loss stops the run before
     * update. CM_ERR_UNSUPPORTED when the job cannot split its batch so. */
    cm_status (*gradient)(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight);
    /* After the (reduced) gradient is in grads: clipping, optimiser step,
     * schedules, whatever else a step changes. Deterministic. */
    cm_status (*update)(void *job, int64_t step);
    /* Evaluation at `step` into named metrics (cleared by the trainer). */
    cm_status (*evaluate)(void *job, int64_t step, cm_metrics *out);
    /* Model, optimiser and job state into / from a checkpoint folder. */
    cm_status (*save)(void *job, const char *dir);
    cm_status (*load)(void *job, const char *dir);
} cm_train_job_ops;

/* ------------------------------------------------------------- trainer */

/* Lower is better; a non-finite value never becomes best. */
typedef double (*cm_train_rank_fn)(void *ctx, const cm_metrics *m);

typedef struct cm_train_config {
    const char *out;          /* run folder */
    int64_t steps;            /* total optimiser steps to reach (0: no limit) */
    double minutes;           /* total wall-clock budget, resumed runs included (0: none) */
    int64_t eval_every;       /* steps between evaluations (0: only at the end) */
    int64_t checkpoint_every; /* steps between checkpoints (0: at every evaluation) */
    int keep;                 /* most recent checkpoints kept besides best (>= 1) */
    int n_shards;             /* shards of each step's batch, run one after another (0 or 1: one) */
    uint64_t seed;            /* the run's seed, recorded in every state.json */
    const char *best;         /* metric that picks checkpoints/best (NULL: the job's first) */
    cm_train_rank_fn rank;    /* or a ranking of the metrics (overrides best) */
    void *rank_ctx;
} cm_train_config;

/* Where a run stands: what a checkpoint's state.json holds. */
typedef struct cm_train_state {
    int64_t step;
    double wall_seconds;
    double last_loss;
    double best_value; /* the best evaluation's rank, lower is better */
    int64_t best_step; /* -1: none yet */
    /* The training losses since the last evaluation (its row's train_loss
     * is their mean), kept so that a resumed run writes the same rows. */
    double loss_sum;
    int64_t loss_count;
} cm_train_state;

/* Step 0, no best yet. */
CM_API void cm_train_state_init(cm_train_state *s);

/* Trains from `state` (cm_train_state_init for a fresh run, or loaded by
 * cm_train_resume), holding the run folder's lock (cm_run_lock: another
 * process training it makes this CM_ERR_IO naming that process), until the
 * step or time limit, the user's Ctrl-C (polled
 * with cm_interrupted between steps: saves, CM_ERR_INTERRUPTED) or a
 * non-finite loss (CM_ERR_NUMERIC naming the step; the last good checkpoint
 * stays). Each step: zero the gradient block, gradient() of every shard,
 * update(). Evaluations every eval_every steps and at the end append a row
 * to out/evals.csv (step, wall_seconds, train_loss: the mean since the
 * previous row, then the job's metrics); checkpoints go under
 * out/checkpoints/. progress may be NULL (silent). */
CM_API cm_status cm_train_run(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                       cm_progress *progress);

/* --------------------------------------------------------------- sweeps */

/* A grid of settings (docs/cli.md, `cogmap sweep`): axes of a key and its
 * values; the points are every combination, the first axis slowest. */
#define CM_SWEEP_MAX_AXES 8
#define CM_SWEEP_MAX_VALUES 64
#define CM_SWEEP_TEXT 64

typedef struct cm_sweep_axis {
    char key[CM_SWEEP_TEXT];
    int n_values;
    char values[CM_SWEEP_MAX_VALUES][CM_SWEEP_TEXT];
} cm_sweep_axis;

typedef struct cm_sweep {
    int n_axes;
    cm_sweep_axis axes[CM_SWEEP_MAX_AXES];
} cm_sweep;

/* Adds the axis "key=v1,v2,..." (s zeroed first). CM_ERR_ARG naming what is
 * wrong: no '=', an empty key or value, a key given twice, too many axes or
 * values, one too long. */
CM_API cm_status cm_sweep_add(cm_sweep *s, const char *key_values);
/* The number of points (1 for no axis). */
CM_API int64_t cm_sweep_count(const cm_sweep *s);
/* Point i's settings, "key=value" each (sets[n_axes]), and the name of its
 * run folder: the point's number and settings, characters other than
 * letters, digits and ._=+- made '_' ("003-lr=0.001-batch=16"). */
CM_API cm_status cm_sweep_point(const cm_sweep *s, int64_t i, char sets[][2 * CM_SWEEP_TEXT + 2], char *name,
                         size_t name_size);

/* Trains one point into run folder `out` with the point's settings applied
 * after the command's own (n_sets "key=value"). Called on the rank that owns
 * the point, as a job of one (cm_dist_set_solo). */
typedef cm_status (*cm_sweep_run_fn)(void *ctx, const char *out, const char *const *sets, int n_sets);

/* Runs every point into dir/<name>, spread over the job's ranks (point i on
 * rank i % P, which trains it alone), then rank 0 writes dir/sweep.csv: one
 * row per point, in order: point, run, a column per key, status ("ok", or
 * the error; "not run" after a Ctrl-C), then the last row of the run's
 * evals.csv (step, wall_seconds, train_loss and the model's metrics; empty
 * for a run without one; a failed point's last evaluation if it made one). A failed point is recorded and the others go on.
 * Returns CM_OK once the table is written (*failed: the points that did
 * not succeed), CM_ERR_INTERRUPTED after Ctrl-C (the table of what ran is
 * written), or the error that kept the table from being written. Every rank
 * returns the same. Collective. */
CM_API cm_status cm_sweep_run(const cm_sweep *s, const char *dir, cm_sweep_run_fn run, void *ctx, int64_t *failed);

/* Makes the parent folder of `run` (with its parents) and, when `run`
 * already holds a run (run.json), renames it to "<run>-<unix seconds>" so a
 * new run can start there: the old one is kept, never deleted. moved gets
 * the new name, or "" when there was nothing to move. Collective: rank 0
 * does it, every rank returns the same. CM_ERR_IO: the rename failed. */
CM_API cm_status cm_run_set_aside(const char *run, char *moved, size_t size);

/* ---------------------------------------------------------- checkpoints */

/* Saves a checkpoint folder (the job's files, state.json, then
 * manifest.json: each file's size and CRC-32) atomically: written beside its
 * final name and renamed into place. */
CM_API cm_status cm_train_checkpoint_save(const char *dir, const cm_train_job_ops *ops, void *job,
                                   const cm_train_state *state, uint64_t seed);
/* Loads one checkpoint folder, or the newest under <run>/checkpoints when
 * `path` is a run folder, after verifying its manifest (a damaged file is
 * CM_ERR_FORMAT naming it; a folder from before manifests loads as it is).
 * seed and loaded (size >= 4096, the folder used) may be NULL. */
CM_API cm_status cm_train_checkpoint_load(const char *path, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                                   uint64_t *seed, char *loaded);
/* cm_train_checkpoint_load of run folder `run`'s newest checkpoint, refusing
 * one whose seed is not `run_seed` (it would silently change the data).
 * Holding the run's lock (cm_run_lock; refused while another process
 * trains it), it first tidies what a killed save left (docs/reliability.md).
 * A run with no checkpoint yet (stopped before its first) resumes from step
 * 0: *state is initialised, loaded is "", the job stays as it was made. */
CM_API cm_status cm_train_resume(const char *run, const cm_train_job_ops *ops, void *job, uint64_t run_seed,
                          cm_train_state *state, char loaded[4096]);
/* Removes the run's step_* checkpoints older than the `keep` newest, except
 * the milestones: steps milestone_base * 2^k (k >= 0), kept for figures of
 * log-spaced stages of training (0: no milestones). */
CM_API cm_status cm_train_checkpoint_prune(const char *run, int keep, int64_t milestone_base);
/* The step_* checkpoints of a run, oldest first: steps [count] (cm_alloc'ed). */
CM_API cm_status cm_train_checkpoint_list(const char *run, int64_t **steps, int *count);

/* ------------------------------------------------------------- evals.csv */

/* A run's evaluation history as a table: named columns (step and
 * wall_seconds first), one row per evaluation. */
typedef struct cm_evals {
    int n_cols, n_rows, cap_rows;
    char (*names)[CM_METRIC_NAME]; /* [n_cols] */
    double *values;                /* [n_rows, n_cols]; NaN where a row has no value */
} cm_evals;

/* Reads RUN/evals.csv; CM_ERR_FORMAT naming the line for a malformed one. */
CM_API cm_status cm_evals_read(const char *run, cm_evals *e);
/* Writes RUN/evals.csv (atomic): a header of the names, %.9g values
 * (step as an integer, wall_seconds to the millisecond). */
CM_API cm_status cm_evals_write(const char *run, const cm_evals *e);
/* Column of `name`, -1 when absent. */
CM_API int cm_evals_column(const cm_evals *e, const char *name);
/* Value at (row, name), NaN when the column is absent. */
CM_API double cm_evals_get(const cm_evals *e, int row, const char *name);
/* Appends a row: step, wall_seconds, train_loss and the metrics, adding
 * columns for names not seen before (NaN in earlier rows). */
CM_API cm_status cm_evals_append(cm_evals *e, int64_t step, double wall_seconds, double train_loss, const cm_metrics *m);
/* Drops the rows after `step` (a resumed run rewrites its future). */
CM_API void cm_evals_truncate(cm_evals *e, int64_t step);
CM_API void cm_evals_free(cm_evals *e);

/* -------------------------------------------------------------- run.json */

/* run.json, the file a run folder is replayed from (docs/formats.md): its
 * "format" names the kind of run, "seed" is a decimal string (a JSON number
 * would lose 64-bit seeds) and "sets" lists the "key=value" settings in the
 * order they were given, so that applying them again rebuilds the
 * configuration exactly; "stages" records what a resumed run changed. */

/* Reads RUN/run.json (its name into path[4096]) into *root, checking that
 * "format" is `format`, and reads "seed". On success the caller deletes
 * *root (cJSON_Delete); on failure *root is NULL. */
CM_API cm_status cm_run_json_read(const char *run, const char *format, char path[4096], struct cJSON **root,
                           uint64_t *seed);
/* Applies every string of root's "sets" with set(ctx, "key=value"), in
 * order; a failure names path and "sets". An absent "sets" is an error
 * unless `optional`. */
typedef cm_status (*cm_run_json_set_fn)(void *ctx, const char *kv);
CM_API cm_status cm_run_json_replay_sets(const struct cJSON *root, const char *path, int optional, cm_run_json_set_fn set,
                                  void *ctx);
/* Adds "seed" as a decimal string. Returns 0 when out of memory. */
CM_API int cm_run_json_add_seed(struct cJSON *root, uint64_t seed);
/* Writes RUN/run.json atomically and deletes root (also on failure),
 * keeping the "stages" of the file it replaces. `ok` false (a failed cJSON
 * call while building root) is reported as out of memory. */
CM_API cm_status cm_run_json_write(const char *run, struct cJSON *root, int ok);
/* Appends {"step": step, "sets": [...]} to RUN/run.json's "stages". */
CM_API cm_status cm_run_json_add_stage(const char *run, int64_t step, const char *const *sets, int n);
/* Whether the key of "key=value" (or a bare key) is one of keys[n]: what a
 * model's "may this --set start a new stage" test asks. */
CM_API int cm_run_set_key_in(const char *key_value, const char *const *keys, int n);
/* The "model" of RUN/run.json ("grid" when it has none: grid-cell runs
 * predate the key) into model[size]; CM_ERR_IO / CM_ERR_FORMAT when the
 * file cannot be read. */
CM_API cm_status cm_run_model(const char *run, char *model, size_t size);

/* ======================================================== grid-cell runs */

/* Everything that defines a grid-cell run besides its seed's streams: the
 * network (models.h preset + overrides), the target ensembles, the data.
 * Stored as <run>/run.json as the preset name plus the overrides in order, so
 * that reading it replays exactly how the run was configured. */
#define CM_GRID_MAX_SETS 32
typedef struct cm_grid_run_config {
    char preset[32];          /* ssmpc, banino, sorscher, sorscher-512 */
    cm_pathint_config net;
    char cells[32];           /* place/HD ensembles preset of the cells module */
    char arena[32];           /* world arena preset of on-the-fly paths */
    char motion[32];          /* world motion preset */
    float motion_scale;       /* lengths of the motion model times this */
    char data[4096];          /* SSM-PC dataset root, "" for on-the-fly paths */
    int eval_batches;         /* batches per periodic evaluation */
    /* Place-cell overrides of the `cells` ensemble (0 / -1: the preset's):
     * field width sigma (world units), difference-of-softmaxes targets
     * (Sorscher's DoG) on or off, the surround's width ratio and the DoG's
     * softmax temperature (cells.h dog_temperature). Centres stay the
     * preset's draws; place_count > 0 draws that many from its seed instead
     * (cm_place_cells_preset_sized), and the read-out follows. */
    float place_sigma;
    int place_dog;
    float surround_scale;
    float dog_temperature;
    int place_count;
    /* A larger arena at the same grid period: the box or box15 arena, the
     * place-cell range (round(n scale^2) cells, the same density, width and
     * seed) and the evaluation maps (round(nbins scale) bins, the same bin
     * size) all `arena_scale` times larger; motion unchanged. */
    float arena_scale;
    int maze_count;           /* motion "maze": layouts generated from the seed (256) */
    /* Learning-rate schedule over optimiser steps (the nn module's cm_sched):
     * lr0 (net's optim.lr) until lr_decay_start, then CM_SCHED_COSINE down to
     * lr_min over lr_decay_steps steps and lr_min after, or CM_SCHED_STEP
     * (times lr_gamma every lr_decay_steps steps). A pure function of the
     * step, so resumed runs follow it exactly. CM_SCHED_CONSTANT: off. */
    cm_sched_kind lr_schedule;
    int64_t lr_decay_start, lr_decay_steps;
    double lr_min, lr_gamma;
    uint64_t seed;
    int n_sets;
    char sets[CM_GRID_MAX_SETS][128]; /* "key=value" overrides, in order */
} cm_grid_run_config;

/* Preset defaults; CM_ERR_ARG for an unknown preset. */
CM_API cm_status cm_grid_run_config_init(cm_grid_run_config *c, const char *preset, uint64_t seed);
/* Applies one "key=value" override (docs/cli.md lists the keys) and records it. */
CM_API cm_status cm_grid_run_config_set(cm_grid_run_config *c, const char *key_value);
CM_API cm_status cm_grid_run_config_write(const cm_grid_run_config *c, const char *run);
CM_API cm_status cm_grid_run_config_read(cm_grid_run_config *c, const char *run);
/* The run's evaluation maps (analysis.h): SSM-PC's 40 x 40 over [0, 15]^2
 * for ssmpc cells, DeepMind's 20 x 20 over the box otherwise, both scaled
 * with arena_scale. */
CM_API void cm_grid_run_map(const cm_grid_run_config *c, cm_grid_map_spec *m);
/* The learning rate of optimiser step `step` (0-based) under the schedule. */
CM_API double cm_grid_run_lr(const cm_grid_run_config *c, int64_t step);

/* On-the-fly paths: the world module's motion model in one of its arenas,
 * each path from its own rng (cm_grid_path_fn). */
typedef struct cm_grid_world {
    cm_arena arena;
    cm_motion motion;
    /* motion "maze": Memory-Maze layouts (15 x 15 grid units, the box15
     * range), each path in one of them, driven by the world module's exploring
     * policy (cm_maze_policy, action noise 0.1); n_mazes == 0 otherwise. */
    int n_mazes;
    cm_maze_env *mazes;
} cm_grid_world;

CM_API cm_status cm_grid_world_init(cm_grid_world *w, const cm_grid_run_config *c);
CM_API void cm_grid_world_free(cm_grid_world *w);
CM_API void cm_grid_world_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);

/* A path-integration network with its target ensembles, its optimiser and
 * the stream its training forwards draw dropout masks from. Target codes
 * are computed here from a batch's positions and headings, into buffers
 * allocated once. */
typedef struct cm_grid_net {
    cm_pathint *m;
    cm_pathint_state *s;         /* the run's batch shape */
    cm_pathint_state **shards;   /* [n_shards] the shards' shapes, each made at its first use */
    int n_shards;
    cm_optim optim;
    cm_rng dropout, dropout_next; /* at the step's start; after its forwards */
    cm_place_cells pc;
    cm_hd_cells hd;
    int top_k; /* position decoding: 0 softmax-weighted centres (SSM-PC), 3 Sorscher's */
    int batch, steps;
    float *init_place, *init_hd, *place, *hd_t, *logits;
} cm_grid_net;

/* Fresh weights from stream 0 of the run's seed, dropout from stream 1. */
CM_API cm_status cm_grid_net_create(const cm_grid_run_config *c, cm_grid_net **out);
CM_API void cm_grid_net_free(cm_grid_net *n);
/* Training forward and backward of shard `shard` of `n_shards` of a batch
 * (rows split evenly), ACCUMULATING into `grad` (a block laid out as the
 * parameters); *loss_sum: the shard's share of the batch loss, *weight its
 * share of the rows. No backward after a non-finite loss. */
CM_API cm_status cm_grid_net_gradient(cm_grid_net *n, const cm_grid_batch *b, int shard, int n_shards, float *grad,
                               double *loss_sum, double *weight);
/* Clipping and the optimiser step from `grad`; the dropout stream moves on. */
CM_API void cm_grid_net_update(cm_grid_net *n, float *grad);
/* Evaluation forward of one batch (no dropout), a cm_grid_forward_fn:
 * units [B, T, U] (bottleneck) and decoded [B, T, 2] may be NULL. */
CM_API cm_status cm_grid_net_forward(void *net, const cm_grid_batch *b, float *units, float *decoded, double *loss);
/* The network's checkpoint files in a folder: model.safetensors and
 * config.json (cm_pathint_save), optimizer.safetensors
 * (cm_pathint_optim_save). Loading checks everything first and leaves the
 * network untouched on error. */
CM_API cm_status cm_grid_net_save(const cm_grid_net *n, const char *dir);
CM_API cm_status cm_grid_net_load(cm_grid_net *n, const char *dir);

/* Rank for `--best goal` (ctx: a cm_grid_goal): nearest to both goals at
 * once, -min(grid_fraction / fraction, error / decoding_error): the share
 * of the harder goal met, negated (lower is better). */
typedef struct cm_grid_goal {
    double fraction, error;
} cm_grid_goal;
CM_API double cm_grid_goal_rank(void *ctx, const cm_metrics *m);

/* A grid-cell training job: the run's network, its data sources (on-the-fly
 * paths, or an SSM-PC dataset's train and validation splits) and the
 * gridness scorer of its periodic evaluations. Metrics: eval_loss (lower),
 * decoding_error (lower, world units), grid_fraction (higher: share of
 * units with score60 > 0.3). */
typedef struct cm_grid_job cm_grid_job;
CM_API cm_status cm_grid_job_create(const cm_grid_run_config *c, cm_grid_job **out);
CM_API void cm_grid_job_free(cm_grid_job *j);
CM_API extern const cm_train_job_ops cm_grid_job_ops;
CM_API const cm_grid_run_config *cm_grid_job_config(const cm_grid_job *j);
CM_API cm_grid_net *cm_grid_job_net(cm_grid_job *j);
/* Where evaluation batches come from: fresh paths, or the validation split. */
CM_API cm_grid_source *cm_grid_job_eval_source(cm_grid_job *j);

/* ------------------------------------------------ grid-cell evaluation */

/* One evaluation forward of a batch, no dropout: units [B, T, U] and
 * decoded positions [B, T, 2] (either may be NULL), *loss. */
typedef cm_status (*cm_grid_forward_fn)(void *model, const cm_grid_batch *b, float *units, float *decoded,
                                        double *loss);

/* A network evaluated on fresh trajectories: every unit's rate map, SAC and
 * gridness, and the position-decoding error (ssm-pc.md §4.2, §5). */
typedef struct cm_grid_evaluation {
    int units, nbins, sac_size;
    double lo, hi;                /* arena range of the maps (world units) */
    int64_t samples;
    double decoding_error;        /* mean over samples with t >= 1, world units */
    /* [steps] the mean decoding error at each step along the paths (target
     * frame t + 1): how fast the estimate drifts. A network that reads its
     * start but does not path-integrate is accurate at t = 0 and at chance a
     * few steps later, which the mean alone hides. */
    double *decoding_error_by_step;
    double grid_fraction;         /* share of units with score60 > 0.3 */
    double *maps;                 /* [units, nbins, nbins] (x, y), NaN unvisited */
    double *sacs;                 /* [units, sac_size, sac_size] */
    cm_gridness_result *results;  /* [units] */
    int n_paths, steps;           /* example paths for figures */
    float *true_paths, *decoded_paths; /* [n_paths, steps + 1, 2], frame 0 the start */
    int ssmpc_masks;              /* the scorer's rings: SSM-PC's (1) or DeepMind's (0) */
    double grid_periods_across;   /* median map width / spacing of the grid-like units (NaN: none) */
    /* The time-shift shuffle test (cm_gridness_shuffle_timeshift), when shuffles > 0:
     * per-unit 95th / 99th percentiles of the null score60 [units], the shares of
     * units above them, and the smallest shift used (samples). NULL / NaN otherwise. */
    int shuffles;
    int64_t min_shift;
    double *shuffle95, *shuffle99;
    double grid_fraction_shuffle, grid_fraction_shuffle99;
} cm_grid_evaluation;

/* Runs batches of `stream` from `src` (indices 0, 1, ...) through `forward`
 * until `samples` samples are seen, accumulating rate maps bin by bin (sums
 * in sample order, so maps equal one binned_statistic over all samples) on
 * the maps of `map` (cm_grid_run_map). With shuffles > 0 it keeps every
 * sample's units and position and runs the time-shift shuffle test on them:
 * the samples path after path, min_shift = max(one path, samples / 50), unit
 * u on stream (0x5348 << 48) + u of the source's seed. `b` is the model's
 * batch, `units` its unit count. progress may be NULL. */
CM_API cm_status cm_grid_evaluate(cm_grid_forward_fn forward, void *model, int units, cm_grid_source *src, cm_grid_batch *b,
                           const cm_grid_map_spec *map, int64_t samples, uint64_t stream, int shuffles,
                           cm_grid_evaluation *ev, cm_progress *progress);
CM_API void cm_grid_evaluation_free(cm_grid_evaluation *ev);

/* One row of a grid-cell run's evals.csv. */
typedef struct cm_grid_eval_row {
    int64_t step;
    double wall_seconds;
    double train_loss;     /* mean over the steps since the previous row */
    double eval_loss;
    double decoding_error; /* mean over every sample but t = 0, world units */
    double grid_fraction;  /* share of units with score60 > 0.3; NaN when not scored */
} cm_grid_eval_row;

/* The evaluation history of a run (out/evals.csv) as grid-cell rows (a
 * column the file lacks reads NaN); *rows cm_alloc'ed. */
CM_API cm_status cm_grid_evals_read(const char *run, cm_grid_eval_row **rows, int *count);

/* The `n` units with the highest score60, best first (units with a NaN
 * score last). */
CM_API void cm_grid_top_units(const cm_grid_evaluation *ev, int n, int *out);

/* A grid-cell run evaluated as `cogmap eval` does: the network of a
 * checkpoint and, with `baseline`, the untrained one (the run's initial
 * weights) on the same fresh trajectories (a stream never used in
 * training), plus the earlier checkpoints of the emergence figure. */
typedef struct cm_grid_eval_opts {
    int64_t samples;        /* 0: the preset's default (192000 ssmpc, 100000 otherwise) */
    const char *checkpoint; /* name under checkpoints/, NULL: the newest step */
    int baseline;           /* also evaluate the untrained network */
    int stages;             /* columns of the emergence figure */
    int shuffles;           /* time-shift shuffles per unit (0: no shuffle test) */
} cm_grid_eval_opts;

typedef struct cm_grid_eval_report {
    char preset[32];
    char checkpoint[4096];
    int64_t steps, samples;
    double wall_seconds;
    double decoding_error, grid_fraction, best_score60;
    double baseline_fraction; /* NaN when not evaluated */
    double fraction_shuffle;  /* share above its own 95th shuffle percentile (NaN: no test) */
    double periods_across;    /* median grid periods across the map (NaN: no grid unit) */
    int units;
    const char *unit_name;    /* "grid units" or "m" */
    /* the data behind the figures */
    cm_grid_evaluation eval, baseline;
    int has_baseline;
    cm_grid_eval_row *rows;   /* the run's evals.csv (n_rows 0: none) */
    int n_rows;
    const cm_grid_evaluation **stages; /* [n_stages] the emergence figure's columns, oldest first */
    int64_t *stage_steps;
    int n_stages;
    int emergence_units[4], n_emergence_units;
    cm_grid_evaluation *stage_evs; /* owned intermediate stages */
    int n_stage_evs;
} cm_grid_eval_report;

/* Evaluates run folder `dir` and writes dir/gridness.csv (one row per
 * bottleneck unit, the `cogmap gridness` CSV) and dir/summary.json;
 * cm_grid_eval_figures draws dir/figures/. progress may be NULL. */
CM_API cm_status cm_grid_eval_run(const char *dir, const cm_grid_eval_opts *o, cm_progress *progress,
                           cm_grid_eval_report *rep);
/* A checkpoint trained elsewhere (FILE.safetensors, PyTorch state-dict
 * names) in the preset's network, scored as a run is (paths of `seed`);
 * outputs into out_dir, nothing written on a bad file. */
CM_API cm_status cm_grid_eval_checkpoint(const char *file, const char *preset, const char *out_dir, uint64_t seed,
                                  const cm_grid_eval_opts *o, cm_progress *progress, cm_grid_eval_report *rep);
CM_API void cm_grid_eval_report_free(cm_grid_eval_report *rep);

/* ============================================================= SMP runs */

/* A training run: the model's configuration, the motion model and the seed,
 * stored as <run>/run.json {"format": "cogmap smp run", "model": "smp", ...}
 * (cogmap eval dispatches on "model"). */
typedef struct cm_smp_run_config {
    cm_smp_config model;
    char motion[32];   /* world motion preset of the paths (sorscher) */
    int eval_batches;  /* batches per periodic evaluation */
    uint64_t seed;
} cm_smp_run_config;

CM_API void cm_smp_run_config_init(cm_smp_run_config *c, uint64_t seed);
/* "key=value" for any cm_smp_config field (slots, embed, hidden1..3, image,
 * batch, seq_len, ae_steps, ae_lr, lr, clip, p_correct, p_write,
 * entropy_target, beta_rate, init_beta, init_gamma, init_pi) or motion,
 * eval_batches. CM_ERR_ARG naming the key for an unknown key or bad value. */
CM_API cm_status cm_smp_run_config_set(cm_smp_run_config *c, const char *key_value);
CM_API cm_status cm_smp_run_config_write(const cm_smp_run_config *c, const char *run);
CM_API cm_status cm_smp_run_config_read(cm_smp_run_config *c, const char *run);
/* Stages: a run resumed with new training settings (a curriculum, e.g.
 * longer paths and rarer corrections once the cells have formed). 1 if the
 * key of "key=value" is one a run may change (batch, seq_len, lr, clip,
 * p_correct, p_write, dropout, entropy_target, beta_rate, motion,
 * eval_batches), 0 otherwise. */
CM_API int cm_smp_run_key_can_change(const char *key_value);
/* Rewrites RUN/run.json with c's settings and appends {"step": step,
 * "sets": [...]} to its "stages" history (atomic). */
CM_API cm_status cm_smp_run_config_restage(const cm_smp_run_config *c, const char *run, int64_t step,
                                    const char *const *sets, int n);
/* 1 if <run>/run.json names an SMP run, 0 otherwise (also when unreadable). */
CM_API int cm_smp_is_run(const char *run);

/* The model with its arena and motion. */
typedef struct cm_smp_session {
    cm_smp_run_config cfg;
    cm_smp *m;
    cm_smp_state *state; /* the run's batch shape (batch x seq_len) */
    cm_arena arena;
    cm_motion motion;
    float *pos, *theta; /* [B, T+1, 2], [B, T+1] paths assembled from a batch */
    int cap_b, cap_t;
} cm_smp_session;

CM_API cm_status cm_smp_session_open(cm_smp_session *s, const cm_smp_run_config *cfg);
CM_API void cm_smp_session_close(cm_smp_session *s);
/* A path of the session's motion model (cm_grid_path_fn, ctx = session). */
CM_API void cm_smp_session_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);
/* Evaluation forward of a batch (a cm_grid_forward_fn, model = session):
 * the batch's paths (init pose + T poses) through cm_smp_run with a
 * correction every 10 steps; units are the RNN states [B, T, 288], the
 * decoded position the P(s|x)-weighted mean of the slots' write positions. */
CM_API cm_status cm_smp_session_forward(void *session, const cm_grid_batch *b, float *units, float *decoded, double *loss);

/* An SMP training job: a session, its data sources and evaluation buffers.
 * Metrics: eval_loss, decoding_error (both lower is better). One shard per
 * step (the slot writes of a step see the whole batch). */
typedef struct cm_smp_job cm_smp_job;
CM_API cm_status cm_smp_job_create(const cm_smp_run_config *c, cm_smp_job **out);
CM_API void cm_smp_job_free(cm_smp_job *j);
CM_API extern const cm_train_job_ops cm_smp_job_ops;
CM_API cm_smp_session *cm_smp_job_session(cm_smp_job *j);

/* ======================================================= activity files */

/* An activity file (docs/formats.md, "Activity files"): positions [N, 2],
 * headings [N] or [N, 1], wall_distances [N, R], activations [N, U],
 * optional ray_angles [R] and group_<name> = [start, end) unit ranges. What
 * `cogmap analyze` classifies and `cogmap eval` writes for an SMP run. */
#define CM_ACTIVITY_MAX_GROUPS 64

typedef struct cm_activity {
    cm_npz z;
    int64_t n;
    int units, rays;
    double *pos, *hd;  /* [n, 2], [n]: converted to double */
    float *dist, *act; /* [n, rays], [n, units]: the file's float32 data or a converted copy */
    int own_dist, own_act;
    int f32; /* positions and headings were float32 */
    cm_unit_group groups[CM_ACTIVITY_MAX_GROUPS]; /* one "all" group when the file names none */
    int n_groups;
} cm_activity;

/* Reads and validates `file` (every shape, dtype, finiteness, group range);
 * on failure `a` holds what was read so far: free it either way. */
CM_API cm_status cm_activity_read(const char *file, cm_activity *a);
CM_API void cm_activity_free(cm_activity *a);

/* Writes a->pos/hd (float64, or float32 when a->f32), dist, act and the
 * groups as group_<name> to an activity file (atomic). */
CM_API cm_status cm_activity_write(const char *path, const cm_activity *a);

/* ============================================ classification reports */

/* Adds a group's counts to a JSON object: units, hd, ego_bvc, allo_bvc,
 * place, border, grid, ego_bvc_with_higher_allo_score, hd_share,
 * ego_bvc_share, allo_bvc_share and primary {class: units}. 0 when out of
 * memory. */
CM_API int cm_class_counts_json(struct cJSON *obj, const cm_class_counts *c);
/* DIR/report.json of `cogmap analyze`: the input, options, thresholds,
 * counts over all units and per group, every unit's scores and classes. */
CM_API cm_status cm_classify_report_write(const char *dir, const char *input, const cm_activity *a,
                                   const cm_classify_opts *o, const cm_classify_result *r);
/* DIR/maps.npz: the maps behind the scores, float32 (docs/formats.md). */
CM_API cm_status cm_classify_maps_write(const char *dir, const cm_classify_result *r);

/* ======================================================= SMP evaluation */

/* The trained model on fresh trajectories (DeepMind's analysis set: 800 x
 * 500 steps, a visual correction every 10), classified as figure 2 does. */
typedef struct cm_smp_eval_opts {
    int trajectories, steps, correct_every;
    int shuffles;   /* per unit, for the pooled thresholds (1000) */
    int place_bins; /* of the P(s|y) maps over the run's arena (16: SMP's 0.14 m in the 2.2 m box) */
} cm_smp_eval_opts;
CM_API void cm_smp_eval_opts_default(cm_smp_eval_opts *o);

typedef struct cm_smp_evaluation {
    cm_activity a;           /* positions, headings, 36 wall distances, activations [N, 288], groups rnn1..3 */
    double loss;             /* mean over the trajectories */
    cm_classify_result cls;  /* every unit's classification */
    int slots, place_bins;
    double *place_maps;      /* [slots, bins, bins] (x, y): mean P(s|y), NaN unvisited */
} cm_smp_evaluation;

/* Trajectories from their own stream of the run's seed; the P(s|y) maps
 * over the session's arena (1 cm beyond its bounds). progress may be NULL;
 * Ctrl-C (cm_interrupted) stops it with CM_ERR_INTERRUPTED. */
CM_API cm_status cm_smp_evaluate(cm_smp_session *s, const cm_smp_eval_opts *o, cm_progress *progress,
                          cm_smp_evaluation *ev);
CM_API void cm_smp_evaluation_free(cm_smp_evaluation *ev);
/* Slots ranked by how peaked their P(s|y) map is (max over mean of the
 * visited bins of maps [S, cells]): the k most place-like into out. */
CM_API void cm_smp_pick_place_slots(const double *maps, int S, int cells, int *out, int k);

/* ----------------------------------------------- figure 3: the HD ring */

/* RNN-1 and the memory as figure 3 needs them (not owned). */
typedef struct cm_smp_hd_net {
    int H, S, D;
    const float *wp, *bp;   /* prediction_rnn_0 w_gates [2 + H, 4H], b_gates [4H] */
    const float *wc, *bc;   /* correction_rnn_0 w_gates [2H, 4H], b_gates [4H] */
    const float *mx;        /* column_context_3 [S, H] */
    const float *written;   /* column_context_3_written [S, H] */
    const float *my;        /* column_context_2 [S, D] */
    float gamma;            /* exp(mmap_0_context_2_query_beta) */
} cm_smp_hd_net;

CM_API void cm_smp_hd_net_of_model(cm_smp_hd_net *net, const cm_smp *m);

typedef struct cm_smp_hd_opts {
    int n_init;        /* random initial states (1000) */
    int settle;        /* steps they run at zero velocity (2000) */
    int max_attractor; /* attractor states kept for the correction runs (64) */
    int corr_steps;    /* steps per visual correction run (200) */
    uint64_t seed;
} cm_smp_hd_opts;
CM_API void cm_smp_hd_opts_default(cm_smp_hd_opts *o);

/* Figure 3's numbers, panel by panel (smp.md §7). PCA space: the first two
 * principal components of the HD units along trajectory A. */
typedef struct cm_smp_hd_result {
    /* summary (figure3.json) */
    int n_hd_units;           /* units with RV length > 0.56 */
    double ring_radius;       /* mean distance of the settled states from their PCA centre */
    double settle_step_norm;  /* mean |x_{t+1} - x_t| over the last settling steps */
    int attractor_states;
    int images, converged_within_10, never_converged;
    double median_convergence; /* steps, over images that converge (NaN: none) */
    /* A-B: velocity integration from written state 8 */
    int H, n_hd;
    int *units;               /* [n_hd] the HD units by preferred direction (all units when < 2 pass) */
    int steps_a;
    double *omega, *true_angle; /* [steps_a] input angular velocity, wrap(cumsum omega - pi) */
    double *activity;         /* [n_hd, steps_a] */
    double *ring_x, *ring_y;  /* [steps_a] the trajectory in PCA space */
    /* C-D: convergence of random states */
    int n_init, settle;
    double step_mean[100], step_q5[100], step_q95[100]; /* |x(t+1) - x(t)| over the first 100 steps */
    double *pc_x, *pc_y;      /* [3, n_init] PCA positions at t = 0, 10 and after settling */
    /* E-F: rotation at omega = -0.16 (rows 0, 1) and +0.16 (rows 2, 3) from settled states 11 and 41 */
    double rot_x[4][51], rot_y[4][51];
    double autocov[50];       /* of every settled state's run at +0.16, by lag */
    /* G-I: visual corrections */
    int n_conv;
    double *conv_steps;       /* [n_conv] steps to converge, sorted, over views that do */
    int examples[3];          /* two fast views and one that never converges (-1: none) */
    int flow_starts, corr_steps;
    double *flow_x, *flow_y;  /* [3, flow_starts, corr_steps + 1] the examples' flows in PCA space */
} cm_smp_hd_result;

/* RNN-1 from random states, under velocity and under the visual corrections
 * of emb [n_img, D] (probe views), with the HD units ordered by rv_angle
 * where rv_len > 0.56 (RNN-1's resultant vectors [H]). progress may be NULL. */
CM_API cm_status cm_smp_hd_dynamics(const cm_smp_hd_net *net, const float *emb, int n_img, const double *rv_angle,
                             const double *rv_len, const cm_smp_hd_opts *o, cm_progress *progress,
                             cm_smp_hd_result *out);
CM_API void cm_smp_hd_dynamics_free(cm_smp_hd_result *d);
/* DIR/figure3.json: the summary numbers. */
CM_API cm_status cm_smp_hd_dynamics_write(const char *dir, const cm_smp_hd_result *d);
/* DIR/rnn1_check.json: the network's first prediction step from panel A's
 * start state at omega = pi/20, and the first view's correction weights and
 * code (smp.md §3.5), to check a conversion against independent values. */
CM_API cm_status cm_smp_rnn1_check_write(const char *dir, const cm_smp_hd_net *net, const float *emb);

/* What figure 3 runs on, from DeepMind's released arrays (DIR/parameters.npz,
 * visual_inputs.npz, hd_stats.npz of scripts/smp-data-to-npz; at most
 * max_images views) or from a cogmap SMP run (its newest checkpoint, probe
 * views rendered at random poses of its arena, RNN-1's resultant vectors
 * from its activity.npz). Every array is checked before anything runs. */
typedef struct cm_smp_fig3_inputs {
    cm_smp_hd_net net;
    const char *source;       /* "released" or "cogmap" */
    int64_t step;             /* the run's checkpoint step (-1: released) */
    int n_img, side;
    float *emb;               /* [n_img, D] */
    const uint8_t *rgb;       /* [n_img, side, side, 3] or NULL (shown in examples only) */
    double *rv_angle, *rv_len; /* [H] */
    /* owned storage */
    float *bufs[7];
    uint8_t *own_rgb;
    cm_npz z[3];
    cm_smp_job *job;
} cm_smp_fig3_inputs;
CM_API cm_status cm_smp_fig3_inputs_load(const char *dir, int max_images, cm_smp_fig3_inputs *in);
CM_API void cm_smp_fig3_inputs_free(cm_smp_fig3_inputs *in);
/* Probe views of a session: n frames rgb [n, image, image, 3] rendered at
 * random poses of the run's "PROBE" stream (0.1 inside its arena), and
 * their embeddings emb [n, embed]. */
CM_API cm_status cm_smp_probe_views(cm_smp_session *s, int n, uint8_t *rgb, float *emb);

/* ----------------------------------------------- figure 2: cell types */

/* What figure 2 reads, from DeepMind's released trajectories.npz (pos, hd,
 * world_distances, rnn1..rnn3, log_ps_given_y) or a cogmap run's
 * activity.npz: an activity with groups[0..2] = rnn1..rnn3. */
typedef struct cm_smp_fig2_data {
    cm_activity a;
    int slots;
    const float *logp; /* [N, slots] log P(s|y), or NULL (a cogmap run's eval drew panel E) */
    const char *source; /* "released" or "cogmap" */
    char file[4096];
} cm_smp_fig2_data;
CM_API cm_status cm_smp_fig2_load(const char *dir, cm_smp_fig2_data *d);
CM_API void cm_smp_fig2_free(cm_smp_fig2_data *d);

/* Panel E: SMP's rate maps (0.14 bins over the data's range) of P(s|y) for
 * the notebook's slots 43, 45, 96, 508, 510, or the most place-like slots of
 * a smaller memory. *maps [slots, nx, ny] cm_alloc'ed; slots[5]. *n_slots 0
 * when the data hold no P(s|y). */
CM_API cm_status cm_smp_fig2_place_maps(const cm_smp_fig2_data *d, double **maps, int *nx, int *ny, int *slots,
                                 int *n_slots);
/* DIR/figure2.json: per RNN the counts and shares, the thresholds and
 * every unit's scores. */
CM_API cm_status cm_smp_fig2_write(const char *dir, const cm_smp_fig2_data *d, const cm_classify_opts *o,
                            const cm_classify_result *r, const int *slots, int n_slots);
/* DIR/celltypes.json of `cogmap eval`: per RNN the counts and shares and the
 * pooled thresholds, and figure 3's summary when f3 is given. */
CM_API cm_status cm_smp_celltypes_write(const char *dir, const cm_smp_evaluation *ev, const cm_smp_hd_result *f3);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_RUN_H */
