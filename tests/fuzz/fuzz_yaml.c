/*
 * Fuzz harness for the YAML reader and writer (diff/yaml.c, diff/json.c).
 *
 * The input is one YAML stream. It is parsed twice, without marks and with
 * marks for every node; both must give the same documents, or the same
 * error. With marks, every mark must name a node of the parsed documents.
 * Each document must then survive the ways berth writes it:
 *
 *   json_value_write(), read back with json_value_parse() (the last-applied annotation
 *   is written one way and read the other), and
 *   yaml_emit(), read back with yaml_parse(),
 *
 * both giving a document json_value_equal() to the original. A document holding
 * NaN or an infinity, which JSON cannot carry, only has to read back.
 *
 * Errors are fine; a broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static _Noreturn void broken(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Say which property broke, then abort. */
static _Noreturn void broken(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_yaml: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

/* The node pointers of a tree, sorted, to look marks up in. */
struct nodes {
	const struct json_object **items;
	size_t n, alloc;
};

static void nodes_collect(struct nodes *nodes, struct json_object *v)
{
	if (!v)
		return;
	nodes->items = xgrow(nodes->items, sizeof(*nodes->items), nodes->n + 1, &nodes->alloc);
	nodes->items[nodes->n++] = v;
	if (json_object_is_type(v, json_type_array)) {
		size_t i, n = json_object_array_length(v);
		for (i = 0; i < n; i++)
			nodes_collect(nodes, json_object_array_get_idx(v, i));
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, key, child)
		{
			(void)key;
			nodes_collect(nodes, child);
		}
	}
}

static int cmp_pointers(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (const struct json_object *const *)a;
	uintptr_t y = (uintptr_t) * (const struct json_object *const *)b;

	return x < y ? -1 : x > y;
}

/*
 * yaml.h: the marked nodes "are borrowed from the parsed documents", and
 * every node no deeper than max_depth is marked. A copy made by an alias
 * has no mark of its own, so the roots are only checked when the input has
 * no alias.
 */
static void check_marks(struct json_object *docs, const struct yaml_marks *marks, bool aliases)
{
	struct nodes nodes = {NULL, 0, 0};
	size_t i, n = json_object_array_length(docs);

	nodes_collect(&nodes, docs);
	qsort(nodes.items, nodes.n, sizeof(*nodes.items), cmp_pointers);
	for (i = 0; i < marks->n; i++) {
		const struct yaml_mark *m = &marks->items[i];
		if (!m->line || !m->column)
			broken("mark %zu is at line %zu, column %zu", i, m->line, m->column);
		if (!bsearch(&m->node, nodes.items, nodes.n, sizeof(*nodes.items), cmp_pointers))
			broken("mark %zu (line %zu, column %zu) names a node that is in no "
			       "document",
			       i, m->line, m->column);
	}
	for (i = 0; i < n && !aliases; i++) {
		struct json_object *root = json_object_array_get_idx(docs, i);
		size_t line, column;
		if (root && yaml_marks_find(&line, &column, marks, root) < 0)
			broken("document %zu has no mark", i);
	}
	free(nodes.items);
}

/* Emit the documents; the text tells whether two parses agree, NaN included
 * (json_value_equal() says NaN differs from itself). */
static void emit_all(struct buf *out, struct json_object *docs)
{
	if (yaml_emit(out, docs) < 0)
		broken("yaml_emit fails on parsed documents: %s", berth_error_last());
}

/*
 * json_value_write() (the last-applied annotation) must give JSON that parses, and
 * the form manifests are stored in must read back the same. Only for a mapping or a
 * sequence: those are what berth writes, and json_value_parse() wants its number
 * ended by something. Returns false when the document cannot be written
 * (it holds NaN or an infinity).
 */
