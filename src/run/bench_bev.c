/* The timed loops of `cogmap bench train --preset bev|bev-small`
 * (cogmap/bench.h): SSM-PC's BEV predictor on random frames and targets, as
 * bench/bev_torch.py times PyTorch. */
#include "cogmap/bench.h"
#include "cogmap/bevnet.h"
#include "cogmap/nn.h"

#include <string.h>
#include <sys/resource.h>

/* CPU seconds of the whole process: the BEV network's layers run on all the
 * library's threads, and every one of them counts. */
static double process_cpu_seconds(void)
{
    struct rusage r;
    getrusage(RUSAGE_SELF, &r);
    return r.ru_utime.tv_sec + r.ru_utime.tv_usec * 1e-6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec * 1e-6;
}

/* One training step (forward, loss, backward, running statistics, Adam). */
static cm_status train_step(cm_bevnet *m, cm_bevnet_state *s, const cm_bevnet_batch *b, cm_rng *r, cm_optim *opt,
                            float *grad, double *loss)
{
    cm_status st = cm_bevnet_forward(m, s, b, r, loss);
    if (st == CM_OK)
        st = cm_bevnet_backward(m, s, grad);
    if (st == CM_OK) {
        cm_params *p = cm_bevnet_params(m);
        cm_bevnet_update_running(m, grad);
        cm_optim_step(opt, p->params, grad);
        memset(grad, 0, p->total * sizeof(float));
    }
    return st;
}

cm_status cm_bench_bev(const char *preset, int batch, int64_t steps, uint64_t seed, cm_bench_bev_result *out)
{
    memset(out, 0, sizeof *out);
    cm_bevnet_config cfg;
    cm_status st = cm_bevnet_preset(preset, &cfg);
    if (st != CM_OK)
        return st;
    if (batch < 0 || steps < 1)
        return cm_error(CM_ERR_ARG, "bench bev: expected steps >= 1 and batch >= 0, got %lld and %d",
                        (long long)steps, batch);
    if (batch)
        cfg.batch = batch;
    const int B = cfg.batch;
    cm_bevnet *m = NULL;
    cm_bevnet_state *s = NULL, *si = NULL;
    cm_optim opt;
    memset(&opt, 0, sizeof opt);
    const size_t in = (size_t)B * cfg.image * cfg.image * 3, tn = (size_t)B * cfg.out * cfg.out * 4;
    uint8_t *rgb = cm_alloc(in), *tgt = cm_alloc(tn);
    float *grad = NULL, *pred = cm_alloc((size_t)B * 4 * cfg.out * cfg.out * sizeof(float));
    st = rgb && tgt && pred ? CM_OK : cm_error(CM_ERR_NOMEM, "bench bev: out of memory");
    if (st == CM_OK)
        st = cm_bevnet_create(&cfg, seed, &m);
    if (st == CM_OK)
        st = cm_bevnet_state_create(m, B, 1, &s);
    if (st == CM_OK)
        st = cm_bevnet_state_create(m, B, 0, &si);
    if (st == CM_OK) {
        cm_optim_config oc = cm_optim_defaults(CM_OPTIM_ADAM);
        oc.lr = cfg.lr;
        st = cm_optim_init(&opt, &oc, cm_bevnet_params(m)->total);
        if (st == CM_OK && !(grad = cm_calloc(cm_bevnet_params(m)->total, sizeof(float))))
            st = cm_error(CM_ERR_NOMEM, "bench bev: out of memory");
    }
    cm_rng r;
    cm_rng_seed(&r, seed, 7);
    for (size_t i = 0; st == CM_OK && i < in; i++)
        rgb[i] = (uint8_t)cm_rng_below(&r, 256);
    for (size_t i = 0; st == CM_OK && i < tn; i++) /* visible floor in a tenth of the pixels, as in real BEVs */
        tgt[i] = cm_rng_float(&r) < 0.1f ? 255 : 0;
    const cm_bevnet_batch b = {B, rgb, tgt, 1.0f};
    double wall[2] = {0}, cpu[2] = {0};
    for (int phase = 0; phase < 2 && st == CM_OK; phase++) {
        for (int64_t k = -1; k < steps && st == CM_OK; k++) { /* k = -1: the warm-up */
            if (k == 0) {
                wall[phase] = cm_now();
                cpu[phase] = process_cpu_seconds();
            }
            st = phase == 0 ? train_step(m, s, &b, &r, &opt, grad, &out->final_loss)
                            : cm_bevnet_predict(m, si, rgb, B, pred);
        }
        wall[phase] = cm_now() - wall[phase];
        cpu[phase] = process_cpu_seconds() - cpu[phase];
    }
    if (st == CM_OK) {
        out->batch = B;
        out->steps = steps;
        out->n_params = cm_bevnet_n_trainable(m);
        out->train_wall_s = wall[0];
        out->train_cpu_s = cpu[0];
        out->infer_wall_s = wall[1];
        out->infer_cpu_s = cpu[1];
        out->train_state_bytes = cm_bevnet_state_bytes(s);
        out->infer_state_bytes = cm_bevnet_state_bytes(si);
    }
    cm_optim_free(&opt);
    cm_free(grad);
    cm_free(pred);
    cm_free(rgb);
    cm_free(tgt);
    cm_bevnet_state_free(s);
    cm_bevnet_state_free(si);
    cm_bevnet_free(m);
    return st;
}
