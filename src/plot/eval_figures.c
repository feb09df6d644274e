/* The figures of an evaluated run (plot.h, cm_eval_figures): what each
 * model's evaluation returned, drawn into RUN/figures/. */
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <stdio.h>

/* Figure 2's classification and place panels, and figure 3 when computed. */
static cm_status smp_figures(const char *fdir, const cm_smp_eval_report *r)
{
    const cm_activity *a = &r->ev.a;
    cm_status st = cm_classify_figures(fdir, "png", a->hd, a->act, a->n, a->f32, &r->ev.cls, a->groups, a->n_groups);
    const int bins = r->ev.place_bins, ns = r->ev.slots < 5 ? r->ev.slots : 5;
    int slots[5];
    if (st == CM_OK) {
        cm_smp_pick_place_slots(r->ev.place_maps, r->ev.slots, bins * bins, slots, ns);
        st = cm_smp_fig2_places(fdir, r->ev.place_maps, bins, bins, slots, ns);
    }
    return st == CM_OK && r->has_hd ? cm_smp_fig3(fdir, &r->hd) : st;
}

/* Per SPC class its strongest units' maps, and the classes over training. */
static cm_status social_figures(const char *fdir, const cm_social_report *r)
{
    char path[4200];
    cm_status st = CM_OK;
    for (int k = 0; st == CM_OK && k < CM_SPC_N_CLASSES && !r->is_link; k++) {
        if (r->spc.counts[k] == 0 || r->spc.per_class == 0)
            continue;
        snprintf(path, sizeof path, "%s/spc_%s.png", fdir, cm_spc_class_name((cm_spc_class)k));
        st = cm_spc_fig_class(path, &r->spc, (cm_spc_class)k);
    }
    if (st == CM_OK && !r->is_link && r->history.n_rows > 0) {
        snprintf(path, sizeof path, "%s/spc_growth.png", fdir);
        st = cm_spc_fig_growth(path, &r->history);
    }
    return st;
}

cm_status cm_eval_figures(const cm_eval_result *r)
{
    if (r->grid)
        return cm_grid_eval_figures(r->dir, r->grid);
    if ((r->bev && r->bev->keep == 0) || r->detector || (r->social && r->social->is_link))
        return CM_OK; /* nothing to draw */
    char fdir[4096];
    cm_status st = cm_path_join(fdir, sizeof fdir, r->dir, "figures");
    if (st == CM_OK)
        st = cm_mkdir_p(fdir);
    if (st == CM_OK && r->smp)
        st = smp_figures(fdir, r->smp);
    if (st == CM_OK && r->social)
        st = social_figures(fdir, r->social);
    if (st == CM_OK && r->bev) {
        const cm_bevnet_run_eval *e = r->bev;
        char title[128], path[4200];
        snprintf(title, sizeof title, "%s, step %lld: frame | predicted | true", e->model.preset, (long long)e->step);
        snprintf(path, sizeof path, "%s/bev_samples.png", fdir);
        st = cm_plot_bev_samples(path, e->keep, e->model.image, e->model.out, e->rgb, e->pred, e->target, title);
    }
    return st;
}
