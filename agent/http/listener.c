/* berth run's endpoints: health, readiness, metrics and the forges'
 * webhooks, which trigger reconciles. */
#include "listener.h"

#include "http_server.h"
#include "../../diff/base/log.h"
#include "../forge/webhook.h"

#include "../../diff/base/clock.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/digest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct followed {
	char *name;
	char *repo; /* its repo_key() */
	char *ref;  /* as configured; NULL: the remote's HEAD */
	bool forks; /* previews pull requests from forks */
	bool reconciled, triggered;
};

/* How long a delivery is remembered, and how many are: a forge's
 * redelivery, or a replay under any delivery id, within that time triggers
 * nothing again. */
#define DELIVERY_MEMORY_MS (10 * 60 * 1000.0)
#define DELIVERIES         1024

struct delivery {
	enum forge forge;
	uint8_t digest[SHA256_SIZE]; /* of the signed body */
	double at;                   /* 0: free */
};

struct listener {
	struct http_server *server;
	struct metrics *metrics;
	struct report_board *reports;
	listener_preview_fn *preview; /* guarded by the lock */
	void *preview_ctx;
	struct wakeup *wake;
	pthread_mutex_t lock; /* guards what follows */
	struct followed *sources;
	size_t n;
	char *secrets[FORGE_COUNT];
	struct delivery deliveries[DELIVERIES]; /* a ring, the oldest overwritten */
	size_t next_delivery;
};

/* Has this signed body come to forge `f`'s hook in the last
 * DELIVERY_MEMORY_MS, under whatever delivery id? Remembers it when not.
 * Called with the lock held. */
static bool seen_delivery(struct listener *l, enum forge f, const struct http_request *req)
{
	double now = clock_now_ms();
	uint8_t digest[SHA256_SIZE];
	size_t i;

	sha256(digest, req->body, req->content_length);
	for (i = 0; i < DELIVERIES; i++)
		if (l->deliveries[i].at > 0 && now - l->deliveries[i].at < DELIVERY_MEMORY_MS &&
		    l->deliveries[i].forge == f &&
		    !memcmp(l->deliveries[i].digest, digest, SHA256_SIZE))
			return true;
	l->deliveries[l->next_delivery].forge = f;
	memcpy(l->deliveries[l->next_delivery].digest, digest, SHA256_SIZE);
	l->deliveries[l->next_delivery].at = now;
	l->next_delivery = (l->next_delivery + 1) % DELIVERIES;
	return false;
}

static void reply(struct http_response *resp, int status, const char *text)
{
	resp->status = status;
	buf_adds(&resp->body, text);
}

static void readyz(struct http_response *resp, struct listener *l)
{
	size_t i, waiting = 0;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->n; i++)
		if (!l->sources[i].reconciled)
			buf_addf(&resp->body, "%s %s",
			         waiting++ ? "," : "not reconciled yet:", l->sources[i].name);
	pthread_mutex_unlock(&l->lock);
	if (waiting) {
		resp->status = 503;
		buf_addch(&resp->body, '\n');
	} else {
		buf_adds(&resp->body, "ok\n");
	}
}

/* The id of a delivery, which the forge keeps when it delivers it again:
 * GitLab's Idempotency-Key first, then its X-Gitlab-Event-UUID. */
static const char *webhook_delivery(enum forge f, const struct http_request *req)
{
	const char *id = f == FORGE_GITLAB ? http_request_header(req, "Idempotency-Key") : NULL;

	return id ? id : http_request_header(req, webhook_delivery_header(f));
}

/* Is `repo` (a repo_key()) among the NUL-ended `keys` of a payload? */
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

/* A verified pull request event: each source of its repository that
 * deploys its base branch previews its head. */
static void pull(struct http_response *resp, const struct webhook_event *ev, struct listener *l,
                 enum forge f, const char *delivery)
{
	const struct webhook_pull *pr = &ev->pull;
	struct buf names = BUF_INIT, forks = BUF_INIT;
	listener_preview_fn *preview;
	void *ctx;
	const char *name;
	char number[24];
	size_t i;

