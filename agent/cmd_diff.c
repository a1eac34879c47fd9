/* berth diff: the drift report of a manifest set against the cluster, with
 * kubectl diff's exit codes. */
#include "builtin.h"
#include "status.h"
#include "target.h"

#include "../diff/base/berth_error.h"
#include "../diff/report.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum diff_format { DIFF_TEXT, DIFF_JSON, DIFF_MARKDOWN };

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {TARGET_LONGOPTS, {NULL, 0, NULL, 0}};
	struct target_options o = TARGET_OPTIONS_INIT;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct report r = REPORT_INIT;
	enum diff_format format = DIFF_TEXT;
	struct buf out = BUF_INIT;
	int opt, taken, error = 0, status = EXIT_ERROR;
	size_t i;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, TARGET_SHORTOPTS, longopts, NULL)) != -1) {
		if ((taken = target_option(&o, opt, "diff", argv)) == 1)
			continue;
		free(o.files);
		return taken ? taken : usage_error("diff", "unknown option '%s'", argv[optind - 1]);
	}
	if ((taken = target_options_check(&o, "diff", argc, argv)))
		return taken;
	if (o.output && !strcmp(o.output, "json"))
		format = DIFF_JSON;
	else if (o.output && !strcmp(o.output, "markdown"))
		format = DIFF_MARKDOWN;
	else if (o.output && strcmp(o.output, "text")) {
		free(o.files);
		return usage_error(
		    "diff", "unknown output format '%s' (use text, json or markdown)", o.output);
	}

	if ((error = target_open(&t, &o, &sync)) < 0)
		goto out;
	sync_plan_confirm(&t.plan, t.client, &sync);
	for (i = 0; i < t.plan.n; i++) {
		struct sync_item *item = &t.plan.items[i];
		struct object_id id = sync_item_id(item);

		sync_item_predicted(item);
		report_add(&r, &id, item->m->file, item->m->line, &item->drift, item->live);
	}
	if ((format == DIFF_JSON       ? report_json(&out, &r)
	     : format == DIFF_MARKDOWN ? report_markdown(&out, &r)
	                               : report_text(&out, &r, isatty(STDOUT_FILENO))) < 0) {
		fprintf(stderr, "error: %s\n", berth_error_last());
		goto out;
	}
	fwrite(out.ptr, 1, out.len, stdout);
	status = report_count(&r, (size_t[DRIFT_STATE_COUNT]){0}) ? 1 : 0;
out:
	/* With --status-...: the diff's word on the commit. */
	if (error < 0)
		status_describe_error(&out, &t.diags, t.checkout);
	else if (status == 1)
		status_describe_drift(&out, &t.plan);
	else
		status_describe_in_sync(&out, &t.plan);
	if (error < 0 || status != EXIT_ERROR)
		target_report(&t, &o,
		              error < 0 ? status_of_error(error)
		              : status  ? STATUS_FAILURE
		                        : STATUS_SUCCESS,
		              out.ptr);
	buf_release(&out);
	report_release(&r);
	target_release(&t, &o);
	return status;
}
