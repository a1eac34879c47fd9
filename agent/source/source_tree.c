/*
 * The Git source's checkouts on disk (source.h): a commit's tree written
 * out, every name checked and every file, folder and symlink made relative
 * to its folder's descriptor, never through a symlink; and a checkout
 * removed, following no symlink either. A crafted tree (git's object format
 * takes any name but an empty one) never writes outside the folder given.
 */
#include "source.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/berth_error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef SYS_openat2
#include <linux/openat2.h>
#endif

/* Folders nested deeper are refused: the walk holds a descriptor and a
 * stack frame per level. Removal goes twice as deep, for a checkout plus
 * what may have been put in it. */
#define MAX_DEPTH        128
#define MAX_REMOVE_DEPTH 256
/* The longest symlink target written (Linux's PATH_MAX). */
#define MAX_LINK 4096

/* Open `name` in the folder `dir`, never through a symlink: openat2()
 * confined beneath `dir` where the kernel has it, else openat() with
 * O_NOFOLLOW (`name` is one component: nothing else to resolve). */
static int open_beneath(int dir, const char *name, int flags, mode_t mode)
{
#ifdef SYS_openat2
	struct open_how how;
	long fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)(flags | O_NOFOLLOW);
	how.mode = flags & O_CREAT ? mode : 0;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
	fd = syscall(SYS_openat2, dir, name, &how, sizeof(how));
	/* An older kernel, or a seccomp filter that does not know the call. */
	if (fd >= 0 || (errno != ENOSYS && errno != EPERM))
		return (int)fd;
#endif
	return openat(dir, name, flags | O_NOFOLLOW, mode);
}

/* Does `s` equal `want` (lower case ASCII) once the code points HFS+
 * ignores (U+200C-U+200F, U+202A-U+202E, U+206A-U+206F, U+FEFF) are
 * dropped, case aside? As git's is_hfs_dotgit(). */
static bool hfs_equal(const char *s, const char *want)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		if ((p[0] == 0xe2 && p[1] == 0x80 &&
		     ((p[2] >= 0x8c && p[2] <= 0x8f) || (p[2] >= 0xaa && p[2] <= 0xae))) ||
		    (p[0] == 0xe2 && p[1] == 0x81 && p[2] >= 0xaa && p[2] <= 0xaf) ||
		    (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)) {
			p += 3;
			continue;
		}
		if (!*want || (*p >= 'A' && *p <= 'Z' ? *p + 32 : *p) != (unsigned char)*want)
			return false;
		p++;
		want++;
	}
	return !*want;
}

/* Is `s` a name NTFS takes for ".git": ".git" or its short name "git~1",
 * in any case, then only dots and spaces, or a stream (':') or a separator
 * ('\')? As git's is_ntfs_dotgit(). */
static bool ntfs_dotgit(const char *s)
{
	size_t n = !strncasecmp(s, ".git", 4) ? 4 : !strncasecmp(s, "git~1", 5) ? 5 : 0;

	if (!n)
		return false;
	for (s += n; *s; s++) {
		if (*s == ':' || *s == '\\')
			return true;
		if (*s != '.' && *s != ' ')
			return false;
	}
	return true;
}

/* Why the entry `name`, in a folder `depth` below the root, is refused;
 * NULL: it is not. A name never holds a NUL: the format ends it there. */
static const char *unsafe_name(const char *name, unsigned depth)
{
	if (!*name)
		return "an empty name";
	if (!strcmp(name, ".") || !strcmp(name, ".."))
		return "'.' and '..' lead out of the folder";
	if (strchr(name, '/'))
		return "a '/' in a name leads into another folder";
	if (ntfs_dotgit(name) || hfs_equal(name, ".git"))
		return "it is git's own folder (.git, as Windows or macOS may read the name)";
	if (!depth &&
	    (!strcmp(name, SOURCE_SUBMODULES_FILE) || !strcmp(name, SOURCE_COMPLETE_FILE)))
		return "berth keeps this name for itself";
	return NULL;
}

