/* SMP figure 3's numbers (smp.md §7, run.h): the head-direction RNN (RNN-1
 * prediction and correction LSTMs) driven by velocity, settling from random
 * states onto a ring, rotating under constant angular velocity, and reset by
 * visual corrections. Each panel's data is one stage below; plot draws them
 * (cm_smp_fig3). */
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void cm_smp_hd_opts_default(cm_smp_hd_opts *o)
{
    o->n_init = 1000;
    o->settle = 2000;
    o->max_attractor = 64;
    o->corr_steps = 200;
    o->seed = 1;
}

void cm_smp_hd_net_of_model(cm_smp_hd_net *net, const cm_smp *m)
{
    const cm_smp_config *mc = cm_smp_get_config(m);
    *net = (cm_smp_hd_net){.H = mc->hidden[0],
                           .S = mc->slots,
                           .D = mc->embed,
                           .wp = cm_smp_pred_w(m, 0),
                           .bp = cm_smp_pred_b(m, 0),
                           .wc = cm_smp_corr_w(m, 0),
                           .bc = cm_smp_corr_b(m, 0),
                           .mx = cm_smp_mx(m, 0),
                           .written = cm_smp_memory_written(m, 0),
                           .my = cm_smp_memory_views(m),
                           .gamma = cm_smp_gamma(m)};
}

/* B rows of RNN-1: optional correction with code [B, H], then the prediction
 * step at angular velocity omega (input 10 [cos, sin]). */
typedef struct hd_runner {
    const cm_smp_hd_net *net;
    float *h, *c, *h2, *c2, *gates, *zin, *u;
} hd_runner;

static cm_status runner_init(hd_runner *r, const cm_smp_hd_net *net, int cap)
{
    memset(r, 0, sizeof *r);
    r->net = net;
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
        cm_smp_cell_forward(r->h2, r->c2, r->gates, r->zin, code, r->h, r->c, r->net->wc, r->net->bc, B, H, H);
        memcpy(r->h, r->h2, BH * sizeof(float));
        memcpy(r->c, r->c2, BH * sizeof(float));
    }
    for (int b = 0; b < B; b++) {
        r->u[2 * b] = 10.0f * cosf(omega);
        r->u[2 * b + 1] = 10.0f * sinf(omega);
    }
    cm_smp_cell_forward(r->h2, r->c2, r->gates, r->zin, r->u, r->h, r->c, r->net->wp, r->net->bp, B, 2, H);
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

/* What the stages share: RNN-1, the runner, the PCA space of the HD units
 * (mean and first two eigenvectors), the settled states and the result. */
typedef struct hd_ctx {
    const cm_smp_hd_net *net;
    const cm_smp_hd_opts *o;
    int H, N;
    hd_runner r;
    double *mean_hd, *v1, *v2; /* [n_hd] */
    double *mean_all, *var_all; /* [H], for the random initial states */
    float *xs, *cs;            /* [N, H] settled states (h, c) */
    int *att, n_att;           /* attractor set: settled states one per 0.1 degree */
    cm_smp_hd_result *d;
} hd_ctx;

static void project(const hd_ctx *x, const float *v, double *px, double *py)
{
    double a = 0, b = 0;
    for (int k = 0; k < x->d->n_hd; k++) {
        const double dv = v[x->d->units[k]] - x->mean_hd[k];
        a += dv * x->v1[k];
        b += dv * x->v2[k];
    }
    *px = a, *py = b;
}

static double dist_hd(const hd_ctx *x, const float *a, const float *b)
{
    double s = 0;
    for (int k = 0; k < x->d->n_hd; k++) {
        const double dv = (double)a[x->d->units[k]] - b[x->d->units[k]];
        s += dv * dv;
    }
    return sqrt(s);
}

/* hd_ordering: units with RV length > 0.56, sorted by RV angle. A model
 * without any (untrained) falls back to every unit, so the panels still show
 * its dynamics; the summary reports the count. */
