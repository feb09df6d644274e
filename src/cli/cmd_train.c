/* `cogmap train <model>`: parses the trainer's options into a request and
 * calls cm_train_model (trainmodel.h), which does the rest for every model;
 * prints where a resumed run starts and where the run ended (docs/cli.md). */
#include "cli/cli.h"
#include "cogmap/link.h"

#include <stdio.h>
#include <string.h>

/* The options every trainer shares, in every usage text. */
#define RUN_OPTIONS                                                                                                   \
    "  --out DIR             run folder (new runs; must not hold a run yet)\n"                                        \
    "  --resume DIR          continue the run in DIR from its newest checkpoint\n"                                    \
    "  --steps N             stop at N optimiser steps in total\n"                                                    \
    "  --minutes M           stop after M minutes of training in total (with --steps: first reached)\n"               \
    "  --eval-every N        evaluate (and checkpoint) every N steps (default 100)\n"                                 \
    "  --checkpoint-every N  checkpoint every N steps (default: at each evaluation)\n"                                \
    "  --keep K              recent checkpoints kept besides best (default 3)\n"
#define SET_OPTION "  --set key=value       override a setting (repeatable; see docs/cli.md)\n"
#define COMMON_OPTIONS "  --seed N --threads N --quiet\n"

static const char grid_usage[] =
    "usage: cogmap train grid --preset P --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train grid --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains a path-integration network (preset ssmpc, banino, sorscher or sorscher-512)\n"
    "on rat trajectories generated on the fly, or on an SSM-PC dataset (--data), with\n"
    "periodic evaluation and checkpoints in DIR.\n"
    "  --preset P            network, targets and data defaults (required for a new run)\n"
    "  --data DIR            SSM-PC grid-cell dataset root (folders D*_P*)\n"
    "  --best grid|loss|goal best checkpoint: highest grid fraction, lowest loss (default), or\n"
    "                        nearest to both demo goals (20% grid units, decoding < 0.5 units / 10 cm)\n" RUN_OPTIONS
        SET_OPTION COMMON_OPTIONS;

static const char smp_usage[] =
    "usage: cogmap train smp --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train smp --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains the Spatial Memory Pipeline (visual autoencoder, then three RNNs of\n"
    "32/128/128 units with a 512-slot memory) on egocentric 64x64 frames of the\n"
    "2.2 m box, with periodic evaluation and checkpoints in DIR (--steps counts the\n"
    "autoencoder's steps too).\n" RUN_OPTIONS SET_OPTION
    "                        with --resume: a new stage (batch, seq_len, lr, clip, p_correct, p_write,\n"
    "                        dropout, entropy_target, beta_rate, motion, eval_batches), kept in run.json\n" COMMON_OPTIONS;

static const char bev_usage[] =
    "usage: cogmap train bev --preset bev|bev-small --out DIR [--data DIR...] [--steps N] [--minutes M] [options]\n"
    "       cogmap train bev --resume DIR [--steps N] [--minutes M] [--set key=value...]\n"
    "Trains SSM-PC's BEV predictor (64x64 egocentric frame -> bird's-eye view) on SSM-PC\n"
    "dataset folders (split 70/15/15 by maze) or, without --data, on frames of mazes\n"
    "generated from the seed, with periodic evaluation and checkpoints in DIR.\n"
    "  --preset P            bev (SSM-PC's model) or bev-small (required for a new run)\n"
    "  --data DIR            an SSM-PC dataset folder (repeatable, at most 16)\n" RUN_OPTIONS SET_OPTION
    "                        with --resume: a new stage (lr, plateau_factor, plateau_patience, clip,\n"
    "                        rgb_w, alpha_w, smooth_w, dropout, eval_frames), kept in run.json\n" COMMON_OPTIONS;

