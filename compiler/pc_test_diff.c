/* pc_test_diff.c — does an output match what a case expects, and if not, a readable diff: the
 * records as JSON lines, `-` for an expected record that did not come, `+` for one that came but
 * was not expected, ` ` for a match, in the order of the longest common subsequence (as diff
 * does), or with `ordered: false` each expected record matched once in any order.
 *
 * With `subset: true` a record matches when the fields the expected record gives are equal, and
 * the records that came are shown with only the fields the expected records name. Floats compare
 * to about 12 significant digits (same_float). Where a run of '-' lines is followed by a run of
 * '+' lines, the records are paired in order and a `!` line names the fields that differ. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pc_test_int.h"

/* Floats are equal when they agree to about 12 significant digits: 1120986.836 and the
 * 1120986.8360000001 that 1234567 * 0.908 gives in binary floating point are the same number to
 * whoever writes a test. Both texts are canonical (or "null"). */
static int same_float(const char *a, const char *b)
{
    if (!strcmp(a, b))
        return 1;
    if (!strcmp(a, "null") || !strcmp(b, "null"))
        return 0;
    double x = strtod(a, NULL), y = strtod(b, NULL);
    double m = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    return fabs(x - y) <= 1e-12 * m;
}

/* 1 when field i of the expected record e and the record g that came do not agree. */
static int differs(const pc_texpect *x, int i, const pc_trec *e, const pc_trec *g)
{
    const char *ev = e->vals[i], *gv = g->vals[i];
    if (!ev) /* not given: exact mode wants it absent too (metadata and optional fields) */
        return !x->subset && gv && !x->row->fields[i].hidden;
    if (!gv)
        return 1;
    return x->row->fields[i].type == PC_T_FLOAT ? !same_float(ev, gv) : strcmp(ev, gv) != 0;
}

static int same(const pc_texpect *x, const pc_trec *e, const pc_trec *g)
{
    for (int i = 0; i < x->row->nfields; i++)
        if (differs(x, i, e, g))
            return 0;
    return 1;
}

/* Under a changed record (a '-' paired with a '+'): "! n: 2 expected, got 1; spent: …" when
 * at most three fields differ (more: they are likely different records, the lines say enough). */
static void changed(const pc_texpect *x, FILE *out, const pc_trec *e, const pc_trec *g)
{
    int ndiff = 0;
    for (int i = 0; i < x->row->nfields; i++)
        ndiff += differs(x, i, e, g);
    if (ndiff < 1 || ndiff > 3)
        return;
    fputs("    !", out);
    int first = 1;
    for (int i = 0; i < x->row->nfields; i++) {
        const char *ev = e->vals[i], *gv = g->vals[i];
        if (!differs(x, i, e, g))
            continue;
        fprintf(out, "%s %s: %s expected, got %s", first ? "" : ";", x->row->fields[i].name, ev ? ev : "(none)",
                gv ? gv : "(none)");
        first = 0;
    }
    fputc('\n', out);
}

static void line(pc_arena *a, const pc_texpect *x, FILE *out, char mark, const pc_trec *r, const int *only)
{
    fprintf(out, "    %c%s\n", mark, pc_tval_json(a, x->row, r, only));
}

