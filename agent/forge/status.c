/* The status poster: a thread that sends each forge the newest state of
 * each sha and context, reading before it writes, one request at a time,
 * within the forge's rules (spacing, backoff while it is down, its rate
 * limits, a revoked token). The comments it keeps: status_comment.c. */
#include "status_internal.h"

#include "../../diff/base/log.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/json_value.h"
#include "../../diff/base/secret.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h> /* INFINITY, isinf */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define ANSWER_MAX       (1u << 20)
#define BACKOFF_MIN_MS   1000.0
#define BACKOFF_MAX_MS   (5 * 60 * 1000.0)
#define LIMIT_DEFAULT_MS 60000.0 /* limited, and told neither when nor how long */
#define SPACED_FOR_MS    60000.0 /* after a limit: every request 1 s apart */

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

int reporter_token(struct endpoint *ep)
{
	int read;

	if (!ep->token_file)
		return secret_read(&ep->token, NULL, ep->token_env, "token");
	if ((read = secret_refresh(&ep->token, &ep->token_stat, ep->token_file, "token")) < 0) {
		buf_release_secret(&ep->token);
		return read;
	}
	if (read) {
		ep->revoked = false;
		/* Perhaps another account's token now. */
		ep->self_state = SELF_UNKNOWN;
		forge_account_release(&ep->self);
	}
	return 0;
}

static size_t on_body(char *data, size_t size, size_t n, void *p)
{
	struct answer *a = p;

	if (a->body.len + size * n > ANSWER_MAX)
		return 0;
	buf_add(&a->body, data, size * n);
	return size * n;
}

static size_t on_header(char *data, size_t size, size_t n, void *p)
{
	struct answer *a = p;
	size_t len = size * n;
	char line[256], *value;

	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	if (!(value = strchr(line, ':')))
		return len;
	*value++ = '\0';
	if (!strcasecmp(line, "retry-after"))
		a->retry_after_ms = strtod(value, NULL) * 1000;
	else if (!strcasecmp(line, "x-ratelimit-reset"))
		a->reset_ms = clock_now_ms() + (strtod(value, NULL) - (double)time(NULL)) * 1000;
	else if (!strcasecmp(line, "x-ratelimit-remaining"))
		a->exhausted = strtol(value, NULL, 10) == 0;
	return len;
}

static int on_progress(void *p, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	(void)a, (void)b, (void)c, (void)d;
	return atomic_load(&((struct reporter *)p)->stopping);
}

