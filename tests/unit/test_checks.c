#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/checks.h"
#include "../../diff/base/berth_error.h"

#include <stdlib.h>
#include <string.h>

static bool all_unchanged(void *ctx, const struct manifest *m)
{
	(void)ctx;
	(void)m;
	return true;
}

/* Load `text` as the file m.yaml, run the checks (with `cluster`, and
 * `known`), and return the problems, then the warnings, as text (caller
 * frees). */
static char *check_known(const char *text, const struct checks_cluster *cluster,
                         const struct checks_known *known)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT, warnings = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;

	assert_int_equal(manifest_set_add(&set, &diags, "m.yaml", text, strlen(text), NULL), 0);
	manifest_set_finish(&set, &diags, &warnings);
	checks_run(&diags, &warnings, &set, cluster, known);
	diagnostics_format(&out, &diags);
	diagnostics_format(&out, &warnings);
	diagnostics_release(&diags);
	diagnostics_release(&warnings);
	manifest_set_release(&set);
	return buf_detach(&out, NULL);
}

static char *check(const char *text, const struct checks_cluster *cluster)
{
	return check_known(text, cluster, NULL);
}

#define STS_HEAD                                                                                   \
	"apiVersion: apps/v1\n"                                                                    \
	"kind: StatefulSet\n"                                                                      \
	"metadata: {name: web}\n"                                                                  \
	"spec:\n"                                                                                  \
	"  serviceName: web\n"                                                                     \
	"  selector:\n"                                                                            \
	"    matchLabels: {app: web}\n"                                                            \
	"  template:\n"                                                                            \
	"    metadata:\n"                                                                          \
	"      labels: {app: web}\n"                                                               \
	"    spec:\n"                                                                              \
	"      containers:\n"                                                                      \
	"      - name: c\n"                                                                        \
	"        image: nginx\n"

#define HEADLESS                                                                                   \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata: {name: web}\n"                                                                  \
	"spec: {clusterIP: None, selector: {app: web}}\n"

static void test_checks__a_sound_statefulset_passes(void **state)
{
	char *problems;

	(void)state;
	problems = check(STS_HEAD "        volumeMounts: [{name: data, mountPath: /d}]\n"
	                          "  volumeClaimTemplates:\n"
	                          "  - metadata: {name: data}\n"
	                          "    spec: {accessModes: [ReadWriteOnce]}\n" HEADLESS,
	                 NULL);
	assert_string_equal(problems, "");
	free(problems);
}

/* Kubernetes runs a StatefulSet whose governing Service is missing (Argo CD's
 * install names one it does not hold) or not headless (the Kubernetes
 * website's RabbitMQ tutorial): the pods only lack their DNS names. */
static void test_checks__a_missing_governing_service_is_a_warning(void **state)
{
	char *problems;

	(void)state;
	problems = check(STS_HEAD, NULL);
	assert_string_equal(problems,
	                    "m.yaml:5:3: warning: statefulset 'web': spec.serviceName: no Service "
	                    "'web' among the manifests; the pods get no stable DNS names of their "
	                    "own (web-0.web.default.svc, ...) until a headless Service "
	                    "(clusterIP: None) of that name selects them (app: web)\n");
	free(problems);
}

#define NOT_HEADLESS                                                                               \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: Service\n"                                                                          \
	"metadata: {name: web}\n"                                                                  \
	"spec:\n"                                                                                  \
	"  type: NodePort\n"                                                                       \
	"  selector: {app: web}\n"                                                                 \
	"  ports: [{name: http, port: 80}]\n"

static void test_checks__a_service_not_headless_is_a_warning(void **state)
{
	char *problems;

	(void)state;
	problems = check(STS_HEAD NOT_HEADLESS, NULL);
	assert_string_equal(
	    problems, "m.yaml:5:3: warning: statefulset 'web': spec.serviceName: Service "
	              "'web' (m.yaml:16) is not headless; the pods get no stable DNS names "
	              "of their own (web-0.web.default.svc, ...): that needs clusterIP: None, "
	              "which a Service gets only when it is created\n");
	free(problems);
}

static int live_not_headless(void *ctx, const char *ns, const char *name, bool *headless)
{
	(void)ctx;
	*headless = false;
	return !strcmp(ns, "default") && !strcmp(name, "web");
}

static int live_headless(void *ctx, const char *ns, const char *name, bool *headless)
{
	(void)ctx;
	*headless = true;
	return !strcmp(ns, "default") && !strcmp(name, "web");
}

