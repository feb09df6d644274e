/* The cooperative-search benchmark (coop.h): success against bits per step
 * for each scheme, with Wilson intervals, episodes spread over the workers.
 * Every row runs episodes 0..E-1 of the same evaluation seeds, so the rows
 * compare the schemes on the same mazes, spawns and targets. */
#include "cogmap/coop.h"
#include "cogmap/io.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

void cm_wilson_interval(int64_t successes, int64_t n, double *lo, double *hi)
{
    if (n <= 0) {
        *lo = 0.0;
        *hi = 1.0;
        return;
    }
    const double z = 1.959963984540054; /* the 97.5% normal quantile */
    double p = (double)successes / (double)n, z2n = z * z / (double)n;
    double centre = (p + 0.5 * z2n) / (1.0 + z2n);
    double half = z / (1.0 + z2n) * sqrt(p * (1.0 - p) / (double)n + z * z / (4.0 * (double)n * (double)n));
    *lo = centre - half < 0.0 ? 0.0 : centre - half;
    *hi = centre + half > 1.0 ? 1.0 : centre + half;
}

static double process_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cm_coop_bench_config_default(cm_coop_bench_config *c)
{
    memset(c, 0, sizeof *c);
    cm_coop_config_default(&c->task);
    static const char *const schemes[4] = {"learned", "broadcast", "none", "oracle"};
    c->n_schemes = 4;
    for (int i = 0; i < 4; i++)
        snprintf(c->schemes[i], sizeof c->schemes[i], "%s", schemes[i]);
    static const int bits[6] = {4, 8, 16, 32, 64, 128};
    c->n_bits = 6;
    memcpy(c->bits, bits, sizeof bits);
    c->episodes = 500;
    c->seed = 1;
}

static cm_status make_comm(const cm_coop_plugins *pl, const char *scheme, int bits, cm_coop_comm *out)
{
    if (strcmp(scheme, "learned") == 0) {
        if (!pl->learned)
            return cm_error(CM_ERR_ARG, "coop bench: scheme learned: expected a trained run (the policy's link)");
        return pl->learned(pl->learned_ctx, bits, out);
    }
    return cm_coop_comm_builtin(scheme, bits, out);
}

/* Episodes [0, E) of one row over the workers; each result lands in its own
 * slot, so the row's sums do not depend on who ran what. */
typedef struct row_ctx {
    const cm_coop_bench_config *cfg;
    const cm_coop_plugins *pl;
    cm_coop_episode *res;
    cm_progress *progress;
    int64_t *done_total;
} row_ctx;

static cm_status play_row_episode(void *ctx, cm_coop_worker *wk, int64_t e)
{
    row_ctx *c = ctx;
    cm_status st = cm_coop_run_episode(wk->env, &c->pl->policy, wk->policy_state, CM_COOP_EVAL, c->cfg->seed, e,
                                       &c->res[e]);
    int64_t d;
#pragma omp atomic capture
    d = ++*c->done_total;
    if (wk->index == 0 && c->progress)
        cm_progress_update(c->progress, d, NULL);
    return st;
}

static cm_status run_row(const cm_coop_bench_config *cfg, const cm_coop_plugins *pl, const cm_coop_comm *comm,
                         cm_coop_episode *res, cm_progress *progress, int64_t *done_total)
{
    row_ctx c = {cfg, pl, res, progress, done_total};
    const cm_coop_workers w = {&cfg->task, &pl->perception, comm, &pl->policy, cfg->episodes, play_row_episode,
                               NULL, &c};
    return cm_coop_for_episodes(&w);
}

