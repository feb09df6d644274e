/* The BEV predictor's configuration: presets, checks, "key=value"
 * overrides and JSON, all driven by one table of fields so that --set,
 * config.json and run.json always name the same keys. */
#include "models/bevnet_internal.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef enum { F_INT, F_FLOAT, F_DOUBLE, F_INTS } field_kind;

typedef struct field {
    const char *key;
    field_kind kind;
    size_t offset;
    int len; /* F_INTS: array length */
} field;

#define FI(k) {#k, F_INT, offsetof(cm_bevnet_config, k), 1}
#define FF(k) {#k, F_FLOAT, offsetof(cm_bevnet_config, k), 1}
#define FD(k) {#k, F_DOUBLE, offsetof(cm_bevnet_config, k), 1}
#define FA(k, n) {#k, F_INTS, offsetof(cm_bevnet_config, k), n}

static const field fields[] = {
    FI(image),      FA(enc_channels, CM_BEVNET_ENC_BLOCKS), FI(heads), FI(ff), FI(enc_layers), FI(dec_layers),
    FF(dropout),    FI(grid), FI(n_up), FA(up_channels, CM_BEVNET_MAX_UP), FI(out), FI(window), FI(anchor_pose),
    FF(bn_momentum), FF(bn_eps), FF(alpha_w), FF(rgb_w), FF(smooth_w), FI(batch), FD(lr), FD(plateau_factor),
    FI(plateau_patience), FD(clip), FI(maze_size), FI(train_mazes), FI(maze_steps), FF(fov), FF(policy_noise),
    FI(eval_frames),
};
#define N_FIELDS ((int)(sizeof fields / sizeof *fields))

static void common_defaults(cm_bevnet_config *c)
{
    c->image = 64;
    c->dropout = 0.1f;
    c->grid = 8;
    c->bn_momentum = 0.1f;
    c->bn_eps = 1e-5f;
    c->alpha_w = 1.0f;
    c->rgb_w = 0.5f;
    c->smooth_w = 0.1f;
    c->batch = 32;
    c->lr = 3e-4;
    c->plateau_factor = 0.5;
    c->plateau_patience = 3;
    c->clip = 0.0;
    c->maze_size = 15;
    c->train_mazes = 1000;
    c->maze_steps = 500;
    c->fov = 75.0f;
    c->policy_noise = 0.1f;
    c->eval_frames = 256;
}

const char *cm_bevnet_preset_names(void)
{
    return "bev, bev-small";
}

cm_status cm_bevnet_preset(const char *name, cm_bevnet_config *c)
{
    memset(c, 0, sizeof *c);
    common_defaults(c);
    if (name && strcmp(name, "bev") == 0) {
        /* SSM-PC's BEVPredictor (ssm-pc.md §6.2). */
        const int enc[4] = {32, 64, 128, 256}, up[5] = {128, 64, 32, 16, 8};
        memcpy(c->enc_channels, enc, sizeof enc);
        c->heads = 8;
        c->ff = 2048;
        c->enc_layers = c->dec_layers = 3;
        c->n_up = 5;
        memcpy(c->up_channels, up, sizeof up);
        c->out = 250;
        c->window = 250;
    } else if (name && strcmp(name, "bev-small") == 0) {
        /* Same blocks, narrower; the upsampler stops at 64x64, which covers
         * the central 192 x 192 BEV pixels (12 x 12 cells, 3 px per output
         * pixel): SSM-PC's view cone ahead of the agent, 6 cells deep. */
        const int enc[4] = {16, 32, 64, 64}, up[3] = {32, 16, 8};
        memcpy(c->enc_channels, enc, sizeof enc);
        c->heads = 4;
        c->ff = 256;
        c->enc_layers = c->dec_layers = 2;
        c->n_up = 3;
        memcpy(c->up_channels, up, sizeof up);
        c->out = 64;
        c->window = 192;
        /* targets centred on the agent, not its cell: on 2 cores the
         * difference between a plateau near 0.44 held-out IoU and 0.82 in
         * 30 minutes (docs/mapping.md); Adam at 1e-3 leaves the mean-map
         * phase sooner than SSM-PC's 3e-4 */
        c->anchor_pose = 1;
        c->lr = 1e-3;
    } else {
        return cm_error(CM_ERR_ARG, "bev preset: expected one of %s, got '%s'", cm_bevnet_preset_names(),
                        name ? name : "(null)");
    }
    snprintf(c->preset, sizeof c->preset, "%s", name);
    return CM_OK;
}

