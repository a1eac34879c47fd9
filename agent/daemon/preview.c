/* berth run's previews of pull requests: a thread of their own, one
 * preview at a time, nothing written to the cluster. */
#include "preview.h"

#include "config.h"
#include "../../diff/base/log.h"
#include "../source/plan_report.h"
#include "../source/target.h"

#include "../../apply/cache.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/stop.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define JOBS_MAX 64
/* The pull requests whose newest head asked for is remembered. */
#define PULLS_MAX 1024
/* A preview stopped at its time limit says so by this "signal". */
#define TIME_LIMIT SIGALRM

/* A head to preview; in `pulls`, a pull request and when the newest head
 * asked for was made (its head is not kept). */
struct job {
	char *source;
	enum forge forge;
	long number;
	char head[41];
	double updated; /* the pull request's updated_at; 0: not known */
};

struct previewer {
	pthread_t thread;
	pthread_mutex_t lock; /* guards what follows */
	pthread_cond_t cond;
	bool stopping;
	struct job jobs[JOBS_MAX];
	size_t n;
	struct job pulls[PULLS_MAX]; /* a ring, the oldest forgotten */
	size_t next_pull;
	struct config *config; /* berth run's, shared (config_share); NULL: none yet */
	/* The thread's own: */
	char *kube_path, *kube_context;
	const struct kube_client_options *client;
	struct reporter *reporter;
	unsigned long seq;  /* previews run, for their cache's name */
	struct stop stop;   /* asked when the previewer is freed (SIGTERM), or when
	                     * a preview reaches its time limit (TIME_LIMIT) */
	struct stop done;   /* the preview under way has ended */
	pthread_t watchdog; /* ... which asks `stop` at its time limit, */
	long limit_ms;      /* ... this long after it started */
};

static void job_release(struct job *j)
{
	free(j->source);
}

static void on_warning(const char *message, void *ctx)
{
	log_line("warn", "warning", "source", (const char *)ctx, "problem", message, NULL);
}

static const char *load_stop(void *ctx)
{
	int why = stop_requested(ctx);

	return why == TIME_LIMIT ? "the preview reached its time limit"
	       : why             ? "berth is stopping"
	                         : NULL;
}

/* Ask the preview under way to stop when it reaches its time limit. */
static void *watch_time(void *arg)
{
	struct previewer *p = arg;

	if (!clock_nap(p->limit_ms, &p->done) && !stop_requested(&p->stop))
		stop_request(&p->stop, TIME_LIMIT);
	return NULL;
}

/* Where preview number `seq` of this process keeps its fetch and checkout:
 * its own folder, removed when it ends. */
static void preview_cache(struct buf *out, unsigned long seq)
{
	cache_dir(out, "preview");
	if (out->len)
		buf_addf(out, "/%ld.%lu", (long)getpid(), seq);
}

/* Remove what previews of processes no longer running left behind (a
 * berth that was killed). */
static void remove_stale_previews(void)
{
	struct buf dir = BUF_INIT, path = BUF_INIT;
	struct dirent *e;
	DIR *d;

	cache_dir(&dir, "preview");
	d = dir.len ? opendir(dir.ptr) : NULL;
	while (d && (e = readdir(d))) {
		long pid = strtol(e->d_name, NULL, 10);

		if (e->d_name[0] == '.' || pid <= 0 || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir.ptr, e->d_name);
		source_remove_tree(path.ptr);
	}
	if (d)
		closedir(d);
	buf_release(&dir);
	buf_release(&path);
}

/* The hidden line that finds the comment of `context` again. */
static void comment_marker(struct buf *out, const char *context)
{
	buf_reset(out);
	buf_addf(out, "<!-- berth-preview %s -->", context);
}

/* The pull request's own ref, for a head no branch reaches (a fork's). */
static void pull_ref(struct buf *out, enum forge f, long number)
{
	buf_reset(out);
	buf_addf(out, f == FORGE_GITLAB ? "refs/merge-requests/%ld/head" : "refs/pull/%ld/head",
	         number);
}

