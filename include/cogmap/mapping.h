/* cogmap/mapping.h — spatial memory: a world-frame occupancy map fused from
 * egocentric bird's-eye views (ssm-pc.md §8, the corrected design), targets
 * placed on it, and its scores against the maze.
 *
 * Geometry (world.h's conventions: grid units, x right, y up, theta
 * counter-clockwise from +x). An egocentric BEV is what SSM-PC's BEV network
 * predicts (ssm-pc.md §3.4, §6.1): the world-aligned, vertically mirrored
 * 250x250 view drawn around the agent's CELL (cell corner (floor x, floor y)
 * at pixel (125, 125), 16 px per cell, screen row offset = +dy), rotated by
 * deg(theta) + 90 about (125, 125) so that the agent faces up (cm_bev_rotate).
 * Fusing undoes exactly that: every map pixel looks up the egocentric pixel
 * it came from, i.e. the egocentric map is rotated back by -(theta + 90 deg)
 * about the pivot and placed with the pivot on the agent cell's corner. (The
 * released bev_mapping.py pastes it unrotated; §8's proposal anchors pixel
 * (133, 133) at the continuous position, which is half a cell off the
 * targets the network was trained on.) cm_bev_frame describes other windows
 * (a smaller preset's output) by size, scale and pivot.
 *
 * The map (cm_spatial_map) is a grid of log-odds of OCCUPANCY over
 * [-border, size + border)^2 world cells at px_per_cell pixels per cell,
 * row 0 at the bottom (world y = -border), as the maze layout is stored.
 * Per fused view, a map pixel whose egocentric alpha (P(visible free floor))
 * exceeds tau gains l_free (< 0). Walls are taken as a range sensor sees
 * them: rays from the agent across the view cone walk through free pixels,
 * and the first wall_cells of non-free pixels after them gain l_occ (> 0);
 * unseen and occluded pixels (a free cell behind a wall) get nothing.
 * Log-odds are clamped to
 * +-l_clamp. A maze cell is free when the mean log-odds over its pixels is
 * below -cell_threshold, occupied above +cell_threshold, unknown otherwise.
 *
 * The map is shared-nothing state: one per agent; merging partners' maps
 * adds their log-odds (cm_map_merge, cm_map_fuse_cells). No allocation after
 * cm_map_create.
 */
#ifndef COGMAP_MAPPING_H
#define COGMAP_MAPPING_H

#include <stdio.h>

#include "cogmap/base.h"
#include "cogmap/world.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------- SSM-PC relative object positions */

/* PositionConverter.absolute_to_relative (ssm-pc.md §3.4): d = obj - agent,
 * r = R(pi/2 - theta) d, r.x = -r.x, r /= maze_size / 2. In the egocentric
 * BEV, r.y > 0 is ahead and r.x > 0 screen-right. */
CM_API void cm_ssmpc_relative(const float obj[2], cm_pose agent, int maze_size, float rel[2]);
/* The exact inverse of cm_ssmpc_relative (the released relative_to_absolute
 * does not undo the x negation): obj = agent + R(theta - pi/2) (-r.x, r.y) * maze_size / 2. */
CM_API void cm_ssmpc_absolute(const float rel[2], cm_pose agent, int maze_size, float obj[2]);

/* ------------------------------------------------ egocentric BEV geometry */

typedef struct cm_bev_frame {
    int width, height;   /* pixels (250 x 250) */
    float px_per_cell;   /* pixels per maze cell (16) */
    float pivot_u;       /* pixel coordinates (pixel edges at integers) of the */
    float pivot_v;       /*   rotation pivot = the agent cell's (min x, min y) corner (125, 125) */
    float fov_deg;       /* the view cone the BEV can show (75) ... */
    float range;         /* ... and its reach, cells (10): the wall rays stop a cell short of it */
    int pose_anchored;   /* 0: the pivot is the agent cell's corner (SSM-PC's BEVs); 1: the agent's
                          * own position (bevnet's anchor_pose) */
} cm_bev_frame;

