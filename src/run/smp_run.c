/* SMP runs (run.h): run.json (every setting as "key=value", replayed on
 * read, stages kept) and the session (model + arena + motion). */
#include "cogmap/run.h"
#include "cogmap/io.h"
#include "cogmap/smp.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define SMP_RUN_FORMAT "cogmap smp run"

void cm_smp_run_config_init(cm_smp_run_config *c, uint64_t seed)
{
    memset(c, 0, sizeof *c);
    cm_smp_config_default(&c->model);
    snprintf(c->motion, sizeof c->motion, "sorscher");
    c->eval_batches = 2;
    c->seed = seed;
}

typedef struct key_desc {
    const char *key;
    char kind; /* 'i' int, 'd' double */
    size_t offset;
} key_desc;

#define KI(name, field) {name, 'i', offsetof(cm_smp_config, field)}
#define KD(name, field) {name, 'd', offsetof(cm_smp_config, field)}
static const key_desc keys[] = {
    KI("slots", slots),           KI("embed", embed),
    KI("hidden1", hidden[0]),     KI("hidden2", hidden[1]),
    KI("hidden3", hidden[2]),     KI("enc_channels1", enc_channels[0]),
    KI("enc_channels2", enc_channels[1]), KI("enc_channels3", enc_channels[2]),
    KI("enc_channels4", enc_channels[3]), KI("image", image),
    KI("batch", batch),           KI("seq_len", seq_len),
    KI("ae_steps", ae_steps),     KD("ae_lr", ae_lr),
    KD("lr", lr),                 KD("clip", clip),
    KD("p_correct", p_correct),   KD("p_write", p_write),
    KD("entropy_target", entropy_target), KD("beta_rate", beta_rate),
    KD("init_beta", init_beta),   KD("init_gamma", init_gamma),
    KD("init_pi", init_pi),       KD("dropout", dropout),
};
#undef KI
#undef KD

cm_status cm_smp_run_config_set(cm_smp_run_config *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cm_error(CM_ERR_ARG, "--set %s: expected key=value", kv);
    char key[64];
    const size_t kl = (size_t)(eq - kv);
    if (kl >= sizeof key)
        return cm_error(CM_ERR_ARG, "--set %s: key too long", kv);
    memcpy(key, kv, kl);
    key[kl] = 0;
    const char *v = eq + 1;
    char *end = NULL;
    errno = 0;
    if (strcmp(key, "motion") == 0) {
        cm_motion probe;
        if (cm_motion_preset(&probe, v) != CM_OK)
            return cm_error_context(CM_ERR_ARG, "--set motion: ");
        snprintf(c->motion, sizeof c->motion, "%s", v);
        return CM_OK;
    }
    if (strcmp(key, "eval_batches") == 0) {
        long x = strtol(v, &end, 10);
        if (errno || !end || *end || !*v || x < 1 || x > 100000)
            return cm_error(CM_ERR_ARG, "--set eval_batches: expected an integer in 1..100000, got '%s'", v);
        c->eval_batches = (int)x;
        return CM_OK;
    }
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        if (strcmp(key, keys[k].key) != 0)
            continue;
        char *field = (char *)&c->model + keys[k].offset;
        if (keys[k].kind == 'i') {
            long x = strtol(v, &end, 10);
            if (errno || !end || *end || !*v || x < -1000000000L || x > 1000000000L)
                return cm_error(CM_ERR_ARG, "--set %s: expected an integer, got '%s'", key, v);
            *(int *)field = (int)x;
        } else {
            double x = strtod(v, &end);
            if (errno || !end || *end || !*v || !isfinite(x))
                return cm_error(CM_ERR_ARG, "--set %s: expected a finite number, got '%s'", key, v);
            *(double *)field = x;
        }
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "--set %s: unknown key '%s' (docs/cli.md lists them)", kv, key);
}

/* run.json's object for c, without stages; *ok is 0 if a cJSON call failed. */
static cJSON *config_json(const cm_smp_run_config *c, int *ok_out)
{
    char buf[128];
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "format", SMP_RUN_FORMAT) &&
             cJSON_AddStringToObject(root, "model", "smp") && cJSON_AddNumberToObject(root, "version", 1) &&
             cm_run_json_add_seed(root, c->seed);
    cJSON *sets = ok ? cJSON_AddArrayToObject(root, "sets") : NULL;
    ok = ok && sets;
    /* Every key, not only the overridden ones: the defaults may change, a run must not. */
    for (size_t k = 0; ok && k < sizeof keys / sizeof *keys; k++) {
        const char *field = (const char *)&c->model + keys[k].offset;
        if (keys[k].kind == 'i')
            snprintf(buf, sizeof buf, "%s=%d", keys[k].key, *(const int *)field);
        else
            snprintf(buf, sizeof buf, "%s=%.17g", keys[k].key, *(const double *)field);
        cJSON *s = cJSON_CreateString(buf);
        ok = s && cJSON_AddItemToArray(sets, s);
    }
    snprintf(buf, sizeof buf, "motion=%s", c->motion);
    cJSON *s1 = ok ? cJSON_CreateString(buf) : NULL;
    ok = ok && s1 && cJSON_AddItemToArray(sets, s1);
    snprintf(buf, sizeof buf, "eval_batches=%d", c->eval_batches);
    cJSON *s2 = ok ? cJSON_CreateString(buf) : NULL;
    ok = ok && s2 && cJSON_AddItemToArray(sets, s2);
    *ok_out = ok;
    return root;
}

