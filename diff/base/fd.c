/* File descriptors, set up the one way. */
#include "fd.h"

#include "berth_error.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

int fd_cloexec(int fd)
{
	int flags = fcntl(fd, F_GETFD);

	if (flags < 0 || fcntl(fd, F_SETFD, flags | FD_CLOEXEC) < 0)
		return berth_error_set("cannot keep a descriptor from child processes: %s",
		                       strerror(errno));
	return 0;
}
