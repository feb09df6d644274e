/* Internal to the analysis module: the scatter-add that every binned mean
 * (rate maps, angular maps, octants) is built on. */
#ifndef COGMAP_ANALYSIS_ACCUM_H
#define COGMAP_ANALYSIS_ACCUM_H

#include "cogmap/base.h"

/* Units per block: a block's row of activations (as doubles) stays in
 * registers while it is added into one bin's row of the block's table. */
#define CM_ACCUM_BLOCK 32

/* sums[u * nbins + k] = sum over samples t with bin[t] == k (in sample
 * order, as numpy's bincount) of act[t * units + u]; bin[t] < 0 is dropped.
 * counts (NULL or [nbins]) gets the samples per bin. OpenMP over unit
 * blocks: every unit's sums come from one thread in sample order, so the
 * bits do not depend on the thread count. */
cm_status cm_accum_bins(const int32_t *bin, int64_t n, int nbins, const float *act, int units, double *sums,
                        double *counts);

/* sums / counts, NaN where counts == 0 (scipy's binned mean). */
void cm_accum_mean(double *sums, const double *counts, int nbins, int units);

#endif
