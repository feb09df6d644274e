/* `cogmap eval RUN` of any model (evaluate.h): dispatch on run.json's
 * "model", each model's evaluation (which writes its files), and the
 * summary: the headline numbers under their file's names and the lines the
 * command prints, both from the same result. */
#include "cogmap/evaluate.h"
#include "cogmap/io.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ------------------------------------------------------------ summaries */

cm_status cm_summary_add(cm_summary *s, const char *key, const char *unit, double value)
{
    if (s->n == CM_SUMMARY_MAX)
        return cm_error(CM_ERR_ARG, "summary: more than %d values (at '%s')", CM_SUMMARY_MAX, key);
    if (strlen(key) >= sizeof s->values[0].key || strlen(unit) >= sizeof s->values[0].unit)
        return cm_error(CM_ERR_ARG, "summary: key '%s' or unit '%s' too long", key, unit);
    cm_summary_value *v = &s->values[s->n++];
    snprintf(v->key, sizeof v->key, "%s", key);
    snprintf(v->unit, sizeof v->unit, "%s", unit);
    v->value = value;
    return CM_OK;
}

double cm_summary_get(const cm_summary *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->values[i].key, key) == 0)
            return s->values[i].value;
    return NAN;
}

void cm_summary_printf(cm_summary *s, const char *fmt, ...)
{
    const size_t used = strlen(s->text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->text + used, sizeof s->text - used, fmt, ap);
    va_end(ap);
}

/* Adds values in order until one fails: keys[i] with vals[i], one unit. */
static cm_status add_all(cm_summary *s, const char *unit, int n, const char *const *keys, const double *vals)
{
    cm_status st = CM_OK;
    for (int i = 0; i < n && st == CM_OK; i++)
        st = cm_summary_add(s, keys[i], unit, vals[i]);
    return st;
}

void cm_eval_opts_default(cm_eval_opts *o)
{
    memset(o, 0, sizeof *o);
    o->baseline = 1, o->stages = 6, o->seed = 1;
    o->trajectories = 800, o->steps = 500, o->correct_every = 10, o->smp_shuffles = 1000;
    o->figure3 = 1, o->images = 512, o->fig3_init = 1000;
    o->frames = 2048, o->baseline_frames = 2048, o->keep = 8;
    o->reps = 100, o->per_class = 4, o->batches = 8;
}

/* ------------------------------------------------------------ grid runs */

