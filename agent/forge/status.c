/* The status poster: the queue, and the thread that sends each forge the
 * newest state of each sha and context, reading before it writes, one
 * request at a time. The forge's rules it keeps (spacing, backoff, rate
 * limits, a revoked token): status_rules.c; comments: status_comment.c. */
#include "status_internal.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/log.h"

#include <math.h> /* INFINITY, isinf */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct metric_family status_posts_family = {
    "berth_status_posts_total",
    "Commit statuses sent to the forges, by provider and HTTP code (0: no answer).", METRIC_COUNTER,
    NULL, 0};
const struct metric_family status_queue_family = {
    "berth_status_queue_length", "Commit statuses waiting to be sent.", METRIC_GAUGE, NULL, 0};

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void post_release(struct post *p)
{
	free(p->repository);
	free(p->sha);
	free(p->context);
	free(p->description);
	free(p->target_url);
	free(p->marker);
	free(p->body);
	free(p->ref);
}

static bool same_key(const struct post *a, const struct post *b)
{
	if (a->ep != b->ep || a->comment != b->comment || strcmp(a->repository, b->repository))
		return false;
	if (a->comment)
		return a->number == b->number && !strcmp(a->marker, b->marker);
	return !strcmp(a->sha, b->sha) && !strcmp(a->context, b->context);
}

static struct known *known_find(const struct reporter *r, const struct post *p)
{
	size_t i;

	for (i = 0; i < r->nknown; i++) {
		struct known *k = (struct known *)&r->known[i];

		if (k->ep == p->ep && !strcmp(k->repository, p->repository) &&
		    !strcmp(k->sha, p->sha) && !strcmp(k->context, p->context))
			return k;
	}
	return NULL;
}

static void known_set(struct reporter *r, const struct post *p, const char *state,
                      const char *description)
{
	struct known *k = known_find(r, p);

	if (!k) {
		/* The oldest goes when it is full: it is read again if need be. */
		k = &r->known[r->known_next];
		r->known_next = (r->known_next + 1) % KNOWN_MAX;
		if (r->nknown < KNOWN_MAX)
			r->nknown++;
		else
			free(k->repository), free(k->sha), free(k->context);
		k->ep = p->ep;
		k->repository = xstrdup(p->repository);
		k->sha = xstrdup(p->sha);
		k->context = xstrdup(p->context);
	} else {
		free(k->state);
		free(k->description);
	}
	k->state = xstrdup(state);
	k->description = xstrdup(description);
}

static void count_post(struct reporter *r, const struct endpoint *ep, long code)
{
	char c[16];

	snprintf(c, sizeof(c), "%ld", code);
	if (r->metrics)
		metrics_record(r->metrics, &status_posts_family, 1, "provider",
		               forge_name(ep->provider), "code", c, NULL);
}

/* Read the newest status of p's sha and context, unless it is known. */
static enum outcome read_newest(struct reporter *r, const struct post *p, struct reporter_answer *a)
{
	struct buf url = BUF_INIT, state = BUF_INIT, desc = BUF_INIT;
	enum outcome o = DONE;
	int error;

	forge_list_url(&url, p->ep->provider, p->ep->base, p->repository, p->sha, p->context);
	error = reporter_call(a, r, p->ep, "GET", url.ptr, NULL);
	if (error < 0) {
		o = reporter_down(r, p, berth_error_last());
	} else if (reporter_answered(r, p->ep, a), reporter_limited(r, p->ep, a)) {
		o = RETRY;
	} else if (answer_down(a)) {
		buf_reset(&state);
		buf_addf(&state, "%s: %ld", url.ptr, a->code);
		o = reporter_down(r, p, state.ptr);
	} else if (a->code >= 200 && a->code < 300) {
		error = forge_newest(&state, &desc, p->ep->provider, a->body.ptr, a->body.len,
		                     p->context);
		known_set(r, p, error == 0 ? state.ptr : "", error == 0 ? desc.ptr : "");
	} else if (a->code == 401) {
		/* The write would be refused as well. */
		answer_message(&desc, a);
		reporter_refused(r, p, a->code, desc.ptr);
		p->ep->revoked = true;
		o = DROP;
	} else {
		/* Any other answer (a 404 for an unknown sha on some forges): none
		 * is known, and the post itself will say what is wrong. */
		known_set(r, p, "", "");
	}
	buf_release(&url);
	buf_release(&state);
	buf_release(&desc);
	return o;
}

