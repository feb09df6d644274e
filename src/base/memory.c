/* Aligned allocation, the memory limit and peak-memory reading (see base.h). */
#include "cogmap/base.h"

#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define CM_ALIGNMENT 64

/* 0 until first asked: then the default, computed once. */
static _Atomic uint64_t memory_limit;

/* cgroup v2's memory.max ("max" or a byte count); 0 when there is none. */
static uint64_t cgroup_limit(void)
{
    FILE *f = fopen("/sys/fs/cgroup/memory.max", "r");
    if (!f)
        return 0;
    char buf[64] = "";
    uint64_t v = 0;
    if (fgets(buf, sizeof buf, f) && buf[0] >= '0' && buf[0] <= '9')
        v = strtoull(buf, NULL, 10);
    fclose(f);
    return v;
}

static uint64_t default_limit(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : UINT64_MAX;
    uint64_t cg = cgroup_limit();
    return cg && cg < phys ? cg : phys;
}

void cm_set_memory_limit(uint64_t bytes) { atomic_store(&memory_limit, bytes ? bytes : default_limit()); }

uint64_t cm_memory_limit(void)
{
    uint64_t v = atomic_load(&memory_limit);
    if (v == 0) {
        v = default_limit();
        atomic_store(&memory_limit, v);
    }
    return v;
}

cm_status cm_memory_check(uint64_t bytes, const char *what)
{
    uint64_t limit = cm_memory_limit();
    if (bytes <= limit)
        return CM_OK;
    return cm_error(CM_ERR_NOMEM,
                    "%s: needs %" PRIu64 " bytes (%.3g GiB), more than the memory limit of %" PRIu64
                    " bytes (%.3g GiB)",
                    what ? what : "allocation", bytes, (double)bytes / (1u << 30), limit, (double)limit / (1u << 30));
}

void *cm_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = 1; /* a valid, freeable pointer for empty tensors */
    if ((uint64_t)bytes > cm_memory_limit()) {
        errno = ENOMEM;
        return NULL;
    }
    if (posix_memalign(&p, CM_ALIGNMENT, bytes) != 0)
        return NULL;
    return p;
}

void *cm_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    size_t n = count * size;
    void *p = cm_alloc(n);
    if (p)
        memset(p, 0, n ? n : 1);
    return p;
}

void cm_free(void *p) { free(p); }

float *cm_alloc_slots(float **const *slots, const size_t *sizes, size_t n, size_t *total)
{
    size_t floats = 0;
    for (size_t k = 0; k < n; k++) {
        const size_t rounded = (sizes[k] + 15) / 16 * 16;
        if (rounded < sizes[k] || floats > SIZE_MAX - rounded) { /* a size near SIZE_MAX */
            *total = 0;
            return NULL;
        }
        floats += rounded;
    }
    *total = floats;
    float *block = cm_calloc(floats, sizeof(float));
    if (!block)
        return NULL;
    size_t off = 0;
    for (size_t k = 0; k < n; k++) {
        *slots[k] = sizes[k] ? block + off : NULL;
        off += (sizes[k] + 15) / 16 * 16;
    }
    return block;
}

size_t cm_peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024u; /* Linux reports kilobytes */
}
