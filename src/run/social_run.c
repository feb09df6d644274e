/* Social place-cell runs (run.h): run.json (every setting as "key=value",
 * replayed on read, stages kept) and the target ensembles. */
#include "cogmap/io.h"
#include "cogmap/socialrun.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SOCIAL_RUN_FORMAT "cogmap social run"

void cm_social_run_config_init(cm_social_run_config *c, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    cm_social_preset("ssmpc", &c->model);
    cm_agents_config_default(&c->agents);
    c->agents.steps = c->model.seq_len;
    c->eval_batches = 4;
    c->probe_reps = 100;
    c->seed = seed;
}

static cm_status parse_long(const char *key, const char *v, long lo, long hi, long *out)
{
    char *end = NULL;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || !end || *end || end == v || x < lo || x > hi)
        return cm_error(CM_ERR_ARG, "--set %s: expected an integer in %ld..%ld, got '%s'", key, lo, hi, v);
    *out = x;
    return CM_OK;
}

static cm_status parse_float(const char *key, const char *v, double lo, double hi, float *out)
{
    char *end = NULL;
    errno = 0;
    double x = strtod(v, &end);
    if (errno || !end || *end || end == v || !(x >= lo && x <= hi))
        return cm_error(CM_ERR_ARG, "--set %s: expected a number in [%g, %g], got '%s'", key, lo, hi, v);
    *out = (float)x;
    return CM_OK;
}

static cm_status parse_name(const char *key, const char *v, char *out, size_t size)
{
    if (!v[0] || strlen(v) >= size)
        return cm_error(CM_ERR_ARG, "--set %s: expected a name of 1..%zu characters, got '%s'", key, size - 1, v);
    snprintf(out, size, "%s", v);
    return CM_OK;
}

cm_status cm_social_run_config_set(cm_social_run_config *c, const char *kv)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    char key[64];
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
        return cm_error(CM_ERR_ARG, "--set %s: expected key=value", kv ? kv : "(null)");
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    const char *v = eq + 1;
    cm_agents_config *a = &c->agents;
    long x = 0;
    cm_status st;
    if (strcmp(key, "seq_len") == 0) {
        st = parse_long(key, v, 1, 100000, &x);
        if (st == CM_OK)
            c->model.seq_len = a->steps = (int)x;
        return st;
    }
    if (strcmp(key, "world") == 0) {
        if (strcmp(v, "arena") != 0 && strcmp(v, "maze") != 0)
            return cm_error(CM_ERR_ARG, "--set world: expected arena or maze, got '%s'", v);
        a->world = strcmp(v, "maze") == 0 ? CM_AGENTS_MAZE : CM_AGENTS_ARENA;
        return CM_OK;
    }
    if (strcmp(key, "arena") == 0)
        return parse_name(key, v, a->arena, sizeof a->arena);
    if (strcmp(key, "motion") == 0)
        return parse_name(key, v, a->motion, sizeof a->motion);
    if (strcmp(key, "motion_scale") == 0)
        return parse_float(key, v, 1e-6, 1e6, &a->motion_scale);
    if (strcmp(key, "maze_noise") == 0)
        return parse_float(key, v, 0, 1, &a->maze_noise);
    if (strcmp(key, "p_static") == 0)
        return parse_float(key, v, 0, 1, &a->p_static);
    struct {
        const char *key;
        int *field;
        long lo, hi;
    } ints[] = {{"substeps", &a->substeps, 1, 1000},    {"maze_size", &a->maze_size, 5, 63},
                {"mazes", &a->mazes, 1, 100000},        {"agents", &a->agents, 2, CM_AGENTS_MAX},
                {"eval_batches", &c->eval_batches, 1, 100000}, {"probe_reps", &c->probe_reps, 2, 100000}};
    for (size_t k = 0; k < sizeof ints / sizeof *ints; k++)
        if (strcmp(key, ints[k].key) == 0) {
            st = parse_long(key, v, ints[k].lo, ints[k].hi, &x);
            if (st == CM_OK)
                *ints[k].field = (int)x;
            return st;
        }
    return cm_social_config_set(&c->model, kv);
}

cm_status cm_social_run_config_check(const cm_social_run_config *c)
{
    cm_status st = cm_social_config_check(&c->model);
    if (st == CM_OK)
        st = cm_agents_config_check(&c->agents);
    if (st == CM_OK && c->agents.steps != c->model.seq_len)
        st = cm_error(CM_ERR_ARG, "social run: the paths' %d steps differ from the network's seq_len %d",
                      c->agents.steps, c->model.seq_len);
    if (st == CM_OK && c->agents.agents < 2)
        st = cm_error(CM_ERR_ARG, "social run: agents: the social network needs 2 or more, got %d", c->agents.agents);
    if (st == CM_OK && (c->model.n_place != 256 || c->model.n_hd != 12))
        st = cm_error(CM_ERR_ARG, "social run: n_place %d, n_hd %d: SSM-PC's ensembles are 256 place and 12 HD cells",
                      c->model.n_place, c->model.n_hd);
    return st;
}

