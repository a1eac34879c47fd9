#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../apply/exec_plugin.h"
#include "../../diff/base/buf.h"
#include "../../diff/base/clock.h"
#include "../../diff/base/berth_error.h"
#include "../../diff/base/json_value.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/berth-test-execXXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd);
}

static struct json_object *parse_text(const char *text)
{
	struct json_object *v = json_value_parse(text, strlen(text));

	assert_non_null(v);
	return v;
}

static void read_fixture(struct buf *b, const char *name)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", BERTH_FIXTURES, name);
	buf_reset(b);
	assert_int_equal(buf_read_file(b, path, 1u << 20), 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Each NN-name.json is a plugin's stdout; NN-name.want.json says what the
 * parse gives: the credential, or the error. */
static void test_exec_credential__parses_the_fixtures(void **state)
{
	DIR *d = opendir(BERTH_FIXTURES);
	struct dirent *e;
	char *names[64];
	size_t n = 0, i;
	struct buf in = BUF_INIT, want_text = BUF_INIT;

	(void)state;
	assert_non_null(d);
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		if (len > 10 && !strcmp(e->d_name + len - 10, ".want.json"))
			continue;
		if (len > 5 && !strcmp(e->d_name + len - 5, ".json") && n < 64)
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	assert_true(n >= 10);

	for (i = 0; i < n; i++) {
		struct exec_credential cred = EXEC_CREDENTIAL_INIT;
		struct json_object *want;
		char want_name[256];
		const char *error, *s;
		int rc;

		snprintf(want_name, sizeof(want_name), "%.*s.want.json",
		         (int)(strlen(names[i]) - 5), names[i]);
		read_fixture(&in, names[i]);
		read_fixture(&want_text, want_name);
		want = parse_text(want_text.ptr);
		error = json_value_get_string(want, "error");
		berth_error_clear();
		rc = exec_credential_parse(
		    &cred, "plugin", json_value_get_string(want, "apiVersion"), in.ptr, in.len);
		if (error) {
			if (rc == 0)
				fail_msg("%s: parsed, want error '%s'", names[i], error);
			if (strcmp(berth_error_last(), error))
				fail_msg("%s: error '%s', want '%s'", names[i], berth_error_last(),
				         error);
			/* The output holds secrets: no message may quote it. */
			assert_null(strstr(berth_error_last(), "SECRET"));
			assert_null(cred.token);
			assert_int_equal(cred.key.len, 0);
		} else {
			if (rc != 0)
				fail_msg("%s: %s", names[i], berth_error_last());
			s = json_value_get_string(want, "token");
			if (s)
				assert_string_equal(cred.token, s);
			else
				assert_null(cred.token);
			s = json_value_get_string(want, "cert");
			assert_string_equal(cred.cert.ptr, s ? s : "");
			s = json_value_get_string(want, "key");
			assert_string_equal(cred.key.ptr, s ? s : "");
			assert_int_equal(cred.expires,
			                 json_object_get_int64(json_value_get(want, "expires")));
		}
		exec_credential_release(&cred);
		json_object_put(want);
		free(names[i]);
	}
	buf_release(&in);
	buf_release(&want_text);
}

static void test_exec_credential__parses_rfc3339_and_nothing_else(void **state)
{
	static const struct {
		const char *in;
		long long want; /* -1: rejected */
	} cases[] = {
	    {"1970-01-01T00:00:00Z", 0},
	    {"2030-01-02T03:04:05Z", 1893553445},
	    {"2030-01-02T03:04:05.5Z", 1893553445},
	    {"2030-01-02T04:04:05+01:00", 1893553445},
	    {"2030-01-01T22:04:05-05:00", 1893553445},
	    {"2024-02-29T00:00:00Z", 1709164800},
	    {"2030-01-02 03:04:05Z", -1},
	    {"2030-01-02T03:04:05", -1},
	    {"2030-13-02T03:04:05Z", -1},
	    {"2030-01-32T03:04:05Z", -1},
	    {"2030-01-02T24:00:00Z", -1},
	    {"2030-01-02T03:04:05.Z", -1},
	    {"2030-01-02T03:04:05+0100", -1},
	    {"2030-01-02T03:04:05Zjunk", -1},
	    {"", -1},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		time_t t = 42;
		int rc = clock_rfc3339_parse(&t, cases[i].in);

		if (cases[i].want < 0) {
			if (rc == 0)
				fail_msg("'%s' parsed as %lld", cases[i].in, (long long)t);
			continue;
		}
		if (rc < 0)
			fail_msg("'%s' rejected", cases[i].in);
		if ((long long)t != cases[i].want)
			fail_msg("'%s': %lld, want %lld", cases[i].in, (long long)t, cases[i].want);
	}
}

static void test_exec_credential__expires_at_its_timestamp(void **state)
{
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;

	(void)state;
	assert_false(exec_credential_expired(&cred, 2000000000));
	cred.expires = 1000;
	assert_false(exec_credential_expired(&cred, 999));
	assert_true(exec_credential_expired(&cred, 1000));
	assert_true(exec_credential_expired(&cred, 5000));
}

static struct exec_config *config(const char *exec_json, struct json_object *cluster)
{
	struct json_object *exec = parse_text(exec_json);
	struct exec_config *cfg = NULL;

	if (exec_config_parse(&cfg, exec, "kc: user 'u'", "/etc/kube", cluster) < 0)
		cfg = NULL;
	json_object_put(exec);
	return cfg;
}

static void test_exec_credential__config_resolves_and_checks_the_stanza(void **state)
{
	struct json_object *cluster = parse_text("{\"server\":\"https://k:6443\"}");
	struct exec_config *cfg;
	struct buf info = BUF_INIT;

	(void)state;
	cfg = config("{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"command\":\"bin/"
	             "plug\",\"args\":[\"a\",\"b\"],\"env\":[{\"name\":\"X\",\"value\":\"1\"}],"
	             "\"interactiveMode\":\"Never\",\"provideClusterInfo\":true}",
	             cluster);
	assert_non_null(cfg);
	assert_string_equal(cfg->command, "/etc/kube/bin/plug");
	assert_int_equal(cfg->nargs, 2);
	assert_string_equal(cfg->args[1], "b");
	assert_int_equal(cfg->nenv, 1);
	assert_string_equal(cfg->env[0], "X=1");
	assert_int_equal(cfg->interactive, EXEC_INTERACTIVE_NEVER);
	exec_config_exec_info(&info, cfg, false);
	assert_string_equal(info.ptr, "{\"apiVersion\":\"client.authentication.k8s.io/v1\","
	                              "\"kind\":\"ExecCredential\",\"spec\":{\"cluster\":"
	                              "{\"server\":\"https://k:6443\"},\"interactive\":false}}");
	exec_config_free(cfg);

	/* A bare name is for PATH; v1beta1 needs no interactiveMode. */
	cfg =
	    config("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"command\":\"plug\","
	           "\"provideClusterInfo\":false}",
	           cluster);
	assert_non_null(cfg);
	assert_string_equal(cfg->command, "plug");
	assert_int_equal(cfg->interactive, EXEC_INTERACTIVE_IF_AVAILABLE);
	buf_reset(&info);
	exec_config_exec_info(&info, cfg, true);
	assert_string_equal(info.ptr,
	                    "{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\","
	                    "\"kind\":\"ExecCredential\",\"spec\":{\"interactive\":true}}");
	exec_config_free(cfg);

	assert_null(
	    config("{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"command\":\"p\"}", NULL));
	assert_string_equal(berth_error_last(),
	                    "kc: user 'u': exec needs an interactiveMode (Never, IfAvailable or "
	                    "Always) with client.authentication.k8s.io/v1");
	assert_null(config("{\"apiVersion\":\"client.authentication.k8s.io/v1alpha1\","
	                   "\"command\":\"p\"}",
	                   NULL));
	assert_non_null(strstr(berth_error_last(), "apiVersion "
	                                           "'client.authentication.k8s.io/v1alpha1' is not "
	                                           "supported"));
	assert_null(config("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\"}", NULL));
	assert_string_equal(berth_error_last(), "kc: user 'u': exec needs a command");
	assert_null(config("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"command\":"
	                   "\"p\",\"env\":[{\"value\":\"v\"}]}",
	                   NULL));
	assert_string_equal(berth_error_last(),
	                    "kc: user 'u': exec.env[0] needs a name without '='");
	assert_null(config("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"command\":"
	                   "\"p\",\"interactiveMode\":\"Sometimes\"}",
	                   NULL));
	buf_release(&info);
	json_object_put(cluster);
}

/* A plugin script in the test directory; MODE in its env picks the answer. */
static const char plugin_script[] =
    "#!/bin/sh\n"
    "n=$(cat \"$DIR/runs\" 2>/dev/null || echo 0)\n"
    "n=$((n + 1))\n"
    "echo $n >\"$DIR/runs\"\n"
    "printf '%s' \"$KUBERNETES_EXEC_INFO\" >\"$DIR/info\"\n"
    "printf '%s' \"$EXTRA\" >\"$DIR/extra\"\n"
    "exp=\n"
    "case $MODE in\n"
    "slow) sleep 0.3 ;;\n"
    "hang) exec sleep 600 ;;\n"
    "warn) echo 'the token expires within the hour' >&2 ;;\n"
    "expired) exp=',\"expirationTimestamp\":\"2001-01-01T00:00:00Z\"' ;;\n"
    "fail) echo SECRET-STDOUT; echo 'the login was refused' >&2; exit 4 ;;\n"
    "garbage) echo SECRET-GARBAGE; exit 0 ;;\n"
    "esac\n"
    "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
    "\"status\":{\"token\":\"tok-%s\"%s}}' $n \"$exp\"\n";

static struct exec_plugin *plugin(const char *mode)
{
	char path[128], json[1024];
	struct exec_config *cfg;
	struct exec_plugin *p;
	FILE *f;

	snprintf(path, sizeof(path), "%s/plugin", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(plugin_script, f);
	fclose(f);
	chmod(path, 0755);
	snprintf(path, sizeof(path), "%s/runs", dir);
	unlink(path);
	snprintf(
	    json, sizeof(json),
	    "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"command\":\"%s/plugin\","
	    "\"installHint\":\"get it from the test\",\"interactiveMode\":\"IfAvailable\","
	    "\"env\":[{\"name\":\"DIR\",\"value\":\"%s\"},{\"name\":\"MODE\",\"value\":\"%s\"},"
	    "{\"name\":\"EXTRA\",\"value\":\"from-the-config\"}]}",
	    dir, dir, mode);
	cfg = config(json, NULL);
	assert_non_null(cfg);
	exec_plugin_new(&p, cfg);
	exec_config_free(cfg);
	return p;
}

static void read_back(struct buf *b, const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	buf_reset(b);
	assert_int_equal(buf_read_file(b, path, 4096), 0);
}

static void test_exec_credential__caches_until_the_server_refuses(void **state)
{
	struct exec_plugin *p = plugin("ok");
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	struct buf b = BUF_INIT;
	unsigned long gen = 0, old;

	(void)state;
	setenv("EXTRA", "from-berth", 1);
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 1);
	assert_string_equal(cred.token, "tok-1");
	assert_int_equal(gen, 1);
	/* Current: nothing to copy, no run. */
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 0);
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 0);
	assert_int_equal(exec_plugin_runs(p), 1);
	read_back(&b, "info");
	assert_string_equal(b.ptr, "{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":"
	                           "\"ExecCredential\",\"spec\":{\"interactive\":false}}");
	read_back(&b, "extra");
	assert_string_equal(b.ptr, "from-the-config");

	/* A 401 for an older generation than the cached one changes nothing. */
	old = gen;
	exec_plugin_invalidate(p, old + 7);
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 0);
	exec_plugin_invalidate(p, old);
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 1);
	assert_string_equal(cred.token, "tok-2");
	assert_int_equal(exec_plugin_runs(p), 2);

	unsetenv("EXTRA");
	exec_credential_release(&cred);
	buf_release(&b);
	exec_plugin_free(p);
}

