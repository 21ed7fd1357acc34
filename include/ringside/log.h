/* ringside/log.h -- control-path logging to stderr. Never on the hot path.
 * Lines: "2026-11-22T19:30:01.123Z ringside[pid] LEVEL component: message". */
#ifndef RINGSIDE_LOG_H
#define RINGSIDE_LOG_H

#include "ringside/common.h"

enum rs_log_level { RS_LOG_DEBUG = 0, RS_LOG_INFO, RS_LOG_WARN, RS_LOG_ERROR };

void rs_log(int level, const char *component, const char *fmt, ...) RS_PRINTF(3, 4);
/* Minimum level printed (default INFO; RS_LOG=debug|info|warn|error). */
void rs_log_set_level(int level);

#define rs_info(comp, ...) rs_log(RS_LOG_INFO, comp, __VA_ARGS__)
#define rs_warn(comp, ...) rs_log(RS_LOG_WARN, comp, __VA_ARGS__)
#define rs_error(comp, ...) rs_log(RS_LOG_ERROR, comp, __VA_ARGS__)
#define rs_debug(comp, ...) rs_log(RS_LOG_DEBUG, comp, __VA_ARGS__)

#endif
