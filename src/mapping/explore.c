/* Ground-truth views in a map's frame, and one agent mapping a maze
 * (mapping.h): the pipeline behind `cogmap map`, with the BEV predictor,
 * the detector and the pose estimate plugged in as callbacks. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mapping_internal.h"

#define P CM_BEV_PIXELS

size_t cm_map_truth_work_bytes(void) { return (size_t)2 * P * P * 4; }

void cm_map_truth_view(const cm_map_config *c, const uint8_t *layout, cm_pose pose, const cm_bev_config *bev,
                       uint8_t *work, uint8_t *visible, float *alpha)
{
    uint8_t *rgba = work, *rot = work + (size_t)P * P * 4;
    cm_bev_visible(layout, c->size, pose, bev, visible);
    cm_bev_draw(layout, c->size, visible, pose, 0, NULL, NULL, -1, rgba);
    cm_bev_rotate(rgba, pose.theta, rot);
    const cm_bev_frame *f = &c->frame;
    const double k = (double)CM_BEV_CELL / f->px_per_cell; /* source pixels per frame pixel */
    /* the source pixel under the pivot: the cell's corner (the rotation
     * centre), or the agent itself, rotated as the image is */
    double cu = P / 2.0, cv = P / 2.0;
    if (f->pose_anchored) {
        double du, dv;
        cm_bev_agent_offset(pose, &du, &dv);
        cu += du, cv += dv;
    }
    for (int v = 0; v < f->height; v++) {
        double y0 = cv + (v - f->pivot_v) * k, y1 = y0 + k;
        for (int u = 0; u < f->width; u++) {
            double x0 = cu + (u - f->pivot_u) * k, x1 = x0 + k, sum = 0.0;
            for (int sy = (int)floor(y0); sy < (int)ceil(y1); sy++) {
                if (sy < 0 || sy >= P)
                    continue;
                double wy = fmin(y1, sy + 1.0) - fmax(y0, (double)sy);
                for (int sx = (int)floor(x0); sx < (int)ceil(x1); sx++) {
                    if (sx < 0 || sx >= P)
                        continue;
                    double wx = fmin(x1, sx + 1.0) - fmax(x0, (double)sx);
                    sum += wx * wy * rot[((size_t)sy * P + sx) * 4 + 3];
                }
            }
            alpha[(size_t)v * f->width + u] = (float)(sum / (k * k * 255.0));
        }
    }
}

void cm_map_run_config_default(cm_map_run_config *c)
{
    memset(c, 0, sizeof *c);
    c->size = 15;
    c->seed = 1;
    c->steps = 1000;
    c->policy_noise = 0.1f;
    cm_bev_config_default(&c->bev);
    cm_map_config_default(15, &c->map);
    c->detect_threshold = 0.7f;
    c->heading_range = 0.4f;
    c->heading_step = 0.02f;
    c->heading_margin = 0.005f;
    c->accept_margin = 0.01f;
    c->correct_after = 20;
    cm_map_match_config_default(&c->match);
    c->match.dtheta = 0.0f;
    c->snapshot_scale = 2;
}

void cm_map_run_result_free(cm_map_run_result *r)
{
    cm_free(r->true_path);
    cm_free(r->used_path);
    cm_free(r->snapshots);
    cm_map_free(r->map);
    cm_map_free(r->truth_map);
    memset(r, 0, sizeof *r);
}

static double wrap(double a)
{
    a = fmod(a + M_PI, 2.0 * M_PI);
    return (a < 0 ? a + 2.0 * M_PI : a) - M_PI;
}

static void snapshot(cm_map_run_result *r, int t, int scale)
{
    static const uint8_t white[3] = {255, 255, 255}, yellow[3] = {255, 215, 0};
    uint8_t *img = r->snapshots + (size_t)r->n_snapshots * r->snapshot_width * r->snapshot_height * 3;
    cm_map_render(r->map, r->layout, scale, img);
    /* paths as x, y pairs: the stored poses stride 3 floats, so draw segment by segment */
    for (int i = 0; i + 1 <= t; i++) {
        float seg[4] = {r->true_path[3 * i], r->true_path[3 * i + 1], r->true_path[3 * (i + 1)],
                        r->true_path[3 * (i + 1) + 1]};
        cm_map_draw_path(r->map, scale, seg, 2, white, img);
    }
    for (int i = 0; i + 1 <= t; i++) {
        float seg[4] = {r->used_path[3 * i], r->used_path[3 * i + 1], r->used_path[3 * (i + 1)],
                        r->used_path[3 * (i + 1) + 1]};
        cm_map_draw_path(r->map, scale, seg, 2, yellow, img);
    }
    for (int k = 0; k < r->n_targets; k++) {
        float xy[2];
        if (cm_map_target(r->map, k, xy, NULL))
            cm_map_draw_point(r->map, scale, xy[0], xy[1], 2 * scale, yellow, img);
    }
    r->n_snapshots++;
}

