/* Remote URLs: the one parser (url.h says which forms, and how it differs
 * from libgit2's). */
#include "url.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* A scheme's characters (libgit2's is_valid_scheme_char). */
static bool is_scheme_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '-' || c == '.';
}

/* The length of the scheme `s` starts with, when "://" follows it; 0 when
 * `s` is not a standard URL. */
static size_t scheme_length(const char *s)
{
	size_t n = 0;

	while (is_scheme_char(s[n]))
		n++;
	return n && !strncmp(s + n, "://", 3) ? n : 0;
}

/* The value of the `len` digits at `s`, a port: 0 when it is no number
 * from 1 to 65535. */
static int port_value(const char *s, size_t len)
{
	long value = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		value = value * 10 + (s[i] - '0');
		if (value > 65535)
			return 0;
	}
	return (int)value;
}

/*
 * The length of the host at `s`, which ends before `end` at the latest: an
 * IPv6 literal with its brackets, or a name up to the first ':'. Fails,
 * saying why, on a '[' without its ']', brackets around anything but an
 * IPv6 address, and a bracket in a name.
 */
static int read_host(size_t *out, const char *s, const char *end)
{
	const char *close, *c;
	size_t colons = 0;

	if (*s != '[') {
		c = memchr(s, ':', (size_t)(end - s));
		*out = (size_t)((c ? c : end) - s);
		if (memchr(s, '[', *out) || memchr(s, ']', *out))
			return berth_error_set(
			    "its host holds a '[' or ']' outside an IPv6 address");
		return 0;
	}
	if (!(close = memchr(s, ']', (size_t)(end - s))))
		return berth_error_set("its IPv6 host has no ']'");
	for (c = s + 1; c < close; c++) {
		if (*c == ':')
			colons++;
		else if (!isxdigit((unsigned char)*c))
			break;
	}
	if (c < close || colons < 2)
		return berth_error_set("'[' and ']' hold no IPv6 address");
	*out = (size_t)(close - s) + 1;
	return 0;
}

/* scheme://[userinfo@]host[:port][/path][?query][#fragment], the scheme
 * `scheme_len` bytes long. */
static int parse_standard(struct url *u, const char *s, size_t scheme_len)
{
	const char *authority = s + scheme_len + 3, *host = authority, *at, *colon, *rest;
	const char *end = authority + strcspn(authority, "/?#");
	size_t host_len, len;
	int error;

	u->scheme = xstrndup(s, scheme_len);
	/* A user may hold an '@': the userinfo ends at the last one. */
	for (at = end; at > authority && at[-1] != '@'; at--)
		;
	if (at > authority) {
		host = at;
		len = (size_t)(at - 1 - authority);
		colon = memchr(authority, ':', len);
		u->username = xstrndup(authority, colon ? (size_t)(colon - authority) : len);
		if (colon)
			u->password = xstrndup(colon + 1, (size_t)(at - 1 - (colon + 1)));
	}
	if ((error = read_host(&host_len, host, end)) < 0)
		return error;
	if (!host_len && !url_scheme_is(u, "file"))
		return berth_error_set("it names no host");
	u->host = xstrndup(host, host_len);
	if (host + host_len < end) {
		const char *port = host + host_len + 1;

		if (host[host_len] != ':')
			return berth_error_set("its IPv6 host's ']' is followed by neither ':' "
			                       "nor the path");
		if (port < end && !port_value(port, (size_t)(end - port)))
			return berth_error_set("its port is not a number from 1 to 65535");
		u->port = xstrndup(port, (size_t)(end - port));
	}
	len = strcspn(end, "?#");
	u->path = xstrndup(end, len);
	rest = end + len;
	if (*rest == '?') {
		len = strcspn(rest + 1, "#");
		u->query = xstrndup(rest + 1, len);
		rest += 1 + len;
	}
	if (*rest == '#')
		u->fragment = xstrdup(rest + 1);
	return 0;
}

