#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/cli/cli.h"
#include "../../agent/cli/target_options.h"
#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The shared options as a verb takes them, through getopt_long, with one
 * option of the verb's own (-p) that target_option() must leave alone. */
static const struct option longopts[] = {
    TARGET_LONGOPTS,
    {"prune", no_argument, NULL, 'p'},
    {NULL, 0, NULL, 0},
};

/* What run() returns when target_option() did not take an option. */
#define NOT_TAKEN (-1)

/* A token file for the --status-... cases; "{token}" in a case's argv. */
static char token[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	snprintf(token, sizeof(token), "/tmp/berth-token-XXXXXX");
	if ((fd = mkstemp(token)) < 0)
		return -1;
	if (write(fd, "s3cret\n", 7) != 7) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static int teardown(void **state)
{
	(void)state;
	return unlink(token);
}

/*
 * Parse `args` (NULL-terminated, after the verb) as cmd_diff does: each
 * option through target_option(), then target_options_check(). Returns 0,
 * a usage error's status, or NOT_TAKEN. What went to stderr is in *err
 * (the caller frees).
 */
static int run(struct target_flags *f, char **err, const char *const *args)
{
	char *argv[32];
	int argc = 0, opt, status = 0, saved, fd;
	char path[] = "/tmp/berth-stderr-XXXXXX";
	struct buf text = BUF_INIT;

	argv[argc++] = (char *)"diff";
	for (; *args; args++) {
		assert_true(argc < (int)ARRAY_SIZE(argv) - 1);
		argv[argc++] = !strcmp(*args, "{token}") ? token : (char *)*args;
	}
	argv[argc] = NULL;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);

	optind = 0; /* glibc: 0 starts a new scan, 1 would not */
	opterr = 0;
	while ((opt = getopt_long(argc, argv, TARGET_SHORTOPTS, longopts, NULL)) != -1) {
		int taken = target_option(f, opt, "diff", argv);

		if (taken != 1) {
			target_flags_release(f);
			status = taken ? taken : NOT_TAKEN;
			break;
		}
	}
	if (!status)
		status = target_options_check(f, "diff", argc, argv);

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	assert_int_equal(buf_read_file(&text, path, 1 << 16), 0);
	unlink(path);
	*err = buf_detach(&text, NULL);
	return status;
}

/* The -f paths, space-separated. */
static char *files_of(const struct target_options *o)
{
	struct buf out = BUF_INIT;
	size_t i;

	for (i = 0; i < o->nfiles; i++)
		buf_addf(&out, "%s%s", i ? " " : "", o->files[i]);
	return buf_detach(&out, NULL);
}

/* What an accepted command line fills in. */
struct want {
	const char *files; /* the -f paths, space-separated */
	size_t max_bytes, max_objects;
	long timeout_ms;        /* 0: the default, 30 s */
	const char *repository; /* NULL: no status block */
	const char *context;
};

static const struct {
	const char *name;
	const char *args[16];
	struct want want;
} accepted[] = {
    /* The manifests: -f (repeatable) or --repo. */
    {"one -f", {"-f", "a.yaml", NULL}, {.files = "a.yaml"}},
    {"-f repeats, in order",
     {"-f", "a.yaml", "--filename", "dir", "-f", "b.json", NULL},
     {.files = "a.yaml dir b.json"}},
    {"--repo alone", {"--repo", "https://git.example.com/o/r.git", NULL}, {.files = ""}},
    /* --path stays inside the repository: ".." only as a whole component
     * leaves it. */
    {"--path a/b", {"--repo", "r", "--path", "a/b", NULL}, {.files = ""}},
    {"--path a/..b", {"--repo", "r", "--path", "a/..b", NULL}, {.files = ""}},
    {"--path a/b..", {"--repo", "r", "--path", "a/b..", NULL}, {.files = ""}},
    {"--path ..x", {"--repo", "r", "--path", "..x", NULL}, {.files = ""}},
    /* The limits. */
    {"--max-bytes in bytes",
     {"-f", "a", "--max-bytes", "100", NULL},
     {.files = "a", .max_bytes = 100}},
    {"--max-bytes Ki",
     {"-f", "a", "--max-bytes", "500Ki", NULL},
     {.files = "a", .max_bytes = 500 << 10}},
    {"--max-bytes Mi",
     {"-f", "a", "--max-bytes", "64Mi", NULL},
     {.files = "a", .max_bytes = 64 << 20}},
    {"--max-bytes Gi",
     {"-f", "a", "--max-bytes", "1Gi", NULL},
     {.files = "a", .max_bytes = 1 << 30}},
    {"--max-objects", {"-f", "a", "--max-objects", "5", NULL}, {.files = "a", .max_objects = 5}},
    /* The --status-... flags make a status block. */
    {"a status block",
     {"--repo", "https://github.com/acme/shop.git", "--status-provider", "github",
      "--status-token-file", "{token}", NULL},
     {.files = "", .repository = "acme/shop", .context = "berth/{cluster}/{source}"}},
    {"a status block as given",
     {"--repo", "git@gitea.example.com:acme/shop.git", "--status-provider", "gitea",
      "--status-base-url", "https://gitea.example.com", "--status-repository", "ops/shop",
      "--status-context", "ci/{source}", "--status-token-file", "{token}", NULL},
     {.files = "", .repository = "ops/shop", .context = "ci/{source}"}},
    {"--status-timeout in seconds",
     {"-f", "a", "--status-timeout", "10s", NULL},
     {.files = "a", .timeout_ms = 10000}},
    {"--status-timeout in minutes",
     {"-f", "a", "--status-timeout", "2m", NULL},
     {.files = "a", .timeout_ms = 120000}},
    {"--status-timeout in ms",
     {"-f", "a", "--status-timeout", "250ms", NULL},
     {.files = "a", .timeout_ms = 250}},
    {"--status-timeout bare seconds",
     {"-f", "a", "--status-timeout", "5", NULL},
     {.files = "a", .timeout_ms = 5000}},
};

