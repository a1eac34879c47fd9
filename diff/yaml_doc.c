/* YAML streams to JSON over libyaml: multi-document, anchors bounded, each
 * node's line and column kept. */
#include "yaml_doc.h"
#include "yaml_internal.h"

#include "base/alloc.h"
#include "base/berth_error.h"

#include <errno.h>
#include <stdio.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct anchor {
	char *name;
	struct json_object *value; /* one reference held */
	size_t weight;             /* nodes in value */
};

struct parser {
	yaml_parser_t yaml;
	const char *name;
	struct yaml_limits limits;
	struct anchor *anchors;
	size_t nanchors, anchors_alloc;
	size_t aliased;
	struct yaml_marks *marks; /* NULL: record none */
};

static int fail_at(struct parser *p, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct parser *p, const yaml_mark_t *mark, const char *fmt, ...)
{
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	return berth_error_set("%s:%zu:%zu: %s", p->name, mark->line + 1, mark->column + 1, reason);
}

static int next_event(struct parser *p, yaml_event_t *ev)
{
	if (yaml_parser_parse(&p->yaml, ev))
		return 0;
	if (p->yaml.context)
		return fail_at(p, &p->yaml.problem_mark, "%s %s", p->yaml.problem, p->yaml.context);
	return fail_at(p, &p->yaml.problem_mark, "%s",
	               p->yaml.problem ? p->yaml.problem : "invalid YAML");
}

/* ---- scalar resolution -------------------------------------------------- */

static bool one_of(const char *s, const char *const *set)
{
	for (; *set; set++)
		if (!strcmp(s, *set))
			return true;
	return false;
}

static const char *const null_words[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const true_words[] = {"y",  "Y",  "yes",  "Yes",  "YES",  "on",
                                         "On", "ON", "true", "True", "TRUE", NULL};
static const char *const false_words[] = {"n",   "N",   "no",    "No",    "NO",    "off",
                                          "Off", "OFF", "false", "False", "FALSE", NULL};

/* go's strconv.ParseInt(s without '_', 0, 64): sign, then 0x/0o/0b/0 prefixes. */
static bool parse_int(const char *s, int64_t *out, bool *overflow)
{
	char digits[128];
	size_t n = 0;
	const char *q = s;
	int base = 10;
	bool neg = false;
	uint64_t v = 0, limit;

	*overflow = false;
	if (*q == '+' || *q == '-')
		neg = *q++ == '-';
	for (; *q; q++) {
		if (*q == '_')
			continue;
		if (n + 1 >= sizeof(digits))
			return false;
		digits[n++] = *q;
	}
	digits[n] = '\0';
	q = digits;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X'))
		base = 16, q += 2;
	else if (q[0] == '0' && (q[1] == 'o' || q[1] == 'O'))
		base = 8, q += 2;
	else if (q[0] == '0' && (q[1] == 'b' || q[1] == 'B'))
		base = 2, q += 2;
	else if (q[0] == '0' && q[1])
		base = 8, q += 1;
	if (!*q)
		return false;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *q; q++) {
		int d;
		if (*q >= '0' && *q <= '9')
			d = *q - '0';
		else if (*q >= 'a' && *q <= 'f')
			d = *q - 'a' + 10;
		else if (*q >= 'A' && *q <= 'F')
			d = *q - 'A' + 10;
		else
			return false;
		if (d >= base)
			return false;
		if (v > (limit - (uint64_t)d) / (uint64_t)base)
			*overflow = true;
		else
			v = v * (uint64_t)base + (uint64_t)d;
	}
	if (*overflow)
		return false;
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return true;
}

/* go-yaml v2's float pattern: [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
static bool looks_float(const char *s)
{
	const char *q = s;
	size_t ip = 0, fp = 0;

	if (*q == '+' || *q == '-')
		q++;
	while (*q >= '0' && *q <= '9')
		q++, ip++;
	if (*q == '.') {
		q++;
		while (*q >= '0' && *q <= '9')
			q++, fp++;
		if (!ip && !fp)
			return false;
	} else if (!ip) {
		return false;
	}
	if (*q == 'e' || *q == 'E') {
		size_t ep = 0;
		q++;
		if (*q == '+' || *q == '-')
			q++;
		while (*q >= '0' && *q <= '9')
			q++, ep++;
		if (!ep)
			return false;
	}
	return *q == '\0';
}

static bool special_float(const char *s, double *out)
{
	static const char *const inf[] = {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", NULL};
	static const char *const ninf[] = {"-.inf", "-.Inf", "-.INF", NULL};
	static const char *const nan[] = {".nan", ".NaN", ".NAN", NULL};

	if (one_of(s, inf))
		*out = INFINITY;
	else if (one_of(s, ninf))
		*out = -INFINITY;
	else if (one_of(s, nan))
		*out = NAN;
	else
		return false;
	return true;
}

/* Resolve a plain scalar to a new json value; never NULL except for null. */
struct json_object *yaml_resolve_plain(const char *s, bool *is_null)
{
	int64_t i;
	double d;
	bool overflow;