/* summary.json's numbers (grid_report.c writes them from the same fields). */
static cm_status grid_summary(const cm_grid_eval_report *r, const cm_eval_opts *o, const char *dir, cm_summary *s)
{
    const cm_grid_evaluation *ev = &r->eval;
    int above = 0;
    for (int u = 0; u < ev->units; u++)
        above += ev->results[u].score60 > 0.8;
    const char *k1[] = {"steps", "wall_seconds", "samples", "units"};
    const double v1[] = {(double)r->steps, r->wall_seconds, (double)ev->samples, ev->units};
    cm_status st = add_all(s, "", 4, k1, v1);
    if (st == CM_OK)
        st = cm_summary_add(s, "decoding_error", r->unit_name, ev->decoding_error);
    const char *k2[] = {"grid_fraction", "grid_fraction_0.8", "best_score60", "grid_periods_across"};
    const double v2[] = {ev->grid_fraction, (double)above / ev->units, r->best_score60, ev->grid_periods_across};
    if (st == CM_OK)
        st = add_all(s, "", 4, k2, v2);
    if (st == CM_OK && !isnan(ev->grid_periods_across))
        st = cm_summary_add(s, "grid_spacing", r->unit_name,
                            ev->nbins / ev->grid_periods_across * ((ev->hi - ev->lo) / ev->nbins));
    if (st == CM_OK)
        st = cm_summary_add(s, "grid_fraction_shuffle", "", ev->shuffle95 ? ev->grid_fraction_shuffle : NAN);
    if (st == CM_OK && ev->shuffle95)
        st = cm_summary_add(s, "grid_fraction_shuffle99", "", ev->grid_fraction_shuffle99);
    if (st == CM_OK)
        st = cm_summary_add(s, "untrained_grid_fraction", "", r->has_baseline ? r->baseline.grid_fraction : NAN);
    if (st == CM_OK && r->has_baseline) {
        double best = -INFINITY;
        for (int u = 0; u < r->baseline.units; u++)
            best = r->baseline.results[u].score60 > best ? r->baseline.results[u].score60 : best;
        const char *k3[] = {"untrained_best_score60", "untrained_grid_fraction_shuffle"};
        const double v3[] = {best, r->baseline.grid_fraction_shuffle};
        if ((st = cm_summary_add(s, "untrained_decoding_error", r->unit_name, r->baseline.decoding_error)) == CM_OK)
            st = add_all(s, "", 2, k3, v3);
    }
    const double more[] = {0.3, ev->nbins};
    if (st == CM_OK)
        st = add_all(s, "", 2, (const char *const[]){"grid_threshold", "rate_map_bins"}, more);
    if (st != CM_OK)
        return st;
    if (o->file) {
        cm_summary_printf(s, "eval: %s as %s, %lld samples of fresh trajectories\n", o->file, r->preset,
                          (long long)r->samples);
    } else {
        cm_summary_printf(s, "eval: %s, %s after %lld steps (%.1f min of training), %lld samples\n", dir, r->preset,
                          (long long)r->steps, r->wall_seconds / 60, (long long)r->samples);
    }
    cm_summary_printf(s, "  decoding error      %.3f %s\n", r->decoding_error, r->unit_name);
    cm_summary_printf(s, "  grid-like units     %.1f%% of %d (score60 > 0.3), best score60 %.2f\n",
                      100 * r->grid_fraction, r->units, r->best_score60);
    if (isfinite(r->fraction_shuffle))
        cm_summary_printf(s, "  shuffle test        %.1f%% above their own 95th percentile%s\n",
                          100 * r->fraction_shuffle, o->file ? "" : " (time-shifted activity)");
    if (isfinite(r->periods_across) && !o->file)
        cm_summary_printf(s, "  grid periods        %.1f across the map (median of the grid-like units)\n",
                          r->periods_across);
    if (isfinite(r->baseline_fraction))
        cm_summary_printf(s, "  untrained network   %.1f%% (chance level)\n", 100 * r->baseline_fraction);
    if (o->file) {
        cm_summary_printf(s, "  outputs             %s/summary.json, %s/gridness.csv, %s/figures/\n", dir, dir, dir);
    } else {
        cm_summary_printf(s, "  summary             %s/summary.json\n", dir);
        cm_summary_printf(s, "  per-unit gridness   %s/gridness.csv\n", dir);
        cm_summary_printf(s, "  figures             %s/figures/ (top_units, gridness_histogram, paths, training, "
                             "emergence + emergence.gif)\n", dir);
    }
    return CM_OK;
}

static cm_status eval_grid(const char *dir, const cm_eval_opts *o, cm_progress *p, cm_eval_result *out)
{
    const cm_grid_eval_opts g = {o->samples, o->checkpoint, o->baseline, o->stages, o->shuffles};
    if (!(out->grid = cm_calloc(1, sizeof *out->grid)))
        return cm_error(CM_ERR_NOMEM, "eval: out of memory");
    cm_status st = o->file ? cm_grid_eval_checkpoint(o->file, o->preset, out->dir, o->seed, &g, p, out->grid)
                           : cm_grid_eval_run(dir, &g, p, out->grid);
    return st == CM_OK ? grid_summary(out->grid, o, out->dir, &out->summary) : st;
}

/* A checkpoint file's output folder: FILE without .safetensors, plus -eval. */
static cm_status file_eval_dir(const char *file, char *dir, size_t size)
{
    size_t n = strlen(file);
    if (n > 12 && strcmp(file + n - 12, ".safetensors") == 0)
        n -= 12;
    if (n + 6 > size)
        return cm_error(CM_ERR_ARG, "%s: path too long for its output folder; give one", file);
    snprintf(dir, size, "%.*s-eval", (int)n, file);
    return CM_OK;
}

/* ------------------------------------------------------------ SMP runs */

static cm_status smp_hd(cm_smp_session *s, const cm_eval_opts *o, const char *dir, cm_progress *p,
                        cm_smp_eval_report *r)
{
    const cm_smp_config *mc = &s->cfg.model;
    const int n = o->images;
    uint8_t *rgb = cm_alloc((size_t)n * mc->image * mc->image * 3);
    float *emb = cm_alloc((size_t)n * mc->embed * sizeof(float));
    char fdir[4096];
    cm_status st = !rgb || !emb ? cm_error(CM_ERR_NOMEM, "eval: out of memory for %d probe views", n) : CM_OK;
    if (st == CM_OK)
        st = cm_smp_probe_views(s, n, rgb, emb);
    if (st == CM_OK) {
        cm_smp_hd_net net;
        cm_smp_hd_net_of_model(&net, s->m);
        cm_smp_hd_opts ho;
        cm_smp_hd_opts_default(&ho);
        ho.n_init = o->fig3_init;
        ho.seed = s->cfg.seed;
        st = cm_smp_hd_dynamics(&net, emb, n, r->ev.cls.hd_angle, r->ev.cls.hd_score, &ho, p, &r->hd);
        r->has_hd = 1;
    }
    if (st == CM_OK && (st = cm_path_join(fdir, sizeof fdir, dir, "figures")) == CM_OK &&
        (st = cm_mkdir_p(fdir)) == CM_OK)
        st = cm_smp_hd_dynamics_write(fdir, &r->hd);
    cm_free(rgb), cm_free(emb);
    return st;
}

