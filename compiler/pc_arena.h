/* pc_arena.h — one arena per compilation: every AST node, string and table lives here and is
 * freed at once with pc_arena_free. Allocation failure aborts (the compiler is a short process). */
#ifndef PC_ARENA_H
#define PC_ARENA_H

#include <stddef.h>

typedef struct pc_arena {
    struct pc_arena_block *head;
} pc_arena;

void *pc_alloc(pc_arena *a, size_t n);                 /* zeroed, 16-byte aligned */
char *pc_strdup(pc_arena *a, const char *s);
char *pc_strndup(pc_arena *a, const char *s, size_t n);
char *pc_sprintf(pc_arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pc_arena_free(pc_arena *a);

#endif
