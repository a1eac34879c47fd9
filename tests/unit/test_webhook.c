#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/forge/webhook.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

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

/* webhook_parse() of `len` bytes of `body`, a delivery of `event` to forge
 * `f`, into `ev` (released first): its kind, or -1. */
static int parse(struct webhook_event *ev, enum forge f, const char *event, const char *body,
                 size_t len)
{
	webhook_event_release(ev);
	*ev = (struct webhook_event)WEBHOOK_EVENT_INIT;
	return webhook_parse(ev, f, event, body, len) < 0 ? -1 : (int)ev->kind;
}

/* Each forge names its pushes and pull requests; any other event is
 * ignored, its body unread. */
static void test_webhook__events_of_each_forge(void **state)
{
	struct webhook_event ev = WEBHOOK_EVENT_INIT;

	(void)state;
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "{}", 2), WEBHOOK_PUSH);
	assert_int_equal(parse(&ev, FORGE_GITHUB, "ping", "{}", 2), WEBHOOK_IGNORED);
	assert_int_equal(parse(&ev, FORGE_GITHUB, "ping", "[", 1), WEBHOOK_IGNORED);
	assert_int_equal(parse(&ev, FORGE_GITHUB, NULL, "{}", 2), WEBHOOK_IGNORED);
	assert_int_equal(parse(&ev, FORGE_GITLAB, "Push Hook", "{}", 2), WEBHOOK_PUSH);
	assert_int_equal(parse(&ev, FORGE_GITLAB, "Tag Push Hook", "{}", 2), WEBHOOK_PUSH);
	assert_int_equal(parse(&ev, FORGE_GITLAB, "push", "{}", 2), WEBHOOK_IGNORED);
	assert_int_equal(parse(&ev, FORGE_GITEA, "push", "{}", 2), WEBHOOK_PUSH);
	assert_int_equal(parse(&ev, FORGE_GITEA, "issues", "{}", 2), WEBHOOK_IGNORED);
	/* Pull requests: read as such, so "{}" is none. */
	assert_int_equal(parse(&ev, FORGE_GITHUB, "pull_request", "{}", 2), -1);
	assert_string_equal(berth_error_last(), "not a pull request: it names no pull request");
	assert_int_equal(parse(&ev, FORGE_GITLAB, "Merge Request Hook", "{}", 2), -1);
	assert_int_equal(parse(&ev, FORGE_GITEA, "pull_request", "{}", 2), -1);
	assert_int_equal(parse(&ev, FORGE_GITLAB, "pull_request", "{}", 2), WEBHOOK_IGNORED);
	/* A body that is no JSON object is refused, whatever it is. */
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "[1]", 3), -1);
	assert_string_equal(berth_error_last(), "the body is not a JSON object");
	assert_int_equal(parse(&ev, FORGE_GITEA, "pull_request", "[]", 2), -1);
	assert_string_equal(berth_error_last(), "the body is not a JSON object");
	webhook_event_release(&ev);
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
	struct webhook_event ev = WEBHOOK_EVENT_INIT;

	(void)state;
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", github, strlen(github)), WEBHOOK_PUSH);
	assert_string_equal(ev.ref.ptr, "refs/heads/main");
	assert_string_equal(ev.keys.ptr, "github.com/acme/config");
	assert_int_equal(ev.keys.len, 3 * (strlen("github.com/acme/config") + 1));
	assert_int_equal(parse(&ev, FORGE_GITLAB, "Push Hook", gitlab, strlen(gitlab)),
	                 WEBHOOK_PUSH);
	assert_string_equal(ev.keys.ptr, "gitlab.example.com/g/s/r");
	assert_int_equal(ev.keys.len, 2 * (strlen("gitlab.example.com/g/s/r") + 1));
	assert_string_equal(ev.ref.ptr, "");
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "{}", 2), WEBHOOK_PUSH);
	assert_int_equal(ev.keys.len, 0);
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "{\"repository\":{\"clone_url\":7}}", 30),
	                 WEBHOOK_PUSH);
	assert_int_equal(ev.keys.len, 0);
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "[1]", 3), -1);
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "{\"repository\":", 14), -1);
	assert_int_equal(parse(&ev, FORGE_GITHUB, "push", "", 0), -1);
	webhook_event_release(&ev);
}

/* A forge's own pull request payload, from tests/fixtures/webhook/
 * (SOURCES.md says where each comes from), read into `ev`: its kind, or
 * -1. */
static int fixture(struct webhook_event *ev, enum forge f, const char *name)
{
	struct buf path = BUF_INIT, body = BUF_INIT;
	int kind;

	buf_addf(&path, "%s/%s", BERTH_FIXTURES, name);
	assert_int_equal(buf_read_file(&body, path.ptr, 1 << 20), 0);
	kind = parse(ev, f, f == FORGE_GITLAB ? "Merge Request Hook" : "pull_request", body.ptr,
	             body.len);
	buf_release(&path);
	buf_release(&body);
	return kind;
}

