/* Evaluation of a grid-cell run: the trained and untrained networks on the
 * same fresh trajectories, gridness.csv, summary.json and the figures. */
#include "cli/grid_eval.h"
#include "cogmap/plot.h"
#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Batches of the final evaluation come from their own stream, never seen in
 * training (stream 0) or in periodic evaluations (stream 1). */
#define FINAL_STREAM 2

static void put_num(FILE *f, double v)
{
    if (isnan(v))
        fputs("nan", f);
    else
        fprintf(f, "%.6f", v);
}

/* The `cogmap gridness` CSV (docs/cli.md), one row per bottleneck unit. */
static cm_status write_gridness_csv(const char *dir, const cm_grid_evaluation *ev, const char *cells)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "gridness.csv");
    if (st != CM_OK)
        return st;
    cm_gridness_config gc;
    if (strcmp(cells, "ssmpc") == 0)
        cm_gridness_config_ssmpc(&gc, ev->nbins);
    else
        cm_gridness_config_deepmind(&gc, ev->nbins);
    cm_atomic_file f;
    st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    fprintf(f.fp, "unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation\n");
    for (int u = 0; u < ev->units; u++) {
        const cm_gridness_result *r = &ev->results[u];
        fprintf(f.fp, "%d,", u);
        put_num(f.fp, r->score60);
        fputc(',', f.fp);
        put_num(f.fp, r->score90);
        fprintf(f.fp, ",%.4f,%.4f,", gc.mask_max[r->mask60], gc.mask_max[r->mask90]);
        put_num(f.fp, r->spacing);
        fputc(',', f.fp);
        put_num(f.fp, r->orientation);
        fputc('\n', f.fp);
    }
    return cm_atomic_commit(&f);
}

/* The units with the highest score60, best first. */
static void top_units(const cm_grid_evaluation *ev, int n, int *out)
{
    for (int k = 0; k < n; k++) {
        int best = -1;
        for (int u = 0; u < ev->units; u++) {
            int taken = 0;
            for (int j = 0; j < k; j++)
                taken |= out[j] == u;
            if (taken || !isfinite(ev->results[u].score60))
                continue;
            if (best < 0 || ev->results[u].score60 > ev->results[best].score60)
                best = u;
        }
        out[k] = best < 0 ? k : best;
    }
}

static double fraction_above(const cm_grid_evaluation *ev, double t)
{
    int k = 0;
    for (int u = 0; u < ev->units; u++)
        k += ev->results[u].score60 > t;
    return (double)k / ev->units;
}

static double best_score(const cm_grid_evaluation *ev)
{
    double b = -INFINITY;
    for (int u = 0; u < ev->units; u++)
        if (ev->results[u].score60 > b)
            b = ev->results[u].score60;
    return b;
}

static cm_status write_summary(const char *dir, const grid_eval_report *rep, const cm_grid_evaluation *ev,
                               const cm_grid_evaluation *base, const cm_grid_run_config *cfg)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "summary.json");
    if (st != CM_OK)
        return st;
    cJSON *root = cJSON_CreateObject();
    int top[8];
    const int ntop = ev->units < 8 ? ev->units : 8;
    top_units(ev, ntop, top);
    int ok = root && cJSON_AddStringToObject(root, "preset", cfg->preset) &&
             cJSON_AddStringToObject(root, "checkpoint", rep->checkpoint) &&
             cJSON_AddNumberToObject(root, "steps", (double)rep->steps) &&
             cJSON_AddNumberToObject(root, "wall_seconds", rep->wall_seconds) &&
             cJSON_AddNumberToObject(root, "samples", (double)ev->samples) &&
             cJSON_AddNumberToObject(root, "units", ev->units) &&
             cJSON_AddNumberToObject(root, "decoding_error", ev->decoding_error) &&
             cJSON_AddStringToObject(root, "decoding_error_unit", rep->unit_name) &&
             cJSON_AddNumberToObject(root, "grid_fraction", ev->grid_fraction) &&
             cJSON_AddNumberToObject(root, "grid_threshold", 0.3) &&
             cJSON_AddNumberToObject(root, "grid_fraction_0.8", fraction_above(ev, 0.8)) &&
             cJSON_AddNumberToObject(root, "best_score60", rep->best_score60) &&
             cJSON_AddNumberToObject(root, "rate_map_bins", ev->nbins) &&
             cJSON_AddStringToObject(root, "gridness_masks", strcmp(cfg->cells, "ssmpc") == 0 ? "ssmpc" : "deepmind");
    if (ok && base) {
        ok = cJSON_AddNumberToObject(root, "untrained_grid_fraction", base->grid_fraction) &&
             cJSON_AddNumberToObject(root, "untrained_decoding_error", base->decoding_error) &&
             cJSON_AddNumberToObject(root, "untrained_best_score60", best_score(base));
    } else if (ok) {
        ok = cJSON_AddNullToObject(root, "untrained_grid_fraction") != NULL;
    }
    cJSON *arr = ok ? cJSON_AddArrayToObject(root, "top_units") : NULL;
    for (int k = 0; ok && arr && k < ntop; k++) {
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddNumberToObject(o, "unit", top[k]) &&
             cJSON_AddNumberToObject(o, "score60", ev->results[top[k]].score60) &&
             cJSON_AddNumberToObject(o, "score90", ev->results[top[k]].score90) && cJSON_AddItemToArray(arr, o);
    }
    if (!ok || !arr) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build the summary", path);
    }
    st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

