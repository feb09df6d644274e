/* Private pieces of the social and link runs (run layer). */
#ifndef COGMAP_RUN_SOCIAL_INTERNAL_H
#define COGMAP_RUN_SOCIAL_INTERNAL_H

#include "cogmap/socialrun.h"

/* A social batch assembled from K-agent paths: agent `self` and agent
 * `peer` of each element, codes of frame 0, targets of frames 1..T. */
typedef struct social_feed {
    int B, T, Np, Nh;
    float *self_vel, *peer_vel;               /* [B, T, 3] */
    float *self_init_place, *peer_init_place; /* [B, Np] */
    float *self_init_hd, *peer_init_hd;       /* [B, Nh] */
    float *self_place, *peer_place;           /* [B, T, Np] */
    float *self_hd, *peer_hd;                 /* [B, T, Nh] */
    float *distance;                          /* [B, T] */
    float *self_pos, *peer_pos;               /* [B, T, 2] true positions of frames 1..T */
    float *scratch;                           /* [B, T, 2] */
    cm_social_batch batch;                    /* pointing at the above */
} social_feed;

cm_status social_feed_init(social_feed *f, int B, int T, int Np, int Nh);
void social_feed_free(social_feed *f);
/* Elements [e0, e0 + f->B) of `ab`, agents self and peer. */
void social_feed_build(social_feed *f, const cm_agents_batch *ab, int e0, int self, int peer, const cm_place_cells *pc,
                       const cm_hd_cells *hd);

/* Mean distance between positions decoded from place logits [n, Np] and
 * the true ones [n, 2], summed (returned) over n rows. dec: [n, 2] scratch. */
double social_decode_error_sum(const cm_place_cells *pc, const float *logits, const float *pos, int64_t n, float *dec);

/* Optimiser state as DIR/optimizer.safetensors (buffers; kind and step
 * count in its metadata) and back; loading checks everything first. */
cm_status social_optim_save(const cm_optim *o, const char *dir);
cm_status social_optim_load(cm_optim *o, const char *dir);

#endif
