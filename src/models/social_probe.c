/* SSM-PC's social place-cell probing (ssm-pc.md §9.2; spc_module's
 * trajectory.py and visualize_social_cells.py): the four conditions' paths,
 * drawn exactly as numpy draws them from RandomState(seed), and the network's
 * bottleneck activity and per-unit peaks on them. */
#include "cogmap/social.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* numpy's mod for a positive divisor: the result has the divisor's sign. */
static double py_mod(double a, double m)
{
    double r = fmod(a, m);
    if (r != 0.0 && r < 0.0)
        r += m;
    return r;
}

/* One path of T frames (spc_module's _smooth_path) in double, as numpy
 * computes it; pos [T, 2], vel [T, 2], ang [T]. */
static void smooth_path(cm_mt19937 *mt, const double start[2], const double end[2], int moving, int T, double env,
                        double *pos, double *vel, double *ang)
{
    if (!moving) {
        for (int t = 0; t < T; t++) {
            pos[2 * t] = start[0];
            pos[2 * t + 1] = start[1];
            vel[2 * t] = vel[2 * t + 1] = 0.0;
            ang[t] = 0.0;
        }
        return;
    }
    double d[2] = {end[0] - start[0], end[1] - start[1]};
    double norm = sqrt(d[0] * d[0] + d[1] * d[1]) + 1e-6;
    double dir[2] = {d[0] / norm, d[1] / norm}, perp[2] = {-dir[1], dir[0]};
    double amplitude = cm_mt_uniform(mt, 0.5, 1.5);
    double frequency = cm_mt_uniform(mt, 1.5, 2.5);
    double phase = cm_mt_uniform(mt, 0.0, M_PI);
    double div = T > 1 ? (double)(T - 1) : 1.0, step = 1.0 / (double)(T - 1 > 0 ? T - 1 : 1);
    for (int t = 0; t < T; t++) {
        double s = (double)t / div; /* base: t / max(1, T - 1) */
        double taxis = T > 1 ? (t == T - 1 ? 1.0 : (double)t * step) : 0.0; /* np.linspace(0, 1, T) */
        double off = amplitude * sin(2.0 * M_PI * frequency * taxis + phase);
        for (int k = 0; k < 2; k++) {
            double p = (start[k] + s * d[k]) + off * perp[k];
            pos[2 * t + k] = p < 0.5 ? 0.5 : p > env - 0.5 ? env - 0.5 : p;
        }
    }
    /* v = diff(p, prepend p_0); angles = atan2(v); w = diff(unwrap(angles), prepend angles_0) */
    double prev = 0.0, prev_up = 0.0, correction = 0.0;
    for (int t = 0; t < T; t++) {
        vel[2 * t] = t ? pos[2 * t] - pos[2 * (t - 1)] : 0.0;
        vel[2 * t + 1] = t ? pos[2 * t + 1] - pos[2 * (t - 1) + 1] : 0.0;
        double a = atan2(vel[2 * t + 1], vel[2 * t]);
        if (t == 0) {
            ang[0] = 0.0;
            prev = prev_up = a;
            continue;
        }
        /* np.unwrap: up_t = a_t + cumsum(ph_correct)_t */
        double dd = a - prev, ddmod = py_mod(dd + M_PI, 2.0 * M_PI) - M_PI;
        if (ddmod == -M_PI && dd > 0)
            ddmod = M_PI;
        correction += fabs(dd) < M_PI ? 0.0 : ddmod - dd;
        double up = a + correction;
        ang[t] = up - prev_up;
        prev = a;
        prev_up = up;
    }
}

void cm_spc_paths_free(cm_spc_paths paths[4])
{
    for (int c = 0; c < CM_SPC_CONDITIONS; c++) {
        cm_free(paths[c].self_pos);
        cm_free(paths[c].peer_pos);
        cm_free(paths[c].self_vel);
        cm_free(paths[c].peer_vel);
        cm_free(paths[c].self_hd0);
        cm_free(paths[c].peer_hd0);
        memset(&paths[c], 0, sizeof paths[c]);
    }
}

