/* `cogmap eval DIR` for SMP runs: the trained model on fresh trajectories
 * (800 x 500 steps by default, as DeepMind's analysis set), the activity file
 * `cogmap analyze` reads, the figure-2 classification of every RNN unit into
 * DIR/celltypes.json, and the figure-2 and figure-3 panels. */
#include "cli/analyze.h"
#include "cli/cli.h"
#include "cli/smp_figures.h"
#include "cogmap/run.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"
#include "cogmap/smp.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char smp_eval_usage[] =
    "usage: cogmap eval DIR [options]      (DIR: a run of `cogmap train smp`)\n"
    "Runs the trained SMP on fresh trajectories and classifies its units as figure 2 of the\n"
    "paper: DIR/activity.npz (for cogmap analyze), DIR/celltypes.json, DIR/figures/*.png.\n"
    "  --trajectories N   fresh trajectories (default 800)\n"
    "  --steps T          steps per trajectory (default 500)\n"
    "  --correct-every K  visual correction every K steps (default 10; 0: only at the start)\n"
    "  --shuffles N       shuffles per unit for the thresholds (default 1000)\n"
    "  --checkpoint NAME  step_NNNNNNNN or best under DIR/checkpoints (default: the newest)\n"
    "  --images N         probe views for figure 3's corrections (default 512)\n"
    "  --fig3-init N      random initial states of figure 3 (default 1000)\n"
    "  --no-figures       only activity.npz and celltypes.json\n"
    "  --seed N --threads N --quiet\n";

#define RAYS 36
#define PLACE_BINS 16

typedef struct smp_eval_opts {
    long long trajectories, steps, correct_every, shuffles, images, fig3_init;
    const char *checkpoint;
    int figures;
} smp_eval_opts;

static int parse(int argc, char **argv, cli_common *common, smp_eval_opts *o, const char **dir)
{
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        int r = cli_common_option(common, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
#define OPT(name) (strncmp(arg, name, strlen(name)) == 0 && (arg[strlen(name)] == 0 || arg[strlen(name)] == '='))
#define INTOPT(name, field, lo, hi)                                                              \
    else if (OPT(name))                                                                          \
    {                                                                                            \
        if (cli_option_value(argc, argv, &i, &v) || cli_parse_int(name, v, lo, hi, &o->field)) \
            return CLI_EXIT_USAGE;                                                               \
    }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(smp_eval_usage, stdout);
            return -1;
        }
        INTOPT("--trajectories", trajectories, 1, 1000000)
        INTOPT("--steps", steps, 2, 1000000)
        INTOPT("--correct-every", correct_every, 0, 1000000)
        INTOPT("--shuffles", shuffles, 1, 100000)
        INTOPT("--images", images, 1, 100000)
        INTOPT("--fig3-init", fig3_init, 2, 100000)
        else if (OPT("--checkpoint"))
        {
            if (cli_option_value(argc, argv, &i, &o->checkpoint))
                return CLI_EXIT_USAGE;
        }
        else if (strcmp(arg, "--no-figures") == 0) o->figures = 0;
        else if (arg[0] == '-') return cli_usage_error("eval", "unknown option '%s'", arg);
        else if (!*dir) *dir = arg;
        else return cli_usage_error("eval", "one run folder expected, got '%s' and '%s'", *dir, arg);
#undef INTOPT
#undef OPT
    }
    if (!*dir)
        return cli_usage_error("eval", "expected the run folder");
    if (common->out)
        return cli_usage_error("eval", "eval writes into the run folder; drop --out");
    return CLI_EXIT_OK;
}

/* celltypes.json: per RNN the counts of HD, ego- and allocentric BVC units
 * and the pooled thresholds. */
