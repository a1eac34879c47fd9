#include "source.h"

#include "known_hosts.h"
#include "url.h"

#include "../../apply/cache.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Checked-out commits not used for this long are removed. */
#define TREE_TTL_S (60 * 60)

/* A query may carry a token too (?access_token=, ?private_token=): every
 * value in it goes (URL_REDACT). A URL that cannot be read cannot be shown
 * safely: source_fetch() refuses it, saying why. */
void source_redact(struct buf *out, const char *url)
{
	struct url u = URL_INIT;

	if (url_parse(&u, url) < 0)
		buf_adds(out, "(a URL berth cannot read)");
	else
		url_format(out, &u, URL_REDACT);
	url_release(&u);
}

void source_tracking_id(struct buf *out, const char *repo, const char *path)
{
	source_redact(out, repo);
	if (path)
		buf_addf(out, "//%s", path);
}

/* libgit2's message for the failure that just happened. */
static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

/* Where the cache keeps `repo`: <dir>/<name>-<key>, a readable name from the
 * URL's last component and a key that tells remotes apart. It holds the
 * bare repository (repo.git), the checked-out commits (trees/) and a lock. */
static int cache_place(struct buf *out, const struct source_options *opts, const char *shown)
{
	const char *end = shown + strlen(shown), *start;
	size_t n;

	if (opts->cache_dir)
		buf_adds(out, opts->cache_dir);
	else
		cache_dir(out, "git");
	if (!out->len)
		return berth_error_set("no cache directory: set HOME or XDG_CACHE_HOME");
	while (end > shown && end[-1] == '/')
		end--;
	for (start = end; start > shown && !strchr("/:", start[-1]); start--)
		;
	n = (size_t)(end - start);
	if (n > 4 && !strncmp(end - 4, ".git", 4))
		n -= 4;
	buf_addch(out, '/');
	cache_name(out, start, n, shown);
	return cache_make_dirs(out->ptr);
}

/* The remote's ref for `want` and the commit (or tag) it points at, from
 * the remote's advertisement. */
static int find_ref(const char **name, git_oid *oid, const git_remote_head **heads, size_t n,
                    const char *want, const char *shown)
{
	static const char *const forms[] = {"", "refs/heads/", "refs/tags/"};
	struct buf candidate = BUF_INIT, peeled = BUF_INIT;
	size_t f, i;
	int error = BERTH_ENOTFOUND;

	for (f = 0; f < sizeof(forms) / sizeof(*forms) && error; f++) {
		buf_reset(&candidate);
		buf_addf(&candidate, "%s%s", forms[f], want ? want : "HEAD");
		buf_reset(&peeled);
		buf_addf(&peeled, "%s^{}", candidate.ptr);
		for (i = 0; i < n; i++) {
			/* An annotated tag is advertised twice; its commit is the "^{}" one. */
			if (!strcmp(heads[i]->name, peeled.ptr)) {
				git_oid_cpy(oid, &heads[i]->oid);
				break;
			}
			if (!strcmp(heads[i]->name, candidate.ptr)) {
				*name = heads[i]->name;
				git_oid_cpy(oid, &heads[i]->oid);
				error = 0;
			}
		}
	}
	if (error)
		berth_error_set("'%s' has no branch or tag '%s' (deleted, or never pushed?)", shown,
		                want ? want : "HEAD");
	buf_release(&candidate);
	buf_release(&peeled);
	return error;
}

/* What the callbacks give and check, what they found, and what a fetch
 * received. */
struct auth {
	const struct source_options *opts;
	struct url url;     /* opts->repo, read */
	const char *shown;  /* the repository, for messages */
	unsigned given;     /* a password or key was given this many times */
	struct buf refused; /* why a host key or a login was refused; empty: it was not */
	size_t received_bytes;
	const char *stopped; /* why opts->stop stopped the fetch; NULL: it did not */
};

