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
	struct scheduler *scheduler; /* the daemon's channel */
	pthread_mutex_t lock;        /* guards what follows */
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
	struct buf waiting = BUF_INIT;

	if (scheduler_waiting(l->scheduler, &waiting)) {
		resp->status = 503;
		buf_addf(&resp->body, "%s\n", waiting.ptr);
	} else {
		buf_adds(&resp->body, "ok\n");
	}
	buf_release(&waiting);
}

/* The id of a delivery, which the forge keeps when it delivers it again:
 * GitLab's Idempotency-Key first, then its X-Gitlab-Event-UUID. */
static const char *webhook_delivery(enum forge f, const struct http_request *req)
{
	const char *id = f == FORGE_GITLAB ? http_request_header(req, "Idempotency-Key") : NULL;

	return id ? id : http_request_header(req, webhook_delivery_header(f));
}

/* A delivery to /hooks/<forge>: verified, remembered, parsed once, then
 * handed to the daemon: a push makes due each source of its repository
 * whose ref it moves; a pull request is previewed for each source that
 * deploys its base branch. */
static void hook(struct http_response *resp, const struct http_request *req, struct listener *l,
                 enum forge f)
{
	const char *event = http_request_header(req, webhook_event_header(f));
	const char *delivery = webhook_delivery(f, req);
	struct webhook_event ev = WEBHOOK_EVENT_INIT;
	struct trigger t = {.forge = f};
	char *secret;
	bool ok;

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
	t.delivery = delivery;
	t.repos = &ev.keys;
	switch (ev.kind) {
	case WEBHOOK_PUSH:
		t.kind = TRIGGER_PUSH;
		t.ref = ev.ref.ptr;
		resp->status = 202;
		scheduler_send(l->scheduler, &t, &resp->body);
		break;
	case WEBHOOK_PULL_PREVIEW:
		t.kind = TRIGGER_PULL;
		t.pull = &ev.pull;
		resp->status = scheduler_send(l->scheduler, &t, &resp->body) < 0 ? 200 : 202;
		break;
	case WEBHOOK_PULL_OTHER:
		reply(resp, 200, "ignored: this action brings no new head to preview\n");
		break;
	default:
		/* GitHub's ping, and events berth does not follow. */
		reply(resp, 200, "ignored: not a push or a pull request\n");
	}
out:
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
                 struct report_board *reports, struct scheduler *scheduler)
{
	static const char *const probes[] = {"/healthz", "/readyz", "/metrics", NULL};
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;
	struct listener *l = xcalloc(1, sizeof(*l));
	int error;

	pthread_mutex_init(&l->lock, NULL);
	l->metrics = m;
	l->reports = reports;
	l->scheduler = scheduler;
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

const char *listener_address(const struct listener *l)
{
	return http_server_address(l->server);
}

void listener_secrets(struct listener *l, const struct config *c)
{
	size_t i;

	pthread_mutex_lock(&l->lock);
	forget(l);
	for (i = 0; i < FORGE_COUNT; i++)
		l->secrets[i] = xstrdup_or_null(c->webhook_secrets[i]);
	pthread_mutex_unlock(&l->lock);
}
