/*
 * Fuzz harness for the RFC 6902 JSON patcher (diff/json_patch.c).
 *
 * The input is a JSON document and an op list (JSON or YAML), separated by
 * the first "\n---\n":
 *
 *   DOC \n---\n OPS
 *
 * An input without the separator, or whose DOC is not valid JSON, is
 * skipped. OPS goes through json_patch_parse(), and when it parses,
 * json_patch_apply() runs on DOC.
 *
 * Properties:
 *   - all or nothing: DOC and OPS come out byte-identical (as json-c writes
 *     them, members in their order), whether the apply succeeds or fails;
 *   - a failed apply leaves *out as it was, and sets a message;
 *   - a successful one gives a new document, not DOC itself, and, when
 *     every op is a `test`, one equal to DOC.
 *
 * A broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/json_patch.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define SEPARATOR "\n---\n"

#define broken(...) fuzz_broken("fuzz_json_patch", __VA_ARGS__)

/* `v` as json-c writes it, members in their order; the caller frees it. */
static char *written(struct json_object *v)
{
	return xstrdup(json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN));
}

/* Is every op of the (parsed, so valid) list a `test`? */
static bool only_tests(struct json_object *ops)
{
	size_t i;

	for (i = 0; i < json_object_array_length(ops); i++)
		if (strcmp(json_value_get_string(json_object_array_get_idx(ops, i), "op"), "test"))
			return false;
	return true;
}

/* The first separator in `text`, or NULL (memmem() is not standard C). */
static const char *find_separator(const char *text, size_t size)
{
	size_t i, n = strlen(SEPARATOR);

	for (i = 0; i + n <= size; i++)
		if (!memcmp(text + i, SEPARATOR, n))
			return text + i;
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *sep;
	struct json_object *doc = NULL, *ops = NULL, *out = NULL;
	char *doc_before = NULL, *ops_before = NULL, *doc_after = NULL, *ops_after = NULL;
	size_t doc_len;
	int error;

	sep = find_separator(text, size);
	if (!sep)
		return 0;
	doc_len = (size_t)(sep - text);
	if (!(doc = json_value_parse(text, doc_len)))
		goto out;
	if (json_patch_parse(&ops, "fuzz", sep + strlen(SEPARATOR),
	                     size - doc_len - strlen(SEPARATOR)) < 0) {
		if (ops)
			broken("a failed parse gave ops");
		goto out;
	}
	doc_before = written(doc);
	ops_before = written(ops);
	berth_error_clear();
	error = json_patch_apply(&out, doc, ops);
	doc_after = written(doc);
	ops_after = written(ops);
	if (strcmp(doc_before, doc_after))
		broken("the document changed: %s, was %s", doc_after, doc_before);
	if (strcmp(ops_before, ops_after))
		broken("the ops changed: %s, were %s", ops_after, ops_before);
	if (error < 0) {
		if (out)
			broken("a failed apply gave a document");
		if (!strcmp(berth_error_last(), "unknown error"))
			broken("a failed apply set no message");
		goto out;
	}
	if (out && out == doc)
		broken("the apply gave the document itself");
	if (only_tests(ops) && !json_value_equal(out, doc))
		broken("tests alone changed the document");
out:
	free(doc_before);
	free(ops_before);
	free(doc_after);
	free(ops_after);
	json_object_put(out);
	json_object_put(ops);
	json_object_put(doc);
	return 0;
}