static void warn(const struct source_options *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void warn(const struct source_options *o, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	if (o->warn)
		o->warn(msg.ptr, o->warn_ctx);
	else
		fprintf(stderr, "warning: %s\n", msg.ptr);
	buf_release(&msg);
}

/*
 * The server this thread's libgit2 last connected to, "<host> port <port>",
 * from libgit2's trace. libgit2 asks for the login with the URL it was
 * given, whatever redirect it followed, and follows one to another port of
 * the same host: this tells who asks.
 */
static _Thread_local char connected[256];
#define CONNECTED_TRACE "Connecting to remote "

static void on_trace(git_trace_level_t level, const char *msg)
{
	char *c;

	(void)level;
	if (strncmp(msg, CONNECTED_TRACE, strlen(CONNECTED_TRACE)))
		return;
	snprintf(connected, sizeof(connected), "%s", msg + strlen(CONNECTED_TRACE));
	/* A redirect's host, for messages: never a control character. */
	for (c = connected; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
}

/* Is the repository reached over http or https? */
static bool over_http(const struct url *u)
{
	return url_scheme_is(u, "http") || url_scheme_is(u, "https");
}

/* The host and port of an http(s) URL as the trace names them: "<host>
 * port <port>", the port as written, or the scheme's default when none is
 * given. */
static void http_origin(struct buf *out, const struct url *u)
{
	size_t len = strlen(u->host);

	/* [IPv6]; libgit2 names it without brackets */
	if (len > 1 && u->host[0] == '[')
		buf_add(out, u->host + 1, len - 2);
	else
		buf_add(out, u->host, len);
	if (u->port && *u->port)
		buf_addf(out, " port %s", u->port);
	else
		buf_addf(out, " port %d", url_port(u));
}

/* Give the login, once, and over http(s) only to the repository's host and
 * port: another server a redirect led to gets nothing. */
static int credentials(git_credential **out, const char *url, const char *user,
                       unsigned int allowed, void *payload)
{
	struct auth *a = payload;
	const struct source_options *o = a->opts;

	(void)url;
	if (!user)
		user = o->username ? o->username : "git";
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	/* Asked again: the server refused what was given. */
	if (a->given)
		return GIT_PASSTHROUGH;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && o->ssh_key) {
		a->given++;
		return git_credential_ssh_key_new(out, user, NULL, o->ssh_key, NULL);
	}
	if ((allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT) && o->password) {
		struct buf origin = BUF_INIT;
		bool elsewhere;

		http_origin(&origin, &a->url);
		elsewhere = over_http(&a->url) && strcasecmp(connected, origin.ptr);
		buf_release(&origin);
		if (elsewhere) {
			buf_reset(&a->refused);
			buf_addf(&a->refused,
			         "%s asks for the login: refused (it goes only to the "
			         "repository's host and port)",
			         *connected ? connected : "a server libgit2 does not name");
			return GIT_EAUTH;
		}
		a->given++;
		if (url_scheme_is(&a->url, "http"))
			warn(o, "credentials for %s go in clear text (http://)", a->shown);
		return git_credential_userpass_plaintext_new(out, user, o->password);
	}
	/* Nothing to give: say so when the remote is not reached. */
	a->given = (unsigned)-1;
	return GIT_PASSTHROUGH;
}

/* Accept an ssh host key only when the known_hosts file holds it, as
 * OpenSSH with StrictHostKeyChecking=yes does. TLS is libgit2's to check. */
static int host_key(git_cert *cert, int valid, const char *host, void *payload)
{
	struct auth *a = payload;
	const git_cert_hostkey *key = (const git_cert_hostkey *)cert;
	struct buf file = BUF_INIT, text = BUF_INIT;
	const char *home = getenv("HOME");
	int port = url_port(&a->url); /* ssh's: 22 unless the URL names one */
	enum known_host found = KNOWN_HOST_UNKNOWN;

	(void)valid;
	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2)
		return GIT_PASSTHROUGH;
	if (a->opts->known_hosts)
		buf_adds(&file, a->opts->known_hosts);
	else
		buf_addf(&file, "%s/.ssh/known_hosts", home ? home : "");
	buf_reset(&a->refused);
	if (!(key->type & GIT_CERT_SSH_RAW))
		buf_adds(&a->refused, "libgit2 did not give the host key to check");
	else if (buf_read_file(&text, file.ptr, 4u << 20) < 0)
		buf_addf(&a->refused, "cannot check the host key: %s", berth_error_last());
	else if ((found = known_hosts_check(text.ptr, text.len, host, port, key->hostkey,
	                                    key->hostkey_len)) != KNOWN_HOST_MATCH)
		buf_addf(
		    &a->refused,
		    found == KNOWN_HOST_UNKNOWN
		        ? "the host key of '%s' (port %d) is not in '%s': refused (ssh-keyscan "
		          "shows the key to check and add)"
		    : found == KNOWN_HOST_CHANGED
		        ? "the host key of '%s' (port %d) is not the one '%s' holds: refused "
		          "(it has CHANGED, or someone is in the middle)"
		        : "the host key of '%s' (port %d) is marked @revoked in '%s'",
		    host, port, file.ptr);
	buf_release(&file);
	buf_release(&text);
	return a->refused.len ? GIT_ECERTIFICATE : 0;
}

