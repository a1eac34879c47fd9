#ifndef BERTH_CHECKS_H
#define BERTH_CHECKS_H

#include "manifest.h"

#include <stdbool.h>

/*
 * Checks of a whole commit, made before anything is written: the mistakes
 * that break a StatefulSet and its storage, each reported at the file, line
 * and column of the field, with where the field belongs or what would fix
 * it. They need no cluster; what only the cluster knows (a Service or a
 * StorageClass that exists live) comes through `cluster`, which may be NULL.
 */
/* Each answers 1 (yes) or 0 (no), or -1 when the cluster could not be read
 * (berth_error_last() says why, say a 403): that check is then left out,
 * with a warning. */
struct checks_cluster {
	/* Does Service ns/name exist live? *headless tells whether it is. */
	int (*service)(void *ctx, const char *ns, const char *name, bool *headless);
	/* Does StorageClass `name` exist live? */
	int (*storage_class)(void *ctx, const char *name);
	/* Is there a default StorageClass live? */
	int (*default_class)(void *ctx);
	void *ctx;
};

/*
 * Add a diagnostic per problem to `diags`; returns the number added. What
 * may yet be fine (a claim that no PersistentVolume in Git can serve) goes
 * to `warnings` as "warning: ..." instead; `warnings` may be NULL.
 */
size_t checks_run(struct diagnostics *diags, struct diagnostics *warnings,
                  const struct manifest_set *set, const struct checks_cluster *cluster);

#endif
