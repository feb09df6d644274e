/* Cooperative search figures and the benchmark's report folder (coop.h):
 * success against bits per step, and one episode as an animated GIF (each
 * agent's view, its map, what it sent). */
#include "cogmap/coop.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <cairo.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------ success vs bits */

static cm_rgb scheme_color(const char *name)
{
    if (strcmp(name, "learned") == 0)
        return (cm_rgb){0.84, 0.15, 0.16};
    if (strcmp(name, "broadcast") == 0)
        return (cm_rgb){0.12, 0.47, 0.71};
    if (strcmp(name, "oracle") == 0)
        return (cm_rgb){0.17, 0.63, 0.17};
    return (cm_rgb){0.4, 0.4, 0.4};
}

cm_status cm_coop_fig_success(const cm_coop_table *t, const char *path)
{
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, 1, 520, 380, "cooperative search: success against bits per step");
    if (st != CM_OK)
        return st;
    cm_panel *p = cm_figure_panel(fig, 0, 0);
    cm_panel_xlabel(p, "log2 of the budget B (bits per agent per step)");
    cm_panel_ylabel(p, "success rate (95% Wilson interval)");
    cm_panel_ylim(p, 0.0, 1.0);
    double xlo = INFINITY, xhi = -INFINITY;
    for (int r = 0; r < t->n_rows; r++)
        if (t->rows[r].bits > 0) {
            xlo = fmin(xlo, log2(t->rows[r].bits));
            xhi = fmax(xhi, log2(t->rows[r].bits));
        }
    if (!isfinite(xlo)) {
        xlo = 2;
        xhi = 7;
    }
    cm_panel_xlim(p, xlo - 0.5, xhi + 0.5);
    double legend_y = 0.30;
    const char *done[4] = {0};
    int n_done = 0;
    for (int r = 0; r < t->n_rows && st == CM_OK; r++) {
        const char *name = t->rows[r].scheme;
        int seen = 0;
        for (int k = 0; k < n_done; k++)
            seen |= strcmp(done[k], name) == 0;
        if (seen || n_done == 4)
            continue;
        done[n_done++] = name;
        cm_rgb col = scheme_color(name);
        if (t->rows[r].bits <= 0) {
            /* no budget: a level across the plot, its interval dashed-thin */
            st = cm_panel_hline(p, t->rows[r].success, col, 1.6);
            if (st == CM_OK)
                st = cm_panel_hline(p, t->rows[r].ci_low, col, 0.4);
            if (st == CM_OK)
                st = cm_panel_hline(p, t->rows[r].ci_high, col, 0.4);
        } else {
            double x[16], y[16];
            int n = 0;
            for (int q = r; q < t->n_rows && n < 16; q++)
                if (strcmp(t->rows[q].scheme, name) == 0 && t->rows[q].bits > 0) {
                    x[n] = log2(t->rows[q].bits);
                    y[n] = t->rows[q].success;
                    double ex[2] = {x[n], x[n]}, ey[2] = {t->rows[q].ci_low, t->rows[q].ci_high};
                    if (st == CM_OK)
                        st = cm_panel_line(p, ex, ey, 2, col, 1.0);
                    n++;
                }
            if (st == CM_OK)
                st = cm_panel_line(p, x, y, n, col, 1.8);
            if (st == CM_OK)
                st = cm_panel_scatter(p, x, y, n, col, 3.0);
        }
        if (st == CM_OK)
            st = cm_panel_text(p, 0.03, legend_y, name, 9, col);
        legend_y -= 0.07;
    }
    /* the paper's headline (ssm-pc.md §10.1), for reference */
    if (st == CM_OK && xlo <= 2.0 + 1e-9 && xhi >= 7.0 - 1e-9) {
        const double px[2] = {2, 7}, learned[2] = {0.644, 0.735}, broadcast[2] = {0.286, 0.676};
        st = cm_panel_scatter(p, px, learned, 2, (cm_rgb){0.95, 0.6, 0.6}, 4.5);
        if (st == CM_OK)
            st = cm_panel_scatter(p, px, broadcast, 2, (cm_rgb){0.6, 0.75, 0.95}, 4.5);
        if (st == CM_OK)
            st = cm_panel_text(p, 0.55, 0.06, "pale dots: the paper's learned / broadcast", 8, (cm_rgb){0.3, 0.3, 0.3});
    }
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

