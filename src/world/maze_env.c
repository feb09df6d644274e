/* Discrete Memory-Maze control for several agents in one maze: the six
 * actions, kinematics fitted to the measured walker, wall collisions, targets
 * and rewards, and the scripted exploring policy (memory-maze.md §1.3-1.6). */
#include "cogmap/world.h"

#include <math.h>
#include <string.h>

void cm_maze_physics_default(cm_maze_physics *ph)
{
    /* Measured in MuJoCo (memory-maze.md §1.3): 0.22, 0.44, 0.49 m over the first
     * three forward steps, then 0.50 m (= 0.25 cells); 0.28 m coasting after
     * forward is released; 19.2 deg per turning step. */
    ph->speed = 0.25f;
    ph->accel = 0.11f;
    ph->coast = 0.56f;
    ph->turn = (float)(19.2 * M_PI / 180.0);
    ph->radius = 0.1f;        /* the 0.2 m ball */
    ph->touch_radius = 0.385f; /* sqrt(0.8^2 - 0.2^2) m / 2 m per cell */
}

static float wrap_angle(float a)
{
    while (a > (float)M_PI)
        a -= (float)(2 * M_PI);
    while (a <= -(float)M_PI)
        a += (float)(2 * M_PI);
    return a;
}

static void draw_target(cm_maze_env *env, cm_maze_agent *a)
{
    /* uniformly among the targets not being touched (never the same twice in a row) */
    int options[CM_MAZE_MAX_TARGETS], k = 0;
    for (int t = 0; t < env->maze.n_targets; t++)
        if (!(a->touching & (1u << t)) && t != a->target)
            options[k++] = t;
    if (k == 0)
        for (int t = 0; t < env->maze.n_targets; t++)
            if (t != a->target || env->maze.n_targets == 1)
                options[k++] = t;
    a->target = options[cm_rng_below(&env->rng, (uint64_t)k)];
}

void cm_maze_env_free(cm_maze_env *env)
{
    if (!env)
        return;
    cm_arena_free(&env->arena);
    cm_free(env->dist);
    cm_free(env->queue);
    env->dist = NULL;
    env->queue = NULL;
}

cm_status cm_maze_env_init(cm_maze_env *env, const cm_maze *maze, int n_agents, uint64_t seed)
{
    memset(env, 0, sizeof *env);
    if (n_agents < 1 || n_agents > CM_MAZE_MAX_AGENTS)
        return cm_error(CM_ERR_ARG, "maze env: agents: expected 1..%d, got %d", CM_MAZE_MAX_AGENTS, n_agents);
    if (maze->n_rooms < 1 || maze->n_targets < 1)
        return cm_error(CM_ERR_ARG, "maze env: maze: expected a generated maze with rooms and targets");
    env->maze = *maze;
    cm_maze_physics_default(&env->physics);
    env->n_agents = n_agents;
    int nn = maze->size * maze->size;
    cm_status st = cm_arena_from_maze(maze, &env->arena);
    if (st != CM_OK)
        return st;
    env->dist = cm_alloc((size_t)n_agents * (size_t)nn * sizeof(int16_t));
    env->queue = cm_alloc((size_t)nn * sizeof(int16_t));
    if (!env->dist || !env->queue) {
        cm_maze_env_free(env);
        return cm_error(CM_ERR_NOMEM, "maze env: out of memory");
    }
    cm_rng_seed(&env->rng, seed, 1000);
    /* spawn on random 'P' cells, distinct while there are enough rooms */
    int order[CM_MAZE_MAX_ROOMS];
    for (int r = 0; r < maze->n_rooms; r++)
        order[r] = r;
    for (int r = maze->n_rooms - 1; r > 0; r--) {
        int k = (int)cm_rng_below(&env->rng, (uint64_t)(r + 1)), t = order[r];
        order[r] = order[k];
        order[k] = t;
    }
    for (int i = 0; i < n_agents; i++) {
        cm_maze_agent *a = &env->agents[i];
        int room = order[i % maze->n_rooms];
        a->pose.x = (float)maze->spawn[room][0] + 0.5f;
        a->pose.y = (float)maze->spawn[room][1] + 0.5f;
        a->pose.theta = wrap_angle((float)cm_rng_uniform(&env->rng, -M_PI, M_PI));
        a->target = -1;
        draw_target(env, a);
        a->goal[0] = -1;
        cm_rng_seed(&a->rng, seed, 1001 + (uint64_t)i);
    }
    return CM_OK;
}

/* Moves along one axis, stopping the agent (a square of half-side r, which is
 * what keeps it off the grid's walls) at the first wall cell. */
