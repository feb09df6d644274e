/* Helpers shared by the world module's files: its motion models and the arena (not public API). */
#ifndef COGMAP_WORLD_INTERNAL_H
#define COGMAP_WORLD_INTERNAL_H

#include "cogmap/world.h"

#include <math.h>

#define CM_PI_F 3.14159265358979f
#define CM_TWO_PI_F 6.28318530717959f

/* Wraps an angle into (-pi, pi] (in float: (-CM_PI_F, CM_PI_F]). */
static inline float cm_wrap_angle(float a)
{
    if (a > CM_PI_F || a <= -CM_PI_F) {
        a -= CM_TWO_PI_F * floorf((a + CM_PI_F) / CM_TWO_PI_F);
        if (a <= -CM_PI_F)
            a += CM_TWO_PI_F;
        if (a > CM_PI_F)
            a -= CM_TWO_PI_F;
    }
    return a;
}

/* Float samplers for the per-step draws of the motion models: the double
 * versions in base spend most of a rat-model step in log(). Both come from
 * the same cm_rng stream, so seeds and streams mean the same thing. */
static inline float cm_world_rayleigh(cm_rng *r, float sigma)
{
    /* 1 - U in (0, 1] with 53 bits: float keeps the tiny values that make
     * the tail, so the largest draw is about 8.6 sigma, not 5.8. */
    double q = (double)((cm_rng_u64(r) >> 11) + 1) * 0x1.0p-53;
    return sigma * sqrtf(-2.0f * logf((float)q));
}

static inline float cm_world_normal(cm_rng *r)
{
    /* Marsaglia's polar method in float, the second value kept in the
     * stream's cache like cm_rng_normal does. */
    if (r->has_normal) {
        r->has_normal = 0;
        return (float)r->cached_normal;
    }
    float u, v, s;
    do {
        uint64_t bits = cm_rng_u64(r);
        u = (float)(bits >> 40) * 0x1.0p-23f - 1.0f;
        v = (float)((bits >> 8) & 0xffffff) * 0x1.0p-23f - 1.0f;
        s = u * u + v * v;
    } while (s >= 1.0f || s == 0.0f);
    float f = sqrtf(-2.0f * logf(s) / s);
    r->cached_normal = u * f;
    r->has_normal = 1;
    return v * f;
}

/* The point of wall segment w closest to (x, y). */
static inline void cm_wall_closest_point(const cm_wall *w, float x, float y, float *cx, float *cy)
{
    float ex = w->x1 - w->x0, ey = w->y1 - w->y0;
    float len2 = ex * ex + ey * ey;
    float t = len2 > 0 ? ((x - w->x0) * ex + (y - w->y0) * ey) / len2 : 0.0f;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    *cx = w->x0 + t * ex;
    *cy = w->y0 + t * ey;
}

/* How close an agent may come to a wall: a small fraction of the arena's
 * extent, large enough that float rounding can never carry a point across
 * a wall, small enough to be invisible in any statistic. */
static inline float cm_arena_clearance(const cm_arena *a)
{
    float ex = a->xmax - a->xmin, ey = a->ymax - a->ymin;
    return 1e-4f * (ex > ey ? ex : ey);
}

/* Moves (*x, *y) by (dx, dy) without crossing a wall or coming closer than
 * the clearance to one. `near` is the nearest-wall distance at the start
 * when the caller knows it (a move shorter than that cannot reach any
 * wall), or 0. Returns -1 when the whole move was made, otherwise the index
 * of the wall that cut it short (the point then stops before that wall, or
 * stays where it was when even that would not be safe). */
int cm_world_move(const cm_arena *arena, float *x, float *y, float dx, float dy, float near);

/* The two models' steps (motion_rat.c, motion_ou.c). */
void cm_rat_step(cm_agent *agent, const cm_rat_params *p, const cm_arena *arena, cm_rng *rng);
void cm_ou_step(cm_agent *agent, const cm_ou_params *p, const cm_arena *arena, cm_rng *rng);
void cm_ou_start(cm_agent *agent, const cm_ou_params *p, cm_rng *rng);

#endif
