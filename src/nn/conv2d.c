/* Conv2d and ConvTranspose2d (PyTorch semantics, groups = 1) by im2col/col2im
 * and one sgemm per image. The transposed convolution is the exact adjoint
 * of the convolution with the same geometry, so both share im2col/col2im. */
#include "cogmap/nn.h"

#include <string.h>

#include "nn/vis_util.h"

cm_conv2d_cfg cm_conv2d_make(int batch, int in_c, int in_h, int in_w, int out_c, int kh, int kw)
{
    cm_conv2d_cfg c;
    memset(&c, 0, sizeof c);
    c.batch = batch;
    c.in_c = in_c;
    c.in_h = in_h;
    c.in_w = in_w;
    c.out_c = out_c;
    c.kh = kh;
    c.kw = kw;
    c.stride[0] = c.stride[1] = 1;
    c.dilation[0] = c.dilation[1] = 1;
    return c;
}

static cm_status check_common(const cm_conv2d_cfg *c, const char *what)
{
    if (c->batch <= 0 || c->in_c <= 0 || c->in_h <= 0 || c->in_w <= 0 || c->out_c <= 0)
        return cm_error(CM_ERR_ARG, "%s: batch, in_c, in_h, in_w, out_c: expected > 0, got %d, %d, %d, %d, %d", what,
                        c->batch, c->in_c, c->in_h, c->in_w, c->out_c);
    if (c->kh <= 0 || c->kw <= 0)
        return cm_error(CM_ERR_ARG, "%s: kernel: expected > 0, got %dx%d", what, c->kh, c->kw);
    for (int d = 0; d < 2; d++) {
        if (c->stride[d] <= 0 || c->dilation[d] <= 0 || c->pad[d] < 0 || c->output_padding[d] < 0)
            return cm_error(CM_ERR_ARG,
                            "%s: stride[%d] %d, dilation[%d] %d, pad[%d] %d, output_padding[%d] %d: expected "
                            "stride, dilation > 0 and pad, output_padding >= 0",
                            what, d, c->stride[d], d, c->dilation[d], d, c->pad[d], d, c->output_padding[d]);
    }
    return CM_OK;
}

/* Output size of a convolution over n pixels (may be <= 0). */
static int conv_out(int n, int k, int s, int p, int d)
{
    long long span = (long long)d * (k - 1) + 1;
    long long o = ((long long)n + 2LL * p - span);
    return o < 0 ? 0 : (int)(o / s + 1);
}

cm_status cm_conv2d_out_size(const cm_conv2d_cfg *cfg, int *out_h, int *out_w)
{
    cm_status st = check_common(cfg, "conv2d");
    if (st != CM_OK)
        return st;
    if (cfg->output_padding[0] || cfg->output_padding[1])
        return cm_error(CM_ERR_ARG, "conv2d: output_padding: expected 0 for a forward convolution");
    int oh = conv_out(cfg->in_h, cfg->kh, cfg->stride[0], cfg->pad[0], cfg->dilation[0]);
    int ow = conv_out(cfg->in_w, cfg->kw, cfg->stride[1], cfg->pad[1], cfg->dilation[1]);
    if (oh <= 0 || ow <= 0)
        return cm_error(CM_ERR_ARG, "conv2d: input %dx%d: too small for kernel %dx%d with pad %d,%d dilation %d,%d",
                        cfg->in_h, cfg->in_w, cfg->kh, cfg->kw, cfg->pad[0], cfg->pad[1], cfg->dilation[0],
                        cfg->dilation[1]);
    *out_h = oh;
    *out_w = ow;
    return CM_OK;
}

cm_status cm_conv_transpose2d_out_size(const cm_conv2d_cfg *cfg, int *out_h, int *out_w)
{
    cm_status st = check_common(cfg, "conv_transpose2d");
    if (st != CM_OK)
        return st;
    int o[2];
    const int in[2] = {cfg->in_h, cfg->in_w}, k[2] = {cfg->kh, cfg->kw};
    for (int d = 0; d < 2; d++) {
        /* PyTorch: output padding must be smaller than either stride or dilation. */
        if (cfg->output_padding[d] >= cfg->stride[d] && cfg->output_padding[d] >= cfg->dilation[d])
            return cm_error(CM_ERR_ARG,
                            "conv_transpose2d: output_padding[%d]: expected < stride (%d) or < dilation (%d), got %d",
                            d, cfg->stride[d], cfg->dilation[d], cfg->output_padding[d]);
        long long v = (long long)(in[d] - 1) * cfg->stride[d] - 2LL * cfg->pad[d] +
                      (long long)cfg->dilation[d] * (k[d] - 1) + cfg->output_padding[d] + 1;
        if (v <= 0 || v > (1 << 30))
            return cm_error(CM_ERR_ARG, "conv_transpose2d: output size along dim %d: expected > 0, got %lld", d, v);
        o[d] = (int)v;
    }
    *out_h = o[0];
    *out_w = o[1];
    return CM_OK;
}

