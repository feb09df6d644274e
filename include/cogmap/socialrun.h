/* cogmap/socialrun.h — social place-cell and link runs (run layer): the
 * training jobs the generic trainer drives (run.h's cm_train_job_ops), their
 * run.json configurations, the decoding errors, SSM-PC's probe of a network
 * as data (ssm-pc.md §9.2), the link comparison behind `cogmap bench link`,
 * and `cogmap eval RUN` of both run kinds (summary.json, spc_units.csv).
 * The design and the results: docs/social.md. */
#ifndef COGMAP_SOCIALRUN_H
#define COGMAP_SOCIALRUN_H

#include "cogmap/link.h"
#include "cogmap/run.h"
#include "cogmap/social.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A social place-cell run (ssm-pc.md §9): the network, the agents' world and
 * the seed, stored as <run>/run.json {"format": "cogmap social run", "model":
 * "social", "sets": [every key]}. */
#define CM_SOCIAL_RUN_MAX_SETS 96
typedef struct cm_social_run_config {
    cm_social_config model;
    cm_agents_config agents;   /* agents.steps == model.seq_len */
    int eval_batches;          /* batches of stream 1 per periodic evaluation (4) */
    int probe_reps;            /* repetitions per probing condition (100, SSM-PC's plots) */
    uint64_t seed;
} cm_social_run_config;

CM_API void cm_social_run_config_init(cm_social_run_config *c, uint64_t seed);
/* "key=value": any cm_social_config key (social.h), seq_len (paths and
 * network), the agents' world (world=arena|maze, arena, motion,
 * motion_scale, substeps, maze_size, mazes, maze_noise, agents, p_static),
 * eval_batches, probe_reps. CM_ERR_ARG naming the key. */
CM_API cm_status cm_social_run_config_set(cm_social_run_config *c, const char *key_value);
CM_API cm_status cm_social_run_config_check(const cm_social_run_config *c);
CM_API cm_status cm_social_run_config_write(const cm_social_run_config *c, const char *run);
CM_API cm_status cm_social_run_config_read(cm_social_run_config *c, const char *run);
/* Stages (--set on --resume): 1 for the keys that change how a run trains,
 * not what it is (batch, seq_len, lr, momentum, weight_decay, clip, dropout,
 * the loss weights, the world's keys, eval_batches, probe_reps). */
CM_API int cm_social_run_key_can_change(const char *key_value);
CM_API cm_status cm_social_run_config_restage(const cm_social_run_config *c, const char *run, int64_t step,
                                       const char *const *sets, int n);
/* The "model" of RUN/run.json is "social" (1) or not (0, also unreadable). */
CM_API int cm_social_is_run(const char *run);

/* The target ensembles SSM-PC uses (§4.1): 256 place cells, sigma 0.5,
 * centres from RandomState(42) over [0, 15]^2; 12 HD cells, kappa 20. */
CM_API cm_status cm_social_cells(cm_place_cells *pc, cm_hd_cells *hd);

/* A social training job. Metrics: eval_loss, self_error, partner_error,
 * distance_error (lower; grid units), spc_fraction (higher: pure + special
 * SPC share of bottleneck units after SSM-PC's probe) and the counts of
 * every class (pure_place, pure_spc, special_spc, mixed, other,
 * other_static). Shards split the batch (any count dividing it). */
typedef struct cm_social_job cm_social_job;
CM_API cm_status cm_social_job_create(const cm_social_run_config *c, cm_social_job **out);
CM_API void cm_social_job_free(cm_social_job *j);
extern const cm_train_job_ops cm_social_job_ops;
CM_API cm_social *cm_social_job_model(cm_social_job *j);

/* Errors of a social network on batches of stream `stream` (indices
 * 0..n_batches-1): mean decoded-position error of self and partner (grid
 * units, every step), mean |distance head - distance|, and the mean loss. */
typedef struct cm_social_errors {
    double loss, self_error, partner_error, distance_error;
    int64_t samples;
} cm_social_errors;
CM_API cm_status cm_social_errors_measure(const cm_social *m, const cm_social_run_config *c, uint64_t stream, int n_batches,
                                   cm_social_errors *out);

