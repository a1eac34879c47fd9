/* berth run's configuration file: parsed, defaulted and checked, with each
 * problem at its line. */
#include "config.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/secret.h"
#include "../../diff/yaml_doc.h"

#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_MAX                   (1u << 20)
#define DEFAULT_INTERVAL_MS          (5 * 60 * 1000L)
#define DEFAULT_RESYNC_MS            (60 * 60 * 1000L)
#define DEFAULT_PROGRESS_DEADLINE_MS (10 * 60 * 1000L)
#define DEFAULT_JITTER_PERCENT       10u
/* A webhook secret shorter than this is guessed too easily. */
#define MIN_SECRET 16

/* The file being read, and where its nodes are. */
struct loader {
	const char *path;
	struct diagnostics *diags;
	struct yaml_marks marks;
};

static void problem(struct loader *l, struct json_object *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A problem at the field whose value is `node`. */
static void problem(struct loader *l, struct json_object *node, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	size_t line = 0, column = 0;
	va_list ap;

	yaml_marks_find_field(&line, &column, &l->marks, node);
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diagnostics_add(l->diags, l->path, line, column, "%s", msg.ptr);
	buf_release(&msg);
}

/* Every key of `map` (at `where`) is one of `keys`. */
static void known_keys(struct loader *l, struct json_object *map, const char *where,
                       const char *const *keys)
{
	json_object_object_foreach(map, key, value)
	{
		const char *const *k;

		for (k = keys; *k && strcmp(*k, key); k++)
			;
		if (!*k)
			problem(l, value, "%s%s: unknown key", where, key);
	}
}

/* The string at map[key], or NULL when absent; a copy (caller frees). */
static char *string_at(struct loader *l, struct json_object *map, const char *key,
                       const char *where)
{
	struct json_object *v = json_value_get(map, key);

	if (!v)
		return NULL;
	if (!json_object_is_type(v, json_type_string) || !*json_object_get_string(v)) {
		problem(l, v, "%s%s: must be a non-empty string", where, key);
		return NULL;
	}
	return xstrdup(json_object_get_string(v));
}

static bool is_name(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");

	return n && !s[n] && n <= 63 && s[0] != '-' && s[n - 1] != '-';
}

static void load_auth(struct loader *l, struct source_config *s, struct json_object *auth,
                      const char *where)
{
	static const char *const keys[] = {"username",   "passwordFile",   "passwordEnv", "caFile",
	                                   "sshKeyFile", "knownHostsFile", NULL};

	if (!auth)
		return;
	if (!json_object_is_type(auth, json_type_object)) {
		problem(l, auth, "%sauth: must be a mapping", where);
		return;
	}
	known_keys(l, auth, where, keys);
	s->git.username = string_at(l, auth, "username", where);
	s->password_file = string_at(l, auth, "passwordFile", where);
	s->password_env = string_at(l, auth, "passwordEnv", where);
	s->git.ca_file = string_at(l, auth, "caFile", where);
	s->git.ssh_key = string_at(l, auth, "sshKeyFile", where);
	s->git.known_hosts = string_at(l, auth, "knownHostsFile", where);
	if (s->password_file && s->password_env)
		problem(l, auth, "%sauth: passwordFile and passwordEnv: give one", where);
}

/* A namespace's name: a DNS label. */
static bool is_namespace(struct loader *l, struct json_object *v, const char *what)
{
	const char *ns = json_object_get_string(v);

	if (json_object_is_type(v, json_type_string) && is_name(ns))
		return true;
	problem(l, v,
	        "%s: must be a namespace name (lowercase letters, digits and '-', at most 63)",
	        what);
	return false;
}

/* A source's name, as dependsOn gives it. */
static bool is_source_name(struct loader *l, struct json_object *v, const char *what)
{
	if (json_object_is_type(v, json_type_string) && is_name(json_object_get_string(v)))
		return true;
	problem(l, v, "%s: must be a source's name", what);
	return false;
}

/* A kind as clusterResources names it: "Kind", or "Kind.group" ("Kind."
 * for the core group). */
static bool is_kind(struct loader *l, struct json_object *v, const char *what)
{
	const char *k = json_object_get_string(v);
	size_t n = json_object_is_type(v, json_type_string) ? strspn(k, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                                                "abcdefghijklmnopqrstuvwxyz"
	                                                                "0123456789")
	                                                    : 0;

	if (n && k[0] >= 'A' && k[0] <= 'Z' &&
	    (!k[n] || (k[n] == '.' && strspn(k + n + 1, "abcdefghijklmnopqrstuvwxyz0123456789-.") ==
	                                  strlen(k + n + 1))))
		return true;
	problem(l, v,
	        "%s: must be a kind, as 'ClusterRole' or 'ClusterRole.rbac.authorization.k8s.io'",
	        what);
	return false;
}

/* A list of names (`empty`: it may be empty), each checked by `ok`; NULL
 * when absent or wrong. */
static char **load_list(struct loader *l, struct json_object *src, const char *key,
                        const char *where, const char *what, bool empty,
                        bool (*ok)(struct loader *, struct json_object *, const char *))
{
	struct json_object *list = json_value_get(src, key), *v;
	struct buf at = BUF_INIT;
	char **out;
	size_t i, n = 0;

	if (!list)
		return NULL;
	if (!json_object_is_type(list, json_type_array) ||
	    (!empty && !json_object_array_length(list))) {
		problem(l, list, "%s%s: must be a list of %s", where, key, what);
		return NULL;
	}
	out = xcalloc(json_object_array_length(list) + 1, sizeof(char *));
	for (i = 0; i < json_object_array_length(list); i++) {
		v = json_object_array_get_idx(list, i);
		buf_reset(&at);
		buf_addf(&at, "%s%s[%zu]", where, key, i);
		if (ok(l, v, at.ptr))
			out[n++] = xstrdup(json_object_get_string(v));
	}
	buf_release(&at);
	return out;
}

/* targetNamespace, allowedNamespaces and clusterResources: the namespaces
 * a source's objects go to and may go to, and the cluster-scoped kinds it
 * may manage. targetNamespace alone confines the source to it. */
static void load_namespaces(struct loader *l, struct source_config *s, struct json_object *src,
                            const char *where)
{
	struct json_object *v = json_value_get(src, "targetNamespace");
	struct buf what = BUF_INIT, why = BUF_INIT;

	buf_addf(&what, "%stargetNamespace", where);
	if (v && is_namespace(l, v, what.ptr))
		s->target_namespace = xstrdup(json_object_get_string(v));
	s->allowed_namespaces =
	    load_list(l, src, "allowedNamespaces", where, "namespaces", false, is_namespace);
	/* [] confines the source to no cluster-scoped kind at all. */
	s->cluster_resources = load_list(l, src, "clusterResources", where, "kinds", true, is_kind);
	if (s->target_namespace && !s->allowed_namespaces &&
	    !json_value_get(src, "allowedNamespaces")) {
		s->allowed_namespaces = xcalloc(2, sizeof(char *));
		s->allowed_namespaces[0] = xstrdup(s->target_namespace);
	}
	if (s->target_namespace &&
	    !manifest_namespace_allowed(&why, (const char *const *)s->allowed_namespaces,
	                                s->target_namespace))
		problem(l, v, "%s: '%s' is not among allowedNamespaces", what.ptr,
		        s->target_namespace);
	buf_release(&what);
	buf_release(&why);
}

/* previews: {forks: bool, timeout: duration}. */
static void load_previews(struct loader *l, struct source_config *s, struct json_object *p,
                          const char *where)
{
	static const char *const keys[] = {"forks", "timeout", NULL};
	struct json_object *forks = json_value_get(p, "forks"),
	                   *timeout = json_value_get(p, "timeout");
	struct buf sub = BUF_INIT;
	long ms = 0;

	if (!p)
		return;
	if (!json_object_is_type(p, json_type_object)) {
		problem(l, p, "%spreviews: must be a mapping", where);
		return;
	}
	buf_addf(&sub, "%spreviews.", where);
	known_keys(l, p, sub.ptr, keys);
	if (forks && !json_object_is_type(forks, json_type_boolean))
		problem(l, forks, "%sforks: use true or false", sub.ptr);
	s->preview_forks = forks && json_object_get_boolean(forks);
	if (timeout && (!json_object_is_type(timeout, json_type_string) ||
	                parse_duration(&ms, json_object_get_string(timeout)) < 0 || ms < 1000))
		problem(l, timeout, "%stimeout: use a duration of at least 1s (30s, 2m)", sub.ptr);
	else if (timeout)
		s->preview_timeout_ms = ms;
	buf_release(&sub);
}

/* A source's status block. */
static void load_status(struct loader *l, struct source_config *s, struct json_object *st,
                        const char *where)
{
	static const char *const keys[] = {"provider",   "baseURL", "repository", "tokenFile",
	                                   "tokenEnv",   "caFile",  "context",    "targetURL",
	                                   "apiVersion", "preview", NULL};
	static const char *const preview_keys[] = {"comment", NULL};
	struct status_config *c = &s->status;
	const char *provider, *key = NULL;
	struct buf sub = BUF_INIT;
	struct json_object *v;

	if (!st)
		return;
	if (!json_object_is_type(st, json_type_object)) {
		problem(l, st, "%sstatus: must be a mapping", where);
		return;
	}
	buf_addf(&sub, "%sstatus.", where);
	known_keys(l, st, sub.ptr, keys);
	c->base_url = string_at(l, st, "baseURL", sub.ptr);
	c->repository = string_at(l, st, "repository", sub.ptr);
	c->token_file = string_at(l, st, "tokenFile", sub.ptr);
	c->token_env = string_at(l, st, "tokenEnv", sub.ptr);
	c->ca_file = string_at(l, st, "caFile", sub.ptr);
	c->context = string_at(l, st, "context", sub.ptr);
	c->target_url = string_at(l, st, "targetURL", sub.ptr);
	c->api_version = string_at(l, st, "apiVersion", sub.ptr);
	if ((v = json_value_get(st, "preview")) && !json_object_is_type(v, json_type_object)) {
		problem(l, v, "%spreview: must be a mapping", sub.ptr);
	} else if (v) {
		struct buf pre = BUF_INIT;
		struct json_object *comment = json_value_get(v, "comment");

		buf_addf(&pre, "%spreview.", sub.ptr);
		known_keys(l, v, pre.ptr, preview_keys);
		if (comment && !json_object_is_type(comment, json_type_boolean))
			problem(l, comment, "%scomment: use true or false", pre.ptr);
		c->preview_comment = comment && json_object_get_boolean(comment);
		buf_release(&pre);
	}
	v = json_value_get(st, "provider");
	provider = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
	if (!v)
		problem(l, st, "%sprovider: missing (github, gitlab or gitea)", sub.ptr);
	else if (!provider || forge_parse(&c->provider, provider) < 0)
		problem(l, v, "%sprovider: use github, gitlab or gitea", sub.ptr);
	else if (s->git.repo && status_config_check(c, s->git.repo, &key) < 0)
		problem(l, json_value_get(st, key) ? json_value_get(st, key) : st, "%s%s: %s",
		        sub.ptr, key, berth_error_last());
	else
		c->enabled = true;
	buf_release(&sub);
}

/* A duration of at least 1s (`v`, may be NULL: *ms stays) at key `key`:
 * 30s, 5m, 1h, or seconds. */
static void duration_at(struct loader *l, long *ms, struct json_object *v, const char *where,
                        const char *key)
{
	long got = 0;

	if (!v)
		return;
	if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0 &&
	    json_object_get_int64(v) < LONG_MAX / 1000)
		*ms = (long)json_object_get_int64(v) * 1000;
	else if (!json_object_is_type(v, json_type_string) ||
	         parse_duration(&got, json_object_get_string(v)) < 0 || got < 1000)
		problem(l, v, "%s%s: use a duration of at least 1s (30s, 5m, 1h)", where, key);
	else
		*ms = got;
}

