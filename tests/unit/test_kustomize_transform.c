#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/kustomize_transform.h"

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <stdlib.h>
#include <string.h>

/* The golden corpus: what kubectl's kustomize v5.5.0 printed. */
#define CORPUS BERTH_KUSTOMIZE_CORPUS

/* The documents of YAML text; the caller owns them. */
static struct json_object *parse(const char *name, const char *text)
{
	struct json_object *docs = NULL;

	if (yaml_parse(&docs, name, text, strlen(text), NULL, NULL))
		fail_msg("%s: %s", name, berth_error_last());
	return docs;
}

static struct json_object *parse_file(const char *path)
{
	struct buf text = BUF_INIT;
	struct json_object *docs;

	if (buf_read_file(&text, path, 1 << 20))
		fail_msg("%s: %s", path, berth_error_last());
	docs = parse(path, text.ptr);
	buf_release(&text);
	return docs;
}

static void add_docs(struct kustomize_resources *rs, struct json_object *docs, const char *file)
{
	size_t i;

	for (i = 0; i < json_value_array_len(docs); i++)
		kustomize_resources_add(rs, json_object_get(json_object_array_get_idx(docs, i)),
		                        file, 0, 0);
}

/* A case of the corpus: its kustomization (returned) and the objects of its
 * resources into `rs`. */
static struct json_object *load_case(struct kustomize_resources *rs, const char *name)
{
	struct buf path = BUF_INIT;
	struct json_object *k, *resources;
	size_t i;

	buf_addf(&path, "%s/%s/kustomization.yaml", CORPUS, name);
	k = parse_file(path.ptr);
	resources = json_value_get(json_object_array_get_idx(k, 0), "resources");
	for (i = 0; i < json_value_array_len(resources); i++) {
		struct json_object *docs;

		buf_reset(&path);
		buf_addf(&path, "%s/%s/%s", CORPUS, name,
		         json_object_get_string(json_object_array_get_idx(resources, i)));
		docs = parse_file(path.ptr);
		add_docs(rs, docs, path.ptr);
		json_object_put(docs);
	}
	buf_release(&path);
	return k;
}

static struct kustomize_resource *find(struct kustomize_resources *rs, const char *kind,
                                       const char *name)
{
	size_t i;

	for (i = 0; i < rs->n; i++)
		if (!strcmp(kustomize_resource_kind(&rs->items[i]), kind) &&
		    !strcmp(kustomize_resource_name(&rs->items[i]), name))
			return &rs->items[i];
	return NULL;
}

/* Remove field `path` ("a.b") of `obj`, when there. */
static void drop(struct json_object *obj, const char *path)
{
	const char *dot = strchr(path, '.');
	struct buf key = BUF_INIT;

	buf_add(&key, path, dot ? (size_t)(dot - path) : strlen(path));
	if (dot)
		drop(json_value_get(obj, key.ptr), dot + 1);
	else if (json_object_is_type(obj, json_type_object))
		json_object_object_del(obj, key.ptr);
	buf_release(&key);
}

/* Each object of `want` equals the one of that kind and name in `rs`, but
 * for `not_ours` (pairs of kind and field path "a.b"): what another
 * transformer of the build (name references) changes. */
static void compare(struct kustomize_resources *rs, struct json_object *want, const char *what,
                    const char *const *not_ours)
{
	struct buf a = BUF_INIT, b = BUF_INIT;
	size_t i, j;

	assert_int_equal(json_value_array_len(want), rs->n);
	for (i = 0; i < json_value_array_len(want); i++) {
		struct json_object *w = json_object_array_get_idx(want, i);
		const char *kind = json_value_get_string(w, "kind");
		struct kustomize_resource *r =
		    find(rs, kind, json_value_get_string(json_value_get(w, "metadata"), "name"));

		assert_non_null(r);
		for (j = 0; not_ours && not_ours[j]; j += 2)
			if (!strcmp(not_ours[j], kind)) {
				drop(w, not_ours[j + 1]);
				drop(r->obj, not_ours[j + 1]);
			}
		if (!json_value_equal(w, r->obj)) {
			yaml_emit(&a, r->obj);
			yaml_emit(&b, w);
			fail_msg("%s: %s: got\n%swhere kustomize printed\n%s", what, kind, a.ptr,
			         b.ptr);
		}
	}
	buf_release(&a);
	buf_release(&b);
}

