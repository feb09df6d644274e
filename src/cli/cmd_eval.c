/* `cogmap eval DIR`: a run of any model evaluated by the library (cm_eval_run
 * dispatches on run.json's "model" and writes the model's files), its figures
 * drawn (cm_eval_figures) and its summary printed; each model has its own
 * options (docs/cli.md). */
#include "cli/cli.h"
#include "cogmap/dist.h"
#include "cogmap/plot.h"

#include <stdio.h>
#include <string.h>

static const char grid_usage[] =
    "usage: cogmap eval DIR [--samples N] [--checkpoint NAME] [--no-baseline] [--stages K] [--shuffles N]\n"
    "                       [--threads N] [--quiet]\n"
    "Evaluates the grid-cell run in DIR on fresh trajectories: rate maps and gridness of every\n"
    "bottleneck unit, the position-decoding error, and the same for the untrained network.\n"
    "Writes DIR/gridness.csv, DIR/summary.json and DIR/figures/*.png + emergence.gif.\n"
    "  --samples N        samples (time steps) per evaluation (default 192000 for ssmpc, 100000 otherwise)\n"
    "  --checkpoint NAME  step_NNNNNNNN or best under DIR/checkpoints (default: the newest step)\n"
    "  --no-baseline      skip the untrained network\n"
    "  --stages K         checkpoints shown in the emergence figure (default 6)\n"
    "  --shuffles N       shuffle test: each unit's score60 against the 95th/99th percentiles of N\n"
    "                     circular time shifts of its activity (default 0: off; 100 is usual)\n"
    "\n"
    "usage: cogmap eval --from-checkpoint FILE.safetensors --preset ssmpc [--out DIR] [--samples N] [--seed N]\n"
    "Loads a network trained elsewhere (SSM-PC's PyTorch state dict, converted by\n"
    "scripts/pth-to-safetensors; every tensor checked by name and shape), runs it on fresh\n"
    "trajectories of the preset and scores it as above: DIR/gridness.csv, DIR/summary.json,\n"
    "DIR/figures/ (default DIR: FILE without .safetensors, plus -eval).\n"
    "Runs of the other models take their own options: cogmap eval SMP|BEV|DETECTOR|SOCIAL-RUN --help.\n";

static const char smp_usage[] =
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

static const char bev_usage[] =
    "usage: cogmap eval DIR [options]      (DIR: a run of `cogmap train bev`)\n"
    "Scores the run's best checkpoint (else its newest; or --checkpoint) on frames of the held-out test\n"
    "mazes against a baseline that predicts the training frames' mean BEV: DIR/summary.json\n"
    "(alpha_iou, alpha_accuracy, rgb_mse_visible, loss and baseline_*) and\n"
    "DIR/figures/bev_samples.png (frame | predicted BEV | true BEV).\n"
    "  --frames N           test frames scored, spread over the split (default 2048)\n"
    "  --baseline-frames N  training frames averaged into the baseline (default 2048)\n"
    "  --samples N          rows of the figure (default 8; 0: no figure)\n"
    "  --checkpoint NAME    best or step_NNNNNNNN under DIR/checkpoints (default: best, else the newest)\n"
    "  --threads N --quiet\n";

static const char detector_usage[] =
    "usage: cogmap eval DIR [--frames N] [--checkpoint DIR] [--seed N --threads N --quiet]\n"
    "                                      (DIR: a run of `cogmap train detector`)\n"
    "Scores the run's best checkpoint (else its newest) on held-out test mazes: visibility\n"
    "average precision (as scikit-learn's average_precision_score), mean position error of\n"
    "visible targets in grid cells, and the same for a per-target-rate baseline; writes\n"
    "DIR/summary.json.\n"
    "  --frames N         test frames (default 2048)\n"
    "  --checkpoint DIR   a checkpoint folder instead of the best\n";