static enum outcome send_post(struct reporter *r, struct post *p)
{
	struct reporter_answer a = REPORTER_ANSWER_INIT;
	struct buf url = BUF_INIT, body = BUF_INIT, msg = BUF_INIT;
	const char *state = forge_state(p->ep->provider, p->state);
	struct known *k;
	enum outcome o;
	int error;

	if ((error = reporter_token(p->ep)) < 0) {
		o = reporter_down(r, p, berth_error_last());
		goto out;
	}
	if (p->ep->revoked) {
		o = DROP;
		goto out;
	}
	if (!(k = known_find(r, p)) && (o = read_newest(r, p, &a)) != DONE)
		goto out;
	if ((k = known_find(r, p)) && !strcmp(k->state, state) &&
	    (p->settle || !strcmp(k->description, p->description))) {
		log_line("debug", "status unchanged", "provider", forge_name(p->ep->provider),
		         "sha", p->sha, "context", p->context, "state", state, NULL);
		o = DONE;
		goto out;
	}
	if (reporter_now(r) < p->ep->next_write || reporter_now(r) < p->ep->next_any) {
		o = RETRY;
		goto out;
	}
	forge_status_url(&url, p->ep->provider, p->ep->base, p->repository, p->sha);
	forge_status_body(&body, p->ep->provider, p->state, p->context, p->description,
	                  p->target_url, p->ref);
	error = reporter_call(&a, r, p->ep, "POST", url.ptr, body.ptr);
	p->ep->next_write = reporter_now(r) + SPACING_MS;
	count_post(r, p->ep, error < 0 ? 0 : a.code);
	if (error < 0) {
		o = reporter_down(r, p, berth_error_last());
		goto out;
	}
	reporter_answered(r, p->ep, &a);
	answer_message(&msg, &a);
	if (a.code >= 200 && a.code < 300) {
		known_set(r, p, state, p->description);
		log_line("debug", "status posted", "provider", forge_name(p->ep->provider), "sha",
		         p->sha, "context", p->context, "state", state, "description",
		         p->description, NULL);
		o = DONE;
	} else if (p->ep->provider == FORGE_GITLAB && a.code == 400 &&
	           strstr(msg.ptr, "Cannot transition status")) {
		/* GitLab's answer to a repeat of the state it has. */
		known_set(r, p, state, p->description);
		o = DONE;
	} else if ((o = reporter_failed(r, p, &a, url.ptr)) == DROP) {
		/* 401, 403, 404, 410, 422: asking again would be refused again.
		 * Remembered as if sent, so that a periodic check of the same
		 * state does not ask again either. */
		known_set(r, p, state, p->description);
	}
out:
	answer_release(&a);
	buf_release(&url);
	buf_release(&body);
	buf_release(&msg);
	return o;
}

/* When p may be sent. */
static double ready_at(const struct reporter *r, const struct post *p)
{
	double at = p->ep->until > p->ep->next_any ? p->ep->until : p->ep->next_any;

	/* A known status needs only the write; an unknown one (and a
	 * comment), a read first. */
	return !p->comment && known_find(r, p) && p->ep->next_write > at ? p->ep->next_write : at;
}

static void queue_gauge(struct reporter *r)
{
	if (r->metrics)
		metrics_record(r->metrics, &status_queue_family, (double)(r->n + r->busy), NULL);
}

