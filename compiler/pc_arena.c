/* pc_arena.c — the compilation arena: bump allocation in large blocks, freed all at once.
 * Allocation failure aborts: the compiler is a short-lived process and has nothing to recover. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pc_arena.h"

typedef struct pc_arena_block {
    struct pc_arena_block *next;
    size_t used, cap;
    _Alignas(16) unsigned char data[];
} pc_arena_block;

enum { PC_ARENA_BLOCK = 64 * 1024 };

void *pc_alloc(pc_arena *a, size_t n)
{
    n = (n + 15) & ~(size_t)15;
    if (n == 0)
        n = 16;
    pc_arena_block *b = a->head;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > PC_ARENA_BLOCK ? n : PC_ARENA_BLOCK;
        b = malloc(sizeof *b + cap);
        if (!b) {
            fprintf(stderr, "pipec: out of memory\n");
            abort();
        }
        b->used = 0;
        b->cap = cap;
        /* keep a partly used head in front when the new block is a one-off big one */
        if (a->head && cap > PC_ARENA_BLOCK) {
            b->next = a->head->next;
            a->head->next = b;
        } else {
            b->next = a->head;
            a->head = b;
        }
    }
    void *p = b->data + b->used;
    b->used += n;
    memset(p, 0, n);
    return p;
}

char *pc_strndup(pc_arena *a, const char *s, size_t n)
{
    char *p = pc_alloc(a, n + 1);
    if (n)
        memcpy(p, s, n);
    p[n] = 0;
    return p;
}

char *pc_strdup(pc_arena *a, const char *s)
{
    return pc_strndup(a, s, strlen(s));
}

char *pc_sprintf(pc_arena *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    char *p = pc_alloc(a, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void pc_arena_free(pc_arena *a)
{
    pc_arena_block *b = a->head;
    while (b) {
        pc_arena_block *next = b->next;
        free(b);
        b = next;
    }
    a->head = NULL;
}
