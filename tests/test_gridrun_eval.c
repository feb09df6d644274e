/* Evaluation of a run's units: rate maps accumulated over batches, gridness of
 * each unit, decoding error, and the figures (PNG) and emergence GIF, with a
 * stand-in model whose units are known functions of position. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/plot.h"
#include "cogmap/io.h"

/* Unit 0: a hexagonal grid of spacing 5 (ssm-pc.md §5 hex(5)); unit 1: a
 * square grid; unit 2: noise. Decoded positions are off in x by 0.1 + 0.01 t
 * at step t of a path: a drift the step-by-step error must show. */
static cm_status m_evaluate(void *model, const cm_grid_batch *b, float *units, float *decoded, double *loss)
{
    (void)model;
    const double k = 4 * M_PI / (sqrt(3.0) * 5.0);
    cm_rng r;
    cm_rng_seed(&r, 99, (uint64_t)(b->pos[0] * 1e6));
    for (int i = 0; i < b->batch * b->steps; i++) {
        double x = b->pos[2 * i], y = b->pos[2 * i + 1], h = 0;
        for (int j = 0; j < 3; j++) {
            double phi = 0.2 + j * M_PI / 3;
            h += cos(k * ((x - 0.3) * cos(phi) + (y - 0.7) * sin(phi)));
        }
        if (units) {
            units[3 * i] = (float)h;
            units[3 * i + 1] = (float)(cos(2 * M_PI * x / 5) + cos(2 * M_PI * y / 5));
            units[3 * i + 2] = (float)cm_rng_double(&r);
        }
        if (decoded) {
            decoded[2 * i] = b->pos[2 * i] + 0.1f + 0.01f * (float)(i % b->steps);
            decoded[2 * i + 1] = b->pos[2 * i + 1];
        }
    }
    *loss = 1.0;
    return CM_OK;
}

static const cm_grid_map_spec ssmpc_map = {40, 0.0, 15.0, 1};

/* Uniform positions over [0, 15]^2 (covering every bin). */
static void scatter(void *ctx, cm_rng *rng, int steps, float *pos, float *theta)
{
    (void)ctx;
    for (int t = 0; t <= steps; t++) {
        pos[2 * t] = (float)cm_rng_uniform(rng, 0, 15);
        pos[2 * t + 1] = (float)cm_rng_uniform(rng, 0, 15);
        theta[t] = 0;
    }
}