/* The case's expected.yaml, compared. */
static void check_objects(struct kustomize_resources *rs, const char *name,
                          const char *const *not_ours)
{
	struct buf path = BUF_INIT;
	struct json_object *want;

	buf_addf(&path, "%s/%s/expected.yaml", CORPUS, name);
	want = parse_file(path.ptr);
	compare(rs, want, name, not_ours);
	json_object_put(want);
	buf_release(&path);
}

/* The objects of YAML text into `rs`. */
static void load(struct kustomize_resources *rs, const char *text)
{
	struct json_object *docs = parse("input", text);

	add_docs(rs, docs, "input.yaml");
	json_object_put(docs);
}

/* What kubectl kustomize printed for the same input, compared. */
static void expect(struct kustomize_resources *rs, const char *text)
{
	struct json_object *want = parse("expected", text);

	compare(rs, want, "expected", NULL);
	json_object_put(want);
}

/* A case's transformer, given its kustomization's fields: 0 or -1. */
typedef int case_fn(struct kustomize_resources *rs, struct json_object *kustomization);

/* The case's resources through `apply` come out as in its expected.yaml. */
static void check_case(const char *name, case_fn *apply, const char *const *not_ours)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *k = load_case(&rs, name);

	if (apply(&rs, json_object_array_get_idx(k, 0)))
		fail_msg("%s: %s", name, berth_error_last());
	check_objects(&rs, name, not_ours);
	json_object_put(k);
	kustomize_resources_release(&rs);
}

static const char *string(struct json_object *k, const char *key)
{
	return json_value_get_string(k, key);
}

static int apply_namespace(struct kustomize_resources *rs, struct json_object *k)
{
	int error = kustomize_namespace(rs, string(k, "namespace"));

	assert_string_equal(kustomize_resource_first_namespace(find(rs, "Service", "db")), "");
	return error;
}

static void test_kustomize_transform__corpus_namespace(void **state)
{
	/* Subject db, a ServiceAccount of the build, follows it through the
	 * name references; the focused tests below check the subjects. */
	static const char *const not_ours[] = {"RoleBinding", "subjects", "ClusterRoleBinding",
	                                       "subjects", NULL};

	(void)state;
	check_case("namespace", apply_namespace, not_ours);
}

/* A StatefulSet's serviceName follows the Service through the name
 * references, not the prefix or suffix. */
static const char *const service_name_not_ours[] = {"StatefulSet", "spec.serviceName", NULL};

static int apply_prefix(struct kustomize_resources *rs, struct json_object *k)
{
	int error = kustomize_prefix_suffix(rs, string(k, "namePrefix"), NULL);

	assert_true(kustomize_resource_was(find(rs, "Service", "orders-db"), "db", ""));
	return error;
}

static int apply_suffix(struct kustomize_resources *rs, struct json_object *k)
{
	return kustomize_prefix_suffix(rs, NULL, string(k, "nameSuffix"));
}

static void test_kustomize_transform__corpus_name_prefix_suffix(void **state)
{
	(void)state;
	check_case("name-prefix", apply_prefix, service_name_not_ours);
	check_case("name-suffix", apply_suffix, service_name_not_ours);
}

static int apply_common_labels(struct kustomize_resources *rs, struct json_object *k)
{
	int error = kustomize_labels(rs, json_value_get(k, "commonLabels"), true, true, "k.yaml:1");

	assert_string_equal(find(rs, "StatefulSet", "db")->selector_labels, "k.yaml:1");
	return error;
}