/* SSM-PC's probe of a network (§9.2): the four conditions (seed 42), the
 * classes of its bottleneck units and, per class, its `per_class` strongest
 * units with their 50 x 50 maps (activity clipped to [0, 0.8], Gaussian
 * sigma 1.5 bins) against self position (conditions 1 and 3) and partner
 * position (conditions 2 and 3). */
#define CM_SPC_MAPS 4 /* self in 1, partner in 2, self in 3, partner in 3 */
typedef struct cm_spc_evaluation {
    int units, reps, steps, nbins, per_class;
    cm_spc_probe probe;
    cm_spc_class *classes;                 /* [units] */
    int counts[CM_SPC_N_CLASSES];
    int best[CM_SPC_N_CLASSES][16];        /* unit indices, -1 where the class has fewer */
    double *maps;                          /* [CM_SPC_N_CLASSES, per_class, CM_SPC_MAPS, nbins, nbins] */
    cm_spc_paths *paths_block;             /* the probe's paths (owned) */
} cm_spc_evaluation;
CM_API cm_status cm_spc_evaluate(const cm_social *m, int reps, int per_class, cm_spc_evaluation *ev, cm_progress *progress);
CM_API void cm_spc_evaluation_free(cm_spc_evaluation *ev);

/* A link run (ssm-pc.md §11.1-11.3): K agents, each its own path
 * integrator (the social network alone, cm_social_batch.solo), agent 0
 * receiving from the others over the link. Schemes through the same
 * receiver: the learned sender, the broadcast baseline (the sender's true
 * position quantised to B bits, every step), none (silence) and
 * broadcast_estimate (ours: broadcast of what the sender can know, its own
 * path integrator's decoded position, quantised the same way; every agent's
 * self read-out is then computed and trained, their loss a mean over all
 * agents). Stored as <run>/run.json {"format": "cogmap link run", "model":
 * "link", ...}. */
typedef enum cm_link_scheme {
    CM_LINK_LEARNED = 0,
    CM_LINK_BROADCAST = 1,
    CM_LINK_NONE = 2,
    CM_LINK_BROADCAST_ESTIMATE = 3
} cm_link_scheme;
/* "learned", "broadcast", "none", "broadcast_estimate" */
CM_API const char *cm_link_scheme_name(cm_link_scheme s);

#define CM_LINK_RUN_MAX_SETS 128
typedef struct cm_link_run_config {
    cm_social_config net;      /* each agent's path integrator (its optimiser settings unused) */
    cm_link_config link;       /* the link; its optimiser trains both */
    cm_agents_config agents;
    cm_link_scheme scheme;
    char init_from[1024];      /* a social or link checkpoint folder whose network starts this run ("": fresh) */
    int send_motion;           /* the sender also sees its own motion input [v, w] of the step (1; §11.1's u_t) */
    int eval_batches;          /* batches of stream 1 per periodic evaluation (4) */
    uint64_t seed;
} cm_link_run_config;

CM_API void cm_link_run_config_init(cm_link_run_config *c, uint64_t seed);
/* "key=value": scheme (learned, broadcast, none, broadcast_estimate), init_from, send_motion, eval_batches,
 * seq_len, the agents' world keys (as cm_social_run_config_set), the link's
 * keys (bits, beta, lambda, gate, who, ...) and the optimiser's (optim, lr,
 * momentum, weight_decay, clip: the link's, training everything), and the
 * network's other keys (hidden, dropout, w_self_place, ...). The link's
 * state_dim, ctx_dim, senders, init_dim and out_dim follow the network and
 * the agents (cm_link_run_config_check sets them). */
CM_API cm_status cm_link_run_config_set(cm_link_run_config *c, const char *key_value);
CM_API cm_status cm_link_run_config_check(cm_link_run_config *c);
CM_API cm_status cm_link_run_config_write(const cm_link_run_config *c, const char *run);
CM_API cm_status cm_link_run_config_read(cm_link_run_config *c, const char *run);
CM_API int cm_link_run_key_can_change(const char *key_value);
CM_API cm_status cm_link_run_config_restage(const cm_link_run_config *c, const char *run, int64_t step,
                                     const char *const *sets, int n);
