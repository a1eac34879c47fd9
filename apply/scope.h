#ifndef BERTH_SCOPE_H
#define BERTH_SCOPE_H

/*
 * A source's confinement: the namespaces and cluster-scoped kinds it may
 * create, patch, adopt and prune (sync_options.namespaces and
 * .cluster_kinds). Whether a kind is cluster-scoped is the server's word
 * (discovery, or the commit's CustomResourceDefinition), never a list of
 * berth's. The plan refuses what is outside, and prune never looks there.
 */
#include "discovery.h"
#include "sync.h"

#include "../diff/base/buf.h"

#include <stdbool.h>

/* Is the source confined at all? */
bool scope_confined(const struct sync_options *opts);

/* May the source manage cluster-scoped kind `res` (`kind` in `group`)? */
bool scope_kind_allowed(const struct sync_options *opts, const struct api_resource *res);

/*
 * May the source manage the object `name` in `namespace` ("" for a
 * cluster-scoped kind) of resource `res`? When not, `why` (may be NULL)
 * gets the reason, as the refusal says it: "clusterrolebinding is
 * cluster-scoped, and this source may not manage it (clusterResources:
 * none)".
 */
bool scope_allows(struct buf *why, const struct sync_options *opts, const struct api_resource *res,
                  const char *namespace, const char *name);

#endif
