/* `cogmap figure smp2|smp3` as one call each (plot.h): load the data, compute
 * through the run layer, write the JSON and draw the panels, and return the
 * numbers the command prints. */
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <stdio.h>
#include <string.h>

void cm_smp_figure_opts_default(cm_smp_figure_opts *o)
{
    *o = (cm_smp_figure_opts){.shuffles = 1000, .fig3_init = 1000, .max_attractor = 64, .images = 512, .seed = 1};
}

cm_status cm_smp_figure2(const char *data, const char *out, const cm_smp_figure_opts *o, cm_progress *progress,
                         cm_smp_figure2_summary *s)
{
    memset(s, 0, sizeof *s);
    if (!data || !out || o->shuffles < 1)
        return cm_error(CM_ERR_ARG, "figure smp2: expected a data folder, an output folder and shuffles >= 1, got %d",
                        o->shuffles);
    cm_smp_fig2_data d;
    cm_status st = cm_smp_fig2_load(data, &d);
    if (st == CM_OK)
        st = cm_mkdir_p(out);
    cm_classify_opts co;
    cm_classify_defaults(&co);
    co.n_shuffles = o->shuffles;
    co.seed = o->seed;
    co.grid_bins = 0; /* the notebook scores no gridness */
    co.f32 = d.a.f32;
    cm_classify_result res;
    memset(&res, 0, sizeof res);
    if (st == CM_OK)
        st = cm_classify_units(d.a.pos, d.a.hd, d.a.dist, d.a.rays, d.a.act, d.a.n, d.a.units, &co, progress, &res);
    int slots[5] = {0}, n_slots = 0, nx = 0, ny = 0;
    double *maps = NULL;
    if (st == CM_OK)
        st = cm_classify_figures(out, "png", d.a.hd, d.a.act, d.a.n, d.a.f32, &res, d.a.groups, 3);
    if (st == CM_OK)
        st = cm_smp_fig2_notebook_units(out, &d, &res);
    if (st == CM_OK)
        st = cm_smp_fig2_place_maps(&d, &maps, &nx, &ny, slots, &n_slots);
    if (st == CM_OK && n_slots > 0)
        st = cm_smp_fig2_places(out, maps, nx, ny, slots, n_slots);
    if (st == CM_OK)
        st = cm_smp_fig2_write(out, &d, &co, &res, slots, n_slots);
    if (st == CM_OK) {
        snprintf(s->file, sizeof s->file, "%s", d.file);
        snprintf(s->source, sizeof s->source, "%s", d.source);
        s->samples = d.a.n, s->units = d.a.units;
        s->hd_threshold = res.hd_threshold, s->ego_threshold = res.ego_threshold;
        s->allo_threshold = res.allo_threshold;
        for (int k = 0; k < 3; k++) {
            snprintf(s->groups[k], sizeof s->groups[k], "%s", d.a.groups[k].name);
            cm_class_counts_of(&res, d.a.groups[k].start, d.a.groups[k].end, &s->counts[k]);
        }
    }
    cm_free(maps);
    cm_classify_free(&res);
    cm_smp_fig2_free(&d);
    cm_plot_release_caches();
    return st;
}

cm_status cm_smp_figure3(const char *data, const char *out, const cm_smp_figure_opts *o, cm_progress *progress,
                         cm_smp_figure3_summary *s)
{
    memset(s, 0, sizeof *s);
    if (!data || !out || o->images < 1 || o->fig3_init < 2 || o->max_attractor < 1)
        return cm_error(CM_ERR_ARG, "figure smp3: expected a data folder, an output folder, images >= 1 (got %d), "
                                    "fig3_init >= 2 (got %d) and max_attractor >= 1 (got %d)",
                        o->images, o->fig3_init, o->max_attractor);
    cm_smp_fig3_inputs in;
    cm_status st = cm_smp_fig3_inputs_load(data, o->images, &in);
    cm_smp_hd_opts fo;
    cm_smp_hd_opts_default(&fo);
    fo.n_init = o->fig3_init;
    fo.max_attractor = o->max_attractor;
    fo.seed = o->seed;
    cm_smp_hd_result d;
    memset(&d, 0, sizeof d);
    if (st == CM_OK)
        st = cm_smp_hd_dynamics(&in.net, in.emb, in.n_img, in.rv_angle, in.rv_len, &fo, progress, &d);
    if (st == CM_OK)
        st = cm_smp_fig3(out, &d);
    if (st == CM_OK)
        st = cm_smp_hd_dynamics_write(out, &d);
    if (st == CM_OK)
        st = cm_smp_rnn1_check_write(out, &in.net, in.emb);
    if (st == CM_OK) {
        s->step = in.step;
        s->hidden = in.net.H, s->slots = in.net.S, s->gamma = in.net.gamma;
        s->n_hd_units = d.n_hd_units, s->images = d.images, s->attractor_states = d.attractor_states;
        s->converged_within_10 = d.converged_within_10, s->never_converged = d.never_converged;
        s->median_convergence = d.median_convergence;
    }
    cm_smp_hd_dynamics_free(&d);
    cm_smp_fig3_inputs_free(&in);
    cm_plot_release_caches();
    return st;
}
