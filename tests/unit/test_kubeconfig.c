#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/kubeconfig.h"
#include "../../diff/base/berth_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[64];

static const char *path_in_dir(const char *name)
{
	static char path[4][256];
	static int next;
	char *p = path[next++ % 4];

	snprintf(p, 256, "%s/%s", dir, name);
	return p;
}

static void write_file(const char *name, const char *text)
{
	FILE *f = fopen(path_in_dir(name), "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/berth-test-kcXXXXXX");
	if (!mkdtemp(dir))
		return -1;
	unsetenv("KUBECONFIG");
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static const char two_contexts[] =
    "apiVersion: v1\n"
    "kind: Config\n"
    "clusters:\n"
    "- name: c1\n"
    "  cluster: {server: 'https://127.0.0.1:6443/', certificate-authority: pki/ca.crt}\n"
    "- name: c2\n"
    "  cluster:\n"
    "    server: https://10.9.9.9\n"
    "    certificate-authority: /abs/ca.crt\n"
    "    certificate-authority-data: aGVsbG8=\n"
    "    insecure-skip-tls-verify: true\n"
    "users:\n"
    "- name: u1\n"
    "  user: {token: s3cr3t}\n"
    "- name: u2\n"
    "  user: {client-certificate: certs/u2.crt, client-key-data: a2V5}\n"
    "contexts:\n"
    "- name: one\n"
    "  context: {cluster: c1, user: u1, namespace: apps}\n"
    "- name: two\n"
    "  context: {cluster: c2, user: u2}\n"
    "current-context: one\n";

static struct kubeconfig *load(const char *path, const char *context)
{
	struct kubeconfig_options opts = KUBECONFIG_OPTIONS_INIT;
	struct kubeconfig *kc = NULL;

	opts.path = path;
	opts.context = context;
	if (kubeconfig_load(&kc, &opts) < 0)
		fail_msg("load failed: %s", berth_error_last());
	return kc;
}

static void test_kubeconfig__uses_the_current_context(void **state)
{
	struct kubeconfig *kc;

	(void)state;
	write_file("config", two_contexts);
	kc = load(path_in_dir("config"), NULL);
	assert_string_equal(kc->context, "one");
	assert_string_equal(kc->server, "https://127.0.0.1:6443");
	assert_string_equal(kc->namespace, "apps");
	assert_string_equal(kc->token, "s3cr3t");
	assert_false(kc->insecure);
	/* A relative path resolves against the kubeconfig's own directory. */
	assert_string_equal(kc->ca_file, path_in_dir("pki/ca.crt"));
	assert_int_equal(kc->ca_data.len, 0);
	kubeconfig_free(kc);
}

static void test_kubeconfig__context_flag_picks_another_and_data_wins(void **state)
{
	struct kubeconfig *kc;

	(void)state;
	write_file("config", two_contexts);
	kc = load(path_in_dir("config"), "two");
	assert_string_equal(kc->context, "two");
	assert_string_equal(kc->namespace, "default");
	assert_true(kc->insecure);
	assert_null(kc->token);
	/* certificate-authority-data wins over certificate-authority. */
	assert_null(kc->ca_file);
	assert_string_equal(kc->ca_data.ptr, "hello");
	assert_string_equal(kc->cert_file, path_in_dir("certs/u2.crt"));
	assert_string_equal(kc->key_data.ptr, "key");
	kubeconfig_free(kc);
}

static void test_kubeconfig__kubeconfig_env_merges_first_file_wins(void **state)
{
	struct kubeconfig *kc = NULL;
	struct kubeconfig_options opts = KUBECONFIG_OPTIONS_INIT;
	char env[600];

	(void)state;
	write_file("config", two_contexts);
	/* The first file sets current-context and shadows cluster c1. */
	write_file("first", "current-context: two\n"
	                    "clusters:\n"
	                    "- name: c2\n"
	                    "  cluster: {server: 'https://first:1'}\n");
	snprintf(env, sizeof(env), "%s::%s", path_in_dir("first"), path_in_dir("config"));
	setenv("KUBECONFIG", env, 1);
	assert_int_equal(kubeconfig_load(&kc, &opts), 0);
	unsetenv("KUBECONFIG");
	assert_string_equal(kc->context, "two");
	assert_string_equal(kc->server, "https://first:1");
	/* u2 is only in the second file. */
	assert_string_equal(kc->cert_file, path_in_dir("certs/u2.crt"));
	kubeconfig_free(kc);
}

static void test_kubeconfig__reads_a_token_file_relative_to_the_config(void **state)
{
	struct kubeconfig *kc;

	(void)state;
	write_file("tok", "abc123\n");
	write_file("config", "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	                     "users: [{name: u, user: {tokenFile: tok}}]\n"
	                     "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	                     "current-context: x\n");
	kc = load(path_in_dir("config"), NULL);
	assert_string_equal(kc->token, "abc123");
	kubeconfig_free(kc);
}

/* Inside a pod, with nothing else to go by: the service account. */
static void test_kubeconfig__falls_back_to_the_in_cluster_config(void **state)
{
	struct kubeconfig_options opts = KUBECONFIG_OPTIONS_INIT;
	struct kubeconfig *kc = NULL;
	char *home = getenv("HOME") ? strdup(getenv("HOME")) : NULL;

	(void)state;
	write_file("token", "sa-token\n");
	write_file("namespace", "team-a\n");
	setenv("HOME", dir, 1); /* no .kube/config there */
	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "6443", 1);
	setenv("BERTH_SERVICEACCOUNT_DIR", dir, 1);
	assert_int_equal(kubeconfig_load(&kc, &opts), 0);
	assert_string_equal(kc->server, "https://[fd00::1]:6443");
	assert_string_equal(kc->token, "sa-token");
	assert_string_equal(kc->token_file, path_in_dir("token"));
	assert_string_equal(kc->ca_file, path_in_dir("ca.crt"));
	assert_string_equal(kc->namespace, "team-a");
	assert_string_equal(kc->context, "in-cluster");
	kubeconfig_free(kc);

	/* A kubeconfig, when there is one, still wins. */
	write_file("config", "clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	                     "contexts: [{name: x, context: {cluster: c}}]\n"
	                     "current-context: x\n");
	setenv("KUBECONFIG", path_in_dir("config"), 1);
	assert_int_equal(kubeconfig_load(&kc, &opts), 0);
	assert_string_equal(kc->server, "https://h");
	kubeconfig_free(kc);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("BERTH_SERVICEACCOUNT_DIR");
	if (home)
		setenv("HOME", home, 1);
	free(home);
}

static void expect_error(const char *config, const char *context, const char *message)
{
	struct kubeconfig_options opts = KUBECONFIG_OPTIONS_INIT;
	struct kubeconfig *kc = NULL;

	write_file("config", config);
	opts.path = path_in_dir("config");
	opts.context = context;
	assert_true(kubeconfig_load(&kc, &opts) < 0);
	assert_null(kc);
	if (!strstr(berth_error_last(), message))
		fail_msg("error '%s' does not contain '%s'", berth_error_last(), message);
}

static void test_kubeconfig__names_what_is_missing(void **state)
{
	(void)state;
	expect_error(two_contexts, "three", "context 'three' not found");
	expect_error("contexts: [{name: x, context: {cluster: nope}}]\ncurrent-context: x\n", NULL,
	             "cluster 'nope' (of context 'x') not found");
	expect_error("clusters: []\n", NULL, "no current-context is set; pass --context");
	expect_error("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	             "users: [{name: u, user: {auth-provider: {name: gcp}}}]\n"
	             "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	             "current-context: x\n",
	             NULL, "user 'u': auth-provider credentials are not supported");
	expect_error("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	             "users: [{name: u, user: {token: t, exec: {command: x}}}]\n"
	             "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	             "current-context: x\n",
	             NULL, "user 'u': exec cannot be combined with token");
	expect_error("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	             "users: [{name: u, user: {exec: {command: x}}}]\n"
	             "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	             "current-context: x\n",
	             NULL, "user 'u': exec needs an apiVersion");
}

static void test_kubeconfig__takes_an_exec_plugin_with_its_cluster(void **state)
{
	struct kubeconfig *kc;
	struct buf info = BUF_INIT;

	(void)state;
	write_file("ca.crt", "CA");
	write_file("config",
	           "clusters:\n"
	           "- name: c\n"
	           "  cluster:\n"
	           "    server: https://h:6443\n"
	           "    certificate-authority: ca.crt\n"
	           "    tls-server-name: api.example\n"
	           "    extensions:\n"
	           "    - {name: client.authentication.k8s.io/exec, extension: {audience: berth}}\n"
	           "    - {name: other, extension: {x: 1}}\n"
	           "users:\n"
	           "- name: u\n"
	           "  user:\n"
	           "    exec:\n"
	           "      apiVersion: client.authentication.k8s.io/v1\n"
	           "      command: bin/get-token\n"
	           "      args: [--audience, berth]\n"
	           "      env: [{name: REGION, value: eu-1}]\n"
	           "      interactiveMode: Never\n"
	           "      provideClusterInfo: true\n"
	           "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	           "current-context: x\n");
	kc = load(path_in_dir("config"), NULL);
	assert_non_null(kc->exec);
	assert_null(kc->token);
	assert_string_equal(kc->exec->command, path_in_dir("bin/get-token"));
	assert_int_equal(kc->exec->nargs, 2);
	assert_string_equal(kc->exec->env[0], "REGION=eu-1");
	/* The CA goes to the plugin as data, read from the file. */
	exec_config_exec_info(&info, kc->exec, false);
	assert_string_equal(info.ptr, "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	                              "\"kind\":\"ExecCredential\",\"spec\":{\"cluster\":{"
	                              "\"certificate-authority-data\":\"Q0E=\","
	                              "\"config\":{\"audience\":\"berth\"},"
	                              "\"server\":\"https://h:6443\","
	                              "\"tls-server-name\":\"api.example\"},"
	                              "\"interactive\":false}}");
	buf_release(&info);
	kubeconfig_free(kc);
}

static void test_kubeconfig__reports_bad_yaml_with_its_position(void **state)
{
	(void)state;
	expect_error("clusters:\n- name: a\n  name: b\n", NULL, "config:3:3: duplicate key 'name'");
}

static void test_kubeconfig__never_puts_a_secret_in_an_error(void **state)
{
	(void)state;
	expect_error("clusters: [{name: c, cluster: {server: 'https://h'}}]\n"
	             "users: [{name: u, user: {client-key-data: 'n0t!base64-SECRET'}}]\n"
	             "contexts: [{name: x, context: {cluster: c, user: u}}]\n"
	             "current-context: x\n",
	             NULL, "user 'client-key-data': invalid base64 data");
	assert_null(strstr(berth_error_last(), "SECRET"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kubeconfig__uses_the_current_context),
	    cmocka_unit_test(test_kubeconfig__context_flag_picks_another_and_data_wins),
	    cmocka_unit_test(test_kubeconfig__kubeconfig_env_merges_first_file_wins),
	    cmocka_unit_test(test_kubeconfig__reads_a_token_file_relative_to_the_config),
	    cmocka_unit_test(test_kubeconfig__falls_back_to_the_in_cluster_config),
	    cmocka_unit_test(test_kubeconfig__names_what_is_missing),
	    cmocka_unit_test(test_kubeconfig__takes_an_exec_plugin_with_its_cluster),
	    cmocka_unit_test(test_kubeconfig__reports_bad_yaml_with_its_position),
	    cmocka_unit_test(test_kubeconfig__never_puts_a_secret_in_an_error),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
