/* Motion models: presets, bad parameters, never leaving the arena over a
 * million steps, and the statistics the specs give (Rayleigh speeds, turn
 * noise, wall slow-down and turn; OU stationary laws; wall repulsion). */
#include "test_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cogmap/world.h"

#define MILLION 1000000

/* One run of `batch` worlds x `steps` steps, one agent each. */
typedef struct run {
    int batch, steps;
    float *pos, *hd, *speed, *angv, *init_pos, *init_hd;
    int64_t collisions;
} run;

static void run_model(run *r, const cm_arena *arena, const cm_motion *m, int batch, int steps, uint64_t seed)
{
    size_t n = (size_t)batch * steps;
    r->batch = batch;
    r->steps = steps;
    r->pos = malloc(n * 2 * sizeof(float));
    r->hd = malloc(n * sizeof(float));
    r->speed = malloc(n * sizeof(float));
    r->angv = malloc(n * sizeof(float));
    r->init_pos = malloc((size_t)batch * 2 * sizeof(float));
    r->init_hd = malloc((size_t)batch * sizeof(float));
    assert_non_null(r->pos);
    cm_worlds w;
    assert_int_equal(cm_worlds_create(&w, arena, m, batch, 1, 0, seed), CM_OK);
    cm_traj t = {.position = r->pos, .heading = r->hd, .speed = r->speed, .ang_vel = r->angv,
                 .init_position = r->init_pos, .init_heading = r->init_hd};
    assert_int_equal(cm_worlds_run(&w, steps, &t), CM_OK);
    r->collisions = 0;
    for (int b = 0; b < batch; b++)
        r->collisions += w.agents[b].collisions;
    cm_worlds_free(&w);
}

static void run_free(run *r)
{
    free(r->pos);
    free(r->hd);
    free(r->speed);
    free(r->angv);
    free(r->init_pos);
    free(r->init_hd);
}

/* Position and heading before step t of world b. */
static void before(const run *r, int b, int t, float *x, float *y, float *hd)
{
    if (t == 0) {
        *x = r->init_pos[2 * b];
        *y = r->init_pos[2 * b + 1];
        *hd = r->init_hd[b];
    } else {
        size_t i = (size_t)b * r->steps + t - 1;
        *x = r->pos[2 * i];
        *y = r->pos[2 * i + 1];
        *hd = r->hd[i];
    }
}

