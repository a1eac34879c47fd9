#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/kustomize_order.h"

#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/yaml_doc.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* The golden corpus: what kubectl's kustomize v5.5.0 printed. */
#define CORPUS BERTH_KUSTOMIZE_CORPUS

/* "Kind ns/name" of each object, a line each. */
static void names_of(struct buf *out, struct json_object **objects, size_t n)
{
	size_t i;

	buf_reset(out);
	for (i = 0; i < n; i++)
		buf_addf(out, "%s %s/%s\n", json_value_get_string(objects[i], "kind"),
		         json_value_get_string(json_value_get(objects[i], "metadata"), "namespace")
		             ?: "",
		         json_value_get_string(json_value_get(objects[i], "metadata"), "name"));
}

/* The objects of `file`, kustomize's output, put in reverse and then
 * sorted, come back in kustomize's order. */
static size_t check_file(const char *file)
{
	struct json_object *docs = NULL, **objects;
	struct buf text = BUF_INIT, want = BUF_INIT, got = BUF_INIT;
	size_t n, i;

	assert_int_equal(buf_read_file(&text, file, 1 << 20), 0);
	assert_int_equal(yaml_parse(&docs, file, text.ptr, text.len, NULL, NULL), 0);
	n = json_object_array_length(docs);
	objects = calloc(n + 1, sizeof(*objects));
	for (i = 0; i < n; i++)
		objects[i] = json_object_array_get_idx(docs, i);
	names_of(&want, objects, n);
	for (i = 0; i < n / 2; i++) {
		struct json_object *t = objects[i];

		objects[i] = objects[n - 1 - i];
		objects[n - 1 - i] = t;
	}
	kustomize_order_sort(objects, n);
	names_of(&got, objects, n);
	if (strcmp(got.ptr, want.ptr))
		fail_msg("%s: sorted\n%swhere kustomize printed\n%s", file, got.ptr, want.ptr);
	free(objects);
	json_object_put(docs);
	buf_release(&text);
	buf_release(&want);
	buf_release(&got);
	return n;
}

/* Every expected.yaml under `dir`; the objects checked. */
static size_t check_dir(const char *dir)
{
	struct buf path = BUF_INIT;
	struct dirent *e;
	struct stat st;
	size_t n = 0;
	DIR *d = opendir(dir);

	assert_non_null(d);
	while ((e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		buf_reset(&path);
		buf_addf(&path, "%s/%s", dir, e->d_name);
		if (lstat(path.ptr, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n += check_dir(path.ptr);
		else if (!strcmp(e->d_name, "expected.yaml"))
			n += check_file(path.ptr);
	}
	closedir(d);
	buf_release(&path);
	return n;
}

static void test_kustomize_order__as_kubectl_kustomize_prints(void **state)
{
	(void)state;
	assert_true(check_dir(CORPUS) >= 100);
}

/* The kinds kustomize names come first and last in its order; the others
 * between, by "group_version_kind" (the core group is "~G", after every
 * named group); core Namespaces before others. */
static void test_kustomize_order__kinds_it_does_not_name(void **state)
{
	static const char *const objects[] = {
	    "{\"apiVersion\":\"admissionregistration.k8s.io/v1\",\"kind\":"
	    "\"ValidatingWebhookConfiguration\",\"metadata\":{\"name\":\"v\"}}",
	    "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Backup\",\"metadata\":{\"name\":\"b\"}}",
	    "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"d\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
	    "\"b\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":"
	    "\"a\"}}",
	    "{\"apiVersion\":\"example.com/v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":"
	    "\"x\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"z\"}}",
	    "{\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"metadata\":{\"name\":"
	    "\"data\"}}",
	};
	struct json_object *parsed[8];
	struct buf got = BUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < 8; i++)
		parsed[i] = json_tokener_parse(objects[i]);
	kustomize_order_sort(parsed, 8);
	names_of(&got, parsed, 8);
	assert_string_equal(got.ptr, "Namespace /z\n"
	                             "Namespace /x\n"
	                             "PersistentVolumeClaim /data\n"
	                             "DaemonSet /d\n"
	                             "Backup /b\n"
	                             "Pod a/p\n"
	                             "Pod b/p\n"
	                             "ValidatingWebhookConfiguration /v\n");
	for (i = 0; i < 8; i++)
		json_object_put(parsed[i]);
	buf_release(&got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize_order__as_kubectl_kustomize_prints),
	    cmocka_unit_test(test_kustomize_order__kinds_it_does_not_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
