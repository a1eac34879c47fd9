/* Prometheus metrics: counters, gauges and histograms with labels, in the
 * text exposition format. */
#include "metrics.h"

#include "alloc.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct series {
	const struct metric_family *f;
	char *labels;    /* name="value",... escaped; "" for none */
	double value;    /* a counter's or a gauge's; a histogram's sum */
	double *buckets; /* a histogram's counts per bucket, not cumulative */
	double count;
};

struct metrics {
	pthread_mutex_t lock;
	const struct metric_family *const *families;
	size_t nfamilies;
	struct series *series;
	size_t n, alloc;
};

void metrics_new(struct metrics **out, const struct metric_family *const *families, size_t n)
{
	struct metrics *m = xcalloc(1, sizeof(*m));

	pthread_mutex_init(&m->lock, NULL);
	m->families = families;
	m->nfamilies = n;
	*out = m;
}

void metrics_free(struct metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->n; i++) {
		free(m->series[i].labels);
		free(m->series[i].buckets);
	}
	free(m->series);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* A label value or a help text, escaped as the format wants. */
static void add_escaped(struct buf *out, const char *s, bool quote)
{
	for (; *s; s++)
		if (*s == '\\')
			buf_adds(out, "\\\\");
		else if (*s == '\n')
			buf_adds(out, "\\n");
		else if (*s == '"' && quote)
			buf_adds(out, "\\\"");
		else
			buf_addch(out, *s);
}

static struct series *series_at(struct metrics *m, const struct metric_family *f,
                                const char *labels)
{
	struct series *s;
	size_t i;

	for (i = 0; i < m->n; i++)
		if (m->series[i].f == f && !strcmp(m->series[i].labels, labels))
			return &m->series[i];
	m->series = xgrow(m->series, sizeof(*m->series), m->n + 1, &m->alloc);
	s = &m->series[m->n++];
	memset(s, 0, sizeof(*s));
	s->f = f;
	s->labels = xstrdup(labels);
	if (f->type == METRIC_HISTOGRAM)
		s->buckets = xcalloc(f->nbuckets + 1, sizeof(*s->buckets));
	return s;
}

void metrics_record(struct metrics *m, const struct metric_family *f, double v, ...)
{
	struct buf labels = BUF_INIT;
	struct series *s;
	const char *name;
	va_list ap;
	size_t i;

	va_start(ap, v);
	while ((name = va_arg(ap, const char *))) {
		buf_addf(&labels, "%s%s=\"", labels.len ? "," : "", name);
		add_escaped(&labels, va_arg(ap, const char *), true);
		buf_addch(&labels, '"');
	}
	va_end(ap);
	pthread_mutex_lock(&m->lock);
	s = series_at(m, f, labels.ptr);
	switch (f->type) {
	case METRIC_COUNTER:
		s->value += v;
		break;
	case METRIC_GAUGE:
		s->value = v;
		break;
	case METRIC_HISTOGRAM:
		for (i = 0; i < f->nbuckets && v > f->buckets[i]; i++)
			;
		s->buckets[i]++;
		s->value += v;
		s->count++;
		break;
	}
	pthread_mutex_unlock(&m->lock);
	buf_release(&labels);
}

void metrics_forget(struct metrics *m, const char *name, const char *value)
{
	struct buf label = BUF_INIT;
	size_t i, kept = 0;

	buf_addf(&label, "%s=\"", name);
	add_escaped(&label, value, true);
	buf_addch(&label, '"');
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n; i++) {
		struct series *s = &m->series[i];

		if (!strncmp(s->labels, label.ptr, label.len) &&
		    (!s->labels[label.len] || s->labels[label.len] == ',')) {
			free(s->labels);
			free(s->buckets);
			continue;
		}
		m->series[kept++] = *s;
	}
	m->n = kept;
	pthread_mutex_unlock(&m->lock);
	buf_release(&label);
}

/* name{labels[,extra]} value */
static void sample(struct buf *out, const char *name, const char *suffix, const char *labels,
                   const char *extra, double v)
{
	const char *sep = *labels && extra ? "," : "";

	buf_addf(out, "%s%s", name, suffix);
	if (*labels || extra)
		buf_addf(out, "{%s%s%s}", labels, sep, extra ? extra : "");
	buf_addf(out, " %.17g\n", v);
}

void metrics_write(struct buf *out, struct metrics *m)
{
	static const char *const types[] = {"counter", "gauge", "histogram"};
	size_t i, j, k;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nfamilies; i++) {
		const struct metric_family *f = m->families[i];

		buf_addf(out, "# HELP %s ", f->name);
		add_escaped(out, f->help, false);
		buf_addf(out, "\n# TYPE %s %s\n", f->name, types[f->type]);
		for (j = 0; j < m->n; j++) {
			const struct series *s = &m->series[j];
			double cumulative = 0;
			char le[48];

			if (s->f != f)
				continue;
			if (f->type != METRIC_HISTOGRAM) {
				sample(out, f->name, "", s->labels, NULL, s->value);
				continue;
			}
			for (k = 0; k <= f->nbuckets; k++) {
				cumulative += s->buckets[k];
				if (k < f->nbuckets)
					snprintf(le, sizeof(le), "le=\"%g\"", f->buckets[k]);
				else
					snprintf(le, sizeof(le), "le=\"+Inf\"");
				sample(out, f->name, "_bucket", s->labels, le, cumulative);
			}
			sample(out, f->name, "_sum", s->labels, NULL, s->value);
			sample(out, f->name, "_count", s->labels, NULL, s->count);
		}
	}
	pthread_mutex_unlock(&m->lock);
}