static int no_class(void *ctx, const char *name)
{
	(void)ctx;
	(void)name;
	return 0;
}

static int no_default(void *ctx, struct buf *names)
{
	(void)ctx;
	(void)names;
	return 0;
}

static int no_service(void *ctx, const char *ns, const char *name, bool *headless)
{
	(void)ctx;
	(void)ns;
	(void)name;
	*headless = false;
	return 0;
}

static void test_checks__a_live_service_not_headless_is_a_warning(void **state)
{
	struct checks_cluster live = {live_not_headless, no_class, no_default, NULL};
	struct checks_cluster none = {no_service, no_class, no_default, NULL};
	char *problems;

	(void)state;
	problems = check(STS_HEAD, &live);
	assert_string_equal(problems,
	                    "m.yaml:5:3: warning: statefulset 'web': spec.serviceName: Service "
	                    "'web' in namespace 'default' is not headless; the pods get no stable "
	                    "DNS names of their own (web-0.web.default.svc, ...): that needs "
	                    "clusterIP: None, which a Service gets only when it is created\n");
	free(problems);
	problems = check(STS_HEAD, &none);
	assert_string_equal(problems,
	                    "m.yaml:5:3: warning: statefulset 'web': spec.serviceName: no Service "
	                    "'web' among the manifests or in the cluster; the pods get no stable "
	                    "DNS names of their own (web-0.web.default.svc, ...) until a headless "
	                    "Service (clusterIP: None) of that name selects them (app: web)\n");
	free(problems);
}

/* A cluster whose only class is "standard", marked default. */
static int standard_class(void *ctx, const char *name)
{
	(void)ctx;
	return !strcmp(name, "standard");
}

static int standard_default(void *ctx, struct buf *names)
{
	(void)ctx;
	buf_add(names, "standard", sizeof("standard"));
	return 1;
}

static int forbidden_service(void *ctx, const char *ns, const char *name, bool *headless)
{
	(void)ctx;
	(void)ns;
	(void)name;
	*headless = false;
	return berth_error_set("GET /api/v1/namespaces/default/services: 403 Forbidden");
}

static int forbidden_class(void *ctx, const char *name)
{
	(void)name;
	return forbidden_service(ctx, NULL, NULL, &(bool){false});
}

static int forbidden_default(void *ctx, struct buf *names)
{
	(void)names;
	return forbidden_class(ctx, NULL);
}

static void test_checks__what_cannot_be_read_is_a_warning(void **state)
{
	struct checks_cluster cluster = {forbidden_service, forbidden_class, forbidden_default,
	                                 NULL};
	char *problems;

	(void)state;
	problems = check(
	    STS_HEAD
	    "        volumeMounts: [{name: data, mountPath: /d}, {name: logs, mountPath: /l}]\n"
	    "  volumeClaimTemplates:\n"
	    "  - metadata: {name: data}\n"
	    "    spec: {storageClassName: gold}\n"
	    "  - metadata: {name: logs}\n"
	    "    spec: {accessModes: [ReadWriteOnce]}\n",
	    &cluster);
	assert_string_equal(
	    problems,
	    "m.yaml:5:3: warning: statefulset 'web': spec.serviceName: not checked against the "
	    "cluster, which could not be read: GET /api/v1/namespaces/default/services: 403 "
	    "Forbidden\n"
	    "m.yaml:18:12: warning: statefulset 'web': "
	    "spec.volumeClaimTemplates[0].spec.storageClassName: not checked against the "
	    "cluster, which could not be read: GET /api/v1/namespaces/default/services: 403 "
	    "Forbidden\n"
	    "m.yaml:20:5: warning: statefulset 'web': "
	    "spec.volumeClaimTemplates[1].spec.storageClassName: not checked against the "
	    "cluster, which could not be read: GET /api/v1/namespaces/default/services: 403 "
	    "Forbidden\n");
	free(problems);
}

