/* Egocentric RGB (and depth) frames by ray casting, one ray per column.
 *
 * A wall column spans rows [horizon - f*(H - e)/z, horizon + f*e/z) for a wall
 * of height H seen from eye height e at depth z (distance along the view axis)
 * with focal length f = (height/2) / tan(fov/2) pixels. The pitch shifts the
 * horizon by f*tan(pitch) (y-shearing: exact for the 5.7 deg of Memory-Maze to
 * within a pixel's fraction, and it keeps one ray per column). Floors are
 * found per pixel by inverting the same projection: the floor row r is at
 * depth f*e / (r + 0.5 - horizon). Everything that does not depend on the pose
 * is tabulated at creation, so a frame costs one cast per column plus a few
 * operations per pixel and allocates nothing. */
#include "cogmap/world.h"

#include <math.h>
#include <string.h>

#define MAX_SPRITES 64
#define MARGIN 4 /* floor checks around a maze */

struct cm_renderer {
    const cm_arena *arena;
    const cm_maze *maze;
    cm_render_config cfg;
    int w, h;
    float f, horizon;
    float *col_off;          /* [w] lateral offset of column c's ray per unit depth */
    float *row_z;            /* [h] floor depth of row r (0 above the horizon) */
    uint8_t *sky;            /* [h][3] */
    uint8_t *floor_lut;      /* [h][n_floor][2][3] shaded floor colours per row */
    int n_floor;             /* floor kinds: 0 corridor/plain, 1 room */
    uint8_t *floor_kind;     /* maze: [N*N] */
    uint8_t *wall_colour;    /* maze: [(N+2)^2][3] colour of each wall cell (by block) */
    float *zbuf;             /* [w] depth of the wall in each column */
    float checker;           /* floor checks per world unit */
    float fx0, fy0;          /* world position of the floor table's corner */
    int ft_w;                /* floor table side */
    uint8_t *floor_tab;      /* [ft_w^2] kind*2 + checker of each floor check */
    uint32_t *sky32;         /* [h] packed sky colours */
    uint32_t *floor32;       /* [h][4] packed shaded floor colours by kind*2 + checker */
};

/* Colours as little-endian words, so that a pixel is written by one 4-byte
 * store (its fourth byte lands on the next column's pixel, which is drawn
 * after it); the last column uses 3-byte stores. */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
static const int wide = 1;
#else
static const int wide = 0;
#endif

/* Clamp to [lo, hi], NaN to lo; plain compares, so it inlines (fminf/fmaxf
 * are library calls without -ffast-math). */
static inline float clampf(float x, float lo, float hi) { return !(x > lo) ? lo : x < hi ? x : hi; }

