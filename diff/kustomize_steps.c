/* The steps of one kustomization: its crds, its generators, and its
 * transformers in kustomize's order. */
#include "kustomize_generate.h"
#include "kustomize_internal.h"
#include "kustomize_patch.h"
#include "kustomize_transform.h"

#include "json_patch.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"

#include <stdlib.h>
#include <string.h>

/* ---- crds ----------------------------------------------------------------- */

/* The definition's name kustomize takes as its kind: after the last '.'. */
static const char *definition_kind(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot ? dot + 1 : name;
}

/*
 * The fields of definition `type` (of kind `kind`, at `path`) that refer to
 * an object by name (x-kubernetes-object-ref-kind), followed through their
 * $refs, as kustomize's LoadConfigFromCRDs reads them. `depth` bounds a
 * definition that refers to itself.
 */
static void crd_fields(struct json_object *refs, struct json_object *defs, const char *type,
                       const char *kind, const char *path, size_t depth)
{
	struct json_object *props;
	struct buf at = BUF_INIT;

	props = json_value_get(json_value_get(json_value_get(defs, type), "Schema"), "properties");
	if (depth > 32 || !json_object_is_type(props, json_type_object))
		return;
	json_object_object_foreach(props, name, prop)
	{
		const char *ref_kind = json_value_get_string(prop, "x-kubernetes-object-ref-kind");
		const char *key = json_value_get_string(prop, "x-kubernetes-object-ref-name-key");
		const char *ref = json_value_get_string(prop, "$ref");

		buf_reset(&at);
		buf_addf(&at, "%s%s%s", path, *path ? "/" : "", name);
		if (ref_kind &&
		    json_value_get_string(prop, "x-kubernetes-object-ref-api-version")) {
			struct json_object *entry = json_object_new_object();
			struct buf field = BUF_INIT;

			buf_addf(&field, "%s/%s", at.ptr, key ? key : "name");
			json_object_object_add(entry, "kind", json_object_new_string(kind));
			json_object_object_add(entry, "path", json_object_new_string(field.ptr));
			json_object_object_add(entry, "refKind", json_object_new_string(ref_kind));
			json_object_array_add(refs, entry);
			buf_release(&field);
		}
		if (ref)
			crd_fields(refs, defs, ref, kind, at.ptr, depth + 1);
	}
	buf_release(&at);
}

int build_crds(struct build *b, const struct kustomization *k, const char *dir)
{
	struct json_object *list = json_value_get(k->doc, "crds"), *docs = NULL;
	struct buf path = BUF_INIT, text = BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < json_value_array_len(list) && !error; i++) {
		struct json_object *v = json_object_array_get_idx(list, i), *defs;
		const char *rel = json_object_get_string(v);

		kustomize_path_join(&path, dir, rel);
		if (!kustomize_path_beneath(path.ptr, dir)) {
			build_problem(b, k, v, "crds: '%s' is not in or below '%s'", rel, dir);
			error = -1;
		} else if (build_read(b, &text, path.ptr, dir) != 0) {
			build_problem(b, k, v, "crds: '%s': %s", rel,
			              berth_error_last() ? berth_error_last() : "not a file");
			error = -1;
		} else if (yaml_parse(&docs, path.ptr, text.ptr, text.len, &b->opts->yaml, NULL) <
		               0 ||
		           json_object_array_length(docs) != 1 ||
		           !json_object_is_type((defs = json_object_array_get_idx(docs, 0)),
		                                json_type_object)) {
			build_problem(b, k, v,
			              "crds: '%s': not an OpenAPI definitions file (a mapping of "
			              "type names to their Schema)",
			              rel);
			error = -1;
		} else {
			json_object_object_foreach(defs, type, def)
			{
				struct json_object *props =
				    json_value_get(json_value_get(def, "Schema"), "properties");
				/* A kind: it has a kind, an apiVersion and metadata. */
				if (json_value_get(props, "kind") &&
				    json_value_get(props, "apiVersion") &&
				    json_value_get(props, "metadata"))
					crd_fields(b->crd_refs, defs, type, definition_kind(type),
					           "", 0);
			}
		}
		json_object_put(docs);
		docs = NULL;
	}
	buf_release(&path);
	buf_release(&text);
	return error;
}