static const struct {
	const char *name;
	const char *args[16];
	int status;        /* EXIT_ERROR, or NOT_TAKEN */
	const char *error; /* in what stderr says */
} refused[] = {
    {"-f and --repo",
     {"-f", "a.yaml", "--repo", "https://git.example.com/o/r.git", NULL},
     EXIT_ERROR,
     "-f and --repo cannot be used together"},
    {"neither -f nor --repo", {NULL}, EXIT_ERROR, "name the manifests with -f PATH or --repo URL"},
    {"an argument left over",
     {"-f", "a.yaml", "b.yaml", NULL},
     EXIT_ERROR,
     "unexpected argument 'b.yaml'"},
    {"--ref without --repo",
     {"-f", "a.yaml", "--ref", "main", NULL},
     EXIT_ERROR,
     "--ref and --path need --repo"},
    {"--path without --repo",
     {"-f", "a.yaml", "--path", "deploy", NULL},
     EXIT_ERROR,
     "--ref and --path need --repo"},
    {"a verb's own option is left to it", {"-f", "a.yaml", "-p", NULL}, NOT_TAKEN, ""},

    {"--path ../x",
     {"--repo", "r", "--path", "../x", NULL},
     EXIT_ERROR,
     "--path '../x' must stay inside the repository"},
    {"--path /abs",
     {"--repo", "r", "--path", "/abs", NULL},
     EXIT_ERROR,
     "--path '/abs' must stay inside the repository"},
    {"--path a/../../b",
     {"--repo", "r", "--path", "a/../../b", NULL},
     EXIT_ERROR,
     "--path 'a/../../b' must stay inside the repository"},
    {"--path a/..",
     {"--repo", "r", "--path", "a/..", NULL},
     EXIT_ERROR,
     "--path 'a/..' must stay inside the repository"},

    {"--max-bytes 0",
     {"-f", "a", "--max-bytes", "0", NULL},
     EXIT_ERROR,
     "--max-bytes: invalid size '0'"},
    {"--max-bytes Ti",
     {"-f", "a", "--max-bytes", "1Ti", NULL},
     EXIT_ERROR,
     "--max-bytes: invalid size '1Ti'"},
    {"--max-bytes a fraction",
     {"-f", "a", "--max-bytes", "1.5Mi", NULL},
     EXIT_ERROR,
     "--max-bytes: invalid size '1.5Mi'"},
    {"--max-bytes no number",
     {"-f", "a", "--max-bytes", "Mi", NULL},
     EXIT_ERROR,
     "--max-bytes: invalid size 'Mi'"},
    {"--max-objects 0",
     {"-f", "a", "--max-objects", "0", NULL},
     EXIT_ERROR,
     "invalid --max-objects '0' (use a number above 0)"},
    {"--max-objects -1",
     {"-f", "a", "--max-objects", "-1", NULL},
     EXIT_ERROR,
     "invalid --max-objects '-1'"},
    {"--max-objects junk",
     {"-f", "a", "--max-objects", "12x", NULL},
     EXIT_ERROR,
     "invalid --max-objects '12x'"},
    {"--max-objects empty",
     {"-f", "a", "--max-objects", "", NULL},
     EXIT_ERROR,
     "invalid --max-objects ''"},

    /* An option that needs a value, at the end. */
    {"-f with no value", {"-f", NULL}, EXIT_ERROR, "option '-f' needs a value"},
    {"--repo with no value", {"--repo", NULL}, EXIT_ERROR, "option '--repo' needs a value"},
    {"--max-bytes with no value",
     {"-f", "a", "--max-bytes", NULL},
     EXIT_ERROR,
     "option '--max-bytes' needs a value"},

    {"--status-... without --status-provider",
     {"--repo", "https://github.com/acme/shop", "--status-context", "ci", NULL},
     EXIT_ERROR,
     "the --status-... flags need --status-provider"},
    {"an unknown --status-provider",
     {"--repo", "https://github.com/acme/shop", "--status-provider", "bitbucket",
      "--status-token-file", "{token}", NULL},
     EXIT_ERROR,
     "unknown --status-provider 'bitbucket' (use github, gitlab or gitea)"},
    {"--status-provider without --repo",
     {"-f", "a", "--status-provider", "github", "--status-token-file", "{token}", NULL},
     EXIT_ERROR,
     "--status-provider needs --repo: a status is on a commit"},
    {"--status-provider without a token",
     {"--repo", "https://github.com/acme/shop", "--status-provider", "github", NULL},
     EXIT_ERROR,
     "--status-provider needs --status-token-file"},
    {"a token file that is not there",
     {"--repo", "https://github.com/acme/shop", "--status-provider", "github",
      "--status-token-file", "/nonexistent/token", NULL},
     EXIT_ERROR,
     "--status-token-file: "},
    {"gitea without --status-base-url",
     {"--repo", "https://gitea.example.com/acme/shop", "--status-provider", "gitea",
      "--status-token-file", "{token}", NULL},
     EXIT_ERROR,
     "--status-base-url: required for gitea"},
    {"a repository on no forge",
     {"--repo", "/srv/git/shop", "--status-provider", "github", "--status-token-file", "{token}",
      NULL},
     EXIT_ERROR,
     "--status-repository: '/srv/git/shop' names no repository on a forge"},
    {"--status-timeout junk",
     {"-f", "a", "--status-timeout", "soon", NULL},
     EXIT_ERROR,
     "--status-timeout: invalid duration 'soon'"},
    {"--status-timeout negative",
     {"-f", "a", "--status-timeout", "-1s", NULL},
     EXIT_ERROR,
     "--status-timeout: invalid duration '-1s'"},
};

