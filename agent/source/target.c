/* What every verb starts from: the manifests (a path or a Git commit), the
 * cluster client, discovery, the OpenAPI schema and the plan. */
#include "target.h"

#include "../../diff/base/clock.h"
#include "../../apply/openapi_fetch.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/secret.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *repo_path(const char *file, const char *checkout)
{
	return diagnostics_path_in(file, checkout);
}

/* A submodule under --path (NULL: the root) is left out of the checkout:
 * a warning names each. */
static void warn_submodules(struct target *t, const char *path)
{
	size_t n = path ? strlen(path) : 0;
	const char *sub;
	struct buf where = BUF_INIT;

	while (n && path[n - 1] == '/')
		n--;
	for (sub = t->commit.submodules.ptr;
	     sub < t->commit.submodules.ptr + t->commit.submodules.len; sub += strlen(sub) + 1) {
		if (n && (strncmp(sub, path, n) || (sub[n] && sub[n] != '/')))
			continue;
		buf_reset(&where);
		buf_addf(&where, "%s/%s", t->commit.dir, sub);
		diagnostics_add(&t->warnings, where.ptr, 0, 0,
		                "warning: submodule '%s' is not checked out (berth leaves "
		                "submodules out)",
		                sub);
	}
	buf_release(&where);
}

int target_source(struct target *t, const struct target_options *o)
{
	struct source_options git = o->git;
	struct buf files = BUF_INIT, source = BUF_INIT, password = BUF_INIT, since = BUF_INIT;
	char checkout[PATH_MAX] = "";
	int error;

	/* berth run's next commit: told as the files that changed, when it
	 * can be. */
	if (o->memo && o->memo->commit[0] && target_delta_path(&since, o->path)) {
		git.since = o->memo->commit;
		git.since_path = since.len ? since.ptr : NULL;
	}

	git.password = getenv(o->password_env ? o->password_env : "BERTH_GIT_PASSWORD");
	if (o->password_file) {
		if ((error = secret_read(&password, o->password_file, NULL, "password")) < 0)
			return error;
		git.password = password.ptr;
	}
	t->fetch_ms = clock_now_ms();
	error = source_fetch(&t->commit, &git);
	t->fetch_ms = clock_now_ms() - t->fetch_ms;
	buf_release_secret(&password);
	buf_release(&since);
	if (error < 0)
		return error;
	source_tracking_id(&source, o->git.repo, o->path);
	if (t->commit.delta) {
		/* Named as in the checkout of the commit loaded last. */
		t->checkout = xstrdup(o->memo->checkout);
		t->files = xstrdup(o->memo->files);
		t->named = xstrdup(o->memo->named);
		t->source = buf_detach(&source, NULL);
		return 0;
	}
	buf_addf(&files, "%s/%s", t->commit.dir, o->path ? o->path : "");
	if (!o->quiet)
		fprintf(stderr, "%s%s%s: commit %s%s\n", source.ptr, o->git.ref ? " at " : "",
		        o->git.ref ? o->git.ref : "", t->commit.id,
		        t->commit.fetched ? " (fetched)" : "");
	warn_submodules(t, o->path);
	/* Whether --path is there, and stays inside, the load of the
	 * manifests says, naming a symlink that leads out. */
	if (!realpath(t->commit.dir, checkout))
		error = berth_error_set("'%s': %s", t->commit.dir, strerror(errno));
	t->checkout = xstrdup(checkout);
	t->files = buf_detach(&files, NULL);
	t->named = xstrdup(t->commit.dir);
	t->source = buf_detach(&source, NULL);
	return error;
}

static void print_diagnostics(const struct diagnostics *diags)
{
	struct buf out = BUF_INIT;

	diagnostics_format(&out, diags);
	fputs(out.ptr, stderr);
	buf_release(&out);
}

/* Say why the target cannot be opened, with the problems found in the
 * manifests (`diags`, may be NULL): on stderr, or for the agent (o->quiet)
 * in the error message, which it logs, each file by its path in the
 * repository. Returns `error`. */