/* A boolean key `key` (v, NULL when absent) into *out. */
static void boolean_at(struct loader *l, bool *out, struct json_object *v, const char *where,
                       const char *key)
{
	if (!v)
		return;
	if (json_object_is_type(v, json_type_boolean))
		*out = json_object_get_boolean(v);
	else
		problem(l, v, "%s%s: must be true or false", where, key);
}

static void load_source_config(struct loader *l, struct source_config *s, struct json_object *src,
                               size_t index)
{
	static const char *const keys[] = {"name",
	                                   "repo",
	                                   "ref",
	                                   "path",
	                                   "namespace",
	                                   "interval",
	                                   "resyncInterval",
	                                   "jitter",
	                                   "prune",
	                                   "drift",
	                                   "progressDeadline",
	                                   "recoverStuckRollouts",
	                                   "dependsOn",
	                                   "auth",
	                                   "maxBytes",
	                                   "maxObjects",
	                                   "targetNamespace",
	                                   "allowedNamespaces",
	                                   "clusterResources",
	                                   "status",
	                                   "previews",
	                                   NULL};
	struct json_object *v;
	struct buf where = BUF_INIT;

	buf_addf(&where, "sources[%zu].", index);
	s->interval_ms = DEFAULT_INTERVAL_MS;
	s->resync_ms = DEFAULT_RESYNC_MS;
	s->progress_deadline_ms = DEFAULT_PROGRESS_DEADLINE_MS;
	s->preview_timeout_ms = PREVIEW_TIMEOUT_MS;
	s->jitter_percent = DEFAULT_JITTER_PERCENT;
	if (!json_object_is_type(src, json_type_object)) {
		problem(l, src, "sources[%zu]: must be a mapping", index);
		goto out;
	}
	known_keys(l, src, where.ptr, keys);
	s->name = string_at(l, src, "name", where.ptr);
	s->git.repo = string_at(l, src, "repo", where.ptr);
	s->git.ref = string_at(l, src, "ref", where.ptr);
	s->path = string_at(l, src, "path", where.ptr);
	s->namespace = string_at(l, src, "namespace", where.ptr);
	if (!json_value_get(src, "name"))
		problem(l, src, "%sname: missing", where.ptr);
	else if (s->name && !is_name(s->name))
		problem(l, json_value_get(src, "name"),
		        "%sname: '%s' must be lowercase letters, digits and '-' (at most 63)",
		        where.ptr, s->name);
	if (!json_value_get(src, "repo"))
		problem(l, src, "%srepo: missing", where.ptr);
	duration_at(l, &s->interval_ms, json_value_get(src, "interval"), where.ptr, "interval");
	duration_at(l, &s->resync_ms, json_value_get(src, "resyncInterval"), where.ptr,
	            "resyncInterval");
	duration_at(l, &s->progress_deadline_ms, json_value_get(src, "progressDeadline"), where.ptr,
	            "progressDeadline");
	if ((v = json_value_get(src, "jitter"))) {
		const char *j = json_object_get_string(v);
		char *end;
		long p = j ? strtol(j, &end, 10) : -1;

		if (!j || end == j || (*end && strcmp(end, "%")) || p < 0 || p > 50)
			problem(l, v, "%sjitter: use a percentage from 0%% to 50%%", where.ptr);
		else
			s->jitter_percent = (unsigned)p;
	}
	boolean_at(l, &s->prune, json_value_get(src, "prune"), where.ptr, "prune");
	s->depends_on =
	    load_list(l, src, "dependsOn", where.ptr, "source names", true, is_source_name);
	boolean_at(l, &s->recover_stuck, json_value_get(src, "recoverStuckRollouts"), where.ptr,
	           "recoverStuckRollouts");
	if ((v = json_value_get(src, "drift"))) {
		const char *d = json_object_get_string(v);

		if (json_object_is_type(v, json_type_string) && !strcmp(d, "correct"))
			s->drift = DRIFT_MODE_CORRECT;
		else if (json_object_is_type(v, json_type_string) && !strcmp(d, "report"))
			s->drift = DRIFT_MODE_REPORT;
		else
			problem(l, v, "%sdrift: use correct or report", where.ptr);
	}
	if ((v = json_value_get(src, "maxBytes")) &&
	    (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int)
	         ? -1
	         : parse_size(&s->max_bytes, json_object_get_string(v))) < 0)
		problem(l, v, "%smaxBytes: use a size in bytes, or 500Ki, 64Mi, 1Gi", where.ptr);
	if ((v = json_value_get(src, "maxObjects"))) {
		if (json_object_is_type(v, json_type_int) && json_object_get_int64(v) > 0)
			s->max_objects = (size_t)json_object_get_int64(v);
		else
			problem(l, v, "%smaxObjects: use a number above 0", where.ptr);
	}
	load_namespaces(l, s, src, where.ptr);
	load_previews(l, s, json_value_get(src, "previews"), where.ptr);
	load_auth(l, s, json_value_get(src, "auth"), where.ptr);
	load_status(l, s, json_value_get(src, "status"), where.ptr);
