/* The server's OpenAPI schema, fetched once and cached by the server's
 * identity and its ETag. */
#include "openapi_fetch.h"

#include "cache.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

/* The most a cached schema may hold once inflated; a 1.20 server's is
 * about 250 KB. */
#define CACHE_MAX (64u << 20)

/*
 * Schemas parsed, one per server version, named as the disk cache's file
 * is: a check in the same process against the same server version parses
 * nothing.
 */
struct held {
	char *name;           /* VERSION-HASH */
	char *server;         /* the server's URL: a newer version replaces an older */
	struct openapi *api;  /* NULL until fetched */
	pthread_mutex_t lock; /* held to fetch and to validate: a schema is for
	                       * one thread at a time */
	unsigned refs;        /* the list's and each check's, under the list's lock */
};

static struct {
	pthread_mutex_t lock;
	struct held **items;
	size_t n;
} held = {PTHREAD_MUTEX_INITIALIZER, NULL, 0};

/* Drop a reference to `h` (the list's lock held). */
static void held_put_locked(struct held *h)
{
	if (--h->refs)
		return;
	openapi_free(h->api);
	pthread_mutex_destroy(&h->lock);
	free(h->name);
	free(h->server);
	free(h);
}

/* The schema named `name`, found or added (with none yet), a reference the
 * caller drops with held_put(). Another version of `server` is dropped. */
static struct held *held_get(const char *name, const char *server)
{
	struct held *h = NULL;
	size_t i, kept = 0;

	pthread_mutex_lock(&held.lock);
	for (i = 0; i < held.n; i++) {
		if (!strcmp(held.items[i]->name, name))
			h = held.items[i];
		if (!strcmp(held.items[i]->name, name) || strcmp(held.items[i]->server, server))
			held.items[kept++] = held.items[i];
		else
			held_put_locked(held.items[i]);
	}
	held.n = kept;
	if (!h) {
		h = xcalloc(1, sizeof(*h));
		h->name = xstrdup(name);
		h->server = xstrdup(server);
		pthread_mutex_init(&h->lock, NULL);
		h->refs = 1;
		held.items = xrealloc(held.items, (held.n + 1) * sizeof(*held.items));
		held.items[held.n++] = h;
	}
	h->refs++;
	pthread_mutex_unlock(&held.lock);
	return h;
}

static void held_put(struct held *h)
{
	pthread_mutex_lock(&held.lock);
	held_put_locked(h);
	pthread_mutex_unlock(&held.lock);
}

/*
 * What the schema of the server `c` talks to is kept by, from its version
 * (kube_client_version): `name`, VERSION-HASH, and `path`, its cache file (left
 * empty when there is no cache directory: no HOME and no XDG_CACHE_HOME).
 */
static int schema_name(struct buf *name, struct buf *path, struct kube_client *c)
{
	struct buf dir = BUF_INIT;
	const char *v;
	int error;

	if ((error = kube_client_version(&v, c)) < 0)
		return error;
	/* "v1.20.2", "v1.20.2+k3s1", per server. */
	cache_name(name, v, strlen(v), kube_client_server(c));
	cache_dir(&dir, "openapi");
	if (dir.len)
		buf_addf(path, "%s/%s.json.gz", dir.ptr, name->ptr);
	buf_release(&dir);
	return 0;
}

/* Inflate the cache file into `out`. BERTH_ENOTFOUND when there is none. */
static int cache_read(struct buf *out, const char *path)
{
	gzFile gz = gzopen(path, "rb");
	int n, error = 0;

	if (!gz)
		return errno == ENOENT ? BERTH_ENOTFOUND
		                       : berth_error_set("'%s': %s", path, strerror(errno));
	do {
		buf_grow(out, 65536);
		n = gzread(gz, out->ptr + out->len, 65536);
		if (n > 0) {
			out->len += (size_t)n;
			out->ptr[out->len] = '\0';
		}
	} while (n > 0 && out->len <= CACHE_MAX);
	if (n < 0)
		error = berth_error_set("'%s': %s", path, gzerror(gz, &n));
	else if (out->len > CACHE_MAX)
		error = berth_error_set("'%s': larger than %u bytes", path, CACHE_MAX);
	else if (gzdirect(gz))
		error = berth_error_set("'%s': not compressed", path);
	/* gzclose() reports a stream cut short, and a bad checksum. */
	if (gzclose(gz) != Z_OK && !error)
		error = berth_error_set("'%s': truncated or damaged", path);
	return error;
}

