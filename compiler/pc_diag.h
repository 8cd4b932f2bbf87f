/* pc_diag.h — compiler diagnostics in GCC/Clang form:
 *
 *   orders.yaml:12:15: error: unknown field 'amout' in expression
 *      12 |     filter: amout > 10
 *         |             ^~~~~
 *   orders.yaml:12:15: note: did you mean 'amount'?
 *
 * Messages are lowercase with no final period. Warnings carry their flag ("[-Wmissing-id]").
 * Color only when stderr is a terminal (and NO_COLOR is unset). Every diagnostic is collected
 * and printed in the order reported; callers keep going after an error to report them all.
 */
#ifndef PC_DIAG_H
#define PC_DIAG_H

#include <stdio.h>
#include "pc_ast.h"

typedef struct pc_diags {
    const char *file;   /* as given on the command line */
    const char *text;   /* the source, for quoting lines; may be NULL */
    size_t text_len;
    FILE *out;          /* default stderr */
    int color;
    int errors, warnings;
    /* while sorting (pc_diag_sort_begin .. pc_diag_flush), each diagnostic and its notes are held
     * back and then printed in source order, as a one-pass compiler would report them */
    int sorting;
    struct pc_dchunk *chunks;
    int nchunks, capchunks;
} pc_diags;

void pc_diag_init(pc_diags *d, const char *file, const char *text, size_t text_len, FILE *out);
void pc_error(pc_diags *d, pc_loc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void pc_warning(pc_diags *d, pc_loc at, const char *flag, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A note attached to the previous diagnostic; at.line == 0 prints it without a position. */
void pc_note(pc_diags *d, pc_loc at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A hint with no source line: "orders.yaml:3:1: note: did you mean 'schemas'?" is a note;
 * pc_error_file is for errors about the file as a whole (cannot open, empty). */
void pc_error_file(pc_diags *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void pc_diag_sort_begin(pc_diags *d);
void pc_diag_flush(pc_diags *d); /* prints what was held back, by position (stable), and frees it */

#endif
