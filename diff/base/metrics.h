#ifndef BERTH_METRICS_H
#define BERTH_METRICS_H

#include "buf.h"

#include <stddef.h>

/*
 * Metrics in the Prometheus text format (version 0.0.4): counters, gauges
 * and histograms, each series named by its labels. Thread-safe: berth run
 * records on its loop, the HTTP server writes them out on its own thread.
 */
enum metric_type {
	METRIC_COUNTER,
	METRIC_GAUGE,
	METRIC_HISTOGRAM,
};

/* A metric's definition, static: the registry keeps the pointer. */
struct metric_family {
	const char *name, *help;
	enum metric_type type;
	const double *buckets; /* a histogram's upper bounds, ascending, without +Inf */
	size_t nbuckets;
};

struct metrics;

/* A registry of `families` (borrowed, written out in this order). */
void metrics_new(struct metrics **out, const struct metric_family *const *families, size_t n);
void metrics_free(struct metrics *m);

/*
 * Record `v` in the series of family `f` with the labels given as name,
 * value pairs ending with NULL: a counter adds it, a gauge takes it, a
 * histogram observes it.
 */
void metrics_record(struct metrics *m, const struct metric_family *f, double v, ...)
    __attribute__((sentinel));

/* Drop every series whose first label is `name` with `value`: those of a
 * source no longer followed. */
void metrics_forget(struct metrics *m, const char *name, const char *value);

/* Append every family and series to `out`, in the text format. */
void metrics_write(struct buf *out, struct metrics *m);

#endif
