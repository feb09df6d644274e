/* Named evaluation numbers with the direction that is better (run.h). */
#include "cogmap/run.h"

#include <math.h>
#include <string.h>

void cm_metrics_clear(cm_metrics *m) { memset(m, 0, sizeof *m); }

int cm_metrics_find(const cm_metrics *m, const char *name)
{
    for (int k = 0; k < m->count; k++)
        if (strcmp(m->items[k].name, name) == 0)
            return k;
    return -1;
}

double cm_metrics_get(const cm_metrics *m, const char *name)
{
    const int k = cm_metrics_find(m, name);
    return k < 0 ? NAN : m->items[k].value;
}

cm_status cm_metrics_set(cm_metrics *m, const char *name, double value, cm_metric_better better)
{
    /* Names become evals.csv columns: no separators, no line breaks. */
    if (!name || !name[0] || strlen(name) >= CM_METRIC_NAME || strpbrk(name, ",\n\r\""))
        return cm_error(CM_ERR_ARG, "metric name \"%s\": expected 1..%d characters without commas or line breaks",
                        name ? name : "(null)", CM_METRIC_NAME - 1);
    if (strcmp(name, "step") == 0 || strcmp(name, "wall_seconds") == 0 || strcmp(name, "train_loss") == 0)
        return cm_error(CM_ERR_ARG, "metric name \"%s\": reserved for the trainer's own evals.csv columns", name);
    int k = cm_metrics_find(m, name);
    if (k < 0) {
        if (m->count == CM_METRICS_MAX)
            return cm_error(CM_ERR_ARG, "metric %s: at most %d metrics", name, CM_METRICS_MAX);
        k = m->count++;
        snprintf(m->items[k].name, CM_METRIC_NAME, "%s", name);
    }
    m->items[k].value = value;
    m->items[k].better = better;
    return CM_OK;
}
