#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/digest.h"

#include <string.h>

static void hex(char *out, const uint8_t *in, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = "0123456789abcdef"[in[i] >> 4];
		out[2 * i + 1] = "0123456789abcdef"[in[i] & 15];
	}
	out[2 * n] = '\0';
}

static void test_digest__sha1_and_hmac(void **state)
{
	uint8_t d[SHA1_SIZE], key[20], big[80];
	char h[2 * SHA1_SIZE + 1];

	(void)state;
	sha1(d, "abc", 3);
	hex(h, d, SHA1_SIZE);
	assert_string_equal(h, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1(d, "", 0);
	hex(h, d, SHA1_SIZE);
	assert_string_equal(h, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	/* Two blocks: the length spills into a block of its own. */
	sha1(d, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	hex(h, d, SHA1_SIZE);
	assert_string_equal(h, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
	/* RFC 2202, test cases 1 and 6 (a key longer than a block). */
	memset(key, 0x0b, sizeof(key));
	hmac_sha1(d, key, sizeof(key), "Hi There", 8);
	hex(h, d, SHA1_SIZE);
	assert_string_equal(h, "b617318655057264e28bc0b6fb378c8ef146be00");
	memset(big, 0xaa, sizeof(big));
	hmac_sha1(d, big, sizeof(big), "Test Using Larger Than Block-Size Key - Hash Key First",
	          54);
	hex(h, d, SHA1_SIZE);
	assert_string_equal(h, "aa4ae5e15272d00e95705637ce8a3b55ed402112");
}

static void test_digest__sha256_and_hmac(void **state)
{
	static const char secret[] = "It's a Secret to Everybody";
	uint8_t d[SHA256_SIZE], key[20], big[131];
	char h[2 * SHA256_SIZE + 1];

	(void)state;
	sha256(d, "abc", 3);
	hex(h, d, SHA256_SIZE);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	sha256(d, "", 0);
	hex(h, d, SHA256_SIZE);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sha256(d, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56);
	hex(h, d, SHA256_SIZE);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	/* RFC 4231, test cases 1 and 6 (a key longer than a block). */
	memset(key, 0x0b, sizeof(key));
	hmac_sha256(d, key, sizeof(key), "Hi There", 8);
	hex(h, d, SHA256_SIZE);
	assert_string_equal(h, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	memset(big, 0xaa, sizeof(big));
	hmac_sha256(d, big, sizeof(big), "Test Using Larger Than Block-Size Key - Hash Key First",
	            54);
	hex(h, d, SHA256_SIZE);
	assert_string_equal(h, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	/* GitHub's documented webhook vector. */
	hmac_sha256(d, secret, strlen(secret), "Hello, World!", 13);
	hex(h, d, SHA256_SIZE);
	assert_string_equal(h, "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
}

static void test_digest__equal_compares_every_byte(void **state)
{
	(void)state;
	assert_true(digest_equal("abcdef", "abcdef", 6));
	assert_false(digest_equal("abcdef", "abcdeg", 6));
	assert_false(digest_equal("xbcdef", "abcdef", 6));
	assert_true(digest_equal("a", "b", 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_digest__sha1_and_hmac),
	    cmocka_unit_test(test_digest__sha256_and_hmac),
	    cmocka_unit_test(test_digest__equal_compares_every_byte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