static cm_status hd_order(hd_ctx *x, const double *rv_angle, const double *rv_len)
{
    const int H = x->H;
    cm_smp_hd_result *d = x->d;
    cmp_item *ord = cm_alloc((size_t)H * sizeof *ord);
    d->units = cm_alloc((size_t)H * sizeof(int));
    if (!ord || !d->units) {
        cm_free(ord);
        return cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
    }
    int n_hd = 0;
    for (int u = 0; u < H; u++)
        if (rv_len[u] > 0.56)
            ord[n_hd++] = (cmp_item){rv_angle[u], u};
    d->n_hd_units = n_hd;
    if (n_hd < 2) {
        n_hd = 0;
        for (int u = 0; u < H; u++)
            ord[n_hd++] = (cmp_item){rv_angle[u], u};
    }
    qsort(ord, (size_t)n_hd, sizeof *ord, cmp_items);
    for (int k = 0; k < n_hd; k++)
        d->units[k] = ord[k].index;
    d->n_hd = n_hd;
    cm_free(ord);
    return CM_OK;
}

/* A, B: velocity integration from written state 8 (or the last slot), and
 * the PCA space of its HD units over the points of that trajectory at least
 * 0.1 apart (take_if_farther_than). */
static cm_status integrate(hd_ctx *x)
{
    const int H = x->H, TA = 1000, n_hd = x->d->n_hd;
    const cm_smp_hd_net *net = x->net;
    cm_smp_hd_result *d = x->d;
    d->steps_a = TA;
    float *trajA = cm_alloc((size_t)TA * H * sizeof(float));
    int *kept = cm_alloc(TA * sizeof(int));
    d->omega = cm_alloc(TA * sizeof(double));
    d->true_angle = cm_alloc(TA * sizeof(double));
    d->ring_x = cm_alloc(TA * sizeof(double));
    d->ring_y = cm_alloc(TA * sizeof(double));
    d->activity = cm_alloc((size_t)n_hd * TA * sizeof(double));
    x->mean_hd = cm_calloc(n_hd, sizeof(double));
    x->v1 = cm_alloc(n_hd * sizeof(double));
    x->v2 = cm_alloc(n_hd * sizeof(double));
    x->mean_all = cm_calloc(H, sizeof(double));
    x->var_all = cm_calloc(H, sizeof(double));
    double *cov = cm_calloc((size_t)n_hd * n_hd, sizeof(double)), *evec = cm_alloc((size_t)n_hd * n_hd * sizeof(double)),
           *eval = cm_alloc(n_hd * sizeof(double));
    cm_status st = CM_OK;
    if (!trajA || !kept || !d->omega || !d->true_angle || !d->ring_x || !d->ring_y || !d->activity || !x->mean_hd ||
        !x->v1 || !x->v2 || !x->mean_all || !x->var_all || !cov || !evec || !eval) {
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
        goto done;
    }
    const float *s0 = net->written + (size_t)(net->S > 8 ? 8 : net->S - 1) * H;
    memcpy(x->r.h, s0, H * sizeof(float));
    memcpy(x->r.c, s0, H * sizeof(float));
    double cum = 0;
    for (int t = 0; t < TA; t++) {
        d->omega[t] = t < 250 ? M_PI / 20 : t < 500 ? 0 : -M_PI / 40;
        runner_step(&x->r, 1, (float)d->omega[t], NULL);
        memcpy(trajA + (size_t)t * H, x->r.h, H * sizeof(float));
        cum += d->omega[t];
        d->true_angle[t] = atan2(sin(cum - M_PI), cos(cum - M_PI));
    }
    int nk = 0;
    for (int t = 0; t < TA; t++) {
        int far = 1;
        for (int j = 0; j < nk && far; j++) {
            double s = 0;
            for (int k = 0; k < H; k++) {
                const double dv = (double)trajA[(size_t)t * H + k] - trajA[(size_t)kept[j] * H + k];
                s += dv * dv;
            }
            far = sqrt(s) >= 0.1;
        }
        if (far)
            kept[nk++] = t;
    }
    for (int j = 0; j < nk; j++)
        for (int k = 0; k < H; k++)
            x->mean_all[k] += trajA[(size_t)kept[j] * H + k] / (double)nk;
    for (int j = 0; j < nk; j++)
        for (int k = 0; k < H; k++) {
            const double dv = trajA[(size_t)kept[j] * H + k] - x->mean_all[k];
            x->var_all[k] += dv * dv / (nk > 1 ? nk - 1 : 1);
        }
    for (int k = 0; k < n_hd; k++)
        x->mean_hd[k] = x->mean_all[d->units[k]];
    for (int j = 0; j < nk; j++)
        for (int a = 0; a < n_hd; a++)
            for (int b = 0; b < n_hd; b++)
                cov[a * n_hd + b] += (trajA[(size_t)kept[j] * H + d->units[a]] - x->mean_hd[a]) *
                                     (trajA[(size_t)kept[j] * H + d->units[b]] - x->mean_hd[b]) / (nk > 1 ? nk - 1 : 1);
    jacobi_eig(cov, n_hd, eval, evec);
    for (int k = 0; k < n_hd; k++) {
        x->v1[k] = evec[k * n_hd + 0];
        x->v2[k] = evec[k * n_hd + 1];
    }
    for (int k = 0; k < n_hd; k++)
        for (int t = 0; t < TA; t++)
            d->activity[(size_t)k * TA + t] = trajA[(size_t)t * H + d->units[k]];
    for (int t = 0; t < TA; t++)
        project(x, trajA + (size_t)t * H, &d->ring_x[t], &d->ring_y[t]);
done:
    cm_free(cov), cm_free(evec), cm_free(eval), cm_free(kept), cm_free(trajA);
    return st;
}

