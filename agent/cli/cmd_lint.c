/* berth lint: the offline (and, with a cluster, live) checks of a manifest
 * set, every problem at its file and line. */
#include "cli.h"
#include "output.h"
#include "target_options.h"

#include "../../diff/base/buf.h"
#include "../../diff/checks.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/manifest.h"

#include <getopt.h>
#include <stdio.h>

/* The checks that need a cluster, against the one --kubeconfig or
 * --context names; the context's namespace is the default one. */
static int check_with_server(struct diagnostics *diags, struct diagnostics *warnings,
                             const struct kubeconfig_options *kopts, const char *namespace,
                             const char *const *paths, size_t npaths, struct manifest_set *set,
                             struct tree_options opts)
{
	struct kubeconfig *kc = NULL;
	struct kube_client *client = NULL;
	struct discovery *d = NULL;
	int error;

	if ((error = kubeconfig_load(&kc, kopts)) < 0)
		goto out;
	opts.manifest.default_namespace = namespace ? namespace : kc->namespace;
	tree_load(set, diags, warnings, paths, npaths, &opts);
	if ((error = kube_client_new(&client, kc, NULL)) < 0 ||
	    (error = target_discovery(&d, client, set, false)) < 0)
		goto out;
	error = target_check(diags, warnings, client, d, set, NULL, NULL);
out:
	discovery_free(d);
	kube_client_free(client);
	kubeconfig_free(kc);
	return error < 0 ? error : 0;
}

int cmd_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"namespace", required_argument, NULL, 'n'},
	    {"kubeconfig", required_argument, NULL, 'k'},
	    {"context", required_argument, NULL, 'c'},
	    GIT_LONGOPTS,
	    {NULL, 0, NULL, 0},
	};
	struct target_flags f = TARGET_FLAGS_INIT;
	struct target_options *o = &f.target;
	struct target t = TARGET_INIT;
	struct kubeconfig_options *kopts = &o->kube;
	struct tree_options opts;
	struct manifest_set set = MANIFEST_SET_INIT;
	/* Warnings go with the target's own (a submodule left out). */
	struct diagnostics diags = DIAGNOSTICS_INIT, *warnings = &t.warnings;
	struct buf out = BUF_INIT;
	const char *namespace = NULL;
	const char *const *paths;
	size_t npaths;
	int opt, status;

	opterr = 0;
	while ((opt = getopt_long(argc, argv, ":n:", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			namespace
			= optarg;
			break;
		case ':':
			return usage_error("lint", "option '%s' needs a value", argv[optind - 1]);
		default:
			if ((status = target_option(&f, opt, "lint", argv)) == 1)
				break;
			return status
			           ? status
			           : usage_error("lint", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (o->git.repo) {
		if ((status = target_options_check(&f, "lint", argc, argv)))
			return status;
		if (target_source(&t, o) < 0) {
			berth_error_print();
			status = EXIT_ERROR;
			goto out;
		}
		paths = (const char *const *)&t.files;
		npaths = 1;
	} else if (optind == argc) {
		return usage_error("lint", "name at least one file or directory, or --repo URL");
	} else {
		paths = (const char *const *)argv + optind;
		npaths = (size_t)(argc - optind);
	}

	/* Only a cluster named on the command line is asked: lint stays
	 * offline however KUBECONFIG is set. The checks run on what loaded,
	 * even when something did not. */
	target_tree_options(&opts, o, &t);
	opts.manifest.explicit_namespace = namespace != NULL;
	if (kopts->path || kopts->context) {
		if (check_with_server(&diags, warnings, kopts, namespace, paths, npaths, &set,
		                      opts) < 0) {
			berth_error_print();
			status = EXIT_ERROR;
			goto out;
		}
	} else {
		if (namespace)
			opts.manifest.default_namespace = namespace;
		tree_load(&set, &diags, warnings, paths, npaths, &opts);
		checks_run(&diags, warnings, &set, NULL, NULL);
	}
	diagnostics_format(&out, &diags);
	diagnostics_format(&out, warnings);
	fputs(out.ptr, stdout);
	if (diags.n)
		fprintf(stderr, "%zu problem%s in %zu object%s", diags.n, diags.n == 1 ? "" : "s",
		        set.n, set.n == 1 ? "" : "s");
	else
		fprintf(stderr, "%zu object%s, no problems", set.n, set.n == 1 ? "" : "s");
	fprintf(stderr, warnings->n ? ", %zu warning%s\n" : "\n", warnings->n,
	        warnings->n == 1 ? "" : "s");
	status = diags.n ? 1 : 0;
out:
	target_release(&t);
	target_flags_release(&f);
	buf_release(&out);
	diagnostics_release(&diags);
	manifest_set_release(&set);
	return status;
}
