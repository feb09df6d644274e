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

void cm_metrics_clear(cm_metrics *m);
/* Sets (or adds) metric `name`. CM_ERR_ARG for an empty name, one with a
 * comma or newline, one too long, or a full set. */
cm_status cm_metrics_set(cm_metrics *m, const char *name, double value, cm_metric_better better);
/* Index of `name`, -1 when absent. */
int cm_metrics_find(const cm_metrics *m, const char *name);
/* Value of `name`, NaN when absent. */
double cm_metrics_get(const cm_metrics *m, const char *name);

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
} cm_train_state;

/* Step 0, no best yet. */
void cm_train_state_init(cm_train_state *s);

/* Trains from `state` (cm_train_state_init for a fresh run, or loaded by
 * cm_train_resume) until the step or time limit, the user's Ctrl-C (polled
 * with cm_interrupted between steps: saves, CM_ERR_INTERRUPTED) or a
 * non-finite loss (CM_ERR_NUMERIC naming the step; the last good checkpoint
 * stays). Each step: zero the gradient block, gradient() of every shard,
 * update(). Evaluations every eval_every steps and at the end append a row
 * to out/evals.csv (step, wall_seconds, train_loss: the mean since the
 * previous row, then the job's metrics); checkpoints go under
 * out/checkpoints/. progress may be NULL (silent). */
cm_status cm_train_run(const cm_train_config *cfg, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                       cm_progress *progress);

/* ---------------------------------------------------------- checkpoints */

/* Saves a checkpoint folder (the job's files, then state.json) atomically:
 * written beside its final name and renamed into place. */
cm_status cm_train_checkpoint_save(const char *dir, const cm_train_job_ops *ops, void *job,
                                   const cm_train_state *state, uint64_t seed);
/* Loads one checkpoint folder, or the newest under <run>/checkpoints when
 * `path` is a run folder. seed and loaded (size >= 4096, the folder used)
 * may be NULL. */
cm_status cm_train_checkpoint_load(const char *path, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                                   uint64_t *seed, char *loaded);
/* cm_train_checkpoint_load of run folder `run`'s newest checkpoint, refusing
 * one whose seed is not `run_seed` (it would silently change the data). */
cm_status cm_train_resume(const char *run, const cm_train_job_ops *ops, void *job, uint64_t run_seed,
                          cm_train_state *state, char loaded[4096]);
/* Removes the run's step_* checkpoints older than the `keep` newest, except
 * the milestones: steps milestone_base * 2^k (k >= 0), kept for figures of
 * log-spaced stages of training (0: no milestones). */
cm_status cm_train_checkpoint_prune(const char *run, int keep, int64_t milestone_base);
/* The step_* checkpoints of a run, oldest first: steps [count] (cm_alloc'ed). */
cm_status cm_train_checkpoint_list(const char *run, int64_t **steps, int *count);

/* ------------------------------------------------------------- evals.csv */

/* A run's evaluation history as a table: named columns (step and
 * wall_seconds first), one row per evaluation. */
typedef struct cm_evals {
    int n_cols, n_rows, cap_rows;
    char (*names)[CM_METRIC_NAME]; /* [n_cols] */
    double *values;                /* [n_rows, n_cols]; NaN where a row has no value */
} cm_evals;

/* Reads RUN/evals.csv; CM_ERR_FORMAT naming the line for a malformed one. */
cm_status cm_evals_read(const char *run, cm_evals *e);
/* Writes RUN/evals.csv (atomic): a header of the names, %.9g values
 * (step as an integer, wall_seconds to the millisecond). */
cm_status cm_evals_write(const char *run, const cm_evals *e);
/* Column of `name`, -1 when absent. */
int cm_evals_column(const cm_evals *e, const char *name);
/* Value at (row, name), NaN when the column is absent. */
double cm_evals_get(const cm_evals *e, int row, const char *name);
/* Appends a row: step, wall_seconds, train_loss and the metrics, adding
 * columns for names not seen before (NaN in earlier rows). */
cm_status cm_evals_append(cm_evals *e, int64_t step, double wall_seconds, double train_loss, const cm_metrics *m);
/* Drops the rows after `step` (a resumed run rewrites its future). */
void cm_evals_truncate(cm_evals *e, int64_t step);
void cm_evals_free(cm_evals *e);

/* -------------------------------------------------------------- run.json */

/* run.json, the file a run folder is replayed from (docs/formats.md): its
 * "format" names the kind of run, "seed" is a decimal string (a JSON number
 * would lose 64-bit seeds) and "sets" lists the "key=value" settings in the
 * order they were given, so that applying them again rebuilds the
 * configuration exactly; "stages" records what a resumed run changed. */

/* Reads RUN/run.json (its name into path[4096]) into *root, checking that
 * "format" is `format`, and reads "seed". On success the caller deletes
 * *root (cJSON_Delete); on failure *root is NULL. */
cm_status cm_run_json_read(const char *run, const char *format, char path[4096], struct cJSON **root,
                           uint64_t *seed);
