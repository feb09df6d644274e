/* `cogmap eval DIR`: scores a grid-cell run — gridness of every unit, the
 * decoding error, the untrained baseline — and draws its figures (docs/cli.md,
 * docs/formats.md "Grid-cell runs"). */
#include "cli/cli.h"
#include "cli/grid_eval.h"
#include "cogmap/smp.h"
#include "cogmap/socialrun.h"

#include <math.h>
#include <string.h>

static const char eval_usage[] =
    "usage: cogmap eval DIR [--samples N] [--checkpoint NAME] [--no-baseline] [--stages K] [--threads N] [--quiet]\n"
    "Evaluates the grid-cell run in DIR on fresh trajectories: rate maps and gridness of every\n"
    "bottleneck unit, the position-decoding error, and the same for the untrained network.\n"
    "Writes DIR/gridness.csv, DIR/summary.json and DIR/figures/*.png + emergence.gif.\n"
    "  --samples N        samples (time steps) per evaluation (default 192000 for ssmpc, 100000 otherwise)\n"
    "  --checkpoint NAME  step_NNNNNNNN or best under DIR/checkpoints (default: the newest step)\n"
    "  --no-baseline      skip the untrained network\n"
    "  --stages K         checkpoints shown in the emergence figure (default 6)\n"
    "\n"
    "usage: cogmap eval --from-checkpoint FILE.safetensors --preset ssmpc [--out DIR] [--samples N] [--seed N]\n"
    "Loads a network trained elsewhere (SSM-PC's PyTorch state dict, converted by\n"
    "scripts/pth-to-safetensors; every tensor checked by name and shape), runs it on fresh\n"
    "trajectories of the preset and scores it as above: DIR/gridness.csv, DIR/summary.json,\n"
    "DIR/figures/ (default DIR: FILE without .safetensors, plus -eval).\n";

/* SMP runs (run.json "model": "smp") are evaluated by smp_eval.c. */
int cli_eval_smp(int argc, char **argv);
/* Social and link runs by social_eval.c. */
int cli_eval_social(int argc, char **argv);

/* eval --from-checkpoint FILE --preset P [--out DIR]. */
static int eval_from_checkpoint(const char *file, const char *preset, const char *dir, const grid_eval_options *o,
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
    grid_eval_report rep;
    cm_status st = grid_eval_checkpoint(file, preset, out, common->seed, o, cli_progress_stream(common), &rep);
    if (st != CM_OK)
        return cli_fail("eval", st);
    if (!common->quiet) {
        printf("eval: %s as %s, %lld samples of fresh trajectories\n", file, rep.preset, (long long)rep.samples);
        printf("  decoding error      %.3f %s\n", rep.decoding_error, rep.unit_name);
        printf("  grid-like units     %.1f%% of %d (score60 > 0.3), best score60 %.2f\n", 100 * rep.grid_fraction,
               rep.units, rep.best_score60);
        if (isfinite(rep.baseline_fraction))
            printf("  untrained network   %.1f%% (chance level)\n", 100 * rep.baseline_fraction);
        printf("  outputs             %s/summary.json, %s/gridness.csv, %s/figures/\n", out, out, out);
    }
    return CLI_EXIT_OK;
}

int cmd_eval(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (argv[i][0] != '-' && cm_smp_is_run(argv[i]))
            return cli_eval_smp(argc, argv);
        else if (argv[i][0] != '-' && (cm_social_is_run(argv[i]) || cm_link_is_run(argv[i])))
            return cli_eval_social(argc, argv);
    cli_common common;
    cli_common_defaults(&common);
    grid_eval_options o = {.baseline = 1, .stages = 6};
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
    grid_eval_report rep;
    cm_status st = grid_eval_run(dir, &o, cli_progress_stream(&common), &rep);
    if (st != CM_OK)
        return cli_fail("eval", st);
    if (!common.quiet)
        grid_eval_print(dir, &rep, stdout);
    return CLI_EXIT_OK;
}
