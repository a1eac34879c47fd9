/*
 * Fuzz harness for the checkout of a commit's tree: source_write_tree() of
 * a tree the input describes, written object by object into an in-memory
 * object database, nothing checked (git's format allows any name but an
 * empty one), as a crafted commit holds it.
 *
 * The input is a list of entries, three bytes each (at most MAX_ENTRIES):
 *   op     0 a folder (a tree), 1 a file, 2 a symlink, 3 an executable
 *          file, 4 a submodule
 *   parent which folder made so far it goes in (the root is the first)
 *   pick   its name, from NAMES (each good, bad, or bad in the root only),
 *          and for a symlink, its target, from TARGETS: "..", "../..", an
 *          absolute path, a sibling, the sentinel folder beside the root
 * and one byte more, odd: the checkout is of only_path "a" (the manifests
 * under the folder a).
 *
 * The tree is written into <tmp>/root, beside <tmp>/sentinel (a folder with
 * a file). Properties:
 *   - nothing outside the root changes: the listing of <tmp> but the root
 *     (paths, types, sizes, link targets, contents) is the same after;
 *   - nothing under the root is reached through a symlink: every folder and
 *     file found without following one resolves to inside the root;
 *   - without only_path, a tree holding a bad name (as NAMES marks it) or
 *     two entries of a name in one folder is refused, and one holding
 *     neither is written.
 * A broken property aborts, so the fuzzer, or replay.c, reports the input.
 */
/* nftw() */
#define _XOPEN_SOURCE 700

#include "fuzz.h"

#include "../../agent/source/source.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"

#include <ftw.h>
#include <git2.h>
#include <git2/sys/mempack.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_ENTRIES 32

/* The names an entry may take: whether each is refused anywhere, or in the
 * root only (a name berth keeps for itself). */
enum verdict { GOOD, BAD, BAD_IN_ROOT };
static const struct {
	const char *name;
	enum verdict verdict;
} NAMES[] = {
    {"a", GOOD},
    {"b", GOOD},
    {"x.yaml", GOOD},
    {"l", GOOD},
    {".gitignore", GOOD},
    {"..", BAD},
    {".", BAD},
    {"a/b", BAD},
    {"../x.yaml", BAD},
    {"../sentinel/zz.yaml", BAD},
    {"l/x.yaml", BAD},
    {".git", BAD},
    {".GIT", BAD},
    {"git~1", BAD},
    {".git. ", BAD},
    {".git\xe2\x80\x8c", BAD},
    {"", BAD},
    {".berth-complete", BAD_IN_ROOT},
};
#define NNAMES (sizeof(NAMES) / sizeof(*NAMES))
static const char *const TARGETS[] = {"..", "../..", "/tmp", "a", "../sentinel", "/", "."};
#define NTARGETS (sizeof(TARGETS) / sizeof(*TARGETS))

struct node {
	int op, parent;
	size_t name; /* in NAMES */
	const char *target;
	git_oid id;
};

/* The listing of everything under the temporary folder but the root. */
static struct buf listing = BUF_INIT;
static const char *listing_skip;

static int list_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char target[PATH_MAX];
	ssize_t n;

	(void)flag;
	(void)ftw;
	if (!strncmp(path, listing_skip, strlen(listing_skip)))
		return 0;
	buf_addf(&listing, "%s %o %lld", path, (unsigned)st->st_mode, (long long)st->st_size);
	if (S_ISLNK(st->st_mode) && (n = readlink(path, target, sizeof(target) - 1)) >= 0)
		buf_addf(&listing, " -> %.*s", (int)n, target);
	if (S_ISREG(st->st_mode))
		buf_read_file(&listing, path, 1u << 16);
	buf_addch(&listing, '\n');
	return 0;
}

static char *list(const char *dir, const char *skip)
{
	buf_reset(&listing);
	listing_skip = skip;
	if (nftw(dir, list_entry, 16, FTW_PHYS) < 0)
		fuzz_broken("fuzz_checkout", "cannot list '%s'", dir);
	return buf_detach(&listing, NULL);
}

/* Every folder and file under the root, found without following a symlink,
 * resolves to inside the root. */
static const char *root_real;

static int inside_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	char real[PATH_MAX];
	size_t n = strlen(root_real);

	(void)ftw;
	if (S_ISLNK(st->st_mode) || flag == FTW_SL)
		return 0;
	if (!realpath(path, real) || strncmp(real, root_real, n) || (real[n] && real[n] != '/'))
		fuzz_broken("fuzz_checkout", "'%s' is '%s', outside the root '%s'", path, real,
		            root_real);
	return 0;
}

/* The tree of node `t`: its children's entries as they come, unsorted,
 * written as they are. */
