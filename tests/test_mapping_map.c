/* Spatial memory (mapping.h): SSM-PC's relative coordinates and their exact
 * inverse; fusing ground-truth BEVs rebuilds the maze over the seen cells
 * (and the released unrotated paste does not); walls; merging; cell
 * messages; targets; scan matching; scores; bad input. */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/mapping.h"
#include "cogmap/world.h"

#define N 15
#define P CM_BEV_PIXELS

static void test_relative_round_trip(void **state)
{
    (void)state;
    /* the released converter's own examples (position_utils.py __main__) */
    cm_pose a = {7.5f, 7.5f, (float)M_PI / 2};
    float rel[2], back[2];
    cm_ssmpc_relative((const float[]){7.5f, 10.5f}, a, 15, rel);
    assert_true(fabsf(rel[0]) < 1e-6f && fabsf(rel[1] - 0.4f) < 1e-6f); /* ahead: +y */
    cm_ssmpc_relative((const float[]){10.5f, 7.5f}, a, 15, rel);
    assert_true(fabsf(rel[0] + 0.4f) < 1e-6f && fabsf(rel[1]) < 1e-6f); /* world +x, x negated */
    /* facing east, an object to the north: rotated by pi/2 - 0, x negated */
    cm_ssmpc_relative((const float[]){2.0f, 5.0f}, (cm_pose){2.0f, 2.0f, 0.0f}, 15, rel);
    assert_true(fabsf(rel[0] - 0.4f) < 1e-6f && fabsf(rel[1]) < 1e-6f);
    /* round trip, exactly to float rounding, over random poses */
    cm_rng r;
    cm_rng_seed(&r, 5, 0);
    double worst = 0.0;
    for (int i = 0; i < 2000; i++) {
        cm_pose p = {(float)cm_rng_uniform(&r, 0, 15), (float)cm_rng_uniform(&r, 0, 15),
                     (float)cm_rng_uniform(&r, -M_PI, M_PI)};
        float obj[2] = {(float)cm_rng_uniform(&r, 0, 15), (float)cm_rng_uniform(&r, 0, 15)};
        cm_ssmpc_relative(obj, p, 15, rel);
        cm_ssmpc_absolute(rel, p, 15, back);
        worst = fmax(worst, hypot(back[0] - obj[0], back[1] - obj[1]));
        /* and the other way round */
        float rel2[2];
        cm_ssmpc_relative(back, p, 15, rel2);
        worst = fmax(worst, 7.5 * hypot(rel2[0] - rel[0], rel2[1] - rel[1]));
    }
    assert_true(worst < 1e-5);
    /* the released relative_to_absolute (no x un-negation) misses any object off the axis */
    cm_ssmpc_relative((const float[]){10.5f, 7.5f}, a, 15, rel);
    double c = cos(a.theta - M_PI / 2), s = sin(a.theta - M_PI / 2);
    double rx = 7.5 * rel[0], ry = 7.5 * rel[1];
    double released_x = a.x + c * rx - s * ry;
    assert_true(fabs(released_x - 10.5) > 5.0); /* lands at 4.5: the mirror image */
}

typedef struct explore {
    cm_maze maze;
    cm_maze_env env;
    cm_pose poses[400];
    uint8_t seen[N * N];
    int steps;
} explore;

static explore *explore_maze(uint64_t seed, int steps)
{
    explore *e = cm_calloc(1, sizeof *e);
    assert_non_null(e);
    cm_maze_params mp;
    assert_int_equal(cm_maze_params_default(N, &mp), CM_OK);
    assert_int_equal(cm_maze_generate(&mp, seed, &e->maze), CM_OK);
    assert_int_equal(cm_maze_env_init(&e->env, &e->maze, 1, seed), CM_OK);
    e->steps = steps;
    for (int t = 0; t < steps; t++) {
        e->poses[t] = e->env.agents[0].pose;
        int act = cm_maze_policy(&e->env, 0, 0.1f);
        float rew;
        assert_int_equal(cm_maze_env_step(&e->env, &act, &rew), CM_OK);
    }
    return e;
}

static void explore_free(explore *e)
{
    cm_maze_env_free(&e->env);
    cm_free(e);
}

