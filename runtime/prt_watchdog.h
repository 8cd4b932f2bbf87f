/* prt_watchdog.h — a deadline for a blocking library call that cannot time out by itself
 * (librdkafka 2.0's send_offsets_to_transaction waits forever while the group coordinator is
 * down: confluentinc/librdkafka#5456). Armed before the call, disarmed after it; if the deadline
 * passes first, the watchdog's thread writes the message (one line) on stderr and ends the
 * process with _exit(1): a clear failure instead of a hang, safe because everything the job
 * made visible is already durable and a restart resumes from the last committed checkpoint.
 *
 * Ownership: prt_watchdog_arm returns a watchdog the caller must disarm (which frees it).
 */
#ifndef PRT_WATCHDOG_H
#define PRT_WATCHDOG_H

#include <stdint.h>

typedef struct prt_watchdog prt_watchdog;

/* msg is copied; NULL when the thread could not be started (the call is then unguarded) */
prt_watchdog *prt_watchdog_arm(int64_t ms, const char *msg);
void prt_watchdog_disarm(prt_watchdog *w); /* NULL is fine */

#endif
