/* The Spatial Memory Pipeline model (smp.md §3): parameters, memory, the
 * forward pass over a batch of paths, its hand-derived backward (§3.7), the
 * training step (autoencoder phase, then the SMP with the encoder frozen),
 * beta control and slot writes. */
#include "smp_encoder.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static const int in_dims[CM_SMP_RNNS] = {2, 3, 1};

int cm_smp_input_dim(int r) { return in_dims[r]; }

void cm_smp_config_default(cm_smp_config *c)
{
    memset(c, 0, sizeof *c);
    c->slots = 512;
    c->embed = 64;
    c->hidden[0] = 32, c->hidden[1] = 128, c->hidden[2] = 128;
    c->enc_channels[0] = 16, c->enc_channels[1] = 16, c->enc_channels[2] = 32, c->enc_channels[3] = 32;
    c->image = 64;
    c->batch = 16;
    c->seq_len = 30;
    c->ae_steps = 300;
    c->ae_lr = 1e-3;
    c->lr = 1e-3;
    c->clip = 10;
    c->p_correct = 0.1;
    c->p_write = 0.02;
    c->entropy_target = 3.0; /* ~ log 20: about 20 slots active (smp.md §11.2) */
    /* Unit embeddings of the box's views are similar (mean cosine 0.8): beta
     * 20 leaves P(s|y) near uniform; 150 starts near the 3-nat target and
     * the controller's 0.005 per step finishes the job (docs/smp.md). */
    c->beta_rate = 0.005;
    c->init_beta = 150;
    c->init_gamma = 150;
    c->init_pi = 1;
    c->dropout = 0;
}

cm_status cm_smp_config_check(const cm_smp_config *c)
{
#define BAD(cond, field, expect) \
    if (cond)                    \
        return cm_error(CM_ERR_ARG, "smp config: %s: expected %s", field, expect);
    BAD(c->slots < 2 || c->slots > 1 << 20, "slots", "2..1048576")
    BAD(c->embed < 1 || c->embed > 4096, "embed", "1..4096")
    for (int r = 0; r < CM_SMP_RNNS; r++)
        BAD(c->hidden[r] < 1 || c->hidden[r] > 4096, "hidden", "1..4096 units per RNN")
    for (int k = 0; k < 4; k++)
        BAD(c->enc_channels[k] < 1 || c->enc_channels[k] > 1024, "enc_channels", "1..1024")
    BAD(c->image < 16 || c->image % 16 != 0 || c->image > 512, "image", "a multiple of 16 in 16..512")
    BAD(c->batch < 1 || c->seq_len < 1, "batch/seq_len", ">= 1")
    BAD(c->ae_steps < 0, "ae_steps", ">= 0")
    BAD(!(c->ae_lr > 0) || !(c->lr > 0), "lr", "> 0")
    BAD(!(c->clip > 0), "clip", "> 0")
    BAD(!(c->p_correct >= 0 && c->p_correct <= 1), "p_correct", "in [0, 1]")
    BAD(!(c->p_write >= 0 && c->p_write <= 1), "p_write", "in [0, 1]")
    BAD(!(c->entropy_target > 0), "entropy_target", "> 0")
    BAD(!(c->beta_rate >= 0), "beta_rate", ">= 0")
    BAD(!(c->init_beta > 0 && c->init_gamma > 0 && c->init_pi > 0), "init_beta/init_gamma/init_pi", "> 0")
    BAD(!(c->dropout >= 0 && c->dropout < 1), "dropout", "in [0, 1)")
#undef BAD
    return CM_OK;
}

/* ------------------------------------------------------------ buffers */

/* Everything a forward + backward over B paths of T steps needs. Time-major:
 * row t*B + b. Frame t = 0 is the start pose (initial correction); frames
 * 1..T follow the motion inputs 1..T. */
typedef struct smp_work {
    int B, T;
    smp_encoder enc;
    uint8_t *rgb;            /* [SMP_CHUNK, side, side, 3] */
    float *y;                /* [(T+1) B, D] unit embeddings */
    float *sim;              /* [(T+1) B, S] */
    float *target;           /* [T B, S] P(s|y), t = 1..T */
    float *wcorr;            /* [(T+1) B, S] correction weights */
    float *logp;             /* [T B, S] log P(s|x) */
    float *g;                /* [(T+1) B, S + 4 max H] scratch */
    float *mask;             /* [(T+1) B] 1 where a correction is applied */
    float *u[CM_SMP_RNNS];   /* [(T+1) B, In_r] */
    float *code[CM_SMP_RNNS], *dcode[CM_SMP_RNNS];   /* [(T+1) B, H] */
    float *Ah[CM_SMP_RNNS], *Ac[CM_SMP_RNNS];        /* prediction outputs, [(T+1) B, H] (t = 0 unused) */
    float *Ch[CM_SMP_RNNS], *Cc[CM_SMP_RNNS];        /* correction outputs */
    float *Bh[CM_SMP_RNNS], *Bc[CM_SMP_RNNS];        /* states after the correction step */
    float *gP[CM_SMP_RNNS], *gC[CM_SMP_RNNS];        /* gates [(T+1) B, 4H] */
    float *zP[CM_SMP_RNNS], *zC[CM_SMP_RNNS];        /* cell inputs [(T+1) B, In + H] */
    float *dAh[CM_SMP_RNNS];                         /* loss gradient w.r.t. Ah, [(T+1) B, H] */
    float *drop[CM_SMP_RNNS];  /* [T B, H] inverted-dropout factors (0 or 1/(1-p)) */
    float *hdrop[CM_SMP_RNNS]; /* [T B, H] the outputs the prediction reads under dropout */
    int dropout_on;            /* set for training steps only */
    float *dh, *dc, *dh2, *dc2, *dz, *dzin, *dA_h, *dA_c; /* per-step scratch, [B, max(4H, In+H)] */
    float *block;
} smp_work;