/* SSM-PC's 250x250 frame (CM_BEV_PIXELS, CM_BEV_CELL, the collector's 75 deg, 10 cells). */
CM_API void cm_bev_frame_default(cm_bev_frame *f);
/* Where cm_bev_rotate puts the agent of a BEV drawn around its cell: its
 * offset from the rotation centre (the cell's corner), in BEV pixels. A
 * pose-anchored view is centred there. */
CM_API void cm_bev_agent_offset(cm_pose pose, double *du, double *dv);
/* The same view at another size: a square `pixels` wide covering what the 250 px
 * frame covers (scale and pivot scaled by pixels / 250). */
CM_API void cm_bev_frame_scaled(cm_bev_frame *f, int pixels);
CM_API cm_status cm_bev_frame_check(const cm_bev_frame *f); /* CM_ERR_ARG naming the field */

/* -------------------------------------------------------------- the map */

typedef struct cm_map_config {
    int size;             /* maze cells per side, N (5..CM_MAZE_MAX_SIZE) */
    int border;           /* cells mapped beyond the maze on each side (1: the outer wall) */
    int px_per_cell;      /* map pixels per cell (8) */
    float tau;            /* alpha > tau is free evidence (0.5) */
    float l_free;         /* log-odds added per free observation (-0.85, i.e. p = 0.3) */
    float l_occ;          /* log-odds added per wall observation (+0.4) */
    float l_clamp;        /* |log-odds| <= l_clamp (8) */
    float cell_threshold; /* cell classification threshold on the mean log-odds (0.5) */
    float wall_cells;     /* depth of the wall evidence behind the free floor along a ray, cells (0.75) */
    cm_bev_frame frame;   /* the egocentric views fused */
} cm_map_config;

/* Defaults above for an N x N maze and SSM-PC's 250 px frame. */
CM_API void cm_map_config_default(int size, cm_map_config *c);
CM_API cm_status cm_map_config_check(const cm_map_config *c); /* CM_ERR_ARG naming the field */

typedef struct cm_spatial_map cm_spatial_map; /* opaque */

enum { CM_MAP_UNKNOWN = 0, CM_MAP_FREE = 1, CM_MAP_OCCUPIED = 2 };

CM_API cm_status cm_map_create(const cm_map_config *c, cm_spatial_map **out);
CM_API void cm_map_free(cm_spatial_map *m);
/* Back to all-unknown, targets forgotten. */
CM_API void cm_map_reset(cm_spatial_map *m);
CM_API const cm_map_config *cm_map_get_config(const cm_spatial_map *m);

/* The log-odds grid, [height][width] floats, row 0 at world y = -border;
 * width = height = (size + 2 border) px_per_cell. Writable for callers that
 * build maps themselves (keep within +-l_clamp). */
CM_API float *cm_map_logodds(cm_spatial_map *m, int *width, int *height);
/* World point (x, y) of the centre of map pixel (col, row), and back
 * (cm_map_pixel: -1 when outside the map). */
CM_API void cm_map_pixel_center(const cm_spatial_map *m, int col, int row, float *x, float *y);
CM_API int cm_map_pixel(const cm_spatial_map *m, float x, float y, int *col, int *row);

/* Fuses one egocentric alpha map, alpha[frame.height][frame.width] in [0, 1]
 * (rows top to bottom as the BEV image), seen from `pose`: rotated back,
 * placed at the pose's cell and added as log-odds (see the file comment).
 * CM_ERR_ARG for a non-finite pose (nothing changes). No allocation. */
CM_API cm_status cm_map_fuse_bev(cm_spatial_map *m, const float *alpha, cm_pose pose);

/* The cells a view from `pose` shows: ORs into seen[y * size + x] the cells
 * marked in visible[] (cm_bev_visible) whose centres lie inside the view's
 * windows: the world-aligned 250 px BEV it was drawn in and the egocentric
 * frame it was rotated into (a 250 px BEV reaches about 7.8 cells, not the
 * 10 of the visibility rays; a smaller frame less). What a fused ground-truth BEV can reveal: the cells
 * cm_map_score should score. */
CM_API void cm_map_seen_cells(const cm_spatial_map *m, const uint8_t *visible, cm_pose pose, uint8_t *seen);