	*is_null = false;
	/* Every null, boolean or special float word has at most 6 characters,
	 * and starts with one of these (or is empty). */
	if (strlen(s) > 6 || (*s && !strchr("~nNyYtTfFoO.+-", *s)))
		goto number;
	if (one_of(s, null_words)) {
		*is_null = true;
		return NULL;
	}
	if (one_of(s, true_words))
		return json_object_new_boolean(1);
	if (one_of(s, false_words))
		return json_object_new_boolean(0);
	if (special_float(s, &d))
		return json_object_new_double(d);
number:
	/* go-yaml tries a number only for a digit, a sign or a dot first. */
	if (!((*s >= '0' && *s <= '9') || *s == '+' || *s == '-' || *s == '.'))
		return json_object_new_string(s);
	if (parse_int(s, &i, &overflow))
		return json_object_new_int64(i);
	{
		/* go-yaml drops underscores before it tries a number. */
		char plain[128];
		size_t n = 0;
		const char *q;
		char *end;

		for (q = s; *q && n + 1 < sizeof(plain); q++)
			if (*q != '_')
				plain[n++] = *q;
		plain[n] = '\0';
		if (!*q && (looks_float(plain) || overflow)) {
			d = strtod(plain, &end);
			if (*end == '\0')
				return json_object_new_double(d);
		}
	}
	return json_object_new_string(s);
}

static bool tag_is(const yaml_char_t *tag, const char *suffix)
{
	static const char prefix[] = "tag:yaml.org,2002:";

	return tag && !strncmp((const char *)tag, prefix, sizeof(prefix) - 1) &&
	       !strcmp((const char *)tag + sizeof(prefix) - 1, suffix);
}

static int resolve_scalar(struct json_object **out, struct parser *p, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	const yaml_char_t *tag = ev->data.scalar.tag;
	struct json_object *v;
	bool is_null;

	if (strlen(s) != ev->data.scalar.length)
		return fail_at(p, &ev->start_mark, "scalar contains a NUL character");
	if (tag_is(tag, "str") || tag_is(tag, "binary") ||
	    (!tag && ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)) {
		*out = json_object_new_string_len(s, (int)ev->data.scalar.length);
		return 0;
	}
	v = yaml_resolve_plain(s, &is_null);
	if (tag_is(tag, "null") && !is_null) {
		json_object_put(v);
		return fail_at(p, &ev->start_mark, "cannot decode '%s' as !!null", s);
	}
	if ((tag_is(tag, "int") && !json_object_is_type(v, json_type_int)) ||
	    (tag_is(tag, "bool") && !json_object_is_type(v, json_type_boolean))) {
		json_object_put(v);
		return fail_at(p, &ev->start_mark, "cannot decode '%s' as %s", s,
		               (const char *)tag);
	}
	if (tag_is(tag, "float") && json_object_is_type(v, json_type_int)) {
		double d = (double)json_object_get_int64(v);
		json_object_put(v);
		v = json_object_new_double(d);
	} else if (tag_is(tag, "float") && !json_object_is_type(v, json_type_double)) {
		json_object_put(v);
		return fail_at(p, &ev->start_mark, "cannot decode '%s' as !!float", s);
	}
	*out = v;
	return 0;
}

/* ---- tree building ------------------------------------------------------ */

static size_t weight_of(struct json_object *v)
{
	size_t w = 1;

	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			w += weight_of(json_object_array_get_idx(v, i));
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child)
		{
			(void)key;
			w += weight_of(child);
		}
	}
	return w;
}

static void add_anchor(struct parser *p, const yaml_char_t *name, struct json_object *v)
{
	struct anchor *a;

	p->anchors = xgrow(p->anchors, sizeof(*p->anchors), p->nanchors + 1, &p->anchors_alloc);
	a = &p->anchors[p->nanchors++];
	a->name = xstrdup((const char *)name);
	a->value = json_object_get(v);
	a->weight = weight_of(v);
}

