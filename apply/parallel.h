#ifndef BERTH_PARALLEL_H
#define BERTH_PARALLEL_H

#include <stddef.h>

/*
 * Run fn(i, ctx) for every i in [0, n), on up to `threads` threads (0: one
 * per online CPU), the caller's among them. Items are handed out in order,
 * one at a time, so a slow item does not hold up the rest; each fn writes
 * only its own item's results. Returns when all are done. With one thread,
 * or when threads cannot be started, everything runs in the caller.
 */
void parallel_for(size_t n, unsigned threads, void (*fn)(size_t i, void *ctx), void *ctx);

/* What threads = 0 means: the online CPUs, at most 64. */
unsigned parallel_default_threads(void);

#endif