/* Image geometry for im2col: an image [C, H, W] convolved to [OH, OW]. */
typedef struct geom {
    int c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
} geom;

/* No OpenMP here on purpose: the GEMMs between these loops run on OpenBLAS's
 * own pthreads, and OpenMP workers left spinning after a region steal their
 * cores (measured: 2 threads 3-5x slower than 1 on conv_transpose2d). */

/* The padded image [c, h + 2 ph, w + 2 pw] that im2col reads and col2im
 * writes: with the zeros in memory the window loops need no bounds checks.
 * The SMP encoder's rows are short (4-32 pixels), so the per-row range
 * arithmetic and border loops of a bounds-checked gather cost more than the
 * copy into the padded image (that gather was 31% of an SMP training step). */
static int padded(const geom *g)
{
    return g->ph > 0 || g->pw > 0;
}

static size_t pad_floats(const geom *g)
{
    return padded(g) ? (size_t)g->c * (g->h + 2 * g->ph) * (g->w + 2 * g->pw) : 0;
}

/* pad = img inside a border of zeros. */
static void fill_pad(float *pad, const float *img, const geom *g)
{
    const int Hp = g->h + 2 * g->ph, Wp = g->w + 2 * g->pw;
    memset(pad, 0, pad_floats(g) * sizeof *pad);
    for (int c = 0; c < g->c; c++)
        for (int y = 0; y < g->h; y++)
            memcpy(pad + ((size_t)c * Hp + y + g->ph) * Wp + g->pw, img + ((size_t)c * g->h + y) * g->w,
                   (size_t)g->w * sizeof *pad);
}

/* The image im2col reads: img itself when unpadded, else its copy in pad. */
static const float *padded_source(const float *img, float *pad, const geom *g)
{
    if (!padded(g))
        return img;
    fill_pad(pad, img, g);
    return pad;
}

/* col rows [c*kh*kw, oh*ow] (row r at col + r*ld) from img[c, h, w]; zero
 * where the window leaves the image. pad: pad_floats floats. Always inlined
 * with sw a compile-time 1 or 2 (the common strides) so that the strided
 * gather vectorises. */
static inline __attribute__((always_inline)) void im2col_s(float *col, size_t ld, const float *img, float *pad,
                                                           const geom *g, const int sw)
{
    const int Hp = g->h + 2 * g->ph, Wp = g->w + 2 * g->pw;
    const float *src = padded_source(img, pad, g);
    const int ow = g->ow;
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                float *row = col + ((size_t)(c * g->kh + ki) * g->kw + kj) * ld;
                const float *s = src + ((size_t)c * Hp + ki * g->dh) * Wp + (size_t)kj * g->dw;
                for (int oy = 0; oy < g->oh; oy++, row += ow, s += (size_t)g->sh * Wp)
                    for (int ox = 0; ox < ow; ox++)
                        row[ox] = s[ox * sw];
            }
}

/* The SMP encoder's 4-wide, stride-2 windows: the four kernel columns of a
 * window row read the same source row at offsets 0..3, so one loop writes
 * all four column-matrix rows (a quarter of the loop overhead of im2col_s on
 * rows of 4-32 pixels). Same values as im2col_s. */
static void im2col_k4s2(float *col, size_t ld, const float *img, float *pad, const geom *g)
{
    const int Hp = g->h + 2 * g->ph, Wp = g->w + 2 * g->pw;
    const float *src = padded_source(img, pad, g);
    const int ow = g->ow;
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < g->kh; ki++) {
            float *r0 = col + ((size_t)(c * g->kh + ki) * 4) * ld, *r1 = r0 + ld, *r2 = r1 + ld, *r3 = r2 + ld;
            const float *s = src + ((size_t)c * Hp + ki * g->dh) * Wp;
            for (int oy = 0; oy < g->oh; oy++, s += (size_t)g->sh * Wp) {
                const size_t o = (size_t)oy * ow;
                for (int ox = 0; ox < ow; ox++) {
                    r0[o + ox] = s[2 * ox];
                    r1[o + ox] = s[2 * ox + 1];
                    r2[o + ox] = s[2 * ox + 2];
                    r3[o + ox] = s[2 * ox + 3];
                }
            }
        }
}

