#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/daemon/config.h"
#include "../../diff/base/berth_error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char path[64];

static int setup(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/berth-config-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return unlink(path);
}

/* Load `text`; the problems as "line:column: message" lines (caller frees),
 * "" when it loads. */
static char *load(struct config *c, const char *text)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct buf out = BUF_INIT;
	FILE *f = fopen(path, "w");
	size_t i;

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	if (config_load(c, &diags, path) < 0 && !diags.n)
		buf_addf(&out, "%s\n", berth_error_last());
	for (i = 0; i < diags.n; i++)
		buf_addf(&out, "%zu:%zu: %s\n", diags.items[i].line, diags.items[i].column,
		         diags.items[i].message);
	diagnostics_release(&diags);
	return buf_detach(&out, NULL);
}

static void test_config__a_full_source(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	problems = load(&c, "stateNamespace: berth-system\n"
	                    "sources:\n"
	                    "- name: web\n"
	                    "  repo: https://git.example.com/acme/config.git\n"
	                    "  ref: main\n"
	                    "  path: prod\n"
	                    "  namespace: web\n"
	                    "  interval: 90s\n"
	                    "  resyncInterval: 30m\n"
	                    "  jitter: 20%\n"
	                    "  prune: true\n"
	                    "  drift: report\n"
	                    "  auth: {username: bot, passwordFile: /run/git/token}\n"
	                    "- name: db\n"
	                    "  repo: ssh://git@git.example.com/acme/db.git\n"
	                    "  auth: {sshKeyFile: /run/ssh/key, knownHostsFile: /run/ssh/known}\n");
	assert_string_equal(problems, "");
	free(problems);
	assert_string_equal(c.state_namespace, "berth-system");
	assert_int_equal(c.n, 2);
	assert_string_equal(c.sources[0].name, "web");
	assert_string_equal(c.sources[0].git.ref, "main");
	assert_string_equal(c.sources[0].path, "prod");
	assert_int_equal(c.sources[0].interval_ms, 90000);
	assert_int_equal(c.sources[0].resync_ms, 1800000);
	assert_int_equal(c.sources[0].jitter_percent, 20);
	assert_true(c.sources[0].prune);
	assert_int_equal(c.sources[0].drift, DRIFT_MODE_REPORT);
	assert_string_equal(c.sources[0].git.username, "bot");
	assert_string_equal(c.sources[0].password_file, "/run/git/token");
	/* Defaults. */
	assert_null(c.sources[1].git.ref);
	assert_int_equal(c.sources[1].interval_ms, 300000);
	assert_int_equal(c.sources[1].resync_ms, 3600000);
	assert_int_equal(c.sources[1].jitter_percent, 10);
	assert_false(c.sources[1].prune);
	assert_int_equal(c.sources[1].drift, DRIFT_MODE_CORRECT);
	assert_string_equal(c.sources[1].git.ssh_key, "/run/ssh/key");
	config_release(&c);
}

static void test_config__each_problem_at_its_key(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	problems = load(&c, "sources:\n"
	                    "- name: Web\n"
	                    "  repo: https://git.example.com/a.git\n"
	                    "  intervall: 5m\n"
	                    "  prune: yes please\n"
	                    "  drift: fix\n"
	                    "- repo: https://git.example.com/b.git\n"
	                    "  interval: soon\n"
	                    "  resyncInterval: 0s\n"
	                    "  jitter: 90%\n"
	                    "  auth: {passwordFile: /a, passwordEnv: B}\n"
	                    "- name: db\n"
	                    "- name: db\n"
	                    "  repo: x\n");
	assert_string_equal(
	    problems,
	    "4:3: sources[0].intervall: unknown key\n"
	    "2:3: sources[0].name: 'Web' must be lowercase letters, digits and '-' (at most 63)\n"
	    "5:3: sources[0].prune: must be true or false\n"
	    "6:3: sources[0].drift: use correct or report\n"
	    "7:3: sources[1].name: missing\n"
	    "8:3: sources[1].interval: use a duration of at least 1s (30s, 5m, 1h)\n"
	    "9:3: sources[1].resyncInterval: use a duration of at least 1s (30s, 5m, 1h)\n"
	    "10:3: sources[1].jitter: use a percentage from 0% to 50%\n"
	    "11:3: sources[1].auth: passwordFile and passwordEnv: give one\n"
	    "12:3: sources[2].repo: missing\n"
	    "13:3: sources[3].name: 'db' is sources[2]'s name too\n");
	free(problems);
	assert_null(c.sources);
}