out:
	buf_release(&where);
}

/* scaleOut: the mode, and the Leases' timing, each shorter than what it
 * guards (client-go's rule: duration > deadline > retry period). */
static void load_scale_out(struct loader *l, struct scale_out *so, struct json_object *v)
{
	static const char *const keys[] = {"mode",
	                                   "leaseDuration",
	                                   "renewDeadline",
	                                   "retryPeriod",
	                                   "sourceLeaseDuration",
	                                   "sourceRenewInterval",
	                                   "sourceRenewDeadline",
	                                   NULL};
	struct json_object *mode = json_value_get(v, "mode");
	long *ms[] = {&so->lease_duration_ms, &so->renew_deadline_ms,
	              &so->retry_period_ms,   &so->source_lease_duration_ms,
	              &so->source_renew_ms,   &so->source_renew_deadline_ms};
	size_t i;

	if (!v)
		return;
	if (!json_object_is_type(v, json_type_object)) {
		problem(l, v, "scaleOut: must be a mapping");
		return;
	}
	known_keys(l, v, "scaleOut.", keys);
	if (mode && json_object_is_type(mode, json_type_string) &&
	    (!strcmp(json_object_get_string(mode), "lease") ||
	     !strcmp(json_object_get_string(mode), "none")))
		so->lease = !strcmp(json_object_get_string(mode), "lease");
	else
		problem(l, mode ? mode : v, "scaleOut.mode: %s",
		        mode ? "use lease or none" : "missing");
	for (i = 0; i < ARRAY_SIZE(ms); i++)
		duration_at(l, ms[i], json_value_get(v, keys[i + 1]), "scaleOut.", keys[i + 1]);
	if (so->lease_duration_ms % 1000 || so->source_lease_duration_ms % 1000)
		problem(l, v, "scaleOut: a Lease's duration is whole seconds");
	if (!(so->lease_duration_ms > so->renew_deadline_ms &&
	      so->renew_deadline_ms > so->retry_period_ms))
		problem(l, v, "scaleOut: use leaseDuration > renewDeadline > retryPeriod");
	/* The margin is what a write already sent may take once the
	 * holder gives the source up (its request is abandoned within 1 s). */
	if (!(so->source_lease_duration_ms >= so->source_renew_deadline_ms + 2000 &&
	      so->source_renew_deadline_ms > so->source_renew_ms))
		problem(l, v,
		        "scaleOut: use sourceLeaseDuration >= sourceRenewDeadline + 2s, and "
		        "sourceRenewDeadline > sourceRenewInterval");
}

