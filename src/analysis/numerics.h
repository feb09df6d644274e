/* Internal to the analysis module: numpy's float32 arithmetic where SMP's
 * code runs on float32 data (see `f32` in analysis.h). */
#ifndef COGMAP_ANALYSIS_NUMERICS_H
#define COGMAP_ANALYSIS_NUMERICS_H

/* atan2(sin h, cos h), in float32 when f32. */
double cm_wrap_angle(double h, int f32);

#endif
