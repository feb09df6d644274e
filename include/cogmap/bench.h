/* cogmap/bench.h — the timings `cogmap bench` prints, as data: each
 * function builds what it times, runs the timed loop and returns rates
 * (the CLI prints them; the bench/ scripts compare them with their peers). They
 * change the library's thread count (cm_set_threads), as said per function.
 */
#ifndef COGMAP_BENCH_H
#define COGMAP_BENCH_H

#include "cogmap/base.h"

#ifdef __cplusplus
extern "C" {
#endif

/* cm_bench_motion: `batch` worlds of the rat model `motion` in arena preset
 * `arena` for `steps` steps, recording position, heading and Banino's ego
 * velocity; the best of `repeat` runs on one thread, then (when `threads`,
 * 0 = all cores, gives more than one) on that many. Leaves the library on
 * `threads` threads. CM_ERR_ARG: an unknown preset or a count out of range. */
typedef struct cm_bench_motion_result {
    double wall;          /* agent-steps per second of wall clock, one thread */
    double cpu;           /* agent-steps per second of the thread's CPU time */
    int threads;          /* threads of the second timing (1: none made) */
    double threaded_wall; /* agent-steps per second of wall clock on `threads` threads */
} cm_bench_motion_result;
CM_API cm_status cm_bench_motion(const char *arena, const char *motion, int batch, int steps, int repeat,
                                 int threads, uint64_t seed, cm_bench_motion_result *out);

/* cm_bench_targets: place-cell targets of `rows` random positions in the
 * ssmpc preset's 15-unit box from `count` cells of width `sigma` (dog 0:
 * the Gaussian softmax; 1: Sorscher's DoG, at `temperature` if > 0), the
 * demo's by default (1,024 cells, 0.6, DoG at 0.0062): rows/s of the
 * reference (cm_place_cells_activate) and of the vectorised path
 * (cm_place_cells_activate_fast) on one thread, best of `repeat` by this
 * thread's CPU time, and the largest difference between the two relative
 * to its row's largest target. Leaves the library on one thread.
 * CM_ERR_ARG: a count or width out of range. */
typedef struct cm_bench_targets_result {
    double reference_rows_per_s; /* per CPU second */
    double fast_rows_per_s;
    double max_rel_diff;
} cm_bench_targets_result;
CM_API cm_status cm_bench_targets(int count, float sigma, int dog, float temperature, int rows, int repeat,
                                  uint64_t seed, cm_bench_targets_result *out);

/* cm_bench_render: `frames` egocentric RGB frames of size x size pixels on
 * one thread (left on one), from 4096 poses drawn once off the walls: in a
 * maze of side `maze_size` generated from `seed` (its targets drawn as
 * sprites, the maze camera), or in arena preset `arena` when not NULL (the
 * open-arena camera). 1000 unmeasured frames come first. CM_ERR_ARG: an
 * unknown preset or an impossible maze. */
typedef struct cm_bench_render_result {
    double wall_s;     /* seconds of wall clock */
    double cpu_s;      /* seconds the thread ran */
    uint64_t checksum; /* a sum of sampled pixels: keeps the loop honest */
    char arena[32];    /* the arena's name */
} cm_bench_render_result;
CM_API cm_status cm_bench_render(const char *arena, int maze_size, int size, long long frames, uint64_t seed,
                                 cm_bench_render_result *out);

/* cm_bench_train: `steps` training steps of the generic trainer
 * (cm_train_run) of model "grid" or "bev" (preset `preset`, NULL for ssmpc
 * or bev; bev on generated mazes) or "smp", after `sets`
 * ("key=value") and 2 warm-up steps, the job's evaluation and checkpoint
 * files left out, in whatever job this process runs in (plain, or one rank
 * of an MPI job: a collective, the global batch split over the ranks). The
 * run folder is a scratch folder under /tmp, removed after (named in
 * scratch_left if it could not be). CM_ERR_ARG: an unknown model or preset,
 * a bad setting. */
typedef struct cm_bench_train_result {
    int batch;         /* the global batch */
    size_t n_params;   /* floats all-reduced per step */
    double step_flops; /* one step's FLOPs (grid; 0: not counted) */
    double seconds;    /* wall clock of the timed steps */
    double final_loss;
    char scratch_left[64]; /* the scratch folder if it could not be removed, else "" */
} cm_bench_train_result;
CM_API cm_status cm_bench_train(const char *model, const char *preset, const char *const *sets, int n_sets,
                                int64_t steps, uint64_t seed, cm_bench_train_result *out);

/* cm_bench_bev: SSM-PC's BEV predictor (preset bev or bev-small; `batch` 0:
 * the preset's) on random 64x64 frames and targets drawn from `seed`: `steps`
 * training steps (forward, BEVLoss, backward, Adam), then `steps` inference
 * forwards, each after one unmeasured warm-up, on the library's threads.
 * CPU time is the whole process's. CM_ERR_ARG: an unknown preset, steps < 1. */
typedef struct cm_bench_bev_result {
    int batch;
    int64_t steps;
    size_t n_params;                       /* trainable parameters */
    double final_loss;                     /* the last training step's */
    double train_wall_s, train_cpu_s;      /* the timed training steps */
    double infer_wall_s, infer_cpu_s;      /* the timed inference forwards */
    size_t train_state_bytes, infer_state_bytes;
} cm_bench_bev_result;
CM_API cm_status cm_bench_bev(const char *preset, int batch, int64_t steps, uint64_t seed, cm_bench_bev_result *out);

/* cm_bench_pathint: `cogmap bench train` of a path-integration preset
 * (ssmpc, banino, sorscher-512, sorscher): `steps` training steps
 * (cm_pathint_step: forward, loss, backward, Adam) on random inputs of its
 * shapes drawn from `seed` (velocities N(0, 0.1), softmax-like place and
 * head-direction targets), after one unmeasured warm-up step, on the
 * library's threads; then the best of five square 1024 sgemms (the BLAS
 * ceiling, measured in the same run). batch, seq_len, hidden: 0 = the
 * preset's; steps 0 = the preset's default (3 sorscher, 10 sorscher-512, 30
 * else). CM_ERR_ARG: an unknown preset (the message names it), a negative
 * count, a shape the model refuses. */
typedef struct cm_bench_pathint_result {
    int batch, seq_len, hidden; /* the shapes timed */
    int threads;                /* the library's threads during the steps */
    int64_t steps;              /* timed steps */
    double final_loss;          /* the last step's */
    double seconds;             /* wall clock of the timed steps */
    double steps_per_s;
    double step_flops;          /* one training step's FLOPs */
    double gflops;              /* step_flops x steps_per_s, in GFLOP/s */
    double sgemm_gflops;        /* the sgemm ceiling, GFLOP/s */
    double sgemm_share;         /* gflops / sgemm_gflops (0 when not measured) */
    size_t param_bytes;         /* parameters and their gradients */
    size_t optim_bytes;         /* the optimiser's buffers */
    size_t activation_bytes;    /* the state's activations and workspace */
    size_t model_bytes;         /* the three together */
    size_t peak_rss;            /* the process's peak resident bytes after the steps */
    size_t baseline_rss;        /* ... on entry, before any model */
} cm_bench_pathint_result;
CM_API cm_status cm_bench_pathint(const char *preset, int batch, int seq_len, int hidden, int64_t steps, uint64_t seed,
                                  cm_bench_pathint_result *out);

#ifdef __cplusplus
}
#endif
#endif
