/* The load of a commit told as the files that changed since the last one
 * (source_commit.delta): the last load's manifests, with the objects of
 * those files swapped for what they hold now. */
#include "target.h"

#include "kustomize_load.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/kustomize.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void target_memo_release(struct target_memo *m)
{
	free(m->checkout);
	free(m->files);
	free(m->named);
	free(m->namespace);
	manifest_set_release(&m->set);
	diagnostics_release(&m->warnings);
	*m = (struct target_memo)TARGET_MEMO_INIT;
}

void target_memo_keep(struct target_memo *m, struct target *t, const char *namespace)
{
	target_memo_release(m);
	if (!t->commit.id[0] || !t->checkout || !t->files || !t->named)
		return;
	memcpy(m->commit, t->commit.id, sizeof(m->commit));
	m->checkout = xstrdup(t->checkout);
	m->files = xstrdup(t->files);
	m->named = xstrdup(t->named);
	m->namespace = xstrdup(namespace ? namespace : "");
	m->set = t->set;
	t->set = (struct manifest_set)MANIFEST_SET_INIT;
	diagnostics_copy(&m->warnings, &t->warnings, 0, t->load_warnings);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is `file` one of the changed files of target `ctx`? */
static bool is_changed(const char *file, void *ctx)
{
	const struct target *t = ctx;

	return t->nchanged &&
	       bsearch(&file, t->changed, t->nchanged, sizeof(*t->changed), cmp_str) != NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const void *const *)a,
	          y = (uintptr_t) * (const void *const *)b;

	return x < y ? -1 : x > y;
}

static int cmp_id(const void *a, const void *b)
{
	return object_id_cmp(a, b);
}

/* Does `m` differ from the last load's object of its name (or is it new)? */
static bool is_fresh(const struct target *t, const struct manifest *m)
{
	return bsearch(&m->id, t->fresh, t->nfresh, sizeof(*t->fresh), cmp_id) != NULL;
}

bool target_unchanged(void *ctx, const struct manifest *m)
{
	return !is_fresh(ctx, m);
}

void target_changed_view(struct manifest_set *out, const struct target *t)
{
	size_t i;

	*out = (struct manifest_set)MANIFEST_SET_INIT;
	out->items = xcalloc(t->set.n + 1, sizeof(*out->items));
	for (i = 0; i < t->set.n; i++)
		if (is_fresh(t, &t->set.items[i]))
			out->items[out->n++] = t->set.items[i];
}

/* The folder of the manifests in the repository, as source_options.since_path
 * takes it: no "./", no trailing '/'; NULL: the root. False when `path`
 * is one a tree diff cannot follow (".." or an absolute path), which is
 * then loaded whole. */
bool target_delta_path(struct buf *out, const char *path)
{
	const char *p = path ? path : "";

	while (!strncmp(p, "./", 2))
		p += 2;
	if (*p == '/' || strstr(p, "..") || strstr(p, "//") || strstr(p, "/./"))
		return false;
	buf_adds(out, p);
	while (out->len && out->ptr[out->len - 1] == '/')
		out->ptr[--out->len] = '\0';
	return strcmp(out->ptr, ".") != 0;
}

/* Is `path` (in the repository) a file the walk of folder `dir` reads:
 * beneath it, in no hidden folder, with a manifest's name? Where it is
 * below `dir` goes to `rel`. */
static bool walked(const char **rel, const char *path, const char *dir)
{
	size_t n = strlen(dir);
	const char *c;

	if (n && (strncmp(path, dir, n) || path[n] != '/'))
		return false;
	*rel = path + (n ? n + 1 : 0);
	for (c = *rel; c; c = strchr(c, '/') ? strchr(c, '/') + 1 : NULL)
		if (*c == '.')
			return false;
	return tree_manifest_name(strrchr(*rel, '/') ? strrchr(*rel, '/') + 1 : *rel);
}

static void id_copy(struct object_id *to, const struct object_id *from)
{
	to->group = xstrdup(from->group);
	to->version = xstrdup(from->version);
	to->kind = xstrdup(from->kind);
	to->namespace = xstrdup(from->namespace);
	to->name = xstrdup(from->name);
}

/* Keep in t->gone only what the commit no longer holds: an object of a
 * changed file may still be there, or have moved to another file. One pass
 * over the set, each looked up among the few gone. */
