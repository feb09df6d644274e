/* `cogmap eval DIR`: scores a grid-cell run — gridness of every unit, the
 * decoding error, the untrained baseline — and draws its figures (docs/cli.md,
 * docs/formats.md "Grid-cell runs"). */
#include "cli/cli.h"
#include "cogmap/dist.h"
#include "cogmap/plot.h"
#include "cogmap/bevrun.h"
#include "cogmap/socialrun.h"

#include <math.h>
#include <string.h>

static const char eval_usage[] =
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
    "DIR/figures/ (default DIR: FILE without .safetensors, plus -eval).\n";

/* SMP runs (run.json "model": "smp") are evaluated by smp_eval.c. */
int cli_eval_smp(int argc, char **argv);
/* BEV runs (run.json "model": "bev") by bev_eval.c. */
int cli_eval_bev(int argc, char **argv);
/* Social and link runs by social_eval.c. */
int cli_eval_social(int argc, char **argv);

/* Progress on stderr unless --quiet. */
static cm_progress *progress_of(const cli_common *common, cm_progress *p)
{
    memset(p, 0, sizeof *p);
    p->out = cli_progress_stream(common);
    return p->out ? p : NULL;
}

/* Evaluates run `dir`, draws its figures and prints the summary unless
 * --quiet; `cogmap demo` ends with it too. */
int cli_grid_eval(const char *command, const char *dir, const cm_grid_eval_opts *o, const cli_common *common)
{
    cm_progress p;
    cm_grid_eval_report r;
    cm_status st = cm_grid_eval_run(dir, o, progress_of(common, &p), &r);
    if (st == CM_OK && cm_dist_rank() == 0) /* every rank evaluated; rank 0 draws */
        st = cm_grid_eval_figures(dir, &r);
    if (st == CM_OK && !common->quiet) {
        printf("eval: %s, %s after %lld steps (%.1f min of training), %lld samples\n", dir, r.preset,
               (long long)r.steps, r.wall_seconds / 60, (long long)r.samples);
        printf("  decoding error      %.3f %s\n", r.decoding_error, r.unit_name);
        printf("  grid-like units     %.1f%% of %d (score60 > 0.3), best score60 %.2f\n", 100 * r.grid_fraction,
               r.units, r.best_score60);
        if (isfinite(r.fraction_shuffle))
            printf("  shuffle test        %.1f%% above their own 95th percentile (time-shifted activity)\n",
                   100 * r.fraction_shuffle);
        if (isfinite(r.periods_across))
            printf("  grid periods        %.1f across the map (median of the grid-like units)\n", r.periods_across);
        if (isfinite(r.baseline_fraction))
            printf("  untrained network   %.1f%% (chance level)\n", 100 * r.baseline_fraction);
        printf("  summary             %s/summary.json\n", dir);
        printf("  per-unit gridness   %s/gridness.csv\n", dir);
        printf("  figures             %s/figures/ (top_units, gridness_histogram, paths, training, emergence "
               "+ emergence.gif)\n",
               dir);
    }
    cm_grid_eval_report_free(&r);
    return st == CM_OK ? CLI_EXIT_OK : cli_fail(command, st);
}

