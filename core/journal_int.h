/* core/journal_int.h -- internals shared by the journal writer and reader. */
#ifndef RS_CORE_JOURNAL_INT_H
#define RS_CORE_JOURNAL_INT_H

#include "ringside/journal.h"

#define RS_JSEG_FMT "seg-%06u.rsj"

/* Where reading stopped in the last segment it reached; used by the writer
 * to resume (truncate the torn tail, seal, continue). */
typedef struct rs_journal_endstate {
    uint32_t seg_index;       /* index into the segment list (0-based) */
    uint32_t segment_no;
    char path[256];
    uint64_t good_end;        /* offset just after the last good frame */
    uint32_t chain_crc;       /* CRC chain value there */
    uint64_t seg_records;     /* good records in that segment */
    bool sealed;
    bool damaged_before_last; /* damage not in the last segment file */
    uint32_t n_segments;
} rs_journal_endstate;

void rs_journal_endstate_get(const rs_journal_reader *r, rs_journal_endstate *e);

/* Header CRC: CRC32C over hdr_len bytes with the hdr_crc field as zero. */
uint32_t rs_jseg_hdr_crc(const void *hdr, uint32_t hdr_len);

/* Frame CRC chained from `seed`: covers the u32 len field and the padded
 * record bytes (padding zero). */
uint32_t rs_jframe_crc(uint32_t seed, uint32_t len, const void *rec, uint32_t padded);

#endif
