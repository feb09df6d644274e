/* The cooperative-search task (coop.h): configuration, episode seeds, the env
 * that steps K agents in one maze, perceives and runs one message round per
 * step, and the episode loop. */
#include "cogmap/coop.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cm_coop_config_default(cm_coop_config *c)
{
    memset(c, 0, sizeof *c);
    c->maze_size = 15;
    c->n_agents = 3;
    /* T = 150 steps (37.5 s of Memory-Maze at 4 Hz): with the frontier policy
     * and true perception the team succeeds 0.68 of the time without a link,
     * 0.85 with one shared map (docs/coop.md). */
    c->max_steps = 150;
    cm_bev_config_default(&c->view);
    /* The target sphere (0.6 m) is about 6 px wide at 4 cells in a 64x64
     * frame: farther, its colour is not told reliably (docs/coop.md). */
    c->target_range = 4.0f;
    c->start = CM_COOP_START_TOGETHER;
}

cm_status cm_coop_config_check(const cm_coop_config *c)
{
    if (c->maze_size < CM_MAZE_MIN_SIZE || c->maze_size > CM_MAZE_MAX_SIZE || c->maze_size % 2 == 0)
        return cm_error(CM_ERR_ARG, "coop config: maze_size: expected an odd number in %d..%d, got %d",
                        CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE, c->maze_size);
    if (c->n_agents < 1 || c->n_agents > CM_COOP_MAX_AGENTS)
        return cm_error(CM_ERR_ARG, "coop config: n_agents: expected 1..%d, got %d", CM_COOP_MAX_AGENTS,
                        c->n_agents);
    if (c->max_steps < 1 || c->max_steps > 1000000)
        return cm_error(CM_ERR_ARG, "coop config: max_steps: expected 1..1000000, got %d", c->max_steps);
    if (!(c->view.fov_deg > 0.0f && c->view.fov_deg <= 360.0f))
        return cm_error(CM_ERR_ARG, "coop config: view_fov: expected (0, 360] degrees, got %g", (double)c->view.fov_deg);
    if (!(c->view.range > 0.0f && c->view.range <= 1000.0f) || !(c->view.step > 0.0f) || c->view.n_rays < 1)
        return cm_error(CM_ERR_ARG, "coop config: view_range: expected (0, 1000] cells, got %g", (double)c->view.range);
    if (!(c->target_range >= 0.0f && c->target_range <= 1000.0f))
        return cm_error(CM_ERR_ARG, "coop config: target_range: expected [0, 1000] cells, got %g",
                        (double)c->target_range);
    if (c->start != CM_COOP_START_TOGETHER && c->start != CM_COOP_START_APART)
        return cm_error(CM_ERR_ARG, "coop config: start: expected together (0) or apart (1), got %d", c->start);
    return CM_OK;
}

cm_status cm_coop_config_set(cm_coop_config *c, const char *key_value)
{
    const char *eq = key_value ? strchr(key_value, '=') : NULL;
    if (!eq || eq == key_value || !eq[1])
        return cm_error(CM_ERR_ARG, "coop config: expected key=value, got '%s'", key_value ? key_value : "(null)");
    size_t klen = (size_t)(eq - key_value);
    const char *v = eq + 1;
    if (klen == 5 && strncmp(key_value, "start", 5) == 0 && (strcmp(v, "together") == 0 || strcmp(v, "apart") == 0)) {
        c->start = strcmp(v, "apart") == 0 ? CM_COOP_START_APART : CM_COOP_START_TOGETHER;
        return CM_OK;
    }
    char *end;
    double x = strtod(v, &end);
    if (*end != '\0' || !isfinite(x))
        return cm_error(CM_ERR_ARG, "coop config: %.*s: expected a number, got '%s'", (int)klen, key_value, v);
    int is_int = x == floor(x) && fabs(x) < 1e9;
    if (klen == 9 && strncmp(key_value, "maze_size", klen) == 0 && is_int)
        c->maze_size = (int)x;
    else if (klen == 8 && strncmp(key_value, "n_agents", klen) == 0 && is_int)
        c->n_agents = (int)x;
    else if (klen == 9 && strncmp(key_value, "max_steps", klen) == 0 && is_int)
        c->max_steps = (int)x;
    else if (klen == 8 && strncmp(key_value, "view_fov", klen) == 0)
        c->view.fov_deg = (float)x;
    else if (klen == 10 && strncmp(key_value, "view_range", klen) == 0)
        c->view.range = (float)x;
    else if (klen == 12 && strncmp(key_value, "target_range", klen) == 0)
        c->target_range = (float)x;
    else
        return cm_error(CM_ERR_ARG,
                        "coop config: '%.*s': expected maze_size, n_agents, max_steps (integers), view_fov, "
                        "view_range, target_range (cells) or start (together, apart)",
                        (int)klen, key_value);
    return cm_coop_config_check(c);
}

