/* The per-thread error message and its context prefixes. */
#include "berth_error.h"

#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A fixed buffer: setting an error never allocates, so it cannot fail and
 * never leaks at thread exit. Long messages are cut at its size. */
static _Thread_local char message[4096];

int berth_error_set(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	return BERTH_ERROR;
}

/* Append `s` at message[*len], cutting it where the buffer ends. */
static void append(size_t *len, const char *s)
{
	size_t n = strlen(s);

	if (n > sizeof(message) - 1 - *len)
		n = sizeof(message) - 1 - *len;
	memcpy(message + *len, s, n);
	*len += n;
	message[*len] = '\0';
}

int berth_error_prefix(int error, const char *fmt, ...)
{
	char old[sizeof(message)];
	va_list ap;
	size_t len;

	memcpy(old, message, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	len = strlen(message);
	append(&len, ": ");
	append(&len, old[0] ? old : "unknown error");
	return error;
}

const char *berth_error_last(void)
{
	return message[0] ? message : "unknown error";
}

void berth_error_clear(void)
{
	message[0] = '\0';
}

void berth_assert_fail(const char *file, int line, const char *expr)
{
	fprintf(stderr, "BUG: %s:%d: assertion failed: %s\n", file, line, expr);
	abort();
}

void berth_error_print(void)
{
	const char *line = berth_error_last(), *end;
	struct buf out = BUF_INIT, one = BUF_INIT;

	buf_adds(&out, "error: ");
	for (; *line; line = *end ? end + 1 : end) {
		end = line + strcspn(line, "\n");
		buf_reset(&one);
		buf_add(&one, line, (size_t)(end - line));
		buf_add_printable(&out, one.ptr, NULL);
		buf_addch(&out, '\n');
	}
	fputs(out.ptr, stderr);
	buf_release(&out);
	buf_release(&one);
}
