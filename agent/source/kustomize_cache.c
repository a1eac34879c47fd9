/* Builds remembered on disk, used only while their reader answers the same. */
#include "kustomize_cache.h"

#include "../../apply/cache.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/digest.h"
#include "../../diff/base/json_value.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define CACHE_FORMAT "berth kustomize cache 1"

/* What the cache keeps, at most: the builds used last. */
#define CACHE_KEEP_FILES 256
#define CACHE_KEEP_BYTES (256u << 20)

static void hex_sha256(char out[2 * SHA256_SIZE + 1], const void *data, size_t len)
{
	uint8_t d[SHA256_SIZE];
	size_t i;

	sha256(d, data, len);
	for (i = 0; i < SHA256_SIZE; i++)
		snprintf(out + 2 * i, 3, "%02x", d[i]);
}

static struct json_object *string_or_null(const char *s)
{
	return s ? json_object_new_string(s) : NULL;
}

/* ---- the recording reader ------------------------------------------------- */

static int record_read(struct buf *out, const char *path, const char *within, size_t cap, void *ctx)
{
	struct kustomize_record *r = ctx;
	struct json_object *a = json_object_new_object();
	char sha[2 * SHA256_SIZE + 1];
	size_t before = out->len;
	int result = r->inner.read(out, path, within, cap, r->inner.ctx);

	json_object_object_add(a, "path", json_object_new_string(path));
	json_object_object_add(a, "within", string_or_null(within));
	json_object_object_add(a, "cap", json_object_new_int64((int64_t)cap));
	json_object_object_add(a, "result", json_object_new_int(result));
	if (result == 0) {
		hex_sha256(sha, out->ptr + before, out->len - before);
		json_object_object_add(a, "sha256", json_object_new_string(sha));
	}
	json_object_array_add(r->answers, a);
	return result;
}

static int record_resolve(struct buf *out, const char *path, void *ctx)
{
	struct kustomize_record *r = ctx;
	struct json_object *a = json_object_new_object();
	int result = r->inner.resolve(out, path, r->inner.ctx);

	json_object_object_add(a, "resolve", json_object_new_string(path));
	json_object_object_add(a, "result", json_object_new_int(result));
	if (result == 0)
		json_object_object_add(a, "real", json_object_new_string(out->ptr));
	json_object_array_add(r->answers, a);
	return result;
}

void kustomize_record_init(struct kustomize_record *r, const struct kustomize_reader *inner)
{
	r->reader.read = record_read;
	r->reader.resolve = record_resolve;
	r->reader.ctx = r;
	r->inner = *inner;
	r->answers = json_object_new_array();
}

void kustomize_record_release(struct kustomize_record *r)
{
	json_object_put(r->answers);
	r->answers = NULL;
}

/* ---- the cache file ------------------------------------------------------- */

void kustomize_cache_path(struct buf *out, const char *dir, const char *root,
                          const struct kustomize_build_options *opts)
{
	struct buf key = BUF_INIT, folder = BUF_INIT;
	char cwd[PATH_MAX], sha[2 * SHA256_SIZE + 1];

	cache_dir(&folder, "kustomize");
	if (!folder.len || !getcwd(cwd, sizeof(cwd)))
		goto out;
	buf_addf(&key, "%s%c%s%c%s%c%s%c%s%c%zu %zu %zu %zu %zu %zu", CACHE_FORMAT, 0,
	         BERTH_VERSION, 0, cwd, 0, dir, 0, root ? root : "", 0, opts->max_file_size,
	         opts->max_files, opts->max_total_size, opts->max_objects, opts->yaml.max_depth,
	         opts->yaml.max_aliased);
	hex_sha256(sha, key.ptr, key.len);
	buf_addf(out, "%s/%s.json", folder.ptr, sha);
out:
	buf_release(&key);
	buf_release(&folder);
}