static void release_anchors(struct parser *p)
{
	size_t i;

	for (i = 0; i < p->nanchors; i++) {
		free(p->anchors[i].name);
		json_object_put(p->anchors[i].value);
	}
	p->nanchors = 0;
}

static int expand_alias(struct json_object **out, struct parser *p, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	size_t i;

	for (i = p->nanchors; i-- > 0;) {
		struct anchor *a = &p->anchors[i];
		if (strcmp(a->name, name))
			continue;
		p->aliased += a->weight;
		if (p->aliased > p->limits.max_aliased)
			return fail_at(p, &ev->start_mark,
			               "alias '*%s' expands past the limit of %zu nodes", name,
			               p->limits.max_aliased);
		/* A copy, so later edits of one place never show up in another. */
		*out = NULL;
		if (a->value && json_object_deep_copy(a->value, out, NULL) != 0)
			return fail_at(p, &ev->start_mark, "cannot copy alias '*%s'", name);
		return 0;
	}
	return fail_at(p, &ev->start_mark, "unknown anchor '*%s'", name);
}

static int parse_node(struct json_object **out, struct parser *p, yaml_event_t *ev, size_t depth);

static int merge_into(struct parser *p, struct json_object *map, struct json_object *src,
                      const yaml_mark_t *mark)
{
	if (json_object_is_type(src, json_type_array)) {
		size_t i, n = json_object_array_length(src);
		for (i = 0; i < n; i++) {
			struct json_object *e = json_object_array_get_idx(src, i);
			if (!json_object_is_type(e, json_type_object))
				return fail_at(p, mark,
				               "'<<' needs a mapping or a list of mappings");
			if (merge_into(p, map, e, mark) < 0)
				return -1;
		}
		return 0;
	}
	if (!json_object_is_type(src, json_type_object))
		return fail_at(p, mark, "'<<' needs a mapping or a list of mappings");
	json_object_object_foreach(src, key, value)
	{
		if (!json_object_object_get_ex(map, key, NULL))
			json_object_object_add(map, key, json_object_get(value));
	}
	return 0;
}

/*
 * The JSON key for a scalar mapping key, as sigs.k8s.io/yaml makes it: a
 * plain key resolving to a boolean or number becomes its string form. *name
 * is the event's own text, or a new string the caller frees.
 */
