#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/cli/cli.h"
#include "../../agent/forge/forge.h"
#include "../../agent/source/plan_report.h"
#include "../../diff/base/berth_error.h"

#include <string.h>

static void test_forge__repository_from_every_remote_form(void **state)
{
	static const struct {
		const char *url, *want;
	} cases[] = {
	    {"https://github.com/owner/repo", "owner/repo"},
	    {"https://github.com/owner/repo.git", "owner/repo"},
	    {"https://github.com/owner/repo/", "owner/repo"},
	    {"https://git.example.com:8443/owner/repo.git", "owner/repo"},
	    {"https://user@gitlab.com/group/sub/repo.git", "group/sub/repo"},
	    {"ssh://git@github.com/owner/repo.git", "owner/repo"},
	    /* An SSH port is not the API's: only the path counts. */
	    {"ssh://git@gitea.example.com:2222/owner/repo.git", "owner/repo"},
	    {"git@github.com:owner/repo.git", "owner/repo"},
	    {"git@gitlab.com:group/sub/repo", "group/sub/repo"},
	    {"git://git.example.com/owner/repo", "owner/repo"},
	    {"https://github.com/Owner/Repo.git?x=1", "Owner/Repo"},
	};
	static const char *const refused[] = {
	    "/srv/git/repo.git",
	    "./repo",
	    "file:///srv/git/owner/repo.git",
	    "https://github.com/repo",
	    "git@github.com:repo.git",
	};
	struct buf out = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(forge_repository(&out, cases[i].url), 0);
		assert_string_equal(out.ptr, cases[i].want);
	}
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_not_equal(forge_repository(&out, refused[i]), 0);
	buf_release(&out);
}

static void test_forge__description_fits_140_at_a_character(void **state)
{
	struct buf out = BUF_INIT;
	char long_ascii[200], accents[300];
	size_t i;

	(void)state;
	memset(long_ascii, 'a', 140);
	long_ascii[140] = '\0';
	status_description_fit(&out, long_ascii);
	assert_int_equal(out.len, 140);
	long_ascii[140] = 'b';
	long_ascii[141] = '\0';
	status_description_fit(&out, long_ascii);
	assert_int_equal(out.len, 140);
	assert_string_equal(out.ptr + 137, "...");
	/* Two bytes each: never cut inside one. */
	for (i = 0; i < 100; i++)
		memcpy(accents + 2 * i, "\xc3\xa9", 2);
	accents[200] = '\0';
	status_description_fit(&out, accents);
	assert_true(out.len <= 140);
	assert_int_equal((out.len - 3) % 2, 0);
	/* A newline of an error message is a space. */
	status_description_fit(&out, "a.yaml:1:1: bad\nmore");
	assert_string_equal(out.ptr, "a.yaml:1:1: bad more");
	buf_release(&out);
}

/* status.c reaches target.c, whose flags need the command line's. */
int usage_error(const char *verb, const char *fmt, ...)
{
	(void)verb;
	(void)fmt;
	return 2;
}

/* A refusal's status names the file as the repository does, its control
 * characters escaped: a directory named with a line break and an escape
 * sequence shows as one line. */
static void test_forge__refusal_names_a_hostile_file_in_one_line(void **state)
{
	struct diagnostics d = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT, fitted = BUF_INIT;

	(void)state;
	diagnostics_add(&d, "/tmp/co/app/x\n```\n# heading @admin\x1b[2J/web.yaml", 5, 3,
	                "spec.serviceName: no Service 'nowhere'");
	plan_summary_error(&out, &d, "/tmp/co");
	assert_string_equal(out.ptr, "app/x\\n```\\n# heading @admin\\x1b[2J/web.yaml:5:3: "
	                             "spec.serviceName: no Service 'nowhere'");
	status_description_fit(&fitted, out.ptr);
	assert_string_equal(fitted.ptr, out.ptr);
	buf_release(&out);
	buf_release(&fitted);
	diagnostics_release(&d);
}

static void test_forge__gitlab_has_failed_for_failure_and_error(void **state)
{
	(void)state;
	assert_string_equal(forge_state(FORGE_GITLAB, STATUS_FAILURE), "failed");
	assert_string_equal(forge_state(FORGE_GITLAB, STATUS_ERROR), "failed");
	assert_string_equal(forge_state(FORGE_GITLAB, STATUS_PENDING), "pending");
	assert_string_equal(forge_state(FORGE_GITHUB, STATUS_ERROR), "error");
	assert_string_equal(forge_state(FORGE_GITEA, STATUS_FAILURE), "failure");
}

