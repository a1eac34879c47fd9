#include "kustomize_generate.h"

#include "base/alloc.h"
#include "base/base64.h"
#include "base/berth_error.h"
#include "base/buf.h"
#include "base/digest.h"
#include "base/json_value.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* kyaml wraps a base64 value in lines of 70 characters, each ended with a
 * newline, once it is longer than one line; the hash sees the newlines. */
#define BASE64_LINE 70

/* Longer env file lines stop Go's bufio.Scanner, and so kustomize. */
#define ENV_LINE_MAX (64 * 1024)

static const char *kind_name(const struct kustomize_generator *gen)
{
	return gen->kind == KUSTOMIZE_SECRET ? "secret" : "configmap";
}

int kustomize_behavior_parse(enum kustomize_behavior *out, const char *s)
{
	if (!s || !*s || !strcmp(s, "create"))
		*out = KUSTOMIZE_BEHAVIOR_CREATE;
	else if (!strcmp(s, "merge"))
		*out = KUSTOMIZE_BEHAVIOR_MERGE;
	else if (!strcmp(s, "replace"))
		*out = KUSTOMIZE_BEHAVIOR_REPLACE;
	else
		return berth_error_set("behavior '%s': not create, merge or replace", s);
	return 0;
}

/* Go's utf8.Valid: NUL is a character too. */
static bool valid_utf8(const char *s, size_t len)
{
	size_t i = 0, n;

	while (i < len) {
		if (!s[i]) {
			i++;
			continue;
		}
		n = utf8_char(s + i);
		if (!n || n > len - i)
			return false;
		i += n;
	}
	return true;
}

static void add_base64(struct buf *out, const char *data, size_t len)
{
	struct buf b64 = BUF_INIT;
	size_t i;

	base64_encode(&b64, data, len);
	if (b64.len < BASE64_LINE) {
		buf_add(out, b64.ptr, b64.len);
	} else {
		for (i = 0; i < b64.len; i += BASE64_LINE) {
			buf_add(out, b64.ptr + i,
			        b64.len - i < BASE64_LINE ? b64.len - i : BASE64_LINE);
			buf_addch(out, '\n');
		}
	}
	buf_release(&b64);
}

/*
 * Add one pair to the object's data (or binaryData): refuse a key seen
 * before, in either map.
 */
static int add_pair(struct json_object *obj, const struct kustomize_generator *gen, const char *key,
                    const char *value, size_t len)
{
	struct json_object *data = json_object_object_get(obj, "data");
	struct json_object *binary = json_object_object_get(obj, "binaryData");
	const char *field = "data";
	struct buf b = BUF_INIT;
	struct buf shown = BUF_INIT;
	int error = 0;

	buf_add_printable(&shown, key, NULL);
	if (!valid_utf8(key, strlen(key))) {
		error = berth_error_set("%s '%s': key '%s' is not UTF-8", kind_name(gen), gen->name,
		                        shown.ptr);
		goto out;
	}
	if (json_object_object_get_ex(data, key, NULL) ||
	    json_object_object_get_ex(binary, key, NULL)) {
		error = berth_error_set("%s '%s': key '%s' repeats", kind_name(gen), gen->name,
		                        shown.ptr);
		goto out;
	}
	if (gen->kind == KUSTOMIZE_SECRET) {
		add_base64(&b, value, len);
	} else if (valid_utf8(value, len)) {
		buf_add(&b, value, len);
	} else {
		field = "binaryData";
		add_base64(&b, value, len);
	}
	if (!json_object_object_get_ex(obj, field, NULL))
		json_object_object_add(obj, field, json_object_new_object());
	BERTH_ASSERT(b.len <= INT_MAX);
	json_object_object_add(json_object_object_get(obj, field), key,
	                       json_object_new_string_len(b.ptr, (int)b.len));
out:
	buf_release(&shown);
	buf_release(&b);
	return error;
}

/* Go's unicode.IsSpace for the code point at `s` (of `len` bytes): its
 * length, or 0 when it is no space. */
static size_t space_len(const char *s, size_t len)
{
	static const char *const spaces[] = {"\xc2\x85",     "\xc2\xa0",     "\xe1\x9a\x80",
	                                     "\xe2\x80\xa8", "\xe2\x80\xa9", "\xe2\x80\xaf",
	                                     "\xe2\x81\x9f", "\xe3\x80\x80"};
	size_t i;

	if (len && strchr(" \t\n\v\f\r", s[0]) && s[0])
		return 1;
	/* U+2000 to U+200A */
	if (len >= 3 && !memcmp(s, "\xe2\x80", 2) && (unsigned char)s[2] >= 0x80 &&
	    (unsigned char)s[2] <= 0x8a)
		return 3;
	for (i = 0; i < sizeof(spaces) / sizeof(spaces[0]); i++) {
		size_t n = strlen(spaces[i]);
		if (len >= n && !memcmp(s, spaces[i], n))
			return n;
	}
	return 0;
}

