/* `cogmap train coop`: the learned link of one budget and the HRL-ICM
 * meta-controller over it (docs/coop.md), through the generic trainer. */
#include "cli/cli.h"
#include "cli/train.h"
#include "cogmap/coop.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <string.h>

const char coop_train_usage[] =
    "usage: cogmap train coop --out DIR [--steps N] [--minutes M] [options]\n"
    "       cogmap train coop --resume DIR [--steps N] [--minutes M] [options]\n"
    "Trains cooperative search's learned link for one budget (--set bits=B, default 4; steps\n"
    "0..link_steps on episodes a team with a shared map plays), then the HRL-ICM meta-controller\n"
    "over it (PPO on the success reward plus ICM curiosity), with ground-truth perception; periodic\n"
    "evaluation (success on evaluation mazes with the learned link) and checkpoints in DIR.\n"
    "  --out DIR / --resume DIR, --steps N, --minutes M, --eval-every N, --checkpoint-every N,\n"
    "  --keep K, --seed N --threads N --quiet: as for the other trainers\n"
    "  --set key=value       bits, link_steps, episodes, rollouts, link_beta, link_lambda, link_lr,\n"
    "                        interval, ppo_epochs, gamma, gae_lambda, entropy, icm_eta, policy_lr,\n"
    "                        hidden, eval_episodes, and the task's keys (max_steps, n_agents, ...);\n"
    "                        new runs only\n";

int cli_train_coop(int argc, char **argv)
{
    cli_train_options a;
    cli_train_options_defaults(&a, CLI_TRAIN_MAX_SETS);
    int rc = cli_train_parse("train coop", &a, NULL, argc, argv);
    if (rc == CLI_EXIT_OK)
        rc = cli_train_options_check("train coop", &a);
    if (rc != CLI_EXIT_OK)
        return rc;
    if (a.resume && a.n_sets)
        return cli_usage_error("train coop", "--set: a resumed run keeps its settings");
    cm_set_threads(a.common.threads);
    cm_coop_train_config cfg;
    cm_status st = CM_OK;
    if (a.resume) {
        st = cm_coop_train_config_read(&cfg, a.resume);
    } else {
        rc = cli_refuse_existing_run("train coop", a.common.out);
        if (rc != CLI_EXIT_OK)
            return rc;
        cm_coop_train_config_default(&cfg, a.common.seed);
        for (int i = 0; i < a.n_sets; i++)
            if (cm_coop_train_config_set(&cfg, a.sets[i]) != CM_OK)
                return cli_usage_error("train coop", "%s", cm_errmsg());
    }
    if (st != CM_OK)
        return cli_fail("train coop", st);
    cm_coop_job *job;
    if ((st = cm_coop_job_create(&cfg, &job)) != CM_OK)
        return st == CM_ERR_ARG ? cli_usage_error("train coop", "%s", cm_errmsg()) : cli_fail("train coop", st);
    cm_train_state state;
    cm_train_state_init(&state);
    char loaded[4096] = "";
    if (a.resume) {
        st = cm_train_resume(a.resume, &cm_coop_job_ops, job, cfg.seed, &state, loaded);
    } else {
        st = cm_mkdir_p(a.common.out);
        if (st == CM_OK)
            st = cm_coop_train_config_write(&cfg, a.common.out);
    }
    cm_train_config tc = cli_train_config(&a, cfg.seed);
    tc.best = "success";
    if (st == CM_OK)
        st = cli_train_loop("train coop", &a, &tc, &cm_coop_job_ops, job, &state, loaded);
    cm_coop_job_free(job);
    return cli_train_finish("train coop", st, &a, &state);
}
