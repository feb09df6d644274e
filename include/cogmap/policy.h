/* cogmap/policy.h — the HRL-ICM meta-controller of cooperative search
 * (ssm-pc.md §11.4, our design: SSM-PC released none of it; docs/coop.md).
 *
 * cm_policy: an actor-critic over a SET of candidate goals. Every decision
 * sees up to M candidates (frontier cells of the agent's map), each with F
 * features, plus G global features; the actor scores each candidate with one
 * shared MLP on [candidate ; global] and takes a softmax over the valid ones
 * (a pointer network without attention), the critic maps the global
 * features to a value. Trained with PPO's clipped objective.
 *
 * cm_icm: Pathak et al.'s intrinsic curiosity module (ICM, 2017) over the
 * meta-controller's decisions: an encoder phi of the global features, an
 * inverse model predicting the decision from (phi_t, phi_t+1) and a forward
 * model predicting phi_t+1 from (phi_t, decision); loss
 * (1 - beta) inverse + beta forward with beta = 0.2 (their 0.8 / 0.2), and
 * the intrinsic reward eta/2 |forward error|^2.
 *
 * Both follow cogmap's model pattern: immutable model (configuration + one
 * parameter block, PyTorch nn.Sequential state-dict names), per-batch state,
 * forward (+ loss), backward ACCUMULATED into a caller's gradient block.
 */
#ifndef COGMAP_POLICY_H
#define COGMAP_POLICY_H

#include "cogmap/nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- cm_policy */

typedef struct cm_policy_config {
    char preset[32];    /* "meta" or "tiny" */
    int cand_dim;       /* F: features of one candidate */
    int global_dim;     /* G: features of the decision's context */
    int n_cand;         /* M: candidates per decision (invalid ones masked) */
    int hidden;         /* H: hidden units of the actor's and the critic's MLP */
    float clip_eps;     /* PPO's ratio clip (0.2) */
    float value_coef;   /* weight of (v - R)^2 (0.5) */
    float entropy_coef; /* weight of -entropy (0.01) */
    /* training (the model ignores these; its trainer reads them) */
    cm_optim_config optim;
    float clip_norm;
} cm_policy_config;

/* "meta" (the shapes of coop's meta-controller: F 10, G 8, M 8, H 64) or
 * "tiny" (gradient checks). CM_ERR_ARG names the known ones. */
CM_API cm_status cm_policy_preset(const char *name, cm_policy_config *cfg);
CM_API cm_status cm_policy_config_check(const cm_policy_config *cfg);
/* "key=value": cand_dim, global_dim, n_cand, hidden, clip_eps, value_coef,
 * entropy_coef, lr, clip. */
CM_API cm_status cm_policy_config_set(cm_policy_config *cfg, const char *key_value);

typedef struct cm_policy cm_policy;

/* Tensors, in order: actor.0.{weight [H, F+G], bias}, actor.2.{weight [1, H],
 * bias}, critic.0.{weight [H, G], bias}, critic.2.{weight [1, H], bias};
 * PyTorch's Linear initialisation from stream 0 of `seed`. */
CM_API cm_status cm_policy_create(const cm_policy_config *cfg, uint64_t seed, cm_policy **out);
CM_API void cm_policy_free(cm_policy *p);
CM_API const cm_policy_config *cm_policy_get_config(const cm_policy *p);
CM_API cm_params *cm_policy_params(cm_policy *p);
CM_API const cm_params *cm_policy_params_const(const cm_policy *p);
/* DIR/model.safetensors + DIR/config.json. */
CM_API cm_status cm_policy_save(const cm_policy *p, const char *dir);
CM_API cm_status cm_policy_load(const char *dir, cm_policy **out);

typedef struct cm_policy_batch {
    const float *cand;     /* [B, M, F] */
    const float *global;   /* [B, G] */
    const uint8_t *mask;   /* [B, M] 1 = a candidate; every row has one */
    /* PPO (NULL for acting): */
    const int *action;     /* [B] */
    const float *old_logp; /* [B] log-probability when the action was taken */
    const float *advantage;/* [B] */
    const float *ret;      /* [B] value targets */
    double rows;           /* loss divisor: 0 = B (shards of a larger batch pass its size) */
} cm_policy_batch;