	if (ev->kind != WEBHOOK_PULL_PREVIEW) {
		reply(resp, 200, "ignored: this action brings no new head to preview\n");
		goto out;
	}
	pthread_mutex_lock(&l->lock);
	preview = l->preview;
	ctx = l->preview_ctx;
	for (i = 0; preview && i < l->n; i++) {
		if (!names_repo(&ev->keys, l->sources[i].repo) || !deploys(l->sources[i].ref, pr))
			continue;
		/* A fork's head is anyone's: its previews are opted in. */
		if (pr->fork && !l->sources[i].forks)
			buf_addf(&forks, "%s%s", forks.len ? ", " : "", l->sources[i].name);
		else
			buf_add(&names, l->sources[i].name, strlen(l->sources[i].name) + 1);
	}
	pthread_mutex_unlock(&l->lock);
	if (!preview) {
		reply(resp, 200, "ignored: previews are off\n");
		goto out;
	}
	resp->status = 202;
	buf_adds(&resp->body, names.len || forks.len ? "previewing" : "no source deploys");
	for (name = names.ptr; name < names.ptr + names.len; name += strlen(name) + 1) {
		preview(ctx, name, f, pr);
		buf_addf(&resp->body, " %s", name);
	}
	if (!names.len && !forks.len)
		buf_addf(&resp->body, " %s of this repository", pr->base.ptr);
	else if (!names.len)
		buf_adds(&resp->body, " nothing");
	if (forks.len)
		buf_addf(&resp->body,
		         "; from a fork, not previewed for %s (previews: {forks: true} "
		         "opts in)",
		         forks.ptr);
	buf_addch(&resp->body, '\n');
	snprintf(number, sizeof(number), "%ld", pr->number);
	log_line("info", names.len ? "webhook" : "webhook triggered nothing", "forge",
	         forge_name(f), "delivery", delivery, "pull", number, "head", pr->head, "base",
	         pr->base.ptr, names.len ? "previews" : "reason", resp->body.ptr, NULL);
out:
	buf_release(&names);
	buf_release(&forks);
}

/* A delivery to /hooks/<forge>: verified, then each source that follows
 * the pushed repository and a ref the push may move is triggered. */
static void hook(struct http_response *resp, const struct http_request *req, struct listener *l,
                 enum forge f)
{
	const char *event = http_request_header(req, webhook_event_header(f));
	const char *delivery = webhook_delivery(f, req);
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	struct buf names = BUF_INIT, other = BUF_INIT;
	char *secret;
	bool ok;
	size_t i;

	pthread_mutex_lock(&l->lock);
	secret = xstrdup_or_null(l->secrets[f]);
	pthread_mutex_unlock(&l->lock);
	if (!secret) {
		reply(resp, 404, "no secret is configured for these webhooks\n");
		return;
	}
	ok = webhook_verify(f, secret, http_request_header(req, webhook_signature_header(f)),
	                    req->body, req->content_length);
	free_secret(secret);
	if (!delivery)
		delivery = "";
	if (!ok) {
		reply(resp, 401, "bad signature\n");
		log_line("warn", "webhook refused", "forge", forge_name(f), "delivery", delivery,
		         "peer", req->peer ? req->peer : "", "reason", "bad signature or token",
		         NULL);
		return;
	}
	pthread_mutex_lock(&l->lock);
	ok = !seen_delivery(l, f, req);
	pthread_mutex_unlock(&l->lock);
	if (!ok) {
		reply(resp, 200, "already received\n");
		log_line("debug", "webhook already received", "forge", forge_name(f), "delivery",
		         delivery, NULL);
		return;
	}
	if (webhook_parse(&ev, f, event, req->body, req->content_length) < 0) {
		resp->status = 400;
		buf_addf(&resp->body, "%s\n", berth_error_last());
		goto out;
	}
	if (ev.kind == WEBHOOK_IGNORED) {
		/* GitHub's ping, and events berth does not follow. */
		reply(resp, 200, "ignored: not a push or a pull request\n");
		goto out;
	}
	if (ev.kind != WEBHOOK_PUSH) {
		pull(resp, &ev, l, f, delivery);
		goto out;
	}
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->n; i++) {
		struct followed *s = &l->sources[i];

		if (!names_repo(&ev.keys, s->repo))
			continue;
		if (webhook_ref_moves(s->ref, ev.ref.ptr)) {
			s->triggered = true;
			buf_addf(&names, "%s%s", names.len ? "," : "", s->name);
		} else {
			buf_addf(&other, "%s%s follows %s", other.len ? ", " : "", s->name, s->ref);
		}
	}
	pthread_mutex_unlock(&l->lock);
	if (names.len)
		wakeup_signal(l->wake);
	resp->status = 202;
	if (names.len)
		buf_addf(&resp->body, "reconciling %s\n", names.ptr);
	else if (other.len)
		buf_addf(&resp->body,
		         "nothing to reconcile: %s moves no ref a source follows (%s)\n",
		         ev.ref.ptr, other.ptr);
	else
		buf_addf(&resp->body, "no source follows %s\n",
		         ev.keys.len ? ev.keys.ptr : "this repository");
	if (names.len)
		log_line("info", "webhook", "forge", forge_name(f), "delivery", delivery, "ref",
		         ev.ref.ptr, "sources", names.ptr, NULL);
	else
		log_line("info", "webhook triggered nothing", "forge", forge_name(f), "delivery",
		         delivery, "ref", ev.ref.ptr, "reason", resp->body.ptr, NULL);
out:
	buf_release(&names);
	buf_release(&other);
	webhook_event_release(&ev);
}

