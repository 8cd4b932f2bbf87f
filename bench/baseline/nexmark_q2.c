/* nexmark_q2.c — Nexmark q2 by hand: auction and price of the bids on every 123rd auction.
 *   nexmark_q2 BID_CSV OUT */
#include "bid.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        return fprintf(stderr, "usage: nexmark_q2 BID_CSV OUT\n"), 2;
    bl_in in;
    bl_open(&in, argv[1]);
    FILE *out = bl_out(argv[2]);
    char *line, o[64];
    size_t n;
    long long bad = 0;
    while ((line = bl_line(&in, &n)) != NULL) {
        bid b;
        if (!bid_parse(&b, line, n)) {
            bad++;
            continue;
        }
        if (b.auction % 123 != 0)
            continue;
        char *w = o;
        w += bl_fmt_int(w, b.auction);
        *w++ = ',';
        w += bl_fmt_int(w, b.price);
        *w++ = '\n';
        fwrite(o, 1, (size_t)(w - o), out);
    }
    bl_close(out);
    if (bad)
        fprintf(stderr, "nexmark_q2: %lld bad records\n", bad);
    return 0;
}
