/* tools/journal_fmt.h -- printing journal records (ringside journal cat). */
#ifndef RS_TOOLS_JOURNAL_FMT_H
#define RS_TOOLS_JOURNAL_FMT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ringside/event.h"

/* One line: header fields then every payload field of the record's type
 * (event.h). json: one JSON object per line; else "name=value" pairs. A
 * record shorter than its type's layout prints an "error" field instead of
 * being read past its end. */
void rs_jfmt_record(FILE *f, const rs_rec *r, uint64_t gseq, bool json);

#endif
