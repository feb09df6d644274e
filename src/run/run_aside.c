/* cm_run_set_aside (run.h): a new run where an old one stands keeps the old
 * one, renamed, never deleted (`cogmap demo`). */
#include "cogmap/dist.h"
#include "cogmap/io.h"
#include "cogmap/run.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

cm_status cm_run_set_aside(const char *run, char *moved, size_t size)
{
    if (!run || !run[0] || !moved || size < 2)
        return cm_error(CM_ERR_ARG, "run set aside: expected a run folder and room for the new name");
    moved[0] = 0;
    char parent[4096], probe[4200];
    if ((size_t)snprintf(parent, sizeof parent, "%s", run) >= sizeof parent)
        return cm_error(CM_ERR_ARG, "%s: path too long", run);
    char *slash = strrchr(parent, '/');
    cm_status st = CM_OK;
    /* Rank 0 alone touches the file system; every rank learns the outcome. */
    if (cm_dist_rank() == 0) {
        if (slash && slash != parent) {
            *slash = 0;
            st = cm_mkdir_p(parent);
        }
        snprintf(probe, sizeof probe, "%s/run.json", run);
        if (st == CM_OK && access(probe, F_OK) == 0) {
            if ((size_t)snprintf(moved, size, "%s-%lld", run, (long long)time(NULL)) >= size)
                st = cm_error(CM_ERR_ARG, "%s: no room for the new name (%zu bytes)", run, size);
            else if (rename(run, moved) != 0)
                st = cm_error(CM_ERR_IO, "%s: cannot move the previous run aside to %s: %s", run, moved,
                              strerror(errno));
            if (st != CM_OK)
                moved[0] = 0;
        }
    }
    st = cm_dist_agree(st);
    if (st == CM_OK)
        st = cm_dist_broadcast(moved, size, 0);
    return st;
}
