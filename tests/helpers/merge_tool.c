/*
 * berth-merge-tool: berth's three-way patch for one object, for the e2e
 * tests that send it to a real API server next to kubectl's own.
 *
 *   berth-merge-tool DESIRED LIVE.json
 *
 * DESIRED is a manifest file (YAML or JSON, one object) read as berth reads
 * manifests; LIVE.json is the live object (`kubectl get -o json`), whose
 * last-applied annotation is the original. Prints one JSON object:
 *   {"state": ..., "contentType": ..., "patch": {...}, "predicted": {...},
 *    "paths": [...]}
 * Exit status 0, or 2 with a message on stderr.
 */
#include "../../diff/buf.h"
#include "../../diff/drift.h"
#include "../../diff/error.h"
#include "../../diff/json.h"
#include "../../diff/manifest.h"

#include <stdio.h>

int main(int argc, char **argv)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct json_object *desired = NULL, *live = NULL, *result;
	struct drift d;
	struct buf text = BUF_INIT, out = BUF_INIT;
	const char *paths[1];
	int status = 2;

	if (argc != 3) {
		fprintf(stderr, "usage: berth-merge-tool DESIRED LIVE.json\n");
		return 2;
	}
	paths[0] = argv[1];
	if (manifest_set_load(&set, &diags, paths, 1, NULL) < 0 || set.n != 1) {
		diagnostics_format(&out, &diags);
		fprintf(stderr, "%s: need exactly one valid object\n%s", argv[1], out.ptr);
		goto out;
	}
	manifest_object(&desired, &set.items[0]);
	if (buf_read_file(&text, argv[2], 64u << 20) < 0 ||
	    !(live = json_parse(text.ptr, text.len))) {
		fprintf(stderr, "%s: not a JSON object\n", argv[2]);
		goto out;
	}
	if (drift_compute(&d, desired, live) < 0) {
		fprintf(stderr, "%s\n", berth_error_last());
		goto out;
	}
	result = json_object_new_object();
	json_object_object_add(result, "state", json_object_new_string(drift_state_name(d.state)));
	json_object_object_add(result, "contentType", json_object_new_string(d.patch_type));
	json_object_object_add(result, "patch", json_object_get(d.patch));
	json_object_object_add(result, "predicted", json_object_get(d.predicted));
	json_object_object_add(result, "paths", json_object_get(d.paths));
	if (json_write(&out, result) == 0) {
		puts(out.ptr);
		status = 0;
	}
	json_object_put(result);
	drift_release(&d);
out:
	json_object_put(desired);
	json_object_put(live);
	buf_release(&text);
	buf_release(&out);
	diagnostics_release(&diags);
	manifest_set_release(&set);
	return status;
}