/* celltypes.json's numbers and the command's lines. */
static cm_status smp_summary(const cm_smp_eval_report *r, const char *dir, cm_summary *s)
{
    const cm_classify_result *c = &r->ev.cls;
    const cm_activity *a = &r->ev.a;
    const char *k1[] = {"samples", "thresholds.hd", "thresholds.ego_bvc", "thresholds.allo_bvc"};
    const double v1[] = {(double)a->n, c->hd_threshold, c->ego_threshold, c->allo_threshold};
    cm_status st = add_all(s, "", 4, k1, v1);
    cm_summary_printf(s, "eval smp: %s (step %lld), %lld samples\n", r->checkpoint, (long long)r->step,
                      (long long)a->n);
    cm_summary_printf(s, "thresholds: hd %.3f, ego %.3f, allo %.3f\n", c->hd_threshold, c->ego_threshold,
                      c->allo_threshold);
    for (int g = 0; g < a->n_groups && st == CM_OK; g++) {
        cm_class_counts n;
        cm_class_counts_of(c, a->groups[g].start, a->groups[g].end, &n);
        /* cm_class_counts_json's numbers */
        const char *what[] = {"units", "hd", "ego_bvc", "allo_bvc", "place", "border", "grid",
                              "ego_bvc_with_higher_allo_score", "hd_share", "ego_bvc_share", "allo_bvc_share"};
        const double u = n.units, v[] = {u, n.hd, n.ego_bvc, n.allo_bvc, n.place, n.border, n.grid,
                                         n.ego_bvc_with_higher_allo_score, n.hd / u, n.ego_bvc / u, n.allo_bvc / u};
        char key[48];
        for (int k = 0; k < 11 && st == CM_OK; k++) {
            snprintf(key, sizeof key, "%s.%s", a->groups[g].name, what[k]);
            st = cm_summary_add(s, key, k < 8 ? "units" : "share", v[k]);
        }
        cm_summary_printf(s, "%s: %d units, hd %d (%.0f%%), ego_bvc %d (%.0f%%), allo_bvc %d (%.0f%%)\n",
                          a->groups[g].name, n.units, n.hd, 100.0 * n.hd / n.units, n.ego_bvc,
                          100.0 * n.ego_bvc / n.units, n.allo_bvc, 100.0 * n.allo_bvc / n.units);
    }
    if (st == CM_OK && r->has_hd) {
        const char *k[] = {"figure3.hd_units_over_0.56", "figure3.images", "figure3.images_converged_within_10_steps",
                           "figure3.images_never_converged"};
        const double v[] = {r->hd.n_hd_units, r->hd.images, r->hd.converged_within_10, r->hd.never_converged};
        st = add_all(s, "", 4, k, v);
        cm_summary_printf(s, "figure 3: %d of %d views reset the HD ring within 10 steps, %d never\n",
                          r->hd.converged_within_10, r->hd.images, r->hd.never_converged);
    }
    cm_summary_printf(s, "outputs: %s/celltypes.json, %s/activity.npz%s%s%s\n", dir, dir, r->has_hd ? ", " : "",
                      r->has_hd ? dir : "", r->has_hd ? "/figures" : "");
    return st;
}