static git_oid write_tree(git_odb *odb, struct node *nodes, size_t n, size_t t)
{
	static const char *const modes[] = {"40000", "100644", "120000", "100755", "160000"};
	struct buf raw = BUF_INIT;
	git_oid id;
	size_t i;

	for (i = t + 1; i < n; i++) {
		if (nodes[i].parent != (int)t)
			continue;
		buf_addf(&raw, "%s %s", modes[nodes[i].op], NAMES[nodes[i].name].name);
		buf_addch(&raw, '\0');
		buf_add(&raw, nodes[i].id.id, GIT_OID_RAWSZ);
	}
	if (git_odb_write(&id, odb, raw.ptr, raw.len, GIT_OBJECT_TREE) < 0)
		fuzz_broken("fuzz_checkout", "cannot write a tree: %s", git_error_last()->message);
	buf_release(&raw);
	return id;
}

/* Would the whole tree be refused: a bad name, or a name twice in one
 * folder? */
static bool refused(const struct node *nodes, size_t n)
{
	size_t i, j;

	for (i = 1; i < n; i++) {
		enum verdict v = NAMES[nodes[i].name].verdict;

		if (v == BAD || (v == BAD_IN_ROOT && nodes[i].parent == 0))
			return true;
		for (j = i + 1; j < n; j++)
			if (nodes[j].parent == nodes[i].parent && nodes[j].name == nodes[i].name)
				return true;
	}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char blob[] = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n";
	char tmp[] = "/tmp/berth-fuzz-checkout-XXXXXX", root[PATH_MAX + 8], real[PATH_MAX];
	struct node *nodes = xcalloc(MAX_ENTRIES + 1, sizeof(*nodes));
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct buf path = BUF_INIT, submodules = BUF_INIT;
	git_odb_backend *mempack = NULL;
	git_odb *odb = NULL;
	git_repository *repo = NULL;
	size_t n = 1, i;
	char *before, *after;
	FILE *f;
	int error;

	for (i = 0; i + 3 <= size && n <= MAX_ENTRIES; i += 3) {
		struct node *x = &nodes[n];

		x->op = data[i] % 5;
		x->parent = data[i + 1] % (int)n;
		x->name = data[i + 2] % NNAMES;
		x->target = TARGETS[(data[i + 2] / NNAMES) % NTARGETS];
		if (nodes[x->parent].op != 0)
			continue; /* only folders hold entries */
		n++;
	}
	if (size % 3 && data[size - 1] % 2)
		opts.only_path = "a";

	git_libgit2_init();
	if (git_odb_new(&odb) < 0 || git_mempack_new(&mempack) < 0 ||
	    git_odb_add_backend(odb, mempack, 1) < 0 || git_repository_wrap_odb(&repo, odb) < 0)
		fuzz_broken("fuzz_checkout", "cannot make an object database: %s",
		            git_error_last()->message);
	/* Children come after their folder: write from the last up. */
	for (i = n; i-- > 0;) {
		struct node *x = &nodes[i];
		const char *content = x->op == 2 ? x->target : blob;

		if (x->op == 0)
			x->id = write_tree(odb, nodes, n, i);
		else if (x->op == 4)
			git_oid_fromstr(&x->id, "0123456789abcdef0123456789abcdef01234567");
		else if (git_odb_write(&x->id, odb, content, strlen(content), GIT_OBJECT_BLOB) < 0)
			fuzz_broken("fuzz_checkout", "cannot write a blob");
	}

	if (!mkdtemp(tmp) || !realpath(tmp, real))
		fuzz_broken("fuzz_checkout", "cannot make a temporary directory");
	snprintf(root, sizeof(root), "%s/root", real);
	buf_addf(&path, "%s/sentinel", real);
	if (mkdir(root, 0700) < 0 || mkdir(path.ptr, 0700) < 0)
		fuzz_broken("fuzz_checkout", "cannot make '%s'", root);
	buf_adds(&path, "/keep.yaml");
	if (!(f = fopen(path.ptr, "w")))
		fuzz_broken("fuzz_checkout", "cannot write '%s'", path.ptr);
	fputs(blob, f);
	fclose(f);
	before = list(real, root);

	error = source_write_tree(&submodules, repo, &nodes[0].id, root, &opts);

	after = list(real, root);
	if (strcmp(before, after))
		fuzz_broken("fuzz_checkout",
		            "written outside the root:\n--- before\n%s--- after\n%s", before,
		            after);
	root_real = root;
	nftw(root, inside_entry, 16, FTW_PHYS);
	if (!opts.only_path && (error < 0) != refused(nodes, n))
		fuzz_broken("fuzz_checkout", "the tree was %s",
		            error < 0 ? "refused, with no bad name" : "written, bad names and all");

	free(before);
	free(after);
	source_remove_tree(real);
	git_repository_free(repo);
	git_odb_free(odb); /* and the mempack backend it owns */
	git_libgit2_shutdown();
	buf_release(&path);
	buf_release(&submodules);
	free(nodes);
	return 0;
}
