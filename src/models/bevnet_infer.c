/* The BEV predictor's inference path: the evaluation-mode forward of an
 * inference state (cm_bevnet_state_create with train = 0), the same function
 * as the reference forward (bevnet_forward.c) with other rounding, keeping
 * nothing that only backward needs. Its tricks:
 *   - images channel-major, [C, B, H, W], so that a convolution over the
 *     whole batch (or a chunk of it) is ONE cm_sgemm over a column matrix
 *     built for all its images, and its output is the next layer's input
 *     without a reordering;
 *   - evaluation-mode BatchNorm folded into the convolution before it
 *     (weights scaled per output channel, bias shifted), ReLU in the pass
 *     that adds the bias or gathers the transposed convolution's columns;
 *   - the transposed convolution's col2im as a gather (each output pixel of
 *     a 4x4, stride-2 kernel sums exactly 2x2 columns), written once;
 *   - the 3x3 head with its 4 output channels as a direct convolution,
 *     16 pixels of all 4 in registers;
 *   - the decoder on cm_transformer_decoder_infer, its fixed queries shared
 *     by every batch column (layer 0's self-attention runs once);
 *   - the projection reading the decoder's output in place.
 * Tested against the reference forward (test_models_bevnet.c: tolerance
 * stated there) and against PyTorch (make check-torch's evaluation cases). */
#include "models/bevnet_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>
#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "nn/fastmath.h"

static const float *P(const cm_bevnet *m, int i)
{
    return cm_params_data(&m->p, i);
}

static int nthreads(size_t work)
{
    return work < ((size_t)1 << 15) ? 1 : cm_threads();
}

/* ImageNet normalisation of frames [n, S, S, 3] uint8 into x [3, n, S, S]. */
static void normalise_cm(float *x, const uint8_t *rgb, int n, int side)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, sd[3] = {0.229f, 0.224f, 0.225f};
    const size_t plane = (size_t)side * side;
    for (int ch = 0; ch < 3; ch++)
        for (int b = 0; b < n; b++) {
            float *dst = x + ((size_t)ch * n + b) * plane;
            const uint8_t *src = rgb + (size_t)b * plane * 3 + ch;
            for (size_t i = 0; i < plane; i++)
                dst[i] = ((float)src[3 * i] / 255.0f - mean[ch]) / sd[ch];
        }
}

/* Evaluation-mode BatchNorm after a convolution as a scale a[o] and shift:
 * bn(conv + b) = a (conv + b - rm) + beta = conv' + b' with conv' the
 * convolution by weights scaled by a. w: [outer][o][inner] with outer = 1
 * (Conv2d, [o][in k k]) or in_c (ConvTranspose2d, [in][o][k k]). */
static void fold_bn(const cm_bevnet *m, const bev_block_idx *ix, int outer, int C, int inner, float *wf, float *bf)
{
    const float *w = P(m, ix->w), *b = P(m, ix->b), *g = P(m, ix->g), *beta = P(m, ix->beta);
    const float *rm = P(m, ix->rm), *rv = P(m, ix->rv);
    for (int o = 0; o < C; o++) {
        const float a = g[o] * (float)(1.0 / sqrt((double)rv[o] + m->cfg.bn_eps));
        bf[o] = (b[o] - rm[o]) * a + beta[o];
        for (int u = 0; u < outer; u++) {
            const size_t at = ((size_t)u * C + o) * inner;
            for (int i = 0; i < inner; i++)
                wf[at + i] = w[at + i] * a;
        }
    }
}

/* Column matrix of a k x k, stride-2, pad-1 convolution of images b0..b0+nb
 * of x [C, n, S, S]: col[(c, ki, kj), (b - b0, oy, ox)], OS = S / 2. */
static void im2col_s2(float *col, const float *x, int C, int n, int S, int k, int b0, int nb)
{
    const int OS = (S + 1) / 2;
    const size_t P = (size_t)OS * OS, ld = (size_t)nb * P;
#pragma omp parallel for schedule(static) num_threads(nthreads((size_t)C * k * k * ld))
    for (int r = 0; r < C * k * k; r++) {
        const int c = r / (k * k), ki = (r / k) % k, kj = r % k;
        for (int b = 0; b < nb; b++) {
            const float *img = x + ((size_t)c * n + b0 + b) * S * S;
            float *row = col + r * ld + b * P;
            for (int oy = 0; oy < OS; oy++, row += OS) {
                const int iy = 2 * oy - 1 + ki;
                if (iy < 0 || iy >= S) {
                    memset(row, 0, (size_t)OS * sizeof *row);
                    continue;
                }
                const float *src = img + (size_t)iy * S;
                for (int ox = 0; ox < OS; ox++) {
                    const int ix = 2 * ox - 1 + kj;
                    row[ox] = ix >= 0 && ix < S ? src[ix] : 0.0f;
                }
            }
        }
    }
}

