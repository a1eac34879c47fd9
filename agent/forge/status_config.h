#ifndef BERTH_STATUS_CONFIG_H
#define BERTH_STATUS_CONFIG_H

#include "forge.h"

#include <stdbool.h>

/* A source's `status` block: where its commit statuses go. The context and
 * target URL are templates ({sha}, {source}, {cluster}). */
struct status_config {
	bool enabled;
	enum forge provider;
	char *base_url;   /* NULL: the forge's default (GitHub's only) */
	char *repository; /* given, or from the source's repo URL */
	char *token_file, *token_env, *ca_file;
	char *context, *target_url; /* context defaulted; target_url may be NULL */
	char *api_version;          /* GitHub's; NULL: FORGE_GITHUB_API_VERSION */
	bool preview_comment;       /* preview.comment: keep a comment on each pull request */
	/* Not from the config: the ref a GitLab status names (a merge request's
	 * refs/merge-requests/N/head, which no branch may reach); NULL: GitLab
	 * finds one. Borrowed, never freed. */
	const char *gitlab_ref;
};

/* The default context of a source's statuses. */
#define STATUS_CONTEXT_DEFAULT "berth/{cluster}/{source}"

/*
 * Check a status block's settings, and fill in what they leave out: the
 * repository from `repo` (the source's URL) and the default context. On
 * the first problem, fails with its reason and sets *key to the setting it
 * is about ("baseURL", "tokenFile", ...). Used by the config file and by
 * the --status-... flags alike.
 */
int status_config_check(struct status_config *s, const char *repo, const char **key);
void status_config_release(struct status_config *s);

#endif