static size_t work_floats(const cm_smp_config *c, int B, int T, float **base, smp_work *w)
{
    const size_t S = c->slots, D = c->embed, R1 = (size_t)(T + 1) * B, RT = (size_t)T * B;
    size_t mh = 0;
    for (int r = 0; r < CM_SMP_RNNS; r++)
        if ((size_t)(4 * c->hidden[r]) > mh)
            mh = 4 * c->hidden[r];
    mh += 4;
    size_t off = 0;
#define TAKE(ptr, n)                          \
    do {                                      \
        if (base)                             \
            (ptr) = *base + off;              \
        off += ((size_t)(n) + 15) & ~(size_t)15; \
    } while (0)
    TAKE(w->y, R1 * D);
    TAKE(w->sim, R1 * S);
    TAKE(w->target, RT * S);
    TAKE(w->wcorr, R1 * S);
    TAKE(w->logp, RT * S);
    TAKE(w->g, R1 * (S + mh));
    TAKE(w->mask, R1);
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const size_t H = c->hidden[r], In = in_dims[r];
        TAKE(w->u[r], R1 * In);
        TAKE(w->code[r], R1 * H);
        TAKE(w->dcode[r], R1 * H);
        TAKE(w->Ah[r], R1 * H);
        TAKE(w->Ac[r], R1 * H);
        TAKE(w->Ch[r], R1 * H);
        TAKE(w->Cc[r], R1 * H);
        TAKE(w->Bh[r], R1 * H);
        TAKE(w->Bc[r], R1 * H);
        TAKE(w->gP[r], R1 * 4 * H);
        TAKE(w->gC[r], R1 * 4 * H);
        TAKE(w->zP[r], R1 * (In + H));
        TAKE(w->zC[r], R1 * (In + 2 * H));
        TAKE(w->dAh[r], R1 * H);
        TAKE(w->drop[r], RT * H);
        TAKE(w->hdrop[r], RT * H);
    }
    TAKE(w->dh, (size_t)B * mh);
    TAKE(w->dc, (size_t)B * mh);
    TAKE(w->dh2, (size_t)B * mh);
    TAKE(w->dc2, (size_t)B * mh);
    TAKE(w->dz, (size_t)B * mh);
    TAKE(w->dzin, (size_t)B * 2 * mh);
    TAKE(w->dA_h, (size_t)B * mh);
    TAKE(w->dA_c, (size_t)B * mh);
#undef TAKE
    return off;
}

static void work_free(smp_work *w)
{
    if (!w)
        return;
    smp_encoder_free(&w->enc);
    cm_free(w->rgb);
    cm_free(w->block);
    cm_free(w);
}

static cm_status work_alloc(const cm_smp_config *c, int B, int T, smp_work **out)
{
    smp_work *w = cm_calloc(1, sizeof *w);
    if (!w)
        return cm_error(CM_ERR_NOMEM, "smp: out of memory");
    w->B = B, w->T = T;
    const size_t n = work_floats(c, B, T, NULL, w);
    w->block = cm_calloc(n, sizeof(float));
    w->rgb = cm_alloc((size_t)SMP_CHUNK * c->image * c->image * 3);
    cm_status st = (w->block && w->rgb) ? smp_encoder_alloc(&w->enc, c)
                                        : cm_error(CM_ERR_NOMEM, "smp: out of memory for %zu floats", n);
    if (st != CM_OK) {
        work_free(w);
        return st;
    }
    float *base = w->block;
    work_floats(c, B, T, &base, w);
    *out = w;
    return CM_OK;
}

/* -------------------------------------------------------------- tensors */

/* Tensor indices after the encoder's: per RNN prediction w, b, correction w,
 * b, memory column; then log pi [3] and the correction query beta (log gamma). */
#define T_PRED_W(r) (SMP_ENC_TENSORS + 5 * (r))
#define T_PRED_B(r) (SMP_ENC_TENSORS + 5 * (r) + 1)
#define T_CORR_W(r) (SMP_ENC_TENSORS + 5 * (r) + 2)
#define T_CORR_B(r) (SMP_ENC_TENSORS + 5 * (r) + 3)
#define T_MX(r) (SMP_ENC_TENSORS + 5 * (r) + 4)
#define T_LOGPI (SMP_ENC_TENSORS + 15)
#define T_QBETA (SMP_ENC_TENSORS + 16)