static int apply_labels(struct kustomize_resources *rs, struct json_object *k)
{
	struct json_object *labels = json_value_get(k, "labels");
	size_t i;

	for (i = 0; i < json_value_array_len(labels); i++) {
		struct json_object *l = json_object_array_get_idx(labels, i);

		if (kustomize_labels(rs, json_value_get(l, "pairs"),
		                     json_object_get_boolean(json_value_get(l, "includeSelectors")),
		                     json_object_get_boolean(json_value_get(l, "includeTemplates")),
		                     NULL))
			return -1;
	}
	return 0;
}

static void test_kustomize_transform__corpus_labels(void **state)
{
	(void)state;
	check_case("common-labels", apply_common_labels, NULL);
	check_case("labels", apply_labels, NULL);
}

static int apply_annotations(struct kustomize_resources *rs, struct json_object *k)
{
	return kustomize_annotations(rs, json_value_get(k, "commonAnnotations"));
}

static int apply_images(struct kustomize_resources *rs, struct json_object *k)
{
	return kustomize_images(rs, json_value_get(k, "images"));
}

static int apply_replicas(struct kustomize_resources *rs, struct json_object *k)
{
	return kustomize_replicas(rs, json_value_get(k, "replicas"));
}

static void test_kustomize_transform__corpus_annotations_images_replicas(void **state)
{
	(void)state;
	check_case("common-annotations", apply_annotations, NULL);
	check_case("images", apply_images, NULL);
	check_case("replicas", apply_replicas, NULL);
}

/* Only subjects named "default" take the namespace (kustomize's
 * defaultOnly), whatever their kind; a v1 Namespace is renamed; APIService
 * and CRD webhook services move; cluster-scoped kinds keep none. */
static void test_kustomize_transform__namespace_subjects_and_services(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;

	(void)state;
	load(&rs,
	     "kind: RoleBinding\n"
	     "apiVersion: rbac.authorization.k8s.io/v1\n"
	     "metadata: {name: rb, namespace: old}\n"
	     "subjects:\n"
	     "- {kind: ServiceAccount, name: default, namespace: x}\n"
	     "- {kind: ServiceAccount, name: other, namespace: default}\n"
	     "- {kind: ServiceAccount, name: nons}\n"
	     "- {kind: User, name: default}\n"
	     "- {kind: ServiceAccount, name: sa2, namespace: old}\n"
	     "---\n"
	     "apiVersion: v1\n"
	     "kind: Namespace\n"
	     "metadata: {name: foo}\n"
	     "---\n"
	     "apiVersion: apiregistration.k8s.io/v1\n"
	     "kind: APIService\n"
	     "metadata: {name: v1.x.io}\n"
	     "spec: {service: {name: s}}\n"
	     "---\n"
	     "apiVersion: apiextensions.k8s.io/v1\n"
	     "kind: CustomResourceDefinition\n"
	     "metadata: {name: ws.x.io}\n"
	     "spec: {conversion: {webhook: {clientConfig: {service: {name: s, namespace: zz}}}}}\n"
	     "---\n"
	     "apiVersion: example.com/v1\n"
	     "kind: Widget\n"
	     "metadata: {name: w}\n"
	     "---\n"
	     "apiVersion: admissionregistration.k8s.io/v1\n"
	     "kind: ValidatingWebhookConfiguration\n"
	     "metadata: {name: vw}\n"
	     "webhooks: [{name: a, clientConfig: {service: {name: s, namespace: q}}}]\n");
	assert_int_equal(kustomize_namespace(&rs, "newns"), 0);
	expect(&rs, "apiVersion: v1\n"
	            "kind: Namespace\n"
	            "metadata: {name: newns}\n"
	            "---\n"
	            "apiVersion: apiextensions.k8s.io/v1\n"
	            "kind: CustomResourceDefinition\n"
	            "metadata: {name: ws.x.io}\n"
	            "spec:\n"
	            "  conversion:\n"
	            "    webhook: {clientConfig: {service: {name: s, namespace: newns}}}\n"
	            "---\n"
	            "apiVersion: rbac.authorization.k8s.io/v1\n"
	            "kind: RoleBinding\n"
	            "metadata: {name: rb, namespace: newns}\n"
	            "subjects:\n"
	            "- {kind: ServiceAccount, name: default, namespace: newns}\n"
	            "- {kind: ServiceAccount, name: other, namespace: default}\n"
	            "- {kind: ServiceAccount, name: nons}\n"
	            "- {kind: User, name: default, namespace: newns}\n"
	            "- {kind: ServiceAccount, name: sa2, namespace: old}\n"
	            "---\n"
	            "apiVersion: apiregistration.k8s.io/v1\n"
	            "kind: APIService\n"
	            "metadata: {name: v1.x.io}\n"
	            "spec: {service: {name: s, namespace: newns}}\n"
	            "---\n"
	            "apiVersion: example.com/v1\n"
	            "kind: Widget\n"
	            "metadata: {name: w, namespace: newns}\n"
	            "---\n"
	            "apiVersion: admissionregistration.k8s.io/v1\n"
	            "kind: ValidatingWebhookConfiguration\n"
	            "metadata: {name: vw}\n"
	            "webhooks: [{name: a, clientConfig: {service: {name: s, namespace: q}}}]\n");
	assert_true(kustomize_resource_was(find(&rs, "RoleBinding", "rb"), "rb", "old"));
	assert_true(kustomize_resource_was(find(&rs, "Namespace", "newns"), "foo", ""));
	kustomize_resources_release(&rs);
}

