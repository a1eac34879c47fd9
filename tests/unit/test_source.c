#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/source.h"

static void redacts(const char *url, const char *want)
{
	struct buf out = BUF_INIT;

	source_redact(&out, url);
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

static void test_source__credentials_never_show(void **state)
{
	(void)state;
	redacts("https://x-access-token:ghp_secret@github.com/acme/config.git",
	        "https://github.com/acme/config.git");
	redacts("https://ghp_secret@github.com/acme/config.git",
	        "https://github.com/acme/config.git");
	redacts("ssh://git@example.com:2222/acme/config.git",
	        "ssh://example.com:2222/acme/config.git");
	/* An '@' in the path is not a user. */
	redacts("https://example.com/acme/c@fe.git", "https://example.com/acme/c@fe.git");
	redacts("git://127.0.0.1:9418/config.git", "git://127.0.0.1:9418/config.git");
	redacts("/srv/git/config.git", "/srv/git/config.git");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_source__credentials_never_show),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
