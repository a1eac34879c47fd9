/* kubeconfig files as kubectl reads them: $KUBECONFIG merging, contexts,
 * credentials, and the in-cluster service account. */
#include "kubeconfig.h"

#include "../diff/base/alloc.h"
#include "../diff/base/base64.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/secret.h"
#include "../diff/base/json_value.h"
#include "../diff/yaml_doc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Large enough for any real kubeconfig; a guard against reading the wrong file. */
#define KUBECONFIG_MAX_SIZE (16u << 20)

/* One parsed file and the directory its relative paths resolve against. */
struct kc_file {
	char *path;
	char *dir;
	struct json_object *doc; /* owned */
};

static char *dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		return xstrdup(".");
	if (slash == path)
		return xstrdup("/");
	return xstrndup(path, (size_t)(slash - path));
}

static int load_file(struct kc_file *f, const char *path)
{
	struct buf data = BUF_INIT;
	struct json_object *docs = NULL, *doc;
	int error;

	if ((error = buf_read_file(&data, path, KUBECONFIG_MAX_SIZE)) < 0)
		goto out;
	if ((error = yaml_parse(&docs, path, data.ptr, data.len, NULL, NULL)) < 0)
		goto out;
	doc = json_object_array_length(docs) ? json_object_array_get_idx(docs, 0) : NULL;
	if (doc && !json_object_is_type(doc, json_type_object)) {
		error = berth_error_set("%s: a kubeconfig must be a mapping", path);
		goto out;
	}
	f->path = xstrdup(path);
	f->dir = dir_of(path);
	f->doc = json_object_get(doc);
out:
	json_object_put(docs);
	buf_release(&data);
	return error;
}

/* Find the entry `name` in a named list (clusters, users, contexts) of the
 * first file that has one; return its inner object (`field`) and file. */
static struct json_object *find_named(const struct kc_file *files, size_t nfiles, const char *list,
                                      const char *field, const char *name,
                                      const struct kc_file **from)
{
	size_t i, j;

	for (i = 0; i < nfiles; i++) {
		struct json_object *arr;
		if (!files[i].doc || !json_object_object_get_ex(files[i].doc, list, &arr) ||
		    !json_object_is_type(arr, json_type_array))
			continue;
		for (j = 0; j < json_object_array_length(arr); j++) {
			struct json_object *e = json_object_array_get_idx(arr, j), *inner;
			const char *n = json_value_get_string(e, "name");
			if (!n || strcmp(n, name))
				continue;
			if (!json_object_object_get_ex(e, field, &inner) ||
			    !json_object_is_type(inner, json_type_object))
				return NULL;
			*from = &files[i];
			return inner;
		}
	}
	return NULL;
}

static char *resolve_path(const struct kc_file *f, const char *path)
{
	struct buf b = BUF_INIT;

	if (path[0] == '/')
		return xstrdup(path);
	buf_addf(&b, "%s/%s", f->dir, path);
	return buf_detach(&b, NULL);
}

/* Take `key-data` (base64) into `data`, else `key` (a path) into *file. */
static int take_credential(struct buf *data, char **file, struct json_object *obj,
                           const struct kc_file *f, const char *key, const char *what)
{
	char data_key[64];
	const char *s;

	snprintf(data_key, sizeof(data_key), "%s-data", key);
	if ((s = json_value_get_string(obj, data_key)) && *s) {
		if (base64_decode(data, s, strlen(s)) < 0)
			return berth_error_prefix(BERTH_ERROR, "%s: %s '%s'", f->path, what,
			                          data_key);
		return 0;
	}
	if ((s = json_value_get_string(obj, key)) && *s)
		*file = resolve_path(f, s);
	return 0;
}

static int read_token_file(char **out, const char *path)
{
	struct buf b = BUF_INIT;
	int error;

	if ((error = secret_read(&b, path, NULL, "token")) < 0)
		return berth_error_prefix(error, "tokenFile");
	*out = buf_detach(&b, NULL);
	return 0;
}

/* spec.cluster of the ExecCredential a plugin gets with provideClusterInfo:
 * client-go's Cluster, the CA always as data. The caller owns it. */
