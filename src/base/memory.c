/* Aligned allocation and peak-memory reading (see base.h). */
#include "cogmap/base.h"

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#define CM_ALIGNMENT 64

void *cm_alloc(size_t bytes)
{
    void *p = NULL;
    if (bytes == 0)
        bytes = 1; /* a valid, freeable pointer for empty tensors */
    if (posix_memalign(&p, CM_ALIGNMENT, bytes) != 0)
        return NULL;
    return p;
}

void *cm_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = cm_alloc(count * size);
    if (p)
        memset(p, 0, count * size ? count * size : 1);
    return p;
}

void cm_free(void *p) { free(p); }

size_t cm_peak_rss_bytes(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (size_t)ru.ru_maxrss * 1024u; /* Linux reports kilobytes */
}