static void test_forge__urls_per_forge(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	forge_status_url(&out, FORGE_GITHUB, "https://api.github.com/", "o/r", "abc");
	assert_string_equal(out.ptr, "https://api.github.com/repos/o/r/statuses/abc");
	forge_status_url(&out, FORGE_GITHUB, "https://ghe.example.com/api/v3", "o/r", "abc");
	assert_string_equal(out.ptr, "https://ghe.example.com/api/v3/repos/o/r/statuses/abc");
	forge_status_url(&out, FORGE_GITLAB, "https://gitlab.com", "group/sub/my.repo", "abc");
	assert_string_equal(
	    out.ptr, "https://gitlab.com/api/v4/projects/group%2Fsub%2Fmy.repo/statuses/abc");
	forge_list_url(&out, FORGE_GITLAB, "https://gitlab.com", "g/r", "abc", "berth/a b");
	assert_string_equal(out.ptr, "https://gitlab.com/api/v4/projects/g%2Fr/repository/commits/"
	                             "abc/statuses?per_page=100&name=berth%2Fa%20b");
	forge_status_url(&out, FORGE_GITEA, "https://gitea.example.com", "o/r", "abc");
	assert_string_equal(out.ptr, "https://gitea.example.com/api/v1/repos/o/r/statuses/abc");
	forge_status_body(&out, FORGE_GITLAB, STATUS_ERROR, "berth/c/s", "d", NULL, NULL);
	assert_string_equal(out.ptr,
	                    "{\"state\":\"failed\",\"name\":\"berth/c/s\",\"description\":\"d\"}");
	forge_status_body(&out, FORGE_GITLAB, STATUS_SUCCESS, "c", "d", NULL,
	                  "refs/merge-requests/7/head");
	assert_string_equal(out.ptr, "{\"state\":\"success\",\"name\":\"c\",\"description\":\"d\","
	                             "\"ref\":\"refs/merge-requests/7/head\"}");
	forge_status_body(&out, FORGE_GITHUB, STATUS_SUCCESS, "c", "d", "https://x/y", "r");
	assert_string_equal(out.ptr,
	                    "{\"state\":\"success\",\"context\":\"c\",\"description\":\"d\","
	                    "\"target_url\":\"https://x/y\"}");
	buf_release(&out);
}

static void test_forge__newest_status_of_a_context(void **state)
{
	static const char github[] =
	    "[{\"id\":3,\"state\":\"success\",\"context\":\"Berth/C/S\",\"description\":\"new\"},"
	    "{\"id\":2,\"state\":\"pending\",\"context\":\"berth/c/s\",\"description\":\"old\"},"
	    "{\"id\":1,\"state\":\"failure\",\"context\":\"other\",\"description\":\"x\"}]";
	static const char gitlab[] =
	    "[{\"id\":7,\"status\":\"pending\",\"name\":\"berth/c/s\",\"description\":\"a\"},"
	    "{\"id\":9,\"status\":\"failed\",\"name\":\"berth/c/s\",\"description\":\"b\"}]";
	struct buf st = BUF_INIT, desc = BUF_INIT;

	(void)state;
	/* GitHub compares contexts ignoring case. */
	assert_int_equal(
	    forge_newest(&st, &desc, FORGE_GITHUB, github, strlen(github), "berth/c/s"), 0);
	assert_string_equal(st.ptr, "success");
	assert_string_equal(desc.ptr, "new");
	assert_int_equal(
	    forge_newest(&st, &desc, FORGE_GITLAB, gitlab, strlen(gitlab), "berth/c/s"), 0);
	assert_string_equal(st.ptr, "failed");
	assert_string_equal(desc.ptr, "b");
	assert_int_equal(forge_newest(&st, &desc, FORGE_GITEA, "[]", 2, "berth/c/s"),
	                 BERTH_ENOTFOUND);
	assert_true(forge_newest(&st, &desc, FORGE_GITEA, "{}", 2, "c") < 0);
	buf_release(&st);
	buf_release(&desc);
}

static void test_forge__templates_expand_three_names(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	assert_int_equal(status_template(&out, "berth/{cluster}/{source}", "abc", "web", "prod"),
	                 0);
	assert_string_equal(out.ptr, "berth/prod/web");
	assert_int_equal(status_template(&out, "https://d/{sha}?s={source}", "abc", "web", "p"), 0);
	assert_string_equal(out.ptr, "https://d/abc?s=web");
	assert_int_not_equal(status_template(&out, "{commit}", "a", "b", "c"), 0);
	assert_int_not_equal(status_template(&out, "x{sha", "a", "b", "c"), 0);
	buf_release(&out);
}

/* The third of the NUL-separated header lines. */
static const char *third_line(const struct buf *headers)
{
	const char *line = headers->ptr;

	line += strlen(line) + 1;
	return line + strlen(line) + 1;
}

