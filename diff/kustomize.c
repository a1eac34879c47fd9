/* A kustomization built: its resources, generators, components and
 * transformers, in kustomize's order. */
#include "kustomize.h"

#include "kustomization.h"
#include "kustomize_generate.h"
#include "kustomize_internal.h"
#include "kustomize_nameref.h"
#include "kustomize_patch.h"
#include "kustomize_transform.h"
#include "manifest.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* Kustomizations inside one another, at most: a backstop for the cycle
 * check, whatever links lead where. */
#define MAX_NESTING 64

void build_problem(struct build *b, const struct kustomization *k, const struct json_object *node,
                   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kustomization_vproblem(b->diags, k, node, fmt, ap);
	va_end(ap);
}

void kustomize_path_join(struct buf *out, const char *dir, const char *rel)
{
	struct buf joined = BUF_INIT;
	const char *p, *end;
	size_t *marks = NULL, nmarks = 0, alloc = 0;
	bool absolute;

	if (rel[0] == '/' || !*dir || !strcmp(dir, "."))
		buf_adds(&joined, rel);
	else
		buf_addf(&joined, "%s/%s", dir, rel);
	absolute = joined.ptr[0] == '/';
	buf_reset(out);
	if (absolute)
		buf_addch(out, '/');
	/* Each component; `marks` holds where each kept one starts, so ".."
	 * can take one back. */
	for (p = joined.ptr; *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, "/");
		if (end == p || (end - p == 1 && p[0] == '.'))
			continue;
		if (end - p == 2 && p[0] == '.' && p[1] == '.' && nmarks &&
		    strcmp(out->ptr + marks[nmarks - 1], "..")) {
			nmarks--;
			out->len = marks[nmarks] - (marks[nmarks] > (absolute ? 1u : 0u) ? 1 : 0);
			out->ptr[out->len] = '\0';
			continue;
		}
		if (end - p == 2 && p[0] == '.' && p[1] == '.' && absolute && !nmarks)
			continue; /* "/.." is "/" */
		if (out->len && out->ptr[out->len - 1] != '/')
			buf_addch(out, '/');
		marks = xgrow(marks, sizeof(*marks), nmarks + 1, &alloc);
		marks[nmarks++] = out->len;
		buf_add(out, p, (size_t)(end - p));
	}
	if (!out->len)
		buf_addch(out, '.');
	free(marks);
	buf_release(&joined);
}

bool kustomize_path_beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "."))
		return strcmp(path, "..") && strncmp(path, "../", 3) && path[0] != '/';
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

int build_read(struct build *b, struct buf *out, const char *path, const char *within)
{
	int error;

	if (b->files + 1 > b->opts->max_files)
		return berth_error_set("more than %zu files in the build; not read (the limit)",
		                       b->opts->max_files);
	buf_reset(out);
	error =
	    b->opts->reader.read(out, path, within, b->opts->max_file_size, b->opts->reader.ctx);
	if (error < 0 || error == KUSTOMIZE_DIRECTORY)
		return error;
	b->files++;
	b->bytes += out->len;
	if (b->bytes > b->opts->max_total_size)
		return berth_error_set("the build reads more than %zu bytes with '%s'; not read "
		                       "(the limit)",
		                       b->opts->max_total_size, path);
	return 0;
}

/* ---- resources ------------------------------------------------------------ */

/* The id of an object as kustomize's resmap keys it: kind, name, group,
 * then namespace ("default" as none); 0 when one object. */
static int id_cmp(const struct kustomize_resource *a, const struct kustomize_resource *b)
{
	struct buf ga = BUF_INIT, gb = BUF_INIT;
	const char *na = kustomize_resource_namespace(a), *nb = kustomize_resource_namespace(b);
	int c;

	if ((c = strcmp(kustomize_resource_kind(a), kustomize_resource_kind(b))) ||
	    (c = strcmp(kustomize_resource_name(a), kustomize_resource_name(b))))
		return c;
	kustomize_resource_group(&ga, a);
	kustomize_resource_group(&gb, b);
	c = strcmp(ga.ptr, gb.ptr);
	buf_release(&ga);
	buf_release(&gb);
	if (c)
		return c;
	return strcmp(strcmp(na, "default") ? na : "", strcmp(nb, "default") ? nb : "");
}

