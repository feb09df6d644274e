/* What `cogmap bench coop` runs with (coop.h): the perception, the policy
 * (the frontier heuristics, or HRL-ICM from a trained run) and the learned
 * links of trained runs, loaded once and owned together. */
#include "cogmap/bevnet.h"
#include "cogmap/coop.h"
#include "cogmap/detector.h"
#include "cogmap/io.h"
#include "cogmap/link.h"
#include "cogmap/policy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void cm_coop_loaded_free(cm_coop_loaded *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->links.n; i++)
        cm_link_free((cm_link *)l->links.link[i]);
    cm_policy_free(l->policy);
    cm_bevnet_free(l->bev);
    cm_detector_free(l->detector);
    memset(l, 0, sizeof *l);
}

static int is_dir(const char *p)
{
    struct stat sb;
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* A trained run's newest good model folder: RUN/checkpoints/best/<what>, or
 * <path>/<what> (a checkpoint folder), or the path itself (a model folder). */
static void model_dir(const char *path, const char *what, char *out, size_t size)
{
    snprintf(out, size, "%s/checkpoints/best/%s", path, what);
    if (is_dir(out))
        return;
    snprintf(out, size, "%s/%s", path, what);
    if (is_dir(out))
        return;
    snprintf(out, size, "%s", path);
}

/* A model folder holds config.json; a run's is under checkpoints/best. */
static void checkpoint_dir(const char *path, char *out, size_t size)
{
    snprintf(out, size, "%s/checkpoints/best", path);
    if (!is_dir(out))
        snprintf(out, size, "%s", path);
}

static cm_status load_vision(const char *spec, cm_coop_loaded *out)
{
    char bev[2048], det[2048] = "", dir[4200];
    const char *comma = strchr(spec, ',');
    size_t len = comma ? (size_t)(comma - spec) : strlen(spec);
    if (len == 0 || len >= sizeof bev || (comma && strlen(comma + 1) >= sizeof det))
        return cm_error(CM_ERR_ARG, "vision perception: expected vision:BEV[,DETECTOR[@T]], got 'vision:%s'", spec);
    memcpy(bev, spec, len);
    bev[len] = '\0';
    if (comma)
        snprintf(det, sizeof det, "%s", comma + 1);
    /* DETECTOR@T: fire at visibility > T instead of SSM-PC's 0.7 (a calibrated threshold: cogmap eval DETRUN) */
    float threshold = 0.7f;
    char *at = strrchr(det, '@');
    if (at) {
        char *end;
        double t = strtod(at + 1, &end);
        if (at == det || end == at + 1 || *end || !(t >= 0.0 && t < 1.0))
            return cm_error(CM_ERR_ARG, "vision perception: detector threshold: expected DETECTOR@T with T in [0, 1), "
                            "got '%s'", det);
        threshold = (float)t;
        *at = '\0';
    }
    cm_status st;
    cm_bevnet_config bc;
    if (cm_bevnet_preset(bev, &bc) == CM_OK) {
        st = cm_bevnet_create(&bc, 1, &out->bev);
    } else {
        checkpoint_dir(bev, dir, sizeof dir);
        st = cm_bevnet_load(dir, &out->bev);
    }
    if (st != CM_OK)
        return cm_error_context(st, "vision perception: BEV %s: ", bev);
    if (det[0]) {
        cm_detector_config dc;
        if (cm_detector_preset(det, &dc) == CM_OK) {
            st = cm_detector_create(&dc, 1, &out->detector);
        } else {
            checkpoint_dir(det, dir, sizeof dir);
            st = cm_detector_load(dir, &out->detector);
        }
        if (st != CM_OK)
            return cm_error_context(st, "vision perception: detector %s: ", det);
    }
    out->vision.bev = out->bev;
    out->vision.detector = out->detector;
    out->vision.threshold = threshold;
    cm_coop_perception_vision(&out->vision, &out->plugins.perception);
    return CM_OK;
}

cm_status cm_coop_load(const char *perception, const char *policy, const char *const *learned, int n_learned,
                       cm_coop_loaded *out)
{
    memset(out, 0, sizeof *out);
    char dir[4200];
    cm_status st = CM_OK;
    if (!perception || strcmp(perception, "truth") == 0) {
        cm_coop_perception_truth(&out->plugins.perception);
    } else if (strncmp(perception, "vision:", 7) == 0) {
        if ((st = load_vision(perception + 7, out)) != CM_OK) {
            cm_coop_loaded_free(out);
            return st;
        }
    } else {
        return cm_error(CM_ERR_ARG, "coop perception: expected truth or vision:BEV[,DETECTOR[@T]], got '%s'", perception);
    }
    if (!policy || strcmp(policy, "frontier") == 0) {
        cm_coop_policy_frontier(&out->plugins.policy);
    } else if (strcmp(policy, "nearest") == 0) {
        cm_coop_policy_nearest(&out->plugins.policy);
    } else if (strncmp(policy, "hrl-icm:", 8) == 0 && policy[8]) {
        model_dir(policy + 8, "policy", dir, sizeof dir);
        if ((st = cm_policy_load(dir, &out->policy)) != CM_OK) {
            cm_coop_loaded_free(out);
            return cm_error_context(st, "policy hrl-icm: ");
        }
        out->hrl.policy = out->policy;
        out->hrl.interval = 10;
        out->hrl.sample = 0;
        cm_coop_policy_hrl(&out->hrl, &out->plugins.policy);
    } else {
        cm_coop_loaded_free(out);
        return cm_error(CM_ERR_ARG, "coop policy: expected frontier, nearest or hrl-icm:RUN, got '%s'",
                        policy ? policy : "(null)");
    }
    if (n_learned > 16) {
        cm_coop_loaded_free(out);
        return cm_error(CM_ERR_ARG, "coop learned links: at most 16, got %d", n_learned);
    }
    for (int i = 0; i < n_learned; i++) {
        model_dir(learned[i], "link", dir, sizeof dir);
        cm_link *l;
        if ((st = cm_link_load(dir, &l)) != CM_OK) {
            cm_coop_loaded_free(out);
            return cm_error_context(st, "learned link %s: ", learned[i]);
        }
        out->links.link[out->links.n++] = l;
    }
    if (n_learned > 0) {
        out->plugins.learned = cm_coop_learned_from_set;
        out->plugins.learned_ctx = &out->links;
    }
    return CM_OK;
}