/* The remote could not be reached: say why, a refused login or host key
 * included. */
static int unreachable(const char *shown, const struct auth *a)
{
	const struct source_options *o = a->opts;

	if (a->refused.len)
		berth_error_set("cannot reach '%s': %s", shown, a->refused.ptr);
	else if (a->given == (unsigned)-1)
		berth_error_set("cannot reach '%s': it asks for a login: give %s", shown,
		                !over_http(&a->url) ? "the private key with --ssh-key"
		                                    : "the password or token in "
		                                      "BERTH_GIT_PASSWORD or "
		                                      "--git-password-file");
	else if (a->given)
		berth_error_set("cannot reach '%s': the %s was refused", shown,
		                o->ssh_key && !over_http(&a->url) ? "key" : "username or password");
	else
		berth_error_set("cannot reach '%s': %s%s", shown, git_message(),
		                strstr(git_message(), "certificate") && !o->ca_file
		                    ? " (--git-ca-file names the CA to trust)"
		                : strstr(git_message(), "cannot redirect")
		                    ? " (berth follows a redirect only within the host, and "
		                      "never from https to http: the Git credentials go "
		                      "nowhere else)"
		                    : "");
	return BERTH_ECONNECT;
}

/* Count what a fetch receives; stop it past opts->max_fetch_bytes, or when
 * opts->stop says to. */
static int count_bytes(const git_indexer_progress *stats, void *payload)
{
	struct auth *a = payload;
	size_t max = a->opts->max_fetch_bytes;

	a->received_bytes = stats->received_bytes;
	if (a->opts->stop && !a->stopped)
		a->stopped = a->opts->stop(a->opts->stop_ctx);
	return (max && a->received_bytes > max) || a->stopped ? -1 : 0;
}

/* Fetch `name` (NULL: every branch and tag) into refs/berth/. */
static int fetch(git_remote *remote, const char *name, struct source_commit *out, const char *shown,
                 struct auth *a)
{
	git_fetch_options fo;
	struct buf one = BUF_INIT;
	char *all[] = {"+refs/heads/*:refs/berth/heads/*", "+refs/tags/*:refs/berth/tags/*"};
	char *specs[1];
	git_strarray refspecs = {all, 2};
	int error = 0;

	if (name) {
		buf_addf(&one, "+%s:refs/berth/%s", name,
		         name + (strncmp(name, "refs/", 5) ? 0 : 5)); /* "HEAD" too */
		specs[0] = one.ptr;
		refspecs.strings = specs;
		refspecs.count = 1;
	}
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	fo.update_fetchhead = 0;
	fo.callbacks.transfer_progress = count_bytes;
	fo.callbacks.credentials = credentials;
	fo.callbacks.certificate_check = host_key;
	fo.callbacks.payload = a;
	fo.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	a->given = 0;
	if (git_remote_fetch(remote, &refspecs, &fo, NULL) < 0) {
		if (a->stopped)
			error = berth_error_set("'%s': the fetch stopped: %s", shown, a->stopped);
		else if (a->opts->max_fetch_bytes && a->received_bytes > a->opts->max_fetch_bytes)
			error = berth_error_set("'%s': the fetch passed the limit of %zu bytes: "
			                        "stopped, nothing kept",
			                        shown, a->opts->max_fetch_bytes);
		else
			error = unreachable(shown, a);
	} else {
		out->fetched = true;
		out->received_bytes = a->received_bytes;
	}
	buf_release(&one);
	return error;
}

/* Remove the checked-out commits in `trees` but `keep`, and temporary
 * folders left by a berth that was stopped, not used for TREE_TTL_S:
 * another berth may still be reading a recent one. */
static void prune_trees(const char *trees, const char *keep)
{
	DIR *d = opendir(trees);
	struct dirent *e;
	struct buf path = BUF_INIT;
	struct stat st;

	while (d && (e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, keep))
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", trees, e->d_name);
		if (lstat(path.ptr, &st) == 0 && st.st_mtime + TREE_TTL_S < time(NULL))
			source_remove_tree(path.ptr);
	}
	if (d)
		closedir(d);
	buf_release(&path);
}

