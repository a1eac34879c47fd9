/* Running an exec credential plugin, and the credential it gives, cached
 * and shared between threads. */
#include "exec_plugin.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/fd.h"
#include "../diff/base/json_value.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
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

struct exec_plugin {
	struct exec_config *cfg;
	pthread_mutex_t lock;
	struct exec_credential cred; /* under lock, as are valid and gen */
	bool valid;                  /* cred may be sent (until it expires) */
	unsigned long gen;           /* counts the plugin's successful runs */
	atomic_ulong runs;
	atomic_uint refs;
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
	atomic_fetch_add_explicit(&p->refs, 1, memory_order_relaxed);
	return p;
}

void exec_plugin_free(struct exec_plugin *p)
{
	if (!p || atomic_fetch_sub_explicit(&p->refs, 1, memory_order_acq_rel) > 1)
		return;
	exec_credential_release(&p->cred);
	exec_config_free(p->cfg);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

unsigned long exec_plugin_runs(const struct exec_plugin *p)
{
	return atomic_load_explicit((atomic_ulong *)&p->runs, memory_order_relaxed);
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

/* How often a plugin's run looks at the stop flag. */
#define STOP_POLL_MS 100

/* Read the plugin's stdout (and stderr when `err_fd` is not -1) to their
 * ends, keeping at most the caps; *too_big tells stdout overflowed. Once
 * `stop` is requested, the plugin `pid` is killed and the rest is not
 * read: returns false. */
static bool read_output(struct buf *out, struct buf *err, int out_fd, int err_fd, bool *too_big,
                        pid_t pid, const struct stop *stop)
{
	struct pollfd fds[2] = {{out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
	char chunk[4096];

	*too_big = false;
	while (fds[0].fd >= 0 || fds[1].fd >= 0) {
		int i;

		if (stop_requested(stop)) {
			kill(pid, SIGKILL);
			explicit_bzero(chunk, sizeof(chunk));
			return false;
		}
		if (poll(fds, 2, stop ? STOP_POLL_MS : -1) < 0) {
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
	return true;
}

static int cloexec_pipe(int fds[2])
{
	if (pipe(fds) < 0)
		return -1;
	fd_cloexec(fds[0]);
	fd_cloexec(fds[1]);
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

/* What a run of the plugin is told: when to stop, and whom to tell what it
 * printed on stderr when it succeeded. */
struct run {
	const struct stop *stop;
	void (*said)(const char *text, void *ctx);
	void *said_ctx;
};

/* Run the plugin once and parse what it printed into `cred` (empty). */
static int run_plugin(struct exec_credential *cred, const struct exec_config *cfg,
                      const struct run *run)
{
	struct buf out = BUF_INIT, err = BUF_INIT, what = BUF_INIT;
	posix_spawn_file_actions_t actions;
	int out_pipe[2] = {-1, -1}, err_pipe[2] = {-1, -1};
	bool interactive = false, too_big, stopped;
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
	stopped = !read_output(&out, &err, out_pipe[0], err_pipe[0], &too_big, pid, run->stop);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			berth_error_set("%s: exec plugin '%s': %s", cfg->user, cfg->command,
			                strerror(errno));
			goto out;
		}

	buf_rtrim(&err);
	if (stopped) {
		berth_error_set("%s: exec plugin '%s' was stopped: berth is stopping", cfg->user,
		                cfg->command);
		goto out;
	}
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
	if (err.len && run->said)
		run->said(err.ptr, run->said_ctx);
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
	dst->token = xstrdup_or_null(src->token);
	buf_add(&dst->cert, src->cert.ptr, src->cert.len);
	buf_add(&dst->key, src->key.ptr, src->key.len);
	dst->expires = src->expires;
}

int exec_plugin_get(struct exec_credential *out, unsigned long *gen, struct exec_plugin *p,
                    const struct stop *stop, void (*said)(const char *text, void *ctx),
                    void *said_ctx)
{
	struct run run = {.stop = stop, .said = said, .said_ctx = said_ctx};
	int error = 0;

	pthread_mutex_lock(&p->lock);
	if (!p->valid || exec_credential_expired(&p->cred, time(NULL))) {
		struct exec_credential fresh = EXEC_CREDENTIAL_INIT;

		atomic_fetch_add_explicit(&p->runs, 1, memory_order_relaxed);
		if ((error = run_plugin(&fresh, p->cfg, &run)) < 0) {
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