static void test_exec_credential__runs_again_once_expired(void **state)
{
	struct exec_plugin *p = plugin("expired");
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	unsigned long gen = 0;

	(void)state;
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 1);
	assert_string_equal(cred.token, "tok-1");
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL), 1);
	assert_string_equal(cred.token, "tok-2");
	assert_int_equal(exec_plugin_runs(p), 2);
	exec_credential_release(&cred);
	exec_plugin_free(p);
}

static void test_exec_credential__failure_names_the_plugin_and_its_stderr(void **state)
{
	struct exec_plugin *p = plugin("fail");
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	unsigned long gen = 0;
	char want[256];

	(void)state;
	assert_true(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL) < 0);
	snprintf(want, sizeof(want),
	         "kc: user 'u': exec plugin '%s/plugin' exited with status 4: the login was "
	         "refused",
	         dir);
	assert_string_equal(berth_error_last(), want);
	assert_int_equal(gen, 0);
	assert_null(cred.token);
	/* Nothing was cached: the next call runs it again. */
	assert_true(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL) < 0);
	assert_int_equal(exec_plugin_runs(p), 2);
	exec_plugin_free(p);

	p = plugin("garbage");
	assert_true(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL) < 0);
	assert_non_null(strstr(berth_error_last(), "not an ExecCredential"));
	assert_null(strstr(berth_error_last(), "SECRET"));
	exec_plugin_free(p);
}

