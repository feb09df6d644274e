/* Figures of a classification (plot.h; `cogmap analyze`), after SMP's figure 2 (smp.md §6) and its
 * plot_utils.py conventions: rate maps with x up and y right, octant maps in
 * the 3 x 3 layout [[5,4,3],[6,all,2],[7,0,1]] drawn from the bottom row up,
 * polar plots at the angle pi/2 - theta (so heading +x points up, as on the
 * rate maps), the positive lobe blue and the negative one red. */
#include "cogmap/plot.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/io.h"

#define TOP 4

static const cm_rgb BLUE = {0.12, 0.30, 0.85}, RED = {0.85, 0.15, 0.12}, GREY = {0.45, 0.45, 0.45};

/* Units sorted best first: flagged before unflagged, then by score; units
 * with a NaN score are left out. At most k. */
typedef struct ranked {
    int unit, flag;
    double score;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;
    if (x->flag != y->flag)
        return y->flag - x->flag;
    if (x->score != y->score)
        return x->score < y->score ? 1 : -1;
    return x->unit - y->unit; /* ties: the lower unit first, for the same figure every run */
}

static int top_units(const double *score, const unsigned char *flag, int units, int k, int *out)
{
    ranked *rk = malloc(sizeof(ranked) * (size_t)(units > 0 ? units : 1));
    if (!rk)
        return 0;
    int m = 0;
    for (int u = 0; u < units; u++)
        if (isfinite(score[u]))
            rk[m++] = (ranked){u, flag ? flag[u] != 0 : 0, score[u]};
    qsort(rk, (size_t)m, sizeof(ranked), cmp_ranked);
    int count = m < k ? m : k;
    for (int j = 0; j < count; j++)
        out[j] = rk[j].unit;
    free(rk);
    return count;
}

static const char *group_of(const cm_unit_group *g, int n, int u)
{
    for (int i = 0; i < n; i++)
        if (u >= g[i].start && u < g[i].end)
            return g[i].name;
    return "";
}

