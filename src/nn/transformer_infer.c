/* The Transformer decoder layer's inference path (nn.h): the evaluation-mode
 * function of cm_transformer_decoder_forward (train = 0) without what only
 * backward needs -- no dropout masks, no attention probabilities, no
 * LayerNorm statistics kept -- and with the speed tricks the reference layer
 * leaves out:
 *   - every product on cm_sgemm, the self-attention's q, k, v in one product
 *     with in_proj_weight whole, the memory's k and v in another;
 *   - biases added inside the element-wise passes that follow a product
 *     (residual + bias + LayerNorm in one pass, bias + ReLU in one pass);
 *   - attention per (batch column, head) on contiguous copies of the head's
 *     rows, softmax by cm_fexp, parallel over batch columns;
 *   - x_shared: tokens that are the same for every batch column (fixed
 *     queries) go through the self-attention block and the cross-attention's
 *     query projection once, not once per column.
 * Every row is computed by the same operations in the same order whatever
 * the thread count, so the bits do not depend on it. */
#include "cogmap/nn.h"
#include "nn/nn_internal.h"

#include <math.h>
#include <omp.h>
#include <string.h>

#include "nn/fastmath.h"

#define LN_EPS 1e-5f
#define MAX_SLOTS 64
#define QROWS 4 /* queries per group in head_attention */
/* Below this many floats an element-wise pass stays on one thread. */
#define PAR_MIN ((size_t)1 << 15)

typedef struct infer_layout {
    size_t qkv, ctx, x1, qc, kv, cctx, x2, h, tmp, scratch, scratch_each, total;
} infer_layout;

static int max_i(int a, int b)
{
    return a > b ? a : b;
}

static int min_i(int a, int b)
{
    return a < b ? a : b;
}

static infer_layout layout(const cm_transformer_cfg *c)
{
    infer_layout l;
    const size_t R = (size_t)c->len * c->batch, E = (size_t)c->embed, hd = E / (size_t)c->heads;
    const size_t Lk = (size_t)max_i(c->len, c->mem_len);
    l.qkv = 0;
    l.ctx = l.qkv + R * 3 * E;
    l.x1 = l.ctx + R * E;
    l.qc = l.x1 + R * E;
    l.kv = l.qc + R * E;
    l.cctx = l.kv + (size_t)c->mem_len * c->batch * 2 * E;
    l.x2 = l.cctx + R * E;
    /* per thread (head_attention): k^T [hd, Lk16], v [Lk, hd16], QROWS rows
     * of scores [Lk16]; as many as there are batch columns, at most
     * MAX_SLOTS; in the feed-forward's hidden buffer, unused while attention runs */
    const size_t Lk16 = (Lk + 15) / 16 * 16, hd16 = (hd + 15) / 16 * 16;
    const size_t units = (size_t)c->batch, slots = units < MAX_SLOTS ? units : MAX_SLOTS;
    l.scratch_each = (hd * Lk16 + Lk * hd16 + QROWS * Lk16 + 15) / 16 * 16;
    const size_t hn = R * (size_t)c->ff, sn = slots * l.scratch_each;
    l.h = l.x2 + R * E;
    l.scratch = l.h;
    l.tmp = l.h + (hn > sn ? hn : sn);
    l.total = l.tmp + R * E;
    return l;
}

size_t cm_transformer_decoder_infer_work_floats(const cm_transformer_cfg *cfg)
{
    return layout(cfg).total;
}

static int threads_for(size_t floats)
{
    int nt = omp_in_parallel() ? 1 : cm_threads();
    if (nt > MAX_SLOTS)
        nt = MAX_SLOTS;
    return floats < PAR_MIN ? 1 : nt;
}

/* y[r] = LayerNorm(a[r / a_div] + b[r] + bias) for rows r of width E (a_div > 1:
 * a holds one row for a_div consecutive rows of b, as shared tokens do). */
static void add_norm_rows(float *y, const float *a, size_t a_div, const float *b, const float *bias,
                          const float *gamma, const float *beta, size_t R, int E)
{
#pragma omp parallel for schedule(static) num_threads(threads_for(R * E))
    for (size_t r = 0; r < R; r++) {
        const float *ar = a + r / a_div * E, *br = b + r * E;
        float *yr = y + r * E;
        float s = 0.0f;
#pragma omp simd reduction(+ : s)
        for (int i = 0; i < E; i++) {
            yr[i] = ar[i] + br[i] + bias[i];
            s += yr[i];
        }
        const float mu = s / (float)E;
        float q = 0.0f;
#pragma omp simd reduction(+ : q)
        for (int i = 0; i < E; i++) {
            const float d = yr[i] - mu;
            q += d * d;
        }
        const float rs = 1.0f / sqrtf(q / (float)E + LN_EPS);
#pragma omp simd
        for (int i = 0; i < E; i++)
            yr[i] = (yr[i] - mu) * rs * gamma[i] + beta[i];
    }
}

