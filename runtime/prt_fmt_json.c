/* prt_fmt_json.c — the json input format: picks fields out of one JSON object per line.
 *
 * A strict RFC 8259 recursive-descent validator (UTF-8 checked, depth limit 64) that, while it
 * walks the object, matches member keys component-wise against the dotted paths it was asked for
 * and records each selected value. Only objects on the way to a selected path are matched into;
 * everything else is validated and skipped. Duplicate keys: the last one wins (null clears).
 * Error offsets count bytes of the line from 0.
 */
#include "prt_format.h"

#define PRT_JSON_MAX_DEPTH 64

enum { J_NONE, J_FULL, J_PREFIX };

typedef struct prt_json_p {
    const char *s;
    size_t n, i;
    const char *const *paths;
    int npaths;
    prt_str *vals;
    uint64_t *present;
    prt_scratch *scratch;
    prt_err *e;
    prt_str keys[PRT_JSON_MAX_DEPTH]; /* keys of the objects being matched, outermost first */
} prt_json_p;

static int j_err(prt_json_p *P, size_t at, const char *what)
{
    return prt_errf(P->e, "invalid JSON at byte %zu: %s", at, what);
}

static void j_ws(prt_json_p *P)
{
    while (P->i < P->n) {
        char c = P->s[P->i];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        P->i++;
    }
}