/* CRDs, Namespaces of any group and apiregistration's APIServices keep
 * their names; other cluster-scoped kinds take the prefix and suffix. */
static void test_kustomize_transform__prefix_suffix_kinds_left_alone(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;

	(void)state;
	load(
	    &rs,
	    "{apiVersion: v1, kind: Namespace, metadata: {name: foo}}\n"
	    "---\n"
	    "{apiVersion: apiregistration.k8s.io/v1, kind: APIService, metadata: {name: v1.x.io}}\n"
	    "---\n"
	    "{apiVersion: other.io/v1, kind: APIService, metadata: {name: oapi}}\n"
	    "---\n"
	    "{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition,\n"
	    " metadata: {name: ws.x.io}}\n"
	    "---\n"
	    "{apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: sc}}\n"
	    "---\n"
	    "{apiVersion: example.com/v1, kind: Namespace, metadata: {name: fakens}}\n");
	assert_int_equal(kustomize_prefix_suffix(&rs, "p-", "-s"), 0);
	expect(
	    &rs,
	    "{apiVersion: v1, kind: Namespace, metadata: {name: foo}}\n"
	    "---\n"
	    "{apiVersion: apiregistration.k8s.io/v1, kind: APIService, metadata: {name: v1.x.io}}\n"
	    "---\n"
	    "{apiVersion: other.io/v1, kind: APIService, metadata: {name: p-oapi-s}}\n"
	    "---\n"
	    "{apiVersion: apiextensions.k8s.io/v1, kind: CustomResourceDefinition,\n"
	    " metadata: {name: ws.x.io}}\n"
	    "---\n"
	    "{apiVersion: storage.k8s.io/v1, kind: StorageClass, metadata: {name: p-sc-s}}\n"
	    "---\n"
	    "{apiVersion: example.com/v1, kind: Namespace, metadata: {name: fakens}}\n");
	kustomize_resources_release(&rs);
}

