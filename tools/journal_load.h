/* tools/journal_load.h -- open a journal for replay: its records in global
 * order, its embedded config parsed, its embedded model files extracted to a
 * private directory so the pipeline loads exactly the bytes the run used. */
#ifndef RS_TOOLS_JOURNAL_LOAD_H
#define RS_TOOLS_JOURNAL_LOAD_H

#include <stddef.h>

#include "ringside/config.h"
#include "ringside/journal.h"
#include "ringside/replay.h"

typedef struct rs_jload {
    rs_journal_reader *r;
    rs_config *cfg;              /* parsed from the embedded config bytes */
    char model_dir[256];         /* extracted model/calibration files */
    const rs_rec **recs;
    size_t n;
    rs_replay_set set;
} rs_jload;

/* Returns 0 or a negative code with a message (unreadable, other schema,
 * no embedded config, config invalid). */
int rs_jload_open(rs_jload *j, const char *path);
void rs_jload_close(rs_jload *j);

#endif
