/* Control-path logging. One fprintf per line so concurrent lines do not
 * interleave mid-line (stdio locks the stream per call). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "ringside/log.h"

static int rs_log_min = -1;

void rs_log_set_level(int level) { rs_log_min = level; }

static int rs_log_level_from_env(void)
{
    const char *e = getenv("RS_LOG");
    if (!e) return RS_LOG_INFO;
    if (!strcasecmp(e, "debug")) return RS_LOG_DEBUG;
    if (!strcasecmp(e, "warn")) return RS_LOG_WARN;
    if (!strcasecmp(e, "error")) return RS_LOG_ERROR;
    return RS_LOG_INFO;
}

void rs_log(int level, const char *component, const char *fmt, ...)
{
    if (rs_log_min < 0)
        rs_log_min = rs_log_level_from_env();
    if (level < rs_log_min)
        return;
    static const char *names[] = {"DEBUG", "INFO", "WARN", "ERROR"};
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    fprintf(stderr, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ ringside[%d] %s %s: %s\n", tm.tm_year + 1900,
            tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ts.tv_nsec / 1000000, (int)getpid(),
            names[level < 0 ? 0 : level > 3 ? 3 : level], component ? component : "-", msg);
}
