#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"
#include "../../diff/openapi.h"

#include <stdlib.h>
#include <string.h>

/* A hand-written fragment of a 1.20 server's /openapi/v2. */
#define SWAGGER BERTH_FIXTURES "/swagger.json"

static struct openapi *api;

static int setup(void **state)
{
	struct buf text = BUF_INIT;
	struct json_object *doc;

	(void)state;
	if (buf_read_file(&text, SWAGGER, 1u << 20) < 0)
		return -1;
	doc = json_value_parse(text.ptr, text.len);
	buf_release(&text);
	return doc && openapi_new(&api, doc) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	openapi_free(api);
	api = NULL;
	return 0;
}

/* Load `text` as the file m.yaml, validate it against `with`, and return the
 * problems as text (caller frees). */
static char *validate_with(const struct openapi *with, const char *text, bool *unsure)
{
	struct manifest_set set = MANIFEST_SET_INIT;
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	size_t found;

	assert_int_equal(manifest_set_add(&set, &diags, "m.yaml", text, strlen(text), NULL), 0);
	manifest_set_finish(&set, &diags, NULL);
	found = openapi_validate(&diags, unsure, with, &set);
	assert_int_equal(found, diags.n);
	diagnostics_format(&out, &diags);
	diagnostics_release(&diags);
	manifest_set_release(&set);
	return buf_detach(&out, NULL);
}

static char *validate(const char *text)
{
	bool unsure = false;
	char *problems = validate_with(api, text, &unsure);

	assert_false(unsure);
	return problems;
}

#define STS_HEAD                                                                                   \
	"apiVersion: apps/v1\n"                                                                    \
	"kind: StatefulSet\n"                                                                      \
	"metadata: {name: web, labels: {app: web}}\n"                                              \
	"spec:\n"                                                                                  \
	"  serviceName: web\n"                                                                     \
	"  selector:\n"                                                                            \
	"    matchLabels: {app: web}\n"                                                            \
	"  template:\n"                                                                            \
	"    metadata:\n"                                                                          \
	"      labels: {app: web}\n"                                                               \
	"    spec:\n"                                                                              \
	"      containers:\n"                                                                      \
	"      - name: nginx\n"                                                                    \
	"        image: nginx:1.14.2\n"

static void test_openapi__a_sound_manifest_passes(void **state)
{
	char *problems;

	(void)state;
	problems = validate(STS_HEAD "        ports: [{containerPort: 80, name: web}]\n"
	                             "        volumeMounts: [{name: www, mountPath: /d}]\n"
	                             "        resources: {limits: {cpu: 0.5, memory: 1Gi}}\n"
	                             "  volumeClaimTemplates:\n"
	                             "  - metadata: {name: www}\n"
	                             "    spec:\n"
	                             "      accessModes: [ReadWriteOnce]\n"
	                             "      resources: {requests: {storage: 1}}\n"
	                             "---\n"
	                             "apiVersion: v1\n"
	                             "kind: Service\n"
	                             "metadata: {name: web}\n"
	                             "spec:\n"
	                             "  clusterIP: None\n"
	                             "  ports: [{port: 80, targetPort: web}, {port: 81, "
	                             "targetPort: 8081}]\n");
	assert_string_equal(problems, "");
	free(problems);
}

/* The tutorial's mistake (seed 002, examples/broken/pod-level-volumemounts). */
static void test_openapi__pod_level_volume_mounts_are_an_unknown_field_of_podspec(void **state)
{
	char *problems;

	(void)state;
	problems = validate(STS_HEAD "      volumeMounts:\n"
	                             "      - name: www\n"
	                             "        mountPath: /usr/share/nginx/html\n");
	assert_string_equal(
	    problems,
	    "m.yaml:15:7: statefulset 'web': spec.template.spec.volumeMounts: unknown field "
	    "\"volumeMounts\" in io.k8s.api.core.v1.PodSpec; it belongs in each container "
	    "(spec.template.spec.containers[].volumeMounts)\n");
	free(problems);
}

