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

/* "a,b,c" into names; returns the count or -1. */
static int split_list(const char *text, char out[][16], int max)
{
    int n = 0;
    const char *p = text;
    while (*p) {
        const char *q = strchr(p, ',');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len == 0 || len >= 16 || n >= max)
            return -1;
        memcpy(out[n], p, len);
        out[n][len] = '\0';
        n++;
        if (!q)
            break;
        p = q + 1;
    }
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
    const char *policy = "frontier", *perception = "truth", *gif_scheme = NULL;
    char learned_buf[16][4096];
    const char *learned[16];
    int n_learned = 0;
    char merge_buf[16][4096];
    const char *merge[16];
    int n_merge = 0;
    long long gif_bits = -1, gif_episode = 0, v;
    int no_gif = 0;
    for (int i = 1; i < argc; i++) {
        int r = cli_standard_option(&common, bench_coop_usage, argc, argv, &i);
        if (r == CLI_OPTION_TAKEN)
            continue;
        if (r != CLI_OPTION_OWN)
            return r;
        const char *val;
        if (cli_option_is(argv[i], "--perception")) {
            if (cli_option_value(argc, argv, &i, &perception) < 0)
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(argv[i], "--policy")) {
            if (cli_option_value(argc, argv, &i, &policy) < 0)
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(argv[i], "--learned")) {
            if (cli_option_value(argc, argv, &i, &val) < 0)
                return CLI_EXIT_USAGE;
            for (const char *p = val; *p && n_learned < 16;) {
                const char *q = strchr(p, ',');
                size_t len = q ? (size_t)(q - p) : strlen(p);
                if (len == 0 || len >= sizeof learned_buf[0])
                    return cli_usage_error("bench coop", "--learned: expected run folders separated by commas");
                memcpy(learned_buf[n_learned], p, len);
                learned_buf[n_learned][len] = '\0';
                learned[n_learned] = learned_buf[n_learned];
                n_learned++;
                p = q ? q + 1 : p + len;
            }
        } else if (cli_option_is(argv[i], "--merge")) {
            if (cli_option_value(argc, argv, &i, &val) < 0)
                return CLI_EXIT_USAGE;
            for (const char *p = val; *p;) {
                const char *q = strchr(p, ',');
                size_t len = q ? (size_t)(q - p) : strlen(p);
                if (len == 0 || len >= sizeof merge_buf[0] || n_merge == 16)
                    return cli_usage_error("bench coop", "--merge: expected up to 16 folders separated by commas");
                memcpy(merge_buf[n_merge], p, len);
                merge_buf[n_merge][len] = '\0';
                merge[n_merge] = merge_buf[n_merge];
                n_merge++;
                p = q ? q + 1 : p + len;
            }
        } else if (cli_option_is(argv[i], "--schemes")) {
            if (cli_option_value(argc, argv, &i, &val) < 0)
                return CLI_EXIT_USAGE;
            if ((cfg.n_schemes = split_list(val, cfg.schemes, 4)) < 1)
                return cli_usage_error("bench coop", "--schemes: expected up to 4 names separated by commas, got '%s'", val);
        } else if (cli_option_is(argv[i], "--bits")) {
            char items[16][16];
            if (cli_option_value(argc, argv, &i, &val) < 0)
                return CLI_EXIT_USAGE;
            if ((cfg.n_bits = split_list(val, items, 16)) < 1)
                return cli_usage_error("bench coop", "--bits: expected up to 16 budgets separated by commas, got '%s'", val);
            for (int b = 0; b < cfg.n_bits; b++) {
                if (cli_parse_int("--bits", items[b], 1, CM_COOP_MAX_BITS, &v) < 0)
                    return CLI_EXIT_USAGE;
                cfg.bits[b] = (int)v;
            }
        } else if (cli_option_is(argv[i], "--episodes")) {
            if (cli_option_value(argc, argv, &i, &val) < 0 || cli_parse_int("--episodes", val, 1, 100000000, &v) < 0)
                return CLI_EXIT_USAGE;
            cfg.episodes = (int)v;
        } else if (cli_option_is(argv[i], "--set")) {
            if (cli_option_value(argc, argv, &i, &val) < 0)
                return CLI_EXIT_USAGE;
            if (cm_coop_config_set(&cfg.task, val) != CM_OK)
                return cli_usage_error("bench coop", "--set: %s", cm_errmsg());
        } else if (cli_option_is(argv[i], "--gif-scheme")) {
            if (cli_option_value(argc, argv, &i, &gif_scheme) < 0)
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(argv[i], "--gif-bits")) {
            if (cli_option_value(argc, argv, &i, &val) < 0 || cli_parse_int("--gif-bits", val, 1, CM_COOP_MAX_BITS, &gif_bits) < 0)
                return CLI_EXIT_USAGE;
        } else if (cli_option_is(argv[i], "--gif-episode")) {
            if (cli_option_value(argc, argv, &i, &val) < 0 || cli_parse_int("--gif-episode", val, 0, INT64_MAX, &gif_episode) < 0)
                return CLI_EXIT_USAGE;
        } else if (strcmp(argv[i], "--no-gif") == 0) {
            no_gif = 1;
        } else {
            return cli_usage_error("bench coop", "unknown option '%s'", argv[i]);
        }
    }
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
    if (!no_gif) {
        if (!gif_scheme)
            gif_scheme = cfg.schemes[0];
        if (gif_bits < 0) {
            gif_bits = cfg.bits[0];
            for (int b = 1; b < cfg.n_bits; b++)
                gif_bits = cfg.bits[b] < gif_bits ? cfg.bits[b] : gif_bits;
        }
    }
    cm_set_threads(common.threads);
    cm_progress progress;
    progress.out = cli_progress_stream(&common);
    st = cm_coop_report(&cfg, &loaded.plugins, common.out, no_gif ? NULL : gif_scheme, (int)gif_bits, gif_episode,
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
