/* The generic trainer (run.h) with a small stand-in job (a linear read-out
 * of the batch's inputs trained by SGD): checkpoints kept and pruned, the
 * metrics' columns in evals.csv, resume bit-identical to an uninterrupted
 * run, shards whose gradients add up to the whole batch's, the stop on NaN
 * keeping the last good checkpoint, Ctrl-C saving, and clear errors for
 * damaged checkpoints and bad settings. The real models go through the same
 * loop in test_gridrun_net.c and tests/cli_smp.sh. */
#include "test_util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cogmap/io.h"
#include "cogmap/run.h"

#define B 4
#define T 5
#define NP 6

typedef struct mock {
    float w[NP], g[NP];
    int64_t steps;        /* updates applied */
    int64_t nan_at;       /* step (1-based) whose loss is NaN; 0 never */
    int64_t interrupt_at; /* step after which SIGINT is raised; 0 never */
    int64_t interrupt_eval_at; /* step whose evaluation is interrupted; 0 never */
    int extra_metric;     /* evaluations also report "extra" */
    const double *fractions; /* scripted grid fractions, one per evaluation (NULL: 0.25) */
    int evals;
    cm_grid_source tr, ev;
    cm_grid_batch b;
} mock;

/* A straight random walk: a pure function of the rng. */
static void walk(void *ctx, cm_rng *rng, int steps, float *pos, float *theta)
{
    (void)ctx;
    pos[0] = (float)cm_rng_uniform(rng, 0, 1);
    pos[1] = (float)cm_rng_uniform(rng, 0, 1);
    theta[0] = 0;
    for (int t = 1; t <= steps; t++) {
        pos[2 * t] = pos[2 * t - 2] + (float)cm_rng_uniform(rng, -0.1, 0.1);
        pos[2 * t + 1] = pos[2 * t - 1] + (float)cm_rng_uniform(rng, -0.1, 0.1);
        theta[t] = (float)cm_rng_uniform(rng, -1, 1);
    }
}

static void mock_open(mock *m)
{
    memset(m, 0, sizeof *m);
    assert_int_equal(cm_grid_source_init_paths(&m->tr, CM_GRID_INPUT_VXVYW, T, 5, walk, NULL), CM_OK);
    assert_int_equal(cm_grid_source_init_paths(&m->ev, CM_GRID_INPUT_VXVYW, T, 5, walk, NULL), CM_OK);
    assert_int_equal(cm_grid_batch_alloc(&m->b, B, T, 3), CM_OK);
}

static void mock_close(mock *m)
{
    cm_grid_source_free(&m->tr);
    cm_grid_source_free(&m->ev);
    cm_grid_batch_free(&m->b);
}

/* Predicts each target position as a linear map of the step's inputs; the
 * loss is the mean over the whole batch, its rows [p0, p1) summed here
 * (the gradient into grad when given). */
static double mock_loss(const mock *m, const cm_grid_batch *b, int p0, int p1, float *grad)
{
    const int n = b->batch * b->steps;
    double loss = 0;
    for (int i = p0 * b->steps; i < p1 * b->steps; i++) {
        const float *x = b->inputs + (size_t)i * b->in_dim;
        for (int k = 0; k < 2; k++) {
            double y = m->w[3 * k] * x[0] + m->w[3 * k + 1] * x[1] + m->w[3 * k + 2];
            double d = y - b->pos[2 * i + k] * 0.1;
            loss += d * d / n;
            if (grad) {
                grad[3 * k] += (float)(2 * d * x[0] / n);
                grad[3 * k + 1] += (float)(2 * d * x[1] / n);
                grad[3 * k + 2] += (float)(2 * d / n);
            }
        }
    }
    return loss;
}

static size_t mock_n(void *job) { (void)job; return NP; }
static float *mock_params(void *job) { return ((mock *)job)->w; }
static float *mock_grads(void *job) { return ((mock *)job)->g; }

