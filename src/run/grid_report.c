/* Evaluation of a grid-cell run (run.h): the trained and untrained networks
 * on the same fresh trajectories, the checkpoints of the emergence figure,
 * gridness.csv and summary.json; plot draws the figures from the report
 * (cm_grid_eval_figures). */
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

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
static cm_status write_gridness_csv(const char *dir, const cm_grid_evaluation *ev)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "gridness.csv");
    if (st != CM_OK)
        return st;
    cm_gridness_config gc;
    if (ev->ssmpc_masks)
        cm_gridness_config_ssmpc(&gc, ev->nbins);
    else
        cm_gridness_config_deepmind(&gc, ev->nbins);
    cm_atomic_file f;
    st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    fprintf(f.fp, "unit,score60,score90,mask60_outer,mask90_outer,spacing,orientation%s\n",
            ev->shuffle95 ? ",shuffle95,shuffle99" : "");
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
        if (ev->shuffle95) {
            fputc(',', f.fp);
            put_num(f.fp, ev->shuffle95[u]);
            fputc(',', f.fp);
            put_num(f.fp, ev->shuffle99[u]);
        }
        fputc('\n', f.fp);
    }
    return cm_atomic_commit(&f);
}

void cm_grid_top_units(const cm_grid_evaluation *ev, int n, int *out)
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

static int add_number_or_null(cJSON *o, const char *key, double v)
{
    return (v == v ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key)) != NULL;
}

/* Grid modules by spacing (cm_grid_modules: units above 0.3, split at gaps
 * over 20%, >= 3 units each) and the ratios between consecutive ones. */
static int add_modules(cJSON *root, const cm_grid_evaluation *ev, double bin)
{
    cm_grid_module mods[16];
    const int nm = cm_grid_modules(ev->results, ev->units, 0.3, 1.2, 3, mods, 16);
    cJSON *arr = cJSON_AddArrayToObject(root, "grid_modules");
    cJSON *ratios = cJSON_AddArrayToObject(root, "grid_module_ratios");
    int ok = arr && ratios;
    for (int k = 0; ok && k < nm; k++) {
        cJSON *o = cJSON_CreateObject();
        ok = o && cJSON_AddNumberToObject(o, "spacing", mods[k].spacing * bin) &&
             cJSON_AddNumberToObject(o, "spacing_bins", mods[k].spacing) &&
             cJSON_AddNumberToObject(o, "orientation", mods[k].orientation) &&
             cJSON_AddNumberToObject(o, "units", mods[k].count) && cJSON_AddItemToArray(arr, o);
        if (ok && k > 0) {
            cJSON *r = cJSON_CreateNumber(mods[k].spacing / mods[k - 1].spacing);
            ok = r && cJSON_AddItemToArray(ratios, r);
        }
    }
    return ok;
}