/* ---- generators ----------------------------------------------------------- */

/* The strings of list `key` of `entry`, borrowed; NULL when there are none. */
static const char **strings(struct json_object *entry, const char *key, size_t *n)
{
	struct json_object *list = json_value_get(entry, key);
	const char **out;
	size_t i;

	*n = json_value_array_len(list);
	if (!*n)
		return NULL;
	out = xcalloc(*n, sizeof(*out));
	/* A null entry is "", as Go reads it into a string. */
	for (i = 0; i < *n; i++)
		if (!(out[i] = json_object_get_string(json_object_array_get_idx(list, i))))
			out[i] = "";
	return out;
}

/* The files of a generator entry: `files` (key=path, or path keyed by its
 * base name), or `envs` and `env`, each read beneath `dir`. */
struct sources {
	struct kustomize_source *items;
	struct buf *data;
	char **keys;
	size_t n;
};

static void sources_release(struct sources *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		buf_release(&s->data[i]);
		free(s->keys[i]);
	}
	free(s->items);
	free(s->data);
	free(s->keys);
}

static int sources_read(struct build *b, struct sources *out, const struct kustomization *k,
                        struct json_object *entry, const char *dir, bool keyed)
{
	struct json_object *list = json_value_get(entry, keyed ? "files" : "envs");
	struct json_object *one = keyed ? NULL : json_value_get(entry, "env");
	struct buf path = BUF_INIT;
	size_t i, n = json_value_array_len(list) + (one ? 1 : 0);
	int error = 0;

	out->items = xcalloc(n + 1, sizeof(*out->items));
	out->data = xcalloc(n + 1, sizeof(*out->data));
	out->keys = xcalloc(n + 1, sizeof(*out->keys));
	for (i = 0; i < n && !error; i++) {
		struct json_object *v =
		    i < json_value_array_len(list) ? json_object_array_get_idx(list, i) : one;
		const char *spec = json_object_get_string(v),
		           *eq = keyed && spec ? strchr(spec, '=') : NULL;
		const char *rel = eq ? eq + 1 : spec, *slash;

		out->data[i] = (struct buf)BUF_INIT;
		out->n++;
		if (!json_object_is_type(v, json_type_string)) {
			build_problem(b, k, v ? v : entry, "%s: an entry that is not a file name",
			              keyed ? "files" : "envs");
			error = -1;
			break;
		}
		kustomize_path_join(&path, dir, rel);
		if (!kustomize_path_beneath(path.ptr, dir)) {
			build_problem(b, k, v, "'%s': the file '%s' is not in or below '%s'", rel,
			              path.ptr, dir);
			error = -1;
			break;
		}
		error = build_read(b, &out->data[i], path.ptr, dir);
		if (error) {
			build_problem(b, k, v, "'%s': %s", rel,
			              error == KUSTOMIZE_DIRECTORY ? "a folder, not a file"
			              : error == BERTH_ENOTFOUND   ? "no such file"
			                                           : berth_error_last());
			error = -1;
			break;
		}
		if (eq)
			out->keys[i] = xstrndup(spec, (size_t)(eq - spec));
		else if (keyed)
			out->keys[i] = xstrdup((slash = strrchr(rel, '/')) ? slash + 1 : rel);
		else
			out->keys[i] = xstrdup(path.ptr);
		out->items[i].name = out->keys[i];
		out->items[i].data = out->data[i].ptr;
		out->items[i].len = out->data[i].len;
	}
	buf_release(&path);
	return error;
}

static void options_read(struct kustomize_options *out, struct json_object *o)
{
	struct json_object *v;

	memset(out, 0, sizeof(*out));
	out->labels = json_value_get(o, "labels");
	out->annotations = json_value_get(o, "annotations");
	v = json_value_get(o, "disableNameSuffixHash");
	out->disable_name_suffix_hash = v && json_object_get_boolean(v);
	v = json_value_get(o, "immutable");
	out->immutable = v && json_object_get_boolean(v);
}

/* Merge map `field` of `from` under `to`'s: `to`'s keys win (kustomize's
 * MergeDataMapFrom, and its merge of labels and annotations). */
