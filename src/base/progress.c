/* Progress reporting: a redrawn bar on a terminal, plain periodic lines in logs. */
#include "cogmap/base.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void format_duration(char *buf, size_t n, double seconds)
{
    if (!(seconds >= 0) || seconds > 1e7) {
        snprintf(buf, n, "--:--");
        return;
    }
    long s = (long)(seconds + 0.5);
    if (s >= 3600)
        snprintf(buf, n, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        snprintf(buf, n, "%02ld:%02ld", s / 60, s % 60);
}

void cm_progress_start(cm_progress *p, FILE *out, const char *label, int64_t total)
{
    memset(p, 0, sizeof *p);
    p->out = out;
    p->is_tty = out && isatty(fileno(out));
    snprintf(p->label, sizeof p->label, "%s", label ? label : "");
    p->total = total > 0 ? total : 0;
    p->start_time = cm_now();
    p->last_print = p->start_time;
    p->interval = 5.0;
    const char *env = getenv("COGMAP_PROGRESS_INTERVAL");
    if (env && atof(env) > 0)
        p->interval = atof(env);
}

void cm_progress_time_limit(cm_progress *p, double seconds)
{
    p->time_limit = seconds > 0 ? seconds : 0;
}

static void print_line(cm_progress *p, const char *extra, int final)
{
    double now = cm_now();
    double elapsed = now - p->start_time;
    double rate = elapsed > 0 ? (double)p->done / elapsed : 0;
    char eta[32], spent[32];
    format_duration(spent, sizeof spent, elapsed);
    double left = NAN;
    if (p->total > 0 && rate > 0)
        left = (double)(p->total - p->done) / rate;
    if (p->time_limit > 0 && !(left <= p->time_limit - elapsed)) /* NaN left: the clock alone */
        left = p->time_limit > elapsed ? p->time_limit - elapsed : 0;
    if (left == left)
        format_duration(eta, sizeof eta, left);
    else
        snprintf(eta, sizeof eta, "--:--");

    if (p->is_tty) {
        char bar[26] = {0};
        int filled = p->total > 0 ? (int)(25.0 * (double)p->done / (double)p->total) : 0;
        if (filled > 25)
            filled = 25;
        for (int i = 0; i < 25; i++)
            bar[i] = i < filled ? '#' : '.';
        if (p->total > 0)
            fprintf(p->out, "\r\033[K%s [%s] %lld/%lld %.3g/s %s eta %s%s%s", p->label, bar,
                    (long long)p->done, (long long)p->total, rate, spent, eta, extra[0] ? "  " : "", extra);
        else
            fprintf(p->out, "\r\033[K%s %lld %.3g/s %s%s%s", p->label, (long long)p->done, rate, spent,
                    extra[0] ? "  " : "", extra);
        if (final)
            fputc('\n', p->out);
    } else {
        if (p->total > 0)
            fprintf(p->out, "%s: %lld/%lld (%.1f%%) %.3g/s elapsed %s eta %s%s%s\n", p->label,
                    (long long)p->done, (long long)p->total, 100.0 * (double)p->done / (double)p->total, rate,
                    spent, final ? "00:00" : eta, extra[0] ? " " : "", extra);
        else
            fprintf(p->out, "%s: %lld %.3g/s elapsed %s%s%s\n", p->label, (long long)p->done, rate, spent,
                    extra[0] ? " " : "", extra);
    }
    fflush(p->out);
    p->last_print = now;
}

/* print_line with the caller's "extra" text formatted (none when extra_fmt is NULL). */
static void print_formatted(cm_progress *p, int final, const char *extra_fmt, va_list ap)
{
    char extra[256] = "";
    if (extra_fmt)
        vsnprintf(extra, sizeof extra, extra_fmt, ap);
    print_line(p, extra, final);
}

void cm_progress_update(cm_progress *p, int64_t done, const char *extra_fmt, ...)
{
    p->done = done;
    if (!p->out)
        return;
    double now = cm_now();
    double wait = p->is_tty ? 0.1 : p->interval;
    if (now - p->last_print < wait)
        return;
    va_list ap;
    va_start(ap, extra_fmt);
    print_formatted(p, 0, extra_fmt, ap);
    va_end(ap);
}

void cm_progress_finish(cm_progress *p, const char *extra_fmt, ...)
{
    if (!p->out)
        return;
    va_list ap;
    va_start(ap, extra_fmt);
    print_formatted(p, 1, extra_fmt, ap);
    va_end(ap);
}