typedef struct cm_policy_state cm_policy_state;
CM_API cm_status cm_policy_state_create(const cm_policy *p, int batch, cm_policy_state **out);
CM_API void cm_policy_state_free(cm_policy_state *s);

typedef struct cm_policy_losses {
    double policy, value, entropy, total; /* means over rows */
    double clip_fraction;                 /* rows whose ratio left [1 - eps, 1 + eps] */
    double approx_kl;                     /* mean old_logp - logp */
} cm_policy_losses;

/* Forward of B rows (B <= the state's batch): log-probabilities [B, M]
 * (masked candidates get -1e9) and values [B]; with loss != NULL (the PPO
 * fields set) the clipped objective
 *   mean( -min(r A, clip(r, 1-eps, 1+eps) A) + value_coef (v - R)^2 - entropy_coef H(pi) )
 * with r = exp(logp[a] - old_logp). */
CM_API cm_status cm_policy_forward(const cm_policy *p, cm_policy_state *s, const cm_policy_batch *b, int rows,
                            double *loss);
CM_API cm_status cm_policy_backward(const cm_policy *p, cm_policy_state *s, float *grad);
CM_API const float *cm_policy_logp(const cm_policy_state *s);  /* [B, M] */
CM_API const float *cm_policy_value(const cm_policy_state *s); /* [B] */
CM_API void cm_policy_get_losses(const cm_policy_state *s, cm_policy_losses *out);
/* Draws a candidate from row `row`'s distribution (rng != NULL) or takes
 * the likeliest (NULL). */
CM_API int cm_policy_sample(const cm_policy_state *s, int row, cm_rng *rng);

/* ---------------------------------------------------------------- cm_icm */

typedef struct cm_icm_config {
    char preset[32];  /* "meta" or "tiny" */
    int state_dim;    /* S: the features phi encodes (the policy's global features) */
    int n_actions;    /* A: decisions (the policy's M) */
    int feature_dim;  /* P: phi */
    int hidden;       /* H: the inverse and forward models' hidden units */
    float beta;       /* forward weight (0.2); the inverse model gets 1 - beta */
    float eta;        /* intrinsic reward scale: r = eta/2 |f - phi'|^2 */
} cm_icm_config;

CM_API cm_status cm_icm_preset(const char *name, cm_icm_config *cfg);
CM_API cm_status cm_icm_config_check(const cm_icm_config *cfg);
CM_API cm_status cm_icm_config_set(cm_icm_config *cfg, const char *key_value);

typedef struct cm_icm cm_icm;
/* Tensors: encoder.0.{weight [P, S], bias}, inverse.0.{weight [H, 2P], bias},
 * inverse.2.{weight [A, H], bias}, forward.0.{weight [H, P+A], bias},
 * forward.2.{weight [P, H], bias}. */
CM_API cm_status cm_icm_create(const cm_icm_config *cfg, uint64_t seed, cm_icm **out);
CM_API void cm_icm_free(cm_icm *m);
CM_API const cm_icm_config *cm_icm_get_config(const cm_icm *m);
CM_API cm_params *cm_icm_params(cm_icm *m);
CM_API cm_status cm_icm_save(const cm_icm *m, const char *dir);
CM_API cm_status cm_icm_load(const char *dir, cm_icm **out);

typedef struct cm_icm_batch {
    const float *s0;   /* [B, S] before the decision */
    const float *s1;   /* [B, S] after it */
    const int *action; /* [B] */
    double rows;       /* loss divisor: 0 = B */
} cm_icm_batch;

typedef struct cm_icm_state cm_icm_state;
CM_API cm_status cm_icm_state_create(const cm_icm *m, int batch, cm_icm_state **out);
CM_API void cm_icm_state_free(cm_icm_state *s);
/* Forward of B rows: the intrinsic rewards reward[B] (may be NULL) and, with
 * loss != NULL, (1 - beta) CE(inverse, action) + beta 0.5 |f - phi1|^2,
 * means over rows; *inverse_loss / *forward_loss may be NULL. */
CM_API cm_status cm_icm_forward(const cm_icm *m, cm_icm_state *s, const cm_icm_batch *b, int rows, float *reward,
                         double *loss, double *inverse_loss, double *forward_loss);
CM_API cm_status cm_icm_backward(const cm_icm *m, cm_icm_state *s, float *grad);

#ifdef __cplusplus
}
#endif
#endif /* COGMAP_POLICY_H */