static float move_axis(const cm_maze *m, float pos, float other, float step, float r, int axis_x)
{
    if (step == 0.0f)
        return pos;
    float np = pos + step;
    float edge = step > 0 ? np + r : np - r;
    int cell = (int)floorf(edge);
    int lo = (int)floorf(other - r + 1e-5f), hi = (int)floorf(other + r - 1e-5f);
    for (int k = lo; k <= hi; k++) {
        int blocked = axis_x ? !cm_maze_free(m, cell, k) : !cm_maze_free(m, k, cell);
        if (blocked)
            return step > 0 ? (float)cell - r - 1e-4f : (float)(cell + 1) + r + 1e-4f;
    }
    return np;
}

cm_status cm_maze_env_step(cm_maze_env *env, const int *actions, float *rewards)
{
    for (int i = 0; i < env->n_agents; i++)
        if (actions[i] < 0 || actions[i] >= CM_N_ACTIONS)
            return cm_error(CM_ERR_ARG, "maze step: action of agent %d: expected 0..%d, got %d", i,
                            CM_N_ACTIONS - 1, actions[i]);
    const cm_maze_physics *ph = &env->physics;
    const cm_maze *m = &env->maze;
    for (int i = 0; i < env->n_agents; i++) {
        cm_maze_agent *a = &env->agents[i];
        int act = actions[i];
        int fwd = act == CM_ACT_FORWARD || act == CM_ACT_FORWARD_LEFT || act == CM_ACT_FORWARD_RIGHT;
        int turn = (act == CM_ACT_LEFT || act == CM_ACT_FORWARD_LEFT) - (act == CM_ACT_RIGHT || act == CM_ACT_FORWARD_RIGHT);
        float theta0 = a->pose.theta;
        a->pose.theta = wrap_angle(a->pose.theta + (float)turn * ph->turn);
        if (fwd)
            a->speed = fminf(ph->speed, a->speed + ph->accel);
        else
            a->speed = a->speed * ph->coast < 1e-4f ? 0.0f : a->speed * ph->coast;
        float x0 = a->pose.x, y0 = a->pose.y;
        float sx = a->speed * cosf(a->pose.theta), sy = a->speed * sinf(a->pose.theta);
        a->pose.x = move_axis(m, a->pose.x, a->pose.y, sx, ph->radius, 1);
        a->pose.y = move_axis(m, a->pose.y, a->pose.x, sy, ph->radius, 0);
        /* bumping into a wall costs the speed along it, as the ball loses it on contact */
        float moved = hypotf(a->pose.x - x0, a->pose.y - y0);
        if (moved < a->speed)
            a->speed = moved;
        a->vel[0] = a->pose.x - x0;
        a->vel[1] = a->pose.y - y0;
        a->omega = wrap_angle(a->pose.theta - theta0);
        /* targets */
        uint32_t touching = 0;
        for (int t = 0; t < m->n_targets; t++) {
            float d = hypotf(a->pose.x - m->targets[t][0], a->pose.y - m->targets[t][1]);
            if (d < ph->touch_radius)
                touching |= 1u << t;
        }
        a->touching = touching;
        float rew = 0.0f;
        if (touching & (1u << a->target)) {
            rew = 1.0f;
            a->score++;
            draw_target(env, a);
        }
        if (rewards)
            rewards[i] = rew;
    }
    env->steps++;
    return CM_OK;
}

/* BFS distances (in cells) from the agent's goal over the free cells. */
static void goal_distances(cm_maze_env *env, int agent)
{
    const cm_maze *m = &env->maze;
    int n = m->size;
    int16_t *dist = env->dist + (size_t)agent * n * n;
    for (int i = 0; i < n * n; i++)
        dist[i] = -1;
    int g = env->agents[agent].goal[1] * n + env->agents[agent].goal[0];
    int head = 0, tail = 0;
    dist[g] = 0;
    env->queue[tail++] = (int16_t)g;
    while (head < tail) {
        int c = env->queue[head++], cx = c % n, cy = c / n;
        const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int d = 0; d < 4; d++) {
            int nx = cx + dx[d], ny = cy + dy[d];
            if (cm_maze_free(m, nx, ny) && dist[ny * n + nx] < 0) {
                dist[ny * n + nx] = (int16_t)(dist[c] + 1);
                env->queue[tail++] = (int16_t)(ny * n + nx);
            }
        }
    }
}