/* The egocentric ground-truth alpha SSM-PC trains on (rotated, agent up), as floats. */
static void gt_alpha(const explore *e, cm_pose pose, int rotate, uint8_t *vis, uint8_t *rgba, uint8_t *rot,
                     float *alpha)
{
    cm_bev_config bc;
    cm_bev_config_default(&bc);
    cm_bev_visible(e->maze.layout, N, pose, &bc, vis);
    cm_bev_draw(e->maze.layout, N, vis, pose, 0, NULL, NULL, -1, rgba);
    const uint8_t *src = rgba;
    if (rotate) {
        cm_bev_rotate(rgba, pose.theta, rot);
        src = rot;
    }
    for (int i = 0; i < P * P; i++)
        alpha[i] = src[i * 4 + 3] / 255.0f;
}

typedef struct bufs {
    uint8_t vis[N * N], rgba[P * P * 4], rot[P * P * 4];
    float alpha[P * P];
} bufs;

/* Fuses the path's ground-truth views; mode 0: rotated and rotated back (the
 * corrected design), 1: the world-aligned view at heading -pi/2 (no rotation
 * at all), 2: the released bug (rotated view pasted as world-aligned). */
static cm_spatial_map *fuse_path(explore *e, int from, int to, int mode, uint8_t *seen)
{
    cm_map_config mc;
    cm_map_config_default(N, &mc);
    cm_spatial_map *m;
    assert_int_equal(cm_map_create(&mc, &m), CM_OK);
    bufs *b = cm_alloc(sizeof *b);
    for (int t = from; t < to; t++) {
        cm_pose pose = e->poses[t];
        gt_alpha(e, pose, mode != 1, b->vis, b->rgba, b->rot, b->alpha);
        if (seen)
            cm_map_seen_cells(m, b->vis, pose, seen);
        cm_pose at = pose;
        if (mode != 0)
            at.theta = (float)(-M_PI / 2); /* identity rotation */
        assert_int_equal(cm_map_fuse_bev(m, b->alpha, at), CM_OK);
    }
    cm_free(b);
    return m;
}

static void test_fuse_ground_truth(void **state)
{
    (void)state;
    explore *e = explore_maze(3, 300);
    uint8_t seen[N * N] = {0};
    cm_spatial_map *m = fuse_path(e, 0, 300, 0, seen);
    cm_map_scores s;
    cm_map_score(m, e->maze.layout, seen, NULL, 0, &s);
    int n_seen = 0;
    for (int i = 0; i < N * N; i++)
        n_seen += seen[i];
    print_message("rotated back: iou %.4f accuracy %.4f coverage %.3f over %d seen cells (%d known)\n", s.iou,
                  s.accuracy, s.coverage, s.scored, s.known);
    assert_int_equal(s.scored, n_seen);
    assert_true(n_seen > 60);
    assert_true(s.iou > 0.98);
    assert_true(s.precision > 0.99);
    /* walls seen next to seen floor are mostly marked occupied; no free cell is */
    uint8_t cls[N * N];
    cm_map_cells(m, cls);
    int walls = 0, walls_occ = 0;
    for (int i = 0; i < N * N; i++) {
        if (seen[i] && !e->maze.layout[i]) {
            walls++;
            walls_occ += cls[i] == CM_MAP_OCCUPIED;
        }
        if (e->maze.layout[i])
            assert_int_not_equal(cls[i], CM_MAP_OCCUPIED);
    }
    print_message("seen walls marked occupied: %d of %d\n", walls_occ, walls);
    assert_true(walls_occ >= 0.7 * walls);

    /* the same views unrotated, placed with the identity rotation: the same map */
    cm_spatial_map *m1 = fuse_path(e, 0, 300, 1, NULL);
    cm_map_scores s1;
    cm_map_score(m1, e->maze.layout, seen, NULL, 0, &s1);
    assert_true(s1.iou > 0.98);
    /* the released pipeline's paste (no rotation back) is far off */
    cm_spatial_map *m2 = fuse_path(e, 0, 300, 2, NULL);
    cm_map_scores s2;
    cm_map_score(m2, e->maze.layout, seen, NULL, 0, &s2);
    print_message("pasted without rotating back: iou %.4f\n", s2.iou);
    assert_true(s2.iou < s.iou - 0.15);

    /* scores without a seen mask: over the known cells */
    cm_map_scores sk;
    cm_map_score(m, e->maze.layout, NULL, NULL, 0, &sk);
    assert_int_equal(sk.scored, sk.known);
    assert_true(sk.iou > 0.98);
    cm_map_free(m);
    cm_map_free(m1);
    cm_map_free(m2);
    explore_free(e);
}

