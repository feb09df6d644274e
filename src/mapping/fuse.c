/* Fusing one egocentric BEV into the map (mapping.h): the exact inverse of
 * how the BEV targets are made (ssm-pc.md §3.4), done by inverse mapping so
 * that every map pixel under the view gets exactly one sample. */
#include <math.h>
#include <string.h>

#include "mapping_internal.h"

/* Free where alpha > tau. Walls as a range sensor sees them: rays from the
 * agent across the view cone (one per pixel of arc at full range), each
 * walking through free pixels and marking the first wall_cells of non-free
 * pixels after them, then stopping; rays end a cell short of the range,
 * where the visible region is ragged (cell-based visibility), so that the
 * range limit is not taken for a wall. Unseen and occluded pixels get
 * nothing: a free cell hidden behind a wall must not collect wall evidence. */
void map_view_masks(cm_spatial_map *m, const float *alpha, const map_view *v)
{
    const int W = m->cfg.frame.width, H = m->cfg.frame.height;
    const float tau = m->cfg.tau;
    for (size_t i = 0; i < (size_t)W * H; i++)
        m->free_mask[i] = alpha[i] > tau; /* NaN is not free */
    memset(m->wall_mask, 0, (size_t)W * H);
    if (!(m->cfg.l_occ > 0.0f))
        return;
    const double s = v->s, reach = v->range_px - s, depth = m->cfg.wall_cells * s;
    const double half = m->cfg.frame.fov_deg * M_PI / 360.0;
    int rays = (int)ceil(2.0 * half * reach) + 1;
    for (int k = 0; k < rays; k++) {
        double a = -half + 2.0 * half * (k + 0.5) / rays;
        double dx = sin(a), dy = -cos(a); /* ahead is up */
        int in_free = 0;
        double wall_from = -1.0;
        int last = -1;
        for (double t = 0.0; t <= reach; t += 0.5) {
            double u = v->au + t * dx, w = v->av + t * dy;
            if (!(u >= 0.0 && w >= 0.0 && u < W && w < H))
                break;
            int i = (int)w * W + (int)u;
            if (m->free_mask[i]) {
                if (wall_from >= 0.0)
                    break; /* free again past a wall: stop at the first one */
                in_free = 1;
                continue;
            }
            if (!in_free)
                break; /* the view does not start free here: nothing to trust */
            if (wall_from < 0.0)
                wall_from = t;
            if (t - wall_from > depth)
                break;
            if (i != last)
                m->wall_mask[i] = 1;
            last = i;
        }
    }
}

/* Bilinear alpha at egocentric point (qu, qv) (pixel centres at +0.5), edges clamped. */
static float sample_bilinear(const float *a, int W, int H, double qu, double qv)
{
    double fx = qu - 0.5, fy = qv - 0.5;
    int x0 = (int)floor(fx), y0 = (int)floor(fy);
    double tx = fx - x0, ty = fy - y0;
    int x1 = x0 + 1, y1 = y0 + 1;
    x0 = x0 < 0 ? 0 : x0 >= W ? W - 1 : x0;
    x1 = x1 < 0 ? 0 : x1 >= W ? W - 1 : x1;
    y0 = y0 < 0 ? 0 : y0 >= H ? H - 1 : y0;
    y1 = y1 < 0 ? 0 : y1 >= H ? H - 1 : y1;
    double top = a[(size_t)y0 * W + x0] * (1 - tx) + a[(size_t)y0 * W + x1] * tx;
    double bot = a[(size_t)y1 * W + x0] * (1 - tx) + a[(size_t)y1 * W + x1] * tx;
    return (float)(top * (1 - ty) + bot * ty);
}

cm_status cm_map_fuse_bev(cm_spatial_map *m, const float *alpha, cm_pose pose)
{
    if (!isfinite(pose.x) || !isfinite(pose.y) || !isfinite(pose.theta))
        return cm_error(CM_ERR_ARG, "map fuse: pose (%g, %g, %g): expected finite numbers", (double)pose.x,
                        (double)pose.y, (double)pose.theta);
    const cm_map_config *c = &m->cfg;
    const cm_bev_frame *f = &c->frame;
    const int W = f->width, H = f->height;
    map_view v;
    map_view_init(&v, f, pose, pose.theta);
    map_view_masks(m, alpha, &v);
    /* the map pixels under the view: the bounding box of its corners */
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    for (int k = 0; k < 4; k++) {
        double x, y;
        map_view_to_world(&v, (k & 1) ? W : 0, (k & 2) ? H : 0, &x, &y);
        xmin = fmin(xmin, x), xmax = fmax(xmax, x), ymin = fmin(ymin, y), ymax = fmax(ymax, y);
    }
    const double k = c->px_per_cell;
    int c0 = (int)fmax(0.0, floor((xmin + c->border) * k)), c1 = (int)fmin(m->width - 1, floor((xmax + c->border) * k));
    int r0 = (int)fmax(0.0, floor((ymin + c->border) * k)), r1 = (int)fmin(m->height - 1, floor((ymax + c->border) * k));
    const float lim = c->l_clamp, lf = c->l_free, lo = c->l_occ, tau = c->tau;
    for (int r = r0; r <= r1; r++) {
        double y = (r + 0.5) / k - c->border;
        float *row = &m->logodds[(size_t)r * m->width];
        for (int col = c0; col <= c1; col++) {
            double x = (col + 0.5) / k - c->border, qu, qv;
            map_world_to_view(&v, x, y, &qu, &qv);
            if (!(qu >= 0.0 && qv >= 0.0 && qu < W && qv < H))
                continue;
            float a = sample_bilinear(alpha, W, H, qu, qv);
            if (a > tau) {
                row[col] = map_clampf(row[col] + lf, lim);
            } else if (lo > 0.0f && m->wall_mask[(size_t)(int)qv * W + (int)qu]) {
                row[col] = map_clampf(row[col] + lo, lim);
            }
        }
    }
    return CM_OK;
}

void cm_map_seen_cells(const cm_spatial_map *m, const uint8_t *visible, cm_pose pose, uint8_t *seen)
{
    if (!isfinite(pose.x) || !isfinite(pose.y) || !isfinite(pose.theta))
        return;
    const cm_bev_frame *f = &m->cfg.frame;
    const int n = m->cfg.size;
    map_view v;
    map_view_init(&v, f, pose, pose.theta);
    for (int y = 0; y < n; y++)
        for (int x = 0; x < n; x++) {
            if (!visible[y * n + x])
                continue;
            /* inside the 250 px world-aligned BEV it was drawn in (whatever the frame's window) */
            double bu = CM_BEV_PIXELS / 2.0 + (x + 0.5 - floor((double)pose.x)) * CM_BEV_CELL;
            double bv = CM_BEV_PIXELS / 2.0 + (y + 0.5 - floor((double)pose.y)) * CM_BEV_CELL, qu, qv;
            map_world_to_view(&v, x + 0.5, y + 0.5, &qu, &qv);
            if (bu >= 0.0 && bv >= 0.0 && bu < CM_BEV_PIXELS && bv < CM_BEV_PIXELS && qu >= 0.0 && qv >= 0.0 &&
                qu < f->width && qv < f->height)
                seen[y * n + x] = 1;
        }
}
