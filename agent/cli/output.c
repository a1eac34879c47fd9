/* The verbs' -o json|yaml output, written as kubectl writes it. */
#include "output.h"

#include "../../diff/base/buf.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/yaml_doc.h"

#include <stdio.h>
#include <string.h>

int output_format_parse(enum output_format *out, const char *arg)
{
	if (!strcmp(arg, "json"))
		*out = OUTPUT_JSON;
	else if (!strcmp(arg, "yaml"))
		*out = OUTPUT_YAML;
	else
		return berth_error_set("unknown output format '%s' (use json or yaml)", arg);
	return 0;
}

int output_print(struct json_object *value, enum output_format format)
{
	struct buf b = BUF_INIT;
	int error = 0;

	if (format == OUTPUT_YAML) {
		error = yaml_emit(&b, value);
	} else {
		buf_adds(&b, json_object_to_json_string_ext(
		                 value, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		                            JSON_C_TO_STRING_NOSLASHESCAPE));
		buf_addch(&b, '\n');
	}
	if (!error)
		fwrite(b.ptr, 1, b.len, stdout);
	buf_release(&b);
	return error;
}
