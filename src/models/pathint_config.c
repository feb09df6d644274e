/* Path-integration presets, configuration checks and the FLOP count of a
 * training step (models.h). The presets' sources are in models.h. */
#include "cogmap/models.h"

#include <string.h>

static void ssmpc_defaults(cm_pathint_config *c)
{
    memset(c, 0, sizeof *c);
    strcpy(c->preset, "ssmpc");
    c->cell = CM_PATHINT_LSTM;
    c->rnn_activation = CM_ACT_TANH;
    c->input_size = 3;
    c->hidden = 128;
    c->bottleneck = 256;
    c->bottleneck_bias = 0;
    c->dropout = 0.5f;
    c->n_place = 256;
    c->n_hd = 12;
    c->readout_bias = 1;
    c->init_bias = 1;
    c->unused_init_fc = 1;
    c->batch = 32;
    c->seq_len = 100;
    c->loss = CM_PATHINT_LOSS_SSMPC;
    c->frame0_weight = 10.0f;
    c->initial_frames_weight = 5.0f;
    c->decay_factor = 0.8f;
    c->initial_frames = 5;
    c->init_loss_weight = 2.0f;
    c->continuity_weight = 0.1f;
    c->continuity_frames = 5;
    c->continuity_step = 0.15f;
    c->optim = cm_optim_defaults(CM_OPTIM_RMSPROP);
    c->optim.lr = 1e-3;
    c->optim.momentum = 0.9;
    c->optim.weight_decay = 1e-4;
    c->clip_norm = 1.0f;
}

cm_status cm_pathint_preset(const char *name, cm_pathint_config *c)
{
    ssmpc_defaults(c);
    if (strcmp(name, "ssmpc") == 0)
        return CM_OK;
    if (strcmp(name, "banino") == 0) {
        strcpy(c->preset, "banino");
        c->batch = 10;
        c->unused_init_fc = 0;
        c->readout_truncnormal = 1;
        c->loss = CM_PATHINT_LOSS_XENT;
        c->optim = cm_optim_defaults(CM_OPTIM_RMSPROP_TF);
        c->optim.lr = 1e-5;
        c->optim.momentum = 0.9;
        c->clip_norm = 0.0f;
        c->clip_value = 1e-5f;
        return CM_OK;
    }
    if (strcmp(name, "sorscher") == 0 || strcmp(name, "sorscher-512") == 0) {
        strcpy(c->preset, name);
        c->cell = CM_PATHINT_RNN;
        c->rnn_activation = CM_ACT_RELU;
        c->rnn_bias = 0;
        c->input_size = 2;
        c->hidden = strcmp(name, "sorscher") == 0 ? 4096 : 512;
        c->bottleneck = 0;
        c->dropout = 0.0f;
        c->n_place = 512;
        c->n_hd = 0;
        c->readout_bias = 0;
        c->init_bias = 0;
        c->unused_init_fc = 0;
        c->batch = 200;
        c->seq_len = 20;
        c->loss = CM_PATHINT_LOSS_XENT;
        c->l2_recurrent = 1e-4f;
        c->optim = cm_optim_defaults(CM_OPTIM_ADAM);
        c->optim.lr = 1e-4;
        c->clip_norm = 0.0f;
        return CM_OK;
    }
    return cm_error(CM_ERR_ARG, "path-integration preset: expected ssmpc, banino, sorscher or sorscher-512, got \"%s\"",
                    name);
}

