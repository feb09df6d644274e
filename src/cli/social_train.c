/* `cogmap train social` and `cogmap train link`: SSM-PC's social place-cell
 * network and the learned link between agents (docs/social.md), through the
 * generic trainer (progress, periodic evaluation, checkpoints, --resume,
 * NaN stop, Ctrl-C). Both run kinds differ only in their configuration and
 * job, which the table below names. */
#include "cli/cli.h"
#include "cli/train.h"
#include "cogmap/io.h"
#include "cogmap/socialrun.h"

#include <stdio.h>
#include <string.h>

const char social_train_usage[] =
    "usage: cogmap train social --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train social --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains SSM-PC's social place-cell network (two agents in the 15 x 15 arena, each\n"
    "integrating its own and its partner's velocities), evaluating the decoding errors and\n"
    "SSM-PC's probe (unit classes) periodically; checkpoints in DIR.\n"
    "  --out DIR / --resume DIR / --steps N / --minutes M / --eval-every N / --checkpoint-every N / --keep K\n"
    "                        as `train grid`\n"
    "  --set key=value       a network, world or run key (docs/cli.md); with --resume a new stage\n"
    "                        (batch, seq_len, lr, momentum, weight_decay, clip, dropout, loss weights,\n"
    "                        world keys, eval_batches, probe_reps), kept in run.json\n"
    "  --seed N --threads N --quiet\n";

const char link_train_usage[] =
    "usage: cogmap train link --bits B --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train link --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains the learned low-bandwidth link: K agents (default 2), each its own path\n"
    "integrator, agent 0 predicting its partners' positions from B-bit messages sent\n"
    "behind a learned gate (docs/social.md); checkpoints in DIR.\n"
    "  --bits B              bits per message (1..128; same as --set bits=B)\n"
    "  --out DIR / --resume DIR / --steps N / --minutes M / --eval-every N / --checkpoint-every N / --keep K\n"
    "                        as `train grid`\n"
    "  --set key=value       scheme=learned|broadcast|none, init_from=CHECKPOINT_DIR, the link's keys\n"
    "                        (beta, lambda, code, ...), the network's and the world's (docs/cli.md)\n"
    "  --seed N --threads N --quiet\n";

/* What differs between the two run kinds. */
typedef struct run_kind {
    const char *command;
    int max_sets;
    const cm_train_job_ops *ops;
    void (*init)(void *cfg, uint64_t seed);
    cm_status (*set)(void *cfg, const char *kv);
    cm_status (*check)(void *cfg);
    cm_status (*read)(void *cfg, const char *run);
    cm_status (*write)(const void *cfg, const char *run);
    int (*can_change)(const char *kv);
    cm_status (*restage)(const void *cfg, const char *run, int64_t step, const char *const *sets, int n);
    cm_status (*create)(const void *cfg, void **job);
    void (*free_job)(void *job);
    uint64_t (*seed)(const void *cfg);
} run_kind;

static void s_init(void *c, uint64_t seed) { cm_social_run_config_init(c, seed); }
static cm_status s_set(void *c, const char *kv) { return cm_social_run_config_set(c, kv); }
static cm_status s_check(void *c) { return cm_social_run_config_check(c); }
static cm_status s_read(void *c, const char *run) { return cm_social_run_config_read(c, run); }
static cm_status s_write(const void *c, const char *run) { return cm_social_run_config_write(c, run); }
static cm_status s_restage(const void *c, const char *run, int64_t step, const char *const *sets, int n)
{
    return cm_social_run_config_restage(c, run, step, sets, n);
}
static cm_status s_create(const void *c, void **job) { return cm_social_job_create(c, (cm_social_job **)job); }
static void s_free(void *job) { cm_social_job_free(job); }
static uint64_t s_seed(const void *c) { return ((const cm_social_run_config *)c)->seed; }

