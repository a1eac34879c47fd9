/* berth build: what a kustomization builds, printed as `kustomize build`
 * prints it. */
#include "cli.h"
#include "target_options.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/kustomize_order.h"
#include "../../diff/yaml_doc.h"
#include "../source/kustomize_load.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The objects of `rs` in kustomize's order, as YAML documents or a JSON
 * List. */
static void print_objects(struct buf *out, const struct kustomize_resources *rs, bool json)
{
	struct json_object **objects = xcalloc(rs->n + 1, sizeof(*objects));
	struct json_object *list = NULL, *items = NULL;
	size_t i;

	for (i = 0; i < rs->n; i++)
		objects[i] = rs->items[i].obj;
	kustomize_order_sort(objects, rs->n);
	if (json) {
		list = json_object_new_object();
		items = json_object_new_array();
		json_object_object_add(list, "apiVersion", json_object_new_string("v1"));
		json_object_object_add(list, "kind", json_object_new_string("List"));
		json_object_object_add(list, "items", items);
	}
	for (i = 0; i < rs->n; i++) {
		if (json) {
			json_object_array_add(items, json_object_get(objects[i]));
			continue;
		}
		if (i)
			buf_adds(out, "---\n");
		yaml_emit(out, objects[i]);
	}
	if (json) {
		buf_adds(out, json_object_to_json_string_ext(
		                  list, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
		                            JSON_C_TO_STRING_NOSLASHESCAPE));
		buf_addch(out, '\n');
	}
	json_object_put(list);
	free(objects);
}

int cmd_build(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"output", required_argument, NULL, 'o'},
	    GIT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct target_flags f = TARGET_FLAGS_INIT;
	struct target_options *o = &f.target;
	struct target t = TARGET_INIT;
	struct tree_options opts;
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT, root = BUF_INIT;
	const char *dir, *output = "yaml";
	int opt, status = EXIT_ERROR;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":o:", longopts, NULL)) != -1) {
		if ((status = target_option(&f, opt, "build", argv)) == 1)
			continue;
		target_flags_release(&f);
		if (status)
			return status;
		return usage_error("build",
		                   opt == ':' ? "option '%s' needs a value" : "unknown option '%s'",
		                   argv[optind - 1]);
	}
	if (o->output)
		output = o->output;
	if (strcmp(output, "yaml") && strcmp(output, "json"))
		return usage_error("build", "-o '%s': the formats are yaml and json", output);
	if (o->git.repo) {
		if (optind != argc)
			return usage_error("build", "name a DIR or --repo URL, not both");
		if ((status = target_options_check(&f, "build", argc, argv)))
			return status;
		if (target_source(&t, o) < 0) {
			berth_error_print();
			status = EXIT_ERROR;
			goto out;
		}
		dir = t.files;
	} else if (optind + 1 != argc) {
		return usage_error("build", "name one directory holding a kustomization, or "
		                            "--repo URL");
	} else {
		dir = argv[optind];
	}
	target_tree_options(&opts, o, &t);
	if (kustomize_load_root(&root, dir, opts.root) < 0) {
		berth_error_print();
		status = EXIT_ERROR;
		goto out;
	}
	if (kustomize_load_build(&rs, &diags, &t.warnings, dir, root.ptr, &opts) < 0) {
		diagnostics_format_in(&out, &diags, t.checkout);
		diagnostics_format_in(&out, &t.warnings, t.checkout);
		fputs(out.ptr, stderr);
		status = 1;
		goto out;
	}
	diagnostics_format_in(&out, &t.warnings, t.checkout);
	fputs(out.ptr, stderr);
	buf_reset(&out);
	print_objects(&out, &rs, !strcmp(output, "json"));
	fputs(out.ptr, stdout);
	status = 0;
out:
	kustomize_resources_release(&rs);
	diagnostics_release(&diags);
	target_release(&t);
	target_flags_release(&f);
	buf_release(&out);
	buf_release(&root);
	return status;
}
