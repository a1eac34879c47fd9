/* berth diff: the drift report of a manifest set against the cluster, with
 * kubectl diff's exit codes; with --status-..., the preview of a commit not
 * merged yet. */
#include "cli.h"
#include "../source/plan_report.h"
#include "../forge/status.h"
#include "output.h"
#include "target_options.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

enum diff_format { DIFF_TEXT, DIFF_JSON, DIFF_MARKDOWN };

static int write_report_file(const char *path, const struct report *r)
{
	struct buf md = BUF_INIT;
	FILE *f;
	int error = report_markdown(&md, r);

	if (error == 0 &&
	    (!(f = fopen(path, "w")) || fwrite(md.ptr, 1, md.len, f) != md.len || fclose(f) != 0))
		error = berth_error_set("--report-file '%s': %s", path, strerror(errno));
	buf_release(&md);
	return error;
}

int cmd_diff(int argc, char **argv)
{
	static const struct option longopts[] = {
	    TARGET_LONGOPTS,
	    {"prune", no_argument, NULL, 'p'},
	    {"report-file", required_argument, NULL, 'R'},
	    {NULL, 0, NULL, 0},
	};
	struct target_flags f = TARGET_FLAGS_INIT;
	struct target_options *o = &f.target;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct report r = REPORT_INIT;
	enum diff_format format = DIFF_TEXT;
	struct buf out = BUF_INIT;
	const char *report_file = NULL;
	int opt, taken, error = 0, status = EXIT_ERROR;
	size_t i;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, TARGET_SHORTOPTS, longopts, NULL)) != -1) {
		if ((taken = target_option(&f, opt, "diff", argv)) == 1)
			continue;
		if (!taken && opt == 'p') {
			sync.prune = sync.allow_empty = true;
			continue;
		}
		if (!taken && opt == 'R') {
			report_file = optarg;
			continue;
		}
		free(o->files);
		return taken ? taken : usage_error("diff", "unknown option '%s'", argv[optind - 1]);
	}
	if ((taken = target_options_check(&f, "diff", argc, argv)))
		return taken;
	if (o->output && !strcmp(o->output, "json"))
		format = DIFF_JSON;
	else if (o->output && !strcmp(o->output, "markdown"))
		format = DIFF_MARKDOWN;
	else if (o->output && strcmp(o->output, "text")) {
		target_release(&t);
		target_flags_release(&f);
		return usage_error(
		    "diff", "unknown output format '%s' (use text, json or markdown)", o->output);
	}
	/* A diff that posts a status is a preview of the commit: nothing is
	 * sent that writes, not even a dry run. */
	r.preview = sync.hide_foreign = f.status.enabled;
	o->read_only = true;
	if (r.preview) {
		buf_addf(&out, "%s/preview", f.status.context);
		free(f.status.context);
		f.status.context = buf_detach(&out, NULL);
	}

	if ((error = target_open(&t, o, &sync)) < 0)
		goto out;
	if ((error = plan_report(&r, &t, &sync)) < 0) {
		berth_error_print();
		goto out;
	}
	for (i = 0; i < r.nwarnings; i++)
		fprintf(stderr, "warning: %s\n", r.warnings[i]);
	if ((format == DIFF_JSON       ? report_json(&out, &r)
	     : format == DIFF_MARKDOWN ? report_markdown(&out, &r)
	                               : report_text(&out, &r, isatty(STDOUT_FILENO))) < 0 ||
	    (report_file && write_report_file(report_file, &r) < 0)) {
		berth_error_print();
		goto out;
	}
	fwrite(out.ptr, 1, out.len, stdout);
	status = report_count(&r, (size_t[DRIFT_STATE_COUNT]){0}) ? 1 : 0;
out:
	/* With --status-...: the preview's word on the commit. */
	buf_reset(&out);
	if (error < 0)
		plan_summary_error(&out, &t.diags, t.checkout);
	else
		report_summary(&out, &r);
	if (error < 0 || status != EXIT_ERROR)
		target_report(&t, &f, error < 0 ? status_of_error(error) : STATUS_SUCCESS, out.ptr);
	buf_release(&out);
	report_release(&r);
	target_release(&t);
	target_flags_release(&f);
	return status;
}
