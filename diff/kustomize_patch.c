/* kustomize's patches: strategic merge or JSON 6902, on the objects a
 * target selects (api/internal/builtins/PatchTransformer.go and
 * PatchStrategicMergeTransformer.go, resmap's Select and GetById). */
#include "kustomize_patch.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/buf.h"
#include "base/json_value.h"
#include "json_patch.h"
#include "merge.h"
#include "object.h"
#include "schema.h"
#include "yaml_doc.h"

#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define TARGET_MAX_REGEX    1024 /* bytes of one target pattern */
#define SELECTOR_MAX_LEN    4096 /* bytes of one label or annotation selector */
#define SELECTOR_MAX_TERMS  64   /* requirements in one selector */
#define SELECTOR_MAX_VALUES 64   /* values in one `in (...)` set */

/* ---- telling the two kinds of patch apart ---------------------------------- */

int kustomize_patch_parse(struct json_object **ops, struct json_object **smp, const char *name,
                          const char *text, size_t len)
{
	struct json_object *docs = NULL, *list = NULL, *first;
	size_t i, n;
	int error;

	/* Parsed as it is: kustomize trims only an inline `patch` (the
	 * caller's part), so a file's last block scalar keeps its line break. */
	for (i = 0; i < len && strchr(" \t\r\n", text[i]); i++)
		;
	if (i == len)
		return berth_error_set("%s: the patch is empty", name);
	if ((error = yaml_parse(&docs, name, text, len, NULL, NULL)) < 0)
		return error;
	first = json_object_array_length(docs) ? json_object_array_get_idx(docs, 0) : NULL;
	/* jsonPatchFromBytes reads the first document only: a list there is an
	 * op list, which can never also be a strategic merge patch. */
	if (json_object_is_type(first, json_type_array)) {
		json_object_put(docs);
		return json_patch_parse(ops, name, text, len);
	}
	list = json_object_new_array();
	n = json_object_array_length(docs);
	for (i = 0; i < n; i++) {
		struct json_object *doc = json_object_array_get_idx(docs, i);

		if (!doc)
			continue;
		if (!json_object_is_type(doc, json_type_object)) {
			error = berth_error_set(
			    "%s: document %zu is neither a strategic merge patch nor a JSON "
			    "6902 op list",
			    name, i + 1);
			goto out;
		}
		json_object_array_add(list, json_object_get(doc));
	}
	if (!json_object_array_length(list)) {
		error = berth_error_set("%s: the patch is empty", name);
		goto out;
	}
	*smp = list;
	list = NULL;
out:
	json_object_put(list);
	json_object_put(docs);
	return error;
}

/* ---- targets ------------------------------------------------------------- */

/* Does `pattern`, anchored at both ends, match `s`? kustomize anchors its Go
 * regexp the same way ("^(?:...)$"); POSIX ERE has no (?:...), \d or
 * non-greedy repeats, and matches leftmost-longest. */
static int regex_match(bool *out, const char *field, const char *pattern, const char *s)
{
	struct buf anchored = BUF_INIT;
	regex_t re;
	int rc;

	if (strlen(pattern) > TARGET_MAX_REGEX)
		return berth_error_set("target %s: the pattern is longer than %d bytes", field,
		                       TARGET_MAX_REGEX);
	buf_addf(&anchored, "^(%s)$", pattern);
	rc = regcomp(&re, anchored.ptr, REG_EXTENDED | REG_NOSUB);
	buf_release(&anchored);
	if (rc) {
		char msg[128];

		regerror(rc, &re, msg, sizeof(msg));
		return berth_error_set("target %s '%s': %s", field, pattern, msg);
	}
	*out = !regexec(&re, s, 0, NULL, 0);
	regfree(&re);
	return 0;
}

/* kustomize's EffectiveNamespace: "default" for none, a marker for a
 * cluster-scoped kind. */
static const char *effective_namespace(const char *group, const char *kind, const char *ns)
{
	if (object_kind_is_cluster_scoped(group, kind))
		return "_non_namespaceable_";
	return *ns ? ns : "default";
}

struct selector {
	const char *p, *end;
	const char *text, *field;
};

static void skip_blanks(struct selector *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
}

