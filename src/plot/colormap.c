/* Colour maps as piecewise-linear tables in sRGB.
 *
 * viridis: matplotlib's published key colours at ninths of the range (#440154 ... #fde725);
 * linear interpolation between them stays within a few units of 255 of the full table.
 * jet: matplotlib's segment data. coolwarm: Moreland's end points around a light grey. */
#include "cogmap/plot.h"

#include <math.h>
#include <string.h>

typedef struct stop {
    double t, r, g, b;
} stop;

#define HEX(t, v) {t, ((v) >> 16 & 255) / 255.0, ((v) >> 8 & 255) / 255.0, ((v)&255) / 255.0}

static const stop viridis[] = {
    HEX(0.0, 0x440154),   HEX(0.125, 0x472c7a), HEX(0.25, 0x3b518b), HEX(0.375, 0x2c718e), HEX(0.5, 0x21908d),
    HEX(0.625, 0x27ad81), HEX(0.75, 0x5cc863),  HEX(0.875, 0xaadc32), HEX(1.0, 0xfde725),
};
static const stop coolwarm[] = {
    HEX(0.0, 0x3b4cc0), HEX(0.25, 0x8db0fe), HEX(0.5, 0xdddddd), HEX(0.75, 0xf4987a), HEX(1.0, 0xb40426),
};
static const stop gray[] = {{0, 0, 0, 0}, {1, 1, 1, 1}};

/* One channel of matplotlib's jet: (x, value) breakpoints. */
static double segment(const double (*pts)[2], int n, double t)
{
    if (t <= pts[0][0])
        return pts[0][1];
    for (int i = 1; i < n; i++)
        if (t <= pts[i][0]) {
            const double f = (t - pts[i - 1][0]) / (pts[i][0] - pts[i - 1][0]);
            return pts[i - 1][1] + f * (pts[i][1] - pts[i - 1][1]);
        }
    return pts[n - 1][1];
}

static cm_rgb jet(double t)
{
    static const double r[][2] = {{0, 0}, {0.35, 0}, {0.66, 1}, {0.89, 1}, {1, 0.5}};
    static const double g[][2] = {{0, 0}, {0.125, 0}, {0.375, 1}, {0.64, 1}, {0.91, 0}, {1, 0}};
    static const double b[][2] = {{0, 0.5}, {0.11, 1}, {0.34, 1}, {0.65, 0}, {1, 0}};
    return (cm_rgb){segment(r, 5, t), segment(g, 6, t), segment(b, 5, t)};
}

static cm_rgb hsv(double t)
{
    const double h = fmod(t, 1.0) * 6.0;
    const int k = (int)h;
    const double f = h - k;
    switch (k % 6) {
    case 0: return (cm_rgb){1, f, 0};
    case 1: return (cm_rgb){1 - f, 1, 0};
    case 2: return (cm_rgb){0, 1, f};
    case 3: return (cm_rgb){0, 1 - f, 1};
    case 4: return (cm_rgb){f, 0, 1};
    default: return (cm_rgb){1, 0, 1 - f};
    }
}

static cm_rgb table(const stop *s, int n, double t)
{
    for (int i = 1; i < n; i++)
        if (t <= s[i].t) {
            const double f = (t - s[i - 1].t) / (s[i].t - s[i - 1].t);
            return (cm_rgb){s[i - 1].r + f * (s[i].r - s[i - 1].r), s[i - 1].g + f * (s[i].g - s[i - 1].g),
                            s[i - 1].b + f * (s[i].b - s[i - 1].b)};
        }
    return (cm_rgb){s[n - 1].r, s[n - 1].g, s[n - 1].b};
}

cm_rgb cm_colormap_at(cm_colormap map, double t)
{
    if (isnan(t))
        return (cm_rgb){0.85, 0.85, 0.85};
    t = t < 0 ? 0 : (t > 1 ? 1 : t);
    switch (map) {
    case CM_CMAP_JET: return jet(t);
    case CM_CMAP_GRAY: return table(gray, 2, t);
    case CM_CMAP_COOLWARM: return table(coolwarm, 5, t);
    case CM_CMAP_HSV: return hsv(t);
    case CM_CMAP_VIRIDIS:
    default: return table(viridis, 9, t);
    }
}

static const char *const names[CM_CMAP_COUNT] = {"viridis", "jet", "gray", "coolwarm", "hsv"};

cm_status cm_colormap_parse(const char *name, cm_colormap *out)
{
    for (int i = 0; i < CM_CMAP_COUNT; i++)
        if (name && strcmp(name, names[i]) == 0) {
            *out = (cm_colormap)i;
            return CM_OK;
        }
    return cm_error(CM_ERR_ARG, "colormap: expected viridis, jet, gray, coolwarm or hsv, got '%s'",
                    name ? name : "(null)");
}

cm_rgb cm_plot_color(int i)
{
    /* a colour-blind-safe qualitative palette (Okabe & Ito) */
    static const int pal[] = {0x0072b2, 0xe69f00, 0x009e73, 0xd55e00, 0xcc79a7, 0x56b4e9, 0xf0e442, 0x000000};
    const int v = pal[((i % 8) + 8) % 8];
    return (cm_rgb){(v >> 16 & 255) / 255.0, (v >> 8 & 255) / 255.0, (v & 255) / 255.0};
}