static cm_status eval_smp(const char *dir, const cm_eval_opts *o, cm_progress *p, cm_eval_result *out)
{
    cm_smp_run_config cfg;
    cm_smp_job *job = NULL;
    cm_train_state state;
    char ck[4096];
    cm_smp_eval_report *r = out->smp = cm_calloc(1, sizeof *out->smp);
    cm_status st = r ? cm_smp_run_config_read(&cfg, dir) : cm_error(CM_ERR_NOMEM, "eval: out of memory");
    /* checkpoints/NAME, or the run folder itself: its newest checkpoint */
    snprintf(ck, sizeof ck, o->checkpoint ? "%s/checkpoints/%s" : "%s", dir, o->checkpoint ? o->checkpoint : "");
    if (st == CM_OK)
        st = cm_smp_job_create(&cfg, &job);
    if (st == CM_OK)
        st = cm_train_checkpoint_load(ck, &cm_smp_job_ops, job, &state, NULL, r->checkpoint);
    cm_smp_eval_opts eo;
    cm_smp_eval_opts_default(&eo);
    eo.trajectories = o->trajectories, eo.steps = o->steps, eo.correct_every = o->correct_every;
    eo.shuffles = o->smp_shuffles;
    if (st == CM_OK) {
        r->step = state.step;
        st = cm_smp_evaluate(cm_smp_job_session(job), &eo, p, &r->ev);
    }
    if (st == CM_OK && (st = cm_path_join(ck, sizeof ck, dir, "activity.npz")) == CM_OK)
        st = cm_activity_write(ck, &r->ev.a);
    if (st == CM_OK && o->figure3)
        st = smp_hd(cm_smp_job_session(job), o, dir, p, r);
    if (st == CM_OK)
        st = cm_smp_celltypes_write(dir, &r->ev, r->has_hd ? &r->hd : NULL);
    cm_smp_job_free(job);
    return st == CM_OK ? smp_summary(r, dir, &out->summary) : st;
}

/* ------------------------------------------------------------ BEV runs */

static cm_status eval_bev(const char *dir, const cm_eval_opts *o, cm_progress *p, cm_eval_result *out)
{
    cm_bevnet_run_eval *e = out->bev = cm_calloc(1, sizeof *out->bev);
    cm_status st = e ? cm_bevnet_eval_run(dir, o->checkpoint, o->frames, o->baseline_frames, o->keep, e, p)
                     : cm_error(CM_ERR_NOMEM, "eval: out of memory");
    if (st != CM_OK)
        return st;
    const cm_bevnet_scores *m = &e->eval.model, *b = &e->eval.baseline;
    cm_summary *s = &out->summary;
    const char *k1[] = {"step", "test_mazes", "frames", "output_pixels", "window_pixels"};
    const double v1[] = {(double)e->step, e->eval.mazes, (double)m->frames, e->model.out, e->model.window};
    /* summary.json writes -1 for a score without pixels to score */
    const char *k2[] = {"alpha_iou", "baseline_alpha_iou", "alpha_accuracy", "baseline_alpha_accuracy",
                        "rgb_mse_visible", "baseline_rgb_mse_visible", "loss", "baseline_loss"};
    double v2[] = {m->alpha_iou, b->alpha_iou, m->alpha_accuracy, b->alpha_accuracy,
                   m->rgb_mse_visible, b->rgb_mse_visible, m->loss, b->loss};
    for (int k = 0; k < 8; k++)
        v2[k] = isfinite(v2[k]) ? v2[k] : -1.0;
    if ((st = add_all(s, "", 5, k1, v1)) != CM_OK || (st = add_all(s, "", 8, k2, v2)) != CM_OK)
        return st;
    cm_summary_printf(s, "checkpoint: %s (step %lld)\ntest: %d mazes, %lld frames\n", e->checkpoint,
                      (long long)e->step, e->eval.mazes, (long long)m->frames);
    cm_summary_printf(s, "alpha_iou: %.4f (baseline %.4f)\n", m->alpha_iou, b->alpha_iou);
    cm_summary_printf(s, "alpha_accuracy: %.4f (baseline %.4f)\n", m->alpha_accuracy, b->alpha_accuracy);
    cm_summary_printf(s, "rgb_mse_visible: %.5f (baseline %.5f)\n", m->rgb_mse_visible, b->rgb_mse_visible);
    cm_summary_printf(s, "wrote %s/summary.json%s%s%s\n", dir, e->keep > 0 ? " and " : "", e->keep > 0 ? dir : "",
                      e->keep > 0 ? "/figures/bev_samples.png" : "");
    return CM_OK;
}

/* ------------------------------------------------------------ detector runs */

