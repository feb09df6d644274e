/* cm_train_model (trainmodel.h): a run of any model in the table
 * (train_models.c), new or resumed, trained through cm_train_run. Under MPI
 * every rank runs this with the same request: the collectives (every
 * cm_dist_agree) come in the same order on all ranks, rank 0 alone writes
 * run.json, and a rank that fails alone before the lock (its own bad
 * setting) returns without a collective (the CLI then ends the job). */
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "run/run_internal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* A new run never overwrites a folder that already holds one. Collective:
 * every rank looks before rank 0 writes the new run. */
static cm_status refuse_existing_run(const char *out)
{
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/run.json", out);
    cm_status st = access(probe, F_OK) == 0 ? cm_error(CM_ERR_ARG,
                                                       "out: %s already holds a run; continue it with --resume %s or "
                                                       "choose another --out",
                                                       out, out)
                                            : CM_OK;
    return cm_dist_agree(st);
}

/* The configuration of the run: a new run's from the request, or the
 * resumed run's run.json with a stage's sets applied where the model takes
 * them before its job is made. Per rank (no collective). */
static cm_status make_config(const run_train_kind *k, const cm_train_request *r, void *cfg)
{
    if (!r->resume)
        return k->config_new(cfg, r);
    cm_status st = k->config_read(cfg, r->resume);
    if (st == CM_OK && r->n_sets && k->stage_config)
        st = k->stage_config(cfg, r->sets, r->n_sets);
    return st;
}

/* Resumes from the newest checkpoint; a stage goes into the job (all ranks)
 * and into run.json (rank 0). Collective. */
static cm_status resume(const run_train_kind *k, const cm_train_request *r, void *cfg, void *job,
                        cm_train_state *state, char *loaded)
{
    cm_status st = cm_train_resume(r->resume, k->ops, job, k->seed(cfg), state, loaded);
    /* Every rank has read run.json before rank 0 rewrites it. */
    st = cm_dist_agree(st);
    if (st == CM_OK && r->n_sets && k->stage_job)
        st = k->stage_job(job, cfg, r->sets, r->n_sets);
    if (st == CM_OK && r->n_sets && cm_dist_rank() == 0)
        st = k->restage(cfg, r->resume, state->step, r->sets, r->n_sets);
    return st;
}

cm_status cm_train_model(const cm_train_request *r, cm_progress *progress, cm_train_state *state_out,
                         char loaded_out[4096])
{
    char loaded_buf[4096] = "";
    char *loaded = loaded_out ? loaded_out : loaded_buf;
    loaded[0] = '\0';
    cm_train_state state;
    cm_train_state_init(&state);
    if (state_out)
        *state_out = state;
    cm_status st = cm_train_request_check(r);
    if (st != CM_OK)
        return st;
    const run_train_kind *k = run_train_kind_find(r->model);
    const char *dir = r->resume ? r->resume : r->out;
    if (!r->resume && (st = refuse_existing_run(dir)) != CM_OK)
        return st;

    void *cfg = cm_calloc(1, k->cfg_size), *job = NULL;
    if (!cfg)
        return cm_error(CM_ERR_NOMEM, "train %s: out of memory for the run configuration", k->info.name);
    st = make_config(k, r, cfg);
    /* The data are opened (and checked) before anything is written. */
    if (st == CM_OK)
        st = k->job_create(cfg, &job);
    if (st != CM_OK) {
        cm_free(cfg);
        return st;
    }
    /* One run, one writer: rank 0 holds the folder's lock for the job, and
     * only now, holding it, is the check that the folder is free final. */
    cm_lockfile *lock = NULL;
    st = cm_dist_agree(cm_run_lock(dir, &lock));
    if (st == CM_OK && !r->resume)
        st = refuse_existing_run(dir);
    if (st == CM_OK) {
        if (r->resume) {
            st = resume(k, r, cfg, job, &state, loaded);
        } else if (cm_dist_rank() == 0) { /* rank 0 writes for the job */
            st = cm_mkdir_p(dir);
            if (st == CM_OK)
                st = k->config_write(cfg, dir);
        }
        st = cm_dist_agree(st);
    }
    if (st == CM_OK) {
        cm_train_config tc = {
            .out = dir,
            .steps = r->steps,
            .minutes = r->minutes,
            .eval_every = r->eval_every,
            .checkpoint_every = r->checkpoint_every,
            .keep = r->keep,
            .seed = k->seed(cfg),
        };
        _Alignas(16) unsigned char rank_ctx[RUN_RANK_CTX];
        if (k->best)
            k->best(cfg, r->best, &tc, rank_ctx);
        if (r->started)
            r->started(r->started_ctx, &state, loaded);
        st = cm_train_run(&tc, k->ops, job, &state, progress);
    }
    if (state_out)
        *state_out = state;
    k->job_free(job);
    cm_free(cfg);
    cm_run_unlock(lock);
    return st;
}
