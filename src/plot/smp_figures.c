/* SMP's figures 2 and 3 (smp.md §6-7; plot.h) from the numbers the run
 * layer computes: figure 3's panels of the head-direction RNN's dynamics
 * (cm_smp_hd_result), figure 2's place-slot panel and its panels of the
 * notebook's own units. */
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static cm_status save_fig(cm_figure *fig, const char *dir, const char *name)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, name);
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

/* A: sorted HD activity over time + the true angle. B: the ring. */
static cm_status fig_ab(const char *dir, const cm_smp_hd_result *d)
{
    const int TA = d->steps_a, n_hd = d->n_hd;
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 3, 1, 900, 220, "Figure 3 A-B: velocity integration by the HD units");
    if (st != CM_OK)
        return st;
    double *img = cm_alloc((size_t)n_hd * TA * sizeof(double)), *tx = cm_alloc(TA * sizeof(double));
    if (!img || !tx) {
        cm_free(img), cm_free(tx), cm_figure_free(fig);
        return cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
    }
    for (int k = 0; k < n_hd; k++) /* the first unit of the order at the bottom */
        memcpy(img + (size_t)(n_hd - 1 - k) * TA, d->activity + (size_t)k * TA, TA * sizeof(double));
    cm_panel *pa = cm_figure_panel(fig, 0, 0);
    cm_panel_title(pa, "A: HD units sorted by preferred direction (%d units)", n_hd);
    cm_panel_heatmap(pa, img, n_hd, TA, CM_CMAP_COOLWARM, NAN, NAN);
    cm_panel_heatmap_stretch(pa); /* a few units over 1000 steps */
    for (int t = 0; t < TA; t++)
        tx[t] = t;
    cm_panel *pt = cm_figure_panel(fig, 1, 0);
    cm_panel_title(pt, "true angle wrap(cumsum omega - pi)");
    cm_panel_line(pt, tx, d->true_angle, TA, CM_BLACK, 1.5);
    cm_panel_xlabel(pt, "step");
    cm_panel *pb = cm_figure_panel(fig, 2, 0);
    cm_panel_title(pb, "B: the trajectory in PC1-PC2 space");
    cm_panel_line(pb, d->ring_x, d->ring_y, TA, cm_plot_color(0), 1.0);
    cm_panel_xlabel(pb, "PC1");
    cm_free(img), cm_free(tx);
    return save_fig(fig, dir, "fig3_ab_integration.png");
}

/* C: step sizes of the settling states; D: where they start, are at t = 10 and end. */
static cm_status fig_cd(const char *dir, const cm_smp_hd_result *d)
{
    const int N = d->n_init;
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 2, 420, 360, "Figure 3 C-D: convergence to the ring attractor");
    if (st != CM_OK)
        return st;
    double tt[100];
    for (int t = 0; t < 100; t++)
        tt[t] = t;
    cm_panel *pc = cm_figure_panel(fig, 0, 0);
    cm_panel_title(pc, "C: |x(t+1) - x(t)| (mean, 5%%, 95%%)");
    cm_panel_line(pc, tt, d->step_mean, 100, CM_BLACK, 1.5);
    cm_panel_line(pc, tt, d->step_q5, 100, cm_plot_color(0), 1.0);
    cm_panel_line(pc, tt, d->step_q95, 100, cm_plot_color(0), 1.0);
    cm_panel_xlabel(pc, "step");
    cm_panel *pd = cm_figure_panel(fig, 0, 1);
    cm_panel_title(pd, "D: t=0 grey, t=10 green, t=%d black", d->settle);
    cm_panel_scatter(pd, d->pc_x, d->pc_y, N, (cm_rgb){0.7, 0.7, 0.7}, 1.5);
    cm_panel_scatter(pd, d->pc_x + N, d->pc_y + N, N, (cm_rgb){0.1, 0.6, 0.2}, 1.5);
    cm_panel_scatter(pd, d->pc_x + 2 * N, d->pc_y + 2 * N, N, CM_BLACK, 2.0);
    cm_panel_xlabel(pd, "PC1");
    return save_fig(fig, dir, "fig3_cd_convergence.png");
}

