/* Helpers over json-c: lookups, paths, comparison by value, and JSON
 * written as Go's encoding/json writes it. */
#include "json_value.h"

#include "alloc.h"
#include "berth_error.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *json_value_get_string(struct json_object *obj, const char *key)
{
	struct json_object *v = json_value_get(obj, key);

	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

size_t json_value_array_len(struct json_object *v)
{
	return json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;
}

/* The key of a ["..."] step at p (after its '['), unescaped, into `key`;
 * returns where the step ends (after its ']'). */
static const char *quoted_key(struct buf *key, const char *p)
{
	for (p++; *p && *p != '"'; p++) {
		if (*p == '\\' && p[1])
			p++;
		buf_addch(key, *p);
	}
	if (*p == '"')
		p++;
	return *p == ']' ? p + 1 : p;
}

struct json_object *json_value_path_step(struct json_object *at, const char **path, bool *present)
{
	const char *p = *path;
	size_t n = strcspn(p, ".[");
	bool found = true;

	if (n) {
		char *key = xstrndup(p, n);
		found = json_object_is_type(at, json_type_object) &&
		        json_object_object_get_ex(at, key, &at);
		free(key);
	}
	p += n;
	while (found && *p == '[') {
		size_t i;

		if (p[1] == '"') {
			struct buf key = BUF_INIT;

			p = quoted_key(&key, p + 1);
			found = json_object_is_type(at, json_type_object) &&
			        json_object_object_get_ex(at, key.ptr, &at);
			buf_release(&key);
			continue;
		}
		i = strtoul(p + 1, NULL, 10);
		found = at && i < json_value_array_len(at);
		at = found ? json_object_array_get_idx(at, i) : NULL;
		p += strcspn(p, "]");
		if (*p == ']')
			p++;
	}
	if (found && *p == '.')
		p++;
	*path = p;
	if (present)
		*present = found;
	return found ? at : NULL;
}

void json_value_path_add_key(struct buf *path, const char *key)
{
	const char *k;

	if (*key && !key[strcspn(key, ".[]\"\\")]) {
		buf_addf(path, "%s%s", path->len ? "." : "", key);
		return;
	}
	buf_adds(path, "[\"");
	for (k = key; *k; k++) {
		if (*k == '"' || *k == '\\')
			buf_addch(path, '\\');
		buf_addch(path, *k);
	}
	buf_adds(path, "\"]");
}

struct json_object *json_value_get(struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_is_type(obj, json_type_object) || !json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

/* The exponent of "%e" output, after the 'e': a sign and digits. */
static int atoi_exp(const char *s)
{
	int sign = 1, v = 0;

	if (*s == '-' || *s == '+')
		sign = *s++ == '-' ? -1 : 1;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return sign * v;
}

static void write_string(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	buf_grow(out, len + 2);
	buf_addch(out, '"');
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *escape = NULL;

		switch (c) {
		case '"':
			escape = "\\\"";
			break;
		case '\\':
			escape = "\\\\";
			break;
		case '\b': /* Go 1.22 and later: kubectl 1.32's kustomize */
			escape = "\\b";
			break;
		case '\f':
			escape = "\\f";
			break;
		case '\n':
			escape = "\\n";
			break;
		case '\r':
			escape = "\\r";
			break;
		case '\t':
			escape = "\\t";
			break;
		case '<':
		case '>':
		case '&':
			break;
		default:
			/* U+2028 and U+2029 (e2 80 a8/a9) break JavaScript. */
			if (c == 0xe2 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
			    ((unsigned char)s[i + 2] & 0xfe) == 0xa8) {
				buf_add(out, s + run, i - run);
				buf_adds(out,
				         (unsigned char)s[i + 2] == 0xa8 ? "\\u2028" : "\\u2029");
				i += 2;
				run = i + 1;
				continue;
			}
			if (c >= 0x20)
				continue; /* part of the plain run */
		}
		/* Flush the plain run, then the escape. */
		buf_add(out, s + run, i - run);
		run = i + 1;
		if (escape) {
			buf_adds(out, escape);
		} else {
			buf_adds(out, "\\u00");
			buf_addch(out, hex[c >> 4]);
			buf_addch(out, hex[c & 15]);
		}
	}
	buf_add(out, s + run, len - run);
	buf_addch(out, '"');
}

/* Go's strconv.FormatFloat(d, 'f' or 'e', -1, 64), as encoding/json uses it:
 * the shortest digits that read back as d, in fixed notation for
 * 1e-6 <= |d| < 1e21, else as d.ddde-7 / d.ddde+21. */
static int write_double(struct buf *out, double d)
{
	char e[40], digits[24];
	size_t n = 0, i;
	int prec, exp10;
	const char *p;

	if (isnan(d) || isinf(d))
		return berth_error_set("%s cannot be written as JSON",
		                       isnan(d) ? "NaN" : "infinity");
	for (prec = 0; prec < 17; prec++) {
		snprintf(e, sizeof(e), "%.*e", prec, d);
		if (strtod(e, NULL) == d)
			break;
	}
	if (d != 0 && (fabs(d) < 1e-6 || fabs(d) >= 1e21)) {
		char *x = strchr(e, 'e');
		/* Go writes e-07 as e-7, but keeps e+21. */
		if (x && x[1] == '-' && x[2] == '0')
			memmove(x + 2, x + 3, strlen(x + 3) + 1);
		buf_adds(out, e);
		return 0;
	}
	p = e;
	if (*p == '-') {
		buf_addch(out, '-');
		p++;
	}
	for (; *p != 'e'; p++)
		if (*p != '.')
			digits[n++] = *p;
	exp10 = atoi_exp(p + 1);
	while (n > 1 && digits[n - 1] == '0')
		n--;
	if (exp10 < 0) {
		buf_adds(out, "0.");
		for (i = 0; i < (size_t)(-exp10 - 1); i++)
			buf_addch(out, '0');
		buf_add(out, digits, n);
		return 0;
	}
	for (i = 0; i <= (size_t)exp10; i++)
		buf_addch(out, i < n ? digits[i] : '0');
	if (n > (size_t)exp10 + 1) {
		buf_addch(out, '.');
		buf_add(out, digits + exp10 + 1, n - (size_t)exp10 - 1);
	}
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

int json_value_write(struct buf *out, struct json_object *value)
{
	char num[32];

	switch (json_object_get_type(value)) {
	case json_type_null:
		buf_adds(out, "null");
		return 0;
	case json_type_boolean:
		buf_adds(out, json_object_get_boolean(value) ? "true" : "false");
		return 0;
	case json_type_int:
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(value));
		buf_adds(out, num);
		return 0;
	case json_type_double:
		return write_double(out, json_object_get_double(value));
	case json_type_string:
		write_string(out, json_object_get_string(value),
		             (size_t)json_object_get_string_len(value));
		return 0;
	case json_type_array: {
		size_t i, n = json_object_array_length(value);
		buf_addch(out, '[');
		for (i = 0; i < n; i++) {
			if (i)
				buf_addch(out, ',');
			if (json_value_write(out, json_object_array_get_idx(value, i)) < 0)
				return -1;
		}
		buf_addch(out, ']');
		return 0;
	}
	case json_type_object: {
		size_t i = 0, n = (size_t)json_object_object_length(value);
		const char **keys = xcalloc(n, sizeof(*keys));
		int error = 0;

		json_object_object_foreach(value, key, child)
		{
			(void)child;
			keys[i++] = key;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		buf_addch(out, '{');
		for (i = 0; i < n && !error; i++) {
			if (i)
				buf_addch(out, ',');
			write_string(out, keys[i], strlen(keys[i]));
			buf_addch(out, ':');
			error = json_value_write(out, json_object_object_get(value, keys[i]));
		}
		buf_addch(out, '}');
		free(keys);
		return error;
	}
	}
	return -1;
}

static bool is_number(struct json_object *v)
{
	return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
}

bool json_value_equal(struct json_object *a, struct json_object *b)
{
	enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

	if (is_number(a) && is_number(b)) {
		if (ta == json_type_int && tb == json_type_int)
			return json_object_get_int64(a) == json_object_get_int64(b);
		return json_object_get_double(a) == json_object_get_double(b);
	}
	if (ta != tb)
		return false;
	switch (ta) {
	case json_type_null:
		return true;
	case json_type_boolean:
		return json_object_get_boolean(a) == json_object_get_boolean(b);
	case json_type_string:
		return json_object_get_string_len(a) == json_object_get_string_len(b) &&
		       !memcmp(json_object_get_string(a), json_object_get_string(b),
		               (size_t)json_object_get_string_len(a));
	case json_type_array: {
		size_t i, n = json_object_array_length(a);
		if (n != json_object_array_length(b))
			return false;
		for (i = 0; i < n; i++)
			if (!json_value_equal(json_object_array_get_idx(a, i),
			                      json_object_array_get_idx(b, i)))
				return false;
		return true;
	}
	case json_type_object: {
		if (json_object_object_length(a) != json_object_object_length(b))
			return false;
		json_object_object_foreach(a, key, va)
		{
			struct json_object *vb;
			if (!json_object_object_get_ex(b, key, &vb) || !json_value_equal(va, vb))
				return false;
		}
		return true;
	}
	default:
		return false;
	}
}

struct json_object *json_value_copy(struct json_object *value)
{
	struct json_object *copy = NULL;

	if (value && json_object_deep_copy(value, &copy, NULL) != 0)
		BERTH_ASSERT(!"json_object_deep_copy failed");
	return copy;
}

/* Parse with a tokener of `depth` levels; *too_deep tells when that was
 * not enough. */
static struct json_object *parse_with_depth(const char *text, size_t len, int depth, bool *too_deep)
{
	struct json_tokener *tok = json_tokener_new_ex(depth);
	struct json_object *v;

	BERTH_ASSERT(tok);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	v = json_tokener_parse_ex(tok, text, (int)len);
	*too_deep = json_tokener_get_error(tok) == json_tokener_error_depth;
	if (json_tokener_get_error(tok) != json_tokener_success || tok->char_offset != (int)len) {
		/* json-c's reason; never the text, which may hold a secret. */
		if (json_tokener_get_error(tok) != json_tokener_success)
			berth_error_set("%s at byte %d",
			                json_tokener_error_desc(json_tokener_get_error(tok)),
			                tok->char_offset);
		else
			berth_error_set("text after the JSON value at byte %d", tok->char_offset);
		json_object_put(v);
		v = NULL;
	}
	json_tokener_free(tok);
	return v;
}

struct json_object *json_value_parse(const char *text, size_t len)
{
	bool too_deep;
	/* A tokener's stack costs 32 bytes a level, allocated and cleared on
	 * every parse: try a shallow one first (most objects nest less than
	 * this), and go deeper than YAML_LIMITS_INIT allows only when needed,
	 * so whatever berth loaded reads back. */
	struct json_object *v = parse_with_depth(text, len, 24, &too_deep);

	return too_deep ? parse_with_depth(text, len, 1024, &too_deep) : v;
}

/* What a container is, for json_value_strip_managed_fields. */
enum strip_tag {
	TAG_OTHER,
	TAG_ROOT,  /* the object itself */
	TAG_ITEMS, /* the root's "items" */
	TAG_ITEM,  /* an object in "items", or a watch event's "object" */
	TAG_META,  /* the "metadata" of the root or of an item */
};

#define STRIP_MAX_DEPTH 1100

/* Skip the string starting at text[i] ('"'); returns the index after it.
 * Its end is the first '"' after an even number of backslashes. */
static size_t skip_string(const char *text, size_t len, size_t i)
{
	size_t from = i + 1, at, n;
	const char *q;

	while (from < len && (q = memchr(text + from, '"', len - from))) {
		at = (size_t)(q - text);
		for (n = 0; at - n > i + 1 && text[at - n - 1] == '\\'; n++)
			;
		if (n % 2 == 0)
			return at + 1;
		from = at + 1;
	}
	return len;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
}

/* The index of the first character at or after text[i] that is not JSON
 * whitespace. */
static size_t skip_space(const char *text, size_t len, size_t i)
{
	while (i < len && is_space(text[i]))
		i++;
	return i;
}

/* Skip the value starting at text[i]; returns the index after it. */
static size_t skip_value(const char *text, size_t len, size_t i)
{
	size_t depth = 0;

	do {
		if (text[i] == '"') {
			i = skip_string(text, len, i);
			continue;
		}
		if (text[i] == '{' || text[i] == '[')
			depth++;
		else if (text[i] == '}' || text[i] == ']')
			depth--;
		i++;
	} while (i < len && (depth || (text[i] != ',' && text[i] != '}' && text[i] != ']')));
	return i;
}

static bool key_is(const char *text, size_t start, size_t end, const char *name)
{
	size_t n = strlen(name);

	return end - start == n + 2 && !memcmp(text + start + 1, name, n);
}

/* Does text[start, end) hold `s` as a JSON string, "s" (memmem() is
 * GNU's)? */
static bool holds(const char *text, size_t start, size_t end, const char *s)
{
	size_t n = strlen(s);

	for (; start + n + 2 <= end; start++)
		if (text[start] == '"' && text[start + n + 1] == '"' &&
		    !memcmp(text + start + 1, s, n))
			return true;
	return false;
}

/* Is the managedFields entry text[start, end) manager `keep`'s, by Apply? */
static bool kept_entry(const char *text, size_t start, size_t end, const char *keep)
{
	struct json_object *entry;
	const char *manager, *operation;
	bool yes;

	/* Most entries are other managers', or `keep`'s updates: skip them
	 * without parsing. */
	if (!holds(text, start, end, keep) || !holds(text, start, end, "Apply"))
		return false;
	entry = json_value_parse(text + start, end - start);
	manager = json_value_get_string(entry, "manager");
	operation = json_value_get_string(entry, "operation");
	yes = manager && operation && !strcmp(manager, keep) && !strcmp(operation, "Apply");
	json_object_put(entry);
	return yes;
}

/* Copy the entries of the managedFields list at text[*r] ('[') that
 * kept_entry() keeps to text[*w], as a list, and move *r past the list;
 * returns how many were kept (none: *w is left as it was). */
static size_t keep_entries(char *text, size_t len, size_t *r, size_t *w, const char *keep)
{
	size_t out = *w, kept = 0, start, end;

	text[out++] = '[';
	for ((*r)++; *r < len && text[*r] != ']';) {
		*r = skip_space(text, len, *r);
		if (*r >= len || text[*r] == ']')
			break;
		start = *r;
		end = *r = skip_value(text, len, *r);
		if (kept_entry(text, start, end, keep)) {
			if (kept++)
				text[out++] = ',';
			memmove(text + out, text + start, end - start);
			out += end - start;
		}
		if (*r < len && text[*r] == ',')
			(*r)++;
	}
	*r += *r < len;
	if (kept) {
		text[out++] = ']';
		*w = out;
	}
	return kept;
}

/* json_value_strip_managed_fields(); with `event`, the text is a watch
 * event, whose root "object" is stripped as a LIST's items are. */
static size_t strip(char *text, size_t len, const char *keep, bool event)
{
	unsigned char tags[STRIP_MAX_DEPTH];
	bool objects[STRIP_MAX_DEPTH];
	size_t depth = 0, r = 0, w = 0, key = 0, key_end = 0;
	bool want_key = false;

	while (r < len) {
		char ch = text[r];

		if (is_space(ch)) {
			r++;
		} else if (ch == '"') {
			size_t end = skip_string(text, len, r);

			if (want_key) {
				key = w;
				key_end = w + (end - r);
				want_key = false;
			}
			memmove(text + w, text + r, end - r);
			w += end - r;
			r = end;
		} else if (ch == ':' && depth && tags[depth - 1] == TAG_META &&
		           key_is(text, key, key_end, "managedFields")) {
			r = skip_space(text, len, r + 1);
			/* Keep `keep`'s Apply entries: after the key, ":[" and them. */
			text[w++] = ':';
			if (keep && r < len && text[r] == '[') {
				if (keep_entries(text, len, &r, &w, keep))
					continue;
			} else {
				r = r < len ? skip_value(text, len, r) : len;
			}
			/* None kept: drop the member and one comma next to it. */
			r = skip_space(text, len, r);
			w = key;
			if (r < len && text[r] == ',') {
				r++;
				want_key = true;
			} else if (w && text[w - 1] == ',') {
				w--;
			}
		} else if (ch == '{' || ch == '[') {
			unsigned char tag = TAG_OTHER, parent = depth ? tags[depth - 1] : TAG_OTHER;

			if (depth >= STRIP_MAX_DEPTH)
				return len; /* too deep to be parsed anyway */
			if (!depth && ch == '{')
				tag = TAG_ROOT;
			else if (parent == TAG_ROOT && ch == '[' &&
			         key_is(text, key, key_end, "items"))
				tag = TAG_ITEMS;
			else if (parent == TAG_ITEMS && ch == '{')
				tag = TAG_ITEM;
			else if (event && parent == TAG_ROOT && ch == '{' &&
			         key_is(text, key, key_end, "object"))
				tag = TAG_ITEM;
			else if ((parent == TAG_ROOT || parent == TAG_ITEM) && ch == '{' &&
			         key_is(text, key, key_end, "metadata"))
				tag = TAG_META;
			tags[depth] = tag;
			objects[depth++] = ch == '{';
			want_key = ch == '{';
			text[w++] = text[r++];
		} else {
			if ((ch == '}' || ch == ']') && depth)
				depth--;
			want_key = ch == ',' && depth && objects[depth - 1];
			text[w++] = text[r++];
		}
	}
	return w;
}

size_t json_value_strip_managed_fields(char *text, size_t len, const char *keep)
{
	return strip(text, len, keep, false);
}

size_t json_value_strip_event_managed_fields(char *text, size_t len, const char *keep)
{
	return strip(text, len, keep, true);
}

bool json_value_member_span(const char *text, size_t len, const char *name, size_t *start,
                            size_t *end)
{
	size_t i = skip_space(text, len, 0), key;

	if (i >= len || text[i] != '{')
		return false;
	for (i = skip_space(text, len, i + 1); i < len && text[i] == '"';) {
		key = i;
		i = skip_space(text, len, skip_string(text, len, i));
		if (i >= len || text[i] != ':')
			return false;
		*start = i = skip_space(text, len, i + 1);
		if (i >= len)
			return false;
		*end = i = skip_value(text, len, i);
		if (key_is(text, key, skip_string(text, len, key), name))
			return true;
		i = skip_space(text, len, i);
		if (i >= len || text[i] != ',')
			return false;
		i = skip_space(text, len, i + 1);
	}
	return false;
}