int cm_maze_policy(cm_maze_env *env, int agent, float noise)
{
    cm_maze_agent *a = &env->agents[agent];
    const cm_maze *m = &env->maze;
    int n = m->size;
    int cx = (int)floorf(a->pose.x), cy = (int)floorf(a->pose.y);
    cx = cx < 0 ? 0 : cx >= n ? n - 1 : cx;
    cy = cy < 0 ? 0 : cy >= n ? n - 1 : cy;
    int at_goal = a->goal[0] == cx && a->goal[1] == cy &&
                  hypotf(a->pose.x - (cx + 0.5f), a->pose.y - (cy + 0.5f)) < 0.3f;
    /* a new random free goal on arrival, at the start, or when this one takes too long */
    if (a->goal[0] < 0 || at_goal || a->goal_steps > 6 * n * n / 4) {
        int gx, gy;
        do {
            gx = (int)cm_rng_below(&a->rng, (uint64_t)n);
            gy = (int)cm_rng_below(&a->rng, (uint64_t)n);
        } while (!cm_maze_free(m, gx, gy) || (gx == cx && gy == cy));
        a->goal[0] = gx;
        a->goal[1] = gy;
        a->goal_steps = 0;
        goal_distances(env, agent);
    }
    a->goal_steps++;
    if (noise > 0.0f && cm_rng_float(&a->rng) < noise)
        return (int)cm_rng_below(&a->rng, CM_N_ACTIONS);
    const int16_t *dist = env->dist + (size_t)agent * n * n;
    float wx = a->goal[0] + 0.5f, wy = a->goal[1] + 0.5f;
    int here = dist[cy * n + cx];
    if (here > 0) {
        /* head for the centre of the neighbour one step closer */
        const int dx[4] = {1, -1, 0, 0}, dy[4] = {0, 0, 1, -1};
        for (int d = 0; d < 4; d++) {
            int nx = cx + dx[d], ny = cy + dy[d];
            if (cm_maze_free(m, nx, ny) && dist[ny * n + nx] == here - 1) {
                wx = nx + 0.5f;
                wy = ny + 0.5f;
                break;
            }
        }
        /* off the cell's centre line, first get back to it to not scrape corners */
        float off = (wx - (cx + 0.5f)) != 0.0f ? fabsf(a->pose.y - (cy + 0.5f)) : fabsf(a->pose.x - (cx + 0.5f));
        if (off > 0.3f) {
            wx = cx + 0.5f + 0.5f * (wx - (cx + 0.5f));
            wy = cy + 0.5f + 0.5f * (wy - (cy + 0.5f));
        }
    }
    float want = atan2f(wy - a->pose.y, wx - a->pose.x);
    float diff = wrap_angle(want - a->pose.theta);
    const float big = (float)(45.0 * M_PI / 180.0), small = (float)(10.0 * M_PI / 180.0);
    if (diff > big)
        return CM_ACT_LEFT;
    if (diff < -big)
        return CM_ACT_RIGHT;
    if (diff > small)
        return CM_ACT_FORWARD_LEFT;
    if (diff < -small)
        return CM_ACT_FORWARD_RIGHT;
    return CM_ACT_FORWARD;
}

cm_status cm_maze_env_render(const cm_maze_env *env, cm_renderer *r, int agent, uint8_t *rgb, float *depth)
{
    if (agent < 0 || agent >= env->n_agents)
        return cm_error(CM_ERR_ARG, "maze render: agent: expected 0..%d, got %d", env->n_agents - 1, agent);
    static const uint8_t agent_rgb[3] = {235, 235, 235};
    cm_sprite sprites[CM_MAZE_MAX_TARGETS + CM_MAZE_MAX_AGENTS];
    int ns = 0;
    const cm_maze *m = &env->maze;
    for (int t = 0; t < m->n_targets; t++) {
        /* TargetSphere: radius 0.6 m centred on the floor */
        sprites[ns] = (cm_sprite){m->targets[t][0], m->targets[t][1], 0.0f, 0.3f, {0, 0, 0}};
        memcpy(sprites[ns].rgb, m->target_rgb[t], 3);
        ns++;
    }
    for (int i = 0; i < env->n_agents; i++) {
        if (i == agent)
            continue;
        const cm_maze_agent *o = &env->agents[i];
        sprites[ns] = (cm_sprite){o->pose.x, o->pose.y, env->physics.radius, env->physics.radius, {0, 0, 0}};
        memcpy(sprites[ns].rgb, agent_rgb, 3);
        ns++;
    }
    const cm_maze_agent *a = &env->agents[agent];
    cm_status st = cm_render(r, a->pose, sprites, ns, rgb, depth);
    if (st != CM_OK)
        return st;
    int w, h;
    cm_renderer_size(r, &w, &h);
    cm_render_border(rgb, w, h, m->target_rgb[a->target]);
    return CM_OK;
}
