/* The spatial map: configuration, storage, pixel geometry, merging and the
 * per-cell view (mapping.h). */
#include <math.h>
#include <string.h>

#include "mapping_internal.h"

void cm_bev_frame_default(cm_bev_frame *f)
{
    f->width = f->height = CM_BEV_PIXELS;
    f->px_per_cell = CM_BEV_CELL;
    f->pivot_u = f->pivot_v = CM_BEV_PIXELS / 2; /* 125: PIL's rotation centre, the agent cell's corner */
    f->fov_deg = 75.0f;
    f->range = 10.0f;
    f->pose_anchored = 0;
}

void cm_bev_frame_scaled(cm_bev_frame *f, int pixels)
{
    cm_bev_frame_default(f);
    float k = (float)pixels / CM_BEV_PIXELS;
    f->width = f->height = pixels;
    f->px_per_cell *= k;
    f->pivot_u *= k;
    f->pivot_v *= k;
}

void cm_bev_agent_offset(cm_pose pose, double *du, double *dv)
{
    map_view v;
    cm_bev_frame f;
    cm_bev_frame_default(&f);
    map_view_init(&v, &f, pose, pose.theta); /* the cell-anchored 250 px view */
    *du = v.au - v.ou;
    *dv = v.av - v.ov;
}

cm_status cm_bev_frame_check(const cm_bev_frame *f)
{
    if (f->width < 2 || f->height < 2 || f->width > 4096 || f->height > 4096)
        return cm_error(CM_ERR_ARG, "bev frame: width, height: expected 2..4096 pixels, got %d x %d", f->width,
                        f->height);
    if (!(f->px_per_cell >= 0.5f && f->px_per_cell <= 256.0f))
        return cm_error(CM_ERR_ARG, "bev frame: px_per_cell: expected 0.5..256, got %g", (double)f->px_per_cell);
    if (!(f->pivot_u >= 0.0f && f->pivot_u <= f->width && f->pivot_v >= 0.0f && f->pivot_v <= f->height))
        return cm_error(CM_ERR_ARG, "bev frame: pivot (%g, %g): expected inside the %d x %d frame",
                        (double)f->pivot_u, (double)f->pivot_v, f->width, f->height);
    if (!(f->fov_deg > 0.0f && f->fov_deg < 180.0f))
        return cm_error(CM_ERR_ARG, "bev frame: fov_deg: expected in (0, 180), got %g", (double)f->fov_deg);
    if (!(f->range > 0.0f && f->range < 1000.0f))
        return cm_error(CM_ERR_ARG, "bev frame: range: expected in (0, 1000) cells, got %g", (double)f->range);
    return CM_OK;
}

void cm_map_config_default(int size, cm_map_config *c)
{
    memset(c, 0, sizeof *c);
    c->size = size;
    c->border = 1;
    c->px_per_cell = 8;
    c->tau = 0.5f;
    c->l_free = -0.85f;
    c->l_occ = 0.4f;
    c->l_clamp = 8.0f;
    c->cell_threshold = 0.5f;
    c->wall_cells = 0.75f;
    cm_bev_frame_default(&c->frame);
}

cm_status cm_map_config_check(const cm_map_config *c)
{
    if (c->size < CM_MAZE_MIN_SIZE || c->size > CM_MAZE_MAX_SIZE)
        return cm_error(CM_ERR_ARG, "map: size: expected %d..%d cells, got %d", CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE,
                        c->size);
    if (c->border < 0 || c->border > 16)
        return cm_error(CM_ERR_ARG, "map: border: expected 0..16 cells, got %d", c->border);
    if (c->px_per_cell < 1 || c->px_per_cell > 64)
        return cm_error(CM_ERR_ARG, "map: px_per_cell: expected 1..64, got %d", c->px_per_cell);
    if (!(c->tau > 0.0f && c->tau < 1.0f))
        return cm_error(CM_ERR_ARG, "map: tau: expected in (0, 1), got %g", (double)c->tau);
    if (!(c->l_free < 0.0f && c->l_free > -100.0f))
        return cm_error(CM_ERR_ARG, "map: l_free: expected a negative log-odds, got %g", (double)c->l_free);
    if (!(c->l_occ >= 0.0f && c->l_occ < 100.0f))
        return cm_error(CM_ERR_ARG, "map: l_occ: expected a log-odds >= 0, got %g", (double)c->l_occ);
    if (!(c->l_clamp > 0.0f && c->l_clamp < 1e4f))
        return cm_error(CM_ERR_ARG, "map: l_clamp: expected > 0, got %g", (double)c->l_clamp);
    if (!(c->cell_threshold >= 0.0f && c->cell_threshold < c->l_clamp))
        return cm_error(CM_ERR_ARG, "map: cell_threshold: expected in [0, l_clamp), got %g",
                        (double)c->cell_threshold);
    if (!(c->wall_cells >= 0.0f && c->wall_cells <= 16.0f))
        return cm_error(CM_ERR_ARG, "map: wall_cells: expected 0..16, got %g", (double)c->wall_cells);
    return cm_bev_frame_check(&c->frame);
}

