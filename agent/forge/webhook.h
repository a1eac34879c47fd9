#ifndef BERTH_WEBHOOK_H
#define BERTH_WEBHOOK_H

#include "forge.h"

#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The forges' webhooks (GitHub, GitLab, Gitea; the README's "The HTTP
 * listener" and "Previews of a pull request"): who sent a delivery, and what
 * it is about: a push (the repository and the ref it moved) or a pull
 * request (the repository, its head and its base). The pull request
 * payloads of tests/fixtures/webhook/ are the forges' own.
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

/* A pull request (a GitLab merge request). */
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

/* What a delivery is. */
enum webhook_kind {
	WEBHOOK_IGNORED,      /* GitHub's ping, or an event berth does not follow */
	WEBHOOK_PUSH,         /* a push (GitLab: Push Hook, Tag Push Hook) */
	WEBHOOK_PULL_PREVIEW, /* a pull request whose action brings a head to preview */
	WEBHOOK_PULL_OTHER,   /* a pull request action that brings none: closed, labeled... */
};

/* A delivery, read. Initialized with WEBHOOK_EVENT_INIT; what it holds is
 * the caller's, released with webhook_event_release(). */
struct webhook_event {
	enum webhook_kind kind;
	/* The repositories it is about (a push's; a pull request's base
	 * repository's), as repo_key()s, each followed by a NUL; empty when
	 * the payload names none. From repository.clone_url, html_url,
	 * ssh_url, ...; GitLab's project.git_http_url, git_ssh_url, web_url. */
	struct buf keys;
	/* A push: the ref it moved ("refs/heads/main", also for a deletion);
	 * empty when the payload names none, and for any other kind. */
	struct buf ref;
	/* A pull request (either kind): what it is. */
	struct webhook_pull pull;
};
#define WEBHOOK_EVENT_INIT                                                                         \
	{                                                                                          \
		.kind = WEBHOOK_IGNORED, .keys = BUF_INIT, .ref = BUF_INIT,                        \
		.pull = WEBHOOK_PULL_INIT                                                          \
	}
void webhook_event_release(struct webhook_event *e);

/*
 * Read a verified delivery to forge `f`: `event` is the value of
 * webhook_event_header() (NULL when absent), `body` its `len` bytes, parsed
 * once. A ping or another event is WEBHOOK_IGNORED, its body not read. A
 * pull request (GitHub and Gitea: pull_request; GitLab: Merge Request
 * Hook) asks for a preview when its action is GitHub's opened,
 * synchronize, reopened; GitLab's open, update, reopen; Gitea's opened,
 * synchronized, reopened. It is from a fork when GitHub's head.repo.id (or
 * full_name) is not base.repo's, Gitea's head.repo_id is not base.repo_id,
 * GitLab's source_project_id is not target_project_id.
 * Returns 0, or -1 (saying why: the body is no JSON object, or a pull
 * request payload names no number, action, base branch or head commit),
 * `out` then left as it was.
 */
int webhook_parse(struct webhook_event *out, enum forge f, const char *event, const char *body,
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
