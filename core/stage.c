/* rs_emit_buf: an emitter into caller memory (tests, replay, CLI tools). */
#include <string.h>

#include "ringside/stage.h"

static rs_rec *emit_buf_claim(rs_emit *e, uint16_t type, uint32_t len)
{
    rs_emit_buf *eb = (rs_emit_buf *)e;
    uint32_t padded = rs_rec_padded(len);
    if (len < sizeof(rs_rec) || eb->used + padded > eb->cap)
        return NULL;
    rs_rec *r = (rs_rec *)(eb->buf + eb->used);
    memset(r, 0, padded);
    r->len = len;
    r->type = type;
    r->stream = eb->stream;
    return r;
}

static void emit_buf_commit(rs_emit *e, rs_rec *r)
{
    rs_emit_buf *eb = (rs_emit_buf *)e;
    uint16_t s = r->stream < RS_STREAM_MAX ? r->stream : 0;
    r->seq = ++eb->next_seq[s];
    eb->used += rs_rec_padded(r->len);
    eb->count++;
}

void rs_emit_buf_init(rs_emit_buf *eb, void *buf, size_t cap, uint16_t stream)
{
    memset(eb, 0, sizeof *eb);
    eb->e.claim = emit_buf_claim;
    eb->e.commit = emit_buf_commit;
    eb->e.ctx = eb;
    eb->buf = buf;
    eb->cap = cap;
    eb->stream = stream;
}

void rs_emit_buf_reset(rs_emit_buf *eb)
{
    eb->used = 0;
    eb->count = 0;
}

const rs_rec *rs_emit_buf_next(const rs_emit_buf *eb, size_t *off)
{
    if (*off + sizeof(rs_rec) > eb->used)
        return NULL;
    const rs_rec *r = (const rs_rec *)(eb->buf + *off);
    *off += rs_rec_padded(r->len);
    return r;
}
