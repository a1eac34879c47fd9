/* The OpenAPI v2 schema: definitions by kind, read lazily, with their
 * merge keys and strategies. */
#include "openapi.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/*
 * The schema is kept as the text of {"definitions": {...}}, with an index of
 * where each definition is in it; a definition is parsed the first time the
 * check needs it. A StatefulSet needs about forty of the six hundred, and
 * json-c spends some twenty-five bytes of tree per byte of text.
 */
struct openapi_def {
	char *name;                 /* "io.k8s.api.apps.v1.StatefulSet" */
	size_t offset, len;         /* its schema, in the text */
	struct json_object *schema; /* parsed; NULL until needed */
	struct json_object *gvks;   /* its x-kubernetes-group-version-kind, parsed alone */
	bool broken;                /* it did not parse */
};

/* A kind the schema defines, from x-kubernetes-group-version-kind. The
 * strings belong to its definition's `gvks`. */
struct openapi_kind {
	const char *group, *version, *kind;
	const char *def;
};

struct openapi {
	struct buf text;
	struct openapi_def *defs; /* sorted by name */
	size_t ndefs, defs_alloc;
	struct openapi_kind *kinds;
	size_t nkinds, kinds_alloc;
	const char *gvks, *gvks_end; /* found by find_gvks() */
};

/* The shapes a schema gives a value (kube-openapi's proto models). */
enum shape {
	SHAPE_ANY,    /* no type and no properties: anything goes */
	SHAPE_FIELDS, /* an object with properties: a struct */
	SHAPE_MAP,    /* an object without: a map of additionalProperties */
	SHAPE_ARRAY,
	SHAPE_STRING,
	SHAPE_INTEGER,
	SHAPE_NUMBER,
	SHAPE_BOOLEAN,
};

/* ---- reading the schema ------------------------------------------------- */

/* Drop the descriptions of a schema and of the schemas inside it (a
 * property named "description" stays: it is in `properties`). */
static void strip(struct json_object *s)
{
	struct json_object *items = json_value_get(s, "items");
	size_t i;

	if (!json_object_is_type(s, json_type_object))
		return;
	json_object_object_del(s, "description");
	if (json_object_is_type(json_value_get(s, "properties"), json_type_object)) {
		json_object_object_foreach(json_value_get(s, "properties"), key, sub)
		{
			(void)key;
			strip(sub);
		}
	}
	strip(json_value_get(s, "additionalProperties"));
	strip(items);
	for (i = 0; i < json_value_array_len(items); i++)
		strip(json_object_array_get_idx(items, i));
}

/* A scanner that finds where values are in JSON text without building
 * them. Each returns the position after what it skipped, or NULL when the
 * text is not JSON there. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	return p;
}

static const char *skip_string(const char *p, const char *end)
{
	if (p >= end || *p != '"')
		return NULL;
	for (p++; p < end; p++) {
		if (*p == '\\')
			p++;
		else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *skip_value(const char *p, const char *end)
{
	size_t depth = 0;

	do {
		p = skip_space(p, end);
		if (p >= end)
			return NULL;
		if (*p == '"') {
			if (!(p = skip_string(p, end)))
				return NULL;
		} else if (*p == '{' || *p == '[') {
			depth++;
			p++;
		} else if (*p == '}' || *p == ']') {
			if (!depth--)
				return NULL;
			p++;
		} else if (*p == ',' || *p == ':') {
			if (!depth)
				return NULL;
			p++;
		} else {
			const char *start = p;
			/* A literal; a NUL byte (which strchr finds) is none. */
			while (p < end && !strchr(",:{}[]\" \t\r\n", *p))
				p++;
			if (p == start)
				return NULL;
		}
	} while (depth);
	return p;
}

/*
 * Call fn(name, value, value_end) for each member of the object at `p`.
 * Returns the position after the object, or NULL (fn failing stops it).
 */