static uint32_t pack(const uint8_t c[3]) { return (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16; }

static inline void put(uint8_t *p, uint32_t c, int wide4)
{
    if (wide4) {
        memcpy(p, &c, 4);
    } else {
        p[0] = (uint8_t)c;
        p[1] = (uint8_t)(c >> 8);
        p[2] = (uint8_t)(c >> 16);
    }
}


void cm_render_config_maze(cm_render_config *c)
{
    memset(c, 0, sizeof *c);
    c->width = c->height = 64;
    c->fov_deg = 80.0f;
    c->camera_height = 0.45f; /* 0.9 m above the floor, 1 cell = 2 m */
    c->wall_height = 0.75f;   /* 1.5 m */
    c->pitch_deg = 5.7f;
    c->fog = 0.08f;
    const uint8_t top[3] = {0, 0, 0}, hor[3] = {102, 153, 204}; /* dm_control's gradient skybox */
    memcpy(c->sky_top, top, 3);
    memcpy(c->sky_horizon, hor, 3);
    const uint8_t fl[3] = {44, 60, 112};
    memcpy(c->floor_rgb, fl, 3);
}

void cm_render_config_arena(cm_render_config *c)
{
    cm_render_config_maze(c);
    c->camera_height = 0.3f;
    c->wall_height = 0.8f;
    c->pitch_deg = 0.0f;
    c->fog = 0.15f;
    const uint8_t fl[3] = {120, 110, 96};
    memcpy(c->floor_rgb, fl, 3);
}

static uint8_t scale8(uint8_t v, float s)
{
    float x = v * s + 0.5f;
    return (uint8_t)(x > 255.0f ? 255.0f : x < 0.0f ? 0.0f : x);
}

void cm_renderer_free(cm_renderer *r)
{
    if (!r)
        return;
    cm_free(r->col_off);
    cm_free(r->row_z);
    cm_free(r->sky);
    cm_free(r->floor_lut);
    cm_free(r->floor_kind);
    cm_free(r->wall_colour);
    cm_free(r->zbuf);
    cm_free(r->floor_tab);
    cm_free(r->sky32);
    cm_free(r->floor32);
    cm_free(r);
}

void cm_renderer_size(const cm_renderer *r, int *width, int *height)
{
    *width = r->w;
    *height = r->h;
}

cm_status cm_renderer_create(cm_renderer **out, const cm_arena *arena, const cm_maze *maze,
                             const cm_render_config *config)
{
    *out = NULL;
    const cm_render_config *c = config;
    if (!arena)
        return cm_error(CM_ERR_ARG, "renderer: arena: expected an arena, got NULL");
    if (c->width < 1 || c->height < 1 || c->width > 4096 || c->height > 4096)
        return cm_error(CM_ERR_ARG, "renderer: size: expected 1..4096 pixels a side, got %dx%d", c->width,
                        c->height);
    if (!(c->fov_deg > 1.0f && c->fov_deg < 170.0f))
        return cm_error(CM_ERR_ARG, "renderer: fov_deg: expected 1..170, got %g", (double)c->fov_deg);
    if (!(c->camera_height > 0.0f && c->wall_height > 0.0f && isfinite(c->camera_height) &&
          isfinite(c->wall_height)))
        return cm_error(CM_ERR_ARG, "renderer: camera_height and wall_height: expected > 0, got %g and %g",
                        (double)c->camera_height, (double)c->wall_height);
    if (!(fabsf(c->pitch_deg) < 60.0f) || !(c->fog >= 0.0f) || !isfinite(c->fog))
        return cm_error(CM_ERR_ARG, "renderer: pitch_deg (|.| < 60) or fog (>= 0) out of range: %g, %g",
                        (double)c->pitch_deg, (double)c->fog);
    if (maze && (!arena->grid || arena->grid_width != maze->size))
        return cm_error(CM_ERR_ARG, "renderer: arena: expected the maze's arena (cm_arena_from_maze)");
    cm_renderer *r = cm_calloc(1, sizeof *r);
    if (!r)
        return cm_error(CM_ERR_NOMEM, "renderer: out of memory");
    r->arena = arena;
    r->maze = maze;
    r->cfg = *c;
    int w = c->width, h = c->height;
    r->w = w;
    r->h = h;
    r->f = (float)(0.5 * h / tan(0.5 * c->fov_deg * M_PI / 180.0));
    r->horizon = (float)(0.5 * h - r->f * tan(c->pitch_deg * M_PI / 180.0));
    r->n_floor = 2;
    r->col_off = cm_alloc((size_t)w * sizeof(float));
    r->zbuf = cm_alloc((size_t)w * sizeof(float));
    r->row_z = cm_alloc((size_t)h * sizeof(float));
    r->sky = cm_alloc((size_t)h * 3);
    r->floor_lut = cm_alloc((size_t)h * 2 * 2 * 3);
    int n = maze ? maze->size : 0;
    if (maze) {
        r->floor_kind = cm_alloc((size_t)n * n);
        r->wall_colour = cm_alloc((size_t)(n + 2) * (n + 2) * 3);
    }
    if (!r->col_off || !r->zbuf || !r->row_z || !r->sky || !r->floor_lut ||
        (maze && (!r->floor_kind || !r->wall_colour))) {
        cm_renderer_free(r);
        return cm_error(CM_ERR_NOMEM, "renderer: out of memory for a %dx%d frame", w, h);
    }
    for (int col = 0; col < w; col++)
        r->col_off[col] = ((float)col + 0.5f - 0.5f * (float)w) / r->f;
    for (int row = 0; row < h; row++) {
        float below = (float)row + 0.5f - r->horizon;
        r->row_z[row] = below > 0.0f ? r->f * c->camera_height / below : 0.0f;
        /* sky: horizon colour at the horizon, top colour at the top of the view */
        float t = r->horizon > 0.5f ? 1.0f - ((float)row + 0.5f) / r->horizon : 0.0f;
        t = t < 0.0f ? 0.0f : t > 1.0f ? 1.0f : t;
        for (int k = 0; k < 3; k++)
            r->sky[row * 3 + k] = (uint8_t)(c->sky_horizon[k] + t * ((float)c->sky_top[k] - c->sky_horizon[k]) + 0.5f);
        float shade = 1.0f / (1.0f + c->fog * r->row_z[row]);
        for (int kind = 0; kind < 2; kind++) {
            const uint8_t *base = !maze ? c->floor_rgb : kind ? maze->floor_room_rgb : maze->floor_corridor_rgb;
            for (int chk = 0; chk < 2; chk++)
                for (int k = 0; k < 3; k++)
                    r->floor_lut[((row * 2 + kind) * 2 + chk) * 3 + k] = scale8(base[k], shade * (chk ? 0.86f : 1.0f));
        }
    }
    /* Floor table: half-cell checks in mazes; 25 cm checks over an open arena's
     * bounding box (origin at 0, so arenas are assumed to lie in [0, ...) after
     * the shift below). */
    if (maze) {
        /* Floor pixels are nearer than the wall of their column, so they lie in
         * the maze; a margin of MARGIN checks absorbs rounding without clamps. */
        r->checker = 2.0f;
        r->ft_w = 2 * n + 2 * MARGIN;
        /* a power-of-two row length turns the per-pixel multiply into a shift */
        int p2 = 1;
        while (p2 < r->ft_w)
            p2 *= 2;
        r->ft_w = p2;
    } else {
        r->checker = 4.0f;
        float span = fmaxf(arena->xmax - arena->xmin, arena->ymax - arena->ymin);
        r->ft_w = (int)ceilf(span * r->checker) + 2;
        if (!(r->ft_w > 0) || r->ft_w > 8192)
            r->ft_w = 2;
    }
    r->fx0 = maze ? -MARGIN / r->checker : arena->xmin;
    r->fy0 = maze ? -MARGIN / r->checker : arena->ymin;
    if (!isfinite(r->fx0) || !isfinite(r->fy0))
        r->fx0 = r->fy0 = 0.0f;
    r->floor_tab = cm_alloc((size_t)r->ft_w * (size_t)r->ft_w);
    if (!r->floor_tab) {
        cm_renderer_free(r);
        return cm_error(CM_ERR_NOMEM, "renderer: out of memory for the floor table");
    }
    for (int y = 0; y < r->ft_w; y++)
        for (int x = 0; x < r->ft_w; x++) {
            int kind = 0;
            if (maze) {
                int cx = (x - MARGIN) / 2, cy = (y - MARGIN) / 2;
                cx = cx < 0 ? 0 : cx >= n ? n - 1 : cx;
                cy = cy < 0 ? 0 : cy >= n ? n - 1 : cy;
                kind = maze->room_of[cy * n + cx] >= 0;
            }
            r->floor_tab[y * r->ft_w + x] = (uint8_t)(kind * 2 + ((x + y) & 1));
        }
    r->sky32 = cm_alloc((size_t)h * sizeof(uint32_t));
    r->floor32 = cm_alloc((size_t)h * 4 * sizeof(uint32_t));
    if (!r->sky32 || !r->floor32) {
        cm_renderer_free(r);
        return cm_error(CM_ERR_NOMEM, "renderer: out of memory for colour tables");
    }
    for (int row = 0; row < h; row++) {
        r->sky32[row] = pack(&r->sky[row * 3]);
        for (int k = 0; k < 4; k++)
            r->floor32[row * 4 + k] = pack(&r->floor_lut[(row * 4 + k) * 3]);
    }
    if (maze) {
        for (int i = 0; i < n * n; i++)
            r->floor_kind[i] = maze->room_of[i] >= 0;
        for (int y = -1; y <= n; y++)
            for (int x = -1; x <= n; x++)
                memcpy(&r->wall_colour[((y + 1) * (n + 2) + x + 1) * 3], maze->block_rgb[cm_maze_block(maze, x, y)], 3);
    }
    *out = r;
    return CM_OK;
}

/* DDA through the maze grid along (dx, dy) (forward component 1, so the
 * returned parameter is the depth). *side: 0 for a vertical face (x = const),
 * 1 for a horizontal one; *cell: the wall cell hit, full-grid index; *u: hit
 * position along the face in [0, 1). */
static float maze_cast(const cm_renderer *r, float ox, float oy, float dx, float dy, int *side, int *cell, float *u)
{
    const uint8_t *grid = r->arena->grid;
    *side = 0;
    int n = r->arena->grid_width, w2 = n + 2;
    int cx = (int)floorf(ox), cy = (int)floorf(oy);
    int sx = dx > 0 ? 1 : -1, sy = dy > 0 ? 1 : -1;
    float tdx = dx != 0.0f ? fabsf(1.0f / dx) : 1e30f, tdy = dy != 0.0f ? fabsf(1.0f / dy) : 1e30f;
    float tx = dx != 0.0f ? (dx > 0 ? (float)(cx + 1) - ox : ox - (float)cx) * tdx : 1e30f;
    float ty = dy != 0.0f ? (dy > 0 ? (float)(cy + 1) - oy : oy - (float)cy) * tdy : 1e30f;
    /* Branch-free steps (selects, not jumps): which grid line comes first is
     * a coin toss the branch predictor would lose half the time. */
    for (int guard = 0; guard < 4 * w2; guard++) {
        int vert = tx < ty;
        float t = vert ? tx : ty;
        cx += vert ? sx : 0;
        cy += vert ? 0 : sy;
        tx += vert ? tdx : 0.0f;
        ty += vert ? 0.0f : tdy;
        if ((unsigned)cx >= (unsigned)n || (unsigned)cy >= (unsigned)n || !grid[cy * n + cx]) {
            *side = !vert;
            cx = cx < -1 ? -1 : cx > n ? n : cx;
            cy = cy < -1 ? -1 : cy > n ? n : cy;
            *cell = (cy + 1) * w2 + cx + 1;
            float p = vert ? oy + t * dy : ox + t * dx;
            *u = p - floorf(p);
            return t;
        }
    }
    *cell = 0;
    *u = 0.0f;
    return 1e30f;
}

typedef struct column_args {
    const uint32_t *sky, *floor;
    const uint8_t *floor_tab;
    const float *row_z;
    int ft_w;
    float fmax;
    int h;
    size_t stride;
    int r_top, r_bot;
    int bricks;
    int clamp;
    int shift; /* log2(ft_w) when it is a power of two (mazes) */
    int32_t B, dB;
    uint32_t joint_c, even, odd, plain;
    float ox, oy, ddx, ddy;
} column_args;

/* One column: sky, wall, floor. */
static inline __attribute__((always_inline)) void render_column(const column_args *a, uint8_t *px, int wide4)
{
    const size_t stride = a->stride;
    int row = 0;
    for (; row < a->r_top; row++, px += stride)
        put(px, a->sky[row], wide4);
    if (a->bricks) {
        const int32_t joint = (int32_t)(0.12f * 65536.0f);
        int32_t B = a->B;
        const int32_t dB = a->dB;
        const uint32_t jc = a->joint_c, even = a->even, odd = a->odd;
        for (; row < a->r_bot; row++, px += stride, B -= dB)
            put(px, (B & 0xffff) < joint ? jc : ((B >> 16) & 1) ? odd : even, wide4);
    } else {
        for (; row < a->r_bot; row++, px += stride)
            put(px, a->plain, wide4);
    }
    /* Floor: one lookup per pixel in a half-cell table of (room?, checker). */
    const float fmax = a->fmax;
    const int ft_w = a->ft_w;
    const uint32_t *lut = a->floor + row * 4;
    const uint8_t *tab = a->floor_tab;
    const float *row_z = a->row_z;
    const float ox = a->ox, oy = a->oy, ddx = a->ddx, ddy = a->ddy;
    const int h = a->h;
    const int shift = a->shift;
    if (a->clamp) {
        for (; row < h; row++, px += stride, lut += 4) {
            float zr = row_z[row];
            float wx = clampf(ox + zr * ddx, 0.0f, fmax), wy = clampf(oy + zr * ddy, 0.0f, fmax);
            put(px, lut[tab[(int)wy * ft_w + (int)wx]], wide4);
        }
    } else {
        for (; row < h; row++, px += stride, lut += 4) {
            float zr = row_z[row];
            int ix = (int)(ox + zr * ddx), iy = (int)(oy + zr * ddy);
            put(px, lut[tab[(iy << shift) + ix]], wide4);
        }
    }
}

typedef struct sprite_view {
    float z, sx, rad;
    const cm_sprite *s;
} sprite_view;

cm_status cm_render(cm_renderer *r, cm_pose pose, const cm_sprite *sprites, int n_sprites, uint8_t *rgb,
                    float *depth)
{
    const int w = r->w, h = r->h;
    if (!isfinite(pose.x) || !isfinite(pose.y) || !isfinite(pose.theta) || fabsf(pose.x) > 1e6f ||
        fabsf(pose.y) > 1e6f)
        return cm_error(CM_ERR_ARG, "render: pose: expected finite coordinates within 1e6, got (%g, %g, %g)",
                        (double)pose.x, (double)pose.y, (double)pose.theta);
    const float f = r->f, horizon = r->horizon, eye = r->cfg.camera_height, wall_h = r->cfg.wall_height;
    const float fog = r->cfg.fog;
    const float fx = cosf(pose.theta), fy = sinf(pose.theta);
    const float rx = fy, ry = -fx; /* the camera's right: heading turned clockwise */
    const cm_maze *maze = r->maze;
    const int n = maze ? maze->size : 0;
    /* Floor lookups outside the table (seen only through rounding at a maze's
     * edge, or beyond an open arena) are clamped. */
    const float checker = r->checker;
    const int ft_w = r->ft_w;
    const float fmax = (float)ft_w - 1e-3f;
    int ft_shift = 0;
    while ((1 << ft_shift) < ft_w)
        ft_shift++;
    const float inv_f = 1.0f / f, inv_brick_h = 0.75f / (0.125f * wall_h); /* 8 courses on a 1.5 m wall */
    (void)n;

    for (int col = 0; col < w; col++) {
        float dx = fx + rx * r->col_off[col], dy = fy + ry * r->col_off[col];
        float z, u;
        const uint8_t *wc;
        int texture, side;
        if (maze) {
            int cell;
            z = maze_cast(r, pose.x, pose.y, dx, dy, &side, &cell, &u);
            wc = &r->wall_colour[cell * 3];
            texture = 1;
        } else {
            cm_ray_hit hit = cm_arena_cast(r->arena, pose.x, pose.y, dx, dy);
            z = hit.distance;
            if (hit.wall >= 0) {
                const cm_wall *wl = &r->arena->walls[hit.wall];
                wc = wl->rgb;
                texture = wl->texture;
                side = fabsf(wl->x1 - wl->x0) < fabsf(wl->y1 - wl->y0) ? 0 : 1;
                u = hit.u;
            } else {
                z = 1e30f;
                wc = r->cfg.floor_rgb;
                texture = 0;
                side = 0;
                u = 0.0f;
            }
        }
        if (!(z > 1e-4f))
            z = 1e-4f;
        r->zbuf[col] = z;
        /* Two divisions per column; everything else multiplies. */
        const float iz = 1.0f / z, zf = z * inv_f;
        /* Wall colours for this column: distance fog, darker x-facing sides, bricks or stripes. */
        float shade = (side ? 1.0f : 0.8f) / (1.0f + fog * z);
        float stripe = 1.0f;
        if (texture == 2) { /* broad vertical stripes */
            float q = u * 4.0f;
            stripe = (q - floorf(q)) < 0.5f ? 1.0f : 0.75f;
        } else if (texture == 3) { /* narrow pinstripes */
            float q = u * 12.0f;
            stripe = (q - floorf(q)) < 0.25f ? 0.6f : 1.0f;
        }
        /* every factor is <= 1, so 8.8 fixed point needs no clamping */
        uint32_t s0 = (uint32_t)(shade * stripe * 256.0f), s1 = (uint32_t)(shade * 0.62f * 256.0f);
        uint32_t k0 = (wc[0] * s0 >> 8) | (wc[1] * s0 >> 8) << 8 | (wc[2] * s0 >> 8) << 16;
        uint32_t k1 = (wc[0] * s1 >> 8) | (wc[1] * s1 >> 8) << 8 | (wc[2] * s1 >> 8) << 16;
        float top = horizon - f * (wall_h - eye) * iz, bottom = horizon + f * eye * iz;
        /* rows whose centres lie inside [top, bottom), clamped to the image before converting */
        int r_top = (int)ceilf(clampf(top - 0.5f, 0.0f, (float)h));
        int r_bot = (int)ceilf(clampf(bottom - 0.5f, 0.0f, (float)h));
        uint32_t even = k0, odd = k0;
        int32_t B = 0, dB = 0;
        if (texture == 1) {
            /* The height on the wall falls linearly down the column, so the brick
             * coordinate is stepped in 16.16 fixed point: bricks alternate their
             * vertical joints row by row, joints are darker. */
            float hgt = eye - ((float)r_top + 0.5f - horizon) * zf;
            B = (int32_t)clampf(hgt * inv_brick_h * 65536.0f, -2e9f, 2e9f);
            dB = (int32_t)clampf(zf * inv_brick_h * 65536.0f, 0.0f, 2e9f);
            float q0 = u * 4.0f, q1 = q0 + 0.5f; /* bricks 0.25 units long */
            even = (q0 - (float)(int)q0) < 0.06f ? k1 : k0;
            odd = (q1 - (float)(int)q1) < 0.06f ? k1 : k0;
        }
        column_args a = {r->sky32, r->floor32, r->floor_tab, r->row_z, ft_w, fmax, h, (size_t)w * 3, r_top, r_bot,
                         texture == 1, !maze, ft_shift, B, dB, k1, even, odd, k0,
                         (pose.x - r->fx0) * checker, (pose.y - r->fy0) * checker, dx * checker, dy * checker};
        if (wide && col < w - 1)
            render_column(&a, rgb + (size_t)col * 3, 1);
        else
            render_column(&a, rgb + (size_t)col * 3, 0);
        if (depth) {
            int row = 0;
            for (; row < r_top; row++)
                depth[row * w + col] = INFINITY;
            for (; row < r_bot; row++)
                depth[row * w + col] = z;
            for (; row < h; row++)
                depth[row * w + col] = r->row_z[row];
        }
    }

    /* Sprites, far to near, each pixel tested against the wall of its column. */
    sprite_view views[MAX_SPRITES];
    int nv = 0;
    for (int i = 0; i < n_sprites && nv < MAX_SPRITES; i++) {
        const cm_sprite *s = &sprites[i];
        if (!isfinite(s->x) || !isfinite(s->y) || !isfinite(s->z) || !(s->radius > 0.0f) || !isfinite(s->radius))
            continue;
        float ox = s->x - pose.x, oy = s->y - pose.y;
        float z = ox * fx + oy * fy;
        if (z < 0.05f)
            continue;
        float lat = ox * rx + oy * ry;
        sprite_view v = {z, 0.5f * (float)w + f * lat / z, f * s->radius / z, s};
        int k = nv++;
        while (k > 0 && views[k - 1].z < v.z) {
            views[k] = views[k - 1];
            k--;
        }
        views[k] = v;
    }
    for (int i = 0; i < nv; i++) {
        const sprite_view *v = &views[i];
        const cm_sprite *s = v->s;
        float cy = horizon - f * (s->z - eye) / v->z;
        float floor_row = horizon + f * eye / v->z; /* the floor under the sprite hides what is below */
        float shade = 1.0f / (1.0f + fog * v->z);
        /* clamp in float first: a sprite far off screen must not overflow an int */
        int c0 = (int)ceilf(clampf(v->sx - v->rad - 0.5f, -1.0f, (float)w));
        int c1 = (int)floorf(clampf(v->sx + v->rad - 0.5f, -1.0f, (float)w));
        int r0 = (int)ceilf(clampf(cy - v->rad - 0.5f, -1.0f, (float)h));
        int r1 = (int)floorf(clampf(cy + v->rad - 0.5f, -1.0f, (float)h));
        if (c0 < 0)
            c0 = 0;
        if (c1 > w - 1)
            c1 = w - 1;
        if (r0 < 0)
            r0 = 0;
        if (r1 > h - 1)
            r1 = h - 1;
        const float inv_rad = 1.0f / v->rad, nearest = v->z - s->radius;
        for (int col = c0; col <= c1; col++) {
            if (nearest >= r->zbuf[col])
                continue; /* the whole column of the sprite is behind the wall */
            float ddx = ((float)col + 0.5f - v->sx) * inv_rad;
            for (int row = r0; row <= r1; row++) {
                if ((float)row + 0.5f > floor_row)
                    break;
                float ddy = ((float)row + 0.5f - cy) * inv_rad;
                float d2 = ddx * ddx + ddy * ddy;
                if (d2 >= 1.0f)
                    continue;
                float nz = sqrtf(1.0f - d2);
                float zp = v->z - s->radius * nz;
                if (zp >= r->zbuf[col])
                    continue;
                if (depth) {
                    if (zp >= depth[row * w + col])
                        continue;
                    depth[row * w + col] = zp;
                }
                /* light from above-front: brighter towards the viewer and the top */
                float lum = shade * (0.45f + 0.4f * nz + 0.15f * (-ddy > 0 ? -ddy : 0));
                uint8_t *px = rgb + ((size_t)row * w + col) * 3;
                px[0] = scale8(s->rgb[0], lum);
                px[1] = scale8(s->rgb[1], lum);
                px[2] = scale8(s->rgb[2], lum);
            }
        }
    }
    return CM_OK;
}

void cm_render_border(uint8_t *rgb, int width, int height, const uint8_t target_rgb[3])
{
    int b = (int)(2.0 * sqrt((double)(height / 64)));
    uint8_t c[3];
    for (int k = 0; k < 3; k++) {
        float v = target_rgb[k] / 220.0f * 255.0f * 0.7f;
        c[k] = (uint8_t)(v > 255.0f ? 255.0f : v);
    }
    for (int row = 0; row < height; row++)
        for (int col = 0; col < width; col++) {
            if (row >= b && row < height - b && col >= b && col < width - b) {
                col = width - b - 1; /* skip the inside */
                continue;
            }
            memcpy(&rgb[((size_t)row * width + col) * 3], c, 3);
        }
}