/* Images per chunk so that a column matrix of `per_image` floats per image
 * stays near BEV_COL_FLOATS (at least one image). */
static int chunk_images(size_t per_image, int n)
{
    size_t nb = BEV_COL_FLOATS / (per_image ? per_image : 1);
    return nb < 1 ? 1 : (nb > (size_t)n ? n : (int)nb);
}

/* Encoder block i: y [Co, n, OS, OS] = relu(bn(conv(x))) with BN folded. */
static void enc_block(const cm_bevnet *m, cm_bevnet_state *s, int i, const float *x, float *y, int n)
{
    const bev_conv_shape *e = &s->enc_shape[i];
    const int C = e->in_c, S = e->in_s, Co = e->out_c, OS = e->out_s, K = C * 9;
    const size_t Pn = (size_t)OS * OS, ldy = (size_t)n * Pn;
    float *wf = s->fold, *bf = wf + (size_t)Co * K;
    fold_bn(m, &m->enc[i], 1, Co, K, wf, bf);
    const int nb = chunk_images((size_t)K * Pn, n);
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int cnt = n - b0 < nb ? n - b0 : nb;
        im2col_s2(s->col, x, C, n, S, 3, b0, cnt);
        cm_sgemm(0, 0, Co, (int)(cnt * Pn), K, 1.0f, wf, K, s->col, (int)(cnt * Pn), 0.0f, y + b0 * Pn, (int)ldy);
    }
#pragma omp parallel for schedule(static) num_threads(nthreads((size_t)Co * ldy))
    for (int o = 0; o < Co; o++) {
        float *yr = y + o * ldy;
        const float bo = bf[o];
#pragma omp simd
        for (size_t p = 0; p < ldy; p++) {
            const float v = yr[p] + bo;
            yr[p] = v > 0.0f ? v : 0.0f;
        }
    }
}

/* Upsampler block i: the 4x4, stride-2, pad-1 transposed convolution of
 * x [Ci, n, h, h] into y [Co, n, 2h, 2h], BN folded, ReLU. Per chunk of
 * images: col[(o, ki, kj), (b, iy, ix)] = W^T x by one product, then each
 * output pixel gathers its 2 x 2 columns: output row 2i + a reads input rows
 * i (ki = 1 + a) and i - 1 (ki = 3, a = 0) or i + 1 (ki = 0, a = 1); columns
 * likewise. */
