#ifndef BERTH_DIAGNOSTICS_H
#define BERTH_DIAGNOSTICS_H

#include "buf.h"

#include <stddef.h>

/*
 * Many problems at once, each at a place in a file: what a load or a check
 * finds, all of it, where berth_error_set() holds the one failure of a call
 * (berth_error.h says when to use which).
 */

/* A problem with the input, at a place in a file. */
struct diagnostic {
	char *file;
	size_t line, column; /* 0 when the problem is the file as a whole */
	char *message;
};

/* Problems, in the order found. Embedded by value: DIAGNOSTICS_INIT, then
 * diagnostics_release(). The strings are owned. */
struct diagnostics {
	struct diagnostic *items;
	size_t n, alloc;
};
#define DIAGNOSTICS_INIT                                                                           \
	{                                                                                          \
		.items = NULL, .n = 0, .alloc = 0                                                  \
	}
void diagnostics_add(struct diagnostics *d, const char *file, size_t line, size_t column,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Copy the problems [first, end) of `from` (end past its last: to its
 * last) to the end of `to`. */
void diagnostics_copy(struct diagnostics *to, const struct diagnostics *from, size_t first,
                      size_t end);

/* Move every problem of `from` to the end of `to`; `from` is left empty. */
void diagnostics_take(struct diagnostics *to, struct diagnostics *from);

/* Append "file:line:column: message" lines, one per problem, the first
 * DIAGNOSTICS_SHOWN of them, then "... and N more". The file and the
 * message are printable (buf_add_printable): a line break in them is
 * "\n", never a line of its own. */
#define DIAGNOSTICS_SHOWN 100
void diagnostics_format(struct buf *out, const struct diagnostics *d);
/* The same, each file under the folder `root` (NULL: none) named by its
 * path in it (diagnostics_path_in): a Git checkout's files by their path
 * in the repository. */
void diagnostics_format_in(struct buf *out, const struct diagnostics *d, const char *root);

/* `file` less `root` (NULL: none) and a '/' when it starts with them, else
 * as it is (a pointer into `file`). */
const char *diagnostics_path_in(const char *file, const char *root);
void diagnostics_release(struct diagnostics *d);

#endif