static cm_status write_summary(const char *dir, const cm_grid_eval_report *rep, const cm_grid_evaluation *ev,
                               const cm_grid_evaluation *base, const cm_grid_run_config *cfg)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "summary.json");
    if (st != CM_OK)
        return st;
    cJSON *root = cJSON_CreateObject();
    int top[8];
    const int ntop = ev->units < 8 ? ev->units : 8;
    cm_grid_top_units(ev, ntop, top);
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
             cJSON_AddStringToObject(root, "gridness_masks", ev->ssmpc_masks ? "ssmpc" : "deepmind");
    if (ok && ev->decoding_error_by_step) { /* the drift along the paths, step by step (cm_grid_evaluation) */
        cJSON *by_step = cJSON_CreateDoubleArray(ev->decoding_error_by_step, ev->steps);
        ok = by_step && cJSON_AddItemToObject(root, "decoding_error_by_step", by_step);
        if (!ok)
            cJSON_Delete(by_step);
    }
    const double bin = (ev->hi - ev->lo) / ev->nbins; /* world units per bin */
    ok = ok && add_number_or_null(root, "grid_periods_across", ev->grid_periods_across);
    if (ok && ev->grid_periods_across == ev->grid_periods_across) /* not NaN */
        ok = cJSON_AddNumberToObject(root, "grid_spacing", ev->nbins / ev->grid_periods_across * bin) != NULL;
    if (ok && ev->shuffle95) {
        cJSON *sh = cJSON_AddObjectToObject(root, "shuffle");
        ok = sh && cJSON_AddStringToObject(sh, "kind", "timeshift") &&
             cJSON_AddNumberToObject(sh, "shuffles", ev->shuffles) &&
             cJSON_AddNumberToObject(sh, "min_shift", (double)ev->min_shift) &&
             cJSON_AddNumberToObject(root, "grid_fraction_shuffle", ev->grid_fraction_shuffle) &&
             cJSON_AddNumberToObject(root, "grid_fraction_shuffle99", ev->grid_fraction_shuffle99);
    } else if (ok) {
        ok = cJSON_AddNullToObject(root, "grid_fraction_shuffle") != NULL;
    }
    ok = ok && add_modules(root, ev, bin);
    if (ok && base) {
        ok = cJSON_AddNumberToObject(root, "untrained_grid_fraction", base->grid_fraction) &&
             cJSON_AddNumberToObject(root, "untrained_decoding_error", base->decoding_error) &&
             cJSON_AddNumberToObject(root, "untrained_best_score60", best_score(base)) &&
             add_number_or_null(root, "untrained_grid_fraction_shuffle", base->grid_fraction_shuffle);
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
static cm_status eval_at(cm_grid_job *s, cm_grid_batch *b, const char *ckpt, int64_t samples, int shuffles,
                         cm_progress *progress, cm_grid_evaluation *ev, cm_train_state *state)
{
    if (ckpt) {
        cm_status st = cm_train_checkpoint_load(ckpt, &cm_grid_job_ops, s, state, NULL, NULL);
        if (st != CM_OK)
            return st;
    }
    cm_grid_net *net = cm_grid_job_net(s);
    cm_grid_map_spec map;
    cm_grid_run_map(cm_grid_job_config(s), &map);
    return cm_grid_evaluate(cm_grid_net_forward, net, cm_pathint_bottleneck_size(net->m), cm_grid_job_eval_source(s),
                            b, &map, samples, FINAL_STREAM, shuffles, ev, progress);
}

/* The emergence figure's stages: the untrained network, then up to
 * stages-1 checkpoints spread over the run (the milestones training keeps),
 * the last being the evaluated one. Intermediate stages use a quarter of
 * the samples. */
static cm_status emergence(const char *dir, cm_grid_job *s, cm_grid_batch *b, const cm_grid_eval_opts *o,
                           int64_t samples, cm_grid_eval_report *rep, cm_progress *progress)
{
    int64_t *steps = NULL;
    int n = 0;
    cm_status st = cm_train_checkpoint_list(dir, &steps, &n);
    if (st != CM_OK)
        return st;
    const cm_grid_evaluation *base = rep->has_baseline ? &rep->baseline : NULL;
    /* Checkpoints before the evaluated one, spread evenly. */
    int n_before = 0;
    while (n_before < n && steps[n_before] < rep->steps)
        n_before++;
    const int want = o->stages - 1 - (base != NULL) > 0 ? o->stages - 1 - (base != NULL) : 0;
    const int take = n_before < want ? n_before : want;
    const int n_stages = (base != NULL) + take + 1;
    rep->stage_evs = cm_calloc((size_t)(take > 0 ? take : 1), sizeof *rep->stage_evs);
    rep->stages = cm_calloc((size_t)n_stages, sizeof *rep->stages);
    rep->stage_steps = cm_calloc((size_t)n_stages, sizeof *rep->stage_steps);
    if (!rep->stage_evs || !rep->stages || !rep->stage_steps) {
        cm_free(steps);
        return cm_error(CM_ERR_NOMEM, "emergence figure: cannot allocate %d stages", n_stages);
    }
    int k = 0;
    if (base) {
        rep->stages[k] = base;
        rep->stage_steps[k++] = 0;
    }
    for (int j = 0; j < take && st == CM_OK; j++) {
        /* Evenly spaced over the earlier checkpoints, the latest included. */
        const int idx = take == 1 ? n_before - 1 : (int)((int64_t)j * (n_before - 1) / (take - 1));
        char ckpt[4096];
        snprintf(ckpt, sizeof ckpt, "%s/checkpoints/step_%08lld", dir, (long long)steps[idx]);
        cm_train_state state;
        int64_t few = samples / 4 > (int64_t)b->batch * b->steps ? samples / 4 : (int64_t)b->batch * b->steps;
        st = eval_at(s, b, ckpt, few, 0, progress, &rep->stage_evs[j], &state);
        rep->n_stage_evs = j + 1;
        rep->stages[k] = &rep->stage_evs[j];
        rep->stage_steps[k++] = steps[idx];
    }
    if (st == CM_OK) {
        rep->stages[k] = &rep->eval;
        rep->stage_steps[k++] = rep->steps;
        rep->n_stages = k;
        rep->n_emergence_units = rep->eval.units < 4 ? rep->eval.units : 4;
        cm_grid_top_units(&rep->eval, rep->n_emergence_units, rep->emergence_units);
    }
    cm_free(steps);
    return st;
}

/* --samples, or the default for the run's cells. */
static int64_t eval_samples(const cm_grid_eval_opts *o, const cm_grid_run_config *cfg)
{
    return o->samples > 0 ? o->samples : strcmp(cfg->cells, "ssmpc") == 0 ? 192000 : 100000;
}

/* The report's scores from its evaluations, then what every evaluation
 * writes in `out` (a run folder, or the folder for a checkpoint trained
 * elsewhere): gridness.csv and summary.json. */
static cm_status write_outputs(const char *out, cm_grid_eval_report *rep, const cm_grid_run_config *cfg)
{
    const cm_grid_evaluation *ev = &rep->eval;
    snprintf(rep->preset, sizeof rep->preset, "%s", cfg->preset);
    rep->samples = ev->samples;
    rep->decoding_error = ev->decoding_error;
    rep->grid_fraction = ev->grid_fraction;
    rep->best_score60 = best_score(ev);
    rep->units = ev->units;
    rep->unit_name = strcmp(cfg->cells, "ssmpc") == 0 ? "grid units" : "m";
    rep->fraction_shuffle = ev->grid_fraction_shuffle;
    rep->periods_across = ev->grid_periods_across;
    if (cm_dist_rank() != 0)
        return CM_OK; /* every rank evaluated; rank 0 writes */
    char fig[4096];
    snprintf(fig, sizeof fig, "%s/figures", out);
    cm_status st = cm_mkdir_p(fig); /* creates `out` too */
    if (st == CM_OK)
        st = write_gridness_csv(out, ev);
    if (st == CM_OK)
        st = write_summary(out, rep, ev, rep->has_baseline ? &rep->baseline : NULL, cfg);
    return st;
}

void cm_grid_eval_report_free(cm_grid_eval_report *rep)
{
    if (!rep)
        return;
    cm_grid_evaluation_free(&rep->eval);
    cm_grid_evaluation_free(&rep->baseline);
    for (int j = 0; j < rep->n_stage_evs; j++)
        cm_grid_evaluation_free(&rep->stage_evs[j]);
    cm_free(rep->stage_evs);
    cm_free(rep->stages);
    cm_free(rep->stage_steps);
    cm_free(rep->rows);
    memset(rep, 0, sizeof *rep);
}

cm_status cm_grid_eval_run(const char *dir, const cm_grid_eval_opts *o, cm_progress *progress,
                           cm_grid_eval_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->baseline_fraction = rep->fraction_shuffle = rep->periods_across = NAN;
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
    st = cm_grid_batch_alloc(&b, cfg.net.batch, cfg.net.seq_len, cfg.net.input_size);
    if (st != CM_OK)
        goto out;
    /* The untrained network first: the job built it from the run's seed,
     * the very weights step 0 of training started from. */
    if (o->baseline) {
        st = eval_at(s, &b, NULL, samples, o->shuffles, progress, &rep->baseline, NULL);
        if (st != CM_OK)
            goto out;
        rep->has_baseline = 1;
        rep->baseline_fraction = rep->baseline.grid_fraction;
    }
    char ckpt[4096];
    if (o->checkpoint)
        snprintf(ckpt, sizeof ckpt, "%s/checkpoints/%s", dir, o->checkpoint);
    else
        snprintf(ckpt, sizeof ckpt, "%s", dir);
    cm_train_state state;
    st = cm_train_checkpoint_load(ckpt, &cm_grid_job_ops, s, &state, NULL, rep->checkpoint);
    if (st != CM_OK)
        goto out;
    st = eval_at(s, &b, NULL, samples, o->shuffles, progress, &rep->eval, NULL);
    if (st != CM_OK)
        goto out;
    rep->steps = state.step;
    rep->wall_seconds = state.wall_seconds;
    st = write_outputs(dir, rep, &cfg);
    /* The training curve when the run has its history (a damaged one is no reason to fail). */
    if (st == CM_OK && cm_grid_evals_read(dir, &rep->rows, &rep->n_rows) != CM_OK)
        rep->n_rows = 0;
    cm_error_clear();
    if (st == CM_OK)
        st = emergence(dir, s, &b, o, samples, rep, progress);
out:
    cm_grid_batch_free(&b);
    cm_grid_job_free(s);
    return st;
}

/* A network trained elsewhere (a PyTorch state dict converted by
 * scripts/pth-to-safetensors) scored exactly as a cogmap run is, on the same
 * fresh trajectories (the preset's paths from `seed`, final-evaluation
 * stream). Every tensor is checked (cm_params_load, strict) before anything
 * is written. */
cm_status cm_grid_eval_checkpoint(const char *file, const char *preset, const char *out_dir, uint64_t seed,
                                  const cm_grid_eval_opts *o, cm_progress *progress, cm_grid_eval_report *rep)
{
    memset(rep, 0, sizeof *rep);
    rep->baseline_fraction = rep->fraction_shuffle = rep->periods_across = NAN;
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
            st = eval_at(s, &b, NULL, samples, o->shuffles, progress, &rep->baseline, NULL);
            memcpy(params->params, loaded, np * sizeof(float));
            rep->has_baseline = st == CM_OK;
            rep->baseline_fraction = rep->baseline.grid_fraction;
        }
        cm_free(loaded);
    }
    if (st == CM_OK)
        st = eval_at(s, &b, NULL, samples, o->shuffles, progress, &rep->eval, NULL);
    if (st == CM_OK) {
        snprintf(rep->checkpoint, sizeof rep->checkpoint, "%s", file);
        rep->steps = 0; /* unknown: trained elsewhere */
        st = write_outputs(out_dir, rep, &cfg);
    }
    cm_free(fresh);
    cm_grid_batch_free(&b);
    cm_grid_job_free(s);
    return st;
}
