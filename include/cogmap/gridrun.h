/* cogmap/gridrun.h — grid-cell runs end to end: the data a path-integration
 * network is trained on (on-the-fly rat trajectories or SSM-PC dataset
 * folders), converted to each preset's inputs; and the animated GIF writer
 * used by `cogmap eval` for the emergence figure.
 *
 * Path convention. A batch element is a path of steps+1 frames (pos, theta):
 * frame 0 is where the network's initial state is encoded (init_pos,
 * init_hd), frames 1..steps are the targets, and input t is the motion from
 * frame t-1 to frame t. SSM-PC's convention (target 0 = the initial position,
 * v_0 = 0, ssm-pc.md §3.3/§4.2) is the special case of a path whose first two
 * frames are equal; the dataset reader builds its windows that way.
 */
#ifndef COGMAP_GRIDRUN_H
#define COGMAP_GRIDRUN_H

#include "cogmap/base.h"
#include "cogmap/cells.h"
#include "cogmap/models.h"
#include "cogmap/world.h"
#include "cogmap/analysis.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ----------------------------------------------------------- input codes */

typedef enum cm_grid_input {
    CM_GRID_INPUT_VXVYW = 0,   /* ssmpc:    [vx, vy, w]: backward differences per step */
    CM_GRID_INPUT_VCOSSIN = 1, /* banino:   [v, cos w, sin w] (jtoy order, grid-cells.md §10) */
    CM_GRID_INPUT_DXDY = 2     /* sorscher: [dx, dy], Cartesian displacement per step */
} cm_grid_input;

/* The input code of a preset name ("ssmpc", "banino", "sorscher"). */
cm_status cm_grid_input_of_preset(const char *preset, cm_grid_input *out);
int cm_grid_input_dim(cm_grid_input kind); /* 3, 3, 2 */

/* pos [steps+1, 2], theta [steps+1] -> inputs [steps, dim]. Displacements are
 * in world units per step; w = wrap(theta_t - theta_{t-1}) in (-pi, pi]
 * (unwrapped difference); v = |p_t - p_{t-1}|. */
void cm_grid_path_inputs(cm_grid_input kind, const float *pos, const float *theta, int steps, float *inputs);

/* Wraps an angle into (-pi, pi]. */
float cm_grid_wrap_angle(float a);

/* ------------------------------------------------- SSM-PC dataset folders */

typedef enum cm_grid_split { CM_SPLIT_TRAIN = 0, CM_SPLIT_VAL = 1, CM_SPLIT_TEST = 2 } cm_grid_split;

/* The windows of one split of an SSM-PC grid-cell dataset (ssm-pc.md §3.3):
 * folders D*_P* under root, sorted by name, the first 70% train, the next 15%
 * validation, the rest test; of each only <folder>/000000/frame_info.json
 * (new schema: frame_id, agent_state.position, agent_state.rotation) is read.
 * Frames are sorted by frame_id and cut into maximal runs of consecutive ids;
 * every window of `window` consecutive frames (stride 1) of a run is a sample. */
typedef struct cm_grid_dataset {
    int window;
    int n_folders;       /* folders in this split */
    int64_t n_frames;
    float *pos;          /* [n_frames, 2] frames of every run, run after run */
    float *theta;        /* [n_frames] */
    int64_t n_windows;
    int64_t *starts;     /* [n_windows] index of each window's first frame */
} cm_grid_dataset;

cm_status cm_grid_dataset_open(cm_grid_dataset *ds, const char *root, cm_grid_split split, int window);
/* Window w as a path of window+1 frames in the convention above: frame 0 is
 * the window's first frame repeated, so input 0 is zero and target 0 is the
 * initial position, as in SSM-PC. pos [window+1, 2], theta [window+1]. */
void cm_grid_dataset_path(const cm_grid_dataset *ds, int64_t w, float *pos, float *theta);
void cm_grid_dataset_free(cm_grid_dataset *ds);

