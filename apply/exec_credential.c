#include "exec_credential.h"

#include "../diff/alloc.h"
#include "../diff/error.h"
#include "../diff/json.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* The most a plugin may print on stdout, and the most of its stderr kept. */
#define EXEC_MAX_STDOUT (1u << 20)
#define EXEC_MAX_STDERR (16u << 10)

/* ---- the kubeconfig's exec stanza ---- */

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
		const char *name = json_get_string(e, "name"), *value = json_get_string(e, "value");
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
	s = json_get_string(exec, "apiVersion");
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

	s = json_get_string(exec, "command");
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
	if (take_strings(&cfg->args, &cfg->nargs, json_get(exec, "args"), user, "args") < 0 ||
	    take_env(cfg, json_get(exec, "env")) < 0)
		goto out;
	if ((s = json_get_string(exec, "installHint")) && *s)
		cfg->install_hint = xstrdup(s);

	s = json_get_string(exec, "interactiveMode");
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
		if (json_write(&b, cluster) < 0) {
			buf_release(&b);
			berth_error_prefix("%s: exec cluster information", user);
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

static char *strdup_or_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
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
	c->install_hint = strdup_or_null(cfg->install_hint);
	c->interactive = cfg->interactive;
	c->cluster = strdup_or_null(cfg->cluster);
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

/* ---- what the plugin prints ---- */

void exec_credential_release(struct exec_credential *cred)
{
	free_secret(cred->token);
	cred->token = NULL;
	buf_release(&cred->cert);
	buf_release_secret(&cred->key);
	cred->expires = 0;
}

/* `n` decimal digits at *s, advancing it; -1 when they are not there. */
static int digits(const char **s, int n)
{
	int v = 0;

	while (n--) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (*(*s)++ - '0');
	}
	return v;
}

static int expect(const char **s, char c)
{
	if (**s != c)
		return -1;
	(*s)++;
	return 0;
}

int exec_rfc3339_parse(time_t *out, const char *s)
{
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	struct tm tm = {0};
	int year, mon, day, hour, min, sec, offset = 0;
	time_t t;

	if ((year = digits(&s, 4)) < 0 || expect(&s, '-') || (mon = digits(&s, 2)) < 0 ||
	    expect(&s, '-') || (day = digits(&s, 2)) < 0 || expect(&s, 'T') ||
	    (hour = digits(&s, 2)) < 0 || expect(&s, ':') || (min = digits(&s, 2)) < 0 ||
	    expect(&s, ':') || (sec = digits(&s, 2)) < 0)
		return -1;
	if (mon < 1 || mon > 12 || day < 1 || day > mdays[mon - 1] || hour > 23 || min > 59 ||
	    sec > 60)
		return -1;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return -1;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'Z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1, oh, om;
		if ((oh = digits(&s, 2)) < 0 || expect(&s, ':') || (om = digits(&s, 2)) < 0 ||
		    oh > 23 || om > 59)
			return -1;
		offset = sign * (oh * 3600 + om * 60);
	} else {
		return -1;
	}
	if (*s)
		return -1;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = day;
	tm.tm_hour = hour;
	tm.tm_min = min;
	tm.tm_sec = sec;
	t = timegm(&tm);
	if (t == (time_t)-1 && (year != 1969 || mon != 12 || day != 31))
		return -1;
	*out = t - offset;
	return 0;
}

