/* SSM-PC dataset folders: round trip, the legacy schema, malformed folders. */
#include "test_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cogmap/io.h"
#include "cogmap/world.h"

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* What write_folder wrote, for the tests to compare what they read with. */
typedef struct written_folder {
    cm_maze maze;
    cm_dataset_frame frames[10];
    uint8_t views[10][64 * 64 * 3];
} written_folder;

/* A folder written from an exploring agent: frames 0..7 and 10..11 (a gap). */
static void write_folder(const char *dir, written_folder *out)
{
    cm_maze *maze = &out->maze;
    cm_dataset_frame *frames = out->frames;
    uint8_t(*views)[64 * 64 * 3] = out->views;
    cm_maze_params p;
    assert_int_equal(cm_maze_params_default(9, &p), CM_OK);
    assert_int_equal(cm_maze_generate(&p, 8, maze), CM_OK);
    static cm_maze_env env;
    assert_int_equal(cm_maze_env_init(&env, maze, 1, 8), CM_OK);
    cm_render_config c;
    cm_render_config_maze(&c);
    cm_renderer *r;
    assert_int_equal(cm_renderer_create(&r, &env.arena, &env.maze, &c), CM_OK);
    cm_dataset_writer w;
    assert_int_equal(cm_dataset_writer_open(&w, dir, maze, 75.0f, "test"), CM_OK);
    static uint8_t vis[CM_MAZE_MAX_SIZE * CM_MAZE_MAX_SIZE], bev[CM_BEV_PIXELS * CM_BEV_PIXELS * 4];
    cm_bev_config bc;
    cm_bev_config_default(&bc);
    for (int k = 0; k < 10; k++) {
        int act = cm_maze_policy(&env, 0, 0.1f);
        float rew;
        assert_int_equal(cm_maze_env_step(&env, &act, &rew), CM_OK);
        const cm_maze_agent *a = &env.agents[0];
        cm_dataset_frame *f = &frames[k];
        memset(f, 0, sizeof *f);
        f->frame_id = k < 8 ? k : k + 2;
        f->timestamp = f->frame_id * 0.25;
        f->position[0] = a->pose.x;
        f->position[1] = a->pose.y;
        f->rotation = a->pose.theta;
        f->velocity[0] = a->vel[0];
        f->velocity[1] = a->vel[1];
        f->angular_velocity = a->omega;
        f->n_visible = 2;
        f->visible[0] = 0;
        f->visible[1] = 2;
        cm_maze_env_render(&env, r, 0, views[k], NULL);
        cm_bev_visible(maze->layout, maze->size, a->pose, &bc, vis);
        cm_bev_draw(maze->layout, maze->size, vis, a->pose, maze->n_targets, maze->targets, maze->target_rgb,
                    a->target, bev);
        assert_int_equal(cm_dataset_writer_add(&w, f, views[k], 64, 64, bev), CM_OK);
    }
    assert_int_equal(cm_dataset_writer_add(&w, &frames[0], views[0], 64, 64, NULL), CM_ERR_ARG); /* twice */
    assert_int_equal(cm_dataset_writer_close(&w), CM_OK);
    cm_renderer_free(r);
    cm_maze_env_free(&env);
}