static void test_checks__the_cluster_supplies_what_git_lacks(void **state)
{
	struct checks_cluster cluster = {live_headless, no_class, no_default, NULL};
	char *problems;

	(void)state;
	problems = check(STS_HEAD, &cluster);
	assert_string_equal(problems, "");
	free(problems);
	problems = check(STS_HEAD "        volumeMounts: [{name: data, mountPath: /d}]\n"
	                          "  volumeClaimTemplates:\n"
	                          "  - metadata: {name: data}\n"
	                          "    spec: {storageClassName: gold}\n"
	                          "  - metadata: {name: logs}\n"
	                          "    spec: {accessModes: [ReadWriteOnce]}\n",
	                 &cluster);
	/* Kubernetes lets such claims wait for a class or a volume: warnings. */
	assert_non_null(strstr(problems, "m.yaml:18:12: warning: statefulset 'web': "
	                                 "spec.volumeClaimTemplates[0].spec.storageClassName: "
	                                 "StorageClass 'gold' is neither among the manifests nor "
	                                 "in the cluster; the claims wait until it is created\n"));
	assert_non_null(strstr(problems, "warning: statefulset 'web': "
	                                 "spec.volumeClaimTemplates[1].spec.storageClassName: "
	                                 "unset, and no StorageClass among the manifests or in the "
	                                 "cluster is the default; the claims wait for a "
	                                 "PersistentVolume without a class"));
	assert_non_null(strstr(problems, "spec.volumeClaimTemplates[1] 'logs': mounted by no "
	                                 "container"));
	free(problems);
}

static void test_checks__selector_must_select_the_template(void **state)
{
	char *problems;

	(void)state;
	problems = check("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\nspec:\n"
	                 "  selector:\n    matchLabels: {app: x}\n"
	                 "  template:\n    metadata:\n      labels: {app: other}\n"
	                 "    spec: {containers: [{name: c, image: i}]}\n",
	                 NULL);
	assert_string_equal(
	    problems, "m.yaml:6:5: deployment 'd': spec.selector.matchLabels: app=x does not "
	              "select the pods: the template's labels (spec.template.metadata.labels) "
	              "have app=other\n");
	free(problems);
}

static void test_checks__mounts_name_a_volume(void **state)
{
	char *problems;

	(void)state;
	problems =
	    check(STS_HEAD "        volumeMounts: [{name: cfg, mountPath: /c}]\n" HEADLESS, NULL);
	assert_string_equal(problems,
	                    "m.yaml:15:25: statefulset 'web': "
	                    "spec.template.spec.containers[0].volumeMounts[0].name: 'cfg' names "
	                    "no volume of the pod (spec.template.spec.volumes) and no "
	                    "volumeClaimTemplate\n");
	free(problems);
}

static void test_checks__misplaced_fields_say_where_they_belong(void **state)
{
	char *problems;

	(void)state;
	problems = check(STS_HEAD "      volumeMounts: [{name: data, mountPath: /d}]\n"
	                          "  volumes: [{name: data, emptyDir: {}}]\n" HEADLESS,
	                 NULL);
	assert_string_equal(
	    problems, "m.yaml:16:3: statefulset 'web': spec.volumes: unknown field of "
	              "StatefulSetSpec; volumes belongs in the pod template "
	              "(spec.template.spec.volumes)\n"
	              "m.yaml:15:7: statefulset 'web': spec.template.spec.volumeMounts: unknown "
	              "field of PodSpec; volumeMounts belongs in each container "
	              "(spec.template.spec.containers[].volumeMounts)\n");
	free(problems);
}

/* Shaped like the nfs example's claim: no class, bound by name to a volume
 * without one. Broken only where a default class is written in. */
static void test_checks__a_classless_claim_cannot_bind_a_classless_volume(void **state)
{
	static const char bound[] =
	    "apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\n"
	    "spec: {capacity: {storage: 1Gi}, accessModes: [ReadWriteOnce],"
	    " hostPath: {path: /x}}\n---\n"
	    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
	    "spec: {volumeName: pv, accessModes: [ReadWriteOnce]}\n";
	struct checks_cluster with_default = {live_headless, standard_class, standard_default,
	                                      NULL};
	struct checks_cluster without = {live_headless, no_class, no_default, NULL};
	char *problems;

	(void)state;
	problems = check(bound, &with_default);
	assert_string_equal(problems,
	                    "m.yaml:9:1: persistentvolumeclaim 'c': spec.storageClassName: unset, "
	                    "so the default StorageClass 'standard' is written in and the claim "
	                    "can never bind to PersistentVolume 'pv', which has no class; set "
	                    "storageClassName: \"\" on the claim (or give both the same class)\n");
	free(problems);
	problems = check(bound, &without);
	assert_string_equal(problems, "");
	free(problems);
	/* Offline, the default class is not known: it may be there. */
	problems = check(bound, NULL);
	assert_non_null(strstr(problems, "m.yaml:9:1: warning: persistentvolumeclaim 'c': "
	                                 "spec.storageClassName: unset; where the cluster has a "
	                                 "default StorageClass, it is written in"));
	free(problems);
	problems = check("apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: pv}\n"
	                 "spec: {capacity: {storage: 1Gi}, hostPath: {path: /x}}\n---\n"
	                 "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
	                 "spec: {volumeName: pv, storageClassName: \"\"}\n",
	                 NULL);
	assert_string_equal(problems, "");
	free(problems);
}