static void handle(struct http_response *resp, const struct http_request *req, void *ctx)
{
	struct listener *l = ctx;
	bool get = !strcmp(req->method, "GET") || !strcmp(req->method, "HEAD");
	size_t f;

	if (!strcmp(req->path, "/healthz") && get) {
		reply(resp, 200, "ok\n");
	} else if (!strcmp(req->path, "/readyz") && get) {
		readyz(resp, l);
	} else if (!strcmp(req->path, "/metrics") && get) {
		resp->content_type = "text/plain; version=0.0.4; charset=utf-8";
		metrics_write(&resp->body, l->metrics);
	} else if (l->reports &&
	           (!strcmp(req->path, "/report") || !strncmp(req->path, "/report/", 8))) {
		if (get)
			report_board_serve(l->reports, resp, req);
		else
			reply(resp, 405, "use GET\n");
	} else if (!strncmp(req->path, "/hooks/", 7)) {
		for (f = 0; f < FORGE_COUNT && strcmp(req->path + 7, forge_name(f)); f++)
			;
		if (f == FORGE_COUNT)
			reply(resp, 404, "not found\n");
		else if (strcmp(req->method, "POST"))
			reply(resp, 405, "use POST\n");
		else
			hook(resp, req, l, (enum forge)f);
	} else if (!strcmp(req->path, "/healthz") || !strcmp(req->path, "/readyz") ||
	           !strcmp(req->path, "/metrics")) {
		reply(resp, 405, "use GET\n");
	} else {
		reply(resp, 404, "not found\n");
	}
}

int listener_new(struct listener **out, const char *address, struct metrics *m,
                 struct report_board *reports, struct wakeup *wake)
{
	static const char *const probes[] = {"/healthz", "/readyz", "/metrics", NULL};
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct listener *l = xcalloc(1, sizeof(*l));
	int error;

	pthread_mutex_init(&l->lock, NULL);
	l->metrics = m;
	l->reports = reports;
	l->wake = wake;
	opts.address = address;
	/* The kubelet's probes and Prometheus always find a slot. */
	opts.reserve = 8;
	opts.reserved = probes;
	if ((error = http_server_new(&l->server, &opts, handle, l)) < 0) {
		listener_free(l);
		return error;
	}
	*out = l;
	return 0;
}

static void forget(struct listener *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->sources[i].name);
		free(l->sources[i].repo);
		free(l->sources[i].ref);
	}
	free(l->sources);
	l->sources = NULL;
	l->n = 0;
	for (i = 0; i < FORGE_COUNT; i++) {
		free_secret(l->secrets[i]);
		l->secrets[i] = NULL;
	}
}

void listener_free(struct listener *l)
{
	if (!l)
		return;
	/* The server's thread stops first: nothing reads what follows. */
	http_server_free(l->server);
	forget(l);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

void listener_previews(struct listener *l, listener_preview_fn *fn, void *ctx)
{
	pthread_mutex_lock(&l->lock);
	l->preview = fn;
	l->preview_ctx = ctx;
	pthread_mutex_unlock(&l->lock);
}

const char *listener_address(const struct listener *l)
{
	return http_server_address(l->server);
}

void listener_follow(struct listener *l, const struct config *c)
{
	struct followed *fresh = xcalloc(c->n + 1, sizeof(*fresh));
	struct buf key = BUF_INIT;
	size_t i, j;

	for (i = 0; i < c->n; i++) {
		fresh[i].name = xstrdup(c->sources[i].name);
		buf_reset(&key);
		repo_key(&key, c->sources[i].git.repo);
		fresh[i].repo = buf_detach(&key, NULL);
		fresh[i].ref = xstrdup_or_null(c->sources[i].git.ref);
		fresh[i].forks = c->sources[i].preview_forks;
	}
	pthread_mutex_lock(&l->lock);
	for (i = 0; i < c->n; i++)
		for (j = 0; j < l->n; j++)
			if (!strcmp(fresh[i].name, l->sources[j].name))
				fresh[i].reconciled = l->sources[j].reconciled;
	forget(l);
	l->sources = fresh;
	l->n = c->n;
	for (i = 0; i < FORGE_COUNT; i++)
		l->secrets[i] = xstrdup_or_null(c->webhook_secrets[i]);
	pthread_mutex_unlock(&l->lock);
	buf_release(&key);
}

void listener_reconciled(struct listener *l, size_t i)
{
	pthread_mutex_lock(&l->lock);
	if (i < l->n)
		l->sources[i].reconciled = true;
	pthread_mutex_unlock(&l->lock);
}

void listener_trigger(struct listener *l, const char *source)
{
	size_t i;

	pthread_mutex_lock(&l->lock);
	for (i = 0; i < l->n; i++)
		if (!strcmp(l->sources[i].name, source))
			l->sources[i].triggered = true;
	pthread_mutex_unlock(&l->lock);
	wakeup_signal(l->wake);
}

bool listener_take_trigger(struct listener *l, size_t i)
{
	bool triggered = false;

	pthread_mutex_lock(&l->lock);
	if (i < l->n) {
		triggered = l->sources[i].triggered;
		l->sources[i].triggered = false;
	}
	pthread_mutex_unlock(&l->lock);
	return triggered;
}