/* The secret of each forge's webhooks, from a file or the environment. */
static void load_webhooks(struct loader *l, struct config *c, struct json_object *hooks)
{
	static const char *const forges[] = {"github", "gitlab", "gitea", NULL};
	static const char *const keys[] = {"secretFile", "secretEnv", NULL};
	struct buf where = BUF_INIT, secret = BUF_INIT;
	size_t f;

	if (!hooks)
		return;
	if (!json_object_is_type(hooks, json_type_object)) {
		problem(l, hooks, "webhooks: must be a mapping");
		return;
	}
	known_keys(l, hooks, "webhooks.", forges);
	for (f = 0; f < FORGE_COUNT; f++) {
		struct json_object *hook = json_value_get(hooks, forges[f]);
		char *file, *env;

		if (!hook)
			continue;
		buf_reset(&where);
		buf_addf(&where, "webhooks.%s.", forges[f]);
		if (!json_object_is_type(hook, json_type_object)) {
			problem(l, hook, "webhooks.%s: must be a mapping", forges[f]);
			continue;
		}
		known_keys(l, hook, where.ptr, keys);
		file = string_at(l, hook, "secretFile", where.ptr);
		env = string_at(l, hook, "secretEnv", where.ptr);
		if (!file == !env) {
			problem(l, hook, "%ssecretFile or secretEnv: give one", where.ptr);
		} else if (secret_read(&secret, file, env, "secret") < 0) {
			problem(l, json_value_get(hook, file ? "secretFile" : "secretEnv"),
			        "%s%s: %s", where.ptr, file ? "secretFile" : "secretEnv",
			        berth_error_last());
		} else if (secret.len < MIN_SECRET) {
			problem(
			    l, json_value_get(hook, file ? "secretFile" : "secretEnv"),
			    "%s%s: the secret is too short; use at least %d random bytes (openssl "
			    "rand -hex 32)",
			    where.ptr, file ? "secretFile" : "secretEnv", MIN_SECRET);
		} else {
			c->webhook_secrets[f] = buf_detach(&secret, NULL);
		}
		free(file);
		free(env);
	}
	buf_release_secret(&secret);
	buf_release(&where);
}