static int id_order(const void *a, const void *b)
{
	const struct kustomize_resource *x = *(const struct kustomize_resource *const *)a;
	const struct kustomize_resource *y = *(const struct kustomize_resource *const *)b;
	int c = id_cmp(x, y);

	return c ? c : (x < y ? -1 : 1);
}

/* No two objects of `rs` are one object, as kustomize's resmap refuses
 * them; a problem at the second, naming the first. */
static int check_unique(struct build *b, const struct kustomize_resources *rs)
{
	const struct kustomize_resource **order = xcalloc(rs->n + 1, sizeof(*order));
	size_t i;
	int error = 0;

	for (i = 0; i < rs->n; i++)
		order[i] = &rs->items[i];
	qsort(order, rs->n, sizeof(*order), id_order);
	for (i = 1; i < rs->n; i++) {
		const struct kustomize_resource *first = order[i - 1], *again = order[i];

		if (id_cmp(first, again))
			continue;
		if (first > again) {
			const struct kustomize_resource *t = first;
			first = again;
			again = t;
		}
		diagnostics_add(b->diags, again->file, again->line, again->column,
		                "%s '%s' is made twice: here and at %s:%zu (kustomize refuses "
		                "it too)",
		                kustomize_resource_kind(again), kustomize_resource_name(again),
		                first->file, first->line);
		error = -1;
	}
	free(order);
	return error;
}

int build_absorb(struct build *b, struct kustomize_resources *to, struct kustomize_resources *from,
                 const struct kustomization *k, const struct json_object *node)
{
	if (to->n + from->n > b->opts->max_objects) {
		build_problem(b, k, node, "the build makes more than %zu objects (the limit)",
		              b->opts->max_objects);
		kustomize_resources_release(from);
		return -1;
	}
	kustomize_resources_take(to, from);
	return 0;
}

/* The documents of one resource file, each an object at its place. */
struct file_parse {
	struct kustomize_resources *rs;
	struct yaml_marks *marks;
	const char *file;
	const char *bad; /* why a document is no object, or NULL */
	size_t bad_line;
};

static void file_object(struct file_parse *fp, struct json_object *obj)
{
	size_t line = 0, column = 0;

	if (!kustomize_object_has_identity(obj)) {
		if (!fp->bad) {
			fp->bad = "a document that is not an object with a kind and a "
			          "metadata.name (kustomize refuses it too)";
			yaml_marks_find(&fp->bad_line, &column, fp->marks, obj);
		}
		return;
	}
	yaml_marks_find(&line, &column, fp->marks, obj);
	kustomize_resources_add(fp->rs, json_object_get(obj), fp->file, line, column);
}

static int file_document(struct json_object *doc, size_t index, void *ctx)
{
	struct file_parse *fp = ctx;
	size_t i;

	(void)index;
	if (!doc)
		return 0;
	if (!manifest_is_list(doc)) {
		file_object(fp, doc);
		return 0;
	}
	for (i = 0; i < json_object_array_length(json_value_get(doc, "items")); i++)
		file_object(fp, json_object_array_get_idx(json_value_get(doc, "items"), i));
	return 0;
}

/* A resource file's objects, added to `rs`. */
static int read_resource_file(struct build *b, struct kustomize_resources *rs,
                              const struct kustomization *k, const struct json_object *node,
                              const char *path, const struct buf *text)
{
	struct kustomize_resources mine = KUSTOMIZE_RESOURCES_INIT;
	struct yaml_marks marks = YAML_MARKS_INIT(2);
	struct file_parse fp = {.rs = &mine, .marks = &marks, .file = path};

	if (yaml_parse_each(path, text->ptr, text->len, &b->opts->yaml, &marks, file_document,
	                    &fp) < 0) {
		build_problem(b, k, node, "%s", berth_error_last());
		goto fail;
	}
	if (fp.bad) {
		build_problem(b, k, node, "%s:%zu: %s", path, fp.bad_line, fp.bad);
		goto fail;
	}
	yaml_marks_release(&marks);
	return build_absorb(b, rs, &mine, k, node);
fail:
	yaml_marks_release(&marks);
	kustomize_resources_release(&mine);
	return -1;
}

