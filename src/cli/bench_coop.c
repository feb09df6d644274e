/* `cogmap bench coop`: the cooperative-search table (success against bits
 * per step) for a policy and the schemes, written to a folder (coop.h). */
#include "cli/cli.h"

#include <stdlib.h>
#include <string.h>

#include "cogmap/coop.h"

static const char bench_coop_usage[] =
    "usage: cogmap bench coop --out DIR [--policy frontier|nearest|hrl-icm:RUN] [--learned RUN,...]\n"
    "                         [--perception truth|vision:BEV[,DETECTOR]]\n"
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
    "a preset name gives untrained weights, for timing only) fused into its own map.\n"
    "--merge: no episodes; the tables of report folders run apart (same task, seed and policy: not\n"
    "checked) as one DIR/table.csv and DIR/success_vs_bits.png, rows sorted by scheme then budget.\n";

/* "a,b,c" into names of up to `size` bytes; returns the count or -1. */
static int split_list(const char *text, char *out, size_t size, int max)
{
    int n = 0;
    for (const char *p = text; *p;) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || len >= size || n >= max)
            return -1;
        memcpy(out + n * size, p, len);
        out[n++ * size + len] = '\0';
        p = q ? q + 1 : p + len;
    }
    return n;
}

/* The folders of the --learned or --merge values (each "a,b,c") into `names`. */
static int split_folders(const cli_list *l, char buf[16][4096], const char *names[16])
{
    int n = 0;
    for (int k = 0; k < l->n; k++) {
        int m = split_list(l->items[k], buf[n], sizeof buf[0], 16 - n);
        if (m < 0)
            return -1;
        n += m;
    }
    for (int k = 0; k < n; k++)
        names[k] = buf[k];
    return n;
}

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
    cm_coop_bench_config cfg;
    cm_coop_bench_config_default(&cfg);
    const char *policy = "frontier", *perception = "truth", *gif_scheme = NULL, *schemes = NULL, *bits = NULL;
    const char *items[3][16];
    cli_list learned_l = {items[0], 0, 16}, merge_l = {items[1], 0, 16}, sets = {items[2], 0, 16};
    long long gif_bits = -1, gif_episode = 0, episodes = cfg.episodes, v;
    int no_gif = 0;
    const cli_opt opts[] = {
        {"--perception", CLI_STRING, &perception},
        {"--policy", CLI_STRING, &policy},
        {"--learned", CLI_LIST, &learned_l, 0, 0, "--learned: at most %d values"},
        {"--merge", CLI_LIST, &merge_l, 0, 0, "--merge: at most %d values"},
        {"--schemes", CLI_STRING, &schemes},
        {"--bits", CLI_STRING, &bits},
        {"--episodes", CLI_INT, &episodes, 1, 100000000},
        {"--set", CLI_LIST, &sets, 0, 0, "--set: at most %d settings"},
        {"--gif-scheme", CLI_STRING, &gif_scheme},
        {"--gif-bits", CLI_INT, &gif_bits, 1, CM_COOP_MAX_BITS},
        {"--gif-episode", CLI_INT, &gif_episode, 0, INT64_MAX},
        {"--no-gif", CLI_FLAG, &no_gif},
        {0}};
    int rc = cli_parse("bench coop", bench_coop_usage, &common, opts, argc, argv);
    if (rc != CLI_PARSED)
        return rc;
    static char learned_buf[16][4096], merge_buf[16][4096];
    const char *learned[16], *merge[16];
    const int n_learned = split_folders(&learned_l, learned_buf, learned), n_merge = split_folders(&merge_l, merge_buf, merge);
    if (n_learned < 0)
        return cli_usage_error("bench coop", "--learned: expected run folders separated by commas");
    if (n_merge < 0)
        return cli_usage_error("bench coop", "--merge: expected up to 16 folders separated by commas");
    if (schemes && (cfg.n_schemes = split_list(schemes, cfg.schemes[0], sizeof cfg.schemes[0], 4)) < 1)
        return cli_usage_error("bench coop", "--schemes: expected up to 4 names separated by commas, got '%s'", schemes);
    char bit_items[16][16];
    if (bits && (cfg.n_bits = split_list(bits, bit_items[0], sizeof bit_items[0], 16)) < 1)
        return cli_usage_error("bench coop", "--bits: expected up to 16 budgets separated by commas, got '%s'", bits);
    for (int b = 0; bits && b < cfg.n_bits; b++) {
        if (cli_parse_int("--bits", bit_items[b], 1, CM_COOP_MAX_BITS, &v) < 0)
            return CLI_EXIT_USAGE;
        cfg.bits[b] = (int)v;
    }
    cfg.episodes = (int)episodes;
    for (int k = 0; k < sets.n; k++)
        if (cm_coop_config_set(&cfg.task, sets.items[k]) != CM_OK)
            return cli_usage_error("bench coop", "--set: %s", cm_errmsg());
    if (!common.out)
        return cli_usage_error("bench coop", "--out DIR is required");
    static cm_coop_table table;
    if (n_merge > 0) {
        cm_status st = cm_coop_merge(merge, n_merge, common.out, &table);
        if (st != CM_OK)
            return st == CM_ERR_ARG ? cli_usage_error("bench coop", "%s", cm_errmsg()) : cli_fail("bench coop", st);
        print_table(&table);
        return CLI_EXIT_OK;
    }
    static cm_coop_loaded loaded;
    cm_status st = cm_coop_load(perception, policy, learned, n_learned, &loaded);
    if (st != CM_OK)
        return st == CM_ERR_ARG ? cli_usage_error("bench coop", "%s", cm_errmsg()) : cli_fail("bench coop", st);
    cm_set_threads(common.threads);
    cm_progress progress;
    progress.out = cli_progress_stream(&common);
    const char *gif = no_gif ? NULL : gif_scheme ? gif_scheme : cfg.schemes[0];
    st = cm_coop_report(&cfg, &loaded.plugins, common.out, gif, (int)gif_bits, gif_episode,
                        progress.out ? &progress : NULL, &table);
    if (st != CM_OK) {
        cm_coop_loaded_free(&loaded);
        return st == CM_ERR_ARG ? cli_usage_error("bench coop", "%s", cm_errmsg()) : cli_fail("bench coop", st);
    }
    print_table(&table);
    printf("agent steps: %.0f in %.1f s wall, %.1f s CPU on %d thread%s\n", table.agent_steps, table.seconds,
           table.cpu_seconds, table.threads, table.threads == 1 ? "" : "s");
    printf("agent steps/s wall: %.0f\n", table.seconds > 0 ? table.agent_steps / table.seconds : 0.0);
    printf("agent steps/s per core: %.0f\n", table.cpu_seconds > 0 ? table.agent_steps / table.cpu_seconds : 0.0);
    cm_coop_loaded_free(&loaded);
    return CLI_EXIT_OK;
}
