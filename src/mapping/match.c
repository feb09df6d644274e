/* Scan matching: where a new view agrees most with the map (mapping.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "mapping_internal.h"

void cm_map_match_config_default(cm_map_match_config *c)
{
    c->radius = 1;
    c->dtheta = 0.2f;
    c->dtheta_step = 0.1f;
    c->subsample = 4;
    c->shift_cost = 0.03f;
    c->turn_cost = 0.05f;
    c->wall_sure = 3.0f;
}

/* Contradictions of the view placed at `pose`, as a negated fraction of its
 * free pixels: free floor where the map is confidently occupied (a wall seen
 * many times: log-odds above `sure`) or off the map. Agreement earns
 * nothing, so a placement is not rewarded for overlapping what is already
 * mapped (which would pull a view of new ground back onto old ground). The
 * view's own wall pixels are not used: a BEV shows walls and occluded floor
 * alike (both transparent), so a wall read off one view is only a guess,
 * while the map's confident walls have survived every view of free floor. */
/* A free pixel contradicts the map only inside a confident wall: the map
 * pixel and its four neighbours all above `sure`. A view rotated by a
 * heading off the axes puts its boundary pixels up to half a pixel across
 * a wall's edge; those are aliasing, not evidence. */
static int inside_wall(const cm_spatial_map *m, int col, int row, float sure)
{
    static const int d[5][2] = {{0, 0}, {1, 0}, {-1, 0}, {0, 1}, {0, -1}};
    for (int k = 0; k < 5; k++) {
        int c = col + d[k][0], r = row + d[k][1];
        if (c < 0 || r < 0 || c >= m->width || r >= m->height)
            continue; /* the map's edge: beyond it is off the map, a wall */
        if (!(m->logodds[(size_t)r * m->width + c] > sure))
            return 0;
    }
    return 1;
}

static float placement_score(const cm_spatial_map *m, cm_pose pose, int sub, float sure)
{
    const cm_bev_frame *f = &m->cfg.frame;
    const int W = f->width, H = f->height;
    map_view v;
    map_view_init(&v, f, pose, pose.theta);
    long bad = 0, used = 0;
    for (int y = sub / 2; y < H; y += sub)
        for (int x = sub / 2; x < W; x += sub) {
            if (!m->free_mask[(size_t)y * W + x])
                continue;
            double wx, wy;
            map_view_to_world(&v, x + 0.5, y + 0.5, &wx, &wy);
            int col, row;
            used++;
            if (cm_map_pixel(m, (float)wx, (float)wy, &col, &row))
                bad++;
            else
                bad += inside_wall(m, col, row, sure);
        }
    return used ? -(float)bad / used : 0.0f;
}

cm_status cm_map_match(const cm_spatial_map *m, const float *alpha, cm_pose guess, const cm_map_match_config *c,
                       cm_pose *best, float *best_score, float *guess_score)
{
    if (!isfinite(guess.x) || !isfinite(guess.y) || !isfinite(guess.theta))
        return cm_error(CM_ERR_ARG, "map match: guess (%g, %g, %g): expected finite numbers", (double)guess.x,
                        (double)guess.y, (double)guess.theta);
    if (c->radius < 0 || c->radius > 8 || c->subsample < 1 || !(c->dtheta >= 0.0f) || !(c->shift_cost >= 0.0f) ||
        !(c->turn_cost >= 0.0f) ||
        (c->dtheta > 0.0f && !(c->dtheta_step > 0.0f)) || c->dtheta > (float)M_PI)
        return cm_error(CM_ERR_ARG, "map match: expected radius 0..8, subsample >= 1, 0 <= dtheta <= pi and "
                        "dtheta_step > 0, got %d, %d, %g, %g", c->radius, c->subsample, (double)c->dtheta,
                        (double)c->dtheta_step);
    /* the masks live in the map's workspace (matching reads the map only);
     * the wall rays start from the guess's position within its cell, which
     * every whole-cell shift keeps */
    map_view gv;
    map_view_init(&gv, &m->cfg.frame, guess, guess.theta);
    map_view_masks((cm_spatial_map *)m, alpha, &gv);
    int nt = c->dtheta > 0.0f ? (int)floorf(c->dtheta / c->dtheta_step + 1e-4f) : 0;
    float g = placement_score(m, guess, c->subsample, c->wall_sure);
    cm_pose top = guess;
    float top_score = g, top_rank = g;
    for (int t = -nt; t <= nt; t++)
        for (int dy = -c->radius; dy <= c->radius; dy++)
            for (int dx = -c->radius; dx <= c->radius; dx++) {
                if (!t && !dx && !dy)
                    continue;
                cm_pose p = {guess.x + dx, guess.y + dy, guess.theta + t * c->dtheta_step};
                float s = placement_score(m, p, c->subsample, c->wall_sure);
                /* the odometry is the prior: a move must pay for itself (a corridor fits many shifts) */
                float rank = s - c->shift_cost * (float)(abs(dx) + abs(dy)) - c->turn_cost * fabsf(t * c->dtheta_step);
                if (rank > top_rank) {
                    top_rank = rank;
                    top_score = s;
                    top = p;
                }
            }
    /* the views fix the cell, not the point within it: the guess moved just
     * into the winning cell (its closest point there) */
    if (top.x != guess.x || top.y != guess.y) {
        const float eps = 1e-3f, cx = floorf(top.x), cy = floorf(top.y);
        top.x = fminf(fmaxf(guess.x, cx + eps), cx + 1.0f - eps);
        top.y = fminf(fmaxf(guess.y, cy + eps), cy + 1.0f - eps);
    }
    if (top.theta > (float)M_PI)
        top.theta -= 2.0f * (float)M_PI;
    else if (top.theta <= -(float)M_PI)
        top.theta += 2.0f * (float)M_PI;
    *best = top;
    if (best_score)
        *best_score = top_score;
    if (guess_score)
        *guess_score = g;
    return CM_OK;
}

