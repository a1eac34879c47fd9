#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/forge/webhook.h"

#include <string.h>

#define SECRET "It's a Secret to Everybody"
#define BODY   "Hello, World!"
#define MAC    "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

static bool verify(enum forge f, const char *signature)
{
	return webhook_verify(f, SECRET, signature, BODY, strlen(BODY));
}

static void test_webhook__github_signature_is_checked(void **state)
{
	(void)state;
	assert_true(verify(FORGE_GITHUB, "sha256=" MAC));
	/* One digit off, the prefix missing or wrong, cut short, absent. */
	assert_false(
	    verify(FORGE_GITHUB,
	           "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e18"));
	assert_false(verify(FORGE_GITHUB, MAC));
	assert_false(verify(FORGE_GITHUB, "sha1=" MAC));
	assert_false(verify(FORGE_GITHUB, "sha256=757107ea"));
	assert_false(verify(FORGE_GITHUB, "sha256="));
	assert_false(verify(FORGE_GITHUB, NULL));
	/* Another secret, another body. */
	assert_false(webhook_verify(FORGE_GITHUB, "other", "sha256=" MAC, BODY, strlen(BODY)));
	assert_false(webhook_verify(FORGE_GITHUB, SECRET, "sha256=" MAC, "Hello, World?", 13));
}

static void test_webhook__gitea_signature_has_no_prefix(void **state)
{
	(void)state;
	assert_true(verify(FORGE_GITEA, MAC));
	assert_false(verify(FORGE_GITEA, "sha256=" MAC));
	assert_false(verify(FORGE_GITEA, ""));
}

static void test_webhook__gitlab_token_is_the_secret(void **state)
{
	(void)state;
	assert_true(verify(FORGE_GITLAB, SECRET));
	assert_false(verify(FORGE_GITLAB, "It's a Secret to Everybod"));
	assert_false(verify(FORGE_GITLAB, SECRET " "));
	assert_false(verify(FORGE_GITLAB, "sha256=" MAC));
	assert_false(verify(FORGE_GITLAB, NULL));
}

static void test_webhook__push_events(void **state)
{
	(void)state;
	assert_true(webhook_is_push(FORGE_GITHUB, "push"));
	assert_false(webhook_is_push(FORGE_GITHUB, "ping"));
	assert_false(webhook_is_push(FORGE_GITHUB, NULL));
	assert_true(webhook_is_push(FORGE_GITLAB, "Push Hook"));
	assert_true(webhook_is_push(FORGE_GITLAB, "Tag Push Hook"));
	assert_false(webhook_is_push(FORGE_GITLAB, "Merge Request Hook"));
	assert_true(webhook_is_push(FORGE_GITEA, "push"));
	assert_false(webhook_is_push(FORGE_GITEA, "issues"));
}

