#ifndef BERTH_CLOCK_H
#define BERTH_CLOCK_H

/* Time for waits and back-off: a monotonic clock, in milliseconds. */
double clock_now_ms(void);

#include "stop.h"

#include <stdbool.h>

#include <time.h>

/* The CLOCK_REALTIME time `ms` milliseconds from now, as
 * pthread_cond_timedwait() takes a deadline. */
struct timespec clock_realtime_in(double ms);

/* The same on CLOCK_MONOTONIC, for a condition variable set to that clock
 * (pthread_condattr_setclock): a wall clock set back does not stretch the
 * wait. */
struct timespec clock_monotonic_in(double ms);

/* Sleep `ms` milliseconds, resuming after a signal. */
void clock_sleep_ms(long ms);

/* Sleep `ms` milliseconds, or less when `stop` is asked for meanwhile (it
 * is looked at every 50 ms; NULL never stops); true when it was. */
bool clock_nap(long ms, const struct stop *stop);

/* A number in [0, 1) that spreads waits (a retry's back-off, a source's
 * interval), so that many agents do not wake together. The one generator
 * of berth: thread-safe, seeded once per thread; not for secrets. */
double clock_jitter(void);

/*
 * Parse an RFC 3339 timestamp ("2006-01-02T15:04:05Z", optional fraction,
 * 'Z' or a numeric offset) into seconds since the epoch (the fraction is
 * dropped). Returns -1 without setting a message when `s` is not one.
 */
int clock_rfc3339_parse(time_t *out, const char *s);

#endif