cm_status cm_spc_paths_generate(uint32_t seed, int reps, int steps, float env_size, cm_spc_paths paths[4])
{
    memset(paths, 0, CM_SPC_CONDITIONS * sizeof *paths);
    if (reps < 1 || reps > 100000 || steps < 2 || steps > 100000)
        return cm_error(CM_ERR_ARG, "spc paths: reps %d, steps %d: expected 1..100000 and 2..100000", reps, steps);
    if (!(env_size > 1.0f && isfinite(env_size)))
        return cm_error(CM_ERR_ARG, "spc paths: env_size: expected > 1, got %g", env_size);
    double env = env_size;
    double start[2] = {env * 0.5, env * 0.2}, goal_a[2] = {env * 0.2, env * 0.8}, goal_b[2] = {env * 0.8, env * 0.8};
    size_t n = (size_t)reps * steps;
    double *pos = malloc(n * 2 * sizeof(double)), *vel = malloc(n * 2 * sizeof(double)), *ang = malloc(n * sizeof(double));
    cm_status st = CM_OK;
    for (int c = 0; c < CM_SPC_CONDITIONS && !st; c++) {
        cm_spc_paths *p = &paths[c];
        p->reps = reps;
        p->steps = steps;
        p->self_pos = cm_alloc(n * 2 * sizeof(float));
        p->peer_pos = cm_alloc(n * 2 * sizeof(float));
        p->self_vel = cm_alloc(n * 3 * sizeof(float));
        p->peer_vel = cm_alloc(n * 3 * sizeof(float));
        p->self_hd0 = cm_alloc((size_t)reps * sizeof(float));
        p->peer_hd0 = cm_alloc((size_t)reps * sizeof(float));
        if (!pos || !vel || !ang || !p->self_pos || !p->peer_pos || !p->self_vel || !p->peer_vel || !p->self_hd0 ||
            !p->peer_hd0)
            st = cm_error(CM_ERR_NOMEM, "spc paths: cannot allocate %d x %d", reps, steps);
    }
    if (!st) {
        cm_mt19937 mt;
        cm_mt_seed(&mt, seed);
        static const int modes[4][2] = {{1, 0}, {0, 1}, {1, 1}, {0, 0}};
        for (int c = 0; c < CM_SPC_CONDITIONS; c++) {
            cm_spc_paths *p = &paths[c];
            for (int i = 0; i < reps; i++) {
                const double *target = i % 2 == 0 ? goal_a : goal_b;
                for (int who = 0; who < 2; who++) {
                    int moving = modes[c][who];
                    smooth_path(&mt, start, moving ? target : start, moving, steps, env, pos, vel, ang);
                    float *dp = (who ? p->peer_pos : p->self_pos) + (size_t)i * steps * 2;
                    float *dv = (who ? p->peer_vel : p->self_vel) + (size_t)i * steps * 3;
                    for (int t = 0; t < steps; t++) {
                        dp[2 * t] = (float)pos[2 * t];
                        dp[2 * t + 1] = (float)pos[2 * t + 1];
                        dv[3 * t] = (float)vel[2 * t];
                        dv[3 * t + 1] = (float)vel[2 * t + 1];
                        dv[3 * t + 2] = (float)ang[t];
                    }
                    (who ? p->peer_hd0 : p->self_hd0)[i] = (float)atan2(vel[1], vel[0]);
                }
            }
        }
    }
    free(pos);
    free(vel);
    free(ang);
    if (st)
        cm_spc_paths_free(paths);
    return st;
}

/* ----------------------------------------------------------------- probe */

void cm_spc_probe_free(cm_spc_probe *p)
{
    for (int c = 0; c < CM_SPC_CONDITIONS; c++)
        cm_free(p->act[c]);
    cm_free(p->peaks);
    memset(p, 0, sizeof *p);
}

