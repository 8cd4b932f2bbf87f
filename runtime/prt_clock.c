/* prt_clock.c — the monotonic and wall clocks in ms (prt_clock.h). */
#include "prt_clock.h"

#include <time.h>

int64_t prt_mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

void prt_sleep_ms(int64_t ms)
{
    if (ms <= 0)
        return;
    struct timespec t = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL); /* a signal cuts it short, which is what callers want */
}

int64_t prt_wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}
