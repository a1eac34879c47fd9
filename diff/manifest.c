#include "manifest.h"

#include "alloc.h"
#include "error.h"
#include "json.h"
#include "parallel.h"

#include <dirent.h>
#include <stdatomic.h>
#include <unistd.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Marks down to an object's metadata.name inside a List's items. */
#define MARK_DEPTH 4

void diagnostics_add(struct diagnostics *d, const char *file, size_t line, size_t column,
                     const char *fmt, ...)
{
	struct diagnostic *x;
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	d->items = xgrow(d->items, sizeof(*d->items), d->n + 1, &d->alloc);
	x = &d->items[d->n++];
	x->file = xstrdup(file);
	x->line = line;
	x->column = column;
	x->message = buf_detach(&msg, NULL);
}

void diagnostics_format(struct buf *out, const struct diagnostics *d)
{
	size_t i;

	for (i = 0; i < d->n && i < DIAGNOSTICS_SHOWN; i++) {
		const struct diagnostic *x = &d->items[i];
		if (x->line)
			buf_addf(out, "%s:%zu:%zu: %s\n", x->file, x->line, x->column, x->message);
		else
			buf_addf(out, "%s: %s\n", x->file, x->message);
	}
	if (d->n > DIAGNOSTICS_SHOWN)
		buf_addf(out, "... and %zu more\n", d->n - DIAGNOSTICS_SHOWN);
}

void diagnostics_release(struct diagnostics *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		free(d->items[i].file);
		free(d->items[i].message);
	}
	free(d->items);
	d->items = NULL;
	d->n = d->alloc = 0;
}

/* ---- where a node is ---------------------------------------------------- */

/* The steps from `root` to `node`: keys (as strings) and indexes (as ints). */
static bool path_to(struct json_object *path, struct json_object *root,
                    const struct json_object *node)
{
	if (root == node)
		return true;
	if (json_object_is_type(root, json_type_object)) {
		json_object_object_foreach(root, key, child)
		{
			json_object_array_add(path, json_object_new_string(key));
			if (path_to(path, child, node))
				return true;
			json_object_array_del_idx(path, json_object_array_length(path) - 1, 1);
		}
	} else if (json_object_is_type(root, json_type_array)) {
		size_t i, n = json_object_array_length(root);
		for (i = 0; i < n; i++) {
			json_object_array_add(path, json_object_new_int64((int64_t)i));
			if (path_to(path, json_object_array_get_idx(root, i), node))
				return true;
			json_object_array_del_idx(path, json_object_array_length(path) - 1, 1);
		}
	}
	return false;
}

/*
 * Where `node` (inside document `doc_index`'s tree `doc`) starts in the file.
 * Parsing records marks only near the top; for anything deeper the file is
 * parsed again with every mark, which costs only when there is an error.
 * Falls back to the document's own start.
 */
static void locate(size_t *line, size_t *column, const char *file, const struct buf *data,
                   size_t doc_index, struct json_object *doc, const struct json_object *node,
                   const struct yaml_marks *marks)
{
	struct yaml_marks all = YAML_MARKS_INIT(SIZE_MAX);
	struct json_object *docs = NULL, *path = json_object_new_array(), *at;
	size_t i;

	if (yaml_marks_find(line, column, marks, node) == 0)
		goto out;
	if (yaml_marks_find(line, column, marks, doc) < 0)
		*line = *column = 1;
	if (!node || !path_to(path, doc, node) ||
	    yaml_parse(&docs, file, data->ptr, data->len, NULL, &all) < 0)
		goto out;
	at = json_object_array_get_idx(docs, doc_index);
	for (i = 0; at && i < json_object_array_length(path); i++) {
		struct json_object *step = json_object_array_get_idx(path, i);
		if (json_object_is_type(step, json_type_string))
			at = json_get(at, json_object_get_string(step));
		else
			at = json_object_array_get_idx(at, (size_t)json_object_get_int64(step));
	}
	if (at)
		yaml_marks_find(line, column, &all, at);
out:
	json_object_put(docs);
	json_object_put(path);
	yaml_marks_release(&all);
}

