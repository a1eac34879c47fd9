/* Which source is due, and why: each source's schedule, and the typed
 * triggers that change it. */
#include "scheduler.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long the loop waits when no source is due (a trigger wakes it). */
#define IDLE_WAIT_MS (60 * 60 * 1000.0)

struct schedule {
	char *name;
	char *repo; /* its repo_key() */
	char *ref;  /* as configured; NULL: the remote's HEAD */
	bool forks; /* previews pull requests from forks */
	long interval_ms;
	unsigned jitter_percent;
	double due;                  /* clock_now_ms() when it is due */
	enum trigger_kind why;       /* what made it due */
	bool reconciled;             /* once, since it was first followed */
	bool running;                /* handed to the loop, not done yet */
	bool again;                  /* triggered while running: due once done, */
	enum trigger_kind again_why; /* ... for this */
	bool owned;                  /* this replica reconciles it (always, but in lease mode) */
	bool let_go;                 /* lost: due once, for the loop to forget it */
};

struct scheduler {
	struct wakeup *wake;
	pthread_mutex_t lock; /* guards what follows */
	struct schedule *sources;
	size_t n;
	scheduler_preview_fn *preview;
	void *preview_ctx;
	bool lease, joined; /* lease mode, and this replica has joined */
	scheduler_forward_fn *forward;
	void *forward_ctx;
};

const char *trigger_name(enum trigger_kind k)
{
	static const char *const names[TRIGGER_KIND_COUNT] = {
	    "config", "interval", "push", "watch", "pull", "dependency", "lease"};

	return names[k];
}

void scheduler_new(struct scheduler **out, struct wakeup *wake)
{
	struct scheduler *s = xcalloc(1, sizeof(*s));

	s->wake = wake;
	pthread_mutex_init(&s->lock, NULL);
	*out = s;
}

static void forget(struct schedule *sources, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(sources[i].name);
		free(sources[i].repo);
		free(sources[i].ref);
	}
	free(sources);
}

void scheduler_free(struct scheduler *s)
{
	if (!s)
		return;
	forget(s->sources, s->n);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

void scheduler_follow(struct scheduler *s, const struct config *c)
{
	struct schedule *fresh = xcalloc(c->n + 1, sizeof(*fresh));
	struct buf key = BUF_INIT;
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		const struct source_config *src = &c->sources[i];

		fresh[i].name = xstrdup(src->name);
		buf_reset(&key);
		repo_key(&key, src->git.repo);
		fresh[i].repo = buf_detach(&key, NULL);
		fresh[i].ref = xstrdup_or_null(src->git.ref);
		fresh[i].forks = src->preview_forks;
		fresh[i].interval_ms = src->interval_ms;
		fresh[i].jitter_percent = src->jitter_percent;
		fresh[i].why = TRIGGER_CONFIG;
	}
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < c->n; i++) {
		fresh[i].owned = !s->lease;
		for (j = 0; j < s->n; j++)
			if (!strcmp(fresh[i].name, s->sources[j].name)) {
				fresh[i].reconciled = s->sources[j].reconciled;
				fresh[i].owned = s->sources[j].owned;
				fresh[i].let_go = s->sources[j].let_go;
			}
	}
	forget(s->sources, s->n);
	s->sources = fresh;
	s->n = c->n;
	pthread_mutex_unlock(&s->lock);
	buf_release(&key);
}

void scheduler_lease(struct scheduler *s, scheduler_forward_fn *fn, void *ctx)
{
	size_t i;

	pthread_mutex_lock(&s->lock);
	s->lease = true;
	s->forward = fn;
	s->forward_ctx = ctx;
	for (i = 0; i < s->n; i++)
		s->sources[i].owned = false;
	pthread_mutex_unlock(&s->lock);
}

void scheduler_joined(struct scheduler *s, bool joined)
{
	pthread_mutex_lock(&s->lock);
	s->joined = joined;
	pthread_mutex_unlock(&s->lock);
}

void scheduler_previews(struct scheduler *s, scheduler_preview_fn *fn, void *ctx)
{
	pthread_mutex_lock(&s->lock);
	s->preview = fn;
	s->preview_ctx = ctx;
	pthread_mutex_unlock(&s->lock);
}

/* Is `repo` (a repo_key()) among the NUL-ended `keys` of a delivery? */
static bool names_repo(const struct buf *keys, const char *repo)
{
	const char *key;

	for (key = keys->ptr; key < keys->ptr + keys->len; key += strlen(key) + 1)
		if (!strcmp(key, repo))
			return true;
	return false;
}

/* Does a source that follows `ref` (NULL: the remote's HEAD) deploy the
 * base branch of pull request `pr`? */
static bool deploys(const char *ref, const struct webhook_pull *pr)
{
	struct buf full = BUF_INIT;
	bool yes;

	if (!ref)
		return !pr->fallback.len || !strcmp(pr->fallback.ptr, pr->base.ptr);
	buf_addf(&full, "refs/heads/%s", pr->base.ptr);
	yes = webhook_ref_moves(ref, full.ptr);
	buf_release(&full);
	return yes;
}

