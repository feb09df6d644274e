/* cogmap/gridness_table.h — what `cogmap gridness MAPS.npy` computes: every
 * map of a [N, n, n] array scored by DeepMind's scorer, optionally with the
 * BNT score and the bin-permutation shuffle test, as data (the CLI prints the
 * CSV; plot draws the figure from the kept autocorrelograms). */
#ifndef COGMAP_GRIDNESS_TABLE_H
#define COGMAP_GRIDNESS_TABLE_H

#include "cogmap/analysis.h"
#include "cogmap/io.h"

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cm_gridness_table_opts {
    int ssmpc_masks;   /* 0: DeepMind's rings, 1: SSM-PC's */
    int min_max;       /* Sargolini's min-max score instead of the means */
    int bnt;           /* add the BNT/opexebo score */
    int shuffles;      /* > 0: the shuffle test with this many bin permutations per map */
    uint64_t seed;     /* of the shuffles */
    int keep_sacs;     /* keep every map's autocorrelogram (for the figure) */
} cm_gridness_table_opts;

typedef struct cm_gridness_table {
    int64_t count;              /* maps */
    int n;                      /* bins per side */
    cm_gridness_config cfg;     /* the masks used */
    cm_gridness_result *res;    /* [count] */
    double *sacs;               /* [count, 2n-1, 2n-1] with keep_sacs, else NULL */
    double *bnt;                /* [count] with bnt, else NULL */
    double *p95, *p99;          /* [count] with shuffles, else NULL */
    double seconds, cpu_seconds; /* of the DeepMind scoring: wall clock and the process's CPU time */
} cm_gridness_table;

/* Scores `maps` ([N, n, n] float32 or float64, NaN = unvisited; `what` names
 * it in messages). CM_ERR_FORMAT: another dtype or shape (n > 2048), or a
 * value the scorer refuses. On failure *out holds nothing to free. */
CM_API cm_status cm_gridness_table_compute(const cm_array *maps, const char *what, const cm_gridness_table_opts *o,
                                           cm_gridness_table *out);
CM_API void cm_gridness_table_free(cm_gridness_table *t);
/* The table as `cogmap gridness` prints it, to `out`: a header line
 * (unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation, then
 * bnt and shuffle95,shuffle99 when computed), one row per map, six decimals
 * (mask radii four), NaN as "nan". CM_ERR_IO: the stream refused a write. */
CM_API cm_status cm_gridness_table_csv(const cm_gridness_table *t, FILE *out);

#ifdef __cplusplus
}
#endif
#endif
