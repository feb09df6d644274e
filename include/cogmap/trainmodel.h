/* Training any model's run folder in one call: what `cogmap train <model>`
 * does, for C and Python alike (docs/cli.md, docs/python.md). A request
 * names the model, the folder (a new run, or one to resume), the preset,
 * settings and data of a new run (or a resumed run's new stage) and the
 * trainer's limits; cm_train_model checks it, makes the run configuration
 * and the job, takes the run folder's lock, writes run.json (rank 0) or
 * resumes from the newest checkpoint, and trains through cm_train_run.
 * Under MPI every rank calls it with the same request (collective). */
#ifndef COGMAP_TRAINMODEL_H
#define COGMAP_TRAINMODEL_H

#include "cogmap/run.h"

/* What a caller may ask of a model (the table in src/run/train_models.c). */
typedef struct cm_train_model_info {
    const char *name;       /* "grid", "smp", "bev", "detector", "coop", "social", "link" */
    const char *presets;    /* "ssmpc, banino, ...": required for a new run; NULL: no presets */
    const char *stage_keys; /* what sets may change on a resumed run (a new stage); NULL: nothing */
    const char *bests;      /* the choices of best ("loss|grid|goal"); NULL: the model's own rule */
    int max_sets;           /* "key=value" settings a run holds at most */
    int max_data;           /* dataset folders at most; 0: the model takes none */
} cm_train_model_info;

/* The model named `name`, or NULL. */
CM_API const cm_train_model_info *cm_train_model_find(const char *name);
/* The i-th model (0..), in the order `cogmap train --help` shows them; NULL past the end. */
CM_API const cm_train_model_info *cm_train_model_at(int i);

/* Called once the run stands ready to train, on every rank, before the
 * first step: `loaded` is the checkpoint a resumed run continues from ("":
 * none yet, or a new run); state->step where training starts. */
typedef void (*cm_train_started_fn)(void *ctx, const cm_train_state *state, const char *loaded);

typedef struct cm_train_request {
    const char *model;  /* cm_train_model_find's name */
    const char *out;    /* a new run's folder (must not hold a run); with resume: NULL or the same */
    const char *resume; /* NULL, or the run folder to continue from its newest checkpoint */
    const char *preset; /* a new run of a model with presets: required; refused on resume */
    const char *const *sets; /* "key=value" settings of a new run; on resume: a new stage (stage_keys) */
    int n_sets;
    const char *const *data; /* dataset folders of a new run (models with max_data > 0) */
    int n_data;
    uint64_t seed;            /* a new run's seed (a resumed run keeps its own) */
    int64_t steps;            /* stop at this step of the whole run (0: no step limit) */
    double minutes;           /* stop after this much training in total (0: none); at least one limit */
    int64_t eval_every;       /* steps between evaluations (0: only at the end) */
    int64_t checkpoint_every; /* steps between checkpoints (0: at each evaluation) */
    int keep;                 /* recent checkpoints kept besides best (>= 1) */
    const char *best;         /* one of the model's bests; NULL: its default */
    cm_train_started_fn started; /* may be NULL */
    void *started_ctx;
} cm_train_request;

/* Defaults: seed 1, evaluation every 100 steps, 3 checkpoints kept; no
 * limit (the caller gives steps and/or minutes). */
CM_API void cm_train_request_init(cm_train_request *r);

/* Checks the request alone (CM_ERR_ARG naming the field: an unknown model,
 * a missing or refused preset, a setting a resumed run cannot change, ...);
 * cm_train_model starts with it. */
CM_API cm_status cm_train_request_check(const cm_train_request *r);

/* Trains the run the request names until a limit, a Ctrl-C (cm_interrupted:
 * saved, CM_ERR_INTERRUPTED) or a failure. A new run: refused (CM_ERR_ARG)
 * when its folder already holds a run; the configuration from the preset,
 * sets and data, checked; run.json written. A resumed run: run.json read,
 * the newest checkpoint loaded, a stage's sets applied and recorded in
 * run.json. Every decision agreed by all ranks (cm_dist_agree). progress may
 * be NULL (silent); state (the run's final state) and loaded (the checkpoint
 * a resumed run started from, "" if none) may be NULL. */
CM_API cm_status cm_train_model(const cm_train_request *r, cm_progress *progress, cm_train_state *state,
                                char loaded[4096]);

#endif
