/* LISTs page by page, each page's continue token asking for the next; and
 * the same reading one page ahead of the caller. */
#include "kube_client.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/buf.h"
#include "../diff/base/json_value.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Point `url` at the page after `page`; false when `page` was the last. */
static bool next_page(struct buf *url, const char *path, struct json_object *page)
{
	const char *token = json_value_get_string(json_value_get(page, "metadata"), "continue");
	char *escaped;

	if (!token || !*token)
		return false;
	escaped = curl_escape(token, (int)strlen(token));
	buf_reset(url);
	buf_addf(url, "%s&continue=%s", path, escaped);
	curl_free(escaped);
	return true;
}

int kube_client_list(struct kube_client *c, const char *path,
                     int (*fn)(struct json_object *page, void *ctx), void *ctx)
{
	struct buf url = BUF_INIT;
	bool more = true;
	int error = 0;

	buf_adds(&url, path);
	while (more && !error) {
		struct json_object *page = NULL;

		if ((error = kube_client_get_json(&page, c, url.ptr)) == 0 &&
		    (error = fn(page, ctx)) == 0)
			more = next_page(&url, path, page);
		json_object_put(page);
	}
	buf_release(&url);
	return error;
}

/* One page handed from the reader's thread to the caller's. */
struct ahead {
	struct kube_client *c;
	const char *path;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool full; /* a page (or an error) waits to be taken */
	bool quit; /* the caller takes no more */
	struct json_object *page;
	bool last;     /* no page follows it */
	int error;     /* of the GET, with its message: */
	char *message; /* berth_error is per thread */
};

static void *reader(void *arg)
{
	struct ahead *a = arg;
	struct buf url = BUF_INIT;
	bool more = true;

	buf_adds(&url, a->path);
	while (more) {
		struct json_object *page = NULL;
		int error;

		/* One page ahead, not more: the next GET waits until the
		 * caller has taken the page before. */
		pthread_mutex_lock(&a->lock);
		while (a->full && !a->quit)
			pthread_cond_wait(&a->cond, &a->lock);
		more = !a->quit;
		pthread_mutex_unlock(&a->lock);
		if (!more)
			break;
		error = kube_client_get_json(&page, a->c, url.ptr);
		more = !error && next_page(&url, a->path, page);
		pthread_mutex_lock(&a->lock);
		if (a->quit) {
			more = false;
			json_object_put(page);
		} else {
			a->full = true;
			a->page = page;
			a->last = !more;
			a->error = error;
			a->message = error ? xstrdup(berth_error_last()) : NULL;
			pthread_cond_signal(&a->cond);
		}
		pthread_mutex_unlock(&a->lock);
	}
	buf_release(&url);
	return NULL;
}

int kube_client_list_ahead(struct kube_client *c, const char *path,
                           int (*fn)(struct json_object *page, void *ctx), void *ctx)
{
	struct ahead a = {.c = c, .path = path};
	pthread_t thread;
	bool last = false;
	int error = 0;

	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	if (pthread_create(&thread, NULL, reader, &a)) {
		pthread_cond_destroy(&a.cond);
		pthread_mutex_destroy(&a.lock);
		return kube_client_list(c, path, fn, ctx);
	}
	while (!last && !error) {
		struct json_object *page;

		pthread_mutex_lock(&a.lock);
		while (!a.full)
			pthread_cond_wait(&a.cond, &a.lock);
		page = a.page;
		last = a.last;
		if ((error = a.error) < 0) {
			berth_error_set("%s", a.message);
			free(a.message);
		}
		a.full = false;
		pthread_cond_signal(&a.cond);
		pthread_mutex_unlock(&a.lock);
		if (!error)
			error = fn(page, ctx);
		json_object_put(page);
	}
	/* A page read past fn's error is dropped; the reader ends after the
	 * GET it is in. */
	pthread_mutex_lock(&a.lock);
	a.quit = true;
	pthread_cond_signal(&a.cond);
	pthread_mutex_unlock(&a.lock);
	pthread_join(thread, NULL);
	if (a.full) {
		json_object_put(a.page);
		free(a.message);
	}
	pthread_cond_destroy(&a.cond);
	pthread_mutex_destroy(&a.lock);
	return error;
}
