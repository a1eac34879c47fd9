/* Durations and sizes as a user writes them. */
#include "units.h"

#include "alloc.h"
#include "berth_error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int parse_duration(long *ms, const char *s)
{
	static const struct {
		const char *unit;
		long ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"", 1000}};
	char *end;
	double v = strtod(s, &end);
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (end != s && v >= 0 && !strcmp(end, units[i].unit)) {
			*ms = (long)(v * (double)units[i].ms);
			return 0;
		}
	return berth_error_set("invalid duration '%s' (use 30s, 5m, 1h)", s);
}

int parse_size(size_t *out, const char *s)
{
	static const struct {
		const char *unit;
		unsigned shift;
	} units[] = {{"", 0}, {"Ki", 10}, {"Mi", 20}, {"Gi", 30}};
	char *end;
	unsigned long long v;
	size_t i;

	if (*s < '0' || *s > '9')
		return berth_error_set("invalid size '%s' (use bytes, or 500Ki, 64Mi, 1Gi)", s);
	v = strtoull(s, &end, 10);
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit) && v > 0 && v <= (SIZE_MAX >> units[i].shift)) {
			*out = (size_t)v << units[i].shift;
			return 0;
		}
	return berth_error_set("invalid size '%s' (use bytes, or 500Ki, 64Mi, 1Gi)", s);
}
