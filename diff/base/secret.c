/* Secrets from files or the environment, read and checked one way. */
#include "secret.h"

#include "berth_error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int secret_check(const char *secret, const char *what)
{
	if (has_control_chars(secret))
		return berth_error_set("the %s holds a control character (a line break?): refused",
		                       what);
	return 0;
}

int secret_read(struct buf *out, const char *file, const char *env, const char *what)
{
	struct buf fresh = BUF_INIT;
	const char *value;
	int error = 0;

	if (file) {
		error = buf_read_file(&fresh, file, SECRET_MAX);
	} else if ((value = getenv(env))) {
		buf_adds(&fresh, value);
	}
	if (error == 0) {
		buf_rtrim(&fresh);
		if (!fresh.len)
			error = file ? berth_error_set("'%s' is empty", file)
			             : berth_error_set("'%s' is unset or empty", env);
		else if (secret_check(fresh.ptr, what) < 0)
			error = berth_error_prefix(-1, "'%s'", file ? file : env);
	}
	if (error < 0) {
		buf_release_secret(&fresh);
		return error;
	}
	buf_release_secret(out);
	*out = fresh;
	return 0;
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

int secret_refresh(struct buf *out, struct stat *seen, const char *file, const char *what)
{
	struct stat st;
	int error;

	if (stat(file, &st) < 0)
		return berth_error_set("'%s': %s", file, strerror(errno));
	if (out->len && same_file(&st, seen))
		return 0;
	if ((error = secret_read(out, file, NULL, what)) < 0)
		return error;
	*seen = st;
	return 1;
}
