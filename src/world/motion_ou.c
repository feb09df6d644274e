/* The smooth random motion of RatInABox (grid-cells.md §3.1): rotational
 * velocity and speed follow Ornstein-Uhlenbeck processes (the speed through a
 * Rayleigh <-> normal mapping, so that its stationary law stays Rayleigh),
 * walls repel with a spring and a "conveyor belt", collisions bounce, and the
 * head direction is the velocity direction smoothed in time.
 *
 * An OU step with time constant tau and stationary sd sigma is
 *   x += -x dt / tau + sqrt(2 sigma^2 dt / tau) N(0, 1).
 * cogmap differs from RatInABox in two guarded places: the conveyor-belt push
 * and the bounced retry go through the collision-safe move, so no step can
 * leave the arena. */
#include "world_internal.h"

/* Standard normal CDF of -x (the upper tail), accurate in the far tail
 * where 1 - Phi(x) would cancel. */
static double upper_tail(double x) { return 0.5 * erfc(x / M_SQRT2); }

/* Inverse of the standard normal CDF: Acklam's rational approximation
 * (relative error 1.15e-9) refined by one Halley step to near double
 * precision. p in (0, 1). */
static double normal_quantile(double p)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                                1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                                6.680131188771972e+01, -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                                -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                                3.754408661907416e+00};
    const double plow = 0.02425;
    double x;
    if (p < plow) {
        double q = sqrt(-2 * log(p));
        x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    } else if (p <= 1 - plow) {
        double q = p - 0.5, r = q * q;
        x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
            (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
    } else {
        double q = sqrt(-2 * log1p(-p));
        x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
            ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
    }
    double e = upper_tail(-x) - p;
    double u = e * sqrt(2 * M_PI) * exp(0.5 * x * x);
    return x - u / (1 + 0.5 * x * u);
}

/* Rayleigh(sigma) speed -> standard normal with the same CDF value, working
 * with the upper tail q = 1 - F(s) = exp(-s^2 / 2 sigma^2) to stay exact for
 * fast and slow speeds alike. */
static double rayleigh_to_normal(double s, double sigma)
{
    if (s <= 0)
        s = 1e-6 * sigma; /* RatInABox's guard against a zero speed */
    double q = exp(-s * s / (2 * sigma * sigma));
    if (q < 1e-300)
        q = 1e-300;
    if (q > 1 - 1e-16)
        q = 1 - 1e-16;
    return -normal_quantile(q);
}

static double normal_to_rayleigh(double n, double sigma)
{
    double q = upper_tail(n);
    if (q < 1e-300)
        q = 1e-300;
    return sigma * sqrt(-2 * log(q));
}

void cm_ou_start(cm_agent *agent, const cm_ou_params *p, cm_rng *rng)
{
    float s = (float)cm_rng_rayleigh(rng, p->speed_mean);
    agent->vx = s * agent->hx;
    agent->vy = s * agent->hy;
    agent->omega = 0;
}

/* Reflects (vx, vy) off wall i: v - 2 (v . n) n with n the wall's unit normal. */
static void bounce(const cm_wall *w, float *vx, float *vy)
{
    float ex = w->x1 - w->x0, ey = w->y1 - w->y0;
    float len = sqrtf(ex * ex + ey * ey);
    float nx = -ey / len, ny = ex / len;
    float dot = *vx * nx + *vy * ny;
    *vx -= 2 * dot * nx;
    *vy -= 2 * dot * ny;
}

