/* nftw() */
#define _XOPEN_SOURCE 700

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/source/known_hosts.h"
#include "../../agent/source/source.h"

#include "../../diff/base/berth_error.h"

#include <errno.h>
#include <ftw.h>
#include <git2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

static void redacts(const char *url, const char *want)
{
	struct buf out = BUF_INIT;

	source_redact(&out, url);
	assert_string_equal(out.ptr, want);
	buf_release(&out);
}

static void test_source__credentials_never_show(void **state)
{
	(void)state;
	redacts("https://x-access-token:ghp_secret@github.com/acme/config.git",
	        "https://github.com/acme/config.git");
	redacts("https://ghp_secret@github.com/acme/config.git",
	        "https://github.com/acme/config.git");
	redacts("ssh://git@example.com:2222/acme/config.git",
	        "ssh://example.com:2222/acme/config.git");
	/* An '@' in the path is not a user. */
	redacts("https://example.com/acme/c@fe.git", "https://example.com/acme/c@fe.git");
	redacts("git://127.0.0.1:9418/config.git", "git://127.0.0.1:9418/config.git");
	redacts("/srv/git/config.git", "/srv/git/config.git");
	/* Nor does a token in the query. */
	redacts("https://gitlab.example.com/g/r.git?private_token=glpat-secret",
	        "https://gitlab.example.com/g/r.git?private_token=***");
	redacts("https://u:p@example.com/r.git?access_token=ghp_x&ref=main#frag",
	        "https://example.com/r.git?access_token=***&ref=***#frag");
	redacts("https://example.com/r.git?flag&t=s", "https://example.com/r.git?flag&t=***");
}

/* "KEY1" and "KEY2", base64. */
#define KEY1 "S0VZMQ=="
#define KEY2 "S0VZMg=="

static enum known_host check(const char *text, const char *host, int port, const char *key)
{
	return known_hosts_check(text, strlen(text), host, port, key, strlen(key));
}

