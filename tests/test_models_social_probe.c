/* SSM-PC's probing paths (social.h, ssm-pc.md §9.2) against the same
 * algorithm in numpy (RandomState(42) seeded once, conditions 1..4, per
 * repetition the self path's draws then the peer's), and the probe's peaks. */
#include "test_util.h"

#include "cogmap/social.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Our numpy rendering of spc_module/trajectory.py's algorithm (§9.2). */
static const char numpy_paths[] =
    "import sys\n"
    "import numpy as np\n"
    "env, T, reps = 15, 100, 6\n"
    "start = np.array([env * 0.5, env * 0.2]); ga = np.array([env * 0.2, env * 0.8]);"
    " gb = np.array([env * 0.8, env * 0.8])\n"
    "rs = np.random.RandomState(42)\n"
    "def path(s, e, moving):\n"
    "    if not moving:\n"
    "        return np.tile(s, (T, 1)), np.zeros((T, 2)), np.zeros(T)\n"
    "    base = np.array([s + (t / max(1, T - 1)) * (e - s) for t in range(T)])\n"
    "    d = (e - s) / (np.linalg.norm(e - s) + 1e-6); perp = np.array([-d[1], d[0]])\n"
    "    a = rs.uniform(0.5, 1.5); f = rs.uniform(1.5, 2.5); ph = rs.uniform(0, np.pi)\n"
    "    off = a * np.sin(2 * np.pi * f * np.linspace(0, 1, T) + ph)\n"
    "    p = np.clip(base + off[:, None] * perp[None, :], 0.5, env - 0.5)\n"
    "    v = np.diff(p, axis=0, prepend=p[0:1]); ang = np.arctan2(v[:, 1], v[:, 0])\n"
    "    return p, v, np.diff(np.unwrap(ang), prepend=ang[0:1])\n"
    "out = []\n"
    "for mode in ((1, 0), (0, 1), (1, 1), (0, 0)):\n"
    "    for i in range(reps):\n"
    "        tgt = ga if i % 2 == 0 else gb\n"
    "        for who in range(2):\n"
    "            p, v, w = path(start, tgt if mode[who] else start, mode[who])\n"
    "            out += list(np.concatenate([p.ravel(), v.ravel(), w]))\n"
    "open(sys.argv[1], 'w').write(' '.join(repr(float(x)) for x in out))\n";

static void test_paths_vs_numpy(void **state)
{
    (void)state;
    const char *py = cmt_python_with("numpy");
    if (!py)
        skip();
    const char *dir = cmt_tmpdir();
    FILE *f = cmt_python_output(py, dir, numpy_paths);
    cm_spc_paths p[4];
    assert_int_equal(cm_spc_paths_generate(42, 6, 100, 15.0f, p), CM_OK);
    double worst = 0.0;
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 6; i++)
            for (int who = 0; who < 2; who++) {
                const float *pos = (who ? p[c].peer_pos : p[c].self_pos) + (size_t)i * 200;
                const float *vel = (who ? p[c].peer_vel : p[c].self_vel) + (size_t)i * 300;
                double v;
                for (int k = 0; k < 200; k++) {
                    assert_int_equal(fscanf(f, "%lf", &v), 1);
                    worst = fmax(worst, fabs(pos[k] - (float)v));
                }
                for (int k = 0; k < 200; k++) {
                    assert_int_equal(fscanf(f, "%lf", &v), 1);
                    worst = fmax(worst, fabs(vel[3 * (k / 2) + k % 2] - (float)v));
                }
                for (int k = 0; k < 100; k++) {
                    assert_int_equal(fscanf(f, "%lf", &v), 1);
                    worst = fmax(worst, fabs(vel[3 * k + 2] - (float)v));
                }
                assert_float_equal((who ? p[c].peer_hd0 : p[c].self_hd0)[i], 0.0f, 0.0f);
            }
    /* float32 of the same doubles: equal, or one rounding apart where numpy's
     * libm and ours differ in the last bit of a sin or atan2 */
    assert_true(worst < 1e-6);
    fclose(f);
    cm_spc_paths_free(p);
    cmt_tmpdir_remove(dir);
}

