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

static struct timespec clock_in(clockid_t clock, double ms)
{
	struct timespec ts;
	double at;

	clock_gettime(clock, &ts);
	at = (double)ts.tv_sec * 1000 + (double)ts.tv_nsec / 1e6 + ms;
	ts.tv_sec = (time_t)(at / 1000);
	ts.tv_nsec = (long)((at - (double)ts.tv_sec * 1000) * 1e6);
	return ts;
}

struct timespec clock_realtime_in(double ms)
{
	return clock_in(CLOCK_REALTIME, ms);
}

struct timespec clock_monotonic_in(double ms)
{
	return clock_in(CLOCK_MONOTONIC, ms);
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

/* `n` decimal digits at *s, advancing it; -1 when they are not there. */
static int digits(const char **s, int n)
{
	int v = 0;

	while (n--) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	return v;
}

static int expect(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

int clock_rfc3339_parse(time_t *out, const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct tm tm = {0};
	int year, mon, day, hour, min, sec, offset = 0;
	time_t t;

	if ((year = digits(&s, 4)) < 0 || expect(&s, '-') || (mon = digits(&s, 2)) < 0 ||
	    expect(&s, '-') || (day = digits(&s, 2)) < 0 || expect(&s, 'T') ||
	    (hour = digits(&s, 2)) < 0 || expect(&s, ':') || (min = digits(&s, 2)) < 0 ||
	    expect(&s, ':') || (sec = digits(&s, 2)) < 0)
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour > 23 || min > 59 ||
	    sec > 60)
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;
		if ((oh = digits(&s, 2)) < 0 || expect(&s, ':') || (om = digits(&s, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*s)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 && (year != 1969 || mon != 12 || day != 31))
		return -1;
	*out = t - offset;
	return 0;
}