cm_status cm_smp_run_config_write(const cm_smp_run_config *c, const char *run)
{
    int ok;
    cJSON *root = config_json(c, &ok);
    return cm_run_json_write(run, root, ok);
}

/* The settings a run may change between stages: how it trains, not what it
 * is. Tensor shapes (slots, embed, hidden*, enc_channels*, image), the
 * initial values (init_*) and the autoencoder phase (ae_*) are fixed at
 * creation: changing them would not continue the same model. */
int cm_smp_run_key_can_change(const char *key_value)
{
    static const char *const stageable[] = {"batch",          "seq_len",    "lr",      "clip",
                                            "p_correct",      "p_write",    "dropout", "entropy_target",
                                            "beta_rate",      "motion",     "eval_batches"};
    const char *eq = strchr(key_value, '=');
    const size_t kl = eq ? (size_t)(eq - key_value) : strlen(key_value);
    for (size_t k = 0; k < sizeof stageable / sizeof *stageable; k++)
        if (strlen(stageable[k]) == kl && strncmp(key_value, stageable[k], kl) == 0)
            return 1;
    return 0;
}

cm_status cm_smp_run_config_restage(const cm_smp_run_config *c, const char *run, int64_t step,
                                    const char *const *sets, int n)
{
    /* The settings as they now are (the history kept), then this stage. */
    cm_status st = cm_smp_run_config_write(c, run);
    return st == CM_OK ? cm_run_json_add_stage(run, step, sets, n) : st;
}

static cm_status set_key(void *c, const char *kv) { return cm_smp_run_config_set(c, kv); }

cm_status cm_smp_run_config_read(cm_smp_run_config *c, const char *run)
{
    char path[4096];
    cJSON *root;
    uint64_t seed;
    cm_status st = cm_run_json_read(run, SMP_RUN_FORMAT, path, &root, &seed);
    if (st != CM_OK)
        return st;
    cm_smp_run_config_init(c, seed);
    st = cm_run_json_replay_sets(root, path, 0, set_key, c);
    /* A setting valid alone but not with the others is the file's fault: name it. */
    if (st == CM_OK && (st = cm_smp_config_check(&c->model)) != CM_OK)
        st = cm_error_context(st, "%s: ", path);
    cJSON_Delete(root);
    return st;
}

int cm_smp_is_run(const char *run)
{
    char path[4096], model[32] = "";
    if (cm_path_join(path, sizeof path, run, "run.json") != CM_OK)
        return 0;
    cJSON *root = NULL;
    if (cm_json_read(path, &root) != CM_OK) {
        cm_error_clear();
        return 0;
    }
    cm_status st = cm_json_get_string(root, path, "model", 0, model, sizeof model);
    if (st != CM_OK)
        cm_error_clear();
    cJSON_Delete(root);
    return st == CM_OK && strcmp(model, "smp") == 0;
}

/* ------------------------------------------------------------ session */

void cm_smp_session_path(void *ctx, cm_rng *rng, int steps, float *pos, float *theta)
{
    const cm_smp_session *s = ctx;
    cm_agent agent;
    memset(&agent, 0, sizeof agent);
    if (cm_agent_reset(&agent, &s->motion, &s->arena, rng) != CM_OK) {
        cm_error_clear();
        agent.pose.x = agent.pose.y = 0; /* the box's centre; a closed box always has room */
    }
    pos[0] = agent.pose.x, pos[1] = agent.pose.y, theta[0] = agent.pose.theta;
    for (int t = 1; t <= steps; t++) {
        cm_agent_step(&agent, &s->motion, &s->arena, rng);
        pos[2 * t] = agent.pose.x, pos[2 * t + 1] = agent.pose.y, theta[t] = agent.pose.theta;
    }
}

cm_status cm_smp_session_open(cm_smp_session *s, const cm_smp_run_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->cfg = *cfg;
    cm_status st = cm_arena_preset(&s->arena, "box");
    if (st == CM_OK)
        st = cm_motion_preset(&s->motion, cfg->motion);
    if (st == CM_OK)
        st = cm_smp_create(&cfg->model, cfg->seed, &s->m);
    if (st == CM_OK)
        st = cm_smp_state_create(s->m, cfg->model.batch, cfg->model.seq_len, &s->state);
    s->cap_b = cfg->model.batch, s->cap_t = cfg->model.seq_len;
    if (st == CM_OK) {
        s->pos = cm_alloc((size_t)s->cap_b * (s->cap_t + 1) * 2 * sizeof(float));
        s->theta = cm_alloc((size_t)s->cap_b * (s->cap_t + 1) * sizeof(float));
        if (!s->pos || !s->theta)
            st = cm_error(CM_ERR_NOMEM, "smp session: out of memory");
    }
    if (st != CM_OK)
        cm_smp_session_close(s);
    return st;
}

void cm_smp_session_close(cm_smp_session *s)
{
    cm_smp_state_free(s->state);
    cm_smp_free(s->m);
    cm_arena_free(&s->arena);
    cm_free(s->pos);
    cm_free(s->theta);
    memset(s, 0, sizeof *s);
}