static int fail(const struct target *t, const struct target_options *o,
                const struct diagnostics *diags, int error)
{
	struct buf all = BUF_INIT;

	if (o->quiet && diags && diags->n) {
		buf_addf(&all, "%s\n", berth_error_last());
		diagnostics_format_in(&all, diags, t->checkout);
		while (all.len && all.ptr[all.len - 1] == '\n')
			all.ptr[--all.len] = '\0';
		berth_error_set("%s", all.ptr);
	} else if (!o->quiet) {
		if (diags)
			print_diagnostics(diags);
		berth_error_print();
	}
	buf_release(&all);
	return error;
}

/* Refuse the manifests for the problems in `diags`. */
static int refuse(const struct target *t, const struct target_options *o,
                  const struct diagnostics *diags)
{
	berth_error_set("%zu problem%s in the manifests; nothing was changed", diags->n,
	                diags->n == 1 ? "" : "s");
	return fail(t, o, diags, -1);
}

int target_discovery(struct discovery **out, struct kube_client *c, const struct manifest_set *set,
                     bool all)
{
	struct discovery_want *want = xcalloc(set->n + 1, sizeof(*want));
	char **apis = xcalloc(set->n + 1, sizeof(*apis));
	struct buf api = BUF_INIT;
	size_t i, j, n = 0;
	int error;

	for (i = 0; i < set->n; i++) {
		const struct object_id *id = &set->items[i].id;

		buf_reset(&api);
		buf_addf(&api, "%s%s%s", id->group, *id->group ? "/" : "", id->version);
		for (j = 0; j < n && (strcmp(want[j].api_version, api.ptr) ||
		                      strcmp(want[j].kind, id->kind));
		     j++)
			;
		if (j == n) {
			want[n].api_version = apis[n] = xstrdup(api.ptr);
			want[n++].kind = id->kind;
		}
	}
	error = discovery_fetch(out, c, want, n, all);
	for (i = 0; i < n; i++)
		free(apis[i]);
	free(apis);
	free(want);
	buf_release(&api);
	return error;
}

void target_tree_options(struct tree_options *out, const struct target_options *o,
                         const struct target *t)
{
	*out = (struct tree_options)TREE_OPTIONS_INIT;
	if (o->max_bytes)
		out->max_total_size = o->max_bytes;
	if (o->max_objects)
		out->manifest.max_objects = o->max_objects;
	out->manifest.stop = o->stop;
	out->manifest.stop_ctx = o->stop_ctx;
	out->manifest.explicit_namespace = o->namespace_flag;
	out->manifest.target_namespace = o->target_namespace;
	out->manifest.allowed_namespaces = o->allowed_namespaces;
	out->root = o->git.repo ? t->checkout : NULL;
}

/* The commit's checks, on a thread of their own while the plan reads the
 * live objects: on their own client, into their own lists of problems. */
struct check_run {
	struct target *t;
	struct kube_client *client;
	struct diagnostics diags, warnings;
	int error;
	char *message; /* berth_error is per thread */
};

static void *check_commit(void *arg)
{
	struct check_run *r = arg;
	struct target *t = r->t;
	struct manifest_set changed = MANIFEST_SET_INIT;
	struct checks_known known = {target_unchanged, t};

	if (t->delta)
		target_changed_view(&changed, t);
	r->error = target_check(&r->diags, &r->warnings, r->client, t->discovery, &t->set,
	                        t->delta ? &changed : NULL, t->delta ? &known : NULL);
	if (r->error < 0)
		r->message = xstrdup(berth_error_last());
	free(changed.items);
	return NULL;
}

/*
 * Check the commit and build its plan, side by side: building the plan
 * only reads, and a commit the checks refuse keeps none of it, so the
 * order of "check, then plan" holds for everything written. A commit told
 * by its changes is checked in a few milliseconds, less than a second
 * client takes to connect: it is checked, then planned, as is any commit
 * without a second client or thread.
 */
static int check_and_plan(struct target *t, const struct target_options *o,
                          struct sync_options *sync)
{
	struct check_run r = {t, NULL, DIAGNOSTICS_INIT, DIAGNOSTICS_INIT, 0, NULL};
	pthread_t thread;
	bool beside = !t->delta && kube_client_dup(&r.client, t->client) == 0 &&
	              pthread_create(&thread, NULL, check_commit, &r) == 0;
	int error = 0;

