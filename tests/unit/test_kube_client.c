#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/kube_client.h"

#include <string.h>

static void scrubbed(const char *in, const char *want)
{
	struct buf b = BUF_INIT;

	buf_adds(&b, in);
	kube_client_scrub_quotes(&b);
	assert_string_equal(b.ptr, want);
	buf_release(&b);
}

/* What the API server quotes of a Secret it could not decode, or of a
 * value it refused, never reaches a message. */
static void test_kube_client__a_secret_is_not_quoted_in_an_error(void **state)
{
	(void)state;
	scrubbed(
	    "PATCH /api/v1/namespaces/a/secrets/s: 400 Bad Request: Secret in version \"v1\" "
	    "cannot be handled as a Secret: v1.Secret.Data: decode base64: illegal base64 data "
	    "at input byte 16, error found in #10 byte of ...|SECRET!!\"}}|..., bigger context "
	    "...|{\"data\":{\"pw\":\"NOTBASE64SECRET!!\"}}|...",
	    "PATCH /api/v1/namespaces/a/secrets/s: 400 Bad Request: Secret in version \"v1\" "
	    "cannot be handled as a Secret: v1.Secret.Data: decode base64: illegal base64 data "
	    "at input byte 16, error found in #10 byte of ...|***|..., bigger context "
	    "...|***|...");
	scrubbed("data[pw]: Invalid value: \"hunter2\": too long",
	         "data[pw]: Invalid value: \"***\": "
	         "too long");
	/* A quote that is never closed goes to the end. */
	scrubbed("a ...|{\"pw\":\"x", "a ...|***");
	scrubbed("nothing quoted", "nothing quoted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kube_client__a_secret_is_not_quoted_in_an_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
