/* prt_clock.h — the two clocks the runtime reads, in milliseconds.
 *
 * prt_mono_ms for intervals (progress lines, flushing, rates, idle partitions); prt_wall_ms for
 * event and processing time. Neither allocates nor fails.
 */
#ifndef PRT_CLOCK_H
#define PRT_CLOCK_H

#include <stdint.h>

int64_t prt_mono_ms(void); /* CLOCK_MONOTONIC */
int64_t prt_wall_ms(void); /* CLOCK_REALTIME: ms since the epoch */

#endif
