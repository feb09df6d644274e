/* `cogmap analyze` as one call (plot.h): an activity file classified,
 * report.json and maps.npz written by the run layer, the panels drawn here. */
#include "cogmap/io.h"
#include "cogmap/plot.h"

#include <string.h>

cm_status cm_analyze_file(const char *input, const char *out, const cm_classify_opts *opts, const char *format,
                          cm_progress *progress, cm_analyze_summary *s)
{
    memset(s, 0, sizeof *s);
    if (!input || !out)
        return cm_error(CM_ERR_ARG, "analyze: expected an activity file and an output folder");
    cm_classify_opts o = *opts;
    cm_activity a;
    cm_status st = cm_activity_read(input, &a);
    if (st == CM_OK && o.hd_timeshift && o.min_shift > 0 && 2 * o.min_shift > a.n)
        st = cm_error(CM_ERR_ARG, "min_shift: expected at most N/2 = %lld, got %lld", (long long)(a.n / 2),
                      (long long)o.min_shift);
    cm_classify_result r;
    memset(&r, 0, sizeof r);
    const double t0 = cm_now();
    if (st == CM_OK) {
        o.f32 = a.f32;
        st = cm_classify_units(a.pos, a.hd, a.dist, a.rays, a.act, a.n, a.units, &o, progress, &r);
        /* What the library refuses once the file has been read is the data
         * (a zero-extent arena, say): a file problem. */
        if (st == CM_ERR_ARG)
            st = CM_ERR_FORMAT;
    }
    s->seconds = cm_now() - t0;
    if (st == CM_OK)
        st = cm_mkdir_p(out);
    if (st == CM_OK)
        st = cm_classify_report_write(out, input, &a, &o, &r);
    if (st == CM_OK)
        st = cm_classify_maps_write(out, &r);
    if (st == CM_OK && format) {
        st = cm_classify_figures(out, format, a.hd, a.act, a.n, a.f32, &r, a.groups, a.n_groups);
        cm_plot_release_caches(); /* what a command draws once need not stay cached */
    }
    if (st == CM_OK) {
        s->samples = a.n, s->units = a.units, s->shuffles = o.n_shuffles;
        s->hd_threshold = r.hd_threshold, s->ego_threshold = r.ego_threshold, s->allo_threshold = r.allo_threshold;
        s->n_groups = a.n_groups;
        for (int g = 0; g < a.n_groups; g++) {
            s->groups[g] = a.groups[g];
            cm_class_counts_of(&r, a.groups[g].start, a.groups[g].end, &s->counts[g]);
        }
    }
    cm_classify_free(&r); /* safe after a failed classify too: it leaves NULLs */
    cm_activity_free(&a);
    return st;
}
