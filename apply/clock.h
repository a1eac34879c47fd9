#ifndef BERTH_CLOCK_H
#define BERTH_CLOCK_H

/* Time for waits and back-off: a monotonic clock, in milliseconds. */
double clock_now_ms(void);

/* Sleep `ms` milliseconds, resuming after a signal. */
void clock_sleep_ms(long ms);

#endif
