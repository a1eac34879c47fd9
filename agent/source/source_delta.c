/* A commit told as the files that changed since one already loaded, read
 * from the repository without a checkout. */
#include "source.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"

#include <git2.h>
#include <string.h>

/* Beyond these, the commit is checked out and loaded whole. */
#define DELTA_MAX_FILES 256
#define DELTA_MAX_BYTES (64u << 20)
#define DELTA_MAX_FILE  (8u << 20)

/* Is name[0..n) one kustomize reads as a kustomization? */
static bool kustomization_name(const char *name, size_t n)
{
	static const char *const names[] = {"kustomization.yaml", "kustomization.yml",
	                                    "Kustomization"};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(*names); i++)
		if (strlen(names[i]) == n && !memcmp(name, names[i], n))
			return true;
	return false;
}

/* Does a component of `path` bear a kustomization's name? A folder of
 * that name makes its parent a build too, as a file does. */
static bool names_kustomization(const char *path)
{
	const char *p, *end;
	bool found = false;

	for (p = path; *p && !found; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "/");
		found = kustomization_name(p, (size_t)(end - p));
	}
	return found;
}

/* The walk of the new tree: why it cannot be told file by file, if so,
 * and whether it holds a kustomization. */
struct scan {
	const char *why;
	bool kustomized;
};

static int scan_entry(const char *root, const git_tree_entry *e, void *payload)
{
	struct scan *s = payload;
	git_filemode_t mode = git_tree_entry_filemode(e);

	(void)root;
	if (mode == GIT_FILEMODE_LINK)
		s->why = "a symlink";
	else if (mode == GIT_FILEMODE_COMMIT)
		s->why = "a submodule";
	else if (kustomization_name(git_tree_entry_name(e), strlen(git_tree_entry_name(e))))
		s->kustomized = true;
	return s->why ? -1 : 0;
}

/* The tree at `path` (NULL: the root) of `commit`, or NULL. */
static git_tree *tree_at(git_repository *repo, git_commit *commit, const char *path)
{
	git_tree *root = NULL, *tree = NULL;
	git_tree_entry *e = NULL;

	if (git_commit_tree(&root, commit) < 0)
		return NULL;
	if (!path || !*path)
		return root;
	if (git_tree_entry_bypath(&e, root, path) == 0 && git_tree_entry_type(e) == GIT_OBJECT_TREE)
		git_tree_lookup(&tree, repo, git_tree_entry_id(e));
	git_tree_entry_free(e);
	git_tree_free(root);
	return tree;
}

static bool plain_file(uint16_t mode)
{
	return mode == GIT_FILEMODE_BLOB || mode == GIT_FILEMODE_BLOB_EXECUTABLE;
}

/* Add the change of one diff entry to `out`: 0, or why it cannot be. */
static const char *take(struct source_commit *out, size_t *bytes, git_repository *repo,
                        const git_diff_delta *d, const char *path)
{
	struct source_change *c;
	struct buf name = BUF_INIT;
	git_blob *blob = NULL;
	const git_diff_file *f = d->status == GIT_DELTA_DELETED ? &d->old_file : &d->new_file;

	if (d->status != GIT_DELTA_ADDED && d->status != GIT_DELTA_DELETED &&
	    d->status != GIT_DELTA_MODIFIED)
		return "a file's type changed";
	if ((d->status != GIT_DELTA_ADDED && !plain_file(d->old_file.mode)) ||
	    (d->status != GIT_DELTA_DELETED && !plain_file(d->new_file.mode)))
		return "a symlink or submodule changed";
	/* Which folders are built, and which walked, stays as it was. */
	if (d->status != GIT_DELTA_MODIFIED && names_kustomization(f->path))
		return "a kustomization came or went";
	if (out->nchanges >= DELTA_MAX_FILES)
		return "too many files changed";
	if (d->status != GIT_DELTA_DELETED) {
		if (git_blob_lookup(&blob, repo, &d->new_file.id) < 0)
			return "a blob is missing";
		if ((size_t)git_blob_rawsize(blob) > DELTA_MAX_FILE ||
		    (*bytes += (size_t)git_blob_rawsize(blob)) > DELTA_MAX_BYTES) {
			git_blob_free(blob);
			return "too many bytes changed";
		}
	}
	out->changes = xrealloc(out->changes, (out->nchanges + 1) * sizeof(*out->changes));
	c = &out->changes[out->nchanges++];
	memset(c, 0, sizeof(*c));
	buf_addf(&name, "%s%s%s", path && *path ? path : "", path && *path ? "/" : "", f->path);
	c->path = buf_detach(&name, NULL);
	c->added = d->status == GIT_DELTA_ADDED;
	if (blob) {
		c->len = (size_t)git_blob_rawsize(blob);
		c->text = xmalloc(c->len + 1);
		memcpy(c->text, git_blob_rawcontent(blob), c->len);
		c->text[c->len] = '\0';
	}
	git_blob_free(blob);
	return NULL;
}