static int key_string(char **name, struct parser *p, const yaml_event_t *key)
{
	struct json_object *v;
	struct buf b = BUF_INIT;

	if (resolve_scalar(&v, p, key) < 0)
		return -1;
	switch (json_object_get_type(v)) {
	case json_type_null:
		return fail_at(p, &key->start_mark, "a mapping key may not be null");
	case json_type_string:
		break;
	case json_type_boolean:
		*name = xstrdup(json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
		buf_addf(&b, "%lld", (long long)json_object_get_int64(v));
		*name = buf_detach(&b, NULL);
		break;
	default: {
		/* Go formats float keys with 'g' at float32 precision. */
		double d = json_object_get_double(v);
		if (isnan(d))
			*name = xstrdup(".nan");
		else if (isinf(d))
			*name = xstrdup(d > 0 ? ".inf" : "-.inf");
		else {
			int prec;
			for (prec = 1; prec < 9; prec++) {
				char tmp[48];
				snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
				if ((float)strtod(tmp, NULL) == (float)d)
					break;
			}
			buf_addf(&b, "%.*g", prec, d);
			*name = buf_detach(&b, NULL);
		}
	}
	}
	json_object_put(v);
	return 0;
}

static int parse_mapping(struct json_object **out, struct parser *p, size_t depth)
{
	struct json_object *map = json_object_new_object(), *merges = json_object_new_array();
	struct json_object *value = NULL;
	yaml_mark_t merge_mark = {0, 0, 0};
	yaml_event_t key;
	int error = 0;
	bool have_key = false;

	for (;;) {
		bool merge;
		char *name;

		if ((error = next_event(p, &key)) < 0)
			goto out;
		have_key = true;
		if (key.type == YAML_MAPPING_END_EVENT)
			break;
		if (key.type != YAML_SCALAR_EVENT) {
			error = fail_at(p, &key.start_mark, "mapping keys must be scalars");
			goto out;
		}
		name = (char *)key.data.scalar.value;
		merge = !strcmp(name, "<<") && key.data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
		if (!merge && (error = key_string(&name, p, &key)) < 0)
			goto out;
		if (!merge && json_object_object_get_ex(map, name, NULL)) {
			error = fail_at(p, &key.start_mark, "duplicate key '%s'", name);
			if (name != (char *)key.data.scalar.value)
				free(name);
			goto out;
		}
		{
			yaml_event_t vev;
			size_t marked = p->marks ? p->marks->n : 0;

			if ((error = next_event(p, &vev)) < 0) {
				if (name != (char *)key.data.scalar.value)
					free(name);
				goto out;
			}
			error = parse_node(&value, p, &vev, depth + 1);
			yaml_event_delete(&vev);
			if (error < 0) {
				if (name != (char *)key.data.scalar.value)
					free(name);
				goto out;
			}
			/* A merge value is freed once merged: forget its marks. */
			if (merge && p->marks)
				p->marks->n = marked;
			/* The value's own mark comes last: give it its key's place. */
			if (!merge && p->marks && p->marks->n > marked &&
			    p->marks->items[p->marks->n - 1].node == value) {
				p->marks->items[p->marks->n - 1].key_line = key.start_mark.line + 1;
				p->marks->items[p->marks->n - 1].key_column =
				    key.start_mark.column + 1;
			}
		}
		if (merge) {
			merge_mark = key.start_mark;
			json_object_array_add(merges, value);
		} else {
			/* New: a duplicate was refused above. */
			json_object_object_add_ex(map, name, value, JSON_C_OBJECT_ADD_KEY_IS_NEW);
		}
		value = NULL;
		if (name != (char *)key.data.scalar.value)
			free(name);
		yaml_event_delete(&key);
		have_key = false;
	}
	/* Explicit keys win over merged ones, and earlier merges over later. */
	{
		size_t i, n = json_object_array_length(merges);
		for (i = 0; i < n; i++)
			if ((error = merge_into(p, map, json_object_array_get_idx(merges, i),
			                        &merge_mark)) < 0)
				goto out;
	}
	*out = map;
	map = NULL;
out:
	if (have_key)
		yaml_event_delete(&key);
	json_object_put(value);
	json_object_put(merges);
	json_object_put(map);
	return error;
}

static int parse_sequence(struct json_object **out, struct parser *p, size_t depth)
{
	struct json_object *seq = json_object_new_array(), *value;
	yaml_event_t ev;
	int error;

	for (;;) {
		if ((error = next_event(p, &ev)) < 0)
			goto out;
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		error = parse_node(&value, p, &ev, depth + 1);
		yaml_event_delete(&ev);
		if (error < 0)
			goto out;
		json_object_array_add(seq, value);
	}
	*out = seq;
	seq = NULL;
out:
	json_object_put(seq);
	return error;
}

/* Build the node that starts with `ev` (which the caller still owns). */
static int parse_node(struct json_object **out, struct parser *p, yaml_event_t *ev, size_t depth)
{
	struct json_object *v = NULL;
	const yaml_char_t *anchor = NULL;
	int error;

	if (depth > p->limits.max_depth)
		return fail_at(p, &ev->start_mark, "nested deeper than the limit of %zu",
		               p->limits.max_depth);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return expand_alias(out, p, ev);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		error = resolve_scalar(&v, p, ev);
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		error = parse_sequence(&v, p, depth);
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		error = parse_mapping(&v, p, depth);
		break;
	default:
		return fail_at(p, &ev->start_mark, "unexpected YAML event");
	}
	if (error < 0)
		return error;
	if (anchor)
		add_anchor(p, anchor, v);
	if (v && p->marks && depth <= p->marks->max_depth) {
		struct yaml_marks *m = p->marks;
		m->items = xgrow(m->items, sizeof(*m->items), m->n + 1, &m->alloc);
		m->items[m->n].node = v;
		m->items[m->n].line = ev->start_mark.line + 1;
		m->items[m->n].column = ev->start_mark.column + 1;
		m->items[m->n].key_line = m->items[m->n].key_column = 0;
		m->n++;
	}
	*out = v;
	return 0;
}

void yaml_marks_release(struct yaml_marks *marks)
{
	free(marks->items);
	marks->items = NULL;
	marks->n = marks->alloc = 0;
}

static int cmp_marks(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct yaml_mark *)a)->node;
	uintptr_t y = (uintptr_t)((const struct yaml_mark *)b)->node;

	return x < y ? -1 : x > y;
}

