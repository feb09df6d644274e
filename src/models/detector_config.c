/* Target detector presets, checks and "--set key=value" (detector.h). */
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/detector.h"

cm_status cm_detector_preset(const char *name, cm_detector_config *c)
{
    memset(c, 0, sizeof *c);
    c->width = 64;
    c->blocks = 2;
    c->objects = 6;
    c->hidden = 64;
    c->maze_size = 15;
    c->dropout = 0.2f;
    c->bn_momentum = 0.1f;
    c->vis_weight = 1.0f;
    c->pos_weight = 2.0f;
    c->att_weight = 0.5f;
    c->dir_weight = 0.2f;
    c->entropy_weight = 0.1f;
    c->batch = 32;
    c->lr = 3e-4;
    c->plateau_factor = 0.5f;
    c->plateau_patience = 5;
    if (strcmp(name, "detector") == 0) {
        strcpy(c->preset, "detector");
        return CM_OK;
    }
    if (strcmp(name, "detector-small") == 0) {
        strcpy(c->preset, "detector-small");
        c->width = 16;
        c->hidden = 32;
        c->lr = 1e-3;
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "detector: unknown preset '%s' (known: %s)", name, cm_detector_preset_names());
}

const char *cm_detector_preset_names(void) { return "detector, detector-small"; }

cm_status cm_detector_config_check(const cm_detector_config *c)
{
    if (c->width < 2 || c->width > 512 || c->width % 2)
        return cm_error(CM_ERR_ARG, "detector: width: expected an even number in 2..512, got %d", c->width);
    if (c->blocks < 1 || c->blocks > 8)
        return cm_error(CM_ERR_ARG, "detector: blocks: expected 1..8, got %d", c->blocks);
    if (c->objects < 1 || c->objects > CM_DETECTOR_MAX_OBJECTS)
        return cm_error(CM_ERR_ARG, "detector: objects: expected 1..%d, got %d", CM_DETECTOR_MAX_OBJECTS, c->objects);
    if (c->hidden < 1 || c->hidden > 4096)
        return cm_error(CM_ERR_ARG, "detector: hidden: expected 1..4096, got %d", c->hidden);
    if (c->maze_size < CM_MAZE_MIN_SIZE || c->maze_size > CM_MAZE_MAX_SIZE)
        return cm_error(CM_ERR_ARG, "detector: maze_size: expected %d..%d, got %d", CM_MAZE_MIN_SIZE,
                        CM_MAZE_MAX_SIZE, c->maze_size);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return cm_error(CM_ERR_ARG, "detector: dropout: expected [0, 1), got %g", (double)c->dropout);
    if (!(c->bn_momentum >= 0.0f && c->bn_momentum <= 1.0f))
        return cm_error(CM_ERR_ARG, "detector: bn_momentum: expected [0, 1], got %g", (double)c->bn_momentum);
    const struct {
        const char *name;
        float v;
    } w[] = {{"vis_weight", c->vis_weight},         {"pos_weight", c->pos_weight},
             {"att_weight", c->att_weight},         {"dir_weight", c->dir_weight},
             {"entropy_weight", c->entropy_weight}, {"plateau_factor", c->plateau_factor}};
    for (size_t i = 0; i < sizeof w / sizeof *w; i++)
        if (!(w[i].v >= 0.0f && w[i].v < 1e6f))
            return cm_error(CM_ERR_ARG, "detector: %s: expected a finite number >= 0, got %g", w[i].name,
                            (double)w[i].v);
    if (!(c->plateau_factor > 0.0f && c->plateau_factor <= 1.0f))
        return cm_error(CM_ERR_ARG, "detector: plateau_factor: expected (0, 1], got %g", (double)c->plateau_factor);
    if (c->plateau_patience < 0 || c->plateau_patience > 1000000)
        return cm_error(CM_ERR_ARG, "detector: plateau_patience: expected 0..1000000, got %d", c->plateau_patience);
    if (c->batch < 1 || c->batch > 4096)
        return cm_error(CM_ERR_ARG, "detector: batch: expected 1..4096, got %d", c->batch);
    if (!(c->lr > 0.0 && c->lr < 10.0))
        return cm_error(CM_ERR_ARG, "detector: lr: expected (0, 10), got %g", c->lr);
    return CM_OK;
}

typedef struct key {
    const char *name;
    char kind; /* i int, f float, d double */
    size_t offset;
} key;

static const key keys[] = {
    {"width", 'i', offsetof(cm_detector_config, width)},
    {"blocks", 'i', offsetof(cm_detector_config, blocks)},
    {"objects", 'i', offsetof(cm_detector_config, objects)},
    {"hidden", 'i', offsetof(cm_detector_config, hidden)},
    {"maze_size", 'i', offsetof(cm_detector_config, maze_size)},
    {"dropout", 'f', offsetof(cm_detector_config, dropout)},
    {"bn_momentum", 'f', offsetof(cm_detector_config, bn_momentum)},
    {"vis_weight", 'f', offsetof(cm_detector_config, vis_weight)},
    {"pos_weight", 'f', offsetof(cm_detector_config, pos_weight)},
    {"att_weight", 'f', offsetof(cm_detector_config, att_weight)},
    {"dir_weight", 'f', offsetof(cm_detector_config, dir_weight)},
    {"entropy_weight", 'f', offsetof(cm_detector_config, entropy_weight)},
    {"batch", 'i', offsetof(cm_detector_config, batch)},
    {"lr", 'd', offsetof(cm_detector_config, lr)},
    {"plateau_factor", 'f', offsetof(cm_detector_config, plateau_factor)},
    {"plateau_patience", 'i', offsetof(cm_detector_config, plateau_patience)},
};

cm_status cm_detector_config_set(cm_detector_config *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return cm_error(CM_ERR_ARG, "--set %s: expected key=value", kv);
    size_t kl = (size_t)(eq - kv);
    const char *v = eq + 1;
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        if (strlen(keys[k].name) != kl || strncmp(kv, keys[k].name, kl) != 0)
            continue;
        char *field = (char *)c + keys[k].offset, *end = NULL;
        errno = 0;
        if (keys[k].kind == 'i') {
            long x = strtol(v, &end, 10);
            if (errno || !*v || *end || x < -1000000000L || x > 1000000000L)
                return cm_error(CM_ERR_ARG, "--set %s: expected an integer, got '%s'", keys[k].name, v);
            *(int *)field = (int)x;
        } else {
            double x = strtod(v, &end);
            if (errno || !*v || *end || !isfinite(x))
                return cm_error(CM_ERR_ARG, "--set %s: expected a finite number, got '%s'", keys[k].name, v);
            if (keys[k].kind == 'f')
                *(float *)field = (float)x;
            else
                *(double *)field = x;
        }
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "--set %s: unknown key '%.*s' (docs/cli.md lists the detector's keys)", kv, (int)kl,
                    kv);
}

int cm_detector_config_list(const cm_detector_config *c, char (*buf)[64], int max)
{
    int n = 0;
    for (size_t k = 0; k < sizeof keys / sizeof *keys && n < max; k++, n++) {
        const char *field = (const char *)c + keys[k].offset;
        if (keys[k].kind == 'i')
            snprintf(buf[n], 64, "%s=%d", keys[k].name, *(const int *)field);
        else if (keys[k].kind == 'f')
            snprintf(buf[n], 64, "%s=%.9g", keys[k].name, (double)*(const float *)field);
        else
            snprintf(buf[n], 64, "%s=%.17g", keys[k].name, *(const double *)field);
    }
    return n;
}