static int build_dir(struct build *b, struct kustomize_resources *rs, const char *dir,
                     bool component, const struct kustomization *parent,
                     const struct json_object *node);

/* Each of `resources`: a file, or a folder holding a kustomization. */
static int read_resources(struct build *b, struct kustomize_resources *rs,
                          const struct kustomization *k, const char *dir)
{
	struct json_object *list = json_value_get(k->doc, "resources");
	struct json_object *bases = json_value_get(k->doc, "bases");
	struct buf path = BUF_INIT, text = BUF_INIT;
	size_t i, n = json_value_array_len(list), nb = json_value_array_len(bases);
	int error = 0;

	for (i = 0; i < n + nb && !error; i++) {
		struct json_object *v = i < n ? json_object_array_get_idx(list, i)
		                              : json_object_array_get_idx(bases, i - n);
		const char *rel = json_object_get_string(v);

		bool beneath;

		kustomize_path_join(&path, dir, rel);
		/* A file must lie in or below the kustomization's folder; a
		 * folder may be anywhere the reader allows. */
		beneath = kustomize_path_beneath(path.ptr, dir);
		error = build_read(b, &text, path.ptr, beneath ? dir : NULL);
		if (error == KUSTOMIZE_DIRECTORY) {
			struct kustomize_resources sub = KUSTOMIZE_RESOURCES_INIT;
			error = build_dir(b, &sub, path.ptr, false, k, v);
			if (!error)
				error = build_absorb(b, rs, &sub, k, v);
			else
				kustomize_resources_release(&sub);
		} else if (error == BERTH_ENOTFOUND) {
			build_problem(b, k, v, "resources: '%s': no file or folder '%s'", rel,
			              path.ptr);
			error = -1;
		} else if (error < 0) {
			build_problem(b, k, v, "resources: '%s': %s", rel, berth_error_last());
		} else if (!beneath) {
			build_problem(b, k, v,
			              "resources: '%s': the file '%s' is not in or below '%s' "
			              "(kustomize refuses it too: list the folder that holds it, "
			              "with its own kustomization)",
			              rel, path.ptr, dir);
			error = -1;
		} else {
			error = read_resource_file(b, rs, k, v, path.ptr, &text);
		}
	}
	buf_release(&path);
	buf_release(&text);
	return error < 0 ? -1 : 0;
}

/* Each of `components`, a folder holding a Component, on `rs`. */
static int read_components(struct build *b, struct kustomize_resources *rs,
                           const struct kustomization *k, const char *dir)
{
	struct json_object *list = json_value_get(k->doc, "components");
	struct buf path = BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < json_value_array_len(list) && !error; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		kustomize_path_join(&path, dir, json_object_get_string(v));
		error = build_dir(b, rs, path.ptr, true, k, v);
	}
	buf_release(&path);
	return error;
}

/* ---- one kustomization ---------------------------------------------------- */

/* Fields berth reads but does not build yet: refused when they hold
 * anything, so nothing is built differently from kustomize. */
static const struct {
	const char *field, *why;
} not_built[] = {
    {"replacements", "berth does not build `replacements` yet; use patches"},
    {"vars", "berth does not build `vars` (deprecated in kustomize); use patches"},
    {"configurations", "berth does not read transformer `configurations` yet"},
    {"openapi", "berth does not read a custom `openapi` schema yet"},
    {"buildMetadata", "berth does not add `buildMetadata` annotations yet"},
};

static const char *const deprecated[][2] = {
    {"bases", "`bases` is deprecated: list them under `resources`"},
    {"commonLabels", "`commonLabels` is deprecated: use `labels` (with includeSelectors: "
                     "true for the same effect)"},
    {"patchesStrategicMerge", "`patchesStrategicMerge` is deprecated: use `patches`"},
    {"patchesJson6902", "`patchesJson6902` is deprecated: use `patches`"},
    {"imageTags", "`imageTags` is deprecated: use `images`"},
};

