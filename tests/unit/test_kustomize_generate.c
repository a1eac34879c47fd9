#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../diff/base/berth_error.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/json_value.h"
#include "../../diff/kustomize_generate.h"
#include "../../diff/yaml_doc.h"

#include <stdio.h>
#include <string.h>

/*
 * Each row is one generator of a kustomization under
 * fixtures/kustomize_generate/<dir>/, and `doc` the document of
 * expected.yaml (kubectl kustomize's output, regen.sh) it must equal, whole:
 * name and hash, data, labels. The row restates the kustomization as the
 * build will hand it over; the name is spelled out so a reader sees it.
 */
struct row {
	const char *dir;
	size_t doc;
	const char *want_name;
	enum kustomize_generator_kind kind;
	const char *name, *namespace, *type;
	const char *literals[10];
	const char *files[4]; /* "path" or "key=path" */
	const char *envs[2];
	const char *labels, *annotations; /* JSON, the entry's options */
	bool immutable, disable_hash;
	const char *global_labels, *global_annotations;
	bool global_disable_hash;
	bool name_only; /* berth's YAML reader refuses expected.yaml's NUL */
};

#define CM     KUSTOMIZE_CONFIGMAP
#define SECRET KUSTOMIZE_SECRET

static const struct row rows[] = {
    {.dir = "literals",
     .want_name = "app-config-7h7g4b89gt",
     .kind = CM,
     .name = "app-config",
     .literals = {"log.level=debug", "max_conns=100", "feature-flag=true", "empty="}},
    {.dir = "other_name",
     .want_name = "renamed-7h7g4b89gt",
     .kind = CM,
     .name = "renamed",
     .namespace = "prod",
     .literals = {"log.level=debug", "max_conns=100", "feature-flag=true", "empty="}},
    {.dir = "literal_escapes",
     .want_name = "escapes-98fg67m925",
     .kind = CM,
     .name = "escapes",
     .literals = {"dq=\"quoted\"", "sq='single'", "half=\"open", "one=\"",
                  "html=<a href=\"x\">&</a>", "ctl=x\by\fz\t\x01",
                  "uni=caf\xc3\xa9 \xe2\x80\xa8 \xe6\x97\xa5\xe6\x9c\xac", "eq=a=b=c"}},
    {.dir = "files",
     .want_name = "web-f7b469652g",
     .kind = CM,
     .name = "web",
     .files = {"nginx.conf", "greeting=motd.txt"}},
    {.dir = "binary",
     .want_name = "assets-9mc977f6gb",
     .kind = CM,
     .name = "assets",
     .literals = {"text=hello"},
     .files = {"logo.png", "blob.bin"}},
    {.dir = "nul",
     .want_name = "nul-mftcmck4m8",
     .kind = CM,
     .name = "nul",
     .files = {"nul.txt"},
     .name_only = true},
    {.dir = "envs",
     .want_name = "env-config-d82htktgb8",
     .kind = CM,
     .name = "env-config",
     .envs = {"app.env"}},
    {.dir = "options",
     .want_name = "labelled-bdg947hgcc",
     .kind = CM,
     .name = "labelled",
     .namespace = "staging",
     .literals = {"k=v"},
     .labels = "{\"tier\":\"local\",\"app.kubernetes.io/name\":\"web\"}",
     .annotations = "{\"owner\":\"ops\"}",
     .global_labels = "{\"team\":\"platform\",\"tier\":\"global\"}",
     .global_annotations = "{\"note\":\"from-global\"}"},
    {.dir = "immutable",
     .want_name = "frozen-bdg947hgcc",
     .kind = CM,
     .name = "frozen",
     .literals = {"k=v"},
     .immutable = true},
    {.dir = "no_hash",
     .want_name = "plain-name",
     .kind = CM,
     .name = "plain-name",
     .literals = {"k=v"},
     .global_disable_hash = true},
    {.dir = "secret",
     .want_name = "db-d5bd284cgt",
     .kind = SECRET,
     .name = "db",
     .literals = {"username=admin"},
     .files = {"password.txt"}},
    {.dir = "secret_tls",
     .want_name = "tls-4b255hm948",
     .kind = SECRET,
     .name = "tls",
     .type = "kubernetes.io/tls",
     .literals = {"tls.crt=CERT", "tls.key=KEY"},
     .labels = "{\"kind\":\"cert\"}",
     .immutable = true},
    {.dir = "empty", .doc = 0, .want_name = "nothing-6ct58987ht", .kind = CM, .name = "nothing"},
    {.dir = "empty",
     .doc = 1,
     .want_name = "nothing-46f8b28mk5",
     .kind = SECRET,
     .name = "nothing"},
    {.dir = "mixed",
     .want_name = "mixed-gh6k9d7tdd",
     .kind = CM,
     .name = "mixed",
     .literals = {"from_literal=l"},
     .files = {"multi.txt"},
     .envs = {"base.env"}},
};