static cm_status eval_detector(const char *dir, const cm_eval_opts *o, cm_progress *p, cm_eval_result *out)
{
    const cm_detector_eval_opts d = {o->frames, o->baseline_frames, o->checkpoint};
    cm_detector_evaluation *ev = out->detector = cm_calloc(1, sizeof *out->detector);
    if (!ev)
        return cm_error(CM_ERR_NOMEM, "eval: out of memory");
    if (p)
        cm_progress_start(p, p->out, "evaluate", 0);
    cm_status st = cm_detector_eval_run(dir, &d, ev, p);
    if (st != CM_OK)
        return st;
    cm_summary *s = &out->summary;
    const char *k[] = {"mazes", "frames", "visible", "visibility_ap", "visibility_accuracy", "loss",
                       "baseline_visibility_ap", "baseline_visibility_accuracy"};
    const double v[] = {ev->mazes, (double)ev->m.frames, (double)ev->m.visible, ev->m.visibility_ap,
                        ev->m.visibility_accuracy, ev->m.loss, ev->baseline.visibility_ap,
                        ev->baseline.visibility_accuracy};
    if ((st = add_all(s, "", 8, k, v)) != CM_OK ||
        (st = cm_summary_add(s, "position_error_cells", "cells", ev->m.position_error)) != CM_OK ||
        (st = cm_summary_add(s, "baseline_position_error_cells", "cells", ev->baseline.position_error)) != CM_OK)
        return st;
    const char *k2[] = {"threshold", "precision", "recall", "precision_0.7", "recall_0.7", "max_visibility"};
    const double v2[] = {ev->threshold, ev->precision, ev->recall, ev->precision_07, ev->recall_07, ev->max_visibility};
    if ((st = add_all(s, "", 6, k2, v2)) != CM_OK)
        return st;
    cm_summary_printf(s, "detector %s, test split (%d held-out mazes, %lld frames, %lld visible targets)\n", dir,
                      ev->mazes, (long long)ev->m.frames, (long long)ev->m.visible);
    cm_summary_printf(s, "  visibility AP       %.4f (baseline %.4f)\n", ev->m.visibility_ap,
                      ev->baseline.visibility_ap);
    cm_summary_printf(s, "  position error      %.3f cells (baseline %.3f)\n", ev->m.position_error,
                      ev->baseline.position_error);
    cm_summary_printf(s, "  visibility accuracy %.4f (baseline %.4f)\n", ev->m.visibility_accuracy,
                      ev->baseline.visibility_accuracy);
    cm_summary_printf(s, "  threshold           %.4f (F1-best on validation): precision %.3f, recall %.3f\n",
                      ev->threshold, ev->precision, ev->recall);
    cm_summary_printf(s, "  at 0.7 (SSM-PC's)   precision %.3f, recall %.3f; highest visibility %.3f\n",
                      ev->precision_07, ev->recall_07, ev->max_visibility);
    cm_summary_printf(s, "  summary             %s/summary.json\n", dir);
    return CM_OK;
}

/* ------------------------------------------------------------ social and link runs */

static cm_status eval_social(const char *dir, const cm_eval_opts *o, cm_progress *p, cm_eval_result *out)
{
    cm_social_report *r = out->social = cm_calloc(1, sizeof *out->social);
    cm_status st = r ? cm_social_report_run(dir, o->checkpoint, o->reps, o->per_class, o->batches, p, r)
                     : cm_error(CM_ERR_NOMEM, "eval: out of memory");
    if (st != CM_OK)
        return st;
    cm_summary *s = &out->summary;
    if ((st = cm_summary_add(s, "step", "", (double)r->step)) != CM_OK)
        return st;
    cm_summary_printf(s, "eval: %s at step %lld\n", r->checkpoint, (long long)r->step);
    if (r->is_link) {
        const cm_link_errors *e = &r->link_errors;
        const char *k[] = {"partner_error", "self_error"};
        const double v[] = {e->partner_error, e->self_error};
        const char *k2[] = {"sent", "who_accuracy", "eval_loss", "samples"};
        const double v2[] = {e->sent, e->who_accuracy, e->loss, (double)e->samples};
        if ((st = add_all(s, "grid units", 2, k, v)) != CM_OK ||
            (st = cm_summary_add(s, "bits_per_step", "bits", e->bits_per_step)) != CM_OK ||
            (st = add_all(s, "", 4, k2, v2)) != CM_OK)
            return st;
        cm_summary_printf(s, "  partner_error   %.3f grid units\n  bits_per_step   %.3f (messages sent on %.1f%% of "
                             "steps)\n  self_error      %.3f grid units\n",
                          e->partner_error, e->bits_per_step, 100 * e->sent, e->self_error);
        if (isfinite(e->who_accuracy))
            cm_summary_printf(s, "  who_accuracy    %.3f\n", e->who_accuracy);
    } else {
        const cm_social_errors *e = &r->errors;
        const cm_spc_evaluation *ev = &r->spc;
        const char *k[] = {"self_error", "partner_error", "distance_error"};
        const double v[] = {e->self_error, e->partner_error, e->distance_error};
        const char *k2[] = {"eval_loss", "samples", "units", "probe_repetitions"};
        const double v2[] = {e->loss, (double)e->samples, ev->units, ev->reps};
        if ((st = add_all(s, "grid units", 3, k, v)) != CM_OK || (st = add_all(s, "", 4, k2, v2)) != CM_OK)
            return st;
        cm_summary_printf(s, "  self_error      %.3f grid units\n  partner_error   %.3f grid units\n"
                             "  distance_error  %.3f grid units\n  classes of %d bottleneck units:",
                          e->self_error, e->partner_error, e->distance_error, ev->units);
        char key[48];
        for (int c = 0; c < CM_SPC_N_CLASSES && st == CM_OK; c++) {
            snprintf(key, sizeof key, "classes.%s", cm_spc_class_name((cm_spc_class)c));
            st = cm_summary_add(s, key, "units", ev->counts[c]);
            cm_summary_printf(s, " %s %d", cm_spc_class_name((cm_spc_class)c), ev->counts[c]);
        }
        const double spc = (double)(ev->counts[CM_SPC_PURE_SPC] + ev->counts[CM_SPC_SPECIAL_SPC]) / ev->units;
        if (st == CM_OK)
            st = cm_summary_add(s, "spc_fraction", "share", spc);
        cm_summary_printf(s, "\n  SPC share       %.1f%% (pure + special SPC)\n",
                          100.0 * (ev->counts[CM_SPC_PURE_SPC] + ev->counts[CM_SPC_SPECIAL_SPC]) / ev->units);
    }
    cm_summary_printf(s, "  outputs         %s/summary.json%s\n", dir, r->is_link ? "" : ", spc_units.csv, figures/");
    return st;
}