#define PV(name, size, mode, cls)                                                                  \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: PersistentVolume\n"                                                                 \
	"metadata: {name: " name "}\n"                                                             \
	"spec:\n"                                                                                  \
	"  storageClassName: " cls "\n"                                                            \
	"  capacity: {storage: " size "}\n"                                                        \
	"  accessModes: [" mode "]\n"                                                              \
	"  hostPath: {path: /tmp/" name "}\n"

#define CLAIM(size, mode, cls)                                                                     \
	"---\n"                                                                                    \
	"apiVersion: v1\n"                                                                         \
	"kind: PersistentVolumeClaim\n"                                                            \
	"metadata: {name: data}\n"                                                                 \
	"spec:\n"                                                                                  \
	"  storageClassName: " cls "\n"                                                            \
	"  accessModes: [" mode "]\n"                                                              \
	"  resources:\n"                                                                           \
	"    requests: {storage: " size "}\n"

static void test_checks__claims_no_volume_in_git_can_serve_are_warned_about(void **state)
{
	char *out;

	(void)state;
	/* Fits: size at most the volume's, modes among its modes. */
	out = check(PV("a", "1Gi", "ReadWriteOnce", "manual")
	                PV("b", "10Gi", "ReadWriteOnce, ReadOnlyMany", "manual")
	                    CLAIM("2000Mi", "ReadOnlyMany", "manual"),
	            NULL);
	assert_string_equal(out, "");
	free(out);
	/* Too big for every volume of its class, or of the wrong mode, where
	 * the class provisions none: it can never bind to them, a problem. */
	out = check(PV("a", "1Gi", "ReadWriteOnce", "''") PV("b", "10Gi", "ReadWriteOnce", "fast")
	                CLAIM("2Gi", "ReadWriteOnce", "''"),
	            NULL);
	assert_string_equal(out, "m.yaml:27:16: persistentvolumeclaim 'data': "
	                         "spec.resources.requests.storage: asks for 2Gi ReadWriteOnce with "
	                         "no class, which none of the 1 PersistentVolume of its class "
	                         "among the manifests can give; the claim can never bind to one "
	                         "of them\n");
	free(out);
	out =
	    check(PV("a", "5Gi", "ReadWriteOnce", "''") CLAIM("1Gi", "ReadWriteMany", "''"), NULL);
	assert_non_null(strstr(out, "m.yaml:18:16: persistentvolumeclaim 'data': "
	                            "spec.resources.requests.storage: asks for 1Gi ReadWriteMany "
	                            "with no class, which none of the 1 PersistentVolume of its "
	                            "class among"));
	free(out);
	/* No volume of its class in Git: one may come later, a warning. */
	out = check(PV("b", "10Gi", "ReadWriteOnce", "fast") CLAIM("2Gi", "ReadWriteOnce", "''"),
	            NULL);
	assert_string_equal(out, "m.yaml:18:16: warning: persistentvolumeclaim 'data': "
	                         "spec.resources.requests.storage: asks for 2Gi ReadWriteOnce with "
	                         "no class, which none of the 1 PersistentVolume among the "
	                         "manifests can give; the claim would stay Pending\n");
	free(out);
	/* A claim template too; a class in Git without a provisioner makes none. */
	out = check(STS_HEAD "  volumeClaimTemplates:\n"
	                     "  - metadata: {name: www}\n"
	                     "    spec:\n"
	                     "      storageClassName: local\n"
	                     "      accessModes: [ReadWriteOnce]\n"
	                     "      resources: {requests: {storage: 3Gi}}\n" HEADLESS PV(
	                         "a", "1Gi", "ReadWriteOnce",
	                         "local") "---\n"
	                                  "apiVersion: storage.k8s.io/v1\n"
	                                  "kind: StorageClass\n"
	                                  "metadata: {name: local}\n"
	                                  "provisioner: kubernetes.io/no-provisioner\n",
	            NULL);
	assert_non_null(strstr(out,
	                       ": statefulset 'web': "
	                       "spec.volumeClaimTemplates[0].spec.resources.requests.storage: asks "
	                       "for 3Gi ReadWriteOnce of class 'local', which none of the 1 "
	                       "PersistentVolume of its class among the manifests can give, and "
	                       "its class provisions none; the claim can never bind"));
	assert_null(strstr(out, "warning"));
	free(out);
	/* No volume in Git, or a class that may provision (not in Git): nothing to say. */
	out = check(CLAIM("2Gi", "ReadWriteOnce", "manual"), NULL);
	assert_string_equal(out, "");
	free(out);
	out = check(PV("a", "1Gi", "ReadWriteOnce", "manual") CLAIM("2Gi", "ReadWriteOnce", "gp2"),
	            NULL);
	assert_string_equal(out, "");
	free(out);
}

