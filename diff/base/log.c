/* berth run's log: one logfmt or JSON line per event, written whole. */
#include "log.h"

#include "buf.h"

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

bool log_debug_enabled(void)
{
	return log_debug;
}

/* json-c escapes C0, but leaves DEL, C1 and bytes that are no UTF-8 as
 * they are: they become \u007f, \u0080 to \u009f and \ufffd here. In
 * JSON text they can only be inside strings. */
static void json_printable(struct buf *out, const char *json)
{
	const char *p;
	size_t n;

	for (p = json; *p; p += n ? n : 1) {
		n = utf8_char(p);
		if (!n)
			buf_adds(out, "\\ufffd");
		else if (*p == 0x7f)
			buf_adds(out, "\\u007f");
		else if ((unsigned char)p[0] == 0xc2 && (unsigned char)p[1] < 0xa0)
			buf_addf(out, "\\u%04x", (unsigned char)p[1]);
		else
			buf_add(out, p, n);
	}
}

void log_fields(const char *level, const char *msg, struct json_object *fields)
{
	struct json_object *o = json_object_new_object();
	struct buf line = BUF_INIT, value = BUF_INIT;
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
		json_printable(&line,
		               json_object_to_json_string_ext(
		                   o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	} else {
		json_object_object_foreach(o, key, val)
		{
			const char *s = json_object_get_string(val);

			buf_reset(&value);
			buf_add_printable(&value, s, "\"\\");
			buf_addf(&line, "%s%s=", line.len ? " " : "", key);
			/* Quoted when anything was escaped, as Go's strconv.Quote. */
			if (*s && value.len == strlen(s) && !strpbrk(s, " ="))
				buf_adds(&line, s);
			else
				buf_addf(&line, "\"%s\"", value.ptr);
		}
	}
	fprintf(stderr, "%s\n", line.ptr);
	fflush(stderr);
	buf_release(&line);
	buf_release(&value);
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
