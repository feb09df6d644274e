/* The evaluation of a grid-cell run, shared by `cogmap eval` and `cogmap demo`. */
#ifndef COGMAP_CLI_GRID_EVAL_H
#define COGMAP_CLI_GRID_EVAL_H

#include "cogmap/run.h"

typedef struct grid_eval_options {
    int64_t samples;        /* 0: the preset's default */
    const char *checkpoint; /* name under checkpoints/, NULL: the newest step */
    int baseline;           /* also evaluate the untrained network */
    int stages;             /* columns of the emergence figure */
} grid_eval_options;

typedef struct grid_eval_report {
    char preset[32];
    char checkpoint[4096];
    int64_t steps, samples;
    double wall_seconds;
    double decoding_error, grid_fraction, best_score60;
    double baseline_fraction; /* NaN when not evaluated */
    int units;
    const char *unit_name;    /* "grid units" or "m" */
} grid_eval_report;

cm_status grid_eval_run(const char *dir, const grid_eval_options *o, FILE *progress, grid_eval_report *rep);
/* A checkpoint trained elsewhere (FILE.safetensors, PyTorch state-dict names)
 * in the preset's network, scored as a run is; outputs into out_dir
 * (gridness.csv, summary.json, figures/), nothing written on a bad file. */
cm_status grid_eval_checkpoint(const char *file, const char *preset, const char *out_dir, uint64_t seed,
                               const grid_eval_options *o, FILE *progress, grid_eval_report *rep);
void grid_eval_print(const char *dir, const grid_eval_report *rep, FILE *out);

#endif
