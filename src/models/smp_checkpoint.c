/* SMP checkpoints: model.safetensors holds the trained tensors under their
 * released names (smp.md §3.3, §4); memory.safetensors holds what is not
 * trained by gradient (the visual column m^(y), the written RNN states, the
 * slots' poses) and both optimisers' moments, with the step, beta and the
 * memory flag in its metadata, so that a resumed run is bit-identical. */
#include "smp_encoder.h"
#include "cogmap/io.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_MEM 9

static void mem_arrays(const cm_smp *m, cm_array *a, int64_t shapes[N_MEM][2])
{
    const int64_t S = m->cfg.slots;
    shapes[0][0] = S, shapes[0][1] = m->cfg.embed;
    a[0] = cm_array_view("integrator/memory_map_0/column_context_2", CM_F32, 2, shapes[0], m->my);
    static const char *const names[CM_SMP_RNNS] = {"integrator/memory_map_0/column_context_3_written",
                                                   "integrator/memory_map_0/column_context_4_written",
                                                   "integrator/memory_map_0/column_context_5_written"};
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        shapes[1 + r][0] = S, shapes[1 + r][1] = m->cfg.hidden[r];
        a[1 + r] = cm_array_view(names[r], CM_F32, 2, shapes[1 + r], m->written[r]);
    }
    shapes[4][0] = S, shapes[4][1] = 3;
    a[4] = cm_array_view("slot_pose", CM_F32, 2, shapes[4], m->slot_pos);
    const float *bufs[4] = {m->ae_opt.buf1, m->ae_opt.buf2, m->smp_opt.buf1, m->smp_opt.buf2};
    const size_t ns[4] = {m->ae_opt.n, m->ae_opt.n, m->smp_opt.n, m->smp_opt.n};
    static const char *const on[4] = {"optim/ae/m", "optim/ae/v", "optim/smp/m", "optim/smp/v"};
    for (int k = 0; k < 4; k++) {
        shapes[5 + k][0] = (int64_t)ns[k];
        a[5 + k] = cm_array_view(on[k], CM_F32, 1, shapes[5 + k], bufs[k]);
    }
}

cm_status cm_smp_save(const cm_smp *m, const char *dir)
{
    char path[4096];
    cm_status st = cm_mkdir_p(dir);
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    const char *mk[1] = {"format"}, *mv[1] = {"cogmap smp"};
    if (st == CM_OK)
        st = cm_params_save(&m->p, path, mk, mv, 1);
    if (st != CM_OK)
        return st;
    cm_array a[N_MEM];
    int64_t shapes[N_MEM][2];
    mem_arrays(m, a, shapes);
    char step[32], beta[40], filled[8], t_ae[32], t_smp[32];
    snprintf(step, sizeof step, "%" PRId64, m->step);
    snprintf(beta, sizeof beta, "%.17g", m->log_beta);
    snprintf(filled, sizeof filled, "%d", m->memory_filled);
    snprintf(t_ae, sizeof t_ae, "%" PRId64, m->ae_opt.t);
    snprintf(t_smp, sizeof t_smp, "%" PRId64, m->smp_opt.t);
    const char *keys[5] = {"step", "log_beta", "memory_filled", "adam_t_ae", "adam_t_smp"};
    const char *vals[5] = {step, beta, filled, t_ae, t_smp};
    st = cm_path_join(path, sizeof path, dir, "memory.safetensors");
    if (st == CM_OK)
        st = cm_safetensors_write(path, a, N_MEM, keys, vals, 5);
    return st;
}

static cm_status meta_int(const cm_safetensors *f, const char *path, const char *key, int64_t *out)
{
    const char *v = cm_safetensors_meta(f, key);
    char *end = NULL;
    if (v)
        *out = strtoll(v, &end, 10);
    if (!v || !end || *end || end == v)
        return cm_error(CM_ERR_FORMAT, "%s: metadata %s: expected an integer", path, key);
    return CM_OK;
}

cm_status cm_smp_load(cm_smp *m, const char *dir)
{
    char path[4096], mpath[4096];
    cm_status st = cm_path_join(mpath, sizeof mpath, dir, "memory.safetensors");
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, dir, "model.safetensors");
    if (st != CM_OK)
        return st;
    /* Everything is checked before anything is changed. */
    cm_safetensors f;
    st = cm_safetensors_read(mpath, &f);
    if (st != CM_OK)
        return st;
    cm_array want[N_MEM];
    int64_t shapes[N_MEM][2];
    mem_arrays(m, want, shapes);
    for (int k = 0; k < N_MEM && st == CM_OK; k++) {
        const cm_array *got = cm_safetensors_get(&f, want[k].name);
        if (!got)
            st = cm_error(CM_ERR_FORMAT, "%s: tensor %s: missing", mpath, want[k].name);
        else
            st = cm_array_expect(got, mpath, CM_F32, want[k].ndim, want[k].shape);
    }
    int64_t step = 0, filled = 0, tae = 0, tsmp = 0;
    double log_beta = 0;
    if (st == CM_OK)
        st = meta_int(&f, mpath, "step", &step);
    if (st == CM_OK)
        st = meta_int(&f, mpath, "memory_filled", &filled);
    if (st == CM_OK)
        st = meta_int(&f, mpath, "adam_t_ae", &tae);
    if (st == CM_OK)
        st = meta_int(&f, mpath, "adam_t_smp", &tsmp);
    if (st == CM_OK) {
        const char *v = cm_safetensors_meta(&f, "log_beta");
        char *end = NULL;
        if (v)
            log_beta = strtod(v, &end);
        if (!v || !end || *end || !isfinite(log_beta))
            st = cm_error(CM_ERR_FORMAT, "%s: metadata log_beta: expected a finite number", mpath);
    }
    if (st == CM_OK && (step < 0 || tae < 0 || tsmp < 0))
        st = cm_error(CM_ERR_FORMAT, "%s: metadata step: expected >= 0", mpath);
    if (st == CM_OK)
        st = cm_params_load(&m->p, path, 1);
    if (st == CM_OK) {
        for (int k = 0; k < N_MEM; k++) {
            const cm_array *got = cm_safetensors_get(&f, want[k].name);
            memcpy(want[k].data, got->data, cm_array_bytes(got));
        }
        m->step = step;
        m->memory_filled = filled != 0;
        m->ae_opt.t = tae;
        m->smp_opt.t = tsmp;
        m->log_beta = log_beta;
    }
    cm_safetensors_free(&f);
    return st;
}