static void test_config__dependencies(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	/* Not a name; then, the names known, an unknown one, a cycle of two,
	 * and one of a source alone. */
	problems = load(&c, "sources:\n"
	                    "- {name: d, repo: x, dependsOn: [Web]}\n");
	assert_string_equal(problems, "2:34: sources[0].dependsOn[0]: must be a source's name\n");
	free(problems);
	problems = load(&c, "sources:\n"
	                    "- {name: a, repo: x, dependsOn: [b, nope]}\n"
	                    "- {name: b, repo: x, dependsOn: [a]}\n"
	                    "- {name: c, repo: x, dependsOn: [c]}\n");
	assert_string_equal(problems,
	                    "2:34: sources[0].dependsOn[0]: 'b' depends on 'a' already: a cycle\n"
	                    "2:37: sources[0].dependsOn[1]: 'nope' is not a source\n"
	                    "3:34: sources[1].dependsOn[0]: 'a' depends on 'b' already: a cycle\n"
	                    "4:34: sources[2].dependsOn[0]: 'c' depends on 'c' already: a cycle\n");
	free(problems);
	/* Each source after those it depends on, the config's order kept. */
	problems = load(&c, "sources:\n"
	                    "- {name: app, repo: x, dependsOn: [db, cache]}\n"
	                    "- {name: web, repo: x}\n"
	                    "- {name: db, repo: x, dependsOn: [cache]}\n"
	                    "- {name: cache, repo: x}\n");
	assert_string_equal(problems, "");
	free(problems);
	assert_int_equal(c.n, 4);
	assert_string_equal(c.sources[0].name, "web");
	assert_string_equal(c.sources[1].name, "cache");
	assert_string_equal(c.sources[2].name, "db");
	assert_string_equal(c.sources[3].name, "app");
	assert_string_equal(c.sources[3].depends_on[1], "cache");
	assert_null(c.sources[3].depends_on[2]);
	config_release(&c);
}

/* scaleOut: its defaults, its keys, and each duration shorter than what
 * it guards. */
static void test_config__scale_out(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	problems = load(&c, "scaleOut: {mode: lease}\n"
	                    "sources: [{name: a, repo: x}]\n");
	assert_string_equal(problems, "");
	free(problems);
	assert_true(c.scale_out.lease);
	assert_int_equal(c.scale_out.lease_duration_ms, 15000);
	assert_int_equal(c.scale_out.renew_deadline_ms, 10000);
	assert_int_equal(c.scale_out.retry_period_ms, 2000);
	assert_int_equal(c.scale_out.source_lease_duration_ms, 60000);
	assert_int_equal(c.scale_out.source_renew_ms, 20000);
	assert_int_equal(c.scale_out.source_renew_deadline_ms, 40000);
	config_release(&c);
	problems = load(&c, "scaleOut: {mode: none, retryPeriod: 3s, sourceRenewInterval: 30s}\n"
	                    "sources: [{name: a, repo: x}]\n");
	assert_string_equal(problems, "");
	free(problems);
	assert_false(c.scale_out.lease);
	assert_int_equal(c.scale_out.retry_period_ms, 3000);
	config_release(&c);
	problems = load(&c, "scaleOut: {retryPeriod: 1500ms, leaseDuration: 2.5s, shards: 3,\n"
	                    "  sourceRenewDeadline: 90s}\n"
	                    "sources: [{name: a, repo: x}]\n");
	assert_string_equal(problems,
	                    "1:54: scaleOut.shards: unknown key\n"
	                    "1:1: scaleOut.mode: missing\n"
	                    "1:1: scaleOut: a Lease's duration is whole seconds\n"
	                    "1:1: scaleOut: use leaseDuration > renewDeadline > retryPeriod\n"
	                    "1:1: scaleOut: use sourceLeaseDuration >= sourceRenewDeadline + 2s, "
	                    "and sourceRenewDeadline > sourceRenewInterval\n");
	free(problems);
	problems = load(&c, "scaleOut: {mode: leases, renewDeadline: 20s}\n"
	                    "sources: [{name: a, repo: x}]\n");
	assert_string_equal(problems,
	                    "1:12: scaleOut.mode: use lease or none\n"
	                    "1:1: scaleOut: use leaseDuration > renewDeadline > retryPeriod\n");
	free(problems);
}