/* Create the file `path` with `len` bytes of `data`, or fail naming it. */
static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	size_t done = 0;
	ssize_t n = 0;

	int error = 0;

	if (fd < 0)
		return berth_error_set("'%s': %s", path, strerror(errno));
	while (done < len && (n = write(fd, data + done, len - done)) > 0)
		done += (size_t)n;
	if (done < len)
		error = berth_error_set("'%s': %s", path, n < 0 ? strerror(errno) : "short write");
	if (close(fd) < 0 && !error)
		error = berth_error_set("'%s': %s", path, strerror(errno));
	return error;
}

/* The name of the checkout of commit `id` with `opts`: the id, and for a
 * checkout of one folder or within limits, a key that tells them apart. */
static void checkout_name(struct buf *out, const char *id, const struct source_options *opts)
{
	struct buf key = BUF_INIT;

	if (!opts->only_path && !opts->max_file_bytes && !opts->max_total_bytes) {
		buf_adds(out, id);
		return;
	}
	buf_addf(&key, "only=%s\nfile=%zu\ntotal=%zu", opts->only_path ? opts->only_path : "",
	         opts->max_file_bytes, opts->max_total_bytes);
	cache_name(out, id, strlen(id), key.ptr);
	buf_release(&key);
}

/* Is `dir` a checkout that was completed: does its marker, written last,
 * name it? */
static bool completed(const char *dir, const char *name)
{
	struct buf path = BUF_INIT, marker = BUF_INIT, want = BUF_INIT;
	struct stat st;
	bool done;

	buf_addf(&path, "%s/" SOURCE_COMPLETE_FILE, dir);
	buf_addf(&want, "%s\n", name);
	done = lstat(path.ptr, &st) == 0 && S_ISREG(st.st_mode) &&
	       buf_read_file(&marker, path.ptr, 256) == 0 && !strcmp(marker.ptr, want.ptr);
	buf_release(&path);
	buf_release(&marker);
	buf_release(&want);
	return done;
}

/* Write the tree of `commit` into `dir`, which exists and is empty, then
 * the submodules left out, then the marker that says it is complete. */
static int write_checkout(git_repository *repo, git_object *commit, const char *dir,
                          const char *name, const struct source_options *opts)
{
	struct buf submodules = BUF_INIT, path = BUF_INIT, marker = BUF_INIT;
	int error;

	if ((error = source_write_tree(&submodules, repo, git_commit_tree_id((git_commit *)commit),
	                               dir, opts)) < 0)
		goto out;
	buf_addf(&path, "%s/" SOURCE_SUBMODULES_FILE, dir);
	if ((error = write_file(path.ptr, submodules.ptr, submodules.len)) < 0)
		goto out;
	buf_reset(&path);
	buf_addf(&path, "%s/" SOURCE_COMPLETE_FILE, dir);
	buf_addf(&marker, "%s\n", name);
	error = write_file(path.ptr, marker.ptr, marker.len);
out:
	buf_release(&submodules);
	buf_release(&path);
	buf_release(&marker);
	return error;
}

/* Check `commit` out into <place>/trees/<name>, once: a commit never
 * changes. It is written into a temporary folder, renamed into place when
 * complete. */
