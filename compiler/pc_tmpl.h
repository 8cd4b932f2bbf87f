/* pc_tmpl.h — fills the templates (templates/NAME.c.tmpl).
 *
 * A template is C with named slots: `{{name}}` inside a line is replaced by the slot's value; a
 * line holding only `{{name}}` is a block slot: every line of the value is indented like the slot
 * (an empty value removes the line, and the blank line after it when one comes before, so no
 * doubled blank line is left). Lines starting with `//~` document the template and are not
 * copied. Templates hold no logic; a slot the caller did not fill is a generator bug. */
#ifndef PC_TMPL_H
#define PC_TMPL_H

#include "pc_arena.h"
#include "pc_diag.h"
#include "pc_sb.h"

typedef struct pc_tmpls pc_tmpls;

/* Loads every template of dir; NULL (reported through d) when one is missing. */
pc_tmpls *pc_tmpls_load(pc_arena *a, pc_diags *d, const char *dir);

/* Renders template `name` ("filter" for filter.c.tmpl) with name/value pairs ending in NULL. */
void pc_tmpl(pc_tmpls *t, pc_sb *out, const char *name, ...);

#endif