static bool check_json(struct json_object *doc, size_t index)
{
	struct buf text = BUF_INIT;
	struct json_object *again;

	if (json_value_write(&text, doc) < 0) {
		buf_release(&text);
		return false;
	}
	if (!json_object_is_type(doc, json_type_object) &&
	    !json_object_is_type(doc, json_type_array)) {
		buf_release(&text);
		return true;
	}
	again = json_value_parse(text.ptr, text.len);
	if (!again)
		broken("document %zu: json_value_parse rejects what json_value_write wrote: %s",
		       index, text.ptr);
	json_object_put(again);
	/* Manifests are stored in json-c's own form, which must read back the
	 * same. (Go's form need not: json-c clamps integers beyond int64.) */
	{
		const char *stored = json_object_to_json_string_ext(
		    doc, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		again = json_value_parse(stored, strlen(stored));
		if (!again || !json_value_equal(doc, again))
			broken("document %zu: stored JSON reads back changed: %s", index, stored);
	}
	json_object_put(again);
	buf_release(&text);
	return true;
}

/* yaml_emit() then yaml_parse(). The copy of an alias may nest deeper than
 * the input did, so the text is read back without limits. */
static void check_yaml(struct json_object *doc, size_t index, bool comparable)
{
	struct yaml_limits unlimited = {(size_t)-1, (size_t)-1};
	struct buf text = BUF_INIT;
	struct json_object *docs = NULL;

	if (yaml_emit(&text, doc) < 0)
		broken("document %zu: yaml_emit fails: %s", index, berth_error_last());
	if (yaml_parse(&docs, "emitted", text.ptr, text.len, &unlimited, NULL) < 0)
		broken("document %zu: yaml_parse rejects what yaml_emit wrote: %s\n%s", index,
		       berth_error_last(), text.ptr);
	if (json_object_array_length(docs) != 1)
		broken("document %zu: yaml_emit wrote %zu documents:\n%s", index,
		       json_object_array_length(docs), text.ptr);
	if (comparable && !json_value_equal(doc, json_object_array_get_idx(docs, 0)))
		broken("document %zu: yaml_emit/yaml_parse changes it:\n%s", index, text.ptr);
	json_object_put(docs);
	buf_release(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct yaml_marks marks = YAML_MARKS_INIT((size_t)-1);
	struct json_object *docs = NULL, *marked = NULL;
	struct buf plain_text = BUF_INIT, marked_text = BUF_INIT;
	char *plain_error = NULL;
	int plain_rc, marked_rc;
	size_t i, n;

	plain_rc = yaml_parse(&docs, "fuzz.yaml", (const char *)data, size, NULL, NULL);
	if (plain_rc < 0)
		plain_error = xstrdup(berth_error_last());
	marked_rc = yaml_parse(&marked, "fuzz.yaml", (const char *)data, size, NULL, &marks);
	if ((plain_rc < 0) != (marked_rc < 0))
		broken("parsing with marks %s, without %s", marked_rc < 0 ? "fails" : "works",
		       plain_rc < 0 ? "fails" : "works");
	if (plain_rc < 0) {
		if (strcmp(plain_error, berth_error_last()))
			broken("parsing with marks fails with '%s', without with '%s'",
			       berth_error_last(), plain_error);
		goto out;
	}
	emit_all(&plain_text, docs);
	emit_all(&marked_text, marked);
	if (strcmp(plain_text.ptr, marked_text.ptr))
		broken("parsing with marks gives\n%s\nwithout\n%s", marked_text.ptr,
		       plain_text.ptr);
	check_marks(marked, &marks, memchr(data, '*', size) != NULL);

	n = json_object_array_length(docs);
	for (i = 0; i < n; i++) {
		struct json_object *doc = json_object_array_get_idx(docs, i);
		check_yaml(doc, i, check_json(doc, i));
	}
out:
	free(plain_error);
	buf_release(&plain_text);
	buf_release(&marked_text);
	yaml_marks_release(&marks);
	json_object_put(docs);
	json_object_put(marked);
	return 0;
}
