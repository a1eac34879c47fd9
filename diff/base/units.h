#ifndef BERTH_UNITS_H
#define BERTH_UNITS_H

#include <stddef.h>

/* Durations and sizes as a user writes them, in options and config. */

/* "30s", "5m", "1h", "500ms" or plain seconds, as Go durations read. */
int parse_duration(long *ms, const char *s);

/* A size: bytes, or with Ki, Mi or Gi. */
int parse_size(size_t *out, const char *s);

#endif
