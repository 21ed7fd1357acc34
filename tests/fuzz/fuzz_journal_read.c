/* libFuzzer target: the journal reader on arbitrary segment bytes (a
 * journal comes from disk after crashes and power cuts, and from other
 * machines). Properties besides "no crash, no out-of-bounds read": every
 * record returned lies inside the file with a sane length, the good records
 * plus the reported bad tail account for the file exactly, and a second
 * pass (rewind) returns the same records. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ringside/journal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz-seg", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    rs_journal_reader *r = NULL;
    if (rs_journal_open(&r, path) == 0) {
        const rs_rec *x;
        rs_journal_pos pos;
        uint64_t n = 0, last_end = 0;
        while (rs_journal_next(r, &x, &pos) > 0) {
            if (x->len < sizeof(rs_rec) || x->len > RS_REC_MAX)
                abort();
            uint64_t end = pos.offset + RS_JFRAME_HDR + rs_rec_padded(x->len);
            if (end > size || pos.offset < last_end || pos.gseq != ++n)
                abort();
            last_end = end;
        }
        const rs_journal_status *st = rs_journal_get_status(r);
        if (st->records != n)
            abort();
        if ((st->tail == RS_JTAIL_TORN || st->tail == RS_JTAIL_CORRUPT) && st->bad_offset + st->bad_bytes != size)
            abort();
        rs_journal_rewind(r);
        uint64_t m = 0;
        while (rs_journal_next(r, &x, NULL) > 0)
            m++;
        if (m != n)
            abort();
        (void)rs_journal_verify(r);
        unsigned nb;
        const rs_journal_blob *b = rs_journal_blobs(r, &nb);
        for (unsigned i = 0; i < nb; i++)
            if ((const uint8_t *)b[i].data < (const uint8_t *)rs_journal_header(r) ||
                b[i].size > size)
                abort();
        rs_journal_close(r);
    }
    close(fd);
    return 0;
}
