/* A training request (trainmodel.h): its defaults and the checks of each
 * field against what the model takes, before anything is read or written. */
#include "run/run_internal.h"

#include <math.h>
#include <string.h>

void cm_train_request_init(cm_train_request *r)
{
    memset(r, 0, sizeof *r);
    r->seed = 1;
    r->eval_every = 100;
    r->keep = 3;
}

static cm_status check_limits(const cm_train_request *r)
{
    if (r->steps < 0)
        return cm_error(CM_ERR_ARG, "steps: expected 0 (no limit) or a positive step count, got %lld",
                        (long long)r->steps);
    if (!(r->minutes >= 0) || !isfinite(r->minutes))
        return cm_error(CM_ERR_ARG, "minutes: expected 0 (no limit) or a positive number, got %g", r->minutes);
    /* Both limits together are allowed: the trainer stops at the first reached. */
    if (!r->steps && !(r->minutes > 0))
        return cm_error(CM_ERR_ARG, "steps, minutes: give a limit: --steps N or --minutes M (both: the first reached)");
    if (r->eval_every < 0)
        return cm_error(CM_ERR_ARG, "eval_every: expected >= 0 (0: at the end only), got %lld",
                        (long long)r->eval_every);
    if (r->checkpoint_every < 0)
        return cm_error(CM_ERR_ARG, "checkpoint_every: expected >= 0 (0: at each evaluation), got %lld",
                        (long long)r->checkpoint_every);
    if (r->keep < 1)
        return cm_error(CM_ERR_ARG, "keep: expected at least 1 checkpoint, got %d", r->keep);
    return CM_OK;
}

cm_status cm_train_request_check(const cm_train_request *r)
{
    if (!r)
        return cm_error(CM_ERR_ARG, "train: no request");
    const run_train_kind *k = run_train_kind_find(r->model);
    if (!k) {
        char known[256] = "";
        for (int i = 0; cm_train_model_at(i); i++)
            snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                     cm_train_model_at(i)->name);
        return cm_error(CM_ERR_ARG, "model: unknown model '%s' (known: %s)", r->model ? r->model : "(none)", known);
    }
    const cm_train_model_info *m = &k->info;
    if (r->n_sets < 0 || r->n_sets > m->max_sets)
        return cm_error(CM_ERR_ARG, "sets: at most %d settings for a %s run, got %d", m->max_sets, m->name, r->n_sets);
    for (int i = 0; i < r->n_sets; i++)
        if (!r->sets[i])
            return cm_error(CM_ERR_ARG, "sets: entry %d is NULL", i);
    for (int i = 0; i < r->n_data; i++)
        if (!r->data[i] || !r->data[i][0])
            return cm_error(CM_ERR_ARG, "data: entry %d is not a folder name", i);
    if (r->resume) {
        if (!r->resume[0])
            return cm_error(CM_ERR_ARG, "resume: expected a run folder");
        if (r->out && strcmp(r->out, r->resume) != 0)
            return cm_error(CM_ERR_ARG, "out: --resume continues in its own folder; drop --out (out: %s, resume: %s)",
                            r->out, r->resume);
        if (r->preset || r->n_data)
            return cm_error(CM_ERR_ARG, "%s: --resume continues a %s run as configured: --preset and --data are not "
                            "allowed",
                            r->preset ? "preset" : "data", m->name);
        for (int i = 0; i < r->n_sets; i++)
            if (!k->can_change || !k->can_change(r->sets[i]))
                return m->stage_keys
                           ? cm_error(CM_ERR_ARG, "sets: --set %s: a resumed %s run can change only %s", r->sets[i],
                                      m->name, m->stage_keys)
                           : cm_error(CM_ERR_ARG, "sets: --set %s: a resumed %s run keeps its settings", r->sets[i],
                                      m->name);
    } else {
        if (!r->out || !r->out[0])
            return cm_error(CM_ERR_ARG, "out: --out is required for a new run (or resume a run)");
        if (m->presets && !r->preset)
            return cm_error(CM_ERR_ARG, "preset: --preset is required for a new %s run (%s)", m->name, m->presets);
        if (!m->presets && r->preset)
            return cm_error(CM_ERR_ARG, "preset: %s runs have no presets, got '%s'", m->name, r->preset);
        if (r->n_data && !m->max_data)
            return cm_error(CM_ERR_ARG, "data: %s runs take no dataset folders", m->name);
        if (r->n_data < 0 || r->n_data > m->max_data)
            return cm_error(CM_ERR_ARG, "data: at most %d dataset folders for a %s run, got %d", m->max_data,
                            m->name, r->n_data);
    }
    if (r->best && !(m->bests && cm_is_choice(r->best, m->bests)))
        return m->bests ? cm_error(CM_ERR_ARG, "best: expected %s, got '%s'", m->bests, r->best)
                        : cm_error(CM_ERR_ARG, "best: %s runs choose their best checkpoint themselves, got '%s'",
                                   m->name, r->best);
    return check_limits(r);
}