/* x[r] += bias for rows of width n (relu != 0: then max(0, .)); the first
 * nscale columns then times scale (attention's queries, so that the score
 * loops multiply nothing but q and k). */
static void bias_rows(float *x, const float *bias, size_t R, int n, int relu, int nscale, float scale)
{
#pragma omp parallel for schedule(static) num_threads(threads_for(R * n))
    for (size_t r = 0; r < R; r++) {
        float *xr = x + r * n;
        if (nscale > 0) {
#pragma omp simd
            for (int i = 0; i < nscale; i++)
                xr[i] = (xr[i] + bias[i]) * scale;
#pragma omp simd
            for (int i = nscale; i < n; i++)
                xr[i] += bias[i];
        } else if (relu) {
#pragma omp simd
            for (int i = 0; i < n; i++) {
                const float v = xr[i] + bias[i];
                xr[i] = v > 0.0f ? v : 0.0f;
            }
        } else {
#pragma omp simd
            for (int i = 0; i < n; i++)
                xr[i] += bias[i];
        }
    }
}

/* Softmax of row[0 .. n) in place. */
static void softmax_row(float *row, int n)
{
    float mx = -INFINITY;
    for (int j = 0; j < n; j++)
        mx = row[j] > mx ? row[j] : mx;
    float sum = 0.0f;
#pragma omp simd reduction(+ : sum)
    for (int j = 0; j < n; j++) {
        row[j] = cm_fexp(row[j] - mx);
        sum += row[j];
    }
    const float inv = 1.0f / sum;
#pragma omp simd
    for (int j = 0; j < n; j++)
        row[j] *= inv;
}

static int up16(int n)
{
    return (n + 15) / 16 * 16;
}

/* One head of one batch column: ctx[i] = sum_j softmax_j(q_i . k_j) v_j.
 * q rows at q + i*ldq (scaled by 1/sqrt(hd) already), k and v rows at
 * k + j*ldk, v + j*ldk (biases already added); ctx rows at ctx + i*ldc; hd values each. s: scratch. k^T and v are
 * copied with rows padded to 16 lanes, and 4 queries go together, so that
 * scores and contexts are summed in registers, 4 independent chains sharing
 * each load (accumulating in memory made this loop store-bound: 15% of an
 * inference forward). Padded lanes, and the repeated last query of a short
 * group, are computed and dropped. */
static void head_attention(float *ctx, size_t ldc, const float *q, size_t ldq, const float *k, const float *v,
                           size_t ldk, int Lq, int Lk, int hd, float *s)
{
    const int Lk16 = up16(Lk), hd16 = up16(hd);
    float *kt = s, *vs = kt + (size_t)hd * Lk16, *sc = vs + (size_t)Lk * hd16;
    for (int j = 0; j < Lk; j++) {
        const float *kr = k + j * ldk;
        for (int d = 0; d < hd; d++)
            kt[(size_t)d * Lk16 + j] = kr[d];
        memcpy(vs + (size_t)j * hd16, v + j * ldk, (size_t)hd * sizeof *vs);
    }
    for (int i0 = 0; i0 < Lq; i0 += QROWS) {
        const float *qr[QROWS];
        for (int r = 0; r < QROWS; r++)
            qr[r] = q + (size_t)(i0 + r < Lq ? i0 + r : Lq - 1) * ldq;
        for (int j0 = 0; j0 < Lk16; j0 += 16) {
            float acc[QROWS][16] = {{0}};
            for (int d = 0; d < hd; d++) {
                const float *kd = kt + (size_t)d * Lk16 + j0;
                for (int r = 0; r < QROWS; r++) {
                    const float a = qr[r][d];
#pragma omp simd
                    for (int jj = 0; jj < 16; jj++)
                        acc[r][jj] += a * kd[jj];
                }
            }
            for (int r = 0; r < QROWS; r++)
                for (int jj = 0; jj < 16; jj++)
                    sc[(size_t)r * Lk16 + j0 + jj] = acc[r][jj];
        }
        for (int r = 0; r < QROWS; r++)
            softmax_row(sc + (size_t)r * Lk16, Lk);
        for (int d0 = 0; d0 < hd16; d0 += 16) {
            float acc[QROWS][16] = {{0}};
            for (int j = 0; j < Lk; j++) {
                const float *vj = vs + (size_t)j * hd16 + d0;
                for (int r = 0; r < QROWS; r++) {
                    const float pj = sc[(size_t)r * Lk16 + j];
#pragma omp simd
                    for (int dd = 0; dd < 16; dd++)
                        acc[r][dd] += pj * vj[dd];
                }
            }
            const int nd = hd - d0 < 16 ? hd - d0 : 16;
            for (int r = 0; r < QROWS && i0 + r < Lq; r++)
                for (int dd = 0; dd < nd; dd++)
                    ctx[(size_t)(i0 + r) * ldc + d0 + dd] = acc[r][dd];
        }
    }
}