static uint64_t mix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t cm_coop_episode_seed(int split, uint64_t seed, int64_t episode)
{
    uint64_t h = mix64(mix64(seed) ^ mix64((uint64_t)episode + 0x5bd1e995ull));
    return (h >> 1) | ((uint64_t)(split == CM_COOP_EVAL) << 63);
}

/* ------------------------------------------------------------------ env */

void cm_coop_env_free(cm_coop_env *env)
{
    if (!env)
        return;
    if (env->perception_state && env->perception.state_free)
        env->perception.state_free(env->perception_state);
    if (env->comm_state && env->comm.state_free)
        env->comm.state_free(env->comm_state);
    cm_maze_env_free(&env->world);
    cm_renderer_free(env->renderer);
    cm_free(env->frames);
    cm_free(env->mem);
    cm_free(env->view.cells);
    cm_free(env->view.states);
    cm_free(env);
}

cm_status cm_coop_env_create(cm_coop_env **out, const cm_coop_config *cfg, const cm_coop_perception *perception,
                             const cm_coop_comm *comm, int render)
{
    *out = NULL;
    cm_status st = cm_coop_config_check(cfg);
    if (st != CM_OK)
        return st;
    if (!perception || !perception->observe || !comm || !comm->round)
        return cm_error(CM_ERR_ARG, "coop env: expected a perception and a comm scheme with their functions");
    cm_coop_env *env = cm_calloc(1, sizeof *env);
    if (!env)
        return cm_error(CM_ERR_NOMEM, "coop env: out of memory");
    env->cfg = *cfg;
    env->perception = *perception;
    env->comm = *comm;
    env->render = render || perception->needs_frames;
    int nn = cfg->maze_size * cfg->maze_size;
    env->mem = cm_calloc((size_t)cfg->n_agents, sizeof *env->mem);
    env->view.cells = cm_alloc((size_t)nn * sizeof(uint16_t));
    env->view.states = cm_alloc((size_t)nn);
    if (env->render)
        env->frames = cm_alloc((size_t)cfg->n_agents * 64 * 64 * 3);
    if (!env->mem || !env->view.cells || !env->view.states || (env->render && !env->frames)) {
        cm_coop_env_free(env);
        return cm_error(CM_ERR_NOMEM, "coop env: out of memory");
    }
    if (perception->state_create && (st = perception->state_create(perception->model, cfg, &env->perception_state)) != CM_OK) {
        cm_coop_env_free(env);
        return st;
    }
    if (comm->state_create && (st = comm->state_create(comm->model, cfg, comm->bits, &env->comm_state)) != CM_OK) {
        cm_coop_env_free(env);
        return st;
    }
    *out = env;
    return CM_OK;
}

static void apply_view(cm_coop_memory *m, const cm_coop_view *v, float target_range)
{
    m->pose = v->pose;
    for (int i = 0; i < v->n; i++)
        cm_coop_memory_see(m, v->cells[i], v->states[i]);
    if (v->target >= 0) {
        cm_coop_memory_see_target(m, v->target);
    } else if (m->target >= 0 && m->target_origin == CM_COOP_FROM_LINK) {
        /* a received target cell in plain view, close enough, and no target there */
        int n = m->size, tc = m->target;
        float dx = (float)(tc % n) + 0.5f - v->pose.x, dy = (float)(tc / n) + 0.5f - v->pose.y;
        if (dx * dx + dy * dy <= target_range * target_range)
            for (int i = 0; i < v->n; i++)
                if (v->cells[i] == tc) {
                    cm_coop_memory_reject_target(m);
                    break;
                }
    }
}

/* Every agent's frame (when rendering), observation and memory update. */
static cm_status observe_all(cm_coop_env *env)
{
    for (int i = 0; i < env->cfg.n_agents; i++) {
        uint8_t *rgb = NULL;
        cm_status st;
        if (env->render) {
            rgb = env->frames + (size_t)i * 64 * 64 * 3;
            if ((st = cm_maze_env_render(&env->world, env->renderer, i, rgb, NULL)) != CM_OK)
                return st;
        }
        env->view.n = 0;
        env->view.target = -1;
        if ((st = env->perception.observe(env->perception_state, env, i, env->perception.needs_frames ? rgb : NULL,
                                          &env->view)) != CM_OK)
            return st;
        apply_view(&env->mem[i], &env->view, env->cfg.target_range);
        if (env->view.target >= 0 && env->first_sight < 0)
            env->first_sight = (int)env->t;
    }
    return CM_OK;
}