/* GitHub's API version: the default, one chosen, and only dates. */
static void test_forge__github_api_version(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	forge_headers(&out, FORGE_GITHUB, "t", NULL);
	assert_string_equal(third_line(&out), "X-GitHub-Api-Version: 2022-11-28");
	forge_headers(&out, FORGE_GITHUB, "t", "2026-03-10");
	assert_string_equal(third_line(&out), "X-GitHub-Api-Version: 2026-03-10");
	assert_int_equal(forge_api_version_check("2026-03-10"), 0);
	assert_int_not_equal(forge_api_version_check("2026-03-10\r\nX-Evil: 1"), 0);
	assert_int_not_equal(forge_api_version_check("2026-3-10"), 0);
	assert_int_not_equal(forge_api_version_check(""), 0);
	assert_non_null(strstr(berth_error_last(), "not an API version"));
	buf_release_secret(&out);
}

/* The commit's web page: GitHub's from its API host, GitLab's under /-/. */
static void test_forge__commit_page(void **state)
{
	struct buf out = BUF_INIT;

	(void)state;
	forge_commit_url(&out, FORGE_GITHUB, NULL, "acme/config", "abc");
	assert_string_equal(out.ptr, "https://github.com/acme/config/commit/abc");
	forge_commit_url(&out, FORGE_GITHUB, "https://ghe.example.com/api/v3/", "acme/config",
	                 "abc");
	assert_string_equal(out.ptr, "https://ghe.example.com/acme/config/commit/abc");
	forge_commit_url(&out, FORGE_GITLAB, "https://gitlab.example.com", "g/sub/r", "abc");
	assert_string_equal(out.ptr, "https://gitlab.example.com/g/sub/r/-/commit/abc");
	forge_commit_url(&out, FORGE_GITEA, "https://codeberg.org/", "o/r", "abc");
	assert_string_equal(out.ptr, "https://codeberg.org/o/r/commit/abc");
	buf_release(&out);
}

/* Where each forge keeps a pull request's comments. */
static void test_forge__comments_of_a_pull_request(void **state)
{
	struct buf out = BUF_INIT;
	long long id = 0;

	(void)state;
	forge_comments_url(&out, FORGE_GITHUB, "https://api.github.com/", "o/r", 7);
	assert_string_equal(out.ptr, "https://api.github.com/repos/o/r/issues/7/comments");
	forge_comment_url(&out, FORGE_GITHUB, "https://h/api/v3", "o/r", 7, 99);
	assert_string_equal(out.ptr, "https://h/api/v3/repos/o/r/issues/comments/99");
	forge_comments_url(&out, FORGE_GITLAB, "https://gl", "g/sub/r", 7);
	assert_string_equal(out.ptr,
	                    "https://gl/api/v4/projects/g%2Fsub%2Fr/merge_requests/7/notes");
	forge_comment_url(&out, FORGE_GITLAB, "https://gl", "g/sub/r", 7, 99);
	assert_string_equal(out.ptr,
	                    "https://gl/api/v4/projects/g%2Fsub%2Fr/merge_requests/7/notes/99");
	forge_comments_url(&out, FORGE_GITEA, "https://tea", "o/r", 7);
	assert_string_equal(out.ptr, "https://tea/api/v1/repos/o/r/issues/7/comments");
	forge_comment_url(&out, FORGE_GITEA, "https://tea", "o/r", 7, 99);
	assert_string_equal(out.ptr, "https://tea/api/v1/repos/o/r/issues/comments/99");
	assert_string_equal(forge_edit_method(FORGE_GITLAB), "PUT");
	assert_string_equal(forge_edit_method(FORGE_GITHUB), "PATCH");
	forge_comment_body(&out, "a \"quoted\" </b>");
	assert_string_equal(out.ptr, "{\"body\":\"a \\\"quoted\\\" </b>\"}");
	assert_int_equal(forge_comment_id(&id, "{\"id\":42,\"body\":\"x\"}", 20), 0);
	assert_int_equal(id, 42);
	assert_int_equal(forge_comment_id(&id, "{\"body\":\"x\"}", 12), BERTH_ERROR);
	buf_release(&out);
}

