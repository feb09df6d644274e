/* Agents explore a maze with the scripted policy (world.h; `cogmap maze
 * --out`): each writes an SSM-PC dataset folder, and a preview PNG shows the
 * map, the paths and a strip of agent 0's views. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/io.h"
#include "cogmap/world.h"

#define PREVIEW_VIEWS 8
#define PREVIEW_CELL 10

static const uint8_t path_rgb[4][3] = {{255, 255, 255}, {255, 215, 0}, {255, 80, 255}, {80, 255, 255}};

static void fill_rect(cm_image *img, int x0, int y0, int w, int h, const uint8_t c[3])
{
    for (int y = y0; y < y0 + h; y++)
        for (int x = x0; x < x0 + w; x++)
            if (x >= 0 && y >= 0 && x < img->width && y < img->height)
                memcpy(&img->pixels[(y * img->width + x) * 3], c, 3);
}

/* Top-down map of the (N+2)-cell grid, row 0 of the image at the top of the maze. */
static void draw_preview(const cm_maze *m, const float *path, int steps, int agents, uint8_t (*views)[64 * 64 * 3],
                         int n_views, cm_image *img)
{
    int n = m->size, map = (n + 2) * PREVIEW_CELL;
    memset(img->pixels, 24, (size_t)img->width * img->height * 3);
    for (int y = -1; y <= n; y++)
        for (int x = -1; x <= n; x++) {
            const uint8_t *c = !cm_maze_free(m, x, y)       ? m->block_rgb[cm_maze_block(m, x, y)]
                               : m->room_of[y * n + x] >= 0 ? m->floor_room_rgb
                                                            : m->floor_corridor_rgb;
            fill_rect(img, (x + 1) * PREVIEW_CELL, (n - y) * PREVIEW_CELL, PREVIEW_CELL, PREVIEW_CELL, c);
        }
    for (int a = 0; a < agents; a++)
        for (int t = 0; t < steps; t++) {
            const float *p = &path[((size_t)t * agents + a) * 2];
            int px = (int)((p[0] + 1.0f) * PREVIEW_CELL), py = (int)((n + 1 - p[1]) * PREVIEW_CELL);
            fill_rect(img, px, py, 2, 2, path_rgb[a % 4]);
        }
    for (int t = 0; t < m->n_targets; t++)
        fill_rect(img, (int)((m->targets[t][0] + 1.0f) * PREVIEW_CELL) - 3,
                  (int)((n + 1 - m->targets[t][1]) * PREVIEW_CELL) - 3, 6, 6, m->target_rgb[t]);
    for (int k = 0; k < n_views; k++)
        for (int y = 0; y < 64; y++)
            memcpy(&img->pixels[((size_t)(map + y) * img->width + k * 64) * 3], &views[k][y * 64 * 3], 64 * 3);
}