static void test_evaluate_and_figures(void **state)
{
    (void)state;
    cm_grid_source src;
    assert_int_equal(cm_grid_source_init_paths(&src, CM_GRID_INPUT_VXVYW, 50, 1, scatter, NULL), CM_OK);
    cm_grid_batch b;
    assert_int_equal(cm_grid_batch_alloc(&b, 20, 50, 3), CM_OK);
    cm_grid_evaluation ev;
    assert_int_equal(cm_grid_evaluate(m_evaluate, NULL, 3, &src, &b, &ssmpc_map, 48000, 2, 0, &ev, NULL), CM_OK);
    assert_int_equal(ev.samples, 48000);
    assert_int_equal(ev.nbins, 40);
    assert_int_equal(ev.sac_size, 79);
    /* The mean leaves out the first step (t >= 1): 0.1 + 0.01 * mean(1..49) = 0.35. */
    assert_float_equal(ev.decoding_error, 0.35, 1e-5);
    for (int t = 0; t < 50; t++)
        assert_float_equal(ev.decoding_error_by_step[t], 0.1 + 0.01 * t, 1e-5);
    assert_true(ev.results[0].score60 > 1.0);
    assert_true(ev.results[1].score60 < 0.3);
    assert_true(ev.results[1].score90 > 1.0);
    assert_true(ev.results[2].score60 < 0.3);
    assert_float_equal(ev.grid_fraction, 1.0 / 3, 1e-12);
    /* The map is the mean per bin: bin (0, 0) covers [0, 0.375)^2. */
    assert_true(fabs(ev.maps[0] - ev.maps[1]) < 3.5);
    assert_int_equal(ev.n_paths, 4);

    /* The scorer used by periodic evaluations agrees on the same samples. */
    cm_grid_scorer sc;
    assert_int_equal(cm_grid_scorer_init(&sc, &ssmpc_map, 3, 1000), CM_OK);
    float units[3000], pos[2000];
    assert_int_equal(cm_grid_source_fill(&src, 2, 0, &b), CM_OK);
    assert_int_equal(m_evaluate(NULL, &b, units, NULL, &(double){0}), CM_OK);
    double frac = -1;
    assert_int_equal(cm_grid_scorer_run(&sc, units, b.pos, 1000), CM_OK);
    frac = cm_grid_scorer_fraction(&sc, 0.3);
    assert_true(frac >= 0 && frac <= 1);
    assert_int_equal(cm_grid_scorer_run(&sc, units, pos, 1001), CM_ERR_ARG);
    cm_grid_scorer_free(&sc);

    const char *dir = cmt_tmpdir();
    char path[4096], gif[4096];
    cm_image img;
    snprintf(path, sizeof path, "%s/units.png", dir);
    assert_int_equal(cm_grid_fig_units(path, &ev, 3), CM_OK);
    assert_int_equal(cm_png_read(path, &img), CM_OK);
    assert_true(img.width > 300 && img.height > 200);
    cm_image_free(&img);
    snprintf(path, sizeof path, "%s/hist.png", dir);
    assert_int_equal(cm_grid_fig_histogram(path, &ev, &ev), CM_OK);
    snprintf(path, sizeof path, "%s/paths.png", dir);
    assert_int_equal(cm_grid_fig_paths(path, &ev, "grid units"), CM_OK);
    cm_grid_eval_row rows[3] = {{100, 1, 2, 2, 3, 0.1}, {200, 2, 1, 1, 1, 0.2}, {300, 3, 1, 1, 0.5, NAN}};
    snprintf(path, sizeof path, "%s/training.png", dir);
    assert_int_equal(cm_grid_fig_training(path, rows, 3), CM_OK);
    assert_int_equal(cm_grid_fig_training(path, rows, 0), CM_ERR_ARG);
    const cm_grid_evaluation *stages[2] = {&ev, &ev};
    const int64_t steps[2] = {0, 500};
    const int chosen[2] = {0, 2};
    snprintf(path, sizeof path, "%s/emergence.png", dir);
    snprintf(gif, sizeof gif, "%s/emergence.gif", dir);
    assert_int_equal(cm_grid_fig_emergence(path, gif, stages, steps, 2, chosen, 2), CM_OK);
    assert_int_equal(cm_png_read(path, &img), CM_OK);
    cm_image_free(&img);
    void *data;
    size_t len;
    assert_int_equal(cm_read_file(gif, &data, &len), CM_OK);
    assert_true(len > 100);
    assert_memory_equal(data, "GIF89a", 6);
    assert_int_equal(((const uint8_t *)data)[len - 1], 0x3b); /* trailer */
    cm_free(data);
    cmt_tmpdir_remove(dir);

    /* no shuffle test asked: none reported; the hex unit alone counts for the periods:
     * a period of 5 units is 40 / 15 * 5 = 13.3 bins, 3 periods across the 40 bins */
    assert_null(ev.shuffle95);
    assert_true(isnan(ev.grid_fraction_shuffle));
    assert_float_equal(ev.grid_periods_across, 3.0, 0.3);
    cm_grid_evaluation_free(&ev);
    assert_int_equal(cm_grid_evaluate(m_evaluate, NULL, 3, &src, &b, &ssmpc_map, 0, 2, 0, &ev, NULL), CM_ERR_ARG);

    /* The shuffle test: the hex and square units beat their own time-shifted
     * nulls, the noise unit does not; a negative count is refused. */
    assert_int_equal(cm_grid_evaluate(m_evaluate, NULL, 3, &src, &b, &ssmpc_map, 12000, 2, 20, &ev, NULL), CM_OK);
    assert_non_null(ev.shuffle95);
    assert_int_equal(ev.shuffles, 20);
    assert_int_equal(ev.min_shift, 12000 / 50);
    assert_true(ev.results[0].score60 > ev.shuffle99[0]);
    assert_true(ev.shuffle95[2] < 0.5);
    assert_true(ev.shuffle99[0] >= ev.shuffle95[0]);
    assert_true(ev.grid_fraction_shuffle >= 1.0 / 3 - 1e-12 && ev.grid_fraction_shuffle <= 1.0);
    cm_grid_evaluation_free(&ev);
    assert_int_equal(cm_grid_evaluate(m_evaluate, NULL, 3, &src, &b, &ssmpc_map, 60, 2, -1, &ev, NULL), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "shuffles"));
    cm_grid_batch_free(&b);
    cm_grid_source_free(&src);
}

static void test_gif_arguments(void **state)
{
    (void)state;
    uint8_t px[2 * 2 * 3] = {255, 0, 0, 0, 255, 0, 0, 0, 255, 128, 128, 128};
    const uint8_t *frames[1] = {px};
    const char *dir = cmt_tmpdir();
    char path[4096];
    snprintf(path, sizeof path, "%s/a.gif", dir);
    assert_int_equal(cm_gif_write(path, frames, 1, 2, 2, 10), CM_OK);
    assert_int_equal(cm_gif_write(path, frames, 0, 2, 2, 10), CM_ERR_ARG);
    assert_int_equal(cm_gif_write(path, frames, 1, 2, 2, -1), CM_ERR_ARG);
    assert_int_equal(cm_gif_write("/nonexistent/dir/a.gif", frames, 1, 2, 2, 10), CM_ERR_IO);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluate_and_figures),
        cmocka_unit_test(test_gif_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