static void merge_under(struct json_object *to, struct json_object *from, const char *field)
{
	struct json_object *src = json_value_get(from, field), *dst = json_value_get(to, field);

	if (!json_object_is_type(src, json_type_object) || !json_object_object_length(src) ||
	    !json_object_is_type(to, json_type_object))
		return;
	if (!json_object_is_type(dst, json_type_object)) {
		dst = json_object_new_object();
		json_object_object_add(to, field, dst);
	}
	json_object_object_foreach(src, key, value)
	{
		if (!json_value_get(dst, key))
			json_object_object_add(dst, key, json_object_get(value));
	}
}

/* Is `r` the object a generator of `kind` named `name` in `ns` means, by
 * any name it had (kustomize's GetMatchingResourcesByAnyId)? */
static bool generated_match(const struct kustomize_resource *r, const char *kind, const char *name,
                            const char *ns)
{
	struct buf group = BUF_INIT;
	bool core, match;
	size_t i;

	kustomize_resource_group(&group, r);
	core = !group.len;
	buf_release(&group);
	if (!core || strcmp(kustomize_resource_kind(r), kind))
		return false;
	if (!strcmp(ns, "default"))
		ns = "";
	match = !strcmp(kustomize_resource_name(r), name) &&
	        (!strcmp(kustomize_resource_namespace(r), ns) ||
	         (!*ns && !strcmp(kustomize_resource_namespace(r), "default")));
	for (i = 0; i < r->nprev && !match; i++)
		match = !strcmp(r->prev[i].name, name) &&
		        (!strcmp(r->prev[i].namespace, ns) ||
		         (!*ns && !strcmp(r->prev[i].namespace, "default")));
	return match;
}

/* Put the generated `obj` into `rs` as its behavior says. */
static int generated_absorb(struct build *b, struct kustomize_resources *rs,
                            const struct kustomization *k, struct json_object *entry,
                            struct json_object *obj, enum kustomize_behavior behavior,
                            bool needs_hash)
{
	const char *kind = json_value_get_string(obj, "kind");
	const char *name = json_value_get_string(entry, "name");
	const char *ns = json_value_get_string(entry, "namespace");
	struct kustomize_resource *old = NULL, *r;
	size_t i, line, column, matches = 0;

	for (i = 0; i < rs->n; i++)
		if (generated_match(&rs->items[i], kind, name, ns ? ns : "")) {
			old = &rs->items[i];
			matches++;
		}
	kustomization_locate(&line, &column, k, entry);
	if (matches > 1) {
		build_problem(b, k, entry, "%s '%s': more than one object it could %s", kind, name,
		              behavior == KUSTOMIZE_BEHAVIOR_MERGE ? "merge into" : "replace");
		goto fail;
	}
	if (!old && behavior != KUSTOMIZE_BEHAVIOR_CREATE) {
		build_problem(
		    b, k, entry, "%s '%s': behavior %s, but there is no %s '%s' to %s", kind, name,
		    behavior == KUSTOMIZE_BEHAVIOR_MERGE ? "merge" : "replace", kind, name,
		    behavior == KUSTOMIZE_BEHAVIOR_MERGE ? "merge into" : "replace");
		goto fail;
	}
	if (!old) {
		struct kustomize_resources one = KUSTOMIZE_RESOURCES_INIT;
		kustomize_resources_add(&one, obj, k->file, line, column)->needs_hash = needs_hash;
		return build_absorb(b, rs, &one, k, entry);
	}
	if (behavior == KUSTOMIZE_BEHAVIOR_CREATE) {
		build_problem(b, k, entry,
		              "%s '%s' exists already (at %s:%zu): give the generator behavior "
		              "merge or replace",
		              kind, name, old->file, old->line);
		goto fail;
	}
	/* The old object's names, labels and annotations under the new ones,
	 * and for a merge its data under the new data. */
	merge_under(json_value_get(obj, "metadata"), json_value_get(old->obj, "metadata"),
	            "labels");
	merge_under(json_value_get(obj, "metadata"), json_value_get(old->obj, "metadata"),
	            "annotations");
	if (behavior == KUSTOMIZE_BEHAVIOR_MERGE) {
		merge_under(obj, old->obj, "data");
		merge_under(obj, old->obj, "binaryData");
	}
	json_object_object_add(json_value_get(obj, "metadata"), "name",
	                       json_object_new_string(kustomize_resource_name(old)));
	if (*kustomize_resource_namespace(old))
		json_object_object_add(json_value_get(obj, "metadata"), "namespace",
		                       json_object_new_string(kustomize_resource_namespace(old)));
	r = old;
	json_object_put(r->obj);
	r->obj = obj;
	/* No hash when either generator turned it off (as kubectl 1.32 does). */
	r->needs_hash = r->needs_hash && needs_hash;
	free(r->file);
	r->file = xstrdup(k->file);
	r->line = line;
	r->column = column;
	return 0;
fail:
	json_object_put(obj);
	return -1;
}

