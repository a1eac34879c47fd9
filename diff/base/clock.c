/* A monotonic clock for waits, and the jitter that spreads them. */
#include "clock.h"

#include <stdint.h>
#include <time.h>

double clock_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

struct timespec clock_realtime_in(double ms)
{
	struct timespec ts;
	double at;

	clock_gettime(CLOCK_REALTIME, &ts);
	at = (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6 + ms;
	ts.tv_sec = (time_t)(at / 1000);
	ts.tv_nsec = (long)((at - (double)ts.tv_sec * 1000) * 1e6);
	return ts;
}

void clock_sleep_ms(long ms)
{
	struct timespec t = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&t, &t) < 0)
		;
}

bool clock_nap(long ms, const struct stop *stop)
{
	double until = clock_now_ms() + (double)ms, left;

	while (!stop_requested(stop) && (left = until - clock_now_ms()) > 0)
		clock_sleep_ms(left < 50 ? (long)left + 1 : 50);
	return stop_requested(stop) != 0;
}

/* splitmix64: small and good enough to spread waits. */
static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

double clock_jitter(void)
{
	static _Thread_local uint64_t state;
	static _Thread_local int seeded;

	if (!seeded) {
		struct timespec t;

		clock_gettime(CLOCK_REALTIME, &t);
		state = (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
		state ^= (uint64_t)(uintptr_t)&state; /* differs per thread */
		seeded = 1;
	}
	return (double)(splitmix64(&state) >> 11) / 9007199254740992.0; /* 2^53 */
}
