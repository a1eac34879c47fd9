/* RFC 6902 JSON Patch on json-c documents, as evanphx/json-patch (v4, in
 * kustomize) applies it. */
#include "json_patch.h"

#include "base/alloc.h"
#include "base/berth_error.h"
#include "base/json_value.h"
#include "yaml_doc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum op_kind { OP_ADD, OP_REMOVE, OP_REPLACE, OP_MOVE, OP_COPY, OP_TEST };

static const char *const op_names[] = {"add", "remove", "replace", "move", "copy", "test"};

/* An RFC 6901 pointer, split: tokens[i] is the i-th reference token,
 * unescaped, pointing into `text`. */
struct pointer {
	char *text;
	char *tokens[JSON_PATCH_MAX_DEPTH];
	size_t n;
};

/* One op, read from its json object; the strings belong to it. */
struct op {
	enum op_kind kind;
	const char *path, *from;
	struct json_object *value; /* borrowed; NULL is JSON null */
};

static void pointer_release(struct pointer *p)
{
	free(p->text);
	p->text = NULL;
	p->n = 0;
}

/* Split and unescape `s` ("" is the root: no token). The error names the
 * pointer as `what` ("path" or "from"). */
static int pointer_parse(struct pointer *p, const char *what, const char *s)
{
	char *w;
	const char *r;

	p->text = NULL;
	p->n = 0;
	if (!*s)
		return 0;
	if (*s != '/')
		return berth_error_set("%s '%s' does not start with '/'", what, s);
	p->text = xmalloc(strlen(s) + 1);
	w = p->text;
	for (r = s; *r; r++) {
		if (*r == '/') {
			if (p->n == JSON_PATCH_MAX_DEPTH) {
				pointer_release(p);
				return berth_error_set("%s '%s' is deeper than %d", what, s,
				                       JSON_PATCH_MAX_DEPTH);
			}
			if (p->n)
				*w++ = '\0';
			p->tokens[p->n++] = w;
		} else if (*r == '~') {
			if (r[1] != '0' && r[1] != '1') {
				pointer_release(p);
				return berth_error_set("%s '%s': '~' is not followed by 0 or 1",
				                       what, s);
			}
			*w++ = r[1] == '0' ? '~' : '/';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
	return 0;
}

/* An array index token of an array of `len` elements, as kustomize's
 * JSON patch library (evanphx/json-patch v4) reads it: decimal digits
 * (leading zeros too), below `len`, or up to `len` when `end_ok` (an add,
 * which inserts there), where "-" names `len` too; a negative index counts
 * from the end, -1 naming the last element (for an add, the end). */
static int parse_index(size_t *out, const char *tok, size_t len, bool end_ok)
{
	size_t i, v = 0, size = end_ok ? len + 1 : len;
	bool negative = tok[0] == '-' && tok[1];
	const char *digits = negative ? tok + 1 : tok;

	if (!strcmp(tok, "-")) {
		if (!end_ok)
			return berth_error_set("'-' names no element");
		*out = len;
		return 0;
	}
	if (!*digits || strspn(digits, "0123456789") != strlen(digits))
		return berth_error_set("'%s' is not an array index", tok);
	/* more digits only make it larger: stop before it can overflow */
	for (i = 0; digits[i] && v <= size; i++)
		v = v * 10 + (size_t)(digits[i] - '0');
	if (negative ? v > size : v >= size)
		return berth_error_set("index %s is out of range (length %zu)", tok, len);
	*out = negative ? size - v : v;
	return 0;
}

/* A value's type, as errors name it. */
static const char *type_name(struct json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		return "null";
	case json_type_boolean:
		return "a boolean";
	case json_type_string:
		return "a string";
	case json_type_object:
		return "an object";
	case json_type_array:
		return "an array";
	default:
		return "a number";
	}
}

/* `tok` looked up in a scalar. */
static int no_children(const char *tok, struct json_object *scalar)
{
	return berth_error_set("cannot find '%s' in %s", tok, type_name(scalar));
}

/* The child `tok` of `parent` (borrowed; NULL for JSON null). A missing
 * object member is BERTH_ENOTFOUND. */
static int child_get(struct json_object **out, struct json_object *parent, const char *tok)
{
	size_t idx;

	if (json_object_is_type(parent, json_type_object)) {
		if (!json_object_object_get_ex(parent, tok, out)) {
			berth_error_set("no such member '%s'", tok);
			return BERTH_ENOTFOUND;
		}
		return 0;
	}
	if (json_object_is_type(parent, json_type_array)) {
		if (parse_index(&idx, tok, json_object_array_length(parent), false) < 0)
			return -1;
		*out = json_object_array_get_idx(parent, idx);
		return 0;
	}
	return no_children(tok, parent);
}

/* The node the first `n` tokens of `p` name, from `root` (borrowed). */
static int walk(struct json_object **out, struct json_object *root, const struct pointer *p,
                size_t n)
{
	struct json_object *at = root;
	size_t i;
	int error;

	for (i = 0; i < n; i++)
		if ((error = child_get(&at, at, p->tokens[i])) < 0)
			return error;
	*out = at;
	return 0;
}

/* Insert `value` (taken) at `idx` <= length of `array`. json-c 0.16 has no
 * insert: append, then shift the tail right by one. */
static void array_insert(struct json_object *array, size_t idx, struct json_object *value)
{
	size_t i = json_object_array_length(array);

	json_object_array_add(array, NULL);
	for (; i > idx; i--)
		json_object_array_put_idx(array, i,
		                          json_object_get(json_object_array_get_idx(array, i - 1)));
	json_object_array_put_idx(array, idx, value);
}

/* Put `value` (taken, even on failure) at `p`: add inserts or appends,
 * replace needs the target to exist. `*root` may be replaced. */
static int put_at(struct json_object **root, const struct pointer *p, struct json_object *value,
                  bool replace)
{
	struct json_object *parent = NULL, *old;
	const char *tok;
	size_t idx;
	int error;

	if (!p->n) {
		json_object_put(*root);
		*root = value;
		return 0;
	}
	tok = p->tokens[p->n - 1];
	if ((error = walk(&parent, *root, p, p->n - 1)) < 0)
		goto out;
	if (replace && (error = child_get(&old, parent, tok)) < 0)
		goto out;
	if (json_object_is_type(parent, json_type_object)) {
		json_object_object_add(parent, tok, value);
		return 0;
	}
	if (!json_object_is_type(parent, json_type_array)) {
		error = no_children(tok, parent);
		goto out;
	}
	error = parse_index(&idx, tok, json_object_array_length(parent), !replace);
	if (error < 0)
		goto out;
	if (replace)
		json_object_array_put_idx(parent, idx, value);
	else
		array_insert(parent, idx, value);
	return 0;
out:
	json_object_put(value);
	return error;
}

/* Remove what `p` names; *taken (when not NULL) gets it, a new reference. */
static int remove_at(struct json_object **taken, struct json_object *root, const struct pointer *p)
{
	struct json_object *parent = NULL, *target = NULL;
	size_t idx = 0;
	int error;

	if (!p->n)
		return berth_error_set("cannot remove the whole document");
	if ((error = walk(&parent, root, p, p->n - 1)) < 0)
		return error;
	if ((error = child_get(&target, parent, p->tokens[p->n - 1])) < 0)
		return error;
	if (taken)
		*taken = json_object_get(target);
	if (json_object_is_type(parent, json_type_object)) {
		json_object_object_del(parent, p->tokens[p->n - 1]);
	} else {
		/* child_get() has checked the index */
		BERTH_ASSERT(parse_index(&idx, p->tokens[p->n - 1],
		                         json_object_array_length(parent), false) == 0);
		json_object_array_del_idx(parent, idx, 1);
	}
	return 0;
}

/* The values in `v`, counting up to `limit` and no further. */
static size_t count_values(struct json_object *v, size_t limit)
{
	struct json_object_iterator it, end;
	size_t n = 1, i, len;

	if (json_object_is_type(v, json_type_object)) {
		it = json_object_iter_begin(v);
		end = json_object_iter_end(v);
		for (; n <= limit && !json_object_iter_equal(&it, &end); json_object_iter_next(&it))
			n += count_values(json_object_iter_peek_value(&it), limit - n + 1);
	} else if (json_object_is_type(v, json_type_array)) {
		len = json_object_array_length(v);
		for (i = 0; n <= limit && i < len; i++)
			n += count_values(json_object_array_get_idx(v, i), limit - n + 1);
	}
	return n;
}

/* A deep copy of `v` into *out, counted against the apply's budget. */
static int copy_in(struct json_object **out, size_t *copied, struct json_object *v)
{
	size_t n = count_values(v, JSON_PATCH_MAX_COPIED - *copied);

	if (n > JSON_PATCH_MAX_COPIED - *copied)
		return berth_error_set("the patch copies more than %d values",
		                       JSON_PATCH_MAX_COPIED);
	*copied += n;
	*out = json_value_copy(v);
	return 0;
}

/* Whether the tokens of `p` begin with those of `prefix`. */
static bool pointer_starts_with(const struct pointer *p, const struct pointer *prefix)
{
	size_t i;

	if (p->n < prefix->n)
		return false;
	for (i = 0; i < prefix->n; i++)
		if (strcmp(p->tokens[i], prefix->tokens[i]))
			return false;
	return true;
}

/* A pointer as errors show it: "" for the root. */
static const char *shown(const char *pointer)
{
	return *pointer ? pointer : "\"\"";
}

/* Put "op I (KIND PATH)" (or "(KIND FROM to PATH)") in front of the error. */
static int op_error(int error, size_t index, const struct op *op)
{
	if (op->from)
		return berth_error_prefix(error, "op %zu (%s %s to %s)", index, op_names[op->kind],
		                          shown(op->from), shown(op->path));
	return berth_error_prefix(error, "op %zu (%s %s)", index, op_names[op->kind],
	                          shown(op->path));
}

/* The string member `key` of `obj`: BERTH_ENOTFOUND when absent; an error
 * when it is not a string or holds a NUL byte. */
static int string_member(const char **out, struct json_object *obj, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(obj, key, &v))
		return BERTH_ENOTFOUND;
	if (!json_object_is_type(v, json_type_string))
		return berth_error_set("'%s' is %s, not a string", key, type_name(v));
	if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return berth_error_set("'%s' holds a NUL byte", key);
	*out = json_object_get_string(v);
	return 0;
}