static const struct yaml_mark *mark_of(const struct yaml_marks *marks,
                                       const struct json_object *node)
{
	struct yaml_mark key = {node, 0, 0, 0, 0};

	/* yaml_parse leaves the marks sorted by node. */
	return marks->n ? bsearch(&key, marks->items, marks->n, sizeof(key), cmp_marks) : NULL;
}

int yaml_marks_find(size_t *line, size_t *column, const struct yaml_marks *marks,
                    const struct json_object *node)
{
	const struct yaml_mark *m = mark_of(marks, node);

	if (!m)
		return BERTH_ENOTFOUND;
	*line = m->line;
	*column = m->column;
	return 0;
}

int yaml_marks_find_field(size_t *line, size_t *column, const struct yaml_marks *marks,
                          const struct json_object *node)
{
	const struct yaml_mark *m = mark_of(marks, node);

	if (!m)
		return BERTH_ENOTFOUND;
	*line = m->key_line ? m->key_line : m->line;
	*column = m->key_line ? m->key_column : m->column;
	return 0;
}

int yaml_parse_each(const char *name, const char *data, size_t len,
                    const struct yaml_limits *limits, struct yaml_marks *marks,
                    yaml_document_fn *fn, void *ctx)
{
	struct yaml_limits defaults = YAML_LIMITS_INIT;
	struct parser p;
	struct json_object *doc = NULL;
	yaml_event_t ev;
	bool have_ev = false;
	size_t index = 0;
	int error = 0;

	memset(&p, 0, sizeof(p));
	p.name = name;
	p.limits = limits ? *limits : defaults;
	p.marks = marks;
	if (!yaml_parser_initialize(&p.yaml))
		return berth_error_set("%s: cannot initialise the YAML parser", name);
	yaml_parser_set_input_string(&p.yaml, (const unsigned char *)data, len);

	for (;;) {
		if ((error = next_event(&p, &ev)) < 0)
			goto out;
		have_ev = true;
		if (ev.type == YAML_STREAM_END_EVENT)
			break;
		if (ev.type == YAML_DOCUMENT_START_EVENT) {
			yaml_event_t node;
			if ((error = next_event(&p, &node)) < 0)
				goto out;
			if (node.type != YAML_DOCUMENT_END_EVENT)
				error = parse_node(&doc, &p, &node, 0);
			yaml_event_delete(&node);
			if (error < 0)
				goto out;
			/* Kubernetes decodes each document on its own: an alias
			 * never reaches into another document. */
			release_anchors(&p);
			if (marks && marks->n)
				qsort(marks->items, marks->n, sizeof(*marks->items), cmp_marks);
			error = fn(doc, index++, ctx);
			json_object_put(doc);
			doc = NULL;
			if (marks)
				marks->n = 0; /* they name nodes of the document just freed */
			if (error < 0)
				goto out;
		}
		yaml_event_delete(&ev);
		have_ev = false;
	}
out:
	if (have_ev)
		yaml_event_delete(&ev);
	release_anchors(&p);
	free(p.anchors);
	yaml_parser_delete(&p.yaml);
	return error;
}

/* yaml_parse() keeps every document, with the marks of all of them. */
struct collect {
	struct json_object *docs;
	struct yaml_marks *marks, kept;
};

static int collect_document(struct json_object *doc, size_t index, void *ctx)
{
	struct collect *c = ctx;
	size_t i;

	(void)index;
	json_object_array_add(c->docs, json_object_get(doc));
	for (i = 0; c->marks && i < c->marks->n; i++) {
		c->kept.items =
		    xgrow(c->kept.items, sizeof(*c->kept.items), c->kept.n + 1, &c->kept.alloc);
		c->kept.items[c->kept.n++] = c->marks->items[i];
	}
	return 0;
}

int yaml_parse(struct json_object **out, const char *name, const char *data, size_t len,
               const struct yaml_limits *limits, struct yaml_marks *marks)
{
	struct collect c = {json_object_new_array(), marks, YAML_MARKS_INIT(0)};
	int error = yaml_parse_each(name, data, len, limits, marks, collect_document, &c);

	if (marks) {
		/* Hand the marks of every document back, sorted as one. */
		free(marks->items);
		marks->items = c.kept.items;
		marks->n = c.kept.n;
		marks->alloc = c.kept.alloc;
		if (marks->n)
			qsort(marks->items, marks->n, sizeof(*marks->items), cmp_marks);
	}
	if (error < 0) {
		json_object_put(c.docs);
		return error;
	}
	*out = c.docs;
	return 0;
}
