/* prt_settings.c — the settings table: `${NAME}` / `${NAME:-default}` resolution at start,
 * `--set path=value` overrides, and the prt_cfg* getters of prt_job.h.
 *
 * Resolution happens once, when the binary starts, so one binary serves every environment.
 * Errors name the YAML position of the value (or "(from --set)") and the setting's path.
 */
#include "prt_settings.h"
#include "prt_text.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s)
{
    char *p = strdup(s);
    prt_assert(p != NULL);
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = strndup(s, n);
    prt_assert(p != NULL);
    return p;
}

/* ---------------------------------------------------------------- ${...} expansion */

static int name_char(char c, int first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

int prt_settings_expand(const char *s, char **out, prt_err *e)
{
    prt_buf b = { 0 };
    const char *p = s;

    *out = NULL;
    while (*p) {
        if (p[0] == '$' && p[1] == '$' && p[2] == '{') { /* $${ is a literal ${ */
            prt_buf_put(&b, "${", 2);
            p += 3;
            continue;
        }
        if (p[0] != '$' || p[1] != '{') {
            prt_buf_putc(&b, *p++);
            continue;
        }
        const char *name = p + 2, *q = name;
        while (*q && name_char(*q, q == name))
            q++;
        if (q == name) {
            prt_buf_free(&b);
            return prt_errf(e, "invalid variable reference '${%.*s': expected a name",
                            (int)strcspn(name, "}"), name);
        }
        size_t nlen = (size_t)(q - name);
        const char *dflt = NULL;
        size_t dlen = 0;
        if (q[0] == ':' && q[1] == '-') {
            dflt = q + 2;
            const char *end = strchr(dflt, '}');
            if (!end) {
                prt_buf_free(&b);
                return prt_errf(e, "unterminated '${%.*s'", (int)nlen, name);
            }
            dlen = (size_t)(end - dflt);
            q = end;
        }
        if (*q != '}') {
            prt_buf_free(&b);
            if (*q == '\0')
                return prt_errf(e, "unterminated '${%.*s'", (int)nlen, name);
            return prt_errf(e, "invalid variable reference '${%.*s%c': "
                            "expected '}' or ':-default'", (int)nlen, name, *q);
        }
        char *var = xstrndup(name, nlen);
        const char *val = getenv(var);
        if (dflt && (!val || !*val)) { /* like the shell: ${X:-d} also replaces an empty X */
            prt_buf_put(&b, dflt, dlen);
        } else if (val) {
            prt_buf_puts(&b, val);
        } else {
            prt_errf(e, "environment variable %s is not set and has no default", var);
            free(var);
            prt_buf_free(&b);
            return PRT_ERR;
        }
        free(var);
        p = q + 1;
    }
    prt_buf_putc(&b, '\0');
    *out = b.p;
    return PRT_OK;
}

/* ---------------------------------------------------------------- the table */

static prt_setting *table_add(prt_settings *st)
{
    if (st->n == st->cap) {
        int cap = st->cap ? st->cap * 2 : 16;
        prt_setting *v = realloc(st->v, (size_t)cap * sizeof *v);
        prt_assert(v != NULL);
        st->v = v;
        st->cap = cap;
    }
    prt_setting *s = &st->v[st->n++];
    memset(s, 0, sizeof *s);
    return s;
}

const prt_setting *prt_settings_find(const prt_settings *st, const char *path)
{
    for (int i = 0; i < st->n; i++)
        if (strcmp(st->v[i].path, path) == 0)
            return &st->v[i];
    return NULL;
}

prt_settings *prt_settings_new(const prt_job_desc *d, prt_err *e)
{
    prt_settings *st = calloc(1, sizeof *st);
    prt_assert(st != NULL);
    st->desc = d;
    for (int i = 0; i < d->nsettings; i++) {
        const prt_setting_desc *sd = &d->settings[i];
        char *val;
        prt_err why;
        if (prt_settings_expand(sd->value ? sd->value : "", &val, &why) != PRT_OK) {
            prt_errf(e, "%s:%d:%d: error: %s: %s", d->yaml_name, sd->line, sd->col, sd->path,
                     why.msg);
            prt_settings_free(st);
            return NULL;
        }
        prt_setting *s = (prt_setting *)prt_settings_find(st, sd->path);
        if (s) { /* a duplicate path: the later one wins, as in YAML */
            free(s->value);
        } else {
            s = table_add(st);
            s->path = xstrdup(sd->path);
        }
        s->value = val;
        s->raw = sd->value;
        s->line = sd->line;
        s->col = sd->col;
    }
    return st;
}

void prt_settings_put(prt_settings *st, const char *path, const char *value)
{
    prt_setting *s = (prt_setting *)prt_settings_find(st, path);
    if (!s) {
        s = table_add(st);
        s->path = xstrdup(path);
    } else {
        free(s->value);
    }
    s->value = xstrdup(value);
    s->from_set = 1;
}

void prt_settings_free(prt_settings *st)
{
    if (!st)
        return;
    for (int i = 0; i < st->n; i++) {
        free(st->v[i].path);
        free(st->v[i].value);
    }
    free(st->v);
    free(st);
}

/* ---------------------------------------------------------------- --set */

static int starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The job-wide settings of the language (checkpoint, state, parallelism, admin): --set may give them
 * when the YAML does not; any other checkpoint.* or state.* path is unknown. */
static const char *const job_paths[] = {
    "checkpoint.interval", "checkpoint.mode", "checkpoint.dir", "checkpoint.retain",
    "state.backend", "state.max_parallelism", "state.memory_budget", "parallelism", "admin.listen",
};
#define NJOB_PATHS (sizeof job_paths / sizeof *job_paths)

/* A path not in the table is accepted when it is a job-wide setting or extends a prefix a
 * connector reads (connector options without a value in the YAML, watermarks). */
static int path_allowed(const prt_settings *st, const char *path)
{
    const prt_job_desc *d = st->desc;
    char pre[256];

    for (size_t i = 0; i < NJOB_PATHS; i++)
        if (strcmp(path, job_paths[i]) == 0)
            return 1;
    for (int i = 0; i < d->nsources; i++) {
        const prt_source_desc *s = &d->sources[i];
        snprintf(pre, sizeof pre, "sources.%s.%s.", s->name, s->connector);
        if (starts_with(path, pre) && path[strlen(pre)])
            return 1;
        snprintf(pre, sizeof pre, "sources.%s.watermark.", s->name);
        if (starts_with(path, pre) && path[strlen(pre)])
            return 1;
    }
    for (int i = 0; i < d->nsinks; i++) {
        const prt_sink_desc *k = &d->sinks[i];
        if (i == d->errors_sink)
            snprintf(pre, sizeof pre, "errors.%s.", k->connector);
        else
            snprintf(pre, sizeof pre, "sinks.%s.%s.", k->name, k->connector);
        if (starts_with(path, pre) && path[strlen(pre)])
            return 1;
    }
    return 0;
}

static size_t edit_distance(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b);
    size_t *row = malloc((nb + 1) * sizeof *row);
    prt_assert(row != NULL);
    for (size_t j = 0; j <= nb; j++)
        row[j] = j;
    for (size_t i = 1; i <= na; i++) {
        size_t diag = row[0];
        row[0] = i;
        for (size_t j = 1; j <= nb; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    size_t r = row[nb];
    free(row);
    return r;
}

/* The closest known path, when it is close enough to be a plausible typo. */
static const char *did_you_mean(prt_settings *st, const char *path)
{
    const prt_job_desc *d = st->desc;
    /* the errors sink's settings live under "errors.", not "sinks.<name>." */
    if (d->errors_sink >= 0 && d->errors_sink < d->nsinks) {
        char pre[192];
        snprintf(pre, sizeof pre, "sinks.%s.", d->sinks[d->errors_sink].name);
        if (starts_with(path, pre)) {
            snprintf(st->hint, sizeof st->hint, "errors.%s", path + strlen(pre));
            return st->hint;
        }
    }
    const char *best = NULL;
    size_t bestd = (size_t)-1;
    for (int i = 0; i < st->n; i++) {
        size_t dist = edit_distance(path, st->v[i].path);
        if (dist < bestd) {
            bestd = dist;
            best = st->v[i].path;
        }
    }
    for (size_t i = 0; i < NJOB_PATHS; i++) {
        size_t dist = edit_distance(path, job_paths[i]);
        if (dist < bestd) {
            bestd = dist;
            best = job_paths[i];
        }
    }
    size_t limit = strlen(path) / 3;
    if (limit < 2)
        limit = 2;
    return bestd <= limit ? best : NULL;
}

int prt_settings_set(prt_settings *st, const char *arg, prt_err *e)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg)
        return prt_errf(e, "error: --set: expected path=value, got '%s'", arg);
    char *path = xstrndup(arg, (size_t)(eq - arg));
    if (strcmp(path, "state.max_parallelism") == 0) { /* the key groups are compiled in */
        prt_errf(e, "error: --set: state.max_parallelism is fixed when the binary is built; "
                 "change it in the YAML and rebuild with pipec");
        free(path);
        return PRT_ERR;
    }
    if (!prt_settings_find(st, path) && !path_allowed(st, path)) {
        const char *hint = did_you_mean(st, path);
        if (hint && strcmp(hint, path) == 0)
            hint = NULL;
        if (hint)
            prt_errf(e, "error: --set: unknown setting '%s' (did you mean '%s'?)", path, hint);
        else
            prt_errf(e, "error: --set: unknown setting '%s'", path);
        free(path);
        return PRT_ERR;
    }
    prt_settings_put(st, path, eq + 1);
    free(path);
    return PRT_OK;
}