/* C, D: random initial states (4 sd around the trajectory's mean) settle at
 * zero velocity: the step sizes of the first 100 steps, the states at t = 0,
 * 10 and the end in PCA space; then the attractor set, one settled state
 * per 0.1 degree of PCA angle. */
static cm_status settle(hd_ctx *x, cm_progress *progress)
{
    const int H = x->H, N = x->N, TS = x->o->settle;
    cm_smp_hd_result *d = x->d;
    float *x0 = cm_alloc((size_t)N * H * sizeof(float)), *x10 = cm_alloc((size_t)N * H * sizeof(float));
    float *prev = cm_alloc((size_t)N * H * sizeof(float));
    double *steps = cm_alloc((size_t)100 * N * sizeof(double)), *col = cm_alloc((size_t)N * sizeof(double));
    cmp_item *ang = cm_alloc((size_t)N * sizeof *ang);
    x->xs = cm_alloc((size_t)N * H * sizeof(float));
    x->cs = cm_alloc((size_t)N * H * sizeof(float));
    x->att = cm_alloc((size_t)N * sizeof(int));
    d->pc_x = cm_alloc((size_t)3 * N * sizeof(double));
    d->pc_y = cm_alloc((size_t)3 * N * sizeof(double));
    cm_status st = CM_OK;
    if (!x0 || !x10 || !prev || !steps || !col || !ang || !x->xs || !x->cs || !x->att || !d->pc_x || !d->pc_y) {
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
        goto done;
    }
    d->n_init = N;
    d->settle = TS;
    cm_rng rng;
    cm_rng_seed(&rng, x->o->seed, 0x46494733ULL);
    for (int i = 0; i < N; i++)
        for (int k = 0; k < H; k++)
            x0[(size_t)i * H + k] = (float)(x->mean_all[k] + 4.0 * sqrt(x->var_all[k] + 1e-4) * cm_rng_normal(&rng));
    memcpy(x->r.h, x0, (size_t)N * H * sizeof(float));
    memcpy(x->r.c, x0, (size_t)N * H * sizeof(float));
    double tail = 0;
    int tail_n = 0;
    if (progress)
        cm_progress_start(progress, progress->out, "figure 3: settling", TS);
    for (int t = 0; t < TS; t++) {
        memcpy(prev, x->r.h, (size_t)N * H * sizeof(float));
        runner_step(&x->r, N, 0.0f, NULL);
        if (t < 100 || t >= TS - 10)
            for (int i = 0; i < N; i++) {
                const double dv = dist_hd(x, prev + (size_t)i * H, x->r.h + (size_t)i * H);
                if (t < 100)
                    steps[(size_t)t * N + i] = dv;
                else
                    tail += dv, tail_n++;
            }
        if (t == 9)
            memcpy(x10, x->r.h, (size_t)N * H * sizeof(float));
        if (progress && (t % 100 == 0 || t == TS - 1))
            cm_progress_update(progress, t + 1, NULL);
    }
    if (progress)
        cm_progress_finish(progress, NULL);
    d->settle_step_norm = tail / (tail_n ? tail_n : 1);
    memcpy(x->xs, x->r.h, (size_t)N * H * sizeof(float));
    memcpy(x->cs, x->r.c, (size_t)N * H * sizeof(float));
    for (int i = 0; i < N; i++) {
        project(x, x0 + (size_t)i * H, &d->pc_x[i], &d->pc_y[i]);
        project(x, x10 + (size_t)i * H, &d->pc_x[N + i], &d->pc_y[N + i]);
        project(x, x->xs + (size_t)i * H, &d->pc_x[2 * N + i], &d->pc_y[2 * N + i]);
    }
    double cx = 0, cy = 0, rad = 0;
    for (int i = 0; i < N; i++)
        cx += d->pc_x[2 * N + i] / N, cy += d->pc_y[2 * N + i] / N;
    for (int i = 0; i < N; i++)
        rad += hypot(d->pc_x[2 * N + i] - cx, d->pc_y[2 * N + i] - cy) / N;
    d->ring_radius = rad;
    for (int t = 0; t < 100; t++) {
        double s = 0;
        for (int i = 0; i < N; i++)
            col[i] = steps[(size_t)t * N + i], s += col[i];
        qsort(col, N, sizeof(double), cmp_double);
        d->step_mean[t] = s / N, d->step_q5[t] = col[(int)(0.05 * (N - 1))], d->step_q95[t] = col[(int)(0.95 * (N - 1))];
    }
    for (int i = 0; i < N; i++)
        ang[i] = (cmp_item){atan2(d->pc_y[2 * N + i], d->pc_x[2 * N + i]), i};
    qsort(ang, N, sizeof *ang, cmp_items);
    double last = -INFINITY;
    for (int i = 0; i < N; i++)
        if (ang[i].key > last + 0.1 * M_PI / 360 * 2) {
            x->att[x->n_att++] = ang[i].index;
            last = ang[i].key;
        }
    d->attractor_states = x->n_att;
done:
    cm_free(x0), cm_free(x10), cm_free(prev), cm_free(steps), cm_free(col), cm_free(ang);
    return st;
}