static void test_round_trip(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    static written_folder w; /* static: the views are large */
    write_folder(dir, &w);
    static cm_dataset d;
    assert_int_equal(cm_dataset_read(dir, &d), CM_OK);
    assert_int_equal(d.n_frames, 10);
    assert_false(d.legacy);
    assert_int_equal(d.maze_size, 9);
    assert_float_equal(d.fov_angle, 75.0f, 0);
    assert_int_equal(d.seed, 8);
    assert_int_equal(d.n_objects, 3);
    assert_true(d.has_layout);
    assert_memory_equal(d.layout, w.maze.layout, 81);
    assert_float_equal(d.objects[1][0], w.maze.targets[1][0], 1e-6);
    assert_float_equal(d.object_rgb[0][0], 170 / 220.0f, 1e-6);
    for (int k = 0; k < 10; k++) {
        const cm_dataset_frame *g = &d.frames[k], *f = &w.frames[k];
        assert_int_equal(g->frame_id, f->frame_id); /* sorted, gap kept */
        assert_float_equal(g->position[0], f->position[0], 1e-6);
        assert_float_equal(g->position[1], f->position[1], 1e-6);
        assert_float_equal(g->rotation, f->rotation, 1e-6);
        assert_float_equal(g->velocity[1], f->velocity[1], 1e-6);
        assert_float_equal(g->angular_velocity, f->angular_velocity, 1e-6);
        assert_float_equal(g->timestamp, f->timestamp, 1e-9);
        assert_int_equal(g->n_visible, 2);
        assert_int_equal(g->visible[1], 2);
        assert_true(g->has_motion);
        char path[1200];
        snprintf(path, sizeof path, "%s/%s", dir, g->fps_view);
        cm_image img;
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.width, 64);
        assert_int_equal(img.channels, 3);
        assert_memory_equal(img.pixels, w.views[k], sizeof w.views[k]);
        cm_image_free(&img);
        snprintf(path, sizeof path, "%s/%s", dir, g->bev_view);
        assert_int_equal(cm_png_read(path, &img), CM_OK);
        assert_int_equal(img.width, 250);
        assert_int_equal(img.channels, 4);
        cm_image_free(&img);
    }
    cm_dataset_free(&d);
    cmt_tmpdir_remove(dir);
}

static void test_legacy_schema(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    char sub[1200];
    snprintf(sub, sizeof sub, "%s/fps_views", dir);
    assert_int_equal(cm_mkdir_p(sub), CM_OK);
    static uint8_t px[64 * 64 * 3];
    cm_image img = {64, 64, 3, px};
    for (int id = 3; id <= 5; id++) {
        snprintf(sub, sizeof sub, "%s/fps_views/frame_%06d.png", dir, id);
        assert_int_equal(cm_png_write(sub, &img), CM_OK);
    }
    write_text(dir, "frame_info.json",
               "{\"frame_000005\": {\"rotation_angle\": 1.5, \"visible_indices\": [-1], \"agent_position\": [2.5, 3.5]},\n"
               " \"frame_000003\": {\"rotation_angle\": -0.5, \"visible_indices\": [1, 4], \"agent_position\": [1, 2]},\n"
               " \"frame_000004\": {\"rotation_angle\": 0, \"visible_indices\": [], \"agent_position\": [1.5, 2]}}\n");
    write_text(dir, "env_config.json", "{\"env_name\": \"MemoryMaze-15x15-ExtraObs\", \"agent_height\": 0.3, "
                                       "\"fov_angle\": 75, \"seed\": null, \"maze_size\": 15}\n");
    static cm_dataset d;
    assert_int_equal(cm_dataset_read(dir, &d), CM_OK);
    assert_true(d.legacy);
    assert_int_equal(d.n_frames, 3);
    assert_int_equal(d.frames[0].frame_id, 3);
    assert_int_equal(d.frames[2].frame_id, 5);
    assert_float_equal(d.frames[0].rotation, -0.5f, 0);
    assert_float_equal(d.frames[2].position[1], 3.5f, 0);
    assert_int_equal(d.frames[0].n_visible, 2);
    assert_int_equal(d.frames[0].visible[1], 4);
    assert_int_equal(d.frames[2].n_visible, 0); /* [-1]: none */
    assert_false(d.frames[0].has_motion);
    assert_int_equal(d.seed, -1);
    assert_int_equal(d.maze_size, 15);
    assert_false(d.has_layout);
    cm_dataset_free(&d);
    cmt_tmpdir_remove(dir);
}

/* Expects cm_dataset_read to fail with CM_ERR_FORMAT and a message containing `needle`. */
static void expect_bad(const char *dir, const char *needle)
{
    static cm_dataset d;
    cm_status st = cm_dataset_read(dir, &d);
    if (st != CM_ERR_FORMAT || !strstr(cm_errmsg(), needle))
        fail_msg("expected a format error mentioning '%s', got %d: %s", needle, st, cm_errmsg());
    assert_null(d.frames);
}