/* Reads one frame_info.json (new schema) into frames sorted by frame_id:
 * *ids [n], *pos [n, 2], *theta [n], all cm_alloc'ed. For tests and tools. */
cm_status cm_grid_frames_read(const char *path, int64_t **ids, float **pos, float **theta, int64_t *n);

/* --------------------------------------------------------------- batches */

/* One batch in the path convention above, batch-major (PyTorch batch_first). */
typedef struct cm_grid_batch {
    int batch, steps, in_dim;
    float *init_pos;   /* [B, 2] frame 0 */
    float *init_theta; /* [B] */
    float *inputs;     /* [B, T, in_dim] motion from frame t to t+1 */
    float *pos;        /* [B, T, 2] target positions: frames 1..T */
    float *theta;      /* [B, T] target headings */
} cm_grid_batch;

cm_status cm_grid_batch_alloc(cm_grid_batch *b, int batch, int steps, int in_dim);
void cm_grid_batch_free(cm_grid_batch *b);

/* ---------------------------------------------------------- data sources */

/* Draws one path of steps+1 frames (pos [steps+1, 2], theta [steps+1]) from
 * `rng` alone, so that a path is a pure function of its rng stream. The rat
 * model of the world module is the one the CLI plugs in. */
typedef void (*cm_grid_path_fn)(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);

/* Where batches come from. A batch is a pure function of (seed, stream,
 * index): stream 0 is training (index = optimiser step), stream 1 the
 * periodic evaluation, stream 2 the final evaluation. Resuming at step k is
 * therefore exact by construction: the generator's whole state is k. */
typedef struct cm_grid_source {
    cm_grid_input input;
    int steps;
    uint64_t seed;
    cm_grid_path_fn path_fn; /* on-the-fly paths ... */
    void *path_ctx;
    const cm_grid_dataset *dataset; /* ... or dataset windows (not owned) */
    int64_t *perm;                  /* [n_windows] window order of epoch perm_epoch */
    int64_t perm_epoch;
    uint64_t perm_stream;
    float *pos, *theta; /* one path */
} cm_grid_source;

cm_status cm_grid_source_init_paths(cm_grid_source *s, cm_grid_input input, int steps, uint64_t seed,
                                    cm_grid_path_fn fn, void *ctx);
/* Each epoch visits the windows in a fresh shuffled order (seeded), batch
 * after batch, dropping the last partial batch (drop_last). */
cm_status cm_grid_source_init_dataset(cm_grid_source *s, cm_grid_input input, const cm_grid_dataset *ds,
                                      uint64_t seed);
/* Fills batch `index` of `stream` into b (b->steps must match the source). */
cm_status cm_grid_source_fill(cm_grid_source *s, uint64_t stream, int64_t index, cm_grid_batch *b);
void cm_grid_source_free(cm_grid_source *s);

/* ------------------------------------------------------------- the model */

/* What the trainer needs from a path-integration network. The models
 * module's networks (presets ssmpc, banino, sorscher) are adapted to this in
 * grid_model.c; tests plug in small stand-ins. */
typedef struct cm_grid_model_ops {
    int (*units)(void *model); /* bottleneck units scored for gridness */
    /* One optimisation step: forward with dropout drawn from `rng`, loss,
     * backward, clipping, update. *loss: the training loss; *err: mean
     * position-decoding error over the batch, world units. */
    cm_status (*train_step)(void *model, const cm_grid_batch *b, cm_rng *rng, double *loss, double *err);
    /* Evaluation forward (no dropout). units [B, T, U] and decoded [B, T, 2]
     * may be NULL; *loss gets the loss. */
    cm_status (*evaluate)(void *model, const cm_grid_batch *b, float *units, float *decoded, double *loss);
    /* Parameters (model.safetensors, PyTorch state-dict names) and optimiser
     * state (optimizer.safetensors) into / from a folder. */
    cm_status (*save)(void *model, const char *dir);
    cm_status (*load)(void *model, const char *dir);
} cm_grid_model_ops;

/* ---------------------------------------------------------------- training */

