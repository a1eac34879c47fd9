#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/source/url.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

#include <stdlib.h>
#include <string.h>

/* One URL and the parts it parses into; NULL: the part is absent. */
struct parsed {
	const char *in;
	enum url_form form;
	const char *scheme, *username, *password, *host, *port, *path, *query, *fragment;
};

#define STD   URL_STANDARD
#define SCP   URL_SCP
#define LOCAL URL_LOCAL

static const struct parsed parsed[] = {
    {"https://github.com/acme/config.git", STD, "https", NULL, NULL, "github.com", NULL,
     "/acme/config.git", NULL, NULL},
    {"https://x-access-token:ghp_secret@github.com/acme/config.git", STD, "https", "x-access-token",
     "ghp_secret", "github.com", NULL, "/acme/config.git", NULL, NULL},
    {"https://ghp_secret@github.com/acme/config.git", STD, "https", "ghp_secret", NULL,
     "github.com", NULL, "/acme/config.git", NULL, NULL},
    /* As written: the case, a trailing slash, the port. */
    {"HTTPS://GitHub.com:8443/Acme/Config.git/", STD, "HTTPS", NULL, NULL, "GitHub.com", "8443",
     "/Acme/Config.git/", NULL, NULL},
    {"ssh://git@example.com:2222/acme/config.git", STD, "ssh", "git", NULL, "example.com", "2222",
     "/acme/config.git", NULL, NULL},
    {"git+ssh://git@example.com/r", STD, "git+ssh", "git", NULL, "example.com", NULL, "/r", NULL,
     NULL},
    {"git://127.0.0.1:9418/config.git", STD, "git", NULL, NULL, "127.0.0.1", "9418", "/config.git",
     NULL, NULL},
    /* IPv6 literals keep their brackets. */
    {"ssh://git@[fd00::1]:2222/a/b", STD, "ssh", "git", NULL, "[fd00::1]", "2222", "/a/b", NULL,
     NULL},
    {"https://[FD00::2]:8443/a/b.git", STD, "https", NULL, NULL, "[FD00::2]", "8443", "/a/b.git",
     NULL, NULL},
    {"https://[::1]/r", STD, "https", NULL, NULL, "[::1]", NULL, "/r", NULL, NULL},
    /* The userinfo ends at the last '@', the user at the first ':'. */
    {"https://a@b@github.com/acme/config", STD, "https", "a@b", NULL, "github.com", NULL,
     "/acme/config", NULL, NULL},
    {"https://u:p@ss:w@host/r", STD, "https", "u", "p@ss:w", "host", NULL, "/r", NULL, NULL},
    {"https://@host/r", STD, "https", "", NULL, "host", NULL, "/r", NULL, NULL},
    {"https://:pw@host/r", STD, "https", "", "pw", "host", NULL, "/r", NULL, NULL},
    /* An '@' in the path is not a user. */
    {"https://example.com/acme/c@fe.git", STD, "https", NULL, NULL, "example.com", NULL,
     "/acme/c@fe.git", NULL, NULL},
    /* Percent-encoding is left as it is (libgit2 decodes the userinfo). */
    {"https://%75ser:p%40ss@h/%7Eme/r", STD, "https", "%75ser", "p%40ss", "h", NULL, "/%7Eme/r",
     NULL, NULL},
    {"https://h/r.git?access_token=ghp_x&ref=main#frag", STD, "https", NULL, NULL, "h", NULL,
     "/r.git", "access_token=ghp_x&ref=main", "frag"},
    /* The authority ends at a '?' or '#' too. */
    {"https://h?x=1", STD, "https", NULL, NULL, "h", NULL, "", "x=1", NULL},
    {"https://h#f", STD, "https", NULL, NULL, "h", NULL, "", NULL, "f"},
    {"https://h", STD, "https", NULL, NULL, "h", NULL, "", NULL, NULL},
    /* An empty port: the scheme's default. */
    {"https://h:/r", STD, "https", NULL, NULL, "h", "", "/r", NULL, NULL},
    {"https://h/a b", STD, "https", NULL, NULL, "h", NULL, "/a b", NULL, NULL},
    {"file:///srv/git/config.git", STD, "file", NULL, NULL, "", NULL, "/srv/git/config.git", NULL,
     NULL},
    {"file://server/share/r.git", STD, "file", NULL, NULL, "server", NULL, "/share/r.git", NULL,
     NULL},
    /* scp-like: no '/' before the first ':'. */
    {"git@github.com:acme/config.git", SCP, "ssh", "git", NULL, "github.com", NULL,
     "acme/config.git", NULL, NULL},
    {"github.com:acme/config", SCP, "ssh", NULL, NULL, "github.com", NULL, "acme/config", NULL,
     NULL},
    {"git@[fd00::1]:a/b.git", SCP, "ssh", "git", NULL, "[fd00::1]", NULL, "a/b.git", NULL, NULL},
    {"[fd00::1]:a/b", SCP, "ssh", NULL, NULL, "[fd00::1]", NULL, "a/b", NULL, NULL},
    {"git@h:p@x:y?z#w", SCP, "ssh", "git", NULL, "h", NULL, "p@x:y?z#w", NULL, NULL},
    /* As git reads it: the host ends at the first ':'. */
    {"u:p@host:path", SCP, "ssh", NULL, NULL, "u", NULL, "p@host:path", NULL, NULL},
    {"host:", SCP, "ssh", NULL, NULL, "host", NULL, "", NULL, NULL},
    {"https:host/path", SCP, "ssh", NULL, NULL, "https", NULL, "host/path", NULL, NULL},
    /* Local paths. */
    {"/srv/git/config.git", LOCAL, "file", NULL, NULL, "", NULL, "/srv/git/config.git", NULL, NULL},
    {"./a:b/config", LOCAL, "file", NULL, NULL, "", NULL, "./a:b/config", NULL, NULL},
    {"/srv/x://y", LOCAL, "file", NULL, NULL, "", NULL, "/srv/x://y", NULL, NULL},
    {"user@host", LOCAL, "file", NULL, NULL, "", NULL, "user@host", NULL, NULL},
    {"", LOCAL, "file", NULL, NULL, "", NULL, "", NULL, NULL},
};