/* Make source `i` due now for `why`, unless it is already due; one that
 * runs, once it is done. One due only for its interval is then due for
 * `why`, which its log line and metrics name. Called with the lock held. */
static void make_due(struct scheduler *s, size_t i, enum trigger_kind why, double now)
{
	struct schedule *src = &s->sources[i];

	if (src->running && !src->again) {
		src->again = true;
		src->again_why = why;
	} else if (!src->running && (src->due > now || src->why == TRIGGER_INTERVAL)) {
		src->due = src->due < now ? src->due : now;
		src->why = why;
	}
}

/* A push: each source of the repository whose ref it moves is due now;
 * in lease mode, one another replica holds is handed to it. */
static int push(struct scheduler *s, const struct trigger *t, struct buf *answer)
{
	struct buf names = BUF_INIT, other = BUF_INIT, away = BUF_INIT, handed = BUF_INIT;
	double now = clock_now_ms();
	const char *ref = t->ref ? t->ref : "", *name;
	scheduler_forward_fn *forward;
	void *forward_ctx;
	size_t i;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	forward = s->forward;
	forward_ctx = s->forward_ctx;
	for (i = 0; i < s->n; i++) {
		struct schedule *src = &s->sources[i];

		if (!names_repo(t->repos, src->repo))
			continue;
		if (webhook_ref_moves(src->ref, ref) && !src->owned && forward) {
			buf_add(&away, src->name, strlen(src->name) + 1);
			n++;
		} else if (webhook_ref_moves(src->ref, ref)) {
			make_due(s, i, TRIGGER_PUSH, now);
			buf_addf(&names, "%s%s", names.len ? "," : "", src->name);
			n++;
		} else {
			buf_addf(&other, "%s%s follows %s", other.len ? ", " : "", src->name,
			         src->ref);
		}
	}
	pthread_mutex_unlock(&s->lock);
	/* Out of the lock: the leases tell the scheduler, never the reverse. */
	for (name = away.ptr; name < away.ptr + away.len; name += strlen(name) + 1) {
		buf_adds(&handed, handed.len ? "; " : "");
		forward(forward_ctx, name, ref, t->delivery, &handed);
	}
	if (names.len)
		wakeup_signal(s->wake);
	if (names.len)
		buf_addf(answer, "reconciling %s%s%s\n", names.ptr, handed.len ? "; " : "",
		         handed.ptr);
	else if (handed.len)
		buf_addf(answer, "%s\n", handed.ptr);
	else if (other.len)
		buf_addf(answer, "nothing to reconcile: %s moves no ref a source follows (%s)\n",
		         ref, other.ptr);
	else
		buf_addf(answer, "no source follows %s\n",
		         t->repos->len ? t->repos->ptr : "this repository");
	if (n)
		log_line("info", "webhook", "forge", forge_name(t->forge), "delivery", t->delivery,
		         "ref", ref, "sources", names.ptr, "handed", handed.ptr, NULL);
	else
		log_line("info", "webhook triggered nothing", "forge", forge_name(t->forge),
		         "delivery", t->delivery, "ref", ref, "reason", answer->ptr, NULL);
	buf_release(&names);
	buf_release(&other);
	buf_release(&away);
	buf_release(&handed);
	return n;
}

/* A pull request: each source of the repository that deploys its base
 * branch previews its head. */
static int pull(struct scheduler *s, const struct trigger *t, struct buf *answer)
{
	const struct webhook_pull *pr = t->pull;
	struct buf names = BUF_INIT, forks = BUF_INIT;
	scheduler_preview_fn *preview;
	const char *name;
	char number[24];
	void *ctx;
	size_t i;
	int n = 0;

	pthread_mutex_lock(&s->lock);
	preview = s->preview;
	ctx = s->preview_ctx;
	for (i = 0; preview && i < s->n; i++) {
		struct schedule *src = &s->sources[i];

		if (!names_repo(t->repos, src->repo) || !deploys(src->ref, pr))
			continue;
		/* A fork's head is anyone's: its previews are opted in. */
		if (pr->fork && !src->forks)
			buf_addf(&forks, "%s%s", forks.len ? ", " : "", src->name);
		else
			buf_add(&names, src->name, strlen(src->name) + 1);
	}
	pthread_mutex_unlock(&s->lock);
	if (!preview) {
		buf_adds(answer, "ignored: previews are off\n");
		n = -1;
		goto out;
	}
	buf_adds(answer, names.len || forks.len ? "previewing" : "no source deploys");
	for (name = names.ptr; name < names.ptr + names.len; name += strlen(name) + 1, n++) {
		preview(ctx, name, t->forge, pr);
		buf_addf(answer, " %s", name);
	}
	if (!names.len && !forks.len)
		buf_addf(answer, " %s of this repository", pr->base.ptr);
	else if (!names.len)
		buf_adds(answer, " nothing");
	if (forks.len)
		buf_addf(answer,
		         "; from a fork, not previewed for %s (previews: {forks: true} opts in)",
		         forks.ptr);
	buf_addch(answer, '\n');
	snprintf(number, sizeof(number), "%ld", pr->number);
	log_line("info", n ? "webhook" : "webhook triggered nothing", "forge", forge_name(t->forge),
	         "delivery", t->delivery, "pull", number, "head", pr->head, "base", pr->base.ptr,
	         n ? "previews" : "reason", answer->ptr, NULL);
out:
	buf_release(&names);
	buf_release(&forks);
	return n;
}

