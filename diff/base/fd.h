#ifndef BERTH_FD_H
#define BERTH_FD_H

/* Keep `fd` from the programs berth starts (exec credential plugins, git's
 * ssh): set FD_CLOEXEC, keeping its other flags. 0, or -1 with the reason. */
int fd_cloexec(int fd);

#endif
