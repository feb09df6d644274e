/* The grid-cell training loop with a small stand-in model (a linear read-out
 * of the batch's inputs trained by SGD): checkpoints kept and pruned, resume
 * bit-identical to an uninterrupted run, the stop on NaN keeping the last good
 * checkpoint, Ctrl-C saving, and clear errors for damaged checkpoints. The
 * real networks go through the same loop in test_gridrun_net.c. */
#include "test_util.h"

#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/gridrun.h"
#include "cogmap/io.h"

typedef struct mock {
    float w[6];
    int64_t steps;
    int64_t nan_at;       /* step (1-based) whose loss is NaN; 0 never */
    int64_t interrupt_at; /* step after which SIGINT is raised; 0 never */
} mock;

static int mock_units(void *m)
{
    (void)m;
    return 3;
}

/* Predicts each target position as a linear map of the step's inputs. */
static double mock_forward(const mock *m, const cm_grid_batch *b, float *grad)
{
    const int n = b->batch * b->steps;
    double loss = 0;
    if (grad)
        memset(grad, 0, 6 * sizeof(float));
    for (int i = 0; i < n; i++) {
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

static cm_status mock_train_step(void *model, const cm_grid_batch *b, cm_rng *rng, double *loss, double *err)
{
    mock *m = model;
    float g[6];
    *loss = mock_forward(m, b, g);
    /* The dropout-like noise comes from the step's own stream. */
    float noise = (float)cm_rng_normal(rng) * 1e-3f;
    for (int k = 0; k < 6; k++)
        m->w[k] -= 0.5f * g[k] + noise;
    m->steps++;
    if (m->nan_at && m->steps == m->nan_at)
        *loss = NAN;
    if (m->interrupt_at && m->steps == m->interrupt_at)
        raise(SIGINT);
    *err = sqrt(*loss);
    return CM_OK;
}

static cm_status mock_evaluate(void *model, const cm_grid_batch *b, float *units, float *decoded, double *loss)
{
    mock *m = model;
    *loss = mock_forward(m, b, NULL);
    const int n = b->batch * b->steps;
    for (int i = 0; i < n; i++) {
        if (units)
            for (int u = 0; u < 3; u++)
                units[i * 3 + u] = m->w[u] * b->inputs[i * b->in_dim];
        if (decoded) {
            decoded[2 * i] = b->pos[2 * i] + 0.01f;
            decoded[2 * i + 1] = b->pos[2 * i + 1];
        }
    }
    return CM_OK;
}

static cm_status mock_save(void *model, const char *dir)
{
    char path[4096];
    cm_path_join(path, sizeof path, dir, "model.bin");
    mock *m = model;
    return cm_write_file_atomic(path, m, sizeof m->w + sizeof m->steps);
}

static cm_status mock_load(void *model, const char *dir)
{
    char path[4096];
    cm_path_join(path, sizeof path, dir, "model.bin");
    void *data;
    size_t len;
    cm_status st = cm_read_file(path, &data, &len);
    if (st != CM_OK)
        return st;
    mock *m = model;
    if (len != sizeof m->w + sizeof m->steps) {
        cm_free(data);
        return cm_error(CM_ERR_FORMAT, "%s: expected %zu bytes, got %zu", path, sizeof m->w + sizeof m->steps, len);
    }
    memcpy(m, data, len);
    cm_free(data);
    return CM_OK;
}

static const cm_grid_model_ops mock_ops = {mock_units, mock_train_step, mock_evaluate, mock_save, mock_load};

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

static double g_scored;
static cm_status fake_score(void *ctx, const float *units, const float *pos, int64_t n, int n_units, double *frac)
{
    (void)ctx;
    (void)pos;
    assert_int_equal(n_units, 3);
    assert_int_equal(n, 2 * 4 * 5); /* eval_batches x batch x steps */
    g_scored = units[0];
    *frac = 0.25;
    return CM_OK;
}

static cm_grid_train_config config(const char *out, int64_t steps)
{
    cm_grid_train_config c = {.out = out, .batch = 4, .steps = steps, .eval_every = 4, .keep = 2, .eval_batches = 2,
                              .seed = 5, .score = fake_score};
    return c;
}

static cm_status train(const char *out, int64_t steps, mock *m, cm_grid_run_state *st)
{
    cm_grid_source tr, ev;
    assert_int_equal(cm_grid_source_init_paths(&tr, CM_GRID_INPUT_VXVYW, 5, 5, walk, NULL), CM_OK);
    assert_int_equal(cm_grid_source_init_paths(&ev, CM_GRID_INPUT_VXVYW, 5, 5, walk, NULL), CM_OK);
    cm_grid_train_config c = config(out, steps);
    cm_status s = cm_grid_train(&c, &mock_ops, m, &tr, &ev, st, NULL);
    cm_grid_source_free(&tr);
    cm_grid_source_free(&ev);
    return s;
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
    mock m = {0};
    cm_grid_run_state st = {.best_step = -1};
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
    assert_float_equal(rows[1].decoding_error, 0.01, 1e-4);
    assert_true(rows[6].eval_loss < rows[0].eval_loss); /* it learns */
    cm_free(rows);
    int64_t *steps;
    assert_int_equal(cm_grid_checkpoint_list(dir, &steps, &n), CM_OK);
    assert_int_equal(n, 5);
    assert_int_equal(steps[2], 16);
    cm_free(steps);
    cmt_tmpdir_remove(dir);
}

static void test_resume_is_exact(void **state)
{
    (void)state;
    const char *a = cmt_tmpdir(), *b = cmt_tmpdir();
    mock ma = {0}, mb = {0}, mc = {0};
    cm_grid_run_state sa = {.best_step = -1}, sb = {.best_step = -1}, sc = {.best_step = -1};
    assert_int_equal(train(a, 13, &ma, &sa), CM_OK);
    assert_int_equal(train(b, 6, &mb, &sb), CM_OK);
    /* A fresh process: the model and state come from the newest checkpoint. */
    uint64_t seed = 0;
    char loaded[4096];
    assert_int_equal(cm_grid_checkpoint_load(b, &mock_ops, &mc, &sc, &seed, loaded), CM_OK);
    assert_int_equal(sc.step, 6);
    assert_true(seed == 5);
    assert_non_null(strstr(loaded, "step_00000006"));
    assert_int_equal(train(b, 13, &mc, &sc), CM_OK);
    assert_int_equal(sc.step, 13);
    assert_memory_equal(ma.w, mc.w, sizeof ma.w);
    cmt_tmpdir_remove(a);
    cmt_tmpdir_remove(b);
}

static void test_nan_stops_and_keeps_last_good(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    mock m = {.nan_at = 7, .steps = 0};
    cm_grid_run_state st = {.best_step = -1};
    assert_int_equal(train(dir, 20, &m, &st), CM_ERR_NUMERIC);
    assert_non_null(strstr(cm_errmsg(), "step 7"));
    assert_non_null(strstr(cm_errmsg(), "step_00000004"));
    assert_int_equal(st.step, 6);
    assert_true(exists(dir, "checkpoints/step_00000004/state.json"));
    assert_false(exists(dir, "checkpoints/step_00000007"));
    cmt_tmpdir_remove(dir);
}

static void test_interrupt_saves(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    cm_interrupt_install();
    mock m = {.interrupt_at = 5, .steps = 0};
    cm_grid_run_state st = {.best_step = -1};
    assert_int_equal(train(dir, 20, &m, &st), CM_ERR_INTERRUPTED);
    cm_interrupt_reset();
    assert_int_equal(st.step, 5);
    assert_true(exists(dir, "checkpoints/step_00000005/model.bin"));
    /* It continues from there. */
    mock m2 = {0};
    cm_grid_run_state st2;
    assert_int_equal(cm_grid_checkpoint_load(dir, &mock_ops, &m2, &st2, NULL, NULL), CM_OK);
    assert_int_equal(st2.step, 5);
    assert_memory_equal(m.w, m2.w, sizeof m.w);
    signal(SIGINT, SIG_DFL);
    cmt_tmpdir_remove(dir);
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
    mock m = {0};
    cm_grid_run_state st = {.best_step = -1};
    assert_int_equal(cm_grid_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_IO);
    assert_non_null(strstr(cm_errmsg(), "checkpoints"));
    assert_int_equal(train(dir, 4, &m, &st), CM_OK);
    char path[4096];
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/state.json", dir);
    write_text(path, "{\"format\": \"cogmap grid-cell checkpoint\", \"step\": -3}");
    assert_int_equal(cm_grid_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "step"));
    assert_non_null(strstr(cm_errmsg(), "state.json"));
    write_text(path, "{\"format\": \"cogmap grid-cell checkpoint\", \"step\": 4, \"wall_seconds\": 1");
    assert_int_equal(cm_grid_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    write_text(path, "{\"format\": \"cogmap grid-cell checkpoint\", \"step\": 4, \"wall_seconds\": 1, \"seed\": \"5\"}");
    snprintf(path, sizeof path, "%s/checkpoints/step_00000004/model.bin", dir);
    write_text(path, "short");
    assert_int_equal(cm_grid_checkpoint_load(dir, &mock_ops, &m, &st, NULL, NULL), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "loading checkpoint"));
    snprintf(path, sizeof path, "%s/evals.csv", dir);
    write_text(path, "step,wall_seconds,train_loss,eval_loss,decoding_error,grid_fraction\n4,1,2,3\n");
    cm_grid_eval_row *rows;
    int n;
    assert_int_equal(cm_grid_evals_read(dir, &rows, &n), CM_ERR_FORMAT);
    assert_non_null(strstr(cm_errmsg(), "line 2"));
    cmt_tmpdir_remove(dir);
}

static void test_bad_config(void **state)
{
    (void)state;
    mock m = {0};
    cm_grid_run_state st = {.best_step = -1};
    cm_grid_source tr;
    assert_int_equal(cm_grid_source_init_paths(&tr, CM_GRID_INPUT_VXVYW, 5, 5, walk, NULL), CM_OK);
    cm_grid_train_config c = config("/tmp", 0); /* no limit at all */
    assert_int_equal(cm_grid_train(&c, &mock_ops, &m, &tr, &tr, &st, NULL), CM_ERR_ARG);
    c = config("/tmp", 3);
    c.keep = 0;
    assert_int_equal(cm_grid_train(&c, &mock_ops, &m, &tr, &tr, &st, NULL), CM_ERR_ARG);
    cm_grid_source_free(&tr);
}


/* Scripted grid fractions for the best-checkpoint criteria. */
static const double g_fractions[] = {0.1, 0.3, 0.05, 0.2};
static int g_calls;
static cm_status scripted_score(void *ctx, const float *units, const float *pos, int64_t n, int n_units, double *frac)
{
    (void)ctx;
    (void)units;
    (void)pos;
    (void)n;
    (void)n_units;
    *frac = g_fractions[g_calls++ % 4];
    return CM_OK;
}

static int64_t best_step_with(double goal_fraction, double goal_error, int by_grid)
{
    const char *dir = cmt_tmpdir();
    mock m = {0};
    cm_grid_run_state st = {.best_step = -1};
    cm_grid_source tr, ev;
    assert_int_equal(cm_grid_source_init_paths(&tr, CM_GRID_INPUT_VXVYW, 5, 5, walk, NULL), CM_OK);
    assert_int_equal(cm_grid_source_init_paths(&ev, CM_GRID_INPUT_VXVYW, 5, 5, walk, NULL), CM_OK);
    cm_grid_train_config c = config(dir, 16);
    c.score = scripted_score;
    c.best_by_grid = by_grid;
    c.goal_fraction = goal_fraction;
    c.goal_error = goal_error;
    g_calls = 0;
    assert_int_equal(cm_grid_train(&c, &mock_ops, &m, &tr, &ev, &st, NULL), CM_OK);
    assert_int_equal(g_calls, 4);
    cm_grid_source_free(&tr);
    cm_grid_source_free(&ev);
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_checkpoints_and_history),
        cmocka_unit_test(test_best_by_goal), cmocka_unit_test(test_resume_is_exact),
        cmocka_unit_test(test_nan_stops_and_keeps_last_good), cmocka_unit_test(test_interrupt_saves),
        cmocka_unit_test(test_damaged_checkpoints), cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