#define BAD(...) return cm_error(CM_ERR_ARG, __VA_ARGS__)

cm_status cm_bevnet_config_check(const cm_bevnet_config *c)
{
    if (c->image < 16 || c->image > 1024 || c->image % 16)
        BAD("bev config: image: expected a multiple of 16 in 16..1024, got %d", c->image);
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++)
        if (c->enc_channels[i] < 1 || c->enc_channels[i] > 4096)
            BAD("bev config: enc_channels[%d]: expected 1..4096, got %d", i, c->enc_channels[i]);
    const int d = c->enc_channels[CM_BEVNET_ENC_BLOCKS - 1];
    if (c->heads < 1 || d % c->heads)
        BAD("bev config: heads: expected a divisor of the width %d, got %d", d, c->heads);
    if (c->ff < 1 || c->ff > 65536)
        BAD("bev config: ff: expected 1..65536, got %d", c->ff);
    if (c->enc_layers < 1 || c->enc_layers > BEV_MAX_LAYERS)
        BAD("bev config: enc_layers: expected 1..%d, got %d", BEV_MAX_LAYERS, c->enc_layers);
    if (c->dec_layers < 1 || c->dec_layers > BEV_MAX_LAYERS)
        BAD("bev config: dec_layers: expected 1..%d, got %d", BEV_MAX_LAYERS, c->dec_layers);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        BAD("bev config: dropout: expected in [0, 1), got %g", (double)c->dropout);
    if (c->grid < 1 || c->grid > 64)
        BAD("bev config: grid: expected 1..64, got %d", c->grid);
    if (c->n_up < 1 || c->n_up > CM_BEVNET_MAX_UP)
        BAD("bev config: n_up: expected 1..%d, got %d", CM_BEVNET_MAX_UP, c->n_up);
    if ((c->grid << c->n_up) > 2048)
        BAD("bev config: grid * 2^n_up: expected <= 2048, got %d", c->grid << c->n_up);
    for (int i = 0; i < c->n_up; i++)
        if (c->up_channels[i] < 1 || c->up_channels[i] > 4096)
            BAD("bev config: up_channels[%d]: expected 1..4096, got %d", i, c->up_channels[i]);
    if (c->out < 1 || c->out > 2048)
        BAD("bev config: out: expected 1..2048, got %d", c->out);
    if (c->anchor_pose != 0 && c->anchor_pose != 1)
        BAD("bev config: anchor_pose: expected 0 (the agent cell's corner, SSM-PC's) or 1 (the agent's position), "
            "got %d", c->anchor_pose);
    if (c->window < 1 || c->window > BEV_BEV_SIDE || c->window % 2)
        BAD("bev config: window: expected an even number of BEV pixels in 2..%d, got %d", BEV_BEV_SIDE, c->window);
    if (!(c->bn_momentum >= 0.0f && c->bn_momentum <= 1.0f))
        BAD("bev config: bn_momentum: expected in [0, 1], got %g", (double)c->bn_momentum);
    if (!(c->bn_eps > 0.0f && c->bn_eps < 1.0f))
        BAD("bev config: bn_eps: expected in (0, 1), got %g", (double)c->bn_eps);
    if (!(c->alpha_w >= 0.0f && c->rgb_w >= 0.0f && c->smooth_w >= 0.0f && isfinite(c->alpha_w) &&
          isfinite(c->rgb_w) && isfinite(c->smooth_w)))
        BAD("bev config: alpha_w, rgb_w, smooth_w: expected finite and >= 0, got %g, %g, %g", (double)c->alpha_w,
            (double)c->rgb_w, (double)c->smooth_w);
    if (c->batch < 1 || c->batch > 65536)
        BAD("bev config: batch: expected 1..65536, got %d", c->batch);
    if (!(c->lr > 0.0 && c->lr < 1.0))
        BAD("bev config: lr: expected in (0, 1), got %g", c->lr);
    if (!(c->plateau_factor > 0.0 && c->plateau_factor <= 1.0))
        BAD("bev config: plateau_factor: expected in (0, 1], got %g", c->plateau_factor);
    if (c->plateau_patience < 0)
        BAD("bev config: plateau_patience: expected >= 0, got %d", c->plateau_patience);
    if (!(c->clip >= 0.0 && isfinite(c->clip)))
        BAD("bev config: clip: expected >= 0 (0: none), got %g", c->clip);
    if (c->maze_size < CM_MAZE_MIN_SIZE || c->maze_size > CM_MAZE_MAX_SIZE || c->maze_size % 2 == 0)
        BAD("bev config: maze_size: expected an odd size in %d..%d, got %d", CM_MAZE_MIN_SIZE, CM_MAZE_MAX_SIZE,
            c->maze_size);
    if (c->train_mazes < 1 || c->train_mazes > 10000000)
        BAD("bev config: train_mazes: expected 1..10000000, got %d", c->train_mazes);
    if (c->maze_steps < 1 || c->maze_steps > 1000000)
        BAD("bev config: maze_steps: expected 1..1000000, got %d", c->maze_steps);
    if (!(c->fov > 0.0f && c->fov <= 360.0f))
        BAD("bev config: fov: expected 0 < degrees <= 360, got %g", (double)c->fov);
    if (!(c->policy_noise >= 0.0f && c->policy_noise <= 1.0f))
        BAD("bev config: policy_noise: expected in [0, 1], got %g", (double)c->policy_noise);
    if (c->eval_frames < 1 || c->eval_frames > 1000000)
        BAD("bev config: eval_frames: expected 1..1000000, got %d", c->eval_frames);
    return CM_OK;
}

