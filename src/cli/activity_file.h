/* Activity files (docs/formats.md, "Activity files"): positions [N, 2],
 * headings [N] or [N, 1], wall_distances [N, R], activations [N, U],
 * optional ray_angles [R] and group_<name> = [start, end) unit ranges. Read
 * by `cogmap analyze` and by `cogmap figure smp2` for a cogmap run. */
#ifndef COGMAP_CLI_ACTIVITY_FILE_H
#define COGMAP_CLI_ACTIVITY_FILE_H

#include "cli/analyze.h"
#include "cogmap/io.h"

#define ACTIVITY_MAX_GROUPS 64

typedef struct activity_file {
    cm_npz z;
    int64_t n;
    int units, rays;
    double *pos, *hd;   /* [n, 2], [n]: converted to double */
    float *dist, *act;  /* [n, rays], [n, units]: the file's float32 data or a converted copy */
    int own_dist, own_act;
    int f32; /* positions and headings were float32 */
    analyze_group groups[ACTIVITY_MAX_GROUPS]; /* one "all" group when the file names none */
    int n_groups;
} activity_file;

/* Reads and validates `file` (every shape, dtype, finiteness, group range);
 * on failure `a` holds what was read so far: free it either way. */
cm_status activity_file_read(const char *file, activity_file *a);
void activity_file_free(activity_file *a);

/* Fills a->pos and a->hd (a->n samples) from float arrays pos [n, 2] and
 * hd [n] of `file`, refusing non-finite values; sets a->f32. */
cm_status activity_file_positions(activity_file *a, const char *file, const cm_array *pos, const cm_array *hd);

#endif