#define DEFAULT_CLASS(name, key)                                                                   \
	"---\n"                                                                                    \
	"apiVersion: storage.k8s.io/v1\n"                                                          \
	"kind: StorageClass\n"                                                                     \
	"metadata:\n"                                                                              \
	"  name: " name "\n"                                                                       \
	"  annotations: {" key ": \"true\"}\n"                                                     \
	"provisioner: kubernetes.io/no-provisioner\n"

#define CLASSLESS_TEMPLATE                                                                         \
	STS_HEAD "        volumeMounts: [{name: data, mountPath: /d}]\n"                           \
	         "  volumeClaimTemplates:\n"                                                       \
	         "  - metadata: {name: data}\n"                                                    \
	         "    spec:\n"                                                                     \
	         "      accessModes: [ReadWriteOnce]\n"                                            \
	         "      resources: {requests: {storage: 1Gi}}\n" HEADLESS

/* A default class in the same commit is applied before the claims, which
 * then get it: it counts, in either annotation, live or not. */
static void test_checks__a_default_class_in_git_serves_classless_claims(void **state)
{
	struct checks_cluster cluster = {live_headless, no_class, no_default, NULL};
	char *out;

	(void)state;
	out = check(
	    CLASSLESS_TEMPLATE DEFAULT_CLASS("local", "storageclass.kubernetes.io/is-default-class")
	        PV("a", "1Gi", "ReadWriteOnce", "local"),
	    &cluster);
	assert_string_equal(out, "");
	free(out);
	out = check(CLASSLESS_TEMPLATE DEFAULT_CLASS(
	                "local", "storageclass.beta.kubernetes.io/is-default-class")
	                PV("a", "1Gi", "ReadWriteOnce", "local"),
	            NULL);
	assert_string_equal(out, "");
	free(out);
	/* The default class in Git is the one the claims fit against. */
	out = check(
	    CLASSLESS_TEMPLATE DEFAULT_CLASS("local", "storageclass.kubernetes.io/is-default-class")
	        PV("a", "1Gi", "ReadWriteOnce", "''"),
	    &cluster);
	assert_non_null(strstr(out,
	                       "warning: statefulset 'web': "
	                       "spec.volumeClaimTemplates[0].spec.resources.requests.storage: "
	                       "asks for 1Gi ReadWriteOnce of the default class 'local', which "
	                       "none of the 1 PersistentVolume among the manifests can give"));
	free(out);
}

/* Two classes marked default leave a classless claim's class ambiguous. */
static void test_checks__two_default_classes_are_a_warning(void **state)
{
	struct checks_cluster cluster = {live_headless, standard_class, standard_default, NULL};
	char *out;

	(void)state;
	out = check(CLASSLESS_TEMPLATE DEFAULT_CLASS("local",
	                                             "storageclass.kubernetes.io/is-default-class"),
	            &cluster);
	assert_non_null(strstr(out,
	                       "warning: statefulset 'web': "
	                       "spec.volumeClaimTemplates[0].spec.storageClassName: unset, and "
	                       "2 StorageClasses are marked default ('local', 'standard'): the "
	                       "claims are refused (before Kubernetes 1.26) or get the newest "
	                       "of them\n"));
	free(out);
	out = check(DEFAULT_CLASS("a", "storageclass.kubernetes.io/is-default-class")
	                DEFAULT_CLASS("b", "storageclass.beta.kubernetes.io/is-default-class"),
	            NULL);
	assert_string_equal(out,
	                    "m.yaml:13:3: warning: storageclass 'b': metadata.annotations: 2 "
	                    "StorageClasses are marked default ('a', 'b'): a claim that names "
	                    "no class is refused (before Kubernetes 1.26) or gets the newest of "
	                    "them\n");
	free(out);
	/* The live default, marked so in Git too, is one class. */
	out = check(CLASSLESS_TEMPLATE DEFAULT_CLASS("standard",
	                                             "storageclass.kubernetes.io/is-default-class"),
	            &cluster);
	assert_string_equal(out, "");
	free(out);
}