/* A key or value: anything up to a blank or one of ",()=!". */
static size_t word(struct selector *s, const char **at)
{
	skip_blanks(s);
	*at = s->p;
	while (s->p < s->end && !strchr(" \t,()=!", *s->p))
		s->p++;
	return (size_t)(s->p - *at);
}

static bool word_is(const char *w, size_t n, const char *s)
{
	return n == strlen(s) && !memcmp(w, s, n);
}

static int selector_error(const struct selector *s, const char *reason)
{
	return berth_error_set("target %s '%s': %s at byte %zu", s->field, s->text, reason,
	                       (size_t)(s->p - s->text));
}

/* Is the value of `key` (n bytes) in `map` the n-byte `value`? *present
 * says whether the key is there at all. */
static bool value_is(struct json_object *map, const char *key, size_t klen, const char *value,
                     size_t vlen, bool *present)
{
	char *k = xstrndup(key, klen);
	const char *v = json_value_get_string(map, k);

	*present = json_value_get(map, k) != NULL;
	free(k);
	return v && strlen(v) == vlen && !memcmp(v, value, vlen);
}

/* One requirement of a Kubernetes selector (apimachinery's labels.Parse,
 * as ParseToLabelSelector accepts it): `key`, `!key`, `key=v`, `key==v`,
 * `key!=v`, `key in (a,b)`, `key notin (a,b)`. */
static int requirement(bool *out, struct selector *s, struct json_object *map)
{
	const char *key, *v, *op;
	size_t klen, vlen, oplen, nvalues = 0;
	bool negate = false, present, in = false;

	skip_blanks(s);
	if (s->p < s->end && *s->p == '!') {
		s->p++;
		negate = true;
	}
	if (!(klen = word(s, &key)))
		return selector_error(s, "a key is missing");
	skip_blanks(s);
	if (s->p == s->end || *s->p == ',') {
		value_is(map, key, klen, "", 0, &present);
		*out = negate ? !present : present;
		return 0;
	}
	if (negate)
		return selector_error(s, "'!key' takes no operator");
	if (*s->p == '=' || *s->p == '!') {
		bool not_equal = *s->p == '!';

		s->p++;
		if (s->p < s->end && *s->p == '=')
			s->p++;
		else if (not_equal)
			return selector_error(s, "'!' must be followed by '='");
		vlen = word(s, &v);
		*out = value_is(map, key, klen, v, vlen, &present) != not_equal;
		return 0;
	}
	oplen = word(s, &op);
	if (!word_is(op, oplen, "in") && !word_is(op, oplen, "notin"))
		return selector_error(s, "an operator must be =, ==, !=, in or notin");
	skip_blanks(s);
	if (s->p == s->end || *s->p++ != '(')
		return selector_error(s, "'(' is missing");
	for (;;) {
		if (++nvalues > SELECTOR_MAX_VALUES)
			return selector_error(s, "too many values");
		vlen = word(s, &v);
		in = value_is(map, key, klen, v, vlen, &present) || in;
		skip_blanks(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			continue;
		}
		if (s->p < s->end && *s->p == ')') {
			s->p++;
			break;
		}
		return selector_error(s, "')' is missing");
	}
	*out = word_is(op, oplen, "in") ? in : !in;
	return 0;
}

/* Does the selector `text` select the map `map` (labels or annotations)?
 * Every requirement must hold; the whole text is read, to refuse a bad one
 * whatever it selects. */
static int selector_match(bool *out, const char *field, const char *text, struct json_object *map)
{
	struct selector s = {text, text + strlen(text), text, field};
	bool all = true;
	size_t terms = 0;
	int error;

	if (strlen(text) > SELECTOR_MAX_LEN)
		return berth_error_set("target %s: longer than %d bytes", field, SELECTOR_MAX_LEN);
	skip_blanks(&s);
	while (s.p < s.end) {
		bool one = false;

		if (++terms > SELECTOR_MAX_TERMS)
			return selector_error(&s, "too many requirements");
		if ((error = requirement(&one, &s, map)) < 0)
			return error;
		all = all && one;
		skip_blanks(&s);
		if (s.p < s.end && *s.p++ != ',')
			return selector_error(&s, "',' is missing between requirements");
	}
	*out = all;
	return 0;
}

/* A target field `field` matches `cur` or, when given, `org`; an absent or
 * empty pattern matches anything. */
