/*
 * The main() of a fuzz harness built without libFuzzer: run each file named
 * on the command line through LLVMFuzzerTestOneInput() once, and every
 * regular file of each directory named, in sorted order. So plain CI replays
 * the corpus, crashes found earlier included, under the sanitizers.
 *
 *   fuzz_yaml_replay tests/fuzz/corpus/yaml [more files or directories]
 *
 * Exit status 0, or 2 when a path cannot be read.
 */
#include "fuzz.h"

#include "../../diff/base/alloc.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/berth_error.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A corpus file is small; anything this big is a mistake. */
#define REPLAY_MAX_SIZE (64u << 20)

/* Run one file. The bytes go in a buffer of exactly their size, so the
 * sanitizers catch a harness or parser that reads past the end. */
static int replay_file(const char *path)
{
	struct buf b = BUF_INIT;
	uint8_t *data;

	if (buf_read_file(&b, path, REPLAY_MAX_SIZE) < 0) {
		fprintf(stderr, "replay: %s\n", berth_error_last());
		buf_release(&b);
		return -1;
	}
	printf("%s\n", path);
	fflush(stdout);
	data = xmalloc(b.len);
	memcpy(data, b.ptr, b.len);
	LLVMFuzzerTestOneInput(data, b.len);
	free(data);
	buf_release(&b);
	return 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every regular file of `dir` (not its subdirectories), sorted by name. */
static int replay_dir(size_t *count, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **paths = NULL;
	size_t n = 0, alloc = 0, i;
	int error = 0;

	if (!d) {
		fprintf(stderr, "replay: '%s': %s\n", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d))) {
		struct buf path = BUF_INIT;
		struct stat st;

		buf_addf(&path, "%s/%s", dir, e->d_name);
		if (stat(path.ptr, &st) == 0 && S_ISREG(st.st_mode)) {
			paths = xgrow(paths, sizeof(*paths), n + 1, &alloc);
			paths[n++] = buf_detach(&path, NULL);
		}
		buf_release(&path);
	}
	closedir(d);
	if (n)
		qsort(paths, n, sizeof(*paths), cmp_names);
	for (i = 0; i < n && !error; i++) {
		error = replay_file(paths[i]);
		if (!error)
			(*count)++;
	}
	for (i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return error;
}

int main(int argc, char **argv)
{
	size_t count = 0;
	int i;

	for (i = 1; i < argc; i++) {
		struct stat st;

		if (stat(argv[i], &st) < 0) {
			fprintf(stderr, "replay: '%s': %s\n", argv[i], strerror(errno));
			return 2;
		}
		if (S_ISDIR(st.st_mode)) {
			if (replay_dir(&count, argv[i]) < 0)
				return 2;
		} else {
			if (replay_file(argv[i]) < 0)
				return 2;
			count++;
		}
	}
	printf("replayed %zu inputs\n", count);
	return 0;
}