static void keep_gone(struct target *t)
{
	bool *held = xcalloc(t->ngone + 1, sizeof(*held));
	const struct object_id *hit;
	size_t i, n;

	qsort(t->gone, t->ngone, sizeof(*t->gone), cmp_id);
	for (i = 0; i < t->set.n && t->ngone; i++)
		if ((hit =
		         bsearch(&t->set.items[i].id, t->gone, t->ngone, sizeof(*t->gone), cmp_id)))
			held[hit - t->gone] = true;
	for (i = n = 0; i < t->ngone; i++) {
		if (held[i])
			object_id_release(&t->gone[i]);
		else
			t->gone[n++] = t->gone[i];
	}
	t->ngone = n;
	free(held);
}

/* ---- kustomizations built again, from the commit's tree ------------------ */

/* The builds of a delta load: which of the last load's must be made again. */
struct builds {
	struct target *t;
	struct buf named;                    /* the checkout as the load names its files, cleaned */
	const struct manifest_build **again; /* sorted */
	size_t nagain;
	/* The commit's changes by path (sorted), those that added or removed
	 * a file, and whether each reaches a build. */
	const struct source_change **changes, **moved;
	size_t nchanges, nmoved;
	bool *reaching; /* by index in t->commit.changes */
	char **dirs;    /* the builds' folders in the repository, sorted */
	size_t ndirs;
};

/* `name` (as the load names a file) by its path in the repository, cleaned
 * into `clean`; NULL when it is outside the checkout. */
static const char *in_repo(struct buf *clean, const struct builds *b, const char *name)
{
	kustomize_path_join(clean, "", name);
	if (!kustomize_path_beneath(clean->ptr, b->named.ptr))
		return NULL;
	return clean->ptr[b->named.len] == '/' ? clean->ptr + b->named.len + 1 : "";
}

/* The error of a read of `path`, outside the checkout. */
static int outside(const char *path, const struct builds *b)
{
	return berth_error_set("'%s' is outside '%s'; not read", path, b->named.ptr);
}

static int cmp_change(const void *a, const void *b)
{
	return strcmp((*(const struct source_change *const *)a)->path,
	              (*(const struct source_change *const *)b)->path);
}

/* The first of `sorted[0..n)` whose path is not before `path`. */
static size_t first_from(const struct source_change **sorted, size_t n, const char *path)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(sorted[mid]->path, path) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Mark each change that changes what a build asking about `input` (in the
 * repository) was answered: the file itself changed, or a file came into
 * or left its folder (which may then have come or gone). Any? */
static bool mark_changes(struct builds *b, const char *input)
{
	size_t i, n = strlen(input);
	bool hit = false;

	i = first_from(b->changes, b->nchanges, input);
	if (i < b->nchanges && !strcmp(b->changes[i]->path, input)) {
		b->reaching[b->changes[i] - b->t->commit.changes] = true;
		hit = true;
	}
	for (i = n ? first_from(b->moved, b->nmoved, input) : 0; i < b->nmoved; i++) {
		const char *p = b->moved[i]->path;

		if (n && (strncmp(p, input, n) || p[n] != '/')) {
			if (strncmp(p, input, n) > 0)
				break;
			continue;
		}
		b->reaching[b->moved[i] - b->t->commit.changes] = true;
		hit = true;
	}
	return hit;
}

static bool build_again(const struct manifest_build *mb, void *ctx)
{
	const struct builds *b = ctx;

	return bsearch(&mb, b->again, b->nagain, sizeof(*b->again), cmp_ptr) != NULL;
}

/* The last load's `warnings`, less those of files changed and one of each
 * that a build made again gave (it gives them again), into t->warnings. */
static void keep_warnings(struct target *t, const struct diagnostics *warnings,
                          const struct builds *b)
{
	bool *said = xcalloc(warnings->n + 1, sizeof(*said));
	const struct diagnostic *w, *x;
	size_t i, j, k;

	for (i = 0; i < b->nagain; i++)
		for (j = 0; j < b->again[i]->warnings.n; j++) {
			x = &b->again[i]->warnings.items[j];
			for (k = 0; k < warnings->n; k++) {
				w = &warnings->items[k];
				if (!said[k] && w->line == x->line && w->column == x->column &&
				    !strcmp(w->file, x->file) && !strcmp(w->message, x->message)) {
					said[k] = true;
					break;
				}
			}
		}
	for (k = 0; k < warnings->n; k++) {
		w = &warnings->items[k];
		if (!said[k] && !is_changed(w->file, t))
			diagnostics_add(&t->warnings, w->file, w->line, w->column, "%s",
			                w->message);
	}
	free(said);
}