static void test_config__not_a_config(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	problems = load(&c, "- just a list\n");
	assert_non_null(strstr(problems, "must hold one YAML document, a mapping"));
	free(problems);
	problems = load(&c, "sources: []\n");
	assert_string_equal(problems, "1:1: sources: must be a list of one source or more\n");
	free(problems);
	problems = load(&c, "sources:\n- name: a\n  repo: [x\n");
	assert_non_null(strstr(problems, ":4:1: did not find expected"));
	free(problems);
}

static void test_config__webhook_secrets_from_a_file_or_the_environment(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems, secret[] = "/tmp/berth-secret-XXXXXX";
	struct buf text = BUF_INIT;
	int fd = mkstemp(secret);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "s3cret-of-16-bytes\n", 19), 19);
	close(fd);
	setenv("BERTH_TEST_HOOK", "t0ken-of-16-bytes", 1);
	unsetenv("BERTH_TEST_UNSET");
	buf_addf(&text,
	         "sources: [{name: a, repo: x}]\n"
	         "webhooks:\n"
	         "  github: {secretFile: %s}\n"
	         "  gitlab: {secretEnv: BERTH_TEST_HOOK}\n",
	         secret);
	problems = load(&c, text.ptr);
	assert_string_equal(problems, "");
	assert_string_equal(c.webhook_secrets[FORGE_GITHUB], "s3cret-of-16-bytes");
	assert_string_equal(c.webhook_secrets[FORGE_GITLAB], "t0ken-of-16-bytes");
	assert_null(c.webhook_secrets[FORGE_GITEA]);
	free(problems);
	config_release(&c);

	problems = load(&c, "sources: [{name: a, repo: x}]\n"
	                    "webhooks:\n"
	                    "  github: {secretFile: /nonexistent/secret}\n"
	                    "  gitlab: {secretEnv: BERTH_TEST_UNSET}\n"
	                    "  gitea: {secretFile: a, secretEnv: B}\n"
	                    "  bitbucket: {}\n");
	assert_string_equal(
	    problems, "6:3: webhooks.bitbucket: unknown key\n"
	              "3:12: webhooks.github.secretFile: '/nonexistent/secret': No such file or "
	              "directory\n"
	              "4:12: webhooks.gitlab.secretEnv: 'BERTH_TEST_UNSET' is unset or empty\n"
	              "5:3: webhooks.gitea.secretFile or secretEnv: give one\n");
	free(problems);
	assert_null(c.sources);
	/* A short secret is guessed; one of spaces is none. */
	setenv("BERTH_TEST_HOOK", "0123456789abcde", 1);
	setenv("BERTH_TEST_SPACES", "                    ", 1);
	problems = load(&c, "sources: [{name: a, repo: x}]\n"
	                    "webhooks:\n"
	                    "  gitlab: {secretEnv: BERTH_TEST_HOOK}\n"
	                    "  gitea: {secretEnv: BERTH_TEST_SPACES}\n");
	assert_string_equal(
	    problems, "3:12: webhooks.gitlab.secretEnv: the secret is too short; use at least "
	              "16 random bytes (openssl rand -hex 32)\n"
	              "4:11: webhooks.gitea.secretEnv: 'BERTH_TEST_SPACES' is unset or empty\n");
	assert_null(strstr(problems, "0123456789abcde"));
	free(problems);
	buf_release(&text);
	unlink(secret);
}

