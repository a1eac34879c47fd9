/* parallel_for: a bounded pool of threads over an index range. */
#include "parallel.h"

#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#define MAX_THREADS 64

struct work {
	size_t n;
	atomic_size_t next;
	void (*fn)(size_t i, void *ctx);
	void *ctx;
};

static void *run(void *arg)
{
	struct work *w = arg;
	size_t i;

	while ((i = atomic_fetch_add(&w->next, 1)) < w->n)
		w->fn(i, w->ctx);
	return NULL;
}

unsigned parallel_default_threads(void)
{
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	return cpus < 1 ? 1 : cpus > MAX_THREADS ? MAX_THREADS : (unsigned)cpus;
}

void parallel_for(size_t n, unsigned threads, void (*fn)(size_t i, void *ctx), void *ctx)
{
	struct work w = {n, 0, fn, ctx};
	pthread_t helpers[MAX_THREADS];
	unsigned started = 0, i;

	if (!threads)
		threads = parallel_default_threads();
	if (threads > MAX_THREADS)
		threads = MAX_THREADS;
	if (threads > n)
		threads = (unsigned)n;
	while (started + 1 < threads && pthread_create(&helpers[started], NULL, run, &w) == 0)
		started++;
	run(&w);
	for (i = 0; i < started; i++)
		pthread_join(helpers[i], NULL);
}