int exec_credential_parse(struct exec_credential *out, const char *what, const char *api_version,
                          const char *text, size_t len)
{
	struct json_object *doc = json_parse(text, len), *status;
	const char *kind, *version, *token, *cert, *key, *expires;
	int error = -1;

	BERTH_ASSERT(!out->token && !out->cert.len && !out->key.len);
	/* Never quote the output: it holds the secret. */
	if (!json_object_is_type(doc, json_type_object)) {
		berth_error_set("%s: the output is not an ExecCredential (not a JSON object)",
		                what);
		goto out;
	}
	kind = json_get_string(doc, "kind");
	if (!kind || strcmp(kind, "ExecCredential")) {
		berth_error_set("%s: the output is not an ExecCredential (kind '%s')", what,
		                kind ? kind : "");
		goto out;
	}
	version = json_get_string(doc, "apiVersion");
	if (!version || strcmp(version, api_version)) {
		berth_error_set("%s: the plugin is configured for %s but answered with "
		                "apiVersion '%s'",
		                what, api_version, version ? version : "");
		goto out;
	}
	status = json_get(doc, "status");
	if (!json_object_is_type(status, json_type_object)) {
		berth_error_set("%s: the ExecCredential has no status", what);
		goto out;
	}
	token = json_get_string(status, "token");
	cert = json_get_string(status, "clientCertificateData");
	key = json_get_string(status, "clientKeyData");
	token = token && *token ? token : NULL;
	cert = cert && *cert ? cert : NULL;
	key = key && *key ? key : NULL;
	if (!token && !cert && !key) {
		berth_error_set("%s: the ExecCredential has neither a token nor a client "
		                "certificate and key",
		                what);
		goto out;
	}
	if (!cert != !key) {
		berth_error_set("%s: the ExecCredential has a client %s without its %s", what,
		                cert ? "certificate" : "key", cert ? "key" : "certificate");
		goto out;
	}
	expires = json_get_string(status, "expirationTimestamp");
	if (expires && exec_rfc3339_parse(&out->expires, expires) < 0) {
		berth_error_set("%s: expirationTimestamp '%s' is not an RFC 3339 time", what,
		                expires);
		goto out;
	}
	if (token)
		out->token = xstrdup(token);
	if (cert) {
		buf_adds(&out->cert, cert);
		buf_adds(&out->key, key);
	}
	error = 0;
out:
	/* The document held the secret too; json-c frees without wiping, so
	 * wipe the strings first. */
	if (json_object_is_type(status = json_get(doc, "status"), json_type_object)) {
		static const char *const fields[] = {"token", "clientKeyData"};
		size_t i;
		for (i = 0; i < ARRAY_SIZE(fields); i++) {
			struct json_object *v = json_get(status, fields[i]);
			if (json_object_is_type(v, json_type_string))
				memset((char *)json_object_get_string(v), 0,
				       (size_t)json_object_get_string_len(v));
		}
	}
	json_object_put(doc);
	return error;
}

bool exec_credential_expired(const struct exec_credential *cred, time_t now)
{
	return cred->expires && now >= cred->expires;
}

/* ---- running the plugin ---- */

struct exec_plugin {
	struct exec_config *cfg;
	pthread_mutex_t lock;
	struct exec_credential cred; /* under lock, as are valid and gen */
	bool valid;                  /* cred may be sent (until it expires) */
	unsigned long gen;           /* counts the plugin's successful runs */
	unsigned long runs;
	unsigned refs;
};

void exec_plugin_new(struct exec_plugin **out, const struct exec_config *cfg)
{
	struct exec_plugin *p = xcalloc(1, sizeof(*p));
	struct exec_credential empty = EXEC_CREDENTIAL_INIT;

	p->cfg = exec_config_copy(cfg);
	p->cred = empty;
	p->refs = 1;
	pthread_mutex_init(&p->lock, NULL);
	*out = p;
}

