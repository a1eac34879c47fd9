/* The options that name the manifests, the cluster and a one-shot's commit
 * status, as diff, sync and lint take them. */
#include "target_options.h"

#include "cli.h"

#include "../daemon/config.h"
#include "../forge/status.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The flag of a status block's setting, for its problems. */
static const char *status_flag(const char *key)
{
	static const char *const flags[][2] = {
	    {"baseURL", "--status-base-url"},     {"repository", "--status-repository"},
	    {"tokenFile", "--status-token-file"}, {"tokenEnv", "--status-token-file"},
	    {"caFile", "--status-ca-file"},       {"context", "--status-context"},
	    {"targetURL", "--status-target-url"}, {"apiVersion", "--status-api-version"},
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(flags); i++)
		if (!strcmp(flags[i][0], key))
			return flags[i][1];
	return key;
}

/* The --status-... flags make a status block, checked as the config's. */
static int status_options_check(struct target_flags *f, const char *verb)
{
	const char *repo = f->target.git.repo;
	struct status_config *s = &f->status;
	const char *key = NULL;

	if (!f->status_provider && !f->status_base_url && !f->status_repository &&
	    !f->status_token_file && !f->status_ca_file && !f->status_context &&
	    !f->status_target_url && !f->status_api_version)
		return 0;
	if (!f->status_provider)
		return usage_error(verb, "the --status-... flags need --status-provider");
	if (forge_parse(&s->provider, f->status_provider) < 0)
		return usage_error(verb,
		                   "unknown --status-provider '%s' (use github, gitlab or gitea)",
		                   f->status_provider);
	if (!repo)
		return usage_error(verb, "--status-provider needs --repo: a status is on a commit");
	s->base_url = xstrdup_or_null(f->status_base_url);
	s->repository = xstrdup_or_null(f->status_repository);
	s->token_file = xstrdup_or_null(f->status_token_file);
	s->ca_file = xstrdup_or_null(f->status_ca_file);
	s->context = xstrdup_or_null(f->status_context);
	s->target_url = xstrdup_or_null(f->status_target_url);
	s->api_version = xstrdup_or_null(f->status_api_version);
	if (!s->token_file)
		return usage_error(verb, "--status-provider needs --status-token-file");
	if (status_config_check(s, repo, &key) < 0)
		return usage_error(verb, "%s: %s", status_flag(key), berth_error_last());
	s->enabled = true;
	return 0;
}

int target_option(struct target_flags *f, int opt, const char *verb, char **argv)
{
	struct target_options *o = &f->target;

	switch (opt) {
	case 'k':
		o->kube.path = optarg;
		return 1;
	case 'c':
		o->kube.context = optarg;
		return 1;
	case 'n':
		o->namespace = optarg;
		o->namespace_flag = true;
		return 1;
	case 'f':
		o->files = xrealloc(o->files, (o->nfiles + 1) * sizeof(*o->files));
		o->files[o->nfiles++] = optarg;
		return 1;
	case 'o':
		o->output = optarg;
		return 1;
	case OPT_REPO:
		o->git.repo = optarg;
		return 1;
	case OPT_REF:
		o->git.ref = optarg;
		return 1;
	case OPT_PATH:
		o->path = optarg;
		return 1;
	case OPT_GIT_USERNAME:
		o->git.username = optarg;
		return 1;
	case OPT_GIT_PASSWORD_FILE:
		o->password_file = optarg;
		return 1;
	case OPT_GIT_CA_FILE:
		o->git.ca_file = optarg;
		return 1;
	case OPT_SSH_KEY:
		o->git.ssh_key = optarg;
		return 1;
	case OPT_KNOWN_HOSTS:
		o->git.known_hosts = optarg;
		return 1;
	case OPT_MAX_BYTES:
		if (parse_size(&o->max_bytes, optarg) < 0)
			return usage_error(verb, "--max-bytes: %s", berth_error_last());
		return 1;
	case OPT_MAX_OBJECTS: {
		char *end;
		long long n = strtoll(optarg, &end, 10);

		if (end == optarg || *end || n < 1)
			return usage_error(
			    verb, "invalid --max-objects '%s' (use a number above 0)", optarg);
		o->max_objects = (size_t)n;
		return 1;
	}
	case OPT_STATUS_PROVIDER:
		f->status_provider = optarg;
		return 1;
	case OPT_STATUS_BASE_URL:
		f->status_base_url = optarg;
		return 1;
	case OPT_STATUS_REPOSITORY:
		f->status_repository = optarg;
		return 1;
	case OPT_STATUS_TOKEN_FILE:
		f->status_token_file = optarg;
		return 1;
	case OPT_STATUS_CA_FILE:
		f->status_ca_file = optarg;
		return 1;
	case OPT_STATUS_CONTEXT:
		f->status_context = optarg;
		return 1;
	case OPT_STATUS_TARGET_URL:
		f->status_target_url = optarg;
		return 1;
	case OPT_STATUS_API_VERSION:
		f->status_api_version = optarg;
		return 1;
	case OPT_STATUS_TIMEOUT:
		if (parse_duration(&f->status_timeout_ms, optarg) < 0)
			return usage_error(verb, "--status-timeout: %s", berth_error_last());
		return 1;
	case ':':
		return usage_error(verb, "option '%s' needs a value", argv[optind - 1]);
	default:
		return 0;
	}
}

/* A path inside the repository: relative, and no ".." component. */
static bool in_repository(const char *path)
{
	const char *p = path;

	if (*path == '/')
		return false;
	for (; *p; p += strcspn(p, "/"), p += *p == '/')
		if (!strncmp(p, "..", 2) && (p[2] == '/' || !p[2]))
			return false;
	return true;
}

int target_options_check(struct target_flags *f, const char *verb, int argc, char **argv)
{
	const struct target_options *o = &f->target;

	int status = 0;

	if (optind < argc)
		status = usage_error(verb, "unexpected argument '%s'", argv[optind]);
	else if (!o->nfiles == !o->git.repo)
		status =
		    usage_error(verb, o->nfiles ? "-f and --repo cannot be used together"
		                                : "name the manifests with -f PATH or --repo URL");
	else if (!o->git.repo && (o->git.ref || o->path))
		status = usage_error(verb, "--ref and --path need --repo");
	else if (o->path && !in_repository(o->path))
		status = usage_error(verb, "--path '%s' must stay inside the repository", o->path);
	else
		status = status_options_check(f, verb);
	if (status)
		target_flags_release(f);
	return status;
}

void target_flags_release(struct target_flags *f)
{
	free(f->target.files);
	f->target.files = NULL;
	f->target.nfiles = 0;
	status_config_release(&f->status);
}

void target_report(const struct target *t, const struct target_flags *f, enum status_state state,
                   const char *description)
{
	const char *name, *cluster;
	struct reporter *r;
	size_t left;

	if (!f->status.enabled || !t->commit.id[0])
		return;
	/* {source} is the repository's name; {cluster}, the context's. */
	name = strrchr(f->status.repository, '/');
	cluster = t->kc && t->kc->context ? t->kc->context : "default";
	reporter_new(&r, NULL, NULL);
	reporter_post(r, &f->status, name ? name + 1 : f->status.repository, cluster, t->commit.id,
	              state, description, false);
	left = reporter_drain(r, clock_now_ms() + (double)f->status_timeout_ms);
	reporter_free(r);
	if (left)
		fprintf(stderr,
		        "warning: the commit status did not reach %s within %ld s (it is not "
		        "sent)\n",
		        forge_name(f->status.provider), f->status_timeout_ms / 1000);
}