/* The first number JSON cannot hold (NaN, infinity) inside v, or NULL. */
static struct json_object *find_non_finite(struct json_object *v)
{
	struct json_object *found = NULL;

	if (json_object_is_type(v, json_type_double)) {
		double d = json_object_get_double(v);
		return isnan(d) || isinf(d) ? v : NULL;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child)
		{
			(void)key;
			if ((found = find_non_finite(child)))
				return found;
		}
	} else if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n && !found; i++)
			found = find_non_finite(json_object_array_get_idx(v, i));
	}
	return found;
}

/* ---- loading ------------------------------------------------------------ */

/*
 * A file to read, or a problem met while walking. The walk lists them in
 * order; the files are then read in parallel, each into its own results,
 * which are gathered in walk order: the outcome does not depend on timing.
 */
struct source {
	char *path; /* NULL: nothing to read */
	struct manifest_set set;
	struct diagnostics diags;
	bool cut; /* stopped early: the limit of objects, or opts->stop */
};

/* What a load shares between its walk and its readers. */
struct sources {
	struct source *items;
	size_t n, alloc;
	const struct manifest_options *opts;
	size_t files, bytes;   /* listed by the walk */
	atomic_size_t objects; /* read so far, by every reader */
	bool full;             /* the walk met a limit or a stop: it listed no more */
};

struct loader {
	struct sources *s;
	struct source *x;
	/* the file being read */
	const char *file;
	struct buf data;
	struct yaml_marks marks;
};

/* Why the load must stop now (opts->stop), or NULL. */
static const char *stop_reason(const struct manifest_options *opts)
{
	return opts->stop ? opts->stop(opts->stop_ctx) : NULL;
}

