/* A self-pipe that wakes a loop from a signal handler or another thread. */
#include "wakeup.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

int wakeup_open(struct wakeup *w)
{
	int i;

	if (pipe(w->fds) < 0) {
		w->fds[0] = w->fds[1] = -1;
		return berth_error_set("cannot make a pipe: %s", strerror(errno));
	}
	for (i = 0; i < 2; i++) {
		fd_cloexec(w->fds[i]);
		fcntl(w->fds[i], F_SETFL, O_NONBLOCK);
	}
	return 0;
}

void wakeup_close(struct wakeup *w)
{
	int i;

	for (i = 0; i < 2; i++)
		if (w->fds[i] >= 0) {
			close(w->fds[i]);
			w->fds[i] = -1;
		}
}

void wakeup_signal(struct wakeup *w)
{
	int saved = errno;

	/* A full pipe is a waiter that will wake anyway. */
	if (w && w->fds[1] >= 0) {
		ssize_t n = write(w->fds[1], "", 1);
		(void)n;
	}
	errno = saved;
}

bool wakeup_wait(struct wakeup *w, double ms)
{
	struct pollfd p = {.fd = w->fds[0], .events = POLLIN};
	char drain[64];
	int rc;

	/* Rounded up: a wait never ends before its deadline. */
	rc = poll(&p, 1, ms <= 0 ? 0 : ms > 86400000.0 ? 86400000 : (int)ms + 1);
	if (rc <= 0)
		return false;
	while (read(w->fds[0], drain, sizeof(drain)) > 0)
		;
	return true;
}