static cm_status mock_gradient(void *job, int64_t step, int shard, int n_shards, double *loss_sum, double *weight)
{
    mock *m = job;
    cm_status st = cm_grid_source_fill(&m->tr, 0, step, &m->b);
    if (st != CM_OK)
        return st;
    const int p0 = B * shard / n_shards, p1 = B * (shard + 1) / n_shards;
    *loss_sum = mock_loss(m, &m->b, p0, p1, m->g);
    *weight = (double)(p1 - p0) / B;
    if (m->nan_at && step + 1 == m->nan_at)
        *loss_sum = NAN;
    return CM_OK;
}

static cm_status mock_update(void *job, int64_t step)
{
    mock *m = job;
    /* Noise from the step's own stream, as dropout would be. */
    cm_rng rng;
    cm_rng_seed(&rng, 5, 1000 + (uint64_t)step);
    const float noise = (float)cm_rng_normal(&rng) * 1e-3f;
    for (int k = 0; k < NP; k++)
        m->w[k] -= 0.5f * m->g[k] + noise;
    m->steps++;
    if (m->interrupt_at && m->steps == m->interrupt_at)
        raise(SIGINT);
    return CM_OK;
}

static cm_status mock_evaluate(void *job, int64_t step, cm_metrics *out)
{
    mock *m = job;
    if (m->interrupt_eval_at && step == m->interrupt_eval_at)
        return cm_error(CM_ERR_INTERRUPTED, "interrupted after 1 of 2 items"); /* as cm_dist_map_fold says it */
    double loss = 0;
    for (int k = 0; k < 2; k++) {
        assert_int_equal(cm_grid_source_fill(&m->ev, 1, k, &m->b), CM_OK);
        loss += mock_loss(m, &m->b, 0, B, NULL) / 2;
    }
    const double frac = m->fractions ? m->fractions[m->evals % 4] : 0.25;
    m->evals++;
    cm_status st = cm_metrics_set(out, "eval_loss", loss, CM_LOWER_IS_BETTER);
    if (st == CM_OK)
        st = cm_metrics_set(out, "decoding_error", 0.01, CM_LOWER_IS_BETTER);
    if (st == CM_OK)
        st = cm_metrics_set(out, "grid_fraction", frac, CM_HIGHER_IS_BETTER);
    if (st == CM_OK && m->extra_metric)
        st = cm_metrics_set(out, "extra", 7, CM_HIGHER_IS_BETTER);
    return st;
}

static cm_status mock_save(void *job, const char *dir)
{
    char path[4096];
    cm_path_join(path, sizeof path, dir, "model.bin");
    mock *m = job;
    float buf[NP + 2];
    memcpy(buf, m->w, sizeof m->w);
    memcpy(buf + NP, &m->steps, sizeof m->steps);
    return cm_write_file_atomic(path, buf, sizeof buf);
}

static cm_status mock_load(void *job, const char *dir)
{
    char path[4096];
    cm_path_join(path, sizeof path, dir, "model.bin");
    void *data;
    size_t len;
    cm_status st = cm_read_file(path, &data, &len);
    if (st != CM_OK)
        return st;
    mock *m = job;
    if (len != sizeof m->w + sizeof m->steps) {
        cm_free(data);
        return cm_error(CM_ERR_FORMAT, "%s: expected %zu bytes, got %zu", path, sizeof m->w + sizeof m->steps, len);
    }
    memcpy(m->w, data, sizeof m->w);
    memcpy(&m->steps, (char *)data + sizeof m->w, sizeof m->steps);
    cm_free(data);
    return CM_OK;
}

static const cm_train_job_ops mock_ops = {"mock",      mock_n,        mock_params, mock_grads, mock_gradient,
                                          mock_update, mock_evaluate, mock_save,   mock_load};

static cm_train_config config(const char *out, int64_t steps)
{
    cm_train_config c = {.out = out, .steps = steps, .eval_every = 4, .keep = 2, .seed = 5};
    return c;
}