static void test_malformed_folders(void **state)
{
    (void)state;
    const char *dir = cmt_tmpdir();
    static written_folder w; /* static: the views are large */
    write_folder(dir, &w);
    char path[1200];
    /* a missing frame image */
    snprintf(path, sizeof path, "%s/fps_views/frame_000004.png", dir);
    assert_int_equal(unlink(path), 0);
    expect_bad(dir, "frame_000004.png");
    /* frame_info of the wrong shape */
    write_text(dir, "frame_info.json", "[1, 2, 3]\n");
    expect_bad(dir, "frame_info.json");
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2, 3], \"rotation\": 0, "
               "\"velocity\": [0, 0], \"angular_velocity\": 0}, \"observations\": {\"fps_view\": "
               "\"fps_views/frame_000001.png\"}}}\n");
    expect_bad(dir, "frame_000001.agent_state.position");
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": \"x\", "
               "\"velocity\": [0, 0], \"angular_velocity\": 0}, \"observations\": {\"fps_view\": "
               "\"fps_views/frame_000001.png\"}}}\n");
    expect_bad(dir, "rotation");
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0, "
               "\"velocity\": [0, 0]}, \"observations\": {\"fps_view\": \"fps_views/frame_000001.png\"}}}\n");
    expect_bad(dir, "angular_velocity");
    /* numbers beyond a float (the frames keep floats: inf, then NaN headings) */
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 2e119, "
               "\"velocity\": [0, 0], \"angular_velocity\": 0}, \"observations\": {\"fps_view\": "
               "\"fps_views/frame_000001.png\"}}}\n");
    expect_bad(dir, "rotation: expected a finite number within float range");
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0, "
               "\"velocity\": [0, -1e39], \"angular_velocity\": 0}, \"observations\": {\"fps_view\": "
               "\"fps_views/frame_000001.png\"}}}\n");
    expect_bad(dir, "velocity[1]: expected a finite number within float range");
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0, "
               "\"velocity\": [0, 0], \"angular_velocity\": 0}, \"observations\": {\"fps_view\": "
               "\"../../etc/passwd\"}}}\n");
    expect_bad(dir, "inside the folder");
    /* legacy and new schema mixed */
    write_text(dir, "frame_info.json",
               "{\"frame_000001\": {\"frame_id\": 1, \"agent_state\": {\"position\": [1, 2], \"rotation\": 0, "
               "\"velocity\": [0, 0], \"angular_velocity\": 0}, \"observations\": {\"fps_view\": "
               "\"fps_views/frame_000001.png\"}},"
               " \"frame_000002\": {\"rotation_angle\": 0, \"agent_position\": [1, 2]}}\n");
    expect_bad(dir, "mixes");
    write_text(dir, "frame_info.json", "{}\n");
    expect_bad(dir, "no");
    write_text(dir, "frame_info.json", "{\"frame_000001\": {\"rotation_angle\": 0, \"agent_position\": [1, 2]}");
    expect_bad(dir, "frame_info.json"); /* truncated JSON */
    /* a good frame_info, a bad env_config */
    write_text(dir, "frame_info.json", "{\"frame_000001\": {\"rotation_angle\": 0, \"agent_position\": [1, 2]}}");
    write_text(dir, "env_config.json", "{\"maze_size\": \"fifteen\"}");
    expect_bad(dir, "maze_size");
    snprintf(path, sizeof path, "%s/env_config.json", dir);
    assert_int_equal(unlink(path), 0);
    static cm_dataset d;
    assert_int_not_equal(cm_dataset_read(dir, &d), CM_OK); /* missing env_config.json */
    assert_non_null(strstr(cm_errmsg(), "env_config.json"));
    /* a folder that does not exist */
    assert_int_not_equal(cm_dataset_read("/nonexistent/cogmap", &d), CM_OK);
    cmt_tmpdir_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_legacy_schema),
        cmocka_unit_test(test_malformed_folders),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