static void test_target_options__accepts(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		struct target_flags f = TARGET_FLAGS_INIT;
		const struct target_options *o = &f.target;
		const struct want *w = &accepted[i].want;
		const char *name = accepted[i].name;
		char *err = NULL, *files;
		int status = run(&f, &err, accepted[i].args);

		if (status || *err)
			fail_msg("%s: status %d; stderr: %s", name, status, err);
		files = files_of(o);
		if (strcmp(files, w->files))
			fail_msg("%s: files '%s', want '%s'", name, files, w->files);
		if (o->max_bytes != w->max_bytes || o->max_objects != w->max_objects)
			fail_msg("%s: --max-bytes %zu, --max-objects %zu; want %zu, %zu", name,
			         o->max_bytes, o->max_objects, w->max_bytes, w->max_objects);
		if (f.status_timeout_ms != (w->timeout_ms ? w->timeout_ms : 30000))
			fail_msg("%s: --status-timeout %ld ms, want %ld", name, f.status_timeout_ms,
			         w->timeout_ms);
		if (f.status.enabled != (w->repository != NULL))
			fail_msg("%s: a status block %s", name,
			         f.status.enabled ? "made" : "not made");
		if (w->repository &&
		    (strcmp(f.status.repository, w->repository) ||
		     strcmp(f.status.context, w->context) || strcmp(f.status.token_file, token)))
			fail_msg("%s: status repository '%s', context '%s'; want '%s', '%s'", name,
			         f.status.repository, f.status.context, w->repository, w->context);
		free(files);
		free(err);
		target_flags_release(&f);
	}
}

static void test_target_options__refuses(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		struct target_flags f = TARGET_FLAGS_INIT;
		const struct target_options *o = &f.target;
		const char *name = refused[i].name;
		char *err = NULL;
		int status = run(&f, &err, refused[i].args);

		if (status != refused[i].status)
			fail_msg("%s: status %d, want %d; stderr: %s", name, status,
			         refused[i].status, err);
		if (!strstr(err, refused[i].error))
			fail_msg("%s: stderr '%s', want '%s' in it", name, err, refused[i].error);
		/* Nothing is left to free. */
		if (o->files || f.status.enabled || f.status.repository || f.status.token_file)
			fail_msg("%s: refused, yet the options hold files or a status", name);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_target_options__accepts),
	    cmocka_unit_test(test_target_options__refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
