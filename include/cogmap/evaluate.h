/* cogmap/evaluate.h — `cogmap eval RUN` of any model as one library call (run
 * layer). cm_eval_run reads RUN/run.json's "model" and evaluates the run as
 * that model's evaluation does, writing the same files (summary.json,
 * gridness.csv, celltypes.json, activity.npz, ...: docs/cli.md), and returns
 * the headline numbers as named values (cm_summary: what a notebook reads as
 * a dict), the lines `cogmap eval` prints, and the model's full result, from
 * which plot.h's cm_eval_figures draws the figures. */
#ifndef COGMAP_EVALUATE_H
#define COGMAP_EVALUATE_H

#include "cogmap/bevrun.h"
#include "cogmap/detrun.h"
#include "cogmap/run.h"
#include "cogmap/socialrun.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------ summaries */

/* Named numbers in order. A key is the number's name in the file the
 * evaluation wrote (summary.json; celltypes.json for an SMP run), a nested
 * one joined by '.' ("pose_drift.mean", "rnn1.hd"); a number the file writes
 * as null is NaN here. `text` holds the lines the command prints. */
#define CM_SUMMARY_MAX 64
typedef struct cm_summary_value {
    char key[48];
    char unit[16]; /* "grid units", "m", "cells", "units", "bits", "share", "" */
    double value;
} cm_summary_value;

typedef struct cm_summary {
    int n;
    cm_summary_value values[CM_SUMMARY_MAX];
    char text[4096];
} cm_summary;

/* Appends a value; CM_ERR_ARG for a key too long or a full summary. */
CM_API cm_status cm_summary_add(cm_summary *s, const char *key, const char *unit, double value);
/* The value of `key` (NaN when absent). */
CM_API double cm_summary_get(const cm_summary *s, const char *key);
/* Appends a printf-formatted line (or lines) to s->text (cut at its size). */
CM_API void cm_summary_printf(cm_summary *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ------------------------------------------------------------ options */

/* Every model's options; each model reads its own (cm_eval_opts_default:
 * the defaults of `cogmap eval`, docs/cli.md). */
typedef struct cm_eval_opts {
    /* a checkpoint: grid, smp, bev, social, link: a name under RUN/checkpoints
     * (step_NNNNNNNN or best); detector: a checkpoint folder. NULL: the
     * model's default (grid, smp: the newest; bev, detector, social, link:
     * best, else the newest) */
    const char *checkpoint;
    /* grid: samples (0: the preset's default), the untrained network too,
     * emergence stages, shuffles per unit (0: no shuffle test); `file`: a
     * checkpoint trained elsewhere (FILE.safetensors) scored in `preset`'s
     * network on the paths of `seed` (RUN is then the output folder; NULL:
     * FILE without .safetensors, plus -eval) */
    int64_t samples;
    int baseline, stages, shuffles;
    const char *file, *preset;
    uint64_t seed;
    /* smp: fresh trajectories x steps, a correction every correct_every
     * steps, shuffles per unit for the thresholds, and figure 3's dynamics
     * (figure3: 0 skips them) from `images` probe views and fig3_init states */
    int trajectories, steps, correct_every, smp_shuffles, figure3, images, fig3_init;
    /* bev, detector: test frames, training frames of the baseline; bev:
     * frames kept for the figure */
    int frames, baseline_frames, keep;
    /* social, link: probe repetitions, units kept per class for the figures,
     * batches of fresh paths for the errors */
    int reps, per_class, batches;
} cm_eval_opts;

CM_API void cm_eval_opts_default(cm_eval_opts *o);

/* ------------------------------------------------------------ SMP runs */

/* An SMP run evaluated: the classification, and figure 3's dynamics when
 * asked (has_hd). The run layer writes RUN/activity.npz, RUN/celltypes.json
 * and RUN/figures/figure3.json. */
typedef struct cm_smp_eval_report {
    char checkpoint[4096];
    int64_t step;
    cm_smp_evaluation ev;
    int has_hd;
    cm_smp_hd_result hd;
} cm_smp_eval_report;

/* ------------------------------------------------------------ any run */

typedef struct cm_eval_result {
    char model[32];    /* run.json's "model" ("grid" for a checkpoint file) */
    char dir[4096];    /* the folder written */
    cm_summary summary;
    /* the model's full result (the figures' data): one is set */
    cm_grid_eval_report *grid;
    cm_smp_eval_report *smp;
    cm_bevnet_run_eval *bev;
    cm_detector_evaluation *detector;
    cm_social_report *social; /* social and link runs */
} cm_eval_result;

/* Evaluates run folder `dir` by its model (or o->file into `dir`).
 * CM_ERR_UNSUPPORTED for a model without an evaluation (coop: `cogmap
 * bench coop` scores those), the model's errors otherwise. progress may be
 * NULL. Free `out` with cm_eval_result_free either way. */
CM_API cm_status cm_eval_run(const char *dir, const cm_eval_opts *o, cm_progress *progress, cm_eval_result *out);
CM_API void cm_eval_result_free(cm_eval_result *r);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_EVALUATE_H */
