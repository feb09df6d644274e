/* Fuzz targets of run folders: run.json (grid-cell and SMP runs), evals.csv,
 * path-integration checkpoints (config.json, model.safetensors,
 * optimizer.safetensors, state.json; or a run folder of them) and SMP
 * checkpoints (model.safetensors, memory.safetensors). The models the
 * checkpoints load into are the small ones of targets.h, which the seed
 * generator saves. */
#define _GNU_SOURCE
#include "fuzz.h"
#include "targets.h"

#include "cogmap/run.h"
#include "cogmap/io.h"
#include "cogmap/models.h"
#include "cogmap/smp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void cmf_grid_config(cm_grid_run_config *c)
{
    static const char *const sets[] = {"hidden=8", "bottleneck=8", "batch=2", "steps=4", "eval_batches=1"};
    if (cm_grid_run_config_init(c, "ssmpc", 7) != CM_OK)
        cmf_fail(__FILE__, __LINE__, "init", "cm_grid_run_config_init: %s", cm_errmsg());
    for (size_t i = 0; i < sizeof sets / sizeof *sets; i++)
        if (cm_grid_run_config_set(c, sets[i]) != CM_OK)
            cmf_fail(__FILE__, __LINE__, "set", "%s: %s", sets[i], cm_errmsg());
}

void cmf_smp_config(cm_smp_config *c)
{
    cm_smp_config_default(c);
    c->slots = 4;
    c->embed = 4;
    c->hidden[0] = c->hidden[1] = c->hidden[2] = 3;
    for (int k = 0; k < 4; k++)
        c->enc_channels[k] = 2;
    c->image = 16;
    c->batch = 1;
    c->seq_len = 2;
}

void cmf_run_run_json(const uint8_t *data, size_t size)
{
    const char *run = cmf_fresh_dir(0);
    char path[700];
    snprintf(path, sizeof path, "%s/run.json", run);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        cmf_fail(__FILE__, __LINE__, "write", "cannot write %s", path);

    cm_grid_run_config g, g2;
    cm_status st = cm_grid_run_config_read(&g, run);
    cmf_check_failure(st, path);
    if (st == CM_OK) {
        /* Written, read and written again: the same run.json (a configuration
         * is a function of preset, seed, sets and data, all in the file;
         * comparing the structs would compare their padding too). */
        const char *a = cmf_fresh_dir(1), *b = cmf_fresh_dir(2);
        cmf_check(cm_grid_run_config_write(&g, a) == CM_OK, "what reads does not write");
        cmf_check(cm_grid_run_config_read(&g2, a) == CM_OK, "what cm_grid_run_config_write wrote does not read");
        cmf_check(cm_grid_run_config_write(&g2, b) == CM_OK, "what reads does not write");
        cmf_check_same_files(a, b, "run.json");
    }
    cm_smp_run_config s, s2;
    st = cm_smp_run_config_read(&s, run);
    cmf_check_failure(st, path);
    if (st == CM_OK) {
        cmf_check(cm_smp_config_check(&s.model) == CM_OK, "run.json read into an SMP config that fails its check");
        const char *a = cmf_fresh_dir(1), *b = cmf_fresh_dir(2);
        cmf_check(cm_smp_run_config_write(&s, a) == CM_OK, "what reads does not write");
        cmf_check(cm_smp_run_config_read(&s2, a) == CM_OK, "what cm_smp_run_config_write wrote does not read");
        cmf_check(cm_smp_run_config_write(&s2, b) == CM_OK, "what reads does not write");
        cmf_check_same_files(a, b, "run.json");
    }
}