/* The index of source `name` in `c`, or c->n. */
static size_t source_index(const struct config *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n && strcmp(c->sources[i].name, name); i++)
		;
	return i;
}

/* Is there a path of dependencies from source `from` to source `to`?
 * `seen` marks the sources visited (c->n of them). */
static bool reaches(const struct config *c, size_t from, size_t to, bool *seen)
{
	char **d = c->sources[from].depends_on;
	size_t k, next;

	if (from == to)
		return true;
	if (seen[from])
		return false;
	seen[from] = true;
	for (k = 0; d && d[k]; k++)
		if ((next = source_index(c, d[k])) < c->n && reaches(c, next, to, seen))
			return true;
	return false;
}

/* Each dependsOn names another source, and no dependency comes back to
 * the source that has it: a problem at the name, else. */
static void check_dependencies(struct loader *l, const struct config *c,
                               struct json_object *sources)
{
	bool *seen = xcalloc(c->n + 1, sizeof(bool));
	size_t i, k, j;

	for (i = 0; i < c->n; i++) {
		char **d = c->sources[i].depends_on;
		struct json_object *list =
		    json_value_get(json_object_array_get_idx(sources, i), "dependsOn");

		for (k = 0; d && d[k]; k++) {
			struct json_object *at = json_object_array_get_idx(list, k);

			if ((j = source_index(c, d[k])) == c->n) {
				problem(l, at, "sources[%zu].dependsOn[%zu]: '%s' is not a source",
				        i, k, d[k]);
				continue;
			}
			memset(seen, 0, c->n * sizeof(bool));
			if (reaches(c, j, i, seen))
				problem(
				    l, at,
				    "sources[%zu].dependsOn[%zu]: '%s' depends on '%s' already: "
				    "a cycle",
				    i, k, d[k], c->sources[i].name);
		}
	}
	free(seen);
}

