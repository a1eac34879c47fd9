/* Growable byte buffers, and the capped read of a file. */
#include "buf.h"

#include "alloc.h"
#include "berth_error.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

char buf__empty[1];

void buf_init(struct buf *b)
{
	b->ptr = buf__empty;
	b->len = 0;
	b->alloc = 0;
}

void buf_release(struct buf *b)
{
	if (b->alloc)
		free(b->ptr);
	buf_init(b);
}

void buf_release_secret(struct buf *b)
{
	volatile char *v = b->ptr;
	size_t i;

	if (b->alloc)
		for (i = 0; i < b->len; i++)
			v[i] = '\0';
	buf_release(b);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->alloc)
		b->ptr[0] = '\0';
}

void buf_grow(struct buf *b, size_t extra)
{
	size_t want;

	BERTH_ASSERT(extra < (size_t)-1 - b->len - 1);
	want = b->len + extra + 1;
	if (want <= b->alloc)
		return;
	b->ptr = xgrow(b->alloc ? b->ptr : NULL, 1, want, &b->alloc);
	if (b->len == 0)
		b->ptr[0] = '\0';
}

void buf_add(struct buf *b, const void *data, size_t len)
{
	buf_grow(b, len);
	memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
}

void buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_addch(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->ptr + b->len, b->alloc ? b->alloc - b->len : 0, fmt, cp);
	va_end(cp);
	BERTH_ASSERT(n >= 0);
	if ((size_t)n >= (b->alloc ? b->alloc - b->len : 0)) {
		buf_grow(b, (size_t)n);
		n = vsnprintf(b->ptr + b->len, b->alloc - b->len, fmt, ap);
		BERTH_ASSERT(n >= 0);
	}
	b->len += (size_t)n;
}

void buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(b, fmt, ap);
	va_end(ap);
}

char *buf_detach(struct buf *b, size_t *len)
{
	char *p;

	if (!b->alloc)
		buf_grow(b, 0);
	p = b->ptr;
	if (len)
		*len = b->len;
	buf_init(b);
	return p;
}

bool has_control_chars(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f)
			return true;
	return false;
}

size_t utf8_char(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	if (*p < 0x80)
		return 1;
	if (*p < 0xc2 || *p > 0xf4)
		return 0;
	n = *p < 0xe0 ? 2 : *p < 0xf0 ? 3 : 4;
	for (i = 1; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	if ((*p == 0xe0 && p[1] < 0xa0) || (*p == 0xed && p[1] > 0x9f) ||
	    (*p == 0xf0 && p[1] < 0x90) || (*p == 0xf4 && p[1] > 0x8f))
		return 0;
	return n;
}

void buf_add_printable(struct buf *b, const char *s, const char *also)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n, i;

	while (*p) {
		n = utf8_char((const char *)p);
		if (*p == '\n' || *p == '\r' || *p == '\t') {
			buf_addch(b, '\\');
			buf_addch(b, *p == '\n' ? 'n' : *p == '\r' ? 'r' : 't');
		} else if (!n || *p < 0x20 || *p == 0x7f || (*p == 0xc2 && p[1] < 0xa0)) {
			/* C0, DEL, C1 (U+0080 to U+009F), or no UTF-8 */
			for (i = 0; i < (n ? n : 1); i++) {
				buf_adds(b, "\\x");
				buf_addch(b, hex[p[i] >> 4]);
				buf_addch(b, hex[p[i] & 0xf]);
			}
		} else if (also && strchr(also, *p)) {
			buf_addch(b, '\\');
			buf_addch(b, (char)*p);
		} else {
			buf_add(b, p, n);
		}
		p += n ? n : 1;
	}
}

size_t utf8_fit(const char *s, size_t len, size_t max)
{
	size_t n = max, back;

	if (len <= max)
		return len;
	/* s[n] is the first byte left out: never a continuation byte. At most
	 * three of them follow a character's first byte; more is no UTF-8,
	 * cut anywhere. */
	for (back = 0; n > 0 && back < 3 && ((unsigned char)s[n] & 0xc0) == 0x80; back++)
		n--;
	return ((unsigned char)s[n] & 0xc0) == 0x80 ? max : n;
}

void buf_rstrip(struct buf *b, const char *chars)
{
	while (b->len && strchr(chars, b->ptr[b->len - 1]))
		b->len--;
	if (b->alloc)
		b->ptr[b->len] = '\0';
}

void buf_add_html(struct buf *b, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			buf_addch(b, *s);
		}
	}
}

void buf_rtrim(struct buf *b)
{
	buf_rstrip(b, " \t\r\n");
}

int buf_read_file(struct buf *b, const char *path, size_t cap)
{
	size_t start = b->len;
	int fd = open(path, O_RDONLY | O_CLOEXEC), error = 0;
	struct stat st;
	ssize_t n;

	if (fd < 0)
		return berth_error_set("'%s': %s", path, strerror(errno));
	/* Room for the whole file (and one byte more, to see the end) at once:
	 * no stdio buffer, no regrowth. */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (size_t)st.st_size <= cap)
		buf_grow(b, (size_t)st.st_size + 1);
	for (;;) {
		if (b->alloc - b->len < 2)
			buf_grow(b, 8192);
		n = read(fd, b->ptr + b->len, b->alloc - b->len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			error = berth_error_set("'%s': %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		b->len += (size_t)n;
		if (b->len - start > cap) {
			error =
			    berth_error_set("'%s': larger than the limit of %zu bytes", path, cap);
			break;
		}
	}
	if (error < 0)
		b->len = start;
	b->ptr[b->len] = '\0';
	close(fd);
	return error;
}