static const char *each_member(const char *p, const char *end,
                               int (*fn)(struct openapi *, const char *, size_t, const char *,
                                         const char *),
                               struct openapi *api)
{
	p = skip_space(p, end);
	if (p >= end || *p++ != '{')
		return NULL;
	p = skip_space(p, end);
	if (p < end && *p == '}')
		return p + 1;
	for (;;) {
		const char *key = skip_space(p, end), *key_end = skip_string(key, end), *value;

		if (!key_end)
			return NULL;
		p = skip_space(key_end, end);
		if (p >= end || *p++ != ':')
			return NULL;
		value = skip_space(p, end);
		if (!(p = skip_value(value, end)) ||
		    fn(api, key + 1, (size_t)(key_end - key - 2), value, p) < 0)
			return NULL;
		p = skip_space(p, end);
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		return p < end && *p == '}' ? p + 1 : NULL;
	}
}

static int add_definition(struct openapi *api, const char *name, size_t len, const char *value,
                          const char *end)
{
	struct openapi_def *d;

	/* Definition names are Go package paths and type names: no escapes. */
	if (memchr(name, '\\', len) || *value != '{')
		return -1;
	api->defs = xgrow(api->defs, sizeof(*api->defs), api->ndefs + 1, &api->defs_alloc);
	d = &api->defs[api->ndefs++];
	d->name = xstrndup(name, len);
	d->offset = (size_t)(value - api->text.ptr);
	d->len = (size_t)(end - value);
	d->schema = NULL;
	d->gvks = NULL;
	d->broken = false;
	return 0;
}

static int top_member(struct openapi *api, const char *name, size_t len, const char *value,
                      const char *end)
{
	if (len != 11 || memcmp(name, "definitions", 11))
		return 0;
	return each_member(value, end, add_definition, api) ? 0 : -1;
}

static int def_cmp(const void *a, const void *b)
{
	return strcmp(((const struct openapi_def *)a)->name, ((const struct openapi_def *)b)->name);
}

static struct openapi_def *find_def(const struct openapi *api, const char *name)
{
	struct openapi_def key;

	key.name = (char *)name;
	return bsearch(&key, api->defs, api->ndefs, sizeof(*api->defs), def_cmp);
}

/* The schema of definition `name`, parsed on first use; NULL when there
 * is none. */
static struct json_object *definition(const struct openapi *api, const char *name)
{
	struct openapi_def *d = find_def(api, name);

	if (!d || d->broken)
		return NULL;
	if (!d->schema && !(d->schema = json_value_parse(api->text.ptr + d->offset, d->len)))
		d->broken = true;
	return d->schema;
}

static int find_gvks(struct openapi *api, const char *name, size_t len, const char *value,
                     const char *end)
{
	if (len == 31 && !memcmp(name, "x-kubernetes-group-version-kind", 31)) {
		api->gvks = value;
		api->gvks_end = end;
	}
	return 0;
}

/* The kinds of definition `d`, from its x-kubernetes-group-version-kind
 * alone: the rest of it is parsed when a check needs it. */
static void index_kinds(struct openapi *api, struct openapi_def *d)
{
	const char *text = api->text.ptr + d->offset;
	struct json_object *gvks;
	size_t i;

	api->gvks = NULL;
	if (!each_member(text, text + d->len, find_gvks, api) || !api->gvks)
		return;
	gvks = d->gvks = json_value_parse(api->gvks, (size_t)(api->gvks_end - api->gvks));
	for (i = 0; i < json_value_array_len(gvks); i++) {
		struct json_object *gvk = json_object_array_get_idx(gvks, i);
		struct openapi_kind *k;

		if (!json_value_get_string(gvk, "group") ||
		    !json_value_get_string(gvk, "version") || !json_value_get_string(gvk, "kind"))
			continue;
		api->kinds =
		    xgrow(api->kinds, sizeof(*api->kinds), api->nkinds + 1, &api->kinds_alloc);
		k = &api->kinds[api->nkinds++];
		k->group = json_value_get_string(gvk, "group");
		k->version = json_value_get_string(gvk, "version");
		k->kind = json_value_get_string(gvk, "kind");
		k->def = d->name;
	}
}