int pc_test_compare(pc_arena *a, const pc_texpect *x, pc_trec **got, int ngot, FILE *out)
{
    int n = x->nrecs, m = ngot;
    /* in subset mode the records that came are shown over the fields the expected ones name */
    int *only = NULL;
    if (x->subset && n) {
        only = pc_alloc(a, sizeof(int) * (size_t)(x->row->nfields + 1));
        for (int i = 0; i < n; i++)
            for (int f = 0; f < x->row->nfields; f++)
                only[f] |= x->recs[i].vals[f] != NULL;
    }
    char *ops = pc_alloc(a, (size_t)(n + m + 1)); /* '-', '+' or ' ' */
    int *ei = pc_alloc(a, sizeof(int) * (size_t)(n + m + 1)), *gi = pc_alloc(a, sizeof(int) * (size_t)(n + m + 1));
    int nops = 0, differ = 0;
    if (!x->ordered) {
        char *used = pc_alloc(a, (size_t)(m + 1));
        int *match = pc_alloc(a, sizeof(int) * (size_t)(m + 1));
        for (int j = 0; j < m; j++)
            match[j] = -1;
        for (int i = 0; i < n; i++) {
            int hit = -1;
            for (int j = 0; j < m && hit < 0; j++)
                if (!used[j] && same(x, &x->recs[i], got[j]))
                    hit = j;
            if (hit >= 0) {
                used[hit] = 1;
                match[hit] = i;
            }
        }
        for (int j = 0; j < m; j++) { /* the output in its order, then what never came */
            ops[nops] = match[j] >= 0 ? ' ' : '+';
            ei[nops] = match[j];
            gi[nops++] = j;
        }
        for (int i = 0; i < n; i++) {
            int seen = 0;
            for (int j = 0; j < m && !seen; j++)
                seen = match[j] == i;
            if (!seen) {
                ops[nops] = '-';
                ei[nops] = i;
                gi[nops++] = -1;
            }
        }
    } else if ((long long)(n + 1) * (m + 1) <= 4000000) {
        /* L[i][j]: the longest common subsequence of expected[i..] and got[j..] */
        int *L = calloc((size_t)(n + 1) * (size_t)(m + 1), sizeof(int));
        if (!L)
            abort();
#define LL(i, j) L[(size_t)(i) * (size_t)(m + 1) + (size_t)(j)]
        for (int i = n - 1; i >= 0; i--)
            for (int j = m - 1; j >= 0; j--)
                LL(i, j) = same(x, &x->recs[i], got[j]) ? LL(i + 1, j + 1) + 1
                         : LL(i + 1, j) >= LL(i, j + 1) ? LL(i + 1, j) : LL(i, j + 1);
        int i = 0, j = 0;
        while (i < n || j < m) {
            if (i < n && j < m && same(x, &x->recs[i], got[j]) && LL(i, j) == LL(i + 1, j + 1) + 1) {
                ops[nops] = ' ', ei[nops] = i++, gi[nops++] = j++;
            } else if (j >= m || (i < n && LL(i + 1, j) >= LL(i, j + 1))) {
                ops[nops] = '-', ei[nops] = i++, gi[nops++] = -1;
            } else {
                ops[nops] = '+', ei[nops] = -1, gi[nops++] = j++;
            }
        }
#undef LL
        free(L);
    } else { /* too large for the table: position by position */
        for (int k = 0; k < n || k < m; k++) {
            if (k < n && k < m && same(x, &x->recs[k], got[k])) {
                ops[nops] = ' ', ei[nops] = k, gi[nops++] = k;
                continue;
            }
            if (k < n)
                ops[nops] = '-', ei[nops] = k, gi[nops++] = -1;
            if (k < m)
                ops[nops] = '+', ei[nops] = -1, gi[nops++] = k;
        }
    }
    for (int k = 0; k < nops; k++)
        differ |= ops[k] != ' ';
    if (!differ)
        return 1;
    const char *how = x->subset && !x->ordered ? " (only the fields given, in any order)"
                    : x->subset ? " (only the fields given)" : !x->ordered ? " (in any order)" : "";
    fprintf(out, "  %s %s: expected %d record%s, got %d%s\n", x->sink >= 0 ? "sink" : "stage", x->target, n,
            n == 1 ? "" : "s", m, how);
    fprintf(out, "    --- expected\n    +++ got\n");
    for (int k = 0; k < nops; k++) {
        if (ops[k] == '-')
            line(a, x, out, '-', &x->recs[ei[k]], NULL);
        else if (ops[k] == '+')
            line(a, x, out, '+', got[gi[k]], only);
        else
            line(a, x, out, ' ', &x->recs[ei[k]], x->subset ? NULL : only);
        if (ops[k] != '+' || (k + 1 < nops && ops[k + 1] == '+'))
            continue;
        /* the end of a run of '-' then '+': pair them up in order and name what differs */
        int p = k, m_ = 0, e_ = 0;
        while (p >= 0 && ops[p] == '+')
            p--, m_++;
        while (p >= 0 && ops[p] == '-')
            p--, e_++;
        for (int i = 0; i < e_ && i < m_; i++)
            changed(x, out, &x->recs[ei[p + 1 + i]], got[gi[p + 1 + e_ + i]]);
    }
    return 0;
}
