/* Link runs (run.h): run.json (every setting as "key=value", replayed on
 * read, stages kept). */
#include "cogmap/io.h"
#include "cogmap/socialrun.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#define LINK_RUN_FORMAT "cogmap link run"

static const char *const scheme_names[] = {"learned", "broadcast", "none", "broadcast_estimate"};

const char *cm_link_scheme_name(cm_link_scheme s)
{
    return (unsigned)s <= CM_LINK_BROADCAST_ESTIMATE ? scheme_names[s] : "unknown";
}

void cm_link_run_config_init(cm_link_run_config *c, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    cm_social_preset("ssmpc", &c->net);
    cm_link_preset("ssmpc", &c->link);
    cm_agents_config_default(&c->agents);
    c->agents.steps = c->net.seq_len;
    c->scheme = CM_LINK_LEARNED;
    c->send_motion = 1;
    c->eval_batches = 4;
    c->seed = seed;
}

/* Keys the run, the world and the optimiser own; everything else goes to
 * the link, then to the network. */
static int is_optim_key(const char *key)
{
    static const char *const k[] = {"optim", "lr", "momentum", "alpha", "beta1", "beta2", "eps", "weight_decay", "clip"};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        if (strcmp(key, k[i]) == 0)
            return 1;
    return 0;
}

static int is_world_key(const char *key)
{
    static const char *const k[] = {"world",     "arena", "motion",     "motion_scale", "substeps",
                                    "maze_size", "mazes", "maze_noise", "agents",       "p_static"};
    for (size_t i = 0; i < sizeof k / sizeof *k; i++)
        if (strcmp(key, k[i]) == 0)
            return 1;
    return 0;
}

cm_status cm_link_run_config_set(cm_link_run_config *c, const char *kv)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    char key[64];
    if (!eq || eq == kv || (size_t)(eq - kv) >= sizeof key)
        return cm_error(CM_ERR_ARG, "--set %s: expected key=value", kv ? kv : "(null)");
    memcpy(key, kv, (size_t)(eq - kv));
    key[eq - kv] = '\0';
    const char *v = eq + 1;
    if (strcmp(key, "scheme") == 0) {
        for (int s = 0; s <= CM_LINK_BROADCAST_ESTIMATE; s++)
            if (strcmp(v, scheme_names[s]) == 0) {
                c->scheme = (cm_link_scheme)s;
                return CM_OK;
            }
        return cm_error(CM_ERR_ARG, "--set scheme: expected learned, broadcast, none or broadcast_estimate, got '%s'", v);
    }
    if (strcmp(key, "send_motion") == 0) {
        if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0)
            return cm_error(CM_ERR_ARG, "--set send_motion: expected 0 or 1, got '%s'", v);
        c->send_motion = v[0] == '1';
        return CM_OK;
    }
    if (strcmp(key, "init_from") == 0) {
        if (strlen(v) >= sizeof c->init_from)
            return cm_error(CM_ERR_ARG, "--set init_from: path too long");
        snprintf(c->init_from, sizeof c->init_from, "%s", v);
        return CM_OK;
    }
    if (is_world_key(key) || strcmp(key, "seq_len") == 0 || strcmp(key, "eval_batches") == 0) {
        /* the social run's parser knows these */
        cm_social_run_config s;
        cm_social_run_config_init(&s, 0);
        s.model = c->net;
        s.agents = c->agents;
        s.eval_batches = c->eval_batches;
        cm_status st = cm_social_run_config_set(&s, kv);
        if (st == CM_OK) {
            c->net = s.model;
            c->agents = s.agents;
            c->eval_batches = s.eval_batches;
        }
        return st;
    }
    if (is_optim_key(key))
        return cm_link_config_set(&c->link, kv);
    cm_status st = cm_link_config_set(&c->link, kv);
    if (st == CM_OK)
        return st;
    if (!strstr(cm_errmsg(), "unknown key"))
        return st;
    cm_error_clear();
    st = cm_social_config_set(&c->net, kv);
    if (st != CM_OK && strstr(cm_errmsg(), "unknown key"))
        return cm_error(CM_ERR_ARG, "--set %s: unknown key '%s' (docs/cli.md lists them)", kv, key);
    return st;
}

cm_status cm_link_run_config_check(cm_link_run_config *c)
{
    /* The link's sizes follow the network and the agents. */
    c->link.state_dim = c->net.hidden + (c->send_motion ? c->net.input_size : 0);
    c->link.ctx_dim = c->net.hidden;
    /* the receiver reads messages through a copy of the agents' own path
     * integrator (its LSTM, initial-state layers, bottleneck and peer
     * read-out): the same sizes */
    c->link.message_dim = c->net.input_size + c->net.ego_size;
    c->link.memory = c->net.hidden;
    c->link.decoder_hidden = c->net.bottleneck;
    c->link.senders = c->agents.agents - 1;
    c->link.init_dim = c->net.n_place + c->net.n_hd;
    c->link.out_dim = c->net.n_place;
    c->link.target = CM_LINK_SOFTMAX;
    c->link.who = c->agents.agents > 2;
    if (c->scheme != CM_LINK_LEARNED)
        c->link.gate = 0; /* baselines send every step (broadcast) or never (none) */
    c->agents.steps = c->net.seq_len;
    cm_status st = cm_social_config_check(&c->net);
    if (st == CM_OK)
        st = cm_link_config_check(&c->link);
    if (st == CM_OK)
        st = cm_agents_config_check(&c->agents);
    if (st == CM_OK && (c->agents.agents < 2 || c->agents.agents - 1 > CM_LINK_MAX_SENDERS))
        st = cm_error(CM_ERR_ARG, "link run: agents: expected 2..%d, got %d", CM_LINK_MAX_SENDERS + 1,
                      c->agents.agents);
    if (st == CM_OK && (c->net.n_place != 256 || c->net.n_hd != 12))
        st = cm_error(CM_ERR_ARG, "link run: n_place %d, n_hd %d: SSM-PC's ensembles are 256 place and 12 HD cells",
                      c->net.n_place, c->net.n_hd);
    return st;
}