float *cm_smp_pred_w(const cm_smp *m, int r) { return cm_params_data(&m->p, T_PRED_W(r)); }
float *cm_smp_pred_b(const cm_smp *m, int r) { return cm_params_data(&m->p, T_PRED_B(r)); }
float *cm_smp_corr_w(const cm_smp *m, int r) { return cm_params_data(&m->p, T_CORR_W(r)); }
float *cm_smp_corr_b(const cm_smp *m, int r) { return cm_params_data(&m->p, T_CORR_B(r)); }
float *cm_smp_mx(const cm_smp *m, int r) { return cm_params_data(&m->p, T_MX(r)); }
float cm_smp_gamma(const cm_smp *m) { return expf(cm_params_data(&m->p, T_QBETA)[0]); }
float cm_smp_pi(const cm_smp *m, int r) { return expf(cm_params_data(&m->p, T_LOGPI)[r]); }

static cm_status register_tensors(cm_smp *m)
{
    const cm_smp_config *c = &m->cfg;
    int first = -1, idx;
    cm_status st = smp_encoder_register(&m->p, c, &first);
    char name[96];
    for (int r = 0; r < CM_SMP_RNNS && st == CM_OK; r++) {
        const int64_t H = c->hidden[r];
        int64_t pw[2] = {in_dims[r] + H, 4 * H}, cw[2] = {2 * H, 4 * H}, b[1] = {4 * H}, mx[2] = {c->slots, H};
        snprintf(name, sizeof name, "integrator/multi_integrator_nets/prediction_rnn_%d/w_gates", r);
        st = cm_params_add(&m->p, name, 2, pw, &idx);
        snprintf(name, sizeof name, "integrator/multi_integrator_nets/prediction_rnn_%d/b_gates", r);
        if (st == CM_OK)
            st = cm_params_add(&m->p, name, 1, b, &idx);
        snprintf(name, sizeof name, "integrator/multi_integrator_nets/correction_rnn_%d/w_gates", r);
        if (st == CM_OK)
            st = cm_params_add(&m->p, name, 2, cw, &idx);
        snprintf(name, sizeof name, "integrator/multi_integrator_nets/correction_rnn_%d/b_gates", r);
        if (st == CM_OK)
            st = cm_params_add(&m->p, name, 1, b, &idx);
        snprintf(name, sizeof name, "integrator/memory_map_0/column_context_%d", 3 + r);
        if (st == CM_OK)
            st = cm_params_add(&m->p, name, 2, mx, &idx);
    }
    int64_t three[1] = {CM_SMP_RNNS}, one[1] = {1};
    if (st == CM_OK)
        st = cm_params_add(&m->p, "integrator/multi_integrator_nets/log_pi", 1, three, &idx);
    if (st == CM_OK)
        st = cm_params_add(&m->p, "integrator/multi_integrator_nets/mmap_0_context_2_query_beta", 1, one, &idx);
    if (st == CM_OK && (first != 0 || idx != T_QBETA))
        st = cm_error(CM_ERR_INTERNAL, "smp: tensor layout mismatch");
    if (st == CM_OK)
        st = cm_params_finalize(&m->p);
    return st;
}

cm_status cm_smp_create(cm_smp **out, const cm_smp_config *cfg, uint64_t seed)
{
    *out = NULL;
    cm_status st = cm_smp_config_check(cfg);
    if (st != CM_OK)
        return st;
    cm_smp *m = cm_calloc(1, sizeof *m);
    if (!m)
        return cm_error(CM_ERR_NOMEM, "smp: out of memory");
    m->cfg = *cfg;
    cm_params_init(&m->p);
    m->log_beta = log(cfg->init_beta);
    st = register_tensors(m);
    const size_t S = cfg->slots;
    if (st == CM_OK) {
        m->my = cm_calloc(S * cfg->embed, sizeof(float));
        m->slot_pos = cm_calloc(S * 3, sizeof(float));
        for (int r = 0; r < CM_SMP_RNNS; r++)
            m->written[r] = cm_calloc(S * cfg->hidden[r], sizeof(float));
        if (!m->my || !m->slot_pos || !m->written[0] || !m->written[1] || !m->written[2])
            st = cm_error(CM_ERR_NOMEM, "smp: out of memory for the memory");
    }
    if (st == CM_OK)
        st = work_alloc(cfg, cfg->batch, cfg->seq_len, &m->w);
    /* Adam over the autoencoder's tensors and over the SMP's, separately:
     * the autoencoder trains first and is then frozen. */
    const size_t split = st == CM_OK ? m->p.tensors[SMP_ENC_TENSORS].offset : 0;
    cm_optim_config oc = cm_optim_defaults(CM_OPTIM_ADAM);
    if (st == CM_OK) {
        oc.lr = cfg->ae_lr;
        st = cm_optim_init(&m->ae_opt, &oc, split);
    }
    if (st == CM_OK) {
        oc.lr = cfg->lr;
        st = cm_optim_init(&m->smp_opt, &oc, m->p.total - split);
    }
    if (st == CM_OK)
        st = cm_arena_preset(&m->arena, "box");
    if (st == CM_OK) {
        cm_render_config rc;
        cm_render_config_arena(&rc);
        rc.width = rc.height = cfg->image;
        st = cm_renderer_create(&m->renderer, &m->arena, NULL, &rc);
    }
    if (st != CM_OK) {
        cm_smp_free(m);
        return st;
    }
    cm_rng rng;
    cm_rng_seed(&rng, seed, 0x534d50ULL); /* "SMP": the init stream */
    smp_encoder_init(&m->p, 0, &rng);
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const int H = cfg->hidden[r];
        float bp = 1.0f / sqrtf((float)(in_dims[r] + H)), bc = 1.0f / sqrtf((float)(2 * H));
        cm_init_uniform(&rng, cm_smp_pred_w(m, r), (size_t)(in_dims[r] + H) * 4 * H, -bp, bp);
        cm_init_uniform(&rng, cm_smp_corr_w(m, r), (size_t)2 * H * 4 * H, -bc, bc);
        /* Memory columns start as sigmoid-like outputs; the fill after the
         * autoencoder phase overwrites them with real states. */
        cm_init_uniform(&rng, cm_smp_mx(m, r), S * H, 0.0f, 1.0f);
    }
    for (int r = 0; r < CM_SMP_RNNS; r++)
        cm_params_data(&m->p, T_LOGPI)[r] = logf((float)cfg->init_pi);
    cm_params_data(&m->p, T_QBETA)[0] = logf((float)cfg->init_gamma);
    *out = m;
    return CM_OK;
}