CM_API int cm_link_is_run(const char *run);

/* A link training job. Metrics: eval_loss, partner_error (mean distance
 * between the receiver's decoded and each sender's true position, grid
 * units), bits_per_step (bits sent per step per sender, gate included),
 * self_error (the receiver's own decoded position), sent (fraction of steps
 * with a message) and, with K > 2, who_accuracy (steps whose largest weight
 * is on the nearest partner). */
typedef struct cm_link_job cm_link_job;
CM_API cm_status cm_link_job_create(const cm_link_run_config *c, cm_link_job **out);
CM_API void cm_link_job_free(cm_link_job *j);
extern const cm_train_job_ops cm_link_job_ops;

typedef struct cm_link_errors {
    double loss, partner_error, self_error, bits_per_step, sent, who_accuracy;
    int64_t samples;
} cm_link_errors;
/* The job's current network and link on batches 0..n_batches-1 of
 * `stream`, evaluation mode (the likelier bits and gates). */
CM_API cm_status cm_link_job_measure(cm_link_job *j, uint64_t stream, int n_batches, cm_link_errors *out);

/* The comparison of issue 13 (`cogmap bench link`): for every budget the
 * learned link and the broadcast baseline, and once each the velocity
 * scheme (the social network given the partner's exact velocities) and
 * none, trained under DIR and evaluated on the same batches (stream 2). */
typedef struct cm_link_bench_config {
    const char *out;            /* DIR: one run folder per point, table.csv */
    const int *bits;            /* budgets */
    int n_bits;
    int64_t steps_velocity;     /* the social network's steps (it also starts every link run) */
    int64_t steps_per_point;    /* each link run's steps */
    double minutes;             /* total wall-clock budget (0: none): steps are cut to fit */
    int eval_batches;           /* batches of stream 2 per point */
    const char *const *sets;    /* extra --set for every run (e.g. world=maze) */
    int n_sets;
    uint64_t seed;
} cm_link_bench_config;

typedef struct cm_link_bench_row {
    char scheme[24];  /* learned, broadcast, broadcast_estimate, velocity, none */
    int bits;         /* the budget; 0 for velocity and none (no budget) */
    double partner_error, bits_per_step, self_error;
    int64_t steps;
    double seconds;
} cm_link_bench_row;

/* Trains and evaluates every point (progress may be NULL) and writes
 * DIR/table.csv (scheme,bits,partner_error,bits_per_step,self_error,steps,
 * seconds); velocity and none have bits "inf" and "0". rows [*count]
 * cm_alloc'ed. */
CM_API cm_status cm_link_bench(const cm_link_bench_config *c, cm_progress *progress, cm_link_bench_row **rows, int *count);

/* `cogmap eval RUN` for a social or link run, as data: the checkpoint
 * (checkpoints/best unless named) on batches of stream 2 and, for a social
 * run, SSM-PC's probe with `per_class` maps per class. Writes RUN/summary.json
 * (errors; social: "classes" counts, the strongest units per class, the
 * counts at every periodic evaluation of evals.csv) and, for a social run,
 * RUN/spc_units.csv (unit, class, the four peaks). */
typedef struct cm_social_report {
    int is_link;
    char checkpoint[4096];
    int64_t step;
    cm_social_errors errors;     /* social runs */
    cm_link_errors link_errors;  /* link runs */
    cm_spc_evaluation spc;       /* social runs */
    cm_evals history;            /* RUN/evals.csv (empty when absent) */
} cm_social_report;

CM_API cm_status cm_social_report_run(const char *run, const char *checkpoint, int reps, int per_class, int eval_batches,
                               cm_progress *progress, cm_social_report *out);
CM_API void cm_social_report_free(cm_social_report *r);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_SOCIALRUN_H */
