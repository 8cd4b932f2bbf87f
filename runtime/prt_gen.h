/* prt_gen.h — synthetic record generators for demos, tests and benchmarks.
 *
 * Deterministic: the same (kind, seed, start, step, disorder) gives the same records, byte for
 * byte, on every machine. Records come out as text lines in the requested format, exactly as a
 * file or Kafka topic would hold them, so they take the normal parsing path.
 *
 * Kinds and their fields (in this order; the table is prt_gen_schema.def, shared with the compiler):
 *   orders           customer string, status string, region string, amount float, ts timestamp
 *                    (seed 001: customer=customer-042,status=SHIPPED,region=eu-west,amount=88.40,ts=…)
 *   nexmark_person   id int, name string, email string, credit_card string, city string,
 *                    state string, date_time timestamp, extra string
 *   nexmark_auction  id int, item_name string, description string, initial_bid int, reserve int,
 *                    date_time timestamp, expires timestamp, seller int, category int, extra string
 *   nexmark_bid      auction int, bidder int, price int, channel string, url string,
 *                    date_time timestamp, extra string
 */
#ifndef PRT_GEN_H
#define PRT_GEN_H

#include "prt_core.h"

typedef struct prt_gen prt_gen;

typedef struct prt_gen_spec {
    const char *kind;     /* see above */
    const char *format;   /* "kv" | "json" | "csv" (csv: no header, fields in the order above) */
    uint64_t seed;
    int64_t start_ms;     /* event time of the first record */
    int64_t step_ms;      /* event-time distance between consecutive records (>= 0) */
    int64_t disorder_ms;  /* each event time is moved back by a seeded random 0..disorder_ms */
    /* > 0, Nexmark kinds only: event times follow Nexmark's one event stream instead of step_ms,
     * in which every epoch of 50 events holds 1 person, then 3 auctions, then 46 bids, and event
     * number n happens at start_ms + n * event_step_us / 1000 (1e6 / the events-per-second rate).
     * Generators of the three kinds with one spec then write one consistent Nexmark stream. */
    int64_t event_step_us;
} prt_gen_spec;

/* The number of a kind's record i in Nexmark's one event stream (see event_step_us); -1 for
 * kinds that are not Nexmark's. */
int64_t prt_gen_nexmark_event(const char *kind, int64_t i);

/* NULL (and e) for an unknown kind or format. The result is owned by the caller. */
prt_gen *prt_gen_new(const prt_gen_spec *spec, prt_err *e);
/* Writes the next record into line (cleared first) and its event time into *ts. */
void prt_gen_next(prt_gen *g, prt_buf *line, int64_t *ts);
uint64_t prt_gen_count(const prt_gen *g); /* records generated so far */
void prt_gen_free(prt_gen *g);

/* Field names of a kind, NULL-terminated (for checks and docs); NULL for an unknown kind. */
const char *const *prt_gen_fields(const char *kind);

#endif