static cm_status write_celltypes(const char *dir, const cm_classify_result *res, const analyze_group *g,
                                 int64_t samples, const smp_fig3_summary *f3)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "format", "cogmap smp celltypes");
    cJSON_AddNumberToObject(root, "samples", (double)samples);
    cJSON *th = cJSON_AddObjectToObject(root, "thresholds");
    cJSON_AddNumberToObject(th, "hd", res->hd_threshold);
    cJSON_AddNumberToObject(th, "ego_bvc", res->ego_threshold);
    cJSON_AddNumberToObject(th, "allo_bvc", res->allo_threshold);
    for (int k = 0; k < 3; k++) {
        int hd = 0, ego = 0, allo = 0, ego_and_allo_higher = 0;
        for (int64_t u = g[k].start; u < g[k].end; u++) {
            hd += res->is_hd[u];
            ego += res->is_ego[u];
            allo += res->is_allo[u];
            ego_and_allo_higher += res->is_ego[u] && res->allo_score[u] > res->ego_score[u];
        }
        const int units = (int)(g[k].end - g[k].start);
        cJSON *o = cJSON_AddObjectToObject(root, g[k].name);
        cJSON_AddNumberToObject(o, "units", units);
        cJSON_AddNumberToObject(o, "hd", hd);
        cJSON_AddNumberToObject(o, "ego_bvc", ego);
        cJSON_AddNumberToObject(o, "allo_bvc", allo);
        cJSON_AddNumberToObject(o, "ego_bvc_with_higher_allo_score", ego_and_allo_higher);
        cJSON_AddNumberToObject(o, "hd_share", (double)hd / units);
        cJSON_AddNumberToObject(o, "ego_bvc_share", (double)ego / units);
        cJSON_AddNumberToObject(o, "allo_bvc_share", (double)allo / units);
        cJSON *t = cJSON_AddObjectToObject(o, "thresholds");
        cJSON_AddNumberToObject(t, "hd", res->hd_threshold);
        cJSON_AddNumberToObject(t, "ego_bvc", res->ego_threshold);
        cJSON_AddNumberToObject(t, "allo_bvc", res->allo_threshold);
    }
    if (f3) {
        cJSON *o = cJSON_AddObjectToObject(root, "figure3");
        cJSON_AddNumberToObject(o, "hd_units_over_0.56", f3->n_hd_units);
        cJSON_AddNumberToObject(o, "images", f3->images);
        cJSON_AddNumberToObject(o, "images_converged_within_10_steps", f3->converged_within_10);
        cJSON_AddNumberToObject(o, "images_never_converged", f3->never_converged);
    }
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, "celltypes.json");
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}

/* Slots ranked by how peaked their P(s|y) map is (max over mean of the
 * visited bins): figure 2 E shows the five most place-like. */
void smp_pick_place_slots(const double *maps, int S, int cells, int *out, int k)
{
    double *score = cm_alloc((size_t)S * sizeof(double));
    for (int s = 0; s < S; s++) {
        double mx = 0, sum = 0;
        int n = 0;
        for (int i = 0; i < cells; i++) {
            const double v = maps[(size_t)s * cells + i];
            if (isfinite(v)) {
                sum += v, n++;
                if (v > mx)
                    mx = v;
            }
        }
        score[s] = (n && sum > 0) ? mx / (sum / n) : 0;
    }
    for (int j = 0; j < k; j++) {
        int best = -1;
        for (int s = 0; s < S; s++) {
            int used = 0;
            for (int q = 0; q < j; q++)
                used |= out[q] == s;
            if (!used && (best < 0 || score[s] > score[best]))
                best = s;
        }
        out[j] = best;
    }
    cm_free(score);
}

