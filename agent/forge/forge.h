#ifndef BERTH_FORGE_H
#define BERTH_FORGE_H

#include "../../diff/base/buf.h"

#include <stddef.h>

/*
 * agent/forge/: the forges. It owns their status and comment APIs (this
 * file: URLs, headers, bodies, state names), webhook verification and
 * parsing (webhook.h), a status block's settings (status_config.h) and the
 * status poster, its thread and its rules (status.h). It may call:
 * agent/source/url.h (the one URL parser), apply/, diff/, diff/base/. It
 * is called by: agent/cli/ (a one-shot's status), agent/daemon/ (statuses,
 * comments, webhook matching) and agent/http/ (webhook verification and
 * parsing).
 *
 * The forges berth reports to, and their commit-status APIs (the README's
 * "Commit statuses"; tests/helpers/forge_server.py serves the same APIs,
 * with each forge's own rules, to the tests): URLs, headers, bodies and
 * state names. No I/O; status.c sends what this builds.
 */
enum forge {
	FORGE_GITHUB,
	FORGE_GITLAB,
	FORGE_GITEA,
	FORGE_COUNT,
};

/* "github", "gitlab", "gitea". */
const char *forge_name(enum forge f);

/* The forge named `name` ("gitea" also for Forgejo); -1 when none is. */
int forge_parse(enum forge *out, const char *name);

/* What berth says of a commit. */
enum status_state {
	STATUS_PENDING, /* being applied */
	STATUS_SUCCESS, /* applied and ready, or in sync */
	STATUS_FAILURE, /* refused, failed, or drifted */
	STATUS_ERROR,   /* berth could not do its job: the cluster unreachable, RBAC */
	STATUS_STATE_COUNT,
};

/* The state's name as forge `f` spells it: GitLab has "failed" for both
 * failure and error. */
const char *forge_state(enum forge f, enum status_state s);

/* Every forge takes a description of this many characters; GitHub refuses
 * a longer one. */
#define STATUS_DESCRIPTION_MAX 140

/* `s` cut to STATUS_DESCRIPTION_MAX bytes at most, at a character boundary
 * of its UTF-8, ending in "..." when cut; control characters become
 * spaces. Replaces what `out` held. */
void status_description_fit(struct buf *out, const char *s);

/*
 * The repository a remote URL names, as its forge's API path names it:
 * "owner/repo", or GitLab's "group/sub/repo", without ".git". Takes
 * https://host[:port]/path, ssh://user@host[:port]/path and scp-like
 * user@host:path (scp-like only when no '/' comes before the first ':').
 * Fails, saying why, for a local path, a file:// URL, or a path of fewer
 * than two parts.
 */
int forge_repository(struct buf *out, const char *url);

/* The API base of `f` when the config gives none: GitHub's
 * "https://api.github.com"; NULL for the others, which are self-hosted. */
const char *forge_default_base(enum forge f);

/* The web page of commit `sha` of `repository` on the forge whose API is
 * at `base` (NULL: the forge's default). */
void forge_commit_url(struct buf *out, enum forge f, const char *base, const char *repository,
                      const char *sha);

/* The URL that creates a status on `sha` of `repository` at `base`. */
void forge_status_url(struct buf *out, enum forge f, const char *base, const char *repository,
                      const char *sha);

/* The URL that lists the statuses of `sha`, newest first where the forge
 * orders them, of `context` only where the forge can filter. */
void forge_list_url(struct buf *out, enum forge f, const char *base, const char *repository,
                    const char *sha, const char *context);

/* The comments of pull request `number` (GitLab: the notes of merge
 * request `number`, its iid), to list (oldest first where the forge lets
 * one choose) and to add to. */
void forge_comments_url(struct buf *out, enum forge f, const char *base, const char *repository,
                        long number);

/* Comment `id` of pull request `number`, to edit with forge_edit_method(). */
void forge_comment_url(struct buf *out, enum forge f, const char *base, const char *repository,
                       long number, long long id);

/* The method that edits a comment: PATCH; GitLab's PUT. */
const char *forge_edit_method(enum forge f);

/* The longest comment the forge takes, in characters (GitHub: 65536). */
size_t forge_comment_max(enum forge f);

/* {"body": text}: a comment's JSON body. */
void forge_comment_body(struct buf *out, const char *text);

/* The URL of the account a token is: GET {base}/user (GitLab:
 * /api/v4/user, Gitea: /api/v1/user). */
void forge_user_url(struct buf *out, enum forge f, const char *base);

/* Who berth is at a forge, as its comments name their author. */
struct forge_account {
	char *login;  /* GitHub's and Gitea's login, GitLab's username; owned */
	long long id; /* GitLab's user id, by which its notes are matched */
};
#define FORGE_ACCOUNT_INIT                                                                         \
	{                                                                                          \
		.login = NULL, .id = 0                                                             \
	}
void forge_account_release(struct forge_account *a);

/* From forge_user_url()'s answer: the account (replacing what `out`
 * held). Fails, saying why, when the answer names none. */
int forge_account_parse(struct forge_account *out, enum forge f, const char *json, size_t len);

/* Which comments are berth's: those written by account `self` (NULL: the
 * forge would not say), and those of ids `ids` (`nids` of them), which
 * berth posted. */
struct forge_mine {
	const struct forge_account *self;
	const long long *ids;
	size_t nids;
};

/* From a page of forge_comments_url()'s answer: the id and body of the
 * first of berth's comments (`mine`) whose body holds `marker`, and how
 * many comments the page has in `count`. Another account's comment is
 * never it, whatever it holds. BERTH_ENOTFOUND when none is;
 * BERTH_ERROR when the answer is not a list. */
int forge_find_comment(long long *id, struct buf *body, size_t *count, enum forge f,
                       const struct forge_mine *mine, const char *json, size_t len,
                       const char *marker);

/* The id of the comment in an answer to its POST or edit; fails when it
 * has none. */
int forge_comment_id(long long *id, const char *json, size_t len);

/* The JSON body of a status; `target_url` may be NULL; `ref` (GitLab's
 * only) too. */
void forge_status_body(struct buf *out, enum forge f, enum status_state s, const char *context,
                       const char *description, const char *target_url, const char *ref);

/* The GitHub REST API version berth asks for when the config names none. */
#define FORGE_GITHUB_API_VERSION "2022-11-28"

/* A GitHub API version as GitHub names them, YYYY-MM-DD; fails saying
 * why. */
int forge_api_version_check(const char *v);

/* The request headers that carry `token` and choose the API (GitHub's
 * `api_version`; NULL: FORGE_GITHUB_API_VERSION), one "Name: value" line
 * each, NUL-separated, in `out` (a secret: release it with
 * buf_release_secret). */
void forge_headers(struct buf *out, enum forge f, const char *token, const char *api_version);

/*
 * From the JSON answer of forge_list_url(): the newest status of
 * `context` (GitHub compares contexts ignoring case), its state as the
 * forge names it into `state` and its description into `description`.
 * BERTH_ENOTFOUND when there is none; BERTH_ERROR when the answer is not a
 * list of statuses.
 */
int forge_newest(struct buf *state, struct buf *description, enum forge f, const char *body,
                 size_t len, const char *context);

/*
 * `tmpl` with each {sha}, {source} and {cluster} replaced. Fails naming
 * the first other {name}, or an unclosed '{'.
 */
int status_template(struct buf *out, const char *tmpl, const char *sha, const char *source,
                    const char *cluster);

#endif
