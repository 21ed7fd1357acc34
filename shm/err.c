/* Thread-local control-path error messages (see ringside/common.h). Lives in
 * shm/ because every layer uses it and shm depends on libc only. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ringside/common.h"

static _Thread_local char rs_err_buf[1024];

int rs_err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rs_err_buf, sizeof rs_err_buf, fmt, ap);
    va_end(ap);
    return code > 0 ? -code : code;
}

const char *rs_err_msg(void) { return rs_err_buf; }

void rs_err_clear(void) { rs_err_buf[0] = '\0'; }

const char *rs_err_name(int code)
{
    if (code < 0)
        code = -code;
    switch (code) {
    case 0: return "OK";
    case RS_EBADCFG: return "EBADCFG";
    case RS_EBADMODEL: return "EBADMODEL";
    case RS_EVERSION: return "EVERSION";
    case RS_ESTALE: return "ESTALE";
    case RS_ECORRUPT: return "ECORRUPT";
    case RS_EPROTO: return "EPROTO";
    case RS_ETLS: return "ETLS";
    case RS_EUSAGE: return "EUSAGE";
    case RS_ENOTBUILT: return "ENOTBUILT";
    default: return strerror(code);
    }
}