/* ---------------------------------------------------------------- typed values */

int prt_parse_duration(const char *s, int64_t *ms)
{
    return prt_text_duration(s, strlen(s), ms) == PRT_TEXT_OK ? PRT_OK : PRT_ERR;
}

/* Prints "FILE:LINE:COL: error: <path>: invalid <what> '<value>'<why>" (or "(from --set)"). */
static int bad_value(prt_settings *st, const prt_setting *s, const char *what, const char *why)
{
    if (s->from_set || s->line <= 0)
        snprintf(st->last_err, sizeof st->last_err, "error: %s: invalid %s '%s'%s (from --set)",
                 s->path, what, s->value, why);
    else
        snprintf(st->last_err, sizeof st->last_err, "%s:%d:%d: error: %s: invalid %s '%s'%s",
                 st->desc->yaml_name, s->line, s->col, s->path, what, s->value, why);
    if (!st->quiet_errors)
        fprintf(stderr, "%s\n", st->last_err);
    return PRT_ERR;
}

const char *prt_cfg(prt_job *j, const char *path)
{
    const prt_setting *s = j->cfg ? prt_settings_find(j->cfg, path) : NULL;
    return s ? s->value : NULL;
}

int prt_cfg_dur(prt_job *j, const char *path, int64_t dflt, int64_t *out)
{
    const prt_setting *s = j->cfg ? prt_settings_find(j->cfg, path) : NULL;
    if (!s) {
        *out = dflt;
        return PRT_OK;
    }
    prt_text_rc rc = prt_text_duration(s->value, strlen(s->value), out);
    if (rc != PRT_TEXT_OK)
        return bad_value(j->cfg, s, "duration", prt_text_duration_why(rc));
    return PRT_OK;
}