static const field *find_field(const char *key, size_t len)
{
    for (int i = 0; i < N_FIELDS; i++)
        if (strlen(fields[i].key) == len && strncmp(fields[i].key, key, len) == 0)
            return &fields[i];
    return NULL;
}

static cm_status parse_int(const char *key, const char *s, int *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end || errno || v < -2147483647L || v > 2147483647L)
        BAD("--set %s: expected an integer, got '%s'", key, s);
    *out = (int)v;
    return CM_OK;
}

static cm_status parse_double(const char *key, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(v))
        BAD("--set %s: expected a number, got '%s'", key, s);
    *out = v;
    return CM_OK;
}

static const char *key_list(void)
{
    static char buf[1024];
    if (!buf[0]) {
        size_t used = 0;
        for (int i = 0; i < N_FIELDS && used < sizeof buf; i++)
            used += (size_t)snprintf(buf + used, sizeof buf - used, "%s%s", i ? ", " : "", fields[i].key);
    }
    return buf;
}

cm_status cm_bevnet_config_set(cm_bevnet_config *c, const char *kv)
{
    const char *eq = kv ? strchr(kv, '=') : NULL;
    if (!eq || eq == kv)
        BAD("--set: expected key=value, got '%s'", kv ? kv : "");
    const field *f = find_field(kv, (size_t)(eq - kv));
    if (!f)
        BAD("--set %.*s: unknown key (known: %s)", (int)(eq - kv), kv, key_list());
    const char *v = eq + 1;
    char *base = (char *)c + f->offset;
    double d = 0.0;
    cm_status st = CM_OK;
    switch (f->kind) {
    case F_INT:
        return parse_int(f->key, v, (int *)base);
    case F_FLOAT:
        if ((st = parse_double(f->key, v, &d)) == CM_OK)
            *(float *)base = (float)d;
        return st;
    case F_DOUBLE:
        return parse_double(f->key, v, (double *)base);
    case F_INTS: {
        int vals[CM_BEVNET_MAX_UP] = {0}, n = 0;
        char item[32];
        const char *p = v;
        while (*p) {
            const char *comma = strchr(p, ',');
            size_t len = comma ? (size_t)(comma - p) : strlen(p);
            if (n == f->len || len == 0 || len >= sizeof item)
                BAD("--set %s: expected up to %d comma-separated integers, got '%s'", f->key, f->len, v);
            memcpy(item, p, len);
            item[len] = '\0';
            if ((st = parse_int(f->key, item, &vals[n++])) != CM_OK)
                return st;
            p = comma ? comma + 1 : p + len;
        }
        if (n == 0)
            BAD("--set %s: expected comma-separated integers, got '%s'", f->key, v);
        /* enc_channels needs all four; up_channels as many as n_up (the rest unused). */
        if (f->len == CM_BEVNET_ENC_BLOCKS && n != CM_BEVNET_ENC_BLOCKS)
            BAD("--set %s: expected %d integers, got %d", f->key, CM_BEVNET_ENC_BLOCKS, n);
        memset(base, 0, (size_t)f->len * sizeof(int));
        memcpy(base, vals, (size_t)n * sizeof(int));
        return CM_OK;
    }
    }
    return CM_OK;
}

