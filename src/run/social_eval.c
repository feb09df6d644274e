/* SSM-PC's social place-cell probe of a network as data (run.h): classes of
 * the bottleneck units and the maps of each class's strongest units. */
#include "run/social_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void cm_spc_evaluation_free(cm_spc_evaluation *ev)
{
    cm_spc_probe_free(&ev->probe);
    cm_free(ev->classes);
    cm_free(ev->maps);
    if (ev->paths_block) {
        cm_spc_paths_free(ev->paths_block);
        free(ev->paths_block);
    }
    memset(ev, 0, sizeof *ev);
}

/* (condition, whose position) of each map column: self in 1, partner in 2,
 * self in 3, partner in 3. */
static const int map_condition[CM_SPC_MAPS] = {0, 1, 2, 2}, map_partner[CM_SPC_MAPS] = {0, 1, 0, 1};

cm_status cm_spc_evaluate(const cm_social *m, int reps, int per_class, cm_spc_evaluation *ev, cm_progress *progress)
{
    memset(ev, 0, sizeof *ev);
    if (reps < 2 || per_class < 0 || per_class > 16)
        return cm_error(CM_ERR_ARG, "spc evaluation: reps %d, per_class %d: expected >= 2 and 0..16", reps, per_class);
    cm_place_cells pc;
    cm_hd_cells hd;
    cm_status st = cm_social_cells(&pc, &hd);
    if (st)
        return st;
    /* SSM-PC's probe: T = 100, the 15-unit arena, seed 42 */
    const int T = 100;
    cm_spc_paths paths[CM_SPC_CONDITIONS];
    st = cm_spc_paths_generate(42, reps, T, 15.0f, paths);
    if (progress)
        cm_progress_start(progress, progress->out, "probe", CM_SPC_CONDITIONS);
    if (!st)
        st = cm_social_probe(m, &pc, &hd, paths, &ev->probe);
    cm_place_cells_free(&pc);
    cm_hd_cells_free(&hd);
    if (st) {
        cm_spc_paths_free(paths);
        return st;
    }
    /* the probe keeps views of the paths: keep the paths with it */
    ev->paths_block = malloc(sizeof paths);
    if (!ev->paths_block) {
        cm_spc_paths_free(paths);
        cm_spc_evaluation_free(ev);
        return cm_error(CM_ERR_NOMEM, "spc evaluation: cannot allocate");
    }
    memcpy(ev->paths_block, paths, sizeof paths);
    int U = ev->probe.units;
    ev->units = U, ev->reps = reps, ev->steps = T, ev->nbins = 50, ev->per_class = per_class;
    ev->classes = cm_alloc((size_t)U * sizeof *ev->classes);
    if (!ev->classes) {
        cm_spc_evaluation_free(ev);
        return cm_error(CM_ERR_NOMEM, "spc evaluation: cannot allocate");
    }
    cm_spc_classify(ev->probe.peaks, U, 0.5, 0.2, ev->classes, ev->counts);
    /* each class's strongest units, strongest first (ties: lower index) */
    for (int k = 0; k < CM_SPC_N_CLASSES; k++) {
        for (int i = 0; i < 16; i++)
            ev->best[k][i] = -1;
        for (int i = 0; i < per_class; i++) {
            int pick = -1;
            double best = -INFINITY;
            for (int u = 0; u < U; u++) {
                if (ev->classes[u] != (cm_spc_class)k)
                    continue;
                int used = 0;
                for (int q = 0; q < i; q++)
                    used |= ev->best[k][q] == u;
                double v = cm_spc_class_strength((cm_spc_class)k, ev->probe.peaks + 4 * (size_t)u);
                if (!used && v > best)
                    best = v, pick = u;
            }
            ev->best[k][i] = pick;
        }
    }
    if (per_class > 0) {
        size_t G = (size_t)ev->nbins * ev->nbins, n = (size_t)CM_SPC_N_CLASSES * per_class * CM_SPC_MAPS * G;
        ev->maps = cm_calloc(n, sizeof(double));
        double *work = cm_alloc(3 * G * sizeof(double));
        if (!ev->maps || !work) {
            cm_free(work);
            cm_spc_evaluation_free(ev);
            return cm_error(CM_ERR_NOMEM, "spc evaluation: cannot allocate the maps");
        }
        for (int k = 0; k < CM_SPC_N_CLASSES && !st; k++)
            for (int i = 0; i < per_class && !st; i++) {
                int u = ev->best[k][i];
                if (u < 0)
                    continue;
                for (int c = 0; c < CM_SPC_MAPS && !st; c++) {
                    int cond = map_condition[c];
                    const float *pos = map_partner[c] ? ev->probe.peer_pos[cond] : ev->probe.self_pos[cond];
                    double *map = ev->maps + (((size_t)k * per_class + i) * CM_SPC_MAPS + c) * G;
                    st = cm_spc_map(pos, ev->probe.act[cond] + u, (int64_t)reps * T, U, ev->nbins, 15.0, 0.0, 0.8, 1.5,
                                    map, work);
                }
            }
        cm_free(work);
        if (st) {
            cm_spc_evaluation_free(ev);
            return st;
        }
    }
    if (progress) {
        progress->done = CM_SPC_CONDITIONS; /* the four conditions ran as one batch */
        cm_progress_finish(progress, "%d units classified", U);
    }
    return CM_OK;
}