int source_delta(struct source_commit *out, git_repository *repo, git_commit *commit,
                 const struct source_options *opts)
{
	git_oid since;
	git_commit *base = NULL;
	git_tree *from = NULL, *to = NULL;
	git_diff *diff = NULL;
	git_diff_options o;
	struct scan scan = {NULL};
	const char *path = opts->since_path, *why = NULL;
	size_t i, bytes = 0;
	int error = 0;

	if (!opts->since || git_oid_fromstr(&since, opts->since) < 0 ||
	    git_commit_lookup(&base, repo, &since) < 0)
		return 0;
	if (!git_oid_cmp(&since, git_commit_id(commit))) {
		/* The same commit: the same load. */
		out->delta = true;
		error = 1;
		goto out;
	}
	if (git_graph_descendant_of(repo, git_commit_id(commit), &since) != 1)
		goto out; /* a force-push: loaded whole */
	if (!(from = tree_at(repo, base, path)) || !(to = tree_at(repo, commit, path)))
		goto out;
	/* A symlink may lead to a changed file: loaded whole. */
	if (git_tree_walk(to, GIT_TREEWALK_PRE, scan_entry, &scan) < 0 || scan.why)
		goto out;
	/* A kustomization reads files of any name, in any folder of the
	 * repository: the change is the whole repository's, and the commit's
	 * tree is kept to build from. */
	if (scan.kustomized && path && *path) {
		if (opts->only_path)
			goto out;
		git_tree_free(from);
		git_tree_free(to);
		to = NULL;
		path = NULL;
		if (!(from = tree_at(repo, base, NULL)) || !(to = tree_at(repo, commit, NULL)) ||
		    git_tree_walk(to, GIT_TREEWALK_PRE, scan_entry, &scan) < 0 || scan.why)
			goto out;
	}
	git_diff_options_init(&o, GIT_DIFF_OPTIONS_VERSION);
	if (git_diff_tree_to_tree(&diff, repo, from, to, &o) < 0)
		goto out;
	for (i = 0; i < git_diff_num_deltas(diff) && !why; i++)
		why = take(out, &bytes, repo, git_diff_get_delta(diff, i), path);
	if (!why && scan.kustomized && git_commit_tree(&out->tree, commit) < 0)
		why = "no tree";
	if (!why) {
		out->delta = true;
		error = 1;
	}
out:
	if (error != 1)
		source_changes_release(out);
	git_diff_free(diff);
	git_tree_free(from);
	git_tree_free(to);
	git_commit_free(base);
	return error;
}

void source_changes_release(struct source_commit *c)
{
	size_t i;

	for (i = 0; i < c->nchanges; i++) {
		free(c->changes[i].path);
		free(c->changes[i].text);
	}
	free(c->changes);
	c->changes = NULL;
	c->nchanges = 0;
	c->delta = false;
	git_tree_free(c->tree);
	git_repository_free(c->repo);
	c->tree = NULL;
	c->repo = NULL;
}

int source_read(struct buf *out, const struct source_commit *c, const char *path, size_t cap)
{
	git_tree_entry *e = NULL;
	git_blob *blob = NULL;
	int error = 0;

	if (!c->tree)
		return berth_error_set("'%s': no tree to read from", path);
	if (!*path || !strcmp(path, "."))
		return SOURCE_FOLDER;
	if (git_tree_entry_bypath(&e, c->tree, path) < 0)
		return BERTH_ENOTFOUND;
	if (git_tree_entry_type(e) == GIT_OBJECT_TREE)
		error = SOURCE_FOLDER;
	else if (!plain_file(git_tree_entry_filemode(e)))
		error = berth_error_set("'%s' is a symlink or a submodule; not read", path);
	else if (!out)
		error = 0;
	else if (git_blob_lookup(&blob, c->repo, git_tree_entry_id(e)) < 0)
		error = berth_error_set("'%s': %s", path,
		                        git_error_last() ? git_error_last()->message : "no blob");
	else if ((size_t)git_blob_rawsize(blob) > cap)
		error = berth_error_set("'%s' is larger than the limit of %zu bytes", path, cap);
	else
		buf_add(out, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
	git_blob_free(blob);
	git_tree_entry_free(e);
	return error;
}