static const char labels_input[] =
    "apiVersion: apps/v1\n"
    "kind: Deployment\n"
    "metadata: {name: d}\n"
    "spec:\n"
    "  template:\n"
    "    spec:\n"
    "      affinity:\n"
    "        podAntiAffinity:\n"
    "          requiredDuringSchedulingIgnoredDuringExecution:\n"
    "          - labelSelector: {matchLabels: {app: d}}\n"
    "          - topologyKey: x\n"
    "      topologySpreadConstraints:\n"
    "      - labelSelector: {matchExpressions: []}\n"
    "---\n"
    "{apiVersion: batch/v1, kind: Job, metadata: {name: j}, spec: {template: {spec: {}}}}\n"
    "---\n"
    "{apiVersion: v1, kind: Service, metadata: {name: s}}\n"
    "---\n"
    "apiVersion: networking.k8s.io/v1\n"
    "kind: NetworkPolicy\n"
    "metadata: {name: np}\n"
    "spec:\n"
    "  podSelector: {}\n"
    "  ingress:\n"
    "  - from: [{podSelector: {matchLabels: {a: b}}}, {namespaceSelector: {}}]\n"
    "---\n"
    "apiVersion: batch/v1\n"
    "kind: CronJob\n"
    "metadata: {name: cj}\n"
    "spec: {jobTemplate: {spec: {template: {metadata: {labels: null}}}}}\n"
    "---\n"
    "apiVersion: example.com/v1\n"
    "kind: Widget\n"
    "metadata: {name: w, labels: {x: y}}\n"
    "spec: {template: {metadata: {}}, selector: {}}\n";

/* commonLabels: selectors made where kustomize's spec says create (a
 * Deployment's, a Service's), left alone where it does not (a Job's, an
 * empty podSelector, a custom kind's); lists on the way walked. */
static void test_kustomize_transform__common_labels_create_only_where_kustomize_does(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *labels = json_object_new_object();

	(void)state;
	json_object_object_add(labels, "team", json_object_new_string("data"));
	load(&rs, labels_input);
	assert_int_equal(kustomize_labels(&rs, labels, true, true, "k.yaml:3"), 0);
	expect(&rs, "apiVersion: v1\n"
	            "kind: Service\n"
	            "metadata: {labels: {team: data}, name: s}\n"
	            "spec: {selector: {team: data}}\n"
	            "---\n"
	            "apiVersion: apps/v1\n"
	            "kind: Deployment\n"
	            "metadata: {labels: {team: data}, name: d}\n"
	            "spec:\n"
	            "  selector: {matchLabels: {team: data}}\n"
	            "  template:\n"
	            "    metadata: {labels: {team: data}}\n"
	            "    spec:\n"
	            "      affinity:\n"
	            "        podAntiAffinity:\n"
	            "          requiredDuringSchedulingIgnoredDuringExecution:\n"
	            "          - labelSelector: {matchLabels: {app: d, team: data}}\n"
	            "          - topologyKey: x\n"
	            "      topologySpreadConstraints:\n"
	            "      - labelSelector: {matchExpressions: []}\n"
	            "---\n"
	            "apiVersion: batch/v1\n"
	            "kind: CronJob\n"
	            "metadata: {labels: {team: data}, name: cj}\n"
	            "spec:\n"
	            "  jobTemplate:\n"
	            "    metadata: {labels: {team: data}}\n"
	            "    spec: {template: {metadata: {labels: {team: data}}}}\n"
	            "---\n"
	            "apiVersion: batch/v1\n"
	            "kind: Job\n"
	            "metadata: {labels: {team: data}, name: j}\n"
	            "spec: {template: {metadata: {labels: {team: data}}, spec: {}}}\n"
	            "---\n"
	            "apiVersion: example.com/v1\n"
	            "kind: Widget\n"
	            "metadata: {labels: {team: data, x: y}, name: w}\n"
	            "spec: {selector: {}, template: {metadata: {}}}\n"
	            "---\n"
	            "apiVersion: networking.k8s.io/v1\n"
	            "kind: NetworkPolicy\n"
	            "metadata: {labels: {team: data}, name: np}\n"
	            "spec:\n"
	            "  ingress:\n"
	            "  - from: [{podSelector: {matchLabels: {a: b, team: data}}}, "
	            "{namespaceSelector: {}}]\n"
	            "  podSelector: {}\n");
	assert_string_equal(find(&rs, "Deployment", "d")->selector_labels, "k.yaml:3");
	assert_string_equal(find(&rs, "NetworkPolicy", "np")->selector_labels, "k.yaml:3");
	assert_null(find(&rs, "Job", "j")->selector_labels);
	assert_null(find(&rs, "Widget", "w")->selector_labels);
	json_object_put(labels);
	kustomize_resources_release(&rs);
}

