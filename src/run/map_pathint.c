/* A grid-cell network as the agent's odometry (maprun.h): its LSTM
 * integrates the maze motion [vx, vy, w] from an anchor pose, its place and
 * head-direction read-outs are decoded into the pose estimate. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cogmap/io.h"
#include "cogmap/maprun.h"

struct cm_pathint_odometry {
    cm_grid_run_config cfg;
    cm_grid_net *net;
    cm_pathint_state *s; /* batch 1, `chunk` steps */
    int chunk, k;        /* window length; steps integrated since the anchor */
    cm_pose estimate;
    float *vel, *init_place, *init_hd, *place, *hd, *place_logits, *hd_logits, *decoded, *heading;
};

void cm_pathint_odometry_free(cm_pathint_odometry *o)
{
    if (!o)
        return;
    cm_pathint_state_free(o->s);
    cm_grid_net_free(o->net);
    cm_free(o->vel), cm_free(o->init_place), cm_free(o->init_hd), cm_free(o->place), cm_free(o->hd);
    cm_free(o->place_logits), cm_free(o->hd_logits), cm_free(o->decoded), cm_free(o->heading);
    cm_free(o);
}

/* The run's best checkpoint, else its newest; or `run` itself when it is a checkpoint folder. */
static cm_status checkpoint_of(const char *run, char *dir, size_t size)
{
    char p[4200];
    FILE *f;
    snprintf(p, sizeof p, "%s/model.safetensors", run);
    if ((f = fopen(p, "rb"))) {
        fclose(f);
        snprintf(dir, size, "%s", run);
        return CM_OK;
    }
    snprintf(p, sizeof p, "%s/checkpoints/best/model.safetensors", run);
    if ((f = fopen(p, "rb"))) {
        fclose(f);
        snprintf(dir, size, "%s/checkpoints/best", run);
        return CM_OK;
    }
    int64_t *steps = NULL;
    int n = 0;
    cm_status st = cm_train_checkpoint_list(run, &steps, &n);
    if (!st && n == 0)
        st = cm_error(CM_ERR_FORMAT, "%s: no checkpoint (checkpoints/best or step_N)", run);
    if (!st)
        snprintf(dir, size, "%s/checkpoints/step_%08lld", run, (long long)steps[n - 1]);
    cm_free(steps);
    return st;
}

cm_status cm_pathint_odometry_open(const char *grid_run, int chunk, cm_pathint_odometry **out)
{
    *out = NULL;
    cm_pathint_odometry *o = cm_calloc(1, sizeof *o);
    if (!o)
        return cm_error(CM_ERR_NOMEM, "pathint odometry: out of memory");
    char ck[4096];
    cm_grid_input kind;
    cm_status st = cm_grid_run_config_read(&o->cfg, grid_run);
    if (!st && (st = cm_grid_input_of_preset(o->cfg.preset, &kind)) == CM_OK && kind != CM_GRID_INPUT_VXVYW)
        st = cm_error(CM_ERR_ARG, "%s: preset %s: expected a network of SSM-PC's [vx, vy, w] input (ssmpc)",
                      grid_run, o->cfg.preset);
    if (!st && o->cfg.net.n_hd == 0)
        st = cm_error(CM_ERR_ARG, "%s: the network has no head-direction read-out to give a heading", grid_run);
    if (!st)
        st = checkpoint_of(grid_run, ck, sizeof ck);
    if (!st)
        st = cm_grid_net_create(&o->cfg, &o->net);
    if (!st)
        st = cm_grid_net_load(o->net, ck);
    o->chunk = chunk > 0 ? chunk : o->cfg.net.seq_len;
    if (!st && (o->chunk < 1 || o->chunk > 100000))
        st = cm_error(CM_ERR_ARG, "pathint odometry: chunk: expected 1..100000 steps, got %d", o->chunk);
    if (!st)
        st = cm_pathint_state_create(o->net->m, 1, o->chunk, &o->s);
    const int P = o->cfg.net.n_place, H = o->cfg.net.n_hd, T = o->chunk;
    if (!st) {
        o->vel = cm_calloc((size_t)T * 3, sizeof(float));
        o->init_place = cm_alloc((size_t)P * sizeof(float));
        o->init_hd = cm_alloc((size_t)H * sizeof(float));
        o->place = cm_calloc((size_t)T * P, sizeof(float)); /* targets: unused, the loss is not wanted */
        o->hd = cm_calloc((size_t)T * H, sizeof(float));
        o->place_logits = cm_alloc((size_t)T * P * sizeof(float));
        o->hd_logits = cm_alloc((size_t)T * H * sizeof(float));
        o->decoded = cm_alloc((size_t)T * 2 * sizeof(float));
        o->heading = cm_alloc((size_t)T * sizeof(float));
        if (!o->vel || !o->init_place || !o->init_hd || !o->place || !o->hd || !o->place_logits || !o->hd_logits ||
            !o->decoded || !o->heading)
            st = cm_error(CM_ERR_NOMEM, "pathint odometry: out of memory for %d steps", T);
    }
    if (st) {
        cm_pathint_odometry_free(o);
        return cm_error_context(st, "pose pathint:%s: ", grid_run);
    }
    *out = o;
    return CM_OK;
}

static void anchor_at(cm_pathint_odometry *o, cm_pose p)
{
    o->estimate = p;
    o->k = 0;
    memset(o->vel, 0, (size_t)o->chunk * 3 * sizeof(float));
    float xy[2] = {p.x, p.y};
    cm_place_cells_activate(&o->net->pc, xy, 1, o->init_place);
    cm_hd_cells_activate(&o->net->hd, &p.theta, 1, o->init_hd);
}

static cm_status od_reset(void *ctx, cm_pose start)
{
    anchor_at(ctx, start);
    return CM_OK;
}

static cm_status od_anchor(void *ctx, cm_pose p)
{
    anchor_at(ctx, p);
    return CM_OK;
}

/* The window so far through the network (inputs after step k are zero and,
 * the LSTM being causal, change nothing before them); the estimate is the
 * decoded output of step k. */
static cm_status od_step(void *ctx, const float d[2], float dtheta, cm_pose *estimate)
{
    cm_pathint_odometry *o = ctx;
    if (o->k == o->chunk)
        anchor_at(o, o->estimate); /* a new window from where the network got to */
    o->vel[3 * o->k] = d[0], o->vel[3 * o->k + 1] = d[1], o->vel[3 * o->k + 2] = dtheta;
    o->k++;
    cm_pathint_batch b = {o->vel, o->init_place, o->init_hd, o->place, o->hd, 0, 0};
    double loss;
    cm_status st = cm_pathint_forward(o->net->m, o->s, &b, NULL, &loss);
    if (st)
        return st;
    const int P = o->cfg.net.n_place, H = o->cfg.net.n_hd, t = o->k - 1;
    cm_pathint_get_place_logits(o->net->m, o->s, o->place_logits);
    cm_pathint_get_hd_logits(o->net->m, o->s, o->hd_logits);
    cm_place_cells_decode(&o->net->pc, &o->place_logits[(size_t)t * P], 1, o->net->top_k, o->decoded);
    cm_hd_cells_decode(&o->net->hd, &o->hd_logits[(size_t)t * H], 1, o->heading);
    o->estimate = (cm_pose){o->decoded[0], o->decoded[1], o->heading[0]};
    *estimate = o->estimate;
    return CM_OK;
}

cm_map_odometry cm_pathint_odometry_ops(cm_pathint_odometry *o)
{
    cm_map_odometry ops = {o, od_reset, od_step, od_anchor};
    return ops;
}