/* Put each source after those it depends on, the config's order kept
 * otherwise: the first reconciles, and --once, go in that order. */
static void order_by_dependencies(struct config *c)
{
	struct source_config *ordered = xcalloc(c->n + 1, sizeof(*ordered));
	size_t *waiting = xcalloc(c->n + 1, sizeof(size_t)); /* its dependencies not placed */
	bool *placed = xcalloc(c->n + 1, sizeof(bool));
	size_t n = 0, i, j, k;

	for (i = 0; i < c->n; i++)
		for (k = 0; c->sources[i].depends_on && c->sources[i].depends_on[k]; k++)
			waiting[i]++;
	/* The first in the config whose dependencies are all placed, each
	 * time (the checks allow no cycle). */
	while (n < c->n) {
		for (i = 0; i < c->n && (placed[i] || waiting[i]); i++)
			;
		placed[i] = true;
		ordered[n++] = c->sources[i];
		for (j = 0; j < c->n; j++)
			for (k = 0; c->sources[j].depends_on && c->sources[j].depends_on[k]; k++)
				waiting[j] -=
				    !strcmp(c->sources[j].depends_on[k], c->sources[i].name);
	}
	memcpy(c->sources, ordered, c->n * sizeof(*ordered));
	free(ordered);
	free(waiting);
	free(placed);
}