static cm_status train(const char *out, int64_t steps, mock *m, cm_train_state *st)
{
    cm_train_config c = config(out, steps);
    return cm_train_run(&c, &mock_ops, m, st, NULL);
}

static int exists(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_checkpoints_and_history(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    mock m;
    mock_open(&m);
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(dir, 26, &m, &st), CM_OK);
    assert_int_equal(st.step, 26);
    /* keep = 2: 24 and the final 26 kept, milestones 4 x 2^k (4, 8, 16) kept,
     * 12 and 20 pruned; best present. */
    assert_true(exists(dir, "checkpoints/step_00000004/model.bin"));
    assert_true(exists(dir, "checkpoints/step_00000008/model.bin"));
    assert_false(exists(dir, "checkpoints/step_00000012"));
    assert_true(exists(dir, "checkpoints/step_00000016/model.bin"));
    assert_false(exists(dir, "checkpoints/step_00000020"));
    assert_true(exists(dir, "checkpoints/step_00000024/model.bin"));
    assert_true(exists(dir, "checkpoints/step_00000026/state.json"));
    assert_true(exists(dir, "checkpoints/best/state.json"));
    assert_false(exists(dir, "checkpoints/.tmp-step_00000014"));
    cm_grid_eval_row *rows;
    int n;
    assert_int_equal(cm_grid_evals_read(dir, &rows, &n), CM_OK);
    assert_int_equal(n, 7); /* steps 4, 8, ..., 24 and the final 26 */
    assert_int_equal(rows[0].step, 4);
    assert_int_equal(rows[6].step, 26);
    assert_float_equal(rows[1].grid_fraction, 0.25, 0);
    assert_float_equal(rows[1].decoding_error, 0.01, 1e-12);
    assert_true(rows[6].eval_loss < rows[0].eval_loss); /* it learns */
    cm_free(rows);
    int64_t *steps;
    assert_int_equal(cm_train_checkpoint_list(dir, &steps, &n), CM_OK);
    assert_int_equal(n, 5);
    assert_int_equal(steps[2], 16);
    cm_free(steps);
    mock_close(&m);
    cmt_tmpdir_remove(dir);
}

/* evals.csv: the trainer's columns, then the job's metrics in the order it
 * sets them; a metric that appears later gets a column, NaN before. */
static void test_metrics_columns(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    mock m;
    mock_open(&m);
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(dir, 8, &m, &st), CM_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/evals.csv", dir);
    void *text;
    size_t len;
    assert_int_equal(cm_read_file(path, &text, &len), CM_OK);
    const char *header = "step,wall_seconds,train_loss,eval_loss,decoding_error,grid_fraction\n";
    assert_memory_equal(text, header, strlen(header));
    cm_free(text);
    m.extra_metric = 1;
    assert_int_equal(train(dir, 12, &m, &st), CM_OK);
    cm_evals e;
    assert_int_equal(cm_evals_read(dir, &e), CM_OK);
    assert_int_equal(e.n_rows, 3);
    assert_int_equal(e.n_cols, 7);
    assert_int_equal(cm_evals_column(&e, "extra"), 6);
    assert_true(isnan(cm_evals_get(&e, 0, "extra")));
    assert_float_equal(cm_evals_get(&e, 2, "extra"), 7, 0);
    assert_float_equal(cm_evals_get(&e, 2, "step"), 12, 0);
    assert_true(isnan(cm_evals_get(&e, 0, "no such column")));
    cm_evals_free(&e);
    /* Names that would break the file, or shadow the trainer's columns. */
    cm_metrics bad;
    cm_metrics_clear(&bad);
    assert_int_equal(cm_metrics_set(&bad, "a,b", 1, CM_LOWER_IS_BETTER), CM_ERR_ARG);
    assert_int_equal(cm_metrics_set(&bad, "", 1, CM_LOWER_IS_BETTER), CM_ERR_ARG);
    assert_int_equal(cm_metrics_set(&bad, "step", 1, CM_LOWER_IS_BETTER), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "reserved"));
    assert_int_equal(cm_metrics_set(&bad, "x", 1, CM_LOWER_IS_BETTER), CM_OK);
    assert_int_equal(cm_metrics_set(&bad, "x", 2, CM_LOWER_IS_BETTER), CM_OK);
    assert_int_equal(bad.count, 1);
    assert_float_equal(cm_metrics_get(&bad, "x"), 2, 0);
    mock_close(&m);
    cmt_tmpdir_remove(dir);
}