static int field_match(bool *out, const struct json_object *target, const char *field,
                       const char *org, const char *cur)
{
	const char *pattern = json_value_get_string((struct json_object *)target, field);
	int error;

	*out = true;
	if (!pattern || !*pattern)
		return 0;
	if (org && (error = regex_match(out, field, pattern, org)) < 0)
		return error;
	if (org && *out)
		return 0;
	return regex_match(out, field, pattern, cur);
}

int kustomize_target_match(bool *out, const struct json_object *target,
                           const struct kustomize_resource *r)
{
	struct json_object *t = (struct json_object *)target;
	struct json_object *meta = json_value_get(r->obj, "metadata");
	const char *kind = kustomize_resource_kind(r), *version, *slash, *sel;
	const char *api = json_value_get_string(r->obj, "apiVersion");
	struct buf group = BUF_INIT;
	bool ok = true;
	int error = 0;

	if (!target) {
		*out = true;
		return 0;
	}
	api = api ? api : "";
	slash = strchr(api, '/');
	version = slash ? slash + 1 : api;
	kustomize_resource_group(&group, r);
	/* Select: namespace and name, original then current; then the GVK. */
	if ((error = field_match(
	         &ok, t, "namespace",
	         effective_namespace(group.ptr, kind, kustomize_resource_first_namespace(r)),
	         effective_namespace(group.ptr, kind, kustomize_resource_namespace(r)))) < 0 ||
	    !ok)
		goto out;
	if ((error = field_match(&ok, t, "name", kustomize_resource_first_name(r),
	                         kustomize_resource_name(r))) < 0 ||
	    !ok)
		goto out;
	if ((error = field_match(&ok, t, "group", NULL, group.ptr)) < 0 || !ok ||
	    (error = field_match(&ok, t, "version", NULL, version)) < 0 || !ok ||
	    (error = field_match(&ok, t, "kind", NULL, kind)) < 0 || !ok)
		goto out;
	if ((sel = json_value_get_string(t, "labelSelector")) && *sel &&
	    ((error = selector_match(&ok, "labelSelector", sel, json_value_get(meta, "labels"))) <
	         0 ||
	     !ok))
		goto out;
	if ((sel = json_value_get_string(t, "annotationSelector")) && *sel)
		error = selector_match(&ok, "annotationSelector", sel,
		                       json_value_get(meta, "annotations"));
out:
	buf_release(&group);
	if (!error)
		*out = ok;
	return error;
}

/* ---- applying ------------------------------------------------------------ */

static void record_patch(struct kustomize_resource *r, const char *where)
{
	free(r->patch);
	r->patch = xstrdup_or_null(where);
}

/* A patch left the object `r` was with no kind or no name. */
static int lost_identity(const struct kustomize_resource *r, const char *where)
{
	return berth_error_set("%s: %s '%s': the patch leaves it with no kind or no "
	                       "metadata.name (kustomize refuses it too)",
	                       where ? where : "patch", kustomize_resource_kind(r),
	                       kustomize_resource_name(r));
}

/* JSON 6902 on one object. A patch may rename it: the old name is kept as
 * a former one, as kustomize's StorePreviousId does. */
static int apply_ops(struct kustomize_resource *r, struct json_object *ops, const char *where)
{
	struct json_object *out = NULL, *in = json_value_copy(r->obj), *meta;
	bool bare = false;
	int error;

	/* kustomize keeps its internal annotations on every object while it
	 * patches, so an op may add to metadata/annotations that the object
	 * has not; an empty map left over goes with them. */
	meta = json_value_get(in, "metadata");
	if (json_object_is_type(meta, json_type_object) && !json_value_get(meta, "annotations")) {
		json_object_object_add(meta, "annotations", json_object_new_object());
		bare = true;
	}
	error = json_patch_apply(&out, in, ops);
	json_object_put(in);
	if (error < 0)
		return berth_error_prefix(error, "%s: %s '%s'", where ? where : "patch",
		                          kustomize_resource_kind(r), kustomize_resource_name(r));
	meta = json_value_get(out, "metadata");
	if (bare && json_object_is_type(json_value_get(meta, "annotations"), json_type_object) &&
	    !json_object_object_length(json_value_get(meta, "annotations")))
		json_object_object_del(meta, "annotations");
	if (!kustomize_object_has_identity(out)) {
		json_object_put(out);
		return lost_identity(r, where);
	}
	if (!json_value_equal(out, r->obj)) {
		struct kustomize_resource patched = {.obj = out};
		char *name = xstrdup(kustomize_resource_name(&patched));
		char *ns = xstrdup(kustomize_resource_namespace(&patched));

		/* Rename the object as it was, to keep its old name, then take
		 * the patched one, which has the new name already. */
		kustomize_resource_rename(r, name, ns);
		json_object_put(r->obj);
		r->obj = out;
		out = NULL;
		free(name);
		free(ns);
		record_patch(r, where);
	}
	json_object_put(out);
	return 0;
}