/*
 * One line of an env file, as kustomize reads it: leading white space
 * dropped, blank lines and '#' comments skipped, KEY=VALUE split at the
 * first '=' with the value kept as it is (quotes and trailing spaces too),
 * a bare KEY taken as an empty value, and an empty key skipped.
 */
static int add_env_line(struct json_object *obj, const struct kustomize_generator *gen,
                        const struct kustomize_source *env, size_t line_no, const char *line,
                        size_t len)
{
	const char *eq;
	char *key = NULL;
	size_t n;
	int error = 0;

	if (!valid_utf8(line, len))
		return berth_error_set("%s '%s': env file '%s': line %zu is not UTF-8",
		                       kind_name(gen), gen->name, env->name, line_no);
	if (line_no == 1 && len >= 3 && !memcmp(line, "\xef\xbb\xbf", 3)) {
		line += 3;
		len -= 3;
	}
	while ((n = space_len(line, len)) > 0) {
		line += n;
		len -= n;
	}
	if (!len || line[0] == '#')
		return 0;
	eq = memchr(line, '=', len);
	n = eq ? (size_t)(eq - line) : len;
	if (!n)
		return 0;
	key = xstrndup(line, n);
	if (eq)
		error = add_pair(obj, gen, key, eq + 1, len - n - 1);
	else
		error = add_pair(obj, gen, key, "", 0);
	free(key);
	return error;
}

/* The lines as Go's bufio.Scanner splits them: at '\n', a '\r' before it
 * dropped, the last line kept when it has no '\n'. */
static int add_env(struct json_object *obj, const struct kustomize_generator *gen,
                   const struct kustomize_source *env)
{
	size_t at = 0, line_no = 0;

	while (at < env->len) {
		const char *start = env->data + at;
		const char *nl = memchr(start, '\n', env->len - at);
		size_t len = nl ? (size_t)(nl - start) : env->len - at;

		line_no++;
		if (len >= ENV_LINE_MAX)
			return berth_error_set(
			    "%s '%s': env file '%s': line %zu is longer than 64 KiB",
			    kind_name(gen), gen->name, env->name, line_no);
		at += len + (nl ? 1 : 0);
		if (len && start[len - 1] == '\r')
			len--;
		if (add_env_line(obj, gen, env, line_no, start, len) < 0)
			return -1;
	}
	return 0;
}

/* "key=value", the value without one pair of surrounding quotes. A
 * Secret's literal is never shown: it may be the secret. */
static int add_literal(struct json_object *obj, const struct kustomize_generator *gen, size_t index)
{
	const char *literal = gen->literals[index];
	const char *eq = strchr(literal, '=');
	const char *value;
	char *key;
	size_t len;
	int error;

	if (!eq || eq == literal) {
		if (gen->kind == KUSTOMIZE_SECRET)
			return berth_error_set("secret '%s': literal %zu is not key=value",
			                       gen->name, index + 1);
		return berth_error_set("configmap '%s': literal %zu '%s' is not key=value",
		                       gen->name, index + 1, literal);
	}
	value = eq + 1;
	len = strlen(value);
	if (len >= 2 && value[0] == value[len - 1] && (value[0] == '"' || value[0] == '\'')) {
		value++;
		len -= 2;
	}
	key = xstrndup(literal, (size_t)(eq - literal));
	error = add_pair(obj, gen, key, value, len);
	free(key);
	return error;
}

/* Copy the string map `from` into obj[field], the keys obj has already
 * kept: the entry's options go first, so they win. */
static int add_map(struct json_object *obj, const char *field, struct json_object *from)
{
	struct json_object *map;

	if (!from)
		return 0;
	if (!json_object_is_type(from, json_type_object))
		return berth_error_set("%s: not a map", field);
	json_object_object_foreach(from, key, value)
	{
		if (!json_object_is_type(value, json_type_string))
			return berth_error_set("%s '%s': not a string", field, key);
		if (!json_object_object_get_ex(obj, field, &map)) {
			map = json_object_new_object();
			json_object_object_add(obj, field, map);
		}
		if (!json_object_object_get_ex(map, key, NULL))
			json_object_object_add(map, key, json_object_get(value));
	}
	return 0;
}

static int add_options(struct json_object *metadata, const struct kustomize_options *local,
                       const struct kustomize_options *global)
{
	if (add_map(metadata, "labels", local->labels) < 0 ||
	    add_map(metadata, "annotations", local->annotations) < 0)
		return -1;
	if (global && (add_map(metadata, "labels", global->labels) < 0 ||
	               add_map(metadata, "annotations", global->annotations) < 0))
		return -1;
	return 0;
}

static int add_sources(struct json_object *obj, const struct kustomize_generator *gen)
{
	size_t i;

	for (i = 0; i < gen->envs_len; i++)
		if (add_env(obj, gen, &gen->envs[i]) < 0)
			return -1;
	for (i = 0; i < gen->literals_len; i++)
		if (add_literal(obj, gen, i) < 0)
			return -1;
	for (i = 0; i < gen->files_len; i++) {
		if (!gen->files[i].name || !*gen->files[i].name)
			return berth_error_set("%s '%s': a file has no key", kind_name(gen),
			                       gen->name);
		if (add_pair(obj, gen, gen->files[i].name, gen->files[i].data, gen->files[i].len) <
		    0)
			return -1;
	}
	return 0;
}