static void *run(void *arg)
{
	struct reporter *r = arg;

	pthread_mutex_lock(&r->lock);
	while (!atomic_load(&r->stopping)) {
		double now = reporter_now(r), wake = INFINITY, at;
		size_t i, pick = r->n;
		struct post p;
		enum outcome o;

		for (i = 0; i < r->n && pick == r->n; i++)
			if ((at = ready_at(r, &r->queue[i])) <= now)
				pick = i;
			else if (at < wake)
				wake = at;
		if (pick == r->n) {
			r->clock.wait(r->clock.ctx, &r->cond, &r->lock, wake - now);
			continue;
		}
		p = r->queue[pick];
		memmove(r->queue + pick, r->queue + pick + 1, (r->n - pick - 1) * sizeof(p));
		r->n--;
		r->busy = true;
		pthread_mutex_unlock(&r->lock);
		o = p.comment ? reporter_send_comment(r, &p) : send_post(r, &p);
		pthread_mutex_lock(&r->lock);
		r->busy = false;
		for (i = 0; i < r->n && !same_key(&r->queue[i], &p); i++)
			;
		/* Retried in its place, unless a newer state came meanwhile. */
		if (o == RETRY && i == r->n && r->n < QUEUE_MAX) {
			memmove(r->queue + 1, r->queue, r->n * sizeof(p));
			r->queue[0] = p;
			r->n++;
		} else {
			post_release(&p);
		}
		queue_gauge(r);
		pthread_cond_broadcast(&r->cond);
	}
	pthread_mutex_unlock(&r->lock);
	return NULL;
}

double reporter_now(const struct reporter *r)
{
	return r->clock.now(r->clock.ctx);
}

static double real_now(void *ctx)
{
	(void)ctx;
	return clock_now_ms();
}

static void real_wait(void *ctx, pthread_cond_t *cond, pthread_mutex_t *lock, double ms)
{
	struct timespec ts;

	(void)ctx;
	if (isinf(ms)) {
		pthread_cond_wait(cond, lock);
	} else {
		ts = clock_realtime_in(ms);
		pthread_cond_timedwait(cond, lock, &ts);
	}
}

void reporter_new(struct reporter **out, struct metrics *metrics,
                  const struct reporter_options *opts)
{
	static const struct reporter_options defaults = REPORTER_OPTIONS_INIT;
	struct reporter *r = xcalloc(1, sizeof(*r));

	if (!opts)
		opts = &defaults;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	atomic_init(&r->stopping, false);
	r->metrics = metrics;
	r->transport = opts->transport;
	if (!r->transport.call) {
		status_curl_new(&r->curl, &r->stopping);
		r->transport = (struct reporter_transport){status_curl_call, r->curl};
	}
	r->clock = opts->clock;
	if (!r->clock.now)
		r->clock = (struct reporter_clock){real_now, real_wait, NULL};
	pthread_create(&r->thread, NULL, run, r);
	*out = r;
}

void reporter_free(struct reporter *r)
{
	size_t i;

	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	atomic_store(&r->stopping, true);
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	for (i = 0; i < r->n; i++)
		post_release(&r->queue[i]);
	for (i = 0; i < r->nknown; i++) {
		free(r->known[i].repository);
		free(r->known[i].sha);
		free(r->known[i].context);
		free(r->known[i].state);
		free(r->known[i].description);
	}
	for (i = 0; i < r->nposted; i++)
		free(r->posted[i].repository);
	for (i = 0; i < r->neps; i++) {
		struct endpoint *ep = r->eps[i];

		forge_account_release(&ep->self);
		buf_release_secret(&ep->token);
		free(ep->base);
		free(ep->token_file);
		free(ep->token_env);
		free(ep->ca_file);
		free(ep->api_version);
		free(ep);
	}
	free(r->eps);
	for (i = 0; i < r->nrefusals; i++)
		free(r->refusals[i]);
	free(r->refusals);
	status_curl_free(r->curl);
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->cond);
	free(r);
}

/* The endpoint of c, made the first time (under the lock). */
static struct endpoint *endpoint_of(struct reporter *r, const struct status_config *c)
{
	const char *base = c->base_url ? c->base_url : forge_default_base(c->provider);
	struct endpoint *ep;
	size_t i;