int config_load(struct config *out, struct diagnostics *diags, const char *path)
{
	static const char *const keys[] = {"stateNamespace",  "cluster",  "sources", "webhooks",
	                                   "reportTokenFile", "scaleOut", NULL};
	struct loader l = {path, diags, YAML_MARKS_INIT(4)};
	struct config c = CONFIG_INIT;
	struct json_object *docs = NULL, *root, *sources;
	struct buf text = BUF_INIT, token = BUF_INIT, id = BUF_INIT;
	size_t before = diags->n, i, j;
	int error;

	if ((error = buf_read_file(&text, path, CONFIG_MAX)) < 0 ||
	    (error = yaml_parse(&docs, path, text.ptr, text.len, NULL, &l.marks)) < 0)
		goto out;
	root = json_value_array_len(docs) == 1 ? json_object_array_get_idx(docs, 0) : NULL;
	if (!json_object_is_type(root, json_type_object)) {
		error = berth_error_set("%s: must hold one YAML document, a mapping", path);
		goto out;
	}
	known_keys(&l, root, "", keys);
	c.state_namespace = string_at(&l, root, "stateNamespace", "");
	c.cluster = string_at(&l, root, "cluster", "");
	if (c.cluster && strpbrk(c.cluster, "{}/ \t\r\n"))
		problem(&l, json_value_get(root, "cluster"),
		        "cluster: '%s' may not hold '/', '{', '}' or spaces", c.cluster);
	c.report_token_file = string_at(&l, root, "reportTokenFile", "");
	if (c.report_token_file && secret_read(&token, c.report_token_file, NULL, "token") < 0)
		problem(&l, json_value_get(root, "reportTokenFile"), "reportTokenFile: %s",
		        berth_error_last());
	load_webhooks(&l, &c, json_value_get(root, "webhooks"));
	load_scale_out(&l, &c.scale_out, json_value_get(root, "scaleOut"));
	sources = json_value_get(root, "sources");
	if (!json_object_is_type(sources, json_type_array) || !json_value_array_len(sources)) {
		problem(&l, sources ? sources : root, "sources: %s",
		        sources ? "must be a list of one source or more" : "missing");
	} else {
		c.n = json_value_array_len(sources);
		c.sources = xcalloc(c.n, sizeof(*c.sources));
		for (i = 0; i < c.n; i++)
			load_source_config(&l, &c.sources[i], json_object_array_get_idx(sources, i),
			                   i);
		for (i = 0; i < c.n; i++)
			for (j = 0; j < i; j++)
				if (c.sources[i].name && c.sources[j].name &&
				    !strcmp(c.sources[i].name, c.sources[j].name))
					problem(
					    &l,
					    json_value_get(json_object_array_get_idx(sources, i),
					                   "name"),
					    "sources[%zu].name: '%s' is sources[%zu]'s name too", i,
					    c.sources[i].name, j);
	}
	if (diags->n == before)
		check_dependencies(&l, &c, sources);
	if (diags->n > before) {
		error = berth_error_set("%s: %zu problem%s", path, diags->n - before,
		                        diags->n - before == 1 ? "" : "s");
		goto out;
	}
	order_by_dependencies(&c);
	c.owners = xcalloc(c.n + 1, sizeof(*c.owners));
	for (i = 0; i < c.n; i++) {
		source_tracking_id(&id, c.sources[i].git.repo, c.sources[i].path);
		c.owners[i].source = buf_detach(&id, NULL);
		c.owners[i].name = c.sources[i].name;
	}
out:
	if (error < 0)
		config_release(&c);
	else
		*out = c;
	json_object_put(docs);
	yaml_marks_release(&l.marks);
	buf_release(&text);
	buf_release_secret(&token);
	buf_release(&id);
	return error;
}

