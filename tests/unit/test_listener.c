#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../../agent/http/listener.h"

#include "../../diff/base/clock.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Send `request` to the listener; the status, and the body in `body`. */
static int ask(struct buf *body, const struct listener *l, const char *request)
{
	struct sockaddr_in sin;
	char chunk[4096];
	struct buf out = BUF_INIT;
	const char *start;
	ssize_t n;
	int fd = socket(AF_INET, SOCK_STREAM, 0), status;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)atoi(strrchr(listener_address(l), ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(send(fd, request, strlen(request), 0), (ssize_t)strlen(request));
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		buf_add(&out, chunk, (size_t)n);
	close(fd);
	assert_int_equal(sscanf(out.ptr, "HTTP/1.1 %d", &status), 1);
	start = strstr(out.ptr, "\r\n\r\n");
	assert_non_null(start);
	buf_reset(body);
	buf_adds(body, start + 4);
	buf_release(&out);
	return status;
}

/* A GitLab push delivery of `payload` with token `token`, and `extra`
 * headers (each ended by CRLF), in `request`. */
static void gitlab_request(struct buf *request, const char *token, const char *extra,
                           const char *payload)
{
	buf_reset(request);
	buf_addf(request,
	         "POST /hooks/gitlab HTTP/1.1\r\nX-Gitlab-Event: Push Hook\r\n"
	         "X-Gitlab-Token: %s\r\n%sContent-Length: %zu\r\n\r\n%s",
	         token, extra, strlen(payload), payload);
}

static struct source_config source(char *name, char *repo)
{
	struct source_config s;

	memset(&s, 0, sizeof(s));
	s.name = name;
	s.git.repo = repo;
	s.interval_ms = 60 * 60 * 1000;
	return s;
}

/* A scheduler of the sources of `c`, each reconciled once already when
 * `reconciled`: none is due. */
static struct scheduler *scheduler_of(const struct config *c, struct wakeup *wake, bool reconciled)
{
	struct scheduler *s;
	enum trigger_kind why;
	double wait;
	size_t i;

	scheduler_new(&s, wake);
	scheduler_follow(s, c);
	while (reconciled && scheduler_next(s, clock_now_ms(), &i, &why, &wait))
		scheduler_done(s, i, clock_now_ms(), 0);
	return s;
}

/* Which of the `n` sources a trigger made due, as "0101", each then done
 * again; every one of them for `want_why`. */
static void expect_due(struct scheduler *s, size_t n, const char *want, enum trigger_kind want_why)
{
	char got[16];
	enum trigger_kind why;
	double wait;
	size_t i;

	memset(got, '0', n);
	got[n] = '\0';
	while (scheduler_next(s, clock_now_ms(), &i, &why, &wait)) {
		assert_int_equal(why, want_why);
		got[i] = '1';
		scheduler_done(s, i, clock_now_ms(), 0);
	}
	assert_string_equal(got, want);
}

static void test_listener__ready_once_every_source_reconciled(void **state)
{
	struct source_config sources[2] = {source("web", "https://git.example.com/a/web.git"),
	                                   source("db", "git@git.example.com:a/db")};
	struct config c = CONFIG_INIT;
	struct scheduler *s;
	struct metrics *m;
	struct listener *l;
	struct buf body = BUF_INIT;

	(void)state;
	c.sources = sources;
	c.n = 2;
	metrics_new(&m, NULL, 0);
	s = scheduler_of(&c, NULL, false);
	assert_int_equal(listener_new(&l, "127.0.0.1:0", m, NULL, s), 0);
	listener_secrets(l, &c);
	assert_int_equal(ask(&body, l, "GET /healthz HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 503);
	assert_string_equal(body.ptr, "not reconciled yet: web, db\n");
	scheduler_done(s, 1, clock_now_ms(), 0);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 503);
	assert_string_equal(body.ptr, "not reconciled yet: web\n");
	scheduler_done(s, 0, clock_now_ms(), 0);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 200);
	/* A reload keeps the readiness of the sources it keeps. */
	c.n = 1;
	scheduler_follow(s, &c);
	assert_int_equal(ask(&body, l, "GET /readyz HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(ask(&body, l, "GET /metrics HTTP/1.1\r\n\r\n"), 200);
	assert_int_equal(ask(&body, l, "DELETE /metrics HTTP/1.1\r\n\r\n"), 405);
	assert_int_equal(ask(&body, l, "GET /elsewhere HTTP/1.1\r\n\r\n"), 404);
	buf_release(&body);
	listener_free(l);
	scheduler_free(s);
	metrics_free(m);
}

static void test_listener__a_push_triggers_the_sources_of_its_repository(void **state)
{
	static const char payload[] =
	    "{\"repository\":{\"ssh_url\":\"ssh://git@git.example.com:2222/a/db.git\"}}";
	struct source_config sources[2] = {source("web", "https://git.example.com/a/web.git"),
	                                   source("db", "git@git.example.com:a/db")};
	struct config c = CONFIG_INIT;
	struct scheduler *s;
	struct metrics *m;
	struct listener *l;
	struct buf body = BUF_INIT, request = BUF_INIT, payload2 = BUF_INIT;
	struct wakeup wake = WAKEUP_INIT;
	struct trigger watch = {.kind = TRIGGER_WATCH, .source = "web", .object = "configmap x"};

	(void)state;
	c.sources = sources;
	c.n = 2;
	c.webhook_secrets[FORGE_GITLAB] = "t0ken";
	metrics_new(&m, NULL, 0);
	assert_int_equal(wakeup_open(&wake), 0);
	s = scheduler_of(&c, &wake, true);
	assert_int_equal(listener_new(&l, "127.0.0.1:0", m, NULL, s), 0);
	listener_secrets(l, &c);
	/* No secret for GitHub: its hooks are not served. */
	assert_int_equal(ask(&body, l, "POST /hooks/github HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
	                 404);
	gitlab_request(&request, "t0ken", "", payload);
	/* The hook wakes the loop that waits on `wake`, once. */
	assert_false(wakeup_wait(&wake, 0));
	assert_int_equal(ask(&body, l, request.ptr), 202);
	assert_string_equal(body.ptr, "reconciling db\n");
	assert_true(wakeup_wait(&wake, 0));
	assert_false(wakeup_wait(&wake, 0));
	expect_due(s, 2, "01", TRIGGER_PUSH);
	expect_due(s, 2, "00", TRIGGER_PUSH);
	/* A wrong token triggers nothing. */
	gitlab_request(&request, "t0ken!", "", payload);
	assert_int_equal(ask(&body, l, request.ptr), 401);
	expect_due(s, 2, "00", TRIGGER_PUSH);
	/* The same signed body again, under a new delivery id (a redelivery,
	 * or a replay of a captured one): answered, and nothing triggered. */
	gitlab_request(&request, "t0ken", "Idempotency-Key: d-1\r\n", payload);
	assert_int_equal(ask(&body, l, request.ptr), 200);
	assert_string_equal(body.ptr, "already received\n");
	expect_due(s, 2, "00", TRIGGER_PUSH);
	/* Another push (another body) is a delivery of its own. */
	buf_reset(&payload2);
	buf_addf(&payload2, "%s ", payload);
	gitlab_request(&request, "t0ken", "Idempotency-Key: d-1\r\n", payload2.ptr);
	assert_int_equal(ask(&body, l, request.ptr), 202);
	expect_due(s, 2, "01", TRIGGER_PUSH);
	/* A watch triggers by name, on the same channel. */
	wakeup_wait(&wake, 0);
	assert_int_equal(scheduler_send(s, &watch, NULL), 1);
	assert_true(wakeup_wait(&wake, 0));
	expect_due(s, 2, "10", TRIGGER_WATCH);
	buf_release(&request);
	buf_release(&payload2);
	buf_release(&body);
	listener_free(l);
	scheduler_free(s);
	wakeup_close(&wake);
	metrics_free(m);
}

/* Deliver a GitLab push of `ref` to repository `url`; the answer's body. */
static int push(struct buf *body, const struct listener *l, const char *url, const char *ref)
{
	static unsigned pushes;
	struct buf request = BUF_INIT, payload = BUF_INIT;
	int status;

	/* Each push its own body: the same body twice is one delivery. */
	buf_addf(&payload,
	         "{\"object_kind\":\"push\",\"ref\":\"%s\",\"project\":{\"git_http_url\":\"%s\"},"
	         "\"total_commits_count\":%u}",
	         ref, url, ++pushes);
	gitlab_request(&request, "t0ken", "", payload.ptr);
	status = ask(body, l, request.ptr);
	buf_release(&request);
	buf_release(&payload);
	return status;
}

/* Sources of one repository, following a branch, a tag, the remote's HEAD
 * and a commit: a push starts only those whose ref it may move. */
static void test_listener__a_push_triggers_only_the_refs_it_moves(void **state)
{
	static const char repo[] = "https://git.example.com/a/config.git";
	struct source_config sources[5] = {
	    source("main", (char *)repo), source("tag", (char *)repo), source("head", (char *)repo),
	    source("pinned", (char *)repo), source("v6", "https://[fd00::1]/a/config")};
	struct config c = CONFIG_INIT;
	struct scheduler *s;
	struct metrics *m;
	struct listener *l;
	struct buf body = BUF_INIT;

	(void)state;
	sources[0].git.ref = "main";
	sources[1].git.ref = "v1";
	sources[3].git.ref = "0123456789abcdef0123456789abcdef01234567";
	c.sources = sources;
	c.n = 5;
	c.webhook_secrets[FORGE_GITLAB] = "t0ken";
	metrics_new(&m, NULL, 0);
	s = scheduler_of(&c, NULL, true);
	assert_int_equal(listener_new(&l, "127.0.0.1:0", m, NULL, s), 0);
	listener_secrets(l, &c);
	assert_int_equal(push(&body, l, repo, "refs/heads/main"), 202);
	assert_string_equal(body.ptr, "reconciling main,head\n");
	expect_due(s, 5, "10100", TRIGGER_PUSH);
	assert_int_equal(push(&body, l, repo, "refs/tags/v1"), 202);
	expect_due(s, 5, "01100", TRIGGER_PUSH);
	assert_int_equal(push(&body, l, repo, "refs/heads/dev"), 202);
	expect_due(s, 5, "00100", TRIGGER_PUSH);
	/* Only sources that pin a ref: nothing, said so. */
	c.n = 2;
	scheduler_follow(s, &c);
	expect_due(s, 2, "11", TRIGGER_CONFIG);
	assert_int_equal(push(&body, l, repo, "refs/heads/dev"), 202);
	assert_string_equal(body.ptr, "nothing to reconcile: refs/heads/dev moves no ref a source "
	                              "follows (main follows main, tag follows v1)\n");
	expect_due(s, 2, "00", TRIGGER_PUSH);
	/* An IPv6 host is the whole literal: [fd00::2] is another host. */
	c.n = 5;
	scheduler_follow(s, &c);
	expect_due(s, 5, "11111", TRIGGER_CONFIG);
	assert_int_equal(push(&body, l, "https://[fd00::2]/a/config", "refs/heads/main"), 202);
	expect_due(s, 5, "00000", TRIGGER_PUSH);
	assert_int_equal(push(&body, l, "https://[fd00::1]:443/a/config.git", "refs/heads/x"), 202);
	expect_due(s, 5, "00001", TRIGGER_PUSH);
	buf_release(&body);
	listener_free(l);
	scheduler_free(s);
	metrics_free(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_listener__ready_once_every_source_reconciled),
	    cmocka_unit_test(test_listener__a_push_triggers_the_sources_of_its_repository),
	    cmocka_unit_test(test_listener__a_push_triggers_only_the_refs_it_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
