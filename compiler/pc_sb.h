/* pc_sb.h — a growable string for building generated code. Heap-owned: pc_sb_free releases it;
 * pc_sb_arena moves the text into an arena (and empties the builder). */
#ifndef PC_SB_H
#define PC_SB_H

#include <stddef.h>
#include "pc_arena.h"

typedef struct pc_sb {
    char *p; /* NUL-terminated when n > 0 */
    size_t n, cap;
} pc_sb;

void pc_sb_putn(pc_sb *b, const char *s, size_t n);
void pc_sb_puts(pc_sb *b, const char *s);
void pc_sb_printf(pc_sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Appends s as the body of a C string literal (escapes, no quotes). */
void pc_sb_cstr(pc_sb *b, const char *s, size_t n);
const char *pc_sb_arena(pc_sb *b, pc_arena *a); /* "" when empty */
void pc_sb_free(pc_sb *b);

#endif