/* --------------------------------------------------------- episode GIF */

enum { VIEW_SCALE = 2, MAP_CELL = 8, COL_W = 176, TITLE_H = 22, LABEL_H = 16, BIT_PX = 6, BIT_COLS = 16 };

static void fill_rect(cairo_t *cr, double x, double y, double w, double h, double r, double g, double b)
{
    cairo_set_source_rgb(cr, r, g, b);
    cairo_rectangle(cr, x, y, w, h);
    cairo_fill(cr);
}

static void text(cairo_t *cr, double x, double y, double size, const char *s)
{
    cairo_select_font_face(cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_NORMAL);
    cairo_set_font_size(cr, size);
    cairo_set_source_rgb(cr, 0.92, 0.92, 0.92);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

static const double agent_rgb[CM_COOP_MAX_AGENTS][3] = {
    {1.0, 0.35, 0.3}, {1.0, 0.85, 0.2}, {0.75, 0.45, 1.0}, {0.3, 0.9, 0.9},
    {1.0, 0.6, 0.1},  {0.6, 1.0, 0.4},  {1.0, 0.5, 0.8},  {0.8, 0.8, 0.8},
};

/* One frame: a title, then per agent its view, its map and its message. */
static void draw_frame(cairo_t *cr, const cm_coop_env *env, int width, int height, int bit_rows)
{
    const int n = env->cfg.maze_size, k = env->cfg.n_agents;
    fill_rect(cr, 0, 0, width, height, 0.1, 0.1, 0.12);
    char line[160], budget[32] = "";
    if (env->comm.bits > 0)
        snprintf(budget, sizeof budget, " B=%d", env->comm.bits);
    snprintf(line, sizeof line, "%s%s  step %lld/%d  %s", env->comm.name, budget, (long long)env->t,
             env->cfg.max_steps, env->success ? "FOUND" : env->done ? "time out" : "searching");
    text(cr, 6, 15, 12, line);
    const uint8_t *trgb = env->world.maze.target_rgb[env->target];
    for (int i = 0; i < k; i++) {
        double x0 = i * COL_W + (COL_W - 64 * VIEW_SCALE) / 2.0, y = TITLE_H;
        const cm_coop_memory *m = &env->mem[i];
        snprintf(line, sizeof line, "agent %d  known %d", i, cm_coop_memory_known(m));
        text(cr, i * COL_W + 6, y + 11, 10, line);
        fill_rect(cr, i * COL_W + COL_W - 16, y + 3, 10, 10, agent_rgb[i][0], agent_rgb[i][1], agent_rgb[i][2]);
        y += LABEL_H;
        /* the view, nearest-neighbour scaled */
        if (env->frames) {
            const uint8_t *rgb = env->frames + (size_t)i * 64 * 64 * 3;
            for (int r = 0; r < 64; r++)
                for (int c = 0; c < 64; c++) {
                    const uint8_t *px = rgb + (r * 64 + c) * 3;
                    fill_rect(cr, x0 + c * VIEW_SCALE, y + r * VIEW_SCALE, VIEW_SCALE, VIEW_SCALE, px[0] / 255.0,
                              px[1] / 255.0, px[2] / 255.0);
                }
        }
        y += 64 * VIEW_SCALE + 6;
        /* the map, north up: unknown dark, own cells light, received bluish */
        double mx = i * COL_W + (COL_W - n * MAP_CELL) / 2.0;
        for (int cy = 0; cy < n; cy++)
            for (int cx = 0; cx < n; cx++) {
                int c = cy * n + cx;
                double px = mx + cx * MAP_CELL, py = y + (n - 1 - cy) * MAP_CELL;
                int st = m->cell[c], own = m->origin[c] == CM_COOP_FROM_SELF;
                if (st == CM_COOP_UNKNOWN)
                    fill_rect(cr, px, py, MAP_CELL, MAP_CELL, 0.18, 0.18, 0.2);
                else if (st == CM_COOP_FREE)
                    fill_rect(cr, px, py, MAP_CELL, MAP_CELL, own ? 0.85 : 0.55, own ? 0.85 : 0.7, own ? 0.82 : 0.95);
                else
                    fill_rect(cr, px, py, MAP_CELL, MAP_CELL, own ? 0.42 : 0.3, own ? 0.42 : 0.35, own ? 0.45 : 0.55);
            }
        /* the true target, outlined; filled once this agent knows it */
        {
            int tc = env->target_cell;
            double px = mx + (tc % n) * MAP_CELL, py = y + (n - 1 - tc / n) * MAP_CELL;
            cairo_set_source_rgb(cr, trgb[0] / 255.0, trgb[1] / 255.0, trgb[2] / 255.0);
            if (m->target >= 0) {
                cairo_arc(cr, px + MAP_CELL / 2.0, py + MAP_CELL / 2.0, MAP_CELL / 2.0, 0, 2 * M_PI);
                cairo_fill(cr);
            } else {
                cairo_set_line_width(cr, 1.0);
                cairo_rectangle(cr, px + 0.5, py + 0.5, MAP_CELL - 1, MAP_CELL - 1);
                cairo_stroke(cr);
            }
        }
        /* partners where they last said they were, itself where it is */
        for (int j = 0; j < k; j++) {
            double ax, ay;
            if (j == i) {
                ax = m->pose.x;
                ay = m->pose.y;
            } else if (m->partner_cell[j] >= 0) {
                ax = m->partner_cell[j] % n + 0.5;
                ay = m->partner_cell[j] / n + 0.5;
            } else {
                continue;
            }
            if (!isfinite(ax) || !isfinite(ay))
                continue;
            double px = mx + ax * MAP_CELL, py = y + (n - ay) * MAP_CELL;
            cairo_set_source_rgb(cr, agent_rgb[j][0], agent_rgb[j][1], agent_rgb[j][2]);
            cairo_arc(cr, px, py, j == i ? 3.2 : 2.4, 0, 2 * M_PI);
            cairo_fill(cr);
            if (j == i) {
                cairo_set_line_width(cr, 1.5);
                cairo_move_to(cr, px, py);
                cairo_line_to(cr, px + 7 * cos(m->pose.theta), py - 7 * sin(m->pose.theta));
                cairo_stroke(cr);
            }
        }
        y += n * MAP_CELL + 6;
        /* the message of the last round */
        int bits = env->msg.bits[i];
        if (env->comm.bits > 0) {
            int slots = env->comm.bits < bit_rows * BIT_COLS ? env->comm.bits : bit_rows * BIT_COLS;
            double bx = i * COL_W + (COL_W - BIT_COLS * BIT_PX) / 2.0;
            for (int b = 0; b < slots; b++) {
                double px = bx + (b % BIT_COLS) * BIT_PX, py = y + (b / BIT_COLS) * BIT_PX;
                if (b < bits) {
                    int v = (env->msg.payload[i][b >> 3] >> (7 - (b & 7))) & 1;
                    fill_rect(cr, px, py, BIT_PX - 1, BIT_PX - 1, v ? 0.95 : 0.05, v ? 0.95 : 0.05, v ? 0.95 : 0.05);
                } else {
                    fill_rect(cr, px, py, BIT_PX - 1, BIT_PX - 1, 0.25, 0.25, 0.28);
                }
            }
            y += bit_rows * BIT_PX + 2;
            snprintf(line, sizeof line, "sent %d bit%s%s", bits, bits == 1 ? "" : "s",
                     env->msg.gate[i] == 0 ? " (gate shut)" : "");
        } else if (env->comm.bits < 0) {
            snprintf(line, sizeof line, "shared map (%d bits as records)", bits);
        } else {
            snprintf(line, sizeof line, "silent");
        }
        text(cr, i * COL_W + 6, y + 11, 10, line);
    }
}

cm_status cm_coop_episode_gif(const cm_coop_config *task, const cm_coop_plugins *pl, const cm_coop_comm *comm,
                              uint64_t seed, int64_t episode, int stride, const char *path, cm_coop_episode *out)
{
    if (stride < 1)
        return cm_error(CM_ERR_ARG, "%s: frame stride: expected >= 1, got %d", path, stride);
    cm_coop_env *env = NULL;
    void *pstate = NULL;
    cm_status st = cm_coop_env_create(&env, task, &pl->perception, comm, 1);
    if (st != CM_OK)
        return st;
    if (pl->policy.state_create && (st = pl->policy.state_create(pl->policy.model, task, &pstate)) != CM_OK) {
        cm_coop_env_free(env);
        return st;
    }
    const int k = task->n_agents, n = task->maze_size;
    int bit_rows = comm->bits > 0 ? (comm->bits + BIT_COLS - 1) / BIT_COLS : 0;
    if (bit_rows > 8)
        bit_rows = 8;
    const int width = k * COL_W;
    const int height = TITLE_H + LABEL_H + 64 * VIEW_SCALE + 6 + n * MAP_CELL + 6 + bit_rows * BIT_PX + 2 + LABEL_H;
    const int max_frames = task->max_steps / stride + 2;
    uint8_t **frames = cm_calloc((size_t)max_frames, sizeof *frames);
    cairo_surface_t *surf = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
    cairo_t *cr = cairo_create(surf);
    int count = 0;
    if (!frames || cairo_status(cr) != CAIRO_STATUS_SUCCESS)
        st = cm_error(CM_ERR_NOMEM, "%s: cannot allocate the frames", path);
    if (st == CM_OK)
        st = cm_coop_env_reset(env, CM_COOP_EVAL, seed, episode);
    if (st == CM_OK && pl->policy.reset)
        st = pl->policy.reset(pstate, env);
    int actions[CM_COOP_MAX_AGENTS];
    while (st == CM_OK) {
        if (env->t % stride == 0 || env->done) {
            draw_frame(cr, env, width, height, bit_rows);
            cairo_surface_flush(surf);
            uint8_t *f = cm_alloc((size_t)width * height * 3);
            if (!f || count >= max_frames) {
                cm_free(f);
                st = cm_error(CM_ERR_NOMEM, "%s: out of memory for frame %d", path, count);
                break;
            }
            const unsigned char *data = cairo_image_surface_get_data(surf);
            int strd = cairo_image_surface_get_stride(surf);
            for (int y = 0; y < height; y++)
                for (int x = 0; x < width; x++) {
                    uint32_t v = *(const uint32_t *)(data + (size_t)y * strd + 4 * (size_t)x);
                    uint8_t *o = f + ((size_t)y * width + x) * 3;
                    o[0] = (uint8_t)(v >> 16);
                    o[1] = (uint8_t)(v >> 8);
                    o[2] = (uint8_t)v;
                }
            frames[count++] = f;
        }
        if (env->done)
            break;
        if ((st = pl->policy.act(pstate, env, actions)) != CM_OK)
            break;
        st = cm_coop_env_step(env, actions);
    }
    if (st == CM_OK) {
        /* hold the last frame a little longer by repeating it */
        const uint8_t *list[1024];
        int m = 0;
        for (int f = 0; f < count && m < 1000; f++)
            list[m++] = frames[f];
        for (int r = 0; r < 8 && m < 1024 && count > 0; r++)
            list[m++] = frames[count - 1];
        st = cm_gif_write(path, list, m, width, height, 12);
    }
    if (st == CM_OK && out) {
        out->success = env->success;
        out->steps = (int)env->t;
        out->first_sight = env->first_sight;
        out->bits_sent = env->bits_sent;
    }
    for (int f = 0; f < count; f++)
        cm_free(frames[f]);
    cm_free(frames);
    cairo_destroy(cr);
    cairo_surface_destroy(surf);
    if (pstate && pl->policy.state_free)
        pl->policy.state_free(pstate);
    cm_coop_env_free(env);
    return st;
}

/* ------------------------------------------------------------- report */

cm_status cm_coop_report(const cm_coop_bench_config *cfg, const cm_coop_plugins *pl, const char *dir,
                         const char *gif_scheme, int gif_bits, int64_t gif_episode, cm_progress *progress,
                         cm_coop_table *table)
{
    cm_status st = cm_mkdir_p(dir);
    if (st != CM_OK)
        return st;
    if ((st = cm_coop_bench(cfg, pl, progress, table)) != CM_OK)
        return st;
    char path[4096];
    if ((st = cm_path_join(path, sizeof path, dir, "table.csv")) != CM_OK ||
        (st = cm_coop_table_write_csv(table, path)) != CM_OK)
        return st;
    if ((st = cm_path_join(path, sizeof path, dir, "success_vs_bits.png")) != CM_OK ||
        (st = cm_coop_fig_success(table, path)) != CM_OK)
        return st;
    /* what the learned messages carry, per budget */
    int with_learned = 0;
    for (int s = 0; s < cfg->n_schemes; s++)
        with_learned |= strcmp(cfg->schemes[s], "learned") == 0;
    if (with_learned && pl->learned) {
        cm_coop_probe_result probes[16];
        int n = 0;
        for (int b = 0; b < cfg->n_bits && st == CM_OK; b++) {
            cm_coop_comm comm;
            if ((st = pl->learned(pl->learned_ctx, cfg->bits[b], &comm)) == CM_OK)
                st = cm_coop_probe(&cfg->task, pl, &comm, cfg->episodes < 100 ? cfg->episodes : 100, cfg->seed,
                                   &probes[n++]);
        }
        if (st == CM_OK && (st = cm_path_join(path, sizeof path, dir, "probe.csv")) == CM_OK)
            st = cm_coop_probes_write_csv(probes, cfg->bits, n, path);
        if (st != CM_OK)
            return st;
    }
    if (!gif_scheme)
        return CM_OK;
    for (int b = 0; gif_bits < 1 && b < cfg->n_bits; b++) /* the smallest budget */
        gif_bits = b == 0 || cfg->bits[b] < gif_bits ? cfg->bits[b] : gif_bits;
    cm_coop_comm comm;
    if (strcmp(gif_scheme, "learned") == 0) {
        if (!pl->learned)
            return cm_error(CM_ERR_ARG, "coop report: gif scheme learned: expected a trained link");
        st = pl->learned(pl->learned_ctx, gif_bits, &comm);
    } else {
        st = cm_coop_comm_builtin(gif_scheme, gif_bits, &comm);
    }
    if (st != CM_OK)
        return st;
    if ((st = cm_path_join(path, sizeof path, dir, "episode.gif")) != CM_OK)
        return st;
    return cm_coop_episode_gif(&cfg->task, pl, &comm, cfg->seed, gif_episode, 2, path, NULL);
}

/* -------------------------------------------------------------- merge */

cm_status cm_coop_merge(const char *const *dirs, int n, const char *out_dir, cm_coop_table *table)
{
    if (n < 1)
        return cm_error(CM_ERR_ARG, "coop merge: expected at least one report folder, got %d", n);
    memset(table, 0, sizeof *table);
    char path[4096];
    cm_status st = CM_OK;
    for (int i = 0; i < n && st == CM_OK; i++)
        if ((st = cm_path_join(path, sizeof path, dirs[i], "table.csv")) == CM_OK)
            st = cm_coop_table_append_csv(path, table);
    if (st != CM_OK)
        return st;
    /* insertion sort (stable): scheme by first appearance, then budget, the
     * order cm_coop_fig_success draws a scheme's line in */
    int first[CM_COOP_MAX_ROWS];
    for (int r = 0; r < table->n_rows; r++) {
        first[r] = r;
        for (int q = 0; q < r; q++)
            if (strcmp(table->rows[q].scheme, table->rows[r].scheme) == 0) {
                first[r] = first[q];
                break;
            }
    }
    for (int r = 1; r < table->n_rows; r++) {
        cm_coop_row row = table->rows[r];
        int key = first[r], q = r - 1;
        while (q >= 0 && (first[q] > key || (first[q] == key && table->rows[q].bits > row.bits))) {
            table->rows[q + 1] = table->rows[q];
            first[q + 1] = first[q];
            q--;
        }
        table->rows[q + 1] = row;
        first[q + 1] = key;
    }
    if ((st = cm_mkdir_p(out_dir)) != CM_OK)
        return st;
    if ((st = cm_path_join(path, sizeof path, out_dir, "table.csv")) != CM_OK ||
        (st = cm_coop_table_write_csv(table, path)) != CM_OK)
        return st;
    if ((st = cm_path_join(path, sizeof path, out_dir, "success_vs_bits.png")) != CM_OK)
        return st;
    return cm_coop_fig_success(table, path);
}