void cm_smp_free(cm_smp *m)
{
    if (!m)
        return;
    work_free(m->w);
    cm_params_free(&m->p);
    cm_optim_free(&m->ae_opt);
    cm_optim_free(&m->smp_opt);
    cm_free(m->my);
    cm_free(m->slot_pos);
    for (int r = 0; r < CM_SMP_RNNS; r++)
        cm_free(m->written[r]);
    cm_renderer_free(m->renderer);
    cm_arena_free(&m->arena);
    cm_free(m);
}

void cm_smp_rnn_input(int r, float dtheta, float dist, float *u)
{
    if (r == 0 || r == 1) {
        u[0] = 10.0f * cosf(dtheta);
        u[1] = 10.0f * sinf(dtheta);
        if (r == 1)
            u[2] = dist;
    } else {
        u[0] = 1.0f; /* RNN-3 gets no self-motion: a constant input */
    }
}

/* ---------------------------------------------------------- embeddings */

static void normalise_rows(float *y, int n, int d)
{
    for (int i = 0; i < n; i++) {
        double s = 0;
        for (int k = 0; k < d; k++)
            s += (double)y[(size_t)i * d + k] * y[(size_t)i * d + k];
        const float inv = (float)(1.0 / sqrt(s + 1e-12));
        for (int k = 0; k < d; k++)
            y[(size_t)i * d + k] *= inv;
    }
}

static void render_chunk(cm_smp *m, smp_work *w, const cm_pose *poses, int nf)
{
    const size_t fb = (size_t)m->cfg.image * m->cfg.image * 3;
    for (int f = 0; f < nf; f++)
        cm_render(m->renderer, poses[f], NULL, 0, w->rgb + f * fb, NULL);
}

/* Embeds rgb frames through the frozen encoder, SMP_CHUNK at a time. */
static void embed_rgb(cm_smp *m, smp_work *w, const uint8_t *rgb, int64_t n, float *y)
{
    const int D = m->cfg.embed;
    const size_t fb = (size_t)m->cfg.image * m->cfg.image * 3;
    for (int64_t f0 = 0; f0 < n; f0 += SMP_CHUNK) {
        const int nf = (int)((n - f0) < SMP_CHUNK ? (n - f0) : SMP_CHUNK);
        smp_frames_to_input(&w->enc, rgb + (size_t)f0 * fb, nf);
        smp_encoder_forward(&w->enc, &m->p, 0, nf);
        memcpy(y + (size_t)f0 * D, w->enc.z, (size_t)nf * D * sizeof(float));
    }
    normalise_rows(y, (int)n, D);
}

cm_status cm_smp_embed(cm_smp *m, const uint8_t *rgb, int64_t n, float *y)
{
    if (n < 0 || (n > 0 && (!rgb || !y)))
        return cm_error(CM_ERR_ARG, "smp embed: expected frames and an output buffer");
    embed_rgb(m, m->w, rgb, n, y);
    return CM_OK;
}

/* Renders and embeds the (T+1) B poses of the paths (pos [B, T+1, 2],
 * theta [B, T+1]) into w->y, time-major. */
static void embed_paths(cm_smp *m, smp_work *w, const float *pos, const float *theta)
{
    const int B = w->B, T = w->T, D = m->cfg.embed;
    const int64_t n = (int64_t)(T + 1) * B;
    cm_pose poses[SMP_CHUNK];
    for (int64_t f0 = 0; f0 < n; f0 += SMP_CHUNK) {
        const int nf = (int)((n - f0) < SMP_CHUNK ? (n - f0) : SMP_CHUNK);
        for (int f = 0; f < nf; f++) {
            const int64_t row = f0 + f, t = row / B, b = row % B;
            const size_t k = (size_t)b * (T + 1) + t;
            poses[f] = (cm_pose){pos[2 * k], pos[2 * k + 1], theta[k]};
        }
        render_chunk(m, w, poses, nf);
        smp_frames_to_input(&w->enc, w->rgb, nf);
        smp_encoder_forward(&w->enc, &m->p, 0, nf);
        memcpy(w->y + (size_t)f0 * D, w->enc.z, (size_t)nf * D * sizeof(float));
    }
    normalise_rows(w->y, (int)n, D);
}