cJSON *cm_bevnet_config_to_json(const cm_bevnet_config *c)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "preset", c->preset);
    for (int i = 0; i < N_FIELDS; i++) {
        const field *f = &fields[i];
        const char *base = (const char *)c + f->offset;
        switch (f->kind) {
        case F_INT:
            cJSON_AddNumberToObject(o, f->key, *(const int *)base);
            break;
        case F_FLOAT:
            /* through the shortest decimal that reads back as the same float */
            {
                char buf[32];
                snprintf(buf, sizeof buf, "%.9g", (double)*(const float *)base);
                cJSON_AddNumberToObject(o, f->key, strtod(buf, NULL));
            }
            break;
        case F_DOUBLE:
            cJSON_AddNumberToObject(o, f->key, *(const double *)base);
            break;
        case F_INTS: {
            int n = f->len;
            if (f->len == CM_BEVNET_MAX_UP)
                n = c->n_up < 1 ? 0 : c->n_up > f->len ? f->len : c->n_up;
            cJSON_AddItemToObject(o, f->key, cJSON_CreateIntArray((const int *)base, n));
            break;
        }
        }
    }
    return o;
}

cm_status cm_bevnet_config_from_json(const cJSON *o, const char *file, cm_bevnet_config *c)
{
    const cJSON *preset = cJSON_GetObjectItemCaseSensitive(o, "preset");
    if (!cJSON_IsString(preset))
        return cm_error(CM_ERR_FORMAT, "%s: preset: expected a string (bev, bev-small)", file);
    cm_status st = cm_bevnet_preset(preset->valuestring, c);
    if (st != CM_OK)
        return cm_error(CM_ERR_FORMAT, "%s: preset: expected one of %s, got '%s'", file, cm_bevnet_preset_names(),
                        preset->valuestring);
    /* every key is written; a file without anchor_pose predates it and its
     * model learned SSM-PC's cell-anchored targets, whatever the preset says now */
    c->anchor_pose = 0;
    for (int i = 0; i < N_FIELDS; i++) {
        const field *f = &fields[i];
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, f->key);
        if (!v)
            continue;
        char *base = (char *)c + f->offset;
        if (f->kind == F_INTS) {
            int n = cJSON_GetArraySize(v);
            if (!cJSON_IsArray(v) || n > f->len)
                return cm_error(CM_ERR_FORMAT, "%s: %s: expected an array of at most %d integers", file, f->key,
                                f->len);
            memset(base, 0, (size_t)f->len * sizeof(int));
            for (int k = 0; k < n; k++) {
                const cJSON *e = cJSON_GetArrayItem(v, k);
                if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble))
                    return cm_error(CM_ERR_FORMAT, "%s: %s[%d]: expected an integer", file, f->key, k);
                ((int *)base)[k] = (int)e->valuedouble;
            }
            continue;
        }
        if (!cJSON_IsNumber(v))
            return cm_error(CM_ERR_FORMAT, "%s: %s: expected a number", file, f->key);
        if (f->kind == F_INT) {
            if (v->valuedouble != floor(v->valuedouble) || fabs(v->valuedouble) > 2147483647.0)
                return cm_error(CM_ERR_FORMAT, "%s: %s: expected an integer, got %g", file, f->key, v->valuedouble);
            *(int *)base = (int)v->valuedouble;
        } else if (f->kind == F_FLOAT) {
            *(float *)base = (float)v->valuedouble;
        } else {
            *(double *)base = v->valuedouble;
        }
    }
    st = cm_bevnet_config_check(c);
    if (st != CM_OK)
        return cm_error_context(st, "%s: ", file);
    return CM_OK;
}