static void im2col(float *col, size_t ld, const float *img, float *pad, const geom *g)
{
    if (g->kw == 4 && g->sw == 2 && g->dw == 1)
        im2col_k4s2(col, ld, img, pad, g);
    else if (g->sw == 1)
        im2col_s(col, ld, img, pad, g, 1);
    else if (g->sw == 2)
        im2col_s(col, ld, img, pad, g, 2);
    else
        im2col_s(col, ld, img, pad, g, g->sw);
}

/* img[c, h, w] += the adjoint of im2col applied to col (row r at col + r*ld),
 * through the padded image like im2col; specialised on the stride likewise. */
static inline __attribute__((always_inline)) void col2im_add_s(float *img, const float *col, size_t ld, float *pad,
                                                               const geom *g, const int sw)
{
    const int Hp = g->h + 2 * g->ph, Wp = g->w + 2 * g->pw;
    /* The image's own values go into the padded copy first and come back by
     * assignment: each pixel then sums the same terms in the same order as
     * adding into the image directly (the bits of the bounds-checked loop). */
    float *dst = img;
    if (padded(g)) {
        fill_pad(pad, img, g);
        dst = pad;
    }
    const int ow = g->ow;
    for (int c = 0; c < g->c; c++)
        for (int ki = 0; ki < g->kh; ki++)
            for (int kj = 0; kj < g->kw; kj++) {
                const float *row = col + ((size_t)(c * g->kh + ki) * g->kw + kj) * ld;
                float *d = dst + ((size_t)c * Hp + ki * g->dh) * Wp + (size_t)kj * g->dw;
                for (int oy = 0; oy < g->oh; oy++, row += ow, d += (size_t)g->sh * Wp)
                    for (int ox = 0; ox < ow; ox++)
                        d[ox * sw] += row[ox];
            }
    if (padded(g))
        for (int c = 0; c < g->c; c++)
            for (int y = 0; y < g->h; y++)
                memcpy(img + ((size_t)c * g->h + y) * g->w, pad + ((size_t)c * Hp + y + g->ph) * Wp + g->pw,
                       (size_t)g->w * sizeof *img);
}

static void col2im_add(float *img, const float *col, size_t ld, float *pad, const geom *g)
{
    if (g->sw == 1)
        col2im_add_s(img, col, ld, pad, g, 1);
    else if (g->sw == 2)
        col2im_add_s(img, col, ld, pad, g, 2);
    else
        col2im_add_s(img, col, ld, pad, g, g->sw);
}

/* The geometry of the convolution itself: for conv2d the image is the input;
 * for the transposed convolution the image is the OUTPUT (channels out_c) and
 * the "convolution output" is the transposed layer's input. */
static geom conv_geom(const cm_conv2d_cfg *cfg, int transposed)
{
    geom g;
    int oh, ow;
    if (!transposed) {
        cm_conv2d_out_size(cfg, &oh, &ow);
        g.c = cfg->in_c;
        g.h = cfg->in_h;
        g.w = cfg->in_w;
        g.oh = oh;
        g.ow = ow;
    } else {
        cm_conv_transpose2d_out_size(cfg, &oh, &ow);
        g.c = cfg->out_c;
        g.h = oh;
        g.w = ow;
        g.oh = cfg->in_h;
        g.ow = cfg->in_w;
    }
    g.kh = cfg->kh;
    g.kw = cfg->kw;
    g.sh = cfg->stride[0];
    g.sw = cfg->stride[1];
    g.ph = cfg->pad[0];
    g.pw = cfg->pad[1];
    g.dh = cfg->dilation[0];
    g.dw = cfg->dilation[1];
    return g;
}

/* work = the column matrix of one image, then the padded image. (Building
 * the column matrix of several images for one GEMM, so that the SMP encoder's
 * deep layers multiply [32, 512] by [512, 512] instead of [512, 16], measured
 * no faster: the reordering of the outputs costs what the bigger GEMM saves.) */
static size_t work_floats(const cm_conv2d_cfg *cfg, int transposed)
{
    geom g = conv_geom(cfg, transposed);
    return (size_t)g.c * g.kh * g.kw * g.oh * g.ow + pad_floats(&g);
}

size_t cm_conv2d_work_floats(const cm_conv2d_cfg *cfg)
{
    return work_floats(cfg, 0);
}

