/* A source's confinement: which namespaces and cluster-scoped kinds it may
 * manage. */
#include "scope.h"

#include <string.h>

bool scope_confined(const struct sync_options *opts)
{
	return opts->namespaces || opts->cluster_kinds;
}

static bool listed(const char *const *list, const char *s)
{
	for (; list && *list; list++)
		if (!strcmp(*list, s))
			return true;
	return false;
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

static void say_list(struct buf *out, const char *const *list)
{
	size_t i;

	for (i = 0; list && list[i]; i++)
		buf_addf(out, "%s'%s'", i ? ", " : "", list[i]);
	if (!i)
		buf_adds(out, "none");
}

bool scope_allows(struct buf *why, const struct sync_options *opts, const struct api_resource *res,
                  const char *namespace, const char *name)
{
	struct buf scratch = BUF_INIT;
	size_t before;
	bool ok;

	if (!why)
		why = &scratch;
	before = why->len;
	if (res->namespaced && opts->namespaces && !listed(opts->namespaces, namespace)) {
		buf_addf(why,
		         "namespace '%s' is not among the namespaces this source may write to (",
		         namespace);
		say_list(why, opts->namespaces);
		buf_addch(why, ')');
	} else if (!scope_kind_allowed(opts, res)) {
		buf_addf(
		    why,
		    "%s is cluster-scoped, and this source may not manage it (clusterResources: ",
		    res->kind);
		say_list(why, opts->cluster_kinds);
		buf_addch(why, ')');
	} else if (!*res->group && !strcmp(res->kind, "Namespace") && opts->namespaces &&
	           !listed(opts->namespaces, name)) {
		buf_addf(why,
		         "namespace '%s' is not among the namespaces this source may write to (",
		         name);
		say_list(why, opts->namespaces);
		buf_addch(why, ')');
	}
	ok = why->len == before;
	buf_release(&scratch);
	return ok;
}