static void keys_to(const char *url, const char *want)
{
	struct buf out = BUF_INIT;

	repo_key(&out, url);
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

static void test_webhook__one_repository_has_one_key(void **state)
{
	(void)state;
	keys_to("https://github.com/Acme/Config.git", "github.com/acme/config");
	keys_to("https://github.com/acme/config", "github.com/acme/config");
	keys_to("https://github.com/acme/config/", "github.com/acme/config");
	keys_to("https://x-access-token:t@github.com:443/acme/config.git",
	        "github.com/acme/config");
	keys_to("ssh://git@github.com:2222/acme/config.git", "github.com/acme/config");
	keys_to("https://a@b@github.com/acme/config", "github.com/acme/config");
	keys_to("git@github.com:acme/config.git", "github.com/acme/config");
	keys_to("github.com:acme/config", "github.com/acme/config");
	keys_to("git://127.0.0.1:9418/config.git", "127.0.0.1/config");
	/* GitLab subgroups keep every level. */
	keys_to("https://gitlab.example.com/group/sub/repo.git",
	        "gitlab.example.com/group/sub/repo");
	/* Local paths: a ':' after a '/' is not scp-like. */
	keys_to("/srv/git/config.git", "/srv/git/config");
	keys_to("file:///srv/git/config.git", "/srv/git/config");
	keys_to("./a:b/config", "./a:b/config");
	/* An IPv6 literal keeps its brackets: two hosts are two repositories. */
	keys_to("https://[fd00::1]/a/b", "[fd00::1]/a/b");
	keys_to("https://[FD00::2]:8443/a/b.git", "[fd00::2]/a/b");
	keys_to("ssh://git@[fd00::1]:2222/a/b", "[fd00::1]/a/b");
	keys_to("git@[fd00::1]:a/b.git", "[fd00::1]/a/b");
	keys_to("[fd00::1]:a/b", "[fd00::1]/a/b");
}

/* A push moves the sources that follow its ref: by full name, or by the
 * short name of a branch or a tag; a source without a ref follows the
 * remote's HEAD, which any push may move; a commit id never moves. */
static void test_webhook__a_push_moves_only_the_refs_it_names(void **state)
{
	(void)state;
	assert_true(webhook_ref_moves("main", "refs/heads/main"));
	assert_true(webhook_ref_moves("refs/heads/main", "refs/heads/main"));
	assert_true(webhook_ref_moves("v1.2", "refs/tags/v1.2"));
	assert_false(webhook_ref_moves("main", "refs/heads/dev"));
	assert_false(webhook_ref_moves("main", "refs/heads/feature/main"));
	assert_false(webhook_ref_moves("main", "refs/tags/main-1"));
	assert_false(webhook_ref_moves("refs/heads/main", "refs/tags/main"));
	assert_true(webhook_ref_moves(NULL, "refs/heads/dev"));
	assert_true(webhook_ref_moves("main", NULL));
	assert_true(webhook_ref_moves("main", ""));
	assert_false(
	    webhook_ref_moves("0123456789abcdef0123456789abcdef01234567", "refs/heads/main"));
}

static void test_webhook__payloads_name_their_repository(void **state)
{
	static const char github[] =
	    "{\"ref\":\"refs/heads/main\",\"after\":\"0123\",\"repository\":{"
	    "\"clone_url\":\"https://github.com/acme/config.git\","
	    "\"html_url\":\"https://github.com/acme/config\","
	    "\"ssh_url\":\"git@github.com:acme/config.git\",\"private\":true}}";
	static const char gitlab[] = "{\"object_kind\":\"push\",\"project\":{"
	                             "\"git_http_url\":\"https://gitlab.example.com/g/s/r.git\","
	                             "\"git_ssh_url\":\"git@gitlab.example.com:g/s/r.git\"}}";
	struct buf keys = BUF_INIT, ref = BUF_INIT;

	(void)state;
	assert_int_equal(webhook_repos(&keys, &ref, github, strlen(github)), 3);
	assert_string_equal(ref.ptr, "refs/heads/main");
	assert_string_equal(keys.ptr, "github.com/acme/config");
	assert_int_equal(keys.len, 3 * (strlen("github.com/acme/config") + 1));
	buf_reset(&keys);
	assert_int_equal(webhook_repos(&keys, NULL, gitlab, strlen(gitlab)), 2);
	assert_string_equal(keys.ptr, "gitlab.example.com/g/s/r");
	buf_reset(&keys);
	assert_int_equal(webhook_repos(&keys, NULL, "{}", 2), 0);
	assert_int_equal(webhook_repos(&keys, NULL, "{\"repository\":{\"clone_url\":7}}", 30), 0);
	assert_int_equal(webhook_repos(&keys, NULL, "[1]", 3), -1);
	assert_int_equal(webhook_repos(&keys, NULL, "{\"repository\":", 14), -1);
	assert_int_equal(webhook_repos(&keys, NULL, "", 0), -1);
	buf_release(&keys);
	buf_release(&ref);
}

/* A forge's own pull request payload, from tests/fixtures/webhook/
 * (SOURCES.md says where each comes from): what berth reads of it. */
static int fixture(struct webhook_pull *pr, struct buf *keys, enum forge f, const char *name)
{
	struct buf path = BUF_INIT, body = BUF_INIT;
	int wants;

	buf_addf(&path, "%s/%s", BERTH_FIXTURES, name);
	assert_int_equal(buf_read_file(&body, path.ptr, 1 << 20), 0);
	webhook_pull_release(pr);
	*pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	buf_reset(keys);
	wants = webhook_pull(pr, keys, f, body.ptr, body.len);
	buf_release(&path);
	buf_release(&body);
	return wants;
}

static void test_webhook__pull_requests_of_each_forge(void **state)
{
	struct webhook_pull pr = WEBHOOK_PULL_INIT;
	struct buf keys = BUF_INIT;

	(void)state;
	assert_true(webhook_is_pull(FORGE_GITHUB, "pull_request"));
	assert_true(webhook_is_pull(FORGE_GITLAB, "Merge Request Hook"));
	assert_true(webhook_is_pull(FORGE_GITEA, "pull_request"));
	assert_false(webhook_is_pull(FORGE_GITLAB, "pull_request"));
	assert_false(webhook_is_pull(FORGE_GITHUB, "push"));

	assert_int_equal(fixture(&pr, &keys, FORGE_GITHUB, "github-pull_request-opened.json"), 1);
	assert_int_equal(pr.number, 2);
	assert_string_equal(pr.head, "ec26c3e57ca3a959ca5aad62de7213c562f8c821");
	assert_string_equal(pr.base.ptr, "master");
	assert_string_equal(pr.branch.ptr, "changes");
	assert_string_equal(pr.fallback.ptr, "master");
	assert_string_equal(keys.ptr, "github.com/codertocat/hello-world");
	assert_int_equal(fixture(&pr, &keys, FORGE_GITHUB, "github-pull_request-synchronize.json"),
	                 1);
	assert_int_equal(fixture(&pr, &keys, FORGE_GITHUB, "github-pull_request-closed.json"), 0);

	assert_int_equal(fixture(&pr, &keys, FORGE_GITLAB, "gitlab-merge_request-open.json"), 1);
	assert_int_equal(pr.number, 1);
	assert_string_equal(pr.head, "da1560886d4f094c3e6c9ef40349f7d38b5d27d7");
	assert_string_equal(pr.base.ptr, "master");
	assert_string_equal(keys.ptr, "example.com/gitlabhq/gitlab-test");
	assert_int_equal(fixture(&pr, &keys, FORGE_GITLAB, "gitlab-merge_request-update.json"), 1);

	assert_int_equal(fixture(&pr, &keys, FORGE_GITEA, "gitea-pull_request-opened.json"), 1);
	assert_int_equal(pr.number, 2);
	assert_string_equal(pr.head, "48e773f892a831faa47c0a160d1b7f0cd369ae2a");
	assert_string_equal(keys.ptr, "localhost/example/example");
	assert_int_equal(fixture(&pr, &keys, FORGE_GITEA, "gitea-pull_request-synchronized.json"),
	                 1);
	assert_string_equal(pr.base.ptr, "main");

	/* A push is no pull request; a pull request of another forge's shape
	 * names nothing this one reads. */
	webhook_pull_release(&pr);
	pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	assert_true(webhook_pull(&pr, &keys, FORGE_GITHUB, "{\"ref\":\"refs/heads/main\"}", 24) <
	            0);
	assert_int_equal(fixture(&pr, &keys, FORGE_GITLAB, "github-pull_request-opened.json"), -1);
	assert_int_equal(webhook_pull(&pr, &keys, FORGE_GITEA, "[]", 2), -1);
	webhook_pull_release(&pr);
	buf_release(&keys);
}

static void test_webhook__a_fork_and_when_it_changed(void **state)
{
	struct webhook_pull pr = WEBHOOK_PULL_INIT;
	struct buf keys = BUF_INIT;
	static const char fork[] =
	    "{\"action\":\"opened\",\"number\":3,\"pull_request\":{\"updated_at\":"
	    "\"2026-12-01T10:00:00Z\",\"head\":{\"sha\":"
	    "\"ec26c3e57ca3a959ca5aad62de7213c562f8c821\",\"repo\":{\"id\":7,\"full_name\":"
	    "\"mallory/config\"}},\"base\":{\"ref\":\"main\",\"repo\":{\"id\":1,"
	    "\"full_name\":\"acme/config\"}}}}";
	static const char deleted_fork[] =
	    "{\"action\":\"synchronize\",\"number\":3,\"pull_request\":{\"head\":{\"sha\":"
	    "\"ec26c3e57ca3a959ca5aad62de7213c562f8c821\",\"repo\":null},\"base\":{\"ref\":"
	    "\"main\",\"repo\":{\"id\":1}}}}";

	(void)state;
	/* The forges' own examples: GitHub's and GitLab's are from the same
	 * repository, Gitea's opened one from a fork (repo_id 2 into 1). */
	assert_int_equal(fixture(&pr, &keys, FORGE_GITHUB, "github-pull_request-opened.json"), 1);
	assert_false(pr.fork);
	assert_true(pr.updated == 1557933633.0); /* 2019-05-15T15:20:33Z */
	webhook_pull_release(&pr);
	pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	assert_int_equal(fixture(&pr, &keys, FORGE_GITLAB, "gitlab-merge_request-open.json"), 1);
	assert_false(pr.fork);
	webhook_pull_release(&pr);
	pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	assert_int_equal(fixture(&pr, &keys, FORGE_GITEA, "gitea-pull_request-opened.json"), 1);
	assert_true(pr.fork);
	assert_true(pr.updated == 1646811066.0); /* 2022-03-09T16:31:06+09:00 */
	webhook_pull_release(&pr);
	pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	assert_int_equal(fixture(&pr, &keys, FORGE_GITEA, "gitea-pull_request-synchronized.json"),
	                 1);
	assert_false(pr.fork);
	webhook_pull_release(&pr);

	pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	assert_int_equal(webhook_pull(&pr, &keys, FORGE_GITHUB, fork, sizeof(fork) - 1), 1);
	assert_true(pr.fork);
	webhook_pull_release(&pr);
	/* A head whose repository is gone, or not named: a fork. */
	pr = (struct webhook_pull)WEBHOOK_PULL_INIT;
	assert_int_equal(
	    webhook_pull(&pr, &keys, FORGE_GITHUB, deleted_fork, sizeof(deleted_fork) - 1), 1);
	assert_true(pr.fork);
	assert_true(pr.updated == 0);
	webhook_pull_release(&pr);

	assert_true(webhook_time("2013-12-03 17:23:34 UTC") == 1386091414.0);
	assert_true(webhook_time("2024-02-22T01:42:03.250+01:00") == 1708562523.0);
	assert_true(webhook_time("2024-02-21T19:42:03-05:00") == 1708562523.0);
	assert_true(webhook_time("yesterday") == 0);
	assert_true(webhook_time("2024-02-22T01:42:03+01") == 0);
	assert_true(webhook_time(NULL) == 0);
	buf_release(&keys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_webhook__github_signature_is_checked),
	    cmocka_unit_test(test_webhook__gitea_signature_has_no_prefix),
	    cmocka_unit_test(test_webhook__gitlab_token_is_the_secret),
	    cmocka_unit_test(test_webhook__push_events),
	    cmocka_unit_test(test_webhook__one_repository_has_one_key),
	    cmocka_unit_test(test_webhook__a_push_moves_only_the_refs_it_names),
	    cmocka_unit_test(test_webhook__payloads_name_their_repository),
	    cmocka_unit_test(test_webhook__pull_requests_of_each_forge),
	    cmocka_unit_test(test_webhook__a_fork_and_when_it_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
