/* A kustomization file, read and checked field by field. */
#include "kustomization.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *const kustomization_names[] = {"kustomization.yaml", "kustomization.yml",
                                           "Kustomization", NULL};

#define KUSTOMIZATION_VERSION "kustomize.config.k8s.io/v1beta1"
#define COMPONENT_VERSION     "kustomize.config.k8s.io/v1alpha1"

/* The shapes of the fields, as kustomize's Go types decode them. */
enum shape {
	SHAPE_STRING,
	SHAPE_STRINGS,    /* a list of strings */
	SHAPE_STRING_MAP, /* string to string */
	SHAPE_MAPPING,
	SHAPE_LIST, /* of mappings */
};

/* What berth does with a field. */
enum use {
	USE_READ,   /* read here or by the builder */
	USE_REFUSE, /* never: refused when it holds anything */
};

struct field {
	const char *name;
	enum shape shape;
	enum use use;
	const char *why; /* USE_REFUSE: why, and what to do instead */
};

#define HELM                                                                                       \
	"berth builds no Helm chart (it would run a chart's templates, fetched from "              \
	"anywhere, in the agent); render it in CI with `helm template` and commit the "            \
	"output"
#define PLUGIN                                                                                     \
	"berth runs no kustomize plugin (it would run a program or a container the "               \
	"repository names); use the built-in fields, or render in CI and commit the output"

/* Every field of kustomize v5.5's Kustomization; anything else is refused,
 * as kustomize refuses it. */
static const struct field fields[] = {
    {"apiVersion", SHAPE_STRING, USE_READ, NULL},
    {"kind", SHAPE_STRING, USE_READ, NULL},
    {"metadata", SHAPE_MAPPING, USE_READ, NULL},
    {"openapi", SHAPE_STRING_MAP, USE_READ, NULL},
    {"namePrefix", SHAPE_STRING, USE_READ, NULL},
    {"nameSuffix", SHAPE_STRING, USE_READ, NULL},
    {"namespace", SHAPE_STRING, USE_READ, NULL},
    {"commonLabels", SHAPE_STRING_MAP, USE_READ, NULL},
    {"labels", SHAPE_LIST, USE_READ, NULL},
    {"commonAnnotations", SHAPE_STRING_MAP, USE_READ, NULL},
    {"patchesStrategicMerge", SHAPE_STRINGS, USE_READ, NULL},
    {"patchesJson6902", SHAPE_LIST, USE_READ, NULL},
    {"patches", SHAPE_LIST, USE_READ, NULL},
    {"images", SHAPE_LIST, USE_READ, NULL},
    {"imageTags", SHAPE_LIST, USE_READ, NULL},
    {"replacements", SHAPE_LIST, USE_READ, NULL},
    {"replicas", SHAPE_LIST, USE_READ, NULL},
    {"vars", SHAPE_LIST, USE_READ, NULL},
    {"sortOptions", SHAPE_MAPPING, USE_READ, NULL},
    {"resources", SHAPE_STRINGS, USE_READ, NULL},
    {"components", SHAPE_STRINGS, USE_READ, NULL},
    {"crds", SHAPE_STRINGS, USE_READ, NULL},
    {"bases", SHAPE_STRINGS, USE_READ, NULL},
    {"configMapGenerator", SHAPE_LIST, USE_READ, NULL},
    {"secretGenerator", SHAPE_LIST, USE_READ, NULL},
    {"generatorOptions", SHAPE_MAPPING, USE_READ, NULL},
    {"configurations", SHAPE_STRINGS, USE_READ, NULL},
    {"buildMetadata", SHAPE_STRINGS, USE_READ, NULL},
    {"helmGlobals", SHAPE_MAPPING, USE_REFUSE, HELM},
    {"helmCharts", SHAPE_LIST, USE_REFUSE, HELM},
    {"helmChartInflationGenerator", SHAPE_LIST, USE_REFUSE, HELM},
    {"generators", SHAPE_STRINGS, USE_REFUSE, PLUGIN},
    {"transformers", SHAPE_STRINGS, USE_REFUSE, PLUGIN},
    {"validators", SHAPE_STRINGS, USE_REFUSE, PLUGIN},
};

/* The reading of one file. */
struct reader {
	struct kustomization *k;
	struct diagnostics *diags;
	size_t problems;
};