static void test_scaled_frame(void **state)
{
    (void)state;
    /* a smaller window of the same view (a smaller preset's output): 2x2 box-averaged */
    explore *e = explore_maze(11, 200);
    cm_map_config mc;
    cm_map_config_default(N, &mc);
    cm_bev_frame_scaled(&mc.frame, 125);
    assert_true(fabsf(mc.frame.px_per_cell - 8.0f) < 1e-6f && fabsf(mc.frame.pivot_u - 62.5f) < 1e-6f);
    cm_spatial_map *m;
    assert_int_equal(cm_map_create(&mc, &m), CM_OK);
    bufs *b = cm_alloc(sizeof *b);
    float *small = cm_alloc(125 * 125 * sizeof(float));
    uint8_t seen[N * N] = {0};
    for (int t = 0; t < e->steps; t++) {
        gt_alpha(e, e->poses[t], 1, b->vis, b->rgba, b->rot, b->alpha);
        cm_map_seen_cells(m, b->vis, e->poses[t], seen);
        for (int y = 0; y < 125; y++)
            for (int x = 0; x < 125; x++)
                small[y * 125 + x] = 0.25f * (b->alpha[(2 * y) * P + 2 * x] + b->alpha[(2 * y) * P + 2 * x + 1] +
                                              b->alpha[(2 * y + 1) * P + 2 * x] +
                                              b->alpha[(2 * y + 1) * P + 2 * x + 1]);
        assert_int_equal(cm_map_fuse_bev(m, small, e->poses[t]), CM_OK);
    }
    cm_map_scores s;
    cm_map_score(m, e->maze.layout, seen, NULL, 0, &s);
    print_message("125 px frame: iou %.4f\n", s.iou);
    assert_true(s.iou > 0.97);
    cm_free(small);
    cm_free(b);
    cm_map_free(m);
    explore_free(e);
}

static void test_merge_and_cells(void **state)
{
    (void)state;
    explore *e = explore_maze(4, 240);
    uint8_t seen[N * N] = {0};
    cm_spatial_map *a = fuse_path(e, 0, 120, 0, seen);
    cm_spatial_map *b = fuse_path(e, 120, 240, 0, seen);
    cm_map_config mc;
    cm_map_config_default(N, &mc);
    cm_spatial_map *c;
    assert_int_equal(cm_map_create(&mc, &c), CM_OK);
    /* merging into an empty map copies */
    assert_int_equal(cm_map_merge(c, a, 1.0f), CM_OK);
    int w, h;
    float *la = cm_map_logodds(a, &w, &h), *lc = cm_map_logodds(c, NULL, NULL);
    assert_memory_equal(la, lc, (size_t)w * h * sizeof(float));
    /* two halves merged cover what each saw */
    assert_int_equal(cm_map_merge(c, b, 1.0f), CM_OK);
    cm_map_scores sa, sc;
    cm_map_score(a, e->maze.layout, seen, NULL, 0, &sa);
    cm_map_score(c, e->maze.layout, seen, NULL, 0, &sc);
    print_message("half: iou %.3f, merged: iou %.3f\n", sa.iou, sc.iou);
    assert_true(sc.iou > 0.98 && sc.iou > sa.iou);
    /* a partner's per-cell message: the same classes */
    float cells[N * N];
    cm_map_cell_logodds(c, cells);
    cm_spatial_map *d;
    assert_int_equal(cm_map_create(&mc, &d), CM_OK);
    cm_map_fuse_cells(d, cells, 1.0f);
    uint8_t k1[N * N], k2[N * N];
    cm_map_cells(c, k1);
    cm_map_cells(d, k2);
    assert_memory_equal(k1, k2, sizeof k1);
    /* reset forgets */
    cm_map_reset(d);
    cm_map_cells(d, k2);
    for (int i = 0; i < N * N; i++)
        assert_int_equal(k2[i], CM_MAP_UNKNOWN);
    /* another shape is refused */
    cm_map_config other = mc;
    other.px_per_cell = 4;
    cm_spatial_map *o;
    assert_int_equal(cm_map_create(&other, &o), CM_OK);
    assert_int_equal(cm_map_merge(c, o, 1.0f), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "px_per_cell"));
    assert_int_equal(cm_map_merge(c, a, NAN), CM_ERR_ARG);
    cm_map_free(o);
    cm_map_free(a);
    cm_map_free(b);
    cm_map_free(c);
    cm_map_free(d);
    explore_free(e);
}

