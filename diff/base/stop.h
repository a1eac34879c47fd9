#ifndef BERTH_STOP_H
#define BERTH_STOP_H

#include <assert.h>
#include <stdatomic.h>

/*
 * The one way work is asked to stop: a flag set by a signal handler or
 * another thread, read by every loop that may run long (a sync's writes
 * and waits, a request's retries, a watch, an exec plugin). It holds why:
 * the signal's number, or 1. Setting and reading it is async-signal-safe.
 */
struct stop {
	atomic_int why;
};
#define STOP_INIT                                                                                  \
	{                                                                                          \
		.why = 0                                                                           \
	}

static_assert(ATOMIC_INT_LOCK_FREE == 2, "a stop flag must be safe to set in a signal handler");

/* A stop that abandons the request under way too (a write of a source
 * whose Lease was lost, say): the work is no longer this one's to finish. */
#define STOP_ABANDON (-1)

/* Ask for a stop; `why` is a signal's number, or 0 for none in particular. */
static inline void stop_request(struct stop *s, int why)
{
	atomic_store_explicit(&s->why, why ? why : 1, memory_order_relaxed);
}

/* Why a stop was asked (see stop_request), or 0 while none was; a NULL
 * flag never stops. */
static inline int stop_requested(const struct stop *s)
{
	return s ? atomic_load_explicit((atomic_int *)&s->why, memory_order_relaxed) : 0;
}

#endif
