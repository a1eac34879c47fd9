#ifndef BERTH_SOURCE_H
#define BERTH_SOURCE_H

#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * agent/source/: where manifests come from, and the step that opens them
 * against the cluster. It owns the Git source (this file, on libgit2), the
 * safe writer of a checkout (source_tree.c), the walk of a folder of
 * manifests (tree.h), known_hosts (known_hosts.h), the one parser of
 * remote URLs (url.h), the open step every verb and reconcile starts from
 * (target.h) and the report of a plan (plan_report.h). It may call:
 * apply/, diff/, diff/base/: nothing else of agent/. It is called by
 * agent/cli/, agent/daemon/, and agent/forge/ (url.h only).
 *
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
	/* What a preview of an untrusted commit bounds; the defaults (NULL, 0)
	 * check out the whole tree, unbounded. `only_path`: check out only the
	 * manifest files (.yaml, .yml, .json) and symlinks under this folder of
	 * the repository, and the folders leading to them. A file larger than
	 * `max_file_bytes`, or files larger than `max_total_bytes` in all,
	 * refuse the commit before the file is read; a fetch that receives more
	 * than `max_fetch_bytes` is stopped. 0: no limit. */
	const char *only_path;
	size_t max_file_bytes, max_total_bytes, max_fetch_bytes;
	/* A commit already loaded (hex), and the folder of its manifests
	 * (NULL: the root): when the commit found is that one or descends
	 * from it, and what changed is only regular files, not too many, in
	 * a tree without symlinks or submodules, and no kustomization came or
	 * went, the commit is not checked out: its changed files are read
	 * instead (source_commit.delta). NULL: always checked out. */
	const char *since, *since_path;
	/* Told of each warning (a password sent over http://); NULL:
	 * "warning: ..." on stderr. */
	void (*warn)(const char *message, void *ctx);
	void *warn_ctx;
	/* Why the fetch must stop now (a preview's time limit, berth stopping),
	 * or NULL to go on; asked as data comes in. NULL: it never stops. */
	const char *(*stop)(void *ctx);
	void *stop_ctx;
};
#define SOURCE_OPTIONS_INIT                                                                        \
	{                                                                                          \
		.repo = NULL, .ref = NULL, .cache_dir = NULL                                       \
	}

struct git_repository;
struct git_commit;
struct git_tree;

/* A file that differs between two commits. */
struct source_change {
	char *path; /* in the repository */
	char *text; /* its contents in the newer commit, NUL-terminated; NULL: deleted */
	size_t len;
	bool added; /* not in the older commit */
};

/* A commit of the source, checked out. Embedded by value. */
struct source_commit {
	char id[41]; /* hex */
	char *dir;   /* its files, in the cache; owned; NULL with `delta` */
	/* Not checked out: the files below opts->since_path that differ from
	 * opts->since's (none when it is that commit), in the order of a
	 * diff of the two trees. Owned. */
	bool delta;
	struct source_change *changes;
	size_t nchanges;
	/* A delta of a tree that holds a kustomization: the changes are
	 * those of the whole repository (a build reads beyond its folder),
	 * and its files are read from here (source_read). Owned. */
	struct git_repository *repo;
	struct git_tree *tree;
	bool fetched;          /* objects were downloaded for it */
	size_t received_bytes; /* how many */
	struct buf submodules; /* the paths of its submodules, not checked out, each
	                        * followed by a NUL */
};
#define SOURCE_COMMIT_INIT                                                                         \
	{                                                                                          \
		.id = "", .submodules = BUF_INIT                                                   \
	}

/* The files berth keeps in the root of each checkout: the submodules left
 * out, and the marker written last, when the checkout is complete. A tree
 * entry of either name in the root is refused. */
#define SOURCE_SUBMODULES_FILE ".berth-submodules"
#define SOURCE_COMPLETE_FILE   ".berth-complete"

/*
 * Ask the remote where `ref` points, without downloading anything; fetch
 * only when the cache lacks that commit (a force-push is followed); check
 * the commit's files out into a directory of the cache, kept per commit
 * (and per only_path and limits), written into a temporary directory that
 * is renamed into place when complete: one found without its marker is
 * written again. Submodules are not checked out (an empty directory stands
 * in for each): out->submodules names them. A tree entry whose name could
 * lead out of the checkout refuses the commit (see source_write_tree).
 * The login goes to the repository's host and port only: a redirect to
 * another host, or from https to http, is refused, and another port that
 * asks for it gets nothing.
 * A ref the remote does not have is BERTH_ENOTFOUND; a remote that cannot
 * be reached, BERTH_ECONNECT. Messages name the repository without its
 * credentials.
 */
int source_fetch(struct source_commit *out, const struct source_options *opts);
void source_commit_release(struct source_commit *c);

/* What source_read found a folder at `path`. */
#define SOURCE_FOLDER 1

/* Read the file at `path` (in the repository, cleaned; "" the root) of a
 * delta commit's tree (c->tree) into `out` (NULL: only whether it is
 * there): 0; SOURCE_FOLDER for a folder (nothing read); BERTH_ENOTFOUND; or an error past `cap`
 * bytes, or for a symlink or a submodule (which a delta's tree never holds). */
int source_read(struct buf *out, const struct source_commit *c, const char *path, size_t cap);

/* Tell `commit` as the files that changed since opts->since (see
 * source_options), into out->changes: 1 when it can, 0 when it must be
 * checked out instead (a force-push, a symlink, a kustomization added or
 * removed, too many changes), negative on error. With a kustomization in
 * the tree, out->tree is set (source_fetch then gives it `repo`). */
int source_delta(struct source_commit *out, struct git_repository *repo, struct git_commit *commit,
                 const struct source_options *opts);
void source_changes_release(struct source_commit *c);

struct git_oid;

/*
 * Write the tree `tree` of `repo` into the existing, empty folder `dir`:
 * every folder, file and symlink (of opts->only_path alone, when set),
 * each made relative to its folder's descriptor, never through a symlink
 * and never over another entry; an empty folder for each submodule, whose
 * path (then a NUL) is appended to `submodules`. Every entry's name is
 * checked: an empty one, "." and "..", a '/', and git's own folder (".git"
 * in any case, and the names Windows and macOS read as it) refuse the
 * tree, as do a second entry of a name, folders nested deeper than 128,
 * and opts->max_file_bytes and max_total_bytes (a blob's size is read from
 * its header, before the blob). The error names the entry's path in the
 * tree, control characters escaped. On failure, `dir` holds what was
 * written so far: the caller removes it (source_remove_tree).
 */
int source_write_tree(struct buf *submodules, struct git_repository *repo,
                      const struct git_oid *tree, const char *dir,
                      const struct source_options *opts);

/* Remove `dir` and all it holds, following no symlink: a symlink is
 * removed, never what it leads to (`dir` itself too). A `dir` that does
 * not exist is no error. */
int source_remove_tree(const char *dir);

/* Append `url` to `out` without the password or token it may carry
 * (scheme://user:secret@host/...), for messages and annotations. */
void source_redact(struct buf *out, const char *url);

/* The tracking annotation's value (berth.io/source) of what berth applies
 * from `repo` (credentials left out) under `path` (NULL: the root):
 * "URL//PATH". */
void source_tracking_id(struct buf *out, const char *repo, const char *path);

#endif
