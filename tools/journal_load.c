#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "journal_load.h"

#include "ringside/file.h"
#include "ringside/mem.h"

static int extract(const char *dir, const rs_journal_blob *b)
{
    if (!b->name || !*b->name || strstr(b->name, ".."))
        return rs_err_set(RS_ECORRUPT, "journal: embedded file with a bad name");
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, b->name[0] == '/' ? b->name + 1 : b->name);
    return rs_file_write_all(path, b->data, b->size, RS_FILE_MKDIRS);
}

int rs_jload_open(rs_jload *j, const char *path)
{
    memset(j, 0, sizeof *j);
    int rc = rs_journal_open(&j->r, path);
    if (rc)
        return rc;
    const rs_journal_blob *cb = rs_journal_blob_find(j->r, RS_JBLOB_CONFIG);
    if (!cb)
        return rs_err_set(RS_ECORRUPT, "%s: the journal has no embedded config (recorded with `record` without --config?)",
                          path);
    rc = rs_config_parse(&j->cfg, cb->name && *cb->name ? cb->name : "(embedded config)", cb->data, cb->size);
    if (rc)
        return rc;
    snprintf(j->model_dir, sizeof j->model_dir, "%s/ringside-replay-%d", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp",
             (int)getpid());
    if (mkdir(j->model_dir, 0700) && errno != EEXIST)
        return rs_err_set(errno, "cannot create %s: %s", j->model_dir, strerror(errno));
    unsigned nb = 0;
    const rs_journal_blob *bl = rs_journal_blobs(j->r, &nb);
    for (unsigned i = 0; i < nb; i++)
        if (bl[i].kind != RS_JBLOB_CONFIG && (rc = extract(j->model_dir, &bl[i])))
            return rc;
    size_t cap = 1 << 16;
    j->recs = malloc(cap * sizeof *j->recs);
    if (!j->recs)
        return -ENOMEM;
    const rs_rec *r;
    while (rs_journal_next(j->r, &r, NULL) == 1) {
        if (j->n == cap) {
            cap *= 2;
            const rs_rec **nr = realloc(j->recs, cap * sizeof *nr);
            if (!nr)
                return -ENOMEM;
            j->recs = nr;
        }
        j->recs[j->n++] = r;
    }
    j->set.recs = j->recs;
    j->set.n = j->n;
    return 0;
}

static void rm_tree(const char *dir)
{
    char cmd[600];
    if (!*dir || strncmp(dir, "/", 1))
        return;
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "ringside: could not remove %s\n", dir);
}

void rs_jload_close(rs_jload *j)
{
    free(j->recs);
    if (j->cfg)
        rs_config_destroy(j->cfg);
    if (j->r)
        rs_journal_close(j->r);
    if (j->model_dir[0])
        rm_tree(j->model_dir);
    memset(j, 0, sizeof *j);
}