static bool holds_something(struct json_object *v)
{
	return v && !(json_object_is_type(v, json_type_array) && !json_object_array_length(v)) &&
	       !(json_object_is_type(v, json_type_object) && !json_object_object_length(v));
}

static int check_fields(struct build *b, const struct kustomization *k)
{
	size_t i, line, column;
	int error = 0;

	for (i = 0; i < ARRAY_SIZE(not_built); i++) {
		struct json_object *v = json_value_get(k->doc, not_built[i].field);
		if (holds_something(v)) {
			build_problem(b, k, v, "%s: %s", not_built[i].field, not_built[i].why);
			error = -1;
		}
	}
	for (i = 0; b->warnings && i < ARRAY_SIZE(deprecated); i++) {
		struct json_object *v = json_value_get(k->doc, deprecated[i][0]);
		if (!v)
			continue;
		kustomization_locate(&line, &column, k, v);
		diagnostics_add(b->warnings, k->file, line, column, "warning: %s",
		                deprecated[i][1]);
	}
	return error;
}

/* Read the kustomization of `dir` into `k`. */
static int load(struct build *b, struct kustomization *k, const char *dir,
                const struct kustomization *parent, const struct json_object *node)
{
	struct buf path = BUF_INIT, text = BUF_INIT, kept = BUF_INIT, file = BUF_INIT;
	const char *const *name;
	const char *none = "holds no kustomization file (kustomization.yaml, kustomization.yml "
	                   "or Kustomization)";
	size_t found = 0;
	int error = -1, read;

	for (name = kustomization_names; *name; name++) {
		kustomize_path_join(&path, dir, *name);
		read = build_read(b, &text, path.ptr, dir);
		if (read == BERTH_ENOTFOUND || read == KUSTOMIZE_DIRECTORY)
			continue;
		if (read < 0) {
			if (parent)
				build_problem(b, parent, node, "%s", berth_error_last());
			else
				diagnostics_add(b->diags, path.ptr, 0, 0, "%s", berth_error_last());
			goto out;
		}
		found++;
		buf_reset(&file);
		buf_adds(&file, path.ptr);
		buf_reset(&kept);
		buf_add(&kept, text.ptr, text.len);
	}
	if (found == 1)
		error = kustomization_parse(k, b->diags, file.ptr, kept.ptr, kept.len);
	else if (!parent)
		diagnostics_add(b->diags, dir, 0, 0, "%s",
		                found ? "holds more than one kustomization file" : none);
	else
		build_problem(b, parent, node,
		              "'%s' is a folder that %s; kustomize builds a folder under "
		              "resources or components only as a kustomization (give it "
		              "one, or list its files)",
		              dir, found ? "holds more than one kustomization file" : none);
out:
	buf_release(&path);
	buf_release(&text);
	buf_release(&kept);
	buf_release(&file);
	return error < 0 ? -1 : 0;
}

/* The cycle check: is `real` being built already? Names the cycle. */
static bool in_cycle(struct build *b, const struct kustomization *parent,
                     const struct json_object *node, const char *real, const char *dir)
{
	struct buf cycle = BUF_INIT;
	size_t i, from;

	for (from = 0; from < b->depth && strcmp(b->stack[from].real, real); from++)
		;
	if (from == b->depth && b->depth < MAX_NESTING)
		return false;
	if (from == b->depth) {
		build_problem(b, parent, node,
		              "kustomizations nested more than %d deep; not built (the limit)",
		              MAX_NESTING);
		return true;
	}
	for (i = from; i < b->depth; i++)
		buf_addf(&cycle, "'%s' -> ", b->stack[i].dir);
	buf_addf(&cycle, "'%s'", dir);
	build_problem(b, parent, node, "a cycle of kustomizations: %s", cycle.ptr);
	buf_release(&cycle);
	return true;
}

/*
 * Build `dir` onto `rs`: a kustomization onto an empty list, or a component
 * onto the list of the kustomization that names it (kustomize's
 * accumulateTarget).
 */
