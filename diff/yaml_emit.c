/* JSON written as YAML the way kubectl writes it: keys sorted, and strings
 * quoted where plain ones would read back as something else. */
#include "yaml_doc.h"
#include "yaml_internal.h"

#include "base/alloc.h"
#include "base/berth_error.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static int write_to_buf(void *data, unsigned char *bytes, size_t size)
{
	buf_add(data, bytes, size);
	return 1;
}

/* YAML 1.1 timestamps start YYYY-M-D; go-yaml reads them as times, so kubectl
 * quotes them ("2024-01-02T03:04:05Z"). */
static bool looks_timestamp(const char *s)
{
	int i;

	for (i = 0; i < 4; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return s[4] == '-' && s[5] >= '0' && s[5] <= '9';
}

/* Would this string, written plain, read back as something other than itself? */
static bool needs_quotes(const char *s)
{
	struct json_object *v;
	bool is_null, other;

	if (looks_timestamp(s) || !strcmp(s, "<<"))
		return true; /* "<<" plain would read back as a merge key */
	v = yaml_resolve_plain(s, &is_null);
	other = is_null || !json_object_is_type(v, json_type_string);
	json_object_put(v);
	return other;
}

static int emit_scalar(yaml_emitter_t *e, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
	                                  style) ||
	    !yaml_emitter_emit(e, &ev))
		return -1;
	return 0;
}

static int cmp_keys(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int emit_value(yaml_emitter_t *e, struct json_object *v)
{
	yaml_event_t ev;
	char num[64];

	switch (json_object_get_type(v)) {
	case json_type_null:
		return emit_scalar(e, "null", YAML_PLAIN_SCALAR_STYLE);
	case json_type_boolean:
		return emit_scalar(e, json_object_get_boolean(v) ? "true" : "false",
		                   YAML_PLAIN_SCALAR_STYLE);
	case json_type_int:
		snprintf(num, sizeof(num), "%lld", (long long)json_object_get_int64(v));
		return emit_scalar(e, num, YAML_PLAIN_SCALAR_STYLE);
	case json_type_double: {
		double d = json_object_get_double(v);
		if (isnan(d))
			return emit_scalar(e, ".nan", YAML_PLAIN_SCALAR_STYLE);
		if (isinf(d))
			return emit_scalar(e, d > 0 ? ".inf" : "-.inf", YAML_PLAIN_SCALAR_STYLE);
		return emit_scalar(e, json_object_to_json_string(v), YAML_PLAIN_SCALAR_STYLE);
	}
	case json_type_string: {
		const char *s = json_object_get_string(v);
		if (strchr(s, '\n'))
			return emit_scalar(e, s, YAML_LITERAL_SCALAR_STYLE);
		return emit_scalar(e, s,
		                   needs_quotes(s) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
		                                   : YAML_ANY_SCALAR_STYLE);
	}
	case json_type_array: {
		size_t i, n = json_object_array_length(v);
		if (!yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
		                                          n ? YAML_BLOCK_SEQUENCE_STYLE
		                                            : YAML_FLOW_SEQUENCE_STYLE) ||
		    !yaml_emitter_emit(e, &ev))
			return -1;
		for (i = 0; i < n; i++)
			if (emit_value(e, json_object_array_get_idx(v, i)) < 0)
				return -1;
		if (!yaml_sequence_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev))
			return -1;
		return 0;
	}
	case json_type_object: {
		size_t i, n = (size_t)json_object_object_length(v);
		const char **keys = xcalloc(n, sizeof(*keys));
		int error = 0;

		i = 0;
		json_object_object_foreach(v, key, child)
		{
			(void)child;
			keys[i++] = key;
		}
		qsort(keys, n, sizeof(*keys), cmp_keys);
		if (!yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1,
		                                         n ? YAML_BLOCK_MAPPING_STYLE
		                                           : YAML_FLOW_MAPPING_STYLE) ||
		    !yaml_emitter_emit(e, &ev)) {
			error = -1;
			goto done;
		}
		for (i = 0; i < n && !error; i++) {
			error = emit_scalar(e, keys[i],
			                    needs_quotes(keys[i]) ? YAML_DOUBLE_QUOTED_SCALAR_STYLE
			                                          : YAML_ANY_SCALAR_STYLE);
			if (!error)
				error = emit_value(e, json_object_object_get(v, keys[i]));
		}
		if (!error &&
		    (!yaml_mapping_end_event_initialize(&ev) || !yaml_emitter_emit(e, &ev)))
			error = -1;
	done:
		free(keys);
		return error;
	}
	}
	return -1;
}

int yaml_emit(struct buf *out, struct json_object *value)
{
	yaml_emitter_t e;
	yaml_event_t ev;
	int error = 0;

	if (!yaml_emitter_initialize(&e))
		return berth_error_set("cannot initialise the YAML emitter");
	yaml_emitter_set_output(&e, write_to_buf, out);
	yaml_emitter_set_unicode(&e, 1);
	yaml_emitter_set_width(&e, -1);
	if (!yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING) ||
	    !yaml_emitter_emit(&e, &ev) ||
	    !yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1) ||
	    !yaml_emitter_emit(&e, &ev) || emit_value(&e, value) < 0 ||
	    !yaml_document_end_event_initialize(&ev, 1) || !yaml_emitter_emit(&e, &ev) ||
	    !yaml_stream_end_event_initialize(&ev) || !yaml_emitter_emit(&e, &ev))
		error = berth_error_set("cannot write YAML: %s",
		                        e.problem ? e.problem : "emitter error");
	yaml_emitter_delete(&e);
	return error;
}