cm_status cm_pathint_config_check(const cm_pathint_config *c)
{
    const char *p = c->preset[0] ? c->preset : "custom";
    if (c->cell != CM_PATHINT_LSTM && c->cell != CM_PATHINT_RNN)
        return cm_error(CM_ERR_ARG, "path-integration config %s: cell: expected lstm or rnn", p);
    if (c->rnn_activation != CM_ACT_RELU && c->rnn_activation != CM_ACT_TANH)
        return cm_error(CM_ERR_ARG, "path-integration config %s: rnn_activation: expected relu or tanh", p);
    if (c->input_size < 1 || c->input_size > 1024)
        return cm_error(CM_ERR_ARG, "path-integration config %s: input_size: expected 1..1024, got %d", p, c->input_size);
    if (c->hidden < 1 || c->hidden > 65536)
        return cm_error(CM_ERR_ARG, "path-integration config %s: hidden: expected 1..65536, got %d", p, c->hidden);
    if (c->bottleneck < 0 || c->bottleneck > 65536)
        return cm_error(CM_ERR_ARG, "path-integration config %s: bottleneck: expected 0..65536, got %d", p, c->bottleneck);
    if (c->bottleneck_relu != 0 && c->bottleneck_relu != 1)
        return cm_error(CM_ERR_ARG, "path-integration config %s: bottleneck_relu: expected 0 or 1, got %d", p,
                        c->bottleneck_relu);
    if (c->bottleneck_relu && c->bottleneck == 0)
        return cm_error(CM_ERR_ARG, "path-integration config %s: bottleneck_relu: applies to the bottleneck, which is 0", p);
    if (c->n_place < 1 || c->n_place > 65536)
        return cm_error(CM_ERR_ARG, "path-integration config %s: n_place: expected 1..65536, got %d", p, c->n_place);
    if (c->n_hd < 0 || c->n_hd > 65536)
        return cm_error(CM_ERR_ARG, "path-integration config %s: n_hd: expected 0..65536, got %d", p, c->n_hd);
    if (!(c->dropout >= 0.0f && c->dropout < 1.0f))
        return cm_error(CM_ERR_ARG, "path-integration config %s: dropout: expected [0, 1), got %g", p, c->dropout);
    if (c->dropout > 0.0f && c->bottleneck == 0)
        return cm_error(CM_ERR_ARG, "path-integration config %s: dropout: applies to the bottleneck, which is 0", p);
    if (c->batch < 1 || c->seq_len < 1 || (int64_t)c->batch * c->seq_len > (1 << 26))
        return cm_error(CM_ERR_ARG, "path-integration config %s: batch %d x seq_len %d: expected >= 1, product <= 2^26",
                        p, c->batch, c->seq_len);
    if (c->loss != CM_PATHINT_LOSS_SSMPC && c->loss != CM_PATHINT_LOSS_XENT && c->loss != CM_PATHINT_LOSS_MSE)
        return cm_error(CM_ERR_ARG, "path-integration config %s: loss: expected ssmpc, xent or mse", p);
    if (!(c->l2_recurrent >= 0.0f) || !(c->clip_norm >= 0.0f) || !(c->clip_value >= 0.0f))
        return cm_error(CM_ERR_ARG, "path-integration config %s: l2_recurrent, clip_norm, clip_value: expected >= 0", p);
    if (c->initial_frames < 0 || c->continuity_frames < 0)
        return cm_error(CM_ERR_ARG, "path-integration config %s: initial_frames, continuity_frames: expected >= 0", p);
    if ((int)c->optim.kind < 0 || c->optim.kind > CM_OPTIM_RMSPROP_TF || !(c->optim.lr >= 0.0))
        return cm_error(CM_ERR_ARG, "path-integration config %s: optimiser: bad kind or negative lr", p);
    return CM_OK;
}

double cm_pathint_step_flops(const cm_pathint_config *c)
{
    double TB = (double)c->batch * c->seq_len, B = c->batch, H = c->hidden, I = c->input_size;
    double G = c->cell == CM_PATHINT_LSTM ? 4.0 * H : H;
    double top = c->bottleneck > 0 ? c->bottleneck : H, R = c->n_place + c->n_hd;
    double inproj = 2 * TB * I * G, rec = 2 * TB * H * G;
    double init = 2 * B * R * H * (c->cell == CM_PATHINT_LSTM ? 2 : 1);
    double bn = c->bottleneck > 0 ? 2 * TB * H * c->bottleneck : 0;
    double out = 2 * TB * top * (c->n_place + c->n_hd);
    /* Backward: two products per forward product (input and weight gradients),
     * except that the inputs and the initial code need no gradient. */
    return 3 * (inproj + rec + init + bn + out) - inproj - init;
}
