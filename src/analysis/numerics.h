/* Internal to the analysis module: numpy's arithmetic as SMP's code meets
 * it, float32 included where it runs on float32 data (see `f32` in
 * analysis.h). */
#ifndef COGMAP_ANALYSIS_NUMERICS_H
#define COGMAP_ANALYSIS_NUMERICS_H

/* atan2(sin h, cos h), in float32 when f32. */
double cm_wrap_angle(double h, int f32);

/* numpy.searchsorted(edges, x, 'right') over edges[0..n_edges): how many
 * edges are <= x (numpy.digitize's index); n_edges for NaN, as numpy sorts it
 * last. Defined in ratemap_bins.c. */
int cm_searchsorted_right(const double *edges, int n_edges, double x);

#endif