/* E: rotation from settled states #11 and #41 at omega = -0.16, +0.16.
 * F: autocovariance of every settled state's run at +0.16. */
static cm_status rotate(hd_ctx *x)
{
    const int H = x->H, N = x->N, TF = 200, L = 50;
    cm_smp_hd_result *d = x->d;
    const int starts[2] = {11 % N, 41 % N};
    for (int sgn = 0; sgn < 2; sgn++)
        for (int si = 0; si < 2; si++) {
            double *lx = d->rot_x[2 * sgn + si], *ly = d->rot_y[2 * sgn + si];
            memcpy(x->r.h, x->xs + (size_t)starts[si] * H, H * sizeof(float));
            memcpy(x->r.c, x->cs + (size_t)starts[si] * H, H * sizeof(float));
            project(x, x->r.h, &lx[0], &ly[0]);
            for (int t = 0; t < 50; t++) {
                runner_step(&x->r, 1, sgn ? 0.16f : -0.16f, NULL);
                project(x, x->r.h, &lx[t + 1], &ly[t + 1]);
            }
        }
    float *tr = cm_alloc((size_t)TF * N * H * sizeof(float));
    if (!tr)
        return cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
    memcpy(x->r.h, x->xs, (size_t)N * H * sizeof(float));
    memcpy(x->r.c, x->cs, (size_t)N * H * sizeof(float));
    for (int t = 0; t < TF; t++) {
        runner_step(&x->r, N, 0.16f, NULL);
        memcpy(tr + (size_t)t * N * H, x->r.h, (size_t)N * H * sizeof(float));
    }
    memset(d->autocov, 0, sizeof d->autocov);
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
            d->autocov[l] += s / (TF - l) / N;
        }
    }
    cm_free(tr);
    return CM_OK;
}

