/* `cogmap eval` of social and link runs as data (run.h): the checkpoint's
 * errors, SSM-PC's probe and classes, RUN/summary.json and
 * RUN/spc_units.csv. */
#include "run/social_internal.h"

#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void cm_social_report_free(cm_social_report *r)
{
    cm_spc_evaluation_free(&r->spc);
    cm_evals_free(&r->history);
    memset(r, 0, sizeof *r);
}

/* checkpoints/<name>, or checkpoints/best, or the newest step. */
static cm_status pick_checkpoint(const char *run, const char *name, char *out, size_t size)
{
    char dir[4096];
    cm_status st = cm_path_join(dir, sizeof dir, run, "checkpoints");
    if (st)
        return st;
    if (name)
        return cm_path_join(out, size, dir, name);
    st = cm_path_join(out, size, dir, "best");
    if (!st && access(out, F_OK) == 0)
        return CM_OK;
    return cm_path_join(out, size, run, ""); /* a run folder: its newest checkpoint */
}

static cm_status write_units(const char *run, const cm_spc_evaluation *ev)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, run, "spc_units.csv");
    cm_atomic_file f;
    if (!st)
        st = cm_atomic_open(&f, path);
    if (st)
        return st;
    fprintf(f.fp, "unit,class,peak_self_moving,peak_peer_moving,peak_both_moving,peak_both_static\n");
    for (int u = 0; u < ev->units; u++) {
        const double *p = ev->probe.peaks + 4 * (size_t)u;
        fprintf(f.fp, "%d,%s,%.6f,%.6f,%.6f,%.6f\n", u, cm_spc_class_name(ev->classes[u]), p[0], p[1], p[2], p[3]);
    }
    return cm_atomic_commit(&f);
}

static int add_num(cJSON *o, const char *k, double v)
{
    return isfinite(v) ? cJSON_AddNumberToObject(o, k, v) != NULL : cJSON_AddNullToObject(o, k) != NULL;
}

static cm_status write_summary(const char *run, const cm_social_report *r)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, run, "summary.json");
    if (st)
        return st;
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddStringToObject(root, "model", r->is_link ? "link" : "social") &&
             cJSON_AddStringToObject(root, "checkpoint", r->checkpoint) && add_num(root, "step", (double)r->step);
    if (r->is_link) {
        const cm_link_errors *e = &r->link_errors;
        ok = ok && add_num(root, "partner_error", e->partner_error) && add_num(root, "bits_per_step", e->bits_per_step) &&
             add_num(root, "self_error", e->self_error) && add_num(root, "sent", e->sent) &&
             add_num(root, "who_accuracy", e->who_accuracy) && add_num(root, "eval_loss", e->loss) &&
             add_num(root, "samples", (double)e->samples);
    } else {
        const cm_social_errors *e = &r->errors;
        const cm_spc_evaluation *ev = &r->spc;
        ok = ok && add_num(root, "self_error", e->self_error) && add_num(root, "partner_error", e->partner_error) &&
             add_num(root, "distance_error", e->distance_error) && add_num(root, "eval_loss", e->loss) &&
             add_num(root, "samples", (double)e->samples) && add_num(root, "units", ev->units) &&
             add_num(root, "probe_repetitions", ev->reps);
        cJSON *classes = ok ? cJSON_AddObjectToObject(root, "classes") : NULL;
        cJSON *best = ok ? cJSON_AddObjectToObject(root, "best_units") : NULL;
        ok = ok && classes && best;
        for (int k = 0; ok && k < CM_SPC_N_CLASSES; k++) {
            const char *name = cm_spc_class_name((cm_spc_class)k);
            ok = add_num(classes, name, ev->counts[k]);
            cJSON *list = ok ? cJSON_AddArrayToObject(best, name) : NULL;
            ok = ok && list;
            for (int i = 0; ok && i < ev->per_class && ev->best[k][i] >= 0; i++)
                ok = cJSON_AddItemToArray(list, cJSON_CreateNumber(ev->best[k][i]));
        }
        ok = ok && add_num(root, "spc_fraction",
                           (double)(ev->counts[CM_SPC_PURE_SPC] + ev->counts[CM_SPC_SPECIAL_SPC]) / ev->units);
        /* how the classes grew over training (the periodic evaluations) */
        cJSON *hist = ok ? cJSON_AddArrayToObject(root, "classes_over_training") : NULL;
        ok = ok && hist;
        for (int row = 0; ok && row < r->history.n_rows; row++) {
            cJSON *o = cJSON_CreateObject();
            ok = o && cJSON_AddItemToArray(hist, o) && add_num(o, "step", cm_evals_get(&r->history, row, "step"));
            for (int k = 0; ok && k < CM_SPC_N_CLASSES; k++) {
                const char *name = cm_spc_class_name((cm_spc_class)k);
                ok = add_num(o, name, cm_evals_get(&r->history, row, name));
            }
        }
    }
    if (!ok) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build the document", path);
    }
    st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

cm_status cm_social_report_run(const char *run, const char *checkpoint, int reps, int per_class, int eval_batches,
                               cm_progress *progress, cm_social_report *out)
{
    memset(out, 0, sizeof *out);
    int link = cm_link_is_run(run);
    if (!link && !cm_social_is_run(run))
        return cm_error(CM_ERR_FORMAT, "%s/run.json: model: expected a social or link run", run);
    out->is_link = link;
    char ck[4096];
    cm_status st = pick_checkpoint(run, checkpoint, ck, sizeof ck);
    if (st)
        return st;
    cm_train_state state;
    uint64_t seed;
    if (link) {
        cm_link_run_config c;
        cm_link_job *job = NULL;
        st = cm_link_run_config_read(&c, run);
        if (!st)
            st = cm_link_job_create(&c, &job);
        if (!st)
            st = cm_train_checkpoint_load(ck, &cm_link_job_ops, job, &state, &seed, out->checkpoint);
        if (!st)
            st = cm_link_job_measure(job, 2, eval_batches, &out->link_errors);
        cm_link_job_free(job);
    } else {
        cm_social_run_config c;
        cm_social_job *job = NULL;
        st = cm_social_run_config_read(&c, run);
        if (!st)
            st = cm_social_job_create(&c, &job);
        if (!st)
            st = cm_train_checkpoint_load(ck, &cm_social_job_ops, job, &state, &seed, out->checkpoint);
        if (!st)
            st = cm_social_errors_measure(cm_social_job_model(job), &c, 2, eval_batches, &out->errors);
        if (!st)
            st = cm_spc_evaluate(cm_social_job_model(job), reps, per_class, &out->spc, progress);
        cm_social_job_free(job);
    }
    if (st) {
        cm_social_report_free(out);
        return st;
    }
    out->step = state.step;
    char path[4096];
    if (cm_path_join(path, sizeof path, run, "evals.csv") == CM_OK && access(path, F_OK) == 0)
        st = cm_evals_read(run, &out->history);
    if (!st)
        st = write_summary(run, out);
    if (!st && !link)
        st = write_units(run, &out->spc);
    if (st)
        cm_social_report_free(out);
    return st;
}