	if (!beside) {
		kube_client_free(r.client);
		r.client = t->client;
		check_commit(&r);
	}
	if (t->delta && o->memo_in_sync) {
		sync->known = target_unchanged;
		sync->known_ctx = t;
	}
	if (beside || (r.error >= 0 && !r.diags.n))
		error =
		    sync_plan_build(&t->plan, &t->diags, t->client, t->discovery, &t->set, sync);
	if (beside) {
		pthread_join(thread, NULL);
		kube_client_free(r.client);
	}
	diagnostics_take(&t->warnings, &r.warnings);
	if (!o->quiet)
		print_diagnostics(&t->warnings);
	if (r.diags.n || r.error < 0) {
		/* What the plan found, or failed at, is not reported: the
		 * commit stops at its checks, as if the plan were never read. */
		sync_plan_release(&t->plan);
		diagnostics_release(&t->diags);
		diagnostics_take(&t->diags, &r.diags);
		if (r.message)
			berth_error_set("%s", r.message);
		error = t->diags.n ? refuse(t, o, &t->diags) : fail(t, o, NULL, r.error);
	} else if (error < 0) {
		error = fail(t, o, &t->diags, error);
	}
	diagnostics_release(&r.diags);
	free(r.message);
	return error;
}

/* A client's first requests, on a thread of its own while the manifests
 * load (the TLS handshake takes as long as loading a thousand files): it
 * connects, reads the server's version, which the checks need, and the
 * discovery of the core group, which nearly every commit uses (kept for
 * the process). */
struct warm_up {
	struct kube_client *client;
	struct stop stop; /* the client's meanwhile, raised to cut it short */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running, done;
	int error;
	char *message; /* berth_error is per thread */
};

static void *warm_up(void *arg)
{
	static const struct discovery_want core = {"v1", NULL};
	struct warm_up *w = arg;
	struct discovery *d = NULL;
	const char *version;

	if ((w->error = kube_client_version(&version, w->client)) < 0)
		w->message = xstrdup(berth_error_last());
	/* Its errors are the discovery's that follows, said there. */
	else if (discovery_fetch(&d, w->client, &core, 1, false) == 0)
		discovery_free(d);
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

/* Make t's client, and start warming it up. A client that cannot be made
 * is made again after the load, which says why. */
static void warm_up_start(struct warm_up *w, struct target *t, const struct target_options *o)
{
	*w = (struct warm_up){.stop = STOP_INIT};
	if (kube_client_new(&t->client, t->kc, o->client) < 0)
		return;
	w->client = t->client;
	kube_client_set_stop(w->client, &w->stop, true);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->running = pthread_create(&w->thread, NULL, warm_up, w) == 0;
	if (!w->running) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
	}
}

/* Wait for the warm-up to end, and give its error, if any. It is cut
 * short, its request under way ended and none following, when the
 * manifests were refused (!loaded: that is said at once), or once `stop`
 * is raised (a signal, a preview's time limit). */
static int warm_up_end(struct warm_up *w, bool loaded, const struct stop *stop)
{
	bool cut = false;
	int error = 0;

	if (w->running) {
		pthread_mutex_lock(&w->lock);
		while (!w->done) {
			struct timespec at = clock_realtime_in(50);

			if (!cut && (!loaded || stop_requested(stop))) {
				stop_request(&w->stop, stop_requested(stop));
				kube_client_interrupt(w->client);
				cut = true;
			}
			pthread_cond_timedwait(&w->cond, &w->lock, &at);
		}
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->thread, NULL);
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		if (loaded && w->error < 0)
			berth_error_set("%s", w->message), error = w->error;
	}
	free(w->message);
	return error;
}

