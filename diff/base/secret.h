#ifndef BERTH_SECRET_H
#define BERTH_SECRET_H

#include "buf.h"

#include <sys/stat.h>

/*
 * Secrets read from files or the environment: tokens, webhook secrets,
 * passwords. One reader, one cap, one check, wherever they come from.
 * Trailing whitespace (an editor's newline) is never part of a secret. A
 * message names the file or the variable, never the secret.
 */

/* The most a secret file may hold. */
#define SECRET_MAX (64u << 10)

/* Refuse `secret` when it holds a control character (has_control_chars()):
 * CR and LF would end a request header and start another. `what` ("token",
 * "secret", "password") names it in the message. */
int secret_check(const char *secret, const char *what);

/* The secret in file `file`, else in environment variable `env` (one of
 * them NULL), in `out` (its old contents released as a secret; the caller
 * buf_release_secret()s it). Fails, naming the file or variable, when it
 * cannot be read, is over SECRET_MAX, is empty, or fails secret_check(). */
int secret_read(struct buf *out, const char *file, const char *env, const char *what);

/* secret_read() of `file` when it changed (inode, size or modification
 * time) since *seen, which is then updated: 1 when read, 0 when unchanged,
 * negative on error (`out` and *seen left as they were). */
int secret_refresh(struct buf *out, struct stat *seen, const char *file, const char *what);

#endif
