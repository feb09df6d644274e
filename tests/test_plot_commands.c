/* The plot layer's one-call commands (plot.h): cm_simulation_save writes
 * `cogmap simulate`'s folder; cm_analyze_file classifies an activity file
 * into report.json, maps.npz and (asked for) the panels, refuses a min_shift
 * beyond N/2 as an argument and a file it cannot read as a bad file (named);
 * cm_smp_figure2/3 refuse counts out of range before reading anything and
 * name a folder without the data; cm_coop_bench_run runs `bench coop` from
 * its options as text. The commands' own output is tests/cli_*.sh. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/coop.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"

static int exists(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return access(path, F_OK) == 0;
}

static void test_simulation_save(void **state)
{
    (void)state;
    cm_arena arena;
    cm_motion motion;
    assert_int_equal(cm_arena_preset(&arena, "box"), CM_OK);
    assert_int_equal(cm_simulate_motion(&motion, "sorscher", 1.0, 0), CM_OK);
    cm_simulation sim;
    assert_int_equal(cm_simulate(&arena, &motion, 1, 1, 20, 4, 1, 3, &sim), CM_OK);
    const char *tmp = cmt_tmpdir();
    char dir[512];
    snprintf(dir, sizeof dir, "%s/sim/inner", tmp); /* made with its parent */
    assert_int_equal(cm_simulation_save(dir, &arena, &sim), CM_OK);
    assert_true(exists(dir, "trajectory.npz") && exists(dir, "preview.png"));
    cm_npz z;
    char path[600];
    snprintf(path, sizeof path, "%s/trajectory.npz", dir);
    assert_int_equal(cm_npz_read(path, &z), CM_OK);
    const cm_array *p = cm_npz_get(&z, "position");
    assert_non_null(p);
    assert_memory_equal(p->data, sim.position, 20 * 2 * sizeof(float));
    cm_npz_free(&z);
    cm_simulation_free(&sim);
    cm_arena_free(&arena);
    cmt_tmpdir_remove(tmp);
}

enum { NS = 800, RAYS = 8, UNITS = 3 };

/* A rat's path in the 2.2 m box and three units: unit 0 fires by heading. */
static void write_activity(const char *path)
{
    static float pos[NS * 2], hd[NS], dist[NS * RAYS], act[NS * UNITS];
    cm_rng r;
    cm_rng_seed(&r, 5, 0);
    for (int i = 0; i < NS; i++) {
        pos[2 * i] = 0.1f + 2.0f * cm_rng_float(&r), pos[2 * i + 1] = 0.1f + 2.0f * cm_rng_float(&r);
        hd[i] = (float)cm_rng_uniform(&r, -M_PI, M_PI);
        for (int k = 0; k < RAYS; k++)
            dist[i * RAYS + k] = 0.1f + 2.0f * cm_rng_float(&r);
        act[i * UNITS] = expf(3.0f * cosf(hd[i]));
        act[i * UNITS + 1] = cm_rng_float(&r);
        act[i * UNITS + 2] = pos[2 * i];
    }
    const int64_t sp[] = {NS, 2}, sh[] = {NS}, sd[] = {NS, RAYS}, sa[] = {NS, UNITS};
    cm_array arr[] = {cm_array_view("positions", CM_F32, 2, sp, pos), cm_array_view("headings", CM_F32, 1, sh, hd),
                      cm_array_view("wall_distances", CM_F32, 2, sd, dist),
                      cm_array_view("activations", CM_F32, 2, sa, act)};
    assert_int_equal(cm_npz_write(path, arr, 4, 0), CM_OK);
}

static void test_analyze_file(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    char input[512], out[512], figs[512];
    snprintf(input, sizeof input, "%s/activity.npz", tmp);
    snprintf(out, sizeof out, "%s/report", tmp);
    snprintf(figs, sizeof figs, "%s/figures", tmp);
    write_activity(input);
    cm_classify_opts o;
    cm_classify_defaults(&o);
    o.n_shuffles = 20;
    o.grid_bins = 0;
    cm_analyze_summary s;
    assert_int_equal(cm_analyze_file(input, out, &o, NULL, NULL, &s), CM_OK);
    assert_true(s.samples == NS && s.units == UNITS && s.shuffles == 20 && s.seconds >= 0);
    assert_true(isfinite(s.hd_threshold));
    assert_int_equal(s.n_groups, 1);
    assert_int_equal(s.counts[0].units, UNITS);
    assert_true(s.counts[0].hd >= 1); /* unit 0 */
    assert_true(exists(out, "report.json") && exists(out, "maps.npz"));
    assert_false(exists(out, "hd_polar.png"));
    assert_int_equal(cm_analyze_file(input, figs, &o, "png", NULL, &s), CM_OK);
    assert_true(exists(figs, "report.json"));
    int pngs = 0;
    const char *names[] = {"hd_polar.png", "ratemaps_octants.png", "ego_bvc.png", "allo_bvc.png", "score_histograms.png"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        pngs += exists(figs, names[k]);
    assert_true(pngs > 0);

    o.hd_timeshift = 1, o.min_shift = NS; /* beyond N/2 */
    assert_int_equal(cm_analyze_file(input, out, &o, NULL, NULL, &s), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "min_shift"));
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.npz", tmp);
    assert_true(cm_analyze_file(missing, out, &o, NULL, NULL, &s) != CM_OK);
    assert_non_null(strstr(cm_errmsg(), "none.npz"));
    assert_int_equal(cm_analyze_file(NULL, out, &o, NULL, NULL, &s), CM_ERR_ARG);
    cmt_tmpdir_remove(tmp);
}