static int check_out(struct source_commit *out, git_repository *repo, git_object *commit,
                     const char *place, const struct source_options *opts)
{
	struct buf trees = BUF_INIT, name = BUF_INIT, dir = BUF_INIT, tmp = BUF_INIT,
	           list = BUF_INIT;
	int error = 0;

	buf_addf(&trees, "%s/trees", place);
	checkout_name(&name, out->id, opts);
	buf_addf(&dir, "%s/%s", trees.ptr, name.ptr);
	if (!completed(dir.ptr, name.ptr)) {
		/* An older berth's checkout, or one cut short: not trusted. */
		buf_addf(&tmp, "%s/.%s.%ld", trees.ptr, name.ptr, (long)getpid());
		if ((error = source_remove_tree(dir.ptr)) < 0 ||
		    (error = source_remove_tree(tmp.ptr)) < 0 ||
		    (error = cache_make_dirs(tmp.ptr)) < 0)
			goto out;
		if ((error = write_checkout(repo, commit, tmp.ptr, name.ptr, opts)) < 0) {
			berth_error_prefix(error, "cannot check out commit %s", out->id);
			source_remove_tree(tmp.ptr);
			goto out;
		}
		if (rename(tmp.ptr, dir.ptr) < 0) {
			error = berth_error_set("'%s': %s", dir.ptr, strerror(errno));
			source_remove_tree(tmp.ptr);
			goto out;
		}
	}
	utimensat(AT_FDCWD, dir.ptr, NULL, 0); /* in use: not pruned */
	prune_trees(trees.ptr, name.ptr);
	buf_addf(&list, "%s/" SOURCE_SUBMODULES_FILE, dir.ptr);
	buf_reset(&out->submodules);
	if (buf_read_file(&out->submodules, list.ptr, 1u << 20) < 0)
		buf_reset(&out->submodules);
	out->dir = buf_detach(&dir, NULL);
out:
	buf_release(&trees);
	buf_release(&name);
	buf_release(&dir);
	buf_release(&tmp);
	buf_release(&list);
	return error;
}

/* Keep the checkout of commit `id`, which a delta's files stand beside,
 * from being pruned as unused. */
static void keep_tree(const char *place, const char *id, const struct source_options *opts)
{
	struct buf dir = BUF_INIT;

	buf_addf(&dir, "%s/trees/", place);
	checkout_name(&dir, id, opts);
	utimensat(AT_FDCWD, dir.ptr, NULL, 0);
	buf_release(&dir);
}

/* Read the repository's URL (`shown` redacted) into `u`; refuse a login
 * that would leak: a credential with a control character, a password in
 * the URL. */
static int read_repo(struct url *u, const struct source_options *opts, const char *shown)
{
	int error;

	if ((opts->username && has_control_chars(opts->username)) ||
	    (opts->password && has_control_chars(opts->password)))
		return berth_error_set(
		    "'%s': the Git %s holds a control character (CR, LF or "
		    "another); refused (it is not shown)",
		    shown,
		    opts->username && has_control_chars(opts->username) ? "username" : "password");
	if ((error = url_parse(u, opts->repo)) < 0)
		return berth_error_prefix(error, "the repository's URL is refused");
	if (u->password)
		return berth_error_set("'%s': give the password or token in BERTH_GIT_PASSWORD or "
		                       "--git-password-file, not in the URL, which others can "
		                       "read in the process list",
		                       shown);
	return 0;
}

/* libgit2 stays initialised for the life of the process (never shut
 * down: its global state is freed at exit). */
static pthread_once_t libgit2_once = PTHREAD_ONCE_INIT;

static void libgit2_init_once(void)
{
	git_libgit2_init();
}