typedef struct cm_grid_eval_row {
    int64_t step;
    double wall_seconds;
    double train_loss;     /* mean over the steps since the previous row */
    double eval_loss;
    double decoding_error; /* mean over every sample but t = 0, world units */
    double grid_fraction;  /* share of units with score60 > 0.3; NaN when not scored */
} cm_grid_eval_row;

/* Optional scorer for periodic evaluations: gets the units [n, U] and positions
 * [n, 2] of the evaluation batches and returns the grid fraction. */
typedef cm_status (*cm_grid_score_fn)(void *ctx, const float *units, const float *pos, int64_t n, int n_units,
                                      double *grid_fraction);

typedef struct cm_grid_train_config {
    const char *out;           /* run folder */
    int batch;                 /* paths per batch */
    int64_t steps;             /* total optimiser steps to reach (0: no limit) */
    double minutes;            /* total wall-clock budget, resumed runs included (0: none) */
    int64_t eval_every;        /* steps between evaluations (0: only at the end) */
    int64_t checkpoint_every;  /* steps between checkpoints (0: at every evaluation) */
    int keep;                  /* most recent checkpoints kept besides best (>= 1) */
    int eval_batches;          /* batches per periodic evaluation */
    int best_by_grid;          /* best = highest grid fraction (else lowest eval loss) */
    /* Best = nearest to both goals at once (overrides best_by_grid when
     * goal_fraction > 0): the highest min(grid_fraction / goal_fraction,
     * goal_error / decoding_error), i.e. the share of the harder goal met;
     * >= 1 means both are. */
    double goal_fraction, goal_error;
    uint64_t seed;
    cm_grid_score_fn score;    /* may be NULL */
    void *score_ctx;
} cm_grid_train_config;

/* Where a run stands: what state.json of a checkpoint holds. */
typedef struct cm_grid_run_state {
    int64_t step;
    double wall_seconds;
    double last_loss, last_error;
    double best_value;
    int64_t best_step; /* -1: none yet */
} cm_grid_run_state;

/* Trains from `state` (zeroed for a fresh run, or loaded by
 * cm_grid_checkpoint_load) until the step or time limit, the user's Ctrl-C
 * (saves, CM_ERR_INTERRUPTED) or a non-finite loss (CM_ERR_NUMERIC naming the
 * step; the last good checkpoint stays). Writes checkpoints under
 * out/checkpoints/ and the evaluation history to out/evals.csv. */
cm_status cm_grid_train(const cm_grid_train_config *cfg, const cm_grid_model_ops *ops, void *model,
                        cm_grid_source *train, cm_grid_source *eval, cm_grid_run_state *state, cm_progress *progress);

/* Saves a checkpoint folder (model, optimiser, state.json) atomically: written
 * beside its final name and renamed into place. */
cm_status cm_grid_checkpoint_save(const char *dir, const cm_grid_model_ops *ops, void *model,
                                  const cm_grid_run_state *state, uint64_t seed);
/* Loads one checkpoint folder, or the newest under <run>/checkpoints when
 * `path` is a run folder. `loaded` (may be NULL, size >= 4096) gets the folder used. */
cm_status cm_grid_checkpoint_load(const char *path, const cm_grid_model_ops *ops, void *model,
                                  cm_grid_run_state *state, uint64_t *seed, char *loaded);
/* Removes the run's step_* checkpoints older than the `keep` newest, except
 * the milestones: steps milestone_base * 2^k (k >= 0), kept for the emergence
 * figure at log-spaced stages of training (0: no milestones). */
cm_status cm_grid_checkpoint_prune(const char *run, int keep, int64_t milestone_base);
/* The checkpoints of a run, oldest first: steps [count] (cm_alloc'ed). */
cm_status cm_grid_checkpoint_list(const char *run, int64_t **steps, int *count);

/* The evaluation history of a run (out/evals.csv); *rows cm_alloc'ed. */
cm_status cm_grid_evals_read(const char *run, cm_grid_eval_row **rows, int *count);
cm_status cm_grid_evals_write(const char *run, const cm_grid_eval_row *rows, int count);