/* Does `reader` answer each of `answers` as it did? */
static bool answers_hold(struct json_object *answers, const struct kustomize_reader *reader)
{
	struct buf data = BUF_INIT;
	char sha[2 * SHA256_SIZE + 1];
	bool same = json_object_is_type(answers, json_type_array);
	size_t i;

	for (i = 0; same && i < json_object_array_length(answers); i++) {
		struct json_object *a = json_object_array_get_idx(answers, i);
		const char *path = json_value_get_string(a, "path");
		const char *resolve = json_value_get_string(a, "resolve");
		struct json_object *result = json_value_get(a, "result");
		int was = json_object_get_int(result), now;

		buf_reset(&data);
		if (!json_object_is_type(result, json_type_int) || (!path == !resolve)) {
			same = false;
		} else if (resolve) {
			now = reader->resolve(&data, resolve, reader->ctx);
			same = now == was &&
			       (now || !strcmp(data.ptr, json_value_get_string(a, "real") ?: ""));
		} else {
			now = reader->read(&data, path, json_value_get_string(a, "within"),
			                   (size_t)json_object_get_int64(json_value_get(a, "cap")),
			                   reader->ctx);
			if (now == 0)
				hex_sha256(sha, data.ptr, data.len);
			same = now == was &&
			       (now || !strcmp(sha, json_value_get_string(a, "sha256") ?: ""));
		}
	}
	buf_release(&data);
	return same;
}

int kustomize_cache_each(struct diagnostics *warnings, const char *path,
                         const struct kustomize_reader *reader, size_t cap, kustomize_cache_fn *fn,
                         void *ctx)
{
	struct json_object *doc = NULL, *objects, *list;
	struct buf text = BUF_INIT;
	size_t i;
	int hit = 0;

	if (buf_read_file(&text, path, cap) < 0 || !(doc = json_value_parse(text.ptr, text.len)) ||
	    strcmp(json_value_get_string(doc, "format") ?: "", CACHE_FORMAT) ||
	    !answers_hold(json_value_get(doc, "answers"), reader))
		goto out;
	/* Each object is kept as its JSON text: parsed one at a time. */
	objects = json_value_get(doc, "objects");
	for (i = 0; i < json_value_array_len(objects); i++) {
		struct json_object *o = json_object_array_get_idx(objects, i);
		struct json_object *t = json_value_get(o, "json");
		struct kustomize_resource origin = {
		    .file = (char *)json_value_get_string(o, "file"),
		    .line = (size_t)json_object_get_int64(json_value_get(o, "line")),
		    .column = (size_t)json_object_get_int64(json_value_get(o, "column")),
		    .patch = (char *)json_value_get_string(o, "patch"),
		    .selector_labels = (char *)json_value_get_string(o, "selectorLabels")};
		struct json_object *obj = json_value_parse(json_object_get_string(t),
		                                           (size_t)json_object_get_string_len(t));
		int stop;

		if (!json_object_is_type(obj, json_type_object)) {
			/* Checked before any object is given: see below. */
			json_object_put(obj);
			goto out;
		}
		origin.obj = obj;
		stop = fn(obj, &origin, ctx);
		json_object_put(obj);
		if (stop)
			break;
	}
	list = json_value_get(doc, "warnings");
	for (i = 0; warnings && i < json_value_array_len(list); i++) {
		struct json_object *w = json_object_array_get_idx(list, i);
		diagnostics_add(warnings, json_value_get_string(w, "file") ?: "",
		                (size_t)json_object_get_int64(json_value_get(w, "line")),
		                (size_t)json_object_get_int64(json_value_get(w, "column")), "%s",
		                json_value_get_string(w, "message") ?: "");
	}
	/* Used now: the last to be pruned. */
	utimes(path, NULL);
	hit = 1;
out:
	json_object_put(doc);
	buf_release(&text);
	return hit;
}

/* A cache file, by when it was last used. */
struct kept {
	char *name;
	time_t used;
	off_t size;
};

static int newest_first(const void *a, const void *b)
{
	const struct kept *x = a, *y = b;

	return (x->used < y->used) - (x->used > y->used);
}