static void test_config__status_blocks(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	setenv("BERTH_TEST_FORGE_TOKEN", "forge-token", 1);
	unsetenv("BERTH_TEST_UNSET");
	problems = load(&c, "cluster: prod-eu\n"
	                    "sources:\n"
	                    "- name: a\n"
	                    "  repo: git@github.com:owner/repo.git\n"
	                    "  status: {provider: github, tokenEnv: BERTH_TEST_FORGE_TOKEN}\n"
	                    "- name: b\n"
	                    "  repo: /srv/git/b.git\n"
	                    "  status:\n"
	                    "    provider: gitlab\n"
	                    "    baseURL: https://gitlab.example.com\n"
	                    "    repository: group/sub/b\n"
	                    "    tokenEnv: BERTH_TEST_FORGE_TOKEN\n"
	                    "    context: 'deploy/{cluster}'\n"
	                    "    targetURL: 'https://dash/{source}/{sha}'\n"
	                    "    preview: {comment: true}\n");
	assert_string_equal(problems, "");
	assert_string_equal(c.cluster, "prod-eu");
	assert_true(c.sources[0].status.enabled);
	assert_int_equal(c.sources[0].status.provider, FORGE_GITHUB);
	assert_string_equal(c.sources[0].status.repository, "owner/repo");
	assert_string_equal(c.sources[0].status.context, STATUS_CONTEXT_DEFAULT);
	assert_string_equal(c.sources[1].status.repository, "group/sub/b");
	assert_string_equal(c.sources[1].status.context, "deploy/{cluster}");
	assert_false(c.sources[0].status.preview_comment);
	assert_true(c.sources[1].status.preview_comment);
	free(problems);
	config_release(&c);

	problems =
	    load(&c, "sources:\n"
	             "- {name: a, repo: /srv/a, status: {provider: gitea, tokenEnv: "
	             "BERTH_TEST_FORGE_TOKEN, repository: o/a}}\n"
	             "- {name: b, repo: /srv/b, status: {provider: github, tokenEnv: "
	             "BERTH_TEST_FORGE_TOKEN}}\n"
	             "- {name: c, repo: /srv/c, status: {provider: bitbucket}}\n"
	             "- {name: d, repo: https://h/o/d, status: {provider: github, "
	             "tokenEnv: BERTH_TEST_UNSET}}\n"
	             "- {name: e, repo: https://h/o/e, status: {provider: github, "
	             "tokenFile: /nonexistent, colour: red}}\n"
	             "- {name: f, repo: https://h/o/f, status: {provider: github, "
	             "tokenEnv: BERTH_TEST_FORGE_TOKEN, context: '{commit}'}}\n"
	             "- {name: g, repo: https://h/o/g, status: {provider: gitlab, baseURL: "
	             "'https://h', tokenEnv: BERTH_TEST_FORGE_TOKEN, apiVersion: 2022-11-28}}\n"
	             "- {name: h, repo: https://h/o/h, status: {provider: github, "
	             "tokenEnv: BERTH_TEST_FORGE_TOKEN, apiVersion: \"v3\\r\\nX: 1\"}}\n");
	assert_string_equal(
	    problems,
	    "2:27: sources[0].status.baseURL: required for gitea (the forge's address, for example "
	    "https://gitea.example.com)\n"
	    "3:27: sources[1].status.repository: '/srv/b' names no repository on a forge (a local "
	    "path or file:// URL); set status.repository\n"
	    "4:36: sources[2].status.provider: use github, gitlab or gitea\n"
	    "5:61: sources[3].status.tokenEnv: 'BERTH_TEST_UNSET' is unset or empty\n"
	    "6:86: sources[4].status.colour: unknown key\n"
	    "6:61: sources[4].status.tokenFile: '/nonexistent': No such file or directory\n"
	    "7:95: sources[5].status.context: '{commit}': unknown {commit} (use {sha}, {source}, "
	    "{cluster})\n"
	    "8:117: sources[6].status.apiVersion: only GitHub's API has versions to choose\n"
	    "9:95: sources[7].status.apiVersion: not an API version: GitHub names them by date, "
	    "for example 2022-11-28\n");
	assert_null(strstr(problems, "forge-token"));
	free(problems);
}