void cm_conv2d_forward(float *y, const float *x, const float *w, const float *b, const cm_conv2d_cfg *cfg,
                       float *work)
{
    geom g = conv_geom(cfg, 0);
    const int K = g.c * g.kh * g.kw, P = g.oh * g.ow, O = cfg->out_c;
    float *pad = work + work_floats(cfg, 0) - pad_floats(&g);
    for (int n = 0; n < cfg->batch; n++) {
        const float *xn = x + (size_t)n * g.c * g.h * g.w;
        float *yn = y + (size_t)n * O * P;
        for (int o = 0; o < O; o++)
            for (int p = 0; p < P; p++)
                yn[(size_t)o * P + p] = b ? b[o] : 0.0f;
        /* A 1x1, stride-1, unpadded convolution needs no column matrix. */
        const float *col = xn;
        if (!(g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0)) {
            im2col(work, P, xn, pad, &g);
            col = work;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, O, P, K, 1.0f, w, K, col, P, 1.0f, yn, P);
    }
}

void cm_conv2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                        const cm_conv2d_cfg *cfg, float *work)
{
    geom g = conv_geom(cfg, 0);
    const int K = g.c * g.kh * g.kw, P = g.oh * g.ow, O = cfg->out_c;
    float *pad = work + work_floats(cfg, 0) - pad_floats(&g);
    const int direct = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0;
    for (int n = 0; n < cfg->batch; n++) {
        const float *xn = x + (size_t)n * g.c * g.h * g.w;
        const float *dyn = dy + (size_t)n * O * P;
        if (db)
            for (int o = 0; o < O; o++) {
                float s = 0.0f;
                for (int p = 0; p < P; p++)
                    s += dyn[(size_t)o * P + p];
                db[o] += s;
            }
        const float *col = xn;
        if (!direct) {
            im2col(work, P, xn, pad, &g);
            col = work;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, O, K, P, 1.0f, dyn, P, col, P, 1.0f, dw, K);
        if (dx) {
            float *dxn = dx + (size_t)n * g.c * g.h * g.w;
            if (direct) {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, O, 1.0f, w, K, dyn, P, 1.0f, dxn, P);
            } else {
                cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, O, 1.0f, w, K, dyn, P, 0.0f, work, P);
                col2im_add(dxn, work, P, pad, &g);
            }
        }
    }
}

size_t cm_conv_transpose2d_work_floats(const cm_conv2d_cfg *cfg)
{
    return work_floats(cfg, 1);
}

void cm_conv_transpose2d_forward(float *y, const float *x, const float *w, const float *b, const cm_conv2d_cfg *cfg,
                                 float *work)
{
    geom g = conv_geom(cfg, 1);
    const int Ci = cfg->in_c, K = g.c * g.kh * g.kw, P = g.oh * g.ow; /* P = input pixels */
    const size_t out_plane = (size_t)g.h * g.w;
    float *pad = work + work_floats(cfg, 1) - pad_floats(&g);
    for (int n = 0; n < cfg->batch; n++) {
        const float *xn = x + (size_t)n * Ci * P;
        float *yn = y + (size_t)n * g.c * out_plane;
        for (int o = 0; o < g.c; o++)
            for (size_t p = 0; p < out_plane; p++)
                yn[o * out_plane + p] = b ? b[o] : 0.0f;
        /* col[out_c*kh*kw, P] = W[in_c, out_c*kh*kw]^T . x[in_c, P], then scatter. */
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, K, P, Ci, 1.0f, w, K, xn, P, 0.0f, work, P);
        col2im_add(yn, work, P, pad, &g);
    }
}

void cm_conv_transpose2d_backward(float *dx, float *dw, float *db, const float *dy, const float *x, const float *w,
                                  const cm_conv2d_cfg *cfg, float *work)
{
    geom g = conv_geom(cfg, 1);
    const int Ci = cfg->in_c, K = g.c * g.kh * g.kw, P = g.oh * g.ow;
    float *pad = work + work_floats(cfg, 1) - pad_floats(&g);
    const size_t out_plane = (size_t)g.h * g.w;
    for (int n = 0; n < cfg->batch; n++) {
        const float *xn = x + (size_t)n * Ci * P;
        const float *dyn = dy + (size_t)n * g.c * out_plane;
        if (db)
            for (int o = 0; o < g.c; o++) {
                float s = 0.0f;
                for (size_t p = 0; p < out_plane; p++)
                    s += dyn[o * out_plane + p];
                db[o] += s;
            }
        im2col(work, P, dyn, pad, &g);
        /* dW[in_c, K] += x[in_c, P] . col^T;  dx[in_c, P] += W . col. */
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Ci, K, P, 1.0f, xn, P, work, P, 1.0f, dw, K);
        if (dx)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Ci, P, K, 1.0f, w, K, work, P, 1.0f,
                        dx + (size_t)n * Ci * P, P);
    }
}