/* Does text[0..len) contain `needle`? */
static bool contains(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle), i;

	for (i = 0; i + n <= len; i++)
		if (text[i] == *needle && !memcmp(text + i, needle, n))
			return true;
	return false;
}

int openapi_parse(struct openapi **out, const char *text, size_t len)
{
	static const char gvk[] = "\"x-kubernetes-group-version-kind\"";
	struct openapi *api = xcalloc(1, sizeof(*api));
	const char *end;
	size_t i;

	buf_init(&api->text);
	buf_add(&api->text, text, len);
	end = api->text.ptr + len;
	if (!(end = each_member(api->text.ptr, end, top_member, api)) ||
	    skip_space(end, api->text.ptr + len) != api->text.ptr + len) {
		openapi_free(api);
		return berth_error_set("the OpenAPI schema is not a JSON object");
	}
	if (!api->ndefs) {
		openapi_free(api);
		return berth_error_set("the OpenAPI schema has no definitions");
	}
	qsort(api->defs, api->ndefs, sizeof(*api->defs), def_cmp);
	/* Only the definitions of kinds are read now: those that say so. */
	for (i = 0; i < api->ndefs; i++) {
		struct openapi_def *d = &api->defs[i];
		if (contains(api->text.ptr + d->offset, d->len, gvk))
			index_kinds(api, d);
	}
	*out = api;
	return 0;
}

int openapi_new(struct openapi **out, struct json_object *doc)
{
	struct json_object *defs = json_value_get(doc, "definitions");
	struct buf text = BUF_INIT;
	int error;

	if (!json_object_is_type(defs, json_type_object)) {
		json_object_put(doc);
		return berth_error_set("the OpenAPI schema has no definitions");
	}
	json_object_object_foreach(defs, name, schema)
	{
		(void)name;
		strip(schema);
	}
	buf_adds(&text, "{\"definitions\":");
	buf_adds(&text, json_object_to_json_string_ext(defs, JSON_C_TO_STRING_PLAIN |
	                                                         JSON_C_TO_STRING_NOSLASHESCAPE));
	buf_addch(&text, '}');
	json_object_put(doc);
	error = openapi_parse(out, text.ptr, text.len);
	buf_release(&text);
	return error;
}

void openapi_free(struct openapi *api)
{
	size_t i;

	if (!api)
		return;
	for (i = 0; i < api->ndefs; i++) {
		free(api->defs[i].name);
		json_object_put(api->defs[i].schema);
		json_object_put(api->defs[i].gvks);
	}
	free(api->defs);
	free(api->kinds);
	buf_release(&api->text);
	free(api);
}

void openapi_write(struct buf *out, const struct openapi *api)
{
	buf_add(out, api->text.ptr, api->text.len);
}

static const struct openapi_kind *find_kind(const struct openapi *api, const struct object_id *id)
{
	size_t i;

	for (i = 0; i < api->nkinds; i++)
		if (!strcmp(api->kinds[i].group, id->group) &&
		    !strcmp(api->kinds[i].version, id->version) &&
		    !strcmp(api->kinds[i].kind, id->kind))
			return &api->kinds[i];
	return NULL;
}

/* Follow `s`'s $ref, if any, to its definition; *def is then its name. NULL
 * when the reference leads nowhere. */
static struct json_object *resolve(const struct openapi *api, struct json_object *s,
                                   const char **def)
{
	const char *ref;
	int hops = 0;

	while (s && (ref = json_value_get_string(s, "$ref"))) {
		if (strncmp(ref, "#/definitions/", 14) || ++hops > 32)
			return NULL;
		*def = ref + 14;
		s = definition(api, *def);
	}
	return s;
}

static bool flag(struct json_object *s, const char *ext)
{
	return json_object_get_boolean(json_value_get(s, ext));
}

static enum shape shape(struct json_object *s)
{
	const char *type = json_value_get_string(s, "type");
	bool fields = json_object_is_type(json_value_get(s, "properties"), json_type_object);