int target_open(struct target *t, const struct target_options *o, struct sync_options *sync)
{
	struct tree_options topts;
	int error;

	const char *const *files = o->files;
	size_t nfiles = o->nfiles;

	/* The source an object came from, for prune: the manifests' path as
	 * named, or the repository and path. */
	sync->source = o->files ? o->files[0] : NULL;
	sync->namespaces = o->allowed_namespaces;
	sync->cluster_kinds = o->cluster_resources;
	if (o->git.repo) {
		/* Checked out already, when the caller had to know the commit
		 * first (berth run, before it decides whether to load it). */
		if (!t->files && (error = target_source(t, o)) < 0)
			return fail(t, o, NULL, error);
		files = (const char *const *)&t->files;
		nfiles = 1;
		sync->source = t->source;
	}
	if ((error = kubeconfig_load(&t->kc, &o->kube)) < 0)
		return fail(t, o, NULL, error);
	if (t->commit.delta && (error = target_delta_load(t, o)) == 1) {
		/* Not to be told by its changes after all: checked out. */
		struct target_options whole = *o;

		whole.memo = NULL;
		source_commit_release(&t->commit);
		free(t->files);
		free(t->source);
		free(t->checkout);
		free(t->named);
		t->files = t->source = t->checkout = t->named = NULL;
		if ((error = target_source(t, &whole)) < 0)
			return fail(t, o, NULL, error);
		files = (const char *const *)&t->files;
	}
	if (t->delta) {
		error = t->diags.n ? BERTH_ERROR : 0;
	} else {
		struct warm_up w;
		int warmed;

		warm_up_start(&w, t, o);
		target_tree_options(&topts, o, t);
		topts.manifest.default_namespace = o->namespace ? o->namespace : t->kc->namespace;
		error = tree_load(&t->set, &t->diags, &t->warnings, files, nfiles, &topts);
		t->load_warnings = t->warnings.n;
		if ((warmed = warm_up_end(&w, error == 0 && !t->diags.n, sync->stop)) < 0)
			error = warmed;
	}
	if (error == 0 && !t->client)
		error = kube_client_new(&t->client, t->kc, o->client);
	if (error == 0)
		kube_client_set_stop(t->client, sync->stop, o->read_only);
	/* Prune looks for berth's objects of every kind. */
	if (error == 0)
		error = target_discovery(&t->discovery, t->client, &t->set, sync->prune);
	if (error < 0 || t->diags.n) {
		if (!o->quiet)
			print_diagnostics(&t->warnings);
		return t->diags.n ? refuse(t, o, &t->diags) : fail(t, o, NULL, error);
	}
	return check_and_plan(t, o, sync);
}

/* Is there a problem at x's place among d's items [from, to)? */
static bool reported(const struct diagnostics *d, size_t from, size_t to,
                     const struct diagnostic *x)
{
	size_t i;

	for (i = from; i < to; i++)
		if (d->items[i].line == x->line && d->items[i].column == x->column &&
		    !strcmp(d->items[i].file, x->file))
			return true;
	return false;
}

int target_check(struct diagnostics *diags, struct diagnostics *warnings, struct kube_client *c,
                 const struct discovery *d, const struct manifest_set *set,
                 const struct manifest_set *changed, const struct checks_known *known)
{
	struct diagnostics more = DIAGNOSTICS_INIT;
	size_t before = diags->n, schema, i;
	int error;

	sync_check_served(diags, c, d, set);
	if ((error = openapi_check(diags, c, changed ? changed : set)) < 0)
		return error;
	schema = diags->n;
	sync_check(&more, warnings, c, set, known);
	for (i = 0; i < more.n; i++)
		if (!reported(diags, before, schema, &more.items[i]))
			diagnostics_add(diags, more.items[i].file, more.items[i].line,
			                more.items[i].column, "%s", more.items[i].message);
	diagnostics_release(&more);
	return (int)(diags->n - before);
}

void target_release(struct target *t)
{
	source_commit_release(&t->commit);
	free(t->files);
	free(t->source);
	free(t->checkout);
	free(t->named);
	for (size_t i = 0; i < t->nfresh; i++)
		object_id_release(&t->fresh[i]);
	free(t->fresh);
	sync_plan_release(&t->plan);
	diagnostics_release(&t->diags);
	diagnostics_release(&t->warnings);
	manifest_set_release(&t->set);
	for (size_t i = 0; i < t->nchanged; i++)
		free(t->changed[i]);
	free(t->changed);
	for (size_t i = 0; i < t->ngone; i++)
		object_id_release(&t->gone[i]);
	free(t->gone);
	discovery_free(t->discovery);
	kube_client_free(t->client);
	kubeconfig_free(t->kc);
}
