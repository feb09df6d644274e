/* Shared between cmd_analyze.c and analyze_figures.c. */
#ifndef COGMAP_CLI_ANALYZE_H
#define COGMAP_CLI_ANALYZE_H

#include "cogmap/analysis.h"

typedef struct analyze_group {
    char name[120];
    int64_t start, end; /* units [start, end) */
} analyze_group;

/* SMP's figure-2 panels from a classification: polar HD plots, rate maps with
 * heading octants, BVC maps, score histograms, RV sticks and the ego-vs-allo
 * scatter. ext: "png", "svg" or "pdf". hd/act are needed for the 36-bin
 * polar curves (SMP's plotting resolution). */
cm_status analyze_figures(const char *dir, const char *ext, const double *hd, const float *act, int64_t n,
                          int f32, const cm_classify_result *r, const analyze_group *groups, int n_groups);

/* SMP's octant_grid: the map and its 8 heading-octant maps (nx x ny, x
 * first) in 3 x 3 blocks, out [3 (nx + 2), 3 (ny + 2)] top row first. */
void analyze_octant_grid(const double *map, const double *oct, int nx, int ny, double *out);

#endif