	if (!type)
		return fields ? SHAPE_FIELDS : SHAPE_ANY;
	if (!strcmp(type, "object"))
		return fields ? SHAPE_FIELDS : SHAPE_MAP;
	if (!strcmp(type, "array"))
		return SHAPE_ARRAY;
	if (!strcmp(type, "string"))
		return SHAPE_STRING;
	if (!strcmp(type, "integer"))
		return SHAPE_INTEGER;
	if (!strcmp(type, "number"))
		return SHAPE_NUMBER;
	if (!strcmp(type, "boolean"))
		return SHAPE_BOOLEAN;
	return SHAPE_ANY;
}

/* ---- the walk ----------------------------------------------------------- */

struct walk {
	const struct openapi *api;
	struct diagnostics *diags;
	const struct manifest *m;
	struct buf path;  /* the field's path as shown: "spec.template.spec.volumeMounts" */
	size_t locatable; /* how much of `path` manifest_locate() can follow */
	size_t found;
};

static void problem(struct walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "statefulset 'web': PATH: message" at the place of the field. */
static void problem(struct walk *w, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	char *at = xstrndup(w->path.ptr, w->locatable);
	size_t line, column;
	va_list ap;

	object_kind_lower(&msg, w->m->id.kind);
	buf_addf(&msg, " '%s': ", w->m->id.name);
	if (w->path.len)
		buf_addf(&msg, "%s: ", w->path.ptr);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	manifest_add_patch_note(&msg, w->m);
	manifest_locate(&line, &column, w->m, at);
	diagnostics_add(w->diags, w->m->file, line, column, "%s", msg.ptr);
	buf_release(&msg);
	free(at);
	w->found++;
}

static void truncate_to(struct buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

/* Step into `key` of an object, or `index` of an array (key NULL).
 * Returns the path's length before, for leave(). */
static size_t enter(struct walk *w, const char *key, size_t index)
{
	size_t before = w->path.len;
	bool followed = w->locatable == before;

	if (key)
		buf_addf(&w->path, "%s%s", before ? "." : "", key);
	else
		buf_addf(&w->path, "[%zu]", index);
	/* manifest_locate splits at '.' and '[': a key holding one (an
	 * annotation's) is found by its parent. */
	if (followed && (!key || !key[strcspn(key, ".[]")]))
		w->locatable = w->path.len;
	return before;
}

static void leave(struct walk *w, size_t before)
{
	truncate_to(&w->path, before);
	if (w->locatable > before)
		w->locatable = before;
}

static const char *type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_boolean:
		return "boolean";
	case json_type_double:
		return "number";
	case json_type_int:
		return "integer";
	case json_type_object:
		return "object";
	case json_type_array:
		return "array";
	case json_type_string:
		return "string";
	default:
		return "null";
	}
}