int prt_cfg_int(prt_job *j, const char *path, int64_t dflt, int64_t *out)
{
    const prt_setting *s = j->cfg ? prt_settings_find(j->cfg, path) : NULL;
    if (!s) {
        *out = dflt;
        return PRT_OK;
    }
    prt_text_rc rc = prt_text_int(s->value, strlen(s->value), out);
    if (rc != PRT_TEXT_OK)
        return bad_value(j->cfg, s, "integer", rc == PRT_TEXT_RANGE ? ": out of range" : "");
    return PRT_OK;
}

int prt_cfg_bool(prt_job *j, const char *path, int dflt, int *out)
{
    const prt_setting *s = j->cfg ? prt_settings_find(j->cfg, path) : NULL;
    if (!s) {
        *out = dflt;
        return PRT_OK;
    }
    if (prt_text_switch(s->value, strlen(s->value), out) != PRT_TEXT_OK)
        return bad_value(j->cfg, s, "boolean", "");
    return PRT_OK;
}

int prt_cfg_each(prt_job *j, const char *prefix,
                 int (*fn)(void *arg, const char *rest, const char *value), void *arg)
{
    if (!j->cfg)
        return 0;
    size_t n = strlen(prefix);
    for (int i = 0; i < j->cfg->n; i++) {
        const prt_setting *s = &j->cfg->v[i];
        if (strncmp(s->path, prefix, n) == 0) {
            int r = fn(arg, s->path + n, s->value);
            if (r)
                return r;
        }
    }
    return 0;
}

void prt_cfg_override(prt_job *j, const char *path, const char *value)
{
    prt_settings_put(j->cfg, path, value);
}
