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
	bool prunable;  /* can be listed and deleted */
	/* Every version of the group discovery read that serves it, in the
	 * group's order (the one above among them); owned. */
	char **versions;
	size_t nversions;
};

/* Does the server serve `r` in `version` (as far as discovery read)? */
bool api_resource_serves(const struct api_resource *r, const char *version);

/*
 * What the server serves, as `kubectl api-resources` sees it: one entry per
 * group and resource, from the group's preferred version when it has the
 * resource, else from the first version that does, with the other versions
 * read that serve it. Subresources are left out.
 */
struct discovery {
	struct api_resource *resources;
	size_t nresources;
	size_t ngroups; /* API groups, the core group included */
};

/* What a manifest uses: its apiVersion ("v1", "apps/v1",
 * "autoscaling/v2beta2") and kind ("Deployment"; NULL: none named). */
struct discovery_want {
	const char *api_version;
	const char *kind;
};

/* How long what was read answers for, in milliseconds. */
#define DISCOVERY_MAX_AGE_MS (10 * 60 * 1000.0)

/*
 * What the server serves, from /api, /apis and each group version. With
 * `all`, every group and version; else only the groups `want` names (n of
 * them), each in its preferred version and in each version named that the
 * group advertises: a few requests instead of dozens.
 *
 * What is read is kept for the process, per server and identity
 * (kube_client_identity), and answers again while it is younger than
 * DISCOVERY_MAX_AGE_MS: only what is missing is read. A group or version
 * named that the server did not advertise makes /api or /apis be read
 * again, and a kind named that its group version did not list makes that
 * group version be read again (once per call), so that a kind defined a
 * second ago is found before it is called unserved. Thread-safe: two calls
 * for one server read it once. *out is owned by the caller
 * (discovery_free), a copy of what is kept.
 */
int discovery_fetch(struct discovery **out, struct kube_client *c,
                    const struct discovery_want *want, size_t n, bool all);

/*
 * Forget what was read of the server `c` talks to, for every identity: the
 * next discovery_fetch reads it again. For when a CustomResourceDefinition
 * changes. Thread-safe.
 */
void discovery_cache_forget(const struct kube_client *c);

/* Forget every server's discovery, and take the clock the age of what is
 * read is measured by (NULL: clock_now_ms); for tests. */
void discovery_cache_reset(double (*now_ms)(void));

void discovery_free(struct discovery *d);

/* The resource serving `kind` in `group`, in whichever version (see
 * api_resource_serves), or NULL when the server has none. */
const struct api_resource *discovery_find_kind(const struct discovery *d, const char *group,
                                               const char *kind);

/*
 * The URL path of a resource's collection (name NULL) or of one object, in
 * `version`: /api/v1/namespaces/NS/pods/NAME, /apis/GROUP/VERSION/NAME for a
 * cluster-scoped kind. `namespace` is ignored for cluster-scoped kinds; NULL
 * or "" for a namespaced kind means all namespaces.
 */
/* Append "/" and `s` as one path segment: percent-encoded but for letters,
 * digits and "-._~:@", and "." or ".." whole, so no name reaches past its
 * segment. */
void api_path_segment(struct buf *out, const char *s);

/* Append `s` as one value of a query string ("app%3Dweb"), percent-encoded
 * as api_path_segment() encodes a segment. */
void api_query_value(struct buf *out, const char *s);

/* The URL path of the collection `resource` of the core group (v1) in
 * namespace `ns`, or of its object `name` (NULL: the collection):
 * /api/v1/namespaces/NS/RESOURCE[/NAME]. */
void api_core_path(struct buf *out, const char *ns, const char *resource, const char *name);

void api_resource_path(struct buf *out, const struct api_resource *r, const char *version,
                       const char *namespace, const char *name);

/* Resources that can be used (have verbs): what `kubectl api-resources` lists. */
size_t discovery_count_usable(const struct discovery *d);

#endif
