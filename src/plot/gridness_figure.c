/* The gridness figure: rate maps and autocorrelograms of the best units, scores printed on
 * each, the best ring drawn on the SAC (as DeepMind's plot_sac does). */
#include "cogmap/analysis.h"
#include "cogmap/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct ranked {
    int64_t unit;
    double score;
} ranked;

static int by_score_desc(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    const int xn = isnan(x->score), yn = isnan(y->score);
    if (xn != yn)
        return xn - yn; /* NaN last */
    if (!xn && x->score != y->score)
        return x->score > y->score ? -1 : 1;
    return x->unit < y->unit ? -1 : (x->unit > y->unit); /* stable by unit */
}

cm_status cm_plot_gridness(const char *path, const void *maps, int is_f32, const double *sacs,
                           const cm_gridness_result *results, int64_t count, const cm_gridness_config *cfg, int top,
                           int per_row, const char *title)
{
    if (!path || !maps || !sacs || !results || !cfg || count < 1 || top < 1 || per_row < 1)
        return cm_error(CM_ERR_ARG, "gridness figure: expected maps, SACs, results for >= 1 unit, top >= 1");
    const int n = cfg->nbins, sn = 2 * n - 1;
    if (top > count)
        top = (int)count;
    if (top > 512)
        top = 512;
    ranked *order = malloc(sizeof *order * (size_t)count);
    double *plot_sac = cm_alloc(sizeof(double) * (size_t)sn * sn);
    if (!order || !plot_sac) {
        free(order);
        cm_free(plot_sac);
        return cm_error(CM_ERR_NOMEM, "gridness figure: cannot allocate for %lld units", (long long)count);
    }
    for (int64_t i = 0; i < count; i++)
        order[i] = (ranked){i, results[i].score60};
    qsort(order, (size_t)count, sizeof *order, by_score_desc);

    const int cols = top < per_row ? top : per_row, groups = (top + cols - 1) / cols;
    cm_figure *fig = NULL;
    cm_status st = cm_figure_create(&fig, 2 * groups, cols, 130, 140, title);
    for (int k = 0; st == CM_OK && k < top; k++) {
        const int64_t u = order[k].unit;
        const cm_gridness_result *r = &results[u];
        cm_panel *pm = cm_figure_panel(fig, 2 * (k / cols), k % cols);
        cm_panel *ps = cm_figure_panel(fig, 2 * (k / cols) + 1, k % cols);
        if (is_f32)
            st = cm_panel_heatmap_f32(pm, (const float *)maps + (size_t)u * n * n, n, n, CM_CMAP_JET, NAN, NAN);
        else
            st = cm_panel_heatmap(pm, (const double *)maps + (size_t)u * n * n, n, n, CM_CMAP_JET, NAN, NAN);
        if (st != CM_OK)
            break;
        cm_panel_title(pm, "unit %lld", (long long)u);
        char text[64];
        snprintf(text, sizeof text, "%.2f", r->score60);
        cm_panel_text(pm, 0.02, 0.93, text, 10, CM_BLACK);
        /* the SAC outside radius nbins is never used: blank it, as DeepMind's plot does */
        const double *sac = sacs + (size_t)u * sn * sn;
        for (int i = 0; i < sn; i++)
            for (int j = 0; j < sn; j++) {
                const double di = i - (n - 1), dj = j - (n - 1);
                plot_sac[i * sn + j] = sqrt(di * di + dj * dj) <= n ? sac[i * sn + j] : NAN;
            }
        st = cm_panel_heatmap(ps, plot_sac, sn, sn, CM_CMAP_JET, NAN, NAN);
        if (st != CM_OK)
            break;
        cm_panel_title(ps, "s60 %.2f  s90 %.2f", r->score60, r->score90);
        const int m = r->mask60 >= 0 && r->mask60 < cfg->n_masks ? r->mask60 : 0;
        cm_panel_circle(ps, n - 1, n - 1, cfg->mask_min[m] * n, CM_BLACK, 1);
        cm_panel_circle(ps, n - 1, n - 1, cfg->mask_max[m] * n, CM_BLACK, 1);
    }
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    free(order);
    cm_free(plot_sac);
    return st;
}