/* GetById: does `r`, now or under a former name, have the id the patch
 * document `doc` names? apiVersion and kind exactly, the name, and the
 * namespace with none meaning "default" (always, as kustomize compares
 * effective namespaces: a patch without one does not reach an object in
 * another namespace). */
static bool named_by(const struct kustomize_resource *r, struct json_object *doc)
{
	struct json_object *meta = json_value_get(doc, "metadata");
	const char *api = json_value_get_string(doc, "apiVersion");
	const char *kind = json_value_get_string(doc, "kind");
	const char *name = json_value_get_string(meta, "name");
	const char *ns = json_value_get_string(meta, "namespace");
	const char *have = json_value_get_string(r->obj, "apiVersion");
	struct buf group = BUF_INIT;
	bool cluster;

	if (!api || !kind || !name || !have || strcmp(api, have) ||
	    strcmp(kind, kustomize_resource_kind(r)))
		return false;
	kustomize_resource_group(&group, r);
	cluster = object_kind_is_cluster_scoped(group.ptr, kind);
	buf_release(&group);
	if (cluster)
		return kustomize_resource_was(r, name, NULL);
	if (!ns || !*ns || !strcmp(ns, "default"))
		return kustomize_resource_was(r, name, "") ||
		       kustomize_resource_was(r, name, "default");
	return kustomize_resource_was(r, name, ns);
}

/* Put back what a strategic merge patch may not change (Resource's
 * ApplySmPatch without allowNameChange or allowKindChange): apiVersion,
 * kind, name, namespace. */
static void keep_identity(struct json_object *obj, struct json_object *was)
{
	struct json_object *meta = json_value_get(obj, "metadata");
	struct json_object *was_meta = json_value_get(was, "metadata");
	const char *keys[] = {"apiVersion", "kind"}, *meta_keys[] = {"name", "namespace"};
	size_t i;

	for (i = 0; i < 2; i++) {
		struct json_object *v = json_value_get(was, keys[i]);

		if (v)
			json_object_object_add(obj, keys[i], json_object_get(v));
	}
	if (!json_object_is_type(meta, json_type_object))
		return;
	for (i = 0; i < 2; i++) {
		struct json_object *v = json_value_get(was_meta, meta_keys[i]);

		if (v)
			json_object_object_add(meta, meta_keys[i], json_object_get(v));
		else
			json_object_object_del(meta, meta_keys[i]);
	}
}

/*
 * kustomize merges with kyaml, not apimachinery: a `$patch: delete` list
 * element without the list's merge key (`- name: data` in volumeMounts,
 * keyed by mountPath) empties the list before the other elements merge in,
 * where merge_apply refuses it. That is a `$patch: replace` of the list, so
 * the patch `p` (a copy, changed in place) says so.
 */
static void keyless_deletes_replace(struct json_object *p, const struct schema_type *type,
                                    size_t depth)
{
	if (depth > 64 || !json_object_is_type(p, json_type_object))
		return;
	json_object_object_foreach(p, key, v)
	{
		const struct schema_field *f = schema_field(type, key);
		size_t i, n;

		if (!json_object_is_type(v, json_type_array)) {
			keyless_deletes_replace(v, f ? f->type : NULL, depth + 1);
			continue;
		}
		n = json_object_array_length(v);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(v, i);
			const char *d = json_value_get_string(e, "$patch");

			if (f && (f->strategy & SCHEMA_MERGE) && f->merge_key && d &&
			    !strcmp(d, "delete") && !json_value_get(e, f->merge_key)) {
				struct json_object *replace = json_object_new_object();

				json_object_object_add(replace, "$patch",
				                       json_object_new_string("replace"));
				json_object_array_put_idx(v, i, replace);
				continue;
			}
			keyless_deletes_replace(e, f ? f->type : NULL, depth + 1);
		}
	}
}

