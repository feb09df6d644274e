/* Runs the run-layer tests build on. */
#ifndef COGMAP_TESTS_RUN_CHECK_H
#define COGMAP_TESTS_RUN_CHECK_H

#include "test_util.h"

/* A grid-cell run (ssmpc, batch 4, 1 evaluation batch, seed 3) trained for 2
 * steps into `run` through cm_train_model, plus one more setting when `set`
 * is not NULL: a real run folder whose numbers do not matter, its plumbing
 * does. Fails the test when anything is refused. */
void cmt_train_grid_run(const char *run, const char *set);

#endif