/* Labels already there change nothing, so no selector is recorded. */
static void test_kustomize_transform__labels_unchanged_selector_not_recorded(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *labels = json_object_new_object();

	(void)state;
	json_object_object_add(labels, "app", json_object_new_string("d"));
	load(&rs,
	     "{apiVersion: v1, kind: Service, metadata: {name: s}, spec: {selector: {app: d}}}\n");
	assert_int_equal(kustomize_labels(&rs, labels, true, true, "k.yaml:3"), 0);
	assert_null(rs.items[0].selector_labels);
	json_object_put(labels);
	kustomize_resources_release(&rs);
}

/* Images: any containers list at any depth (not a CRD's), registry ports,
 * digests replacing tags, each entry seeing what the ones before made. */
static void test_kustomize_transform__images_digest_port_and_order(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *images = parse("images", "- name: reg.local:5000/team/app\n"
	                                             "  digest: sha256:ccc\n"
	                                             "- name: postgres\n"
	                                             "  newName: my/pg\n"
	                                             "  newTag: \"2\"\n"
	                                             "- name: my/pg\n"
	                                             "  newName: mirror/pg\n");

	(void)state;
	load(&rs,
	     "apiVersion: example.com/v1\n"
	     "kind: Widget\n"
	     "metadata: {name: w}\n"
	     "spec:\n"
	     "  pods:\n"
	     "  - template:\n"
	     "      containers:\n"
	     "      - image: reg.local:5000/team/app:1.0@sha256:aaa\n"
	     "      - image: reg.local:5000/team/app\n"
	     "      - image: reg.local:5000/team/apps:1\n"
	     "      - image: other/reg.local:5000/team/app:1\n"
	     "      initContainers:\n"
	     "      - image: postgres@sha256:abc\n"
	     "  volumes: [{image: {reference: \"postgres:15\"}}]\n"
	     "---\n"
	     "apiVersion: apiextensions.k8s.io/v1\n"
	     "kind: CustomResourceDefinition\n"
	     "metadata: {name: x.y}\n"
	     "spec: {containers: [{image: postgres}]}\n"
	     "---\n"
	     "apiVersion: v1\n"
	     "kind: Pod\n"
	     "metadata: {name: p}\n"
	     "spec: {containers: [{name: a, image: \"postgres:1\"}, {name: b, image: busybox}]}\n");
	assert_int_equal(kustomize_images(&rs, json_object_array_get_idx(images, 0)), 0);
	expect(
	    &rs,
	    "apiVersion: apiextensions.k8s.io/v1\n"
	    "kind: CustomResourceDefinition\n"
	    "metadata: {name: x.y}\n"
	    "spec: {containers: [{image: postgres}]}\n"
	    "---\n"
	    "apiVersion: example.com/v1\n"
	    "kind: Widget\n"
	    "metadata: {name: w}\n"
	    "spec:\n"
	    "  pods:\n"
	    "  - template:\n"
	    "      containers:\n"
	    "      - image: reg.local:5000/team/app@sha256:ccc\n"
	    "      - image: reg.local:5000/team/app@sha256:ccc\n"
	    "      - image: reg.local:5000/team/apps:1\n"
	    "      - image: other/reg.local:5000/team/app:1\n"
	    "      initContainers:\n"
	    "      - image: mirror/pg:2\n"
	    "  volumes: [{image: {reference: \"postgres:15\"}}]\n"
	    "---\n"
	    "apiVersion: v1\n"
	    "kind: Pod\n"
	    "metadata: {name: p}\n"
	    "spec: {containers: [{image: \"mirror/pg:2\", name: a}, {image: busybox, name: b}]}\n");
	json_object_put(images);
	kustomize_resources_release(&rs);
}

static int replicas_of(const struct kustomize_resource *r)
{
	return json_object_get_int(json_value_get(json_value_get(r->obj, "spec"), "replicas"));
}

/* Replicas follow a former name; a missing count is 0; a name no
 * workload has fails, as in kustomize. */