/* Evaluates the job's network as loaded from `ckpt` (NULL: as it is). */
static cm_status eval_at(cm_grid_job *s, cm_grid_batch *b, const char *ckpt, int64_t samples, FILE *progress,
                         cm_grid_evaluation *ev, cm_train_state *state)
{
    if (ckpt) {
        cm_status st = cm_train_checkpoint_load(ckpt, &cm_grid_job_ops, s, state, NULL, NULL);
        if (st != CM_OK)
            return st;
    }
    cm_progress p;
    p.out = progress;
    cm_grid_net *net = cm_grid_job_net(s);
    return cm_grid_evaluate(cm_grid_net_forward, net, cm_pathint_bottleneck_size(net->m), cm_grid_job_eval_source(s),
                            b, cm_grid_job_config(s)->cells, samples, FINAL_STREAM, ev, progress ? &p : NULL);
}

/* The emergence figure: the untrained network, then up to stages-1
 * checkpoints spread over the run (the milestones training keeps), the last
 * being the evaluated one. Intermediate stages use a quarter of the samples. */
static cm_status emergence(const char *dir, cm_grid_job *s, cm_grid_batch *b, const grid_eval_options *o,
                           int64_t samples, const cm_grid_evaluation *base, const cm_grid_evaluation *final_ev,
                           int64_t final_step, FILE *progress)
{
    int64_t *steps = NULL;
    int n = 0;
    cm_status st = cm_train_checkpoint_list(dir, &steps, &n);
    if (st != CM_OK)
        return st;
    /* Checkpoints before the evaluated one, spread evenly. */
    int n_before = 0;
    while (n_before < n && steps[n_before] < final_step)
        n_before++;
    const int want = o->stages - 1 - (base != NULL) > 0 ? o->stages - 1 - (base != NULL) : 0;
    const int take = n_before < want ? n_before : want;
    const int n_stages = (base != NULL) + take + 1;
    cm_grid_evaluation *evs = cm_calloc((size_t)n_stages, sizeof *evs);
    const cm_grid_evaluation **ptrs = cm_calloc((size_t)n_stages, sizeof *ptrs);
    int64_t *labels = cm_calloc((size_t)n_stages, sizeof *labels);
    if (!evs || !ptrs || !labels) {
        st = cm_error(CM_ERR_NOMEM, "emergence figure: cannot allocate %d stages", n_stages);
        goto done;
    }
    int k = 0;
    if (base) {
        ptrs[k] = base;
        labels[k++] = 0;
    }
    for (int j = 0; j < take && st == CM_OK; j++) {
        /* Evenly spaced over the earlier checkpoints, the latest included. */
        const int idx = take == 1 ? n_before - 1 : (int)((int64_t)j * (n_before - 1) / (take - 1));
        char ckpt[4096];
        snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step_%08lld", dir, (long long)steps[idx]);
        cm_train_state state;
        int64_t few = samples / 4 > (int64_t)b->batch * b->steps ? samples / 4 : (int64_t)b->batch * b->steps;
        st = eval_at(s, b, ckpt, few, progress, &evs[k], &state);
        ptrs[k] = &evs[k];
        labels[k++] = steps[idx];
    }
    if (st == CM_OK) {
        ptrs[k] = final_ev;
        labels[k++] = final_step;
        int units[4];
        const int nu = final_ev->units < 4 ? final_ev->units : 4;
        top_units(final_ev, nu, units);
        char png[4096], gif[4096];
        snprintf(png, sizeof png, "%s/figures/emergence.png", dir);
        snprintf(gif, sizeof gif, "%s/figures/emergence.gif", dir);
        st = cm_grid_fig_emergence(png, gif, ptrs, labels, k, units, nu);
    }
done:
    if (evs)
        for (int j = 0; j < n_stages; j++)
            cm_grid_evaluation_free(&evs[j]);
    cm_free(evs);
    cm_free(ptrs);
    cm_free(labels);
    cm_free(steps);
    return st;
}

