/*
 * Fuzz harness for the walk of a manifest tree: tree_load() over a
 * tree of directories, files and symlinks that the input describes.
 *
 * The input is a list of entries, three bytes each (at most MAX_ENTRIES):
 *   op     0 a directory, 1 a manifest file, 2 a symlink, 3 another file
 *   parent which directory made so far it goes in (the root is the first)
 *   target for a symlink: ".", "..", "../..", an absolute path to a file
 *          made so far (inside the root), "/etc/hostname" (outside), or a
 *          name that is not there
 * So a symlink leads to an ancestor (a loop, or out of the root from near
 * its top), to a file, out of the root, or nowhere; never into another
 * directory, so every directory is reached by its own path.
 *
 * The tree is made under a new temporary directory, and loaded with that
 * directory as the root. Properties:
 *   - the load ends (the fuzzer's time-out is the bound);
 *   - every object read comes from a file inside the root;
 *   - each symlink to an ancestor inside the root is reported as a loop, at
 *     its own path, once;
 *   - each symlink that leads out of the root is reported, at its path.
 * A broken property aborts, so the fuzzer keeps the input.
 */
#include "fuzz.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"
#include "../../agent/source/source.h"
#include "../../agent/source/tree.h"

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 32
#define MAX_DEPTH   5

struct entry {
	char path[PATH_MAX];
	int op;
	int depth;
	/* For a symlink: what the walk must say of it; NULL: nothing. */
	const char *expect;
};

static bool inside(const char *real, const char *root)
{
	size_t n = strlen(root);

	return !strncmp(real, root, n) && (real[n] == '/' || real[n] == '\0');
}

/* How many of the problems are at `path` and say `what`. */
static size_t said(const struct diagnostics *d, const char *path, const char *what)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += !strcmp(d->items[i].file, path) && strstr(d->items[i].message, what) != NULL;
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char manifest[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
	char tmp[] = "/tmp/berth-fuzz-walk-XXXXXX", root[PATH_MAX], real[PATH_MAX];
	struct entry *e = xcalloc(MAX_ENTRIES + 1, sizeof(*e));
	struct tree_options opts = TREE_OPTIONS_INIT;
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	size_t n = 1, i;
	const char *paths[1];
	struct buf name = BUF_INIT;
	FILE *f;

	if (!mkdtemp(tmp) || !realpath(tmp, root))
		fuzz_broken("fuzz_walk", "cannot make a temporary directory");
	snprintf(e[0].path, sizeof(e[0].path), "%s", root);
	for (i = 0; i + 3 <= size && n <= MAX_ENTRIES; i += 3) {
		int op = data[i] % 4, parent = data[i + 1] % (int)n, pick = data[i + 2];
		struct entry *x = &e[n], *p = &e[parent];

		if (p->op != 0 || p->depth >= MAX_DEPTH)
			continue; /* only directories have entries */
		x->op = op;
		x->depth = p->depth + 1;
		buf_reset(&name);
		buf_addf(&name, "%s/e%02zu%s", p->path, n,
		         op == 1   ? ".yaml"
		         : op == 3 ? ".txt"
		                   : "");
		if (name.len >= sizeof(x->path))
			continue;
		memcpy(x->path, name.ptr, name.len + 1);
		if (op == 0) {
			if (mkdir(x->path, 0700) < 0)
				fuzz_broken("fuzz_walk", "mkdir '%s'", x->path);
		} else if (op == 1 || op == 3) {
			if (!(f = fopen(x->path, "w")))
				fuzz_broken("fuzz_walk", "cannot write '%s'", x->path);
			fputs(manifest, f);
			fclose(f);
		} else {
			/* A link at depth d (the root's entries are at 1) with
			 * `up` ".."s leads to an ancestor inside the root when
			 * up < d, and out of it otherwise. */
			static const char *const ups[] = {".", "..", "../.."};
			const char *target = NULL;
			char file[PATH_MAX];
			size_t j, k;

			switch (pick % 6) {
			case 0:
			case 1:
			case 2:
				target = ups[pick % 6];
				x->expect =
				    (int)(pick % 6) < x->depth ? "symlink loop" : "leads outside";
				break;
			case 3:
				/* The first file made so far, after the (pick/6)th. */
				for (j = 0, k = pick / 6; j < n && !target; j++)
					if ((e[j].op == 1 || e[j].op == 3) && !k--)
						target = strcpy(file, e[j].path);
				break;
			case 4:
				target = "/etc/hostname";
				x->expect = "leads outside";
				break;
			}
			if (!target)
				target = "not-there";
			if (symlink(target, x->path) < 0)
				fuzz_broken("fuzz_walk", "symlink '%s'", x->path);
		}
		n++;
	}

	opts.root = root;
	opts.threads = 1;
	paths[0] = root;
	tree_load(&set, &diags, NULL, paths, 1, &opts);
	for (i = 0; i < set.n; i++)
		if (!realpath(set.items[i].file, real) || !inside(real, root))
			fuzz_broken("fuzz_walk", "'%s' was read, outside '%s'", set.items[i].file,
			            root);
	for (i = 1; i < n; i++) {
		size_t k;

		if (!e[i].expect)
			continue;
		if ((k = said(&diags, e[i].path, e[i].expect)) != 1)
			fuzz_broken("fuzz_walk", "the symlink '%s' was reported %zu times as '%s'",
			            e[i].path, k, e[i].expect);
	}
	if (diags.n > n + 1)
		fuzz_broken("fuzz_walk", "%zu problems for %zu entries", diags.n, n);
	manifest_set_release(&set);
	diagnostics_release(&diags);
	source_remove_tree(tmp);
	buf_release(&name);
	free(e);
	return 0;
}
