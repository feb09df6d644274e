/* What figure 3 of a cogmap SMP run takes from the trained model, one way for
 * `cogmap eval` and `cogmap figure smp3` (smp_figures.h): RNN-1 and the
 * memory as an smp_hd_net, and the probe views with their embeddings. */
#include "cli/smp_figures.h"
#include "models/smp_internal.h"

#include <math.h>

void smp_hd_net_of_model(smp_hd_net *net, cm_smp *m)
{
    const cm_smp_config *mc = &m->cfg;
    *net = (smp_hd_net){.H = mc->hidden[0],
                        .S = mc->slots,
                        .D = mc->embed,
                        .wp = cm_smp_pred_w(m, 0),
                        .bp = cm_smp_pred_b(m, 0),
                        .wc = cm_smp_corr_w(m, 0),
                        .bc = cm_smp_corr_b(m, 0),
                        .mx = cm_smp_mx(m, 0),
                        .written = m->written[0],
                        .my = m->my,
                        .gamma = cm_smp_gamma(m)};
}

cm_status smp_probe_views(cm_smp *m, uint64_t run_seed, int n, uint8_t *rgb, float *emb)
{
    const int side = m->cfg.image;
    cm_rng rng;
    /* Stream "PROBE": eval and figure render the same views of a run. */
    cm_rng_seed(&rng, run_seed, 0x50524f4245ULL);
    for (int i = 0; i < n; i++) {
        cm_pose pose = {(float)cm_rng_uniform(&rng, -1.0, 1.0), (float)cm_rng_uniform(&rng, -1.0, 1.0),
                        (float)cm_rng_uniform(&rng, -M_PI, M_PI)};
        cm_render(m->renderer, pose, NULL, 0, rgb + (size_t)i * side * side * 3, NULL);
    }
    return cm_smp_embed(m, rgb, n, emb);
}
