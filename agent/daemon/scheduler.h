#ifndef BERTH_SCHEDULER_H
#define BERTH_SCHEDULER_H

#include "config.h"
#include "wakeup.h"

#include "../forge/webhook.h"

#include "../../diff/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

/*
 * berth run's scheduler: which source is due, and why. It owns each
 * source's schedule (its next time, what made it due, whether it has
 * reconciled once), and it is the daemon's one channel in: the HTTP side
 * and the watches hand it typed triggers (scheduler_send()), from any
 * thread, and the loop asks it for the next source (scheduler_next()).
 * Nothing else of the daemon is reachable from outside the daemon.
 *
 * Calls: config.h (the sources), webhook.h (which repository and ref a
 * delivery names). Called by: loop.c, and by http/listener.c and watch
 * callbacks through scheduler_send() and scheduler_waiting() only.
 */

/* Why a source is reconciled. */
enum trigger_kind {
	TRIGGER_CONFIG,     /* berth started, or its config was reloaded */
	TRIGGER_INTERVAL,   /* its interval passed */
	TRIGGER_PUSH,       /* a push webhook moved a ref it follows */
	TRIGGER_WATCH,      /* one of its objects changed or went in the cluster */
	TRIGGER_PULL,       /* a pull request webhook: a preview, not a reconcile */
	TRIGGER_DEPENDENCY, /* the sources it depends on are Ready: its held commit */
	TRIGGER_LEASE,      /* this replica took its Lease (lease.h), or lost it */
	TRIGGER_KIND_COUNT,
};

/* "config", "interval", "push", "watch", "pull", "dependency", "lease". */
const char *trigger_name(enum trigger_kind k);

/* A message to the scheduler. Everything is borrowed for the call. */
struct trigger {
	enum trigger_kind kind; /* TRIGGER_PUSH, TRIGGER_WATCH or TRIGGER_PULL */
	enum forge forge;       /* push, pull: the forge that sent it */
	const char *delivery;   /* push, pull: its delivery id, for the log */
	/* push, pull: the repositories the delivery names, as repo_key()s,
	 * each ended by a NUL. */
	const struct buf *repos;
	const char *ref;                 /* push: the ref it moved */
	const struct webhook_pull *pull; /* pull: the pull request */
	const char *source, *object;     /* watch: the source, and what changed;
	                                  * dependency: the source; lease: the
	                                  * source; push handed over by another
	                                  * replica: the source, and whence */
	bool owned;                      /* lease: taken (else lost) */
};

struct scheduler;

/* Previews a pull request's head for `source` (which deploys its base):
 * set by the loop; called from scheduler_send()'s thread. */
typedef void scheduler_preview_fn(void *ctx, const char *source, enum forge f,
                                  const struct webhook_pull *pr);

/* `wake` (borrowed) is signalled when a trigger makes a source due. */
void scheduler_new(struct scheduler **out, struct wakeup *wake);
void scheduler_free(struct scheduler *s);

/* Follow the sources of `c` (copied), after a load or a reload: each is
 * due at once (TRIGGER_CONFIG), and keeps whether it has reconciled when
 * its name is unchanged. */
void scheduler_follow(struct scheduler *s, const struct config *c);

/* Hands a push for `source`, whose Lease another replica holds, to that
 * one: set by the loop in lease mode; called from scheduler_send()'s
 * thread. `answer` gets what was done. */
typedef void scheduler_forward_fn(void *ctx, const char *source, const char *ref,
                                  const char *delivery, struct buf *answer);

/* Lease mode (lease.h): from now on a source is reconciled only once a
 * TRIGGER_LEASE says this replica took it, a push for one it does not
 * hold goes to `fn`, and the replica is ready once scheduler_joined()
 * says so. */
void scheduler_lease(struct scheduler *s, scheduler_forward_fn *fn, void *ctx);
void scheduler_joined(struct scheduler *s, bool joined);

/* Where pull requests go; NULL: previews are off (a delivery is ignored). */
void scheduler_previews(struct scheduler *s, scheduler_preview_fn *fn, void *ctx);

/*
 * The channel in. A push makes each source whose repository it names and
 * whose ref it moves due now; a watch event, its source; a pull request is
 * previewed for each source that deploys its base branch (a fork's only
 * where previews.forks opts in). `answer` (may be NULL) gets one line that
 * says what was done, for the delivery's reply, and the outcome is logged.
 * Returns how many sources were triggered or previewed, or -1 when the
 * trigger was ignored (previews are off).
 */
int scheduler_send(struct scheduler *s, const struct trigger *t, struct buf *answer);

/* The source due first at `now_ms` (the one due longest; by order of the
 * config on a tie): its index in the config followed and why, and true;
 * in lease mode, only of those this replica holds, or just lost
 * (TRIGGER_LEASE: the loop then forgets it);
 * it is then running until scheduler_done(). False when none is due:
 * *wait_ms is then how long until one is. */
bool scheduler_next(struct scheduler *s, double now_ms, size_t *i, enum trigger_kind *why,
                    double *wait_ms);

/* Source `i` finished a reconcile at `now_ms`: it has reconciled once,
 * and is next due after its interval, give or take its jitter (`jitter`
 * in [0, 1): clock_jitter()); at once when a trigger came meanwhile. */
void scheduler_done(struct scheduler *s, size_t i, double now_ms, double jitter);

/* Why this replica is not ready, in `out`: the sources that have not
 * reconciled yet ("not reconciled yet: a, b"; returns how many), or in
 * lease mode, that it has not joined (returns 1). */
size_t scheduler_waiting(struct scheduler *s, struct buf *out);

#endif
