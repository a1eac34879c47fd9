/* A kubeconfig user's exec stanza: checked, resolved and copied. */
#include "exec_config.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <stdlib.h>
#include <string.h>

static int take_strings(char ***out, size_t *n, struct json_object *list, const char *user,
                        const char *field)
{
	size_t i, len;

	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return berth_error_set("%s: exec.%s must be a list", user, field);
	len = json_object_array_length(list);
	*out = xcalloc(len ? len : 1, sizeof(**out));
	for (i = 0; i < len; i++) {
		struct json_object *v = json_object_array_get_idx(list, i);
		if (!json_object_is_type(v, json_type_string))
			return berth_error_set("%s: exec.%s[%zu] must be a string", user, field, i);
		(*out)[(*n)++] = xstrdup(json_object_get_string(v));
	}
	return 0;
}

static int take_env(struct exec_config *cfg, struct json_object *list)
{
	size_t i, len;

	if (!list)
		return 0;
	if (!json_object_is_type(list, json_type_array))
		return berth_error_set("%s: exec.env must be a list of {name, value}", cfg->user);
	len = json_object_array_length(list);
	cfg->env = xcalloc(len ? len : 1, sizeof(*cfg->env));
	for (i = 0; i < len; i++) {
		struct json_object *e = json_object_array_get_idx(list, i);
		const char *name = json_value_get_string(e, "name"),
		           *value = json_value_get_string(e, "value");
		struct buf b = BUF_INIT;

		if (!name || !*name || strchr(name, '='))
			return berth_error_set("%s: exec.env[%zu] needs a name without '='",
			                       cfg->user, i);
		buf_addf(&b, "%s=%s", name, value ? value : "");
		cfg->env[cfg->nenv++] = buf_detach(&b, NULL);
	}
	return 0;
}

int exec_config_parse(struct exec_config **out, struct json_object *exec, const char *user,
                      const char *dir, struct json_object *cluster)
{
	struct exec_config *cfg = xcalloc(1, sizeof(*cfg));
	const char *s;
	struct json_object *v;
	int error = -1;

	cfg->user = xstrdup(user);
	if (!json_object_is_type(exec, json_type_object)) {
		berth_error_set("%s: exec must be a mapping", user);
		goto out;
	}
	s = json_value_get_string(exec, "apiVersion");
	if (!s || !*s) {
		berth_error_set("%s: exec needs an apiVersion (%s or %s)", user, EXEC_API_V1,
		                EXEC_API_V1BETA1);
		goto out;
	}
	if (strcmp(s, EXEC_API_V1) && strcmp(s, EXEC_API_V1BETA1)) {
		berth_error_set("%s: exec apiVersion '%s' is not supported (use %s or %s)", user, s,
		                EXEC_API_V1, EXEC_API_V1BETA1);
		goto out;
	}
	cfg->api_version = xstrdup(s);

	s = json_value_get_string(exec, "command");
	if (!s || !*s) {
		berth_error_set("%s: exec needs a command", user);
		goto out;
	}
	/* As client-go does: a command with a '/' is a path, relative to the
	 * kubeconfig; a bare name is looked up in PATH. */
	if (s[0] != '/' && strchr(s, '/')) {
		struct buf b = BUF_INIT;
		buf_addf(&b, "%s/%s", dir, s);
		cfg->command = buf_detach(&b, NULL);
	} else {
		cfg->command = xstrdup(s);
	}
	if (take_strings(&cfg->args, &cfg->nargs, json_value_get(exec, "args"), user, "args") < 0 ||
	    take_env(cfg, json_value_get(exec, "env")) < 0)
		goto out;
	if ((s = json_value_get_string(exec, "installHint")) && *s)
		cfg->install_hint = xstrdup(s);

	s = json_value_get_string(exec, "interactiveMode");
	if (!s || !*s) {
		/* v1 makes the plugin say; v1beta1 defaults to IfAvailable. */
		if (!strcmp(cfg->api_version, EXEC_API_V1)) {
			berth_error_set("%s: exec needs an interactiveMode (Never, IfAvailable or "
			                "Always) with %s",
			                user, EXEC_API_V1);
			goto out;
		}
		cfg->interactive = EXEC_INTERACTIVE_IF_AVAILABLE;
	} else if (!strcmp(s, "Never")) {
		cfg->interactive = EXEC_INTERACTIVE_NEVER;
	} else if (!strcmp(s, "IfAvailable")) {
		cfg->interactive = EXEC_INTERACTIVE_IF_AVAILABLE;
	} else if (!strcmp(s, "Always")) {
		cfg->interactive = EXEC_INTERACTIVE_ALWAYS;
	} else {
		berth_error_set("%s: exec interactiveMode '%s' is not one of Never, IfAvailable, "
		                "Always",
		                user, s);
		goto out;
	}

	if (json_object_object_get_ex(exec, "provideClusterInfo", &v) &&
	    json_object_get_boolean(v) && cluster) {
		struct buf b = BUF_INIT;
		if (json_value_write(&b, cluster) < 0) {
			buf_release(&b);
			berth_error_prefix(BERTH_ERROR, "%s: exec cluster information", user);
			goto out;
		}
		cfg->cluster = buf_detach(&b, NULL);
	}
	*out = cfg;
	cfg = NULL;
	error = 0;
out:
	exec_config_free(cfg);
	return error;
}

static char **copy_strings(char *const *src, size_t n)
{
	char **dst = xcalloc(n ? n : 1, sizeof(*dst));
	size_t i;

	for (i = 0; i < n; i++)
		dst[i] = xstrdup(src[i]);
	return dst;
}

struct exec_config *exec_config_copy(const struct exec_config *cfg)
{
	struct exec_config *c = xcalloc(1, sizeof(*c));

	c->user = xstrdup(cfg->user);
	c->api_version = xstrdup(cfg->api_version);
	c->command = xstrdup(cfg->command);
	c->args = copy_strings(cfg->args, cfg->nargs);
	c->nargs = cfg->nargs;
	c->env = copy_strings(cfg->env, cfg->nenv);
	c->nenv = cfg->nenv;
	c->install_hint = xstrdup_or_null(cfg->install_hint);
	c->interactive = cfg->interactive;
	c->cluster = xstrdup_or_null(cfg->cluster);
	return c;
}

void exec_config_free(struct exec_config *cfg)
{
	size_t i;

	if (!cfg)
		return;
	free(cfg->user);
	free(cfg->api_version);
	free(cfg->command);
	for (i = 0; i < cfg->nargs; i++)
		free(cfg->args[i]);
	free(cfg->args);
	/* An env value may be a secret the plugin needs. */
	for (i = 0; i < cfg->nenv; i++)
		free_secret(cfg->env[i]);
	free(cfg->env);
	free(cfg->install_hint);
	free(cfg->cluster);
	free(cfg);
}

void exec_config_exec_info(struct buf *out, const struct exec_config *cfg, bool interactive)
{
	buf_addf(out, "{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"spec\":{",
	         cfg->api_version);
	if (cfg->cluster)
		buf_addf(out, "\"cluster\":%s,", cfg->cluster);
	buf_addf(out, "\"interactive\":%s}}", interactive ? "true" : "false");
}