static void test_paths_shape(void **state)
{
    (void)state;
    cm_spc_paths p[4];
    assert_int_equal(cm_spc_paths_generate(42, 4, 50, 15.0f, p), CM_OK);
    /* condition 2: self static at the start, peer moving toward A then B */
    for (int t = 0; t < 50; t++) {
        assert_float_equal(p[1].self_pos[2 * t], 7.5f, 0.0f);
        assert_float_equal(p[1].self_pos[2 * t + 1], 3.0f, 1e-6f);
        assert_float_equal(p[1].self_vel[3 * t], 0.0f, 0.0f);
    }
    assert_true(p[1].peer_pos[2 * 49] < 5.0f && p[1].peer_pos[2 * 49 + 1] > 10.0f);            /* rep 0: A */
    assert_true(p[1].peer_pos[100 + 2 * 49] > 10.0f && p[1].peer_pos[100 + 2 * 49 + 1] > 10.0f); /* rep 1: B */
    for (int k = 0; k < 4 * 50 * 2; k++)
        assert_true(p[2].self_pos[k] >= 0.5f && p[2].self_pos[k] <= 14.5f);
    assert_float_equal(p[0].self_vel[0], 0.0f, 0.0f); /* v_0 = 0 */
    cm_spc_paths_free(p);
    assert_int_equal(cm_spc_paths_generate(42, 0, 50, 15.0f, p), CM_ERR_ARG);
    assert_int_equal(cm_spc_paths_generate(42, 3, 50, NAN, p), CM_ERR_ARG);
}

static void test_probe_peaks(void **state)
{
    (void)state;
    cm_social_config c;
    assert_int_equal(cm_social_preset("ssmpc", &c), CM_OK);
    assert_int_equal(cm_social_config_set(&c, "hidden=16"), CM_OK);
    assert_int_equal(cm_social_config_set(&c, "bottleneck=10"), CM_OK);
    cm_social *m;
    assert_int_equal(cm_social_create(&c, 5, &m), CM_OK);
    cm_place_cells pc;
    cm_hd_cells hd;
    assert_int_equal(cm_place_cells_preset(&pc, "ssmpc"), CM_OK);
    assert_int_equal(cm_hd_cells_create(&hd, 12, 20.0f, 42), CM_OK);
    cm_spc_paths p[4];
    assert_int_equal(cm_spc_paths_generate(42, 3, 20, 15.0f, p), CM_OK);
    cm_spc_probe pr;
    assert_int_equal(cm_social_probe(m, &pc, &hd, p, &pr), CM_OK);
    assert_int_equal(pr.units, 10);
    for (int k = 0; k < 4; k++)
        for (int u = 0; u < 10; u++) {
            float mx = -INFINITY;
            for (int r = 0; r < 3 * 20; r++)
                mx = fmaxf(mx, pr.act[k][r * 10 + u]);
            assert_float_equal(pr.peaks[u * 4 + k], mx, 0.0);
            assert_true(mx >= 0.0f); /* after ReLU */
        }
    cm_spc_probe_free(&pr);
    cm_hd_cells_free(&hd);
    assert_int_equal(cm_hd_cells_create(&hd, 8, 20.0f, 42), CM_OK);
    assert_int_equal(cm_social_probe(m, &pc, &hd, p, &pr), CM_ERR_ARG);
    cm_hd_cells_free(&hd);
    cm_place_cells_free(&pc);
    cm_spc_paths_free(p);
    cm_social_free(m);
}

int main(void)
{
    cm_set_threads(2);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_paths_vs_numpy),
        cmocka_unit_test(test_paths_shape),
        cmocka_unit_test(test_probe_peaks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
