/* Episodes spread over the workers (coop.h, cm_coop_for_episodes): the one
 * loop every caller that plays many episodes (the bench's rows, the link's
 * training data, the probe, HRL rollouts) shares. */
#include "cogmap/coop.h"

#include <stdio.h>
#include <string.h>
#include <omp.h>

cm_status cm_coop_for_episodes(const cm_coop_workers *w)
{
    const cm_coop_policy *pol = w->policy;
    cm_status status = CM_OK;
    char message[512] = "";
    int64_t next = 0;
    const int blas = cm_blas_hold(); /* the episodes' own BLAS calls (vision, link receivers) */
#pragma omp parallel num_threads(cm_threads() > 0 ? cm_threads() : 1)
    {
        cm_coop_worker wk = {NULL, NULL, omp_get_thread_num()};
        cm_status st = cm_coop_env_create(&wk.env, w->task, w->perception, w->comm, 0);
        if (st == CM_OK && pol && pol->state_create)
            st = pol->state_create(pol->model, w->task, &wk.policy_state);
        /* episodes are taken in no fixed order: what play records depends on
         * the episode's index alone, so results do not depend on the workers */
        for (;;) {
            int64_t e;
#pragma omp atomic capture
            e = next++;
            if (e >= w->episodes || st != CM_OK)
                break;
            st = w->play(w->ctx, &wk, e);
        }
#pragma omp critical /* unnamed: a named one would be an exported symbol */
        {
            if (st == CM_OK && w->finish)
                w->finish(w->ctx, &wk);
            if (st != CM_OK && status == CM_OK) {
                status = st;
                snprintf(message, sizeof message, "%s", cm_errmsg());
            }
        }
        if (wk.policy_state && pol && pol->state_free)
            pol->state_free(wk.policy_state);
        cm_coop_env_free(wk.env);
    }
    cm_blas_release(blas);
    return status == CM_OK ? CM_OK : cm_error(status, "%s", message);
}