static void test_smp_figures_refuse(void **state)
{
    (void)state;
    const char *tmp = cmt_tmpdir();
    cm_smp_figure_opts o;
    cm_smp_figure_opts_default(&o);
    assert_true(o.shuffles == 1000 && o.fig3_init == 1000 && o.max_attractor == 64 && o.images == 512);
    cm_smp_figure2_summary s2;
    cm_smp_figure3_summary s3;
    /* an empty folder: nothing to read, named */
    assert_true(cm_smp_figure2(tmp, tmp, &o, NULL, &s2) != CM_OK);
    assert_non_null(strstr(cm_errmsg(), tmp));
    assert_true(cm_smp_figure3(tmp, tmp, &o, NULL, &s3) != CM_OK);
    assert_non_null(strstr(cm_errmsg(), tmp));
    o.shuffles = 0;
    assert_int_equal(cm_smp_figure2(tmp, tmp, &o, NULL, &s2), CM_ERR_ARG);
    cm_smp_figure_opts_default(&o);
    o.fig3_init = 1;
    assert_int_equal(cm_smp_figure3(tmp, tmp, &o, NULL, &s3), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "fig3_init"));
    cmt_tmpdir_remove(tmp);
}

/* `bench coop` from its options as text: the rows asked for, table.csv and
 * no GIF when told so, the same table again for the same seed, a merge of
 * the folder; a bad budget, scheme, setting or list is an argument error
 * naming it, a merge of a folder without a table a file error. */
static void test_coop_bench_run(void **state)
{
    (void)state;
    cm_set_threads(1);
    const char *tmp = cmt_tmpdir();
    char dir[512], merged[512];
    snprintf(dir, sizeof dir, "%s/coop", tmp);
    snprintf(merged, sizeof merged, "%s/merged", tmp);
    const char *sets[] = {"max_steps=30"};
    cm_coop_bench_request rq = {.schemes = "broadcast,none", .bits = "4", .sets = sets, .n_sets = 1, .episodes = 4,
                                .seed = 2, .no_gif = 1};
    static cm_coop_table t, again;
    assert_int_equal(cm_coop_bench_run(&rq, dir, NULL, &t), CM_OK);
    assert_int_equal(t.n_rows, 2);
    assert_string_equal(t.rows[0].scheme, "broadcast");
    assert_true(t.rows[0].bits == 4 && t.rows[0].episodes == 4 && t.rows[1].bits == 0);
    assert_true(t.rows[0].bits_per_step <= 4 + 1e-9 && t.agent_steps > 0);
    assert_true(exists(dir, "table.csv") && exists(dir, "success_vs_bits.png") && !exists(dir, "episode.gif"));
    assert_int_equal(cm_coop_bench_run(&rq, dir, NULL, &again), CM_OK);
    for (int r = 0; r < 2; r++)
        assert_true(again.rows[r].success == t.rows[r].success && again.rows[r].mean_steps == t.rows[r].mean_steps);
    const char *folders[] = {dir};
    cm_coop_bench_request mq = {.merge = folders, .n_merge = 1};
    assert_int_equal(cm_coop_bench_run(&mq, merged, NULL, &again), CM_OK);
    assert_int_equal(again.n_rows, 2);
    assert_true(exists(merged, "table.csv"));

    cm_coop_bench_request bad = rq;
    bad.bits = "4,0";
    assert_int_equal(cm_coop_bench_run(&bad, dir, NULL, &t), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "bits"));
    bad = rq, bad.schemes = "shout";
    assert_int_equal(cm_coop_bench_run(&bad, dir, NULL, &t), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "shout"));
    bad = rq, bad.schemes = "a,,b";
    assert_int_equal(cm_coop_bench_run(&bad, dir, NULL, &t), CM_ERR_ARG);
    const char *too_many[] = {"n_agents=99"};
    bad = rq, bad.sets = too_many;
    assert_int_equal(cm_coop_bench_run(&bad, dir, NULL, &t), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "n_agents"));
    assert_int_equal(cm_coop_bench_run(&rq, NULL, NULL, &t), CM_ERR_ARG);
    const char *nothing[] = {tmp}; /* no table.csv there */
    mq.merge = nothing;
    cm_status st = cm_coop_bench_run(&mq, merged, NULL, &t);
    assert_true(st != CM_OK && st != CM_ERR_ARG);
    cmt_tmpdir_remove(tmp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_simulation_save),
        cmocka_unit_test(test_analyze_file),
        cmocka_unit_test(test_smp_figures_refuse),
        cmocka_unit_test(test_coop_bench_run),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