/* ------------------------------------------------------------ any run */

cm_status cm_eval_run(const char *dir, const cm_eval_opts *o, cm_progress *progress, cm_eval_result *out)
{
    memset(out, 0, sizeof *out);
    if (!o->file && !dir)
        return cm_error(CM_ERR_ARG, "eval: expected a run folder");
    if (o->file && !o->preset)
        return cm_error(CM_ERR_ARG, "eval: %s: a checkpoint file needs its preset (ssmpc for SSM-PC's grid-cell "
                                    "network)", o->file);
    cm_status st = CM_OK;
    if (o->file) {
        snprintf(out->model, sizeof out->model, "grid");
        if (dir && strlen(dir) >= sizeof out->dir)
            return cm_error(CM_ERR_ARG, "eval: output folder name too long");
        st = dir ? (snprintf(out->dir, sizeof out->dir, "%s", dir), CM_OK)
                 : file_eval_dir(o->file, out->dir, sizeof out->dir);
    } else if (strlen(dir) >= sizeof out->dir) {
        return cm_error(CM_ERR_ARG, "eval: run folder name too long");
    } else {
        snprintf(out->dir, sizeof out->dir, "%s", dir);
        st = cm_run_model(dir, out->model, sizeof out->model);
    }
    if (st != CM_OK)
        return st;
    static const struct {
        const char *model;
        cm_status (*eval)(const char *, const cm_eval_opts *, cm_progress *, cm_eval_result *);
    } models[] = {{"grid", eval_grid}, {"smp", eval_smp}, {"bev", eval_bev}, {"detector", eval_detector},
                  {"social", eval_social}, {"link", eval_social}};
    for (size_t k = 0; k < sizeof models / sizeof models[0]; k++)
        if (strcmp(out->model, models[k].model) == 0)
            return models[k].eval(out->dir, o, progress, out);
    return cm_error(CM_ERR_UNSUPPORTED, "%s/run.json: model \"%s\" has no evaluation here (a coop run: cogmap bench "
                                        "coop scores it)", dir, out->model);
}

void cm_eval_result_free(cm_eval_result *r)
{
    if (r->grid)
        cm_grid_eval_report_free(r->grid);
    if (r->smp) {
        cm_smp_hd_dynamics_free(&r->smp->hd);
        cm_smp_evaluation_free(&r->smp->ev);
    }
    if (r->bev)
        cm_bevnet_run_eval_free(r->bev);
    if (r->social)
        cm_social_report_free(r->social);
    cm_free(r->grid), cm_free(r->smp), cm_free(r->bev), cm_free(r->detector), cm_free(r->social);
    memset(r, 0, sizeof *r);
}
