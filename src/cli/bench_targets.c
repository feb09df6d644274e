/* `cogmap bench targets`: place-cell targets per second, the plain reference
 * against the vectorised path grid runs train with; bench/targets.sh computes
 * the same targets in numpy and PyTorch. */
#include "cli/cli.h"
#include "cogmap/bench.h"

static const char targets_usage[] =
    "usage: cogmap bench targets [--count N] [--sigma S] [--gaussian] [--temperature T] [--rows N] [--repeat N]\n"
    "Times the place-cell targets of --rows random positions (default 3200: one batch of the\n"
    "demo, 64 paths x 50 steps) in the 15-unit box on one thread: the demo's ensemble by\n"
    "default (1,024 cells of width 0.6, Sorscher's DoG as logits at temperature 0.0062;\n"
    "--temperature 0: the DoG shifted and renormalised; --gaussian: the plain softmax).\n"
    "Prints rows/s per core of the reference and of the vectorised path, best of --repeat\n"
    "(default 5), and their largest difference relative to a row's largest target.\n";

int bench_targets(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    long long count = 1024, rows = 3200, repeat = 5;
    double sigma = 0.6, temperature = 0.0062;
    int gaussian = 0;
    const cli_opt opts[] = {{"--count", CLI_INT, &count, 1, 1 << 16},
                            {"--sigma", CLI_POSITIVE, &sigma, 0, 0, "--sigma: expected a width > 0, got %s"},
                            {"--gaussian", CLI_FLAG, &gaussian},
                            {"--temperature", CLI_DOUBLE, &temperature},
                            {"--rows", CLI_INT, &rows, 1, 1 << 20},
                            {"--repeat", CLI_INT, &repeat, 1, 1000},
                            {0}};
    int rc = cli_parse("bench targets", targets_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (temperature < 0)
        return cli_usage_error("bench targets", "--temperature: expected >= 0 (0: the DoG shifted), got %g", temperature);
    if ((double)count * (double)rows > 1e8)
        return cli_usage_error("bench targets", "--count x --rows: expected at most 1e8 targets");
    cm_bench_targets_result res;
    cm_status st = cm_bench_targets((int)count, (float)sigma, !gaussian, gaussian ? 0.0f : (float)temperature,
                                    (int)rows, (int)repeat, common.seed, &res);
    if (st != CM_OK)
        return cli_fail("bench targets", st);
    printf("targets: %lld cells of width %g, %s, %lld rows, best of %lld, one thread\n", count, sigma,
           gaussian ? "Gaussian softmax" : temperature > 0 ? "DoG as logits" : "DoG shifted", rows, repeat);
    printf("reference rows/s per core: %.4g\n", res.reference_rows_per_s);
    printf("fast rows/s per core: %.4g\n", res.fast_rows_per_s);
    printf("fast / reference: %.2fx\n", res.fast_rows_per_s / res.reference_rows_per_s);
    printf("max difference / row max: %.3g\n", res.max_rel_diff);
    return CLI_EXIT_OK;
}