/* G-I: visual corrections of every probe view from (up to max_attractor)
 * attractor states: the steps until their projections come within 0.1 of
 * each other, and the flows of two fast views and one that never converges. */
static cm_status correct(hd_ctx *x, const float *emb, int n_img, cm_progress *progress)
{
    const cm_smp_hd_net *net = x->net;
    const int H = x->H, C = x->o->corr_steps;
    cm_smp_hd_result *d = x->d;
    const int NA = x->n_att < x->o->max_attractor ? x->n_att : x->o->max_attractor;
    d->flow_starts = NA;
    d->corr_steps = C;
    int *use = cm_alloc((size_t)(NA + 1) * sizeof(int));
    double *tconv = cm_alloc((size_t)(n_img + 1) * sizeof(double));
    float *code = cm_alloc((size_t)(NA + 1) * H * sizeof(float));
    float *sim = cm_alloc((size_t)net->S * sizeof(float)), *w = cm_alloc((size_t)net->S * sizeof(float));
    float *one = cm_alloc((size_t)H * sizeof(float));
    d->flow_x = cm_alloc(((size_t)3 * NA * (C + 1) + 1) * sizeof(double));
    d->flow_y = cm_alloc(((size_t)3 * NA * (C + 1) + 1) * sizeof(double));
    d->conv_steps = cm_alloc((size_t)(n_img + 1) * sizeof(double));
    cm_status st = CM_OK;
    if (!use || !tconv || !code || !sim || !w || !one || !d->flow_x || !d->flow_y || !d->conv_steps) {
        st = cm_error(CM_ERR_NOMEM, "figure 3: out of memory");
        goto done;
    }
    for (int j = 0; j < NA; j++)
        use[j] = x->att[(int)((int64_t)j * x->n_att / NA)];
    d->examples[0] = d->examples[1] = d->examples[2] = -1;
    if (progress)
        cm_progress_start(progress, progress->out, "figure 3: visual corrections", n_img);
    for (int pass = 0; pass < 2; pass++) {
        /* Pass 0 times every image; pass 1 records the example flows. */
        for (int im = 0; im < n_img; im++) {
            int ex_slot = -1;
            if (pass == 1) {
                for (int e = 0; e < 3; e++)
                    if (d->examples[e] == im)
                        ex_slot = e;
                if (ex_slot < 0)
                    continue;
            }
            cm_smp_similarity(sim, emb + (size_t)im * net->D, net->my, 1, net->S, net->D);
            cm_smp_correction_forward(one, w, sim, net->mx, 1, net->S, H, net->gamma);
            for (int j = 0; j < NA; j++) {
                memcpy(code + (size_t)j * H, one, H * sizeof(float));
                memcpy(x->r.h + (size_t)j * H, x->xs + (size_t)use[j] * H, H * sizeof(float));
                memcpy(x->r.c + (size_t)j * H, x->cs + (size_t)use[j] * H, H * sizeof(float));
            }
            double found = INFINITY;
            for (int t = 0; t <= C; t++) {
                if (t > 0)
                    runner_step(&x->r, NA, 0.0f, code);
                double x0p, y0p;
                project(x, x->r.h, &x0p, &y0p);
                int together = 1;
                for (int j = 0; j < NA; j++) {
                    double xj, yj;
                    project(x, x->r.h + (size_t)j * H, &xj, &yj);
                    if (ex_slot >= 0) {
                        d->flow_x[((size_t)ex_slot * NA + j) * (C + 1) + t] = xj;
                        d->flow_y[((size_t)ex_slot * NA + j) * (C + 1) + t] = yj;
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
                if (found > 0 && found < 10 && d->examples[0] < 0)
                    d->examples[0] = im;
                else if (found > 0 && found < 10 && d->examples[1] < 0)
                    d->examples[1] = im;
                else if (!isfinite(found) && d->examples[2] < 0)
                    d->examples[2] = im;
                if (progress && (im % 16 == 0 || im == n_img - 1))
                    cm_progress_update(progress, im + 1, NULL);
            }
        }
        if (pass == 0 && progress)
            cm_progress_finish(progress, NULL);
    }
    int within10 = 0, never = 0, nconv = 0;
    for (int im = 0; im < n_img; im++) {
        if (!isfinite(tconv[im]))
            never++;
        else {
            d->conv_steps[nconv++] = tconv[im];
            if (tconv[im] < 10)
                within10++;
        }
    }
    qsort(d->conv_steps, nconv, sizeof(double), cmp_double);
    d->n_conv = nconv;
    d->images = n_img;
    d->converged_within_10 = within10;
    d->never_converged = never;
    d->median_convergence = nconv ? d->conv_steps[nconv / 2] : NAN;
done:
    cm_free(use), cm_free(tconv), cm_free(code), cm_free(sim), cm_free(w), cm_free(one);
    return st;
}

void cm_smp_hd_dynamics_free(cm_smp_hd_result *d)
{
    if (!d)
        return;
    cm_free(d->units), cm_free(d->omega), cm_free(d->true_angle), cm_free(d->ring_x), cm_free(d->ring_y);
    cm_free(d->activity), cm_free(d->pc_x), cm_free(d->pc_y), cm_free(d->conv_steps);
    cm_free(d->flow_x), cm_free(d->flow_y);
    memset(d, 0, sizeof *d);
}

cm_status cm_smp_hd_dynamics(const cm_smp_hd_net *net, const float *emb, int n_img, const double *rv_angle,
                             const double *rv_len, const cm_smp_hd_opts *o, cm_progress *progress,
                             cm_smp_hd_result *d)
{
    memset(d, 0, sizeof *d);
    if (net->H < 2 || net->S < 1 || o->n_init < 2 || o->settle < 11 || o->corr_steps < 1 || o->max_attractor < 1)
        return cm_error(CM_ERR_ARG, "figure 3: expected >= 2 HD units, slots, >= 2 initial states and >= 11 "
                                    "settling steps");
    hd_ctx x = {.net = net, .o = o, .H = net->H, .N = o->n_init, .d = d};
    d->H = net->H;
    cm_status st = runner_init(&x.r, net, o->n_init > o->max_attractor ? o->n_init : o->max_attractor);
    if (st == CM_OK)
        st = hd_order(&x, rv_angle, rv_len);
    if (st == CM_OK)
        st = integrate(&x);
    if (st == CM_OK)
        st = settle(&x, progress);
    if (st == CM_OK)
        st = rotate(&x);
    if (st == CM_OK)
        st = correct(&x, emb, n_img, progress);
    runner_free(&x.r);
    cm_free(x.mean_hd), cm_free(x.v1), cm_free(x.v2), cm_free(x.mean_all), cm_free(x.var_all);
    cm_free(x.xs), cm_free(x.cs), cm_free(x.att);
    if (st != CM_OK)
        cm_smp_hd_dynamics_free(d);
    return st;
}

cm_status cm_smp_hd_dynamics_write(const char *dir, const cm_smp_hd_result *d)
{
    cJSON *root = cJSON_CreateObject();
    int ok = root && cJSON_AddNumberToObject(root, "hd_units_over_0.56", d->n_hd_units) &&
             cJSON_AddNumberToObject(root, "ring_radius_pca", d->ring_radius) &&
             cJSON_AddNumberToObject(root, "settled_step_norm", d->settle_step_norm) &&
             cJSON_AddNumberToObject(root, "attractor_states", d->attractor_states) &&
             cJSON_AddNumberToObject(root, "images", d->images) &&
             cJSON_AddNumberToObject(root, "images_converged_within_10_steps", d->converged_within_10) &&
             cJSON_AddNumberToObject(root, "images_never_converged", d->never_converged);
    if (ok && isfinite(d->median_convergence))
        ok = cJSON_AddNumberToObject(root, "median_convergence_steps", d->median_convergence) != NULL;
    char path[4096];
    cm_status st = ok ? cm_path_join(path, sizeof path, dir, "figure3.json")
                      : cm_error(CM_ERR_NOMEM, "%s/figure3.json: out of memory", dir);
    if (st == CM_OK)
        st = cm_json_write(path, root);
    cJSON_Delete(root);
    return st;
}
