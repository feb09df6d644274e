/* Levelled logging through an application-installed sink (see base.h). */
#include "cogmap/base.h"

#include <stdarg.h>

static cm_log_sink log_sink;
static void *log_user;
static cm_log_level log_min = CM_LOG_INFO;

void cm_log_set_sink(cm_log_sink sink, void *user)
{
    log_sink = sink;
    log_user = user;
}

void cm_log_set_level(cm_log_level min_level) { log_min = min_level; }

void cm_log(cm_log_level level, const char *fmt, ...)
{
    if (!log_sink || level < log_min)
        return;
    char message[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    log_sink(level, message, log_user);
}

void cm_log_stderr(cm_log_level level, const char *message, void *user)
{
    (void)user;
    static const char *names[] = {"debug: ", "", "warning: ", "error: "};
    fprintf(stderr, "cogmap: %s%s\n", names[level], message);
}
