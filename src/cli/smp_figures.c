/* SMP figure 3 (smp.md §7): the head-direction RNN (RNN-1 prediction and
 * correction LSTMs) driven by velocity, settling from random states onto a
 * ring, rotating under constant angular velocity, and reset by visual
 * corrections; and figure 2's place-slot panel. */
#include "cli/smp_figures.h"
#include "cogmap/io.h"
#include "cogmap/plot.h"
#include "models/smp_internal.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void smp_fig3_defaults(smp_fig3_opts *o)
{
    o->n_init = 1000;
    o->settle = 2000;
    o->max_attractor = 64;
    o->corr_steps = 200;
    o->seed = 1;
}

/* B rows of RNN-1: optional correction with code [B, H], then the prediction
 * step at angular velocity omega (input 10 [cos, sin]). */
typedef struct hd_runner {
    const smp_hd_net *net;
    int cap;
    float *h, *c, *h2, *c2, *gates, *zin, *u;
} hd_runner;

static cm_status runner_init(hd_runner *r, const smp_hd_net *net, int cap)
{
    memset(r, 0, sizeof *r);
    r->net = net;
    r->cap = cap;
    const size_t BH = (size_t)cap * net->H;
    r->h = cm_alloc(BH * sizeof(float));
    r->c = cm_alloc(BH * sizeof(float));
    r->h2 = cm_alloc(BH * sizeof(float));
    r->c2 = cm_alloc(BH * sizeof(float));
    r->gates = cm_alloc(4 * BH * sizeof(float));
    r->zin = cm_alloc((size_t)cap * (3 * net->H + 2) * sizeof(float));
    r->u = cm_alloc((size_t)cap * 2 * sizeof(float));
    if (!r->h || !r->c || !r->h2 || !r->c2 || !r->gates || !r->zin || !r->u)
        return cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
    return CM_OK;
}

static void runner_free(hd_runner *r)
{
    cm_free(r->h), cm_free(r->c), cm_free(r->h2), cm_free(r->c2);
    cm_free(r->gates), cm_free(r->zin), cm_free(r->u);
}

static void runner_step(hd_runner *r, int B, float omega, const float *code)
{
    const int H = r->net->H;
    const size_t BH = (size_t)B * H;
    if (code) {
        smp_cell_forward(r->h2, r->c2, r->gates, r->zin, code, r->h, r->c, r->net->wc, r->net->bc, B, H, H);
        memcpy(r->h, r->h2, BH * sizeof(float));
        memcpy(r->c, r->c2, BH * sizeof(float));
    }
    for (int b = 0; b < B; b++) {
        r->u[2 * b] = 10.0f * cosf(omega);
        r->u[2 * b + 1] = 10.0f * sinf(omega);
    }
    smp_cell_forward(r->h2, r->c2, r->gates, r->zin, r->u, r->h, r->c, r->net->wp, r->net->bp, B, 2, H);
    memcpy(r->h, r->h2, BH * sizeof(float));
    memcpy(r->c, r->c2, BH * sizeof(float));
}

/* Symmetric eigen-decomposition by cyclic Jacobi (n <= 128): vectors in the
 * columns of v, values in d, sorted by decreasing value. */
