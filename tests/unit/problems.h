#ifndef BERTH_TEST_PROBLEMS_H
#define BERTH_TEST_PROBLEMS_H

/*
 * What the tests of loading manifests share (test_manifest.c, in memory;
 * test_tree.c, from files): a load's problems as text, and the check that
 * one is among them at its place. The includer defines `root`, the
 * directory the names are in, before including this.
 */
#include "../../diff/base/buf.h"
#include "../../diff/base/diagnostics.h"

#include <stdio.h>
#include <string.h>

/* The problems, then the warnings, as text (caller frees); releases both. */
static char *problems_text(struct diagnostics *diags, struct diagnostics *warnings)
{
	struct buf out = BUF_INIT;

	diagnostics_format(&out, diags);
	diagnostics_format(&out, warnings);
	diagnostics_release(diags);
	diagnostics_release(warnings);
	return buf_detach(&out, NULL);
}

/* `problems` holds "root/file" followed by `rest`. */
static void expect_problem(const char *problems, const char *file, const char *rest)
{
	char want[512];

	snprintf(want, sizeof(want), "%s/%s%s", root, file, rest);
	if (!strstr(problems, want))
		fail_msg("'%s' not in:\n%s", want, problems);
}

#endif
