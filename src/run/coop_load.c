/* What `cogmap bench coop` runs with (coop.h): the perception, the policy
 * (the frontier heuristics, or HRL-ICM from a trained run) and the learned
 * links of trained runs, loaded once and owned together. */
#include "cogmap/coop.h"
#include "cogmap/io.h"
#include "cogmap/link.h"
#include "cogmap/policy.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void cm_coop_loaded_free(cm_coop_loaded *l)
{
    if (!l)
        return;
    for (int i = 0; i < l->links.n; i++)
        cm_link_free((cm_link *)l->links.link[i]);
    cm_policy_free(l->policy);
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

cm_status cm_coop_load(const char *policy, const char *const *learned, int n_learned, cm_coop_loaded *out)
{
    memset(out, 0, sizeof *out);
    cm_coop_perception_truth(&out->plugins.perception);
    char dir[4200];
    cm_status st = CM_OK;
    if (!policy || strcmp(policy, "frontier") == 0) {
        cm_coop_policy_frontier(&out->plugins.policy);
    } else if (strcmp(policy, "nearest") == 0) {
        cm_coop_policy_nearest(&out->plugins.policy);
    } else if (strncmp(policy, "hrl-icm:", 8) == 0 && policy[8]) {
        model_dir(policy + 8, "policy", dir, sizeof dir);
        if ((st = cm_policy_load(dir, &out->policy)) != CM_OK)
            return cm_error_context(st, "policy hrl-icm: ");
        out->hrl.policy = out->policy;
        out->hrl.interval = 10;
        out->hrl.sample = 0;
        cm_coop_policy_hrl(&out->hrl, &out->plugins.policy);
    } else {
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