static void part_is(const char *got, const char *want, const char *in, const char *name)
{
	if (want && got && !strcmp(got, want))
		return;
	if (!want && !got)
		return;
	fail_msg("'%s': %s is '%s', not '%s'", in, name, got ? got : "(none)",
	         want ? want : "(none)");
}

static void parts_are(const struct url *u, const struct parsed *want)
{
	if (u->form != want->form)
		fail_msg("'%s': form %d, not %d", want->in, (int)u->form, (int)want->form);
	part_is(u->scheme, want->scheme, want->in, "the scheme");
	part_is(u->username, want->username, want->in, "the username");
	part_is(u->password, want->password, want->in, "the password");
	part_is(u->host, want->host, want->in, "the host");
	part_is(u->port, want->port, want->in, "the port");
	part_is(u->path, want->path, want->in, "the path");
	part_is(u->query, want->query, want->in, "the query");
	part_is(u->fragment, want->fragment, want->in, "the fragment");
}

static void test_url__every_form_parses_into_its_parts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(parsed); i++) {
		struct url u = URL_INIT;

		if (url_parse(&u, parsed[i].in) < 0)
			fail_msg("'%s': %s", parsed[i].in, berth_error_last());
		parts_are(&u, &parsed[i]);
		url_release(&u);
	}
}

/* Each formats back as written, less the password; and that parses into
 * the same parts. */
static void test_url__formats_back_without_the_password(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(parsed); i++) {
		struct url u = URL_INIT, again = URL_INIT;
		struct buf out = BUF_INIT;
		struct parsed want = parsed[i];

		assert_int_equal(url_parse(&u, want.in), 0);
		url_format(&out, &u, 0);
		if (!want.password)
			assert_string_equal(out.ptr, want.in);
		else if (strstr(out.ptr, want.password))
			fail_msg("'%s' shows its password: '%s'", want.in, out.ptr);
		assert_int_equal(url_parse(&again, out.ptr), 0);
		want.in = out.ptr;
		want.password = NULL;
		parts_are(&again, &want);
		url_release(&u);
		url_release(&again);
		buf_release(&out);
	}
	{
		struct url u = URL_INIT;
		struct buf out = BUF_INIT;

		assert_int_equal(url_parse(&u, "https://u:p@ss:w@host/r"), 0);
		url_format(&out, &u, 0);
		assert_string_equal(out.ptr, "https://u@host/r");
		url_release(&u);
		buf_release(&out);
	}
}

static void test_url__redacted_without_userinfo_nor_query_values(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
	    {"https://x-access-token:ghp_secret@github.com/acme/config.git",
	     "https://github.com/acme/config.git"},
	    {"https://ghp_secret@github.com/acme/config.git", "https://github.com/acme/config.git"},
	    {"ssh://git@example.com:2222/acme/config.git",
	     "ssh://example.com:2222/acme/config.git"},
	    {"https://a@b@github.com/acme/config", "https://github.com/acme/config"},
	    {"https://u:p@ss@h/r", "https://h/r"},
	    {"https://h/r.git?private_token=glpat-secret", "https://h/r.git?private_token=***"},
	    {"https://u:p@h/r.git?access_token=ghp_x&ref=main#frag",
	     "https://h/r.git?access_token=***&ref=***#frag"},
	    {"https://h/r.git?flag&t=s", "https://h/r.git?flag&t=***"},
	    {"https://h/r?&&a=&=b", "https://h/r?&&a=***&=***"},
	    {"https://h?t=s", "https://h?t=***"},
	    /* A scp-like user is a login name; a local path has no userinfo. */
	    {"git@github.com:acme/config.git", "git@github.com:acme/config.git"},
	    {"/srv/git/r?t=s", "/srv/git/r?t=s"},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct url u = URL_INIT;
		struct buf out = BUF_INIT;

		assert_int_equal(url_parse(&u, cases[i].in), 0);
		url_format(&out, &u, URL_REDACT);
		assert_string_equal(out.ptr, cases[i].want);
		url_release(&u);
		buf_release(&out);
	}
}