/* eval --from-checkpoint FILE --preset P [--out DIR]. */
static int eval_from_checkpoint(const char *file, const char *preset, const char *dir, const cm_grid_eval_opts *o,
                                const cli_common *common)
{
    if (dir)
        return cli_usage_error("eval", "--from-checkpoint takes no run folder ('%s'); use --out DIR", dir);
    if (!preset)
        return cli_usage_error("eval", "--from-checkpoint needs --preset (ssmpc for SSM-PC's grid-cell network)");
    if (o->checkpoint)
        return cli_usage_error("eval", "--checkpoint names a run's checkpoint; drop it with --from-checkpoint");
    char out[4096];
    if (common->out) {
        snprintf(out, sizeof out, "%s", common->out);
    } else {
        size_t n = strlen(file);
        if (n > 12 && strcmp(file + n - 12, ".safetensors") == 0)
            n -= 12;
        if (n + 6 >= sizeof out)
            return cli_usage_error("eval", "checkpoint path too long; give --out DIR");
        snprintf(out, sizeof out, "%.*s-eval", (int)n, file);
    }
    cm_set_threads(common->threads);
    cm_interrupt_install();
    cm_progress p;
    cm_grid_eval_report rep;
    cm_status st = cm_grid_eval_checkpoint(file, preset, out, common->seed, o, progress_of(common, &p), &rep);
    if (st == CM_OK && cm_dist_rank() == 0) /* every rank evaluated; rank 0 draws */
        st = cm_grid_eval_figures(out, &rep);
    if (st == CM_OK && !common->quiet) {
        printf("eval: %s as %s, %lld samples of fresh trajectories\n", file, rep.preset, (long long)rep.samples);
        printf("  decoding error      %.3f %s\n", rep.decoding_error, rep.unit_name);
        printf("  grid-like units     %.1f%% of %d (score60 > 0.3), best score60 %.2f\n", 100 * rep.grid_fraction,
               rep.units, rep.best_score60);
        if (isfinite(rep.fraction_shuffle))
            printf("  shuffle test        %.1f%% above their own 95th percentile\n", 100 * rep.fraction_shuffle);
        if (isfinite(rep.baseline_fraction))
            printf("  untrained network   %.1f%% (chance level)\n", 100 * rep.baseline_fraction);
        printf("  outputs             %s/summary.json, %s/gridness.csv, %s/figures/\n", out, out, out);
    }
    cm_grid_eval_report_free(&rep);
    return st == CM_OK ? CLI_EXIT_OK : cli_fail("eval", st);
}

/* Detector runs (run.json "model": "detector") are evaluated by detector_cli.c. */
int cli_eval_detector(int argc, char **argv);

/* Runs of the other models, by run.json's "model", are evaluated by their own files. */
static const struct {
    const char *model;
    int (*eval)(int argc, char **argv);
} evaluators[] = {{"smp", cli_eval_smp}, {"bev", cli_eval_bev}, {"detector", cli_eval_detector},
                   {"social", cli_eval_social}, {"link", cli_eval_social}};

int cmd_eval(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        char m[32];
        if (argv[i][0] == '-')
            continue;
        if (cm_run_model(argv[i], m, sizeof m) != CM_OK) {
            cm_error_clear(); /* not a run folder: an option's value, or a grid run's to refuse later */
            continue;
        }
        for (size_t k = 0; k < sizeof evaluators / sizeof evaluators[0]; k++)
            if (strcmp(m, evaluators[k].model) == 0)
                return evaluators[k].eval(argc, argv);
    }
    cli_common common;
    cli_common_defaults(&common);
    cm_grid_eval_opts o = {.baseline = 1, .stages = 6};
    const char *dir = NULL, *from = NULL, *preset = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        long long x;
        int r = cli_standard_option(&common, eval_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        if (cli_option_is(arg, "--samples")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--samples", v, 1, 1LL << 40, &x))
                return CLI_EXIT_USAGE;
            o.samples = x;
        } else if (cli_option_is(arg, "--checkpoint")) {
            if (cli_option_value(argc, argv, &i, &o.checkpoint))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--stages")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--stages", v, 1, 64, &x))
                return CLI_EXIT_USAGE;
            o.stages = (int)x;
        } else if (cli_option_is(arg, "--shuffles")) {
            if (cli_option_value(argc, argv, &i, &v) || cli_parse_int("--shuffles", v, 0, 100000, &x))
                return CLI_EXIT_USAGE;
            o.shuffles = (int)x;
        } else if (cli_option_is(arg, "--from-checkpoint")) {
            if (cli_option_value(argc, argv, &i, &from))
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(arg, "--preset")) {
            if (cli_option_value(argc, argv, &i, &preset))
                return CLI_EXIT_USAGE;
        } else if (strcmp(arg, "--no-baseline") == 0) {
            o.baseline = 0;
        } else if (arg[0] == '-') {
            return cli_usage_error("eval", "unknown option '%s'", arg);
        } else if (!dir) {
            dir = arg;
        } else {
            return cli_usage_error("eval", "one run folder expected, got '%s' and '%s'", dir, arg);
        }
    }
    if (from)
        return eval_from_checkpoint(from, preset, dir, &o, &common);
    if (preset)
        return cli_usage_error("eval", "--preset goes with --from-checkpoint (a run folder knows its preset)");
    if (!dir)
        return cli_usage_error("eval", "expected the run folder (what train grid --out wrote)");
    if (common.out)
        return cli_usage_error("eval", "eval writes into the run folder; drop --out");
    cm_set_threads(common.threads);
    cm_interrupt_install();
    return cli_grid_eval("eval", dir, &o, &common);
}