static void test_presets_and_bad_parameters(void **state)
{
    (void)state;
    cm_motion m;
    assert_int_equal(cm_motion_preset(&m, "banino"), CM_OK);
    assert_int_equal(m.kind, CM_MOTION_RAT);
    assert_float_equal(m.rat.turn_sd, 5.7617f, 1e-4);
    assert_float_equal(m.rat.turn_mean, -0.03f * (float)M_PI / 180, 1e-7);
    assert_float_equal(m.rat.speed_scale, 0.1302f, 1e-7);
    assert_float_equal(m.rat.dt, 0.02f, 0);
    assert_float_equal(m.rat.border, 0.03f, 0);
    assert_float_equal(m.rat.wall_slow, 0.25f, 0);
    assert_int_equal(cm_motion_preset(&m, "sorscher"), CM_OK);
    assert_float_equal(m.rat.turn_sd, 11.52f, 1e-5);
    assert_float_equal(m.rat.speed_scale, 0.13f * 2 * (float)M_PI, 1e-6);
    assert_int_equal(cm_motion_check(&m), CM_OK);
    assert_int_equal(cm_motion_preset(&m, "ratinabox"), CM_OK);
    assert_int_equal(m.kind, CM_MOTION_OU);
    assert_float_equal(m.ou.dt, 0.05f, 0);
    assert_float_equal(m.ou.speed_mean, 0.08f, 0);
    assert_float_equal(m.ou.rot_sd, 120.0f * (float)M_PI / 180, 1e-6);
    assert_int_equal(cm_motion_check(&m), CM_OK);

    assert_int_equal(cm_motion_preset(&m, "brownian"), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "brownian"));
    assert_non_null(strstr(cm_errmsg(), "sorscher"));

    /* Every bad value names its parameter. */
    struct { const char *field; float value; } rat_bad[] = {
        {"dt", 0}, {"dt", -0.02f}, {"dt", NAN}, {"turn_sd", -1}, {"turn_mean", INFINITY},
        {"speed_scale", 0}, {"border", -0.01f}, {"wall_slow", 1.5f},
    };
    for (size_t i = 0; i < sizeof rat_bad / sizeof rat_bad[0]; i++) {
        assert_int_equal(cm_motion_preset(&m, "sorscher"), CM_OK);
        float *f = !strcmp(rat_bad[i].field, "dt")          ? &m.rat.dt
                   : !strcmp(rat_bad[i].field, "turn_sd")   ? &m.rat.turn_sd
                   : !strcmp(rat_bad[i].field, "turn_mean") ? &m.rat.turn_mean
                   : !strcmp(rat_bad[i].field, "speed_scale") ? &m.rat.speed_scale
                   : !strcmp(rat_bad[i].field, "border")    ? &m.rat.border
                                                           : &m.rat.wall_slow;
        *f = rat_bad[i].value;
        assert_int_equal(cm_motion_check(&m), CM_ERR_ARG);
        assert_non_null(strstr(cm_errmsg(), rat_bad[i].field));
    }
    assert_int_equal(cm_motion_preset(&m, "ou"), CM_OK);
    m.ou.thigmotaxis = 2;
    assert_int_equal(cm_motion_check(&m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "thigmotaxis"));
    assert_int_equal(cm_motion_preset(&m, "ou"), CM_OK);
    m.ou.speed_mean = -0.08f;
    assert_int_equal(cm_motion_check(&m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "speed_mean"));
    assert_int_equal(cm_motion_preset(&m, "ou"), CM_OK);
    m.ou.dt = 0.5f; /* beyond the OU time constants */
    assert_int_equal(cm_motion_check(&m), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "dt"));
    m.kind = (cm_motion_kind)7;
    assert_int_equal(cm_motion_check(&m), CM_ERR_ARG);

    assert_int_equal(cm_motion_preset(&m, "sorscher"), CM_OK);
    assert_int_equal(cm_motion_scale(&m, 0), CM_ERR_ARG);
    assert_int_equal(cm_motion_scale(&m, NAN), CM_ERR_ARG);
    assert_int_equal(cm_motion_scale(&m, 2), CM_OK);
    assert_float_equal(m.rat.border, 0.06f, 1e-7);
    assert_float_equal(m.rat.speed_scale, 0.26f * 2 * (float)M_PI, 1e-6);

    /* A start outside free space is refused. */
    cm_arena a;
    cm_agent ag;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_int_equal(cm_agent_place(&ag, &m, &a, (cm_pose){2, 0, 0}), CM_ERR_ARG);
    assert_non_null(strstr(cm_errmsg(), "free space"));
    assert_int_equal(cm_agent_place(&ag, &m, &a, (cm_pose){0, 0, NAN}), CM_ERR_ARG);
    assert_int_equal(cm_agent_place(&ag, &m, &a, (cm_pose){0, 0, 7}), CM_OK);
    assert_float_equal(ag.pose.theta, 7 - 2 * (float)M_PI, 1e-5);
    cm_arena_free(&a);
}

/* One step at a wall, by hand: heading straight into the east wall inside
 * the border region, the rat turns to run along it and slows down. */
