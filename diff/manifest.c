/* Manifests: the objects of YAML and JSON texts, each at its place. */
#include "manifest.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Marks down to an object's metadata.name inside a List's items. */
#define MARK_DEPTH 4

/* ---- where a node is ---------------------------------------------------- */

/* The text of `file`: held, or read again. */
static int file_text(struct buf *out, const struct manifest_file *file)
{
	if (file->read)
		return file->read(out, file->name, file->read_ctx);
	buf_add(out, file->text, file->len);
	return 0;
}

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
static void locate(size_t *line, size_t *column, const struct manifest_file *file, size_t doc_index,
                   struct json_object *doc, const struct json_object *node,
                   const struct yaml_marks *marks)
{
	struct yaml_marks all = YAML_MARKS_INIT(SIZE_MAX);
	struct json_object *docs = NULL, *path = json_object_new_array(), *at;
	struct buf text = BUF_INIT;
	size_t i;

	if (yaml_marks_find(line, column, marks, node) == 0)
		goto out;
	if (yaml_marks_find(line, column, marks, doc) < 0)
		*line = *column = 1;
	if (!node || !path_to(path, doc, node) || file_text(&text, file) < 0 ||
	    yaml_parse(&docs, file->name, text.ptr, text.len, NULL, &all) < 0)
		goto out;
	at = json_object_array_get_idx(docs, doc_index);
	for (i = 0; at && i < json_object_array_length(path); i++) {
		struct json_object *step = json_object_array_get_idx(path, i);
		if (json_object_is_type(step, json_type_string))
			at = json_value_get(at, json_object_get_string(step));
		else
			at = json_object_array_get_idx(at, (size_t)json_object_get_int64(step));
	}
	if (at)
		yaml_marks_find(line, column, &all, at);
out:
	json_object_put(docs);
	json_object_put(path);
	yaml_marks_release(&all);
	buf_release(&text);
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

/* ---- parsing ------------------------------------------------------------- */

/* One text being parsed into a set. */
struct parse {
	struct manifest_set *set;
	struct diagnostics *diags;
	const struct manifest_options *opts;
	struct manifest_file *file;
	struct yaml_marks marks;
	atomic_size_t own, *objects; /* opts->objects, else `own` */
	bool cut;
	/* An object a build made (manifest_set_add_built): every place is
	 * its origin's, and what changed it is noted. */
	const struct manifest_origin *built;
};

/* Where `node` of the object being added is: in its file, or for a built
 * object, where it came from. */
static void place_of(struct parse *l, size_t *line, size_t *column, size_t doc_index,
                     struct json_object *doc, const struct json_object *node)
{
	if (l->built) {
		*line = l->built->line;
		*column = l->built->column;
		return;
	}
	locate(line, column, l->file, doc_index, doc, node, &l->marks);
}

bool manifest_namespace_allowed(struct buf *why, const char *const *allowed, const char *ns)
{
	const char *const *a;

	for (a = allowed; a && *a; a++)
		if (!strcmp(*a, ns))
			return true;
	if (!allowed)
		return true;
	buf_addf(why, "namespace '%s' is not among the namespaces this source may write to (", ns);
	for (a = allowed; *a; a++)
		buf_addf(why, "%s'%s'", a == allowed ? "" : ", ", *a);
	buf_addch(why, ')');
	return false;
}

/*
 * Put the object `m` describes in its namespace as opts say (target,
 * explicit, allowed), and check its names as the API does before they go
 * into a URL. False, with the problem at its field, when it cannot be
 * applied.
 */
static bool place(struct parse *l, struct manifest *m, struct json_object *obj, size_t doc_index,
                  struct json_object *doc)
{
	const struct manifest_options *opts = l->opts;
	struct json_object *meta = json_value_get(obj, "metadata");
	struct json_object *named = json_value_get(meta, "namespace"), *at;
	const char *ns = json_object_get_string(named), *field;
	struct buf what = BUF_INIT, why = BUF_INIT;
	size_t line, column;
	bool ok = true;

	if (opts->target_namespace && *m->id.namespace) {
		free(m->id.namespace);
		m->id.namespace = xstrdup(opts->target_namespace);
	}
	object_id_describe(&what, &m->id);
	if (object_id_validate(&field, &m->id) < 0) {
		at = !strcmp(field, "apiVersion")      ? json_value_get(obj, "apiVersion")
		     : !strcmp(field, "metadata.name") ? json_value_get(meta, "name")
		                                       : named;
		place_of(l, &line, &column, doc_index, doc, at ? at : obj);
		diagnostics_add(l->diags, l->file->name, line, column, "%s %s: %s", m->id.kind,
		                m->id.name, berth_error_last());
		ok = false;
	} else if (opts->explicit_namespace && !opts->target_namespace && *m->id.namespace && ns &&
	           *ns && strcmp(ns, opts->default_namespace)) {
		place_of(l, &line, &column, doc_index, doc, named);
		diagnostics_add(l->diags, l->file->name, line, column,
		                "%s: the namespace of the object, '%s', is not the namespace '%s' "
		                "given with -n (kubectl refuses it too: pass -n %s)",
		                what.ptr, ns, opts->default_namespace, ns);
		ok = false;
	} else if (*m->id.namespace &&
	           !manifest_namespace_allowed(&why, opts->allowed_namespaces, m->id.namespace)) {
		place_of(l, &line, &column, doc_index, doc, named ? named : obj);
		diagnostics_add(l->diags, l->file->name, line, column, "%s: %s", what.ptr, why.ptr);
		ok = false;
	}
	buf_release(&what);
	buf_release(&why);
	return ok;
}

static void add_object(struct parse *l, struct json_object *obj, size_t doc_index,
                       struct json_object *doc)
{
	struct manifest_set *set = l->set;
	struct diagnostics *diags = l->diags;
	const struct manifest_options *opts = l->opts;
	struct manifest m;
	struct json_object *bad;
	size_t line, column;

	memset(&m, 0, sizeof(m));
	if (object_id_read(&m.id, &bad, obj, opts->default_namespace) < 0) {
		place_of(l, &line, &column, doc_index, doc, bad);
		diagnostics_add(diags, l->file->name, line, column, "%s", berth_error_last());
		return;
	}
	place_of(l, &m.line, &m.column, doc_index, doc, obj);
	if (!place(l, &m, obj, doc_index, doc)) {
		object_id_release(&m.id);
		return;
	}
	if ((bad = find_non_finite(obj))) {
		struct buf what = BUF_INIT;
		object_id_describe(&what, &m.id);
		place_of(l, &line, &column, doc_index, doc, bad);
		diagnostics_add(diags, l->file->name, line, column,
		                "%s: %s cannot be represented in JSON", what.ptr,
		                isnan(json_object_get_double(bad)) ? ".nan" : "an infinity");
		buf_release(&what);
		object_id_release(&m.id);
		return;
	}
	if (*m.id.namespace) {
		struct json_object *metadata = json_value_get(obj, "metadata");
		json_object_object_add(metadata, "namespace",
		                       json_object_new_string(m.id.namespace));
	}
	/* json-c's own writer: what it writes, it reads back exactly (a double
	 * stays a double; Go's form of a huge integral float would read back
	 * clamped to an int64). */
	m.file = l->file->name;
	m.source = l->file;
	if (l->built) {
		m.patch = xstrdup_or_null(l->built->patch);
		m.selector_labels = xstrdup_or_null(l->built->selector_labels);
	}
	/* Its exact size: a buffer grown by doubling would hold up to twice
	 * the text, and the set holds every object's. */
	m.json = xstrdup(json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
	set->items = xgrow(set->items, sizeof(m), set->n + 1, &set->alloc);
	set->items[set->n++] = m;
	atomic_fetch_add(l->objects, 1);
}

bool manifest_is_list(struct json_object *doc)
{
	const char *kind = json_value_get_string(doc, "kind");
	size_t n;

	if (!kind || !json_object_is_type(json_value_get(doc, "items"), json_type_array))
		return false;
	n = strlen(kind);
	return n >= 4 && !strcmp(kind + n - 4, "List");
}

/* Each document as the parser gives it: the text is never held whole as
 * trees. Past the limit of objects, or when told to stop, no more is read. */
static int load_document(struct json_object *doc, size_t index, void *ctx)
{
	struct parse *l = ctx;
	size_t j;

	if (atomic_load(l->objects) > l->opts->max_objects ||
	    (l->opts->stop && l->opts->stop(l->opts->stop_ctx))) {
		l->cut = true;
		return MANIFEST_CUT;
	}
	if (!doc)
		return 0; /* an empty document */
	if (!manifest_is_list(doc)) {
		add_object(l, doc, index, doc);
		return 0;
	}
	for (j = 0; j < json_value_array_len(json_value_get(doc, "items")); j++)
		add_object(l, json_object_array_get_idx(json_value_get(doc, "items"), j), index,
		           doc);
	return 0;
}

int manifest_set_add(struct manifest_set *set, struct diagnostics *diags, const char *name,
                     const char *text, size_t len, const struct manifest_options *opts)
{
	struct manifest_options defaults = MANIFEST_OPTIONS_INIT;
	struct manifest_file *file = xcalloc(1, sizeof(*file));
	struct parse l = {.set = set,
	                  .diags = diags,
	                  .opts = opts ? opts : &defaults,
	                  .file = file,
	                  .marks = YAML_MARKS_INIT(MARK_DEPTH)};
	size_t before = diags->n;
	int error;

	l.objects = l.opts->objects ? l.opts->objects : &l.own;
	if (!l.opts->objects)
		atomic_store(&l.own, set->n);
	file->name = xstrdup(name);
	file->read = l.opts->read;
	file->read_ctx = l.opts->read_ctx;
	file->len = len;
	if (!file->read) {
		file->text = xstrndup(text, len);
	}
	set->files = xgrow(set->files, sizeof(*set->files), set->nfiles + 1, &set->files_alloc);
	set->files[set->nfiles++] = file;
	error = yaml_parse_each(name, text, len, &l.opts->yaml, &l.marks, load_document, &l);
	if (error < 0) {
		/* The message reads "name:line:column: reason". */
		const char *msg = berth_error_last() + strlen(name) + 1;
		size_t line = 0, column = 0;
		int used = 0;

		if (sscanf(msg, "%zu:%zu: %n", &line, &column, &used) < 2 || !used)
			used = 0;
		diagnostics_add(diags, name, line, column, "%s", msg + used);
	}
	yaml_marks_release(&l.marks);
	if (l.cut)
		return MANIFEST_CUT;
	return diags->n > before ? BERTH_ERROR : 0;
}

/* The set's file `name`, added (with no text: read again, or not at all)
 * when it has none. */
static struct manifest_file *file_named(struct manifest_set *set, const char *name,
                                        const struct manifest_options *opts)
{
	struct manifest_file *file;
	size_t i;

	for (i = set->nfiles; i > 0; i--)
		if (!strcmp(set->files[i - 1]->name, name))
			return set->files[i - 1];
	file = xcalloc(1, sizeof(*file));
	file->name = xstrdup(name);
	file->read = opts->read;
	file->read_ctx = opts->read_ctx;
	set->files = xgrow(set->files, sizeof(*set->files), set->nfiles + 1, &set->files_alloc);
	set->files[set->nfiles++] = file;
	return file;
}

int manifest_set_add_built(struct manifest_set *set, struct diagnostics *diags,
                           struct json_object *obj, const struct manifest_origin *origin,
                           const struct manifest_options *opts)
{
	struct manifest_options defaults = MANIFEST_OPTIONS_INIT;
	struct parse l = {.set = set,
	                  .diags = diags,
	                  .opts = opts ? opts : &defaults,
	                  .marks = YAML_MARKS_INIT(0),
	                  .built = origin};
	size_t before = diags->n;

	l.objects = l.opts->objects ? l.opts->objects : &l.own;
	if (!l.opts->objects)
		atomic_store(&l.own, set->n);
	if (atomic_load(l.objects) > l.opts->max_objects)
		return MANIFEST_CUT;
	l.file = file_named(set, origin->file, l.opts);
	add_object(&l, obj, 0, obj);
	return diags->n > before ? BERTH_ERROR : 0;
}

void manifest_add_patch_note(struct buf *out, const struct manifest *m)
{
	if (m->patch)
		buf_addf(out, " (changed by the patch at %s)", m->patch);
}

void manifest_set_take(struct manifest_set *to, struct manifest_set *from)
{
	if (from->n) {
		to->items = xgrow(to->items, sizeof(*to->items), to->n + from->n, &to->alloc);
		memcpy(to->items + to->n, from->items, from->n * sizeof(*from->items));
		to->n += from->n;
	}
	if (from->nfiles) {
		to->files = xgrow(to->files, sizeof(*to->files), to->nfiles + from->nfiles,
		                  &to->files_alloc);
		memcpy(to->files + to->nfiles, from->files, from->nfiles * sizeof(*from->files));
		to->nfiles += from->nfiles;
	}
	if (from->nbuilds) {
		to->builds = xgrow(to->builds, sizeof(*to->builds), to->nbuilds + from->nbuilds,
		                   &to->builds_alloc);
		memcpy(to->builds + to->nbuilds, from->builds,
		       from->nbuilds * sizeof(*from->builds));
		to->nbuilds += from->nbuilds;
	}
	free(from->items);
	free(from->files);
	free(from->builds);
	*from = (struct manifest_set)MANIFEST_SET_INIT;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

struct manifest_build *manifest_set_add_build(struct manifest_set *set, size_t from,
                                              const char *dir, char **inputs, size_t ninputs)
{
	struct manifest_build *b = xcalloc(1, sizeof(*b));
	size_t i, n;

	qsort(inputs, ninputs, sizeof(*inputs), cmp_str);
	for (i = n = 0; i < ninputs; i++) {
		if (n && !strcmp(inputs[n - 1], inputs[i]))
			free(inputs[i]);
		else
			inputs[n++] = inputs[i];
	}
	b->dir = xstrdup(dir);
	b->inputs = inputs;
	b->ninputs = n;
	b->warnings = (struct diagnostics)DIAGNOSTICS_INIT;
	for (i = from; i < set->nfiles; i++)
		set->files[i]->build = b;
	set->builds =
	    xgrow(set->builds, sizeof(*set->builds), set->nbuilds + 1, &set->builds_alloc);
	set->builds[set->nbuilds++] = b;
	return b;
}

static void build_free(struct manifest_build *b)
{
	size_t i;

	for (i = 0; i < b->ninputs; i++)
		free(b->inputs[i]);
	free(b->inputs);
	free(b->dir);
	diagnostics_release(&b->warnings);
	free(b);
}

static void manifest_release_one(struct manifest *m)
{
	object_id_release(&m->id);
	free(m->json);
	free(m->patch);
	free(m->selector_labels);
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
void manifest_set_finish(struct manifest_set *set, struct diagnostics *diags,
                         struct diagnostics *warnings)
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
		same = json_value_equal(a, b);
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
		manifest_release_one(&set->items[i]);
		set->dropped++;
	}
	set->n = n;
	free(order);
	free(dropped);
}

/* Does the drop of `set` take file `f`? */
struct drop {
	bool (*file)(const char *file, void *ctx);
	bool (*build)(const struct manifest_build *b, void *ctx);
	void *ctx;
};

static bool dropped_file(const struct drop *d, const struct manifest_file *f)
{
	return f->build ? d->build && d->build(f->build, d->ctx) : d->file(f->name, d->ctx);
}

void manifest_set_drop(struct manifest_set *set, bool (*drop)(const char *file, void *ctx),
                       bool (*drop_build)(const struct manifest_build *b, void *ctx), void *ctx)
{
	struct drop d = {drop, drop_build, ctx};
	size_t i, n;

	for (i = n = 0; i < set->n; i++) {
		if (set->items[i].source && dropped_file(&d, set->items[i].source))
			manifest_release_one(&set->items[i]);
		else
			set->items[n++] = set->items[i];
	}
	set->n = n;
	for (i = n = 0; i < set->nfiles; i++) {
		if (!dropped_file(&d, set->files[i])) {
			set->files[n++] = set->files[i];
			continue;
		}
		free(set->files[i]->name);
		free(set->files[i]->text);
		free(set->files[i]);
	}
	set->nfiles = n;
	for (i = n = 0; i < set->nbuilds; i++) {
		if (drop_build && drop_build(set->builds[i], ctx))
			build_free(set->builds[i]);
		else
			set->builds[n++] = set->builds[i];
	}
	set->nbuilds = n;
}

void manifest_set_release(struct manifest_set *set)
{
	size_t i;

	for (i = 0; i < set->n; i++)
		manifest_release_one(&set->items[i]);
	for (i = 0; i < set->nfiles; i++) {
		free(set->files[i]->name);
		free(set->files[i]->text);
		free(set->files[i]);
	}
	for (i = 0; i < set->nbuilds; i++)
		build_free(set->builds[i]);
	free(set->items);
	free(set->files);
	free(set->builds);
	*set = (struct manifest_set)MANIFEST_SET_INIT;
}

/* The object of `docs` (a parsed file) that starts where `m` does. */
static struct json_object *find_object(struct json_object *docs, const struct yaml_marks *marks,
                                       const struct manifest *m)
{
	size_t i, j, line, column;

	for (i = 0; i < json_object_array_length(docs); i++) {
		struct json_object *doc = json_object_array_get_idx(docs, i);
		struct json_object *items =
		    manifest_is_list(doc) ? json_value_get(doc, "items") : NULL;

		if (!items && yaml_marks_find(&line, &column, marks, doc) == 0 && line == m->line &&
		    column == m->column)
			return doc;
		for (j = 0; j < json_value_array_len(items); j++) {
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
	struct buf text = BUF_INIT;
	const char *p = path;

	*line = m->line;
	*column = m->column;
	if (!m->source || file_text(&text, m->source) < 0 ||
	    yaml_parse(&docs, m->file, text.ptr, text.len, NULL, &marks) < 0 ||
	    !(at = find_object(docs, &marks, m)))
		goto out;
	while (*p && at) {
		at = json_value_path_step(at, &p, NULL);
		if (at)
			yaml_marks_find_field(line, column, &marks, at);
	}
out:
	json_object_put(docs);
	yaml_marks_release(&marks);
	buf_release(&text);
}

int manifest_object(struct json_object **out, const struct manifest *m)
{
	struct json_object *obj = json_value_parse(m->json, strlen(m->json));

	BERTH_ASSERT(obj); /* it was written by json_value_write */
	*out = obj;
	return 0;
}