static const char detector_usage[] =
    "usage: cogmap train detector --preset detector|detector-small --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train detector --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains SSM-PC's target detector (ResNet18-shaped backbone from scratch, visibility and\n"
    "attention position heads) on 64x64 maze frames generated on the fly from maze seeds, or on\n"
    "SSM-PC dataset folders (--data), with periodic evaluation on held-out mazes and\n"
    "checkpoints in DIR.\n"
    "  --preset P            detector (SSM-PC's sizes) or detector-small (required for a new run)\n"
    "  --data DIR            SSM-PC dataset folder or root (repeatable); split 70/15/15 by maze\n" RUN_OPTIONS
        SET_OPTION "                        with --resume: a new stage (lr, dropout, plateau_factor, plateau_patience,\n"
    "                        eval_frames, loss weights), kept in run.json\n" COMMON_OPTIONS;

static const char coop_usage[] =
    "usage: cogmap train coop --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train coop --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains cooperative search's learned link for one budget (--set bits=B, default 4; steps\n"
    "0..link_steps on episodes a team with a shared map plays), then the HRL-ICM meta-controller\n"
    "over it (PPO on the success reward plus ICM curiosity), with ground-truth perception; periodic\n"
    "evaluation (success on evaluation mazes with the learned link) and checkpoints in DIR.\n" RUN_OPTIONS
    "  --set key=value       bits, link_steps, episodes, rollouts, link_beta, link_lambda, link_lr,\n"
    "                        interval, ppo_epochs, gamma, gae_lambda, entropy, icm_eta, policy_lr,\n"
    "                        hidden, eval_episodes, and the task's keys (max_steps, n_agents, ...);\n"
    "                        new runs only\n" COMMON_OPTIONS;

static const char social_usage[] =
    "usage: cogmap train social --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train social --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains SSM-PC's social place-cell network (two agents in the 15 x 15 arena, each\n"
    "integrating its own and its partner's velocities), evaluating the decoding errors and\n"
    "SSM-PC's probe (unit classes) periodically; checkpoints in DIR.\n" RUN_OPTIONS
    "  --set key=value       a network, world or run key (docs/cli.md); with --resume a new stage\n"
    "                        (batch, seq_len, lr, momentum, weight_decay, clip, dropout, loss weights,\n"
    "                        world keys, eval_batches, probe_reps), kept in run.json\n" COMMON_OPTIONS;

static const char link_usage[] =
    "usage: cogmap train link --bits B --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train link --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains the learned low-bandwidth link: K agents (default 2), each its own path\n"
    "integrator, agent 0 predicting its partners' positions from B-bit messages sent\n"
    "behind a learned gate (docs/social.md); checkpoints in DIR.\n"
    "  --bits B              bits per message (1..128; same as --set bits=B)\n" RUN_OPTIONS
    "  --set key=value       scheme=learned|broadcast|none|broadcast_estimate, init_from=CHECKPOINT_DIR,\n"
    "                        the link's keys (beta, lambda, code, ...), the network's and the\n"
    "                        world's (docs/cli.md)\n" COMMON_OPTIONS;

/* The usage text of each model the library trains (cm_train_model_at). */
static const struct {
    const char *name, *usage;
} usages[] = {{"grid", grid_usage},     {"smp", smp_usage},       {"bev", bev_usage},   {"detector", detector_usage},
              {"coop", coop_usage},     {"social", social_usage}, {"link", link_usage}};

static const char *usage_of(const char *model)
{
    for (size_t k = 0; k < sizeof usages / sizeof usages[0]; k++)
        if (strcmp(usages[k].name, model) == 0)
            return usages[k].usage;
    return "";
}

typedef struct started_ctx {
    const char *command;
    const cm_train_request *r;
    FILE *out;
} started_ctx;

/* Says where a resumed run starts; from here Ctrl-C saves and stops. */
static void started(void *ctx, const cm_train_state *state, const char *loaded)
{
    const started_ctx *c = ctx;
    if (c->r->resume && c->out && loaded[0])
        fprintf(c->out, "%s: resuming %s at step %lld\n", c->command, loaded, (long long)state->step);
    else if (c->r->resume && c->out)
        fprintf(c->out, "%s: %s has no checkpoint yet: training it from step 0\n", c->command, c->r->resume);
    cm_interrupt_install();
}

