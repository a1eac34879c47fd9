#ifndef BERTH_SOURCE_H
#define BERTH_SOURCE_H

#include "../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * The Git source: a repository followed through a cache on disk, one bare
 * repository per remote, fetched incrementally and never cloned again.
 */
struct source_options {
	const char *repo;      /* a URL (file://, git://, https://, ssh://) or a local path */
	const char *ref;       /* a branch, a tag or a full commit id; NULL: the remote's HEAD */
	const char *cache_dir; /* NULL: ${XDG_CACHE_HOME:-~/.cache}/berth/git */
	/* https: basic auth with a password or token, never in the URL; the
	 * user defaults to "git". The CA bundle to trust; NULL: the system's. */
	const char *username, *password;
	const char *ca_file;
	/* ssh: the private key file; the known_hosts file that must hold the
	 * server's key (NULL: ~/.ssh/known_hosts). */
	const char *ssh_key, *known_hosts;
};
#define SOURCE_OPTIONS_INIT                                                                        \
	{                                                                                          \
		.repo = NULL, .ref = NULL, .cache_dir = NULL                                       \
	}

/* A commit of the source, checked out. Embedded by value. */
struct source_commit {
	char id[41];           /* hex */
	char *dir;             /* its files, in the cache; owned */
	bool fetched;          /* objects were downloaded for it */
	size_t received_bytes; /* how many */
	struct buf submodules; /* the paths of its submodules, not checked out, each
	                        * followed by a NUL */
};
#define SOURCE_COMMIT_INIT                                                                         \
	{                                                                                          \
		.id = "", .submodules = BUF_INIT                                                   \
	}

/*
 * Ask the remote where `ref` points, without downloading anything; fetch
 * only when the cache lacks that commit (a force-push is followed); check
 * the commit's files out into a directory of the cache, kept per commit.
 * Submodules are not checked out (an empty directory stands in for each):
 * out->submodules names them.
 * A ref the remote does not have is BERTH_ENOTFOUND; a remote that cannot
 * be reached, BERTH_ECONNECT. Messages name the repository without its
 * credentials.
 */
int source_fetch(struct source_commit *out, const struct source_options *opts);
void source_commit_release(struct source_commit *c);

/* Append `url` to `out` without the password or token it may carry
 * (scheme://user:secret@host/...), for messages and annotations. */
void source_redact(struct buf *out, const char *url);

#endif