/* A token or secret holding a control character (CR LF would end a
 * request header and start another) is refused wherever it comes from,
 * and the problem never shows it. */
static void test_config__a_token_with_a_control_character_is_refused(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems, token[] = "/tmp/berth-token-XXXXXX", hook[] = "/tmp/berth-hook-XXXXXX";
	static const char injected[] = "tok-abc\r\nX-Injected: yes\n";
	struct buf text = BUF_INIT;
	int fd;

	(void)state;
	assert_true((fd = mkstemp(token)) >= 0);
	assert_int_equal(write(fd, injected, strlen(injected)), (ssize_t)strlen(injected));
	close(fd);
	assert_true((fd = mkstemp(hook)) >= 0);
	assert_int_equal(write(fd, "0123456789abcdef\x1b[2J\n", 21), 21);
	close(fd);
	setenv("BERTH_TEST_INJECTED", "tok-abc\r\nX-Injected: yes", 1);
	setenv("BERTH_TEST_HOOK", "0123456789abcdef\tX", 1);
	buf_addf(&text,
	         "reportTokenFile: %s\n"
	         "webhooks:\n"
	         "  github: {secretFile: %s}\n"
	         "  gitlab: {secretEnv: BERTH_TEST_HOOK}\n"
	         "sources:\n"
	         "- {name: a, repo: https://h/o/a, status: {provider: github, tokenFile: %s}}\n"
	         "- {name: b, repo: https://h/o/b, status: {provider: github, tokenEnv: "
	         "BERTH_TEST_INJECTED}}\n",
	         token, hook, token);
	problems = load(&c, text.ptr);
	buf_reset(&text);
	buf_addf(&text,
	         "reportTokenFile: '%s': the token holds a control character (a line break?): "
	         "refused\n",
	         token);
	assert_non_null(strstr(problems, text.ptr));
	buf_reset(&text);
	buf_addf(&text,
	         "3:12: webhooks.github.secretFile: '%s': the secret holds a control character "
	         "(a line break?): refused\n",
	         hook);
	assert_non_null(strstr(problems, text.ptr));
	assert_non_null(strstr(problems, "4:12: webhooks.gitlab.secretEnv: 'BERTH_TEST_HOOK': the "
	                                 "secret holds a control character (a line break?): "
	                                 "refused\n"));
	buf_reset(&text);
	buf_addf(&text,
	         "sources[0].status.tokenFile: '%s': the token holds a control character "
	         "(a line break?): refused\n",
	         token);
	assert_non_null(strstr(problems, text.ptr));
	assert_non_null(strstr(problems, "sources[1].status.tokenEnv: 'BERTH_TEST_INJECTED': the "
	                                 "token holds a control character (a line break?): "
	                                 "refused\n"));
	assert_null(strstr(problems, "tok-abc"));
	assert_null(strstr(problems, "Injected"));
	assert_null(strstr(problems, "0123456789abcdef"));
	free(problems);
	buf_release(&text);
	unlink(token);
	unlink(hook);
}