/* Is the repository's `path` in the folder of one of the last load's
 * builds (which the walk does not enter)? Each folder above it is looked
 * up. */
static bool in_build(const struct builds *b, const char *path)
{
	struct buf up = BUF_INIT;
	const char *slash, *key;
	bool in = b->ndirs && !*b->dirs[0]; /* a build of the whole checkout */

	for (slash = strchr(path, '/'); slash && !in; slash = strchr(slash + 1, '/')) {
		buf_reset(&up);
		buf_add(&up, path, (size_t)(slash - path));
		key = up.ptr;
		in = bsearch(&key, b->dirs, b->ndirs, sizeof(*b->dirs), cmp_str) != NULL;
	}
	buf_release(&up);
	return in;
}

/* Is change `c` a file the walk of folder `dir` reads as a manifest, in no
 * build's folder? Where it is below `dir` goes to `rel`. */
static bool plain(const char **rel, const struct source_change *c, const char *dir,
                  const struct builds *b)
{
	return walked(rel, c->path, dir) && !in_build(b, c->path);
}

/* The reader of a build made again: the commit's tree, named as the
 * checkout the last load read names it. */
static int tree_read(struct buf *out, const char *path, const char *within, size_t cap, void *ctx)
{
	const struct builds *b = ctx;
	struct buf clean = BUF_INIT, in = BUF_INIT;
	const char *rel = in_repo(&clean, b, path);
	size_t before = out->len;
	int error;

	if (!rel) {
		error = outside(path, b);
	} else if ((error = source_read(out, &b->t->commit, rel, cap)) == SOURCE_FOLDER) {
		error = KUSTOMIZE_DIRECTORY;
	} else if (error == 0 && within) {
		kustomize_path_join(&in, "", within);
		if (!kustomize_path_beneath(clean.ptr, in.ptr)) {
			out->len = before;
			out->ptr[before] = '\0';
			error = berth_error_set("'%s' is not in or below '%s'", path, within);
		}
	}
	buf_release(&clean);
	buf_release(&in);
	return error;
}

static int tree_resolve(struct buf *out, const char *path, void *ctx)
{
	const struct builds *b = ctx;
	struct buf clean = BUF_INIT;
	const char *rel = in_repo(&clean, b, path);
	int error;

	if (!rel)
		error = outside(path, b);
	else if ((error = source_read(NULL, &b->t->commit, rel, 0)) == BERTH_ENOTFOUND)
		error = berth_error_set("%s", strerror(ENOENT));
	else if (error >= 0) {
		error = 0;
		buf_reset(out);
		buf_adds(out, clean.ptr);
	}
	buf_release(&clean);
	return error;
}

/* Which of the last load's builds (b->t->set's) a change reaches, and
 * which changes reach one; false when some must be made again and the
 * commit has no tree to make them from. */
static bool builds_find(struct builds *b)
{
	const struct manifest_set *set = &b->t->set;
	const struct source_commit *commit = &b->t->commit;
	struct buf clean = BUF_INIT;
	const char *in;
	size_t i, j;

	b->changes = xcalloc(commit->nchanges + 1, sizeof(*b->changes));
	b->moved = xcalloc(commit->nchanges + 1, sizeof(*b->moved));
	b->reaching = xcalloc(commit->nchanges + 1, sizeof(*b->reaching));
	for (i = 0; i < commit->nchanges; i++) {
		b->changes[b->nchanges++] = &commit->changes[i];
		if (commit->changes[i].added || !commit->changes[i].text)
			b->moved[b->nmoved++] = &commit->changes[i];
	}
	qsort(b->changes, b->nchanges, sizeof(*b->changes), cmp_change);
	qsort(b->moved, b->nmoved, sizeof(*b->moved), cmp_change);
	b->again = xcalloc(set->nbuilds + 1, sizeof(*b->again));
	b->dirs = xcalloc(set->nbuilds + 1, sizeof(*b->dirs));
	for (i = 0; i < set->nbuilds; i++) {
		bool hit = false;

		if ((in = in_repo(&clean, b, set->builds[i]->dir)))
			b->dirs[b->ndirs++] = xstrdup(in);
		for (j = 0; j < set->builds[i]->ninputs; j++)
			if ((in = in_repo(&clean, b, set->builds[i]->inputs[j])))
				hit |= mark_changes(b, in);
		if (hit)
			b->again[b->nagain++] = set->builds[i];
	}
	qsort(b->again, b->nagain, sizeof(*b->again), cmp_ptr);
	qsort(b->dirs, b->ndirs, sizeof(*b->dirs), cmp_str);
	buf_release(&clean);
	return !b->nagain || commit->tree;
}

