#ifndef BERTH_WAKEUP_H
#define BERTH_WAKEUP_H

#include <stdbool.h>

/*
 * A self-pipe: a loop blocks in wakeup_wait() until its next deadline, and
 * a signal handler or another thread (a webhook, a watch) wakes it at once
 * with wakeup_signal(). Embedded by value: wakeup_open(), then
 * wakeup_close().
 */
struct wakeup {
	int fds[2]; /* read end, write end; -1 when closed */
};
#define WAKEUP_INIT                                                                                \
	{                                                                                          \
		.fds = { -1, -1 }                                                                  \
	}

int wakeup_open(struct wakeup *w);
void wakeup_close(struct wakeup *w);

/* Wake the waiter, now or at its next wait. Async-signal-safe; keeps errno.
 * A closed wakeup (or NULL) is a no-op. */
void wakeup_signal(struct wakeup *w);

/* Block until woken or `ms` milliseconds have passed, whichever is first;
 * true when woken. Every wakeup_signal() so far is taken. */
bool wakeup_wait(struct wakeup *w, double ms);

#endif