/* [user@]host:path, `colon` the first ':' of `s`. */
static int parse_scp(struct url *u, const char *s, const char *colon)
{
	const char *host = s, *at;
	size_t host_len;
	int error;

	u->scheme = xstrdup("ssh");
	for (at = colon; at > s && at[-1] != '@'; at--)
		;
	if (at > s) {
		u->username = xstrndup(s, (size_t)(at - 1 - s));
		host = at;
	}
	if ((error = read_host(&host_len, host, host + strlen(host))) < 0)
		return error;
	if (host[host_len] != ':')
		return berth_error_set("its IPv6 host's ']' is followed by no ':'");
	if (!host_len)
		return berth_error_set("it names no host");
	u->host = xstrndup(host, host_len);
	u->path = xstrdup(host + host_len + 1);
	return 0;
}

int url_parse(struct url *out, const char *s)
{
	struct url u = URL_INIT;
	const char *colon;
	size_t scheme_len;
	int error = 0;

	if (strnlen(s, URL_MAX + 1) > URL_MAX)
		return berth_error_set("longer than %d bytes", URL_MAX);
	if (has_control_chars(s))
		return berth_error_set("it holds a control character");
	colon = strchr(s, ':');
	if ((scheme_len = scheme_length(s))) {
		u.form = URL_STANDARD;
		error = parse_standard(&u, s, scheme_len);
	} else if (colon && !memchr(s, '/', (size_t)(colon - s))) {
		u.form = URL_SCP;
		error = parse_scp(&u, s, colon);
	} else {
		u.scheme = xstrdup("file");
		u.host = xstrdup("");
		u.path = xstrdup(s);
	}
	if (error < 0)
		url_release(&u);
	else
		*out = u;
	return error;
}

void url_release(struct url *u)
{
	free(u->scheme);
	free_secret(u->username);
	free_secret(u->password);
	free(u->host);
	free(u->port);
	free(u->path);
	free(u->query);
	free(u->fragment);
	*u = (struct url)URL_INIT;
}

bool url_scheme_is(const struct url *u, const char *scheme)
{
	return u->scheme && !strcasecmp(u->scheme, scheme);
}

int url_port(const struct url *u)
{
	static const struct {
		const char *scheme;
		int port;
	} defaults[] = {
	    {"http", 80}, {"https", 443},  {"git", 9418},
	    {"ssh", 22},  {"ssh+git", 22}, {"git+ssh", 22},
	};
	size_t i;

	if (u->port && *u->port)
		return port_value(u->port, strlen(u->port));
	for (i = 0; i < ARRAY_SIZE(defaults); i++)
		if (url_scheme_is(u, defaults[i].scheme))
			return defaults[i].port;
	return 0;
}

void url_format(struct buf *out, const struct url *u, unsigned flags)
{
	if (u->form == URL_STANDARD) {
		buf_addf(out, "%s://", u->scheme);
		if (u->username && !(flags & URL_REDACT))
			buf_addf(out, "%s@", u->username);
		buf_adds(out, u->host);
		if (u->port)
			buf_addf(out, ":%s", u->port);
	} else if (u->form == URL_SCP) {
		if (u->username)
			buf_addf(out, "%s@", u->username);
		buf_addf(out, "%s:", u->host);
	}
	url_format_path(out, u, flags);
}

/* The query `q`, each parameter's value as "***". */
static void add_redacted_query(struct buf *out, const char *q)
{
	for (;;) {
		size_t len = strcspn(q, "&");
		const char *eq = memchr(q, '=', len);

		buf_add(out, q, eq ? (size_t)(eq + 1 - q) : len);
		if (eq)
			buf_adds(out, "***");
		if (!q[len])
			break;
		buf_addch(out, '&');
		q += len + 1;
	}
}

void url_format_path(struct buf *out, const struct url *u, unsigned flags)
{
	buf_adds(out, u->path);
	if (u->query) {
		buf_addch(out, '?');
		if (flags & URL_REDACT)
			add_redacted_query(out, u->query);
		else
			buf_adds(out, u->query);
	}
	if (u->fragment)
		buf_addf(out, "#%s", u->fragment);
}