/* Make the builds again into `fresh`, each from the commit's tree; their
 * warnings to `warnings`. */
static void builds_make(struct manifest_set *fresh, struct diagnostics *warnings, struct builds *b,
                        const struct tree_options *opts)
{
	struct kustomize_reader reader = {tree_read, tree_resolve, b};
	size_t i;

	for (i = 0; i < b->nagain; i++) {
		struct manifest_set one = MANIFEST_SET_INIT;

		kustomize_load_with(&one, &b->t->diags, warnings, b->again[i]->dir, &reader, opts);
		manifest_set_take(fresh, &one);
	}
}

/* ---- the load ---------------------------------------------------------------- */

/* Is the last load's file `f` (of `ctx`, the builds) replaced? */
static bool stale(const struct manifest_file *f, const struct builds *b)
{
	return f->build ? build_again(f->build, (void *)b) : is_changed(f->name, b->t);
}

static int cmp_manifest_id(const void *a, const void *b)
{
	return object_id_cmp(&(*(const struct manifest *const *)a)->id,
	                     &(*(const struct manifest *const *)b)->id);
}

/* The last load's objects that the replaced files held, into t->gone (the
 * commit may hold them still: keep_gone), and the objects of `fresh`
 * (loaded anew) that differ from theirs of the same names, into t->fresh:
 * an object a changed file or a build made again holds as it was is no
 * change. */
static void note_replaced(struct target *t, const struct manifest_set *fresh,
                          const struct builds *b)
{
	const struct manifest **old = xcalloc(t->set.n + 1, sizeof(*old)), *key, **hit;
	size_t i, n = 0;

	t->gone = xcalloc(t->set.n + 1, sizeof(*t->gone));
	for (i = 0; i < t->set.n; i++)
		if (t->set.items[i].source && stale(t->set.items[i].source, b)) {
			old[n++] = &t->set.items[i];
			id_copy(&t->gone[t->ngone++], &t->set.items[i].id);
		}
	qsort(old, n, sizeof(*old), cmp_manifest_id);
	t->fresh = xcalloc(fresh->n + 1, sizeof(*t->fresh));
	for (i = 0; i < fresh->n; i++) {
		key = &fresh->items[i];
		hit = bsearch(&key, old, n, sizeof(*old), cmp_manifest_id);
		if (!hit || strcmp((*hit)->json, key->json))
			id_copy(&t->fresh[t->nfresh++], &key->id);
	}
	qsort(t->fresh, t->nfresh, sizeof(*t->fresh), cmp_id);
	free(old);
}

static bool stale_name(const char *file, void *ctx)
{
	const struct builds *b = ctx;

	return is_changed(file, b->t);
}

