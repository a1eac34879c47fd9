/* A source's confinement: which namespaces and cluster-scoped kinds it may
 * manage. */
#include "scope.h"

#include "../diff/manifest.h"

#include <string.h>

bool scope_confined(const struct sync_options *opts)
{
	return opts->namespaces || opts->cluster_kinds;
}

/* Does `entry` ("Kind", any group; or "Kind.group", that group only; "Kind."
 * is the core group) name `res`? */
static bool names_kind(const char *entry, const struct api_resource *res)
{
	size_t n = strlen(res->kind);

	if (strncmp(entry, res->kind, n))
		return false;
	return !entry[n] || (entry[n] == '.' && !strcmp(entry + n + 1, res->group));
}

bool scope_kind_allowed(const struct sync_options *opts, const struct api_resource *res)
{
	const char *const *k;

	if (res->namespaced || !scope_confined(opts))
		return true;
	for (k = opts->cluster_kinds; k && *k; k++)
		if (names_kind(*k, res))
			return true;
	return false;
}

bool scope_allows(struct buf *why, const struct sync_options *opts, const struct api_resource *res,
                  const char *namespace, const char *name)
{
	struct buf scratch = BUF_INIT;
	const char *const *k;
	bool ok;

	if (!why)
		why = &scratch;
	if (res->namespaced) {
		ok = manifest_namespace_allowed(why, opts->namespaces, namespace);
	} else if (!scope_kind_allowed(opts, res)) {
		buf_addf(why,
		         "%s is cluster-scoped, and this source may not manage it "
		         "(clusterResources: ",
		         res->kind);
		for (k = opts->cluster_kinds; k && *k; k++)
			buf_addf(why, "%s'%s'", k == opts->cluster_kinds ? "" : ", ", *k);
		buf_adds(why, k == opts->cluster_kinds ? "none)" : ")");
		ok = false;
	} else if (!*res->group && !strcmp(res->kind, "Namespace")) {
		/* A Namespace it may manage: one of its own. */
		ok = manifest_namespace_allowed(why, opts->namespaces, name);
	} else {
		ok = true;
	}
	buf_release(&scratch);
	return ok;
}