/* --samples, or the default for the run's cells. */
static int64_t eval_samples(const grid_eval_options *o, const cm_grid_run_config *cfg)
{
    return o->samples > 0 ? o->samples : strcmp(cfg->cells, "ssmpc") == 0 ? 192000 : 100000;
}

/* What every evaluation writes in `out` (a run folder, or --out for a
 * checkpoint trained elsewhere), after the report's scores from `ev`:
 * gridness.csv, summary.json and the figures top_units, gridness_histogram
 * and paths. */
static cm_status write_outputs(const char *out, grid_eval_report *rep, const cm_grid_run_config *cfg,
                               const cm_grid_evaluation *ev, const cm_grid_evaluation *base)
{
    rep->samples = ev->samples;
    rep->decoding_error = ev->decoding_error;
    rep->grid_fraction = ev->grid_fraction;
    rep->best_score60 = best_score(ev);
    rep->units = ev->units;
    rep->unit_name = strcmp(cfg->cells, "ssmpc") == 0 ? "grid units" : "m";
    char fig[4096];
    snprintf(fig, sizeof fig, "%s/figures", out);
    cm_status st = cm_mkdir_p(fig); /* creates `out` too */
    if (st == CM_OK)
        st = write_gridness_csv(out, ev, cfg->cells);
    if (st == CM_OK)
        st = write_summary(out, rep, ev, base, cfg);
    if (st == CM_OK) {
        snprintf(fig, sizeof fig, "%s/figures/top_units.png", out);
        st = cm_grid_fig_units(fig, ev, 16);
    }
    if (st == CM_OK) {
        snprintf(fig, sizeof fig, "%s/figures/gridness_histogram.png", out);
        st = cm_grid_fig_histogram(fig, ev, base);
    }
    if (st == CM_OK) {
        snprintf(fig, sizeof fig, "%s/figures/paths.png", out);
        st = cm_grid_fig_paths(fig, ev);
    }
    return st;
}

cm_status grid_eval_run(const char *dir, const grid_eval_options *o, FILE *progress, grid_eval_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->baseline_fraction = NAN;
    cm_grid_run_config cfg;
    cm_status st = cm_grid_run_config_read(&cfg, dir);
    if (st != CM_OK)
        return st;
    cm_grid_job *s;
    st = cm_grid_job_create(&cfg, &s);
    if (st != CM_OK)
        return st;
    const int64_t samples = eval_samples(o, &cfg);
    cm_grid_batch b;
    cm_grid_evaluation base, ev;
    memset(&base, 0, sizeof base);
    memset(&ev, 0, sizeof ev);
    cm_grid_eval_row *rows = NULL;
    int n_rows = 0;
    st = cm_grid_batch_alloc(&b, cfg.net.batch, cfg.net.seq_len, cfg.net.input_size);
    if (st != CM_OK)
        goto out;
    /* The untrained network first: session_open built it from the run's seed,
     * the very weights step 0 of training started from. */
    if (o->baseline) {
        st = eval_at(s, &b, NULL, samples, progress, &base, NULL);
        if (st != CM_OK)
            goto out;
        rep->baseline_fraction = base.grid_fraction;
    }
    char ckpt[4096];
    if (o->checkpoint)
        snprintf(ckpt, sizeof ckpt, "%s/checkpoints/%s", dir, o->checkpoint);
    else
        snprintf(ckpt, sizeof ckpt, "%s", dir);
    cm_train_state state;
    char loaded[4096];
    st = cm_train_checkpoint_load(ckpt, &cm_grid_job_ops, s, &state, NULL, loaded);
    if (st != CM_OK)
        goto out;
    st = eval_at(s, &b, NULL, samples, progress, &ev, NULL);
    if (st != CM_OK)
        goto out;
    snprintf(rep->preset, sizeof rep->preset, "%s", cfg.preset);
    snprintf(rep->checkpoint, sizeof rep->checkpoint, "%s", loaded);
    rep->steps = state.step;
    rep->wall_seconds = state.wall_seconds;
    st = write_outputs(dir, rep, &cfg, &ev, o->baseline ? &base : NULL);
    char fig[4096];
    if (st == CM_OK && cm_grid_evals_read(dir, &rows, &n_rows) == CM_OK && n_rows > 0) {
        snprintf(fig, sizeof fig, "%s/figures/training.png", dir);
        st = cm_grid_fig_training(fig, rows, n_rows);
    }
    cm_error_clear();
    if (st == CM_OK)
        st = emergence(dir, s, &b, o, samples, o->baseline ? &base : NULL, &ev, state.step, progress);
out:
    cm_free(rows);
    cm_grid_evaluation_free(&base);
    cm_grid_evaluation_free(&ev);
    cm_grid_batch_free(&b);
    cm_grid_job_free(s);
    return st;
}