/* Read op `index` of a patch and check it; pointers are parsed into `path`
 * and `from` (released by the caller, also on failure). */
static int op_read(struct op *op, struct pointer *path, struct pointer *from,
                   struct json_object *obj, size_t index)
{
	const char *name = NULL;
	size_t k;
	int error;

	memset(op, 0, sizeof(*op));
	if (!json_object_is_type(obj, json_type_object))
		return berth_error_set("op %zu: %s, not an object", index, type_name(obj));
	if ((error = string_member(&name, obj, "op")) < 0)
		return berth_error_prefix(
		    error == BERTH_ENOTFOUND ? berth_error_set("'op' is missing") : error, "op %zu",
		    index);
	for (k = 0; k < ARRAY_SIZE(op_names) && strcmp(name, op_names[k]); k++)
		;
	if (k == ARRAY_SIZE(op_names))
		return berth_error_set("op %zu: unknown op '%s'", index, name);
	op->kind = (enum op_kind)k;
	if ((error = string_member(&op->path, obj, "path")) < 0)
		return berth_error_prefix(
		    error == BERTH_ENOTFOUND ? berth_error_set("'path' is missing") : error,
		    "op %zu (%s)", index, name);
	if (op->kind == OP_MOVE || op->kind == OP_COPY) {
		if ((error = string_member(&op->from, obj, "from")) < 0) {
			op->from = NULL;
			if (error == BERTH_ENOTFOUND)
				error = berth_error_set("'from' is missing");
			return op_error(error, index, op);
		}
		if ((error = pointer_parse(from, "from", op->from)) < 0)
			return op_error(error, index, op);
	}
	if ((error = pointer_parse(path, "path", op->path)) < 0)
		return op_error(error, index, op);
	if (!json_object_object_get_ex(obj, "value", &op->value) &&
	    (op->kind == OP_ADD || op->kind == OP_REPLACE || op->kind == OP_TEST))
		return op_error(berth_error_set("'value' is missing"), index, op);
	return 0;
}

