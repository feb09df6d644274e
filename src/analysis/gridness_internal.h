/* Private pieces shared by the gridness files (not installed). */
#ifndef COGMAP_GRIDNESS_INTERNAL_H
#define COGMAP_GRIDNESS_INTERNAL_H

#include "cogmap/analysis.h"

/* One sample point of a cubic B-spline rotation: the 4 rows and 4 columns of coefficients it
 * reads (already mirrored at the borders, as element offsets) and their weights. inside == 0
 * means the point falls outside the input and the value is 0 (mode 'constant'). */
typedef struct cm_spline_tap {
    int32_t row[4]; /* row * width */
    int32_t col[4];
    double wy[4], wx[4];
    int inside;
    int contiguous; /* col[b] == col[0] + b: the fast path reads 4 columns at once */
} cm_spline_tap;

/* The input coordinates scipy's rotate samples for output pixel (i, j). */
void cm_rotation_source(int i, int j, double c, double s, int h, int w, double *ri, double *rj);
/* Fills a tap for input coordinates (ri, rj) of an h x w array. */
void cm_spline_tap_at(double ri, double rj, int h, int w, cm_spline_tap *t);
/* In-place cubic B-spline prefilter (mirror boundary) along axis 0 then axis 1; `scratch`
 * holds h * w doubles. */
void cm_spline_prefilter(double *c, int h, int w, double *scratch);
/* The interpolated value at a tap, summed in scipy's order. */
double cm_spline_sample(const double *coef, const cm_spline_tap *t);
/* The same value summed row by row, 4 columns at a time (differs in the last bits; NaN and
 * infinities propagate the same way). */
double cm_spline_sample_fast(const double *coef, const cm_spline_tap *t);

/* The SAC into caller memory: `work` holds cm_gridness_sac_work_size(h, w) doubles. The map
 * is read as float32 when is_f32. Returns CM_ERR_ARG for an infinite value. */
size_t cm_gridness_sac_work_size(int h, int w);
cm_status cm_gridness_sac_ws(const void *map, int is_f32, int h, int w, double *out, double *work);

#endif
