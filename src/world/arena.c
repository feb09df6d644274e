/* Open arenas: polygon construction, the presets, and the point queries every
 * motion model needs (inside test, nearest wall).
 *
 * Walls are closed loops of segments, so the even-odd rule over all segments
 * decides what is inside without needing a separate boundary description;
 * mazes keep their grid and answer from it. */
#include "cogmap/world.h"
#include "world_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Fully saturated colours would look garish in renders; these keep walls
 * distinct in hue while staying in the range DeepMind Lab's walls use. */
static void hue_to_rgb(float h, uint8_t rgb[3])
{
    const float s = 0.75f, v = 0.9f;
    h = h - floorf(h);
    float hh = h * 6.0f;
    int i = (int)hh % 6;
    float f = hh - floorf(hh);
    float p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    float r, g, b;
    switch (i) {
    case 0: r = v, g = t, b = p; break;
    case 1: r = q, g = v, b = p; break;
    case 2: r = p, g = v, b = t; break;
    case 3: r = p, g = q, b = v; break;
    case 4: r = t, g = p, b = v; break;
    default: r = v, g = p, b = q; break;
    }
    rgb[0] = (uint8_t)lrintf(r * 255);
    rgb[1] = (uint8_t)lrintf(g * 255);
    rgb[2] = (uint8_t)lrintf(b * 255);
}

cm_status cm_arena_polygon(cm_arena *arena, const char *name, int n, const float *xy)
{
    memset(arena, 0, sizeof *arena);
    if (!name)
        name = "polygon";
    if (n < 3 || !xy)
        return cm_error(CM_ERR_ARG, "arena %s: vertices: expected at least 3, got %d", name, n);
    double area2 = 0;
    for (int i = 0; i < n; i++) {
        if (!isfinite(xy[2 * i]) || !isfinite(xy[2 * i + 1]))
            return cm_error(CM_ERR_ARG, "arena %s: vertex %d: expected finite coordinates", name, i);
        int j = (i + 1) % n;
        area2 += (double)xy[2 * i] * xy[2 * j + 1] - (double)xy[2 * j] * xy[2 * i + 1];
    }
    if (!(fabs(area2) > 1e-12))
        return cm_error(CM_ERR_ARG, "arena %s: vertices: expected a polygon with non-zero area", name);
    arena->walls = cm_alloc((size_t)n * sizeof *arena->walls);
    if (!arena->walls)
        return cm_error(CM_ERR_NOMEM, "arena %s: cannot allocate %d walls", name, n);
    snprintf(arena->name, sizeof arena->name, "%s", name);
    arena->n_walls = n;
    arena->xmin = arena->xmax = xy[0];
    arena->ymin = arena->ymax = xy[1];
    for (int i = 0; i < n; i++) {
        int j = (i + 1) % n;
        cm_wall *w = &arena->walls[i];
        w->x0 = xy[2 * i];
        w->y0 = xy[2 * i + 1];
        w->x1 = xy[2 * j];
        w->y1 = xy[2 * j + 1];
        /* Golden-angle hues: consecutive walls are far apart on the wheel. */
        hue_to_rgb((float)i * 0.6180339887f, w->rgb);
        w->texture = (uint8_t)(1 + i % 3);
        arena->xmin = fminf(arena->xmin, w->x0);
        arena->xmax = fmaxf(arena->xmax, w->x0);
        arena->ymin = fminf(arena->ymin, w->y0);
        arena->ymax = fmaxf(arena->ymax, w->y0);
    }
    return CM_OK;
}

static void set_wall_style(cm_arena *a, int i, uint8_t r, uint8_t g, uint8_t b, uint8_t texture)
{
    a->walls[i].rgb[0] = r;
    a->walls[i].rgb[1] = g;
    a->walls[i].rgb[2] = b;
    a->walls[i].texture = texture;
}

static const char preset_names[] = "box, box15, circle, tworooms";

const char *cm_arena_preset_names(void) { return preset_names; }