static cm_status save(cm_figure *fig, const char *dir, const char *name, const char *ext)
{
    char file[256], path[4096];
    snprintf(file, sizeof file, "%s.%s", name, ext);
    cm_status st = cm_path_join(path, sizeof path, dir, file);
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

/* A: polar tuning curves (36 bins) of the best HD units. */
static cm_status fig_hd_polar(const char *dir, const char *ext, const double *hd, const float *act, int64_t n,
                              int f32, const cm_classify_result *r, const cm_unit_group *g, int ng)
{
    enum { K = 8, B = 36 };
    int sel[K];
    int k = top_units(r->hd_score, r->is_hd, r->units, K, sel);
    if (k == 0)
        return CM_OK;
    float *sub = cm_alloc(sizeof(float) * (size_t)n * k);
    double *maps = cm_alloc(sizeof(double) * B * k);
    cm_status st = (!sub || !maps) ? cm_error(CM_ERR_NOMEM, "figures: out of memory") : CM_OK;
    if (st == CM_OK) {
        for (int64_t t = 0; t < n; t++)
            for (int j = 0; j < k; j++)
                sub[t * k + j] = act[t * r->units + sel[j]];
        st = cm_hd_ratemaps(hd, sub, n, k, B, maps, f32);
    }
    cm_figure *fig = NULL;
    if (st == CM_OK)
        st = cm_figure_create(&fig, 2, 4, 170, 190, "head direction: best units (36 bins; up = +x heading)");
    for (int j = 0; j < k && st == CM_OK; j++) {
        cm_panel *p = cm_figure_panel(fig, j / 4, j % 4);
        double th[B], pos[B], neg[B];
        int any_neg = 0;
        for (int b = 0; b < B; b++) {
            double c = -M_PI + (b + 0.5) * 2 * M_PI / B, v = maps[j * B + b];
            th[b] = M_PI / 2 - c;
            pos[b] = v > 0 ? v : 0;
            neg[b] = v < 0 ? -v : 0;
            any_neg |= v < 0;
        }
        st = cm_panel_polar(p, th, pos, B, BLUE, 1.5);
        if (st == CM_OK && any_neg)
            st = cm_panel_polar(p, th, neg, B, RED, 1.5);
        if (st == CM_OK)
            st = cm_panel_title(p, "unit %d %s  R=%.2f", sel[j], group_of(g, ng, sel[j]), r->hd_score[sel[j]]);
    }
    cm_free(sub);
    cm_free(maps);
    return fig ? (st == CM_OK ? save(fig, dir, "hd_polar", ext) : (cm_figure_free(fig), st)) : st;
}

/* SMP's octant_grid: 3 x 3 blocks (each map padded by one rim bin), block
 * rows [5,4,3], [6,all,2], [7,0,1] from the bottom; returned top row first
 * for the heatmap, so x points up inside every block. */
void cm_octant_grid(const double *map, const double *oct, int nx, int ny, double *out)
{
    static const int order[3][3] = {{5, 4, 3}, {6, 8, 2}, {7, 0, 1}};
    int h = nx + 2, w = ny + 2, H = 3 * h, W = 3 * w;
    for (int i = 0; i < H * W; i++)
        out[i] = NAN;
    for (int br = 0; br < 3; br++)
        for (int bc = 0; bc < 3; bc++) {
            int o = order[br][bc];
            for (int ix = 0; ix < nx; ix++)
                for (int iy = 0; iy < ny; iy++) {
                    double v = o == 8 ? map[ix * ny + iy] : oct[(ix * ny + iy) * 8 + o];
                    int row_up = br * h + 1 + ix; /* counted from the bottom */
                    out[(H - 1 - row_up) * W + bc * w + 1 + iy] = v;
                }
        }
}

/* B-D: the best units of each family with their octant maps. */
static cm_status fig_octants(const char *dir, const char *ext, const cm_classify_result *r, const cm_unit_group *g,
                             int ng)
{
    enum { ROWS = 5 };
    const double *scores[ROWS] = {r->hd_score, r->ego_score, r->allo_score, r->info_bits_spike, r->grid60};
    const unsigned char *flags[ROWS] = {r->is_hd, r->is_ego, r->is_allo, r->is_place, r->is_grid};
    const char *names[ROWS] = {"HD", "ego", "allo", "place", "grid"};
    int nx = r->nx, ny = r->ny, H = 3 * (nx + 2), W = 3 * (ny + 2);
    double *grid = cm_alloc(sizeof(double) * (size_t)H * W);
    if (!grid)
        return cm_error(CM_ERR_NOMEM, "figures: out of memory");
    cm_figure *fig = NULL;
    cm_status st = cm_figure_create(&fig, ROWS, TOP, 170, 190,
                                    "rate maps by heading octant (centre: all; x up, y right)");
    for (int row = 0; row < ROWS && st == CM_OK; row++) {
        int sel[TOP];
        /* Rows 0-2 fall back to the best scores; the place and grid rows show
         * only units whose primary class is place or grid (their scores alone
         * say little, and BVCs also carry place flags). */
        int k;
        if (row < 3) {
            k = top_units(scores[row], flags[row], r->units, TOP, sel);
        } else {
            cm_cell_class want = row == 3 ? CM_CELL_PLACE : CM_CELL_GRID;
            int *all = malloc(sizeof(int) * (size_t)r->units);
            int m = all ? top_units(scores[row], flags[row], r->units, r->units, all) : 0;
            k = 0;
            for (int j = 0; j < m && k < TOP; j++)
                if (r->cls[all[j]] == want)
                    sel[k++] = all[j];
            free(all);
        }
        for (int j = 0; j < k && st == CM_OK; j++) {
            size_t nb = (size_t)nx * ny;
            cm_octant_grid(r->maps + sel[j] * nb, r->octants + sel[j] * nb * 8, nx, ny, grid);
            cm_panel *p = cm_figure_panel(fig, row, j);
            st = cm_panel_heatmap(p, grid, H, W, CM_CMAP_JET, NAN, NAN);
            if (st == CM_OK)
                st = cm_panel_title(p, "%s: unit %d %s %.2f%s", names[row], sel[j], group_of(g, ng, sel[j]),
                                    scores[row][sel[j]], row == 3 ? " bits" : "");
        }
    }
    cm_free(grid);
    return st == CM_OK ? save(fig, dir, "ratemaps_octants", ext) : (cm_figure_free(fig), st);
}

/* The distance x angle map as a disc: angle a on screen as on the rate maps
 * (a = 0 up, +pi/2 right), distance outwards to the last distance bin. */
static void bvc_disc(const double *map, int n_dist, int rays, const double *dc, int size, double *out)
{
    double dmax = dc[n_dist - 1] + (dc[n_dist - 1] - dc[n_dist - 2]) / 2;
    double dmin = dc[0] - (dc[1] - dc[0]) / 2;
    for (int row = 0; row < size; row++)
        for (int col = 0; col < size; col++) {
            double right = (col + 0.5) / size * 2 - 1, up = 1 - (row + 0.5) / size * 2;
            double rad = hypot(right, up) * dmax;
            double a = atan2(right, up);
            int k = (int)floor((a + M_PI) / (2 * M_PI / rays));
            if (k >= rays)
                k = rays - 1;
            int d = (int)floor((rad - dmin) / (dc[1] - dc[0]));
            out[row * size + col] = (rad > dmax || d < 0 || d >= n_dist) ? NAN : map[(size_t)d * rays + k];
        }
}

static cm_status fig_bvc(const char *dir, const char *ext, const cm_classify_result *r, const cm_unit_group *g, int ng)
{
    enum { S = 96 };
    double *disc = cm_alloc(sizeof(double) * S * S);
    if (!disc)
        return cm_error(CM_ERR_NOMEM, "figures: out of memory");
    cm_figure *fig = NULL;
    cm_status st = cm_figure_create(&fig, 2, TOP, 170, 190,
                                    "boundary-vector maps (up: ahead for ego, +x for allo; radius: wall distance)");
    for (int row = 0; row < 2 && st == CM_OK; row++) {
        const double *score = row == 0 ? r->ego_score : r->allo_score;
        const double *maps = row == 0 ? r->ego_maps : r->allo_maps;
        const double *dist = row == 0 ? r->ego_dist : r->allo_dist;
        int sel[TOP];
        int k = top_units(score, row == 0 ? r->is_ego : r->is_allo, r->units, TOP, sel);
        for (int j = 0; j < k && st == CM_OK; j++) {
            bvc_disc(maps + (size_t)sel[j] * r->n_dist * r->rays, r->n_dist, r->rays, r->dcentres, S, disc);
            cm_panel *p = cm_figure_panel(fig, row, j);
            st = cm_panel_heatmap(p, disc, S, S, CM_CMAP_JET, NAN, NAN);
            if (st == CM_OK)
                st = cm_panel_title(p, "%s: unit %d %s %.2f, %.2f m", row == 0 ? "ego" : "allo", sel[j],
                                    group_of(g, ng, sel[j]), score[sel[j]], dist[sel[j]]);
        }
    }
    cm_free(disc);
    return st == CM_OK ? save(fig, dir, "bvc_maps", ext) : (cm_figure_free(fig), st);
}

/* F, G and the BVC scores: histograms per group, thresholds as red lines. */
static cm_status fig_histograms(const char *dir, const char *ext, const cm_classify_result *r,
                                const cm_unit_group *g, int ng)
{
    int rows = ng < 8 ? ng : 8;
    cm_figure *fig = NULL;
    cm_status st = cm_figure_create(&fig, rows, 4, 200, 160, "score distributions per group (red: thresholds)");
    for (int i = 0; i < rows && st == CM_OK; i++) {
        int64_t s = g[i].start, cnt = g[i].end - g[i].start;
        struct {
            const double *v;
            const char *what;
            double thr;
        } h[4] = {{r->stability, "spatial stability", NAN},
                  {r->hd_score, "HD resultant length", r->hd_threshold},
                  {r->ego_score, "ego-BVC score", r->ego_threshold},
                  {r->allo_score, "allo-BVC score", r->allo_threshold}};
        for (int c = 0; c < 4 && st == CM_OK; c++) {
            cm_panel *p = cm_figure_panel(fig, i, c);
            double hi = c <= 1 ? 1.0 : 0.5;
            st = cm_panel_hist(p, h[c].v + s, (int)cnt, c == 0 ? 10 : 20, 0.0, hi, GREY); /* SMP: 10 bins on [0, 1] */
            if (st == CM_OK && isfinite(h[c].thr))
                st = cm_panel_vline(p, h[c].thr, RED, 1.5);
            if (st == CM_OK)
                st = cm_panel_title(p, "%s: %s", g[i].name, h[c].what);
        }
    }
    return st == CM_OK ? save(fig, dir, "histograms", ext) : (cm_figure_free(fig), st);
}

/* H: resultant vectors as sticks (angle as plotted, length), threshold ring. */
static cm_status fig_sticks(const char *dir, const char *ext, const cm_classify_result *r, const cm_unit_group *g,
                            int ng)
{
    int cols = ng < 4 ? ng : 4;
    cm_figure *fig = NULL;
    cm_status st = cm_figure_create(&fig, 1, cols, 220, 240, "HD resultant vectors (ring: threshold)");
    for (int i = 0; i < cols && st == CM_OK; i++) {
        cm_panel *p = cm_figure_panel(fig, 0, i);
        enum { C = 72 };
        double th[C], rr[C];
        for (int k = 0; k < C; k++) {
            th[k] = 2 * M_PI * k / C;
            rr[k] = isfinite(r->hd_threshold) ? r->hd_threshold : 0;
        }
        st = cm_panel_polar(p, th, rr, C, RED, 1.0);
        for (int64_t u = g[i].start; u < g[i].end && st == CM_OK; u++) {
            if (!isfinite(r->hd_score[u]))
                continue;
            /* SMP's angle is already pi/2 - theta: the polar plot's angle. */
            double t2[2] = {r->hd_angle[u], r->hd_angle[u]}, r2[2] = {0, r->hd_score[u]};
            st = cm_panel_polar(p, t2, r2, 2, r->is_hd[u] ? BLUE : GREY, 1.2);
        }
        if (st == CM_OK)
            st = cm_panel_title(p, "%s", g[i].name);
    }
    return st == CM_OK ? save(fig, dir, "hd_sticks", ext) : (cm_figure_free(fig), st);
}

/* I: ego against allo score, one colour per group, dashed thresholds. */
static cm_status fig_scatter(const char *dir, const char *ext, const cm_classify_result *r, const cm_unit_group *g,
                             int ng)
{
    cm_figure *fig = NULL;
    cm_status st = cm_figure_create(&fig, 1, 1, 420, 400, "ego-BVC vs allo-BVC score (colours: groups)");
    cm_panel *p = st == CM_OK ? cm_figure_panel(fig, 0, 0) : NULL;
    double hi = 0.5;
    for (int u = 0; u < r->units; u++) {
        if (isfinite(r->ego_score[u]) && r->ego_score[u] > hi)
            hi = r->ego_score[u];
        if (isfinite(r->allo_score[u]) && r->allo_score[u] > hi)
            hi = r->allo_score[u];
    }
    for (int i = 0; i < ng && st == CM_OK; i++) {
        int64_t s = g[i].start, cnt = g[i].end - g[i].start;
        st = cm_panel_scatter(p, r->ego_score + s, r->allo_score + s, (int)cnt, cm_plot_color(i), 2.5);
    }
    if (st == CM_OK)
        st = cm_panel_vline(p, r->ego_threshold, GREY, 1.0);
    if (st == CM_OK)
        st = cm_panel_hline(p, r->allo_threshold, GREY, 1.0);
    if (st == CM_OK) {
        cm_panel_xlim(p, 0, hi);
        cm_panel_ylim(p, 0, hi);
        st = cm_panel_xlabel(p, "ego-BVC score");
    }
    if (st == CM_OK)
        st = cm_panel_ylabel(p, "allo-BVC score");
    for (int i = 0; i < ng && i < 8 && st == CM_OK; i++)
        st = cm_panel_text(p, 0.72, 0.95 - 0.06 * i, g[i].name, 9, cm_plot_color(i));
    return st == CM_OK ? save(fig, dir, "ego_vs_allo", ext) : (cm_figure_free(fig), st);
}

cm_status cm_classify_figures(const char *dir, const char *ext, const double *hd, const float *act, int64_t n,
                          int f32, const cm_classify_result *r, const cm_unit_group *groups, int n_groups)
{
    cm_status st = fig_hd_polar(dir, ext, hd, act, n, f32, r, groups, n_groups);
    if (st == CM_OK)
        st = fig_octants(dir, ext, r, groups, n_groups);
    if (st == CM_OK)
        st = fig_bvc(dir, ext, r, groups, n_groups);
    if (st == CM_OK)
        st = fig_histograms(dir, ext, r, groups, n_groups);
    if (st == CM_OK)
        st = fig_sticks(dir, ext, r, groups, n_groups);
    if (st == CM_OK)
        st = fig_scatter(dir, ext, r, groups, n_groups);
    return st;
}