static void test_targets_and_pixels(void **state)
{
    (void)state;
    cm_map_config mc;
    cm_map_config_default(N, &mc);
    cm_spatial_map *m;
    assert_int_equal(cm_map_create(&mc, &m), CM_OK);
    float xy[2], w;
    assert_int_equal(cm_map_target(m, 2, xy, &w), 0);
    assert_int_equal(cm_map_observe_target(m, 2, 3.0f, 4.0f, 1.0f), CM_OK);
    assert_int_equal(cm_map_observe_target(m, 2, 5.0f, 4.0f, 3.0f), CM_OK);
    assert_int_equal(cm_map_target(m, 2, xy, &w), 1);
    assert_true(fabsf(xy[0] - 4.5f) < 1e-6f && fabsf(xy[1] - 4.0f) < 1e-6f && fabsf(w - 4.0f) < 1e-6f);
    assert_int_equal(cm_map_observe_target(m, 6, 1, 1, 1), CM_ERR_ARG);
    assert_int_equal(cm_map_observe_target(m, -1, 1, 1, 1), CM_ERR_ARG);
    assert_int_equal(cm_map_observe_target(m, 0, 1, 1, 0), CM_ERR_ARG);
    assert_int_equal(cm_map_observe_target(m, 0, NAN, 1, 1), CM_ERR_ARG);
    const float truth[3][2] = {{0, 0}, {1, 1}, {4.5f, 7.0f}};
    cm_map_scores s;
    uint8_t layout[N * N];
    memset(layout, 1, sizeof layout);
    cm_map_score(m, layout, NULL, truth, 3, &s);
    assert_int_equal(s.n_targets, 1);
    assert_true(fabs(s.target_error - 3.0) < 1e-6);
    assert_true(isnan(s.iou) && s.scored == 0 && s.coverage == 0.0);
    /* pixel geometry: cell (0, 0) starts border cells in */
    int col, row;
    assert_int_equal(cm_map_pixel(m, 0.0f, 0.0f, &col, &row), 0);
    assert_int_equal(col, 8);
    assert_int_equal(row, 8);
    float x, y;
    cm_map_pixel_center(m, col, row, &x, &y);
    assert_true(fabsf(x - 0.0625f) < 1e-6f && fabsf(y - 0.0625f) < 1e-6f);
    assert_int_equal(cm_map_pixel(m, -1.5f, 3.0f, &col, &row), -1);
    assert_int_equal(cm_map_pixel(m, NAN, 3.0f, &col, &row), -1);
    /* the picture: north up, free light */
    float *l = cm_map_logodds(m, &col, &row);
    l[0] = -8.0f;                         /* bottom-left pixel, free */
    l[(size_t)(row - 1) * col] = 8.0f;    /* top-left, occupied */
    uint8_t *rgb = cm_alloc((size_t)col * row * 3 * 4);
    cm_map_render(m, layout, 2, rgb);
    const uint8_t *bl = &rgb[((size_t)(2 * row - 1) * 2 * col) * 3], *tl = &rgb[0];
    assert_true(bl[0] > 200 && bl[1] > 200); /* free: light */
    assert_true(tl[0] > 150 && tl[1] < 100); /* occupied: brick */
    const uint8_t yellow[3] = {255, 215, 0};
    float path[4] = {0.5f, 0.5f, 3.5f, 0.5f};
    cm_map_draw_path(m, 2, path, 2, yellow, rgb);
    cm_map_draw_point(m, 2, 7.5f, 7.5f, 3, yellow, rgb);
    cm_map_draw_point(m, 2, NAN, 7.5f, 3, yellow, rgb); /* ignored */
    cm_free(rgb);
    cm_map_free(m);
}