void cm_ou_step(cm_agent *agent, const cm_ou_params *p, const cm_arena *arena, cm_rng *rng)
{
    const float dt = p->dt;
    float x = agent->pose.x, y = agent->pose.y;
    float vx = agent->vx, vy = agent->vy;
    float ox = x, oy = y, old_theta = agent->pose.theta;

    /* 1. Rotational velocity (OU around 0), then rotate the velocity. */
    float omega = agent->omega;
    omega += -omega * dt / p->rot_coherence +
             sqrtf(2 * p->rot_sd * p->rot_sd * dt / p->rot_coherence) * (float)cm_rng_normal(rng);
    float dphi = omega * dt, c = cosf(dphi), s = sinf(dphi);
    float rvx = vx * c - vy * s, rvy = vx * s + vy * c;
    vx = rvx;
    vy = rvy;

    /* 2. Speed: OU in the normal variable that the Rayleigh law maps to. */
    float speed = sqrtf(vx * vx + vy * vy);
    if (!(speed > 0)) {
        /* No direction left: take the head direction's. */
        vx = agent->hx;
        vy = agent->hy;
        speed = 1;
    }
    double nv = rayleigh_to_normal(speed, p->speed_mean);
    nv += -nv * dt / p->speed_coherence + sqrt(2.0 * dt / p->speed_coherence) * cm_rng_normal(rng);
    float new_speed = (float)normal_to_rayleigh(nv, p->speed_mean);
    vx *= new_speed / speed;
    vy *= new_speed / speed;

    /* 3. Walls within the repel distance: a spring on the velocity and a
     *    conveyor-belt push on the position, both away from each wall. */
    const float d = p->wall_repel_distance;
    const float vref = p->wall_repel_strength * p->speed_mean;
    const float k = vref * vref / (d * d);
    const float spring = 3 * (1 - p->thigmotaxis) * (1 - p->thigmotaxis);
    const float belt = 6 * p->thigmotaxis * p->thigmotaxis;
    float px = 0, py = 0, near = INFINITY;
    for (int i = 0; i < arena->n_walls; i++) {
        float cx, cy;
        cm_wall_closest_point(&arena->walls[i], x, y, &cx, &cy);
        float ax = x - cx, ay = y - cy; /* wall -> agent */
        float dist = sqrtf(ax * ax + ay * ay);
        if (dist < near)
            near = dist;
        if (dist >= d || !(dist > 0))
            continue;
        ax /= dist;
        ay /= dist;
        float acc = k * (d - dist);
        vx += spring * acc * dt * ax;
        vy += spring * acc * dt * ay;
        float r = (d - dist) / d;
        float push = belt * vref * (1 - sqrtf(1 - r * r)) * dt;
        px += push * ax;
        py += push * ay;
    }
    if (px != 0 || py != 0) {
        cm_world_move(arena, &x, &y, px, py, near);
        near = 0; /* moved: the distance no longer holds */
    }

    /* 4. The step itself; a collision reflects the velocity off the wall,
     *    slows it to half the mean speed and retries once. */
    float sx = x, sy = y;
    int wall = cm_world_move(arena, &x, &y, vx * dt, vy * dt, near);
    if (wall >= 0) {
        agent->collisions++;
        x = sx;
        y = sy;
        bounce(&arena->walls[wall], &vx, &vy);
        float sp = sqrtf(vx * vx + vy * vy);
        if (sp > 0) {
            vx *= 0.5f * p->speed_mean / sp;
            vy *= 0.5f * p->speed_mean / sp;
        }
        float tx = x, ty = y;
        if (cm_world_move(arena, &tx, &ty, vx * dt, vy * dt, 0) < 0) {
            x = tx;
            y = ty;
        }
    }

    /* 5. Head direction: the velocity direction, low-pass filtered. */
    float sp = sqrtf(vx * vx + vy * vy);
    float hx = agent->hx, hy = agent->hy;
    if (sp > 0) {
        if (p->hd_smoothing > 0) {
            float a = dt / p->hd_smoothing;
            hx = hx * (1 - a) + a * vx / sp;
            hy = hy * (1 - a) + a * vy / sp;
        } else {
            hx = vx / sp;
            hy = vy / sp;
        }
        float hn = sqrtf(hx * hx + hy * hy);
        if (hn > 0) {
            hx /= hn;
            hy /= hn;
        } else {
            hx = vx / sp;
            hy = vy / sp;
        }
    }
    agent->hx = hx;
    agent->hy = hy;
    agent->vx = vx;
    agent->vy = vy;
    agent->omega = omega;
    agent->pose.x = x;
    agent->pose.y = y;
    agent->pose.theta = cm_wrap_angle(atan2f(hy, hx));
    agent->dx = x - ox;
    agent->dy = y - oy;
    agent->dtheta = cm_wrap_angle(agent->pose.theta - old_theta);
}