int reporter_call(struct answer *a, struct reporter *r, struct endpoint *ep, const char *method,
                  const char *url, const char *body)
{
	struct curl_slist *headers = NULL;
	struct buf lines = BUF_INIT;
	const char *line;
	CURLcode rc;
	int error = 0;

	a->code = 0;
	a->retry_after_ms = a->reset_ms = -1;
	a->exhausted = false;
	buf_reset(&a->body);
	if (!ep->curl)
		ep->curl = curl_easy_init();
	curl_easy_reset(ep->curl);
	forge_headers(&lines, ep->provider, ep->token.ptr, ep->api_version);
	for (line = lines.ptr; line < lines.ptr + lines.len; line += strlen(line) + 1)
		headers = curl_slist_append(headers, line);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	buf_release_secret(&lines);
	curl_easy_setopt(ep->curl, CURLOPT_URL, url);
	curl_easy_setopt(ep->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(ep->curl, CURLOPT_USERAGENT, "berth/" BERTH_VERSION);
	curl_easy_setopt(ep->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(ep->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(ep->curl, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(ep->curl, CURLOPT_TIMEOUT, 15L);
	curl_easy_setopt(ep->curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(ep->curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(ep->curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(ep->curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(ep->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(ep->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(ep->curl, CURLOPT_XFERINFODATA, r);
	if (ep->ca_file)
		curl_easy_setopt(ep->curl, CURLOPT_CAINFO, ep->ca_file);
	if (body)
		curl_easy_setopt(ep->curl, CURLOPT_POSTFIELDS, body);
	if (strcmp(method, body ? "POST" : "GET"))
		curl_easy_setopt(ep->curl, CURLOPT_CUSTOMREQUEST, method);
	if ((rc = curl_easy_perform(ep->curl)) != CURLE_OK) {
		berth_error_set("%s: %s", url, curl_easy_strerror(rc));
		error = BERTH_ECONNECT;
	} else {
		curl_easy_getinfo(ep->curl, CURLINFO_RESPONSE_CODE, &a->code);
	}
	/* The headers held the token. */
	curl_easy_setopt(ep->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(headers);
	return error;
}

void answer_message(struct buf *out, const struct answer *a)
{
	struct json_object *o = json_value_parse(a->body.ptr, a->body.len);
	const char *m = json_value_get_string(o, "message");

	buf_reset(out);
	buf_adds(out, m ? m : a->body.ptr);
	json_object_put(o);
	buf_rtrim(out);
	if (out->len > 300) {
		out->len = 300;
		out->ptr[300] = '\0';
	}
}

/* Log a refusal the first time it is seen. */
static void refused(struct reporter *r, const struct post *p, long code, const char *message)
{
	struct buf key = BUF_INIT;
	char c[16];
	size_t i;

	buf_addf(&key, "%s %s %ld %s", p->ep->base, p->repository, code, message);
	for (i = 0; i < r->nrefusals && strcmp(r->refusals[i], key.ptr); i++)
		;
	if (i < r->nrefusals) {
		buf_release(&key);
		return;
	}
	r->refusals = xrealloc(r->refusals, (r->nrefusals + 1) * sizeof(char *));
	r->refusals[r->nrefusals++] = buf_detach(&key, NULL);
	snprintf(c, sizeof(c), "%ld", code);
	log_line("warn", "status refused", "provider", forge_name(p->ep->provider), "repository",
	         p->repository, "sha", p->sha, "context", p->context, "code", c, "message", message,
	         NULL);
}

enum outcome reporter_down(struct endpoint *ep, const struct post *p, const char *why)
{
	double wait = BACKOFF_MIN_MS * (double)(1u << (ep->failures < 20 ? ep->failures : 20));

	if (wait > BACKOFF_MAX_MS)
		wait = BACKOFF_MAX_MS;
	wait *= 0.75 + 0.5 * clock_jitter();
	if (!ep->failures++)
		log_line("warn", "forge unavailable", "provider", forge_name(ep->provider), "sha",
		         p->sha, "context", p->context, "error", why, NULL);
	ep->until = clock_now_ms() + wait;
	return RETRY;
}

bool reporter_limited(struct endpoint *ep, const struct answer *a)
{
	double now = clock_now_ms(), wait;
	char secs[32];

	if ((a->code != 403 && a->code != 429) ||
	    (a->retry_after_ms < 0 && !a->exhausted && a->code == 403))
		return false;
	wait = a->retry_after_ms >= 0             ? a->retry_after_ms
	       : a->exhausted && a->reset_ms >= 0 ? a->reset_ms - now
	                                          : LIMIT_DEFAULT_MS;
	if (wait < SPACING_MS)
		wait = SPACING_MS;
	ep->until = now + wait;
	ep->spaced_til = ep->until + SPACED_FOR_MS;
	snprintf(secs, sizeof(secs), "%ld", (long)((wait + 999) / 1000));
	log_line("warn", "forge rate limit", "provider", forge_name(ep->provider), "wait", secs,
	         NULL);
	return true;
}

void reporter_answered(struct endpoint *ep)
{
	double now = clock_now_ms();

	if (ep->failures)
		log_line("info", "forge available", "provider", forge_name(ep->provider), NULL);
	ep->failures = 0;
	ep->next_any = now < ep->spaced_til ? now + SPACING_MS : 0;
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
static enum outcome read_newest(struct reporter *r, const struct post *p, struct answer *a)
{
	struct buf url = BUF_INIT, state = BUF_INIT, desc = BUF_INIT;
	enum outcome o = DONE;
	int error;

	forge_list_url(&url, p->ep->provider, p->ep->base, p->repository, p->sha, p->context);
	error = reporter_call(a, r, p->ep, "GET", url.ptr, NULL);
	if (error < 0) {
		o = reporter_down(p->ep, p, berth_error_last());
	} else if (reporter_answered(p->ep), reporter_limited(p->ep, a)) {
		o = RETRY;
	} else if (a->code >= 500 || a->code == 408) {
		buf_reset(&state);
		buf_addf(&state, "%s: %ld", url.ptr, a->code);
		o = reporter_down(p->ep, p, state.ptr);
	} else if (a->code >= 200 && a->code < 300) {
		error = forge_newest(&state, &desc, p->ep->provider, a->body.ptr, a->body.len,
		                     p->context);
		known_set(r, p, error == 0 ? state.ptr : "", error == 0 ? desc.ptr : "");
	} else if (a->code == 401) {
		/* The write would be refused as well. */
		answer_message(&desc, a);
		refused(r, p, a->code, desc.ptr);
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

enum outcome reporter_failed(struct reporter *r, struct post *p, const struct answer *a,
                             const char *url)
{
	struct buf msg = BUF_INIT, why = BUF_INIT;
	enum outcome o;

	answer_message(&msg, a);
	if (reporter_limited(p->ep, a)) {
		o = RETRY;
	} else if (a->code >= 500 || a->code == 408) {
		buf_addf(&why, "%s: %ld %s", url, a->code, msg.ptr);
		o = reporter_down(p->ep, p, why.ptr);
	} else {
		refused(r, p, a->code, msg.ptr);
		p->ep->revoked = a->code == 401;
		o = DROP;
	}
	buf_release(&msg);
	buf_release(&why);
	return o;
}

static enum outcome send_post(struct reporter *r, struct post *p)
{
	struct answer a = {.body = BUF_INIT};
	struct buf url = BUF_INIT, body = BUF_INIT, msg = BUF_INIT;
	const char *state = forge_state(p->ep->provider, p->state);
	struct known *k;
	enum outcome o;
	int error;

	if ((error = reporter_token(p->ep)) < 0) {
		o = reporter_down(p->ep, p, berth_error_last());
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
	if (clock_now_ms() < p->ep->next_write || clock_now_ms() < p->ep->next_any) {
		o = RETRY;
		goto out;
	}
	forge_status_url(&url, p->ep->provider, p->ep->base, p->repository, p->sha);
	forge_status_body(&body, p->ep->provider, p->state, p->context, p->description,
	                  p->target_url, p->ref);
	error = reporter_call(&a, r, p->ep, "POST", url.ptr, body.ptr);
	p->ep->next_write = clock_now_ms() + SPACING_MS;
	count_post(r, p->ep, error < 0 ? 0 : a.code);
	if (error < 0) {
		o = reporter_down(p->ep, p, berth_error_last());
		goto out;
	}
	reporter_answered(p->ep);
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
	buf_release(&a.body);
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
		double now = clock_now_ms(), wake = INFINITY, at;
		size_t i, pick = r->n;
		struct post p;
		enum outcome o;

		for (i = 0; i < r->n && pick == r->n; i++)
			if ((at = ready_at(r, &r->queue[i])) <= now)
				pick = i;
			else if (at < wake)
				wake = at;
		if (pick == r->n) {
			if (isinf(wake)) {
				pthread_cond_wait(&r->cond, &r->lock);
			} else {
				struct timespec ts = clock_realtime_in(wake - now);

				pthread_cond_timedwait(&r->cond, &r->lock, &ts);
			}
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

void reporter_new(struct reporter **out, struct metrics *metrics)
{
	struct reporter *r = xcalloc(1, sizeof(*r));
	pthread_condattr_t attr;

	pthread_mutex_init(&r->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_cond_init(&r->cond, &attr);
	pthread_condattr_destroy(&attr);
	atomic_init(&r->stopping, false);
	r->metrics = metrics;
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
		curl_easy_cleanup(ep->curl);
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
	return error == BERTH_ECONNECT || strstr(berth_error_last(), "403 Forbidden")
	           ? STATUS_ERROR
	           : STATUS_FAILURE;
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
