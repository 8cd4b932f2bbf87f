/* pc_sb.c — growable strings (see pc_sb.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_sb.h"

static void grow(pc_sb *b, size_t extra)
{
    if (b->n + extra + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->n + extra + 1)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        fprintf(stderr, "pipec: out of memory\n");
        abort();
    }
    b->p = p;
    b->cap = cap;
}

void pc_sb_putn(pc_sb *b, const char *s, size_t n)
{
    grow(b, n);
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = 0;
}

void pc_sb_puts(pc_sb *b, const char *s) { pc_sb_putn(b, s, strlen(s)); }

void pc_sb_printf(pc_sb *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->n += (size_t)n;
}

void pc_sb_cstr(pc_sb *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '"': pc_sb_puts(b, "\\\""); break;
        case '\\': pc_sb_puts(b, "\\\\"); break;
        case '\n': pc_sb_puts(b, "\\n"); break;
        case '\t': pc_sb_puts(b, "\\t"); break;
        case '\r': pc_sb_puts(b, "\\r"); break;
        case '?': pc_sb_puts(b, "\\?"); break; /* no trigraphs */
        default:
            if (c < 0x20 || c == 0x7f)
                pc_sb_printf(b, "\\%03o", c);
            else
                pc_sb_putn(b, (const char *)&c, 1);
        }
    }
}

const char *pc_sb_arena(pc_sb *b, pc_arena *a)
{
    const char *s = b->n ? pc_strndup(a, b->p, b->n) : "";
    b->n = 0;
    if (b->p)
        b->p[0] = 0;
    return s;
}

void pc_sb_free(pc_sb *b)
{
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
}
