#ifndef BERTH_BUF_H
#define BERTH_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * A growable byte buffer, never NULL and always NUL-terminated (git's
 * strbuf). Embedded by value: buf_init() / buf_release(). The bytes belong
 * to the buffer until buf_detach() hands them to the caller.
 */
struct buf {
	char *ptr;
	size_t len;
	size_t alloc;
};

extern char buf__empty[];
#define BUF_INIT                                                                                   \
	{                                                                                          \
		.ptr = buf__empty, .len = 0, .alloc = 0                                            \
	}

void buf_init(struct buf *b);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);

/* Overwrite the bytes with zeros, then release: for keys and tokens. */
void buf_release_secret(struct buf *b);

/* Make room for `extra` more bytes (plus the terminator). */
void buf_grow(struct buf *b, size_t extra);

void buf_add(struct buf *b, const void *data, size_t len);
void buf_adds(struct buf *b, const char *s);
void buf_addch(struct buf *b, char c);
void buf_addf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vaddf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Append `s` as text for HTML, in an element or a quoted attribute: &, <,
 * >, " and ' escaped. */
void buf_add_html(struct buf *b, const char *s);

/*
 * Append `s` as it may be shown to a person (a terminal, a log line, a
 * forge's comment or status, a web page): each control character (C0, DEL,
 * and C1, U+0080 to U+009F) and each byte that is not UTF-8 escaped as
 * \n, \r, \t or \xHH (each byte of it), and each byte of `also` (NULL:
 * none) after a backslash. Everything else, UTF-8 included, as it is: a
 * file's or an object's name is shown with this wherever berth shows it.
 */
void buf_add_printable(struct buf *b, const char *s, const char *also);

/* The length of the UTF-8 character at `s`; 0 when no valid one starts
 * there (a stray or missing continuation byte, an overlong form, a
 * surrogate, past U+10FFFF), or at its end. */
size_t utf8_char(const char *s);

/* The bytes of `s` (`len` of them) to keep to show at most `max`: `len`,
 * or the longest cut at most `max` that ends between two UTF-8
 * characters. */
size_t utf8_fit(const char *s, size_t len, size_t max);

/* Hand the bytes to the caller (free() them); the buffer is left empty. */
char *buf_detach(struct buf *b, size_t *len);

/* Does `s` hold a control character (below 0x20, or DEL)? A credential that
 * does is refused: CR and LF would end a request header early. */
bool has_control_chars(const char *s);

/* Drop the trailing bytes that are in `chars`. */
void buf_rstrip(struct buf *b, const char *chars);

/* Drop trailing whitespace: buf_rstrip(b, " \t\r\n"). */
void buf_rtrim(struct buf *b);

/*
 * Append the contents of `path`. Fails (and sets the error, naming the
 * file) when it cannot be read or when it is larger than `cap` bytes.
 */
int buf_read_file(struct buf *b, const char *path, size_t cap);

#endif
