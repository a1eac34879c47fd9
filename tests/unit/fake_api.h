#ifndef BERTH_TEST_FAKE_API_H
#define BERTH_TEST_FAKE_API_H

/*
 * A fake API server for the tests of what the client reads (test_discovery.c,
 * test_openapi_fetch.c): berth's own HTTP server answering GETs of the paths
 * set with their JSON (a path set with a query answers only that query),
 * and 404 to the rest, keeping each path asked for (without its query).
 * Included after cmocka.h.
 */
#include "../../agent/http/http_server.h"
#include "../../apply/kube_client.h"
#include "../../diff/base/alloc.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define FAKE_API_MAX 16

struct fake_api {
	struct http_server *server;
	pthread_mutex_t lock; /* the handler runs on the server's thread */
	char *paths[FAKE_API_MAX], *bodies[FAKE_API_MAX];
	struct buf asked; /* each path asked for, one a line */
};

static void fake_api_answer(struct http_response *resp, const struct http_request *req, void *ctx)
{
	struct fake_api *f = ctx;
	struct buf target = BUF_INIT;
	size_t i;

	/* A path set with a query answers only that query. */
	buf_addf(&target, "%s%s%s", req->path, *req->query ? "?" : "", req->query);
	pthread_mutex_lock(&f->lock);
	buf_addf(&f->asked, "%s\n", req->path);
	resp->status = 404;
	resp->content_type = "application/json";
	for (i = 0; i < FAKE_API_MAX; i++)
		if (f->paths[i] &&
		    (!strcmp(f->paths[i], req->path) || !strcmp(f->paths[i], target.ptr))) {
			resp->status = 200;
			buf_adds(&resp->body, f->bodies[i]);
		}
	buf_release(&target);
	if (resp->status == 404)
		buf_adds(&resp->body,
		         "{\"kind\":\"Status\",\"code\":404,\"message\":\"not found\"}");
	pthread_mutex_unlock(&f->lock);
}

/* Answer GET `path` with `body`; NULL: 404. */
static void fake_api_set(struct fake_api *f, const char *path, const char *body)
{
	size_t i, free_slot = FAKE_API_MAX;

	pthread_mutex_lock(&f->lock);
	for (i = 0; i < FAKE_API_MAX; i++) {
		if (f->paths[i] && !strcmp(f->paths[i], path)) {
			free(f->paths[i]);
			free(f->bodies[i]);
			f->paths[i] = f->bodies[i] = NULL;
		}
		if (!f->paths[i] && free_slot == FAKE_API_MAX)
			free_slot = i;
	}
	if (body && free_slot < FAKE_API_MAX) {
		f->paths[free_slot] = xstrdup(path);
		f->bodies[free_slot] = xstrdup(body);
	}
	pthread_mutex_unlock(&f->lock);
}

static int fake_api_start(struct fake_api *f)
{
	struct http_server_options opts = HTTP_SERVER_OPTIONS_INIT;

	memset(f, 0, sizeof(*f));
	pthread_mutex_init(&f->lock, NULL);
	buf_init(&f->asked);
	opts.address = "127.0.0.1:0";
	return http_server_new(&f->server, &opts, fake_api_answer, f);
}

/* The paths asked for since the last call, one a line (caller frees). */
static char *fake_api_asked(struct fake_api *f)
{
	char *asked;

	pthread_mutex_lock(&f->lock);
	asked = buf_detach(&f->asked, NULL);
	pthread_mutex_unlock(&f->lock);
	return asked;
}

static void fake_api_quiet(const char *message, void *ctx)
{
	(void)message;
	(void)ctx;
}

/* A client of the fake server, with `token` (NULL: none) as its credential. */
static struct kube_client *fake_api_client(struct fake_api *f, const char *token)
{
	struct kube_client_options opts = KUBE_CLIENT_OPTIONS_INIT;
	struct kubeconfig kc;
	struct kube_client *c = NULL;
	struct buf server = BUF_INIT;

	memset(&kc, 0, sizeof(kc));
	buf_init(&kc.ca_data);
	buf_init(&kc.cert_data);
	buf_init(&kc.key_data);
	buf_addf(&server, "http://%s", http_server_address(f->server));
	kc.server = server.ptr;
	kc.token = (char *)token;
	opts.warn = fake_api_quiet; /* credentials in clear text: it is a test */
	if (kube_client_new(&c, &kc, &opts) < 0)
		c = NULL;
	buf_release(&server);
	return c;
}

/* Run `fn` on FAKE_API_THREADS threads at once, each with a copy of `c`
 * (kube_client_dup) and failing the test when it returns non-zero. */
#define FAKE_API_THREADS 4

struct fake_api_thread {
	struct kube_client *c;
	int (*fn)(struct kube_client *c);
	int error;
};

static void *fake_api_thread_main(void *arg)
{
	struct fake_api_thread *t = arg;

	t->error = t->fn(t->c);
	return NULL;
}

__attribute__((unused)) static void fake_api_race(struct kube_client *c,
                                                  int (*fn)(struct kube_client *c))
{
	struct fake_api_thread t[FAKE_API_THREADS];
	pthread_t id[FAKE_API_THREADS];
	size_t i;

	for (i = 0; i < FAKE_API_THREADS; i++) {
		t[i].fn = fn;
		t[i].error = -1;
		assert_int_equal(kube_client_dup(&t[i].c, c), 0);
		assert_int_equal(pthread_create(&id[i], NULL, fake_api_thread_main, &t[i]), 0);
	}
	for (i = 0; i < FAKE_API_THREADS; i++) {
		pthread_join(id[i], NULL);
		assert_int_equal(t[i].error, 0);
		kube_client_free(t[i].c);
	}
}

static void fake_api_stop(struct fake_api *f)
{
	size_t i;

	http_server_free(f->server);
	for (i = 0; i < FAKE_API_MAX; i++) {
		free(f->paths[i]);
		free(f->bodies[i]);
	}
	buf_release(&f->asked);
	pthread_mutex_destroy(&f->lock);
}

#endif