cm_status cm_map_create(const cm_map_config *c, cm_spatial_map **out)
{
    *out = NULL;
    cm_status st = cm_map_config_check(c);
    if (st)
        return st;
    cm_spatial_map *m = cm_calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "map: out of memory");
    m->cfg = *c;
    m->width = m->height = (c->size + 2 * c->border) * c->px_per_cell;
    size_t view = (size_t)c->frame.width * c->frame.height;
    m->logodds = cm_calloc((size_t)m->width * m->height, sizeof(float));
    m->free_mask = cm_alloc(view);
    m->wall_mask = cm_alloc(view);
    if (!m->logodds || !m->free_mask || !m->wall_mask) {
        cm_map_free(m);
        return cm_error(CM_ERR_NOMEM, "map: out of memory for a %d x %d map", m->width, m->height);
    }
    *out = m;
    return CM_OK;
}

void cm_map_free(cm_spatial_map *m)
{
    if (!m)
        return;
    cm_free(m->logodds);
    cm_free(m->free_mask);
    cm_free(m->wall_mask);
    cm_free(m);
}

void cm_map_reset(cm_spatial_map *m)
{
    memset(m->logodds, 0, (size_t)m->width * m->height * sizeof(float));
    memset(m->target_sum, 0, sizeof m->target_sum);
    memset(m->target_weight, 0, sizeof m->target_weight);
}

const cm_map_config *cm_map_get_config(const cm_spatial_map *m) { return &m->cfg; }

float *cm_map_logodds(cm_spatial_map *m, int *width, int *height)
{
    if (width)
        *width = m->width;
    if (height)
        *height = m->height;
    return m->logodds;
}

void cm_map_pixel_center(const cm_spatial_map *m, int col, int row, float *x, float *y)
{
    float k = (float)m->cfg.px_per_cell;
    *x = (col + 0.5f) / k - m->cfg.border;
    *y = (row + 0.5f) / k - m->cfg.border;
}

int cm_map_pixel(const cm_spatial_map *m, float x, float y, int *col, int *row)
{
    double k = m->cfg.px_per_cell;
    double c = floor(((double)x + m->cfg.border) * k), r = floor(((double)y + m->cfg.border) * k);
    if (!(c >= 0.0 && r >= 0.0 && c < m->width && r < m->height)) /* NaN fails too */
        return -1;
    *col = (int)c;
    *row = (int)r;
    return 0;
}

static int same_shape(const cm_map_config *a, const cm_map_config *b)
{
    return a->size == b->size && a->border == b->border && a->px_per_cell == b->px_per_cell;
}

cm_status cm_map_merge(cm_spatial_map *dst, const cm_spatial_map *src, float weight)
{
    if (!same_shape(&dst->cfg, &src->cfg))
        return cm_error(CM_ERR_ARG, "map merge: expected maps of the same size, border and px_per_cell, got %d/%d/%d "
                        "and %d/%d/%d", dst->cfg.size, dst->cfg.border, dst->cfg.px_per_cell, src->cfg.size,
                        src->cfg.border, src->cfg.px_per_cell);
    if (!isfinite(weight))
        return cm_error(CM_ERR_ARG, "map merge: weight: expected a finite number, got %g", (double)weight);
    size_t n = (size_t)dst->width * dst->height;
    float lim = dst->cfg.l_clamp;
    for (size_t i = 0; i < n; i++)
        dst->logodds[i] = map_clampf(dst->logodds[i] + weight * src->logodds[i], lim);
    return CM_OK;
}

void cm_map_cell_logodds(const cm_spatial_map *m, float *out)
{
    int n = m->cfg.size, k = m->cfg.px_per_cell, b = m->cfg.border;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            double sum = 0.0;
            for (int r = (y + b) * k; r < (y + b + 1) * k; r++)
                for (int c = (x + b) * k; c < (x + b + 1) * k; c++)
                    sum += m->logodds[(size_t)r * m->width + c];
            out[y * n + x] = (float)(sum / (k * k));
        }
}

void cm_map_cells(const cm_spatial_map *m, uint8_t *out)
{
    int n = m->cfg.size;
    float thr = m->cfg.cell_threshold;
    float l[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE]; /* 16 KB on the stack: no allocation */
    cm_map_cell_logodds(m, l);
    for (int i = 0; i < n * n; i++)
        out[i] = l[i] < -thr ? CM_MAP_FREE : l[i] > thr ? CM_MAP_OCCUPIED : CM_MAP_UNKNOWN;
}

void cm_map_fuse_cells(cm_spatial_map *m, const float *cell_logodds, float weight)
{
    int n = m->cfg.size, k = m->cfg.px_per_cell, b = m->cfg.border;
    float lim = m->cfg.l_clamp;
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            float d = weight * cell_logodds[y * n + x];
            if (!isfinite(d) || d == 0.0f)
                continue;
            for (int r = (y + b) * k; r < (y + b + 1) * k; r++)
                for (int c = (x + b) * k; c < (x + b + 1) * k; c++) {
                    float *v = &m->logodds[(size_t)r * m->width + c];
                    *v = map_clampf(*v + d, lim);
                }
        }
}
