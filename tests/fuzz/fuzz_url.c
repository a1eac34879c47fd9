/*
 * Fuzz harness for the remote-URL parser (agent/source/url.c) and what
 * shows a URL: source_redact() and forge_repository().
 *
 * The input, as a C string (up to its first NUL), goes to url_parse().
 *
 *   Refused: the reason is set, the struct is left as it was, and
 *   source_redact() shows none of it. Over URL_MAX bytes, or with a control
 *   character, it must be refused.
 *
 *   Parsed: the scheme, host and path are there; a local path is the input
 *   itself; a port is digits (1 to 65535) or empty; url_port() is a port.
 *   url_format() gives the input back byte for byte when it has no
 *   password, and without the password when it has one: the result parses
 *   into the same parts, less the password, and is shorter by it and its
 *   ':'. With URL_REDACT, the result parses into the same host, port, path
 *   and fragment, with no password and (but scp-like) no username, and
 *   redacting it again changes nothing; source_redact() gives the same.
 *
 * forge_repository() gives "owner/repo" or more parts, never with a
 * leading or trailing '/'.
 *
 * A broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../agent/forge/forge.h"
#include "../../agent/source/source.h"
#include "../../agent/source/url.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define broken(...) fuzz_broken("fuzz_url", __VA_ARGS__)

static bool same(const char *a, const char *b)
{
	return a == b || (a && b && !strcmp(a, b));
}

static const char *shown(const char *s)
{
	return s ? s : "(none)";
}

/* Do `a` and `b` hold the same parts, the password and username aside? */
static void same_parts(const struct url *a, const struct url *b, const char *what)
{
	static const char *const names[] = {"scheme", "host", "port", "path", "query", "fragment"};
	const char *pa[] = {a->scheme, a->host, a->port, a->path, a->query, a->fragment};
	const char *pb[] = {b->scheme, b->host, b->port, b->path, b->query, b->fragment};
	size_t i;

	if (a->form != b->form)
		broken("%s: the form is %d, not %d", what, (int)b->form, (int)a->form);
	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (!same(pa[i], pb[i]))
			broken("%s: the %s is '%s', not '%s'", what, names[i], shown(pb[i]),
			       shown(pa[i]));
}

/* The parts one parse gave must be what the form says. */
static void check_parts(const struct url *u, const char *s)
{
	size_t len;
	int port = url_port(u);

	if (!u->scheme || !u->host || !u->path)
		broken("no scheme, host or path");
	if (u->form == URL_LOCAL && (strcmp(u->path, s) || *u->host || u->username))
		broken("a local path is not the input");
	if (u->form != URL_LOCAL && u->form != URL_STANDARD && u->form != URL_SCP)
		broken("form %d", (int)u->form);
	if (u->form != URL_STANDARD && (u->port || u->query || u->fragment || u->password))
		broken("a port, query, fragment or password outside a standard URL");
	if (u->form == URL_SCP && !*u->host)
		broken("a scp-like URL with no host");
	if (u->port && strspn(u->port, "0123456789") != strlen(u->port))
		broken("port '%s'", u->port);
	if (port < 0 || port > 65535 || (u->port && *u->port && !port))
		broken("url_port() is %d", port);
	len = strlen(u->host);
	if (len && u->host[0] == '[' ? u->host[len - 1] != ']' || strchr(u->host + 1, '[')
	                             : strpbrk(u->host, "[]@") != NULL)
		broken("host '%s'", u->host);
}

static void check_format(const struct url *u, const char *s)
{
	struct url again = URL_INIT, redacted = URL_INIT;
	struct buf out = BUF_INIT, red = BUF_INIT, red2 = BUF_INIT, src = BUF_INIT;

	url_format(&out, u, 0);
	if (!u->password && strcmp(out.ptr, s))
		broken("formats back as '%s'", out.ptr);
	if (u->password && out.len + strlen(u->password) + 1 != strlen(s))
		broken("formats as '%s': not the input less the password", out.ptr);
	if (url_parse(&again, out.ptr) < 0)
		broken("its format '%s' does not parse: %s", out.ptr, berth_error_last());
	same_parts(u, &again, "its format");
	if (!same(u->username, again.username) || again.password)
		broken("its format has username '%s', password '%s'", shown(again.username),
		       shown(again.password));

	url_format(&red, u, URL_REDACT);
	if (url_parse(&redacted, red.ptr) < 0)
		broken("redacted as '%s', which does not parse: %s", red.ptr, berth_error_last());
	if (redacted.form != u->form || !same(redacted.host, u->host) ||
	    !same(redacted.port, u->port) || !same(redacted.path, u->path) ||
	    !same(redacted.fragment, u->fragment) || !u->query != !redacted.query)
		broken("redacted as '%s': not the same URL", red.ptr);
	if (redacted.password || (u->form == URL_SCP ? !same(redacted.username, u->username)
	                                             : redacted.username != NULL))
		broken("redacted as '%s': a userinfo", red.ptr);
	url_format(&red2, &redacted, URL_REDACT);
	if (strcmp(red.ptr, red2.ptr))
		broken("redacted as '%s', then as '%s'", red.ptr, red2.ptr);
	source_redact(&src, s);
	if (strcmp(src.ptr, red.ptr))
		broken("source_redact() shows '%s', url_format() '%s'", src.ptr, red.ptr);

	url_release(&again);
	url_release(&redacted);
	buf_release(&out);
	buf_release(&red);
	buf_release(&red2);
	buf_release(&src);
}

static void check_forge_repository(const char *s)
{
	struct buf out = BUF_INIT;

	if (forge_repository(&out, s) == 0 &&
	    (!out.len || !strchr(out.ptr, '/') || out.ptr[0] == '/' || out.ptr[out.len - 1] == '/'))
		broken("forge_repository() gives '%s'", out.ptr);
	buf_release(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct url u = URL_INIT;

	if (url_parse(&u, s) < 0) {
		struct buf src = BUF_INIT;

		if (u.scheme || u.host || u.path || u.username || u.password)
			broken("refused, yet the struct is set");
		if (!*berth_error_last())
			broken("refused without a reason");
		source_redact(&src, s);
		if (strcmp(src.ptr, "(a URL berth cannot read)"))
			broken("refused, yet source_redact() shows '%s'", src.ptr);
		buf_release(&src);
	} else {
		if (strlen(s) > URL_MAX || has_control_chars(s))
			broken("parsed, %zu bytes long%s", strlen(s),
			       has_control_chars(s) ? ", with a control character" : "");
		check_parts(&u, s);
		check_format(&u, s);
	}
	check_forge_repository(s);
	url_release(&u);
	free(s);
	return 0;
}