static void test_openapi__unknown_fields_say_where_they_belong(void **state)
{
	char *problems;

	(void)state;
	/* Volumes under the StatefulSet's spec (seed 002's shared storage),
	 * labels beside metadata, and volumes at the top: never status. */
	problems = validate(STS_HEAD "  volumes: [{name: shared}]\n"
	                             "labels: {app: web}\n"
	                             "volumes: []\n");
	assert_string_equal(
	    problems,
	    "m.yaml:15:3: statefulset 'web': spec.volumes: unknown field \"volumes\" in "
	    "io.k8s.api.apps.v1.StatefulSetSpec; it belongs in spec.template.spec.volumes\n"
	    "m.yaml:16:1: statefulset 'web': labels: unknown field \"labels\" in "
	    "io.k8s.api.apps.v1.StatefulSet; it belongs in metadata.labels\n"
	    "m.yaml:17:1: statefulset 'web': volumes: unknown field \"volumes\" in "
	    "io.k8s.api.apps.v1.StatefulSet; it belongs in spec.template.spec.volumes\n");
	free(problems);
}

static void test_openapi__a_near_miss_names_the_field(void **state)
{
	char *problems;

	(void)state;
	problems = validate(STS_HEAD "        volumeMount: []\n"
	                             "        Image: nginx\n"
	                             "        colour: red\n");
	assert_string_equal(
	    problems, "m.yaml:15:9: statefulset 'web': spec.template.spec.containers[0]."
	              "volumeMount: unknown field \"volumeMount\" in "
	              "io.k8s.api.core.v1.Container; did you mean \"volumeMounts\"?\n"
	              "m.yaml:16:9: statefulset 'web': spec.template.spec.containers[0].Image: "
	              "unknown field \"Image\" in io.k8s.api.core.v1.Container; did you mean "
	              "\"image\"?\n"
	              "m.yaml:17:9: statefulset 'web': spec.template.spec.containers[0].colour: "
	              "unknown field \"colour\" in io.k8s.api.core.v1.Container\n");
	free(problems);
}

static void test_openapi__values_must_have_the_schemas_type(void **state)
{
	char *problems;

	(void)state;
	problems =
	    validate(STS_HEAD "        ports: [{containerPort: \"80\"}, {containerPort: 80.5}]\n"
	                      "        args: [--a, 1, true]\n"
	                      "        volumeMounts: {name: www}\n"
	                      "      hostNetwork: \"true\"\n"
	                      "      terminationGracePeriodSeconds: 30.0\n"
	                      "  replicas: three\n"
	                      "  volumeClaimTemplates: {name: www}\n");
	assert_string_equal(
	    problems,
	    "m.yaml:15:18: statefulset 'web': spec.template.spec.containers[0].ports[0]."
	    "containerPort: invalid type: got string, expected integer\n"
	    "m.yaml:15:41: statefulset 'web': spec.template.spec.containers[0].ports[1]."
	    "containerPort: invalid type: got number, expected integer\n"
	    "m.yaml:16:21: statefulset 'web': spec.template.spec.containers[0].args[1]: invalid "
	    "type: got integer, expected string\n"
	    "m.yaml:16:24: statefulset 'web': spec.template.spec.containers[0].args[2]: invalid "
	    "type: got boolean, expected string\n"
	    "m.yaml:17:9: statefulset 'web': spec.template.spec.containers[0].volumeMounts: "
	    "invalid "
	    "type: got object, expected array\n"
	    "m.yaml:18:7: statefulset 'web': spec.template.spec.hostNetwork: invalid type: got "
	    "string, expected boolean\n"
	    "m.yaml:20:3: statefulset 'web': spec.replicas: invalid type: got string, expected "
	    "integer\n"
	    "m.yaml:21:3: statefulset 'web': spec.volumeClaimTemplates: invalid type: got object, "
	    "expected array\n");
	free(problems);
}