static void test_resume_is_exact(void **state)
{
    (void)state;
    const char *a = cmt_tmpdir(), *b = cmt_tmpdir();
    mock ma, mb, mc;
    mock_open(&ma);
    mock_open(&mb);
    mock_open(&mc);
    cm_train_state sa, sb, sc;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    assert_int_equal(train(a, 13, &ma, &sa), CM_OK);
    assert_int_equal(train(b, 6, &mb, &sb), CM_OK);
    /* A fresh process: the model and state come from the newest checkpoint. */
    char loaded[4096];
    assert_int_equal(cm_train_resume(b, &mock_ops, &mc, 6, &sc, loaded), CM_ERR_FORMAT); /* another seed */
    assert_non_null(strstr(cm_errmsg(), "seed"));
    assert_int_equal(cm_train_resume(b, &mock_ops, &mc, 5, &sc, loaded), CM_OK);
    assert_int_equal(sc.step, 6);
    assert_non_null(strstr(loaded, "step_00000006"));
    assert_int_equal(train(b, 13, &mc, &sc), CM_OK);
    assert_int_equal(sc.step, 13);
    assert_memory_equal(ma.w, mc.w, sizeof ma.w);
    /* The history is the uninterrupted run's, wall time aside, plus the row
     * where the first leg ended (step 6). */
    cm_evals ea, eb;
    assert_int_equal(cm_evals_read(a, &ea), CM_OK);
    assert_int_equal(cm_evals_read(b, &eb), CM_OK);
    assert_int_equal(ea.n_rows + 1, eb.n_rows);
    for (int r = 0, q = 0; r < ea.n_rows; r++, q++) {
        if (cm_evals_get(&eb, q, "step") == 6)
            q++;
        assert_float_equal(cm_evals_get(&ea, r, "step"), cm_evals_get(&eb, q, "step"), 0);
        assert_float_equal(cm_evals_get(&ea, r, "eval_loss"), cm_evals_get(&eb, q, "eval_loss"), 0);
    }
    cm_evals_free(&ea);
    cm_evals_free(&eb);
    mock_close(&ma);
    mock_close(&mb);
    mock_close(&mc);
    cmt_tmpdir_remove(a);
    cmt_tmpdir_remove(b);
}

/* Shards run one after another: their gradients add up to the whole batch's,
 * so training is the same up to the order of float sums. */
static void test_shards_sum_to_the_batch(void **state)
{
    (void)state;
    const char *a = cmt_tmpdir(), *b = cmt_tmpdir();
    mock ma, mb;
    mock_open(&ma);
    mock_open(&mb);
    cm_train_state sa, sb;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    cm_train_config c = config(a, 10);
    assert_int_equal(cm_train_run(&c, &mock_ops, &ma, &sa, NULL), CM_OK);
    c = config(b, 10);
    c.n_shards = 3; /* shards of 1, 1 and 2 paths */
    assert_int_equal(cm_train_run(&c, &mock_ops, &mb, &sb, NULL), CM_OK);
    for (int k = 0; k < NP; k++)
        assert_float_equal(ma.w[k], mb.w[k], 1e-5);
    assert_float_equal(sa.last_loss, sb.last_loss, 1e-6);
    mock_close(&ma);
    mock_close(&mb);
    cmt_tmpdir_remove(a);
    cmt_tmpdir_remove(b);
}