static bool is_integer(struct json_object *v)
{
	double d;

	if (json_object_is_type(v, json_type_int))
		return true;
	if (!json_object_is_type(v, json_type_double))
		return false;
	/* YAML's 3.0 is the integer 3 once it is JSON, as kubectl sends it. */
	d = json_object_get_double(v);
	return d == (double)(long long)d;
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

static const char int_or_string[] = "integer or string";

/* What a string field takes when it takes a number as well, or NULL:
 * IntOrString, and Quantity, whose JSON form may be a number ("cpu: 0.5"). */
static const char *string_or_number(struct json_object *s, const char *def)
{
	const char *format = json_value_get_string(s, "format");

	if ((format && !strcmp(format, "int-or-string")) || flag(s, "x-kubernetes-int-or-string"))
		return int_or_string;
	if (def && !strcmp(def, "io.k8s.apimachinery.pkg.api.resource.Quantity"))
		return "string or number (a quantity)";
	return NULL;
}

/* ---- where an unknown field belongs --------------------------------------- */

/*
 * Look for a definition `hops` levels below `s` that has a field `key`, in
 * the order of the fields; `at` gets the path to it ("containers[]"), and
 * *each the definition of the innermost list on the way. Status is never a
 * place for a manifest's field, nor metadata below the object's own.
 */
static bool home_below(const struct openapi *api, struct json_object *s, const char *key,
                       unsigned hops, bool top, struct buf *at, const char **each)
{
	struct json_object *props = json_value_get(s, "properties");

	if (!json_object_is_type(props, json_type_object))
		return false;
	json_object_object_foreach(props, name, sub)
	{
		const char *def = NULL;
		size_t len = at->len;
		bool list = false, found;

		if (!strcmp(name, "status") || (!top && !strcmp(name, "metadata")))
			continue;
		sub = resolve(api, sub, &def);
		if (shape(sub) == SHAPE_ARRAY) {
			list = true;
			sub = resolve(api, json_value_get(sub, "items"), &def);
		}
		if (shape(sub) != SHAPE_FIELDS)
			continue;
		buf_addf(at, "%s%s%s", at->len ? "." : "", name, list ? "[]" : "");
		found = hops == 1 ? json_value_get(json_value_get(sub, "properties"), key) != NULL
		                  : home_below(api, sub, key, hops - 1, false, at, each);
		if (found) {
			if (list && !*each)
				*each = def;
			return true;
		}
		truncate_to(at, len);
	}
	return false;
}

/* "EphemeralContainer" of "io.k8s.api.core.v1.EphemeralContainer" as
 * words: "ephemeral container". */
static void add_noun(struct buf *out, const char *def)
{
	const char *p = strrchr(def, '.') ? strrchr(def, '.') + 1 : def;

	for (; *p; p++) {
		if (isupper((unsigned char)*p) && p[1] && !isupper((unsigned char)p[1]) &&
		    out->len && out->ptr[out->len - 1] != ' ')
			buf_addch(out, ' ');
		buf_addch(out, (char)tolower((unsigned char)*p));
	}
}

/* Edit distance, for names up to 63 characters; larger is "far". */
static size_t distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), row[64], i, j;

	if (la >= 64 || lb >= 64)
		return 64;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		size_t diag = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t sub = diag + (tolower((unsigned char)a[i - 1]) !=
			                     tolower((unsigned char)b[j - 1]));
			row[j] = sub;
			if (up + 1 < row[j])
				row[j] = up + 1;
			if (row[j - 1] + 1 < row[j])
				row[j] = row[j - 1] + 1;
			diag = up;
		}
	}
	return row[lb];
}

/* The field of `s` whose name is closest to `key`, if close enough to be a
 * slip: case, or one or two letters in a long name. */
static const char *near_miss(struct json_object *s, const char *key)
{
	size_t best = strlen(key) >= 6 ? 3 : strlen(key) >= 4 ? 2 : 1;
	const char *name = NULL;

	json_object_object_foreach(json_value_get(s, "properties"), field, sub)
	{
		size_t d = strcasecmp(field, key) ? distance(field, key) : 0;
		(void)sub;
		if (d < best) {
			best = d;
			name = field;
		}
	}
	return name;
}

static void unknown_field(struct walk *w, struct json_object *s, const char *def, const char *key,
                          size_t parent)
{
	struct buf at = BUF_INIT, hint = BUF_INIT;
	const char *each = NULL, *near;
	unsigned hops;

	buf_add(&at, w->path.ptr, parent);
	for (hops = 1; hops <= 3; hops++)
		if (home_below(w->api, s, key, hops, parent == 0, &at, &each))
			break;
	if (hops <= 3) {
		buf_adds(&hint, "; it belongs in ");
		if (each) {
			buf_adds(&hint, "each ");
			add_noun(&hint, each);
			buf_adds(&hint, " (");
		}
		buf_addf(&hint, "%s.%s%s", at.ptr, key, each ? ")" : "");
	} else if ((near = near_miss(s, key))) {
		buf_addf(&hint, "; did you mean \"%s\"?", near);
	}
	problem(w, "unknown field \"%s\" in %s%s", key, def ? def : w->m->id.kind, hint.ptr);
	buf_release(&at);
	buf_release(&hint);
}

static void check(struct walk *w, struct json_object *s, const char *def, struct json_object *v);