/* The example, examples/berth-run.yaml, loads. */
static void test_config__confinement_and_fork_previews(void **state)
{
	struct config c = CONFIG_INIT;
	char *problems;

	(void)state;
	problems =
	    load(&c, "sources:\n"
	             "- name: tenant\n"
	             "  repo: /srv/git/tenant.git\n"
	             "  allowedNamespaces: [team-a, team-b]\n"
	             "  clusterResources: [Namespace, ClusterRole.rbac.authorization.k8s.io]\n"
	             "  previews: {forks: true, timeout: 30s}\n"
	             "- name: target\n"
	             "  repo: /srv/git/target.git\n"
	             "  targetNamespace: team-c\n"
	             "- name: admin\n"
	             "  repo: /srv/git/admin.git\n");
	assert_string_equal(problems, "");
	free(problems);
	assert_string_equal(c.sources[0].allowed_namespaces[1], "team-b");
	assert_null(c.sources[0].allowed_namespaces[2]);
	assert_string_equal(c.sources[0].cluster_resources[0], "Namespace");
	assert_string_equal(c.sources[0].cluster_resources[1],
	                    "ClusterRole.rbac.authorization.k8s.io");
	assert_true(c.sources[0].preview_forks);
	assert_int_equal(c.sources[0].preview_timeout_ms, 30000);
	assert_int_equal(c.sources[1].preview_timeout_ms, PREVIEW_TIMEOUT_MS);
	/* targetNamespace alone confines the source to it. */
	assert_string_equal(c.sources[1].allowed_namespaces[0], "team-c");
	assert_null(c.sources[1].allowed_namespaces[1]);
	assert_null(c.sources[1].cluster_resources);
	assert_false(c.sources[1].preview_forks);
	assert_null(c.sources[2].allowed_namespaces);
	config_release(&c);

	problems = load(&c, "sources:\n"
	                    "- name: bad\n"
	                    "  repo: /srv/git/tenant.git\n"
	                    "  targetNamespace: team-c\n"
	                    "  allowedNamespaces: [team-a]\n"
	                    "  clusterResources: [clusterrole, 'ClusterRole/rbac', []]\n"
	                    "  previews: {forks: yes please, fork: true, timeout: 500ms}\n"
	                    "- name: empty\n"
	                    "  repo: /srv/git/tenant.git\n"
	                    "  clusterResources: {}\n"
	                    "  previews: true\n");
	assert_string_equal(
	    problems, "6:22: sources[0].clusterResources[0]: must be a kind, as 'ClusterRole' or "
	              "'ClusterRole.rbac.authorization.k8s.io'\n"
	              "6:35: sources[0].clusterResources[1]: must be a kind, as 'ClusterRole' or "
	              "'ClusterRole.rbac.authorization.k8s.io'\n"
	              "6:55: sources[0].clusterResources[2]: must be a kind, as 'ClusterRole' or "
	              "'ClusterRole.rbac.authorization.k8s.io'\n"
	              "4:3: sources[0].targetNamespace: 'team-c' is not among allowedNamespaces\n"
	              "7:33: sources[0].previews.fork: unknown key\n"
	              "7:14: sources[0].previews.forks: use true or false\n"
	              "7:45: sources[0].previews.timeout: use a duration of at least 1s (30s, 2m)\n"
	              "10:3: sources[1].clusterResources: must be a list of kinds\n"
	              "11:3: sources[1].previews: must be a mapping\n");
	free(problems);
}

static void test_config__the_example(void **state)
{
	struct diagnostics diags = DIAGNOSTICS_INIT;
	struct config c = CONFIG_INIT;

	(void)state;
	setenv("GITHUB_WEBHOOK_SECRET", "an-example-of-32-random-bytes-00", 1);
	assert_int_equal(config_load(&c, &diags, BERTH_EXAMPLES "/berth-run.yaml"), 0);
	assert_int_equal(diags.n, 0);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.sources[1].drift, DRIFT_MODE_REPORT);
	assert_string_equal(c.webhook_secrets[FORGE_GITHUB], "an-example-of-32-random-bytes-00");
	config_release(&c);
	diagnostics_release(&diags);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config__a_full_source, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config__each_problem_at_its_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config__dependencies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config__scale_out, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_config__webhook_secrets_from_a_file_or_the_environment, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config__not_a_config, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config__status_blocks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config__confinement_and_fork_previews, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(
	        test_config__a_token_with_a_control_character_is_refused, setup, teardown),
	    cmocka_unit_test(test_config__the_example),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