static void test_nan_stops_and_keeps_last_good(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    mock m;
    mock_open(&m);
    m.nan_at = 7;
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(dir, 20, &m, &st), CM_ERR_NUMERIC);
    assert_non_null(strstr(cm_errmsg(), "step 7"));
    assert_non_null(strstr(cm_errmsg(), "step_00000004"));
    assert_int_equal(st.step, 6);
    assert_int_equal(m.steps, 6); /* no update after the NaN */
    assert_true(exists(dir, "checkpoints/step_00000004/state.json"));
    assert_false(exists(dir, "checkpoints/step_00000007"));
    mock_close(&m);
    cmt_tmpdir_remove(dir);
}

static void test_interrupt_saves(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    cm_interrupt_install();
    mock m, m2;
    mock_open(&m);
    mock_open(&m2);
    m.interrupt_at = 5;
    cm_train_state st, st2;
    cm_train_state_init(&st);
    assert_int_equal(train(dir, 20, &m, &st), CM_ERR_INTERRUPTED);
    cm_interrupt_reset();
    assert_int_equal(st.step, 5);
    assert_true(exists(dir, "checkpoints/step_00000005/model.bin"));
    /* It continues from there. */
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m2, &st2, NULL, NULL), CM_OK);
    assert_int_equal(st2.step, 5);
    assert_memory_equal(m.w, m2.w, sizeof m.w);
    signal(SIGINT, SIG_DFL);
    mock_close(&m);
    mock_close(&m2);
    cmt_tmpdir_remove(dir);
}

/* Ctrl-C during an evaluation (the CI failure of session 4: SIGUSR1 landed
 * in one and nothing was saved): the step is saved, and the resumed run
 * evaluates it first, so that weights and the whole history are the
 * uninterrupted run's. */