static void test_rat_turns_at_wall(void **state)
{
    (void)state;
    cm_arena a;
    cm_motion m;
    cm_rng rng;
    cm_agent ag;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_int_equal(cm_motion_preset(&m, "banino"), CM_OK);
    cm_rng_seed(&rng, 8, 0);
    int turned_left = 0;
    for (int i = 0; i < 200; i++) {
        float hd0 = (i % 2 ? 0.3f : -0.3f);
        assert_int_equal(cm_agent_place(&ag, &m, &a, (cm_pose){1.08f, 0.2f, hd0}), CM_OK);
        cm_agent_step(&ag, &m, &a, &rng);
        /* pi/2 - |a| toward the side the heading already leans to, plus
         * noise of sd dt * 5.76 = 0.115 rad. */
        float expected = hd0 > 0 ? (float)M_PI_2 : -(float)M_PI_2;
        assert_true(fabsf(ag.pose.theta - expected) < 0.6f);
        turned_left += ag.pose.theta > 0;
        assert_true(ag.pose.x < 1.1f);
        /* The step went along the old heading at a quarter of the speed. */
        assert_float_equal(atan2f(ag.dy, ag.dx), hd0, 1e-3);
    }
    assert_int_equal(turned_left, 100);
    /* Far from walls the heading changes by the noise only. */
    assert_int_equal(cm_agent_place(&ag, &m, &a, (cm_pose){0, 0, 0.5f}), CM_OK);
    cm_agent_step(&ag, &m, &a, &rng);
    assert_true(fabsf(ag.pose.theta - 0.5f) < 0.6f);
    cm_arena_free(&a);
}

/* A million steps of every model in every arena: never outside. */
static void test_never_leaves(void **state)
{
    (void)state;
    const char *arenas[] = {"box", "box15", "circle", "tworooms"};
    const char *models[] = {"banino", "sorscher", "ratinabox"};
    for (int ai = 0; ai < 4; ai++)
        for (int mi = 0; mi < 3; mi++) {
            cm_arena a;
            cm_motion m;
            assert_int_equal(cm_arena_preset(&a, arenas[ai]), CM_OK);
            assert_int_equal(cm_motion_preset(&m, models[mi]), CM_OK);
            /* In box15 the metre-scale models would crawl; scale them up so
             * that they meet its walls as often as in the box. */
            if (!strcmp(arenas[ai], "box15"))
                assert_int_equal(cm_motion_scale(&m, 15.0f / 2.2f), CM_OK);
            run r;
            run_model(&r, &a, &m, 8, MILLION / 8, 11 + ai * 3 + mi);
            size_t n = (size_t)r.batch * r.steps;
            size_t outside = 0;
            for (size_t i = 0; i < n; i++)
                outside += !cm_arena_contains(&a, r.pos[2 * i], r.pos[2 * i + 1]);
            if (outside)
                print_error("%s / %s: %zu of %zu positions outside\n", arenas[ai], models[mi], outside, n);
            assert_int_equal(outside, 0);
            /* Walls cut moves short only rarely. */
            assert_true(r.collisions < (int64_t)(n / 50));
            /* The tworooms agents do use the door. */
            if (!strcmp(arenas[ai], "tworooms") && mi != 0) {
                size_t crossings = 0;
                for (size_t i = 1; i < n; i++)
                    crossings += (r.pos[2 * i] > 0) != (r.pos[2 * i - 2] > 0);
                assert_true(crossings > 10);
            }
            run_free(&r);
            cm_arena_free(&a);
        }
}

