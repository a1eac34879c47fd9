#ifndef BERTH_URL_H
#define BERTH_URL_H

#include "../../diff/base/buf.h"

#include <stdbool.h>

/*
 * The one reader of the remote URLs berth is given: a source's repository,
 * and the repository URLs of a forge's webhook payload. Modeled on
 * libgit2's git_net_url_parse() and git_net_url_parse_scp()
 * (src/util/net.c), and on git's rule for telling the three forms apart:
 *
 *   standard   scheme://[user[:password]@]host[:port][/path][?query][#fragment]
 *              (the scheme: letters, digits, '+', '-', '.'); the
 *              authority ends at the first '/', '?' or '#'
 *   scp-like   [user@]host:path, when no '/' comes before the first ':'
 *              (git@github.com:acme/config.git, git@[fd00::1]:a/b)
 *   local      anything else: a path on this machine (/srv/git/r, ./a:b)
 *
 * Where this parser differs from libgit2's, on purpose:
 * - Every part is kept as written, so a URL formats back to itself:
 *   nothing is percent-decoded (libgit2 decodes the user, the password,
 *   the host, the query and the fragment) and the scheme keeps its case
 *   (libgit2 lowercases it). Compare schemes with url_scheme_is().
 * - The userinfo ends at the last '@' of the authority, for every scheme
 *   (libgit2 allows a second '@' for ssh only); the password starts after
 *   its first ':' (libgit2: its last), as git's credential_from_url() and
 *   RFC 3986 read it, so that url_format() never shows part of it.
 * - An IPv6 host keeps its brackets ("[fd00::1]"), and needs at least two
 *   ':' between them; the old "[host:port]:path" form of scp-like URLs is
 *   refused.
 * - Refused: over URL_MAX bytes; a control character anywhere (CR and LF
 *   would end a request line early); no host (but file:///path); a '['
 *   without its ']'; a '[' or ']' in a host name; an IPv6 host with
 *   anything but hex digits and ':'; anything but ':' and the port after
 *   the ']'; a port that is not a number from 1 to 65535 (an empty one,
 *   "host:/path", is kept as "" and means the scheme's default).
 */

/* A URL longer than this is refused. */
#define URL_MAX 8192

enum url_form {
	URL_LOCAL,    /* a local path; scheme "file", host "" */
	URL_STANDARD, /* scheme://... */
	URL_SCP,      /* [user@]host:path; scheme "ssh" */
};

/* A parsed URL. Every part is owned (free with url_release()) and is the
 * input's text as written; NULL: the part is not in the URL. */
struct url {
	enum url_form form;
	char *scheme;   /* "https", "HTTPS", "git+ssh"; never NULL once parsed */
	char *username; /* "git", "x-access-token", "" for "https://@host" */
	char *password; /* after the userinfo's first ':' */
	char *host;     /* "github.com", "[fd00::1]"; never NULL once parsed: "" for
	                 * file:///path and a local path */
	char *port;     /* the digits: "2222"; "" for "host:/path" */
	char *path;     /* "/acme/config.git", "acme/config.git" (scp-like: the whole
	                 * rest, '?' and '#' included), "" for "https://host";
	                 * never NULL once parsed */
	char *query;    /* after the '?', up to the '#' */
	char *fragment; /* after the '#' */
};
#define URL_INIT                                                                                   \
	{                                                                                          \
		.form = URL_LOCAL, .scheme = NULL, .username = NULL, .password = NULL,             \
		.host = NULL, .port = NULL, .path = NULL, .query = NULL, .fragment = NULL          \
	}

/*
 * Parse `s` into `out`, which is overwritten (not released first). Returns
 * 0, or -1 with the reason set ("its port is not a number from 1 to
 * 65535"); the reason never quotes the URL, which may hold a secret:
 * callers name it. `out` is set only on success.
 */
int url_parse(struct url *out, const char *s);

/* Free the parts (the username and password zeroed first); `u` is
 * URL_INIT after. */
void url_release(struct url *u);

/* Is `u`'s scheme `scheme`, ignoring case? */
bool url_scheme_is(const struct url *u, const char *scheme);

/* The port `u` names, or its scheme's default (http 80, https 443, git
 * 9418, ssh, ssh+git and git+ssh 22); 0 when neither. */
int url_port(const struct url *u);

/* url_format() flags. URL_REDACT: without the userinfo of a standard URL
 * (the username may be a token: https://TOKEN@host) and with the value of
 * each query parameter as "***" (?private_token=***). A scp-like URL's
 * user is only a login name, and stays. */
#define URL_REDACT 1u

/*
 * Append `u` to `out` as it was written, but never its password:
 * url_parse() of the result gives the same parts, less the password (and
 * what URL_REDACT leaves out).
 */
void url_format(struct buf *out, const struct url *u, unsigned flags);

/* Append what follows the host and port: the path, then "?query" and
 * "#fragment" when `u` has them (libgit2's git_net_url_fmt_path()). */
void url_format_path(struct buf *out, const struct url *u, unsigned flags);

#endif