static struct json_object *parse_json(const char *text)
{
	struct json_object *v;

	if (!text)
		return NULL;
	v = json_value_parse(text, strlen(text));
	assert_non_null(v);
	return v;
}

static void read_fixture(struct buf *b, const char *dir, const char *file)
{
	struct buf path = BUF_INIT;

	buf_addf(&path, "%s/%s/%s", BERTH_FIXTURES, dir, file);
	if (buf_read_file(b, path.ptr, 1 << 20) < 0)
		fail_msg("%s", berth_error_last());
	buf_release(&path);
}

static size_t count(const char *const *list, size_t max)
{
	size_t n = 0;

	while (n < max && list[n])
		n++;
	return n;
}

/* The object a row's generator makes; the caller puts it. */
static struct json_object *generate_row(const struct row *r)
{
	struct kustomize_generator gen = {.kind = r->kind, .name = r->name};
	struct kustomize_options global = {.disable_name_suffix_hash = r->global_disable_hash};
	struct kustomize_source files[4], envs[2];
	struct buf bytes[6];
	struct json_object *out = NULL;
	size_t i, nb = 0;

	gen.namespace = r->namespace;
	gen.type = r->type;
	gen.literals = r->literals;
	gen.literals_len = count(r->literals, 10);
	gen.files_len = count(r->files, 4);
	gen.envs_len = count(r->envs, 2);
	for (i = 0; i < gen.files_len; i++) {
		const char *eq = strchr(r->files[i], '=');
		const char *path = eq ? eq + 1 : r->files[i];

		buf_init(&bytes[nb]);
		read_fixture(&bytes[nb], r->dir, path);
		/* The key is spelled "key=" in the row: name it alone. */
		files[i].name = eq ? strndup(r->files[i], (size_t)(eq - r->files[i])) : path;
		files[i].data = bytes[nb].ptr;
		files[i].len = bytes[nb].len;
		nb++;
	}
	for (i = 0; i < gen.envs_len; i++) {
		buf_init(&bytes[nb]);
		read_fixture(&bytes[nb], r->dir, r->envs[i]);
		envs[i] = (struct kustomize_source){r->envs[i], bytes[nb].ptr, bytes[nb].len};
		nb++;
	}
	gen.files = files;
	gen.envs = envs;
	gen.options.labels = parse_json(r->labels);
	gen.options.annotations = parse_json(r->annotations);
	gen.options.immutable = r->immutable;
	gen.options.disable_name_suffix_hash = r->disable_hash;
	global.labels = parse_json(r->global_labels);
	global.annotations = parse_json(r->global_annotations);
	if (kustomize_generate(&out, &gen, &global) < 0)
		fail_msg("%s: %s", r->dir, berth_error_last());
	for (i = 0; i < gen.files_len; i++)
		if (strchr(r->files[i], '='))
			free((char *)files[i].name);
	for (i = 0; i < nb; i++)
		buf_release(&bytes[i]);
	json_object_put(gen.options.labels);
	json_object_put(gen.options.annotations);
	json_object_put(global.labels);
	json_object_put(global.annotations);
	return out;
}

static void test_kustomize_generate__equals_kubectl_kustomize(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct json_object *got = generate_row(r), *docs = NULL, *want;
		struct buf text = BUF_INIT, a = BUF_INIT, b = BUF_INIT;
		const char *name;

		name = json_value_get_string(json_value_get(got, "metadata"), "name");
		if (!name || strcmp(name, r->want_name))
			fail_msg("%s: name %s, want %s", r->dir, name ? name : "(none)",
			         r->want_name);
		read_fixture(&text, r->dir, "expected.yaml");
		if (r->name_only) {
			if (!strstr(text.ptr, r->want_name))
				fail_msg("%s: expected.yaml names no %s", r->dir, r->want_name);
			goto next;
		}
		if (yaml_parse(&docs, "expected.yaml", text.ptr, text.len, NULL, NULL) < 0)
			fail_msg("%s: %s", r->dir, berth_error_last());
		want = json_object_array_get_idx(docs, r->doc);
		name = json_value_get_string(json_value_get(got, "metadata"), "name");
		if (!name || strcmp(name, r->want_name))
			fail_msg("%s: name %s, want %s", r->dir, name ? name : "(none)",
			         r->want_name);
		assert_int_equal(json_value_write(&a, got), 0);
		assert_int_equal(json_value_write(&b, want), 0);
		if (a.len != b.len || memcmp(a.ptr, b.ptr, a.len))
			fail_msg("%s:\n got %s\nwant %s", r->dir, a.ptr, b.ptr);
	next:
		buf_release(&a);
		buf_release(&b);
		buf_release(&text);
		json_object_put(docs);
		json_object_put(got);
	}
}

