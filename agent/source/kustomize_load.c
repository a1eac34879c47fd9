/* Kustomizations on disk: their files read within a root, then built. */
#include "kustomize_load.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/kustomization.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool beneath(const char *real, const char *root)
{
	size_t n = strlen(root);

	return !strcmp(root, "/") ||
	       (!strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0'));
}

/* Why `path` (which resolves to `real`) leaves `root`: the first component
 * that is a symlink leading out, or the path itself. */
static int outside(const char *path, const char *real, const char *root)
{
	struct buf prefix = BUF_INIT;
	char target[PATH_MAX], resolved[PATH_MAX];
	const char *p;
	ssize_t n;
	int error;

	for (p = path; *p; p += strspn(p, "/")) {
		struct stat st;

		p += strcspn(p, "/");
		buf_reset(&prefix);
		buf_add(&prefix, path, (size_t)(p - path));
		if (lstat(prefix.ptr, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (!realpath(prefix.ptr, resolved) || !beneath(resolved, root)) &&
		    (n = readlink(prefix.ptr, target, sizeof(target) - 1)) >= 0) {
			target[n] = '\0';
			error = berth_error_set("'%s' is a symlink to '%s', which leads outside "
			                        "'%s'; not followed",
			                        prefix.ptr, target, root);
			buf_release(&prefix);
			return error;
		}
	}
	buf_release(&prefix);
	return berth_error_set("'%s' is outside '%s' (it resolves to '%s'); not read", path, root,
	                       real);
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
	if (!beneath(real, root))
		return outside(path, real, root);
	if (stat(real, &st) < 0)
		return berth_error_set("'%s': %s", path, strerror(errno));
	if (S_ISDIR(st.st_mode))
		return KUSTOMIZE_DIRECTORY;
	if (within && (!realpath(within, dir) || !beneath(real, dir)))
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
	if (!beneath(real, root))
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

int kustomize_load_build(struct kustomize_resources *out, struct diagnostics *diags,
                         struct diagnostics *warnings, const char *dir, const char *root,
                         const struct tree_options *opts)
{
	struct tree_options defaults = TREE_OPTIONS_INIT;
	struct kustomize_build_options build = KUSTOMIZE_BUILD_OPTIONS_INIT;

	if (!opts)
		opts = &defaults;
	build.reader.read = fs_read;
	build.reader.resolve = fs_resolve;
	build.reader.ctx = (void *)root;
	build.yaml = opts->manifest.yaml;
	build.max_file_size = opts->max_file_size;
	build.max_files = opts->max_files;
	build.max_total_size = opts->max_total_size;
	build.max_objects = opts->manifest.max_objects;
	return kustomize_build(out, diags, warnings, dir, &build);
}

int kustomize_load(struct manifest_set *set, struct diagnostics *diags,
                   struct diagnostics *warnings, const char *dir, const char *root,
                   const struct tree_options *opts)
{
	struct tree_options defaults = TREE_OPTIONS_INIT;
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	size_t i;
	int error, result = 0;

	if (!opts)
		opts = &defaults;
	if ((error = kustomize_load_build(&rs, diags, warnings, dir, root, opts)) < 0)
		return error;
	for (i = 0; i < rs.n && result != MANIFEST_CUT; i++) {
		const struct kustomize_resource *r = &rs.items[i];
		struct manifest_origin origin = {r->file, r->line, r->column, r->patch,
		                                 r->selector_labels};

		error = manifest_set_add_built(set, diags, r->obj, &origin, &opts->manifest);
		if (error)
			result = error;
	}
	kustomize_resources_release(&rs);
	return result;
}