int cli_eval_smp(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    smp_eval_opts o = {.trajectories = 800, .steps = 500, .correct_every = 10, .shuffles = 1000, .images = 512,
                       .fig3_init = 1000, .figures = 1};
    const char *dir = NULL;
    int rc = parse(argc, argv, &common, &o, &dir);
    if (rc < 0)
        return CLI_EXIT_OK;
    if (rc != CLI_EXIT_OK)
        return rc;
    cm_set_threads(common.threads);
    cm_interrupt_install();
    FILE *out = cli_progress_stream(&common);
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = out;

    cm_smp_run_config cfg;
    cm_status st = cm_smp_run_config_read(&cfg, dir);
    if (st != CM_OK)
        return cli_fail("eval", st);
    cm_smp_job *job;
    st = cm_smp_job_create(&cfg, &job);
    cm_smp_session *s = st == CM_OK ? cm_smp_job_session(job) : NULL;
    if (st != CM_OK)
        return cli_fail("eval", st);
    char ck[4096], loaded[4096] = "";
    if (o.checkpoint)
        snprintf(ck, sizeof ck, "%s/checkpoints/%s", dir, o.checkpoint);
    else
        snprintf(ck, sizeof ck, "%s", dir);
    cm_train_state state;
    uint64_t seed;
    st = cm_train_checkpoint_load(ck, &cm_smp_job_ops, job, &state, &seed, loaded);
    if (st != CM_OK) {
        cm_smp_job_free(job);
        return cli_fail("eval", st);
    }
    const cm_smp_config *mc = &cfg.model;
    const int U = mc->hidden[0] + mc->hidden[1] + mc->hidden[2], S = mc->slots, T = (int)o.steps;
    const int64_t NT = o.trajectories, N = NT * T;
    const int CB = (int)(NT < 50 ? NT : 50);
    float *act = cm_alloc((size_t)N * U * sizeof(float)), *dist = cm_alloc((size_t)N * RAYS * sizeof(float));
    double *pos = cm_alloc((size_t)N * 2 * sizeof(double)), *hd = cm_alloc((size_t)N * sizeof(double));
    float *ppos = cm_alloc((size_t)CB * (T + 1) * 2 * sizeof(float)), *pth = cm_alloc((size_t)CB * (T + 1) * sizeof(float));
    float *logp = cm_alloc((size_t)CB * T * S * sizeof(float));
    double *psum = cm_calloc((size_t)S * PLACE_BINS * PLACE_BINS, sizeof(double));
    int64_t *pcnt = cm_calloc((size_t)PLACE_BINS * PLACE_BINS, sizeof(int64_t));
    if (!act || !dist || !pos || !hd || !ppos || !pth || !logp || !psum || !pcnt)
        st = cm_error(CM_ERR_NOMEM, "eval: out of memory for %lld samples", (long long)N);
    /* Fresh trajectories: their own stream (seed, 0x45 "E" << 32 | k). */
    if (out && st == CM_OK)
        cm_progress_start(&progress, out, "eval smp: trajectories", NT);
    double loss_sum = 0;
    for (int64_t k0 = 0; st == CM_OK && k0 < NT; k0 += CB) {
        const int nb = (int)(NT - k0 < CB ? NT - k0 : CB);
        for (int b = 0; b < nb; b++) {
            cm_rng rng;
            cm_rng_seed(&rng, cfg.seed, (0x45ULL << 32) | (uint64_t)(k0 + b));
            cm_smp_session_path(s, &rng, T, ppos + (size_t)b * (T + 1) * 2, pth + (size_t)b * (T + 1));
        }
        double loss = 0;
        st = cm_smp_run(s->m, ppos, pth, nb, T, (int)o.correct_every, act + (size_t)k0 * T * U, logp, NULL, &loss);
        loss_sum += loss * nb;
        for (int b = 0; st == CM_OK && b < nb; b++)
            for (int t = 0; t < T; t++) {
                const int64_t i = (k0 + b) * T + t;
                const float *pp = ppos + ((size_t)b * (T + 1) + t + 1) * 2;
                pos[2 * i] = pp[0], pos[2 * i + 1] = pp[1];
                hd[i] = pth[(size_t)b * (T + 1) + t + 1];
                cm_arena_distances(&s->arena, pp[0], pp[1], 0.0f, RAYS, dist + (size_t)i * RAYS);
                /* P(s|y) maps over the box's 16 x 16 bins (SMP's 2.2 m / 0.14 m). */
                int ix = (int)floor((pp[0] + 1.11) / (2.22 / PLACE_BINS)), iy = (int)floor((pp[1] + 1.11) / (2.22 / PLACE_BINS));
                ix = ix < 0 ? 0 : ix >= PLACE_BINS ? PLACE_BINS - 1 : ix;
                iy = iy < 0 ? 0 : iy >= PLACE_BINS ? PLACE_BINS - 1 : iy;
                pcnt[ix * PLACE_BINS + iy]++;
                const float *lp = logp + ((size_t)b * T + t) * S;
                for (int sl = 0; sl < S; sl++)
                    psum[((size_t)sl * PLACE_BINS + ix) * PLACE_BINS + iy] += exp(lp[sl]);
            }
        if (out)
            cm_progress_update(&progress, k0 + nb, NULL);
        if (cm_interrupted())
            st = cm_error(CM_ERR_INTERRUPTED, "eval: interrupted");
    }
    if (out && st == CM_OK)
        cm_progress_finish(&progress, "loss %.4f", loss_sum / NT);
    /* The activity file of cogmap analyze (docs/formats.md, Activity files). */
    char path[4096];
    if (st == CM_OK) {
        int64_t sp[2] = {N, 2}, sh[1] = {N}, sd[2] = {N, RAYS}, sa[2] = {N, U}, sg[1] = {2};
        int64_t g1[2] = {0, mc->hidden[0]}, g2[2] = {mc->hidden[0], mc->hidden[0] + mc->hidden[1]}, g3[2] = {g2[1], U};
        cm_array arr[7] = {
            cm_array_view("positions", CM_F64, 2, sp, pos),
            cm_array_view("headings", CM_F64, 1, sh, hd),
            cm_array_view("wall_distances", CM_F32, 2, sd, dist),
            cm_array_view("activations", CM_F32, 2, sa, act),
            cm_array_view("group_rnn1", CM_I64, 1, sg, g1),
            cm_array_view("group_rnn2", CM_I64, 1, sg, g2),
            cm_array_view("group_rnn3", CM_I64, 1, sg, g3),
        };
        st = cm_path_join(path, sizeof path, dir, "activity.npz");
        if (st == CM_OK)
            st = cm_npz_write(path, arr, 7, 0);
    }
    cm_classify_result res;
    memset(&res, 0, sizeof res);
    analyze_group groups[3] = {{"rnn1", 0, mc->hidden[0]},
                               {"rnn2", mc->hidden[0], mc->hidden[0] + mc->hidden[1]},
                               {"rnn3", mc->hidden[0] + mc->hidden[1], U}};
    if (st == CM_OK) {
        cm_classify_opts co;
        cm_classify_defaults(&co);
        co.n_shuffles = (int)o.shuffles;
        co.seed = cfg.seed;
        co.grid_bins = 0;
        st = cm_classify_units(pos, hd, dist, RAYS, act, N, U, &co, out ? &progress : NULL, &res);
    }
    smp_fig3_summary f3;
    int have_f3 = 0;
    char fdir[4096];
    if (st == CM_OK)
        st = cm_path_join(fdir, sizeof fdir, dir, "figures");
    if (st == CM_OK && o.figures) {
        st = cm_mkdir_p(fdir);
        if (st == CM_OK)
            st = analyze_figures(fdir, "png", hd, act, N, 1, &res, groups, 3);
        /* Figure 2 E: the P(s|y) maps of the most place-like slots. */
        double *maps = cm_alloc((size_t)S * PLACE_BINS * PLACE_BINS * sizeof(double));
        for (int sl = 0; maps && sl < S; sl++)
            for (int i = 0; i < PLACE_BINS * PLACE_BINS; i++)
                maps[(size_t)sl * PLACE_BINS * PLACE_BINS + i] =
                    pcnt[i] ? psum[(size_t)sl * PLACE_BINS * PLACE_BINS + i] / pcnt[i] : NAN;
        int slots[5];
        const int ns = S < 5 ? S : 5;
        if (st == CM_OK && maps) {
            smp_pick_place_slots(maps, S, PLACE_BINS * PLACE_BINS, slots, ns);
            st = smp_figure2_places(fdir, maps, PLACE_BINS, PLACE_BINS, slots, ns);
        }
        cm_free(maps);
        /* Figure 3: RNN-1 with probe views rendered at random poses. */
        const int NI = (int)o.images, side = mc->image;
        uint8_t *rgb = cm_alloc((size_t)NI * side * side * 3);
        float *emb = cm_alloc((size_t)NI * mc->embed * sizeof(float));
        if (st == CM_OK && (!rgb || !emb))
            st = cm_error(CM_ERR_NOMEM, "eval: out of memory for %d probe views", NI);
        if (st == CM_OK)
            st = smp_probe_views(s->m, cfg.seed, NI, rgb, emb);
        if (st == CM_OK) {
            smp_hd_net net;
            smp_hd_net_of_model(&net, s->m);
            smp_fig3_opts fo;
            smp_fig3_defaults(&fo);
            fo.n_init = (int)o.fig3_init;
            fo.seed = cfg.seed;
            st = smp_figure3(fdir, &net, emb, NI, rgb, side, res.hd_angle, res.hd_score, &fo, &f3,
                             out ? &progress : NULL);
            have_f3 = st == CM_OK;
        }
        cm_free(rgb);
        cm_free(emb);
    }
    if (st == CM_OK)
        st = write_celltypes(dir, &res, groups, N, have_f3 ? &f3 : NULL);
    if (st == CM_OK && !common.quiet) {
        printf("eval smp: %s (step %lld), %lld samples\n", loaded, (long long)state.step, (long long)N);
        printf("thresholds: hd %.3f, ego %.3f, allo %.3f\n", res.hd_threshold, res.ego_threshold, res.allo_threshold);
        for (int k = 0; k < 3; k++) {
            int hdc = 0, ego = 0, allo = 0;
            for (int64_t u = groups[k].start; u < groups[k].end; u++)
                hdc += res.is_hd[u], ego += res.is_ego[u], allo += res.is_allo[u];
            const int units = (int)(groups[k].end - groups[k].start);
            printf("%s: %d units, hd %d (%.0f%%), ego_bvc %d (%.0f%%), allo_bvc %d (%.0f%%)\n", groups[k].name, units,
                   hdc, 100.0 * hdc / units, ego, 100.0 * ego / units, allo, 100.0 * allo / units);
        }
        if (have_f3)
            printf("figure 3: %d of %d views reset the HD ring within 10 steps, %d never\n", f3.converged_within_10,
                   f3.images, f3.never_converged);
        printf("outputs: %s/celltypes.json, %s/activity.npz%s%s\n", dir, dir, o.figures ? ", " : "",
               o.figures ? fdir : "");
    }
    cm_classify_free(&res);
    cm_free(act), cm_free(dist), cm_free(pos), cm_free(hd), cm_free(ppos), cm_free(pth), cm_free(logp);
    cm_free(psum), cm_free(pcnt);
    cm_smp_job_free(job);
    if (o.figures)
        cm_plot_release_caches(); /* cairo's and fontconfig's caches: leak-clean exit */
    if (st != CM_OK)
        return cli_fail("eval", st);
    return CLI_EXIT_OK;
}