static void test_interrupt_during_evaluation(void **state)
{
    (void)state;
    const char *a = cmt_tmpdir(), *b = cmt_tmpdir();
    mock ma, mb, mc;
    mock_open(&ma);
    mock_open(&mb);
    mock_open(&mc);
    cm_train_state sa, sb, sc;
    cm_train_state_init(&sa);
    cm_train_state_init(&sb);
    assert_int_equal(train(a, 14, &ma, &sa), CM_OK);
    mb.interrupt_eval_at = 8;
    assert_int_equal(train(b, 14, &mb, &sb), CM_ERR_INTERRUPTED);
    assert_non_null(strstr(cm_errmsg(), "during the evaluation at step 8; saved"));
    assert_true(exists(b, "checkpoints/step_00000008/model.bin"));
    assert_int_equal(cm_train_resume(b, &mock_ops, &mc, 5, &sc, NULL), CM_OK);
    assert_int_equal(sc.step, 8);
    assert_int_equal(train(b, 14, &mc, &sc), CM_OK);
    assert_memory_equal(ma.w, mc.w, sizeof ma.w);
    cm_evals ea, eb;
    assert_int_equal(cm_evals_read(a, &ea), CM_OK);
    assert_int_equal(cm_evals_read(b, &eb), CM_OK);
    assert_int_equal(ea.n_rows, eb.n_rows); /* 4, 8, 12, 14 */
    for (int r = 0; r < ea.n_rows; r++) {
        assert_float_equal(cm_evals_get(&ea, r, "step"), cm_evals_get(&eb, r, "step"), 0);
        assert_float_equal(cm_evals_get(&ea, r, "train_loss"), cm_evals_get(&eb, r, "train_loss"), 0);
        assert_float_equal(cm_evals_get(&ea, r, "eval_loss"), cm_evals_get(&eb, r, "eval_loss"), 0);
    }
    cm_evals_free(&ea);
    cm_evals_free(&eb);
    /* Resumed at its last step with the row present: nothing is evaluated again. */
    mock md;
    mock_open(&md);
    cm_train_state sd;
    assert_int_equal(cm_train_resume(b, &mock_ops, &md, 5, &sd, NULL), CM_OK);
    assert_int_equal(train(b, 14, &md, &sd), CM_OK);
    assert_int_equal(md.evals, 0);
    mock_close(&md);
    mock_close(&ma);
    mock_close(&mb);
    mock_close(&mc);
    cmt_tmpdir_remove(a);
    cmt_tmpdir_remove(b);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_damaged_checkpoints(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    mock m;
    mock_open(&m);
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "checkpoints"));
    assert_int_equal(train(dir, 4, &m, &st), CM_OK);
    char path[4096];
    /* The manifest names a file changed after the save, whatever changed. */
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/model.bin", dir);
    void *saved;
    size_t saved_len;
    assert_int_equal(cm_read_file(path, &saved, &saved_len), CM_OK);
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    int c = fgetc(f);
    fseek(f, 0, SEEK_SET);
    fputc(c ^ 1, f);
    fclose(f);
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "model.bin: CRC-32"));
    assert_int_equal(truncate(path, 1), 0);
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "model.bin: 1 bytes, the manifest says"));
    /* The rest checks state.json itself: a checkpoint from before manifests
     * (none) is read as it is. */
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/manifest.json", dir);
    assert_int_equal(unlink(path), 0);
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/model.bin", dir);
    assert_int_equal(cm_write_file_atomic(path, saved, saved_len), CM_OK);
    cm_free(saved);
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/state.json", dir);
    write_text(path, "{\"format\": \"cogmap checkpoint\", \"step\": -3}");
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "step"));
    assert_non_null(strstr(cm_errmsg(), "state.json"));
    write_text(path, "{\"format\": \"cogmap grid-cell checkpoint\", \"step\": 4, \"wall_seconds\": 1");
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    write_text(path, "{\"format\": \"cogmap weights\", \"step\": 4, \"wall_seconds\": 1, \"seed\": \"5\"}");
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "format"));
    /* The format of earlier versions is still read. */
    write_text(path, "{\"format\": \"cogmap grid-cell checkpoint\", \"step\": 4, \"wall_seconds\": 1, \"seed\": \"5\"}");
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_OK);
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/model.bin", dir);
    write_text(path, "short");
    assert_int_equal(cm_train_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "loading checkpoint"));
    snprintf(path, sizeof path, "%s/evals.csv", dir);
    write_text(path, "step,wall_seconds,train_loss,eval_loss,decoding_error,grid_fraction\n4,1,2,3\n");
    cm_evals e;
    assert_int_equal(cm_evals_read(dir, &e), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "line 2"));
    write_text(path, "step,wall_seconds\n4,x\n");
    assert_int_equal(cm_evals_read(dir, &e), CM_ERR_FORMAT);
    write_text(path, "wall_seconds,step\n1,4\n");
    assert_int_equal(cm_evals_read(dir, &e), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "line 1"));
    write_text(path, "step,wall_seconds,a,a\n");
    assert_int_equal(cm_evals_read(dir, &e), CM_ERR_FORMAT);
    /* a step no int64_t holds (found by the campaign: the writer's cast was undefined) */
    write_text(path, "step,wall_seconds\n1e88,1\n");
    assert_int_equal(cm_evals_read(dir, &e), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "integer 0..2^53"));
    write_text(path, "step,wall_seconds\n9007199254740992,1\n");
    assert_int_equal(cm_evals_read(dir, &e), CM_OK);
    cm_evals_free(&e);
    write_text(path, "");
    assert_int_equal(cm_evals_read(dir, &e), CM_ERR_FORMAT);
    mock_close(&m);
    cmt_tmpdir_remove(dir);
}