static void test_url__hostile_forms_are_refused_saying_why(void **state)
{
	static const struct {
		const char *in, *why;
	} cases[] = {
	    {"https://github.com:99999/r", "its port is not a number from 1 to 65535"},
	    {"https://github.com:65536/r", "its port is not a number from 1 to 65535"},
	    {"https://github.com:0/r", "its port is not a number from 1 to 65535"},
	    {"https://h:22a/r", "its port is not a number from 1 to 65535"},
	    {"https://h:-1/r", "its port is not a number from 1 to 65535"},
	    {"https://a:b:c/r", "its port is not a number from 1 to 65535"},
	    {"https:///r", "it names no host"},
	    {"https://u:p@/r", "it names no host"},
	    {"ssh://git@:22/r", "it names no host"},
	    {":path", "it names no host"},
	    {"git@:path", "it names no host"},
	    {"https://[fd00::1/r", "its IPv6 host has no ']'"},
	    {"git@[fd00::1:a/b", "its IPv6 host has no ']'"},
	    {"https://h]x/r", "its host holds a '[' or ']' outside an IPv6 address"},
	    {"https://h[x/r", "its host holds a '[' or ']' outside an IPv6 address"},
	    {"https://[host]/r", "'[' and ']' hold no IPv6 address"},
	    {"https://[]/r", "'[' and ']' hold no IPv6 address"},
	    {"https://[fe80::1%25eth0]/r", "'[' and ']' hold no IPv6 address"},
	    {"[host:2222]:a/b", "'[' and ']' hold no IPv6 address"},
	    {"https://[fd00::1]x/r", "its IPv6 host's ']' is followed by neither ':' nor the path"},
	    {"git@[fd00::1]/a:b", "its IPv6 host's ']' is followed by no ':'"},
	    {"https://h/r\n", "it holds a control character"},
	    {"https://h/r\r\nX-Injected: 1", "it holds a control character"},
	    {"git@host:r\x7f", "it holds a control character"},
	    {"/srv/\x1b[2Jr", "it holds a control character"},
	};
	char *huge = xmalloc(URL_MAX + 2);
	struct url u = URL_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		if (url_parse(&u, cases[i].in) == 0)
			fail_msg("'%s' is taken", cases[i].in);
		assert_string_equal(berth_error_last(), cases[i].why);
		assert_null(u.scheme);
	}
	memset(huge, 'a', URL_MAX);
	huge[URL_MAX] = '\0';
	assert_int_equal(url_parse(&u, huge), 0);
	url_release(&u);
	huge[URL_MAX] = 'a';
	huge[URL_MAX + 1] = '\0';
	assert_int_equal(url_parse(&u, huge), -1);
	assert_string_equal(berth_error_last(), "longer than 8192 bytes");
	free(huge);
}

static void test_url__port_given_or_the_scheme_default(void **state)
{
	static const struct {
		const char *in;
		int port;
	} cases[] = {
	    {"https://h/r", 443},
	    {"HTTPS://h/r", 443},
	    {"http://h/r", 80},
	    {"http://h:/r", 80},
	    {"https://h:8443/r", 8443},
	    {"git://h/r", 9418},
	    {"ssh://h/r", 22},
	    {"ssh://h:2222/r", 2222},
	    {"git+ssh://h/r", 22},
	    {"ssh+git://h/r", 22},
	    {"git@h:r", 22},
	    {"ssh://[fd00::1]:0022/r", 22},
	    {"file:///srv/r", 0},
	    {"/srv/r", 0},
	    {"svn://h/r", 0},
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct url u = URL_INIT;

		assert_int_equal(url_parse(&u, cases[i].in), 0);
		if (url_port(&u) != cases[i].port)
			fail_msg("'%s': port %d, not %d", cases[i].in, url_port(&u), cases[i].port);
		url_release(&u);
	}
}

static void test_url__scheme_compares_ignoring_case(void **state)
{
	struct url u = URL_INIT;

	(void)state;
	assert_false(url_scheme_is(&u, "https"));
	assert_int_equal(url_parse(&u, "HttpS://h/r"), 0);
	assert_true(url_scheme_is(&u, "https"));
	assert_false(url_scheme_is(&u, "http"));
	url_release(&u);
	assert_int_equal(url_parse(&u, "git@h:r"), 0);
	assert_true(url_scheme_is(&u, "ssh"));
	url_release(&u);
	assert_int_equal(url_parse(&u, "./r"), 0);
	assert_true(url_scheme_is(&u, "file"));
	url_release(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_url__every_form_parses_into_its_parts),
	    cmocka_unit_test(test_url__formats_back_without_the_password),
	    cmocka_unit_test(test_url__redacted_without_userinfo_nor_query_values),
	    cmocka_unit_test(test_url__hostile_forms_are_refused_saying_why),
	    cmocka_unit_test(test_url__port_given_or_the_scheme_default),
	    cmocka_unit_test(test_url__scheme_compares_ignoring_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
