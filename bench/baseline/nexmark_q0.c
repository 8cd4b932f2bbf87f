/* nexmark_q0.c — Nexmark q0 by hand: every bid parsed and written back as csv.
 *   nexmark_q0 BID_CSV OUT */
#include "bid.h"

int main(int argc, char **argv)
{
    if (argc != 3)
        return fprintf(stderr, "usage: nexmark_q0 BID_CSV OUT\n"), 2;
    bl_in in;
    bl_open(&in, argv[1]);
    FILE *out = bl_out(argv[2]);
    char *line, o[4096];
    size_t n;
    long long bad = 0;
    while ((line = bl_line(&in, &n)) != NULL) {
        bid b;
        if (!bid_parse(&b, line, n) || b.url_n + b.channel_n + b.extra_n > 3000) {
            bad++;
            continue;
        }
        char *w = o;
        w += bl_fmt_int(w, b.auction);
        *w++ = ',';
        w += bl_fmt_int(w, b.bidder);
        *w++ = ',';
        w += bl_fmt_int(w, b.price);
        *w++ = ',';
        memcpy(w, b.channel, b.channel_n), w += b.channel_n;
        *w++ = ',';
        memcpy(w, b.url, b.url_n), w += b.url_n;
        *w++ = ',';
        w += bl_fmt_ts(w, b.date_time);
        *w++ = ',';
        memcpy(w, b.extra, b.extra_n), w += b.extra_n;
        *w++ = '\n';
        fwrite(o, 1, (size_t)(w - o), out);
    }
    bl_close(out);
    if (bad)
        fprintf(stderr, "nexmark_q0: %lld bad records\n", bad);
    return 0;
}
