/* pc_load.c — the front end's entry points: read the file, parse the YAML, build the pipeline
 * (pc_parse) and check it (pc_check). Reports everything through the caller's pc_diags. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_front.h"
#include "pc_load.h"

static pc_pipeline *load_text(pc_arena *a, pc_diags *d, const char *file, const char *text, size_t len)
{
    char *copy = pc_strndup(a, text, len);
    d->text = copy;
    d->text_len = len;
    if (file)
        d->file = file;
    pc_front f = { .a = a, .d = d };
    f.p = pc_alloc(a, sizeof *f.p);
    f.p->file = d->file;
    f.p->text = copy;
    f.p->text_len = len;
    f.ec.a = a;
    f.ec.d = d;
    f.ec.doc = &f.doc;
    int errors0 = d->errors;
    if (pc_yaml_parse(a, d, copy, len, &f.doc) != 0)
        return NULL;
    if (!f.doc.root || (f.doc.root->kind == PC_Y_SCALAR && f.doc.root->len == 0)) {
        pc_error_file(d, "the pipeline is empty: expected a mapping with pipeline, sources and sinks");
        return NULL;
    }
    if (pc_parse(&f) != 0 && f.doc.root->kind != PC_Y_MAP)
        return NULL;
    pc_check(&f);
    return d->errors > errors0 ? NULL : f.p;
}

pc_pipeline *pc_load_text(pc_arena *a, pc_diags *d, const char *file, const char *text, size_t len)
{
    pc_diag_sort_begin(d);
    pc_pipeline *p = load_text(a, d, file, text, len);
    pc_diag_flush(d);
    return p;
}

pc_pipeline *pc_load(pc_arena *a, pc_diags *d, const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        pc_error_file(d, "cannot open: %s", strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            fclose(fp);
            pc_error_file(d, "out of memory");
            return NULL;
        }
        size_t n = fread(buf + len, 1, cap - len, fp);
        len += n;
        if (n == 0)
            break;
        if (len == cap) {
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    int err = ferror(fp);
    fclose(fp);
    if (err) {
        free(buf);
        pc_error_file(d, "cannot read: %s", strerror(errno));
        return NULL;
    }
    pc_pipeline *p = pc_load_text(a, d, path, buf, len);
    free(buf);
    return p;
}
