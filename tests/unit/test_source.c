#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/known_hosts.h"
#include "../../agent/source.h"

#include "../../diff/base/berth_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	/* Nor does a token in the query. */
	redacts("https://gitlab.example.com/g/r.git?private_token=glpat-secret",
	        "https://gitlab.example.com/g/r.git?private_token=***");
	redacts("https://u:p@example.com/r.git?access_token=ghp_x&ref=main#frag",
	        "https://example.com/r.git?access_token=***&ref=***#frag");
	redacts("https://example.com/r.git?flag&t=s", "https://example.com/r.git?flag&t=***");
}

/* "KEY1" and "KEY2", base64. */
#define KEY1 "S0VZMQ=="
#define KEY2 "S0VZMg=="

static enum known_host check(const char *text, const char *host, int port, const char *key)
{
	return known_hosts_check(text, strlen(text), host, port, key, strlen(key));
}

static void test_source__known_hosts(void **state)
{
	static const char file[] = "# a comment\n"
	                           "\n"
	                           "git.example.com,10.0.0.1 ssh-ed25519 " KEY1 " comment\n"
	                           "[127.0.0.1]:2222 ssh-ed25519 " KEY2 "\n"
	                           "*.corp.example,!bad.corp.example ssh-rsa " KEY1 "\n"
	                           "@cert-authority *.example.com ssh-rsa " KEY2 "\n"
	                           "@revoked old.example.com ssh-rsa " KEY2 "\n"
	                           "old.example.com ssh-rsa " KEY1 "\n";
	/* HMAC-SHA1 of "[127.0.0.1]:2222" with the salt "0123456789abcdefghij". */
	static const char hashed[] =
	    "|1|MDEyMzQ1Njc4OWFiY2RlZmdoaWo=|kjl9J932vxVxCmU2IfKMefPFSKM= ssh-ed25519 " KEY1;

	(void)state;
	assert_int_equal(check(file, "git.example.com", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "10.0.0.1", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "git.example.com", 22, "KEY2"), KNOWN_HOST_CHANGED);
	/* Another port is another host. */
	assert_int_equal(check(file, "git.example.com", 2222, "KEY1"), KNOWN_HOST_UNKNOWN);
	assert_int_equal(check(file, "127.0.0.1", 2222, "KEY2"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "127.0.0.1", 22, "KEY2"), KNOWN_HOST_UNKNOWN);
	assert_int_equal(check(file, "a.corp.example", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "bad.corp.example", 22, "KEY1"), KNOWN_HOST_UNKNOWN);
	/* A CA's key is not the host's own. */
	assert_int_equal(check(file, "www.example.com", 22, "KEY2"), KNOWN_HOST_UNKNOWN);
	assert_int_equal(check(file, "old.example.com", 22, "KEY2"), KNOWN_HOST_REVOKED);
	assert_int_equal(check(file, "old.example.com", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(hashed, "127.0.0.1", 2222, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(hashed, "127.0.0.1", 2222, "KEY2"), KNOWN_HOST_CHANGED);
	assert_int_equal(check(hashed, "127.0.0.1", 2200, "KEY1"), KNOWN_HOST_UNKNOWN);
}

/* A repository with one commit, made with git, and a cache beside it. */
static void test_source__fetch_once_then_from_the_cache(void **state)
{
	char dir[] = "/tmp/berth-source-XXXXXX", cmd[1024], file[512], id[41];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit c = SOURCE_COMMIT_INIT;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
	         "cd %s && git init -q -b main src && mkdir src/app && "
	         "echo 'kind: ConfigMap' > src/app/a.yaml && git -C src add -A && "
	         "git -C src -c user.name=t -c user.email=t@example.com commit -qm one",
	         dir);
	assert_int_equal(system(cmd), 0);
	snprintf(file, sizeof(file), "%s/src", dir);
	opts.repo = file;
	snprintf(cmd, sizeof(cmd), "%s/cache", dir);
	opts.cache_dir = cmd;

	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_true(c.fetched);
	assert_int_equal(strlen(c.id), 40);
	memcpy(id, c.id, sizeof(id));
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/app/a.yaml", c.dir);
		assert_int_equal(stat(path, &st), 0);
	}
	source_commit_release(&c);

	/* Unchanged: nothing fetched, the same commit. */
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_false(c.fetched);
	assert_string_equal(c.id, id);
	source_commit_release(&c);

	opts.ref = id;
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_string_equal(c.id, id);
	source_commit_release(&c);

	opts.ref = "gone";
	assert_int_equal(source_fetch(&c, &opts), BERTH_ENOTFOUND);
	assert_non_null(strstr(berth_error_last(), "has no branch or tag 'gone'"));

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_source__credentials_never_show),
	    cmocka_unit_test(test_source__known_hosts),
	    cmocka_unit_test(test_source__fetch_once_then_from_the_cache),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