void cmf_run_evals_csv(const uint8_t *data, size_t size)
{
    const char *run = cmf_fresh_dir(0);
    char path[700];
    snprintf(path, sizeof path, "%s/evals.csv", run);
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0)
        cmf_fail(__FILE__, __LINE__, "write", "cannot write %s", path);
    cm_evals e;
    cm_status st = cm_evals_read(run, &e);
    cmf_check_failure(st, path);
    if (st == CM_OK) {
        cmf_check(e.n_cols >= 2 && e.n_rows >= 0, "%d columns, %d rows", e.n_cols, e.n_rows);
        const char *again = cmf_fresh_dir(1);
        cmf_check(cm_evals_write(again, &e) == CM_OK, "what reads does not write");
        cm_evals back;
        cmf_check(cm_evals_read(again, &back) == CM_OK, "what cm_evals_write wrote does not read");
        cmf_check(back.n_rows == e.n_rows && back.n_cols == e.n_cols, "evals.csv round trip changed the table");
        for (int c = 0; c < e.n_cols; c++)
            cmf_check(strcmp(back.names[c], e.names[c]) == 0, "column %d renamed", c);
        cm_evals_free(&back);
        cm_evals_free(&e);
    }
    cm_grid_eval_row *rows = NULL;
    int n = -1;
    st = cm_grid_evals_read(run, &rows, &n);
    cmf_check_failure(st, path);
    cmf_check(st == CM_OK || (rows == NULL && n == 0), "failed read left rows");
    cm_free(rows);
}

void cmf_pathint_config(cm_pathint_config *c)
{
    if (cm_pathint_preset("ssmpc", c) != CM_OK)
        cmf_fail(__FILE__, __LINE__, "preset", "%s", cm_errmsg());
    c->hidden = 3;
    c->bottleneck = 2;
    c->n_place = 3;
    c->n_hd = 2;
    c->batch = 1;
    c->seq_len = 2;
}

/* A training job of the tiny network, as the grid-cell job is of the real
 * one, for the trainer's checkpoint loader: save and load only (the loader
 * refuses other shapes, as the grid-cell job's does). Small tensors keep the
 * fuzzer's mutations on the files' structure rather than on kilobytes of
 * weights. */
static cm_status tiny_save(void *job, const char *dir)
{
    cmf_tiny_job *j = job;
    cm_status st = cm_pathint_save(j->m, dir);
    return st == CM_OK ? cm_pathint_optim_save(&j->optim, &j->dropout, dir) : st;
}

static cm_status tiny_load(void *job, const char *dir)
{
    cmf_tiny_job *j = job;
    cm_pathint *m = NULL;
    cm_status st = cm_pathint_load(dir, &m);
    if (st != CM_OK)
        return st;
    const cm_pathint_config *a = cm_pathint_get_config(j->m), *b = cm_pathint_get_config(m);
    if (a->cell != b->cell || a->input_size != b->input_size || a->hidden != b->hidden ||
        a->bottleneck != b->bottleneck || a->n_place != b->n_place || a->n_hd != b->n_hd)
        st = cm_error(CM_ERR_FORMAT, "%s: the checkpoint's network differs from the run's", dir);
    cm_optim optim;
    memset(&optim, 0, sizeof optim);
    cm_rng dropout;
    if (st == CM_OK)
        st = cm_pathint_optim_init(m, &optim);
    if (st == CM_OK)
        st = cm_pathint_optim_load(&optim, &dropout, dir);
    if (st != CM_OK) {
        cm_optim_free(&optim);
        cm_pathint_free(m);
        return st;
    }
    cm_pathint_free(j->m);
    cm_optim_free(&j->optim);
    j->m = m;
    j->optim = optim;
    j->dropout = dropout;
    return CM_OK;
}

const cm_train_job_ops cmf_tiny_ops = {.model_name = "grid", .save = tiny_save, .load = tiny_load};

cm_status cmf_tiny_job_init(cmf_tiny_job *j, const cm_pathint_config *c, uint64_t seed)
{
    memset(j, 0, sizeof *j);
    cm_status st = cm_pathint_create(c, seed, &j->m);
    if (st == CM_OK)
        st = cm_pathint_optim_init(j->m, &j->optim);
    cm_rng_seed(&j->dropout, seed, 1);
    return st;
}

void cmf_tiny_job_free(cmf_tiny_job *j)
{
    cm_pathint_free(j->m);
    cm_optim_free(&j->optim);
    memset(j, 0, sizeof *j);
}

/* A checkpoint folder, or a run folder holding checkpoints/: cm_pathint_load
 * of the folder itself, then the trainer's loader (state.json, the model and
 * the optimiser through cmf_tiny_ops). */
