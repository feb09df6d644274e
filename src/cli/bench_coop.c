/* `cogmap bench coop`: the cooperative-search table (success against bits
 * per step) for a policy and the schemes, written to a folder (coop.h). */
#include "cli/cli.h"

#include "cogmap/coop.h"

static const char bench_coop_usage[] =
    "usage: cogmap bench coop --out DIR [--policy frontier|nearest|hrl-icm:RUN] [--learned RUN,...]\n"
    "                         [--perception truth|vision:BEV[,DETECTOR[@T]]]\n"
    "                         [--schemes LIST] [--bits LIST] [--episodes N] [--set KEY=VALUE]...\n"
    "                         [--gif-scheme NAME] [--gif-bits B]\n"
    "                         [--gif-episode E] [--no-gif] [--seed S] [--threads N] [--quiet]\n"
    "       cogmap bench coop --out DIR --merge DIR1,DIR2,...\n"
    "K agents search a 15x15 Memory-Maze for the target of a requested colour; success = any agent\n"
    "touches it within T steps. Runs N episodes (default 500) of evaluation seeds per row: one row per\n"
    "budget B of --bits (default 4,8,16,32,64,128) for the budgeted schemes (learned, broadcast) and\n"
    "one for none and oracle (--schemes, default learned,broadcast,none,oracle). Writes DIR/table.csv\n"
    "(scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step), DIR/success_vs_bits.png\n"
    "and DIR/episode.gif (episode E, default 0, under --gif-scheme, default the first scheme, at\n"
    "--gif-bits, default the smallest budget). --learned names trained runs (cogmap train coop), one\n"
    "per budget: their links are the learned scheme. --set changes the task: maze_size, n_agents,\n"
    "max_steps, view_fov, view_range, target_range, start=together|apart. --perception: ground truth\n"
    "(default) or each agent's frames through a BEV predictor and detector (trained runs or folders;\n"
    "a preset name gives untrained weights, for timing only) fused into its own map; DETECTOR@T: a\n"
    "target is recognised at visibility > T (default 0.7, SSM-PC's; cogmap eval DETRUN prints the\n"
    "F1-best threshold on validation frames).\n"
    "--merge: no episodes; the tables of report folders run apart (same task, seed and policy: not\n"
    "checked) as one DIR/table.csv and DIR/success_vs_bits.png, rows sorted by scheme then budget.\n";

static void print_table(const cm_coop_table *table)
{
    printf("%-10s %5s %8s %8s %17s %10s %13s\n", "scheme", "bits", "episodes", "success", "95% interval", "mean steps",
           "bits/step");
    for (int r = 0; r < table->n_rows; r++) {
        const cm_coop_row *w = &table->rows[r];
        char bits[16];
        snprintf(bits, sizeof bits, w->bits < 0 ? "inf" : "%d", w->bits);
        printf("%-10s %5s %8d %8.3f   [%.3f, %.3f] %10.1f %13.2f\n", w->scheme, bits, w->episodes, w->success, w->ci_low,
               w->ci_high, w->mean_steps, w->bits_per_step);
    }
}

int bench_coop(int argc, char **argv)
{
    cli_common common;
    cli_common_defaults(&common);
    cm_coop_bench_request rq = {.gif_bits = -1};
    const char *items[3][16];
    cli_list learned = {items[0], 0, 16}, merge = {items[1], 0, 16}, sets = {items[2], 0, 16};
    long long gif_bits = -1, gif_episode = 0, episodes = 500;
    const cli_opt opts[] = {
        {"--perception", CLI_STRING, &rq.perception},
        {"--policy", CLI_STRING, &rq.policy},
        {"--learned", CLI_LIST, &learned, 0, 0, "--learned: at most %d values"},
        {"--merge", CLI_LIST, &merge, 0, 0, "--merge: at most %d values"},
        {"--schemes", CLI_STRING, &rq.schemes},
        {"--bits", CLI_STRING, &rq.bits},
        {"--episodes", CLI_INT, &episodes, 1, 100000000},
        {"--set", CLI_LIST, &sets, 0, 0, "--set: at most %d settings"},
        {"--gif-scheme", CLI_STRING, &rq.gif_scheme},
        {"--gif-bits", CLI_INT, &gif_bits, 1, CM_COOP_MAX_BITS},
        {"--gif-episode", CLI_INT, &gif_episode, 0, INT64_MAX},
        {"--no-gif", CLI_FLAG, &rq.no_gif},
        {0}};
    int rc = cli_parse("bench coop", bench_coop_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    if (!common.out)
        return cli_usage_error("bench coop", "--out DIR is required");
    rq.learned = learned.items, rq.n_learned = learned.n, rq.merge = merge.items, rq.n_merge = merge.n;
    rq.sets = sets.items, rq.n_sets = sets.n;
    rq.episodes = (int)episodes, rq.seed = common.seed, rq.gif_bits = (int)gif_bits, rq.gif_episode = gif_episode;
    cm_set_threads(common.threads);
    cm_progress progress;
    progress.out = cli_progress_stream(&common);
    static cm_coop_table table;
    cm_status st = cm_coop_bench_run(&rq, common.out, progress.out && !merge.n ? &progress : NULL, &table);
    if (st != CM_OK)
        return st == CM_ERR_ARG ? cli_usage_error("bench coop", "%s", cm_errmsg()) : cli_fail("bench coop", st);
    print_table(&table);
    if (merge.n)
        return CLI_EXIT_OK;
    printf("agent steps: %.0f in %.1f s wall, %.1f s CPU on %d thread%s\n", table.agent_steps, table.seconds,
           table.cpu_seconds, table.threads, table.threads == 1 ? "" : "s");
    printf("agent steps/s wall: %.0f\n", table.seconds > 0 ? table.agent_steps / table.seconds : 0.0);
    printf("agent steps/s per core: %.0f\n", table.cpu_seconds > 0 ? table.agent_steps / table.cpu_seconds : 0.0);
    return CLI_EXIT_OK;
}
