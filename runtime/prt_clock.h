/* prt_clock.h — the two clocks the runtime reads, in milliseconds.
 *
 * prt_mono_ms for intervals (progress lines, flushing, rates, idle partitions); prt_wall_ms for
 * event and processing time; prt_sleep_ms for waits. None allocates or fails.
 */
#ifndef PRT_CLOCK_H
#define PRT_CLOCK_H

#include <stdint.h>

int64_t prt_mono_ms(void); /* CLOCK_MONOTONIC */
int64_t prt_wall_ms(void); /* CLOCK_REALTIME: ms since the epoch */
void prt_sleep_ms(int64_t ms); /* nothing for ms <= 0; a signal (a stop) ends the wait early */

#endif