/* ------------------------------------------- a run's configuration */

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
    /* A larger arena at the same grid period: the box or box15 arena, the
     * place-cell range (round(n scale^2) cells, the same density, width and
     * seed) and the evaluation maps (round(nbins scale) bins, the same bin
     * size) all `arena_scale` times larger; motion unchanged. */
    float arena_scale;
    int maze_count;           /* motion "maze": layouts generated from the seed (256) */
    /* Learning-rate schedule over optimiser steps (the nn module's cm_sched):
     * lr0 (net.optim.lr) until lr_decay_start, then CM_SCHED_COSINE down to
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
cm_status cm_grid_run_config_init(cm_grid_run_config *c, const char *preset, uint64_t seed);
/* Applies one "key=value" override (docs/cli.md lists the keys) and records it. */
cm_status cm_grid_run_config_set(cm_grid_run_config *c, const char *key_value);
/* The evaluation maps of a run: nbins x nbins over [lo, hi]^2, scored with
 * SSM-PC's masks (ssmpc cells: 40 x 40 over [0, 15]^2) or DeepMind's (the box:
 * 20 x 20 over [-1.1, 1.1]^2), both scaled with arena_scale. */
typedef struct cm_grid_map_spec {
    int nbins;
    double lo, hi;
    int ssmpc_masks;
} cm_grid_map_spec;
void cm_grid_run_map(const cm_grid_run_config *c, cm_grid_map_spec *m);
/* The learning rate of optimiser step `step` (0-based) under the schedule. */
double cm_grid_run_lr(const cm_grid_run_config *c, int64_t step);
cm_status cm_grid_run_config_write(const cm_grid_run_config *c, const char *run);
cm_status cm_grid_run_config_read(cm_grid_run_config *c, const char *run);

/* ------------------------------------------------ the network adapter */

/* A models-module network with its target ensembles: the cm_grid_model_ops
 * the trainer drives. Target codes are computed here from the batch's
 * positions and headings, into buffers allocated once. */
typedef struct cm_grid_net {
    cm_pathint *m;
    cm_grid_run_config cfg; /* the run's configuration (the lr schedule reads it) */
    cm_place_cells pc;
    cm_hd_cells hd;
    int top_k; /* position decoding: 0 softmax-weighted centres (SSM-PC), 3 Sorscher's */
    int batch, steps;
    float *init_place, *init_hd, *place, *hd_t, *logits, *decoded;
} cm_grid_net;

cm_status cm_grid_net_create(const cm_grid_run_config *c, cm_grid_net **out);
void cm_grid_net_free(cm_grid_net *n);
extern const cm_grid_model_ops cm_grid_net_ops;
/* The network's checkpoint files in a folder (the models module's
 * cm_pathint_save/load): model.safetensors (PyTorch state-dict names),
 * optimizer.safetensors (buffers; step count and dropout stream in its
 * metadata) and config.json. Loading checks everything first and leaves the
 * network untouched on error. */
cm_status cm_grid_net_save(const cm_grid_net *n, const char *dir);
cm_status cm_grid_net_load(cm_grid_net *n, const char *dir);


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

cm_status cm_grid_world_init(cm_grid_world *w, const cm_grid_run_config *c);
void cm_grid_world_free(cm_grid_world *w);
void cm_grid_world_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta);
/* ------------------------------------------------------ gridness of units */

/* Rate maps and gridness of every bottleneck unit from (units, positions)
 * samples, the way the run's preset is scored (cm_grid_run_map: ssmpc 40 x 40
 * bins over [0, 15]^2 with SSM-PC's masks, ssm-pc.md §5; the box presets
 * 20 x 20 bins over [-1.1, 1.1]^2 with DeepMind's). Buffers are sized once. */