static void test_exec_credential__missing_command_gives_the_install_hint(void **state)
{
	struct exec_config *cfg =
	    config("{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"command\":"
	           "\"berth-no-such-plugin\",\"installHint\":\"brew install it\"}",
	           NULL);
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	struct exec_plugin *p;
	unsigned long gen = 0;

	(void)state;
	exec_plugin_new(&p, cfg);
	assert_true(exec_plugin_get(&cred, &gen, p, NULL, NULL, NULL) < 0);
	assert_string_equal(berth_error_last(), "kc: user 'u': exec plugin 'berth-no-such-plugin' "
	                                        "not found\nbrew install it");
	exec_plugin_free(p);
	exec_config_free(cfg);
}

struct getter {
	struct exec_plugin *p;
	struct exec_credential cred;
	unsigned long gen;
	int rc;
};

static void *get_in_thread(void *arg)
{
	struct getter *g = arg;

	g->rc = exec_plugin_get(&g->cred, &g->gen, g->p, NULL, NULL, NULL);
	return NULL;
}

static void test_exec_credential__threads_share_one_run(void **state)
{
	struct exec_plugin *p = plugin("slow");
	struct getter g[4];
	pthread_t t[4];
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		struct exec_credential empty = EXEC_CREDENTIAL_INIT;
		g[i].p = exec_plugin_ref(p);
		g[i].cred = empty;
		g[i].gen = 0;
		assert_int_equal(pthread_create(&t[i], NULL, get_in_thread, &g[i]), 0);
	}
	for (i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(g[i].rc, 1);
		assert_string_equal(g[i].cred.token, "tok-1");
		exec_credential_release(&g[i].cred);
		exec_plugin_free(g[i].p);
	}
	assert_int_equal(exec_plugin_runs(p), 1);
	exec_plugin_free(p);
}

