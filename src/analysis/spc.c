/* Social place cells (analysis.h): SSM-PC's classification of bottleneck
 * units by their peaks in the four probing conditions, and its smoothed
 * occupancy maps (spc_module/visualize_social_cells.py, ssm-pc.md §9.2). */
#include "cogmap/analysis.h"

#include <math.h>
#include <string.h>

static const char *const class_names[CM_SPC_N_CLASSES] = {"pure_place", "pure_spc", "special_spc",
                                                          "mixed",      "other",    "other_static"};

const char *cm_spc_class_name(cm_spc_class c)
{
    return (unsigned)c < CM_SPC_N_CLASSES ? class_names[c] : "unknown";
}

cm_spc_class cm_spc_classify_unit(const double peaks[4], double high, double low)
{
    int self = peaks[0] > high, peer = peaks[1] > high, both = peaks[2] > high;
    if (!(peaks[3] < low)) /* "quiet_static = peak4 < low"; NaN is not quiet */
        return CM_SPC_OTHER_STATIC;
    if (self && peer)
        return CM_SPC_SPECIAL_SPC;
    if (self)
        return both ? CM_SPC_PURE_PLACE : CM_SPC_MIXED;
    if (peer)
        return both ? CM_SPC_PURE_SPC : CM_SPC_MIXED;
    return CM_SPC_OTHER;
}

void cm_spc_classify(const double *peaks, int units, double high, double low, cm_spc_class *classes, int *counts)
{
    if (counts)
        memset(counts, 0, CM_SPC_N_CLASSES * sizeof *counts);
    for (int u = 0; u < units; u++) {
        cm_spc_class c = cm_spc_classify_unit(peaks + 4 * (size_t)u, high, low);
        if (classes)
            classes[u] = c;
        if (counts)
            counts[c]++;
    }
}

double cm_spc_class_strength(cm_spc_class c, const double p[4])
{
    switch (c) {
    case CM_SPC_PURE_PLACE: return p[0];
    case CM_SPC_PURE_SPC: return p[1];
    case CM_SPC_SPECIAL_SPC: return p[0] < p[1] ? p[0] : p[1];
    case CM_SPC_MIXED: return p[0] > p[1] ? p[0] : p[1];
    default: {
        double m = p[0];
        for (int k = 1; k < 4; k++)
            m = p[k] > m ? p[k] : m;
        return m;
    }
    }
}

/* Mirror index for scipy's 'reflect' mode (half-sample symmetric). */
static int reflect(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * n;
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - 1 - i;
}

/* One axis: out[i] = sum_k w[k] in[i + k - r] along the axis of length n
 * with stride `step`, for `lines` lines `lstep` apart. */
static void correlate_axis(const double *in, double *out, int n, int step, int lines, int lstep, const double *w, int r)
{
    for (int l = 0; l < lines; l++) {
        const double *src = in + (size_t)l * lstep;
        double *dst = out + (size_t)l * lstep;
        for (int i = 0; i < n; i++) {
            double acc = 0.0;
            for (int k = -r; k <= r; k++)
                acc += w[k + r] * src[(size_t)reflect(i + k, n) * step];
            dst[(size_t)i * step] = acc;
        }
    }
}

void cm_gaussian_filter2d(const double *in, int h, int w, double sigma, double truncate, double *out, double *work)
{
    if (!(sigma > 0.0)) {
        if (out != in)
            memmove(out, in, (size_t)h * w * sizeof *out);
        return;
    }
    int r = (int)(truncate * sigma + 0.5);
    if (r > 255)
        r = 255;
    double wts[511], sum = 0.0;
    for (int k = -r; k <= r; k++) {
        wts[k + r] = exp(-0.5 / (sigma * sigma) * (double)k * k);
        sum += wts[k + r];
    }
    for (int k = 0; k <= 2 * r; k++)
        wts[k] /= sum;
    correlate_axis(in, work, h, w, w, 1, wts, r);  /* axis 0: down the columns */
    correlate_axis(work, out, w, 1, h, w, wts, r); /* axis 1: along the rows */
}

cm_status cm_spc_map(const float *pos, const float *act, int64_t n, int64_t stride, int nbins, double env,
                     double vmin, double vmax, double sigma, double *map, double *work)
{
    if (nbins < 1 || nbins > 4096 || !(env > 0.0) || !(vmax >= vmin) || n < 0 || stride < 1)
        return cm_error(CM_ERR_ARG, "spc map: nbins %d, env %g, [vmin, vmax] [%g, %g], n %lld: expected 1..4096 bins, "
                        "env > 0, vmin <= vmax", nbins, env, vmin, vmax, (long long)n);
    size_t G = (size_t)nbins * nbins;
    double *sum = work, *cnt = work + G;
    memset(sum, 0, 2 * G * sizeof *sum);
    double scale = nbins / env;
    for (int64_t i = 0; i < n; i++) {
        double x = pos[2 * i], y = pos[2 * i + 1], a = act[i * stride];
        if (!isfinite(x) || !isfinite(y) || !isfinite(a))
            continue;
        double fx = x * scale, fy = y * scale; /* Python int(): toward zero, then clipped */
        int gx = fx >= nbins ? nbins - 1 : fx <= 0 ? 0 : (int)fx;
        int gy = fy >= nbins ? nbins - 1 : fy <= 0 ? 0 : (int)fy;
        sum[(size_t)gy * nbins + gx] += a < vmin ? vmin : a > vmax ? vmax : a;
        cnt[(size_t)gy * nbins + gx] += 1.0;
    }
    for (size_t k = 0; k < G; k++)
        map[k] = cnt[k] > 0 ? sum[k] / cnt[k] : 0.0;
    cm_gaussian_filter2d(map, nbins, nbins, sigma, 4.0, map, work + 2 * G);
    return CM_OK;
}