	for (i = 0; i < r->neps; i++) {
		ep = r->eps[i];
		if (ep->provider == c->provider && !strcmp(ep->base, base) &&
		    same(ep->token_file, c->token_file) && same(ep->token_env, c->token_env) &&
		    same(ep->ca_file, c->ca_file) && same(ep->api_version, c->api_version))
			return ep;
	}
	ep = xcalloc(1, sizeof(*ep));
	ep->provider = c->provider;
	ep->base = xstrdup(base);
	ep->token_file = xstrdup_or_null(c->token_file);
	ep->token_env = xstrdup_or_null(c->token_env);
	ep->ca_file = xstrdup_or_null(c->ca_file);
	ep->api_version = xstrdup_or_null(c->api_version);
	buf_init(&ep->token);
	r->eps = xrealloc(r->eps, (r->neps + 1) * sizeof(*r->eps));
	r->eps[r->neps++] = ep;
	return ep;
}

/* Queue p (taken), under the lock: it replaces what waits for its key. */
static void queue_put(struct reporter *r, struct post *p)
{
	size_t i;

	for (i = 0; i < r->n && !same_key(&r->queue[i], p); i++)
		;
	if (i < r->n && p->settle && r->queue[i].state == p->state) {
		/* Any description will do, and the one waiting says more. */
		post_release(p);
	} else if (i < r->n) {
		/* Only the newest state of a sha and context (the newest body of
		 * a comment) is worth sending. */
		post_release(&r->queue[i]);
		r->queue[i] = *p;
	} else {
		if (r->n == QUEUE_MAX) {
			log_line("warn", "status dropped", "reason", "the queue is full", "sha",
			         r->queue[0].sha, "context", r->queue[0].context, NULL);
			post_release(&r->queue[0]);
			memmove(r->queue, r->queue + 1, --r->n * sizeof(*p));
		}
		r->queue[r->n++] = *p;
	}
	queue_gauge(r);
	pthread_cond_broadcast(&r->cond);
}

void reporter_post(struct reporter *r, const struct status_config *c, const char *source,
                   const char *cluster, const char *sha, enum status_state state,
                   const char *description, bool settle)
{
	struct buf fitted = BUF_INIT, context = BUF_INIT, url = BUF_INIT;
	struct post p = {0};

	if (!r || !c->enabled || !sha || !*sha)
		return;
	/* Both templates were checked when the config was read. */
	status_template(&context, c->context, sha, source, cluster);
	if (c->target_url)
		status_template(&url, c->target_url, sha, source, cluster);
	status_description_fit(&fitted, description);
	pthread_mutex_lock(&r->lock);
	p.ep = endpoint_of(r, c);
	p.repository = xstrdup(c->repository);
	p.sha = xstrdup(sha);
	p.context = buf_detach(&context, NULL);
	p.description = buf_detach(&fitted, NULL);
	p.target_url = c->target_url ? buf_detach(&url, NULL) : NULL;
	p.ref = xstrdup_or_null(c->gitlab_ref);
	p.state = state;
	p.settle = settle;
	queue_put(r, &p);
	pthread_mutex_unlock(&r->lock);
	buf_release(&url);
}

void reporter_comment(struct reporter *r, const struct status_config *c, long number,
                      const char *marker, const char *body)
{
	struct post p = {0};

	if (!r || !c->enabled || number <= 0)
		return;
	pthread_mutex_lock(&r->lock);
	p.ep = endpoint_of(r, c);
	p.repository = xstrdup(c->repository);
	p.sha = xstrdup("");
	p.context = xstrdup(marker);
	p.description = xstrdup("");
	p.comment = true;
	p.number = number;
	p.marker = xstrdup(marker);
	p.body = xstrdup(body);
	queue_put(r, &p);
	pthread_mutex_unlock(&r->lock);
}

enum status_state status_of_error(int error)
{
	return error == BERTH_ECONNECT || error == BERTH_EFORBIDDEN ? STATUS_ERROR : STATUS_FAILURE;
}

size_t reporter_drain(struct reporter *r, double deadline_ms)
{
	size_t left;

	pthread_mutex_lock(&r->lock);
	while ((r->n || r->busy) && clock_now_ms() < deadline_ms) {
		/* Woken by each outcome; at worst every 100 ms to see the time. */
		struct timespec ts = clock_realtime_in(100);

		pthread_cond_timedwait(&r->cond, &r->lock, &ts);
	}
	left = r->n + r->busy;
	pthread_mutex_unlock(&r->lock);
	return left;
}