static cJSON *config_json(const cm_link_run_config *c, int *ok_out)
{
    static char kv[64][96];
    char buf[1100];
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", LINK_RUN_FORMAT) &&
             cJSON_AddStringToObject(root, "model", "link") && cJSON_AddNumberToObject(root, "version", 1) &&
             cm_run_json_add_seed(root, c->seed);
    cJSON *sets = ok ? cJSON_AddArrayToObject(root, "sets") : NULL;
    ok = ok && sets;
#define ADD(...)                                                                                                       \
    do {                                                                                                               \
        snprintf(buf, sizeof buf, __VA_ARGS__);                                                                        \
        cJSON *s_ = ok ? cJSON_CreateString(buf) : NULL;                                                               \
        ok = ok && s_ && cJSON_AddItemToArray(sets, s_);                                                               \
    } while (0)
    /* the network's own keys (its optimiser's are unused), then the link's
     * (its optimiser trains everything), the world's and the run's */
    int n = cm_social_config_keys(&c->net, kv, 64);
    for (int k = 0; k < n; k++) {
        char key[96];
        snprintf(key, sizeof key, "%.95s", kv[k]);
        *strchr(key, '=') = '\0';
        if (!is_optim_key(key) && strcmp(key, "seq_len") != 0)
            ADD("%.95s", kv[k]);
    }
    n = cm_link_config_keys(&c->link, kv, 64);
    for (int k = 0; k < n; k++)
        ADD("%.95s", kv[k]);
    const cm_agents_config *a = &c->agents;
    ADD("world=%s", a->world == CM_AGENTS_MAZE ? "maze" : "arena");
    ADD("arena=%s", a->arena);
    ADD("motion=%s", a->motion);
    ADD("motion_scale=%.9g", a->motion_scale);
    ADD("substeps=%d", a->substeps);
    ADD("maze_size=%d", a->maze_size);
    ADD("mazes=%d", a->mazes);
    ADD("maze_noise=%.9g", a->maze_noise);
    ADD("agents=%d", a->agents);
    ADD("p_static=%.9g", a->p_static);
    ADD("seq_len=%d", c->net.seq_len);
    ADD("scheme=%s", scheme_names[c->scheme]);
    ADD("init_from=%s", c->init_from);
    ADD("send_motion=%d", c->send_motion);
    ADD("eval_batches=%d", c->eval_batches);
#undef ADD
    *ok_out = ok;
    return root;
}

cm_status cm_link_run_config_write(const cm_link_run_config *c, const char *run)
{
    int ok;
    cJSON *root = config_json(c, &ok);
    return cm_run_json_write(run, root, ok);
}

int cm_link_run_key_can_change(const char *kv)
{
    static const char *const stageable[] = {"lr",       "momentum",     "weight_decay", "clip",       "dropout",
                                            "beta",     "lambda",       "w_pool",       "w_self_place", "w_self_hd",
                                            "world",    "arena",        "motion",       "motion_scale", "substeps",
                                            "maze_size", "mazes",       "maze_noise",   "p_static",   "eval_batches",
                                            "seq_len",  "batch"};
    return cm_run_set_key_in(kv, stageable, (int)(sizeof stageable / sizeof *stageable));
}

cm_status cm_link_run_config_restage(const cm_link_run_config *c, const char *run, int64_t step,
                                     const char *const *sets, int n)
{
    cm_status st = cm_link_run_config_write(c, run);
    return st == CM_OK ? cm_run_json_add_stage(run, step, sets, n) : st;
}

static cm_status set_key(void *c, const char *kv) { return cm_link_run_config_set(c, kv); }

cm_status cm_link_run_config_read(cm_link_run_config *c, const char *run)
{
    char path[4096];
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, LINK_RUN_FORMAT, path, &root, &seed);
    if (st != CM_OK)
        return st;
    cm_link_run_config_init(c, seed);
    st = cm_run_json_replay_sets(root, path, 0, set_key, c);
    if (st == CM_OK && cm_link_run_config_check(c) != CM_OK)
        st = cm_error(CM_ERR_FORMAT, "%s: sets: %s", path, cm_errmsg());
    cJSON_Delete(root);
    return st;
}

int cm_link_is_run(const char *run)
{
    char model[32] = "";
    if (cm_run_model(run, model, sizeof model) != CM_OK) {
        cm_error_clear();
        return 0;
    }
    return strcmp(model, "link") == 0;
}