int cli_train(const char *command, cm_train_request *r, const cli_common *common)
{
    cm_set_threads(common->threads);
    FILE *out = cli_progress_stream(common);
    started_ctx sc = {command, r, out};
    r->started = started;
    r->started_ctx = &sc;
    cm_progress progress = {0};
    progress.out = out;
    cm_train_state state;
    cm_status st = cm_train_model(r, out ? &progress : NULL, &state, NULL);
    if (st != CM_OK)
        return cli_fail(command, st);
    const char *dir = r->resume ? r->resume : r->out;
    if (out)
        fprintf(out, "%s: %lld steps in %.1f s; checkpoints in %s/checkpoints, evaluations in %s/evals.csv\n", command,
                (long long)state.step, state.wall_seconds, dir, dir);
    return CLI_EXIT_OK;
}

int cli_train_parse(const cm_train_model_info *m, cli_train_args *a, int argc, char **argv)
{
    snprintf(a->command, sizeof a->command, "train %s", m->name);
    cli_common_defaults(&a->common);
    cm_train_request *r = &a->r;
    cm_train_request_init(r);
    r->model = m->name;
    const char *best = NULL;
    long long steps = 0, eval_every = r->eval_every, checkpoint_every = 0, keep = r->keep, bits = 0;
    cli_list sl = {a->sets, 0, m->max_sets < 64 ? m->max_sets : 64};
    cli_list dl = {a->data, 0, m->max_data < 64 ? m->max_data : 64};
    cli_opt opts[16] = {{"--resume", CLI_STRING, &r->resume},
                        {"--steps", CLI_INT, &steps, 1, INT64_MAX / 2},
                        {"--minutes", CLI_POSITIVE, &r->minutes, 0, 0, "--minutes: expected a positive number, got '%s'"},
                        {"--eval-every", CLI_INT, &eval_every, 0, INT64_MAX / 2},
                        {"--checkpoint-every", CLI_INT, &checkpoint_every, 0, INT64_MAX / 2},
                        {"--keep", CLI_INT, &keep, 1, 1000000},
                        {"--set", CLI_LIST, &sl, 0, 0, "--set: at most %d overrides"}};
    int n = 7;
    if (m->presets)
        opts[n++] = (cli_opt){"--preset", CLI_STRING, &r->preset};
    if (m->max_data)
        opts[n++] = (cli_opt){"--data", CLI_LIST, &dl, 0, 0, "--data: at most %d dataset folders"};
    if (m->bests)
        opts[n++] = (cli_opt){"--best", CLI_CHOICE, &best, 0, 0, "--best: expected grid, loss or goal, got '%s'",
                              m->bests};
    if (strcmp(m->name, "link") == 0)
        opts[n++] = (cli_opt){"--bits", CLI_INT, &bits, 1, CM_LINK_MAX_BITS};
    int rc = cli_parse(a->command, usage_of(m->name), &a->common, opts, argc, argv);
    if (bits) { /* --bits B is --set bits=B */
        snprintf(a->bits_kv, sizeof a->bits_kv, "bits=%lld", bits);
        a->sets[sl.n++] = a->bits_kv;
    }
    r->out = a->common.out;
    r->seed = a->common.seed;
    r->sets = a->sets;
    r->n_sets = sl.n;
    r->data = a->data;
    r->n_data = dl.n;
    r->steps = steps;
    r->eval_every = eval_every;
    r->checkpoint_every = checkpoint_every;
    r->keep = (int)keep;
    r->best = best;
    return rc;
}

int cmd_train(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        FILE *out = argc < 2 ? stderr : stdout;
        for (int k = 0; cm_train_model_at(k); k++)
            fprintf(out, "%s%s", k ? "\n" : "", usage_of(cm_train_model_at(k)->name));
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    const cm_train_model_info *m = cm_train_model_find(argv[1]);
    if (!m) { /* the library's message names the known models */
        cm_train_request q = {.model = argv[1]};
        cm_train_request_check(&q);
        return cli_usage_error("train", "%s", cm_errmsg());
    }
    for (int i = 2; i < argc; i++) /* --help anywhere: the usage, nothing else */
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            fputs(usage_of(m->name), stdout);
            return CLI_EXIT_OK;
        }
    cli_train_args a;
    int rc = cli_train_parse(m, &a, argc - 1, argv + 1);
    return rc != CLI_PARSED ? rc : cli_train(a.command, &a.r, &a.common);
}