static void test_kustomize_transform__replicas_former_name_and_no_match(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *by_old = parse("r", "[{name: api, count: 3}]");
	struct json_object *no_count = parse("r", "[{name: p-api}]");
	struct json_object *widget = parse("r", "[{name: w, count: 3}]");

	(void)state;
	load(&rs,
	     "{apiVersion: apps/v1, kind: Deployment, metadata: {name: api}, spec: {replicas: 2}}\n"
	     "---\n"
	     "{apiVersion: example.com/v1, kind: Widget, metadata: {name: w}, spec: {replicas: "
	     "1}}\n");
	assert_int_equal(kustomize_prefix_suffix(&rs, "p-", NULL), 0);
	assert_int_equal(kustomize_replicas(&rs, json_object_array_get_idx(by_old, 0)), 0);
	assert_int_equal(replicas_of(&rs.items[0]), 3);
	assert_int_equal(kustomize_replicas(&rs, json_object_array_get_idx(no_count, 0)), 0);
	assert_int_equal(replicas_of(&rs.items[0]), 0);
	assert_int_equal(kustomize_replicas(&rs, json_object_array_get_idx(widget, 0)), -1);
	assert_string_equal(berth_error_last(),
	                    "replicas 'w': no Deployment, ReplicationController, "
	                    "ReplicaSet or StatefulSet of that name");
	json_object_put(by_old);
	json_object_put(no_count);
	json_object_put(widget);
	kustomize_resources_release(&rs);
}

/* The failures name the entry, the label, or the object and field. */
static void test_kustomize_transform__errors(void **state)
{
	struct kustomize_resources rs = KUSTOMIZE_RESOURCES_INIT;
	struct json_object *images = parse("i", "[{newTag: \"1\"}]");
	struct json_object *labels = parse("l", "{team: 1}");
	struct json_object *good = parse("l", "{team: data}");
	struct json_object *count = parse("r", "[{name: d, count: \"3\"}]");

	(void)state;
	load(&rs,
	     "{apiVersion: apps/v1, kind: Deployment, metadata: {name: d}, spec: {selector: x}}\n");
	assert_int_equal(kustomize_images(&rs, json_object_array_get_idx(images, 0)), -1);
	assert_string_equal(berth_error_last(), "images entry 1: no name");
	assert_int_equal(
	    kustomize_labels(&rs, json_object_array_get_idx(labels, 0), false, false, NULL), -1);
	assert_string_equal(berth_error_last(), "label 'team': not a string");
	assert_int_equal(
	    kustomize_labels(&rs, json_object_array_get_idx(good, 0), true, true, NULL), -1);
	assert_string_equal(berth_error_last(), "Deployment 'd': spec/selector/matchLabels: "
	                                        "'matchLabels' is in a value that is not a map");
	assert_int_equal(kustomize_replicas(&rs, json_object_array_get_idx(count, 0)), -1);
	assert_string_equal(berth_error_last(), "replicas 'd': count is not an integer");
	json_object_put(images);
	json_object_put(labels);
	json_object_put(good);
	json_object_put(count);
	kustomize_resources_release(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize_transform__corpus_namespace),
	    cmocka_unit_test(test_kustomize_transform__corpus_name_prefix_suffix),
	    cmocka_unit_test(test_kustomize_transform__corpus_labels),
	    cmocka_unit_test(test_kustomize_transform__corpus_annotations_images_replicas),
	    cmocka_unit_test(test_kustomize_transform__namespace_subjects_and_services),
	    cmocka_unit_test(test_kustomize_transform__prefix_suffix_kinds_left_alone),
	    cmocka_unit_test(
	        test_kustomize_transform__common_labels_create_only_where_kustomize_does),
	    cmocka_unit_test(test_kustomize_transform__labels_unchanged_selector_not_recorded),
	    cmocka_unit_test(test_kustomize_transform__images_digest_port_and_order),
	    cmocka_unit_test(test_kustomize_transform__replicas_former_name_and_no_match),
	    cmocka_unit_test(test_kustomize_transform__errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