static float wrapf(float a)
{
    while (a > (float)M_PI)
        a -= 2.0f * (float)M_PI;
    while (a <= -(float)M_PI)
        a += 2.0f * (float)M_PI;
    return a;
}

static void path_inputs(smp_work *w, const float *pos, const float *theta)
{
    const int B = w->B, T = w->T;
    for (int t = 1; t <= T; t++)
        for (int b = 0; b < B; b++) {
            const size_t k = (size_t)b * (T + 1) + t;
            const float dth = wrapf(theta[k] - theta[k - 1]);
            const float dist = hypotf(pos[2 * k] - pos[2 * k - 2], pos[2 * k + 1] - pos[2 * k - 1]);
            for (int r = 0; r < CM_SMP_RNNS; r++)
                cm_smp_rnn_input(r, dth, dist, w->u[r] + ((size_t)t * B + b) * in_dims[r]);
        }
}

/* ------------------------------------------------------ forward pass */

/* The RNN outputs the prediction reads, [T B, H_r] each: the prediction
 * steps' outputs for t = 1..T, or in a training step with dropout those
 * outputs times the inverted-dropout factors (the re-implementation's
 * dropout 0.5 before the read-out, smp.md §3.4). `apply` computes the
 * dropped copies (forward); the backward only points at them. */
static void prediction_inputs(const cm_smp *m, smp_work *w, const float *h[CM_SMP_RNNS], int apply)
{
    const int B = w->B, T = w->T;
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const size_t BH = (size_t)B * m->cfg.hidden[r], n = (size_t)T * BH;
        h[r] = w->Ah[r] + BH;
        if (!w->dropout_on)
            continue;
        if (apply)
            for (size_t i = 0; i < n; i++)
                w->hdrop[r][i] = h[r][i] * w->drop[r][i];
        h[r] = w->hdrop[r];
    }
}

/* The recurrent pass given w->y, w->u and w->mask: codes, states, target
 * and prediction; returns the summed cross-entropy. */
static double forward(cm_smp *m, smp_work *w)
{
    const cm_smp_config *c = &m->cfg;
    const int B = w->B, T = w->T, S = c->slots, D = c->embed;
    const size_t R1 = (size_t)(T + 1) * B, RT = (size_t)T * B;
    const float gamma = cm_smp_gamma(m), beta = (float)exp(m->log_beta);
    cm_smp_similarity(w->sim, w->y, m->my, (int)R1, S, D);
    cm_smp_softmax(w->target, w->sim + (size_t)B * S, (int)RT, S, beta);
    /* One set of correction weights serves the three RNNs (one query). */
    cm_smp_softmax(w->wcorr, w->sim, (int)R1, S, gamma);
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const int H = c->hidden[r], In = in_dims[r];
        const size_t BH = (size_t)B * H;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)R1, H, S, 1.0f, w->wcorr, S, cm_smp_mx(m, r), H,
                    0.0f, w->code[r], H);
        /* The start state is the code recalled by the first view (h = c). */
        memcpy(w->Bh[r], w->code[r], BH * sizeof(float));
        memcpy(w->Bc[r], w->code[r], BH * sizeof(float));
        for (int t = 1; t <= T; t++) {
            const size_t o = (size_t)t * BH, op = (size_t)(t - 1) * BH;
            smp_cell_forward(w->Ah[r] + o, w->Ac[r] + o, w->gP[r] + 4 * o, w->zP[r] + (size_t)t * B * (In + H),
                             w->u[r] + (size_t)t * B * In, w->Bh[r] + op, w->Bc[r] + op, cm_smp_pred_w(m, r),
                             cm_smp_pred_b(m, r), B, In, H);
            smp_cell_forward(w->Ch[r] + o, w->Cc[r] + o, w->gC[r] + 4 * o, w->zC[r] + (size_t)t * B * 2 * H,
                             w->code[r] + o, w->Ah[r] + o, w->Ac[r] + o, cm_smp_corr_w(m, r), cm_smp_corr_b(m, r),
                             B, H, H);
            for (int b = 0; b < B; b++) {
                const int on = w->mask[(size_t)t * B + b] != 0.0f;
                memcpy(w->Bh[r] + o + (size_t)b * H, (on ? w->Ch[r] : w->Ah[r]) + o + (size_t)b * H,
                       (size_t)H * sizeof(float));
                memcpy(w->Bc[r] + o + (size_t)b * H, (on ? w->Cc[r] : w->Ac[r]) + o + (size_t)b * H,
                       (size_t)H * sizeof(float));
            }
        }
    }
    const float *h[CM_SMP_RNNS], *mx[CM_SMP_RNNS];
    float pi[CM_SMP_RNNS];
    prediction_inputs(m, w, h, 1);
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        mx[r] = cm_smp_mx(m, r);
        pi[r] = cm_smp_pi(m, r);
    }
    return cm_smp_predict_forward(w->logp, h, mx, c->hidden, pi, CM_SMP_RNNS, w->target, (int)RT, S);
}

