/* Kustomizations on disk: their files read within a root, then built. */
#include "kustomize_load.h"

#include "kustomize_cache.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/kustomization.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Why `path` (which resolves to `real`) leaves `root`: the first component
 * that is a symlink leading out, or the path itself. */
static int outside(const char *path, const char *real, const char *root)
{
	struct buf link = BUF_INIT, target = BUF_INIT;
	int error;

	if (tree_link_out(&link, &target, path, root))
		error = berth_error_set("'%s' is a symlink to '%s', which leads outside '%s'; not "
		                        "followed",
		                        link.ptr, target.ptr, root);
	else
		error = berth_error_set("'%s' is outside '%s' (it resolves to '%s'); not read",
		                        path, root, real);
	buf_release(&link);
	buf_release(&target);
	return error;
}

static int fs_read(struct buf *out, const char *path, const char *within, size_t cap, void *ctx)
{
	const char *root = ctx;
	char real[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	if (!realpath(path, real))
		return errno == ENOENT || errno == ENOTDIR
		           ? BERTH_ENOTFOUND
		           : berth_error_set("'%s': %s", path, strerror(errno));
	if (!tree_is_beneath(real, root))
		return outside(path, real, root);
	if (stat(real, &st) < 0)
		return berth_error_set("'%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return KUSTOMIZE_DIRECTORY;
	if (within && (!realpath(within, dir) || !tree_is_beneath(real, dir)))
		return berth_error_set("'%s' resolves to '%s', which is not in or below '%s' "
		                       "(a symlink out: kustomize refuses it too)",
		                       path, real, within);
	if (!S_ISREG(st.st_mode))
		return berth_error_set("'%s' is not a regular file", path);
	if ((size_t)st.st_size > cap)
		return berth_error_set("'%s' is larger than the limit of %zu bytes", path, cap);
	if (buf_read_file(out, real, cap) < 0)
		return berth_error_set("'%s': %s", path, strerror(errno));
	return 0;
}

static int fs_resolve(struct buf *out, const char *path, void *ctx)
{
	const char *root = ctx;
	char real[PATH_MAX];

	if (!realpath(path, real))
		return berth_error_set("%s", strerror(errno));
	if (!tree_is_beneath(real, root))
		return outside(path, real, root);
	buf_reset(out);
	buf_adds(out, real);
	return 0;
}

int kustomize_load_root(struct buf *out, const char *dir, const char *root)
{
	char real[PATH_MAX];
	struct buf git = BUF_INIT;
	struct stat st;
	char *slash;

	if (!realpath(root ? root : dir, real))
		return berth_error_set("'%s': %s", root ? root : dir, strerror(errno));
	buf_reset(out);
	buf_adds(out, real);
	if (root)
		return 0;
	/* The Git work tree that holds it: the repository is the root. Out of
	 * any, the files are the user's own, as kubectl reads them. */
	buf_reset(out);
	buf_adds(out, "/");
	while (1) {
		buf_reset(&git);
		buf_addf(&git, "%s/.git", real);
		if (lstat(git.ptr, &st) == 0) {
			buf_reset(out);
			buf_adds(out, real);
			break;
		}
		if (!(slash = strrchr(real, '/')) || slash == real)
			break;
		*slash = '\0';
	}
	buf_release(&git);
	return 0;
}

bool kustomize_load_is_kustomization(const char *dir)
{
	struct buf path = BUF_INIT;
	const char *const *name;
	struct stat st;
	bool found = false;

	for (name = kustomization_names; *name && !found; name++) {
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, *name);
		found = lstat(path.ptr, &st) == 0;
	}
	buf_release(&path);
	return found;
}

/* One build's reader, limits and cache file. */
struct load {
	struct kustomize_build_options build;
	struct buf cache; /* the cache file; empty: none */
	size_t cache_cap;
	/* Every path the reader was asked about (kustomize_load): the
	 * build's inputs (manifest_build). */
	struct kustomize_reader inner;
	char **inputs;
	size_t ninputs, inputs_alloc;
};

static void asked(struct load *l, const char *path)
{
	l->inputs = xgrow(l->inputs, sizeof(*l->inputs), l->ninputs + 1, &l->inputs_alloc);
	l->inputs[l->ninputs++] = xstrdup(path);
}

static int asked_read(struct buf *out, const char *path, const char *within, size_t cap, void *ctx)
{
	struct load *l = ctx;

	asked(l, path);
	return l->inner.read(out, path, within, cap, l->inner.ctx);
}

static int asked_resolve(struct buf *out, const char *path, void *ctx)
{
	struct load *l = ctx;

	asked(l, path);
	return l->inner.resolve(out, path, l->inner.ctx);
}

/* Note each path `l`'s reader is asked about, from now on. */
static void note_inputs(struct load *l)
{
	l->inner = l->build.reader;
	l->build.reader.read = asked_read;
	l->build.reader.resolve = asked_resolve;
	l->build.reader.ctx = l;
}

/* The build of `dir` with the limits of `opts`, its files read by `reader`
 * (NULL: from disk within `root`, and a cache file for it). */
static void load_init(struct load *l, const char *dir, const char *root,
                      const struct kustomize_reader *reader, const struct tree_options *opts)
{
	struct kustomize_build_options build = KUSTOMIZE_BUILD_OPTIONS_INIT;

	memset(l, 0, sizeof(*l));
	l->build = build;
	l->build.reader.read = fs_read;
	l->build.reader.resolve = fs_resolve;
	l->build.reader.ctx = (void *)root;
	if (reader)
		l->build.reader = *reader;
	l->build.yaml = opts->manifest.yaml;
	l->build.max_file_size = opts->max_file_size;
	l->build.max_files = opts->max_files;
	l->build.max_total_size = opts->max_total_size;
	l->build.max_objects = opts->manifest.max_objects;
	buf_init(&l->cache);
	if (!reader)
		kustomize_cache_path(&l->cache, dir, root, &l->build);
	l->cache_cap = 4 * l->build.max_total_size + (1u << 20);
}

/* Build afresh, and keep the build in the cache when it had no problem. */
static int load_fresh(struct kustomize_resources *out, struct diagnostics *diags,
                      struct diagnostics *warnings, const char *dir, struct load *l)
{
	struct kustomize_build_options build = l->build;
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics said = DIAGNOSTICS_INIT;
	struct kustomize_record record;
	int error;

	kustomize_record_init(&record, &l->build.reader);
	build.reader = record.reader;
	error = kustomize_build(&rs, diags, &said, dir, &build);
	if (!error && l->cache.len)
		kustomize_cache_put(l->cache.ptr, &record, &rs, &said);
	kustomize_resources_take(out, &rs);
	if (warnings)
		diagnostics_take(warnings, &said);
	diagnostics_release(&said);
	kustomize_record_release(&record);
	return error;
}

static int cached_resource(struct json_object *obj, const struct kustomize_resource *origin,
                           void *ctx)
{
	struct kustomize_resource *r = kustomize_resources_add(
	    ctx, json_object_get(obj), origin->file, origin->line, origin->column);

	r->patch = xstrdup_or_null(origin->patch);
	r->selector_labels = xstrdup_or_null(origin->selector_labels);
	return 0;
}

int kustomize_load_build(struct kustomize_resources *out, struct diagnostics *diags,
                         struct diagnostics *warnings, const char *dir, const char *root,
                         const struct tree_options *opts)
{
	struct tree_options defaults = TREE_OPTIONS_INIT;
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics said = DIAGNOSTICS_INIT;
	struct load l;
	int error = 0;

	load_init(&l, dir, root, NULL, opts ? opts : &defaults);
	/* Built before, from the same answers: what that build made. */
	if (l.cache.len && kustomize_cache_each(&said, l.cache.ptr, &l.build.reader, l.cache_cap,
	                                        cached_resource, &rs)) {
		kustomize_resources_take(out, &rs);
		if (warnings)
			diagnostics_take(warnings, &said);
	} else {
		kustomize_resources_release(&rs);
		error = load_fresh(out, diags, warnings, dir, &l);
	}
	diagnostics_release(&said);
	buf_release(&l.cache);
	return error;
}

/* A cached object into the set. */
struct add {
	struct manifest_set *set;
	struct diagnostics *diags;
	const struct manifest_options *opts;
	int result;
};

static int add_built(struct json_object *obj, const struct kustomize_resource *r, void *ctx)
{
	struct add *a = ctx;
	struct manifest_origin origin = {r->file, r->line, r->column, r->patch, r->selector_labels};
	int error = manifest_set_add_built(a->set, a->diags, obj, &origin, a->opts);

	if (error)
		a->result = error;
	return error == MANIFEST_CUT;
}

/* Build with `l` into `set`: the cached build while its reader answers
 * the same, else afresh; the paths the reader was asked about are the
 * build's inputs. */
static int load_into(struct manifest_set *set, struct diagnostics *diags,
                     struct diagnostics *warnings, const char *dir, struct load *l,
                     const struct tree_options *opts)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct manifest_set cached = MANIFEST_SET_INIT;
	struct diagnostics problems = DIAGNOSTICS_INIT, said = DIAGNOSTICS_INIT;
	struct add a = {&cached, &problems, &opts->manifest, 0};
	struct manifest_build *b;
	size_t i, from = set->nfiles, warned = warnings ? warnings->n : 0;
	int error = 0;

	note_inputs(l);
	/* A cached build goes into the set one object at a time. */
	if (l->cache.len && kustomize_cache_each(&said, l->cache.ptr, &l->build.reader,
	                                         l->cache_cap, add_built, &a)) {
		manifest_set_take(set, &cached);
		diagnostics_take(diags, &problems);
		if (warnings)
			diagnostics_take(warnings, &said);
		error = a.result;
		goto out;
	}
	/* What a damaged cache file asked is not an input. */
	for (i = 0; i < l->ninputs; i++)
		free(l->inputs[i]);
	l->ninputs = 0;
	if ((error = load_fresh(&rs, diags, warnings, dir, l)) < 0)
		goto out;
	a.set = set;
	a.diags = diags;
	for (i = 0; i < rs.n && a.result != MANIFEST_CUT; i++)
		add_built(rs.items[i].obj, &rs.items[i], &a);
	error = a.result;
out:
	b = manifest_set_add_build(set, from, dir, l->inputs, l->ninputs);
	if (warnings)
		diagnostics_copy(&b->warnings, warnings, warned, warnings->n);
	manifest_set_release(&cached);
	diagnostics_release(&problems);
	diagnostics_release(&said);
	kustomize_resources_release(&rs);
	buf_release(&l->cache);
	return error;
}

int kustomize_load(struct manifest_set *set, struct diagnostics *diags,
                   struct diagnostics *warnings, const char *dir, const char *root,
                   const struct tree_options *opts)
{
	struct tree_options defaults = TREE_OPTIONS_INIT;
	struct load l;

	if (!opts)
		opts = &defaults;
	load_init(&l, dir, root, NULL, opts);
	return load_into(set, diags, warnings, dir, &l, opts);
}

int kustomize_load_with(struct manifest_set *set, struct diagnostics *diags,
                        struct diagnostics *warnings, const char *dir,
                        const struct kustomize_reader *reader, const struct tree_options *opts)
{
	struct load l;

	load_init(&l, dir, NULL, reader, opts);
	return load_into(set, diags, warnings, dir, &l, opts);
}
