/* Many problems at once, each at its file:line:column. */
#include "diagnostics.h"

#include "alloc.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void diagnostics_add(struct diagnostics *d, const char *file, size_t line, size_t column,
                     const char *fmt, ...)
{
	struct diagnostic *x;
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	d->items = xgrow(d->items, sizeof(*d->items), d->n + 1, &d->alloc);
	x = &d->items[d->n++];
	x->file = xstrdup(file);
	x->line = line;
	x->column = column;
	x->message = buf_detach(&msg, NULL);
}

void diagnostics_copy(struct diagnostics *to, const struct diagnostics *from, size_t first,
                      size_t end)
{
	size_t i;

	for (i = first; i < end && i < from->n; i++)
		diagnostics_add(to, from->items[i].file, from->items[i].line, from->items[i].column,
		                "%s", from->items[i].message);
}

void diagnostics_take(struct diagnostics *to, struct diagnostics *from)
{
	if (from->n) {
		to->items = xgrow(to->items, sizeof(*to->items), to->n + from->n, &to->alloc);
		memcpy(to->items + to->n, from->items, from->n * sizeof(*from->items));
		to->n += from->n;
	}
	free(from->items);
	*from = (struct diagnostics)DIAGNOSTICS_INIT;
}

void diagnostics_format(struct buf *out, const struct diagnostics *d)
{
	diagnostics_format_in(out, d, NULL);
}

const char *diagnostics_path_in(const char *file, const char *root)
{
	size_t n = root ? strlen(root) : 0;

	return n && !strncmp(file, root, n) && file[n] == '/' ? file + n + 1 : file;
}

void diagnostics_format_in(struct buf *out, const struct diagnostics *d, const char *root)
{
	size_t i;

	for (i = 0; i < d->n && i < DIAGNOSTICS_SHOWN; i++) {
		const struct diagnostic *x = &d->items[i];

		/* One line each, whatever a file's name holds. */
		buf_add_printable(out, diagnostics_path_in(x->file, root), NULL);
		if (x->line)
			buf_addf(out, ":%zu:%zu", x->line, x->column);
		buf_adds(out, ": ");
		buf_add_printable(out, x->message, NULL);
		buf_addch(out, '\n');
	}
	if (d->n > DIAGNOSTICS_SHOWN)
		buf_addf(out, "... and %zu more\n", d->n - DIAGNOSTICS_SHOWN);
}

void diagnostics_release(struct diagnostics *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	*d = (struct diagnostics)DIAGNOSTICS_INIT;
}
