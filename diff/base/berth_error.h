#ifndef BERTH_BERTH_ERROR_H
#define BERTH_BERTH_ERROR_H

/*
 * Errors: functions return 0 on success and a negative code on failure. The
 * message is set once, where the failure is known, and callers may add
 * context in front of it (libgit2's model). The message lives in per-thread
 * storage; it is the only state this module keeps.
 *
 * One failure that ends the call is an error. Many problems found in one
 * pass, each with its file, line and column, that the caller reports all
 * of (a manifest set's lint, a config file) are a `struct diagnostics`
 * (diagnostics.h); the call then fails with one error that sums them up.
 */

enum {
	BERTH_ERROR = -1,      /* any failure a caller does not branch on */
	BERTH_ENOTFOUND = -3,  /* the thing looked up does not exist */
	BERTH_EHTTP = -4,      /* the server answered with a non-2xx status */
	BERTH_ECONNECT = -5,   /* the server could not be reached */
	BERTH_ECONFLICT = -6,  /* 409: the object changed, or already exists */
	BERTH_ETIMEOUT = -7,   /* a wait ran out of time */
	BERTH_EGONE = -8,      /* 410: a watch's resourceVersion is too old */
	BERTH_EFORBIDDEN = -9, /* 403: RBAC does not allow it */
};

/* Set the current error message (printf format). Always returns BERTH_ERROR
 * so callers can write `return berth_error_set(...)`. */
int berth_error_set(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Put "context: " in front of the current message. Returns `error`, the code
 * the failure had, so a caller's BERTH_ENOTFOUND or BERTH_ETIMEOUT survives
 * the context: `return berth_error_prefix(error, "prune")`. */
int berth_error_prefix(int error, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The current message; never NULL ("unknown error" when none is set). The
 * pointer stays valid until the next berth_error_* call on this thread. */
const char *berth_error_last(void);

void berth_error_clear(void);

/* A broken invariant is a bug, not an error: abort with file and line. */
#define BERTH_ASSERT(cond) ((cond) ? (void)0 : berth_assert_fail(__FILE__, __LINE__, #cond))
_Noreturn void berth_assert_fail(const char *file, int line, const char *expr);

/* Print "error: " and the last error on stderr, each of its lines with its
 * control characters escaped (a file's name may hold any). */
void berth_error_print(void);

#endif
