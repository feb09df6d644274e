/* `cogmap eval DIR` for SMP runs: the trained model on fresh trajectories
 * (800 x 500 steps by default, as DeepMind's analysis set), the activity file
 * `cogmap analyze` reads, the figure-2 classification of every RNN unit into
 * DIR/celltypes.json, and the figure-2 and figure-3 panels. */
#include "cli/cli.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"

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

typedef struct smp_eval_opts {
    long long trajectories, steps, correct_every, shuffles, images, fig3_init;
    const char *checkpoint;
    int figures;
} smp_eval_opts;

static int parse(int argc, char **argv, cli_common *common, smp_eval_opts *o, const char **dir)
{
    int no_figures = 0;
    const cli_opt opts[] = {{"--trajectories", CLI_INT, &o->trajectories, 1, 1000000},
                            {"--steps", CLI_INT, &o->steps, 2, 1000000},
                            {"--correct-every", CLI_INT, &o->correct_every, 0, 1000000},
                            {"--shuffles", CLI_INT, &o->shuffles, 1, 100000},
                            {"--images", CLI_INT, &o->images, 1, 100000},
                            {"--fig3-init", CLI_INT, &o->fig3_init, 2, 100000},
                            {"--checkpoint", CLI_STRING, &o->checkpoint},
                            {"--no-figures", CLI_FLAG, &no_figures},
                            {NULL, CLI_ARG, dir, 0, 0, "one run folder expected, got '%s' and '%s'"},
                            {0}};
    int rc = cli_parse("eval", smp_eval_usage, common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc == CLI_EXIT_OK ? -1 : rc;
    o->figures = !no_figures;
    if (!*dir)
        return cli_usage_error("eval", "expected the run folder");
    if (common->out)
        return cli_usage_error("eval", "eval writes into the run folder; drop --out");
    return CLI_EXIT_OK;
}

/* Figure 3 of the run: RNN-1 with probe views rendered at random poses. */
static cm_status figure3(cm_smp_session *s, const smp_eval_opts *o, const cm_smp_evaluation *ev, const char *fdir,
                         cm_progress *progress, cm_smp_hd_result *f3)
{
    const cm_smp_config *mc = &s->cfg.model;
    const int NI = (int)o->images, side = mc->image;
    uint8_t *rgb = cm_alloc((size_t)NI * side * side * 3);
    float *emb = cm_alloc((size_t)NI * mc->embed * sizeof(float));
    cm_status st = !rgb || !emb ? cm_error(CM_ERR_NOMEM, "eval: out of memory for %d probe views", NI) : CM_OK;
    if (st == CM_OK)
        st = cm_smp_probe_views(s, NI, rgb, emb);
    if (st == CM_OK) {
        cm_smp_hd_net net;
        cm_smp_hd_net_of_model(&net, s->m);
        cm_smp_hd_opts fo;
        cm_smp_hd_opts_default(&fo);
        fo.n_init = (int)o->fig3_init;
        fo.seed = s->cfg.seed;
        st = cm_smp_hd_dynamics(&net, emb, NI, ev->cls.hd_angle, ev->cls.hd_score, &fo, progress, f3);
    }
    if (st == CM_OK)
        st = cm_smp_fig3(fdir, f3);
    if (st == CM_OK)
        st = cm_smp_hd_dynamics_write(fdir, f3);
    cm_free(rgb), cm_free(emb);
    return st;
}

/* The panels of figure 2 (the classification's and E's) and figure 3. */
static cm_status figures(cm_smp_session *s, const smp_eval_opts *o, const cm_smp_evaluation *ev, const char *fdir,
                         cm_progress *progress, cm_smp_hd_result *f3)
{
    const cm_activity *a = &ev->a;
    cm_status st = cm_mkdir_p(fdir);
    if (st == CM_OK)
        st = cm_classify_figures(fdir, "png", a->hd, a->act, a->n, a->f32, &ev->cls, a->groups, a->n_groups);
    const int PB = ev->place_bins, ns = ev->slots < 5 ? ev->slots : 5;
    int slots[5];
    if (st == CM_OK) {
        cm_smp_pick_place_slots(ev->place_maps, ev->slots, PB * PB, slots, ns);
        st = cm_smp_fig2_places(fdir, ev->place_maps, PB, PB, slots, ns);
    }
    return st == CM_OK ? figure3(s, o, ev, fdir, progress, f3) : st;
}

static void print_summary(const char *loaded, int64_t step, const cm_smp_evaluation *ev, const cm_smp_hd_result *f3)
{
    const cm_classify_result *res = &ev->cls;
    printf("eval smp: %s (step %lld), %lld samples\n", loaded, (long long)step, (long long)ev->a.n);
    printf("thresholds: hd %.3f, ego %.3f, allo %.3f\n", res->hd_threshold, res->ego_threshold, res->allo_threshold);
    for (int k = 0; k < ev->a.n_groups; k++) {
        cm_class_counts c;
        cm_class_counts_of(res, ev->a.groups[k].start, ev->a.groups[k].end, &c);
        printf("%s: %d units, hd %d (%.0f%%), ego_bvc %d (%.0f%%), allo_bvc %d (%.0f%%)\n", ev->a.groups[k].name,
               c.units, c.hd, 100.0 * c.hd / c.units, c.ego_bvc, 100.0 * c.ego_bvc / c.units, c.allo_bvc,
               100.0 * c.allo_bvc / c.units);
    }
    if (f3)
        printf("figure 3: %d of %d views reset the HD ring within 10 steps, %d never\n", f3->converged_within_10,
               f3->images, f3->never_converged);
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
    cm_progress progress;
    memset(&progress, 0, sizeof progress);
    progress.out = cli_progress_stream(&common);
    cm_progress *pr = progress.out ? &progress : NULL;

    cm_smp_run_config cfg;
    cm_smp_job *job = NULL;
    cm_train_state state;
    char ck[4096], loaded[4096] = "", fdir[4096];
    snprintf(ck, sizeof ck, o.checkpoint ? "%s/checkpoints/%s" : "%s", dir, o.checkpoint ? o.checkpoint : "");
    cm_status st = cm_smp_run_config_read(&cfg, dir);
    if (st == CM_OK)
        st = cm_smp_job_create(&cfg, &job);
    if (st == CM_OK)
        st = cm_train_checkpoint_load(ck, &cm_smp_job_ops, job, &state, NULL, loaded);
    cm_smp_eval_opts eo;
    cm_smp_eval_opts_default(&eo);
    eo.trajectories = (int)o.trajectories, eo.steps = (int)o.steps, eo.correct_every = (int)o.correct_every;
    eo.shuffles = (int)o.shuffles;
    cm_smp_evaluation ev;
    memset(&ev, 0, sizeof ev);
    cm_smp_hd_result f3;
    memset(&f3, 0, sizeof f3);
    if (st == CM_OK)
        st = cm_smp_evaluate(cm_smp_job_session(job), &eo, pr, &ev);
    if (st == CM_OK)
        st = cm_path_join(ck, sizeof ck, dir, "activity.npz");
    if (st == CM_OK)
        st = cm_activity_write(ck, &ev.a);
    if (st == CM_OK)
        st = cm_path_join(fdir, sizeof fdir, dir, "figures");
    if (st == CM_OK && o.figures)
        st = figures(cm_smp_job_session(job), &o, &ev, fdir, pr, &f3);
    if (st == CM_OK)
        st = cm_smp_celltypes_write(dir, &ev, o.figures ? &f3 : NULL);
    if (st == CM_OK && !common.quiet) {
        print_summary(loaded, state.step, &ev, o.figures ? &f3 : NULL);
        printf("outputs: %s/celltypes.json, %s/activity.npz%s%s\n", dir, dir, o.figures ? ", " : "",
               o.figures ? fdir : "");
    }
    cm_smp_hd_dynamics_free(&f3);
    cm_smp_evaluation_free(&ev);
    cm_smp_job_free(job);
    if (o.figures)
        cm_plot_release_caches(); /* cairo's and fontconfig's caches: leak-clean exit */
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("eval", st);
}
