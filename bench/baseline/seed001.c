/* seed001.c — seed 001's job written by hand: kv orders → status != CANCELLED → per status,
 * 30 s tumbling event-time windows of count, sum(amount), max(amount); watermark = max event
 * time - 5 s - 1 ms, allowed lateness 10 s, late records to a file. Same output bytes as
 * bench/pipelines/seed001.yaml (row order aside).
 *   seed001 IN OUT LATE
 */
#include "bl.h"

#include <math.h>

#define SIZE 30000
#define OOO 5000
#define LATENESS 10000
#define SLOTS 1024 /* open (status, window) pairs: a few per status */

typedef struct win {
    char status[32];
    size_t slen;
    uint64_t hash;
    int64_t start;   /* INT64_MIN: empty slot */
    int64_t count;
    double total, biggest;
    int fired;
} win;

static win tab[SLOTS];
static int64_t wm = INT64_MIN;

static uint64_t hash(const char *p, size_t n, int64_t start)
{
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)start;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
    return h ^ (h >> 29);
}

static void emit(FILE *out, const win *w)
{
    char line[512], *o = line;
    o += sprintf(o, "{\"status\":\"%.*s\",\"window_start\":\"", (int)w->slen, w->status);
    o += bl_fmt_ts(o, w->start);
    memcpy(o, "\",\"window_end\":\"", 16);
    o += 16;
    o += bl_fmt_ts(o, w->start + SIZE);
    memcpy(o, "\",\"count\":", 10);
    o += 10;
    o += bl_fmt_int(o, w->count);
    memcpy(o, ",\"total\":", 9);
    o += 9;
    o += bl_fmt_float(o, w->total);
    memcpy(o, ",\"biggest\":", 11);
    o += 11;
    o += bl_fmt_float(o, w->biggest);
    *o++ = '}';
    *o++ = '\n';
    fwrite(line, 1, (size_t)(o - line), out);
}

/* Fires every window whose end - 1 <= wm, and forgets those past their lateness. */
static void advance(FILE *out)
{
    for (int i = 0; i < SLOTS; i++) {
        win *w = &tab[i];
        if (w->start != INT64_MIN && !w->fired && w->start + SIZE - 1 <= wm) {
            emit(out, w);
            w->fired = 1;
        }
    }
    /* delete expired windows, then rebuild the probe chains */
    int any = 0;
    for (int i = 0; i < SLOTS; i++)
        if (tab[i].start != INT64_MIN && tab[i].start + SIZE - 1 + LATENESS <= wm) {
            tab[i].start = INT64_MIN;
            any = 1;
        }
    if (any) {
        static win keep[SLOTS];
        int n = 0;
        for (int i = 0; i < SLOTS; i++)
            if (tab[i].start != INT64_MIN) {
                keep[n++] = tab[i];
                tab[i].start = INT64_MIN;
            }
        for (int k = 0; k < n; k++) {
            size_t j = keep[k].hash & (SLOTS - 1);
            while (tab[j].start != INT64_MIN)
                j = (j + 1) & (SLOTS - 1);
            tab[j] = keep[k];
        }
    }
}

/* The smallest x > wm with x = off (mod SIZE): the next watermark at which something fires or expires. */
static int64_t next_form(int64_t w, int64_t off)
{
    int64_t r = ((w - off) % SIZE + SIZE) % SIZE;
    return w - r + SIZE;
}