static const char social_usage[] =
    "usage: cogmap eval DIR [options]      (DIR: a run of `cogmap train social` or `train link`)\n"
    "Evaluates the run's checkpoint on fresh paths (decoding errors; for a link run partner_error,\n"
    "bits_per_step, self_error) and, for a social run, runs SSM-PC's probe (four conditions,\n"
    "seed 42) and classifies every bottleneck unit. Writes DIR/summary.json (\"classes\"),\n"
    "DIR/spc_units.csv and DIR/figures/spc_<class>.png, spc_growth.png.\n"
    "  --checkpoint NAME  step_NNNNNNNN or best under DIR/checkpoints (default: best, else the newest)\n"
    "  --reps N           probe repetitions per condition (default 100, SSM-PC's)\n"
    "  --per-class N      units mapped per class in the figures (0..16, default 4)\n"
    "  --batches N        batches of fresh paths for the errors (default 8)\n"
    "  --no-figures       only summary.json and spc_units.csv\n"
    "  --threads N --quiet\n";

/* Evaluates, draws the figures (rank 0 alone; figures 0: none) and prints
 * the summary unless --quiet. */
static int eval_run(const char *command, const char *dir, const cm_eval_opts *o, int figures, const cli_common *c)
{
    cm_set_threads(c->threads);
    cm_interrupt_install();
    cm_progress p = {0};
    p.out = cli_progress_stream(c);
    cm_eval_result r;
    cm_status st = cm_eval_run(dir, o, p.out ? &p : NULL, &r);
    if (st == CM_OK && figures && cm_dist_rank() == 0)
        st = cm_eval_figures(&r);
    if (st == CM_OK && !c->quiet)
        fputs(r.summary.text, stdout);
    cm_eval_result_free(&r);
    if (figures)
        cm_plot_release_caches(); /* cairo's and fontconfig's caches: leak-clean exit */
    return st == CM_OK ? CLI_EXIT_OK : cli_fail(command, st);
}

int cli_grid_eval(const char *command, const char *dir, const cm_grid_eval_opts *g, const cli_common *common)
{
    cm_eval_opts o;
    cm_eval_opts_default(&o);
    o.samples = g->samples, o.checkpoint = g->checkpoint, o.baseline = g->baseline;
    o.stages = g->stages, o.shuffles = g->shuffles;
    return eval_run(command, dir, &o, 1, common);
}

/* The options of a run's model (run.json's "model"; a grid run's when none
 * is readable), read into o; *figures 0 after --no-figures. -1 after --help. */