static bool manifest_name(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot && (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") || !strcmp(dot, ".json"));
}

/* Writing a tree out: from where, within what, and the entry at hand. */
struct writer {
	git_repository *repo;
	git_odb *odb;
	const struct source_options *opts;
	const char *only; /* opts->only_path, without '/' around it; NULL: all */
	size_t only_len;
	struct buf path; /* the entry's path in the tree */
	struct buf *submodules;
	size_t total; /* bytes of the files and symlinks written so far */
};

static int refuse(struct writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refuse(struct writer *w, const char *fmt, ...)
{
	struct buf msg = BUF_INIT;
	va_list ap;
	int error;

	buf_adds(&msg, "tree entry '");
	buf_add_printable(&msg, w->path.ptr, NULL);
	buf_adds(&msg, "': ");
	va_start(ap, fmt);
	buf_vaddf(&msg, fmt, ap);
	va_end(ap);
	error = berth_error_set("%s", msg.ptr);
	buf_release(&msg);
	return error;
}

/* A system call on the entry failed. */
static int failed(struct writer *w)
{
	if (errno == EEXIST || errno == ELOOP)
		return refuse(w, "a second entry of this name: refused (nothing is written "
		                 "through a symlink or over another entry)");
	return refuse(w, "%s", strerror(errno));
}

static const char *git_message(void)
{
	const git_error *e = git_error_last();

	return e && e->message ? e->message : "unknown error";
}

static void cut(struct buf *b, size_t len)
{
	if (b->alloc) {
		b->len = len;
		b->ptr[len] = '\0';
	}
}

/* Where the entry at w->path stands to opts->only_path. */
enum place { PLACE_IN, PLACE_ABOVE, PLACE_OUT };

static enum place place_of(const struct writer *w)
{
	const char *p = w->path.ptr;
	size_t n = w->path.len;

	if (!w->only)
		return PLACE_IN;
	if (n >= w->only_len && !memcmp(p, w->only, w->only_len) &&
	    (n == w->only_len || p[w->only_len] == '/'))
		return PLACE_IN;
	if (n < w->only_len && !memcmp(p, w->only, n) && w->only[n] == '/')
		return PLACE_ABOVE;
	return PLACE_OUT;
}

/* The size of the blob `id`, from the object database's header (the blob
 * is not read), within the limits. */
static int blob_size(size_t *out, struct writer *w, const git_oid *id, bool link)
{
	const struct source_options *o = w->opts;
	git_object_t type;
	size_t len;

	if (git_odb_read_header(&len, &type, w->odb, id) < 0)
		return refuse(w, "%s", git_message());
	if (type != GIT_OBJECT_BLOB)
		return refuse(w, "a %s where a file was expected", git_object_type2string(type));
	if (link && len > MAX_LINK)
		return refuse(w, "a symlink's target of %zu bytes, longer than %d", len, MAX_LINK);
	if (o->max_file_bytes && len > o->max_file_bytes)
		return refuse(w, "%zu bytes, larger than the limit of %zu bytes per file", len,
		              o->max_file_bytes);
	if (o->max_total_bytes && len > o->max_total_bytes - w->total)
		return refuse(w, "the files come to more than the limit of %zu bytes in all",
		              o->max_total_bytes);
	w->total += len;
	*out = len;
	return 0;
}

/* Write the file or symlink `name` of the folder `dir`. */
static int write_blob(struct writer *w, int dir, const char *name, const git_tree_entry *e)
{
	git_filemode_t mode = git_tree_entry_filemode(e);
	git_blob *blob = NULL;
	const char *data;
	size_t len, done = 0;
	ssize_t n = 0;
	int fd, error;

	if ((error = blob_size(&len, w, git_tree_entry_id(e), mode == GIT_FILEMODE_LINK)) < 0)
		return error;
	if (git_blob_lookup(&blob, w->repo, git_tree_entry_id(e)) < 0)
		return refuse(w, "%s", git_message());
	data = git_blob_rawcontent(blob);
	len = (size_t)git_blob_rawsize(blob);
	if (mode == GIT_FILEMODE_LINK) {
		char *target = xstrndup(data, len);

		if (strlen(target) != len || !len)
			error = refuse(w, "a symlink's target that is empty or holds a NUL");
		else if (symlinkat(target, dir, name) < 0)
			error = failed(w);
		free(target);
	} else if ((fd = open_beneath(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
	                              mode == GIT_FILEMODE_BLOB_EXECUTABLE ? 0755 : 0644)) < 0) {
		error = failed(w);
	} else {
		while (done < len) {
			n = write(fd, data + done, len - done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				break;
			done += (size_t)n;
		}
		if (done < len)
			error = refuse(w, "%s", n < 0 ? strerror(errno) : "cannot write it whole");
		if (close(fd) < 0 && !error)
			error = refuse(w, "%s", strerror(errno));
	}
	git_blob_free(blob);
	return error;
}

static int write_dir(struct writer *w, int dir, const git_oid *id, unsigned depth);

static int write_entry(struct writer *w, int dir, const git_tree_entry *e, unsigned depth)
{
	const char *name = git_tree_entry_name(e), *why = unsafe_name(name, depth);
	git_filemode_t mode = git_tree_entry_filemode(e);
	enum place at = place_of(w);
	int sub, error;

	if (why)
		return refuse(w, "%s: refused", why);
	if (at == PLACE_OUT || (at == PLACE_ABOVE && mode != GIT_FILEMODE_TREE))
		return 0;
	switch (mode) {
	case GIT_FILEMODE_TREE:
		if (mkdirat(dir, name, 0755) < 0 ||
		    (sub = open_beneath(dir, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0)) < 0)
			return failed(w);
		error = write_dir(w, sub, git_tree_entry_id(e), depth + 1);
		close(sub);
		return error;
	case GIT_FILEMODE_COMMIT:
		/* A submodule (a gitlink): left out, as Flux leaves them out unless
		 * asked; an empty folder stands in its place, as git leaves one. */
		if (mkdirat(dir, name, 0755) < 0)
			return failed(w);
		buf_add(w->submodules, w->path.ptr, w->path.len + 1);
		return 0;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		if (w->only && !manifest_name(name))
			return 0;
		return write_blob(w, dir, name, e);
	case GIT_FILEMODE_LINK:
		return write_blob(w, dir, name, e);
	default:
		return refuse(w, "an unknown mode %o: refused", (unsigned)mode);
	}
}

/* Write the entries of the tree `id` into the folder `dir`, `depth` below
 * the root; w->path is the tree's path. */
static int write_dir(struct writer *w, int dir, const git_oid *id, unsigned depth)
{
	git_tree *tree = NULL;
	size_t base = w->path.len, i, n;
	int error = 0;

	if (depth > MAX_DEPTH)
		return refuse(w, "folders nested deeper than %d: refused", MAX_DEPTH);
	if (git_tree_lookup(&tree, w->repo, id) < 0)
		return w->path.len ? refuse(w, "%s", git_message())
		                   : berth_error_set("the commit's tree: %s", git_message());
	n = git_tree_entrycount(tree);
	for (i = 0; i < n && !error; i++) {
		const git_tree_entry *e = git_tree_entry_byindex(tree, i);

		cut(&w->path, base);
		if (base)
			buf_addch(&w->path, '/');
		buf_adds(&w->path, git_tree_entry_name(e));
		error = write_entry(w, dir, e, depth);
	}
	cut(&w->path, base);
	git_tree_free(tree);
	return error;
}

int source_write_tree(struct buf *submodules, struct git_repository *repo,
                      const struct git_oid *tree, const char *dir,
                      const struct source_options *opts)
{
	struct writer w = {repo, NULL, opts, opts->only_path, 0, BUF_INIT, submodules, 0};
	int fd = -1, error;

	while (w.only && (!strncmp(w.only, "./", 2) || *w.only == '/'))
		w.only += *w.only == '/' ? 1 : 2;
	w.only_len = w.only ? strlen(w.only) : 0;
	while (w.only_len && w.only[w.only_len - 1] == '/')
		w.only_len--;
	if (!w.only_len || (w.only_len == 1 && *w.only == '.'))
		w.only = NULL;
	if (git_repository_odb(&w.odb, repo) < 0) {
		error = berth_error_set("%s", git_message());
		goto out;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		error = berth_error_set("'%s': %s", dir, strerror(errno));
		goto out;
	}
	error = write_dir(&w, fd, tree, 0);
out:
	if (fd >= 0)
		close(fd);
	git_odb_free(w.odb);
	buf_release(&w.path);
	return error;
}

/* Empty the folder `dir` (a descriptor, closed here), `depth` below the one
 * removed. -1 with errno on failure. */
static int remove_in(int dir, unsigned depth)
{
	DIR *d = fdopendir(dir);
	struct dirent *e;
	struct stat st;
	int sub, error = 0, saved = 0;

	if (!d) {
		saved = errno;
		close(dir);
		errno = saved;
		return -1;
	}
	for (;;) {
		errno = 0;
		if (!(e = readdir(d))) {
			error = errno ? -1 : 0;
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			if (errno == ENOENT)
				continue;
			error = -1;
			break;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT) {
				error = -1;
				break;
			}
			continue;
		}
		if (depth >= MAX_REMOVE_DEPTH) {
			errno = ELOOP;
			error = -1;
			break;
		}
		/* Opened without following: a folder swapped for a symlink
		 * meanwhile fails here. */
		sub = open_beneath(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
		if (sub < 0 || remove_in(sub, depth + 1) < 0 ||
		    unlinkat(dirfd(d), e->d_name, AT_REMOVEDIR) < 0) {
			error = -1;
			break;
		}
	}
	saved = errno;
	closedir(d);
	errno = saved;
	return error;
}

int source_remove_tree(const char *dir)
{
	struct stat st;
	int fd;

	if (lstat(dir, &st) < 0)
		return errno == ENOENT ? 0 : berth_error_set("'%s': %s", dir, strerror(errno));
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(dir) < 0 && errno != ENOENT)
			return berth_error_set("cannot remove '%s': %s", dir, strerror(errno));
		return 0;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    remove_in(fd, 0) < 0 || rmdir(dir) < 0)
		return berth_error_set("cannot remove '%s': %s", dir, strerror(errno));
	return 0;
}