/* One generator entry: its object made, and absorbed. */
static int generate(struct build *b, struct kustomize_resources *rs, const struct kustomization *k,
                    struct json_object *entry, enum kustomize_generator_kind kind, const char *dir)
{
	struct kustomize_generator gen = {.kind = kind};
	struct kustomize_options global;
	struct sources files = {0}, envs = {0};
	struct json_object *obj = NULL;
	bool needs_hash;
	int error = -1;

	options_read(&global, json_value_get(k->doc, "generatorOptions"));
	options_read(&gen.options, json_value_get(entry, "options"));
	gen.name = json_value_get_string(entry, "name");
	gen.namespace = json_value_get_string(entry, "namespace");
	gen.type = json_value_get_string(entry, "type");
	gen.literals = strings(entry, "literals", &gen.literals_len);
	if (kustomize_behavior_parse(&gen.behavior, json_value_get_string(entry, "behavior")) < 0) {
		build_problem(b, k, json_value_get(entry, "behavior"), "%s", berth_error_last());
		goto out;
	}
	if (sources_read(b, &files, k, entry, dir, true) < 0 ||
	    sources_read(b, &envs, k, entry, dir, false) < 0)
		goto out;
	gen.files = files.items;
	gen.files_len = files.n;
	gen.envs = envs.items;
	gen.envs_len = envs.n;
	/* The hash comes at the end of the build, over what merges made. */
	needs_hash = !gen.options.disable_name_suffix_hash && !global.disable_name_suffix_hash;
	gen.options.disable_name_suffix_hash = true;
	if (kustomize_generate(&obj, &gen, &global) < 0) {
		build_problem(b, k, entry, "%s", berth_error_last());
		goto out;
	}
	error = generated_absorb(b, rs, k, entry, obj, gen.behavior, needs_hash);
out:
	free((void *)gen.literals);
	sources_release(&files);
	sources_release(&envs);
	return error;
}

int build_generators(struct build *b, struct kustomize_resources *rs, const struct kustomization *k,
                     const char *dir)
{
	static const struct {
		const char *field;
		enum kustomize_generator_kind kind;
	} generators[] = {{"configMapGenerator", KUSTOMIZE_CONFIGMAP},
	                  {"secretGenerator", KUSTOMIZE_SECRET}};
	size_t g, i;

	for (g = 0; g < ARRAY_SIZE(generators); g++) {
		struct json_object *list = json_value_get(k->doc, generators[g].field);
		for (i = 0; i < json_value_array_len(list); i++)
			if (generate(b, rs, k, json_object_array_get_idx(list, i),
			             generators[g].kind, dir) < 0)
				return -1;
	}
	return 0;
}

/* ---- transformers --------------------------------------------------------- */

/* "file:line" of `node` in `k`, for an object's record of what changed it. */
static void where(struct buf *out, const struct kustomization *k, const struct json_object *node)
{
	size_t line, column;

	kustomization_locate(&line, &column, k, node);
	buf_reset(out);
	buf_addf(out, "%s:%zu", k->file, line);
}

/*
 * The text of a patch: the file `path` names (in or below `dir`), or, for a
 * patchesStrategicMerge entry that names no file, the entry itself (kustomize
 * reads it as inline YAML). `name` gets the file, or "kustomization:line"
 * for inline text. Returns 0 for a file, 1 for inline text, -1 (a problem
 * added) when it cannot be had.
 */
