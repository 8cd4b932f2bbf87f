/* pc_yaml.h — the YAML layer of the front end: libyaml events turned into a small node tree
 * that keeps each node's start and end position, plus the map from a position inside a scalar's
 * value back to the file (for carets inside expressions). Everything lives in the arena. */
#ifndef PC_YAML_H
#define PC_YAML_H

#include <stddef.h>

#include "pc_arena.h"
#include "pc_ast.h"
#include "pc_diag.h"

typedef enum pc_ykind { PC_Y_SCALAR, PC_Y_MAP, PC_Y_SEQ } pc_ykind;
typedef enum pc_ystyle { PC_YS_PLAIN, PC_YS_SINGLE, PC_YS_DOUBLE, PC_YS_LITERAL, PC_YS_FOLDED } pc_ystyle;

typedef struct pc_ynode {
    pc_ykind kind;
    pc_loc loc;              /* 1-based, end exclusive */
    size_t off;              /* byte offset of the first character in the text */
    const char *s;           /* SCALAR: the value, NUL-terminated (may hold NULs: len counts) */
    size_t len;
    pc_ystyle style;
    struct pc_ynode **items; /* SEQ: n items */
    struct pc_ynode **keys;  /* MAP: n keys (always scalars) ... */
    struct pc_ynode **vals;  /* ... and their values */
    int n;
    int flow;                /* MAP/SEQ written in flow style ({...} / [...]) */
} pc_ynode;

typedef struct pc_ydoc {
    const char *text;
    size_t len;
    size_t *lines;           /* byte offset of the start of each line (0-based line index) */
    int nlines;
    pc_ynode *root;          /* NULL for an empty document */
} pc_ydoc;

/* Parses text (NUL-terminated, len bytes). Returns 0 and fills doc, or -1 after reporting a
 * syntax error (libyaml's problem at its mark) or an unsupported construct. */
int pc_yaml_parse(pc_arena *a, pc_diags *d, const char *text, size_t len, pc_ydoc *doc);

/* The file span of bytes [off, off + len) of a scalar's value: exact for plain and quoted
 * scalars on one line, best effort for escapes, folding and block scalars. */
pc_loc pc_yaml_span(const pc_ydoc *doc, const pc_ynode *n, size_t off, size_t len);

/* The position of a byte offset in the text. */
void pc_yaml_pos(const pc_ydoc *doc, size_t off, int *line, int *col);

/* The value (pc_yget) or the key node (pc_ygetkey) of key in mapping m; NULL when m is not a
 * mapping or lacks the key. */
pc_ynode *pc_yget(const pc_ynode *m, const char *key);
pc_ynode *pc_ygetkey(const pc_ynode *m, const char *key);

/* "a mapping", "a list" or "a scalar", for diagnostics. */
const char *pc_ykind_name(pc_ykind k);

#endif