static bool listed(const char *const *list, const char *s)
{
	for (; *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
}

/*
 * Put the object `m` describes in its namespace as opts say (target,
 * explicit, allowed), and check its names as the API does before they go
 * into a URL. False, with the problem at its field, when it cannot be
 * applied.
 */
static bool place(struct loader *l, struct manifest *m, struct json_object *obj, size_t doc_index,
                  struct json_object *doc)
{
	const struct manifest_options *opts = l->s->opts;
	struct json_object *meta = json_get(obj, "metadata");
	struct json_object *named = json_get(meta, "namespace"), *at;
	const char *ns = json_object_get_string(named), *field;
	struct buf what = BUF_INIT, list = BUF_INIT;
	size_t line, column, i;
	bool ok = true;

	if (opts->target_namespace && *m->id.namespace) {
		free(m->id.namespace);
		m->id.namespace = xstrdup(opts->target_namespace);
	}
	object_id_describe(&what, &m->id);
	if (object_id_validate(&field, &m->id) < 0) {
		at = !strcmp(field, "apiVersion")      ? json_get(obj, "apiVersion")
		     : !strcmp(field, "metadata.name") ? json_get(meta, "name")
		                                       : named;
		locate(&line, &column, l->file, &l->data, doc_index, doc, at ? at : obj, &l->marks);
		diagnostics_add(&l->x->diags, l->file, line, column, "%s %s: %s", m->id.kind,
		                m->id.name, berth_error_last());
		ok = false;
	} else if (opts->explicit_namespace && !opts->target_namespace && *m->id.namespace && ns &&
	           *ns && strcmp(ns, opts->default_namespace)) {
		locate(&line, &column, l->file, &l->data, doc_index, doc, named, &l->marks);
		diagnostics_add(&l->x->diags, l->file, line, column,
		                "%s: the namespace of the object, '%s', is not the namespace '%s' "
		                "given with -n (kubectl refuses it too: pass -n %s)",
		                what.ptr, ns, opts->default_namespace, ns);
		ok = false;
	} else if (opts->allowed_namespaces && *m->id.namespace &&
	           !listed(opts->allowed_namespaces, m->id.namespace)) {
		for (i = 0; opts->allowed_namespaces[i]; i++)
			buf_addf(&list, "%s'%s'", i ? ", " : "", opts->allowed_namespaces[i]);
		locate(&line, &column, l->file, &l->data, doc_index, doc, named ? named : obj,
		       &l->marks);
		diagnostics_add(&l->x->diags, l->file, line, column,
		                "%s: namespace '%s' is not among the namespaces this source may "
		                "write to (%s)",
		                what.ptr, m->id.namespace, list.ptr);
		ok = false;
	}
	buf_release(&what);
	buf_release(&list);
	return ok;
}

static void add_object(struct loader *l, struct json_object *obj, size_t doc_index,
                       struct json_object *doc)
{
	struct manifest_set *set = &l->x->set;
	struct diagnostics *diags = &l->x->diags;
	const struct manifest_options *opts = l->s->opts;
	struct manifest m;
	struct json_object *bad;
	size_t line, column;

	memset(&m, 0, sizeof(m));
	if (object_id_read(&m.id, &bad, obj, opts->default_namespace) < 0) {
		locate(&line, &column, l->file, &l->data, doc_index, doc, bad, &l->marks);
		diagnostics_add(diags, l->file, line, column, "%s", berth_error_last());
		return;
	}
	locate(&m.line, &m.column, l->file, &l->data, doc_index, doc, obj, &l->marks);
	if (!place(l, &m, obj, doc_index, doc)) {
		object_id_release(&m.id);
		return;
	}
	if ((bad = find_non_finite(obj))) {
		struct buf what = BUF_INIT;
		object_id_describe(&what, &m.id);
		locate(&line, &column, l->file, &l->data, doc_index, doc, bad, &l->marks);
		diagnostics_add(diags, l->file, line, column,
		                "%s: %s cannot be represented in JSON", what.ptr,
		                isnan(json_object_get_double(bad)) ? ".nan" : "an infinity");
		buf_release(&what);
		object_id_release(&m.id);
		return;
	}
	if (*m.id.namespace) {
		struct json_object *metadata = json_get(obj, "metadata");
		json_object_object_add(metadata, "namespace",
		                       json_object_new_string(m.id.namespace));
	}
	/* json-c's own writer: what it writes, it reads back exactly (a double
	 * stays a double; Go's form of a huge integral float would read back
	 * clamped to an int64). */
	m.file = xstrdup(l->file);
	/* Its exact size: a buffer grown by doubling would hold up to twice
	 * the text, and the set holds every object's. */
	m.json = xstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
	set->items = xgrow(set->items, sizeof(m), set->n + 1, &set->alloc);
	set->items[set->n++] = m;
	atomic_fetch_add(&l->s->objects, 1);
}

static bool is_list(struct json_object *doc)
{
	const char *kind = json_get_string(doc, "kind");
	size_t n;

	if (!kind || !json_object_is_type(json_get(doc, "items"), json_type_array))
		return false;
	n = strlen(kind);
	return n >= 4 && !strcmp(kind + n - 4, "List");
}

/* Each document as the parser gives it: the file is never held whole as
 * trees. Past the limit of objects, or when told to stop, no more is read. */
static int load_document(struct json_object *doc, size_t index, void *ctx)
{
	struct loader *l = ctx;
	size_t j;

	if (atomic_load(&l->s->objects) > l->s->opts->max_objects || stop_reason(l->s->opts)) {
		l->x->cut = true;
		return 1;
	}
	if (!doc)
		return 0; /* an empty document */
	if (!is_list(doc)) {
		add_object(l, doc, index, doc);
		return 0;
	}
	for (j = 0; j < json_array_len(json_get(doc, "items")); j++)
		add_object(l, json_object_array_get_idx(json_get(doc, "items"), j), index, doc);
	return 0;
}

static void load_documents(struct loader *l)
{
	int error;

	l->marks.n = 0;
	error = yaml_parse_each(l->file, l->data.ptr, l->data.len, &l->s->opts->yaml, &l->marks,
	                        load_document, l);
	if (error < 0) {
		/* The message reads "file:line:column: reason". */
		const char *msg = berth_error_last() + strlen(l->file) + 1;
		size_t line = 0, column = 0;
		int used = 0;

		if (sscanf(msg, "%zu:%zu: %n", &line, &column, &used) < 2 || !used)
			used = 0;
		diagnostics_add(&l->x->diags, l->file, line, column, "%s", msg + used);
	}
}

static void load_file(struct loader *l, const char *path)
{
	const size_t max = l->s->opts->max_file_size;
	struct stat st;

	l->file = path;
	buf_reset(&l->data);
	if (stat(path, &st) == 0 && (size_t)st.st_size > max) {
		diagnostics_add(&l->x->diags, path, 0, 0, "larger than the limit of %zu bytes",
		                max);
		return;
	}
	if (buf_read_file(&l->data, path, max) < 0) {
		diagnostics_add(&l->x->diags, path, 0, 0, "cannot read: %s", strerror(errno));
		return;
	}
	load_documents(l);
}

static struct source *source_add(struct sources *s, const char *path)
{
	struct source *x;

	s->items = xgrow(s->items, sizeof(*s->items), s->n + 1, &s->alloc);
	x = &s->items[s->n++];
	memset(x, 0, sizeof(*x));
	x->path = path ? xstrdup(path) : NULL;
	return x;
}

/* A problem that is not about a file's contents, in its place in the order. */
static void source_problem(struct sources *s, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void source_problem(struct sources *s, const char *path, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diagnostics_add(&source_add(s, NULL)->diags, path, 0, 0, "%s", msg.ptr);
	buf_release(&msg);
}

static void load_source(size_t i, void *ctx)
{
	struct sources *s = ctx;
	struct loader l = {s, &s->items[i], NULL, BUF_INIT, YAML_MARKS_INIT(MARK_DEPTH)};

	if (l.x->path && (atomic_load(&s->objects) > s->opts->max_objects || stop_reason(s->opts)))
		l.x->cut = true;
	else if (l.x->path)
		load_file(&l, l.x->path);
	buf_release(&l.data);
	yaml_marks_release(&l.marks);
}

static bool manifest_extension(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Is `real` (a resolved path) inside the directory `root` (also resolved)? */
static bool inside(const char *real, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0' || !strcmp(root, "/"));
}

/* A directory, by what it is rather than by how it was reached. */
struct dir_id {
	dev_t dev;
	ino_t ino;
};

/*
 * The walk of one path: nothing outside `root` is read, and no directory
 * twice, however symlinks lead. `visited` is sorted; `stack` is the
 * directories being walked, outermost first, to tell a loop (a link back
 * to one of them) from a second way into a directory read already.
 */
struct walk {
	struct sources *s;
	const char *root;
	struct dir_id *visited;
	size_t nvisited, alloc;
	struct {
		struct dir_id id;
		char *path;
	} stack[64];
	size_t depth;
};

static int cmp_dir_id(const void *a, const void *b)
{
	const struct dir_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Note `id` as visited; false when it was already. */
static bool visit(struct walk *w, struct dir_id id)
{
	size_t lo = 0, hi = w->nvisited;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_dir_id(&id, &w->visited[mid]);

		if (!c)
			return false;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	w->visited = xgrow(w->visited, sizeof(*w->visited), w->nvisited + 1, &w->alloc);
	memmove(w->visited + lo + 1, w->visited + lo, (w->nvisited - lo) * sizeof(*w->visited));
	w->visited[lo] = id;
	w->nvisited++;
	return true;
}

/* Can the walk list more? Says once, in its place, why not. */
static bool room(struct walk *w, const char *path, off_t size)
{
	const struct manifest_options *opts = w->s->opts;
	const char *why;

	if (w->s->full)
		return false;
	if ((why = stop_reason(opts)))
		source_problem(w->s, path, "not read: %s", why);
	else if (w->s->files + 1 > opts->max_files)
		source_problem(w->s, path, "more than %zu manifest files; not read (the limit)",
		               opts->max_files);
	else if (w->s->bytes + (size_t)size > opts->max_total_size)
		source_problem(w->s, path,
		               "the manifests come to more than %zu bytes with this file; not read "
		               "(the limit)",
		               opts->max_total_size);
	else
		return true;
	w->s->full = true;
	return false;
}

static void walk_dir(struct walk *w, const char *dir);

/* Walk into directory `path` (`st` is what it is), once. */
static void enter(struct walk *w, const char *path, const struct stat *st)
{
	struct dir_id id = {st->st_dev, st->st_ino};
	size_t i;

	if (!visit(w, id)) {
		for (i = 0; i < w->depth; i++)
			if (!cmp_dir_id(&id, &w->stack[i].id))
				source_problem(w->s, path,
				               "symlink loop: it leads back to '%s'; not followed",
				               w->stack[i].path);
		return; /* read already, by another way */
	}
	if (w->depth == ARRAY_SIZE(w->stack)) {
		source_problem(w->s, path, "nested deeper than %zu directories; not read",
		               ARRAY_SIZE(w->stack));
		return;
	}
	w->stack[w->depth].id = id;
	w->stack[w->depth].path = xstrdup(path);
	w->depth++;
	walk_dir(w, path);
	free(w->stack[--w->depth].path);
}

/* Where a symlink at `path` leads, for messages: its text. */
static void link_target(struct buf *out, const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	buf_add(out, target, n > 0 ? (size_t)n : 0);
}

static void walk_dir(struct walk *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;

	if (!d) {
		source_problem(w->s, dir, "%s", strerror(errno));
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			names = xgrow(names, sizeof(*names), n + 1, &alloc);
			names[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	if (n) /* an empty directory has no list at all */
		qsort(names, n, sizeof(*names), cmp_names);

	for (i = 0; i < n; i++) {
		struct buf path = BUF_INIT, target = BUF_INIT;
		struct stat st;
		char real[PATH_MAX];

		buf_addf(&path, "%s/%s", dir, names[i]);
		if (lstat(path.ptr, &st) < 0) {
			source_problem(w->s, path.ptr, "%s", strerror(errno));
		} else if (S_ISLNK(st.st_mode) && !realpath(path.ptr, real)) {
			/* Nowhere: a problem only where a manifest was meant. */
			link_target(&target, path.ptr);
			if (manifest_extension(names[i]))
				source_problem(w->s, path.ptr, "symlink to '%s' leads nowhere: %s",
				               target.ptr, strerror(errno));
		} else if (S_ISLNK(st.st_mode) && !inside(real, w->root)) {
			link_target(&target, path.ptr);
			source_problem(w->s, path.ptr,
			               "symlink to '%s' leads outside '%s'; not followed",
			               target.ptr, w->root);
		} else if (stat(path.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
			enter(w, path.ptr, &st);
		} else if (S_ISREG(st.st_mode) && manifest_extension(names[i]) &&
		           room(w, path.ptr, st.st_size)) {
			w->s->files++;
			w->s->bytes += (size_t)st.st_size;
			source_add(w->s, path.ptr);
		}
		buf_release(&path);
		buf_release(&target);
		free(names[i]);
	}
	free(names);
}

/*
 * Does `path` stay inside `root` (both as given; root resolved)? When it
 * does not, the problem names the first component that is a symlink
 * leading out, and where it points.
 */
static bool path_inside(struct sources *s, const char *path, const char *root)
{
	struct buf prefix = BUF_INIT, target = BUF_INIT;
	char real[PATH_MAX];
	const char *p;
	bool ok = true, resolved = realpath(path, real) != NULL;

	if (resolved && inside(real, root))
		return true;
	for (p = path; ok && *p; p += strspn(p, "/")) {
		struct stat st;

		p += strcspn(p, "/");
		buf_reset(&prefix);
		buf_add(&prefix, path, (size_t)(p - path));
		if (lstat(prefix.ptr, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (!realpath(prefix.ptr, real) || !inside(real, root))) {
			link_target(&target, prefix.ptr);
			source_problem(s, prefix.ptr,
			               "symlink to '%s' leads outside '%s'; not followed",
			               target.ptr, root);
			ok = false;
		}
	}
	/* No link to blame: the path is outside, or not there (which reading
	 * it says). */
	if (ok && resolved)
		source_problem(s, path, "outside '%s'; not read", root);
	buf_release(&prefix);
	buf_release(&target);
	return ok && !resolved;
}

/* List what `path` holds: a file, or a directory walked within `root` (its
 * own, when the options name none). */
static void list_path(struct sources *s, const char *path)
{
	struct walk w = {s, NULL, NULL, 0, 0, {{{0, 0}, NULL}}, 0};
	char root[PATH_MAX], self[PATH_MAX];
	struct stat st;
	char *dir;
	size_t n;

	if (s->opts->root && !path_inside(s, path, s->opts->root))
		return;
	if (stat(path, &st) < 0) {
		source_problem(s, path, "%s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (room(&w, path, st.st_size)) {
			s->files++;
			s->bytes += (size_t)st.st_size;
			source_add(s, path);
		}
		return;
	}
	/* "dir/" and "dir" name the same files the same way. */
	dir = xstrdup(path);
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	if (!realpath(dir, self)) {
		source_problem(s, dir, "%s", strerror(errno));
	} else {
		w.root = s->opts->root ? s->opts->root : self;
		snprintf(root, sizeof(root), "%s", w.root);
		w.root = root;
		enter(&w, dir, &st);
	}
	free(w.visited);
	free(dir);
}

/* Order manifests by identity, and equal ones by where they are in the set. */
static int cmp_identity(const void *a, const void *b)
{
	const struct manifest *x = *(const struct manifest *const *)a;
	const struct manifest *y = *(const struct manifest *const *)b;
	int c = object_id_cmp(&x->id, &y->id);

	return c ? c : (x < y ? -1 : 1);
}

/*
 * Two documents naming one object: the same object twice (equal as parsed
 * data, as kubectl's second apply would change nothing) is a warning and
 * the second is dropped; two different ones are an error, since which one
 * would win depends on the order the files are read in.
 */
static void find_duplicates(struct diagnostics *diags, struct diagnostics *warnings,
                            struct manifest_set *set)
{
	const struct manifest **order = xcalloc(set->n + 1, sizeof(*order));
	bool *dropped = xcalloc(set->n + 1, sizeof(*dropped));
	size_t i, first, n;

	for (i = 0; i < set->n; i++)
		order[i] = &set->items[i];
	qsort(order, set->n, sizeof(*order), cmp_identity);
	for (first = 0, i = 1; i < set->n; i++) {
		const struct manifest *again = order[i];
		struct json_object *a = NULL, *b = NULL;
		struct buf what = BUF_INIT;
		bool same;

		if (!object_id_equal(&order[first]->id, &again->id)) {
			first = i;
			continue;
		}
		manifest_object(&a, order[first]);
		manifest_object(&b, again);
		same = json_equal(a, b);
		object_id_describe(&what, &again->id);
		if (same && warnings)
			diagnostics_add(
			    warnings, again->file, again->line, again->column,
			    "warning: %s is defined twice, the same both times: here and "
			    "at %s:%zu:%zu; it is applied once",
			    what.ptr, order[first]->file, order[first]->line, order[first]->column);
		else if (!same)
			diagnostics_add(diags, again->file, again->line, again->column,
			                "%s is defined twice: here and at %s:%zu:%zu", what.ptr,
			                order[first]->file, order[first]->line,
			                order[first]->column);
		dropped[again - set->items] = same;
		json_object_put(a);
		json_object_put(b);
		buf_release(&what);
	}
	for (i = n = 0; i < set->n; i++) {
		if (!dropped[i]) {
			set->items[n++] = set->items[i];
			continue;
		}
		object_id_release(&set->items[i].id);
		free(set->items[i].file);
		free(set->items[i].json);
	}
	set->n = n;
	free(order);
	free(dropped);
}

/* Move what one source found to the end of the set and the diagnostics. */
static void gather(struct manifest_set *set, struct diagnostics *diags, struct source *x)
{
	if (x->set.n) {
		set->items = xgrow(set->items, sizeof(*set->items), set->n + x->set.n, &set->alloc);
		memcpy(set->items + set->n, x->set.items, x->set.n * sizeof(*set->items));
		set->n += x->set.n;
	}
	if (x->diags.n) {
		diags->items = xgrow(diags->items, sizeof(*diags->items), diags->n + x->diags.n,
		                     &diags->alloc);
		memcpy(diags->items + diags->n, x->diags.items, x->diags.n * sizeof(*diags->items));
		diags->n += x->diags.n;
	}
	free(x->set.items);
	free(x->diags.items);
}

int manifest_set_load(struct manifest_set *set, struct diagnostics *diags,
                      struct diagnostics *warnings, const char *const *paths, size_t npaths,
                      const struct manifest_options *opts)
{
	struct manifest_options defaults = MANIFEST_OPTIONS_INIT;
	struct sources s = {.opts = opts ? opts : &defaults};
	const char *why;
	size_t before = diags->n, i;
	bool over = false;

	for (i = 0; i < npaths && !s.full; i++)
		list_path(&s, paths[i]);
	parallel_for(s.n, s.opts->threads, load_source, &s);
	/* In walk order: the first file that goes past the limit of objects,
	 * or that a stop cut short, ends the set; what readers found beyond it
	 * depends on timing, and goes. */
	for (i = 0; i < s.n; i++) {
		struct source *x = &s.items[i];

		if (over) {
			manifest_set_release(&x->set);
			diagnostics_release(&x->diags);
		} else {
			gather(set, diags, x);
		}
		if (!over && x->cut && (why = stop_reason(s.opts))) {
			diagnostics_add(diags, x->path ? x->path : "", 0, 0, "not read whole: %s",
			                why);
			over = true;
		} else if (!over && (x->cut || set->n > s.opts->max_objects)) {
			diagnostics_add(
			    diags, x->path ? x->path : "", 0, 0,
			    "the manifests hold more than %zu objects with this file; the "
			    "rest is not read (the limit)",
			    s.opts->max_objects);
			over = true;
		}
		free(x->path);
	}
	free(s.items);
	find_duplicates(diags, warnings, set);
	return diags->n > before ? BERTH_ERROR : 0;
}

void manifest_set_release(struct manifest_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++) {
		object_id_release(&set->items[i].id);
		free(set->items[i].file);
		free(set->items[i].json);
	}
	free(set->items);
	set->items = NULL;
	set->n = set->alloc = 0;
}

/* The object of `docs` (a parsed file) that starts where `m` does. */
static struct json_object *find_object(struct json_object *docs, const struct yaml_marks *marks,
                                       const struct manifest *m)
{
	size_t i, j, line, column;

	for (i = 0; i < json_object_array_length(docs); i++) {
		struct json_object *doc = json_object_array_get_idx(docs, i);
		struct json_object *items = is_list(doc) ? json_get(doc, "items") : NULL;

		if (!items && yaml_marks_find(&line, &column, marks, doc) == 0 && line == m->line &&
		    column == m->column)
			return doc;
		for (j = 0; j < json_array_len(items); j++) {
			struct json_object *item = json_object_array_get_idx(items, j);
			if (yaml_marks_find(&line, &column, marks, item) == 0 && line == m->line &&
			    column == m->column)
				return item;
		}
	}
	return NULL;
}

void manifest_locate(size_t *line, size_t *column, const struct manifest *m, const char *path)
{
	struct yaml_marks marks = YAML_MARKS_INIT(SIZE_MAX);
	struct json_object *docs = NULL, *at;
	struct buf data = BUF_INIT;
	const char *p = path;

	*line = m->line;
	*column = m->column;
	if (buf_read_file(&data, m->file, SIZE_MAX) < 0 ||
	    yaml_parse(&docs, m->file, data.ptr, data.len, NULL, &marks) < 0 ||
	    !(at = find_object(docs, &marks, m)))
		goto out;
	while (*p && at) {
		at = json_path_step(at, &p, NULL);
		if (at)
			yaml_marks_find_field(line, column, &marks, at);
	}
out:
	json_object_put(docs);
	yaml_marks_release(&marks);
	buf_release(&data);
}

int manifest_object(struct json_object **out, const struct manifest *m)
{
	struct json_object *obj = json_parse(m->json, strlen(m->json));

	BERTH_ASSERT(obj); /* it was written by json_write */
	*out = obj;
	return 0;
}
