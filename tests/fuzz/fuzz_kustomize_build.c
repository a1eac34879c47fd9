/*
 * Fuzz harness for the kustomize build (diff/kustomize.c and the steps it
 * runs): kustomize_build() of "." over a small tree of files held in memory.
 *
 * The input is the tree, one file after another. A line "=== PATH" starts
 * the file PATH (relative; "." and empty components are dropped; a path
 * that is absolute or holds ".." is skipped, with its text); the bytes up to
 * the next such line are its text. Bytes before the first one, when there
 * are any, are "kustomization.yaml". A folder is there when a file is in it.
 * At most MAX_TREE files; a path given twice keeps its first text.
 *
 *   === kustomization.yaml
 *   resources: [base]
 *   === base/kustomization.yaml
 *   resources: [cm.yaml]
 *   === base/cm.yaml
 *   apiVersion: v1
 *   ...
 *
 * The reader answers from the tree only, as the one on disk does: a file;
 * KUSTOMIZE_DIRECTORY for a folder; BERTH_ENOTFOUND; an error for a path out
 * of the tree, a file not in or below `within` (lexically: there are no
 * symlinks), or larger than `cap`.
 *
 * Properties:
 *   - the build returns 0 or BERTH_ERROR, and ends (cycles of
 *     kustomizations included: the fuzzer's time-out is the bound);
 *   - refused: at least one problem, and `out` left empty;
 *   - built: no problem; at most max_objects objects, each a JSON object
 *     with a kind and a metadata.name (a scalar, not null or ""), from a
 *     file of the tree;
 *   - reads: at most max_files answered with a file, and the others bounded
 *     by the kustomization names tried in each folder and the problems.
 * A broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/kustomization.h"
#include "../../diff/kustomize.h"

#include <stdbool.h>
#include <string.h>

#define broken(...) fuzz_broken("fuzz_kustomize_build", __VA_ARGS__)

#define MAX_TREE  64
#define HEADER    "=== "
#define ROOT_FILE "kustomization.yaml"

struct vfile {
	struct buf path;
	const char *text; /* in the input */
	size_t len;
};

struct vtree {
	struct vfile files[MAX_TREE];
	size_t n;
	size_t reads, answered; /* reads asked, and answered with a file */
};

static bool outside(const char *path)
{
	return path[0] == '/' || !strcmp(path, "..") || !strncmp(path, "../", 3);
}

/* Is `path` in or below the folder `dir`? */
static bool beneath(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "."))
		return !outside(path);
	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

static const struct vfile *find_file(const struct vtree *t, const char *path)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->files[i].path.ptr, path))
			return &t->files[i];
	return NULL;
}

static bool is_folder(const struct vtree *t, const char *path)
{
	size_t i;

	if (!strcmp(path, "."))
		return true;
	for (i = 0; i < t->n; i++)
		if (beneath(t->files[i].path.ptr, path) && strcmp(t->files[i].path.ptr, path))
			return true;
	return false;
}

/* The path of a header line, cleaned into `out`; false when it is skipped. */
static bool clean_path(struct buf *out, const char *p, size_t len)
{
	const char *end = p + len, *c;

	buf_reset(out);
	if (len && p[0] == '/')
		return false;
	for (; p < end; p = c + 1) {
		c = memchr(p, '/', (size_t)(end - p));
		if (!c)
			c = end;
		if (c == p || (c - p == 1 && p[0] == '.'))
			continue;
		if ((c - p == 2 && p[0] == '.' && p[1] == '.') || memchr(p, '\0', (size_t)(c - p)))
			return false;
		if (out->len)
			buf_addch(out, '/');
		buf_add(out, p, (size_t)(c - p));
	}
	return out->len > 0;
}

static void tree_add(struct vtree *t, struct buf *path, const char *text, size_t len)
{
	struct vfile *f;

	if (t->n == MAX_TREE || find_file(t, path->ptr))
		return;
	f = &t->files[t->n++];
	f->path = *path;
	f->text = text;
	f->len = len;
	buf_init(path);
}