struct exec_plugin *exec_plugin_ref(struct exec_plugin *p)
{
	__atomic_fetch_add(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void exec_plugin_free(struct exec_plugin *p)
{
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		return;
	exec_credential_release(&p->cred);
	exec_config_free(p->cfg);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

unsigned long exec_plugin_runs(const struct exec_plugin *p)
{
	return __atomic_load_n(&p->runs, __ATOMIC_RELAXED);
}

static bool env_overridden(const char *entry, const struct exec_config *cfg)
{
	size_t i, n = strcspn(entry, "=");

	if (n == strlen("KUBERNETES_EXEC_INFO") && !strncmp(entry, "KUBERNETES_EXEC_INFO", n))
		return true;
	for (i = 0; i < cfg->nenv; i++)
		if (!strncmp(entry, cfg->env[i], n) && cfg->env[i][n] == '=')
			return true;
	return false;
}

/* berth's environment with the plugin's variables and KUBERNETES_EXEC_INFO
 * added (replacing any of the same name). The strings are borrowed but the
 * last, which the caller frees with the array. */
static char **plugin_env(const struct exec_config *cfg, bool interactive)
{
	size_t n = 0, i, alloc = 0;
	char **env = NULL;
	struct buf info = BUF_INIT;

	for (i = 0; environ && environ[i]; i++) {
		if (env_overridden(environ[i], cfg))
			continue;
		env = xgrow(env, sizeof(*env), n + 1, &alloc);
		env[n++] = environ[i];
	}
	env = xgrow(env, sizeof(*env), n + cfg->nenv + 2, &alloc);
	for (i = 0; i < cfg->nenv; i++)
		env[n++] = cfg->env[i];
	buf_adds(&info, "KUBERNETES_EXEC_INFO=");
	exec_config_exec_info(&info, cfg, interactive);
	env[n++] = buf_detach(&info, NULL);
	env[n] = NULL;
	return env;
}

/* Read the plugin's stdout (and stderr when `err_fd` is not -1) to their
 * ends, keeping at most the caps; *too_big tells stdout overflowed. */
static void read_output(struct buf *out, struct buf *err, int out_fd, int err_fd, bool *too_big)
{
	struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	char chunk[4096];

	*too_big = false;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int i;

		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (i = 0; i < 2; i++) {
			struct buf *b = i ? err : out;
			size_t cap = i ? EXEC_MAX_STDERR : EXEC_MAX_STDOUT;
			ssize_t got;

			if (fds[i].fd < 0 || !fds[i].revents)
				continue;
			got = read(fds[i].fd, chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				fds[i].fd = -1;
				continue;
			}
			if (b->len + (size_t)got <= cap)
				buf_add(b, chunk, (size_t)got);
			else if (!i)
				*too_big = true;
		}
	}
	explicit_bzero(chunk, sizeof(chunk));
}

static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fcntl(fds[0], F_SETFD, FD_CLOEXEC);
	fcntl(fds[1], F_SETFD, FD_CLOEXEC);
	return 0;
}

static bool is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* The plugin's path: the command itself when it names one, else the first
 * executable of that name in berth's PATH (Go's exec.LookPath, which
 * client-go uses). NULL when there is none. The caller frees it. */
static char *look_path(const char *command)
{
	const char *p = getenv("PATH");
	struct buf b = BUF_INIT;

	if (strchr(command, '/'))
		return is_executable(command) ? xstrdup(command) : NULL;
	while (p) {
		size_t n = strcspn(p, ":");

		buf_reset(&b);
		/* An empty entry is the current directory. */
		if (n)
			buf_addf(&b, "%.*s/%s", (int)n, p, command);
		else
			buf_addf(&b, "./%s", command);
		if (is_executable(b.ptr))
			return buf_detach(&b, NULL);
		p = p[n] ? p + n + 1 : NULL;
	}
	buf_release(&b);
	return NULL;
}

static int not_found(const struct exec_config *cfg)
{
	return berth_error_set("%s: exec plugin '%s' not found%s%s", cfg->user, cfg->command,
	                       cfg->install_hint ? "\n" : "",
	                       cfg->install_hint ? cfg->install_hint : "");
}