/* A standalone claim naming a class that is not there is treated as a
 * claim template is: it may wait. */
static void test_checks__a_claim_of_a_missing_class_waits_like_a_template(void **state)
{
	struct checks_cluster cluster = {live_headless, standard_class, standard_default, NULL};
	char *out;

	(void)state;
	out = check(CLAIM("1Gi", "ReadWriteOnce", "gold"), &cluster);
	assert_string_equal(out, "m.yaml:6:3: warning: persistentvolumeclaim 'data': "
	                         "spec.storageClassName: StorageClass 'gold' is neither among the "
	                         "manifests nor in the cluster; the claim waits until it is "
	                         "created\n");
	free(out);
	out = check(CLAIM("1Gi", "ReadWriteOnce", "standard"), &cluster);
	assert_string_equal(out, "");
	free(out);
}

/* Plain text under a Secret's data, a common mistake: refused at its place,
 * without the value; base64 (padded) and a null pass. */
static void test_checks__data_must_be_base64_and_is_never_shown(void **state)
{
	char *out;

	(void)state;
	out = check("apiVersion: v1\nkind: Secret\nmetadata: {name: s}\ndata:\n"
	            "  pw: \"NOTBASE64SECRET!!\"\n  ok: aGVsbG8=\n  none: null\n  short: YWJ\n"
	            "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n"
	            "binaryData: {tls.key: \"a b\"}\n",
	            NULL);
	assert_string_equal(out, "m.yaml:5:3: secret 's': data.pw: not base64 (the value is not "
	                         "shown); the server refuses it: put plain text under stringData\n"
	                         "m.yaml:8:3: secret 's': data.short: not base64 (the value is not "
	                         "shown); the server refuses it: put plain text under stringData\n"
	                         "m.yaml:13:14: configmap 'c': binaryData[\"tls.key\"]: not base64 "
	                         "(the value is not shown); the server refuses it\n");
	assert_null(strstr(out, "NOTBASE64"));
	free(out);
}

/* A commit loaded as the files it changed: an unchanged object whose checks
 * read no other (a Secret) is not checked again; one whose checks read
 * others (a StatefulSet and its Service) is, since they may have changed. */
static void test_checks__known_objects_are_checked_only_when_they_look_around(void **state)
{
	static const struct checks_known known = {all_unchanged, NULL};
	const char *text = STS_HEAD "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
	                            "data: {pw: \"NOTBASE64SECRET!!\"}\n";
	char *all, *changed;

	(void)state;
	all = check(text, NULL);
	changed = check_known(text, NULL, &known);
	assert_non_null(strstr(all, "secret 's'"));
	assert_null(strstr(changed, "secret 's'"));
	assert_non_null(strstr(changed, "statefulset 'web'"));
	assert_non_null(strstr(all, "statefulset 'web'"));
	free(all);
	free(changed);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_checks__a_sound_statefulset_passes),
	    cmocka_unit_test(test_checks__known_objects_are_checked_only_when_they_look_around),
	    cmocka_unit_test(test_checks__what_cannot_be_read_is_a_warning),
	    cmocka_unit_test(test_checks__a_missing_governing_service_is_a_warning),
	    cmocka_unit_test(test_checks__a_service_not_headless_is_a_warning),
	    cmocka_unit_test(test_checks__a_live_service_not_headless_is_a_warning),
	    cmocka_unit_test(test_checks__the_cluster_supplies_what_git_lacks),
	    cmocka_unit_test(test_checks__selector_must_select_the_template),
	    cmocka_unit_test(test_checks__mounts_name_a_volume),
	    cmocka_unit_test(test_checks__claims_no_volume_in_git_can_serve_are_warned_about),
	    cmocka_unit_test(test_checks__misplaced_fields_say_where_they_belong),
	    cmocka_unit_test(test_checks__a_classless_claim_cannot_bind_a_classless_volume),
	    cmocka_unit_test(test_checks__a_default_class_in_git_serves_classless_claims),
	    cmocka_unit_test(test_checks__two_default_classes_are_a_warning),
	    cmocka_unit_test(test_checks__a_claim_of_a_missing_class_waits_like_a_template),
	    cmocka_unit_test(test_checks__data_must_be_base64_and_is_never_shown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
