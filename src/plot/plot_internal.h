/* The plot module's figure model: panels holding lists of items, drawn at save time. */
#ifndef COGMAP_PLOT_INTERNAL_H
#define COGMAP_PLOT_INTERNAL_H

#include "cogmap/plot.h"

typedef enum item_kind {
    ITEM_HEATMAP,
    ITEM_LINE,
    ITEM_SCATTER,
    ITEM_BARS,   /* also histograms: x0, dx, heights */
    ITEM_VLINE,
    ITEM_HLINE,
    ITEM_POLAR,
    ITEM_CIRCLE,
    ITEM_TEXT,
} item_kind;

typedef struct plot_item {
    item_kind kind;
    cm_rgb color;
    double width;    /* line width or dot radius */
    int n, h, w;     /* points, or heatmap rows / columns */
    double *x, *y;   /* owned copies (heatmap values in x) */
    double a, b, c;  /* heatmap vmin/vmax; bars x0/dx; vline/hline position; circle x/y/r; text fx/fy/size */
    cm_colormap map;
    char *text;      /* text item */
    char **labels;   /* bar labels (n entries, may be NULL) */
    struct plot_item *next;
} plot_item;

struct cm_panel {
    char title[256];
    char xlabel[128], ylabel[128];
    double xlo, xhi, ylo, yhi; /* user limits, NaN = automatic */
    int axes;                  /* -1 automatic, 0 off, 1 on */
    int colorbar;
    int stretch;               /* the heatmap fills the panel (aspect 'auto') */
    plot_item *items, *last;
};

struct cm_figure {
    int rows, cols;
    double panel_w, panel_h;
    char title[256];
    cm_panel *panels;
};

/* Draws the figure with cairo onto `cr` (size from cm_figure_size). */
void cm_plot_render(const cm_figure *fig, void *cairo_context);

#endif
