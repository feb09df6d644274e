/* Learning-rate schedules in PyTorch's closed forms (nn.h). */
#include "cogmap/nn.h"

#include <math.h>
#include <string.h>

void cm_sched_init(cm_sched *s, cm_sched_kind kind, double lr0)
{
    memset(s, 0, sizeof *s);
    s->kind = kind;
    s->lr0 = s->lr = lr0;
    s->step_size = 30;
    s->gamma = kind == CM_SCHED_PLATEAU ? 0.5 : 0.1; /* plateau: SSM-PC's factor 0.5 */
    s->t_max = 100;
    s->patience = kind == CM_SCHED_PLATEAU ? 5 : 0;
    s->threshold = 1e-4;
    s->best = INFINITY;
}

double cm_sched_step(cm_sched *s, int epoch, double metric)
{
    switch (s->kind) {
    case CM_SCHED_CONSTANT: s->lr = s->lr0; break;
    case CM_SCHED_STEP: s->lr = s->lr0 * pow(s->gamma, (double)(epoch / (s->step_size > 0 ? s->step_size : 1))); break;
    case CM_SCHED_COSINE:
        s->lr = s->eta_min + (s->lr0 - s->eta_min) * (1.0 + cos(M_PI * (double)epoch / (double)s->t_max)) / 2.0;
        break;
    case CM_SCHED_PLATEAU:
        /* mode 'min', threshold_mode 'rel': better means below best * (1 - threshold). */
        if (metric < s->best * (1.0 - s->threshold)) {
            s->best = metric;
            s->bad_epochs = 0;
        } else if (++s->bad_epochs > s->patience) {
            double lr = s->lr * s->gamma;
            s->lr = lr > s->eta_min ? lr : s->eta_min;
            s->bad_epochs = 0;
        }
        break;
    }
    return s->lr;
}