/* Backward of loss_sum * scale into the SMP tensors' gradients. */
static void backward(cm_smp *m, smp_work *w, float scale)
{
    const cm_smp_config *c = &m->cfg;
    const int B = w->B, T = w->T, S = c->slots;
    const size_t R1 = (size_t)(T + 1) * B, RT = (size_t)T * B;
    const float gamma = cm_smp_gamma(m);
    const float *h[CM_SMP_RNNS], *mx[CM_SMP_RNNS];
    float *dh[CM_SMP_RNNS], *dmx[CM_SMP_RNNS], pi[CM_SMP_RNNS];
    double drho[CM_SMP_RNNS] = {0, 0, 0}, dq = 0;
    prediction_inputs(m, w, h, 0);
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const size_t BH = (size_t)B * c->hidden[r];
        mx[r] = cm_smp_mx(m, r);
        pi[r] = cm_smp_pi(m, r);
        memset(w->dAh[r], 0, R1 * c->hidden[r] * sizeof(float));
        dh[r] = w->dAh[r] + BH;
        dmx[r] = cm_params_grad(&m->p, T_MX(r));
    }
    cm_smp_predict_backward(dh, dmx, drho, w->logp, h, mx, c->hidden, pi, CM_SMP_RNNS, w->target, (int)RT, S, scale,
                            w->g);
    if (w->dropout_on)
        for (int r = 0; r < CM_SMP_RNNS; r++)
            for (size_t i = 0; i < RT * c->hidden[r]; i++)
                dh[r][i] *= w->drop[r][i];
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const int H = c->hidden[r], In = in_dims[r];
        const size_t BH = (size_t)B * H;
        float *dBh = w->dh, *dBc = w->dc; /* gradient w.r.t. the state after step t */
        memset(dBh, 0, BH * sizeof(float));
        memset(dBc, 0, BH * sizeof(float));
        memset(w->dcode[r], 0, R1 * H * sizeof(float));
        for (int t = T; t >= 1; t--) {
            const size_t o = (size_t)t * BH, op = (size_t)(t - 1) * BH;
            float *dAh = w->dA_h, *dAc = w->dA_c, *dCh = w->dh2, *dCc = w->dc2;
            memcpy(dAh, w->dAh[r] + o, BH * sizeof(float));
            memset(dAc, 0, BH * sizeof(float));
            for (int b = 0; b < B; b++) {
                const int on = w->mask[(size_t)t * B + b] != 0.0f;
                for (int k = 0; k < H; k++) {
                    const size_t i = (size_t)b * H + k;
                    dCh[i] = on ? dBh[i] : 0.0f;
                    dCc[i] = on ? dBc[i] : 0.0f;
                    if (!on) {
                        dAh[i] += dBh[i];
                        dAc[i] += dBc[i];
                    }
                }
            }
            /* Correction step: input code_t, state A_t. Rows without a
             * correction get zero gradients here, so they add nothing. */
            smp_cell_backward(w->dcode[r] + o, dAh, dAc, cm_params_grad(&m->p, T_CORR_W(r)),
                              cm_params_grad(&m->p, T_CORR_B(r)), dCh, dCc, w->Cc[r] + o, w->gC[r] + 4 * o,
                              w->zC[r] + (size_t)t * B * 2 * H, w->Ac[r] + o, cm_smp_corr_w(m, r), B, H, H, w->dz,
                              w->dzin);
            /* Prediction step: state B_{t-1} -> A_t. */
            memset(dBh, 0, BH * sizeof(float));
            memset(dBc, 0, BH * sizeof(float));
            smp_cell_backward(NULL, dBh, dBc, cm_params_grad(&m->p, T_PRED_W(r)), cm_params_grad(&m->p, T_PRED_B(r)),
                              dAh, dAc, w->Ac[r] + o, w->gP[r] + 4 * o, w->zP[r] + (size_t)t * B * (In + H),
                              w->Bc[r] + op, cm_smp_pred_w(m, r), B, In, H, w->dz, w->dzin);
        }
        /* B_0: h = c = code_0. */
        for (size_t i = 0; i < BH; i++)
            w->dcode[r][i] += dBh[i] + dBc[i];
        cm_smp_correction_backward(cm_params_grad(&m->p, T_MX(r)), &dq, w->dcode[r], w->wcorr, w->sim,
                                   cm_smp_mx(m, r), (int)R1, S, H, gamma, w->g);
    }
    float *glp = cm_params_grad(&m->p, T_LOGPI);
    for (int r = 0; r < CM_SMP_RNNS; r++)
        glp[r] += (float)drho[r];
    cm_params_grad(&m->p, T_QBETA)[0] += (float)dq;
}

/* Mean distance between the true positions and the ones decoded from P(s|x)
 * over the slots' write positions. `decoded` [B, T, 2] may be NULL. */
static double decode_error(const cm_smp *m, const smp_work *w, const float *pos, float *decoded)
{
    const int B = w->B, T = w->T, S = m->cfg.slots;
    double sum = 0;
    for (int t = 1; t <= T; t++)
        for (int b = 0; b < B; b++) {
            const float *lp = w->logp + ((size_t)(t - 1) * B + b) * S;
            double x = 0, y = 0;
            for (int s = 0; s < S; s++) {
                const double p = exp(lp[s]);
                x += p * m->slot_pos[3 * s];
                y += p * m->slot_pos[3 * s + 1];
            }
            const size_t k = (size_t)b * (T + 1) + t;
            if (decoded) {
                decoded[((size_t)b * T + t - 1) * 2] = (float)x;
                decoded[((size_t)b * T + t - 1) * 2 + 1] = (float)y;
            }
            sum += hypot(x - pos[2 * k], y - pos[2 * k + 1]);
        }
    return sum / ((double)B * T);
}