static void problem(struct reader *r, const struct json_object *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void problem(struct reader *r, const struct json_object *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kustomization_vproblem(r->diags, r->k, node, fmt, ap);
	va_end(ap);
	r->problems++;
}

void kustomization_vproblem(struct diagnostics *diags, const struct kustomization *k,
                            const struct json_object *node, const char *fmt, va_list ap)
{
	struct buf msg = BUF_INIT;
	size_t line = 0, column = 0;

	buf_vaddf(&msg, fmt, ap);
	kustomization_locate(&line, &column, k, node);
	diagnostics_add(diags, k->file, line, column, "%s", msg.ptr);
	buf_release(&msg);
}

void kustomization_problem(struct diagnostics *diags, const struct kustomization *k,
                           const struct json_object *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	kustomization_vproblem(diags, k, node, fmt, ap);
	va_end(ap);
}

void kustomization_locate(size_t *line, size_t *column, const struct kustomization *k,
                          const struct json_object *node)
{
	if (!node || yaml_marks_find_field(line, column, &k->marks, node) < 0) {
		*line = 1;
		*column = 1;
	}
}

static const char *shape_name(enum shape s)
{
	static const char *const names[] = {"a string", "a list of strings",
	                                    "a mapping of strings to strings", "a mapping",
	                                    "a list"};

	return names[s];
}

/* Has `v` the shape `s`? A null is an empty field, as kustomize reads it. */
static bool has_shape(struct json_object *v, enum shape s)
{
	struct json_object_iterator it, end;
	size_t i;

	if (!v)
		return true;
	switch (s) {
	case SHAPE_STRING:
		return json_object_is_type(v, json_type_string);
	case SHAPE_MAPPING:
		return json_object_is_type(v, json_type_object);
	case SHAPE_LIST:
		if (!json_object_is_type(v, json_type_array))
			return false;
		for (i = 0; i < json_object_array_length(v); i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_object))
				return false;
		return true;
	case SHAPE_STRINGS:
		if (!json_object_is_type(v, json_type_array))
			return false;
		for (i = 0; i < json_object_array_length(v); i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_string))
				return false;
		return true;
	case SHAPE_STRING_MAP:
		if (!json_object_is_type(v, json_type_object))
			return false;
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			if (!json_object_is_type(json_object_iter_peek_value(&it),
			                         json_type_string))
				return false;
		return true;
	}
	return false;
}

static bool is_empty(struct json_object *v)
{
	return !v || (json_object_is_type(v, json_type_array) && !json_object_array_length(v)) ||
	       (json_object_is_type(v, json_type_object) && !json_object_object_length(v));
}

/* Why `path` is one berth never reads, or NULL: kustomize would fetch it
 * (a URL, a Git remote), or it names no place in the repository. */
static const char *never_read(const char *path)
{
	static const char *const hosts[] = {"github.com/", "gitlab.com/", "bitbucket.org/",
	                                    "dev.azure.com/"};
	size_t i;

	if (strstr(path, "://") || !strncmp(path, "git@", 4) || !strncmp(path, "git::", 5) ||
	    strstr(path, "?ref=") || strstr(path, "?version="))
		return "a remote resource: berth reads only the repository it follows (vendor "
		       "the base into it, or follow the base's repository as a source of its own)";
	for (i = 0; i < sizeof(hosts) / sizeof(*hosts); i++)
		if (!strncmp(path, hosts[i], strlen(hosts[i])))
			return "a remote resource: berth reads only the repository it follows "
			       "(vendor "
			       "the base into it, or follow the base's repository as a source of "
			       "its "
			       "own)";
	if (path[0] == '/')
		return "an absolute path: name it relative to the kustomization, inside the "
		       "repository";
	if (!*path)
		return "an empty path";
	return NULL;
}

/* The paths of list `key` (already of its shape), appended to *out. */
static void read_paths(struct reader *r, const char *key, struct kustomization_path **out,
                       size_t *n)
{
	struct json_object *list = json_value_get(r->k->doc, key), *v;
	const char *why;
	size_t i;

	for (i = 0; list && i < json_object_array_length(list); i++) {
		v = json_object_array_get_idx(list, i);
		if ((why = never_read(json_object_get_string(v)))) {
			problem(r, v, "%s: '%s' is %s", key, json_object_get_string(v), why);
			continue;
		}
		*out = xrealloc(*out, (*n + 1) * sizeof(**out));
		(*out)[*n].path = xstrdup(json_object_get_string(v));
		kustomization_locate(&(*out)[*n].line, &(*out)[*n].column, r->k, v);
		(*n)++;
	}
}

/* Its kind and apiVersion, as kustomize's EnforceFields checks them. */
static void read_kind(struct reader *r)
{
	struct json_object *kind = json_value_get(r->k->doc, "kind");
	struct json_object *version = json_value_get(r->k->doc, "apiVersion");
	const char *want;

	if (kind && json_object_is_type(kind, json_type_string)) {
		r->k->component = !strcmp(json_object_get_string(kind), "Component");
		if (!r->k->component && strcmp(json_object_get_string(kind), "Kustomization"))
			problem(r, kind,
			        "kind: '%s': a kustomization's is Kustomization or Component",
			        json_object_get_string(kind));
	}
	want = r->k->component ? COMPONENT_VERSION : KUSTOMIZATION_VERSION;
	if (version && json_object_is_type(version, json_type_string) &&
	    strcmp(json_object_get_string(version), want))
		problem(r, version, "apiVersion: '%s': a %s's is %s",
		        json_object_get_string(version),
		        r->k->component ? "Component" : "Kustomization", want);
}

