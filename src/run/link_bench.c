/* `cogmap bench link` as data (run.h): every scheme and budget trained
 * under one folder and evaluated on the same batches, into table.csv. */
#include "run/social_internal.h"

#include "cogmap/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The bits a velocity message takes: three float32 per step, no budget. */
#define VELOCITY_BITS_PER_STEP 96.0

static cm_status point_dir(char *buf, size_t size, const char *out, const char *scheme, int bits)
{
    int n = bits > 0 ? snprintf(buf, size, "%s/%s_%d", out, scheme, bits) : snprintf(buf, size, "%s/%s", out, scheme);
    return n > 0 && (size_t)n < size ? CM_OK : cm_error(CM_ERR_ARG, "%s: path too long", out);
}

/* Trains one job to `steps` in `dir` (resuming what is there), the trainer
 * evaluating only at the end. */
static cm_status train_point(const char *dir, const cm_train_job_ops *ops, void *job, uint64_t seed, int64_t steps,
                             int fresh, cm_progress *progress)
{
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096];
    if (!fresh) {
        cm_status st = cm_train_resume(dir, ops, job, seed, &state, loaded);
        if (st)
            return st;
    }
    cm_train_config tc = {.out = dir, .steps = steps, .keep = 1, .seed = seed};
    return cm_train_run(&tc, ops, job, &state, progress);
}

static int has_checkpoint(const char *dir)
{
    int64_t *steps = NULL;
    int n = 0;
    if (cm_train_checkpoint_list(dir, &steps, &n) != CM_OK) {
        cm_error_clear();
        return 0;
    }
    cm_free(steps);
    return n > 0;
}

static cm_status run_velocity(const cm_link_bench_config *c, int64_t steps, cm_progress *progress,
                              cm_link_bench_row *row)
{
    char dir[4096];
    cm_status st = point_dir(dir, sizeof dir, c->out, "velocity", 0);
    if (st)
        return st;
    cm_social_run_config cfg;
    cm_social_run_config_init(&cfg, c->seed);
    for (int i = 0; !st && i < c->n_sets; i++) {
        st = cm_social_run_config_set(&cfg, c->sets[i]);
        if (st == CM_ERR_ARG && strstr(cm_errmsg(), "unknown key")) /* a link key: not the network's */
            cm_error_clear(), st = CM_OK;
    }
    if (!st)
        st = cm_social_run_config_check(&cfg);
    cm_social_job *job = NULL;
    if (!st)
        st = cm_social_job_create(&cfg, &job);
    int fresh = st ? 0 : !has_checkpoint(dir);
    if (!st && fresh) {
        st = cm_mkdir_p(dir);
        if (!st)
            st = cm_social_run_config_write(&cfg, dir);
    }
    double t0 = cm_now();
    if (!st)
        st = train_point(dir, &cm_social_job_ops, job, cfg.seed, steps, fresh, progress);
    cm_social_errors e;
    if (!st)
        st = cm_social_errors_measure(cm_social_job_model(job), &cfg, 2, c->eval_batches, &e);
    if (!st) {
        snprintf(row->scheme, sizeof row->scheme, "velocity");
        row->bits = 0;
        row->partner_error = e.partner_error;
        row->self_error = e.self_error;
        row->bits_per_step = VELOCITY_BITS_PER_STEP;
        row->steps = steps;
        row->seconds = cm_now() - t0;
    }
    cm_social_job_free(job);
    return st;
}

static cm_status run_link(const cm_link_bench_config *c, cm_link_scheme scheme, int bits, int64_t steps,
                          const char *init, cm_progress *progress, cm_link_bench_row *row)
{
    char dir[4096], kv[64];
    const char *name = cm_link_scheme_name(scheme);
    cm_status st = point_dir(dir, sizeof dir, c->out, name, scheme == CM_LINK_NONE ? 0 : bits);
    if (st)
        return st;
    cm_link_run_config cfg;
    cm_link_run_config_init(&cfg, c->seed);
    for (int i = 0; !st && i < c->n_sets; i++) {
        st = cm_link_run_config_set(&cfg, c->sets[i]);
        if (st == CM_ERR_ARG && strstr(cm_errmsg(), "unknown key")) /* the velocity network's key */
            cm_error_clear(), st = CM_OK;
    }
    snprintf(kv, sizeof kv, "scheme=%s", name);
    if (!st)
        st = cm_link_run_config_set(&cfg, kv);
    snprintf(kv, sizeof kv, "bits=%d", bits > 0 ? bits : 1);
    if (!st)
        st = cm_link_run_config_set(&cfg, kv);
    if (!st && init)
        snprintf(cfg.init_from, sizeof cfg.init_from, "%s", init);
    if (!st)
        st = cm_link_run_config_check(&cfg);
    cm_link_job *job = NULL;
    if (!st)
        st = cm_link_job_create(&cfg, &job);
    int fresh = st ? 0 : !has_checkpoint(dir);
    if (!st && fresh) {
        st = cm_mkdir_p(dir);
        if (!st)
            st = cm_link_run_config_write(&cfg, dir);
    }
    double t0 = cm_now();
    if (!st)
        st = train_point(dir, &cm_link_job_ops, job, cfg.seed, steps, fresh, progress);
    cm_link_errors e;
    if (!st)
        st = cm_link_job_measure(job, 2, c->eval_batches, &e);
    if (!st) {
        snprintf(row->scheme, sizeof row->scheme, "%s", name);
        row->bits = scheme == CM_LINK_NONE ? 0 : bits;
        row->partner_error = e.partner_error;
        row->self_error = e.self_error;
        row->bits_per_step = e.bits_per_step;
        row->steps = steps;
        row->seconds = cm_now() - t0;
    }
    cm_link_job_free(job);
    return st;
}