static void late(FILE *f, const char *c, size_t cn, const char *s, size_t sn, const char *r, size_t rn,
                 double amount, int64_t ts)
{
    char a[32], t[32];
    a[bl_fmt_float(a, amount)] = 0;
    t[bl_fmt_ts(t, ts)] = 0;
    fprintf(f, "{\"customer\":\"%.*s\",\"status\":\"%.*s\",\"region\":\"%.*s\",\"amount\":%s,\"ts\":\"%s\"}\n",
            (int)cn, c, (int)sn, s, (int)rn, r, a, t);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: seed001 IN OUT LATE\n");
        return 2;
    }
    bl_in in;
    bl_open(&in, argv[1]);
    FILE *out = bl_out(argv[2]), *lf = fopen(argv[3], "w");
    if (!lf)
        bl_die(argv[3]);
    for (int i = 0; i < SLOTS; i++)
        tab[i].start = INT64_MIN;
    int64_t max_ts = INT64_MIN, bad = 0, next_fire = INT64_MIN;
    size_t n;
    char *line;
    while ((line = bl_line(&in, &n)) != NULL) {
        const char *c = NULL, *s = NULL, *r = NULL, *a = NULL, *t = NULL;
        size_t cn = 0, sn = 0, rn = 0, an = 0, tn = 0;
        const char *p = line, *e = line + n;
        while (p < e) {
            const char *comma = memchr(p, ',', (size_t)(e - p)), *fe = comma ? comma : e;
            const char *eq = memchr(p, '=', (size_t)(fe - p));
            if (eq) {
                const char *v = eq + 1;
                size_t kn = (size_t)(eq - p), vn = (size_t)(fe - v);
                if (kn == 8 && !memcmp(p, "customer", 8))
                    c = v, cn = vn;
                else if (kn == 6 && !memcmp(p, "status", 6))
                    s = v, sn = vn;
                else if (kn == 6 && !memcmp(p, "region", 6))
                    r = v, rn = vn;
                else if (kn == 6 && !memcmp(p, "amount", 6))
                    a = v, an = vn;
                else if (kn == 2 && !memcmp(p, "ts", 2))
                    t = v, tn = vn;
            }
            p = fe + 1;
        }
        char *end;
        double amount = a ? strtod(a, &end) : 0;
        int64_t ts = t ? bl_parse_ts(t, tn) : -1;
        if (!c || !s || !r || !a || end != a + an || ts < 0 || sn >= sizeof tab[0].status) {
            bad++;
            continue;
        }
        if (!(sn == 9 && !memcmp(s, "CANCELLED", 9))) {
            int64_t start = ts - ((ts % SIZE) + SIZE) % SIZE;
            if (start + SIZE - 1 + LATENESS <= wm) {
                late(lf, c, cn, s, sn, r, rn, amount, ts);
            } else {
                uint64_t h = hash(s, sn, start);
                size_t j = h & (SLOTS - 1);
                win *w;
                for (;; j = (j + 1) & (SLOTS - 1)) {
                    w = &tab[j];
                    if (w->start == INT64_MIN) {
                        memcpy(w->status, s, sn);
                        w->slen = sn;
                        w->hash = h;
                        w->start = start;
                        w->count = 0;
                        w->total = 0;
                        w->biggest = -INFINITY;
                        w->fired = 0;
                        break;
                    }
                    if (w->hash == h && w->start == start && w->slen == sn && !memcmp(w->status, s, sn))
                        break;
                }
                w->count++;
                w->total += amount;
                if (amount > w->biggest)
                    w->biggest = amount;
                if (w->fired || start + SIZE - 1 <= wm) {
                    emit(out, w); /* a late firing: the whole updated result */
                    w->fired = 1;
                }
            }
        }
        /* the watermark advances after the record; windows fire once it passes their end */
        if (ts > max_ts) {
            max_ts = ts;
            if (max_ts - OOO - 1 > wm)
                wm = max_ts - OOO - 1;
            if (wm >= next_fire) {
                advance(out);
                int64_t a1 = next_form(wm, SIZE - 1), a2 = next_form(wm, SIZE - 1 + LATENESS);
                next_fire = a1 < a2 ? a1 : a2;
            }
        }
    }
    wm = INT64_MAX;
    advance(out);
    bl_close(out);
    bl_close(lf);
    if (bad)
        fprintf(stderr, "seed001: %lld bad records\n", (long long)bad);
    return 0;
}