void config_release(struct config *c)
{
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		struct source_config *s = &c->sources[i];

		free(s->name);
		free((char *)s->git.repo);
		free((char *)s->git.ref);
		free((char *)s->git.username);
		free((char *)s->git.ca_file);
		free((char *)s->git.ssh_key);
		free((char *)s->git.known_hosts);
		free(s->path);
		free(s->namespace);
		free(s->target_namespace);
		for (j = 0; s->depends_on && s->depends_on[j]; j++)
			free(s->depends_on[j]);
		free(s->depends_on);
		for (j = 0; s->allowed_namespaces && s->allowed_namespaces[j]; j++)
			free(s->allowed_namespaces[j]);
		free(s->allowed_namespaces);
		for (j = 0; s->cluster_resources && s->cluster_resources[j]; j++)
			free(s->cluster_resources[j]);
		free(s->cluster_resources);
		free(s->password_file);
		free(s->password_env);
		status_config_release(&s->status);
	}
	free(c->sources);
	free(c->state_namespace);
	free(c->cluster);
	free(c->report_token_file);
	for (i = 0; i < FORGE_COUNT; i++)
		free_secret(c->webhook_secrets[i]);
	for (i = 0; c->owners && i < c->n; i++)
		free((char *)c->owners[i].source);
	free(c->owners);
	*c = (struct config)CONFIG_INIT;
}

struct shared_config {
	struct config config; /* first: a struct config * is one of these */
	atomic_int refs;
};

struct config *config_share(struct config *c)
{
	struct shared_config *shared = xcalloc(1, sizeof(*shared));

	shared->config = *c;
	*c = (struct config)CONFIG_INIT;
	atomic_init(&shared->refs, 1);
	return &shared->config;
}

struct config *config_hold(struct config *c)
{
	atomic_fetch_add(&((struct shared_config *)c)->refs, 1);
	return c;
}

void config_drop(struct config *c)
{
	struct shared_config *shared = (struct shared_config *)c;

	if (shared && atomic_fetch_sub(&shared->refs, 1) == 1) {
		config_release(&shared->config);
		free(shared);
	}
}

void config_target_options(struct target_options *o, const struct source_config *s)
{
	o->git = s->git;
	o->path = s->path;
	o->namespace = s->namespace;
	o->password_file = s->password_file;
	o->password_env = s->password_env;
	o->quiet = true;
	o->max_bytes = s->max_bytes;
	o->max_objects = s->max_objects;
	o->target_namespace = s->target_namespace;
	o->allowed_namespaces = (const char *const *)s->allowed_namespaces;
	o->cluster_resources = (const char *const *)s->cluster_resources;
}