/* The ops array itself: an array, not too long. */
static int check_list(struct json_object *ops)
{
	if (!json_object_is_type(ops, json_type_array))
		return berth_error_set("a JSON patch is a list of ops, not %s", type_name(ops));
	if (json_object_array_length(ops) > JSON_PATCH_MAX_OPS)
		return berth_error_set("a JSON patch has at most %d ops, not %zu",
		                       JSON_PATCH_MAX_OPS, json_object_array_length(ops));
	return 0;
}

int json_patch_check(struct json_object *ops)
{
	struct pointer path = {0}, from = {0};
	struct op op;
	size_t i;
	int error;

	if ((error = check_list(ops)) < 0)
		return error;
	for (i = 0; i < json_object_array_length(ops); i++) {
		error = op_read(&op, &path, &from, json_object_array_get_idx(ops, i), i);
		pointer_release(&path);
		pointer_release(&from);
		if (error < 0)
			return error;
	}
	return 0;
}

/* Run one op on *root (which a root add or replace swaps). */
static int op_run(struct json_object **root, size_t *copied, const struct op *op,
                  const struct pointer *path, const struct pointer *from)
{
	struct json_object *v = NULL;
	int error;

	switch (op->kind) {
	case OP_ADD:
	case OP_REPLACE:
		if ((error = copy_in(&v, copied, op->value)) < 0)
			return error;
		return put_at(root, path, v, op->kind == OP_REPLACE);
	case OP_REMOVE:
		return remove_at(NULL, *root, path);
	case OP_MOVE:
		if (path->n > from->n && pointer_starts_with(path, from))
			return berth_error_set("cannot move a value into itself");
		if (path->n == from->n && pointer_starts_with(path, from))
			return walk(&v, *root, from, from->n);
		if (!from->n)
			return berth_error_set("cannot remove the whole document");
		if ((error = remove_at(&v, *root, from)) < 0)
			return error;
		return put_at(root, path, v, false);
	case OP_COPY:
		if ((error = walk(&v, *root, from, from->n)) < 0)
			return error;
		if ((error = copy_in(&v, copied, v)) < 0)
			return error;
		return put_at(root, path, v, false);
	case OP_TEST:
		error = walk(&v, *root, path, path->n);
		/* evanphx: a missing object member tests equal to null */
		if (error == BERTH_ENOTFOUND && !op->value)
			return 0;
		if (error < 0)
			return error;
		if (!json_value_equal(v, op->value))
			return berth_error_set("the value differs");
		return 0;
	}
	BERTH_ASSERT(!"unknown op kind");
	return -1;
}