/* E: rotation from two settled states at -0.16 (blue) and +0.16 (red); F: autocovariance. */
static cm_status fig_ef(const char *dir, const cm_smp_hd_result *d)
{
    const int N = d->n_init;
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 2, 420, 360, "Figure 3 E-F: rotation under constant angular velocity");
    if (st != CM_OK)
        return st;
    cm_panel *pe = cm_figure_panel(fig, 0, 0);
    cm_panel_title(pe, "E: 50 steps at omega=-0.16 (blue), +0.16 (red)");
    cm_panel_scatter(pe, d->pc_x + 2 * N, d->pc_y + 2 * N, N, (cm_rgb){0.75, 0.75, 0.75}, 1.5);
    for (int k = 0; k < 4; k++) {
        const cm_rgb c = k >= 2 ? (cm_rgb){0.8, 0.1, 0.1} : (cm_rgb){0.1, 0.2, 0.8};
        cm_panel_line(pe, d->rot_x[k], d->rot_y[k], 51, c, 1.2);
        cm_panel_scatter(pe, d->rot_x[k] + 50, d->rot_y[k] + 50, 1, c, 3.5);
    }
    double lag[50];
    for (int l = 0; l < 50; l++)
        lag[l] = l;
    cm_panel *pf = cm_figure_panel(fig, 0, 1);
    cm_panel_title(pf, "F: autocovariance at omega=0.16");
    cm_panel_line(pf, lag, d->autocov, 50, CM_BLACK, 1.5);
    cm_panel_xlabel(pf, "lag (steps)");
    return save_fig(fig, dir, "fig3_ef_rotation.png");
}

/* G: steps to converge; H, I: the flows of the example views. */
static cm_status fig_gi(const char *dir, const cm_smp_hd_result *d)
{
    const int N = d->n_init, NA = d->flow_starts, C = d->corr_steps;
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 4, 360, 320, "Figure 3 G-I: resets by visual correction");
    if (st != CM_OK)
        return st;
    cm_panel *pg = cm_figure_panel(fig, 0, 0);
    cm_panel_title(pg, "G: steps to converge (%d never)", d->never_converged);
    cm_panel_hist(pg, d->conv_steps, d->n_conv, 20, 0, 200, cm_plot_color(0));
    cm_panel_xlabel(pg, "steps");
    static const char *const names[3] = {"H: fast image 1", "H: fast image 2", "I: no convergence"};
    for (int e = 0; e < 3; e++) {
        cm_panel *ph = cm_figure_panel(fig, 0, 1 + e);
        if (d->examples[e] < 0) {
            cm_panel_title(ph, "%s: none", names[e]);
            continue;
        }
        cm_panel_title(ph, "%s (#%d)", names[e], d->examples[e]);
        cm_panel_scatter(ph, d->pc_x + 2 * N, d->pc_y + 2 * N, N, (cm_rgb){0.8, 0.8, 0.8}, 1.2);
        for (int j = 0; j < NA; j++)
            cm_panel_line(ph, d->flow_x + ((size_t)e * NA + j) * (C + 1), d->flow_y + ((size_t)e * NA + j) * (C + 1),
                          C + 1, cm_colormap_at(CM_CMAP_HSV, (double)j / NA), 0.8);
    }
    return save_fig(fig, dir, "fig3_gi_correction.png");
}

cm_status cm_smp_fig3(const char *dir, const cm_smp_hd_result *d)
{
    cm_status st = cm_mkdir_p(dir);
    if (st == CM_OK)
        st = fig_ab(dir, d);
    if (st == CM_OK)
        st = fig_cd(dir, d);
    if (st == CM_OK)
        st = fig_ef(dir, d);
    if (st == CM_OK)
        st = fig_gi(dir, d);
    return st;
}

cm_status cm_smp_fig2_places(const char *dir, const double *maps, int nx, int ny, const int *slots, int n_slots)
{
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, n_slots, 180, 180, "Figure 2 E: memory slots, P(s|y) rate maps");
    if (st != CM_OK)
        return st;
    double *img = cm_alloc((size_t)nx * ny * sizeof(double));
    for (int k = 0; k < n_slots; k++) {
        /* x up, y right, origin lower left (smp.md §5.1 display). */
        const double *m = maps + (size_t)slots[k] * nx * ny;
        for (int ix = 0; ix < nx; ix++)
            for (int iy = 0; iy < ny; iy++)
                img[(size_t)(nx - 1 - ix) * ny + iy] = m[(size_t)ix * ny + iy];
        cm_panel *p = cm_figure_panel(fig, 0, k);
        cm_panel_title(p, "Mem: %d", slots[k]);
        cm_panel_heatmap(p, img, nx, ny, CM_CMAP_JET, NAN, NAN);
    }
    cm_free(img);
    return save_fig(fig, dir, "fig2e_place_slots.png");
}