static void test_bad_config(void **state)
{
    (void)state;
    mock m;
    mock_open(&m);
    cm_train_state st;
    cm_train_state_init(&st);
    cm_train_config c = config("/tmp", 0); /* no limit at all */
    assert_int_equal(cm_train_run(&c, &mock_ops, &m, &st, NULL), CM_ERR_ARG);
    c = config("/tmp", 3);
    c.keep = 0;
    assert_int_equal(cm_train_run(&c, &mock_ops, &m, &st, NULL), CM_ERR_ARG);
    cm_train_job_ops lacking = mock_ops;
    lacking.update = NULL;
    c = config("/tmp", 3);
    assert_int_equal(cm_train_run(&c, &lacking, &m, &st, NULL), CM_ERR_ARG);
    const char *dir = cmt_tmpdir();
    c = config(dir, 4);
    c.best = "accuracy";
    assert_int_equal(cm_train_run(&c, &mock_ops, &m, &st, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "accuracy"));
    cmt_tmpdir_remove(dir);
    mock_close(&m);
}

/* Scripted grid fractions for the best-checkpoint criteria. */
static const double g_fractions[] = {0.1, 0.3, 0.05, 0.2};

static int64_t best_step_with(double goal_fraction, double goal_error, int by_grid)
{
    const char *dir = cmt_tmpdir();
    mock m;
    mock_open(&m);
    m.fractions = g_fractions;
    cm_train_state st;
    cm_train_state_init(&st);
    cm_train_config c = config(dir, 16);
    cm_grid_goal goal = {goal_fraction, goal_error};
    if (by_grid)
        c.best = "grid_fraction";
    if (goal_fraction > 0) {
        c.rank = cm_grid_goal_rank;
        c.rank_ctx = &goal;
    }
    assert_int_equal(cm_train_run(&c, &mock_ops, &m, &st, NULL), CM_OK);
    assert_int_equal(m.evals, 4);
    mock_close(&m);
    cmt_tmpdir_remove(dir);
    return st.best_step;
}

/* --best goal keeps the checkpoint nearest to both goals: with decoding far
 * from its goal (error 0.01 vs 0.004: 40% met) the grid fraction cannot lift
 * a checkpoint above the first one that met 40% of its own goal; with decoding
 * met, it ranks by grid fraction as --best grid does. */
static void test_best_by_goal(void **state)
{
    (void)state;
    assert_int_equal(best_step_with(0, 0, 1), 8);      /* --best grid: 0.3 at step 8 */
    assert_int_equal(best_step_with(0.2, 1.0, 0), 8);  /* decoding met: 1.5 at step 8 */
    assert_int_equal(best_step_with(0.2, 0.004, 0), 4); /* min(g, 0.4) ties at 0.4: the first kept */
    assert_int_equal(best_step_with(0.2, 0.0075, 0), 8); /* min(1.5, 0.75) at 8 beats min(0.5, 0.75) */
}

/* What a killed save leaves beside the checkpoints' names is put in order
 * by the next resume: a checkpoint moved aside for a replacement that never
 * arrived comes back, leftovers of unfinished saves go. */
static void test_resume_tidies_a_killed_save(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    mock m;
    mock_open(&m);
    cm_train_state st;
    cm_train_state_init(&st);
    assert_int_equal(train(dir, 8, &m, &st), CM_OK);
    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/checkpoints/best", dir);
    snprintf(b, sizeof b, "%s/checkpoints/.old-best", dir);
    assert_int_equal(rename(a, b), 0); /* killed between the two renames */
    snprintf(a, sizeof a, "%s/checkpoints/.tmp-step_00000012", dir);
    assert_int_equal(cm_mkdir_p(a), CM_OK); /* killed while writing step 12 */
    snprintf(a, sizeof a, "%s/checkpoints/.tmp-step_00000012/model.bin", dir);
    assert_int_equal(cm_write_file_atomic(a, "half", 4), CM_OK);
    mock m2;
    mock_open(&m2);
    cm_train_state s2;
    char loaded[4096];
    assert_int_equal(cm_train_resume(dir, &mock_ops, &m2, 5, &s2, loaded), CM_OK);
    assert_int_equal(s2.step, 8);
    assert_true(exists(dir, "checkpoints/best/state.json"));
    assert_false(exists(dir, "checkpoints/.old-best"));
    assert_false(exists(dir, "checkpoints/.tmp-step_00000012"));
    /* both names present (killed before the old one was removed): the old goes */
    snprintf(a, sizeof a, "%s/checkpoints/.old-best", dir);
    assert_int_equal(cm_mkdir_p(a), CM_OK);
    assert_int_equal(cm_train_resume(dir, &mock_ops, &m2, 5, &s2, loaded), CM_OK);
    assert_false(exists(dir, "checkpoints/.old-best"));
    assert_true(exists(dir, "checkpoints/best/state.json"));
    mock_close(&m2);
    mock_close(&m);
    cmt_tmpdir_remove(dir);
}