static int parse(const char *model, int argc, char **argv, cli_common *c, cm_eval_opts *o, const char **dir,
                 int *figures)
{
    long long samples = 0, stages = o->stages, shuffles = 0, traj = o->trajectories, steps = o->steps;
    long long every = o->correct_every, smp_shuffles = o->smp_shuffles, images = o->images, init = o->fig3_init;
    long long frames = o->frames, base = o->baseline_frames, keep = o->keep, reps = o->reps, per = o->per_class;
    long long batches = o->batches;
    int no_baseline = 0, no_figures = 0, rc;
    const char *two = "one run folder expected, got '%s' and '%s'";
    const cli_opt grid[] = {{"--samples", CLI_INT, &samples, 1, 1LL << 40},
                            {"--checkpoint", CLI_STRING, &o->checkpoint}, {"--stages", CLI_INT, &stages, 1, 64},
                            {"--shuffles", CLI_INT, &shuffles, 0, 100000}, {"--from-checkpoint", CLI_STRING, &o->file},
                            {"--preset", CLI_STRING, &o->preset}, {"--no-baseline", CLI_FLAG, &no_baseline},
                            {NULL, CLI_ARG, dir, 0, 0, two}, {0}};
    const cli_opt smp[] = {{"--trajectories", CLI_INT, &traj, 1, 1000000}, {"--steps", CLI_INT, &steps, 2, 1000000},
                           {"--correct-every", CLI_INT, &every, 0, 1000000},
                           {"--shuffles", CLI_INT, &smp_shuffles, 1, 100000}, {"--images", CLI_INT, &images, 1, 100000},
                           {"--fig3-init", CLI_INT, &init, 2, 100000}, {"--checkpoint", CLI_STRING, &o->checkpoint},
                           {"--no-figures", CLI_FLAG, &no_figures}, {NULL, CLI_ARG, dir, 0, 0, two}, {0}};
    const cli_opt bev[] = {{"--frames", CLI_INT, &frames, 1, 1000000},
                           {"--baseline-frames", CLI_INT, &base, 1, 1000000}, {"--samples", CLI_INT, &keep, 0, 64},
                           {"--checkpoint", CLI_STRING, &o->checkpoint}, {NULL, CLI_ARG, dir, 0, 0, two}, {0}};
    const cli_opt detector[] = {{"--frames", CLI_INT, &frames, 1, 10000000},
                                {"--checkpoint", CLI_STRING, &o->checkpoint}, {NULL, CLI_ARG, dir, 0, 0, two}, {0}};
    const cli_opt social[] = {{"--checkpoint", CLI_STRING, &o->checkpoint}, {"--reps", CLI_INT, &reps, 2, 100000},
                              {"--per-class", CLI_INT, &per, 0, 16}, {"--batches", CLI_INT, &batches, 1, 100000},
                              {"--no-figures", CLI_FLAG, &no_figures}, {NULL, CLI_ARG, dir, 0, 0, two}, {0}};
    const struct {
        const char *model, *usage;
        const cli_opt *opts;
    } table[] = {{"smp", smp_usage, smp}, {"bev", bev_usage, bev}, {"detector", detector_usage, detector},
                 {"social", social_usage, social}, {"link", social_usage, social}, {"grid", grid_usage, grid}};
    size_t k = 0;
    while (k + 1 < sizeof table / sizeof table[0] && strcmp(model, table[k].model) != 0)
        k++;
    if ((rc = cli_parse("eval", table[k].usage, c, table[k].opts, argc, argv)) != CLI_PARSED)
        return rc == CLI_EXIT_OK ? -1 : rc; /* -1: after --help */
    o->samples = samples, o->stages = (int)stages, o->shuffles = (int)shuffles, o->baseline = !no_baseline;
    o->trajectories = (int)traj, o->steps = (int)steps, o->correct_every = (int)every;
    o->smp_shuffles = (int)smp_shuffles, o->images = (int)images, o->fig3_init = (int)init;
    o->frames = (int)frames, o->baseline_frames = (int)base, o->keep = (int)keep;
    o->reps = (int)reps, o->batches = (int)batches, o->per_class = no_figures ? 0 : (int)per;
    o->figure3 = *figures = !no_figures;
    o->seed = c->seed;
    if (o->file || o->preset) { /* a checkpoint trained elsewhere */
        if (*dir)
            return cli_usage_error("eval", "--from-checkpoint takes no run folder ('%s'); use --out DIR", *dir);
        const char *why = !o->file     ? "--preset goes with --from-checkpoint (a run folder knows its preset)"
                          : !o->preset ? "--from-checkpoint needs --preset (ssmpc for SSM-PC's grid-cell network)"
                          : o->checkpoint ? "--checkpoint names a run's checkpoint; drop it with --from-checkpoint"
                                          : NULL;
        return why ? cli_usage_error("eval", "%s", why) : CLI_EXIT_OK;
    }
    if (!*dir)
        return cli_usage_error("eval", strcmp(model, "grid") ? "expected the run folder"
                                                             : "expected the run folder (what train grid --out wrote)");
    return c->out && strcmp(model, "detector") ? cli_usage_error("eval", "eval writes into the run folder; drop --out")
                                              : CLI_EXIT_OK;
}

int cmd_eval(int argc, char **argv)
{
    char model[32] = "grid"; /* the model of the first argument that names a run folder */
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-' && cm_run_model(argv[i], model, sizeof model) == CM_OK)
            break;
        cm_error_clear(); /* not a run folder: an option's value, or a grid run's to refuse later */
        snprintf(model, sizeof model, "grid");
    }
    cli_common common;
    cli_common_defaults(&common);
    cm_eval_opts o;
    cm_eval_opts_default(&o);
    const char *dir = NULL;
    int figures = 1;
    int rc = parse(model, argc, argv, &common, &o, &dir, &figures);
    if (rc != CLI_EXIT_OK)
        return rc < 0 ? CLI_EXIT_OK : rc;
    return eval_run("eval", o.file ? common.out : dir, &o, figures, &common);
}
