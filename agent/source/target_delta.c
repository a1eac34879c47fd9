/* The load of a commit told as the files that changed since the last one
 * (source_commit.delta): the last load's manifests, with the objects of
 * those files swapped for what they hold now. */
#include "target.h"

#include "../../diff/base/alloc.h"

#include <stdlib.h>
#include <string.h>

void target_memo_release(struct target_memo *m)
{
	free(m->checkout);
	free(m->files);
	free(m->namespace);
	manifest_set_release(&m->set);
	diagnostics_release(&m->warnings);
	*m = (struct target_memo)TARGET_MEMO_INIT;
}

void target_memo_keep(struct target_memo *m, struct target *t, const char *namespace)
{
	size_t i;

	target_memo_release(m);
	if (!t->commit.id[0] || !t->checkout || !t->files)
		return;
	memcpy(m->commit, t->commit.id, sizeof(m->commit));
	m->checkout = xstrdup(t->checkout);
	m->files = xstrdup(t->files);
	m->namespace = xstrdup(namespace ? namespace : "");
	m->set = t->set;
	t->set = (struct manifest_set)MANIFEST_SET_INIT;
	for (i = 0; i < t->load_warnings && i < t->warnings.n; i++)
		diagnostics_add(&m->warnings, t->warnings.items[i].file, t->warnings.items[i].line,
		                t->warnings.items[i].column, "%s", t->warnings.items[i].message);
}

/* Is `file` one of the changed files of target `ctx`? */
static bool is_changed(const char *file, void *ctx)
{
	const struct target *t = ctx;
	size_t i;

	for (i = 0; i < t->nchanged; i++)
		if (!strcmp(t->changed[i], file))
			return true;
	return false;
}

bool target_unchanged(void *ctx, const struct manifest *m)
{
	return !is_changed(m->file, ctx);
}

void target_changed_view(struct manifest_set *out, const struct target *t)
{
	size_t i;

	*out = (struct manifest_set)MANIFEST_SET_INIT;
	out->items = xcalloc(t->set.n + 1, sizeof(*out->items));
	for (i = 0; i < t->set.n; i++)
		if (is_changed(t->set.items[i].file, (void *)t))
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

static int cmp_id(const void *a, const void *b)
{
	return object_id_cmp(a, b);
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

int target_delta_load(struct target *t, const struct target_options *o)
{
	struct target_memo *memo = o->memo;
	struct tree_options topts;
	struct manifest_set fresh = MANIFEST_SET_INIT;
	struct buf dir = BUF_INIT, name = BUF_INIT, base = BUF_INIT;
	const char *ns = o->namespace ? o->namespace : t->kc->namespace, *rel;
	size_t i, bytes = 0, files = memo->set.nfiles;
	int error = 1;

	target_tree_options(&topts, o, t);
	topts.manifest.default_namespace = ns;
	target_delta_path(&dir, o->path);
	/* As the walk names them: the folder ("dir/" as "dir"), a '/', the
	 * path below it. */
	buf_adds(&base, memo->files);
	while (base.len > 1 && base.ptr[base.len - 1] == '/')
		base.ptr[--base.len] = '\0';
	t->changed = xcalloc(t->commit.nchanges + 1, sizeof(char *));
	for (i = 0; i < t->commit.nchanges; i++) {
		const struct source_change *c = &t->commit.changes[i];

		if (!walked(&rel, c->path, dir.ptr))
			continue;
		buf_reset(&name);
		buf_addf(&name, "%s/%s", base.ptr, rel);
		t->changed[t->nchanged++] = buf_detach(&name, NULL);
	}
	for (i = 0; i < memo->set.nfiles; i++)
		bytes += memo->set.files[i]->len;
	for (i = 0; i < memo->set.nfiles; i++)
		if (is_changed(memo->set.files[i]->name, t)) {
			bytes -= memo->set.files[i]->len;
			files--;
		}
	for (i = 0; i < t->commit.nchanges; i++)
		if (t->commit.changes[i].text && walked(&rel, t->commit.changes[i].path, dir.ptr)) {
			bytes += t->commit.changes[i].len;
			files++;
		}
	/* What the whole load would refuse, or says it met, it says itself. */
	if (strcmp(memo->namespace, ns ? ns : "") || memo->set.dropped || files > topts.max_files ||
	    bytes > topts.max_total_size)
		goto out;
	error = 0;
	for (i = 0; i < t->commit.nchanges; i++) {
		const struct source_change *c = &t->commit.changes[i];

		if (!c->text || !walked(&rel, c->path, dir.ptr))
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
	/* The last load's objects, less the changed files', then theirs. */
	t->set = memo->set;
	memo->set = (struct manifest_set)MANIFEST_SET_INIT;
	t->gone = xcalloc(t->set.n + 1, sizeof(*t->gone));
	for (i = 0; i < t->set.n; i++)
		if (is_changed(t->set.items[i].file, t))
			id_copy(&t->gone[t->ngone++], &t->set.items[i].id);
	manifest_set_drop(&t->set, is_changed, t);
	for (i = 0; i < memo->warnings.n; i++) {
		const struct diagnostic *w = &memo->warnings.items[i];

		if (!is_changed(w->file, t))
			diagnostics_add(&t->warnings, w->file, w->line, w->column, "%s",
			                w->message);
	}
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
		for (i = 0; i < t->nchanged; i++)
			free(t->changed[i]);
		free(t->changed);
		t->changed = NULL;
		t->nchanged = 0;
	}
	manifest_set_release(&fresh);
	buf_release(&base);
	buf_release(&dir);
	buf_release(&name);
	return error;
}