static int exec_cluster(struct json_object **out, const struct kubeconfig *kc,
                        struct json_object *cluster, const char *cluster_name)
{
	struct json_object *o = json_object_new_object(), *v;
	struct buf ca = BUF_INIT, b64 = BUF_INIT;
	const char *s;
	size_t i;
	int error;

	json_object_object_add(o, "server", json_object_new_string(kc->server));
	if ((s = json_value_get_string(cluster, "tls-server-name")) && *s)
		json_object_object_add(o, "tls-server-name", json_object_new_string(s));
	if (kc->insecure)
		json_object_object_add(o, "insecure-skip-tls-verify", json_object_new_boolean(1));
	if ((s = json_value_get_string(cluster, "proxy-url")) && *s)
		json_object_object_add(o, "proxy-url", json_object_new_string(s));
	if (json_object_object_get_ex(cluster, "disable-compression", &v) &&
	    json_object_get_boolean(v))
		json_object_object_add(o, "disable-compression", json_object_new_boolean(1));
	if (kc->ca_data.len) {
		buf_add(&ca, kc->ca_data.ptr, kc->ca_data.len);
	} else if (kc->ca_file &&
	           (error = buf_read_file(&ca, kc->ca_file, KUBECONFIG_MAX_SIZE)) < 0) {
		json_object_put(o);
		return berth_error_prefix(error, "cluster '%s'", cluster_name);
	}
	if (ca.len) {
		base64_encode(&b64, ca.ptr, ca.len);
		json_object_object_add(o, "certificate-authority-data",
		                       json_object_new_string(b64.ptr));
	}
	/* The cluster's per-plugin configuration, passed through. */
	v = json_value_get(cluster, "extensions");
	for (i = 0; i < json_value_array_len(v); i++) {
		struct json_object *e = json_object_array_get_idx(v, i);
		const char *name = json_value_get_string(e, "name");
		if (name && !strcmp(name, "client.authentication.k8s.io/exec") &&
		    json_value_get(e, "extension"))
			json_object_object_add(o, "config",
			                       json_value_copy(json_value_get(e, "extension")));
	}
	buf_release(&ca);
	buf_release(&b64);
	*out = o;
	return 0;
}

/* A user whose credential comes from an exec plugin. */
static int take_exec(struct kubeconfig *kc, struct json_object *user, const struct kc_file *from,
                     const char *user_name, struct json_object *cluster, const char *cluster_name)
{
	static const char *const others[] = {
	    "token",      "tokenFile",       "client-certificate", "client-certificate-data",
	    "client-key", "client-key-data", "username",           "password"};
	struct json_object *exec = json_value_get(user, "exec"), *info = NULL, *v;
	struct buf who = BUF_INIT;
	size_t i;
	int error = 0;

	buf_addf(&who, "%s: user '%s'", from->path, user_name);
	for (i = 0; i < ARRAY_SIZE(others); i++)
		if (json_object_object_get_ex(user, others[i], NULL)) {
			error = berth_error_set("%s: exec cannot be combined with %s", who.ptr,
			                        others[i]);
			goto out;
		}
	if (json_object_object_get_ex(exec, "provideClusterInfo", &v) &&
	    json_object_get_boolean(v) &&
	    (error = exec_cluster(&info, kc, cluster, cluster_name)) < 0) {
		berth_error_prefix(error, "%s", who.ptr);
		goto out;
	}
	error = exec_config_parse(&kc->exec, exec, who.ptr, from->dir, info);
out:
	json_object_put(info);
	buf_release(&who);
	return error;
}

/* CR and LF in a credential would end the header it goes in and start
 * another: refused, naming `who` but never the value. */
static int check_credentials(const struct kubeconfig *kc, const char *who)
{
	const char *bad = kc->token && has_control_chars(kc->token)         ? "token"
	                  : kc->username && has_control_chars(kc->username) ? "username"
	                  : kc->password && has_control_chars(kc->password) ? "password"
	                                                                    : NULL;

	if (bad)
		return berth_error_set("%s: the %s holds a control character (CR, LF or another); "
		                       "refused (it is not shown)",
		                       who, bad);
	return 0;
}