/* Adds weight x another map's log-odds (same configuration; CM_ERR_ARG
 * otherwise), clamped: fusing a partner's memory. */
CM_API cm_status cm_map_merge(cm_spatial_map *dst, const cm_spatial_map *src, float weight);

/* Per maze cell (y * size + x, row 0 at the bottom): the mean log-odds over
 * the cell's pixels, and the class (CM_MAP_*). */
CM_API void cm_map_cell_logodds(const cm_spatial_map *m, float *out);
CM_API void cm_map_cells(const cm_spatial_map *m, uint8_t *out);
/* Adds weight x per-cell log-odds (a partner's cm_map_cell_logodds, e.g.
 * received as a message) to every pixel of each cell, clamped. */
CM_API void cm_map_fuse_cells(cm_spatial_map *m, const float *cell_logodds, float weight);

/* -------------------------------------------------------------- targets */

#define CM_MAP_MAX_TARGETS CM_MAZE_MAX_TARGETS

/* An observation of target k at world (x, y) with weight w > 0 (e.g. the
 * detector's visibility): the map keeps the weighted mean position.
 * CM_ERR_ARG for k out of range, w <= 0 or a non-finite point. */
CM_API cm_status cm_map_observe_target(cm_spatial_map *m, int k, float x, float y, float w);
/* 1 and the estimate when target k has been observed, 0 otherwise. */
CM_API int cm_map_target(const cm_spatial_map *m, int k, float xy[2], float *weight);

/* --------------------------------------------------------------- scores */

typedef struct cm_map_scores {
    double iou;         /* free space vs the layout, over the scored cells: |P & T| / |P | T| */
    double accuracy;    /* scored cells whose class matches (unknown counts as wrong) */
    double coverage;    /* layout free cells the map classifies free or occupied (known) */
    double precision;   /* scored cells classified free that are free */
    double recall;      /* scored free cells classified free */
    int scored;         /* cells scored */
    int known;          /* maze cells classified free or occupied */
    int n_targets;      /* targets with an estimate and a true position */
    double target_error;/* their mean distance to the truth, cells (NaN when none) */
    double iou_all_free;/* the iou of a map calling every scored cell free: the floor a map must beat */
} cm_map_scores;

/* Scores the map against layout[y * size + x] (1 free) over the cells with
 * seen[c] != 0 (e.g. cm_bev_visible accumulated along the true path), or
 * over the cells the map knows when seen is NULL. targets: n_targets x 2 true
 * centres (may be NULL with n_targets 0); target k is scored when the map
 * has an estimate for it. */
CM_API void cm_map_score(const cm_spatial_map *m, const uint8_t *layout, const uint8_t *seen, const float (*targets)[2],
                  int n_targets, cm_map_scores *out);

/* ------------------------------------------------------- scan matching */

/* Where a new view fits the map best. The views are drawn around the agent's
 * CELL, so a pose is observable only up to its cell: the search tries the
 * guess shifted by whole cells (-radius..radius in x and y) and its heading
 * offset by -dtheta..dtheta in dtheta_step, and scores each placement of the
 * view's free pixels (alpha > tau) by its contradictions with the map:
 * score = -(free pixels inside confident walls — the map pixel and its four
 * neighbours all above wall_sure log-odds, so that a rotated view's boundary
 * pixels straddling a wall's edge do not count — or off the map) / free
 * pixels, in [-1, 0]. Agreement earns
 * nothing, so a view of new ground is not pulled onto ground already mapped;
 * the view's own wall pixels are not used (a BEV shows walls and occluded
 * floor alike), the map's confident walls are (they survived every view of
 * free floor). Candidates are ranked by score - shift_cost (|dx| + |dy|) -
 * turn_cost |dtheta|: the guess is the prior, and a move must pay for itself
 * (a corridor fits many shifts along it equally). Returns the best-ranked
 * pose (its heading; the guess's position moved to its closest point inside
 * the winning cell; the guess wins ties), its score, and the guess's own
 * score; a caller accepts the match when it beats the guess by a margin. No
 * allocation. */