/* Applies every string of root's "sets" with set(ctx, "key=value"), in
 * order; a failure names path and "sets". An absent "sets" is an error
 * unless `optional`. */
typedef cm_status (*cm_run_json_set_fn)(void *ctx, const char *kv);
cm_status cm_run_json_replay_sets(const struct cJSON *root, const char *path, int optional, cm_run_json_set_fn set,
                                  void *ctx);
/* Adds "seed" as a decimal string. Returns 0 when out of memory. */
int cm_run_json_add_seed(struct cJSON *root, uint64_t seed);
/* Writes RUN/run.json atomically and deletes root (also on failure),
 * keeping the "stages" of the file it replaces. `ok` false (a failed cJSON
 * call while building root) is reported as out of memory. */
cm_status cm_run_json_write(const char *run, struct cJSON *root, int ok);
/* Appends {"step": step, "sets": [...]} to RUN/run.json's "stages". */
cm_status cm_run_json_add_stage(const char *run, int64_t step, const char *const *sets, int n);
/* The "model" of RUN/run.json ("grid" when it has none: grid-cell runs
 * predate the key) into model[size]; CM_ERR_IO / CM_ERR_FORMAT when the
 * file cannot be read. */
cm_status cm_run_model(const char *run, char *model, size_t size);

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
     * (Sorscher's DoG) on or off, and the surround's width ratio. Centres stay
     * the preset's draws. */
    float place_sigma;
    int place_dog;
    float surround_scale;
    uint64_t seed;
    int n_sets;
    char sets[CM_GRID_MAX_SETS][128]; /* "key=value" overrides, in order */
} cm_grid_run_config;

/* Preset defaults; CM_ERR_ARG for an unknown preset. */
cm_status cm_grid_run_config_init(cm_grid_run_config *c, const char *preset, uint64_t seed);
/* Applies one "key=value" override (docs/cli.md lists the keys) and records it. */
cm_status cm_grid_run_config_set(cm_grid_run_config *c, const char *key_value);
cm_status cm_grid_run_config_write(const cm_grid_run_config *c, const char *run);
cm_status cm_grid_run_config_read(cm_grid_run_config *c, const char *run);

/* On-the-fly paths: the world module's motion model in one of its arenas,
 * each path from its own rng (cm_grid_path_fn). */
typedef struct cm_grid_world {
    cm_arena arena;
    cm_motion motion;
} cm_grid_world;

cm_status cm_grid_world_init(cm_grid_world *w, const cm_grid_run_config *c);
void cm_grid_world_free(cm_grid_world *w);
void cm_grid_world_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);

/* A path-integration network with its target ensembles, its optimiser and
 * the stream its training forwards draw dropout masks from. Target codes
 * are computed here from a batch's positions and headings, into buffers
 * allocated once. */
typedef struct cm_grid_net {
    cm_pathint *m;
    cm_pathint_state *s;         /* the run's batch shape */
    cm_pathint_state **shards;   /* [n_shards] the shards' shapes, made at the first split */
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
cm_status cm_grid_net_create(const cm_grid_run_config *c, cm_grid_net **out);
void cm_grid_net_free(cm_grid_net *n);
/* Training forward and backward of shard `shard` of `n_shards` of a batch
 * (rows split evenly), ACCUMULATING into `grad` (a block laid out as the
 * parameters); *loss_sum: the shard's share of the batch loss, *weight its
 * share of the rows. No backward after a non-finite loss. */
cm_status cm_grid_net_gradient(cm_grid_net *n, const cm_grid_batch *b, int shard, int n_shards, float *grad,
                               double *loss_sum, double *weight);
/* Clipping and the optimiser step from `grad`; the dropout stream moves on. */
void cm_grid_net_update(cm_grid_net *n, float *grad);
/* Evaluation forward of one batch (no dropout), a cm_grid_forward_fn:
 * units [B, T, U] (bottleneck) and decoded [B, T, 2] may be NULL. */
cm_status cm_grid_net_forward(void *net, const cm_grid_batch *b, float *units, float *decoded, double *loss);
/* The network's checkpoint files in a folder: model.safetensors and
 * config.json (cm_pathint_save), optimizer.safetensors
 * (cm_pathint_optim_save). Loading checks everything first and leaves the
 * network untouched on error. */
cm_status cm_grid_net_save(const cm_grid_net *n, const char *dir);
cm_status cm_grid_net_load(cm_grid_net *n, const char *dir);

/* Rank for `--best goal` (ctx: a cm_grid_goal): nearest to both goals at
 * once, -min(grid_fraction / fraction, error / decoding_error): the share
 * of the harder goal met, negated (lower is better). */
typedef struct cm_grid_goal {
    double fraction, error;
} cm_grid_goal;
double cm_grid_goal_rank(void *ctx, const cm_metrics *m);

/* A grid-cell training job: the run's network, its data sources (on-the-fly
 * paths, or an SSM-PC dataset's train and validation splits) and the
 * gridness scorer of its periodic evaluations. Metrics: eval_loss (lower),
 * decoding_error (lower, world units), grid_fraction (higher: share of
 * units with score60 > 0.3). */
typedef struct cm_grid_job cm_grid_job;
cm_status cm_grid_job_create(const cm_grid_run_config *c, cm_grid_job **out);
void cm_grid_job_free(cm_grid_job *j);
extern const cm_train_job_ops cm_grid_job_ops;
const cm_grid_run_config *cm_grid_job_config(const cm_grid_job *j);
cm_grid_net *cm_grid_job_net(cm_grid_job *j);
/* Where evaluation batches come from: fresh paths, or the validation split. */
cm_grid_source *cm_grid_job_eval_source(cm_grid_job *j);

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
    double grid_fraction;         /* share of units with score60 > 0.3 */
    double *maps;                 /* [units, nbins, nbins] (x, y), NaN unvisited */
    double *sacs;                 /* [units, sac_size, sac_size] */
    cm_gridness_result *results;  /* [units] */
    int n_paths, steps;           /* example paths for figures */
    float *true_paths, *decoded_paths; /* [n_paths, steps + 1, 2], frame 0 the start */
} cm_grid_evaluation;