/* The rat model's laws, checked where they apply. */
static void check_rat_statistics(const char *preset)
{
    cm_arena a;
    cm_motion m;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_int_equal(cm_motion_preset(&m, preset), CM_OK);
    const cm_rat_params *p = &m.rat;
    run r;
    run_model(&r, &a, &m, 4, MILLION / 4, 5);

    /* Away from walls (farther than any step can go) the recorded speed is
     * the Rayleigh draw itself and the heading change is dt * N(mean, sd). */
    double far = 12 * p->speed_scale * p->dt + p->border;
    double s1 = 0, s2 = 0, w1 = 0, w2 = 0;
    size_t nf = 0;
    /* Steps that start inside the border region heading into the wall. */
    double into_speed = 0, into_after = 0, into_before = 0;
    size_t ni = 0;
    size_t quadrant[4] = {0};
    for (int b = 0; b < r.batch; b++)
        for (int t = 0; t < r.steps; t++) {
            size_t i = (size_t)b * r.steps + t;
            float x, y, hd, nx, ny;
            before(&r, b, t, &x, &y, &hd);
            float d = cm_arena_nearest_wall(&a, x, y, &nx, &ny);
            if (d > far) {
                s1 += r.speed[i];
                s2 += (double)r.speed[i] * r.speed[i];
                w1 += r.angv[i];
                w2 += (double)r.angv[i] * r.angv[i];
                nf++;
            }
            float into = cosf(hd) * nx + sinf(hd) * ny;
            if (d < p->border && into > 0 && d > 0.5f * p->border) {
                into_speed += r.speed[i];
                into_before += into;
                into_after += fabsf(cosf(r.hd[i]) * nx + sinf(r.hd[i]) * ny);
                ni++;
            }
            quadrant[(r.pos[2 * i] > 0) + 2 * (r.pos[2 * i + 1] > 0)]++;
        }
    double b = p->speed_scale;
    double mean = s1 / nf, var = s2 / nf - mean * mean;
    print_message("%s: %zu far steps, speed mean %.5f (Rayleigh %.5f), var %.6f (%.6f)\n", preset, nf, mean,
                  b * sqrt(M_PI / 2), var, (2 - M_PI / 2) * b * b);
    assert_true(nf > MILLION / 4);
    assert_true(fabs(mean / (b * sqrt(M_PI / 2)) - 1) < 0.01);
    assert_true(fabs(var / ((2 - M_PI / 2) * b * b) - 1) < 0.02);
    double wm = w1 / nf, wsd = sqrt(w2 / nf - wm * wm);
    print_message("%s: turn rate mean %.4f sd %.4f (expected %.4f, %.4f)\n", preset, wm, wsd, p->turn_mean,
                  p->turn_sd);
    assert_true(fabs(wsd / p->turn_sd - 1) < 0.01);
    assert_true(fabs(wm - p->turn_mean) < 4 * p->turn_sd / sqrt((double)nf));

    /* Heading into a wall inside the border: a quarter of the speed, and the
     * turn leaves the heading parallel to the wall up to the turn noise. */
    print_message("%s: %zu wall steps, speed %.4f (expected %.4f), into-wall %.3f -> %.3f\n", preset, ni,
                  into_speed / ni, 0.25 * b * sqrt(M_PI / 2), into_before / ni, into_after / ni);
    assert_true(ni > 1000);
    assert_true(fabs(into_speed / ni / (0.25 * b * sqrt(M_PI / 2)) - 1) < 0.05);
    /* After the turn the heading is at +-pi/2 from the wall plus the noise
     * dt * omega, so the component into the wall is |sin(noise)|. */
    double noise = p->turn_sd * p->dt, expected = 0, wsum = 0;
    for (int i = -4000; i <= 4000; i++) {
        double z = i * 0.002, w = exp(-0.5 * z * z);
        expected += w * fabs(sin(noise * z));
        wsum += w;
    }
    expected /= wsum;
    assert_true(fabs(into_after / ni / expected - 1) < 0.05);
    assert_true(into_before / ni > 1.5 * expected); /* without the turn it would stay */

    /* Symmetric arena, symmetric occupancy. */
    size_t n = (size_t)r.batch * r.steps;
    for (int q = 0; q < 4; q++)
        assert_true(fabs((double)quadrant[q] / n - 0.25) < 0.02);
    run_free(&r);
    cm_arena_free(&a);
}

static void test_rat_statistics_sorscher(void **state)
{
    (void)state;
    check_rat_statistics("sorscher");
}

static void test_rat_statistics_banino(void **state)
{
    (void)state;
    check_rat_statistics("banino");
}

/* Expected mean of the OU speed: the normal variable's stationary variance
 * is 1 / (1 - a/2) with a = dt / tau (explicit Euler), mapped through the
 * Rayleigh quantile; integrated numerically. */