/* run.json's object for c, without stages. */
static cJSON *config_json(const cm_social_run_config *c, int *ok_out)
{
    static char kv[64][96];
    char buf[128];
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", SOCIAL_RUN_FORMAT) &&
             cJSON_AddStringToObject(root, "model", "social") && cJSON_AddNumberToObject(root, "version", 1) &&
             cm_run_json_add_seed(root, c->seed);
    cJSON *sets = ok ? cJSON_AddArrayToObject(root, "sets") : NULL;
    ok = ok && sets;
    int n = cm_social_config_keys(&c->model, kv, 64);
    const cm_agents_config *a = &c->agents;
    /* every key, not only the overridden ones: the defaults may change, a run must not */
    for (int k = 0; ok && k < n + 13; k++) {
        if (k < n)
            snprintf(buf, sizeof buf, "%.95s", kv[k]);
        else
            switch (k - n) {
            case 0: snprintf(buf, sizeof buf, "world=%s", a->world == CM_AGENTS_MAZE ? "maze" : "arena"); break;
            case 1: snprintf(buf, sizeof buf, "arena=%s", a->arena); break;
            case 2: snprintf(buf, sizeof buf, "motion=%s", a->motion); break;
            case 3: snprintf(buf, sizeof buf, "motion_scale=%.9g", a->motion_scale); break;
            case 4: snprintf(buf, sizeof buf, "substeps=%d", a->substeps); break;
            case 5: snprintf(buf, sizeof buf, "maze_size=%d", a->maze_size); break;
            case 6: snprintf(buf, sizeof buf, "mazes=%d", a->mazes); break;
            case 7: snprintf(buf, sizeof buf, "maze_noise=%.9g", a->maze_noise); break;
            case 8: snprintf(buf, sizeof buf, "agents=%d", a->agents); break;
            case 9: snprintf(buf, sizeof buf, "p_static=%.9g", a->p_static); break;
            case 10: snprintf(buf, sizeof buf, "seq_len=%d", c->model.seq_len); break;
            case 11: snprintf(buf, sizeof buf, "eval_batches=%d", c->eval_batches); break;
            default: snprintf(buf, sizeof buf, "probe_reps=%d", c->probe_reps); break;
            }
        cJSON *s = cJSON_CreateString(buf);
        ok = s && cJSON_AddItemToArray(sets, s);
    }
    *ok_out = ok;
    return root;
}

cm_status cm_social_run_config_write(const cm_social_run_config *c, const char *run)
{
    int ok;
    cJSON *root = config_json(c, &ok);
    return cm_run_json_write(run, root, ok);
}

int cm_social_run_key_can_change(const char *kv)
{
    static const char *const stageable[] = {"batch",        "seq_len",     "lr",        "momentum",    "weight_decay",
                                            "clip",         "dropout",     "w_self_place", "w_self_hd", "w_peer_place",
                                            "w_peer_hd",    "w_distance",  "world",     "arena",       "motion",
                                            "motion_scale", "substeps",    "maze_size", "mazes",       "maze_noise",
                                            "p_static",     "eval_batches", "probe_reps"};
    return cm_run_set_key_in(kv, stageable, (int)(sizeof stageable / sizeof *stageable));
}

cm_status cm_social_run_config_restage(const cm_social_run_config *c, const char *run, int64_t step,
                                       const char *const *sets, int n)
{
    cm_status st = cm_social_run_config_write(c, run);
    return st == CM_OK ? cm_run_json_add_stage(run, step, sets, n) : st;
}

static cm_status set_key(void *c, const char *kv) { return cm_social_run_config_set(c, kv); }

cm_status cm_social_run_config_read(cm_social_run_config *c, const char *run)
{
    char path[4096];
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, SOCIAL_RUN_FORMAT, path, &root, &seed);
    if (st != CM_OK)
        return st;
    cm_social_run_config_init(c, seed);
    st = cm_run_json_replay_sets(root, path, 0, set_key, c);
    if (st == CM_OK && cm_social_run_config_check(c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: sets: %s", path, cm_errmsg());
    cJSON_Delete(root);
    return st;
}

int cm_social_is_run(const char *run)
{
    char model[32] = "";
    if (cm_run_model(run, model, sizeof model) != CM_OK) {
        cm_error_clear();
        return 0;
    }
    return strcmp(model, "social") == 0;
}

cm_status cm_social_cells(cm_place_cells *pc, cm_hd_cells *hd)
{
    cm_status st = cm_place_cells_preset(pc, "ssmpc");
    if (st == CM_OK && (st = cm_hd_cells_create(hd, 12, 20.0f, 42)) != CM_OK)
        cm_place_cells_free(pc);
    return st;
}