/* A run stopped before its first checkpoint resumes from step 0 and ends
 * as an uninterrupted run does. */
static void test_resume_before_the_first_checkpoint(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir(), *ref = cmt_tmpdir();
    mock m;
    mock_open(&m);
    cm_train_state st;
    char loaded[4096] = "x";
    assert_int_equal(cm_train_resume(dir, &mock_ops, &m, 5, &st, loaded), CM_OK); /* no checkpoints folder */
    assert_int_equal(st.step, 0);
    assert_int_equal(st.best_step, -1);
    assert_string_equal(loaded, "");
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoints", dir);
    assert_int_equal(cm_mkdir_p(path), CM_OK); /* an empty one */
    assert_int_equal(cm_train_resume(dir, &mock_ops, &m, 5, &st, loaded), CM_OK);
    assert_int_equal(st.step, 0);
    assert_int_equal(train(dir, 6, &m, &st), CM_OK);
    mock r;
    mock_open(&r);
    cm_train_state rs;
    cm_train_state_init(&rs);
    assert_int_equal(train(ref, 6, &r, &rs), CM_OK);
    assert_memory_equal(m.w, r.w, sizeof m.w);
    snprintf(path, sizeof path, "%s/none", dir);
    assert_int_equal(cm_train_resume(path, &mock_ops, &m, 5, &st, loaded), CM_ERR_IO); /* no run folder at all */
    mock_close(&r);
    mock_close(&m);
    cmt_tmpdir_remove(dir);
    cmt_tmpdir_remove(ref);
}

/* One run, one writer: while another process holds the run's lock, the
 * trainer and the resume are refused naming it. */
static void test_second_trainer_refused(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(fds[0]);
        cm_lockfile *l;
        char ok = cm_run_lock(dir, &l) == CM_OK ? 'y' : 'n';
        if (write(fds[1], &ok, 1) != 1)
            _exit(1);
        for (;;)
            pause();
    }
    close(fds[1]);
    char ok = 0;
    assert_int_equal(read(fds[0], &ok, 1), 1);
    close(fds[0]);
    assert_int_equal(ok, 'y');
    mock m;
    mock_open(&m);
    cm_train_state st;
    cm_train_state_init(&st);
    char want[64], loaded[4096];
    snprintf(want, sizeof want, "in use by process %ld", (long)pid);
    assert_int_equal(train(dir, 4, &m, &st), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), want));
    assert_int_equal(cm_train_resume(dir, &mock_ops, &m, 5, &st, loaded), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), want));
    assert_false(exists(dir, "checkpoints"));
    kill(pid, SIGKILL);
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_int_equal(train(dir, 4, &m, &st), CM_OK); /* the lock went with its holder */
    mock_close(&m);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoints_and_history), cmocka_unit_test(test_metrics_columns),
        cmocka_unit_test(test_best_by_goal),           cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_shards_sum_to_the_batch), cmocka_unit_test(test_nan_stops_and_keeps_last_good),
        cmocka_unit_test(test_interrupt_saves),        cmocka_unit_test(test_interrupt_during_evaluation),
        cmocka_unit_test(test_damaged_checkpoints),
        cmocka_unit_test(test_bad_config),             cmocka_unit_test(test_resume_tidies_a_killed_save),
        cmocka_unit_test(test_resume_before_the_first_checkpoint), cmocka_unit_test(test_second_trainer_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