static int j_hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int k = 0; k < 4; k++) {
        char c = p[k];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* Length of the valid UTF-8 sequence at p (lead byte >= 0x80), or 0 if invalid. */
static size_t j_utf8_len(const unsigned char *p, size_t avail)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c >= 0xc2 && c <= 0xdf)
        len = 2, min = 0x80;
    else if (c >= 0xe0 && c <= 0xef)
        len = 3, min = 0x800;
    else if (c >= 0xf0 && c <= 0xf4)
        len = 4, min = 0x10000;
    else
        return 0;
    if (avail < len)
        return 0;
    unsigned cp = c & (0x3f >> (len - 1));
    for (size_t k = 1; k < len; k++) {
        if ((p[k] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (p[k] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0; /* overlong, out of range, or an encoded surrogate */
    return len;
}

static char *j_put_utf8(char *o, unsigned cp)
{
    if (cp < 0x80) {
        *o++ = (char)cp;
    } else if (cp < 0x800) {
        *o++ = (char)(0xc0 | cp >> 6);
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | cp >> 12);
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    } else {
        *o++ = (char)(0xf0 | cp >> 18);
        *o++ = (char)(0x80 | (cp >> 12 & 0x3f));
        *o++ = (char)(0x80 | (cp >> 6 & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    return o;
}

/* Decodes the escape at s[*i] == '\\' (validated already) into o; advances *i past it. */
static char *j_unescape_one(const char *s, size_t *i, char *o)
{
    char c = s[*i + 1];
    *i += 2;
    switch (c) {
    case 'b': *o++ = '\b'; return o;
    case 'f': *o++ = '\f'; return o;
    case 'n': *o++ = '\n'; return o;
    case 'r': *o++ = '\r'; return o;
    case 't': *o++ = '\t'; return o;
    case 'u': break;
    default: *o++ = c; return o; /* " \ / */
    }
    unsigned cp, lo;
    j_hex4(s + *i, &cp);
    *i += 4;
    if (cp >= 0xd800 && cp <= 0xdbff) {
        j_hex4(s + *i + 2, &lo);
        *i += 6;
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
    }
    return j_put_utf8(o, cp);
}

/* A string at s[i] == '"'. Validates it; when out is given, stores its unescaped content (a
 * slice of the line, or of scratch when it held escapes). */
static int j_string(prt_json_p *P, prt_str *out)
{
    size_t start = ++P->i;
    int escaped = 0;
    for (;;) {
        if (P->i >= P->n)
            return j_err(P, start - 1, "unterminated string");
        unsigned char c = (unsigned char)P->s[P->i];
        if (c == '"')
            break;
        if (c < 0x20)
            return j_err(P, P->i, "control character in string");
        if (c >= 0x80) {
            size_t len = j_utf8_len((const unsigned char *)P->s + P->i, P->n - P->i);
            if (!len)
                return j_err(P, P->i, "invalid UTF-8 in string");
            P->i += len;
            continue;
        }
        if (c != '\\') {
            P->i++;
            continue;
        }
        escaped = 1;
        size_t at = P->i;
        if (P->i + 1 >= P->n)
            return j_err(P, start - 1, "unterminated string");
        char x = P->s[P->i + 1];
        if (x == '"' || x == '\\' || x == '/' || x == 'b' || x == 'f' || x == 'n' || x == 'r' || x == 't') {
            P->i += 2;
            continue;
        }
        if (x != 'u')
            return j_err(P, at, "invalid escape in string");
        unsigned cp, lo;
        if (P->n - P->i < 6 || j_hex4(P->s + P->i + 2, &cp))
            return j_err(P, at, "invalid \\u escape in string");
        P->i += 6;
        if (cp >= 0xdc00 && cp <= 0xdfff)
            return j_err(P, at, "lone surrogate in string");
        if (cp >= 0xd800 && cp <= 0xdbff) {
            if (P->n - P->i < 6 || P->s[P->i] != '\\' || P->s[P->i + 1] != 'u' ||
                j_hex4(P->s + P->i + 2, &lo) || lo < 0xdc00 || lo > 0xdfff)
                return j_err(P, at, "lone surrogate in string");
            P->i += 6;
        }
    }
    size_t end = P->i++; /* the closing quote */
    if (out) {
        if (!escaped) {
            *out = (prt_str){ P->s + start, end - start };
        } else { /* unescaping never makes a string longer */
            char *d = prt_scratch_alloc(P->scratch, end - start), *o = d;
            for (size_t k = start; k < end;) {
                if (P->s[k] == '\\')
                    o = j_unescape_one(P->s, &k, o);
                else
                    *o++ = P->s[k++];
            }
            *out = (prt_str){ d, (size_t)(o - d) };
        }
    }
    return PRT_OK;
}

static int j_digits(prt_json_p *P)
{
    size_t b = P->i;
    while (P->i < P->n && P->s[P->i] >= '0' && P->s[P->i] <= '9')
        P->i++;
    return P->i > b;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int j_number(prt_json_p *P)
{
    size_t b = P->i;
    if (P->s[P->i] == '-')
        P->i++;
    if (P->i < P->n && P->s[P->i] == '0')
        P->i++;
    else if (!j_digits(P))
        return j_err(P, b, "invalid number");
    if (P->i < P->n && P->s[P->i] == '.') {
        P->i++;
        if (!j_digits(P))
            return j_err(P, b, "invalid number");
    }
    if (P->i < P->n && (P->s[P->i] == 'e' || P->s[P->i] == 'E')) {
        P->i++;
        if (P->i < P->n && (P->s[P->i] == '+' || P->s[P->i] == '-'))
            P->i++;
        if (!j_digits(P))
            return j_err(P, b, "invalid number");
    }
    return PRT_OK;
}

static int j_literal(prt_json_p *P, const char *word, size_t len)
{
    if (P->n - P->i < len || memcmp(P->s + P->i, word, len) != 0)
        return j_err(P, P->i, "expected a value");
    P->i += len;
    return PRT_OK;
}

/* Does path equal keys[0..d) (J_FULL), extend it (J_PREFIX), or neither? */
static int j_path_match(const char *path, const prt_str *keys, int d)
{
    const char *p = path;
    for (int j = 0; j < d; j++) {
        const char *q = strchr(p, '.');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len != keys[j].n || (len && memcmp(p, keys[j].p, len) != 0))
            return J_NONE;
        if (!q)
            return j == d - 1 ? J_FULL : J_NONE;
        p = q + 1;
    }
    return J_PREFIX;
}

static int j_value(prt_json_p *P, int depth, int match, prt_str *out, int *is_null);

/* An object at s[i] == '{', at nesting depth `depth` (the line's object is 1). When `match`,
 * member keys are matched against the paths; keys[0..depth-1) hold the enclosing keys. */
static int j_object(prt_json_p *P, int depth, int match)
{
    if (depth > PRT_JSON_MAX_DEPTH)
        return j_err(P, P->i, "nesting deeper than 64");
    P->i++;
    j_ws(P);
    if (P->i < P->n && P->s[P->i] == '}') {
        P->i++;
        return PRT_OK;
    }
    for (;;) {
        if (P->i >= P->n || P->s[P->i] != '"')
            return j_err(P, P->i, "expected a string key");
        prt_str key;
        if (j_string(P, match ? &key : NULL))
            return PRT_ERR;
        j_ws(P);
        if (P->i >= P->n || P->s[P->i] != ':')
            return j_err(P, P->i, "expected ':'");
        P->i++;
        j_ws(P);
        int full = 0, prefix = 0;
        if (match) {
            P->keys[depth - 1] = key;
            for (int k = 0; k < P->npaths; k++) {
                int m = j_path_match(P->paths[k], P->keys, depth);
                full |= m == J_FULL;
                prefix |= m == J_PREFIX;
            }
        }
        prt_str v;
        int is_null = 0;
        if (j_value(P, depth, prefix, full ? &v : NULL, &is_null))
            return PRT_ERR;
        if (full) {
            for (int k = 0; k < P->npaths; k++) {
                if (j_path_match(P->paths[k], P->keys, depth) != J_FULL)
                    continue;
                uint64_t bit = k < 64 ? (uint64_t)1 << k : 0;
                if (is_null) {
                    P->vals[k] = (prt_str){ NULL, 0 };
                    *P->present &= ~bit;
                } else {
                    P->vals[k] = v;
                    *P->present |= bit;
                }
            }
        }
        j_ws(P);
        if (P->i < P->n && P->s[P->i] == ',') {
            P->i++;
            j_ws(P);
            continue;
        }
        if (P->i < P->n && P->s[P->i] == '}') {
            P->i++;
            return PRT_OK;
        }
        return j_err(P, P->i, "expected ',' or '}'");
    }
}

static int j_array(prt_json_p *P, int depth)
{
    if (depth > PRT_JSON_MAX_DEPTH)
        return j_err(P, P->i, "nesting deeper than 64");
    P->i++;
    j_ws(P);
    if (P->i < P->n && P->s[P->i] == ']') {
        P->i++;
        return PRT_OK;
    }
    for (;;) {
        int is_null;
        if (j_value(P, depth, 0, NULL, &is_null))
            return PRT_ERR;
        j_ws(P);
        if (P->i < P->n && P->s[P->i] == ',') {
            P->i++;
            j_ws(P);
            continue;
        }
        if (P->i < P->n && P->s[P->i] == ']') {
            P->i++;
            return PRT_OK;
        }
        return j_err(P, P->i, "expected ',' or ']'");
    }
}

/* A value at s[i] (whitespace skipped), a member of a container at `depth`. `match`: descend
 * into an object value matching keys. `out`: where to store the selected value. */
static int j_value(prt_json_p *P, int depth, int match, prt_str *out, int *is_null)
{
    if (P->i >= P->n)
        return j_err(P, P->i, "expected a value");
    size_t b = P->i;
    int r;
    switch (P->s[P->i]) {
    case '"':
        return j_string(P, out);
    case '{':
        r = j_object(P, depth + 1, match);
        break;
    case '[':
        r = j_array(P, depth + 1);
        break;
    case 't':
        r = j_literal(P, "true", 4);
        break;
    case 'f':
        r = j_literal(P, "false", 5);
        break;
    case 'n':
        r = j_literal(P, "null", 4);
        *is_null = 1;
        break;
    default:
        if (P->s[P->i] == '-' || (P->s[P->i] >= '0' && P->s[P->i] <= '9'))
            r = j_number(P);
        else
            r = j_err(P, P->i, "expected a value");
    }
    if (out)
        *out = (prt_str){ P->s + b, P->i - b }; /* numbers, literals, raw objects and arrays */
    return r;
}

int prt_json_extract(prt_str line, const char *const *paths, int npaths, prt_str *vals,
                     uint64_t *present, prt_scratch *s, prt_err *e)
{
    prt_json_p P = { .s = line.n ? line.p : "", .n = line.n, .paths = paths, .npaths = npaths,
                     .vals = vals, .present = present, .scratch = s, .e = e };
    *present = 0;
    for (int k = 0; k < npaths; k++)
        vals[k] = (prt_str){ NULL, 0 };
    j_ws(&P);
    if (P.i >= P.n || P.s[P.i] != '{')
        return j_err(&P, P.i, "expected an object");
    if (j_object(&P, 1, npaths > 0))
        return PRT_ERR;
    j_ws(&P);
    if (P.i != P.n)
        return j_err(&P, P.i, "unexpected text after the object");
    return PRT_OK;
}
