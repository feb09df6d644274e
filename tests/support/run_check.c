/* Helpers for the run-layer tests (run_check.h). */
#include "run_check.h"

#include "cogmap/trainmodel.h"

void cmt_train_grid_run(const char *run, const char *set)
{
    const char *sets[] = {"batch=4", "eval_batches=1", set};
    cm_train_request r;
    cm_train_request_init(&r);
    r.model = "grid";
    r.preset = "ssmpc";
    r.out = run;
    r.sets = sets;
    r.n_sets = set ? 3 : 2;
    r.seed = 3;
    r.steps = 2;
    r.eval_every = 0;
    r.keep = 1;
    assert_int_equal(cm_train_model(&r, NULL, NULL, NULL), CM_OK);
}
