/* The timed loops behind `cogmap bench motion`, `bench targets` and `bench render`
 * (cogmap/bench.h): they run and report positive rates, the render loop's
 * checksum is a pure function of its arguments (same seed, same pixels; the
 * maze's targets change them), the trainer's steps run on tiny jobs, the
 * BEV predictor's on a batch of 2, and bad presets or sizes are refused as
 * arguments before any work. No timing is asserted. */
#include "test_util.h"

#include <math.h>
#include <string.h>

#include "cogmap/bench.h"

static void test_motion(void **state)
{
    (void)state;
    cm_bench_motion_result r;
    assert_int_equal(cm_bench_motion("box", "sorscher", 4, 50, 2, 1, 3, &r), CM_OK);
    assert_true(r.wall > 0 && r.cpu > 0);
    assert_int_equal(r.threads, 1);
    assert_true(r.threaded_wall == 0);
    assert_int_equal(cm_bench_motion("box", "banino", 2, 20, 1, 2, 3, &r), CM_OK);
    assert_int_equal(r.threads, 2);
    assert_true(r.threaded_wall > 0);
    assert_int_equal(cm_bench_motion("nowhere", "sorscher", 4, 50, 1, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_motion("box", "nobody", 4, 50, 1, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_motion("box", "sorscher", 0, 50, 1, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_motion("box", "sorscher", 4, 50, 0, 1, 3, &r), CM_ERR_ARG);
    cm_set_threads(1);
}

static void test_targets(void **state)
{
    (void)state;
    cm_bench_targets_result r;
    assert_int_equal(cm_bench_targets(1024, 0.6f, 1, 0.0062f, 64, 2, 3, &r), CM_OK);
    assert_true(r.reference_rows_per_s > 0 && r.fast_rows_per_s > 0);
    /* Other rounding, the same targets (test_cells_targets.c has the tolerances' reasons). */
    assert_true(r.max_rel_diff > 0 && r.max_rel_diff < 1e-4);
    assert_int_equal(cm_bench_targets(256, 0.5f, 0, 0.0f, 16, 1, 3, &r), CM_OK);
    assert_true(r.max_rel_diff < 1e-4);
    assert_int_equal(cm_bench_targets(0, 0.6f, 1, 0.0062f, 64, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_targets(64, -1.0f, 1, 0.0062f, 64, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_targets(64, 0.6f, 1, -1.0f, 64, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_targets(64, 0.6f, 1, 0.0062f, 0, 1, 3, &r), CM_ERR_ARG);
    cm_set_threads(1);
}

static void test_render(void **state)
{
    (void)state;
    cm_bench_render_result a, b, c;
    assert_int_equal(cm_bench_render(NULL, 9, 16, 300, 5, &a), CM_OK);
    assert_true(a.wall_s > 0 && a.cpu_s > 0);
    assert_true(a.checksum > 0);
    assert_int_equal(cm_bench_render(NULL, 9, 16, 300, 5, &b), CM_OK);
    assert_true(a.checksum == b.checksum);
    assert_int_equal(cm_bench_render(NULL, 11, 16, 300, 5, &c), CM_OK);
    assert_true(c.checksum != a.checksum);
    assert_int_equal(cm_bench_render("box", 0, 16, 300, 5, &c), CM_OK);
    assert_string_equal(c.arena, "box");
    assert_true(c.checksum != a.checksum);
    assert_int_equal(cm_bench_render("nowhere", 0, 16, 10, 5, &c), CM_ERR_ARG);
    assert_int_equal(cm_bench_render(NULL, 4, 16, 10, 5, &c), CM_ERR_ARG);
    assert_int_equal(cm_bench_render(NULL, 10, 16, 10, 5, &c), CM_ERR_ARG);
    assert_int_equal(cm_bench_render(NULL, 9, 7, 10, 5, &c), CM_ERR_ARG);
    assert_int_equal(cm_bench_render(NULL, 9, 16, 0, 5, &c), CM_ERR_ARG);
}

/* A few steps of tiny grid and SMP jobs through the trainer: the job's
 * shape comes back (batch after --set, parameters, FLOPs for grid only), the
 * loss is finite, the scratch folder is gone; bad model, preset or setting
 * refused before anything runs. */
static void test_bev(void **state)
{
    (void)state;
    cm_bench_bev_result r;
    assert_int_equal(cm_bench_bev("bev-small", 2, 1, 3, &r), CM_OK);
    assert_int_equal(r.batch, 2);
    assert_true(r.steps == 1 && r.n_params > 0 && isfinite(r.final_loss) && r.final_loss > 0);
    assert_true(r.train_wall_s > 0 && r.infer_wall_s > 0 && r.train_cpu_s >= 0 && r.infer_cpu_s >= 0);
    assert_true(r.train_state_bytes > r.infer_state_bytes && r.infer_state_bytes > 0);
    assert_int_equal(cm_bench_bev("nope", 2, 1, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_bev("bev-small", 2, 0, 3, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_bev("bev-small", -1, 1, 3, &r), CM_ERR_ARG);
}

static void test_train(void **state)
{
    (void)state;
    const char *grid[] = {"hidden=12", "bottleneck=16", "batch=4", "steps=10"};
    const char *smp[] = {"slots=24", "batch=3", "seq_len=8", "ae_steps=2", "image=32", "hidden2=16", "hidden3=16",
                         "embed=16"};
    cm_bench_train_result r;
    cm_set_threads(1);
    assert_int_equal(cm_bench_train("grid", "ssmpc", grid, 4, 2, 1, &r), CM_OK);
    assert_int_equal(r.batch, 4);
    assert_true(r.n_params > 0 && r.step_flops > 0 && r.seconds > 0);
    assert_true(isfinite(r.final_loss));
    assert_string_equal(r.scratch_left, "");
    assert_int_equal(cm_bench_train("smp", NULL, smp, 8, 2, 1, &r), CM_OK);
    assert_int_equal(r.batch, 3);
    assert_true(r.n_params > 0 && r.step_flops == 0);
    assert_true(isfinite(r.final_loss));
    assert_int_equal(cm_bench_train("policy", "ssmpc", NULL, 0, 2, 1, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_train("grid", "nonesuch", NULL, 0, 2, 1, &r), CM_ERR_ARG);
    const char *bad[] = {"hidden=0"};
    assert_int_equal(cm_bench_train("grid", "ssmpc", bad, 1, 2, 1, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_train("grid", "ssmpc", grid, 4, 0, 1, &r), CM_ERR_ARG);
}

/* `bench train` of a path-integration preset: the shapes asked for come back,
 * the loss is the same bits for the same seed (another seed, another loss),
 * the model's bytes add up and the rates are positive; an unknown preset is
 * refused naming it, a negative count before anything runs. */
static void test_pathint(void **state)
{
    (void)state;
    cm_set_threads(1);
    cm_bench_pathint_result r, again, other;
    assert_int_equal(cm_bench_pathint("ssmpc", 2, 5, 12, 2, 3, &r), CM_OK);
    assert_true(r.batch == 2 && r.seq_len == 5 && r.hidden == 12 && r.steps == 2 && r.threads == 1);
    assert_true(isfinite(r.final_loss) && r.final_loss > 0);
    assert_true(r.seconds > 0 && r.steps_per_s > 0 && r.step_flops > 0 && r.gflops > 0 && r.sgemm_gflops > 0);
    assert_true(fabs(r.gflops - r.steps_per_s * r.step_flops * 1e-9) <= 1e-9 * r.gflops);
    assert_true(fabs(r.sgemm_share - r.gflops / r.sgemm_gflops) < 1e-12);
    assert_true(r.param_bytes > 0 && r.optim_bytes > 0 && r.activation_bytes > 0);
    assert_true(r.model_bytes == r.param_bytes + r.optim_bytes + r.activation_bytes);
    assert_true(r.peak_rss >= r.baseline_rss && r.baseline_rss > 0);
    assert_int_equal(cm_bench_pathint("ssmpc", 2, 5, 12, 2, 3, &again), CM_OK);
    assert_true(again.final_loss == r.final_loss);
    assert_int_equal(cm_bench_pathint("ssmpc", 2, 5, 12, 2, 4, &other), CM_OK);
    assert_true(other.final_loss != r.final_loss);
    /* 0: the preset's shapes and steps (sorscher: 3 steps by default) */
    assert_int_equal(cm_bench_pathint("sorscher", 2, 3, 8, 0, 1, &r), CM_OK);
    assert_true(r.steps == 3 && r.batch == 2);
    assert_int_equal(cm_bench_pathint("nope", 0, 0, 0, 1, 1, &r), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "nope"));
    assert_int_equal(cm_bench_pathint("ssmpc", -1, 0, 0, 1, 1, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_pathint("ssmpc", 2, 3, 8, -1, 1, &r), CM_ERR_ARG);
    assert_int_equal(cm_bench_pathint(NULL, 2, 3, 8, 1, 1, &r), CM_ERR_ARG);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_motion),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_render),
        cmocka_unit_test(test_bev),
        cmocka_unit_test(test_train),
        cmocka_unit_test(test_pathint),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
