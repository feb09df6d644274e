/* Border score (Solstad et al. 2008), grid-cells.md §5.2 and §2.3. */
#include "cogmap/analysis.h"

#include <math.h>
#include <stdlib.h>

double cm_border_score(const double *map, int nx, int ny, double box, int sorscher_compat, double *cm_out,
                       double *dm_out)
{
    if (nx <= 0 || ny <= 0)
        return NAN;
    int nb = nx * ny;
    double peak = -INFINITY, result = NAN, cm_max = NAN, dm = NAN;
    for (int k = 0; k < nb; k++)
        if (isfinite(map[k]) && map[k] > peak)
            peak = map[k];
    unsigned char *mask = malloc((size_t)nb);
    int *labels = malloc(sizeof(int) * (size_t)nb);
    int *keep = NULL;
    if (!mask || !labels || !isfinite(peak))
        goto done;
    for (int k = 0; k < nb; k++)
        mask[k] = isfinite(map[k]) && map[k] > 0.3 * peak;
    int count = cm_label_components(mask, nx, ny, labels);
    if (count <= 0)
        goto done;
    keep = calloc((size_t)count + 1, sizeof(int));
    if (!keep)
        goto done;
    /* Bin area in cm^2 (Sorscher: 100^2 box^2 / res^2; nx*ny for non-square grids). */
    double pix_area = 1e4 * box * box / ((double)nx * ny);
    for (int k = 0; k < nb; k++)
        keep[labels[k]]++;
    int nfields = 0, first = 0;
    for (int c = 1; c <= count; c++) {
        keep[c] = keep[c] * pix_area > 200;
        if (keep[c]) {
            nfields++;
            if (!first)
                first = c;
        }
    }
    if (!nfields)
        goto done;
    /* Coverage: fraction of a wall's bins (edge row/column) inside a field. */
    cm_max = 0;
    for (int c = 1; c <= count; c++) {
        if (!keep[c] || (sorscher_compat && c != first))
            continue; /* Sorscher's loop always looks at the first field */
        int n0 = 0, n1 = 0, e0 = 0, e1 = 0;
        for (int j = 0; j < ny; j++) {
            n0 += labels[j] == c;
            n1 += labels[(nx - 1) * ny + j] == c;
        }
        for (int i = 0; i < nx; i++) {
            e0 += labels[i * ny] == c;
            e1 += labels[i * ny + ny - 1] == c;
        }
        double cov = fmax(fmax((double)n0 / ny, (double)n1 / ny), fmax((double)e0 / nx, (double)e1 / nx));
        if (cov > cm_max)
            cm_max = cov;
    }
    /* Distance to the nearest wall in bins counted from 1, times box / n. */
    double bw = box / (nx > ny ? nx : ny);
    if (sorscher_compat) {
        double sum = 0;
        int used = 0;
        for (int c = 1; c <= count; c++) {
            if (!keep[c])
                continue;
            double tot = 0, acc = 0;
            for (int k = 0; k < nb; k++)
                if (labels[k] == c)
                    tot += map[k];
            for (int k = 0; k < nb; k++)
                if (labels[k] == c) {
                    int i = k / ny + 1, j = k % ny + 1;
                    int d = i < nx + 1 - i ? i : nx + 1 - i;
                    int e = j < ny + 1 - j ? j : ny + 1 - j;
                    acc += map[k] / tot * (double)(d < e ? d : e) * bw;
                }
            if (!isnan(acc)) { /* nanmean */
                sum += acc;
                used++;
            }
        }
        dm = used ? sum / used / (box / 2) : NAN;
    } else {
        double tot = 0, acc = 0;
        for (int k = 0; k < nb; k++)
            if (labels[k] && keep[labels[k]])
                tot += map[k];
        for (int k = 0; k < nb; k++)
            if (labels[k] && keep[labels[k]]) {
                int i = k / ny + 1, j = k % ny + 1;
                int d = i < nx + 1 - i ? i : nx + 1 - i;
                int e = j < ny + 1 - j ? j : ny + 1 - j;
                acc += map[k] / tot * (double)(d < e ? d : e) * bw;
            }
        dm = acc / (box / 2);
    }
    result = (cm_max - dm) / (cm_max + dm);
done:
    free(mask);
    free(labels);
    free(keep);
    if (cm_out)
        *cm_out = cm_max;
    if (dm_out)
        *dm_out = dm;
    return result;
}