static int patch_text(struct build *b, struct buf *text, struct buf *name,
                      const struct kustomization *k, struct json_object *node, const char *path,
                      const char *dir, bool inline_fallback)
{
	struct buf full = BUF_INIT;
	int error;

	kustomize_path_join(&full, dir, path);
	/* A line break: no file name but an inline document. */
	if (inline_fallback && strchr(path, '\n'))
		goto inline_text;
	if (!kustomize_path_beneath(full.ptr, dir)) {
		build_problem(b, k, node, "the patch '%s' is not in or below '%s'", path, dir);
		buf_release(&full);
		return -1;
	}
	error = build_read(b, text, full.ptr, dir);
	if (error == 0) {
		buf_reset(name);
		buf_adds(name, full.ptr);
		buf_release(&full);
		return 0;
	}
	if (error == BERTH_ENOTFOUND && inline_fallback)
		goto inline_text;
	build_problem(b, k, node, "the patch '%s': %s", path,
	              error == KUSTOMIZE_DIRECTORY ? "a folder, not a file"
	              : error == BERTH_ENOTFOUND   ? "no such file"
	                                           : berth_error_last());
	buf_release(&full);
	return -1;
inline_text:
	buf_reset(text);
	buf_adds(text, path);
	where(name, k, node);
	buf_release(&full);
	return 1;
}

/* One patch applied: its text parsed, then applied to what `target`
 * selects. `name` is the patch's file, or for an inline patch
 * "kustomization:line"; it goes into each object the patch changed.
 * `json6902` requires an op list (patchesJson6902). */
static int patch_one(struct build *b, struct kustomize_resources *rs, const struct kustomization *k,
                     struct json_object *node, const struct buf *text, const char *name,
                     bool inline_patch, struct json_object *target, bool json6902)
{
	struct json_object *ops = NULL, *smp = NULL;
	const char *label = inline_patch ? "the inline patch" : name;
	int error = -1;

	if (json6902 ? json_patch_parse(&ops, label, text->ptr, text->len)
	             : kustomize_patch_parse(&ops, &smp, label, text->ptr, text->len)) {
		build_problem(b, k, node, "%s", berth_error_last());
		goto out;
	}
	if (ops && !target) {
		build_problem(b, k, node, "a JSON 6902 patch needs a target");
		goto out;
	}
	if (kustomize_patch_apply(rs, ops, smp, target, name) < 0) {
		build_problem(b, k, node, "%s", berth_error_last());
		goto out;
	}
	error = 0;
out:
	json_object_put(ops);
	json_object_put(smp);
	return error;
}

/* `patchesStrategicMerge`: files or inline documents, each without a
 * target. */
static int patches_strategic_merge(struct build *b, struct kustomize_resources *rs,
                                   const struct kustomization *k, const char *dir)
{
	struct json_object *list = json_value_get(k->doc, "patchesStrategicMerge");
	struct buf text = BUF_INIT, name = BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < json_value_array_len(list) && !error; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		error = patch_text(b, &text, &name, k, v, json_object_get_string(v), dir, true);
		if (error >= 0)
			error = patch_one(b, rs, k, v, &text, name.ptr, error == 1, NULL, false);
	}
	buf_release(&text);
	buf_release(&name);
	return error;
}

/* `patches` (either kind) or `patchesJson6902`: each a `path` or an inline
 * `patch`, with a `target`. */