cm_status cm_maze_explore(const cm_maze *maze, const char *dir, int steps, int agents, float fov, uint64_t seed,
                          cm_progress *progress)
{
    /* The environment and the preview strip are large: on the heap. */
    cm_maze_env *envp = cm_calloc(1, sizeof *envp);
    uint8_t(*views)[64 * 64 * 3] = cm_alloc(PREVIEW_VIEWS * sizeof *views);
    if (!envp || !views) {
        cm_free(envp), cm_free(views);
        return cm_error(CM_ERR_NOMEM, "maze: out of memory for the environment");
    }
#define env (*envp)
    cm_status st = cm_maze_env_init(&env, maze, agents, seed);
    if (st != CM_OK) {
        cm_free(envp), cm_free(views);
        return st;
    }
    cm_render_config rc;
    cm_render_config_maze(&rc);
    cm_renderer *r = NULL;
    cm_dataset_writer *writers = cm_calloc((size_t)agents, sizeof *writers);
    float *path = cm_alloc((size_t)steps * agents * 2 * sizeof(float));
    uint8_t *rgb = cm_alloc(64 * 64 * 3), *bev = cm_alloc(CM_BEV_PIXELS * CM_BEV_PIXELS * 4);
    uint8_t *vis = cm_alloc((size_t)maze->size * maze->size);
    int n_views = 0;
    cm_image preview = {0};
    if (!writers || !path || !rgb || !bev || !vis) {
        st = cm_error(CM_ERR_NOMEM, "maze: out of memory for %d steps of %d agents", steps, agents);
        goto done;
    }
    if ((st = cm_renderer_create(&r, &env.arena, &env.maze, &rc)) != CM_OK)
        goto done;
    if ((st = cm_mkdir_p(dir)) != CM_OK)
        goto done;
    char env_name[64];
    snprintf(env_name, sizeof env_name, "cogmap-maze-%dx%d", maze->size, maze->size);
    for (int a = 0; a < agents; a++) {
        char sub[1100];
        if (agents == 1)
            snprintf(sub, sizeof sub, "%s", dir);
        else
            snprintf(sub, sizeof sub, "%s/agent_%d", dir, a);
        if ((st = cm_dataset_writer_open(&writers[a], sub, maze, fov, env_name)) != CM_OK)
            goto done;
    }
    cm_bev_config bc;
    cm_bev_config_default(&bc);
    bc.fov_deg = fov;
    cm_progress silent, *prog = progress ? progress : &silent;
    cm_progress_start(prog, progress ? progress->out : NULL, "explore", steps);
    int acts[CM_MAZE_MAX_AGENTS];
    float rew[CM_MAZE_MAX_AGENTS];
    for (int t = 0; t < steps; t++) {
        /* frame t is what the agents see before their t-th action (Memory-Maze's image[t]) */
        for (int a = 0; a < agents; a++) {
            const cm_maze_agent *ag = &env.agents[a];
            if ((st = cm_maze_env_render(&env, r, a, rgb, NULL)) != CM_OK)
                goto done;
            cm_bev_visible(maze->layout, maze->size, ag->pose, &bc, vis);
            cm_bev_draw(maze->layout, maze->size, vis, ag->pose, maze->n_targets, maze->targets, maze->target_rgb,
                        ag->target, bev);
            cm_dataset_frame f;
            memset(&f, 0, sizeof f);
            f.frame_id = t;
            f.timestamp = t / 4.0; /* 4 Hz control */
            f.position[0] = ag->pose.x;
            f.position[1] = ag->pose.y;
            f.rotation = ag->pose.theta;
            f.velocity[0] = ag->vel[0];
            f.velocity[1] = ag->vel[1];
            f.angular_velocity = ag->omega;
            for (int k = 0; k < maze->n_targets; k++) {
                int tx = (int)maze->targets[k][0], ty = (int)maze->targets[k][1];
                if (vis[ty * maze->size + tx])
                    f.visible[f.n_visible++] = k;
            }
            if ((st = cm_dataset_writer_add(&writers[a], &f, rgb, 64, 64, bev)) != CM_OK)
                goto done;
            path[((size_t)t * agents + a) * 2] = ag->pose.x;
            path[((size_t)t * agents + a) * 2 + 1] = ag->pose.y;
            if (a == 0 && n_views < PREVIEW_VIEWS && t >= (int)((long long)n_views * steps / PREVIEW_VIEWS))
                memcpy(views[n_views++], rgb, sizeof views[0]);
        }
        for (int a = 0; a < agents; a++)
            acts[a] = cm_maze_policy(&env, a, 0.1f);
        if ((st = cm_maze_env_step(&env, acts, rew)) != CM_OK)
            goto done;
        cm_progress_update(prog, t + 1, NULL);
    }
    int score = 0;
    for (int a = 0; a < agents; a++)
        score += env.agents[a].score;
    cm_progress_finish(prog, "%d targets reached", score);
    for (int a = 0; a < agents; a++) {
        if ((st = cm_dataset_writer_close(&writers[a])) != CM_OK)
            goto done;
    }
    int map = (maze->size + 2) * PREVIEW_CELL;
    int width = map > PREVIEW_VIEWS * 64 ? map : PREVIEW_VIEWS * 64;
    if ((st = cm_image_alloc(&preview, width, map + 64, 3)) != CM_OK)
        goto done;
    draw_preview(maze, path, steps, agents, views, n_views, &preview);
    char file[1100];
    snprintf(file, sizeof file, "%s/preview.png", dir);
    st = cm_png_write(file, &preview);
done:
    for (int a = 0; writers && a < agents; a++)
        if (writers[a].frames)
            cm_dataset_writer_abort(&writers[a]);
    cm_image_free(&preview);
    cm_renderer_free(r);
    cm_free(writers);
    cm_free(path);
    cm_free(rgb);
    cm_free(bev);
    cm_free(vis);
    cm_maze_env_free(&env);
#undef env
    cm_free(envp);
    cm_free(views);
    return st;
}
