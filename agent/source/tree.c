/* The manifests of a tree on disk: walked within its root, read in
 * parallel, within limits. */
#include "tree.h"

#include "kustomize_load.h"

#include "../../apply/parallel.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/*
 * A file to read, or a problem met while walking. The walk lists them in
 * order; the files are then read in parallel, each into its own results,
 * which are gathered in walk order: the outcome does not depend on timing.
 */
struct file {
	char *path;       /* NULL: nothing to read */
	char *build_root; /* a folder holding a kustomization, built within this */
	struct manifest_set set;
	struct diagnostics diags, warnings;
	bool cut; /* stopped early: the limit of objects, or a stop */
};

/* What a load shares between its walk and its readers. */
struct files {
	struct file *items;
	size_t n, alloc;
	const struct tree_options *opts;
	struct manifest_options manifest; /* opts->manifest, counting in `objects` */
	size_t files, bytes;              /* listed by the walk */
	atomic_size_t objects;            /* read so far, by every reader */
	bool full;                        /* the walk met a limit or a stop: it listed no more */
};

/* Why the load must stop now (manifest.stop), or NULL. */
static const char *stop_reason(const struct files *fs)
{
	return fs->manifest.stop ? fs->manifest.stop(fs->manifest.stop_ctx) : NULL;
}

/* A file on disk is read again to find a field's place. */
static int read_again(struct buf *out, const char *name, void *ctx)
{
	(void)ctx;
	return buf_read_file(out, name, SIZE_MAX);
}

static struct file *file_add(struct files *fs, const char *path)
{
	struct file *x;

	fs->items = xgrow(fs->items, sizeof(*fs->items), fs->n + 1, &fs->alloc);
	x = &fs->items[fs->n++];
	memset(x, 0, sizeof(*x));
	x->path = xstrdup_or_null(path);
	return x;
}