/* Run the plugin once and parse what it printed into `cred` (empty). */
static int run_plugin(struct exec_credential *cred, const struct exec_config *cfg)
{
	struct buf out = BUF_INIT, err = BUF_INIT, what = BUF_INIT;
	posix_spawn_file_actions_t actions;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	bool interactive = false, too_big;
	char **argv = NULL, **env = NULL, *path = NULL;
	pid_t pid;
	int status, rc, error = -1;
	size_t i;

	if (cfg->interactive != EXEC_INTERACTIVE_NEVER)
		interactive = isatty(STDIN_FILENO);
	if (cfg->interactive == EXEC_INTERACTIVE_ALWAYS && !interactive)
		return berth_error_set("%s: exec plugin '%s' has interactiveMode Always, but "
		                       "standard input is not a terminal",
		                       cfg->user, cfg->command);
	if (!(path = look_path(cfg->command)))
		return not_found(cfg);
	if (cloexec_pipe(out_pipe) < 0 || (!interactive && cloexec_pipe(err_pipe) < 0)) {
		berth_error_set("%s: exec plugin '%s': cannot make a pipe: %s", cfg->user,
		                cfg->command, strerror(errno));
		goto out;
	}
	argv = xcalloc(cfg->nargs + 2, sizeof(*argv));
	argv[0] = cfg->command;
	for (i = 0; i < cfg->nargs; i++)
		argv[i + 1] = cfg->args[i];
	env = plugin_env(cfg, interactive);

	/* Not through a shell. Without a terminal the plugin reads nothing and
	 * its stderr comes back for the message; with one, it may prompt. */
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_adddup2(&actions, out_pipe[1], STDOUT_FILENO);
	if (!interactive) {
		posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
		posix_spawn_file_actions_adddup2(&actions, err_pipe[1], STDERR_FILENO);
	}
	rc = posix_spawn(&pid, path, &actions, NULL, argv, env);
	posix_spawn_file_actions_destroy(&actions);
	close(out_pipe[1]);
	out_pipe[1] = -1;
	if (err_pipe[1] >= 0) {
		close(err_pipe[1]);
		err_pipe[1] = -1;
	}
	if (rc) {
		berth_error_set("%s: exec plugin '%s' cannot run: %s", cfg->user, cfg->command,
		                strerror(rc));
		goto out;
	}
	read_output(&out, &err, out_pipe[0], err_pipe[0], &too_big);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			berth_error_set("%s: exec plugin '%s': %s", cfg->user, cfg->command,
			                strerror(errno));
			goto out;
		}

	buf_rtrim(&err);
	if (WIFSIGNALED(status) || WEXITSTATUS(status)) {
		struct buf why = BUF_INIT;
		if (WIFSIGNALED(status))
			buf_addf(&why, "was killed by signal %d", WTERMSIG(status));
		else
			buf_addf(&why, "exited with status %d", WEXITSTATUS(status));
		berth_error_set("%s: exec plugin '%s' %s%s%s", cfg->user, cfg->command, why.ptr,
		                err.len ? ": " : "", err.ptr);
		buf_release(&why);
		goto out;
	}
	/* A plugin's warnings are for the user; they are not secret. */
	if (err.len)
		fprintf(stderr, "%s\n", err.ptr);
	buf_addf(&what, "%s: exec plugin '%s'", cfg->user, cfg->command);
	if (too_big) {
		berth_error_set("%s: the output is larger than %u bytes", what.ptr,
		                EXEC_MAX_STDOUT);
		goto out;
	}
	error = exec_credential_parse(cred, what.ptr, cfg->api_version, out.ptr, out.len);
out:
	for (i = 0; i < 2; i++) {
		if (out_pipe[i] >= 0)
			close(out_pipe[i]);
		if (err_pipe[i] >= 0)
			close(err_pipe[i]);
	}
	if (env) {
		for (i = 0; env[i]; i++)
			;
		free(env[i - 1]);
	}
	free(env);
	free(argv);
	free(path);
	buf_release_secret(&out);
	buf_release(&err);
	buf_release(&what);
	return error;
}

static void copy_credential(struct exec_credential *dst, const struct exec_credential *src)
{
	exec_credential_release(dst);
	dst->token = src->token ? xstrdup(src->token) : NULL;
	buf_add(&dst->cert, src->cert.ptr, src->cert.len);
	buf_add(&dst->key, src->key.ptr, src->key.len);
	dst->expires = src->expires;
}

int exec_plugin_get(struct exec_credential *out, unsigned long *gen, struct exec_plugin *p)
{
	int error = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->valid || exec_credential_expired(&p->cred, time(NULL))) {
		struct exec_credential fresh = EXEC_CREDENTIAL_INIT;

		__atomic_fetch_add(&p->runs, 1, __ATOMIC_RELAXED);
		if ((error = run_plugin(&fresh, p->cfg)) < 0) {
			exec_credential_release(&fresh);
			goto out;
		}
		exec_credential_release(&p->cred);
		p->cred = fresh;
		p->valid = true;
		p->gen++;
	}
	if (p->gen != *gen) {
		copy_credential(out, &p->cred);
		*gen = p->gen;
		error = 1;
	}
out:
	pthread_mutex_unlock(&p->lock);
	return error;
}

void exec_plugin_invalidate(struct exec_plugin *p, unsigned long gen)
{
	pthread_mutex_lock(&p->lock);
	if (p->gen == gen)
		p->valid = false;
	pthread_mutex_unlock(&p->lock);
}
