/* The server's OpenAPI schema, fetched once and cached by the server's
 * identity and its ETag. */
#include "openapi_fetch.h"

#include "cache.h"

#include "../diff/base/alloc.h"
#include "../diff/base/berth_error.h"
#include "../diff/base/json_value.h"

#include <errno.h>
#include <limits.h>
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

int openapi_cache_path(struct buf *out, struct kube_client *c)
{
	struct json_object *version = NULL;
	struct buf dir = BUF_INIT;
	const char *v;
	int error;

	cache_dir(&dir, "openapi");
	if (!dir.len) {
		buf_release(&dir);
		return 0;
	}
	if ((error = kube_client_get_json(&version, c, "/version")) < 0)
		goto out;
	if (!(v = json_value_get_string(version, "gitVersion")) || !*v) {
		error = berth_error_set("%s/version: no gitVersion", kube_client_server(c));
		goto out;
	}
	/* "v1.20.2", "v1.20.2+k3s1", per server. */
	buf_addf(out, "%s/", dir.ptr);
	cache_name(out, v, strlen(v), kube_client_server(c));
	buf_adds(out, ".json.gz");
out:
	json_object_put(version);
	buf_release(&dir);
	return error;
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
	struct buf path = BUF_INIT;
	bool cached = false, unsure = false;
	size_t i;
	int error;

	if (!set->n)
		return 0;
	if ((error = openapi_cache_path(&path, c)) < 0 ||
	    (error = openapi_fetch(&api, &cached, c, path.ptr, false)) < 0)
		goto out;
	openapi_validate(&found, &unsure, api, set);
	if (cached && unsure) {
		/* The cache is as old as its server version, while custom
		 * resources' definitions change any time: ask the server. */
		openapi_free(api);
		api = NULL;
		diagnostics_release(&found);
		if ((error = openapi_fetch(&api, &cached, c, path.ptr, true)) < 0)
			goto out;
		openapi_validate(&found, &unsure, api, set);
	}
	for (i = 0; i < found.n; i++)
		diagnostics_add(diags, found.items[i].file, found.items[i].line,
		                found.items[i].column, "%s", found.items[i].message);
out:
	diagnostics_release(&found);
	openapi_free(api);
	buf_release(&path);
	return error;
}