cm_status cm_coop_bench(const cm_coop_bench_config *cfg, const cm_coop_plugins *pl, cm_progress *progress,
                        cm_coop_table *out)
{
    memset(out, 0, sizeof *out);
    cm_status st = cm_coop_config_check(&cfg->task);
    if (st != CM_OK)
        return st;
    if (cfg->episodes < 1)
        return cm_error(CM_ERR_ARG, "coop bench: episodes: expected >= 1, got %d", cfg->episodes);
    if (cfg->n_schemes < 1 || cfg->n_schemes > 4)
        return cm_error(CM_ERR_ARG, "coop bench: schemes: expected 1..4, got %d", cfg->n_schemes);
    if (!pl || !pl->perception.observe || !pl->policy.act)
        return cm_error(CM_ERR_ARG, "coop bench: expected a perception and a policy");
    /* the rows, in the order asked */
    int n_rows = 0;
    char row_scheme[CM_COOP_MAX_ROWS][16];
    int row_bits[CM_COOP_MAX_ROWS];
    for (int s = 0; s < cfg->n_schemes; s++) {
        const char *name = cfg->schemes[s];
        int budgeted = strcmp(name, "learned") == 0 || strcmp(name, "broadcast") == 0;
        if (!budgeted && strcmp(name, "none") != 0 && strcmp(name, "oracle") != 0)
            return cm_error(CM_ERR_ARG, "coop bench: scheme '%s': expected learned, broadcast, none or oracle", name);
        if (budgeted && (cfg->n_bits < 1 || cfg->n_bits > 16))
            return cm_error(CM_ERR_ARG, "coop bench: bits: expected 1..16 budgets, got %d", cfg->n_bits);
        int nb = budgeted ? cfg->n_bits : 1;
        for (int b = 0; b < nb; b++) {
            if (n_rows >= CM_COOP_MAX_ROWS)
                return cm_error(CM_ERR_ARG, "coop bench: more than %d rows", CM_COOP_MAX_ROWS);
            snprintf(row_scheme[n_rows], 16, "%s", name);
            row_bits[n_rows] = budgeted ? cfg->bits[b] : strcmp(name, "none") == 0 ? 0 : -1;
            if (budgeted && (cfg->bits[b] < 1 || cfg->bits[b] > CM_COOP_MAX_BITS))
                return cm_error(CM_ERR_ARG, "coop bench: bits: expected 1..%d, got %d", CM_COOP_MAX_BITS, cfg->bits[b]);
            n_rows++;
        }
    }
    cm_coop_episode *res = cm_calloc((size_t)cfg->episodes, sizeof *res);
    if (!res)
        return cm_error(CM_ERR_NOMEM, "coop bench: out of memory for %d episodes", cfg->episodes);
    int64_t total = (int64_t)n_rows * cfg->episodes, done = 0;
    if (progress)
        cm_progress_start(progress, progress->out, "coop episodes", total);
    double t_start = cm_now(), c_start = process_cpu();
    out->threads = cm_threads();
    for (int r = 0; r < n_rows && st == CM_OK; r++) {
        cm_coop_comm comm;
        if ((st = make_comm(pl, row_scheme[r], row_bits[r], &comm)) != CM_OK)
            break;
        double t0 = cm_now();
        if ((st = run_row(cfg, pl, &comm, res, progress, &done)) != CM_OK)
            break;
        cm_coop_row *row = &out->rows[out->n_rows++];
        snprintf(row->scheme, sizeof row->scheme, "%s", row_scheme[r]);
        row->bits = row_bits[r];
        row->episodes = cfg->episodes;
        int64_t steps = 0, bits = 0;
        for (int e = 0; e < cfg->episodes; e++) {
            row->successes += res[e].success;
            steps += res[e].steps;
            bits += res[e].bits_sent;
        }
        row->success = (double)row->successes / (double)cfg->episodes;
        cm_wilson_interval(row->successes, cfg->episodes, &row->ci_low, &row->ci_high);
        row->mean_steps = (double)steps / (double)cfg->episodes;
        row->agent_steps = (double)steps * cfg->task.n_agents;
        row->bits_per_step = row->agent_steps > 0 ? (double)bits / row->agent_steps : 0.0;
        row->seconds = cm_now() - t0;
        out->agent_steps += row->agent_steps;
    }
    out->seconds = cm_now() - t_start;
    out->cpu_seconds = process_cpu() - c_start;
    cm_free(res);
    if (progress && st == CM_OK)
        cm_progress_finish(progress, "%.0f agent steps/s", out->seconds > 0 ? out->agent_steps / out->seconds : 0.0);
    return st;
}