void cmf_run_checkpoint(const uint8_t *data, size_t size)
{
    const char *dir = cmf_unpack(0, data, size);
    if (!dir)
        return;
    cm_pathint *m = NULL;
    cm_status st = cm_pathint_load(dir, &m);
    cmf_check_failure(st, dir);
    cmf_check(st == CM_OK || m == NULL, "failed load left a model");
    if (st == CM_OK) {
        const char *again = cmf_fresh_dir(1);
        cmf_check(cm_pathint_save(m, again) == CM_OK, "what loads does not save");
        cm_pathint *m2 = NULL;
        cmf_check(cm_pathint_load(again, &m2) == CM_OK, "what cm_pathint_save saved does not load");
        cm_params *p = cm_pathint_params(m), *p2 = cm_pathint_params(m2);
        cmf_check(p->total == p2->total && memcmp(p->params, p2->params, p->total * sizeof(float)) == 0,
                  "checkpoint round trip changed the parameters");
        cm_pathint_free(m2);
        cm_pathint_free(m);
    }

    /* The run's job, made once and again only after a successful load
     * replaced its model: a failed load must leave it as it was. */
    static cmf_tiny_job job;
    static float *pristine;
    if (!job.m) {
        cm_pathint_config c;
        cmf_pathint_config(&c);
        if (cmf_tiny_job_init(&job, &c, 7) != CM_OK)
            cmf_fail(__FILE__, __LINE__, "create", "tiny job: %s", cm_errmsg());
        cm_params *p = cm_pathint_params(job.m);
        pristine = cm_alloc(p->total * sizeof(float));
        memcpy(pristine, p->params, p->total * sizeof(float));
    }
    cm_pathint *before = job.m;
    cm_train_state state;
    uint64_t seed = 0;
    char loaded[4096];
    st = cm_train_checkpoint_load(dir, &cmf_tiny_ops, &job, &state, &seed, loaded);
    cmf_check_failure(st, dir);
    if (st == CM_OK) {
        cmf_check(state.step >= 0 && state.best_step >= -1, "step %lld, best step %lld", (long long)state.step,
                  (long long)state.best_step);
        cmf_check(strncmp(loaded, dir, strlen(dir)) == 0, "loaded %s, outside %s", loaded, dir);
        cmf_tiny_job_free(&job);
        cm_free(pristine);
    } else {
        cm_params *p = cm_pathint_params(job.m);
        cmf_check(job.m == before && memcmp(p->params, pristine, p->total * sizeof(float)) == 0,
                  "a failed checkpoint load changed the network");
    }
}

void cmf_run_checkpoint_smp(const uint8_t *data, size_t size)
{
    const char *dir = cmf_unpack(0, data, size);
    if (!dir)
        return;
    /* As above: one model, made again only after a successful load. */
    static cm_smp *m;
    static float *pristine;
    cm_smp_config cfg;
    cmf_smp_config(&cfg);
    if (!m) {
        if (cm_smp_create(&cfg, 3, &m) != CM_OK)
            cmf_fail(__FILE__, __LINE__, "create", "cm_smp_create: %s", cm_errmsg());
        const cm_params *p = cm_smp_params(m);
        pristine = cm_alloc(p->total * sizeof(float));
        memcpy(pristine, p->params, p->total * sizeof(float));
    }
    const cm_params *p = cm_smp_params(m);
    cm_status st = cm_smp_load(m, dir);
    cmf_check_failure(st, dir);
    if (st != CM_OK) {
        cmf_check(memcmp(p->params, pristine, p->total * sizeof(float)) == 0 && cm_smp_steps(m) == 0,
                  "a failed SMP load changed the model");
        return;
    }
    cmf_check(cm_smp_steps(m) >= 0, "step %lld", (long long)cm_smp_steps(m));
    const char *again = cmf_fresh_dir(1);
    cmf_check(cm_smp_save(m, again) == CM_OK, "what loads does not save");
    cm_smp *m2 = NULL;
    if (cm_smp_create(&cfg, 4, &m2) != CM_OK)
        cmf_fail(__FILE__, __LINE__, "create", "cm_smp_create: %s", cm_errmsg());
    cmf_check(cm_smp_load(m2, again) == CM_OK, "what cm_smp_save saved does not load");
    const cm_params *p2 = cm_smp_params(m2);
    cmf_check(p2->total == p->total && memcmp(p2->params, p->params, p->total * sizeof(float)) == 0,
              "SMP checkpoint round trip changed the parameters");
    cmf_check(cm_smp_steps(m2) == cm_smp_steps(m), "SMP round trip changed the step");
    cm_smp_free(m2);
    cm_smp_free(m);
    m = NULL;
    cm_free(pristine);
}