static int resolve(struct kubeconfig *kc, const struct kc_file *files, size_t nfiles,
                   const char *context_name)
{
	struct json_object *ctx, *cluster, *user = NULL, *v;
	const struct kc_file *ctx_from = NULL, *cluster_from = NULL, *user_from = NULL;
	const char *cluster_name, *user_name, *s;
	struct buf who = BUF_INIT;
	size_t i;
	int error;

	if (!context_name)
		for (i = 0; i < nfiles && !context_name; i++)
			context_name = json_value_get_string(files[i].doc, "current-context");
	if (!context_name || !*context_name)
		return berth_error_set("%s: no current-context is set; pass --context", kc->source);
	ctx = find_named(files, nfiles, "contexts", "context", context_name, &ctx_from);
	if (!ctx)
		return berth_error_set("%s: context '%s' not found", kc->source, context_name);
	kc->context = xstrdup(context_name);

	cluster_name = json_value_get_string(ctx, "cluster");
	if (!cluster_name)
		return berth_error_set("%s: context '%s' names no cluster", ctx_from->path,
		                       context_name);
	cluster = find_named(files, nfiles, "clusters", "cluster", cluster_name, &cluster_from);
	if (!cluster)
		return berth_error_set("%s: cluster '%s' (of context '%s') not found", kc->source,
		                       cluster_name, context_name);
	s = json_value_get_string(cluster, "server");
	if (!s || !*s)
		return berth_error_set("%s: cluster '%s' has no server", cluster_from->path,
		                       cluster_name);
	kc->server = xstrdup(s);
	while (strlen(kc->server) > 1 && kc->server[strlen(kc->server) - 1] == '/')
		kc->server[strlen(kc->server) - 1] = '\0';
	if (json_object_object_get_ex(cluster, "insecure-skip-tls-verify", &v))
		kc->insecure = json_object_get_boolean(v);
	if ((s = json_value_get_string(cluster, "tls-server-name")) && *s)
		kc->tls_server_name = xstrdup(s);
	if (take_credential(&kc->ca_data, &kc->ca_file, cluster, cluster_from,
	                    "certificate-authority", "cluster") < 0)
		return -1;

	s = json_value_get_string(ctx, "namespace");
	kc->namespace = xstrdup(s && *s ? s : "default");

	user_name = json_value_get_string(ctx, "user");
	if (user_name && *user_name) {
		user = find_named(files, nfiles, "users", "user", user_name, &user_from);
		if (!user)
			return berth_error_set("%s: user '%s' (of context '%s') not found",
			                       kc->source, user_name, context_name);
	}
	if (!user)
		return 0;
	if (json_object_object_get_ex(user, "auth-provider", NULL))
		return berth_error_set("%s: user '%s': auth-provider credentials are not "
		                       "supported (use an exec plugin)",
		                       user_from->path, user_name);
	if (json_object_object_get_ex(user, "exec", NULL))
		return take_exec(kc, user, user_from, user_name, cluster, cluster_name);
	if (take_credential(&kc->cert_data, &kc->cert_file, user, user_from, "client-certificate",
	                    "user") < 0 ||
	    take_credential(&kc->key_data, &kc->key_file, user, user_from, "client-key", "user") <
	        0)
		return -1;
	if ((s = json_value_get_string(user, "token")) && *s) {
		kc->token = xstrdup(s);
	} else if ((s = json_value_get_string(user, "tokenFile")) && *s) {
		kc->token_file = resolve_path(user_from, s);
		if ((error = read_token_file(&kc->token, kc->token_file)) < 0)
			return berth_error_prefix(error, "%s: user '%s'", user_from->path,
			                          user_name);
	}
	if ((s = json_value_get_string(user, "username")))
		kc->username = xstrdup(s);
	if ((s = json_value_get_string(user, "password")))
		kc->password = xstrdup(s);
	buf_addf(&who, "%s: user '%s'", user_from->path, user_name);
	error = check_credentials(kc, who.ptr);
	buf_release(&who);
	return error;
}

/* The in-cluster config: the API server's Service and the pod's service
 * account (a token projected to rotate, re-read as it changes). */