static void test_openapi__int_or_string_and_quantities_take_numbers(void **state)
{
	char *problems;

	(void)state;
	problems = validate("apiVersion: v1\nkind: Service\nmetadata: {name: s}\n"
	                    "spec:\n"
	                    "  ports: [{port: 80, targetPort: 8.5}, {port: 81, targetPort: [1]}]\n"
	                    "---\n"
	                    "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: c}\n"
	                    "spec: {resources: {requests: {storage: 1.5, cpu: true}}}\n");
	assert_string_equal(
	    problems,
	    "m.yaml:5:22: service 's': spec.ports[0].targetPort: invalid type: got number, "
	    "expected integer or string\n"
	    "m.yaml:5:51: service 's': spec.ports[1].targetPort: invalid type: got array, expected "
	    "integer or string\n"
	    "m.yaml:10:45: persistentvolumeclaim 'c': spec.resources.requests.cpu: invalid type: "
	    "got "
	    "boolean, expected string or number (a quantity)\n");
	free(problems);
}

static void test_openapi__map_values_are_checked_and_dotted_keys_found_by_their_map(void **state)
{
	char *problems;

	(void)state;
	problems = validate("apiVersion: v1\nkind: Service\nmetadata:\n"
	                    "  name: s\n"
	                    "  annotations:\n"
	                    "    prometheus.io/port: 8080\n"
	                    "  labels: {version: 1.0, tier: web}\n");
	assert_string_equal(
	    problems, "m.yaml:5:3: service 's': metadata.annotations.prometheus.io/port: invalid "
	              "type: got integer, expected string\n"
	              "m.yaml:7:12: service 's': metadata.labels.version: invalid type: got "
	              "number, expected string\n");
	free(problems);
}

static void test_openapi__required_fields_must_be_set(void **state)
{
	char *problems;

	(void)state;
	problems = validate("apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: web}\n"
	                    "spec:\n"
	                    "  serviceName: web\n"
	                    "  selector: null\n"
	                    "  template:\n"
	                    "    spec:\n"
	                    "      containers:\n"
	                    "      - image: nginx\n"
	                    "        ports: [{name: web}]\n");
	assert_string_equal(
	    problems,
	    "m.yaml:11:17: statefulset 'web': spec.template.spec.containers[0].ports[0]: missing "
	    "required field \"containerPort\" in io.k8s.api.core.v1.ContainerPort\n"
	    "m.yaml:10:9: statefulset 'web': spec.template.spec.containers[0]: missing required "
	    "field \"name\" in io.k8s.api.core.v1.Container\n"
	    "m.yaml:4:1: statefulset 'web': spec: missing required field \"selector\" in "
	    "io.k8s.api.apps.v1.StatefulSetSpec\n");
	free(problems);
}

static void test_openapi__nulls_are_not_checked(void **state)
{
	char *problems;

	(void)state;
	problems = validate(STS_HEAD "        args: null\n"
	                             "  replicas: ~\n"
	                             "status: null\n");
	assert_string_equal(problems, "");
	free(problems);
}

static void test_openapi__preserved_unknown_fields_pass_and_unknown_kinds_are_skipped(void **state)
{
	bool unsure = false;
	char *problems;

	(void)state;
	problems = validate_with(api,
	                         "apiVersion: berth.dev/v1\nkind: Widget\nmetadata: {name: w}\n"
	                         "spec: {color: red, size: {any: [1, 2]}}\n"
	                         "size: 3\n",
	                         &unsure);
	assert_string_equal(problems, "");
	assert_false(unsure);
	free(problems);

	/* A kind the schema has not heard of: maybe a newer copy has. */
	problems = validate_with(api,
	                         "apiVersion: berth.dev/v1\nkind: Gadget\nmetadata: {name: g}\n"
	                         "anything: [goes]\n",
	                         &unsure);
	assert_string_equal(problems, "");
	assert_true(unsure);
	free(problems);
}

static void test_openapi__a_custom_resources_problem_is_unsure(void **state)
{
	bool unsure = false;
	char *problems;

	(void)state;
	/* Its definition changes with the CRD: the caller asks again. */
	problems = validate_with(api,
	                         "apiVersion: berth.dev/v1\nkind: Widget\nmetadata: {name: w}\n"
	                         "spec: {color: 1}\nthings: [a, 2]\nshape: round\n",
	                         &unsure);
	assert_string_equal(
	    problems, "m.yaml:4:8: widget 'w': spec.color: invalid type: got integer, expected "
	              "string\n"
	              "m.yaml:5:13: widget 'w': things[1]: invalid type: got integer, expected "
	              "string\n"
	              "m.yaml:6:1: widget 'w': shape: unknown field \"shape\" in "
	              "dev.berth.v1.Widget\n");
	assert_true(unsure);
	free(problems);
}