static void test_webhook__pull_requests_of_each_forge(void **state)
{
	/* What berth reads of each forge's own payloads. */
	static const struct {
		enum forge f;
		const char *file;
		enum webhook_kind kind;
		long number;
		const char *head, *base, *branch, *fallback, *key;
	} cases[] = {
	    {FORGE_GITHUB, "github-pull_request-opened.json", WEBHOOK_PULL_PREVIEW, 2,
	     "ec26c3e57ca3a959ca5aad62de7213c562f8c821", "master", "changes", "master",
	     "github.com/codertocat/hello-world"},
	    {FORGE_GITHUB, "github-pull_request-synchronize.json", WEBHOOK_PULL_PREVIEW, 0, NULL,
	     NULL, NULL, NULL, NULL},
	    {FORGE_GITHUB, "github-pull_request-closed.json", WEBHOOK_PULL_OTHER, 0, NULL, NULL,
	     NULL, NULL, NULL},
	    {FORGE_GITLAB, "gitlab-merge_request-open.json", WEBHOOK_PULL_PREVIEW, 1,
	     "da1560886d4f094c3e6c9ef40349f7d38b5d27d7", "master", "ms-viewport", "master",
	     "example.com/gitlabhq/gitlab-test"},
	    {FORGE_GITLAB, "gitlab-merge_request-update.json", WEBHOOK_PULL_PREVIEW, 0, NULL, NULL,
	     NULL, NULL, NULL},
	    {FORGE_GITEA, "gitea-pull_request-opened.json", WEBHOOK_PULL_PREVIEW, 2,
	     "48e773f892a831faa47c0a160d1b7f0cd369ae2a", "master", "master", "master",
	     "localhost/example/example"},
	};
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	const struct webhook_pull *pr = &ev.pull;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(fixture(&ev, cases[i].f, cases[i].file), cases[i].kind);
		/* A pull request moves no ref. */
		assert_string_equal(ev.ref.ptr, "");
		if (!cases[i].number)
			continue;
		assert_int_equal(pr->number, cases[i].number);
		assert_string_equal(pr->head, cases[i].head);
		assert_string_equal(pr->base.ptr, cases[i].base);
		assert_string_equal(pr->branch.ptr, cases[i].branch);
		assert_string_equal(pr->fallback.ptr, cases[i].fallback);
		assert_string_equal(ev.keys.ptr, cases[i].key);
	}
	assert_int_equal(fixture(&ev, FORGE_GITEA, "gitea-pull_request-synchronized.json"),
	                 WEBHOOK_PULL_PREVIEW);
	assert_string_equal(pr->base.ptr, "main");
	assert_string_equal(ev.keys.ptr, "127.0.0.1/test-ci/multi-line-secrets");
	/* A failure leaves the event as it was. */
	assert_int_equal(webhook_parse(&ev, FORGE_GITEA, "pull_request", "{}", 2), -1);
	assert_int_equal(ev.kind, WEBHOOK_PULL_PREVIEW);
	assert_string_equal(pr->base.ptr, "main");
	assert_string_equal(ev.keys.ptr, "127.0.0.1/test-ci/multi-line-secrets");

	/* A push is no pull request; a pull request of another forge's shape
	 * names nothing this one reads. */
	assert_int_equal(
	    parse(&ev, FORGE_GITHUB, "pull_request", "{\"ref\":\"refs/heads/main\"}", 24), -1);
	assert_int_equal(fixture(&ev, FORGE_GITLAB, "github-pull_request-opened.json"), -1);
	assert_string_equal(berth_error_last(), "not a pull request: it names no pull request");
	webhook_event_release(&ev);
}

static void test_webhook__a_fork_and_when_it_changed(void **state)
{
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
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
	assert_int_equal(fixture(&ev, FORGE_GITHUB, "github-pull_request-opened.json"),
	                 WEBHOOK_PULL_PREVIEW);
	assert_false(ev.pull.fork);
	assert_true(ev.pull.updated == 1557933633.0); /* 2019-05-15T15:20:33Z */
	assert_int_equal(fixture(&ev, FORGE_GITLAB, "gitlab-merge_request-open.json"),
	                 WEBHOOK_PULL_PREVIEW);
	assert_false(ev.pull.fork);
	assert_int_equal(fixture(&ev, FORGE_GITEA, "gitea-pull_request-opened.json"),
	                 WEBHOOK_PULL_PREVIEW);
	assert_true(ev.pull.fork);
	assert_true(ev.pull.updated == 1646811066.0); /* 2022-03-09T16:31:06+09:00 */
	assert_int_equal(fixture(&ev, FORGE_GITEA, "gitea-pull_request-synchronized.json"),
	                 WEBHOOK_PULL_PREVIEW);
	assert_false(ev.pull.fork);

	assert_int_equal(parse(&ev, FORGE_GITHUB, "pull_request", fork, sizeof(fork) - 1),
	                 WEBHOOK_PULL_PREVIEW);
	assert_true(ev.pull.fork);
	/* A head whose repository is gone, or not named: a fork. */
	assert_int_equal(
	    parse(&ev, FORGE_GITHUB, "pull_request", deleted_fork, sizeof(deleted_fork) - 1),
	    WEBHOOK_PULL_PREVIEW);
	assert_true(ev.pull.fork);
	assert_true(ev.pull.updated == 0);
	webhook_event_release(&ev);

	assert_true(webhook_time("2013-12-03 17:23:34 UTC") == 1386091414.0);
	assert_true(webhook_time("2024-02-22T01:42:03.250+01:00") == 1708562523.0);
	assert_true(webhook_time("2024-02-21T19:42:03-05:00") == 1708562523.0);
	assert_true(webhook_time("yesterday") == 0);
	assert_true(webhook_time("2024-02-22T01:42:03+01") == 0);
	assert_true(webhook_time(NULL) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_webhook__github_signature_is_checked),
	    cmocka_unit_test(test_webhook__gitea_signature_has_no_prefix),
	    cmocka_unit_test(test_webhook__gitlab_token_is_the_secret),
	    cmocka_unit_test(test_webhook__events_of_each_forge),
	    cmocka_unit_test(test_webhook__one_repository_has_one_key),
	    cmocka_unit_test(test_webhook__a_push_moves_only_the_refs_it_names),
	    cmocka_unit_test(test_webhook__payloads_name_their_repository),
	    cmocka_unit_test(test_webhook__pull_requests_of_each_forge),
	    cmocka_unit_test(test_webhook__a_fork_and_when_it_changed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