static double ou_expected_mean_speed(double sigma, double a)
{
    double var = 1 / (1 - a / 2), sd = sqrt(var), sum = 0, wsum = 0;
    for (int i = -4000; i <= 4000; i++) {
        double n = i * 0.002 * sd;
        double w = exp(-0.5 * n * n / var);
        double q = 0.5 * erfc(n / M_SQRT2);
        sum += w * sigma * sqrt(-2 * log(q));
        wsum += w;
    }
    return sum / wsum;
}

static void test_ou_statistics(void **state)
{
    (void)state;
    cm_arena a;
    cm_motion m;
    /* box15 in metres: walls 15 m away are met rarely at 8 cm/s. */
    assert_int_equal(cm_arena_preset(&a, "box15"), CM_OK);
    assert_int_equal(cm_motion_preset(&m, "ratinabox"), CM_OK);
    const cm_ou_params *p = &m.ou;
    cm_agent ag;
    cm_rng rng;
    cm_rng_seed(&rng, 3, 0);
    assert_int_equal(cm_agent_place(&ag, &m, &a, (cm_pose){7.5f, 7.5f, 0.3f}), CM_OK);
    double o1 = 0, o2 = 0, lag = 0, sp = 0, align = 0, prev = 0;
    const int n = MILLION;
    for (int t = 0; t < n; t++) {
        cm_agent_step(&ag, &m, &a, &rng);
        assert_true(cm_arena_contains(&a, ag.pose.x, ag.pose.y));
        o1 += ag.omega;
        o2 += (double)ag.omega * ag.omega;
        lag += prev * ag.omega;
        prev = ag.omega;
        sp += hypotf(ag.dx, ag.dy) / p->dt;
        float v = hypotf(ag.vx, ag.vy);
        align += (ag.vx * cosf(ag.pose.theta) + ag.vy * sinf(ag.pose.theta)) / v;
    }
    double ar = p->dt / p->rot_coherence;
    double om = o1 / n, ovar = o2 / n - om * om;
    double expected_var = p->rot_sd * p->rot_sd / (1 - ar / 2);
    double rho = (lag / n - om * om) / ovar;
    print_message("ou: omega sd %.4f (expected %.4f), lag-1 %.4f (expected %.4f)\n", sqrt(ovar),
                  sqrt(expected_var), rho, 1 - ar);
    assert_true(fabs(ovar / expected_var - 1) < 0.02);
    assert_true(fabs(rho - (1 - ar)) < 0.01);
    double expected_speed = ou_expected_mean_speed(p->speed_mean, p->dt / p->speed_coherence);
    print_message("ou: mean speed %.5f (expected %.5f), heading-velocity alignment %.3f\n", sp / n, expected_speed,
                  align / n);
    assert_true(fabs(sp / n / expected_speed - 1) < 0.03);
    /* The head direction follows the velocity, smoothed: mostly aligned. */
    assert_true(align / n > 0.8);
    cm_arena_free(&a);
}

/* Walls repel: with the spring and belt switched off the agent runs into
 * walls far more often. */
static void test_ou_wall_repulsion(void **state)
{
    (void)state;
    cm_arena a;
    cm_motion m;
    assert_int_equal(cm_arena_preset(&a, "box"), CM_OK);
    assert_int_equal(cm_motion_preset(&m, "ratinabox"), CM_OK);
    run r;
    run_model(&r, &a, &m, 2, 100000, 9);
    int64_t with = r.collisions;
    run_free(&r);
    m.ou.wall_repel_strength = 0;
    run_model(&r, &a, &m, 2, 100000, 9);
    int64_t without = r.collisions;
    run_free(&r);
    print_message("ou: collisions with repulsion %lld, without %lld\n", (long long)with, (long long)without);
    assert_true(without > 3 * with + 10);
    cm_arena_free(&a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presets_and_bad_parameters),
        cmocka_unit_test(test_rat_turns_at_wall),
        cmocka_unit_test(test_never_leaves),
        cmocka_unit_test(test_rat_statistics_sorscher),
        cmocka_unit_test(test_rat_statistics_banino),
        cmocka_unit_test(test_ou_statistics),
        cmocka_unit_test(test_ou_wall_repulsion),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