cm_status cm_social_probe(const cm_social *m, const cm_place_cells *pc, const cm_hd_cells *hd,
                          const cm_spc_paths paths[4], cm_spc_probe *out)
{
    memset(out, 0, sizeof *out);
    const cm_social_config *c = cm_social_get_config(m);
    int R = paths[0].reps, T = paths[0].steps, U = c->bottleneck;
    if (pc->n != c->n_place || hd->n != c->n_hd)
        return cm_error(CM_ERR_ARG, "social probe: ensembles of %d place and %d HD cells, the network reads %d and %d",
                        pc->n, hd->n, c->n_place, c->n_hd);
    for (int k = 1; k < CM_SPC_CONDITIONS; k++)
        if (paths[k].reps != R || paths[k].steps != T)
            return cm_error(CM_ERR_ARG, "social probe: conditions of different sizes");
    cm_social_state *s = NULL;
    cm_status st = cm_social_state_create(m, R, T, &s);
    size_t n = (size_t)R * T;
    float *codes = st ? NULL : cm_alloc((size_t)R * 2 * (c->n_place + c->n_hd) * sizeof(float));
    float *p0 = st ? NULL : cm_alloc((size_t)R * 4 * sizeof(float));
    if (!st && (!codes || !p0))
        st = cm_error(CM_ERR_NOMEM, "social probe: cannot allocate the initial codes");
    out->reps = R;
    out->steps = T;
    out->units = U;
    out->peaks = st ? NULL : cm_alloc((size_t)U * CM_SPC_CONDITIONS * sizeof(double));
    if (!st && !out->peaks)
        st = cm_error(CM_ERR_NOMEM, "social probe: cannot allocate peaks");
    float *sp = codes, *pp = codes ? codes + (size_t)R * c->n_place : NULL;
    float *sh = codes ? pp + (size_t)R * c->n_place : NULL, *ph = sh ? sh + (size_t)R * c->n_hd : NULL;
    for (int k = 0; k < CM_SPC_CONDITIONS && !st; k++) {
        const cm_spc_paths *p = &paths[k];
        for (int i = 0; i < R; i++) {
            p0[2 * i] = p->self_pos[(size_t)i * T * 2];
            p0[2 * i + 1] = p->self_pos[(size_t)i * T * 2 + 1];
            p0[2 * R + 2 * i] = p->peer_pos[(size_t)i * T * 2];
            p0[2 * R + 2 * i + 1] = p->peer_pos[(size_t)i * T * 2 + 1];
        }
        cm_place_cells_activate(pc, p0, R, sp);
        cm_place_cells_activate(pc, p0 + 2 * R, R, pp);
        cm_hd_cells_activate(hd, p->self_hd0, R, sh);
        cm_hd_cells_activate(hd, p->peer_hd0, R, ph);
        cm_social_batch b = {.self_vel = p->self_vel, .peer_vel = p->peer_vel, .self_init_place = sp,
                             .peer_init_place = pp, .self_init_hd = sh, .peer_init_hd = ph};
        st = cm_social_forward(m, s, &b, NULL, NULL);
        if (st)
            break;
        out->act[k] = cm_alloc(n * U * sizeof(float));
        if (!out->act[k]) {
            st = cm_error(CM_ERR_NOMEM, "social probe: cannot allocate activity");
            break;
        }
        memcpy(out->act[k], cm_social_output_get(s, CM_SOCIAL_BOTTLENECK), n * U * sizeof(float));
        out->self_pos[k] = p->self_pos;
        out->peer_pos[k] = p->peer_pos;
        for (int u = 0; u < U; u++) {
            float mx = -INFINITY;
            for (size_t r = 0; r < n; r++)
                mx = out->act[k][r * U + u] > mx ? out->act[k][r * U + u] : mx;
            out->peaks[(size_t)u * CM_SPC_CONDITIONS + k] = mx;
        }
    }
    cm_free(codes);
    cm_free(p0);
    cm_social_state_free(s);
    if (st)
        cm_spc_probe_free(out);
    return st;
}
