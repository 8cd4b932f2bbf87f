/* nexmark_q7.c — Nexmark q7 by hand: the highest price and the bid count of each 10 s tumbling
 * event-time window; watermark = max event time - 1 s - 1 ms, a window fires when it passes
 * the window's end - 1 (bids late for a fired window are dropped, as with no lateness).
 *   nexmark_q7 BID_CSV OUT */
#include "bid.h"

#define SIZE 10000
#define OOO 1000
#define MAXW 64 /* open windows at once: the watermark trails by 1 s */

typedef struct win {
    int64_t start, max_price, bids;
} win;

static void emit(FILE *out, const win *w)
{
    char o[64], *p = o;
    p += bl_fmt_ts(p, w->start + SIZE);
    *p++ = ',';
    p += bl_fmt_int(p, w->max_price);
    *p++ = ',';
    p += bl_fmt_int(p, w->bids);
    *p++ = '\n';
    fwrite(o, 1, (size_t)(p - o), out);
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return fprintf(stderr, "usage: nexmark_q7 BID_CSV OUT\n"), 2;
    bl_in in;
    bl_open(&in, argv[1]);
    FILE *out = bl_out(argv[2]);
    win open[MAXW]; /* sorted by start */
    int nopen = 0;
    int64_t max_ts = INT64_MIN, wm = INT64_MIN;
    char *line;
    size_t n;
    long long bad = 0, late = 0;
    while ((line = bl_line(&in, &n)) != NULL) {
        bid b;
        if (!bid_parse(&b, line, n)) {
            bad++;
            continue;
        }
        int64_t start = b.date_time - ((b.date_time % SIZE) + SIZE) % SIZE;
        if (start + SIZE - 1 <= wm) {
            late++;
        } else {
            int i = 0;
            while (i < nopen && open[i].start < start)
                i++;
            if (i == nopen || open[i].start != start) {
                if (nopen == MAXW) {
                    bad++;
                    continue;
                }
                memmove(&open[i + 1], &open[i], sizeof *open * (size_t)(nopen - i));
                open[i] = (win){ start, b.price, 0 };
                nopen++;
            }
            if (b.price > open[i].max_price)
                open[i].max_price = b.price;
            open[i].bids++;
        }
        if (b.date_time > max_ts) {
            max_ts = b.date_time;
            wm = max_ts - OOO - 1;
            int fired = 0;
            while (fired < nopen && open[fired].start + SIZE - 1 <= wm)
                emit(out, &open[fired++]);
            if (fired) {
                memmove(open, open + fired, sizeof *open * (size_t)(nopen - fired));
                nopen -= fired;
            }
        }
    }
    for (int i = 0; i < nopen; i++)
        emit(out, &open[i]);
    bl_close(out);
    if (bad || late)
        fprintf(stderr, "nexmark_q7: %lld bad, %lld late records\n", bad, late);
    return 0;
}