typedef struct cm_map_match_config {
    int radius;                  /* cells (1) */
    float dtheta, dtheta_step;   /* radians (0.2, 0.1; dtheta 0: heading kept) */
    int subsample;               /* use every k-th egocentric pixel in each direction (4) */
    float shift_cost;            /* rank cost per cell moved (0.03) */
    float turn_cost;             /* rank cost per radian turned (0.05) */
    float wall_sure;             /* map log-odds above which a pixel is a wall for sure (3) */
} cm_map_match_config;
CM_API void cm_map_match_config_default(cm_map_match_config *c);

/* The heading a view says the agent has, from the view alone: the maze is a
 * grid, so rotated back by the right heading the view's free floor is made
 * of whole cells. Over headings guess.theta +- range in `step`, the view's
 * free pixels (every second one each way) are binned into the cells they
 * fall in; partial = sum over cells of min(n, full - n) / sum of n, with
 * full the pixels of a whole cell (0 when every cell is filled or empty).
 * Returns the heading of least partial filling (the guess's on ties) and the
 * partial fillings of it and of the guess. Needs |error| < 45 deg (a
 * quarter turn fits as well). No allocation. */
CM_API cm_status cm_map_fit_heading(cm_spatial_map *m, const float *alpha, cm_pose guess, float range, float step,
                             float *theta, float *best_partial, float *guess_partial);
CM_API cm_status cm_map_match(const cm_spatial_map *m, const float *alpha, cm_pose guess, const cm_map_match_config *c,
                       cm_pose *best, float *best_score, float *guess_score);

/* -------------------------------------------------------------- drawing */

/* The map as an RGB image, north up, `scale` screen pixels per map pixel:
 * unknown dark grey, free light, occupied dark, shaded by confidence; when
 * layout is given, the maze's walls drawn faintly beneath. rgb holds
 * (width * scale) x (height * scale) x 3 bytes. Then paths and targets on top
 * with cm_map_draw_path / cm_map_draw_point. */
CM_API void cm_map_render(const cm_spatial_map *m, const uint8_t *layout, int scale, uint8_t *rgb);
/* A polyline of n world points (xy[2i], xy[2i+1]) in colour rgb_color. */
CM_API void cm_map_draw_path(const cm_spatial_map *m, int scale, const float *xy, int n, const uint8_t color[3],
                      uint8_t *rgb);
/* A filled disc of `radius` screen pixels at world (x, y). */
CM_API void cm_map_draw_point(const cm_spatial_map *m, int scale, float x, float y, int radius, const uint8_t color[3],
                       uint8_t *rgb);

/* ------------------------------------------- ground-truth views (§3.4) */

/* The egocentric view SSM-PC's BEV network is trained to predict, in the
 * map's frame: the 250 px BEV of what is visible from `pose` (cm_bev_visible
 * with `bev`, cm_bev_draw without targets), rotated so the agent faces up
 * (cm_bev_rotate), then its alpha resampled to the frame (area averages over
 * the 250 px pixels each frame pixel covers; the identity for the default
 * frame): alpha [frame.height][frame.width] in [0, 1]. visible [N*N] gets
 * the visible cells. work: cm_map_truth_work_bytes() bytes. No allocation. */
CM_API size_t cm_map_truth_work_bytes(void);
CM_API void cm_map_truth_view(const cm_map_config *c, const uint8_t *layout, cm_pose pose, const cm_bev_config *bev,
                       uint8_t *work, uint8_t *visible, float *alpha);

/* --------------------------------------------- one agent mapping a maze */

/* A predicted egocentric view of a 64x64 RGB frame (rows top to bottom):
 * alpha [frame.height][frame.width] in the map's frame (a BEV predictor). */
typedef cm_status (*cm_map_view_fn)(void *ctx, const uint8_t *rgb, float *alpha);
/* Target detections in a frame seen with heading estimate theta: visible[k]
 * probabilities and positions [k][2] relative to the agent
 * (cm_ssmpc_relative's units) for k < n_targets. */
typedef cm_status (*cm_map_detect_fn)(void *ctx, const uint8_t *rgb, float theta, float *visible, float *position);