/* Panels A-D with the notebook's own units: RNN-1 units 0-4 (A: 36-bin polar
 * tuning, B: rate maps with octants), RNN-2 units 14, 56, 73, 76, 81 (C) and
 * RNN-3 units 57, 64, 87, 104, 119 (D), indices within each RNN. Rows whose
 * units the RNN does not have (a smaller cogmap model) are left empty. */
cm_status cm_smp_fig2_notebook_units(const char *dir, const cm_smp_fig2_data *d, const cm_classify_result *r)
{
    static const int units[3][5] = {{0, 1, 2, 3, 4}, {14, 56, 73, 76, 81}, {57, 64, 87, 104, 119}};
    static const char *const labels[4] = {"A: RNN-1", "B: RNN-1", "C: RNN-2", "D: RNN-3"};
    enum { B = 36 };
    const int nx = r->nx, ny = r->ny, GH = 3 * (nx + 2), GW = 3 * (ny + 2);
    const int has1 = d->a.groups[0].end - d->a.groups[0].start > 4;
    double *grid = cm_alloc(sizeof(double) * (size_t)GH * GW), *maps = cm_alloc(sizeof(double) * B * 5);
    float *sub = cm_alloc(sizeof(float) * (size_t)d->a.n * 5);
    cm_status st = (!grid || !maps || !sub) ? cm_error(CM_ERR_NOMEM, "figure 2: out of memory") : CM_OK;
    if (st == CM_OK && has1) {
        for (int64_t t = 0; t < d->a.n; t++)
            for (int j = 0; j < 5; j++)
                sub[t * 5 + j] = d->a.act[t * d->a.units + d->a.groups[0].start + j];
        st = cm_hd_ratemaps(d->a.hd, sub, d->a.n, 5, B, maps, d->a.f32);
    }
    cm_figure *fig = NULL;
    if (st == CM_OK)
        st = cm_figure_create(&fig, 4, 5, 170, 190, "Figure 2 A-D: the notebook's units (up = +x heading)");
    for (int j = 0; j < 5 && st == CM_OK && has1; j++) {
        /* A: the positive lobe in blue, a negative one in red, at angle pi/2 - theta. */
        double th[B], pos[B], neg[B];
        int any_neg = 0;
        for (int b = 0; b < B; b++) {
            const double c = -M_PI + (b + 0.5) * 2 * M_PI / B, v = maps[j * B + b];
            th[b] = M_PI / 2 - c;
            pos[b] = v > 0 ? v : 0;
            neg[b] = v < 0 ? -v : 0;
            any_neg |= v < 0;
        }
        cm_panel *p = cm_figure_panel(fig, 0, j);
        static const cm_rgb blue = {0.12, 0.30, 0.85}, red = {0.85, 0.15, 0.12};
        st = cm_panel_polar(p, th, pos, B, blue, 1.5);
        if (st == CM_OK && any_neg)
            st = cm_panel_polar(p, th, neg, B, red, 1.5);
        if (st == CM_OK)
            st = cm_panel_title(p, "%s unit %d, R=%.2f", labels[0], j, r->hd_score[d->a.groups[0].start + j]);
    }
    for (int row = 0; row < 3 && st == CM_OK; row++) {
        const cm_unit_group *g = &d->a.groups[row];
        for (int j = 0; j < 5 && st == CM_OK; j++) {
            if (units[row][j] >= g->end - g->start)
                continue;
            const int u = (int)g->start + units[row][j];
            const size_t nb = (size_t)nx * ny;
            cm_octant_grid(r->maps + u * nb, r->octants + u * nb * 8, nx, ny, grid);
            cm_panel *p = cm_figure_panel(fig, row + 1, j);
            st = cm_panel_heatmap(p, grid, GH, GW, CM_CMAP_JET, NAN, NAN);
            if (st == CM_OK)
                st = cm_panel_title(p, "%s unit %d", labels[row + 1], units[row][j]);
        }
    }
    if (fig && st == CM_OK) {
        char path[4096];
        st = cm_path_join(path, sizeof path, dir, "fig2_notebook_units.png");
        if (st == CM_OK)
            st = cm_figure_save(fig, path);
    }
    if (fig)
        cm_figure_free(fig);
    cm_free(grid), cm_free(maps), cm_free(sub);
    return st;
}