/* Who a token is: each forge's user endpoint, and its answer. */
static void test_forge__the_account_of_a_token(void **state)
{
	struct forge_account a = FORGE_ACCOUNT_INIT;
	struct buf out = BUF_INIT;
	static const char gh[] = "{\"login\":\"berth-bot\",\"id\":7,\"type\":\"User\"}";
	static const char gl[] = "{\"id\":5,\"username\":\"berth-bot\",\"name\":\"b\"}";

	(void)state;
	forge_user_url(&out, FORGE_GITHUB, "https://h/api/v3/");
	assert_string_equal(out.ptr, "https://h/api/v3/user");
	forge_user_url(&out, FORGE_GITLAB, "https://gl");
	assert_string_equal(out.ptr, "https://gl/api/v4/user");
	forge_user_url(&out, FORGE_GITEA, "https://tea");
	assert_string_equal(out.ptr, "https://tea/api/v1/user");
	assert_int_equal(forge_account_parse(&a, FORGE_GITHUB, gh, strlen(gh)), 0);
	assert_string_equal(a.login, "berth-bot");
	assert_int_equal(forge_account_parse(&a, FORGE_GITLAB, gl, strlen(gl)), 0);
	assert_string_equal(a.login, "berth-bot");
	assert_int_equal(a.id, 5);
	assert_int_equal(forge_account_parse(&a, FORGE_GITEA, gh, strlen(gh)), 0);
	assert_int_equal(forge_account_parse(&a, FORGE_GITLAB, gh, strlen(gh)), BERTH_ERROR);
	assert_int_equal(forge_account_parse(&a, FORGE_GITHUB, "[]", 2), BERTH_ERROR);
	assert_string_equal(a.login, "berth-bot");
	forge_account_release(&a);
	buf_release(&out);
}

/* berth's comment is the one with its marker by its own account (or
 * posted by it): another account's comment holding the marker is never
 * it. */
static void test_forge__finds_only_its_own_comment(void **state)
{
	static const char marker[] = "<!-- berth-preview x -->";
	static const char github[] =
	    "[{\"id\":3,\"body\":\"LGTM\",\"user\":{\"login\":\"berth-bot\"}},"
	    "{\"id\":9,\"body\":\"<!-- berth-preview x -->\\nmine now\",\"user\":"
	    "{\"login\":\"alice\"}},"
	    "{\"id\":12,\"body\":\"<!-- berth-preview x -->\\nold\",\"user\":"
	    "{\"login\":\"Berth-Bot\"}}]";
	/* GitLab: by the author's id; a username can be taken over by a
	 * rename. */
	static const char gitlab[] =
	    "[{\"id\":9,\"body\":\"<!-- berth-preview x -->\",\"author\":{\"id\":77,"
	    "\"username\":\"berth-bot\"}},"
	    "{\"id\":12,\"body\":\"<!-- berth-preview x -->\",\"author\":{\"id\":5,"
	    "\"username\":\"renamed\"}}]";
	struct forge_account self = {.login = (char *)"berth-bot", .id = 5};
	long long posted[] = {9};
	struct forge_mine mine = {&self, NULL, 0};
	struct buf body = BUF_INIT;
	long long id = 0;
	size_t count = 0;

	(void)state;
	assert_int_equal(forge_find_comment(&id, &body, &count, FORGE_GITHUB, &mine, github,
	                                    strlen(github), marker),
	                 0);
	assert_int_equal(id, 12);
	assert_int_equal(count, 3);
	assert_string_equal(body.ptr, "<!-- berth-preview x -->\nold");
	assert_int_equal(forge_find_comment(&id, &body, &count, FORGE_GITEA, &mine, github,
	                                    strlen(github), "<!-- berth-preview y -->"),
	                 BERTH_ENOTFOUND);
	assert_int_equal(forge_find_comment(&id, &body, &count, FORGE_GITLAB, &mine, gitlab,
	                                    strlen(gitlab), marker),
	                 0);
	assert_int_equal(id, 12);
	/* The forge would not say who berth is: only the comments it posted. */
	mine.self = NULL;
	assert_int_equal(forge_find_comment(&id, &body, &count, FORGE_GITHUB, &mine, github,
	                                    strlen(github), marker),
	                 BERTH_ENOTFOUND);
	mine.ids = posted;
	mine.nids = 1;
	assert_int_equal(forge_find_comment(&id, &body, &count, FORGE_GITHUB, &mine, github,
	                                    strlen(github), marker),
	                 0);
	assert_int_equal(id, 9);
	assert_int_equal(forge_find_comment(&id, &body, &count, FORGE_GITHUB, &mine, "{}", 2, "x"),
	                 BERTH_ERROR);
	buf_release(&body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forge__repository_from_every_remote_form),
	    cmocka_unit_test(test_forge__description_fits_140_at_a_character),
	    cmocka_unit_test(test_forge__refusal_names_a_hostile_file_in_one_line),
	    cmocka_unit_test(test_forge__gitlab_has_failed_for_failure_and_error),
	    cmocka_unit_test(test_forge__urls_per_forge),
	    cmocka_unit_test(test_forge__newest_status_of_a_context),
	    cmocka_unit_test(test_forge__templates_expand_three_names),
	    cmocka_unit_test(test_forge__github_api_version),
	    cmocka_unit_test(test_forge__commit_page),
	    cmocka_unit_test(test_forge__comments_of_a_pull_request),
	    cmocka_unit_test(test_forge__the_account_of_a_token),
	    cmocka_unit_test(test_forge__finds_only_its_own_comment),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