static void test_openapi__written_schema_reads_back_without_descriptions(void **state)
{
	struct openapi *again = NULL;
	struct buf text = BUF_INIT;
	bool unsure = false;
	char *problems;

	(void)state;
	openapi_write(&text, api);
	/* Descriptions and paths are gone; a field named "description" stays. */
	assert_null(strstr(text.ptr, "a fixed-point number"));
	assert_null(strstr(text.ptr, "the class's own description"));
	assert_null(strstr(text.ptr, "\"paths\""));
	assert_non_null(strstr(text.ptr, "\"description\":{\"type\":\"string\"}"));
	assert_int_equal(openapi_new(&again, json_value_parse(text.ptr, text.len)), 0);
	problems = validate_with(again,
	                         "apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\n"
	                         "metadata: {name: high}\n"
	                         "description: for the databases\n"
	                         "value: high\n---\n" STS_HEAD "      volumeMounts: []\n",
	                         &unsure);
	assert_string_equal(
	    problems,
	    "m.yaml:5:1: priorityclass 'high': value: invalid type: got string, expected integer\n"
	    "m.yaml:21:7: statefulset 'web': spec.template.spec.volumeMounts: unknown field "
	    "\"volumeMounts\" in io.k8s.api.core.v1.PodSpec; it belongs in each container "
	    "(spec.template.spec.containers[].volumeMounts)\n");
	assert_false(unsure);
	free(problems);
	openapi_free(again);
	buf_release(&text);
}

static void test_openapi__a_document_without_definitions_is_refused(void **state)
{
	struct openapi *none = NULL;

	(void)state;
	assert_int_equal(openapi_new(&none, json_value_parse("{\"paths\":{}}", 12)), BERTH_ERROR);
	assert_null(none);
	assert_string_equal(berth_error_last(), "the OpenAPI schema has no definitions");
	assert_int_equal(openapi_new(&none, NULL), BERTH_ERROR);
	openapi_free(NULL);
}

static void test_openapi__text_that_is_not_a_schema_is_refused(void **state)
{
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "{\"definitions\":{}}",
	    "{\"definitions\":{\"a\":{\"type\":\"object\"}}",
	    "{\"definitions\":{\"a\":1}}",
	    "{\"definitions\":{\"a\":{}}} trailing",
	    "{\"definitions\":{\"a\":{\"x\":\"unterminated}}}",
	};
	struct openapi *none = NULL;
	const char *good;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(openapi_parse(&none, bad[i], strlen(bad[i])), BERTH_ERROR);
		assert_null(none);
	}
	good = " {\"swagger\": \"2.0\", \"definitions\": {\"a\": {}}} ";
	assert_int_equal(openapi_parse(&none, good, strlen(good)), 0);
	openapi_free(none);
}

#define CASE(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    CASE(test_openapi__a_sound_manifest_passes),
	    CASE(test_openapi__pod_level_volume_mounts_are_an_unknown_field_of_podspec),
	    CASE(test_openapi__unknown_fields_say_where_they_belong),
	    CASE(test_openapi__a_near_miss_names_the_field),
	    CASE(test_openapi__values_must_have_the_schemas_type),
	    CASE(test_openapi__int_or_string_and_quantities_take_numbers),
	    CASE(test_openapi__map_values_are_checked_and_dotted_keys_found_by_their_map),
	    CASE(test_openapi__required_fields_must_be_set),
	    CASE(test_openapi__nulls_are_not_checked),
	    CASE(test_openapi__preserved_unknown_fields_pass_and_unknown_kinds_are_skipped),
	    CASE(test_openapi__a_custom_resources_problem_is_unsure),
	    CASE(test_openapi__written_schema_reads_back_without_descriptions),
	    CASE(test_openapi__a_document_without_definitions_is_refused),
	    CASE(test_openapi__text_that_is_not_a_schema_is_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
