/* prt_settings.h — the runtime's settings table (private to the runtime; generated code uses
 * the prt_cfg* calls of prt_job.h).
 *
 * Built from the generated prt_setting_desc table when the binary starts: every `${NAME}` and
 * `${NAME:-default}` is resolved against the environment once, then `--set path=value`
 * overrides replace values (without expansion). The table owns every string it holds.
 */
#ifndef PRT_SETTINGS_H
#define PRT_SETTINGS_H

#include "prt_job.h"

typedef struct prt_setting {
    char *path;      /* owned */
    char *value;     /* resolved value; owned */
    const char *raw; /* as written in the YAML (borrowed from the desc); NULL when added by --set */
    int line, col;   /* YAML position; 0 when added by --set */
    int from_set;    /* the value came from --set (or prt_cfg_override) */
} prt_setting;

typedef struct prt_settings {
    const prt_job_desc *desc; /* borrowed */
    prt_setting *v;
    int n, cap;
    char last_err[512];       /* the last error message printed, for tests */
    char hint[256];           /* a did-you-mean suggestion being built */
    int quiet_errors;         /* do not print errors to stderr (tests) */
} prt_settings;

/* Resolves every setting of d. On error fills e with the full diagnostic
 * ("FILE:LINE:COL: error: <path>: ...") and returns NULL. The result is owned by the caller. */
prt_settings *prt_settings_new(const prt_job_desc *d, prt_err *e);
/* Applies one `--set path=value` argument. PRT_ERR with the diagnostic in e when the path is
 * not known ("error: --set: unknown setting 'x' (did you mean 'y'?)") or the argument has no '='. */
int prt_settings_set(prt_settings *st, const char *arg, prt_err *e);
/* Replaces or adds path (marked as coming from --set). */
void prt_settings_put(prt_settings *st, const char *path, const char *value);
/* The entry for path, or NULL. Borrowed from st. */
const prt_setting *prt_settings_find(const prt_settings *st, const char *path);
void prt_settings_free(prt_settings *st);

/* Expands ${NAME}, ${NAME:-default} and $${ in s into out (an owned malloc'd string).
 * On error returns PRT_ERR and a message without position in e->msg. */
int prt_settings_expand(const char *s, char **out, prt_err *e);

/* Value parsers shared with the connectors: PRT_OK or PRT_ERR. */
int prt_parse_duration(const char *s, int64_t *ms);

#endif