static void test_source__known_hosts(void **state)
{
	static const char file[] = "# a comment\n"
	                           "\n"
	                           "git.example.com,10.0.0.1 ssh-ed25519 " KEY1 " comment\n"
	                           "[127.0.0.1]:2222 ssh-ed25519 " KEY2 "\n"
	                           "*.corp.example,!bad.corp.example ssh-rsa " KEY1 "\n"
	                           "@cert-authority *.example.com ssh-rsa " KEY2 "\n"
	                           "@revoked old.example.com ssh-rsa " KEY2 "\n"
	                           "old.example.com ssh-rsa " KEY1 "\n";
	/* HMAC-SHA1 of "[127.0.0.1]:2222" with the salt "0123456789abcdefghij". */
	static const char hashed[] =
	    "|1|MDEyMzQ1Njc4OWFiY2RlZmdoaWo=|kjl9J932vxVxCmU2IfKMefPFSKM= ssh-ed25519 " KEY1;

	(void)state;
	assert_int_equal(check(file, "git.example.com", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "10.0.0.1", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "git.example.com", 22, "KEY2"), KNOWN_HOST_CHANGED);
	/* Another port is another host. */
	assert_int_equal(check(file, "git.example.com", 2222, "KEY1"), KNOWN_HOST_UNKNOWN);
	assert_int_equal(check(file, "127.0.0.1", 2222, "KEY2"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "127.0.0.1", 22, "KEY2"), KNOWN_HOST_UNKNOWN);
	assert_int_equal(check(file, "a.corp.example", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(file, "bad.corp.example", 22, "KEY1"), KNOWN_HOST_UNKNOWN);
	/* A CA's key is not the host's own. */
	assert_int_equal(check(file, "www.example.com", 22, "KEY2"), KNOWN_HOST_UNKNOWN);
	assert_int_equal(check(file, "old.example.com", 22, "KEY2"), KNOWN_HOST_REVOKED);
	assert_int_equal(check(file, "old.example.com", 22, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(hashed, "127.0.0.1", 2222, "KEY1"), KNOWN_HOST_MATCH);
	assert_int_equal(check(hashed, "127.0.0.1", 2222, "KEY2"), KNOWN_HOST_CHANGED);
	assert_int_equal(check(hashed, "127.0.0.1", 2200, "KEY1"), KNOWN_HOST_UNKNOWN);
}

/* A repository with one commit, made with git, and a cache beside it. */
static void test_source__fetch_once_then_from_the_cache(void **state)
{
	char dir[] = "/tmp/berth-source-XXXXXX", cmd[1024], file[512], id[41];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit c = SOURCE_COMMIT_INIT;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
	         "cd %s && git init -q -b main src && mkdir src/app && "
	         "echo 'kind: ConfigMap' > src/app/a.yaml && git -C src add -A && "
	         "git -C src -c user.name=t -c user.email=t@example.com commit -qm one",
	         dir);
	assert_int_equal(system(cmd), 0);
	snprintf(file, sizeof(file), "%s/src", dir);
	opts.repo = file;
	snprintf(cmd, sizeof(cmd), "%s/cache", dir);
	opts.cache_dir = cmd;

	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_true(c.fetched);
	assert_int_equal(strlen(c.id), 40);
	memcpy(id, c.id, sizeof(id));
	{
		char path[600];

		snprintf(path, sizeof(path), "%s/app/a.yaml", c.dir);
		assert_int_equal(stat(path, &st), 0);
	}
	source_commit_release(&c);

	/* Unchanged: nothing fetched, the same commit. */
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_false(c.fetched);
	assert_string_equal(c.id, id);
	source_commit_release(&c);

	/* libgit2 stays initialised between fetches (an init after a
	 * shutdown reads the CA bundle again): one more init is the second
	 * at least. */
	assert_true(git_libgit2_init() >= 2);
	git_libgit2_shutdown();

	opts.ref = id;
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_string_equal(c.id, id);
	source_commit_release(&c);

	opts.ref = "gone";
	assert_int_equal(source_fetch(&c, &opts), BERTH_ENOTFOUND);
	assert_non_null(strstr(berth_error_last(), "has no branch or tag 'gone'"));

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* Commit the work tree of `src` (in `dir`) after `shell`, its id into `id`. */
static void commit_after(char id[41], const char *dir, const char *shell)
{
	char cmd[1024];
	FILE *f;

	snprintf(cmd, sizeof(cmd),
	         "cd %s/src && %s && git add -A && "
	         "git -c user.name=t -c user.email=t@example.com commit -qm c && "
	         "git rev-parse HEAD > ../head",
	         dir, shell);
	assert_int_equal(system(cmd), 0);
	snprintf(cmd, sizeof(cmd), "%s/head", dir);
	assert_non_null(f = fopen(cmd, "r"));
	assert_non_null(fgets(id, 41, f));
	fclose(f);
}

/* A kustomization reads any file of the repository: the delta of a tree
 * that holds one is the whole repository's, read from the commit's tree;
 * a kustomization that comes or goes is checked out. */
static void test_source__a_delta_of_a_kustomized_tree_is_the_whole_repository(void **state)
{
	char dir[] = "/tmp/berth-source-XXXXXX", cmd[1024], repo[512], one[41], two[41];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit c = SOURCE_COMMIT_INIT;
	struct buf out = BUF_INIT;
	size_t i;
	bool base = false, notes = false;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cd %s && git init -q -b main src", dir);
	assert_int_equal(system(cmd), 0);
	commit_after(one, dir,
	             "mkdir -p apps/kz base && echo 'resources: [../../base]' > "
	             "apps/kz/kustomization.yaml && echo 'kind: ConfigMap' > base/b.yaml && "
	             "echo 1 > apps/kz/notes.txt");
	snprintf(repo, sizeof(repo), "%s/src", dir);
	opts.repo = repo;
	snprintf(cmd, sizeof(cmd), "%s/cache", dir);
	opts.cache_dir = cmd;
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_false(c.delta);
	assert_null(c.tree);
	source_commit_release(&c);

	/* Outside the path, and a file no manifest's name: both told. */
	commit_after(two, dir, "echo 'kind: Secret' > base/b.yaml && echo new > apps/kz/new.txt");
	opts.since = one;
	opts.since_path = "apps";
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_true(c.delta);
	assert_non_null(c.tree);
	assert_int_equal(c.nchanges, 2);
	for (i = 0; i < c.nchanges; i++) {
		if (!strcmp(c.changes[i].path, "base/b.yaml")) {
			base = true;
			assert_false(c.changes[i].added);
			assert_string_equal(c.changes[i].text, "kind: Secret\n");
		} else {
			assert_string_equal(c.changes[i].path, "apps/kz/new.txt");
			assert_true(c.changes[i].added);
			notes = true;
		}
	}
	assert_true(base && notes);
	assert_int_equal(source_read(&out, &c, "base/b.yaml", 100), 0);
	assert_string_equal(out.ptr, "kind: Secret\n");
	assert_int_equal(source_read(NULL, &c, "apps/kz/notes.txt", 0), 0);
	assert_int_equal(source_read(&out, &c, "apps/kz", 100), SOURCE_FOLDER);
	assert_int_equal(source_read(&out, &c, "", 100), SOURCE_FOLDER);
	assert_int_equal(source_read(&out, &c, "apps/none.yaml", 100), BERTH_ENOTFOUND);
	buf_reset(&out);
	assert_true(source_read(&out, &c, "base/b.yaml", 4) < 0);
	assert_non_null(strstr(berth_error_last(), "larger than the limit of 4 bytes"));
	assert_int_equal(out.len, 0);
	source_commit_release(&c);
	assert_null(c.tree);

	/* A kustomization changed: still told. One added: checked out. */
	opts.since = two;
	commit_after(one, dir, "echo 'resources: [../base]' > apps/kz/kustomization.yaml");
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_true(c.delta);
	source_commit_release(&c);
	opts.since = one;
	commit_after(two, dir,
	             "mkdir apps/more && echo 'resources: []' > apps/more/kustomization.yml");
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_false(c.delta);
	assert_non_null(c.dir);
	source_commit_release(&c);
	/* A folder of that name makes its parent a build as well. */
	opts.since = two;
	commit_after(
	    one, dir,
	    "mkdir -p apps/odd/kustomization.yaml && echo x > apps/odd/kustomization.yaml/q");
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_false(c.delta);
	source_commit_release(&c);

	buf_release(&out);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/*
 * Crafted commits: objects written byte by byte into a bare repository of
 * the test's own (git's own tools, and libgit2's tree builder, refuse the
 * names these hold), fetched from it by path into a cache beside it.
 */
struct crafted {
	char dir[64];   /* all of it, removed at the end */
	char bare[128]; /* the remote */
	char cache[128];
	git_repository *repo;
	git_odb *odb;
};

static void crafted_init(struct crafted *f)
{
	snprintf(f->dir, sizeof(f->dir), "/tmp/berth-crafted-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->bare, sizeof(f->bare), "%s/remote.git", f->dir);
	snprintf(f->cache, sizeof(f->cache), "%s/cache", f->dir);
	git_libgit2_init();
	assert_int_equal(git_repository_init(&f->repo, f->bare, 1), 0);
	assert_int_equal(git_repository_odb(&f->odb, f->repo), 0);
}

static void crafted_release(struct crafted *f)
{
	char cmd[128];

	git_odb_free(f->odb);
	git_repository_free(f->repo);
	git_libgit2_shutdown();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
}

static git_oid blob(struct crafted *f, const char *data, size_t len)
{
	git_oid id;

	assert_int_equal(git_odb_write(&id, f->odb, data, len, GIT_OBJECT_BLOB), 0);
	return id;
}

/* One entry of a tree: its mode ("100644", "40000", "120000", "160000"),
 * its name as given (any bytes but NUL), and what it holds. */
struct raw_entry {
	const char *mode, *name;
	git_oid id;
};

/* A tree of `n` entries, in the order given, written as git's format has
 * it ("<mode> <name>\0<20-byte id>" each) and nothing checked. */
static git_oid raw_tree(struct crafted *f, const struct raw_entry *e, size_t n)
{
	struct buf raw = BUF_INIT;
	git_oid id;
	size_t i;

	for (i = 0; i < n; i++) {
		buf_addf(&raw, "%s %s", e[i].mode, e[i].name);
		buf_addch(&raw, '\0');
		buf_add(&raw, e[i].id.id, GIT_OID_RAWSZ);
	}
	assert_int_equal(git_odb_write(&id, f->odb, raw.ptr, raw.len, GIT_OBJECT_TREE), 0);
	buf_release(&raw);
	return id;
}

/* A commit of `tree`, which main then points at; its id in `hex`. */
static void raw_commit(struct crafted *f, git_oid tree, char hex[41])
{
	static unsigned serial;
	struct buf raw = BUF_INIT;
	git_reference *ref = NULL;
	git_oid id;

	buf_addf(&raw,
	         "tree %s\nauthor t <t@example.com> %u +0000\ncommitter t <t@example.com> %u "
	         "+0000\n\ncrafted\n",
	         git_oid_tostr_s(&tree), 1700000000u + serial, 1700000000u + serial);
	serial++;
	assert_int_equal(git_odb_write(&id, f->odb, raw.ptr, raw.len, GIT_OBJECT_COMMIT), 0);
	assert_int_equal(git_reference_create(&ref, f->repo, "refs/heads/main", &id, 1, NULL), 0);
	git_reference_free(ref);
	git_oid_tostr(hex, 41, &id);
	buf_release(&raw);
}

/* What is under the test's directory, the remote and the cache's bare
 * repository aside: each path, its type, size and content. */
static struct buf snapshot_of = BUF_INIT;
static const char *snapshot_skip;

static int snapshot_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	struct buf content = BUF_INIT;
	char target[256];
	ssize_t n;

	(void)flag;
	(void)ftw;
	if (strstr(path, "/remote.git") || strstr(path, "/repo.git") || strstr(path, "/lock"))
		return 0;
	if (snapshot_skip && strstr(path, snapshot_skip))
		return 0;
	buf_addf(&snapshot_of, "%s %o %lld", path, (unsigned)st->st_mode, (long long)st->st_size);
	if (S_ISLNK(st->st_mode) && (n = readlink(path, target, sizeof(target) - 1)) >= 0)
		buf_addf(&snapshot_of, " -> %.*s", (int)n, target);
	if (S_ISREG(st->st_mode) && buf_read_file(&content, path, 1u << 20) == 0)
		buf_addf(&snapshot_of, " [%s]", content.ptr);
	buf_addch(&snapshot_of, '\n');
	buf_release(&content);
	return 0;
}

static char *snapshot(const char *dir)
{
	buf_reset(&snapshot_of);
	assert_int_equal(nftw(dir, snapshot_entry, 16, FTW_PHYS), 0);
	return buf_detach(&snapshot_of, NULL);
}

static int fetch_main(struct source_commit *c, struct crafted *f, const struct source_options *o)
{
	struct source_options opts = o ? *o : (struct source_options)SOURCE_OPTIONS_INIT;

	opts.repo = f->bare;
	opts.cache_dir = f->cache;
	opts.ref = "main";
	return source_fetch(c, &opts);
}

/* The commit berth deployed: a checkout that a crafted commit must leave
 * as it is. Its id in `hex`. */
static void deployed(struct crafted *f, char hex[41])
{
	struct source_commit c = SOURCE_COMMIT_INIT;
	struct raw_entry app[] = {{"100644", "settings.yaml", blob(f, "kind: ConfigMap\n", 16)}};
	struct raw_entry root[] = {{"40000", "app", raw_tree(f, app, 1)}};

	raw_commit(f, raw_tree(f, root, 1), hex);
	assert_int_equal(fetch_main(&c, f, NULL), 0);
	assert_string_equal(c.id, hex);
	source_commit_release(&c);
}

/* Fetch main, which holds `root`: refused, naming `entry` (and the commit,
 * when the checkout refuses it), and nothing changed outside the cache's
 * objects. Says what went wrong, and how many
 * things did. */
static int refused(struct crafted *f, const struct raw_entry *root, size_t n, const char *entry)
{
	struct source_commit c = SOURCE_COMMIT_INIT;
	char hex[41], *before, *after;
	int error, wrong = 0;

	raw_commit(f, raw_tree(f, root, n), hex);
	before = snapshot(f->dir);
	error = fetch_main(&c, f, NULL);
	after = snapshot(f->dir);
	if (error == 0) {
		print_message("%s: checked out into '%s'\n", entry, c.dir);
		wrong++;
	} else if (!strstr(berth_error_last(), entry) ||
	           (strstr(berth_error_last(), "check out") && !strstr(berth_error_last(), hex))) {
		print_message("%s: the error names neither it nor the commit: %s\n", entry,
		              berth_error_last());
		wrong++;
	}
	if (strcmp(after, before)) {
		print_message("%s: the cache changed:\n--- before\n%s--- after\n%s", entry, before,
		              after);
		wrong++;
	}
	free(before);
	free(after);
	source_commit_release(&c);
	return wrong;
}

static void test_source__crafted_tree_entries_never_leave_the_checkout(void **state)
{
	struct crafted f;
	char good[41];
	struct buf name = BUF_INIT, up = BUF_INIT;
	int wrong = 0;

	(void)state;
	crafted_init(&f);
	deployed(&f, good);
	{
		/* A name that climbs into the deployed commit's checkout. */
		git_oid yaml = blob(&f, "kind: Secret\n", 13);

		buf_addf(&name, "../%s/app/zz-injected.yaml", good);
		struct raw_entry root[] = {{"100644", name.ptr, yaml}};
		wrong += refused(&f, root, 1, "'../");
		struct raw_entry climb[] = {{"100644", "../x/zz-injected.yaml", yaml}};
		wrong += refused(&f, climb, 1, "'../x/zz-injected.yaml'");
		/* ".." as a folder, holding the deployed commit's id. */
		struct raw_entry app[] = {{"100644", "zz-injected.yaml", yaml}};
		struct raw_entry id[] = {{"40000", "app", raw_tree(&f, app, 1)}};
		struct raw_entry dots[] = {{"40000", good, raw_tree(&f, id, 1)}};
		struct raw_entry dotdot[] = {{"40000", "..", raw_tree(&f, dots, 1)}};
		wrong += refused(&f, dotdot, 1, "'..'");
		struct raw_entry dot[] = {{"40000", ".", raw_tree(&f, dots, 1)}};
		wrong += refused(&f, dot, 1, "'.'");
		struct raw_entry slash[] = {{"40000", "a", raw_tree(&f, app, 1)},
		                            {"100644", "a/b", yaml}};
		wrong += refused(&f, slash, 2, "'a/b'");
		struct raw_entry git[] = {{"40000", ".git", raw_tree(&f, app, 1)}};
		wrong += refused(&f, git, 1, "'.git'");
		struct raw_entry upper[] = {{"40000", ".GIT", raw_tree(&f, app, 1)}};
		wrong += refused(&f, upper, 1, "'.GIT'");
		/* Names NTFS and HFS+ take for ".git". */
		struct raw_entry ntfs[] = {{"40000", "git~1", raw_tree(&f, app, 1)}};
		wrong += refused(&f, ntfs, 1, "'git~1'");
		struct raw_entry dotted[] = {{"40000", ".git. .", raw_tree(&f, app, 1)}};
		wrong += refused(&f, dotted, 1, "'.git. .'");
		struct raw_entry hfs[] = {{"40000", ".g\xe2\x80\x8cit", raw_tree(&f, app, 1)}};
		wrong += refused(&f, hfs, 1, "is git's own folder");
		/* A control character is shown escaped, never raw. */
		struct raw_entry ctrl[] = {{"100644", "x\n\x1b[31m/../../y", yaml}};
		wrong += refused(&f, ctrl, 1, "'x\\n\\x1b[31m/../../y'");
		struct raw_entry empty[] = {{"100644", "", yaml}};
		/* libgit2 reads no tree with an empty name (here, in the fetch). */
		wrong += refused(&f, empty, 1, "can't parse filename");

		/* A symlink, then an entry under it or of its name. */
		git_oid dotdot_link = blob(&f, "..", 2);
		buf_addf(&up, "../%s", good);
		git_oid other = blob(&f, up.ptr, up.len);
		struct raw_entry under[] = {{"120000", "l", dotdot_link},
		                            {"100644", "l/zz-injected.yaml", yaml}};
		wrong += refused(&f, under, 2, "'l/zz-injected.yaml'");
		struct raw_entry named[] = {{"120000", "l", dotdot_link},
		                            {"40000", "l", raw_tree(&f, app, 1)}};
		wrong += refused(&f, named, 2, "'l'");
		struct raw_entry into[] = {{"120000", "l", other},
		                           {"40000", "l", raw_tree(&f, app, 1)}};
		wrong += refused(&f, into, 2, "'l'");
		struct raw_entry into_file[] = {{"120000", "l", other},
		                                {"100644", "l/app/zz-injected.yaml", yaml}};
		wrong += refused(&f, into_file, 2, "'l/app/zz-injected.yaml'");
	}
	buf_release(&name);
	buf_release(&up);
	crafted_release(&f);
	assert_int_equal(wrong, 0);
}

/* A checkout is trusted only when it was completed: one without the
 * marker (an older berth's, or one cut short) is written again. */
static void test_source__a_checkout_without_its_marker_is_written_again(void **state)
{
	struct crafted f;
	struct source_commit c = SOURCE_COMMIT_INIT;
	char good[41], path[512];
	FILE *out;
	struct stat st;

	(void)state;
	crafted_init(&f);
	deployed(&f, good);
	assert_int_equal(fetch_main(&c, &f, NULL), 0);
	snprintf(path, sizeof(path), "%s/.berth-complete", c.dir);
	assert_int_equal(lstat(path, &st), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/app/zz-injected.yaml", c.dir);
	assert_non_null(out = fopen(path, "w"));
	fputs("kind: Secret\n", out);
	fclose(out);
	source_commit_release(&c);

	assert_int_equal(fetch_main(&c, &f, NULL), 0);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(errno, ENOENT);
	snprintf(path, sizeof(path), "%s/app/settings.yaml", c.dir);
	assert_int_equal(lstat(path, &st), 0);
	source_commit_release(&c);
	crafted_release(&f);
}

/* A work tree made with git, committed: `script` runs in it. */
static void git_repo(char dir[64], const char *script)
{
	char cmd[2048];

	snprintf(dir, 64, "/tmp/berth-source-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd),
	         "cd %s && git init -q -b main src && cd src && %s && git add -A && "
	         "git -c user.name=t -c user.email=t@example.com commit -qm one",
	         dir, script);
	assert_int_equal(system(cmd), 0);
}

static void remove_dir(const char *dir)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static bool exists(const char *dir, const char *path)
{
	char full[1024];
	struct stat st;

	snprintf(full, sizeof(full), "%s/%s", dir, path);
	return lstat(full, &st) == 0;
}

static void test_source__only_path_checks_out_the_manifests_under_it(void **state)
{
	static const char *const kept[] = {"app/a.yaml", "app/b.json", "app/c.yml",
	                                   "app/sub/d.yaml", "app/link"};
	static const char *const left[] = {"app/README.md", "app/run.sh", "other",
	                                   "top.yaml",      "app2",       "app/sub/notes.txt"};
	char dir[64], src[128], cache[128];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit full = SOURCE_COMMIT_INIT, part = SOURCE_COMMIT_INIT;
	size_t i;

	(void)state;
	git_repo(dir, "mkdir -p app/sub other app2 && for f in app/a.yaml app/b.json app/c.yml "
	              "app/sub/d.yaml other/x.yaml top.yaml app2/e.yaml; do echo 'kind: "
	              "ConfigMap' > $f; done && echo doc > app/README.md && echo x > "
	              "app/sub/notes.txt && printf '#!/bin/sh\\n' > app/run.sh && chmod +x "
	              "app/run.sh && ln -s a.yaml app/link");
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	opts.repo = src;
	opts.cache_dir = cache;
	opts.only_path = "app/";
	assert_int_equal(source_fetch(&part, &opts), 0);
	for (i = 0; i < sizeof(kept) / sizeof(*kept); i++)
		if (!exists(part.dir, kept[i]))
			fail_msg("'%s' is not in the checkout of app/", kept[i]);
	for (i = 0; i < sizeof(left) / sizeof(*left); i++)
		if (exists(part.dir, left[i]))
			fail_msg("'%s' is in the checkout of app/", left[i]);

	/* The whole commit is another checkout, with everything. */
	opts.only_path = NULL;
	assert_int_equal(source_fetch(&full, &opts), 0);
	assert_string_equal(full.id, part.id);
	assert_string_not_equal(full.dir, part.dir);
	for (i = 0; i < sizeof(left) / sizeof(*left); i++)
		assert_true(exists(full.dir, left[i]));
	source_commit_release(&full);
	source_commit_release(&part);

	/* A folder deeper down: only what leads to it. */
	opts.only_path = "app/sub";
	assert_int_equal(source_fetch(&part, &opts), 0);
	assert_true(exists(part.dir, "app/sub/d.yaml"));
	assert_false(exists(part.dir, "app/a.yaml"));
	assert_false(exists(part.dir, "app/link"));
	source_commit_release(&part);
	remove_dir(dir);
}

/* The peak resident memory of this process so far, in KiB. */
static long peak_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}

/* The tree of HEAD of the repository at `path`, written into `into` with
 * `opts`; the error, if any. Memory grows by what it reads. */
static int write_head(const char *path, const char *into, const struct source_options *opts)
{
	git_repository *repo = NULL;
	git_object *head = NULL;
	struct buf submodules = BUF_INIT;
	int error;

	git_libgit2_init();
	assert_int_equal(git_repository_open(&repo, path), 0);
	assert_int_equal(git_revparse_single(&head, repo, "HEAD"), 0);
	assert_int_equal(mkdir(into, 0700), 0);
	error = source_write_tree(&submodules, repo, git_commit_tree_id((git_commit *)head), into,
	                          opts);
	source_remove_tree(into);
	git_object_free(head);
	git_repository_free(repo);
	git_libgit2_shutdown();
	buf_release(&submodules);
	return error;
}

/* A 64 MiB file over the limit is refused before it is read: the peak
 * memory does not grow by its size (it does when it is written). */
static void test_source__a_file_over_the_limit_is_never_read(void **state)
{
	char dir[64], src[128], into[128], cache[128];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit c = SOURCE_COMMIT_INIT;
	long before, refused_kib, written_kib;
	int error;

	(void)state;
	git_repo(dir, "mkdir app && echo 'kind: ConfigMap' > app/a.yaml && "
	              "head -c 67108864 /dev/zero > app/big.yaml && head -c 2000000 /dev/zero "
	              "> app/two-megabytes.yaml");
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(into, sizeof(into), "%s/into", dir);
	opts.max_file_bytes = 1u << 20;
	before = peak_kib();
	error = write_head(src, into, &opts);
	refused_kib = peak_kib() - before;
	print_message("peak memory: +%ld KiB with a limit of 1 MiB per file\n", refused_kib);
	assert_int_not_equal(error, 0);
	assert_non_null(strstr(berth_error_last(), "tree entry 'app/big.yaml': 67108864 bytes, "
	                                           "larger than the limit of 1048576 bytes"));
	opts.max_file_bytes = 0;
	assert_int_equal(write_head(src, into, &opts), 0);
	written_kib = peak_kib() - before;
	print_message("peak memory: +%ld KiB without a limit\n", written_kib);
	assert_true(refused_kib < 16 * 1024);
	assert_true(written_kib >= 64 * 1024);

	/* Through the source: the commit is refused, naming the file. */
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	opts.repo = src;
	opts.cache_dir = cache;
	opts.max_file_bytes = 3u << 20;
	assert_int_not_equal(source_fetch(&c, &opts), 0);
	assert_non_null(strstr(berth_error_last(), "tree entry 'app/big.yaml': 67108864 bytes, "
	                                           "larger than the limit of 3145728 bytes"));
	assert_non_null(strstr(berth_error_last(), "cannot check out commit"));
	remove_dir(dir);
}

static void test_source__files_over_the_limit_in_all_are_refused(void **state)
{
	char dir[64], src[128], cache[128];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit c = SOURCE_COMMIT_INIT;

	(void)state;
	git_repo(dir, "mkdir app && for f in a b c d; do head -c 1000 /dev/zero > app/$f.yaml; "
	              "done");
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	opts.repo = src;
	opts.cache_dir = cache;
	opts.max_total_bytes = 3500;
	assert_int_not_equal(source_fetch(&c, &opts), 0);
	assert_non_null(strstr(berth_error_last(), "tree entry 'app/d.yaml': the files come to "
	                                           "more than the limit of 3500 bytes in all"));
	opts.max_total_bytes = 4000;
	assert_int_equal(source_fetch(&c, &opts), 0);
	source_commit_release(&c);
	remove_dir(dir);
}

static void test_source__a_fetch_over_the_limit_is_stopped(void **state)
{
	char dir[64], src[128], cache[128], objects[160];
	struct source_options opts = SOURCE_OPTIONS_INIT;
	struct source_commit c = SOURCE_COMMIT_INIT;

	(void)state;
	git_repo(dir,
	         "head -c 4000000 /dev/urandom > noise.bin && echo 'kind: ConfigMap' > a.yaml");
	snprintf(src, sizeof(src), "%s/src", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	opts.repo = src;
	opts.cache_dir = cache;
	opts.max_fetch_bytes = 256u << 10;
	assert_int_not_equal(source_fetch(&c, &opts), 0);
	if (!strstr(berth_error_last(), "the fetch passed the limit of 262144 bytes"))
		fail_msg("not stopped: %s", berth_error_last());
	/* Nothing of it is kept: the next fetch starts again. */
	snprintf(objects, sizeof(objects), "find %s -name '*.pack' | grep -q .", cache);
	assert_int_not_equal(system(objects), 0);
	opts.max_fetch_bytes = 8u << 20;
	assert_int_equal(source_fetch(&c, &opts), 0);
	assert_true(c.fetched);
	assert_true(c.received_bytes > 4000000);
	source_commit_release(&c);
	remove_dir(dir);
}

/* A folder removed: what its symlinks lead to stays. */
static void test_source__remove_tree_follows_no_symlink(void **state)
{
	char dir[64], tree[128], outside[128], link[128], cmd[512];
	struct stat st;

	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/berth-remove-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(tree, sizeof(tree), "%s/tree", dir);
	snprintf(outside, sizeof(outside), "%s/outside/keep.yaml", dir);
	snprintf(link, sizeof(link), "%s/link", dir);
	snprintf(cmd, sizeof(cmd),
	         "cd %s && mkdir -p tree/a/b outside && echo x > outside/keep.yaml && "
	         "echo y > tree/a/b/f && ln -s ../../outside tree/a/up && "
	         "ln -s %s/outside tree/a/b/abs && ln -s outside link && chmod 0555 outside",
	         dir, dir);
	assert_int_equal(system(cmd), 0);
	assert_int_equal(source_remove_tree(tree), 0);
	assert_int_equal(lstat(tree, &st), -1);
	assert_int_equal(lstat(outside, &st), 0);
	/* A symlink given is removed, not what it leads to. */
	assert_int_equal(source_remove_tree(link), 0);
	assert_int_equal(lstat(link, &st), -1);
	assert_int_equal(lstat(outside, &st), 0);
	assert_int_equal(source_remove_tree(tree), 0); /* gone already: no error */
	snprintf(cmd, sizeof(cmd), "chmod 0755 %s/outside", dir);
	assert_int_equal(system(cmd), 0);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_source__credentials_never_show),
	    cmocka_unit_test(test_source__known_hosts),
	    cmocka_unit_test(test_source__fetch_once_then_from_the_cache),
	    cmocka_unit_test(test_source__a_delta_of_a_kustomized_tree_is_the_whole_repository),
	    cmocka_unit_test(test_source__crafted_tree_entries_never_leave_the_checkout),
	    cmocka_unit_test(test_source__a_checkout_without_its_marker_is_written_again),
	    cmocka_unit_test(test_source__only_path_checks_out_the_manifests_under_it),
	    cmocka_unit_test(test_source__a_file_over_the_limit_is_never_read),
	    cmocka_unit_test(test_source__files_over_the_limit_in_all_are_refused),
	    cmocka_unit_test(test_source__a_fetch_over_the_limit_is_stopped),
	    cmocka_unit_test(test_source__remove_tree_follows_no_symlink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
