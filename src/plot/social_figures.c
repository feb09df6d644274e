/* Figures of social place cells and of the link (plot.h). */
#include "cogmap/plot.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

cm_status cm_spc_fig_class(const char *path, const cm_spc_evaluation *ev, cm_spc_class cls)
{
    if ((unsigned)cls >= CM_SPC_N_CLASSES || !ev->maps || ev->per_class < 1)
        return cm_error(CM_ERR_ARG, "%s: expected a probed evaluation with maps and a class", path);
    int rows = 0;
    while (rows < ev->per_class && ev->best[cls][rows] >= 0)
        rows++;
    if (rows == 0)
        return cm_error(CM_ERR_ARG, "%s: no %s unit", path, cm_spc_class_name(cls));
    char title[192];
    snprintf(title, sizeof title, "%s: %d units (the strongest %d); columns: self moves vs self, peer moves vs peer, "
             "both move vs self, vs peer", cm_spc_class_name(cls), ev->counts[cls], rows);
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, rows, CM_SPC_MAPS, 190, 200, title);
    if (st)
        return st;
    int G = ev->nbins;
    double *flip = malloc((size_t)G * G * sizeof *flip);
    if (!flip) {
        cm_figure_free(fig);
        return cm_error(CM_ERR_NOMEM, "%s: out of memory", path);
    }
    for (int r = 0; !st && r < rows; r++) {
        int u = ev->best[cls][r];
        const double *pk = ev->probe.peaks + 4 * (size_t)u;
        for (int c = 0; !st && c < CM_SPC_MAPS; c++) {
            const double *map = ev->maps + (((size_t)cls * ev->per_class + r) * CM_SPC_MAPS + c) * (size_t)G * G;
            for (int y = 0; y < G; y++) /* y up, as SSM-PC's imshow(origin="lower") */
                memcpy(flip + (size_t)y * G, map + (size_t)(G - 1 - y) * G, (size_t)G * sizeof *flip);
            cm_panel *p = cm_figure_panel(fig, r, c);
            st = cm_panel_heatmap(p, flip, G, G, CM_CMAP_JET, 0.0, 0.8);
            /* the unit and its four peaks head the row; the figure's title says what the columns map */
            if (!st && c == 0)
                st = cm_panel_title(p, "unit %d", u);
            if (!st && c == 1)
                st = cm_panel_title(p, "peaks %.2f %.2f %.2f %.2f", pk[0], pk[1], pk[2], pk[3]);
            if (!st && c > 1)
                st = cm_panel_title(p, " "); /* the same height as the titled panels */
        }
    }
    free(flip);
    if (!st)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

cm_status cm_spc_fig_growth(const char *path, const cm_evals *h)
{
    static const cm_spc_class shown[] = {CM_SPC_PURE_SPC, CM_SPC_SPECIAL_SPC, CM_SPC_PURE_PLACE, CM_SPC_MIXED};
    if (!h || h->n_rows < 1)
        return cm_error(CM_ERR_ARG, "%s: no periodic evaluation to draw", path);
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 1, 520, 320, "bottleneck units by class over training");
    if (st)
        return st;
    double *x = malloc((size_t)h->n_rows * sizeof *x), *y = malloc((size_t)h->n_rows * sizeof *y);
    if (!x || !y)
        st = cm_error(CM_ERR_NOMEM, "%s: out of memory", path);
    cm_panel *p = cm_figure_panel(fig, 0, 0);
    for (size_t k = 0; !st && k < sizeof shown / sizeof *shown; k++) {
        for (int r = 0; r < h->n_rows; r++) {
            x[r] = cm_evals_get(h, r, "step");
            y[r] = cm_evals_get(h, r, cm_spc_class_name(shown[k]));
        }
        st = cm_panel_line(p, x, y, h->n_rows, cm_plot_color((int)k), 2.0);
        if (!st)
            st = cm_panel_text(p, 0.02, 0.95 - 0.07 * k, cm_spc_class_name(shown[k]), 11, cm_plot_color((int)k));
    }
    if (!st)
        st = cm_panel_xlabel(p, "training step");
    if (!st)
        st = cm_panel_ylabel(p, "units (of 256)");
    free(x);
    free(y);
    if (!st)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

cm_status cm_link_fig_bits(const char *path, const cm_link_bench_row *rows, int n)
{
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 1, 560, 360, "partner error against bits per step");
    if (st)
        return st;
    cm_panel *p = cm_figure_panel(fig, 0, 0);
    double *x = malloc((size_t)(n + 1) * sizeof *x), *y = malloc((size_t)(n + 1) * sizeof *y);
    if (!x || !y)
        st = cm_error(CM_ERR_NOMEM, "%s: out of memory", path);
    const char *lines[3] = {"learned", "broadcast", "broadcast_estimate"};
    double xmin = INFINITY, xmax = -INFINITY, ymax = 0;
    for (int i = 0; i < n; i++)
        if (rows[i].bits > 0) {
            xmin = fmin(xmin, log2(rows[i].bits));
            xmax = fmax(xmax, log2(rows[i].bits));
        }
    /* No link at all is an order of magnitude worse than any scheme: left
     * off the axis (named in a label instead) so that the schemes can be told
     * apart. */
    for (int i = 0; i < n; i++)
        if (strcmp(rows[i].scheme, "none") != 0)
            ymax = fmax(ymax, rows[i].partner_error);
    const double ytop = ymax * 1.25 + 0.05;
    for (int s = 0; !st && s < 3; s++) {
        int m = 0;
        for (int i = 0; i < n; i++)
            if (strcmp(rows[i].scheme, lines[s]) == 0 && rows[i].bits > 0) {
                x[m] = log2(rows[i].bits);
                y[m++] = rows[i].partner_error;
            }
        if (m > 0) {
            st = cm_panel_line(p, x, y, m, cm_plot_color(s), 2.0);
            if (!st)
                st = cm_panel_scatter(p, x, y, m, cm_plot_color(s), 3.5);
        }
        if (!st)
            st = cm_panel_text(p, 0.62, 0.95 - 0.07 * s, lines[s], 11, cm_plot_color(s));
    }
    const char *flat[2] = {"velocity", "none"};
    for (int s = 0; !st && s < 2; s++)
        for (int i = 0; !st && i < n; i++)
            if (strcmp(rows[i].scheme, flat[s]) == 0) {
                char label[64];
                if (rows[i].partner_error <= ytop) {
                    st = cm_panel_hline(p, rows[i].partner_error, cm_plot_color(3 + s), 1.5);
                    snprintf(label, sizeof label, "%s", flat[s]);
                } else {
                    snprintf(label, sizeof label, "%s: %.2f (above)", flat[s], rows[i].partner_error);
                }
                if (!st)
                    st = cm_panel_text(p, 0.62, 0.74 - 0.07 * s, label, 11, cm_plot_color(3 + s));
            }
    if (!st && isfinite(xmin)) {
        cm_panel_xlim(p, xmin - 0.3, xmax + 0.3);
        cm_panel_ylim(p, 0.0, ytop);
    }
    if (!st)
        st = cm_panel_xlabel(p, "log2 bits per step (budget)");
    if (!st)
        st = cm_panel_ylabel(p, "partner error (grid units)");
    free(x);
    free(y);
    if (!st)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}
