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
	/* The StorageClasses marked default live (checks_class_is_default),
	 * each name followed by a NUL in `names`; returns how many. */
	int (*default_classes)(void *ctx, struct buf *names);
	void *ctx;
};

/* Is StorageClass `cls` marked default, by the annotation the
 * DefaultStorageClass admission plugin reads (or its beta form)? */
bool checks_class_is_default(struct json_object *cls);

/*
 * Add a diagnostic per problem to `diags`; returns the number added. What
 * may yet be fine goes to `warnings` as "warning: ..." instead (`warnings`
 * may be NULL): Kubernetes lets a claim wait for a StorageClass or a
 * PersistentVolume that is not there yet, so a claim naming a class that
 * exists neither in Git nor live, or naming none where there is no default
 * class, is a warning; it runs a StatefulSet whose serviceName names no
 * Service, or one that is not headless, whose pods then get no DNS names of
 * their own: a warning saying so. What can never work is a problem: a classless claim
 * bound by volumeName to a classless volume while a default class exists,
 * and a claim that none of the volumes of its class in Git can serve when
 * the class provisions none. The default class is the one marked so in Git
 * (applied first, in phase order) or live; two of them are a warning.
 * With `known` (may be NULL), an object it says passed these checks as it
 * is, and whose checks read no other object (a ConfigMap, a Secret, a
 * Service...), is not checked again.
 */
/* Objects checked before, unchanged since (a commit loaded as the files it
 * changed): `unchanged` says whether `m` is one. */
struct checks_known {
	bool (*unchanged)(void *ctx, const struct manifest *m);
	void *ctx;
};

size_t checks_run(struct diagnostics *diags, struct diagnostics *warnings,
                  const struct manifest_set *set, const struct checks_cluster *cluster,
                  const struct checks_known *known);

#endif