int kustomize_generate(struct json_object **out, const struct kustomize_generator *gen,
                       const struct kustomize_options *global)
{
	struct json_object *obj = NULL, *metadata;
	struct buf name = BUF_INIT;
	char suffix[11];
	int error = -1;

	if (!gen->name || !*gen->name) {
		error = berth_error_set("%s: a generator has no name", kind_name(gen));
		goto out;
	}
	obj = json_object_new_object();
	json_object_object_add(obj, "apiVersion", json_object_new_string("v1"));
	if (add_sources(obj, gen) < 0)
		goto out;
	/* kustomize gives a Secret a data map even when it is empty. */
	if (gen->kind == KUSTOMIZE_SECRET && !json_object_object_get_ex(obj, "data", NULL))
		json_object_object_add(obj, "data", json_object_new_object());
	if (gen->options.immutable || (global && global->immutable))
		json_object_object_add(obj, "immutable", json_object_new_boolean(1));
	json_object_object_add(
	    obj, "kind",
	    json_object_new_string(gen->kind == KUSTOMIZE_SECRET ? "Secret" : "ConfigMap"));
	metadata = json_object_new_object();
	json_object_object_add(obj, "metadata", metadata);
	if (gen->kind == KUSTOMIZE_SECRET)
		json_object_object_add(
		    obj, "type",
		    json_object_new_string(gen->type && *gen->type ? gen->type : "Opaque"));
	buf_adds(&name, gen->name);
	if (!gen->options.disable_name_suffix_hash &&
	    !(global && global->disable_name_suffix_hash)) {
		if (kustomize_hash_suffix(suffix, obj) < 0)
			goto out;
		buf_addf(&name, "-%s", suffix);
	}
	json_object_object_add(metadata, "name", json_object_new_string(name.ptr));
	if (gen->namespace && *gen->namespace)
		json_object_object_add(metadata, "namespace",
		                       json_object_new_string(gen->namespace));
	if (add_options(metadata, &gen->options, global) < 0) {
		error = berth_error_prefix(-1, "%s '%s': options", kind_name(gen), gen->name);
		goto out;
	}
	*out = obj;
	obj = NULL;
	error = 0;
out:
	json_object_put(obj);
	buf_release(&name);
	return error;
}

/* Put obj[field] into `into`: a map as it is, none as "" (kustomize's
 * value for a missing field); with `optional`, only a map. */
static int hash_field(struct json_object *into, struct json_object *obj, const char *field,
                      bool optional)
{
	struct json_object *v = NULL;

	if (!json_object_object_get_ex(obj, field, &v) || !v) {
		if (!optional)
			json_object_object_add(into, field, json_object_new_string(""));
		return 0;
	}
	if (json_object_is_type(v, json_type_object)) {
		json_object_object_add(into, field, json_object_get(v));
		return 0;
	}
	if (!optional && json_object_is_type(v, json_type_string)) {
		json_object_object_add(into, field, json_object_get(v));
		return 0;
	}
	return berth_error_set("%s: not a map", field);
}

int kustomize_hash_suffix(char out[11], struct json_object *obj)
{
	static const char hex[] = "0123456789abcdef";
	const char *kind = json_value_get_string(obj, "kind");
	struct json_object *encoded = json_object_new_object();
	struct buf text = BUF_INIT;
	uint8_t sum[SHA256_SIZE];
	int error = -1;
	size_t i;

	if (!kind || (strcmp(kind, "ConfigMap") && strcmp(kind, "Secret"))) {
		error = berth_error_set("kind '%s': only a ConfigMap or a Secret takes a name hash",
		                        kind ? kind : "");
		goto out;
	}
	json_object_object_add(encoded, "kind", json_object_new_string(kind));
	/* kustomize looks the name up at the path "metadata/name", which is no
	 * field: the name never counts. */
	json_object_object_add(encoded, "name", json_object_new_string(""));
	if (hash_field(encoded, obj, "data", false) < 0)
		goto out;
	if (!strcmp(kind, "ConfigMap")) {
		if (hash_field(encoded, obj, "binaryData", true) < 0)
			goto out;
	} else if (hash_field(encoded, obj, "type", false) < 0 ||
	           hash_field(encoded, obj, "stringData", true) < 0) {
		goto out;
	}
	if (json_value_write(&text, encoded) < 0) {
		error = berth_error_set("%s: cannot write its data as JSON", kind);
		goto out;
	}
	sha256(sum, text.ptr, text.len);
	for (i = 0; i < 10; i++) {
		char c = hex[(sum[i / 2] >> (i % 2 ? 0 : 4)) & 15];
		const char *from = strchr("013ae", c);

		out[i] = from ? "ghkmt"[from - "013ae"] : c;
	}
	out[10] = '\0';
	error = 0;
out:
	json_object_put(encoded);
	buf_release(&text);
	return error;
}
