/* Grid periods across the map and grid modules by spacing [DESIGN] (analysis.h,
 * docs/analysis.md). */
#include "cogmap/analysis.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_sorted(const double *v, int n)
{
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double cm_grid_periods_across(const cm_gridness_result *results, int units, int nbins, double min_score,
                              int *counted)
{
    double *v = cm_alloc(sizeof(double) * (size_t)(units > 0 ? units : 1));
    int n = 0;
    for (int u = 0; v && u < units; u++)
        if (results[u].score60 > min_score && isfinite(results[u].spacing) && results[u].spacing > 0)
            v[n++] = (double)nbins / results[u].spacing;
    if (counted)
        *counted = n;
    double m = NAN;
    if (n > 0) {
        qsort(v, (size_t)n, sizeof(double), cmp_double);
        m = median_sorted(v, n);
    }
    cm_free(v);
    return m;
}

typedef struct {
    double spacing, orientation;
} unit_geom;

static int cmp_geom(const void *a, const void *b)
{
    const unit_geom *x = a, *y = b;
    if (x->spacing != y->spacing)
        return (x->spacing > y->spacing) - (x->spacing < y->spacing);
    return (x->orientation > y->orientation) - (x->orientation < y->orientation);
}

/* One group [lo, hi) of sorted units as a module. */
static cm_grid_module make_module(const unit_geom *g, int lo, int hi)
{
    cm_grid_module m;
    double *s = cm_alloc(sizeof(double) * (size_t)(hi - lo));
    double c = 0, si = 0;
    for (int i = lo; i < hi; i++) {
        s[i - lo] = g[i].spacing; /* already in order */
        /* orientations live on a 60-degree circle: average them as angles x 6 */
        double a = g[i].orientation * (6.0 * M_PI / 180.0);
        c += cos(a);
        si += sin(a);
    }
    m.spacing = median_sorted(s, hi - lo);
    cm_free(s);
    double o = atan2(si, c) * (180.0 / M_PI) / 6.0;
    m.orientation = o < 0 ? o + 60.0 : o;
    m.count = hi - lo;
    return m;
}

int cm_grid_modules(const cm_gridness_result *results, int units, double min_score, double gap_ratio,
                    int min_units, cm_grid_module *out, int cap)
{
    if (units <= 0 || cap <= 0 || !(gap_ratio > 1.0))
        return 0;
    unit_geom *g = cm_alloc(sizeof *g * (size_t)units);
    if (!g)
        return 0;
    int n = 0;
    for (int u = 0; u < units; u++)
        if (results[u].score60 > min_score && isfinite(results[u].spacing) && results[u].spacing > 0 &&
            isfinite(results[u].orientation))
            g[n++] = (unit_geom){results[u].spacing, results[u].orientation};
    qsort(g, (size_t)n, sizeof *g, cmp_geom);
    int count = 0, lo = 0;
    for (int i = 1; i <= n && count < cap; i++)
        if (i == n || g[i].spacing > gap_ratio * g[i - 1].spacing) {
            if (i - lo >= (min_units > 1 ? min_units : 1))
                out[count++] = make_module(g, lo, i);
            lo = i;
        }
    cm_free(g);
    return count;
}