static const struct field *field_named(const char *name)
{
	size_t i;

	/* Go's encoding/json, which kustomize decodes its file with, matches a
	 * key to a field whatever its case: `patchesJSON6902` is patchesJson6902. */
	for (i = 0; i < sizeof(fields) / sizeof(*fields); i++)
		if (!strcasecmp(fields[i].name, name))
			return &fields[i];
	return NULL;
}

/* `doc` with each known field under its own name; of two keys that are one
 * field, the later wins, as in Go's decoder. The values are the same nodes,
 * so their marks still hold. */
static struct json_object *named_fields(struct json_object *doc)
{
	struct json_object *out = json_object_new_object();
	const struct field *f;

	json_object_object_foreach(doc, key, value)
	{
		f = field_named(key);
		json_object_object_add(out, f ? f->name : key, json_object_get(value));
	}
	return out;
}

/* Every field known and of its shape; what berth never does refused. */
static void read_fields(struct reader *r)
{
	const struct field *f;

	json_object_object_foreach(r->k->doc, key, value)
	{
		if (!(f = field_named(key)))
			problem(r, value, "unknown field '%s' (kustomize refuses it too)", key);
		else if (!has_shape(value, f->shape))
			problem(r, value, "%s: must be %s", key, shape_name(f->shape));
		else if (f->use == USE_REFUSE && !is_empty(value))
			problem(r, value, "%s: %s", key, f->why);
	}
}

/* Does field `key` (already of its shape) hold something? kustomize
 * counts a null or an empty string as nothing, and an empty bases,
 * imageTags or sortOptions too (its FixKustomization folds them away). */
static bool holds_something(const char *key, struct json_object *v)
{
	if (!v || (json_object_is_type(v, json_type_string) && !*json_object_get_string(v)))
		return false;
	if (!strcmp(key, "bases") || !strcmp(key, "imageTags") || !strcmp(key, "sortOptions"))
		return !is_empty(v);
	return true;
}

/* A kustomization with nothing but its kind and apiVersion is refused, as
 * kustomize's CheckEmpty refuses it. */
static void read_empty(struct reader *r)
{
	json_object_object_foreach(r->k->doc, key, value)
	{
		if (strcmp(key, "apiVersion") && strcmp(key, "kind") && holds_something(key, value))
			return;
	}
	diagnostics_add(r->diags, r->k->file, 1, 1,
	                "the kustomization is empty: it names no resource, generator or "
	                "transformer (kustomize refuses it too)");
	r->problems++;
}

int kustomization_parse(struct kustomization *out, struct diagnostics *diags, const char *file,
                        const char *text, size_t len)
{
	struct kustomization k = KUSTOMIZATION_INIT;
	struct reader r = {.k = &k, .diags = diags};
	struct json_object *docs = NULL;
	int error;

	k.file = xstrdup(file);
	if ((error = yaml_parse(&docs, file, text, len, NULL, &k.marks)) < 0) {
		diagnostics_add(diags, file, 0, 0, "%s", berth_error_last());
		r.problems++;
		goto out;
	}
	if (json_object_array_length(docs) != 1 ||
	    !json_object_is_type(json_object_array_get_idx(docs, 0), json_type_object)) {
		diagnostics_add(diags, file, 1, 1,
		                "a kustomization is one YAML document, a mapping of its fields");
		r.problems++;
		goto out;
	}
	k.doc = named_fields(json_object_array_get_idx(docs, 0));
	read_fields(&r);
	if (r.problems)
		goto out;
	read_kind(&r);
	if (!r.problems)
		read_empty(&r);
	read_paths(&r, "resources", &k.resources, &k.nresources);
	/* kustomize reads bases as more resources, after them. */
	read_paths(&r, "bases", &k.resources, &k.nresources);
	read_paths(&r, "components", &k.components, &k.ncomponents);
	read_paths(&r, "crds", &k.crds, &k.ncrds);
out:
	json_object_put(docs);
	if (r.problems) {
		kustomization_release(&k);
		return BERTH_ERROR;
	}
	*out = k;
	return 0;
}

static void release_paths(struct kustomization_path *paths, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(paths[i].path);
	free(paths);
}

void kustomization_release(struct kustomization *k)
{
	free(k->file);
	json_object_put(k->doc);
	yaml_marks_release(&k->marks);
	release_paths(k->resources, k->nresources);
	release_paths(k->components, k->ncomponents);
	release_paths(k->crds, k->ncrds);
	*k = (struct kustomization)KUSTOMIZATION_INIT;
}