static void check_fields(struct walk *w, struct json_object *s, const char *def,
                         struct json_object *v)
{
	struct json_object *props = json_value_get(s, "properties");
	struct json_object *required = json_value_get(s, "required");
	bool open = flag(s, "x-kubernetes-preserve-unknown-fields");
	size_t i;

	json_object_object_foreach(v, key, value)
	{
		struct json_object *sub = json_value_get(props, key);
		size_t before;

		if (!value) /* null: unset, as kubectl has it */
			continue;
		before = enter(w, key, 0);
		if (sub)
			check(w, sub, NULL, value);
		else if (!open)
			unknown_field(w, s, def, key, before);
		leave(w, before);
	}
	for (i = 0; i < json_value_array_len(required); i++) {
		const char *name = json_object_get_string(json_object_array_get_idx(required, i));
		if (name && !json_value_get(v, name))
			problem(w, "missing required field \"%s\" in %s", name,
			        def ? def : w->m->id.kind);
	}
}

static void check(struct walk *w, struct json_object *s, const char *def, struct json_object *v)
{
	const char *want = NULL;
	size_t i, before;

	if (!(s = resolve(w->api, s, &def)) || !v)
		return;
	switch (shape(s)) {
	case SHAPE_ANY:
		return;
	case SHAPE_FIELDS:
		if (json_object_is_type(v, json_type_object))
			check_fields(w, s, def, v);
		else
			want = "object";
		break;
	case SHAPE_MAP:
		if (!json_object_is_type(v, json_type_object)) {
			want = "object";
			break;
		}
		json_object_object_foreach(v, key, value)
		{
			before = enter(w, key, 0);
			check(w, json_value_get(s, "additionalProperties"), NULL, value);
			leave(w, before);
		}
		break;
	case SHAPE_ARRAY:
		if (!json_object_is_type(v, json_type_array)) {
			want = "array";
			break;
		}
		for (i = 0; i < json_object_array_length(v); i++) {
			before = enter(w, NULL, i);
			check(w, json_value_get(s, "items"), NULL, json_object_array_get_idx(v, i));
			leave(w, before);
		}
		break;
	case SHAPE_STRING:
		want = string_or_number(s, def);
		if (json_object_is_type(v, json_type_string))
			want = NULL;
		else if (!want)
			want = "string";
		else if (want == int_or_string ? is_integer(v) : is_number(v))
			want = NULL;
		break;
	case SHAPE_INTEGER:
		want = is_integer(v) ? NULL : "integer";
		break;
	case SHAPE_NUMBER:
		want = is_number(v) ? NULL : "number";
		break;
	case SHAPE_BOOLEAN:
		want = json_object_is_type(v, json_type_boolean) ? NULL : "boolean";
		break;
	}
	if (want)
		problem(w, "invalid type: got %s, expected %s", type_name(v), want);
}

/* Definitions the server is built with; the others come from
 * CustomResourceDefinitions and change with them. */
static bool built_in(const char *def)
{
	static const char *const prefixes[] = {
	    "io.k8s.api.",
	    "io.k8s.apimachinery.",
	    "io.k8s.apiextensions-apiserver.",
	    "io.k8s.kube-aggregator.",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (!strncmp(def, prefixes[i], strlen(prefixes[i])))
			return true;
	return false;
}

size_t openapi_validate(struct diagnostics *diags, bool *unsure, const struct openapi *api,
                        const struct manifest_set *set)
{
	struct walk w = {api, diags, NULL, BUF_INIT, 0, 0};
	size_t i;

	for (i = 0; i < set->n; i++) {
		const struct openapi_kind *k = find_kind(api, &set->items[i].id);
		struct json_object *obj = NULL, *schema = k ? definition(api, k->def) : NULL;
		size_t before = w.found;

		if (!schema) {
			*unsure = true;
			continue;
		}
		w.m = &set->items[i];
		manifest_object(&obj, w.m);
		check(&w, schema, k->def, obj);
		json_object_put(obj);
		if (w.found > before && !built_in(k->def))
			*unsure = true;
	}
	buf_release(&w.path);
	return w.found;
}