cm_status cm_coop_table_write_csv(const cm_coop_table *t, const char *path)
{
    cm_atomic_file f;
    cm_status st = cm_atomic_open(&f, path);
    if (st != CM_OK)
        return st;
    fprintf(f.fp, "scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step\n");
    for (int r = 0; r < t->n_rows; r++) {
        const cm_coop_row *w = &t->rows[r];
        char bits[16];
        if (w->bits < 0)
            snprintf(bits, sizeof bits, "inf");
        else
            snprintf(bits, sizeof bits, "%d", w->bits);
        fprintf(f.fp, "%s,%s,%d,%.6f,%.6f,%.6f,%.3f,%.4f\n", w->scheme, bits, w->episodes, w->success, w->ci_low,
                w->ci_high, w->mean_steps, w->bits_per_step);
    }
    return cm_atomic_commit(&f);
}

/* Rows of a table.csv written by cm_coop_table_write_csv appended to t. The
 * successes are recovered from success x episodes (written with 6 decimals:
 * exact up to 10^5 episodes) and the interval recomputed from them; the
 * timings are not in the file (0). */
cm_status cm_coop_table_append_csv(const char *path, cm_coop_table *t)
{
    static const char header[] = "scheme,bits,episodes,success,ci_low,ci_high,mean_steps,bits_per_step";
    FILE *f = fopen(path, "r");
    if (!f)
        return cm_error(CM_ERR_IO, "%s: cannot open", path);
    char line[512];
    cm_status st = CM_OK;
    if (!fgets(line, sizeof line, f) || strncmp(line, header, sizeof header - 1) != 0 ||
        (line[sizeof header - 1] != '\n' && line[sizeof header - 1] != '\0'))
        st = cm_error(CM_ERR_FORMAT, "%s: line 1: expected the header '%s'", path, header);
    for (int ln = 2; st == CM_OK && fgets(line, sizeof line, f); ln++) {
        if (line[0] == '\n' || line[0] == '\0')
            continue;
        char scheme[32], bits[16];
        int episodes, used = 0;
        double success, lo, hi, steps, bps;
        if (sscanf(line, "%31[^,],%15[^,],%d,%lf,%lf,%lf,%lf,%lf%n", scheme, bits, &episodes, &success, &lo, &hi, &steps,
                   &bps, &used) != 8 || (line[used] != '\n' && line[used] != '\0')) {
            st = cm_error(CM_ERR_FORMAT, "%s: line %d: expected 8 fields (%s)", path, ln, header);
            break;
        }
        char *end;
        long b = strcmp(bits, "inf") == 0 ? -1 : strtol(bits, &end, 10);
        if ((b != -1 && (*end || b < 0 || b > CM_COOP_MAX_BITS)) || (b == -1 && strcmp(scheme, "oracle") != 0) ||
            strlen(scheme) >= sizeof t->rows[0].scheme || episodes < 1 || !(success >= 0.0 && success <= 1.0)) {
            st = cm_error(CM_ERR_FORMAT, "%s: line %d: expected scheme, budget (inf for the oracle), episodes >= 1 and a "
                                         "success in [0, 1], got '%s,%s,%d,%g'",
                          path, ln, scheme, bits, episodes, success);
            break;
        }
        for (int r = 0; r < t->n_rows && st == CM_OK; r++)
            if (strcmp(t->rows[r].scheme, scheme) == 0 && t->rows[r].bits == (int)b)
                st = cm_error(CM_ERR_ARG, "%s: line %d: a row %s at %s bits is already in the table", path, ln, scheme,
                              bits);
        if (st == CM_OK && t->n_rows == CM_COOP_MAX_ROWS)
            st = cm_error(CM_ERR_ARG, "%s: line %d: more than %d rows", path, ln, CM_COOP_MAX_ROWS);
        if (st != CM_OK)
            break;
        cm_coop_row *w = &t->rows[t->n_rows++];
        memset(w, 0, sizeof *w);
        snprintf(w->scheme, sizeof w->scheme, "%s", scheme);
        w->bits = (int)b;
        w->episodes = episodes;
        w->successes = (int)lround(success * episodes);
        w->success = (double)w->successes / episodes;
        cm_wilson_interval(w->successes, episodes, &w->ci_low, &w->ci_high);
        w->mean_steps = steps;
        w->bits_per_step = bps;
    }
    fclose(f);
    return st;
}