static void test_match(void **state)
{
    (void)state;
    explore *e = explore_maze(7, 320);
    cm_spatial_map *m = fuse_path(e, 0, 300, 0, NULL);
    bufs *b = cm_alloc(sizeof *b);
    cm_map_match_config mc;
    cm_map_match_config_default(&mc);
    mc.dtheta = 0.0f;
    int right = 0, tried = 0;
    for (int t = 300; t < 320; t += 2) {
        cm_pose truth = e->poses[t];
        gt_alpha(e, truth, 1, b->vis, b->rgba, b->rot, b->alpha);
        /* a guess one cell east and 0.2 rad off: the heading fit, then the match, undo both */
        cm_pose guess = {truth.x + 1.0f, truth.y, truth.theta + 0.2f};
        float th, bp, gp;
        assert_int_equal(cm_map_fit_heading(m, b->alpha, guess, 0.4f, 0.02f, &th, &bp, &gp), CM_OK);
        assert_true(bp <= gp);
        guess.theta = th;
        cm_pose best;
        float bs, gs;
        assert_int_equal(cm_map_match(m, b->alpha, guess, &mc, &best, &bs, &gs), CM_OK);
        tried++;
        if (floorf(best.x) == floorf(truth.x) && floorf(best.y) == floorf(truth.y) &&
            fabsf(remainderf(best.theta - truth.theta, 2.0f * (float)M_PI)) < 0.03f && bs >= gs)
            right++;
    }
    /* a view down a corridor can fit several placements equally */
    print_message("heading fit and scan matching recovered %d of %d poses\n", right, tried);
    assert_true(right >= 8);
    cm_pose best;
    assert_int_equal(cm_map_match(m, b->alpha, (cm_pose){NAN, 1, 0}, &mc, &best, NULL, NULL), CM_ERR_ARG);
    mc.radius = 20;
    assert_int_equal(cm_map_match(m, b->alpha, e->poses[0], &mc, &best, NULL, NULL), CM_ERR_ARG);
    float th;
    assert_int_equal(cm_map_fit_heading(m, b->alpha, e->poses[0], 1.0f, 0.02f, &th, NULL, NULL), CM_ERR_ARG);
    cm_free(b);
    cm_map_free(m);
    explore_free(e);
}

static void test_bad_config(void **state)
{
    (void)state;
    cm_map_config c;
    cm_spatial_map *m = NULL;
#define BAD(field_edit, word)                                                                                          \
    do {                                                                                                               \
        cm_map_config_default(N, &c);                                                                                  \
        field_edit;                                                                                                    \
        assert_int_equal(cm_map_create(&c, &m), CM_ERR_ARG);                                                           \
        assert_null(m);                                                                                                \
        if (!strstr(cm_errmsg(), word))                                                                                \
            fail_msg("expected '%s' in '%s'", word, cm_errmsg());                                                      \
    } while (0)
    BAD(c.size = 4, "size");
    BAD(c.size = 64, "size");
    BAD(c.border = -1, "border");
    BAD(c.px_per_cell = 0, "px_per_cell");
    BAD(c.tau = 1.0f, "tau");
    BAD(c.l_free = 0.5f, "l_free");
    BAD(c.l_occ = -1.0f, "l_occ");
    BAD(c.l_clamp = 0.0f, "l_clamp");
    BAD(c.cell_threshold = 9.0f, "cell_threshold");
    BAD(c.wall_cells = NAN, "wall_cells");
    BAD(c.frame.width = 1, "width");
    BAD(c.frame.px_per_cell = 0.0f, "px_per_cell");
    BAD(c.frame.pivot_u = 300.0f, "pivot");
    BAD(c.frame.fov_deg = 180.0f, "fov_deg");
    BAD(c.frame.range = -1.0f, "range");
#undef BAD
    cm_map_config_default(N, &c);
    assert_int_equal(cm_map_create(&c, &m), CM_OK);
    float *alpha = cm_calloc(P * P, sizeof(float));
    assert_int_equal(cm_map_fuse_bev(m, alpha, (cm_pose){1, INFINITY, 0}), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "pose"));
    /* a view of nothing, and one far outside the map, change nothing */
    assert_int_equal(cm_map_fuse_bev(m, alpha, (cm_pose){3.5f, 3.5f, 1.0f}), CM_OK);
    for (int i = 0; i < P * P; i++)
        alpha[i] = 1.0f;
    assert_int_equal(cm_map_fuse_bev(m, alpha, (cm_pose){500.0f, -300.0f, 1.0f}), CM_OK);
    int w, h;
    float *l = cm_map_logodds(m, &w, &h);
    for (int i = 0; i < w * h; i++)
        assert_true(l[i] == 0.0f);
    /* a view full of free floor: free up to the clamp, no further */
    for (int i = 0; i < 20; i++)
        assert_int_equal(cm_map_fuse_bev(m, alpha, (cm_pose){7.5f, 7.5f, 0.3f}), CM_OK);
    int col, row;
    assert_int_equal(cm_map_pixel(m, 7.5f, 7.5f, &col, &row), 0);
    assert_true(l[(size_t)row * w + col] == -c.l_clamp);
    cm_free(alpha);
    cm_map_free(m);
}