static void tree_parse(struct vtree *t, const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *text = p, *eol;
	struct buf path = BUF_INIT;
	bool have = true, first = true; /* first: the bytes before any header */

	buf_adds(&path, ROOT_FILE);
	for (; p < end; p = eol) {
		eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol + 1 : end;
		if ((size_t)(eol - p) < strlen(HEADER) || memcmp(p, HEADER, strlen(HEADER)))
			continue;
		if (have && (p > text || !first))
			tree_add(t, &path, text, (size_t)(p - text));
		first = false;
		p += strlen(HEADER);
		have = clean_path(&path, p, (size_t)(eol - p) - (eol[-1] == '\n'));
		text = eol;
	}
	if (have && (end > text || !first))
		tree_add(t, &path, text, (size_t)(end - text));
	buf_release(&path);
}

static int tree_read(struct buf *out, const char *path, const char *within, size_t cap, void *ctx)
{
	struct vtree *t = ctx;
	const struct vfile *f;

	t->reads++;
	if (outside(path))
		return berth_error_set("'%s' is outside the tree; not read", path);
	if (!(f = find_file(t, path)))
		return is_folder(t, path) ? KUSTOMIZE_DIRECTORY : BERTH_ENOTFOUND;
	if (within && !beneath(path, within))
		return berth_error_set("'%s' is not in or below '%s'", path, within);
	if (f->len > cap)
		return berth_error_set("'%s' is larger than the limit of %zu bytes", path, cap);
	buf_add(out, f->text, f->len);
	t->answered++;
	return 0;
}

static int tree_resolve(struct buf *out, const char *path, void *ctx)
{
	struct vtree *t = ctx;

	if (outside(path))
		return berth_error_set("'%s' is outside the tree", path);
	if (!find_file(t, path) && !is_folder(t, path))
		return berth_error_set("no such file or folder");
	buf_reset(out);
	buf_adds(out, path);
	return 0;
}

static void check_built(const struct vtree *t, const struct kustomize_resources *rs,
                        const struct kustomize_build_options *opts)
{
	size_t i;

	if (rs->n > opts->max_objects)
		broken("built %zu objects, more than the limit of %zu", rs->n, opts->max_objects);
	for (i = 0; i < rs->n; i++) {
		struct json_object *obj = rs->items[i].obj;
		const char *kind = json_value_get_string(obj, "kind");
		struct json_object *name = json_value_get(json_value_get(obj, "metadata"), "name");

		if (!json_object_is_type(obj, json_type_object))
			broken("object %zu built is no JSON object", i);
		if (!kind || !*kind)
			broken("object %zu built has no kind", i);
		if (!name || json_object_is_type(name, json_type_object) ||
		    json_object_is_type(name, json_type_array) || !*json_object_get_string(name))
			broken("%s %zu built has no metadata.name", kind, i);
		if (!rs->items[i].file || !find_file(t, rs->items[i].file))
			broken("%s %zu built from '%s', no file of the tree", kind, i,
			       rs->items[i].file ? rs->items[i].file : "(none)");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vtree t = {.n = 0};
	struct kustomize_build_options opts = KUSTOMIZE_BUILD_OPTIONS_INIT;
	struct kustomize_resources out = KUSTOMIZE_RESOURCES_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	size_t i, names = 0;
	int rc;

	tree_parse(&t, data, size);
	opts.reader.read = tree_read;
	opts.reader.resolve = tree_resolve;
	opts.reader.ctx = &t;
	opts.yaml.max_depth = 64;
	opts.yaml.max_aliased = 10000;
	opts.max_file_size = 64u << 10;
	opts.max_files = 64;
	opts.max_total_size = 256u << 10;
	opts.max_objects = 200;
	while (kustomization_names[names])
		names++;

	rc = kustomize_build(&out, &diags, &warnings, ".", &opts);
	if (rc != 0 && rc != BERTH_ERROR)
		broken("the build returned %d", rc);
	if (rc < 0) {
		if (!diags.n)
			broken("refused with no problem");
		if (out.n)
			broken("refused, yet %zu objects in out", out.n);
	} else {
		if (diags.n)
			broken("built, yet %zu problems: %s", diags.n, diags.items[0].message);
		check_built(&t, &out, &opts);
	}
	if (t.answered > opts.max_files)
		broken("%zu files read, more than the limit of %zu", t.answered, opts.max_files);
	if (t.reads - t.answered > (t.answered + 1) * (names + 1) + diags.n)
		broken("%zu reads for %zu files and %zu problems", t.reads, t.answered, diags.n);

	kustomize_resources_release(&out);
	diagnostics_release(&diags);
	diagnostics_release(&warnings);
	for (i = 0; i < t.n; i++)
		buf_release(&t.files[i].path);
	return 0;
}
