/* `cogmap eval DIR`: scores a grid-cell run — gridness of every unit, the
 * decoding error, the untrained baseline — and draws its figures (docs/cli.md,
 * docs/formats.md "Grid-cell runs"). */
#include "cli/cli.h"
#include "cli/grid_eval.h"

#include <string.h>

static const char eval_usage[] =
    "usage: cogmap eval DIR [--samples N] [--checkpoint NAME] [--no-baseline] [--stages K] [--threads N] [--quiet]\n"
    "Evaluates the grid-cell run in DIR on fresh trajectories: rate maps and gridness of every\n"
    "bottleneck unit, the position-decoding error, and the same for the untrained network.\n"
    "Writes DIR/gridness.csv, DIR/summary.json and DIR/figures/*.png + emergence.gif.\n"
    "  --samples N        samples (time steps) per evaluation (default 192000 for ssmpc, 100000 otherwise)\n"
    "  --checkpoint NAME  step_NNNNNNNN or best under DIR/checkpoints (default: the newest step)\n"
    "  --no-baseline      skip the untrained network\n"
    "  --stages K         checkpoints shown in the emergence figure (default 6)\n";

int cmd_eval(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    grid_eval_options o = {.baseline = 1, .stages = 6};
    const char *dir = NULL;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i], *v;
        long long x;
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            fputs(eval_usage, stdout);
            return CLI_EXIT_OK;
        }
        int r = cli_common_option(&common, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
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