/* Dead reckoning with a biased odometer: a creep of 0.01 cells per step
 * east, a heading bias of 0.005 rad per step. */
typedef struct biased {
    cm_pose p;
} biased;

static cm_status biased_reset(void *ctx, cm_pose start)
{
    ((biased *)ctx)->p = start;
    return CM_OK;
}

static cm_status biased_step(void *ctx, const float d[2], float dtheta, cm_pose *est)
{
    biased *b = ctx;
    b->p.x += d[0] + 0.01f;
    b->p.y += d[1];
    b->p.theta = remainderf(b->p.theta + dtheta + 0.005f, 2.0f * (float)M_PI);
    *est = b->p;
    return CM_OK;
}

static cm_status biased_anchor(void *ctx, cm_pose p)
{
    ((biased *)ctx)->p = p;
    return CM_OK;
}

/* A detector that always sees target 0 two cells ahead. */
static cm_status fixed_detect(void *ctx, const uint8_t *rgb, float theta, float *vis, float *pos)
{
    (void)ctx, (void)rgb, (void)theta;
    for (int k = 0; k < 6; k++)
        vis[k] = 0.0f, pos[2 * k] = pos[2 * k + 1] = 0.0f;
    vis[0] = 0.9f;
    pos[1] = 2.0f / 7.5f;
    return CM_OK;
}

static void test_run(void **state)
{
    (void)state;
    cm_map_run_config c;
    cm_map_run_config_default(&c);
    c.seed = 21;
    c.steps = 300;
    c.snapshot_every = 100;
    cm_map_run_result r;
    /* true views at true poses: the map is the ceiling */
    assert_int_equal(cm_map_run(&c, NULL, NULL, fixed_detect, NULL, NULL, &r, NULL), CM_OK);
    print_message("truth: iou %.4f ceiling %.4f coverage %.3f, %d snapshots %dx%d\n", r.scores.iou,
                  r.truth_scores.iou, r.scores.coverage, r.n_snapshots, r.snapshot_width, r.snapshot_height);
    assert_true(r.scores.iou == r.truth_scores.iou && r.scores.iou > 0.98);
    assert_true(r.drift_mean == 0.0 && r.drift_final == 0.0);
    assert_int_equal(r.n_snapshots, 4);
    assert_int_equal(r.scores.n_targets, 1);
    assert_true(isfinite(r.scores.target_error));
    assert_true(r.true_path[3 * 299] == r.used_path[3 * 299]);
    cm_map_run_result_free(&r);
    /* a drifting odometer smears the map; scan matching against it pulls the poses back */
    biased b;
    cm_map_odometry odo = {&b, biased_reset, biased_step, biased_anchor};
    c.snapshot_every = 0;
    assert_int_equal(cm_map_run(&c, NULL, NULL, NULL, NULL, &odo, &r, NULL), CM_OK);
    double raw_drift = r.drift_mean, raw_iou = r.scores.iou;
    assert_int_equal(r.corrections, 0);
    cm_map_run_result_free(&r);
    c.correct = 1;
    assert_int_equal(cm_map_run(&c, NULL, NULL, NULL, NULL, &odo, &r, NULL), CM_OK);
    print_message("dead reckoning: drift %.2f cells, iou %.3f; corrected: drift %.2f, iou %.3f, %d corrections\n",
                  raw_drift, raw_iou, r.drift_mean, r.scores.iou, r.corrections);
    assert_true(raw_drift > 1.0);
    assert_true(r.corrections > 0);
    assert_true(r.drift_mean < 0.8 * raw_drift);
    assert_true(r.heading_drift_mean < 0.05);
    assert_true(r.scores.iou > raw_iou);
    cm_map_run_result_free(&r);
    c.steps = 0;
    assert_int_equal(cm_map_run(&c, NULL, NULL, NULL, NULL, NULL, &r, NULL), CM_ERR_ARG);
    c.steps = 10;
    c.map.size = 13;
    assert_int_equal(cm_map_run(&c, NULL, NULL, NULL, NULL, NULL, &r, NULL), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_relative_round_trip), cmocka_unit_test(test_fuse_ground_truth),
        cmocka_unit_test(test_scaled_frame),        cmocka_unit_test(test_merge_and_cells),
        cmocka_unit_test(test_targets_and_pixels),  cmocka_unit_test(test_match),
        cmocka_unit_test(test_bad_config),          cmocka_unit_test(test_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