static void l_init(void *c, uint64_t seed) { cm_link_run_config_init(c, seed); }
static cm_status l_set(void *c, const char *kv) { return cm_link_run_config_set(c, kv); }
static cm_status l_check(void *c) { return cm_link_run_config_check(c); }
static cm_status l_read(void *c, const char *run) { return cm_link_run_config_read(c, run); }
static cm_status l_write(const void *c, const char *run) { return cm_link_run_config_write(c, run); }
static cm_status l_restage(const void *c, const char *run, int64_t step, const char *const *sets, int n)
{
    return cm_link_run_config_restage(c, run, step, sets, n);
}
static cm_status l_create(const void *c, void **job) { return cm_link_job_create(c, (cm_link_job **)job); }
static void l_free(void *job) { cm_link_job_free(job); }
static uint64_t l_seed(const void *c) { return ((const cm_link_run_config *)c)->seed; }

static const run_kind social_kind = {"train social",  CM_SOCIAL_RUN_MAX_SETS, &cm_social_job_ops, s_init, s_set,
                                     s_check,         s_read,                 s_write,            cm_social_run_key_can_change,
                                     s_restage,       s_create,               s_free,             s_seed};
static const run_kind link_kind = {"train link", CM_LINK_RUN_MAX_SETS, &cm_link_job_ops, l_init, l_set,
                                   l_check,      l_read,               l_write,          cm_link_run_key_can_change,
                                   l_restage,    l_create,             l_free,           l_seed};

static int train(const run_kind *k, int argc, char **argv)
{
    cli_train_options a;
    cli_train_options_defaults(&a, k->max_sets - 1); /* one left for --bits */
    const char *bits = NULL;
    char bits_kv[32];
    for (int i = 1; i < argc; i++) {
        int r = cli_train_option(k->command, &a, argc, argv, &i);
        if (r < 0)
            return CLI_EXIT_USAGE;
        if (r > 0)
            continue;
        if (k == &link_kind && cli_option_is(argv[i], "--bits")) {
            long long b;
            if (cli_option_value(argc, argv, &i, &bits) || cli_parse_int("--bits", bits, 1, CM_LINK_MAX_BITS, &b))
                return CLI_EXIT_USAGE;
            snprintf(bits_kv, sizeof bits_kv, "bits=%lld", b);
            a.sets[a.n_sets++] = bits_kv;
        } else {
            return cli_usage_error(k->command, "unknown option '%s'", argv[i]);
        }
    }
    for (int i = 0; a.resume && i < a.n_sets; i++)
        if (!k->can_change(a.sets[i]))
            return cli_usage_error(k->command, "%s: a resumed run keeps what it is; see --help for what can change",
                                   a.sets[i]);
    int rc = cli_train_options_check(k->command, &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (!a.resume && (rc = cli_refuse_existing_run(k->command, a.common.out)) != CLI_EXIT_OK)
        return rc;
    cm_set_threads(a.common.threads);

    /* the larger of the two configurations */
    union {
        cm_social_run_config s;
        cm_link_run_config l;
    } cfg;
    cm_status st;
    if (a.resume) {
        st = k->read(&cfg, a.resume); /* --set on a resumed run starts a new stage */
    } else {
        k->init(&cfg, a.common.seed);
        st = CM_OK;
    }
    for (int i = 0; st == CM_OK && i < a.n_sets; i++)
        st = k->set(&cfg, a.sets[i]);
    if (st == CM_OK)
        st = k->check(&cfg);
    void *job = NULL;
    if (st == CM_OK)
        st = k->create(&cfg, &job);
    if (st != CM_OK)
        return cli_fail(k->command, st);
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096] = "";
    if (a.resume) {
        st = cm_train_resume(a.resume, k->ops, job, k->seed(&cfg), &state, loaded);
        if (st == CM_OK && a.n_sets)
            st = k->restage(&cfg, a.resume, state.step, a.sets, a.n_sets);
    } else {
        st = cm_mkdir_p(a.common.out);
        if (st == CM_OK)
            st = k->write(&cfg, a.common.out);
    }
    cm_train_config tc = cli_train_config(&a, k->seed(&cfg));
    if (st == CM_OK)
        st = cli_train_loop(k->command, &a, &tc, k->ops, job, &state, loaded);
    k->free_job(job);
    return cli_train_finish(k->command, st, &a, &state);
}

int cli_train_social(int argc, char **argv) { return train(&social_kind, argc, argv); }
int cli_train_link(int argc, char **argv) { return train(&link_kind, argc, argv); }