cm_status cm_arena_preset(cm_arena *arena, const char *name)
{
    if (!name)
        name = "";
    cm_status st;
    if (strcmp(name, "box") == 0 || strcmp(name, "box15") == 0) {
        float lo = strcmp(name, "box") == 0 ? -1.1f : 0.0f;
        float hi = strcmp(name, "box") == 0 ? 1.1f : 15.0f;
        const float xy[8] = {lo, lo, hi, lo, hi, hi, lo, hi};
        if ((st = cm_arena_polygon(arena, name, 4, xy)) != CM_OK)
            return st;
        /* South, east, north, west: four unmistakable cues. */
        set_wall_style(arena, 0, 40, 80, 200, 1);
        set_wall_style(arena, 1, 50, 170, 60, 2);
        set_wall_style(arena, 2, 200, 50, 40, 3);
        set_wall_style(arena, 3, 220, 190, 50, 0);
        return CM_OK;
    }
    if (strcmp(name, "circle") == 0) {
        enum { N = 64 };
        float xy[2 * N];
        for (int i = 0; i < N; i++) {
            double a = 2 * M_PI * i / N;
            xy[2 * i] = (float)(1.1 * cos(a));
            xy[2 * i + 1] = (float)(1.1 * sin(a));
        }
        if ((st = cm_arena_polygon(arena, name, N, xy)) != CM_OK)
            return st;
        /* A hue wheel: the wall's colour tells its direction from the centre. */
        for (int i = 0; i < N; i++) {
            hue_to_rgb((i + 0.5f) / N, arena->walls[i].rgb);
            arena->walls[i].texture = (uint8_t)(1 + (i / 8) % 3);
        }
        return CM_OK;
    }
    if (strcmp(name, "tworooms") == 0) {
        /* One simple polygon running round both rooms and into the door:
         * the partition x in [-0.05, 0.05] has a 0.5 m gap at |y| < 0.25. */
        const float xy[] = {-2.2f,  -1.1f, -0.05f, -1.1f, -0.05f, -0.25f, 0.05f, -0.25f, 0.05f,  -1.1f, 2.2f, -1.1f,
                            2.2f,   1.1f,  0.05f,  1.1f,  0.05f,  0.25f,  -0.05f, 0.25f, -0.05f, 1.1f,  -2.2f, 1.1f};
        if ((st = cm_arena_polygon(arena, name, 12, xy)) != CM_OK)
            return st;
        /* West room: blue south, red north, yellow west; east room: green
         * south, magenta north, cyan east; the partition's faces are grey
         * with their own texture, darker on the west side. */
        set_wall_style(arena, 0, 40, 80, 200, 1);   /* west room south */
        set_wall_style(arena, 1, 110, 110, 110, 2); /* partition, west face (lower) */
        set_wall_style(arena, 2, 150, 150, 150, 0); /* lower partition end */
        set_wall_style(arena, 3, 170, 170, 170, 2); /* partition, east face (lower) */
        set_wall_style(arena, 4, 50, 170, 60, 1);   /* east room south */
        set_wall_style(arena, 5, 50, 190, 200, 3);  /* east wall */
        set_wall_style(arena, 6, 200, 60, 190, 1);  /* east room north */
        set_wall_style(arena, 7, 170, 170, 170, 3); /* partition, east face (upper) */
        set_wall_style(arena, 8, 150, 150, 150, 0); /* upper partition end */
        set_wall_style(arena, 9, 110, 110, 110, 3); /* partition, west face (upper) */
        set_wall_style(arena, 10, 200, 50, 40, 1);  /* west room north */
        set_wall_style(arena, 11, 220, 190, 50, 2); /* west wall */
        return CM_OK;
    }
    memset(arena, 0, sizeof *arena);
    return cm_error(CM_ERR_ARG, "arena: expected one of %s, got '%s'", preset_names, name);
}

int cm_arena_contains(const cm_arena *arena, float x, float y)
{
    if (!isfinite(x) || !isfinite(y))
        return 0;
    if (arena->grid) {
        float fx = floorf(x), fy = floorf(y);
        if (fx < 0 || fy < 0 || fx >= (float)arena->grid_width || fy >= (float)arena->grid_height)
            return 0;
        return arena->grid[(int)fy * arena->grid_width + (int)fx] != 0;
    }
    if (x < arena->xmin || x > arena->xmax || y < arena->ymin || y > arena->ymax)
        return 0;
    /* Even-odd rule with a ray toward +x. The half-open test on y counts a
     * vertex the ray passes through exactly once, and never counts
     * horizontal walls. */
    int inside = 0;
    for (int i = 0; i < arena->n_walls; i++) {
        const cm_wall *w = &arena->walls[i];
        if ((w->y0 > y) != (w->y1 > y)) {
            float xi = w->x0 + (y - w->y0) * (w->x1 - w->x0) / (w->y1 - w->y0);
            if (x < xi)
                inside = !inside;
        }
    }
    return inside;
}

float cm_arena_nearest_wall(const cm_arena *arena, float x, float y, float *nx, float *ny)
{
    float best = INFINITY, bx = 0, by = 0;
    for (int i = 0; i < arena->n_walls; i++) {
        float cx, cy;
        cm_wall_closest_point(&arena->walls[i], x, y, &cx, &cy);
        float px = cx - x, py = cy - y;
        float d2 = px * px + py * py;
        if (d2 < best) {
            best = d2;
            bx = px;
            by = py;
        }
    }
    float d = sqrtf(best);
    if (nx && ny) {
        if (d > 0) {
            *nx = bx / d;
            *ny = by / d;
        } else {
            *nx = 1;
            *ny = 0;
        }
    }
    return d;
}
