/* A usage mistake, as every verb reports it. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>

int usage_error(const char *verb, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nrun 'berth help %s' for usage\n", verb);
	return EXIT_ERROR;
}
