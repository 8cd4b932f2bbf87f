/* nexmark_q1.c — Nexmark q1 by hand: auction, bidder, price * 0.908 (euros), date_time.
 *   nexmark_q1 BID_CSV OUT */
#include "bid.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        return fprintf(stderr, "usage: nexmark_q1 BID_CSV OUT\n"), 2;
    bl_in in;
    bl_open(&in, argv[1]);
    FILE *out = bl_out(argv[2]);
    char *line, o[256];
    size_t n;
    long long bad = 0;
    while ((line = bl_line(&in, &n)) != NULL) {
        bid b;
        if (!bid_parse(&b, line, n)) {
            bad++;
            continue;
        }
        char *w = o;
        w += bl_fmt_int(w, b.auction);
        *w++ = ',';
        w += bl_fmt_int(w, b.bidder);
        *w++ = ',';
        w += bl_fmt_float(w, (double)b.price * 0.908);
        *w++ = ',';
        w += bl_fmt_ts(w, b.date_time);
        *w++ = '\n';
        fwrite(o, 1, (size_t)(w - o), out);
    }
    bl_close(out);
    if (bad)
        fprintf(stderr, "nexmark_q1: %lld bad records\n", bad);
    return 0;
}