int json_patch_apply(struct json_object **out, struct json_object *doc, struct json_object *ops)
{
	struct json_object *root = NULL;
	struct pointer path = {0}, from = {0};
	struct op op;
	size_t i, copied = 0;
	int error;

	if ((error = check_list(ops)) < 0)
		goto out;
	root = json_value_copy(doc);
	for (i = 0; i < json_object_array_length(ops); i++) {
		if ((error = op_read(&op, &path, &from, json_object_array_get_idx(ops, i), i)) < 0)
			goto out;
		if ((error = op_run(&root, &copied, &op, &path, &from)) < 0) {
			op_error(error, i, &op);
			goto out;
		}
		pointer_release(&path);
		pointer_release(&from);
	}
	*out = root;
	root = NULL;
out:
	pointer_release(&path);
	pointer_release(&from);
	json_object_put(root);
	return error;
}

/* The first byte of `text` that is not blank, or '\0'. */
static char first_byte(const char *text, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (!strchr(" \t\r\n", text[i]))
			return text[i];
	return '\0';
}

int json_patch_parse(struct json_object **ops, const char *name, const char *text, size_t len)
{
	struct json_object *docs = NULL, *list = NULL;
	int error = -1;

	if (first_byte(text, len) == '[') {
		if (!(list = json_value_parse(text, len))) {
			error = berth_error_prefix(-1, "%s", name);
			goto out;
		}
	} else {
		if ((error = yaml_parse(&docs, name, text, len, NULL, NULL)) < 0)
			goto out;
		if (json_object_array_length(docs) != 1) {
			error = berth_error_set("%s: a JSON patch is one document, not %zu", name,
			                        json_object_array_length(docs));
			goto out;
		}
		list = json_object_get(json_object_array_get_idx(docs, 0));
	}
	if ((error = json_patch_check(list)) < 0) {
		berth_error_prefix(error, "%s", name);
		goto out;
	}
	*ops = list;
	list = NULL;
out:
	json_object_put(list);
	json_object_put(docs);
	return error;
}