static int cache_load(struct openapi **out, const char *path)
{
	struct buf text = BUF_INIT;
	int error;

	if ((error = cache_read(&text, path)) == 0 &&
	    (error = openapi_parse(out, text.ptr, text.len)) < 0)
		berth_error_prefix(error, "'%s'", path);
	buf_release(&text);
	return error;
}

/* Write the schema to `path` through a temporary file and a rename, so a
 * reader sees the old file or the new one, never half of one. */
static int cache_write(const char *path, const struct openapi *api)
{
	struct buf text = BUF_INIT, tmp = BUF_INIT;
	const char *slash = strrchr(path, '/');
	gzFile gz = NULL;
	int fd, error = 0;

	buf_add(&tmp, path, (size_t)(slash - path));
	if ((error = cache_make_dirs(tmp.ptr)) < 0)
		goto out;
	buf_addf(&tmp, "/.%s.XXXXXX", slash + 1);
	openapi_write(&text, api);
	if (text.len > INT_MAX) {
		error = berth_error_set("the schema is too large to cache");
		goto out;
	}
	if ((fd = mkstemp(tmp.ptr)) < 0) {
		error = berth_error_set("'%s': %s", tmp.ptr, strerror(errno));
		goto out;
	}
	if (!(gz = gzdopen(fd, "wb9"))) {
		close(fd);
		error = berth_error_set("'%s': cannot compress", tmp.ptr);
	} else if (gzwrite(gz, text.ptr, (unsigned)text.len) != (int)text.len) {
		int zerr;
		error = berth_error_set("'%s': %s", tmp.ptr, gzerror(gz, &zerr));
		gzclose(gz);
	} else if (gzclose(gz) != Z_OK) {
		error = berth_error_set("'%s': %s", tmp.ptr, strerror(errno));
	} else if (rename(tmp.ptr, path) < 0) {
		error = berth_error_set("'%s': %s", path, strerror(errno));
	}
	if (error)
		unlink(tmp.ptr);
out:
	buf_release(&text);
	buf_release(&tmp);
	return error;
}

int openapi_fetch(struct openapi **out, bool *from_cache, struct kube_client *c, const char *path,
                  bool refresh)
{
	struct json_object *doc = NULL;
	struct openapi *api = NULL;
	int error;

	if (*path && !refresh) {
		if ((error = cache_load(&api, path)) == 0) {
			*from_cache = true;
			*out = api;
			return 0;
		}
		if (error != BERTH_ENOTFOUND)
			kube_client_warn(c, "%s; fetching the OpenAPI schema again",
			                 berth_error_last());
	}
	if ((error = kube_client_get_json(&doc, c, "/openapi/v2")) < 0 ||
	    (error = openapi_new(&api, doc)) < 0)
		return berth_error_prefix(error, "the server's OpenAPI schema");
	if (*path && cache_write(path, api) < 0)
		kube_client_warn(c, "cannot cache the OpenAPI schema: %s", berth_error_last());
	*from_cache = false;
	*out = api;
	return 0;
}

int openapi_check(struct diagnostics *diags, struct kube_client *c, const struct manifest_set *set)
{
	struct diagnostics found = DIAGNOSTICS_INIT;
	struct openapi *api = NULL;
	struct buf name = BUF_INIT, path = BUF_INIT;
	struct held *h;
	bool cached = true, unsure = false;
	size_t i;
	int error;

	if (!set->n)
		return 0;
	if ((error = schema_name(&name, &path, c)) < 0)
		goto out;
	h = held_get(name.ptr, kube_client_server(c));
	pthread_mutex_lock(&h->lock);
	if (!h->api)
		error = openapi_fetch(&h->api, &cached, c, path.ptr, false);
	if (!error)
		openapi_validate(&found, &unsure, h->api, set);
	if (!error && cached && unsure) {
		/* The cache is as old as its server version, while custom
		 * resources' definitions change any time: ask the server. */
		diagnostics_release(&found);
		if ((error = openapi_fetch(&api, &cached, c, path.ptr, true)) == 0) {
			openapi_free(h->api);
			h->api = api;
			openapi_validate(&found, &unsure, h->api, set);
		}
	}
	pthread_mutex_unlock(&h->lock);
	held_put(h);
	for (i = 0; i < found.n && !error; i++)
		diagnostics_add(diags, found.items[i].file, found.items[i].line,
		                found.items[i].column, "%s", found.items[i].message);
out:
	diagnostics_release(&found);
	buf_release(&name);
	buf_release(&path);
	return error;
}
