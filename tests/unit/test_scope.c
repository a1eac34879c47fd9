#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/scope.h"

#include <string.h>

static struct api_resource kind(const char *group, const char *k, bool namespaced)
{
	return (struct api_resource){.group = (char *)group,
	                             .version = "v1",
	                             .name = "x",
	                             .kind = (char *)k,
	                             .namespaced = namespaced};
}

/* Why scope_allows refuses, "" when it allows. */
static char *why(const struct sync_options *o, const struct api_resource *r, const char *ns,
                 const char *name)
{
	static struct buf out = BUF_INIT;
	bool ok;

	buf_reset(&out);
	ok = scope_allows(&out, o, r, ns, name);
	assert_true(ok == !out.len);
	return out.ptr;
}

static void test_scope__an_unconfined_source_may_manage_anything(void **state)
{
	struct sync_options o = SYNC_OPTIONS_INIT;
	struct api_resource crb = kind("rbac.authorization.k8s.io", "ClusterRoleBinding", false);
	struct api_resource cm = kind("", "ConfigMap", true);

	(void)state;
	assert_false(scope_confined(&o));
	assert_string_equal(why(&o, &crb, "", "admin"), "");
	assert_string_equal(why(&o, &cm, "kube-system", "coredns"), "");
}

static void test_scope__a_confined_source_keeps_to_its_namespaces_and_kinds(void **state)
{
	static const char *const namespaces[] = {"team-a", NULL};
	static const char *const kinds[] = {"Namespace", "ClusterRole.rbac.authorization.k8s.io",
	                                    "StorageClass.", NULL};
	struct sync_options o = SYNC_OPTIONS_INIT;
	struct api_resource crb = kind("rbac.authorization.k8s.io", "ClusterRoleBinding", false);
	struct api_resource cr = kind("rbac.authorization.k8s.io", "ClusterRole", false);
	struct api_resource evil = kind("evil.example.com", "ClusterRole", false);
	struct api_resource ns = kind("", "Namespace", false);
	struct api_resource sc = kind("storage.k8s.io", "StorageClass", false);
	struct api_resource cm = kind("", "ConfigMap", true);
	struct api_resource issuer = kind("cert-manager.io", "ClusterIssuer", false);

	(void)state;
	o.namespaces = namespaces;
	assert_true(scope_confined(&o));
	/* No clusterResources: no cluster-scoped kind at all, whatever the
	 * kind's name says (scope comes from discovery). */
	assert_string_equal(why(&o, &crb, "", "admin"),
	                    "ClusterRoleBinding is cluster-scoped, and this source may not manage "
	                    "it (clusterResources: none)");
	assert_string_equal(why(&o, &issuer, "", "letsencrypt"),
	                    "ClusterIssuer is cluster-scoped, and this source may not manage it "
	                    "(clusterResources: none)");
	assert_string_equal(why(&o, &cm, "team-a", "settings"), "");
	assert_string_equal(why(&o, &cm, "team-b", "settings"),
	                    "namespace 'team-b' is not among the namespaces this source may write "
	                    "to ('team-a')");

	o.cluster_kinds = kinds;
	assert_string_equal(why(&o, &cr, "", "reader"), "");
	/* "Kind.group" names that group only; "Kind." the core group. */
	assert_string_equal(
	    why(&o, &evil, "", "reader"),
	    "ClusterRole is cluster-scoped, and this source may not manage it "
	    "(clusterResources: 'Namespace', 'ClusterRole.rbac.authorization.k8s.io', "
	    "'StorageClass.')");
	assert_false(scope_kind_allowed(&o, &sc));
	assert_true(scope_kind_allowed(&o, &cm));
	/* A Namespace it may manage: its own, not another tenant's. */
	assert_string_equal(why(&o, &ns, "", "team-a"), "");
	assert_string_equal(why(&o, &ns, "", "team-b"),
	                    "namespace 'team-b' is not among the namespaces this source may write "
	                    "to ('team-a')");

	/* clusterResources alone confines the cluster-scoped kinds only. */
	o.namespaces = NULL;
	assert_true(scope_confined(&o));
	assert_string_equal(why(&o, &cm, "anywhere", "settings"), "");
	assert_string_equal(why(&o, &ns, "", "anything"), "");
	assert_false(scope_kind_allowed(&o, &crb));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_scope__an_unconfined_source_may_manage_anything),
	    cmocka_unit_test(test_scope__a_confined_source_keeps_to_its_namespaces_and_kinds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
