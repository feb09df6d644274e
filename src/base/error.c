/* Status codes and the per-thread error message (see base.h). */
#include "cogmap/base.h"

#include <stdarg.h>
#include <string.h>

#ifndef COGMAP_VERSION
#define COGMAP_VERSION "0.0.0"
#endif

/* Long enough for a path, a field name and what was expected. */
#define CM_ERRMSG_SIZE 1024
static _Thread_local char errmsg[CM_ERRMSG_SIZE];

const char *cm_version(void) { return COGMAP_VERSION; }

const char *cm_status_name(cm_status status)
{
    switch (status) {
    case CM_OK: return "ok";
    case CM_ERR_ARG: return "bad argument";
    case CM_ERR_IO: return "i/o error";
    case CM_ERR_FORMAT: return "bad format";
    case CM_ERR_NOMEM: return "out of memory";
    case CM_ERR_NUMERIC: return "numerical error";
    case CM_ERR_INTERRUPTED: return "interrupted";
    case CM_ERR_UNSUPPORTED: return "unsupported";
    case CM_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}

cm_status cm_error(cm_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return status;
}

cm_status cm_error_context(cm_status status, const char *fmt, ...)
{
    char prefix[CM_ERRMSG_SIZE];
    char old[CM_ERRMSG_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, errmsg, sizeof old);
    /* prefix + old, cut to the buffer: a long context may cost the message's tail
     * (joined by hand: snprintf("%s%s") warns of the truncation that is meant). */
    size_t room = sizeof errmsg - 1, np = strlen(prefix), no = strlen(old);
    if (np > room)
        np = room;
    if (no > room - np)
        no = room - np;
    memcpy(errmsg, prefix, np);
    memcpy(errmsg + np, old, no);
    errmsg[np + no] = '\0';
    return status;
}

const char *cm_errmsg(void) { return errmsg; }

void cm_error_clear(void) { errmsg[0] = '\0'; }