static void test_kustomize_generate__hash_leaves_out_name_and_metadata(void **state)
{
	struct json_object *obj = parse_json("{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\","
	                                     "\"labels\":{\"a\":\"b\"}},\"data\":{\"k\":\"v\"}}");
	char suffix[11];

	(void)state;
	/* immutable/ and options/ hold k=v too: bdg947hgcc, whatever the name. */
	assert_int_equal(kustomize_hash_suffix(suffix, obj), 0);
	assert_string_equal(suffix, "bdg947hgcc");
	json_object_put(obj);
}

static void test_kustomize_generate__hash_refuses_other_kinds(void **state)
{
	struct json_object *obj = parse_json("{\"kind\":\"Deployment\"}");
	char suffix[11];

	(void)state;
	assert_true(kustomize_hash_suffix(suffix, obj) < 0);
	assert_non_null(strstr(berth_error_last(), "kind 'Deployment'"));
	json_object_put(obj);
	obj = parse_json("{\"kind\":\"ConfigMap\",\"data\":[1]}");
	assert_true(kustomize_hash_suffix(suffix, obj) < 0);
	assert_non_null(strstr(berth_error_last(), "data: not a map"));
	json_object_put(obj);
}

/* One generator that must fail, and a part of the message it must give. */
static void refuses(struct kustomize_generator *gen, const char *want)
{
	struct json_object *out = NULL;

	assert_true(kustomize_generate(&out, gen, NULL) < 0);
	assert_null(out);
	if (!strstr(berth_error_last(), want))
		fail_msg("error '%s', want '%s'", berth_error_last(), want);
}

static void test_kustomize_generate__refuses_what_kustomize_refuses(void **state)
{
	const char *dup[] = {"k=1", "k=2"};
	const char *no_eq[] = {"novalue"};
	const char *lead_eq[] = {"=v"};
	const char *env_dup[] = {"A=2"};
	struct kustomize_source env = {"app.env", "# c\nA=1\n", 8};
	struct kustomize_source bad_env = {"bad.env", "A=1\nB=\xff\n", 8};
	struct kustomize_source file = {"k", "x", 1};
	struct kustomize_source bad_key = {"f\xff", "x", 1};
	struct kustomize_generator gen = {.kind = CM, .name = "cm"};

	(void)state;
	gen.literals = dup;
	gen.literals_len = 2;
	refuses(&gen, "configmap 'cm': key 'k' repeats");
	gen.literals_len = 1;
	gen.files = &file;
	gen.files_len = 1;
	refuses(&gen, "configmap 'cm': key 'k' repeats");
	gen.files_len = 0;
	gen.literals = env_dup;
	gen.envs = &env;
	gen.envs_len = 1;
	refuses(&gen, "key 'A' repeats");
	gen.envs = &bad_env;
	gen.literals_len = 0;
	refuses(&gen, "env file 'bad.env': line 2 is not UTF-8");
	gen.envs_len = 0;
	gen.literals = no_eq;
	gen.literals_len = 1;
	refuses(&gen, "configmap 'cm': literal 1 'novalue' is not key=value");
	gen.literals = lead_eq;
	refuses(&gen, "literal 1 '=v' is not key=value");
	gen.kind = SECRET;
	refuses(&gen, "secret 'cm': literal 1 is not key=value");
	gen.literals_len = 0;
	gen.files = &bad_key;
	gen.files_len = 1;
	refuses(&gen, "key 'f\\xff' is not UTF-8");
	gen.files_len = 0;
	gen.kind = SECRET;
	gen.name = "";
	refuses(&gen, "secret: a generator has no name");
}

static void test_kustomize_generate__reads_behavior(void **state)
{
	enum kustomize_behavior b = KUSTOMIZE_BEHAVIOR_MERGE;

	(void)state;
	assert_int_equal(kustomize_behavior_parse(&b, NULL), 0);
	assert_int_equal(b, KUSTOMIZE_BEHAVIOR_CREATE);
	assert_int_equal(kustomize_behavior_parse(&b, "merge"), 0);
	assert_int_equal(b, KUSTOMIZE_BEHAVIOR_MERGE);
	assert_int_equal(kustomize_behavior_parse(&b, "replace"), 0);
	assert_int_equal(b, KUSTOMIZE_BEHAVIOR_REPLACE);
	assert_true(kustomize_behavior_parse(&b, "upsert") < 0);
	assert_string_equal(berth_error_last(), "behavior 'upsert': not create, merge or replace");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kustomize_generate__equals_kubectl_kustomize),
	    cmocka_unit_test(test_kustomize_generate__hash_leaves_out_name_and_metadata),
	    cmocka_unit_test(test_kustomize_generate__hash_refuses_other_kinds),
	    cmocka_unit_test(test_kustomize_generate__refuses_what_kustomize_refuses),
	    cmocka_unit_test(test_kustomize_generate__reads_behavior),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
