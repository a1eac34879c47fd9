/* A status block's settings, checked the one way for the config file and
 * the --status-... flags. */
#include "status_config.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/secret.h"

#include <stdlib.h>
#include <string.h>

int status_config_check(struct status_config *s, const char *repo, const char **key)
{
	struct buf scratch = BUF_INIT;
	int error = 0;

	if (!s->base_url && !forge_default_base(s->provider)) {
		*key = "baseURL";
		error = berth_error_set("required for %s (the forge's address, for example "
		                        "https://%s.example.com)",
		                        forge_name(s->provider), forge_name(s->provider));
	} else if (s->base_url && strncmp(s->base_url, "https://", 8) &&
	           strncmp(s->base_url, "http://", 7)) {
		*key = "baseURL";
		error = berth_error_set("'%s' is not an http(s) URL", s->base_url);
	} else if (s->api_version && s->provider != FORGE_GITHUB) {
		*key = "apiVersion";
		error = berth_error_set("only GitHub's API has versions to choose");
	} else if (s->api_version && forge_api_version_check(s->api_version) < 0) {
		*key = "apiVersion";
		error = -1;
	} else if (!s->token_file == !s->token_env) {
		*key = s->token_env ? "tokenEnv" : "tokenFile";
		error = berth_error_set("give tokenFile or tokenEnv");
	} else if (secret_read(&scratch, s->token_file, s->token_env, "token") < 0) {
		/* The poster reads it again as it runs, and checks it again. */
		*key = s->token_file ? "tokenFile" : "tokenEnv";
		error = -1;
	} else if (s->ca_file && buf_read_file(&scratch, s->ca_file, 1 << 20) < 0) {
		*key = "caFile";
		error = -1;
	} else if (!s->repository && forge_repository(&scratch, repo) < 0) {
		*key = "repository";
		error = -1;
	}
	if (!error && !s->repository)
		s->repository = buf_detach(&scratch, NULL);
	if (!error && !s->context)
		s->context = xstrdup(STATUS_CONTEXT_DEFAULT);
	if (!error && status_template(&scratch, s->context, "", "", "") < 0) {
		*key = "context";
		error = -1;
	}
	if (!error && s->target_url && status_template(&scratch, s->target_url, "", "", "") < 0) {
		*key = "targetURL";
		error = -1;
	}
	buf_release_secret(&scratch);
	return error;
}

void status_config_release(struct status_config *s)
{
	free(s->base_url);
	free(s->repository);
	free(s->token_file);
	free(s->token_env);
	free(s->ca_file);
	free(s->context);
	free(s->target_url);
	free(s->api_version);
	*s = (struct status_config){0};
}
