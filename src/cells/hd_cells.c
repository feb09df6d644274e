/* Head-direction target codes (see cells.h). */
#include "cogmap/cells.h"

#include <math.h>
#include <string.h>

cm_status cm_hd_cells_create(cm_hd_cells *hd, int n, float kappa, uint32_t seed)
{
    memset(hd, 0, sizeof *hd);
    if (n <= 0 || n > 1 << 16)
        return cm_error(CM_ERR_ARG, "head-direction cells: count: expected 1..%d, got %d", 1 << 16, n);
    if (!(kappa >= 0) || !isfinite(kappa))
        return cm_error(CM_ERR_ARG, "head-direction cells: kappa: expected >= 0, got %g", kappa);
    hd->centres = cm_alloc((size_t)n * sizeof(float));
    if (!hd->centres)
        return cm_error(CM_ERR_NOMEM, "head-direction cells: cannot allocate %d centres", n);
    hd->n = n;
    hd->kappa = kappa;
    cm_mt19937 mt;
    cm_mt_seed(&mt, seed);
    for (int j = 0; j < n; j++)
        hd->centres[j] = (float)cm_mt_uniform(&mt, -M_PI, M_PI);
    return CM_OK;
}

void cm_hd_cells_free(cm_hd_cells *hd)
{
    if (!hd)
        return;
    cm_free(hd->centres);
    hd->centres = NULL;
    hd->n = 0;
}

void cm_hd_cells_activate(const cm_hd_cells *hd, const float *theta, int64_t count, float *out)
{
    const int n = hd->n;
    for (int64_t s = 0; s < count; s++) {
        float *row = out + s * n;
        float m = -INFINITY;
        for (int j = 0; j < n; j++) {
            row[j] = hd->kappa * cosf(theta[s] - hd->centres[j]);
            if (row[j] > m)
                m = row[j];
        }
        double sum = 0.0;
        for (int j = 0; j < n; j++) {
            row[j] = expf(row[j] - m);
            sum += row[j];
        }
        float inv = (float)(1.0 / sum);
        for (int j = 0; j < n; j++)
            row[j] *= inv;
    }
}

void cm_hd_cells_decode(const cm_hd_cells *hd, const float *logits, int64_t count, float *theta)
{
    const int n = hd->n;
    for (int64_t s = 0; s < count; s++) {
        const float *l = logits + s * n;
        float m = -INFINITY;
        for (int j = 0; j < n; j++)
            if (l[j] > m)
                m = l[j];
        double c = 0.0, sn = 0.0;
        for (int j = 0; j < n; j++) {
            double w = exp((double)l[j] - m);
            c += w * cos(hd->centres[j]);
            sn += w * sin(hd->centres[j]);
        }
        theta[s] = (float)atan2(sn, c);
    }
}
