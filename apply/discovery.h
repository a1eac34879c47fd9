#ifndef BERTH_DISCOVERY_H
#define BERTH_DISCOVERY_H

#include "kube_client.h"

#include <stdbool.h>
#include <stddef.h>

/* One kind of object the server serves. */
struct api_resource {
	char *group; /* "" for the core group */
	char *version;
	char *name; /* plural resource name, as in URLs */
	char *kind;
	bool namespaced;
	bool has_verbs; /* false for resources that can only be named, not used */
};

/*
 * What the server serves, as `kubectl api-resources` sees it: one entry per
 * group and resource, from the group's preferred version when it has the
 * resource, else from the first version that does. Subresources are left out.
 */
struct discovery {
	struct api_resource *resources;
	size_t nresources;
	size_t ngroups; /* API groups, the core group included */
};

/* Read discovery from the server (/api, /apis and each group version). *out
 * is owned by the caller (discovery_free). */
int discovery_fetch(struct discovery **out, struct kube_client *c);

void discovery_free(struct discovery *d);

/* Resources that can be used (have verbs): what `kubectl api-resources` lists. */
size_t discovery_count_usable(const struct discovery *d);

#endif