/* Overwrites slot s with row (t, b): view, RNN outputs and pose. */
static void write_slot(cm_smp *m, const smp_work *w, int s, int t, int b, const float *pos, const float *theta)
{
    const int B = w->B, T = w->T, D = m->cfg.embed;
    memcpy(m->my + (size_t)s * D, w->y + ((size_t)t * B + b) * D, (size_t)D * sizeof(float));
    for (int r = 0; r < CM_SMP_RNNS; r++) {
        const int H = m->cfg.hidden[r];
        const float *src = (t > 0 ? w->Ah[r] : w->Bh[r]) + ((size_t)t * B + b) * H;
        memcpy(cm_smp_mx(m, r) + (size_t)s * H, src, (size_t)H * sizeof(float));
        memcpy(m->written[r] + (size_t)s * H, src, (size_t)H * sizeof(float));
    }
    const size_t k = (size_t)b * (T + 1) + t;
    m->slot_pos[3 * s] = pos[2 * k];
    m->slot_pos[3 * s + 1] = pos[2 * k + 1];
    m->slot_pos[3 * s + 2] = theta[k];
}

cm_status cm_smp_train_gradient(cm_smp *m, const float *pos, const float *theta, cm_rng *rng, double *loss)
{
    smp_work *w = m->w;
    const cm_smp_config *c = &m->cfg;
    const int B = w->B, T = w->T, S = c->slots;
    if (m->step < c->ae_steps) {
        /* Autoencoder phase: SMP_CHUNK random poses of the batch. */
        cm_pose poses[SMP_CHUNK];
        for (int f = 0; f < SMP_CHUNK; f++) {
            const size_t k = (size_t)cm_rng_below(rng, (uint64_t)B * (T + 1));
            poses[f] = (cm_pose){pos[2 * k], pos[2 * k + 1], theta[k]};
        }
        render_chunk(m, w, poses, SMP_CHUNK);
        smp_frames_to_input(&w->enc, w->rgb, SMP_CHUNK);
        *loss = smp_autoencoder_step(&w->enc, &m->p, 0, SMP_CHUNK);
        return CM_OK;
    }
    embed_paths(m, w, pos, theta);
    path_inputs(w, pos, theta);
    for (size_t i = 0; i < (size_t)(T + 1) * B; i++)
        w->mask[i] = (i >= (size_t)B && cm_rng_double(rng) < c->p_correct) ? 1.0f : 0.0f;
    w->dropout_on = c->dropout > 0;
    if (w->dropout_on) {
        const float keep = (float)(1.0 / (1.0 - c->dropout));
        for (int r = 0; r < CM_SMP_RNNS; r++)
            for (size_t i = 0; i < (size_t)T * B * c->hidden[r]; i++)
                w->drop[r][i] = cm_rng_double(rng) < c->dropout ? 0.0f : keep;
    }
    if (!m->memory_filled) {
        /* The first SMP step fills every slot from this batch: views first,
         * then the RNN states the pass reaches at those same moments. */
        int *pick = cm_alloc((size_t)S * 2 * sizeof(int));
        if (!pick)
            return cm_error(CM_ERR_NOMEM, "smp: out of memory");
        for (int s = 0; s < S; s++) {
            pick[2 * s] = 1 + (int)cm_rng_below(rng, (uint64_t)T);
            pick[2 * s + 1] = (int)cm_rng_below(rng, (uint64_t)B);
            memcpy(m->my + (size_t)s * c->embed, w->y + ((size_t)pick[2 * s] * B + pick[2 * s + 1]) * c->embed,
                   (size_t)c->embed * sizeof(float));
        }
        forward(m, w);
        for (int s = 0; s < S; s++)
            write_slot(m, w, s, pick[2 * s], pick[2 * s + 1], pos, theta);
        cm_free(pick);
        m->memory_filled = 1;
    }
    const double sum = forward(m, w);
    *loss = sum / ((double)B * T);
    /* A non-finite loss ends the step here: no backward through it. */
    if (isfinite(*loss))
        backward(m, w, 1.0f / ((float)B * T));
    return CM_OK;
}