/* One strategic merge patch document on rs->items[*i]; an object the patch
 * empties (`$patch: delete`) leaves rs, and *i then names the next one. */
static int apply_smp(struct kustomize_resources *rs, size_t *i, struct json_object *doc,
                     const char *where)
{
	struct kustomize_resource *r = &rs->items[*i];
	struct json_object *out = NULL, *patch;
	const char *directive = json_value_get_string(doc, "$patch");
	const struct schema_type *schema;
	struct buf group = BUF_INIT;
	int error;

	/* Checked here, for custom resources too: without a schema
	 * merge_apply is a JSON merge patch, which knows no directives. */
	if (directive && !strcmp(directive, "delete")) {
		kustomize_resources_remove(rs, *i);
		return 0;
	}
	kustomize_resource_group(&group, r);
	schema = schema_for_kind(group.ptr, kustomize_resource_kind(r));
	buf_release(&group);
	patch = json_value_copy(doc);
	keyless_deletes_replace(patch, schema, 0);
	error = merge_apply(&out, r->obj, patch, schema);
	json_object_put(patch);
	if (error < 0)
		return berth_error_prefix(error, "%s: %s '%s'", where ? where : "patch",
		                          kustomize_resource_kind(r), kustomize_resource_name(r));
	if (json_object_is_type(out, json_type_object) && !json_object_object_length(out)) {
		json_object_put(out);
		kustomize_resources_remove(rs, *i);
		return 0;
	}
	keep_identity(out, r->obj);
	if (!kustomize_object_has_identity(out)) {
		json_object_put(out);
		return lost_identity(r, where);
	}
	if (!json_value_equal(out, r->obj)) {
		json_object_put(r->obj);
		r->obj = out;
		out = NULL;
		record_patch(r, where);
	}
	json_object_put(out);
	(*i)++;
	return 0;
}

static int apply_doc(struct kustomize_resources *rs, struct json_object *doc,
                     const struct json_object *target, const char *where)
{
	size_t i = 0, found = 0, at = 0;
	int error;

	if (target) {
		while (i < rs->n) {
			bool selected;

			if ((error = kustomize_target_match(&selected, target, &rs->items[i])) < 0)
				return error;
			if (!selected)
				i++;
			else if ((error = apply_smp(rs, &i, doc, where)) < 0)
				return error;
		}
		return 0;
	}
	for (i = 0; i < rs->n; i++)
		if (named_by(&rs->items[i], doc)) {
			found++;
			at = i;
		}
	if (found != 1) {
		struct json_object *meta = json_value_get(doc, "metadata");
		const char *ns = json_value_get_string(meta, "namespace");

		return berth_error_set("%s: %s %s '%s'%s%s%s", where ? where : "patch",
		                       found ? "several objects match" : "no object matches",
		                       json_value_get_string(doc, "kind") ?: "(no kind)",
		                       json_value_get_string(meta, "name") ?: "",
		                       ns ? " in namespace '" : "", ns ? ns : "", ns ? "'" : "");
	}
	return apply_smp(rs, &at, doc, where);
}

int kustomize_patch_apply(struct kustomize_resources *rs, struct json_object *ops,
                          struct json_object *smp, const struct json_object *target,
                          const char *where)
{
	size_t i;
	int error;

	if (ops) {
		if (!target)
			return berth_error_set("%s: a JSON 6902 patch needs a target",
			                       where ? where : "patch");
		for (i = 0; i < rs->n; i++) {
			bool selected;

			if ((error = kustomize_target_match(&selected, target, &rs->items[i])) <
			        0 ||
			    (selected && (error = apply_ops(&rs->items[i], ops, where)) < 0))
				return error;
		}
		return 0;
	}
	for (i = 0; i < json_object_array_length(smp); i++)
		if ((error = apply_doc(rs, json_object_array_get_idx(smp, i), target, where)) < 0)
			return error;
	return 0;
}
