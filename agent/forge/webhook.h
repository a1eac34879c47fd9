#ifndef BERTH_WEBHOOK_H
#define BERTH_WEBHOOK_H

#include "forge.h"

#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * Push webhooks of the forges (../shared/reference/forges.md): who sent a
 * delivery, and which repository it is about.
 */

/* The header that carries a forge's signature or token. */
const char *webhook_signature_header(enum forge f);

/* The header that names a forge's event; the one that names a delivery. */
const char *webhook_event_header(enum forge f);
const char *webhook_delivery_header(enum forge f);

/*
 * Is `signature` (the value of webhook_signature_header(); NULL when
 * absent) right for `body` and `secret`? GitHub: "sha256=" and the hex
 * HMAC-SHA256 of the body; Gitea: the hex HMAC-SHA256; GitLab: the secret
 * itself. Compared in constant time, before anything parses the body.
 */
bool webhook_verify(enum forge f, const char *secret, const char *signature, const char *body,
                    size_t len);

/* Is `event` (the value of webhook_event_header()) a push? */
bool webhook_is_push(enum forge f, const char *event);

/*
 * The repositories a push payload names (repository.clone_url, html_url,
 * ssh_url, ...; GitLab's project.git_http_url, git_ssh_url, web_url), as
 * repo_key()s, each followed by a NUL in `keys`, and the ref it moved
 * ("refs/heads/main", also for a deletion) in `ref` (left empty when the
 * payload names none; `ref` may be NULL). Returns how many repositories,
 * or -1 when the body is not a JSON object.
 */
int webhook_repos(struct buf *keys, struct buf *ref, const char *body, size_t len);

/* A pull request (a GitLab merge request) to preview. */
struct webhook_pull {
	long number;         /* GitHub's and Gitea's number; GitLab's iid */
	char head[41];       /* the head commit, hex */
	struct buf base;     /* the branch it merges into: "main" */
	struct buf branch;   /* its own branch */
	struct buf fallback; /* the default branch of the repository, "" when not given */
	/* The head is in another repository than the base (a fork's pull
	 * request), or the payload does not say where it is. */
	bool fork;
	/* When the pull request last changed (its updated_at), in seconds
	 * since the epoch; 0 when the payload does not say. */
	double updated;
};
#define WEBHOOK_PULL_INIT                                                                          \
	{                                                                                          \
		.number = 0, .head = "", .base = BUF_INIT, .branch = BUF_INIT,                     \
		.fallback = BUF_INIT, .fork = true, .updated = 0                                   \
	}
void webhook_pull_release(struct webhook_pull *p);

/* Is `event` a pull request (GitHub and Gitea: pull_request; GitLab: Merge
 * Request Hook)? */
bool webhook_is_pull(enum forge f, const char *event);

/*
 * Read a pull request payload into `out`, and the repositories it is about
 * (the base repository's URLs) into `keys`, as webhook_repos() does. A
 * fork: GitHub's head.repo.id (or full_name) is not base.repo's, Gitea's
 * head.repo_id is not base.repo_id, GitLab's source_project_id is not
 * target_project_id.
 * Returns 1 when the payload asks for a preview (GitHub: opened,
 * synchronize, reopened; GitLab: open, update, reopen; Gitea: opened,
 * synchronized, reopened), 0 for any other action (closed, labeled, ...),
 * -1 when it is not a pull request payload (saying why).
 */
int webhook_pull(struct webhook_pull *out, struct buf *keys, enum forge f, const char *body,
                 size_t len);

/* An RFC 3339 time (2019-05-15T15:20:33Z, 2022-03-09T16:31:06+09:00) or
 * GitLab's "2013-12-03 17:23:34 UTC", in seconds since the epoch; 0 when
 * it is neither. */
double webhook_time(const char *s);

/*
 * May a push that moved `pushed` ("refs/heads/main", "refs/tags/v1"; NULL
 * or "" when not known) move what a source follows, `ref` as the source
 * names it (a branch, a tag, a full ref, or a commit id; NULL: the remote's
 * HEAD, which any push may move)? A commit id never moves.
 */
bool webhook_ref_moves(const char *ref, const char *pushed);

/*
 * What a repository URL names, for comparing URLs of one repository:
 * "host/owner/repo" from https://host[:port]/owner/repo(.git),
 * ssh://user@host[:port]/owner/repo, scp-like user@host:owner/repo and
 * git://, lowercased, without the port, user or ".git"; an IPv6 host keeps
 * its brackets ("[fd00::1]/owner/repo"); a local path or a file:// URL
 * gives its path.
 */
void repo_key(struct buf *out, const char *url);

#endif
