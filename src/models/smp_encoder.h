/* The SMP's visual autoencoder (smp_encoder.c): buffers for SMP_CHUNK frames. */
#ifndef COGMAP_SMP_ENCODER_H
#define COGMAP_SMP_ENCODER_H

#include "smp_internal.h"

/* conv0..3 (weight, bias), encoder linear, decoder linear, deconv0..3. */
#define SMP_ENC_TENSORS 20

typedef struct smp_encoder {
    int cap, embed, flat;
    int ch[5], side[5];
    size_t size[5];           /* floats per frame at each level */
    float *enc[5], *dec[5];   /* activations: enc[0] is the input frame */
    float *denc[5], *ddec[5]; /* their gradients */
    float *z, *dz;            /* [cap, D] */
    float *block, *work;
} smp_encoder;

cm_status smp_encoder_register(cm_params *p, const cm_smp_config *cfg, int *first);
void smp_encoder_init(cm_params *p, int first, cm_rng *rng);
cm_status smp_encoder_alloc(smp_encoder *e, const cm_smp_config *cfg);
void smp_encoder_free(smp_encoder *e);
/* rgb [nf, side, side, 3] bytes -> enc[0] [nf, 3, side, side] in [0, 1]. */
void smp_frames_to_input(smp_encoder *e, const uint8_t *rgb, int nf);
void smp_encoder_forward(smp_encoder *e, const cm_params *p, int first, int nf);
/* Forward, MSE reconstruction loss, backward into `grad` (a block laid out as
 * p's parameters; accumulated). */
double smp_autoencoder_step(smp_encoder *e, const cm_params *p, int first, int nf, float *grad);

#endif