int source_fetch(struct source_commit *out, const struct source_options *opts)
{
	struct source_commit c = SOURCE_COMMIT_INIT;
	struct buf shown = BUF_INIT, place = BUF_INIT, bare = BUF_INIT, lock = BUF_INIT;
	git_repository *repo = NULL;
	git_remote *remote = NULL;
	git_remote_create_options ro;
	git_remote_connect_options co;
	struct auth a = {opts, URL_INIT, NULL, 0, BUF_INIT, 0, NULL};
	const git_remote_head **heads;
	git_object *target = NULL, *commit = NULL;
	const char *advertised = NULL;
	char *name = NULL; /* the remote's ref; NULL for a commit id */
	git_oid oid;
	size_t n;
	int fd = -1, error;

	/* Once per process: each init after a shutdown reads the CA bundle
	 * again (about 4 ms a fetch). The pair below only counts. */
	pthread_once(&libgit2_once, libgit2_init_once);
	git_libgit2_init();
	git_trace_set(GIT_TRACE_DEBUG, on_trace);
	connected[0] = '\0';
	git_remote_connect_options_init(&co, GIT_REMOTE_CONNECT_OPTIONS_VERSION);
	source_redact(&shown, opts->repo);
	a.shown = shown.ptr;
	if ((error = read_repo(&a.url, opts, shown.ptr)) < 0 ||
	    (error = cache_place(&place, opts, shown.ptr)) < 0)
		goto out;
	/* One berth at a time per repository. */
	buf_addf(&lock, "%s/lock", place.ptr);
	if ((fd = open(lock.ptr, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0 ||
	    flock(fd, LOCK_EX) < 0) {
		error = berth_error_set("'%s': %s", lock.ptr, strerror(errno));
		goto out;
	}
	buf_addf(&bare, "%s/repo.git", place.ptr);
	if (git_repository_open_bare(&repo, bare.ptr) < 0 &&
	    git_repository_init(&repo, bare.ptr, 1) < 0) {
		error = berth_error_set("'%s': %s", bare.ptr, git_message());
		goto out;
	}
	/* libgit2 takes a path that does not exist for an unknown URL scheme. */
	if (a.url.form == URL_LOCAL && access(opts->repo, F_OK) < 0) {
		error = berth_error_set("cannot reach '%s': %s", shown.ptr, strerror(errno));
		error = BERTH_ECONNECT;
		goto out;
	}
	if (opts->ca_file &&
	    git_libgit2_opts(GIT_OPT_SET_SSL_CERT_LOCATIONS, opts->ca_file, NULL) < 0) {
		error = berth_error_set("'%s': %s", opts->ca_file, git_message());
		goto out;
	}
	co.callbacks.credentials = credentials;
	co.callbacks.certificate_check = host_key;
	co.callbacks.payload = &a;
	/* A redirect to another host (libgit2 follows one on the first request
	 * by default) would take the credentials there: refused. One within
	 * the host (a renamed repository) is followed. */
	co.follow_redirects = GIT_REMOTE_REDIRECT_NONE;
	/* Anonymous, and without url.*.insteadOf: that lookup leaks a regular
	 * expression's match data per config entry in libgit2 1.5. */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = repo;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, opts->repo, &ro) < 0 ||
	    git_remote_connect_ext(remote, GIT_DIRECTION_FETCH, &co) < 0) {
		error = unreachable(shown.ptr, &a);
		goto out;
	}
	if (git_remote_ls(&heads, &n, remote) < 0) {
		error =
		    berth_error_set("cannot list the refs of '%s': %s", shown.ptr, git_message());
		goto out;
	}
	/* A commit id is fetched with every branch and tag when missing. */
	if (!opts->ref || strlen(opts->ref) != GIT_OID_HEXSZ ||
	    git_oid_fromstr(&oid, opts->ref) < 0) {
		if ((error = find_ref(&advertised, &oid, heads, n, opts->ref, shown.ptr)) < 0)
			goto out;
		name = xstrdup(advertised); /* the advertisement goes with the connection */
	}
	git_remote_disconnect(remote);
	if (git_object_lookup(&target, repo, &oid, GIT_OBJECT_ANY) < 0) {
		if ((error = fetch(remote, name, &c, shown.ptr, &a)) < 0)
			goto out;
		if (git_object_lookup(&target, repo, &oid, GIT_OBJECT_ANY) < 0) {
			error = berth_error_set("'%s' has no commit %s", shown.ptr,
			                        git_oid_tostr_s(&oid));
			error = BERTH_ENOTFOUND;
			goto out;
		}
	}
	if (git_object_peel(&commit, target, GIT_OBJECT_COMMIT) < 0) {
		error =
		    berth_error_set("'%s': %s is not a commit", shown.ptr, git_oid_tostr_s(&oid));
		goto out;
	}
	git_oid_tostr(c.id, sizeof(c.id), git_object_id(commit));
	if ((error = source_delta(&c, repo, (git_commit *)commit, opts)) < 0 ||
	    (!c.delta && (error = check_out(&c, repo, commit, place.ptr, opts)) < 0))
		goto out;
	if (c.delta)
		keep_tree(place.ptr, opts->since, opts);
	error = 0;
	if (c.tree) { /* read from after the fetch */
		c.repo = repo;
		repo = NULL;
	}
	*out = c;
	c = (struct source_commit)SOURCE_COMMIT_INIT;
out:
	if (fd >= 0)
		close(fd);
	free(name);
	git_object_free(commit);
	git_object_free(target);
	git_remote_free(remote);
	source_commit_release(&c); /* its tree before the repository */
	git_repository_free(repo);
	git_libgit2_shutdown();
	buf_release(&a.refused);
	url_release(&a.url);
	buf_release(&shown);
	buf_release(&place);
	buf_release(&bare);
	buf_release(&lock);
	return error;
}

void source_commit_release(struct source_commit *c)
{
	source_changes_release(c);
	free(c->dir);
	c->dir = NULL;
	buf_release(&c->submodules);
}