/* Where the agent thinks it is: integrates its own motion. */
typedef struct cm_map_odometry {
    void *ctx;
    /* Starts at the true start pose. */
    cm_status (*reset)(void *ctx, cm_pose start);
    /* One step of the agent's own motion (maze motion: displacement in world
     * cells, heading change in radians): the new estimate. */
    cm_status (*step)(void *ctx, const float displacement[2], float dtheta, cm_pose *estimate);
    /* Continue from a corrected pose (may be NULL: corrections then only
     * shift the poses the map uses). */
    cm_status (*anchor)(void *ctx, cm_pose pose);
} cm_map_odometry;

typedef struct cm_map_run_config {
    int size;               /* maze side (15) */
    uint64_t seed;          /* the maze and its exploration */
    int steps;              /* views fused (1000) */
    float policy_noise;     /* the exploring policy's random actions (0.1) */
    cm_bev_config bev;      /* ground-truth views (75 deg, 10 cells) */
    cm_map_config map;      /* the map; its frame is the view provider's */
    float detect_threshold; /* detections with visibility above this are placed (0.7, SSM-PC's) */
    /* Pose correction (odometry only), before each view is fused: the
     * heading from the view's own grid alignment (cm_map_fit_heading over
     * +-heading_range in heading_step; taken when it fills cells better by
     * heading_margin), then the cell by scan matching against the map
     * (cm_map_match; taken when its score beats the estimate's by
     * accept_margin, once the map holds correct_after views). Cell matches
     * re-anchor the odometry; heading fits, redone from every view, do not. */
    int correct;
    float heading_range, heading_step, heading_margin; /* 0.4, 0.02 rad; 0.005 */
    float accept_margin;    /* 0.01: 1 % of the view's free pixels fewer contradictions */
    int correct_after;      /* 20 */
    cm_map_match_config match; /* default, heading search off (dtheta 0): the fit fixes it */
    int snapshot_every;     /* steps between GIF frames (0: none) */
    int snapshot_scale;     /* screen pixels per map pixel (2) */
} cm_map_run_config;

CM_API void cm_map_run_config_default(cm_map_run_config *c);

typedef struct cm_map_run_result {
    int steps, size;
    uint8_t layout[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE];
    uint8_t seen[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE]; /* cells the true views showed: the scored cells */
    int n_targets;
    float targets[CM_MAZE_MAX_TARGETS][2];
    cm_map_scores scores;       /* the map: predicted (or true) views at the poses used */
    cm_map_scores truth_scores; /* ground-truth views at the true poses: the ceiling */
    double drift_mean, drift_final;     /* |pose used - true pose|, cells */
    double heading_drift_mean;          /* |heading used - true heading|, radians */
    int corrections;                    /* cell matches accepted */
    int heading_corrections;            /* heading fits accepted */
    float *true_path, *used_path;       /* [steps][3] x, y, theta */
    cm_spatial_map *map, *truth_map;
    int n_snapshots, snapshot_width, snapshot_height;
    uint8_t *snapshots;                 /* [n][height][width][3] */
} cm_map_run_result;

/* One agent explores maze `seed` with the world's exploring policy for
 * `steps` steps. At each step its 64x64 frame is rendered; the view (from
 * `view`, or the ground-truth view when view is NULL) is fused into the map
 * at the pose estimate (from `odo`, or the true pose when odo is NULL, then
 * drift 0), after scan matching when c->correct; detections (when detect is
 * given) above the threshold are placed as targets at
 * cm_ssmpc_absolute(position, pose used). Alongside, the ground-truth views
 * at the true poses build the ceiling map, and the cells they show are the
 * scored ones. Snapshots (the map growing, layout faint beneath, true path
 * white, used path yellow) every snapshot_every steps and at the end.
 * Progress lines go to progress_out (NULL: silent). */
CM_API cm_status cm_map_run(const cm_map_run_config *c, cm_map_view_fn view, void *view_ctx, cm_map_detect_fn detect,
                     void *detect_ctx, const cm_map_odometry *odo, cm_map_run_result *out, FILE *progress_out);
CM_API void cm_map_run_result_free(cm_map_run_result *r);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_MAPPING_H */
