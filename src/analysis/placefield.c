/* Connected components of thresholded maps, and place-field detection. */
#include "cogmap/analysis.h"

#include <math.h>
#include <stdlib.h>

int cm_label_components(const unsigned char *mask, int nx, int ny, int *labels)
{
    int count = 0, nb = nx * ny;
    int *stack = malloc(sizeof(int) * (size_t)(nb > 0 ? nb : 1));
    if (!stack)
        return -1;
    for (int k = 0; k < nb; k++)
        labels[k] = 0;
    /* Flood fill from each unlabelled seed in row-major scan order, which
     * numbers components as scipy.ndimage.label does (by first bin). */
    for (int k = 0; k < nb; k++) {
        if (!mask[k] || labels[k])
            continue;
        int top = 0;
        labels[k] = ++count;
        stack[top++] = k;
        while (top > 0) {
            int c = stack[--top], i = c / ny, j = c % ny;
            int nbr[4] = {i > 0 ? c - ny : -1, i + 1 < nx ? c + ny : -1, j > 0 ? c - 1 : -1, j + 1 < ny ? c + 1 : -1};
            for (int q = 0; q < 4; q++)
                if (nbr[q] >= 0 && mask[nbr[q]] && !labels[nbr[q]]) {
                    labels[nbr[q]] = count;
                    stack[top++] = nbr[q];
                }
        }
    }
    free(stack);
    return count;
}

int cm_place_fields(const double *map, int nx, int ny, double frac, int min_bins, double max_share,
                    int *largest_bins, double *cx, double *cy)
{
    if (nx <= 0 || ny <= 0)
        return 0;
    int nb = nx * ny, visited = 0;
    double peak = -INFINITY;
    for (int k = 0; k < nb; k++)
        if (isfinite(map[k])) {
            visited++;
            if (map[k] > peak)
                peak = map[k];
        }
    if (largest_bins)
        *largest_bins = 0;
    if (cx)
        *cx = NAN;
    if (cy)
        *cy = NAN;
    if (!(peak > 0))
        return 0;
    unsigned char *mask = malloc((size_t)nb);
    int *labels = malloc(sizeof(int) * (size_t)nb);
    int *size = NULL;
    int fields = 0;
    if (!mask || !labels)
        goto done;
    for (int k = 0; k < nb; k++)
        mask[k] = isfinite(map[k]) && map[k] >= frac * peak;
    int count = cm_label_components(mask, nx, ny, labels);
    if (count <= 0)
        goto done;
    size = calloc((size_t)count + 1, sizeof(int));
    if (!size)
        goto done;
    for (int k = 0; k < nb; k++)
        size[labels[k]]++;
    int best = 0;
    for (int c = 1; c <= count; c++) {
        if (size[c] < min_bins || size[c] > max_share * visited)
            continue;
        fields++;
        if (!best || size[c] > size[best])
            best = c;
    }
    if (best) {
        double w = 0, sx = 0, sy = 0;
        for (int k = 0; k < nb; k++)
            if (labels[k] == best) {
                w += map[k];
                sx += map[k] * (k / ny);
                sy += map[k] * (k % ny);
            }
        if (largest_bins)
            *largest_bins = size[best];
        if (cx)
            *cx = sx / w;
        if (cy)
            *cy = sy / w;
    }
done:
    free(mask);
    free(labels);
    free(size);
    return fields;
}
