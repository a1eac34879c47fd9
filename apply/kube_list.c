/* LISTs page by page, each page's continue token asking for the next; and
 * the same read ahead of the caller, on two threads. */
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

/* Point `url` at the page after the one whose metadata is `meta`; false
 * when that page was the last. */
static bool next_page(struct buf *url, const char *path, struct json_object *meta)
{
	const char *token = json_value_get_string(meta, "continue");
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
			more = next_page(&url, path, json_value_get(page, "metadata"));
		json_object_put(page);
	}
	buf_release(&url);
	return error;
}

/* A LIST read two stages ahead of its caller: a fetcher's thread GETs
 * page k+2, taking the next page's token from the text, while a parser's
 * thread parses page k+1 and the caller works on page k. Each stage hands
 * on one page at a time through a slot, and starts on the next only once
 * the stage after it has taken the last: no more than three pages are
 * read ahead of an error. */
struct slot {
	bool full;
	struct kube_response resp; /* the fetcher's to the parser */
	struct json_object *page;  /* the parser's to the caller */
	char *url;                 /* what was fetched, for the parser's errors */
	bool last;                 /* no page follows it */
	int error;                 /* of the GET, or of its answer, with its message */
	char *message;             /* (berth_error is per thread) */
};

struct ahead {
	struct kube_client *c;
	const char *path;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool quit; /* the caller takes no more */
	struct slot text, parsed;
};

/* Fill `s`, empty, with `from` and tell the other stages. Called locked. */
static void hand_on(struct ahead *a, struct slot *s, struct slot *from)
{
	*s = *from;
	s->full = true;
	s->message = from->error < 0 ? xstrdup(berth_error_last()) : NULL;
	pthread_cond_broadcast(&a->cond);
}

static void slot_release(struct slot *s)
{
	kube_response_release(&s->resp);
	json_object_put(s->page);
	free(s->url);
	free(s->message);
	*s = (struct slot){0};
}

/* The `continue` token of the page whose text is `resp`'s, read from its
 * metadata alone: the items need not be parsed to ask for the next page. */
static bool next_url(struct buf *url, const char *path, const struct kube_response *resp)
{
	size_t start, end;
	struct json_object *meta;
	bool more = false;

	if (resp->status >= 200 && resp->status <= 299 &&
	    json_value_member_span(resp->body.ptr, resp->body.len, "metadata", &start, &end) &&
	    (meta = json_value_parse(resp->body.ptr + start, end - start))) {
		more = next_page(url, path, meta);
		json_object_put(meta);
	}
	return more;
}

static void *fetcher(void *arg)
{
	struct ahead *a = arg;
	struct buf url = BUF_INIT;
	bool more = true;

	buf_adds(&url, a->path);
	while (more) {
		struct slot got = {0};

		pthread_mutex_lock(&a->lock);
		while (a->text.full && !a->quit)
			pthread_cond_wait(&a->cond, &a->lock);
		more = !a->quit;
		pthread_mutex_unlock(&a->lock);
		if (!more)
			break;
		got.url = xstrdup(url.ptr);
		got.error = kube_client_get_text(&got.resp, a->c, url.ptr);
		more = got.error == 0 && next_url(&url, a->path, &got.resp);
		got.last = !more;
		pthread_mutex_lock(&a->lock);
		if (a->quit)
			more = false, slot_release(&got);
		else
			hand_on(a, &a->text, &got);
		pthread_mutex_unlock(&a->lock);
	}
	buf_release(&url);
	return NULL;
}

static void *parser(void *arg)
{
	struct ahead *a = arg;
	bool more = true;

	while (more) {
		struct slot got;

		pthread_mutex_lock(&a->lock);
		while ((!a->text.full || a->parsed.full) && !a->quit)
			pthread_cond_wait(&a->cond, &a->lock);
		if (a->quit) {
			pthread_mutex_unlock(&a->lock);
			break;
		}
		got = a->text;
		a->text = (struct slot){0};
		pthread_cond_broadcast(&a->cond);
		pthread_mutex_unlock(&a->lock);
		if (got.error == 0)
			got.error = kube_client_get_answer(&got.page, a->c, got.url, &got.resp);
		else
			berth_error_set("%s", got.message);
		kube_response_release(&got.resp);
		free(got.message);
		got.message = NULL;
		more = !got.last && got.error == 0;
		pthread_mutex_lock(&a->lock);
		if (a->quit)
			more = false, slot_release(&got);
		else
			hand_on(a, &a->parsed, &got);
		pthread_mutex_unlock(&a->lock);
	}
	return NULL;
}

int kube_client_list_ahead(struct kube_client *c, const char *path,
                           int (*fn)(struct json_object *page, void *ctx), void *ctx)
{
	struct ahead a = {.c = c, .path = path};
	pthread_t fetch, parse;
	bool last = false;
	int error = 0;

	pthread_mutex_init(&a.lock, NULL);
	pthread_cond_init(&a.cond, NULL);
	if (pthread_create(&fetch, NULL, fetcher, &a)) {
		pthread_cond_destroy(&a.cond);
		pthread_mutex_destroy(&a.lock);
		return kube_client_list(c, path, fn, ctx);
	}
	if (pthread_create(&parse, NULL, parser, &a)) {
		/* No parser: the fetcher stops after the GET it is in, and
		 * the LIST is read plainly. */
		pthread_mutex_lock(&a.lock);
		a.quit = true;
		pthread_cond_broadcast(&a.cond);
		pthread_mutex_unlock(&a.lock);
		pthread_join(fetch, NULL);
		slot_release(&a.text);
		pthread_cond_destroy(&a.cond);
		pthread_mutex_destroy(&a.lock);
		return kube_client_list(c, path, fn, ctx);
	}
	while (!last && !error) {
		struct slot got;

		pthread_mutex_lock(&a.lock);
		while (!a.parsed.full)
			pthread_cond_wait(&a.cond, &a.lock);
		got = a.parsed;
		a.parsed = (struct slot){0};
		pthread_cond_broadcast(&a.cond);
		pthread_mutex_unlock(&a.lock);
		last = got.last;
		if ((error = got.error) < 0)
			berth_error_set("%s", got.message);
		else
			error = fn(got.page, ctx);
		slot_release(&got);
	}
	/* Pages read past fn's error are dropped; the fetcher ends after the
	 * GET it is in. */
	pthread_mutex_lock(&a.lock);
	a.quit = true;
	pthread_cond_broadcast(&a.cond);
	pthread_mutex_unlock(&a.lock);
	pthread_join(fetch, NULL);
	pthread_join(parse, NULL);
	slot_release(&a.text);
	slot_release(&a.parsed);
	pthread_cond_destroy(&a.cond);
	pthread_mutex_destroy(&a.lock);
	return error;
}