/* Runs batches of `stream` from `src` (indices 0, 1, ...) through `forward`
 * until `samples` samples are seen, accumulating rate maps bin by bin (sums
 * in sample order, so maps equal one binned_statistic over all samples).
 * `b` is the model's batch, `units` its unit count. progress may be NULL. */
cm_status cm_grid_evaluate(cm_grid_forward_fn forward, void *model, int units, cm_grid_source *src, cm_grid_batch *b,
                           const char *cells, int64_t samples, uint64_t stream, cm_grid_evaluation *ev,
                           cm_progress *progress);
void cm_grid_evaluation_free(cm_grid_evaluation *ev);

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
cm_status cm_grid_evals_read(const char *run, cm_grid_eval_row **rows, int *count);

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

void cm_smp_run_config_init(cm_smp_run_config *c, uint64_t seed);
/* "key=value" for any cm_smp_config field (slots, embed, hidden1..3, image,
 * batch, seq_len, ae_steps, ae_lr, lr, clip, p_correct, p_write,
 * entropy_target, beta_rate, init_beta, init_gamma, init_pi) or motion,
 * eval_batches. CM_ERR_ARG naming the key for an unknown key or bad value. */
cm_status cm_smp_run_config_set(cm_smp_run_config *c, const char *key_value);
cm_status cm_smp_run_config_write(const cm_smp_run_config *c, const char *run);
cm_status cm_smp_run_config_read(cm_smp_run_config *c, const char *run);
/* Stages: a run resumed with new training settings (a curriculum, e.g.
 * longer paths and rarer corrections once the cells have formed). 1 if the
 * key of "key=value" is one a run may change (batch, seq_len, lr, clip,
 * p_correct, p_write, dropout, entropy_target, beta_rate, motion,
 * eval_batches), 0 otherwise. */
int cm_smp_run_key_can_change(const char *key_value);
/* Rewrites RUN/run.json with c's settings and appends {"step": step,
 * "sets": [...]} to its "stages" history (atomic). */
cm_status cm_smp_run_config_restage(const cm_smp_run_config *c, const char *run, int64_t step,
                                    const char *const *sets, int n);
/* 1 if <run>/run.json names an SMP run, 0 otherwise (also when unreadable). */
int cm_smp_is_run(const char *run);

/* The model with its arena and motion. */
typedef struct cm_smp_session {
    cm_smp_run_config cfg;
    cm_smp *m;
    cm_arena arena;
    cm_motion motion;
    float *pos, *theta; /* [B, T+1, 2], [B, T+1] paths assembled from a batch */
    int cap_b, cap_t;
} cm_smp_session;

cm_status cm_smp_session_open(cm_smp_session *s, const cm_smp_run_config *cfg);
void cm_smp_session_close(cm_smp_session *s);
/* A path of the session's motion model (cm_grid_path_fn, ctx = session). */
void cm_smp_session_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);
/* Evaluation forward of a batch (a cm_grid_forward_fn, model = session):
 * the batch's paths (init pose + T poses) through cm_smp_run with a
 * correction every 10 steps; units are the RNN states [B, T, 288], the
 * decoded position the P(s|x)-weighted mean of the slots' write positions. */
cm_status cm_smp_session_forward(void *session, const cm_grid_batch *b, float *units, float *decoded, double *loss);

/* An SMP training job: a session, its data sources and evaluation buffers.
 * Metrics: eval_loss, decoding_error (both lower is better). One shard per
 * step (the slot writes of a step see the whole batch). */
typedef struct cm_smp_job cm_smp_job;
cm_status cm_smp_job_create(const cm_smp_run_config *c, cm_smp_job **out);
void cm_smp_job_free(cm_smp_job *j);
extern const cm_train_job_ops cm_smp_job_ops;
cm_smp_session *cm_smp_job_session(cm_smp_job *j);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_RUN_H */