cm_status cm_map_run(const cm_map_run_config *c, cm_map_view_fn view, void *view_ctx, cm_map_detect_fn detect,
                     void *detect_ctx, const cm_map_odometry *odo, cm_map_run_result *out, FILE *progress_out)
{
    memset(out, 0, sizeof *out);
    if (c->steps < 1 || c->steps > 10000000)
        return cm_error(CM_ERR_ARG, "map run: steps: expected 1..10000000, got %d", c->steps);
    if (c->map.size != c->size)
        return cm_error(CM_ERR_ARG, "map run: map.size %d differs from the maze's %d", c->map.size, c->size);
    if (c->snapshot_every < 0 || c->snapshot_scale < 1 || c->snapshot_scale > 16)
        return cm_error(CM_ERR_ARG, "map run: snapshot_every >= 0 and snapshot_scale 1..16 expected, got %d, %d",
                        c->snapshot_every, c->snapshot_scale);
    cm_maze_params mp;
    cm_maze maze;
    cm_status st = cm_maze_params_default(c->size, &mp);
    if (st || (st = cm_maze_generate(&mp, c->seed, &maze)))
        return st;
    cm_maze_env *env = cm_calloc(1, sizeof *env);
    cm_renderer *rend = NULL;
    const cm_bev_frame *f = &c->map.frame;
    const size_t nf = (size_t)f->width * f->height;
    float *alpha = cm_alloc(nf * sizeof(float)), *alpha_true = cm_alloc(nf * sizeof(float));
    uint8_t *work = cm_alloc(cm_map_truth_work_bytes()), *rgb = cm_alloc(64 * 64 * 3);
    uint8_t visible[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    out->steps = c->steps;
    out->size = c->size;
    memcpy(out->layout, maze.layout, sizeof out->layout);
    out->n_targets = maze.n_targets;
    memcpy(out->targets, maze.targets, sizeof out->targets);
    out->true_path = cm_alloc((size_t)c->steps * 3 * sizeof(float));
    out->used_path = cm_alloc((size_t)c->steps * 3 * sizeof(float));
    if (!env || !alpha || !alpha_true || !work || !rgb || !out->true_path || !out->used_path) {
        st = cm_error(CM_ERR_NOMEM, "map run: out of memory");
        goto done;
    }
    if ((st = cm_map_create(&c->map, &out->map)) || (st = cm_map_create(&c->map, &out->truth_map)))
        goto done;
    if (c->snapshot_every > 0) {
        int w, h;
        cm_map_logodds(out->map, &w, &h);
        out->snapshot_width = w * c->snapshot_scale, out->snapshot_height = h * c->snapshot_scale;
        int n = c->steps / c->snapshot_every + 2;
        out->snapshots = cm_alloc((size_t)n * out->snapshot_width * out->snapshot_height * 3);
        if (!out->snapshots) {
            st = cm_error(CM_ERR_NOMEM, "map run: out of memory for %d snapshots", n);
            goto done;
        }
    }
    if ((st = cm_maze_env_init(env, &maze, 1, c->seed)))
        goto done;
    cm_render_config rc;
    cm_render_config_maze(&rc);
    if ((st = cm_renderer_create(&rend, &env->arena, &env->maze, &rc)))
        goto done;
    cm_pose estimate = env->agents[0].pose;
    if (odo && (st = odo->reset(odo->ctx, estimate)))
        goto done;
    cm_progress prog;
    cm_progress *progress = &prog;
    cm_progress_start(progress, progress_out, "map", c->steps);
    double drift_sum = 0.0, heading_sum = 0.0;
    /* the heading fits' correction of the odometry's heading, carried from
     * step to step (the fit searches around the corrected heading); an
     * accepted cell match re-anchors the odometry, heading included, and
     * clears it */
    double heading_offset = 0.0;
    for (int t = 0; t < c->steps; t++) {
        const cm_pose truth = env->agents[0].pose;
        if ((st = cm_maze_env_render(env, rend, 0, rgb, NULL)))
            goto done;
        cm_map_truth_view(&c->map, maze.layout, truth, &c->bev, work, visible, alpha_true);
        if ((st = cm_map_fuse_bev(out->truth_map, alpha_true, truth)))
            goto done;
        cm_map_seen_cells(out->truth_map, visible, truth, out->seen);
        cm_pose used = odo ? estimate : truth;
        if (odo && c->correct)
            used.theta = (float)wrap((double)estimate.theta + heading_offset);
        if (view) {
            if ((st = view(view_ctx, rgb, alpha)))
                goto done;
        } else {
            memcpy(alpha, alpha_true, nf * sizeof(float));
        }
        if (odo && c->correct) {
            int moved = 0;
            float th, bp, gp;
            if ((st = cm_map_fit_heading(out->map, alpha, used, c->heading_range, c->heading_step, &th, &bp, &gp)))
                goto done;
            /* The fit searches around the carried heading (an odometer with
             * a heading bias needs it) and around the odometry's own (a
             * network's heading error comes and goes, and a carried offset
             * goes stale: maze 3's heading error 0.08 -> 0.83 rad with the
             * carried one alone); the better filling wins. */
            if (heading_offset != 0.0) {
                cm_pose raw = used;
                raw.theta = estimate.theta;
                float th2, bp2;
                if ((st = cm_map_fit_heading(out->map, alpha, raw, c->heading_range, c->heading_step, &th2, &bp2,
                                             NULL)))
                    goto done;
                if (bp2 < bp)
                    th = th2, bp = bp2;
            }
            /* a heading fit does not re-anchor the odometry (it is kept as
             * an offset): a grid-cell network re-anchored at nearly every
             * step restarts its window every step, and its position decoded
             * one step after an anchor drifts far more (maze 3: 2.2 -> 5.7
             * cells) */
            if (bp < gp - c->heading_margin) {
                used.theta = th;
                heading_offset = wrap((double)th - estimate.theta);
                out->heading_corrections++;
            }
            if (t >= c->correct_after) {
                cm_pose best;
                float bs, gs;
                if ((st = cm_map_match(out->map, alpha, used, &c->match, &best, &bs, &gs)))
                    goto done;
                if (bs > gs + c->accept_margin) {
                    used = best;
                    out->corrections++;
                    moved = 1;
                }
            }
            if (moved && odo->anchor) {
                if ((st = odo->anchor(odo->ctx, used)))
                    goto done;
                heading_offset = 0.0;
            }
        }
        if ((st = cm_map_fuse_bev(out->map, alpha, used)))
            goto done;
        if (detect) {
            float vis[CM_MAZE_MAX_TARGETS], pos[CM_MAZE_MAX_TARGETS * 2];
            if ((st = detect(detect_ctx, rgb, used.theta, vis, pos)))
                goto done;
            for (int k = 0; k < maze.n_targets; k++) {
                if (!(vis[k] > c->detect_threshold))
                    continue;
                float xy[2];
                cm_ssmpc_absolute(&pos[2 * k], used, c->size, xy);
                if ((st = cm_map_observe_target(out->map, k, xy[0], xy[1], vis[k])))
                    goto done;
            }
        }
        out->true_path[3 * t] = truth.x, out->true_path[3 * t + 1] = truth.y, out->true_path[3 * t + 2] = truth.theta;
        out->used_path[3 * t] = used.x, out->used_path[3 * t + 1] = used.y, out->used_path[3 * t + 2] = used.theta;
        double d = hypot((double)used.x - truth.x, (double)used.y - truth.y);
        drift_sum += d;
        heading_sum += fabs(wrap((double)used.theta - truth.theta));
        out->drift_final = d;
        if (c->snapshot_every > 0 && (t % c->snapshot_every == 0))
            snapshot(out, t, c->snapshot_scale);
        int act = cm_maze_policy(env, 0, c->policy_noise);
        float rew;
        if ((st = cm_maze_env_step(env, &act, &rew)))
            goto done;
        if (odo) {
            const cm_maze_agent *a = &env->agents[0];
            if ((st = odo->step(odo->ctx, a->vel, a->omega, &estimate)))
                goto done;
        }
        cm_progress_update(progress, t + 1, NULL);
    }
    if (c->snapshot_every > 0)
        snapshot(out, c->steps - 1, c->snapshot_scale);
    out->drift_mean = drift_sum / c->steps;
    out->heading_drift_mean = heading_sum / c->steps;
    cm_map_score(out->map, maze.layout, out->seen, (const float(*)[2])maze.targets, maze.n_targets, &out->scores);
    cm_map_score(out->truth_map, maze.layout, out->seen, (const float(*)[2])maze.targets, maze.n_targets,
                 &out->truth_scores);
    cm_progress_finish(progress, "map iou %.3f (ceiling %.3f)", out->scores.iou, out->truth_scores.iou);
done:
    cm_renderer_free(rend);
    if (env->maze.size)
        cm_maze_env_free(env);
    cm_free(env);
    cm_free(alpha);
    cm_free(alpha_true);
    cm_free(work);
    cm_free(rgb);
    if (st)
        cm_map_run_result_free(out);
    return st;
}