/* Remove the builds used longest ago, past CACHE_KEEP_FILES or
 * CACHE_KEEP_BYTES: a checkout per commit would otherwise leave one
 * behind per commit. */
static void prune(const char *dir)
{
	struct kept *kept = NULL;
	struct buf path = BUF_INIT;
	struct dirent *e;
	struct stat st;
	size_t n = 0, alloc = 0, i;
	off_t total = 0;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);

		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, e->d_name);
		if (len < 5 || strcmp(e->d_name + len - 5, ".json") || lstat(path.ptr, &st) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		kept = xgrow(kept, sizeof(*kept), n + 1, &alloc);
		kept[n].name = xstrdup(path.ptr);
		kept[n].used = st.st_mtime;
		kept[n++].size = st.st_size;
	}
	closedir(d);
	if (n)
		qsort(kept, n, sizeof(*kept), newest_first);
	for (i = 0; i < n; i++) {
		total += kept[i].size;
		if (i >= CACHE_KEEP_FILES || total > (off_t)CACHE_KEEP_BYTES)
			unlink(kept[i].name);
		free(kept[i].name);
	}
	free(kept);
	buf_release(&path);
}

void kustomize_cache_put(const char *path, const struct kustomize_record *record,
                         const struct kustomize_resources *rs, const struct diagnostics *warnings)
{
	struct json_object *doc = json_object_new_object(), *objects = json_object_new_array();
	struct json_object *list = json_object_new_array();
	struct buf tmp = BUF_INIT, dir = BUF_INIT;
	const char *text, *slash = strrchr(path, '/');
	FILE *f = NULL;
	size_t i;
	int fd;
	bool bad;

	json_object_object_add(doc, "format", json_object_new_string(CACHE_FORMAT));
	json_object_object_add(doc, "answers", json_object_get(record->answers));
	for (i = 0; i < rs->n; i++) {
		const struct kustomize_resource *r = &rs->items[i];
		struct json_object *o = json_object_new_object();

		json_object_object_add(
		    o, "json",
		    json_object_new_string(json_object_to_json_string_ext(
		        r->obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE)));
		json_object_object_add(o, "file", string_or_null(r->file));
		json_object_object_add(o, "line", json_object_new_int64((int64_t)r->line));
		json_object_object_add(o, "column", json_object_new_int64((int64_t)r->column));
		json_object_object_add(o, "patch", string_or_null(r->patch));
		json_object_object_add(o, "selectorLabels", string_or_null(r->selector_labels));
		json_object_array_add(objects, o);
	}
	json_object_object_add(doc, "objects", objects);
	for (i = 0; warnings && i < warnings->n; i++) {
		struct json_object *w = json_object_new_object();

		json_object_object_add(w, "file", json_object_new_string(warnings->items[i].file));
		json_object_object_add(w, "line",
		                       json_object_new_int64((int64_t)warnings->items[i].line));
		json_object_object_add(w, "column",
		                       json_object_new_int64((int64_t)warnings->items[i].column));
		json_object_object_add(w, "message",
		                       json_object_new_string(warnings->items[i].message));
		json_object_array_add(list, w);
	}
	json_object_object_add(doc, "warnings", list);
	if (!slash)
		goto out;
	buf_add(&dir, path, (size_t)(slash - path));
	buf_addf(&tmp, "%s.XXXXXX", path);
	if (cache_make_dirs(dir.ptr) < 0 || (fd = mkstemp(tmp.ptr)) < 0)
		goto out;
	if (!(f = fdopen(fd, "w"))) {
		close(fd);
		unlink(tmp.ptr);
		goto out;
	}
	text = json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PLAIN |
	                                               JSON_C_TO_STRING_NOSLASHESCAPE);
	/* Written whole, then put in place: a reader sees the old file or the
	 * new one, never half of one. */
	bad = fputs(text, f) < 0;
	if (fclose(f) != 0 || bad || rename(tmp.ptr, path) < 0)
		unlink(tmp.ptr);
	else
		prune(dir.ptr);
out:
	json_object_put(doc);
	buf_release(&tmp);
	buf_release(&dir);
}