void grid_eval_print(const char *dir, const grid_eval_report *r, FILE *out)
{
    fprintf(out, "eval: %s, %s after %lld steps (%.1f min of training), %lld samples\n", dir, r->preset,
            (long long)r->steps, r->wall_seconds / 60, (long long)r->samples);
    fprintf(out, "  decoding error      %.3f %s\n", r->decoding_error, r->unit_name);
    fprintf(out, "  grid-like units     %.1f%% of %d (score60 > 0.3), best score60 %.2f\n", 100 * r->grid_fraction,
            r->units, r->best_score60);
    if (isfinite(r->baseline_fraction))
        fprintf(out, "  untrained network   %.1f%% (chance level)\n", 100 * r->baseline_fraction);
    fprintf(out, "  summary             %s/summary.json\n", dir);
    fprintf(out, "  per-unit gridness   %s/gridness.csv\n", dir);
    fprintf(out, "  figures             %s/figures/ (top_units, gridness_histogram, paths, training, emergence "
                 "+ emergence.gif)\n",
            dir);
}

/* `cogmap eval --from-checkpoint FILE --preset P`: a network trained
 * elsewhere (a PyTorch state dict converted by scripts/pth-to-safetensors)
 * scored exactly as a cogmap run is, on the same fresh trajectories (the
 * preset's paths from `seed`, final-evaluation stream). Every tensor is
 * checked (cm_params_load, strict) before anything is written. */
cm_status grid_eval_checkpoint(const char *file, const char *preset, const char *out_dir, uint64_t seed,
                               const grid_eval_options *o, FILE *progress, grid_eval_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->baseline_fraction = NAN;
    cm_grid_run_config cfg;
    cm_status st = cm_grid_run_config_init(&cfg, preset, seed);
    if (st != CM_OK)
        return st;
    cm_grid_job *s;
    st = cm_grid_job_create(&cfg, &s);
    if (st != CM_OK)
        return st;
    const int64_t samples = eval_samples(o, &cfg);
    cm_grid_batch b;
    cm_grid_evaluation base, ev;
    memset(&base, 0, sizeof base);
    memset(&ev, 0, sizeof ev);
    memset(&b, 0, sizeof b);
    /* A copy of the fresh weights for the untrained baseline, so that a bad
     * checkpoint fails before any evaluation runs. */
    cm_params *params = cm_pathint_params(cm_grid_job_net(s)->m);
    const size_t np = params->total;
    float *fresh = o->baseline ? cm_alloc(np * sizeof(float)) : NULL;
    if (o->baseline && !fresh)
        st = cm_error(CM_ERR_NOMEM, "%s: out of memory", file);
    if (st == CM_OK && fresh)
        memcpy(fresh, params->params, np * sizeof(float));
    if (st == CM_OK)
        st = cm_pathint_load_weights(cm_grid_job_net(s)->m, file);
    if (st == CM_OK)
        st = cm_grid_batch_alloc(&b, cfg.net.batch, cfg.net.seq_len, cfg.net.input_size);
    if (st == CM_OK && fresh) {
        /* Swap in the untrained weights, evaluate, swap the checkpoint back. */
        float *loaded = cm_alloc(np * sizeof(float));
        if (!loaded)
            st = cm_error(CM_ERR_NOMEM, "%s: out of memory", file);
        if (st == CM_OK) {
            memcpy(loaded, params->params, np * sizeof(float));
            memcpy(params->params, fresh, np * sizeof(float));
            st = eval_at(s, &b, NULL, samples, progress, &base, NULL);
            memcpy(params->params, loaded, np * sizeof(float));
            rep->baseline_fraction = base.grid_fraction;
        }
        cm_free(loaded);
    }
    if (st == CM_OK)
        st = eval_at(s, &b, NULL, samples, progress, &ev, NULL);
    if (st != CM_OK)
        goto out;
    snprintf(rep->preset, sizeof rep->preset, "%s", cfg.preset);
    snprintf(rep->checkpoint, sizeof rep->checkpoint, "%s", file);
    rep->steps = 0; /* unknown: trained elsewhere */
    st = write_outputs(out_dir, rep, &cfg, &ev, o->baseline ? &base : NULL);
out:
    cm_free(fresh);
    cm_grid_evaluation_free(&base);
    cm_grid_evaluation_free(&ev);
    cm_grid_batch_free(&b);
    cm_grid_job_free(s);
    return st;
}
