#ifndef BERTH_STATUS_H
#define BERTH_STATUS_H

#include "forge.h"
#include "status_config.h"
#include "../../diff/base/metrics.h"

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Commit statuses, posted off the sync path. A reporter owns a thread that
 * sends each forge its statuses one at a time: it reads the newest status
 * of a sha and context before it writes (once; then it remembers), skips a
 * post that would change nothing, keeps only the newest state per sha and
 * context in a bounded queue, backs off while a forge is down, and honours
 * its rate limits. It also keeps a comment on a pull request (a preview's).
 * A reconcile never waits for it. The thread, the queue and the rules:
 * status.c; comments: status_comment.c. The texts it posts are its
 * callers' (plan_summary_*() in source/plan_report.h).
 */

struct reporter;

/* The metric families a reporter records in (the registry must hold them). */
extern const struct metric_family status_posts_family, status_queue_family;

/* A request the reporter sends a forge. */
struct reporter_request {
	const char *method; /* "GET", "POST"; an edit's "PATCH" or "PUT" */
	const char *url;
	const struct buf *headers; /* "Name: value" lines, each ended by a NUL; a secret */
	const char *body;          /* JSON; NULL: none */
	const char *ca_file;       /* the forge's private CA; NULL: the system's */
};

/* What a forge answered. */
struct reporter_answer {
	long code;          /* the HTTP status; 0: no answer */
	struct buf headers; /* "Name: value" lines, each ended by a NUL */
	struct buf body;
};
#define REPORTER_ANSWER_INIT                                                                       \
	{                                                                                          \
		.code = 0, .headers = BUF_INIT, .body = BUF_INIT                                   \
	}

/*
 * How a reporter reaches the forges. `call` sends `req` and fills `out`
 * (code 0 and empty when it is called): 0 when the forge answered, whatever
 * the code; BERTH_ECONNECT, saying why, when it did not. Called on the
 * reporter's thread only, one request at a time.
 */
struct reporter_transport {
	int (*call)(struct reporter_answer *out, void *ctx, const struct reporter_request *req);
	void *ctx;
};

/*
 * A reporter's clock, in milliseconds: `now`, and `wait`, which waits on
 * `cond` (`lock` held, as pthread_cond_wait() does) until it is signalled
 * or `ms` of this clock have passed (INFINITY: until it is signalled).
 * The forge's rules (spacing, backoff, rate limits) are kept on it.
 */
struct reporter_clock {
	double (*now)(void *ctx);
	void (*wait)(void *ctx, pthread_cond_t *cond, pthread_mutex_t *lock, double ms);
	void *ctx;
};

/* What a reporter may be given instead of its defaults (a test's). */
struct reporter_options {
	struct reporter_transport transport; /* NULL call: libcurl */
	struct reporter_clock
	    clock; /* NULL now and wait: clock_now_ms(), waited for in real time */
};
#define REPORTER_OPTIONS_INIT                                                                      \
	{                                                                                          \
		.transport = {NULL, NULL}, .clock = { NULL, NULL, NULL }                           \
	}

/* A reporter and its thread; `metrics` (borrowed, may be NULL) must outlive
 * it, and so must what `opts` points to (NULL: the defaults; copied). */
void reporter_new(struct reporter **out, struct metrics *metrics,
                  const struct reporter_options *opts);

/* Stop the thread (a request under way is given up) and free; what is
 * still queued is dropped. NULL is a no-op. */
void reporter_free(struct reporter *r);

/*
 * Queue `state` with `description` (cut to fit) on `sha` for the status
 * block `c` of `source` (whose context and target URL templates are
 * expanded with `cluster`; all copied). It replaces whatever was queued for
 * the same sha and context. `settle`: any description will do when the
 * forge's newest status already has this state (the periodic check of an
 * applied commit). A block that is not enabled, or an empty sha, posts
 * nothing.
 */
void reporter_post(struct reporter *r, const struct status_config *c, const char *source,
                   const char *cluster, const char *sha, enum status_state state,
                   const char *description, bool settle);

/*
 * Keep one comment on pull request `number` (GitLab: merge request iid) of
 * the repository of status block `c`, with `body` (Markdown, which must
 * hold `marker`, an HTML comment that finds it again): it is edited when
 * the forge has it, else added; nothing is sent when it already says
 * `body`. Queued with the statuses; the newest body of a marker wins.
 */
void reporter_comment(struct reporter *r, const struct status_config *c, long number,
                      const char *marker, const char *body);

/* The state a failed reconcile posts, from its error code alone:
 * STATUS_ERROR when berth could not do its job at all (BERTH_ECONNECT: the
 * cluster unreachable; BERTH_EFORBIDDEN: RBAC refusing it), STATUS_FAILURE
 * when the commit was refused or its apply failed. */
enum status_state status_of_error(int error);

/* Wait until nothing is queued or being sent, or until `deadline_ms` of
 * clock_now_ms(); the number of statuses still waiting. */
size_t reporter_drain(struct reporter *r, double deadline_ms);

#endif
