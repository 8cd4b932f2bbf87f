/* pc_diag.c — diagnostics in GCC form: "FILE:LINE:COL: error: message", the quoted source line
 * with a gutter and a ^~~~ underline of the whole span, notes, and warnings with their flag.
 * Columns count characters (as libyaml marks do), not bytes. Color only on a terminal. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pc_diag.h"

enum { PC_D_ERROR, PC_D_WARNING, PC_D_NOTE };

/* Where the previous error or warning pointed: a note at the same place does not quote the
 * source line again. */
static pc_loc pc_diag_last;

#define C_BOLD "\033[1m"
#define C_RED "\033[1;31m"
#define C_MAG "\033[1;35m"
#define C_CYAN "\033[1;36m"
#define C_GREEN "\033[1;32m"
#define C_OFF "\033[0m"

void pc_diag_init(pc_diags *d, const char *file, const char *text, size_t text_len, FILE *out)
{
    memset(d, 0, sizeof *d);
    d->file = file ? file : "<input>";
    d->text = text;
    d->text_len = text_len;
    d->out = out ? out : stderr;
    const char *nc = getenv("NO_COLOR");
    d->color = isatty(fileno(d->out)) && !(nc && nc[0]);
    memset(&pc_diag_last, 0, sizeof pc_diag_last);
}

/* The bytes of 1-based line `line` in the source: start and length without the newline. */
static int pc_diag_line(const pc_diags *d, int line, const char **start, size_t *len)
{
    if (!d->text || line < 1)
        return 0;
    const char *p = d->text, *end = d->text + d->text_len;
    for (int l = 1; l < line; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return 0;
        p = nl + 1;
    }
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    if (n && p[n - 1] == '\r')
        n--;
    *start = p;
    *len = n;
    return 1;
}

static void pc_diag_quote(pc_diags *d, FILE *f, pc_loc at)
{
    const char *s;
    size_t n;
    if (!pc_diag_line(d, at.line, &s, &n))
        return;
    fprintf(f, "%5d | ", at.line);
    for (size_t i = 0; i < n; i++)
        fputc(s[i] ? s[i] : ' ', f);
    fputc('\n', f);
    fprintf(f, "%5s | ", "");
    /* walk characters (not bytes) up to the start column, keeping tabs so the caret lines up */
    size_t i = 0;
    int col = 1;
    while (col < at.col && i < n) {
        fputc(s[i] == '\t' ? '\t' : ' ', f);
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        col++;
    }
    while (col < at.col) { /* past the end of the line (e.g. end of input) */
        fputc(' ', f);
        col++;
    }
    int width;
    if (at.end_line == at.line && at.end_col > at.col)
        width = at.end_col - at.col;
    else if (at.end_line > at.line) {
        /* to the end of this line */
        width = 0;
        for (size_t j = i; j < n; j++)
            if (((unsigned char)s[j] & 0xC0) != 0x80)
                width++;
        if (width < 1)
            width = 1;
    } else
        width = 1;
    if (d->color)
        fputs(C_GREEN, f);
    fputc('^', f);
    for (int k = 1; k < width; k++)
        fputc('~', f);
    if (d->color)
        fputs(C_OFF, f);
    fputc('\n', f);
}

typedef struct pc_dchunk {
    int line, col, seq;
    char *text;
    size_t len;
} pc_dchunk;

void pc_diag_sort_begin(pc_diags *d) { d->sorting = 1; }

static int pc_dchunk_cmp(const void *a_, const void *b_)
{
    const pc_dchunk *a = a_, *b = b_;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->col != b->col)
        return a->col < b->col ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void pc_diag_flush(pc_diags *d)
{
    if (d->nchunks > 1)
        qsort(d->chunks, (size_t)d->nchunks, sizeof *d->chunks, pc_dchunk_cmp);
    for (int i = 0; i < d->nchunks; i++) {
        fwrite(d->chunks[i].text, 1, d->chunks[i].len, d->out);
        free(d->chunks[i].text);
    }
    free(d->chunks);
    d->chunks = NULL;
    d->nchunks = d->capchunks = 0;
    d->sorting = 0;
}

static void pc_diag_render(pc_diags *d, FILE *f, int kind, pc_loc at, const char *flag, const char *fmt,
                           va_list ap);

static void pc_diag_emit(pc_diags *d, int kind, pc_loc at, const char *flag, const char *fmt, va_list ap)
{
    if (!d->sorting) {
        pc_diag_render(d, d->out, kind, at, flag, fmt, ap);
        return;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) { /* out of memory: print at once rather than lose it */
        pc_diag_render(d, d->out, kind, at, flag, fmt, ap);
        return;
    }
    pc_diag_render(d, mem, kind, at, flag, fmt, ap);
    fclose(mem);
    if (kind == PC_D_NOTE && d->nchunks > 0) { /* a note belongs to the diagnostic before it */
        pc_dchunk *c = &d->chunks[d->nchunks - 1];
        char *joined = realloc(c->text, c->len + len + 1);
        if (joined) {
            memcpy(joined + c->len, text, len + 1);
            c->text = joined;
            c->len += len;
        }
        free(text);
        return;
    }
    if (d->nchunks == d->capchunks) {
        int cap = d->capchunks ? 2 * d->capchunks : 16;
        pc_dchunk *nc = realloc(d->chunks, sizeof *nc * (size_t)cap);
        if (!nc) {
            fwrite(text, 1, len, d->out);
            free(text);
            return;
        }
        d->chunks = nc;
        d->capchunks = cap;
    }
    d->chunks[d->nchunks] = (pc_dchunk){ at.line, at.col, d->nchunks, text, len };
    d->nchunks++;
}

static void pc_diag_render(pc_diags *d, FILE *f, int kind, pc_loc at, const char *flag, const char *fmt,
                           va_list ap)
{
    static const char *const names[] = { "error", "warning", "note" };
    static const char *const colors[] = { C_RED, C_MAG, C_CYAN };
    if (d->color)
        fputs(C_BOLD, f);
    if (at.line > 0)
        fprintf(f, "%s:%d:%d: ", d->file, at.line, at.col > 0 ? at.col : 1);
    else
        fprintf(f, "%s: ", d->file);
    if (d->color)
        fprintf(f, "%s%s:%s ", colors[kind], names[kind], C_OFF);
    else
        fprintf(f, "%s: ", names[kind]);
    vfprintf(f, fmt, ap);
    if (flag)
        fprintf(f, " [%s]", flag);
    fputc('\n', f);
    if (at.line > 0) {
        int same = kind == PC_D_NOTE && pc_diag_last.line == at.line && pc_diag_last.col == at.col;
        if (!same)
            pc_diag_quote(d, f, at);
    }
    if (kind != PC_D_NOTE)
        pc_diag_last = at;
}

void pc_error(pc_diags *d, pc_loc at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_diag_emit(d, PC_D_ERROR, at, NULL, fmt, ap);
    va_end(ap);
    d->errors++;
}

void pc_warning(pc_diags *d, pc_loc at, const char *flag, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_diag_emit(d, PC_D_WARNING, at, flag, fmt, ap);
    va_end(ap);
    d->warnings++;
}

void pc_note(pc_diags *d, pc_loc at, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_diag_emit(d, PC_D_NOTE, at, NULL, fmt, ap);
    va_end(ap);
}

void pc_error_file(pc_diags *d, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    pc_loc none = { 0, 0, 0, 0 };
    pc_diag_emit(d, PC_D_ERROR, none, NULL, fmt, ap);
    va_end(ap);
    d->errors++;
}