/* A problem that is not about a file's contents, in its place in the order. */
static void file_problem(struct files *fs, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void file_problem(struct files *fs, const char *path, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	diagnostics_add(&file_add(fs, NULL)->diags, path, 0, 0, "%s", msg.ptr);
	buf_release(&msg);
}

/* A folder holding a kustomization: built, as kubectl apply -k and Flux
 * build it, within `root` (the walk's, else the Git work tree's). */
static void build_add(struct files *fs, const char *dir, const char *root)
{
	struct buf resolved = BUF_INIT;
	struct file *x;

	if (kustomize_load_root(&resolved, dir, root) < 0) {
		file_problem(fs, dir, "%s", berth_error_last());
	} else {
		x = file_add(fs, dir);
		x->build_root = xstrdup(resolved.ptr);
		fs->files++;
	}
	buf_release(&resolved);
}

/* Read and parse one file, unless the load is past its limit or stopped. */
static void load_file(size_t i, void *ctx)
{
	struct files *fs = ctx;
	struct file *x = &fs->items[i];
	struct buf data = BUF_INIT;
	struct stat st;

	if (!x->path)
		return;
	if (atomic_load(&fs->objects) > fs->manifest.max_objects || stop_reason(fs)) {
		x->cut = true;
		return;
	}
	if (x->build_root) {
		struct tree_options opts = *fs->opts;
		opts.manifest = fs->manifest;
		x->cut = kustomize_load(&x->set, &x->diags, &x->warnings, x->path, x->build_root,
		                        &opts) == MANIFEST_CUT;
		return;
	}
	if (stat(x->path, &st) == 0 && (size_t)st.st_size > fs->opts->max_file_size)
		diagnostics_add(&x->diags, x->path, 0, 0, "larger than the limit of %zu bytes",
		                fs->opts->max_file_size);
	else if (buf_read_file(&data, x->path, fs->opts->max_file_size) < 0)
		diagnostics_add(&x->diags, x->path, 0, 0, "cannot read: %s", strerror(errno));
	else
		x->cut = manifest_set_add(&x->set, &x->diags, x->path, data.ptr, data.len,
		                          &fs->manifest) == MANIFEST_CUT;
	buf_release(&data);
}

bool tree_manifest_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

bool tree_is_beneath(const char *real, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0' || !strcmp(root, "/"));
}

/* A directory, by what it is rather than by how it was reached. */
struct dir_id {
	dev_t dev;
	ino_t ino;
};

/*
 * The walk of one path: nothing outside `root` is read, and no directory
 * twice, however symlinks lead. `visited` is sorted; `stack` is the
 * directories being walked, outermost first, to tell a loop (a link back
 * to one of them) from a second way into a directory read already.
 */
struct walk {
	struct files *fs;
	const char *root;
	struct dir_id *visited;
	size_t nvisited, alloc;
	struct {
		struct dir_id id;
		char *path;
	} stack[64];
	size_t depth;
};

static int cmp_dir_id(const void *a, const void *b)
{
	const struct dir_id *x = a, *y = b;

	if (x->dev != y->dev)
		return x->dev < y->dev ? -1 : 1;
	return x->ino < y->ino ? -1 : x->ino > y->ino;
}

/* Note `id` as visited; false when it was already. */
static bool visit(struct walk *w, struct dir_id id)
{
	size_t lo = 0, hi = w->nvisited;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_dir_id(&id, &w->visited[mid]);

		if (!c)
			return false;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	w->visited = xgrow(w->visited, sizeof(*w->visited), w->nvisited + 1, &w->alloc);
	memmove(w->visited + lo + 1, w->visited + lo, (w->nvisited - lo) * sizeof(*w->visited));
	w->visited[lo] = id;
	w->nvisited++;
	return true;
}

/* Can the walk list more? Says once, in its place, why not. */
static bool room(struct walk *w, const char *path, off_t size)
{
	const struct tree_options *opts = w->fs->opts;
	const char *why;

	if (w->fs->full)
		return false;
	if ((why = stop_reason(w->fs)))
		file_problem(w->fs, path, "not read: %s", why);
	else if (w->fs->files + 1 > opts->max_files)
		file_problem(w->fs, path, "more than %zu manifest files; not read (the limit)",
		             opts->max_files);
	else if (w->fs->bytes + (size_t)size > opts->max_total_size)
		file_problem(w->fs, path,
		             "the manifests come to more than %zu bytes with this file; not read "
		             "(the limit)",
		             opts->max_total_size);
	else
		return true;
	w->fs->full = true;
	return false;
}

static void walk_dir(struct walk *w, const char *dir);

/* Walk into directory `path` (`st` is what it is), once. */
static void enter(struct walk *w, const char *path, const struct stat *st)
{
	struct dir_id id = {st->st_dev, st->st_ino};
	size_t i;

	if (!visit(w, id)) {
		for (i = 0; i < w->depth; i++)
			if (!cmp_dir_id(&id, &w->stack[i].id))
				file_problem(w->fs, path,
				             "symlink loop: it leads back to '%s'; not followed",
				             w->stack[i].path);
		return; /* read already, by another way */
	}
	if (w->depth == ARRAY_SIZE(w->stack)) {
		file_problem(w->fs, path, "nested deeper than %zu directories; not read",
		             ARRAY_SIZE(w->stack));
		return;
	}
	w->stack[w->depth].id = id;
	w->stack[w->depth].path = xstrdup(path);
	w->depth++;
	walk_dir(w, path);
	free(w->stack[--w->depth].path);
}

/* Where a symlink at `path` leads, for messages: its text. */
static void link_target(struct buf *out, const char *path)
{
	char target[PATH_MAX];
	ssize_t n = readlink(path, target, sizeof(target) - 1);

	buf_add(out, target, n > 0 ? (size_t)n : 0);
}

static void walk_dir(struct walk *w, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, alloc = 0, i;

	if (!d) {
		file_problem(w->fs, dir, "%s", strerror(errno));
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			names = xgrow(names, sizeof(*names), n + 1, &alloc);
			names[n++] = xstrdup(e->d_name);
		}
	closedir(d);
	if (n) /* an empty directory has no list at all */
		qsort(names, n, sizeof(*names), cmp_names);

	for (i = 0; i < n; i++) {
		struct buf path = BUF_INIT, target = BUF_INIT;
		struct stat st;
		char real[PATH_MAX];

		buf_addf(&path, "%s/%s", dir, names[i]);
		if (lstat(path.ptr, &st) < 0) {
			file_problem(w->fs, path.ptr, "%s", strerror(errno));
		} else if (S_ISLNK(st.st_mode) && !realpath(path.ptr, real)) {
			/* Nowhere: a problem only where a manifest was meant. */
			link_target(&target, path.ptr);
			if (tree_manifest_name(names[i]))
				file_problem(w->fs, path.ptr, "symlink to '%s' leads nowhere: %s",
				             target.ptr, strerror(errno));
		} else if (S_ISLNK(st.st_mode) && !tree_is_beneath(real, w->root)) {
			link_target(&target, path.ptr);
			file_problem(w->fs, path.ptr,
			             "symlink to '%s' leads outside '%s'; not followed", target.ptr,
			             w->root);
		} else if (stat(path.ptr, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (!kustomize_load_is_kustomization(path.ptr))
				enter(w, path.ptr, &st);
			else if (room(w, path.ptr, 0))
				build_add(w->fs, path.ptr, w->fs->opts->root);
		} else if (S_ISREG(st.st_mode) && tree_manifest_name(names[i]) &&
		           room(w, path.ptr, st.st_size)) {
			w->fs->files++;
			w->fs->bytes += (size_t)st.st_size;
			file_add(w->fs, path.ptr);
		}
		buf_release(&path);
		buf_release(&target);
		free(names[i]);
	}
	free(names);
}

bool tree_link_out(struct buf *link, struct buf *target, const char *path, const char *root)
{
	char real[PATH_MAX];
	const char *p;

	for (p = path; *p; p += strspn(p, "/")) {
		struct stat st;

		p += strcspn(p, "/");
		buf_reset(link);
		buf_add(link, path, (size_t)(p - path));
		if (lstat(link->ptr, &st) == 0 && S_ISLNK(st.st_mode) &&
		    (!realpath(link->ptr, real) || !tree_is_beneath(real, root))) {
			link_target(target, link->ptr);
			return true;
		}
	}
	return false;
}

/*
 * Does `path` stay beneath `root` (both as given; root resolved)? When it
 * does not, the problem names the first component that is a symlink
 * leading out, and where it points.
 */
static bool path_stays_beneath(struct files *fs, const char *path, const char *root)
{
	struct buf link = BUF_INIT, target = BUF_INIT;
	char real[PATH_MAX];
	bool ok = true, resolved = realpath(path, real) != NULL;

	if (resolved && tree_is_beneath(real, root))
		return true;
	if (tree_link_out(&link, &target, path, root)) {
		file_problem(fs, link.ptr, "symlink to '%s' leads outside '%s'; not followed",
		             target.ptr, root);
		ok = false;
	}
	/* No link to blame: the path is outside, or not there (which reading
	 * it says). */
	if (ok && resolved)
		file_problem(fs, path, "outside '%s'; not read", root);
	buf_release(&link);
	buf_release(&target);
	return ok && !resolved;
}

/* List what `path` holds: a file, or a directory walked within `root` (its
 * own, when the options name none). */
static void list_path(struct files *fs, const char *path)
{
	struct walk w = {fs, NULL, NULL, 0, 0, {{{0, 0}, NULL}}, 0};
	char root[PATH_MAX], self[PATH_MAX];
	struct stat st;
	char *dir;
	size_t n;

	if (fs->opts->root && !path_stays_beneath(fs, path, fs->opts->root))
		return;
	if (stat(path, &st) < 0) {
		file_problem(fs, path, "%s", strerror(errno));
		return;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (room(&w, path, st.st_size)) {
			fs->files++;
			fs->bytes += (size_t)st.st_size;
			file_add(fs, path);
		}
		return;
	}
	/* "dir/" and "dir" name the same files the same way. */
	dir = xstrdup(path);
	n = strlen(dir);
	while (n > 1 && dir[n - 1] == '/')
		dir[--n] = '\0';
	if (!realpath(dir, self)) {
		file_problem(fs, dir, "%s", strerror(errno));
	} else if (kustomize_load_is_kustomization(dir)) {
		if (room(&w, dir, 0))
			build_add(fs, dir, fs->opts->root);
	} else {
		w.root = fs->opts->root ? fs->opts->root : self;
		snprintf(root, sizeof(root), "%s", w.root);
		w.root = root;
		enter(&w, dir, &st);
	}
	free(w.visited);
	free(dir);
}

int tree_load(struct manifest_set *set, struct diagnostics *diags, struct diagnostics *warnings,
              const char *const *paths, size_t npaths, const struct tree_options *opts)
{
	struct tree_options defaults = TREE_OPTIONS_INIT;
	struct files fs = {.opts = opts ? opts : &defaults};
	const char *why;
	size_t before = diags->n, i;
	bool over = false;

	fs.manifest = fs.opts->manifest;
	fs.manifest.objects = &fs.objects;
	fs.manifest.read = read_again;
	for (i = 0; i < npaths && !fs.full; i++)
		list_path(&fs, paths[i]);
	parallel_for(fs.n, fs.opts->threads, load_file, &fs);
	/* In walk order: the first file that goes past the limit of objects,
	 * or that a stop cut short, ends the set; what readers found beyond it
	 * depends on timing, and goes. */
	for (i = 0; i < fs.n; i++) {
		struct file *x = &fs.items[i];

		if (over) {
			manifest_set_release(&x->set);
			diagnostics_release(&x->diags);
		} else {
			manifest_set_take(set, &x->set);
			diagnostics_take(diags, &x->diags);
		}
		if (warnings && !over)
			diagnostics_take(warnings, &x->warnings);
		diagnostics_release(&x->warnings);
		if (!over && x->cut && (why = stop_reason(&fs))) {
			diagnostics_add(diags, x->path ? x->path : "", 0, 0, "not read whole: %s",
			                why);
			over = true;
		} else if (!over && (x->cut || set->n > fs.manifest.max_objects)) {
			diagnostics_add(
			    diags, x->path ? x->path : "", 0, 0,
			    "the manifests hold more than %zu objects with this file; the "
			    "rest is not read (the limit)",
			    fs.manifest.max_objects);
			over = true;
		}
		free(x->path);
		free(x->build_root);
	}
	free(fs.items);
	manifest_set_finish(set, diags, warnings);
	return diags->n > before ? BERTH_ERROR : 0;
}