static void up_block(const cm_bevnet *m, cm_bevnet_state *s, int i, const float *x, float *y, int n)
{
    const bev_conv_shape *u = &s->up_shape[i];
    const int Ci = u->in_c, h = u->in_s, Co = u->out_c, OS = u->out_s, M = Co * 16;
    const size_t Pin = (size_t)h * h, Pout = (size_t)OS * OS;
    float *wf = s->fold, *bf = wf + (size_t)Ci * M;
    fold_bn(m, &m->up[i], Ci, Co, 16, wf, bf);
    const int nb = chunk_images((size_t)M * Pin, n);
    for (int b0 = 0; b0 < n; b0 += nb) {
        const int cnt = n - b0 < nb ? n - b0 : nb;
        const size_t ld = (size_t)cnt * Pin;
        cm_sgemm(1, 0, M, (int)ld, Ci, 1.0f, wf, M, x + b0 * Pin, (int)((size_t)n * Pin), 0.0f, s->col, (int)ld);
#pragma omp parallel for schedule(static) num_threads(nthreads((size_t)Co * cnt * Pout))
        for (int ob = 0; ob < Co * cnt; ob++) {
            const int o = ob / cnt, b = ob % cnt;
            const float *cb = s->col + (size_t)o * 16 * ld + b * Pin; /* row (o, ki, kj) at cb + (ki*4 + kj) ld */
            float *plane = y + ((size_t)o * n + b0 + b) * Pout;
            float ev[BEV_MAX_SIDE / 2], od[BEV_MAX_SIDE / 2];
            for (int oy = 0; oy < OS; oy++) {
                const int a = oy & 1, ii = oy >> 1;
                /* the two (ki, iy) taps of this output row */
                int kis[2], iys[2], taps = 0;
                kis[taps] = 1 + a;
                iys[taps++] = ii;
                if (a == 0 && ii >= 1) {
                    kis[taps] = 3;
                    iys[taps++] = ii - 1;
                } else if (a == 1 && ii + 1 < h) {
                    kis[taps] = 0;
                    iys[taps++] = ii + 1;
                }
                for (int j = 0; j < h; j++)
                    ev[j] = od[j] = bf[o];
                for (int t = 0; t < taps; t++) {
                    const float *r0 = cb + (size_t)(kis[t] * 4 + 0) * ld + (size_t)iys[t] * h;
                    const float *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
                    /* even ox = 2j: (kj 1, ix j), (kj 3, ix j - 1); odd ox = 2j + 1: (kj 2, ix j), (kj 0, ix j + 1) */
#pragma omp simd
                    for (int j = 0; j < h; j++) {
                        ev[j] += r1[j];
                        od[j] += r2[j];
                    }
                    for (int j = 1; j < h; j++)
                        ev[j] += r3[j - 1];
                    for (int j = 0; j + 1 < h; j++)
                        od[j] += r0[j + 1];
                }
                float *row = plane + (size_t)oy * OS;
                int j = 0;
#if defined(__AVX512F__)
                /* ReLU, then even and odd columns interleaved 16 + 16 at a time */
                const __m512i lo = _mm512_set_epi32(23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
                const __m512i hi = _mm512_set_epi32(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8);
                const __m512 zero = _mm512_setzero_ps();
                for (; j + 16 <= h; j += 16) {
                    const __m512 e = _mm512_max_ps(_mm512_loadu_ps(ev + j), zero);
                    const __m512 d = _mm512_max_ps(_mm512_loadu_ps(od + j), zero);
                    _mm512_storeu_ps(row + 2 * j, _mm512_permutex2var_ps(e, lo, d));
                    _mm512_storeu_ps(row + 2 * j + 16, _mm512_permutex2var_ps(e, hi, d));
                }
#endif
                for (; j < h; j++) {
                    row[2 * j] = ev[j] > 0.0f ? ev[j] : 0.0f;
                    row[2 * j + 1] = od[j] > 0.0f ? od[j] : 0.0f;
                }
            }
        }
    }
}

/* The 3x3, pad-1 head as a direct convolution: logits [4, n, S, S] from
 * x [C, n, S, S]. Per output row, the 3 C input rows it reads are copied
 * with a zero border (pr, (S16 + 2) floats each), then 16 pixels of all 4
 * outputs at a time sum their 9 C taps in registers, in (c, ki, kj) order.
 * scratch: 3 C (S16 + 2) floats for each of at most `slots` threads. */
static void head_conv(const cm_bevnet *m, const float *x, float *y, int C, int n, int S, float *scratch, int slots)
{
    const float *w = P(m, m->head_w), *bias = P(m, m->head_b);
    const size_t plane = (size_t)S * S;
    const int S16 = (S + 15) / 16 * 16, W2 = S16 + 2;
    int nt = nthreads((size_t)4 * n * plane * C);
    nt = nt < slots ? nt : slots;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (int by = 0; by < n * S; by++) {
        const int b = by / S, oy = by % S;
        float *pr = scratch + (size_t)omp_get_thread_num() * 3 * C * W2;
        for (int c = 0; c < C; c++)
            for (int ki = 0; ki < 3; ki++) {
                float *dst = pr + ((size_t)c * 3 + ki) * W2;
                const int iy = oy + ki - 1;
                memset(dst, 0, (size_t)W2 * sizeof *dst);
                if (iy >= 0 && iy < S)
                    memcpy(dst + 1, x + ((size_t)c * n + b) * plane + (size_t)iy * S, (size_t)S * sizeof *dst);
            }
        for (int x0 = 0; x0 < S; x0 += 16) {
            float acc[4][16];
            for (int o = 0; o < 4; o++)
                for (int xx = 0; xx < 16; xx++)
                    acc[o][xx] = bias[o];
            for (int c = 0; c < C; c++)
                for (int ki = 0; ki < 3; ki++) {
                    const float *src = pr + ((size_t)c * 3 + ki) * W2 + x0;
                    for (int kj = 0; kj < 3; kj++)
                        for (int o = 0; o < 4; o++) {
                            const float wv = w[(((size_t)o * C + c) * 3 + ki) * 3 + kj];
#pragma omp simd
                            for (int xx = 0; xx < 16; xx++)
                                acc[o][xx] += wv * src[xx + kj];
                        }
                }
            const int nx = S - x0 < 16 ? S - x0 : 16;
            for (int o = 0; o < 4; o++)
                memcpy(y + ((size_t)o * n + b) * plane + (size_t)oy * S + x0, acc[o], (size_t)nx * sizeof(float));
        }
    }
}

void bev_forward_infer(const cm_bevnet *m, cm_bevnet_state *s, const uint8_t *rgb, int n)
{
    const cm_bevnet_config *c = &m->cfg;
    const int d = m->d, hf = m->hf, q = m->q, N = n * hf;

    /* 1. Encoder CNN, channel-major, ping-pong between fa and fb. */
    normalise_cm(s->fb, rgb, n, c->image);
    float *in = s->fb, *out = s->fa;
    for (int i = 0; i < CM_BEVNET_ENC_BLOCKS; i++) {
        enc_block(m, s, i, in, out, n);
        float *t = in;
        in = out;
        out = t;
    }

    /* 2. Row tokens: X[w, b*hf + h, ch] = F[ch, b, h, w] + PE[w, ch]. */
    const float *F = in;
    for (int w = 0; w < hf; w++)
        for (int bb = 0; bb < n; bb++)
            for (int h = 0; h < hf; h++) {
                float *t = s->tok + ((size_t)w * N + (size_t)bb * hf + h) * d;
                for (int ch = 0; ch < d; ch++)
                    t[ch] = F[(((size_t)ch * n + bb) * hf + h) * hf + w] + m->pe_tok[(size_t)w * d + ch];
            }

    /* 3-4. Transformer encoder (the reference layer in evaluation mode, one
     * cache for all layers), then the decoder from the shared queries. */
    bev_transformer_cfgs(m, n, &s->tenc, &s->tdec);
    cm_transformer_params lp;
    float *ex = s->tok, *ey = s->enc_x[1];
    for (int l = 0; l < c->enc_layers; l++) {
        bev_layer_ptrs(m, m->p.params, m->enc_layer[l], 0, &lp);
        cm_transformer_encoder_forward(ey, s->enc_cache[0], ex, &lp, NULL, NULL, &s->tenc, 0, NULL);
        float *t = ex;
        ex = ey;
        ey = t;
    }
    const float *mem = ex;
    float *dx = s->dec_x[0], *dy = s->dec_x[1];
    for (int l = 0; l < c->dec_layers; l++) {
        bev_layer_ptrs(m, m->p.params, m->dec_layer[l], 1, &lp);
        cm_transformer_decoder_infer(dy, l == 0 ? m->pe_q : dx, l == 0, mem, &lp, &s->tdec, s->work);
        float *t = dx;
        dx = dy;
        dy = t;
    }

    /* 5. Projection: Z[(qi, b), h*d + ch] is row (qi*n + b) of the decoder's
     * output read as [q*n, hf*d]; pz[ch, (qi, b)] = W Z^T, then
     * up_in[ch, b, qi] = pz + bias (channel-major). */
    cm_sgemm(0, 1, d, q * n, hf * d, 1.0f, P(m, m->proj_w), hf * d, dx, hf * d, 0.0f, s->pz, q * n);
    const float *pb = P(m, m->proj_b);
    for (int ch = 0; ch < d; ch++)
        for (int bb = 0; bb < n; bb++)
            for (int qi = 0; qi < q; qi++)
                s->up_in[((size_t)ch * n + bb) * q + qi] = s->pz[(size_t)ch * q * n + (size_t)qi * n + bb] + pb[ch];

    /* 6. Upsampler, then the head. */
    in = s->up_in;
    out = s->fa;
    for (int i = 0; i < c->n_up; i++) {
        up_block(m, s, i, in, out, n);
        in = out;
        out = out == s->fa ? s->fb : s->fa;
    }
    const int side = m->side;
    head_conv(m, in, s->logits, c->up_channels[c->n_up - 1], n, side, s->col, s->slots);

    /* 7. Sigmoid, then each plane resized into out [n, 4, O, O]. */
    const size_t headn = (size_t)n * 4 * side * side, plane = (size_t)side * side, oplane = (size_t)c->out * c->out;
    cm_sigmoid_forward(s->prob, s->logits, headn);
#pragma omp parallel for schedule(static) num_threads(nthreads(headn))
    for (int bc = 0; bc < n * 4; bc++) {
        const int bb = bc / 4, ch = bc % 4;
        const float *src = s->prob + ((size_t)ch * n + bb) * plane;
        if (side == c->out)
            memcpy(s->out + (size_t)bc * oplane, src, plane * sizeof(float));
        else
            cm_resize_bilinear_forward(s->out + (size_t)bc * oplane, src, 1, side, side, c->out, c->out);
    }
}
