/* berth run's log: one logfmt or JSON line per event, written whole. */
#include "log.h"

#include "../diff/base/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static bool log_json, log_debug;

void log_set_json(bool json)
{
	log_json = json;
}

void log_set_debug(bool debug)
{
	log_debug = debug;
}

void log_fields(const char *level, const char *msg, struct json_object *fields)
{
	struct json_object *o = json_object_new_object();
	struct buf line = BUF_INIT;
	char now[40];
	struct timespec ts;
	struct tm tm;
	size_t n;

	if (!log_debug && !strcmp(level, "debug")) {
		json_object_put(fields);
		json_object_put(o);
		return;
	}
	/* RFC 3339 in UTC, to the millisecond. */
	clock_gettime(CLOCK_REALTIME, &ts);
	n = strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%S", gmtime_r(&ts.tv_sec, &tm));
	snprintf(now + n, sizeof(now) - n, ".%03ldZ", ts.tv_nsec / 1000000);
	json_object_object_add(o, "time", json_object_new_string(now));
	json_object_object_add(o, "level", json_object_new_string(level));
	json_object_object_add(o, "msg", json_object_new_string(msg));
	json_object_object_foreach(fields, k, v) json_object_object_add(o, k, json_object_get(v));
	json_object_put(fields);
	if (log_json) {
		buf_adds(&line, json_object_to_json_string_ext(
		                    o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		json_object_object_foreach(o, key, val)
		{
			const char *s = json_object_get_string(val);

			buf_addf(&line, "%s%s=", line.len ? " " : "", key);
			if (*s && !s[strcspn(s, " \"=\\\n\t")]) {
				buf_adds(&line, s);
			} else {
				/* Quoted, as Go's strconv.Quote does for the common cases. */
				buf_addch(&line, '"');
				for (; *s; s++)
					if (*s == '"' || *s == '\\')
						buf_addf(&line, "\\%c", *s);
					else if (*s == '\n')
						buf_adds(&line, "\\n");
					else
						buf_addch(&line, *s);
				buf_addch(&line, '"');
			}
		}
	}
	fprintf(stderr, "%s\n", line.ptr);
	fflush(stderr);
	buf_release(&line);
	json_object_put(o);
}

void log_line(const char *level, const char *msg, ...)
{
	struct json_object *fields = json_object_new_object();
	const char *k, *v;
	va_list ap;

	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) && (v = va_arg(ap, const char *)))
		json_object_object_add(fields, k, json_object_new_string(v));
	va_end(ap);
	log_fields(level, msg, fields);
}