static int patches(struct build *b, struct kustomize_resources *rs, const struct kustomization *k,
                   const char *dir, const char *field)
{
	struct json_object *list = json_value_get(k->doc, field);
	struct buf text = BUF_INIT, name = BUF_INIT;
	bool json6902 = !strcmp(field, "patchesJson6902");
	size_t i;
	int error = 0;

	for (i = 0; i < json_value_array_len(list) && !error; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		const char *path = json_value_get_string(v, "path");
		const char *inline_patch = json_value_get_string(v, "patch");
		struct json_object *options = json_value_get(v, "options");

		if (!path == !inline_patch) {
			build_problem(b, k, v, "%s: give a patch either `path` or `patch`", field);
			error = -1;
		} else if (options && !json_object_is_type(options, json_type_object)) {
			build_problem(b, k, options, "%s: a patch's `options` must be a mapping",
			              field);
			error = -1;
		} else if (options && json_object_object_length(options)) {
			build_problem(b, k, options,
			              "%s: berth does not build patch `options` (allowNameChange, "
			              "allowKindChange) yet",
			              field);
			error = -1;
		} else if (path) {
			error = patch_text(b, &text, &name, k, json_value_get(v, "path"), path, dir,
			                   false);
		} else {
			/* strings.TrimSpace(p.Patch), as PatchTransformer does. */
			buf_reset(&text);
			buf_adds(&text, inline_patch + strspn(inline_patch, " \t\r\n"));
			buf_rtrim(&text);
			where(&name, k, json_value_get(v, "patch"));
		}
		if (!error)
			error = patch_one(b, rs, k, v, &text, name.ptr, !path,
			                  json_value_get(v, "target"), json6902);
	}
	buf_release(&text);
	buf_release(&name);
	return error;
}

/* `labels`: each entry's pairs, then `commonLabels`. */
static int labels(struct build *b, struct kustomize_resources *rs, const struct kustomization *k)
{
	struct json_object *list = json_value_get(k->doc, "labels");
	struct json_object *common = json_value_get(k->doc, "commonLabels");
	struct buf at = BUF_INIT;
	size_t i;
	int error = 0;

	for (i = 0; i < json_value_array_len(list) && !error; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		struct json_object *fields = json_value_get(v, "fields");
		struct json_object *sel = json_value_get(v, "includeSelectors");
		struct json_object *tmpl = json_value_get(v, "includeTemplates");

		if (json_value_array_len(fields)) {
			build_problem(b, k, fields,
			              "labels: berth does not build custom label `fields` yet");
			error = -1;
			break;
		}
		where(&at, k, v);
		if (json_value_get(v, "pairs") &&
		    kustomize_labels(rs, json_value_get(v, "pairs"),
		                     sel && json_object_get_boolean(sel),
		                     tmpl && json_object_get_boolean(tmpl), at.ptr) < 0) {
			build_problem(b, k, v, "labels: %s", berth_error_last());
			error = -1;
		}
	}
	if (!error && common && json_object_object_length(common)) {
		where(&at, k, common);
		if (kustomize_labels(rs, common, true, true, at.ptr) < 0) {
			build_problem(b, k, common, "commonLabels: %s", berth_error_last());
			error = -1;
		}
	}
	buf_release(&at);
	return error;
}

int build_transformers(struct build *b, struct kustomize_resources *rs,
                       const struct kustomization *k, const char *dir)
{
	struct json_object *doc = k->doc, *v;
	const char *field = NULL;

	if (patches_strategic_merge(b, rs, k, dir) < 0 || patches(b, rs, k, dir, "patches") < 0)
		return -1;
	if ((v = json_value_get(doc, "namespace")) && *json_object_get_string(v) &&
	    kustomize_namespace(rs, json_object_get_string(v)) < 0)
		field = "namespace";
	else if (kustomize_prefix_suffix(rs, json_value_get_string(doc, "namePrefix"),
	                                 json_value_get_string(doc, "nameSuffix")) < 0)
		field = json_value_get(doc, "namePrefix") ? "namePrefix" : "nameSuffix";
	else if (labels(b, rs, k) < 0)
		return -1;
	else if ((v = json_value_get(doc, "commonAnnotations")) && json_object_object_length(v) &&
	         kustomize_annotations(rs, v) < 0)
		field = "commonAnnotations";
	else if (patches(b, rs, k, dir, "patchesJson6902") < 0)
		return -1;
	else if ((v = json_value_get(doc, "replicas")) && kustomize_replicas(rs, v) < 0)
		field = "replicas";
	else if ((v = json_value_get(doc, "images")) && kustomize_images(rs, v) < 0)
		field = "images";
	else if ((v = json_value_get(doc, "imageTags")) && kustomize_images(rs, v) < 0)
		field = "imageTags";
	if (!field)
		return 0;
	build_problem(b, k, json_value_get(doc, field), "%s: %s", field, berth_error_last());
	return -1;
}