void cm_transformer_decoder_infer(float *y, const float *x, int x_shared, const float *mem,
                                  const cm_transformer_params *p, const cm_transformer_cfg *cfg, float *work)
{
    const infer_layout l = layout(cfg);
    const int L = cfg->len, Lm = cfg->mem_len, N = cfg->batch, E = cfg->embed, H = cfg->heads, F = cfg->ff;
    const int hd = E / H;
    const size_t R = (size_t)L * N, Ns = x_shared ? 1 : (size_t)N, Rs = (size_t)L * Ns, EE = (size_t)E * E;
    const float scale = 1.0f / sqrtf((float)hd);
    float *qkv = work + l.qkv, *ctx = work + l.ctx, *x1 = work + l.x1, *qc = work + l.qc, *kv = work + l.kv;
    float *cctx = work + l.cctx, *x2 = work + l.x2, *h = work + l.h, *tmp = work + l.tmp;

    /* Self-attention: q, k, v of the Rs distinct rows (row l*Ns + n), biases in. */
    cm_sgemm(0, 1, (int)Rs, 3 * E, E, 1.0f, x, E, p->self_attn.in_w, E, 0.0f, qkv, 3 * E);
    bias_rows(qkv, p->self_attn.in_b, Rs, 3 * E, 0, E, scale);
    {
        /* one batch column's heads together: its rows are read while in cache */
        const int units = (int)Ns;
#pragma omp parallel for schedule(static) num_threads(min_i(threads_for((size_t)units * H * L * L * hd), units))
        for (int n = 0; n < units; n++)
            for (int hh = 0; hh < H; hh++) {
                const size_t ld = Ns * 3 * E, off = (size_t)n * 3 * E + (size_t)hh * hd;
                float *s = work + l.scratch + (size_t)omp_get_thread_num() * l.scratch_each;
                head_attention(ctx + (size_t)n * E + (size_t)hh * hd, Ns * E, qkv + off, ld, qkv + off + E,
                               qkv + off + 2 * E, ld, L, L, hd, s);
            }
    }
    cm_sgemm(0, 1, (int)Rs, E, E, 1.0f, ctx, E, p->self_attn.out_w, E, 0.0f, tmp, E);
    add_norm_rows(x1, x, 1, tmp, p->self_attn.out_b, p->norm1_w, p->norm1_b, Rs, E);

    /* Cross-attention: the query projection of the distinct rows (shared: x1
     * and qc stay [L, E], row l serving every column), the memory's k and v. */
    cm_sgemm(0, 1, (int)Rs, E, E, 1.0f, x1, E, p->cross_attn.in_w, E, 0.0f, qc, E);
    bias_rows(qc, p->cross_attn.in_b, Rs, E, 0, E, scale);
    cm_sgemm(0, 1, Lm * N, 2 * E, E, 1.0f, mem, E, p->cross_attn.in_w + EE, E, 0.0f, kv, 2 * E);
    bias_rows(kv, p->cross_attn.in_b + E, (size_t)Lm * N, 2 * E, 0, 0, 1.0f);
#pragma omp parallel for schedule(static) num_threads(min_i(threads_for((size_t)N * H * L * Lm * hd), N))
    for (int n = 0; n < N; n++)
        for (int hh = 0; hh < H; hh++) {
            const size_t off = (size_t)n * E + (size_t)hh * hd, koff = (size_t)n * 2 * E + (size_t)hh * hd;
            const size_t qoff = (size_t)(x_shared ? 0 : n) * E + (size_t)hh * hd;
            float *s = work + l.scratch + (size_t)omp_get_thread_num() * l.scratch_each;
            head_attention(cctx + off, (size_t)N * E, qc + qoff, Ns * E, kv + koff, kv + koff + E,
                           (size_t)N * 2 * E, L, Lm, hd, s);
        }
    cm_sgemm(0, 1, (int)R, E, E, 1.0f, cctx, E, p->cross_attn.out_w, E, 0.0f, tmp, E);
    add_norm_rows(x2, x1, x_shared ? (size_t)N : 1, tmp, p->cross_attn.out_b, p->norm2_w, p->norm2_b, R, E);

    /* Feed-forward. */
    cm_sgemm(0, 1, (int)R, F, E, 1.0f, x2, E, p->linear1_w, E, 0.0f, h, F);
    bias_rows(h, p->linear1_b, R, F, 1, 0, 1.0f);
    cm_sgemm(0, 1, (int)R, E, F, 1.0f, h, F, p->linear2_w, F, 0.0f, tmp, E);
    add_norm_rows(y, x2, 1, tmp, p->linear2_b, p->norm3_w, p->norm3_b, R, E);
}