static cm_status write_table(const char *out, const cm_link_bench_row *rows, int n)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, out, "table.csv");
    if (st)
        return st;
    cm_atomic_file f;
    st = cm_atomic_open(&f, path);
    if (st)
        return st;
    fprintf(f.fp, "scheme,bits,partner_error,bits_per_step,self_error,steps,seconds\n");
    for (int i = 0; i < n; i++) {
        const cm_link_bench_row *r = &rows[i];
        char bits[16];
        if (strcmp(r->scheme, "velocity") == 0)
            snprintf(bits, sizeof bits, "inf");
        else
            snprintf(bits, sizeof bits, "%d", r->bits);
        fprintf(f.fp, "%s,%s,%.6f,%.4f,%.6f,%lld,%.1f\n", r->scheme, bits, r->partner_error, r->bits_per_step,
                r->self_error, (long long)r->steps, r->seconds);
    }
    return cm_atomic_commit(&f);
}

cm_status cm_link_bench(const cm_link_bench_config *c, cm_progress *progress, cm_link_bench_row **rows_out,
                        int *count)
{
    *rows_out = NULL;
    *count = 0;
    if (!c->out || c->n_bits < 1 || c->steps_velocity < 1 || c->steps_per_point < 1 || c->eval_batches < 1 ||
        !(c->minutes >= 0))
        return cm_error(CM_ERR_ARG, "bench link: expected a folder, budgets, positive step counts and eval batches");
    for (int i = 0; i < c->n_bits; i++)
        if (c->bits[i] < 1 || c->bits[i] > CM_LINK_MAX_BITS)
            return cm_error(CM_ERR_ARG, "bench link: --bits: expected budgets in 1..%d, got %d", CM_LINK_MAX_BITS,
                            c->bits[i]);
    /* every --set must mean something to the velocity network or to the link runs */
    for (int i = 0; i < c->n_sets; i++) {
        cm_social_run_config sc;
        cm_link_run_config lc;
        cm_social_run_config_init(&sc, c->seed);
        cm_link_run_config_init(&lc, c->seed);
        if (cm_social_run_config_set(&sc, c->sets[i]) != CM_OK && cm_link_run_config_set(&lc, c->sets[i]) != CM_OK)
            return CM_ERR_ARG; /* the link's message names the key */
    }
    /* velocity, none, then per budget: learned, broadcast (the true position)
     * and broadcast_estimate (what the sender knows of it: the fair rival) */
    int n_points = 2 + 3 * c->n_bits;
    cm_link_bench_row *rows = cm_calloc((size_t)n_points, sizeof *rows);
    if (!rows)
        return cm_error(CM_ERR_NOMEM, "bench link: out of memory");
    cm_status st = cm_mkdir_p(c->out);
    double t0 = cm_now(), budget = c->minutes * 60.0;
    int64_t vsteps = c->steps_velocity, lsteps = c->steps_per_point;
    /* With a time budget, the link points split what the velocity network
     * leaves, at the seconds per step the previous point took. */
    if (!st)
        st = run_velocity(c, vsteps, progress, &rows[0]);
    int n = st ? 0 : 1;
    char init[4096] = "";
    if (!st) {
        char vdir[4096];
        st = point_dir(vdir, sizeof vdir, c->out, "velocity", 0);
        if (!st && snprintf(init, sizeof init, "%s/checkpoints/step_%08lld", vdir, (long long)vsteps) >= (int)sizeof init)
            st = cm_error(CM_ERR_ARG, "%s: path too long", vdir);
    }
    double per_step = 0.0; /* seconds per link step, once measured */
    for (int p = 1; !st && p < n_points; p++) {
        static const cm_link_scheme per_budget[3] = {CM_LINK_LEARNED, CM_LINK_BROADCAST, CM_LINK_BROADCAST_ESTIMATE};
        cm_link_scheme scheme = p == 1 ? CM_LINK_NONE : per_budget[(p - 2) % 3];
        int bits = p == 1 ? 0 : c->bits[(p - 2) / 3];
        int64_t steps = lsteps;
        if (budget > 0 && per_step > 0) {
            double left = budget - (cm_now() - t0);
            int64_t fit = (int64_t)(left / (per_step * (n_points - p)));
            steps = fit < steps ? (fit > 1 ? fit : 1) : steps;
        }
        st = run_link(c, scheme, bits, steps, init, progress, &rows[n]);
        if (!st) {
            if (rows[n].steps > 0 && rows[n].seconds > 0)
                per_step = rows[n].seconds / rows[n].steps;
            n++;
            st = write_table(c->out, rows, n); /* the table so far: a long bench shows its progress */
        }
    }
    if (!st)
        st = write_table(c->out, rows, n);
    if (st) {
        cm_free(rows);
        return st;
    }
    *rows_out = rows;
    *count = n;
    return CM_OK;
}
