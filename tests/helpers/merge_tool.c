/*
 * berth-merge-tool: berth's diff engine on local files, for the e2e tests
 * that check it against a real API server. (`berth diff` against a cluster
 * comes with the kube client; this takes the live objects from kubectl.)
 *
 *   berth-merge-tool DESIRED LIVE.json
 *       DESIRED is one manifest (YAML or JSON) read as berth reads
 *       manifests; LIVE.json the live object (`kubectl get -o json`), whose
 *       last-applied annotation is the original. Prints
 *       {"state", "contentType", "patch", "predicted", "paths"}.
 *
 *   berth-merge-tool --report text|json|markdown PATH LIVE-LIST.json
 *       Every manifest under PATH against the live objects of a List
 *       (`kubectl get -f PATH -o json`); prints the drift report.
 *
 * Exit status 0, or 2 with a message on stderr.
 */
#include "../../agent/source/tree.h"
#include "../../diff/base/buf.h"
#include "../../diff/drift.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/manifest.h"
#include "../../diff/report.h"

#include <stdio.h>
#include <string.h>

static struct json_object *read_json(const char *path)
{
	struct buf text = BUF_INIT;
	struct json_object *v = NULL;

	if (buf_read_file(&text, path, 256u << 20) == 0)
		v = json_value_parse(text.ptr, text.len);
	buf_release(&text);
	if (!v)
		fprintf(stderr, "%s: not JSON\n", path);
	return v;
}

static int load(struct manifest_set *set, const char *path)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	int error = tree_load(set, &diags, NULL, &path, 1, NULL);

	if (error < 0) {
		diagnostics_format(&out, &diags);
		fprintf(stderr, "%s", out.ptr);
	}
	buf_release(&out);
	diagnostics_release(&diags);
	return error;
}

/* The live object in `items` with the identity `id`, or NULL. */
static struct json_object *find_live(struct json_object *items, const struct object_id *id)
{
	size_t i;

	for (i = 0; i < json_object_array_length(items); i++) {
		struct json_object *item = json_object_array_get_idx(items, i);
		struct object_id live_id;
		bool same;

		if (object_id_read(&live_id, NULL, item, "default") < 0)
			continue;
		same = object_id_equal(&live_id, id);
		object_id_release(&live_id);
		if (same)
			return item;
	}
	return NULL;
}

static int report(const char *format, const char *path, const char *live_path)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct report r = REPORT_INIT;
	struct json_object *live = NULL, *items;
	struct buf out = BUF_INIT;
	size_t i;
	int status = 2;

	if (load(&set, path) < 0 || !(live = read_json(live_path)))
		goto out;
	items = json_value_get(live, "items");
	for (i = 0; i < set.n; i++) {
		struct json_object *desired = NULL, *l = find_live(items, &set.items[i].id);
		struct drift d;

		manifest_object(&desired, &set.items[i]);
		if (drift_compute(&d, desired, l) < 0) {
			fprintf(stderr, "%s:%zu: %s\n", set.items[i].file, set.items[i].line,
			        berth_error_last());
			json_object_put(desired);
			goto out;
		}
		report_add(&r, &set.items[i].id, set.items[i].file, set.items[i].line, &d, l);
		drift_release(&d);
		json_object_put(desired);
	}
	if (!strcmp(format, "json"))
		report_json(&out, &r);
	else if (!strcmp(format, "markdown"))
		report_markdown(&out, &r);
	else
		report_text(&out, &r, false);
	fputs(out.ptr, stdout);
	status = 0;
out:
	buf_release(&out);
	report_release(&r);
	json_object_put(live);
	manifest_set_release(&set);
	return status;
}

static int one(const char *path, const char *live_path)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct json_object *desired = NULL, *live = NULL, *result;
	struct buf out = BUF_INIT;
	struct drift d;
	int status = 2;

	if (load(&set, path) < 0 || !(live = read_json(live_path)))
		goto out;
	if (set.n != 1) {
		fprintf(stderr, "%s: need exactly one object\n", path);
		goto out;
	}
	manifest_object(&desired, &set.items[0]);
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
	if (json_value_write(&out, result) == 0) {
		puts(out.ptr);
		status = 0;
	}
	json_object_put(result);
	drift_release(&d);
out:
	json_object_put(desired);
	json_object_put(live);
	buf_release(&out);
	manifest_set_release(&set);
	return status;
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--report"))
		return report(argv[2], argv[3], argv[4]);
	if (argc == 3)
		return one(argv[1], argv[2]);
	fprintf(stderr,
	        "usage: berth-merge-tool DESIRED LIVE.json\n"
	        "       berth-merge-tool --report text|json|markdown PATH LIVE-LIST.json\n");
	return 2;
}