cm_status cm_smp_train_update(cm_smp *m, const float *pos, const float *theta, cm_rng *rng)
{
    smp_work *w = m->w;
    const cm_smp_config *c = &m->cfg;
    const int B = w->B, T = w->T, S = c->slots;
    if (m->step < c->ae_steps) {
        cm_optim_step(&m->ae_opt, m->p.params, m->p.grads);
        m->step++;
        return CM_OK;
    }
    const size_t split = m->p.tensors[SMP_ENC_TENSORS].offset;
    float *g = m->p.grads + split;
    const size_t n = m->p.total - split;
    const double norm = cm_clip_grad_norm(g, n, c->clip);
    if (!isfinite(norm))
        return cm_error(CM_ERR_NUMERIC, "smp: non-finite gradient at step %lld", (long long)m->step);
    cm_optim_step(&m->smp_opt, m->p.params + split, g);
    /* beta follows the target entropy of P(s|y) (smp.md §3.4): too flat ->
     * sharper. */
    double ent = 0;
    const size_t RT = (size_t)T * B;
    for (size_t i = 0; i < RT; i++)
        for (int s = 0; s < S; s++) {
            const double p = w->target[i * S + s];
            if (p > 0)
                ent -= p * log(p);
        }
    ent /= (double)RT;
    m->log_beta += ent > c->entropy_target ? c->beta_rate : -c->beta_rate;
    /* Slot writes: each step of the batch writes with probability p_write,
     * a random trajectory's view and states into a random slot. */
    for (int t = 1; t <= T; t++)
        if (cm_rng_double(rng) < c->p_write) {
            const int s = (int)cm_rng_below(rng, (uint64_t)S), b = (int)cm_rng_below(rng, (uint64_t)B);
            write_slot(m, w, s, t, b, pos, theta);
        }
    m->step++;
    return CM_OK;
}

cm_status cm_smp_train_step(cm_smp *m, const float *pos, const float *theta, cm_rng *rng, double *loss,
                            double *err)
{
    *err = NAN;
    cm_params_zero_grad(&m->p);
    cm_status st = cm_smp_train_gradient(m, pos, theta, rng, loss);
    if (st == CM_OK && !isfinite(*loss))
        st = cm_error(CM_ERR_NUMERIC, "smp: non-finite loss at step %lld", (long long)m->step);
    if (st != CM_OK)
        return st;
    if (m->step >= m->cfg.ae_steps)
        *err = decode_error(m, m->w, pos, NULL);
    return cm_smp_train_update(m, pos, theta, rng);
}

cm_status cm_smp_run(cm_smp *m, const float *pos, const float *theta, int B, int T, int correct_every,
                     float *states, float *logp_y, float *decoded, double *loss)
{
    if (B < 1 || T < 1 || correct_every < 0)
        return cm_error(CM_ERR_ARG, "smp run: expected B, T >= 1 and correct_every >= 0");
    smp_work *w;
    cm_status st = work_alloc(&m->cfg, B, T, &w);
    if (st != CM_OK)
        return st;
    const cm_smp_config *c = &m->cfg;
    const int S = c->slots;
    embed_paths(m, w, pos, theta);
    path_inputs(w, pos, theta);
    for (int t = 0; t <= T; t++)
        for (int b = 0; b < B; b++)
            w->mask[(size_t)t * B + b] = (t > 0 && correct_every > 0 && t % correct_every == 0) ? 1.0f : 0.0f;
    const double sum = forward(m, w);
    if (loss)
        *loss = sum / ((double)B * T);
    if (states) {
        const int U = c->hidden[0] + c->hidden[1] + c->hidden[2];
        for (int b = 0; b < B; b++)
            for (int t = 1; t <= T; t++) {
                float *dst = states + ((size_t)b * T + t - 1) * U;
                for (int r = 0; r < CM_SMP_RNNS; r++) {
                    const int H = c->hidden[r];
                    memcpy(dst, w->Ah[r] + ((size_t)t * B + b) * H, (size_t)H * sizeof(float));
                    dst += H;
                }
            }
    }
    if (logp_y) {
        const float beta = (float)exp(m->log_beta);
        for (int b = 0; b < B; b++)
            for (int t = 1; t <= T; t++) {
                const float *sim = w->sim + ((size_t)t * B + b) * S;
                float *dst = logp_y + ((size_t)b * T + t - 1) * S;
                double mx = -INFINITY, sum2 = 0;
                for (int s = 0; s < S; s++)
                    if (beta * sim[s] > mx)
                        mx = beta * sim[s];
                for (int s = 0; s < S; s++)
                    sum2 += exp(beta * (double)sim[s] - mx);
                const double lse = mx + log(sum2);
                for (int s = 0; s < S; s++)
                    dst[s] = (float)(beta * (double)sim[s] - lse);
            }
    }
    if (decoded)
        decode_error(m, w, pos, decoded);
    work_free(w);
    return CM_OK;
}

/* For the gradient tests: one forward/backward over given embeddings and
 * inputs (no rendering), into the parameters' gradients (zeroed first). */
double smp_test_loss_grad(cm_smp *m, const float *y, const float *u[CM_SMP_RNNS], const float *mask,
                          const float *const drop[CM_SMP_RNNS], int backward_too)
{
    smp_work *w = m->w;
    const int B = w->B, T = w->T;
    w->dropout_on = drop != NULL;
    for (int r = 0; drop && r < CM_SMP_RNNS; r++)
        memcpy(w->drop[r], drop[r], (size_t)T * B * m->cfg.hidden[r] * sizeof(float));
    memcpy(w->y, y, (size_t)(T + 1) * B * m->cfg.embed * sizeof(float));
    for (int r = 0; r < CM_SMP_RNNS; r++)
        memcpy(w->u[r], u[r], (size_t)(T + 1) * B * in_dims[r] * sizeof(float));
    memcpy(w->mask, mask, (size_t)(T + 1) * B * sizeof(float));
    const double sum = forward(m, w);
    if (backward_too) {
        cm_params_zero_grad(&m->p);
        backward(m, w, 1.0f);
    }
    return sum;
}