cm_status cm_coop_env_reset(cm_coop_env *env, int split, uint64_t seed, int64_t episode)
{
    const cm_coop_config *cfg = &env->cfg;
    int n = cfg->maze_size, k = cfg->n_agents;
    env->maze_seed = cm_coop_episode_seed(split, seed, episode);
    cm_maze_params p;
    cm_status st = cm_maze_params_default(n, &p);
    if (st != CM_OK)
        return st;
    cm_maze *maze = &env->world.maze;
    cm_renderer_free(env->renderer); /* it points into the old arena */
    env->renderer = NULL;
    cm_maze_env_free(&env->world);
    {
        cm_maze m; /* cm_maze_env_init copies it */
        if ((st = cm_maze_generate(&p, env->maze_seed, &m)) != CM_OK)
            return st;
        if ((st = cm_maze_env_init(&env->world, &m, k, env->maze_seed)) != CM_OK)
            return st;
    }
    cm_rng rng;
    cm_rng_seed(&rng, env->maze_seed, 2000);
    if (cfg->start == CM_COOP_START_TOGETHER)
        for (int i = 1; i < k; i++) {
            cm_maze_agent *a = &env->world.agents[i];
            a->pose.x = env->world.agents[0].pose.x;
            a->pose.y = env->world.agents[0].pose.y;
            a->pose.theta = (float)cm_rng_uniform(&rng, -M_PI, M_PI);
        }
    /* The requested target: an object in a room nobody starts in, so that
     * finding it takes search (with more agents than empty target rooms, any). */
    int spawn_room[CM_COOP_MAX_AGENTS];
    for (int i = 0; i < k; i++) {
        int cx = (int)floorf(env->world.agents[i].pose.x), cy = (int)floorf(env->world.agents[i].pose.y);
        spawn_room[i] = maze->room_of[cy * n + cx];
    }
    int options[CM_MAZE_MAX_TARGETS], n_opt = 0;
    for (int t = 0; t < maze->n_targets; t++) {
        int tc = (int)floorf(maze->targets[t][1]) * n + (int)floorf(maze->targets[t][0]), taken = 0;
        for (int i = 0; i < k; i++)
            taken |= spawn_room[i] >= 0 && maze->room_of[tc] == spawn_room[i];
        if (!taken)
            options[n_opt++] = t;
    }
    if (n_opt == 0)
        for (int t = 0; t < maze->n_targets; t++)
            options[n_opt++] = t;
    env->target = options[cm_rng_below(&rng, (uint64_t)n_opt)];
    env->target_cell = (int)floorf(maze->targets[env->target][1]) * n + (int)floorf(maze->targets[env->target][0]);
    for (int i = 0; i < k; i++)
        env->world.agents[i].target = env->target; /* every agent's border shows the requested colour */
    env->t = 0;
    env->done = env->success = 0;
    env->finder = env->first_sight = -1;
    env->bits_sent = 0;
    memset(&env->msg, 0, sizeof env->msg);
    for (int i = 0; i < k; i++) {
        cm_coop_memory_reset(&env->mem[i], n);
        env->msg.gate[i] = -1;
    }
    if (env->render) {
        cm_render_config rc;
        cm_render_config_maze(&rc);
        if ((st = cm_renderer_create(&env->renderer, &env->world.arena, &env->world.maze, &rc)) != CM_OK)
            return st;
    }
    if (env->perception.reset && (st = env->perception.reset(env->perception_state, env)) != CM_OK)
        return st;
    if (env->comm.reset && (st = env->comm.reset(env->comm_state, env)) != CM_OK)
        return st;
    return observe_all(env);
}

cm_status cm_coop_env_step(cm_coop_env *env, const int *actions)
{
    if (env->done)
        return cm_error(CM_ERR_ARG, "coop env: step after the episode ended (reset first)");
    int k = env->cfg.n_agents;
    float rewards[CM_COOP_MAX_AGENTS];
    cm_status st = cm_maze_env_step(&env->world, actions, rewards);
    if (st != CM_OK)
        return st;
    env->t++;
    for (int i = 0; i < k; i++) {
        if (!env->success && (env->world.agents[i].touching & (1u << env->target))) {
            env->success = 1;
            env->finder = i;
        }
        /* Memory-Maze draws a new target on a touch; here the task ends, and
         * the border keeps showing the one requested */
        env->world.agents[i].target = env->target;
    }
    env->done = env->success || env->t >= env->cfg.max_steps;
    if ((st = observe_all(env)) != CM_OK)
        return st;
    memset(env->msg.bits, 0, sizeof env->msg.bits);
    if ((st = env->comm.round(env->comm_state, env, &env->msg)) != CM_OK)
        return st;
    for (int i = 0; i < k; i++)
        env->bits_sent += env->msg.bits[i];
    return CM_OK;
}

cm_status cm_coop_run_episode(cm_coop_env *env, const cm_coop_policy *policy, void *policy_state, int split,
                              uint64_t seed, int64_t episode, cm_coop_episode *out)
{
    cm_status st = cm_coop_env_reset(env, split, seed, episode);
    if (st != CM_OK)
        return st;
    if (policy->reset && (st = policy->reset(policy_state, env)) != CM_OK)
        return st;
    int actions[CM_COOP_MAX_AGENTS];
    while (!env->done) {
        if ((st = policy->act(policy_state, env, actions)) != CM_OK)
            return st;
        if ((st = cm_coop_env_step(env, actions)) != CM_OK)
            return st;
    }
    out->success = env->success;
    out->steps = (int)env->t;
    out->first_sight = env->first_sight;
    out->bits_sent = env->bits_sent;
    return CM_OK;
}
