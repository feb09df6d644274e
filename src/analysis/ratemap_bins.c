/* Bin edges and bin lookup with numpy/scipy semantics, so that cogmap's rate
 * maps put every sample in the bin SMP's and DeepMind's Python put it in. */
/* numpy rounds every product before adding: no fused multiply-add here,
 * or edges and centres differ from numpy's in the last bit. */
#pragma GCC optimize("fp-contract=off")
#include "cogmap/analysis.h"
#include "analysis/numerics.h"

#include <math.h>

void cm_linspace(double lo, double hi, int n_edges, double *edges)
{
    if (n_edges <= 0)
        return;
    if (n_edges == 1) {
        edges[0] = lo;
        return;
    }
    /* numpy: arange(num) * step + start, then the endpoint set exactly. */
    double step = (hi - lo) / (double)(n_edges - 1);
    for (int k = 0; k < n_edges; k++)
        edges[k] = (double)k * step + lo;
    edges[n_edges - 1] = hi;
}

int cm_smp_edges(double vmin, double vmax, double bin_size, double *edges, int cap, int f32)
{
    if (!isfinite(vmin) || !isfinite(vmax) || !(bin_size > 0))
        return -1;
    double range = f32 ? (double)(float)(vmax - vmin) : vmax - vmin;
    double nb = ceil(range / bin_size);
    if (!(nb >= 1) || nb > 1e7)
        return -1;
    int n = (int)nb;
    if (edges) {
        if (n + 1 > cap)
            return -1;
        double pad = ((double)n * bin_size - range) / 2;
        /* SMP gives each side only pad/2 (its quirk): keep it. */
        cm_linspace(vmin - pad / 2, vmax + pad / 2, n + 1, edges);
    }
    return n;
}

/* numpy.around(x, decimals) for decimals >= 0: scale, round half to even, unscale. */
static double np_around(double x, int decimals)
{
    double f = pow(10.0, decimals);
    return rint(x * f) / f;
}

/* The same in float32, as numpy.around computes it on a float32 array. */
static float np_around_f32(float x, int decimals)
{
    float f = (float)pow(10.0, decimals);
    return rintf(x * f) / f;
}

/* scipy keeps the sample's precision: for float32 samples the edges are cast
 * to float32 and every comparison and the rounding test happen in float32. */
static int bin_index_f32(const double *edges, int nbins, float x)
{
    if (isnan(x))
        return -1;
    int lo = 0, hi = nbins + 1;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if ((float)edges[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == nbins + 1) {
        float dmin = INFINITY;
        for (int k = 0; k < nbins; k++) {
            float d = (float)edges[k + 1] - (float)edges[k];
            if (d < dmin)
                dmin = d;
        }
        int decimals = (int)(-log10f(dmin)) + 6;
        if (np_around_f32(x, decimals) == np_around_f32((float)edges[nbins], decimals))
            return nbins - 1;
        return -1;
    }
    return lo == 0 ? -1 : lo - 1;
}

int cm_searchsorted_right(const double *edges, int n_edges, double x)
{
    if (isnan(x))
        return n_edges;
    int lo = 0, hi = n_edges;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (edges[mid] <= x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int cm_bin_index(const double *edges, int nbins, double x, int f32)
{
    if (f32)
        return bin_index_f32(edges, nbins, (float)x);
    if (isnan(x))
        return -1;
    int d = cm_searchsorted_right(edges, nbins + 1, x); /* 0: below; nbins+1: at or above the last edge */
    if (d == nbins + 1) {
        /* scipy counts a sample "on" the last edge, to 6 decimals beyond the
         * finest bin width, in the last bin. */
        double dmin = INFINITY;
        for (int k = 0; k < nbins; k++)
            if (edges[k + 1] - edges[k] < dmin)
                dmin = edges[k + 1] - edges[k];
        int decimals = (int)(-log10(dmin)) + 6;
        if (np_around(x, decimals) == np_around(edges[nbins], decimals))
            return nbins - 1;
        return -1;
    }
    if (d == 0)
        return -1;
    return d - 1;
}