typedef struct cm_grid_scorer {
    int nbins, units;
    double lo, hi;
    double *edges;               /* [nbins + 1] */
    cm_gridness_scorer *gs;
    int64_t cap;                 /* samples the position buffer holds */
    double *pos;                 /* [cap, 2] */
    double *maps;                /* [units, nbins, nbins] (x, y), NaN unvisited */
    cm_gridness_result *results; /* [units] */
} cm_grid_scorer;

cm_status cm_grid_scorer_init(cm_grid_scorer *s, const cm_grid_map_spec *map, int units, int64_t max_samples);
void cm_grid_scorer_free(cm_grid_scorer *s);
/* Maps and scores of n samples: units [n, U], pos [n, 2]. */
cm_status cm_grid_scorer_run(cm_grid_scorer *s, const float *units, const float *pos, int64_t n);
/* Share of units with score60 > threshold (0.3 by convention) after a run. */
double cm_grid_scorer_fraction(const cm_grid_scorer *s, double threshold);
/* cm_grid_score_fn over a cm_grid_scorer (ctx): run + fraction at 0.3. */
cm_status cm_grid_scorer_fn(void *ctx, const float *units, const float *pos, int64_t n, int n_units,
                            double *grid_fraction);

/* ------------------------------------------------------------ evaluation */

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

/* Runs batches of `stream` from `src` (indices 0, 1, ...) through the model
 * until `samples` samples are seen, accumulating rate maps bin by bin (sums
 * in sample order, so maps equal one binned_statistic over all samples) on the
 * run's maps (cm_grid_run_map). With shuffles > 0 it keeps every sample's
 * units and position and runs the time-shift shuffle test on them: the
 * samples path after path, min_shift = max(one path, samples / 50), unit u on
 * stream (0x5348 << 48) + u of the source's seed. `b` is the model's batch.
 * progress may be NULL. */
cm_status cm_grid_evaluate(const cm_grid_model_ops *ops, void *model, cm_grid_source *src, cm_grid_batch *b,
                           const cm_grid_map_spec *map, int64_t samples, uint64_t stream, int shuffles,
                           cm_grid_evaluation *ev, cm_progress *progress);
void cm_grid_evaluation_free(cm_grid_evaluation *ev);

/* --------------------------------------------------------------- figures */

/* PNG figures of a grid-cell run (cairo), each written atomically. */
/* The `n` units with the highest score60: rate map and SAC, scores above. */
cm_status cm_grid_fig_units(const char *path, const cm_grid_evaluation *ev, int n);
/* Histogram of score60 over units, with the untrained network's beside it
 * when `baseline` is not NULL, and the 0.3 threshold. */
cm_status cm_grid_fig_histogram(const char *path, const cm_grid_evaluation *ev, const cm_grid_evaluation *baseline);
/* True (black) and decoded (red) example paths in the arena. */
cm_status cm_grid_fig_paths(const char *path, const cm_grid_evaluation *ev);
/* Grid fraction and decoding error against training step, side by side. */
cm_status cm_grid_fig_training(const char *path, const cm_grid_eval_row *rows, int count);
/* SSM-PC figure 2: rate maps of `n_units` chosen units (rows) at `n_stages`
 * stages of training (columns: evaluations evs[k] labelled steps[k]), with
 * their score60; and the same as an animated GIF, one frame per stage
 * (gif_path may be NULL). */
cm_status cm_grid_fig_emergence(const char *png_path, const char *gif_path, const cm_grid_evaluation *const *evs,
                                const int64_t *steps, int n_stages, const int *units, int n_units);

/* ----------------------------------------------------------- animated GIF */

/* Writes RGB frames (each [height, width, 3], rows top to bottom) as a looping
 * animated GIF with `delay_cs` hundredths of a second per frame. Colours are
 * quantised to one shared 256-colour palette (a 6x7x6 cube plus greys), which
 * suits rate maps and plots. Written atomically. */
cm_status cm_gif_write(const char *path, const uint8_t *const *frames, int count, int width, int height,
                       int delay_cs);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_GRIDRUN_H */