/* An object of a source changed or went, or the sources it depends on are
 * Ready: the source is due now. */
static int watch(struct scheduler *s, const struct trigger *t, struct buf *answer)
{
	double now = clock_now_ms();
	size_t i;
	int n = 0;

	if (t->kind == TRIGGER_DEPENDENCY)
		log_line("info", "dependencies ready", "source", t->source, NULL);
	else if (t->kind == TRIGGER_PUSH)
		log_line("info", "webhook handed over", "source", t->source, "what", t->object,
		         NULL);
	else if (t->kind == TRIGGER_WATCH)
		log_line("info", "object changed", "source", t->source, "object", t->object, NULL);
	pthread_mutex_lock(&s->lock);
	for (i = 0; i < s->n; i++)
		if (!strcmp(s->sources[i].name, t->source)) {
			if (t->kind == TRIGGER_LEASE) {
				s->sources[i].owned = t->owned;
				s->sources[i].let_go = !t->owned;
				/* Whatever made it due while another held it,
				 * it is reconciled (or forgotten) for this. */
				if (!s->sources[i].running)
					s->sources[i].why = TRIGGER_INTERVAL;
			}
			make_due(s, i, t->kind, now);
			n++;
		}
	pthread_mutex_unlock(&s->lock);
	if (n)
		wakeup_signal(s->wake);
	buf_addf(answer, n ? "reconciling %s\n" : "no source %s\n", t->source);
	return n;
}

int scheduler_send(struct scheduler *s, const struct trigger *t, struct buf *answer)
{
	struct buf scratch = BUF_INIT;
	int n;

	if (!answer)
		answer = &scratch;
	switch (t->kind) {
	case TRIGGER_PUSH:
		/* One of a source by name: handed over by another replica. */
		n = t->source ? watch(s, t, answer) : push(s, t, answer);
		break;
	case TRIGGER_PULL:
		n = pull(s, t, answer);
		break;
	case TRIGGER_WATCH:
	case TRIGGER_DEPENDENCY:
	case TRIGGER_LEASE:
		n = watch(s, t, answer);
		break;
	default:
		BERTH_ASSERT(!"a trigger the channel does not take");
		n = -1;
	}
	buf_release(&scratch);
	return n;
}

bool scheduler_next(struct scheduler *s, double now_ms, size_t *i, enum trigger_kind *why,
                    double *wait_ms)
{
	size_t j, first = SIZE_MAX;

	pthread_mutex_lock(&s->lock);
	for (j = 0; j < s->n; j++)
		if (!s->sources[j].running && (s->sources[j].owned || s->sources[j].let_go) &&
		    (first == SIZE_MAX || s->sources[j].due < s->sources[first].due))
			first = j;
	if (first != SIZE_MAX && s->sources[first].due <= now_ms) {
		*i = first;
		*why = s->sources[first].why;
		*wait_ms = 0;
		s->sources[first].running = true;
	} else {
		*wait_ms = first == SIZE_MAX ? IDLE_WAIT_MS : s->sources[first].due - now_ms;
		first = SIZE_MAX;
	}
	pthread_mutex_unlock(&s->lock);
	return first != SIZE_MAX;
}

void scheduler_done(struct scheduler *s, size_t i, double now_ms, double jitter)
{
	struct schedule *src;
	double spread;

	pthread_mutex_lock(&s->lock);
	if (i < s->n) {
		src = &s->sources[i];
		src->reconciled = true;
		src->running = false;
		/* Lost while it ran: the loop forgets it once more. */
		src->let_go = src->again && !src->owned;
		spread = (double)src->interval_ms * src->jitter_percent / 100.0;
		src->due = now_ms + (double)src->interval_ms - spread + 2 * spread * jitter;
		src->why = TRIGGER_INTERVAL;
		/* A trigger that came during the reconcile is not lost. */
		if (src->again) {
			src->due = now_ms;
			src->why = src->again_why;
			src->again = false;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

size_t scheduler_waiting(struct scheduler *s, struct buf *out)
{
	size_t i, n = 0;

	pthread_mutex_lock(&s->lock);
	if (s->lease) {
		if (!s->joined)
			buf_adds(out, "not joined yet: this replica holds no member Lease");
		n = !s->joined;
	} else {
		for (i = 0; i < s->n; i++)
			if (!s->sources[i].reconciled)
				buf_addf(out, "%s%s",
				         n++ ? ", " : "not reconciled yet: ", s->sources[i].name);
	}
	pthread_mutex_unlock(&s->lock);
	return n;
}
