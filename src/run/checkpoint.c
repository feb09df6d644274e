/* Checkpoints of a training run (run.h, docs/formats.md "Run folders"). A
 * checkpoint is a folder: the job's files (model.safetensors,
 * optimizer.safetensors, ...) and state.json, written beside its final name
 * and renamed into place, so a crash never leaves a half checkpoint under
 * the final name. */
#define _GNU_SOURCE
#include "cogmap/run.h"
#include "cogmap/io.h"

#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FORMAT "cogmap checkpoint"
/* What state.json said before every model shared the trainer; still read. */
#define STATE_FORMAT_V1 "cogmap grid-cell checkpoint"

/* Removes a folder of plain files (what checkpoints are). */
static void remove_flat_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    char path[4096];
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (cm_path_join(path, sizeof path, dir, e->d_name) == CM_OK)
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int is_dir(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

static cm_status write_state(const char *path, const cm_train_job_ops *ops, const cm_train_state *st, uint64_t seed)
{
    cJSON *root = cJSON_CreateObject();
    char seed_text[32];
    snprintf(seed_text, sizeof seed_text, "%" PRIu64, seed);
    int ok = root != NULL;
    ok = ok && cJSON_AddStringToObject(root, "format", STATE_FORMAT);
    ok = ok && cJSON_AddNumberToObject(root, "version", 2);
    ok = ok && cJSON_AddStringToObject(root, "job", ops->model_name ? ops->model_name : "");
    ok = ok && cJSON_AddNumberToObject(root, "step", (double)st->step);
    ok = ok && cJSON_AddNumberToObject(root, "wall_seconds", st->wall_seconds);
    /* A string: JSON numbers are doubles and would round a 64-bit seed. */
    ok = ok && cJSON_AddStringToObject(root, "seed", seed_text);
    ok = ok && cJSON_AddNumberToObject(root, "last_loss", isfinite(st->last_loss) ? st->last_loss : 0.0);
    ok = ok && cJSON_AddNumberToObject(root, "best_step", (double)st->best_step);
    ok = ok && cJSON_AddNumberToObject(root, "best_value", isfinite(st->best_value) ? st->best_value : 0.0);
    /* Every random number of a run comes from a stream derived from (seed,
     * purpose, counter): training batch k from (seed, data, k), the dropout
     * masks of step k from (seed, dropout, k). The generators' whole state is
     * therefore the step, recorded here for readers. */
    cJSON *data = ok ? cJSON_AddObjectToObject(root, "data") : NULL;
    ok = ok && data && cJSON_AddNumberToObject(data, "next_batch", (double)st->step);
    cJSON *rng = ok ? cJSON_AddObjectToObject(root, "rng") : NULL;
    ok = ok && rng && cJSON_AddStringToObject(rng, "scheme", "xoshiro256** streams of (seed, purpose, step)");
    ok = ok && cJSON_AddNumberToObject(rng, "next_dropout_step", (double)st->step);
    ok = ok && cJSON_AddStringToObject(root, "model", "model.safetensors");
    ok = ok && cJSON_AddStringToObject(root, "optimizer", "optimizer.safetensors");
    if (!ok) {
        cJSON_Delete(root);
        return cm_error(CM_ERR_NOMEM, "%s: cannot build the state document", path);
    }
    cm_status s = cm_json_write(path, root);
    cJSON_Delete(root);
    return s;
}

cm_status cm_train_checkpoint_save(const char *dir, const cm_train_job_ops *ops, void *job,
                                   const cm_train_state *state, uint64_t seed)
{
    char tmp[4096], old[4096], path[4096];
    const char *slash = strrchr(dir, '/');
    const int plen = slash ? (int)(slash - dir + 1) : 0;
    if (snprintf(tmp, sizeof tmp, "%.*s.tmp-%s", plen, dir, dir + plen) >= (int)sizeof tmp ||
        snprintf(old, sizeof old, "%.*s.old-%s", plen, dir, dir + plen) >= (int)sizeof old)
        return cm_error(CM_ERR_ARG, "%s: checkpoint path too long", dir);
    remove_flat_dir(tmp); /* left over by a crash */
    cm_status st = cm_mkdir_p(tmp);
    if (st != CM_OK)
        return st;
    st = ops->save(job, tmp);
    if (st == CM_OK)
        st = cm_path_join(path, sizeof path, tmp, "state.json");
    if (st == CM_OK)
        st = write_state(path, ops, state, seed);
    if (st != CM_OK) {
        remove_flat_dir(tmp);
        return cm_error_context(st, "saving checkpoint %s: ", dir);
    }
    /* Replace an existing checkpoint of that name (best/) without a moment
     * where neither exists under a name the loader knows. */
    if (is_dir(dir)) {
        remove_flat_dir(old);
        if (rename(dir, old) != 0) {
            remove_flat_dir(tmp);
            return cm_error(CM_ERR_IO, "%s: cannot move the previous checkpoint aside: %s", dir, strerror(errno));
        }
    }
    if (rename(tmp, dir) != 0) {
        int e = errno;
        remove_flat_dir(tmp);
        return cm_error(CM_ERR_IO, "%s: cannot rename the new checkpoint into place: %s", dir, strerror(e));
    }
    remove_flat_dir(old);
    return CM_OK;
}

static int step_cmp(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

cm_status cm_train_checkpoint_list(const char *run, int64_t **steps, int *count)
{
    char dir[4096];
    *steps = NULL;
    *count = 0;
    cm_status st = cm_path_join(dir, sizeof dir, run, "checkpoints");
    if (st != CM_OK)
        return st;
    DIR *d = opendir(dir);
    if (!d)
        return cm_error(CM_ERR_IO, "%s: no checkpoints folder: %s", dir, strerror(errno));
    int n = 0, cap = 16;
    int64_t *list = cm_alloc((size_t)cap * sizeof *list);
    struct dirent *e;
    while (list && (e = readdir(d)) != NULL) {
        long long step;
        char tail;
        if (sscanf(e->d_name, "step_%lld%c", &step, &tail) != 1 || step < 0)
            continue;
        if (n == cap) {
            int64_t *grown = cm_alloc((size_t)cap * 2 * sizeof *grown);
            if (grown)
                memcpy(grown, list, (size_t)n * sizeof *list);
            cm_free(list);
            list = grown;
            cap *= 2;
            if (!list)
                break;
        }
        list[n++] = step;
    }
    closedir(d);
    if (!list)
        return cm_error(CM_ERR_NOMEM, "%s: cannot list checkpoints", dir);
    qsort(list, (size_t)n, sizeof *list, step_cmp);
    *steps = list;
    *count = n;
    return CM_OK;
}

static int is_milestone(int64_t step, int64_t base)
{
    if (base <= 0 || step <= 0 || step % base != 0)
        return 0;
    int64_t k = step / base;
    return (k & (k - 1)) == 0;
}

cm_status cm_train_checkpoint_prune(const char *run, int keep, int64_t milestone_base)
{
    int64_t *steps = NULL;
    int n = 0;
    cm_status st = cm_train_checkpoint_list(run, &steps, &n);
    if (st != CM_OK)
        return st;
    for (int i = 0; i + keep < n; i++) {
        if (is_milestone(steps[i], milestone_base))
            continue;
        char dir[4096];
        if ((size_t)snprintf(dir, sizeof dir, "%s/checkpoints/step_%08lld", run, (long long)steps[i]) < sizeof dir)
            remove_flat_dir(dir);
    }
    cm_free(steps);
    return CM_OK;
}

cm_status cm_train_checkpoint_load(const char *path, const cm_train_job_ops *ops, void *job, cm_train_state *state,
                                   uint64_t *seed, char *loaded)
{
    char dir[4096], file[4096];
    cm_status st = cm_path_join(file, sizeof file, path, "state.json");
    if (st != CM_OK)
        return st;
    if (access(file, F_OK) == 0) {
        snprintf(dir, sizeof dir, "%s", path);
    } else {
        /* A run folder: its newest checkpoint. */
        int64_t *steps = NULL;
        int n = 0;
        st = cm_train_checkpoint_list(path, &steps, &n);
        if (st != CM_OK)
            return cm_error_context(st, "%s: not a checkpoint (no state.json) nor a run folder: ", path);
        if (n == 0) {
            cm_free(steps);
            return cm_error(CM_ERR_FORMAT, "%s/checkpoints: expected step_* checkpoint folders, found none", path);
        }
        snprintf(dir, sizeof dir, "%s/checkpoints/step_%08lld", path, (long long)steps[n - 1]);
        cm_free(steps);
        if (cm_path_join(file, sizeof file, dir, "state.json") != CM_OK)
            return cm_error(CM_ERR_ARG, "%s: path too long", dir);
    }
    cJSON *root = NULL;
    st = cm_json_read(file, &root);
    if (st != CM_OK)
        return st;
    char format[64] = "", seed_text[32] = "";
    int64_t step = -1, best_step = -1;
    double wall = 0, loss = 0, best = 0;
    st = cm_json_get_string(root, file, "format", 1, format, sizeof format);
    if (st == CM_OK && strcmp(format, STATE_FORMAT) != 0 && strcmp(format, STATE_FORMAT_V1) != 0)
        st = cm_error(CM_ERR_FORMAT, "%s: format: expected \"%s\", got \"%s\"", file, STATE_FORMAT, format);
    if (st == CM_OK)
        st = cm_json_get_int(root, file, "step", 1, &step);
    if (st == CM_OK && step < 0)
        st = cm_error(CM_ERR_FORMAT, "%s: step: expected >= 0, got %lld", file, (long long)step);
    if (st == CM_OK)
        st = cm_json_get_number(root, file, "wall_seconds", 1, &wall);
    if (st == CM_OK && !(wall >= 0))
        st = cm_error(CM_ERR_FORMAT, "%s: wall_seconds: expected >= 0, got %g", file, wall);
    if (st == CM_OK)
        st = cm_json_get_string(root, file, "seed", 1, seed_text, sizeof seed_text);
    char *end = NULL;
    errno = 0;
    unsigned long long sd = st == CM_OK ? strtoull(seed_text, &end, 10) : 0;
    if (st == CM_OK && (errno || !end || *end || !seed_text[0]))
        st = cm_error(CM_ERR_FORMAT, "%s: seed: expected a decimal unsigned 64-bit integer, got \"%s\"", file,
                      seed_text);
    if (st == CM_OK)
        st = cm_json_get_number(root, file, "last_loss", 0, &loss);
    if (st == CM_OK)
        st = cm_json_get_int(root, file, "best_step", 0, &best_step);
    if (st == CM_OK)
        st = cm_json_get_number(root, file, "best_value", 0, &best);
    cJSON_Delete(root);
    if (st != CM_OK)
        return st;
    st = ops->load(job, dir);
    if (st != CM_OK)
        return cm_error_context(st, "loading checkpoint %s: ", dir);
    state->step = step;
    state->wall_seconds = wall;
    state->last_loss = loss;
    state->best_step = best_step;
    state->best_value = best;
    if (seed)
        *seed = sd;
    if (loaded)
        snprintf(loaded, 4096, "%s", dir);
    return CM_OK;
}

cm_status cm_train_resume(const char *run, const cm_train_job_ops *ops, void *job, uint64_t run_seed,
                          cm_train_state *state, char loaded[4096])
{
    uint64_t seed = 0;
    cm_status st = cm_train_checkpoint_load(run, ops, job, state, &seed, loaded);
    /* A checkpoint from another seed would silently change the run's data stream. */
    if (st == CM_OK && seed != run_seed)
        st = cm_error(CM_ERR_FORMAT, "%s: seed %llu differs from run.json's %llu", loaded, (unsigned long long)seed,
                      (unsigned long long)run_seed);
    return st;
}