static void run_preview(struct previewer *p, const struct config *c, const struct source_config *s,
                        const struct job *j)
{
	struct target_options o = TARGET_OPTIONS_INIT;
	struct sync_options sync = SYNC_OPTIONS_INIT;
	struct target t = TARGET_INIT;
	struct report r = REPORT_INIT;
	struct status_config sc = s->status;
	struct buf context = BUF_INIT, marker = BUF_INIT, text = BUF_INIT, cache = BUF_INIT,
	           ref = BUF_INIT, expanded = BUF_INIT;
	const char *cluster = c->cluster ? c->cluster : "default";
	double start = clock_now_ms();
	char number[24], secs[32];
	int error;

	p->limit_ms = s->preview_timeout_ms;
	pthread_create(&p->watchdog, NULL, watch_time, p);
	config_target_options(&o, s);
	o.kube.path = p->kube_path;
	o.kube.context = p->kube_context;
	o.client = p->client;
	/* Nothing is written: a stop gives up the request under way too. */
	o.read_only = true;
	o.stop = load_stop;
	o.stop_ctx = &p->stop;
	/* A cache of its own, removed after: a preview never waits for a
	 * reconcile's fetch, and leaves nothing of an untrusted head. */
	preview_cache(&cache, ++p->seq);
	o.git.cache_dir = cache.len ? cache.ptr : NULL;
	o.git.ref = j->head;
	o.git.only_path = s->path ? s->path : "";
	o.git.max_file_bytes = TREE_MAX_FILE_SIZE;
	o.git.max_total_bytes = s->max_bytes ? s->max_bytes : TREE_MAX_TOTAL_SIZE;
	o.git.max_fetch_bytes = PREVIEW_FETCH_FACTOR * o.git.max_total_bytes;
	o.git.stop = load_stop;
	o.git.stop_ctx = &p->stop;
	o.git.warn = on_warning;
	o.git.warn_ctx = (void *)s->name;
	sync.prune = s->prune;
	sync.others = c->owners;
	sync.nothers = c->n;
	/* The preview goes to the pull request's readers. */
	sync.hide_foreign = true;
	sync.allow_empty = true;
	sync.stop = &p->stop;
	sync.warn = on_warning;
	sync.warn_ctx = (void *)s->name;
	r.preview = true;
	error = target_open(&t, &o, &sync);
	if (error == BERTH_ENOTFOUND && !t.commit.id[0]) {
		/* No branch reaches the head: the pull request's ref does. */
		target_release(&t);
		t = (struct target)TARGET_INIT;
		pull_ref(&ref, j->forge, j->number);
		o.git.ref = ref.ptr;
		error = target_open(&t, &o, &sync);
	}
	if (error == 0)
		error = plan_report(&r, &t, &sync);
	if (stop_requested(&p->stop) == TIME_LIMIT)
		error =
		    berth_error_set("the preview stopped: it took longer than its limit of %g s "
		                    "(previews.timeout)",
		                    (double)p->limit_ms / 1000);
	else if (stop_requested(&p->stop))
		goto out;
	buf_addf(&context, "%s/preview", s->status.context);
	sc.context = context.ptr;
	/* GitLab puts the status in the merge request's pipeline. */
	pull_ref(&ref, j->forge, j->number);
	sc.gitlab_ref = ref.ptr;
	if (error < 0)
		plan_summary_error(&text, &t.diags, t.checkout);
	else
		report_summary(&text, &r);
	reporter_post(p->reporter, &sc, s->name, cluster, t.commit.id[0] ? t.commit.id : j->head,
	              error < 0 ? status_of_error(error) : STATUS_SUCCESS, text.ptr, false);
	if (s->status.preview_comment) {
		status_template(&expanded, sc.context, j->head, s->name, cluster);
		comment_marker(&marker, expanded.ptr);
		report_comment(&expanded, marker.ptr, &r, t.commit.id[0] ? t.commit.id : j->head,
		               error < 0 ? text.ptr : NULL, forge_comment_max(s->status.provider));
		reporter_comment(p->reporter, &s->status, j->number, marker.ptr, expanded.ptr);
	}
	snprintf(number, sizeof(number), "%ld", j->number);
	snprintf(secs, sizeof(secs), "%.3fs", (clock_now_ms() - start) / 1000);
	log_line(error < 0 ? "warn" : "info", "preview", "source", s->name, "pull", number,
	         "commit", t.commit.id[0] ? t.commit.id : j->head, error < 0 ? "error" : "result",
	         error < 0 ? berth_error_last() : text.ptr, "duration", secs, NULL);
out:
	report_release(&r);
	target_release(&t);
	stop_request(&p->done, 0);
	pthread_join(p->watchdog, NULL);
	if (cache.len)
		source_remove_tree(cache.ptr);
	buf_release(&context);
	buf_release(&marker);
	buf_release(&text);
	buf_release(&cache);
	buf_release(&ref);
	buf_release(&expanded);
}

