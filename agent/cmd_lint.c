#include "builtin.h"

#include "../diff/buf.h"
#include "../diff/checks.h"
#include "../diff/manifest.h"

#include <getopt.h>
#include <stdio.h>

int cmd_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"namespace", required_argument, NULL, 'n'},
	    {NULL, 0, NULL, 0},
	};
	struct manifest_options opts = MANIFEST_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	int opt, status;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			opts.default_namespace = optarg;
			break;
		case ':':
			return usage_error("lint", "option '%s' needs a value", argv[optind - 1]);
		default:
			return usage_error("lint", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind == argc)
		return usage_error("lint", "name at least one file or directory");

	/* The commit's checks run on what loaded, even when something did not. */
	manifest_set_load(&set, &diags, (const char *const *)argv + optind, (size_t)(argc - optind),
	                  &opts);
	checks_run(&diags, &set, NULL);
	diagnostics_format(&out, &diags);
	fputs(out.ptr, stdout);
	if (diags.n)
		fprintf(stderr, "%zu problem%s in %zu object%s\n", diags.n, diags.n == 1 ? "" : "s",
		        set.n, set.n == 1 ? "" : "s");
	else
		fprintf(stderr, "%zu object%s, no problems\n", set.n, set.n == 1 ? "" : "s");
	status = diags.n ? 1 : 0;
	buf_release(&out);
	diagnostics_release(&diags);
	manifest_set_release(&set);
	return status;
}