int target_delta_load(struct target *t, const struct target_options *o)
{
	struct target_memo *memo = o->memo;
	struct tree_options topts;
	struct manifest_set fresh = MANIFEST_SET_INIT;
	struct diagnostics built_warnings = DIAGNOSTICS_INIT;
	struct builds b = {.t = t, .named = BUF_INIT};
	struct buf dir = BUF_INIT, name = BUF_INIT, base = BUF_INIT;
	const char *ns = o->namespace ? o->namespace : t->kc->namespace, *rel;
	size_t i, bytes = 0, files;
	int error = 1;

	target_tree_options(&topts, o, t);
	topts.manifest.default_namespace = ns;
	target_delta_path(&dir, o->path);
	kustomize_path_join(&b.named, "", memo->named);
	/* The last load's builds, to find which a change reaches. */
	t->set = memo->set;
	memo->set = (struct manifest_set)MANIFEST_SET_INIT;
	if (!builds_find(&b))
		goto out;
	/* As the walk names them: the folder ("dir/" as "dir"), a '/', the
	 * path below it. */
	buf_adds(&base, memo->files);
	while (base.len > 1 && base.ptr[base.len - 1] == '/')
		base.ptr[--base.len] = '\0';
	t->changed = xcalloc(t->commit.nchanges + 1, sizeof(char *));
	for (i = 0; i < t->commit.nchanges; i++) {
		const struct source_change *c = &t->commit.changes[i];

		buf_reset(&name);
		if (plain(&rel, c, dir.ptr, &b))
			buf_addf(&name, "%s/%s", base.ptr, rel);
		else if (b.reaching[i])
			buf_addf(&name, "%s/%s", b.named.ptr, c->path);
		else
			continue;
		t->changed[t->nchanged++] = buf_detach(&name, NULL);
	}
	qsort(t->changed, t->nchanged, sizeof(*t->changed), cmp_str);
	/* Counted as the walk counts them: each build one file of no bytes. */
	files = t->set.nbuilds;
	for (i = 0; i < t->set.nfiles; i++)
		if (!t->set.files[i]->build) {
			bytes += t->set.files[i]->len;
			files++;
		}
	for (i = 0; i < t->set.nfiles; i++)
		if (!t->set.files[i]->build && is_changed(t->set.files[i]->name, t)) {
			bytes -= t->set.files[i]->len;
			files--;
		}
	for (i = 0; i < t->commit.nchanges; i++)
		if (t->commit.changes[i].text && plain(&rel, &t->commit.changes[i], dir.ptr, &b)) {
			bytes += t->commit.changes[i].len;
			files++;
		}
	/* What the whole load would refuse, or says it met, it says itself. */
	if (strcmp(memo->namespace, ns ? ns : "") || t->set.dropped || files > topts.max_files ||
	    bytes > topts.max_total_size)
		goto out;
	error = 0;
	for (i = 0; i < t->commit.nchanges; i++) {
		const struct source_change *c = &t->commit.changes[i];

		if (!c->text || !plain(&rel, c, dir.ptr, &b))
			continue;
		buf_reset(&name);
		buf_addf(&name, "%s/%s", base.ptr, rel);
		if (c->len > topts.max_file_size)
			diagnostics_add(&t->diags, name.ptr, 0, 0,
			                "larger than the limit of %zu bytes", topts.max_file_size);
		else
			manifest_set_add(&fresh, &t->diags, name.ptr, c->text, c->len,
			                 &topts.manifest);
	}
	builds_make(&fresh, &built_warnings, &b, &topts);
	t->nbuilt = b.nagain;
	/* The last load's objects, less those replaced, then the new ones. */
	note_replaced(t, &fresh, &b);
	keep_warnings(t, &memo->warnings, &b);
	diagnostics_take(&t->warnings, &built_warnings);
	manifest_set_drop(&t->set, stale_name, build_again, &b);
	manifest_set_take(&t->set, &fresh);
	if (t->set.n > topts.manifest.max_objects)
		diagnostics_add(
		    &t->diags, t->files, 0, 0,
		    "the manifests hold more than %zu objects; the rest is not read (the "
		    "limit)",
		    topts.manifest.max_objects);
	manifest_set_finish(&t->set, &t->diags, &t->warnings);
	t->load_warnings = t->warnings.n;
	keep_gone(t);
	target_memo_release(memo);
	t->delta = true;
out:
	if (error == 1) {
		/* The memo as it was. */
		memo->set = t->set;
		t->set = (struct manifest_set)MANIFEST_SET_INIT;
		for (i = 0; i < t->nchanged; i++)
			free(t->changed[i]);
		free(t->changed);
		t->changed = NULL;
		t->nchanged = 0;
	}
	free(b.again);
	free(b.changes);
	free(b.moved);
	free(b.reaching);
	for (i = 0; i < b.ndirs; i++)
		free(b.dirs[i]);
	free(b.dirs);
	buf_release(&b.named);
	manifest_set_release(&fresh);
	diagnostics_release(&built_warnings);
	buf_release(&base);
	buf_release(&dir);
	buf_release(&name);
	return error;
}