#define FIT_R 24 /* cells each way binned around the agent's cell */

/* Partial filling of the cells by the view's free pixels placed at `pose`,
 * the cell grid shifted by (ox, oy) cells. */
static float partial_filling_at(const cm_spatial_map *m, cm_pose pose, double ox, double oy, int32_t *count)
{
    const cm_bev_frame *f = &m->cfg.frame;
    const int W = f->width, H = f->height, side = 2 * FIT_R + 1, sub = 2;
    map_view v;
    map_view_init(&v, f, pose, pose.theta);
    memset(count, 0, (size_t)side * side * sizeof *count);
    for (int y = 0; y < H; y += sub)
        for (int x = 0; x < W; x += sub) {
            if (!m->free_mask[(size_t)y * W + x])
                continue;
            double wx, wy;
            map_view_to_world(&v, x + 0.5, y + 0.5, &wx, &wy);
            int cx = (int)floor(wx - ox) - (int)floor(v.cx) + FIT_R, cy = (int)floor(wy - oy) - (int)floor(v.cy) + FIT_R;
            if (cx >= 0 && cy >= 0 && cx < side && cy < side)
                count[cy * side + cx]++;
        }
    const double full = (v.s / sub) * (v.s / sub);
    double part = 0.0, total = 0.0;
    for (int i = 0; i < side * side; i++) {
        double n = count[i];
        total += n;
        part += fmax(0.0, fmin(n, full - n));
    }
    return total > 0.0 ? (float)(part / total) : 0.0f;
}

/* A cell-anchored view's cells lie on the maze's grid wherever the pose
 * estimate is within its cell; a pose-anchored view's lie on a grid shifted
 * by the estimate's error within the cell, which is not known: the best of
 * quarter-cell shifts of the grid (where the heading is right, one of them
 * lines up). */
static float partial_filling(const cm_spatial_map *m, cm_pose pose, int32_t *count)
{
    if (!m->cfg.frame.pose_anchored)
        return partial_filling_at(m, pose, 0.0, 0.0, count);
    float best = INFINITY;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 4; j++) {
            float s = partial_filling_at(m, pose, 0.25 * i, 0.25 * j, count);
            if (s < best)
                best = s;
        }
    return best;
}

cm_status cm_map_fit_heading(cm_spatial_map *m, const float *alpha, cm_pose guess, float range, float step,
                             float *theta, float *best_partial, float *guess_partial)
{
    if (!isfinite(guess.x) || !isfinite(guess.y) || !isfinite(guess.theta))
        return cm_error(CM_ERR_ARG, "map heading fit: guess (%g, %g, %g): expected finite numbers", (double)guess.x,
                        (double)guess.y, (double)guess.theta);
    if (!(range >= 0.0f && range <= (float)M_PI / 4) || !(step > 0.0f))
        return cm_error(CM_ERR_ARG, "map heading fit: expected 0 <= range <= pi/4 and step > 0, got %g, %g",
                        (double)range, (double)step);
    if (m->cfg.frame.px_per_cell / 2 > 64 || m->cfg.frame.range + 2 > FIT_R)
        return cm_error(CM_ERR_ARG, "map heading fit: the frame reaches beyond %d cells", FIT_R - 2);
    int32_t count[(2 * FIT_R + 1) * (2 * FIT_R + 1)];
    map_view v;
    map_view_init(&v, &m->cfg.frame, guess, guess.theta);
    map_view_masks(m, alpha, &v);
    float g = partial_filling(m, guess, count), best = g, bt = guess.theta;
    int n = (int)floorf(range / step + 1e-4f);
    for (int k = -n; k <= n; k++) {
        if (!k)
            continue;
        cm_pose p = guess;
        p.theta = guess.theta + k * step;
        float s = partial_filling(m, p, count);
        if (s < best)
            best = s, bt = p.theta;
    }
    *theta = remainderf(bt, 2.0f * (float)M_PI);
    if (best_partial)
        *best_partial = best;
    if (guess_partial)
        *guess_partial = g;
    return CM_OK;
}