static int in_cluster(struct kubeconfig *kc, const char *host, const char *port)
{
	const char *dir = getenv("BERTH_SERVICEACCOUNT_DIR");
	struct buf b = BUF_INIT, path = BUF_INIT;
	int error;

	if (!dir || !*dir)
		dir = SERVICEACCOUNT_DIR;
	free(kc->source);
	kc->source = xstrdup("in-cluster config");
	kc->context = xstrdup("in-cluster");
	/* An IPv6 address goes in brackets. */
	if (!port || !*port)
		port = "443";
	if (strchr(host, ':'))
		buf_addf(&b, "https://[%s]:%s", host, port);
	else
		buf_addf(&b, "https://%s:%s", host, port);
	kc->server = buf_detach(&b, NULL);
	buf_addf(&b, "%s/ca.crt", dir);
	kc->ca_file = buf_detach(&b, NULL);
	buf_addf(&b, "%s/token", dir);
	kc->token_file = buf_detach(&b, NULL);
	if ((error = read_token_file(&kc->token, kc->token_file)) < 0)
		return berth_error_prefix(error, "in-cluster config");

	buf_addf(&path, "%s/namespace", dir);
	/* No namespace file: the default one. */
	if (buf_read_file(&b, path.ptr, 4096) < 0)
		buf_adds(&b, "default");
	buf_rtrim(&b);
	buf_release(&path);
	kc->namespace = buf_detach(&b, NULL);
	return 0;
}

int kubeconfig_load(struct kubeconfig **out, const struct kubeconfig_options *opts)
{
	struct kubeconfig *kc = xcalloc(1, sizeof(*kc));
	struct kc_file *files = NULL;
	size_t nfiles = 0, alloc = 0, i;
	struct buf list = BUF_INIT;
	const char *env = getenv("KUBECONFIG");
	char *p, *next;
	int error = 0;

	buf_init(&kc->ca_data);
	buf_init(&kc->cert_data);
	buf_init(&kc->key_data);
	if (opts->path) {
		buf_adds(&list, opts->path);
	} else if (env && *env) {
		buf_adds(&list, env);
	} else {
		const char *home = getenv("HOME"), *host = getenv("KUBERNETES_SERVICE_HOST");
		buf_addf(&list, "%s/.kube/config", home ? home : "");
		if (host && *host && access(list.ptr, F_OK) < 0) {
			if ((error = in_cluster(kc, host, getenv("KUBERNETES_SERVICE_PORT"))) < 0 ||
			    (error = check_credentials(kc, "the service account")) < 0)
				goto out;
			*out = kc;
			kc = NULL;
			goto out;
		}
	}
	kc->source = xstrdup(list.ptr);

	for (p = list.ptr; p; p = next) {
		next = strchr(p, ':');
		if (next)
			*next++ = '\0';
		if (!*p)
			continue;
		files = xgrow(files, sizeof(*files), nfiles + 1, &alloc);
		memset(&files[nfiles], 0, sizeof(files[nfiles]));
		if ((error = load_file(&files[nfiles], p)) < 0) {
			berth_error_prefix(error, "kubeconfig");
			goto out;
		}
		nfiles++;
	}
	if (!nfiles) {
		error = berth_error_set("no kubeconfig: pass --kubeconfig or set KUBECONFIG");
		goto out;
	}
	if ((error = resolve(kc, files, nfiles, opts->context)) < 0)
		goto out;
	*out = kc;
	kc = NULL;
out:
	for (i = 0; i < nfiles; i++) {
		free(files[i].path);
		free(files[i].dir);
		json_object_put(files[i].doc);
	}
	free(files);
	buf_release(&list);
	kubeconfig_free(kc);
	return error;
}

void kubeconfig_free(struct kubeconfig *kc)
{
	if (!kc)
		return;
	free(kc->source);
	free(kc->context);
	free(kc->server);
	free(kc->tls_server_name);
	free(kc->namespace);
	free(kc->ca_file);
	buf_release(&kc->ca_data);
	free(kc->cert_file);
	buf_release(&kc->cert_data);
	free(kc->key_file);
	buf_release_secret(&kc->key_data);
	free_secret(kc->token);
	free(kc->token_file);
	free(kc->username);
	free_secret(kc->password);
	exec_config_free(kc->exec);
	free(kc);
}
