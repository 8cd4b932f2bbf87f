/* bid.h — a Nexmark bid parsed from bench/tools/gen's csv (no quoting in that data):
 * auction,bidder,price,channel,url,date_time,extra. Shared by the q0/q1/q2/q7 peers. */
#ifndef BL_BID_H
#define BL_BID_H

#include "bl.h"

typedef struct bid {
    int64_t auction, bidder, price, date_time;
    const char *channel, *url, *extra;
    size_t channel_n, url_n, extra_n;
} bid;

/* Splits a line into its 7 fields; 0 when it is not a valid bid. */
static inline int bid_parse(bid *b, const char *p, size_t n)
{
    const char *f[7];
    size_t fn[7];
    const char *e = p + n;
    for (int i = 0; i < 7; i++) {
        const char *c = i < 6 ? memchr(p, ',', (size_t)(e - p)) : e;
        if (!c)
            return 0;
        f[i] = p;
        fn[i] = (size_t)(c - p);
        p = c + 1;
    }
    b->auction = bl_parse_uint(f[0], fn[0]);
    b->bidder = bl_parse_uint(f[1], fn[1]);
    b->price = bl_parse_uint(f[2], fn[2]);
    b->date_time = bl_parse_ts(f[5], fn[5]);
    b->channel = f[3], b->channel_n = fn[3];
    b->url = f[4], b->url_n = fn[4];
    b->extra = f[6], b->extra_n = fn[6];
    return b->auction >= 0 && b->bidder >= 0 && b->price >= 0 && b->date_time >= 0;
}

#endif
