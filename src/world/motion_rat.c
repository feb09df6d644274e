/* The rat motion model of Raudies & Hasselmo as Banino et al. and Sorscher et
 * al. parameterise it (grid-cells.md §2.4, smp.md §2.1), generalised from the
 * square box to any arena by taking "the nearest wall" as the nearest point
 * of any wall segment (in the box this is exactly the four-wall rule).
 *
 * Per step, from pose (x, y, hd):
 *   1. v ~ Rayleigh(b), omega ~ Normal(mean, sd)
 *   2. d, n = distance and unit direction to the nearest wall point
 *   3. if d < border and heading into the wall (|a| < pi/2, a = wrap(hd -
 *      angle(n))): turn = sign(a) (pi/2 - |a|), v *= wall_slow; else turn = 0
 *   4. turn += dt omega
 *   5. move by v dt (cos hd, sin hd), stopping short of walls; hd += turn
 * Sorscher's generator can step through a wall when a fast draw starts near
 * it (nothing clips positions); here such a move stops at the wall instead. */
#include "world_internal.h"

void cm_rat_step(cm_agent *agent, const cm_rat_params *p, const cm_arena *arena, cm_rng *rng)
{
    float x = agent->pose.x, y = agent->pose.y, hd = agent->pose.theta;
    float v = cm_world_rayleigh(rng, p->speed_scale);
    float omega = p->turn_mean + p->turn_sd * cm_world_normal(rng);

    float nx, ny;
    float d = cm_arena_nearest_wall(arena, x, y, &nx, &ny);
    float ch = cosf(hd), sh = sinf(hd);
    float turn = 0.0f;
    /* cos(a) > 0 <=> |a| < pi/2: the heading points into the wall. */
    if (d < p->border && ch * nx + sh * ny > 0.0f) {
        float a = cm_wrap_angle(hd - atan2f(ny, nx));
        turn = copysignf(0.5f * CM_PI_F - fabsf(a), a);
        v *= p->wall_slow;
    }
    turn += p->dt * omega;

    float step = v * p->dt;
    float ox = x, oy = y;
    if (cm_world_move(arena, &x, &y, step * ch, step * sh, d) >= 0)
        agent->collisions++;
    agent->pose.x = x;
    agent->pose.y = y;
    agent->pose.theta = cm_wrap_angle(hd + turn);
    agent->dx = x - ox;
    agent->dy = y - oy;
    agent->dtheta = cm_wrap_angle(turn);
}
