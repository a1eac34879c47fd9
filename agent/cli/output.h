#ifndef BERTH_OUTPUT_H
#define BERTH_OUTPUT_H

#include <json-c/json.h>

/* The -o formats, as kubectl spells them. */
enum output_format {
	OUTPUT_TEXT,
	OUTPUT_JSON,
	OUTPUT_YAML,
};

/* Parse an -o argument ("json" or "yaml"); fails with a message naming it. */
int output_format_parse(enum output_format *out, const char *arg);

/* Print `value` to stdout as JSON (indented) or YAML. Does not take a
 * reference on `value`. */
int output_print(struct json_object *value, enum output_format format);

#endif