static void jacobi_eig(double *a, int n, double *d, double *v)
{
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            v[i * n + j] = i == j;
    for (int sweep = 0; sweep < 100; sweep++) {
        double off = 0;
        for (int i = 0; i < n; i++)
            for (int j = i + 1; j < n; j++)
                off += a[i * n + j] * a[i * n + j];
        if (off < 1e-22)
            break;
        for (int p = 0; p < n; p++)
            for (int q = p + 1; q < n; q++) {
                if (fabs(a[p * n + q]) < 1e-300)
                    continue;
                const double th = 0.5 * atan2(2 * a[p * n + q], a[q * n + q] - a[p * n + p]);
                const double c = cos(th), s = sin(th);
                for (int k = 0; k < n; k++) {
                    const double akp = a[k * n + p], akq = a[k * n + q];
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for (int k = 0; k < n; k++) {
                    const double apk = a[p * n + k], aqk = a[q * n + k];
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for (int k = 0; k < n; k++) {
                    const double vkp = v[k * n + p], vkq = v[k * n + q];
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
    }
    for (int i = 0; i < n; i++)
        d[i] = a[i * n + i];
    /* Selection sort of the eigenpairs by value, decreasing. */
    for (int i = 0; i < n; i++) {
        int best = i;
        for (int j = i + 1; j < n; j++)
            if (d[j] > d[best])
                best = j;
        if (best != i) {
            double t = d[i];
            d[i] = d[best], d[best] = t;
            for (int k = 0; k < n; k++) {
                t = v[k * n + i];
                v[k * n + i] = v[k * n + best], v[k * n + best] = t;
            }
        }
    }
}

/* The PCA space of figure 3: mean and first two eigenvectors of the HD units. */
typedef struct pca2 {
    int n_hd;
    int *units; /* hd_ordering */
    double *mean_hd, *v1, *v2;
    double *mean_all; /* over all H units, for the random initial states */
    double *var_all;
} pca2;

static void project(const pca2 *p, const float *x, double *px, double *py)
{
    double a = 0, b = 0;
    for (int k = 0; k < p->n_hd; k++) {
        const double d = x[p->units[k]] - p->mean_hd[k];
        a += d * p->v1[k];
        b += d * p->v2[k];
    }
    *px = a, *py = b;
}

static double dist_hd(const pca2 *p, const float *x, const float *y)
{
    double s = 0;
    for (int k = 0; k < p->n_hd; k++) {
        const double d = (double)x[p->units[k]] - y[p->units[k]];
        s += d * d;
    }
    return sqrt(s);
}

static cm_status save_fig(cm_figure *fig, const char *dir, const char *name)
{
    char path[4096];
    cm_status st = cm_path_join(path, sizeof path, dir, name);
    if (st == CM_OK)
        st = cm_figure_save(fig, path);
    cm_figure_free(fig);
    return st;
}

typedef struct cmp_item {
    double key;
    int index;
} cmp_item;

static int cmp_items(const void *a, const void *b)
{
    const cmp_item *x = a, *y = b;
    if (x->key < y->key)
        return -1;
    if (x->key > y->key)
        return 1;
    return x->index - y->index;
}

static int cmp_double(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

cm_status smp_figure3(const char *dir, const smp_hd_net *net, const float *emb, int n_img, const uint8_t *rgb,
                      int side, const double *rv_angle, const double *rv_len, const smp_fig3_opts *o,
                      smp_fig3_summary *sum, cm_progress *progress)
{
    (void)rgb, (void)side;
    const int H = net->H;
    memset(sum, 0, sizeof *sum);
    if (H < 2 || net->S < 1 || o->n_init < 2 || o->settle < 11 || o->corr_steps < 1 || o->max_attractor < 1)
        return cm_error(CM_ERR_ARG, "figure 3: expected >= 2 HD units, slots, >= 2 initial states and >= 11 "
                                    "settling steps");
    cm_status st = cm_mkdir_p(dir);
    if (st != CM_OK)
        return st;
    /* hd_ordering: units with RV length > 0.56, sorted by RV angle. A model
     * without any (untrained) falls back to every unit, so the panels still
     * show its dynamics; the summary reports the count. */
    cmp_item *ord = cm_alloc((size_t)H * sizeof *ord);
    int n_hd = 0;
    for (int u = 0; u < H; u++)
        if (rv_len[u] > 0.56)
            ord[n_hd++] = (cmp_item){rv_angle[u], u};
    sum->n_hd_units = n_hd;
    if (n_hd < 2) {
        n_hd = 0;
        for (int u = 0; u < H; u++)
            ord[n_hd++] = (cmp_item){rv_angle[u], u};
    }
    qsort(ord, (size_t)n_hd, sizeof *ord, cmp_items);
    pca2 p = {.n_hd = n_hd};
    p.units = cm_alloc((size_t)n_hd * sizeof(int));
    for (int k = 0; k < n_hd; k++)
        p.units[k] = ord[k].index;
    cm_free(ord);

    /* ---- A: velocity integration from written state 8 (or the last slot). */
    const int TA = 1000;
    float *trajA = cm_alloc((size_t)TA * H * sizeof(float));
    double *omegaA = cm_alloc(TA * sizeof(double));
    hd_runner r;
    const int cap = o->n_init > o->max_attractor ? o->n_init : o->max_attractor;
    st = runner_init(&r, net, cap);
    if (st != CM_OK || !trajA || !omegaA || !p.units)
        goto done_early;
    {
        const float *s0 = net->written + (size_t)(net->S > 8 ? 8 : net->S - 1) * H;
        memcpy(r.h, s0, H * sizeof(float));
        memcpy(r.c, s0, H * sizeof(float));
        for (int t = 0; t < TA; t++) {
            omegaA[t] = t < 250 ? M_PI / 20 : t < 500 ? 0 : -M_PI / 40;
            runner_step(&r, 1, (float)omegaA[t], NULL);
            memcpy(trajA + (size_t)t * H, r.h, H * sizeof(float));
        }
    }
    /* PCA points: take_if_farther_than(0.1) over all units along trajectory A. */
    int *kept = cm_alloc(TA * sizeof(int));
    int nk = 0;
    for (int t = 0; t < TA; t++) {
        int far = 1;
        for (int j = 0; j < nk && far; j++) {
            double s = 0;
            for (int k = 0; k < H; k++) {
                const double d = (double)trajA[(size_t)t * H + k] - trajA[(size_t)kept[j] * H + k];
                s += d * d;
            }
            far = sqrt(s) >= 0.1;
        }
        if (far)
            kept[nk++] = t;
    }
    p.mean_hd = cm_calloc(n_hd, sizeof(double));
    p.v1 = cm_alloc(n_hd * sizeof(double));
    p.v2 = cm_alloc(n_hd * sizeof(double));
    p.mean_all = cm_calloc(H, sizeof(double));
    p.var_all = cm_calloc(H, sizeof(double));
    double *cov = cm_calloc((size_t)n_hd * n_hd, sizeof(double)), *evec = cm_alloc((size_t)n_hd * n_hd * sizeof(double)),
           *eval = cm_alloc(n_hd * sizeof(double));
    for (int j = 0; j < nk; j++)
        for (int k = 0; k < H; k++)
            p.mean_all[k] += trajA[(size_t)kept[j] * H + k] / (double)nk;
    for (int j = 0; j < nk; j++)
        for (int k = 0; k < H; k++) {
            const double d = trajA[(size_t)kept[j] * H + k] - p.mean_all[k];
            p.var_all[k] += d * d / (nk > 1 ? nk - 1 : 1);
        }
    for (int k = 0; k < n_hd; k++)
        p.mean_hd[k] = p.mean_all[p.units[k]];
    for (int j = 0; j < nk; j++)
        for (int a = 0; a < n_hd; a++)
            for (int b = 0; b < n_hd; b++)
                cov[a * n_hd + b] += (trajA[(size_t)kept[j] * H + p.units[a]] - p.mean_hd[a]) *
                                     (trajA[(size_t)kept[j] * H + p.units[b]] - p.mean_hd[b]) / (nk > 1 ? nk - 1 : 1);
    jacobi_eig(cov, n_hd, eval, evec);
    for (int k = 0; k < n_hd; k++) {
        p.v1[k] = evec[k * n_hd + 0];
        p.v2[k] = evec[k * n_hd + 1];
    }
    cm_free(cov), cm_free(evec), cm_free(eval), cm_free(kept);

    {
        /* Panel A: sorted HD activity over time + the true angle. Panel B: the ring. */
        cm_figure *fig;
        st = cm_figure_create(&fig, 3, 1, 900, 220, "Figure 3 A-B: velocity integration by the HD units");
        if (st != CM_OK)
            goto done;
        double *img = cm_alloc((size_t)n_hd * TA * sizeof(double));
        for (int k = 0; k < n_hd; k++)
            for (int t = 0; t < TA; t++)
                img[(size_t)(n_hd - 1 - k) * TA + t] = trajA[(size_t)t * H + p.units[k]];
        cm_panel *pa = cm_figure_panel(fig, 0, 0);
        cm_panel_title(pa, "A: HD units sorted by preferred direction (%d units)", n_hd);
        cm_panel_heatmap(pa, img, n_hd, TA, CM_CMAP_COOLWARM, NAN, NAN);
        cm_panel_heatmap_stretch(pa); /* a few units over 1000 steps */
        cm_free(img);
        double *tx = cm_alloc(TA * sizeof(double)), *ty = cm_alloc(TA * sizeof(double));
        double cum = 0;
        for (int t = 0; t < TA; t++) {
            cum += omegaA[t];
            tx[t] = t;
            ty[t] = atan2(sin(cum - M_PI), cos(cum - M_PI));
        }
        cm_panel *pt = cm_figure_panel(fig, 1, 0);
        cm_panel_title(pt, "true angle wrap(cumsum omega - pi)");
        cm_panel_line(pt, tx, ty, TA, CM_BLACK, 1.5);
        cm_panel_xlabel(pt, "step");
        cm_panel *pb = cm_figure_panel(fig, 2, 0);
        for (int t = 0; t < TA; t++)
            project(&p, trajA + (size_t)t * H, &tx[t], &ty[t]);
        cm_panel_title(pb, "B: the trajectory in PC1-PC2 space");
        cm_panel_line(pb, tx, ty, TA, cm_plot_color(0), 1.0);
        cm_panel_xlabel(pb, "PC1");
        cm_free(tx), cm_free(ty);
        st = save_fig(fig, dir, "fig3_ab_integration.png");
        if (st != CM_OK)
            goto done;
    }

    /* ---- C, D: random initial states settle onto the ring. */
    const int N = o->n_init, TS = o->settle;
    float *x0 = cm_alloc((size_t)N * H * sizeof(float)), *x10 = cm_alloc((size_t)N * H * sizeof(float));
    double *steps = cm_alloc((size_t)100 * N * sizeof(double));
    if (!x0 || !x10 || !steps) {
        cm_free(x0), cm_free(x10), cm_free(steps);
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
        goto done;
    }
    {
        cm_rng rng;
        cm_rng_seed(&rng, o->seed, 0x46494733ULL);
        for (int i = 0; i < N; i++)
            for (int k = 0; k < H; k++)
                x0[(size_t)i * H + k] =
                    (float)(p.mean_all[k] + 4.0 * sqrt(p.var_all[k] + 1e-4) * cm_rng_normal(&rng));
        memcpy(r.h, x0, (size_t)N * H * sizeof(float));
        memcpy(r.c, x0, (size_t)N * H * sizeof(float));
        float *prev = cm_alloc((size_t)N * H * sizeof(float));
        double tail = 0;
        int tail_n = 0;
        if (progress)
            cm_progress_start(progress, progress->out, "figure 3: settling", TS);
        for (int t = 0; t < TS; t++) {
            memcpy(prev, r.h, (size_t)N * H * sizeof(float));
            runner_step(&r, N, 0.0f, NULL);
            if (t < 100 || t >= TS - 10)
                for (int i = 0; i < N; i++) {
                    const double d = dist_hd(&p, prev + (size_t)i * H, r.h + (size_t)i * H);
                    if (t < 100)
                        steps[(size_t)t * N + i] = d;
                    else
                        tail += d, tail_n++;
                }
            if (t == 9)
                memcpy(x10, r.h, (size_t)N * H * sizeof(float));
            if (progress && (t % 100 == 0 || t == TS - 1))
                cm_progress_update(progress, t + 1, NULL);
        }
        if (progress)
            cm_progress_finish(progress, NULL);
        cm_free(prev);
        sum->settle_step_norm = tail / (tail_n ? tail_n : 1);
    }
    /* Settled states stay in r.h / r.c (the attractor candidates). */
    float *xs = cm_alloc((size_t)N * H * sizeof(float)), *cs = cm_alloc((size_t)N * H * sizeof(float));
    memcpy(xs, r.h, (size_t)N * H * sizeof(float));
    memcpy(cs, r.c, (size_t)N * H * sizeof(float));
    double *px = cm_alloc((size_t)3 * N * sizeof(double)), *py = cm_alloc((size_t)3 * N * sizeof(double));
    for (int i = 0; i < N; i++) {
        project(&p, x0 + (size_t)i * H, &px[i], &py[i]);
        project(&p, x10 + (size_t)i * H, &px[N + i], &py[N + i]);
        project(&p, xs + (size_t)i * H, &px[2 * N + i], &py[2 * N + i]);
    }
    {
        double cx = 0, cy = 0, rad = 0;
        for (int i = 0; i < N; i++)
            cx += px[2 * N + i] / N, cy += py[2 * N + i] / N;
        for (int i = 0; i < N; i++)
            rad += hypot(px[2 * N + i] - cx, py[2 * N + i] - cy) / N;
        sum->ring_radius = rad;
        cm_figure *fig;
        st = cm_figure_create(&fig, 1, 2, 420, 360, "Figure 3 C-D: convergence to the ring attractor");
        if (st != CM_OK)
            goto done2;
        double tt[100], mean[100], q5[100], q95[100], *col = cm_alloc((size_t)N * sizeof(double));
        for (int t = 0; t < 100; t++) {
            double s = 0;
            for (int i = 0; i < N; i++)
                col[i] = steps[(size_t)t * N + i], s += col[i];
            qsort(col, N, sizeof(double), cmp_double);
            tt[t] = t, mean[t] = s / N, q5[t] = col[(int)(0.05 * (N - 1))], q95[t] = col[(int)(0.95 * (N - 1))];
        }
        cm_free(col);
        cm_panel *pc = cm_figure_panel(fig, 0, 0);
        cm_panel_title(pc, "C: |x(t+1) - x(t)| (mean, 5%%, 95%%)");
        cm_panel_line(pc, tt, mean, 100, CM_BLACK, 1.5);
        cm_panel_line(pc, tt, q5, 100, cm_plot_color(0), 1.0);
        cm_panel_line(pc, tt, q95, 100, cm_plot_color(0), 1.0);
        cm_panel_xlabel(pc, "step");
        cm_panel *pd = cm_figure_panel(fig, 0, 1);
        cm_panel_title(pd, "D: t=0 grey, t=10 green, t=%d black", TS);
        cm_panel_scatter(pd, px, py, N, (cm_rgb){0.7, 0.7, 0.7}, 1.5);
        cm_panel_scatter(pd, px + N, py + N, N, (cm_rgb){0.1, 0.6, 0.2}, 1.5);
        cm_panel_scatter(pd, px + 2 * N, py + 2 * N, N, CM_BLACK, 2.0);
        cm_panel_xlabel(pd, "PC1");
        st = save_fig(fig, dir, "fig3_cd_convergence.png");
        if (st != CM_OK)
            goto done2;
    }
    /* Attractor set: settled states sorted by PCA angle, one per 0.1 degree. */
    int n_att = 0;
    int *att = cm_alloc((size_t)N * sizeof(int));
    {
        cmp_item *ang = cm_alloc((size_t)N * sizeof *ang);
        for (int i = 0; i < N; i++)
            ang[i] = (cmp_item){atan2(py[2 * N + i], px[2 * N + i]), i};
        qsort(ang, N, sizeof *ang, cmp_items);
        double last = -INFINITY;
        for (int i = 0; i < N; i++)
            if (ang[i].key > last + 0.1 * M_PI / 360 * 2) {
                att[n_att++] = ang[i].index;
                last = ang[i].key;
            }
        cm_free(ang);
        sum->attractor_states = n_att;
    }
    {
        /* E: rotation from settled states #11 and #41 at omega = -0.16, +0.16.
         * F: autocovariance of every settled state's run at +0.16. */
        cm_figure *fig;
        st = cm_figure_create(&fig, 1, 2, 420, 360, "Figure 3 E-F: rotation under constant angular velocity");
        if (st != CM_OK)
            goto done3;
        cm_panel *pe = cm_figure_panel(fig, 0, 0);
        cm_panel_title(pe, "E: 50 steps at omega=-0.16 (blue), +0.16 (red)");
        cm_panel_scatter(pe, px + 2 * N, py + 2 * N, N, (cm_rgb){0.75, 0.75, 0.75}, 1.5);
        const int starts[2] = {11 % N, 41 % N};
        for (int sgn = 0; sgn < 2; sgn++)
            for (int si = 0; si < 2; si++) {
                memcpy(r.h, xs + (size_t)starts[si] * H, H * sizeof(float));
                memcpy(r.c, cs + (size_t)starts[si] * H, H * sizeof(float));
                double lx[51], ly[51];
                project(&p, r.h, &lx[0], &ly[0]);
                for (int t = 0; t < 50; t++) {
                    runner_step(&r, 1, sgn ? 0.16f : -0.16f, NULL);
                    project(&p, r.h, &lx[t + 1], &ly[t + 1]);
                }
                cm_panel_line(pe, lx, ly, 51, sgn ? (cm_rgb){0.8, 0.1, 0.1} : (cm_rgb){0.1, 0.2, 0.8}, 1.2);
                cm_panel_scatter(pe, lx + 50, ly + 50, 1, sgn ? (cm_rgb){0.8, 0.1, 0.1} : (cm_rgb){0.1, 0.2, 0.8},
                                 3.5);
            }
        const int TF = 200, L = 50;
        float *tr = cm_alloc((size_t)TF * N * H * sizeof(float));
        memcpy(r.h, xs, (size_t)N * H * sizeof(float));
        memcpy(r.c, cs, (size_t)N * H * sizeof(float));
        for (int t = 0; t < TF; t++) {
            runner_step(&r, N, 0.16f, NULL);
            memcpy(tr + (size_t)t * N * H, r.h, (size_t)N * H * sizeof(float));
        }
        double ac[50] = {0}, lag[50];
        for (int i = 0; i < N; i++) {
            double mu[128] = {0};
            for (int t = 0; t < TF; t++)
                for (int k = 0; k < H && k < 128; k++)
                    mu[k] += tr[((size_t)t * N + i) * H + k] / TF;
            for (int l = 0; l < L; l++) {
                double s = 0;
                for (int t = 0; t + l < TF; t++) {
                    const float *a = tr + ((size_t)t * N + i) * H, *b = tr + ((size_t)(t + l) * N + i) * H;
                    for (int k = 0; k < H && k < 128; k++)
                        s += (a[k] - mu[k]) * (b[k] - mu[k]);
                }
                ac[l] += s / (TF - l) / N;
            }
        }
        cm_free(tr);
        for (int l = 0; l < L; l++)
            lag[l] = l;
        cm_panel *pf = cm_figure_panel(fig, 0, 1);
        cm_panel_title(pf, "F: autocovariance at omega=0.16");
        cm_panel_line(pf, lag, ac, L, CM_BLACK, 1.5);
        cm_panel_xlabel(pf, "lag (steps)");
        st = save_fig(fig, dir, "fig3_ef_rotation.png");
        if (st != CM_OK)
            goto done3;
    }
    {
        /* G-I: visual corrections from (up to max_attractor) attractor states. */
        const int NA = n_att < o->max_attractor ? n_att : o->max_attractor;
        int *use = cm_alloc((size_t)NA * sizeof(int));
        for (int j = 0; j < NA; j++)
            use[j] = att[(int)((int64_t)j * n_att / NA)];
        double *tconv = cm_alloc((size_t)n_img * sizeof(double));
        float *code = cm_alloc((size_t)NA * H * sizeof(float));
        float *sim = cm_alloc((size_t)net->S * sizeof(float)), *w = cm_alloc((size_t)net->S * sizeof(float));
        float *one = cm_alloc((size_t)H * sizeof(float));
        double *ex = cm_alloc((size_t)3 * NA * (o->corr_steps + 1) * sizeof(double));
        double *ey = cm_alloc((size_t)3 * NA * (o->corr_steps + 1) * sizeof(double));
        int examples[3] = {-1, -1, -1};
        if (progress)
            cm_progress_start(progress, progress->out, "figure 3: visual corrections", n_img);
        for (int pass = 0; pass < 2; pass++) {
            /* Pass 0 times every image; pass 1 records the example flows. */
            for (int im = 0; im < n_img; im++) {
                int ex_slot = -1;
                if (pass == 1) {
                    for (int e = 0; e < 3; e++)
                        if (examples[e] == im)
                            ex_slot = e;
                    if (ex_slot < 0)
                        continue;
                }
                cm_smp_similarity(sim, emb + (size_t)im * net->D, net->my, 1, net->S, net->D);
                cm_smp_correction_forward(one, w, sim, net->mx, 1, net->S, H, net->gamma);
                for (int j = 0; j < NA; j++) {
                    memcpy(code + (size_t)j * H, one, H * sizeof(float));
                    memcpy(r.h + (size_t)j * H, xs + (size_t)use[j] * H, H * sizeof(float));
                    memcpy(r.c + (size_t)j * H, cs + (size_t)use[j] * H, H * sizeof(float));
                }
                double found = INFINITY;
                for (int t = 0; t <= o->corr_steps; t++) {
                    if (t > 0)
                        runner_step(&r, NA, 0.0f, code);
                    double x0p, y0p;
                    project(&p, r.h, &x0p, &y0p);
                    int together = 1;
                    for (int j = 0; j < NA; j++) {
                        double xj, yj;
                        project(&p, r.h + (size_t)j * H, &xj, &yj);
                        if (ex_slot >= 0) {
                            ex[((size_t)ex_slot * NA + j) * (o->corr_steps + 1) + t] = xj;
                            ey[((size_t)ex_slot * NA + j) * (o->corr_steps + 1) + t] = yj;
                        }
                        if (hypot(xj - x0p, yj - y0p) >= 0.1)
                            together = 0;
                    }
                    if (together && !isfinite(found)) {
                        found = t;
                        if (pass == 0)
                            break;
                    }
                }
                if (pass == 0) {
                    tconv[im] = found;
                    if (found > 0 && found < 10 && examples[0] < 0)
                        examples[0] = im;
                    else if (found > 0 && found < 10 && examples[1] < 0)
                        examples[1] = im;
                    else if (!isfinite(found) && examples[2] < 0)
                        examples[2] = im;
                    if (progress && (im % 16 == 0 || im == n_img - 1))
                        cm_progress_update(progress, im + 1, NULL);
                }
            }
            if (pass == 0 && progress)
                cm_progress_finish(progress, NULL);
        }
        int within10 = 0, never = 0, nconv = 0;
        double *fin = cm_alloc((size_t)(n_img + 1) * sizeof(double));
        for (int im = 0; im < n_img; im++) {
            if (!isfinite(tconv[im]))
                never++;
            else {
                fin[nconv++] = tconv[im];
                if (tconv[im] < 10)
                    within10++;
            }
        }
        qsort(fin, nconv, sizeof(double), cmp_double);
        sum->images = n_img;
        sum->converged_within_10 = within10;
        sum->never_converged = never;
        sum->median_convergence = nconv ? fin[nconv / 2] : NAN;
        cm_figure *fig;
        st = cm_figure_create(&fig, 1, 4, 360, 320, "Figure 3 G-I: resets by visual correction");
        if (st == CM_OK) {
            cm_panel *pg = cm_figure_panel(fig, 0, 0);
            cm_panel_title(pg, "G: steps to converge (%d never)", never);
            cm_panel_hist(pg, fin, nconv, 20, 0, 200, cm_plot_color(0));
            cm_panel_xlabel(pg, "steps");
            static const char *const names[3] = {"H: fast image 1", "H: fast image 2", "I: no convergence"};
            for (int e = 0; e < 3; e++) {
                cm_panel *ph = cm_figure_panel(fig, 0, 1 + e);
                if (examples[e] < 0) {
                    cm_panel_title(ph, "%s: none", names[e]);
                    continue;
                }
                cm_panel_title(ph, "%s (#%d)", names[e], examples[e]);
                cm_panel_scatter(ph, px + 2 * N, py + 2 * N, N, (cm_rgb){0.8, 0.8, 0.8}, 1.2);
                for (int j = 0; j < NA; j++)
                    cm_panel_line(ph, ex + ((size_t)e * NA + j) * (o->corr_steps + 1),
                                  ey + ((size_t)e * NA + j) * (o->corr_steps + 1), o->corr_steps + 1,
                                  cm_colormap_at(CM_CMAP_HSV, (double)j / NA), 0.8);
            }
            st = save_fig(fig, dir, "fig3_gi_correction.png");
        }
        cm_free(fin), cm_free(use), cm_free(tconv), cm_free(code), cm_free(sim), cm_free(w), cm_free(one);
        cm_free(ex), cm_free(ey);
    }
    if (st == CM_OK) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddNumberToObject(root, "hd_units_over_0.56", sum->n_hd_units);
        cJSON_AddNumberToObject(root, "ring_radius_pca", sum->ring_radius);
        cJSON_AddNumberToObject(root, "settled_step_norm", sum->settle_step_norm);
        cJSON_AddNumberToObject(root, "attractor_states", sum->attractor_states);
        cJSON_AddNumberToObject(root, "images", sum->images);
        cJSON_AddNumberToObject(root, "images_converged_within_10_steps", sum->converged_within_10);
        cJSON_AddNumberToObject(root, "images_never_converged", sum->never_converged);
        if (isfinite(sum->median_convergence))
            cJSON_AddNumberToObject(root, "median_convergence_steps", sum->median_convergence);
        char path[4096];
        st = cm_path_join(path, sizeof path, dir, "figure3.json");
        if (st == CM_OK)
            st = cm_json_write(path, root);
        cJSON_Delete(root);
    }
done3:
    cm_free(att);
done2:
    cm_free(xs), cm_free(cs), cm_free(px), cm_free(py);
    cm_free(x0), cm_free(x10), cm_free(steps);
done:
    cm_free(p.mean_hd), cm_free(p.v1), cm_free(p.v2), cm_free(p.mean_all), cm_free(p.var_all);
done_early:
    if (st == CM_OK && (!trajA || !omegaA || !p.units))
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
    runner_free(&r);
    cm_free(p.units);
    cm_free(trajA), cm_free(omegaA);
    return st;
}

cm_status smp_figure2_places(const char *dir, const double *maps, int nx, int ny, const int *slots, int n_slots)
{
    cm_figure *fig;
    cm_status st = cm_figure_create(&fig, 1, n_slots, 180, 180, "Figure 2 E: memory slots, P(s|y) rate maps");
    if (st != CM_OK)
        return st;
    double *img = cm_alloc((size_t)nx * ny * sizeof(double));
    for (int k = 0; k < n_slots; k++) {
        /* x up, y right, origin lower left (smp.md §5.1 display). */
        const double *m = maps + (size_t)slots[k] * nx * ny;
        for (int ix = 0; ix < nx; ix++)
            for (int iy = 0; iy < ny; iy++)
                img[(size_t)(nx - 1 - ix) * ny + iy] = m[(size_t)ix * ny + iy];
        cm_panel *p = cm_figure_panel(fig, 0, k);
        cm_panel_title(p, "Mem: %d", slots[k]);
        cm_panel_heatmap(p, img, nx, ny, CM_CMAP_JET, NAN, NAN);
    }
    cm_free(img);
    return save_fig(fig, dir, "fig2e_place_slots.png");
}