static void keep(const char *text, void *ctx)
{
	buf_addf(ctx, "[%s]", text);
}

static void test_exec_credential__stderr_of_a_success_is_a_warning(void **state)
{
	struct exec_plugin *p = plugin("warn");
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	struct buf said = BUF_INIT;
	unsigned long gen = 0;

	(void)state;
	assert_int_equal(exec_plugin_get(&cred, &gen, p, NULL, keep, &said), 1);
	assert_string_equal(cred.token, "tok-1");
	assert_string_equal(said.ptr, "[the token expires within the hour]");
	exec_credential_release(&cred);
	buf_release(&said);
	exec_plugin_free(p);
}

static void *stop_soon(void *arg)
{
	clock_sleep_ms(200);
	stop_request(arg, SIGTERM);
	return NULL;
}

static void test_exec_credential__a_hung_plugin_yields_to_the_stop_flag(void **state)
{
	struct exec_plugin *p = plugin("hang");
	struct exec_credential cred = EXEC_CREDENTIAL_INIT;
	struct stop stop = STOP_INIT;
	unsigned long gen = 0;
	double start = clock_now_ms();
	pthread_t t;

	(void)state;
	assert_int_equal(pthread_create(&t, NULL, stop_soon, &stop), 0);
	/* The plugin sleeps 600 s: only the stop ends this call. */
	assert_true(exec_plugin_get(&cred, &gen, p, &stop, NULL, NULL) < 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_non_null(strstr(berth_error_last(), "was stopped"));
	print_message("a hung plugin gave way %.0f ms after the stop\n",
	              clock_now_ms() - start - 200);
	assert_null(cred.token);
	exec_plugin_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exec_credential__parses_the_fixtures),
	    cmocka_unit_test(test_exec_credential__parses_rfc3339_and_nothing_else),
	    cmocka_unit_test(test_exec_credential__expires_at_its_timestamp),
	    cmocka_unit_test(test_exec_credential__config_resolves_and_checks_the_stanza),
	    cmocka_unit_test(test_exec_credential__caches_until_the_server_refuses),
	    cmocka_unit_test(test_exec_credential__runs_again_once_expired),
	    cmocka_unit_test(test_exec_credential__failure_names_the_plugin_and_its_stderr),
	    cmocka_unit_test(test_exec_credential__missing_command_gives_the_install_hint),
	    cmocka_unit_test(test_exec_credential__threads_share_one_run),
	    cmocka_unit_test(test_exec_credential__stderr_of_a_success_is_a_warning),
	    cmocka_unit_test(test_exec_credential__a_hung_plugin_yields_to_the_stop_flag),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