static void *run(void *arg)
{
	struct previewer *p = arg;

	pthread_mutex_lock(&p->lock);
	while (!p->stopping) {
		struct config *c;
		struct job j;
		size_t i;

		if (!p->n) {
			pthread_cond_wait(&p->cond, &p->lock);
			continue;
		}
		j = p->jobs[0];
		memmove(p->jobs, p->jobs + 1, --p->n * sizeof(j));
		/* A new preview: its own time limit (freeing asks for a stop
		 * under the lock, and that one stays). */
		atomic_store(&p->stop.why, 0);
		atomic_store(&p->done.why, 0);
		/* The config as it is now, kept while the preview runs. */
		c = p->config ? config_hold(p->config) : NULL;
		pthread_mutex_unlock(&p->lock);
		for (i = 0; c && i < c->n; i++)
			if (!strcmp(c->sources[i].name, j.source))
				break;
		if (c && i < c->n)
			run_preview(p, c, &c->sources[i], &j);
		else
			log_line("warn", "preview dropped", "source", j.source, "reason",
			         "no such source in the configuration", NULL);
		config_drop(c);
		job_release(&j);
		pthread_mutex_lock(&p->lock);
		if (p->stopping)
			stop_request(&p->stop, SIGTERM);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

void previewer_new(struct previewer **out, const struct previewer_options *o)
{
	struct previewer *p = xcalloc(1, sizeof(*p));

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	p->stop = (struct stop)STOP_INIT;
	p->kube_path = xstrdup_or_null(o->kube.path);
	p->kube_context = xstrdup_or_null(o->kube.context);
	p->client = o->client;
	p->reporter = o->reporter;
	p->done = (struct stop)STOP_INIT;
	remove_stale_previews();
	pthread_create(&p->thread, NULL, run, p);
	*out = p;
}

void previewer_free(struct previewer *p)
{
	size_t i;

	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	stop_request(&p->stop, SIGTERM);
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	pthread_join(p->thread, NULL);
	for (i = 0; i < p->n; i++)
		job_release(&p->jobs[i]);
	for (i = 0; i < PULLS_MAX; i++)
		job_release(&p->pulls[i]);
	config_drop(p->config);
	free(p->kube_path);
	free(p->kube_context);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}

void previewer_config(struct previewer *p, struct config *c)
{
	struct config *old;

	config_hold(c);
	pthread_mutex_lock(&p->lock);
	old = p->config;
	p->config = c;
	pthread_mutex_unlock(&p->lock);
	config_drop(old);
}

/* Are both of one pull request, for one source? */
static bool same_pull(const struct job *a, const struct job *b)
{
	return a->source && a->number == b->number && a->forge == b->forge &&
	       !strcmp(a->source, b->source);
}

/* The pull request of `j` in `pulls`, with when its newest head asked for
 * was made; NULL when none was asked for. Called with the lock held. */
static struct job *newest(struct previewer *p, const struct job *j)
{
	size_t i;

	for (i = 0; i < PULLS_MAX; i++)
		if (same_pull(&p->pulls[i], j))
			return &p->pulls[i];
	return NULL;
}

void previewer_request(struct previewer *p, const char *source, enum forge f,
                       const struct webhook_pull *pr)
{
	struct job j = {
	    .source = (char *)source, .forge = f, .number = pr->number, .updated = pr->updated};
	struct job *last;
	char number[24];
	size_t i;

	snprintf(j.head, sizeof(j.head), "%s", pr->head);
	snprintf(number, sizeof(number), "%ld", pr->number);
	pthread_mutex_lock(&p->lock);
	/* A replayed delivery names an older head: never preview it after a
	 * newer one. */
	if ((last = newest(p, &j)) && j.updated && j.updated < last->updated) {
		pthread_mutex_unlock(&p->lock);
		log_line("warn", "preview dropped", "source", source, "pull", number, "head",
		         j.head, "reason",
		         "the pull request was updated since this head (a replayed delivery?)",
		         NULL);
		return;
	}
	if (!last) {
		last = &p->pulls[p->next_pull];
		p->next_pull = (p->next_pull + 1) % PULLS_MAX;
		job_release(last);
		*last = j;
		last->source = xstrdup(source);
	}
	if (j.updated > last->updated)
		last->updated = j.updated;
	for (i = 0; i < p->n && !same_pull(&p->jobs[i], &j); i++)
		;
	if (i < p->n) {
		/* The newest head of a pull request is the one to preview. */
		memcpy(p->jobs[i].head, j.head, sizeof(j.head));
		p->jobs[i].updated = j.updated;
	} else if (p->n < JOBS_MAX) {
		j.source = xstrdup(source);
		p->jobs[p->n++] = j;
	} else {
		log_line("warn", "preview dropped", "source", source, "pull", number, "reason",
		         "too many previews wait", NULL);
	}
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
}