static int build_dir(struct build *b, struct kustomize_resources *rs, const char *dir,
                     bool component, const struct kustomization *parent,
                     const struct json_object *node)
{
	struct kustomization k = KUSTOMIZATION_INIT;
	struct buf real = BUF_INIT;
	int error = -1;

	if (b->opts->reader.resolve(&real, dir, b->opts->reader.ctx) < 0) {
		if (parent)
			build_problem(b, parent, node, "'%s': %s", dir, berth_error_last());
		else
			diagnostics_add(b->diags, dir, 0, 0, "%s", berth_error_last());
		goto out;
	}
	if (in_cycle(b, parent, node, real.ptr, dir))
		goto out;
	if (load(b, &k, dir, parent, node) < 0)
		goto out;
	if (parent && component != k.component) {
		build_problem(b, parent, node,
		              component ? "components: '%s' is a Kustomization, not a Component"
		                        : "resources: '%s' is a Component: list it under "
		                          "components",
		              dir);
		goto out;
	}
	b->stack[b->depth].real = real.ptr;
	b->stack[b->depth].dir = dir;
	b->depth++;
	error = check_fields(b, &k);
	if (!error)
		error = read_resources(b, rs, &k, dir);
	if (!error)
		error = build_crds(b, &k, dir);
	if (!error)
		error = check_unique(b, rs);
	if (!error)
		error = build_generators(b, rs, &k, dir);
	if (!error)
		error = read_components(b, rs, &k, dir);
	if (!error)
		error = build_transformers(b, rs, &k, dir);
	b->depth--;
out:
	kustomization_release(&k);
	buf_release(&real);
	return error;
}

/* ---- the top ------------------------------------------------------------- */

/* The names generated objects take: their hash. */
static int add_hashes(struct build *b, struct kustomize_resources *rs)
{
	struct buf name = BUF_INIT;
	char hash[11];
	size_t i;
	int error = 0;

	for (i = 0; i < rs->n && !error; i++) {
		struct kustomize_resource *r = &rs->items[i];
		if (!r->needs_hash)
			continue;
		if (kustomize_hash_suffix(hash, r->obj) < 0) {
			diagnostics_add(b->diags, r->file, r->line, r->column, "%s '%s': %s",
			                kustomize_resource_kind(r), kustomize_resource_name(r),
			                berth_error_last());
			error = -1;
			continue;
		}
		buf_reset(&name);
		buf_addf(&name, "%s-%s", kustomize_resource_name(r), hash);
		kustomize_resource_rename(r, name.ptr, NULL);
		r->needs_hash = false;
	}
	buf_release(&name);
	return error;
}

/* kustomize drops what is annotated as local configuration. */
static void drop_local(struct kustomize_resources *rs)
{
	size_t i = 0;

	while (i < rs->n) {
		const char *local = json_value_get_string(
		    json_value_get(json_value_get(rs->items[i].obj, "metadata"), "annotations"),
		    "config.kubernetes.io/local-config");
		if (local && !strcmp(local, "true"))
			kustomize_resources_remove(rs, i);
		else
			i++;
	}
}

int kustomize_build(struct kustomize_resources *out, struct diagnostics *diags,
                    struct diagnostics *warnings, const char *dir,
                    const struct kustomize_build_options *opts)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct build b = {.opts = opts, .diags = diags, .warnings = warnings};
	struct buf clean = BUF_INIT;
	size_t before = diags->n;

	kustomize_path_join(&clean, dir, ".");
	b.crd_refs = json_object_new_array();
	if (build_dir(&b, &rs, clean.ptr, false, NULL, NULL) < 0 || add_hashes(&b, &rs) < 0)
		goto out;
	if (kustomize_name_references_with(&rs, b.crd_refs) < 0) {
		diagnostics_add(diags, dir, 0, 0, "%s", berth_error_last());
		goto out;
	}
	drop_local(&rs);
out:
	json_object_put(b.crd_refs);
	buf_release(&clean);
	if (diags->n > before) {
		kustomize_resources_release(&rs);
		return BERTH_ERROR;
	}
	kustomize_resources_take(out, &rs);
	return 0;
}
